/*
 * Trap delegation: exceptions listed in medeleg and interrupts in mideleg go to S-mode
 * (stvec, scause, sepc, stval, SPP/SPIE stacking), others stay in M-mode; sstatus and
 * sip/sie are views of mstatus and mip/mie restricted to the S bits.
 */
#include "common.h"

static volatile uint64_t s_ill_pc, s_ebreak_pc, u_ill_pc, ssi_hits, s_ecall_pc;
static volatile uint64_t sstatus_in_s, sip_seen, sie_in_s;
static volatile uint64_t ill_cause, ill_epc, ill_tval, ill_status, bk_cause, bk_epc;

static int ssi_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != (CAUSE_INTR | IRQ_SSI)) return 0;
    csr_clear(sip, 1ull << IRQ_SSI);
    ssi_hits++;
    f->x[0] = epc;
    return 1;
}

static void s_body(void)
{
    __asm__ volatile("la %0, 1f\n1: .word 0xc0001073\n" : "=&r"(s_ill_pc)::"memory"); /* unimp */
    ill_cause = s_last.cause;
    ill_epc = s_last.epc;
    ill_tval = s_last.tval;
    ill_status = s_last.status;
    __asm__ volatile("la %0, 1f\n1: ebreak\n" : "=&r"(s_ebreak_pc)::"memory");
    bk_cause = s_last.cause;
    bk_epc = s_last.epc;
    __asm__ volatile("la %0, 1f\nli a7, 0\n1: ecall\n" : "=&r"(s_ecall_pc)::"a7", "memory");
    sstatus_in_s = csr_read(sstatus);
    /* a supervisor software interrupt raised by S itself, taken when SIE is set */
    csr_set(sie, 1ull << IRQ_SSI);
    sie_in_s = csr_read(sie);
    csr_set(sip, 1ull << IRQ_SSI);
    sip_seen = csr_read(sip) & (1ull << IRQ_SSI); /* pending, SIE still 0 */
    csr_set(sstatus, MSTATUS_SIE);
    for (volatile int i = 0; i < 1000 && !ssi_hits; i++)
        ;
    csr_clear(sstatus, MSTATUS_SIE);
    csr_clear(sie, 1ull << IRQ_SSI);
}

static void u_body(void)
{
    __asm__ volatile("la %0, 1f\n1: .word 0xc0001073\n" : "=&r"(u_ill_pc)::"memory");
}

int main(void)
{
    csr_write(medeleg, (1ull << CAUSE_ILLEGAL) | (1ull << CAUSE_BREAKPOINT));
    CHECK_EQ(csr_read(medeleg) & ((1ull << CAUSE_ILLEGAL) | (1ull << CAUSE_BREAKPOINT)),
             (1ull << CAUSE_ILLEGAL) | (1ull << CAUSE_BREAKPOINT));
    csr_write(mideleg, (1ull << IRQ_SSI) | (1ull << IRQ_STI) | (1ull << 9));
    CHECK_EQ(csr_read(mideleg) & (1ull << IRQ_SSI), 1ull << IRQ_SSI);
    csr_write(stvec, (uint64_t)s_trap_entry);
    CHECK_EQ(csr_read(stvec), (uint64_t)s_trap_entry);
    s_hook = ssi_hook;

    m_last.count = 0;
    s_last.count = 0;
    run_in_mode(1, s_body);
    /* unimp and ebreak went to S, ecall (not delegated) to M */
    CHECK_EQ(s_last.count, 3); /* illegal, breakpoint, SSI */
    CHECK_EQ(ssi_hits, 1);
    CHECK_EQ(sip_seen, 1ull << IRQ_SSI);
    CHECK_EQ(sie_in_s & (1ull << IRQ_SSI), 1ull << IRQ_SSI);
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_ECALL_S);
    CHECK_EQ(m_last.epc, s_ecall_pc);
    /* sstatus shows no M-mode fields */
    CHECK_EQ(sstatus_in_s & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP), 0);

    /* the exact S-mode trap state of the illegal instruction and ebreak from S */
    CHECK_EQ(ill_cause, CAUSE_ILLEGAL);
    CHECK_EQ(ill_epc, s_ill_pc);
    CHECK_EQ(ill_tval, 0xc0001073);
    CHECK_EQ(ill_status & MSTATUS_SPP, MSTATUS_SPP);
    CHECK_EQ(bk_cause, CAUSE_BREAKPOINT);
    CHECK_EQ(bk_epc, s_ebreak_pc);

    /* U-mode illegal instruction: delegated to S with SPP = U */
    s_last.count = 0;
    run_in_mode(0, u_body);
    CHECK_EQ(s_last.count, 1);
    CHECK_EQ(s_last.cause, CAUSE_ILLEGAL);
    CHECK_EQ(s_last.epc, u_ill_pc);
    CHECK(s_last.tval == 0xc0001073);
    CHECK_EQ(s_last.status & MSTATUS_SPP, 0);

    /* not delegated any more: the same instruction traps to M */
    csr_write(medeleg, 0);
    m_last.count = 0;
    s_last.count = 0;
    run_in_mode(0, u_body);
    CHECK_EQ(s_last.count, 0);
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_ILLEGAL);
    CHECK_EQ(m_last.tval, 0xc0001073);

    /* sip.SSIP set from M with mideleg: visible in sip; mip.SSIP cleared through sip */
    csr_set(mip, 1ull << IRQ_SSI);
    CHECK_EQ(csr_read(sip) & (1ull << IRQ_SSI), 1ull << IRQ_SSI);
    csr_clear(sip, 1ull << IRQ_SSI);
    CHECK_EQ(csr_read(mip) & (1ull << IRQ_SSI), 0);
    /* sstatus.SIE writes reach mstatus.SIE */
    csr_set(sstatus, MSTATUS_SIE);
    CHECK_EQ(csr_read(mstatus) & MSTATUS_SIE, MSTATUS_SIE);
    csr_clear(sstatus, MSTATUS_SIE);
    CHECK_EQ(csr_read(mstatus) & MSTATUS_SIE, 0);
    return check_fails;
}
