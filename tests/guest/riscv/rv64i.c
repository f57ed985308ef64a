/*
 * RV64I integer computation: add/sub/logic/shifts/compares, their immediate and W forms,
 * lui/auipc, and writes to x0, each at edge values (sign boundaries, shift amounts that
 * only use the low 5/6 bits, sign-extension of 32-bit results). Expected values are worked
 * out by hand from the ISA spec.
 */
#include "check.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ONES 0xffffffffffffffffull

static void test_add_sub(void)
{
    check_u64("add 1+2", RR("add", 1, 2), 3);
    check_u64("add max+1 wraps", RR("add", MAX64, 1), MIN64);
    check_u64("add -1+-1", RR("add", ONES, ONES), 0xfffffffffffffffeull);
    check_u64("add -1+1", RR("add", ONES, 1), 0);
    check_u64("sub 0-1", RR("sub", 0, 1), ONES);
    check_u64("sub min-1", RR("sub", MIN64, 1), MAX64);
    check_u64("sub a-a", RR("sub", 0x123456789abcdefull, 0x123456789abcdefull), 0);
    check_u64("addi -6", RI("addi", 5, -6), ONES);
    check_u64("addi 2047", RI("addi", 1, 2047), 2048);
    check_u64("addi -2048", RI("addi", 0, -2048), 0xfffffffffffff800ull);
    check_u64("addw max32+1 sign-extends", RR("addw", 0x7fffffff, 1), 0xffffffff80000000ull);
    check_u64("addw carry out dropped", RR("addw", 0xffffffff, 1), 0);
    check_u64("addw ignores upper bits", RR("addw", 0x123456789ull, 0), 0x23456789);
    check_u64("addw max+max", RR("addw", 0x7fffffff, 0x7fffffff), 0xfffffffffffffffeull);
    check_u64("subw 0-1", RR("subw", 0, 1), ONES);
    check_u64("subw min32-1", RR("subw", 0x80000000, 1), 0x7fffffff);
    check_u64("subw 2^32-1", RR("subw", 0x100000000ull, 1), ONES);
    check_u64("addiw max32+1", RI("addiw", 0x7fffffff, 1), 0xffffffff80000000ull);
    check_u64("addiw 0 = sext.w", RI("addiw", 0xfffffffffull, 0), ONES);
    check_u64("addiw 0 of 0x80000000", RI("addiw", 0x80000000ull, 0), 0xffffffff80000000ull);
    check_u64("addiw -1 of upper garbage", RI("addiw", 0xabcdef0000000000ull, -1), ONES);
}

static void test_logic(void)
{
    check_u64("and", RR("and", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull),
              0x0f000f000f000f00ull);
    check_u64("or", RR("or", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull), 0xfff0fff0fff0fff0ull);
    check_u64("xor", RR("xor", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull),
              0xf0f0f0f0f0f0f0f0ull);
    check_u64("andi -16", RI("andi", 0x123456789abcdeffull, -16), 0x123456789abcdef0ull);
    check_u64("andi 0x7ff", RI("andi", ONES, 0x7ff), 0x7ff);
    check_u64("ori -2048", RI("ori", 0, -2048), 0xfffffffffffff800ull);
    check_u64("ori 1", RI("ori", 0x10, 1), 0x11);
    check_u64("xori -1 = not", RI("xori", 0x0123456789abcdefull, -1), 0xfedcba9876543210ull);
    check_u64("xori 0x555", RI("xori", 0xfff, 0x555), 0xaaa);
}

static void test_shifts(void)
{
    check_u64("sll 1<<63", RR("sll", 1, 63), MIN64);
    check_u64("sll by 64 uses low 6 bits", RR("sll", 1, 64), 1);
    check_u64("sll by 0x41", RR("sll", 1, 0x41), 2);
    check_u64("srl min>>63", RR("srl", MIN64, 63), 1);
    check_u64("srl by 65", RR("srl", 0x100, 65), 0x80);
    check_u64("sra min>>63", RR("sra", MIN64, 63), ONES);
    check_u64("sra -256>>4", RR("sra", 0xffffffffffffff00ull, 4), 0xfffffffffffffff0ull);
    check_u64("sra positive", RR("sra", MAX64, 62), 1);
    check_u64("slli 63", RI("slli", 3, 63), MIN64);
    check_u64("slli 0", RI("slli", 0x1234, 0), 0x1234);
    check_u64("srli 32", RI("srli", 0xdeadbeef00000000ull, 32), 0xdeadbeef);
    check_u64("srai 32", RI("srai", 0xdeadbeef00000000ull, 32), 0xffffffffdeadbeefull);
    check_u64("srai 63", RI("srai", 0x4000000000000000ull, 63), 0);
    check_u64("sllw 1<<31 sign-extends", RR("sllw", 1, 31), 0xffffffff80000000ull);
    check_u64("sllw by 32 uses low 5 bits", RR("sllw", 1, 32), 1);
    check_u64("sllw drops upper", RR("sllw", 0x180000000ull, 1), 0);
    check_u64("srlw 0x80000000>>31", RR("srlw", 0x80000000ull, 31), 1);
    check_u64("srlw by 0 sign-extends", RR("srlw", 0x80000000ull, 0), 0xffffffff80000000ull);
    check_u64("srlw 0xffffffff>>1", RR("srlw", 0xffffffffull, 1), 0x7fffffff);
    check_u64("srlw ignores upper input", RR("srlw", 0xffffffff00000010ull, 4), 1);
    check_u64("sraw 0x80000000>>31", RR("sraw", 0x80000000ull, 31), ONES);
    check_u64("sraw 0x80000000>>4", RR("sraw", 0x80000000ull, 4), 0xfffffffff8000000ull);
    check_u64("sraw by 33 = by 1", RR("sraw", 0x40000000ull, 33), 0x20000000);
    check_u64("slliw 31", RI("slliw", 1, 31), 0xffffffff80000000ull);
    check_u64("srliw 4", RI("srliw", 0xffffffff00000010ull, 4), 1);
    check_u64("srliw 0", RI("srliw", 0xfffffffeull, 0), 0xfffffffffffffffeull);
    check_u64("sraiw 4", RI("sraiw", 0x7ffffffff0000000ull, 4), 0xffffffffff000000ull);
}

static void test_compares(void)
{
    check_u64("slt -1<0", RR("slt", ONES, 0), 1);
    check_u64("sltu -1<0", RR("sltu", ONES, 0), 0);
    check_u64("slt max<min", RR("slt", MAX64, MIN64), 0);
    check_u64("sltu max<min", RR("sltu", MAX64, MIN64), 1);
    check_u64("slt equal", RR("slt", 5, 5), 0);
    check_u64("sltu 0<x (snez)", RR("sltu", 0, 7), 1);
    check_u64("slti -1<0", RI("slti", ONES, 0), 1);
    check_u64("slti -2048<-2047", RI("slti", 0xfffffffffffff800ull, -2047), 1);
    check_u64("slti 5<-1", RI("slti", 5, -1), 0);
    check_u64("sltiu 5<-1 (imm sign-extended)", RI("sltiu", 5, -1), 1);
    check_u64("sltiu seqz 0", RI("sltiu", 0, 1), 1);
    check_u64("sltiu seqz 2", RI("sltiu", 2, 1), 0);
    check_u64("sltiu -1<-1", RI("sltiu", ONES, -1), 0);
}

static void test_upper_and_x0(void)
{
    uint64_t v, here, want;
    __asm__ volatile("lui %0, 0x80000" : "=r"(v));
    check_u64("lui 0x80000 sign-extends", v, 0xffffffff80000000ull);
    __asm__ volatile("lui %0, 0x7ffff" : "=r"(v));
    check_u64("lui 0x7ffff", v, 0x7ffff000);
    __asm__ volatile("lui %0, 0xfffff\n addiw %0, %0, -1" : "=r"(v));
    check_u64("lui+addiw -4097", v, 0xffffffffffffefffull);
    __asm__ volatile("1: auipc %0, 0\n lla %1, 1b" : "=&r"(here), "=&r"(want));
    check_u64("auipc 0 = pc", here, want);
    __asm__ volatile("1: auipc %0, 1\n lla %1, 1b" : "=&r"(here), "=&r"(want));
    check_u64("auipc 1 = pc+4096", here, want + 4096);
    __asm__ volatile("1: auipc %0, 0xfffff\n lla %1, 1b" : "=&r"(here), "=&r"(want));
    check_u64("auipc -1 = pc-4096", here, want - 4096);
    __asm__ volatile("li t0, 5\n add x0, t0, t0\n mv %0, x0" : "=r"(v) : : "t0");
    check_u64("add to x0 discarded", v, 0);
    __asm__ volatile("addi x0, x0, 7\n addi %0, x0, 0" : "=r"(v));
    check_u64("addi to x0 discarded", v, 0);
    __asm__ volatile("lui x0, 0x12345\n mv %0, zero" : "=r"(v));
    check_u64("lui to x0 discarded", v, 0);
    /* rd == rs1 == rs2 */
    v = OPAQUE(0x40000000ull);
    __asm__ volatile("add %0, %0, %0" : "+r"(v));
    check_u64("add rd=rs1=rs2", v, 0x80000000ull);
    __asm__ volatile("addw %0, %0, %0" : "+r"(v));
    check_u64("addw rd=rs1=rs2 overflow", v, 0);
}

int main(void)
{
    test_add_sub();
    test_logic();
    test_shifts();
    test_compares();
    test_upper_and_x0();
    return check_done("rv64i");
}
