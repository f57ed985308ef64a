/*
 * Unit tests of the RISC-V 64 frontend: block structure (terminators, page boundaries,
 * fetch faults, illegal instructions, ir_verify on every block) and the meaning of each
 * instruction group, executed from encoded instruction sequences in a small memory.
 *
 * Execution uses a minimal IR evaluator kept in this file (integer ops through
 * ir_eval.h, FP through the host FPU for the simple values used here), so the frontend
 * is tested on its own; unless RV_TEST_NO_EXEC is defined, every program also runs
 * through the real engine (exec_run) and the two final states must agree. Prints "ok NAME" / "not ok NAME: reason" per group; exits 1 if
 * any failed.
 */
#include <errno.h>
#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "exec/exec.h"
#include "exec/guest.h"
#include "guest/riscv/rv_cpu.h"
#include "ir/ir.h"
#include "ir/ir_eval.h"

/* ---- test bookkeeping ---- */

static int n_failed;
static char group_err[512];

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    if (group_err[0])
        return; /* keep the first reason */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(group_err, sizeof(group_err), fmt, ap);
    va_end(ap);
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__VA_ARGS__);                                                                     \
    } while (0)
#define CHECK_EQ(what, got, want)                                                                  \
    do {                                                                                           \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                      \
        if (g_ != w_)                                                                              \
            fail("%s: got 0x%" PRIx64 ", want 0x%" PRIx64, what, g_, w_);                         \
    } while (0)

static void group_end(const char *name)
{
    if (group_err[0]) {
        printf("not ok %s: %s\n", name, group_err);
        n_failed++;
    } else {
        printf("ok %s\n", name);
    }
    group_err[0] = 0;
}

/* ---- guest memory and code ---- */

#define MEM_SIZE 0x10000u
#define CODE 0x1000u
#define DATA 0x8000u
static uint8_t mem[MEM_SIZE] __attribute__((aligned(4096)));
static uint64_t fetch_lo = 0, fetch_hi = MEM_SIZE;
static struct rv_cpu cpu;
static uint64_t code_pc;

static int fake_fetch(struct cpu_common *c, uint64_t addr, void *buf, unsigned len)
{
    if (addr < fetch_lo || addr + len > fetch_hi)
        return -EFAULT;
    memcpy(buf, mem + addr, len);
    return 0;
}

static void code_at(uint64_t pc) { code_pc = pc; }
static void e32(uint32_t i)
{
    memcpy(mem + code_pc, &i, 4);
    code_pc += 4;
}
static void e16(uint16_t i)
{
    memcpy(mem + code_pc, &i, 2);
    code_pc += 2;
}

/* ---- encoders ---- */
static uint32_t R(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t I(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static uint32_t S(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned op)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}
static uint32_t B(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
static uint32_t U(uint32_t imm20, unsigned rd, unsigned op) { return imm20 << 12 | rd << 7 | op; }
static uint32_t J(int32_t off, unsigned rd)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}
#define OP 0x33
#define OP32 0x3b
#define OPI 0x13
#define OPI32 0x1b
#define ADDI(rd, rs, imm) I(imm, rs, 0, rd, OPI)
#define ECALL 0x00000073u
#define EBREAK 0x00100073u
#define AMO(f5, aq, rl, rs2, rs1, w, rd) R((f5) << 2 | (aq) << 1 | (rl), rs2, rs1, (w) ? 2 : 3, rd, 0x2f)
#define FOP(f5, fmt, rs2, rs1, rm, rd) R((f5) << 2 | (fmt), rs2, rs1, rm, rd, 0x53)
#define CSR(f3, csr, rs1, rd) I((int32_t)(csr), rs1, f3, rd, 0x73)

/* ---- a minimal IR evaluator (the frontend's test oracle) ---- */

static uint64_t vals[1 << 16];
static uint32_t eval_flags_to_ir(int e)
{
    return (e & FE_INEXACT ? IR_FPF_NX : 0) | (e & FE_UNDERFLOW ? IR_FPF_UF : 0) |
           (e & FE_OVERFLOW ? IR_FPF_OF : 0) | (e & FE_DIVBYZERO ? IR_FPF_DZ : 0) |
           (e & FE_INVALID ? IR_FPF_NV : 0);
}

static double as_d(uint64_t v, bool dbl)
{
    if (dbl) {
        double d;
        memcpy(&d, &v, 8);
        return d;
    }
    float f;
    uint32_t u = (uint32_t)v;
    memcpy(&f, &u, 4);
    return f;
}
static uint64_t from_d(double d, bool dbl)
{
    if (isnan(d))
        return dbl ? 0x7ff8000000000000ull : 0x7fc00000u;
    if (dbl) {
        uint64_t v;
        memcpy(&v, &d, 8);
        return v;
    }
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static bool is_snan(uint64_t v, bool dbl)
{
    return dbl ? ((v >> 52) & 0x7ff) == 0x7ff && (v & 0xfffffffffffffull) && !((v >> 51) & 1)
               : ((v >> 23) & 0xff) == 0xff && (v & 0x7fffff) && !((v >> 22) & 1);
}

/* Host FP for the simple cases the tests use (F32 ops are done in float). */
static uint64_t eval_fp(const struct ir_insn *in, uint64_t a, uint64_t b, uint64_t c, bool dbl)
{
    static const int host_rm[5] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD,
                                   FE_TONEAREST};
    unsigned rm = in->aux == IR_RM_DYN ? cpu.c.fp_rm : in->aux;
    uint64_t r = 0;
    feclearexcept(FE_ALL_EXCEPT);
    if (in->op != IR_FCMP && rm < 5)
        fesetround(host_rm[rm]);
    double x = as_d(a, dbl), y = as_d(b, dbl), z = as_d(c, dbl);
    uint32_t extra = 0;
    switch (in->op) {
    case IR_FADD: r = dbl ? from_d(x + y, 1) : from_d((float)x + (float)y, 0); break;
    case IR_FSUB: r = dbl ? from_d(x - y, 1) : from_d((float)x - (float)y, 0); break;
    case IR_FMUL: r = dbl ? from_d(x * y, 1) : from_d((float)x * (float)y, 0); break;
    case IR_FDIV: r = dbl ? from_d(x / y, 1) : from_d((float)x / (float)y, 0); break;
    case IR_FSQRT: r = dbl ? from_d(sqrt(x), 1) : from_d(sqrtf((float)x), 0); break;
    case IR_FMA:
        if (in->imm & IR_FPX_NEG_PROD)
            x = -x;
        if (in->imm & IR_FPX_NEG_ADDEND)
            z = -z;
        r = dbl ? from_d(fma(x, y, z), 1) : from_d(fmaf((float)x, (float)y, (float)z), 0);
        break;
    case IR_FMIN:
    case IR_FMAX: {
        if (is_snan(a, dbl) || is_snan(b, dbl))
            extra |= IR_FPF_NV;
        bool mx = in->op == IR_FMAX;
        if (isnan(x) && isnan(y))
            r = from_d(NAN, dbl);
        else if (isnan(x))
            r = b;
        else if (isnan(y))
            r = a;
        else if (x == y) /* -0 < +0 */
            r = mx ? (signbit(x) ? b : a) : (signbit(x) ? a : b);
        else
            r = (mx ? x > y : x < y) ? a : b;
        break;
    }
    case IR_FCMP:
        if (in->aux == IR_FCMP_EQ) {
            if (is_snan(a, dbl) || is_snan(b, dbl))
                extra |= IR_FPF_NV;
            r = x == y;
        } else {
            if (isnan(x) || isnan(y))
                extra |= IR_FPF_NV;
            r = in->aux == IR_FCMP_LT ? x < y : x <= y;
        }
        feclearexcept(FE_ALL_EXCEPT);
        break;
    case IR_FCVT_F2I: {
        bool w32 = in->imm & IR_FPX_W32, sg = in->imm & IR_FPX_SIGNED;
        /* out of range: below the minimum, or at/above 2^(n-1) (signed) / 2^n (unsigned) */
        double lo = sg ? (w32 ? -0x1p31 : -0x1p63) : 0, hi = sg ? (w32 ? 0x1p31 : 0x1p63)
                                                            : (w32 ? 0x1p32 : 0x1p64);
        uint64_t maxv = sg ? (w32 ? 0x7fffffffu : INT64_MAX) : (w32 ? 0xffffffffu : UINT64_MAX);
        uint64_t minv = sg ? (w32 ? 0x80000000u : (uint64_t)INT64_MIN) : 0;
        double t = nearbyint(x);
        if (isnan(x)) {
            r = maxv;
            extra |= IR_FPF_NV;
        } else if (t < lo || t >= hi) {
            r = t < lo ? minv : maxv;
            extra |= IR_FPF_NV;
        } else {
            r = sg ? (uint64_t)(int64_t)t : (uint64_t)t;
            if (t != x)
                extra |= IR_FPF_NX;
        }
        if (w32)
            r = (uint32_t)r;
        feclearexcept(FE_ALL_EXCEPT);
        break;
    }
    case IR_FCVT_I2F: {
        bool w32 = in->imm & IR_FPX_W32, sg = in->imm & IR_FPX_SIGNED;
        bool to_d = in->type == IR_F64;
        if (w32)
            a = sg ? (uint64_t)(int64_t)(int32_t)a : (uint32_t)a;
        if (sg)
            r = to_d ? from_d((double)(int64_t)a, 1) : from_d((float)(int64_t)a, 0);
        else
            r = to_d ? from_d((double)a, 1) : from_d((float)a, 0);
        break;
    }
    case IR_FCVT_F2F:
        x = as_d(a, in->type == IR_F32);
        r = in->type == IR_F64 ? from_d(x, 1) : from_d((float)x, 0);
        break;
    default: break;
    }
    cpu.c.fp_flags |= eval_flags_to_ir(fetestexcept(FE_ALL_EXCEPT)) | extra;
    fesetround(FE_TONEAREST);
    return r;
}

enum { EV_GOTO = -1 };
static uint64_t ev_next_pc;

static int eval_mem_check(uint64_t addr, unsigned size, bool align)
{
    if (align && (addr & ((1u << size) - 1))) {
        cpu.c.excp = CPU_EXCP_BUS_ADRALN;
        cpu.c.excp_tval = addr;
        return IR_EXIT_EXCEPTION;
    }
    if (addr + (1u << size) > MEM_SIZE) {
        cpu.c.excp = CPU_EXCP_SEGV_MAPERR;
        cpu.c.excp_tval = addr;
        return IR_EXIT_EXCEPTION;
    }
    return 0;
}
static uint64_t mem_rd(uint64_t a, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, mem + a, 1u << size);
    return v;
}
static void mem_wr(uint64_t a, unsigned size, uint64_t v) { memcpy(mem + a, &v, 1u << size); }

static sigjmp_buf eval_jmp;

/* Weak: when the engine (run.c) is linked, its definition (the same contract) wins. */
__attribute__((weak)) _Noreturn void cpu_exit_exception(struct cpu_common *c, uint32_t cause,
                                                        uint64_t tval)
{
    c->excp = cause;
    c->excp_tval = tval;
    siglongjmp(*c->jmp_env, 1);
}

/* Runs one block; returns an IR exit reason, or EV_GOTO with ev_next_pc set. */
static int eval_block(const struct ir_block *b)
{
    cpu.c.jmp_env = &eval_jmp;
    if (sigsetjmp(eval_jmp, 1))
        return IR_EXIT_EXCEPTION; /* cpu.c.pc was set by the faulting insn's INSN_START */
    for (uint32_t k = 0; k < b->n_insn; k++) {
        const struct ir_insn *in = &b->insn[k];
        uint64_t a = vals[in->arg[0]], bb = vals[in->arg[1]], c = vals[in->arg[2]], r = 0;
        enum ir_type at = in->arg[0] ? (enum ir_type)b->vtype[in->arg[0]] : IR_I64;
        bool dbl = at == IR_F64 || (in->op != IR_FCVT_I2F && in->op != IR_FCVT_F2F && in->type == IR_F64);
        int e;
        switch (in->op) {
        case IR_CONST: r = in->imm; break;
        case IR_GET:
            memcpy(&r, (uint8_t *)&cpu + in->imm, ir_width(in->type) / 8);
            break;
        case IR_PUT: memcpy((uint8_t *)&cpu + in->imm, &a, ir_width(in->type) / 8); break;
        case IR_MOV: r = a; break;
        case IR_INSN_START: cpu.c.pc = in->imm; break;
        case IR_ADD ... IR_MAXU: r = ir_eval_binop(in->op, in->type, a, bb); break;
        case IR_NOT ... IR_ZEXT: r = ir_eval_unop(in->op, in->type, in->aux, a); break;
        case IR_EXTRACT: r = ir_eval_extract(in->type, in->imm, in->aux, a); break;
        case IR_DEPOSIT: r = ir_eval_deposit(in->type, in->imm, a, bb); break;
        case IR_SETCC: r = ir_eval_setcc(in->aux, at, a, bb); break;
        case IR_SELECT: r = a ? bb : c; break;
        case IR_LOAD:
            if ((e = eval_mem_check(a, in->mem.size, in->mem.align)))
                return e;
            r = mem_rd(a, in->mem.size);
            if (in->mem.sign)
                r = (uint64_t)ir_sext_bits(r, 8u << in->mem.size);
            r = ir_trunc(in->type, r);
            break;
        case IR_STORE:
            if ((e = eval_mem_check(a, in->mem.size, in->mem.align)))
                return e;
            mem_wr(a, in->mem.size, bb);
            break;
        case IR_ATOMIC_RMW:
            if ((e = eval_mem_check(a, in->mem.size, 1)))
                return e;
            r = mem_rd(a, in->mem.size);
            mem_wr(a, in->mem.size, ir_eval_rmw(in->aux, in->type, r, bb));
            break;
        case IR_CMPXCHG:
            if ((e = eval_mem_check(a, in->mem.size, 1)))
                return e;
            r = mem_rd(a, in->mem.size);
            if (r == ir_trunc(in->type, bb))
                mem_wr(a, in->mem.size, c);
            break;
        case IR_FENCE: break;
        case IR_FADD ... IR_FCVT_F2F:
            r = eval_fp(in, a, bb, c, dbl);
            break;
        case IR_CALL0 ... IR_CALL3: {
            const struct ir_helper *h = (const struct ir_helper *)(uintptr_t)in->imm;
            r = ((uint64_t(*)(struct cpu_common *, uint64_t, uint64_t, uint64_t))h->fn)(&cpu.c, a,
                                                                                         bb, c);
            break;
        }
        case IR_EXIT_IF:
            if (a) {
                ev_next_pc = in->imm;
                return EV_GOTO;
            }
            break;
        case IR_GOTO: ev_next_pc = in->imm; return EV_GOTO;
        case IR_GOTO_IND: ev_next_pc = a; return EV_GOTO;
        case IR_EXIT: cpu.c.pc = in->imm; return in->aux;
        default: fail("evaluator: op %u unknown", in->op); return IR_EXIT_ILLEGAL;
        }
        if (in->dst)
            vals[in->dst] = r;
    }
    fail("evaluator: block without terminator");
    return IR_EXIT_ILLEGAL;
}

static struct ir_block blk;
static unsigned blocks_run;

/* translate and verify one block at pc; returns translate()'s result */
static int translate_at(uint64_t pc, unsigned max)
{
    char err[256];
    ir_block_reset(&blk, pc, 0);
    int r = rv64_arch.translate(&cpu.c, &blk, max);
    if (r == 0 && ir_verify(&blk, err, sizeof(err)) < 0) {
        fail("ir_verify at 0x%" PRIx64 ": %s", pc, err);
        ir_print(stderr, &blk);
    }
    return r;
}

/* Run from pc until an exit with the evaluator; returns the exit reason. */
static int eval_run_at(uint64_t pc, unsigned max_insns)
{
    cpu.c.pc = pc;
    for (unsigned n = 0; n < 10000; n++) {
        if (translate_at(cpu.c.pc, max_insns) < 0)
            return -EFAULT;
        blocks_run++;
        int e = eval_block(&blk);
        if (e != EV_GOTO)
            return e;
        cpu.c.pc = ev_next_pc;
    }
    fail("run did not finish");
    return -1;
}

/* x registers whose value legitimately differs between the engines (counters, time) */
static uint32_t exec_ignore_x;

#ifndef RV_TEST_NO_EXEC
/* The same program through the real engine (exec_run). */
static int exec_run_at(uint64_t pc)
{
    static bool inited;
    if (!inited) {
        const char *o = getenv("RV_TEST_OPT");
        struct exec_options opt = {.engine = EXEC_INTERP,
                                   .opt_passes = o ? (unsigned)strtoul(o, NULL, 0) : IR_OPT_ALL};
        exec_global_init(&opt);
        inited = true;
    }
    exec_invalidate(0, MEM_SIZE); /* every test rewrites the code */
    cpu.c.exec = NULL;
    cpu.c.jmp_env = NULL;
    if (exec_ctx_new(&cpu.c) < 0) {
        fail("exec_ctx_new failed");
        return -1;
    }
    cpu.c.pc = pc;
    enum exec_result r;
    unsigned n = 0;
    do
        r = exec_run(&cpu.c);
    while (r == EXEC_REQUEST && ++n < 1000);
    exec_ctx_free(&cpu.c);
    return (int)r;
}
#endif

/*
 * Run from pc until an exit; returns the exit reason (cpu.c.pc is its pc). The program
 * runs under the evaluator and, unless RV_TEST_NO_EXEC, again from the same starting
 * state under the engine; the two final states must agree.
 */
static int run_at(uint64_t pc, unsigned max_insns)
{
#ifdef RV_TEST_NO_EXEC
    return eval_run_at(pc, max_insns);
#else
    static struct rv_cpu cpu0, cpu_ev;
    static uint8_t mem0[MEM_SIZE], mem_ev[MEM_SIZE];
    cpu0 = cpu;
    memcpy(mem0, mem, MEM_SIZE);
    int e = eval_run_at(pc, max_insns);
    /* host memory faults need the linux-user fault handler: only the evaluator sees them */
    if (e == IR_EXIT_EXCEPTION && (cpu.c.excp == CPU_EXCP_SEGV_MAPERR ||
                                   cpu.c.excp == CPU_EXCP_SEGV_ACCERR))
        return e;
    cpu_ev = cpu;
    memcpy(mem_ev, mem, MEM_SIZE);
    cpu = cpu0;
    memcpy(mem, mem0, MEM_SIZE);
    int e2 = exec_run_at(pc);
    if (e2 != e) {
        uint32_t at = 0;
        if (cpu_ev.c.pc + 4 <= MEM_SIZE)
            memcpy(&at, mem + cpu_ev.c.pc, 4);
        fail("engine exit %d at pc 0x%" PRIx64 ", evaluator exit %d at pc 0x%" PRIx64
             " (insn 0x%08x)", e2, cpu.c.pc, e, cpu_ev.c.pc, at);
    }
    if (cpu.c.pc != cpu_ev.c.pc)
        fail("engine pc 0x%" PRIx64 ", evaluator 0x%" PRIx64, cpu.c.pc, cpu_ev.c.pc);
    if (e == IR_EXIT_EXCEPTION && cpu.c.excp != cpu_ev.c.excp)
        fail("engine excp 0x%x, evaluator 0x%x", cpu.c.excp, cpu_ev.c.excp);
    for (unsigned r = 0; r < 32; r++) {
        if (cpu.x[r] != cpu_ev.x[r] && !(exec_ignore_x >> r & 1))
            fail("engine x%u 0x%" PRIx64 ", evaluator 0x%" PRIx64, r, cpu.x[r], cpu_ev.x[r]);
        if (cpu.f[r] != cpu_ev.f[r])
            fail("engine f%u 0x%" PRIx64 ", evaluator 0x%" PRIx64, r, cpu.f[r], cpu_ev.f[r]);
    }
    if (cpu.c.fp_flags != cpu_ev.c.fp_flags || cpu.c.fp_rm != cpu_ev.c.fp_rm)
        fail("engine fflags/frm 0x%x/%u, evaluator 0x%x/%u", cpu.c.fp_flags, cpu.c.fp_rm,
             cpu_ev.c.fp_flags, cpu_ev.c.fp_rm);
    if (cpu.res_addr != cpu_ev.res_addr || cpu.res_val != cpu_ev.res_val)
        fail("engine reservation differs");
    if (memcmp(mem, mem_ev, MEM_SIZE))
        fail("engine memory differs from the evaluator's");
    /* the checks that follow look at the evaluator's state */
    cpu = cpu_ev;
    return e;
#endif
}

static int run(void) { return run_at(CODE, 64); }

static void reset_cpu(void)
{
    memset(&cpu, 0, sizeof(cpu));
    cpu.c.fetch = fake_fetch;
    cpu.c.arch = &rv64_arch;
    cpu.c.mem_base = (uintptr_t)mem;
    cpu.c.mem_mask = MEM_SIZE - 1;
    cpu.res_addr = RV_NO_RESERVATION;
    fetch_lo = 0;
    fetch_hi = MEM_SIZE;
    memset(mem, 0, sizeof(mem));
    code_at(CODE);
}

/* cheap resets for the random-encoding loop: only the code word changes */
static void reset_code_word(uint32_t insn) { memcpy(mem + CODE, &insn, 4); }
static void reset_code_half(uint16_t insn) { memcpy(mem + CODE, &insn, 2); }

static const struct ir_insn *last_insn(void) { return &blk.insn[blk.n_insn - 1]; }

static unsigned count_op(enum ir_opcode op)
{
    unsigned n = 0;
    for (uint32_t k = 0; k < blk.n_insn; k++)
        n += blk.insn[k].op == op;
    return n;
}


/* ---- block structure ---- */

static void t_structure(void)
{
    reset_cpu();
    e32(ADDI(10, 0, 5));
    e32(ADDI(11, 10, -1));
    e32(ECALL);
    e32(ADDI(12, 0, 1));
    CHECK(translate_at(CODE, 64) == 0, "translate failed");
    CHECK_EQ("n_guest", blk.n_guest, 3);
    CHECK_EQ("guest_size", blk.guest_size, 12);
    CHECK_EQ("insn_starts", count_op(IR_INSN_START), 3);
    CHECK(last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_SYSCALL &&
              last_insn()->imm == CODE + 8, "ecall must end the block with EXIT syscall at its pc");
    CHECK_EQ("run exit", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("exit pc", cpu.c.pc, CODE + 8);
    CHECK_EQ("a1", cpu.x[11], 4);

    reset_cpu(); /* conditional branch: EXIT_IF(target) then GOTO(fallthrough) */
    e32(B(-8, 11, 10, 0));
    translate_at(CODE, 64);
    CHECK(blk.n_guest == 1 && count_op(IR_EXIT_IF) == 1 && last_insn()->op == IR_GOTO &&
              last_insn()->imm == CODE + 4, "branch shape");
    for (uint32_t k = 0; k < blk.n_insn; k++)
        if (blk.insn[k].op == IR_EXIT_IF)
            CHECK_EQ("branch target", blk.insn[k].imm, CODE - 8);

    reset_cpu(); /* max_insns */
    for (int k = 0; k < 10; k++)
        e32(ADDI(10, 10, 1));
    translate_at(CODE, 4);
    CHECK(blk.n_guest == 4 && last_insn()->op == IR_GOTO && last_insn()->imm == CODE + 16,
          "max_insns must end the block with GOTO next");

    reset_cpu(); /* terminators of other kinds */
    e32(EBREAK);
    translate_at(CODE, 64);
    CHECK(last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_BREAK && last_insn()->imm == CODE,
          "ebreak");
    reset_cpu();
    e32(0x0000100f); /* fence.i */
    translate_at(CODE, 64);
    CHECK(last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_FLUSH &&
              last_insn()->imm == CODE + 4, "fence.i must exit FLUSH to pc+4");
    reset_cpu();
    e32(J(0x100, 1));
    translate_at(CODE, 64);
    CHECK(last_insn()->op == IR_GOTO && last_insn()->imm == CODE + 0x100, "jal");
    reset_cpu();
    e32(I(4, 1, 0, 0, 0x67)); /* jalr x0, 4(ra) */
    translate_at(CODE, 64);
    CHECK(last_insn()->op == IR_GOTO_IND, "jalr must end with GOTO_IND");
    reset_cpu();
    e16(0x9002); /* c.ebreak */
    translate_at(CODE, 64);
    CHECK(last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_BREAK && blk.guest_size == 2,
          "c.ebreak");
    group_end("structure");
}

static void t_page(void)
{
    reset_cpu();
    code_at(0x1ff8);
    e32(ADDI(10, 10, 1)); /* 0x1ff8 */
    e16(0x0001);          /* 0x1ffc c.nop */
    e32(ADDI(10, 10, 2)); /* 0x1ffe: straddles the page */
    e32(ADDI(10, 10, 4)); /* 0x2002 */
    e32(ECALL);
    CHECK(translate_at(0x1ff8, 64) == 0, "translate");
    CHECK_EQ("n_guest", blk.n_guest, 3);
    CHECK_EQ("guest_size", blk.guest_size, 10);
    CHECK(last_insn()->op == IR_GOTO && last_insn()->imm == 0x2002, "must stop at the page end");
    CHECK_EQ("run", run_at(0x1ff8, 64), IR_EXIT_SYSCALL);
    CHECK_EQ("a0", cpu.x[10], 7);

    fetch_hi = 0x2000; /* second half of the straddling insn is not executable */
    CHECK(translate_at(0x1ff8, 64) == 0, "translate with fault");
    CHECK(blk.n_guest == 2 && last_insn()->op == IR_GOTO && last_insn()->imm == 0x1ffe,
          "fetch fault mid-block must end the block before the insn");
    CHECK_EQ("first-insn fault", translate_at(0x1ffe, 64), -EFAULT);
    CHECK_EQ("first-insn fault (page)", translate_at(0x2000, 64), -EFAULT);

    fetch_hi = MEM_SIZE; /* a block that starts at a page start runs to the end of it */
    code_at(0x3000);
    for (int k = 0; k < 1024; k++)
        e32(ADDI(10, 10, 1));
    translate_at(0x3000, 5000);
    CHECK(blk.n_guest == 1024 && last_insn()->imm == 0x4000, "full page block: %u insns",
          blk.n_guest);
    group_end("page_boundary");
}

static void t_illegal(void)
{
    static const uint32_t bad[] = {
        0x30200073, /* mret */
        0x10200073, /* sret */
        0x10500073, /* wfi */
        0x12000073, /* sfence.vma */
        0x300025f3, /* csrr a1, mstatus */
        0xc0059073, /* csrw cycle, a1 (read-only) */
        0xc015a573, /* csrrs a0, time, a1 (write to read-only) */
        0x7b002573, /* csrr a0, dcsr */
        0x0020d053, /* fadd.s with rm 5 */
        0x0020e053, /* rm 6 */
        0xffffffff, 0x0000707f, 0x00007003, /* ld with funct3 7 */
        0x0000406b, 0x02b5152f, /* amo with funct3 1 */
        0x1015a5af, /* lr.w with rs2 != 0 */
        0x06000053, /* fadd.q: fmt 3 */
        0x00002063, /* branch funct3 2 */
        0x00001067, /* jalr funct3 1 */
        0x4000101b | (10u << 7), /* slliw with bit 30 */
        0x0200203b, /* mulhsu.w does not exist */
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        reset_cpu();
        e32(ADDI(10, 0, 1));
        e32(bad[k]);
        translate_at(CODE, 64);
        CHECK(blk.n_guest == 2 && last_insn()->op == IR_EXIT &&
                  last_insn()->aux == IR_EXIT_ILLEGAL && last_insn()->imm == CODE + 4 &&
                  blk.insn[blk.n_insn - 2].op == IR_INSN_START,
              "0x%08x must be illegal with nothing but INSN_START before the exit", bad[k]);
    }
    static const uint16_t cbad2[] = {0x0000, 0x2001, 0x6101, 0x6501 /* c.lui a0, 0 */, 0x8002,
                                     0x4002, 0x6002, 0x9c41 | 0x40 /* 100 1 11 10: reserved */,
                                     0x8000 /* q0 funct3 100 */};
    for (size_t k = 0; k < sizeof(cbad2) / sizeof(cbad2[0]); k++) {
        reset_cpu();
        e16(cbad2[k]);
        translate_at(CODE, 64);
        CHECK(blk.n_guest == 1 && last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_ILLEGAL &&
                  blk.guest_size == 2, "c 0x%04x must be illegal", cbad2[k]);
    }
    reset_cpu(); /* executing one gives EXIT_ILLEGAL at its pc, earlier effects done */
    e32(ADDI(10, 0, 9));
    e32(0x30200073);
    CHECK_EQ("run", run(), IR_EXIT_ILLEGAL);
    CHECK_EQ("pc", cpu.c.pc, CODE + 4);
    CHECK_EQ("a0", cpu.x[10], 9);
    group_end("illegal");
}

/* ---- single-instruction execution: x5 = a, x6 = b, result in x10 ---- */

struct case1 {
    const char *name;
    uint32_t insn;
    uint64_t a, b, want;
};

static uint64_t run1(uint32_t insn, uint64_t a, uint64_t b)
{
    reset_cpu();
    cpu.x[5] = a;
    cpu.x[6] = b;
    e32(insn);
    e32(ECALL);
    int e = run();
    if (e != IR_EXIT_SYSCALL)
        fail("insn 0x%08x: exit %d", insn, e);
    return cpu.x[10];
}

static void run_cases(const struct case1 *c, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        uint64_t got = run1(c[k].insn, c[k].a, c[k].b);
        if (got != c[k].want)
            fail("%s: got 0x%" PRIx64 ", want 0x%" PRIx64, c[k].name, got, c[k].want);
        if (cpu.x[0] != 0)
            fail("%s: x0 written", c[k].name);
    }
}

#define RR(f7, f3, op) R(f7, 6, 5, f3, 10, op)
#define RI(imm, f3, op) I(imm, 5, f3, 10, op)
#define MIN64 0x8000000000000000ull
#define ALL1 0xffffffffffffffffull

static void t_integer(void)
{
    const struct case1 c[] = {
        {"add", RR(0, 0, OP), MIN64, ALL1, 0x7fffffffffffffffull},
        {"sub", RR(0x20, 0, OP), 5, 7, ALL1 - 1},
        {"sll", RR(0, 1, OP), 1, 65, 2},
        {"slt", RR(0, 2, OP), MIN64, 5, 1},
        {"sltu", RR(0, 3, OP), MIN64, 5, 0},
        {"xor", RR(0, 4, OP), 0xff00, 0x0ff0, 0xf0f0},
        {"srl", RR(0, 5, OP), MIN64, 63, 1},
        {"sra", RR(0x20, 5, OP), MIN64, 63, ALL1},
        {"or", RR(0, 6, OP), 0xf0, 0x0f, 0xff},
        {"and", RR(0, 7, OP), 0xf0, 0x3c, 0x30},
        {"addw", RR(0, 0, OP32), 0x7fffffff, 5, 0xffffffff80000004ull},
        {"subw", RR(0x20, 0, OP32), 0x100000000ull, 1, ALL1},
        {"sllw", RR(0, 1, OP32), 0x7fffffff, 37, 0xffffffffffffffe0ull},
        {"srlw", RR(0, 5, OP32), ALL1, 5, 0x7ffffff},
        {"sraw", RR(0x20, 5, OP32), 0x80000000, 4, 0xfffffffff8000000ull},
        {"addi", RI(-1, 0, OPI), 0, 0, ALL1},
        {"slti", RI(0, 2, OPI), ALL1, 0, 1},
        {"sltiu", RI(-1, 3, OPI), 5, 0, 1},
        {"xori", RI(-1, 4, OPI), 5, 0, ~5ull},
        {"ori", RI(0x700, 6, OPI), 1, 0, 0x701},
        {"andi", RI(-16, 7, OPI), ALL1, 0, ALL1 - 15},
        {"slli", RI(63, 1, OPI), 5, 0, MIN64},
        {"srli", RI(60, 5, OPI), MIN64, 0, 8},
        {"srai", RI(0x400 | 60, 5, OPI), MIN64, 0, ALL1 - 7},
        {"addiw", RI(1, 0, OPI32), 0x7fffffff, 0, 0xffffffff80000000ull},
        {"sext.w", RI(0, 0, OPI32), 0x1234567880000000ull, 0, 0xffffffff80000000ull},
        {"slliw", RI(31, 1, OPI32), 1, 0, 0xffffffff80000000ull},
        {"srliw", RI(31, 5, OPI32), ALL1, 0, 1},
        {"sraiw", RI(0x400 | 4, 5, OPI32), 0x80000000, 0, 0xfffffffff8000000ull},
        {"lui", U(0x80000, 10, 0x37), 0, 0, 0xffffffff80000000ull},
        {"auipc", U(0x1, 10, 0x17), 0, 0, CODE + 0x1000},
        {"auipc neg", U(0xfffff, 10, 0x17), 0, 0, CODE - 0x1000},
        {"x0 dest", R(0, 6, 5, 0, 0, OP), 1, 2, 0},
    };
    run_cases(c, sizeof(c) / sizeof(c[0]));
    group_end("rv64i_alu");
}

static void t_mem(void)
{
    reset_cpu();
    cpu.x[10] = DATA;
    cpu.x[11] = 0x8182838485868788ull;
    e32(S(0, 11, 10, 3, 0x23));     /* sd a1, 0(a0) */
    e32(I(0, 10, 0, 12, 0x03));     /* lb a2 */
    e32(I(0, 10, 4, 13, 0x03));     /* lbu a3 */
    e32(I(0, 10, 1, 14, 0x03));     /* lh a4 */
    e32(I(0, 10, 5, 15, 0x03));     /* lhu a5 */
    e32(I(0, 10, 2, 16, 0x03));     /* lw a6 */
    e32(I(0, 10, 6, 17, 0x03));     /* lwu a7 */
    e32(I(4, 10, 3, 18, 0x03));   /* ld s2, 4(a0): misaligned plain load is fine */
    e32(S(8, 11, 10, 0, 0x23));     /* sb a1, 8(a0) */
    e32(S(17, 11, 10, 1, 0x23));    /* sh a1, 17(a0) */
    e32(S(-4, 11, 10, 2, 0x23));    /* sw a1, -4(a0) */
    e32(I(0, 10, 3, 0, 0x03));      /* ld x0: no effect */
    e32(ECALL);
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("lb", cpu.x[12], 0xffffffffffffff88ull);
    CHECK_EQ("lbu", cpu.x[13], 0x88);
    CHECK_EQ("lh", cpu.x[14], 0xffffffffffff8788ull);
    CHECK_EQ("lhu", cpu.x[15], 0x8788);
    CHECK_EQ("lw", cpu.x[16], 0xffffffff85868788ull);
    CHECK_EQ("lwu", cpu.x[17], 0x85868788);
    CHECK_EQ("ld+4", cpu.x[18], 0x81828384);
    CHECK_EQ("sb", mem_rd(DATA + 8, 3), 0x88);
    CHECK_EQ("sh", mem_rd(DATA + 16, 3), 0x878800);
    CHECK_EQ("sw", mem_rd(DATA - 4, 2), 0x85868788);
    CHECK_EQ("x0", cpu.x[0], 0);

    reset_cpu(); /* a faulting load leaves earlier state done and stops at its pc */
    cpu.x[10] = MEM_SIZE;
    e32(ADDI(11, 0, 3));
    e32(I(0, 10, 3, 12, 0x03));
    e32(ADDI(13, 0, 3));
    e32(ECALL);
    CHECK_EQ("fault exit", run(), IR_EXIT_EXCEPTION);
    CHECK_EQ("fault pc", cpu.c.pc, CODE + 4);
    CHECK(cpu.x[11] == 3 && cpu.x[13] == 0, "state at the fault");
    group_end("load_store");
}

static void t_control(void)
{
    reset_cpu();
    e32(J(8, 1));                  /* 0: jal ra, 8 */
    e32(EBREAK);                   /* 4 */
    e32(U(0, 5, 0x17));            /* 8: auipc t0, 0 */
    e32(I(12, 5, 0, 5, 0x67));     /* 12: jalr t0, 12(t0) -> 20, t0 = 16 */
    e32(EBREAK);                   /* 16 */
    e32(ADDI(10, 0, 1));           /* 20 */
    e32(ADDI(6, 5, 17));           /* 24: t1 = CODE+33 */
    e32(I(0, 6, 0, 11, 0x67));     /* 28: jalr a1, 0(t1) -> 32 (bit 0 cleared) */
    e32(ECALL);                    /* 32 */
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("pc", cpu.c.pc, CODE + 32);
    CHECK_EQ("ra", cpu.x[1], CODE + 4);
    CHECK_EQ("t0 (rd == rs1)", cpu.x[5], CODE + 16);
    CHECK_EQ("a0", cpu.x[10], 1);
    CHECK_EQ("a1", cpu.x[11], CODE + 32);

    reset_cpu(); /* each branch skips an ori when taken: a0 collects the not-taken ones */
    cpu.x[5] = ALL1;
    cpu.x[6] = 1;
    static const struct { unsigned f3, rs1, rs2; } br[] = {
        {0, 5, 5}, {1, 5, 5}, {4, 5, 6}, {5, 5, 6}, {6, 5, 6},
        {7, 5, 6}, {0, 5, 6}, {4, 6, 5}, {5, 6, 5}, {6, 6, 5}};
    for (unsigned k = 0; k < 10; k++) {
        e32(B(8, br[k].rs2, br[k].rs1, br[k].f3));
        e32(I(1 << k, 10, 6, 10, OPI));
    }
    e32(ADDI(11, 0, 10)); /* loop: a2 += 3, ten times (backward bnez) */
    e32(ADDI(12, 12, 3));
    e32(ADDI(11, 11, -1));
    e32(B(-8, 0, 11, 1));
    e32(ECALL);
    CHECK_EQ("run branches", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("not-taken mask", cpu.x[10], 0xda);
    CHECK_EQ("loop", cpu.x[12], 30);
    group_end("control_flow");
}

static void t_muldiv(void)
{
    const struct case1 c[] = {
        {"div overflow", RR(1, 4, OP), MIN64, ALL1, MIN64},
        {"rem overflow", RR(1, 6, OP), MIN64, ALL1, 0},
        {"div by 0", RR(1, 4, OP), 7, 0, ALL1},
        {"divu by 0", RR(1, 5, OP), 7, 0, ALL1},
        {"rem by 0", RR(1, 6, OP), 7, 0, 7},
        {"remu by 0", RR(1, 7, OP), 7, 0, 7},
        {"div", RR(1, 4, OP), 7, (uint64_t)-3, (uint64_t)-2},
        {"rem", RR(1, 6, OP), (uint64_t)-7, 3, (uint64_t)-1},
        {"divu", RR(1, 5, OP), ALL1, 2, 0x7fffffffffffffffull},
        {"mul", RR(1, 0, OP), (uint64_t)-3, 7, (uint64_t)-21},
        {"mulh", RR(1, 1, OP), MIN64, ALL1, 0},
        {"mulh neg", RR(1, 1, OP), (uint64_t)-2, 3, ALL1},
        {"mulhu", RR(1, 3, OP), ALL1, ALL1, ALL1 - 1},
        {"mulhsu", RR(1, 2, OP), ALL1, 7, ALL1},
        {"mulhsu2", RR(1, 2, OP), 2, ALL1, 1},
        {"mulw", RR(1, 0, OP32), 0x10000, 0x18000, 0xffffffff80000000ull},
        {"divw overflow", RR(1, 4, OP32), 0x80000000, ALL1, 0xffffffff80000000ull},
        {"divw by 0", RR(1, 4, OP32), 5, 0x100000000ull, ALL1},
        {"divuw by 0", RR(1, 5, OP32), 5, 0, ALL1},
        {"divuw", RR(1, 5, OP32), 0xfffffffe, 2, 0x7fffffff},
        {"remw overflow", RR(1, 6, OP32), 0x80000000, ALL1, 0},
        {"remw by 0", RR(1, 6, OP32), 0x180000000ull, 0, 0xffffffff80000000ull},
        {"remuw", RR(1, 7, OP32), 0xffffffff, 0x10, 0xf},
        {"remuw by 0", RR(1, 7, OP32), 0x80000001, 0, 0xffffffff80000001ull},
    };
    run_cases(c, sizeof(c) / sizeof(c[0]));
    group_end("m_extension");
}

static void t_bitmanip(void)
{
    const uint64_t a = 0xf00000008000ff00ull, b = 0x24;
    const struct case1 c[] = {
        {"add.uw", RR(0x04, 0, OP32), a, b, 0x8000ff24},
        {"zext.w", R(0x04, 0, 5, 0, 10, OP32), a, b, 0x8000ff00},
        {"sh1add", RR(0x10, 2, OP), a, b, 0xe00000010001fe24ull},
        {"sh2add", RR(0x10, 4, OP), a, b, 0xc00000020003fc24ull},
        {"sh3add", RR(0x10, 6, OP), a, b, 0x800000040007f824ull},
        {"sh2add.uw", RR(0x10, 4, OP32), a, b, 0x20003fc24ull},
        {"slli.uw", RI(0x080 | 4, 1, OPI32), a, b, 0x8000ff000ull},
        {"andn", RR(0x20, 7, OP), a, b, 0xf00000008000ff00ull},
        {"orn", RR(0x20, 6, OP), a, b, 0xffffffffffffffdbull},
        {"xnor", RR(0x20, 4, OP), a, b, 0x0fffffff7fff00dbull},
        {"clz", RI(0x600, 1, OPI), b, 0, 58},
        {"clz 0", RI(0x600, 1, OPI), 0, 0, 64},
        {"clzw", RI(0x600, 1, OPI32), 0x100000f00ull, 0, 20},
        {"clzw 0", RI(0x600, 1, OPI32), 0xffffffff00000000ull, 0, 32},
        {"ctz", RI(0x601, 1, OPI), a, 0, 8},
        {"ctzw 0", RI(0x601, 1, OPI32), 0x100000000ull, 0, 32},
        {"cpop", RI(0x602, 1, OPI), a, 0, 13},
        {"cpopw", RI(0x602, 1, OPI32), a, 0, 9},
        {"max", RR(0x05, 6, OP), a, b, b},
        {"maxu", RR(0x05, 7, OP), a, b, a},
        {"min", RR(0x05, 4, OP), a, b, a},
        {"minu", RR(0x05, 5, OP), a, b, b},
        {"sext.b", RI(0x604, 1, OPI), 0x80, 0, 0xffffffffffffff80ull},
        {"sext.h", RI(0x605, 1, OPI), a, 0, 0xffffffffffffff00ull},
        {"zext.h", R(0x04, 0, 5, 4, 10, OP32), a, 0, 0xff00},
        {"rol", RR(0x30, 1, OP), a, b, 0x000ff00f00000008ull},
        {"ror", RR(0x30, 5, OP), a, b, 0x08000ff00f000000ull},
        {"rori", RI(0x600 | 4, 5, OPI), a, 0, 0x0f00000008000ff0ull},
        {"rolw", RR(0x30, 1, OP32), a, 7, 0x7f8040},
        {"rorw", RR(0x30, 5, OP32), a, 7, 0x10001fe},
        {"roriw", RI(0x600 | 8, 5, OPI32), a, 0, 0x8000ff},
        {"roriw sext", RI(0x600 | 1, 5, OPI32), 1, 0, 0xffffffff80000000ull},
        {"orc.b", RI(0x287, 5, OPI), a, 0, 0xff000000ff00ff00ull},
        {"rev8", RI(0x6b8, 5, OPI), a, 0, 0x00ff0080000000f0ull},
        {"bclr", RR(0x24, 1, OP), a, 63, 0x700000008000ff00ull},
        {"bset", RR(0x14, 1, OP), a, 36, 0xf00000108000ff00ull},
        {"binv", RR(0x34, 1, OP), a, 7 + 64, 0xf00000008000ff80ull},
        {"bext", RR(0x24, 5, OP), a, 31, 1},
        {"bclri", RI(0x480 | 63, 1, OPI), a, 0, 0x700000008000ff00ull},
        {"bseti", RI(0x280 | 0, 1, OPI), a, 0, 0xf00000008000ff01ull},
        {"binvi", RI(0x680 | 8, 1, OPI), a, 0, 0xf00000008000fe00ull},
        {"bexti", RI(0x480 | 60, 5, OPI), a, 0, 1},
        {"bexti 0", RI(0x480 | 0, 5, OPI), a, 0, 0},
        {"czero.eqz keep", RR(0x07, 5, OP), a, b, a},
        {"czero.eqz zero", RR(0x07, 5, OP), a, 0, 0},
        {"czero.nez keep", RR(0x07, 7, OP), a, 0, a},
        {"czero.nez zero", RR(0x07, 7, OP), a, b, 0},
    };
    run_cases(c, sizeof(c) / sizeof(c[0]));
    group_end("zba_zbb_zbs_zicond");
}

/* ---- C extension ---- */

uint32_t rv_expand_c(uint16_t c); /* the frontend's expander (rv_translate_c.c) */

static void t_compressed(void)
{
    /* pairs from riscv64-linux-gnu-as: compressed and uncompressed forms of one insn */
    static const struct { uint16_t c; uint32_t w; } exp[] = {
        {0x1fe8, 0x3fc10513}, /* addi a0, sp, 1020 */
        {0x0044, 0x00410493}, /* addi s1, sp, 4 */
        {0x3de8, 0x0f85b507}, /* fld fa0, 248(a1) */
        {0x5c70, 0x07c42603}, /* lw a2, 124(s0) */
        {0x7ff4, 0x0f87b683}, /* ld a3, 248(a5) */
        {0xa704, 0x00973427}, /* fsd fs1, 8(a4) */
        {0xc13c, 0x04f52023}, /* sw a5, 64(a0) */
        {0xe244, 0x08963023}, /* sd s1, 128(a2) */
        {0x1501, 0xfe050513}, /* addi a0, a0, -32 */
        {0x0001, 0x00000013}, /* addi zero, zero, 0 */
        {0x02fd, 0x01f28293}, /* addi t0, t0, 31 */
        {0x35fd, 0xfff5859b}, /* addiw a1, a1, -1 */
        {0x2fc5, 0x011f8f9b}, /* addiw t6, t6, 17 */
        {0x5501, 0xfe000513}, /* li a0, -32 */
        {0x4d9d, 0x00700d93}, /* li s11, 7 */
        {0x7101, 0xe0010113}, /* addi sp, sp, -512 */
        {0x617d, 0x1f010113}, /* addi sp, sp, 496 */
        {0x0141, 0x01010113}, /* addi sp, sp, 16 */
        {0x7781, 0xfffe07b7}, /* lui a5, 0xfffe0 */
        {0x637d, 0x0001f337}, /* lui t1, 0x1f */
        {0x917d, 0x03f55513}, /* srli a0, a0, 63 */
        {0x8085, 0x0014d493}, /* srli s1, s1, 1 */
        {0x9781, 0x4207d793}, /* srai a5, a5, 32 */
        {0x9afd, 0xfff6f693}, /* andi a3, a3, -1 */
        {0x8b3d, 0x00f77713}, /* andi a4, a4, 15 */
        {0x8c1d, 0x40f40433}, /* sub s0, s0, a5 */
        {0x8db1, 0x00c5c5b3}, /* xor a1, a1, a2 */
        {0x8e55, 0x00d66633}, /* or a2, a2, a3 */
        {0x8ef9, 0x00e6f6b3}, /* and a3, a3, a4 */
        {0x9f1d, 0x40f7073b}, /* subw a4, a4, a5 */
        {0x9ca1, 0x008484bb}, /* addw s1, s1, s0 */
        {0x157e, 0x03f51513}, /* slli a0, a0, 63 */
        {0x0e0e, 0x003e1e13}, /* slli t3, t3, 3 */
        {0x347e, 0x1f813407}, /* fld fs0, 504(sp) */
        {0x50fe, 0x0fc12083}, /* lw ra, 252(sp) */
        {0x73fe, 0x1f813383}, /* ld t2, 504(sp) */
        {0x6522, 0x00813503}, /* ld a0, 8(sp) */
        {0x8502, 0x00050067}, /* jr a0 */
        {0x852e, 0x00b00533}, /* mv a0, a1 = add a0, zero, a1 */
        {0x9002, 0x00100073}, /* ebreak */
        {0x9282, 0x000280e7}, /* jalr t0 */
        {0x994e, 0x01390933}, /* add s2, s2, s3 */
        {0xbfee, 0x1fb13c27}, /* fsd fs11, 504(sp) */
        {0xdfa2, 0x0e812e23}, /* sw s0, 252(sp) */
        {0xff86, 0x1e113c23}, /* sd ra, 504(sp) */
        {0xe406, 0x00113423}, /* sd ra, 8(sp) */
        {0xa019, 0x0060006f}, /* j +6 */
        {0xbfd5, 0xff5ff06f}, /* j -12 */
        {0xc111, 0x00050263}, /* beqz a0, +4 */
        {0xe111, 0x00051263}, /* bnez a0, +4 */
    };
    for (size_t k = 0; k < sizeof(exp) / sizeof(exp[0]); k++)
        if (rv_expand_c(exp[k].c) != exp[k].w)
            fail("expand 0x%04x: got 0x%08x, want 0x%08x", exp[k].c, rv_expand_c(exp[k].c),
                 exp[k].w);

    /* a program of compressed branches and jumps (assembled with gas, c.addi ra, 8) */
    static const uint16_t prog[] = {0x4501, 0xc111, 0x4585, 0xe111, 0x4609, 0xa019, 0x468d,
                                    0x4691, 0x0505, 0xe111, 0x4715, 0xc109, 0x4799, 0xa019,
                                    0x441d, 0x8082, 0x4281, 0x0097, 0x0000, 0x00a1, 0xbfd5,
                                    0x0073, 0x0000};
    reset_cpu();
    cpu.x[11] = cpu.x[12] = cpu.x[13] = cpu.x[14] = 99;
    for (size_t k = 0; k < sizeof(prog) / sizeof(prog[0]); k++)
        e16(prog[k]);
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("exit pc", cpu.c.pc, CODE + 0x2a);
    CHECK_EQ("a0", cpu.x[10], 1);
    CHECK_EQ("a1 (beqz taken)", cpu.x[11], 99);
    CHECK_EQ("a2 (bnez not taken)", cpu.x[12], 2);
    CHECK_EQ("a3 (c.j)", cpu.x[13], 99);
    CHECK_EQ("a4 (bnez taken)", cpu.x[14], 99);
    CHECK_EQ("a5", cpu.x[15], 6);
    CHECK_EQ("s0", cpu.x[8], 7);
    CHECK_EQ("ra", cpu.x[1], CODE + 0x2a);

    reset_cpu(); /* c.jalr links pc + 2 */
    cpu.x[5] = CODE + 6;
    e16(0x9282); /* jalr t0 */
    e32(EBREAK);
    e32(ECALL);
    CHECK_EQ("c.jalr run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("c.jalr ra", cpu.x[1], CODE + 2);
    group_end("c_extension");
}

/* ---- A extension ---- */

static void t_atomic(void)
{
    reset_cpu(); /* LR/SC success, then the reservation is gone */
    cpu.x[10] = DATA;
    mem_wr(DATA, 3, 0x1122334455667788ull);
    e32(AMO(2, 1, 0, 0, 10, 0, 11)); /* lr.d.aq a1, (a0) */
    e32(ADDI(11, 11, 1));
    e32(AMO(3, 0, 1, 11, 10, 0, 12)); /* sc.d.rl a2, a1, (a0) */
    e32(AMO(3, 0, 0, 11, 10, 0, 13)); /* sc.d a3, a1, (a0) */
    e32(ECALL);
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("sc ok", cpu.x[12], 0);
    CHECK_EQ("second sc fails", cpu.x[13], 1);
    CHECK_EQ("mem", mem_rd(DATA, 3), 0x1122334455667789ull);
    CHECK_EQ("res_addr", cpu.res_addr, RV_NO_RESERVATION);

    reset_cpu(); /* SC without LR fails and does not store */
    cpu.x[10] = DATA;
    cpu.x[11] = 5;
    mem_wr(DATA, 3, 0x42);
    e32(AMO(3, 0, 0, 11, 10, 0, 12));
    e32(ECALL);
    run();
    CHECK(cpu.x[12] == 1 && mem_rd(DATA, 3) == 0x42, "sc without reservation");

    reset_cpu(); /* SC to another address fails */
    cpu.x[10] = DATA;
    e32(AMO(2, 0, 0, 0, 10, 0, 11));
    e32(ADDI(5, 10, 8));
    e32(AMO(3, 0, 0, 11, 5, 0, 12));
    e32(ECALL);
    mem_wr(DATA, 3, 7);
    run();
    CHECK(cpu.x[12] == 1 && mem_rd(DATA + 8, 3) == 0, "sc to another address");

    reset_cpu(); /* the value changed between LR and SC: fails */
    cpu.x[10] = DATA;
    cpu.x[6] = 99;
    mem_wr(DATA, 3, 7);
    e32(AMO(2, 0, 0, 0, 10, 0, 11));
    e32(S(0, 6, 10, 3, 0x23));
    e32(AMO(3, 0, 0, 11, 10, 0, 12));
    e32(ECALL);
    run();
    CHECK(cpu.x[12] == 1 && mem_rd(DATA, 3) == 99, "sc after the value changed");

    reset_cpu(); /* 32-bit: sign-extended LR, SC stores only 4 bytes */
    cpu.x[10] = DATA;
    cpu.x[6] = 0x1234567876543210ull;
    mem_wr(DATA, 3, 0xdeadbeef80000000ull);
    e32(AMO(2, 1, 1, 0, 10, 1, 11));
    e32(AMO(3, 1, 1, 6, 10, 1, 12));
    e32(ECALL);
    run();
    CHECK_EQ("lr.w", cpu.x[11], 0xffffffff80000000ull);
    CHECK_EQ("sc.w ok", cpu.x[12], 0);
    CHECK_EQ("sc.w mem", mem_rd(DATA, 3), 0xdeadbeef76543210ull);

    static const struct { const char *name; unsigned f5; bool w; uint64_t m, v, rd, mafter; } amo[] = {
        {"amoadd.w", 0x00, 1, 0xaaaaaaaa7fffffffull, 1, 0x7fffffff, 0xaaaaaaaa80000000ull},
        {"amoadd.w neg", 0x00, 1, 0x80000000, 1, 0xffffffff80000000ull, 0x80000001},
        {"amoadd.d", 0x00, 0, ALL1, 2, ALL1, 1},
        {"amoswap.d", 0x01, 0, 5, 6, 5, 6},
        {"amoswap.w", 0x01, 1, 0x1111111122222222ull, ALL1, 0x22222222, 0x11111111ffffffffull},
        {"amoxor.d", 0x04, 0, 0xff, 0x0f, 0xff, 0xf0},
        {"amoor.w", 0x08, 1, 0x0f, 0xf0, 0x0f, 0xff},
        {"amoand.d", 0x0c, 0, 0xff, 0x3c, 0xff, 0x3c},
        {"amomin.w", 0x10, 1, 0xfffffffe, 1, ALL1 - 1, 0xfffffffe},
        {"amominu.w", 0x18, 1, 0xfffffffe, 1, ALL1 - 1, 1},
        {"amomax.d", 0x14, 0, ALL1, 1, ALL1, 1},
        {"amomaxu.d", 0x1c, 0, ALL1, 1, ALL1, ALL1},
        {"amomax.w", 0x14, 1, 0x80000000, 0x100000005ull, 0xffffffff80000000ull, 5},
    };
    for (size_t k = 0; k < sizeof(amo) / sizeof(amo[0]); k++) {
        reset_cpu();
        cpu.x[10] = DATA;
        cpu.x[6] = amo[k].v;
        mem_wr(DATA, 3, amo[k].m);
        e32(AMO(amo[k].f5, 1, 1, 6, 10, amo[k].w, 11));
        e32(ECALL);
        run();
        if (cpu.x[11] != amo[k].rd || mem_rd(DATA, 3) != amo[k].mafter)
            fail("%s: rd 0x%" PRIx64 " mem 0x%" PRIx64, amo[k].name, cpu.x[11], mem_rd(DATA, 3));
    }

    const uint32_t misaligned[] = {AMO(0, 0, 0, 6, 10, 1, 11), AMO(2, 0, 0, 0, 10, 0, 11),
                                          AMO(3, 0, 0, 6, 10, 0, 11)};
    for (size_t k = 0; k < 3; k++) {
        reset_cpu();
        cpu.x[10] = DATA + 2;
        e32(ADDI(12, 0, 1));
        e32(misaligned[k]);
        e32(ECALL);
        int e = run();
        CHECK(e == IR_EXIT_EXCEPTION && cpu.c.excp == CPU_EXCP_BUS_ADRALN && cpu.c.pc == CODE + 4 &&
                  cpu.x[12] == 1, "misaligned atomic 0x%08x: exit %d excp 0x%x", misaligned[k], e,
              cpu.c.excp);
    }
    group_end("a_extension");
}

/* ---- F and D ---- */

#define BOX(x) (0xffffffff00000000ull | (x))
#define R4(rs3, fmt, rs2, rs1, rm, rd, op) ((uint32_t)(rs3) << 27 | (fmt) << 25 | (rs2) << 20 | (rs1) << 15 | (rm) << 12 | (rd) << 7 | (op))

static void t_fp(void)
{
    reset_cpu();
    cpu.x[23] = DATA;
    mem_wr(DATA, 2, 0x40490fdb);
    mem_wr(DATA + 8, 3, 0x400921fb54442d18ull);
    cpu.f[0] = 0x1234567880000000ull;
    cpu.f[1] = BOX(0x3fc00000);      /* 1.5f */
    cpu.f[2] = BOX(0x40100000);      /* 2.25f */
    cpu.f[3] = 0x3fc00000;           /* not NaN-boxed */
    cpu.f[4] = BOX(0xbf800000);      /* -1.0f */
    cpu.f[6] = BOX(0xc0200000);      /* -2.5f */
    cpu.f[7] = BOX(0x4f32d05e);      /* 3e9f */
    cpu.f[8] = BOX(0x7fc00000);      /* qNaN */
    cpu.f[9] = 0x4004000000000000ull; /* 2.5 */
    cpu.f[17] = BOX(0xff800000);     /* -inf */
    cpu.f[18] = 0;                   /* +0.0 */
    cpu.f[20] = 0x4000000000000000ull; /* 2.0 */
    cpu.f[21] = 0x4008000000000000ull; /* 3.0 */
    cpu.f[22] = 0x3ff0000000000000ull; /* 1.0 */
    cpu.f[24] = 0x7ff8000000000000ull; /* qNaN */
    cpu.f[26] = BOX(0x80000000);     /* -0.0f */
    cpu.f[27] = BOX(0);              /* +0.0f */
    cpu.f[31] = 0;
    cpu.x[11] = 0x1234567840490fdbull;
    cpu.x[16] = (uint64_t)-7;
    e32(I(0, 23, 2, 28, 0x07));        /* flw f28, 0(s7) */
    e32(S(4, 4, 23, 2, 0x27));         /* fsw f4, 4(s7) */
    e32(I(8, 23, 3, 29, 0x07));        /* fld f29, 8(s7) */
    e32(S(16, 20, 23, 3, 0x27));       /* fsd f20, 16(s7) */
    e32(FOP(0, 0, 2, 1, 0, 10));       /* fadd.s f10, f1, f2 */
    e32(FOP(0, 0, 2, 3, 0, 11));       /* fadd.s f11, f3 (unboxed), f2 */
    e32(FOP(0x1c, 0, 0, 4, 0, 10));    /* fmv.x.w a0, f4 */
    e32(FOP(0x1e, 0, 0, 11, 0, 5));    /* fmv.w.x f5, a1 */
    e32(FOP(0x18, 0, 0, 6, 1, 12));    /* fcvt.w.s a2, f6, rtz */
    e32(FOP(0x18, 0, 1, 7, 1, 13));    /* fcvt.wu.s a3, f7, rtz */
    e32(FOP(0x18, 0, 0, 8, 1, 14));    /* fcvt.w.s a4, NaN */
    e32(FOP(0x18, 1, 2, 9, 0, 15));    /* fcvt.l.d a5, f9, rne */
    e32(FOP(0x1a, 0, 0, 16, 7, 12));   /* fcvt.s.w f12, a6 (dyn) */
    e32(FOP(0x08, 1, 0, 1, 0, 13));    /* fcvt.d.s f13, f1 */
    e32(FOP(0x08, 0, 1, 9, 0, 14));    /* fcvt.s.d f14, f9 */
    e32(FOP(0x04, 1, 9, 9, 1, 15));    /* fneg.d f15, f9 */
    e32(FOP(0x04, 0, 4, 1, 2, 16));    /* fsgnjx.s f16, f1, f4 */
    e32(FOP(0x1c, 0, 0, 17, 1, 17));   /* fclass.s a7, f17 */
    e32(FOP(0x1c, 1, 0, 18, 1, 18));   /* fclass.d s2, f18 */
    e32(FOP(0x1c, 0, 0, 3, 1, 19));    /* fclass.s s3, f3 (unboxed) */
    e32(R4(22, 1, 21, 20, 0, 19, 0x43)); /* fmadd.d f19 */
    e32(FOP(0x14, 0, 1, 1, 2, 20));    /* feq.s s4, f1, f1 */
    e32(FOP(0x14, 1, 21, 20, 1, 21));  /* flt.d s5, f20, f21 */
    e32(FOP(0x14, 1, 20, 21, 0, 22));  /* fle.d s6, f21, f20 */
    e32(FOP(0x05, 1, 22, 24, 0, 23));  /* fmin.d f23, NaN, 1.0 */
    e32(FOP(0x05, 0, 27, 26, 1, 25));  /* fmax.s f25, -0, +0 */
    e32(FOP(0x03, 1, 31, 22, 0, 30));  /* fdiv.d f30, 1.0, 0.0 */
    e32(FOP(0x1c, 0, 0, 3, 0, 24));    /* fmv.x.w s8, f3 (raw bits) */
    e32(FOP(0x1c, 0, 0, 0, 0, 25));    /* fmv.x.w s9, f0 */
    e32(FOP(0x1c, 1, 0, 9, 0, 26));    /* fmv.x.d s10, f9 */
    e32(FOP(0x1e, 1, 0, 11, 0, 6));    /* fmv.d.x f6, a1 */
    e32(R4(22, 1, 21, 20, 0, 1, 0x47)); /* fmsub.d f1 */
    e32(R4(22, 1, 21, 20, 0, 2, 0x4b)); /* fnmsub.d f2 */
    e32(R4(22, 1, 21, 20, 0, 3, 0x4f)); /* fnmadd.d f3 */
    e32(FOP(0x0b, 1, 0, 21, 0, 4));    /* fsqrt.d f4 = sqrt(3)... just flags */
    e32(FOP(0x01, 0, 27, 27, 0, 7));   /* fsub.s f7 = 0 - 0 */
    e32(FOP(0x02, 1, 21, 20, 0, 8));   /* fmul.d f8 = 6 */
    e32(ECALL);
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("flw", cpu.f[28], BOX(0x40490fdb));
    CHECK_EQ("fsw", mem_rd(DATA + 4, 2), 0xbf800000);
    CHECK_EQ("fld", cpu.f[29], 0x400921fb54442d18ull);
    CHECK_EQ("fsd", mem_rd(DATA + 16, 3), 0x4000000000000000ull);
    CHECK_EQ("fadd.s", cpu.f[10], BOX(0x40700000));
    CHECK_EQ("fadd.s unboxed input", cpu.f[11], BOX(0x7fc00000));
    CHECK_EQ("fmv.x.w", cpu.x[10], 0xffffffffbf800000ull);
    CHECK_EQ("fmv.w.x", cpu.f[5], BOX(0x40490fdb));
    CHECK_EQ("fcvt.w.s", cpu.x[12], (uint64_t)-2);
    CHECK_EQ("fcvt.wu.s (sign-extended)", cpu.x[13], 0xffffffffb2d05e00ull);
    CHECK_EQ("fcvt.w.s NaN", cpu.x[14], 0x7fffffff);
    CHECK_EQ("fcvt.l.d", cpu.x[15], 2);
    CHECK_EQ("fcvt.s.w", cpu.f[12], BOX(0xc0e00000));
    CHECK_EQ("fcvt.d.s", cpu.f[13], 0x3ff8000000000000ull);
    CHECK_EQ("fcvt.s.d", cpu.f[14], BOX(0x40200000));
    CHECK_EQ("fneg.d", cpu.f[15], 0xc004000000000000ull);
    CHECK_EQ("fsgnjx.s", cpu.f[16], BOX(0xbfc00000));
    CHECK_EQ("fclass -inf", cpu.x[17], 1);
    CHECK_EQ("fclass +0", cpu.x[18], 0x10);
    CHECK_EQ("fclass unboxed", cpu.x[19], 0x200);
    CHECK_EQ("fmadd.d", cpu.f[19], 0x401c000000000000ull);
    CHECK_EQ("fmsub.d", cpu.f[1], 0x4014000000000000ull);
    CHECK_EQ("fnmsub.d", cpu.f[2], 0xc014000000000000ull);
    CHECK_EQ("fnmadd.d", cpu.f[3], 0xc01c000000000000ull);
    CHECK_EQ("feq.s", cpu.x[20], 1);
    CHECK_EQ("flt.d", cpu.x[21], 1);
    CHECK_EQ("fle.d", cpu.x[22], 0);
    CHECK_EQ("fmin.d NaN", cpu.f[23], 0x3ff0000000000000ull);
    CHECK_EQ("fmax.s -0 +0", cpu.f[25], BOX(0));
    CHECK_EQ("fdiv.d by 0", cpu.f[30], 0x7ff0000000000000ull);
    CHECK_EQ("fmv.x.w raw", cpu.x[24], 0x3fc00000);
    CHECK_EQ("fmv.x.w raw sext", cpu.x[25], 0xffffffff80000000ull);
    CHECK_EQ("fmv.x.d", cpu.x[26], 0x4004000000000000ull);
    CHECK_EQ("fmv.d.x", cpu.f[6], 0x1234567840490fdbull);
    CHECK_EQ("fsub.s", cpu.f[7], BOX(0));
    CHECK_EQ("fmul.d", cpu.f[8], 0x4018000000000000ull);
    CHECK_EQ("fflags", cpu.c.fp_flags, IR_FPF_NV | IR_FPF_DZ | IR_FPF_NX);

    reset_cpu(); /* flt with a NaN operand is signalling */
    cpu.f[1] = BOX(0x7fc00000);
    cpu.f[2] = BOX(0x3f800000);
    e32(FOP(0x14, 0, 2, 1, 1, 10));
    e32(ECALL);
    run();
    CHECK(cpu.x[10] == 0 && cpu.c.fp_flags == IR_FPF_NV, "flt NaN: a0 %" PRIu64 " flags 0x%x",
          cpu.x[10], cpu.c.fp_flags);
    group_end("f_d_extension");
}

/* ---- CSRs and the dynamic rounding mode ---- */

static void t_csr(void)
{
    reset_cpu();
    cpu.c.fp_flags = 3;
    cpu.c.icount = 1234;
    cpu.x[5] = 0x1c;
    cpu.x[6] = 0x0f;
    cpu.x[7] = 0xff;
    cpu.x[28] = 0xffffffff;
    e32(CSR(5, 2, 3, 0));        /* csrwi frm, 3 */
    e32(CSR(2, 3, 0, 10));       /* csrr a0, fcsr */
    e32(CSR(2, 1, 5, 11));       /* csrrs a1, fflags, t0 */
    e32(CSR(3, 1, 6, 12));       /* csrrc a2, fflags, t1 */
    e32(CSR(1, 3, 7, 13));       /* csrrw a3, fcsr, t2 */
    e32(CSR(6, 2, 0, 14));       /* csrrsi a4, frm, 0 */
    e32(CSR(7, 3, 31, 15));      /* csrrci a5, fcsr, 31 */
    e32(CSR(2, 1, 0, 16));       /* csrr a6, fflags */
    e32(CSR(5, 2, 1, 17));       /* csrrwi a7, frm, 1 */
    e32(CSR(2, 0xc00, 0, 18));   /* rdcycle s2 */
    e32(CSR(2, 0xc02, 0, 19));   /* rdinstret s3 */
    e32(CSR(2, 0xc01, 0, 20));   /* rdtime s4 */
    e32(CSR(6, 0xc00, 0, 21));   /* csrrsi s5, cycle, 0: no write, legal */
    e32(CSR(1, 1, 28, 0));       /* csrw fflags, t3 */
    e32(ECALL);
    exec_ignore_x = 1u << 18 | 1u << 19 | 1u << 20 | 1u << 21; /* counters, time */
    CHECK_EQ("run", run(), IR_EXIT_SYSCALL);
    exec_ignore_x = 0;
    CHECK_EQ("fcsr read", cpu.x[10], 0x63);
    CHECK_EQ("csrrs old", cpu.x[11], 3);
    CHECK_EQ("csrrc old", cpu.x[12], 0x1f);
    CHECK_EQ("csrrw fcsr old", cpu.x[13], 0x70);
    CHECK_EQ("csrrsi frm", cpu.x[14], 7);
    CHECK_EQ("csrrci fcsr old", cpu.x[15], 0xff);
    CHECK_EQ("fflags after csrrci", cpu.x[16], 0);
    CHECK_EQ("csrrwi frm old", cpu.x[17], 7);
    CHECK_EQ("cycle", cpu.x[18], 1234);
    CHECK_EQ("instret", cpu.x[19], 1234);
    CHECK(cpu.x[20] != 0, "time reads 0");
    CHECK_EQ("csrrsi cycle", cpu.x[21], 1234);
    CHECK_EQ("frm", cpu.c.fp_rm, 1);
    CHECK_EQ("fflags", cpu.c.fp_flags, 0x1f);

    reset_cpu(); /* FP ops accumulate into fflags between CSR accesses in one block */
    cpu.f[1] = 0x3ff0000000000000ull;
    cpu.f[2] = 0;
    e32(CSR(1, 1, 0, 0));         /* csrw fflags, zero */
    e32(FOP(0x03, 1, 2, 1, 0, 3)); /* fdiv.d f3, f1, f2: DZ */
    e32(CSR(2, 1, 0, 10));        /* frflags a0 */
    e32(CSR(1, 1, 0, 0));         /* csrw fflags, zero */
    e32(FOP(0x18, 1, 0, 3, 0, 0)); /* fcvt.w.d zero, inf: NV even with rd = x0 */
    e32(CSR(2, 1, 0, 11));        /* frflags a1 */
    e32(CSR(5, 2, 1, 0));         /* fsrmi 1 (rtz) */
    e32(FOP(0x1a, 0, 0, 5, 7, 4)); /* fcvt.s.w f4, t0 (dyn = rtz) */
    e32(CSR(2, 3, 0, 12));        /* frcsr a2 */
    e32(ECALL);
    cpu.c.fp_flags = 0x1f;
    cpu.x[5] = 16777217; /* 2^24 + 1: inexact in single precision */
    CHECK_EQ("flags run", run(), IR_EXIT_SYSCALL);
    CHECK_EQ("fflags after fdiv", cpu.x[10], IR_FPF_DZ);
    CHECK_EQ("fflags after fcvt to x0", cpu.x[11], IR_FPF_NV);
    CHECK_EQ("fcsr after rtz convert", cpu.x[12], 1u << 5 | IR_FPF_NV | IR_FPF_NX);
    CHECK_EQ("rtz convert", cpu.f[4], BOX(0x4b800000));

    /* dynamic rm: checked at run time once per block, again after an frm write */
    reset_cpu();
    e32(FOP(0, 0, 3, 2, 7, 1));
    e32(FOP(0, 0, 3, 2, 7, 1));
    e32(FOP(0, 0, 3, 2, 0, 1));
    e32(CSR(5, 2, 1, 0));
    e32(FOP(0, 0, 3, 2, 7, 1));
    e32(FOP(0, 0, 3, 2, 7, 1));
    e32(ECALL);
    translate_at(CODE, 64);
    CHECK_EQ("rm checks", count_op(IR_CALL1), 2);

    reset_cpu();
    uint32_t dyn_add = FOP(0, 0, 3, 2, 7, 1);
    e32(CSR(5, 2, 5, 0)); /* csrwi frm, 5 (reserved) */
    e32(dyn_add);
    e32(ECALL);
    int e = run();
    CHECK(e == IR_EXIT_EXCEPTION && cpu.c.excp == CPU_EXCP_ILLEGAL && cpu.c.pc == CODE + 4 &&
              cpu.c.excp_tval == dyn_add, "fadd with frm 5: exit %d excp 0x%x pc 0x%" PRIx64, e,
          cpu.c.excp, cpu.c.pc);

    reset_cpu(); /* a static rm ignores a bad frm */
    cpu.c.fp_rm = 6;
    e32(FOP(0, 0, 3, 2, 1, 1));
    e32(ECALL);
    CHECK_EQ("static rm with bad frm", run(), IR_EXIT_SYSCALL);
    group_end("zicsr");
}

/* ---- disassembler ---- */

static void t_disas(void)
{
    static const struct { uint32_t insn; const char *text; } d[] = {
        {0x00550513, "addi\ta0,a0,5"},
        {0x00500513, "li\ta0,5"},
        {0x00008067, "ret"},
        {0x00000073, "ecall"},
        {0x0ff0000f, "fence"},
        {0x06b5252f, "amoadd.w.aqrl\ta0,a1,(a0)"},
        {0x1005b52f, "lr.d\ta0,(a1)"},
        {0x00c5f553, "fadd.s\tfa0,fa1,fa2"},
        {0x00c59553, "fadd.s\tfa0,fa1,fa2,rtz"},
        {0xc0051553 | 0, "fcvt.w.s\ta0,fa0,rtz"},
        {0x00853503, "ld\ta0,8(a0)"},
        {0x00b53423, "sd\ta1,8(a0)"},
        {0x003025f3, "csrr\ta1,fcsr"},
        {0x40b50533, "sub\ta0,a0,a1"},
        {0x60051513, "clz\ta0,a0"},
        {0x0ec5f533, "czero.nez\ta0,a1,a2"},
    };
    char buf[96];
    for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
        uint8_t code[4];
        memcpy(code, &d[k].insn, 4);
        unsigned n = rv64_arch.disas(0x1000, code, 4, buf, sizeof(buf));
        if (n != 4 || strcmp(buf, d[k].text))
            fail("0x%08x: '%s', want '%s'", d[k].insn, buf, d[k].text);
    }
    uint8_t c[2] = {0x01, 0x45}; /* c.li a0, 0 */
    CHECK(rv64_arch.disas(0x1000, c, 2, buf, sizeof(buf)) == 2 && !strcmp(buf, "li\ta0,0"),
          "c.li: '%s'", buf);
    CHECK(rv64_arch.disas(0x1000, c, 1, buf, sizeof(buf)) == 0, "short buffer");
    uint8_t j[4] = {0x6f, 0x00, 0x00, 0x08}; /* jal x0, +128 */
    rv64_arch.disas(0x1000, j, 4, buf, sizeof(buf));
    CHECK(!strcmp(buf, "j\t0x1080"), "j: '%s'", buf);
    group_end("disassembler");
}

/* ---- random encodings: every block verifies, and the disassembler knows exactly the
 * instructions the translator accepts ---- */

bool rv_disas_insn(uint64_t pc, uint32_t insn, char *out, size_t outlen);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void t_random(void)
{
    static const uint8_t majors[] = {0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33,
                                     0x37, 0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f,
                                     0x73};
    unsigned legal = 0, mismatches = 0;
    char buf[96];
    for (unsigned n = 0; n < 200000 && !group_err[0]; n++) {
        uint32_t insn = (rnd() & ~0x7fu) | majors[rnd() % sizeof(majors)];
        if (n & 1) /* bias towards the sparse encodings (funct7 values of OP, fmt, CSRs) */
            insn = (insn & 0x01ffffffu) | (uint32_t)(rnd() % 0x40) << 25;
        reset_code_word(insn);
        translate_at(CODE, 1);
        bool ok = !(last_insn()->op == IR_EXIT && last_insn()->aux == IR_EXIT_ILLEGAL);
        legal += ok;
        bool dis = rv_disas_insn(CODE, insn, buf, sizeof(buf));
        if (ok != dis && mismatches++ < 1)
            fail("0x%08x: translator %s, disassembler %s ('%s')", insn, ok ? "legal" : "illegal",
                 dis ? "knows it" : "does not", buf);
    }
    for (uint32_t c = 0; c < 0x10000; c++) {
        if ((c & 3) == 3)
            continue;
        reset_code_half((uint16_t)c);
        translate_at(CODE, 1);
    }
    CHECK(legal > 1000, "only %u legal random encodings", legal);
    group_end("random_encodings");
}

int main(void)
{
    ir_block_init(&blk, CODE, 0);
    t_structure();
    t_page();
    t_illegal();
    t_integer();
    t_mem();
    t_control();
    t_muldiv();
    t_bitmanip();
    t_compressed();
    t_atomic();
    t_fp();
    t_csr();
    t_disas();
    t_random();
    ir_block_free(&blk);
    return n_failed ? 1 : 0;
}
