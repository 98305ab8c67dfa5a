/* index.c -- the immutable fingerprint index, compiled from the registry.
 *
 * Built once from one consistent snapshot of the registry, written to a
 * temporary file and renamed into place (so a crash never leaves a
 * half-written index), then only read through mmap.  Layout, every
 * section 64-byte aligned, integers little-endian:
 *
 *   header    magic, parameters, registry identity and generation,
 *             counts, offsets
 *   works     one ix_work per work, in work-id order: id, title, rowid,
 *             token and k-gram counts, and kg_base, the work's first
 *             k-gram in one position space shared by all works
 *   strings   NUL-terminated ids and titles
 *   entries   7 bytes each, grouped into buckets by the top dir_bits of
 *             the fingerprint's key (the hash remixed, see ix_key),
 *             sorted inside a bucket
 *   dir       2^dir_bits + 1 u32: the first entry of each bucket
 *   bloom     split-block Bloom filter (256-bit blocks, 10 bits a key)
 *
 * An entry is one 56-bit integer, from the top bit down:
 *   frag  the frag_bits key bits below the bucket bits (with the bucket,
 *         dir_bits + frag_bits bits of the key are checked);
 *   pos   the k-gram's global position (kg_base of its work plus its
 *         k-gram index in the work), pos_bits wide;
 *   nb    a neighbour check: 8 bits of the sketch of the k-gram k places
 *         before, and 8 of the one k places after (0 when outside the work).
 * Sorting entries as integers sorts by hash fragment, then position, so
 * the postings of one hash are consecutive and in work order, and a work's
 * postings are one run (bisected, not walked, when a phrase repeats).
 *
 * Size: about 0.104 fingerprints a registered word (winnowing keeps about
 * 2 / (w + 1) of the k-grams), so entries take 0.73 bytes a word, the
 * Bloom filter 0.13, the directory (8 to 16 entries a bucket) 0.03 to
 * 0.05, the works table 0.02 for 2,000-word works: under one byte a
 * registered word.  The 16-bit alignment sketch (2 bytes a
 * word) and the line map stay in the registry; the scanner reads them for
 * the few works a document has seeds in (scan.c), and the neighbour check
 * keeps chance seeds from getting that far.
 *
 * A lookup tests the Bloom filter first (about 1% false positives), so
 * most misses cost one cache line; a hit reads one dir slot and a bucket.
 * Opening checks the header, the sections and every work (O(works), not
 * O(entries), so a 2 GB index opens without reading it); lookups clamp
 * every directory slot and position they read, so a damaged file can give
 * wrong postings but never a read outside the mapping. */
#include "pk.h"
#include "simd.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IX_MAGIC "PKTIDX01"
#define IX_VERSION 4u /* 4: the registry's state in the header */
#define IX_ENDIAN 0x01020304u
#define IX_ENTRY 7          /* bytes an entry */
#define IX_VALUE_BITS 56
#define IX_NB_BITS 16
#define IX_MIN_FRAG 4       /* the fewest hash bits an entry keeps */
#define IX_BUCKET 16        /* entries a directory slot, at most on average */
#define IX_BLOOM_BITS 10    /* Bloom filter bits a key */

typedef struct ix_header {
    char magic[8];
    uint32_t version, endian, k, w, scheme, dir_bits, pos_bits, frag_bits;
    int64_t generation;
    char uuid[32]; /* the registry's identity */
    uint64_t nworks, nentries, nkg, bloom_blocks;
    uint64_t off_works, off_strings, off_entries, off_dir, off_bloom;
    uint64_t size_strings;
    uint64_t file_size;
    char state[32]; /* the registry's state when compiled (pk_registry_state) */
} ix_header;

typedef struct ix_work {
    uint64_t id_off, title_off; /* into strings */
    uint64_t kg_base;           /* first k-gram in the global position space */
    int64_t rowid;
    uint32_t ntokens, nkg;
} ix_work;

struct pk_index {
    uint8_t *map;
    size_t size;
    const ix_header *h;
    const ix_work *works;
    const char *strings;
    const uint8_t *entries;
    const uint32_t *dir;
    const uint32_t *bloom;
    uint32_t dir_shift, frag_shift, pos_shift;
    uint64_t frag_mask, pos_mask, bloom_blocks;
    int owned;               /* map is malloc'd (a delta), not mmap'd */
    int64_t max_rowid;       /* largest registry rowid among the works */
    char *db_path;           /* the registry, for sketches and line maps */
    uint32_t *wslot;         /* work_of's table, nwslot slots */
    uint64_t nwslot;
    uint32_t wshift;
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

/* Block of hash h among n blocks: multiply-shift, so the filter is sized
 * to the key count, not rounded up to a power of two (that cost up to
 * 0.13 byte a registered word). */
static inline uint64_t bloom_block(uint64_t n, uint64_t h) { return ((h >> 32) * n) >> 32; }

static inline void bloom_add(uint32_t *bloom, uint64_t n, uint64_t h)
{
    uint32_t *blk = bloom + 8 * bloom_block(n, h);
    uint32_t x = (uint32_t)h;
    for (int i = 0; i < 8; i++) blk[i] |= 1u << ((x * bloom_salt[i]) >> 27);
}

static inline int bloom_test(const uint32_t *bloom, uint64_t n, uint64_t h)
{
    const uint32_t *blk = bloom + 8 * bloom_block(n, h);
    uint32_t x = (uint32_t)h;
    uint32_t miss = 0;
    for (int i = 0; i < 8; i++) miss |= ~blk[i] & (1u << ((x * bloom_salt[i]) >> 27));
    return miss == 0;
}

/* ---- entries -------------------------------------------------------------- */

/* The entry value at index i.  The entries section is followed by at least
 * one byte of the directory, so the 8-byte load stays in the mapping. */
static inline uint64_t entry_at(const pk_index *ix, size_t i)
{
    uint64_t v;
    memcpy(&v, ix->entries + i * IX_ENTRY, 8);
    return v & (((uint64_t)1 << IX_VALUE_BITS) - 1);
}

static inline uint64_t entry_frag(const pk_index *ix, uint64_t v) { return v >> ix->frag_shift; }
static inline uint64_t entry_pos(const pk_index *ix, uint64_t v) { return (v >> IX_NB_BITS) & ix->pos_mask; }

/* The work holding global position pos (< h->nkg): the last work whose
 * kg_base is <= pos (works tile the position space in order).  A table
 * of the work at every 2^wshift-th position narrows the bisection to a
 * work or two (a plain bisection over 10,000 works was 5% of a scan). */
static uint32_t work_bisect(const pk_index *ix, uint64_t pos, uint32_t lo, uint32_t hi)
{
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix->works[mid].kg_base <= pos) lo = mid; else hi = mid;
    }
    return lo;
}

static inline uint32_t work_of(const pk_index *ix, uint64_t pos)
{
    uint64_t slot = pos >> ix->wshift;
    uint32_t lo = ix->wslot[slot];
    uint32_t hi = slot + 1 < ix->nwslot ? ix->wslot[slot + 1] + 1 : (uint32_t)ix->h->nworks;
    return work_bisect(ix, pos, lo, hi);
}

/* ---- lookups -------------------------------------------------------------- */

/* Fingerprints are the minima of their windows, so their top bits are
 * mostly zero (the minimum of 18 uniform values is below 1/16 of the range
 * two times in three): bucketed or filtered by those bits, they piled into
 * the first buckets and Bloom blocks (measured: 12% false positives at 10
 * bits a key, buckets of hundreds).  Everything in the index is keyed by
 * this bijective remix instead, whose bits are all uniform. */
static inline uint64_t ix_key(uint64_t h)
{
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

size_t pk_index_lookup(const pk_index *ix, uint64_t h, size_t *first)
{
    *first = 0;
    h = ix_key(h);
    if (!bloom_test(ix->bloom, ix->bloom_blocks, h)) return 0;
    const uint64_t b = ix->dir_shift >= 64 ? 0 : h >> ix->dir_shift;
    const uint64_t want = (h >> (ix->dir_shift - ix->h->frag_bits)) & ix->frag_mask;
    size_t lo = ix->dir[b], hi = ix->dir[b + 1];
    if (hi > ix->h->nentries) hi = (size_t)ix->h->nentries; /* damaged: clamp */
    if (lo >= hi) return 0;
    /* Fragments are uniform inside a bucket: start where want would sit,
     * then walk, so a lookup reads about one cache line of the bucket.  A
     * hash repeated thousands of times (a phrase repeated in a work) makes
     * a long run: after 16 steps, bisect. */
    const uint32_t fb = ix->h->frag_bits;
    const uint64_t t = fb > 20 ? want >> (fb - 20) : want << (20 - fb);
    size_t g = lo + (size_t)((t * (uint64_t)(hi - lo)) >> 20);
    if (g >= hi) g = hi - 1;
    size_t s;
    if (entry_frag(ix, entry_at(ix, g)) < want) {
        size_t l = g + 1, r = hi;
        for (int steps = 0; l < r && steps < 16 && entry_frag(ix, entry_at(ix, l)) < want; steps++) l++;
        while (l < r && entry_frag(ix, entry_at(ix, l)) < want) {
            size_t mid = l + (r - l) / 2;
            if (entry_frag(ix, entry_at(ix, mid)) < want) l = mid + 1; else r = mid;
        }
        s = l;
    } else {
        size_t l = lo, r = g;
        for (int steps = 0; r > l && steps < 16 && entry_frag(ix, entry_at(ix, r - 1)) >= want; steps++) r--;
        while (r > l && entry_frag(ix, entry_at(ix, r - 1)) >= want) {
            size_t mid = l + (r - l) / 2;
            if (entry_frag(ix, entry_at(ix, mid)) < want) l = mid + 1; else r = mid;
        }
        s = r;
    }
    size_t e = s;
    for (int steps = 0; e < hi && steps < 16 && entry_frag(ix, entry_at(ix, e)) == want; steps++) e++;
    if (e < hi && entry_frag(ix, entry_at(ix, e)) == want) {
        size_t l = e, r = hi;
        while (l < r) {
            size_t mid = l + (r - l) / 2;
            if (entry_frag(ix, entry_at(ix, mid)) <= want) l = mid + 1; else r = mid;
        }
        e = l;
    }
    *first = s;
    return e - s;
}

int pk_index_posting(const pk_index *ix, size_t i, pk_posting *out)
{
    uint64_t v = entry_at(ix, i), pos = entry_pos(ix, v);
    if (pos >= ix->h->nkg) return -1; /* damaged */
    uint32_t w = work_of(ix, pos);
    out->work = w;
    out->pos = (uint32_t)(pos - ix->works[w].kg_base);
    out->nb = (uint16_t)v;
    if (out->pos >= ix->works[w].nkg) return -1;
    return 0;
}

size_t pk_index_work_run(const pk_index *ix, size_t x, size_t end)
{
    uint64_t pos = entry_pos(ix, entry_at(ix, x));
    if (pos >= ix->h->nkg) return x + 1;
    uint32_t w = work_of(ix, pos);
    const uint64_t lim = ix->works[w].kg_base + ix->works[w].nkg;
    size_t lo = x + 1, hi = end;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_pos(ix, entry_at(ix, mid)) < lim) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Bloom blocks are prefetched this many fingerprints ahead of their test
 * (pk_index_filter; 16 and 64 measured the same). */
enum { BLOOM_AHEAD = 32 };

static inline void bloom_prefetch(const pk_index *ix, uint64_t h)
{
    __builtin_prefetch(ix->bloom + 8 * bloom_block(ix->bloom_blocks, ix_key(h)));
}

#if PK_X86_SIMD
#include <immintrin.h>
/* bloom_test with AVX2: the eight salted bit positions of a block in one
 * multiply, shift and test (the scalar loop was a tenth of a scan). */
__attribute__((target("avx2"))) static size_t bloom_filter_avx2(const pk_index *ix, const pk_fp *fp, size_t n,
                                                               uint32_t *pass)
{
    const __m256i salt = _mm256_loadu_si256((const __m256i *)(const void *)bloom_salt);
    const __m256i one = _mm256_set1_epi32(1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + BLOOM_AHEAD < n) bloom_prefetch(ix, fp[i + BLOOM_AHEAD].h);
        const uint64_t key = ix_key(fp[i].h);
        const uint32_t *blk = ix->bloom + 8 * bloom_block(ix->bloom_blocks, key);
        __m256i h = _mm256_mullo_epi32(_mm256_set1_epi32((int)(uint32_t)key), salt);
        __m256i bits = _mm256_sllv_epi32(one, _mm256_srli_epi32(h, 27));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)blk);
        if (!_mm256_testc_si256(b, bits)) continue;
        pass[m++] = (uint32_t)i;
        __builtin_prefetch(ix->dir + (key >> ix->dir_shift));
    }
    return m;
}
#endif

size_t pk_index_filter(const pk_index *ix, const pk_fp *fp, size_t n, uint32_t *pass)
{
    /* Two sweeps, so that the cache misses of many lookups overlap
     * instead of queueing one behind the other: test the Bloom blocks,
     * each prefetched BLOOM_AHEAD fingerprints before its test, and
     * prefetch the directory slot of each that passes; then prefetch the
     * first entry each would read.  With a 100,000-work index (a 330 MB
     * filter, 2 GB of entries) nearly every one of these is a miss to
     * memory.  A first sweep prefetching every block, as before, lost its
     * lines on a 16 MiB window of text (about 300,000 fingerprints) before
     * the test read them: pk_index_filter was 2.6% of a text scan's
     * profile, 0.4% now. */
    for (size_t i = 0; i < n && i < BLOOM_AHEAD; i++) bloom_prefetch(ix, fp[i].h);
    size_t m = 0;
#if PK_X86_SIMD
    if (pk_simd_level() >= PK_SIMD_AVX2) {
        m = bloom_filter_avx2(ix, fp, n, pass);
    } else
#endif
    {
        for (size_t i = 0; i < n; i++) {
            if (i + BLOOM_AHEAD < n) bloom_prefetch(ix, fp[i + BLOOM_AHEAD].h);
            const uint64_t key = ix_key(fp[i].h);
            if (!bloom_test(ix->bloom, ix->bloom_blocks, key)) continue;
            pass[m++] = (uint32_t)i;
            __builtin_prefetch(ix->dir + (key >> ix->dir_shift));
        }
    }
    const uint32_t fb = ix->h->frag_bits;
    for (size_t x = 0; x < m; x++) {
        const uint64_t key = ix_key(fp[pass[x]].h), b = key >> ix->dir_shift;
        const uint64_t want = (key >> (ix->dir_shift - fb)) & ix->frag_mask;
        size_t lo = ix->dir[b], hi = ix->dir[b + 1];
        if (hi > ix->h->nentries) hi = (size_t)ix->h->nentries;
        if (lo >= hi) continue;
        const uint64_t t = fb > 20 ? want >> (fb - 20) : want << (20 - fb);
        __builtin_prefetch(ix->entries + (lo + (size_t)((t * (uint64_t)(hi - lo)) >> 20)) * IX_ENTRY);
    }
    return m;
}

uint32_t pk_index_nworks(const pk_index *ix)
{
    return (uint32_t)ix->h->nworks + (ix->delta ? (uint32_t)ix->delta->h->nworks : 0);
}

uint32_t pk_index_delta_base(const pk_index *ix) { return (uint32_t)ix->h->nworks; }
const pk_index *pk_index_delta(const pk_index *ix) { return ix->delta; }
int pk_index_work_dead(const pk_index *ix, uint32_t w) { return ix->dead && w < ix->h->nworks && ix->dead[w]; }
const char *pk_index_db_path(const pk_index *ix) { return ix->db_path; }

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

uint32_t pk_index_work_kgrams(const pk_index *ix, uint32_t w)
{
    const pk_index *p = PART(ix, w);
    return p->works[w].nkg;
}

int64_t pk_index_work_rowid(const pk_index *ix, uint32_t w)
{
    const pk_index *p = PART(ix, w);
    return p->works[w].rowid;
}

uint64_t pk_index_size(const pk_index *ix) { return ix->size + (ix->delta ? ix->delta->size : 0); }

/* ---- open ----------------------------------------------------------------- */

void pk_index_close(pk_index *ix)
{
    if (!ix) return;
    pk_index_close(ix->delta);
    free(ix->dead);
    free(ix->db_path);
    free(ix->wslot);
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

/* Check the header, the sections and every work of the index at ix->map
 * (ix->size bytes) and set the section pointers.  name is for messages. */
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
    if (h->nworks > UINT32_MAX || h->nentries > UINT32_MAX - 1 || h->dir_bits > 30 || h->dir_bits < 1 ||
        h->pos_bits < 1 || h->frag_bits < IX_MIN_FRAG || h->pos_bits + h->frag_bits + IX_NB_BITS != IX_VALUE_BITS ||
        h->dir_bits + h->frag_bits > 64 || (h->nkg >> h->pos_bits) != 0 ||
        h->bloom_blocks == 0 || h->bloom_blocks > UINT32_MAX || h->nworks > sz / sizeof(ix_work) ||
        h->nentries > sz / IX_ENTRY || h->bloom_blocks > sz / 32 || h->size_strings > sz)
        BAD("%s: index header damaged", path);
    if (!in_file(h->off_works, h->nworks * sizeof(ix_work), sz) ||
        !in_file(h->off_strings, h->size_strings, sz) || h->size_strings == 0 ||
        !in_file(h->off_entries, h->nentries * IX_ENTRY, sz) ||
        !in_file(h->off_dir, (((uint64_t)1 << h->dir_bits) + 1) * 4, sz) ||
        h->off_dir < h->off_entries + h->nentries * IX_ENTRY ||
        !in_file(h->off_bloom, h->bloom_blocks * 32, sz) ||
        (h->off_works | h->off_entries | h->off_dir | h->off_bloom) & 63)
        BAD("%s: index sections out of bounds", path);
    ix->works = (const ix_work *)(const void *)(ix->map + h->off_works);
    ix->strings = (const char *)(ix->map + h->off_strings);
    ix->entries = ix->map + h->off_entries;
    ix->dir = (const uint32_t *)(const void *)(ix->map + h->off_dir);
    ix->bloom = (const uint32_t *)(const void *)(ix->map + h->off_bloom);
    ix->dir_shift = 64 - h->dir_bits;
    ix->frag_shift = IX_NB_BITS + h->pos_bits;
    ix->frag_mask = ((uint64_t)1 << h->frag_bits) - 1;
    ix->pos_mask = ((uint64_t)1 << h->pos_bits) - 1;
    ix->bloom_blocks = h->bloom_blocks;
    if (ix->strings[h->size_strings - 1] != 0) BAD("%s: index strings damaged", path);
    uint64_t base = 0;
    for (uint64_t i = 0; i < h->nworks; i++) {
        const ix_work *w = &ix->works[i];
        if (w->id_off >= h->size_strings || w->title_off >= h->size_strings || w->kg_base != base ||
            (w->ntokens && w->nkg > w->ntokens))
            BAD("%s: index work %llu damaged", path, (unsigned long long)i);
        base += w->nkg;
    }
    if (base != h->nkg) BAD("%s: index works damaged", path);
#undef BAD
    uint32_t sb = 0;
    while (sb < 22 && ((uint64_t)1 << sb) < h->nworks) sb++;
    ix->wshift = h->pos_bits > sb ? h->pos_bits - sb : 0;
    ix->nwslot = (h->nkg >> ix->wshift) + 1;
    if (!(ix->wslot = malloc(ix->nwslot * sizeof *ix->wslot))) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto fail; }
    for (uint64_t i = 0, w = 0; i < ix->nwslot; i++) {
        uint64_t pos = i << ix->wshift;
        while (w + 1 < h->nworks && ix->works[w + 1].kg_base <= pos) w++;
        ix->wslot[i] = (uint32_t)w;
    }
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

typedef struct cwork {
    ix_work w;
    uint32_t nfp;
} cwork;

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

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void sort_u64(uint64_t *a, size_t n)
{
    if (n > 32) {
        /* A long bucket (a phrase repeated in a work): heap sort, in place
         * and O(n log n) whatever the order. */
        for (size_t i = n / 2; i-- > 0;) {
            for (size_t r = i;;) {
                size_t c = 2 * r + 1;
                if (c >= n) break;
                if (c + 1 < n && a[c + 1] > a[c]) c++;
                if (a[r] >= a[c]) break;
                uint64_t t = a[r]; a[r] = a[c]; a[c] = t;
                r = c;
            }
        }
        for (size_t end = n; end-- > 1;) {
            uint64_t t = a[0]; a[0] = a[end]; a[end] = t;
            for (size_t r = 0;;) {
                size_t c = 2 * r + 1;
                if (c >= end) break;
                if (c + 1 < end && a[c + 1] > a[c]) c++;
                if (a[r] >= a[c]) break;
                uint64_t t2 = a[r]; a[r] = a[c]; a[c] = t2;
                r = c;
            }
        }
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t t = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > t; j--) a[j] = a[j - 1];
        a[j] = t;
    }
}

/* Compile the works with rowid >= min_rowid (all: 0) into idx_path, or,
 * when idx_path is NULL, into a malloc'd buffer *mem of *memsize bytes.
 * Reads in one transaction of its own unless the caller holds one.
 *
 * Two passes over the works' fingerprint blobs: the first counts the
 * entries of each bucket (and fills the Bloom filter), the second drops
 * each entry into its bucket's place; then every bucket (8 to 16
 * entries) is sorted.  Memory: 8 bytes an entry plus the directory and
 * the Bloom filter, about 1.2 times the index, whatever the registry's
 * size; no sort of the whole table. */
static int compile_index(pk_registry *r, int64_t min_rowid, const char *idx_path, uint8_t **mem, size_t *memsize,
                         pk_error *err)
{
    int rc = 0, fd = -1, in_tx = 0;
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    cwork *works = NULL;
    ix_work *iw = NULL;
    uint64_t *vals = NULL;
    uint32_t *dir = NULL, *cur = NULL, *bloom = NULL;
    const uint8_t *packed = NULL;
    pk_buf strings;
    char *tmp = NULL;
    pk_buf_init(&strings, 0);
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
    {
        char st33[33];
        if ((rc = pk_registry_state(r, st33, err))) goto done;
        memcpy(h.state, st33, sizeof h.state);
    }
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
    if ((uint64_t)nworks >= UINT32_MAX) { rc = pk_fail(err, PK_ETOOBIG, "more than 2^32 works"); goto done; }
    works = calloc((size_t)nworks + 1, sizeof *works);
    if (!works) NOMEM();
    if (pk_buf_putc(&strings, 0)) NOMEM(); /* offset 0: empty string */

    /* The works, in id order, and their place in the position space. */
    if (sqlite3_prepare_v2(db,
                           "SELECT rowid,id,title,tokens,length(sketch),length(fps) FROM works WHERE rowid >= ?1"
                           " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        DBFAIL("reading works");
    sqlite3_bind_int64(st, 1, min_rowid);
    uint32_t nw = 0;
    uint64_t nkg = 0, ne = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (nw >= (uint64_t)nworks) break; /* cannot happen inside one transaction */
        ix_work *w = &works[nw].w;
        w->rowid = sqlite3_column_int64(st, 0);
        const char *id = (const char *)sqlite3_column_text(st, 1);
        const char *title = (const char *)sqlite3_column_text(st, 2);
        w->id_off = strings.len;
        if (pk_buf_append(&strings, id ? id : "", strlen(id ? id : "") + 1)) NOMEM();
        w->title_off = strings.len;
        if (pk_buf_append(&strings, title ? title : "", strlen(title ? title : "") + 1)) NOMEM();
        w->ntokens = (uint32_t)sqlite3_column_int64(st, 3);
        w->nkg = (uint32_t)(sqlite3_column_int64(st, 4) / 2);
        w->kg_base = nkg;
        nkg += w->nkg;
        works[nw].nfp = (uint32_t)(sqlite3_column_int64(st, 5) / 12);
        ne += works[nw].nfp;
        nw++;
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE) DBFAIL("reading works");
    sqlite3_finalize(st);
    st = NULL;
    if (ne >= UINT32_MAX) { rc = pk_fail(err, PK_ETOOBIG, "more than 2^32 fingerprints"); goto done; }

    uint32_t pos_bits = 1;
    while (pos_bits < 63 && (nkg >> pos_bits) != 0) pos_bits++;
    if (pos_bits + IX_NB_BITS + IX_MIN_FRAG > IX_VALUE_BITS) {
        rc = pk_fail(err, PK_ETOOBIG, "registry too large for one index (%llu k-grams)", (unsigned long long)nkg);
        goto done;
    }
    const uint32_t frag_bits = IX_VALUE_BITS - IX_NB_BITS - pos_bits;
    uint32_t bits = 8;
    while (bits < 30 && ((uint64_t)1 << bits) * IX_BUCKET < ne) bits++;
    const uint32_t dshift = 64 - bits, fshift = dshift - frag_bits;
    const uint64_t fmask = ((uint64_t)1 << frag_bits) - 1;
    const size_t nd = (size_t)1 << bits;
    uint64_t blocks = (ne * IX_BLOOM_BITS + 255) / 256;
    if (blocks == 0) blocks = 1;
    dir = calloc(nd + 1, sizeof *dir);
    cur = malloc((nd + 1) * sizeof *cur);
    bloom = calloc(blocks * 8, sizeof *bloom);
    vals = malloc((size_t)(ne ? ne : 1) * sizeof *vals);
    if (!dir || !cur || !bloom || !vals) NOMEM();

    /* Two passes over the same works in the same order, in the same
     * transaction: count, then place. */
    if (sqlite3_prepare_v2(db, "SELECT fps,sketch FROM works WHERE rowid >= ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        DBFAIL("reading fingerprints");
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, min_rowid);
        uint32_t wi = 0;
        while ((s = sqlite3_step(st)) == SQLITE_ROW && wi < nw) {
            const cwork *cw = &works[wi++];
            const uint8_t *fb = sqlite3_column_blob(st, 0);
            size_t nf = (size_t)sqlite3_column_bytes(st, 0) / 12;
            if (nf > cw->nfp) nf = cw->nfp;
            if (pass == 0) {
                for (size_t i = 0; i < nf; i++) {
                    uint64_t hh = ix_key(le64(fb + 12 * i));
                    if (le32(fb + 12 * i + 8) >= cw->w.nkg) continue;
                    dir[(hh >> dshift) + 1]++;
                    bloom_add(bloom, blocks, hh);
                }
                continue;
            }
            const uint8_t *sk = sqlite3_column_blob(st, 1);
            size_t nsk = (size_t)sqlite3_column_bytes(st, 1) / 2;
            const uint32_t k = p.k;
            for (size_t i = 0; i < nf; i++) {
                uint64_t hh = ix_key(le64(fb + 12 * i));
                uint32_t pos = le32(fb + 12 * i + 8);
                if (pos >= cw->w.nkg) continue;
                uint64_t prev = pos >= k && pos - k < nsk ? sk[2 * (pos - k) + 1] : 0;
                uint64_t next = (uint64_t)pos + k < nsk ? sk[2 * (pos + k) + 1] : 0;
                uint64_t b = hh >> dshift;
                uint64_t v = ((hh >> fshift) & fmask) << (IX_NB_BITS + pos_bits) |
                             (cw->w.kg_base + pos) << IX_NB_BITS | prev | next << 8;
                vals[cur[b]++] = v;
            }
        }
        if (s != SQLITE_ROW && s != SQLITE_DONE) DBFAIL("reading fingerprints");
        if (pass == 0) {
            for (size_t b = 0; b < nd; b++) dir[b + 1] += dir[b];
            memcpy(cur, dir, (nd + 1) * sizeof *cur);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (in_tx) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    in_tx = 0;
    ne = dir[nd];
    for (size_t b = 0; b < nd; b++) sort_u64(vals + dir[b], dir[b + 1] - dir[b]);

    iw = malloc(((size_t)nw + 1) * sizeof *iw);
    if (!iw) NOMEM();
    for (uint32_t i = 0; i < nw; i++) iw[i] = works[i].w;

    memcpy(h.magic, IX_MAGIC, 8);
    h.version = IX_VERSION;
    h.endian = IX_ENDIAN;
    h.k = p.k;
    h.w = p.w;
    h.scheme = p.scheme;
    h.dir_bits = bits;
    h.pos_bits = pos_bits;
    h.frag_bits = frag_bits;
    h.nworks = nw;
    h.nentries = ne;
    h.nkg = nkg;
    h.bloom_blocks = blocks;
    uint64_t off = align64(sizeof h);
    h.off_works = off; off = align64(off + nw * sizeof(ix_work));
    h.off_strings = off; h.size_strings = strings.len; off = align64(off + strings.len);
    h.off_entries = off; off = align64(off + ne * IX_ENTRY);
    h.off_dir = off; off = align64(off + (nd + 1) * 4);
    h.off_bloom = off; off += blocks * 32;
    h.file_size = off;

    /* Entries, packed 7 bytes each (little-endian), in place: entry i is
     * read before bytes [7i, 7i + 7) are written, and those end before
     * entry i + 1 begins at byte 8i + 8. */
    free(cur);
    cur = NULL;
    uint8_t *pk8 = (uint8_t *)vals;
    packed = pk8;
    for (size_t i = 0; i < ne; i++) {
        const uint64_t v = vals[i];
        for (int j = 0; j < IX_ENTRY; j++) pk8[i * IX_ENTRY + (size_t)j] = (uint8_t)(v >> (8 * j));
    }

    if (!idx_path) {
        uint8_t *b = calloc(1, (size_t)h.file_size);
        if (!b) NOMEM();
        memcpy(b, &h, sizeof h);
        if (nw) memcpy(b + h.off_works, iw, nw * sizeof(ix_work));
        memcpy(b + h.off_strings, strings.data, strings.len);
        if (ne) memcpy(b + h.off_entries, packed, ne * IX_ENTRY);
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
        (nw && write_at(fd, h.off_works, iw, nw * sizeof(ix_work))) ||
        write_at(fd, h.off_strings, strings.data, strings.len) ||
        (ne && write_at(fd, h.off_entries, packed, ne * IX_ENTRY)) ||
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
    free(iw);
    free(vals);
    free(dir);
    free(cur);
    free(bloom);
    pk_buf_free(&strings);
    return rc;
#undef DBFAIL
#undef NOMEM
}

int pk_index_compile(pk_registry *r, const char *idx_path, pk_error *err)
{
    int rc = compile_index(r, 0, idx_path, NULL, NULL, err);
    if (rc == 0) {
        /* the index holds every work now: a delta file beside it is stale */
        char d[4096];
        if ((size_t)snprintf(d, sizeof d, "%s.delta", idx_path) < sizeof d) unlink(d);
    }
    return rc;
}

/* The base index is of this registry but older: mark the works removed
 * since, and compile the works added since into an in-memory delta, when
 * both are small next to the base.  Returns 1 when a full rebuild is
 * better.  Everything is read in one transaction. */
#define DELTA_MAX_FRACTION 4 /* a delta of up to a quarter of the base */

/* Is the delta file d the delta of ix for the registry as it is now?  It
 * was compiled by an open of this registry (its identity and parameters)
 * that saw the same generation and state, so the registry has not changed
 * since (the state, drawn at random at every change, tells this history
 * from another that reached the same generation: a restored backup, then
 * changed), and it holds exactly the works above the base's largest rowid:
 * as many, the same smallest and largest (rowids are never reused). */
static int delta_is_current(const pk_index *d, const pk_index *ix, int64_t gen, const char *state, int64_t count,
                            int64_t minr, int64_t maxr)
{
    const ix_header *a = d->h, *b = ix->h;
    if (memcmp(a->uuid, b->uuid, sizeof a->uuid) != 0 || a->k != b->k || a->w != b->w || a->scheme != b->scheme ||
        a->generation != gen || memcmp(a->state, state, sizeof a->state) != 0 || (int64_t)a->nworks != count ||
        count == 0)
        return 0;
    int64_t lo = INT64_MAX;
    for (uint64_t i = 0; i < a->nworks; i++)
        if (d->works[i].rowid < lo) lo = d->works[i].rowid;
    return lo == minr && d->max_rowid == maxr && lo > ix->max_rowid;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int open_delta(pk_registry *r, pk_index *ix, const char *ipath, pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    int64_t *rowids = NULL;
    size_t nrow = 0, cap = 0;
    int rc = 0;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return 1;
    /* The generation and state the delta is labelled with are read in the
     * transaction that reads its works (the first read starts it), so a
     * change committed since pk_index_open read them cannot label one
     * snapshot's delta with another's state. */
    int64_t gen;
    char state[33];
    if (pk_registry_generation(r, &gen, err) || pk_registry_state(r, state, err)) {
        rc = 1;
        goto done;
    }
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
    /* Works still registered, sorted here: the whole list comes from a
     * narrow index (SQLite takes the one on sha256, which holds the
     * rowids), where a range of rowids read the table's pages, a work's
     * row each (its sketch and fingerprints are in the row): 20 ms of an
     * open on 12,000 works, against 5. */
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM works", -1, &st, NULL) != SQLITE_OK) {
        rc = 1;
        goto done;
    }
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
    if (nrow > 1) qsort(rowids, nrow, sizeof *rowids, cmp_i64);
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
    /* Fingerprints of the works added since, and which works they are. */
    int64_t added = 0, count = 0, minr = 0, maxr = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(sum(fingerprints), 0), count(*), coalesce(min(rowid), 0),"
                           " coalesce(max(rowid), 0) FROM works WHERE rowid > ?1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, ix->max_rowid) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        rc = 1;
        goto done;
    }
    added = sqlite3_column_int64(st, 0);
    count = sqlite3_column_int64(st, 1);
    minr = sqlite3_column_int64(st, 2);
    maxr = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    st = NULL;
    if ((uint64_t)added > ix->h->nentries / DELTA_MAX_FRACTION || ix->ndead > nb / DELTA_MAX_FRACTION) {
        rc = 1;
        goto done;
    }
    if (count == 0) goto done; /* only removals */
    /* The delta is kept in a file next to the index (IPATH.delta), so
     * that it is compiled once a change of the registry, not at every
     * open: 2,220 works added to 10,000 took 70 ms of every scan's start
     * (a quarter of a 100,000-work index would take seconds).  One that
     * is not this state's is compiled again; where no file can be
     * written (a read-only directory) the delta is compiled in memory, as
     * before. */
    size_t dl = strlen(ipath) + 8;
    char *dpath = malloc(dl);
    if (!dpath) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    snprintf(dpath, dl, "%s.delta", ipath);
    pk_index *d = NULL;
    pk_error e2;
    if (map_index(&d, dpath, &e2) == 0 && !delta_is_current(d, ix, gen, state, count, minr, maxr)) {
        pk_index_close(d);
        d = NULL;
    }
    if (!d && (compile_index(r, ix->max_rowid + 1, dpath, NULL, NULL, &e2) != 0 || map_index(&d, dpath, &e2) != 0 ||
               !delta_is_current(d, ix, gen, state, count, minr, maxr))) {
        pk_index_close(d);
        d = NULL;
    }
    free(dpath);
    if (!d) {
        uint8_t *mem = NULL;
        size_t memsize = 0;
        if ((rc = compile_index(r, ix->max_rowid + 1, NULL, &mem, &memsize, err))) goto done;
        if (!(d = calloc(1, sizeof *d))) { free(mem); rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        d->map = mem;
        d->size = memsize;
        d->owned = 1;
        if ((rc = attach(d, "delta index", err))) { pk_index_close(d); goto done; }
    }
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
    char state[33];
    if ((rc = pk_registry_state(r, state, err))) goto done;
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
                    ix->h->scheme != p.scheme || ix->h->generation > gen ||
                    (ix->h->generation == gen && memcmp(ix->h->state, state, sizeof ix->h->state) != 0))) {
        pk_index_close(ix);
        ix = NULL;
        rc = PK_ENOTFOUND;
    }
    if (rc == 0 && ix->h->generation != gen) {
        /* An index compiled in another history of this registry (it was
         * restored from a backup older than the index, then changed past
         * it) holds other works under the same rowids: rebuilt.  One
         * compiled before states were kept (all zeros), or whose
         * generation the registry kept no state for, is taken as before. */
        char then[33];
        int known = pk_registry_state_at(r, ix->h->generation, then, err);
        if (known < 0) { rc = known; goto done; }
        static const char none[32];
        if (known && memcmp(ix->h->state, none, sizeof none) != 0 && memcmp(ix->h->state, then, sizeof ix->h->state) != 0) {
            pk_index_close(ix);
            ix = NULL;
            rc = PK_ENOTFOUND;
        }
    }
    if (rc == 0 && ix->h->generation != gen) {
        /* Changed since: a delta for a few works, a rebuild for many. */
        int d = open_delta(r, ix, ipath, err);
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
    if (rc == 0 && !(ix->db_path = strdup(db_path))) rc = pk_fail(err, PK_ENOMEM, "out of memory");
done:
    free(ipath);
    pk_registry_close(r);
    if (rc == 0) *out = ix;
    else pk_index_close(ix);
    return rc;
}
