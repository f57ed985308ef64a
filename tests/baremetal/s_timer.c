/*
 * Supervisor timer interrupts, delegated through mideleg: first the SBI-style path
 * (M-mode sets mip.STIP), then Sstc (menvcfg.STCE; S-mode writes stimecmp and reads the
 * time CSR, enabled by mcounteren.TM). Each must arrive in S-mode with scause
 * 0x8000000000000005, and an Sstc interrupt no earlier than stimecmp.
 */
#include "common.h"

static volatile uint64_t sti_hits, sti_at, sti_target, t_a, t_b, stce_mode;

static int sti_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != (CAUSE_INTR | IRQ_STI)) return 0;
    if (stce_mode) {
        sti_at = csr_read(time);
        csr_write(stimecmp, ~0ull); /* lowers STIP */
    } else {
        /* S cannot clear mip.STIP itself without Sstc: ask M via ecall */
        __asm__ volatile("li a7, 1\necall" ::: "a7", "memory");
    }
    sti_hits++;
    f->x[0] = epc;
    return 1;
}

/* M-mode side: the S handler's ecall clears STIP (an SBI set_timer in miniature) */
static int m_ecall_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != CAUSE_ECALL_S || f->x[17] != 1) return 0;
    csr_clear(mip, 1ull << IRQ_STI);
    f->x[0] = epc + 4;
    return 1;
}

static void s_wait_legacy(void)
{
    csr_set(sie, 1ull << IRQ_STI);
    csr_set(sstatus, MSTATUS_SIE);
    for (volatile int i = 0; i < 100000 && !sti_hits; i++)
        ;
    csr_clear(sstatus, MSTATUS_SIE);
}

static void s_wait_sstc(void)
{
    t_a = csr_read(time);
    for (volatile int i = 0; i < 1000; i++)
        ;
    t_b = csr_read(time);
    sti_target = csr_read(time) + 20000; /* 2 ms */
    csr_write(stimecmp, sti_target);
    csr_set(sie, 1ull << IRQ_STI);
    csr_set(sstatus, MSTATUS_SIE);
    uint64_t start = csr_read(time);
    while (!sti_hits && csr_read(time) - start < 50000000)
        __asm__ volatile("wfi");
    csr_clear(sstatus, MSTATUS_SIE);
}

int main(void)
{
    csr_write(mideleg, (1ull << IRQ_SSI) | (1ull << IRQ_STI) | (1ull << 9));
    csr_write(stvec, (uint64_t)s_trap_entry);
    csr_set(mie, 1ull << IRQ_STI);
    s_hook = sti_hook;
    m_hook = m_ecall_hook;

    /* legacy: M raises STIP for S */
    csr_set(mip, 1ull << IRQ_STI);
    CHECK_EQ(csr_read(mip) & (1ull << IRQ_STI), 1ull << IRQ_STI);
    run_in_mode(1, s_wait_legacy);
    CHECK_EQ(sti_hits, 1);
    CHECK_EQ(s_last.cause, CAUSE_INTR | IRQ_STI);
    CHECK_EQ(csr_read(mip) & (1ull << IRQ_STI), 0);

    if (ON_QEMU) /* spike has no time CSR, hence no Sstc */
        return check_fails;

    /* Sstc */
    csr_set(menvcfg, 1ull << 63);
    CHECK_EQ(csr_read(menvcfg) >> 63, 1);
    csr_set(mcounteren, 2); /* TM: S may read time */
    stce_mode = 1;
    sti_hits = 0;
    run_in_mode(1, s_wait_sstc);
    CHECK(t_b >= t_a);
    CHECK(t_a != 0);
    CHECK_EQ(sti_hits, 1);
    CHECK(sti_at >= sti_target);
    CHECK_EQ(s_last.cause, CAUSE_INTR | IRQ_STI);
    csr_clear(mie, 1ull << IRQ_STI);
    return check_fails;
}
