/*
 * The RISC-V 64 guest as the engines see it: struct guest_arch rv64_arch, tying the
 * translator, the disassembler and the register dump to struct rv_cpu.
 */
#include <elf.h>

#include "exec/guest.h"
#include "guest/riscv/rv_internal.h"

int rv_translate(struct cpu_common *cpu, struct ir_block *b, unsigned max_insns);

static const char *const rv_xname[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

static void rv_dump_regs(FILE *f, const struct cpu_common *c)
{
    const struct rv_cpu *cpu = (const struct rv_cpu *)c;
    fprintf(f, " pc       %016llx\n", (unsigned long long)c->pc);
    for (unsigned i = 0; i < 32; i++)
        fprintf(f, " x%-2u/%-4s %016llx%s", i, rv_xname[i], (unsigned long long)cpu->x[i],
                (i & 3) == 3 ? "\n" : "");
    for (unsigned i = 0; i < 32; i++)
        fprintf(f, " f%-2u      %016llx%s", i, (unsigned long long)cpu->f[i],
                (i & 3) == 3 ? "\n" : "");
    fprintf(f, " fcsr     %08x (frm %u fflags %02x)\n", c->fp_rm << 5 | c->fp_flags, c->fp_rm,
            c->fp_flags);
}

const struct guest_arch rv64_arch = {
    .name = "riscv64",
    .elf_machine = EM_RISCV,
    .cpu_size = sizeof(struct rv_cpu),
    .translate = rv_translate,
    .disas = rv_disas,
    .dump_regs = rv_dump_regs,
};
