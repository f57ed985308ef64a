/*
 * --engine check: every block runs twice from the same state, first under the
 * interpreter on a copy of the guest CPU whose memory accesses go to private shadow
 * pages, then compiled, for real. Any difference in the exit, the guest registers, an
 * exception, or the bytes of a page the interpreter touched stops the process with a
 * report (block pc, the IR, what differs). Side effects happen once: the interpreter
 * never writes guest memory.
 *
 * How the interpreter gets shadow memory without knowing about it: the copy has a SoftMMU
 * TLB of its own (mem/tlb.h) over a physical map of N shadow pages, so the block is
 * predecoded with the interpreter's system-mode (TLB) handlers. The TLB's fill hook gives
 * each guest page touched a shadow page, copied from guest memory the first time (with
 * process_vm_readv, so an unreadable page is a guest fault, not a host crash).
 *
 * Invariants:
 * - One block is checked at a time, process-wide (check_lock), so no other vCPU changes
 *   memory between the two runs.
 * - Only user mode is checked; in system mode, blocks calling helpers marked
 *   IR_HELPER_VOLATILE (clocks), and blocks touching more than CHECK_PAGES pages, the
 *   compiled code just runs.
 * - The interpreter cannot know which pages the guest may write (the memory layer owns
 *   protections), so a compiled run that faults where the interpreter did not is checked
 *   again with that page made faulting for the interpreter, from the pristine copies.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "exec/jit/jit.h"
#include "mem/physmap.h"
#include "mem/tlb.h"

#define CHECK_PAGES 64
#define CHECK_PAGE 4096u
#define CHECK_VADDRS 128

struct shadow {
    uint64_t page;         /* guest page address (masked) */
    bool faulty;           /* the interpreter faults here (unreadable, or learnt from the JIT) */
    bool have_orig;
    uint8_t orig[CHECK_PAGE];
};

static struct {
    pthread_mutex_t lock;
    bool ready, broken;
    struct cpu_common *copy;     /* the interpreter's CPU (arch->cpu_size bytes) */
    struct exec_ctx *ctx;        /* its context (frame, IR) */
    struct physmap pm;
    uint8_t *ram;                /* CHECK_PAGES shadow pages */
    struct shadow sh[CHECK_PAGES];
    unsigned n_sh;
    uint64_t vaddr[CHECK_VADDRS]; /* pages the TLB was filled for (flushed after) */
    unsigned n_vaddr;
    uint32_t fault_cause;        /* for injected faults */
    uintptr_t mem_base;          /* the real guest memory */
    uint64_t mem_mask;
    bool overflow;               /* more pages than CHECK_PAGES */
    struct shadow *reading;      /* the page being copied (a host fault there: unreadable) */
    uint8_t *snap, *after_i;     /* guest state before, and after the interpreter */
    uint64_t checked, skipped;
} ck = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct shadow *shadow_find(uint64_t page)
{
    for (unsigned k = 0; k < ck.n_sh; k++)
        if (ck.sh[k].page == page) return &ck.sh[k];
    return NULL;
}

/* Guest memory is read directly: a page that cannot be read faults into the user-mode
 * fault handler, which leaves through the real vCPU's jmp_env, which jit_check_block
 * points at its own landing meanwhile (ck.reading says which page it was). */
static int check_fill(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu,
                      struct tlb_fill *out)
{
    uint64_t page = (vaddr & ck.mem_mask) & ~(uint64_t)(CHECK_PAGE - 1);
    struct shadow *s = shadow_find(page);
    if (!s) {
        if (ck.n_sh == CHECK_PAGES) {
            ck.overflow = true;
            out->cause = CPU_EXCP_SEGV_MAPERR;
            return -EFAULT;
        }
        s = &ck.sh[ck.n_sh++];
        s->page = page;
        s->faulty = false;
        s->have_orig = false;
    }
    if (s->faulty) {
        out->cause = ck.fault_cause;
        return -EFAULT;
    }
    uint8_t *dst = ck.ram + (size_t)(s - ck.sh) * CHECK_PAGE;
    if (!s->have_orig) {
        ck.reading = s;
        memcpy(s->orig, (const void *)(ck.mem_base + page), CHECK_PAGE);
        ck.reading = NULL;
        s->have_orig = true;
        memcpy(dst, s->orig, CHECK_PAGE);
    }
    if (ck.n_vaddr < CHECK_VADDRS) ck.vaddr[ck.n_vaddr++] = vaddr;
    else ck.overflow = true;
    out->paddr = (uint64_t)(s - ck.sh) * CHECK_PAGE + (vaddr & (CHECK_PAGE - 1));
    out->prot = TLB_PROT_R | TLB_PROT_W | TLB_PROT_X;
    out->page_bits = 12;
    out->asid = 0;
    out->global = true;
    out->no_cache = false;
    return 0;
}

static const struct tlb_ops check_ops = {
    .fill = check_fill,
    .cause_misaligned = {CPU_EXCP_BUS_ADRALN, CPU_EXCP_BUS_ADRALN, CPU_EXCP_BUS_ADRALN},
    .cause_access = {CPU_EXCP_SEGV_ACCERR, CPU_EXCP_SEGV_ACCERR, CPU_EXCP_SEGV_ACCERR},
};

static bool check_setup(struct cpu_common *cpu)
{
    if (ck.ready || ck.broken) return ck.ready;
    ck.broken = true;
    size_t sz = cpu->arch->cpu_size;
    ck.copy = calloc(1, sz);
    ck.snap = malloc(sz);
    ck.after_i = malloc(sz);
    ck.ram = calloc(CHECK_PAGES, CHECK_PAGE);
    if (!ck.copy || !ck.ram || !ck.snap || !ck.after_i) return false;
    memcpy(ck.copy, cpu, sz);
    ck.copy->exec = NULL;
    ck.copy->tlb = NULL;
    if (physmap_add_ram(&ck.pm, "check-shadow", 0, (uint64_t)CHECK_PAGES * CHECK_PAGE, ck.ram))
        return false;
    /* the TLB installs its code-page hook; user mode keeps its own */
    void (*hook)(uint64_t) = exec_code_page_hook;
    struct tlb *t = tlb_new(ck.copy, &ck.pm, &check_ops);
    exec_code_page_hook = hook;
    if (!t) return false;
    if (exec_ctx_new(ck.copy)) return false;
    ck.ctx = ck.copy->exec;
    ck.ready = true;
    ck.broken = false;
    return true;
}

struct run {
    int code;       /* result, or 1000 + cause */
    int exit;       /* exit index, or -1 */
    uint64_t tval;
};

/* The interpreter on the copy, from ck.snap, memory from the shadows (pristine copies). */
static struct run interp_run(size_t sz, struct tb *itb)
{
    struct cpu_common *c = ck.copy;
    struct tlb *t = c->tlb;
    struct exec_ctx *ctx = c->exec;
    for (unsigned k = 0; k < ck.n_vaddr; k++)
        tlb_flush_page(t, ck.vaddr[k], 1);
    ck.n_vaddr = 0;
    memcpy(c, ck.snap, sz);
    c->tlb = t;
    c->exec = ctx;
    c->exit_request = 0;
    for (unsigned k = 0; k < ck.n_sh; k++)
        if (ck.sh[k].have_orig) memcpy(ck.ram + (size_t)k * CHECK_PAGE, ck.sh[k].orig, CHECK_PAGE);
    sigjmp_buf env;
    c->jmp_env = &env;
    struct run r = {.exit = -1};
    struct tb_exit *e = NULL;
    if (sigsetjmp(env, 0)) {
        r.code = 1000 + (int)c->excp;
        r.tval = c->excp_tval;
    } else {
        r.code = interp_exec(c, ctx, itb, false, &e);
        if (e) r.exit = (int)(e - itb->exits);
    }
    c->jmp_env = NULL;
    return r;
}

static bool is_segv(int code)
{
    return code == 1000 + (int)CPU_EXCP_SEGV_MAPERR || code == 1000 + (int)CPU_EXCP_SEGV_ACCERR;
}

static _Noreturn void report(struct cpu_common *cpu, struct tb *tb, const char *what)
{
    FILE *f = stderr;
    fprintf(f, "omnivm: check: interpreter and JIT differ in the block at 0x%llx: %s\n",
            (unsigned long long)tb->pc, what);
    fprintf(f, "IR of the block:\n");
    if (tb_rebuild_ir(ck.ctx, tb, &ck.ctx->ir) == 0) ir_print(f, &ck.ctx->ir);
    if (cpu->arch->dump_regs) {
        fprintf(f, "JIT state after the block:\n");
        cpu->arch->dump_regs(f, cpu);
        fprintf(f, "interpreter state after the block:\n");
        cpu->arch->dump_regs(f, ck.copy);
    }
    fflush(f);
    exec_report();
    _exit(125);
}

/* The interpreter's run; a page it cannot read becomes a fault for it, and it runs again. */
static struct run interp_run_safe(struct cpu_common *cpu, size_t sz, struct tb *itb)
{
    sigjmp_buf probe, *saved = cpu->jmp_env;
    volatile unsigned tries = 0;
    struct run r;
    cpu->jmp_env = &probe;
    if (sigsetjmp(probe, 0)) { /* a host fault while copying ck.reading */
        jit_fp_harvest(cpu);
        if (ck.reading) {
            ck.reading->faulty = true;
            ck.reading->have_orig = false;
            ck.reading = NULL;
        }
        ck.fault_cause = CPU_EXCP_SEGV_MAPERR;
        cpu->excp = 0;
        if (++tries > CHECK_PAGES) {
            ck.overflow = true;
            r = (struct run){.code = -100, .exit = -1};
            cpu->jmp_env = saved;
            return r;
        }
    }
    r = interp_run(sz, itb);
    cpu->jmp_env = saved;
    return r;
}

int jit_check_block(struct cpu_common *cpu, struct exec_ctx *ctx, struct tb *tb)
{
    void *code = atomic_load_explicit(&tb->jit, memory_order_acquire);
    if (cpu->tlb) { /* system mode: not checked */
        struct jit_ret jr = jit_run(cpu, code);
        return (int)jr.code;
    }
    pthread_mutex_lock(&ck.lock);
    size_t sz = cpu->arch->cpu_size;
    bool ok = check_setup(cpu);
    struct tb *itb = ok ? tb->check_tb : NULL;
    if (ok && !itb) {
        /* the same IR, predecoded for the TLB (shadow memory) handlers */
        int err = tb_rebuild_ir(ck.ctx, tb, &ck.ctx->ir);
        if (!err) itb = interp_predecode(ck.ctx, &ck.ctx->ir, &err);
        bool vol = false;
        for (uint32_t k = 0; itb && k < ck.ctx->ir.n_insn; k++) {
            const struct ir_insn *i = &ck.ctx->ir.insn[k];
            if (i->op >= IR_CALL0 && i->op <= IR_CALL3 &&
                (((const struct ir_helper *)(uintptr_t)i->imm)->flags & IR_HELPER_VOLATILE))
                vol = true;
        }
        if (itb && vol) { /* a clock: the two runs legitimately differ */
            free(itb);
            itb = NULL;
        }
        if (itb) tb->check_tb = itb; /* under check_lock */
    }
    if (!itb) {
        ck.skipped++;
        pthread_mutex_unlock(&ck.lock);
        struct jit_ret jr = jit_run(cpu, code);
        return (int)jr.code;
    }

    memcpy(ck.snap, cpu, sz);
    ck.mem_base = cpu->mem_base;
    ck.mem_mask = cpu->mem_mask;
    ck.n_sh = 0;
    ck.overflow = false;
    struct run ri = interp_run_safe(cpu, sz, itb);
    memcpy(ck.after_i, ck.copy, sz);

    /* the compiled run, for real; a fault comes back here first */
    sigjmp_buf env, *saved = cpu->jmp_env;
    struct run rj = {.exit = -1};
    volatile bool faulted = false;
    cpu->jmp_env = &env;
    if (sigsetjmp(env, 0)) {
        jit_fp_harvest(cpu);
        faulted = true;
        rj.code = 1000 + (int)cpu->excp;
        rj.tval = cpu->excp_tval;
    } else {
        struct jit_ret jr = jit_run(cpu, code);
        rj.code = (int)jr.code;
        rj.exit = jr.exit ? (int)(jr.exit - tb->exits) : -1;
    }
    cpu->jmp_env = saved;
    uint32_t jexcp = cpu->excp;
    uint64_t jtval = cpu->excp_tval;

    if (ck.overflow || rj.code == INTERP_REQUEST || rj.code == JIT_INTERP) { /* nothing ran */
        ck.skipped++;
        goto done;
    }
    /* a fault the interpreter could not know about (page protections): again, with it */
    if (rj.code >= 1000 && ri.code != rj.code && !(is_segv(ri.code) && is_segv(rj.code))) {
        uint64_t page = (rj.tval & ck.mem_mask) & ~(uint64_t)(CHECK_PAGE - 1);
        struct shadow *s = shadow_find(page);
        if (!s && ck.n_sh < CHECK_PAGES) {
            s = &ck.sh[ck.n_sh++];
            s->page = page;
            s->have_orig = false;
        }
        if (s) {
            s->faulty = true;
            ck.fault_cause = (uint32_t)(rj.code - 1000);
            ri = interp_run_safe(cpu, sz, itb);
            memcpy(ck.after_i, ck.copy, sz);
            if (ck.overflow) {
                ck.skipped++;
                goto done;
            }
        }
    }

    char what[512];
    what[0] = 0;
    bool same_code = ri.code == rj.code || (is_segv(ri.code) && is_segv(rj.code));
    if (!same_code || ri.exit != rj.exit || (rj.code >= 1000 && ri.tval != rj.tval)) {
        snprintf(what, sizeof(what),
                 "interpreter ended with %d (exit %d, tval 0x%llx), JIT with %d (exit %d, tval 0x%llx)",
                 ri.code, ri.exit, (unsigned long long)ri.tval, rj.code, rj.exit,
                 (unsigned long long)rj.tval);
    } else {
        /* guest state: cpu_common's guest-visible fields, then the guest's own */
        const struct cpu_common *a = (const struct cpu_common *)(void *)ck.after_i;
        /* (icount is not compared: the JIT counts a block at its entry) */
        if (a->pc != cpu->pc || a->fp_flags != cpu->fp_flags || a->fp_rm != cpu->fp_rm ||
            a->tb_flags != cpu->tb_flags)
            snprintf(what, sizeof(what), "pc 0x%llx/0x%llx fp_flags 0x%x/0x%x (interpreter/JIT)",
                     (unsigned long long)a->pc, (unsigned long long)cpu->pc, a->fp_flags,
                     cpu->fp_flags);
        size_t base = sizeof(struct cpu_common);
        if (!what[0] && memcmp(ck.after_i + base, (uint8_t *)cpu + base, sz - base))
            for (size_t o = base; !what[0] && o + 8 <= sz; o += 8) {
                uint64_t x, y;
                memcpy(&x, ck.after_i + o, 8);
                memcpy(&y, (uint8_t *)cpu + o, 8);
                if (x != y)
                    snprintf(what, sizeof(what),
                             "guest state at offset 0x%zx: interpreter 0x%llx, JIT 0x%llx", o,
                             (unsigned long long)x, (unsigned long long)y);
            }
        /* memory: every shadow page against guest memory now (readable a moment ago: a
         * racing unmap by another thread lands in `probe`, and the page is skipped) */
        sigjmp_buf probe;
        volatile unsigned k = 0;
        cpu->jmp_env = &probe;
        if (sigsetjmp(probe, 0)) {
            jit_fp_harvest(cpu);
            k++;
        }
        for (; !what[0] && k < ck.n_sh; k++) {
            if (!ck.sh[k].have_orig || ck.sh[k].faulty) continue;
            const uint8_t *sp = ck.ram + (size_t)k * CHECK_PAGE;
            const uint8_t *rp = (const uint8_t *)(ck.mem_base + ck.sh[k].page);
            if (!memcmp(sp, rp, CHECK_PAGE)) continue;
            for (unsigned b = 0; b < CHECK_PAGE; b++)
                if (sp[b] != rp[b]) {
                    snprintf(what, sizeof(what),
                             "memory at 0x%llx: interpreter wrote 0x%02x, JIT left 0x%02x",
                             (unsigned long long)(ck.sh[k].page + b), sp[b], rp[b]);
                    break;
                }
        }
        cpu->jmp_env = saved;
    }
    if (what[0]) report(cpu, tb, what);
    ck.checked++;
done:
    pthread_mutex_unlock(&ck.lock);
    if (faulted) cpu_exit_exception(cpu, jexcp, jtval);
    return rj.code;
}

/* fork: the check lock must not be held by a thread that the child will not have */
void jit_check_fork_prepare(void) { pthread_mutex_lock(&ck.lock); }
void jit_check_fork_done(void) { pthread_mutex_unlock(&ck.lock); }
