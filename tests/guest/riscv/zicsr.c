/*
 * Zicsr: every CSR instruction form (csrrw/csrrs/csrrc and their immediate versions) on
 * the user FP CSRs fflags, frm and fcsr, which alias each other (fcsr = frm << 5 | fflags),
 * with the old value returned in rd and out-of-field bits dropped; reads with rs1 = x0;
 * and the user counters cycle, time and instret, which must not go backwards and must
 * advance over a busy loop (instret, cycle) or a sleep (time).
 */
#include <time.h>

#include "check.h"

#define CSR_OP(insn, csr, v)                                                                \
    ({                                                                                      \
        uint64_t c_old_;                                                                    \
        __asm__ volatile(insn " %0, " csr ", %1" : "=r"(c_old_) : "r"((uint64_t)(v)));      \
        c_old_;                                                                             \
    })
#define CSR_IMM(insn, csr, imm)                                                             \
    ({                                                                                      \
        uint64_t c_old_;                                                                    \
        __asm__ volatile(insn " %0, " csr ", " #imm : "=r"(c_old_));                        \
        c_old_;                                                                             \
    })
#define CSR_READ(csr)                                                                       \
    ({                                                                                      \
        uint64_t c_v_;                                                                      \
        __asm__ volatile("csrr %0, " csr : "=r"(c_v_));                                     \
        c_v_;                                                                               \
    })

static void test_fp_csrs(void)
{
    __asm__ volatile("csrwi fcsr, 0");
    check_u64("csrrwi fflags old", CSR_IMM("csrrwi", "fflags", 0x15), 0);
    check_u64("fflags after csrrwi", CSR_READ("fflags"), 0x15);
    check_u64("csrrsi fflags old", CSR_IMM("csrrsi", "fflags", 0x2), 0x15);
    check_u64("fflags after csrrsi", CSR_READ("fflags"), 0x17);
    check_u64("csrrci fflags old", CSR_IMM("csrrci", "fflags", 0x5), 0x17);
    check_u64("fflags after csrrci", CSR_READ("fflags"), 0x12);
    check_u64("csrrs fflags old", CSR_OP("csrrs", "fflags", 0x1), 0x12);
    check_u64("fflags after csrrs", CSR_READ("fflags"), 0x13);
    check_u64("csrrc fflags old", CSR_OP("csrrc", "fflags", 0x10), 0x13);
    check_u64("fflags after csrrc", CSR_READ("fflags"), 0x03);
    check_u64("csrrw fflags old", CSR_OP("csrrw", "fflags", 0xff), 0x03);
    check_u64("fflags keeps 5 bits", CSR_READ("fflags"), 0x1f);
    check_u64("fcsr shows fflags", CSR_READ("fcsr"), 0x1f);

    check_u64("csrrwi frm old", CSR_IMM("csrrwi", "frm", 3), 0);
    check_u64("frm after csrrwi", CSR_READ("frm"), 3);
    check_u64("fcsr = frm<<5 | fflags", CSR_READ("fcsr"), (3 << 5) | 0x1f);
    check_u64("csrrci frm old", CSR_IMM("csrrci", "frm", 1), 3);
    check_u64("frm after csrrci", CSR_READ("frm"), 2);
    check_u64("csrrsi frm old", CSR_IMM("csrrsi", "frm", 1), 2);
    check_u64("frm after csrrsi", CSR_READ("frm"), 3);
    check_u64("csrrw frm", (CSR_OP("csrrw", "frm", 4), CSR_READ("frm")), 4);

    check_u64("csrrw fcsr old", CSR_OP("csrrw", "fcsr", 0x45), (4 << 5) | 0x1f);
    check_u64("frm from fcsr", CSR_READ("frm"), 2);
    check_u64("fflags from fcsr", CSR_READ("fflags"), 5);
    check_u64("csrrs fcsr", (CSR_OP("csrrs", "fcsr", 0x80), CSR_READ("fcsr")), 0xc5);
    check_u64("csrrc fcsr", (CSR_OP("csrrc", "fcsr", 0x41), CSR_READ("fcsr")), 0x84);
    check_u64("fcsr write 0xff", (CSR_OP("csrrw", "fcsr", 0xff), CSR_READ("fcsr")), 0xff);
    check_u64("frm 7 readable", CSR_READ("frm"), 7);
    /* csrrs/csrrc with x0 do not write, csrrwi with 0 does */
    check_u64("csrrs x0 is a pure read", (CSR_OP("csrrs", "fflags", 0), CSR_READ("fflags")), 0x1f);
    check_u64("csrrci 0 is a pure read", (CSR_IMM("csrrci", "fflags", 0), CSR_READ("fflags")),
              0x1f);
    check_u64("csrrwi 0 clears", (CSR_IMM("csrrwi", "fflags", 0), CSR_READ("fcsr")), 0xe0);
    __asm__ volatile("csrwi fcsr, 0");

    /* an FP instruction's flags show up in all three views */
    uint64_t ff, fc;
    __asm__ volatile("fmv.w.x ft0, %2\n fmv.w.x ft1, zero\n fdiv.s ft2, ft0, ft1\n"
                     " csrr %0, fflags\n csrr %1, fcsr"
                     : "=r"(ff), "=r"(fc)
                     : "r"(0x3f800000ull)
                     : "ft0", "ft1", "ft2");
    check_u64("fdiv 1/0 sets DZ in fflags", ff, 0x08);
    check_u64("fdiv 1/0 sets DZ in fcsr", fc, 0x08);
    __asm__ volatile("csrwi fcsr, 0");
}

static void test_counters(void)
{
    uint64_t c0, c1, t0, t1, i0, i1, n = 20000;
    __asm__ volatile("rdcycle %0\n rdtime %1\n rdinstret %2" : "=r"(c0), "=r"(t0), "=r"(i0));
    __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b" : "+r"(n));
    __asm__ volatile("rdcycle %0\n rdtime %1\n rdinstret %2" : "=r"(c1), "=r"(t1), "=r"(i1));
    check_true("rdcycle advances over a loop", c1 > c0, "%llu then %llu", (unsigned long long)c0,
               (unsigned long long)c1);
    check_true("rdinstret advances by at least the loop", i1 - i0 >= 40000 && i1 > i0,
               "%llu then %llu", (unsigned long long)i0, (unsigned long long)i1);
    check_true("rdtime does not go backwards", t1 >= t0, "%llu then %llu",
               (unsigned long long)t0, (unsigned long long)t1);

    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    __asm__ volatile("rdtime %0" : "=r"(t0));
    check_true("rdtime advances over a 5 ms sleep", t0 > t1, "%llu then %llu",
               (unsigned long long)t1, (unsigned long long)t0);

    /* a thousand back-to-back reads never decrease */
    uint64_t prev_c = 0, prev_t = 0, prev_i = 0;
    int bad = 0;
    for (int k = 0; k < 1000; k++) {
        __asm__ volatile("rdcycle %0\n rdtime %1\n rdinstret %2" : "=r"(c0), "=r"(t0), "=r"(i0));
        bad += c0 < prev_c || t0 < prev_t || i0 <= prev_i;
        prev_c = c0, prev_t = t0, prev_i = i0;
    }
    check_true("counters monotonic over 1000 reads", bad == 0, "%d decreases", bad);
    /* the CSR names and the pseudo-instructions are the same registers */
    __asm__ volatile("csrr %0, instret\n rdinstret %1" : "=r"(i0), "=r"(i1));
    check_true("csr instret == rdinstret", i1 >= i0, "%llu %llu",
               (unsigned long long)i0, (unsigned long long)i1);
}

int main(void)
{
    test_fp_csrs();
    test_counters();
    return check_done("zicsr");
}
