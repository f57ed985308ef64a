/*
 * Sv39 page faults taken in S-mode (delegated through medeleg) with scause and stval
 * exact: load/store/fetch faults on unmapped and wrongly-permitted pages, stores to a
 * read-only page, U pages from S without and with sstatus.SUM, execute-only pages with
 * and without sstatus.MXR, a misaligned megapage, W-without-R, and a U-mode access to an
 * S page (taken in M-mode).
 */
#include "vm.h"

#define VA_RO 0x40001000ull      /* R */
#define VA_NONE 0x40002000ull    /* not valid */
#define VA_DATA 0x40003000ull    /* R W, not X */
#define VA_USER 0x40004000ull    /* U R W */
#define VA_XO 0x40005000ull      /* X only */
#define VA_WONLY 0x40006000ull   /* W without R: reserved encoding */
#define VA_BADMEGA 0x40200000ull /* 2 MiB leaf with a misaligned PPN */

struct expect {
    uint64_t count, cause, tval;
};
static volatile struct expect res[16];
static volatile uint64_t ok_user_sum, ok_xo_mxr;
static uint64_t *ro_pg, *data_pg, *user_pg, *xo_pg;

/* A fetch fault leaves no instruction to skip: resume at the caller (ra). */
static int fetch_hook(struct frame *f, uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (cause != CAUSE_FETCH_PAGE) return 0;
    f->x[0] = f->x[1];
    return 1;
}

static void record(int i, uint64_t before)
{
    res[i].count = s_last.count - before;
    res[i].cause = s_last.cause;
    res[i].tval = s_last.tval;
}

static void s_body(void)
{
    uint64_t b;
    b = s_last.count;
    ld_va(VA_NONE + 0x10);
    record(0, b);
    b = s_last.count;
    sd_va(VA_NONE + 0x18, 1);
    record(1, b);
    b = s_last.count;
    sd_va(VA_RO + 0x20, 1);
    record(2, b);
    b = s_last.count;
    ld_va(VA_USER);
    record(3, b); /* U page, SUM = 0 */
    csr_set(sstatus, MSTATUS_SUM);
    ok_user_sum = ld_va(VA_USER); /* allowed now */
    csr_clear(sstatus, MSTATUS_SUM);
    b = s_last.count;
    ld_va(VA_XO + 8);
    record(4, b); /* X-only, MXR = 0 */
    csr_set(sstatus, MSTATUS_MXR);
    ok_xo_mxr = ld_va(VA_XO + 8);
    csr_clear(sstatus, MSTATUS_MXR);
    b = s_last.count;
    ld_va(VA_BADMEGA + 0x40);
    record(5, b);
    b = s_last.count;
    ld_va(VA_WONLY);
    record(6, b);
    s_hook = fetch_hook;
    b = s_last.count;
    ((void (*)(void))VA_DATA)();
    record(7, b); /* not executable */
    b = s_last.count;
    ((void (*)(void))VA_NONE)();
    record(8, b);
    s_hook = 0;
}

static void u_body(void)
{
    /* U-mode touching a supervisor page: faults to S */
    ld_va(VA_RO);
}

int main(void)
{
    vm_init();
    ro_pg = page_alloc();
    data_pg = page_alloc();
    user_pg = page_alloc();
    xo_pg = page_alloc();
    user_pg[0] = 0x0123012301230123ull;
    xo_pg[1] = 0x4567456745674567ull;
    data_pg[0] = 0x00008067; /* ret, never executed: the page is not X */
    map(VA_RO, (uint64_t)ro_pg, PTE_R | PTE_A | PTE_D, 0);
    map(VA_DATA, (uint64_t)data_pg, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    map(VA_USER, (uint64_t)user_pg, PTE_U | PTE_R | PTE_W | PTE_A | PTE_D, 0);
    map(VA_XO, (uint64_t)xo_pg, PTE_X | PTE_A, 0);
    map(VA_WONLY, (uint64_t)data_pg, PTE_W | PTE_A | PTE_D, 0);
    map(VA_BADMEGA, 0x80601000ull, PTE_R | PTE_W | PTE_A | PTE_D, 1);

    csr_write(medeleg,
              (1ull << CAUSE_LOAD_PAGE) | (1ull << CAUSE_STORE_PAGE) | (1ull << CAUSE_FETCH_PAGE));
    csr_write(stvec, (uint64_t)s_trap_entry);
    vm_enable();
    run_in_mode(1, s_body);

    static const struct {
        uint64_t cause, tval;
    } want[9] = {
        {CAUSE_LOAD_PAGE, VA_NONE + 0x10}, {CAUSE_STORE_PAGE, VA_NONE + 0x18},
        {CAUSE_STORE_PAGE, VA_RO + 0x20},  {CAUSE_LOAD_PAGE, VA_USER},
        {CAUSE_LOAD_PAGE, VA_XO + 8},      {CAUSE_LOAD_PAGE, VA_BADMEGA + 0x40},
        {CAUSE_LOAD_PAGE, VA_WONLY},       {CAUSE_FETCH_PAGE, VA_DATA},
        {CAUSE_FETCH_PAGE, VA_NONE},
    };
    for (int i = 0; i < 9; i++) {
        if (res[i].count != 1 || res[i].cause != want[i].cause || res[i].tval != want[i].tval) {
            print("case ");
            print_dec((uint64_t)i);
            print(": count=");
            print_dec(res[i].count);
            print(" cause=");
            print_hex(res[i].cause);
            print(" tval=");
            print_hex(res[i].tval);
            print("\n");
            check_fail(__LINE__, "page fault case (see above)", res[i].cause, want[i].cause);
        }
    }
    CHECK_EQ(ok_user_sum, 0x0123012301230123ull);
    CHECK_EQ(ok_xo_mxr, 0x4567456745674567ull);

    CHECK_EQ(m_last.count, 0);

    /* U-mode load from a supervisor page. U code must run from U pages, which S-mode
     * may not execute, so this fault is left to M-mode (no delegation). */
    vm_root = page_alloc();
    map(0x80000000ull, 0x80000000ull, PTE_U | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
    map(VA_RO, (uint64_t)ro_pg, PTE_R | PTE_A | PTE_D, 0);
    csr_write(medeleg, 0);
    vm_enable();
    m_last.count = 0;
    run_in_mode(0, u_body);
    CHECK_EQ(m_last.count, 1);
    CHECK_EQ(m_last.cause, CAUSE_LOAD_PAGE);
    CHECK_EQ(m_last.tval, VA_RO);
    CHECK_EQ((m_last.status & MSTATUS_MPP) >> 11, 0);
    csr_write(satp, 0);
    return check_fails;
}
