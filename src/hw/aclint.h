/*
 * The core-local interruptor in the SiFive CLINT layout that QEMU virt, OpenSBI
 * ("sifive,clint0" / "riscv,clint0") and Linux use: one MSWI (msip) and one MTIMER
 * (mtimecmp per hart, one shared mtime) in a 64 KiB window.
 *
 *   0x0000 + 4*h   msip of hart h (bit 0)          -> MSIP of hart h
 *   0x4000 + 8*h   mtimecmp of hart h (64 bits)    -> MTIP of hart h while mtime >= mtimecmp
 *   0xbff8         mtime (64 bits) = vclock_ticks() (core/vclock.h, VCLOCK_HZ)
 *
 * Any access width (1, 2, 4, 8) works on the 64-bit registers, so 32-bit halves can be
 * written one at a time. Timers run on the event loop (core/evloop.h), which the board
 * must have started for MTIP to rise by itself.
 */
#ifndef OMNIVM_HW_ACLINT_H
#define OMNIVM_HW_ACLINT_H

#include <stdint.h>

#include "hw/irq.h"
#include "mem/physmap.h"

#define ACLINT_MMIO_SIZE 0x10000
#define ACLINT_MAX_HARTS 4095

struct aclint;

/* NULL on bad nharts, no memory or an event loop that cannot be set up. mtimecmp starts
 * at UINT64_MAX (no timer interrupt until the guest programs one). */
struct aclint *aclint_new(unsigned nharts);
void aclint_free(struct aclint *a); /* cancels its timers */

/* Hart h's outputs; the board wires them to rv_hart_set_irq with RV_IRQ_MTIP and
 * RV_IRQ_MSIP. Out-of-range h: ignored. */
void aclint_connect(struct aclint *a, unsigned hart, struct irq_line mtip, struct irq_line msip);

extern const struct mmio_ops aclint_mmio_ops; /* opaque: the struct aclint */

#endif
