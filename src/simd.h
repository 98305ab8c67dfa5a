/* simd.h -- which vector path the hot loop takes (simd.c).
 *
 * Tokenizing, k-gram hashing and winnowing each have one implementation
 * per level below; all give bit-identical results (tests compare them),
 * so the level changes speed only.  The level is chosen once, from the
 * CPU's features, unless PICKET_SIMD (scalar, sse2, avx2, avx512 or auto)
 * asks for another: a level the CPU lacks falls back to the best one it
 * has below it. */
#ifndef PK_SIMD_H
#define PK_SIMD_H

/* The x86 vector code is compiled in on x86-64 with GCC or clang (with
 * target attributes, so the build needs no special flags); elsewhere, or
 * with -DPK_NO_X86_SIMD (to test the portable build), only "scalar". */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(PK_NO_X86_SIMD)
#define PK_X86_SIMD 1
#else
#define PK_X86_SIMD 0
#endif

enum { PK_SIMD_SCALAR = 0, PK_SIMD_SSE2 = 1, PK_SIMD_AVX2 = 2, PK_SIMD_AVX512 = 3, PK_SIMD_NLEVELS = 4 };

/* The level in use (detected on the first call; thread-safe). */
int pk_simd_level(void);
/* Its name: "scalar", "sse2", "avx2" or "avx512". */
const char *pk_simd_name(void);
/* The name of a level (NULL outside 0..PK_SIMD_NLEVELS-1). */
const char *pk_simd_level_name(int level);
/* Does this CPU (and this build) support the level? */
int pk_simd_supported(int level);
/* Use level from now on (for tests and benchmarks), or the best supported
 * one below it; a negative level means the automatic choice again.
 * Returns the level actually used.  Not meant to race with running
 * tokenizers: they read the level once per call. */
int pk_simd_force(int level);

#endif
