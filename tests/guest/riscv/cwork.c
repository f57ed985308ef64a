/*
 * Ordinary compiled C, built twice by run.sh: -Os -march=rv64gc (dense compressed code)
 * and -O2 -march=rv64g (no compressed instructions in this file). Every answer is a
 * published check value or a classic known result: CRC-32 and CRC-32C of "123456789",
 * Adler-32 of "Wikipedia", FNV-1a test vectors, Fibonacci, prime counts, Collatz step
 * counts, the 8-queens solution count, Ackermann values, Hanoi move counts, 128-bit
 * products, printf formatting, and qsort/strings/jump tables.
 */
#include <stdlib.h>

#include "check.h"

static uint32_t crc32_ieee(const char *s)
{
    uint32_t c = 0xffffffffu;
    for (; *s; s++) {
        c ^= (uint8_t)*s;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static uint32_t crc32c(const char *s)
{
    static uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        table[i] = c;
    }
    uint32_t c = 0xffffffffu;
    for (; *s; s++)
        c = table[(c ^ (uint8_t)*s) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t adler32(const char *s)
{
    uint32_t a = 1, b = 0;
    for (; *s; s++) {
        a = (a + (uint8_t)*s) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 0x811c9dc5u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x01000193u;
    return h;
}

static uint64_t fib(int n)
{
    uint64_t a = 0, b = 1;
    while (n--) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static int prime_count(int n)
{
    char *sieve = calloc((size_t)n + 1, 1);
    int count = 0;
    for (int i = 2; i <= n; i++) {
        if (sieve[i])
            continue;
        count++;
        for (long j = (long)i * i; j <= n; j += i)
            sieve[j] = 1;
    }
    free(sieve);
    return count;
}

static int collatz_steps(uint64_t n)
{
    int steps = 0;
    while (n != 1) {
        n = n & 1 ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

static int queens(int row, int n, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n)
        return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        unsigned a = 1u << c, b = 1u << (row + c), d = 1u << (row - c + n);
        if ((cols & a) || (d1 & b) || (d2 & d))
            continue;
        count += queens(row + 1, n, cols | a, d1 | b, d2 | d);
    }
    return count;
}

static unsigned ackermann(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static unsigned long hanoi_moves;
static void hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    hanoi_moves++;
    hanoi(n - 1, via, to, from);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* a dense switch the compiler turns into a jump table (indirect jump) */
__attribute__((noinline)) static int day_len(int m)
{
    switch (m) {
    case 1: return 31;
    case 2: return 28;
    case 3: return 31;
    case 4: return 30;
    case 5: return 31;
    case 6: return 30;
    case 7: return 31;
    case 8: return 31;
    case 9: return 30;
    case 10: return 31;
    case 11: return 30;
    case 12: return 31;
    default: return -1;
    }
}

struct packed {
    unsigned a : 3, b : 7, c : 13;
    signed d : 9;
};

int main(void)
{
    check_u64("crc32 of 123456789", crc32_ieee("123456789"), 0xcbf43926u);
    check_u64("crc32c of 123456789", crc32c("123456789"), 0xe3069283u);
    check_u64("adler32 of Wikipedia", adler32("Wikipedia"), 0x11e60398u);
    check_u64("fnv1a32 of empty", fnv1a32(""), 0x811c9dc5u);
    check_u64("fnv1a32 of a", fnv1a32("a"), 0xe40c292cu);
    check_u64("fnv1a64 of a", fnv1a64("a"), 0xaf63dc4c8601ec8cull);
    check_u64("fib(90)", fib(90), 2880067194370816120ull);
    check_u64("fib(93) fits", fib(93), 12200160415121876738ull);
    check_u64("primes below 100000", (uint64_t)prime_count(100000), 9592);
    check_u64("collatz 27", (uint64_t)collatz_steps(27), 111);
    check_u64("collatz 97", (uint64_t)collatz_steps(97), 118);
    check_u64("collatz 871", (uint64_t)collatz_steps(871), 178);
    check_u64("8 queens", (uint64_t)queens(0, 8, 0, 0, 0), 92);
    check_u64("ackermann(2,3)", ackermann(2, 3), 9);
    check_u64("ackermann(3,3)", ackermann(3, 3), 61);
    hanoi(16, 1, 3, 2);
    check_u64("hanoi 16 disks", hanoi_moves, 65535);

    unsigned __int128 p = (unsigned __int128)0xffffffffffffffffull * 0xffffffffffffffffull;
    check_u64("u128 product high", (uint64_t)(p >> 64), 0xfffffffffffffffeull);
    check_u64("u128 product low", (uint64_t)p, 1);
    __int128 q = (__int128)(-3) * (__int128)0x7fffffffffffffffll;
    check_u64("i128 product high", (uint64_t)((unsigned __int128)q >> 64), 0xfffffffffffffffeull);
    check_u64("i128 product low", (uint64_t)q, 0x8000000000000003ull);

    char buf[64];
    snprintf(buf, sizeof buf, "%d|%x|%s|%08.3f|%-4c|%lld", -42, 0xbeef, "str", 3.14159, 'z',
             -9000000000ll);
    check_true("snprintf", !strcmp(buf, "-42|beef|str|0003.142|z   |-9000000000"), "got '%s'",
               buf);
    snprintf(buf, sizeof buf, "%.17g %e", 0.1, 1e-300);
    check_true("snprintf doubles", !strcmp(buf, "0.10000000000000001 1.000000e-300"), "got '%s'",
               buf);
    check_u64("strtoull hex", strtoull("0xfedcba9876543210", NULL, 16), 0xfedcba9876543210ull);
    check_u64("strtoll negative", (uint64_t)strtoll("-1234567890123", NULL, 10),
              (uint64_t)-1234567890123ll);

    /* qsort of a fixed LCG sequence: sorted, and the sum is unchanged */
    enum { N = 2000 };
    static uint32_t v[N];
    uint32_t x = 12345;
    uint64_t sum0 = 0, sum1 = 0;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = x;
        sum0 += x;
    }
    qsort(v, N, sizeof v[0], cmp_u32);
    int unsorted = 0;
    for (int i = 0; i < N; i++) {
        sum1 += v[i];
        unsorted += i && v[i - 1] > v[i];
    }
    check_true("qsort sorted", unsorted == 0, "%d inversions", unsorted);
    check_u64("qsort kept the elements", sum1, sum0);

    /* memmove with overlap both ways, memset, strchr/strrchr/strstr */
    char s[32] = "abcdefghijklmnop";
    memmove(s + 2, s, 10);
    check_true("memmove forward overlap", !memcmp(s, "ababcdefghijmnop", 16), "got '%.16s'", s);
    memmove(s, s + 4, 8);
    check_true("memmove backward overlap", !memcmp(s, "cdefghijghijmnop", 16), "got '%.16s'", s);
    check_u64("strchr", (uint64_t)(strchr(s, 'j') - s), 7);
    check_u64("strrchr", (uint64_t)(strrchr(s, 'j') - s), 11);
    check_u64("strstr", (uint64_t)(strstr(s, "ghijm") - s), 8);
    check_true("strcmp sign", strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0, "wrong sign");

    int days = 0;
    for (int m = 0; m <= 13; m++)
        days += day_len(m);
    check_u64("jump table", (uint64_t)days, 365 - 2);

    struct packed pk = {5, 100, 8000, -200};
    volatile struct packed *vp = &pk;
    check_u64("bitfield a", vp->a, 5);
    check_u64("bitfield b", vp->b, 100);
    check_u64("bitfield c", vp->c, 8000);
    check_u64("bitfield d", (uint64_t)(int64_t)vp->d, (uint64_t)-200);
    vp->d = vp->d - 57; /* -257 wraps modulo 2^9 (GCC) */
    check_u64("bitfield d wraps", (uint64_t)(int64_t)vp->d, 255);
    return check_done("cwork");
}
