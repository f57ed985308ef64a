/*
 * Shared helpers for the OmniVM benchmark programs: a seeded PRNG, the scale argument and
 * the checksum line. Every program must print the same bytes on x86-64 and riscv64, so
 * nothing here depends on char signedness, long double or libm beyond sqrt; FP programs
 * are built with -ffp-contract=off so neither compiler fuses multiply-adds.
 */
#ifndef OMNIVM_BENCH_UTIL_H
#define OMNIVM_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* splitmix64: tiny, full-period, and the same on every host */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* argv[1] is a size or repetition count; the default is the full benchmark size */
static inline long bench_scale(int argc, char **argv, long dflt)
{
    if (argc < 2) return dflt;
    long v = strtol(argv[1], NULL, 0);
    if (v <= 0) {
        fprintf(stderr, "bad scale '%s'\n", argv[1]);
        exit(2);
    }
    return v;
}

static inline void *bench_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static inline void bench_result(const char *name, uint64_t sum)
{
    printf("%s checksum %016llx\n", name, (unsigned long long)sum);
}

#endif
