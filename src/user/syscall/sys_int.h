/*
 * Shared by the files of src/user/syscall/: guest buffer access, path fetching and the
 * --strace hooks. Not part of the user-mode contract (that is user/lu.h).
 *
 * Invariants every handler keeps:
 * - A guest pointer reaches the host kernel only as lu_g2h() of an address that passed
 *   lu_access_ok(PROT_READ) (kernel reads it) or lu_prepare_write() (kernel writes it),
 *   so write-protected code pages are unprotected first and a bad pointer is -EFAULT.
 * - Small results (timespec, stat, ...) are built in host memory and copied out with
 *   lu_copy_to_guest(), so omnivm's own code never stores through a guest pointer.
 * - Every handler returns the guest result: a value, or a negative errno.
 */
#ifndef OMNIVM_USER_SYSCALL_SYS_INT_H
#define OMNIVM_USER_SYSCALL_SYS_INT_H

#include <errno.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "user/lu.h"
#include "user/syscall/sys_table.h"

/* Host pointer to a guest buffer the host kernel reads, or NULL (-EFAULT). A zero-length
 * buffer is never touched, so any address will do (read(fd, NULL, 0) is valid). */
static inline void *sc_in(uint64_t g, uint64_t len)
{
    if (len && !lu_access_ok(g, len, PROT_READ)) return NULL;
    return lu_g2h(g);
}

/* Host pointer to a guest buffer the host kernel writes, or NULL (-EFAULT). */
static inline void *sc_out(uint64_t g, uint64_t len)
{
    if (len && lu_prepare_write(g, len)) return NULL;
    return lu_g2h(g);
}

/* Copy a small result out; 0 or -EFAULT. A NULL guest pointer means "not wanted". */
static inline int sc_put_opt(uint64_t g, const void *src, size_t len)
{
    return g ? lu_copy_to_guest(g, src, len) : 0;
}

/* Raw host system call with the guest's result convention (-errno on failure). */
#define sc_host(...) lu_host_ret(syscall(__VA_ARGS__))

/* ---- paths (path.c) ---- */

/* A guest path copied into host memory and translated for the sysroot. */
struct sc_path {
    const char *host; /* what to hand the host kernel: guest or tr */
    char guest[PATH_MAX];
    char tr[PATH_MAX];
};

/* Fetch and translate; 0 or -EFAULT / -ENAMETOOLONG. "/proc/self/exe" becomes the guest
 * program, so opening or stat'ing it sees the guest ELF and not omnivm. */
int sc_path_get(struct sc_path *p, uint64_t g);
/* Same, but a NULL guest pointer gives host == NULL (utimensat(fd, NULL, ...)). */
int sc_path_get_opt(struct sc_path *p, uint64_t g);
/* True if the path names this process's executable link (/proc/self/exe, /proc/PID/exe). */
bool sc_path_is_self_exe(const char *guest_path);

/* ---- guest iovec arrays (sys_rw.c) ---- */

#define SC_IOV_STACK 16
/* Host iovecs for cnt guest iovecs at g (bases translated, every buffer checked for
 * reading or, with write, prepared for the kernel writing it). *out is buf when cnt fits
 * in SC_IOV_STACK, otherwise malloc'd: release with sc_iov_free(). 0 or -errno. */
int sc_iov_get(uint64_t g, long cnt, bool write, struct iovec buf[SC_IOV_STACK],
               struct iovec **out);
void sc_iov_free(struct iovec *v, struct iovec buf[SC_IOV_STACK]);

/* ---- signal masks for ppoll/pselect6/epoll_pwait (sys_poll.c) ---- */

/* Installs the guest's temporary mask (g_mask: guest pointer to size bytes, or 0 for
 * none) for the duration of a waiting call: 0, -EINVAL/-EFAULT, or -EINTR when a signal
 * the mask unblocks is already pending (the wait must not start). Between enter and
 * leave all host signals are blocked except while the host call waits with host_mask.
 * leave() gets the call's result: after -EINTR the old mask returns once the signal has
 * been delivered. */
struct sc_sigmask_save {
    bool active;
    sigset_t old;
    uint64_t host_mask; /* what the host call installs while it waits */
};
int sc_sigmask_enter(struct lu_thread *t, uint64_t g_mask, uint64_t size,
                     struct sc_sigmask_save *s);
void sc_sigmask_leave(struct lu_thread *t, struct sc_sigmask_save *s, long ret);

/* ---- --strace (strace.c) ---- */

struct sc_entry {
    const char *name;
    lu_syscall_fn *fn;
    const char *fmt;
};
/* Before a '!' call (it may not return). */
void sc_strace_pre(struct lu_thread *t, const struct sc_entry *e, const uint64_t a[6]);
/* After the call: the whole line, or for '!' calls the result alone. */
void sc_strace_post(struct lu_thread *t, const struct sc_entry *e, long nr, const uint64_t a[6],
                    long ret);

#endif
