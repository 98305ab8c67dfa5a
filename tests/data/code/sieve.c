/* sieve.c -- print the primes below a limit given on the command line,
 * ten to a line, using the sieve of Eratosthenes on odd numbers only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *make_sieve(unsigned long limit)
{
    unsigned long half = limit / 2 + 1;
    unsigned char *composite = calloc(half, 1);
    if (!composite) return NULL;
    for (unsigned long i = 3; i * i < limit; i += 2) {
        if (composite[i / 2]) continue;
        for (unsigned long j = i * i; j < limit; j += 2 * i) composite[j / 2] = 1;
    }
    return composite;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIMIT\n", argv[0]);
        return 2;
    }
    char *end;
    unsigned long limit = strtoul(argv[1], &end, 10);
    if (*end || limit < 3) {
        fprintf(stderr, "sieve: bad limit '%s'\n", argv[1]);
        return 2;
    }
    unsigned char *composite = make_sieve(limit);
    if (!composite) {
        perror("sieve");
        return 1;
    }
    int column = 0;
    printf("%8d", 2);
    column++;
    for (unsigned long n = 3; n < limit; n += 2) {
        if (composite[n / 2]) continue;
        printf("%8lu", n);
        if (++column == 10) {
            putchar('\n');
            column = 0;
        }
    }
    if (column) putchar('\n');
    free(composite);
    return 0;
}
