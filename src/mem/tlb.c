/*
 * The SoftMMU TLB (mem/tlb.h): filling entries through the guest's hook, flushing, the
 * slow paths of loads, stores, atomics and fetches, and the physical code-page map that
 * makes stores to translated code drop that code.
 *
 * Invariants:
 * - An entry is installed only when its 4 KiB physical page lies wholly inside one region;
 *   otherwise (and for no_cache fills) each access re-translates and bounds-checks.
 * - The code bitmap (one bit per 4 KiB page of each RAM region) has a page's bit set from
 *   the moment exec hooks it (tlb_code_page_hook) until a store through a flagged entry
 *   clears it. Clearing comes before exec_code_written(), so a block translated meanwhile
 *   is dropped by that call and the bit is never clear while the page holds live code
 *   that a store could miss (cross-hart races without fence.i aside, which RISC-V leaves
 *   undefined and fence.i repairs).
 * - Tags are written with atomic stores: the hook ORs TLB_CODE into store tags from other
 *   threads. After installing a store tag the owner re-reads the code bit (after a full
 *   fence); the hook sets the bit before scanning, so one of the two flags the entry.
 */
#include "mem/tlb.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "exec/exec.h"

/* ---- the physical code-page bitmap ---- */

struct code_region {
    uint64_t base, npages;
    const uint8_t *host;
    _Atomic uint64_t *bits;
};

#define CODE_MAX_REGIONS (PHYSMAP_MAX_REGIONS * 2)
static struct code_region code_regions[CODE_MAX_REGIONS];
static _Atomic unsigned n_code_regions;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tlb *all_tlbs;

static struct code_region *code_find(uint64_t paddr)
{
    unsigned n = atomic_load_explicit(&n_code_regions, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        struct code_region *r = &code_regions[i];
        if (paddr >= r->base && ((paddr - r->base) >> TLB_PAGE_BITS) < r->npages)
            return r;
    }
    return NULL;
}

static bool code_test(uint64_t paddr)
{
    struct code_region *r = code_find(paddr);
    if (!r)
        return false;
    uint64_t pg = (paddr - r->base) >> TLB_PAGE_BITS;
    return (atomic_load_explicit(&r->bits[pg / 64], memory_order_seq_cst) >> (pg % 64)) & 1;
}

static bool code_set(uint64_t paddr, bool on)
{
    struct code_region *r = code_find(paddr);
    if (!r)
        return false;
    uint64_t pg = (paddr - r->base) >> TLB_PAGE_BITS, bit = 1ull << (pg % 64);
    if (on)
        atomic_fetch_or_explicit(&r->bits[pg / 64], bit, memory_order_seq_cst);
    else
        atomic_fetch_and_explicit(&r->bits[pg / 64], ~bit, memory_order_seq_cst);
    return true;
}

/* Under list_lock: a bitmap for every RAM region of pm not seen before. */
static int code_register(const struct physmap *pm)
{
    for (unsigned i = 0; i < pm->n; i++) {
        const struct mem_region *mr = &pm->r[i];
        if (mr->kind != MEM_RAM)
            continue;
        unsigned n = atomic_load_explicit(&n_code_regions, memory_order_relaxed);
        bool seen = false;
        for (unsigned k = 0; k < n && !seen; k++)
            seen = code_regions[k].base == mr->base && code_regions[k].host == mr->host &&
                   code_regions[k].npages == mr->size >> TLB_PAGE_BITS;
        if (seen)
            continue;
        if (n >= CODE_MAX_REGIONS)
            return -ENOSPC;
        uint64_t npages = mr->size >> TLB_PAGE_BITS;
        struct code_region *r = &code_regions[n];
        r->bits = calloc((size_t)(npages / 64 + 1), sizeof(uint64_t));
        if (!r->bits)
            return -ENOMEM;
        r->base = mr->base;
        r->npages = npages;
        r->host = mr->host;
        atomic_store_explicit(&n_code_regions, n + 1, memory_order_release);
    }
    return 0;
}

/* ---- entries ---- */

static inline void tag_store(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint64_t tag_load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static void entry_clear(struct tlb_entry *e)
{
    for (unsigned a = 0; a < 3; a++)
        tag_store(&e->tag[a], TLB_EMPTY);
}

static void flush_index(struct tlb *t, unsigned mmu)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        entry_clear(&t->e[mmu][i]);
    t->large_mask[mmu] = 0;
    t->large_base[mmu] = 0;
}

void tlb_flush(struct tlb *t, unsigned mmu_mask)
{
    for (unsigned m = 0; m < TLB_NB_MMU; m++)
        if (mmu_mask >> m & 1)
            flush_index(t, m);
    t->n_flush++;
}

/* Superpage coverage per index: large_mask is ~(2^k - 1) with k the log2 of the covered
 * span (0: nothing recorded). All ones is never a valid mask (k >= 13), so a span of the
 * whole address space is kept as k = 64 through large_base = ~0 as a marker. */
static bool large_covers(const struct tlb *t, unsigned mmu, uint64_t vaddr)
{
    uint64_t m = t->large_mask[mmu];
    if (!m)
        return t->large_base[mmu] == ~0ull;
    return ((vaddr ^ t->large_base[mmu]) & m) == 0;
}

static void large_add(struct tlb *t, unsigned mmu, uint64_t vaddr, unsigned bits)
{
    if (bits >= 64) {
        t->large_mask[mmu] = 0;
        t->large_base[mmu] = ~0ull;
        return;
    }
    uint64_t m = ~((1ull << bits) - 1);
    if (!t->large_mask[mmu]) {
        if (t->large_base[mmu] == ~0ull)
            return; /* already everything */
        t->large_mask[mmu] = m;
        t->large_base[mmu] = vaddr & m;
        return;
    }
    m &= t->large_mask[mmu];
    while (m && ((vaddr ^ t->large_base[mmu]) & m))
        m <<= 1;
    t->large_mask[mmu] = m;
    t->large_base[mmu] = m ? vaddr & m : ~0ull;
}

void tlb_flush_page(struct tlb *t, uint64_t vaddr, unsigned mmu_mask)
{
    for (unsigned m = 0; m < TLB_NB_MMU; m++) {
        if (!(mmu_mask >> m & 1))
            continue;
        if (large_covers(t, m, vaddr)) {
            flush_index(t, m);
            continue;
        }
        struct tlb_entry *e = tlb_entry(t, m, vaddr);
        for (unsigned a = 0; a < 3; a++) {
            uint64_t tag = tag_load(&e->tag[a]);
            if (tag != TLB_EMPTY && ((tag ^ vaddr) & TLB_PAGE_MASK) == 0) {
                entry_clear(e);
                break;
            }
        }
    }
    t->n_flush++;
}

void tlb_flush_asid(struct tlb *t, uint16_t asid, unsigned mmu_mask)
{
    for (unsigned m = 0; m < TLB_NB_MMU; m++) {
        if (!(mmu_mask >> m & 1))
            continue;
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (!t->aux[m][i].global && t->aux[m][i].asid == asid)
                entry_clear(&t->e[m][i]);
    }
    t->n_flush++;
}

static uint64_t region_last(const struct mem_region *mr) { return mr->base + (mr->size - 1); }

static void install(struct tlb *t, unsigned mmu, uint64_t vaddr, const struct tlb_fill *f,
                    const struct mem_region *mr)
{
    uint64_t page = vaddr & TLB_PAGE_MASK, ppage = f->paddr & TLB_PAGE_MASK;
    if (ppage < mr->base || ppage + (TLB_PAGE_SIZE - 1) > region_last(mr))
        return; /* a region smaller than the page: accesses are bounds-checked one by one */
    unsigned i = (unsigned)(vaddr >> TLB_PAGE_BITS) & (TLB_SIZE - 1);
    struct tlb_entry *e = &t->e[mmu][i];
    struct tlb_aux *a = &t->aux[mmu][i];
    uint64_t tr = TLB_EMPTY, tw = TLB_EMPTY, tx = TLB_EMPTY;
    if (mr->kind == MEM_MMIO) {
        if (f->prot & TLB_PROT_R)
            tr = page | TLB_MMIO;
        if (f->prot & TLB_PROT_W)
            tw = page | TLB_MMIO;
    } else {
        if (f->prot & TLB_PROT_R)
            tr = page;
        if ((f->prot & TLB_PROT_W) && mr->kind == MEM_RAM)
            tw = page | (code_test(ppage) ? TLB_CODE : 0);
        if (f->prot & TLB_PROT_X)
            tx = page;
    }
    entry_clear(e);
    e->addend = mr->kind == MEM_MMIO
                    ? 0
                    : (uintptr_t)(mr->host + (ppage - mr->base)) - (uintptr_t)page;
    __atomic_store_n(&a->ppage, ppage, __ATOMIC_RELAXED);
    a->mr = mr;
    a->asid = f->asid;
    a->global = f->global;
    tag_store(&e->tag[TLB_LOAD], tr);
    tag_store(&e->tag[TLB_FETCH], tx);
    tag_store(&e->tag[TLB_STORE], tw);
    if (f->page_bits > TLB_PAGE_BITS)
        large_add(t, mmu, vaddr, f->page_bits);
    if (tw != TLB_EMPTY && !(tw & TLB_CODE) && mr->kind == MEM_RAM) {
        /* pairs with the hook: it sets the bit, then scans; we store, then test */
        atomic_thread_fence(memory_order_seq_cst);
        if (code_test(ppage))
            __atomic_fetch_or(&e->tag[TLB_STORE], TLB_CODE, __ATOMIC_SEQ_CST);
    }
}

/* ---- resolving an address ---- */

struct tlb_hit {
    uint8_t *host;                 /* RAM/ROM: host address of paddr */
    const struct mem_region *mr;
    uint64_t paddr;
    bool code;                     /* store to a page holding translated code */
};

static int resolve(struct tlb *t, uint64_t addr, enum tlb_access acc, unsigned mmu,
                   struct tlb_hit *h, uint32_t *cause)
{
    unsigned i = (unsigned)(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1);
    struct tlb_entry *e = &t->e[mmu][i];
    uint64_t tag = tag_load(&e->tag[acc]);
    if (tag != TLB_EMPTY && ((tag ^ addr) & TLB_PAGE_MASK) == 0) {
        const struct tlb_aux *a = &t->aux[mmu][i];
        h->mr = a->mr;
        h->paddr = a->ppage | (addr & ~TLB_PAGE_MASK);
        h->host = a->mr->kind == MEM_MMIO ? NULL : (uint8_t *)(uintptr_t)(addr + e->addend);
        h->code = (tag & TLB_CODE) != 0;
        return 0;
    }
    struct tlb_fill f = {.page_bits = TLB_PAGE_BITS};
    if (t->ops->fill(t->cpu, addr, acc, mmu, &f) < 0) {
        *cause = f.cause;
        return -EFAULT;
    }
    t->n_fill++;
    const struct mem_region *mr = physmap_find(t->pm, f.paddr);
    if (!mr || (acc == TLB_FETCH && mr->kind == MEM_MMIO) ||
        (acc == TLB_STORE && mr->kind == MEM_ROM)) {
        if (log_enabled(LOG_MMU))
            log_printf("tlb: %s of 0x%llx -> 0x%llx: no %s there\n",
                       acc == TLB_LOAD ? "load" : acc == TLB_STORE ? "store" : "fetch",
                       (unsigned long long)addr, (unsigned long long)f.paddr,
                       !mr ? "memory" : "permission");
        *cause = t->ops->cause_access[acc];
        return -EFAULT;
    }
    h->mr = mr;
    h->paddr = f.paddr;
    h->host = mr->kind == MEM_MMIO ? NULL : mr->host + (f.paddr - mr->base);
    h->code = acc == TLB_STORE && mr->kind == MEM_RAM && code_test(f.paddr);
    if (!f.no_cache)
        install(t, mmu, addr, &f, mr);
    return 0;
}

/* Does [h->paddr, +n) stay inside h's region? */
static bool in_region(const struct tlb_hit *h, unsigned n)
{
    return h->paddr + (n - 1) <= region_last(h->mr) && h->paddr + (n - 1) >= h->paddr;
}

/* The largest naturally aligned device access at offset off that fits in n bytes. */
static unsigned mmio_chunk(uint64_t off, unsigned n)
{
    unsigned s = 8;
    while (s > 1 && ((off & (s - 1)) || s > n))
        s >>= 1;
    return s;
}

/* n (1..8) bytes at h, which lie in one page and one region. */
static uint64_t read_hit(const struct tlb_hit *h, unsigned n)
{
    uint64_t v = 0;
    if (h->host) {
        memcpy(&v, h->host, n); /* little-endian host and guest */
        return v;
    }
    uint64_t off = h->paddr - h->mr->base;
    for (unsigned done = 0; done < n;) {
        unsigned s = mmio_chunk(off + done, n - done);
        uint64_t x = h->mr->ops->read(h->mr->opaque, off + done, s);
        if (s < 8)
            x &= (1ull << (8 * s)) - 1;
        v |= x << (8 * done);
        done += s;
    }
    return v;
}

static void code_written(struct tlb *t, uint64_t addr, uint64_t paddr)
{
    uint64_t page = paddr & TLB_PAGE_MASK;
    code_set(page, false);
    exec_code_written(page);
    /* our own entry can take the fast path again, unless the page was hooked meanwhile */
    struct tlb_entry *e = tlb_entry(t, t->mmu_data, addr);
    const struct tlb_aux *a = &t->aux[t->mmu_data][(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
    uint64_t tag = tag_load(&e->tag[TLB_STORE]);
    if (tag != TLB_EMPTY && (tag & TLB_CODE) && ((tag ^ addr) & TLB_PAGE_MASK) == 0 &&
        a->ppage == page) {
        tag_store(&e->tag[TLB_STORE], tag & ~TLB_CODE);
        atomic_thread_fence(memory_order_seq_cst);
        if (code_test(page))
            __atomic_fetch_or(&e->tag[TLB_STORE], TLB_CODE, __ATOMIC_SEQ_CST);
    }
}

static void write_hit(struct tlb *t, uint64_t addr, const struct tlb_hit *h, unsigned n,
                      uint64_t v)
{
    if (h->code)
        code_written(t, addr, h->paddr);
    if (h->host) {
        memcpy(h->host, &v, n);
        return;
    }
    uint64_t off = h->paddr - h->mr->base;
    for (unsigned done = 0; done < n;) {
        unsigned s = mmio_chunk(off + done, n - done);
        uint64_t x = v >> (8 * done);
        if (s < 8)
            x &= (1ull << (8 * s)) - 1;
        h->mr->ops->write(h->mr->opaque, off + done, x, s);
        done += s;
    }
}

/* Resolve or raise; also raises an access fault if n bytes leave the region. */
static void resolve_or_raise(struct cpu_common *c, struct tlb *t, uint64_t addr, unsigned n,
                             enum tlb_access acc, struct tlb_hit *h)
{
    uint32_t cause;
    if (resolve(t, addr, acc, acc == TLB_FETCH ? t->mmu_fetch : t->mmu_data, h, &cause))
        cpu_exit_exception(c, cause, addr);
    if (!in_region(h, n))
        cpu_exit_exception(c, t->ops->cause_access[acc], addr);
}

uint64_t tlb_load_slow(struct cpu_common *c, uint64_t addr, unsigned size_log2)
{
    struct tlb *t = c->tlb;
    unsigned n = 1u << size_log2, off = (unsigned)(addr & ~TLB_PAGE_MASK);
    struct tlb_hit h;
    if (off + n <= TLB_PAGE_SIZE) {
        resolve_or_raise(c, t, addr, n, TLB_LOAD, &h);
        return read_hit(&h, n);
    }
    /* crossing a page: the first part's fault comes first; reads have no side effects
     * on RAM, and a device straddling a page boundary is the guest's problem */
    unsigned n1 = (unsigned)TLB_PAGE_SIZE - off;
    resolve_or_raise(c, t, addr, n1, TLB_LOAD, &h);
    uint64_t lo = read_hit(&h, n1);
    resolve_or_raise(c, t, addr + n1, n - n1, TLB_LOAD, &h);
    uint64_t hi = read_hit(&h, n - n1);
    return lo | hi << (8 * n1);
}

void tlb_store_slow(struct cpu_common *c, uint64_t addr, unsigned size_log2, uint64_t val)
{
    struct tlb *t = c->tlb;
    unsigned n = 1u << size_log2, off = (unsigned)(addr & ~TLB_PAGE_MASK);
    struct tlb_hit h, h2;
    if (off + n <= TLB_PAGE_SIZE) {
        resolve_or_raise(c, t, addr, n, TLB_STORE, &h);
        write_hit(t, addr, &h, n, val);
        return;
    }
    /* both pages must be writable before either is written */
    unsigned n1 = (unsigned)TLB_PAGE_SIZE - off;
    resolve_or_raise(c, t, addr, n1, TLB_STORE, &h);
    resolve_or_raise(c, t, addr + n1, n - n1, TLB_STORE, &h2);
    write_hit(t, addr, &h, n1, val);
    write_hit(t, addr + n1, &h2, n - n1, val >> (8 * n1));
}

void tlb_check_align(struct cpu_common *c, uint64_t addr, unsigned size_log2,
                     enum tlb_access acc)
{
    if (addr & ((1ull << size_log2) - 1))
        cpu_exit_exception(c, c->tlb->ops->cause_misaligned[acc], addr);
}

void *tlb_atomic_host(struct cpu_common *c, uint64_t addr, unsigned size_log2)
{
    struct tlb *t = c->tlb;
    tlb_check_align(c, addr, size_log2, TLB_STORE);
    void *p = tlb_fast_data(t, addr, size_log2, TLB_STORE);
    if (__builtin_expect(p != NULL, 1))
        return p;
    struct tlb_hit h;
    resolve_or_raise(c, t, addr, 1u << size_log2, TLB_STORE, &h);
    if (h.mr->kind != MEM_RAM)
        cpu_exit_exception(c, t->ops->cause_access[TLB_STORE], addr);
    if (h.code)
        code_written(t, addr, h.paddr);
    return h.host;
}

/* ---- code ---- */

int tlb_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len)
{
    struct tlb *t = c->tlb;
    uint8_t *out = buf;
    while (len) {
        unsigned off = (unsigned)(addr & ~TLB_PAGE_MASK);
        unsigned n = (unsigned)TLB_PAGE_SIZE - off < len ? (unsigned)TLB_PAGE_SIZE - off : len;
        struct tlb_entry *e = tlb_entry(t, t->mmu_fetch, addr);
        if (__builtin_expect(((addr ^ tag_load(&e->tag[TLB_FETCH])) & TLB_PAGE_MASK) == 0 &&
                                 tag_load(&e->tag[TLB_FETCH]) != TLB_EMPTY,
                             1)) {
            memcpy(out, (const void *)(uintptr_t)(addr + e->addend), n);
        } else {
            struct tlb_hit h;
            uint32_t cause = 0;
            bool bad = resolve(t, addr, TLB_FETCH, t->mmu_fetch, &h, &cause) < 0;
            if (!bad && !in_region(&h, n)) {
                bad = true;
                cause = t->ops->cause_access[TLB_FETCH];
            }
            if (bad) {
                t->fault_cause = cause;
                t->fault_tval = addr;
                return -EFAULT;
            }
            memcpy(out, h.host, n);
        }
        out += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static unsigned code_seen_bit(uint64_t vaddr)
{
    uint64_t h = (vaddr >> TLB_PAGE_BITS) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - 10)); /* 1024 bits */
}

bool tlb_code_seen(const struct tlb *t, uint64_t vaddr)
{
    unsigned b = code_seen_bit(vaddr);
    return (t->code_seen[b / 64] >> (b % 64)) & 1;
}

void tlb_code_seen_clear(struct tlb *t) { memset(t->code_seen, 0, sizeof(t->code_seen)); }

bool tlb_in_superpage(const struct tlb *t, uint64_t vaddr, unsigned mmu_mask)
{
    for (unsigned m = 0; m < TLB_NB_MMU; m++)
        if ((mmu_mask >> m & 1) && large_covers(t, m, vaddr))
            return true;
    return false;
}

int tlb_code_page(struct cpu_common *c, uint64_t vaddr, uint64_t *ppage)
{
    struct tlb *t = c->tlb;
    unsigned b = code_seen_bit(vaddr);
    t->code_seen[b / 64] |= 1ull << (b % 64);
    unsigned i = (unsigned)(vaddr >> TLB_PAGE_BITS) & (TLB_SIZE - 1);
    uint64_t tag = tag_load(&t->e[t->mmu_fetch][i].tag[TLB_FETCH]);
    if (__builtin_expect(tag != TLB_EMPTY && ((tag ^ vaddr) & TLB_PAGE_MASK) == 0, 1)) {
        *ppage = t->aux[t->mmu_fetch][i].ppage;
        return 0;
    }
    struct tlb_hit h = {0};
    uint32_t cause = 0;
    if (resolve(t, vaddr, TLB_FETCH, t->mmu_fetch, &h, &cause) < 0) {
        t->fault_cause = cause;
        t->fault_tval = vaddr;
        return -EFAULT;
    }
    *ppage = h.paddr & TLB_PAGE_MASK;
    return 0;
}

int tlb_probe(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu_idx,
              uint64_t *paddr, uint32_t *cause)
{
    struct tlb *t = c->tlb;
    struct tlb_fill f = {.page_bits = TLB_PAGE_BITS};
    if (t->ops->fill(c, vaddr, acc, mmu_idx, &f) < 0) {
        *cause = f.cause;
        return -EFAULT;
    }
    const struct mem_region *mr = physmap_find(t->pm, f.paddr);
    if (!mr || (acc == TLB_FETCH && mr->kind == MEM_MMIO) ||
        (acc == TLB_STORE && mr->kind == MEM_ROM)) {
        *cause = t->ops->cause_access[acc];
        return -EFAULT;
    }
    *paddr = f.paddr;
    return 0;
}

void tlb_code_page_hook(uint64_t paddr)
{
    uint64_t page = paddr & TLB_PAGE_MASK;
    if (!code_set(page, true))
        return; /* ROM: never written through a TLB */
    pthread_mutex_lock(&list_lock);
    for (struct tlb *t = all_tlbs; t; t = t->next)
        for (unsigned m = 0; m < TLB_NB_MMU; m++)
            for (unsigned i = 0; i < TLB_SIZE; i++)
                if (__atomic_load_n(&t->aux[m][i].ppage, __ATOMIC_RELAXED) == page &&
                    tag_load(&t->e[m][i].tag[TLB_STORE]) != TLB_EMPTY)
                    __atomic_fetch_or(&t->e[m][i].tag[TLB_STORE], TLB_CODE, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&list_lock);
}

void tlb_dma_written(uint64_t paddr, uint64_t len)
{
    if (!len || paddr + (len - 1) < paddr)
        return;
    uint64_t last = (paddr + (len - 1)) & TLB_PAGE_MASK;
    for (uint64_t pg = paddr & TLB_PAGE_MASK;; pg += TLB_PAGE_SIZE) {
        if (code_test(pg)) {
            /* as for a store: the bit first, so a translation racing with us is dropped */
            code_set(pg, false);
            exec_code_written(pg);
        }
        if (pg == last)
            break;
    }
}

/* ---- life cycle ---- */

struct tlb *tlb_new(struct cpu_common *c, const struct physmap *pm, const struct tlb_ops *ops)
{
    struct tlb *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->pm = pm;
    t->ops = ops;
    t->cpu = c;
    tlb_set_mmu(t, 0, 0);
    for (unsigned m = 0; m < TLB_NB_MMU; m++) {
        flush_index(t, m);
        for (unsigned i = 0; i < TLB_SIZE; i++)
            t->aux[m][i].ppage = TLB_EMPTY;
    }
    pthread_mutex_lock(&list_lock);
    if (code_register(pm) < 0) {
        pthread_mutex_unlock(&list_lock);
        free(t);
        return NULL;
    }
    t->next = all_tlbs;
    all_tlbs = t;
    exec_code_page_hook = tlb_code_page_hook;
    pthread_mutex_unlock(&list_lock);
    c->tlb = t;
    return t;
}

void tlb_free(struct tlb *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&list_lock);
    for (struct tlb **pp = &all_tlbs; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    pthread_mutex_unlock(&list_lock);
    if (t->cpu && t->cpu->tlb == t)
        t->cpu->tlb = NULL;
    free(t);
}
