/*
 * The riscv64 system call table as data: one X(nr, name, handler, fmt) row per call the
 * dispatcher knows. Numbers are the asm-generic ones (include/uapi/asm-generic/unistd.h,
 * checked against /usr/riscv64-linux-gnu/include/asm-generic/unistd.h) plus riscv's
 * arch-specific riscv_flush_icache (244 + 15) and riscv_hwprobe (244 + 14).
 *
 * fmt drives --strace (strace.c), one character per argument:
 *   d int   l long   u unsigned   x hex   o octal   f fd (AT_FDCWD by name)   p pointer
 *   s guest string   b input buffer (its length is the next argument)
 *   B output buffer (length = the result, printed after the call)
 * A leading '!' prints the line before the call (exit, execve: they may not return);
 * a trailing "=x" prints the result in hex (addresses).
 *
 * Rows whose handler is lu_sys_* live in the user core (mm.c, thread.c, signal.c);
 * lu_sc_* handlers live in this room. Every handler has the lu_syscall_fn signature, so
 * this list also declares them.
 */
#ifndef OMNIVM_USER_SYSCALL_SYS_TABLE_H
#define OMNIVM_USER_SYSCALL_SYS_TABLE_H

#define LU_SC_LIST(X)                                                                              \
    /* sys_file.c: names, metadata, directories */                                                 \
    X(5, setxattr, lu_sc_setxattr, "ssbux")                                                        \
    X(6, lsetxattr, lu_sc_lsetxattr, "ssbux")                                                      \
    X(7, fsetxattr, lu_sc_fsetxattr, "fsbux")                                                      \
    X(8, getxattr, lu_sc_getxattr, "ssBu")                                                         \
    X(9, lgetxattr, lu_sc_lgetxattr, "ssBu")                                                       \
    X(10, fgetxattr, lu_sc_fgetxattr, "fsBu")                                                      \
    X(11, listxattr, lu_sc_listxattr, "spu")                                                       \
    X(12, llistxattr, lu_sc_llistxattr, "spu")                                                     \
    X(13, flistxattr, lu_sc_flistxattr, "fpu")                                                     \
    X(14, removexattr, lu_sc_removexattr, "ss")                                                    \
    X(15, lremovexattr, lu_sc_lremovexattr, "ss")                                                  \
    X(16, fremovexattr, lu_sc_fremovexattr, "fs")                                                  \
    X(17, getcwd, lu_sc_getcwd, "Bu")                                                              \
    X(27, inotify_add_watch, lu_sc_inotify_add_watch, "fsx")                                       \
    X(33, mknodat, lu_sc_mknodat, "fsox")                                                          \
    X(34, mkdirat, lu_sc_mkdirat, "fso")                                                           \
    X(35, unlinkat, lu_sc_unlinkat, "fsx")                                                         \
    X(36, symlinkat, lu_sc_symlinkat, "sfs")                                                       \
    X(37, linkat, lu_sc_linkat, "fsfsx")                                                           \
    X(38, renameat, lu_sc_renameat, "fsfs")                                                        \
    X(43, statfs, lu_sc_statfs, "sp")                                                              \
    X(44, fstatfs, lu_sc_fstatfs, "fp")                                                            \
    X(45, truncate, lu_sc_truncate, "sl")                                                          \
    X(48, faccessat, lu_sc_faccessat, "fso")                                                       \
    X(49, chdir, lu_sc_chdir, "s")                                                                 \
    X(50, fchdir, lu_sc_fchdir, "f")                                                               \
    X(52, fchmod, lu_sc_fchmod, "fo")                                                              \
    X(53, fchmodat, lu_sc_fchmodat, "fso")                                                         \
    X(54, fchownat, lu_sc_fchownat, "fsddx")                                                       \
    X(55, fchown, lu_sc_fchown, "fdd")                                                             \
    X(56, openat, lu_sc_openat, "fsxo")                                                            \
    X(61, getdents64, lu_sc_getdents64, "fpu")                                                     \
    X(78, readlinkat, lu_sc_readlinkat, "fsBu")                                                    \
    X(79, newfstatat, lu_sc_newfstatat, "fspx")                                                    \
    X(80, fstat, lu_sc_fstat, "fp")                                                                \
    X(88, utimensat, lu_sc_utimensat, "fspx")                                                      \
    X(276, renameat2, lu_sc_renameat2, "fsfsx")                                                    \
    X(279, memfd_create, lu_sc_memfd_create, "sx")                                                 \
    X(291, statx, lu_sc_statx, "fsxxp")                                                            \
    X(439, faccessat2, lu_sc_faccessat2, "fsox")                                                   \
    /* sys_rw.c: data in and out of files */                                                       \
    X(46, ftruncate, lu_sc_ftruncate, "fl")                                                        \
    X(47, fallocate, lu_sc_fallocate, "fxll")                                                      \
    X(62, lseek, lu_sc_lseek, "fld")                                                               \
    X(63, read, lu_sc_read, "fBu")                                                                 \
    X(64, write, lu_sc_write, "fbu")                                                               \
    X(65, readv, lu_sc_readv, "fpd")                                                               \
    X(66, writev, lu_sc_writev, "fpd")                                                             \
    X(67, pread64, lu_sc_pread64, "fBul")                                                          \
    X(68, pwrite64, lu_sc_pwrite64, "fbul")                                                        \
    X(69, preadv, lu_sc_preadv, "fpdlx")                                                           \
    X(70, pwritev, lu_sc_pwritev, "fpdlx")                                                         \
    X(71, sendfile, lu_sc_sendfile, "ffpu")                                                        \
    X(76, splice, lu_sc_splice, "fpfpux")                                                          \
    X(77, tee, lu_sc_tee, "ffux")                                                                  \
    X(81, sync, lu_sc_sync, "")                                                                    \
    X(82, fsync, lu_sc_fsync, "f")                                                                 \
    X(83, fdatasync, lu_sc_fdatasync, "f")                                                         \
    X(84, sync_file_range, lu_sc_sync_file_range, "fllx")                                          \
    X(213, readahead, lu_sc_readahead, "flu")                                                      \
    X(223, fadvise64, lu_sc_fadvise64, "flld")                                                     \
    X(267, syncfs, lu_sc_syncfs, "f")                                                              \
    X(285, copy_file_range, lu_sc_copy_file_range, "fpfpux")                                       \
    X(286, preadv2, lu_sc_preadv2, "fpdlxx")                                                       \
    X(287, pwritev2, lu_sc_pwritev2, "fpdlxx")                                                     \
    /* sys_fd.c: descriptors themselves */                                                         \
    X(19, eventfd2, lu_sc_eventfd2, "ux")                                                          \
    X(23, dup, lu_sc_dup, "f")                                                                     \
    X(24, dup3, lu_sc_dup3, "ffx")                                                                 \
    X(25, fcntl, lu_sc_fcntl, "fdx")                                                               \
    X(26, inotify_init1, lu_sc_inotify_init1, "x")                                                 \
    X(28, inotify_rm_watch, lu_sc_inotify_rm_watch, "fd")                                          \
    X(29, ioctl, lu_sc_ioctl, "fxx")                                                               \
    X(32, flock, lu_sc_flock, "fx")                                                                \
    X(57, close, lu_sc_close, "f")                                                                 \
    X(59, pipe2, lu_sc_pipe2, "px")                                                                \
    X(436, close_range, lu_sc_close_range, "ddx")                                                  \
    /* sys_poll.c: waiting on descriptors */                                                       \
    X(20, epoll_create1, lu_sc_epoll_create1, "x")                                                 \
    X(21, epoll_ctl, lu_sc_epoll_ctl, "fdfp")                                                      \
    X(22, epoll_pwait, lu_sc_epoll_pwait, "fpddpu")                                                \
    X(72, pselect6, lu_sc_pselect6, "dppppp")                                                      \
    X(73, ppoll, lu_sc_ppoll, "pdppu")                                                             \
    X(441, epoll_pwait2, lu_sc_epoll_pwait2, "fpdppu")                                             \
    /* sys_time.c: clocks, sleeps, timers */                                                       \
    X(85, timerfd_create, lu_sc_timerfd_create, "dx")                                              \
    X(86, timerfd_settime, lu_sc_timerfd_settime, "fxpp")                                          \
    X(87, timerfd_gettime, lu_sc_timerfd_gettime, "fp")                                            \
    X(101, nanosleep, lu_sc_nanosleep, "pp")                                                       \
    X(102, getitimer, lu_sc_getitimer, "dp")                                                       \
    X(103, setitimer, lu_sc_setitimer, "dpp")                                                      \
    X(107, timer_create, lu_sc_timer_create, "dpp")                                                \
    X(108, timer_gettime, lu_sc_timer_gettime, "dp")                                               \
    X(109, timer_getoverrun, lu_sc_timer_getoverrun, "d")                                          \
    X(110, timer_settime, lu_sc_timer_settime, "dxpp")                                             \
    X(111, timer_delete, lu_sc_timer_delete, "d")                                                  \
    X(112, clock_settime, lu_sc_clock_settime, "dp")                                               \
    X(113, clock_gettime, lu_sc_clock_gettime, "dp")                                               \
    X(114, clock_getres, lu_sc_clock_getres, "dp")                                                 \
    X(115, clock_nanosleep, lu_sc_clock_nanosleep, "dxpp")                                         \
    X(153, times, lu_sc_times, "p")                                                                \
    X(169, gettimeofday, lu_sc_gettimeofday, "pp")                                                 \
    X(170, settimeofday, lu_sc_settimeofday, "pp")                                                 \
    /* sys_futex.c */                                                                              \
    X(98, futex, lu_sc_futex, "pxdppx")                                                            \
    /* sys_proc.c: identity, limits, children, scheduling */                                       \
    X(90, capget, lu_sc_capget, "pp")                                                              \
    X(91, capset, lu_sc_capset, "pp")                                                              \
    X(92, personality, lu_sc_personality, "x")                                                     \
    X(95, waitid, lu_sc_waitid, "ddpxp")                                                           \
    X(118, sched_setparam, lu_sc_sched_setparam, "dp")                                             \
    X(119, sched_setscheduler, lu_sc_sched_setscheduler, "ddp")                                    \
    X(120, sched_getscheduler, lu_sc_sched_getscheduler, "d")                                      \
    X(121, sched_getparam, lu_sc_sched_getparam, "dp")                                             \
    X(122, sched_setaffinity, lu_sc_sched_setaffinity, "dup")                                      \
    X(123, sched_getaffinity, lu_sc_sched_getaffinity, "dup")                                      \
    X(124, sched_yield, lu_sc_sched_yield, "")                                                     \
    X(125, sched_get_priority_max, lu_sc_sched_get_priority_max, "d")                              \
    X(126, sched_get_priority_min, lu_sc_sched_get_priority_min, "d")                              \
    X(127, sched_rr_get_interval, lu_sc_sched_rr_get_interval, "dp")                               \
    X(140, setpriority, lu_sc_setpriority, "ddd")                                                  \
    X(141, getpriority, lu_sc_getpriority, "dd")                                                   \
    X(143, setregid, lu_sc_setregid, "dd")                                                         \
    X(144, setgid, lu_sc_setgid, "d")                                                              \
    X(145, setreuid, lu_sc_setreuid, "dd")                                                         \
    X(146, setuid, lu_sc_setuid, "d")                                                              \
    X(147, setresuid, lu_sc_setresuid, "ddd")                                                      \
    X(148, getresuid, lu_sc_getresuid, "ppp")                                                      \
    X(149, setresgid, lu_sc_setresgid, "ddd")                                                      \
    X(150, getresgid, lu_sc_getresgid, "ppp")                                                      \
    X(151, setfsuid, lu_sc_setfsuid, "d")                                                          \
    X(152, setfsgid, lu_sc_setfsgid, "d")                                                          \
    X(154, setpgid, lu_sc_setpgid, "dd")                                                           \
    X(155, getpgid, lu_sc_getpgid, "d")                                                            \
    X(156, getsid, lu_sc_getsid, "d")                                                              \
    X(157, setsid, lu_sc_setsid, "")                                                               \
    X(158, getgroups, lu_sc_getgroups, "dp")                                                       \
    X(159, setgroups, lu_sc_setgroups, "dp")                                                       \
    X(160, uname, lu_sc_uname, "p")                                                                \
    X(163, getrlimit, lu_sc_getrlimit, "dp")                                                       \
    X(164, setrlimit, lu_sc_setrlimit, "dp")                                                       \
    X(165, getrusage, lu_sc_getrusage, "dp")                                                       \
    X(166, umask, lu_sc_umask, "o")                                                                \
    X(167, prctl, lu_sc_prctl, "dxxxx")                                                            \
    X(168, getcpu, lu_sc_getcpu, "ppp")                                                            \
    X(172, getpid, lu_sc_getpid, "")                                                               \
    X(173, getppid, lu_sc_getppid, "")                                                             \
    X(174, getuid, lu_sc_getuid, "")                                                               \
    X(175, geteuid, lu_sc_geteuid, "")                                                             \
    X(176, getgid, lu_sc_getgid, "")                                                               \
    X(177, getegid, lu_sc_getegid, "")                                                             \
    X(178, gettid, lu_sc_gettid, "")                                                               \
    X(179, sysinfo, lu_sc_sysinfo, "p")                                                            \
    X(260, wait4, lu_sc_wait4, "dpxp")                                                             \
    X(261, prlimit64, lu_sc_prlimit64, "ddpp")                                                     \
    X(274, sched_setattr, lu_sc_sched_setattr, "dpx")                                              \
    X(275, sched_getattr, lu_sc_sched_getattr, "dpux")                                             \
    X(278, getrandom, lu_sc_getrandom, "pux")                                                      \
    /* sys_net.c: sockets */                                                                       \
    X(198, socket, lu_sc_socket, "ddd")                                                            \
    X(199, socketpair, lu_sc_socketpair, "dddp")                                                   \
    X(200, bind, lu_sc_bind, "fpu")                                                                \
    X(201, listen, lu_sc_listen, "fd")                                                             \
    X(202, accept, lu_sc_accept, "fpp")                                                            \
    X(203, connect, lu_sc_connect, "fpu")                                                          \
    X(204, getsockname, lu_sc_getsockname, "fpp")                                                  \
    X(205, getpeername, lu_sc_getpeername, "fpp")                                                  \
    X(206, sendto, lu_sc_sendto, "fbuxpu")                                                         \
    X(207, recvfrom, lu_sc_recvfrom, "fBuxpp")                                                     \
    X(208, setsockopt, lu_sc_setsockopt, "fddpu")                                                  \
    X(209, getsockopt, lu_sc_getsockopt, "fddpp")                                                  \
    X(210, shutdown, lu_sc_shutdown, "fd")                                                         \
    X(211, sendmsg, lu_sc_sendmsg, "fpx")                                                          \
    X(212, recvmsg, lu_sc_recvmsg, "fpx")                                                          \
    X(242, accept4, lu_sc_accept4, "fppx")                                                         \
    X(243, recvmmsg, lu_sc_recvmmsg, "fpuxp")                                                      \
    X(269, sendmmsg, lu_sc_sendmmsg, "fpux")                                                       \
    /* syscall.c: known calls answered without the host */                                         \
    X(258, riscv_hwprobe, lu_sc_enosys, "puupx")                                                   \
    X(259, riscv_flush_icache, lu_sc_riscv_flush_icache, "ppx")                                    \
    X(283, membarrier, lu_sc_enosys, "dxd")                                                        \
    X(293, rseq, lu_sc_enosys, "pudx")                                                             \
    /* user core: address space (mm.c) */                                                          \
    X(214, brk, lu_sys_brk, "p=x")                                                                 \
    X(215, munmap, lu_sys_munmap, "pu")                                                            \
    X(216, mremap, lu_sys_mremap, "puuxp=x")                                                       \
    X(222, mmap, lu_sys_mmap, "puxxfx=x")                                                          \
    X(226, mprotect, lu_sys_mprotect, "pux")                                                       \
    X(233, madvise, lu_sys_madvise, "pud")                                                         \
    /* user core: threads and processes (thread.c, process.c) */                                   \
    X(93, exit, lu_sys_exit, "!d")                                                                 \
    X(94, exit_group, lu_sys_exit_group, "!d")                                                     \
    X(96, set_tid_address, lu_sys_set_tid_address, "p")                                            \
    X(99, set_robust_list, lu_sys_set_robust_list, "pu")                                           \
    X(100, get_robust_list, lu_sys_get_robust_list, "dpp")                                         \
    X(220, clone, lu_sys_clone, "xpppp")                                                           \
    X(221, execve, lu_sys_execve, "!spp")                                                          \
    X(435, clone3, lu_sys_clone3, "pu")                                                            \
    /* user core: signals (signal.c) */                                                            \
    X(129, kill, lu_sys_kill, "dd")                                                                \
    X(130, tkill, lu_sys_tkill, "dd")                                                              \
    X(131, tgkill, lu_sys_tgkill, "ddd")                                                           \
    X(132, sigaltstack, lu_sys_sigaltstack, "pp")                                                  \
    X(133, rt_sigsuspend, lu_sys_rt_sigsuspend, "pu")                                              \
    X(134, rt_sigaction, lu_sys_rt_sigaction, "dppu")                                              \
    X(135, rt_sigprocmask, lu_sys_rt_sigprocmask, "dppu")                                          \
    X(136, rt_sigpending, lu_sys_rt_sigpending, "pu")                                              \
    X(137, rt_sigtimedwait, lu_sys_rt_sigtimedwait, "pppu")                                        \
    X(138, rt_sigqueueinfo, lu_sys_rt_sigqueueinfo, "ddp")                                         \
    X(240, rt_tgsigqueueinfo, lu_sys_rt_tgsigqueueinfo, "dddp")                                    \
    X(139, rt_sigreturn, lu_sys_rt_sigreturn, "")

/* One past the highest number in the list. */
#define LU_SC_COUNT 442

#define LU_SC_DECLARE(nr, name, fn, fmt) lu_syscall_fn fn;
LU_SC_LIST(LU_SC_DECLARE)
lu_syscall_fn lu_sc_enosys;
#undef LU_SC_DECLARE

#endif
