/*
 * FPU room tests: known vectors derived from the RISC-V F/D rules (every flag, every
 * rounding mode, RMM ties, subnormals and tininess, overflow per mode, canonical NaNs,
 * fmin/fmax signed zeros, saturating conversions), the other guests' NaN/min/saturation
 * flavours, the host FP environment being left untouched, a randomized cross-check of the
 * host (SSE) path against the software path, and, when riscv64-linux-gnu-gcc and
 * qemu-riscv64 are installed, the same random inputs run on a RISC-V guest as an oracle.
 *
 * Every known vector runs through the public entry points (with the host's tiers, and with
 * the MXCSR tier forced) and through the software path.
 * Output: one "ok NAME" / "not ok NAME: reason" line per group; mismatches are printed as
 * "# ..." context lines (at most FPU_TEST_SHOW per group, the rest counted). Exit status
 * is non-zero if any group failed. FPU_TEST_ITERS scales the random cross-check.
 */
#include <fenv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpu/fpu.h"
#include "fpu/fpu_internal.h"
#include "ir/ir.h"

#define FPU_TEST_SHOW 40

/* ---- groups ---- */
static const char *g_name;
static long g_fail, g_checks;
static char g_first[300];
static int g_groups_failed;

static void group_begin(const char *name)
{
    g_name = name;
    g_fail = 0;
    g_checks = 0;
    g_first[0] = 0;
}

__attribute__((format(printf, 1, 2))) static void group_fail(const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!g_fail)
        snprintf(g_first, sizeof g_first, "%s", buf);
    if (g_fail < FPU_TEST_SHOW)
        printf("# %s: %s\n", g_name, buf);
    g_fail++;
}

static void group_end(void)
{
    if (g_fail > FPU_TEST_SHOW)
        printf("# %s: %ld more mismatches not shown\n", g_name, g_fail - FPU_TEST_SHOW);
    if (g_fail) {
        printf("not ok %s: %ld of %ld checks failed; first: %s\n", g_name, g_fail, g_checks,
               g_first);
        g_groups_failed++;
    } else if (g_checks == 0) {
        printf("not ok %s: no checks ran\n", g_name);
        g_groups_failed++;
    } else {
        printf("ok %s (%ld checks)\n", g_name, g_checks);
    }
}

/* ---- one op, by number, through either path ---- */
enum top { T_ADD, T_SUB, T_MUL, T_DIV, T_SQRT, T_FMA, T_MIN, T_MAX, T_CMP, T_F2I, T_I2F, T_F2F,
           T_NUM };
static const char *const top_name[T_NUM] = {"add", "sub", "mul", "div", "sqrt", "fma",
                                            "min", "max", "cmp", "f2i", "i2f", "f2f"};

/* For T_CMP, rm carries the predicate; for T_F2F, dbl is to_dbl. */
static uint64_t run_op(bool soft, int op, bool dbl, unsigned rm, uint64_t fpx, uint64_t a,
                       uint64_t b, uint64_t c, uint32_t *fl)
{
    switch (op) {
    case T_ADD: return (soft ? fpu_soft_add : fpu_add)(dbl, rm, fpx, a, b, fl);
    case T_SUB: return (soft ? fpu_soft_sub : fpu_sub)(dbl, rm, fpx, a, b, fl);
    case T_MUL: return (soft ? fpu_soft_mul : fpu_mul)(dbl, rm, fpx, a, b, fl);
    case T_DIV: return (soft ? fpu_soft_div : fpu_div)(dbl, rm, fpx, a, b, fl);
    case T_SQRT: return (soft ? fpu_soft_sqrt : fpu_sqrt)(dbl, rm, fpx, a, fl);
    case T_FMA: return (soft ? fpu_soft_fma : fpu_fma)(dbl, rm, fpx, a, b, c, fl);
    case T_MIN: return fpu_min(dbl, fpx, a, b, fl);
    case T_MAX: return fpu_max(dbl, fpx, a, b, fl);
    case T_CMP: return fpu_cmp(dbl, rm, a, b, fl);
    case T_F2I: return (soft ? fpu_soft_f2i : fpu_f2i)(dbl, rm, fpx, a, fl);
    case T_I2F: return (soft ? fpu_soft_i2f : fpu_i2f)(dbl, rm, fpx, a, fl);
    case T_F2F: return (soft ? fpu_soft_f2f : fpu_f2f)(dbl, rm, fpx, a, fl);
    }
    return 0;
}

static const char *const rm_name[8] = {"rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"};

/* ---- known vectors ---- */
struct vec {
    uint8_t op;
    bool dbl;
    uint8_t rm;
    uint64_t fpx, a, b, c, want;
    uint32_t wfl;
};

#define NX IR_FPF_NX
#define UF IR_FPF_UF
#define OF IR_FPF_OF
#define DZ IR_FPF_DZ
#define NV IR_FPF_NV
#define DE IR_FPF_DE
#define RNE IR_RM_RNE
#define RTZ IR_RM_RTZ
#define RDN IR_RM_RDN
#define RUP IR_RM_RUP
#define RMM IR_RM_RMM
#define S false
#define D true

/* binary32 */
#define F_ONE 0x3f800000u
#define F_NONE 0xbf800000u
#define F_TWO 0x40000000u
#define F_THREE 0x40400000u
#define F_HALF 0x3f000000u
#define F_MAX 0x7f7fffffu
#define F_NMAX 0xff7fffffu
#define F_MINN 0x00800000u
#define F_MINSUB 0x00000001u
#define F_INF 0x7f800000u
#define F_NINF 0xff800000u
#define F_QNAN 0x7fc00000u
#define F_SNAN 0x7f800001u
#define F_NZERO 0x80000000u
/* binary64 */
#define D_ONE 0x3ff0000000000000ull
#define D_NONE 0xbff0000000000000ull
#define D_TWO 0x4000000000000000ull
#define D_MAX 0x7fefffffffffffffull
#define D_NMAX 0xffefffffffffffffull
#define D_INF 0x7ff0000000000000ull
#define D_NINF 0xfff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_NZERO 0x8000000000000000ull

#define SGN_W IR_FPX_SIGNED | IR_FPX_W32
#define UNS_W IR_FPX_W32
#define SGN_L IR_FPX_SIGNED
#define UNS_L 0

static const struct vec v_rounding[] = {
    /* 1/3 and -1/3 in every mode: NX, and the direction each mode takes */
    {T_DIV, S, RNE, 0, F_ONE, F_THREE, 0, 0x3eaaaaab, NX},
    {T_DIV, S, RTZ, 0, F_ONE, F_THREE, 0, 0x3eaaaaaa, NX},
    {T_DIV, S, RDN, 0, F_ONE, F_THREE, 0, 0x3eaaaaaa, NX},
    {T_DIV, S, RUP, 0, F_ONE, F_THREE, 0, 0x3eaaaaab, NX},
    {T_DIV, S, RMM, 0, F_ONE, F_THREE, 0, 0x3eaaaaab, NX},
    {T_DIV, S, RNE, 0, F_NONE, F_THREE, 0, 0xbeaaaaab, NX},
    {T_DIV, S, RTZ, 0, F_NONE, F_THREE, 0, 0xbeaaaaaa, NX},
    {T_DIV, S, RDN, 0, F_NONE, F_THREE, 0, 0xbeaaaaab, NX},
    {T_DIV, S, RUP, 0, F_NONE, F_THREE, 0, 0xbeaaaaaa, NX},
    {T_DIV, S, RMM, 0, F_NONE, F_THREE, 0, 0xbeaaaaab, NX},
    {T_DIV, D, RNE, 0, D_ONE, 0x4008000000000000, 0, 0x3fd5555555555555, NX},
    {T_DIV, D, RUP, 0, D_ONE, 0x4008000000000000, 0, 0x3fd5555555555556, NX},
    {T_DIV, D, RMM, 0, D_ONE, 0x4008000000000000, 0, 0x3fd5555555555555, NX},
    {T_DIV, D, RDN, 0, D_NONE, 0x4008000000000000, 0, 0xbfd5555555555556, NX},
    /* exact results raise nothing */
    {T_ADD, S, RMM, 0, F_ONE, F_TWO, 0, F_THREE, 0},
    {T_SQRT, D, RUP, 0, 0x4010000000000000, 0, 0, D_TWO, 0},
    {T_SQRT, S, RNE, 0, F_TWO, 0, 0, 0x3fb504f3, NX},
    {T_SQRT, S, RTZ, 0, F_TWO, 0, 0, 0x3fb504f3, NX},
    {T_SQRT, S, RUP, 0, F_TWO, 0, 0, 0x3fb504f4, NX},
    /* x - x is +0, except -0 when rounding down */
    {T_SUB, S, RNE, 0, F_THREE, F_THREE, 0, 0, 0},
    {T_SUB, S, RDN, 0, F_THREE, F_THREE, 0, F_NZERO, 0},
    {T_ADD, D, RDN, 0, D_ONE, D_NONE, 0, D_NZERO, 0},
    {T_ADD, D, RMM, 0, D_ONE, D_NONE, 0, 0, 0},
    {T_ADD, S, RNE, 0, F_NZERO, F_NZERO, 0, F_NZERO, 0},
};

static const struct vec v_flags[] = {
    /* DZ only for finite nonzero / 0 */
    {T_DIV, S, RNE, 0, F_ONE, 0, 0, F_INF, DZ},
    {T_DIV, S, RNE, 0, F_NONE, 0, 0, F_NINF, DZ},
    {T_DIV, S, RNE, 0, F_ONE, F_NZERO, 0, F_NINF, DZ},
    {T_DIV, D, RTZ, 0, D_ONE, 0, 0, D_INF, DZ},
    {T_DIV, S, RNE, 0, F_INF, 0, 0, F_INF, 0},
    {T_DIV, S, RNE, 0, F_MINSUB, 0, 0, F_INF, DZ},
    /* NV */
    {T_DIV, S, RNE, 0, 0, 0, 0, F_QNAN, NV},
    {T_DIV, D, RNE, 0, D_INF, D_NINF, 0, D_QNAN, NV},
    {T_ADD, S, RNE, 0, F_INF, F_NINF, 0, F_QNAN, NV},
    {T_SUB, D, RNE, 0, D_INF, D_INF, 0, D_QNAN, NV},
    {T_MUL, S, RNE, 0, 0, F_INF, 0, F_QNAN, NV},
    {T_MUL, D, RNE, 0, D_NINF, D_NZERO, 0, D_QNAN, NV},
    {T_SQRT, S, RNE, 0, F_NONE, 0, 0, F_QNAN, NV},
    {T_SQRT, D, RNE, 0, D_NINF, 0, 0, D_QNAN, NV},
    {T_SQRT, D, RNE, 0, D_NZERO, 0, 0, D_NZERO, 0},
    {T_SQRT, S, RNE, 0, 0x80000001u, 0, 0, F_QNAN, NV},
    {T_ADD, S, RNE, 0, F_SNAN, F_ONE, 0, F_QNAN, NV},
    {T_ADD, S, RNE, 0, F_QNAN, F_ONE, 0, F_QNAN, 0},
    {T_MUL, D, RNE, 0, D_ONE, D_SNAN, 0, D_QNAN, NV},
    /* inf arithmetic is exact */
    {T_ADD, S, RNE, 0, F_INF, F_MAX, 0, F_INF, 0},
    {T_MUL, D, RNE, 0, D_INF, D_NONE, 0, D_NINF, 0},
};

static const struct vec v_overflow[] = {
    /* max * 2: +inf or +max by mode, -inf or -max for the negative */
    {T_MUL, S, RNE, 0, F_MAX, F_TWO, 0, F_INF, OF | NX},
    {T_MUL, S, RTZ, 0, F_MAX, F_TWO, 0, F_MAX, OF | NX},
    {T_MUL, S, RDN, 0, F_MAX, F_TWO, 0, F_MAX, OF | NX},
    {T_MUL, S, RUP, 0, F_MAX, F_TWO, 0, F_INF, OF | NX},
    {T_MUL, S, RMM, 0, F_MAX, F_TWO, 0, F_INF, OF | NX},
    {T_MUL, S, RNE, 0, F_NMAX, F_TWO, 0, F_NINF, OF | NX},
    {T_MUL, S, RTZ, 0, F_NMAX, F_TWO, 0, F_NMAX, OF | NX},
    {T_MUL, S, RDN, 0, F_NMAX, F_TWO, 0, F_NINF, OF | NX},
    {T_MUL, S, RUP, 0, F_NMAX, F_TWO, 0, F_NMAX, OF | NX},
    {T_MUL, S, RMM, 0, F_NMAX, F_TWO, 0, F_NINF, OF | NX},
    {T_ADD, D, RNE, 0, D_MAX, D_MAX, 0, D_INF, OF | NX},
    {T_ADD, D, RTZ, 0, D_MAX, D_MAX, 0, D_MAX, OF | NX},
    {T_ADD, D, RDN, 0, D_NMAX, D_NMAX, 0, D_NINF, OF | NX},
    {T_ADD, D, RUP, 0, D_NMAX, D_NMAX, 0, D_NMAX, OF | NX},
    {T_ADD, D, RMM, 0, D_NMAX, D_NMAX, 0, D_NINF, OF | NX},
    /* max + half an ulp: a tie that rounds to 2^128 (overflow) or stays (inexact only) */
    {T_ADD, S, RNE, 0, F_MAX, 0x73000000, 0, F_INF, OF | NX},
    {T_ADD, S, RMM, 0, F_MAX, 0x73000000, 0, F_INF, OF | NX},
    {T_ADD, S, RTZ, 0, F_MAX, 0x73000000, 0, F_MAX, NX},
    {T_ADD, S, RDN, 0, F_MAX, 0x73000000, 0, F_MAX, NX},
    {T_ADD, S, RUP, 0, F_MAX, 0x73000000, 0, F_INF, OF | NX},
    {T_DIV, S, RNE, 0, F_MAX, 0x3f000000, 0, F_INF, OF | NX},
    {T_F2F, S, RNE, 0, D_MAX, 0, 0, F_INF, OF | NX},
    {T_F2F, S, RTZ, 0, D_MAX, 0, 0, F_MAX, OF | NX},
    {T_F2F, S, RUP, 0, D_NMAX, 0, 0, F_NMAX, OF | NX},
};

static const struct vec v_underflow[] = {
    /* exact subnormal results: tiny but exact, so no UF */
    {T_MUL, S, RNE, 0, F_MINN, F_HALF, 0, 0x00400000, 0},
    {T_F2F, S, RNE, 0, 0x3730000000000000, 0, 0, 0x00000200, 0},
    {T_SUB, S, RNE, 0, 0x00800001, F_MINN, 0, 0x00000001, 0},
    /* 2^-127 * (1 + 2^-23): a tie in the subnormal range */
    {T_MUL, S, RNE, 0, 0x00800001, F_HALF, 0, 0x00400000, UF | NX},
    {T_MUL, S, RMM, 0, 0x00800001, F_HALF, 0, 0x00400001, UF | NX},
    {T_MUL, S, RUP, 0, 0x00800001, F_HALF, 0, 0x00400001, UF | NX},
    {T_MUL, S, RTZ, 0, 0x00800001, F_HALF, 0, 0x00400000, UF | NX},
    {T_MUL, S, RDN, 0, 0x00800001, F_HALF, 0, 0x00400000, UF | NX},
    /* 2^-150: half the smallest subnormal */
    {T_MUL, S, RNE, 0, F_MINSUB, F_HALF, 0, 0, UF | NX},
    {T_MUL, S, RMM, 0, F_MINSUB, F_HALF, 0, F_MINSUB, UF | NX},
    {T_MUL, S, RUP, 0, F_MINSUB, F_HALF, 0, F_MINSUB, UF | NX},
    {T_MUL, S, RDN, 0, 0x80000001, F_HALF, 0, 0x80000001, UF | NX},
    {T_MUL, S, RNE, 0, 0x80000001, F_HALF, 0, F_NZERO, UF | NX},
    {T_F2F, S, RNE, 0, 0x3370000000000000, 0, 0, 0, UF | NX},
    {T_F2F, S, RUP, 0, 0x3370000000000000, 0, 0, F_MINSUB, UF | NX},
    {T_F2F, S, RDN, 0, 0xb370000000000000, 0, 0, 0x80000001, UF | NX},
    /* tininess after rounding: 2^-126*(1-2^-25) rounds to 2^-126 at full precision, so it
     * is not tiny when rounding up (NX only) and tiny when rounding down */
    {T_F2F, S, RNE, 0, 0x380ffffff0000000, 0, 0, F_MINN, NX},
    {T_F2F, S, RMM, 0, 0x380ffffff0000000, 0, 0, F_MINN, NX},
    {T_F2F, S, RUP, 0, 0x380ffffff0000000, 0, 0, F_MINN, NX},
    {T_F2F, S, RTZ, 0, 0x380ffffff0000000, 0, 0, 0x007fffff, UF | NX},
    {T_F2F, S, RDN, 0, 0x380ffffff0000000, 0, 0, 0x007fffff, UF | NX},
    /* 2^-126*(1-2^-24) is exact at full precision, so tiny in every mode */
    {T_F2F, S, RNE, 0, 0x380fffffe0000000, 0, 0, F_MINN, UF | NX},
    {T_F2F, S, RMM, 0, 0x380fffffe0000000, 0, 0, F_MINN, UF | NX},
    {T_F2F, S, RUP, 0, 0x380fffffe0000000, 0, 0, F_MINN, UF | NX},
    {T_F2F, S, RTZ, 0, 0x380fffffe0000000, 0, 0, 0x007fffff, UF | NX},
    {T_MUL, S, RNE, 0, 0x00ffffff, F_HALF, 0, F_MINN, UF | NX},
    {T_MUL, D, RNE, 0, 0x0010000000000001, 0x3fe0000000000000, 0, 0x0008000000000000, UF | NX},
    {T_MUL, D, RMM, 0, 0x0010000000000001, 0x3fe0000000000000, 0, 0x0008000000000001, UF | NX},
    {T_DIV, D, RNE, 0, 0x0000000000000001, D_TWO, 0, 0, UF | NX},
    {T_DIV, D, RUP, 0, 0x0000000000000001, D_TWO, 0, 1, UF | NX},
    /* subnormal operands are read exactly */
    {T_ADD, S, RNE, 0, F_MINSUB, F_MINSUB, 0, 0x00000002, 0},
    {T_F2F, D, RNE, 0, F_MINSUB, 0, 0, 0x36a0000000000000, 0},
    {T_SQRT, D, RNE, 0, 0x0000000000000004, 0, 0, 0x1e70000000000000, 0},
};

static const struct vec v_rmm[] = {
    /* f2i: 2.5 -> 3, -2.5 -> -3, 0.5 -> 1 under RMM; RNE goes to even */
    {T_F2I, S, RMM, SGN_W, 0x40200000, 0, 0, 3, NX},
    {T_F2I, S, RNE, SGN_W, 0x40200000, 0, 0, 2, NX},
    {T_F2I, S, RTZ, SGN_W, 0x40200000, 0, 0, 2, NX},
    {T_F2I, S, RDN, SGN_W, 0x40200000, 0, 0, 2, NX},
    {T_F2I, S, RUP, SGN_W, 0x40200000, 0, 0, 3, NX},
    {T_F2I, S, RMM, SGN_W, 0xc0200000, 0, 0, 0xfffffffd, NX},
    {T_F2I, S, RNE, SGN_W, 0xc0200000, 0, 0, 0xfffffffe, NX},
    {T_F2I, S, RDN, SGN_W, 0xc0200000, 0, 0, 0xfffffffd, NX},
    {T_F2I, S, RUP, SGN_W, 0xc0200000, 0, 0, 0xfffffffe, NX},
    {T_F2I, S, RMM, SGN_W, F_HALF, 0, 0, 1, NX},
    {T_F2I, S, RNE, SGN_W, F_HALF, 0, 0, 0, NX},
    {T_F2I, S, RNE, SGN_W, 0x40600000, 0, 0, 4, NX},
    {T_F2I, S, RMM, SGN_W, 0x40600000, 0, 0, 4, NX},
    {T_F2I, D, RMM, SGN_L, 0x4004000000000000, 0, 0, 3, NX},
    {T_F2I, D, RMM, SGN_L, 0xc004000000000000, 0, 0, 0xfffffffffffffffd, NX},
    {T_F2I, D, RNE, SGN_L, 0xc004000000000000, 0, 0, 0xfffffffffffffffe, NX},
    {T_F2I, D, RMM, UNS_L, 0x4004000000000000, 0, 0, 3, NX},
    /* i2f: 2^24+1 -> f32 is a tie */
    {T_I2F, S, RMM, SGN_W, 0x01000001, 0, 0, 0x4b800001, NX},
    {T_I2F, S, RNE, SGN_W, 0x01000001, 0, 0, 0x4b800000, NX},
    {T_I2F, S, RUP, SGN_W, 0x01000001, 0, 0, 0x4b800001, NX},
    {T_I2F, S, RTZ, SGN_W, 0x01000001, 0, 0, 0x4b800000, NX},
    {T_I2F, S, RMM, SGN_W, 0xfeffffff, 0, 0, 0xcb800001, NX},
    {T_I2F, S, RNE, SGN_W, 0xfeffffff, 0, 0, 0xcb800000, NX},
    {T_I2F, S, RDN, SGN_W, 0xfeffffff, 0, 0, 0xcb800001, NX},
    {T_I2F, S, RUP, SGN_W, 0xfeffffff, 0, 0, 0xcb800000, NX},
    {T_I2F, S, RNE, SGN_W, 0x01000003, 0, 0, 0x4b800002, NX},
    {T_I2F, S, RMM, SGN_W, 0x01000003, 0, 0, 0x4b800002, NX},
    {T_I2F, D, RMM, SGN_L, 0x0020000000000001, 0, 0, 0x4340000000000001, NX},
    {T_I2F, D, RNE, SGN_L, 0x0020000000000001, 0, 0, 0x4340000000000000, NX},
    {T_I2F, D, RMM, UNS_L, 0xffffffffffffffff, 0, 0, 0x43f0000000000000, NX},
    /* add: 1 + 2^-24 (f32), 1 + 2^-53 (f64) */
    {T_ADD, S, RMM, 0, F_ONE, 0x33800000, 0, 0x3f800001, NX},
    {T_ADD, S, RNE, 0, F_ONE, 0x33800000, 0, F_ONE, NX},
    {T_ADD, S, RMM, 0, F_NONE, 0xb3800000, 0, 0xbf800001, NX},
    {T_SUB, S, RMM, 0, F_NONE, 0x33800000, 0, 0xbf800001, NX},
    {T_ADD, D, RMM, 0, D_ONE, 0x3ca0000000000000, 0, 0x3ff0000000000001, NX},
    {T_ADD, D, RNE, 0, D_ONE, 0x3ca0000000000000, 0, D_ONE, NX},
    /* mul: 1.5 * (1 + 3*2^-23) = 1.5 + 4.5 ulp */
    {T_MUL, S, RMM, 0, 0x3f800003, 0x3fc00000, 0, 0x3fc00005, NX},
    {T_MUL, S, RNE, 0, 0x3f800003, 0x3fc00000, 0, 0x3fc00004, NX},
    {T_MUL, S, RMM, 0, 0xbf800003, 0x3fc00000, 0, 0xbfc00005, NX},
    {T_MUL, S, RTZ, 0, 0xbf800003, 0x3fc00000, 0, 0xbfc00004, NX},
    /* fma: the tie formed only by the exact sum */
    {T_FMA, S, RMM, 0, F_ONE, F_ONE, 0x33800000, 0x3f800001, NX},
    {T_FMA, S, RNE, 0, F_ONE, F_ONE, 0x33800000, F_ONE, NX},
    /* f2f: f64 1 + 2^-24 -> f32 */
    {T_F2F, S, RMM, 0, 0x3ff0000010000000, 0, 0, 0x3f800001, NX},
    {T_F2F, S, RNE, 0, 0x3ff0000010000000, 0, 0, F_ONE, NX},
};

static const struct vec v_nan[] = {
    /* NAN_DEFAULT: every NaN result is the canonical NaN, whatever came in */
    {T_ADD, S, RNE, 0, 0x7fc12345, F_ONE, 0, F_QNAN, 0},
    {T_ADD, S, RNE, 0, 0xffc12345, F_ONE, 0, F_QNAN, 0},
    {T_SUB, S, RMM, 0, F_ONE, 0xffc00001, 0, F_QNAN, 0},
    {T_MUL, D, RNE, 0, D_SNAN, D_ONE, 0, D_QNAN, NV},
    {T_DIV, D, RMM, 0, 0xfff8000000000123, D_ONE, 0, D_QNAN, 0},
    {T_SQRT, S, RNE, 0, 0xffc00000, 0, 0, F_QNAN, 0},
    {T_SQRT, S, RMM, 0, F_SNAN, 0, 0, F_QNAN, NV},
    {T_F2F, D, RNE, 0, F_SNAN, 0, 0, D_QNAN, NV},
    {T_F2F, D, RNE, 0, 0xffc00001, 0, 0, D_QNAN, 0},
    {T_F2F, S, RNE, 0, 0xfff8000000000123, 0, 0, F_QNAN, 0},
    {T_F2F, S, RMM, 0, D_SNAN, 0, 0, F_QNAN, NV},
    {T_FMA, S, RNE, 0, F_QNAN, F_ONE, F_ONE, F_QNAN, 0},
    {T_FMA, D, RNE, 0, D_ONE, D_ONE, D_SNAN, D_QNAN, NV},
    /* F32 operands ignore bits 32..63 (the frontend's NaN-box) and results are zero-extended */
    {T_ADD, S, RNE, 0, 0xffffffff3f800000, 0x123456783f800000, 0, F_TWO, 0},
    {T_F2I, S, RTZ, SGN_W, 0xffffffffc0200000, 0, 0, 0xfffffffe, NX},
};

static const struct vec v_fma[] = {
    {T_FMA, S, RNE, 0, F_TWO, F_THREE, F_ONE, 0x40e00000, 0},
    {T_FMA, S, RNE, IR_FPX_NEG_PROD, F_TWO, F_THREE, F_ONE, 0xc0a00000, 0},
    {T_FMA, S, RNE, IR_FPX_NEG_ADDEND, F_TWO, F_THREE, F_ONE, 0x40a00000, 0},
    {T_FMA, S, RNE, IR_FPX_NEG_PROD | IR_FPX_NEG_ADDEND, F_TWO, F_THREE, F_ONE, 0xc0e00000, 0},
    /* one rounding: (1+2^-23)(1-2^-23) - 1 = -2^-46 exactly */
    {T_FMA, S, RNE, 0, 0x3f800001, 0x3f7ffffe, F_NONE, 0xa8800000, 0},
    {T_FMA, D, RNE, 0, 0x3ff0000000000001, 0x3fefffffffffffff, D_NONE, 0x3c9ffffffffffffe, 0},
    {T_FMA, D, RMM, IR_FPX_NEG_ADDEND, 0x3ff0000000000001, 0x3fefffffffffffff, D_ONE,
     0x3c9ffffffffffffe, 0},
    /* 0*inf is invalid even with a quiet NaN addend */
    {T_FMA, S, RNE, 0, 0, F_INF, F_QNAN, F_QNAN, NV},
    {T_FMA, D, RNE, 0, D_INF, 0, D_QNAN, D_QNAN, NV},
    {T_FMA, S, RNE, 0, F_INF, 0, F_ONE, F_QNAN, NV},
    {T_FMA, S, RNE, 0, F_INF, F_ONE, F_NINF, F_QNAN, NV},
    {T_FMA, S, RNE, IR_FPX_NEG_ADDEND, F_INF, F_ONE, F_INF, F_QNAN, NV},
    {T_FMA, S, RNE, 0, F_INF, F_ONE, F_INF, F_INF, 0},
    {T_FMA, S, RNE, 0, F_ONE, F_ONE, F_NINF, F_NINF, 0},
    /* signs of exact zeros */
    {T_FMA, S, RNE, 0, F_TWO, F_THREE, 0xc0c00000, 0, 0},
    {T_FMA, S, RDN, 0, F_TWO, F_THREE, 0xc0c00000, F_NZERO, 0},
    {T_FMA, S, RNE, 0, 0, F_ONE, F_NZERO, 0, 0},
    {T_FMA, S, RDN, 0, 0, F_ONE, F_NZERO, F_NZERO, 0},
    {T_FMA, S, RNE, 0, F_NZERO, F_ONE, F_NZERO, F_NZERO, 0},
    {T_FMA, S, RNE, IR_FPX_NEG_PROD | IR_FPX_NEG_ADDEND, 0, F_ONE, 0, F_NZERO, 0},
    {T_FMA, D, RMM, 0, D_NZERO, D_ONE, 0, 0, 0},
    /* overflow and underflow decided on the exact sum */
    {T_FMA, S, RNE, 0, F_MAX, F_TWO, F_NMAX, F_MAX, 0},
    {T_FMA, S, RTZ, 0, F_MAX, F_TWO, F_ONE, F_MAX, OF | NX},
    {T_FMA, S, RNE, 0, F_MINN, F_HALF, F_MINSUB, 0x00400001, 0},
    {T_FMA, S, RNE, 0, F_MINSUB, F_HALF, 0, 0, UF | NX},
};

static const struct vec v_minmax[] = {
    /* RISC-V: -0 < +0, a number beats a NaN, two NaNs give the canonical NaN */
    {T_MIN, S, 0, 0, F_NZERO, 0, 0, F_NZERO, 0},
    {T_MIN, S, 0, 0, 0, F_NZERO, 0, F_NZERO, 0},
    {T_MAX, S, 0, 0, F_NZERO, 0, 0, 0, 0},
    {T_MAX, S, 0, 0, 0, F_NZERO, 0, 0, 0},
    {T_MIN, D, 0, 0, D_NZERO, 0, 0, D_NZERO, 0},
    {T_MAX, D, 0, 0, 0, D_NZERO, 0, 0, 0},
    {T_MIN, S, 0, 0, F_QNAN, F_ONE, 0, F_ONE, 0},
    {T_MIN, S, 0, 0, F_ONE, 0x7fc00123, 0, F_ONE, 0},
    {T_MIN, S, 0, 0, F_SNAN, F_ONE, 0, F_ONE, NV},
    {T_MAX, D, 0, 0, D_ONE, D_SNAN, 0, D_ONE, NV},
    {T_MAX, S, 0, 0, F_SNAN, F_QNAN, 0, F_QNAN, NV},
    {T_MIN, S, 0, 0, 0xffc00001, 0x7fc00002, 0, F_QNAN, 0},
    {T_MIN, D, 0, 0, D_QNAN, D_QNAN, 0, D_QNAN, 0},
    {T_MIN, S, 0, 0, F_NINF, F_ONE, 0, F_NINF, 0},
    {T_MAX, S, 0, 0, F_ONE, F_TWO, 0, F_TWO, 0},
    {T_MIN, S, 0, 0, F_NONE, 0xc0000000, 0, 0xc0000000, 0},
    {T_MAX, S, 0, 0, F_MINSUB, 0, 0, F_MINSUB, 0},
    /* AArch64 FMIN/FMAX: NaNs propagate (sNaN first) */
    {T_MIN, S, 0, IR_FPX_MIN_ARM | IR_FPX_NAN_ARM, 0x7fc00001, F_ONE, 0, 0x7fc00001, 0},
    {T_MIN, S, 0, IR_FPX_MIN_ARM | IR_FPX_NAN_ARM, F_ONE, 0x7f800002, 0, 0x7fc00002, NV},
    {T_MAX, S, 0, IR_FPX_MIN_ARM | IR_FPX_NAN_ARM, 0x7fc00003, 0x7f800002, 0, 0x7fc00002, NV},
    {T_MIN, S, 0, IR_FPX_MIN_ARM | IR_FPX_NAN_ARM, 0, F_NZERO, 0, F_NZERO, 0},
    {T_MIN, S, 0, IR_FPX_MIN_ARM, 0x7fc00001, F_ONE, 0, F_QNAN, 0},
    /* AArch64 FMINNM: a quiet NaN loses, a signalling one propagates */
    {T_MIN, S, 0, IR_FPX_MIN_2019 | IR_FPX_NAN_ARM, 0x7fc00001, F_ONE, 0, F_ONE, 0},
    {T_MIN, S, 0, IR_FPX_MIN_2019 | IR_FPX_NAN_ARM, 0x7f800005, F_ONE, 0, 0x7fc00005, NV},
    /* SSE MINSS/MAXSS: second operand on any NaN (NV even for qNaN) and on two zeros */
    {T_MIN, S, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, F_QNAN, F_ONE, 0, F_ONE, NV},
    {T_MIN, S, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, F_ONE, 0x7fc00001, 0, 0x7fc00001, NV},
    {T_MAX, S, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, F_ONE, F_SNAN, 0, F_SNAN, NV},
    {T_MIN, S, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, F_NZERO, 0, 0, 0, 0},
    {T_MIN, S, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, 0, F_NZERO, 0, F_NZERO, 0},
    {T_MAX, D, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, D_ONE, D_TWO, 0, D_TWO, 0},
    {T_MIN, D, 0, IR_FPX_MIN_X86 | IR_FPX_NAN_X86, D_ONE, D_TWO, 0, D_ONE, 0},
};

static const struct vec v_cmp[] = {
    {T_CMP, S, IR_FCMP_EQ, 0, F_ONE, F_ONE, 0, 1, 0},
    {T_CMP, S, IR_FCMP_EQ, 0, F_QNAN, F_ONE, 0, 0, 0},
    {T_CMP, S, IR_FCMP_EQ, 0, F_ONE, F_SNAN, 0, 0, NV},
    {T_CMP, S, IR_FCMP_EQ, 0, F_NZERO, 0, 0, 1, 0},
    {T_CMP, D, IR_FCMP_EQ, 0, D_QNAN, D_QNAN, 0, 0, 0},
    {T_CMP, S, IR_FCMP_LT, 0, F_QNAN, F_ONE, 0, 0, NV},
    {T_CMP, D, IR_FCMP_LE, 0, D_ONE, D_QNAN, 0, 0, NV},
    {T_CMP, S, IR_FCMP_LT, 0, F_NZERO, 0, 0, 0, 0},
    {T_CMP, S, IR_FCMP_LE, 0, F_NZERO, 0, 0, 1, 0},
    {T_CMP, S, IR_FCMP_LT, 0, F_ONE, F_TWO, 0, 1, 0},
    {T_CMP, S, IR_FCMP_LT, 0, F_TWO, F_ONE, 0, 0, 0},
    {T_CMP, S, IR_FCMP_LT, 0, F_NONE, F_ONE, 0, 1, 0},
    {T_CMP, S, IR_FCMP_LT, 0, 0xc0000000, F_NONE, 0, 1, 0},
    {T_CMP, D, IR_FCMP_LT, 0, D_NINF, D_INF, 0, 1, 0},
    {T_CMP, D, IR_FCMP_LE, 0, D_INF, D_INF, 0, 1, 0},
    {T_CMP, S, IR_FCMP_UN, 0, F_QNAN, F_ONE, 0, 1, 0},
    {T_CMP, S, IR_FCMP_UN, 0, F_SNAN, F_ONE, 0, 1, NV},
    {T_CMP, S, IR_FCMP_UN, 0, F_TWO, F_ONE, 0, 0, 0},
    {T_CMP, S, IR_FCMP_REL_Q, 0, F_ONE, F_TWO, 0, 1, 0},
    {T_CMP, S, IR_FCMP_REL_Q, 0, F_TWO, F_ONE, 0, 2, 0},
    {T_CMP, S, IR_FCMP_REL_Q, 0, 0, F_NZERO, 0, 0, 0},
    {T_CMP, S, IR_FCMP_REL_Q, 0, F_QNAN, F_ONE, 0, 3, 0},
    {T_CMP, S, IR_FCMP_REL_S, 0, F_QNAN, F_ONE, 0, 3, NV},
    {T_CMP, S, IR_FCMP_REL_S, 0, F_NONE, F_ONE, 0, 1, 0},
};

static const struct vec v_f2i[] = {
    /* fcvt.w: NaN and +overflow -> INT_MAX, -overflow -> INT_MIN, NV alone */
    {T_F2I, S, RNE, SGN_W, F_QNAN, 0, 0, 0x7fffffff, NV},
    {T_F2I, S, RNE, SGN_W, 0xffc00000, 0, 0, 0x7fffffff, NV},
    {T_F2I, S, RNE, SGN_W, F_SNAN, 0, 0, 0x7fffffff, NV},
    {T_F2I, S, RNE, SGN_W, F_INF, 0, 0, 0x7fffffff, NV},
    {T_F2I, S, RNE, SGN_W, F_NINF, 0, 0, 0x80000000, NV},
    {T_F2I, S, RNE, SGN_W, 0x4f000000, 0, 0, 0x7fffffff, NV},
    {T_F2I, S, RNE, SGN_W, 0xcf000000, 0, 0, 0x80000000, 0},
    {T_F2I, S, RNE, SGN_W, 0x4effffff, 0, 0, 0x7fffff80, 0},
    {T_F2I, S, RNE, SGN_W, 0xcf000001, 0, 0, 0x80000000, NV},
    {T_F2I, S, RNE, SGN_W, 0x501502f9, 0, 0, 0x7fffffff, NV},
    {T_F2I, D, RNE, SGN_W, 0x41dfffffffc00000, 0, 0, 0x7fffffff, 0},
    {T_F2I, D, RNE, SGN_W, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV},
    {T_F2I, D, RTZ, SGN_W, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NX},
    {T_F2I, D, RMM, SGN_W, 0x41dfffffffe00000, 0, 0, 0x7fffffff, NV},
    {T_F2I, D, RTZ, SGN_W, 0xc1e0000000100000, 0, 0, 0x80000000, NX},
    {T_F2I, D, RNE, SGN_W, 0xc1e0000000100000, 0, 0, 0x80000000, NX},
    {T_F2I, D, RMM, SGN_W, 0xc1e0000000100000, 0, 0, 0x80000000, NV},
    {T_F2I, D, RDN, SGN_W, 0xc1e0000000100000, 0, 0, 0x80000000, NV},
    /* fcvt.wu: negatives that round to 0 are fine (NX), others are NV and 0 */
    {T_F2I, S, RNE, UNS_W, F_NONE, 0, 0, 0, NV},
    {T_F2I, S, RTZ, UNS_W, 0xbe99999a, 0, 0, 0, NX},
    {T_F2I, S, RNE, UNS_W, 0xbe99999a, 0, 0, 0, NX},
    {T_F2I, S, RMM, UNS_W, 0xbe99999a, 0, 0, 0, NX},
    {T_F2I, S, RDN, UNS_W, 0xbe99999a, 0, 0, 0, NV},
    {T_F2I, S, RNE, UNS_W, 0xbf333333, 0, 0, 0, NV},
    {T_F2I, S, RTZ, UNS_W, 0xbf333333, 0, 0, 0, NX},
    {T_F2I, S, RNE, UNS_W, 0xbf000000, 0, 0, 0, NX},
    {T_F2I, S, RMM, UNS_W, 0xbf000000, 0, 0, 0, NV},
    {T_F2I, S, RNE, UNS_W, F_NZERO, 0, 0, 0, 0},
    {T_F2I, S, RNE, UNS_W, F_QNAN, 0, 0, 0xffffffff, NV},
    {T_F2I, S, RNE, UNS_W, F_INF, 0, 0, 0xffffffff, NV},
    {T_F2I, S, RNE, UNS_W, F_NINF, 0, 0, 0, NV},
    {T_F2I, D, RNE, UNS_W, 0x41efffffffe00000, 0, 0, 0xffffffff, 0},
    {T_F2I, D, RNE, UNS_W, 0x41f0000000000000, 0, 0, 0xffffffff, NV},
    {T_F2I, D, RNE, UNS_W, 0x41effffffff00000, 0, 0, 0xffffffff, NV},
    {T_F2I, D, RTZ, UNS_W, 0x41effffffff00000, 0, 0, 0xffffffff, NX},
    /* fcvt.l / fcvt.lu */
    {T_F2I, D, RNE, SGN_L, 0x43e0000000000000, 0, 0, 0x7fffffffffffffff, NV},
    {T_F2I, D, RNE, SGN_L, 0xc3e0000000000000, 0, 0, 0x8000000000000000, 0},
    {T_F2I, D, RNE, SGN_L, 0x43dfffffffffffff, 0, 0, 0x7ffffffffffffc00, 0},
    {T_F2I, D, RNE, SGN_L, D_QNAN, 0, 0, 0x7fffffffffffffff, NV},
    {T_F2I, D, RNE, SGN_L, D_NINF, 0, 0, 0x8000000000000000, NV},
    {T_F2I, S, RNE, SGN_L, 0x5f000000, 0, 0, 0x7fffffffffffffff, NV},
    {T_F2I, S, RNE, SGN_L, 0xdf000000, 0, 0, 0x8000000000000000, 0},
    {T_F2I, D, RNE, UNS_L, D_QNAN, 0, 0, 0xffffffffffffffff, NV},
    {T_F2I, D, RNE, UNS_L, 0x43f0000000000000, 0, 0, 0xffffffffffffffff, NV},
    {T_F2I, D, RNE, UNS_L, 0x43efffffffffffff, 0, 0, 0xfffffffffffff800, 0},
    {T_F2I, D, RNE, UNS_L, 0x43e0000000000000, 0, 0, 0x8000000000000000, 0},
    {T_F2I, D, RNE, UNS_L, D_NONE, 0, 0, 0, NV},
    {T_F2I, D, RNE, UNS_L, 0xbfd0000000000000, 0, 0, 0, NX},
    {T_F2I, D, RDN, UNS_L, 0xbfd0000000000000, 0, 0, 0, NV},
    {T_F2I, D, RMM, UNS_L, 0xc3f0000000000000, 0, 0, 0, NV},
    /* tiny values */
    {T_F2I, S, RNE, SGN_W, F_MINSUB, 0, 0, 0, NX},
    {T_F2I, S, RUP, SGN_W, F_MINSUB, 0, 0, 1, NX},
    {T_F2I, D, RDN, SGN_L, 0x8000000000000001, 0, 0, 0xffffffffffffffff, NX},
    {T_F2I, S, RNE, SGN_W, 0x3f000001, 0, 0, 1, NX},
    /* AArch64: NaN -> 0; x86: integer indefinite */
    {T_F2I, S, RNE, SGN_W | IR_FPX_SAT_ARM, F_QNAN, 0, 0, 0, NV},
    {T_F2I, S, RNE, SGN_W | IR_FPX_SAT_ARM, F_INF, 0, 0, 0x7fffffff, NV},
    {T_F2I, D, RNE, UNS_L | IR_FPX_SAT_ARM, D_NINF, 0, 0, 0, NV},
    {T_F2I, S, RNE, SGN_W | IR_FPX_SAT_X86, F_QNAN, 0, 0, 0x80000000, NV},
    {T_F2I, S, RNE, SGN_W | IR_FPX_SAT_X86, F_INF, 0, 0, 0x80000000, NV},
    {T_F2I, S, RNE, SGN_W | IR_FPX_SAT_X86, 0x4f000000, 0, 0, 0x80000000, NV},
    {T_F2I, D, RNE, SGN_L | IR_FPX_SAT_X86, D_QNAN, 0, 0, 0x8000000000000000, NV},
};

static const struct vec v_i2f[] = {
    {T_I2F, D, RNE, SGN_L, 0x7fffffffffffffff, 0, 0, 0x43e0000000000000, NX},
    {T_I2F, D, RTZ, SGN_L, 0x7fffffffffffffff, 0, 0, 0x43dfffffffffffff, NX},
    {T_I2F, D, RDN, SGN_L, 0x7fffffffffffffff, 0, 0, 0x43dfffffffffffff, NX},
    {T_I2F, D, RUP, SGN_L, 0x7fffffffffffffff, 0, 0, 0x43e0000000000000, NX},
    {T_I2F, D, RNE, SGN_L, 0x8000000000000000, 0, 0, 0xc3e0000000000000, 0},
    {T_I2F, S, RNE, SGN_L, 0x8000000000000000, 0, 0, 0xdf000000, 0},
    {T_I2F, D, RDN, SGN_L, 0x8000000000000001, 0, 0, 0xc3e0000000000000, NX},
    {T_I2F, S, RNE, UNS_L, 0xffffffffffffffff, 0, 0, 0x5f800000, NX},
    {T_I2F, S, RTZ, UNS_L, 0xffffffffffffffff, 0, 0, 0x5f7fffff, NX},
    {T_I2F, D, RNE, UNS_L, 0xffffffffffffffff, 0, 0, 0x43f0000000000000, NX},
    {T_I2F, D, RTZ, UNS_L, 0xffffffffffffffff, 0, 0, 0x43efffffffffffff, NX},
    {T_I2F, D, RNE, UNS_L, 0x8000000000000001, 0, 0, 0x43e0000000000000, NX},
    {T_I2F, D, RUP, UNS_L, 0x8000000000000001, 0, 0, 0x43e0000000000001, NX},
    {T_I2F, D, RNE, UNS_L, 0x8000000000000400, 0, 0, 0x43e0000000000000, NX},
    {T_I2F, D, RNE, UNS_L, 0x8000000000000c00, 0, 0, 0x43e0000000000002, NX},
    {T_I2F, S, RNE, SGN_W, 0xffffffff, 0, 0, F_NONE, 0},
    {T_I2F, S, RNE, SGN_W, 0x80000000, 0, 0, 0xcf000000, 0},
    {T_I2F, S, RNE, UNS_W, 0xffffffff, 0, 0, 0x4f800000, NX},
    {T_I2F, S, RTZ, UNS_W, 0xffffffff, 0, 0, 0x4f7fffff, NX},
    {T_I2F, D, RNE, UNS_W, 0xffffffff, 0, 0, 0x41efffffffe00000, 0},
    {T_I2F, D, RNE, SGN_W, 0xffffffff80000000, 0, 0, 0xc1e0000000000000, 0},
    {T_I2F, S, RNE, SGN_W, 0xdeadbeef00000001, 0, 0, F_ONE, 0},
    {T_I2F, S, RDN, SGN_L, 0, 0, 0, 0, 0},
    {T_I2F, D, RDN, UNS_W, 0, 0, 0, 0, 0},
    {T_I2F, D, RNE, SGN_L, 3, 0, 0, 0x4008000000000000, 0},
};

static const struct vec v_f2f[] = {
    {T_F2F, D, RNE, 0, F_ONE, 0, 0, D_ONE, 0},
    {T_F2F, D, RNE, 0, F_NINF, 0, 0, D_NINF, 0},
    {T_F2F, D, RNE, 0, F_NZERO, 0, 0, D_NZERO, 0},
    {T_F2F, D, RNE, 0, 0x3eaaaaab, 0, 0, 0x3fd5555560000000, 0},
    {T_F2F, S, RNE, 0, 0x3fd5555555555555, 0, 0, 0x3eaaaaab, NX},
    {T_F2F, S, RTZ, 0, 0x3fd5555555555555, 0, 0, 0x3eaaaaaa, NX},
    {T_F2F, S, RUP, 0, 0x3fd5555555555555, 0, 0, 0x3eaaaaab, NX},
    {T_F2F, S, RDN, 0, 0xbfd5555555555555, 0, 0, 0xbeaaaaab, NX},
    {T_F2F, S, RNE, 0, D_NINF, 0, 0, F_NINF, 0},
    {T_F2F, S, RNE, 0, D_NZERO, 0, 0, F_NZERO, 0},
    {T_F2F, S, RNE, 0, 0x0000000000000001, 0, 0, 0, UF | NX},
};

/* the other guests' NaN results */
static const struct vec v_nan_policy[] = {
    /* x86: first NaN operand, quietened; invalid gives the negative default NaN */
    {T_ADD, S, RNE, IR_FPX_NAN_X86, F_SNAN, 0x7fc00002, 0, 0x7fc00001, NV},
    {T_ADD, S, RNE, IR_FPX_NAN_X86, 0x7fc00002, F_SNAN, 0, 0x7fc00002, NV},
    {T_ADD, S, RNE, IR_FPX_NAN_X86, F_ONE, 0xffc00005, 0, 0xffc00005, 0},
    {T_MUL, D, RNE, IR_FPX_NAN_X86, D_INF, 0, 0, 0xfff8000000000000, NV},
    {T_ADD, S, RNE, IR_FPX_NAN_X86, F_INF, F_NINF, 0, 0xffc00000, NV},
    {T_SQRT, S, RNE, IR_FPX_NAN_X86, F_NONE, 0, 0, 0xffc00000, NV},
    {T_F2F, D, RNE, IR_FPX_NAN_X86, 0xff800001, 0, 0, 0xfff8000020000000, NV},
    {T_F2F, S, RNE, IR_FPX_NAN_X86, 0x7ff0000020000000, 0, 0, 0x7fc00001, NV},
    /* AArch64 (FPCR.DN=0): first sNaN, else first qNaN; FMA looks at the addend first */
    {T_ADD, S, RNE, IR_FPX_NAN_ARM, 0x7fc00002, F_SNAN, 0, 0x7fc00001, NV},
    {T_ADD, S, RNE, IR_FPX_NAN_ARM, 0x7fc00002, 0x7fc00003, 0, 0x7fc00002, 0},
    {T_MUL, S, RNE, IR_FPX_NAN_ARM, 0, F_INF, 0, F_QNAN, NV},
    {T_DIV, D, RMM, IR_FPX_NAN_ARM, D_ONE, 0xfff0000000000002, 0, 0xfff8000000000002, NV},
    {T_FMA, S, RNE, IR_FPX_NAN_X86, 0, F_INF, 0x7fc00002, 0x7fc00002, 0},
    {T_FMA, D, RNE, IR_FPX_NAN_X86, D_ONE, 0x7ff8000000000002, D_SNAN, 0x7ff8000000000002, NV},
    {T_FMA, S, RNE, IR_FPX_NAN_ARM, 0x7fc00001, F_ONE, 0x7fc00002, 0x7fc00002, 0},
    {T_FMA, S, RNE, IR_FPX_NAN_ARM, 0x7f800001, F_ONE, 0x7fc00002, 0x7fc00001, NV},
    {T_FMA, S, RNE, IR_FPX_NAN_ARM, 0, F_INF, 0x7fc00002, F_QNAN, NV},
    {T_FMA, S, RNE, IR_FPX_NAN_ARM, 0, F_INF, 0x7f800003, 0x7fc00003, NV},
    {T_F2F, D, RNE, IR_FPX_NAN_ARM, F_SNAN, 0, 0, 0x7ff8000020000000, NV},
    {T_F2F, S, RNE, IR_FPX_NAN_ARM, 0xfff0000020000000, 0, 0, 0xffc00001, NV},
    /* x86 guests see DE for a subnormal operand; RISC-V guests never do */
    {T_ADD, S, RNE, IR_FPX_NAN_X86, F_MINSUB, F_ONE, 0, F_ONE, DE | NX},
    {T_ADD, S, RNE, 0, F_MINSUB, F_ONE, 0, F_ONE, NX},
};

/* IR_FPX_FTZ: x86 FTZ+DAZ */
static const struct vec v_ftz[] = {
    {T_ADD, S, RNE, IR_FPX_FTZ, F_MINSUB, 0, 0, 0, 0},
    {T_ADD, S, RNE, IR_FPX_FTZ, 0x80000001, F_ONE, 0, F_ONE, 0},
    {T_MUL, S, RNE, IR_FPX_FTZ, 0x00800001, F_HALF, 0, 0, UF | NX},
    {T_MUL, D, RNE, IR_FPX_FTZ, 0x8010000000000000, 0x3fe0000000000000, 0, D_NZERO, UF | NX},
    {T_MUL, S, RNE, IR_FPX_FTZ, 0x00800001, F_ONE, 0, 0x00800001, 0},
    {T_F2I, S, RUP, IR_FPX_FTZ | SGN_W, F_MINSUB, 0, 0, 0, 0},
    {T_DIV, S, RNE, IR_FPX_FTZ, F_ONE, F_MINSUB, 0, F_INF, DZ},
    {T_F2F, S, RNE, IR_FPX_FTZ, 0x3730000000000000, 0, 0, 0, UF | NX},
};

/* path: 0 public entry (host tiers as detected), 1 public with the MXCSR tier forced,
 * 2 software */
static void check_vec(const struct vec *v, int path)
{
    static const char *const path_name[3] = {"fpu", "fpu-mxcsr", "soft"};
    uint32_t fl = 0;
    const bool have_evex = fpu_use_evex;
    if (path == 1)
        fpu_use_evex = false;
    uint64_t r = run_op(path == 2, v->op, v->dbl, v->rm, v->fpx, v->a, v->b, v->c, &fl);
    fpu_use_evex = have_evex;
    g_checks++;
    if (r != v->want || fl != v->wfl)
        group_fail("%s %s.%s %s fpx=%#" PRIx64 " (%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                   ") = %#" PRIx64 "/%#x, want %#" PRIx64 "/%#x",
                   path_name[path], top_name[v->op], v->dbl ? "d" : "s",
                   v->op == T_CMP ? "" : rm_name[v->rm & 7], v->fpx, v->a, v->b, v->c, r, fl,
                   v->want, v->wfl);
}

#define RUN_VECS(name, tab)                                                                        \
    do {                                                                                           \
        group_begin(name);                                                                         \
        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {                                \
            check_vec(&tab[i], 0);                                                                 \
            if (tab[i].op < T_MIN || tab[i].op > T_CMP) {                                          \
                check_vec(&tab[i], 1);                                                             \
                check_vec(&tab[i], 2);                                                             \
            }                                                                                      \
        }                                                                                          \
        group_end();                                                                               \
    } while (0)

/* ---- the host FP environment is the host's ---- */
static void test_host_env(void)
{
    group_begin("host_env_preserved");
    static const int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        for (unsigned rm = 0; rm < 5; rm++) {
            uint32_t fl = 0;
            volatile uint64_t r;
            r = fpu_div(false, rm, 0, F_ONE, F_THREE, &fl);
            r = fpu_mul(true, rm, 0, D_MAX, D_MAX, &fl);
            r = fpu_div(true, rm, 0, D_ONE, 0, &fl);
            r = fpu_sqrt(false, rm, 0, F_NONE, &fl);
            r = fpu_f2i(true, rm, SGN_W, 0x4004000000000000, &fl);
            r = fpu_i2f(false, rm, UNS_L, ~0ull, &fl);
            r = fpu_f2f(false, rm, 0, 0x3370000000000000, &fl);
            r = fpu_fma(true, rm, 0, D_ONE, 0x3ca0000000000000, 0x0000000000000001, &fl);
            (void)r;
            g_checks++;
            if (fl != (NX | OF | DZ | NV | UF))
                group_fail("host mode %d rm %u: flags %#x", m, rm, fl);
        }
        g_checks++;
        if (fegetround() != modes[m])
            group_fail("host rounding mode changed from %d to %d", modes[m], fegetround());
        if (fetestexcept(FE_ALL_EXCEPT))
            group_fail("host exception flags set: %#x", fetestexcept(FE_ALL_EXCEPT));
        /* the guest's mode, not the host's, decides */
        uint32_t fl = 0;
        if (fpu_div(false, IR_RM_RNE, 0, F_ONE, F_THREE, &fl) != 0x3eaaaaab)
            group_fail("host mode %d leaked into a guest RNE op", m);
    }
    fesetround(FE_TONEAREST);
    group_end();
}

/* ---- random operands ---- */
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1dull;
}
static uint64_t rnd_below(uint64_t n) { return rnd() % n; }

static uint64_t mk(bool dbl, bool sign, uint64_t e, uint64_t m)
{
    return (sign ? fpu_signbit(dbl) : 0) | (e << fpu_mbits(dbl)) | (m & fpu_mantmask(dbl));
}

static uint64_t gen_special(bool dbl)
{
    const uint64_t emaxf = fpu_expmask(dbl) >> fpu_mbits(dbl), mm = fpu_mantmask(dbl);
    const uint64_t tab[] = {
        0, mk(dbl, 0, 0, 1), mk(dbl, 0, 0, mm), mk(dbl, 0, 1, 0), mk(dbl, 0, 1, mm),
        mk(dbl, 0, emaxf - 1, mm), fpu_inf(dbl), fpu_canon(dbl), mk(dbl, 0, emaxf, 1),
        mk(dbl, 0, emaxf, fpu_qbit(dbl) | 0x55), mk(dbl, 0, emaxf, mm >> 3),
        mk(dbl, 0, (uint64_t)fpu_bias(dbl), 0), mk(dbl, 0, (uint64_t)fpu_bias(dbl) - 1, 0),
        mk(dbl, 0, (uint64_t)fpu_bias(dbl), mm), mk(dbl, 0, (uint64_t)fpu_bias(dbl) + 1, 1),
    };
    return tab[rnd_below(sizeof tab / sizeof tab[0])] | (rnd() & 1 ? fpu_signbit(dbl) : 0);
}

static uint64_t gen_mant(bool dbl)
{
    uint64_t m = rnd();
    switch (rnd_below(4)) {
    case 0: m &= ~((1ull << rnd_below((uint64_t)fpu_mbits(dbl) + 1)) - 1); break; /* short */
    case 1: m |= (1ull << rnd_below((uint64_t)fpu_mbits(dbl))) - 1; break;       /* long ones */
    default: break;
    }
    return m & fpu_mantmask(dbl);
}

/* A value from a mix meant to reach every branch: specials, subnormals, edges of the
 * exponent range, short significands (exact results, ties), integers and halves. */
static uint64_t gen_val(bool dbl)
{
    const uint64_t emaxf = fpu_expmask(dbl) >> fpu_mbits(dbl), bias = (uint64_t)fpu_bias(dbl);
    bool s = rnd() & 1;
    switch (rnd_below(16)) {
    case 0: return gen_special(dbl);
    case 1:
    case 2: return fpu_trim(dbl, rnd());
    case 3: return mk(dbl, s, 0, gen_mant(dbl) | (rnd() & 1));
    case 4: return mk(dbl, s, 1 + rnd_below(3), gen_mant(dbl));
    case 5: return mk(dbl, s, emaxf - 1 - rnd_below(3), gen_mant(dbl));
    case 6: {
        /* k/4 for small k: integers, halves (f2i ties) and quarters */
        double v = (double)((int64_t)rnd_below(1 << 14) - (1 << 13)) * 0.25;
        uint64_t b;
        if (dbl) {
            memcpy(&b, &v, 8);
        } else {
            float f = (float)v;
            uint32_t w;
            memcpy(&w, &f, 4);
            b = w;
        }
        return b;
    }
    case 7: {
        /* near the integer conversion limits 2^31, 2^32, 2^63, 2^64 */
        static const unsigned p2[] = {31, 32, 63, 64, 52, 53, 23, 24};
        uint64_t e = bias + p2[rnd_below(8)] - rnd_below(2);
        uint64_t m = rnd_below(2) ? fpu_mantmask(dbl) - rnd_below(4) : rnd_below(4);
        return mk(dbl, s, e, m);
    }
    default: return mk(dbl, s, bias - 40 + rnd_below(80), gen_mant(dbl));
    }
}

/* A second operand related to the first: for cancellation, or products and quotients
 * landing near the subnormal and overflow thresholds. */
static uint64_t gen_partner(bool dbl, uint64_t a, int op)
{
    const int mb = fpu_mbits(dbl);
    const int64_t emaxf = (int64_t)(fpu_expmask(dbl) >> mb), bias = fpu_bias(dbl);
    int64_t ea = (int64_t)((a & fpu_expmask(dbl)) >> mb);
    switch (rnd_below(4)) {
    case 0: /* close in magnitude: cancellation in add/sub, quotient near 1 */
        return fpu_trim(dbl, (a ^ (rnd() & ((1ull << rnd_below((uint64_t)mb)) - 1))) ^
                                 (rnd() & 1 ? fpu_signbit(dbl) : 0));
    case 1: {
        /* result exponent near emin, the subnormal range or emax */
        int64_t t;
        switch (rnd_below(3)) {
        case 0: t = 1 - (int64_t)rnd_below((uint64_t)mb + 3); break;
        case 1: t = 1 + (int64_t)rnd_below(3); break;
        default: t = emaxf - 1 - (int64_t)rnd_below(3) + 1; break;
        }
        int64_t eb = op == T_DIV ? ea - t + bias : t - ea + bias;
        if (op == T_ADD || op == T_SUB)
            eb = ea - (int64_t)rnd_below((uint64_t)mb + 4);
        if (eb < 0)
            eb = 0;
        if (eb > emaxf - 1)
            eb = emaxf - 1;
        return mk(dbl, rnd() & 1, (uint64_t)eb, gen_mant(dbl));
    }
    default: return gen_val(dbl);
    }
}

/* An addend near -(a*b) (cancellation) or within a few bits of it (sticky cases). */
static uint64_t gen_addend(bool dbl, uint64_t a, uint64_t b)
{
    uint32_t fl = 0;
    uint64_t p = fpu_soft_mul(dbl, IR_RM_RTZ, 0, a, b, &fl);
    if (fpu_is_nan(dbl, p) || rnd_below(3) == 0)
        return gen_val(dbl);
    const int mb = fpu_mbits(dbl);
    if (rnd() & 1)
        p ^= rnd() & ((1ull << rnd_below((uint64_t)mb)) - 1);
    else if (!fpu_is_inf(dbl, p) && !fpu_is_zero(dbl, p)) {
        int64_t e = (int64_t)((p & fpu_expmask(dbl)) >> mb) + (int64_t)rnd_below(2 * mb + 8) -
                    mb - 4;
        if (e < 0)
            e = 0;
        if (e > (int64_t)(fpu_expmask(dbl) >> mb) - 1)
            e = (int64_t)(fpu_expmask(dbl) >> mb) - 1;
        p = mk(dbl, fpu_sign(dbl, p), (uint64_t)e, gen_mant(dbl));
    }
    return p ^ (rnd() & 1 ? fpu_signbit(dbl) : fpu_signbit(dbl) * 0);
}

static uint64_t gen_int(void)
{
    uint64_t v = rnd();
    switch (rnd_below(5)) {
    case 0: return v >> rnd_below(64);                              /* any magnitude */
    case 1: return (v >> rnd_below(64)) | (1ull << 63);              /* huge unsigned / negative */
    case 2: return -(v >> rnd_below(64));                            /* negative */
    case 3: return (1ull << rnd_below(64)) + rnd_below(5) - 2;        /* near powers of two */
    default: return (v >> rnd_below(64)) << rnd_below(40);          /* short: exact or ties */
    }
}

static const uint64_t conv_kinds[4] = {SGN_W, UNS_W, SGN_L, UNS_L};

/* One random case of `op` for format dbl; fills the operands and fpx. */
static void gen_case(int op, bool dbl, uint64_t *fpx, uint64_t *a, uint64_t *b, uint64_t *c)
{
    *fpx = 0;
    *b = *c = 0;
    switch (op) {
    case T_I2F:
        *a = gen_int();
        *fpx = conv_kinds[rnd_below(4)];
        return;
    case T_F2I:
        *a = gen_val(dbl);
        *fpx = conv_kinds[rnd_below(4)];
        return;
    case T_F2F: *a = gen_val(!dbl); return; /* dbl is the destination format */
    case T_SQRT:
        *a = gen_val(dbl);
        if (rnd_below(4))
            *a = fpu_abs(dbl, *a);
        return;
    default:
        *a = gen_val(dbl);
        *b = gen_partner(dbl, *a, op);
        if (rnd() & 1) {
            uint64_t t = *a;
            *a = *b;
            *b = t;
        }
        if (op == T_FMA) {
            *c = gen_addend(dbl, *a, *b);
            *fpx = (rnd() & 1 ? IR_FPX_NEG_PROD : 0) | (rnd() & 1 ? IR_FPX_NEG_ADDEND : 0);
        }
        return;
    }
}

/* Host path vs software path over random operands, in the four modes the host has.
 * `need` lists flags the operands must have provoked at least once, so a generator that
 * stopped reaching overflow, underflow or invalid cases fails instead of passing idly. */
static void xcheck(const char *name, int op, bool dbl, uint64_t extra_fpx, long iters,
                   uint32_t need)
{
    uint32_t seen = 0;
    group_begin(name);
    for (long i = 0; i < iters; i++) {
        uint64_t fpx, a, b, c;
        gen_case(op, dbl, &fpx, &a, &b, &c);
        fpx |= extra_fpx;
        unsigned rm = (unsigned)(i & 3);
        uint32_t fh = 0, fs = 0;
        uint64_t rh = run_op(false, op, dbl, rm, fpx, a, b, c, &fh);
        uint64_t rs = run_op(true, op, dbl, rm, fpx, a, b, c, &fs);
        g_checks++;
        seen |= fh;
        if (rh != rs || fh != fs)
            group_fail("%s.%s %s fpx=%#" PRIx64 " (%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                       "): host %#" PRIx64 "/%#x soft %#" PRIx64 "/%#x",
                       top_name[op], dbl ? "d" : "s", rm_name[rm], fpx, a, b, c, rh, fh, rs, fs);
    }
    if ((seen & need) != need)
        group_fail("operands never raised flags %#x (saw %#x)", need & ~seen, seen);
    group_end();
}

/* ---- RISC-V oracle: the same inputs on qemu-riscv64 ---- */

/* Guest program: reads "op dbl rm a b c" (hex operands), runs the instruction with frm=rm,
 * prints "result fflags". Ops: 0 add 1 sub 2 mul 3 div 4 sqrt 5 fmadd 6 fmsub 7 fnmsub
 * 8 fnmadd 9 fmin 10 fmax 11 feq 12 flt 13 fle 14 fcvt.w 15 .wu 16 .l 17 .lu (from float)
 * 18 fcvt.f.w 19 .wu 20 .l 21 .lu (to float) 22 fcvt.s.d / fcvt.d.s. */
static const char rv_oracle_src[] =
    "#include <stdio.h>\n"
    "#include <stdint.h>\n"
    "#define B(i) __asm__ volatile(i \" %0,%1,%2\" : \"=f\"(r) : \"f\"(x), \"f\"(y)); break\n"
    "#define U(i) __asm__ volatile(i \" %0,%1\" : \"=f\"(r) : \"f\"(x)); break\n"
    "#define M(i) __asm__ volatile(i \" %0,%1,%2,%3\" : \"=f\"(r) : \"f\"(x), \"f\"(y), "
    "\"f\"(z)); break\n"
    "#define C(i) __asm__ volatile(i \" %0,%1,%2\" : \"=r\"(n) : \"f\"(x), \"f\"(y)); ir=1; "
    "break\n"
    "#define FI(i) __asm__ volatile(i \" %0,%1\" : \"=r\"(n) : \"f\"(x)); ir=1; break\n"
    "#define IF(i) __asm__ volatile(i \" %0,%1\" : \"=f\"(r) : \"r\"(a)); break\n"
    "#define BODY(T,mvin,mvout,s,O,omvin,os) \\\n"
    "  T x, y, z, r = 0; O w; uint64_t n = 0; int ir = 0; \\\n"
    "  __asm__ volatile(mvin \" %0,%1\" : \"=f\"(x) : \"r\"(a)); \\\n"
    "  __asm__ volatile(mvin \" %0,%1\" : \"=f\"(y) : \"r\"(b)); \\\n"
    "  __asm__ volatile(mvin \" %0,%1\" : \"=f\"(z) : \"r\"(c)); \\\n"
    "  __asm__ volatile(omvin \" %0,%1\" : \"=f\"(w) : \"r\"(a)); \\\n"
    "  __asm__ volatile(\"fsrm %0\" :: \"r\"(rm)); \\\n"
    "  __asm__ volatile(\"fsflags zero\"); \\\n"
    "  switch (op) { \\\n"
    "  case 0: B(\"fadd.\" s); case 1: B(\"fsub.\" s); case 2: B(\"fmul.\" s); \\\n"
    "  case 3: B(\"fdiv.\" s); case 4: U(\"fsqrt.\" s); \\\n"
    "  case 5: M(\"fmadd.\" s); case 6: M(\"fmsub.\" s); case 7: M(\"fnmsub.\" s); \\\n"
    "  case 8: M(\"fnmadd.\" s); case 9: B(\"fmin.\" s); case 10: B(\"fmax.\" s); \\\n"
    "  case 11: C(\"feq.\" s); case 12: C(\"flt.\" s); case 13: C(\"fle.\" s); \\\n"
    "  case 14: FI(\"fcvt.w.\" s); case 15: FI(\"fcvt.wu.\" s); \\\n"
    "  case 16: FI(\"fcvt.l.\" s); case 17: FI(\"fcvt.lu.\" s); \\\n"
    "  case 18: IF(\"fcvt.\" s \".w\"); case 19: IF(\"fcvt.\" s \".wu\"); \\\n"
    "  case 20: IF(\"fcvt.\" s \".l\"); case 21: IF(\"fcvt.\" s \".lu\"); \\\n"
    "  case 22: __asm__ volatile(\"fcvt.\" s \".\" os \" %0,%1\" : \"=f\"(r) : \"f\"(w)); \\\n"
    "    break; } \\\n"
    "  __asm__ volatile(\"frflags %0\" : \"=r\"(*fl)); \\\n"
    "  if (!ir) __asm__ volatile(mvout \" %0,%1\" : \"=r\"(n) : \"f\"(r)); \\\n"
    "  return n;\n"
    "static uint64_t run_d(unsigned op, unsigned rm, uint64_t a, uint64_t b, uint64_t c,\n"
    "                      unsigned long *fl)\n"
    "{ BODY(double, \"fmv.d.x\", \"fmv.x.d\", \"d\", float, \"fmv.w.x\", \"s\") }\n"
    "static uint64_t run_s(unsigned op, unsigned rm, uint64_t a, uint64_t b, uint64_t c,\n"
    "                      unsigned long *fl)\n"
    "{ BODY(float, \"fmv.w.x\", \"fmv.x.w\", \"s\", double, \"fmv.d.x\", \"d\") }\n"
    "int main(void) {\n"
    "  unsigned op, dbl, rm; unsigned long a, b, c, fl;\n"
    "  while (scanf(\"%u %u %u %lx %lx %lx\", &op, &dbl, &rm, &a, &b, &c) == 6) {\n"
    "    uint64_t r = dbl ? run_d(op, rm, a, b, c, &fl) : run_s(op, rm, a, b, c, &fl);\n"
    "    printf(\"%016lx %lx\\n\", (unsigned long)r, fl);\n"
    "  }\n"
    "  return 0;\n"
    "}\n";

enum { RV_NOPS = 23 };
static const char *const rv_op_name[RV_NOPS] = {
    "fadd", "fsub", "fmul", "fdiv", "fsqrt", "fmadd", "fmsub", "fnmsub", "fnmadd", "fmin",
    "fmax", "feq", "flt", "fle", "fcvt.w", "fcvt.wu", "fcvt.l", "fcvt.lu", "fcvt.f.w",
    "fcvt.f.wu", "fcvt.f.l", "fcvt.f.lu", "fcvt.s.d/d.s"};

/* Our answer for oracle op `op`; *mask says which result bits the guest defines. */
static uint64_t rv_ours(unsigned op, bool dbl, unsigned rm, uint64_t a, uint64_t b, uint64_t c,
                        uint32_t *fl, uint64_t *mask)
{
    static const uint64_t fma_fpx[4] = {0, IR_FPX_NEG_ADDEND, IR_FPX_NEG_PROD,
                                        IR_FPX_NEG_PROD | IR_FPX_NEG_ADDEND};
    *mask = dbl ? ~0ull : 0xffffffffull;
    switch (op) {
    case 0: return fpu_add(dbl, rm, 0, a, b, fl);
    case 1: return fpu_sub(dbl, rm, 0, a, b, fl);
    case 2: return fpu_mul(dbl, rm, 0, a, b, fl);
    case 3: return fpu_div(dbl, rm, 0, a, b, fl);
    case 4: return fpu_sqrt(dbl, rm, 0, a, fl);
    case 5: case 6: case 7: case 8: return fpu_fma(dbl, rm, fma_fpx[op - 5], a, b, c, fl);
    case 9: return fpu_min(dbl, IR_FPX_MIN_2019, a, b, fl);
    case 10: return fpu_max(dbl, IR_FPX_MIN_2019, a, b, fl);
    case 11: *mask = ~0ull; return fpu_cmp(dbl, IR_FCMP_EQ, a, b, fl);
    case 12: *mask = ~0ull; return fpu_cmp(dbl, IR_FCMP_LT, a, b, fl);
    case 13: *mask = ~0ull; return fpu_cmp(dbl, IR_FCMP_LE, a, b, fl);
    case 14: case 15: case 16: case 17:
        *mask = op < 16 ? 0xffffffffull : ~0ull;
        return fpu_f2i(dbl, rm, conv_kinds[op - 14], a, fl);
    case 18: case 19: case 20: case 21: return fpu_i2f(dbl, rm, conv_kinds[op - 18], a, fl);
    default: return fpu_f2f(dbl, rm, 0, a, fl);
    }
}

static int rv_gen_op_case(unsigned op, bool dbl, uint64_t *a, uint64_t *b, uint64_t *c)
{
    static const int top_of[RV_NOPS] = {T_ADD, T_SUB, T_MUL, T_DIV, T_SQRT, T_FMA, T_FMA, T_FMA,
                                        T_FMA, T_MIN, T_MAX, T_CMP, T_CMP, T_CMP, T_F2I, T_F2I,
                                        T_F2I, T_F2I, T_I2F, T_I2F, T_I2F, T_I2F, T_F2F};
    uint64_t fpx;
    int t = top_of[op];
    gen_case(t == T_MIN || t == T_MAX || t == T_CMP ? T_ADD : t, dbl, &fpx, a, b, c);
    return 0;
}

static void test_rv_oracle(long per_op)
{
    char dir[256], cmd[1024], path[300];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fpu_test_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (system("command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 && "
               "command -v qemu-riscv64 >/dev/null 2>&1") != 0) {
        printf("ok rv_oracle (skipped: riscv64-linux-gnu-gcc or qemu-riscv64 not installed)\n");
        return;
    }
    group_begin("rv_oracle_setup");
    g_checks++;
    if (!mkdtemp(dir)) {
        group_fail("mkdtemp failed");
        group_end();
        return;
    }
    snprintf(path, sizeof path, "%s/oracle.c", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(rv_oracle_src, f) < 0 || fclose(f) != 0) {
        group_fail("cannot write %s", path);
        group_end();
        return;
    }
    snprintf(cmd, sizeof cmd,
             "riscv64-linux-gnu-gcc -O1 -static -o %s/oracle %s/oracle.c 2>%s/cc.log", dir,
             dir, dir);
    if (system(cmd) != 0) {
        group_fail("cross compile failed (see %s/cc.log)", dir);
        group_end();
        return;
    }

    /* inputs: per op, per format, cycling through all five rounding modes */
    const long n = RV_NOPS * 2 * per_op;
    struct rv_case { uint8_t op, dbl, rm; uint64_t a, b, c; } *cs = calloc((size_t)n, sizeof *cs);
    snprintf(path, sizeof path, "%s/in.txt", dir);
    f = fopen(path, "w");
    if (!cs || !f) {
        group_fail("out of memory or cannot write inputs");
        group_end();
        free(cs);
        if (f)
            fclose(f);
        return;
    }
    long k = 0;
    for (unsigned op = 0; op < RV_NOPS; op++)
        for (int d = 0; d < 2; d++)
            for (long i = 0; i < per_op; i++, k++) {
                struct rv_case *x = &cs[k];
                x->op = (uint8_t)op;
                x->dbl = (uint8_t)d;
                x->rm = (uint8_t)(i % 5);
                rv_gen_op_case(op, d, &x->a, &x->b, &x->c);
                fprintf(f, "%u %u %u %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", op, d, x->rm, x->a,
                        x->b, x->c);
            }
    fclose(f);
    snprintf(cmd, sizeof cmd, "qemu-riscv64 %s/oracle < %s/in.txt > %s/out.txt", dir, dir, dir);
    if (system(cmd) != 0) {
        group_fail("qemu-riscv64 run failed");
        group_end();
        free(cs);
        return;
    }
    group_end();

    snprintf(path, sizeof path, "%s/out.txt", dir);
    f = fopen(path, "r");
    k = 0;
    for (unsigned op = 0; op < RV_NOPS; op++) {
        char name[64];
        snprintf(name, sizeof name, "rv_oracle_%s", rv_op_name[op]);
        group_begin(name);
        for (int d = 0; d < 2; d++)
            for (long i = 0; i < per_op; i++, k++) {
                struct rv_case *x = &cs[k];
                uint64_t want, mask;
                unsigned long wfl;
                g_checks++;
                if (!f || fscanf(f, "%" SCNx64 " %lx", &want, &wfl) != 2) {
                    group_fail("oracle output ended early at line %ld", k + 1);
                    goto next_op;
                }
                /* every host tier must agree with the guest */
                const bool have_evex = fpu_use_evex;
                for (int tier = have_evex ? 0 : 1; tier < 2; tier++) {
                    uint32_t fl = 0;
                    fpu_use_evex = tier == 0;
                    uint64_t r = rv_ours(op, d, x->rm, x->a, x->b, x->c, &fl, &mask);
                    if (((r ^ want) & mask) || fl != wfl)
                        group_fail("%s %s.%s %s (%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                                   "): ours %#" PRIx64 "/%#x, riscv %#" PRIx64 "/%#lx",
                                   tier ? "mxcsr" : "evex", rv_op_name[op], d ? "d" : "s",
                                   rm_name[x->rm], x->a, x->b, x->c, r & mask, fl, want & mask,
                                   wfl);
                }
                fpu_use_evex = have_evex;
            }
    next_op:
        k = (long)(op + 1) * 2 * per_op;
        group_end();
        if (f && g_fail && feof(f))
            break;
    }
    if (f)
        fclose(f);
    free(cs);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

int main(void)
{
    long iters = 200000;
    const char *e = getenv("FPU_TEST_ITERS");
    if (e && atol(e) > 0)
        iters = atol(e);
    setvbuf(stdout, NULL, _IOLBF, 0);

    RUN_VECS("vec_rounding_modes", v_rounding);
    RUN_VECS("vec_flags_nv_dz", v_flags);
    RUN_VECS("vec_overflow", v_overflow);
    RUN_VECS("vec_underflow_subnormal", v_underflow);
    RUN_VECS("vec_rmm_ties", v_rmm);
    RUN_VECS("vec_canonical_nan", v_nan);
    RUN_VECS("vec_fma", v_fma);
    RUN_VECS("vec_minmax", v_minmax);
    RUN_VECS("vec_cmp", v_cmp);
    RUN_VECS("vec_f2i_saturation", v_f2i);
    RUN_VECS("vec_i2f", v_i2f);
    RUN_VECS("vec_f2f", v_f2f);
    RUN_VECS("vec_nan_policy_arm_x86", v_nan_policy);
    RUN_VECS("vec_ftz", v_ftz);
    test_host_env();

    static const int xops[] = {T_ADD, T_SUB, T_MUL, T_DIV, T_SQRT, T_FMA, T_F2I, T_I2F, T_F2F};
    /* flags each op must have shown; an exact sum is never tiny and inexact, so add/sub
     * cannot underflow; f32 -> f64 is exact */
    static const uint32_t need[T_NUM] = {
        [T_ADD] = NX | OF | NV, [T_SUB] = NX | OF | NV, [T_MUL] = NX | UF | OF | NV,
        [T_DIV] = NX | UF | OF | NV | DZ, [T_SQRT] = NX | NV, [T_FMA] = NX | UF | OF | NV,
        [T_F2I] = NX | NV, [T_I2F] = NX, [T_F2F] = NV};
    /* both host tiers: AVX-512 embedded rounding (where the CPU has it) and MXCSR */
    const bool have_evex = fpu_use_evex;
    if (!have_evex)
        printf("# host has no AVX-512: the EVEX tier is not exercised\n");
    for (int tier = have_evex ? 0 : 1; tier < 2; tier++) {
        fpu_use_evex = tier == 0;
        for (size_t i = 0; i < sizeof xops / sizeof xops[0]; i++)
            for (int d = 0; d < 2; d++) {
                char name[64];
                uint32_t nd = need[xops[i]] | (xops[i] == T_F2F && !d ? NX | UF | OF : 0);
                snprintf(name, sizeof name, "xcheck_%s_%s_%s", tier ? "mxcsr" : "evex",
                         top_name[xops[i]], d ? "f64" : "f32");
                xcheck(name, xops[i], d, 0, iters, nd);
            }
    }
    fpu_use_evex = have_evex;
    /* the x86 guest flavours: the host result is the truth the soft path must match */
    for (size_t i = 0; i < sizeof xops / sizeof xops[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "xcheck_x86nan_%s", top_name[xops[i]]);
        xcheck(name, xops[i], i & 1, IR_FPX_NAN_X86, iters / 4, 0);
        snprintf(name, sizeof name, "xcheck_ftz_%s", top_name[xops[i]]);
        xcheck(name, xops[i], !(i & 1), IR_FPX_FTZ | IR_FPX_NAN_X86, iters / 4, 0);
    }

    test_rv_oracle(iters / 50 > 500 ? iters / 50 : 500);

    return g_groups_failed ? 1 : 0;
}
