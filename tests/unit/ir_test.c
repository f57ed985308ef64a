/*
 * Unit tests of the IR room: verifier, printer and optimiser.
 *
 * Each check group prints "ok NAME" or "not ok NAME: first reason"; the exit status is
 * non-zero if any group failed. Expected constants are computed by hand, not with
 * ir_eval.h, so a wrong shared definition fails here too. The randomized group
 * compares a tiny reference evaluator (which does use ir_eval.h) before and after
 * ir_optimize on random straight-line blocks, including faulting and state-touching
 * helpers, so a wrong forwarding or dead-PUT decision shows up as a state difference.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "ir/ir.h"
#include "ir/ir_eval.h"

/* ---- check groups ---- */

#include "unit.h"

/* ---- block helpers ---- */

#define OFF_A 0x48u
#define OFF_B 0x50u
#define OFF_FPF ((uint32_t)offsetof(struct cpu_common, fp_flags))

static const struct ir_insn *def_of(const struct ir_block *b, ir_val v)
{
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (ir_opinfo[b->insn[k].op].has_dst && b->insn[k].dst == v)
            return &b->insn[k];
    return NULL;
}

static unsigned count_op(const struct ir_block *b, enum ir_opcode op)
{
    unsigned n = 0;
    for (uint32_t k = 0; k < b->n_insn; k++)
        n += b->insn[k].op == op;
    return n;
}

/* The value the last PUT to off stores, or 0. */
static ir_val put_val(const struct ir_block *b, uint32_t off)
{
    ir_val v = 0;
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (b->insn[k].op == IR_PUT && b->insn[k].imm == off)
            v = b->insn[k].arg[0];
    return v;
}

static unsigned count_put(const struct ir_block *b, uint32_t off)
{
    unsigned n = 0;
    for (uint32_t k = 0; k < b->n_insn; k++)
        n += b->insn[k].op == IR_PUT && b->insn[k].imm == off;
    return n;
}

static bool verify_ok(const struct ir_block *b, const char *when)
{
    char err[256];
    int rc = ir_verify(b, err, sizeof(err));
    return expect(rc == 0, "%s: verifier: %s", when, err);
}

static void optimize_checked(struct ir_block *b, unsigned passes)
{
    verify_ok(b, "before optimize");
    ir_optimize(b, passes);
    verify_ok(b, "after optimize");
}

static void clone_block(struct ir_block *d, const struct ir_block *s)
{
    ir_block_init(d, s->pc, s->tb_flags);
    for (uint32_t v = 1; v < s->n_val; v++)
        ir_new_val(d, (enum ir_type)s->vtype[v]);
    for (uint32_t k = 0; k < s->n_insn; k++) {
        const struct ir_insn *i = &s->insn[k];
        struct ir_insn *n = ir_emit(d, (enum ir_opcode)i->op, IR_NUM_TYPES, 0, 0, 0);
        *n = *i;
    }
    d->n_guest = s->n_guest;
    d->guest_size = s->guest_size;
}

/* ---- helpers called from IR ---- */

typedef uint64_t (*helper_fn)(struct cpu_common *, uint64_t, uint64_t, uint64_t);

static bool g_faulted;
static uint64_t fn_pure(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    return a * 31 + b;
}
static uint64_t fn_fault(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    if ((a & 7) == 0)
        g_faulted = true; /* stands for a guest exception: state must be exact here */
    return 0;
}
/* reads and writes guest state at OFF_A behind the optimiser's back (declared STATE) */
static uint64_t fn_state(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    uint8_t *st = (uint8_t *)c;
    uint64_t old, n;
    memcpy(&old, st + OFF_A, 8);
    n = old * 3 + a;
    memcpy(st + OFF_A, &n, 8);
    return old;
}
static uint64_t fn_plain(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d) { return a; }

static const struct ir_helper h_pure = {"pure", (void *)fn_pure, IR_HELPER_PURE};
static const struct ir_helper h_fault = {"may_fault", (void *)fn_fault, IR_HELPER_FAULT};
static const struct ir_helper h_state = {"touch_state", (void *)fn_state, IR_HELPER_STATE};
static const struct ir_helper h_plain = {"plain", (void *)fn_plain, 0};
static const struct ir_helper h_fp = {"fp_env", (void *)fn_plain, IR_HELPER_FP};

/* ---- folding ---- */

/* Builds `put [OFF_A] op(const a, const b)`, optimises, and returns the folded constant.
 * Fails the group if the result is not a lone CONST. */
static bool fold_bin(enum ir_opcode op, enum ir_type t, uint64_t a, uint64_t b, uint64_t *out)
{
    struct ir_block blk;
    ir_block_init(&blk, 0x1000, 0);
    ir_val r = ir_binop(&blk, op, t, ir_const(&blk, t, a), ir_const(&blk, t, b));
    ir_put(&blk, OFF_A, r);
    ir_goto(&blk, 0x1004);
    optimize_checked(&blk, IR_OPT_ALL);
    const struct ir_insn *d = def_of(&blk, put_val(&blk, OFF_A));
    bool ok = d && d->op == IR_CONST && blk.n_insn == 3;
    if (ok)
        *out = d->imm;
    ir_block_free(&blk);
    return ok;
}

static bool fold_un(enum ir_opcode op, enum ir_type t, enum ir_type at, unsigned aux,
                    uint64_t a, uint64_t *out)
{
    struct ir_block blk;
    ir_block_init(&blk, 0x1000, 0);
    ir_val r = ir_ext(&blk, op, t, ir_const(&blk, at, a), aux); /* aux is 0 for plain unops */
    ir_put(&blk, OFF_A, r);
    ir_goto(&blk, 0x1004);
    optimize_checked(&blk, IR_OPT_ALL);
    const struct ir_insn *d = def_of(&blk, put_val(&blk, OFF_A));
    bool ok = d && d->op == IR_CONST && blk.n_insn == 3;
    if (ok)
        *out = d->imm;
    ir_block_free(&blk);
    return ok;
}

struct bin_case {
    enum ir_opcode op;
    enum ir_type t;
    uint64_t a, b, want;
};

static const uint64_t MIN64 = 0x8000000000000000ull;
static const uint64_t ONES = ~0ull;

static const struct bin_case bin_cases[] = {
    /* I32: wraparound and zero-extended results */
    {IR_ADD, IR_I32, 0xffffffff, 1, 0},
    {IR_ADD, IR_I32, 0x7fffffff, 1, 0x80000000},
    {IR_SUB, IR_I32, 0, 1, 0xffffffff},
    {IR_MUL, IR_I32, 0x10000, 0x10000, 0},
    {IR_MUL, IR_I32, 0xffffffff, 0xffffffff, 1},
    {IR_MULHS, IR_I32, 0xffffffff, 2, 0xffffffff},
    {IR_MULHU, IR_I32, 0xffffffff, 0xffffffff, 0xfffffffe},
    {IR_MULHSU, IR_I32, 0xffffffff, 0xffffffff, 0xffffffff},
    {IR_MULHSU, IR_I32, 2, 0x80000000, 1},
    {IR_DIV, IR_I32, 7, 0, 0xffffffff},
    {IR_DIV, IR_I32, 0x80000000, 0xffffffff, 0x80000000},
    {IR_DIV, IR_I32, 0xfffffff9, 2, 0xfffffffd},
    {IR_DIVU, IR_I32, 7, 0, 0xffffffff},
    {IR_DIVU, IR_I32, 0xffffffff, 2, 0x7fffffff},
    {IR_REM, IR_I32, 7, 0, 7},
    {IR_REM, IR_I32, 0x80000000, 0xffffffff, 0},
    {IR_REM, IR_I32, 0xfffffff9, 2, 0xffffffff},
    {IR_REMU, IR_I32, 7, 0, 7},
    {IR_REMU, IR_I32, 0xffffffff, 10, 5},
    {IR_AND, IR_I32, 0xf0f0f0f0, 0xff00ff00, 0xf000f000},
    {IR_OR, IR_I32, 0xf0f0f0f0, 0x0f, 0xf0f0f0ff},
    {IR_XOR, IR_I32, 0xffffffff, 0x0f0f0f0f, 0xf0f0f0f0},
    {IR_SHL, IR_I32, 1, 33, 2},
    {IR_SHL, IR_I32, 0x80000001, 1, 2},
    {IR_SHR, IR_I32, 0x80000000, 31, 1},
    {IR_SHR, IR_I32, 0x80000000, 32, 0x80000000},
    {IR_SAR, IR_I32, 0x80000000, 4, 0xf8000000},
    {IR_SAR, IR_I32, 0x80000000, 36, 0xf8000000},
    {IR_ROTL, IR_I32, 0x80000001, 1, 3},
    {IR_ROTR, IR_I32, 0x80000001, 1, 0xc0000000},
    {IR_ROTL, IR_I32, 0x12345678, 32, 0x12345678},
    {IR_ROTR, IR_I32, 0x12345678, 4, 0x81234567},
    {IR_MIN, IR_I32, 0xffffffff, 1, 0xffffffff},
    {IR_MINU, IR_I32, 0xffffffff, 1, 1},
    {IR_MAX, IR_I32, 0xffffffff, 1, 1},
    {IR_MAXU, IR_I32, 0xffffffff, 1, 0xffffffff},
    /* I64 */
    {IR_ADD, IR_I64, ONES, 1, 0},
    {IR_SUB, IR_I64, 0, 1, ONES},
    {IR_MUL, IR_I64, 0x100000000ull, 0x100000000ull, 0},
    {IR_MUL, IR_I64, 0xffffffffull, 0xffffffffull, 0xfffffffe00000001ull},
    {IR_MULHS, IR_I64, ONES, ONES, 0},
    {IR_MULHS, IR_I64, MIN64, 2, ONES},
    {IR_MULHU, IR_I64, ONES, ONES, 0xfffffffffffffffeull},
    {IR_MULHSU, IR_I64, ONES, ONES, ONES},
    {IR_MULHSU, IR_I64, 2, MIN64, 1},
    {IR_DIV, IR_I64, MIN64, ONES, MIN64},
    {IR_DIV, IR_I64, 5, 0, ONES},
    {IR_DIV, IR_I64, (uint64_t)-100, 7, (uint64_t)-14},
    {IR_DIVU, IR_I64, ONES, 0, ONES},
    {IR_DIVU, IR_I64, ONES, 16, 0x0fffffffffffffffull},
    {IR_REM, IR_I64, MIN64, ONES, 0},
    {IR_REM, IR_I64, 5, 0, 5},
    {IR_REM, IR_I64, (uint64_t)-100, 7, (uint64_t)-2},
    {IR_REMU, IR_I64, 100, 7, 2},
    {IR_REMU, IR_I64, 100, 0, 100},
    {IR_AND, IR_I64, ONES, 0xff00, 0xff00},
    {IR_OR, IR_I64, MIN64, 1, MIN64 | 1},
    {IR_XOR, IR_I64, ONES, 0xffffffffull, 0xffffffff00000000ull},
    {IR_SHL, IR_I64, 1, 65, 2},
    {IR_SHL, IR_I64, 1, 63, MIN64},
    {IR_SHR, IR_I64, ONES, 64, ONES},
    {IR_SHR, IR_I64, MIN64, 63, 1},
    {IR_SAR, IR_I64, MIN64, 63, ONES},
    {IR_SAR, IR_I64, 0x4000000000000000ull, 62, 1},
    {IR_ROTL, IR_I64, 0x8000000000000001ull, 4, 0x18},
    {IR_ROTR, IR_I64, 1, 1, MIN64},
    {IR_ROTR, IR_I64, 0x1234, 64, 0x1234},
    {IR_MIN, IR_I64, MIN64, 1, MIN64},
    {IR_MINU, IR_I64, MIN64, 1, 1},
    {IR_MAX, IR_I64, MIN64, 1, 1},
    {IR_MAXU, IR_I64, MIN64, 1, MIN64},
};

struct un_case {
    enum ir_opcode op;
    enum ir_type t, at;
    unsigned aux;
    uint64_t a, want;
};

static const struct un_case un_cases[] = {
    {IR_NOT, IR_I32, IR_I32, 0, 0, 0xffffffff},
    {IR_NOT, IR_I64, IR_I64, 0, 0, ONES},
    {IR_NEG, IR_I32, IR_I32, 0, 1, 0xffffffff},
    {IR_NEG, IR_I32, IR_I32, 0, 0x80000000, 0x80000000},
    {IR_NEG, IR_I64, IR_I64, 0, MIN64, MIN64},
    {IR_CLZ, IR_I32, IR_I32, 0, 0, 32},
    {IR_CLZ, IR_I64, IR_I64, 0, 0, 64},
    {IR_CLZ, IR_I32, IR_I32, 0, 1, 31},
    {IR_CLZ, IR_I64, IR_I64, 0, 1, 63},
    {IR_CLZ, IR_I64, IR_I64, 0, 0xffffffff, 32},
    {IR_CTZ, IR_I32, IR_I32, 0, 0, 32},
    {IR_CTZ, IR_I64, IR_I64, 0, 0, 64},
    {IR_CTZ, IR_I64, IR_I64, 0, MIN64, 63},
    {IR_CTZ, IR_I32, IR_I32, 0, 0x80000000, 31},
    {IR_POPCNT, IR_I32, IR_I32, 0, 0xffffffff, 32},
    {IR_POPCNT, IR_I64, IR_I64, 0, ONES, 64},
    {IR_POPCNT, IR_I64, IR_I64, 0, 0x8000000100000001ull, 3},
    {IR_BSWAP, IR_I32, IR_I32, 0, 0x11223344, 0x44332211},
    {IR_BSWAP, IR_I64, IR_I64, 0, 0x0102030405060708ull, 0x0807060504030201ull},
    {IR_SEXT, IR_I64, IR_I64, 8, 0x80, 0xffffffffffffff80ull},
    {IR_SEXT, IR_I64, IR_I64, 8, 0x17f, 0x7f},
    {IR_SEXT, IR_I32, IR_I32, 16, 0x8000, 0xffff8000},
    {IR_SEXT, IR_I64, IR_I32, 32, 0x80000000, 0xffffffff80000000ull},
    {IR_SEXT, IR_I64, IR_I32, 32, 0x7fffffff, 0x7fffffff},
    {IR_ZEXT, IR_I64, IR_I64, 16, 0x12345678, 0x5678},
    {IR_ZEXT, IR_I32, IR_I64, 32, 0x123456789ull, 0x23456789},
    {IR_ZEXT, IR_I64, IR_I32, 32, 0xffffffff, 0xffffffff},
    {IR_ZEXT, IR_I32, IR_I32, 8, 0xfff, 0xff},
};

static void test_fold_binops(void)
{
    group("fold_binops");
    for (size_t k = 0; k < sizeof(bin_cases) / sizeof(bin_cases[0]); k++) {
        const struct bin_case *c = &bin_cases[k];
        uint64_t got = 0;
        if (!expect(fold_bin(c->op, c->t, c->a, c->b, &got), "%s.%s not folded",
                    ir_opinfo[c->op].name, c->t == IR_I32 ? "i32" : "i64"))
            break;
        expect(got == c->want, "%s.%s 0x%" PRIx64 ", 0x%" PRIx64 " = 0x%" PRIx64
               ", want 0x%" PRIx64, ir_opinfo[c->op].name, c->t == IR_I32 ? "i32" : "i64",
               c->a, c->b, got, c->want);
    }
    /* every binary integer op is covered by at least one case */
    for (unsigned op = IR_ADD; op <= IR_MAXU; op++) {
        bool seen = false;
        for (size_t k = 0; k < sizeof(bin_cases) / sizeof(bin_cases[0]); k++)
            seen |= bin_cases[k].op == op;
        expect(seen, "no folding case for %s", ir_opinfo[op].name);
    }
    group_end();
}

static void test_fold_unops(void)
{
    group("fold_unops");
    for (size_t k = 0; k < sizeof(un_cases) / sizeof(un_cases[0]); k++) {
        const struct un_case *c = &un_cases[k];
        uint64_t got = 0;
        if (!expect(fold_un(c->op, c->t, c->at, c->aux, c->a, &got), "%s not folded",
                    ir_opinfo[c->op].name))
            break;
        expect(got == c->want, "%s.%u(0x%" PRIx64 ") = 0x%" PRIx64 ", want 0x%" PRIx64,
               ir_opinfo[c->op].name, c->aux, c->a, got, c->want);
    }
    group_end();
}

/* EXTRACT, DEPOSIT, SETCC, SELECT with constant operands. */
static void test_fold_misc(void)
{
    group("fold_bitfield_setcc_select");
    struct {
        bool deposit, sign;
        enum ir_type t;
        unsigned pos, len;
        uint64_t a, b, want;
    } bf[] = {
        {false, false, IR_I64, 4, 8, 0xabcd, 0, 0xbc},
        {false, true, IR_I64, 4, 8, 0xf80, 0, 0xfffffffffffffff8ull},
        {false, true, IR_I32, 0, 8, 0x80, 0, 0xffffff80},
        {false, false, IR_I64, 32, 32, 0x1234567800000000ull, 0, 0x12345678},
        {true, false, IR_I64, 4, 4, 0xffff, 0, 0xff0f},
        {true, false, IR_I32, 28, 4, 0, 0xff, 0xf0000000},
        {true, false, IR_I64, 0, 64, 5, 0x77, 0x77},
    };
    for (size_t k = 0; k < sizeof(bf) / sizeof(bf[0]); k++) {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val a = ir_const(&b, bf[k].t, bf[k].a), r;
        if (bf[k].deposit)
            r = ir_deposit(&b, bf[k].t, a, ir_const(&b, bf[k].t, bf[k].b), bf[k].pos, bf[k].len);
        else
            r = ir_extract(&b, bf[k].t, a, bf[k].pos, bf[k].len, bf[k].sign);
        ir_put(&b, OFF_A, r);
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, put_val(&b, OFF_A));
        expect(d && d->op == IR_CONST && d->imm == bf[k].want,
               "%s case %zu: got %s 0x%" PRIx64 ", want 0x%" PRIx64,
               bf[k].deposit ? "deposit" : "extract", k, d ? ir_opinfo[d->op].name : "none",
               d ? d->imm : 0, bf[k].want);
        ir_block_free(&b);
    }

    /* SETCC: every condition, -1 vs 1 signed and unsigned, I64 and I32 operands, dst I32 */
    static const uint8_t want_m1_1[IR_NUM_CONDS] = {0, 1, 1, 0, 1, 0, 0, 1, 0, 1};
    static const uint8_t want_big_1[IR_NUM_CONDS] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    for (int t = 0; t < 3; t++) {
        for (unsigned c = 0; c < IR_NUM_CONDS; c++) {
            struct ir_block b;
            ir_block_init(&b, 0x1000, 0);
            enum ir_type ot = t == 1 ? IR_I32 : IR_I64;
            /* t 0: I64 -1 vs 1; t 1: I32 0xffffffff (-1) vs 1; t 2: I64 0xffffffff (+) vs 1 */
            uint64_t x = t == 0 ? ONES : 0xffffffff;
            ir_val r = ir_setcc(&b, IR_I32, c, ir_const(&b, ot, x), ir_const(&b, ot, 1));
            ir_put(&b, OFF_A, r);
            ir_goto(&b, 0x2000);
            optimize_checked(&b, IR_OPT_ALL);
            const struct ir_insn *d = def_of(&b, put_val(&b, OFF_A));
            uint64_t want = t == 2 ? want_big_1[c] : want_m1_1[c];
            expect(d && d->op == IR_CONST && d->imm == want && d->type == IR_I32,
                   "setcc cond %u operand kind %d: got %" PRIu64 ", want %" PRIu64, c, t,
                   d ? d->imm : 99, want);
            ir_block_free(&b);
        }
    }
    /* SETCC x, x on a non-constant */
    for (unsigned c = 0; c < IR_NUM_CONDS; c++) {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I64, OFF_B);
        ir_put(&b, OFF_A, ir_setcc(&b, IR_I64, c, x, x));
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, put_val(&b, OFF_A));
        uint64_t want = c == IR_EQ || c == IR_GE || c == IR_LE || c == IR_GEU || c == IR_LEU;
        expect(d && d->op == IR_CONST && d->imm == want, "setcc cond %u of x, x", c);
        ir_block_free(&b);
    }
    /* SELECT on a constant condition, and with equal arms */
    for (int cv = 0; cv < 3; cv++) {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I64, OFF_A), y = ir_get(&b, IR_I64, OFF_B);
        ir_val cond = cv < 2 ? ir_const(&b, IR_I32, (uint64_t)cv * 0x80000000u)
                             : ir_get(&b, IR_I32, 0x60);
        ir_put(&b, 0x70, ir_select(&b, IR_I64, cond, x, cv < 2 ? y : x));
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_ALL);
        ir_val want = cv == 0 ? y : x;
        expect(put_val(&b, 0x70) == want && count_op(&b, IR_SELECT) == 0,
               "select case %d: put v%u, want v%u", cv, put_val(&b, 0x70), want);
        ir_block_free(&b);
    }
    group_end();
}

struct ident_case {
    const char *name;
    enum ir_opcode op;
    enum ir_type t;
    bool const_first;
    uint64_t k;
    int want; /* 0: x itself, 1: constant `wantc`, 2: must stay as op */
    uint64_t wantc;
};

static void test_fold_identities(void)
{
    group("fold_identities");
    static const struct ident_case cases[] = {
        {"x+0", IR_ADD, IR_I64, false, 0, 0, 0},
        {"0+x", IR_ADD, IR_I64, true, 0, 0, 0},
        {"x-0", IR_SUB, IR_I32, false, 0, 0, 0},
        {"0-x stays", IR_SUB, IR_I64, true, 0, 2, 0},
        {"x*1", IR_MUL, IR_I64, false, 1, 0, 0},
        {"1*x", IR_MUL, IR_I32, true, 1, 0, 0},
        {"x*0", IR_MUL, IR_I64, false, 0, 1, 0},
        {"x&0", IR_AND, IR_I64, false, 0, 1, 0},
        {"x&-1 i64", IR_AND, IR_I64, false, ONES, 0, 0},
        {"x&0xffffffff i32", IR_AND, IR_I32, false, 0xffffffff, 0, 0},
        {"x&0xffffffff i64 stays", IR_AND, IR_I64, false, 0xffffffff, 2, 0},
        {"x|0", IR_OR, IR_I64, false, 0, 0, 0},
        {"x|-1", IR_OR, IR_I32, false, 0xffffffff, 1, 0xffffffff},
        {"x|0xffffffff i64 stays", IR_OR, IR_I64, false, 0xffffffff, 2, 0},
        {"x^0", IR_XOR, IR_I32, true, 0, 0, 0},
        {"x<<64 i64", IR_SHL, IR_I64, false, 64, 0, 0},
        {"x<<32 i32", IR_SHL, IR_I32, false, 32, 0, 0},
        {"x<<16 i32 stays", IR_SHL, IR_I32, false, 16, 2, 0},
        {"x<<32 i64 stays", IR_SHL, IR_I64, false, 32, 2, 0},
        {"x>>0", IR_SHR, IR_I64, false, 0, 0, 0},
        {"x sar 0", IR_SAR, IR_I32, false, 0, 0, 0},
        {"rotl x,64", IR_ROTL, IR_I64, false, 64, 0, 0},
        {"0<<x", IR_SHL, IR_I64, true, 0, 1, 0},
        {"x/1", IR_DIV, IR_I64, false, 1, 0, 0},
        {"x/u1", IR_DIVU, IR_I32, false, 1, 0, 0},
        {"x%1", IR_REM, IR_I64, false, 1, 1, 0},
        {"x/0 stays", IR_DIV, IR_I64, false, 0, 2, 0},
        {"1/x stays", IR_DIV, IR_I64, true, 1, 2, 0},
        {"mulhu x,0", IR_MULHU, IR_I64, false, 0, 1, 0},
        {"minu x,0", IR_MINU, IR_I64, false, 0, 1, 0},
        {"maxu x,-1", IR_MAXU, IR_I32, false, 0xffffffff, 1, 0xffffffff},
        {"min x,0 stays", IR_MIN, IR_I64, false, 0, 2, 0},
    };
    for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
        const struct ident_case *c = &cases[n];
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, c->t, OFF_B), k = ir_const(&b, c->t, c->k);
        ir_put(&b, OFF_A, c->const_first ? ir_binop(&b, c->op, c->t, k, x)
                                         : ir_binop(&b, c->op, c->t, x, k));
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_ALL);
        ir_val pv = put_val(&b, OFF_A);
        const struct ir_insn *d = def_of(&b, pv);
        if (c->want == 0)
            expect(pv == x, "%s: put v%u, want x v%u", c->name, pv, x);
        else if (c->want == 1)
            expect(d && d->op == IR_CONST && d->imm == c->wantc, "%s: not the constant 0x%" PRIx64,
                   c->name, c->wantc);
        else
            expect(d && d->op == c->op, "%s: was rewritten to %s", c->name,
                   d ? ir_opinfo[d->op].name : "nothing");
        ir_block_free(&b);
    }
    /* x-x, x^x, x&x, x|x, min x,x on the same non-constant value */
    static const struct {
        enum ir_opcode op;
        int want; /* 0: x, 1: constant 0 */
    } same[] = {{IR_SUB, 1}, {IR_XOR, 1}, {IR_AND, 0}, {IR_OR, 0}, {IR_MIN, 0}, {IR_MAXU, 0}};
    for (size_t n = 0; n < sizeof(same) / sizeof(same[0]); n++) {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I32, OFF_B);
        ir_put(&b, OFF_A, ir_binop(&b, same[n].op, IR_I32, x, x));
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_ALL);
        ir_val pv = put_val(&b, OFF_A);
        const struct ir_insn *d = def_of(&b, pv);
        if (same[n].want == 0)
            expect(pv == x, "%s x,x: not x", ir_opinfo[same[n].op].name);
        else
            expect(d && d->op == IR_CONST && d->imm == 0, "%s x,x: not 0",
                   ir_opinfo[same[n].op].name);
        ir_block_free(&b);
    }
    /* commutative op with the constant first is canonicalised to constant second */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I64, OFF_B), k = ir_const(&b, IR_I64, 5);
        ir_val r = ir_binop(&b, IR_ADD, IR_I64, k, x);
        ir_put(&b, OFF_A, r);
        ir_goto(&b, 0x2000);
        optimize_checked(&b, IR_OPT_FOLD);
        const struct ir_insn *d = def_of(&b, r);
        expect(d && d->arg[0] == x && d->arg[1] == k, "add 5, x not canonicalised to add x, 5");
        ir_block_free(&b);
    }
    group_end();
}

static void test_fold_control(void)
{
    group("fold_exits_and_fp");
    /* EXIT_IF on constant false disappears */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_insn_start(&b, 0x1000, 4);
        ir_val c = ir_setcc(&b, IR_I64, IR_LTU, ir_const(&b, IR_I64, 5), ir_const(&b, IR_I64, 3));
        ir_exit_if(&b, c, 0x3000);
        ir_put(&b, OFF_A, ir_const(&b, IR_I64, 9));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(count_op(&b, IR_EXIT_IF) == 0 && count_put(&b, OFF_A) == 1 &&
                   b.insn[b.n_insn - 1].op == IR_GOTO && b.insn[b.n_insn - 1].imm == 0x1004,
               "constant-false exit_if not removed");
        ir_block_free(&b);
    }
    /* EXIT_IF on constant true becomes the terminator; everything after is dropped */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_insn_start(&b, 0x1000, 4);
        ir_put(&b, OFF_B, ir_const(&b, IR_I64, 1));
        ir_exit_if(&b, ir_const(&b, IR_I32, 0x80000000u), 0x3000);
        ir_insn_start(&b, 0x1004, 4);
        ir_put(&b, OFF_A, ir_const(&b, IR_I64, 9));
        ir_goto(&b, 0x1008);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *last = &b.insn[b.n_insn - 1];
        expect(last->op == IR_GOTO && last->imm == 0x3000, "last insn is not goto 0x3000");
        expect(count_put(&b, OFF_A) == 0 && count_put(&b, OFF_B) == 1 &&
                   count_op(&b, IR_INSN_START) == 1,
               "wrong insns kept around a constant-true exit_if");
        ir_block_free(&b);
    }
    /* GOTO_IND to a constant becomes a chainable GOTO */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val t = ir_binop(&b, IR_AND, IR_I64, ir_const(&b, IR_I64, 0x4003),
                            ir_const(&b, IR_I64, ~1ull));
        ir_goto_ind(&b, t);
        optimize_checked(&b, IR_OPT_ALL);
        expect(b.n_insn == 1 && b.insn[0].op == IR_GOTO && b.insn[0].imm == 0x4002,
               "goto_ind of a constant not folded to goto 0x4002");
        ir_block_free(&b);
    }
    /* FP ops on constants are neither folded nor removed (they raise flags) */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val one = ir_const(&b, IR_F64, 0x3ff0000000000000ull);
        ir_val three = ir_const(&b, IR_F64, 0x4008000000000000ull);
        ir_val q = ir_fop(&b, IR_FDIV, IR_F64, IR_RM_RNE, 0, one, three, 0);
        ir_fop(&b, IR_FADD, IR_F64, IR_RM_DYN, 0, one, three, 0); /* unused */
        ir_put(&b, 0x100, q);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, put_val(&b, 0x100));
        expect(d && d->op == IR_FDIV, "fdiv of constants was folded");
        expect(count_op(&b, IR_FADD) == 1, "unused fadd removed");
        ir_block_free(&b);
    }
    /* a bitcast MOV of a constant is the same bits */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val k = ir_const(&b, IR_I64, 0x4000000000000000ull);
        ir_val f = ir_unop(&b, IR_MOV, IR_F64, k);
        ir_put(&b, 0x100, f);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, put_val(&b, 0x100));
        expect(d && d->op == IR_CONST && d->type == IR_F64 && d->imm == 0x4000000000000000ull,
               "bitcast of constant not a f64 constant");
        ir_block_free(&b);
    }
    group_end();
}

/* ---- copy propagation ---- */

static void test_copy(void)
{
    group("copy_propagation");
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I64, OFF_B);
        ir_val m1 = ir_unop(&b, IR_MOV, IR_I64, x);
        ir_val m2 = ir_unop(&b, IR_MOV, IR_I64, m1);
        ir_val s = ir_binop(&b, IR_MUL, IR_I64, m2, m1);
        ir_put(&b, OFF_A, s);
        ir_put(&b, 0x60, m2);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_COPY);
        const struct ir_insn *d = def_of(&b, s);
        expect(d && d->arg[0] == x && d->arg[1] == x, "mul operands not x, x");
        expect(put_val(&b, 0x60) == x, "put of a copy not rewritten to x");
        expect(count_op(&b, IR_MOV) == 2, "COPY alone removed movs (that is DCE's job)");
        optimize_checked(&b, IR_OPT_COPY | IR_OPT_DCE);
        expect(count_op(&b, IR_MOV) == 0, "dead movs not removed by DCE");
        ir_block_free(&b);
    }
    /* a bitcast is not a copy: the FP op must keep its F64 operand */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val x = ir_get(&b, IR_I64, OFF_B);
        ir_val f = ir_unop(&b, IR_MOV, IR_F64, x);
        ir_val r = ir_fop(&b, IR_FSQRT, IR_F64, IR_RM_RNE, 0, f, 0, 0);
        ir_put(&b, 0x100, r);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, r);
        expect(d && d->arg[0] == f && count_op(&b, IR_MOV) == 1, "bitcast was propagated");
        ir_block_free(&b);
    }
    group_end();
}

/* ---- guest-state forwarding and dead PUTs ---- */

static void test_state_forward(void)
{
    group("state_forwarding");
    /* GET after PUT, same width */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val v = ir_binop(&b, IR_ADD, IR_I64, ir_get(&b, IR_I64, 0x60), ir_const(&b, IR_I64, 4));
        ir_put(&b, OFF_A, v);
        ir_put(&b, OFF_B, ir_get(&b, IR_I64, OFF_A));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(put_val(&b, OFF_B) == v && count_op(&b, IR_GET) == 1, "get after put not forwarded");
        ir_block_free(&b);
    }
    /* GET after GET */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val g1 = ir_get(&b, IR_I32, OFF_A), g2 = ir_get(&b, IR_I32, OFF_A);
        ir_put(&b, OFF_B, ir_binop(&b, IR_ADD, IR_I32, g1, g2));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, put_val(&b, OFF_B));
        expect(count_op(&b, IR_GET) == 1 && d && d->arg[0] == g1 && d->arg[1] == g1,
               "get after get not forwarded");
        ir_block_free(&b);
    }
    /* a same-width GET of another type becomes a bitcast */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val v = ir_get(&b, IR_I64, 0x60);
        ir_put(&b, 0x100, v);
        ir_val f = ir_get(&b, IR_F64, 0x100);
        ir_put(&b, 0x108, ir_fop(&b, IR_FSQRT, IR_F64, IR_RM_RNE, 0, f, 0, 0));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        const struct ir_insn *d = def_of(&b, f);
        expect(count_op(&b, IR_GET) == 1 && d && d->op == IR_MOV && d->arg[0] == v,
               "f64 get after i64 put not a bitcast of the put value");
        ir_block_free(&b);
    }
    /* must not: different width at the same offset */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_put(&b, OFF_A, ir_get(&b, IR_I64, 0x60));
        ir_val g = ir_get(&b, IR_I32, OFF_A);
        ir_put(&b, OFF_B, g);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(put_val(&b, OFF_B) == g && def_of(&b, g) && def_of(&b, g)->op == IR_GET,
               "i32 get forwarded from i64 put");
        ir_block_free(&b);
    }
    /* must not: an overlapping narrower PUT in between, nor a GET of its other half */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_put(&b, OFF_A, ir_get(&b, IR_I64, 0x60));
        ir_put(&b, OFF_A + 4, ir_const(&b, IR_I32, 7));
        ir_val g = ir_get(&b, IR_I64, OFF_A);
        ir_put(&b, OFF_B, g);
        ir_val h = ir_get(&b, IR_I32, OFF_A); /* low half: never written as i32 */
        ir_put(&b, 0x70, h);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(def_of(&b, g) && def_of(&b, g)->op == IR_GET, "i64 get forwarded across a "
                                                             "partial i32 put");
        expect(def_of(&b, h) && def_of(&b, h)->op == IR_GET, "i32 get forwarded wrongly");
        expect(count_put(&b, OFF_A) == 1 && count_put(&b, OFF_A + 4) == 1,
               "overlapping puts were dropped");
        ir_block_free(&b);
    }
    /* an i64 PUT at an offset only 4-aligned overlaps both neighbours */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val a = ir_get(&b, IR_I64, 0x60), c = ir_get(&b, IR_I64, 0x68);
        ir_put(&b, 0x64, ir_const(&b, IR_I64, 1));
        ir_val a2 = ir_get(&b, IR_I64, 0x60), c2 = ir_get(&b, IR_I64, 0x68);
        ir_put(&b, OFF_A, ir_binop(&b, IR_ADD, IR_I64, a, a2));
        ir_put(&b, OFF_B, ir_binop(&b, IR_ADD, IR_I64, c, c2));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(count_op(&b, IR_GET) == 4, "get forwarded across a misaligned overlapping put "
                                          "(%u gets)", count_op(&b, IR_GET));
        ir_block_free(&b);
    }
    /* must not: a helper that declares STATE */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_val v = ir_get(&b, IR_I64, 0x60);
        ir_put(&b, OFF_A, v);
        ir_call(&b, &h_state, IR_NUM_TYPES, 1, v, 0, 0);
        ir_val g = ir_get(&b, IR_I64, OFF_A);
        ir_put(&b, OFF_B, g);
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(put_val(&b, OFF_B) == g && def_of(&b, g)->op == IR_GET,
               "get forwarded across a STATE helper");
        ir_block_free(&b);
    }
    /* FP ops stop forwarding of fp_flags / fp_rm, but not of other state */
    for (int via_helper = 0; via_helper < 2; via_helper++) {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_put(&b, OFF_FPF, ir_const(&b, IR_I32, 0));
        ir_put(&b, OFF_FPF + 4, ir_const(&b, IR_I32, IR_RM_RTZ));
        ir_val v = ir_get(&b, IR_I64, 0x60);
        ir_put(&b, OFF_A, v);
        ir_val f = ir_get(&b, IR_F64, 0x100);
        if (via_helper)
            ir_call(&b, &h_fp, IR_NUM_TYPES, 1, f, 0, 0);
        else
            ir_put(&b, 0x108, ir_fop(&b, IR_FADD, IR_F64, IR_RM_DYN, 0, f, f, 0));
        ir_val fl = ir_get(&b, IR_I32, OFF_FPF), rm = ir_get(&b, IR_I32, OFF_FPF + 4);
        ir_put(&b, 0x70, fl);
        ir_put(&b, 0x78, rm);
        ir_put(&b, OFF_B, ir_get(&b, IR_I64, OFF_A));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(def_of(&b, fl) && def_of(&b, fl)->op == IR_GET,
               "fp_flags get forwarded across %s", via_helper ? "FP helper" : "FP op");
        expect(def_of(&b, rm) && def_of(&b, rm)->op == IR_GET,
               "fp_rm get forwarded across %s", via_helper ? "FP helper" : "FP op");
        expect(count_put(&b, OFF_FPF) == 1 && count_put(&b, OFF_FPF + 4) == 1,
               "fp environment puts dropped");
        expect(put_val(&b, OFF_B) == v, "other state not forwarded across an FP op");
        ir_block_free(&b);
    }
    group_end();
}

/* Builds put [OFF_A] a; <between>; put [OFF_A] b; goto; returns how many PUTs to OFF_A
 * survive ir_optimize. */
enum between { BT_NONE, BT_LOAD, BT_STORE, BT_EXIT_IF, BT_GET_NARROW, BT_FAULT_HELPER,
               BT_STATE_HELPER, BT_PLAIN_HELPER, BT_PURE_HELPER, BT_GET_OTHER, BT_INSN_START,
               BT_FENCE };

static unsigned puts_left(enum between bt, enum ir_type t1, enum ir_type t2)
{
    struct ir_block b;
    ir_block_init(&b, 0x1000, 0);
    ir_val x = ir_get(&b, IR_I64, 0x60), y = ir_get(&b, IR_I64, 0x68);
    ir_put(&b, OFF_A, t1 == IR_I32 ? ir_ext(&b, IR_ZEXT, IR_I32, x, 32) : x);
    switch (bt) {
    case BT_NONE: break;
    case BT_LOAD: ir_put(&b, OFF_B, ir_load(&b, IR_I64, y, ir_mem(3, false))); break;
    case BT_STORE: ir_store(&b, y, x, ir_mem(2, false)); break;
    case BT_EXIT_IF: ir_exit_if(&b, y, 0x5000); break;
    case BT_GET_NARROW: ir_put(&b, OFF_B, ir_get(&b, IR_I32, OFF_A + 4)); break;
    case BT_FAULT_HELPER: ir_call(&b, &h_fault, IR_NUM_TYPES, 1, y, 0, 0); break;
    case BT_STATE_HELPER: ir_call(&b, &h_state, IR_NUM_TYPES, 1, y, 0, 0); break;
    case BT_PLAIN_HELPER: ir_put(&b, OFF_B, ir_call(&b, &h_plain, IR_I64, 1, y, 0, 0)); break;
    case BT_PURE_HELPER: ir_put(&b, OFF_B, ir_call(&b, &h_pure, IR_I64, 2, x, y, 0)); break;
    case BT_GET_OTHER: ir_put(&b, OFF_B, ir_get(&b, IR_I64, OFF_A + 8)); break;
    case BT_INSN_START: ir_insn_start(&b, 0x1004, 4); break;
    case BT_FENCE: ir_fence(&b, IR_FENCE_ALL); break;
    }
    ir_put(&b, OFF_A, t2 == IR_I32 ? ir_ext(&b, IR_ZEXT, IR_I32, y, 32) : y);
    ir_goto(&b, 0x1004);
    optimize_checked(&b, IR_OPT_ALL);
    unsigned n = count_put(&b, OFF_A);
    ir_block_free(&b);
    return n;
}

static void test_dead_put(void)
{
    group("dead_put");
    static const struct {
        const char *name;
        enum between bt;
        enum ir_type t1, t2;
        unsigned want;
    } cases[] = {
        {"plain overwrite", BT_NONE, IR_I64, IR_I64, 1},
        {"wider overwrite", BT_NONE, IR_I32, IR_I64, 1},
        {"narrower overwrite keeps", BT_NONE, IR_I64, IR_I32, 2},
        {"load between keeps", BT_LOAD, IR_I64, IR_I64, 2},
        {"store between keeps", BT_STORE, IR_I64, IR_I64, 2},
        {"exit_if between keeps", BT_EXIT_IF, IR_I64, IR_I64, 2},
        {"overlapping read between keeps", BT_GET_NARROW, IR_I64, IR_I64, 2},
        {"fault helper between keeps", BT_FAULT_HELPER, IR_I64, IR_I64, 2},
        {"state helper between keeps", BT_STATE_HELPER, IR_I64, IR_I64, 2},
        {"plain helper between drops", BT_PLAIN_HELPER, IR_I64, IR_I64, 1},
        {"pure helper between drops", BT_PURE_HELPER, IR_I64, IR_I64, 1},
        {"unrelated read between drops", BT_GET_OTHER, IR_I64, IR_I64, 1},
        {"insn_start between drops", BT_INSN_START, IR_I64, IR_I64, 1},
        {"fence between drops", BT_FENCE, IR_I64, IR_I64, 1},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned n = puts_left(cases[k].bt, cases[k].t1, cases[k].t2);
        expect(n == cases[k].want, "%s: %u puts left, want %u", cases[k].name, n, cases[k].want);
    }
    /* the FP environment: an FP op between two fp_flags PUTs reads and ORs into them */
    {
        struct ir_block b;
        ir_block_init(&b, 0x1000, 0);
        ir_put(&b, OFF_FPF, ir_const(&b, IR_I32, 0));
        ir_val f = ir_get(&b, IR_F32, 0x100);
        ir_put(&b, 0x100, ir_fop(&b, IR_FMUL, IR_F32, IR_RM_RNE, 0, f, f, 0));
        ir_put(&b, OFF_FPF, ir_const(&b, IR_I32, 1));
        ir_goto(&b, 0x1004);
        optimize_checked(&b, IR_OPT_ALL);
        expect(count_put(&b, OFF_FPF) == 2, "fp_flags put before an FP op dropped");
        ir_block_free(&b);
    }
    /* the last PUT before a terminator always stays */
    expect(puts_left(BT_NONE, IR_I64, IR_I64) >= 1, "final put dropped");
    group_end();
}

/* ---- dead code elimination ---- */

static void test_dce(void)
{
    group("dce");
    struct ir_block b;
    ir_block_init(&b, 0x1000, 0);
    ir_insn_start(&b, 0x1000, 4);
    ir_val a = ir_get(&b, IR_I64, 0x60);
    ir_val dead_add = ir_binop(&b, IR_ADD, IR_I64, a, a);
    ir_unop(&b, IR_NOT, IR_I64, dead_add);
    ir_get(&b, IR_I32, 0x70);                                     /* unused get */
    ir_load(&b, IR_I64, a, ir_mem(3, false));                     /* unused load: may fault */
    ir_store(&b, a, a, ir_mem(3, false));
    ir_atomic_rmw(&b, IR_I64, IR_RMW_ADD, a, a, ir_mem(3, false)); /* unused result */
    ir_val f = ir_get(&b, IR_F64, 0x100);
    ir_fop(&b, IR_FSQRT, IR_F64, IR_RM_RNE, 0, f, 0, 0);          /* unused: raises flags */
    ir_fop(&b, IR_FCVT_F2I, IR_I64, IR_RM_RTZ, IR_FPX_SIGNED, f, 0, 0);
    ir_call(&b, &h_pure, IR_I64, 2, a, a, 0);                     /* unused pure: dropped */
    ir_call(&b, &h_plain, IR_I64, 1, a, 0, 0);                    /* unused, not pure: kept */
    ir_fence(&b, IR_FENCE_ALL);
    ir_exit_if(&b, ir_setcc(&b, IR_I64, IR_EQ, a, ir_const(&b, IR_I64, 3)), 0x2000);
    ir_goto(&b, 0x1004);
    optimize_checked(&b, IR_OPT_DCE);
    expect(count_op(&b, IR_ADD) == 0 && count_op(&b, IR_NOT) == 0, "dead arithmetic kept");
    expect(count_op(&b, IR_GET) == 2, "%u gets, want 2 (the unused one dropped)",
           count_op(&b, IR_GET));
    expect(count_op(&b, IR_LOAD) == 1, "unused load removed");
    expect(count_op(&b, IR_STORE) == 1, "store removed");
    expect(count_op(&b, IR_ATOMIC_RMW) == 1, "atomic removed");
    expect(count_op(&b, IR_FSQRT) == 1 && count_op(&b, IR_FCVT_F2I) == 1, "FP op removed");
    expect(count_op(&b, IR_CALL2) == 0, "unused pure call kept");
    expect(count_op(&b, IR_CALL1) == 1, "non-pure call removed");
    expect(count_op(&b, IR_FENCE) == 1 && count_op(&b, IR_EXIT_IF) == 1 &&
               count_op(&b, IR_SETCC) == 1 && count_op(&b, IR_INSN_START) == 1,
           "side effects or their inputs removed");
    ir_block_free(&b);
    group_end();
}

/* ---- verifier ---- */

/* A valid block exercising most ops; returns the index of the terminator. */
static void build_valid(struct ir_block *b)
{
    ir_block_init(b, 0x10000, 0);
    ir_insn_start(b, 0x10000, 4);
    ir_val a = ir_get(b, IR_I64, 0x48);                          /* v1 */
    ir_val c = ir_const(b, IR_I64, 16);                          /* v2 */
    ir_val s = ir_binop(b, IR_ADD, IR_I64, a, c);                /* v3 */
    ir_val lo = ir_ext(b, IR_ZEXT, IR_I32, s, 32);
    ir_val w = ir_binop(b, IR_SUB, IR_I32, lo, ir_const(b, IR_I32, 1));
    ir_val se = ir_ext(b, IR_SEXT, IR_I64, w, 32);
    ir_val ld = ir_load(b, IR_I64, s, ir_mem(2, false));
    ir_store(b, s, lo, ir_mem(1, false));
    ir_val ex = ir_extract(b, IR_I32, se, 8, 16, true);
    ir_val dp = ir_deposit(b, IR_I64, ld, ex, 4, 8);
    ir_val cc = ir_setcc(b, IR_I32, IR_LTU, dp, se);
    ir_val sel = ir_select(b, IR_I64, cc, dp, se);
    ir_val f = ir_unop(b, IR_MOV, IR_F64, sel);
    ir_val fs = ir_fop(b, IR_FMA, IR_F64, IR_RM_DYN, 0, f, f, f);
    ir_val fc = ir_fop(b, IR_FCMP, IR_I32, (enum ir_rm)IR_FCMP_LT, 0, fs, f, 0);
    ir_val fi = ir_fop(b, IR_FCVT_F2I, IR_I32, IR_RM_RTZ, IR_FPX_W32 | IR_FPX_SIGNED, fs, 0, 0);
    ir_val f32 = ir_fop(b, IR_FCVT_I2F, IR_F32, IR_RM_RNE, IR_FPX_W32, fi, 0, 0);
    ir_val f64 = ir_fop(b, IR_FCVT_F2F, IR_F64, IR_RM_RNE, 0, f32, 0, 0);
    ir_put(b, 0x100, f64);
    ir_val old = ir_atomic_rmw(b, IR_I32, IR_RMW_ADD, s, fc, ir_mem(2, false));
    ir_cmpxchg(b, IR_I64, s, a, c, (struct ir_memop){.size = 3, .order = IR_ORD_SEQ, .align = 1});
    ir_fence(b, IR_FENCE_RW | IR_FENCE_WW);
    ir_call(b, &h_plain, IR_NUM_TYPES, 1, old, 0, 0);
    ir_put(b, 0x50, ir_call(b, &h_pure, IR_I64, 2, a, c, 0));
    ir_exit_if(b, cc, 0x10074);
    ir_exit(b, IR_EXIT_SYSCALL, 0x10004);
}

static struct ir_insn *find_op(struct ir_block *b, enum ir_opcode op)
{
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (b->insn[k].op == op)
            return &b->insn[k];
    return NULL;
}

typedef void (*mutator)(struct ir_block *b);

static void m_use_before_def(struct ir_block *b) { find_op(b, IR_ADD)->arg[1] = 5; }
static void m_double_def(struct ir_block *b) { find_op(b, IR_CONST)->dst = 1; }
static void m_id_range(struct ir_block *b) { find_op(b, IR_ADD)->arg[0] = b->n_val + 3; }
static void m_missing_arg(struct ir_block *b) { find_op(b, IR_ADD)->arg[1] = 0; }
static void m_extra_arg(struct ir_block *b) { find_op(b, IR_ZEXT)->arg[1] = 1; }
static void m_add_mixed(struct ir_block *b)
{
    find_op(b, IR_ADD)->arg[1] = find_op(b, IR_ZEXT)->dst;
}
static void m_add_type(struct ir_block *b)
{
    /* an i32 add whose operands are i64 */
    struct ir_insn *i = find_op(b, IR_SUB);
    i->arg[0] = 1;
    i->arg[1] = 2;
}
static void m_setcc_mixed(struct ir_block *b)
{
    find_op(b, IR_SETCC)->arg[1] = find_op(b, IR_ZEXT)->dst;
}
static void m_load_addr(struct ir_block *b)
{
    find_op(b, IR_LOAD)->arg[0] = find_op(b, IR_ZEXT)->dst;
}
static void m_mem_size(struct ir_block *b) { find_op(b, IR_LOAD)->mem.size = 4; }
static void m_load_fit(struct ir_block *b)
{
    /* 8-byte atomic into an i32 */
    find_op(b, IR_ATOMIC_RMW)->mem.size = 3;
}
static void m_store_fit(struct ir_block *b) { find_op(b, IR_STORE)->mem.size = 3; }
static void m_fp_on_int(struct ir_block *b) { find_op(b, IR_FMA)->arg[2] = 1; }
static void m_fp_type(struct ir_block *b)
{
    struct ir_insn *i = find_op(b, IR_FCVT_F2F);
    i->arg[0] = find_op(b, IR_FMA)->dst; /* f64 -> f64 */
}
static void m_bad_bitcast(struct ir_block *b)
{
    find_op(b, IR_MOV)->arg[0] = find_op(b, IR_ZEXT)->dst;
}
static void m_f2i_w32(struct ir_block *b) { find_op(b, IR_FCVT_F2I)->imm = IR_FPX_SIGNED; }
static void m_i2f_w32(struct ir_block *b) { find_op(b, IR_FCVT_I2F)->imm = 0; }
static void m_fcmp_dst(struct ir_block *b)
{
    struct ir_insn *i = find_op(b, IR_FCMP);
    i->type = IR_I64;
    b->vtype[i->dst] = IR_I64;
}
static void m_void_call_dst(struct ir_block *b) { find_op(b, IR_CALL1)->dst = b->n_val - 1; }
static void m_no_term(struct ir_block *b) { b->n_insn--; }
static void m_term_not_last(struct ir_block *b)
{
    struct ir_insn *e = find_op(b, IR_EXIT_IF);
    e->op = IR_GOTO;
    e->arg[0] = 0;
}
static void m_bad_op(struct ir_block *b) { find_op(b, IR_FENCE)->op = IR_NUM_OPS + 3; }
static void m_bad_type(struct ir_block *b) { find_op(b, IR_INSN_START)->type = 9; }
static void m_bad_cond(struct ir_block *b) { find_op(b, IR_SETCC)->aux = IR_NUM_CONDS; }
static void m_bad_ext(struct ir_block *b) { find_op(b, IR_SEXT)->aux = 7; }
static void m_bad_extract(struct ir_block *b) { find_op(b, IR_EXTRACT)->imm = 60 | 8 << 8; }
static void m_bad_exit(struct ir_block *b) { find_op(b, IR_EXIT)->aux = IR_NUM_EXITS; }
static void m_bad_const(struct ir_block *b)
{
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (b->insn[k].op == IR_CONST && b->insn[k].type == IR_I32)
            b->insn[k].imm = 0x100000001ull;
}
static void m_vtype(struct ir_block *b) { b->vtype[find_op(b, IR_ADD)->dst] = IR_F64; }
static void m_put_type(struct ir_block *b) { find_op(b, IR_PUT)->type = IR_I64; }
static void m_rm(struct ir_block *b) { find_op(b, IR_FMA)->aux = 5; }
static void m_goto_ind(struct ir_block *b)
{
    struct ir_insn *e = &b->insn[b->n_insn - 1];
    e->op = IR_GOTO_IND;
    e->arg[0] = find_op(b, IR_ZEXT)->dst;
}
static void m_rmw_kind(struct ir_block *b) { find_op(b, IR_ATOMIC_RMW)->aux = IR_NUM_RMW; }
static void m_null_helper(struct ir_block *b) { find_op(b, IR_CALL1)->imm = 0; }

static void test_verify(void)
{
    group("verify");
    struct ir_block b;
    build_valid(&b);
    char err[256];
    int rc = ir_verify(&b, err, sizeof(err));
    expect(rc == 0, "valid block rejected: %s", err);
    ir_block_free(&b);

    static const struct {
        const char *name;
        mutator m;
    } bad[] = {
        {"use before def", m_use_before_def}, {"double def", m_double_def},
        {"id out of range", m_id_range},      {"missing operand", m_missing_arg},
        {"extra operand", m_extra_arg},       {"add i64 with i32 operand", m_add_mixed},
        {"i32 op on i64", m_add_type},        {"setcc mixed types", m_setcc_mixed},
        {"load address i32", m_load_addr},    {"memop size 4", m_mem_size},
        {"atomic too wide", m_load_fit},      {"store too wide", m_store_fit},
        {"fma on integer", m_fp_on_int},      {"f2f same type", m_fp_type},
        {"bitcast i32->f64", m_bad_bitcast},  {"f2i i32 without W32", m_f2i_w32},
        {"i2f from i32 without W32", m_i2f_w32}, {"fcmp i64 dst", m_fcmp_dst},
        {"void call with dst", m_void_call_dst}, {"no terminator", m_no_term},
        {"terminator not last", m_term_not_last}, {"bad opcode", m_bad_op},
        {"bad type", m_bad_type},             {"bad condition", m_bad_cond},
        {"bad extension width", m_bad_ext},   {"extract out of width", m_bad_extract},
        {"bad exit reason", m_bad_exit},      {"i32 const with high bits", m_bad_const},
        {"vtype mismatch", m_vtype},          {"put type mismatch", m_put_type},
        {"bad rounding mode", m_rm},          {"goto_ind i32 target", m_goto_ind},
        {"bad rmw kind", m_rmw_kind},         {"call without helper", m_null_helper},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        build_valid(&b);
        bad[k].m(&b);
        err[0] = 0;
        rc = ir_verify(&b, err, sizeof(err));
        expect(rc == -EINVAL && strstr(err, "insn ") != NULL,
               "%s: accepted (rc %d, message '%s')", bad[k].name, rc, err);
        ir_block_free(&b);
    }
    /* the message names the right insn */
    build_valid(&b);
    struct ir_insn *add = find_op(&b, IR_ADD);
    long idx = add - b.insn;
    add->arg[1] = 5;
    ir_verify(&b, err, sizeof(err));
    char want[64];
    snprintf(want, sizeof(want), "insn %ld (ADD)", idx);
    expect(strstr(err, want) && strstr(err, "before"), "message '%s' lacks '%s'", err, want);
    ir_block_free(&b);
    /* two terminators */
    ir_block_init(&b, 0, 0);
    ir_goto(&b, 4);
    ir_goto(&b, 8);
    rc = ir_verify(&b, err, sizeof(err));
    expect(rc < 0 && strstr(err, "insn 0"), "two terminators accepted: '%s'", err);
    ir_block_free(&b);
    /* an empty block */
    ir_block_init(&b, 0, 0);
    expect(ir_verify(&b, err, sizeof(err)) < 0, "empty block accepted");
    ir_block_free(&b);
    group_end();
}

/* ---- printer ---- */

static void test_print(void)
{
    group("print");
    struct ir_block b;
    ir_block_init(&b, 0x10070, 0);
    b.n_guest = 2;
    ir_insn_start(&b, 0x10070, 4);
    ir_val x1 = ir_get(&b, IR_I64, 0x48);              /* v1 */
    ir_val x2 = ir_const(&b, IR_I64, (uint64_t)-8);    /* v2 */
    ir_val s = ir_binop(&b, IR_ADD, IR_I64, x1, x2);   /* v3 */
    ir_put(&b, 0x48, s);
    ir_val l = ir_load(&b, IR_I64, s, ir_mem(2, false)); /* v4 */
    ir_val c = ir_setcc(&b, IR_I64, IR_LTU, l, x1);    /* v5 */
    ir_exit_if(&b, c, 0x10074);
    ir_call(&b, &h_plain, IR_NUM_TYPES, 1, l, 0, 0);
    ir_val f1 = ir_get(&b, IR_F64, 0x100), f2 = ir_get(&b, IR_F64, 0x108);
    ir_val f = ir_fop(&b, IR_FADD, IR_F64, IR_RM_DYN, 0, f1, f2, 0);
    ir_put(&b, 0x100, f);
    ir_goto(&b, 0x10078);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!expect(m != NULL, "open_memstream failed")) {
        group_end();
        return;
    }
    ir_print(m, &b);
    fclose(m);
    static const char *const want[] = {
        "IR block pc=0x10070 insns=14 guest=2\n",
        "---- 0x10070 len=4\n",
        "  v1:i64 = get [+0x48]\n",
        "  v2:i64 = const 0xfffffffffffffff8 (-8)\n",
        "  v3:i64 = add v1, v2\n",
        "  put.i64 [+0x48] v3\n",
        "  v4:i64 = load.u32 v3\n",
        "  v5:i64 = setcc.ltu v4, v1\n",
        "  exit_if v5 -> 0x10074\n",
        "  call plain(v4)\n",
        "  v8:f64 = fadd.dyn v6, v7\n",
        "  put.f64 [+0x100] v8\n",
        "  goto 0x10078\n",
    };
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
        expect(buf && strstr(buf, want[k]), "output lacks '%.*s'", (int)strlen(want[k]) - 1,
               want[k]);
    /* one line per insn plus the header */
    size_t lines = 0;
    for (size_t k = 0; buf && k < len; k++)
        lines += buf[k] == '\n';
    expect(lines == b.n_insn + 1, "%zu lines for %u insns", lines, b.n_insn);
    free(buf);
    /* a malformed block prints without crashing */
    b.insn[1].op = IR_NUM_OPS + 7;
    b.insn[2].type = 77;
    b.insn[6].aux = 200;
    m = open_memstream(&buf, &len);
    ir_print(m, &b);
    fclose(m);
    expect(buf && strstr(buf, "bad_op"), "bad opcode not shown");
    free(buf);
    ir_block_free(&b);
    group_end();
}

/* ---- randomized differential check ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

#define STATE_SIZE 0x100u
#define ST_LO 0x40u  /* random GET/PUT offsets: [ST_LO, ST_LO + 0x20), 4-aligned */

struct outcome {
    int kind; /* 0 left the block to pc (a folded side exit is a goto), 2 fault */
    uint64_t pc;
    uint8_t state[STATE_SIZE];
};

/* Reference evaluator for the integer subset the random generator emits. */
static bool ref_eval(const struct ir_block *b, const uint8_t *init, struct outcome *o,
                     uint64_t *slot)
{
    memcpy(o->state, init, STATE_SIZE);
    o->kind = 0;
    o->pc = 0;
    for (uint32_t k = 0; k < b->n_insn; k++) {
        const struct ir_insn *i = &b->insn[k];
        enum ir_type t = (enum ir_type)i->type;
        uint64_t a0 = slot[i->arg[0]], a1 = slot[i->arg[1]], a2 = slot[i->arg[2]], r = 0;
        switch (i->op) {
        case IR_INSN_START: continue;
        case IR_CONST: r = i->imm; break;
        case IR_GET:
            r = 0;
            memcpy(&r, o->state + i->imm, ir_width(t) / 8);
            break;
        case IR_PUT: memcpy(o->state + i->imm, &a0, ir_width(t) / 8); continue;
        case IR_MOV: r = a0; break;
        case IR_ADD: case IR_SUB: case IR_MUL: case IR_MULHS: case IR_MULHU: case IR_MULHSU:
        case IR_DIV: case IR_DIVU: case IR_REM: case IR_REMU: case IR_AND: case IR_OR:
        case IR_XOR: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROTL: case IR_ROTR:
        case IR_MIN: case IR_MAX: case IR_MINU: case IR_MAXU:
            r = ir_eval_binop((enum ir_opcode)i->op, t, a0, a1);
            break;
        case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP:
        case IR_SEXT: case IR_ZEXT:
            r = ir_eval_unop((enum ir_opcode)i->op, t, i->aux, a0);
            break;
        case IR_EXTRACT: r = ir_eval_extract(t, i->imm, i->aux, a0); break;
        case IR_DEPOSIT: r = ir_eval_deposit(t, i->imm, a0, a1); break;
        case IR_SETCC:
            r = ir_eval_setcc((enum ir_cond)i->aux, (enum ir_type)b->vtype[i->arg[0]], a0, a1);
            break;
        case IR_SELECT: r = a0 ? a1 : a2; break;
        case IR_CALL0: case IR_CALL1: case IR_CALL2: case IR_CALL3: {
            const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)i->imm;
            g_faulted = false;
            r = ((helper_fn)h->fn)((struct cpu_common *)o->state, a0, a1, a2);
            if (g_faulted) {
                o->kind = 2;
                o->pc = k; /* unused; state is what matters */
                return true;
            }
            if (!i->dst)
                continue;
            break;
        }
        case IR_EXIT_IF:
            if (a0) {
                o->kind = 0;
                o->pc = i->imm;
                return true;
            }
            continue;
        case IR_GOTO: o->pc = i->imm; return true;
        case IR_GOTO_IND: o->pc = a0; return true;
        default: return false; /* generator bug */
        }
        slot[i->dst] = ir_trunc(t, r);
    }
    return false;
}

struct pool {
    ir_val v[2][512]; /* by type I32, I64 */
    unsigned n[2];
};

/* a value of type t, biased towards recent ones so chains form */
static ir_val pick(struct pool *p, enum ir_type t)
{
    unsigned n = p->n[t];
    if (rn(2) && n > 4)
        return p->v[t][n - 1 - rn(4)];
    return p->v[t][rn(n)];
}

static void add_val(struct pool *p, enum ir_type t, ir_val v)
{
    if (p->n[t] < 512)
        p->v[t][p->n[t]++] = v;
}

static uint64_t interesting(void)
{
    static const uint64_t k[] = {0, 1, 2, 3, 7, 31, 32, 63, 64, 0x80, 0xff, 0x8000,
                                 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull};
    return rn(3) ? k[rn(sizeof(k) / sizeof(k[0]))] : rnd();
}

static void gen_block(struct ir_block *b)
{
    struct pool p = {.n = {0, 0}};
    ir_block_init(b, 0x8000, 0);
    add_val(&p, IR_I32, ir_const(b, IR_I32, interesting()));
    add_val(&p, IR_I64, ir_const(b, IR_I64, interesting()));
    unsigned n = 5 + rn(60);
    for (unsigned k = 0; k < n; k++) {
        enum ir_type t = rn(2) ? IR_I64 : IR_I32;
        unsigned kind = rn(100);
        if (rn(8) == 0)
            ir_insn_start(b, 0x8000 + 4 * k, 4);
        if (kind < 12) {
            add_val(&p, t, ir_const(b, t, interesting()));
        } else if (kind < 24) {
            add_val(&p, t, ir_get(b, t, ST_LO + 4 * rn(7)));
        } else if (kind < 38) {
            ir_put(b, ST_LO + 4 * rn(7), pick(&p, t));
        } else if (kind < 58) {
            enum ir_opcode op = (enum ir_opcode)(IR_ADD + rn(IR_MAXU - IR_ADD + 1));
            ir_val x = pick(&p, t), y = rn(6) ? pick(&p, t) : x;
            add_val(&p, t, ir_binop(b, op, t, x, y));
        } else if (kind < 64) {
            enum ir_opcode op = (enum ir_opcode)(IR_NOT + rn(IR_BSWAP - IR_NOT + 1));
            add_val(&p, t, ir_unop(b, op, t, pick(&p, t)));
        } else if (kind < 70) {
            static const unsigned bits[] = {8, 16, 32};
            enum ir_type st = rn(2) ? IR_I64 : IR_I32;
            unsigned aux = bits[rn(3)];
            add_val(&p, t, ir_ext(b, rn(2) ? IR_SEXT : IR_ZEXT, t, pick(&p, st), aux));
        } else if (kind < 74) {
            enum ir_type st = rn(2) ? IR_I64 : IR_I32;
            unsigned sw = st == IR_I32 ? 32 : 64, tw = t == IR_I32 ? 32 : 64;
            unsigned len = 1 + rn(sw < tw ? sw : tw), pos = rn(sw - len + 1);
            add_val(&p, t, ir_extract(b, t, pick(&p, st), pos, len, rn(2)));
        } else if (kind < 77) {
            unsigned tw = t == IR_I32 ? 32 : 64, len = 1 + rn(tw), pos = rn(tw - len + 1);
            add_val(&p, t,
                    ir_deposit(b, t, pick(&p, t), pick(&p, rn(2) ? IR_I64 : IR_I32), pos, len));
        } else if (kind < 83) {
            enum ir_type ot = rn(2) ? IR_I64 : IR_I32;
            ir_val x = pick(&p, ot), y = rn(5) ? pick(&p, ot) : x;
            add_val(&p, t, ir_setcc(b, t, (enum ir_cond)rn(IR_NUM_CONDS), x, y));
        } else if (kind < 87) {
            ir_val c = pick(&p, rn(2) ? IR_I64 : IR_I32);
            add_val(&p, t, ir_select(b, t, c, pick(&p, t), pick(&p, t)));
        } else if (kind < 90) {
            add_val(&p, t, ir_unop(b, IR_MOV, t, pick(&p, t)));
        } else if (kind < 93) {
            /* side exit: mostly on comparisons, sometimes constant */
            ir_exit_if(b, pick(&p, rn(2) ? IR_I64 : IR_I32), 0x9000 + 4 * k);
        } else if (kind < 95) {
            ir_call(b, &h_fault, IR_NUM_TYPES, 1, pick(&p, IR_I64), 0, 0);
        } else if (kind < 97) {
            add_val(&p, IR_I64, ir_call(b, &h_state, IR_I64, 1, pick(&p, IR_I64), 0, 0));
        } else {
            add_val(&p, IR_I64,
                    ir_call(b, &h_pure, IR_I64, 2, pick(&p, IR_I64), pick(&p, IR_I64), 0));
        }
    }
    if (rn(4) == 0)
        ir_goto_ind(b, pick(&p, IR_I64));
    else
        ir_goto(b, 0x8000 + 4 * n);
}

static void test_random(void)
{
    group("random_differential");
    unsigned iters = 20000;
    const char *env = getenv("IR_TEST_ITERS");
    if (env)
        iters = (unsigned)strtoul(env, NULL, 0);
    uint64_t *slot1 = calloc(4096, sizeof(uint64_t)), *slot2 = calloc(4096, sizeof(uint64_t));
    static struct outcome o1, o2;
    uint8_t init[STATE_SIZE];
    unsigned shrunk = 0, total_before = 0, total_after = 0;
    for (unsigned it = 0; it < iters && !grp_failed; it++) {
        struct ir_block b, o;
        uint64_t seed = rng_state;
        gen_block(&b);
        char err[256];
        if (!expect(ir_verify(&b, err, sizeof(err)) == 0, "generated block invalid: %s", err))
            break;
        for (unsigned k = 0; k < STATE_SIZE; k++)
            init[k] = (uint8_t)rnd();
        unsigned passes = it % 3 == 0 ? (unsigned)rn(16) : IR_OPT_ALL;
        clone_block(&o, &b);
        ir_optimize(&o, passes);
        total_before += b.n_insn;
        total_after += o.n_insn;
        shrunk += o.n_insn < b.n_insn;
        if (!expect(ir_verify(&o, err, sizeof(err)) == 0,
                    "iteration %u (seed 0x%" PRIx64 ", passes 0x%x): optimised block invalid: %s",
                    it, seed, passes, err))
            break;
        /* a fixed point: optimising again with the same passes changes nothing */
        struct ir_block o2b;
        clone_block(&o2b, &o);
        ir_optimize(&o2b, passes);
        if (!expect(o2b.n_insn == o.n_insn &&
                        !memcmp(o2b.insn, o.insn, o.n_insn * sizeof(*o.insn)),
                    "iteration %u (seed 0x%" PRIx64 ", passes 0x%x): second optimize changed "
                    "the block (%u -> %u insns)", it, seed, passes, o.n_insn, o2b.n_insn)) {
            if (getenv("IR_TEST_DUMP")) {
                ir_print(stdout, &b);
                ir_print(stdout, &o);
                ir_print(stdout, &o2b);
            }
        }
        ir_block_free(&o2b);
        memset(slot1, 0, 4096 * sizeof(uint64_t));
        memset(slot2, 0, 4096 * sizeof(uint64_t));
        bool r1 = ref_eval(&b, init, &o1, slot1), r2 = ref_eval(&o, init, &o2, slot2);
        bool same = r1 && r2 && o1.kind == o2.kind &&
                    (o1.kind == 2 || o1.pc == o2.pc) &&
                    !memcmp(o1.state, o2.state, STATE_SIZE);
        if (!same) {
            expect(false, "iteration %u (seed 0x%" PRIx64 ", passes 0x%x): results differ "
                          "(kind %d/%d pc 0x%" PRIx64 "/0x%" PRIx64 ")",
                   it, seed, passes, o1.kind, o2.kind, o1.pc, o2.pc);
            if (getenv("IR_TEST_DUMP")) {
                ir_print(stdout, &b);
                ir_print(stdout, &o);
            }
        }
        ir_block_free(&b);
        ir_block_free(&o);
    }
    expect(grp_failed || shrunk > iters / 2, "optimiser shrank only %u of %u blocks", shrunk,
           iters);
    free(slot1);
    free(slot2);
    group_end();
    printf("# random: %u blocks, %u insns before, %u after optimize\n", iters, total_before,
           total_after);
}

/* ---- speed (reported, not checked: timing on a shared machine is noisy) ---- */

static void report_speed(void)
{
    struct ir_block tmpl, b;
    ir_block_init(&tmpl, 0x10000, 0);
    /* a realistic block: 64 guest insns of get/add/put/load/store/branch-free code */
    for (unsigned k = 0; k < 64; k++) {
        ir_insn_start(&tmpl, 0x10000 + 4 * k, 4);
        ir_val a = ir_get(&tmpl, IR_I64, 0x100 + 8 * (k % 31 + 1));
        ir_val c = ir_const(&tmpl, IR_I64, k * 8);
        ir_val s = ir_binop(&tmpl, IR_ADD, IR_I64, a, c);
        if (k % 4 == 0)
            s = ir_load(&tmpl, IR_I64, s, ir_mem(3, false));
        else if (k % 4 == 1)
            ir_store(&tmpl, s, a, ir_mem(2, false));
        ir_put(&tmpl, 0x100 + 8 * ((k * 7) % 31 + 1), s);
    }
    ir_goto(&tmpl, 0x10100);
    unsigned runs = 2000;
    struct timespec t0, t1;
    double total = 0;
    for (unsigned r = 0; r < runs; r++) {
        clone_block(&b, &tmpl);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ir_optimize(&b, IR_OPT_ALL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        total += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        if (r + 1 < runs)
            ir_block_free(&b);
    }
    printf("# speed: ir_optimize %u -> %u insns in %.1f us (mean of %u)\n", tmpl.n_insn,
           b.n_insn, total / runs / 1000.0, runs);
    ir_block_free(&b);
    ir_block_free(&tmpl);
}

int main(void)
{
    test_fold_binops();
    test_fold_unops();
    test_fold_misc();
    test_fold_identities();
    test_fold_control();
    test_copy();
    test_state_forward();
    test_dead_put();
    test_dce();
    test_verify();
    test_print();
    test_random();
    report_speed();
    return n_failed_groups ? 1 : 0;
}
