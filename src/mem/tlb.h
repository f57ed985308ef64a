/*
 * The SoftMMU TLB of one vCPU in system mode: what both engines use to turn a guest
 * virtual address into a host pointer, and the slow paths behind it (page walks through
 * the guest's fill hook, MMIO, writes to pages holding translated code, misaligned and
 * page-crossing accesses).
 *
 * Shape: per MMU index (the guest decides what an index means, e.g. RISC-V U, S, S+SUM,
 * M) a direct-mapped table of TLB_SIZE entries, each with one tag per access kind (load,
 * store, fetch) and an addend (host = vaddr + addend). A tag is the 4 KiB virtual page
 * plus flag bits in its low bits; the fast path is one compare:
 *
 *     (addr & (TLB_PAGE_MASK | (size - 1))) == e->tag[acc]
 *
 * which fails for a miss, for any tag with a flag (MMIO, code page) and for a misaligned
 * access, all of which take the slow path. A superpage is entered 4 KiB at a time; the
 * range it covers is remembered per index, so a flush by address inside it flushes the
 * whole index (over-flushing is always allowed).
 *
 * Invariants:
 * - A TLB is used by its own vCPU thread only, except that the code-page hook (any
 *   thread, under the exec cache lock) ORs TLB_CODE into store tags. Installing an entry
 *   and the hook follow a store-fence-load protocol on the code bitmap, so an entry for a
 *   code page always ends up flagged.
 * - Store tags are installed only for permissions the guest's fill granted for the page
 *   as a whole (a RISC-V page with D clear gets no store tag, so the first store walks
 *   again and sets D).
 * - Faults are raised with cpu_exit_exception() and the guest's cause code (from the
 *   fill hook, or ops->cause_* for what the TLB itself detects: misaligned atomics,
 *   accesses to nothing, stores to ROM, fetches from devices, atomics on devices).
 */
#ifndef OMNIVM_MEM_TLB_H
#define OMNIVM_MEM_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "mem/physmap.h"

#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_NB_MMU 4
#define TLB_PAGE_BITS 12
#define TLB_PAGE_SIZE (1ull << TLB_PAGE_BITS)
#define TLB_PAGE_MASK (~(TLB_PAGE_SIZE - 1))

/* Tag flags: above bit 2, so an aligned 1..8-byte access never has them in its address. */
#define TLB_MMIO 0x800ull  /* a device page: every access goes through its mmio_ops */
#define TLB_CODE 0x400ull  /* store tags only: the physical page holds translated code */
#define TLB_EMPTY (~0ull)  /* no permission, or no entry: never equals a masked address */

enum tlb_access { TLB_LOAD, TLB_STORE, TLB_FETCH };

#define TLB_CODE_SEEN_WORDS 16

#define TLB_PROT_R 1u
#define TLB_PROT_W 2u
#define TLB_PROT_X 4u

struct tlb_entry {
    uint64_t tag[3];   /* by enum tlb_access */
    uintptr_t addend;  /* RAM/ROM pages: host = vaddr + addend */
};

/* Slow-path knowledge of an entry (never read by the fast path). */
struct tlb_aux {
    uint64_t ppage;                /* physical address of the 4 KiB page */
    const struct mem_region *mr;
    uint16_t asid;
    uint8_t global;
};

/* What the guest's fill hook says about one virtual address. */
struct tlb_fill {
    uint64_t paddr;      /* physical address of the accessed byte */
    unsigned prot;       /* TLB_PROT_* the whole 4 KiB page allows in this index (at least
                            the access asked for) */
    unsigned page_bits;  /* size of the guest translation (12, 21, 30, ...) */
    uint16_t asid;
    bool global;
    bool no_cache;       /* valid for this access only (e.g. a PMP boundary inside the page) */
    uint32_t cause;      /* on failure: the guest's exception cause */
};

struct tlb_ops {
    /* Translate vaddr for acc in mmu_idx. 0, or -EFAULT with out->cause set; never raises
     * (the TLB decides whether a failure is an exception or a probe result). */
    int (*fill)(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu_idx,
                struct tlb_fill *out);
    uint32_t cause_misaligned[3]; /* atomics on a misaligned address, by access kind */
    uint32_t cause_access[3];     /* nothing there, ROM store, device fetch or atomic */
};

struct tlb {
    /* e[mmu_data], first so that translated code reaches a data access's entry with
     * ((struct tlb *)cpu->tlb)->data + ((addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)) */
    struct tlb_entry *data;
    struct tlb_entry e[TLB_NB_MMU][TLB_SIZE];
    struct tlb_aux aux[TLB_NB_MMU][TLB_SIZE];
    uint64_t large_base[TLB_NB_MMU], large_mask[TLB_NB_MMU]; /* superpages; mask 0: none */
    unsigned mmu_data, mmu_fetch; /* the indices loads/stores and fetches use now */
    const struct physmap *pm;
    const struct tlb_ops *ops;
    struct cpu_common *cpu;
    /* virtual pages tlb_code_page() was asked about since tlb_code_seen_clear(): a
     * superset (bloom filter) of the pages the engine's jump cache can hold blocks of */
    uint64_t code_seen[TLB_CODE_SEEN_WORDS];
    uint32_t fault_cause;         /* of the last failed tlb_fetch / tlb_code_page */
    uint64_t fault_tval;
    struct tlb *next;             /* every TLB, for the code-page hook */
    uint64_t n_fill, n_flush;     /* statistics */
};

/* Creates the TLB of vCPU c (empty; data and fetch index 0) and attaches it as c->tlb.
 * The first TLB also installs the code-page hook (exec_code_page_hook). */
struct tlb *tlb_new(struct cpu_common *c, const struct physmap *pm, const struct tlb_ops *ops);
void tlb_free(struct tlb *t);

static inline void tlb_set_mmu(struct tlb *t, unsigned data_idx, unsigned fetch_idx)
{
    t->mmu_data = data_idx;
    t->mmu_fetch = fetch_idx;
    t->data = t->e[data_idx];
}

/* Flushes; mmu_mask has a bit per index. By ASID drops the non-global entries of asid. */
void tlb_flush(struct tlb *t, unsigned mmu_mask);
void tlb_flush_page(struct tlb *t, uint64_t vaddr, unsigned mmu_mask);
void tlb_flush_asid(struct tlb *t, uint16_t asid, unsigned mmu_mask);

/* ---- fast paths ---- */

static inline struct tlb_entry *tlb_entry(struct tlb *t, unsigned mmu, uint64_t addr)
{
    return &t->e[mmu][(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
}

/* Host pointer for an aligned, plain access of 1 << size_log2 bytes, or NULL. */
static inline void *tlb_fast(struct tlb *t, unsigned mmu, uint64_t addr, unsigned size_log2,
                             enum tlb_access acc)
{
    struct tlb_entry *e = tlb_entry(t, mmu, addr);
    uint64_t tag = __atomic_load_n(&e->tag[acc], __ATOMIC_RELAXED);
    if (__builtin_expect((addr & (TLB_PAGE_MASK | ((1ull << size_log2) - 1))) == tag, 1))
        return (void *)(uintptr_t)(addr + e->addend);
    return NULL;
}

/* ---- slow paths: all may leave through cpu_exit_exception() ---- */

/* A load of 1 << size_log2 bytes in the current data index, zero-extended. Misaligned and
 * page-crossing accesses are performed (split), devices are read through their ops. */
uint64_t tlb_load_slow(struct cpu_common *c, uint64_t addr, unsigned size_log2);
/* A store; both pages of a crossing store are checked before either is written. A store
 * to a page holding translated code drops those translations first. */
void tlb_store_slow(struct cpu_common *c, uint64_t addr, unsigned size_log2, uint64_t val);
/* Host pointer for an atomic read-modify-write (RAM only, aligned, store permission). */
void *tlb_atomic_host(struct cpu_common *c, uint64_t addr, unsigned size_log2);
/* Raises the misaligned fault for acc if addr is not aligned to 1 << size_log2. */
void tlb_check_align(struct cpu_common *c, uint64_t addr, unsigned size_log2,
                     enum tlb_access acc);

/* The data-access fast path: the current index's entry, one compare. */
static inline void *tlb_fast_data(struct tlb *t, uint64_t addr, unsigned size_log2,
                                  enum tlb_access acc)
{
    struct tlb_entry *e = &t->data[(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
    uint64_t tag = __atomic_load_n(&e->tag[acc], __ATOMIC_RELAXED);
    if (__builtin_expect((addr & (TLB_PAGE_MASK | ((1ull << size_log2) - 1))) == tag, 1))
        return (void *)(uintptr_t)(addr + e->addend);
    return NULL;
}

static inline uint64_t tlb_load(struct cpu_common *c, uint64_t addr, unsigned size_log2)
{
    const void *h = tlb_fast_data(c->tlb, addr, size_log2, TLB_LOAD);
    if (__builtin_expect(h != NULL, 1)) {
        switch (size_log2) {
        case 0: return *(const uint8_t *)h;
        case 1: { uint16_t v; __builtin_memcpy(&v, h, 2); return v; }
        case 2: { uint32_t v; __builtin_memcpy(&v, h, 4); return v; }
        default: { uint64_t v; __builtin_memcpy(&v, h, 8); return v; }
        }
    }
    return tlb_load_slow(c, addr, size_log2);
}

static inline void tlb_store(struct cpu_common *c, uint64_t addr, unsigned size_log2,
                             uint64_t val)
{
    void *h = tlb_fast_data(c->tlb, addr, size_log2, TLB_STORE);
    if (__builtin_expect(h != NULL, 1)) {
        switch (size_log2) {
        case 0: *(uint8_t *)h = (uint8_t)val; return;
        case 1: { uint16_t v = (uint16_t)val; __builtin_memcpy(h, &v, 2); return; }
        case 2: { uint32_t v = (uint32_t)val; __builtin_memcpy(h, &v, 4); return; }
        default: __builtin_memcpy(h, &val, 8); return;
        }
    }
    tlb_store_slow(c, addr, size_log2, val);
}

/* ---- code ---- */

/* cpu_common.fetch in system mode: reads guest code through the fetch index. On a fault
 * returns -EFAULT and leaves the guest cause and faulting address in fault_cause and
 * fault_tval (the run loop raises it when the instruction is reached). */
int tlb_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len);
/* The physical address of the page a fetch at vaddr reads (the translation cache keys
 * blocks by it); -EFAULT (fault_cause/fault_tval set) if vaddr cannot be fetched. */
int tlb_code_page(struct cpu_common *c, uint64_t vaddr, uint64_t *ppage);
/* May blocks of virtual page vaddr have been looked up (tlb_code_page) since the last
 * tlb_code_seen_clear()? A false "no" is impossible; the guest uses it to skip flushing
 * the jump cache on a flush of a single data page. Superpages: see large_covers(). */
bool tlb_code_seen(const struct tlb *t, uint64_t vaddr);
void tlb_code_seen_clear(struct tlb *t);
/* Is vaddr inside a superpage translation some index in mmu_mask may still hold? */
bool tlb_in_superpage(const struct tlb *t, uint64_t vaddr, unsigned mmu_mask);

/* Physical page paddr may hold translated code (the hook exec calls; exported for tests). */
void tlb_code_page_hook(uint64_t paddr);
/* A device wrote [paddr, paddr+len) of guest RAM behind the TLBs' back (DMA through
 * physmap_ram_ptr): drop translations made from those pages. Call it after the write, for
 * buffers the guest may later execute (virtio-blk reads, net receive...); cheap when the
 * pages hold no code (one bitmap test per page). System mode only: in system mode fence.i
 * does not re-read code, stores through the TLBs and this call are what keep it fresh. */
void tlb_dma_written(uint64_t paddr, uint64_t len);

/* Translate without raising: 0 and *paddr, or -EFAULT with *cause. For debuggers, cache
 * maintenance instructions and tests; does not fill the TLB. */
int tlb_probe(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu_idx,
              uint64_t *paddr, uint32_t *cause);

#endif
