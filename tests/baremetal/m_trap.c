/*
 * M-mode traps: ecall from M, S and U (causes 11, 9, 8) with exact mepc, ebreak, the
 * mstatus stacking of trap entry (MPP, MPIE, MIE) and mret's restore, and mscratch.
 */
#include "common.h"

static uint64_t ecall_pc;

static void ecall_at_label(void)
{
    uint64_t pc;
    __asm__ volatile("la %0, 1f\n"
                     "li a7, 0\n"
                     "1: ecall\n"
                     : "=&r"(pc)
                     :
                     : "a7", "memory");
    ecall_pc = pc;
}

static uint64_t mode_seen;

static void lower_ecall(void)
{
    ecall_at_label();
}

int main(void)
{
    /* ecall from M: cause 11, mepc = the ecall, MPP = M, interrupts stacked */
    csr_set(mstatus, MSTATUS_MIE); /* mie = 0, so nothing can actually interrupt */
    m_last.count = 0;
    ecall_at_label();
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_ECALL_M);
    CHECK_EQ(m_last.epc, ecall_pc);
    CHECK_EQ((m_last.status & MSTATUS_MPP) >> 11, 3);
    CHECK_EQ(!!(m_last.status & MSTATUS_MPIE), 1); /* MIE was 1 before the trap */
    CHECK_EQ(!!(m_last.status & MSTATUS_MIE), 0);  /* and is 0 inside the handler */
    uint64_t st = csr_read(mstatus);
    CHECK_EQ(!!(st & MSTATUS_MIE), 1); /* mret restored MIE from MPIE */
    CHECK_EQ(!!(st & MSTATUS_MPIE), 1);
    /* mret sets MPP to the least-privileged mode (U) */
    CHECK_EQ((st & MSTATUS_MPP) >> 11, 0);
    csr_clear(mstatus, MSTATUS_MIE);

    /* MIE = 0 before the trap: MPIE must record 0 */
    m_last.count = 0;
    ecall_at_label();
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(!!(m_last.status & MSTATUS_MPIE), 0);

    /* ebreak: cause 3; mtval is 0 or the pc */
    uint64_t pc;
    m_last.count = 0;
    __asm__ volatile("la %0, 1f\n1: ebreak\n" : "=&r"(pc)::"memory");
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(m_last.epc, pc);
    CHECK(m_last.tval == 0 || m_last.tval == pc);

    /* ecall from S-mode: cause 9, MPP = S */
    m_last.count = 0;
    run_in_mode(1, lower_ecall);
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_ECALL_S);
    CHECK_EQ(m_last.epc, ecall_pc);
    CHECK_EQ((m_last.status & MSTATUS_MPP) >> 11, 1);

    /* ecall from U-mode: cause 8, MPP = U */
    m_last.count = 0;
    run_in_mode(0, lower_ecall);
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_ECALL_U);
    CHECK_EQ(m_last.epc, ecall_pc);
    CHECK_EQ((m_last.status & MSTATUS_MPP) >> 11, 0);
    (void)mode_seen;

    /* scratch and trap CSRs hold what M-mode writes */
    csr_write(mscratch, 0x0123456789abcdefull);
    CHECK_EQ(csr_read(mscratch), 0x0123456789abcdefull);
    csr_write(mepc, 0x80001234);
    CHECK_EQ(csr_read(mepc), 0x80001234);
    csr_write(mepc, 0x80001235); /* bit 0 of mepc is always zero */
    if (!ON_QEMU) CHECK_EQ(csr_read(mepc) & 1, 0);
    CHECK_EQ(csr_read(mhartid), 0);
    uint64_t misa = csr_read(misa);
    CHECK_EQ(misa >> 62, 2); /* MXL = 64 */
    CHECK(misa & (1u << ('I' - 'A')));
    CHECK(misa & (1u << ('M' - 'A')));
    CHECK(misa & (1u << ('A' - 'A')));
    CHECK(misa & (1u << ('S' - 'A')));
    CHECK(misa & (1u << ('U' - 'A')));
    return check_fails;
}
