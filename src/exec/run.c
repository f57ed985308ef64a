/*
 * The run loop: exec_run() finds or translates the block at (pc, tb_flags), chains the
 * exit that led to it, and runs the interpreter until something needs the caller.
 * Also the process-wide setup, per-vCPU contexts, and cpu_exit_exception().
 *
 * Invariants:
 * - cpu->jmp_env points into the live exec_run() frame while guest code runs on this
 *   thread, and is restored when exec_run() returns, so a fault outside guest code can
 *   never jump into a dead frame.
 * - The loop top is the vCPU's safe point: there it holds no block pointer, so an
 *   EXEC_KICK (the cache wants old blocks freed) is answered there by publishing the
 *   epoch, without returning to the caller.
 * - exit_request is cleared (atomically, bits set meanwhile are not lost) before
 *   EXEC_REQUEST is returned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "exec/exec_int.h"

#define DEFAULT_MAX_BLOCK_INSNS 256u
#define MAX_BLOCK_INSNS 4096u /* insn counts in ops are 16 bits; frames are bounded */

void exec_global_init(const struct exec_options *opt)
{
    static bool jit_note;
    exec_g.opt = *opt;
    if (!exec_g.opt.max_block_insns) exec_g.opt.max_block_insns = DEFAULT_MAX_BLOCK_INSNS;
    if (exec_g.opt.max_block_insns > MAX_BLOCK_INSNS) exec_g.opt.max_block_insns = MAX_BLOCK_INSNS;
#ifndef NDEBUG
    exec_g.debug_verify = true;
#endif
    if ((opt->engine == EXEC_JIT || opt->engine == EXEC_CHECK) && !jit_note) {
        jit_note = true;
        error_msg("the JIT is not built yet; using the interpreter");
    }
    tb_global_init();
    interp_init();
}

int exec_ctx_new(struct cpu_common *cpu)
{
    if (!exec_g.hash) {
        struct exec_options o = {.engine = EXEC_AUTO, .opt_passes = IR_OPT_ALL};
        exec_global_init(&o);
    }
    struct exec_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return -ENOMEM;
    ctx->frame = calloc(EXEC_FRAME_SLOTS, sizeof(uint64_t));
    if (!ctx->frame) {
        free(ctx);
        return -ENOMEM;
    }
    ctx->cpu = cpu;
    ir_block_init(&ctx->ir, 0, 0);
    cpu->exec = ctx;
    tb_ctx_register(ctx);
    return 0;
}

void exec_ctx_free(struct cpu_common *cpu)
{
    struct exec_ctx *ctx = cpu->exec;
    if (!ctx) return;
    tb_ctx_unregister(ctx);
    ir_block_free(&ctx->ir);
    free(ctx->frame);
    free(ctx);
    cpu->exec = NULL;
}

static void log_block_entry(struct cpu_common *cpu, struct tb *tb)
{
    if (log_enabled(LOG_EXEC))
        log_printf("Trace %p [0x%016llx/0x%x] %u insns\n", (void *)tb, (unsigned long long)tb->pc,
                   tb->tb_flags, tb->n_guest);
    if (log_enabled(LOG_CPU) && cpu->arch->dump_regs)
        cpu->arch->dump_regs(log_file ? log_file : stderr, cpu);
}

/* The loop proper; a separate frame so nothing here must survive a siglongjmp. */
static enum exec_result run_loop(struct cpu_common *cpu, struct exec_ctx *ctx)
{
    struct tb_exit *from = NULL;
    for (;;) {
        if (__builtin_expect(__atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED) != 0, 0)) {
            uint32_t req = __atomic_exchange_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
            if (req & ~EXEC_KICK) return EXEC_REQUEST;
            from = NULL; /* the block it belongs to may be freed once we publish */
            tb_quiescent(ctx);
            continue;
        }
        int err = 0;
        struct tb *tb = tb_find(ctx, cpu->pc, cpu->tb_flags, &err);
        if (!tb) {
            if (err == -EFAULT) {
                cpu->excp = CPU_EXCP_FETCH;
                cpu->excp_tval = cpu->pc;
                if (log_enabled(LOG_INT))
                    log_printf("exec: fetch fault at 0x%llx\n", (unsigned long long)cpu->pc);
                return EXEC_EXCEPTION;
            }
            /* the frontend produced nothing runnable (already reported): treat the
             * instruction as illegal so the guest gets SIGILL rather than the host dying */
            return EXEC_ILLEGAL;
        }
        /* when tracing, blocks are not chained: every entry passes here and is logged */
        bool trace = log_enabled(LOG_EXEC | LOG_CPU);
        if (from && !trace) tb_chain(from, tb);
        from = NULL;
        if (trace) log_block_entry(cpu, tb);
        int r = interp_exec(cpu, ctx, tb, !trace, &from);
        if (r == INTERP_LOOKUP) continue;
        from = NULL;
        /* fence.i: in user mode code may have changed through another mapping, which page
         * protection cannot see; in system mode the TLB catches every store to code */
        if (r == IR_EXIT_FLUSH && !cpu->tlb) tb_flush_changed(ctx);
        if (r == INTERP_REQUEST || r == IR_EXIT_FLUSH) continue;
        return (enum exec_result)r;
    }
}

enum exec_result exec_run(struct cpu_common *cpu)
{
    struct exec_ctx *ctx = cpu->exec;
    sigjmp_buf env;
    sigjmp_buf *const saved = cpu->jmp_env;
    enum exec_result r;

    cpu->jmp_env = &env;
    tb_enter(ctx);
    if (sigsetjmp(env, 0)) {
        r = EXEC_EXCEPTION;
        if (log_enabled(LOG_INT))
            log_printf("exec: exception 0x%x tval 0x%llx at pc 0x%llx\n", cpu->excp,
                       (unsigned long long)cpu->excp_tval, (unsigned long long)cpu->pc);
    } else {
        r = run_loop(cpu, ctx);
    }
    cpu->jmp_env = saved;
    tb_leave(ctx);
    return r;
}

_Noreturn void cpu_exit_exception(struct cpu_common *c, uint32_t cause, uint64_t tval)
{
    c->excp = cause;
    c->excp_tval = tval;
    if (!c->jmp_env) {
        /* a host bug, not a guest action: every guest fault happens inside exec_run */
        error_msg("guest exception 0x%x (0x%llx) outside the run loop", cause,
                  (unsigned long long)tval);
        abort();
    }
    siglongjmp(*c->jmp_env, 1);
}
