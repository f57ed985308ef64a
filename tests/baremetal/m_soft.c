/*
 * Machine software interrupts through the CLINT msip register: MSIP follows msip, an
 * enabled one traps with cause 0x8000000000000003, and with mtvec in vectored mode the
 * interrupt enters at base + 4 * 3 while exceptions still enter at base.
 */
#include "common.h"

static volatile uint64_t soft_hits;
extern volatile uint64_t vec_msi_hits;
extern char vec_table[];

static int soft_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != (CAUSE_INTR | IRQ_MSI)) return 0;
    *CLINT_MSIP(0) = 0;
    soft_hits++;
    f->x[0] = epc;
    return 1;
}

__asm__(".text\n"
        ".align 8\n"
        ".globl vec_table\n"
        "vec_table:\n"
        "  j m_trap_entry\n" /* 0: exceptions */
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j vec_msi\n" /* 3: machine software interrupt */
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "  j m_trap_entry\n"
        "vec_msi:\n"
        "  addi sp, sp, -16\n"
        "  sd t0, 0(sp)\n"
        "  sd t1, 8(sp)\n"
        "  la t0, vec_msi_hits\n"
        "  ld t1, 0(t0)\n"
        "  addi t1, t1, 1\n"
        "  sd t1, 0(t0)\n"
        "  li t0, 0x2000000\n"
        "  sw zero, 0(t0)\n"
        "  ld t0, 0(sp)\n"
        "  ld t1, 8(sp)\n"
        "  addi sp, sp, 16\n"
        "  mret\n"
        ".data\n"
        ".align 3\n"
        ".globl vec_msi_hits\n"
        "vec_msi_hits: .dword 0\n"
        ".text\n");

static int wait_mip(uint64_t bit, int want)
{
    uint64_t end = *CLINT_MTIME + 10000000;
    while (!!(csr_read(mip) & (1ull << bit)) != want)
        if (*CLINT_MTIME > end) return 0;
    return 1;
}

int main(void)
{
    csr_clear(mstatus, MSTATUS_MIE);
    *CLINT_MSIP(0) = 1;
    CHECK_EQ(*CLINT_MSIP(0), 1);
    CHECK(wait_mip(IRQ_MSI, 1));
    *CLINT_MSIP(0) = 0;
    CHECK_EQ(*CLINT_MSIP(0), 0);
    CHECK(wait_mip(IRQ_MSI, 0));

    /* direct mode */
    m_hook = soft_hook;
    csr_set(mie, 1ull << IRQ_MSI);
    csr_set(mstatus, MSTATUS_MIE);
    *CLINT_MSIP(0) = 1;
    uint64_t end = *CLINT_MTIME + 10000000;
    while (!soft_hits && *CLINT_MTIME < end)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(soft_hits, 1);
    CHECK_EQ(m_last.cause, CAUSE_INTR | IRQ_MSI);

    /* vectored mode: the interrupt goes to vec_table + 12 */
    csr_write(mtvec, (uint64_t)vec_table | 1);
    CHECK_EQ(csr_read(mtvec), (uint64_t)vec_table | 1);
    csr_set(mstatus, MSTATUS_MIE);
    *CLINT_MSIP(0) = 1;
    end = *CLINT_MTIME + 10000000;
    while (!vec_msi_hits && *CLINT_MTIME < end)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(vec_msi_hits, 1);
    CHECK_EQ(soft_hits, 1);
    /* an exception in vectored mode still enters at the base */
    uint64_t n = m_last.count;
    __asm__ volatile("ebreak");
    CHECK_EQ(m_last.count, n + 1);
    CHECK_EQ(m_last.cause, CAUSE_BREAKPOINT);
    csr_write(mtvec, (uint64_t)m_trap_entry);
    csr_clear(mie, 1ull << IRQ_MSI);
    m_hook = 0;
    return check_fails;
}
