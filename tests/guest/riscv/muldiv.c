/*
 * M extension: the four multiply-high/low forms at sign boundaries, mulw, and every divide
 * and remainder form including the two cases the spec defines instead of trapping:
 * division by zero (quotient all ones, remainder = dividend) and signed overflow
 * (MIN / -1 = MIN, remainder 0), for both 64-bit and W forms.
 */
#include "check.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ONES 0xffffffffffffffffull

static void test_mul(void)
{
    check_u64("mul 3*-4", RR("mul", 3, (uint64_t)-4), 0xfffffffffffffff4ull);
    check_u64("mul wraps", RR("mul", 0x100000001ull, 0x100000001ull), 0x200000001ull);
    check_u64("mul min*-1", RR("mul", MIN64, ONES), MIN64);
    check_u64("mulh -1*-1", RR("mulh", ONES, ONES), 0);
    check_u64("mulh min*min", RR("mulh", MIN64, MIN64), 0x4000000000000000ull);
    check_u64("mulh min*-1", RR("mulh", MIN64, ONES), 0);
    check_u64("mulh -1*1", RR("mulh", ONES, 1), ONES);
    check_u64("mulh max*max", RR("mulh", MAX64, MAX64), 0x3fffffffffffffffull);
    check_u64("mulhu -1*-1", RR("mulhu", ONES, ONES), 0xfffffffffffffffeull);
    check_u64("mulhu 2^63*2", RR("mulhu", MIN64, 2), 1);
    check_u64("mulhu small", RR("mulhu", 12345, 67890), 0);
    check_u64("mulhsu -1*(2^64-1)", RR("mulhsu", ONES, ONES), ONES);
    check_u64("mulhsu 2*2^63", RR("mulhsu", 2, MIN64), 1);
    check_u64("mulhsu -2*2^63", RR("mulhsu", (uint64_t)-2, MIN64), ONES);
    check_u64("mulhsu max*(2^64-1)", RR("mulhsu", MAX64, ONES), 0x7ffffffffffffffeull);
    check_u64("mulw sign-extends", RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffeull);
    check_u64("mulw ignores upper", RR("mulw", 0x100000003ull, 5), 15);
    check_u64("mulw min32*-1", RR("mulw", 0x80000000ull, ONES), 0xffffffff80000000ull);
}

static void test_div(void)
{
    check_u64("div 7/-2", RR("div", 7, (uint64_t)-2), (uint64_t)-3);
    check_u64("rem 7%-2", RR("rem", 7, (uint64_t)-2), 1);
    check_u64("div -7/2", RR("div", (uint64_t)-7, 2), (uint64_t)-3);
    check_u64("rem -7%2", RR("rem", (uint64_t)-7, 2), ONES);
    check_u64("divu -1/2", RR("divu", ONES, 2), MAX64);
    check_u64("remu -1%10", RR("remu", ONES, 10), 5);
    check_u64("div by 0", RR("div", 1234, 0), ONES);
    check_u64("div -5 by 0", RR("div", (uint64_t)-5, 0), ONES);
    check_u64("rem by 0", RR("rem", (uint64_t)-1234, 0), (uint64_t)-1234);
    check_u64("divu by 0", RR("divu", 1234, 0), ONES);
    check_u64("remu by 0", RR("remu", MIN64 + 5, 0), MIN64 + 5);
    check_u64("div min/-1 overflow", RR("div", MIN64, ONES), MIN64);
    check_u64("rem min%-1 overflow", RR("rem", MIN64, ONES), 0);
    check_u64("divu min/-1", RR("divu", MIN64, ONES), 0);
    check_u64("remu min%-1", RR("remu", MIN64, ONES), MIN64);
}

static void test_div_w(void)
{
    check_u64("divw -7/2", RR("divw", (uint64_t)-7, 2), (uint64_t)-3);
    check_u64("remw -7%2", RR("remw", (uint64_t)-7, 2), ONES);
    check_u64("divw ignores upper", RR("divw", 0x100000006ull, 3), 2);
    check_u64("divw min32/-1 overflow", RR("divw", 0x80000000ull, ONES), 0xffffffff80000000ull);
    check_u64("remw min32%-1 overflow", RR("remw", 0x80000000ull, ONES), 0);
    check_u64("divw by 0", RR("divw", 77, 0x100000000ull), ONES);
    check_u64("remw by 0 sign-extends", RR("remw", 0x80000005ull, 0), 0xffffffff80000005ull);
    check_u64("divuw by 0", RR("divuw", 0x80000000ull, 0), ONES);
    check_u64("remuw by 0", RR("remuw", 7, 0), 7);
    check_u64("remuw by 0 sign-extends", RR("remuw", 0xf00000080000005ull, 0),
              0xffffffff80000005ull);
    check_u64("divuw 0xfffffffe/2", RR("divuw", 0xfffffffffffffffeull, 2), 0x7fffffff);
    check_u64("divuw result sign-extends", RR("divuw", 0xfffffffe, 1), 0xfffffffffffffffeull);
    check_u64("remuw 0xffffffff%10", RR("remuw", 0xffffffff, 10), 5);
}

int main(void)
{
    test_mul();
    test_div();
    test_div_w();
    return check_done("muldiv");
}
