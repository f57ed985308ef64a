/*
 * An NS16550A UART as Linux's 8250 driver and OpenSBI's uart8250 driver program it: the
 * ten registers with the DLAB divisor latch, a 16-byte receive FIFO, and one level
 * interrupt output. Transmission is instant (THR is always empty again after a write);
 * received bytes come from a struct chardev backend.
 *
 * The board maps uart16550_mmio_ops at the UART's base (QEMU virt: 0x10000000, size
 * UART16550_MMIO_SIZE, reg-shift 0) and wires the irq line (PLIC source 10 on virt).
 */
#ifndef OMNIVM_HW_UART16550_H
#define OMNIVM_HW_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "hw/chardev.h"
#include "hw/irq.h"
#include "mem/physmap.h"

#define UART16550_MMIO_SIZE 0x100
#define UART16550_FIFO_SIZE 16

struct uart16550;

/* chr may be NULL (output discarded, no input). reg_shift: register i is at offset
 * i << reg_shift (0 on QEMU virt; 2 for 32-bit spaced registers). The UART attaches
 * itself as chr's frontend. Returns NULL on allocation failure. */
struct uart16550 *uart16550_new(struct chardev *chr, struct irq_line irq, unsigned reg_shift);
void uart16550_free(struct uart16550 *u); /* detaches from the chardev */

extern const struct mmio_ops uart16550_mmio_ops; /* opaque: the struct uart16550 */

/* Received bytes (normally from the event loop): queues what fits in the receive FIFO
 * and returns that count; the chardev's rx_ready() says when more fits. */
size_t uart16550_input(struct uart16550 *u, const uint8_t *buf, size_t n);

#endif
