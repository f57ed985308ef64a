/*
 * RV64I control transfer: all six conditional branches taken and not taken at signed and
 * unsigned boundaries, backward loops, jal link values, and jalr with an offset, with
 * rd == rs1 (the target uses the old rs1), with an odd target (bit 0 is cleared, so the
 * jump lands on the even address instead of faulting) and far branches.
 */
#include "check.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ONES 0xffffffffffffffffull

/* 1 if the branch was taken */
#define BR(insn, a, b)                                                                      \
    ({                                                                                      \
        uint64_t br_r_;                                                                     \
        __asm__ volatile("li %0, 1\n " insn " %1, %2, 1f\n li %0, 0\n1:"                    \
                         : "=&r"(br_r_)                                                     \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b)));                         \
        br_r_;                                                                              \
    })

static void test_branches(void)
{
    check_u64("beq equal", BR("beq", 5, 5), 1);
    check_u64("beq differ", BR("beq", 5, 6), 0);
    check_u64("beq differ only in bit 63", BR("beq", 0, MIN64), 0);
    check_u64("bne differ", BR("bne", 1, 0x100000001ull), 1);
    check_u64("bne equal", BR("bne", ONES, ONES), 0);
    check_u64("blt -1<0", BR("blt", ONES, 0), 1);
    check_u64("blt 0<-1", BR("blt", 0, ONES), 0);
    check_u64("blt min<max", BR("blt", MIN64, MAX64), 1);
    check_u64("blt equal", BR("blt", 3, 3), 0);
    check_u64("bltu -1<0", BR("bltu", ONES, 0), 0);
    check_u64("bltu 0<-1", BR("bltu", 0, ONES), 1);
    check_u64("bltu max<min", BR("bltu", MAX64, MIN64), 1);
    check_u64("bge equal", BR("bge", 7, 7), 1);
    check_u64("bge min>=max", BR("bge", MIN64, MAX64), 0);
    check_u64("bge 0>=-1", BR("bge", 0, ONES), 1);
    check_u64("bgeu 0>=-1", BR("bgeu", 0, ONES), 0);
    check_u64("bgeu -1>=0", BR("bgeu", ONES, 0), 1);
    check_u64("bgeu equal", BR("bgeu", MIN64, MIN64), 1);
    /* same register on both sides */
    uint64_t r, x = OPAQUE(42ull);
    __asm__ volatile("li %0, 0\n beq %1, %1, 1f\n li %0, 9\n1:" : "=&r"(r) : "r"(x));
    check_u64("beq rs1==rs2 reg", r, 0);
    __asm__ volatile("li %0, 0\n blt %1, %1, 1f\n li %0, 9\n1:" : "=&r"(r) : "r"(x));
    check_u64("blt rs1==rs2 reg", r, 9);
}

static void test_loops(void)
{
    uint64_t n = 0, i = OPAQUE(1000ull), r_far;
    /* backward bnez loop, 1000 iterations */
    __asm__ volatile("1: addi %0, %0, 3\n addi %1, %1, -1\n bnez %1, 1b" : "+r"(n), "+r"(i));
    check_u64("backward loop count", n, 3000);
    check_u64("backward loop counter", i, 0);

    /* a branch over more than 4 KiB (the assembler turns it into bxx+jal) */
    __asm__ volatile("li %0, 1\n beqz %0, 1f\n li %0, 2\n j 2f\n1: .skip 5000\n li %0, 3\n2:"
                     : "=&r"(r_far));
    check_u64("far branch not taken then jump", r_far, 2);
}

static void test_jumps(void)
{
    uint64_t link, want;
    __asm__ volatile("jal %0, 1f\n2: nop\n1: lla %1, 2b" : "=&r"(link), "=&r"(want));
    check_u64("jal link = next pc", link, want);

    __asm__ volatile("li %0, 0\n jal zero, 1f\n li %0, 99\n1:" : "=&r"(link));
    check_u64("jal x0 skips", link, 0);

    /* jalr with a positive and a negative offset */
    __asm__ volatile("lla t0, 1f-8\n li %0, 0\n jalr %1, 8(t0)\n2: li %0, 99\n j 3f\n"
                     "1: lla t1, 2b\n sub %0, %1, t1\n3:"
                     : "=&r"(link), "=&r"(want)
                     :
                     : "t0", "t1");
    check_u64("jalr +8 target and link", link, 0);
    __asm__ volatile("lla t0, 1f+12\n li %0, 5\n jalr zero, -12(t0)\n li %0, 99\n1:"
                     : "=&r"(link)
                     :
                     : "t0");
    check_u64("jalr -12 target", link, 5);

    /* rd == rs1: the target is computed from the old value */
    __asm__ volatile("li %1, 0\n lla %0, 1f\n jalr %0, 0(%0)\n2: j 3f\n1: lla %1, 2b\n3:"
                     : "=&r"(link), "=&r"(want));
    check_u64("jalr rd==rs1 link", link, want);
    check_true("jalr rd==rs1 jumped", want != 0, "fell through instead of jumping");

    /* odd target: bit 0 of rs1+imm is cleared */
    __asm__ volatile("li %0, 0\n lla t0, 1f\n addi t0, t0, 1\n jalr zero, 0(t0)\n li %0, 99\n"
                     " j 2f\n1: li %0, 7\n2:"
                     : "=&r"(link)
                     :
                     : "t0");
    check_u64("jalr odd register target", link, 7);
    __asm__ volatile("li %0, 0\n lla t0, 1f\n jalr zero, 1(t0)\n li %0, 99\n"
                     " j 2f\n1: li %0, 8\n2:"
                     : "=&r"(link)
                     :
                     : "t0");
    check_u64("jalr odd immediate target", link, 8);

    /* call and return through a real function pointer (jalr ra / ret) */
    extern uint64_t br_leaf(uint64_t);
    uint64_t (*volatile fp)(uint64_t) = br_leaf;
    check_u64("call/ret", fp(20), 41);
}

__asm__(".text\n .globl br_leaf\n br_leaf:\n slli a0, a0, 1\n addi a0, a0, 1\n ret\n");

int main(void)
{
    test_branches();
    test_loops();
    test_jumps();
    return check_done("branch");
}
