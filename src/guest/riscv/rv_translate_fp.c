/*
 * F and D extensions as IR: FP loads/stores, arithmetic, fused multiply-add,
 * comparisons, conversions, sign injection, moves and fclass.
 *
 * Invariants:
 * - f registers are reached as I64 (GET/PUT of the whole 64-bit slot) and bitcast with
 *   MOV, so every access to a slot has one type.
 * - Single-precision reads check NaN-boxing (upper 32 bits all ones, else the canonical
 *   NaN 0x7fc00000); single-precision writes NaN-box. fmv.x.w and fsw move the raw low
 *   32 bits, as the spec says.
 * - rm 5 and 6 are illegal at translation; rm 7 (DYN) is checked at run time once per
 *   block and again after any frm/fcsr write (rv_check_dyn_rm).
 * - Sign injection, fmv and fclass raise no FP flags: they are integer ops/pure helpers.
 */
#include "guest/riscv/rv_internal.h"

#define RV_BOX 0xffffffff00000000ull
#define RV_QNAN_S 0x7fc00000u

/* fmt field values */
enum { FMT_S = 0, FMT_D = 1 };

void rv_check_dyn_rm(struct rv_dc *dc)
{
    if (dc->rm_checked)
        return;
    ir_call(dc->b, &rv_helper_check_rm, IR_NUM_TYPES, 1, rv_c64(dc, dc->raw), 0, 0);
    dc->rm_checked = true;
}

/* The rounding mode of an instruction with an rm field; -1 if reserved. */
static int insn_rm(struct rv_dc *dc)
{
    unsigned rm = rv_funct3(dc->insn);
    if (rm == 5 || rm == 6)
        return -1;
    return (int)rm;
}

/* Emit the DYN check if needed; call only once the instruction is known legal. */
static enum ir_rm use_rm(struct rv_dc *dc, int rm)
{
    if (rm == IR_RM_DYN)
        rv_check_dyn_rm(dc);
    return (enum ir_rm)rm;
}

static ir_val get_f_bits(struct rv_dc *dc, unsigned r)
{
    return ir_get(dc->b, IR_I64, (uint32_t)RV_F(r));
}

/* single-precision bits of f[r] after the NaN-boxing check, as I32 */
static ir_val get_s_bits(struct rv_dc *dc, unsigned r)
{
    ir_val v = get_f_bits(dc, r);
    ir_val boxed = ir_setcc(dc->b, IR_I64, IR_GEU, v, rv_c64(dc, RV_BOX));
    v = ir_select(dc->b, IR_I64, boxed, v, rv_c64(dc, RV_QNAN_S));
    return rv_lo32(dc, v);
}

static ir_val get_fp(struct rv_dc *dc, unsigned r, bool dbl)
{
    if (dbl)
        return ir_unop(dc->b, IR_MOV, IR_F64, get_f_bits(dc, r));
    return ir_unop(dc->b, IR_MOV, IR_F32, get_s_bits(dc, r));
}

/* write the I32 bits of a single-precision value, NaN-boxed */
static void set_s_bits(struct rv_dc *dc, unsigned r, ir_val v32)
{
    ir_val v = rv_bin(dc, IR_OR, rv_zext32(dc, v32), rv_c64(dc, RV_BOX));
    ir_put(dc->b, (uint32_t)RV_F(r), v);
}

static void set_fp(struct rv_dc *dc, unsigned r, ir_val v, bool dbl)
{
    if (dbl)
        ir_put(dc->b, (uint32_t)RV_F(r), ir_unop(dc->b, IR_MOV, IR_I64, v));
    else
        set_s_bits(dc, r, ir_unop(dc->b, IR_MOV, IR_I32, v));
}

static int tr_fp_load_store(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i);
    if (f3 != 2 && f3 != 3)
        return -EINVAL;
    bool load = rv_opcode(i) == RV_OP_LOAD_FP;
    int64_t off = load ? rv_imm_i(i) : rv_imm_s(i);
    ir_val a = rv_bin(dc, IR_ADD, rv_get_x(dc, rv_rs1(i)), rv_c64(dc, (uint64_t)off));
    if (load) {
        ir_val v = ir_load(dc->b, IR_I64, a, ir_mem(f3, false));
        if (f3 == 2)
            v = rv_bin(dc, IR_OR, v, rv_c64(dc, RV_BOX));
        ir_put(dc->b, (uint32_t)RV_F(rv_rd(i)), v);
    } else {
        ir_store(dc->b, a, get_f_bits(dc, rv_rs2(i)), ir_mem(f3, false));
    }
    return 0;
}

static int tr_fma(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned fmt = (i >> 25) & 3;
    int rm = insn_rm(dc);
    if (fmt > FMT_D || rm < 0)
        return -EINVAL;
    bool dbl = fmt == FMT_D;
    uint64_t fpx = IR_FPX_NAN_DEFAULT;
    switch (rv_opcode(i)) {
    case RV_OP_MSUB: fpx |= IR_FPX_NEG_ADDEND; break;
    case RV_OP_NMSUB: fpx |= IR_FPX_NEG_PROD; break;
    case RV_OP_NMADD: fpx |= IR_FPX_NEG_PROD | IR_FPX_NEG_ADDEND; break;
    default: break;
    }
    enum ir_rm r = use_rm(dc, rm);
    ir_val a = get_fp(dc, rv_rs1(i), dbl), b = get_fp(dc, rv_rs2(i), dbl);
    ir_val c = get_fp(dc, rv_rs3(i), dbl);
    set_fp(dc, rv_rd(i), ir_fop(dc->b, IR_FMA, dbl ? IR_F64 : IR_F32, r, fpx, a, b, c), dbl);
    return 0;
}

/* fsgnj/fsgnjn/fsgnjx on raw bits: no flags, no canonicalisation beyond NaN-boxing */
static int tr_fsgnj(struct rv_dc *dc, bool dbl)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i);
    if (f3 > 2)
        return -EINVAL;
    enum ir_type t = dbl ? IR_I64 : IR_I32;
    uint64_t sign = dbl ? 1ull << 63 : 1ull << 31;
    ir_val a = dbl ? get_f_bits(dc, rv_rs1(i)) : get_s_bits(dc, rv_rs1(i));
    ir_val b = dbl ? get_f_bits(dc, rv_rs2(i)) : get_s_bits(dc, rv_rs2(i));
    struct ir_block *bl = dc->b;
    ir_val smask = ir_const(bl, t, sign), v;
    if (f3 == 1)
        b = ir_unop(bl, IR_NOT, t, b);
    ir_val bs = ir_binop(bl, IR_AND, t, b, smask);
    if (f3 == 2)
        v = ir_binop(bl, IR_XOR, t, a, bs);
    else
        v = ir_binop(bl, IR_OR, t, ir_binop(bl, IR_AND, t, a, ir_const(bl, t, sign - 1)), bs);
    if (dbl)
        ir_put(bl, (uint32_t)RV_F(rv_rd(i)), v);
    else
        set_s_bits(dc, rv_rd(i), v);
    return 0;
}

static int tr_fcvt_int(struct rv_dc *dc, bool dbl, bool to_int)
{
    uint32_t i = dc->insn;
    unsigned kind = rv_rs2(i);
    int rm = insn_rm(dc);
    if (kind > 3 || rm < 0)
        return -EINVAL;
    bool w32 = kind < 2, sign = !(kind & 1);
    uint64_t fpx = IR_FPX_NAN_DEFAULT | IR_FPX_SAT_RISCV | (w32 ? IR_FPX_W32 : 0) |
                   (sign ? IR_FPX_SIGNED : 0);
    enum ir_rm r = use_rm(dc, rm);
    enum ir_type ft = dbl ? IR_F64 : IR_F32;
    if (to_int) {
        ir_val a = get_fp(dc, rv_rs1(i), dbl);
        ir_val v = ir_fop(dc->b, IR_FCVT_F2I, w32 ? IR_I32 : IR_I64, r, fpx, a, 0, 0);
        if (w32)
            v = rv_sext32(dc, v); /* also for fcvt.wu: 32-bit results are sign-extended */
        rv_set_x(dc, rv_rd(i), v);
    } else {
        ir_val a = rv_get_x(dc, rv_rs1(i));
        if (w32)
            a = rv_lo32(dc, a);
        set_fp(dc, rv_rd(i), ir_fop(dc->b, IR_FCVT_I2F, ft, r, fpx, a, 0, 0), dbl);
    }
    return 0;
}

static int tr_op_fp(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f7 = rv_funct7(i), f3 = rv_funct3(i), fmt = f7 & 3, f5 = f7 >> 2;
    unsigned rd = rv_rd(i), rs1 = rv_rs1(i), rs2 = rv_rs2(i);
    if (fmt > FMT_D)
        return -EINVAL;
    bool dbl = fmt == FMT_D;
    enum ir_type ft = dbl ? IR_F64 : IR_F32;
    struct ir_block *b = dc->b;
    int rm = insn_rm(dc);
    switch (f5) {
    case 0x00: case 0x01: case 0x02: case 0x03: { /* fadd fsub fmul fdiv */
        static const enum ir_opcode ops[4] = {IR_FADD, IR_FSUB, IR_FMUL, IR_FDIV};
        if (rm < 0)
            return -EINVAL;
        enum ir_rm r = use_rm(dc, rm);
        ir_val x = get_fp(dc, rs1, dbl), y = get_fp(dc, rs2, dbl);
        set_fp(dc, rd, ir_fop(b, ops[f5], ft, r, IR_FPX_NAN_DEFAULT, x, y, 0), dbl);
        return 0;
    }
    case 0x0b: { /* fsqrt */
        if (rm < 0 || rs2)
            return -EINVAL;
        enum ir_rm r = use_rm(dc, rm);
        ir_val x = get_fp(dc, rs1, dbl);
        set_fp(dc, rd, ir_fop(b, IR_FSQRT, ft, r, IR_FPX_NAN_DEFAULT, x, 0, 0), dbl);
        return 0;
    }
    case 0x04: return tr_fsgnj(dc, dbl);
    case 0x05: { /* fmin fmax */
        if (f3 > 1)
            return -EINVAL;
        ir_val x = get_fp(dc, rs1, dbl), y = get_fp(dc, rs2, dbl);
        ir_val v = ir_fop(b, f3 ? IR_FMAX : IR_FMIN, ft, IR_RM_RNE,
                          IR_FPX_NAN_DEFAULT | IR_FPX_MIN_2019, x, y, 0);
        set_fp(dc, rd, v, dbl);
        return 0;
    }
    case 0x08: { /* fcvt.s.d (fmt S, rs2 1) / fcvt.d.s (fmt D, rs2 0) */
        if (rm < 0 || rs2 != (dbl ? 0u : 1u))
            return -EINVAL;
        enum ir_rm r = use_rm(dc, rm);
        ir_val x = get_fp(dc, rs1, !dbl);
        set_fp(dc, rd, ir_fop(b, IR_FCVT_F2F, ft, r, IR_FPX_NAN_DEFAULT, x, 0, 0), dbl);
        return 0;
    }
    case 0x14: { /* fle flt feq */
        static const enum ir_fcmp preds[3] = {IR_FCMP_LE, IR_FCMP_LT, IR_FCMP_EQ};
        if (f3 > 2)
            return -EINVAL;
        ir_val x = get_fp(dc, rs1, dbl), y = get_fp(dc, rs2, dbl);
        ir_val v = ir_fop(b, IR_FCMP, IR_I32, (enum ir_rm)preds[f3], IR_FPX_NAN_DEFAULT, x, y, 0);
        rv_set_x(dc, rd, rv_zext32(dc, v));
        return 0;
    }
    case 0x18: return tr_fcvt_int(dc, dbl, true);
    case 0x1a: return tr_fcvt_int(dc, dbl, false);
    case 0x1c: /* fmv.x.w / fmv.x.d, fclass */
        if (rs2)
            return -EINVAL;
        if (f3 == 0) {
            ir_val v = get_f_bits(dc, rs1);
            rv_set_x(dc, rd, dbl ? v : rv_sext32(dc, rv_lo32(dc, v)));
        } else if (f3 == 1) {
            ir_val v = dbl ? get_f_bits(dc, rs1) : rv_zext32(dc, get_s_bits(dc, rs1));
            rv_set_x(dc, rd, ir_call(b, &rv_helper_fclass, IR_I64, 2, v, rv_c64(dc, dbl), 0));
        } else {
            return -EINVAL;
        }
        return 0;
    case 0x1e: { /* fmv.w.x / fmv.d.x */
        if (rs2 || f3)
            return -EINVAL;
        ir_val v = rv_get_x(dc, rs1);
        if (dbl)
            ir_put(b, (uint32_t)RV_F(rd), v);
        else
            set_s_bits(dc, rd, rv_lo32(dc, v));
        return 0;
    }
    default: return -EINVAL;
    }
}

int rv_tr_fp(struct rv_dc *dc)
{
    switch (rv_opcode(dc->insn)) {
    case RV_OP_LOAD_FP: case RV_OP_STORE_FP: return tr_fp_load_store(dc);
    case RV_OP_MADD: case RV_OP_MSUB: case RV_OP_NMSUB: case RV_OP_NMADD: return tr_fma(dc);
    case RV_OP_OP_FP: return tr_op_fp(dc);
    default: return -EINVAL;
    }
}
