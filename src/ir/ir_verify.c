/*
 * IR verifier: checks that a block obeys the contract in ir.h/ir_ops.h, so a frontend or
 * optimiser bug is caught at translation time with a message naming the insn, instead of
 * as a wrong guest result much later. Engines may rely on everything checked here.
 *
 * Rules (the typing rules are the IR's, written down once here):
 * - every value id is in 1..n_val-1, defined by exactly one insn, before any use, and
 *   its vtype entry equals the defining insn's type; unused operand slots are IR_NOVAL;
 * - integer ops (ADD..MAXU, NOT..BSWAP) take operands of their own type (I32 or I64);
 *   SEXT/ZEXT/EXTRACT are the width-changing ops and accept an I32 or I64 operand;
 *   DEPOSIT's inserted value may be I32 or I64;
 * - SETCC compares two integer operands of one type, its result is any integer type;
 *   SELECT, EXIT_IF take an integer condition; addresses and GOTO_IND targets are I64;
 * - MOV keeps the type or bitcasts I64<->F64, I32<->F32;
 * - FP ops take operands of their own FP type; FCMP yields I32; FCVT_F2I/I2F convert
 *   between an integer and an FP type, with IR_FPX_W32 required whenever the integer
 *   side is I32; FCVT_F2F converts between the two FP types;
 * - memory ops: size 0..3 and no wider than the value type (FP values exactly as wide),
 *   order, sign and align in range, atomics integer only;
 * - GET/PUT offsets are below 2^30;
 * - exactly one terminator, and it is the last insn.
 * Nothing here trusts the block: every index is range-checked before use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

struct vctx {
    const struct ir_block *b;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int vfail(struct vctx *c, long idx,
                                                        const char *fmt, ...)
{
    if (c->err && c->errlen) {
        size_t n = 0;
        if (idx >= 0) {
            const struct ir_insn *i = &c->b->insn[idx];
            const char *name = i->op < IR_NUM_OPS ? ir_opinfo[i->op].name : "?";
            int k = snprintf(c->err, c->errlen, "insn %ld (%s): ", idx, name);
            n = k < 0 ? 0 : (size_t)k;
        }
        if (n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - n, fmt, ap);
            va_end(ap);
        }
    }
    return -EINVAL;
}

static bool is_int(unsigned t) { return t == IR_I32 || t == IR_I64; }
static bool is_fp(unsigned t) { return t == IR_F32 || t == IR_F64; }
static unsigned width_bits(unsigned t) { return (t == IR_I32 || t == IR_F32) ? 32 : 64; }

static const char *tname(unsigned t)
{
    static const char *const names[] = {"i32", "i64", "f32", "f64"};
    return t < IR_NUM_TYPES ? names[t] : "void";
}

static bool rm_ok(unsigned rm) { return rm <= IR_RM_RMM || rm == IR_RM_DYN; }

/* Memory descriptor against the value type it moves. */
static int check_mem(struct vctx *c, long idx, const struct ir_insn *i, unsigned vt, bool atomic)
{
    const struct ir_memop *m = &i->mem;
    if (m->size > 3)
        return vfail(c, idx, "memory size log2 %u out of range 0..3", m->size);
    if (m->order > IR_ORD_SEQ || m->sign > 1 || m->align > 1)
        return vfail(c, idx, "memory order/sign/align field out of range");
    if ((8u << m->size) > width_bits(vt))
        return vfail(c, idx, "%u-byte access does not fit type %s", 1u << m->size, tname(vt));
    if (is_fp(vt) && ((8u << m->size) != width_bits(vt) || m->sign))
        return vfail(c, idx, "FP access must be exactly %u bytes and unsigned",
                     width_bits(vt) / 8);
    if (atomic && !is_int(vt))
        return vfail(c, idx, "atomic on non-integer type %s", tname(vt));
    return 0;
}

/* Operand and field typing of one insn whose operands are already known to be defined. */
static int check_types(struct vctx *c, long idx, const struct ir_insn *i)
{
    const uint8_t *vt = c->b->vtype;
    unsigned t = i->type, op = i->op;
    unsigned a0 = i->arg[0] ? vt[i->arg[0]] : IR_NUM_TYPES;
    unsigned a1 = i->arg[1] ? vt[i->arg[1]] : IR_NUM_TYPES;
    unsigned a2 = i->arg[2] ? vt[i->arg[2]] : IR_NUM_TYPES;

    switch (op) {
    case IR_CONST:
        if (width_bits(t) == 32 && (i->imm >> 32))
            return vfail(c, idx, "32-bit constant 0x%llx has upper bits set",
                         (unsigned long long)i->imm);
        return 0;
    case IR_GET:
    case IR_PUT:
        if (i->imm >= (1u << 30)) /* CPU structs are small; the optimiser relies on it */
            return vfail(c, idx, "guest-state offset 0x%llx out of range",
                         (unsigned long long)i->imm);
        if (op == IR_PUT && a0 != t)
            return vfail(c, idx, "value is %s, insn type %s", tname(a0), tname(t));
        return 0;
    case IR_MOV:
        if (a0 != t && !((a0 == IR_I64 && t == IR_F64) || (a0 == IR_F64 && t == IR_I64) ||
                         (a0 == IR_I32 && t == IR_F32) || (a0 == IR_F32 && t == IR_I32)))
            return vfail(c, idx, "mov from %s to %s is not a same-width bitcast", tname(a0),
                         tname(t));
        return 0;
    case IR_INSN_START:
    case IR_GOTO:
        return 0;
    case IR_ADD: case IR_SUB: case IR_MUL: case IR_MULHS: case IR_MULHU: case IR_MULHSU:
    case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU: case IR_AND: case IR_OR:
    case IR_XOR: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR:
    case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU:
        if (!is_int(t) || a0 != t || a1 != t)
            return vfail(c, idx, "integer op of type %s on %s, %s", tname(t), tname(a0),
                         tname(a1));
        return 0;
    case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP:
        if (!is_int(t) || a0 != t)
            return vfail(c, idx, "integer op of type %s on %s", tname(t), tname(a0));
        return 0;
    case IR_SEXT:
    case IR_ZEXT:
        if (!is_int(t) || !is_int(a0))
            return vfail(c, idx, "extension to %s from %s", tname(t), tname(a0));
        if ((i->aux != 8 && i->aux != 16 && i->aux != 32) || i->aux > width_bits(t))
            return vfail(c, idx, "extension width %u not 8/16/32 within %s", i->aux, tname(t));
        return 0;
    case IR_EXTRACT:
    case IR_DEPOSIT: {
        unsigned pos = i->imm & 0xff, len = (i->imm >> 8) & 0xff;
        unsigned srcw = op == IR_EXTRACT ? width_bits(a0) : width_bits(t);
        if (!is_int(t) || !is_int(a0) || (op == IR_DEPOSIT && (a0 != t || !is_int(a1))))
            return vfail(c, idx, "bitfield op of type %s on %s, %s", tname(t), tname(a0),
                         tname(a1));
        if ((i->imm >> 16) || len == 0 || pos + len > srcw ||
            (op == IR_EXTRACT && len > width_bits(t)))
            return vfail(c, idx, "bitfield pos %u len %u does not fit", pos, len);
        if (op == IR_EXTRACT && i->aux > 1)
            return vfail(c, idx, "extract sign flag %u not 0/1", i->aux);
        return 0;
    }
    case IR_SETCC:
        if (!is_int(t) || !is_int(a0) || a0 != a1)
            return vfail(c, idx, "setcc to %s compares %s with %s", tname(t), tname(a0),
                         tname(a1));
        if (i->aux >= IR_NUM_CONDS)
            return vfail(c, idx, "condition %u out of range", i->aux);
        return 0;
    case IR_SELECT:
        if (!is_int(a0) || a1 != t || a2 != t)
            return vfail(c, idx, "select %s on %s cond of %s, %s", tname(t), tname(a0),
                         tname(a1), tname(a2));
        return 0;
    case IR_LOAD:
        if (a0 != IR_I64)
            return vfail(c, idx, "address is %s, not i64", tname(a0));
        return check_mem(c, idx, i, t, false);
    case IR_STORE:
        if (a0 != IR_I64)
            return vfail(c, idx, "address is %s, not i64", tname(a0));
        if (a1 != t)
            return vfail(c, idx, "value is %s, insn type %s", tname(a1), tname(t));
        return check_mem(c, idx, i, t, false);
    case IR_ATOMIC_RMW:
    case IR_CMPXCHG:
        if (a0 != IR_I64)
            return vfail(c, idx, "address is %s, not i64", tname(a0));
        if (a1 != t || (op == IR_CMPXCHG && a2 != t))
            return vfail(c, idx, "operands %s, %s for type %s", tname(a1), tname(a2), tname(t));
        if (op == IR_ATOMIC_RMW && i->aux >= IR_NUM_RMW)
            return vfail(c, idx, "rmw kind %u out of range", i->aux);
        return check_mem(c, idx, i, t, true);
    case IR_FENCE:
        if (i->aux & ~IR_FENCE_ALL)
            return vfail(c, idx, "fence bits 0x%x out of range", i->aux);
        return 0;
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: case IR_FMIN: case IR_FMAX:
    case IR_FSQRT: case IR_FMA: {
        unsigned n = ir_opinfo[op].nargs;
        if (!is_fp(t) || a0 != t || (n > 1 && a1 != t) || (n > 2 && a2 != t))
            return vfail(c, idx, "FP op of type %s on %s, %s, %s", tname(t), tname(a0),
                         n > 1 ? tname(a1) : "-", n > 2 ? tname(a2) : "-");
        if (!rm_ok(i->aux))
            return vfail(c, idx, "rounding mode %u invalid", i->aux);
        return 0;
    }
    case IR_FCMP:
        if (t != IR_I32 || !is_fp(a0) || a1 != a0)
            return vfail(c, idx, "fcmp to %s compares %s with %s", tname(t), tname(a0),
                         tname(a1));
        if (i->aux > IR_FCMP_REL_S)
            return vfail(c, idx, "fcmp predicate %u out of range", i->aux);
        return 0;
    case IR_FCVT_F2I:
        if (!is_int(t) || !is_fp(a0))
            return vfail(c, idx, "float-to-int to %s from %s", tname(t), tname(a0));
        if (t == IR_I32 && !(i->imm & IR_FPX_W32))
            return vfail(c, idx, "i32 result needs IR_FPX_W32");
        if (!rm_ok(i->aux))
            return vfail(c, idx, "rounding mode %u invalid", i->aux);
        return 0;
    case IR_FCVT_I2F:
        if (!is_fp(t) || !is_int(a0))
            return vfail(c, idx, "int-to-float to %s from %s", tname(t), tname(a0));
        if (a0 == IR_I32 && !(i->imm & IR_FPX_W32))
            return vfail(c, idx, "i32 operand needs IR_FPX_W32");
        if (!rm_ok(i->aux))
            return vfail(c, idx, "rounding mode %u invalid", i->aux);
        return 0;
    case IR_FCVT_F2F:
        if (!is_fp(t) || !is_fp(a0) || a0 == t)
            return vfail(c, idx, "f2f to %s from %s", tname(t), tname(a0));
        if (!rm_ok(i->aux))
            return vfail(c, idx, "rounding mode %u invalid", i->aux);
        return 0;
    case IR_CALL0: case IR_CALL1: case IR_CALL2: case IR_CALL3: {
        const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
        if (!h || !h->fn)
            return vfail(c, idx, "call without a helper function");
        return 0;
    }
    case IR_EXIT_IF:
        if (!is_int(a0))
            return vfail(c, idx, "condition is %s", tname(a0));
        return 0;
    case IR_GOTO_IND:
        if (a0 != IR_I64)
            return vfail(c, idx, "target is %s, not i64", tname(a0));
        return 0;
    case IR_EXIT:
        if (i->aux >= IR_NUM_EXITS)
            return vfail(c, idx, "exit reason %u out of range", i->aux);
        return 0;
    default:
        return vfail(c, idx, "op %u has no typing rule", op);
    }
}

int ir_verify(const struct ir_block *b, char *err, size_t errlen)
{
    struct vctx c = {b, err, errlen};
    if (err && errlen)
        err[0] = 0;
    if (b->oom)
        return vfail(&c, -1, "block ran out of memory while being built");
    if (b->n_insn == 0 || !b->insn)
        return vfail(&c, -1, "empty block (no terminator)");
    if (b->n_val == 0 || (b->n_val > 1 && !b->vtype))
        return vfail(&c, -1, "value table missing (n_val %u)", b->n_val);

    /* defined[v]: v has been defined by an earlier insn */
    uint8_t *defined = calloc(b->n_val, 1);
    if (!defined) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory verifying");
        return -ENOMEM;
    }
    int rc = 0;
    for (uint32_t k = 0; k < b->n_insn && rc == 0; k++) {
        const struct ir_insn *i = &b->insn[k];
        long idx = k;
        if (i->op >= IR_NUM_OPS) {
            rc = vfail(&c, idx, "opcode %u out of range", i->op);
            break;
        }
        const struct ir_opinfo *oi = &ir_opinfo[i->op];
        bool is_call = i->op >= IR_CALL0 && i->op <= IR_CALL3;
        bool void_call = is_call && i->type == IR_NUM_TYPES;
        if (i->type >= IR_NUM_TYPES && !void_call) {
            rc = vfail(&c, idx, "type %u out of range", i->type);
            break;
        }
        for (unsigned a = 0; a < 3; a++) {
            ir_val v = i->arg[a];
            if (a >= oi->nargs) {
                if (v != IR_NOVAL) {
                    rc = vfail(&c, idx, "unused operand %u is v%u, must be none", a, v);
                    break;
                }
                continue;
            }
            if (v == IR_NOVAL || v >= b->n_val) {
                rc = vfail(&c, idx, "operand %u is v%u, out of range 1..%u", a, v, b->n_val - 1);
                break;
            }
            if (!defined[v]) {
                rc = vfail(&c, idx, "operand %u v%u used before its definition", a, v);
                break;
            }
        }
        if (rc)
            break;
        if (oi->has_dst && !void_call) {
            ir_val d = i->dst;
            if (d == IR_NOVAL || d >= b->n_val) {
                rc = vfail(&c, idx, "dst v%u out of range 1..%u", d, b->n_val - 1);
                break;
            }
            if (defined[d]) {
                rc = vfail(&c, idx, "v%u defined twice", d);
                break;
            }
            if (b->vtype[d] != i->type) {
                rc = vfail(&c, idx, "dst v%u has type %s, insn type %s", d, tname(b->vtype[d]),
                           tname(i->type));
                break;
            }
        } else if (i->dst != IR_NOVAL) {
            rc = vfail(&c, idx, "has dst v%u but defines no value", i->dst);
            break;
        }
        rc = check_types(&c, idx, i);
        if (rc)
            break;
        if (oi->has_dst && !void_call)
            defined[i->dst] = 1;
        bool last = k + 1 == b->n_insn;
        if ((oi->flags & IRF_TERM) && !last) {
            rc = vfail(&c, idx, "terminator is not the last insn (%u follow)",
                       b->n_insn - k - 1);
            break;
        }
        if (last && !(oi->flags & IRF_TERM))
            rc = vfail(&c, idx, "block does not end with a terminator");
    }
    free(defined);
    return rc;
}
