/*
 * A RISC-V hart in system mode (guest/riscv/rv_sys.h): creation and reset, the run loop
 * that turns engine exits into traps and interrupts, WFI sleeping, the Sstc timer, and
 * the wake-ups devices cause through rv_hart_set_irq().
 *
 * Invariants:
 * - rv_hart_run() is the only place guest code runs for a hart, on the calling thread;
 *   interrupts are taken only between blocks (before exec_run), never inside one.
 * - A device raising a line sets the mip bit, then RV_REQ_IRQ, then signals under the
 *   hart's mutex; a hart going to sleep in WFI checks mip under that mutex, so no wake-up
 *   is lost. WFI also wakes at the Sstc deadline (timed wait) and on stop.
 * - While the hart runs, the Sstc deadline reaches it through an event-loop timer that
 *   sets RV_REQ_IRQ; the timer callback touches only atomics and the condition.
 * - Nothing the guest does ends the host process: unknown exits become illegal
 *   instructions, host-only exceptions become access faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/vclock.h"
#include "exec/exec.h"
#include "guest/riscv/rv_sys_int.h"

/* misa: RV64 with A, C, D, F, I, M, S, U */
#define RV_MISA ((2ull << 62) | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 8) | \
                 (1u << 12) | (1u << 18) | (1u << 20))
#define SATP_ALL_MODES ((1u << SATP_SV39) | (1u << SATP_SV48) | (1u << SATP_SV57))

static void kick_and_wake(struct rv_hart *h, uint32_t req)
{
    __atomic_or_fetch(&h->cpu.c.exit_request, req, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&h->lock);
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

/* ---- the Sstc timer ---- */

static void timer_cb(void *opaque)
{
    struct rv_hart *h = opaque;
    /* spent: the same stimecmp written again (after mtime moved back) must re-arm */
    atomic_store(&h->timer_armed, UINT64_MAX);
    kick_and_wake(h, RV_REQ_IRQ);
}

void rv_timer_update(struct rv_hart *h)
{
    bool on = (h->menvcfg & ENVCFG_STCE) && h->stimecmp != UINT64_MAX;
    if (!on || vclock_ticks() >= h->stimecmp) {
        if (atomic_exchange(&h->timer_armed, UINT64_MAX) != UINT64_MAX)
            evloop_timer_del(h->timer);
        if (on)
            rv_irq_kick(h); /* already due */
        return;
    }
    if (h->timer && atomic_load(&h->timer_armed) != h->stimecmp) {
        atomic_store(&h->timer_armed, h->stimecmp);
        evloop_timer_mod(h->timer, vclock_ticks_to_host_ns(h->stimecmp));
    }
}

/* ---- life cycle ---- */

struct rv_cpu *rv_hart_new(const struct rv_hart_config *cfg)
{
    if (!cfg || !cfg->pm)
        return NULL;
    struct rv_hart *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    struct cpu_common *c = &h->cpu.c;
    h->hartid = cfg->hartid;
    h->pm = cfg->pm;
    h->satp_modes = cfg->satp_modes ? cfg->satp_modes & SATP_ALL_MODES : SATP_ALL_MODES;
    rv_disas_system = true;
    h->timer_armed = UINT64_MAX;
    c->arch = &rv64_arch;
    c->fetch = tlb_fetch;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, &ca);
    pthread_condattr_destroy(&ca);
    h->tlb = tlb_new(c, cfg->pm, &rv_tlb_ops);
    h->timer = evloop_timer_new(timer_cb, h); /* NULL: WFI still wakes by timed wait */
    if (!h->tlb || exec_ctx_new(c) < 0) {
        tlb_free(h->tlb);
        evloop_timer_free(h->timer);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->wake);
        free(h);
        return NULL;
    }
    rv_hart_reset(&h->cpu, 0, 0);
    return &h->cpu;
}

void rv_hart_free(struct rv_cpu *cpu)
{
    if (!cpu)
        return;
    struct rv_hart *h = (struct rv_hart *)cpu;
    evloop_timer_free(h->timer);
    exec_ctx_free(&cpu->c);
    tlb_free(h->tlb);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->wake);
    free(h);
}

void rv_hart_reset(struct rv_cpu *cpu, uint64_t pc, uint64_t a1)
{
    struct rv_hart *h = (struct rv_hart *)cpu;
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(cpu->f, 0, sizeof(cpu->f));
    cpu->res_addr = RV_NO_RESERVATION;
    cpu->c.fp_flags = 0;
    cpu->c.fp_rm = 0;
    h->priv = RV_PRIV_M;
    h->mstatus = (2ull << 32) | (2ull << 34); /* UXL = SXL = 64 bits */
    h->misa = RV_MISA;
    h->medeleg = h->mideleg = h->mie = h->mtvec = h->mscratch = h->mepc = h->mcause = 0;
    h->mtval = h->stvec = h->sscratch = h->sepc = h->scause = h->stval = h->satp = 0;
    h->menvcfg = h->senvcfg = 0;
    h->mcounteren = h->scounteren = h->mcountinhibit = 0;
    h->stimecmp = UINT64_MAX;
    h->mip_sw = 0;
    memset(h->pmpcfg, 0, sizeof(h->pmpcfg));
    memset(h->pmpaddr, 0, sizeof(h->pmpaddr));
    rv_pmp_update(h);
    h->cycle_off = h->instret_off = -(int64_t)cpu->c.icount;
    /* a reset hart may run again (reboot): forget an old stop and old requests */
    atomic_store(&h->stop, false);
    __atomic_store_n(&cpu->c.exit_request, 0, __ATOMIC_SEQ_CST);
    cpu->c.pc = pc;
    cpu->x[10] = h->hartid;
    cpu->x[11] = a1;
    rv_sys_mode_changed(h);
    rv_timer_update(h);
    rv_sys_flush(h, RV_MMU_ALL);
}

void rv_hart_set_irq(void *hart, unsigned irq, int level)
{
    struct rv_hart *h = hart;
    if (irq >= 64)
        return;
    uint64_t bit = 1ull << irq;
    if (level) {
        atomic_fetch_or_explicit(&h->mip_hw, bit, memory_order_seq_cst);
        kick_and_wake(h, RV_REQ_IRQ);
    } else {
        atomic_fetch_and_explicit(&h->mip_hw, ~bit, memory_order_seq_cst);
    }
}

void rv_hart_stop(struct rv_cpu *cpu)
{
    struct rv_hart *h = (struct rv_hart *)cpu;
    atomic_store(&h->stop, true);
    kick_and_wake(h, RV_REQ_STOP);
}

/* ---- the run loop ---- */

/* The instruction bits at pc for mtval/stval of an illegal instruction (0 if unreadable). */
static uint64_t insn_bits(struct rv_hart *h)
{
    uint16_t lo = 0, hi = 0;
    struct cpu_common *c = &h->cpu.c;
    if (tlb_fetch(c, c->pc, &lo, 2) < 0)
        return 0;
    if ((lo & 3) != 3)
        return lo;
    if (tlb_fetch(c, c->pc + 2, &hi, 2) < 0)
        return 0;
    return lo | (uint32_t)hi << 16;
}

static void exception(struct rv_hart *h)
{
    struct cpu_common *c = &h->cpu.c;
    uint64_t cause, tval = c->excp_tval;
    switch (c->excp) {
    case CPU_EXCP_FETCH: /* the fetch recorded what went wrong, and where */
        cause = h->tlb->fault_cause;
        tval = h->tlb->fault_tval;
        break;
    case CPU_EXCP_ILLEGAL: cause = RV_EXC_ILLEGAL; break;
    case CPU_EXCP_BUS_ADRALN: cause = RV_EXC_STORE_MISALIGNED; break;
    default:
        /* the guest's own causes are below 0x10000; anything else is a host-side
         * user-mode code path that cannot happen here: report an access fault */
        cause = c->excp < 0x10000 ? c->excp : RV_EXC_LOAD_ACCESS;
        break;
    }
    rv_trap(h, cause, tval);
}

/* WFI: sleep until an interrupt is pending in mie, the Sstc deadline, or a stop. */
static void wfi_sleep(struct rv_hart *h)
{
    pthread_mutex_lock(&h->lock);
    while (!atomic_load(&h->stop) && !rv_wfi_wakeup(h) &&
           !(__atomic_load_n(&h->cpu.c.exit_request, __ATOMIC_SEQ_CST) & RV_REQ_STOP)) {
        bool timed = (h->menvcfg & ENVCFG_STCE) && h->stimecmp != UINT64_MAX;
        uint64_t ns = timed ? vclock_ticks_to_host_ns(h->stimecmp) : UINT64_MAX;
        if (ns == UINT64_MAX) {
            pthread_cond_wait(&h->wake, &h->lock);
        } else {
            struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                                  .tv_nsec = (long)(ns % 1000000000u)};
            pthread_cond_timedwait(&h->wake, &h->lock, &ts);
        }
    }
    pthread_mutex_unlock(&h->lock);
}

void rv_hart_run(struct rv_cpu *cpu)
{
    struct rv_hart *h = (struct rv_hart *)cpu;
    struct cpu_common *c = &cpu->c;
    while (!atomic_load(&h->stop)) {
        rv_take_interrupt(h);
        enum exec_result r = exec_run(c);
        switch (r) {
        case EXEC_REQUEST: break; /* interrupts and stop: at the top */
        case EXEC_SYSCALL:
            rv_trap(h, h->priv == RV_PRIV_U ? RV_EXC_ECALL_U
                       : h->priv == RV_PRIV_S ? RV_EXC_ECALL_S : RV_EXC_ECALL_M, 0);
            break;
        case EXEC_BREAK: rv_trap(h, RV_EXC_BREAKPOINT, c->pc); break;
        case EXEC_ILLEGAL: rv_trap(h, RV_EXC_ILLEGAL, insn_bits(h)); break;
        case EXEC_EXCEPTION: exception(h); break;
        case EXEC_HALT: wfi_sleep(h); break;
        default: rv_trap(h, RV_EXC_ILLEGAL, insn_bits(h)); break;
        }
    }
}

/* ---- debugging ---- */

void rv_hart_dump(struct rv_cpu *cpu)
{
    struct rv_hart *h = (struct rv_hart *)cpu;
    FILE *f = stderr;
    fprintf(f, "hart %u priv %c\n", h->hartid, "USHM"[h->priv & 3]);
    rv64_arch.dump_regs(f, &cpu->c);
    fprintf(f, " mstatus  %016llx mie %03llx mip %03llx mideleg %03llx medeleg %05llx\n",
            (unsigned long long)h->mstatus, (unsigned long long)h->mie,
            (unsigned long long)rv_mip(h), (unsigned long long)h->mideleg,
            (unsigned long long)h->medeleg);
    fprintf(f, " mtvec    %016llx mepc %016llx mcause %016llx mtval %016llx\n",
            (unsigned long long)h->mtvec, (unsigned long long)h->mepc,
            (unsigned long long)h->mcause, (unsigned long long)h->mtval);
    fprintf(f, " stvec    %016llx sepc %016llx scause %016llx stval %016llx\n",
            (unsigned long long)h->stvec, (unsigned long long)h->sepc,
            (unsigned long long)h->scause, (unsigned long long)h->stval);
    fprintf(f, " satp     %016llx stimecmp %016llx time %016llx menvcfg %016llx\n",
            (unsigned long long)h->satp, (unsigned long long)h->stimecmp,
            (unsigned long long)vclock_ticks(), (unsigned long long)h->menvcfg);
    fprintf(f, " traps %llu interrupts %llu tlb fills %llu flushes %llu\n",
            (unsigned long long)h->n_traps, (unsigned long long)h->n_irqs,
            (unsigned long long)h->tlb->n_fill, (unsigned long long)h->tlb->n_flush);
}
