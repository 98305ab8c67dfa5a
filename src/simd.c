/* simd.c -- choosing the vector path of the hot loop, once per process.
 *
 * The first call to pk_simd_level() (under pthread_once) reads the CPU's
 * features with __builtin_cpu_supports and PICKET_SIMD from the
 * environment.  "avx512" needs AVX-512 F, BW, VL, DQ, VBMI, VBMI2 and
 * VPOPCNTDQ (Ice Lake, Zen 4 and later; the builtin also checks that the
 * OS saves the zmm state); "avx2" needs AVX2, BMI1/2 and POPCNT, which is
 * where Skylake-X lands; "sse2" is the x86-64 baseline; "scalar" is portable C
 * and the only level on other machines.  Asking for a level the CPU lacks
 * gives the best supported level below it, never a crash.  The level is
 * an atomic int so that tests can switch it between calls. */
#include "simd.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[PK_SIMD_NLEVELS] = {"scalar", "sse2", "avx2", "avx512"};

static int best;                   /* the best level this CPU supports */
static int auto_level;             /* what PICKET_SIMD (or the CPU) picked */
static atomic_int level = -1;      /* in use */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int detect(void)
{
#if PK_X86_SIMD
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                     __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
        __builtin_cpu_supports("avx512vpopcntdq"))
        return PK_SIMD_AVX512;
    if (avx2) return PK_SIMD_AVX2;
    return PK_SIMD_SSE2;
#else
    return PK_SIMD_SCALAR;
#endif
}

static int clamp(int l) { return l > best ? best : l < 0 ? 0 : l; }

static void init(void)
{
    best = detect();
    auto_level = best;
    const char *e = getenv("PICKET_SIMD");
    if (e && *e && strcmp(e, "auto") != 0)
        for (int i = 0; i < PK_SIMD_NLEVELS; i++)
            if (strcmp(e, names[i]) == 0) auto_level = clamp(i);
    atomic_store(&level, auto_level);
}

int pk_simd_level(void)
{
    int l = atomic_load_explicit(&level, memory_order_relaxed);
    if (l >= 0) return l;
    pthread_once(&once, init);
    return atomic_load(&level);
}

const char *pk_simd_name(void) { return names[pk_simd_level()]; }

const char *pk_simd_level_name(int l) { return l >= 0 && l < PK_SIMD_NLEVELS ? names[l] : NULL; }

int pk_simd_supported(int l)
{
    pthread_once(&once, init);
    return l >= 0 && l <= best;
}

int pk_simd_force(int l)
{
    pthread_once(&once, init);
    int use = l < 0 ? auto_level : clamp(l);
    atomic_store(&level, use);
    return use;
}
