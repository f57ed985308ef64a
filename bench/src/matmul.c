/*
 * Floating-point benchmark: dense double matrix multiply C = A*B, N x N, in i-k-j order
 * (unit stride inner loop, the cache-friendly naive form). Build with
 * -ffp-contract=off: every product and sum is rounded separately, so x86-64 and riscv64
 * produce identical bits. Scale = N.
 */
#include <string.h>

#include "bench_util.h"

int main(int argc, char **argv)
{
    long n = bench_scale(argc, argv, 640);
    double *a = bench_alloc(sizeof(double) * n * n), *b = bench_alloc(sizeof(double) * n * n);
    double *c = bench_alloc(sizeof(double) * n * n);
    uint64_t s = 4;
    for (long i = 0; i < n * n; i++) {
        a[i] = (double)(bench_rand(&s) >> 11) / 9007199254740992.0 - 0.5;
        b[i] = (double)(bench_rand(&s) >> 11) / 9007199254740992.0 - 0.5;
        c[i] = 0.0;
    }
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    uint64_t sum = 0;
    double trace = 0.0;
    for (long i = 0; i < n * n; i++) {
        uint64_t bits;
        memcpy(&bits, &c[i], 8);
        sum = sum * 0x100000001B3ull ^ bits;
        if (i % (n + 1) == 0) trace += c[i];
    }
    printf("matmul: n=%ld trace=%.12f\n", n, trace);
    bench_result("matmul", sum);
    return 0;
}
