/*
 * Runtime for the bare-metal tests (M-mode at 0x80000000, see crt.S and link.ld):
 * CSR access, HTIF console and exit, known-answer checks, and trap recording.
 *
 * A test's main() returns the number of failed checks; crt.S passes it to exit_test(),
 * which ends the run through HTIF with that status (0 = pass). Every CHECK prints a
 * "FAIL" line naming its line and values, so a failure is diagnosable from the console.
 * Traps a test provokes are recorded in m_last / s_last and resumed after the faulting
 * instruction, unless a hook (m_hook / s_hook) takes them.
 */
#ifndef BAREMETAL_COMMON_H
#define BAREMETAL_COMMON_H

#include <stdint.h>

#define csr_read(csr)                                                                              \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("csrr %0, " #csr : "=r"(v_)::"memory");                                   \
        v_;                                                                                        \
    })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")

#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)

#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define CAUSE_INTR (1ull << 63)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15

/* the virt board's CLINT (and QEMU spike's): msip, mtimecmp, mtime */
#define CLINT_BASE 0x2000000ul
#define CLINT_MSIP(h) ((volatile uint32_t *)(CLINT_BASE + 4 * (h)))
#define CLINT_MTIMECMP(h) ((volatile uint64_t *)(CLINT_BASE + 0x4000 + 8 * (h)))
#define CLINT_MTIME ((volatile uint64_t *)(CLINT_BASE + 0xbff8))

#define RETURN_MAGIC 0x5a5a

struct frame {
    uint64_t x[32]; /* x[0]: the pc to return to */
};

struct trap_rec {
    volatile uint64_t count, cause, epc, tval, status;
};
extern struct trap_rec m_last, s_last;

/* A hook returns 1 if it handled the trap (and set f->x[0]), 0 for the default. */
typedef int trap_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval);
extern trap_hook *volatile m_hook, *volatile s_hook;

extern int check_fails;

void putchar_htif(char c);
void print(const char *s);
void print_hex(uint64_t v);
void print_dec(uint64_t v);
__attribute__((noreturn)) void exit_test(int code);

void check_fail(int line, const char *what, uint64_t got, uint64_t want);
#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                      \
        if (g_ != w_) check_fail(__LINE__, #got " == " #want, g_, w_);                             \
    } while (0)
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) check_fail(__LINE__, #cond, 0, 0);                                            \
    } while (0)

/* From crt.S: run fn in mode 0 (U) or 1 (S) until it returns. */
void run_in_mode(unsigned mode, void (*fn)(void));
extern char s_trap_entry[], m_trap_entry[];

/* Length of the instruction at pc (2 or 4), read with the current translation. */
static inline unsigned insn_len(uint64_t pc)
{
    return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

static inline uint64_t hartid(void)
{
    return csr_read(mhartid);
}

/* mtime-bounded wait: returns 1 once *flag != 0, 0 after `ticks` of mtime */
int wait_flag(volatile uint64_t *flag, uint64_t ticks);

extern char __free_mem[];

/* Built with -DQEMU_SPIKE when run.sh validates the tests on QEMU 7.2's spike board,
 * which has no time CSR (so no Sstc) and two known deviations from the spec (mepc bit 0
 * reads back, misaligned AMOs raise cause 4). Only those checks are relaxed there. */
#ifdef QEMU_SPIKE
#define ON_QEMU 1
#else
#define ON_QEMU 0
#endif

#endif
