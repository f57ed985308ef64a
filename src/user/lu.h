/*
 * Linux user mode internals, shared by the files of src/user/.
 *
 * The guest address space is one reserved host range: guest address g lives at host
 * address lu_mem.base + g for g < LU_SPACE (mem_mask in cpu_common folds anything above
 * back in, so no guest address reaches host memory outside the range). Guest pages keep
 * their guest protection as host protection, except pages holding translated code, which
 * are write-protected (LU_PAGE_CODE) until a write faults and drops their translations.
 *
 * One host thread per guest thread; guest tid = host tid. A guest signal is a host signal
 * caught by lu's handler, queued on the thread and delivered at the next block boundary
 * (exit_request), or synchronously for faults.
 */
#ifndef OMNIVM_USER_LU_H
#define OMNIVM_USER_LU_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "user/user.h"

#define LU_SPACE_BITS 39                     /* 512 GiB reserved, Sv39-sized user space */
#define LU_SPACE (1ull << LU_SPACE_BITS)
#define LU_PAGE 4096ull

/* per-page flags in lu_mem.pages[] (guest page number -> byte) */
#define LU_PAGE_VALID 0x01u
#define LU_PAGE_READ 0x02u
#define LU_PAGE_WRITE 0x04u
#define LU_PAGE_EXEC 0x08u
#define LU_PAGE_CODE 0x10u   /* holds translated code: host-write-protected */

struct lu_mem {
    uintptr_t base;          /* host address of guest address 0 */
    uint8_t *pages;          /* LU_SPACE / LU_PAGE flag bytes (reserved lazily) */
    uint64_t brk_start, brk_cur;
    uint64_t mmap_base;      /* where the next hint-less mmap search starts (top-down) */
    pthread_mutex_t lock;    /* mmap/munmap/mprotect/brk and page flags */
};
extern struct lu_mem lu_mem;

static inline void *lu_g2h(uint64_t g) { return (void *)(lu_mem.base + (g & (LU_SPACE - 1))); }
static inline uint64_t lu_h2g(const void *h) { return (uint64_t)((uintptr_t)h - lu_mem.base); }

/* Access checks against the guest's page protections (prot: PROT_READ/PROT_WRITE). */
bool lu_access_ok(uint64_t g, uint64_t len, int prot);
/* Copies; -EFAULT if any byte is not accessible. */
int lu_copy_from_guest(void *dst, uint64_t g, size_t len);
int lu_copy_to_guest(uint64_t g, const void *src, size_t len);
/* A NUL-terminated string into dst (at most max bytes incl. NUL): length, -EFAULT or
 * -ENAMETOOLONG. */
long lu_strncpy_from_guest(char *dst, uint64_t g, size_t max);
/* Before the host kernel writes guest memory directly (read(2) into a guest buffer):
 * checks PROT_WRITE and drops translations/write protection of code pages in the range.
 * Returns 0 or -EFAULT. */
int lu_prepare_write(uint64_t g, uint64_t len);

/* Guest paths: absolute paths are looked up under the sysroot first (like qemu -L). The
 * result is either p itself or buf. /proc/self/exe (and /proc/<pid>/exe of this process)
 * gives lu_proc.exe_path, so open and execve of it reach the guest program. */
const char *lu_path(const char *p, char *buf, size_t buflen);

struct lu_sigstate;

struct lu_thread {
    struct cpu_common *cpu;        /* the guest CPU (arch struct, cpu_common first) */
    int tid;
    uint64_t clear_child_tid;      /* set_tid_address / CLONE_CHILD_CLEARTID */
    uint64_t robust_list, robust_len;
    sigset_t sigmask;              /* guest-blocked signals (host numbering == guest's) */
    uint64_t pending;              /* bit n-1: signal n queued for this thread */
    siginfo_t pending_info[65];
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    struct lu_thread *next;        /* all threads, under lu_proc.lock */
};

struct lu_process {
    const struct lu_options *opt;
    const struct guest_arch *arch;
    char exe_path[4096];           /* absolute host path of the guest program (/proc/self/exe) */
    uint64_t sigaction_handler[65], sigaction_flags[65], sigaction_restorer[65];
    uint64_t sigaction_mask[65];
    pthread_mutex_t lock;
    struct lu_thread *threads;
    const char *self_exe;          /* host path of omnivm, for execve of guest programs */
};
extern struct lu_process lu_proc;

/* The calling host thread's guest thread. */
struct lu_thread *lu_self(void);

/* ---- system calls ----
 * lu_syscall() is the dispatcher (syscall.c): it looks nr up in the table, prints --strace
 * lines, and returns the guest-visible result (negative guest errno on failure). Guest
 * errno values equal host ones (asm-generic on both sides). Calls that touch the address
 * space, threads, processes or signals are implemented beside those (mm.c, thread.c,
 * signal.c) with the signature below and listed in the table. */
typedef long lu_syscall_fn(struct lu_thread *t, const uint64_t a[6]);
long lu_syscall(struct lu_thread *t, long nr, const uint64_t a[6]);

/* mm.c */
lu_syscall_fn lu_sys_brk, lu_sys_mmap, lu_sys_munmap, lu_sys_mprotect, lu_sys_mremap,
    lu_sys_madvise;
/* thread.c / process.c */
lu_syscall_fn lu_sys_clone, lu_sys_clone3, lu_sys_execve, lu_sys_exit, lu_sys_exit_group,
    lu_sys_set_tid_address, lu_sys_set_robust_list, lu_sys_get_robust_list;
/* signal.c */
lu_syscall_fn lu_sys_rt_sigaction, lu_sys_rt_sigprocmask, lu_sys_sigaltstack,
    lu_sys_rt_sigreturn, lu_sys_rt_sigsuspend, lu_sys_rt_sigpending, lu_sys_rt_sigtimedwait,
    lu_sys_kill, lu_sys_tkill, lu_sys_tgkill, lu_sys_rt_sigqueueinfo, lu_sys_rt_tgsigqueueinfo;

/* Returned by a call that has already set every guest register itself (rt_sigreturn,
 * a successful execve): the dispatcher leaves a0 alone, and the run loop leaves pc where
 * the call put it. */
#define LU_RET_KEEP_REGS (-4097L)

/* Negative errno from a host call's -1/errno convention. */
long lu_host_ret(long r);

#endif
