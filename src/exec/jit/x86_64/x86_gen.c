/*
 * The x86-64 code generator: one optimised IR block -> host code, a list of exit patch
 * sites, and a pc map for faults.
 *
 * Layout of a block: the entry check of exit_request, the body in IR order, then the
 * out-of-line stubs (taken side exits, exit stubs that return to the run loop, the
 * exit-request return, misalignment faults), then the pc map.
 *
 * Invariants:
 * - Integer results equal ir_eval.h for every input: I32 ops use 32-bit instructions
 *   (results zero-extended by the hardware), division follows the IR's total rules, shift
 *   counts are masked to the width (as x86 does), CLZ/CTZ of zero give the width.
 * - PUTs are stored at their IR position; exits and faults therefore see exact state.
 * - Every chainable exit is a `jmp rel32` or `jcc rel32` whose displacement is 4-byte
 *   aligned (so a patch is one atomic store) and initially leads to its exit stub; chained,
 *   it jumps straight into the target block.
 * - icount grows by the block's guest instructions at its entry (the interpreter counts
 *   at the exit taken; cpu.h promises block granularity only).
 * - Each inline memory access that may fault has a pc-map entry for its instruction.
 * - Anything unexpected refuses the block (-ENOTSUP/-EINVAL): it stays interpreted.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "exec/jit/x86_64/x86_cg.h"
#include "mem/tlb.h"

#define OFF_PC ((int32_t)offsetof(struct cpu_common, pc))
#define OFF_ICOUNT ((int32_t)offsetof(struct cpu_common, icount))
#define OFF_EXITREQ ((int32_t)offsetof(struct cpu_common, exit_request))
#define OFF_TBFLAGS ((int32_t)offsetof(struct cpu_common, tb_flags))
#define OFF_FPFLAGS ((int32_t)offsetof(struct cpu_common, fp_flags))
#define OFF_EXEC ((int32_t)offsetof(struct cpu_common, exec))
#define OFF_FPRM ((int32_t)offsetof(struct cpu_common, fp_rm))

static const enum x_cc cc_of[IR_NUM_CONDS] = {
    [IR_EQ] = X_CC_E,   [IR_NE] = X_CC_NE,  [IR_LT] = X_CC_L,   [IR_GE] = X_CC_GE,
    [IR_LE] = X_CC_LE,  [IR_GT] = X_CC_G,   [IR_LTU] = X_CC_B,  [IR_GEU] = X_CC_AE,
    [IR_LEU] = X_CC_BE, [IR_GTU] = X_CC_A,
};

/* ---- bookkeeping ---- */

static void add_stub(struct cg *c, struct cg_stub s)
{
    if (c->n_stubs == c->cap_stubs) {
        uint32_t nc = c->cap_stubs ? 2 * c->cap_stubs : 16;
        void *p = realloc(c->stubs, nc * sizeof(*c->stubs));
        if (!p) {
            c->err = -ENOMEM;
            return;
        }
        c->stubs = p;
        c->cap_stubs = nc;
    }
    c->stubs[c->n_stubs++] = s;
}

/* The next instruction emitted may fault: map it to the current guest pc. */
static void map_here(struct cg *c)
{
    if (c->n_map && c->map[c->n_map - 1].pc == c->cur_pc) return;
    if (c->n_map == c->cap_map) {
        uint32_t nc = c->cap_map ? 2 * c->cap_map : 16;
        void *p = realloc(c->map, nc * sizeof(*c->map));
        if (!p) {
            c->err = -ENOMEM;
            return;
        }
        c->map = p;
        c->cap_map = nc;
    }
    c->map[c->n_map++] = (struct jit_pcmap){.off = x_off(&c->xb), .pc = c->cur_pc};
}

static void store_pc(struct cg *c, uint64_t pc)
{
    ra_state_write(c, OFF_PC, 8);
    x_store_i(&c->xb, 2, (int32_t)(uint32_t)pc, CG_REG_BASE, X_NOREG, OFF_PC);
    x_store_i(&c->xb, 2, (int32_t)(uint32_t)(pc >> 32), CG_REG_BASE, X_NOREG, OFF_PC + 4);
}

static void add_icount(struct cg *c, uint32_t n)
{
    if (n) x_alu_mi(&c->xb, X_ADD, 3, CG_REG_BASE, OFF_ICOUNT, (int32_t)n);
}

/* Pinned guest registers back to their fields: the dirty ones (the others never changed),
 * or with callers_only just those in caller-saved registers. */
static void pin_stores(struct cg *c, bool callers_only)
{
    for (unsigned k = 0; k < c->n_pin; k++)
        if (c->pin[k].dirty && (!callers_only || (CG_CALLER & RM(c->pin[k].reg))))
            x_store(&c->xb, 3, c->pin[k].reg, CG_REG_BASE, X_NOREG, c->pin[k].off);
}

static void pin_loads(struct cg *c, bool callers_only)
{
    for (unsigned k = 0; k < c->n_pin; k++)
        if (!callers_only || (CG_CALLER & RM(c->pin[k].reg)))
            x_load(&c->xb, 3, false, true, c->pin[k].reg, CG_REG_BASE, X_NOREG, c->pin[k].off);
}

/* call fn with the helper ABI; args[k] value (or imm[k] when 0) into the k-th argument
 * register after the cpu pointer. The result, if dst, is bound to rax. */
static void emit_call(struct cg *c, const void *fn, unsigned nargs, const ir_val *args,
                      const uint64_t *imm, ir_val dst, bool set_pc)
{
    static const int areg[5] = {X_RSI, X_RDX, X_RCX, X_R8, X_R9};
    if (set_pc) ra_state_write(c, OFF_PC, 8);
    ra_before_call(c);
    ra_parallel_move(c, areg, args, imm, nargs);
    pin_stores(c, !set_pc); /* a helper that may fault sees every register */
    if (set_pc) {
        x_store_i(&c->xb, 2, (int32_t)(uint32_t)c->cur_pc, CG_REG_BASE, X_NOREG, OFF_PC);
        x_store_i(&c->xb, 2, (int32_t)(uint32_t)(c->cur_pc >> 32), CG_REG_BASE, X_NOREG, OFF_PC + 4);
    }
    x_mov_rr(&c->xb, true, X_RDI, CG_REG_BASE);
    int64_t rel = (int64_t)(intptr_t)fn - (int64_t)(intptr_t)(c->req->rx + x_off(&c->xb) + 5);
    if (x_s32(rel) && !c->xb.overflow) {
        x_room(&c->xb);
        x_b(&c->xb, 0xe8);
        x_d(&c->xb, (uint32_t)rel);
    } else {
        x_mov_ri(&c->xb, X_RAX, (uint64_t)(uintptr_t)fn, true);
        x_call_r(&c->xb, X_RAX);
    }
    for (int r = 0; r < 16; r++)
        if ((CG_CALLER & RM(r)) && c->reg_val[r]) {
            c->v[c->reg_val[r]].reg = -1;
            c->reg_val[r] = 0;
        }
    ra_forget_xmm(c);
    pin_loads(c, true);
    if (dst) ra_bind(c, dst, X_RAX);
}

/* ---- integer ops ---- */

/* dst register for a two-address op on a: a's if a dies here, else a fresh one */
static int dst_from(struct cg *c, ir_val a, int ra, bool w)
{
    int d = ra_reuse(c, a);
    if (d < 0) {
        d = ra_alloc(c, c->alloc_mask);
        x_mov_rr(&c->xb, w, d, ra);
    }
    return d;
}

static void gen_alu(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    static const enum x_alu alu[IR_NUM_OPS] = {[IR_ADD] = X_ADD, [IR_SUB] = X_SUB, [IR_AND] = X_AND,
                                               [IR_OR] = X_OR,   [IR_XOR] = X_XOR};
    bool w = i->type == IR_I64;
    ir_val a = ci->a[0], b = ci->a[1];
    if (ci->imm1) {
        int32_t k = (int32_t)c->v[b].k;
        int ra = ra_use(c, a, c->alloc_mask);
        int d = ra_reuse(c, a);
        if (d < 0) {
            d = ra_alloc(c, c->alloc_mask);
            if (i->op == IR_ADD) {
                x_rm(&c->xb, 0x8d | (w ? X_W : 0), d, ra, X_NOREG, 0, k); /* lea */
                ra_bind(c, i->dst, d);
                return;
            }
            x_mov_rr(&c->xb, w, d, ra);
        }
        if (i->op == IR_MUL)
            x_imul_rri(&c->xb, w, d, d, k);
        else
            x_alu_ri(&c->xb, alu[i->op], w, d, k);
        ra_bind(c, i->dst, d);
        return;
    }
    bool comm = ir_opinfo[i->op].flags & IRF_COMM;
    /* prefer destroying the operand that dies */
    if (comm && a != b && c->v[b].reg >= 0 && ra_dies(c, b) && !(c->v[a].reg >= 0 && ra_dies(c, a))) {
        ir_val t = a;
        a = b;
        b = t;
    }
    int ra = ra_use(c, a, c->alloc_mask);
    /* the second operand straight from its guest field when this is its last use */
    struct cgv *xb = &c->v[b];
    if (b && xb->reg < 0 && xb->mem >= 0 && xb->w64 == w && ra_dies(c, b) && i->op != IR_MUL &&
        cg_pin(c, xb->mem) < 0) {
        int d = dst_from(c, a, ra, w);
        x_alu_rm(&c->xb, alu[i->op], w, d, CG_REG_BASE, xb->mem);
        ra_bind(c, i->dst, d);
        return;
    }
    int rb = ra_use_ro(c, b);
    int d = ra_reuse(c, a);
    if (d < 0) {
        d = ra_alloc(c, c->alloc_mask);
        x_mov_rr(&c->xb, w, d, ra);
    }
    if (d == rb && a != b) { /* cannot happen: rb is locked, d was a's */
        c->err = -EINVAL;
        return;
    }
    if (i->op == IR_MUL)
        x_imul_rr(&c->xb, w, d, rb);
    else
        x_alu_rr(&c->xb, alu[i->op], w, d, rb);
    ra_bind(c, i->dst, d);
}

static void gen_shift(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    static const enum x_shift sh[IR_NUM_OPS] = {[IR_SHL] = X_SHL, [IR_SHR] = X_SHR, [IR_SAR] = X_SAR,
                                                [IR_ROTL] = X_ROL, [IR_ROTR] = X_ROR};
    bool w = i->type == IR_I64;
    unsigned width = w ? 64 : 32;
    ir_val a = ci->a[0], b = ci->a[1];
    if (ci->imm1) {
        unsigned n = (unsigned)c->v[b].k & (width - 1);
        int ra = ra_use(c, a, c->alloc_mask);
        int d = dst_from(c, a, ra, w);
        if (n)
            x_shift_ri(&c->xb, sh[i->op], w, d, n);
        else if (!w)
            x_mov_rr(&c->xb, false, d, d); /* the result is the 32-bit value */
        ra_bind(c, i->dst, d);
        return;
    }
    if (c->bmi2 && (i->op == IR_SHL || i->op == IR_SHR || i->op == IR_SAR)) {
        int ra = ra_use(c, a, c->alloc_mask), rb = ra_use(c, b, c->alloc_mask);
        int d = ra_reuse(c, a);
        if (d < 0) d = ra_reuse(c, b);
        if (d < 0) d = ra_alloc(c, c->alloc_mask);
        if (i->op == IR_SHL) x_shlx(&c->xb, w, d, ra, rb);
        else if (i->op == IR_SHR) x_shrx(&c->xb, w, d, ra, rb);
        else x_sarx(&c->xb, w, d, ra, rb);
        ra_bind(c, i->dst, d);
        return;
    }
    ra_take(c, X_RCX);
    int rb = ra_use(c, b, c->alloc_mask & ~RM(X_RCX));
    int ra = ra_use(c, a, c->alloc_mask & ~RM(X_RCX));
    x_mov_rr(&c->xb, false, X_RCX, rb);
    int d = ra_reuse(c, a);
    if (d < 0) {
        d = ra_alloc(c, c->alloc_mask & ~RM(X_RCX));
        x_mov_rr(&c->xb, w, d, ra);
    }
    x_shift_rcl(&c->xb, sh[i->op], w, d);
    ra_bind(c, i->dst, d);
}

static void gen_minmax(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64;
    enum x_cc cc = i->op == IR_MIN ? X_CC_L : i->op == IR_MAX ? X_CC_G : i->op == IR_MINU ? X_CC_B : X_CC_A;
    ir_val a = ci->a[0], b = ci->a[1];
    int ra = ra_use(c, a, c->alloc_mask), rb = ra_use(c, b, c->alloc_mask);
    int d = a != b ? ra_reuse(c, b) : -1;
    if (d < 0) {
        d = ra_alloc(c, c->alloc_mask);
        x_mov_rr(&c->xb, w, d, rb);
    }
    x_alu_rr(&c->xb, X_CMP, w, ra, d); /* d holds b */
    x_cmov(&c->xb, cc, w, d, ra);
    ra_bind(c, i->dst, d);
}

/* DIV, DIVU, REM, REMU with the IR's total semantics */
static void gen_div(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64;
    bool sign = i->op == IR_DIV || i->op == IR_REM, rem = i->op == IR_REM || i->op == IR_REMU;
    ra_take(c, X_RAX);
    ra_take(c, X_RDX);
    uint32_t m = c->alloc_mask & ~(RM(X_RAX) | RM(X_RDX));
    int ra = ra_use(c, ci->a[0], m), rb = ra_use(c, ci->a[1], m);
    struct xb *xb = &c->xb;
    x_test_rr(xb, w, rb, rb);
    uint32_t j_zero = x_jcc32(xb, X_CC_E);
    uint32_t j_m1 = 0;
    if (sign) {
        x_alu_ri(xb, X_CMP, w, rb, -1);
        j_m1 = x_jcc32(xb, X_CC_E);
    }
    x_mov_rr(xb, w, X_RAX, ra);
    if (sign) {
        x_room(xb);
        if (w) x_b(xb, 0x48);
        x_b(xb, 0x99); /* cqo / cdq */
        x_grp3(xb, 7, w, rb);
    } else {
        x_rr(xb, 0x31, X_RDX, X_RDX);
        x_grp3(xb, 6, w, rb);
    }
    uint32_t j_done = x_jmp32(xb), j_done2 = 0;
    if (sign) {
        /* x / -1 = -x (MIN / -1 = MIN), x % -1 = 0 */
        x_patch32(xb, j_m1, x_off(xb));
        if (rem) {
            x_mov_ri(xb, X_RDX, 0, false);
        } else {
            x_mov_rr(xb, w, X_RAX, ra);
            x_grp3(xb, 3, w, X_RAX);
        }
        j_done2 = x_jmp32(xb);
    }
    /* x / 0 = all ones, x % 0 = x */
    x_patch32(xb, j_zero, x_off(xb));
    if (rem)
        x_mov_rr(xb, w, X_RDX, ra);
    else if (w)
        x_mov_ri(xb, X_RAX, ~0ull, false);
    else
        x_mov_ri(xb, X_RAX, 0xffffffffu, false);
    x_patch32(xb, j_done, x_off(xb));
    if (sign) x_patch32(xb, j_done2, x_off(xb));
    ra_bind(c, i->dst, rem ? X_RDX : X_RAX);
}

static void gen_mulh(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64;
    struct xb *xb = &c->xb;
    if (!w) {
        /* exact 64-bit product of the extended halves, then its upper 32 bits */
        int ra = ra_use(c, ci->a[0], c->alloc_mask), rb = ra_use(c, ci->a[1], c->alloc_mask);
        int d = ra_alloc(c, c->alloc_mask), t = ra_alloc(c, c->alloc_mask);
        if (i->op == IR_MULHU) x_mov_rr(xb, false, d, ra);
        else x_movsxd(xb, d, ra);
        if (i->op == IR_MULHS) x_movsxd(xb, t, rb);
        else x_mov_rr(xb, false, t, rb);
        x_imul_rr(xb, true, d, t);
        x_shift_ri(xb, X_SHR, true, d, 32);
        ra_bind(c, i->dst, d);
        return;
    }
    ra_take(c, X_RAX);
    ra_take(c, X_RDX);
    uint32_t m = c->alloc_mask & ~(RM(X_RAX) | RM(X_RDX));
    int ra = ra_use(c, ci->a[0], m), rb = ra_use(c, ci->a[1], m);
    x_mov_rr(xb, true, X_RAX, ra);
    x_grp3(xb, i->op == IR_MULHS ? 5 : 4, true, rb);
    if (i->op == IR_MULHSU) {
        /* signed a * unsigned b = unsigned product - (a < 0 ? b << 64 : 0) */
        int t = ra_alloc(c, m);
        x_mov_rr(xb, true, t, ra);
        x_shift_ri(xb, X_SAR, true, t, 63);
        x_alu_rr(xb, X_AND, true, t, rb);
        x_alu_rr(xb, X_SUB, true, X_RDX, t);
    }
    ra_bind(c, i->dst, X_RDX);
}

static void gen_unop(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64;
    unsigned width = w ? 64 : 32;
    struct xb *xb = &c->xb;
    ir_val a = ci->a[0];
    int ra = ra_use(c, a, c->alloc_mask);
    switch (i->op) {
    case IR_NOT:
    case IR_NEG:
    case IR_BSWAP: {
        int d = dst_from(c, a, ra, w);
        if (i->op == IR_BSWAP) x_bswap(xb, w, d);
        else x_grp3(xb, i->op == IR_NOT ? 2 : 3, w, d);
        ra_bind(c, i->dst, d);
        return;
    }
    case IR_CLZ:
    case IR_CTZ:
    case IR_POPCNT: {
        bool hw = i->op == IR_CLZ ? c->lzcnt : i->op == IR_CTZ ? c->bmi1 : c->popcnt;
        if (hw) {
            int d = ra_reuse(c, a);
            if (d < 0) d = ra_alloc(c, c->alloc_mask);
            unsigned opc = i->op == IR_CLZ ? 0xbd : i->op == IR_CTZ ? 0xbc : 0xb8;
            x_rr(xb, opc | X_0F | X_PF3 | (w ? X_W : 0), d, ra);
            ra_bind(c, i->dst, d);
            return;
        }
        if (i->op == IR_POPCNT) {
            ir_val args[2] = {a, 0};
            uint64_t imm[2] = {0, w};
            emit_call(c, (const void *)jit_rt_popcnt, 2, args, imm, i->dst, false);
            return;
        }
        /* bsr/bsf leave ZF set for zero: patch the result with cmov */
        int d = ra_alloc(c, c->alloc_mask), t = ra_alloc(c, c->alloc_mask);
        x_rr(xb, (i->op == IR_CLZ ? 0xbd : 0xbc) | X_0F | (w ? X_W : 0), d, ra);
        x_mov_ri(xb, t, i->op == IR_CLZ ? 2 * width - 1 : width, true);
        x_cmov(xb, X_CC_E, w, d, t);
        if (i->op == IR_CLZ) x_alu_ri(xb, X_XOR, w, d, (int32_t)(width - 1));
        ra_bind(c, i->dst, d);
        return;
    }
    default: c->err = -ENOTSUP; return;
    }
}

static void gen_ext(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64;
    unsigned bits = i->aux;
    struct xb *xb = &c->xb;
    if (bits == 0) {
        c->err = -ENOTSUP;
        return;
    }
    ir_val a = ci->a[0];
    int ra = ra_use(c, a, c->alloc_mask);
    int d = ra_reuse(c, a);
    if (d < 0) d = ra_alloc(c, c->alloc_mask);
    if (i->op == IR_SEXT) {
        if (bits == 8) x_movsx8(xb, w, d, ra);
        else if (bits == 16) x_movsx16(xb, w, d, ra);
        else if (bits == 32) {
            if (w) x_movsxd(xb, d, ra);
            else x_mov_rr(xb, false, d, ra);
        } else if (bits >= 64) {
            x_mov_rr(xb, w, d, ra);
        } else {
            x_mov_rr(xb, true, d, ra);
            x_shift_ri(xb, X_SHL, true, d, 64 - bits);
            x_shift_ri(xb, X_SAR, true, d, 64 - bits);
            if (!w) x_mov_rr(xb, false, d, d);
        }
    } else {
        if (bits == 8) x_movzx8(xb, d, ra);
        else if (bits == 16) x_movzx16(xb, d, ra);
        else if (bits == 32) x_mov_rr(xb, false, d, ra);
        else if (bits >= 64) x_mov_rr(xb, w, d, ra);
        else {
            x_mov_rr(xb, true, d, ra);
            x_shift_ri(xb, X_SHL, true, d, 64 - bits);
            x_shift_ri(xb, X_SHR, true, d, 64 - bits);
            if (!w) x_mov_rr(xb, false, d, d);
        }
    }
    ra_bind(c, i->dst, d);
}

static void gen_extract(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    unsigned pos = i->imm & 0xff, len = (i->imm >> 8) & 0xff;
    bool w = i->type == IR_I64, sign = i->aux != 0;
    struct xb *xb = &c->xb;
    if (pos >= 64 || len == 0) {
        c->err = -ENOTSUP;
        return;
    }
    ir_val a = ci->a[0];
    int ra = ra_use(c, a, c->alloc_mask);
    int d = dst_from(c, a, ra, true);
    if (pos + len >= 64) {
        /* the field reaches bit 63: a plain shift (sign only if bit 63 is its top) */
        if (pos) x_shift_ri(xb, sign && pos + len == 64 ? X_SAR : X_SHR, true, d, pos);
    } else {
        x_shift_ri(xb, X_SHL, true, d, 64 - pos - len);
        x_shift_ri(xb, sign ? X_SAR : X_SHR, true, d, 64 - len);
    }
    if (!w) x_mov_rr(xb, false, d, d);
    ra_bind(c, i->dst, d);
}

static void gen_deposit(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    unsigned pos = i->imm & 0xff, len = (i->imm >> 8) & 0xff;
    bool w = i->type == IR_I64;
    struct xb *xb = &c->xb;
    if (pos >= 64) {
        c->err = -ENOTSUP;
        return;
    }
    uint64_t m = (len >= 64 ? ~0ull : (1ull << len) - 1) << pos;
    ir_val a = ci->a[0], b = ci->a[1];
    int ra = ra_use(c, a, c->alloc_mask), rb = ra_use(c, b, c->alloc_mask);
    int t = ra_alloc(c, c->alloc_mask);
    x_mov_rr(xb, true, t, rb);
    if (pos) x_shift_ri(xb, X_SHL, true, t, pos);
    int d;
    if (x_s32((int64_t)m)) {
        x_alu_ri(xb, X_AND, true, t, (int32_t)m);
        d = dst_from(c, a, ra, true);
        x_alu_ri(xb, X_AND, true, d, (int32_t)~m);
    } else {
        int s = ra_alloc(c, c->alloc_mask);
        x_mov_ri(xb, s, m, true);
        x_alu_rr(xb, X_AND, true, t, s);
        x_grp3(xb, 2, true, s);
        d = dst_from(c, a, ra, true);
        x_alu_rr(xb, X_AND, true, d, s);
    }
    x_alu_rr(xb, X_OR, true, d, t);
    if (!w) x_mov_rr(xb, false, d, d);
    ra_bind(c, i->dst, d);
}

/* compare a[0] with a[1] (register or immediate); returns the condition code */
static enum x_cc gen_cmp(struct cg *c, const struct cgi *ci, int ra, int rb)
{
    if (ci->cond >= IR_NUM_CONDS) {
        c->err = -EINVAL;
        return X_CC_E;
    }
    if (ci->imm1 && c->v[ci->a[1]].k == 0)
        x_test_rr(&c->xb, ci->cw64, ra, ra); /* against 0: the same flags as cmp */
    else if (ci->imm1)
        x_alu_ri(&c->xb, X_CMP, ci->cw64, ra, (int32_t)c->v[ci->a[1]].k);
    else
        x_alu_rr(&c->xb, X_CMP, ci->cw64, ra, rb);
    return cc_of[ci->cond];
}

static void gen_setcc(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    int ra = ra_use(c, ci->a[0], c->alloc_mask);
    int rb = ci->imm1 ? -1 : ra_use(c, ci->a[1], c->alloc_mask);
    int d = ra_reuse(c, ci->a[0]);
    if (d < 0 && !ci->imm1) d = ra_reuse(c, ci->a[1]);
    if (d < 0) d = ra_alloc(c, c->alloc_mask);
    enum x_cc cc = gen_cmp(c, ci, ra, rb);
    x_setcc(&c->xb, cc, d);
    x_movzx8(&c->xb, d, d);
    ra_bind(c, i->dst, d);
}

static void gen_select(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    bool w = i->type == IR_I64 || i->type == IR_F64;
    ir_val x = ci->fused ? ci->a[2] : ci->a[1], y = ci->fused ? ci->a[3] : ci->a[2];
    int rc0 = ra_use(c, ci->a[0], c->alloc_mask);
    int rc1 = ci->fused && !ci->imm1 ? ra_use(c, ci->a[1], c->alloc_mask) : -1;
    int rx = ra_use(c, x, c->alloc_mask), ry = ra_use(c, y, c->alloc_mask);
    int d = ra_reuse(c, y);
    if (d < 0) {
        d = ra_alloc(c, c->alloc_mask);
        x_mov_rr(&c->xb, w, d, ry);
    }
    enum x_cc cc;
    if (ci->fused) {
        cc = gen_cmp(c, ci, rc0, rc1);
    } else {
        x_test_rr(&c->xb, true, rc0, rc0);
        cc = X_CC_NE;
    }
    x_cmov(&c->xb, cc, w, d, rx);
    if (!w) x_mov_rr(&c->xb, false, d, d);
    ra_bind(c, i->dst, d);
}

/* ---- memory ---- */

/* A base masked at block entry for value a, or -1. */
static int masked_base(struct cg *c, ir_val a)
{
    for (unsigned k = 0; k < c->n_mb; k++)
        if (c->mb[k].v == a) return c->mb[k].reg;
    return -1;
}

/* Plain user-mode accesses whose base is a guest register as the block found it: when one
 * base serves several accesses, mask it once at entry and check there that base + every
 * displacement stays inside [0, 2^39) (else the block declines, JIT_INTERP), so each
 * access is one instruction. At most three bases, in callee-saved registers. */
static bool state_helper(const struct ir_insn *i)
{
    return i->op >= IR_CALL0 && i->op <= IR_CALL3 &&
           (((const struct ir_helper *)(uintptr_t)i->imm)->flags & IR_HELPER_STATE);
}

static bool written_in(const int32_t *w, unsigned n, int32_t off)
{
    for (unsigned k = 0; k < n; k++)
        if (w[k] < off + 8 && off < w[k] + 8) return true;
    return false;
}

/* In a block with a back edge (whole) a base must hold for the iteration: one whose field
 * the block writes is masked again at the loop head each time round (per_iter); at most
 * two bases, which leaves registers for pins. */
static void find_masked_bases(struct cg *c, bool whole)
{
    const struct ir_block *b = c->b;
    struct { ir_val v; int32_t off, dmin, dmax; uint32_t n; bool per_iter; } cand[16];
    unsigned nc = 0;
    int32_t written[32], anyw[32];
    unsigned nw = 0, nanyw = 0;
    bool all_written = false;
    for (uint32_t j = 0; whole && j < b->n_insn; j++) {
        const struct ir_insn *i = &b->insn[j];
        if (i->op == IR_PUT && nanyw < 32) anyw[nanyw++] = (int32_t)i->imm;
        else if (i->op == IR_PUT || state_helper(i)) all_written = true;
    }
    for (uint32_t j = 0; j < b->n_insn; j++) {
        const struct ir_insn *i = &b->insn[j];
        const struct cgi *ci = &c->in[j];
        if (ci->skip && i->op != IR_GET) continue;
        if (i->op == IR_PUT) {
            if (nw < 32) written[nw++] = (int32_t)i->imm;
            else all_written = true;
        } else if (state_helper(i)) {
            all_written = true;
        } else if (i->op == IR_GET && i->type == IR_I64 && !all_written && nc < 16) {
            int32_t off = (int32_t)i->imm;
            if (!written_in(written, nw, off))
                cand[nc++] = (typeof(cand[0])){.v = i->dst, .off = off, .dmin = INT32_MAX,
                                               .dmax = INT32_MIN,
                                               .per_iter = whole && written_in(anyw, nanyw, off)};
        } else if ((i->op == IR_LOAD || i->op == IR_STORE) && !ci->skip && ci->a[0] &&
                   !i->mem.align && i->mem.order == IR_ORD_PLAIN) {
            for (unsigned k = 0; k < nc; k++)
                if (cand[k].v == ci->a[0] && ci->disp > -(1 << 30) && ci->disp < (1 << 30)) {
                    cand[k].n++;
                    if (ci->disp < cand[k].dmin) cand[k].dmin = ci->disp;
                    if (ci->disp > cand[k].dmax) cand[k].dmax = ci->disp;
                }
        }
    }
    static const int8_t regs[3] = {X_RBX, X_R12, X_R13};
    while (c->n_mb < (whole ? 2u : 3u)) {
        int best = -1;
        for (unsigned k = 0; k < nc; k++)
            if (cand[k].n >= 2 && (best < 0 || cand[k].n > cand[best].n)) best = (int)k;
        if (best < 0) break;
        unsigned m = c->n_mb++;
        c->mb[m].v = cand[best].v;
        c->mb[m].off = cand[best].off;
        c->mb[m].dmin = cand[best].dmin;
        c->mb[m].dmax = cand[best].dmax;
        c->mb[m].n = cand[best].n;
        c->mb[m].per_iter = cand[best].per_iter;
        c->mb[m].reg = regs[m];
        c->alloc_mask &= ~RM(regs[m]);
        cand[best].n = 0;
    }
}

/* Set up the masked bases (at the entry, or per_iter ones at the loop head): base + dmax
 * + 7 <= mask (the last byte of any access) and base + dmin >= 0, else decline (the
 * block is interpreted this time: state is as at its start) */
static void emit_masked_bases(struct cg *c, bool per_iter)
{
    for (unsigned k = 0; k < c->n_mb; k++) {
        if (c->mb[k].per_iter != per_iter) continue;
        int r = c->mb[k].reg;
        cg_state_load(c, r, c->mb[k].off, true);
        x_alu_rr(&c->xb, X_AND, true, r, CG_REG_MEMMASK);
        x_lea(&c->xb, X_RAX, r, X_NOREG, 0, c->mb[k].dmax + 7);
        x_alu_rr(&c->xb, X_CMP, true, X_RAX, CG_REG_MEMMASK);
        uint32_t j = x_jcc32(&c->xb, X_CC_A);
        add_stub(c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = c->b->pc, .exit = 2});
        if (c->mb[k].dmin < 0) {
            x_alu_ri(&c->xb, X_CMP, true, r, -c->mb[k].dmin);
            j = x_jcc32(&c->xb, X_CC_B);
            add_stub(c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = c->b->pc, .exit = 2});
        }
    }
}

/* Does the block have an exit to its own start (a loop)? */
static bool has_back_edge(const struct cg *c)
{
    for (uint32_t j = 0; j < c->b->n_insn; j++) {
        const struct ir_insn *i = &c->b->insn[j];
        if ((i->op == IR_EXIT_IF || i->op == IR_GOTO) && i->imm == c->b->pc) return true;
    }
    return false;
}

/* A loop block's guest registers to pin (cg.pin): 64-bit fields the block reaches only by
 * I64 GET/PUT, loop-carried ones (read, then written) first, then by uses; at most
 * CG_MAX_PIN minus the masked bases, in the registers those left. */
static void find_pins(struct cg *c)
{
    const struct ir_block *b = c->b;
    struct { int32_t off; uint32_t uses; bool put, carried, bad; } f[32];
    unsigned nf = 0;
    for (uint32_t j = 0; j < b->n_insn; j++) {
        const struct ir_insn *i = &b->insn[j];
        if (i->op != IR_GET && i->op != IR_PUT) continue;
        if (i->op == IR_GET && c->in[j].skip) continue;
        int32_t off = (int32_t)i->imm;
        unsigned w = i->type == IR_I64 || i->type == IR_F64 ? 8 : 4;
        bool ok = i->type == IR_I64 && off >= (int32_t)sizeof(struct cpu_common) && !(off & 7);
        int k = -1;
        for (unsigned q = 0; q < nf; q++) {
            if (f[q].off == off) k = (int)q;
            else if (f[q].off < off + (int32_t)w && off < f[q].off + 8) f[q].bad = true;
        }
        if (k < 0) {
            if (nf == 32) continue;
            k = (int)nf++;
            f[k] = (typeof(f[0])){.off = off};
        }
        if (!ok) f[k].bad = true;
        if (i->op == IR_GET) {
            if (!f[k].put) f[k].carried = true;
            f[k].uses += c->v[i->dst].ue - c->v[i->dst].uc;
        } else {
            f[k].put = true;
            f[k].uses++;
        }
    }
    for (unsigned k = 0; k < c->n_mb; k++) /* a base's accesses have their register */
        for (unsigned q = 0; q < nf; q++)
            if (f[q].off == c->mb[k].off && !c->mb[k].per_iter) f[q].bad = true;
    static const int8_t regs[CG_MAX_PIN] = {X_RBX, X_R12, X_R13, X_R10, X_R11};
    unsigned r = 0;
    while (c->n_pin + c->n_mb < CG_MAX_PIN) {
        int best = -1;
        uint32_t best_score = 1;
        for (unsigned q = 0; q < nf; q++) {
            if (f[q].bad) continue;
            uint32_t score = f[q].uses + (f[q].carried && f[q].put ? 1000 : 0);
            if (score > best_score) {
                best = (int)q;
                best_score = score;
            }
        }
        if (best < 0) break;
        while (!(c->alloc_mask & RM(regs[r]))) r++; /* taken by a masked base */
        c->pin[c->n_pin].off = f[best].off;
        c->pin[c->n_pin].reg = regs[r];
        c->pin[c->n_pin].dirty = f[best].put;
        c->n_pin++;
        c->alloc_mask &= ~RM(regs[r]);
        f[best].bad = true;
    }
}

/* The host address of a[0] + disp in user mode: returns the register holding the offset
 * from r15 (a fresh locked register). */
static int user_addr(struct cg *c, ir_val a, int32_t disp, bool can_reuse)
{
    int t;
    if (!a) {
        t = ra_alloc(c, c->alloc_mask);
        x_mov_ri(&c->xb, t, (uint64_t)(int64_t)disp, true);
    } else {
        int ra = ra_use_ro(c, a);
        t = can_reuse ? ra_reuse(c, a) : -1;
        if (t < 0) {
            t = ra_alloc(c, c->alloc_mask);
            if (disp) x_lea(&c->xb, t, ra, X_NOREG, 0, disp);
            else x_mov_rr(&c->xb, true, t, ra);
        } else if (disp) {
            x_lea(&c->xb, t, t, X_NOREG, 0, disp);
        }
    }
    x_alu_rr(&c->xb, X_AND, true, t, CG_REG_MEMMASK);
    return t;
}

/* misaligned atomic or ordered access: raise through the stub */
static void check_align(struct cg *c, int raddr, unsigned size)
{
    if (!size) return;
    x_rr(&c->xb, 0xf7 | X_W, 0, raddr); /* test raddr, imm32 */
    x_d(&c->xb, (1u << size) - 1);
    uint32_t j = x_jcc32(&c->xb, X_CC_NE);
    add_stub(c, (struct cg_stub){.kind = STUB_MISALIGN, .from = j, .reg = (int8_t)raddr, .pc = c->cur_pc});
}

static unsigned mem_pack(const struct ir_insn *i)
{
    const struct ir_memop *m = &i->mem;
    bool w64 = i->type == IR_I64 || i->type == IR_F64;
    return m->size | (m->sign ? 4u : 0) | (w64 ? 8u : 0) | (unsigned)m->order << 4 | (m->align ? 64u : 0);
}

/* System mode, a plain access: the SoftMMU TLB's one-compare fast path inline (mem/tlb.h):
 * entry = tlb->data + ((addr >> 12) & (TLB_SIZE - 1)) (data is the current data index's
 * table), hit iff (addr & (page mask | size - 1)) == entry->tag[acc], host = addr +
 * entry->addend. A miss, MMIO, code page or misaligned access takes the runtime call (out
 * of line). Returns the register holding the addend; *j_miss is the jump to the slow path. */
static int gen_tlb_lookup(struct cg *c, int ra, unsigned size, enum tlb_access acc,
                          uint32_t *j_miss)
{
    struct xb *xb = &c->xb;
    int t1 = ra_alloc(c, c->alloc_mask), t2 = ra_alloc(c, c->alloc_mask);
    x_load(xb, 3, false, true, t1, CG_REG_BASE, X_NOREG, (int32_t)offsetof(struct cpu_common, tlb));
    x_load(xb, 3, false, true, t1, t1, X_NOREG, (int32_t)offsetof(struct tlb, data));
    x_mov_rr(xb, true, t2, ra);
    x_shift_ri(xb, X_SHR, true, t2, TLB_PAGE_BITS);
    x_alu_ri(xb, X_AND, false, t2, TLB_SIZE - 1);
    x_shift_ri(xb, X_SHL, false, t2, 5); /* sizeof(struct tlb_entry) */
    x_alu_rr(xb, X_ADD, true, t1, t2);    /* the entry */
    x_mov_rr(xb, true, t2, ra);
    x_alu_ri(xb, X_AND, true, t2, (int32_t)(uint32_t)(TLB_PAGE_MASK | ((1u << size) - 1)));
    x_rm(xb, 0x3b | X_W, t2, t1, X_NOREG, 0,
         (int32_t)(offsetof(struct tlb_entry, tag) + 8 * (unsigned)acc)); /* cmp t2, tag */
    *j_miss = x_jcc32(xb, X_CC_NE);
    x_load(xb, 3, false, true, t1, t1, X_NOREG, (int32_t)offsetof(struct tlb_entry, addend));
    return t1;
}

_Static_assert(sizeof(struct tlb_entry) == 32, "the inline TLB lookup's entry size");

static void gen_load(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    const struct ir_memop *m = &i->mem;
    bool w64 = i->type == IR_I64 || i->type == IR_F64;
    if (c->req->sys && m->order == IR_ORD_PLAIN && !m->align && ci->a[0]) {
        int ra = ra_use(c, ci->a[0], c->alloc_mask);
        uint32_t j_miss;
        int ad = gen_tlb_lookup(c, ra, m->size, TLB_LOAD, &j_miss);
        int d = ra_alloc(c, c->alloc_mask);
        x_load(&c->xb, m->size, m->sign, w64, d, ad, ra, 0);
        struct cg_stub s = {.kind = STUB_CALL, .from = j_miss, .fn = (const void *)jit_rt_tlb_ld,
                            .nargs = 1, .args = {(int8_t)ra}, .has_imm = 1, .pc = mem_pack(i),
                            .setpc = 1, .pcv = c->cur_pc, .reg = (int8_t)d, .xres = -1,
                            .back = x_off(&c->xb)};
        add_stub(c, s);
        ra_bind(c, i->dst, d);
        return;
    }
    if (c->req->sys) {
        ir_val args[2] = {ci->a[0], 0};
        uint64_t imm[2] = {0, mem_pack(i)};
        emit_call(c, (const void *)jit_rt_tlb_ld, 2, args, imm, i->dst, true);
        return;
    }
    int t, mbr = m->align || m->order != IR_ORD_PLAIN ? -1 : masked_base(c, ci->a[0]);
    if (mbr >= 0) { /* [r15 + masked base + disp] */
        if ((i->type == IR_F64 && m->size == 3) || (i->type == IR_F32 && m->size == 2)) {
            int xd = ra_xalloc(c);
            map_here(c);
            if (m->size == 3) x_movq_xm(&c->xb, xd, CG_REG_MEMBASE, mbr, ci->disp);
            else x_movd_xm(&c->xb, xd, CG_REG_MEMBASE, mbr, ci->disp);
            ra_xbind(c, i->dst, xd);
            return;
        }
        int d = ra_alloc(c, c->alloc_mask);
        map_here(c);
        x_load(&c->xb, m->size, m->sign, w64, d, CG_REG_MEMBASE, mbr, ci->disp);
        ra_bind(c, i->dst, d);
        return;
    }
    if (m->align) {
        int ra = ra_use(c, ci->a[0], c->alloc_mask);
        check_align(c, ra, m->size);
    }
    t = user_addr(c, ci->a[0], ci->disp, true);
    if (m->order == IR_ORD_SEQ) x_mfence(&c->xb);
    if ((i->type == IR_F64 && m->size == 3) || (i->type == IR_F32 && m->size == 2)) {
        /* an FP value goes where FP code wants it */
        int xd = ra_xalloc(c);
        map_here(c);
        if (m->size == 3) x_movq_xm(&c->xb, xd, CG_REG_MEMBASE, t, 0);
        else x_movd_xm(&c->xb, xd, CG_REG_MEMBASE, t, 0);
        ra_xbind(c, i->dst, xd);
        return;
    }
    map_here(c);
    x_load(&c->xb, m->size, m->sign, w64, t, CG_REG_MEMBASE, t, 0);
    ra_bind(c, i->dst, t);
}

/* Eight byte stores in a row to base + d .. base + d + 7 (a masked base; nothing else
 * in between): when base + d is 8-aligned, the first of them (exact fault address and
 * pc) and then one 8-byte store of the assembled value (the same page: it cannot fault
 * once the first did not); else the bytes one by one in their order. A later 8-byte load of the same bytes then forwards from
 * the store instead of stalling until eight stores retire (the way compilers without
 * unaligned access copy a word). Returns false if j does not start such a group. */
static bool gen_store_merged(struct cg *c, uint32_t j)
{
    const struct cgi *ci = &c->in[j];
    const struct ir_insn *i = &c->b->insn[j];
    int mbr = masked_base(c, ci->a[0]);
    if (mbr < 0 || i->mem.size != 0 || i->mem.align || i->mem.order != IR_ORD_PLAIN) return false;
    uint32_t at[8], n = 0;
    uint64_t pcs[8], pc = c->cur_pc;
    uint8_t seen = 0;
    for (uint32_t k = j; k < c->b->n_insn && n < 8; k++) {
        const struct ir_insn *x = &c->b->insn[k];
        if (x->op == IR_INSN_START) {
            pc = x->imm;
            continue;
        }
        if (c->in[k].skip) continue;
        const struct cgi *xk = &c->in[k];
        if (x->op != IR_STORE || x->mem.size != 0 || x->mem.align || x->mem.order != IR_ORD_PLAIN ||
            xk->a[0] != ci->a[0] || cg_is_const(c, xk->a[1]) || !xk->a[1])
            return false;
        pcs[n] = pc;
        at[n++] = k;
    }
    if (n < 8) return false;
    int32_t d0 = INT32_MAX;
    for (uint32_t k = 0; k < n; k++)
        if (c->in[at[k]].disp < d0) d0 = c->in[at[k]].disp;
    for (uint32_t k = 0; k < n; k++) {
        int64_t o = (int64_t)c->in[at[k]].disp - d0;
        if (o > 7 || (seen & (1u << o))) return false;
        seen |= (uint8_t)(1u << o);
    }
    /* assemble: t = byte7 .. byte0 */
    struct xb *xb = &c->xb;
    int t = ra_alloc(c, c->alloc_mask), tmp = ra_alloc(c, c->alloc_mask);
    for (int o = 7; o >= 0; o--) {
        uint32_t k = 0;
        while (c->in[at[k]].disp - d0 != o) k++;
        int r = ra_use(c, c->in[at[k]].a[1], c->alloc_mask);
        if (o == 7) {
            x_movzx8(xb, t, r);
        } else {
            x_shift_ri(xb, X_SHL, true, t, 8);
            x_movzx8(xb, tmp, r);
            x_alu_rr(xb, X_OR, true, t, tmp);
        }
        if (r != t && r != tmp) c->locked &= ~RM(r);
    }
    x_lea(xb, tmp, mbr, X_NOREG, 0, d0);
    x_rr(xb, 0xf7, 0, tmp); /* test tmp32, 7 */
    x_d(xb, 7);
    uint32_t j_slow = x_jcc32(xb, X_CC_NE);
    int o1 = c->in[at[0]].disp - d0;
    x_mov_rr(xb, true, tmp, t);
    if (o1) x_shift_ri(xb, X_SHR, true, tmp, 8u * (unsigned)o1);
    map_here(c);
    x_store(xb, 0, tmp, CG_REG_MEMBASE, mbr, d0 + o1);
    x_store(xb, 3, t, CG_REG_MEMBASE, mbr, d0);
    uint32_t j_done = x_jmp32(xb);
    x_patch32(xb, j_slow, x_off(xb));
    uint64_t save_pc = c->cur_pc;
    for (uint32_t k = 0; k < n; k++) { /* program order, each with its own pc */
        int o = c->in[at[k]].disp - d0;
        x_mov_rr(xb, true, tmp, t);
        if (o) x_shift_ri(xb, X_SHR, true, tmp, 8u * (unsigned)o);
        c->cur_pc = pcs[k];
        map_here(c);
        x_store(xb, 0, tmp, CG_REG_MEMBASE, mbr, d0 + o);
    }
    c->cur_pc = save_pc;
    x_patch32(xb, j_done, x_off(xb));
    for (uint32_t k = 1; k < n; k++)
        c->merged[c->n_merged++] = at[k]; /* their uses end after this insn's (gen_insn) */
    return true;
}

static void gen_store(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    const struct ir_memop *m = &i->mem;
    ir_val v = ci->a[1];
    if (c->req->sys && m->order == IR_ORD_PLAIN && !m->align && ci->a[0]) {
        int ra = ra_use(c, ci->a[0], c->alloc_mask), rv = ra_use(c, v, c->alloc_mask);
        uint32_t j_miss;
        int ad = gen_tlb_lookup(c, ra, m->size, TLB_STORE, &j_miss);
        x_store(&c->xb, m->size, rv, ad, ra, 0);
        struct cg_stub s = {.kind = STUB_CALL, .from = j_miss, .fn = (const void *)jit_rt_tlb_st,
                            .nargs = 2, .args = {(int8_t)ra, (int8_t)rv}, .has_imm = 1,
                            .pc = mem_pack(i), .setpc = 1, .pcv = c->cur_pc, .reg = -1,
                            .xres = -1, .back = x_off(&c->xb)};
        add_stub(c, s);
        return;
    }
    if (c->req->sys) {
        ir_val args[3] = {ci->a[0], v, 0};
        uint64_t imm[3] = {0, 0, mem_pack(i)};
        emit_call(c, (const void *)jit_rt_tlb_st, 3, args, imm, 0, true);
        return;
    }
    if (gen_store_merged(c, c->cur)) return;
    bool vimm = cg_is_const(c, v) && (m->size < 3 || x_s32((int64_t)c->v[v].k));
    int mbr = m->align || m->order != IR_ORD_PLAIN ? -1 : masked_base(c, ci->a[0]);
    if (mbr >= 0) { /* [r15 + masked base + disp] */
        struct cgv *u = &c->v[v];
        map_here(c);
        if (!vimm && v && u->reg < 0 && u->xreg >= 0 &&
            ((u->w64 && m->size == 3) || (!u->w64 && m->size == 2))) {
            int xr = ra_xuse(c, v);
            map_here(c);
            if (m->size == 3) x_movq_mx(&c->xb, xr, CG_REG_MEMBASE, mbr, ci->disp);
            else x_movd_mx(&c->xb, xr, CG_REG_MEMBASE, mbr, ci->disp);
        } else if (vimm) {
            x_store_i(&c->xb, m->size, (int32_t)c->v[v].k, CG_REG_MEMBASE, mbr, ci->disp);
        } else {
            int rv = ra_use(c, v, c->alloc_mask);
            map_here(c);
            x_store(&c->xb, m->size, rv, CG_REG_MEMBASE, mbr, ci->disp);
        }
        return;
    }
    struct cgv *xv = &c->v[v];
    if (!vimm && v && xv->reg < 0 && xv->xreg >= 0 && !m->align && m->order == IR_ORD_PLAIN &&
        ((xv->w64 && m->size == 3) || (!xv->w64 && m->size == 2))) {
        int xr = ra_xuse(c, v); /* an FP value still in its xmm register */
        int t = user_addr(c, ci->a[0], ci->disp, true);
        map_here(c);
        if (m->size == 3) x_movq_mx(&c->xb, xr, CG_REG_MEMBASE, t, 0);
        else x_movd_mx(&c->xb, xr, CG_REG_MEMBASE, t, 0);
        return;
    }
    int rv = vimm ? -1 : ra_use(c, v, c->alloc_mask);
    if (m->align) {
        int ra = ra_use(c, ci->a[0], c->alloc_mask);
        check_align(c, ra, m->size);
    }
    int t = user_addr(c, ci->a[0], ci->disp, ci->a[0] != v);
    map_here(c);
    if (vimm)
        x_store_i(&c->xb, m->size, (int32_t)c->v[v].k, CG_REG_MEMBASE, t, 0);
    else
        x_store(&c->xb, m->size, rv, CG_REG_MEMBASE, t, 0);
    if (m->order == IR_ORD_SEQ) x_mfence(&c->xb);
}

/* old (1 << size bytes, zero-extended in r) -> the value a load of memop m would give */
static void extend_old(struct cg *c, const struct ir_insn *i, int r)
{
    const struct ir_memop *m = &i->mem;
    bool w64 = i->type == IR_I64 || i->type == IR_F64;
    struct xb *xb = &c->xb;
    switch (m->size) {
    case 0: if (m->sign) x_movsx8(xb, w64, r, r); else x_movzx8(xb, r, r); break;
    case 1: if (m->sign) x_movsx16(xb, w64, r, r); else x_movzx16(xb, r, r); break;
    case 2: if (m->sign && w64) x_movsxd(xb, r, r); else x_mov_rr(xb, false, r, r); break;
    default: if (!w64) x_mov_rr(xb, false, r, r); break;
    }
}

static uint32_t sz_opc(unsigned size, uint32_t opc16_32_64)
{
    /* the byte form is the 16/32/64-bit opcode minus one */
    switch (size) {
    case 0: return (opc16_32_64 - 1) | X_BYTE;
    case 1: return opc16_32_64 | X_P66;
    case 2: return opc16_32_64;
    default: return opc16_32_64 | X_W;
    }
}

static void gen_rmw(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    const struct ir_memop *m = &i->mem;
    struct xb *xb = &c->xb;
    if (i->aux >= IR_NUM_RMW || m->size > 3) {
        c->err = -EINVAL;
        return;
    }
    if (c->req->sys) {
        ir_val args[3] = {ci->a[0], ci->a[1], 0};
        uint64_t imm[3] = {0, 0, mem_pack(i) | (uint64_t)i->aux << 8};
        emit_call(c, (const void *)jit_rt_tlb_rmw, 3, args, imm, i->dst, true);
        return;
    }
    enum ir_rmw k = (enum ir_rmw)i->aux;
    bool loop = k != IR_RMW_XCHG && k != IR_RMW_ADD;
    if (loop) ra_take(c, X_RAX);
    uint32_t mask = c->alloc_mask & ~(loop ? RM(X_RAX) : 0);
    int ra = ra_use(c, ci->a[0], mask);
    if (m->align) check_align(c, ra, m->size);
    int rv = ra_use(c, ci->a[1], mask);
    int t = ra_alloc(c, mask);
    x_mov_rr(xb, true, t, ra);
    x_alu_rr(xb, X_AND, true, t, CG_REG_MEMMASK);
    int d;
    if (!loop) {
        d = ra_alloc(c, mask);
        x_mov_rr(xb, true, d, rv);
        map_here(c);
        if (k == IR_RMW_XCHG)
            x_rm(xb, sz_opc(m->size, 0x87), d, CG_REG_MEMBASE, t, 0, 0);
        else
            x_rm(xb, sz_opc(m->size, 0xc1) | X_0F | X_LOCK, d, CG_REG_MEMBASE, t, 0, 0);
    } else {
        int s = ra_alloc(c, mask);
        map_here(c);
        x_load(xb, m->size, false, true, X_RAX, CG_REG_MEMBASE, t, 0);
        uint32_t top = x_off(xb);
        x_mov_rr(xb, true, s, rv);
        bool w = m->size == 3;
        switch (k) {
        case IR_RMW_AND: x_alu_rr(xb, X_AND, w, s, X_RAX); break;
        case IR_RMW_OR: x_alu_rr(xb, X_OR, w, s, X_RAX); break;
        case IR_RMW_XOR: x_alu_rr(xb, X_XOR, w, s, X_RAX); break;
        default: {
            /* s = v; keep old where old is the min/max: compare at the access size */
            enum x_cc cc = k == IR_RMW_MIN ? X_CC_L : k == IR_RMW_MAX ? X_CC_G : k == IR_RMW_MINU ? X_CC_B : X_CC_A;
            x_rr(xb, sz_opc(m->size, 0x39), s, X_RAX); /* cmp old, v at the size */
            x_cmov(xb, cc, true, s, X_RAX);
            break;
        }
        }
        x_rm(xb, sz_opc(m->size, 0xb1) | X_0F | X_LOCK, s, CG_REG_MEMBASE, t, 0, 0);
        uint32_t j = x_jcc32(xb, X_CC_NE);
        x_patch32(xb, j, top);
        d = X_RAX;
    }
    extend_old(c, i, d);
    ra_bind(c, i->dst, d);
}

static void gen_cas(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    const struct ir_memop *m = &i->mem;
    struct xb *xb = &c->xb;
    if (m->size > 3) {
        c->err = -EINVAL;
        return;
    }
    if (c->req->sys) {
        ir_val args[4] = {ci->a[0], ci->a[1], ci->a[2], 0};
        uint64_t imm[4] = {0, 0, 0, mem_pack(i)};
        emit_call(c, (const void *)jit_rt_tlb_cas, 4, args, imm, i->dst, true);
        return;
    }
    ra_take(c, X_RAX);
    uint32_t mask = c->alloc_mask & ~RM(X_RAX);
    int ra = ra_use(c, ci->a[0], mask);
    if (m->align) check_align(c, ra, m->size);
    int rn = ra_use(c, ci->a[2], mask);
    ra_load_into(c, X_RAX, ci->a[1]);
    int t = ra_alloc(c, mask);
    x_mov_rr(xb, true, t, ra);
    x_alu_rr(xb, X_AND, true, t, CG_REG_MEMMASK);
    map_here(c);
    x_rm(xb, sz_opc(m->size, 0xb1) | X_0F | X_LOCK, rn, CG_REG_MEMBASE, t, 0, 0);
    /* rax: the old value (on success it equals the expected one at the size) */
    if (m->size < 3) {
        if (m->size == 0) x_movzx8(xb, X_RAX, X_RAX);
        else if (m->size == 1) x_movzx16(xb, X_RAX, X_RAX);
        else x_mov_rr(xb, false, X_RAX, X_RAX);
    }
    extend_old(c, i, X_RAX);
    ra_bind(c, i->dst, X_RAX);
}

/* ---- FP and helpers ---- */

/* Generated code keeps the guest's pending FP exception flags in MXCSR (inline SSE ops
 * accumulate them there); before anything reads or replaces cpu->fp_flags they move there. */
static void emit_fp_sync(struct cg *c)
{
    ra_state_write(c, OFF_FPFLAGS, 4);
    x_room(&c->xb);
    x_b(&c->xb, 0xe8);
    x_d(&c->xb, (uint32_t)(c->req->host->fp_sync - (c->req->rx + x_off(&c->xb) + 4)));
}

static bool overlaps_fp_flags(uint64_t off, unsigned w)
{
    return off < (uint64_t)OFF_FPFLAGS + 4 && (uint64_t)OFF_FPFLAGS < off + w;
}

static bool overlaps_rm(uint64_t off, unsigned w)
{
    return off < (uint64_t)OFF_FPRM + 4 && (uint64_t)OFF_FPRM < off + w;
}

/* Can this FP op be done by inline SSE? IEEE results in round-to-nearest (or the dynamic
 * mode, checked at run time) with canonical NaNs, which is what SSE gives plus a NaN fixup;
 * everything else (other modes, NaN propagation, FTZ, min/max, unsigned conversions) is a
 * call to src/fpu. */
static bool fp_inline_ok(struct cg *c, const struct ir_insn *i)
{
    uint64_t fpx = i->imm;
    if ((fpx & IR_FPX_NAN_MASK) != IR_FPX_NAN_DEFAULT || (fpx & IR_FPX_FTZ)) return false;
    bool rne = i->aux == IR_RM_RNE || i->aux == IR_RM_DYN;
    switch (i->op) {
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: case IR_FSQRT: case IR_FCVT_F2F:
        return rne;
    case IR_FMA: return rne && c->fma;
    case IR_FCMP: return i->aux <= IR_FCMP_UN;
    case IR_FCVT_F2I: return (fpx & IR_FPX_SIGNED) && (rne || i->aux == IR_RM_RTZ);
    case IR_FCVT_I2F: return rne && ((fpx & IR_FPX_SIGNED) || (fpx & IR_FPX_W32));
    default: return false;
    }
}

static void gen_fp_inline(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    struct xb *xb = &c->xb;
    uint64_t fpx = i->imm;
    bool dbl = i->type == IR_F64;
    if ((i->op == IR_FCMP || i->op == IR_FCVT_F2I) && ci->a[0]) dbl = c->b->vtype[ci->a[0]] == IR_F64;
    bool dyn = i->op != IR_FCMP && i->aux == IR_RM_DYN && !c->dyn_checked;
    bool int_src = i->op == IR_FCVT_I2F, int_dst = i->op == IR_FCMP || i->op == IR_FCVT_F2I;
    unsigned n = ci->n;
    ra_state_write(c, OFF_FPFLAGS, 4); /* its slow path ORs into fp_flags in memory */
    /* operands in xmm registers (an integer source in a GPR) */
    int xa[3] = {-1, -1, -1}, ga = -1;
    if (int_src)
        ga = ra_use(c, ci->a[0], c->alloc_mask);
    else
        for (unsigned k = 0; k < n && k < 3; k++)
            xa[k] = ra_xuse(c, ci->a[k]);
    int d = -1, xd = -1;
    if (int_dst) d = ra_alloc(c, c->alloc_mask);
    unsigned rm = i->aux;
    if (rm != IR_RM_DYN && rm > IR_RM_RMM) rm = IR_RM_RNE;
    uint64_t pk = JIT_FP_PACK(dbl, rm, i->aux & 0xf, i->imm);
    const void *fn = jit_rt_fp_fn[i->op];
    uint32_t j_slow = 0;
    if (dyn) { /* the dynamic mode must be round-to-nearest for the inline path */
        x_rm(xb, 0x83, 7, CG_REG_BASE, X_NOREG, 0, OFF_FPRM);
        x_b(xb, 0);
        j_slow = x_jcc32(xb, X_CC_NE);
    }
    uint32_t j_nan = 0, j_slow2 = 0;
    bool nan_fix = false, rdbl = dbl;
    switch (i->op) {
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: {
        static const uint8_t opc[IR_NUM_OPS] = {[IR_FADD] = 0x58, [IR_FSUB] = 0x5c, [IR_FMUL] = 0x59,
                                                [IR_FDIV] = 0x5e};
        xd = ra_xreuse(c, ci->a[0]);
        if (xd < 0) {
            xd = ra_xalloc(c);
            x_movapd(xb, xd, xa[0]);
        }
        x_sse(xb, dbl, opc[i->op], xd, xa[1]);
        nan_fix = true;
        break;
    }
    case IR_FSQRT:
        xd = ra_xalloc(c);
        x_sse(xb, dbl, 0x51, xd, xa[0]);
        nan_fix = true;
        break;
    case IR_FMA: {
        unsigned op = 0xb9;
        if (fpx & IR_FPX_NEG_PROD) op = fpx & IR_FPX_NEG_ADDEND ? 0xbf : 0xbd;
        else if (fpx & IR_FPX_NEG_ADDEND) op = 0xbb;
        xd = ra_xreuse(c, ci->a[2]);
        if (xd < 0 || ci->a[2] == ci->a[0] || ci->a[2] == ci->a[1]) {
            if (xd >= 0) ra_xbind(c, ci->a[2], xd); /* still an operand: keep it */
            xd = ra_xalloc(c);
            x_movapd(xb, xd, xa[2]);
        }
        x_fma231(xb, dbl, op, xd, xa[0], xa[1]);
        /* a NaN anywhere: the guest's NaN and invalid rules differ from x86's: redo it */
        x_ucomi(xb, dbl, false, xd, xd);
        j_slow2 = x_jcc32(xb, X_CC_P);
        break;
    }
    case IR_FCMP:
        switch (i->aux) {
        case IR_FCMP_EQ: {
            int t = ra_alloc(c, c->alloc_mask);
            x_ucomi(xb, dbl, false, xa[0], xa[1]);
            x_setcc(xb, X_CC_E, d);
            x_setcc(xb, X_CC_NP, t);
            x_rr(xb, 0x20 | X_BYTE, t, d); /* and d8, t8 */
            break;
        }
        case IR_FCMP_LT: x_ucomi(xb, dbl, true, xa[1], xa[0]); x_setcc(xb, X_CC_A, d); break;
        case IR_FCMP_LE: x_ucomi(xb, dbl, true, xa[1], xa[0]); x_setcc(xb, X_CC_AE, d); break;
        default: x_ucomi(xb, dbl, false, xa[0], xa[1]); x_setcc(xb, X_CC_P, d); break;
        }
        x_movzx8(xb, d, d);
        break;
    case IR_FCVT_F2I: {
        bool w = !(fpx & IR_FPX_W32);
        x_cvtf2si(xb, dbl, i->aux == IR_RM_RTZ, w, d, xa[0]);
        /* the x86 "integer indefinite" (also a genuine MIN): the guest's saturation rules */
        x_alu_ri(xb, X_CMP, w, d, 1);
        j_slow2 = x_jcc32(xb, X_CC_O);
        break;
    }
    case IR_FCVT_I2F: {
        bool w = !(fpx & IR_FPX_W32);
        int src = ga;
        if (!w && !(fpx & IR_FPX_SIGNED)) { /* unsigned 32: exact as a 64-bit signed */
            src = ra_alloc(c, c->alloc_mask);
            x_mov_rr(xb, false, src, ga);
            w = true;
        }
        xd = ra_xalloc(c);
        x_xorps(xb, xd, xd);
        x_cvtsi2f(xb, dbl, w, xd, src);
        break;
    }
    case IR_FCVT_F2F: {
        bool to_dbl = i->type == IR_F64;
        xd = ra_xalloc(c);
        x_sse(xb, !to_dbl, 0x5a, xd, xa[0]);
        nan_fix = true;
        rdbl = to_dbl;
        break;
    }
    default: c->err = -ENOTSUP; return;
    }
    if (nan_fix) { /* any NaN result is the canonical one */
        x_ucomi(xb, rdbl, false, xd, xd);
        j_nan = x_jcc32(xb, X_CC_P);
    }
    uint32_t back = x_off(xb);
    if (j_nan)
        add_stub(c, (struct cg_stub){.kind = STUB_CONST, .from = j_nan, .reg = -1, .xres = (int8_t)xd,
                                     .wide = rdbl, .back = back,
                                     .pc = rdbl ? 0x7ff8000000000000ull : 0x7fc00000u});
    /* the runtime function, keeping every register: (a[, b[, c]], pack); unary ops take
     * (a, unused, pack) */
    struct cg_stub sc = {.kind = STUB_CALL, .fn = fn, .has_imm = 1, .pc = pk, .back = back,
                         .reg = (int8_t)d, .xres = (int8_t)xd, .wide = dbl};
    if (int_src) {
        sc.args[0] = (int8_t)ga;
        sc.args[1] = (int8_t)ga;
        sc.nargs = 2;
    } else {
        for (unsigned k = 0; k < n; k++)
            sc.args[k] = (int8_t)(16 + xa[k]);
        sc.nargs = (uint8_t)n;
        if (n == 1) {
            sc.args[1] = sc.args[0];
            sc.nargs = 2;
        }
    }
    if (i->op == IR_FCVT_F2F) sc.wide = !rdbl; /* the operand's width; the result's below */
    if (j_slow) {
        sc.from = j_slow;
        add_stub(c, sc);
    }
    if (j_slow2) {
        sc.from = j_slow2;
        add_stub(c, sc);
    }
    if (int_dst)
        ra_bind(c, i->dst, d);
    else
        ra_xbind(c, i->dst, xd);
}

static void gen_fp(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    if (fp_inline_ok(c, i)) {
        gen_fp_inline(c, i, ci);
        return;
    }
    const void *fn = jit_rt_fp_fn[i->op];
    if (!fn) {
        c->err = -ENOTSUP;
        return;
    }
    bool dbl = i->type == IR_F64;
    if ((i->op == IR_FCMP || i->op == IR_FCVT_F2I) && ci->a[0])
        dbl = c->b->vtype[ci->a[0]] == IR_F64;
    unsigned rm = i->aux;
    if (rm != IR_RM_DYN && rm > IR_RM_RMM) rm = IR_RM_RNE;
    uint64_t pk = JIT_FP_PACK(dbl, rm, i->aux & 0xf, i->imm);
    /* the op ORs into fp_flags: a GET of it still pending must be read before */
    ra_state_write(c, OFF_FPFLAGS, 4);
    ir_val args[4] = {ci->a[0], ci->a[1], ci->a[2], 0};
    uint64_t imm[4] = {0, 0, 0, 0};
    unsigned n = ci->n;
    args[n] = 0;
    imm[n] = pk;
    /* unary ops still take (a, unused, pack) */
    if (n == 1) {
        args[1] = 0;
        imm[1] = 0;
        args[2] = 0;
        imm[2] = pk;
        n = 2;
    }
    emit_call(c, fn, n + 1, args, imm, i->dst, false);
}

static void gen_call(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
    if (!h || !h->fn) {
        c->err = -EINVAL;
        return;
    }
    bool touches = h->flags & (IR_HELPER_STATE | IR_HELPER_FAULT);
    /* helpers that read guest state see the pending FP flags; FP helpers only OR into them */
    if (h->flags & IR_HELPER_STATE) {
        ra_state_clobber_all(c);
        emit_fp_sync(c);
    } else if (h->flags & IR_HELPER_FP) {
        ra_state_write(c, OFF_FPFLAGS, 4);
    }
    ir_val args[3] = {ci->a[0], ci->a[1], ci->a[2]};
    uint64_t imm[3] = {0, 0, 0};
    if ((h->flags & IR_HELPER_RM_CHECK) && !i->dst) {
        /* a no-op while fp_rm is valid: call it only when it would act (out of line) */
        int args_r[3];
        for (unsigned k = 0; k < ci->n; k++)
            args_r[k] = ra_use(c, ci->a[k], c->alloc_mask);
        x_rm(&c->xb, 0x83, 7, CG_REG_BASE, X_NOREG, 0, OFF_FPRM); /* cmp dword fp_rm, RMM */
        x_b(&c->xb, IR_RM_RMM);
        uint32_t j = x_jcc32(&c->xb, X_CC_A);
        /* the stub stores pc (the helper faults), calls it keeping every register */
        struct cg_stub st = {.kind = STUB_CALL, .from = j, .fn = h->fn, .nargs = (uint8_t)ci->n,
                             .pcv = c->cur_pc, .reg = -1, .xres = -1, .back = x_off(&c->xb),
                             .setpc = 1};
        for (unsigned k = 0; k < ci->n; k++)
            st.args[k] = (int8_t)args_r[k];
        add_stub(c, st);
        return;
    }
    emit_call(c, h->fn, ci->n, args, imm, i->dst, touches);
    if (h->flags & IR_HELPER_STATE) pin_loads(c, false); /* it may have written them */
}

/* ---- exits ---- */

/* a jmp rel32 with its field 4-byte aligned; returns the field's offset */
static uint32_t patchable_jmp(struct cg *c)
{
    unsigned mis = (x_off(&c->xb) + 1) & 3;
    if (mis) x_nop(&c->xb, 4 - mis);
    return x_jmp32(&c->xb);
}

/* An exit to the block's own start in a loop block: it becomes a jump to the loop head.
 * Its exit slot is used up and never chained. */
static bool back_edge(struct cg *c, const struct ir_insn *i)
{
    if (!c->loop || i->imm != c->b->pc) return false;
    struct tb *tb = c->req->tb;
    uint32_t e = c->n_exits++;
    if (e >= tb->n_exits || tb->exits[e].pc != i->imm) {
        c->err = -ENOTSUP;
        return true;
    }
    tb->exits[e].jit_jmp = tb->exits[e].jit_stub = NULL;
    return true;
}

static void gen_exit_if(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    enum x_cc cc;
    if (ci->fused) {
        int ra = ra_use_ro(c, ci->a[0]);
        int rb = ci->imm1 ? -1 : ra_use_ro(c, ci->a[1]);
        cc = gen_cmp(c, ci, ra, rb);
    } else {
        int ra = ra_use_ro(c, ci->a[0]);
        x_test_rr(&c->xb, true, ra, ra);
        cc = X_CC_NE;
    }
    if (back_edge(c, i)) {
        x_patch32(&c->xb, x_jcc32(&c->xb, cc), c->loop_head);
        return;
    }
    /* a jcc straight to the target once chained: its rel32 field 4-byte aligned */
    unsigned mis = (x_off(&c->xb) + 2) & 3;
    if (mis) x_nop(&c->xb, 4 - mis);
    uint32_t j = x_jcc32(&c->xb, cc);
    add_stub(c, (struct cg_stub){.kind = STUB_EXIT, .from = j, .exit = c->n_exits++, .pc = i->imm});
}

static void gen_goto(struct cg *c, const struct ir_insn *i)
{
    if (back_edge(c, i)) {
        x_patch32(&c->xb, x_jmp32(&c->xb), c->loop_head);
        return;
    }
    uint32_t j = patchable_jmp(c);
    add_stub(c, (struct cg_stub){.kind = STUB_EXIT, .from = j, .exit = c->n_exits++, .pc = i->imm});
}

static void gen_goto_ind(struct cg *c, const struct ir_insn *i, const struct cgi *ci)
{
    struct xb *xb = &c->xb;
    int rv = ra_use(c, ci->a[0], c->alloc_mask);
    pin_stores(c, false);
    ra_state_write(c, OFF_PC, 8);
    x_store(xb, 3, rv, CG_REG_BASE, X_NOREG, OFF_PC);
    if (!c->req->nochain) {
        /* the vCPU's jump cache, inline: jc[((pc >> 1) ^ (pc >> 13)) & mask] */
        int t1 = ra_alloc(c, c->alloc_mask), t2 = ra_alloc(c, c->alloc_mask);
        x_mov_rr(xb, true, t1, rv);
        x_shift_ri(xb, X_SHR, true, t1, 1);
        x_mov_rr(xb, true, t2, rv);
        x_shift_ri(xb, X_SHR, true, t2, EXEC_JC_BITS + 1);
        x_alu_rr(xb, X_XOR, true, t1, t2);
        x_alu_ri(xb, X_AND, false, t1, EXEC_JC_SIZE - 1);
        x_load(xb, 3, false, true, t2, CG_REG_BASE, X_NOREG, OFF_EXEC);
        x_rm(xb, 0x8b | X_W, t1, t2, t1, 3, (int32_t)offsetof(struct exec_ctx, jc));
        x_test_rr(xb, true, t1, t1);
        uint32_t j1 = x_jcc32(xb, X_CC_E);
        x_rm(xb, 0x3b | X_W, rv, t1, X_NOREG, 0, (int32_t)offsetof(struct tb, pc)); /* cmp */
        uint32_t j2 = x_jcc32(xb, X_CC_NE);
        uint32_t j3 = 0;
        if (c->req->sys) { /* user mode never changes tb_flags: no need to compare them */
            x_load(xb, 2, false, false, t2, t1, X_NOREG, (int32_t)offsetof(struct tb, tb_flags));
            x_alu_rm(xb, X_CMP, false, t2, CG_REG_BASE, OFF_TBFLAGS);
            j3 = x_jcc32(xb, X_CC_NE);
        }
        x_load(xb, 3, false, true, t1, t1, X_NOREG, (int32_t)offsetof(struct tb, jit));
        x_test_rr(xb, true, t1, t1);
        uint32_t j4 = x_jcc32(xb, X_CC_E);
        x_jmp_r(xb, t1);
        x_patch32(xb, j1, x_off(xb));
        x_patch32(xb, j2, x_off(xb));
        if (j3) x_patch32(xb, j3, x_off(xb));
        x_patch32(xb, j4, x_off(xb));
    }
    x_rr(xb, 0x31, X_RDX, X_RDX);
    x_mov_ri(xb, X_RAX, (uint32_t)INTERP_LOOKUP, true);
    uint32_t j = x_jmp32(xb);
    x_patch32(xb, j, (uint32_t)(c->req->host->epilogue - c->req->rx));
}

static void gen_exit(struct cg *c, const struct ir_insn *i)
{
    if (i->aux >= IR_NUM_EXITS) {
        c->err = -EINVAL;
        return;
    }
    pin_stores(c, false);
    store_pc(c, i->imm);
    x_mov_ri(&c->xb, X_RAX, i->aux, true);
    x_rr(&c->xb, 0x31, X_RDX, X_RDX);
    uint32_t j = x_jmp32(&c->xb);
    x_patch32(&c->xb, j, (uint32_t)(c->req->host->epilogue - c->req->rx));
}

/* ---- stubs ---- */

static void emit_stubs(struct cg *c)
{
    struct xb *xb = &c->xb;
    uint32_t epi = (uint32_t)(c->req->host->epilogue - c->req->rx);
    uint32_t look = (uint32_t)(c->req->host->exit_lookup - c->req->rx);
    struct tb *tb = c->req->tb;
    for (uint32_t k = 0; k < c->n_stubs; k++) {
        struct cg_stub s = c->stubs[k];
        switch (s.kind) {
        case STUB_EXIT: {
            if (s.exit >= tb->n_exits || tb->exits[s.exit].pc != s.pc) {
                c->err = -ENOTSUP; /* the interpreter's exits differ: leave it to it */
                return;
            }
            struct tb_exit *e = &tb->exits[s.exit];
            x_patch32(xb, s.from, x_off(xb));
            uint32_t site = s.from;
            if (c->n_pin) { /* the pinned registers go home; this jump is the one chained */
                pin_stores(c, false);
                site = patchable_jmp(c);
                x_patch32(xb, site, x_off(xb));
            }
            e->jit_jmp = c->req->rx + site;
            e->jit_stub = c->req->rx + x_off(xb);
            x_mov_ri(xb, X_RDX, (uint64_t)(uintptr_t)e, true);
            x_patch32(xb, x_jmp32(xb), look);
            break;
        }
        case STUB_REQ: /* exit 1: the promotion countdown reached zero */
            x_patch32(xb, s.from, x_off(xb));
            pin_stores(c, false);
            x_store_i(xb, 2, (int32_t)(uint32_t)s.pc, CG_REG_BASE, X_NOREG, OFF_PC);
            x_store_i(xb, 2, (int32_t)(uint32_t)(s.pc >> 32), CG_REG_BASE, X_NOREG, OFF_PC + 4);
            x_mov_ri(xb, X_RAX,
                     (uint32_t)(s.exit == 2 ? JIT_INTERP : s.exit ? JIT_PROMOTE : INTERP_REQUEST), true);
            x_rr(xb, 0x31, X_RDX, X_RDX); /* no exit */
            x_patch32(xb, x_jmp32(xb), epi);
            break;
        case STUB_CONST:
            x_patch32(xb, s.from, x_off(xb));
            if (s.xres >= 0) { /* into an xmm register, through rax */
                x_push(xb, X_RAX);
                x_mov_ri(xb, X_RAX, s.pc, true);
                x_movq_xr(xb, s.wide, s.xres, X_RAX);
                x_pop(xb, X_RAX);
            } else {
                x_mov_ri(xb, s.reg, s.pc, true);
            }
            x_patch32(xb, x_jmp32(xb), s.back);
            break;
        case STUB_CALL: {
            /* keep every caller-saved register but the result's across the call: the
             * GPRs, and the low 64 bits of xmm3-15 (all values use) */
            static const int areg[5] = {X_RSI, X_RDX, X_RCX, X_R8, X_R9};
            int saved[16], ns = 0, nx = 0;
            x_patch32(xb, s.from, x_off(xb));
            for (int r = 0; r < 16; r++)
                if ((CG_CALLER & RM(r)) && r != s.reg) { /* s.reg -1: keep them all */
                    x_push(xb, r);
                    saved[ns++] = r;
                }
            for (int x = 3; x < 16; x++)
                nx += x != s.xres;
            int frame = 8 * nx + (((ns + nx) & 1) ? 8 : 0);
            x_alu_ri(xb, X_SUB, true, X_RSP, frame);
            for (int x = 3, k = 0; x < 16; x++)
                if (x != s.xres) x_movq_mx(xb, x, X_RSP, X_NOREG, 8 * k++);
            int md[5], ms[5];
            unsigned nm = 0;
            for (unsigned a = 0; a < s.nargs; a++)
                if (s.args[a] < 16 && areg[a] != s.args[a]) {
                    md[nm] = areg[a];
                    ms[nm++] = s.args[a];
                }
            x_parallel_move(xb, md, ms, nm);
            for (unsigned a = 0; a < s.nargs; a++) /* xmm arguments: after the GPR moves */
                if (s.args[a] >= 16) x_movq_rx(xb, s.wide, areg[a], s.args[a] - 16);
            if (s.setpc) { /* a helper that may fault: the exact state first */
                pin_stores(c, false);
                x_store_i(xb, 2, (int32_t)(uint32_t)s.pcv, CG_REG_BASE, X_NOREG, OFF_PC);
                x_store_i(xb, 2, (int32_t)(uint32_t)(s.pcv >> 32), CG_REG_BASE, X_NOREG, OFF_PC + 4);
            }
            if (s.has_imm) x_mov_ri(xb, areg[s.nargs], s.pc, true);
            x_mov_rr(xb, true, X_RDI, CG_REG_BASE);
            x_mov_ri(xb, X_RAX, (uint64_t)(uintptr_t)s.fn, true);
            x_call_r(xb, X_RAX);
            if (s.reg >= 0 && s.reg != X_RAX) x_mov_rr(xb, true, s.reg, X_RAX);
            if (s.xres >= 0) x_movq_xr(xb, true, s.xres, X_RAX);
            for (int x = 3, k = 0; x < 16; x++)
                if (x != s.xres) x_movq_xm(xb, x, X_RSP, X_NOREG, 8 * k++);
            x_alu_ri(xb, X_ADD, true, X_RSP, frame);
            while (ns) x_pop(xb, saved[--ns]);
            x_patch32(xb, x_jmp32(xb), s.back);
            break;
        }
        case STUB_MISALIGN:
            x_patch32(xb, s.from, x_off(xb));
            pin_stores(c, false);
            x_store_i(xb, 2, (int32_t)(uint32_t)s.pc, CG_REG_BASE, X_NOREG, OFF_PC);
            x_store_i(xb, 2, (int32_t)(uint32_t)(s.pc >> 32), CG_REG_BASE, X_NOREG, OFF_PC + 4);
            x_mov_rr(xb, true, X_RSI, s.reg);
            x_mov_rr(xb, true, X_RDI, CG_REG_BASE);
            x_mov_ri(xb, X_RAX, (uint64_t)(uintptr_t)jit_rt_misaligned, true);
            x_call_r(xb, X_RAX); /* does not return */
            break;
        default: break;
        }
    }
}

/* ---- the block ---- */

static void gen_insn(struct cg *c, uint32_t j)
{
    const struct ir_insn *i = &c->b->insn[j];
    const struct cgi *ci = &c->in[j];
    if (i->op == IR_INSN_START) {
        c->cur_pc = i->imm;
        c->ninsn++;
        return;
    }
    if (ci->skip) return;
    ra_begin(c, j);
    switch (i->op) {
    case IR_CONST: break; /* materialised where used */
    case IR_GET:
        if (i->imm > INT32_MAX) {
            c->err = -EINVAL;
            break;
        }
        if (overlaps_fp_flags(i->imm, (i->type == IR_I64 || i->type == IR_F64) ? 8 : 4)) emit_fp_sync(c);
        ra_state_add(c, i->dst, (int32_t)i->imm, (i->type == IR_I64 || i->type == IR_F64) ? 8 : 4);
        if (c->v[i->dst].mem < 0) { /* a GET of a field some value already stands for */
            int r = ra_alloc(c, c->alloc_mask);
            cg_state_load(c, r, (int32_t)i->imm, c->v[i->dst].w64);
            ra_bind(c, i->dst, r);
        }
        break;
    case IR_PUT: {
        if (i->imm > INT32_MAX) {
            c->err = -EINVAL;
            break;
        }
        bool w = i->type == IR_I64 || i->type == IR_F64;
        int32_t off = (int32_t)i->imm;
        ir_val v = ci->a[0];
        int rv = -1, p = cg_pin(c, off);
        if (p >= 0) { /* a pinned guest register: a register move */
            bool vk = cg_is_const(c, v);
            int xr = !vk && v && c->v[v].reg < 0 && c->v[v].xreg >= 0 ? ra_xuse(c, v) : -1;
            rv = vk || xr >= 0 ? -1 : ra_use_ro(c, v);
            ra_state_write(c, off, 8);
            if (vk) x_mov_ri(&c->xb, p, c->v[v].k, true);
            else if (xr >= 0) x_movq_rx(&c->xb, true, p, xr);
            else if (rv != p) x_mov_rr(&c->xb, true, p, rv);
            if (v) ra_state_add(c, v, off, 8);
            break;
        }
        bool vimm = cg_is_const(c, v) && (!w || x_s32((int64_t)c->v[v].k));
        int xr = -1;
        if (!vimm && v && c->v[v].reg < 0 && c->v[v].xreg >= 0 && c->v[v].w64 == w)
            xr = ra_xuse(c, v); /* an FP value still in its xmm register */
        else if (!vimm)
            rv = ra_use(c, v, c->alloc_mask);
        if (overlaps_fp_flags(i->imm, w ? 8 : 4)) emit_fp_sync(c); /* pending flags, then replaced */
        ra_state_write(c, off, w ? 8 : 4);
        if (vimm)
            x_store_i(&c->xb, w ? 3 : 2, (int32_t)c->v[v].k, CG_REG_BASE, X_NOREG, off);
        else if (xr >= 0 && w)
            x_movq_mx(&c->xb, xr, CG_REG_BASE, X_NOREG, off);
        else if (xr >= 0)
            x_movd_mx(&c->xb, xr, CG_REG_BASE, X_NOREG, off);
        else
            x_store(&c->xb, w ? 3 : 2, rv, CG_REG_BASE, X_NOREG, off);
        if (v && c->v[v].w64 == w) ra_state_add(c, v, off, w ? 8 : 4);
        break;
    }
    case IR_MOV: {
        ir_val a = ci->a[0];
        if (cg_is_const(c, a)) {
            c->v[i->dst].kind = VK_CONST;
            c->v[i->dst].k = c->v[i->dst].w64 ? c->v[a].k : (uint32_t)c->v[a].k;
            break;
        }
        if (c->v[a].xreg >= 0 && c->v[a].reg < 0 && ra_dies(c, a)) {
            ra_xbind(c, i->dst, ra_xreuse(c, a)); /* a bitcast: the same bits, in place */
            break;
        }
        int ra = ra_use(c, a, c->alloc_mask);
        int d = dst_from(c, a, ra, true);
        ra_bind(c, i->dst, d);
        break;
    }
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: case IR_MUL:
        gen_alu(c, i, ci);
        break;
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR: gen_shift(c, i, ci); break;
    case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU: gen_minmax(c, i, ci); break;
    case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU: gen_div(c, i, ci); break;
    case IR_MULHS: case IR_MULHU: case IR_MULHSU: gen_mulh(c, i, ci); break;
    case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP:
        gen_unop(c, i, ci);
        break;
    case IR_SEXT: case IR_ZEXT: gen_ext(c, i, ci); break;
    case IR_EXTRACT: gen_extract(c, i, ci); break;
    case IR_DEPOSIT: gen_deposit(c, i, ci); break;
    case IR_SETCC: gen_setcc(c, i, ci); break;
    case IR_SELECT: gen_select(c, i, ci); break;
    case IR_LOAD: gen_load(c, i, ci); break;
    case IR_STORE: gen_store(c, i, ci); break;
    case IR_ATOMIC_RMW: gen_rmw(c, i, ci); break;
    case IR_CMPXCHG: gen_cas(c, i, ci); break;
    case IR_FENCE:
        if (i->aux & IR_FENCE_WR) x_mfence(&c->xb);
        break;
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: case IR_FSQRT: case IR_FMA:
    case IR_FMIN: case IR_FMAX: case IR_FCMP: case IR_FCVT_F2I: case IR_FCVT_I2F:
    case IR_FCVT_F2F:
        gen_fp(c, i, ci);
        break;
    case IR_CALL0: case IR_CALL1: case IR_CALL2: case IR_CALL3: gen_call(c, i, ci); break;
    case IR_EXIT_IF: gen_exit_if(c, i, ci); break;
    case IR_GOTO: gen_goto(c, i); break;
    case IR_GOTO_IND: gen_goto_ind(c, i, ci); break;
    case IR_EXIT: gen_exit(c, i); break;
    default: c->err = -ENOTSUP; break;
    }
    ra_end(c, j, ir_opinfo[i->op].has_dst ? i->dst : 0);
    for (unsigned k = 0; k < c->n_merged; k++) { /* stores done with this one */
        ra_end(c, c->merged[k], 0);
        c->in[c->merged[k]].skip = 1;
    }
    c->n_merged = 0;
}

int jit_backend_compile(const struct jit_req *req, struct jit_res *res)
{
    const struct ir_block *b = req->b;
    uint32_t n = b->n_insn, nv = b->n_val;
    if (!n || !(ir_opinfo[b->insn[n - 1].op].flags & IRF_TERM) || nv < 1) return -EINVAL;
    struct cg c = {.req = req, .b = b, .cur_pc = b->pc};
    x86_detect();
    c.bmi1 = x86_has_bmi1;
    c.bmi2 = x86_has_bmi2;
    c.lzcnt = x86_has_lzcnt;
    c.popcnt = x86_has_popcnt;
    c.fma = x86_has_fma;
    c.alloc_mask = req->sys ? CG_ALLOC_SYS : CG_ALLOC_USER;
    c.xb.start = req->rw;
    c.xb.p = req->rw;
    c.xb.end = req->rw + req->cap;
    static __thread struct cg_scratch scr;
    int err = 0;
    if (scr.cap_v < nv) {
        size_t cap = nv < 256 ? 256 : 2 * (size_t)nv;
        void *v = realloc(scr.v, cap * sizeof(*scr.v)), *d = realloc(scr.def, cap * sizeof(*scr.def));
        void *k = realloc(scr.cnt, cap * sizeof(*scr.cnt));
        if (v) scr.v = v;
        if (d) scr.def = d;
        if (k) scr.cnt = k;
        if (!v || !d || !k) return -ENOMEM;
        scr.cap_v = cap;
    }
    if (scr.cap_in < n) {
        size_t cap = n < 256 ? 256 : 2 * (size_t)n;
        void *in = realloc(scr.in, cap * sizeof(*scr.in)), *u = realloc(scr.use_pos, 4 * cap * sizeof(*scr.use_pos));
        if (in) scr.in = in;
        if (u) scr.use_pos = u;
        if (!in || !u) return -ENOMEM;
        scr.cap_in = cap;
    }
    c.v = scr.v;
    c.in = scr.in;
    c.def = scr.def;
    c.cnt = scr.cnt;
    c.use_pos = scr.use_pos;
    c.sb = scr.sb;
    c.cap_sb = scr.cap_sb;
    c.stubs = scr.stubs;
    c.cap_stubs = scr.cap_stubs;
    c.map = scr.map;
    c.cap_map = scr.cap_map;
    if ((err = cg_analyse(&c))) goto out;

    bool back = !req->sys && has_back_edge(&c);
    c.loop = back && !req->nochain; /* check mode runs one iteration per block run */
    if (!req->sys) find_masked_bases(&c, back);
    if (back) find_pins(&c);
    pin_loads(&c, false);
    /* entry: the exit-request check (a loop's is at its head) */
    uint32_t j;
    if (!c.loop) {
        x_rm(&c.xb, 0x83, 7, CG_REG_BASE, X_NOREG, 0, OFF_EXITREQ); /* cmp dword [rbp+o], 0 */
        x_b(&c.xb, 0);
        j = x_jcc32(&c.xb, X_CC_NE);
        add_stub(&c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = b->pc});
    }
    /* tiering: a countdown in the block's data (written through the writable view) */
    if (req->sb_count) { /* nothing is live in rax at the entry */
        x_mov_ri(&c.xb, X_RAX, (uint64_t)(uintptr_t)req->sb_count, true);
        x_rm(&c.xb, 0x83, 5, X_RAX, X_NOREG, 0, 0); /* sub dword [rax], 1 */
        x_b(&c.xb, 1);
        j = x_jcc32(&c.xb, X_CC_E);
        add_stub(&c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = b->pc, .exit = 1});
    }
    /* inline FP in the dynamic rounding mode assumes round-to-nearest: checked once here
     * when nothing in the block can change the mode; otherwise the block is interpreted */
    bool dyn_fp = false, rm_may_change = false;
    for (uint32_t k = 0; k < n; k++) {
        const struct ir_insn *i = &b->insn[k];
        if (c.in[k].skip) continue;
        if ((ir_opinfo[i->op].flags & IRF_FP) && i->op != IR_FCMP && i->aux == IR_RM_DYN &&
            fp_inline_ok(&c, i))
            dyn_fp = true;
        if (i->op == IR_PUT && overlaps_rm(i->imm, i->type == IR_I64 || i->type == IR_F64 ? 8 : 4))
            rm_may_change = true;
        if (i->op >= IR_CALL0 && i->op <= IR_CALL3 &&
            (((const struct ir_helper *)(uintptr_t)i->imm)->flags & IR_HELPER_STATE))
            rm_may_change = true;
    }
    if (dyn_fp && !rm_may_change) {
        x_rm(&c.xb, 0x83, 7, CG_REG_BASE, X_NOREG, 0, OFF_FPRM); /* cmp dword fp_rm, 0 */
        x_b(&c.xb, 0);
        j = x_jcc32(&c.xb, X_CC_NE);
        add_stub(&c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = b->pc, .exit = 2});
        c.dyn_checked = true;
    }
    emit_masked_bases(&c, false);
    if (c.loop) {
        c.loop_head = x_off(&c.xb);
        x_rm(&c.xb, 0x83, 7, CG_REG_BASE, X_NOREG, 0, OFF_EXITREQ);
        x_b(&c.xb, 0);
        j = x_jcc32(&c.xb, X_CC_NE);
        add_stub(&c, (struct cg_stub){.kind = STUB_REQ, .from = j, .pc = b->pc});
    }
    emit_masked_bases(&c, true);
    /* icount: the whole block, counted at entry (block granularity: a side exit counts
     * the instructions after it too), so exits are bare jumps */
    add_icount(&c, b->n_guest);

    for (uint32_t k = 0; k < n && !c.err; k++) {
        gen_insn(&c, k);
        if (c.err && getenv("OMNIVM_JIT_DEBUG"))
            fprintf(stderr, "jit: error %d at insn %u of block 0x%llx\n", c.err, k,
                    (unsigned long long)b->pc);
    }
    if (!c.err) emit_stubs(&c);
    if (c.err) {
        err = c.err;
        goto out;
    }
    if (c.n_exits != req->tb->n_exits) {
        err = -ENOTSUP;
        goto out;
    }
    /* the pc map, 8-aligned after the code */
    while (x_off(&c.xb) & 7) {
        x_room(&c.xb);
        x_b(&c.xb, 0xcc);
    }
    res->map_off = x_off(&c.xb);
    res->n_map = c.n_map;
    for (uint32_t k = 0; k < c.n_map; k++) {
        x_room(&c.xb);
        memcpy(c.xb.p, &c.map[k], sizeof(c.map[k]));
        c.xb.p += sizeof(c.map[k]);
    }
    res->pin_off = x_off(&c.xb);
    res->n_pin = c.n_pin;
    for (unsigned k = 0; k < c.n_pin; k++) {
        struct jit_pin pin = {.off = c.pin[k].off, .reg = c.pin[k].reg};
        x_room(&c.xb);
        memcpy(c.xb.p, &pin, sizeof(pin));
        c.xb.p += sizeof(pin);
    }
    if (c.xb.overflow) {
        err = -ENOSPC;
        goto out;
    }
    res->size = x_off(&c.xb);
out:
    scr.sb = c.sb;
    scr.cap_sb = c.cap_sb;
    scr.stubs = c.stubs;
    scr.cap_stubs = c.cap_stubs;
    scr.map = c.map;
    scr.cap_map = c.cap_map;
    return err;
}
