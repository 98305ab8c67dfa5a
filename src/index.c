/* index.c -- the immutable fingerprint index, compiled from the registry.
 *
 * Built once from one consistent snapshot of the registry, written to a
 * temporary file and renamed into place (so a crash never leaves a
 * half-written index), then only read through mmap.  Layout, every
 * section 64-byte aligned, integers little-endian:
 *
 *   header    magic, parameters, registry identity and generation,
 *             counts, offsets
 *   works     one ix_work per work, in work-id order
 *   strings   NUL-terminated ids and titles
 *   sketch    16-bit hash per k-gram of every work (for alignment)
 *   lines     (token, line) u32 pairs per work
 *   entries   (hash, work, pos) sorted by hash, then work, then pos
 *   dir       2^dir_bits + 1 u32: first entry whose top bits are >= b
 *   bloom     split-block Bloom filter (256-bit blocks, 8 bits a key)
 *
 * A lookup tests the Bloom filter first (about 10 bits per distinct hash,
 * about 1% false positives), so most misses cost one cache line; a hit
 * reads one dir slot and a short run of entries.  Everything read from
 * the file is bounds-checked once in pk_index_open, so lookups need no
 * checks.  Nothing allocates after open except the caller's scanners. */
#include "pk.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IX_MAGIC "PKTIDX01"
#define IX_VERSION 2u
#define IX_ENDIAN 0x01020304u

typedef struct ix_header {
    char magic[8];
    uint32_t version, endian, k, w, scheme, dir_bits;
    int64_t generation;
    char uuid[32]; /* the registry's identity */
    uint64_t nworks, nentries, nuniq, bloom_blocks;
    uint64_t off_works, off_strings, off_sketch, off_lines, off_entries, off_dir, off_bloom;
    uint64_t size_strings, size_sketch, size_lines;
    uint64_t file_size;
} ix_header;

typedef struct ix_work {
    uint64_t id_off, title_off; /* into strings */
    uint64_t sketch_off;        /* in u16 units, into sketch */
    uint64_t lines_off;         /* in u32 units, into lines */
    uint32_t ntokens, nkg, nlines, rowid;
} ix_work;

struct pk_index {
    uint8_t *map;
    size_t size;
    const ix_header *h;
    const ix_work *works;
    const char *strings;
    const uint16_t *sketch;
    const uint32_t *lines;
    const pk_ix_entry *entries;
    const uint32_t *dir;
    const uint32_t *bloom;
    uint32_t dir_shift;
    uint64_t bloom_mask;
    int owned;               /* map is malloc'd (a delta), not mmap'd */
    int64_t max_rowid;       /* largest registry rowid among the works */
    /* Incremental updates: works registered after this index was compiled
     * live in a small delta compiled in memory when the index is opened;
     * works removed since are marked dead.  Work numbers: this index's
     * works first, then the delta's. */
    struct pk_index *delta;
    uint8_t *dead;
    uint32_t ndead;
};

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

/* ---- Bloom filter (split block, as in Parquet) ---------------------------- */

static const uint32_t bloom_salt[8] = {0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du,
                                       0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u};

static inline void bloom_add(uint32_t *bloom, uint64_t mask, uint64_t h)
{
    uint32_t *blk = bloom + 8 * ((h >> 32) & mask);
    uint32_t x = (uint32_t)h;
    for (int i = 0; i < 8; i++) blk[i] |= 1u << ((x * bloom_salt[i]) >> 27);
}

static inline int bloom_test(const uint32_t *bloom, uint64_t mask, uint64_t h)
{
    const uint32_t *blk = bloom + 8 * ((h >> 32) & mask);
    uint32_t x = (uint32_t)h;
    uint32_t miss = 0;
    for (int i = 0; i < 8; i++) miss |= ~blk[i] & (1u << ((x * bloom_salt[i]) >> 27));
    return miss == 0;
}

/* ---- lookups -------------------------------------------------------------- */

size_t pk_index_lookup(const pk_index *ix, uint64_t h, const pk_ix_entry **first)
{
    if (!bloom_test(ix->bloom, ix->bloom_mask, h)) return 0;
    uint64_t b = ix->dir_shift >= 64 ? 0 : h >> ix->dir_shift;
    uint32_t lo = ix->dir[b], hi = ix->dir[b + 1];
    const pk_ix_entry *e = ix->entries;
    /* Slots hold about two entries; a hash repeated thousands of times
     * (a phrase repeated in a work) makes one long slot: bisect it. */
    while (hi - lo > 16) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e[mid].hash < h) lo = mid + 1; else hi = mid;
    }
    hi = ix->dir[b + 1];
    while (lo < hi && e[lo].hash < h) lo++;
    uint32_t s = lo;
    if (hi - lo > 16) {
        uint32_t l2 = lo, h2 = hi;
        while (l2 < h2) {
            uint32_t mid = l2 + (h2 - l2) / 2;
            if (e[mid].hash <= h) l2 = mid + 1; else h2 = mid;
        }
        lo = l2;
    } else {
        while (lo < hi && e[lo].hash == h) lo++;
    }
    *first = e + s;
    return lo - s;
}

void pk_index_prefetch(const pk_index *ix, uint64_t h)
{
    __builtin_prefetch(ix->bloom + 8 * ((h >> 32) & ix->bloom_mask));
}

uint32_t pk_index_nworks(const pk_index *ix)
{
    return (uint32_t)ix->h->nworks + (ix->delta ? (uint32_t)ix->delta->h->nworks : 0);
}

uint32_t pk_index_delta_base(const pk_index *ix) { return (uint32_t)ix->h->nworks; }
const pk_index *pk_index_delta(const pk_index *ix) { return ix->delta; }
int pk_index_work_dead(const pk_index *ix, uint32_t w) { return ix->dead && w < ix->h->nworks && ix->dead[w]; }

void pk_index_get_params(const pk_index *ix, pk_params *out)
{
    out->k = ix->h->k;
    out->w = ix->h->w;
    out->scheme = ix->h->scheme;
}

/* Work w of the whole index: this part's, or the delta's. */
#define PART(ix, w) ((ix)->delta && (w) >= (ix)->h->nworks ? ((w) -= (uint32_t)(ix)->h->nworks, (ix)->delta) : (ix))

const char *pk_index_work_id(const pk_index *ix, uint32_t w)
{
    const pk_index *p = PART(ix, w);
    return p->strings + p->works[w].id_off;
}

const char *pk_index_work_title(const pk_index *ix, uint32_t w)
{
    const pk_index *p = PART(ix, w);
    return p->strings + p->works[w].title_off;
}

uint32_t pk_index_work_tokens(const pk_index *ix, uint32_t w)
{
    const pk_index *p = PART(ix, w);
    return p->works[w].ntokens;
}

uint64_t pk_index_size(const pk_index *ix) { return ix->size + (ix->delta ? ix->delta->size : 0); }

const uint16_t *pk_index_work_sketch(const pk_index *ix, uint32_t w, uint32_t *nkg)
{
    const pk_index *p = PART(ix, w);
    *nkg = p->works[w].nkg;
    return p->sketch + p->works[w].sketch_off;
}

uint32_t pk_index_work_line(const pk_index *ix, uint32_t w, uint32_t token)
{
    const pk_index *p = PART(ix, w);
    const ix_work *wk = &p->works[w];
    const uint32_t *l = p->lines + wk->lines_off;
    uint32_t lo = 0, hi = wk->nlines;
    if (hi == 0) return 1;
    /* Last pair whose token is <= token. */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[2 * mid] <= token) lo = mid; else hi = mid;
    }
    return l[2 * lo + 1];
}

/* ---- open ----------------------------------------------------------------- */

void pk_index_close(pk_index *ix)
{
    if (!ix) return;
    pk_index_close(ix->delta);
    free(ix->dead);
    if (ix->map) {
        if (ix->owned) free(ix->map);
        else munmap(ix->map, ix->size);
    }
    free(ix);
}

static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Check every count and offset of the index at ix->map (ix->size bytes)
 * and set the section pointers.  name is for messages. */
static int attach(pk_index *ix, const char *name, pk_error *err)
{
    int rc = 0;
    const char *path = name;
    if (ix->size < sizeof(ix_header)) { rc = pk_fail(err, PK_ECORRUPT, "%s: index truncated", path); goto fail; }
    const ix_header *h = ix->h = (const ix_header *)(const void *)ix->map;
    uint64_t sz = ix->size;
#define BAD(...) do { rc = pk_fail(err, PK_ECORRUPT, __VA_ARGS__); goto fail; } while (0)
    if (memcmp(h->magic, IX_MAGIC, 8) != 0) BAD("%s: not a picket index", path);
    if (h->version != IX_VERSION || h->endian != IX_ENDIAN) BAD("%s: index version %u not readable here", path, h->version);
    if (h->file_size != sz) BAD("%s: index truncated (%llu of %llu bytes)", path, (unsigned long long)sz, (unsigned long long)h->file_size);
    /* Counts are bounded by the file size before any is multiplied, so no
     * product below can wrap. */
    if (h->nworks > UINT32_MAX || h->nentries > UINT32_MAX - 1 || h->dir_bits > 30 ||
        h->bloom_blocks == 0 || (h->bloom_blocks & (h->bloom_blocks - 1)) || h->nworks > sz / sizeof(ix_work) ||
        h->nentries > sz / sizeof(pk_ix_entry) || h->size_sketch > sz / 2 || h->size_lines > sz / 4 ||
        h->bloom_blocks > sz / 32 || h->size_strings > sz)
        BAD("%s: index header damaged", path);
    if (!in_file(h->off_works, h->nworks * sizeof(ix_work), sz) ||
        !in_file(h->off_strings, h->size_strings, sz) || h->size_strings == 0 ||
        !in_file(h->off_sketch, h->size_sketch * 2, sz) || !in_file(h->off_lines, h->size_lines * 4, sz) ||
        !in_file(h->off_entries, h->nentries * sizeof(pk_ix_entry), sz) ||
        !in_file(h->off_dir, (((uint64_t)1 << h->dir_bits) + 1) * 4, sz) ||
        !in_file(h->off_bloom, h->bloom_blocks * 32, sz) ||
        (h->off_works | h->off_sketch | h->off_lines | h->off_entries | h->off_dir | h->off_bloom) & 63)
        BAD("%s: index sections out of bounds", path);
    ix->works = (const ix_work *)(ix->map + h->off_works);
    ix->strings = (const char *)(ix->map + h->off_strings);
    ix->sketch = (const uint16_t *)(ix->map + h->off_sketch);
    ix->lines = (const uint32_t *)(ix->map + h->off_lines);
    ix->entries = (const pk_ix_entry *)(ix->map + h->off_entries);
    ix->dir = (const uint32_t *)(ix->map + h->off_dir);
    ix->bloom = (const uint32_t *)(ix->map + h->off_bloom);
    ix->dir_shift = 64 - h->dir_bits;
    ix->bloom_mask = h->bloom_blocks - 1;
    if (ix->strings[h->size_strings - 1] != 0) BAD("%s: index strings damaged", path);
    for (uint64_t i = 0; i < h->nworks; i++) {
        const ix_work *w = &ix->works[i];
        if (w->id_off >= h->size_strings || w->title_off >= h->size_strings ||
            w->sketch_off > h->size_sketch || w->nkg > h->size_sketch - w->sketch_off ||
            w->lines_off > h->size_lines || (uint64_t)w->nlines * 2 > h->size_lines - w->lines_off ||
            (w->ntokens && w->nkg > w->ntokens))
            BAD("%s: index work %llu damaged", path, (unsigned long long)i);
    }
    uint64_t nd = (uint64_t)1 << h->dir_bits;
    for (uint64_t b = 0; b <= nd; b++)
        if (ix->dir[b] > h->nentries || (b && ix->dir[b] < ix->dir[b - 1])) BAD("%s: index directory damaged", path);
    if (ix->dir[nd] != h->nentries) BAD("%s: index directory damaged", path);
    for (uint64_t i = 0; i < h->nentries; i++) {
        const pk_ix_entry *e = &ix->entries[i];
        if (e->work >= h->nworks || e->pos >= ix->works[e->work].nkg || (i && e->hash < ix->entries[i - 1].hash))
            BAD("%s: index entry %llu damaged", path, (unsigned long long)i);
    }
#undef BAD
    ix->max_rowid = 0;
    for (uint64_t i = 0; i < h->nworks; i++)
        if (ix->works[i].rowid > ix->max_rowid) ix->max_rowid = ix->works[i].rowid;
    return 0;
fail:
    return rc;
}

/* Map and validate an index file.  PK_ENOTFOUND if it does not exist. */
static int map_index(pk_index **out, const char *path, pk_error *err);

int pk_index_open_file(pk_index **out, const char *path, pk_error *err)
{
    return map_index(out, path, err);
}

static int map_index(pk_index **out, const char *path, pk_error *err)
{
    int rc = 0;
    *out = NULL;
    pk_index *ix = calloc(1, sizeof *ix);
    if (!ix) return pk_fail(err, PK_ENOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? pk_fail(err, PK_ENOTFOUND, "%s: no index", path)
                             : pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) { rc = pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno)); close(fd); goto fail; }
    if ((uint64_t)st.st_size < sizeof(ix_header)) {
        close(fd);
        rc = pk_fail(err, PK_ECORRUPT, "%s: index truncated (%lld bytes)", path, (long long)st.st_size);
        goto fail;
    }
    ix->size = (size_t)st.st_size;
    void *m = mmap(NULL, ix->size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) { rc = pk_fail(err, PK_EIO, "%s: mmap: %s", path, strerror(errno)); goto fail; }
    ix->map = m;
    if ((rc = attach(ix, path, err))) goto fail;
    *out = ix;
    return 0;
fail:
    pk_index_close(ix);
    return rc;
}


/* ---- compile -------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    const pk_ix_entry *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    if (x->work != y->work) return x->work < y->work ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

typedef struct rowmap {
    int64_t rowid;
    uint32_t idx;
} rowmap;

static int cmp_rowmap(const void *a, const void *b)
{
    const rowmap *x = a, *y = b;
    return (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_at(int fd, uint64_t off, const void *p, size_t n)
{
    if (lseek(fd, (off_t)off, SEEK_SET) < 0) return -1;
    return write_all(fd, p, n);
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Compile the works with rowid >= min_rowid (all: 0) into idx_path, or,
 * when idx_path is NULL, into a malloc'd buffer *mem of *memsize bytes.
 * Reads in one transaction of its own unless the caller holds one. */
static int compile_index(pk_registry *r, int64_t min_rowid, const char *idx_path, uint8_t **mem, size_t *memsize,
                         pk_error *err)
{
    int rc = 0, fd = -1, in_tx = 0;
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    ix_work *works = NULL;
    rowmap *rm = NULL;
    pk_ix_entry *ent = NULL;
    uint32_t *dir = NULL, *bloom = NULL;
    pk_buf strings, sketch, lines;
    char *tmp = NULL;
    pk_buf_init(&strings, 0);
    pk_buf_init(&sketch, 0);
    pk_buf_init(&lines, 0);
    ix_header h;
    memset(&h, 0, sizeof h);
    pk_params p;
    pk_registry_get_params(r, &p);

#define DBFAIL(what) do { rc = pk_fail(err, PK_EDB, "%s: %s: %s", pk_registry_path(r), what, sqlite3_errmsg(db)); goto done; } while (0)
#define NOMEM() do { rc = pk_fail(err, PK_ENOMEM, "out of memory compiling index"); goto done; } while (0)
    /* One read transaction: a consistent snapshot even while others write. */
    if (sqlite3_get_autocommit(db)) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) DBFAIL("begin");
        in_tx = 1;
    }
    if ((rc = pk_registry_generation(r, &h.generation, err))) goto done;
    char uuid[33];
    if ((rc = pk_registry_uuid(r, uuid, err))) goto done;
    memcpy(h.uuid, uuid, strlen(uuid));

    sqlite3_int64 nworks = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM works WHERE rowid >= ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, min_rowid) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        DBFAIL("counting works");
    nworks = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    works = calloc((size_t)nworks + 1, sizeof *works);
    rm = calloc((size_t)nworks + 1, sizeof *rm);
    if (!works || !rm) NOMEM();
    if (pk_buf_putc(&strings, 0)) NOMEM(); /* offset 0: empty string */

    if (sqlite3_prepare_v2(db, "SELECT rowid,id,title,tokens,sketch,lines FROM works WHERE rowid >= ?1 ORDER BY id", -1,
                           &st, NULL) != SQLITE_OK)
        DBFAIL("reading works");
    sqlite3_bind_int64(st, 1, min_rowid);
    uint32_t nw = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (nw >= (uint64_t)nworks) break; /* cannot happen inside one transaction */
        ix_work *w = &works[nw];
        rm[nw].rowid = sqlite3_column_int64(st, 0);
        rm[nw].idx = nw;
        w->rowid = (uint32_t)rm[nw].rowid;
        const char *id = (const char *)sqlite3_column_text(st, 1);
        const char *title = (const char *)sqlite3_column_text(st, 2);
        w->id_off = strings.len;
        if (pk_buf_append(&strings, id ? id : "", strlen(id ? id : "") + 1)) NOMEM();
        w->title_off = strings.len;
        if (pk_buf_append(&strings, title ? title : "", strlen(title ? title : "") + 1)) NOMEM();
        w->ntokens = (uint32_t)sqlite3_column_int64(st, 3);
        const uint8_t *sk = sqlite3_column_blob(st, 4);
        size_t skn = (size_t)sqlite3_column_bytes(st, 4);
        w->sketch_off = sketch.len / 2;
        w->nkg = (uint32_t)(skn / 2);
        for (size_t i = 0; i + 1 < skn; i += 2) {
            uint16_t v = (uint16_t)(sk[i] | sk[i + 1] << 8);
            if (pk_buf_append(&sketch, &v, 2)) NOMEM();
        }
        const uint8_t *ln = sqlite3_column_blob(st, 5);
        size_t lnn = (size_t)sqlite3_column_bytes(st, 5) / 8;
        w->lines_off = lines.len / 4;
        w->nlines = (uint32_t)lnn;
        for (size_t i = 0; i < 2 * lnn; i++) {
            uint32_t v = le32(ln + 4 * i);
            if (pk_buf_append(&lines, &v, 4)) NOMEM();
        }
        nw++;
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE) DBFAIL("reading works");
    sqlite3_finalize(st);
    st = NULL;
    qsort(rm, nw, sizeof *rm, cmp_rowmap);

    sqlite3_int64 nfp = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM fingerprints WHERE work >= ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, min_rowid) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        DBFAIL("counting fingerprints");
    nfp = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if ((uint64_t)nfp >= UINT32_MAX) { rc = pk_fail(err, PK_ETOOBIG, "more than 2^32 fingerprints"); goto done; }
    ent = malloc(((size_t)nfp + 1) * sizeof *ent);
    if (!ent) NOMEM();
    if (sqlite3_prepare_v2(db, "SELECT work,hash,pos FROM fingerprints WHERE work >= ?1", -1, &st, NULL) != SQLITE_OK)
        DBFAIL("reading fingerprints");
    sqlite3_bind_int64(st, 1, min_rowid);
    size_t ne = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW && ne < (size_t)nfp) {
        rowmap key = {sqlite3_column_int64(st, 0), 0};
        rowmap *m = bsearch(&key, rm, nw, sizeof *rm, cmp_rowmap);
        if (!m) continue; /* orphan row: ignore */
        uint32_t pos = (uint32_t)sqlite3_column_int64(st, 2);
        if (pos >= works[m->idx].nkg) continue;
        ent[ne].hash = (uint64_t)sqlite3_column_int64(st, 1);
        ent[ne].work = m->idx;
        ent[ne].pos = pos;
        ne++;
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE) DBFAIL("reading fingerprints");
    sqlite3_finalize(st);
    st = NULL;
    if (in_tx) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    in_tx = 0;

    qsort(ent, ne, sizeof *ent, cmp_entry);
    uint64_t nuniq = 0;
    for (size_t i = 0; i < ne; i++) nuniq += (i == 0 || ent[i].hash != ent[i - 1].hash);

    /* Directory: about two entries a slot. */
    uint32_t bits = 8;
    while (bits < 30 && ((uint64_t)1 << bits) < ne / 2) bits++;
    size_t nd = (size_t)1 << bits;
    dir = malloc((nd + 1) * sizeof *dir);
    if (!dir) NOMEM();
    size_t e = 0;
    for (size_t b = 0; b < nd; b++) {
        while (e < ne && (ent[e].hash >> (64 - bits)) < b) e++;
        dir[b] = (uint32_t)e;
    }
    dir[nd] = (uint32_t)ne;

    /* Bloom filter: about 10 bits a distinct hash, power-of-two blocks. */
    uint64_t blocks = 1;
    while (blocks * 256 < nuniq * 10) blocks *= 2;
    bloom = calloc(blocks * 8, sizeof *bloom);
    if (!bloom) NOMEM();
    for (size_t i = 0; i < ne; i++) bloom_add(bloom, blocks - 1, ent[i].hash);

    memcpy(h.magic, IX_MAGIC, 8);
    h.version = IX_VERSION;
    h.endian = IX_ENDIAN;
    h.k = p.k;
    h.w = p.w;
    h.scheme = p.scheme;
    h.dir_bits = bits;
    h.nworks = nw;
    h.nentries = ne;
    h.nuniq = nuniq;
    h.bloom_blocks = blocks;
    uint64_t off = align64(sizeof h);
    h.off_works = off; off = align64(off + nw * sizeof(ix_work));
    h.off_strings = off; h.size_strings = strings.len; off = align64(off + strings.len);
    h.off_sketch = off; h.size_sketch = sketch.len / 2; off = align64(off + sketch.len);
    h.off_lines = off; h.size_lines = lines.len / 4; off = align64(off + lines.len);
    h.off_entries = off; off = align64(off + ne * sizeof *ent);
    h.off_dir = off; off = align64(off + (nd + 1) * 4);
    h.off_bloom = off; off += blocks * 32;
    h.file_size = off;

    if (!idx_path) {
        uint8_t *b = calloc(1, (size_t)h.file_size);
        if (!b) NOMEM();
        memcpy(b, &h, sizeof h);
        memcpy(b + h.off_works, works, nw * sizeof(ix_work));
        memcpy(b + h.off_strings, strings.data, strings.len);
        if (sketch.len) memcpy(b + h.off_sketch, sketch.data, sketch.len);
        if (lines.len) memcpy(b + h.off_lines, lines.data, lines.len);
        if (ne) memcpy(b + h.off_entries, ent, ne * sizeof *ent);
        memcpy(b + h.off_dir, dir, (nd + 1) * 4);
        memcpy(b + h.off_bloom, bloom, blocks * 32);
        *mem = b;
        *memsize = (size_t)h.file_size;
        goto done;
    }
    size_t tl = strlen(idx_path) + 32;
    tmp = malloc(tl);
    if (!tmp) NOMEM();
    snprintf(tmp, tl, "%s.%ld.tmp", idx_path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { rc = pk_fail(err, PK_EIO, "%s: cannot write index: %s", tmp, strerror(errno)); goto done; }
    if (ftruncate(fd, (off_t)h.file_size) != 0 || write_at(fd, 0, &h, sizeof h) ||
        write_at(fd, h.off_works, works, nw * sizeof(ix_work)) ||
        write_at(fd, h.off_strings, strings.data, strings.len) ||
        (sketch.len && write_at(fd, h.off_sketch, sketch.data, sketch.len)) ||
        (lines.len && write_at(fd, h.off_lines, lines.data, lines.len)) ||
        (ne && write_at(fd, h.off_entries, ent, ne * sizeof *ent)) ||
        write_at(fd, h.off_dir, dir, (nd + 1) * 4) || write_at(fd, h.off_bloom, bloom, blocks * 32) ||
        fsync(fd) != 0) {
        rc = pk_fail(err, PK_EIO, "%s: writing index: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) { fd = -1; rc = pk_fail(err, PK_EIO, "%s: %s", tmp, strerror(errno)); goto done; }
    fd = -1;
    if (rename(tmp, idx_path) != 0) { rc = pk_fail(err, PK_EIO, "%s: %s", idx_path, strerror(errno)); goto done; }
done:
    if (fd >= 0) close(fd);
    if (rc && tmp) unlink(tmp);
    sqlite3_finalize(st);
    if (in_tx) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(tmp);
    free(works);
    free(rm);
    free(ent);
    free(dir);
    free(bloom);
    pk_buf_free(&strings);
    pk_buf_free(&sketch);
    pk_buf_free(&lines);
    return rc;
#undef DBFAIL
#undef NOMEM
}

int pk_index_compile(pk_registry *r, const char *idx_path, pk_error *err)
{
    return compile_index(r, 0, idx_path, NULL, NULL, err);
}

/* The base index is of this registry but older: mark the works removed
 * since, and compile the works added since into an in-memory delta, when
 * both are small next to the base.  Returns 1 when a full rebuild is
 * better.  Everything is read in one transaction. */
#define DELTA_MAX_FRACTION 4 /* a delta of up to a quarter of the base */
static int open_delta(pk_registry *r, pk_index *ix, pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    int64_t *rowids = NULL;
    size_t nrow = 0, cap = 0;
    int rc = 0;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return 1;
    /* "Added since" is "rowid above the file's largest" only if rowids are
     * never reused: a works table made without AUTOINCREMENT (by an older
     * picket) can reuse the largest one, so such a registry rebuilds. */
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type='table' AND name='works'"
                           " AND sql LIKE '%AUTOINCREMENT%'",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = 1;
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    /* A registry restored from a backup older than the index file would
     * hand out rowids the file already uses: its sequence falls below the
     * file's largest rowid.  Rebuild then. */
    if (sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name='works'", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) < ix->max_rowid) {
        rc = 1;
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    /* Works of the base still registered, in rowid order. */
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM works WHERE rowid <= ?1 ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
        rc = 1;
        goto done;
    }
    sqlite3_bind_int64(st, 1, ix->max_rowid);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrow == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            int64_t *nr = realloc(rowids, nc * sizeof *nr);
            if (!nr) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
            rowids = nr;
            cap = nc;
        }
        rowids[nrow++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE) { rc = 1; goto done; } /* a partial list would mark live works dead */
    sqlite3_finalize(st);
    st = NULL;
    uint32_t nb = (uint32_t)ix->h->nworks;
    ix->dead = calloc((size_t)nb + 1, 1);
    if (!ix->dead) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (uint32_t w = 0; w < nb; w++) {
        int64_t key = ix->works[w].rowid;
        size_t lo = 0, hi = nrow;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (rowids[mid] < key) lo = mid + 1; else hi = mid;
        }
        if (lo == nrow || rowids[lo] != key) { ix->dead[w] = 1; ix->ndead++; }
    }
    /* Fingerprints of the works added since. */
    int64_t added = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM fingerprints WHERE work > ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, ix->max_rowid) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        rc = 1;
        goto done;
    }
    added = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if ((uint64_t)added > ix->h->nentries / DELTA_MAX_FRACTION || ix->ndead > nb / DELTA_MAX_FRACTION) {
        rc = 1;
        goto done;
    }
    uint8_t *mem = NULL;
    size_t memsize = 0;
    if ((rc = compile_index(r, ix->max_rowid + 1, NULL, &mem, &memsize, err))) goto done;
    pk_index *d = calloc(1, sizeof *d);
    if (!d) { free(mem); rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    d->map = mem;
    d->size = memsize;
    d->owned = 1;
    if ((rc = attach(d, "delta index", err))) { pk_index_close(d); goto done; }
    if (d->h->nworks == 0) pk_index_close(d); /* only removals */
    else ix->delta = d;
done:
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(rowids);
    if (rc) {
        free(ix->dead);
        ix->dead = NULL;
        ix->ndead = 0;
    }
    return rc;
}

int pk_index_open(pk_index **out, const char *db_path, pk_error *err)
{
    int rc;
    pk_registry *r = NULL;
    pk_index *ix = NULL;
    char *ipath = NULL;
    *out = NULL;
    if (access(db_path, F_OK) != 0)
        return pk_fail(err, PK_ENOTFOUND, "%s: no registry (register works first, or give --db)", db_path);
    if ((rc = pk_registry_open(&r, db_path, PK_REG_READONLY, NULL, err))) return rc;
    int64_t gen;
    if ((rc = pk_registry_generation(r, &gen, err))) goto done;
    char uuid[33], iu[32];
    if ((rc = pk_registry_uuid(r, uuid, err))) goto done;
    memset(iu, 0, sizeof iu);
    memcpy(iu, uuid, strlen(uuid));
    size_t n = strlen(db_path) + 8;
    ipath = malloc(n);
    if (!ipath) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    snprintf(ipath, n, "%s.pkx", db_path);
    pk_params p;
    pk_registry_get_params(r, &p);
    pk_error e2;
    rc = map_index(&ix, ipath, &e2);
    if (rc == 0 && (memcmp(ix->h->uuid, iu, sizeof iu) != 0 || ix->h->k != p.k || ix->h->w != p.w ||
                    ix->h->scheme != p.scheme || ix->h->generation > gen)) {
        pk_index_close(ix);
        ix = NULL;
        rc = PK_ENOTFOUND;
    }
    if (rc == 0 && ix->h->generation != gen) {
        /* Changed since: a delta for a few works, a rebuild for many. */
        int d = open_delta(r, ix, err);
        if (d < 0) { rc = d; goto done; }
        if (d > 0) {
            pk_index_close(ix);
            ix = NULL;
            rc = PK_ENOTFOUND;
        }
    }
    if (rc) {
        /* Missing, stale or damaged: rebuild from the registry. */
        if ((rc = pk_index_compile(r, ipath, err)) == 0) rc = map_index(&ix, ipath, err);
    }
done:
    free(ipath);
    pk_registry_close(r);
    if (rc == 0) *out = ix;
    else pk_index_close(ix);
    return rc;
}
