/* wordfreq.c -- count how often each word occurs on standard input and
 * print the twenty most frequent, busiest first. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE 4096
#define MAX_WORD 64

struct entry {
    char word[MAX_WORD];
    unsigned count;
    struct entry *next;
};

static struct entry *table[TABLE_SIZE];

/* FNV-1a over the bytes of the word. */
static unsigned long hash_word(const char *w)
{
    unsigned long h = 2166136261UL;
    while (*w) {
        h ^= (unsigned char)*w++;
        h *= 16777619UL;
    }
    return h % TABLE_SIZE;
}

static void add_word(const char *w)
{
    unsigned long slot = hash_word(w);
    for (struct entry *e = table[slot]; e; e = e->next) {
        if (strcmp(e->word, w) == 0) {
            e->count++;
            return;
        }
    }
    struct entry *fresh = calloc(1, sizeof *fresh);
    if (!fresh) {
        perror("calloc");
        exit(1);
    }
    strncpy(fresh->word, w, MAX_WORD - 1);
    fresh->count = 1;
    fresh->next = table[slot];
    table[slot] = fresh;
}

static int by_count(const void *a, const void *b)
{
    const struct entry *x = *(const struct entry *const *)a;
    const struct entry *y = *(const struct entry *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(void)
{
    char buf[MAX_WORD];
    size_t len = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (isalpha(c) && len < MAX_WORD - 1) {
            buf[len++] = (char)tolower(c);
        } else if (len > 0) {
            buf[len] = '\0';
            add_word(buf);
            len = 0;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        for (struct entry *e = table[i]; e; e = e->next) total++;
    struct entry **all = malloc(total * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        for (struct entry *e = table[i]; e; e = e->next) all[k++] = e;
    qsort(all, total, sizeof *all, by_count);
    for (size_t i = 0; i < total && i < 20; i++)
        printf("%7u %s\n", all[i]->count, all[i]->word);
    free(all);
    return 0;
}
