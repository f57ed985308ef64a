/*
 * RISC-V system mode: a hart with M, S and U privilege, its CSRs, traps, interrupts and
 * SoftMMU, as used by a board (src/board/riscv_virt.c). Everything here is per hart;
 * devices reach a hart only through rv_hart_set_irq (an irq_line target) and the
 * shared virtual clock (core/vclock.h).
 */
#ifndef OMNIVM_GUEST_RISCV_RV_SYS_H
#define OMNIVM_GUEST_RISCV_RV_SYS_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/exec.h"
#include "mem/physmap.h"

struct rv_cpu;

/* mip bit numbers, usable as irq_line.n with rv_hart_set_irq */
#define RV_IRQ_SSIP 1
#define RV_IRQ_MSIP 3
#define RV_IRQ_STIP 5
#define RV_IRQ_MTIP 7
#define RV_IRQ_SEIP 9
#define RV_IRQ_MEIP 11

/* What a hart implements, for the device tree's riscv,isa / riscv,isa-extensions
 * (Svpbmt, Svnapot, Svadu and the H extension are absent; Zicbom/Zicboz blocks are
 * RV_CBO_BLOCK_SIZE bytes: riscv,cbom-block-size and riscv,cboz-block-size). Sv39, Sv48
 * and Sv57 are supported unless satp_modes restricts them; mmu-type names the largest. */
#define RV_HART_ISA \
    "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_zicbom_zicboz_zicond_zba_zbb_zbs_sstc"
#define RV_CBO_BLOCK_SIZE 64
#define RV_SATP_SV39 (1u << 8)
#define RV_SATP_SV48 (1u << 9)
#define RV_SATP_SV57 (1u << 10)

struct rv_hart_config {
    unsigned hartid;
    struct physmap *pm;
    const char *isa;          /* e.g. "rv64imafdc_zicsr_zifencei_zba_zbb_zbs_sstc" */
    unsigned satp_modes;      /* bit per supported mode: 1<<8 Sv39, 1<<9 Sv48, 1<<10 Sv57
                                 (0: all three) */
};

/* Creates a hart in M-mode at reset state; attaches the engine (exec_ctx_new). */
struct rv_cpu *rv_hart_new(const struct rv_hart_config *cfg);
void rv_hart_free(struct rv_cpu *cpu);

/* Reset: M-mode, pc, a0 = hartid, a1 = arg (the device tree address by convention);
 * other registers 0 (set e.g. cpu->x[12] afterwards for OpenSBI's fw_dynamic info).
 * Call while the hart is not running; it clears an earlier rv_hart_stop(). */
void rv_hart_reset(struct rv_cpu *cpu, uint64_t pc, uint64_t a1);

/* irq_line target: set/clear a mip bit (RV_IRQ_*), wake the hart if it sleeps in WFI. */
void rv_hart_set_irq(void *hart, unsigned irq, int level);

/* Runs the hart on the calling thread until rv_hart_stop() is called on it (by a device
 * powering off, the console's quit key, or another hart). Handles exceptions as guest
 * traps, interrupts, and WFI by sleeping until an interrupt or timer is due. */
void rv_hart_run(struct rv_cpu *cpu);
void rv_hart_stop(struct rv_cpu *cpu);

void rv_hart_dump(struct rv_cpu *cpu); /* registers and CSRs to stderr */

#endif
