/*
 * SFENCE.VMA after a PTE change: a page is read through its mapping, the PTE is pointed
 * at another physical page (or made invalid), and after sfence.vma (by address, then
 * global) the new translation is the one used. Also a store through a mapping after an
 * upgrade from read-only to read-write, and a satp switch between two page tables.
 */
#include "vm.h"

#define VA 0x40005000ull

static uint64_t *pg_a, *pg_b, *pg_c;
static uint64_t *root_1, *root_2;
static volatile uint64_t v1, v2, v3, v4, v5, fault_count, v6, v7;

static void s_body(void)
{
    v1 = ld_va(VA);
    *pte_slot(VA, 0) = ((uint64_t)pg_b >> 12) << 10 | PTE_V | PTE_R | PTE_A;
    sfence_va(VA);
    v2 = ld_va(VA);
    *pte_slot(VA, 0) = ((uint64_t)pg_c >> 12) << 10 | PTE_V | PTE_R | PTE_A;
    sfence_all();
    v3 = ld_va(VA);
    /* read-only -> fault on store; upgrade to RW + sfence -> the store lands */
    uint64_t b = s_last.count;
    sd_va(VA + 8, 0x77);
    fault_count = s_last.count - b;
    *pte_slot(VA, 0) = ((uint64_t)pg_c >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    sfence_va(VA);
    sd_va(VA + 8, 0x99);
    v4 = pg_c[1];
    /* invalidate: the next access faults */
    *pte_slot(VA, 0) = 0;
    sfence_va(VA);
    b = s_last.count;
    v5 = ld_va(VA);
    fault_count += (s_last.count - b) << 8;
    /* switch address spaces: root_2 maps VA to pg_a */
    csr_write(satp, SATP_MODE << 60 | (uint64_t)root_2 >> 12);
    sfence_all();
    v6 = ld_va(VA);
    csr_write(satp, SATP_MODE << 60 | (uint64_t)root_1 >> 12);
    sfence_all();
    b = s_last.count;
    v7 = ld_va(VA); /* invalid again in root_1 */
    fault_count += (s_last.count - b) << 16;
}

int main(void)
{
    vm_init();
    root_1 = vm_root;
    pg_a = page_alloc();
    pg_b = page_alloc();
    pg_c = page_alloc();
    pg_a[0] = 0xaaaa;
    pg_b[0] = 0xbbbb;
    pg_c[0] = 0xcccc;
    map(VA, (uint64_t)pg_a, PTE_R | PTE_A, 0);
    /* a second address space mapping the same VA to pg_a */
    vm_init();
    root_2 = vm_root;
    map(VA, (uint64_t)pg_a, PTE_R | PTE_A, 0);
    vm_root = root_1;

    csr_write(medeleg, (1ull << CAUSE_LOAD_PAGE) | (1ull << CAUSE_STORE_PAGE));
    csr_write(stvec, (uint64_t)s_trap_entry);
    vm_enable();
    run_in_mode(1, s_body);
    csr_write(satp, 0);

    CHECK_EQ(v1, 0xaaaa);
    CHECK_EQ(v2, 0xbbbb);
    CHECK_EQ(v3, 0xcccc);
    CHECK_EQ(v4, 0x99);
    CHECK_EQ(fault_count & 0xff, 1);
    CHECK_EQ((fault_count >> 8) & 0xff, 1);
    CHECK_EQ(v5, 0xdead); /* the faulting load did not write its register */
    CHECK_EQ(v6, 0xaaaa);
    CHECK_EQ((fault_count >> 16) & 0xff, 1);
    CHECK_EQ(v7, 0xdead);
    CHECK_EQ(pg_c[1], 0x99);
    CHECK_EQ(m_last.count, 0);
    return check_fails;
}
