/*
 * Bit manipulation and conditional zero: Zba, Zbb, Zbs and Zicond on RV64, as IR.
 *
 * Reached from the OP, OP-32, OP-IMM and OP-IMM-32 decoders for encodings that are not
 * base or M instructions; returns -EINVAL for anything else, so unknown encodings in
 * those major opcodes stay illegal. Writes to x0 are dropped after the decode decided
 * the encoding is legal.
 */
#include "guest/riscv/rv_internal.h"

static ir_val bin64(struct rv_dc *dc, enum ir_opcode op, ir_val a, ir_val b)
{
    return rv_bin(dc, op, a, b);
}

/* 1 << (b & 63) */
static ir_val bit_mask(struct rv_dc *dc, ir_val b)
{
    return bin64(dc, IR_SHL, rv_c64(dc, 1), b);
}

static int tr_b_op(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), f7 = rv_funct7(i), rd = rv_rd(i);
    ir_val a = rv_get_x(dc, rv_rs1(i)), b = rv_get_x(dc, rv_rs2(i)), v;
    struct ir_block *bl = dc->b;
    switch (f7 << 3 | f3) {
    case 0x10 << 3 | 2: /* sh1add */
    case 0x10 << 3 | 4: /* sh2add */
    case 0x10 << 3 | 6: /* sh3add */
        v = bin64(dc, IR_ADD, bin64(dc, IR_SHL, a, rv_c64(dc, f3 >> 1)), b);
        break;
    case 0x20 << 3 | 7: v = bin64(dc, IR_AND, a, ir_unop(bl, IR_NOT, IR_I64, b)); break; /* andn */
    case 0x20 << 3 | 6: v = bin64(dc, IR_OR, a, ir_unop(bl, IR_NOT, IR_I64, b)); break;  /* orn */
    case 0x20 << 3 | 4: v = ir_unop(bl, IR_NOT, IR_I64, bin64(dc, IR_XOR, a, b)); break;  /* xnor */
    case 0x05 << 3 | 4: v = bin64(dc, IR_MIN, a, b); break;
    case 0x05 << 3 | 5: v = bin64(dc, IR_MINU, a, b); break;
    case 0x05 << 3 | 6: v = bin64(dc, IR_MAX, a, b); break;
    case 0x05 << 3 | 7: v = bin64(dc, IR_MAXU, a, b); break;
    case 0x30 << 3 | 1: v = bin64(dc, IR_ROTL, a, b); break; /* rol */
    case 0x30 << 3 | 5: v = bin64(dc, IR_ROTR, a, b); break; /* ror */
    case 0x24 << 3 | 1: /* bclr */
        v = bin64(dc, IR_AND, a, ir_unop(bl, IR_NOT, IR_I64, bit_mask(dc, b)));
        break;
    case 0x24 << 3 | 5: /* bext */
        v = bin64(dc, IR_AND, bin64(dc, IR_SHR, a, b), rv_c64(dc, 1));
        break;
    case 0x34 << 3 | 1: v = bin64(dc, IR_XOR, a, bit_mask(dc, b)); break; /* binv */
    case 0x14 << 3 | 1: v = bin64(dc, IR_OR, a, bit_mask(dc, b)); break;  /* bset */
    case 0x07 << 3 | 5: /* czero.eqz: rd = rs2 == 0 ? 0 : rs1 */
    case 0x07 << 3 | 7: /* czero.nez: rd = rs2 != 0 ? 0 : rs1 */
        v = ir_select(bl, IR_I64, b, f3 == 5 ? a : rv_c64(dc, 0), f3 == 5 ? rv_c64(dc, 0) : a);
        break;
    default: return -EINVAL;
    }
    rv_set_x(dc, rd, v);
    return 0;
}

static int tr_b_op32(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), f7 = rv_funct7(i), rd = rv_rd(i);
    ir_val a = rv_get_x(dc, rv_rs1(i)), v;
    switch (f7 << 3 | f3) {
    case 0x04 << 3 | 0: /* add.uw (zext.w when rs2 = x0) */
        v = bin64(dc, IR_ADD, rv_zext32(dc, rv_lo32(dc, a)), rv_get_x(dc, rv_rs2(i)));
        break;
    case 0x10 << 3 | 2: /* sh1add.uw */
    case 0x10 << 3 | 4: /* sh2add.uw */
    case 0x10 << 3 | 6: /* sh3add.uw */
        v = bin64(dc, IR_SHL, rv_zext32(dc, rv_lo32(dc, a)), rv_c64(dc, f3 >> 1));
        v = bin64(dc, IR_ADD, v, rv_get_x(dc, rv_rs2(i)));
        break;
    case 0x04 << 3 | 4: /* zext.h */
        if (rv_rs2(i))
            return -EINVAL;
        v = ir_ext(dc->b, IR_ZEXT, IR_I64, a, 16);
        break;
    case 0x30 << 3 | 1: /* rolw */
    case 0x30 << 3 | 5: /* rorw */
        v = ir_binop(dc->b, f3 == 1 ? IR_ROTL : IR_ROTR, IR_I32, rv_lo32(dc, a),
                     rv_lo32(dc, rv_get_x(dc, rv_rs2(i))));
        v = rv_sext32(dc, v);
        break;
    default: return -EINVAL;
    }
    rv_set_x(dc, rd, v);
    return 0;
}

static int tr_b_imm(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), f6 = i >> 26, sh = (i >> 20) & 63, imm = i >> 20;
    ir_val a = rv_get_x(dc, rv_rs1(i)), v;
    struct ir_block *bl = dc->b;
    if (f3 == 1 && f6 == 0x18) {
        switch (imm) {
        case 0x600: v = ir_unop(bl, IR_CLZ, IR_I64, a); break;
        case 0x601: v = ir_unop(bl, IR_CTZ, IR_I64, a); break;
        case 0x602: v = ir_unop(bl, IR_POPCNT, IR_I64, a); break;
        case 0x604: v = ir_ext(bl, IR_SEXT, IR_I64, a, 8); break;
        case 0x605: v = ir_ext(bl, IR_SEXT, IR_I64, a, 16); break;
        default: return -EINVAL;
        }
    } else if (f3 == 1 && f6 == 0x12) { /* bclri */
        v = bin64(dc, IR_AND, a, rv_c64(dc, ~(1ull << sh)));
    } else if (f3 == 1 && f6 == 0x1a) { /* binvi */
        v = bin64(dc, IR_XOR, a, rv_c64(dc, 1ull << sh));
    } else if (f3 == 1 && f6 == 0x0a) { /* bseti */
        v = bin64(dc, IR_OR, a, rv_c64(dc, 1ull << sh));
    } else if (f3 == 5 && f6 == 0x12) { /* bexti */
        v = ir_extract(bl, IR_I64, a, sh, 1, false);
    } else if (f3 == 5 && f6 == 0x18) { /* rori */
        v = bin64(dc, IR_ROTR, a, rv_c64(dc, sh));
    } else if (f3 == 5 && imm == 0x287) { /* orc.b */
        v = ir_call(bl, &rv_helper_orc_b, IR_I64, 1, a, 0, 0);
    } else if (f3 == 5 && imm == 0x6b8) { /* rev8 */
        v = ir_unop(bl, IR_BSWAP, IR_I64, a);
    } else {
        return -EINVAL;
    }
    rv_set_x(dc, rd, v);
    return 0;
}

static int tr_b_imm32(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), f7 = i >> 25, imm = i >> 20;
    ir_val a = rv_get_x(dc, rv_rs1(i)), v;
    struct ir_block *bl = dc->b;
    if (f3 == 1 && (i >> 26) == 0x02) { /* slli.uw: 6-bit shamt */
        v = bin64(dc, IR_SHL, rv_zext32(dc, rv_lo32(dc, a)), rv_c64(dc, (i >> 20) & 63));
    } else if (f3 == 1 && f7 == 0x30) {
        enum ir_opcode op;
        switch (imm) {
        case 0x600: op = IR_CLZ; break;
        case 0x601: op = IR_CTZ; break;
        case 0x602: op = IR_POPCNT; break;
        default: return -EINVAL;
        }
        /* counts are at most 32: zero-extension is the sign-extension */
        v = rv_zext32(dc, ir_unop(bl, op, IR_I32, rv_lo32(dc, a)));
    } else if (f3 == 5 && f7 == 0x30) { /* roriw */
        v = ir_binop(bl, IR_ROTR, IR_I32, rv_lo32(dc, a), rv_c32(dc, (i >> 20) & 31));
        v = rv_sext32(dc, v);
    } else {
        return -EINVAL;
    }
    rv_set_x(dc, rd, v);
    return 0;
}

int rv_tr_b(struct rv_dc *dc)
{
    switch (rv_opcode(dc->insn)) {
    case RV_OP_OP: return tr_b_op(dc);
    case RV_OP_OP_32: return tr_b_op32(dc);
    case RV_OP_OP_IMM: return tr_b_imm(dc);
    case RV_OP_OP_IMM_32: return tr_b_imm32(dc);
    default: return -EINVAL;
    }
}
