/*
 * The RISC-V Platform-Level Interrupt Controller (SiFive PLIC, devicetree binding
 * "sifive,plic-1.0.0" / "riscv,plic0"): level-triggered sources 1..ndev, 3-bit
 * priorities, and two contexts per hart, context 2h for hart h's M-mode (MEIP) and 2h+1
 * for its S-mode (SEIP), as on QEMU's virt machine.
 *
 * Register map (offsets from the base):
 *   0x000000 + 4*src          priority of source src (0 = never interrupts)
 *   0x001000 + 4*(src/32)     pending bits (read-only)
 *   0x002000 + 0x80*ctx       enable bits of context ctx, 32 sources per word
 *   0x200000 + 0x1000*ctx     priority threshold of ctx; +4: claim (read) / complete (write)
 */
#ifndef OMNIVM_HW_PLIC_H
#define OMNIVM_HW_PLIC_H

#include <stdint.h>

#include "hw/irq.h"
#include "mem/physmap.h"

/* QEMU virt's choice: riscv,ndev = 96 (sources 1..96), room for 512 harts' contexts. */
#define PLIC_VIRT_NDEV 96
#define PLIC_VIRT_MMIO_SIZE 0x600000
#define PLIC_MAX_NDEV 1023
#define PLIC_MAX_PRIORITY 7 /* 3 priority bits */

struct plic;

/* ndev sources (1..PLIC_MAX_NDEV) and 2 * nharts contexts. NULL on bad arguments or no
 * memory. The region the board maps must cover 0x200000 + 0x1000 * 2 * nharts bytes
 * (plic_mmio_size); PLIC_VIRT_MMIO_SIZE does for up to 512 harts. */
struct plic *plic_new(unsigned ndev, unsigned nharts);
void plic_free(struct plic *p);
uint64_t plic_mmio_size(const struct plic *p);

extern const struct mmio_ops plic_mmio_ops; /* opaque: the struct plic */

/* Source n's input level (an irq_line target: opaque is the plic). Sources outside
 * 1..ndev are ignored. */
void plic_set_irq(void *plic, unsigned n, int level);
struct irq_line plic_irq_input(struct plic *p, unsigned n);

/* Context ctx's output (2h: hart h MEIP, 2h+1: hart h SEIP). The board wires it to
 * rv_hart_set_irq with RV_IRQ_MEIP / RV_IRQ_SEIP. Out-of-range ctx: ignored. */
void plic_connect_context(struct plic *p, unsigned ctx, struct irq_line out);

#endif
