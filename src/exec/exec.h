/*
 * Execution engines and the translation-block cache, as seen by their users (linux-user,
 * later the machine's vCPU threads).
 *
 * exec_run() runs guest code on one vCPU until something needs its caller: a system
 * call, an exception, a halt, or an exit request. The caller handles it and calls again.
 * Translated code is cached per (pc, tb_flags) and shared by every vCPU; a write to guest
 * code is reported with exec_invalidate() (or exec_code_written() from a write fault),
 * after which no vCPU starts a block translated from the old bytes.
 */
#ifndef OMNIVM_EXEC_EXEC_H
#define OMNIVM_EXEC_EXEC_H

#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/cpu.h"
#include "exec/guest.h"
#include "ir/ir.h"

enum exec_engine { EXEC_INTERP, EXEC_JIT, EXEC_AUTO, EXEC_CHECK };

/* What exec_run() returns: an IR exit reason, or one of these. */
enum exec_result {
    EXEC_SYSCALL = IR_EXIT_SYSCALL,
    EXEC_EXCEPTION = IR_EXIT_EXCEPTION, /* cpu->excp / excp_tval say which; pc is exact */
    EXEC_ILLEGAL = IR_EXIT_ILLEGAL,     /* pc is the illegal instruction */
    EXEC_BREAK = IR_EXIT_BREAK,
    EXEC_HALT = IR_EXIT_HALT,
    EXEC_REQUEST = IR_NUM_EXITS,        /* exit_request was set; pc is the next block */
};

/* Engine names as the command line spells them: 0, or -EINVAL for an unknown name. */
static inline int exec_engine_parse(const char *name, enum exec_engine *e)
{
    static const char *const names[] = {[EXEC_INTERP] = "interp", [EXEC_JIT] = "jit",
                                        [EXEC_AUTO] = "auto", [EXEC_CHECK] = "check"};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i])) {
            *e = (enum exec_engine)i;
            return 0;
        }
    return -EINVAL;
}

struct exec_options {
    enum exec_engine engine;
    unsigned max_block_insns;  /* 0: the default */
    unsigned opt_passes;       /* IR_OPT_* mask, default IR_OPT_ALL */
    /* JIT (all 0: the defaults) */
    size_t jit_cache;          /* code cache bytes (--jit-cache) */
    unsigned jit_threshold;    /* --engine auto: interpreted runs before compiling */
    unsigned sb_threshold;     /* compiled runs before a superblock retranslation; ~0u: never */
    bool stats;                /* print statistics at exit (exec_report) */
};

/* Process-wide setup: which engine, block size. Call once before exec_ctx_new(). */
void exec_global_init(const struct exec_options *opt);

/* Per-vCPU engine state; attaches itself as cpu->exec. */
int exec_ctx_new(struct cpu_common *cpu) __attribute__((warn_unused_result));
void exec_ctx_free(struct cpu_common *cpu);

/* Run until an exit. cpu->pc says where to start. */
enum exec_result exec_run(struct cpu_common *cpu);

/* Guest code in [start, start+len) changed or went away: drop its translations. */
void exec_invalidate(uint64_t start, uint64_t len);

/*
 * Hook for the memory layer: called (under the cache lock) whenever a guest page gains
 * its first translated block, so it can be write-protected. (exec calls it just before it
 * reads the page's code for that block, so no store slips between the read and the
 * protection; in system mode the page is physical.) In user mode the protection
 * fault handler then calls exec_code_written(page) which drops the page's translations
 * and returns true if there were any (the handler then unprotects and retries).
 */
extern void (*exec_code_page_hook)(uint64_t guest_page);
bool exec_code_written(uint64_t guest_page);

/*
 * System mode: the vCPU's virtual-to-physical mapping changed (its TLB was flushed).
 * Blocks are keyed by physical page, but the per-vCPU jump cache is keyed by virtual pc,
 * so it must be forgotten. Call on the vCPU's own thread (helpers, the run loop).
 */
void exec_flush_jump_cache(struct cpu_common *cpu);

/* Around fork() in user mode: prepare before, parent/child after (the child keeps only
 * the calling vCPU). */
void exec_fork_prepare(void);
void exec_fork_parent(void);
void exec_fork_child(struct cpu_common *self);

/* Statistics for --stats and benchmarks. */
struct exec_stats {
    uint64_t blocks_translated;
    uint64_t insns_translated;
    uint64_t blocks_invalidated;
    uint64_t translate_ns;
    /* the JIT */
    uint64_t jit_blocks;        /* blocks compiled */
    uint64_t jit_insns;         /* guest instructions in them */
    uint64_t jit_bytes;         /* host code bytes emitted */
    uint64_t jit_ns;            /* time compiling (IR to host code) */
    uint64_t jit_flushes;       /* full code-cache flushes */
    uint64_t jit_max_flush_ns;  /* the longest flush pause */
    uint64_t jit_refused;       /* blocks the backend left to the interpreter */
    uint64_t superblocks;       /* superblock retranslations */
};
void exec_get_stats(struct exec_stats *s);
/* With exec_options.stats: print the statistics on stderr (called at process exit). */
void exec_report(void);

/*
 * A host fault at host_pc: if it is inside generated code, the guest pc of the faulting
 * instruction (the fault handler stores it in cpu->pc before cpu_exit_exception), with
 * the guest registers the code kept in host registers written back into cpu from regs
 * (the host's general registers at the fault, in the host's encoding order).
 * Async-signal-safe.
 */
bool exec_host_fault(uintptr_t host_pc, const uint64_t *regs, struct cpu_common *cpu,
                     uint64_t *guest_pc);

#define EXEC_PAGE_BITS 12
#define EXEC_PAGE_SIZE (1ull << EXEC_PAGE_BITS)

#endif
