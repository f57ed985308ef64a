/*
 * The event loop: one thread waiting in epoll on backend file descriptors, one timerfd
 * that always holds the earliest armed timer's deadline, and an eventfd that wakes the
 * thread to stop.
 *
 * Invariants:
 * - Only the loop thread runs callbacks, one at a time, never with ev.lock held, so a
 *   callback may call any evloop function (including re-arming or deleting itself).
 * - ev.timers is the list of armed timers sorted by deadline (ties in arming order);
 *   ev.timerfd_deadline is what the timerfd holds (UINT64_MAX: disarmed), and equals the
 *   list head's deadline whenever ev.lock is free.
 * - A timer callback can run after a concurrent evloop_timer_mod/del returned if the loop
 *   had already taken it off the list: callbacks re-check their device state. Mod and
 *   del never wait (devices call them with their own lock held, which the callback may
 *   be waiting for). evloop_timer_free and evloop_del_fd do wait for a running callback
 *   of theirs to finish, so that its opaque can be freed afterwards.
 * - epoll events carry (generation << 32 | fd): an event queued for an fd that was
 *   deleted and re-added in the meantime is dropped instead of reaching the new owner.
 */
#include "core/evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

struct evtimer {
    void (*cb)(void *opaque);
    void *opaque;
    uint64_t deadline;
    bool armed;
    struct evtimer *next; /* in ev.timers while armed */
};

struct evloop_fdent {
    int fd;
    uint32_t gen;
    evloop_fd_cb *cb;
    void *opaque;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* broadcast whenever a callback returns */
    pthread_once_t once;
    int init_err;
    int epfd, wakefd, timerfd;

    pthread_t thread;
    bool running, stop;

    struct evtimer *timers;
    uint64_t timerfd_deadline;

    struct evloop_fdent *fds;
    unsigned nfds, capfds;
    uint32_t gen;

    /* the callback the loop thread runs now, so del/free can wait for it */
    const struct evtimer *busy_timer;
    uint64_t busy_fd_key; /* gen << 32 | fd, or 0 */
} ev = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
    .once = PTHREAD_ONCE_INIT,
    .epfd = -1,
    .wakefd = -1,
    .timerfd = -1,
    .timerfd_deadline = UINT64_MAX,
};

static __thread bool evloop_on_thread;

#define EVLOOP_KEY_WAKE UINT64_MAX
#define EVLOOP_KEY_TIMER (UINT64_MAX - 1)

uint64_t evloop_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void evloop_init_once(void)
{
    struct epoll_event e = {.events = EPOLLIN};
    ev.epfd = epoll_create1(EPOLL_CLOEXEC);
    ev.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ev.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (ev.epfd < 0 || ev.wakefd < 0 || ev.timerfd < 0) {
        ev.init_err = -errno;
        return;
    }
    e.data.u64 = EVLOOP_KEY_WAKE;
    if (epoll_ctl(ev.epfd, EPOLL_CTL_ADD, ev.wakefd, &e) < 0) {
        ev.init_err = -errno;
        return;
    }
    e.data.u64 = EVLOOP_KEY_TIMER;
    if (epoll_ctl(ev.epfd, EPOLL_CTL_ADD, ev.timerfd, &e) < 0)
        ev.init_err = -errno;
}

static int evloop_init(void)
{
    pthread_once(&ev.once, evloop_init_once);
    return ev.init_err;
}

/* ---- timers ---- */

/* Called with ev.lock held: make the timerfd match the list head. */
static void evloop_timerfd_sync(void)
{
    uint64_t d = ev.timers ? ev.timers->deadline : UINT64_MAX;
    if (d == ev.timerfd_deadline)
        return;
    struct itimerspec its = {0};
    if (d != UINT64_MAX) {
        /* an all-zero it_value disarms; a deadline of 0 means "already due" */
        uint64_t ns = d ? d : 1;
        its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
        its.it_value.tv_nsec = (long)(ns % 1000000000ull);
    }
    if (timerfd_settime(ev.timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
        /* cannot happen with a valid fd and in-range values; say so rather than hang */
        error_msg("event loop: timerfd_settime: %s", strerror(errno));
        return;
    }
    ev.timerfd_deadline = d;
}

static void evloop_timer_unlink(struct evtimer *t)
{
    if (!t->armed)
        return;
    for (struct evtimer **pp = &ev.timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    t->armed = false;
    t->next = NULL;
}

struct evtimer *evloop_timer_new(void (*cb)(void *opaque), void *opaque)
{
    if (evloop_init() < 0)
        return NULL;
    struct evtimer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cb = cb;
    t->opaque = opaque;
    return t;
}

void evloop_timer_mod(struct evtimer *t, uint64_t deadline_ns)
{
    if (!t)
        return;
    pthread_mutex_lock(&ev.lock);
    evloop_timer_unlink(t);
    /* Beyond INT64_MAX ns (292 years of uptime) a timespec cannot hold the deadline:
     * such a timer never fires, like mtimecmp = -1. */
    if (deadline_ns <= (uint64_t)INT64_MAX) {
        struct evtimer **pp = &ev.timers;
        while (*pp && (*pp)->deadline <= deadline_ns)
            pp = &(*pp)->next;
        t->deadline = deadline_ns;
        t->next = *pp;
        *pp = t;
        t->armed = true;
    }
    evloop_timerfd_sync();
    pthread_mutex_unlock(&ev.lock);
}

void evloop_timer_del(struct evtimer *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&ev.lock);
    evloop_timer_unlink(t);
    evloop_timerfd_sync();
    pthread_mutex_unlock(&ev.lock);
}

void evloop_timer_free(struct evtimer *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&ev.lock);
    evloop_timer_unlink(t);
    evloop_timerfd_sync();
    while (!evloop_on_thread && ev.busy_timer == t)
        pthread_cond_wait(&ev.idle, &ev.lock);
    pthread_mutex_unlock(&ev.lock);
    free(t);
}

bool evloop_timer_armed(const struct evtimer *t)
{
    pthread_mutex_lock(&ev.lock);
    bool armed = t && t->armed;
    pthread_mutex_unlock(&ev.lock);
    return armed;
}

static void evloop_run_timers(void)
{
    uint64_t buf;
    /* EAGAIN: the deadline moved after the event was queued; the list decides anyway */
    if (read(ev.timerfd, &buf, sizeof(buf)) < 0 && errno != EAGAIN)
        error_msg("event loop: timerfd read: %s", strerror(errno));

    pthread_mutex_lock(&ev.lock);
    /* the fd fired (or was about to): whatever it held is spent */
    ev.timerfd_deadline = UINT64_MAX;
    uint64_t now = evloop_now_ns();
    while (ev.timers && ev.timers->deadline <= now && !ev.stop) {
        struct evtimer *t = ev.timers;
        evloop_timer_unlink(t);
        ev.busy_timer = t;
        pthread_mutex_unlock(&ev.lock);
        t->cb(t->opaque);
        pthread_mutex_lock(&ev.lock);
        ev.busy_timer = NULL;
        pthread_cond_broadcast(&ev.idle);
        now = evloop_now_ns();
    }
    evloop_timerfd_sync();
    pthread_mutex_unlock(&ev.lock);
}

/* ---- file descriptors ---- */

static struct evloop_fdent *evloop_fd_find(int fd)
{
    for (unsigned i = 0; i < ev.nfds; i++)
        if (ev.fds[i].fd == fd)
            return &ev.fds[i];
    return NULL;
}

int evloop_add_fd(int fd, uint32_t events, evloop_fd_cb *cb, void *opaque)
{
    int err = evloop_init();
    if (err < 0)
        return err;
    if (fd < 0 || !cb)
        return -EINVAL;
    pthread_mutex_lock(&ev.lock);
    if (evloop_fd_find(fd)) {
        err = -EEXIST;
        goto out;
    }
    if (ev.nfds == ev.capfds) {
        unsigned cap = ev.capfds ? ev.capfds * 2 : 8;
        struct evloop_fdent *n = realloc(ev.fds, cap * sizeof(*n));
        if (!n) {
            err = -ENOMEM;
            goto out;
        }
        ev.fds = n;
        ev.capfds = cap;
    }
    /* generation 0 never appears, so busy_fd_key 0 means "none" */
    if (++ev.gen == 0)
        ev.gen = 1;
    struct epoll_event e = {.events = events, .data.u64 = (uint64_t)ev.gen << 32 | (uint32_t)fd};
    if (epoll_ctl(ev.epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        err = -errno;
        goto out;
    }
    ev.fds[ev.nfds++] = (struct evloop_fdent){.fd = fd, .gen = ev.gen, .cb = cb, .opaque = opaque};
out:
    pthread_mutex_unlock(&ev.lock);
    return err;
}

int evloop_mod_fd(int fd, uint32_t events)
{
    int err = evloop_init();
    if (err < 0)
        return err;
    pthread_mutex_lock(&ev.lock);
    struct evloop_fdent *f = evloop_fd_find(fd);
    if (!f) {
        err = -ENOENT;
    } else {
        struct epoll_event e = {.events = events,
                                .data.u64 = (uint64_t)f->gen << 32 | (uint32_t)fd};
        if (epoll_ctl(ev.epfd, EPOLL_CTL_MOD, fd, &e) < 0)
            err = -errno;
    }
    pthread_mutex_unlock(&ev.lock);
    return err;
}

void evloop_del_fd(int fd)
{
    if (evloop_init() < 0)
        return;
    pthread_mutex_lock(&ev.lock);
    struct evloop_fdent *f = evloop_fd_find(fd);
    if (f) {
        uint64_t key = (uint64_t)f->gen << 32 | (uint32_t)fd;
        /* may fail with EBADF if the owner closed fd first; the entry goes anyway */
        epoll_ctl(ev.epfd, EPOLL_CTL_DEL, fd, NULL);
        *f = ev.fds[--ev.nfds];
        while (!evloop_on_thread && ev.busy_fd_key == key)
            pthread_cond_wait(&ev.idle, &ev.lock);
    }
    pthread_mutex_unlock(&ev.lock);
}

static void evloop_dispatch_fd(uint64_t key, uint32_t events)
{
    int fd = (int)(uint32_t)key;
    pthread_mutex_lock(&ev.lock);
    struct evloop_fdent *f = evloop_fd_find(fd);
    if (!f || f->gen != (uint32_t)(key >> 32) || ev.stop) {
        pthread_mutex_unlock(&ev.lock);
        return;
    }
    evloop_fd_cb *cb = f->cb;
    void *opaque = f->opaque;
    ev.busy_fd_key = key;
    pthread_mutex_unlock(&ev.lock);
    cb(opaque, events);
    pthread_mutex_lock(&ev.lock);
    ev.busy_fd_key = 0;
    pthread_cond_broadcast(&ev.idle);
    pthread_mutex_unlock(&ev.lock);
}

/* ---- the thread ---- */

static void *evloop_thread(void *arg)
{
    struct epoll_event evs[32];
    evloop_on_thread = true;
    for (;;) {
        int n = epoll_wait(ev.epfd, evs, 32, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error_msg("event loop: epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t key = evs[i].data.u64;
            if (key == EVLOOP_KEY_WAKE) {
                uint64_t v;
                if (read(ev.wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    error_msg("event loop: eventfd read: %s", strerror(errno));
            } else if (key == EVLOOP_KEY_TIMER) {
                evloop_run_timers();
            } else {
                evloop_dispatch_fd(key, evs[i].events);
            }
        }
        pthread_mutex_lock(&ev.lock);
        bool stop = ev.stop;
        pthread_mutex_unlock(&ev.lock);
        if (stop)
            break;
    }
    pthread_mutex_lock(&ev.lock);
    ev.running = false;
    pthread_mutex_unlock(&ev.lock);
    return NULL;
}

int evloop_start(void)
{
    int err = evloop_init();
    if (err < 0)
        return err;
    pthread_mutex_lock(&ev.lock);
    if (ev.running && ev.stop) {
        err = -EAGAIN; /* stopped from a callback and not yet gone */
    } else if (!ev.running) {
        ev.stop = false;
        err = -pthread_create(&ev.thread, NULL, evloop_thread, NULL);
        if (!err)
            ev.running = true;
    }
    pthread_mutex_unlock(&ev.lock);
    return err;
}

void evloop_stop(void)
{
    pthread_mutex_lock(&ev.lock);
    if (!ev.running || ev.stop) {
        pthread_mutex_unlock(&ev.lock);
        return;
    }
    ev.stop = true;
    pthread_mutex_unlock(&ev.lock);
    uint64_t one = 1;
    if (write(ev.wakefd, &one, sizeof(one)) < 0)
        error_msg("event loop: eventfd write: %s", strerror(errno));
    if (evloop_on_thread) {
        /* a callback asked to stop: the thread exits when it returns; nobody joins it */
        pthread_detach(ev.thread);
    } else {
        pthread_join(ev.thread, NULL);
    }
}
