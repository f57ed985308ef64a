/*
 * Integer benchmark: sorting. Quicksort (median of three, insertion sort below 16
 * elements, recursion on the smaller half so the stack stays O(log n)) and a bottom-up
 * mergesort, each on N pseudo-random 32-bit ints. Verifies both results are sorted and
 * equal. Scale = N in thousands.
 */
#include <string.h>

#include "bench_util.h"

static void insertion_sort(int32_t *a, long n)
{
    for (long i = 1; i < n; i++) {
        int32_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static inline void swap32(int32_t *a, int32_t *b)
{
    int32_t t = *a;
    *a = *b;
    *b = t;
}

static void quick_sort(int32_t *a, long n)
{
    while (n > 16) {
        long m = n / 2;
        if (a[m] < a[0]) swap32(&a[m], &a[0]);
        if (a[n - 1] < a[0]) swap32(&a[n - 1], &a[0]);
        if (a[n - 1] < a[m]) swap32(&a[n - 1], &a[m]);
        int32_t pivot = a[m];
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j) break;
            swap32(&a[i], &a[j]);
            i++;
            j--;
        }
        long left = j + 1; /* a[0..j] <= pivot <= a[j+1..n-1] */
        if (left < n - left) {
            quick_sort(a, left);
            a += left;
            n -= left;
        } else {
            quick_sort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static void merge_sort(int32_t *a, int32_t *tmp, long n)
{
    for (long w = 1; w < n; w *= 2) {
        for (long lo = 0; lo < n; lo += 2 * w) {
            long mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, (size_t)n * sizeof(*a));
    }
}

int main(int argc, char **argv)
{
    long n = bench_scale(argc, argv, 3000) * 1000;
    int32_t *a = bench_alloc((size_t)n * sizeof(*a)), *b = bench_alloc((size_t)n * sizeof(*b));
    int32_t *tmp = bench_alloc((size_t)n * sizeof(*tmp));
    uint64_t s = 2;
    for (long i = 0; i < n; i++)
        a[i] = b[i] = (int32_t)(bench_rand(&s) % 1000000007u) - 500000000;
    quick_sort(a, n);
    merge_sort(b, tmp, n);
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        if (a[i] != b[i] || (i && a[i - 1] > a[i])) {
            printf("sort: wrong result at %ld\n", i);
            return 1;
        }
        sum = sum * 31 + (uint32_t)a[i];
    }
    bench_result("sort", sum);
    return 0;
}
