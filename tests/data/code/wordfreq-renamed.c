/* Tally the words read from stdin; afterwards show the most common ones,
 * highest tally at the top (twenty at most). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
#define WORDCAP 64

struct node {
    char text[WORDCAP];
    unsigned hits;
    struct node *link;
};

static struct node *buckets[NBUCKETS];

// a classic multiplicative string hash
static unsigned long bucket_of(const char *w)
{
    unsigned long h = 2166136261UL;
    while (*w) {
        h ^= (unsigned char)*w++;
        h *= 16777619UL;
    }
    return h % NBUCKETS;
}

static void tally(const char *w)
{
    unsigned long idx = bucket_of(w);
    for (struct node *e = buckets[idx]; e; e = e->link) {
        if (strcmp(e->text, w) == 0) {
            e->hits++;
            return;
        }
    }
    struct node *item = calloc(1, sizeof *item);
    if (!item) {
        perror("calloc");
        exit(1);
    }
    strncpy(item->text, w, WORDCAP - 1);
    item->hits = 1;
    item->link = buckets[idx];
    buckets[idx] = item;
}

static int compare_hits(const void *a, const void *b)
{
    const struct node *x = *(const struct node *const *)a;
    const struct node *y = *(const struct node *const *)b;
    if (x->hits != y->hits) return x->hits < y->hits ? 1 : -1;
    return strcmp(x->text, y->text);
}

int main(void)
{
    char scratch[WORDCAP];
    size_t used = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (isalpha(c) && used < WORDCAP - 1) {
            scratch[used++] = (char)tolower(c);
        } else if (used > 0) {
            scratch[used] = '\0';
            tally(scratch);
            used = 0;
        }
    }
    size_t nitems = 0;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (struct node *e = buckets[i]; e; e = e->link) nitems++;
    struct node **vec = malloc(nitems * sizeof *vec);
    size_t j = 0;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (struct node *e = buckets[i]; e; e = e->link) vec[j++] = e;
    qsort(vec, nitems, sizeof *vec, compare_hits);
    for (size_t i = 0; i < nitems && i < 20; i++)
        printf("%7u %s\n", vec[i]->hits, vec[i]->text);
    free(vec);
    return 0;
}
