/*
 * Unit tests of the memory room and the RISC-V system mode built on it:
 *
 *  - physmap: sorted regions, overlap and capacity errors, RAM pointers, split MMIO copies;
 *  - the Sv39/Sv48/Sv57 walker (rv_mmu_translate) on page tables built in guest RAM:
 *    leaves at every level, A/D updates, U/SUM/MXR permissions, reserved and misaligned
 *    PTEs, non-canonical addresses, PMP;
 *  - the TLB: hits without walks, flushes by address (also inside superpages), by ASID
 *    and all, device (MMIO) and code-page slow paths, misaligned and page-crossing
 *    accesses, faults of ROM, unmapped and misaligned atomic accesses;
 *  - machine-code snippets run by a real hart (rv_hart_run) in M, S and U mode: traps,
 *    delegation, mret/sret, interrupts (Sstc timer with WFI, software, external with
 *    priority), Sv39 paging with page-fault handling and sfence.vma, FS, counters and
 *    absent CSRs, misaligned and crossing accesses, LR/SC and AMOs, self-modifying code.
 *
 * Prints "ok NAME" / "not ok NAME: reason" per group; exits 1 if any failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/evloop.h"
#include "core/vclock.h"
#include "exec/exec.h"
#include "guest/riscv/rv_sys_int.h"
#include "mem/physmap.h"
#include "mem/tlb.h"

/* ---- bookkeeping ---- */

static int n_failed;
static char group_err[512];

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    if (group_err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(group_err, sizeof(group_err), fmt, ap);
    va_end(ap);
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__VA_ARGS__);                                                                     \
    } while (0)
#define CHECK_EQ(what, got, want)                                                                  \
    do {                                                                                           \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                      \
        if (g_ != w_)                                                                              \
            fail("%s: got 0x%" PRIx64 ", want 0x%" PRIx64, what, g_, w_);                         \
    } while (0)

static void group_end(const char *name)
{
    if (group_err[0]) {
        printf("not ok %s: %s\n", name, group_err);
        n_failed++;
    } else {
        printf("ok %s\n", name);
    }
    group_err[0] = 0;
}

/* ---- the machine under test: RAM, a ROM, a test device ---- */

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)
#define ROM_BASE 0x1000ull
#define DEV_BASE 0x10000000ull
#define DEV_MAGIC 0x1122334455667788ull

/* Test device: +0 write: exit code (stops the hart); +8 write: append to the log;
 * +16 write: raise irq line n; +24 write: lower it; +32..+39 read: DEV_MAGIC bytes. */
static struct {
    uint64_t log[64];
    unsigned n_log;
    uint64_t exit_code;
    bool exited;
    unsigned n_reads, n_writes;
    uint64_t last_off;
    unsigned last_size;
} dev;

static struct physmap pm;
static uint8_t *ram, rom[4096];
static struct rv_cpu *cpu;
static struct rv_hart *hart;

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    dev.n_reads++;
    dev.last_off = off;
    dev.last_size = size;
    if (off >= 32 && off + size <= 40) {
        uint64_t v = DEV_MAGIC >> (8 * (off - 32));
        return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
    }
    return 0;
}

static void dev_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    dev.n_writes++;
    dev.last_off = off;
    dev.last_size = size;
    switch (off) {
    case 0:
        dev.exit_code = v;
        dev.exited = true;
        if (cpu)
            rv_hart_stop(cpu);
        break;
    case 8:
        if (dev.n_log < 64)
            dev.log[dev.n_log++] = v;
        break;
    case 16: rv_hart_set_irq(cpu, (unsigned)v, 1); break;
    case 24: rv_hart_set_irq(cpu, (unsigned)v, 0); break;
    default: break;
    }
}

static const struct mmio_ops dev_ops = {dev_read, dev_write};

static void *ram_at(uint64_t pa) { return ram + (pa - RAM_BASE); }
static uint64_t rd64(uint64_t pa) { uint64_t v; memcpy(&v, ram_at(pa), 8); return v; }
static void wr64(uint64_t pa, uint64_t v) { memcpy(ram_at(pa), &v, 8); }

static int machine_init(void)
{
    int r;
    if ((r = physmap_add_ram(&pm, "ram", RAM_BASE, RAM_SIZE, NULL)) ||
        (r = physmap_add_rom(&pm, "rom", ROM_BASE, sizeof(rom), rom)) ||
        (r = physmap_add_mmio(&pm, "dev", DEV_BASE, 0x1000, &dev_ops, NULL)))
        return r;
    ram = physmap_ram_ptr(&pm, RAM_BASE, RAM_SIZE);
    struct exec_options o = {.engine = EXEC_INTERP, .opt_passes = IR_OPT_ALL};
    exec_global_init(&o);
    vclock_start();
    if (evloop_start() < 0)
        return -EIO;
    struct rv_hart_config cfg = {.hartid = 0, .pm = &pm, .isa = RV_HART_ISA};
    cpu = rv_hart_new(&cfg);
    if (!cpu)
        return -ENOMEM;
    hart = (struct rv_hart *)cpu;
    return 0;
}

/* ---- physmap ---- */

static void test_physmap(void)
{
    struct physmap p = {0};
    static uint8_t buf[8192];
    CHECK_EQ("add ram", physmap_add_ram(&p, "a", 0x2000, 0x2000, buf), 0);
    CHECK_EQ("overlap below", physmap_add_ram(&p, "b", 0x1000, 0x1001, NULL), (uint64_t)-EEXIST);
    CHECK_EQ("overlap above", physmap_add_mmio(&p, "c", 0x3fff, 0x10, &dev_ops, NULL),
             (uint64_t)-EEXIST);
    CHECK_EQ("wrap", physmap_add_ram(&p, "d", ~0ull - 10, 100, NULL), (uint64_t)-EINVAL);
    CHECK_EQ("empty", physmap_add_ram(&p, "e", 0x9000, 0, NULL), (uint64_t)-EINVAL);
    CHECK_EQ("below", physmap_add_mmio(&p, "f", 0x1000, 0x1000, &dev_ops, NULL), 0);
    CHECK_EQ("above", physmap_add_rom(&p, "g", 0x4000, 0x1000, buf + 4096), 0);
    CHECK(p.n == 3 && p.r[0].base == 0x1000 && p.r[1].base == 0x2000 && p.r[2].base == 0x4000,
          "regions not sorted");
    CHECK(physmap_find(&p, 0x3fff) == &p.r[1] && !physmap_find(&p, 0x5000) &&
              !physmap_find(&p, 0xfff),
          "find");
    CHECK(physmap_ram_ptr(&p, 0x2ff0, 0x10) == buf + 0xff0, "ram ptr");
    CHECK(!physmap_ram_ptr(&p, 0x3ff8, 0x10) && !physmap_ram_ptr(&p, 0x1000, 1), "ram ptr bounds");
    /* a copy across RAM and a device: the device sees aligned pieces */
    uint8_t in[16], out[16];
    for (unsigned i = 0; i < 16; i++)
        in[i] = (uint8_t)(0xa0 + i);
    dev.n_writes = 0;
    CHECK_EQ("write", physmap_write(&p, 0x1ffb, in, 16), 0);
    CHECK_EQ("device pieces (1,4 then RAM)", dev.n_writes, 2);
    CHECK(!memcmp(buf, in + 5, 11), "RAM part of the copy");
    CHECK_EQ("read", physmap_read(&p, 0x2000, out, 16), 0);
    CHECK(!memcmp(out, in + 5, 11), "read back");
    CHECK_EQ("read hole", physmap_read(&p, 0x4ff0, out, 32), (uint64_t)-EFAULT);
    struct physmap full = {0};
    for (unsigned i = 0; i < PHYSMAP_MAX_REGIONS; i++)
        if (physmap_add_mmio(&full, "x", 0x1000ull * i, 0x1000, &dev_ops, NULL))
            fail("add %u", i);
    CHECK_EQ("full", physmap_add_mmio(&full, "y", 1ull << 40, 0x1000, &dev_ops, NULL),
             (uint64_t)-ENOSPC);
    group_end("physmap");
}

/* ---- page tables in guest RAM ---- */

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u
#define PTE_G 0x20u
#define PTE_A 0x40u
#define PTE_D 0x80u

#define PT_BASE (RAM_BASE + 0x200000)
static uint64_t pt_next;

static uint64_t pt_alloc(void)
{
    uint64_t p = pt_next;
    pt_next += 4096;
    memset(ram_at(p), 0, 4096);
    return p;
}

static uint64_t pte(uint64_t pa, uint64_t flags) { return (pa >> 12) << 10 | flags; }

/* Map va -> pa at `level` (0: 4 KiB) in the table rooted at root with `levels` levels,
 * creating pointer tables as needed; returns the PTE's physical address. */
static uint64_t map(uint64_t root, unsigned levels, uint64_t va, uint64_t pa, unsigned level,
                    uint64_t flags)
{
    uint64_t table = root;
    for (int l = (int)levels - 1;; l--) {
        uint64_t slot = table + ((va >> (12 + 9 * l)) & 511) * 8;
        if (l == (int)level) {
            wr64(slot, pte(pa, flags));
            return slot;
        }
        uint64_t e = rd64(slot);
        if ((e & PTE_V) && (e & (PTE_R | PTE_W | PTE_X))) {
            fail("map 0x%" PRIx64 ": a leaf at level %d is in the way", va, l);
            return slot;
        }
        if (!(e & PTE_V)) {
            uint64_t t = pt_alloc();
            wr64(slot, pte(t, PTE_V));
            e = rd64(slot);
        }
        table = ((e >> 10) & ((1ull << 44) - 1)) << 12;
    }
}

static void pmp_allow_all(void)
{
    hart->pmpaddr[0] = (1ull << 54) - 1;
    hart->pmpcfg[0] = RV_PMP_R | RV_PMP_W | RV_PMP_X | (PMP_NAPOT << RV_PMP_A_SHIFT);
    rv_pmp_update(hart);
}

/* Put the hart in priv with satp, mstatus bits; fresh TLB. */
static void set_mode(unsigned priv, uint64_t satp, uint64_t mstatus_bits)
{
    hart->priv = priv;
    hart->satp = satp;
    hart->mstatus = (hart->mstatus & ~(MSTATUS_SUM | MSTATUS_MXR | MSTATUS_MPRV | MSTATUS_MPP)) |
                    mstatus_bits;
    rv_sys_mode_changed(hart);
    tlb_flush(hart->tlb, RV_MMU_ALL);
}

static int walk(uint64_t va, enum tlb_access acc, unsigned idx, uint64_t *pa, unsigned *bits)
{
    struct tlb_fill f = {0};
    if (rv_mmu_translate(hart, va, acc, idx, &f) < 0)
        return (int)f.cause;
    *pa = f.paddr;
    if (bits)
        *bits = f.page_bits;
    return -1;
}

#define WALK_OK(what, va, acc, idx, want_pa)                                                       \
    do {                                                                                           \
        uint64_t pa_ = 0;                                                                          \
        int c_ = walk(va, acc, idx, &pa_, NULL);                                                   \
        if (c_ >= 0)                                                                               \
            fail("%s: fault %d", what, c_);                                                        \
        else                                                                                       \
            CHECK_EQ(what, pa_, want_pa);                                                          \
    } while (0)
#define WALK_FAULT(what, va, acc, idx, cause)                                                      \
    do {                                                                                           \
        uint64_t pa_ = 0;                                                                          \
        CHECK_EQ(what, walk(va, acc, idx, &pa_, NULL), cause);                                     \
    } while (0)

static void test_walk_levels(unsigned mode, const char *name)
{
    unsigned levels = mode - SATP_SV39 + 3;
    pt_next = PT_BASE;
    uint64_t root = pt_alloc();
    pmp_allow_all();
    set_mode(RV_PRIV_S, (uint64_t)mode << 60 | root >> 12, 0);
    uint64_t data = RAM_BASE + 0x100000;
    /* a 4 KiB page, with A and D clear */
    uint64_t va = 0x12345000ull;
    uint64_t slot = map(root, levels, va, data, 0, PTE_V | PTE_R | PTE_W);
    WALK_OK("4k load", va + 0x123, TLB_LOAD, RV_MMU_S, data + 0x123);
    CHECK_EQ("A set by load, D not", rd64(slot) & (PTE_A | PTE_D), PTE_A);
    WALK_OK("4k store", va + 8, TLB_STORE, RV_MMU_S, data + 8);
    CHECK_EQ("D set by store", rd64(slot) & (PTE_A | PTE_D), PTE_A | PTE_D);
    WALK_FAULT("fetch from non-X", va, TLB_FETCH, RV_MMU_S, RV_EXC_INSN_PAGE);
    /* a leaf at every level above 0, aligned; then misaligned */
    for (unsigned l = 1; l < levels; l++) {
        uint64_t span = 1ull << (12 + 9 * l);
        uint64_t lva = (uint64_t)(l + 4) << (12 + 9 * (levels - 1)); /* distinct top index */
        if (l == levels - 1)
            lva = 3 * span;
        uint64_t s = map(root, levels, lva, 0, l, PTE_V | PTE_R | PTE_A);
        unsigned bits = 0;
        uint64_t pa = 0;
        int c = walk(lva + span / 2 + 0x18, TLB_LOAD, RV_MMU_S, &pa, &bits);
        if (c >= 0 || pa != span / 2 + 0x18 || bits != 12 + 9 * l)
            fail("level %u superpage: cause %d pa 0x%" PRIx64 " bits %u", l, c, pa, bits);
        wr64(s, pte(RAM_BASE + 0x1000, PTE_V | PTE_R | PTE_A)); /* low PPN bits set */
        c = walk(lva, TLB_LOAD, RV_MMU_S, &pa, NULL);
        if (c != RV_EXC_LOAD_PAGE)
            fail("level %u misaligned superpage: cause %d", l, c);
    }
    /* non-canonical: the bit above the top must copy the sign */
    uint64_t top = 1ull << (12 + 9 * levels - 1);
    WALK_FAULT("non-canonical", top, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    WALK_FAULT("non-canonical store", top, TLB_STORE, RV_MMU_S, RV_EXC_STORE_PAGE);
    group_end(name);
}

static void test_walk_perms(void)
{
    pt_next = PT_BASE;
    uint64_t root = pt_alloc();
    pmp_allow_all();
    set_mode(RV_PRIV_S, (uint64_t)SATP_SV39 << 60 | root >> 12, 0);
    uint64_t pa = RAM_BASE + 0x100000;
    unsigned rwxad = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    map(root, 3, 0x1000, pa, 0, rwxad | PTE_U);                /* user page */
    map(root, 3, 0x2000, pa, 0, PTE_V | PTE_X | PTE_A);        /* execute-only */
    map(root, 3, 0x3000, pa, 0, PTE_V | PTE_W | PTE_A | PTE_D); /* W without R: reserved */
    map(root, 3, 0x4000, pa, 0, rwxad | (1ull << 61));         /* PBMT set: no Svpbmt */
    map(root, 3, 0x5000, pa, 0, rwxad);                        /* supervisor page */
    uint64_t ptr = map(root, 3, 0x6000, pa, 0, rwxad);
    ptr = root + ((0x6000ull >> 30) & 511) * 8; /* the level-2 pointer */
    /* U page: S without SUM no, with SUM load/store but never fetch; U yes */
    WALK_FAULT("S loads U page", 0x1000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    WALK_OK("S+SUM loads U page", 0x1000, TLB_LOAD, RV_MMU_S_SUM, pa);
    WALK_OK("S+SUM stores U page", 0x1000, TLB_STORE, RV_MMU_S_SUM, pa);
    WALK_FAULT("S+SUM fetches U page", 0x1000, TLB_FETCH, RV_MMU_S_SUM, RV_EXC_INSN_PAGE);
    WALK_OK("U fetches U page", 0x1000, TLB_FETCH, RV_MMU_U, pa);
    WALK_FAULT("U loads S page", 0x5000, TLB_LOAD, RV_MMU_U, RV_EXC_LOAD_PAGE);
    WALK_FAULT("U fetches S page", 0x5000, TLB_FETCH, RV_MMU_U, RV_EXC_INSN_PAGE);
    /* X-only: readable only with MXR */
    WALK_FAULT("load X-only", 0x2000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    WALK_OK("fetch X-only", 0x2000, TLB_FETCH, RV_MMU_S, pa);
    hart->mstatus |= MSTATUS_MXR;
    WALK_OK("load X-only with MXR", 0x2000, TLB_LOAD, RV_MMU_S, pa);
    hart->mstatus &= ~MSTATUS_MXR;
    WALK_FAULT("W without R", 0x3000, TLB_STORE, RV_MMU_S, RV_EXC_STORE_PAGE);
    WALK_FAULT("reserved PBMT", 0x4000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    WALK_FAULT("unmapped", 0x7000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    /* A set on a pointer PTE is reserved */
    wr64(ptr, rd64(ptr) | PTE_A);
    WALK_FAULT("A on a pointer", 0x6000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_PAGE);
    wr64(ptr, rd64(ptr) & ~(uint64_t)PTE_A);
    WALK_OK("pointer fixed", 0x6000, TLB_LOAD, RV_MMU_S, pa);
    /* a page table outside RAM: access fault */
    set_mode(RV_PRIV_S, (uint64_t)SATP_SV39 << 60 | 0x40000000ull >> 12, 0);
    WALK_FAULT("root outside RAM", 0x1000, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_ACCESS);
    WALK_FAULT("root outside RAM (fetch)", 0x1000, TLB_FETCH, RV_MMU_S, RV_EXC_INSN_ACCESS);
    /* M-mode and Bare translate nothing */
    WALK_OK("M is physical", 0x1234, TLB_LOAD, RV_MMU_M, 0x1234);
    set_mode(RV_PRIV_S, 0, 0);
    WALK_OK("Bare is physical", RAM_BASE + 8, TLB_STORE, RV_MMU_S, RAM_BASE + 8);
    group_end("walker_permissions");
}

static void test_pmp(void)
{
    memset(hart->pmpcfg, 0, sizeof(hart->pmpcfg));
    memset(hart->pmpaddr, 0, sizeof(hart->pmpaddr));
    rv_pmp_update(hart);
    set_mode(RV_PRIV_S, 0, 0);
    WALK_FAULT("S without PMP entries", RAM_BASE, TLB_LOAD, RV_MMU_S, RV_EXC_LOAD_ACCESS);
    WALK_OK("M without PMP entries", RAM_BASE, TLB_LOAD, RV_MMU_M, RAM_BASE);
    /* entry 0: TOR [0, RAM_BASE + 0x1800) read-only; entry 1: NAPOT everything RWX */
    hart->pmpaddr[0] = (RAM_BASE + 0x1800) >> 2;
    hart->pmpcfg[0] = RV_PMP_R | (PMP_TOR << RV_PMP_A_SHIFT);
    hart->pmpaddr[1] = (1ull << 54) - 1;
    hart->pmpcfg[1] = RV_PMP_R | RV_PMP_W | RV_PMP_X | (PMP_NAPOT << RV_PMP_A_SHIFT);
    rv_pmp_update(hart);
    WALK_OK("S reads TOR", RAM_BASE, TLB_LOAD, RV_MMU_S, RAM_BASE);
    WALK_FAULT("S writes TOR", RAM_BASE, TLB_STORE, RV_MMU_S, RV_EXC_STORE_ACCESS);
    WALK_OK("S writes past TOR", RAM_BASE + 0x1800, TLB_STORE, RV_MMU_S, RAM_BASE + 0x1800);
    WALK_OK("M writes unlocked TOR", RAM_BASE, TLB_STORE, RV_MMU_M, RAM_BASE);
    struct tlb_fill f = {0};
    rv_mmu_translate(hart, RAM_BASE + 0x1000, TLB_LOAD, RV_MMU_S, &f);
    CHECK(f.no_cache, "a PMP boundary inside the page must not be cached");
    rv_mmu_translate(hart, RAM_BASE + 0x2000, TLB_LOAD, RV_MMU_S, &f);
    CHECK(!f.no_cache && f.prot == (TLB_PROT_R | TLB_PROT_W | TLB_PROT_X), "whole page cached");
    hart->pmpcfg[0] |= RV_PMP_L;
    rv_pmp_update(hart);
    WALK_FAULT("M writes locked TOR", RAM_BASE, TLB_STORE, RV_MMU_M, RV_EXC_STORE_ACCESS);
    /* locked entries ignore writes through the CSRs */
    uint64_t v = 0;
    CHECK_EQ("csr write pmpaddr0 locked", rv_csr_write(hart, 0x3b0, 0), 0);
    CHECK_EQ("locked pmpaddr0 kept", hart->pmpaddr[0], (RAM_BASE + 0x1800) >> 2);
    rv_csr_read(hart, 0x3a0, &v);
    CHECK_EQ("pmpcfg0 read", v & 0xffff,
             (uint64_t)(RV_PMP_R | RV_PMP_L | (PMP_TOR << RV_PMP_A_SHIFT)) |
                 (uint64_t)(RV_PMP_R | RV_PMP_W | RV_PMP_X | (PMP_NAPOT << RV_PMP_A_SHIFT)) << 8);
    /* granularity probe as OpenSBI does it: all ones read back whole (G = 0) */
    hart->pmpcfg[2] = 0;
    rv_csr_write(hart, 0x3b2, ~0ull);
    rv_csr_read(hart, 0x3b2, &v);
    CHECK_EQ("pmpaddr2 all ones", v, (1ull << 54) - 1);
    hart->pmpcfg[0] = 0; /* unlock for the rest (a reset would, too) */
    pmp_allow_all();
    group_end("pmp");
}

/* ---- the TLB ---- */

static sigjmp_buf tenv;

/* Run an access; returns -1, or the guest cause it raised. */
static int try_access(uint64_t va, unsigned size_log2, enum tlb_access acc, uint64_t *val)
{
    struct cpu_common *c = &cpu->c;
    c->jmp_env = &tenv;
    if (sigsetjmp(tenv, 0)) {
        c->jmp_env = NULL;
        return (int)c->excp;
    }
    if (acc == TLB_LOAD)
        *val = tlb_load(c, va, size_log2);
    else if (acc == TLB_STORE)
        tlb_store(c, va, size_log2, *val);
    else
        *val = (uint64_t)(uintptr_t)tlb_atomic_host(c, va, size_log2);
    c->jmp_env = NULL;
    return -1;
}

static void test_tlb(void)
{
    struct tlb *t = hart->tlb;
    pt_next = PT_BASE;
    uint64_t root = pt_alloc();
    pmp_allow_all();
    uint64_t pa = RAM_BASE + 0x100000, v;
    map(root, 3, 0x10000, pa, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 3, 0x11000, pa + 0x1000, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
    map(root, 3, 0x12000, pa + 0x2000, 0, PTE_V | PTE_R | PTE_A); /* read-only */
    map(root, 3, 0x13000, DEV_BASE, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 3, 0x14000, pa + 0x4000, 0, PTE_V | PTE_R | PTE_W | PTE_A); /* D clear */
    map(root, 3, 0x15000, ROM_BASE, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 3, 0x40000000, RAM_BASE, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D); /* 1 GiB */
    set_mode(RV_PRIV_S, (uint64_t)SATP_SV39 << 60 | 5ull << 44 | root >> 12, 0);
    wr64(pa, 0x0102030405060708ull);

    /* hit without a second walk */
    uint64_t fills = t->n_fill;
    CHECK_EQ("load", try_access(0x10000, 3, TLB_LOAD, &v), (uint64_t)-1);
    CHECK_EQ("value", v, 0x0102030405060708ull);
    CHECK_EQ("one fill", t->n_fill - fills, 1);
    CHECK(tlb_fast(t, RV_MMU_S, 0x10008, 3, TLB_LOAD) == ram_at(pa + 8), "fast path address");
    CHECK(!tlb_fast(t, RV_MMU_S, 0x10009, 3, TLB_LOAD), "misaligned must miss the fast path");
    try_access(0x10004, 2, TLB_LOAD, &v);
    v = 0xaa;
    try_access(0x10010, 0, TLB_STORE, &v);
    CHECK_EQ("hits", t->n_fill - fills, 1);
    CHECK_EQ("stored", ((uint8_t *)ram_at(pa))[0x10], 0xaa);
    /* the PTE changes; the TLB keeps the old translation until a flush */
    map(root, 3, 0x10000, pa + 0x3000, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    wr64(pa + 0x3000, 0x77);
    try_access(0x10000, 3, TLB_LOAD, &v);
    CHECK_EQ("stale until flushed", v, 0x0102030405060708ull);
    tlb_flush_page(t, 0x10abc, RV_MMU_TRANSLATED);
    try_access(0x10000, 3, TLB_LOAD, &v);
    CHECK_EQ("new after flush by address", v, 0x77);
    /* by ASID: the global page survives, the other goes */
    try_access(0x11000, 3, TLB_LOAD, &v);
    fills = t->n_fill;
    tlb_flush_asid(t, 4, RV_MMU_TRANSLATED);
    try_access(0x11000, 3, TLB_LOAD, &v);
    try_access(0x10000, 3, TLB_LOAD, &v);
    CHECK_EQ("other ASID kept", t->n_fill - fills, 0);
    tlb_flush_asid(t, 5, RV_MMU_TRANSLATED);
    try_access(0x11000, 3, TLB_LOAD, &v);
    CHECK_EQ("global kept", t->n_fill - fills, 0);
    try_access(0x10000, 3, TLB_LOAD, &v);
    CHECK_EQ("ASID 5 entry gone", t->n_fill - fills, 1);
    /* a superpage: a flush of any address inside flushes its entries */
    try_access(0x40123000, 3, TLB_LOAD, &v);
    fills = t->n_fill;
    tlb_flush_page(t, 0x40000000 + 0x3ff00000, RV_MMU_TRANSLATED);
    try_access(0x40123000, 3, TLB_LOAD, &v);
    CHECK_EQ("superpage flush", t->n_fill - fills, 1);
    tlb_flush(t, RV_MMU_ALL);
    fills = t->n_fill;
    try_access(0x11000, 3, TLB_LOAD, &v);
    CHECK_EQ("flush all", t->n_fill - fills, 1);
    /* store to a read-only page and to a clean (D = 0) page */
    v = 1;
    CHECK_EQ("store to read-only", try_access(0x12000, 3, TLB_STORE, &v), RV_EXC_STORE_PAGE);
    CHECK_EQ("load clean page", try_access(0x14000, 3, TLB_LOAD, &v), (uint64_t)-1);
    CHECK(!tlb_fast(t, RV_MMU_S, 0x14000, 3, TLB_STORE), "no store tag before D is set");
    v = 5;
    CHECK_EQ("store clean page", try_access(0x14000, 3, TLB_STORE, &v), (uint64_t)-1);
    uint64_t slot = root; /* find the PTE of 0x14000 */
    for (int l = 2; l > 0; l--)
        slot = ((rd64(slot + ((0x14000ull >> (12 + 9 * l)) & 511) * 8) >> 10) << 12);
    CHECK_EQ("D set by the store", rd64(slot + 0x14 * 8) & PTE_D, PTE_D);
    CHECK(tlb_fast(t, RV_MMU_S, 0x14000, 3, TLB_STORE) != NULL, "store tag once D is set");
    /* device: every access goes to the ops, misaligned ones in aligned pieces */
    dev.n_reads = 0;
    CHECK_EQ("mmio load", try_access(0x13020, 3, TLB_LOAD, &v), (uint64_t)-1);
    CHECK_EQ("mmio value", v, DEV_MAGIC);
    try_access(0x13024, 2, TLB_LOAD, &v);
    CHECK_EQ("mmio 4 bytes", v, DEV_MAGIC >> 32);
    CHECK_EQ("mmio reads", dev.n_reads, 2);
    CHECK(!tlb_fast(t, RV_MMU_S, 0x13020, 3, TLB_LOAD), "mmio never on the fast path");
    dev.n_reads = 0;
    try_access(0x13021, 2, TLB_LOAD, &v);
    CHECK_EQ("mmio misaligned value", v, (DEV_MAGIC >> 8) & 0xffffffff);
    CHECK_EQ("mmio misaligned pieces (1,2,1)", dev.n_reads, 3);
    CHECK_EQ("mmio atomic", try_access(0x13020, 3, TLB_FETCH, &v), RV_EXC_STORE_ACCESS);
    /* ROM: readable, not writable; nothing: access fault */
    rom[0x10] = 0x5a;
    CHECK_EQ("rom load", try_access(0x15010, 0, TLB_LOAD, &v), (uint64_t)-1);
    CHECK_EQ("rom value", v, 0x5a);
    CHECK_EQ("rom store", try_access(0x15010, 0, TLB_STORE, &v), RV_EXC_STORE_ACCESS);
    set_mode(RV_PRIV_M, 0, 0);
    CHECK_EQ("unmapped load", try_access(0x20000000, 2, TLB_LOAD, &v), RV_EXC_LOAD_ACCESS);
    CHECK_EQ("unmapped store", try_access(0x20000000, 2, TLB_STORE, &v), RV_EXC_STORE_ACCESS);
    CHECK_EQ("misaligned atomic", try_access(RAM_BASE + 4, 3, TLB_FETCH, &v),
             RV_EXC_STORE_MISALIGNED);
    CHECK_EQ("aligned atomic", try_access(RAM_BASE + 8, 3, TLB_FETCH, &v), (uint64_t)-1);
    CHECK_EQ("atomic host", v, (uint64_t)(uintptr_t)ram_at(RAM_BASE + 8));
    group_end("tlb");
}

static void test_tlb_split_and_code(void)
{
    struct tlb *t = hart->tlb;
    pt_next = PT_BASE;
    uint64_t root = pt_alloc();
    pmp_allow_all();
    uint64_t pa = RAM_BASE + 0x100000, v;
    /* two virtual pages, physically apart; the third read-only */
    map(root, 3, 0x20000, pa + 0x5000, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 3, 0x21000, pa + 0x1000, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 3, 0x22000, pa + 0x2000, 0, PTE_V | PTE_R | PTE_A);
    set_mode(RV_PRIV_S, (uint64_t)SATP_SV39 << 60 | root >> 12, 0);
    for (unsigned i = 0; i < 8; i++) {
        ((uint8_t *)ram_at(pa + 0x5ffc))[i] = (uint8_t)(0x10 + i);
        ((uint8_t *)ram_at(pa + 0x1000))[i] = (uint8_t)(0x20 + i);
    }
    CHECK_EQ("crossing load", try_access(0x20ffd, 3, TLB_LOAD, &v), (uint64_t)-1);
    CHECK_EQ("crossing value", v, 0x2423222120131211ull);
    CHECK_EQ("misaligned in page", try_access(0x20ffd, 1, TLB_LOAD, &v), (uint64_t)-1);
    CHECK_EQ("misaligned value", v, 0x1211);
    v = 0xa1a2a3a4a5a6a7a8ull;
    CHECK_EQ("crossing store", try_access(0x20ffa, 3, TLB_STORE, &v), (uint64_t)-1);
    CHECK_EQ("first page bytes", rd64(pa + 0x5ff8) >> 16, 0xa3a4a5a6a7a8ull);
    CHECK_EQ("second page bytes", *(uint16_t *)ram_at(pa + 0x1000), 0xa1a2);
    /* a crossing store whose second page is read-only writes nothing */
    uint64_t before = rd64(pa + 0x1ff8);
    v = 0;
    CHECK_EQ("crossing into read-only", try_access(0x21ffc, 3, TLB_STORE, &v), RV_EXC_STORE_PAGE);
    CHECK_EQ("fault address is the second page", cpu->c.excp_tval, 0x22000);
    CHECK_EQ("first page untouched", rd64(pa + 0x1ff8), before);
    /* code pages: the hook flags existing store tags; a store clears the page's code */
    try_access(0x21000, 3, TLB_STORE, &v);
    CHECK(tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE) != NULL, "store tag before hook");
    tlb_code_page_hook(pa + 0x1000);
    CHECK(!tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE), "hook must flag the store tag");
    CHECK(tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_LOAD) != NULL, "loads stay fast");
    tlb_flush(t, RV_MMU_ALL);
    try_access(0x21000, 3, TLB_LOAD, &v);
    CHECK(!tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE), "a fill of a code page is flagged");
    v = 9;
    CHECK_EQ("store to code page", try_access(0x21008, 3, TLB_STORE, &v), (uint64_t)-1);
    CHECK_EQ("stored", rd64(pa + 0x1008), 9);
    CHECK(tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE) != NULL, "fast again after the store");
    /* a device writing the page (DMA) also ends its life as code */
    tlb_code_page_hook(pa + 0x1000);
    tlb_flush(t, RV_MMU_ALL);
    try_access(0x21000, 3, TLB_LOAD, &v);
    CHECK(!tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE), "code page flagged again");
    tlb_dma_written(pa + 0xff0, 0x20);
    tlb_flush(t, RV_MMU_ALL);
    try_access(0x21000, 3, TLB_LOAD, &v);
    CHECK(tlb_fast(t, RV_MMU_S, 0x21000, 3, TLB_STORE) != NULL, "DMA clears the code page");
    /* fetch and the code-page query */
    map(root, 3, 0x23000, pa + 0x3000, 0, PTE_V | PTE_X | PTE_A);
    tlb_flush(t, RV_MMU_ALL);
    uint64_t ppage = 0;
    CHECK_EQ("code page", tlb_code_page(&cpu->c, 0x23abc, &ppage), 0);
    CHECK_EQ("code page address", ppage, pa + 0x3000);
    wr64(pa + 0x3010, 0xfeedull);
    CHECK_EQ("fetch", tlb_fetch(&cpu->c, 0x23010, &v, 8), 0);
    CHECK_EQ("fetched", v, 0xfeed);
    CHECK_EQ("fetch non-X", tlb_fetch(&cpu->c, 0x21000, &v, 2), (uint64_t)-EFAULT);
    CHECK_EQ("fetch fault cause", t->fault_cause, RV_EXC_INSN_PAGE);
    CHECK_EQ("fetch fault address", t->fault_tval, 0x21000);
    map(root, 3, 0x24000, DEV_BASE, 0, PTE_V | PTE_X | PTE_R | PTE_A);
    CHECK_EQ("fetch from a device", tlb_fetch(&cpu->c, 0x24000, &v, 2), (uint64_t)-EFAULT);
    CHECK_EQ("device fetch cause", t->fault_cause, RV_EXC_INSN_ACCESS);
    group_end("tlb_slow_paths");
}

/* ---- machine-code snippets on a real hart ---- */

enum { ZERO, RA, SP, GP, TP, T0, T1, T2, S0, S1, A0, A1, A2, A3, A4, A5, A6, A7,
       S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, T3, T4, T5, T6 };

static uint32_t r_type(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
                       unsigned op)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t i_type(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t s_type(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}
static uint32_t b_type(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
static uint32_t j_type(int32_t off, unsigned rd)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

#define ADDI(rd, rs, imm) i_type(imm, rs, 0, rd, 0x13)
#define ADDIW(rd, rs, imm) i_type(imm, rs, 0, rd, 0x1b)
#define ANDI(rd, rs, imm) i_type(imm, rs, 7, rd, 0x13)
#define SLLI(rd, rs, sh) i_type(sh, rs, 1, rd, 0x13)
#define SRLI(rd, rs, sh) i_type(sh, rs, 5, rd, 0x13)
#define LUI(rd, imm) (((uint32_t)(imm)&0xfffff000u) | (rd) << 7 | 0x37)
#define ADD(rd, a, b) r_type(0, b, a, 0, rd, 0x33)
#define LD(rd, off, rs) i_type(off, rs, 3, rd, 0x03)
#define LW(rd, off, rs) i_type(off, rs, 2, rd, 0x03)
#define SD(rs2, off, rs1) s_type(off, rs2, rs1, 3, 0x23)
#define SW(rs2, off, rs1) s_type(off, rs2, rs1, 2, 0x23)
#define CSRRW(rd, csr, rs) i_type((int32_t)(csr), rs, 1, rd, 0x73)
#define CSRRS(rd, csr, rs) i_type((int32_t)(csr), rs, 2, rd, 0x73)
#define CSRRC(rd, csr, rs) i_type((int32_t)(csr), rs, 3, rd, 0x73)
#define CSRRSI(rd, csr, u) i_type((int32_t)(csr), u, 6, rd, 0x73)
#define CSRR(rd, csr) CSRRS(rd, csr, ZERO)
#define CSRW(csr, rs) CSRRW(ZERO, csr, rs)
#define CSRS(csr, rs) CSRRS(ZERO, csr, rs)
#define CSRC(csr, rs) CSRRC(ZERO, csr, rs)
#define ECALL 0x00000073u
#define MRET 0x30200073u
#define SRET 0x10200073u
#define WFI 0x10500073u
#define FENCE_I 0x0000100fu
#define SFENCE_VMA(rs1, rs2) r_type(0x09, rs2, rs1, 0, 0, 0x73)
#define JAL(rd, off) j_type(off, rd)
#define JALR(rd, rs, off) i_type(off, rs, 0, rd, 0x67)
#define BEQ(a, b, off) b_type(off, b, a, 0)
#define BNE(a, b, off) b_type(off, b, a, 1)
#define FMV_D_X(fd, rs) r_type(0x79, 0, rs, 0, fd, 0x53)
#define FMV_X_D(rd, fs) r_type(0x71, 0, fs, 0, rd, 0x53)
#define FADD_D(fd, a, b) r_type(0x01, b, a, 7, fd, 0x53)
#define LR_D(rd, rs) r_type(0x02 << 2, 0, rs, 3, rd, 0x2f)
#define SC_D(rd, rs2, rs1) r_type(0x03 << 2, rs2, rs1, 3, rd, 0x2f)
#define AMOADD_D(rd, rs2, rs1) r_type(0x00, rs2, rs1, 3, rd, 0x2f)

enum {
    C_SSTATUS = 0x100, C_SIE = 0x104, C_STVEC = 0x105, C_SEPC = 0x141, C_SCAUSE = 0x142,
    C_STVAL = 0x143, C_SIP = 0x144, C_STIMECMP = 0x14d, C_SATP = 0x180, C_MSTATUS = 0x300,
    C_MISA = 0x301, C_MEDELEG = 0x302, C_MIDELEG = 0x303, C_MIE = 0x304, C_MTVEC = 0x305,
    C_MCOUNTEREN = 0x306, C_MENVCFG = 0x30a, C_MEPC = 0x341, C_MCAUSE = 0x342, C_MTVAL = 0x343,
    C_PMPCFG0 = 0x3a0, C_PMPADDR0 = 0x3b0, C_TIME = 0xc01, C_MHARTID = 0xf14, C_TSELECT = 0x7a0,
};

struct as {
    uint64_t pc;
};

static void emit(struct as *a, uint32_t insn)
{
    memcpy(ram_at(a->pc), &insn, 4);
    a->pc += 4;
}
static void put_at(uint64_t at, uint32_t insn) { memcpy(ram_at(at), &insn, 4); }

static void li(struct as *a, unsigned rd, int64_t v)
{
    if (v >= -2048 && v < 2048) {
        emit(a, ADDI(rd, ZERO, (int32_t)v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        int32_t lo = (int32_t)((uint32_t)v << 20) >> 20;
        emit(a, LUI(rd, (uint32_t)((int64_t)v - lo)));
        if (lo)
            emit(a, ADDIW(rd, rd, lo));
    } else {
        int32_t lo = (int32_t)((uint32_t)v << 20) >> 20;
        int64_t hi = (int64_t)((uint64_t)v - (uint64_t)(int64_t)lo) >> 12;
        li(a, rd, hi);
        emit(a, SLLI(rd, rd, 12));
        if (lo)
            emit(a, ADDI(rd, rd, lo));
    }
}

/* log(reg) and exit(code) through the test device; t6/t5 are scratch */
static void as_log(struct as *a, unsigned r)
{
    li(a, T6, (int64_t)DEV_BASE);
    emit(a, SD(r, 8, T6));
}
static void as_exit(struct as *a, int64_t code)
{
    li(a, T6, (int64_t)DEV_BASE);
    li(a, T5, code);
    emit(a, SD(T5, 0, T6));
    emit(a, JAL(ZERO, 0)); /* spin until the stop is seen */
}
static void as_csrw_imm(struct as *a, unsigned csr, int64_t v)
{
    li(a, T0, v);
    emit(a, CSRW(csr, T0));
}
static void as_pmp_all(struct as *a)
{
    as_csrw_imm(a, C_PMPADDR0, -1);
    as_csrw_imm(a, C_PMPCFG0, 0x1f);
}

#define CODE RAM_BASE
#define MHANDLER (RAM_BASE + 0x1000)
#define SHANDLER (RAM_BASE + 0x2000)
#define SCODE (RAM_BASE + 0x3000)
#define UCODE (RAM_BASE + 0x4000)
#define DATA (RAM_BASE + 0x100000)

static _Atomic bool run_done;

static void *watchdog(void *arg)
{
    for (int i = 0; i < 500 && !run_done; i++)
        usleep(10000);
    if (!run_done)
        rv_hart_stop(cpu);
    return NULL;
}

/* Runs the program at CODE; returns 0 if it exited through the device. */
static int run_program(void)
{
    exec_invalidate(RAM_BASE, RAM_SIZE); /* the host rewrote the code */
    dev.n_log = 0;
    dev.exited = false;
    atomic_store(&hart->mip_hw, 0);
    rv_hart_reset(cpu, CODE, 0); /* also clears the previous program's stop */
    run_done = false;
    pthread_t w;
    pthread_create(&w, NULL, watchdog, NULL);
    rv_hart_run(cpu);
    run_done = true;
    pthread_join(w, NULL);
    if (!dev.exited) {
        fail("program did not exit (pc 0x%" PRIx64 ", priv %u, mcause 0x%" PRIx64
             ", scause 0x%" PRIx64 ", %u log entries)",
             cpu->c.pc, hart->priv, hart->mcause, hart->scause, dev.n_log);
        return -1;
    }
    return 0;
}

static void check_log(const uint64_t *want, unsigned n)
{
    if (dev.n_log != n)
        fail("log has %u entries, want %u (first 0x%" PRIx64 ")", dev.n_log, n, dev.log[0]);
    for (unsigned i = 0; i < n && i < dev.n_log; i++)
        if (dev.log[i] != want[i]) {
            fail("log[%u] = 0x%" PRIx64 ", want 0x%" PRIx64, i, dev.log[i], want[i]);
            break;
        }
}

/* M handler: log mcause, mepc, mtval; skip the instruction; mret. */
static void as_mhandler_skip(void)
{
    struct as a = {MHANDLER};
    emit(&a, CSRR(T0, C_MCAUSE));
    as_log(&a, T0);
    emit(&a, CSRR(T0, C_MEPC));
    as_log(&a, T0);
    emit(&a, CSRR(T0, C_MTVAL));
    as_log(&a, T0);
    emit(&a, CSRR(T0, C_MEPC));
    emit(&a, ADDI(T0, T0, 4));
    emit(&a, CSRW(C_MEPC, T0));
    emit(&a, MRET);
}

static void test_snip_m_traps(void)
{
    as_mhandler_skip();
    struct as a = {CODE};
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    uint64_t ecall_at = a.pc;
    emit(&a, ECALL);
    emit(&a, CSRR(T0, C_MSTATUS));
    as_log(&a, T0);
    uint64_t ill_at = a.pc;
    emit(&a, CSRR(T1, C_TSELECT)); /* no triggers: the CSR does not exist */
    uint64_t bad_at = a.pc;
    emit(&a, 0); /* all-zero: illegal */
    emit(&a, CSRR(T0, C_MHARTID));
    as_log(&a, T0);
    emit(&a, CSRR(T0, C_MISA));
    as_log(&a, T0);
    /* csrrs on mip with the external line up must not latch the software SEIP */
    li(&a, T6, (int64_t)DEV_BASE);
    li(&a, T1, RV_IRQ_SEIP);
    emit(&a, SD(T1, 16, T6));
    li(&a, T1, 2);
    emit(&a, CSRRS(T0, 0x344, T1));
    as_log(&a, T0);
    li(&a, T1, RV_IRQ_SEIP);
    emit(&a, SD(T1, 24, T6));
    emit(&a, CSRR(T0, 0x344));
    as_log(&a, T0);
    /* an unsupported satp mode leaves satp alone */
    as_csrw_imm(&a, C_SATP, (int64_t)(11ull << 60 | 0x1234));
    emit(&a, CSRR(T0, C_SATP));
    as_log(&a, T0);
    as_exit(&a, 0);
    if (run_program() == 0) {
        uint64_t misa = (2ull << 62) | 1 << 0 | 1 << 2 | 1 << 3 | 1 << 5 | 1 << 8 | 1 << 12 |
                        1 << 18 | 1 << 20;
        uint64_t want[] = {RV_EXC_ECALL_M, ecall_at, 0,
                           /* after mret: MPP = U, MPIE = 1; UXL = SXL = 2 */
                           (1ull << 7) | (10ull << 32),
                           RV_EXC_ILLEGAL, ill_at, CSRR(T1, C_TSELECT),
                           RV_EXC_ILLEGAL, bad_at, 0, 0, misa, MIP_SEIP, MIP_SSIP, 0};
        check_log(want, sizeof(want) / 8);
    }
    group_end("snippet_m_traps");
}

static void test_snip_delegation(void)
{
    /* S handler: log scause, stval; skip; if it was an ecall from U: exit */
    struct as s = {SHANDLER};
    emit(&s, CSRR(T0, C_SCAUSE));
    as_log(&s, T0);
    emit(&s, CSRR(T1, C_STVAL));
    as_log(&s, T1);
    emit(&s, CSRR(T1, C_SEPC));
    emit(&s, ADDI(T1, T1, 4));
    emit(&s, CSRW(C_SEPC, T1));
    li(&s, T2, RV_EXC_ECALL_U);
    uint64_t br = s.pc;
    emit(&s, 0);
    emit(&s, SRET);
    put_at(br, BEQ(T0, T2, (int32_t)(s.pc - br)));
    emit(&s, CSRR(T0, C_SSTATUS)); /* SPP = 0 (from U), SPIE */
    as_log(&s, T0);
    as_exit(&s, 0);

    as_mhandler_skip();
    struct as u = {UCODE};
    uint64_t uill = u.pc;
    emit(&u, CSRR(T0, C_MSTATUS));
    emit(&u, ECALL);

    struct as sc = {SCODE};
    uint64_t secall = sc.pc;
    emit(&sc, ECALL); /* not delegated: M */
    as_csrw_imm(&sc, C_SEPC, (int64_t)UCODE);
    li(&sc, T0, 1 << 8); /* SPP */
    emit(&sc, CSRC(C_SSTATUS, T0));
    emit(&sc, SRET);

    struct as a = {CODE};
    as_pmp_all(&a);
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    as_csrw_imm(&a, C_STVEC, (int64_t)SHANDLER);
    as_csrw_imm(&a, C_MEDELEG, (1 << RV_EXC_ECALL_U) | (1 << RV_EXC_ILLEGAL));
    as_csrw_imm(&a, C_MEPC, (int64_t)SCODE);
    li(&a, T0, 1 << 11); /* MPP = S */
    emit(&a, CSRS(C_MSTATUS, T0));
    emit(&a, MRET);
    if (run_program() == 0) {
        uint64_t want[] = {RV_EXC_ECALL_S, secall, 0, RV_EXC_ILLEGAL, CSRR(T0, C_MSTATUS),
                           RV_EXC_ECALL_U, 0, 2ull << 32 /* SPP = U, SPIE = 0 */};
        check_log(want, sizeof(want) / 8);
        (void)uill;
    }
    group_end("snippet_delegation_mret_sret");
}

static void test_snip_interrupts(void)
{
    /* S handler: log scause; timer: stimecmp = -1; software: clear SSIP */
    struct as s = {SHANDLER};
    emit(&s, CSRR(T0, C_SCAUSE));
    as_log(&s, T0);
    li(&s, T1, (int64_t)(RV_CAUSE_INTR | RV_IRQ_STIP));
    uint64_t br = s.pc;
    emit(&s, 0);
    li(&s, T2, -1);
    emit(&s, CSRW(C_STIMECMP, T2));
    emit(&s, SRET);
    put_at(br, BNE(T0, T1, (int32_t)(s.pc - br)));
    li(&s, T1, 2);
    emit(&s, CSRC(C_SIP, T1));
    emit(&s, SRET);

    struct as sc = {SCODE};
    emit(&sc, CSRR(T0, C_TIME));
    emit(&sc, ADDI(T0, T0, 2000)); /* 200 us */
    emit(&sc, CSRW(C_STIMECMP, T0));
    li(&sc, T0, 0x20); /* STIE */
    emit(&sc, CSRS(C_SIE, T0));
    emit(&sc, CSRRSI(ZERO, C_SSTATUS, 2)); /* SIE */
    emit(&sc, WFI);
    li(&sc, A0, 0x77);
    as_log(&sc, A0);
    li(&sc, T0, 2); /* SSIE, then raise SSIP: taken right after the write */
    emit(&sc, CSRS(C_SIE, T0));
    emit(&sc, CSRRSI(ZERO, C_SIP, 2));
    li(&sc, A0, 0x88);
    as_log(&sc, A0);
    as_exit(&sc, 0);

    struct as a = {CODE};
    as_pmp_all(&a);
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    as_csrw_imm(&a, C_STVEC, (int64_t)SHANDLER);
    as_csrw_imm(&a, C_MENVCFG, (int64_t)(1ull << 63)); /* STCE */
    as_csrw_imm(&a, C_MCOUNTEREN, 7);
    as_csrw_imm(&a, C_MIDELEG, 0x222);
    as_csrw_imm(&a, C_MEPC, (int64_t)SCODE);
    li(&a, T0, 1 << 11);
    emit(&a, CSRS(C_MSTATUS, T0));
    emit(&a, MRET);
    as_mhandler_skip();
    if (run_program() == 0) {
        uint64_t want[] = {RV_CAUSE_INTR | RV_IRQ_STIP, 0x77, RV_CAUSE_INTR | RV_IRQ_SSIP, 0x88};
        check_log(want, sizeof(want) / 8);
    }
    group_end("snippet_timer_wfi_software_interrupts");

    /* M-level external and timer lines raised together: MEI first, then MTI */
    struct as m = {MHANDLER};
    emit(&m, CSRR(T0, C_MCAUSE));
    as_log(&m, T0);
    emit(&m, SLLI(T1, T0, 1));
    emit(&m, SRLI(T1, T1, 1));
    li(&m, T6, (int64_t)DEV_BASE);
    emit(&m, SD(T1, 24, T6)); /* lower the line */
    emit(&m, MRET);
    a = (struct as){CODE};
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    as_csrw_imm(&a, C_MIE, (1 << RV_IRQ_MEIP) | (1 << RV_IRQ_MTIP));
    li(&a, T6, (int64_t)DEV_BASE);
    li(&a, T1, RV_IRQ_MTIP);
    emit(&a, SD(T1, 16, T6));
    li(&a, T1, RV_IRQ_MEIP);
    emit(&a, SD(T1, 16, T6));
    li(&a, A0, 0x11); /* not taken yet: MIE is off */
    as_log(&a, A0);
    emit(&a, CSRRSI(ZERO, C_MSTATUS, 8));
    li(&a, A0, 0x22);
    as_log(&a, A0);
    as_exit(&a, 0);
    if (run_program() == 0) {
        uint64_t want[] = {0x11, RV_CAUSE_INTR | RV_IRQ_MEIP, RV_CAUSE_INTR | RV_IRQ_MTIP, 0x22};
        check_log(want, sizeof(want) / 8);
    }
    group_end("snippet_external_interrupt_priority");
}

static void test_snip_paging(void)
{
    pt_next = PT_BASE;
    uint64_t root = pt_alloc();
    /* identity gigapage for code and tables, gigapage 0 for the device */
    map(root, 3, RAM_BASE, RAM_BASE, 2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G);
    map(root, 3, 0, 0, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
    uint64_t d0 = map(root, 3, 0x40000000, DATA, 0, PTE_V | PTE_R | PTE_W);
    uint64_t l0 = d0 & ~0xfffull;
    map(root, 3, 0x40002000, DATA + 0x2000, 0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    map(root, 3, 0x40200000, DATA + 0x1000, 1, PTE_V | PTE_R | PTE_A); /* misaligned 2 MiB */
    wr64(DATA, 0x1234);
    wr64(DATA + 0x3000, 0x5678);
    wr64(DATA + 0x2000, 0xabc);

    /* S handler: log scause, stval; s4 counts faults: 0 map the page, 1 set SUM, 2 skip */
    struct as s = {SHANDLER};
    emit(&s, CSRR(T0, C_SCAUSE));
    as_log(&s, T0);
    emit(&s, CSRR(T0, C_STVAL));
    as_log(&s, T0);
    uint64_t b1 = s.pc;
    emit(&s, 0);
    li(&s, T0, (int64_t)(l0 + 8));
    li(&s, T1, (int64_t)pte(DATA + 0x3000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));
    emit(&s, SD(T1, 0, T0));
    emit(&s, SFENCE_VMA(ZERO, ZERO));
    emit(&s, ADDI(S4, S4, 1));
    emit(&s, SRET);
    put_at(b1, BNE(S4, ZERO, (int32_t)(s.pc - b1)));
    li(&s, T2, 1);
    uint64_t b2 = s.pc;
    emit(&s, 0);
    li(&s, T0, 1 << 18); /* SUM */
    emit(&s, CSRS(C_SSTATUS, T0));
    emit(&s, ADDI(S4, S4, 1));
    emit(&s, SRET);
    put_at(b2, BNE(S4, T2, (int32_t)(s.pc - b2)));
    emit(&s, CSRR(T1, C_SEPC));
    emit(&s, ADDI(T1, T1, 4));
    emit(&s, CSRW(C_SEPC, T1));
    emit(&s, SRET);

    struct as sc = {SCODE};
    li(&sc, T0, (int64_t)((uint64_t)SATP_SV39 << 60 | root >> 12));
    emit(&sc, CSRW(C_SATP, T0));
    emit(&sc, SFENCE_VMA(ZERO, ZERO));
    li(&sc, S1, 0x40000000);
    emit(&sc, LD(A0, 0, S1));
    as_log(&sc, A0);
    li(&sc, A1, 0x99);
    emit(&sc, SD(A1, 8, S1));
    li(&sc, S2, 0x40001000);
    emit(&sc, LD(A0, 0, S2)); /* fault 0: the handler maps the page, retried */
    as_log(&sc, A0);
    li(&sc, S3, 0x40002000);
    emit(&sc, LD(A0, 0, S3)); /* fault 1: a user page, SUM off */
    as_log(&sc, A0);
    li(&sc, S5, 0x40200000);
    emit(&sc, LD(A0, 0, S5)); /* fault 2: misaligned superpage, skipped */
    as_exit(&sc, 0);

    struct as a = {CODE};
    as_pmp_all(&a);
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    as_csrw_imm(&a, C_STVEC, (int64_t)SHANDLER);
    as_csrw_imm(&a, C_MEDELEG, (1 << 12) | (1 << 13) | (1 << 15));
    as_csrw_imm(&a, C_MEPC, (int64_t)SCODE);
    li(&a, T0, 1 << 11);
    emit(&a, CSRS(C_MSTATUS, T0));
    emit(&a, MRET);
    as_mhandler_skip();
    if (run_program() == 0) {
        uint64_t want[] = {0x1234, RV_EXC_LOAD_PAGE, 0x40001000, 0x5678, RV_EXC_LOAD_PAGE,
                           0x40002000, 0xabc, RV_EXC_LOAD_PAGE, 0x40200000};
        check_log(want, sizeof(want) / 8);
        CHECK_EQ("A and D set by the hart", rd64(d0) & (PTE_A | PTE_D), PTE_A | PTE_D);
        CHECK_EQ("store through the mapping", rd64(DATA + 8), 0x99);
    }
    group_end("snippet_sv39_paging_faults_sfence");
}

static void test_snip_misc(void)
{
    as_mhandler_skip();
    struct as a = {CODE};
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    /* FS off: an FP instruction is illegal; on: it works and FS becomes Dirty */
    uint64_t fp_at = a.pc;
    emit(&a, FADD_D(1, 2, 3));
    li(&a, T0, 1 << 13); /* FS = Initial */
    emit(&a, CSRS(C_MSTATUS, T0));
    li(&a, A1, 0x3ff8000000000000ll); /* 1.5 */
    li(&a, A2, 0x4002000000000000ll); /* 2.25 */
    emit(&a, FMV_D_X(2, A1));
    emit(&a, FMV_D_X(3, A2));
    emit(&a, FADD_D(1, 2, 3));
    emit(&a, FMV_X_D(A0, 1));
    as_log(&a, A0);
    emit(&a, CSRR(T0, C_MSTATUS));
    li(&a, T1, 3 << 13);
    emit(&a, r_type(0, T1, T0, 7, T0, 0x33)); /* and t0, t0, t1 */
    as_log(&a, T0);
    emit(&a, CSRR(T0, C_MSTATUS));
    emit(&a, SRLI(T0, T0, 63)); /* SD */
    as_log(&a, T0);
    /* misaligned and page-crossing accesses are performed */
    li(&a, S1, (int64_t)(DATA + 0xffd));
    emit(&a, LD(A0, 0, S1));
    as_log(&a, A0);
    emit(&a, LW(A0, 2, S1));
    as_log(&a, A0);
    li(&a, A1, 0x0123456789abcdefll);
    emit(&a, SD(A1, 0, S1));
    /* AMOs must be aligned: store/AMO misaligned, tval the address */
    uint64_t amo_at = a.pc;
    emit(&a, AMOADD_D(A0, A1, S1));
    /* LR/SC and an AMO on an aligned word */
    li(&a, S2, (int64_t)(DATA + 0x800));
    emit(&a, LR_D(A0, S2));
    emit(&a, ADDI(A0, A0, 1));
    emit(&a, SC_D(A3, A0, S2));
    as_log(&a, A3);
    li(&a, A1, 10);
    emit(&a, AMOADD_D(A0, A1, S2));
    emit(&a, LD(A0, 0, S2));
    as_log(&a, A0);
    /* device loads through the TLB */
    li(&a, S3, (int64_t)DEV_BASE);
    emit(&a, LW(A0, 36, S3));
    as_log(&a, A0);
    as_exit(&a, 0);
    for (unsigned i = 0; i < 16; i++)
        ((uint8_t *)ram_at(DATA + 0xff8))[i] = (uint8_t)(0x40 + i);
    wr64(DATA + 0x800, 41);
    if (run_program() == 0) {
        uint64_t want[] = {RV_EXC_ILLEGAL, fp_at, FADD_D(1, 2, 3), 0x400e000000000000ull,
                           3 << 13, 1, 0x4c4b4a4948474645ull, 0x4a494847,
                           RV_EXC_STORE_MISALIGNED, amo_at, DATA + 0xffd, 0, 52,
                           (uint64_t)(int64_t)(int32_t)(DEV_MAGIC >> 32)};
        check_log(want, sizeof(want) / 8);
        CHECK_EQ("crossing store, first page", rd64(DATA + 0xff8) >> 40, 0xabcdefull);
        CHECK_EQ("crossing store, second page", rd64(DATA + 0x1000) & 0xffffffffff,
                 0x0123456789ull);
    }
    group_end("snippet_fs_misaligned_atomics_mmio");
}

static void test_snip_smc(void)
{
    /* f: "li a0, 1; ret" is rewritten to "li a0, 2; ret" by a store, without fence.i:
     * the store to a page holding translated code must drop that code. */
    uint64_t f = RAM_BASE + 0x5000;
    struct as fa = {f};
    emit(&fa, ADDI(A0, ZERO, 1));
    emit(&fa, JALR(ZERO, RA, 0));
    struct as a = {CODE};
    as_csrw_imm(&a, C_MTVEC, (int64_t)MHANDLER);
    li(&a, S1, (int64_t)f);
    emit(&a, JALR(RA, S1, 0));
    as_log(&a, A0);
    li(&a, T0, ADDI(A0, ZERO, 2));
    emit(&a, SW(T0, 0, S1));
    emit(&a, JALR(RA, S1, 0));
    as_log(&a, A0);
    as_exit(&a, 0);
    as_mhandler_skip();
    struct exec_stats before, after;
    exec_get_stats(&before);
    if (run_program() == 0) {
        uint64_t want[] = {1, 2};
        check_log(want, 2);
        exec_get_stats(&after);
        CHECK(after.blocks_invalidated > before.blocks_invalidated,
              "the store should have invalidated a block");
    }
    group_end("snippet_self_modifying_code");
}

#define UVA 0x40010000

static void test_snip_address_spaces(void)
{
    /* two page tables map UVA (user code) to different physical pages; the same virtual
     * pc must run the code of whichever space is current */
    uint64_t code_a = DATA + 0x10000, code_b = DATA + 0x11000;
    struct as fa = {code_a};
    emit(&fa, ADDI(A0, ZERO, 1));
    emit(&fa, ECALL);
    struct as fb = {code_b};
    emit(&fb, ADDI(A0, ZERO, 2));
    emit(&fb, ECALL);
    pt_next = PT_BASE;
    uint64_t root[2], uslot[2];
    for (unsigned k = 0; k < 2; k++) {
        root[k] = pt_alloc();
        map(root[k], 3, RAM_BASE, RAM_BASE, 2,
            PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G);
        map(root[k], 3, 0, 0, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
        uslot[k] = map(root[k], 3, UVA, k ? code_b : code_a, 0,
                       PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    }
    /* S handler for the U ecall: log a0, back to the caller in S (s0 holds its pc) */
    struct as s = {SHANDLER};
    as_log(&s, A0);
    emit(&s, CSRW(C_SEPC, S0));
    li(&s, T0, 1 << 8); /* return to S */
    emit(&s, CSRS(C_SSTATUS, T0));
    emit(&s, SRET);
    /* S code: for each of A (ASID 1), B (ASID 2), A again: switch, enter U at UVA; then
     * in A, point UVA at B's code and flush just that page */
    struct as sc = {SCODE};
    uint64_t satps[4] = {(uint64_t)SATP_SV39 << 60 | 1ull << 44 | root[0] >> 12,
                         (uint64_t)SATP_SV39 << 60 | 2ull << 44 | root[1] >> 12,
                         (uint64_t)SATP_SV39 << 60 | 1ull << 44 | root[0] >> 12, 0};
    for (unsigned k = 0; k < 4; k++) {
        if (k < 3) {
            li(&sc, T0, (int64_t)satps[k]);
            emit(&sc, CSRW(C_SATP, T0));
        } else {
            li(&sc, T0, (int64_t)uslot[0]);
            li(&sc, T1, (int64_t)pte(code_b, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A));
            emit(&sc, SD(T1, 0, T0));
            li(&sc, T2, UVA);
            emit(&sc, SFENCE_VMA(T2, ZERO));
        }
        if (k == 0)
            emit(&sc, SFENCE_VMA(ZERO, ZERO)); /* new ASIDs: no flush needed after */
        as_csrw_imm(&sc, C_SEPC, UVA);
        li(&sc, T0, 1 << 8);
        emit(&sc, CSRC(C_SSTATUS, T0));
        uint64_t back = sc.pc + 6 * 4;
        li(&sc, S0, (int64_t)back); /* 1 to 5 instructions: padded to 5 */
        while (sc.pc < back - 4)
            emit(&sc, ADDI(ZERO, ZERO, 0));
        emit(&sc, SRET);
        if (sc.pc != back)
            fail("padding");
    }
    as_exit(&sc, 0);
    struct as a = {CODE};
    as_pmp_all(&a);
    as_csrw_imm(&a, C_STVEC, (int64_t)SHANDLER);
    as_csrw_imm(&a, C_MEDELEG, 1 << RV_EXC_ECALL_U);
    as_csrw_imm(&a, C_MEPC, (int64_t)SCODE);
    li(&a, T0, 1 << 11);
    emit(&a, CSRS(C_MSTATUS, T0));
    emit(&a, MRET);
    as_mhandler_skip();
    if (run_program() == 0) {
        uint64_t want[] = {1, 2, 1, 2};
        check_log(want, 4);
    }
    group_end("snippet_address_spaces_same_pc");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_physmap();
    int r = machine_init();
    if (r) {
        printf("not ok machine_setup: %d\n", r);
        return 1;
    }
    test_walk_levels(SATP_SV39, "walk_sv39");
    test_walk_levels(SATP_SV48, "walk_sv48");
    test_walk_levels(SATP_SV57, "walk_sv57");
    test_walk_perms();
    test_pmp();
    test_tlb();
    test_tlb_split_and_code();
    test_snip_m_traps();
    test_snip_delegation();
    test_snip_interrupts();
    test_snip_paging();
    test_snip_misc();
    test_snip_smc();
    test_snip_address_spaces();
    return n_failed ? 1 : 0;
}
