/*
 * FPU room internals shared by the host (SSE) path in fpu.c and the software path in
 * fpu_soft.c: format constants, operand classification, the NaN policies and the
 * out-of-range results of float->integer conversion.
 *
 * Invariants: nothing here touches the host FP environment; every helper is a pure
 * function of bit patterns, so both paths make identical NaN and saturation choices.
 * F32 values are the low 32 bits of a uint64_t; higher bits are ignored on input and
 * zero on output.
 */
#ifndef OMNIVM_FPU_FPU_INTERNAL_H
#define OMNIVM_FPU_FPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fpu/fpu.h"
#include "ir/ir.h"

#define FPU_LIKELY(x) __builtin_expect(!!(x), 1)
#define FPU_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- format constants; `dbl` is nearly always a compile-time constant after inlining ---- */
static inline int fpu_mbits(bool dbl) { return dbl ? 52 : 23; }
static inline int fpu_bias(bool dbl) { return dbl ? 1023 : 127; }
static inline int fpu_emin(bool dbl) { return dbl ? -1022 : -126; }
static inline int fpu_emax(bool dbl) { return dbl ? 1023 : 127; }
static inline uint64_t fpu_signbit(bool dbl) { return dbl ? 1ull << 63 : 1ull << 31; }
static inline uint64_t fpu_expmask(bool dbl) { return dbl ? 0x7ff0000000000000ull : 0x7f800000ull; }
static inline uint64_t fpu_mantmask(bool dbl) { return dbl ? 0x000fffffffffffffull : 0x007fffffull; }
static inline uint64_t fpu_qbit(bool dbl) { return dbl ? 1ull << 51 : 1ull << 22; }
static inline uint64_t fpu_inf(bool dbl) { return fpu_expmask(dbl); }
static inline uint64_t fpu_maxfinite(bool dbl) { return dbl ? 0x7fefffffffffffffull : 0x7f7fffffull; }
static inline uint64_t fpu_canon(bool dbl) { return dbl ? 0x7ff8000000000000ull : 0x7fc00000ull; }

static inline uint64_t fpu_trim(bool dbl, uint64_t x) { return dbl ? x : (x & 0xffffffffull); }

/* ---- classification (on trimmed bits) ---- */
static inline uint64_t fpu_abs(bool dbl, uint64_t x) { return x & (fpu_signbit(dbl) - 1); }
static inline bool fpu_sign(bool dbl, uint64_t x) { return (x & fpu_signbit(dbl)) != 0; }
static inline bool fpu_is_nan(bool dbl, uint64_t x) { return fpu_abs(dbl, x) > fpu_inf(dbl); }
static inline bool fpu_is_inf(bool dbl, uint64_t x) { return fpu_abs(dbl, x) == fpu_inf(dbl); }
static inline bool fpu_is_zero(bool dbl, uint64_t x) { return fpu_abs(dbl, x) == 0; }
static inline bool fpu_is_snan(bool dbl, uint64_t x)
{
    return fpu_is_nan(dbl, x) && !(x & fpu_qbit(dbl));
}
static inline bool fpu_is_sub(bool dbl, uint64_t x)
{
    return (x & fpu_expmask(dbl)) == 0 && (x & fpu_mantmask(dbl)) != 0;
}

/* IR_FPX_FTZ input side (x86 DAZ, ARM FZ): a subnormal operand counts as a signed zero. */
static inline uint64_t fpu_daz(bool dbl, uint64_t fpx, uint64_t x)
{
    if (FPU_UNLIKELY(fpx & IR_FPX_FTZ) && fpu_is_sub(dbl, x))
        return x & fpu_signbit(dbl);
    return x;
}

/* ---- NaN policies ---- */

/* The NaN an invalid operation produces: x86 gives the negative "real indefinite". */
static inline uint64_t fpu_default_nan(bool dbl, uint64_t fpx)
{
    uint64_t n = fpu_canon(dbl);
    return (fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_X86 ? n | fpu_signbit(dbl) : n;
}

/* Result when x (a NaN) is the operand that propagates. */
static inline uint64_t fpu_prop_nan(bool dbl, uint64_t fpx, uint64_t x)
{
    if ((fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_DEFAULT)
        return fpu_canon(dbl);
    return x | fpu_qbit(dbl);
}

/* Picks the NaN result of a 1..3 operand op in which at least one operand is a NaN.
 * Operands are given in the policy's priority order (the caller orders them: ARM FMA
 * puts the addend first). Raises nothing: the caller owns the flags. */
static inline uint64_t fpu_pick_nan3(bool dbl, uint64_t fpx, int n, uint64_t a, uint64_t b,
                                     uint64_t c)
{
    const uint64_t v[3] = {a, b, c};
    switch (fpx & IR_FPX_NAN_MASK) {
    case IR_FPX_NAN_ARM:
        for (int i = 0; i < n; i++)
            if (fpu_is_snan(dbl, v[i]))
                return v[i] | fpu_qbit(dbl);
        /* no sNaN, so the first (quiet) NaN wins, as on x86 */
        __attribute__((fallthrough));
    case IR_FPX_NAN_X86:
        for (int i = 0; i < n; i++)
            if (fpu_is_nan(dbl, v[i]))
                return v[i] | fpu_qbit(dbl);
        return fpu_default_nan(dbl, fpx);
    default:
        return fpu_canon(dbl);
    }
}
static inline uint64_t fpu_pick_nan2(bool dbl, uint64_t fpx, uint64_t a, uint64_t b)
{
    return fpu_pick_nan3(dbl, fpx, 2, a, b, 0);
}

/* ---- float -> integer out-of-range results ---- */
enum fpu_f2i_bad { FPU_F2I_NAN, FPU_F2I_POS, FPU_F2I_NEG };

/* The value returned (W32: zero-extended) when a conversion is invalid; NV is the only
 * flag such a conversion raises (no NX), which matches RISC-V, AArch64 and SSE. */
static inline uint64_t fpu_f2i_invalid(uint64_t fpx, enum fpu_f2i_bad why)
{
    const bool w32 = fpx & IR_FPX_W32, sgn = fpx & IR_FPX_SIGNED;
    const uint64_t umax = w32 ? 0xffffffffull : ~0ull;
    const uint64_t smax = w32 ? 0x7fffffffull : 0x7fffffffffffffffull;
    const uint64_t smin = w32 ? 0x80000000ull : 0x8000000000000000ull;
    switch (fpx & IR_FPX_SAT_MASK) {
    case IR_FPX_SAT_X86:
        /* "integer indefinite"; the unsigned forms (AVX-512) use all ones */
        return sgn ? smin : umax;
    case IR_FPX_SAT_ARM:
        if (why == FPU_F2I_NAN)
            return 0;
        break;
    default:
        break;
    }
    if (why == FPU_F2I_NEG)
        return sgn ? smin : 0;
    return sgn ? smax : umax;
}

/* x86-64 hosts: whether fpu.c may use its AVX-512 embedded-rounding tier. Set at start-up
 * from CPUID; tests clear it to exercise the MXCSR tier on the same machine. */
extern bool fpu_use_evex;

/* ---- the software path (fpu_soft.c): exact in every rounding mode; the host path
 * in fpu.c defers to it for RMM and for cases the host cannot do exactly ---- */
uint64_t fpu_soft_add(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags);
uint64_t fpu_soft_sub(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags);
uint64_t fpu_soft_mul(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags);
uint64_t fpu_soft_div(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags);
uint64_t fpu_soft_sqrt(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
uint64_t fpu_soft_fma(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint64_t c,
                      uint32_t *flags);
uint64_t fpu_soft_f2i(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
uint64_t fpu_soft_i2f(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
uint64_t fpu_soft_f2f(bool to_dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);

#endif
