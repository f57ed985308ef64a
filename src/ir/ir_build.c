/*
 * IR builder: appends insns to a block and allocates values. Allocation failure marks
 * the block oom (checked once by the caller) instead of failing every emit, so frontends
 * stay straight-line; on oom, emits go to a scratch insn and are discarded.
 */
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

const struct ir_opinfo ir_opinfo[IR_NUM_OPS] = {
#define IR_OP_INFO(n, na, hd, fl) [IR_##n] = {#n, na, hd, fl},
    IR_OP_LIST(IR_OP_INFO)
#undef IR_OP_INFO
};

void ir_block_init(struct ir_block *b, uint64_t pc, uint32_t tb_flags)
{
    memset(b, 0, sizeof(*b));
    ir_block_reset(b, pc, tb_flags);
}

void ir_block_reset(struct ir_block *b, uint64_t pc, uint32_t tb_flags)
{
    b->pc = pc;
    b->tb_flags = tb_flags;
    b->guest_size = 0;
    b->n_guest = 0;
    b->n_insn = 0;
    b->n_val = 1;
    b->oom = false;
}

void ir_block_free(struct ir_block *b)
{
    free(b->insn);
    free(b->vtype);
    memset(b, 0, sizeof(*b));
}

static bool grow(void **p, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return true;
    uint32_t ncap = *cap ? *cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, (size_t)ncap * elem);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

ir_val ir_new_val(struct ir_block *b, enum ir_type t)
{
    if (!grow((void **)&b->vtype, &b->cap_val, 1, b->n_val + 1)) {
        b->oom = true;
        return IR_NOVAL;
    }
    b->vtype[b->n_val] = (uint8_t)t;
    return b->n_val++;
}

struct ir_insn *ir_emit(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val a0,
                        ir_val a1, ir_val a2)
{
    static _Thread_local struct ir_insn scratch;
    if (b->oom || !grow((void **)&b->insn, &b->cap_insn, sizeof(struct ir_insn), b->n_insn + 1)) {
        b->oom = true;
        memset(&scratch, 0, sizeof(scratch));
        return &scratch;
    }
    struct ir_insn *i = &b->insn[b->n_insn++];
    memset(i, 0, sizeof(*i));
    i->op = (uint16_t)op;
    i->type = (uint8_t)t;
    i->arg[0] = a0;
    i->arg[1] = a1;
    i->arg[2] = a2;
    if (ir_opinfo[op].has_dst && t < IR_NUM_TYPES)
        i->dst = ir_new_val(b, t);
    return i;
}

ir_val ir_const(struct ir_block *b, enum ir_type t, uint64_t v)
{
    if (t == IR_I32 || t == IR_F32)
        v = (uint32_t)v;
    struct ir_insn *i = ir_emit(b, IR_CONST, t, 0, 0, 0);
    i->imm = v;
    return i->dst;
}

ir_val ir_get(struct ir_block *b, enum ir_type t, uint32_t offset)
{
    struct ir_insn *i = ir_emit(b, IR_GET, t, 0, 0, 0);
    i->imm = offset;
    return i->dst;
}

void ir_put(struct ir_block *b, uint32_t offset, ir_val v)
{
    struct ir_insn *i = ir_emit(b, IR_PUT, v ? (enum ir_type)b->vtype[v] : IR_I64, v, 0, 0);
    i->imm = offset;
}

void ir_insn_start(struct ir_block *b, uint64_t pc, unsigned len)
{
    struct ir_insn *i = ir_emit(b, IR_INSN_START, IR_I64, 0, 0, 0);
    i->imm = pc;
    i->aux = (uint8_t)len;
}

ir_val ir_binop(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val x, ir_val y)
{
    return ir_emit(b, op, t, x, y, 0)->dst;
}

ir_val ir_unop(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val x)
{
    return ir_emit(b, op, t, x, 0, 0)->dst;
}

ir_val ir_ext(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val x, unsigned bits)
{
    struct ir_insn *i = ir_emit(b, op, t, x, 0, 0);
    i->aux = (uint8_t)bits;
    return i->dst;
}

ir_val ir_extract(struct ir_block *b, enum ir_type t, ir_val x, unsigned pos, unsigned len,
                  bool sign)
{
    struct ir_insn *i = ir_emit(b, IR_EXTRACT, t, x, 0, 0);
    i->imm = pos | (uint64_t)len << 8;
    i->aux = sign;
    return i->dst;
}

ir_val ir_deposit(struct ir_block *b, enum ir_type t, ir_val x, ir_val y, unsigned pos,
                  unsigned len)
{
    struct ir_insn *i = ir_emit(b, IR_DEPOSIT, t, x, y, 0);
    i->imm = pos | (uint64_t)len << 8;
    return i->dst;
}

ir_val ir_setcc(struct ir_block *b, enum ir_type t, enum ir_cond c, ir_val x, ir_val y)
{
    struct ir_insn *i = ir_emit(b, IR_SETCC, t, x, y, 0);
    i->aux = (uint8_t)c;
    return i->dst;
}

ir_val ir_select(struct ir_block *b, enum ir_type t, ir_val c, ir_val x, ir_val y)
{
    return ir_emit(b, IR_SELECT, t, c, x, y)->dst;
}

ir_val ir_load(struct ir_block *b, enum ir_type t, ir_val addr, struct ir_memop m)
{
    struct ir_insn *i = ir_emit(b, IR_LOAD, t, addr, 0, 0);
    i->mem = m;
    return i->dst;
}

void ir_store(struct ir_block *b, ir_val addr, ir_val v, struct ir_memop m)
{
    struct ir_insn *i = ir_emit(b, IR_STORE, v ? (enum ir_type)b->vtype[v] : IR_I64, addr, v, 0);
    i->mem = m;
}

ir_val ir_atomic_rmw(struct ir_block *b, enum ir_type t, enum ir_rmw k, ir_val addr, ir_val v,
                     struct ir_memop m)
{
    struct ir_insn *i = ir_emit(b, IR_ATOMIC_RMW, t, addr, v, 0);
    i->aux = (uint8_t)k;
    i->mem = m;
    return i->dst;
}

ir_val ir_cmpxchg(struct ir_block *b, enum ir_type t, ir_val addr, ir_val expect, ir_val nv,
                  struct ir_memop m)
{
    struct ir_insn *i = ir_emit(b, IR_CMPXCHG, t, addr, expect, nv);
    i->mem = m;
    return i->dst;
}

void ir_fence(struct ir_block *b, unsigned kind)
{
    ir_emit(b, IR_FENCE, IR_I64, 0, 0, 0)->aux = (uint8_t)kind;
}

ir_val ir_fop(struct ir_block *b, enum ir_opcode op, enum ir_type t, enum ir_rm rm, uint64_t fpx,
              ir_val x, ir_val y, ir_val z)
{
    struct ir_insn *i = ir_emit(b, op, t, x, y, z);
    i->aux = (uint8_t)rm;
    i->imm = fpx;
    return i->dst;
}

ir_val ir_call(struct ir_block *b, const struct ir_helper *h, enum ir_type t, unsigned nargs,
               ir_val a0, ir_val a1, ir_val a2)
{
    static const enum ir_opcode call_op[4] = {IR_CALL0, IR_CALL1, IR_CALL2, IR_CALL3};
    struct ir_insn *i = ir_emit(b, call_op[nargs & 3], t, a0, a1, a2);
    i->imm = (uint64_t)(uintptr_t)h;
    return i->dst;
}

void ir_exit_if(struct ir_block *b, ir_val cond, uint64_t pc)
{
    ir_emit(b, IR_EXIT_IF, IR_I64, cond, 0, 0)->imm = pc;
}

void ir_goto(struct ir_block *b, uint64_t pc)
{
    ir_emit(b, IR_GOTO, IR_I64, 0, 0, 0)->imm = pc;
}

void ir_goto_ind(struct ir_block *b, ir_val pc)
{
    ir_emit(b, IR_GOTO_IND, IR_I64, pc, 0, 0);
}

void ir_exit(struct ir_block *b, enum ir_exit reason, uint64_t pc)
{
    struct ir_insn *i = ir_emit(b, IR_EXIT, IR_I64, 0, 0, 0);
    i->aux = (uint8_t)reason;
    i->imm = pc;
}
