/*
 * Guest threads in user mode: one host pthread per guest thread (clone with CLONE_VM |
 * CLONE_THREAD), thread exit with the CLONE_CHILD_CLEARTID wake-up, exit_group, the
 * thread id and robust-list calls, and the process-wide thread records.
 *
 * Invariants:
 * - guest tid = host tid (gettid of the host thread).
 * - Records are linked at the head of lu_proc.threads with one atomic store and never
 *   unlinked or freed; a dead record is reused. Signal handlers walk the list unlocked.
 * - A new host thread starts with every host signal blocked and runs no guest code until
 *   the parent has written CLONE_PARENT_SETTID/CHILD_SETTID (the kernel's order).
 * - lu_live_threads counts guest threads not yet exited (under lu_proc.lock); the last
 *   one to exit ends the process with its status, as Linux does.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "exec/exec.h"
#include "user/lu_core.h"

struct lu_process lu_proc = {.lock = PTHREAD_MUTEX_INITIALIZER};
__thread struct lu_thread *lu_cur;
int lu_live_threads;

struct lu_thread *lu_self(void) { return lu_cur; }

struct cpu_common *lu_cpu_new(const struct lu_target *tg)
{
    struct cpu_common *c = calloc(1, tg->arch->cpu_size);
    if (!c)
        return NULL;
    c->arch = tg->arch;
    c->mem_base = lu_mem.base;
    c->mem_mask = LU_SPACE - 1;
    c->fetch = lu_fetch;
    if (exec_ctx_new(c)) {
        free(c);
        return NULL;
    }
    return c;
}

struct lu_thread *lu_thread_alloc(struct cpu_common *cpu, const struct lu_target *tg)
{
    pthread_mutex_lock(&lu_proc.lock);
    struct lu_tcore *tc = NULL;
    for (struct lu_thread *o = lu_proc.threads; o; o = o->next)
        if (lu_tc(o)->dead) {
            tc = lu_tc(o);
            break;
        }
    bool fresh = !tc;
    if (fresh && !(tc = calloc(1, sizeof(*tc)))) {
        pthread_mutex_unlock(&lu_proc.lock);
        return NULL;
    }
    struct lu_thread *t = &tc->t;
    /* reset everything but the links a signal handler may be following */
    struct lu_thread *next = t->next;
    void *alt = tc->host_altstack;
    memset(tc, 0, sizeof(*tc));
    t->next = next;
    tc->host_altstack = alt;
    t->cpu = cpu;
    cpu->opaque = t;
    tc->target = tg;
    t->altstack_flags = SS_DISABLE;
    if (fresh) {
        t->next = lu_proc.threads;
        __atomic_store_n(&lu_proc.threads, t, __ATOMIC_RELEASE);
    }
    lu_live_threads++;
    pthread_mutex_unlock(&lu_proc.lock);
    return t;
}

static long futex(void *addr, int op, int val)
{
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* ---- thread creation ---- */

struct lu_start {
    struct lu_thread *t;
    int tid;   /* written by the child once it runs */
    int go;    /* written by the parent when the child may run guest code */
    int refs;  /* parent and child; the last to let go frees it */
};

static void start_put(struct lu_start *st)
{
    if (__atomic_sub_fetch(&st->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(st);
}

static void *thread_main(void *arg)
{
    struct lu_start *st = arg;
    struct lu_thread *t = st->t;
    lu_cur = t;
    t->tid = (int)gettid();
    __atomic_store_n(&st->tid, t->tid, __ATOMIC_RELEASE);
    futex(&st->tid, FUTEX_WAKE_PRIVATE, 1);
    while (!__atomic_load_n(&st->go, __ATOMIC_ACQUIRE))
        futex(&st->go, FUTEX_WAIT_PRIVATE, 0);
    start_put(st);
    if (lu_signal_thread_init(t)) {
        error_msg("cannot set up signal handling for a new thread");
        syscall(SYS_exit_group, 1);
    }
    int code = lu_run(t);
    lu_thread_exit(t, code);
    return NULL;
}

static long clone_thread(struct lu_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
                         uint64_t ctid, uint64_t tls)
{
    struct lu_tcore *tc = lu_tc(t);
    const struct lu_target *tg = tc->target;
    size_t sz = tg->arch->cpu_size;
    struct cpu_common *nc = malloc(sz);
    if (!nc)
        return -ENOMEM;
    memcpy(nc, t->cpu, sz);
    nc->exec = NULL;
    nc->jmp_env = NULL;
    nc->exit_request = 0;
    nc->opaque = NULL;
    if (exec_ctx_new(nc)) {
        free(nc);
        return -ENOMEM;
    }
    tg->clone_child(nc, newsp, (flags & CLONE_SETTLS) != 0, tls);
    tg->syscall_skip(nc);
    struct lu_thread *nt = lu_thread_alloc(nc, tg);
    struct lu_start *st = calloc(1, sizeof(*st));
    if (!nt || !st) {
        free(st);
        exec_ctx_free(nc);
        free(nc);
        if (nt)
            lu_thread_exit_record(nt);
        return -ENOMEM;
    }
    nt->sigmask = t->sigmask;
    if (flags & CLONE_CHILD_CLEARTID)
        nt->clear_child_tid = ctid;
    st->t = nt;
    st->refs = 2;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 4u << 20);
    uint64_t old = lu_host_block_all();
    pthread_t th;
    int e = pthread_create(&th, &attr, thread_main, st);
    lu_host_setmask(old);
    pthread_attr_destroy(&attr);
    if (e) {
        free(st);
        exec_ctx_free(nc);
        free(nc);
        lu_thread_exit_record(nt);
        return -e;
    }
    int tid;
    while (!(tid = __atomic_load_n(&st->tid, __ATOMIC_ACQUIRE)))
        futex(&st->tid, FUTEX_WAIT_PRIVATE, 0);
    if (flags & CLONE_PARENT_SETTID)
        lu_copy_to_guest(ptid, &tid, 4);
    if (flags & CLONE_CHILD_SETTID)
        lu_copy_to_guest(ctid, &tid, 4);
    __atomic_store_n(&st->go, 1, __ATOMIC_RELEASE);
    futex(&st->go, FUTEX_WAKE_PRIVATE, 1);
    start_put(st);
    return tid;
}

long lu_sys_clone(struct lu_thread *t, const uint64_t a[6])
{
    /* riscv64's order (glibc's clone.S; x86-64 swaps the last two): flags, newsp, ptid,
     * tls, ctid */
    uint64_t flags = a[0], newsp = a[1], ptid = a[2], tls = a[3], ctid = a[4];
    const uint64_t ns = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                        CLONE_NEWPID | CLONE_NEWNET | CLONE_PIDFD;
    if (flags & ns)
        return -EINVAL;
    if (flags & CLONE_THREAD) {
        if (!(flags & CLONE_VM) || !(flags & CLONE_SIGHAND))
            return -EINVAL;
        return clone_thread(t, flags, newsp, ptid, ctid, tls);
    }
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    /* a process: CLONE_VM (vfork, posix_spawn) becomes a copy, which a child that only
     * execs or exits cannot tell apart */
    return lu_fork(t, flags, newsp, ptid, ctid, tls);
}

long lu_sys_clone3(struct lu_thread *t, const uint64_t a[6])
{
    /* glibc falls back to clone() on ENOSYS */
    return -ENOSYS;
}

/* ---- exit ---- */

void lu_thread_exit_record(struct lu_thread *t)
{
    pthread_mutex_lock(&lu_proc.lock);
    lu_live_threads--;
    lu_tc(t)->dead = true;
    pthread_mutex_unlock(&lu_proc.lock);
}

_Noreturn static void exit_group(int code)
{
    exec_report(); /* --stats */
    if (log_file)
        fflush(log_file);
    syscall(SYS_exit_group, code & 0xff);
    _exit(code & 0xff);
}

void lu_thread_exit(struct lu_thread *t, int code)
{
    pthread_mutex_lock(&lu_proc.lock);
    int live = --lu_live_threads;
    pthread_mutex_unlock(&lu_proc.lock);
    if (live == 0)
        exit_group(code);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (!lu_copy_to_guest(t->clear_child_tid, &zero, 4)) {
            /* pthread_join waits with a shared or a private futex: wake both kinds */
            futex(lu_g2h(t->clear_child_tid), FUTEX_WAKE, INT_MAX);
            futex(lu_g2h(t->clear_child_tid), FUTEX_WAKE_PRIVATE, INT_MAX);
        }
    }
    lu_host_block_all();
    lu_cur = NULL;
    lu_signal_thread_fini(t);
    struct cpu_common *c = t->cpu;
    exec_ctx_free(c);
    free(c);
    pthread_mutex_lock(&lu_proc.lock);
    t->cpu = NULL;
    lu_tc(t)->dead = true;
    pthread_mutex_unlock(&lu_proc.lock);
}

long lu_sys_exit(struct lu_thread *t, const uint64_t a[6])
{
    struct lu_tcore *tc = lu_tc(t);
    tc->exiting = true;
    tc->exit_code = (int)(a[0] & 0xff);
    return 0;
}

long lu_sys_exit_group(struct lu_thread *t, const uint64_t a[6])
{
    exit_group((int)a[0]);
}

long lu_sys_set_tid_address(struct lu_thread *t, const uint64_t a[6])
{
    t->clear_child_tid = a[0];
    return t->tid;
}

long lu_sys_set_robust_list(struct lu_thread *t, const uint64_t a[6])
{
    /* sizeof(struct robust_list_head) on 64-bit guests */
    if (a[1] != 24)
        return -EINVAL;
    t->robust_list = a[0];
    t->robust_len = a[1];
    return 0;
}

long lu_sys_get_robust_list(struct lu_thread *t, const uint64_t a[6])
{
    int pid = (int)a[0];
    struct lu_thread *o = NULL;
    if (!pid) {
        o = t;
    } else {
        pthread_mutex_lock(&lu_proc.lock);
        for (struct lu_thread *x = lu_proc.threads; x; x = x->next)
            if (!lu_tc(x)->dead && x->tid == pid)
                o = x;
        pthread_mutex_unlock(&lu_proc.lock);
    }
    if (!o)
        return -ESRCH;
    uint64_t head = o->robust_list, len = o->robust_len;
    if (lu_copy_to_guest(a[1], &head, 8) || lu_copy_to_guest(a[2], &len, 8))
        return -EFAULT;
    return 0;
}

void lu_thread_after_fork(struct lu_thread *t)
{
    pthread_mutex_init(&lu_proc.lock, NULL);
    for (struct lu_thread *o = lu_proc.threads; o; o = o->next) {
        if (o == t || lu_tc(o)->dead)
            continue;
        /* the engine would wait for these vCPUs to pass a safe point before freeing
         * retired blocks; they do not exist here */
        if (o->cpu)
            exec_ctx_free(o->cpu);
        o->cpu = NULL;
        lu_tc(o)->dead = true;
    }
    lu_live_threads = 1;
    t->tid = (int)gettid();
}
