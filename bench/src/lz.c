/*
 * Integer benchmark: LZ77 compression. A hash-chain matcher (window 64 KiB, chains cut
 * at MAX_CHAIN probes, lazy evaluation off) emits literal runs and (length, distance)
 * pairs as bytes; the decoder must restore the input exactly. Input is pseudo-random
 * text over a small vocabulary, so it compresses about like English. Scale = input
 * size in KiB.
 */
#include <string.h>

#include "bench_util.h"

#define WINDOW (1u << 16)
#define HASH_BITS 15
#define MIN_MATCH 4
#define MAX_MATCH 258
#define MAX_CHAIN 24

static const char *const words[] = {
    "the",   "of",        "and",    "to",    "in",      "is",        "that",
    "for",   "it",        "as",     "was",   "with",    "be",        "by",
    "on",    "not",       "he",     "this",  "are",     "or",        "his",
    "from",  "at",        "which",  "but",   "machine", "virtual",   "register",
    "block", "translate", "memory", "guest", "host",    "interrupt", "device",
    "queue", "page",      "table",  "cache", "engine",  "frontend",
};

static size_t make_text(uint8_t *p, size_t n)
{
    uint64_t s = 3;
    size_t i = 0;
    while (i < n) {
        uint64_t r = bench_rand(&s);
        const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
        size_t l = strlen(w);
        if (i + l + 1 > n) break;
        memcpy(p + i, w, l);
        i += l;
        p[i++] = (r >> 32) % 11 == 0 ? '\n' : (r >> 40) % 7 == 0 ? ',' : ' ';
    }
    while (i < n)
        p[i++] = '.';
    return n;
}

static inline uint32_t hash4(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void put_varint(uint8_t **o, uint32_t v)
{
    while (v >= 0x80) {
        *(*o)++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *(*o)++ = (uint8_t)v;
}

static uint32_t get_varint(const uint8_t **i)
{
    uint32_t v = 0;
    int sh = 0;
    uint8_t b;
    do {
        b = *(*i)++;
        v |= (uint32_t)(b & 0x7F) << sh;
        sh += 7;
    } while (b & 0x80);
    return v;
}

/* Token stream: varint literal count, literals, varint match length (0 = end),
 * varint distance; repeated. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev)
{
    uint8_t *o = out;
    for (size_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = -1;
    size_t lit_start = 0, i = 0;
    while (i + MIN_MATCH <= n) {
        uint32_t h = hash4(in + i);
        int32_t cand = head[h];
        size_t best_len = 0, best_dist = 0;
        for (int k = 0; k < MAX_CHAIN && cand >= 0 && i - (size_t)cand <= WINDOW; k++) {
            size_t len = 0, max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            while (len < max && in[cand + len] == in[i + len])
                len++;
            if (len > best_len) {
                best_len = len;
                best_dist = i - (size_t)cand;
                if (len == max) break;
            }
            cand = prev[cand % WINDOW];
        }
        prev[i % WINDOW] = head[h];
        head[h] = (int32_t)i;
        if (best_len >= MIN_MATCH) {
            put_varint(&o, (uint32_t)(i - lit_start));
            memcpy(o, in + lit_start, i - lit_start);
            o += i - lit_start;
            put_varint(&o, (uint32_t)best_len);
            put_varint(&o, (uint32_t)best_dist);
            /* index the skipped positions so later matches can find them */
            for (size_t j = i + 1; j < i + best_len && j + MIN_MATCH <= n; j++) {
                uint32_t hj = hash4(in + j);
                prev[j % WINDOW] = head[hj];
                head[hj] = (int32_t)j;
            }
            i += best_len;
            lit_start = i;
        } else {
            i++;
        }
    }
    put_varint(&o, (uint32_t)(n - lit_start));
    memcpy(o, in + lit_start, n - lit_start);
    o += n - lit_start;
    put_varint(&o, 0);
    return (size_t)(o - out);
}

static size_t decompress(const uint8_t *in, uint8_t *out)
{
    uint8_t *o = out;
    for (;;) {
        uint32_t lits = get_varint(&in);
        memcpy(o, in, lits);
        o += lits;
        in += lits;
        uint32_t len = get_varint(&in);
        if (!len) break;
        uint32_t dist = get_varint(&in);
        for (uint32_t k = 0; k < len; k++, o++) /* overlapping copies are legal */
            *o = *(o - dist);
    }
    return (size_t)(o - out);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)bench_scale(argc, argv, 6144) * 1024;
    uint8_t *in = bench_alloc(n), *comp = bench_alloc(n + n / 2 + 64), *back = bench_alloc(n);
    int32_t *head = bench_alloc(sizeof(int32_t) << HASH_BITS);
    int32_t *prev = bench_alloc(sizeof(int32_t) * WINDOW);
    make_text(in, n);
    size_t c = compress(in, n, comp, head, prev);
    size_t d = decompress(comp, back);
    if (d != n || memcmp(in, back, n)) {
        printf("lz: round trip failed (%zu of %zu bytes)\n", d, n);
        return 1;
    }
    uint64_t sum = c;
    for (size_t i = 0; i < c; i++)
        sum = sum * 0x100000001B3ull ^ comp[i];
    printf("lz: %zu -> %zu bytes\n", n, c);
    bench_result("lz", sum);
    return 0;
}
