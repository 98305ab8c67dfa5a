/* test.h -- a minimal unit test harness: CHECK records a failure with its
 * file and line and goes on; TEST_MAIN runs the listed tests and prints
 * "N passed, N failed". */
#ifndef PK_TEST_H
#define PK_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_fail, t_checks;
static const char *t_name;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        t_checks++;                                                                              \
        if (!(cond)) {                                                                           \
            t_fail++;                                                                            \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, t_name, #cond); \
        }                                                                                        \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                            \
    do {                                                                                            \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);              \
        t_checks++;                                                                                 \
        if (_a != _b) {                                                                             \
            t_fail++;                                                                               \
            fprintf(stderr, "%s:%d: %s: %s == %llu, expected %s == %llu\n", __FILE__, __LINE__, t_name, \
                    #a, _a, #b, _b);                                                                \
        }                                                                                           \
    } while (0)

#define CHECK_STR(a, b)                                                                                  \
    do {                                                                                                 \
        const char *_a = (a), *_b = (b);                                                                 \
        t_checks++;                                                                                      \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                         \
            t_fail++;                                                                                    \
            fprintf(stderr, "%s:%d: %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, t_name, _a ? _a : "(null)", \
                    _b ? _b : "(null)");                                                                 \
        }                                                                                                \
    } while (0)

#define CHECK_EQ_I(a, b)                                                                            \
    do {                                                                                            \
        long long _a = (long long)(a), _b = (long long)(b);                                         \
        t_checks++;                                                                                 \
        if (_a != _b) {                                                                             \
            t_fail++;                                                                               \
            fprintf(stderr, "%s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, t_name, \
                    #a, _a, #b, _b);                                                                \
        }                                                                                           \
    } while (0)

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};
#define TEST(f) {#f, f}

static inline int run_tests(const struct test_case *t, size_t n)
{
    int failed_tests = 0;
    for (size_t i = 0; i < n; i++) {
        int before = t_fail;
        t_name = t[i].name;
        t[i].fn();
        if (t_fail != before) failed_tests++;
        printf("%s %s\n", t_fail != before ? "FAIL" : "ok  ", t[i].name);
    }
    printf("%zu passed, %d failed\n", n - (size_t)failed_tests, failed_tests);
    return failed_tests ? 1 : 0;
}
#define TEST_MAIN(...)                                                   \
    int main(void)                                                       \
    {                                                                    \
        static const struct test_case tests[] = {__VA_ARGS__};           \
        return run_tests(tests, sizeof tests / sizeof tests[0]);         \
    }

/* A deterministic PRNG (splitmix64) for generated test text. */
static inline uint64_t t_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
