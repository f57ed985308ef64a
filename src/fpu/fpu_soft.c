/*
 * Software IEEE 754 binary32/binary64: correctly rounded add, sub, mul, div, sqrt, fma and
 * conversions in all five rounding modes (RNE, RTZ, RDN, RUP, RMM), with exact flags.
 *
 * The host path (fpu.c) uses it for RMM, which SSE cannot do, and for the rare operands it
 * does not trust the host with; the unit test uses it as the reference the host path is
 * cross-checked against, so it never uses host floating point itself.
 *
 * Method: every operation computes its exact result, or the exact result truncated with
 * a "sticky" bit ORed into bit 0 (which keeps an inexact value strictly between the same
 * two neighbours at every rounding position above bit 1), in a 128-bit integer
 * significand, then rounds once (fpu_round). Tininess is detected after rounding, and UF
 * is raised only for tiny inexact results (RISC-V, x86 with UF masked). IR_FPX_FTZ
 * follows x86 FTZ+DAZ: subnormal inputs read as zero, tiny results become zero with UF|NX.
 * Unknown rounding modes (5..7, never produced by a correct frontend) round to nearest.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fpu/fpu_internal.h"

typedef unsigned __int128 u128;

/* A finite operand: value = sig * 2^exp; sig is 0 (a zero) or has its top bit at mbits. */
enum { SF_ZERO, SF_FINITE, SF_INF, SF_NAN };
struct sf_unp {
    bool sign;
    int cls;
    int32_t exp;
    uint64_t sig;
};

static struct sf_unp sf_unpack(bool dbl, uint64_t fpx, uint64_t x)
{
    const int mb = fpu_mbits(dbl);
    struct sf_unp u = {.sign = fpu_sign(dbl, x)};
    uint64_t e = (x & fpu_expmask(dbl)) >> mb, m = x & fpu_mantmask(dbl);
    x = fpu_daz(dbl, fpx, x);
    if (e == fpu_expmask(dbl) >> mb) {
        u.cls = m ? SF_NAN : SF_INF;
    } else if (e == 0) {
        if (fpu_is_zero(dbl, x)) {
            u.cls = SF_ZERO;
        } else {
            /* subnormal: normalise so that every finite operand has mbits+1 bits */
            int sh = __builtin_clzll(m) - (63 - mb);
            u.cls = SF_FINITE;
            u.sig = m << sh;
            u.exp = fpu_emin(dbl) - mb - sh;
        }
    } else {
        u.cls = SF_FINITE;
        u.sig = m | (1ull << mb);
        u.exp = (int32_t)e - fpu_bias(dbl) - mb;
    }
    return u;
}

static uint64_t sf_zero(bool dbl, bool sign) { return sign ? fpu_signbit(dbl) : 0; }
static uint64_t sf_infinity(bool dbl, bool sign) { return fpu_inf(dbl) | sf_zero(dbl, sign); }

static uint64_t sf_shr_jam64(uint64_t x, int32_t n)
{
    if (n <= 0)
        return x;
    if (n >= 64)
        return x != 0;
    return (x >> n) | ((x & ((1ull << n) - 1)) != 0);
}

static u128 sf_shr_jam128(u128 x, int32_t n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & (((u128)1 << n) - 1)) != 0);
}

static int sf_clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

/* Whether rounding away the bits `rest` (half = the weight of the first one) goes up. */
static bool sf_round_up(unsigned rm, bool sign, bool lsb, uint64_t rest, uint64_t half)
{
    switch (rm) {
    case IR_RM_RTZ: return false;
    case IR_RM_RDN: return sign && rest;
    case IR_RM_RUP: return !sign && rest;
    case IR_RM_RMM: return rest >= half;
    default: return rest > half || (rest == half && lsb);
    }
}

/*
 * Rounds sign * sig * 2^(e-62), sig having its top bit at bit 62, to the format.
 * This is the one place where results are rounded and OF/UF/NX are decided.
 */
static uint64_t sf_round(bool dbl, unsigned rm, uint64_t fpx, bool sign, int32_t e, uint64_t sig,
                         uint32_t *flags)
{
    const int mb = fpu_mbits(dbl), lpos = 62 - mb; /* bit of the result's last place */
    const int32_t emin = fpu_emin(dbl);
    const uint64_t mask = (1ull << lpos) - 1, half = 1ull << (lpos - 1);
    bool tiny = false;

    if (e < emin) {
        tiny = true;
        if (e == emin - 1) {
            /* after rounding to full precision with unbounded exponent, is it 2^emin? */
            uint64_t q = sig >> lpos;
            if (q == (2ull << mb) - 1 && sf_round_up(rm, sign, true, sig & mask, half))
                tiny = false;
        }
        sig = sf_shr_jam64(sig, emin - e);
        e = emin;
    }
    uint64_t rest = sig & mask, q = sig >> lpos;
    if (sf_round_up(rm, sign, q & 1, rest, half))
        q++;
    if (q >> (mb + 1)) { /* carried out of the top: 1.11..1 rounded up to 2.0 */
        q >>= 1;
        e++;
    }
    if (FPU_UNLIKELY(tiny && (fpx & IR_FPX_FTZ))) {
        *flags |= IR_FPF_UF | IR_FPF_NX;
        return sf_zero(dbl, sign);
    }
    if (e > fpu_emax(dbl)) {
        bool to_inf = rm == IR_RM_RDN ? sign : rm == IR_RM_RUP ? !sign : rm != IR_RM_RTZ;
        *flags |= IR_FPF_OF | IR_FPF_NX;
        return to_inf ? sf_infinity(dbl, sign) : fpu_maxfinite(dbl) | sf_zero(dbl, sign);
    }
    if (rest) {
        *flags |= IR_FPF_NX;
        if (tiny)
            *flags |= IR_FPF_UF;
    }
    uint64_t r = sf_zero(dbl, sign);
    if (q >> mb) /* normal (a subnormal that rounded up to 2^emin lands here too) */
        r |= ((uint64_t)(e + fpu_bias(dbl)) << mb) | (q & fpu_mantmask(dbl));
    else
        r |= q;
    return r;
}

/* Rounds sign * sig * 2^exp for any nonzero 128-bit sig. */
static uint64_t sf_round128(bool dbl, unsigned rm, uint64_t fpx, bool sign, int32_t exp, u128 sig,
                            uint32_t *flags)
{
    int top = 127 - sf_clz128(sig);
    uint64_t s;
    if (top > 62)
        s = (uint64_t)sf_shr_jam128(sig, top - 62);
    else
        s = (uint64_t)sig << (62 - top);
    return sf_round(dbl, rm, fpx, sign, exp + top, s, flags);
}

/* x86 DE: a subnormal operand reached an arithmetic op (only reported for x86 guests). */
static void sf_denormal_flag(bool dbl, uint64_t fpx, int n, const uint64_t *v, uint32_t *flags)
{
    if ((fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_X86 || (fpx & IR_FPX_FTZ))
        return;
    for (int i = 0; i < n; i++)
        if (fpu_is_nan(dbl, v[i]))
            return;
    for (int i = 0; i < n; i++)
        if (fpu_is_sub(dbl, v[i]))
            *flags |= IR_FPF_DE;
}

/* NaN operands: NV for any sNaN, then the policy's pick. */
static uint64_t sf_nan(bool dbl, uint64_t fpx, int n, uint64_t a, uint64_t b, uint64_t c,
                       uint32_t *flags)
{
    if (fpu_is_snan(dbl, a) || (n > 1 && fpu_is_snan(dbl, b)) || (n > 2 && fpu_is_snan(dbl, c)))
        *flags |= IR_FPF_NV;
    return fpu_pick_nan3(dbl, fpx, n, a, b, c);
}

static uint64_t sf_invalid(bool dbl, uint64_t fpx, uint32_t *flags)
{
    *flags |= IR_FPF_NV;
    return fpu_default_nan(dbl, fpx);
}

/* Sum of two nonzero finite values whose sigs have their top bit at bit 125. */
static uint64_t sf_add_core(bool dbl, unsigned rm, uint64_t fpx, bool sa, int32_t ea, u128 ma,
                            bool sb, int32_t eb, u128 mb, uint32_t *flags)
{
    if (ea < eb) {
        bool ts = sa; sa = sb; sb = ts;
        int32_t te = ea; ea = eb; eb = te;
        u128 tm = ma; ma = mb; mb = tm;
    }
    mb = sf_shr_jam128(mb, ea - eb);
    if (sa == sb)
        return sf_round128(dbl, rm, fpx, sa, ea, ma + mb, flags);
    if (ma == mb) /* exact cancellation: +0, or -0 when rounding down */
        return sf_zero(dbl, rm == IR_RM_RDN);
    if (ma > mb)
        return sf_round128(dbl, rm, fpx, sa, ea, ma - mb, flags);
    return sf_round128(dbl, rm, fpx, sb, ea, mb - ma, flags);
}

static uint64_t sf_addsub(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                          bool negb, uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    b = fpu_trim(dbl, b);
    struct sf_unp x = sf_unpack(dbl, fpx, a), y = sf_unpack(dbl, fpx, b);
    if (x.cls == SF_NAN || y.cls == SF_NAN)
        return sf_nan(dbl, fpx, 2, a, b, 0, flags);
    sf_denormal_flag(dbl, fpx, 2, (uint64_t[]){a, b}, flags);
    y.sign ^= negb;
    if (x.cls == SF_INF) {
        if (y.cls == SF_INF && x.sign != y.sign)
            return sf_invalid(dbl, fpx, flags);
        return sf_infinity(dbl, x.sign);
    }
    if (y.cls == SF_INF)
        return sf_infinity(dbl, y.sign);
    if (x.cls == SF_ZERO && y.cls == SF_ZERO)
        return sf_zero(dbl, x.sign == y.sign ? x.sign : rm == IR_RM_RDN);
    if (x.cls == SF_ZERO)
        return sf_round128(dbl, rm, fpx, y.sign, y.exp, y.sig, flags);
    if (y.cls == SF_ZERO)
        return sf_round128(dbl, rm, fpx, x.sign, x.exp, x.sig, flags);
    const int up = 125 - fpu_mbits(dbl);
    return sf_add_core(dbl, rm, fpx, x.sign, x.exp - up, (u128)x.sig << up, y.sign, y.exp - up,
                       (u128)y.sig << up, flags);
}

uint64_t fpu_soft_add(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags)
{
    return sf_addsub(dbl, rm, fpx, a, b, false, flags);
}

uint64_t fpu_soft_sub(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags)
{
    return sf_addsub(dbl, rm, fpx, a, b, true, flags);
}

uint64_t fpu_soft_mul(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    b = fpu_trim(dbl, b);
    struct sf_unp x = sf_unpack(dbl, fpx, a), y = sf_unpack(dbl, fpx, b);
    if (x.cls == SF_NAN || y.cls == SF_NAN)
        return sf_nan(dbl, fpx, 2, a, b, 0, flags);
    sf_denormal_flag(dbl, fpx, 2, (uint64_t[]){a, b}, flags);
    bool s = x.sign ^ y.sign;
    if (x.cls == SF_INF || y.cls == SF_INF) {
        if (x.cls == SF_ZERO || y.cls == SF_ZERO)
            return sf_invalid(dbl, fpx, flags);
        return sf_infinity(dbl, s);
    }
    if (x.cls == SF_ZERO || y.cls == SF_ZERO)
        return sf_zero(dbl, s);
    return sf_round128(dbl, rm, fpx, s, x.exp + y.exp, (u128)x.sig * y.sig, flags);
}

uint64_t fpu_soft_div(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b,
                      uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    b = fpu_trim(dbl, b);
    struct sf_unp x = sf_unpack(dbl, fpx, a), y = sf_unpack(dbl, fpx, b);
    if (x.cls == SF_NAN || y.cls == SF_NAN)
        return sf_nan(dbl, fpx, 2, a, b, 0, flags);
    bool s = x.sign ^ y.sign;
    if (x.cls == SF_INF) {
        if (y.cls == SF_INF)
            return sf_invalid(dbl, fpx, flags);
        sf_denormal_flag(dbl, fpx, 2, (uint64_t[]){a, b}, flags);
        return sf_infinity(dbl, s);
    }
    if (y.cls == SF_INF) {
        sf_denormal_flag(dbl, fpx, 2, (uint64_t[]){a, b}, flags);
        return sf_zero(dbl, s);
    }
    if (y.cls == SF_ZERO) {
        if (x.cls == SF_ZERO)
            return sf_invalid(dbl, fpx, flags);
        *flags |= IR_FPF_DZ; /* x86 reports ZE, not DE, for a subnormal dividend */
        return sf_infinity(dbl, s);
    }
    sf_denormal_flag(dbl, fpx, 2, (uint64_t[]){a, b}, flags);
    if (x.cls == SF_ZERO)
        return sf_zero(dbl, s);
    /* x.sig / y.sig is in (1/2, 2): the 64 extra bits give a quotient of 64..65 bits */
    u128 n = (u128)x.sig << 64;
    u128 q = n / y.sig;
    q |= (n % y.sig) != 0;
    return sf_round128(dbl, rm, fpx, s, x.exp - y.exp - 64, q, flags);
}

/* floor(sqrt(n)) by Newton's iteration from an overestimate; n > 0. */
static uint64_t sf_isqrt128(u128 n)
{
    int bits = 128 - sf_clz128(n);
    u128 x = (u128)1 << ((bits + 1) / 2), y;
    for (;;) {
        y = (x + n / x) >> 1;
        if (y >= x)
            return (uint64_t)x;
        x = y;
    }
}

uint64_t fpu_soft_sqrt(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    a = fpu_trim(dbl, a);
    struct sf_unp x = sf_unpack(dbl, fpx, a);
    if (x.cls == SF_NAN)
        return sf_nan(dbl, fpx, 1, a, 0, 0, flags);
    if (x.cls == SF_ZERO)
        return sf_zero(dbl, x.sign);
    if (x.sign)
        return sf_invalid(dbl, fpx, flags);
    sf_denormal_flag(dbl, fpx, 1, &a, flags);
    if (x.cls == SF_INF)
        return a;
    /* even exponent, and enough low bits that the root has >= 61 significant bits */
    const int k = (124 - fpu_mbits(dbl)) & ~1;
    u128 sig = x.sig;
    int32_t e = x.exp;
    if (e & 1) {
        sig <<= 1;
        e--;
    }
    u128 n = sig << k;
    uint64_t r = sf_isqrt128(n);
    bool inexact = (u128)r * r != n;
    return sf_round128(dbl, rm, fpx, false, (e - k) / 2, (u128)(r | inexact), flags);
}

uint64_t fpu_soft_fma(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint64_t c,
                      uint32_t *flags)
{
    const uint64_t sb = fpu_signbit(dbl);
    a = fpu_trim(dbl, a) ^ ((fpx & IR_FPX_NEG_PROD) ? sb : 0);
    b = fpu_trim(dbl, b);
    c = fpu_trim(dbl, c) ^ ((fpx & IR_FPX_NEG_ADDEND) ? sb : 0);
    struct sf_unp x = sf_unpack(dbl, fpx, a), y = sf_unpack(dbl, fpx, b), z = sf_unpack(dbl, fpx, c);
    bool inf_zero = (x.cls == SF_INF && y.cls == SF_ZERO) || (x.cls == SF_ZERO && y.cls == SF_INF);

    if (x.cls == SF_NAN || y.cls == SF_NAN || z.cls == SF_NAN) {
        unsigned pol = fpx & IR_FPX_NAN_MASK;
        /* 0*inf is invalid with a default NaN result even when the addend is a quiet NaN
         * (RISC-V; AArch64, where an sNaN addend still propagates); x86 propagates the NaN */
        if (inf_zero && pol != IR_FPX_NAN_X86 && !(pol == IR_FPX_NAN_ARM && fpu_is_snan(dbl, c)))
            return sf_invalid(dbl, fpx, flags);
        if (pol == IR_FPX_NAN_ARM) /* AArch64 FPMulAdd checks the addend first */
            return sf_nan(dbl, fpx, 3, c, a, b, flags);
        return sf_nan(dbl, fpx, 3, a, b, c, flags);
    }
    bool sp = x.sign ^ y.sign;
    if (inf_zero)
        return sf_invalid(dbl, fpx, flags);
    if ((x.cls == SF_INF || y.cls == SF_INF) && z.cls == SF_INF && z.sign != sp)
        return sf_invalid(dbl, fpx, flags);
    /* x86 reports DE only for operations that are not invalid */
    sf_denormal_flag(dbl, fpx, 3, (uint64_t[]){a, b, c}, flags);
    if (x.cls == SF_INF || y.cls == SF_INF)
        return sf_infinity(dbl, sp);
    if (z.cls == SF_INF)
        return sf_infinity(dbl, z.sign);
    if (x.cls == SF_ZERO || y.cls == SF_ZERO) {
        if (z.cls == SF_ZERO)
            return sf_zero(dbl, sp == z.sign ? sp : rm == IR_RM_RDN);
        return sf_round128(dbl, rm, fpx, z.sign, z.exp, z.sig, flags);
    }
    u128 p = (u128)x.sig * y.sig;
    int32_t ep = x.exp + y.exp;
    if (z.cls == SF_ZERO)
        return sf_round128(dbl, rm, fpx, sp, ep, p, flags);
    int shp = 125 - (127 - sf_clz128(p)), shz = 125 - fpu_mbits(dbl);
    return sf_add_core(dbl, rm, fpx, sp, ep - shp, p << shp, z.sign, z.exp - shz,
                       (u128)z.sig << shz, flags);
}

uint64_t fpu_soft_f2i(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    const bool w32 = fpx & IR_FPX_W32, sgn = fpx & IR_FPX_SIGNED;
    a = fpu_trim(dbl, a);
    struct sf_unp x = sf_unpack(dbl, fpx, a);
    enum fpu_f2i_bad why;

    if (x.cls == SF_NAN) {
        why = FPU_F2I_NAN;
        goto invalid;
    }
    /* no DE here: x86 conversions to integer do not report denormal operands */
    if (x.cls == SF_ZERO)
        return 0;
    why = x.sign ? FPU_F2I_NEG : FPU_F2I_POS;
    if (x.cls == SF_INF || x.exp > 64)
        goto invalid;

    /* magnitude rounded to an integer: sig * 2^exp, exp in [-1074-52, 64] */
    u128 mag;
    bool inexact = false;
    if (x.exp >= 0) {
        mag = (u128)x.sig << x.exp;
    } else {
        int32_t n = -x.exp;
        uint64_t ip, rest, half;
        if (n >= 64) {
            /* below 2^-11 for any normalised sig: integer part 0, rest under one half */
            ip = 0;
            rest = 1;
            half = ~0ull;
        } else {
            ip = x.sig >> n;
            rest = x.sig & ((1ull << n) - 1);
            half = 1ull << (n - 1);
        }
        inexact = rest != 0;
        mag = ip + sf_round_up(rm, x.sign, ip & 1, rest, half);
    }
    const int w = w32 ? 32 : 64;
    if (sgn) {
        u128 lim = (u128)1 << (w - 1); /* |INT_MIN| */
        if (x.sign ? mag > lim : mag >= lim)
            goto invalid;
    } else {
        if (x.sign ? mag != 0 : mag > (((u128)1 << w) - 1))
            goto invalid;
    }
    if (inexact)
        *flags |= IR_FPF_NX;
    uint64_t r = (uint64_t)mag;
    if (x.sign)
        r = -r;
    return w32 ? (r & 0xffffffffull) : r;

invalid:
    *flags |= IR_FPF_NV;
    return fpu_f2i_invalid(fpx, why);
}

uint64_t fpu_soft_i2f(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    bool neg = false;
    uint64_t mag;
    if (fpx & IR_FPX_W32) {
        a &= 0xffffffffull;
        if ((fpx & IR_FPX_SIGNED) && (a >> 31)) {
            neg = true;
            a = (uint64_t)(-(int64_t)(int32_t)(uint32_t)a);
        }
        mag = a;
    } else {
        if ((fpx & IR_FPX_SIGNED) && (a >> 63)) {
            neg = true;
            a = -a; /* INT64_MIN stays 2^63, which is its magnitude */
        }
        mag = a;
    }
    if (mag == 0)
        return 0;
    return sf_round128(dbl, rm, fpx, neg, 0, mag, flags);
}

uint64_t fpu_soft_f2f(bool to_dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags)
{
    const bool from = !to_dbl;
    a = fpu_trim(from, a);
    struct sf_unp x = sf_unpack(from, fpx, a);
    if (x.cls == SF_NAN) {
        if (fpu_is_snan(from, a))
            *flags |= IR_FPF_NV;
        if ((fpx & IR_FPX_NAN_MASK) == IR_FPX_NAN_DEFAULT)
            return fpu_canon(to_dbl);
        /* keep sign and the top of the payload, quietened */
        uint64_t m = a & fpu_mantmask(from);
        m = to_dbl ? m << 29 : m >> 29;
        return sf_infinity(to_dbl, x.sign) | fpu_qbit(to_dbl) | m;
    }
    sf_denormal_flag(from, fpx, 1, &a, flags);
    if (x.cls == SF_INF)
        return sf_infinity(to_dbl, x.sign);
    if (x.cls == SF_ZERO)
        return sf_zero(to_dbl, x.sign);
    return sf_round128(to_dbl, rm, fpx, x.sign, x.exp, x.sig, flags);
}
