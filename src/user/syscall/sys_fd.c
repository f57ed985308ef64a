/*
 * Descriptors themselves: close, dup, pipes, eventfd/inotify creation, fcntl and ioctl.
 *
 * fcntl and ioctl take an argument that is an integer for some commands and a pointer
 * for others. Only commands listed here reach the host, each with a known argument kind,
 * so a guest can never make the host kernel write through an unchecked address (an
 * unknown ioctl is -ENOTTY, an unknown fcntl -EINVAL). Pointer arguments are copied
 * through host memory: the structures involved are small and identical on both ABIs
 * (termios 36 bytes, termios2 44, winsize 8, flock 32, f_owner_ex 8; see conv.h).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "user/syscall/sys_int.h"

long lu_sc_close(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_close, (int)a[0]);
}
long lu_sc_dup(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_dup, (int)a[0]);
}

long lu_sc_dup3(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_dup3, (int)a[0], (int)a[1], (int)a[2]);
}

long lu_sc_close_range(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_close_range, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]);
}

long lu_sc_pipe2(struct lu_thread *t, const uint64_t a[6])
{
    int fds[2];
    long r = sc_host(SYS_pipe2, fds, (int)a[1]);
    if (r < 0) return r;
    if (lu_copy_to_guest(a[0], fds, sizeof(fds))) {
        close(fds[0]);
        close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

long lu_sc_eventfd2(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_eventfd2, (unsigned)a[0], (int)a[1]);
}

long lu_sc_inotify_init1(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_inotify_init1, (int)a[0]);
}

long lu_sc_inotify_rm_watch(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_inotify_rm_watch, (int)a[0], (int)a[1]);
}

long lu_sc_flock(struct lu_thread *t, const uint64_t a[6])
{
    return sc_host(SYS_flock, (int)a[0], (int)a[1]);
}

/* ---- fcntl ---- */

#ifndef F_GET_RW_HINT
#define F_GET_RW_HINT 1035
#define F_SET_RW_HINT 1036
#define F_GET_FILE_RW_HINT 1037
#define F_SET_FILE_RW_HINT 1038
#endif

/* Host-memory copy of a pointer argument: size bytes in before, out after (either may
 * be 0). Returns the host call's result or -EFAULT. */
static long ptr_call(long host_nr, int fd, unsigned long cmd, uint64_t g, size_t in, size_t out)
{
    uint64_t buf[8] = {0}; /* the largest (termios2, 44 bytes) fits */
    size_t size = in > out ? in : out;
    if (size > sizeof(buf)) return -EINVAL;
    if (in && lu_copy_from_guest(buf, g, in)) return -EFAULT;
    if (out && !in && !lu_access_ok(g, out, PROT_WRITE))
        return -EFAULT; /* fail before the host acts, as the kernel would for a bad buffer */
    long r = sc_host(host_nr, fd, cmd, buf);
    if (r >= 0 && out && lu_copy_to_guest(g, buf, out)) return -EFAULT;
    return r;
}

long lu_sc_fcntl(struct lu_thread *t, const uint64_t a[6])
{
    int fd = (int)a[0];
    int cmd = (int)a[1];
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_SETOWN:
    case F_GETOWN:
    case F_SETSIG:
    case F_GETSIG:
    case F_SETLEASE:
    case F_GETLEASE:
    case F_NOTIFY:
    case F_SETPIPE_SZ:
    case F_GETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS: return sc_host(SYS_fcntl, fd, cmd, (unsigned long)a[2]);
    case F_GETLK:
    case F_OFD_GETLK:
        return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], sizeof(struct flock),
                        sizeof(struct flock));
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], sizeof(struct flock), 0);
    case F_GETOWN_EX:
        return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], 0, sizeof(struct f_owner_ex));
    case F_SETOWN_EX:
        return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], sizeof(struct f_owner_ex), 0);
    case F_GET_RW_HINT:
    case F_GET_FILE_RW_HINT:
        return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], 0, sizeof(uint64_t));
    case F_SET_RW_HINT:
    case F_SET_FILE_RW_HINT:
        return ptr_call(SYS_fcntl, fd, (unsigned)cmd, a[2], sizeof(uint64_t), 0);
    default: return -EINVAL;
    }
}

/* ---- ioctl ---- */

enum sc_ioc_arg {
    SC_ARG_NONE, /* no argument */
    SC_ARG_VAL,  /* an integer, passed as is */
    SC_ARG_IN,   /* pointer to size bytes the kernel reads */
    SC_ARG_OUT,  /* pointer to size bytes the kernel writes */
};

/* termios2 requests (asm-generic: _IOR/_IOW('T', 0x2A..0x2D, struct termios2), 44
 * bytes), written as numbers: glibc's termios.h and asm/termbits.h cannot both be used. */
#define SC_TCGETS2 0x802C542Au
#define SC_TCSETS2 0x402C542Bu
#define SC_TCSETSW2 0x402C542Cu
#define SC_TCSETSF2 0x402C542Du
#define SC_TERMIOS_SIZE 36u /* the kernel's struct termios (NCCS 19), not glibc's */
#define SC_TERMIOS2_SIZE 44u

static const struct sc_ioctl {
    uint32_t cmd;
    uint8_t arg;
    uint8_t size;
} sc_ioctls[] = {
    {TCGETS, SC_ARG_OUT, SC_TERMIOS_SIZE},
    {TCSETS, SC_ARG_IN, SC_TERMIOS_SIZE},
    {TCSETSW, SC_ARG_IN, SC_TERMIOS_SIZE},
    {TCSETSF, SC_ARG_IN, SC_TERMIOS_SIZE},
    {SC_TCGETS2, SC_ARG_OUT, SC_TERMIOS2_SIZE},
    {SC_TCSETS2, SC_ARG_IN, SC_TERMIOS2_SIZE},
    {SC_TCSETSW2, SC_ARG_IN, SC_TERMIOS2_SIZE},
    {SC_TCSETSF2, SC_ARG_IN, SC_TERMIOS2_SIZE},
    {TCSBRK, SC_ARG_VAL, 0},
    {TCXONC, SC_ARG_VAL, 0},
    {TCFLSH, SC_ARG_VAL, 0},
    {TIOCEXCL, SC_ARG_NONE, 0},
    {TIOCNXCL, SC_ARG_NONE, 0},
    {TIOCSCTTY, SC_ARG_VAL, 0},
    {TIOCGPGRP, SC_ARG_OUT, 4},
    {TIOCSPGRP, SC_ARG_IN, 4},
    {TIOCOUTQ, SC_ARG_OUT, 4},
    {TIOCSTI, SC_ARG_IN, 1},
    {TIOCGWINSZ, SC_ARG_OUT, 8},
    {TIOCSWINSZ, SC_ARG_IN, 8},
    {TIOCNOTTY, SC_ARG_NONE, 0},
    {TIOCGSID, SC_ARG_OUT, 4},
    {TIOCGPTN, SC_ARG_OUT, 4},
    {TIOCSPTLCK, SC_ARG_IN, 4},
    {TIOCGPTPEER, SC_ARG_VAL, 0},
    {FIONREAD, SC_ARG_OUT, 4},
    {FIONBIO, SC_ARG_IN, 4},
    {FIOASYNC, SC_ARG_IN, 4},
    {FIONCLEX, SC_ARG_NONE, 0},
    {FIOCLEX, SC_ARG_NONE, 0},
    {FIOQSIZE, SC_ARG_OUT, 8},
};

long lu_sc_ioctl(struct lu_thread *t, const uint64_t a[6])
{
    int fd = (int)a[0];
    uint32_t cmd = (uint32_t)a[1];
    for (size_t i = 0; i < sizeof(sc_ioctls) / sizeof(sc_ioctls[0]); i++) {
        const struct sc_ioctl *c = &sc_ioctls[i];
        if (c->cmd != cmd) continue;
        switch (c->arg) {
        case SC_ARG_NONE: return sc_host(SYS_ioctl, fd, (unsigned long)cmd, 0ul);
        case SC_ARG_VAL: return sc_host(SYS_ioctl, fd, (unsigned long)cmd, (unsigned long)a[2]);
        case SC_ARG_IN: return ptr_call(SYS_ioctl, fd, cmd, a[2], c->size, 0);
        default: return ptr_call(SYS_ioctl, fd, cmd, a[2], 0, c->size);
        }
    }
    /* a closed descriptor is reported before the request is judged, as the kernel does */
    if (fcntl(fd, F_GETFD) < 0) return -EBADF;
    return -ENOTTY;
}
