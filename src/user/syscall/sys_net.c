/*
 * Sockets. sockaddr*, msghdr, mmsghdr, cmsghdr and the socket option values are laid out
 * identically on riscv64 and x86-64 (conv.c asserts the host side), and SOCK_NONBLOCK /
 * SOCK_CLOEXEC / SOL_* / SO_* share the asm-generic numbers. What needs work is the guest
 * addresses embedded in structures: a msghdr's name, iovec array and control buffer, and
 * the filter program pointer of SO_ATTACH_FILTER. Control messages themselves (fds of
 * SCM_RIGHTS, credentials, timestamps) hold no addresses and pass through as bytes.
 *
 * Address results (accept, getsockname, recvfrom) go through a host sockaddr_storage and
 * are copied out truncated to the guest's buffer, with the full length reported, as the
 * kernel does.
 */
#include <linux/filter.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "user/syscall/sys_int.h"

#define SC_MMSG_MAX 1024 /* UIO_MAXIOV, the kernel's cap on vlen */

long lu_sc_socket(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_socket, (int)a[0], (int)a[1], (int)a[2]);
}

long lu_sc_socketpair(struct lu_thread *t, const uint64_t a[6])
{
    int sv[2];
    long r = sc_host(SYS_socketpair, (int)a[0], (int)a[1], (int)a[2], sv);
    if (r < 0) return r;
    if (lu_copy_to_guest(a[3], sv, sizeof(sv))) {
        close(sv[0]);
        close(sv[1]);
        return -EFAULT;
    }
    return 0;
}

static long addr_call(long host_nr, const uint64_t a[6])
{
    void *addr = sc_in(a[1], (uint32_t)a[2]);
    return addr ? sc_host(host_nr, (int)a[0], addr, (socklen_t)a[2]) : -EFAULT;
}

long lu_sc_bind(struct lu_thread *t, const uint64_t a[6])
{
    return addr_call(SYS_bind, a);
}
long lu_sc_connect(struct lu_thread *t, const uint64_t a[6])
{
    return addr_call(SYS_connect, a);
}
long lu_sc_listen(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_listen, (int)a[0], (int)a[1]);
}
long lu_sc_shutdown(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_shutdown, (int)a[0], (int)a[1]);
}

/* ---- address results ---- */

/* A guest (sockaddr *, socklen_t *) pair, filled from host storage after the call. */
struct sc_addr_out {
    uint64_t g_addr, g_len;
    socklen_t len; /* in: storage size; out: the address's full length */
    struct sockaddr_storage ss;
};

static int addr_out_begin(struct sc_addr_out *o, uint64_t g_addr, uint64_t g_len)
{
    o->g_addr = g_addr;
    o->g_len = g_addr ? g_len : 0;
    o->len = sizeof(o->ss);
    if (!o->g_len) return 0;
    int glen;
    if (lu_copy_from_guest(&glen, g_len, sizeof(glen))) return -EFAULT;
    return glen < 0 ? -EINVAL : 0;
}

static int addr_out_end(struct sc_addr_out *o)
{
    if (!o->g_len) return 0;
    int glen;
    if (lu_copy_from_guest(&glen, o->g_len, sizeof(glen))) return -EFAULT;
    size_t n = o->len < (socklen_t)glen ? o->len : (size_t)glen;
    if (n > sizeof(o->ss)) n = sizeof(o->ss);
    if (lu_copy_to_guest(o->g_addr, &o->ss, n) ||
        lu_copy_to_guest(o->g_len, &o->len, sizeof(o->len)))
        return -EFAULT;
    return 0;
}

static long accept_common(const uint64_t a[6], int flags)
{
    struct sc_addr_out o;
    int r = addr_out_begin(&o, a[1], a[2]);
    if (r) return r;
    long fd = sc_host(SYS_accept4, (int)a[0], o.g_len ? (struct sockaddr *)&o.ss : NULL,
                      o.g_len ? &o.len : NULL, flags);
    if (fd >= 0 && addr_out_end(&o)) {
        close((int)fd);
        return -EFAULT;
    }
    return fd;
}

long lu_sc_accept(struct lu_thread *t, const uint64_t a[6])
{
    return accept_common(a, 0);
}
long lu_sc_accept4(struct lu_thread *t, const uint64_t a[6])
{
    return accept_common(a, (int)a[3]);
}

static long name_call(long host_nr, const uint64_t a[6])
{
    struct sc_addr_out o;
    if (!a[1] || !a[2]) return -EFAULT;
    int r = addr_out_begin(&o, a[1], a[2]);
    if (r) return r;
    long ret = sc_host(host_nr, (int)a[0], &o.ss, &o.len);
    return ret < 0 ? ret : addr_out_end(&o);
}

long lu_sc_getsockname(struct lu_thread *t, const uint64_t a[6])
{
    return name_call(SYS_getsockname, a);
}
long lu_sc_getpeername(struct lu_thread *t, const uint64_t a[6])
{
    return name_call(SYS_getpeername, a);
}

/* ---- data ---- */

long lu_sc_sendto(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_in(a[1], a[2]);
    void *addr = a[4] ? sc_in(a[4], (uint32_t)a[5]) : NULL;
    if (!buf || (a[4] && !addr)) return -EFAULT;
    return sc_host(SYS_sendto, (int)a[0], buf, (size_t)a[2], (int)a[3], addr, (socklen_t)a[5]);
}

long lu_sc_recvfrom(struct lu_thread *t, const uint64_t a[6])
{
    void *buf = sc_out(a[1], a[2]);
    if (!buf) return -EFAULT;
    struct sc_addr_out o;
    int r = addr_out_begin(&o, a[4], a[5]);
    if (r) return r;
    long n = sc_host(SYS_recvfrom, (int)a[0], buf, (size_t)a[2], (int)a[3],
                     o.g_len ? (struct sockaddr *)&o.ss : NULL, o.g_len ? &o.len : NULL);
    if (n >= 0 && addr_out_end(&o)) return -EFAULT;
    return n;
}

/* A guest msghdr rebuilt with host addresses. recv: the kernel writes name, data and
 * control, and afterwards namelen, controllen and flags go back to the guest. */
struct sc_msg {
    struct msghdr h;
    struct iovec iov_buf[SC_IOV_STACK];
};

static int msg_get(struct sc_msg *m, uint64_t g, bool recv)
{
    if (lu_copy_from_guest(&m->h, g, sizeof(m->h))) return -EFAULT;
    uint64_t name = (uintptr_t)m->h.msg_name, ctl = (uintptr_t)m->h.msg_control;
    uint64_t iov = (uintptr_t)m->h.msg_iov;
    m->h.msg_name =
        name ? (recv ? sc_out(name, m->h.msg_namelen) : sc_in(name, m->h.msg_namelen)) : NULL;
    m->h.msg_control =
        ctl ? (recv ? sc_out(ctl, m->h.msg_controllen) : sc_in(ctl, m->h.msg_controllen)) : NULL;
    if ((name && !m->h.msg_name) || (ctl && !m->h.msg_control)) return -EFAULT;
    if ((int)m->h.msg_namelen < 0) return -EINVAL;
    return sc_iov_get(iov, (long)m->h.msg_iovlen, recv, m->iov_buf, &m->h.msg_iov);
}

static void msg_free(struct sc_msg *m)
{
    sc_iov_free(m->h.msg_iov, m->iov_buf);
}

/* After recvmsg: the three fields the kernel updates (offsets as in struct msghdr). */
static int msg_put_back(const struct sc_msg *m, uint64_t g)
{
    if (lu_copy_to_guest(g + offsetof(struct msghdr, msg_namelen), &m->h.msg_namelen,
                         sizeof(m->h.msg_namelen)) ||
        lu_copy_to_guest(g + offsetof(struct msghdr, msg_controllen), &m->h.msg_controllen,
                         sizeof(m->h.msg_controllen)) ||
        lu_copy_to_guest(g + offsetof(struct msghdr, msg_flags), &m->h.msg_flags,
                         sizeof(m->h.msg_flags)))
        return -EFAULT;
    return 0;
}

static long msg_send_one(int fd, uint64_t g, int flags)
{
    struct sc_msg m;
    int r = msg_get(&m, g, false);
    if (r) return r;
    long n = sc_host(SYS_sendmsg, fd, &m.h, flags);
    msg_free(&m);
    return n;
}

static long msg_recv_one(int fd, uint64_t g, int flags)
{
    struct sc_msg m;
    int r = msg_get(&m, g, true);
    if (r) return r;
    long n = sc_host(SYS_recvmsg, fd, &m.h, flags);
    msg_free(&m);
    if (n >= 0 && msg_put_back(&m, g)) return -EFAULT;
    return n;
}

long lu_sc_sendmsg(struct lu_thread *t, const uint64_t a[6])
{
    return msg_send_one((int)a[0], a[1], (int)a[2]);
}

long lu_sc_recvmsg(struct lu_thread *t, const uint64_t a[6])
{
    return msg_recv_one((int)a[0], a[1], (int)a[2]);
}

/* sendmmsg/recvmmsg as a loop of single messages: each struct mmsghdr is a msghdr
 * followed by the message length the kernel fills in. The result is the number of
 * messages done; an error counts only if it happens on the first, as in the kernel. */
static long mmsg_len_put(uint64_t vec, unsigned i, long n)
{
    unsigned len = (unsigned)n;
    return lu_copy_to_guest(vec + i * sizeof(struct mmsghdr) + offsetof(struct mmsghdr, msg_len),
                            &len, sizeof(len));
}

long lu_sc_sendmmsg(struct lu_thread *t, const uint64_t a[6])
{
    unsigned vlen = (unsigned)a[2] > SC_MMSG_MAX ? SC_MMSG_MAX : (unsigned)a[2];
    unsigned i;
    long n = 0;
    for (i = 0; i < vlen; i++) {
        n = msg_send_one((int)a[0], a[1] + i * sizeof(struct mmsghdr), (int)a[3]);
        if (n < 0 || mmsg_len_put(a[1], i, n)) break;
    }
    return i ? (long)i : (n < 0 ? n : (vlen ? -EFAULT : 0));
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

long lu_sc_recvmmsg(struct lu_thread *t, const uint64_t a[6])
{
    unsigned vlen = (unsigned)a[2] > SC_MMSG_MAX ? SC_MMSG_MAX : (unsigned)a[2];
    int flags = (int)a[3];
    struct timespec tmo;
    int64_t deadline = 0;
    if (a[4]) {
        if (lu_copy_from_guest(&tmo, a[4], sizeof(tmo))) return -EFAULT;
        if (tmo.tv_sec < 0 || tmo.tv_nsec < 0 || tmo.tv_nsec >= 1000000000) return -EINVAL;
        deadline = mono_ns() + tmo.tv_sec * 1000000000ll + tmo.tv_nsec;
    }
    unsigned i;
    long n = 0;
    for (i = 0; i < vlen; i++) {
        /* MSG_WAITFORONE: block for the first message only */
        int f = i && (flags & MSG_WAITFORONE) ? flags | MSG_DONTWAIT : flags;
        n = msg_recv_one((int)a[0], a[1] + i * sizeof(struct mmsghdr), f & ~MSG_WAITFORONE);
        if (n < 0 || mmsg_len_put(a[1], i, n)) break;
        /* the kernel checks the timeout only after each datagram, never while blocked */
        if (a[4] && mono_ns() >= deadline) {
            i++;
            break;
        }
    }
    if (a[4]) {
        int64_t left = deadline - mono_ns();
        if (left < 0) left = 0;
        tmo = (struct timespec){left / 1000000000, left % 1000000000};
        (void)lu_copy_to_guest(a[4], &tmo, sizeof(tmo));
    }
    return i ? (long)i : (n < 0 ? n : (vlen ? -EFAULT : 0));
}

/* ---- options ---- */

long lu_sc_setsockopt(struct lu_thread *t, const uint64_t a[6])
{
    int level = (int)a[1], name = (int)a[2];
    socklen_t len = (socklen_t)a[4];
    if (level == SOL_SOCKET && (name == SO_ATTACH_FILTER || name == SO_ATTACH_REUSEPORT_CBPF)) {
        /* struct sock_fprog holds a pointer to the filter program */
        struct sock_fprog prog;
        if (len < sizeof(prog)) return -EINVAL;
        if (lu_copy_from_guest(&prog, a[3], sizeof(prog))) return -EFAULT;
        uint64_t filter = (uintptr_t)prog.filter;
        if (!(prog.filter = sc_in(filter, (uint64_t)prog.len * sizeof(struct sock_filter))))
            return -EFAULT;
        return sc_host(SYS_setsockopt, (int)a[0], level, name, &prog, (socklen_t)sizeof(prog));
    }
    void *val = sc_in(a[3], len);
    return val ? sc_host(SYS_setsockopt, (int)a[0], level, name, val, len) : -EFAULT;
}

long lu_sc_getsockopt(struct lu_thread *t, const uint64_t a[6])
{
    int glen;
    if (lu_copy_from_guest(&glen, a[4], sizeof(glen))) return -EFAULT;
    if (glen < 0) return -EINVAL;
    socklen_t len = (socklen_t)glen;
    void *val = sc_out(a[3], len);
    if (!val) return -EFAULT;
    long r = sc_host(SYS_getsockopt, (int)a[0], (int)a[1], (int)a[2], val, &len);
    if (r >= 0 && lu_copy_to_guest(a[4], &len, sizeof(len))) return -EFAULT;
    return r;
}
