/*
 * The FPU entry points (fpu.h): guest-exact IEEE 754 arithmetic, called for every guest FP
 * op by the interpreter, so the common case is a few host instructions.
 *
 * Three tiers, for RNE, RTZ, RDN and RUP (the modes x86 has):
 *
 * 1. EVEX (AVX-512 hosts; fpu_use_evex): normal operands only. The op runs three times
 *    with embedded rounding {rn,rd,ru}-sae, which neither reads MXCSR.RC nor sets MXCSR
 *    flags, so the host FP environment is never touched. rd and ru bracket the exact
 *    result: when both are normal and finite no mode can overflow or underflow, and
 *    NV/DZ are impossible for normal operands, so the only flag is NX (rd != ru). Other
 *    results fall through to tier 2. Cost: a few ns, against ~25 ns for an MXCSR window
 *    (STMXCSR/LDMXCSR are slow microcoded instructions on current x86 cores).
 * 2. MXCSR (any x86-64 host, any operands): the SSE scalar instruction inside one asm
 *    block that saves the host MXCSR, loads one with the guest's rounding mode, all
 *    exceptions masked and flags clear, executes the op, reads the flags and restores the
 *    host MXCSR. The host FP environment is unchanged after every call, and the compiler
 *    can neither constant-fold nor move the op out of the window. SSE is exact in these
 *    modes, detects tininess after rounding and sets UE only for tiny inexact results
 *    (masked response), which is the RISC-V rule. A NaN result is then rewritten to the
 *    guest's NaN policy (x86 guests keep the host's own NaN).
 * 3. Software (fpu_soft.c): RMM (no x86 equivalent), FMA on hosts without FMA3,
 *    float->int conversions of NaN or magnitudes >= 2^63, FMA with NaN operands (where
 *    the guests' rules differ from x86), and every op on non-x86 hosts.
 *
 * min, max and compare are integer logic on bit patterns: no host FP at all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fpu/fpu.h"
#include "fpu/fpu_internal.h"

#if defined(__x86_64__) && !defined(FPU_NO_HOST) /* FPU_NO_HOST: software only, for testing */
#define FPU_HOST_SSE 1
#else
#define FPU_HOST_SSE 0
#endif

#if FPU_HOST_SSE

/* ---- MXCSR ---- */
#define FPU_MX_MASKS 0x1f80u  /* every exception masked, flags clear */
#define FPU_MX_FTZ_DAZ 0x8040u

/* IR_RM_* -> MXCSR.RC (bits 13-14: 0 nearest, 1 down, 2 up, 3 toward zero) */
static const uint32_t fpu_mx_rc[4] = {
    [IR_RM_RNE] = 0u << 13, [IR_RM_RTZ] = 3u << 13, [IR_RM_RDN] = 1u << 13, [IR_RM_RUP] = 2u << 13,
};

/* MXCSR flag bits (IE DE ZE OE UE PE) -> IR_FPF_*; DE is filtered by fpu_hw_flags */
#define FPU_MXF(s)                                                                                 \
    ((((s) & 1) ? IR_FPF_NV : 0) | (((s) & 2) ? IR_FPF_DE : 0) | (((s) & 4) ? IR_FPF_DZ : 0) |    \
     (((s) & 8) ? IR_FPF_OF : 0) | (((s) & 16) ? IR_FPF_UF : 0) | (((s) & 32) ? IR_FPF_NX : 0))
#define FPU_MXF4(s) FPU_MXF(s), FPU_MXF((s) + 1), FPU_MXF((s) + 2), FPU_MXF((s) + 3)
#define FPU_MXF16(s) FPU_MXF4(s), FPU_MXF4((s) + 4), FPU_MXF4((s) + 8), FPU_MXF4((s) + 12)
static const uint8_t fpu_mx_flags[64] = {FPU_MXF16(0), FPU_MXF16(16), FPU_MXF16(32),
                                         FPU_MXF16(48)};

static bool fpu_have_fma;
bool fpu_use_evex;

__attribute__((constructor)) static void fpu_host_init(void)
{
    __builtin_cpu_init();
    fpu_have_fma = __builtin_cpu_supports("fma");
    /* libgcc only reports AVX-512 when the OS saves its register state */
    fpu_use_evex = __builtin_cpu_supports("avx512f");
}

static inline uint32_t fpu_hw_mx(unsigned rm, uint64_t fpx)
{
    return FPU_MX_MASKS | fpu_mx_rc[rm] | ((fpx & IR_FPX_FTZ) ? FPU_MX_FTZ_DAZ : 0);
}

/* Only x86 guests see DE (denormal operand); everyone else has five flags. */
static inline void fpu_hw_flags(uint64_t fpx, uint32_t st, uint32_t *flags)
{
    uint32_t f = fpu_mx_flags[st & 63];
    if ((fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_X86)
        f &= ~IR_FPF_DE;
    *flags |= f;
}

static inline double fpu_d(uint64_t x)
{
    double d;
    memcpy(&d, &x, sizeof d);
    return d;
}
static inline float fpu_f(uint64_t x)
{
    uint32_t w = (uint32_t)x;
    float f;
    memcpy(&f, &w, sizeof f);
    return f;
}
static inline uint64_t fpu_dbits(double d)
{
    uint64_t x;
    memcpy(&x, &d, sizeof x);
    return x;
}
static inline uint64_t fpu_fbits(float f)
{
    uint32_t w;
    memcpy(&w, &f, sizeof w);
    return w;
}

/* The MXCSR window around one instruction: save, load guest mode, op, read flags, restore. */
#define FPU_MX_ENTER "stmxcsr %[old]\n\tldmxcsr %[mx]\n\t"
#define FPU_MX_LEAVE "\n\tstmxcsr %[st]\n\tldmxcsr %[old]"

#define FPU_HW_BIN(name, insn, T, conv, bits)                                                      \
    static inline uint64_t name(uint64_t a, uint64_t b, uint32_t mx, uint32_t *st)                 \
    {                                                                                              \
        T x = conv(a), y = conv(b);                                                                \
        uint32_t old;                                                                              \
        __asm__ volatile(FPU_MX_ENTER insn " %[y], %[x]" FPU_MX_LEAVE                              \
                         : [x] "+x"(x), [old] "=m"(old), [st] "=m"(*st)                            \
                         : [y] "x"(y), [mx] "m"(mx));                                              \
        return bits(x);                                                                            \
    }
FPU_HW_BIN(fpu_hw_addsd, "addsd", double, fpu_d, fpu_dbits)
FPU_HW_BIN(fpu_hw_subsd, "subsd", double, fpu_d, fpu_dbits)
FPU_HW_BIN(fpu_hw_mulsd, "mulsd", double, fpu_d, fpu_dbits)
FPU_HW_BIN(fpu_hw_divsd, "divsd", double, fpu_d, fpu_dbits)
FPU_HW_BIN(fpu_hw_addss, "addss", float, fpu_f, fpu_fbits)
FPU_HW_BIN(fpu_hw_subss, "subss", float, fpu_f, fpu_fbits)
FPU_HW_BIN(fpu_hw_mulss, "mulss", float, fpu_f, fpu_fbits)
FPU_HW_BIN(fpu_hw_divss, "divss", float, fpu_f, fpu_fbits)

/* One-operand ops whose result is a float: sqrt and the F32<->F64 conversions. */
#define FPU_HW_UN(name, insn, TI, conv, TO, bits)                                                  \
    static inline uint64_t name(uint64_t a, uint32_t mx, uint32_t *st)                             \
    {                                                                                              \
        TI y = conv(a);                                                                            \
        TO x;                                                                                      \
        uint32_t old;                                                                              \
        __asm__ volatile(FPU_MX_ENTER insn " %[y], %[x]" FPU_MX_LEAVE                              \
                         : [x] "=&x"(x), [old] "=m"(old), [st] "=m"(*st)                           \
                         : [y] "x"(y), [mx] "m"(mx));                                              \
        return bits(x);                                                                            \
    }
FPU_HW_UN(fpu_hw_sqrtsd, "sqrtsd", double, fpu_d, double, fpu_dbits)
FPU_HW_UN(fpu_hw_sqrtss, "sqrtss", float, fpu_f, float, fpu_fbits)
FPU_HW_UN(fpu_hw_cvtss2sd, "cvtss2sd", float, fpu_f, double, fpu_dbits)
FPU_HW_UN(fpu_hw_cvtsd2ss, "cvtsd2ss", double, fpu_d, float, fpu_fbits)

/* a*b+c. x86 propagates the first NaN of the formula's operands (no sNaN priority), so
 * the 231 form, op1 = op2*op3 + op1, with (op2, op3, op1) = (a, b, c), makes that order
 * (a, b, c). */
#define FPU_HW_FMA(name, insn, T, conv, bits)                                                      \
    static inline uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint32_t mx, uint32_t *st)     \
    {                                                                                              \
        T x = conv(a), y = conv(b), z = conv(c);                                                   \
        uint32_t old;                                                                              \
        __asm__ volatile(FPU_MX_ENTER insn " %[y], %[x], %[z]" FPU_MX_LEAVE                        \
                         : [z] "+x"(z), [old] "=m"(old), [st] "=m"(*st)                            \
                         : [x] "x"(x), [y] "x"(y), [mx] "m"(mx));                                  \
        return bits(z);                                                                            \
    }
FPU_HW_FMA(fpu_hw_fmasd, "vfmadd231sd", double, fpu_d, fpu_dbits)
FPU_HW_FMA(fpu_hw_fmass, "vfmadd231ss", float, fpu_f, fpu_fbits)

/* float -> int64 in the current rounding mode (never truncating: cvt, not cvtt) */
#define FPU_HW_F2I(name, insn, T, conv)                                                            \
    static inline int64_t name(uint64_t a, uint32_t mx, uint32_t *st)                              \
    {                                                                                              \
        T y = conv(a);                                                                             \
        int64_t r;                                                                                 \
        uint32_t old;                                                                              \
        __asm__ volatile(FPU_MX_ENTER insn " %[y], %[r]" FPU_MX_LEAVE                              \
                         : [r] "=&r"(r), [old] "=m"(old), [st] "=m"(*st)                           \
                         : [y] "x"(y), [mx] "m"(mx));                                              \
        return r;                                                                                  \
    }
FPU_HW_F2I(fpu_hw_cvtsd2si, "cvtsd2si", double, fpu_d)
FPU_HW_F2I(fpu_hw_cvtss2si, "cvtss2si", float, fpu_f)

/* int64 -> float in the current rounding mode */
#define FPU_HW_I2F(name, insn, T, bits)                                                            \
    static inline uint64_t name(int64_t v, uint32_t mx, uint32_t *st)                              \
    {                                                                                              \
        T x;                                                                                       \
        uint32_t old;                                                                              \
        __asm__ volatile(FPU_MX_ENTER "xorps %[x], %[x]\n\t" insn " %[v], %[x]" FPU_MX_LEAVE       \
                         : [x] "=&x"(x), [old] "=m"(old), [st] "=m"(*st)                           \
                         : [v] "r"(v), [mx] "m"(mx));                                              \
        return bits(x);                                                                            \
    }
FPU_HW_I2F(fpu_hw_cvtsi2sd, "cvtsi2sdq", double, fpu_dbits)
FPU_HW_I2F(fpu_hw_cvtsi2ss, "cvtsi2ssq", float, fpu_fbits)

/* ---- tier 1: EVEX embedded rounding; results in r[0..2] = rn, rd, ru ---- */

/* Normal: not zero, subnormal, inf or NaN (ignores the bits above an F32). */
static inline bool fpu_normal(bool dbl, uint64_t x)
{
    const int mb = fpu_mbits(dbl);
    const uint64_t emaxf = fpu_expmask(dbl) >> mb;
    return ((x & fpu_expmask(dbl)) >> mb) - 1 < emaxf - 1;
}

/* rd <= exact <= ru: both normal means no mode overflows or is tiny, so the result of
 * the guest's mode is final and NX is the only flag. Zero results also land outside
 * (their sign depends on the mode, so rd and ru differ without being inexact). */
static inline bool fpu_er_ok(bool dbl, const uint64_t r[3])
{
    return fpu_normal(dbl, r[1]) && fpu_normal(dbl, r[2]);
}

static inline uint64_t fpu_er_pick(bool dbl, unsigned rm, const uint64_t r[3], uint32_t *flags)
{
    if (r[1] != r[2])
        *flags |= IR_FPF_NX;
    switch (rm) {
    case IR_RM_RDN: return r[1];
    case IR_RM_RUP: return r[2];
    case IR_RM_RTZ: return fpu_sign(dbl, r[1]) ? r[2] : r[1];
    default: return r[0];
    }
}

#define FPU_ER_BIN(name, insn, T, conv, bits)                                                      \
    static inline void name(uint64_t a, uint64_t b, uint64_t r[3])                                 \
    {                                                                                              \
        T x = conv(a), y = conv(b), n, d, u;                                                       \
        __asm__(insn " %{rn-sae%}, %[y], %[x], %[n]\n\t" insn " %{rd-sae%}, %[y], %[x], %[d]\n\t"      \
                insn " %{ru-sae%}, %[y], %[x], %[u]"                                                 \
                : [n] "=&v"(n), [d] "=&v"(d), [u] "=&v"(u)                                         \
                : [x] "v"(x), [y] "v"(y));                                                         \
        r[0] = bits(n);                                                                            \
        r[1] = bits(d);                                                                            \
        r[2] = bits(u);                                                                            \
    }
FPU_ER_BIN(fpu_er_addsd, "vaddsd", double, fpu_d, fpu_dbits)
FPU_ER_BIN(fpu_er_subsd, "vsubsd", double, fpu_d, fpu_dbits)
FPU_ER_BIN(fpu_er_mulsd, "vmulsd", double, fpu_d, fpu_dbits)
FPU_ER_BIN(fpu_er_divsd, "vdivsd", double, fpu_d, fpu_dbits)
FPU_ER_BIN(fpu_er_addss, "vaddss", float, fpu_f, fpu_fbits)
FPU_ER_BIN(fpu_er_subss, "vsubss", float, fpu_f, fpu_fbits)
FPU_ER_BIN(fpu_er_mulss, "vmulss", float, fpu_f, fpu_fbits)
FPU_ER_BIN(fpu_er_divss, "vdivss", float, fpu_f, fpu_fbits)

/* sqrt and f64->f32: one source (also used as the pass-through upper lanes) */
#define FPU_ER_UN(name, insn, TI, conv, TO, bits)                                                  \
    static inline void name(uint64_t a, uint64_t r[3])                                             \
    {                                                                                              \
        TI x = conv(a);                                                                            \
        TO n, d, u;                                                                                \
        __asm__(insn " %{rn-sae%}, %[x], %[x], %[n]\n\t" insn " %{rd-sae%}, %[x], %[x], %[d]\n\t"      \
                insn " %{ru-sae%}, %[x], %[x], %[u]"                                                 \
                : [n] "=&v"(n), [d] "=&v"(d), [u] "=&v"(u)                                         \
                : [x] "v"(x));                                                                     \
        r[0] = bits(n);                                                                            \
        r[1] = bits(d);                                                                            \
        r[2] = bits(u);                                                                            \
    }
FPU_ER_UN(fpu_er_sqrtsd, "vsqrtsd", double, fpu_d, double, fpu_dbits)
FPU_ER_UN(fpu_er_sqrtss, "vsqrtss", float, fpu_f, float, fpu_fbits)
FPU_ER_UN(fpu_er_cvtsd2ss, "vcvtsd2ss", double, fpu_d, float, fpu_fbits)

/* z = x*y + z in each mode (231 form, as in tier 2) */
#define FPU_ER_FMA(name, insn, T, conv, bits)                                                      \
    static inline void name(uint64_t a, uint64_t b, uint64_t c, uint64_t r[3])                     \
    {                                                                                              \
        T x = conv(a), y = conv(b), n = conv(c), d = n, u = n;                                     \
        __asm__(insn " %{rn-sae%}, %[y], %[x], %[n]\n\t" insn " %{rd-sae%}, %[y], %[x], %[d]\n\t"      \
                insn " %{ru-sae%}, %[y], %[x], %[u]"                                                 \
                : [n] "+&v"(n), [d] "+&v"(d), [u] "+&v"(u)                                         \
                : [x] "v"(x), [y] "v"(y));                                                         \
        r[0] = bits(n);                                                                            \
        r[1] = bits(d);                                                                            \
        r[2] = bits(u);                                                                            \
    }
FPU_ER_FMA(fpu_er_fmasd, "vfmadd231sd", double, fpu_d, fpu_dbits)
FPU_ER_FMA(fpu_er_fmass, "vfmadd231ss", float, fpu_f, fpu_fbits)

#define FPU_ER_F2I(name, insn, T, conv)                                                            \
    static inline void name(uint64_t a, int64_t r[3])                                              \
    {                                                                                              \
        T x = conv(a);                                                                             \
        __asm__(insn " %{rn-sae%}, %[x], %[n]\n\t" insn " %{rd-sae%}, %[x], %[d]\n\t"                  \
                insn " %{ru-sae%}, %[x], %[u]"                                                       \
                : [n] "=&r"(r[0]), [d] "=&r"(r[1]), [u] "=&r"(r[2])                                \
                : [x] "v"(x));                                                                     \
    }
FPU_ER_F2I(fpu_er_cvtsd2si, "vcvtsd2si", double, fpu_d)
FPU_ER_F2I(fpu_er_cvtss2si, "vcvtss2si", float, fpu_f)

/* the destination doubles as the pass-through source: its upper lanes are don't-care */
#define FPU_ER_I2F(name, insn, T, bits)                                                            \
    static inline void name(int64_t v, uint64_t r[3])                                              \
    {                                                                                              \
        T n, d, u;                                                                                 \
        __asm__(insn " %[v], %{rn-sae%}, %[n], %[n]\n\t" insn " %[v], %{rd-sae%}, %[d], %[d]\n\t"  \
                insn " %[v], %{ru-sae%}, %[u], %[u]"                                               \
                : [n] "=&v"(n), [d] "=&v"(d), [u] "=&v"(u)                                         \
                : [v] "r"(v));                                                                     \
        r[0] = bits(n);                                                                            \
        r[1] = bits(d);                                                                            \
        r[2] = bits(u);                                                                            \
    }
FPU_ER_I2F(fpu_er_cvtsi2sd, "vcvtsi2sdq", double, fpu_dbits)
FPU_ER_I2F(fpu_er_cvtsi2ss, "vcvtsi2ssq", float, fpu_fbits)

/* Rewrites a host NaN result to the guest policy; x86 guests keep the host's NaN. */
static inline uint64_t fpu_hw_nan(bool dbl, uint64_t fpx, uint64_t r, int n, uint64_t a,
                                  uint64_t b)
{
    if (FPU_UNLIKELY(fpu_is_nan(dbl, r)) && (fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_X86)
        return fpu_pick_nan3(dbl, fpx, n, fpu_trim(dbl, a), fpu_trim(dbl, b), 0);
    return r;
}

#define FPU_BINARY(op)                                                                             \
    uint64_t fpu_##op(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,                 \
                      uint32_t *flags)                                                             \
    {                                                                                              \
        if (FPU_UNLIKELY(rm >= IR_RM_RMM))                                                         \
            return fpu_soft_##op(dbl, rm, fpx, a, b, flags);                                       \
        if (FPU_LIKELY(fpu_use_evex) && fpu_normal(dbl, a) && fpu_normal(dbl, b)) {                \
            uint64_t r3[3];                                                                        \
            if (dbl)                                                                               \
                fpu_er_##op##sd(a, b, r3);                                                         \
            else                                                                                   \
                fpu_er_##op##ss(a, b, r3);                                                         \
            if (FPU_LIKELY(fpu_er_ok(dbl, r3)))                                                    \
                return fpu_er_pick(dbl, rm, r3, flags);                                            \
        }                                                                                          \
        uint32_t st;                                                                               \
        uint64_t r = dbl ? fpu_hw_##op##sd(a, b, fpu_hw_mx(rm, fpx), &st)                          \
                         : fpu_hw_##op##ss(a, b, fpu_hw_mx(rm, fpx), &st);                         \
        fpu_hw_flags(fpx, st, flags);                                                              \
        return fpu_hw_nan(dbl, fpx, r, 2, a, b);                                                   \
    }
FPU_BINARY(add)
FPU_BINARY(sub)
FPU_BINARY(mul)
FPU_BINARY(div)

uint64_t fpu_sqrt(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    if (FPU_UNLIKELY(rm >= IR_RM_RMM))
        return fpu_soft_sqrt(dbl, rm, fpx, a, flags);
    if (FPU_LIKELY(fpu_use_evex) && fpu_normal(dbl, a) && !fpu_sign(dbl, fpu_trim(dbl, a))) {
        uint64_t r3[3];
        if (dbl)
            fpu_er_sqrtsd(a, r3);
        else
            fpu_er_sqrtss(a, r3);
        return fpu_er_pick(dbl, rm, r3, flags); /* the root of a normal is normal */
    }
    uint32_t st;
    uint64_t r = dbl ? fpu_hw_sqrtsd(a, fpu_hw_mx(rm, fpx), &st)
                     : fpu_hw_sqrtss(a, fpu_hw_mx(rm, fpx), &st);
    fpu_hw_flags(fpx, st, flags);
    return fpu_hw_nan(dbl, fpx, r, 1, a, 0);
}

uint64_t fpu_fma(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint64_t c,
                 uint32_t *flags)
{
    const uint64_t sb = fpu_signbit(dbl);
    uint64_t x = fpu_trim(dbl, a) ^ ((fpx & IR_FPX_NEG_PROD) ? sb : 0);
    uint64_t y = fpu_trim(dbl, b);
    uint64_t z = fpu_trim(dbl, c) ^ ((fpx & IR_FPX_NEG_ADDEND) ? sb : 0);
    /* NaN operands: RISC-V and AArch64 differ from x86 (0*inf+qNaN, operand order) */
    bool nan_in = fpu_is_nan(dbl, x) || fpu_is_nan(dbl, y) || fpu_is_nan(dbl, z);
    if (FPU_UNLIKELY(rm >= IR_RM_RMM || !fpu_have_fma) ||
        (FPU_UNLIKELY(nan_in) && (fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_X86))
        return fpu_soft_fma(dbl, rm, fpx, a, b, c, flags);
    if (FPU_LIKELY(fpu_use_evex) && fpu_normal(dbl, x) && fpu_normal(dbl, y) &&
        fpu_normal(dbl, z)) {
        uint64_t r3[3];
        if (dbl)
            fpu_er_fmasd(x, y, z, r3);
        else
            fpu_er_fmass(x, y, z, r3);
        if (FPU_LIKELY(fpu_er_ok(dbl, r3)))
            return fpu_er_pick(dbl, rm, r3, flags);
    }
    uint32_t st;
    uint64_t r = dbl ? fpu_hw_fmasd(x, y, z, fpu_hw_mx(rm, fpx), &st)
                     : fpu_hw_fmass(x, y, z, fpu_hw_mx(rm, fpx), &st);
    fpu_hw_flags(fpx, st, flags);
    if (FPU_UNLIKELY(fpu_is_nan(dbl, r)) && (fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_X86)
        return fpu_default_nan(dbl, fpx); /* no NaN operand: an invalid operation */
    return r;
}

uint64_t fpu_f2i(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    /* the host converts to int64 only: NaN and |a| >= 2^63 are decided in software */
    const uint64_t lim = dbl ? (uint64_t)(1023 + 63) << 52 : (uint64_t)(127 + 63) << 23;
    if (FPU_UNLIKELY(rm >= IR_RM_RMM || fpu_abs(dbl, a) >= lim))
        return fpu_soft_f2i(dbl, rm, fpx, a, flags);
    uint32_t st;
    int64_t r;
    if (FPU_LIKELY(fpu_use_evex) && fpu_normal(dbl, a)) {
        int64_t r3[3];
        if (dbl)
            fpu_er_cvtsd2si(a, r3);
        else
            fpu_er_cvtss2si(a, r3);
        st = r3[1] != r3[2] ? 0x20u : 0; /* PE, as tier 2 would see it */
        switch (rm) {
        case IR_RM_RDN: r = r3[1]; break;
        case IR_RM_RUP: r = r3[2]; break;
        case IR_RM_RTZ: r = fpu_sign(dbl, a) ? r3[2] : r3[1]; break;
        default: r = r3[0]; break;
        }
    } else {
        r = dbl ? fpu_hw_cvtsd2si(a, fpu_hw_mx(rm, fpx), &st)
                : fpu_hw_cvtss2si(a, fpu_hw_mx(rm, fpx), &st);
    }
    enum fpu_f2i_bad why = r < 0 ? FPU_F2I_NEG : FPU_F2I_POS;
    bool bad;
    if (fpx & IR_FPX_W32)
        bad = (fpx & IR_FPX_SIGNED) ? r != (int32_t)r : (uint64_t)r > 0xffffffffull;
    else
        bad = !(fpx & IR_FPX_SIGNED) && r < 0;
    if (FPU_UNLIKELY(bad)) {
        *flags |= IR_FPF_NV; /* out of range: NV alone, no NX */
        return fpu_f2i_invalid(fpx, why);
    }
    fpu_hw_flags(fpx, st, flags);
    return (fpx & IR_FPX_W32) ? (uint64_t)r & 0xffffffffull : (uint64_t)r;
}

uint64_t fpu_i2f(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    if (FPU_UNLIKELY(rm >= IR_RM_RMM))
        return fpu_soft_i2f(dbl, rm, fpx, a, flags);
    int64_t v;
    bool half = false;
    if (fpx & IR_FPX_W32)
        v = (fpx & IR_FPX_SIGNED) ? (int64_t)(int32_t)(uint32_t)a : (int64_t)(uint32_t)a;
    else if ((fpx & IR_FPX_SIGNED) || !(a >> 63))
        v = (int64_t)a;
    else {
        /* unsigned >= 2^63: halve, keeping the lost bit as a sticky bit (63 bits is far
         * more than either precision, so rounding is unchanged), then double exactly */
        v = (int64_t)((a >> 1) | (a & 1));
        half = true;
    }
    uint64_t r;
    if (FPU_LIKELY(fpu_use_evex)) {
        /* an integer converts to a normal or zero, never near the range limits */
        uint64_t r3[3];
        if (dbl)
            fpu_er_cvtsi2sd(v, r3);
        else
            fpu_er_cvtsi2ss(v, r3);
        r = fpu_er_pick(dbl, rm, r3, flags);
    } else {
        uint32_t st;
        r = dbl ? fpu_hw_cvtsi2sd(v, fpu_hw_mx(rm, fpx), &st)
                : fpu_hw_cvtsi2ss(v, fpu_hw_mx(rm, fpx), &st);
        fpu_hw_flags(fpx, st, flags);
    }
    if (half)
        r += 1ull << fpu_mbits(dbl); /* exponent + 1: normal, far from overflow */
    return r;
}

uint64_t fpu_f2f(bool to_dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    if (to_dbl && fpu_normal(false, a)) {
        /* exact: rebias the exponent, widen the fraction */
        uint64_t w = a & 0xffffffffull;
        return ((w & 0x80000000ull) << 32) | ((((w >> 23) & 0xff) + 1023 - 127) << 52) |
               ((w & 0x7fffffull) << 29);
    }
    if (FPU_UNLIKELY(rm >= IR_RM_RMM))
        return fpu_soft_f2f(to_dbl, rm, fpx, a, flags);
    if (FPU_LIKELY(fpu_use_evex) && !to_dbl && fpu_normal(true, a)) {
        uint64_t r3[3];
        fpu_er_cvtsd2ss(a, r3);
        if (FPU_LIKELY(fpu_er_ok(false, r3)))
            return fpu_er_pick(false, rm, r3, flags);
    }
    uint32_t st;
    uint64_t r = to_dbl ? fpu_hw_cvtss2sd(a, fpu_hw_mx(rm, fpx), &st)
                        : fpu_hw_cvtsd2ss(a, fpu_hw_mx(rm, fpx), &st);
    fpu_hw_flags(fpx, st, flags);
    /* the host keeps sign and payload, quietened: the ARM and x86 rule */
    if (FPU_UNLIKELY(fpu_is_nan(to_dbl, r)) && (fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_DEFAULT)
        return fpu_canon(to_dbl);
    return r;
}

#else /* !FPU_HOST_SSE: every op in software */

bool fpu_use_evex;

uint64_t fpu_add(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_soft_add(dbl, rm, fpx, a, b, flags);
}
uint64_t fpu_sub(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_soft_sub(dbl, rm, fpx, a, b, flags);
}
uint64_t fpu_mul(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_soft_mul(dbl, rm, fpx, a, b, flags);
}
uint64_t fpu_div(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_soft_div(dbl, rm, fpx, a, b, flags);
}
uint64_t fpu_sqrt(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    return fpu_soft_sqrt(dbl, rm, fpx, a, flags);
}
uint64_t fpu_fma(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint64_t c,
                 uint32_t *flags)
{
    return fpu_soft_fma(dbl, rm, fpx, a, b, c, flags);
}
uint64_t fpu_f2i(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    return fpu_soft_f2i(dbl, rm, fpx, a, flags);
}
uint64_t fpu_i2f(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    return fpu_soft_i2f(dbl, rm, fpx, a, flags);
}
uint64_t fpu_f2f(bool to_dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    return fpu_soft_f2f(to_dbl, rm, fpx, a, flags);
}

#endif

/* ---- min, max, compare: bit logic, identical on every host ---- */

/* Order key of a non-NaN value; `zeros_differ` makes -0 sort below +0. */
static inline int64_t fpu_key(bool dbl, uint64_t x, bool zeros_differ)
{
    int64_t m = (int64_t)fpu_abs(dbl, x);
    if (!fpu_sign(dbl, x))
        return m;
    return zeros_differ ? -m - 1 : -m;
}

static uint64_t fpu_minmax(bool dbl, uint64_t fpx, uint64_t a, uint64_t b, bool max,
                           uint32_t *flags)
{
    a = fpu_daz(dbl, fpx, fpu_trim(dbl, a));
    b = fpu_daz(dbl, fpx, fpu_trim(dbl, b));
    bool na = fpu_is_nan(dbl, a), nb = fpu_is_nan(dbl, b);
    bool sn = fpu_is_snan(dbl, a) || fpu_is_snan(dbl, b);

    if ((fpx & IR_FPX_MIN_MASK) == IR_FPX_MIN_X86) {
        /* SSE MIN/MAX: (a op b) ? a : b, so the second operand wins on any NaN (raising
         * NV even for a qNaN) and on two zeros */
        if (na || nb) {
            *flags |= IR_FPF_NV;
            return b;
        }
        if ((fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_X86 &&
            (fpu_is_sub(dbl, a) || fpu_is_sub(dbl, b)))
            *flags |= IR_FPF_DE;
        int64_t ka = fpu_key(dbl, a, false), kb = fpu_key(dbl, b, false);
        return (max ? ka > kb : ka < kb) ? a : b;
    }
    if (na || nb) {
        if (sn)
            *flags |= IR_FPF_NV;
        if ((fpx & IR_FPX_MIN_MASK) == IR_FPX_MIN_2019 && !(na && nb) &&
            !(sn && (fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_ARM))
            return na ? b : a; /* a number beats a NaN (AArch64 FMINNM: only a quiet one) */
        return fpu_pick_nan2(dbl, fpx, a, b);
    }
    int64_t ka = fpu_key(dbl, a, true), kb = fpu_key(dbl, b, true);
    return (max ? ka >= kb : ka <= kb) ? a : b;
}

uint64_t fpu_min(bool dbl, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_minmax(dbl, fpx, a, b, false, flags);
}

uint64_t fpu_max(bool dbl, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags)
{
    return fpu_minmax(dbl, fpx, a, b, true, flags);
}

uint64_t fpu_cmp(bool dbl, unsigned pred, uint64_t a, uint64_t b, uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    b = fpu_trim(dbl, b);
    if (fpu_is_nan(dbl, a) || fpu_is_nan(dbl, b)) {
        bool signalling = pred == IR_FCMP_LT || pred == IR_FCMP_LE || pred == IR_FCMP_REL_S;
        if (signalling || fpu_is_snan(dbl, a) || fpu_is_snan(dbl, b))
            *flags |= IR_FPF_NV;
        switch (pred) {
        case IR_FCMP_UN: return 1;
        case IR_FCMP_REL_Q:
        case IR_FCMP_REL_S: return 3;
        default: return 0;
        }
    }
    int64_t ka = fpu_key(dbl, a, false), kb = fpu_key(dbl, b, false);
    switch (pred) {
    case IR_FCMP_EQ: return ka == kb;
    case IR_FCMP_LT: return ka < kb;
    case IR_FCMP_LE: return ka <= kb;
    case IR_FCMP_UN: return 0;
    case IR_FCMP_REL_Q:
    case IR_FCMP_REL_S: return ka == kb ? 0 : ka < kb ? 1 : 2;
    default: return 0; /* not a predicate: the verifier rejects it; never abort */
    }
}
