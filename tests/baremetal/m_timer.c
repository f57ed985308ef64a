/*
 * The CLINT timer in M-mode: mtime advances, MTIP follows mtimecmp (set when mtime >=
 * mtimecmp, cleared when mtimecmp moves past mtime), and an enabled timer interrupt
 * arrives (cause 0x8000000000000007) no earlier than mtimecmp, waking WFI.
 */
#include "common.h"

static volatile uint64_t fired, fired_at, target;

static int timer_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != (CAUSE_INTR | IRQ_MTI)) return 0;
    fired_at = *CLINT_MTIME;
    *CLINT_MTIMECMP(0) = ~0ull; /* lowers MTIP */
    fired++;
    f->x[0] = epc; /* interrupts resume at the interrupted instruction */
    return 1;
}

static int wait_mip(uint64_t bit, int want, uint64_t ticks)
{
    uint64_t end = *CLINT_MTIME + ticks;
    while (!!(csr_read(mip) & (1ull << bit)) != want)
        if (*CLINT_MTIME > end) return 0;
    return 1;
}

int main(void)
{
    /* mtime moves, in 10 MHz ticks (the board's timebase) */
    uint64_t t0 = *CLINT_MTIME;
    for (volatile int i = 0; i < 20000; i++)
        ;
    uint64_t t1 = *CLINT_MTIME;
    CHECK(t1 > t0);
    /* the time CSR reads the same clock */
    if (!ON_QEMU) {
        uint64_t tc = csr_read(time);
        CHECK(tc >= t1);
        CHECK(tc - t1 < 100000000); /* within 10 s */
    }

    /* 32-bit halves of mtimecmp are writable separately */
    volatile uint32_t *cmp32 = (volatile uint32_t *)CLINT_MTIMECMP(0);
    cmp32[0] = 0x89abcdef;
    cmp32[1] = 0x01234567;
    CHECK_EQ(*CLINT_MTIMECMP(0), 0x0123456789abcdefull);

    /* MTIP is a level: pending while mtime >= mtimecmp, with interrupts disabled */
    csr_clear(mstatus, MSTATUS_MIE);
    csr_set(mie, 1ull << IRQ_MTI);
    *CLINT_MTIMECMP(0) = 0;
    CHECK(wait_mip(IRQ_MTI, 1, 10000000));
    *CLINT_MTIMECMP(0) = ~0ull;
    CHECK(wait_mip(IRQ_MTI, 0, 10000000));

    /* a real interrupt, 2 ms ahead, waking wfi */
    m_hook = timer_hook;
    target = *CLINT_MTIME + 20000;
    *CLINT_MTIMECMP(0) = target;
    csr_set(mstatus, MSTATUS_MIE);
    uint64_t start = *CLINT_MTIME;
    while (!fired && *CLINT_MTIME - start < 50000000)
        __asm__ volatile("wfi");
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(fired, 1);
    CHECK(fired_at >= target);
    CHECK_EQ(m_last.cause, CAUSE_INTR | IRQ_MTI);
    CHECK_EQ(csr_read(mip) & (1ull << IRQ_MTI), 0);

    /* a second one, to show the timer re-arms */
    target = *CLINT_MTIME + 5000;
    *CLINT_MTIMECMP(0) = target;
    csr_set(mstatus, MSTATUS_MIE);
    start = *CLINT_MTIME;
    while (fired < 2 && *CLINT_MTIME - start < 50000000)
        __asm__ volatile("wfi");
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(fired, 2);
    CHECK(fired_at >= target);

    /* disabled in mie: pending but not taken */
    csr_clear(mie, 1ull << IRQ_MTI);
    csr_set(mstatus, MSTATUS_MIE);
    *CLINT_MTIMECMP(0) = 0;
    CHECK(wait_mip(IRQ_MTI, 1, 10000000));
    CHECK_EQ(fired, 2);
    csr_clear(mstatus, MSTATUS_MIE);
    *CLINT_MTIMECMP(0) = ~0ull;
    m_hook = 0;
    return check_fails;
}
