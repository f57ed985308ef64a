/*
 * Unit tests of the event loop, the virtual clock and the basic devices of the riscv
 * virt machine (16550 UART, PLIC, CLINT, SiFive test finisher), at register level.
 *
 * Devices are driven through their mmio_ops exactly as a vCPU would; their interrupt
 * outputs are wired to fake irq_line targets that record the level (and the virtual time
 * of the last rise), so every check compares a register value or a line level with the
 * value the datasheet or specification gives. Each check group prints "ok NAME" or
 * "not ok NAME: first reason"; the exit status is non-zero if any group failed. Timer
 * checks wait a bounded time (2 s) and also fail when a timer fires early.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/evloop.h"
#include "core/vclock.h"
#include "hw/aclint.h"
#include "hw/chardev.h"
#include "hw/irq.h"
#include "hw/plic.h"
#include "hw/syscon.h"
#include "hw/uart16550.h"

/* ---- check groups ---- */

#include "unit.h"

#define EXPECT_EQ(got, want, what)                                                             \
    do {                                                                                       \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                  \
        expect(g_ == w_, "%s: got 0x%" PRIx64 ", want 0x%" PRIx64, (what), g_, w_);             \
    } while (0)

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* ---- fake interrupt targets ---- */

#define FAKE_LINES 16

struct fake_irq {
    _Atomic int level[FAKE_LINES];
    _Atomic unsigned rises[FAKE_LINES];
    _Atomic uint64_t rise_ticks[FAKE_LINES]; /* vclock at the last rise */
};

static void fake_irq_set(void *opaque, unsigned n, int level)
{
    struct fake_irq *f = opaque;
    if (n >= FAKE_LINES)
        return;
    if (level && !f->level[n]) {
        f->rise_ticks[n] = vclock_ticks();
        f->rises[n]++;
    }
    f->level[n] = level;
}

static struct irq_line fake_line(struct fake_irq *f, unsigned n)
{
    return (struct irq_line){.set = fake_irq_set, .opaque = f, .n = n};
}

/* Polls until line n reaches level or ms pass; returns whether it did. */
static bool wait_level(struct fake_irq *f, unsigned n, int level, unsigned ms)
{
    for (unsigned i = 0; i < ms; i++) {
        if (f->level[n] == level)
            return true;
        sleep_ms(1);
    }
    return f->level[n] == level;
}

/* ---- a test chardev backend ---- */

struct test_chr {
    struct chardev chr;
    uint8_t out[256];
    size_t nout;
    unsigned rx_ready_calls;
};

static void test_chr_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct test_chr *t = opaque;
    for (size_t i = 0; i < len && t->nout < sizeof(t->out); i++)
        t->out[t->nout++] = buf[i];
}

static void test_chr_rx_ready(void *opaque)
{
    struct test_chr *t = opaque;
    t->rx_ready_calls++;
}

static void test_chr_init(struct test_chr *t)
{
    memset(t, 0, sizeof(*t));
    t->chr.write = test_chr_write;
    t->chr.rx_ready = test_chr_rx_ready;
    t->chr.opaque = t;
}

/* ---- UART ---- */

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

static uint8_t ur(struct uart16550 *u, unsigned reg)
{
    return (uint8_t)uart16550_mmio_ops.read(u, reg, 1);
}

static void uw(struct uart16550 *u, unsigned reg, uint8_t v)
{
    uart16550_mmio_ops.write(u, reg, v, 1);
}

static void test_uart_regs(void)
{
    struct fake_irq irq = {0};
    struct test_chr tc;
    test_chr_init(&tc);
    struct uart16550 *u = uart16550_new(&tc.chr, fake_line(&irq, 0), 0);
    group("uart_divisor_latch");
    EXPECT_EQ(ur(u, IIR), 0x01, "IIR at reset");
    EXPECT_EQ(ur(u, LSR), 0x60, "LSR at reset (THRE|TEMT)");
    uw(u, LCR, 0x83); /* DLAB, 8N1 */
    uw(u, DLL, 0x34);
    uw(u, DLM, 0x12);
    EXPECT_EQ(ur(u, DLL), 0x34, "DLL");
    EXPECT_EQ(ur(u, DLM), 0x12, "DLM");
    EXPECT_EQ(ur(u, IER), 0x12, "offset 1 with DLAB is DLM, not IER");
    uw(u, LCR, 0x03);
    EXPECT_EQ(ur(u, LCR), 0x03, "LCR");
    EXPECT_EQ(ur(u, IER), 0x00, "IER untouched by the DLM write");
    uw(u, IER, 0xf4); /* high nibble is reserved */
    EXPECT_EQ(ur(u, IER), 0x04, "IER keeps 4 bits");
    uw(u, IER, 0);
    uw(u, LCR, 0x80);
    EXPECT_EQ(ur(u, DLL), 0x34, "DLL survives the IER writes");
    EXPECT_EQ(ur(u, DLM), 0x12, "DLM survives the IER writes");
    uw(u, DLL, 'x'); /* with DLAB, offset 0 writes must not transmit */
    uw(u, LCR, 0x03);
    EXPECT_EQ(tc.nout, 0, "bytes sent while DLAB was set");
    uw(u, SCR, 0xa5);
    EXPECT_EQ(ur(u, SCR), 0xa5, "SCR");
    EXPECT_EQ(irq.level[0], 0, "irq with IER 0");
    group_end();

    group("uart_transmit");
    uw(u, THR, 'h');
    uw(u, THR, 'i');
    uart16550_mmio_ops.write(u, THR, 0x1221, 4); /* wider access: low byte counts */
    expect(tc.nout == 3 && !memcmp(tc.out, "hi!", 3), "output '%.*s' (%zu bytes)",
           (int)tc.nout, tc.out, tc.nout);
    EXPECT_EQ(ur(u, LSR) & 0x61, 0x60, "LSR after transmit (THRE|TEMT, no DR)");
    group_end();
    uart16550_free(u);
}

static void test_uart_fifo(void)
{
    struct fake_irq irq = {0};
    struct test_chr tc;
    test_chr_init(&tc);
    struct uart16550 *u = uart16550_new(&tc.chr, fake_line(&irq, 0), 0);
    uint8_t in[20];
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)('A' + i);

    group("uart_rx_fifo");
    /* 16450 mode (FIFO off): one holding register */
    EXPECT_EQ(chardev_input(&tc.chr, in, 3), 1, "bytes taken without FIFO");
    EXPECT_EQ(ur(u, LSR) & 1, 1, "LSR.DR with a byte");
    EXPECT_EQ(tc.rx_ready_calls, 0, "rx_ready before room");
    EXPECT_EQ(ur(u, RBR), 'A', "RBR");
    EXPECT_EQ(tc.rx_ready_calls, 1, "rx_ready once room appears");
    EXPECT_EQ(ur(u, LSR) & 1, 0, "LSR.DR after the read");
    uw(u, FCR, 0x07); /* enable FIFO, clear both */
    EXPECT_EQ(ur(u, IIR) & 0xc0, 0xc0, "IIR FIFO-enabled bits");
    EXPECT_EQ(uart16550_input(u, in, 20), UART16550_FIFO_SIZE, "bytes taken with FIFO");
    for (unsigned i = 0; i < UART16550_FIFO_SIZE; i++) {
        EXPECT_EQ(ur(u, LSR) & 1, 1, "LSR.DR while data is queued");
        EXPECT_EQ(ur(u, RBR), 'A' + i, "FIFO order");
    }
    EXPECT_EQ(ur(u, LSR) & 1, 0, "LSR.DR once empty");
    EXPECT_EQ(ur(u, RBR), 0, "RBR of an empty FIFO"); /* no stale byte, no crash */
    EXPECT_EQ(tc.rx_ready_calls, 2, "rx_ready after the full FIFO drained");
    EXPECT_EQ(uart16550_input(u, in, 5), 5, "refill");
    uw(u, FCR, 0x03); /* clear RX */
    EXPECT_EQ(ur(u, LSR) & 1, 0, "FCR RX clear empties the FIFO");
    group_end();
    uart16550_free(u);
}

static void test_uart_irq(void)
{
    struct fake_irq irq = {0};
    struct test_chr tc;
    test_chr_init(&tc);
    struct uart16550 *u = uart16550_new(&tc.chr, fake_line(&irq, 3), 0);
    const uint8_t b[4] = {1, 2, 3, 4};

    group("uart_rx_interrupt");
    uw(u, FCR, 0x01); /* FIFO on, trigger level 1 */
    uart16550_input(u, b, 1);
    EXPECT_EQ(irq.level[3], 0, "irq with RX interrupt disabled");
    uw(u, IER, 0x01);
    EXPECT_EQ(irq.level[3], 1, "irq once ERBFI is enabled with data");
    EXPECT_EQ(ur(u, IIR), 0xc4, "IIR: received data available");
    ur(u, RBR);
    EXPECT_EQ(irq.level[3], 0, "irq after reading the data");
    EXPECT_EQ(ur(u, IIR), 0xc1, "IIR: none");
    uw(u, FCR, 0x41); /* trigger level 4 */
    uart16550_input(u, b, 2);
    EXPECT_EQ(ur(u, IIR), 0xcc, "IIR: character timeout below the trigger level");
    uart16550_input(u, b, 2);
    EXPECT_EQ(ur(u, IIR), 0xc4, "IIR: data available at the trigger level");
    EXPECT_EQ(irq.level[3], 1, "irq at trigger level");
    group_end();

    group("uart_thre_interrupt");
    uw(u, FCR, 0x07); /* empty the RX side first */
    uw(u, IER, 0x00);
    EXPECT_EQ(irq.level[3], 0, "irq with IER 0");
    uw(u, IER, 0x02); /* THR is empty: enabling ETBEI must interrupt at once (Linux checks) */
    EXPECT_EQ(irq.level[3], 1, "irq when ETBEI is enabled");
    EXPECT_EQ(ur(u, IIR), 0xc2, "IIR: THR empty");
    EXPECT_EQ(irq.level[3], 0, "reading IIR acknowledges THRE");
    EXPECT_EQ(ur(u, IIR), 0xc1, "IIR after the acknowledge");
    uw(u, THR, 'x');
    EXPECT_EQ(irq.level[3], 1, "THRE again after a transmit");
    uw(u, IER, 0x03);
    uart16550_input(u, b, 1);
    EXPECT_EQ(ur(u, IIR), 0xc4, "RX data outranks THRE");
    ur(u, RBR);
    EXPECT_EQ(ur(u, IIR), 0xc2, "THRE still pending behind RX data");
    uw(u, IER, 0);
    uw(u, IER, 0x02);
    uw(u, THR, 'y'); /* a THR write also clears the latch before setting it again */
    EXPECT_EQ(ur(u, IIR), 0xc2, "THRE after a write");
    uw(u, IER, 0);
    EXPECT_EQ(irq.level[3], 0, "irq with IER 0 again");
    group_end();

    group("uart_loopback_overrun_msr");
    EXPECT_EQ(ur(u, MSR) & 0xf0, 0xb0, "MSR: DCD|DSR|CTS on a connected line");
    uw(u, MCR, 0x10); /* loopback, all outputs off */
    EXPECT_EQ(ur(u, MSR), 0x0b, "MSR in loopback: lines down, deltas DDCD|DDSR|DCTS");
    EXPECT_EQ(ur(u, MSR), 0x00, "MSR deltas clear on read");
    uw(u, MCR, 0x10 | 0x02 | 0x04); /* RTS -> CTS, OUT1 -> RI */
    EXPECT_EQ(ur(u, MSR), 0x51, "MSR: CTS|RI with DCTS");
    uw(u, MCR, 0x10 | 0x02);
    EXPECT_EQ(ur(u, MSR), 0x14, "MSR: RI trailing edge sets TERI");
    size_t nout = tc.nout;
    uw(u, FCR, 0x07);
    for (unsigned i = 0; i < UART16550_FIFO_SIZE + 1; i++)
        uw(u, THR, (uint8_t)(0x30 + i));
    EXPECT_EQ(tc.nout, nout, "loopback bytes reached the backend");
    uw(u, IER, 0x05); /* ELSI + ERBFI */
    EXPECT_EQ(ur(u, IIR), 0xc6, "IIR: receiver line status (overrun) first");
    EXPECT_EQ(ur(u, LSR) & 0x03, 0x03, "LSR: OE|DR");
    EXPECT_EQ(ur(u, LSR) & 0x02, 0x00, "LSR.OE clears on read");
    EXPECT_EQ(ur(u, IIR), 0xc4, "IIR: data once OE is read");
    EXPECT_EQ(ur(u, RBR), 0x30, "first looped byte");
    EXPECT_EQ(uart16550_input(u, b, 2), 2, "external input is dropped, not refused, in loopback");
    uw(u, MCR, 0);
    uw(u, IER, 0x08);
    EXPECT_EQ(irq.level[3], 1, "modem status interrupt after leaving loopback");
    EXPECT_EQ(ur(u, IIR) & 0x0f, 0x00, "IIR: modem status");
    EXPECT_EQ(ur(u, MSR), 0xba, "MSR connected again, deltas DDCD|DDSR (CTS unchanged)");
    EXPECT_EQ(irq.level[3], 0, "reading MSR clears the modem status interrupt");
    group_end();
    uart16550_free(u);
}

/* ---- PLIC ---- */

#define P_PRIO(src) (4u * (src))
#define P_PENDING(w) (0x1000u + 4u * (w))
#define P_ENABLE(ctx, w) (0x2000u + 0x80u * (ctx) + 4u * (w))
#define P_THRESH(ctx) (0x200000u + 0x1000u * (ctx))
#define P_CLAIM(ctx) (0x200004u + 0x1000u * (ctx))

static uint32_t pr(struct plic *p, uint64_t off)
{
    return (uint32_t)plic_mmio_ops.read(p, off, 4);
}

static void pw(struct plic *p, uint64_t off, uint32_t v)
{
    plic_mmio_ops.write(p, off, v, 4);
}

static void test_plic(void)
{
    struct fake_irq out = {0};
    struct plic *p = plic_new(PLIC_VIRT_NDEV, 2);
    group("plic_registers");
    if (!expect(p != NULL, "plic_new(96, 2) failed")) {
        group_end();
        return;
    }
    for (unsigned c = 0; c < 4; c++)
        plic_connect_context(p, c, fake_line(&out, c));
    EXPECT_EQ(plic_new(0, 1) == NULL, 1, "ndev 0 refused");
    EXPECT_EQ(plic_new(1024, 1) == NULL, 1, "ndev 1024 refused");
    EXPECT_EQ(plic_mmio_size(p) >= 0x204000, 1, "mmio size covers 4 contexts");
    pw(p, P_PRIO(5), 0xffffffff);
    EXPECT_EQ(pr(p, P_PRIO(5)), 7, "priority keeps 3 bits");
    pw(p, P_PRIO(0), 5);
    EXPECT_EQ(pr(p, P_PRIO(0)), 0, "source 0 has no priority");
    pw(p, P_PRIO(97), 5);
    EXPECT_EQ(pr(p, P_PRIO(97)), 0, "source 97 does not exist");
    pw(p, P_ENABLE(0, 0), 0xffffffff);
    EXPECT_EQ(pr(p, P_ENABLE(0, 0)), 0xfffffffe, "enable bit of source 0 is hardwired 0");
    pw(p, P_ENABLE(0, 3), 0xffffffff);
    EXPECT_EQ(pr(p, P_ENABLE(0, 3)), 0x1, "only source 96 exists in word 3");
    pw(p, P_ENABLE(0, 0), 0);
    pw(p, P_ENABLE(0, 3), 0);
    pw(p, P_THRESH(1), 0xff);
    EXPECT_EQ(pr(p, P_THRESH(1)), 7, "threshold keeps 3 bits");
    pw(p, P_THRESH(1), 0);
    EXPECT_EQ(pr(p, P_THRESH(4)), 0, "context 4 does not exist");
    EXPECT_EQ(pr(p, P_CLAIM(4)), 0, "claim of a missing context");
    plic_set_irq(p, 0, 1);   /* ignored */
    plic_set_irq(p, 97, 1);  /* ignored */
    plic_set_irq(p, 5000, 1); /* ignored */
    for (unsigned w = 0; w < 4; w++)
        EXPECT_EQ(pr(p, P_PENDING(w)), 0, "nothing pending");
    pw(p, P_PRIO(5), 0);
    group_end();

    group("plic_priority_claim_complete");
    pw(p, P_PRIO(5), 1);
    pw(p, P_PRIO(7), 3);
    pw(p, P_PRIO(40), 2);
    pw(p, P_ENABLE(0, 0), (1u << 5) | (1u << 7));
    pw(p, P_ENABLE(0, 1), 1u << (40 - 32));
    struct irq_line l5 = plic_irq_input(p, 5), l7 = plic_irq_input(p, 7),
                    l40 = plic_irq_input(p, 40);
    irq_set(&l5, 1);
    EXPECT_EQ(out.level[0], 1, "M context 0 notified");
    EXPECT_EQ(out.level[1], 0, "S context 1 not enabled");
    irq_set(&l7, 1);
    irq_set(&l40, 1);
    EXPECT_EQ(pr(p, P_PENDING(0)), (1u << 5) | (1u << 7), "pending word 0");
    EXPECT_EQ(pr(p, P_PENDING(1)), 1u << 8, "pending word 1 (source 40)");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 7, "first claim: highest priority");
    EXPECT_EQ(pr(p, P_PENDING(0)), 1u << 5, "claimed source no longer pending");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 40, "second claim");
    EXPECT_EQ(out.level[0], 1, "still notified for source 5");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 5, "third claim");
    EXPECT_EQ(out.level[0], 0, "notification gone with all claimed");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 0, "nothing left to claim");
    pw(p, P_CLAIM(0), 7); /* complete 7 while its line is still high */
    EXPECT_EQ(out.level[0], 1, "a still-high line is pending again after complete");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 7, "re-claim 7");
    irq_set(&l7, 0);
    pw(p, P_CLAIM(0), 7);
    EXPECT_EQ(out.level[0], 0, "low line stays quiet after complete");
    irq_set(&l7, 1);
    EXPECT_EQ(pr(p, P_CLAIM(0)), 7, "new request after the gateway reopened");
    irq_set(&l7, 1); /* raising again while claimed does nothing */
    EXPECT_EQ(pr(p, P_CLAIM(0)), 0, "no second claim while in service");
    irq_set(&l5, 0);
    irq_set(&l7, 0);
    irq_set(&l40, 0);
    pw(p, P_CLAIM(0), 5);
    pw(p, P_CLAIM(0), 7);
    pw(p, P_CLAIM(0), 40);
    EXPECT_EQ(pr(p, P_PENDING(0)) | pr(p, P_PENDING(1)), 0, "all idle");
    group_end();

    group("plic_threshold_ties_levels");
    irq_set(&l7, 1); /* priority 3 */
    pw(p, P_THRESH(0), 3);
    EXPECT_EQ(out.level[0], 0, "priority 3 does not beat threshold 3");
    pw(p, P_THRESH(0), 2);
    EXPECT_EQ(out.level[0], 1, "priority 3 beats threshold 2");
    pw(p, P_THRESH(0), 7);
    EXPECT_EQ(out.level[0], 0, "threshold 7 masks everything");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 7, "claims ignore the threshold");
    pw(p, P_CLAIM(0), 7);
    pw(p, P_THRESH(0), 0);
    irq_set(&l7, 0);
    EXPECT_EQ(out.level[0], 0, "line dropped before claim: no notification");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 0, "line dropped before claim: nothing to claim");
    pw(p, P_PRIO(10), 2);
    pw(p, P_PRIO(12), 2);
    pw(p, P_ENABLE(0, 0), (1u << 10) | (1u << 12));
    plic_set_irq(p, 12, 1);
    plic_set_irq(p, 10, 1);
    EXPECT_EQ(pr(p, P_CLAIM(0)), 10, "equal priority: lowest ID first");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 12, "then the next");
    plic_set_irq(p, 10, 0);
    plic_set_irq(p, 12, 0);
    pw(p, P_CLAIM(0), 10);
    pw(p, P_CLAIM(0), 12);
    pw(p, P_PRIO(10), 0);
    plic_set_irq(p, 10, 1);
    EXPECT_EQ(out.level[0], 0, "priority 0 never interrupts");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 0, "priority 0 is never claimed");
    plic_set_irq(p, 10, 0);
    group_end();

    group("plic_contexts");
    pw(p, P_ENABLE(0, 0), 0);
    pw(p, P_ENABLE(3, 0), 1u << 12); /* hart 1 S-mode only */
    plic_set_irq(p, 12, 1);
    EXPECT_EQ(out.level[3], 1, "hart 1 S context notified");
    EXPECT_EQ(out.level[0] | out.level[1] | out.level[2], 0, "other contexts quiet");
    EXPECT_EQ(pr(p, P_CLAIM(0)), 0, "context 0 cannot claim a source it has not enabled");
    EXPECT_EQ(pr(p, P_CLAIM(3)), 12, "context 3 claims");
    EXPECT_EQ(out.level[3], 0, "context 3 quiet while in service");
    pw(p, P_CLAIM(0), 12); /* not enabled in context 0: ignored */
    EXPECT_EQ(pr(p, P_CLAIM(3)), 0, "complete from the wrong context ignored");
    pw(p, P_ENABLE(2, 0), 1u << 12);
    pw(p, P_CLAIM(3), 12);
    EXPECT_EQ(out.level[2] & out.level[3], 1, "both enabled contexts notified");
    EXPECT_EQ(pr(p, P_CLAIM(2)), 12, "one context claims");
    EXPECT_EQ(out.level[2] | out.level[3], 0, "the other sees it gone");
    EXPECT_EQ(pr(p, P_CLAIM(3)), 0, "a source is claimed only once");
    pw(p, P_CLAIM(2), 12);
    plic_set_irq(p, 12, 0);
    /* 8-byte access: threshold (low word) and claim (high word) of context 2 */
    pw(p, P_THRESH(2), 1);
    plic_set_irq(p, 12, 1);
    uint64_t both = plic_mmio_ops.read(p, P_THRESH(2), 8);
    EXPECT_EQ(both, (12ull << 32) | 1, "64-bit read of threshold+claim");
    plic_mmio_ops.write(p, P_THRESH(2), (12ull << 32) | 0, 8);
    EXPECT_EQ(pr(p, P_THRESH(2)), 0, "64-bit write sets threshold");
    EXPECT_EQ(pr(p, P_CLAIM(2)), 12, "64-bit write completed 12 (line still high)");
    group_end();
    plic_free(p);
}

/* ---- ACLINT ---- */

#define C_MSIP(h) (4u * (h))
#define C_MTIMECMP(h) (0x4000u + 8u * (h))
#define C_MTIME 0xbff8u

static void test_aclint(void)
{
    struct fake_irq mtip = {0}, msip = {0};
    struct aclint *a = aclint_new(2);
    group("aclint_msip");
    if (!expect(a != NULL, "aclint_new(2) failed")) {
        group_end();
        return;
    }
    for (unsigned h = 0; h < 2; h++)
        aclint_connect(a, h, fake_line(&mtip, h), fake_line(&msip, h));
    EXPECT_EQ(aclint_new(0) == NULL, 1, "0 harts refused");
    aclint_mmio_ops.write(a, C_MSIP(1), 1, 4);
    EXPECT_EQ(msip.level[1], 1, "MSIP of hart 1 raised");
    EXPECT_EQ(msip.level[0], 0, "hart 0 untouched");
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MSIP(1), 4), 1, "msip reads back");
    aclint_mmio_ops.write(a, C_MSIP(0), 0xfffffffe, 4);
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MSIP(0), 4), 0, "msip bits 31:1 are hardwired 0");
    EXPECT_EQ(msip.level[0], 0, "bit 0 clear: no MSIP");
    aclint_mmio_ops.write(a, C_MSIP(1), 0, 4);
    EXPECT_EQ(msip.level[1], 0, "MSIP of hart 1 lowered");
    aclint_mmio_ops.write(a, C_MSIP(2), 1, 4); /* no hart 2: ignored */
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MSIP(2), 4), 0, "msip of a missing hart");
    group_end();

    group("aclint_mtime");
    vclock_start();
    uint64_t t0 = aclint_mmio_ops.read(a, C_MTIME, 8);
    sleep_ms(20);
    uint64_t t1 = aclint_mmio_ops.read(a, C_MTIME, 8);
    uint64_t lo = aclint_mmio_ops.read(a, C_MTIME, 4), hi = aclint_mmio_ops.read(a, C_MTIME + 4, 4);
    /* 20 ms at 10 MHz is 200000 ticks; allow a slow, loaded host up to 2 s */
    expect(t1 - t0 >= 200000 && t1 - t0 < 20000000, "mtime advanced %" PRIu64 " in 20 ms",
           t1 - t0);
    expect(t0 < 10000000, "mtime %" PRIu64 " not near 0 right after vclock_start", t0);
    expect(hi == 0 && lo >= t1, "32-bit halves lo %" PRIx64 " hi %" PRIx64, lo, hi);
    aclint_mmio_ops.write(a, C_MTIME, 0x123456789000ull, 8);
    uint64_t t2 = vclock_ticks();
    expect(t2 >= 0x123456789000ull && t2 < 0x123456789000ull + 20000000,
           "vclock after mtime write: 0x%" PRIx64, t2);
    aclint_mmio_ops.write(a, C_MTIME + 4, 0, 4); /* high half only */
    uint64_t t3 = aclint_mmio_ops.read(a, C_MTIME, 8);
    expect(t3 >= 0x56789000ull && t3 < 0x56789000ull + 20000000, "mtime after hi write 0x%" PRIx64,
           t3);
    vclock_start();
    group_end();

    group("aclint_timer");
    int err = evloop_start();
    expect(err == 0, "evloop_start: %d", err);
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MTIMECMP(0), 8), UINT64_MAX, "mtimecmp at reset");
    EXPECT_EQ(mtip.level[0] | mtip.level[1], 0, "no MTIP at reset");
    uint64_t now = vclock_ticks();
    uint64_t cmp0 = now + 300000; /* 30 ms */
    uint64_t cmp1 = now + 100000; /* 10 ms, written as two 32-bit halves, high first */
    aclint_mmio_ops.write(a, C_MTIMECMP(0), cmp0, 8);
    aclint_mmio_ops.write(a, C_MTIMECMP(1) + 4, (uint32_t)(cmp1 >> 32), 4);
    aclint_mmio_ops.write(a, C_MTIMECMP(1), (uint32_t)cmp1, 4);
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MTIMECMP(1), 8), cmp1, "mtimecmp from halves");
    EXPECT_EQ(aclint_mmio_ops.read(a, C_MTIMECMP(1) + 4, 4), cmp1 >> 32, "mtimecmp high half");
    EXPECT_EQ(mtip.level[0] | mtip.level[1], 0, "no MTIP before the deadline");
    expect(wait_level(&mtip, 1, 1, 2000), "hart 1 MTIP did not rise within 2 s");
    expect(wait_level(&mtip, 0, 1, 2000), "hart 0 MTIP did not rise within 2 s");
    expect(mtip.rise_ticks[1] >= cmp1, "hart 1 MTIP early: at %" PRIu64 " < %" PRIu64,
           (uint64_t)mtip.rise_ticks[1], cmp1);
    expect(mtip.rise_ticks[0] >= cmp0, "hart 0 MTIP early: at %" PRIu64 " < %" PRIu64,
           (uint64_t)mtip.rise_ticks[0], cmp0);
    expect(mtip.rise_ticks[1] <= mtip.rise_ticks[0], "timers fired out of order");
    aclint_mmio_ops.write(a, C_MTIMECMP(0), UINT64_MAX, 8);
    EXPECT_EQ(mtip.level[0], 0, "MTIP cleared when mtimecmp moves past mtime");
    EXPECT_EQ(mtip.level[1], 1, "hart 1 still pending");
    aclint_mmio_ops.write(a, C_MTIMECMP(0), 0, 8);
    EXPECT_EQ(mtip.level[0], 1, "mtimecmp in the past raises MTIP at once");
    /* re-arm, then cancel before the deadline: MTIP must not come */
    aclint_mmio_ops.write(a, C_MTIMECMP(1), vclock_ticks() + 100000, 8);
    EXPECT_EQ(mtip.level[1], 0, "hart 1 cleared by a future mtimecmp");
    aclint_mmio_ops.write(a, C_MTIMECMP(1), UINT64_MAX, 8);
    sleep_ms(30);
    EXPECT_EQ(mtip.level[1], 0, "cancelled timer fired anyway");
    /* moving mtime forward past mtimecmp raises MTIP without waiting */
    aclint_mmio_ops.write(a, C_MTIMECMP(1), vclock_ticks() + 50000000, 8); /* 5 s */
    aclint_mmio_ops.write(a, C_MTIME, vclock_ticks() + 60000000, 8);
    EXPECT_EQ(mtip.level[1], 1, "mtime write past mtimecmp");
    vclock_start();
    aclint_mmio_ops.write(a, C_MTIMECMP(1), UINT64_MAX, 8);
    group_end();
    aclint_free(a);
}

/* ---- event loop ---- */

struct order_rec {
    _Atomic unsigned n;
    int seq[8];
};

struct order_timer {
    struct order_rec *rec;
    int id;
    uint64_t deadline, ran_at;
};

static void order_cb(void *opaque)
{
    struct order_timer *t = opaque;
    unsigned i = t->rec->n;
    t->ran_at = evloop_now_ns();
    if (i < 8)
        t->rec->seq[i] = t->id;
    t->rec->n = i + 1;
}

struct pipe_rec {
    int fd;
    _Atomic unsigned calls;
    _Atomic uint32_t events;
    char got;
};

static void pipe_cb(void *opaque, uint32_t events)
{
    struct pipe_rec *r = opaque;
    if (read(r->fd, &r->got, 1) != 1)
        r->got = '?';
    r->events = events;
    r->calls++;
}

/* deletes its own registration from inside the callback (must not wait for itself) */
static void pipe_cb_self_del(void *opaque, uint32_t events)
{
    struct pipe_rec *r = opaque;
    if (read(r->fd, &r->got, 1) != 1)
        r->got = '?';
    evloop_del_fd(r->fd);
    r->calls++;
}

static void test_evloop(void)
{
    group("evloop_timers");
    int err = evloop_start();
    expect(err == 0, "evloop_start: %d", err);
    struct order_rec rec = {0};
    struct order_timer ot[4] = {{&rec, 1, 0, 0}, {&rec, 2, 0, 0}, {&rec, 3, 0, 0}, {&rec, 4, 0, 0}};
    struct evtimer *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = evloop_timer_new(order_cb, &ot[i]);
    expect(t[0] && t[1] && t[2] && t[3], "evloop_timer_new failed");
    uint64_t now = evloop_now_ns();
    ot[0].deadline = now + 25000000;
    ot[1].deadline = now + 10000000;
    ot[2].deadline = now + 20000000;
    evloop_timer_mod(t[0], now + 30000000);
    evloop_timer_mod(t[1], ot[1].deadline);
    evloop_timer_mod(t[2], ot[2].deadline);
    evloop_timer_mod(t[3], now + 15000000);
    EXPECT_EQ(evloop_timer_armed(t[3]), 1, "armed");
    evloop_timer_del(t[3]); /* cancelled: must never run */
    EXPECT_EQ(evloop_timer_armed(t[3]), 0, "disarmed by del");
    evloop_timer_mod(t[0], ot[0].deadline); /* moved: runs once, at the new time */
    for (int i = 0; i < 2000 && rec.n < 3; i++)
        sleep_ms(1);
    sleep_ms(20);
    EXPECT_EQ(rec.n, 3, "callbacks run");
    expect(rec.seq[0] == 2 && rec.seq[1] == 3 && rec.seq[2] == 1, "order %d %d %d, want 2 3 1",
           rec.seq[0], rec.seq[1], rec.seq[2]);
    for (int i = 0; i < 3; i++)
        expect(ot[i].ran_at >= ot[i].deadline && ot[i].ran_at < ot[i].deadline + 2000000000ull,
               "timer %d ran %" PRId64 " ns from its deadline", i + 1,
               (int64_t)(ot[i].ran_at - ot[i].deadline));
    EXPECT_EQ(ot[3].ran_at, 0, "the cancelled timer ran");
    evloop_timer_mod(t[1], 0); /* already due */
    for (int i = 0; i < 2000 && rec.n < 4; i++)
        sleep_ms(1);
    EXPECT_EQ(rec.n, 4, "a past deadline fires at once");
    evloop_timer_mod(t[2], UINT64_MAX); /* never */
    EXPECT_EQ(evloop_timer_armed(t[2]), 0, "UINT64_MAX does not arm");
    for (int i = 0; i < 4; i++)
        evloop_timer_free(t[i]);
    group_end();

    group("evloop_fd");
    int pfd[2];
    if (!expect(pipe(pfd) == 0, "pipe: %s", strerror(errno))) {
        group_end();
        return;
    }
    struct pipe_rec pr_ = {.fd = pfd[0]};
    EXPECT_EQ(evloop_add_fd(pfd[0], EPOLLIN, pipe_cb, &pr_), 0, "add");
    EXPECT_EQ(evloop_add_fd(pfd[0], EPOLLIN, pipe_cb, &pr_), (uint64_t)-EEXIST, "add twice");
    EXPECT_EQ(evloop_mod_fd(12345, EPOLLIN), (uint64_t)-ENOENT, "mod of an unknown fd");
    EXPECT_EQ(write(pfd[1], "z", 1), 1, "pipe write");
    for (int i = 0; i < 2000 && pr_.calls == 0; i++)
        sleep_ms(1);
    EXPECT_EQ(pr_.calls, 1, "callback count");
    EXPECT_EQ(pr_.got, 'z', "byte read by the callback");
    EXPECT_EQ(pr_.events & EPOLLIN, EPOLLIN, "events");
    evloop_del_fd(pfd[0]);
    EXPECT_EQ(write(pfd[1], "y", 1), 1, "pipe write");
    sleep_ms(20);
    EXPECT_EQ(pr_.calls, 1, "no callback after del");
    /* re-adding the same fd works once deleted; this owner deletes itself when called */
    EXPECT_EQ(evloop_add_fd(pfd[0], EPOLLIN, pipe_cb_self_del, &pr_), 0, "re-add after del");
    for (int i = 0; i < 2000 && pr_.calls < 2; i++)
        sleep_ms(1);
    EXPECT_EQ(pr_.calls, 2, "callback of the re-added fd");
    EXPECT_EQ(pr_.got, 'y', "byte read after re-add");
    EXPECT_EQ(write(pfd[1], "x", 1), 1, "pipe write");
    sleep_ms(20);
    EXPECT_EQ(pr_.calls, 2, "no callback after the self-delete");
    EXPECT_EQ(evloop_add_fd(pfd[0], EPOLLIN, pipe_cb, &pr_), 0, "add after self-delete");
    evloop_del_fd(pfd[0]);
    close(pfd[0]);
    close(pfd[1]);
    evloop_stop();
    EXPECT_EQ(evloop_start(), 0, "restart after stop");
    group_end();
}

/* ---- syscon ---- */

struct syscon_rec {
    unsigned calls;
    enum syscon_action action;
    unsigned code;
};

static void syscon_rec_cb(void *opaque, enum syscon_action action, unsigned code)
{
    struct syscon_rec *r = opaque;
    r->calls++;
    r->action = action;
    r->code = code;
}

static void test_syscon(void)
{
    struct syscon_rec r = {0};
    struct syscon *s = syscon_new(syscon_rec_cb, &r);
    group("syscon_poweroff");
    syscon_mmio_ops.write(s, 0, 0x1234, 4);
    syscon_mmio_ops.write(s, 4, 0x5555, 4);
    syscon_mmio_ops.write(s, 0, 0x55, 1);
    EXPECT_EQ(r.calls, 0, "unrecognised writes");
    syscon_mmio_ops.write(s, 0, 0x5555, 4);
    expect(r.calls == 1 && r.action == SYSCON_POWEROFF && r.code == 0, "0x5555: %u calls, %d/%u",
           r.calls, r.action, r.code);
    syscon_mmio_ops.write(s, 0, 0x7777, 4);
    expect(r.calls == 2 && r.action == SYSCON_RESET, "0x7777: %u calls, action %d", r.calls,
           r.action);
    syscon_mmio_ops.write(s, 0, (42u << 16) | 0x3333, 4);
    expect(r.calls == 3 && r.action == SYSCON_FAIL && r.code == 42, "fail: %u calls, %d/%u",
           r.calls, r.action, r.code);
    EXPECT_EQ(syscon_mmio_ops.read(s, 0, 4), 0, "reads 0");
    group_end();
    syscon_free(s);
}

int main(void)
{
    vclock_start();
    test_uart_regs();
    test_uart_fifo();
    test_uart_irq();
    test_plic();
    test_evloop();
    test_aclint();
    test_syscon();
    evloop_stop();
    return n_failed_groups ? 1 : 0;
}
