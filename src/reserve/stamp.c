/* stamp.c -- embed a TDMRep reservation in the document itself.
 *
 * A reservation that travels with the file survives being copied off the
 * site.  HTML gets tdm-reservation and tdm-policy meta tags at the top of
 * <head>; an EPUB gets TDMRep meta elements in its package document (OPF)
 * and the zip is rewritten with libarchive, mimetype first and stored; a
 * PDF gets an rdf:Description in the TDMRep XMP namespace in its
 * document metadata stream, written with qpdf (an existing XMP packet is
 * kept and the description added to it).
 *
 * Each edit first removes what an earlier stamp wrote and then writes it
 * again in the same place, so stamping twice gives the same bytes, and
 * when the result equals the input nothing is rewritten (*changed = 0).
 * Edits are textual and narrow: the rest of the file is left alone. */
#include "reserve/reserve.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#define PK_LAZY_QPDF /* libqpdf and libarchive opened on first use: lazy.c */
#define PK_LAZY_ARCHIVE
#include "lazy.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STAMP_MAX ((size_t)1 << 30)
#define TDM_XMP_NS "http://www.w3.org/ns/tdmrep/"
#define TDM_EPUB_PREFIX "tdm: http://www.w3.org/ns/tdmrep#"

static int read_all(const char *path, pk_buf *b, pk_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pk_fail(err, errno == ENOENT ? PK_ENOTFOUND : PK_EIO, "%s: %s", path, strerror(errno));
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((rc = pk_buf_append(b, chunk, got))) {
            rc = pk_fail(err, rc, "%s: %s", path, rc == PK_ETOOBIG ? "over 1 GiB" : "out of memory");
            break;
        }
    }
    if (!rc && ferror(f)) rc = pk_fail(err, PK_EIO, "%s: read error", path);
    fclose(f);
    return rc;
}

/* case-insensitive search for needle in s[0..n) from `from` */
static const char *find_ci(const char *s, size_t n, size_t from, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0) return s + i;
    return NULL;
}

static const char *find_cs(const char *s, size_t n, size_t from, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return s + i;
    return NULL;
}

/* XML/HTML text with &, <, >, " escaped. */
static int put_escaped(pk_buf *b, const char *s)
{
    int rc = 0;
    for (; *s && !rc; s++) {
        switch (*s) {
        case '&': rc = pk_buf_append(b, "&amp;", 5); break;
        case '<': rc = pk_buf_append(b, "&lt;", 4); break;
        case '>': rc = pk_buf_append(b, "&gt;", 4); break;
        case '"': rc = pk_buf_append(b, "&quot;", 6); break;
        default: rc = pk_buf_putc(b, *s);
        }
    }
    return rc;
}

/* Remove from b every element that starts with one of the `starts` and
 * runs to the first `end` after it, with the line break and indentation
 * before it if it starts a line; returns how many. */
static size_t cut_elements(pk_buf *b, const char *const *starts, size_t nstarts, const char *end, int ci)
{
    size_t cut = 0;
    for (size_t k = 0; k < nstarts; k++) {
        size_t from = 0;
        const char *s;
        while ((s = ci ? find_ci(b->data, b->len, from, starts[k]) : find_cs(b->data, b->len, from, starts[k]))) {
            size_t i = (size_t)(s - b->data);
            const char *e = find_cs(b->data, b->len, i, end);
            if (!e) break;
            size_t j = (size_t)(e - b->data) + strlen(end);
            size_t lead = i;
            while (lead > 0 && (b->data[lead - 1] == ' ' || b->data[lead - 1] == '\t')) lead--;
            if (lead > 0 && b->data[lead - 1] == '\n') i = lead - 1;
            memmove(b->data + i, b->data + j, b->len - j);
            b->len -= j - i;
            b->data[b->len] = '\0';
            from = i;
            cut++;
        }
    }
    return cut;
}

static int insert_at(pk_buf *b, size_t at, const char *s, size_t n)
{
    if (pk_buf_reserve(b, n)) return PK_ENOMEM;
    memmove(b->data + at + n, b->data + at, b->len - at);
    memcpy(b->data + at, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* ---- HTML ------------------------------------------------------------------ */

static int stamp_html(pk_buf *doc, const pk_reserve_opts *o, pk_error *err)
{
    static const char *const metas[] = {"<meta name=\"tdm-reservation\"", "<meta name=\"tdm-policy\""};
    cut_elements(doc, metas, 2, ">", 1);
    pk_buf tags;
    pk_buf_init(&tags, 0);
    int rc = pk_buf_printf(&tags, "\n<meta name=\"tdm-reservation\" content=\"1\"/>");
    if (!rc && o->policy) {
        rc = pk_buf_printf(&tags, "\n<meta name=\"tdm-policy\" content=\"");
        if (!rc) rc = put_escaped(&tags, o->policy);
        if (!rc) rc = pk_buf_append(&tags, "\"/>", 3);
    }
    if (rc) goto nomem;
    /* after <head ...>, not <header> */
    size_t at = SIZE_MAX, from = 0;
    const char *h;
    while ((h = find_ci(doc->data, doc->len, from, "<head"))) {
        size_t i = (size_t)(h - doc->data) + 5;
        if (i < doc->len && (doc->data[i] == '>' || doc->data[i] == ' ' || doc->data[i] == '\t' ||
                             doc->data[i] == '\n' || doc->data[i] == '\r' || doc->data[i] == '/')) {
            const char *gt = memchr(doc->data + i, '>', doc->len - i);
            if (gt) at = (size_t)(gt - doc->data) + 1;
            break;
        }
        from = i;
    }
    if (at == SIZE_MAX) {
        /* no <head>: make one after <html ...>, else at the top (after a doctype) */
        pk_buf wrap;
        pk_buf_init(&wrap, 0);
        if (pk_buf_append(&wrap, "<head>", 6) || pk_buf_append(&wrap, tags.data, tags.len) ||
            pk_buf_append(&wrap, "\n</head>\n", 9)) {
            pk_buf_free(&wrap);
            goto nomem;
        }
        pk_buf_free(&tags);
        tags = wrap;
        const char *html = find_ci(doc->data, doc->len, 0, "<html");
        const char *dt = find_ci(doc->data, doc->len, 0, "<!doctype");
        const char *anchor = html ? html : dt;
        at = 0;
        if (anchor) {
            const char *gt = memchr(anchor, '>', doc->len - (size_t)(anchor - doc->data));
            if (gt) at = (size_t)(gt - doc->data) + 1;
        }
        if (at && insert_at(doc, at, "\n", 1)) goto nomem;
        if (at) at++;
    }
    if (insert_at(doc, at, tags.data, tags.len)) goto nomem;
    pk_buf_free(&tags);
    return 0;
nomem:
    pk_buf_free(&tags);
    return pk_fail(err, PK_ENOMEM, "out of memory");
}

/* ---- EPUB -------------------------------------------------------------------- */

/* Stamp the package document text in opf. */
static int stamp_opf(pk_buf *opf, const pk_reserve_opts *o, pk_error *err)
{
    static const char *const metas3[] = {"<meta property=\"tdm:reservation\"", "<meta property=\"tdm:policy\""};
    static const char *const metas2[] = {"<meta name=\"tdm:reservation\"", "<meta name=\"tdm:policy\""};
    cut_elements(opf, metas3, 2, "</meta>", 0);
    cut_elements(opf, metas2, 2, ">", 0);
    const char *pkg = find_cs(opf->data, opf->len, 0, "<package");
    if (!pkg) pkg = find_cs(opf->data, opf->len, 0, ":package");
    if (!pkg) return pk_fail(err, PK_EFORMAT, "EPUB package document has no <package> element");
    size_t pi = (size_t)(pkg - opf->data);
    const char *gt = memchr(pkg, '>', opf->len - pi);
    if (!gt) return pk_fail(err, PK_EFORMAT, "EPUB package document: <package> not closed");
    size_t tag_len = (size_t)(gt - pkg);
    const char *ver = find_cs(pkg, tag_len, 0, "version=\"");
    int epub3 = !ver || ver[9] != '2';
    int rc = 0;
    if (epub3) {
        const char *pre = find_cs(pkg, tag_len, 0, "prefix=\"");
        if (pre && !find_cs(pkg, tag_len, 0, "tdm:")) {
            size_t at = (size_t)(pre - opf->data) + 8;
            rc = insert_at(opf, at, TDM_EPUB_PREFIX " ", strlen(TDM_EPUB_PREFIX) + 1);
        } else if (!pre) {
            const char *name_end = pkg;
            while (*name_end && *name_end != ' ' && *name_end != '\t' && *name_end != '\n' && *name_end != '>' &&
                   *name_end != '\r')
                name_end++;
            const char ins[] = " prefix=\"" TDM_EPUB_PREFIX "\"";
            rc = insert_at(opf, (size_t)(name_end - opf->data), ins, sizeof ins - 1);
        }
        if (rc) goto nomem;
    }
    const char *md = find_cs(opf->data, opf->len, 0, "metadata>");
    size_t from = 0;
    /* the closing tag: "</metadata>" or "</opf:metadata>" */
    const char *close = NULL;
    while ((md = find_cs(opf->data, opf->len, from, "metadata>"))) {
        size_t i = (size_t)(md - opf->data);
        size_t j = i;
        while (j > 0 && opf->data[j - 1] != '<' && opf->data[j - 1] != '>' && opf->data[j - 1] != ' ') j--;
        if (j > 0 && opf->data[j - 1] == '<' && opf->data[j] == '/') {
            close = opf->data + j - 1;
            break;
        }
        from = i + 9;
    }
    if (!close) return pk_fail(err, PK_EFORMAT, "EPUB package document has no </metadata>");
    size_t at = (size_t)(close - opf->data);
    /* keep the closing tag's indentation: insert before the blanks that lead it */
    while (at > 0 && (opf->data[at - 1] == ' ' || opf->data[at - 1] == '\t')) at--;
    if (at > 0 && opf->data[at - 1] == '\n') at--;
    pk_buf m;
    pk_buf_init(&m, 0);
    if (epub3) {
        rc = pk_buf_printf(&m, "\n    <meta property=\"tdm:reservation\">1</meta>");
        if (!rc && o->policy) {
            rc = pk_buf_printf(&m, "\n    <meta property=\"tdm:policy\">");
            if (!rc) rc = put_escaped(&m, o->policy);
            if (!rc) rc = pk_buf_printf(&m, "</meta>");
        }
    } else {
        rc = pk_buf_printf(&m, "\n    <meta name=\"tdm:reservation\" content=\"1\"/>");
        if (!rc && o->policy) {
            rc = pk_buf_printf(&m, "\n    <meta name=\"tdm:policy\" content=\"");
            if (!rc) rc = put_escaped(&m, o->policy);
            if (!rc) rc = pk_buf_printf(&m, "\"/>");
        }
    }
    if (!rc) rc = insert_at(opf, at, m.data, m.len);
    pk_buf_free(&m);
    if (rc) goto nomem;
    return 0;
nomem:
    return pk_fail(err, PK_ENOMEM, "out of memory");
}

typedef struct zentry {
    char *name;
    mode_t type, perm;
    time_t mtime;
    pk_buf data;
} zentry;

static la_ssize_t zip_write(struct archive *a, void *ud, const void *p, size_t n)
{
    if (pk_buf_append(ud, p, n)) {
        archive_set_error(a, ENOMEM, "out of memory");
        return -1;
    }
    return (la_ssize_t)n;
}

static int stamp_epub(pk_buf *doc, const pk_reserve_opts *o, pk_error *err)
{
    if (pk_lazy_archive(err)) return PK_EIO;
    struct archive *a = archive_read_new(), *w = NULL;
    struct archive_entry *e;
    zentry *ents = NULL;
    size_t n = 0, cap = 0, opf_i = SIZE_MAX, cont_i = SIZE_MAX;
    pk_buf out;
    pk_buf_init(&out, STAMP_MAX);
    int rc = 0;
    if (!a) goto nomem;
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, doc->data, doc->len) != ARCHIVE_OK) goto bad;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            zentry *ne = realloc(ents, nc * sizeof *ne);
            if (!ne) goto nomem;
            ents = ne;
            cap = nc;
        }
        zentry *z = &ents[n];
        memset(z, 0, sizeof *z);
        pk_buf_init(&z->data, STAMP_MAX);
        const char *name = archive_entry_pathname(e);
        if (!(z->name = strdup(name ? name : ""))) goto nomem;
        n++;
        z->type = archive_entry_filetype(e);
        z->perm = archive_entry_perm(e);
        z->mtime = archive_entry_mtime(e);
        char chunk[65536];
        la_ssize_t got;
        while ((got = archive_read_data(a, chunk, sizeof chunk)) > 0)
            if (pk_buf_append(&z->data, chunk, (size_t)got)) goto nomem;
        if (got < 0) goto bad;
        if (strcmp(z->name, "META-INF/container.xml") == 0) cont_i = n - 1;
    }
    if (r != ARCHIVE_EOF) goto bad;
    if (cont_i == SIZE_MAX) {
        rc = pk_fail(err, PK_EFORMAT, "EPUB without META-INF/container.xml");
        goto cleanup;
    }
    /* the package document named by container.xml */
    pk_buf *c = &ents[cont_i].data;
    const char *fp = c->len ? find_cs(c->data, c->len, 0, "full-path=\"") : NULL;
    if (!fp) {
        rc = pk_fail(err, PK_EFORMAT, "EPUB container.xml names no package document");
        goto cleanup;
    }
    fp += 11;
    const char *q = memchr(fp, '"', c->len - (size_t)(fp - c->data));
    if (!q) goto bad;
    for (size_t i = 0; i < n; i++)
        if (strlen(ents[i].name) == (size_t)(q - fp) && memcmp(ents[i].name, fp, (size_t)(q - fp)) == 0) opf_i = i;
    if (opf_i == SIZE_MAX) {
        rc = pk_fail(err, PK_EFORMAT, "EPUB package document %.*s is missing", (int)(q - fp), fp);
        goto cleanup;
    }
    pk_buf *opf = &ents[opf_i].data;
    if (pk_buf_putc(opf, '\0')) goto nomem; /* a NUL for the text searches, dropped again */
    opf->len--;
    pk_buf before;
    pk_buf_init(&before, 0);
    if (pk_buf_append(&before, opf->data, opf->len)) goto nomem;
    rc = stamp_opf(opf, o, err);
    int same = !rc && before.len == opf->len && memcmp(before.data, opf->data, opf->len) == 0;
    pk_buf_free(&before);
    if (rc || same) goto cleanup; /* unchanged: doc stays as it was */

    if (!(w = archive_write_new())) goto nomem;
    if (archive_write_set_format_zip(w) != ARCHIVE_OK ||
        archive_write_open2(w, &out, NULL, zip_write, NULL, NULL) != ARCHIVE_OK)
        goto werr;
    /* mimetype first and stored (EPUB OCF 4.3), then the rest in order */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            int mt = strcmp(ents[i].name, "mimetype") == 0;
            if (mt != (pass == 0)) continue;
            if (mt) archive_write_zip_set_compression_store(w);
            else archive_write_zip_set_compression_deflate(w);
            struct archive_entry *we = archive_entry_new();
            if (!we) goto nomem;
            archive_entry_set_pathname(we, ents[i].name);
            archive_entry_set_filetype(we, (unsigned)ents[i].type);
            archive_entry_set_perm(we, ents[i].perm ? ents[i].perm : 0644);
            archive_entry_set_mtime(we, ents[i].mtime, 0);
            archive_entry_set_size(we, ents[i].type == AE_IFREG ? (la_int64_t)ents[i].data.len : 0);
            int wr = archive_write_header(w, we);
            archive_entry_free(we);
            if (wr != ARCHIVE_OK) goto werr;
            if (ents[i].type == AE_IFREG && ents[i].data.len &&
                archive_write_data(w, ents[i].data.data, ents[i].data.len) < 0)
                goto werr;
        }
    }
    if (archive_write_close(w) != ARCHIVE_OK) goto werr;
    pk_buf_reset(doc);
    if (pk_buf_append(doc, out.data, out.len)) goto nomem;
    goto cleanup;
werr:
    rc = pk_fail(err, PK_EIO, "writing the EPUB: %s", archive_error_string(w));
    goto cleanup;
bad:
    rc = pk_fail(err, PK_EFORMAT, "not a readable EPUB: %s", a ? archive_error_string(a) : "?");
    goto cleanup;
nomem:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    for (size_t i = 0; i < n; i++) {
        free(ents[i].name);
        pk_buf_free(&ents[i].data);
    }
    free(ents);
    pk_buf_free(&out);
    if (w) archive_write_free(w);
    if (a) archive_read_free(a);
    return rc;
}

/* ---- PDF ------------------------------------------------------------------------ */

/* xmp (reset first) = old (may be empty) with the TDMRep description. */
static int stamp_xmp(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *xmp)
{
    pk_buf d;
    pk_buf_init(&d, 0);
    int rc = pk_buf_printf(&d, "<rdf:Description rdf:about=\"\" xmlns:tdm=\"" TDM_XMP_NS "\">\n"
                               "   <tdm:reservation>1</tdm:reservation>\n");
    if (!rc && o->policy) {
        rc = pk_buf_printf(&d, "   <tdm:policy>");
        if (!rc) rc = put_escaped(&d, o->policy);
        if (!rc) rc = pk_buf_printf(&d, "</tdm:policy>\n");
    }
    if (!rc) rc = pk_buf_printf(&d, "  </rdf:Description>\n  ");
    pk_buf_reset(xmp);
    if (!rc && n) rc = pk_buf_append(xmp, old, n);
    if (!rc && n) rc = pk_buf_putc(xmp, '\0');
    if (!rc && n) xmp->len--;
    if (rc) goto done;
    /* drop an earlier stamp's description */
    const char *ns = xmp->len ? find_cs(xmp->data, xmp->len, 0, "xmlns:tdm=\"" TDM_XMP_NS "\"") : NULL;
    if (ns) {
        size_t i = (size_t)(ns - xmp->data);
        while (i > 0 && memcmp(xmp->data + i, "<rdf:Description", 16) != 0) i--;
        const char *e = find_cs(xmp->data, xmp->len, i, "</rdf:Description>");
        if (e && memcmp(xmp->data + i, "<rdf:Description", 16) == 0) {
            size_t j = (size_t)(e - xmp->data) + 18;
            while (j < xmp->len && (xmp->data[j] == '\n' || xmp->data[j] == ' ')) j++;
            memmove(xmp->data + i, xmp->data + j, xmp->len - j);
            xmp->len -= j - i;
            xmp->data[xmp->len] = '\0';
        }
    }
    const char *end = xmp->len ? find_cs(xmp->data, xmp->len, 0, "</rdf:RDF>") : NULL;
    if (end) {
        rc = insert_at(xmp, (size_t)(end - xmp->data), d.data, d.len);
    } else {
        pk_buf_reset(xmp);
        rc = pk_buf_printf(xmp,
                           "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                           " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  ");
        if (!rc) rc = pk_buf_append(xmp, d.data, d.len);
        if (!rc) rc = pk_buf_printf(xmp, "</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    }
done:
    pk_buf_free(&d);
    return rc;
}

static int qpdf_failed(qpdf_data q, pk_error *err)
{
    qpdf_error e = qpdf_get_error(q);
    return pk_fail(err, PK_EFORMAT, "qpdf: %s", e ? qpdf_get_error_full_text(q, e) : "failed");
}

static int stamp_pdf(pk_buf *doc, const pk_reserve_opts *o, pk_error *err)
{
    if (pk_lazy_qpdf(err)) return PK_EIO;
    qpdf_data q = qpdf_init();
    unsigned char *old = NULL;
    size_t old_len = 0;
    pk_buf xmp;
    pk_buf_init(&xmp, 0);
    int rc = 0;
    if (!q) return pk_fail(err, PK_ENOMEM, "out of memory");
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    if (qpdf_read_memory(q, "document.pdf", (const char *)doc->data, (unsigned long long)doc->len, NULL) &
        QPDF_ERRORS) {
        rc = qpdf_failed(q, err);
        goto cleanup;
    }
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh meta = qpdf_oh_get_key(q, root, "/Metadata");
    int have = qpdf_oh_is_stream(q, meta);
    if (have && (qpdf_oh_get_stream_data(q, meta, qpdf_dl_generalized, NULL, &old, &old_len) & QPDF_ERRORS)) {
        have = 0; /* unreadable metadata: replaced */
        free(old);
        old = NULL;
        old_len = 0;
    }
    if (stamp_xmp((const char *)old, old_len, o, &xmp)) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (have && xmp.len == old_len && memcmp(xmp.data, old, old_len) == 0) goto cleanup; /* already stamped */
    if (!have) {
        meta = qpdf_oh_new_stream(q);
        qpdf_oh dict = qpdf_oh_get_dict(q, meta);
        qpdf_oh_replace_key(q, dict, "/Type", qpdf_oh_new_name(q, "/Metadata"));
        qpdf_oh_replace_key(q, dict, "/Subtype", qpdf_oh_new_name(q, "/XML"));
        qpdf_oh_replace_key(q, root, "/Metadata", meta);
    }
    qpdf_oh_replace_stream_data(q, meta, (const unsigned char *)xmp.data, xmp.len, qpdf_oh_new_null(q),
                                qpdf_oh_new_null(q));
    if (qpdf_has_error(q)) {
        rc = qpdf_failed(q, err);
        goto cleanup;
    }
    if ((qpdf_init_write_memory(q) & QPDF_ERRORS) || (qpdf_write(q) & QPDF_ERRORS)) {
        rc = qpdf_failed(q, err);
        goto cleanup;
    }
    size_t len = qpdf_get_buffer_length(q);
    const unsigned char *buf = qpdf_get_buffer(q);
    pk_buf_reset(doc);
    if (!buf || pk_buf_append(doc, buf, len)) rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    free(old);
    pk_buf_free(&xmp);
    qpdf_cleanup(&q);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const char *sniff(const pk_buf *b, const char *path)
{
    size_t head = PK_MIN(b->len, (size_t)1024);
    if (find_cs(b->data, head, 0, "%PDF-")) return "pdf";
    if (b->len >= 30 && memcmp(b->data, "PK\3\4", 4) == 0) {
        /* EPUB: the first entry is "mimetype" holding application/epub+zip */
        const unsigned char *u = (const unsigned char *)b->data;
        size_t nl = (size_t)u[26] | (size_t)u[27] << 8, el = (size_t)u[28] | (size_t)u[29] << 8;
        if (nl == 8 && b->len >= 30 + nl + el + 20 && memcmp(b->data + 30, "mimetype", 8) == 0 &&
            memcmp(b->data + 30 + nl + el, "application/epub+zip", 20) == 0)
            return "epub";
    }
    if (b->len >= 4 && memcmp(b->data, "PK\3\4", 4) == 0) return NULL;
    size_t look = PK_MIN(b->len, (size_t)8192);
    if (find_ci(b->data, look, 0, "<html") || find_ci(b->data, look, 0, "<head") ||
        find_ci(b->data, look, 0, "<!doctype html"))
        return "html";
    const char *dot = strrchr(path, '.');
    if (dot && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0 || strcasecmp(dot, ".xhtml") == 0))
        return "html";
    return NULL;
}

int pk_reserve_stamp(const char *in_path, const char *out_path, const pk_reserve_opts *o, const char **kind,
                     int *changed, pk_error *err)
{
    pk_buf doc, orig;
    pk_buf_init(&doc, STAMP_MAX);
    pk_buf_init(&orig, 0);
    *changed = 0;
    *kind = NULL;
    int rc = pk_reserve_opts_check(o, err);
    if (rc || (rc = read_all(in_path, &doc, err))) goto cleanup;
    if (pk_buf_putc(&doc, '\0')) goto nomem; /* text searches stop at a NUL */
    doc.len--;
    const char *k = sniff(&doc, in_path);
    if (!k) {
        rc = pk_fail(err, PK_EFORMAT, "%s: not HTML, EPUB or PDF", in_path);
        goto cleanup;
    }
    *kind = k;
    if (pk_buf_append(&orig, doc.data, doc.len)) goto nomem;
    if (strcmp(k, "html") == 0) rc = stamp_html(&doc, o, err);
    else if (strcmp(k, "epub") == 0) rc = stamp_epub(&doc, o, err);
    else rc = stamp_pdf(&doc, o, err);
    if (rc) {
        pk_error_prefix(err, "%s", in_path);
        goto cleanup;
    }
    *changed = doc.len != orig.len || memcmp(doc.data, orig.data, doc.len) != 0;
    if (*changed || strcmp(in_path, out_path) != 0) rc = pk_write_atomic(out_path, doc.data, doc.len, err);
    goto cleanup;
nomem:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    pk_buf_free(&doc);
    pk_buf_free(&orig);
    return rc;
}
