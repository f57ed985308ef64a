/*
 * S-mode paging (Sv39; Sv48/Sv57 when built with VM_LEVELS=4/5): satp accepts the mode,
 * 4 KiB pages and 2 MiB megapages translate to the right physical bytes, the hardware
 * sets A on first access and D on first write, code runs from a mapped page, and
 * supervisor loads of a page that is not mapped fault with stval = the address.
 */
#include "vm.h"

#define VA_DATA 0x40000000ull /* 4 KiB, RW, A=D=0 */
#define VA_RO 0x40001000ull   /* 4 KiB, R, A=0 */
#define VA_CODE 0x40003000ull /* 4 KiB, X */
#define VA_MEGA 0x40400000ull /* 2 MiB megapage */

static uint64_t *data_pg, *ro_pg, *mega_pa;
static uint32_t *code_pg;
static volatile uint64_t r_data, r_ro, r_mega, r_code, r_mega_end, unmapped_count;
static volatile uint64_t pte_data_after_read, pte_data_after_write, pte_ro_after_read;

static void s_body(void)
{
    r_data = ld_va(VA_DATA + 8);
    pte_data_after_read = *pte_slot(VA_DATA, 0);
    sd_va(VA_DATA + 16, 0x5555aaaa5555aaaaull);
    pte_data_after_write = *pte_slot(VA_DATA, 0);
    r_ro = ld_va(VA_RO);
    pte_ro_after_read = *pte_slot(VA_RO, 0);
    r_mega = ld_va(VA_MEGA + 0x1000 * 3 + 8);
    r_mega_end = ld_va(VA_MEGA + 0x200000 - 8);
    uint64_t (*fn)(void) = (uint64_t(*)(void))VA_CODE;
    r_code = fn();
    uint64_t before = s_last.count;
    ld_va(0x40002000ull); /* not mapped */
    unmapped_count = s_last.count - before;
}

int main(void)
{
    vm_init();
    data_pg = page_alloc();
    ro_pg = page_alloc();
    code_pg = page_alloc();
    /* a 2 MiB-aligned physical block for the megapage, inside RAM */
    mega_pa = (uint64_t *)0x80600000ull;
    data_pg[1] = 0x1111222233334444ull;
    ro_pg[0] = 0x7777888899990000ull;
    mega_pa[(0x3000 + 8) / 8] = 0xabcdef0123456789ull;
    mega_pa[(0x200000 - 8) / 8] = 0x0f0e0d0c0b0a0908ull;
    code_pg[0] = 0x02a00513; /* li a0, 42 */
    code_pg[1] = 0x00008067; /* ret */
    __asm__ volatile("fence.i" ::: "memory");

    map(VA_DATA, (uint64_t)data_pg, PTE_R | PTE_W, 0);
    map(VA_RO, (uint64_t)ro_pg, PTE_R, 0);
    map(VA_CODE, (uint64_t)code_pg, PTE_X | PTE_A, 0);
    map(VA_MEGA, (uint64_t)mega_pa, PTE_R | PTE_W | PTE_A | PTE_D, 1);

    csr_write(medeleg,
              (1ull << CAUSE_LOAD_PAGE) | (1ull << CAUSE_STORE_PAGE) | (1ull << CAUSE_FETCH_PAGE));
    csr_write(stvec, (uint64_t)s_trap_entry);
    vm_enable();
    CHECK_EQ(csr_read(satp), satp_value());

    run_in_mode(1, s_body);
    csr_write(satp, 0);

    CHECK_EQ(r_data, 0x1111222233334444ull);
    CHECK_EQ(data_pg[2], 0x5555aaaa5555aaaaull);
    CHECK_EQ(pte_data_after_read & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(pte_data_after_write & (PTE_A | PTE_D), PTE_A | PTE_D);
    CHECK_EQ(r_ro, 0x7777888899990000ull);
    CHECK_EQ(pte_ro_after_read & (PTE_A | PTE_D), PTE_A);
    CHECK_EQ(r_mega, 0xabcdef0123456789ull);
    CHECK_EQ(r_mega_end, 0x0f0e0d0c0b0a0908ull);
    CHECK_EQ(r_code, 42);
    CHECK_EQ(unmapped_count, 1);
    CHECK_EQ(s_last.cause, CAUSE_LOAD_PAGE);
    CHECK_EQ(s_last.tval, 0x40002000ull);
    /* page faults were delegated: nothing reached M-mode */
    CHECK_EQ(m_last.count, 0);
    return check_fails;
}
