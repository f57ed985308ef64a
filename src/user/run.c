/*
 * The run loop of one guest thread: run guest code, then handle why it stopped (system
 * call, exception, request) and deliver pending signals before running again.
 *
 * Invariants:
 * - Signals are delivered only here, between exec_run() calls, when the guest state is
 *   exact (pc is the next instruction to run).
 * - A system call's result goes to the return register and pc moves past the ecall,
 *   unless the call set every register itself (LU_RET_KEEP_REGS: rt_sigreturn).
 * - in_guest is true exactly while exec_run() runs, so the host fault handler can tell a
 *   guest fault from an omnivm bug.
 */
#include <errno.h>
#include <signal.h>

#include "core/log.h"
#include "exec/exec.h"
#include "user/lu_core.h"

/* The bit lu's signal handlers set in exit_request; other bits belong to the engine. */
#define LU_EXIT_SIGNAL 1u

static void raise_exception(struct lu_thread *t)
{
    struct cpu_common *c = t->cpu;
    uint64_t a = c->excp_tval;
    switch (c->excp) {
    case CPU_EXCP_SEGV_MAPERR:
        lu_signal_sync(t, SIGSEGV, SEGV_MAPERR, a);
        break;
    case CPU_EXCP_SEGV_ACCERR:
        lu_signal_sync(t, SIGSEGV, SEGV_ACCERR, a);
        break;
    case CPU_EXCP_BUS_ADRALN:
        lu_signal_sync(t, SIGBUS, BUS_ADRALN, a);
        break;
    case LU_EXCP_BUS_ADRERR:
        lu_signal_sync(t, SIGBUS, BUS_ADRERR, a);
        break;
    case CPU_EXCP_FETCH: {
        /* mapped but not executable is an access error, unmapped a mapping error */
        bool mapped = a < LU_SPACE && (lu_mem.pages[a >> 12] & LU_PAGE_VALID);
        lu_signal_sync(t, SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, a);
        break;
    }
    case CPU_EXCP_ILLEGAL:
    default:
        lu_signal_sync(t, SIGILL, ILL_ILLOPC, c->pc);
        break;
    }
}

int lu_run(struct lu_thread *t)
{
    struct lu_tcore *tc = lu_tc(t);
    struct cpu_common *c = t->cpu;
    const struct lu_target *tg = tc->target;
    for (;;) {
        /* clear our request before looking at the queue: a signal queued after this
         * sets it again and the next exec_run returns at once */
        __atomic_fetch_and(&c->exit_request, ~LU_EXIT_SIGNAL, __ATOMIC_SEQ_CST);
        lu_signal_deliver(t);

        tc->in_guest = true;
        enum exec_result r = exec_run(c);
        tc->in_guest = false;

        switch (r) {
        case EXEC_SYSCALL: {
            /* A signal caught while the block ran is delivered before the call, as the
             * kernel would have done: the handler returns to the ecall, which runs then.
             * Otherwise a blocking call could hold the handler back indefinitely. */
            if (__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & ~lu_mask_get(&t->sigmask))
                break;
            uint64_t a[6];
            long nr = tg->syscall_args(c, a);
            long ret = lu_syscall(t, nr, a);
            if (tc->exiting)
                return tc->exit_code;
            /* interrupted by a signal the guest wants the call restarted for: leave pc
             * on the ecall with its arguments intact; the handler returns to it */
            if (ret == -EINTR && tg->syscall_restartable(nr, a) && lu_signal_restart(t))
                break;
            if (ret != LU_RET_KEEP_REGS) {
                tg->syscall_ret(c, ret);
                tg->syscall_skip(c);
            }
            break;
        }
        case EXEC_EXCEPTION:
            raise_exception(t);
            break;
        case EXEC_ILLEGAL:
            lu_signal_sync(t, SIGILL, ILL_ILLOPC, c->pc);
            break;
        case EXEC_BREAK:
            lu_signal_sync(t, SIGTRAP, TRAP_BRKPT, c->pc);
            break;
        case EXEC_HALT:     /* wfi: nothing to wait for in user mode */
        case EXEC_REQUEST:
        default:
            break;
        }
    }
}
