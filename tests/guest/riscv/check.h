/*
 * Known-answer checking for the riscv64 guest test programs. Every check compares a value
 * computed by the guest against a constant worked out by hand or from the ISA spec (never
 * from running the code), prints one "FAIL" line per mismatch, and check_done() turns the
 * tally into the exit status: 0 only if every check passed.
 *
 * A reference runner with a known bug (QEMU 7.2) can be given GUEST_TEST_XFAIL, a list of
 * check names separated by ';': such a check failing prints "XFAIL" and does not count.
 * tests/guest/run.sh sets it only when RUNNER is used, never for omnivm.
 *
 * Invariant: nothing here uses floating point or atomics, so a broken F/D or A extension
 * cannot hide its own failures.
 */
#ifndef OMNIVM_GUEST_CHECK_H
#define OMNIVM_GUEST_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed, check_count;

/* 1 if `what` is listed in GUEST_TEST_XFAIL (then the failure is reported, not counted) */
static int check_xfail(const char *what)
{
    const char *list = getenv("GUEST_TEST_XFAIL");
    size_t n = strlen(what);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, what, n)) {
            printf("XFAIL (known runner bug) ");
            return 1;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

__attribute__((unused)) static void check_u64(const char *what, uint64_t got, uint64_t want)
{
    check_count++;
    if (got != want) {
        check_failed += !check_xfail(what);
        printf("FAIL %s: got 0x%016llx want 0x%016llx\n", what, (unsigned long long)got,
               (unsigned long long)want);
    }
}

/* A boolean condition, with a free-form explanation on failure. */
__attribute__((unused, format(printf, 3, 4))) static void check_true(const char *what, int ok, const char *fmt, ...)
{
    check_count++;
    if (!ok) {
        va_list ap;
        check_failed += !check_xfail(what);
        printf("FAIL %s: ", what);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
}

/* Prints the summary and returns the exit status for main(). */
__attribute__((unused)) static int check_done(const char *prog)
{
    if (check_failed) {
        printf("%s: %d of %d checks failed\n", prog, check_failed, check_count);
        fflush(stdout);
        return 1;
    }
    if (check_count == 0) {
        printf("%s: no checks ran\n", prog);
        return 1;
    }
    printf("%s: all %d checks passed\n", prog, check_count);
    fflush(stdout);
    return 0;
}

/* Hides a value from the optimiser so the instruction under test really runs. */
#define OPAQUE(v)                                                                           \
    ({                                                                                      \
        __typeof__((v) + 0) opaque_v_ = (v);                                                    \
        __asm__ volatile("" : "+r"(opaque_v_));                                             \
        opaque_v_;                                                                          \
    })

/* One R-type (or I-type with register operands) instruction: rd = insn(a, b). */
#define RR(insn, a, b)                                                                      \
    ({                                                                                      \
        uint64_t rr_d_, rr_a_ = (uint64_t)(a), rr_b_ = (uint64_t)(b);                       \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(rr_d_) : "r"(rr_a_), "r"(rr_b_));        \
        rr_d_;                                                                              \
    })
/* rd = insn(a, imm) */
#define RI(insn, a, imm)                                                                    \
    ({                                                                                      \
        uint64_t ri_d_, ri_a_ = (uint64_t)(a);                                              \
        __asm__ volatile(insn " %0, %1, " #imm : "=r"(ri_d_) : "r"(ri_a_));                 \
        ri_d_;                                                                              \
    })
/* rd = insn(a) */
#define R1(insn, a)                                                                         \
    ({                                                                                      \
        uint64_t r1_d_, r1_a_ = (uint64_t)(a);                                              \
        __asm__ volatile(insn " %0, %1" : "=r"(r1_d_) : "r"(r1_a_));                        \
        r1_d_;                                                                              \
    })

#endif
