/*
 * Private to the user-mode core (the .c files of src/user/, not the syscall room): the guest ABI table,
 * the loader's result, per-thread state beyond struct lu_thread, and the entry points the
 * core's files call in each other.
 *
 * Invariants:
 * - Every struct lu_thread is the first member of a struct lu_tcore (container_of is a
 *   cast). Thread records are never freed while the process lives (a dead one is marked
 *   and reused), so a signal handler may walk lu_proc.threads without a lock.
 * - Page flags change only under lu_mem.lock, except LU_PAGE_CODE, which the code-page
 *   hook (engine cache lock held) and the write-fault handler change with atomics.
 */
#ifndef OMNIVM_USER_LU_CORE_H
#define OMNIVM_USER_LU_CORE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "user/lu.h"

/* ---- layout of the guest address space (all below LU_SPACE) ---- */
#define LU_TRAMP_ADDR (LU_SPACE - LU_PAGE)       /* the signal return trampoline page */
#define LU_STACK_TOP (LU_SPACE - 16 * LU_PAGE)   /* initial stack grows down from here */
#define LU_STACK_GUARD (256 * LU_PAGE)           /* kept free below the stack */
#define LU_PIE_BASE 0x1000000000ull              /* ET_DYN main programs load here */
#define LU_INTERP_BASE 0x4000000000ull           /* the ELF interpreter loads here */

/* Guest-only exception cause: SIGBUS BUS_ADRERR from a host SIGBUS (file mapping past EOF). */
#define LU_EXCP_BUS_ADRERR 0x10100u

/* ---- guest ABI (one per guest architecture; riscv64.c) ---- */
struct lu_target {
    const char *name;
    uint16_t elf_machine;
    const struct guest_arch *arch;
    uint64_t hwcap;
    uint64_t minsigstksz;
    /* registers at process start: everything zero but pc and sp */
    void (*start)(struct cpu_common *c, uint64_t entry, uint64_t sp);
    /* system call number and arguments from the registers; the result back */
    long (*syscall_args)(const struct cpu_common *c, uint64_t a[6]);
    void (*syscall_ret)(struct cpu_common *c, long ret);
    /* Linux restarts this call after a SA_RESTART handler (it returns -ERESTARTSYS) */
    bool (*syscall_restartable)(long nr, const uint64_t a[6]);
    /* the pc after the system call instruction at c->pc */
    void (*syscall_skip)(struct cpu_common *c);
    uint64_t (*get_sp)(const struct cpu_common *c);
    /* a new thread or process: returns 0 from clone, new stack (if nonzero), TLS */
    void (*clone_child)(struct cpu_common *c, uint64_t sp, bool set_tls, uint64_t tls);
    /* Build the signal frame below sp (already switched to the altstack if wanted) and
     * point the registers at the handler. mask is saved as the mask to restore; ss is the
     * uc_stack to record. 0 or -EFAULT. */
    int (*frame_setup)(struct cpu_common *c, int sig, const siginfo_t *info, uint64_t handler,
                       uint64_t sp, uint64_t mask, const uint64_t ss[3]);
    /* rt_sigreturn: restore registers from the frame at sp; outputs the saved mask and
     * uc_stack. 0 or -EFAULT. */
    int (*frame_restore)(struct cpu_common *c, uint64_t *mask, uint64_t ss[3]);
    /* the return trampoline's bytes, written at LU_TRAMP_ADDR */
    const uint8_t *tramp;
    unsigned tramp_len;
};
extern const struct lu_target lu_target_riscv64;
/* The target for an ELF machine/class, or NULL. */
const struct lu_target *lu_target_for(uint16_t machine, bool is64);

/* ---- per-thread state the core keeps ---- */
#define LU_RTQ 64                      /* real-time signal instances queued per thread */
struct lu_tcore {
    struct lu_thread t;                /* first: lu_thread * converts to lu_tcore * */
    const struct lu_target *target;
    volatile bool in_guest;            /* exec_run is on this thread's stack */
    sigjmp_buf *copy_jmp;              /* a faulting lu_copy_* lands here */
    bool dead;                         /* the guest thread has exited; record reusable */
    bool exiting;                      /* exit(2) was called: the run loop returns */
    int exit_code;
    bool restore_mask;                 /* rt_sigsuspend: restore saved_mask after delivery */
    uint64_t saved_mask;
    void *host_altstack;               /* the host signal stack of this host thread */
    siginfo_t rtq[LU_RTQ];             /* queued real-time signals, oldest first */
    unsigned rtq_n;
    uint64_t last_fault;               /* guards the retry of spurious host faults */
    unsigned fault_retries;
};
static inline struct lu_tcore *lu_tc(struct lu_thread *t) { return (struct lu_tcore *)t; }

/* Guest signal masks are one 64-bit word (bit n-1: signal n); these move it in and out of
 * the sigset_t in struct lu_thread without glibc's refusal of its internal signals. */
uint64_t lu_mask_get(const sigset_t *s);
void lu_mask_set(sigset_t *s, uint64_t m);
#define LU_SIGBIT(n) (1ull << ((n) - 1))
#define LU_UNBLOCKABLE (LU_SIGBIT(SIGKILL) | LU_SIGBIT(SIGSTOP))

/* ---- mm.c ---- */
int lu_mm_init(void);
uint8_t lu_prot_flags(int prot);
int lu_host_prot(uint8_t flags);
/* The following expect lu_mem.lock held. */
bool lu_mm_range_ok(uint64_t g, uint64_t len);
bool lu_mm_range_free(uint64_t g, uint64_t len);
/* Highest free page-aligned range of len bytes at or below top, or 0 if none. */
uint64_t lu_mm_find_free(uint64_t len, uint64_t top);
/* Map [g, g+len) (page-aligned) with host mmap flags/fd/off and record prot; 0 or -errno. */
int lu_mm_map(uint64_t g, uint64_t len, int prot, int flags, int fd, uint64_t off);
/* Return pages to the reserved, unmapped state. */
int lu_mm_unmap(uint64_t g, uint64_t len);
void lu_mm_set_flags(uint64_t g, uint64_t len, uint8_t flags);
/* Host fault inside the guest range: 1 handled (retry), 0 not ours. */
int lu_mm_fault_fixup(uint64_t g, bool write);
/* The page at g holds translated code and is being written: drop it (signal-safe). */
void lu_code_unprotect(uint64_t g);
int lu_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len);
extern uint64_t lu_mm_top;             /* hint-less mmap searches start below this */

/* ---- elf.c ---- */
struct lu_image {
    uint64_t bias;            /* load bias (0 for ET_EXEC) */
    uint64_t entry;           /* entry point, biased */
    uint64_t phdr;            /* guest address of the program headers, or 0 */
    uint16_t phnum, phent;
    uint64_t lo, hi;          /* page-aligned extent of the loaded segments */
    bool exec_stack;          /* PT_GNU_STACK asked for an executable stack */
    char interp[4096];        /* PT_INTERP, or "" */
};
/* Validate and map an ELF file. On failure returns -errno-like and writes one line of
 * explanation into err. base: where an ET_DYN image goes. */
int lu_elf_load(const char *path, uint64_t base, struct lu_image *img,
                const struct lu_target **target, char *err, size_t errlen);
/* Peek at a file for execve: 1 riscv64 ELF or #! script we can run, 0 not ours, -errno. */
int lu_elf_probe(const char *path);
/* If path is a "#!" script: interpreter path and its optional argument (each a string
 * in the buffers); 1 if script, 0 if not, -errno. */
int lu_script_parse(const char *path, char *interp, size_t ilen, char *arg, size_t alen);

/* ---- signal.c ---- */
int lu_signal_init(void);
/* Per host thread: alternate signal stack for the fault handler, host mask = guest mask. */
int lu_signal_thread_init(struct lu_thread *t);
void lu_signal_thread_fini(struct lu_thread *t);
/* Make the host thread's blocked set follow the guest's (less SIGSEGV/SIGBUS). */
void lu_sigmask_apply(struct lu_thread *t);
/* Deliver whatever is pending and not blocked (builds frames / default actions). */
void lu_signal_deliver(struct lu_thread *t);
/* A guest system call was interrupted (-EINTR): should it run again after the handler
 * (the first deliverable signal has SA_RESTART, or no handler will run)? */
bool lu_signal_restart(struct lu_thread *t);
/* A synchronous signal from guest execution (fault, illegal insn, breakpoint). */
void lu_signal_sync(struct lu_thread *t, int sig, int code, uint64_t addr);
/* Kill the process with sig as a native process would die (no core file). */
_Noreturn void lu_die_by_signal(int sig);
/* Block every host signal on this thread; returns the old raw mask. */
uint64_t lu_host_block_all(void);
void lu_host_setmask(uint64_t m);

/* ---- thread.c ---- */
extern __thread struct lu_thread *lu_cur;
/* A thread record for cpu (reusing a dead one), linked into lu_proc.threads. */
struct lu_thread *lu_thread_alloc(struct cpu_common *cpu, const struct lu_target *tg);
/* A fresh guest CPU for the target with the user-mode memory setup. */
struct cpu_common *lu_cpu_new(const struct lu_target *tg);
extern int lu_live_threads;
/* The guest thread t has left its run loop with code: the CLEARTID wake-up, engine state
 * released, record marked dead; the last thread ends the process instead. */
void lu_thread_exit(struct lu_thread *t, int code);
/* Drop a record that never ran. */
void lu_thread_exit_record(struct lu_thread *t);
/* fork-like clone (process.c) */
long lu_fork(struct lu_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
             uint64_t ctid, uint64_t tls);
/* After fork in the child: only the calling thread is alive. */
void lu_thread_after_fork(struct lu_thread *t);

/* ---- run.c ---- */
/* The run loop of one guest thread; returns when the thread exits (its exit code). */
int lu_run(struct lu_thread *t);

#endif
