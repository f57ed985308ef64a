/*
 * F and D beyond arithmetic rounding: NaN-boxing of single values in 64-bit registers
 * (transfers create boxed values, an unboxed input reads as the canonical NaN), fmin/fmax
 * with signed zeros and NaNs, float-to-integer conversion saturation at every boundary and
 * for NaN, fclass for all ten classes, sign injection, the four fused multiply-add forms,
 * comparisons and their invalid flag, and FP loads/stores. Expected values follow the
 * RISC-V F/D chapters (tables for fcvt saturation and fclass).
 */
#include "fp.h"

static void test_nan_boxing(void)
{
    uint64_t v;
    static uint32_t w = 0x3f800000;
    static uint64_t d;

    __asm__ volatile("flw ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "m"(w) : "ft0");
    check_u64("flw boxes", v, 0xffffffff3f800000ull);
    check_fr("fmv.w.x boxes", I1("fmv.w.x", 0x0000000012345678ull), S(0x12345678), 0);
    check_fr("fmv.w.x ignores upper bits", I1("fmv.w.x", 0xabcdef0012345678ull), S(0x12345678),
             0);
    check_fr("fmv.x.w sign-extends", X1("fmv.x.w", S(0x80000000)), 0xffffffff80000000ull, 0);
    check_fr("fmv.x.w positive", X1("fmv.x.w", S(0x7fc00000)), 0x7fc00000ull, 0);
    check_fr("fmv.d.x raw", I1("fmv.d.x", 0x000000003f800000ull), 0x000000003f800000ull, 0);

    /* unboxed inputs to single-precision operations read as the canonical NaN */
    check_fr("fadd.s unboxed -> canonical NaN",
             F2R("fadd.s", "rne", 0x000000003f800000ull, S(0x3f800000)), S(0x7fc00000), 0);
    check_fr("fadd.s almost-boxed -> canonical NaN",
             F2R("fadd.s", "rne", S(0x3f800000), 0xfffffffe3f800000ull), S(0x7fc00000), 0);
    check_fr("fsgnj.s unboxed", F2("fsgnj.s", 0x000000003f800000ull, 0x000000003f800000ull),
             S(0x7fc00000), 0);
    check_fr("fsgnjn.s boxed from unboxed sign", F2("fsgnjn.s", S(0x3f800000), 0x00000000bf800000ull),
             S(0xbf800000), 0);
    check_fr("fclass.s unboxed", X1("fclass.s", 0x7ff0000000000000ull), 0x200, 0);
    check_fr("feq.s unboxed", X2("feq.s", 0x3f800000ull, 0x3f800000ull), 0, 0);
    check_fr("fcvt.d.s unboxed", F1("fcvt.d.s", 0x3f800000ull), 0x7ff8000000000000ull,
             0);
    check_fr("fcvt.w.s unboxed (NaN)", X1R("fcvt.w.s", "rtz", 0x40000000ull), 0x7fffffffull, NV);
    /* transfers out ignore the upper half */
    check_fr("fmv.x.w unboxed", X1("fmv.x.w", 0x12345678bf800000ull), 0xffffffffbf800000ull, 0);
    __asm__ volatile("fmv.d.x ft0, %1\n fsw ft0, %0" : "=m"(w) : "r"(0x0000000040490fdbull) : "ft0");
    check_u64("fsw unboxed stores low word", w, 0x40490fdb);
    __asm__ volatile("fmv.w.x ft0, %1\n fsd ft0, %0" : "=m"(d) : "r"(0x3f800000ull) : "ft0");
    check_u64("fsd of single stores boxed", d, 0xffffffff3f800000ull);
    d = 0x123456789abcdef0ull;
    __asm__ volatile("fld ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "m"(d) : "ft0");
    check_u64("fld raw 64 bits", v, 0x123456789abcdef0ull);
    /* misaligned FP loads and stores behave like the integer ones */
    static uint8_t mis[24] __attribute__((aligned(8))) = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    uint8_t *mp = OPAQUE(mis);
    __asm__ volatile("fld ft0, 3(%1)\n fmv.x.d %0, ft0" : "=r"(v) : "r"(mp) : "ft0", "memory");
    check_u64("fld misaligned", v, 0x0a09080706050403ull);
    __asm__ volatile("flw ft0, 1(%1)\n fmv.x.d %0, ft0" : "=r"(v) : "r"(mp) : "ft0", "memory");
    check_u64("flw misaligned boxes", v, 0xffffffff04030201ull);
    __asm__ volatile("fmv.d.x ft0, %0\n fsd ft0, 13(%1)"
                     :
                     : "r"(0x1122334455667788ull), "r"(mp)
                     : "ft0", "memory");
    check_u64("fsd misaligned", mis[13] | (uint64_t)mis[20] << 56, 0x1100000000000088ull);
    /* single results are boxed even when the inputs were doubles */
    check_fr("fcvt.s.d boxes", F1R("fcvt.s.d", "rne", 0x3ff0000000000000ull), S(0x3f800000), 0);
    check_fr("fcvt.s.l boxes", I1R("fcvt.s.l", "rne", (uint64_t)-2), S(0xc0000000), 0);
}

static void test_minmax(void)
{
    check_fr("fmin.s -0,+0", F2("fmin.s", S(0x80000000), S(0)), S(0x80000000), 0);
    check_fr("fmin.s +0,-0", F2("fmin.s", S(0), S(0x80000000)), S(0x80000000), 0);
    check_fr("fmax.s -0,+0", F2("fmax.s", S(0x80000000), S(0)), S(0), 0);
    check_fr("fmax.s +0,-0", F2("fmax.s", S(0), S(0x80000000)), S(0), 0);
    check_fr("fmin.s -1,2", F2("fmin.s", S(0xbf800000), S(0x40000000)), S(0xbf800000), 0);
    check_fr("fmax.s -inf,-1", F2("fmax.s", S(0xff800000), S(0xbf800000)), S(0xbf800000), 0);
    check_fr("fmin.s qNaN,1", F2("fmin.s", S(0x7fc00000), S(0x3f800000)), S(0x3f800000), 0);
    check_fr("fmin.s 1,qNaN", F2("fmin.s", S(0x3f800000), S(0x7fc00000)), S(0x3f800000), 0);
    check_fr("fmax.s sNaN,1", F2("fmax.s", S(0x7f800001), S(0x3f800000)), S(0x3f800000), NV);
    check_fr("fmin.s qNaN,qNaN", F2("fmin.s", S(0x7fc00001), S(0xffc00002)), S(0x7fc00000), 0);
    check_fr("fmax.s sNaN,qNaN", F2("fmax.s", S(0x7f800001), S(0x7fc00000)), S(0x7fc00000), NV);
    check_fr("fmin.d -0,+0", F2("fmin.d", 0x8000000000000000ull, 0), 0x8000000000000000ull, 0);
    check_fr("fmax.d -0,+0", F2("fmax.d", 0x8000000000000000ull, 0), 0, 0);
    check_fr("fmin.d qNaN,-1", F2("fmin.d", 0x7ff8000000000000ull, 0xbff0000000000000ull),
             0xbff0000000000000ull, 0);
    check_fr("fmax.d 1,sNaN", F2("fmax.d", 0x3ff0000000000000ull, 0x7ff0000000000001ull),
             0x3ff0000000000000ull, NV);
    check_fr("fmax.d NaN,NaN", F2("fmax.d", 0xfff8000000000000ull, 0x7ff0000000000001ull),
             0x7ff8000000000000ull, NV);
}

static void test_fcvt_saturation(void)
{
    /* single -> int32 */
    check_fr("fcvt.w.s 3e9", X1R("fcvt.w.s", "rtz", S(0x4f32d05e)), 0x7fffffffull, NV);
    check_fr("fcvt.w.s -3e9", X1R("fcvt.w.s", "rtz", S(0xcf32d05e)), 0xffffffff80000000ull, NV);
    check_fr("fcvt.w.s -2^31 exact", X1R("fcvt.w.s", "rtz", S(0xcf000000)),
             0xffffffff80000000ull, 0);
    check_fr("fcvt.w.s 2^31", X1R("fcvt.w.s", "rtz", S(0x4f000000)), 0x7fffffffull, NV);
    check_fr("fcvt.w.s +inf", X1R("fcvt.w.s", "rtz", S(0x7f800000)), 0x7fffffffull, NV);
    check_fr("fcvt.w.s -inf", X1R("fcvt.w.s", "rtz", S(0xff800000)), 0xffffffff80000000ull, NV);
    check_fr("fcvt.w.s qNaN", X1R("fcvt.w.s", "rtz", S(0x7fc00000)), 0x7fffffffull, NV);
    check_fr("fcvt.w.s -NaN", X1R("fcvt.w.s", "rtz", S(0xffc00000)), 0x7fffffffull, NV);
    /* single -> uint32 (results are sign-extended from bit 31) */
    check_fr("fcvt.wu.s 3e9", X1R("fcvt.wu.s", "rtz", S(0x4f32d05e)), 0xffffffffb2d05e00ull, 0);
    check_fr("fcvt.wu.s -1", X1R("fcvt.wu.s", "rtz", S(0xbf800000)), 0, NV);
    check_fr("fcvt.wu.s -0.5 rtz", X1R("fcvt.wu.s", "rtz", S(0xbf000000)), 0, NX);
    check_fr("fcvt.wu.s 2^32", X1R("fcvt.wu.s", "rtz", S(0x4f800000)), 0xffffffffffffffffull, NV);
    check_fr("fcvt.wu.s NaN", X1R("fcvt.wu.s", "rtz", S(0x7fc00000)), 0xffffffffffffffffull, NV);
    check_fr("fcvt.wu.s -inf", X1R("fcvt.wu.s", "rtz", S(0xff800000)), 0, NV);
    /* single -> int64 / uint64 */
    check_fr("fcvt.l.s 2^63", X1R("fcvt.l.s", "rtz", S(0x5f000000)), 0x7fffffffffffffffull, NV);
    check_fr("fcvt.l.s -2^63", X1R("fcvt.l.s", "rtz", S(0xdf000000)), 0x8000000000000000ull, 0);
    check_fr("fcvt.l.s -inf", X1R("fcvt.l.s", "rtz", S(0xff800000)), 0x8000000000000000ull, NV);
    check_fr("fcvt.l.s NaN", X1R("fcvt.l.s", "rtz", S(0x7f800001)), 0x7fffffffffffffffull, NV);
    check_fr("fcvt.lu.s -1", X1R("fcvt.lu.s", "rtz", S(0xbf800000)), 0, NV);
    check_fr("fcvt.lu.s 2^64", X1R("fcvt.lu.s", "rtz", S(0x5f800000)), 0xffffffffffffffffull, NV);
    check_fr("fcvt.lu.s 2^63", X1R("fcvt.lu.s", "rtz", S(0x5f000000)), 0x8000000000000000ull, 0);
    check_fr("fcvt.lu.s NaN", X1R("fcvt.lu.s", "rtz", S(0x7fc00000)), 0xffffffffffffffffull, NV);
    /* double -> integers */
    check_fr("fcvt.w.d 2^31-1 exact", X1R("fcvt.w.d", "rtz", 0x41dfffffffc00000ull),
             0x7fffffffull, 0);
    check_fr("fcvt.w.d 2^31", X1R("fcvt.w.d", "rtz", 0x41e0000000000000ull), 0x7fffffffull, NV);
    check_fr("fcvt.w.d NaN", X1R("fcvt.w.d", "rtz", 0x7ff8000000000000ull), 0x7fffffffull, NV);
    check_fr("fcvt.wu.d 2^32-1", X1R("fcvt.wu.d", "rtz", 0x41efffffffe00000ull),
             0xffffffffffffffffull, 0);
    check_fr("fcvt.wu.d 2^32", X1R("fcvt.wu.d", "rtz", 0x41f0000000000000ull),
             0xffffffffffffffffull, NV);
    check_fr("fcvt.wu.d -1", X1R("fcvt.wu.d", "rtz", 0xbff0000000000000ull), 0, NV);
    check_fr("fcvt.l.d 2^63", X1R("fcvt.l.d", "rtz", 0x43e0000000000000ull),
             0x7fffffffffffffffull, NV);
    check_fr("fcvt.l.d -2^63 exact", X1R("fcvt.l.d", "rtz", 0xc3e0000000000000ull),
             0x8000000000000000ull, 0);
    check_fr("fcvt.l.d largest below 2^63", X1R("fcvt.l.d", "rtz", 0x43dfffffffffffffull),
             0x7ffffffffffffc00ull, 0);
    check_fr("fcvt.l.d NaN", X1R("fcvt.l.d", "rtz", 0xfff8000000000000ull),
             0x7fffffffffffffffull, NV);
    check_fr("fcvt.l.d -inf", X1R("fcvt.l.d", "rtz", 0xfff0000000000000ull),
             0x8000000000000000ull, NV);
    check_fr("fcvt.lu.d 2^64", X1R("fcvt.lu.d", "rtz", 0x43f0000000000000ull),
             0xffffffffffffffffull, NV);
    check_fr("fcvt.lu.d largest below 2^64", X1R("fcvt.lu.d", "rtz", 0x43efffffffffffffull),
             0xfffffffffffff800ull, 0);
    check_fr("fcvt.lu.d -0.9 rtz", X1R("fcvt.lu.d", "rtz", 0xbfeccccccccccccdull), 0, NX);
    check_fr("fcvt.lu.d -0.9 rdn", X1R("fcvt.lu.d", "rdn", 0xbfeccccccccccccdull), 0, NV);
    check_fr("fcvt.lu.d +inf", X1R("fcvt.lu.d", "rtz", 0x7ff0000000000000ull),
             0xffffffffffffffffull, NV);
    /* integer -> float: unsigned and W forms read only what they should */
    check_fr("fcvt.s.wu upper garbage", I1R("fcvt.s.wu", "rne", 0xdeadbeef00000001ull),
             S(0x3f800000), 0);
    check_fr("fcvt.s.w upper garbage", I1R("fcvt.s.w", "rne", 0x1ffffffffull), S(0xbf800000), 0);
    check_fr("fcvt.s.wu 2^32-1", I1R("fcvt.s.wu", "rtz", 0xffffffffull), S(0x4f7fffff), NX);
    check_fr("fcvt.s.lu 2^64-1", I1R("fcvt.s.lu", "rne", 0xffffffffffffffffull), S(0x5f800000),
             NX);
    check_fr("fcvt.d.wu 2^32-1", I1("fcvt.d.wu", 0xffffffffull), 0x41efffffffe00000ull, 0);
    /* float <-> double */
    check_fr("fcvt.d.s 0x3eaaaaab", F1("fcvt.d.s", S(0x3eaaaaab)), 0x3fd5555560000000ull,
             0);
    check_fr("fcvt.d.s sNaN", F1("fcvt.d.s", S(0x7f800001)), 0x7ff8000000000000ull, NV);
    check_fr("fcvt.d.s -inf", F1("fcvt.d.s", S(0xff800000)), 0xfff0000000000000ull, 0);
    check_fr("fcvt.d.s subnormal", F1("fcvt.d.s", S(0x00000001)), 0x36a0000000000000ull,
             0);
    check_fr("fcvt.s.d qNaN payload", F1R("fcvt.s.d", "rne", 0x7ff8000012345678ull),
             S(0x7fc00000), 0);
}

static void test_fclass(void)
{
    static const struct {
        uint32_t s;
        uint64_t d;
        unsigned cls;
    } t[] = {
        {0xff800000, 0xfff0000000000000ull, 1u << 0},  /* -inf */
        {0xbf800000, 0xbff0000000000000ull, 1u << 1},  /* -normal */
        {0x80000001, 0x8000000000000001ull, 1u << 2},  /* -subnormal */
        {0x80000000, 0x8000000000000000ull, 1u << 3},  /* -0 */
        {0x00000000, 0x0000000000000000ull, 1u << 4},  /* +0 */
        {0x007fffff, 0x000fffffffffffffull, 1u << 5},  /* +subnormal */
        {0x00800000, 0x0010000000000000ull, 1u << 6},  /* +normal (smallest) */
        {0x7f800000, 0x7ff0000000000000ull, 1u << 7},  /* +inf */
        {0x7f800001, 0x7ff0000000000001ull, 1u << 8},  /* sNaN */
        {0xffbfffff, 0xfff7ffffffffffffull, 1u << 8},  /* negative sNaN */
        {0x7fc00000, 0x7ff8000000000000ull, 1u << 9},  /* qNaN */
        {0xffc00001, 0xfff8000000000001ull, 1u << 9},  /* negative qNaN */
        {0x7f7fffff, 0x7fefffffffffffffull, 1u << 6},  /* largest normal */
    };
    char name[64];
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        snprintf(name, sizeof name, "fclass.s 0x%08x", t[i].s);
        check_fr(name, X1("fclass.s", S(t[i].s)), t[i].cls, 0);
        snprintf(name, sizeof name, "fclass.d 0x%016llx", (unsigned long long)t[i].d);
        check_fr(name, X1("fclass.d", t[i].d), t[i].cls, 0);
    }
}

static void test_sign_injection(void)
{
    check_fr("fsgnj.s", F2("fsgnj.s", S(0x3f800000), S(0xc0000000)), S(0xbf800000), 0);
    check_fr("fsgnjn.s", F2("fsgnjn.s", S(0x3f800000), S(0xc0000000)), S(0x3f800000), 0);
    check_fr("fsgnjx.s -,-", F2("fsgnjx.s", S(0xbf800000), S(0xc0000000)), S(0x3f800000), 0);
    check_fr("fsgnjx.s -,+", F2("fsgnjx.s", S(0xbf800000), S(0x40000000)), S(0xbf800000), 0);
    check_fr("fneg.s NaN keeps payload", F2("fsgnjn.s", S(0x7fc00001), S(0x7fc00001)),
             S(0xffc00001), 0);
    check_fr("fsgnj.s sNaN quiet", F2("fsgnj.s", S(0x7f800001), S(0xbf800000)), S(0xff800001), 0);
    check_fr("fabs.s", F2("fsgnjx.s", S(0xff800000), S(0xff800000)), S(0x7f800000), 0);
    check_fr("fsgnj.d", F2("fsgnj.d", 0x4000000000000000ull, 0x8000000000000000ull),
             0xc000000000000000ull, 0);
    check_fr("fsgnjn.d", F2("fsgnjn.d", 0x4000000000000000ull, 0x8000000000000000ull),
             0x4000000000000000ull, 0);
    check_fr("fsgnjx.d", F2("fsgnjx.d", 0xc000000000000000ull, 0x8000000000000000ull),
             0x4000000000000000ull, 0);
    check_fr("fsgnjn.d sNaN", F2("fsgnjn.d", 0x7ff0000000000001ull, 0x7ff0000000000001ull),
             0xfff0000000000001ull, 0);
}

static void test_fma(void)
{
    /* 2*3 with +-1 */
    check_fr("fmadd.s", F3R("fmadd.s", "rne", S(0x40000000), S(0x40400000), S(0x3f800000)),
             S(0x40e00000), 0);
    check_fr("fmsub.s", F3R("fmsub.s", "rne", S(0x40000000), S(0x40400000), S(0x3f800000)),
             S(0x40a00000), 0);
    check_fr("fnmsub.s", F3R("fnmsub.s", "rne", S(0x40000000), S(0x40400000), S(0x3f800000)),
             S(0xc0a00000), 0);
    check_fr("fnmadd.s", F3R("fnmadd.s", "rne", S(0x40000000), S(0x40400000), S(0x3f800000)),
             S(0xc0e00000), 0);
    check_fr("fmadd.d", F3R("fmadd.d", "rne", 0x4000000000000000ull, 0x4008000000000000ull,
                            0x3ff0000000000000ull),
             0x401c000000000000ull, 0);
    check_fr("fmsub.d", F3R("fmsub.d", "rne", 0x4000000000000000ull, 0x4008000000000000ull,
                            0x3ff0000000000000ull),
             0x4014000000000000ull, 0);
    check_fr("fnmsub.d", F3R("fnmsub.d", "rne", 0x4000000000000000ull, 0x4008000000000000ull,
                             0x3ff0000000000000ull),
             0xc014000000000000ull, 0);
    check_fr("fnmadd.d", F3R("fnmadd.d", "rne", 0x4000000000000000ull, 0x4008000000000000ull,
                             0x3ff0000000000000ull),
             0xc01c000000000000ull, 0);
    /* signed zeros: -(1*0) - 0 = -0; 1*-0 + 0 = +0, but -0 when rounding down */
    check_fr("fnmadd.s zero sign", F3R("fnmadd.s", "rne", S(0x3f800000), S(0), S(0)),
             S(0x80000000), 0);
    check_fr("fnmsub.s zero sign", F3R("fnmsub.s", "rne", S(0x3f800000), S(0), S(0)), S(0), 0);
    check_fr("fmadd.s -0+0", F3R("fmadd.s", "rne", S(0x3f800000), S(0x80000000), S(0)), S(0), 0);
    check_fr("fmadd.s -0+0 rdn", F3R("fmadd.s", "rdn", S(0x3f800000), S(0x80000000), S(0)),
             S(0x80000000), 0);
    /* inf*0 is invalid even when the addend is a quiet NaN */
    check_fr("fmadd.s inf*0+qNaN", F3R("fmadd.s", "rne", S(0x7f800000), S(0), S(0x7fc00000)),
             S(0x7fc00000), NV);
    check_fr("fmadd.d 0*inf+qNaN", F3R("fmadd.d", "rne", 0, 0xfff0000000000000ull,
                                       0x7ff8000000000000ull),
             0x7ff8000000000000ull, NV);
    check_fr("fmadd.s 1*1+sNaN", F3R("fmadd.s", "rne", S(0x3f800000), S(0x3f800000),
                                     S(0x7f800001)),
             S(0x7fc00000), NV);
    check_fr("fmadd.s inf*1-inf", F3R("fmadd.s", "rne", S(0x7f800000), S(0x3f800000),
                                      S(0xff800000)),
             S(0x7fc00000), NV);
    check_fr("fmsub.d overflow", F3R("fmsub.d", "rne", 0x7fefffffffffffffull,
                                     0x4000000000000000ull, 0x3ff0000000000000ull),
             0x7ff0000000000000ull, OF | NX);
}

static void test_compare(void)
{
    check_fr("feq.s 1,1", X2("feq.s", S(0x3f800000), S(0x3f800000)), 1, 0);
    check_fr("feq.s -0,+0", X2("feq.s", S(0x80000000), S(0)), 1, 0);
    check_fr("flt.s -0,+0", X2("flt.s", S(0x80000000), S(0)), 0, 0);
    check_fr("fle.s -0,+0", X2("fle.s", S(0x80000000), S(0)), 1, 0);
    check_fr("flt.s -inf,inf", X2("flt.s", S(0xff800000), S(0x7f800000)), 1, 0);
    check_fr("flt.s 1,1", X2("flt.s", S(0x3f800000), S(0x3f800000)), 0, 0);
    check_fr("fle.s 2,1", X2("fle.s", S(0x40000000), S(0x3f800000)), 0, 0);
    check_fr("feq.s qNaN,1 quiet", X2("feq.s", S(0x7fc00000), S(0x3f800000)), 0, 0);
    check_fr("feq.s qNaN,qNaN", X2("feq.s", S(0x7fc00000), S(0x7fc00000)), 0, 0);
    check_fr("feq.s sNaN,1", X2("feq.s", S(0x7f800001), S(0x3f800000)), 0, NV);
    check_fr("flt.s qNaN,1 signals", X2("flt.s", S(0x7fc00000), S(0x3f800000)), 0, NV);
    check_fr("fle.s 1,qNaN signals", X2("fle.s", S(0x3f800000), S(0x7fc00000)), 0, NV);
    check_fr("feq.d -0,+0", X2("feq.d", 0x8000000000000000ull, 0), 1, 0);
    check_fr("flt.d -1,min subnormal", X2("flt.d", 0xbff0000000000000ull, 1), 1, 0);
    check_fr("fle.d qNaN,qNaN", X2("fle.d", 0x7ff8000000000000ull, 0x7ff8000000000000ull), 0, NV);
    check_fr("feq.d sNaN,sNaN", X2("feq.d", 0x7ff0000000000001ull, 0x7ff0000000000001ull), 0, NV);
    check_fr("feq.d qNaN,1", X2("feq.d", 0x7ff8000000000000ull, 0x3ff0000000000000ull), 0, 0);
    check_fr("flt.d 1,2", X2("flt.d", 0x3ff0000000000000ull, 0x4000000000000000ull), 1, 0);
}

int main(void)
{
    test_nan_boxing();
    test_minmax();
    test_fcvt_saturation();
    test_fclass();
    test_sign_injection();
    test_fma();
    test_compare();
    return check_done("fp_misc");
}
