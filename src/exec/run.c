/*
 * The run loop: exec_run() finds or translates the block at (pc, tb_flags), chains the
 * exit that led to it, and runs it (compiled code or the interpreter) until something
 * needs the caller. Also the process-wide setup, per-vCPU contexts, engine selection and
 * tiering, and cpu_exit_exception().
 *
 * Engines: interp never compiles; jit compiles every block when it is translated; auto
 * interprets a block until it has run jit_threshold times, then compiles it; check
 * compiles everything and runs each block under both engines (jit_check.c). A block the
 * JIT refuses stays interpreted in every mode. With the JIT on, interpreted blocks are
 * not chained, so every run of one passes here and is counted.
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
#include <time.h>

#include "core/log.h"
#include "exec/exec_int.h"
#include "exec/jit/jit.h"

#define DEFAULT_MAX_BLOCK_INSNS 256u
#define DEFAULT_JIT_THRESHOLD 16u
#define DEFAULT_SB_THRESHOLD 4000u
#define MAX_BLOCK_INSNS 4096u /* insn counts in ops are 16 bits; frames are bounded */

/* host cycles per nanosecond (the x86 TSC's rate), measured over the run for --stats */
static uint64_t stats_t0_ns, stats_t0_tsc;
static uint64_t host_tsc(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}
static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void exec_global_init(const struct exec_options *opt)
{
    stats_t0_ns = host_ns();
    stats_t0_tsc = host_tsc();
    exec_g.opt = *opt;
    if (!exec_g.opt.max_block_insns) exec_g.opt.max_block_insns = DEFAULT_MAX_BLOCK_INSNS;
    if (exec_g.opt.max_block_insns > MAX_BLOCK_INSNS) exec_g.opt.max_block_insns = MAX_BLOCK_INSNS;
    if (!exec_g.opt.jit_threshold) exec_g.opt.jit_threshold = DEFAULT_JIT_THRESHOLD;
    if (!exec_g.opt.sb_threshold) exec_g.opt.sb_threshold = DEFAULT_SB_THRESHOLD;
#ifndef NDEBUG
    exec_g.debug_verify = true;
#endif
    if (exec_g.opt.engine != EXEC_INTERP && !jit_init(exec_g.opt.jit_cache))
        exec_g.opt.engine = EXEC_INTERP; /* jit_init said why */
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
        enum exec_engine eng = exec_g.opt.engine;
        void *code = atomic_load_explicit(&tb->jit, memory_order_acquire);
        if (!code && eng != EXEC_INTERP &&
            atomic_load_explicit(&tb->jit_state, memory_order_relaxed) == 0 &&
            (eng != EXEC_AUTO || ++tb->hits >= exec_g.opt.jit_threshold)) {
            tb_jit_compile(ctx, tb);
            code = atomic_load_explicit(&tb->jit, memory_order_acquire);
        }
        if (from) from->runs++;
        if (from && !trace) tb_chain(from, tb);
        from = NULL;
        if (trace) log_block_entry(cpu, tb);
        int r;
        if (code && eng == EXEC_CHECK) {
            r = jit_check_block(cpu, ctx, tb);
        } else if (code) {
            struct jit_ret jr = jit_run(cpu, code);
            r = (int)jr.code;
            from = jr.exit;
        } else {
            /* with the JIT on, the interpreter's jump-cache lookups would run blocks that
             * have compiled code in the interpreter: it returns instead */
            r = interp_exec(cpu, ctx, tb, !trace && eng == EXEC_INTERP, &from);
        }
        if (r == JIT_INTERP) { /* the compiled block declined: interpret it once */
            from = NULL;
            int ierr = 0;
            struct tb *it = tb_find(ctx, cpu->pc, cpu->tb_flags, &ierr);
            if (!it) continue;
            r = interp_exec(cpu, ctx, it, false, &from);
        }
        if (r == INTERP_LOOKUP) continue;
        if (r == JIT_PROMOTE) { /* the block at pc is hot: rebuild it as a superblock */
            from = NULL;
            int perr = 0;
            struct tb *hot = tb_find(ctx, cpu->pc, cpu->tb_flags, &perr);
            if (hot) tb_promote(ctx, hot);
            continue;
        }
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
        if (exec_g.opt.engine != EXEC_INTERP) jit_fp_harvest(cpu); /* flags generated code kept */
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

bool exec_host_fault(uintptr_t host_pc, const uint64_t *regs, struct cpu_common *cpu,
                     uint64_t *guest_pc)
{
    return jit_host_fault(host_pc, regs, cpu, guest_pc);
}

void exec_report(void)
{
    if (!exec_g.opt.stats) return;
    struct exec_stats s;
    exec_get_stats(&s);
    uint64_t dns = host_ns() - stats_t0_ns, dtsc = host_tsc() - stats_t0_tsc;
    double ghz = dns && dtsc ? (double)dtsc / (double)dns : 0.0; /* 0: cycles unknown */
    static const char *const names[] = {"interp", "jit", "auto", "check"};
    fprintf(stderr,
            "omnivm stats: engine %s\n"
            "  translated %llu blocks, %llu guest insns, %.3f ms (%.1f ns/insn, %.0f host cycles/insn)\n"
            "  invalidated %llu blocks\n"
            "  jit: %llu blocks, %llu guest insns, %llu bytes, %.3f ms compiling (%.1f ns/insn,"
            " %.0f host cycles/insn), %llu refused, %llu superblocks\n"
            "  jit cache: %llu flushes, worst pause %.3f ms\n",
            names[exec_g.opt.engine], (unsigned long long)s.blocks_translated,
            (unsigned long long)s.insns_translated, s.translate_ns / 1e6,
            s.insns_translated ? (double)s.translate_ns / (double)s.insns_translated : 0.0,
            s.insns_translated ? ghz * (double)s.translate_ns / (double)s.insns_translated : 0.0,
            (unsigned long long)s.blocks_invalidated, (unsigned long long)s.jit_blocks,
            (unsigned long long)s.jit_insns, (unsigned long long)s.jit_bytes, s.jit_ns / 1e6,
            s.jit_insns ? (double)s.jit_ns / (double)s.jit_insns : 0.0,
            s.jit_insns ? ghz * (double)s.jit_ns / (double)s.jit_insns : 0.0,
            (unsigned long long)s.jit_refused, (unsigned long long)s.superblocks,
            (unsigned long long)s.jit_flushes, s.jit_max_flush_ns / 1e6);
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
