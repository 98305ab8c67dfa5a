/* text_block.h -- the block tokenizer, included by text.c once per vector
 * level.  Before including, text.c defines
 *   TB_FN        the name of the function to define (and TB_IMPL, of its
 *                body, instantiated with and without line numbers)
 *   TB_ATTR      its target attribute (empty for the baseline)
 *   TB_MASKS     void (const uint8_t *b, tb_masks *m, int lines): the
 *                class masks of b[0..64)
 *   TB_HASH16    uint64_t (const uint8_t *w, size_t len): the word hash of
 *                w[0..len), 1 <= len <= 16, lower-cased (w[0..16) readable)
 *   TB_LOWMASK   uint64_t (unsigned n): the n low bits set, n <= 64
 *   TB_READ      how many bytes from its start a block may read (>= 80)
 *   TB_UNI3      optional: void (const uint8_t *b, uint64_t *sep3,
 *                uint64_t *apos3), the first bytes of the three-byte
 *                sequences E2 80 xx (U+2000 .. U+203F) in b[0..64) that
 *                are punctuation or an apostrophe (U+2019); called for
 *                blocks with non-ASCII bytes
 *   TB_UNI2      uint64_t (const uint8_t *b, uint64_t x): the lead bytes
 *                of the two-byte letters of fold2 (text.c) in b[0..64),
 *                among the non-ASCII bytes x (b[64] readable); called for
 *                blocks with non-ASCII bytes (TB_FOLD instead, if defined)
 *   TB_HASHU     uint64_t (const uint8_t *w, unsigned len): the hash of a
 *                word with two-byte letters or apostrophes, as
 *                hash_block_word in text.c.  w[0..max(len + 1, 16)) is
 *                readable at every call: a word in a block starts before
 *                byte 64 of TB_READ (>= 80); a word carried from the
 *                block before starts before base, and blocks are read in
 *                place only while TB_READ bytes from base are there; the
 *                tail buffer holds 2 * TB_READ + 64 bytes, zeros after
 *                the text
 *   TB_BATCH     optional: void (const uint8_t *b, size_t base, uint64_t
 *                starts, uint64_t ends, uint64_t join, uint64_t uni,
 *                uint64_t nl, uint32_t line, pk_tok *out, unsigned c,
 *                int lines), writes the c words given by the masks, all
 *                starting in the block, when there is room for 32 tokens
 *                (uni: the bytes of two-byte letters, whose words it
 *                must fold)
 *   TB_BATCH_UNI optional: TB_BATCH is called only for blocks with
 *                two-byte letters (uni != 0)
 *   TB_HASHJ     optional, with TB_BATCH: uint64_t (const uint8_t *w,
 *                unsigned len, uint64_t skip), the hash of an ASCII word
 *                that is long or has joining apostrophes (the bits of
 *                skip), with what TB_HASHU may read; hash_ascii_slow
 *                (text.c) without it
 *   TB_FOLD      optional, with TB_BATCH_UNI: uint64_t (const uint8_t *b,
 *                uint64_t x, tb_fold *f), TB_UNI2 that also folds the
 *                block's letters into f, which TB_BATCH then takes as
 *                its last argument (one pass over the letters, not two)
 * and this file undefines them.
 *
 * The text goes by in blocks of 64 bytes, from a position between words.
 * In each block:
 *   e     word bytes: ASCII letters and digits, and apostrophes that join
 *         two of them ("don't");
 *   hard  bytes the masks cannot decide: non-ASCII bytes, an apostrophe
 *         after a letter and before a non-ASCII byte, a hyphen after a
 *         letter and before white space or a control byte (it may join a
 *         word across a line break).  Marking too many is safe: a hard
 *         byte only sends the scalar step there.
 * Two-byte letters that normalize one at a time (fold2 in text.c: the
 * Latin-1, Latin Extended, Greek and Cyrillic letters of French, German,
 * Russian, ...) are word bytes too (TB_UNI2): a word with one of them is
 * cut from the masks like any other and folded and hashed in one pass
 * (hash_block_word); a letter whose lead is the block's last byte lends
 * its second byte to the next block, which knows it from the word left
 * open (carry) and the lead byte before it (no state kept for it: a
 * variable more in the loop cost ASCII text a register spill).
 * With TB_UNI3, the commonest non-ASCII characters of English text (’ “ ”
 * – — …) are decided too: punctuation separates, and U+2019 joins two
 * letters as the ASCII apostrophe does.
 * Words that end before the first hard byte are cut from e and hashed
 * with no branch on the text; then the word that ends at the hard byte,
 * or the hard byte itself, takes one scalar step (scalar_step in text.c),
 * which defines tokens, so both agree by construction, and the blocks
 * start again after it.  Otherwise the next block is the next 64 bytes,
 * whatever the text: the loads of one block do not wait for the masks of
 * the one before (that chain cost a third of the time when each block
 * started at the word left open).  A word open at the end of a block is
 * carried (its start, whether it has an apostrophe) and written when it
 * ends in the next one; one that does not end there is 64 bytes or more
 * and takes the scalar step.  Every word the masks cut is shorter than
 * 128 bytes, so PK_TOK_MAXLEN never splits one of them.  The last
 * TB_READ bytes of the text (from the open word, if any) are copied into
 * a zero-padded buffer so that every load stays inside; a zero byte is a
 * separator. */

/* The hash of the word at b + ws, len bytes, that the masks cut: short
 * plain ASCII by TB_HASH16, anything else by the slow hashes. */
#ifdef TB_BATCH
#ifdef TB_HASHJ
#define TB_WORD_SLOW(ws, len) \
    (((uni >> (ws)) & TB_LOWMASK(len)) ? TB_HASHU(b + (ws), len) : TB_HASHJ(b + (ws), len, join >> (ws)))
#else
#define TB_WORD_SLOW(ws, len) \
    (((uni >> (ws)) & TB_LOWMASK(len)) ? TB_HASHU(b + (ws), len) : hash_ascii_slow(b + (ws), len, join >> (ws)))
#endif
#else
#define TB_WORD_SLOW(ws, len) TB_HASHU(b + (ws), len)
#endif
#define TB_WORD_HASH(ws, len)                                                                     \
    (__builtin_expect((len) > 16 || ((slow >> (ws)) & TB_LOWMASK(len)) != 0, 0) ? TB_WORD_SLOW(ws, len) \
                                                                               : TB_HASH16(b + (ws), len))

static TB_ATTR inline __attribute__((always_inline)) int TB_IMPL(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got,
                                                                 pk_error *err, const int lines)
{
    const uint8_t *s = t->s;
    const size_t n = t->n;
    size_t p = t->pos, k = 0;
    size_t base = p;       /* the block's first byte */
    size_t p0 = SIZE_MAX;  /* where the tail copy starts */
    uint64_t carry = 0;    /* a word is open at base ... */
    size_t cs = 0;         /* ... and starts there */
    uint64_t cjoin = 0;    /* ... with an apostrophe or a two-byte letter before base */
    uint64_t prevw = 0;    /* byte base - 1 is a letter */
    uint32_t line = t->line;
    uint8_t tail[2 * TB_READ + 64] __attribute__((aligned(64)));
#ifdef TB_FOLD
    tb_fold fold; /* the block folded by TB_FOLD, for TB_BATCH */
#endif

    while (k < cap) {
        if (base >= n && !carry) {
            p = n;
            break;
        }
        const uint8_t *b;
        if (base < n && n - base >= TB_READ) {
            b = s + base;
        } else {
            if (p0 == SIZE_MAX) {
                if (carry) {
                    /* Start the tail at the open word. */
                    base = cs;
                    carry = prevw = 0;
                }
                p0 = base;
                memset(tail, 0, sizeof tail);
                memcpy(tail, s + base, n - base);
            }
            b = tail + (base - p0);
        }
        tb_masks m;
        TB_MASKS(b, &m, lines);
        uint64_t uni = 0; /* the bytes of two-byte letters */
        if (__builtin_expect(m.x != 0, 0)) {
            /* byte 0 is the second of a letter whose lead ended the
             * block before (so its word is open: a lead there that was
             * not a letter was a hard byte) */
            const uint64_t pend = carry && b[-1] >= 0xC0;
#ifdef TB_FOLD
            const uint64_t ulead = TB_FOLD(b, m.x & ~pend, &fold);
#else
            const uint64_t ulead = TB_UNI2(b, m.x & ~pend);
#endif
            uni = ulead | ulead << 1 | pend;
            m.w |= uni;
            m.x &= ~uni;
            m.b &= ~uni;
        }
        /* Bit i of wp: byte i - 1 is a letter; of wn, xn, bn: byte i + 1
         * is a letter, non-ASCII, blank or control. */
        const uint64_t la = tb_next[b[64]];
        const uint64_t wp = m.w << 1 | prevw;
        const uint64_t wn = (m.w >> 1) | (la & 1) << 63;
        const uint64_t xn = (m.x >> 1) | ((la >> 1) & 1) << 63;
        const uint64_t bn = (m.b >> 1) | ((la >> 2) & 1) << 63;
        uint64_t join = m.a & wp & wn;
        uint64_t hard = m.x | (wp & ((m.a & xn) | (m.h & bn)));
#ifdef TB_UNI3
        if (__builtin_expect(m.x != 0, 0)) {
            /* E2 80 xx (only sequences wholly in the block are marked).
             * Leads are at least three apart, so x | x << 1 | x << 2
             * marks their bytes.  Bit i of wn >> 2 and xn >> 2: byte
             * i + 3, the one after the sequence. */
            uint64_t s3, q3;
            TB_UNI3(b, &s3, &q3);
            const uint64_t qj = q3 & wp & (wn >> 2);  /* between letters: joins */
            const uint64_t qh = q3 & wp & (xn >> 2);  /* before non-ASCII: undecided */
            const uint64_t qs = s3 | (q3 & ~qj & ~qh); /* separates */
            const uint64_t qjb = qj | qj << 1 | qj << 2, qsb = qs | qs << 1 | qs << 2;
            join |= qjb;
            hard = (m.x & ~(qjb | qsb)) | (wp & ((m.a & xn & ~(qsb >> 1)) | (m.h & bn)));
        }
#endif
        const uint64_t e = m.w | join;
        /* Words with these bytes are not plain ASCII (TB_HASHU).  Without
         * TB_BATCH, uni need not stay apart: all such words take
         * TB_HASHU, which drops apostrophes and folds letters itself (one
         * mask less kept in the loop: 2-4% on ASCII text for AVX2). */
#ifdef TB_BATCH
        const uint64_t slow = join | uni;
#else
        join |= uni;
        const uint64_t slow = join;
#endif
        const uint64_t ep = e << 1 | carry;
        uint64_t starts = e & ~ep;
        const uint64_t ends = ~e & ep; /* bit i: a word ended just before byte i */
        const unsigned hp = hard ? (unsigned)__builtin_ctzll(hard) : 64;
        uint64_t todo = ends & TB_LOWMASK(hp);
        size_t stop = SIZE_MAX; /* out of room after the word ending here */
        if (carry) {
            if (!todo) goto step_open; /* it ends at the hard byte, or is 64 bytes or longer */
            const unsigned we = (unsigned)__builtin_ctzll(todo);
            todo &= todo - 1;
            const unsigned len = (unsigned)(base + we - cs);
            const uint8_t *w = p0 == SIZE_MAX ? s + cs : tail + (cs - p0);
            if (__builtin_expect(len > 16 || cjoin || (slow & TB_LOWMASK(we)) != 0, 0))
                out[k].h = TB_HASHU(w, len);
            else
                out[k].h = TB_HASH16(w, len);
            out[k].off = cs;
            out[k].len = len;
            out[k].line = lines ? line : 0;
            carry = 0;
            if (++k == cap) stop = base + we;
        }
#ifdef TB_BATCH
#ifdef TB_BATCH_UNI
        if (todo && cap - k >= 32 && uni) {
#else
        if (todo && cap - k >= 32) {
#endif
            const unsigned c = (unsigned)__builtin_popcountll(todo);
            const unsigned last = 63 - (unsigned)__builtin_clzll(todo); /* the last word's end */
#ifdef TB_FOLD
            TB_BATCH(b, base, starts, todo, join, uni, m.n, line, out + k, c, lines, &fold);
#else
            TB_BATCH(b, base, starts, todo, join, uni, m.n, line, out + k, c, lines);
#endif
            k += c;
            starts &= ~TB_LOWMASK(last);
            todo = 0;
            if (k == cap) stop = base + last; /* full: 32 words in this block filled the last 32 places */
        }
#endif
        if (todo && stop == SIZE_MAX && cap - k >= 32) {
            /* Room for every word of the block (at most 32): no check
             * of the room a word, and length and line in one store
             * (bench/stages.c on Brown, alternating runs, ns a token: AVX2
             * 5.29-5.60 -> 5.26-5.48, SSE2 6.11-6.32 -> 5.76-6.02). */
            const unsigned last = 63 - (unsigned)__builtin_clzll(todo); /* the last word's end */
            do {
                const unsigned ws = (unsigned)__builtin_ctzll(starts);
                const unsigned we = (unsigned)__builtin_ctzll(todo);
                starts &= starts - 1;
                todo &= todo - 1;
                const unsigned len = we - ws;
                const uint32_t ln = lines ? line + (uint32_t)__builtin_popcountll(m.n & TB_LOWMASK(ws)) : 0;
                out[k].h = TB_WORD_HASH(ws, len);
                out[k].off = base + ws;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                const uint64_t ll = len | (uint64_t)ln << 32;
                memcpy(&out[k].len, &ll, 8); /* len, then line: pk_tok's layout, which text.c asserts */
#else
                out[k].len = len;
                out[k].line = ln;
#endif
                k++;
            } while (todo);
            if (k == cap) stop = base + last; /* full: go on after the last word */
        }
        while (todo && stop == SIZE_MAX) {
            const unsigned ws = (unsigned)__builtin_ctzll(starts);
            const unsigned we = (unsigned)__builtin_ctzll(todo);
            starts &= starts - 1;
            todo &= todo - 1;
            const unsigned len = we - ws;
            const uint64_t h = TB_WORD_HASH(ws, len);
            out[k].h = h;
            out[k].off = base + ws;
            out[k].len = len;
            out[k].line = lines ? line + (uint32_t)__builtin_popcountll(m.n & TB_LOWMASK(ws)) : 0;
            if (++k == cap) stop = base + we;
        }
        if (stop != SIZE_MAX) {
            /* Out of room: go on next time after the last word written. */
            if (lines) line += (uint32_t)__builtin_popcountll(m.n & TB_LOWMASK((unsigned)(stop - base)));
            p = stop;
            break;
        }
        if (hp < 64) {
            /* One scalar step at the hard byte, or at the start of the
             * word that ends there. */
            size_t q;
            if ((ends >> hp) & 1) {
                q = base + (unsigned)__builtin_ctzll(starts);
            } else {
                q = base + hp;
            }
            if (lines) line += (uint32_t)__builtin_popcountll(m.n & TB_LOWMASK((unsigned)(q - base)));
            p = q;
            goto step;
        }
        if (e >> 63) {
            const unsigned os = 63 - (unsigned)__builtin_clzll(starts);
            cs = base + os;
            cjoin = slow >> os;
            carry = 1;
        }
        prevw = m.w >> 63;
        if (lines) line += (uint32_t)__builtin_popcountll(m.n);
        base += 64;
        continue;
    step_open:
        p = cs; /* no newline between cs and base */
    step:;
        const size_t q = scalar_step(t, p, &line, out, &k, lines, err);
        if (q == SIZE_MAX) {
            t->pos = p;
            t->line = line;
            *got = k;
            return PK_EUTF8;
        }
        p = base = q;
        carry = prevw = 0;
    }
    t->pos = p;
    t->line = line;
    *got = k;
    return 0;
}

static TB_ATTR int TB_FN(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got, pk_error *err)
{
    if (t->flags & PK_TOK_NOLINES) return TB_IMPL(t, out, cap, got, err, 0);
    return TB_IMPL(t, out, cap, got, err, 1);
}

#undef TB_FN
#undef TB_IMPL
#undef TB_WORD_SLOW
#undef TB_WORD_HASH
#undef TB_ATTR
#undef TB_MASKS
#undef TB_HASH16
#undef TB_LOWMASK
#undef TB_READ
#undef TB_BATCH
#undef TB_BATCH_UNI
#undef TB_FOLD
#undef TB_HASHJ
#undef TB_UNI3
#undef TB_UNI2
#undef TB_HASHU
