/*
 * User-mode networking over libslirp: the guest sees a NATed 10.0.2.0/24 with gateway
 * 10.0.2.2, DNS 10.0.2.3 and DHCP from 10.0.2.15; host ports can be forwarded in.
 *
 * Threading: libslirp is not thread-safe, so one thread of ours owns it. After
 * net_slirp_new returns, every slirp_* call happens on that thread: frames from the guest
 * are copied into a queue (any thread, short mutex) and the thread is woken through an
 * eventfd; slirp's timers and sockets are served by the same thread's poll() loop. Frames
 * for the guest are delivered from that thread too, so a NIC may hold its own lock while
 * sending without deadlock.
 *
 * Invariants: the tx queue is bounded (frames beyond it are dropped, as a full NIC
 * would); timers are only touched on the slirp thread (or before it starts).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "net/net.h"

#if CONFIG_SLIRP

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "core/log.h"

#define SLIRP_TXQ 512 /* frames queued from the guest before drops */

struct slirp_timer {
    struct slirp_timer *next;
    SlirpTimerCb cb;     /* timer_new style */
    SlirpTimerId id;     /* timer_new_opaque style (cb == NULL) */
    void *cb_opaque;
    int64_t expire_ms;
    bool armed;
};

struct slirp_frame {
    uint8_t *data;
    size_t len;
};

struct slirp_be {
    struct net_backend be;
    Slirp *slirp;
    int wakefd;
    pthread_t thread;
    bool started;

    pthread_mutex_t lock; /* txq and stop */
    struct slirp_frame txq[SLIRP_TXQ];
    unsigned tx_head, tx_count;
    bool stop;

    struct slirp_timer *timers; /* slirp thread only */
    struct pollfd *pfd;
    unsigned npfd, pfd_cap;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wake(struct slirp_be *s)
{
    uint64_t one = 1;
    ssize_t r = write(s->wakefd, &one, sizeof(one));
    (void)r; /* a full counter already means "wake up" */
}

/* ---- callbacks from libslirp (slirp thread, or the constructor before it starts) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct slirp_be *s = opaque;
    if (s->be.receive)
        s->be.receive(s->be.opaque, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    if (log_enabled(LOG_INT))
        log_printf("slirp: guest error: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque) { return now_ns(); }

static struct slirp_timer *timer_add(struct slirp_be *s)
{
    struct slirp_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL; /* libslirp checks nothing; a NULL timer is ignored by timer_mod */
    t->next = s->timers;
    s->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct slirp_timer *t = timer_add(opaque);
    if (t) {
        t->cb = cb;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct slirp_timer *t = timer_add(opaque);
    if (t) {
        t->id = id;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct slirp_be *s = opaque;
    for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next)
        if (*p == timer) {
            *p = ((struct slirp_timer *)timer)->next;
            free(timer);
            return;
        }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct slirp_timer *t = timer;
    if (!t)
        return;
    t->expire_ms = expire_ms;
    t->armed = true;
}

static void cb_register_poll_fd(int fd, void *opaque) {}
static void cb_unregister_poll_fd(int fd, void *opaque) {}
static void cb_notify(void *opaque) { wake(opaque); }

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the slirp thread ---- */

static int cb_add_poll(int fd, int events, void *opaque)
{
    struct slirp_be *s = opaque;
    if (s->npfd == s->pfd_cap) {
        unsigned cap = s->pfd_cap ? 2 * s->pfd_cap : 32;
        struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));
        if (!p)
            return -1; /* slirp then skips this socket for one round */
        s->pfd = p;
        s->pfd_cap = cap;
    }
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
    return (int)s->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
    struct slirp_be *s = opaque;
    if (idx < 0 || (unsigned)idx >= s->npfd)
        return 0;
    short r = s->pfd[idx].revents;
    int ev = 0;
    if (r & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

/* Runs due timers; returns the ms until the next one (or max_ms). A callback may free or
 * re-arm any timer, so the scan restarts after each one. */
static uint32_t run_timers(struct slirp_be *s, uint32_t max_ms)
{
    for (;;) {
        int64_t now = now_ns() / 1000000;
        struct slirp_timer *due = NULL;
        int64_t next = now + max_ms;
        for (struct slirp_timer *t = s->timers; t; t = t->next) {
            if (!t->armed)
                continue;
            if (t->expire_ms <= now) {
                due = t;
                break;
            }
            if (t->expire_ms < next)
                next = t->expire_ms;
        }
        if (!due)
            return (uint32_t)(next - now);
        due->armed = false;
        if (due->cb)
            due->cb(due->cb_opaque);
        else
            slirp_handle_timer(s->slirp, due->id, due->cb_opaque);
    }
}

static void *slirp_thread(void *arg)
{
    struct slirp_be *s = arg;
    for (;;) {
        /* Take the queued guest frames in one go, then feed slirp without the lock. */
        struct slirp_frame batch[SLIRP_TXQ];
        unsigned n = 0;
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        while (s->tx_count) {
            batch[n++] = s->txq[s->tx_head];
            s->tx_head = (s->tx_head + 1) % SLIRP_TXQ;
            s->tx_count--;
        }
        pthread_mutex_unlock(&s->lock);
        for (unsigned i = 0; i < n; i++) {
            if (!stop)
                slirp_input(s->slirp, batch[i].data, (int)batch[i].len);
            free(batch[i].data);
        }
        if (stop)
            break;

        uint32_t timeout = run_timers(s, 1000);
        s->npfd = 0;
        cb_add_poll(s->wakefd, SLIRP_POLL_IN, s);
        slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
        int r = poll(s->pfd, s->npfd, (int)timeout);
        slirp_pollfds_poll(s->slirp, r < 0, cb_get_revents, s);
        if (r > 0 && (s->pfd[0].revents & POLLIN)) {
            uint64_t v;
            ssize_t k = read(s->wakefd, &v, sizeof(v));
            (void)k;
        }
    }
    return NULL;
}

/* ---- backend ops ---- */

static int slirp_be_start(struct net_backend *be)
{
    struct slirp_be *s = (struct slirp_be *)be;
    if (s->started)
        return 0;
    int r = pthread_create(&s->thread, NULL, slirp_thread, s);
    if (r)
        return -r;
    pthread_setname_np(s->thread, "slirp");
    s->started = true;
    return 0;
}

static int slirp_be_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
    struct slirp_be *s = (struct slirp_be *)be;
    if (len > NET_FRAME_MAX)
        return -EMSGSIZE;
    uint8_t *copy = malloc(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, frame, len);
    pthread_mutex_lock(&s->lock);
    if (s->tx_count == SLIRP_TXQ || s->stop) {
        pthread_mutex_unlock(&s->lock);
        free(copy);
        return -ENOBUFS;
    }
    s->txq[(s->tx_head + s->tx_count) % SLIRP_TXQ] = (struct slirp_frame){copy, len};
    s->tx_count++;
    pthread_mutex_unlock(&s->lock);
    wake(s);
    return 0;
}

static void slirp_be_free(struct net_backend *be)
{
    struct slirp_be *s = (struct slirp_be *)be;
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_mutex_unlock(&s->lock);
        wake(s);
        pthread_join(s->thread, NULL);
    }
    while (s->tx_count) {
        free(s->txq[s->tx_head].data);
        s->tx_head = (s->tx_head + 1) % SLIRP_TXQ;
        s->tx_count--;
    }
    if (s->slirp)
        slirp_cleanup(s->slirp); /* frees its timers through cb_timer_free */
    while (s->timers)
        cb_timer_free(s->timers, s);
    close(s->wakefd);
    free(s->pfd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct net_backend_ops slirp_be_ops = {
    .start = slirp_be_start,
    .send = slirp_be_send,
    .free = slirp_be_free,
};

/* ---- options ---- */

static int parse_addr(const char *s, size_t n, struct in_addr *a)
{
    char buf[INET_ADDRSTRLEN];
    if (n == 0) {
        a->s_addr = INADDR_ANY;
        return 0;
    }
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(AF_INET, buf, a) == 1 ? 0 : -1;
}

static int parse_port(const char *s, size_t n, int *port)
{
    int v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (n bytes at r). */
static int add_hostfwd(struct slirp_be *s, const char *r, size_t n)
{
    if (s->started)
        return -EBUSY; /* slirp now belongs to its thread */
    const char *end = r + n, *c1 = memchr(r, ':', n);
    if (!c1)
        return -EINVAL;
    bool udp;
    if (c1 == r || (c1 - r == 3 && !memcmp(r, "tcp", 3)))
        udp = false;
    else if (c1 - r == 3 && !memcmp(r, "udp", 3))
        udp = true;
    else
        return -EINVAL;
    const char *h = c1 + 1, *c2 = memchr(h, ':', (size_t)(end - h));
    const char *dash = c2 ? memchr(c2, '-', (size_t)(end - c2)) : NULL;
    if (!dash)
        return -EINVAL;
    const char *g = dash + 1, *c3 = memchr(g, ':', (size_t)(end - g));
    if (!c3)
        return -EINVAL;
    struct in_addr haddr, gaddr;
    int hport, gport;
    if (parse_addr(h, (size_t)(c2 - h), &haddr) ||
        parse_port(c2 + 1, (size_t)(dash - c2 - 1), &hport) ||
        parse_addr(g, (size_t)(c3 - g), &gaddr) ||
        parse_port(c3 + 1, (size_t)(end - c3 - 1), &gport))
        return -EINVAL;
    if (gaddr.s_addr == INADDR_ANY)
        inet_pton(AF_INET, "10.0.2.15", &gaddr);
    errno = 0;
    if (slirp_add_hostfwd(s->slirp, udp, haddr, hport, gaddr, gport) < 0)
        return errno ? -errno : -EADDRINUSE;
    return 0;
}

int net_slirp_add_hostfwd(struct net_backend *be, const char *rule)
{
    if (be->ops != &slirp_be_ops)
        return -EINVAL;
    int r = add_hostfwd((struct slirp_be *)be, rule, strlen(rule));
    if (r == -EINVAL)
        error_msg("bad hostfwd rule '%s' (want tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)",
                  rule);
    else if (r < 0)
        error_msg("cannot forward host port for '%s': %s", rule, strerror(-r));
    return r;
}

int net_slirp_new(const char *opts, struct net_backend **out)
{
    struct slirp_be *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->be.ops = &slirp_be_ops;
    s->be.name = "user";
    pthread_mutex_init(&s->lock, NULL);
    s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->wakefd < 0) {
        int e = -errno;
        pthread_mutex_destroy(&s->lock);
        free(s);
        return e;
    }

    SlirpConfig cfg = {
        .version = 4,
        .in_enabled = true,
        .vhostname = "omnivm",
        .if_mtu = 1500,
        .if_mru = 1500,
    };
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        slirp_be_free(&s->be);
        return -ENOMEM;
    }

    for (const char *p = opts ? opts : ""; *p;) {
        size_t n = strcspn(p, ",");
        int r;
        if (n > 8 && !strncmp(p, "hostfwd=", 8)) {
            char rule[128];
            r = -EINVAL;
            if (n - 8 < sizeof(rule)) {
                memcpy(rule, p + 8, n - 8);
                rule[n - 8] = 0;
                r = net_slirp_add_hostfwd(&s->be, rule);
            }
            if (r == -EINVAL && n - 8 >= sizeof(rule))
                error_msg("hostfwd rule too long: '%.*s'", (int)n, p);
        } else if (n) {
            error_msg("unknown user network option '%.*s' (known: hostfwd=...)", (int)n, p);
            r = -EINVAL;
        } else {
            r = 0;
        }
        if (r < 0) {
            slirp_be_free(&s->be);
            return r;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    *out = &s->be;
    return 0;
}

#else /* !CONFIG_SLIRP */

int net_slirp_new(const char *opts, struct net_backend **out)
{
    return -ENOTSUP;
}

int net_slirp_add_hostfwd(struct net_backend *be, const char *rule)
{
    return -ENOTSUP;
}

#endif
