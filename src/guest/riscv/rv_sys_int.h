/*
 * Internals of RISC-V system mode shared by rv_sys.c (the hart and its run loop),
 * rv_trap.c (traps, interrupts, privileged instructions), rv_csr.c (CSRs) and rv_mmu.c
 * (page walks, PMP, the TLB fill hook). The frontend sees none of this: it knows the
 * mode only through tb_flags (rv_internal.h) and reaches it through helpers.
 *
 * Invariants:
 * - struct rv_hart starts with struct rv_cpu, which starts with struct cpu_common, so
 *   helpers turn the engine's cpu pointer into the hart with a cast.
 * - Everything here is touched only by the hart's own thread, except mip_hw (devices set
 *   and clear lines atomically), stop, and the wake-up mutex/condition.
 * - Whenever priv, mstatus (MPRV, MPP, SUM, FS) or satp change, rv_sys_mode_changed()
 *   runs: it recomputes c.tb_flags and the TLB's data and fetch indices.
 * - Whenever a change may make an interrupt deliverable, rv_irq_kick() sets the
 *   RV_REQ_IRQ bit of exit_request so the run loop looks at interrupts before the next
 *   block.
 */
#ifndef OMNIVM_GUEST_RISCV_RV_SYS_INT_H
#define OMNIVM_GUEST_RISCV_RV_SYS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/evloop.h"
#include "guest/riscv/rv_cpu.h"
#include "guest/riscv/rv_internal.h"
#include "guest/riscv/rv_sys.h"
#include "mem/tlb.h"

enum { RV_PRIV_U = 0, RV_PRIV_S = 1, RV_PRIV_M = 3 };

/* MMU indices of the TLB */
enum { RV_MMU_U = 0, RV_MMU_S = 1, RV_MMU_S_SUM = 2, RV_MMU_M = 3 };
#define RV_MMU_TRANSLATED ((1u << RV_MMU_U) | (1u << RV_MMU_S) | (1u << RV_MMU_S_SUM))
#define RV_MMU_ALL ((1u << TLB_NB_MMU) - 1)

/* exception causes */
enum {
    RV_EXC_INSN_MISALIGNED = 0, RV_EXC_INSN_ACCESS = 1, RV_EXC_ILLEGAL = 2,
    RV_EXC_BREAKPOINT = 3, RV_EXC_LOAD_MISALIGNED = 4, RV_EXC_LOAD_ACCESS = 5,
    RV_EXC_STORE_MISALIGNED = 6, RV_EXC_STORE_ACCESS = 7, RV_EXC_ECALL_U = 8,
    RV_EXC_ECALL_S = 9, RV_EXC_ECALL_M = 11, RV_EXC_INSN_PAGE = 12, RV_EXC_LOAD_PAGE = 13,
    RV_EXC_STORE_PAGE = 15,
};
#define RV_CAUSE_INTR (1ull << 63)

/* mstatus */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ull << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS (3ull << MSTATUS_FS_SHIFT)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_SD (1ull << 63)

/* interrupt bits (mip/mie) */
#define MIP_SSIP (1ull << RV_IRQ_SSIP)
#define MIP_MSIP (1ull << RV_IRQ_MSIP)
#define MIP_STIP (1ull << RV_IRQ_STIP)
#define MIP_MTIP (1ull << RV_IRQ_MTIP)
#define MIP_SEIP (1ull << RV_IRQ_SEIP)
#define MIP_MEIP (1ull << RV_IRQ_MEIP)
#define MIP_S_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_ALL (MIP_S_MASK | MIP_MSIP | MIP_MTIP | MIP_MEIP)

/* menvcfg / senvcfg */
#define ENVCFG_FIOM (1ull << 0)
#define ENVCFG_CBIE (3ull << 4)
#define ENVCFG_CBCFE (1ull << 6)
#define ENVCFG_CBZE (1ull << 7)
#define ENVCFG_STCE (1ull << 63)

/* satp */
#define SATP_MODE_SHIFT 60
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xffffull
#define SATP_PPN_MASK ((1ull << 44) - 1)
enum { SATP_BARE = 0, SATP_SV39 = 8, SATP_SV48 = 9, SATP_SV57 = 10 };

/* exit_request bits this guest uses (below the exec room's EXEC_KICK) */
#define RV_REQ_IRQ 0x1u
#define RV_REQ_STOP 0x2u

#define RV_PMP_N 16
#define RV_PMP_R 0x01u
#define RV_PMP_W 0x02u
#define RV_PMP_X 0x04u
#define RV_PMP_A 0x18u
#define RV_PMP_A_SHIFT 3
#define RV_PMP_L 0x80u
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

struct rv_hart {
    struct rv_cpu cpu; /* first */

    unsigned priv;
    uint64_t mstatus; /* SD is computed on read */
    uint64_t misa, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval;
    uint64_t stvec, sscratch, sepc, scause, stval, satp;
    uint64_t menvcfg, senvcfg;
    uint32_t mcounteren, scounteren, mcountinhibit;
    uint64_t stimecmp;
    uint64_t mip_sw;            /* written by software: SSIP, STIP (without Sstc), SEIP */
    _Atomic uint64_t mip_hw;    /* lines from devices: MSIP, MTIP, MEIP, SEIP */
    uint8_t pmpcfg[RV_PMP_N];
    uint64_t pmpaddr[RV_PMP_N];
    uint64_t pmp_lo[RV_PMP_N], pmp_hi[RV_PMP_N]; /* decoded [lo, hi); lo == hi: off */
    int64_t cycle_off, instret_off; /* mcycle/minstret = icount + off */

    unsigned hartid, satp_modes;
    struct physmap *pm;
    struct tlb *tlb;

    /* sleeping in WFI and being woken */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic bool stop;
    struct evtimer *timer;      /* fires at stimecmp (Sstc) */
    _Atomic uint64_t timer_armed; /* the stimecmp the timer is armed for, or UINT64_MAX (also
                                     stored by the timer when it fires) */
    uint64_t n_traps, n_irqs;   /* statistics */
};

static inline struct rv_hart *rv_hart_of(struct cpu_common *c) { return (struct rv_hart *)c; }

/* ---- rv_trap.c ---- */
/* Enter the trap handler for cause (RV_CAUSE_INTR set for interrupts) at c.pc. */
void rv_trap(struct rv_hart *h, uint64_t cause, uint64_t tval);
/* Take the highest-priority deliverable interrupt, if any. */
bool rv_take_interrupt(struct rv_hart *h);
/* mip as software reads it (device lines, software bits, Sstc STIP). */
uint64_t rv_mip(struct rv_hart *h);
/* Pending and enabled in mie (what ends a WFI), regardless of global enables. */
bool rv_wfi_wakeup(struct rv_hart *h);
void rv_irq_kick(struct rv_hart *h);
void rv_sys_mode_changed(struct rv_hart *h);
/* A change of translations: flush TLB indices in mask and the jump cache. */
void rv_sys_flush(struct rv_hart *h, unsigned mmu_mask);
/* Raise an illegal-instruction exception with the instruction bits. */
_Noreturn void rv_raise_illegal(struct rv_hart *h, uint64_t insn);

/* ---- rv_csr.c (rv_sys_csr_exists is in rv_internal.h) ---- */
/* Read or write a CSR at run time; -1 if the access is illegal (the caller raises). */
int rv_csr_read(struct rv_hart *h, unsigned num, uint64_t *val);
int rv_csr_write(struct rv_hart *h, unsigned num, uint64_t val);

/* ---- rv_sys.c ---- */
void rv_timer_update(struct rv_hart *h); /* re-arm the Sstc timer after stimecmp/STCE */

/* ---- rv_mmu.c ---- */
extern const struct tlb_ops rv_tlb_ops;
/* PMP: may [paddr, paddr+len) be accessed with acc at privilege priv? */
bool rv_pmp_allows(const struct rv_hart *h, uint64_t paddr, uint64_t len, enum tlb_access acc,
                   unsigned priv);
/* Page walk (no TLB), for tests and the fill hook: 0 and the fill, or -EFAULT with
 * out->cause. */
int rv_mmu_translate(struct rv_hart *h, uint64_t vaddr, enum tlb_access acc, unsigned mmu_idx,
                     struct tlb_fill *out);
/* Re-decode the PMP ranges after a pmpcfg/pmpaddr write. */
void rv_pmp_update(struct rv_hart *h);

#endif
