/*
 * The part of every guest CPU that the engines know about. Each guest's CPU struct
 * (struct rv_cpu, later struct a64_cpu, struct x86_cpu) has `struct cpu_common c` as its
 * first member, so IR GET/PUT offsets are offsets from the start of the guest struct and
 * engines only ever hold a struct cpu_common *.
 *
 * Invariants:
 * - c.pc is the guest pc of the next instruction to run whenever control is in the run
 *   loop, and the pc of the faulting instruction while a may-fault op runs (engines keep
 *   it so; see exec.h), so exceptions are precise.
 * - exit_request is written by other threads (signals, interrupts, pause) and read by the
 *   vCPU at every block entry.
 * - fp_flags accumulates IR_FPF_* bits; fp_rm holds the dynamic rounding mode (IR_RM_*).
 */
#ifndef OMNIVM_CORE_CPU_H
#define OMNIVM_CORE_CPU_H

#include <setjmp.h>
#include <stdint.h>

struct exec_ctx;
struct guest_arch;
struct tlb;

struct cpu_common {
    uint64_t pc;
    uint32_t fp_flags;
    uint32_t fp_rm;
    volatile uint32_t exit_request;
    uint32_t tb_flags;           /* translation mode key (privilege, FP state, ...) */
    uint64_t icount;             /* guest instructions retired (block granularity) */

    /* guest memory in user mode: host = mem_base + (addr & mem_mask) */
    uintptr_t mem_base;
    uint64_t mem_mask;

    /* the pending exception when an engine leaves with EXEC_EXCEPTION */
    uint32_t excp;               /* guest-specific cause code */
    uint32_t excp_pad;
    uint64_t excp_tval;          /* faulting address or instruction bits */

    /* read guest code for translation: 0, or -EFAULT if addr is not executable */
    int (*fetch)(struct cpu_common *c, uint64_t addr, void *buf, unsigned len);

    const struct guest_arch *arch;
    struct exec_ctx *exec;       /* the engine's per-vCPU state */
    sigjmp_buf *jmp_env;         /* where cpu_exit_exception() lands; set by the run loop */
    void *opaque;                /* owner (linux-user thread, machine hart) */

    /* system mode: the SoftMMU (mem/tlb.h) memory ops go through; NULL in user mode,
     * where guest memory is mem_base + (addr & mem_mask) */
    struct tlb *tlb;
};

/* Exception causes every guest shares in user mode (cpu_common.excp); a guest's own
 * causes (system mode) are below 0x10000. */
#define CPU_EXCP_SEGV_MAPERR 0x10001u /* access to an unmapped guest address (tval) */
#define CPU_EXCP_SEGV_ACCERR 0x10002u /* access against the page protection (tval) */
#define CPU_EXCP_BUS_ADRALN 0x10003u  /* misaligned atomic (tval) */
#define CPU_EXCP_FETCH 0x10004u       /* instruction fetch from a non-executable page */
#define CPU_EXCP_ILLEGAL 0x10005u     /* illegal instruction found at run time (tval: bits) */

/* Leave the current block with a guest exception (cause, tval); c.pc must already be the
 * faulting instruction's pc. Used by helpers and the host fault handler. */
_Noreturn void cpu_exit_exception(struct cpu_common *c, uint32_t cause, uint64_t tval);

#endif
