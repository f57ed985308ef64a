/*
 * Illegal instructions: cause 2 with mepc at the instruction and mtval holding its bits,
 * for an unimplemented opcode, a write to a read-only CSR, an all-zero compressed word,
 * M-mode CSRs and xRET from lower privilege, and FP instructions while mstatus.FS = Off.
 */
#include "common.h"

#define ILLEGAL_AT(bits)                                                                           \
    ({                                                                                             \
        uint64_t pc_;                                                                              \
        __asm__ volatile("la %0, 1f\n1: .word " #bits "\n" : "=&r"(pc_)::"memory");                \
        pc_;                                                                                       \
    })

static uint64_t lower_pc;

static void s_read_mstatus(void)
{
    /* csrr a0, mstatus = 0x30002573 */
    __asm__ volatile("la %0, 1f\n1: .word 0x30002573\n" : "=&r"(lower_pc)::"a0", "memory");
}

static void s_mret(void)
{
    /* mret = 0x30200073 */
    __asm__ volatile("la %0, 1f\n1: .word 0x30200073\n" : "=&r"(lower_pc)::"memory");
}

static void u_read_sstatus(void)
{
    /* csrr a0, sstatus = 0x10002573 */
    __asm__ volatile("la %0, 1f\n1: .word 0x10002573\n" : "=&r"(lower_pc)::"a0", "memory");
}

static void u_sret(void)
{
    /* sret = 0x10200073 */
    __asm__ volatile("la %0, 1f\n1: .word 0x10200073\n" : "=&r"(lower_pc)::"memory");
}

static void expect_illegal(int line, uint64_t pc, uint64_t bits)
{
    if (m_last.count != 1 || m_last.cause != CAUSE_ILLEGAL || m_last.epc != pc ||
        m_last.tval != bits) {
        check_fail(line, "illegal instruction trap (count, cause, epc, tval follow)", 0, 0);
        print("  count=");
        print_dec(m_last.count);
        print(" cause=");
        print_hex(m_last.cause);
        print(" epc=");
        print_hex(m_last.epc);
        print(" want ");
        print_hex(pc);
        print(" tval=");
        print_hex(m_last.tval);
        print(" want ");
        print_hex(bits);
        print("\n");
    }
    m_last.count = 0;
}

int main(void)
{
    uint64_t pc;

    m_last.count = 0;
    pc = ILLEGAL_AT(0xc0001073); /* unimp: csrrw x0, cycle, x0 (read-only CSR) */
    expect_illegal(__LINE__, pc, 0xc0001073);

    pc = ILLEGAL_AT(0x0000005b); /* custom-2 major opcode: nothing implements it */
    expect_illegal(__LINE__, pc, 0x0000005b);

    pc = ILLEGAL_AT(0xfe000033); /* OP with funct7 0x7f: no extension assigns it */
    expect_illegal(__LINE__, pc, 0xfe000033);

    __asm__ volatile("la %0, 1f\n1: .half 0\n" : "=&r"(pc)::"memory"); /* c.unimp */
    expect_illegal(__LINE__, pc, 0);

    /* M-mode CSR from S, mret from S, S-mode CSR and sret from U */
    run_in_mode(1, s_read_mstatus);
    expect_illegal(__LINE__, lower_pc, 0x30002573);
    run_in_mode(1, s_mret);
    expect_illegal(__LINE__, lower_pc, 0x30200073);
    run_in_mode(0, u_read_sstatus);
    expect_illegal(__LINE__, lower_pc, 0x10002573);
    run_in_mode(0, u_sret);
    expect_illegal(__LINE__, lower_pc, 0x10200073);

    /* FS = Off: FP instructions and fcsr are illegal; FS = Initial makes them legal */
    csr_clear(mstatus, 3ull << 13);
    pc = ILLEGAL_AT(0x02007053); /* fadd.d f0, f0, f0 */
    expect_illegal(__LINE__, pc, 0x02007053);
    pc = ILLEGAL_AT(0x00302573); /* csrr a0, fcsr */
    expect_illegal(__LINE__, pc, 0x00302573);
    csr_set(mstatus, 1ull << 13);
    __asm__ volatile(".word 0x02007053" ::: "memory"); /* fadd.d f0, f0, f0 */
    CHECK_EQ(m_last.count, 0);
    /* an FP register write makes FS Dirty and sets SD */
    uint64_t st = csr_read(mstatus);
    CHECK_EQ((st >> 13) & 3, 3);
    CHECK_EQ(st >> 63, 1);
    return check_fails;
}
