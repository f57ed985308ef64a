/*
 * Unit tests of the exec room: the interpreter against ir_eval.h, memory and atomics,
 * chaining, indirect jumps, exit requests, invalidation, exceptions, exits, and a
 * randomised differential test of the predecoder's guest-state fusion against a tiny
 * reference evaluator. A fake guest (struct fcpu) translates hand-written IR blocks.
 *
 * `exec_test --bench` also measures the interpreter on a tight loop (ns per IR op).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/interp_ops.h"
#include "ir/ir_eval.h"
#include "mem/physmap.h"
#include "mem/tlb.h"

/* ---- the fake guest ---- */

#define NREG 1024
struct fcpu {
    struct cpu_common c;
    uint64_t r[NREG];
};
#define RO(n) ((uint32_t)(offsetof(struct fcpu, r) + 8u * (n)))

typedef void fake_build_fn(struct ir_block *b, const void *arg);
struct fblock {
    uint64_t pc;
    fake_build_fn *fn;
    const void *arg;
    unsigned translations;
};
#define MAXFB 8192
static struct fblock fblocks[MAXFB];
static int n_fblocks;
static pthread_mutex_t fb_lock = PTHREAD_MUTEX_INITIALIZER;

static void fb_add(uint64_t pc, fake_build_fn *fn, const void *arg)
{
    pthread_mutex_lock(&fb_lock);
    int i;
    for (i = 0; i < n_fblocks; i++)
        if (fblocks[i].pc == pc) break;
    if (i == n_fblocks) {
        if (n_fblocks == MAXFB) {
            fprintf(stderr, "exec_test: too many fake blocks\n");
            exit(2);
        }
        n_fblocks++;
    }
    fblocks[i] = (struct fblock){.pc = pc, .fn = fn, .arg = arg};
    pthread_mutex_unlock(&fb_lock);
}

static unsigned fb_translations(uint64_t pc)
{
    for (int i = 0; i < n_fblocks; i++)
        if (fblocks[i].pc == pc) return fblocks[i].translations;
    return 0;
}

/* Forget every fake block and every translation. */
static void fb_reset(void)
{
    exec_invalidate(0, UINT64_MAX);
    pthread_mutex_lock(&fb_lock);
    n_fblocks = 0;
    pthread_mutex_unlock(&fb_lock);
}

static bool fb_fault; /* set by a builder whose code fetch failed */

static int fake_translate(struct cpu_common *cpu, struct ir_block *b, unsigned max_insns)
{
    pthread_mutex_lock(&fb_lock);
    struct fblock *f = NULL;
    for (int i = 0; i < n_fblocks; i++)
        if (fblocks[i].pc == b->pc) f = &fblocks[i];
    if (f) f->translations++;
    pthread_mutex_unlock(&fb_lock);
    if (!f) return -EFAULT;
    fb_fault = false;
    f->fn(b, f->arg);
    if (fb_fault) return -EFAULT;
    unsigned n = 0;
    for (uint32_t k = 0; k < b->n_insn; k++)
        n += b->insn[k].op == IR_INSN_START;
    b->n_guest = n ? n : 1;
    b->guest_size = 4 * b->n_guest;
    return 0;
}

static const struct guest_arch fake_arch = {
    .name = "fake",
    .cpu_size = sizeof(struct fcpu),
    .translate = fake_translate,
};

#define MEM_SIZE 65536u
static uint8_t *g_mem; /* guest memory: MEM_SIZE bytes + a PROT_NONE page after it */

static struct fcpu *new_cpu(void)
{
    struct fcpu *c = calloc(1, sizeof(*c));
    if (!c) abort();
    c->c.arch = &fake_arch;
    c->c.mem_base = (uintptr_t)g_mem;
    c->c.mem_mask = MEM_SIZE - 1;
    if (exec_ctx_new(&c->c)) {
        fprintf(stderr, "exec_test: exec_ctx_new failed\n");
        exit(2);
    }
    return c;
}

static void free_cpu(struct fcpu *c)
{
    exec_ctx_free(&c->c);
    free(c);
}

static enum exec_result run_at(struct fcpu *c, uint64_t pc)
{
    c->c.pc = pc;
    return exec_run(&c->c);
}

/* ---- reporting ---- */

static int failures;
static bool group_ok;
static char group_err[512];

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond) && group_ok) {                                                                 \
            group_ok = false;                                                                      \
            snprintf(group_err, sizeof(group_err), __VA_ARGS__);                                   \
        }                                                                                          \
    } while (0)

static void group_begin(void)
{
    group_ok = true;
}
static void group_end(const char *name)
{
    if (group_ok) {
        printf("ok %s\n", name);
    } else {
        printf("not ok %s: %s\n", name, group_err);
        failures++;
    }
    fflush(stdout);
}

/* Is handler `id` used by the block at pc? */
static bool block_uses(struct fcpu *c, uint64_t pc, unsigned id)
{
    int err = 0;
    struct tb *tb = tb_find(c->c.exec, pc, c->c.tb_flags, &err);
    if (!tb) return false;
    for (uint32_t k = 0; k < tb->n_ops; k++)
        if (tb->code[k].h == interp_handlers[id]) return true;
    return false;
}

static const uint64_t edge[] = {0,
                                1,
                                2,
                                3,
                                31,
                                32,
                                63,
                                64,
                                0x7f,
                                0x80,
                                0xff,
                                0x7fff,
                                0x8000,
                                0x7fffffff,
                                0x80000000,
                                0xffffffff,
                                0x100000000ull,
                                0x7fffffffffffffffull,
                                0x8000000000000000ull,
                                0xffffffffffffffffull,
                                0xfffffffffffffffeull,
                                0x123456789abcdef0ull,
                                0xffffffff80000000ull};
#define NE (sizeof(edge) / sizeof(edge[0]))
#define OUT0 64 /* first output register */

static void load_edges(struct fcpu *c)
{
    for (unsigned i = 0; i < NE; i++)
        c->r[i] = edge[i];
}

/* Operand shapes the tests ask for: frame, guest state, immediate, constant first. */
enum { SH_F, SH_S, SH_I, SH_C };

struct op_case {
    unsigned op; /* IR op (or cond for SETCC/branch) */
    bool ws;     /* an I32 op whose result is SEXT.32 to I64 */
    enum ir_type t;
    unsigned d, a, b; /* SH_* */
    unsigned x, y;    /* edge indices where fixed */
    unsigned aux;
};

static ir_val one64(struct ir_block *b)
{
    return ir_const(b, IR_I64, 1);
}

/* An I64 value of register n placed as the shape asks (S: the GET itself; F: through a
 * SELECT, which only takes frame operands; I/C: a constant). */
static ir_val opnd64(struct ir_block *b, unsigned sh, unsigned n, ir_val one)
{
    if (sh == SH_I || sh == SH_C) return ir_const(b, IR_I64, edge[n]);
    ir_val g = ir_get(b, IR_I64, RO(n));
    return sh == SH_S ? g : ir_select(b, IR_I64, one, g, g);
}

/* An I32 operand: the low half of register n, through ZEXT.32 (which the predecoder
 * makes transparent, so S reads the register itself and F goes through a SELECT). */
static ir_val opnd32(struct ir_block *b, unsigned sh, unsigned n, ir_val one)
{
    if (sh == SH_I || sh == SH_C) return ir_const(b, IR_I32, edge[n]);
    return ir_ext(b, IR_ZEXT, IR_I32, opnd64(b, sh, n, one), 32);
}

static void put_result(struct ir_block *b, unsigned dsh, unsigned n, ir_val v, ir_val one)
{
    if (ir_val_type(b, v) == IR_I32)
        v = ir_ext(b, IR_ZEXT, IR_I64, v, 32);
    else if (dsh == SH_F)
        v = ir_select(b, IR_I64, one, v, v);
    ir_put(b, RO(n), v);
}

/* binop / setcc over every pair of edge values */
static void build_pairs(struct ir_block *b, const void *arg)
{
    const struct op_case *oc = arg;
    ir_val one = one64(b);
    ir_insn_start(b, b->pc, 4);
    unsigned k = 0;
    for (unsigned x = 0; x < NE; x++)
        for (unsigned y = 0; y < NE; y++, k++) {
            ir_val a, v, r;
            if (oc->t == IR_I64) {
                a = opnd64(b, oc->a, x, one);
                v = opnd64(b, oc->b, y, one);
            } else {
                a = opnd32(b, oc->a, x, one);
                v = opnd32(b, oc->b, y, one);
            }
            if (oc->op >= 100)
                r = ir_setcc(b, IR_I64, (enum ir_cond)(oc->op - 100), a, v);
            else
                r = ir_binop(b, (enum ir_opcode)oc->op, oc->t, a, v);
            if (oc->ws) r = ir_ext(b, IR_SEXT, IR_I64, r, 32);
            put_result(b, oc->d, OUT0 + k, r, one);
        }
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static const uint16_t t_bin_base[IR_NUM_OPS][2] = {
#define X(H, op) [IR_##op] = {IH_##op##_32_FFF, IH_##op##_64_FFF},
    INTERP_BINOPS(X, _)
#undef X
};
static const uint16_t t_set_base[IR_NUM_CONDS][2] = {
#define X(H, c) [IR_##c] = {IH_SET##c##_32_FFF, IH_SET##c##_64_FFF},
    INTERP_CONDS(X, _)
#undef X
};
static const uint16_t t_br_base[IR_NUM_CONDS][2] = {
#define X(H, c) [IR_##c] = {IH_BR##c##_32_FF, IH_BR##c##_64_FF},
    INTERP_CONDS(X, _)
#undef X
};

static unsigned shape_b(unsigned sh)
{
    return sh == SH_I ? 1 : sh == SH_S ? 2 : 0;
}

static uint64_t next_pc = 0x100000;
static uint64_t fresh_pc(void)
{
    next_pc += 0x1000;
    return next_pc;
}

static bool has_w(unsigned op)
{
    switch (op) {
#define X(H, op) case IR_##op:
        INTERP_WOPS(X, _)
#undef X
        return true;
    default: return false;
    }
}
static const uint16_t t_w_base[IR_NUM_OPS] = {
#define X(H, op) [IR_##op] = IH_##op##_W_FFF,
    INTERP_WOPS(X, _)
#undef X
};

static void test_pairs(const char *name, bool setcc)
{
    static struct op_case cases[4096];
    unsigned nc = 0;
    struct fcpu *c = new_cpu();
    group_begin();
    unsigned lo = setcc ? 0 : IR_ADD, hi = setcc ? IR_NUM_CONDS - 1 : IR_MAXU;
    for (unsigned op = lo; op <= hi; op++)
        for (int t = 0; t < 3; t++) /* I32, I64, I32 sign-extended (W) */
            for (unsigned d = SH_F; d <= SH_S; d++)
                for (unsigned a = SH_F; a <= SH_C; a++)
                    for (unsigned bs = SH_F; bs <= SH_I; bs++) {
                        if (a == SH_I || (a == SH_C && bs == SH_I)) continue;
                        if (t == 2 && (setcc || !has_w(op))) continue;
                        if (t == 0 && !setcc && d == SH_S)
                            continue; /* an I32 result never lives in guest state */
                        struct op_case *oc = &cases[nc++];
                        *oc = (struct op_case){.op = setcc ? 100 + op : op,
                                               .t = t == 1 ? IR_I64 : IR_I32,
                                               .ws = t == 2,
                                               .d = d,
                                               .a = a,
                                               .b = bs};
                        uint64_t pc = fresh_pc();
                        fb_add(pc, build_pairs, oc);
                        load_edges(c);
                        enum exec_result r = run_at(c, pc);
                        CHECK(r == EXEC_HALT, "%s: exit %d", ir_opinfo[setcc ? IR_SETCC : op].name,
                              r);
                        unsigned k = 0;
                        for (unsigned x = 0; x < NE; x++)
                            for (unsigned y = 0; y < NE; y++, k++) {
                                uint64_t want;
                                if (setcc)
                                    want = ir_eval_setcc((enum ir_cond)op, oc->t, edge[x], edge[y]);
                                else
                                    want =
                                        ir_eval_binop((enum ir_opcode)op, oc->t, edge[x], edge[y]);
                                if (oc->ws) want = ir_eval_unop(IR_SEXT, IR_I64, 32, want);
                                CHECK(
                                    c->r[OUT0 + k] == want,
                                    "%s cond/op %u t%d shape d%u a%u b%u: (%#llx, %#llx) = %#llx, "
                                    "want %#llx",
                                    setcc ? "SETCC" : ir_opinfo[op].name, op, t, d, a, bs,
                                    (unsigned long long)edge[x], (unsigned long long)edge[y],
                                    (unsigned long long)c->r[OUT0 + k], (unsigned long long)want);
                            }
                        if (a != SH_C) {
                            unsigned base = setcc    ? t_set_base[op][t == 1]
                                            : t == 2 ? t_w_base[op]
                                                     : t_bin_base[op][t == 1];
                            unsigned id = base + (d == SH_S) * 6 + (a == SH_S) * 3 + shape_b(bs);
                            CHECK(block_uses(c, pc, id),
                                  "%s op %u t%d shape d%u a%u b%u: handler "
                                  "variant not used",
                                  name, op, t, d, a, bs);
                        }
                    }
    group_end(name);
    fb_reset();
    free_cpu(c);
}

/* ---- fused compare-and-exit ---- */

static void build_branch(struct ir_block *b, const void *arg)
{
    const struct op_case *oc = arg;
    ir_val one = one64(b);
    ir_insn_start(b, b->pc, 4);
    ir_val a, v;
    if (oc->t == IR_I64) {
        a = opnd64(b, oc->a, 0, one);
        v = oc->b == SH_I ? ir_const(b, IR_I64, edge[oc->y]) : opnd64(b, oc->b, 1, one);
    } else {
        a = opnd32(b, oc->a, 0, one);
        v = oc->b == SH_I ? ir_const(b, IR_I32, edge[oc->y]) : opnd32(b, oc->b, 1, one);
    }
    ir_exit_if(b, ir_setcc(b, IR_I32, (enum ir_cond)oc->op, a, v), 0x9000);
    ir_exit(b, IR_EXIT_BREAK, b->pc + 4);
}

static void build_exit_halt(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_exit(b, IR_EXIT_HALT, b->pc);
}

static void test_branches(void)
{
    static struct op_case cases[4096];
    unsigned nc = 0;
    struct fcpu *c = new_cpu();
    group_begin();
    fb_add(0x9000, build_exit_halt, NULL);
    for (unsigned cond = 0; cond < IR_NUM_CONDS; cond++)
        for (int t = 0; t < 2; t++)
            for (unsigned a = SH_F; a <= SH_S; a++)
                for (unsigned bs = SH_F; bs <= SH_I; bs++)
                    for (unsigned y = 0; y < (bs == SH_I ? NE : 1); y++) {
                        struct op_case *oc = &cases[nc++];
                        *oc = (struct op_case){
                            .op = cond, .t = t ? IR_I64 : IR_I32, .a = a, .b = bs, .y = y};
                        uint64_t pc = fresh_pc();
                        fb_add(pc, build_branch, oc);
                        for (unsigned x = 0; x < NE; x++)
                            for (unsigned yy = 0; yy < (bs == SH_I ? 1 : NE); yy++) {
                                unsigned yv = bs == SH_I ? y : yy;
                                c->r[0] = edge[x];
                                c->r[1] = edge[yv];
                                bool want =
                                    ir_eval_setcc((enum ir_cond)cond, oc->t, edge[x], edge[yv]);
                                enum exec_result r = run_at(c, pc);
                                CHECK(r == (want ? EXEC_HALT : EXEC_BREAK) &&
                                          c->c.pc == (want ? 0x9000 : pc + 4),
                                      "cond %u %s shape a%u b%u (%#llx, %#llx): exit %d pc %#llx",
                                      cond, t ? "i64" : "i32", a, bs, (unsigned long long)edge[x],
                                      (unsigned long long)edge[yv], r, (unsigned long long)c->c.pc);
                            }
                        unsigned id = t_br_base[cond][t] + (a == SH_S) * 3 + shape_b(bs);
                        CHECK(block_uses(c, pc, id), "cond %u t%d a%u b%u: fused exit not used",
                              cond, t, a, bs);
                    }
    group_end("fused compare-and-exit, every condition and shape");
    fb_reset();
    free_cpu(c);
}

/* ---- unary ops, extensions, bitfields, select, mov, const ---- */

static void build_unops(struct ir_block *b, const void *arg)
{
    const struct op_case *oc = arg;
    ir_val one = one64(b);
    ir_insn_start(b, b->pc, 4);
    for (unsigned x = 0; x < NE; x++) {
        ir_val a = oc->t == IR_I64 ? opnd64(b, oc->a, x, one) : opnd32(b, oc->a, x, one);
        ir_val r;
        switch (oc->op) {
        case IR_SEXT:
        case IR_ZEXT: r = ir_ext(b, (enum ir_opcode)oc->op, oc->t, a, oc->aux); break;
        case IR_EXTRACT:
            r = ir_extract(b, oc->t, a, oc->aux & 0xff, (oc->aux >> 8) & 0xff, oc->aux >> 16);
            break;
        case IR_DEPOSIT:
            r = ir_deposit(b, oc->t, a,
                           oc->t == IR_I64 ? opnd64(b, oc->a, NE - 1 - x, one)
                                           : opnd32(b, oc->a, NE - 1 - x, one),
                           oc->aux & 0xff, (oc->aux >> 8) & 0xff);
            break;
        default: r = ir_unop(b, (enum ir_opcode)oc->op, oc->t, a); break;
        }
        put_result(b, oc->d, OUT0 + x, r, one);
    }
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_unops(void)
{
    static struct op_case cases[1024];
    unsigned nc = 0;
    static const unsigned ops[] = {IR_NOT, IR_NEG, IR_CLZ, IR_CTZ, IR_POPCNT, IR_BSWAP};
    static const unsigned fields[][3] = {{0, 8, 0},  {4, 8, 1},   {7, 1, 1},
                                         {0, 32, 1}, {12, 20, 0}, {31, 1, 1},
                                         {0, 64, 0}, {32, 32, 1}, {60, 4, 1}};
    struct fcpu *c = new_cpu();
    group_begin();
    for (int t = 0; t < 2; t++)
        for (unsigned d = SH_F; d <= SH_S; d++)
            for (unsigned a = SH_F; a <= SH_S; a++) {
                if (t == 0 && d == SH_S) continue;
                enum ir_type ty = t ? IR_I64 : IR_I32;
                unsigned w = t ? 64 : 32;
                struct op_case list[64];
                unsigned nl = 0;
                for (unsigned k = 0; k < 6; k++)
                    list[nl++] = (struct op_case){.op = ops[k]};
                for (unsigned bits = 8; bits <= 32 && bits < w + 1; bits *= 2) {
                    list[nl++] = (struct op_case){.op = IR_SEXT, .aux = bits};
                    list[nl++] = (struct op_case){.op = IR_ZEXT, .aux = bits};
                }
                for (unsigned k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
                    if (fields[k][0] + fields[k][1] > w) continue;
                    list[nl++] = (struct op_case){.op = IR_EXTRACT,
                                                  .aux = fields[k][0] | fields[k][1] << 8 |
                                                         fields[k][2] << 16};
                    list[nl++] =
                        (struct op_case){.op = IR_DEPOSIT, .aux = fields[k][0] | fields[k][1] << 8};
                }
                for (unsigned k = 0; k < nl; k++) {
                    struct op_case *oc = &cases[nc++];
                    *oc = list[k];
                    oc->t = ty;
                    oc->d = d;
                    oc->a = a;
                    uint64_t pc = fresh_pc();
                    fb_add(pc, build_unops, oc);
                    load_edges(c);
                    CHECK(run_at(c, pc) == EXEC_HALT, "unop exit");
                    for (unsigned x = 0; x < NE; x++) {
                        uint64_t want;
                        if (oc->op == IR_EXTRACT)
                            want = ir_eval_extract(ty, oc->aux & 0xffff, oc->aux >> 16, edge[x]);
                        else if (oc->op == IR_DEPOSIT)
                            want = ir_eval_deposit(ty, oc->aux, ir_trunc(ty, edge[x]),
                                                   ir_trunc(ty, edge[NE - 1 - x]));
                        else
                            want = ir_eval_unop((enum ir_opcode)oc->op, ty, oc->aux, edge[x]);
                        CHECK(c->r[OUT0 + x] == want,
                              "%s/%u %s d%u a%u of %#llx = %#llx, want %#llx",
                              ir_opinfo[oc->op].name, oc->aux, t ? "i64" : "i32", d, a,
                              (unsigned long long)edge[x], (unsigned long long)c->r[OUT0 + x],
                              (unsigned long long)want);
                    }
                }
            }
    group_end("unary ops, SEXT/ZEXT, EXTRACT/DEPOSIT vs ir_eval");
    fb_reset();
    free_cpu(c);
}

/* SELECT, MOV (bitcasts), CONST to frame and state, 32-bit GET/PUT */
static void build_misc(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_val c0 = ir_get(b, IR_I64, RO(0)), x = ir_get(b, IR_I64, RO(1)),
           y = ir_get(b, IR_I64, RO(2));
    ir_put(b, RO(OUT0), ir_select(b, IR_I64, c0, x, y));
    ir_val f = ir_unop(b, IR_MOV, IR_F64, x);
    ir_put(b, RO(OUT0 + 1), ir_unop(b, IR_MOV, IR_I64, f));
    ir_put(b, RO(OUT0 + 2), ir_const(b, IR_I64, 0xfeedfacecafebeefull));
    ir_val k = ir_const(b, IR_I64, 0x1234);
    ir_put(b, RO(OUT0 + 3), ir_binop(b, IR_ADD, IR_I64, k, ir_select(b, IR_I64, c0, k, k)));
    ir_val lo = ir_get(b, IR_I32, RO(1)); /* low half of r1 */
    ir_put(b, RO(OUT0 + 4) + 4, ir_binop(b, IR_ADD, IR_I32, lo, ir_const(b, IR_I32, 1)));
    ir_put(b, RO(OUT0 + 5), ir_const(b, IR_I64, 0));
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_misc(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    uint64_t pc = fresh_pc();
    fb_add(pc, build_misc, NULL);
    for (int sel = 0; sel < 2; sel++) {
        c->r[0] = sel ? 0x100000000ull : 0;
        c->r[1] = 0x1111222233334444ull;
        c->r[2] = 0x5555666677778888ull;
        c->r[OUT0 + 4] = 0xaaaaaaaabbbbbbbbull;
        c->r[OUT0 + 5] = 77;
        CHECK(run_at(c, pc) == EXEC_HALT, "exit");
        CHECK(c->r[OUT0] == (sel ? c->r[1] : c->r[2]), "select %d: %#llx", sel,
              (unsigned long long)c->r[OUT0]);
        CHECK(c->r[OUT0 + 1] == c->r[1], "mov bitcast");
        CHECK(c->r[OUT0 + 2] == 0xfeedfacecafebeefull, "const to state");
        CHECK(c->r[OUT0 + 3] == 0x2468, "const operands");
        CHECK(c->r[OUT0 + 4] == 0x33334445bbbbbbbbull, "32-bit get/put: %#llx",
              (unsigned long long)c->r[OUT0 + 4]);
        CHECK(c->r[OUT0 + 5] == 0, "zero constant");
    }
    group_end("select, mov, const, 32-bit get/put");
    fb_reset();
    free_cpu(c);
}

/* ---- loads and stores ---- */

struct mem_case {
    unsigned size, sign, order, dsh, ash, align;
    int64_t disp; /* address = operand + disp (folded into the op) */
    enum ir_type t;
    uint64_t addr, val;
};

static void build_load(struct ir_block *b, const void *arg)
{
    const struct mem_case *m = arg;
    ir_val one = one64(b);
    ir_insn_start(b, b->pc, 4);
    ir_val a = opnd64(b, m->ash, 0, one);
    if (m->disp) a = ir_binop(b, IR_ADD, IR_I64, a, ir_const(b, IR_I64, (uint64_t)m->disp));
    struct ir_memop mo = ir_mem(m->size, m->sign);
    mo.order = (uint8_t)m->order;
    mo.align = (uint8_t)m->align;
    ir_val v = ir_load(b, m->t, a, mo);
    put_result(b, m->dsh, OUT0, v, one);
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void build_store(struct ir_block *b, const void *arg)
{
    const struct mem_case *m = arg;
    ir_val one = one64(b);
    ir_insn_start(b, b->pc, 4);
    ir_val a = opnd64(b, m->ash, 0, one);
    if (m->disp) a = ir_binop(b, IR_ADD, IR_I64, a, ir_const(b, IR_I64, (uint64_t)m->disp));
    ir_val v = opnd64(b, m->dsh, 1, one);
    if (m->t == IR_I32) v = ir_ext(b, IR_ZEXT, IR_I32, v, 32);
    struct ir_memop mo = ir_mem(m->size, false);
    mo.order = (uint8_t)m->order;
    mo.align = (uint8_t)m->align;
    ir_store(b, a, v, mo);
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_memory(void)
{
    static struct mem_case cases[4096];
    static const int64_t disps[] = {0,       8,        -8,         0x7ff,         -0x800,
                                    0x12345, -0x12345, 0x7fffffff, -0x80000000ll, 0x100000000ll};
    unsigned nc = 0;
    static const uint64_t addrs[] = {0,
                                     1,
                                     3,
                                     8,
                                     0x1001,
                                     0x2ffd,
                                     MEM_SIZE - 8,
                                     (uint64_t)MEM_SIZE * 3 + 16 /* folded by mem_mask */};
    struct fcpu *c = new_cpu();
    group_begin();
    for (unsigned i = 0; i < MEM_SIZE; i++)
        g_mem[i] = (uint8_t)(i * 37 + 11);
    for (unsigned size = 0; size < 4; size++)
        for (unsigned sign = 0; sign < 2; sign++)
            for (int t = 0; t < 2; t++)
                for (unsigned order = 0; order < 4; order += 3)
                    for (unsigned dsh = SH_F; dsh <= SH_S; dsh++)
                        for (unsigned ash = SH_F; ash <= SH_S; ash++)
                            for (unsigned di = 0; di < 10; di++) {
                                enum ir_type ty = t ? IR_I64 : IR_I32;
                                if (size == 3 && (t == 0 || sign)) continue;
                                if (t == 0 && dsh == SH_S) continue;
                                if (di && (order || dsh != ash)) continue;
                                struct mem_case *m = &cases[nc++];
                                *m = (struct mem_case){.size = size,
                                                       .sign = sign,
                                                       .order = order,
                                                       .dsh = dsh,
                                                       .ash = ash,
                                                       .t = ty,
                                                       .disp = disps[di]};
                                uint64_t pc = fresh_pc();
                                fb_add(pc, build_load, m);
                                for (unsigned k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
                                    c->r[0] = addrs[k] - (uint64_t)m->disp;
                                    CHECK(run_at(c, pc) == EXEC_HALT, "load exit");
                                    uint64_t raw = 0;
                                    memcpy(&raw, g_mem + (addrs[k] & (MEM_SIZE - 1)), 1u << size);
                                    uint64_t want = size == 3 ? raw
                                                    : sign ? (uint64_t)ir_sext_bits(raw, 8u << size)
                                                           : raw;
                                    want = ir_trunc(ty, want);
                                    CHECK(c->r[OUT0] == want,
                                          "load size %u sign %u %s order %u d%u a%u disp %lld at "
                                          "%#llx: "
                                          "%#llx, want %#llx",
                                          size, sign, t ? "i64" : "i32", order, dsh, ash,
                                          (long long)m->disp, (unsigned long long)addrs[k],
                                          (unsigned long long)c->r[OUT0], (unsigned long long)want);
                                }
                            }
    for (unsigned size = 0; size < 4; size++)
        for (int t = 0; t < 2; t++)
            for (unsigned order = 0; order < 4; order += 2)
                for (unsigned vsh = SH_F; vsh <= SH_S; vsh++)
                    for (unsigned ash = SH_F; ash <= SH_S; ash++)
                        for (unsigned di = 0; di < 10; di++) {
                            enum ir_type ty = t ? IR_I64 : IR_I32;
                            if (size == 3 && t == 0) continue;
                            if (di && (order || vsh != ash)) continue;
                            struct mem_case *m = &cases[nc++];
                            *m = (struct mem_case){.size = size,
                                                   .order = order,
                                                   .dsh = vsh,
                                                   .ash = ash,
                                                   .t = ty,
                                                   .disp = disps[di]};
                            uint64_t pc = fresh_pc();
                            fb_add(pc, build_store, m);
                            for (unsigned k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
                                uint64_t a = addrs[k] & (MEM_SIZE - 1);
                                uint8_t before[24], after[24];
                                uint64_t lo = a >= 8 ? a - 8 : 0;
                                if (lo > MEM_SIZE - 24) lo = MEM_SIZE - 24;
                                memcpy(before, g_mem + lo, 24);
                                c->r[0] = addrs[k] - (uint64_t)m->disp;
                                c->r[1] = 0x8877665544332211ull ^ (k * 0x0101010101010101ull);
                                CHECK(run_at(c, pc) == EXEC_HALT, "store exit");
                                memcpy(after, g_mem + lo, 24);
                                uint64_t v = c->r[1];
                                memcpy(before + (a - lo), &v, 1u << size);
                                CHECK(!memcmp(before, after, 24),
                                      "store size %u %s order %u v%u a%u at %#llx wrong bytes",
                                      size, t ? "i64" : "i32", order, vsh, ash,
                                      (unsigned long long)addrs[k]);
                            }
                        }
    group_end("loads and stores: every size, sign, type, order, shape; misaligned; masked");
    fb_reset();
    free_cpu(c);
}

/* ---- atomics ---- */

struct rmw_case {
    unsigned kind, size, align;
    enum ir_type t;
};

static void build_rmw(struct ir_block *b, const void *arg)
{
    const struct rmw_case *m = arg;
    ir_insn_start(b, b->pc, 4);
    ir_insn_start(b, b->pc + 4, 4);
    ir_val a = ir_get(b, IR_I64, RO(0));
    ir_val v = ir_get(b, IR_I64, RO(1));
    if (m->t == IR_I32) v = ir_ext(b, IR_ZEXT, IR_I32, v, 32);
    struct ir_memop mo = ir_mem(m->size, false);
    mo.align = (uint8_t)m->align;
    mo.order = IR_ORD_SEQ;
    ir_val old = ir_atomic_rmw(b, m->t, (enum ir_rmw)m->kind, a, v, mo);
    put_result(b, SH_S, OUT0, old, 0);
    ir_exit(b, IR_EXIT_HALT, b->pc + 8);
}

static void build_cas(struct ir_block *b, const void *arg)
{
    const struct rmw_case *m = arg;
    ir_insn_start(b, b->pc, 4);
    ir_val a = ir_get(b, IR_I64, RO(0));
    ir_val e = ir_get(b, IR_I64, RO(1)), n = ir_get(b, IR_I64, RO(2));
    if (m->t == IR_I32) {
        e = ir_ext(b, IR_ZEXT, IR_I32, e, 32);
        n = ir_ext(b, IR_ZEXT, IR_I32, n, 32);
    }
    struct ir_memop mo = ir_mem(m->size, false);
    mo.align = 1;
    ir_val old = ir_cmpxchg(b, m->t, a, e, n, mo);
    put_result(b, SH_S, OUT0, old, 0);
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_atomics_single(void)
{
    static struct rmw_case cases[256];
    unsigned nc = 0;
    struct fcpu *c = new_cpu();
    group_begin();
    static const uint64_t vals[] = {0,
                                    1,
                                    0x7fffffff,
                                    0x80000000,
                                    0xffffffff,
                                    0x8000000000000000ull,
                                    0xffffffffffffffffull,
                                    0x123456789abcdef0ull};
    for (unsigned size = 2; size < 4; size++)
        for (unsigned kind = 0; kind < IR_NUM_RMW; kind++) {
            struct rmw_case *m = &cases[nc++];
            *m = (struct rmw_case){.kind = kind, .size = size, .t = size == 3 ? IR_I64 : IR_I32};
            uint64_t pc = fresh_pc();
            fb_add(pc, build_rmw, m);
            for (unsigned i = 0; i < 8; i++)
                for (unsigned j = 0; j < 8; j++) {
                    uint64_t init = ir_trunc(m->t, vals[i]), v = vals[j];
                    memcpy(g_mem + 64, &init, 8);
                    c->r[0] = 64;
                    c->r[1] = v;
                    CHECK(run_at(c, pc) == EXEC_HALT, "rmw exit");
                    uint64_t now = 0;
                    memcpy(&now, g_mem + 64, 1u << size);
                    uint64_t want = ir_eval_rmw((enum ir_rmw)kind, m->t, init, ir_trunc(m->t, v));
                    CHECK(c->r[OUT0] == init && now == want,
                          "rmw kind %u size %u: %#llx op %#llx -> old %#llx mem %#llx, want %#llx",
                          kind, size, (unsigned long long)init, (unsigned long long)v,
                          (unsigned long long)c->r[OUT0], (unsigned long long)now,
                          (unsigned long long)want);
                }
        }
    /* sub-word add and xchg */
    for (unsigned size = 0; size < 2; size++)
        for (unsigned kind = IR_RMW_XCHG; kind <= IR_RMW_ADD; kind++) {
            struct rmw_case *m = &cases[nc++];
            *m = (struct rmw_case){.kind = kind, .size = size, .t = IR_I32};
            uint64_t pc = fresh_pc();
            fb_add(pc, build_rmw, m);
            memset(g_mem + 64, 0xff, 8);
            c->r[0] = 64;
            c->r[1] = 0x1234502;
            CHECK(run_at(c, pc) == EXEC_HALT, "rmw exit");
            uint64_t mask = size ? 0xffff : 0xff;
            uint64_t want = kind == IR_RMW_ADD ? (mask + 0x1234502) & mask : 0x1234502 & mask;
            uint64_t now = 0;
            memcpy(&now, g_mem + 64, 8);
            CHECK(c->r[OUT0] == mask && now == (want | (~mask & 0xffffffffffffffffull)),
                  "sub-word rmw kind %u size %u: old %#llx mem %#llx", kind, size,
                  (unsigned long long)c->r[OUT0], (unsigned long long)now);
        }
    /* compare-and-swap hit and miss */
    for (unsigned size = 2; size < 4; size++) {
        struct rmw_case *m = &cases[nc++];
        *m = (struct rmw_case){.size = size, .t = size == 3 ? IR_I64 : IR_I32};
        uint64_t pc = fresh_pc();
        fb_add(pc, build_cas, m);
        uint64_t init = 0x1111111122222222ull & (size == 3 ? ~0ull : 0xffffffffull);
        memcpy(g_mem + 128, &init, 8);
        c->r[0] = 128;
        c->r[1] = init + 1;
        c->r[2] = 5;
        CHECK(run_at(c, pc) == EXEC_HALT && c->r[OUT0] == init, "cas miss old");
        uint64_t now = 0;
        memcpy(&now, g_mem + 128, 1u << size);
        CHECK(now == init, "cas miss must not store");
        c->r[1] = init;
        CHECK(run_at(c, pc) == EXEC_HALT && c->r[OUT0] == init, "cas hit old");
        memcpy(&now, g_mem + 128, 1u << size);
        CHECK(now == 5, "cas hit must store: %#llx", (unsigned long long)now);
    }
    /* a misaligned atomic with align = 1 raises BUS_ADRALN at its instruction */
    struct rmw_case *m = &cases[nc++];
    *m = (struct rmw_case){.kind = IR_RMW_ADD, .size = 3, .align = 1, .t = IR_I64};
    uint64_t pc = fresh_pc();
    fb_add(pc, build_rmw, m);
    c->r[0] = 68;
    c->r[1] = 1;
    enum exec_result r = run_at(c, pc);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == CPU_EXCP_BUS_ADRALN && c->c.excp_tval == 68 &&
              c->c.pc == pc + 4,
          "misaligned atomic: exit %d excp %#x tval %#llx pc %#llx", r, c->c.excp,
          (unsigned long long)c->c.excp_tval, (unsigned long long)c->c.pc);
    /* so does a load or store with align = 1 (LR, SC) */
    static struct mem_case al[8];
    uint64_t al_pc[8];
    for (unsigned k = 0; k < 8; k++) {
        al[k] = (struct mem_case){.size = 2 + (k & 1),
                                  .order = (k & 2) ? IR_ORD_SEQ : IR_ORD_PLAIN,
                                  .align = 1,
                                  .t = IR_I64,
                                  .dsh = SH_S,
                                  .ash = SH_S};
        al_pc[k] = fresh_pc();
        fb_add(al_pc[k], (k & 4) ? build_store : build_load, &al[k]);
    }
    group_end("atomics: every RMW kind vs ir_eval_rmw, CMPXCHG, alignment fault");
    group_begin();
    for (unsigned k = 0; k < 8; k++) {
        c->r[0] = 66;
        r = run_at(c, al_pc[k]);
        CHECK(r == EXEC_EXCEPTION && c->c.excp == CPU_EXCP_BUS_ADRALN && c->c.excp_tval == 66 &&
                  c->c.pc == al_pc[k],
              "aligned-only %s %u: exit %d excp %#x", (k & 4) ? "store" : "load", k, r, c->c.excp);
        c->r[0] = 64;
        r = run_at(c, al_pc[k]);
        CHECK(r == EXEC_HALT, "aligned-only access at an aligned address: exit %d", r);
    }
    m->align = 0;
    uint64_t pc2 = fresh_pc();
    fb_add(pc2, build_rmw, m);
    CHECK(run_at(c, pc2) == EXEC_HALT, "misaligned atomic without align must work");
    group_end("loads and stores with align = 1 fault when misaligned");
    fb_reset();
    free_cpu(c);
}

/* Two threads: RMW add and a CMPXCHG retry loop, n iterations each. */
#define HAMMER_N 200000
static void build_hammer(struct ir_block *b, const void *arg)
{
    uint64_t pc = b->pc;
    struct ir_memop mo = ir_mem(3, false);
    mo.align = 1;
    mo.order = IR_ORD_SEQ;
    ir_insn_start(b, pc, 4);
    ir_atomic_rmw(b, IR_I64, IR_RMW_ADD, ir_const(b, IR_I64, 256), ir_const(b, IR_I64, 1), mo);
    ir_insn_start(b, pc + 4, 4);
    ir_val addr = ir_const(b, IR_I64, 264);
    ir_val old = ir_load(b, IR_I64, addr, ir_mem(3, false));
    ir_val nv = ir_binop(b, IR_ADD, IR_I64, old, ir_const(b, IR_I64, 1));
    ir_val got = ir_cmpxchg(b, IR_I64, addr, old, nv, mo);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, got, old), pc + 4); /* lost the race: retry */
    ir_insn_start(b, pc + 8, 4);
    ir_val n = ir_binop(b, IR_SUB, IR_I64, ir_get(b, IR_I64, RO(5)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(5), n);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, n, ir_const(b, IR_I64, 0)), pc);
    ir_exit(b, IR_EXIT_HALT, pc + 12);
}

static void build_hammer_retry(struct ir_block *b, const void *arg)
{
    /* the CMPXCHG retry entry: same as the second half of build_hammer */
    uint64_t pc = b->pc - 4;
    struct ir_memop mo = ir_mem(3, false);
    mo.align = 1;
    mo.order = IR_ORD_SEQ;
    ir_insn_start(b, pc + 4, 4);
    ir_val addr = ir_const(b, IR_I64, 264);
    ir_val old = ir_load(b, IR_I64, addr, ir_mem(3, false));
    ir_val nv = ir_binop(b, IR_ADD, IR_I64, old, ir_const(b, IR_I64, 1));
    ir_val got = ir_cmpxchg(b, IR_I64, addr, old, nv, mo);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, got, old), pc + 4);
    ir_insn_start(b, pc + 8, 4);
    ir_val n = ir_binop(b, IR_SUB, IR_I64, ir_get(b, IR_I64, RO(5)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(5), n);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, n, ir_const(b, IR_I64, 0)), pc);
    ir_exit(b, IR_EXIT_HALT, pc + 12);
}

static void *hammer_thread(void *arg)
{
    struct fcpu *c = arg;
    c->r[5] = HAMMER_N;
    enum exec_result r;
    c->c.pc = 0x7000;
    while ((r = exec_run(&c->c)) == EXEC_REQUEST)
        ;
    return (void *)(uintptr_t)r;
}

static void test_atomics_threads(void)
{
    group_begin();
    fb_add(0x7000, build_hammer, NULL);
    fb_add(0x7004, build_hammer_retry, NULL);
    memset(g_mem + 256, 0, 16);
    struct fcpu *c1 = new_cpu(), *c2 = new_cpu();
    pthread_t t1, t2;
    pthread_create(&t1, NULL, hammer_thread, c1);
    pthread_create(&t2, NULL, hammer_thread, c2);
    void *r1, *r2;
    pthread_join(t1, &r1);
    pthread_join(t2, &r2);
    uint64_t add, cas;
    memcpy(&add, g_mem + 256, 8);
    memcpy(&cas, g_mem + 264, 8);
    CHECK((uintptr_t)r1 == EXEC_HALT && (uintptr_t)r2 == EXEC_HALT, "exits %d %d",
          (int)(uintptr_t)r1, (int)(uintptr_t)r2);
    CHECK(add == 2 * HAMMER_N, "ATOMIC_RMW add total %llu, want %u", (unsigned long long)add,
          2 * HAMMER_N);
    CHECK(cas == 2 * HAMMER_N, "CMPXCHG loop total %llu, want %u", (unsigned long long)cas,
          2 * HAMMER_N);
    group_end("atomics from 2 threads: RMW add and CMPXCHG loop totals exact");
    fb_reset();
    free_cpu(c1);
    free_cpu(c2);
}

/* ---- chaining, indirect jumps, icount ---- */

/* 0x1000: r0 += r1; r1 -= 1; if r1 != 0 goto 0x1000 (side exit); goto 0x1100
 * 0x1100: r2 += 1; goto 0x2000     0x2000: halt */
static void build_sum(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x1000, 4);
    ir_val i = ir_get(b, IR_I64, RO(1));
    ir_put(b, RO(0), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(0)), i));
    ir_insn_start(b, 0x1004, 4);
    ir_val n = ir_binop(b, IR_SUB, IR_I64, i, ir_const(b, IR_I64, 1));
    ir_put(b, RO(1), n);
    ir_insn_start(b, 0x1008, 4);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, n, ir_const(b, IR_I64, 0)), 0x1000);
    ir_goto(b, 0x1100);
}
static void build_tail(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x1100, 4);
    ir_put(b, RO(2), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(2)), ir_const(b, IR_I64, 1)));
    ir_goto(b, 0x2000);
}

/* 0x3000: r3 = r3 + 1; goto_ind r4      0x3100: r4 = r4 == 0x3000 ? ... : counting
 * The pair bounces through GOTO_IND: 0x3000 jumps to r4 (0x3100), 0x3100 jumps to
 * 0x3000 while --r5 != 0, else to 0x2000. */
static void build_ind_a(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x3000, 4);
    ir_put(b, RO(3), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(3)), ir_const(b, IR_I64, 1)));
    ir_goto_ind(b, ir_get(b, IR_I64, RO(4)));
}
static void build_ind_b(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x3100, 4);
    ir_val n = ir_binop(b, IR_SUB, IR_I64, ir_get(b, IR_I64, RO(5)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(5), n);
    ir_val done = ir_setcc(b, IR_I64, IR_EQ, n, ir_const(b, IR_I64, 0));
    ir_goto_ind(
        b, ir_select(b, IR_I64, done, ir_const(b, IR_I64, 0x2000), ir_const(b, IR_I64, 0x3000)));
}

static void test_chaining(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    fb_add(0x1000, build_sum, NULL);
    fb_add(0x1100, build_tail, NULL);
    fb_add(0x2000, build_exit_halt, NULL);
    c->r[0] = 0;
    c->r[1] = 100000;
    c->r[2] = 0;
    c->c.icount = 0;
    enum exec_result r = run_at(c, 0x1000);
    CHECK(r == EXEC_HALT && c->c.pc == 0x2000, "exit %d pc %#llx", r, (unsigned long long)c->c.pc);
    CHECK(c->r[0] == 100000ull * 100001 / 2 && c->r[1] == 0 && c->r[2] == 1,
          "sum %llu, r1 %llu, r2 %llu", (unsigned long long)c->r[0], (unsigned long long)c->r[1],
          (unsigned long long)c->r[2]);
    CHECK(c->c.icount == 300000 + 1 + 1, "icount %llu", (unsigned long long)c->c.icount);
    CHECK(fb_translations(0x1000) == 1, "loop block translated %u times", fb_translations(0x1000));
    int err;
    struct tb *tb = tb_find(c->c.exec, 0x1000, 0, &err);
    CHECK(tb && tb->n_exits == 2 && atomic_load(&tb->exits[0].next) == tb &&
              atomic_load(&tb->exits[1].next) != NULL,
          "exits not chained");
    group_end("blocks chained by EXIT_IF/GOTO compute the sum; icount");

    group_begin();
    fb_add(0x3000, build_ind_a, NULL);
    fb_add(0x3100, build_ind_b, NULL);
    c->r[3] = 0;
    c->r[4] = 0x3100;
    c->r[5] = 5000;
    r = run_at(c, 0x3000);
    CHECK(r == EXEC_HALT && c->c.pc == 0x2000 && c->r[3] == 5000 && c->r[5] == 0,
          "exit %d pc %#llx r3 %llu r5 %llu", r, (unsigned long long)c->c.pc,
          (unsigned long long)c->r[3], (unsigned long long)c->r[5]);
    group_end("GOTO_IND through the jump cache");
    fb_reset();
    free_cpu(c);
}

/* ---- exit requests ---- */

static void build_spin(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(7), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(7)), ir_const(b, IR_I64, 1)));
    ir_goto(b, b->pc);
}

static void *requester(void *arg)
{
    struct fcpu *c = arg;
    usleep(30000);
    c->c.exit_request = 1;
    return NULL;
}

static void test_exit_request(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    fb_add(0x4000, build_spin, NULL);
    pthread_t t;
    pthread_create(&t, NULL, requester, c);
    c->r[7] = 0;
    enum exec_result r = run_at(c, 0x4000);
    pthread_join(t, NULL);
    CHECK(r == EXEC_REQUEST && c->c.pc == 0x4000 && c->c.exit_request == 0 && c->r[7] > 0,
          "exit %d pc %#llx request %u spins %llu", r, (unsigned long long)c->c.pc,
          c->c.exit_request, (unsigned long long)c->r[7]);
    /* a request set before the call returns at once, with nothing run */
    c->c.exit_request = 1;
    uint64_t before = c->r[7];
    r = run_at(c, 0x4000);
    CHECK(r == EXEC_REQUEST && c->r[7] == before, "pending request: exit %d", r);
    group_end("exit_request from another thread ends exec_run with EXEC_REQUEST");
    fb_reset();
    free_cpu(c);
}

/* ---- invalidation ---- */

static uint64_t code_version;
static unsigned hook_calls;
static uint64_t hook_last;
static void test_hook(uint64_t page)
{
    hook_calls++;
    hook_last = page;
}

static void build_versioned(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(0), ir_const(b, IR_I64, code_version));
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_invalidate(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    exec_code_page_hook = test_hook;
    hook_calls = 0;
    fb_add(0x5010, build_versioned, NULL);
    code_version = 1;
    CHECK(run_at(c, 0x5010) == EXEC_HALT && c->r[0] == 1, "first run %llu",
          (unsigned long long)c->r[0]);
    CHECK(hook_calls == 1 && hook_last == 0x5000, "hook calls %u page %#llx", hook_calls,
          (unsigned long long)hook_last);
    code_version = 2;
    CHECK(run_at(c, 0x5010) == EXEC_HALT && c->r[0] == 1, "cached run must not retranslate");
    exec_invalidate(0x5012, 1);
    CHECK(run_at(c, 0x5010) == EXEC_HALT && c->r[0] == 2, "after exec_invalidate: %llu",
          (unsigned long long)c->r[0]);
    CHECK(hook_calls == 2, "page hooked again after invalidation: %u calls", hook_calls);
    code_version = 3;
    CHECK(exec_code_written(0x5000) == true, "exec_code_written on a code page returns true");
    CHECK(exec_code_written(0x5000) == false, "a second exec_code_written has nothing to drop");
    CHECK(exec_code_written(0x77000) == false, "exec_code_written on a data page returns false");
    CHECK(run_at(c, 0x5010) == EXEC_HALT && c->r[0] == 3, "after exec_code_written: %llu",
          (unsigned long long)c->r[0]);
    CHECK(fb_translations(0x5010) == 3, "translations %u", fb_translations(0x5010));
    exec_code_page_hook = NULL;
    /* retired blocks are freed once no vCPU can hold them (this one is idle now) */
    CHECK(atomic_load(&exec_g.n_retired) == 0, "%zu retired blocks not freed",
          (size_t)atomic_load(&exec_g.n_retired));
    struct exec_stats st;
    exec_get_stats(&st);
    CHECK(st.blocks_invalidated >= 2 && st.blocks_translated >= 3, "stats %llu %llu",
          (unsigned long long)st.blocks_invalidated, (unsigned long long)st.blocks_translated);
    group_end("exec_invalidate/exec_code_written make a changed block run; page hook");
    fb_reset();
    free_cpu(c);
}

/* A thread keeps running a chained loop while another invalidates its blocks: it must
 * see the new code, and the old blocks are freed only after it passes a safe point. */
static volatile bool inval_stop;
static void build_versioned_loop(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(0), ir_const(b, IR_I64, code_version));
    ir_val n = ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(1)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(1), n);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_EQ, ir_get(b, IR_I64, RO(2)), ir_const(b, IR_I64, 1)),
               b->pc + 0x100);
    ir_goto(b, b->pc);
}
static void build_halt_here(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_exit(b, IR_EXIT_HALT, b->pc);
}
static void *looper(void *arg)
{
    struct fcpu *c = arg;
    c->c.pc = 0x6000;
    enum exec_result r;
    while ((r = exec_run(&c->c)) == EXEC_REQUEST)
        ;
    return (void *)(uintptr_t)r;
}

static void test_invalidate_running(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    code_version = 10;
    fb_add(0x6000, build_versioned_loop, NULL);
    fb_add(0x6100, build_halt_here, NULL);
    c->r[2] = 0;
    pthread_t t;
    pthread_create(&t, NULL, looper, c);
    bool seen = true;
    for (uint64_t v = 11; v < 60 && seen; v++) {
        usleep(2000);
        code_version = v;
        exec_invalidate(0x6000, 4);
        seen = false;
        for (int k = 0; k < 2000 && !seen; k++) {
            seen = __atomic_load_n(&c->r[0], __ATOMIC_RELAXED) == v;
            usleep(100);
        }
    }
    CHECK(seen, "the running thread did not pick up new code (r0 = %llu, want %llu)",
          (unsigned long long)c->r[0], (unsigned long long)code_version);
    __atomic_store_n(&c->r[2], 1, __ATOMIC_RELAXED);
    void *r;
    pthread_join(t, &r);
    CHECK((uintptr_t)r == EXEC_HALT, "exit %d", (int)(uintptr_t)r);
    CHECK(atomic_load(&exec_g.n_retired) == 0, "%zu retired blocks not freed",
          (size_t)atomic_load(&exec_g.n_retired));
    group_end("invalidation while another vCPU runs the block; deferred free");
    fb_reset();
    free_cpu(c);
}

/* ---- exceptions and exits ---- */

static uint64_t raise_helper(struct cpu_common *cpu, uint64_t a, uint64_t b, uint64_t c)
{
    if (a == 7) cpu_exit_exception(cpu, 42, b);
    return a + b + c;
}
static const struct ir_helper raise_h = {"raise", (void *)raise_helper, IR_HELPER_FAULT};
static const struct ir_helper add3_h = {"add3", (void *)raise_helper, IR_HELPER_PURE};

static void build_raise(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x8000, 4);
    ir_put(b, RO(1), ir_const(b, IR_I64, 5));
    ir_insn_start(b, 0x8004, 4);
    ir_val s = ir_call(b, &add3_h, IR_I64, 3, ir_get(b, IR_I64, RO(2)), ir_const(b, IR_I64, 1),
                       ir_const(b, IR_I64, 2));
    ir_put(b, RO(3), s);
    ir_insn_start(b, 0x8008, 4);
    ir_call(b, &raise_h, IR_NUM_TYPES, 2, ir_get(b, IR_I64, RO(0)), ir_const(b, IR_I64, 0x77), 0);
    ir_insn_start(b, 0x800c, 4);
    ir_put(b, RO(1), ir_const(b, IR_I64, 6));
    ir_exit(b, IR_EXIT_SYSCALL, 0x800c);
}

static void build_fault_load(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, 0x8100, 4);
    ir_put(b, RO(1), ir_const(b, IR_I64, 9));
    ir_insn_start(b, 0x8104, 4);
    ir_val v = ir_load(b, IR_I64, ir_get(b, IR_I64, RO(0)), ir_mem(3, false));
    ir_put(b, RO(2), v);
    ir_put(b, RO(1), ir_const(b, IR_I64, 10));
    ir_exit(b, IR_EXIT_HALT, 0x8108);
}

static struct fcpu *fault_cpu;
static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    cpu_exit_exception(&fault_cpu->c, CPU_EXCP_SEGV_MAPERR,
                       (uint64_t)((uintptr_t)si->si_addr - (uintptr_t)g_mem));
}

struct exit_case {
    unsigned reason;
};
static void build_exit_reason(struct ir_block *b, const void *arg)
{
    const struct exit_case *e = arg;
    ir_insn_start(b, b->pc, 4);
    ir_exit(b, (enum ir_exit)e->reason, b->pc + 0x10);
}
static void build_flush(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(9), ir_const(b, IR_I64, 99));
    ir_exit(b, IR_EXIT_FLUSH, 0x2000);
}

static void test_exceptions(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    fb_add(0x8000, build_raise, NULL);
    c->r[0] = 7;
    c->r[1] = 0;
    c->r[2] = 100;
    enum exec_result r = run_at(c, 0x8000);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == 42 && c->c.excp_tval == 0x77 && c->c.pc == 0x8008,
          "exit %d excp %u tval %#llx pc %#llx", r, c->c.excp, (unsigned long long)c->c.excp_tval,
          (unsigned long long)c->c.pc);
    CHECK(c->r[1] == 5 && c->r[3] == 103, "state at the exception: r1 %llu r3 %llu",
          (unsigned long long)c->r[1], (unsigned long long)c->r[3]);
    c->r[0] = 1;
    r = run_at(c, 0x8000);
    CHECK(r == EXEC_SYSCALL && c->c.pc == 0x800c && c->r[1] == 6, "no raise: exit %d pc %#llx", r,
          (unsigned long long)c->c.pc);
    group_end("helper raising cpu_exit_exception: EXEC_EXCEPTION, exact pc and state");

    group_begin();
    fault_cpu = c;
    struct sigaction sa = {.sa_sigaction = segv_handler, .sa_flags = SA_SIGINFO};
    struct sigaction old;
    sigaction(SIGSEGV, &sa, &old);
    fb_add(0x8100, build_fault_load, NULL);
    c->c.mem_mask = 2 * MEM_SIZE - 1; /* the page after guest memory is PROT_NONE */
    c->r[0] = MEM_SIZE + 8;
    c->r[1] = 0;
    c->r[2] = 1234;
    r = run_at(c, 0x8100);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == CPU_EXCP_SEGV_MAPERR && c->c.pc == 0x8104 &&
              c->c.excp_tval == MEM_SIZE + 8,
          "exit %d excp %#x pc %#llx tval %#llx", r, c->c.excp, (unsigned long long)c->c.pc,
          (unsigned long long)c->c.excp_tval);
    CHECK(c->r[1] == 9 && c->r[2] == 1234, "state at the fault: r1 %llu r2 %llu",
          (unsigned long long)c->r[1], (unsigned long long)c->r[2]);
    c->r[0] = 8;
    r = run_at(c, 0x8100);
    CHECK(r == EXEC_HALT && c->r[1] == 10, "no fault: exit %d", r);
    c->c.mem_mask = MEM_SIZE - 1;
    sigaction(SIGSEGV, &old, NULL);
    CHECK(c->c.jmp_env == NULL, "jmp_env left pointing into a dead frame");
    group_end("host fault in a load: exact pc, earlier PUTs done, later ones not");

    group_begin();
    static struct exit_case ec[IR_NUM_EXITS];
    for (unsigned k = 0; k < IR_NUM_EXITS; k++) {
        if (k == IR_EXIT_FLUSH) continue;
        ec[k].reason = k;
        uint64_t pc = fresh_pc();
        fb_add(pc, build_exit_reason, &ec[k]);
        r = run_at(c, pc);
        CHECK((unsigned)r == k && c->c.pc == pc + 0x10, "reason %u: exit %d pc %#llx", k, r,
              (unsigned long long)c->c.pc);
    }
    uint64_t pc = fresh_pc();
    fb_add(pc, build_flush, NULL);
    fb_add(0x2000, build_exit_halt, NULL);
    r = run_at(c, pc);
    CHECK(r == EXEC_HALT && c->c.pc == 0x2000 && c->r[9] == 99, "FLUSH continues: exit %d", r);
    r = run_at(c, 0xdead000);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == CPU_EXCP_FETCH && c->c.excp_tval == 0xdead000,
          "fetch fault: exit %d excp %#x", r, c->c.excp);
    group_end("EXIT reasons returned, FLUSH continues, fetch fault");
    fb_reset();
    free_cpu(c);
}

/* ---- floating point goes through fpu.h ---- */

static void build_fp(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_val x = ir_unop(b, IR_MOV, IR_F64, ir_get(b, IR_I64, RO(0)));
    ir_val y = ir_unop(b, IR_MOV, IR_F64, ir_get(b, IR_I64, RO(1)));
    ir_put(b, RO(OUT0), ir_fop(b, IR_FADD, IR_F64, IR_RM_DYN, 0, x, y, 0));
    ir_put(b, RO(OUT0 + 1), ir_fop(b, IR_FDIV, IR_F64, IR_RM_RNE, 0, x, y, 0));
    ir_val i = ir_fop(b, IR_FCVT_F2I, IR_I64, IR_RM_RTZ, IR_FPX_SIGNED, y, 0, 0);
    ir_put(b, RO(OUT0 + 2), i);
    ir_val lt = ir_fop(b, IR_FCMP, IR_I32, IR_RM_RNE, 0, x, y, 0);
    ir_put(b, RO(OUT0 + 3), ir_ext(b, IR_ZEXT, IR_I64, lt, 32));
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_fp(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    uint64_t pc = fresh_pc();
    fb_add(pc, build_fp, NULL);
    double x = 1.0, y = 3.0;
    memcpy(&c->r[0], &x, 8);
    memcpy(&c->r[1], &y, 8);
    c->c.fp_flags = 0;
    c->c.fp_rm = IR_RM_RNE;
    CHECK(run_at(c, pc) == EXEC_HALT, "exit");
    double s, q, qd = x / y;
    memcpy(&s, &c->r[OUT0], 8);
    memcpy(&q, &c->r[OUT0 + 1], 8);
    CHECK(s == 4.0 && q == qd && c->r[OUT0 + 2] == 3 && c->r[OUT0 + 3] == 0,
          "results %g %g %llu %llu", s, q, (unsigned long long)c->r[OUT0 + 2],
          (unsigned long long)c->r[OUT0 + 3]);
    CHECK(c->c.fp_flags == IR_FPF_NX, "flags %#x", c->c.fp_flags);
    /* dynamic rounding mode: 1 + 2^-60 rounds up under RUP */
    double tiny = 0x1p-60;
    memcpy(&c->r[1], &tiny, 8);
    c->c.fp_rm = IR_RM_RUP;
    CHECK(run_at(c, pc) == EXEC_HALT, "exit");
    memcpy(&s, &c->r[OUT0], 8);
    CHECK(s == 1.0 + 0x1p-52, "RUP via fp_rm: %a", s);
    c->c.fp_rm = 6; /* invalid: treated as RNE */
    CHECK(run_at(c, pc) == EXEC_HALT, "exit");
    memcpy(&s, &c->r[OUT0], 8);
    CHECK(s == 1.0, "invalid fp_rm as RNE: %a", s);
    group_end("FP ops through fpu.h with static and dynamic rounding");
    fb_reset();
    free_cpu(c);
}

/* ---- randomised guest-state fusion vs a reference evaluator ---- */

#define RREGS 6
struct rand_block {
    struct ir_insn ins[256];
    unsigned n;
};
static struct rand_block rb;
static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random straight-line code over RREGS registers: GET, PUT, CONST, binops, SETCC, SELECT,
 * unops, a load (a may-fault point) and a helper that reads and writes state. */
static uint64_t state_helper(struct cpu_common *cpu, uint64_t a, uint64_t b, uint64_t c)
{
    struct fcpu *f = (struct fcpu *)cpu;
    uint64_t old = f->r[a % RREGS];
    f->r[(a + 1) % RREGS] += 3;
    return old;
}
static const struct ir_helper state_h = {"state", (void *)state_helper, IR_HELPER_STATE};
/* raises when its argument is 3 mod 8: state must be exact there */
static uint64_t maybe_raise(struct cpu_common *cpu, uint64_t a, uint64_t b, uint64_t c)
{
    if ((a & 7) == 3) cpu_exit_exception(cpu, 99, a);
    return a * 3;
}
static const struct ir_helper raise2_h = {"maybe_raise", (void *)maybe_raise, IR_HELPER_FAULT};

static void gen_random(void)
{
    struct ir_block b;
    ir_block_init(&b, 0, 0);
    ir_val vals[64];
    unsigned nv = 0;
    ir_insn_start(&b, 0, 4);
    for (unsigned k = 0; k < 40; k++) {
        unsigned what = (unsigned)(rnd() % 11);
        ir_val v = 0;
        if (what == 10) {
            if (rnd() % 2)
                ir_insn_start(&b, 4 * (k + 1), 4);
            else if (nv)
                v = ir_call(&b, &raise2_h, IR_I64, 1, vals[rnd() % nv], 0, 0);
            if (v && nv < 64) vals[nv++] = v;
            continue;
        }
        if (!nv || what < 3) {
            v = ir_get(&b, IR_I64, RO(rnd() % RREGS));
        } else if (what < 5) {
            ir_put(&b, RO(rnd() % RREGS), vals[rnd() % nv]);
        } else if (what == 5) {
            v = ir_const(&b, IR_I64, rnd() % 3 == 0 ? 0 : rnd() % 100);
        } else if (what == 6) {
            v = ir_setcc(&b, IR_I64, (enum ir_cond)(rnd() % IR_NUM_CONDS), vals[rnd() % nv],
                         vals[rnd() % nv]);
        } else if (what == 7) {
            unsigned r = (unsigned)(rnd() % 4);
            if (r == 0)
                v = ir_select(&b, IR_I64, vals[rnd() % nv], vals[rnd() % nv], vals[rnd() % nv]);
            else if (r == 1)
                v = ir_unop(&b, IR_NOT, IR_I64, vals[rnd() % nv]);
            else if (r == 2) {
                ir_val a =
                    ir_binop(&b, IR_AND, IR_I64, vals[rnd() % nv], ir_const(&b, IR_I64, 0xff0));
                if (rnd() % 2)
                    a = ir_binop(&b, IR_ADD, IR_I64, a, ir_const(&b, IR_I64, 8 * (rnd() % 3)));
                if (rnd() % 2) {
                    ir_store(&b, a, vals[rnd() % nv], ir_mem(3, false));
                    continue;
                }
                v = ir_load(&b, IR_I64, a, ir_mem(3, false));
            } else
                v = ir_call(&b, &state_h, IR_I64, 1, ir_const(&b, IR_I64, rnd() % RREGS), 0, 0);
        } else {
            static const unsigned ops[] = {IR_ADD, IR_SUB, IR_XOR, IR_MUL, IR_SHL, IR_MINU};
            v = ir_binop(&b, ops[rnd() % 6], IR_I64, vals[rnd() % nv], vals[rnd() % nv]);
        }
        if (v && nv < 64) vals[nv++] = v;
    }
    if (nv && rnd() % 2) ir_exit_if(&b, vals[rnd() % nv], 0x2000);
    ir_exit(&b, IR_EXIT_HALT, 4);
    rb.n = b.n_insn < 256 ? b.n_insn : 0;
    memcpy(rb.ins, b.insn, rb.n * sizeof(struct ir_insn));
    ir_block_free(&b);
}

static void build_random(struct ir_block *b, const void *arg)
{
    /* rebuild the same insns with the builder so vtype is right */
    for (unsigned k = 0; k < rb.n; k++) {
        struct ir_insn *i = ir_emit(b, (enum ir_opcode)rb.ins[k].op,
                                    ir_opinfo[rb.ins[k].op].has_dst && !rb.ins[k].dst
                                        ? IR_NUM_TYPES
                                        : (enum ir_type)rb.ins[k].type,
                                    rb.ins[k].arg[0], rb.ins[k].arg[1], rb.ins[k].arg[2]);
        struct ir_insn keep = *i;
        *i = rb.ins[k];
        i->dst = keep.dst;
    }
}

/* the reference: a plain switch over the IR, straight from ir_eval.h. Returns the exit
 * pc; *raised says the helper raised (then the return value is the instruction's pc). */
static bool ref_raised;
static uint64_t ref_run(uint64_t *regs, uint8_t *mem, bool *exited)
{
    uint64_t cur_pc = 0;
    ref_raised = false;
    uint64_t v[512] = {0};
    struct fcpu f;
    memset(&f, 0, sizeof(f));
    *exited = false;
    for (unsigned k = 0; k < rb.n; k++) {
        const struct ir_insn *i = &rb.ins[k];
        uint64_t a = v[i->arg[0]], b = v[i->arg[1]], c = v[i->arg[2]];
        uint64_t r = 0;
        switch (i->op) {
        case IR_INSN_START: cur_pc = i->imm; continue;
        case IR_GET: r = regs[(i->imm - RO(0)) / 8]; break;
        case IR_PUT: regs[(i->imm - RO(0)) / 8] = a; continue;
        case IR_CONST: r = i->imm; break;
        case IR_SETCC: r = ir_eval_setcc((enum ir_cond)i->aux, IR_I64, a, b); break;
        case IR_SELECT: r = a ? b : c; break;
        case IR_NOT: r = ~a; break;
        case IR_LOAD: memcpy(&r, mem + (a & (MEM_SIZE - 1)), 8); break;
        case IR_STORE: memcpy(mem + (a & (MEM_SIZE - 1)), &b, 8); continue;
        case IR_CALL1:
            if ((const struct ir_helper *)(uintptr_t)i->imm == &raise2_h) {
                if ((a & 7) == 3) {
                    ref_raised = true;
                    return cur_pc;
                }
                r = a * 3;
                break;
            }
            memcpy(f.r, regs, sizeof(uint64_t) * RREGS);
            r = state_helper(&f.c, a, 0, 0);
            memcpy(regs, f.r, sizeof(uint64_t) * RREGS);
            break;
        case IR_EXIT_IF:
            if (a) {
                *exited = true;
                return 0x2000;
            }
            continue;
        case IR_EXIT: return i->imm;
        default: r = ir_eval_binop((enum ir_opcode)i->op, IR_I64, a, b); break;
        }
        v[i->dst] = r;
    }
    return 0;
}

static void test_random_fusion(void)
{
    unsigned raised = 0;
    struct fcpu *c = new_cpu();
    group_begin();
    fb_add(0x2000, build_exit_halt, NULL);
    for (int round = 0; round < 3000 && group_ok; round++) {
        gen_random();
        if (!rb.n) continue;
        uint64_t pc = fresh_pc();
        /* translate at pc: the block's own pcs are relative; rebase INSN_START/EXIT */
        for (unsigned k = 0; k < rb.n; k++)
            if (rb.ins[k].op == IR_INSN_START || rb.ins[k].op == IR_EXIT)
                rb.ins[k].imm = pc + (rb.ins[k].imm & 0xfff);
        fb_add(pc, build_random, NULL);
        uint64_t regs[RREGS];
        for (unsigned k = 0; k < RREGS; k++)
            regs[k] = c->r[k] = rnd() % 5;
        bool exited;
        static uint8_t refmem[MEM_SIZE];
        memcpy(refmem, g_mem, MEM_SIZE);
        uint64_t want_pc = ref_run(regs, refmem, &exited);
        raised += ref_raised;
        enum exec_result r = run_at(c, pc);
        CHECK(!memcmp(refmem, g_mem, MEM_SIZE), "round %d: memory differs", round);
        CHECK(r == (ref_raised ? EXEC_EXCEPTION : EXEC_HALT) && c->c.pc == want_pc,
              "round %d: exit %d pc %#llx want %#llx", round, r, (unsigned long long)c->c.pc,
              (unsigned long long)want_pc);
        for (unsigned k = 0; k < RREGS; k++)
            CHECK(c->r[k] == regs[k], "round %d: r%u = %#llx, reference %#llx", round, k,
                  (unsigned long long)c->r[k], (unsigned long long)regs[k]);
        if (!group_ok) {
            fprintf(stderr, "failing block:\n");
            struct ir_block b;
            ir_block_init(&b, pc, 0);
            build_random(&b, NULL);
            ir_print(stderr, &b);
            ir_block_free(&b);
        }
        fb_reset();
        fb_add(0x2000, build_exit_halt, NULL);
    }
    CHECK(raised > 100, "only %u rounds raised an exception", raised);
    group_end("random blocks: guest-state fusion matches a reference evaluator");
    fb_reset();
    free_cpu(c);
}

/* ---- system mode: memory through a SoftMMU TLB, blocks keyed by physical page ---- */

#define SYS_RAM 0x80000000ull
#define SYS_MMIO 0x10000000ull
#define SYS_BAD 0x70000000ull /* a virtual page whose walk fails */
#define SYS_CAUSE_PAGE 13u
static struct physmap sys_pm;
static uint64_t sys_remap_from = ~0ull, sys_remap_to;
static uint64_t mmio_last_write, mmio_writes;
static struct fcpu *sys_cpu;

static int sys_fill(struct cpu_common *c, uint64_t vaddr, enum tlb_access acc, unsigned mmu,
                    struct tlb_fill *out)
{
    uint64_t page = vaddr & ~0xfffull;
    if (page == SYS_BAD) {
        out->cause = SYS_CAUSE_PAGE;
        return -EFAULT;
    }
    uint64_t pa = page == sys_remap_from ? sys_remap_to : page;
    out->paddr = pa | (vaddr & 0xfff);
    out->prot = TLB_PROT_R | TLB_PROT_W | TLB_PROT_X;
    out->page_bits = 12;
    return 0;
}
static const struct tlb_ops sys_ops = {
    .fill = sys_fill, .cause_misaligned = {4, 6, 0}, .cause_access = {5, 7, 1}};

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    return off * 2 + size;
}
static void mmio_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    mmio_last_write = v ^ off << 56;
    mmio_writes++;
}
static const struct mmio_ops test_mmio = {mmio_read, mmio_write};

/* The block at pc "executes" its 32-bit code word: r0 = word (read through fetch). */
static void build_codeword(struct ir_block *b, const void *arg)
{
    uint32_t w;
    if (sys_cpu->c.fetch(&sys_cpu->c, b->pc, &w, 4) < 0) {
        fb_fault = true;
        return;
    }
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(0), ir_const(b, IR_I64, w));
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

/* r1 = mem64[r0 + 8]; mem32[r0 + 16] = r2; r3 = mem16s[r4]; mem8[r4 + 3] = r2;
 * r5 = atomic add64 [r0 + 24], r2 (align) */
static void build_sysmem(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_val base = ir_get(b, IR_I64, RO(0));
    ir_put(b, RO(1),
           ir_load(b, IR_I64, ir_binop(b, IR_ADD, IR_I64, base, ir_const(b, IR_I64, 8)),
                   ir_mem(3, false)));
    ir_insn_start(b, b->pc + 4, 4);
    ir_store(b, ir_binop(b, IR_ADD, IR_I64, base, ir_const(b, IR_I64, 16)),
             ir_ext(b, IR_ZEXT, IR_I32, ir_get(b, IR_I64, RO(2)), 32), ir_mem(2, false));
    ir_insn_start(b, b->pc + 8, 4);
    ir_put(b, RO(3), ir_load(b, IR_I64, ir_get(b, IR_I64, RO(4)), ir_mem(1, true)));
    ir_insn_start(b, b->pc + 12, 4);
    ir_store(b, ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(4)), ir_const(b, IR_I64, 3)),
             ir_get(b, IR_I64, RO(2)), ir_mem(0, false));
    ir_insn_start(b, b->pc + 16, 4);
    struct ir_memop mo = ir_mem(3, false);
    mo.align = 1;
    ir_put(b, RO(5),
           ir_atomic_rmw(b, IR_I64, IR_RMW_ADD,
                         ir_binop(b, IR_ADD, IR_I64, base, ir_const(b, IR_I64, 24)),
                         ir_get(b, IR_I64, RO(2)), mo));
    ir_exit(b, IR_EXIT_HALT, b->pc + 20);
}

/* mem32[r6] = r7 (a store into code) */
static void build_sysstore(struct ir_block *b, const void *arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_store(b, ir_get(b, IR_I64, RO(6)), ir_ext(b, IR_ZEXT, IR_I32, ir_get(b, IR_I64, RO(7)), 32),
             ir_mem(2, false));
    ir_exit(b, IR_EXIT_HALT, b->pc + 4);
}

static void test_system_mode(void)
{
    group_begin();
    if (physmap_add_ram(&sys_pm, "ram", SYS_RAM, 1u << 20, NULL) ||
        physmap_add_mmio(&sys_pm, "dev", SYS_MMIO, 0x1000, &test_mmio, NULL)) {
        CHECK(0, "physmap setup failed");
        group_end("system mode");
        return;
    }
    struct fcpu *c = calloc(1, sizeof(*c));
    c->c.arch = &fake_arch;
    c->c.fetch = tlb_fetch;
    if (!c || !tlb_new(&c->c, &sys_pm, &sys_ops) || exec_ctx_new(&c->c)) {
        CHECK(0, "hart setup failed");
        group_end("system mode");
        return;
    }
    sys_cpu = c;
    uint8_t *ram = physmap_ram_ptr(&sys_pm, SYS_RAM, 1u << 20);

    /* RAM through the TLB */
    fb_add(SYS_RAM + 0x10000, build_sysmem, NULL);
    uint64_t v = 0x1122334455667788ull;
    memcpy(ram + 0x100 + 8, &v, 8);
    memset(ram + 0x100 + 24, 0, 8);
    uint16_t h = 0x8001;
    memcpy(ram + 0x203, &h, 2); /* misaligned 16-bit load */
    c->r[0] = SYS_RAM + 0x100;
    c->r[2] = 0xaabbccdd99;
    c->r[4] = SYS_RAM + 0x203;
    enum exec_result r = run_at(c, SYS_RAM + 0x10000);
    uint32_t w32;
    memcpy(&w32, ram + 0x100 + 16, 4);
    uint64_t sum;
    memcpy(&sum, ram + 0x100 + 24, 8);
    CHECK(r == EXEC_HALT && c->r[1] == v && w32 == 0xbbccdd99 && c->r[3] == 0xffffffffffff8001ull &&
              ram[0x206] == 0x99 && c->r[5] == 0 && sum == 0xaabbccdd99,
          "RAM: exit %d r1 %#llx w32 %#x r3 %#llx byte %#x r5 %llu sum %#llx", r,
          (unsigned long long)c->r[1], w32, (unsigned long long)c->r[3], ram[0x206],
          (unsigned long long)c->r[5], (unsigned long long)sum);

    /* a device: loads and stores reach its ops */
    c->r[0] = SYS_MMIO;
    c->r[4] = SYS_MMIO + 0x40;
    mmio_writes = 0;
    r = run_at(c, SYS_RAM + 0x10000);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == 7 && c->c.pc == SYS_RAM + 0x10010,
          "atomic on a device: exit %d excp %u pc %#llx", r, c->c.excp,
          (unsigned long long)c->c.pc);
    CHECK(c->r[1] == 8 * 2 + 8 && c->r[3] == 0x40 * 2 + 2 && mmio_writes == 2 &&
              mmio_last_write == (0x99 ^ (uint64_t)0x43 << 56),
          "MMIO: r1 %llu r3 %llu writes %llu last %#llx", (unsigned long long)c->r[1],
          (unsigned long long)c->r[3], (unsigned long long)mmio_writes,
          (unsigned long long)mmio_last_write);

    /* a failing walk: the guest's cause at the exact pc; a misaligned atomic */
    c->r[0] = SYS_BAD + 0x10;
    r = run_at(c, SYS_RAM + 0x10000);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == SYS_CAUSE_PAGE && c->c.pc == SYS_RAM + 0x10000,
          "page fault: exit %d excp %u pc %#llx", r, c->c.excp, (unsigned long long)c->c.pc);
    c->r[0] = SYS_RAM + 0x101;
    c->r[4] = SYS_RAM + 0x203;
    r = run_at(c, SYS_RAM + 0x10000);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == 6 && c->c.pc == SYS_RAM + 0x10010 &&
              c->c.excp_tval == SYS_RAM + 0x101 + 24,
          "misaligned atomic: exit %d excp %u pc %#llx", r, c->c.excp, (unsigned long long)c->c.pc);

    /* blocks follow physical pages: remapping a virtual page runs the other code */
    uint64_t va = SYS_RAM + 0x2000;
    uint32_t w1 = 111, w2 = 222;
    memcpy(ram + 0x2000, &w1, 4);
    memcpy(ram + 0x3000, &w2, 4);
    fb_add(va, build_codeword, NULL);
    r = run_at(c, va);
    CHECK(r == EXEC_HALT && c->r[0] == 111, "first mapping: exit %d r0 %llu", r,
          (unsigned long long)c->r[0]);
    sys_remap_from = va;
    sys_remap_to = SYS_RAM + 0x3000;
    tlb_flush(c->c.tlb, ~0u);
    exec_flush_jump_cache(&c->c);
    r = run_at(c, va);
    CHECK(r == EXEC_HALT && c->r[0] == 222, "remapped: exit %d r0 %llu", r,
          (unsigned long long)c->r[0]);
    sys_remap_from = ~0ull;
    tlb_flush(c->c.tlb, ~0u);
    exec_flush_jump_cache(&c->c);
    r = run_at(c, va);
    CHECK(r == EXEC_HALT && c->r[0] == 111 && fb_translations(va) == 2,
          "mapped back: exit %d r0 %llu, %u translations (want 2: the first is reused)", r,
          (unsigned long long)c->r[0], fb_translations(va));

    /* a guest store into translated code drops it (the TLB's code-page tracking) */
    fb_add(SYS_RAM + 0x11000, build_sysstore, NULL);
    c->r[6] = va;
    c->r[7] = 333;
    r = run_at(c, SYS_RAM + 0x11000);
    CHECK(r == EXEC_HALT, "store exit %d", r);
    r = run_at(c, va);
    CHECK(r == EXEC_HALT && c->r[0] == 333, "after a store into code: r0 %llu",
          (unsigned long long)c->r[0]);

    /* a fetch that cannot be translated */
    fb_add(SYS_BAD, build_codeword, NULL);
    r = run_at(c, SYS_BAD);
    CHECK(r == EXEC_EXCEPTION && c->c.excp == CPU_EXCP_FETCH &&
              c->c.tlb->fault_cause == SYS_CAUSE_PAGE && c->c.tlb->fault_tval == SYS_BAD,
          "fetch fault: exit %d excp %#x cause %u", r, c->c.excp, c->c.tlb->fault_cause);
    group_end("system mode: TLB loads/stores/atomics, MMIO, faults, physical keying, stores "
              "into code");
    fb_reset();
    exec_ctx_free(&c->c);
}

/* ---- a full flush when the cache is over budget ---- */

static void test_flush(void)
{
    struct fcpu *c = new_cpu();
    group_begin();
    size_t old_budget = exec_g.budget;
    exec_g.budget = 16384;
    static struct exit_case ec = {IR_EXIT_BREAK};
    uint64_t pcs[200];
    for (unsigned k = 0; k < 200; k++) {
        pcs[k] = fresh_pc();
        fb_add(pcs[k], build_exit_reason, &ec);
    }
    for (int pass = 0; pass < 3; pass++)
        for (unsigned k = 0; k < 200; k++)
            CHECK(run_at(c, pcs[k]) == EXEC_BREAK && c->c.pc == pcs[k] + 0x10, "run %u", k);
    CHECK(exec_g.live_bytes <= exec_g.budget, "live bytes %zu over budget", exec_g.live_bytes);
    CHECK(atomic_load(&exec_g.n_retired) == 0, "retired blocks not freed");
    exec_g.budget = old_budget;
    group_end("cache over budget flushes and keeps working");
    fb_reset();
    free_cpu(c);
}

/* ---- benchmark: a tight loop, about 10 IR ops per guest instruction ---- */

static void build_bench(struct ir_block *b, const void *arg)
{
    /* one "instruction" = x = ((x ^ k) + y) rotl 3, y += x >> 7, mem[y & 0xff8] = x, ... */
    uint64_t pc = b->pc;
    ir_val x = ir_get(b, IR_I64, RO(0)), y = ir_get(b, IR_I64, RO(1));
    for (unsigned k = 0; k < 8; k++) {
        ir_insn_start(b, pc + 4 * k, 4);
        x = ir_binop(
            b, IR_ROTL, IR_I64,
            ir_binop(b, IR_ADD, IR_I64, ir_binop(b, IR_XOR, IR_I64, x, ir_const(b, IR_I64, k)), y),
            ir_const(b, IR_I64, 3));
        y = ir_binop(b, IR_ADD, IR_I64, y, ir_binop(b, IR_SHR, IR_I64, x, ir_const(b, IR_I64, 7)));
        ir_val a = ir_binop(b, IR_AND, IR_I64, y, ir_const(b, IR_I64, 0xff8));
        ir_store(b, a, x, ir_mem(3, false));
        y = ir_binop(b, IR_SUB, IR_I64, y, ir_load(b, IR_I64, a, ir_mem(2, true)));
        ir_put(b, RO(0), x);
        ir_put(b, RO(1), y);
    }
    ir_insn_start(b, pc + 32, 4);
    ir_val n = ir_binop(b, IR_SUB, IR_I64, ir_get(b, IR_I64, RO(2)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(2), n);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_NE, n, ir_const(b, IR_I64, 0)), pc);
    ir_exit(b, IR_EXIT_HALT, pc + 36);
}

/* A RISC-V-like loop after optimisation: sum += i; i += 1; blt i, n, loop */
static void build_bench_rv(struct ir_block *b, const void *arg)
{
    uint64_t pc = b->pc;
    ir_insn_start(b, pc, 4);
    ir_val s = ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(10)), ir_get(b, IR_I64, RO(11)));
    ir_put(b, RO(10), s);
    ir_insn_start(b, pc + 4, 4);
    ir_val i = ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(11)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(11), i);
    ir_insn_start(b, pc + 8, 4);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_LT, i, ir_get(b, IR_I64, RO(12))), pc);
    ir_goto(b, pc + 12);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(void)
{
    struct fcpu *c = new_cpu();
    uint64_t pc = 0xb000;
    fb_add(pc, build_bench, NULL);
    fb_add(pc + 36, build_exit_halt, NULL);
    c->r[0] = 1;
    c->r[1] = 2;
    c->r[2] = 1000;
    run_at(c, pc); /* translate */
    int err;
    struct tb *tb = tb_find(c->c.exec, pc, 0, &err);
    struct ir_block b;
    ir_block_init(&b, pc, 0);
    build_bench(&b, NULL);
    uint32_t ir_ops = 0;
    for (uint32_t k = 0; k < b.n_insn; k++)
        ir_ops += b.insn[k].op != IR_INSN_START;
    ir_block_free(&b);
    uint64_t iters = 3000000;
    c->r[2] = iters;
    double t0 = now_s();
    enum exec_result r = run_at(c, pc);
    double t = now_s() - t0;
    printf("bench mixed: %s, %u IR ops (%u predecoded) x %llu iterations: %.2f ns/IR op, %.2f "
           "ns/predecoded op, %.2f ns/guest insn\n",
           r == EXEC_HALT ? "ok" : "FAILED", ir_ops, tb ? tb->n_ops : 0, (unsigned long long)iters,
           t * 1e9 / ((double)iters * ir_ops), tb ? t * 1e9 / ((double)iters * tb->n_ops) : 0.0,
           t * 1e9 / ((double)iters * 9));

    pc = 0xc000;
    fb_add(pc, build_bench_rv, NULL);
    fb_add(pc + 12, build_exit_halt, NULL);
    c->r[10] = 0;
    c->r[11] = 0;
    c->r[12] = 100000000;
    t0 = now_s();
    r = run_at(c, pc);
    t = now_s() - t0;
    tb = tb_find(c->c.exec, pc, 0, &err);
    /* native: the same loop compiled for the host */
    volatile uint64_t vn = 100000000;
    uint64_t n = vn, sum = 0;
    double t1 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        sum += i;
        __asm__ volatile("" : "+r"(sum));
    }
    double tn = now_s() - t1;
    printf("bench rv-loop: %s, sum %llu, 3 guest insns (%u predecoded ops) x 1e8: %.2f ns/iter, "
           "native %.2f ns/iter, %.3fx native\n",
           r == EXEC_HALT && c->r[10] == sum ? "ok" : "FAILED", (unsigned long long)c->r[10],
           tb ? tb->n_ops : 0, t * 10, tn * 10, tn / t);
    free_cpu(c);
}

static void watchdog(int sig)
{
    static const char msg[] = "not ok exec_test: timed out (a guest loop never ended)\n";
    if (write(1, msg, sizeof(msg) - 1) < 0) _exit(1);
    _exit(1);
}

int main(int argc, char **argv)
{
    signal(SIGALRM, watchdog);
    alarm(300);
    g_mem = mmap(NULL, 2 * MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_mem == MAP_FAILED) return 2;
    mprotect(g_mem + MEM_SIZE, MEM_SIZE, PROT_NONE);
    struct exec_options o = {.engine = EXEC_INTERP, .opt_passes = 0};
    exec_global_init(&o);

    if (argc > 1 && !strcmp(argv[1], "--bench")) {
        exec_g.opt.opt_passes = IR_OPT_ALL;
        bench();
        return 0;
    }

    test_pairs("binops vs ir_eval_binop, every op, type and operand shape", false);
    test_pairs("SETCC vs ir_eval_setcc, every condition, type and operand shape", true);
    test_branches();
    test_unops();
    test_misc();
    test_memory();
    test_atomics_single();
    test_atomics_threads();
    test_chaining();
    test_exit_request();
    test_invalidate();
    test_invalidate_running();
    test_exceptions();
    test_fp();
    test_random_fusion();
    /* the same programs through the real optimiser */
    exec_g.opt.opt_passes = IR_OPT_ALL;
    test_chaining();
    test_random_fusion();
    test_flush();
    test_system_mode();
    return failures ? 1 : 0;
}
