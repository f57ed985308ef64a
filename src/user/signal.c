/*
 * Guest signals in user mode: the host handlers, the queue of caught signals per thread,
 * delivery at block boundaries (frames built by the target), default actions, and the
 * signal system calls.
 *
 * Design (why it is shaped like this):
 * - The host kernel does the bookkeeping it already does well. A guest action of SIG_DFL
 *   or SIG_IGN is installed on the host as the same disposition, so termination, stop,
 *   ignore and SIGCHLD semantics are the kernel's own and the parent sees a native exit
 *   status. The host thread's blocked set follows the guest's (lu_sigmask_apply), so
 *   blocked signals stay pending in the kernel and a process-directed signal goes to a
 *   thread that does not block it, exactly as natively.
 * - Only signals with a guest handler reach lu's host handler, which records the
 *   siginfo in the thread's queue (standard signals coalesce, real-time ones queue in
 *   order) and sets exit_request; the run loop builds the guest frame at the next block
 *   boundary. Host handlers never have SA_RESTART: an interrupted host call returns
 *   EINTR and the run loop restarts the guest's call after the handler when the guest
 *   asked for SA_RESTART and the call is one Linux restarts (lu_signal_restart), which is
 *   how the kernel itself does it (the handler runs during the blocking call).
 * - SIGSEGV and SIGBUS always have lu's fault handler (code-page write protection and
 *   guest faults need it) and are never blocked on the host.
 * - Handlers are installed with the raw system call (glibc refuses its internal signals
 *   32 and 33, which a guest glibc uses for itself) and block every signal while running.
 *
 * Invariants: guest and host signal numbers are equal (asm-generic numbering on both
 * sides); a guest mask never contains SIGKILL or SIGSTOP.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/log.h"
#include "exec/exec.h"
#include "user/lu_core.h"

#define LU_NSIG 64
#define SA_KNOWN (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | \
                  SA_RESETHAND)
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define LU_HOST_ALTSTACK (64u << 10)
#define FAULT_RETRY_LIMIT 10000u

/* ---- raw host signal calls ---- */

struct lu_ksigaction {
    void *handler;
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#if defined(__x86_64__)
/* The x86-64 kernel returns from a handler through sa_restorer; glibc's is not reachable
 * with the raw call, so this is ours. */
void lu_sigrestorer(void);
__asm__(".text\n"
        ".globl lu_sigrestorer\n"
        ".hidden lu_sigrestorer\n"
        ".type lu_sigrestorer,@function\n"
        "lu_sigrestorer:\n"
        "\tmovq $15, %rax\n"
        "\tsyscall\n"
        "\thlt\n");
#define LU_SA_RESTORER 0x04000000ul
#endif

static int host_sigaction(int sig, void *handler, unsigned long flags)
{
    struct lu_ksigaction ka = {.handler = handler, .flags = flags, .mask = ~0ull};
#ifdef LU_SA_RESTORER
    ka.flags |= LU_SA_RESTORER;
    ka.restorer = lu_sigrestorer;
#endif
    return syscall(SYS_rt_sigaction, sig, &ka, NULL, 8) ? -errno : 0;
}

uint64_t lu_host_block_all(void)
{
    uint64_t all = ~0ull, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
    return old;
}

void lu_host_setmask(uint64_t m)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
}

uint64_t lu_mask_get(const sigset_t *s)
{
    uint64_t m;
    memcpy(&m, s, sizeof(m));
    return m;
}

void lu_mask_set(sigset_t *s, uint64_t m)
{
    memcpy(s, &m, sizeof(m));
}

#define NEVER_BLOCKED (LU_SIGBIT(SIGSEGV) | LU_SIGBIT(SIGBUS))

void lu_sigmask_apply(struct lu_thread *t)
{
    lu_host_setmask(lu_mask_get(&t->sigmask) & ~NEVER_BLOCKED);
}

/* ---- host handlers ---- */

#define LU_SIGRT_FIRST 32

/* Runs in a handler with every signal blocked, or with them blocked by the caller. */
static void queue_signal(struct lu_thread *t, int sig, const siginfo_t *si)
{
    struct lu_tcore *tc = lu_tc(t);
    if (sig >= LU_SIGRT_FIRST) {
        /* past the queue's size the instance is lost, like past RLIMIT_SIGPENDING */
        if (tc->rtq_n >= LU_RTQ)
            return;
        tc->rtq[tc->rtq_n++] = *si;
    } else {
        t->pending_info[sig] = *si;
    }
    __atomic_fetch_or(&t->pending, LU_SIGBIT(sig), __ATOMIC_SEQ_CST);
    if (t->cpu)
        __atomic_fetch_or(&t->cpu->exit_request, 1u, __ATOMIC_SEQ_CST);
}

/* The signal the kernel would take first from a pending set: synchronous ones, then the
 * lowest number. 0 if none. */
static int first_signal(uint64_t p)
{
    if (!p)
        return 0;
    uint64_t sync = p & (LU_SIGBIT(SIGSEGV) | LU_SIGBIT(SIGBUS) | LU_SIGBIT(SIGILL) |
                         LU_SIGBIT(SIGTRAP) | LU_SIGBIT(SIGFPE));
    return __builtin_ctzll(sync ? sync : p) + 1;
}

/* Take one queued signal out of set; 0 if none. Host signals are blocked meanwhile so a
 * handler on this thread cannot change the queue under us. */
static int dequeue_signal(struct lu_thread *t, uint64_t set, siginfo_t *info)
{
    struct lu_tcore *tc = lu_tc(t);
    /* the common case, nothing queued, costs no system call */
    if (!(__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & set))
        return 0;
    uint64_t old = lu_host_block_all();
    int sig = first_signal(__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & set);
    if (sig >= LU_SIGRT_FIRST) {
        bool more = false;
        unsigned i, n = tc->rtq_n;
        for (i = 0; i < n && tc->rtq[i].si_signo != sig; i++)
            ;
        if (i < n) {
            *info = tc->rtq[i];
            memmove(&tc->rtq[i], &tc->rtq[i + 1], (n - i - 1) * sizeof(tc->rtq[0]));
            tc->rtq_n = --n;
            for (unsigned j = 0; j < n; j++)
                more |= tc->rtq[j].si_signo == sig;
        } else {
            memset(info, 0, sizeof(*info));
            info->si_signo = sig;
        }
        if (!more)
            __atomic_fetch_and(&t->pending, ~LU_SIGBIT(sig), __ATOMIC_SEQ_CST);
    } else if (sig) {
        *info = t->pending_info[sig];
        __atomic_fetch_and(&t->pending, ~LU_SIGBIT(sig), __ATOMIC_SEQ_CST);
    }
    lu_host_setmask(old);
    return sig;
}

/* A caught signal for the guest. On a host thread that runs no guest code (an engine
 * worker), hand it on, siginfo intact, to a guest thread. */
static void host_async(int sig, siginfo_t *si, void *uc)
{
    struct lu_thread *t = lu_cur;
    if (t) {
        queue_signal(t, sig, si);
        return;
    }
    for (struct lu_thread *o = lu_proc.threads; o; o = o->next)
        if (!lu_tc(o)->dead) {
            syscall(SYS_rt_tgsigqueueinfo, getpid(), o->tid, sig, si);
            return;
        }
}

static _Noreturn void host_bug(int sig, siginfo_t *si, void *uc)
{
    ucontext_t *u = uc;
    char buf[200];
#if defined(__x86_64__)
    void *pc = (void *)u->uc_mcontext.gregs[REG_RIP];
#else
    void *pc = NULL;
    (void)u;
#endif
    int n = snprintf(buf, sizeof(buf), "omnivm: internal error: host %s at pc %p (address %p)\n",
                     sig == SIGBUS ? "SIGBUS" : "SIGSEGV", pc, si->si_addr);
    if (write(2, buf, (size_t)n) < 0) {
    }
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void host_fault(int sig, siginfo_t *si, void *uc)
{
    if (si->si_code <= 0) {
        /* sent by kill/tgkill/sigqueue, not a fault: an ordinary guest signal */
        host_async(sig, si, uc);
        return;
    }
    ucontext_t *u = uc;
    uintptr_t ha = (uintptr_t)si->si_addr;
    struct lu_thread *t = lu_cur;
    if (!lu_mem.base || ha - lu_mem.base >= LU_SPACE || !t)
        host_bug(sig, si, uc);
    struct lu_tcore *tc = lu_tc(t);
    uint64_t g = ha - lu_mem.base;
    if (sig == SIGSEGV) {
#if defined(__x86_64__)
        bool write = (u->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
        bool write = true;
#endif
        /* a fault that keeps coming back at one address is not fixed by the fixup */
        if (tc->last_fault != ha) {
            tc->last_fault = ha;
            tc->fault_retries = 0;
        }
        if (++tc->fault_retries < FAULT_RETRY_LIMIT && lu_mm_fault_fixup(g, write))
            return;
        tc->last_fault = 0;
    }
    /* leaving the handler by a jump: put back the mask of the interrupted code */
    uint64_t m;
    memcpy(&m, &u->uc_sigmask, sizeof(m));
    if (tc->copy_jmp) {
        lu_host_setmask(m);
        siglongjmp(*tc->copy_jmp, 1);
    }
    if (tc->in_guest && t->cpu && t->cpu->jmp_env) {
        uint8_t f = lu_mem.pages[g >> 12];
        uint32_t cause = sig == SIGBUS ? LU_EXCP_BUS_ADRERR
                         : (f & LU_PAGE_VALID) ? CPU_EXCP_SEGV_ACCERR : CPU_EXCP_SEGV_MAPERR;
        lu_host_setmask(m);
#if defined(__x86_64__)
        /* inside JIT code cpu->pc is stale: the code's pc map knows the instruction, and
         * a loop block's pinned guest registers are in the host registers */
        const greg_t *gr = u->uc_mcontext.gregs;
        const uint64_t regs[16] = {
            (uint64_t)gr[REG_RAX], (uint64_t)gr[REG_RCX], (uint64_t)gr[REG_RDX], (uint64_t)gr[REG_RBX],
            (uint64_t)gr[REG_RSP], (uint64_t)gr[REG_RBP], (uint64_t)gr[REG_RSI], (uint64_t)gr[REG_RDI],
            (uint64_t)gr[REG_R8],  (uint64_t)gr[REG_R9],  (uint64_t)gr[REG_R10], (uint64_t)gr[REG_R11],
            (uint64_t)gr[REG_R12], (uint64_t)gr[REG_R13], (uint64_t)gr[REG_R14], (uint64_t)gr[REG_R15]};
        uint64_t gpc;
        if (exec_host_fault((uintptr_t)gr[REG_RIP], regs, t->cpu, &gpc))
            t->cpu->pc = gpc;
#endif
        cpu_exit_exception(t->cpu, cause, g);
    }
    host_bug(sig, si, uc);
}

/* Host disposition for a guest action. */
static void install_host(int sig)
{
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGKILL || sig == SIGSTOP)
        return;
    uint64_t h = lu_proc.sigaction_handler[sig], fl = lu_proc.sigaction_flags[sig];
    unsigned long keep = fl & (SA_NOCLDSTOP | SA_NOCLDWAIT);
    if (h == (uint64_t)(uintptr_t)SIG_DFL)
        host_sigaction(sig, SIG_DFL, keep);
    else if (h == (uint64_t)(uintptr_t)SIG_IGN)
        host_sigaction(sig, SIG_IGN, keep);
    else
        host_sigaction(sig, (void *)host_async, SA_SIGINFO | SA_ONSTACK | keep);
}

int lu_signal_init(void)
{
    /* dispositions inherited from our parent (nohup's SIG_IGN) are the guest's too */
    for (int sig = 1; sig <= LU_NSIG; sig++) {
        struct lu_ksigaction old;
        lu_proc.sigaction_handler[sig] = (uint64_t)(uintptr_t)SIG_DFL;
        if (sig != SIGKILL && sig != SIGSTOP && !syscall(SYS_rt_sigaction, sig, NULL, &old, 8) &&
            old.handler == SIG_IGN)
            lu_proc.sigaction_handler[sig] = (uint64_t)(uintptr_t)SIG_IGN;
    }
    int r = host_sigaction(SIGSEGV, (void *)host_fault, SA_SIGINFO | SA_ONSTACK);
    if (!r)
        r = host_sigaction(SIGBUS, (void *)host_fault, SA_SIGINFO | SA_ONSTACK);
    return r;
}

int lu_signal_thread_init(struct lu_thread *t)
{
    struct lu_tcore *tc = lu_tc(t);
    if (!tc->host_altstack) {
        tc->host_altstack = mmap(NULL, LU_HOST_ALTSTACK, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (tc->host_altstack == MAP_FAILED) {
            tc->host_altstack = NULL;
            return -ENOMEM;
        }
    }
    stack_t ss = {.ss_sp = tc->host_altstack, .ss_size = LU_HOST_ALTSTACK};
    if (sigaltstack(&ss, NULL))
        return -errno;
    lu_sigmask_apply(t);
    return 0;
}

void lu_signal_thread_fini(struct lu_thread *t)
{
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    /* the altstack stays with the record, which a later thread reuses */
}

_Noreturn void lu_die_by_signal(int sig)
{
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    host_sigaction(sig, SIG_DFL, 0);
    syscall(SYS_tgkill, getpid(), gettid(), sig);
    lu_host_setmask(~LU_SIGBIT(sig));
    /* not reached for a terminating signal */
    _exit(128 + sig);
}

/* ---- delivery ---- */

static bool on_altstack(const struct lu_thread *t, uint64_t sp)
{
    return t->altstack_size && !(t->altstack_flags & SS_AUTODISARM) && sp > t->altstack_sp &&
           sp - t->altstack_sp <= t->altstack_size;
}

static int altstack_flags_of(const struct lu_thread *t, uint64_t sp)
{
    if (!t->altstack_size)
        return SS_DISABLE;
    return (on_altstack(t, sp) ? SS_ONSTACK : 0) | (t->altstack_flags & (int)SS_AUTODISARM);
}

static void default_action(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
        return;
    case SIGTSTP: case SIGTTIN: case SIGTTOU:
        kill(getpid(), SIGSTOP);
        return;
    default:
        lu_die_by_signal(sig);
    }
}

/* Run the guest's action for sig now: a handler frame, or the default. */
static void handle_signal(struct lu_thread *t, int sig, const siginfo_t *info)
{
    struct lu_tcore *tc = lu_tc(t);
    uint64_t h = lu_proc.sigaction_handler[sig], fl = lu_proc.sigaction_flags[sig];
    if (h == (uint64_t)(uintptr_t)SIG_IGN)
        return;
    if (h == (uint64_t)(uintptr_t)SIG_DFL) {
        default_action(sig);
        return;
    }
    uint64_t mask = lu_mask_get(&t->sigmask);
    uint64_t save = tc->restore_mask ? tc->saved_mask : mask;
    tc->restore_mask = false;
    uint64_t sp = tc->target->get_sp(t->cpu);
    uint64_t ss[3] = {t->altstack_sp, (uint64_t)(int64_t)altstack_flags_of(t, sp), t->altstack_size};
    if ((fl & SA_ONSTACK) && t->altstack_size && !on_altstack(t, sp)) {
        sp = t->altstack_sp + t->altstack_size;
        if (t->altstack_flags & SS_AUTODISARM) {
            t->altstack_sp = 0;
            t->altstack_size = 0;
            t->altstack_flags = SS_DISABLE;
        }
    }
    if (tc->target->frame_setup(t->cpu, sig, info, h, sp, save, ss))
        lu_die_by_signal(SIGSEGV);
    if (log_enabled(LOG_INT))
        log_printf("signal %d: handler 0x%llx\n", sig, (unsigned long long)h);
    mask |= lu_proc.sigaction_mask[sig];
    if (!(fl & SA_NODEFER))
        mask |= LU_SIGBIT(sig);
    lu_mask_set(&t->sigmask, mask & ~LU_UNBLOCKABLE);
    if (fl & SA_RESETHAND) {
        pthread_mutex_lock(&lu_proc.lock);
        lu_proc.sigaction_handler[sig] = (uint64_t)(uintptr_t)SIG_DFL;
        lu_proc.sigaction_flags[sig] &= ~(uint64_t)SA_SIGINFO;
        install_host(sig);
        pthread_mutex_unlock(&lu_proc.lock);
    }
    lu_sigmask_apply(t);
}

void lu_signal_deliver(struct lu_thread *t)
{
    struct lu_tcore *tc = lu_tc(t);
    siginfo_t info;
    int sig;
    while ((sig = dequeue_signal(t, ~lu_mask_get(&t->sigmask), &info)))
        handle_signal(t, sig, &info);
    if (tc->restore_mask) {
        tc->restore_mask = false;
        lu_mask_set(&t->sigmask, tc->saved_mask);
        lu_sigmask_apply(t);
    }
}

bool lu_signal_restart(struct lu_thread *t)
{
    int sig = first_signal(__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & ~lu_mask_get(&t->sigmask));
    if (!sig)
        return false;
    uint64_t h = lu_proc.sigaction_handler[sig];
    /* no handler runs (ignored, or a default that does not kill): the call goes on */
    if (h == (uint64_t)(uintptr_t)SIG_IGN || h == (uint64_t)(uintptr_t)SIG_DFL)
        return true;
    return (lu_proc.sigaction_flags[sig] & SA_RESTART) != 0;
}

void lu_signal_sync(struct lu_thread *t, int sig, int code, uint64_t addr)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.si_addr = (void *)(uintptr_t)addr;
    if (log_enabled(LOG_INT))
        log_printf("signal %d (code %d) at 0x%llx, pc 0x%llx\n", sig, code, (unsigned long long)addr,
                   (unsigned long long)t->cpu->pc);
    uint64_t h = lu_proc.sigaction_handler[sig];
    /* a blocked or ignored fault signal kills, as the kernel's force_sig does */
    if ((lu_mask_get(&t->sigmask) & LU_SIGBIT(sig)) || h == (uint64_t)(uintptr_t)SIG_IGN ||
        h == (uint64_t)(uintptr_t)SIG_DFL)
        lu_die_by_signal(sig);
    handle_signal(t, sig, &info);
}

/* ---- system calls ---- */

long lu_sys_rt_sigaction(struct lu_thread *t, const uint64_t a[6])
{
    int sig = (int)a[0];
    uint64_t act = a[1], oact = a[2];
    uint64_t n[3], o[3];
    if (a[3] != 8 || sig < 1 || sig > LU_NSIG)
        return -EINVAL;
    if (act && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (act && lu_copy_from_guest(n, act, sizeof(n)))
        return -EFAULT;
    pthread_mutex_lock(&lu_proc.lock);
    o[0] = lu_proc.sigaction_handler[sig];
    o[1] = lu_proc.sigaction_flags[sig];
    o[2] = lu_proc.sigaction_mask[sig];
    if (act) {
        lu_proc.sigaction_handler[sig] = n[0];
        lu_proc.sigaction_flags[sig] = n[1] & SA_KNOWN;
        lu_proc.sigaction_mask[sig] = n[2] & ~LU_UNBLOCKABLE;
        install_host(sig);
    }
    pthread_mutex_unlock(&lu_proc.lock);
    if (oact && lu_copy_to_guest(oact, o, sizeof(o)))
        return -EFAULT;
    return 0;
}

long lu_sys_rt_sigprocmask(struct lu_thread *t, const uint64_t a[6])
{
    int how = (int)a[0];
    uint64_t set = a[1], oset = a[2];
    if (a[3] != 8)
        return -EINVAL;
    uint64_t old = lu_mask_get(&t->sigmask);
    if (set) {
        uint64_t n, m;
        if (lu_copy_from_guest(&n, set, 8))
            return -EFAULT;
        switch (how) {
        case SIG_BLOCK: m = old | n; break;
        case SIG_UNBLOCK: m = old & ~n; break;
        case SIG_SETMASK: m = n; break;
        default: return -EINVAL;
        }
        lu_mask_set(&t->sigmask, m & ~LU_UNBLOCKABLE);
        lu_sigmask_apply(t);
    }
    if (oset && lu_copy_to_guest(oset, &old, 8))
        return -EFAULT;
    return 0;
}

/* sigaltstack's checks; also used (errors ignored) by rt_sigreturn */
static long set_altstack(struct lu_thread *t, const uint64_t ss[3], uint64_t sp)
{
    if (on_altstack(t, sp))
        return -EPERM;
    int flags = (int)ss[1];
    int mode = flags & ~(int)SS_AUTODISARM;
    if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
        return -EINVAL;
    if (mode == SS_DISABLE) {
        t->altstack_sp = 0;
        t->altstack_size = 0;
        t->altstack_flags = SS_DISABLE;
        return 0;
    }
    if (ss[2] < lu_tc(t)->target->minsigstksz)
        return -ENOMEM;
    t->altstack_sp = ss[0];
    t->altstack_size = ss[2];
    t->altstack_flags = flags & (int)SS_AUTODISARM;
    return 0;
}

long lu_sys_sigaltstack(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t sp = lu_tc(t)->target->get_sp(t->cpu);
    struct { uint64_t sp; int32_t flags, pad; uint64_t size; } o = {
        t->altstack_sp, altstack_flags_of(t, sp), 0, t->altstack_size}, n;
    if (a[0]) {
        if (lu_copy_from_guest(&n, a[0], sizeof(n)))
            return -EFAULT;
        uint64_t ss[3] = {n.sp, (uint64_t)(int64_t)n.flags, n.size};
        long r = set_altstack(t, ss, sp);
        if (r)
            return r;
    }
    if (a[1] && lu_copy_to_guest(a[1], &o, sizeof(o)))
        return -EFAULT;
    return 0;
}

long lu_sys_rt_sigreturn(struct lu_thread *t, const uint64_t a[6])
{
    struct lu_tcore *tc = lu_tc(t);
    uint64_t mask, ss[3];
    if (tc->target->frame_restore(t->cpu, &mask, ss))
        lu_die_by_signal(SIGSEGV);
    lu_mask_set(&t->sigmask, mask & ~LU_UNBLOCKABLE);
    lu_sigmask_apply(t);
    /* like the kernel's restore_altstack: a handler still on the altstack cannot change it */
    set_altstack(t, ss, tc->target->get_sp(t->cpu));
    return LU_RET_KEEP_REGS;
}

long lu_sys_rt_sigsuspend(struct lu_thread *t, const uint64_t a[6])
{
    struct lu_tcore *tc = lu_tc(t);
    uint64_t n;
    if (a[1] != 8)
        return -EINVAL;
    if (lu_copy_from_guest(&n, a[0], 8))
        return -EFAULT;
    n &= ~LU_UNBLOCKABLE;
    /* no signal may slip in between the check of the queue and the sleep */
    lu_host_block_all();
    tc->saved_mask = lu_mask_get(&t->sigmask);
    tc->restore_mask = true;
    lu_mask_set(&t->sigmask, n);
    if (!(__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & ~n)) {
        uint64_t hm = n & ~NEVER_BLOCKED;
        syscall(SYS_rt_sigsuspend, &hm, 8);
    }
    lu_sigmask_apply(t);
    return -EINTR;
}

long lu_sys_rt_sigpending(struct lu_thread *t, const uint64_t a[6])
{
    if (a[1] > 8)
        return -EINVAL;
    uint64_t hp = 0;
    syscall(SYS_rt_sigpending, &hp, 8);
    uint64_t p = (hp | __atomic_load_n(&t->pending, __ATOMIC_SEQ_CST)) & lu_mask_get(&t->sigmask);
    if (lu_copy_to_guest(a[0], &p, a[1]))
        return -EFAULT;
    return 0;
}

long lu_sys_rt_sigtimedwait(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t set;
    if (a[3] != 8)
        return -EINVAL;
    if (lu_copy_from_guest(&set, a[0], 8))
        return -EFAULT;
    set &= ~LU_UNBLOCKABLE;
    struct timespec ts, *tsp = NULL;
    if (a[2]) {
        if (lu_copy_from_guest(&ts, a[2], sizeof(ts)))
            return -EFAULT;
        tsp = &ts;
    }
    siginfo_t info;
    long r;
    /* caught by our handler already? */
    r = dequeue_signal(t, set, &info);
    if (!r) {
        r = syscall(SYS_rt_sigtimedwait, &set, &info, tsp, 8);
        if (r < 0)
            return -errno;
    }
    if (a[1] && lu_copy_to_guest(a[1], &info, 128))
        return -EFAULT;
    return r;
}

long lu_sys_kill(struct lu_thread *t, const uint64_t a[6])
{
    long r = syscall(SYS_kill, (pid_t)a[0], (int)a[1]);
    return r < 0 ? -errno : r;
}

long lu_sys_tkill(struct lu_thread *t, const uint64_t a[6])
{
    long r = syscall(SYS_tkill, (pid_t)a[0], (int)a[1]);
    return r < 0 ? -errno : r;
}

long lu_sys_tgkill(struct lu_thread *t, const uint64_t a[6])
{
    long r = syscall(SYS_tgkill, (pid_t)a[0], (pid_t)a[1], (int)a[2]);
    return r < 0 ? -errno : r;
}

/* rt_sigqueueinfo(tgid, sig, info) and rt_tgsigqueueinfo(tgid, tid, sig, info): the guest
 * siginfo_t has the host's layout; the host kernel checks si_code as it would natively. */
long lu_sys_rt_sigqueueinfo(struct lu_thread *t, const uint64_t a[6])
{
    siginfo_t info;
    if (lu_copy_from_guest(&info, a[2], sizeof(info)))
        return -EFAULT;
    long r = syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], (int)a[1], &info);
    return r < 0 ? -errno : r;
}

long lu_sys_rt_tgsigqueueinfo(struct lu_thread *t, const uint64_t a[6])
{
    siginfo_t info;
    if (lu_copy_from_guest(&info, a[3], sizeof(info)))
        return -EFAULT;
    long r = syscall(SYS_rt_tgsigqueueinfo, (pid_t)a[0], (pid_t)a[1], (int)a[2], &info);
    return r < 0 ? -errno : r;
}
