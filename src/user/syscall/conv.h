/*
 * Guest (riscv64, asm-generic) structure layouts that differ from the x86-64 host's, and
 * the pure functions converting between them. Depends on libc only, so unit tests link
 * it alone.
 *
 * Layouts checked against /usr/riscv64-linux-gnu/include (the asm-generic headers) and the host's
 * /usr/include/x86_64-linux-gnu/asm (which includes the same asm-generic headers for
 * fcntl, statfs, termbits, ioctls, socket, resource, poll, siginfo, signal numbers):
 * identical on both 64-bit ABIs, so passed through unconverted: O_* and F_* values,
 * struct flock, statx, statfs, timespec, timeval, itimerspec, iovec, linux_dirent64,
 * sockaddr*, msghdr/cmsghdr, rlimit, rusage, utsname, sysinfo, tms, termios, termios2,
 * winsize, pollfd, fd_set, sched_param, sched_attr, siginfo (wait), sigevent, kernel
 * sigset (8 bytes). conv.c asserts the ones the host headers let it check.
 * Different, converted here: struct stat (asm-generic vs x86_64) and struct epoll_event
 * (packed, 12 bytes, on x86-64 only).
 */
#ifndef OMNIVM_USER_SYSCALL_CONV_H
#define OMNIVM_USER_SYSCALL_CONV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/stat.h>

/* asm-generic struct stat (128 bytes), what riscv64 fstat/newfstatat write. */
struct lu_rv_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
};

/* riscv64 struct epoll_event: natural alignment, 16 bytes. */
struct lu_rv_epoll_event {
    uint32_t events;
    uint32_t pad;
    uint64_t data;
};

/* Host stat to guest stat: 0, or -EOVERFLOW when st_nlink does not fit the guest's 32
 * bits (what the kernel's cp_new_stat reports). */
int lu_conv_stat(struct lu_rv_stat *d, const struct stat *s);

void lu_conv_epoll_to_host(struct epoll_event *d, const struct lu_rv_epoll_event *s);
void lu_conv_epoll_to_guest(struct lu_rv_epoll_event *d, const struct epoll_event *s);

#endif
