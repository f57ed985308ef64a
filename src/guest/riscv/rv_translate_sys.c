/*
 * RISC-V system mode -> IR: the privileged instructions (ecall, ebreak, mret, sret, wfi,
 * sfence.vma), Zicsr on the machine's CSRs, the cache-block operations (Zicbom, Zicboz)
 * and the FS (FP state) checks. Only reached when tb_flags has RV_TBF_SYS.
 *
 * Invariants:
 * - What the translation-time state decides (privilege from tb_flags: CSR privilege
 *   levels, mret in M only, U-mode wfi/sret/sfence.vma, FS Off) becomes an illegal
 *   instruction here; what depends on run-time state (TVM, TW, TSR, counter enables,
 *   Sstc enables, envcfg) is checked by the helper, which raises the exception.
 * - Every instruction that may change translation state (a CSR write, mret, sret,
 *   sfence.vma) ends the block, so the next block is looked up with the new tb_flags and
 *   interrupts it unmasked are taken before it (the helper sets the exit request).
 * - ecall and ebreak leave to the run loop (IR_EXIT_SYSCALL/BREAK), which enters the trap
 *   with the cause for the current privilege.
 */
#include "guest/riscv/rv_internal.h"

#define RV_PRIV_M 3u

static void end_goto_next(struct rv_dc *dc)
{
    ir_goto(dc->b, dc->pc + dc->len);
    dc->end = true;
}

int rv_fp_check(struct rv_dc *dc, bool writes)
{
    if (!rv_sys(dc))
        return 0;
    unsigned fs = (dc->flags & RV_TBF_FS) >> RV_TBF_FS_SHIFT;
    if (fs == 0)
        return -EINVAL;
    if (writes && fs != 3 && !dc->fs_dirty) {
        ir_call(dc->b, &rv_helper_fs_dirty, IR_NUM_TYPES, 0, 0, 0, 0);
        dc->fs_dirty = true;
    }
    return 0;
}

int rv_tr_csr_sys(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), rs1 = rv_rs1(i), op = f3 & 3, num = i >> 20;
    bool do_write = op == 1 || rs1 != 0, do_read = op != 1 || rd != 0;
    if (op == 0 || !rv_sys_csr_exists(num))
        return -EINVAL;
    if (((num >> 8) & 3) > rv_priv(dc))
        return -EINVAL; /* needs more privilege */
    if (do_write && (num >> 10) == 3)
        return -EINVAL; /* read-only CSR */
    ir_val src = (f3 & 4) ? rv_c64(dc, rs1) : rv_get_x(dc, rs1);
    uint64_t pack = num | (uint64_t)op << 12 | (uint64_t)do_read << 14 |
                    (uint64_t)do_write << 15 | (uint64_t)dc->raw << 32;
    ir_val old = ir_call(dc->b, &rv_helper_csr, IR_I64, 2, rv_c64(dc, pack), src, 0);
    rv_set_x(dc, rd, old);
    if (do_write)
        end_goto_next(dc);
    return 0;
}

int rv_tr_system_sys(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned priv = rv_priv(dc), rs1 = rv_rs1(i), rs2 = rv_rs2(i);
    if (rv_rd(i))
        return -EINVAL;
    if (rv_funct7(i) == 0x09) { /* sfence.vma rs1, rs2 */
        if (priv == 0)
            return -EINVAL;
        uint64_t pack = dc->raw | (uint64_t)(rs1 != 0) << 32 | (uint64_t)(rs2 != 0) << 33;
        ir_call(dc->b, &rv_helper_sfence_vma, IR_NUM_TYPES, 3, rv_get_x(dc, rs1),
                rv_get_x(dc, rs2), rv_c64(dc, pack));
        end_goto_next(dc);
        return 0;
    }
    if (rs1)
        return -EINVAL;
    switch (i >> 20) {
    case 0x000: /* ecall */
        ir_exit(dc->b, IR_EXIT_SYSCALL, dc->pc);
        break;
    case 0x001: /* ebreak */
        ir_exit(dc->b, IR_EXIT_BREAK, dc->pc);
        break;
    case 0x302: { /* mret */
        if (priv != RV_PRIV_M)
            return -EINVAL;
        ir_goto_ind(dc->b, ir_call(dc->b, &rv_helper_mret, IR_I64, 0, 0, 0, 0));
        break;
    }
    case 0x102: { /* sret */
        if (priv == 0)
            return -EINVAL;
        ir_goto_ind(dc->b, ir_call(dc->b, &rv_helper_sret, IR_I64, 1, rv_c64(dc, dc->raw), 0, 0));
        break;
    }
    case 0x105: /* wfi: illegal in U-mode (S exists); TW checked at run time */
        if (priv == 0)
            return -EINVAL;
        if (priv != RV_PRIV_M)
            ir_call(dc->b, &rv_helper_wfi, IR_NUM_TYPES, 1, rv_c64(dc, dc->raw), 0, 0);
        ir_exit(dc->b, IR_EXIT_HALT, dc->pc + dc->len);
        break;
    default:
        return -EINVAL;
    }
    dc->end = true;
    return 0;
}

/* cbo.inval (0), cbo.clean (1), cbo.flush (2), cbo.zero (4): rd = 0, imm selects. The
 * caches are coherent and invisible, so only cbo.zero touches memory: the 64-byte block
 * holding rs1, written as eight stores (the block lies within one page). */
int rv_tr_cbo(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned kind = i >> 20;
    if (rv_rd(i) || (kind > 2 && kind != 4))
        return -EINVAL;
    if (rv_priv(dc) != RV_PRIV_M)
        ir_call(dc->b, &rv_helper_cbo, IR_NUM_TYPES, 2, rv_c64(dc, kind), rv_c64(dc, dc->raw), 0);
    if (kind == 4) {
        ir_val base = rv_bin(dc, IR_AND, rv_get_x(dc, rv_rs1(i)), rv_c64(dc, ~63ull));
        ir_val zero = rv_c64(dc, 0);
        for (unsigned k = 0; k < 64; k += 8)
            ir_store(dc->b, rv_bin(dc, IR_ADD, base, rv_c64(dc, k)), zero, ir_mem(3, false));
    }
    return 0;
}
