/*
 * Unit tests of the JIT (src/exec/jit): every integer op compiled and run against
 * ir_eval.h on edge values, in every operand form (registers, immediates, one value twice,
 * 32-bit ops on values with garbage upper halves), with and without the optional host
 * instructions (BMI1/BMI2/LZCNT/POPCNT); memory ops and atomics; exits, icount and exit
 * requests; fault pcs from the pc map; chaining and unpatching, directly and through the
 * run loop with invalidation; a full code-cache flush; and a randomised differential test
 * that runs thousands of generated blocks under the interpreter and the JIT and compares
 * registers, memory, exits and exceptions.
 *
 * A fake guest (struct tcpu: cpu_common + 64 registers) gets hand-built IR blocks.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec/jit/jit.h"
#include "exec/jit/x86_64/x86_cg.h"
#include "ir/ir_eval.h"
#include "unit.h"

#define NR 64
struct tcpu {
    struct cpu_common c;
    uint64_t r[NR];
};
#define RO(n) ((uint32_t)(offsetof(struct tcpu, r) + 8u * (n)))

#define MEM_SIZE 65536u
static uint8_t *g_mem;
static struct tcpu *g_cpu;


/* ---- the fake guest: translate runs a registered builder ---- */

typedef void build_fn(struct ir_block *b, uint64_t arg);
#define MAXFB 64
static struct {
    uint64_t pc;
    build_fn *fn;
    uint64_t arg;
} fblocks[MAXFB];
static int n_fb;

static void fb_set(uint64_t pc, build_fn *fn, uint64_t arg)
{
    for (int i = 0; i < n_fb; i++)
        if (fblocks[i].pc == pc) {
            fblocks[i].fn = fn;
            fblocks[i].arg = arg;
            return;
        }
    fblocks[n_fb].pc = pc;
    fblocks[n_fb].fn = fn;
    fblocks[n_fb++].arg = arg;
}

/* --bench: pcs in [BENCH_LO, BENCH_HI) are blocks of a long chain that exits every 16th */
#define BENCH_LO 0x10000000ull
#define BENCH_HI 0x20000000ull
static void b_bench(struct ir_block *b, uint64_t arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(1), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(1)), ir_const(b, IR_I64, 1)));
    ir_put(b, RO(2), ir_binop(b, IR_XOR, IR_I64, ir_get(b, IR_I64, RO(2)), ir_get(b, IR_I64, RO(1))));
    if ((b->pc & 63) == 60)
        ir_exit(b, IR_EXIT_SYSCALL, b->pc);
    else
        ir_goto(b, b->pc + 4);
}

static int fake_translate(struct cpu_common *cpu, struct ir_block *b, unsigned max)
{
    if (b->pc >= BENCH_LO && b->pc < BENCH_HI) {
        b_bench(b, 0);
        b->n_guest = 1;
        b->guest_size = 4;
        return 0;
    }
    for (int i = 0; i < n_fb; i++)
        if (fblocks[i].pc == b->pc) {
            fblocks[i].fn(b, fblocks[i].arg);
            unsigned n = 0;
            for (uint32_t k = 0; k < b->n_insn; k++)
                n += b->insn[k].op == IR_INSN_START;
            b->n_guest = n ? n : 1;
            b->guest_size = 4 * b->n_guest;
            return 0;
        }
    return -EFAULT;
}

static const struct guest_arch fake_arch = {
    .name = "fake", .cpu_size = sizeof(struct tcpu), .translate = fake_translate};

/* ---- compiling and running one block, outside the cache ---- */

static struct tb *compile(struct ir_block *b, int *err)
{
    char msg[256];
    b->n_guest = 0; /* as a frontend counts them */
    for (uint32_t k = 0; k < b->n_insn; k++)
        b->n_guest += b->insn[k].op == IR_INSN_START;
    if (ir_verify(b, msg, sizeof(msg))) {
        fprintf(stderr, "jit_test: bad IR: %s\n", msg);
        ir_print(stderr, b);
        exit(2);
    }
    struct tb *tb = interp_predecode(g_cpu->c.exec, b, err);
    if (!tb) return NULL;
    *err = jit_compile(g_cpu->c.exec, tb, b, true);
    if (*err == -EBUSY) /* the code cache was full and has been flushed */
        *err = jit_compile(g_cpu->c.exec, tb, b, true);
    if (*err) {
        free(tb);
        return NULL;
    }
    return tb;
}

static unsigned jit_declined; /* blocks the JIT handed back to the interpreter */

struct outcome {
    int code;               /* exit code, or 1000 + cause for an exception */
    struct tb_exit *exit;
    uint64_t pc, tval;
};

static struct outcome run_one(struct tb *tb, bool jit)
{
    sigjmp_buf env;
    struct outcome o = {0};
    /* a flush kicks every vCPU (the run loop would answer at its safe point) */
    g_cpu->c.exit_request &= ~EXEC_KICK;
    g_cpu->c.jmp_env = &env;
    if (sigsetjmp(env, 0)) {
        if (jit) jit_fp_harvest(&g_cpu->c); /* as exec_run's landing does */
        o = (struct outcome){0};
        o.code = 1000 + (int)g_cpu->c.excp;
        o.tval = g_cpu->c.excp_tval;
    } else if (jit) {
        struct jit_ret r = jit_run(&g_cpu->c, atomic_load(&tb->jit));
        o.code = (int)r.code;
        o.exit = r.exit;
        if (o.code == JIT_INTERP) { /* declined (rounding mode): the run loop interprets it */
            jit_declined++;
            o.exit = NULL;
            o.code = interp_exec(&g_cpu->c, g_cpu->c.exec, tb, false, &o.exit);
        }
    } else {
        o.code = interp_exec(&g_cpu->c, g_cpu->c.exec, tb, false, &o.exit);
    }
    o.pc = g_cpu->c.pc;
    g_cpu->c.jmp_env = NULL;
    return o;
}

static struct ir_block B;
static void blk(uint64_t pc)
{
    ir_block_reset(&B, pc, 0);
    ir_insn_start(&B, pc, 4);
}

/* ---- integer ops against ir_eval.h ---- */

static const uint64_t edge[] = {0, 1, 2, 3, 5, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x7fff,
                                0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
                                0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                0xffffffffffffffffull, 0xfffffffffffffffeull,
                                0x123456789abcdef0ull, 0xffffffff80000000ull,
                                0x00000000fffffffeull, 0xdeadbeef00000001ull};
#define NE (sizeof(edge) / sizeof(edge[0]))

static const unsigned binops[] = {IR_ADD, IR_SUB, IR_MUL, IR_MULHS, IR_MULHU, IR_MULHSU, IR_DIV,
                                  IR_DIVU, IR_REM, IR_REMU, IR_AND, IR_OR, IR_XOR, IR_SHL,
                                  IR_SHR, IR_SAR, IR_ROTL, IR_ROTR, IR_MIN, IR_MAX, IR_MINU,
                                  IR_MAXU};

/* forms: 0 reg/reg, 1 reg/imm, 2 imm/reg, 3 a op a, 4 I32 op on GET.i64 through ZEXT.32 */
static void build_binop(unsigned op, enum ir_type t, int form, uint64_t k)
{
    blk(0x1000);
    ir_val a, b;
    if (form == 4) {
        a = ir_ext(&B, IR_ZEXT, IR_I32, ir_get(&B, IR_I64, RO(1)), 32);
        b = ir_ext(&B, IR_ZEXT, IR_I32, ir_get(&B, IR_I64, RO(2)), 32);
    } else {
        a = form == 2 ? ir_const(&B, t, k) : ir_get(&B, t, RO(1));
        b = form == 1 ? ir_const(&B, t, k) : form == 3 ? a : ir_get(&B, t, RO(2));
    }
    ir_val r = ir_binop(&B, (enum ir_opcode)op, t, a, b);
    ir_put(&B, RO(3), r);
    /* keep the operands live after the op too, so no operand register is reused */
    if (form == 0) ir_put(&B, RO(4), ir_binop(&B, IR_XOR, t, a, b));
    ir_goto(&B, 0x2000);
}

static void test_binops(const char *name)
{
    group(name);
    unsigned n = 0;
    for (unsigned oi = 0; oi < sizeof(binops) / sizeof(binops[0]); oi++)
        for (int ti = 0; ti < 2; ti++) {
            enum ir_type t = ti ? IR_I64 : IR_I32;
            unsigned op = binops[oi];
            for (int form = 0; form < 5; form++) {
                if (form == 4 && t != IR_I32) continue;
                unsigned nk = (form == 1 || form == 2) ? NE : 1;
                for (unsigned ki = 0; ki < nk; ki++) {
                    uint64_t k = ir_trunc(t, edge[ki]);
                    build_binop(op, t, form, k);
                    int err;
                    struct tb *tb = compile(&B, &err);
                    expect(tb, "%s.%d form %d: compile failed %d", ir_opinfo[op].name, ti, form, err);
                    if (!tb) continue;
                    for (unsigned i = 0; i < NE; i++)
                        for (unsigned j = 0; j < NE; j++) {
                            if ((form == 1 || form == 3) && j) break;
                            if (form == 2 && i) break;
                            uint64_t x = edge[i], y = edge[j];
                            /* slots hold zero-extended I32 values, except for form 4 */
                            g_cpu->r[1] = form == 4 ? x : ir_trunc(t, x);
                            g_cpu->r[2] = form == 4 ? y ^ 0xa5a5a5a500000000ull : ir_trunc(t, y);
                            g_cpu->r[3] = 0x5555;
                            g_cpu->r[4] = 0;
                            struct outcome o = run_one(tb, true);
                            uint64_t av = form == 2 ? k : ir_trunc(t, x);
                            uint64_t bv = form == 1 ? k : form == 3 ? av : ir_trunc(t, y);
                            uint64_t want = ir_eval_binop((enum ir_opcode)op, t, av, bv);
                            expect(o.code == INTERP_LOOKUP && g_cpu->r[3] == want,
                                  "%s.%s form %d (%#llx, %#llx): got %#llx want %#llx (code %d)",
                                  ir_opinfo[op].name, t == IR_I32 ? "i32" : "i64", form,
                                  (unsigned long long)av, (unsigned long long)bv,
                                  (unsigned long long)g_cpu->r[3], (unsigned long long)want, o.code);
                            if (form == 0)
                                expect(g_cpu->r[4] == ir_eval_binop(IR_XOR, t, av, bv),
                                      "%s.%d operands clobbered (%#llx, %#llx): r4 %#llx", ir_opinfo[op].name,
                                      ti, (unsigned long long)av, (unsigned long long)bv,
                                      (unsigned long long)g_cpu->r[4]);
                            n++;
                        }
                    free(tb);
                }
            }
        }
    expect(n > 10000, "only %u cases ran", n);
    group_end();
}

static void test_unops(const char *name)
{
    static const unsigned unops[] = {IR_NOT, IR_NEG, IR_CLZ, IR_CTZ, IR_POPCNT, IR_BSWAP};
    group(name);
    for (unsigned oi = 0; oi < 6; oi++)
        for (int ti = 0; ti < 2; ti++) {
            enum ir_type t = ti ? IR_I64 : IR_I32;
            for (int z = 0; z < 2; z++) { /* z: through ZEXT.32 of an I64 with garbage */
                if (z && t != IR_I32) continue;
                blk(0x1000);
                ir_val a = z ? ir_ext(&B, IR_ZEXT, IR_I32, ir_get(&B, IR_I64, RO(1)), 32)
                             : ir_get(&B, t, RO(1));
                ir_put(&B, RO(3), ir_unop(&B, (enum ir_opcode)unops[oi], t, a));
                ir_goto(&B, 0x2000);
                int err;
                struct tb *tb = compile(&B, &err);
                expect(tb, "%s: compile %d", ir_opinfo[unops[oi]].name, err);
                if (!tb) continue;
                for (unsigned i = 0; i < NE; i++) {
                    g_cpu->r[1] = z ? edge[i] ^ 0x5a00000000000000ull : ir_trunc(t, edge[i]);
                    g_cpu->r[3] = 0;
                    run_one(tb, true);
                    uint64_t want = ir_eval_unop((enum ir_opcode)unops[oi], t, 0, ir_trunc(t, edge[i]));
                    expect(g_cpu->r[3] == want, "%s.%d z%d (%#llx): got %#llx want %#llx",
                          ir_opinfo[unops[oi]].name, ti, z, (unsigned long long)edge[i],
                          (unsigned long long)g_cpu->r[3], (unsigned long long)want);
                }
                free(tb);
            }
        }
    /* extensions, bitfields */
    for (int op = 0; op < 2; op++)
        for (unsigned bits = 8; bits <= 32; bits *= 2)
            for (int ti = 0; ti < 2; ti++)
                for (int si = 0; si < 2; si++) {
                    enum ir_type t = ti ? IR_I64 : IR_I32, st = si ? IR_I64 : IR_I32;
                    blk(0x1000);
                    ir_val a = ir_get(&B, st, RO(1));
                    ir_put(&B, RO(3), ir_ext(&B, op ? IR_SEXT : IR_ZEXT, t, a, bits));
                    ir_goto(&B, 0x2000);
                    int err;
                    struct tb *tb = compile(&B, &err);
                    expect(tb, "ext compile %d", err);
                    if (!tb) continue;
                    for (unsigned i = 0; i < NE; i++) {
                        g_cpu->r[1] = ir_trunc(st, edge[i]);
                        g_cpu->r[3] = 0;
                        run_one(tb, true);
                        uint64_t want = ir_eval_unop(op ? IR_SEXT : IR_ZEXT, t, bits, ir_trunc(st, edge[i]));
                        expect(g_cpu->r[3] == want, "%s%u %d<-%d (%#llx): got %#llx want %#llx",
                              op ? "sext" : "zext", bits, ti, si, (unsigned long long)edge[i],
                              (unsigned long long)g_cpu->r[3], (unsigned long long)want);
                    }
                    free(tb);
                }
    for (unsigned pos = 0; pos < 64; pos += 7)
        for (unsigned len = 1; pos + len <= 64; len += 9)
            for (int ti = 0; ti < 2; ti++) {
                enum ir_type t = ti ? IR_I64 : IR_I32;
                if (len > 32 && t == IR_I32) continue;
                for (int sign = 0; sign < 2; sign++) {
                    blk(0x1000);
                    ir_val a = ir_get(&B, IR_I64, RO(1)), c = ir_get(&B, IR_I64, RO(2));
                    ir_put(&B, RO(3), ir_extract(&B, t, a, pos, len, sign));
                    if (t == IR_I64 || pos + len <= 32) {
                        ir_val d = t == IR_I64 ? a : ir_ext(&B, IR_ZEXT, IR_I32, a, 32);
                        ir_put(&B, RO(4), ir_deposit(&B, t, d, c, pos, len));
                    }
                    ir_goto(&B, 0x2000);
                    int err;
                    struct tb *tb = compile(&B, &err);
                    expect(tb, "bitfield compile %d", err);
                    if (!tb) continue;
                    for (unsigned i = 0; i < NE; i++) {
                        g_cpu->r[1] = edge[i];
                        g_cpu->r[2] = edge[NE - 1 - i];
                        g_cpu->r[3] = 0;
                        g_cpu->r[4] = 0;
                        run_one(tb, true);
                        uint64_t want = ir_eval_extract(t, pos | len << 8, sign, edge[i]);
                        expect(g_cpu->r[3] == want, "extract %u,%u s%d t%d (%#llx): %#llx want %#llx",
                              pos, len, sign, ti, (unsigned long long)edge[i],
                              (unsigned long long)g_cpu->r[3], (unsigned long long)want);
                        if (t == IR_I64 || pos + len <= 32) {
                            uint64_t w2 = ir_eval_deposit(t, pos | len << 8, ir_trunc(t, edge[i]), edge[NE - 1 - i]);
                            expect(g_cpu->r[4] == w2, "deposit %u,%u t%d: %#llx want %#llx", pos, len,
                                  ti, (unsigned long long)g_cpu->r[4], (unsigned long long)w2);
                        }
                    }
                    free(tb);
                }
            }
    group_end();
}

static void test_setcc_select(void)
{
    group("setcc, select and compare-exits on every condition and operand form");
    for (unsigned cnd = 0; cnd < IR_NUM_CONDS; cnd++)
        for (int ti = 0; ti < 2; ti++)
            for (int form = 0; form < 3; form++) { /* reg/reg, reg/imm, imm/reg */
                enum ir_type t = ti ? IR_I64 : IR_I32;
                for (unsigned ki = 0; ki < (form ? NE : 1); ki++) {
                    uint64_t k = ir_trunc(t, edge[ki]);
                    blk(0x1000);
                    ir_val a = form == 2 ? ir_const(&B, t, k) : ir_get(&B, t, RO(1));
                    ir_val b = form == 1 ? ir_const(&B, t, k) : ir_get(&B, t, RO(2));
                    ir_val s = ir_setcc(&B, IR_I64, (enum ir_cond)cnd, a, b);
                    ir_put(&B, RO(3), s);
                    /* fused into a select, and a select on a plain value */
                    ir_val s2 = ir_setcc(&B, IR_I32, (enum ir_cond)cnd, a, b);
                    ir_val x = ir_get(&B, IR_I64, RO(5)), y = ir_get(&B, IR_I64, RO(6));
                    ir_put(&B, RO(4), ir_select(&B, IR_I64, s2, x, y));
                    ir_put(&B, RO(7), ir_select(&B, IR_I64, s, y, x));
                    /* fused into an exit */
                    ir_val s3 = ir_setcc(&B, IR_I64, (enum ir_cond)cnd, a, b);
                    ir_exit_if(&B, s3, 0x3000);
                    ir_goto(&B, 0x2000);
                    int err;
                    struct tb *tb = compile(&B, &err);
                    expect(tb, "setcc compile %d", err);
                    if (!tb) continue;
                    for (unsigned i = 0; i < NE; i++) {
                        uint64_t x0 = ir_trunc(t, edge[i]), y0 = ir_trunc(t, edge[(i * 7 + 3) % NE]);
                        if (form == 1 && i % 3) y0 = k;
                        g_cpu->r[1] = x0;
                        g_cpu->r[2] = y0;
                        g_cpu->r[5] = 0x1111;
                        g_cpu->r[6] = 0x2222;
                        struct outcome o = run_one(tb, true);
                        uint64_t av = form == 2 ? k : x0, bv = form == 1 ? k : y0;
                        uint64_t want = ir_eval_setcc((enum ir_cond)cnd, t, av, bv);
                        expect(g_cpu->r[3] == want && g_cpu->r[4] == (want ? 0x1111u : 0x2222u) &&
                                  g_cpu->r[7] == (want ? 0x2222u : 0x1111u),
                              "cond %u t%d form %d (%#llx, %#llx): %llu/%#llx/%#llx want %llu", cnd, ti, form,
                              (unsigned long long)av, (unsigned long long)bv,
                              (unsigned long long)g_cpu->r[3], (unsigned long long)g_cpu->r[4],
                              (unsigned long long)g_cpu->r[7], (unsigned long long)want);
                        expect(o.code == INTERP_LOOKUP && o.pc == (want ? 0x3000u : 0x2000u) && o.exit &&
                                  o.exit == &tb->exits[want ? 0 : 1],
                              "cond %u exit: code %d pc %#llx", cnd, o.code, (unsigned long long)o.pc);
                    }
                    free(tb);
                }
            }
    group_end();
}

/* ---- memory ---- */

static void test_memory(void)
{
    group("loads, stores, atomics and compare-and-swap at every size");
    for (unsigned size = 0; size < 4; size++)
        for (int sign = 0; sign < 2; sign++)
            for (int ti = 0; ti < 2; ti++) {
                enum ir_type t = ti ? IR_I64 : IR_I32;
                if (size == 3 && t == IR_I32) continue;
                int32_t disp = (int32_t)(size * 1000 + 8) - 4096;
                blk(0x1000);
                ir_val base = ir_get(&B, IR_I64, RO(1));
                ir_val addr = ir_binop(&B, IR_ADD, IR_I64, base, ir_const(&B, IR_I64, (uint64_t)(int64_t)disp));
                ir_val v = ir_load(&B, t, addr, ir_mem(size, sign));
                ir_put(&B, RO(3), v);
                ir_val sv = ir_get(&B, t, RO(2));
                ir_store(&B, ir_const(&B, IR_I64, 0x100), sv, ir_mem(size, false));
                ir_store(&B, base, ir_const(&B, t, ir_trunc(t, 0x8765432187654321ull)), ir_mem(size, false));
                ir_goto(&B, 0x2000);
                int err;
                struct tb *tb = compile(&B, &err);
                expect(tb, "mem compile %d", err);
                if (!tb) continue;
                for (unsigned i = 0; i < NE; i++) {
                    /* addresses beyond the mask wrap into guest memory, like the interpreter */
                    uint64_t a = 0x40000 + 0x2000 + i * 37 + (edge[i] << 20);
                    uint64_t ea = (a + (uint64_t)(int64_t)disp) & (MEM_SIZE - 1);
                    if (ea + 8 > MEM_SIZE) continue;
                    uint64_t val = edge[NE - 1 - i] ^ 0x0123456789abcdefull;
                    memcpy(g_mem + ea, &val, 8);
                    g_cpu->r[1] = a;
                    g_cpu->r[2] = ir_trunc(t, edge[i]);
                    g_cpu->r[3] = 0;
                    run_one(tb, true);
                    uint64_t raw = val & (size == 3 ? ~0ull : (1ull << (8u << size)) - 1);
                    uint64_t want = sign ? (uint64_t)ir_sext_bits(raw, 8u << size) : raw;
                    want = ir_trunc(t, want);
                    expect(g_cpu->r[3] == want, "load size %u sign %d t%d: %#llx want %#llx", size,
                          sign, ti, (unsigned long long)g_cpu->r[3], (unsigned long long)want);
                    uint64_t got = 0, exp = edge[i] & (size == 3 ? ~0ull : (1ull << (8u << size)) - 1);
                    memcpy(&got, g_mem + 0x100, 1u << size);
                    expect(got == ir_trunc(t, exp), "store size %u: %#llx", size, (unsigned long long)got);
                    got = 0;
                    memcpy(&got, g_mem + (a & (MEM_SIZE - 1)), 1u << size);
                    exp = ir_trunc(t, 0x8765432187654321ull) & (size == 3 ? ~0ull : (1ull << (8u << size)) - 1);
                    expect(got == exp, "store imm size %u: %#llx want %#llx", size,
                          (unsigned long long)got, (unsigned long long)exp);
                }
                free(tb);
            }
    /* atomics: every kind and size against ir_eval_rmw, and compare-and-swap */
    for (unsigned k = 0; k < IR_NUM_RMW; k++)
        for (unsigned size = 0; size < 4; size++)
            for (int sign = 0; sign < 2; sign++) {
                enum ir_type t = size == 3 ? IR_I64 : IR_I32;
                blk(0x1000);
                ir_val addr = ir_get(&B, IR_I64, RO(1)), v = ir_get(&B, t, RO(2));
                struct ir_memop m = {.size = (uint8_t)size, .sign = (uint8_t)sign, .align = 1};
                ir_put(&B, RO(3), ir_atomic_rmw(&B, t, (enum ir_rmw)k, addr, v, m));
                ir_goto(&B, 0x2000);
                int err;
                struct tb *tb = compile(&B, &err);
                expect(tb, "rmw compile %d", err);
                if (!tb) continue;
                for (unsigned i = 0; i < NE; i += 2)
                    for (unsigned j = 0; j < NE; j += 3) {
                        uint64_t mask = size == 3 ? ~0ull : (1ull << (8u << size)) - 1;
                        uint64_t old = edge[i] & mask, opnd = ir_trunc(t, edge[j]);
                        memset(g_mem + 0x200, 0xee, 32);
                        memcpy(g_mem + 0x208, &old, 1u << size);
                        g_cpu->r[1] = 0x208;
                        g_cpu->r[2] = opnd;
                        g_cpu->r[3] = 0;
                        run_one(tb, true);
                        /* the interpreter's rule: sub-word min/max compare sign-extended */
                        uint64_t o2 = old, x2 = opnd;
                        enum ir_type et = size == 2 ? IR_I32 : IR_I64;
                        if (size < 2 && (k == IR_RMW_MIN || k == IR_RMW_MAX)) {
                            o2 = (uint64_t)ir_sext_bits(old, 8u << size);
                            x2 = (uint64_t)ir_sext_bits(opnd & mask, 8u << size);
                        } else if (size < 2) {
                            x2 = opnd & mask;
                        }
                        uint64_t nv = ir_eval_rmw((enum ir_rmw)k, et, o2, x2) & mask, got = 0;
                        memcpy(&got, g_mem + 0x208, 1u << size);
                        uint64_t wold = sign ? (uint64_t)ir_sext_bits(old, 8u << size) : old;
                        expect(got == nv && g_cpu->r[3] == ir_trunc(t, wold) && g_mem[0x207] == 0xee &&
                                  g_mem[0x208 + (1u << size)] == 0xee,
                              "rmw %u size %u (%#llx, %#llx): mem %#llx want %#llx, ret %#llx", k, size,
                              (unsigned long long)old, (unsigned long long)opnd,
                              (unsigned long long)got, (unsigned long long)nv,
                              (unsigned long long)g_cpu->r[3]);
                    }
                /* misaligned: a bus error at the instruction, memory untouched */
                if (size) {
                    g_cpu->r[1] = 0x209;
                    g_cpu->c.pc = 0;
                    struct outcome o = run_one(tb, true);
                    expect(o.code == 1000 + (int)CPU_EXCP_BUS_ADRALN && o.tval == 0x209 && o.pc == 0x1000,
                          "misaligned rmw: code %d tval %#llx pc %#llx", o.code,
                          (unsigned long long)o.tval, (unsigned long long)o.pc);
                }
                free(tb);
            }
    for (unsigned size = 0; size < 4; size++) {
        enum ir_type t = size == 3 ? IR_I64 : IR_I32;
        blk(0x1000);
        ir_val addr = ir_get(&B, IR_I64, RO(1));
        struct ir_memop m = {.size = (uint8_t)size, .align = 1};
        ir_put(&B, RO(3), ir_cmpxchg(&B, t, addr, ir_get(&B, t, RO(2)), ir_get(&B, t, RO(4)), m));
        ir_goto(&B, 0x2000);
        int err;
        struct tb *tb = compile(&B, &err);
        expect(tb, "cas compile %d", err);
        if (!tb) continue;
        for (int succ = 0; succ < 2; succ++) {
            uint64_t mask = size == 3 ? ~0ull : (1ull << (8u << size)) - 1;
            uint64_t old = 0x8899aabbccddeeffull & mask;
            memcpy(g_mem + 0x300, &old, 8);
            g_cpu->r[1] = 0x300;
            g_cpu->r[2] = succ ? old : (old ^ 1);
            g_cpu->r[4] = ir_trunc(t, 0x1122334455667788ull);
            g_cpu->r[3] = 0;
            run_one(tb, true);
            uint64_t got = 0;
            memcpy(&got, g_mem + 0x300, 1u << size);
            expect(g_cpu->r[3] == old && got == (succ ? (0x1122334455667788ull & mask) : old),
                  "cas size %u succ %d: ret %#llx mem %#llx", size, succ,
                  (unsigned long long)g_cpu->r[3], (unsigned long long)got);
        }
        free(tb);
    }
    group_end();
}

/* ---- exits, icount, requests, faults ---- */

static sigjmp_buf fault_env;
static volatile uint64_t fault_gpc;
static volatile bool fault_found;
/* as the user-mode fault handler does: guest pc and pinned registers from the host state */
static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    const greg_t *gr = ((ucontext_t *)ucv)->uc_mcontext.gregs;
    const uint64_t regs[16] = {
        (uint64_t)gr[REG_RAX], (uint64_t)gr[REG_RCX], (uint64_t)gr[REG_RDX], (uint64_t)gr[REG_RBX],
        (uint64_t)gr[REG_RSP], (uint64_t)gr[REG_RBP], (uint64_t)gr[REG_RSI], (uint64_t)gr[REG_RDI],
        (uint64_t)gr[REG_R8],  (uint64_t)gr[REG_R9],  (uint64_t)gr[REG_R10], (uint64_t)gr[REG_R11],
        (uint64_t)gr[REG_R12], (uint64_t)gr[REG_R13], (uint64_t)gr[REG_R14], (uint64_t)gr[REG_R15]};
    uint64_t pc = 0;
    fault_found = exec_host_fault((uintptr_t)gr[REG_RIP], regs, &g_cpu->c, &pc);
    fault_gpc = pc;
    siglongjmp(fault_env, 1);
}

static void test_exits(void)
{
    group("exits, icount, exit requests, indirect exits, fault pcs");
    /* EXIT with a reason, icount across instructions */
    blk(0x1000);
    ir_insn_start(&B, 0x1004, 4);
    ir_insn_start(&B, 0x1008, 4);
    ir_put(&B, RO(1), ir_const(&B, IR_I64, 42));
    ir_exit(&B, IR_EXIT_SYSCALL, 0x1008);
    int err;
    struct tb *tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        g_cpu->c.icount = 100;
        struct outcome o = run_one(tb, true);
        expect(o.code == IR_EXIT_SYSCALL && o.pc == 0x1008 && g_cpu->c.icount == 103 && g_cpu->r[1] == 42,
              "exit: code %d pc %#llx icount %llu", o.code, (unsigned long long)o.pc,
              (unsigned long long)g_cpu->c.icount);
        /* an exit request at entry: nothing runs */
        g_cpu->r[1] = 0;
        g_cpu->c.exit_request = 1;
        o = run_one(tb, true);
        expect(o.code == INTERP_REQUEST && o.pc == 0x1000 && g_cpu->r[1] == 0,
              "request: code %d pc %#llx", o.code, (unsigned long long)o.pc);
        g_cpu->c.exit_request = 0;
        free(tb);
    }
    /* GOTO_IND (no chaining outside the cache: a lookup exit) */
    blk(0x1000);
    ir_goto_ind(&B, ir_binop(&B, IR_ADD, IR_I64, ir_get(&B, IR_I64, RO(1)), ir_const(&B, IR_I64, 4)));
    tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        g_cpu->r[1] = 0x123456789000ull;
        struct outcome o = run_one(tb, true);
        expect(o.code == INTERP_LOOKUP && !o.exit && o.pc == 0x123456789004ull, "goto_ind: pc %#llx",
              (unsigned long long)o.pc);
        free(tb);
    }
    /* a host fault in a load maps back to its guest instruction */
    blk(0x1000);
    ir_put(&B, RO(5), ir_const(&B, IR_I64, 5));
    ir_insn_start(&B, 0x1004, 4);
    ir_val v = ir_load(&B, IR_I64, ir_get(&B, IR_I64, RO(1)), ir_mem(3, false));
    ir_insn_start(&B, 0x1008, 4);
    ir_put(&B, RO(5), ir_const(&B, IR_I64, 6));
    ir_insn_start(&B, 0x100c, 4);
    ir_store(&B, ir_get(&B, IR_I64, RO(2)), v, ir_mem(2, false));
    ir_goto(&B, 0x2000);
    tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER}, old;
        sigaction(SIGSEGV, &sa, &old);
        for (volatile int k = 0; k < 2; k++) {
            g_cpu->r[1] = k ? 0 : 2 * MEM_SIZE; /* the PROT_NONE region */
            g_cpu->r[2] = k ? 2 * MEM_SIZE + 4 : 0;
            fault_found = false;
            uintptr_t save = g_cpu->c.mem_base;
            uint64_t save_mask = g_cpu->c.mem_mask;
            g_cpu->c.mem_mask = 4 * MEM_SIZE - 1; /* reach the PROT_NONE region */
            if (!sigsetjmp(fault_env, 1)) jit_run(&g_cpu->c, atomic_load(&tb->jit));
            g_cpu->c.mem_base = save;
            g_cpu->c.mem_mask = save_mask;
            expect(fault_found && fault_gpc == (k ? 0x100cu : 0x1004u) && g_cpu->r[5] == (k ? 6u : 5u),
                  "fault %d: found %d pc %#llx r5 %llu", k, fault_found, (unsigned long long)fault_gpc,
                  (unsigned long long)g_cpu->r[5]);
        }
        sigaction(SIGSEGV, &old, NULL);
        free(tb);
    }
    group_end();
}

/* ---- loop blocks: guest registers pinned in host registers ---- */

static uint64_t helper_loop(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    struct tcpu *t = (struct tcpu *)c;
    t->r[3] += 1000; /* a pinned register, written behind the block's back */
    if (t->r[1] == a) c->exit_request = 1;
    return 0;
}
static const struct ir_helper hloop = {"hloop", (void *)helper_loop, IR_HELPER_STATE};

/* 0x3000: r1 += 1; r3 += [r4]; r4 += 8; (with_call: hloop(r6)); if r1 < r2 goto 0x3000;
 * goto 0x4000 */
static void build_loop(bool with_call)
{
    blk(0x3000);
    ir_put(&B, RO(1), ir_binop(&B, IR_ADD, IR_I64, ir_get(&B, IR_I64, RO(1)), ir_const(&B, IR_I64, 1)));
    ir_insn_start(&B, 0x3004, 4);
    ir_val v = ir_load(&B, IR_I64, ir_get(&B, IR_I64, RO(4)), ir_mem(3, false));
    ir_put(&B, RO(3), ir_binop(&B, IR_ADD, IR_I64, ir_get(&B, IR_I64, RO(3)), v));
    ir_insn_start(&B, 0x3008, 4);
    ir_put(&B, RO(4), ir_binop(&B, IR_ADD, IR_I64, ir_get(&B, IR_I64, RO(4)), ir_const(&B, IR_I64, 8)));
    if (with_call) {
        ir_insn_start(&B, 0x300c, 4);
        ir_call(&B, &hloop, IR_NUM_TYPES, 1, ir_get(&B, IR_I64, RO(6)), 0, 0);
    }
    ir_insn_start(&B, 0x3010, 4);
    ir_exit_if(&B, ir_setcc(&B, IR_I64, IR_LTU, ir_get(&B, IR_I64, RO(1)), ir_get(&B, IR_I64, RO(2))), 0x3000);
    ir_goto(&B, 0x4000);
}

static void test_loops(void)
{
    group("loop blocks: pinned registers across iterations, faults, requests, state helpers");
    uint64_t *words = (uint64_t *)(void *)g_mem;
    for (unsigned k = 0; k < 64; k++)
        words[k] = 3 * k + 1;
    int err;
    build_loop(false);
    struct tb *tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        /* ten iterations inside the block, then the exit to 0x4000 */
        g_cpu->r[1] = 0, g_cpu->r[2] = 10, g_cpu->r[3] = 7, g_cpu->r[4] = 0;
        uint64_t ic = g_cpu->c.icount;
        struct outcome o = run_one(tb, true);
        expect(o.code == INTERP_LOOKUP && o.exit && o.exit->pc == 0x4000 && g_cpu->r[1] == 10 &&
              g_cpu->r[3] == 7 + 145 && g_cpu->r[4] == 80 && g_cpu->c.icount - ic == 40,
              "loop: code %d r1 %llu r3 %llu r4 %llu icount +%llu", o.code,
              (unsigned long long)g_cpu->r[1], (unsigned long long)g_cpu->r[3],
              (unsigned long long)g_cpu->r[4], (unsigned long long)(g_cpu->c.icount - ic));
        /* a fault in the fourth iteration: the registers as that instruction found them */
        struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER}, old;
        sigaction(SIGSEGV, &sa, &old);
        uint64_t save_mask = g_cpu->c.mem_mask;
        g_cpu->c.mem_mask = 4 * MEM_SIZE - 1; /* reach the PROT_NONE region */
        g_cpu->r[1] = 0, g_cpu->r[3] = 0, g_cpu->r[4] = 2 * MEM_SIZE - 24;
        fault_found = false;
        if (!sigsetjmp(fault_env, 1)) jit_run(&g_cpu->c, atomic_load(&tb->jit));
        g_cpu->c.mem_mask = save_mask;
        sigaction(SIGSEGV, &old, NULL);
        uint64_t *tail = (uint64_t *)(void *)(g_mem + 2 * MEM_SIZE - 24);
        expect(fault_found && fault_gpc == 0x3004 && g_cpu->r[1] == 4 &&
              g_cpu->r[3] == tail[0] + tail[1] + tail[2] && g_cpu->r[4] == 2 * MEM_SIZE,
              "fault: found %d pc %#llx r1 %llu r4 %#llx", fault_found,
              (unsigned long long)fault_gpc, (unsigned long long)g_cpu->r[1],
              (unsigned long long)g_cpu->r[4]);
        /* an exit request inside the loop is seen at the loop head */
        g_cpu->r[1] = 0, g_cpu->r[3] = 0, g_cpu->r[4] = 0;
        g_cpu->c.exit_request = 1;
        o = run_one(tb, true);
        expect(o.code == INTERP_REQUEST && o.pc == 0x3000 && g_cpu->r[1] == 0,
              "request at entry: code %d r1 %llu", o.code, (unsigned long long)g_cpu->r[1]);
        g_cpu->c.exit_request = 0;
        free(tb);
    }
    /* a state helper inside the loop sees the pinned registers and may change them */
    build_loop(true);
    tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        g_cpu->r[1] = 0, g_cpu->r[2] = 10, g_cpu->r[3] = 0, g_cpu->r[4] = 0, g_cpu->r[6] = 5;
        struct outcome o = run_one(tb, true);
        expect(o.code == INTERP_REQUEST && o.pc == 0x3000 && g_cpu->r[1] == 5 &&
              g_cpu->r[3] == 5000 + 1 + 4 + 7 + 10 + 13 && g_cpu->r[4] == 40,
              "helper: code %d pc %#llx r1 %llu r3 %llu r4 %llu", o.code,
              (unsigned long long)o.pc, (unsigned long long)g_cpu->r[1],
              (unsigned long long)g_cpu->r[3], (unsigned long long)g_cpu->r[4]);
        g_cpu->c.exit_request = 0;
        free(tb);
    }
    group_end();
}

/* ---- eight byte stores merged into one ---- */

static const unsigned merge_order[8] = {6, 0, 1, 2, 3, 4, 5, 7}; /* as gcc copies a word */

/* 0x5000: b = r1; [b + 16 + o] = r(10 + o) byte by byte in merge_order (one guest insn
 * each, pcs 0x5000 + 4k); r20 = 8 bytes at b + 16; goto 0x6000 */
static void build_merge(void)
{
    blk(0x5000);
    ir_val base = ir_get(&B, IR_I64, RO(1)), v[8];
    for (unsigned o = 0; o < 8; o++)
        v[o] = ir_get(&B, IR_I64, RO(10 + o));
    for (unsigned k = 0; k < 8; k++) {
        if (k) ir_insn_start(&B, 0x5000 + 4 * k, 4);
        unsigned o = merge_order[k];
        ir_store(&B, ir_binop(&B, IR_ADD, IR_I64, base, ir_const(&B, IR_I64, 16 + o)), v[o],
                 ir_mem(0, false));
    }
    ir_insn_start(&B, 0x5020, 4);
    ir_put(&B, RO(20), ir_load(&B, IR_I64, ir_binop(&B, IR_ADD, IR_I64, base, ir_const(&B, IR_I64, 16)),
                               ir_mem(3, false)));
    ir_goto(&B, 0x6000);
}

static void test_store_merge(void)
{
    group("eight byte stores merged: every alignment, exact faults");
    build_merge();
    int err;
    struct tb *tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        for (unsigned o = 0; o < 8; o++)
            g_cpu->r[10 + o] = 0x1234567890abcd00ull | (0x11 * (o + 1)); /* high bits ignored */
        uint64_t want = 0;
        for (int o = 7; o >= 0; o--)
            want = want << 8 | (0x11 * (unsigned)(o + 1));
        for (uint64_t b = 0; b < 8; b++) { /* aligned (b = 0) and every misalignment */
            memset(g_mem, 0, 64);
            g_cpu->r[1] = 32 + b;
            g_cpu->r[20] = 0;
            struct outcome o = run_one(tb, true);
            uint64_t got;
            memcpy(&got, g_mem + 48 + b, 8);
            expect(o.code == INTERP_LOOKUP && got == want && g_cpu->r[20] == want &&
                      g_mem[47 + b] == 0 && g_mem[56 + b] == 0,
                  "base %llu: memory %#llx r20 %#llx want %#llx", (unsigned long long)b,
                  (unsigned long long)got, (unsigned long long)g_cpu->r[20], (unsigned long long)want);
        }
        /* faults: the first store's pc when it hits the protected page (aligned: nothing
         * written); unaligned across the page end: the bytes before the faulting one */
        struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER}, old;
        sigaction(SIGSEGV, &sa, &old);
        uint64_t save_mask = g_cpu->c.mem_mask;
        g_cpu->c.mem_mask = 4 * MEM_SIZE - 1;
        static const struct { uint64_t start; uint64_t pc; unsigned written; } fc[] = {
            {2 * MEM_SIZE, 0x5000, 0},     /* aligned, all protected */
            {2 * MEM_SIZE - 7, 0x501c, 7}, /* offsets 0-6 writable, 7 (the last store) not */
            {2 * MEM_SIZE - 3, 0x5000, 0}, /* offset 6 (the first store) protected */
        };
        for (volatile unsigned k = 0; k < sizeof(fc) / sizeof(fc[0]); k++) {
            memset(g_mem + 2 * MEM_SIZE - 16, 0, 16);
            g_cpu->r[1] = fc[k].start - 16;
            fault_found = false;
            if (!sigsetjmp(fault_env, 1)) jit_run(&g_cpu->c, atomic_load(&tb->jit));
            unsigned written = 0;
            for (unsigned o = 0; o < 8 && fc[k].start + o < 2 * MEM_SIZE; o++)
                written += g_mem[fc[k].start + o] == 0x11 * (o + 1);
            expect(fault_found && fault_gpc == fc[k].pc && written == fc[k].written,
                  "fault %u: found %d pc %#llx, %u bytes written", k, fault_found,
                  (unsigned long long)fault_gpc, written);
        }
        g_cpu->c.mem_mask = save_mask;
        sigaction(SIGSEGV, &old, NULL);
        free(tb);
    }
    group_end();
}

/* ---- calls and register pressure ---- */

static uint64_t helper3(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    return a * 31 + (b ^ (d >> 3));
}
static uint64_t helper_state(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t d)
{
    struct tcpu *t = (struct tcpu *)c;
    t->r[10] += a; /* writes state the block may also have read */
    return t->r[11];
}
static const struct ir_helper h3 = {"h3", (void *)helper3, IR_HELPER_PURE};
static const struct ir_helper hst = {"hst", (void *)helper_state, IR_HELPER_STATE};

static void test_pressure(void)
{
    group("register pressure, spills, helper calls and guest state around them");
    /* 40 values live at once, across calls; the sum in a fixed order */
    blk(0x1000);
    ir_val v[40];
    for (int k = 0; k < 40; k++)
        v[k] = ir_binop(&B, IR_MUL, IR_I64, ir_get(&B, IR_I64, RO(k)), ir_const(&B, IR_I64, (uint64_t)k + 3));
    ir_val r10 = ir_get(&B, IR_I64, RO(10));
    ir_val c1 = ir_call(&B, &h3, IR_I64, 3, v[1], v[2], v[3]);
    ir_val c2 = ir_call(&B, &hst, IR_I64, 1, v[5], 0, 0);
    ir_val r10b = ir_get(&B, IR_I64, RO(10));
    ir_val s = ir_const(&B, IR_I64, 0);
    for (int k = 39; k >= 0; k--)
        s = ir_binop(&B, k & 1 ? IR_ADD : IR_XOR, IR_I64, s, v[k]);
    ir_put(&B, RO(50), s);
    ir_put(&B, RO(51), c1);
    ir_put(&B, RO(52), c2);
    ir_put(&B, RO(53), r10);
    ir_put(&B, RO(54), r10b);
    ir_goto(&B, 0x2000);
    int err;
    struct tb *tb = compile(&B, &err);
    expect(tb, "compile %d", err);
    if (tb) {
        for (int k = 0; k < NR; k++)
            g_cpu->r[k] = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
        uint64_t in[NR];
        memcpy(in, g_cpu->r, sizeof(in));
        run_one(tb, true);
        uint64_t vv[40], want = 0;
        for (int k = 0; k < 40; k++)
            vv[k] = in[k] * (uint64_t)(k + 3);
        for (int k = 39; k >= 0; k--)
            want = k & 1 ? want + vv[k] : want ^ vv[k];
        expect(g_cpu->r[50] == want, "sum %#llx want %#llx", (unsigned long long)g_cpu->r[50],
              (unsigned long long)want);
        expect(g_cpu->r[51] == helper3(NULL, vv[1], vv[2], vv[3]), "pure call result");
        expect(g_cpu->r[52] == in[11] && g_cpu->r[53] == in[10] && g_cpu->r[54] == in[10] + vv[5],
              "state call: %#llx %#llx %#llx", (unsigned long long)g_cpu->r[52],
              (unsigned long long)g_cpu->r[53], (unsigned long long)g_cpu->r[54]);
        free(tb);
    }
    group_end();
}

/* ---- a randomised differential test: interpreter vs JIT ---- */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static const uint64_t fedge[] = {
    0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull, /* +-0, +-1 */
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,    /* inf, qNaN */
    0x7ff4000000000000ull, 0xfff8000000000001ull, 0x0000000000000001ull,    /* sNaN, denormal */
    0x000fffffffffffffull, 0x7fefffffffffffffull, 0x43e0000000000000ull,    /* max, 2^63 */
    0xc3e0000000000000ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull,    /* -2^63, 2^31-1, .5 */
    0x3fe8000000000000ull, 0x4000000000000000ull, 0x3ff8000000000000ull,    /* .75, 2, 1.5 */
    0xffffffff7f800000ull, 0xffffffffff800000ull, 0xffffffff7fc00000ull,    /* boxed f32 inf, nan */
    0xffffffff00000001ull, 0xffffffff3f800000ull, 0xffffffff4f000000ull,    /* f32 denormal, 1, 2^31 */
};
#define NFE (sizeof(fedge) / sizeof(fedge[0]))

static uint64_t rnd_val(void)
{
    switch (rn(6)) {
    case 0: return edge[rn(NE)];
    case 1: return rnd() & 0xffff;
    case 2: return fedge[rn(NFE)];
    case 3: return (rnd() & 0x800fffffffffffffull) | (uint64_t)(0x3f0 + rn(32)) << 52; /* ~1 */
    default: return rnd();
    }
}

static ir_val pool[2][128];
static unsigned np[2];
static ir_val fpool[2][64]; /* FP values (F32, F64) kept as FP: loads, op results */
static unsigned nfp[2];
static ir_val pick(int t)
{
    if (!np[t]) return ir_const(&B, t ? IR_I64 : IR_I32, ir_trunc(t ? IR_I64 : IR_I32, rnd_val()));
    return pool[t][np[t] - 1 - rn(np[t] < 8 ? np[t] : 8)];
}

static void gen_random(uint64_t seed)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    np[0] = np[1] = 0;
    nfp[0] = nfp[1] = 0;
    uint64_t pc = 0x10000;
    ir_block_reset(&B, pc, 0);
    ir_insn_start(&B, pc, 4);
#define PICK(t) pick(t)
#define ADDV(t, v) do { ir_val v_ = (v); if (np[t] < 128) pool[t][np[t]++] = v_; } while (0)
    unsigned n = 10 + rn(60);
    for (unsigned k = 0; k < n; k++) {
        int ti = (int)rn(2);
        enum ir_type t = ti ? IR_I64 : IR_I32;
        switch (rn(20)) {
        case 0: case 1:
            if (rn(8) == 0) /* the FP flags (inline FP keeps them pending elsewhere) */
                ADDV(0, ir_get(&B, IR_I32, offsetof(struct cpu_common, fp_flags)));
            else
                ADDV(ti, ir_get(&B, t, RO(rn(16))));
            break;
        case 2: ADDV(ti, ir_const(&B, t, ir_trunc(t, rnd_val()))); break;
        case 3: case 4: case 5: case 6: {
            unsigned op = binops[rn(sizeof(binops) / sizeof(binops[0]))];
            ADDV(ti, ir_binop(&B, (enum ir_opcode)op, t, PICK(ti), PICK(ti)));
            break;
        }
        case 7: ADDV(ti, ir_unop(&B, (enum ir_opcode)(IR_NOT + rn(6)), t, PICK(ti))); break;
        case 8: {
            int si = (int)rn(2);
            unsigned bits = 8u << rn(ti ? 3 : 2);
            ADDV(ti, ir_ext(&B, rn(2) ? IR_SEXT : IR_ZEXT, t, PICK(si), bits));
            break;
        }
        case 9: {
            int si = (int)rn(2);
            unsigned w = si ? 64 : 32, len = 1 + rn(ti ? w : (w < 32 ? w : 32)), pos;
            if (len > w) len = w;
            pos = rn(w - len + 1);
            if (rn(2))
                ADDV(ti, ir_extract(&B, t, PICK(si), pos, len, rn(2)));
            else if (pos + len <= (ti ? 64u : 32u))
                ADDV(ti, ir_deposit(&B, t, PICK(ti), PICK(si), pos, len));
            break;
        }
        case 10: {
            int si = (int)rn(2);
            ADDV(ti, ir_setcc(&B, t, (enum ir_cond)rn(IR_NUM_CONDS), PICK(si), PICK(si)));
            break;
        }
        case 11: ADDV(ti, ir_select(&B, t, PICK((int)rn(2)), PICK(ti), PICK(ti))); break;
        case 12: case 13:
            if (rn(8) == 0)
                ir_put(&B, offsetof(struct cpu_common, fp_flags),
                       ir_binop(&B, IR_AND, IR_I32, PICK(0), ir_const(&B, IR_I32, 0x1f)));
            else
                ir_put(&B, RO(rn(16)), PICK(ti));
            break;
        case 14: {
            unsigned size = rn(ti ? 4 : 3);
            ir_val a = rn(2) ? PICK(1) : ir_binop(&B, IR_ADD, IR_I64, PICK(1), ir_const(&B, IR_I64, rnd_val() & 0xfff));
            ADDV(ti, ir_load(&B, t, a, ir_mem(size, rn(2))));
            break;
        }
        case 15: {
            unsigned size = rn(ti ? 4 : 3);
            ir_val a = rn(2) ? PICK(1) : ir_binop(&B, IR_ADD, IR_I64, PICK(1), ir_const(&B, IR_I64, rnd_val() & 0xfff));
            ir_store(&B, a, PICK(ti), ir_mem(size, false));
            break;
        }
        case 16: {
            unsigned size = ti ? 2 + rn(2) : rn(3);
            struct ir_memop m = {.size = (uint8_t)size, .sign = (uint8_t)rn(2), .align = (uint8_t)(rn(4) != 0)};
            ir_val a = ir_binop(&B, IR_AND, IR_I64, PICK(1), ir_const(&B, IR_I64, rn(8) ? ~7ull : ~0ull));
            enum ir_rmw kind = (enum ir_rmw)rn(IR_NUM_RMW);
            /* sub-word unsigned min/max: the interpreter compares the whole operand, the
             * JIT the access size (see the report); RISC-V has no sub-word AMOs */
            if (size < 2 && (kind == IR_RMW_MINU || kind == IR_RMW_MAXU)) kind = IR_RMW_XOR;
            if (rn(3))
                ADDV(ti, ir_atomic_rmw(&B, t, kind, a, PICK(ti), m));
            else
                ADDV(ti, ir_cmpxchg(&B, t, a, PICK(ti), PICK(ti), m));
            break;
        }
        case 17:
            if (rn(2))
                ADDV(1, ir_call(&B, &h3, IR_I64, 3, PICK(1), PICK(1), PICK(1)));
            else
                ADDV(1, ir_call(&B, &hst, IR_I64, 1, PICK(1), 0, 0));
            break;
        case 18:
            if (rn(2)) {
                pc += 4;
                ir_insn_start(&B, pc, 4);
                break;
            }
            /* FP: bit patterns from the pool, bitcast, an op, back */
            {
                static const unsigned fops[] = {IR_FADD, IR_FSUB, IR_FMUL, IR_FDIV, IR_FSQRT,
                                                IR_FMA, IR_FMIN, IR_FMAX, IR_FCMP, IR_FCVT_F2I,
                                                IR_FCVT_I2F, IR_FCVT_F2F};
                static const unsigned rms[] = {IR_RM_RNE, IR_RM_RNE, IR_RM_DYN, IR_RM_DYN, IR_RM_RTZ, IR_RM_RMM, IR_RM_RDN};
                unsigned op = fops[rn(sizeof(fops) / sizeof(fops[0]))];
                bool dbl = rn(2);
                enum ir_type ft = dbl ? IR_F64 : IR_F32, it = dbl ? IR_I64 : IR_I32;
                ir_val x[3];
                for (int q = 0; q < 3; q++) {
                    if (nfp[dbl] && rn(2)) {
                        x[q] = fpool[dbl][nfp[dbl] - 1 - rn(nfp[dbl] < 6 ? nfp[dbl] : 6)];
                    } else if (rn(4) == 0) { /* an FP load */
                        ir_val a = ir_binop(&B, IR_AND, IR_I64, PICK(1), ir_const(&B, IR_I64, 0xfff8));
                        x[q] = ir_load(&B, ft, a, ir_mem(dbl ? 3 : 2, false));
                    } else {
                        x[q] = ir_emit(&B, IR_MOV, ft, PICK(dbl), 0, 0)->dst;
                    }
                }
                unsigned rm = rms[rn(7)];
                uint64_t fpx = 0;
                ir_val r;
                if (op == IR_FCMP) {
                    r = ir_fop(&B, IR_FCMP, IR_I32, 0, 0, x[0], x[1], 0);
                    B.insn[B.n_insn - 1].aux = (uint8_t)rn(IR_FCMP_REL_S + 1);
                    ADDV(0, r);
                } else if (op == IR_FCVT_F2I) {
                    bool w32 = rn(2);
                    fpx = (rn(3) ? IR_FPX_SIGNED : 0) | (w32 ? IR_FPX_W32 : 0);
                    r = ir_fop(&B, op, w32 ? IR_I32 : IR_I64, (enum ir_rm)rm, fpx, x[0], 0, 0);
                    ADDV(!w32, r);
                } else if (op == IR_FCVT_I2F) {
                    bool w32 = rn(2);
                    fpx = (rn(3) ? IR_FPX_SIGNED : 0) | (w32 ? IR_FPX_W32 : 0);
                    r = ir_fop(&B, op, ft, (enum ir_rm)rm, fpx, PICK(!w32), 0, 0);
                    ADDV(dbl, ir_emit(&B, IR_MOV, it, r, 0, 0)->dst);
                } else if (op == IR_FCVT_F2F) {
                    enum ir_type tt = dbl ? IR_F32 : IR_F64;
                    r = ir_fop(&B, op, tt, (enum ir_rm)rm, 0, x[0], 0, 0);
                    ADDV(!dbl, ir_emit(&B, IR_MOV, dbl ? IR_I32 : IR_I64, r, 0, 0)->dst);
                } else {
                    unsigned na = op == IR_FSQRT ? 1 : op == IR_FMA ? 3 : 2;
                    if (op == IR_FMA) fpx = rn(4) * IR_FPX_NEG_PROD;
                    r = ir_fop(&B, op, ft, (enum ir_rm)rm, fpx, x[0], na > 1 ? x[1] : 0, na > 2 ? x[2] : 0);
                    if (nfp[dbl] < 64) fpool[dbl][nfp[dbl]++] = r;
                    switch (rn(4)) { /* the FP value as FP: into state or memory */
                    case 0: ir_put(&B, RO(rn(16)), r); break;
                    case 1:
                        ir_store(&B, ir_binop(&B, IR_AND, IR_I64, PICK(1), ir_const(&B, IR_I64, 0xfff8)), r,
                                 ir_mem(dbl ? 3 : 2, false));
                        break;
                    default: break;
                    }
                    ADDV(dbl, ir_emit(&B, IR_MOV, it, r, 0, 0)->dst);
                }
            }
            break;
        case 19:
            if (rn(3) == 0) ir_exit_if(&B, PICK(ti), 0x20000 + rn(16) * 4);
            break;
        }
    }
    switch (rn(3)) {
    case 0: ir_goto(&B, 0x30000); break;
    case 1: ir_goto_ind(&B, PICK(1)); break;
    default: ir_exit(&B, (enum ir_exit)rn(IR_NUM_EXITS), pc); break;
    }
#undef PICK
#undef ADDV
}

static void test_random(unsigned count, unsigned passes, const char *name)
{
    group(name);
    const char *scale = getenv("JIT_TEST_RANDOM"); /* more blocks: JIT_TEST_RANDOM=10 */
    if (scale && atoi(scale) > 0) count *= (unsigned)atoi(scale);
    const unsigned MS = MEM_SIZE + 8; /* and the slack an access may reach */
    uint8_t *mem0 = malloc(MS), *mem1 = malloc(MS);
    struct tcpu s0, s1;
    unsigned ran = 0, refused = 0;
    const char *only = getenv("JIT_TEST_ONLY"); /* debugging: one block, its code dumped */
    for (unsigned it = 0; it < count && !grp_failed; it++) {
        if (only && it != (unsigned)atoi(only)) continue;
        gen_random(it + 1);
        ir_optimize(&B, passes);
        int err;
        struct tb *tb = compile(&B, &err);
        if (!tb) {
            refused++;
            expect(err == -ENOTSUP, "block %u: compile error %d", it, err);
            if (err != -ENOTSUP) ir_print(stderr, &B);
            continue;
        }
        for (unsigned k = 0; k < MS; k++)
            mem0[k] = (uint8_t)rnd();
        for (int k = 0; k < NR; k++)
            g_cpu->r[k] = rnd_val();
        g_cpu->c.fp_rm = rn(4) ? IR_RM_RNE : rn(5);
        g_cpu->c.fp_flags = rn(2) ? 0 : (uint32_t)rn(32);
        g_cpu->c.pc = 0;
        g_cpu->c.icount = 0;
        s0 = *g_cpu;
        memcpy(g_mem, mem0, MS);
        struct outcome oi = run_one(tb, false);
        s1 = *g_cpu;
        memcpy(mem1, g_mem, MS);
        *g_cpu = s0;
        memcpy(g_mem, mem0, MS);
        unsigned declined0 = jit_declined;
        struct outcome oj = run_one(tb, true);
        bool declined = jit_declined != declined0;
        ran++;
        int exit_i = oi.exit ? (int)(oi.exit - tb->exits) : -1, exit_j = oj.exit ? (int)(oj.exit - tb->exits) : -1;
        expect(oi.code == oj.code && oi.pc == oj.pc && exit_i == exit_j && oi.tval == oj.tval,
              "block %u: interp code %d pc %#llx exit %d, jit code %d pc %#llx exit %d", it, oi.code,
              (unsigned long long)oi.pc, exit_i, oj.code, (unsigned long long)oj.pc, exit_j);
        /* the JIT counts the whole block at its entry, the interpreter up to the exit */
        expect(g_cpu->c.icount == B.n_guest || oi.code >= 1000 || declined, "block %u: icount %llu, %u insns", it,
              (unsigned long long)g_cpu->c.icount, B.n_guest);
        expect(s1.c.fp_flags == g_cpu->c.fp_flags, "block %u: fp_flags interp %#x jit %#x", it,
              s1.c.fp_flags, g_cpu->c.fp_flags);
        for (int k = 0; k < NR; k++)
            expect(s1.r[k] == g_cpu->r[k], "block %u: r%d interp %#llx jit %#llx", it, k,
                  (unsigned long long)s1.r[k], (unsigned long long)g_cpu->r[k]);
        for (unsigned k = 0; k < MS; k++)
            expect(mem1[k] == g_mem[k], "block %u: mem[%#x] interp %#x jit %#x", it, k, mem1[k], g_mem[k]);
        if (grp_failed) ir_print(stderr, &B);
        if (only) {
            FILE *f = fopen("/tmp/jit_test_block.bin", "w");
            if (f) {
                fwrite(atomic_load(&tb->jit), 1, 4096, f);
                fclose(f);
            }
            fprintf(stderr, "fp_rm %u flags in %#x: interp %#x jit %#x\n", s0.c.fp_rm, s0.c.fp_flags,
                    s1.c.fp_flags, g_cpu->c.fp_flags);
        }
        free(tb);
    }
    expect(refused < count / 10, "%u of %u blocks refused", refused, count);
    free(mem0);
    free(mem1);
    if (!grp_failed)
        printf("# %u random blocks ran under both engines, %u refused, %u declined (rounding mode)\n",
               ran, refused, jit_declined);
    jit_declined = 0;
    group_end();
}

/* ---- chaining through the run loop, unpatching on invalidation, flush ---- */

static void b_count(struct ir_block *b, uint64_t next)
{
    /* r1 += step (arg's high half); r2 counts down; to next while r2 != 0, else exit */
    ir_insn_start(b, b->pc, 4);
    ir_put(b, RO(1), ir_binop(b, IR_ADD, IR_I64, ir_get(b, IR_I64, RO(1)), ir_const(b, IR_I64, next >> 32)));
    ir_val n = ir_binop(b, IR_SUB, IR_I64, ir_get(b, IR_I64, RO(2)), ir_const(b, IR_I64, 1));
    ir_put(b, RO(2), n);
    ir_exit_if(b, ir_setcc(b, IR_I64, IR_EQ, n, ir_const(b, IR_I64, 0)), 0x9000);
    ir_goto(b, next & 0xffffffff);
}
static void b_exit(struct ir_block *b, uint64_t arg)
{
    ir_insn_start(b, b->pc, 4);
    ir_exit(b, IR_EXIT_SYSCALL, b->pc);
}

static void test_chaining(void)
{
    group("chaining, unpatching on invalidation, code-cache flush");
    struct ir_block *save = &B;
    (void)save;
    fb_set(0x5000, b_count, 0x5004 | 1ull << 32);
    fb_set(0x5004, b_count, 0x5000 | 10ull << 32);
    fb_set(0x9000, b_exit, 0);
    g_cpu->r[1] = 0;
    g_cpu->r[2] = 1000;
    g_cpu->c.pc = 0x5000;
    enum exec_result r = exec_run(&g_cpu->c);
    expect(r == EXEC_SYSCALL && g_cpu->r[1] == 500 * 11 && g_cpu->c.pc == 0x9000, "loop: r %d r1 %llu",
          r, (unsigned long long)g_cpu->r[1]);
    int err = 0;
    struct tb *a = tb_find(g_cpu->c.exec, 0x5000, 0, &err), *b = tb_find(g_cpu->c.exec, 0x5004, 0, &err);
    expect(a && b && atomic_load(&a->jit) && atomic_load(&b->jit), "blocks not compiled");
    if (a && b) {
        /* the goto exits are chained: their jumps lead into the other block's code */
        int32_t rel;
        memcpy(&rel, a->exits[1].jit_jmp, 4);
        expect(a->exits[1].jit_jmp + 4 + rel == (uint8_t *)atomic_load(&b->jit) &&
                  atomic_load(&a->exits[1].next) == b,
              "A->B not chained");
        memcpy(&rel, b->exits[1].jit_jmp, 4);
        expect(b->exits[1].jit_jmp + 4 + rel == (uint8_t *)atomic_load(&a->jit), "B->A not chained");
        /* invalidating B unpatches A's jump back to its stub, and new code takes effect */
        uint8_t *ajmp = a->exits[1].jit_jmp, *astub = a->exits[1].jit_stub;
        exec_invalidate(0x5004, 4);
        memcpy(&rel, ajmp, 4);
        expect(ajmp + 4 + rel == astub && !atomic_load(&a->exits[1].next), "A->B not unpatched");
    }
    fb_set(0x5004, b_count, 0x5000 | 100ull << 32);
    g_cpu->r[1] = 0;
    g_cpu->r[2] = 1000;
    g_cpu->c.pc = 0x5000;
    r = exec_run(&g_cpu->c);
    expect(r == EXEC_SYSCALL && g_cpu->r[1] == 500 * 101, "after invalidation: r1 %llu",
          (unsigned long long)g_cpu->r[1]);
    /* a full flush of the code cache, and everything still runs */
    struct exec_stats st0, st1;
    exec_get_stats(&st0);
    unsigned pcs = 0;
    for (int round = 0; round < 400 && pcs < 4000; round++) {
        /* many distinct blocks fill the cache (256 KiB) */
        uint64_t base = 0x100000 + (uint64_t)round * 0x1000;
        for (int k = 0; k < 10; k++) {
            fb_set(base + 4 * (uint64_t)k, b_count, (base + 4 * (uint64_t)(k + 1)) | 1ull << 32);
            pcs++;
        }
        fb_set(base + 40, b_exit, 0);
        g_cpu->r[1] = 0;
        g_cpu->r[2] = 1000;
        g_cpu->c.pc = base;
        r = exec_run(&g_cpu->c);
        expect(r == EXEC_SYSCALL && g_cpu->r[1] == 10 && g_cpu->c.pc == base + 40, "round %d: r %d r1 %llu",
              round, r, (unsigned long long)g_cpu->r[1]);
        n_fb = 3; /* forget this round's blocks (keep the first three) */
        exec_invalidate(base, 0x1000);
        exec_get_stats(&st1);
        if (st1.jit_flushes > st0.jit_flushes + 1) break;
    }
    exec_get_stats(&st1);
    expect(st1.jit_flushes > st0.jit_flushes, "no flush happened (%llu bytes compiled)",
          (unsigned long long)st1.jit_bytes);
    printf("# flushes %llu, worst pause %.3f ms\n", (unsigned long long)st1.jit_flushes,
           st1.jit_max_flush_ns / 1e6);
    group_end();
}

/* --bench: fill a 64 MiB code cache with distinct blocks until it flushes; report the
 * translation cost per block and the worst flush pause. */
static int bench(void)
{
    struct exec_stats st0, st1;
    exec_get_stats(&st0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t pc = BENCH_LO;
    for (; pc < BENCH_HI; pc += 64) {
        g_cpu->c.pc = pc;
        if (exec_run(&g_cpu->c) != EXEC_SYSCALL) {
            printf("not ok bench: run failed at %#llx\n", (unsigned long long)pc);
            return 1;
        }
        exec_get_stats(&st1);
        if (st1.jit_flushes >= st0.jit_flushes + 2) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# bench: %llu blocks translated (%llu compiled, %.1f MiB of code) in %.2f s\n",
           (unsigned long long)(st1.blocks_translated - st0.blocks_translated),
           (unsigned long long)(st1.jit_blocks - st0.jit_blocks),
           (st1.jit_bytes - st0.jit_bytes) / 1048576.0, s);
    printf("# bench: translate %.0f ns per block (of it JIT %.0f ns); %llu flushes, worst pause %.3f ms\n",
           (double)(st1.translate_ns - st0.translate_ns) / (double)(st1.blocks_translated - st0.blocks_translated),
           (double)(st1.jit_ns - st0.jit_ns) / (double)(st1.jit_blocks - st0.jit_blocks),
           (unsigned long long)(st1.jit_flushes - st0.jit_flushes), st1.jit_max_flush_ns / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    bool do_bench = argc > 1 && !strcmp(argv[1], "--bench");
    /* guest memory, a writable slack for accesses that straddle the mask's end, then a
     * PROT_NONE region for the fault tests */
    g_mem = mmap(NULL, 4 * MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_mem == MAP_FAILED) return 2;
    mprotect(g_mem + 2 * MEM_SIZE, 2 * MEM_SIZE, PROT_NONE);
    struct exec_options o = {.engine = EXEC_JIT, .opt_passes = do_bench ? IR_OPT_ALL : 0,
                             .jit_cache = do_bench ? 64u << 20 : 256u << 10};
    exec_global_init(&o);
    if (!jit_ready()) {
        printf("not ok jit: the JIT could not start\n");
        return 1;
    }
    g_cpu = calloc(1, sizeof(*g_cpu));
    g_cpu->c.arch = &fake_arch;
    g_cpu->c.mem_base = (uintptr_t)g_mem;
    g_cpu->c.mem_mask = MEM_SIZE - 1;
    if (exec_ctx_new(&g_cpu->c)) return 2;
    ir_block_init(&B, 0, 0);
    if (do_bench) return bench();

    x86_detect();
    bool f1 = x86_has_bmi1, f2 = x86_has_bmi2, f3 = x86_has_lzcnt, f4 = x86_has_popcnt;
    test_binops("every binop, both widths, every operand form, edge values (host features)");
    test_unops("unops, extensions, extract and deposit on edge values (host features)");
    x86_set_features(false, false, false, false);
    test_binops("every binop without BMI1/BMI2/LZCNT/POPCNT");
    test_unops("unops without BMI1/BMI2/LZCNT/POPCNT");
    test_random(1500, 0, "random blocks, unoptimised IR, baseline x86: interpreter == JIT");
    x86_set_features(f1, f2, f3, f4);
    test_setcc_select();
    test_memory();
    test_exits();
    test_loops();
    test_store_merge();
    test_pressure();
    test_random(4000, 0, "random blocks, unoptimised IR: interpreter == JIT");
    test_random(4000, IR_OPT_ALL, "random blocks, optimised IR: interpreter == JIT");
    test_chaining();
    return n_failed_groups ? 1 : 0;
}
