/*
 * RISC-V traps and interrupts: trap entry with delegation and the exact mstatus
 * stacking, interrupt selection by the spec's priority, the translation-state
 * bookkeeping after mode changes, and the IR helpers of the privileged instructions
 * (mret, sret, wfi, sfence.vma, FS dirtying, cache-block checks).
 *
 * Invariants:
 * - rv_trap() runs on the hart's thread with c.pc at the instruction that traps (for
 *   exceptions) or the next one to run (for interrupts); afterwards c.pc is the handler
 *   and tb_flags/MMU indices match the new privilege.
 * - Interrupt priority: MEI > MSI > MTI > SEI > SSI > STI; an interrupt for M (not
 *   delegated) is taken if priv < M or MIE; one delegated to S if priv < S or (priv == S
 *   and SIE); M-level ones win over S-level ones.
 * - The LR reservation is dropped on every trap and xRET, so an SC never pairs with an LR
 *   from another context.
 */
#include "core/log.h"
#include "core/vclock.h"
#include "exec/exec.h"
#include "guest/riscv/rv_sys_int.h"

_Noreturn void rv_raise_illegal(struct rv_hart *h, uint64_t insn)
{
    cpu_exit_exception(&h->cpu.c, RV_EXC_ILLEGAL, insn);
}

void rv_sys_mode_changed(struct rv_hart *h)
{
    unsigned fs = (unsigned)((h->mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT);
    h->cpu.c.tb_flags = RV_TBF_SYS | h->priv | fs << RV_TBF_FS_SHIFT;
    unsigned eff = h->priv;
    if (eff == RV_PRIV_M && (h->mstatus & MSTATUS_MPRV))
        eff = (unsigned)((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    unsigned data = eff == RV_PRIV_M ? RV_MMU_M
                    : eff == RV_PRIV_U ? RV_MMU_U
                    : (h->mstatus & MSTATUS_SUM) ? RV_MMU_S_SUM : RV_MMU_S;
    unsigned fetch = h->priv == RV_PRIV_M ? RV_MMU_M : h->priv == RV_PRIV_U ? RV_MMU_U : RV_MMU_S;
    tlb_set_mmu(h->tlb, data, fetch);
}

static void flush_jump_cache(struct rv_hart *h)
{
    exec_flush_jump_cache(&h->cpu.c);
    tlb_code_seen_clear(h->tlb);
}

void rv_sys_flush(struct rv_hart *h, unsigned mmu_mask)
{
    tlb_flush(h->tlb, mmu_mask);
    flush_jump_cache(h);
}

uint64_t rv_mip(struct rv_hart *h)
{
    uint64_t sw = h->mip_sw;
    if (h->menvcfg & ENVCFG_STCE) {
        sw &= ~MIP_STIP;
        if (h->stimecmp != UINT64_MAX && vclock_ticks() >= h->stimecmp)
            sw |= MIP_STIP;
    }
    return atomic_load_explicit(&h->mip_hw, memory_order_acquire) | sw;
}

bool rv_wfi_wakeup(struct rv_hart *h) { return (rv_mip(h) & h->mie) != 0; }

/* The interrupt to take now, or -1. */
static int pending_irq(struct rv_hart *h)
{
    uint64_t pend = rv_mip(h) & h->mie;
    if (!pend)
        return -1;
    uint64_t m = pend & ~h->mideleg, s = pend & h->mideleg;
    bool m_on = h->priv < RV_PRIV_M || (h->mstatus & MSTATUS_MIE);
    bool s_on = h->priv < RV_PRIV_S || (h->priv == RV_PRIV_S && (h->mstatus & MSTATUS_SIE));
    uint64_t take = (m && m_on) ? m : (s && s_on) ? s : 0;
    static const uint8_t order[] = {RV_IRQ_MEIP, RV_IRQ_MSIP, RV_IRQ_MTIP,
                                    RV_IRQ_SEIP, RV_IRQ_SSIP, RV_IRQ_STIP};
    for (unsigned k = 0; k < sizeof(order); k++)
        if (take >> order[k] & 1)
            return order[k];
    return -1;
}

void rv_irq_kick(struct rv_hart *h)
{
    if (pending_irq(h) >= 0)
        __atomic_or_fetch(&h->cpu.c.exit_request, RV_REQ_IRQ, __ATOMIC_SEQ_CST);
}

bool rv_take_interrupt(struct rv_hart *h)
{
    int irq = pending_irq(h);
    if (irq < 0)
        return false;
    h->n_irqs++;
    rv_trap(h, RV_CAUSE_INTR | (uint64_t)irq, 0);
    return true;
}

void rv_trap(struct rv_hart *h, uint64_t cause, uint64_t tval)
{
    bool intr = (cause & RV_CAUSE_INTR) != 0;
    uint64_t code = cause & ~RV_CAUSE_INTR, pc = h->cpu.c.pc, st = h->mstatus;
    unsigned priv = h->priv;
    bool to_s = priv <= RV_PRIV_S && code < 64 && ((intr ? h->mideleg : h->medeleg) >> code & 1);
    uint64_t tvec;
    h->n_traps++;
    if (to_s) {
        h->scause = cause;
        h->sepc = pc;
        h->stval = tval;
        st = (st & ~(MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SIE)) |
             ((st & MSTATUS_SIE) ? MSTATUS_SPIE : 0) | (priv == RV_PRIV_S ? MSTATUS_SPP : 0);
        h->priv = RV_PRIV_S;
        tvec = h->stvec;
    } else {
        h->mcause = cause;
        h->mepc = pc;
        h->mtval = tval;
        st = (st & ~(MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MIE)) |
             ((st & MSTATUS_MIE) ? MSTATUS_MPIE : 0) | (uint64_t)priv << MSTATUS_MPP_SHIFT;
        h->priv = RV_PRIV_M;
        tvec = h->mtvec;
    }
    h->mstatus = st;
    h->cpu.c.pc = (tvec & ~3ull) + ((intr && (tvec & 1)) ? 4 * code : 0);
    h->cpu.res_addr = RV_NO_RESERVATION;
    rv_sys_mode_changed(h);
    if (log_enabled(LOG_INT))
        log_printf("hart %u: %s %llu tval 0x%llx at pc 0x%llx (priv %u) -> %c-mode 0x%llx\n",
                   h->hartid, intr ? "interrupt" : "exception", (unsigned long long)code,
                   (unsigned long long)tval, (unsigned long long)pc, priv, to_s ? 'S' : 'M',
                   (unsigned long long)h->cpu.c.pc);
}

/* ---- helpers of the privileged instructions ---- */

typedef uint64_t rv_helper_fn(struct cpu_common *, uint64_t, uint64_t, uint64_t);

static uint64_t helper_mret(struct cpu_common *c, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    uint64_t st = h->mstatus;
    unsigned mpp = (unsigned)((st & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    st = (st & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((st & MSTATUS_MPIE) ? MSTATUS_MIE : 0) |
         MSTATUS_MPIE;
    if (mpp != RV_PRIV_M)
        st &= ~MSTATUS_MPRV;
    h->mstatus = st;
    h->priv = mpp;
    h->cpu.res_addr = RV_NO_RESERVATION;
    rv_sys_mode_changed(h);
    rv_irq_kick(h);
    return h->mepc;
}

static uint64_t helper_sret(struct cpu_common *c, uint64_t insn, uint64_t a1, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    if (h->priv == RV_PRIV_S && (h->mstatus & MSTATUS_TSR))
        rv_raise_illegal(h, insn);
    uint64_t st = h->mstatus;
    unsigned spp = (st & MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
    st = (st & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) |
         ((st & MSTATUS_SPIE) ? MSTATUS_SIE : 0) | MSTATUS_SPIE;
    h->mstatus = st;
    h->priv = spp;
    h->cpu.res_addr = RV_NO_RESERVATION;
    rv_sys_mode_changed(h);
    rv_irq_kick(h);
    return h->sepc;
}

static uint64_t helper_wfi(struct cpu_common *c, uint64_t insn, uint64_t a1, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    if (h->priv < RV_PRIV_M && (h->mstatus & MSTATUS_TW))
        rv_raise_illegal(h, insn);
    return 0;
}

/* pack: insn | (rs1 != x0) << 32 | (rs2 != x0) << 33 */
static uint64_t helper_sfence_vma(struct cpu_common *c, uint64_t va, uint64_t asid, uint64_t pack)
{
    struct rv_hart *h = rv_hart_of(c);
    if (h->priv == RV_PRIV_S && (h->mstatus & MSTATUS_TVM))
        rv_raise_illegal(h, (uint32_t)pack);
    bool has_va = (pack >> 32) & 1, has_asid = (pack >> 33) & 1;
    if (has_va) {
        /* one page (or the superpage holding it): the jump cache can only hold blocks of
         * pages whose code was looked up since it was last flushed; Linux flushes single
         * data pages after most page faults, so this skips most jump-cache flushes */
        bool code = tlb_code_seen(h->tlb, va) || tlb_in_superpage(h->tlb, va, RV_MMU_TRANSLATED);
        tlb_flush_page(h->tlb, va, RV_MMU_TRANSLATED); /* any ASID: over-flushing is allowed */
        if (code)
            flush_jump_cache(h);
    } else {
        if (has_asid)
            tlb_flush_asid(h->tlb, (uint16_t)asid, RV_MMU_TRANSLATED);
        else
            tlb_flush(h->tlb, RV_MMU_TRANSLATED);
        flush_jump_cache(h);
    }
    return 0;
}

static uint64_t helper_fs_dirty(struct cpu_common *c, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    h->mstatus |= MSTATUS_FS;
    rv_sys_mode_changed(h);
    return 0;
}

/* kind: 0 inval, 1 clean, 2 flush, 4 zero; the caller skips M-mode */
static uint64_t helper_cbo(struct cpu_common *c, uint64_t kind, uint64_t insn, uint64_t a2)
{
    struct rv_hart *h = rv_hart_of(c);
    uint64_t bit = kind == 4 ? ENVCFG_CBZE : kind == 0 ? ENVCFG_CBIE : ENVCFG_CBCFE;
    bool ok = (h->menvcfg & bit) && (h->priv != RV_PRIV_U || (h->senvcfg & bit));
    if (!ok)
        rv_raise_illegal(h, insn);
    return 0;
}

const struct ir_helper rv_helper_mret = {"rv_mret", (void *)(rv_helper_fn *)helper_mret,
                                         IR_HELPER_STATE};
const struct ir_helper rv_helper_sret = {"rv_sret", (void *)(rv_helper_fn *)helper_sret,
                                         IR_HELPER_FAULT | IR_HELPER_STATE};
const struct ir_helper rv_helper_wfi = {"rv_wfi", (void *)(rv_helper_fn *)helper_wfi,
                                        IR_HELPER_FAULT};
const struct ir_helper rv_helper_sfence_vma = {"rv_sfence_vma",
                                               (void *)(rv_helper_fn *)helper_sfence_vma,
                                               IR_HELPER_FAULT | IR_HELPER_STATE};
/* touches no state the IR reaches with GET/PUT (mstatus and tb_flags only) */
const struct ir_helper rv_helper_fs_dirty = {"rv_fs_dirty", (void *)(rv_helper_fn *)helper_fs_dirty,
                                             0};
const struct ir_helper rv_helper_cbo = {"rv_cbo", (void *)(rv_helper_fn *)helper_cbo,
                                        IR_HELPER_FAULT};
