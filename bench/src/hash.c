/*
 * Integer benchmark: hashing. FNV-1a (byte at a time, latency bound on the multiply) and
 * a four-lane multiply-rotate hash in the style of xxHash64 (throughput bound) over a
 * pseudo-random buffer, alternating, PASSES times. Scale = passes over 16 MiB.
 */
#include <string.h>

#include "bench_util.h"

#define BUF_SIZE (16u << 20)

static uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian on both hosts */
    return v;
}

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull

static uint64_t lanes_hash(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++)
            v[l] = rotl(v[l] + load64(p + i + 8 * l) * P2, 31) * P1;
    uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
    for (; i < n; i++)
        h = rotl(h ^ (p[i] * P3), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    return h;
}

int main(int argc, char **argv)
{
    long passes = bench_scale(argc, argv, 24);
    uint8_t *buf = bench_alloc(BUF_SIZE);
    uint64_t s = 1;
    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        uint64_t r = bench_rand(&s);
        memcpy(buf + i, &r, 8);
    }
    uint64_t h = 0xCBF29CE484222325ull;
    for (long k = 0; k < passes; k++) {
        if (k & 1) {
            h ^= lanes_hash(buf, BUF_SIZE - (size_t)k, h);
            h ^= lanes_hash(buf, BUF_SIZE - (size_t)k, h);
            h ^= lanes_hash(buf, BUF_SIZE - (size_t)k, h);
        } else {
            h = fnv1a(buf + k, BUF_SIZE / 4, h);
        }
        buf[(k * 7919) % BUF_SIZE] ^= (uint8_t)h; /* each pass sees different data */
    }
    bench_result("hash", h);
    free(buf);
    return 0;
}
