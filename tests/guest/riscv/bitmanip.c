/*
 * Bit manipulation: Zba (address generation: shNadd, .uw forms that zero-extend rs1),
 * Zbb (logic with negate, count leading/trailing zeros and population count incl. the W
 * forms, min/max, sign/zero extension, rotates, orc.b, rev8) and Zbs (single-bit ops whose
 * bit index is taken modulo 64). Known answers from the Zba/Zbb/Zbs specification.
 */
#include "check.h"

#define MIN64 0x8000000000000000ull
#define ONES 0xffffffffffffffffull

static void test_zba(void)
{
    check_u64("add.uw", RR("add.uw", 0xffffffff80000000ull, 1), 0x80000001ull);
    check_u64("sh1add", RR("sh1add", 3, 100), 106);
    check_u64("sh2add", RR("sh2add", 3, 100), 112);
    check_u64("sh3add", RR("sh3add", 3, 100), 124);
    check_u64("sh1add shifts out bit 63", RR("sh1add", MIN64, 1), 1);
    check_u64("sh3add negative index", RR("sh3add", ONES, 0x1000), 0xff8);
    check_u64("sh1add.uw", RR("sh1add.uw", 0xffffffff80000000ull, 0), 0x100000000ull);
    check_u64("sh2add.uw", RR("sh2add.uw", 0x100000001ull, 0), 4);
    check_u64("sh3add.uw", RR("sh3add.uw", ONES, 8), 0x800000000ull);
    check_u64("slli.uw 4", RI("slli.uw", 0xffffffff80000001ull, 4), 0x800000010ull);
    check_u64("slli.uw 63", RI("slli.uw", 0xffffffffull, 63), MIN64);
    check_u64("slli.uw 0 = zext.w", RI("slli.uw", 0xdeadbeef87654321ull, 0), 0x87654321ull);
}

static void test_zbb(void)
{
    check_u64("andn", RR("andn", 0xff, 0x0f), 0xf0);
    check_u64("orn", RR("orn", 0, 0xffffffffffff0000ull), 0xffff);
    check_u64("xnor", RR("xnor", 0xff00, 0x0ff0), 0xffffffffffff0f0full);
    check_u64("clz 0", R1("clz", 0), 64);
    check_u64("clz 1", R1("clz", 1), 63);
    check_u64("clz msb", R1("clz", MIN64), 0);
    check_u64("clzw 0", R1("clzw", 0xffffffff00000000ull), 32);
    check_u64("clzw bit 16", R1("clzw", 0xffffffff00010000ull), 15);
    check_u64("ctz 0", R1("ctz", 0), 64);
    check_u64("ctz msb", R1("ctz", MIN64), 63);
    check_u64("ctzw upper only", R1("ctzw", 0xffffffff00000000ull), 32);
    check_u64("ctzw bit 31", R1("ctzw", 0x80000000ull), 31);
    check_u64("cpop all", R1("cpop", ONES), 64);
    check_u64("cpop 0x5555", R1("cpop", 0x5555), 8);
    check_u64("cpopw ignores upper", R1("cpopw", 0xffffffff0000000full), 4);
    check_u64("max", RR("max", ONES, 1), 1);
    check_u64("maxu", RR("maxu", ONES, 1), ONES);
    check_u64("min", RR("min", ONES, 1), ONES);
    check_u64("minu", RR("minu", ONES, 1), 1);
    check_u64("min int64 extremes", RR("min", MIN64, 0x7fffffffffffffffull), MIN64);
    check_u64("sext.b", R1("sext.b", 0x80), 0xffffffffffffff80ull);
    check_u64("sext.b positive", R1("sext.b", 0x17f), 0x7f);
    check_u64("sext.h", R1("sext.h", 0x12348000), 0xffffffffffff8000ull);
    check_u64("zext.h", R1("zext.h", 0xffffffffffff8000ull), 0x8000);
    check_u64("rol", RR("rol", 0x8000000000000001ull, 1), 3);
    check_u64("rol by 64", RR("rol", 0x1234, 64), 0x1234);
    check_u64("ror", RR("ror", 1, 1), MIN64);
    check_u64("rori 4", RI("rori", 0x0123456789abcdefull, 4), 0xf0123456789abcdeull);
    check_u64("rolw", RR("rolw", 0x80000001ull, 1), 3);
    check_u64("rolw sign-extends", RR("rolw", 0x40000000ull, 1), 0xffffffff80000000ull);
    check_u64("rorw", RR("rorw", 1, 1), 0xffffffff80000000ull);
    check_u64("rorw ignores upper", RR("rorw", 0xffffffff00000001ull, 4), 0x10000000);
    check_u64("roriw", RI("roriw", 0x12345678, 8), 0x78123456);
    check_u64("orc.b", R1("orc.b", 0x0001000000ff0010ull), 0x00ff000000ff00ffull);
    check_u64("rev8", R1("rev8", 0x0102030405060708ull), 0x0807060504030201ull);
}

static void test_zbs(void)
{
    check_u64("bset 63", RR("bset", 0, 63), MIN64);
    check_u64("bset index mod 64", RR("bset", 0, 64), 1);
    check_u64("bclr 0", RR("bclr", ONES, 0), 0xfffffffffffffffeull);
    check_u64("binv clears", RR("binv", 0x10, 4), 0);
    check_u64("binv sets", RR("binv", 0, 33), 0x200000000ull);
    check_u64("bext 63", RR("bext", MIN64, 63), 1);
    check_u64("bext index mod 64", RR("bext", 0x8, 67), 1);
    check_u64("bext clear bit", RR("bext", 0xf7, 3), 0);
    check_u64("bseti 40", RI("bseti", 0, 40), 0x10000000000ull);
    check_u64("bclri 15", RI("bclri", 0xffff, 15), 0x7fff);
    check_u64("binvi 63", RI("binvi", 0, 63), MIN64);
    check_u64("bexti 5", RI("bexti", 0x20, 5), 1);
}

int main(void)
{
    test_zba();
    test_zbb();
    test_zbs();
    return check_done("bitmanip");
}
