/*
 * Synchronous faults delivered as signals: illegal instructions (c.unimp, unimp, mret and
 * an M-mode CSR from user mode, FP with a reserved dynamic rounding mode) give SIGILL with
 * si_code ILL_ILLOPC and si_addr = the pc of the instruction; ebreak and c.ebreak give
 * SIGTRAP; fetching from a non-executable or unmapped page gives SIGSEGV at the target.
 * The handler sees the guest registers of the faulting instruction in its ucontext,
 * resumes after it by editing the saved pc, and a register it edits in the ucontext must
 * be live after sigreturn.
 */
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

extern char ill_cunimp_at[], ill_unimp_at[], ill_mret_at[], ill_csr_at[], ill_regs_at[],
    ill_frm_at[], trap_ebreak_at[], trap_cebreak_at[];
uint64_t ill_cunimp(void), ill_unimp(void), ill_mret(void), ill_csr(void), ill_regs(void),
    ill_frm(uint64_t frm), trap_ebreak(void), trap_cebreak(void);

/* each test function: a0 = 1, the faulting instruction, then return a0 (so 1 if the
 * handler resumed right after it) */
__asm__(".text\n"
        ".globl ill_cunimp, ill_cunimp_at\n"
        "ill_cunimp: li a0, 1\n"
        "ill_cunimp_at: .2byte 0\n" /* the defined-illegal all-zero 16-bit instruction */
        " ret\n"
        ".globl ill_unimp, ill_unimp_at\n"
        "ill_unimp: li a0, 1\n"
        "ill_unimp_at: .4byte 0xc0001073\n" /* csrrw x0, cycle, x0: write to a read-only CSR */
        " ret\n"
        ".globl ill_mret, ill_mret_at\n"
        "ill_mret: li a0, 1\n"
        "ill_mret_at: .4byte 0x30200073\n" /* mret */
        " ret\n"
        ".globl ill_csr, ill_csr_at\n"
        "ill_csr: li a0, 1\n"
        "ill_csr_at: csrr a1, mstatus\n"
        " ret\n"
        ".globl ill_regs, ill_regs_at\n"
        "ill_regs: li a1, 0x1234\n li a2, 0\n"
        "ill_regs_at: .4byte 0xc0001073\n"
        " mv a0, a2\n ret\n" /* returns what the handler put in a2 */
        ".globl ill_frm, ill_frm_at\n"
        "ill_frm: fsrm a0\n li a0, 1\n fmv.w.x ft0, zero\n"
        "ill_frm_at: fadd.s ft0, ft0, ft0, dyn\n"
        " fsrm zero\n ret\n"
        ".globl trap_ebreak, trap_ebreak_at\n"
        "trap_ebreak: li a0, 1\n"
        "trap_ebreak_at: .option push\n .option norvc\n ebreak\n .option pop\n"
        " ret\n"
        ".globl trap_cebreak, trap_cebreak_at\n"
        "trap_cebreak: li a0, 1\n"
        "trap_cebreak_at: .option push\n .option rvc\n c.ebreak\n .option pop\n"
        " ret\n");

static volatile int got_sig, got_code, got_count;
static volatile uint64_t got_addr, got_pc, got_a1;
static volatile int resume_at_ra; /* for fetch faults: return to the caller */

static void handler(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    uint64_t pc = uc->uc_mcontext.__gregs[REG_PC];
    got_sig = sig;
    got_code = si->si_code;
    got_addr = (uint64_t)(uintptr_t)si->si_addr;
    got_pc = pc;
    got_a1 = uc->uc_mcontext.__gregs[REG_A0 + 1];
    got_count++;
    if (resume_at_ra) {
        uc->uc_mcontext.__gregs[REG_PC] = uc->uc_mcontext.__gregs[REG_RA];
        return;
    }
    if (pc == (uint64_t)(uintptr_t)ill_regs_at)
        uc->uc_mcontext.__gregs[REG_A0 + 2] = 0x5678;
    /* skip the instruction: its length is in its low two bits */
    uint16_t low = *(volatile uint16_t *)(uintptr_t)pc;
    uc->uc_mcontext.__gregs[REG_PC] = pc + ((low & 3) == 3 ? 4 : 2);
}

static void expect(const char *what, uint64_t (*fn)(void), const char *at, int sig, int code)
{
    char name[96];
    got_sig = got_code = 0;
    got_addr = got_pc = 0;
    got_count = 0;
    uint64_t r = fn();
    snprintf(name, sizeof name, "%s: signal", what);
    check_u64(name, (uint64_t)got_sig, (uint64_t)sig);
    snprintf(name, sizeof name, "%s: delivered once", what);
    check_u64(name, (uint64_t)got_count, 1);
    snprintf(name, sizeof name, "%s: si_code", what);
    check_u64(name, (uint64_t)got_code, (uint64_t)code);
    snprintf(name, sizeof name, "%s: si_addr", what);
    check_u64(name, got_addr, (uint64_t)(uintptr_t)at);
    snprintf(name, sizeof name, "%s: ucontext pc", what);
    check_u64(name, got_pc, (uint64_t)(uintptr_t)at);
    snprintf(name, sizeof name, "%s: resumed after it", what);
    check_u64(name, r, 1);
}

static uint64_t call_frm5(void) { return ill_frm(5); }
static uint64_t call_frm7(void) { return ill_frm(7); }

static void test_fetch_faults(void)
{
    /* a page with a valid "ret" in it, but no PROT_EXEC */
    uint32_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        check_true("mmap", 0, "failed");
        return;
    }
    page[0] = 0x00008067u;
    uint64_t (*volatile fn)(void) = (uint64_t(*)(void))page;
    resume_at_ra = 1;
    got_sig = 0;
    got_count = 0;
    fn();
    check_u64("fetch from non-exec page: signal", (uint64_t)got_sig, SIGSEGV);
    check_u64("fetch from non-exec page: si_addr", got_addr, (uint64_t)(uintptr_t)page);
    check_u64("fetch from non-exec page: pc", got_pc, (uint64_t)(uintptr_t)page);
    check_u64("fetch from non-exec page: once", (uint64_t)got_count, 1);

    /* an unmapped page */
    munmap(page, 4096);
    got_sig = 0;
    got_count = 0;
    fn();
    check_u64("fetch from unmapped page: signal", (uint64_t)got_sig, SIGSEGV);
    check_u64("fetch from unmapped page: si_code", (uint64_t)got_code, SEGV_MAPERR);
    check_u64("fetch from unmapped page: si_addr", got_addr, (uint64_t)(uintptr_t)page);
    resume_at_ra = 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    expect("c.unimp", ill_cunimp, ill_cunimp_at, SIGILL, ILL_ILLOPC);
    expect("unimp (write to cycle)", ill_unimp, ill_unimp_at, SIGILL, ILL_ILLOPC);
    expect("mret in user mode", ill_mret, ill_mret_at, SIGILL, ILL_ILLOPC);
    expect("csrr mstatus in user mode", ill_csr, ill_csr_at, SIGILL, ILL_ILLOPC);
    expect("fadd dyn with frm=5", call_frm5, ill_frm_at, SIGILL, ILL_ILLOPC);
    expect("fadd dyn with frm=7", call_frm7, ill_frm_at, SIGILL, ILL_ILLOPC);
    expect("ebreak", trap_ebreak, trap_ebreak_at, SIGTRAP, TRAP_BRKPT);
    expect("c.ebreak", trap_cebreak, trap_cebreak_at, SIGTRAP, TRAP_BRKPT);

    got_a1 = 0;
    uint64_t a2 = ill_regs();
    check_u64("handler sees a1 of the faulting context", got_a1, 0x1234);
    check_u64("a2 edited in ucontext is live after sigreturn", a2, 0x5678);

    /* the same illegal instruction many times: each one is a fresh, precise signal */
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        got_count = 0;
        bad += ill_unimp() != 1 || got_count != 1;
    }
    check_true("200 repeated SIGILLs", bad == 0, "%d wrong", bad);

    test_fetch_faults();
    return check_done("sigill");
}
