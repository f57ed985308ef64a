/*
 * F and D arithmetic under every rounding mode, static (rm field) and dynamic (frm), with
 * the exact fflags each operation raises. The operands are chosen so that the five modes
 * give different answers: exact ties (RNE vs RMM), values just above or below a tie, and
 * negative values (RDN vs RUP), plus overflow, underflow with tininess detected after
 * rounding, division by zero, invalid operations and the canonical NaN.
 * Expected bit patterns are derived by hand from IEEE 754 binary32/binary64.
 */
#include "fp.h"

static void test_single_rounding(void)
{
    /* 1 + 2^-24 is a tie between 1 and 1+2^-23 */
    ALLRM("fadd.s 1+2^-24", F2R, "fadd.s",
          V5(S(0x3f800000), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001)),
          SAME5(NX), S(0x3f800000), S(0x33800000));
    ALLRM("fadd.s -1-2^-24", F2R, "fadd.s",
          V5(S(0xbf800000), S(0xbf800000), S(0xbf800001), S(0xbf800000), S(0xbf800001)),
          SAME5(NX), S(0xbf800000), S(0xb3800000));
    /* 1 + 3*2^-24: a tie whose even neighbour is the upper one */
    ALLRM("fadd.s 1+3*2^-24", F2R, "fadd.s",
          V5(S(0x3f800002), S(0x3f800001), S(0x3f800001), S(0x3f800002), S(0x3f800002)),
          SAME5(NX), S(0x3f800000), S(0x34400000));
    ALLRM("fsub.s 1-2^-26", F2R, "fsub.s",
          V5(S(0x3f800000), S(0x3f7fffff), S(0x3f7fffff), S(0x3f800000), S(0x3f800000)),
          SAME5(NX), S(0x3f800000), S(0x32800000));
    ALLRM("fsub.s 1-1 zero sign", F2R, "fsub.s",
          V5(S(0), S(0), S(0x80000000), S(0), S(0)), SAME5(0), S(0x3f800000), S(0x3f800000));
    ALLRM("fmul.s (1+2^-23)^2", F2R, "fmul.s",
          V5(S(0x3f800002), S(0x3f800002), S(0x3f800002), S(0x3f800003), S(0x3f800002)),
          SAME5(NX), S(0x3f800001), S(0x3f800001));
    ALLRM("fmul.s -(1+2^-23)^2", F2R, "fmul.s",
          V5(S(0xbf800002), S(0xbf800002), S(0xbf800003), S(0xbf800002), S(0xbf800002)),
          SAME5(NX), S(0xbf800001), S(0x3f800001));
    ALLRM("fdiv.s 1/3", F2R, "fdiv.s",
          V5(S(0x3eaaaaab), S(0x3eaaaaaa), S(0x3eaaaaaa), S(0x3eaaaaab), S(0x3eaaaaab)),
          SAME5(NX), S(0x3f800000), S(0x40400000));
    ALLRM("fdiv.s -1/3", F2R, "fdiv.s",
          V5(S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab), S(0xbeaaaaaa), S(0xbeaaaaab)),
          SAME5(NX), S(0xbf800000), S(0x40400000));
    ALLRM("fsqrt.s 2", F1R, "fsqrt.s",
          V5(S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f3), S(0x3fb504f4), S(0x3fb504f3)),
          SAME5(NX), S(0x40000000));
    ALLRM("fsqrt.s 4 exact", F1R, "fsqrt.s", SAME5(S(0x40000000)), SAME5(0), S(0x40800000));
    /* fused: (1+2^-23)^2 - 1 = 2^-22 + 2^-46, a tie at single precision */
    ALLRM("fmadd.s fused tie", F3R, "fmadd.s",
          V5(S(0x34800000), S(0x34800000), S(0x34800000), S(0x34800001), S(0x34800001)),
          SAME5(NX), S(0x3f800001), S(0x3f800001), S(0xbf800000));
    ALLRM("fcvt.w.s 2.5", X1R, "fcvt.w.s", V5(2, 2, 2, 3, 3), SAME5(NX), S(0x40200000));
    ALLRM("fcvt.w.s -2.5", X1R, "fcvt.w.s",
          V5((uint64_t)-2, (uint64_t)-2, (uint64_t)-3, (uint64_t)-2, (uint64_t)-3), SAME5(NX),
          S(0xc0200000));
    ALLRM("fcvt.w.s 3.5", X1R, "fcvt.w.s", V5(4, 3, 3, 4, 4), SAME5(NX), S(0x40600000));
    ALLRM("fcvt.l.s -0.5", X1R, "fcvt.l.s", V5(0, 0, (uint64_t)-1, 0, (uint64_t)-1), SAME5(NX),
          S(0xbf000000));
    ALLRM("fcvt.s.w 2^24+1", I1R, "fcvt.s.w",
          V5(S(0x4b800000), S(0x4b800000), S(0x4b800000), S(0x4b800001), S(0x4b800001)),
          SAME5(NX), 16777217);
    ALLRM("fcvt.s.w -(2^24+1)", I1R, "fcvt.s.w",
          V5(S(0xcb800000), S(0xcb800000), S(0xcb800001), S(0xcb800000), S(0xcb800001)),
          SAME5(NX), (uint64_t)-16777217);
    ALLRM("fcvt.s.d tie", F1R, "fcvt.s.d",
          V5(S(0x3f800000), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001)),
          SAME5(NX), 0x3ff0000010000000ull);
    ALLRM("fcvt.s.d above tie", F1R, "fcvt.s.d",
          V5(S(0x3f800001), S(0x3f800000), S(0x3f800000), S(0x3f800001), S(0x3f800001)),
          SAME5(NX), 0x3ff0000010000001ull);
}

static void test_single_exceptions(void)
{
    ALLRM("fadd.s overflow", F2R, "fadd.s",
          V5(S(0x7f800000), S(0x7f7fffff), S(0x7f7fffff), S(0x7f800000), S(0x7f800000)),
          SAME5(OF | NX), S(0x7f7fffff), S(0x7f7fffff));
    ALLRM("fadd.s negative overflow", F2R, "fadd.s",
          V5(S(0xff800000), S(0xff7fffff), S(0xff800000), S(0xff7fffff), S(0xff800000)),
          SAME5(OF | NX), S(0xff7fffff), S(0xff7fffff));
    ALLRM("fmul.s underflow tie", F2R, "fmul.s",
          V5(S(0x00400000), S(0x00400000), S(0x00400000), S(0x00400001), S(0x00400001)),
          SAME5(UF | NX), S(0x00800001), S(0x3f000000));
    ALLRM("fmul.s exact subnormal", F2R, "fmul.s", SAME5(S(0x00400000)), SAME5(0),
          S(0x00800000), S(0x3f000000));
    /* (1-2^-25)*2^-126: tiny before rounding; after rounding (what RISC-V uses) it is
     * tiny only when the mode rounds it down */
    ALLRM("fcvt.s.d tininess after rounding", F1R, "fcvt.s.d",
          V5(S(0x00800000), S(0x007fffff), S(0x007fffff), S(0x00800000), S(0x00800000)),
          V5(NX, UF | NX, UF | NX, NX, NX), 0x380ffffff0000000ull);
    ALLRM("fcvt.s.d overflow", F1R, "fcvt.s.d",
          V5(S(0x7f800000), S(0x7f7fffff), S(0x7f7fffff), S(0x7f800000), S(0x7f800000)),
          SAME5(OF | NX), 0x47f0000000000000ull);

    check_fr("fdiv.s 1/0", F2R("fdiv.s", "rne", S(0x3f800000), S(0)), S(0x7f800000), DZ);
    check_fr("fdiv.s -1/0", F2R("fdiv.s", "rne", S(0xbf800000), S(0)), S(0xff800000), DZ);
    check_fr("fdiv.s 1/-0", F2R("fdiv.s", "rne", S(0x3f800000), S(0x80000000)), S(0xff800000),
             DZ);
    check_fr("fdiv.s 0/0", F2R("fdiv.s", "rne", S(0), S(0)), S(0x7fc00000), NV);
    check_fr("fdiv.s inf/inf", F2R("fdiv.s", "rne", S(0x7f800000), S(0x7f800000)),
             S(0x7fc00000), NV);
    check_fr("fdiv.s inf/0 no DZ", F2R("fdiv.s", "rne", S(0x7f800000), S(0)), S(0x7f800000), 0);
    check_fr("fsqrt.s -1", F1R("fsqrt.s", "rne", S(0xbf800000)), S(0x7fc00000), NV);
    check_fr("fsqrt.s -0", F1R("fsqrt.s", "rne", S(0x80000000)), S(0x80000000), 0);
    check_fr("fsqrt.s +inf", F1R("fsqrt.s", "rne", S(0x7f800000)), S(0x7f800000), 0);
    check_fr("fadd.s inf-inf", F2R("fadd.s", "rne", S(0x7f800000), S(0xff800000)),
             S(0x7fc00000), NV);
    check_fr("fmul.s 0*inf", F2R("fmul.s", "rne", S(0), S(0x7f800000)), S(0x7fc00000), NV);
    check_fr("fadd.s sNaN+1", F2R("fadd.s", "rne", S(0x7f800001), S(0x3f800000)),
             S(0x7fc00000), NV);
    check_fr("fadd.s qNaN payload+1", F2R("fadd.s", "rne", S(0x7fc12345), S(0x3f800000)),
             S(0x7fc00000), 0);
    check_fr("fadd.s 1+negative qNaN", F2R("fadd.s", "rne", S(0x3f800000), S(0xffc00001)),
             S(0x7fc00000), 0);
    check_fr("fmul.s qNaN*sNaN", F2R("fmul.s", "rne", S(0x7fc00000), S(0xff800005)),
             S(0x7fc00000), NV);
    check_fr("fadd.s exact 1+2", F2R("fadd.s", "rne", S(0x3f800000), S(0x40000000)),
             S(0x40400000), 0);
    check_fr("fsub.s -0 - +0", F2R("fsub.s", "rne", S(0x80000000), S(0)), S(0x80000000), 0);
    check_fr("fadd.s -0 + +0", F2R("fadd.s", "rne", S(0x80000000), S(0)), S(0), 0);
    check_fr("fadd.s -0 + +0 rdn", F2R("fadd.s", "rdn", S(0x80000000), S(0)), S(0x80000000), 0);
}

static void test_double_rounding(void)
{
    ALLRM("fadd.d 1+2^-53", F2R, "fadd.d",
          V5(0x3ff0000000000000ull, 0x3ff0000000000000ull, 0x3ff0000000000000ull,
             0x3ff0000000000001ull, 0x3ff0000000000001ull),
          SAME5(NX), 0x3ff0000000000000ull, 0x3ca0000000000000ull);
    ALLRM("fsub.d -1-2^-53", F2R, "fsub.d",
          V5(0xbff0000000000000ull, 0xbff0000000000000ull, 0xbff0000000000001ull,
             0xbff0000000000000ull, 0xbff0000000000001ull),
          SAME5(NX), 0xbff0000000000000ull, 0x3ca0000000000000ull);
    ALLRM("fmul.d (1+2^-52)^2", F2R, "fmul.d",
          V5(0x3ff0000000000002ull, 0x3ff0000000000002ull, 0x3ff0000000000002ull,
             0x3ff0000000000003ull, 0x3ff0000000000002ull),
          SAME5(NX), 0x3ff0000000000001ull, 0x3ff0000000000001ull);
    ALLRM("fdiv.d 1/3", F2R, "fdiv.d",
          V5(0x3fd5555555555555ull, 0x3fd5555555555555ull, 0x3fd5555555555555ull,
             0x3fd5555555555556ull, 0x3fd5555555555555ull),
          SAME5(NX), 0x3ff0000000000000ull, 0x4008000000000000ull);
    ALLRM("fdiv.d -1/3", F2R, "fdiv.d",
          V5(0xbfd5555555555555ull, 0xbfd5555555555555ull, 0xbfd5555555555556ull,
             0xbfd5555555555555ull, 0xbfd5555555555555ull),
          SAME5(NX), 0x3ff0000000000000ull, 0xc008000000000000ull);
    ALLRM("fsqrt.d 2", F1R, "fsqrt.d",
          V5(0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bccull, 0x3ff6a09e667f3bccull,
             0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bcdull),
          SAME5(NX), 0x4000000000000000ull);
    ALLRM("fmadd.d fused tie", F3R, "fmadd.d",
          V5(0x3cc0000000000000ull, 0x3cc0000000000000ull, 0x3cc0000000000000ull,
             0x3cc0000000000001ull, 0x3cc0000000000001ull),
          SAME5(NX), 0x3ff0000000000001ull, 0x3ff0000000000001ull, 0xbff0000000000000ull);
    ALLRM("fmsub.d fused exact 2^-104", F3R, "fmsub.d", SAME5(0x3970000000000000ull), SAME5(0),
          0x3ff0000000000001ull, 0x3ff0000000000001ull, 0x3ff0000000000002ull);
    ALLRM("fcvt.w.d 2^31-0.5", X1R, "fcvt.w.d", SAME5(0x7fffffffull), V5(NV, NX, NX, NV, NV),
          0x41dfffffffe00000ull);
    ALLRM("fcvt.w.d -2^31-0.5", X1R, "fcvt.w.d", SAME5(0xffffffff80000000ull),
          V5(NX, NX, NV, NX, NV), 0xc1e0000000100000ull);
    ALLRM("fcvt.l.d -2.5", X1R, "fcvt.l.d",
          V5((uint64_t)-2, (uint64_t)-2, (uint64_t)-3, (uint64_t)-2, (uint64_t)-3), SAME5(NX),
          0xc004000000000000ull);
    ALLRM("fcvt.d.l 2^53+1", I1R, "fcvt.d.l",
          V5(0x4340000000000000ull, 0x4340000000000000ull, 0x4340000000000000ull,
             0x4340000000000001ull, 0x4340000000000001ull),
          SAME5(NX), 9007199254740993ull);
    ALLRM("fcvt.d.lu 2^64-1", I1R, "fcvt.d.lu",
          V5(0x43f0000000000000ull, 0x43efffffffffffffull, 0x43efffffffffffffull,
             0x43f0000000000000ull, 0x43f0000000000000ull),
          SAME5(NX), 0xffffffffffffffffull);
    /* exact, so it has no rounding-mode field; only the low 32 bits count */
    check_fr("fcvt.d.w exact -1", I1("fcvt.d.w", 0x12345678ffffffffull), 0xbff0000000000000ull, 0);
}

static void test_double_exceptions(void)
{
    ALLRM("fmul.d overflow", F2R, "fmul.d",
          V5(0x7ff0000000000000ull, 0x7fefffffffffffffull, 0x7fefffffffffffffull,
             0x7ff0000000000000ull, 0x7ff0000000000000ull),
          SAME5(OF | NX), 0x7fefffffffffffffull, 0x4000000000000000ull);
    ALLRM("fmul.d underflow tie", F2R, "fmul.d",
          V5(0x0008000000000000ull, 0x0008000000000000ull, 0x0008000000000000ull,
             0x0008000000000001ull, 0x0008000000000001ull),
          SAME5(UF | NX), 0x0010000000000001ull, 0x3fe0000000000000ull);
    check_fr("fdiv.d 1/0", F2R("fdiv.d", "rne", 0x3ff0000000000000ull, 0), 0x7ff0000000000000ull,
             DZ);
    check_fr("fdiv.d 0/0", F2R("fdiv.d", "rne", 0, 0), 0x7ff8000000000000ull, NV);
    check_fr("fsqrt.d -2", F1R("fsqrt.d", "rne", 0xc000000000000000ull), 0x7ff8000000000000ull,
             NV);
    check_fr("fadd.d sNaN+1", F2R("fadd.d", "rne", 0x7ff0000000000001ull, 0x3ff0000000000000ull),
             0x7ff8000000000000ull, NV);
    check_fr("fadd.d qNaN payload", F2R("fadd.d", "rne", 0xfff8000000000abcull, 0),
             0x7ff8000000000000ull, 0);
    check_fr("fsub.d inf-inf", F2R("fsub.d", "rne", 0x7ff0000000000000ull, 0x7ff0000000000000ull),
             0x7ff8000000000000ull, NV);
}

/* fflags accumulate until written, and every csr form updates them */
static void test_flag_accumulation(void)
{
    uint64_t fl;
    __asm__ volatile("fsflags zero\n"
                     " fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n fmv.w.x ft2, zero\n"
                     " fdiv.s ft3, ft0, ft1, rne\n" /* 1/3: NX */
                     " fdiv.s ft3, ft0, ft2, rne\n" /* 1/0: DZ */
                     " fadd.s ft3, ft0, ft0, rne\n" /* exact: leaves the flags alone */
                     " frflags %0"
                     : "=r"(fl)
                     : "r"(0x3f800000ull), "r"(0x40400000ull)
                     : "ft0", "ft1", "ft2", "ft3");
    check_u64("fflags accumulate NX|DZ", fl, NX | DZ);
    __asm__ volatile("fsflags %0, %1\n" : "=r"(fl) : "r"((uint64_t)OF));
    check_u64("fsflags returns old flags", fl, NX | DZ);
    __asm__ volatile("frflags %0" : "=r"(fl));
    check_u64("fsflags wrote OF", fl, OF);
    __asm__ volatile("fsflags zero");
}

int main(void)
{
    test_single_rounding();
    test_single_exceptions();
    test_double_rounding();
    test_double_exceptions();
    test_flag_accumulation();
    return check_done("fp_arith");
}
