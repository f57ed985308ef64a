/*
 * Linux signals as a guest program sees them: SA_SIGINFO handlers with the right siginfo
 * (raise -> SI_TKILL, kill -> SI_USER, both with our pid), sigprocmask blocking with the
 * pending signal delivered on unblock and standard signals not queueing, real-time
 * signals queueing in order with their values, sa_mask deferring a signal raised inside a
 * handler, nested handlers when not masked, SA_RESETHAND, SIGSEGV from bad pointers
 * (unmapped and read-only) recovered with siglongjmp, SIGALRM from alarm() ending a
 * sigsuspend, a timer interrupting a blocking read (EINTR) or not (SA_RESTART),
 * sigtimedwait, sigaltstack + SA_ONSTACK, and the FP state in the signal frame (read and
 * edited through the ucontext, restored by sigreturn).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t hits[65];
static volatile int last_code, last_pid, last_value;
static char order[64];
static volatile int order_len;

static void note(char c)
{
    if (order_len < (int)sizeof order - 1)
        order[order_len++] = c;
    order[order_len] = 0;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits[sig]++;
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_value = si->si_value.sival_int;
    note(sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : 'r');
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags, int mask_sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (mask_sig)
        sigaddset(&sa.sa_mask, mask_sig);
    sigaction(sig, &sa, NULL);
}

static void reset(void)
{
    memset((void *)hits, 0, sizeof hits);
    order_len = 0;
    order[0] = 0;
}

static void test_basic(void)
{
    install(SIGUSR1, on_info, 0, 0);
    install(SIGUSR2, on_info, 0, 0);
    reset();
    raise(SIGUSR1);
    check_u64("raise runs handler", (uint64_t)hits[SIGUSR1], 1);
    check_u64("raise si_code SI_TKILL", (uint64_t)(int64_t)last_code, (uint64_t)(int64_t)SI_TKILL);
    check_u64("raise si_pid", (uint64_t)last_pid, (uint64_t)getpid());
    kill(getpid(), SIGUSR2);
    check_u64("kill runs handler", (uint64_t)hits[SIGUSR2], 1);
    check_u64("kill si_code SI_USER", (uint64_t)last_code, SI_USER);
    check_u64("kill si_pid", (uint64_t)last_pid, (uint64_t)getpid());
}

static void test_mask(void)
{
    sigset_t set, old, pend;
    reset();
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    raise(SIGUSR1);
    check_u64("blocked signal not delivered", (uint64_t)hits[SIGUSR1], 0);
    sigpending(&pend);
    check_u64("blocked signal pending", (uint64_t)sigismember(&pend, SIGUSR1), 1);
    check_u64("other signal not pending", (uint64_t)sigismember(&pend, SIGUSR2), 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    check_u64("delivered once on unblock", (uint64_t)hits[SIGUSR1], 1);
    sigpending(&pend);
    check_u64("nothing pending after unblock", (uint64_t)sigismember(&pend, SIGUSR1), 0);

    /* real-time signals queue, lowest number first, FIFO with their values */
    int rt = SIGRTMIN + 2;
    install(rt, on_info, 0, 0);
    reset();
    sigemptyset(&set);
    sigaddset(&set, rt);
    sigprocmask(SIG_BLOCK, &set, &old);
    for (int v = 1; v <= 3; v++)
        sigqueue(getpid(), rt, (union sigval){.sival_int = v * 10});
    check_u64("rt signals wait while blocked", (uint64_t)hits[rt], 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    check_u64("rt signals all delivered", (uint64_t)hits[rt], 3);
    check_u64("rt last value", (uint64_t)last_value, 30);
    check_u64("rt si_code SI_QUEUE", (uint64_t)(int64_t)last_code, (uint64_t)(int64_t)SI_QUEUE);

    /* sigtimedwait takes a blocked pending signal synchronously */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    reset();
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &si, &ts);
    check_u64("sigtimedwait returns the signal", (uint64_t)s, SIGUSR2);
    check_u64("sigtimedwait si_code", (uint64_t)si.si_code, SI_USER);
    check_u64("sigtimedwait bypasses the handler", (uint64_t)hits[SIGUSR2], 0);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000;
    s = sigtimedwait(&set, &si, &ts);
    check_true("sigtimedwait timeout", s == -1 && errno == EAGAIN, "s=%d errno=%d", s, errno);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* SIGUSR1 handler that raises SIGUSR2 inside itself */
static void on_usr1_raising(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    note('[');
    hits[sig]++;
    raise(SIGUSR2);
    note(']');
}

static void test_nesting(void)
{
    /* SIGUSR2 in sa_mask: deferred until the handler returns */
    install(SIGUSR1, on_usr1_raising, 0, SIGUSR2);
    install(SIGUSR2, on_info, 0, 0);
    reset();
    raise(SIGUSR1);
    check_true("sa_mask defers inner signal", !strcmp(order, "[]2"), "order '%s'", order);
    /* not masked: the inner handler runs nested */
    install(SIGUSR1, on_usr1_raising, 0, 0);
    reset();
    raise(SIGUSR1);
    check_true("nested handler", !strcmp(order, "[2]"), "order '%s'", order);
    /* SA_RESETHAND: the disposition reverts to SIG_DFL after one delivery */
    install(SIGUSR1, on_info, SA_RESETHAND, 0);
    reset();
    raise(SIGUSR1);
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    check_u64("SA_RESETHAND delivered", (uint64_t)hits[SIGUSR1], 1);
    check_true("SA_RESETHAND reset to SIG_DFL", cur.sa_handler == SIG_DFL, "still installed");
    install(SIGUSR1, on_info, 0, 0);
}

static sigjmp_buf segv_env;
static volatile uint64_t segv_addr;
static volatile int segv_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    segv_addr = (uint64_t)(uintptr_t)si->si_addr;
    segv_code = si->si_code;
    siglongjmp(segv_env, 1);
}

static void test_segv(void)
{
    install(SIGSEGV, on_segv, 0, 0);
    volatile int *bad = (volatile int *)(uintptr_t)0x10;
    int recovered = 0;
    if (sigsetjmp(segv_env, 1) == 0) {
        (void)*bad;
        check_true("load from 0x10 faults", 0, "no fault");
    } else {
        recovered = 1;
    }
    check_u64("SIGSEGV recovered by siglongjmp", (uint64_t)recovered, 1);
    check_u64("SIGSEGV si_addr (load)", segv_addr, 0x10);
    check_u64("SIGSEGV si_code MAPERR", (uint64_t)segv_code, SEGV_MAPERR);

    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    recovered = 0;
    if (sigsetjmp(segv_env, 1) == 0) {
        ((volatile char *)ro)[123] = 1;
        check_true("store to read-only page faults", 0, "no fault");
    } else {
        recovered = 1;
    }
    check_u64("SIGSEGV store recovered", (uint64_t)recovered, 1);
    check_u64("SIGSEGV si_addr (store)", segv_addr, (uint64_t)(uintptr_t)(ro + 123));
    check_u64("SIGSEGV si_code ACCERR", (uint64_t)segv_code, SEGV_ACCERR);
    munmap(ro, 4096);

    /* the signal mask was restored by siglongjmp(…, 1): a second fault is caught again */
    recovered = 0;
    if (sigsetjmp(segv_env, 1) == 0)
        *OPAQUE((volatile uint64_t *)(uintptr_t)0x20) = 5;
    else
        recovered = 1;
    check_u64("second SIGSEGV caught", (uint64_t)recovered, 1);
    check_u64("SIGSEGV si_addr (second)", segv_addr, 0x20);
}

static volatile int alarm_hits;
static void on_alarm(int sig) { (void)sig, alarm_hits++; }

static void test_alarm_and_eintr(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    /* alarm(1) ends sigsuspend */
    sigset_t block, old, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    alarm(1);
    wait_mask = old;
    sigdelset(&wait_mask, SIGALRM);
    while (!alarm_hits)
        sigsuspend(&wait_mask);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    check_u64("SIGALRM from alarm(1)", (uint64_t)alarm_hits, 1);
    check_true("alarm(1) took about a second", dt > 0.9 && dt < 5, "%.3f s", dt);

    /* a timer signal interrupts a blocking read: EINTR without SA_RESTART */
    int fds[2];
    if (pipe(fds) != 0) {
        check_true("pipe", 0, "failed");
        return;
    }
    struct itimerval it = {{0, 0}, {0, 100 * 1000}};
    char c;
    alarm_hits = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    ssize_t n = read(fds[0], &c, 1);
    check_true("read interrupted with EINTR", n == -1 && errno == EINTR, "n=%zd errno=%d", n,
               errno);
    check_u64("timer handler ran", (uint64_t)alarm_hits, 1);

    /* with SA_RESTART the read continues; a second timer ends it by writing data */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm_hits = 0;
    it.it_value.tv_usec = 50 * 1000;
    it.it_interval.tv_usec = 50 * 1000; /* periodic: keeps interrupting the read */
    setitimer(ITIMER_REAL, &it, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        _exit(0);
    }
    n = read(fds[0], &c, 1);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    check_true("SA_RESTART read completes", n == 1 && c == 'x', "n=%zd errno=%d", n, errno);
    check_true("timer fired during the restarted read", alarm_hits >= 2, "%d", alarm_hits);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
}

static char *alt_base;
static volatile int on_alt, alt_flags_inside;

static void on_usr1_alt(int sig)
{
    (void)sig;
    char local;
    stack_t cur;
    on_alt = &local >= alt_base && &local < alt_base + 65536;
    sigaltstack(NULL, &cur);
    alt_flags_inside = cur.ss_flags;
}

static void test_altstack(void)
{
    alt_base = malloc(65536);
    stack_t ss = {.ss_sp = alt_base, .ss_size = 65536, .ss_flags = 0};
    check_u64("sigaltstack set", (uint64_t)sigaltstack(&ss, NULL), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check_u64("SA_ONSTACK handler runs on the alternate stack", (uint64_t)on_alt, 1);
    check_u64("ss_flags inside is SS_ONSTACK", (uint64_t)alt_flags_inside, SS_ONSTACK);
    stack_t cur;
    sigaltstack(NULL, &cur);
    check_u64("ss_flags outside is 0", (uint64_t)cur.ss_flags, 0);
    check_u64("sigaltstack reports the stack", (uint64_t)(uintptr_t)cur.ss_sp,
              (uint64_t)(uintptr_t)alt_base);
    /* without SA_ONSTACK the normal stack is used */
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    on_alt = -1;
    raise(SIGUSR1);
    check_u64("without SA_ONSTACK: normal stack", (uint64_t)on_alt, 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    install(SIGUSR1, on_info, 0, 0);
}

/* FP registers and fcsr in the signal frame */
static volatile uint64_t fp_seen, fcsr_seen;

static void on_trap_fp(int sig, siginfo_t *si, void *uc_)
{
    (void)sig, (void)si;
    ucontext_t *uc = uc_;
    fp_seen = uc->uc_mcontext.__fpregs.__d.__f[9]; /* fs1 */
    fcsr_seen = uc->uc_mcontext.__fpregs.__d.__fcsr;
    uc->uc_mcontext.__fpregs.__d.__f[9] = 0x4045000000000000ull; /* 42.0 */
    uc->uc_mcontext.__fpregs.__d.__fcsr = (2u << 5) | 0x1u;      /* frm = RDN, NX */
    uc->uc_mcontext.__gregs[REG_PC] += 4;                        /* skip the ebreak */
}

static void test_fp_frame(void)
{
    install(SIGTRAP, on_trap_fp, 0, 0);
    uint64_t after, fcsr_after;
    __asm__ volatile("fmv.d.x fs1, %2\n"
                     " li t0, 0x24\n csrw fcsr, t0\n" /* frm = RTZ, OF */
                     " .option push\n .option norvc\n ebreak\n .option pop\n"
                     " fmv.x.d %0, fs1\n"
                     " csrr %1, fcsr\n"
                     " csrwi fcsr, 0"
                     : "=r"(after), "=r"(fcsr_after)
                     : "r"(0x400921fb54442d18ull) /* pi */
                     : "fs1", "t0");
    check_u64("signal frame holds fs1", fp_seen, 0x400921fb54442d18ull);
    check_u64("signal frame holds fcsr", fcsr_seen, 0x24);
    check_u64("fs1 edited in frame restored by sigreturn", after, 0x4045000000000000ull);
    check_u64("fcsr edited in frame restored by sigreturn", fcsr_after, 0x41);
}

int main(void)
{
    test_basic();
    test_mask();
    test_nesting();
    test_segv();
    test_altstack();
    test_fp_frame();
    test_alarm_and_eintr();
    return check_done("signals");
}
