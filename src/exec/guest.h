/*
 * The seam between engines and guest frontends: one struct guest_arch per guest
 * architecture. A frontend turns guest code into IR (the only place a guest
 * instruction's meaning is written) and knows its CPU layout; engines know nothing else
 * about the guest.
 */
#ifndef OMNIVM_EXEC_GUEST_H
#define OMNIVM_EXEC_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu.h"
#include "ir/ir.h"

struct guest_arch {
    const char *name;     /* "riscv64" */
    uint16_t elf_machine; /* EM_RISCV, ... */
    size_t cpu_size;      /* sizeof the guest's CPU struct (cpu_common first) */

    /*
     * Translate guest code at b->pc in mode b->tb_flags into b, at most max_insns
     * instructions, reading code with cpu->fetch. The block ends at a control transfer,
     * a page boundary, an instruction that changes translation state, or the limit.
     * Returns 0, or -EFAULT if not even the first instruction could be fetched (the run
     * loop then raises CPU_EXCP_FETCH at b->pc).
     */
    int (*translate)(struct cpu_common *cpu, struct ir_block *b, unsigned max_insns);

    /* Disassemble one instruction for -d in_asm; returns its length in bytes (0 if
     * fewer than needed bytes are available). */
    unsigned (*disas)(uint64_t pc, const uint8_t *code, size_t avail, char *out, size_t outlen);

    /* Print the guest registers (for -d cpu and crash reports). */
    void (*dump_regs)(FILE *f, const struct cpu_common *cpu);
};

extern const struct guest_arch rv64_arch;

#endif
