/*
 * RISC-V address translation: the Sv39/Sv48/Sv57 page walk with hardware A/D updates,
 * physical memory protection (PMP), and the TLB fill hook (rv_tlb_ops) built on them.
 *
 * Invariants:
 * - The walk follows the privileged spec's algorithm step by step: an invalid or reserved
 *   PTE, a misaligned superpage, a non-canonical address or a permission failure is a page
 *   fault (12/13/15) for the access kind; a PTE that is not in RAM or that PMP denies is an
 *   access fault (1/5/7).
 * - A and D are set with a compare-and-swap on the PTE in guest RAM; if the PTE changed
 *   under us (another hart, or the guest's own software), the walk starts again, so an
 *   update never overwrites a PTE it did not read.
 * - The permissions handed to the TLB are those valid for the whole 4 KiB page in the
 *   given MMU index: a store permission only when D is already set (so the first store
 *   walks and sets it), and PMP's verdict for the whole page (or no_cache when a PMP
 *   boundary lies inside the page).
 * - Svnapot and Svpbmt are not implemented: PTE bits 54..63 must be zero.
 */
#include <errno.h>

#include "core/log.h"
#include "guest/riscv/rv_sys_int.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED (~0ull << 54) /* N, PBMT and the reserved bits */

static const uint32_t page_fault[3] = {RV_EXC_LOAD_PAGE, RV_EXC_STORE_PAGE, RV_EXC_INSN_PAGE};
static const uint32_t access_fault[3] = {RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS,
                                         RV_EXC_INSN_ACCESS};

/* ---- PMP ---- */

void rv_pmp_update(struct rv_hart *h)
{
    for (unsigned i = 0; i < RV_PMP_N; i++) {
        unsigned a = (h->pmpcfg[i] & RV_PMP_A) >> RV_PMP_A_SHIFT;
        uint64_t addr = h->pmpaddr[i], lo = 0, hi = 0;
        switch (a) {
        case PMP_TOR:
            lo = i ? h->pmpaddr[i - 1] << 2 : 0;
            hi = addr << 2;
            if (hi < lo)
                hi = lo; /* matches nothing */
            break;
        case PMP_NA4:
            lo = addr << 2;
            hi = lo + 4;
            break;
        case PMP_NAPOT: {
            unsigned ones = (unsigned)__builtin_ctzll(~addr); /* addr has 54 bits: < 64 */
            lo = (addr & ~((1ull << ones) - 1)) << 2;
            hi = lo + (1ull << (ones + 3));
            break;
        }
        default: break;
        }
        h->pmp_lo[i] = lo;
        h->pmp_hi[i] = hi;
    }
}

static unsigned pmp_perm_bits(uint8_t cfg)
{
    return (cfg & RV_PMP_R ? TLB_PROT_R : 0) | (cfg & RV_PMP_W ? TLB_PROT_W : 0) |
           (cfg & RV_PMP_X ? TLB_PROT_X : 0);
}

/* The first entry overlapping [lo, hi): 1 if it covers all of it (*prot set), -1 if only
 * part; 0 if no entry overlaps (*prot: the default for priv). */
static int pmp_lookup(const struct rv_hart *h, uint64_t lo, uint64_t hi, unsigned priv,
                      unsigned *prot)
{
    for (unsigned i = 0; i < RV_PMP_N; i++) {
        uint64_t elo = h->pmp_lo[i], ehi = h->pmp_hi[i];
        if (elo >= ehi || ehi <= lo || elo >= hi)
            continue;
        if (elo > lo || ehi < hi)
            return -1;
        uint8_t cfg = h->pmpcfg[i];
        *prot = (priv == RV_PRIV_M && !(cfg & RV_PMP_L)) ? TLB_PROT_R | TLB_PROT_W | TLB_PROT_X
                                                         : pmp_perm_bits(cfg);
        return 1;
    }
    /* no match: M-mode may, S and U may not (16 entries are implemented) */
    *prot = priv == RV_PRIV_M ? TLB_PROT_R | TLB_PROT_W | TLB_PROT_X : 0;
    return 0;
}

static const unsigned acc_prot[3] = {TLB_PROT_R, TLB_PROT_W, TLB_PROT_X};

bool rv_pmp_allows(const struct rv_hart *h, uint64_t paddr, uint64_t len, enum tlb_access acc,
                   unsigned priv)
{
    unsigned prot = 0;
    if (paddr + len < paddr || pmp_lookup(h, paddr, paddr + len, priv, &prot) < 0)
        return false;
    return (prot & acc_prot[acc]) != 0;
}

/* Intersect out->prot with PMP for the page of out->paddr; false if acc is denied. */
static bool pmp_fill(const struct rv_hart *h, enum tlb_access acc, unsigned priv,
                     struct tlb_fill *out)
{
    uint64_t page = out->paddr & TLB_PAGE_MASK;
    unsigned prot = 0;
    int r = pmp_lookup(h, page, page + TLB_PAGE_SIZE, priv, &prot);
    if (r < 0) {
        /* a boundary inside the page: decide for this byte, cache nothing */
        out->no_cache = true;
        pmp_lookup(h, out->paddr, out->paddr + 1, priv, &prot);
    }
    out->prot &= prot;
    return (out->prot & acc_prot[acc]) != 0;
}

/* ---- the page walk ---- */

static unsigned mmu_priv(unsigned mmu_idx)
{
    return mmu_idx == RV_MMU_M ? RV_PRIV_M : mmu_idx == RV_MMU_U ? RV_PRIV_U : RV_PRIV_S;
}

static int fail(struct tlb_fill *out, uint32_t cause)
{
    out->cause = cause;
    return -EFAULT;
}

int rv_mmu_translate(struct rv_hart *h, uint64_t va, enum tlb_access acc, unsigned mmu_idx,
                     struct tlb_fill *out)
{
    unsigned priv = mmu_priv(mmu_idx);
    bool sum = mmu_idx == RV_MMU_S_SUM, mxr = (h->mstatus & MSTATUS_MXR) != 0;
    uint64_t satp = h->satp;
    unsigned mode = (unsigned)(satp >> SATP_MODE_SHIFT);

    out->asid = (uint16_t)((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
    out->global = false;
    out->no_cache = false;
    out->page_bits = TLB_PAGE_BITS;
    if (priv == RV_PRIV_M || mode == SATP_BARE) {
        out->paddr = va;
        out->prot = TLB_PROT_R | TLB_PROT_W | TLB_PROT_X;
        out->global = true;
        return pmp_fill(h, acc, priv, out) ? 0 : fail(out, access_fault[acc]);
    }

    unsigned levels = mode - SATP_SV39 + 3, va_bits = 12 + 9 * levels;
    int64_t top = (int64_t)va >> (va_bits - 1);
    if (top != 0 && top != -1)
        return fail(out, page_fault[acc]);

restart:;
    uint64_t base = (satp & SATP_PPN_MASK) << TLB_PAGE_BITS;
    bool global = false;
    for (int level = (int)levels - 1; level >= 0; level--) {
        uint64_t pte_addr = base + ((va >> (12 + 9 * level)) & 511) * 8;
        uint64_t *pp = physmap_ram_ptr(h->pm, pte_addr, 8);
        if (!pp || !rv_pmp_allows(h, pte_addr, 8, TLB_LOAD, RV_PRIV_S))
            return fail(out, access_fault[acc]);
        uint64_t pte = __atomic_load_n(pp, __ATOMIC_ACQUIRE);
        if (log_enabled(LOG_MMU))
            log_printf("mmu: va 0x%llx level %d pte@0x%llx = 0x%llx\n", (unsigned long long)va,
                       level, (unsigned long long)pte_addr, (unsigned long long)pte);
        if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || (pte & PTE_RESERVED))
            return fail(out, page_fault[acc]);
        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
        global |= (pte & PTE_G) != 0;
        if (!(pte & (PTE_R | PTE_X))) {
            /* a pointer to the next level; A, D and U are reserved there */
            if (level == 0 || (pte & (PTE_A | PTE_D | PTE_U)))
                return fail(out, page_fault[acc]);
            base = ppn << TLB_PAGE_BITS;
            continue;
        }
        /* a leaf: who may use it, then what for */
        bool upage = (pte & PTE_U) != 0;
        unsigned prot = 0;
        if (priv == RV_PRIV_U ? upage : !upage) {
            prot = (pte & PTE_R || (mxr && (pte & PTE_X)) ? TLB_PROT_R : 0) |
                   (pte & PTE_W ? TLB_PROT_W : 0) | (pte & PTE_X ? TLB_PROT_X : 0);
        } else if (priv == RV_PRIV_S && sum) {
            /* S-mode may load and store user pages with SUM, never execute them */
            prot = (pte & PTE_R || (mxr && (pte & PTE_X)) ? TLB_PROT_R : 0) |
                   (pte & PTE_W ? TLB_PROT_W : 0);
        }
        if (!(prot & acc_prot[acc]))
            return fail(out, page_fault[acc]);
        uint64_t low_mask = (1ull << (9 * level)) - 1;
        if (ppn & low_mask)
            return fail(out, page_fault[acc]); /* misaligned superpage */
        uint64_t need = PTE_A | (acc == TLB_STORE ? PTE_D : 0);
        if ((pte & need) != need) {
            if (!rv_pmp_allows(h, pte_addr, 8, TLB_STORE, RV_PRIV_S))
                return fail(out, access_fault[acc]);
            uint64_t expect = pte;
            if (!__atomic_compare_exchange_n(pp, &expect, pte | need, false, __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST))
                goto restart; /* changed under us: walk again from the root */
            pte |= need;
        }
        if (!(pte & PTE_D))
            prot &= ~TLB_PROT_W; /* the first store must walk again to set D */
        unsigned page_bits = 12 + 9 * (unsigned)level;
        uint64_t off_mask = (1ull << page_bits) - 1;
        out->paddr = ((ppn << TLB_PAGE_BITS) & ~off_mask) | (va & off_mask);
        out->prot = prot;
        out->page_bits = page_bits;
        out->global = global;
        return pmp_fill(h, acc, priv, out) ? 0 : fail(out, access_fault[acc]);
    }
    return fail(out, page_fault[acc]); /* not reached: level 0 always decides */
}

static int rv_fill(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu_idx,
                   struct tlb_fill *out)
{
    int r = rv_mmu_translate(rv_hart_of(c), vaddr, acc, mmu_idx, out);
    if (log_enabled(LOG_MMU)) {
        static const char *const kind[3] = {"load", "store", "fetch"};
        if (r == 0)
            log_printf("mmu: %s 0x%llx idx %u -> 0x%llx prot %x size 2^%u\n", kind[acc],
                       (unsigned long long)vaddr, mmu_idx, (unsigned long long)out->paddr,
                       out->prot, out->page_bits);
        else
            log_printf("mmu: %s 0x%llx idx %u -> fault %u\n", kind[acc],
                       (unsigned long long)vaddr, mmu_idx, out->cause);
    }
    return r;
}

const struct tlb_ops rv_tlb_ops = {
    .fill = rv_fill,
    .cause_misaligned = {RV_EXC_LOAD_MISALIGNED, RV_EXC_STORE_MISALIGNED,
                         RV_EXC_INSN_MISALIGNED},
    .cause_access = {RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS, RV_EXC_INSN_ACCESS},
};
