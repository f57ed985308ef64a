/*
 * Page-table building for the S-mode tests: Sv39 by default, Sv48/Sv57 with -DVM_LEVELS=4
 * or 5. Tables come from the free memory after the image (identity-mapped, so S-mode can
 * edit PTEs through their physical address). vm_init() maps RAM at 0x80000000 with one
 * identity gigapage (RWX, A and D set) so code, data, stacks and HTIF keep working once
 * satp is on.
 */
#ifndef BAREMETAL_VM_H
#define BAREMETAL_VM_H

#include "common.h"

#ifndef VM_LEVELS
#define VM_LEVELS 3
#endif
#define SATP_MODE (VM_LEVELS == 3 ? 8ull : VM_LEVELS == 4 ? 9ull : 10ull)

#define PTE_V 0x1ull
#define PTE_R 0x2ull
#define PTE_W 0x4ull
#define PTE_X 0x8ull
#define PTE_U 0x10ull
#define PTE_G 0x20ull
#define PTE_A 0x40ull
#define PTE_D 0x80ull

static char *vm_next = __free_mem;
static uint64_t *vm_root;

static void *page_alloc(void)
{
    uint64_t *p = (uint64_t *)vm_next;
    vm_next += 4096;
    for (int i = 0; i < 512; i++)
        p[i] = 0;
    return p;
}

static unsigned vpn(uint64_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * level)) & 511;
}

/* The PTE slot for va at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), creating tables above. */
static uint64_t *pte_slot(uint64_t va, int level)
{
    uint64_t *t = vm_root;
    for (int l = VM_LEVELS - 1; l > level; l--) {
        uint64_t *e = &t[vpn(va, l)];
        if (!(*e & PTE_V)) *e = ((uint64_t)page_alloc() >> 12) << 10 | PTE_V;
        t = (uint64_t *)((*e >> 10) << 12);
    }
    return &t[vpn(va, level)];
}

static void map(uint64_t va, uint64_t pa, uint64_t flags, int level)
{
    *pte_slot(va, level) = (pa >> 12) << 10 | flags | PTE_V;
}

static uint64_t satp_value(void)
{
    return SATP_MODE << 60 | (uint64_t)vm_root >> 12;
}

static void vm_init(void)
{
    vm_root = page_alloc();
    map(0x80000000ull, 0x80000000ull, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G, 2);
}

/* S-mode runs with translation on: satp set from M-mode (M ignores it), then S. */
static void vm_enable(void)
{
    csr_write(satp, satp_value());
    __asm__ volatile("sfence.vma" ::: "memory");
}

static inline void sfence_va(uint64_t va)
{
    __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}
static inline void sfence_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}

static inline uint64_t ld_va(uint64_t va)
{
    uint64_t v = 0xdead;
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
    return v;
}

static inline void sd_va(uint64_t va, uint64_t v)
{
    __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(va) : "memory");
}

#endif
