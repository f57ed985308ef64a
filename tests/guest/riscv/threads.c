/*
 * POSIX threads on the guest: several threads hammer shared state through AMOs
 * (__atomic_fetch_add), an LR/SC compare-exchange loop and a mutex, and every total must
 * be exact; a bounded queue with two condition variables passes numbers from producers to
 * consumers; a raw futex wait/wake handshake; thread-local storage stays per thread;
 * pthread_join (futex on the CLONE_CHILD_CLEARTID word) returns each thread's value;
 * threads share the pid but have their own tid.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

enum { NTHREADS = 4, ITERS = 3000 };

static uint64_t amo_total;       /* __atomic_fetch_add */
static uint64_t cas_total;       /* compare-exchange loop */
static uint64_t mutex_total;     /* plain add under a mutex */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread uint64_t tls_count = 7; /* initial value from the TLS image */
static __thread char tls_name[16];
static pthread_barrier_t barrier;

struct worker_result {
    uint64_t tls_count, tls_addr;
    int tid;
    char name[16];
};

static void *worker(void *arg)
{
    long id = (long)arg;
    struct worker_result *r = calloc(1, sizeof *r);
    snprintf(tls_name, sizeof tls_name, "worker%ld", id);
    pthread_barrier_wait(&barrier); /* start together to maximise contention */
    for (uint64_t i = 1; i <= ITERS; i++) {
        __atomic_fetch_add(&amo_total, i, __ATOMIC_SEQ_CST);
        uint64_t old = __atomic_load_n(&cas_total, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_total, &old, old + 2 * i, 1, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
            ;
        pthread_mutex_lock(&mutex);
        mutex_total += 3;
        pthread_mutex_unlock(&mutex);
        tls_count++;
        if (i % 500 == 0)
            sched_yield();
    }
    r->tls_count = tls_count;
    r->tls_addr = (uint64_t)(uintptr_t)&tls_count;
    r->tid = (int)syscall(SYS_gettid);
    memcpy(r->name, tls_name, sizeof r->name);
    return r;
}

static void test_counters(void)
{
    pthread_t th[NTHREADS];
    struct worker_result *res[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) {
            check_true("pthread_create", 0, "thread %ld", i);
            return;
        }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], (void **)&res[i]);

    uint64_t per_thread = (uint64_t)ITERS * (ITERS + 1) / 2; /* 1 + 2 + ... + ITERS */
    check_u64("atomic fetch_add total", amo_total, NTHREADS * per_thread);
    check_u64("compare-exchange total", cas_total, 2 * NTHREADS * per_thread);
    check_u64("mutex total", mutex_total, 3ull * NTHREADS * ITERS);
    int main_tid = (int)syscall(SYS_gettid);
    for (int i = 0; i < NTHREADS; i++) {
        char want[16];
        snprintf(want, sizeof want, "worker%d", i);
        check_u64("tls counter per thread", res[i]->tls_count, 7 + ITERS);
        check_true("tls string per thread", !strcmp(res[i]->name, want), "'%s' vs '%s'",
                   res[i]->name, want);
        check_true("tls address differs from main", res[i]->tls_addr != (uintptr_t)&tls_count,
                   "same address");
        check_true("tid differs from main", res[i]->tid != main_tid && res[i]->tid > 0, "tid %d",
                   res[i]->tid);
        for (int j = 0; j < i; j++)
            check_true("distinct tids and tls", res[i]->tid != res[j]->tid &&
                                                    res[i]->tls_addr != res[j]->tls_addr,
                       "threads %d and %d", i, j);
        free(res[i]);
    }
    check_u64("main thread tls untouched", tls_count, 7);
    check_u64("main thread is the process", (uint64_t)getpid(), (uint64_t)main_tid);
    pthread_barrier_destroy(&barrier);
}

/* bounded queue: 2 producers x PER items, 2 consumers */
enum { QCAP = 8, PER = 1000 };
static struct {
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    uint64_t buf[QCAP];
    int head, count, producers_left;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0,
       2};

static void *producer(void *arg)
{
    uint64_t base = (uint64_t)(uintptr_t)arg;
    for (uint64_t i = 1; i <= PER; i++) {
        pthread_mutex_lock(&q.m);
        while (q.count == QCAP)
            pthread_cond_wait(&q.not_full, &q.m);
        q.buf[(q.head + q.count) % QCAP] = base + i;
        q.count++;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.m);
    }
    pthread_mutex_lock(&q.m);
    q.producers_left--;
    pthread_cond_broadcast(&q.not_empty);
    pthread_mutex_unlock(&q.m);
    return NULL;
}

static void *consumer(void *arg)
{
    uint64_t *sum = arg, n = 0;
    for (;;) {
        pthread_mutex_lock(&q.m);
        while (q.count == 0 && q.producers_left > 0)
            pthread_cond_wait(&q.not_empty, &q.m);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.m);
            break;
        }
        uint64_t v = q.buf[q.head];
        q.head = (q.head + 1) % QCAP;
        q.count--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.m);
        *sum += v;
        n++;
    }
    sum[1] = n;
    return NULL;
}

static void test_condvar(void)
{
    pthread_t p[2], c[2];
    uint64_t sums[2][2] = {{0, 0}, {0, 0}};
    pthread_create(&c[0], NULL, consumer, sums[0]);
    pthread_create(&c[1], NULL, consumer, sums[1]);
    pthread_create(&p[0], NULL, producer, (void *)(uintptr_t)0);
    pthread_create(&p[1], NULL, producer, (void *)(uintptr_t)1000000);
    for (int i = 0; i < 2; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    /* (1+...+1000) + (1000*1000000 + 1+...+1000) */
    check_u64("condvar queue sum", sums[0][0] + sums[1][0], 500500ull * 2 + 1000000000ull);
    check_u64("condvar queue count", sums[0][1] + sums[1][1], 2 * PER);
}

/* raw futex: the thread sleeps in FUTEX_WAIT until main changes the word and wakes it */
static uint32_t futex_word, futex_seen;

static void *futex_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    __atomic_store_n(&futex_seen, futex_word, __ATOMIC_RELEASE);
    return (void *)(uintptr_t)0xabc;
}

static void test_futex(void)
{
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, futex_waiter, NULL);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* let it block (a spurious early wake-up is handled by the loop) */
    __atomic_store_n(&futex_word, 42, __ATOMIC_RELEASE);
    long woken = syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, &ret);
    check_u64("futex waiter saw the new value", futex_seen, 42);
    check_true("futex wake count is 0 or 1", woken == 0 || woken == 1, "%ld", woken);
    check_u64("pthread_join return value", (uint64_t)(uintptr_t)ret, 0xabc);
    /* FUTEX_WAIT with a stale expected value returns EAGAIN at once */
    long rc = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    check_true("futex wait on changed word", rc == -1 && errno == EAGAIN, "rc=%ld errno=%d", rc,
               errno);
}

int main(void)
{
    test_counters();
    test_condvar();
    test_futex();
    return check_done("threads");
}
