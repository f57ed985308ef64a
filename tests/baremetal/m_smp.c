/*
 * Two harts (run with --smp 2): hart 0 wakes hart 1 from WFI with an IPI (CLINT msip),
 * then both hammer shared counters with amoadd.w and with LR/SC loops; no update may be
 * lost. Hart 1 also checks its mhartid. Needs at least 2 harts.
 */
#include "common.h"

#define ROUNDS 20000

static volatile uint64_t h1_awake, h1_done, h1_id, h1_ipis;
static volatile uint32_t amo_counter;
static volatile uint64_t lrsc_counter;

static void hammer(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        uint32_t one = 1, old;
        __asm__ volatile("amoadd.w %0, %2, (%1)"
                         : "=r"(old)
                         : "r"(&amo_counter), "r"(one)
                         : "memory");
        uint64_t tmp, fail;
        __asm__ volatile("1: lr.d %0, (%2)\n"
                         "   addi %0, %0, 1\n"
                         "   sc.d %1, %0, (%2)\n"
                         "   bnez %1, 1b\n"
                         : "=&r"(tmp), "=&r"(fail)
                         : "r"(&lrsc_counter)
                         : "memory");
    }
}

static int ipi_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != (CAUSE_INTR | IRQ_MSI)) return 0;
    *CLINT_MSIP(hartid()) = 0;
    h1_ipis++;
    f->x[0] = epc;
    return 1;
}

void secondary_main(void)
{
    if (hartid() != 1)
        for (;;)
            __asm__ volatile("wfi");
    h1_id = hartid();
    csr_set(mie, 1ull << IRQ_MSI);
    csr_set(mstatus, MSTATUS_MIE);
    while (!h1_ipis)
        __asm__ volatile("wfi");
    csr_clear(mstatus, MSTATUS_MIE);
    h1_awake = 1;
    hammer();
    __asm__ volatile("fence rw, rw" ::: "memory");
    h1_done = 1;
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    m_hook = ipi_hook;
    /* give hart 1 time to reach its wfi; the IPI works even if it has not */
    uint64_t end = *CLINT_MTIME + 100000;
    while (*CLINT_MTIME < end)
        ;
    *CLINT_MSIP(1) = 1;
    CHECK(wait_flag(&h1_awake, 100000000));
    hammer();
    CHECK(wait_flag(&h1_done, 600000000));
    CHECK_EQ(h1_id, 1);
    CHECK_EQ(h1_ipis, 1);
    CHECK_EQ(amo_counter, 2 * ROUNDS);
    CHECK_EQ(lrsc_counter, 2 * ROUNDS);
    CHECK_EQ(*CLINT_MSIP(1), 0);
    return check_fails;
}
