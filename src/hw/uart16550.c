/*
 * NS16550A UART (register-level model of the National Semiconductor / TI datasheet).
 *
 * Invariants (all under u->lock):
 * - The transmitter is always idle: a THR write hands the byte to the backend at once,
 *   so LSR.THRE and LSR.TEMT always read 1. thr_pending is the 16550's "THRE interrupt"
 *   latch: set when THR becomes empty (after a write, or when IER.ETBEI is turned on
 *   while empty), cleared by reading IIR while it reports THRE or by a THR write.
 * - The receive FIFO holds rx_count bytes starting at rx_head; its capacity is 16 with
 *   FCR.FIFOE set and 1 (the 16450 holding register) without.
 * - irq_level always equals "IIR reports an interrupt"; update_irq() is called after
 *   every state change, so the line is level-accurate.
 * - The character timeout interrupt (IIR 0xC) is reported as soon as the FIFO holds
 *   data below the trigger level: a virtual line has no character time worth waiting for,
 *   and drivers treat it like "data available".
 * - Modem lines: without loopback the line is connected (DCD, DSR, CTS set); in loopback
 *   the MCR outputs drive MSR as the datasheet wires them, with delta bits.
 */
#include "hw/uart16550.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* register numbers (offset >> reg_shift) */
enum { UART_RBR_THR = 0, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_FIFOE 0x01
#define FCR_RXCLR 0x02
#define FCR_TXCLR 0x04

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct uart16550 {
    pthread_mutex_t lock;
    struct chardev *chr;
    struct irq_line irq;
    unsigned reg_shift;

    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool fifo_en;
    uint8_t rx_trigger; /* 1, 4, 8 or 14 */
    uint8_t lsr_err;    /* LSR error bits (OE) until LSR is read */
    uint8_t msr;        /* line status (high nibble) and deltas (low nibble) */
    bool thr_pending;

    uint8_t rx[UART16550_FIFO_SIZE];
    unsigned rx_head, rx_count;
    bool rx_blocked; /* input was refused for lack of room: tell the backend on room */

    int irq_level;
};

static unsigned uart_rx_cap(const struct uart16550 *u)
{
    return u->fifo_en ? UART16550_FIFO_SIZE : 1;
}

static uint8_t uart_iir(const struct uart16550 *u)
{
    uint8_t id;
    if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_OE))
        id = IIR_RLSI;
    else if ((u->ier & IER_ERBFI) && u->rx_count)
        id = !u->fifo_en || u->rx_count >= u->rx_trigger ? IIR_RDI : IIR_CTI;
    else if ((u->ier & IER_ETBEI) && u->thr_pending)
        id = IIR_THRI;
    else if ((u->ier & IER_EDSSI) && (u->msr & 0x0f))
        id = IIR_MSI;
    else
        id = IIR_NONE;
    return id | (u->fifo_en ? IIR_FIFO : 0);
}

static void uart_update_irq(struct uart16550 *u)
{
    int level = !(uart_iir(u) & IIR_NONE);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* New modem input lines (high nibble of MSR): record deltas as the datasheet defines. */
static void uart_set_modem_lines(struct uart16550 *u, uint8_t lines)
{
    uint8_t old = u->msr & 0xf0, changed = old ^ lines;
    uint8_t delta = u->msr & 0x0f;
    if (changed & MSR_CTS)
        delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        delta |= MSR_DDSR;
    if (changed & MSR_DCD)
        delta |= MSR_DDCD;
    if ((old & MSR_RI) && !(lines & MSR_RI)) /* trailing edge of ring indicator */
        delta |= MSR_TERI;
    u->msr = lines | delta;
}

static void uart_modem_from_mcr(struct uart16550 *u)
{
    uint8_t lines = MSR_DCD | MSR_DSR | MSR_CTS;
    if (u->mcr & MCR_LOOP) {
        lines = 0;
        if (u->mcr & MCR_RTS)
            lines |= MSR_CTS;
        if (u->mcr & MCR_DTR)
            lines |= MSR_DSR;
        if (u->mcr & MCR_OUT1)
            lines |= MSR_RI;
        if (u->mcr & MCR_OUT2)
            lines |= MSR_DCD;
    }
    uart_set_modem_lines(u, lines);
}

/* Queues one byte; false (and an overrun) if the FIFO is full. */
static bool uart_rx_push(struct uart16550 *u, uint8_t b)
{
    if (u->rx_count >= uart_rx_cap(u)) {
        u->lsr_err |= LSR_OE;
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = b;
    u->rx_count++;
    return true;
}

static void uart_rx_clear(struct uart16550 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
}

/* Called with the lock held after anything that can make room; the caller notifies the
 * backend after unlocking when this returns true. */
static bool uart_rx_room_check(struct uart16550 *u)
{
    if (u->rx_blocked && u->rx_count < uart_rx_cap(u)) {
        u->rx_blocked = false;
        return true;
    }
    return false;
}

static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v = 0;
    bool room = false;
    if (offset & ((1u << u->reg_shift) - 1))
        return 0;
    pthread_mutex_lock(&u->lock);
    switch (offset >> u->reg_shift) {
    case UART_RBR_THR:
        if (u->lcr & LCR_DLAB) {
            v = u->dll;
        } else if (u->rx_count) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
            u->rx_count--;
            room = uart_rx_room_check(u);
        }
        break;
    case UART_IER:
        v = u->lcr & LCR_DLAB ? u->dlm : u->ier;
        break;
    case UART_IIR_FCR:
        v = uart_iir(u);
        /* reading IIR while it names THRE is what acknowledges that interrupt */
        if ((v & 0x0f) == IIR_THRI)
            u->thr_pending = false;
        break;
    case UART_LCR:
        v = u->lcr;
        break;
    case UART_MCR:
        v = u->mcr;
        break;
    case UART_LSR:
        v = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_count ? LSR_DR : 0);
        u->lsr_err = 0;
        break;
    case UART_MSR:
        v = u->msr;
        u->msr &= 0xf0;
        break;
    case UART_SCR:
        v = u->scr;
        break;
    default:
        break;
    }
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
    if (room)
        chardev_rx_ready(u->chr);
    return v;
}

static void uart_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v = (uint8_t)value;
    bool room = false;
    if (offset & ((1u << u->reg_shift) - 1))
        return;
    pthread_mutex_lock(&u->lock);
    switch (offset >> u->reg_shift) {
    case UART_RBR_THR:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
            break;
        }
        if (u->mcr & MCR_LOOP)
            uart_rx_push(u, v); /* loopback: the transmitter feeds the receiver */
        else
            chardev_write(u->chr, &v, 1);
        u->thr_pending = true; /* sent at once: THR is empty again */
        break;
    case UART_IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
            break;
        }
        /* Turning ETBEI on while THR is empty raises THRE at once; Linux's startup
         * checks exactly this (UART_BUG_TXEN / UART_BUG_THRE). */
        if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
            u->thr_pending = true;
        u->ier = v & 0x0f;
        break;
    case UART_IIR_FCR:
        if ((v & FCR_FIFOE) != u->fifo_en) {
            /* switching between FIFO and 16450 mode empties the FIFOs */
            u->fifo_en = v & FCR_FIFOE;
            uart_rx_clear(u);
        }
        if (u->fifo_en) {
            static const uint8_t trig[4] = {1, 4, 8, 14};
            if (v & FCR_RXCLR)
                uart_rx_clear(u);
            u->rx_trigger = trig[v >> 6];
        }
        room = uart_rx_room_check(u);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        uart_modem_from_mcr(u);
        break;
    case UART_SCR:
        u->scr = v;
        break;
    default: /* LSR and MSR are read-only */
        break;
    }
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
    if (room)
        chardev_rx_ready(u->chr);
}

const struct mmio_ops uart16550_mmio_ops = {.read = uart_read, .write = uart_write};

size_t uart16550_input(struct uart16550 *u, const uint8_t *buf, size_t n)
{
    size_t taken = 0;
    pthread_mutex_lock(&u->lock);
    if (u->mcr & MCR_LOOP) {
        /* loopback disconnects the serial input: the bytes are lost, as on the chip */
        taken = n;
    } else {
        while (taken < n && u->rx_count < uart_rx_cap(u))
            uart_rx_push(u, buf[taken++]);
        if (taken < n)
            u->rx_blocked = true;
    }
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return taken;
}

static size_t uart_fe_input(void *fe, const uint8_t *buf, size_t len)
{
    return uart16550_input(fe, buf, len);
}

struct uart16550 *uart16550_new(struct chardev *chr, struct irq_line irq, unsigned reg_shift)
{
    struct uart16550 *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    pthread_mutex_init(&u->lock, NULL);
    u->chr = chr;
    u->irq = irq;
    u->reg_shift = reg_shift < 8 ? reg_shift : 0;
    u->rx_trigger = 1;
    u->dll = 12; /* 9600 baud at 1.8432 MHz, a common power-on value */
    u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    if (chr) {
        chr->fe = u;
        chr->fe_input = uart_fe_input;
    }
    return u;
}

void uart16550_free(struct uart16550 *u)
{
    if (!u)
        return;
    if (u->chr && u->chr->fe == u) {
        u->chr->fe_input = NULL;
        u->chr->fe = NULL;
    }
    pthread_mutex_destroy(&u->lock);
    free(u);
}
