/*
 * Pure guest<->host structure conversions (see conv.h), and compile-time proof that the
 * layouts this room passes through unconverted really are the guest's. The guest values
 * below are written from the riscv64 asm-generic headers; if a host header ever
 * disagreed, the build would stop here instead of a guest misbehaving.
 */
#include "user/syscall/conv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <termios.h>

_Static_assert(sizeof(struct lu_rv_stat) == 128, "asm-generic struct stat is 128 bytes");
_Static_assert(offsetof(struct lu_rv_stat, st_size) == 48, "asm-generic st_size");
_Static_assert(offsetof(struct lu_rv_stat, st_atime_sec) == 72, "asm-generic st_atime");
_Static_assert(sizeof(struct lu_rv_epoll_event) == 16, "riscv epoll_event is unpacked");
_Static_assert(sizeof(struct epoll_event) == 12, "x86-64 epoll_event is packed");

/* open(2) flags: asm-generic values (riscv64) equal the host's. */
_Static_assert(O_CREAT == 0100 && O_EXCL == 0200 && O_NOCTTY == 0400 && O_TRUNC == 01000 &&
                   O_APPEND == 02000 && O_NONBLOCK == 04000 && O_DSYNC == 010000 &&
                   O_ASYNC == 020000 && O_DIRECT == 040000 && O_DIRECTORY == 0200000 &&
                   O_NOFOLLOW == 0400000 && O_NOATIME == 01000000 && O_CLOEXEC == 02000000 &&
                   O_SYNC == 04010000 && O_PATH == 010000000 && O_TMPFILE == 020200000,
               "open flags match asm-generic");
/* glibc hides O_LARGEFILE (0 on 64-bit); the kernel value is 0100000 on both, so a guest
 * passing it passes the host the same bit. */
_Static_assert(F_DUPFD_CLOEXEC == 1030 && F_GETLK == 5 && F_SETLK == 6 && F_SETLKW == 7 &&
                   F_OFD_GETLK == 36 && F_SETPIPE_SZ == 1031 && F_ADD_SEALS == 1033,
               "fcntl commands match asm-generic");
_Static_assert(sizeof(struct flock) == 32 && offsetof(struct flock, l_start) == 8 &&
                   offsetof(struct flock, l_pid) == 24,
               "struct flock matches asm-generic (no __ARCH_FLOCK_PAD)");
_Static_assert(AT_FDCWD == -100 && AT_SYMLINK_NOFOLLOW == 0x100 && AT_REMOVEDIR == 0x200 &&
                   AT_EMPTY_PATH == 0x1000,
               "AT_* values");
/* Terminal ioctls: asm-generic/ioctls.h on both. */
_Static_assert(TCGETS == 0x5401 && TCSETS == 0x5402 && TCSETSW == 0x5403 && TCSETSF == 0x5404 &&
                   TIOCSCTTY == 0x540E && TIOCGPGRP == 0x540F && TIOCSPGRP == 0x5410 &&
                   TIOCGWINSZ == 0x5413 && TIOCSWINSZ == 0x5414 && FIONREAD == 0x541B &&
                   FIONBIO == 0x5421 && FIONCLEX == 0x5450 && FIOCLEX == 0x5451,
               "terminal ioctls match asm-generic");
_Static_assert(sizeof(struct winsize) == 8, "winsize");
_Static_assert(sizeof(struct pollfd) == 8, "pollfd");
_Static_assert(sizeof(struct iovec) == 16, "iovec");
_Static_assert(sizeof(struct timespec) == 16 && sizeof(struct timeval) == 16, "time structs");
_Static_assert(sizeof(struct rlimit) == 16, "rlimit");
_Static_assert(sizeof(struct rusage) == 144, "rusage");
_Static_assert(sizeof(struct utsname) == 390, "utsname: 6 x 65");
_Static_assert(sizeof(struct sysinfo) == 112, "sysinfo");
_Static_assert(sizeof(struct statfs) == 120, "asm-generic statfs with 64-bit words");
_Static_assert(sizeof(struct msghdr) == 56 && offsetof(struct msghdr, msg_control) == 32, "msghdr");
_Static_assert(sizeof(struct cmsghdr) == 16, "cmsghdr");
_Static_assert(SOCK_NONBLOCK == O_NONBLOCK && SOCK_CLOEXEC == O_CLOEXEC && SOL_SOCKET == 1 &&
                   SO_REUSEADDR == 2 && SO_ERROR == 4 && SO_RCVTIMEO == 20,
               "socket constants match asm-generic");
_Static_assert(RLIMIT_DATA == 2 && RLIMIT_STACK == 3 && RLIMIT_NOFILE == 7 && RLIMIT_AS == 9,
               "rlimit resources match asm-generic");

int lu_conv_stat(struct lu_rv_stat *d, const struct stat *s)
{
    *d = (struct lu_rv_stat){
        .st_dev = s->st_dev,
        .st_ino = s->st_ino,
        .st_mode = s->st_mode,
        .st_nlink = (uint32_t)s->st_nlink,
        .st_uid = s->st_uid,
        .st_gid = s->st_gid,
        .st_rdev = s->st_rdev,
        .st_size = s->st_size,
        .st_blksize = (int32_t)s->st_blksize,
        .st_blocks = s->st_blocks,
        .st_atime_sec = s->st_atim.tv_sec,
        .st_atime_nsec = (uint64_t)s->st_atim.tv_nsec,
        .st_mtime_sec = s->st_mtim.tv_sec,
        .st_mtime_nsec = (uint64_t)s->st_mtim.tv_nsec,
        .st_ctime_sec = s->st_ctim.tv_sec,
        .st_ctime_nsec = (uint64_t)s->st_ctim.tv_nsec,
    };
    return d->st_nlink == s->st_nlink ? 0 : -EOVERFLOW;
}

void lu_conv_epoll_to_host(struct epoll_event *d, const struct lu_rv_epoll_event *s)
{
    d->events = s->events;
    d->data.u64 = s->data;
}

void lu_conv_epoll_to_guest(struct lu_rv_epoll_event *d, const struct epoll_event *s)
{
    d->events = s->events;
    d->pad = 0;
    d->data = s->data.u64;
}
