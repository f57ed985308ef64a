/*
 * Waiting on descriptors: ppoll, pselect6, epoll. pollfd and fd_set are identical on
 * both ABIs and go to the host kernel in place; struct epoll_event is packed on x86-64
 * only, so epoll_ctl and epoll_pwait convert it (conv.c).
 *
 * A temporary signal mask (the sigmask argument) follows the user core's rt_sigsuspend
 * scheme: with every host signal blocked, the guest mask is swapped in and the queue of
 * caught signals checked; then the host call itself installs the matching host mask, so
 * no signal can arrive between the check and the wait. When the wait ends with -EINTR
 * because a signal is now pending, the old mask is restored only after that signal's
 * delivery (restore_mask), as the kernel does.
 */
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "user/lu_core.h"
#include "user/syscall/conv.h"
#include "user/syscall/sys_int.h"

#define SC_EPOLL_BATCH 256    /* events returned per epoll_pwait call at most (fewer is legal) */
#define SC_POLL_MAX (1 << 20) /* the kernel's default nr_open: more descriptors cannot exist */

/* The host mask for a guest mask, by lu_sigmask_apply()'s rule (signal.c): SIGSEGV and
 * SIGBUS stay deliverable, omnivm's own fault handling needs them. */
#define SC_NEVER_BLOCKED ((1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)))

static uint64_t pending_unblocked(struct lu_thread *t)
{
    return __atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & ~lu_mask_get(&t->sigmask);
}

int sc_sigmask_enter(struct lu_thread *t, uint64_t g_mask, uint64_t size, struct sc_sigmask_save *s)
{
    s->active = false;
    if (!g_mask) return 0;
    if (size != sizeof(uint64_t)) return -EINVAL;
    uint64_t m;
    if (lu_copy_from_guest(&m, g_mask, sizeof(m))) return -EFAULT;
    m &= ~LU_UNBLOCKABLE;
    lu_host_block_all(); /* until the host call installs host_mask, or leave() */
    s->active = true;
    s->old = t->sigmask;
    s->host_mask = m & ~SC_NEVER_BLOCKED;
    lu_mask_set(&t->sigmask, m);
    if (pending_unblocked(t)) {
        sc_sigmask_leave(t, s, -EINTR);
        return -EINTR;
    }
    return 0;
}

void sc_sigmask_leave(struct lu_thread *t, struct sc_sigmask_save *s, long ret)
{
    if (!s->active) return;
    s->active = false;
    if (ret == -EINTR && pending_unblocked(t)) {
        /* deliver under the temporary mask; the frame saves the old one */
        lu_tc(t)->saved_mask = lu_mask_get(&s->old);
        lu_tc(t)->restore_mask = true;
    } else {
        t->sigmask = s->old;
    }
    lu_sigmask_apply(t);
}

/* The sigmask argument for the host call: the temporary mask, or none. */
static const uint64_t *host_mask(const struct sc_sigmask_save *s)
{
    return s->active ? &s->host_mask : NULL;
}

/* An optional in/out timespec (the kernel writes back the time left). */
struct sc_tmo {
    uint64_t g;
    struct timespec ts;
};

static int tmo_in(struct sc_tmo *o, uint64_t g)
{
    o->g = g;
    return g && lu_copy_from_guest(&o->ts, g, sizeof(o->ts)) ? -EFAULT : 0;
}

static void tmo_out(const struct sc_tmo *o, long ret)
{
    /* like the kernel, a failure to write the time left back is not an error */
    if (o->g && ret != -EFAULT) (void)lu_copy_to_guest(o->g, &o->ts, sizeof(o->ts));
}

long lu_sc_ppoll(struct lu_thread *t, const uint64_t a[6])
{
    uint64_t nfds = a[1];
    if (nfds > SC_POLL_MAX) return -EINVAL;
    void *fds = sc_out(a[0], nfds * sizeof(struct pollfd));
    if (!fds) return -EFAULT;
    struct sc_tmo tmo;
    struct sc_sigmask_save ss;
    int r = tmo_in(&tmo, a[2]);
    if (r || (r = sc_sigmask_enter(t, a[3], a[4], &ss))) return r;
    long ret = sc_host(SYS_ppoll, fds, (unsigned long)nfds, a[2] ? &tmo.ts : NULL, host_mask(&ss),
                       (size_t)8);
    sc_sigmask_leave(t, &ss, ret);
    tmo_out(&tmo, ret);
    return ret;
}

long lu_sc_pselect6(struct lu_thread *t, const uint64_t a[6])
{
    int nfds = (int)a[0];
    if (nfds < 0) return -EINVAL;
    if (nfds > SC_POLL_MAX) nfds = SC_POLL_MAX; /* the kernel clamps to its table size as well */
    /* fd_set: an array of unsigned long bits, identical on both ABIs */
    uint64_t set_bytes = ((uint64_t)nfds + 63) / 64 * 8;
    void *sets[3];
    for (int i = 0; i < 3; i++) {
        sets[i] = a[1 + i] ? sc_out(a[1 + i], set_bytes) : NULL;
        if (a[1 + i] && !sets[i]) return -EFAULT;
    }
    /* the sixth argument points at { const sigset_t *ss; size_t ss_len } */
    uint64_t sig[2] = {0, 0};
    if (a[5] && lu_copy_from_guest(sig, a[5], sizeof(sig))) return -EFAULT;
    struct sc_tmo tmo;
    struct sc_sigmask_save ss;
    int r = tmo_in(&tmo, a[4]);
    if (r || (r = sc_sigmask_enter(t, sig[0], sig[1], &ss))) return r;
    struct {
        const uint64_t *ss;
        size_t len;
    } hsig = {host_mask(&ss), sizeof(uint64_t)};
    long ret = sc_host(SYS_pselect6, nfds, sets[0], sets[1], sets[2], a[4] ? &tmo.ts : NULL,
                       ss.active ? &hsig : NULL);
    sc_sigmask_leave(t, &ss, ret);
    tmo_out(&tmo, ret);
    return ret;
}

long lu_sc_epoll_create1(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_epoll_create1, (int)a[0]);
}

long lu_sc_epoll_ctl(struct lu_thread *t, const uint64_t a[6])
{
    struct epoll_event ev, *evp = NULL;
    if (a[3]) {
        struct lu_rv_epoll_event g;
        if (lu_copy_from_guest(&g, a[3], sizeof(g))) return -EFAULT;
        lu_conv_epoll_to_host(&ev, &g);
        evp = &ev;
    }
    return sc_host(SYS_epoll_ctl, (int)a[0], (int)a[1], (int)a[2], evp);
}

/* epoll_pwait and epoll_pwait2 differ only in the timeout: ms, or a timespec pointer. */
static long epoll_wait_common(struct lu_thread *t, const uint64_t a[6], bool ts_timeout)
{
    int max = (int)a[2];
    if (max <= 0) return -EINVAL;
    if (max > SC_EPOLL_BATCH) max = SC_EPOLL_BATCH;
    if (!lu_access_ok(a[1], (uint64_t)max * sizeof(struct lu_rv_epoll_event), PROT_WRITE))
        return -EFAULT;
    struct timespec ts;
    if (ts_timeout && a[3] && lu_copy_from_guest(&ts, a[3], sizeof(ts))) return -EFAULT;
    struct sc_sigmask_save ss;
    int r = sc_sigmask_enter(t, a[4], a[5], &ss);
    if (r) return r;
    struct epoll_event ev[SC_EPOLL_BATCH];
    long ret = ts_timeout ? sc_host(SYS_epoll_pwait2, (int)a[0], ev, max, a[3] ? &ts : NULL,
                                    host_mask(&ss), (size_t)8)
                          : sc_host(SYS_epoll_pwait, (int)a[0], ev, max, (int)a[3], host_mask(&ss),
                                    (size_t)8);
    sc_sigmask_leave(t, &ss, ret);
    for (long i = 0; i < ret; i++) {
        struct lu_rv_epoll_event g;
        lu_conv_epoll_to_guest(&g, &ev[i]);
        if (lu_copy_to_guest(a[1] + (uint64_t)i * sizeof(g), &g, sizeof(g))) return -EFAULT;
    }
    return ret;
}

long lu_sc_epoll_pwait(struct lu_thread *t, const uint64_t a[6])
{
    return epoll_wait_common(t, a, false);
}

long lu_sc_epoll_pwait2(struct lu_thread *t, const uint64_t a[6])
{
    return epoll_wait_common(t, a, true);
}
