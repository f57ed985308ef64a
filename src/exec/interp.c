/*
 * The IR interpreter: runs predecoded blocks (struct iop arrays, see interp_pre.c) with
 * threaded dispatch (GNU computed goto), chaining from block to block without returning
 * to the run loop while the next block is known.
 *
 * Invariants:
 * - Integer semantics come only from ir/ir_eval.h: every handler calls its static inline
 *   evaluator with constant op/type arguments, so the compiler specialises it.
 * - Before an op that may fault runs, cpu->pc holds the pc of its guest instruction (the
 *   memory handlers store it themselves; SETPC precedes faulting helpers and CMPXCHG).
 * - exit_request is read at every block entry, chained or not.
 * - Chain slots and jump-cache entries only ever lead to blocks not yet retired (the
 *   cache clears them before a block is retired), so following them needs no check
 *   beyond the tb_flags key. When tracing (chain == false) the run loop sets no slots.
 * - Memory: user mode reaches guest memory as mem_base + (addr & mem_mask); system mode
 *   (cpu->tlb set) through the SoftMMU TLB. The predecoder picks the handler family per
 *   block, so neither path tests the mode per access.
 * - Operands are byte offsets: F into the vCPU's frame, S into the guest CPU struct.
 *   The predecoder only uses S where reading or writing the guest field directly is
 *   equivalent to the IR's GET/PUT.
 */
#include <stdatomic.h>
#include <string.h>

#include "core/cpu.h"
#include "exec/exec_int.h"
#include "exec/interp_ops.h"
#include "fpu/fpu.h"
#include "ir/ir_eval.h"
#include "mem/tlb.h"

const void *const *interp_handlers;

typedef uint64_t __attribute__((may_alias)) u64a;
typedef uint32_t __attribute__((may_alias)) u32a;

/* A guest memory value of 1 << size bytes at h, extended to a slot of width w. */
static inline __attribute__((always_inline)) uint64_t mem_ld(const void *h, unsigned size,
                                                             bool sign, unsigned w)
{
    uint64_t v;
    switch (size) {
    case 0: {
        uint8_t x;
        memcpy(&x, h, 1);
        v = sign ? (uint64_t)(int8_t)x : x;
        break;
    }
    case 1: {
        uint16_t x;
        memcpy(&x, h, 2);
        v = sign ? (uint64_t)(int16_t)x : x;
        break;
    }
    case 2: {
        uint32_t x;
        memcpy(&x, h, 4);
        v = sign ? (uint64_t)(int32_t)x : x;
        break;
    }
    default: memcpy(&v, h, 8); break;
    }
    return w == 32 ? (uint32_t)v : v;
}

static inline __attribute__((always_inline)) void mem_st(void *h, unsigned size, uint64_t v)
{
    switch (size) {
    case 0: {
        uint8_t x = (uint8_t)v;
        memcpy(h, &x, 1);
        break;
    }
    case 1: {
        uint16_t x = (uint16_t)v;
        memcpy(h, &x, 2);
        break;
    }
    case 2: {
        uint32_t x = (uint32_t)v;
        memcpy(h, &x, 4);
        break;
    }
    default: memcpy(h, &v, 8); break;
    }
}

/* Extend an atomic's old memory value like a load of the same memop. */
static inline uint64_t mem_ext(uint64_t v, unsigned size, bool sign, bool w64)
{
    if (size < 3)
        v = sign ? (uint64_t)ir_sext_bits(v, 8u << size) : v & ((1ull << (8u << size)) - 1);
    return w64 ? v : (uint32_t)v;
}

/* ATOMIC_RMW on host memory; returns the old value (1 << size bytes, zero-extended).
 * Kinds the host has an instruction for use it; the rest are a compare-and-swap loop
 * around ir_eval_rmw, so the combining step is the shared definition. */
#define RMW_LOOP(T, IRT, SEXT_BITS)                                                                \
    do {                                                                                           \
        T *p = h, old = __atomic_load_n(p, __ATOMIC_RELAXED), nv;                                  \
        do {                                                                                       \
            uint64_t o = old, x = v;                                                               \
            if (SEXT_BITS && (k == IR_RMW_MIN || k == IR_RMW_MAX)) {                               \
                o = (uint64_t)ir_sext_bits(o, SEXT_BITS);                                          \
                x = (uint64_t)ir_sext_bits(x, SEXT_BITS);                                          \
            }                                                                                      \
            nv = (T)ir_eval_rmw(k, IRT, o, x);                                                     \
        } while (                                                                                  \
            !__atomic_compare_exchange_n(p, &old, nv, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));  \
        return old;                                                                                \
    } while (0)

#define RMW_FAST(T)                                                                                \
    do {                                                                                           \
        T *p = h;                                                                                  \
        switch (k) {                                                                               \
        case IR_RMW_XCHG: return __atomic_exchange_n(p, (T)v, __ATOMIC_SEQ_CST);                   \
        case IR_RMW_ADD: return __atomic_fetch_add(p, (T)v, __ATOMIC_SEQ_CST);                     \
        case IR_RMW_AND: return __atomic_fetch_and(p, (T)v, __ATOMIC_SEQ_CST);                     \
        case IR_RMW_OR: return __atomic_fetch_or(p, (T)v, __ATOMIC_SEQ_CST);                       \
        case IR_RMW_XOR: return __atomic_fetch_xor(p, (T)v, __ATOMIC_SEQ_CST);                     \
        default: break;                                                                            \
        }                                                                                          \
    } while (0)

static uint64_t interp_rmw(void *h, enum ir_rmw k, unsigned size, uint64_t v)
{
    switch (size) {
    case 0: RMW_FAST(uint8_t); RMW_LOOP(uint8_t, IR_I64, 8);
    case 1: RMW_FAST(uint16_t); RMW_LOOP(uint16_t, IR_I64, 16);
    case 2: RMW_FAST(uint32_t); RMW_LOOP(uint32_t, IR_I32, 0);
    default: RMW_FAST(uint64_t); RMW_LOOP(uint64_t, IR_I64, 0);
    }
}

/* clang-format off */
static uint64_t interp_cas(void *h, unsigned size, uint64_t expect, uint64_t nv)
{
    switch (size) {
    case 0: { uint8_t e = (uint8_t)expect; __atomic_compare_exchange_n((uint8_t *)h, &e, (uint8_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return e; }
    case 1: { uint16_t e = (uint16_t)expect; __atomic_compare_exchange_n((uint16_t *)h, &e, (uint16_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return e; }
    case 2: { uint32_t e = (uint32_t)expect; __atomic_compare_exchange_n((uint32_t *)h, &e, (uint32_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return e; }
    default: { uint64_t e = expect; __atomic_compare_exchange_n((uint64_t *)h, &e, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return e; }
    }
}

/* clang-format on */

/* ---- operand access ---- */
/* clang-format off */
#define OF(o) (*(u64a *)(fr + (o)))
#define OS(o) (*(u64a *)(st + (o)))
#define OI(o) (ip->imm)
#define NEXT                                                                                       \
    do {                                                                                           \
        ip++;                                                                                      \
        goto *ip->h;                                                                               \
    } while (0)
#define HOST(addr) ((void *)(mem_base + ((addr)&mem_mask)))
/* displacement of loads (b | c << 16) and stores (d | c << 16) */
#define DISP(lo) ((uint64_t)(int64_t)(int32_t)((uint32_t)(lo) | (uint32_t)ip->c << 16))

/* FP: imm = fpx | dbl << 32 | rm << 40 | pred << 48 (rm already resolved unless DYN) */
#define FP_X (ip->imm & 0xffffffffu)
#define FP_D ((ip->imm >> 32) & 1)
#define FP_PRED ((unsigned)(ip->imm >> 48) & 0xff)
#define FP_RM                                                                                      \
    ({                                                                                             \
        unsigned rm_ = (unsigned)(ip->imm >> 40) & 0xff;                                           \
        if (rm_ == IR_RM_DYN)                                                                      \
            rm_ = cpu->fp_rm > IR_RM_RMM ? IR_RM_RNE : cpu->fp_rm;                                 \
        rm_;                                                                                       \
    })

/* ---- handler bodies, one macro per family ---- */
#define B_SHAPE(name, expr, D, A, B)                                                               \
    L_##name:                                                                                      \
    D(ip->d) = expr(A(ip->a), B(ip->b));                                                           \
    NEXT;
#define B_SHAPES(p, expr)                                                                          \
    B_SHAPE(p##_FFF, expr, OF, OF, OF) B_SHAPE(p##_FFI, expr, OF, OF, OI)                          \
    B_SHAPE(p##_FFS, expr, OF, OF, OS) B_SHAPE(p##_FSF, expr, OF, OS, OF)                          \
    B_SHAPE(p##_FSI, expr, OF, OS, OI) B_SHAPE(p##_FSS, expr, OF, OS, OS)                          \
    B_SHAPE(p##_SFF, expr, OS, OF, OF) B_SHAPE(p##_SFI, expr, OS, OF, OI)                          \
    B_SHAPE(p##_SFS, expr, OS, OF, OS) B_SHAPE(p##_SSF, expr, OS, OS, OF)                          \
    B_SHAPE(p##_SSI, expr, OS, OS, OI) B_SHAPE(p##_SSS, expr, OS, OS, OS)

#define BR_SHAPE(name, expr, A, B)                                                                 \
    L_##name:                                                                                      \
    if (expr(A(ip->a), B(ip->b)))                                                                  \
        goto take_exit;                                                                            \
    NEXT;
#define BR_SHAPES(p, expr)                                                                         \
    BR_SHAPE(p##_FF, expr, OF, OF) BR_SHAPE(p##_FI, expr, OF, OI) BR_SHAPE(p##_FS, expr, OF, OS)   \
    BR_SHAPE(p##_SF, expr, OS, OF) BR_SHAPE(p##_SI, expr, OS, OI) BR_SHAPE(p##_SS, expr, OS, OS)

#define U_SHAPE(name, expr, D, A)                                                                  \
    L_##name:                                                                                      \
    D(ip->d) = expr(A(ip->a));                                                                     \
    NEXT;
#define U_SHAPES(p, expr)                                                                          \
    U_SHAPE(p##_FF, expr, OF, OF) U_SHAPE(p##_FS, expr, OF, OS) U_SHAPE(p##_SF, expr, OS, OF)      \
    U_SHAPE(p##_SS, expr, OS, OS)

#define LD_SHAPE(name, size, sign, w, D, A)                                                        \
    L_##name:                                                                                      \
    cpu->pc = ip->imm;                                                                             \
    D(ip->d) = mem_ld(HOST(A(ip->a) + DISP(ip->b)), size, sign, w);                                \
    NEXT;
#define LD_SHAPES(p, size, sign, w)                                                                \
    LD_SHAPE(p##_FF, size, sign, w, OF, OF) LD_SHAPE(p##_FS, size, sign, w, OF, OS)                \
    LD_SHAPE(p##_SF, size, sign, w, OS, OF) LD_SHAPE(p##_SS, size, sign, w, OS, OS)

#define ST_SHAPE(name, size, A, B)                                                                 \
    L_##name:                                                                                      \
    cpu->pc = ip->imm;                                                                             \
    mem_st(HOST(A(ip->a) + DISP(ip->d)), size, B(ip->b));                                          \
    NEXT;
#define ST_SHAPES(p, size)                                                                         \
    ST_SHAPE(p##_FF, size, OF, OF) ST_SHAPE(p##_FS, size, OF, OS) ST_SHAPE(p##_SF, size, OS, OF)   \
    ST_SHAPE(p##_SS, size, OS, OS)

/* system mode: through the TLB (tlb_load/tlb_store inline their one-compare fast path) */
#define TLD_SHAPE(name, size, sign, w, D, A)                                                       \
    L_##name:                                                                                      \
    cpu->pc = ip->imm;                                                                             \
    D(ip->d) = mem_ext(tlb_load(cpu, A(ip->a) + DISP(ip->b), size), size, sign, w == 64);          \
    NEXT;
#define TLD_SHAPES(p, size, sign, w)                                                               \
    TLD_SHAPE(p##_FF, size, sign, w, OF, OF) TLD_SHAPE(p##_FS, size, sign, w, OF, OS)              \
    TLD_SHAPE(p##_SF, size, sign, w, OS, OF) TLD_SHAPE(p##_SS, size, sign, w, OS, OS)
#define TST_SHAPE(name, size, A, B)                                                                \
    L_##name:                                                                                      \
    cpu->pc = ip->imm;                                                                             \
    tlb_store(cpu, A(ip->a) + DISP(ip->d), size, B(ip->b));                                        \
    NEXT;
#define TST_SHAPES(p, size)                                                                        \
    TST_SHAPE(p##_FF, size, OF, OF) TST_SHAPE(p##_FS, size, OF, OS)                                \
    TST_SHAPE(p##_SF, size, OS, OF) TST_SHAPE(p##_SS, size, OS, OS)

/* the per-family expansions over the op lists */
#define DO_BIN(H, op)                                                                              \
    B_SHAPES(op##_32, EVAL32_##op) B_SHAPES(op##_64, EVAL64_##op)
#define DO_WBIN(H, op) B_SHAPES(op##_W, EVALW_##op)
#define DO_SET(H, c) B_SHAPES(SET##c##_32, SET32_##c) B_SHAPES(SET##c##_64, SET64_##c)
#define DO_BR(H, c) BR_SHAPES(BR##c##_32, SET32_##c) BR_SHAPES(BR##c##_64, SET64_##c)
#define DO_UN(H, op) U_SHAPES(op##_32, UN32_##op) U_SHAPES(op##_64, UN64_##op)
#define DO_EXT(H, op, bits) U_SHAPES(op##bits##_32, EXT32_##op##bits) U_SHAPES(op##bits##_64, EXT64_##op##bits)
#define DO_LD(H, name, size, sign) LD_SHAPES(name##_32, size, sign, 32) LD_SHAPES(name##_64, size, sign, 64)
#define DO_ST(H, name, size) ST_SHAPES(name, size)
#define DO_TLD(H, name, size, sign)                                                                \
    TLD_SHAPES(T##name##_32, size, sign, 32) TLD_SHAPES(T##name##_64, size, sign, 64)
#define DO_TST(H, name, size) TST_SHAPES(T##name, size)

/* Evaluators with the op and type fixed, so each handler is a specialised copy. */
#define DEF_EVAL_BIN(H, op)                                                                        \
    static inline __attribute__((always_inline)) uint64_t EVAL32_##op(uint64_t a, uint64_t b)     \
    {                                                                                              \
        return ir_eval_binop(IR_##op, IR_I32, a, b);                                               \
    }                                                                                              \
    static inline __attribute__((always_inline)) uint64_t EVAL64_##op(uint64_t a, uint64_t b)     \
    {                                                                                              \
        return ir_eval_binop(IR_##op, IR_I64, a, b);                                               \
    }
#define DEF_EVAL_W(H, op)                                                                          \
    static inline __attribute__((always_inline)) uint64_t EVALW_##op(uint64_t a, uint64_t b)      \
    {                                                                                              \
        return ir_eval_unop(IR_SEXT, IR_I64, 32, ir_eval_binop(IR_##op, IR_I32, a, b));            \
    }
#define DEF_EVAL_SET(H, c)                                                                         \
    static inline __attribute__((always_inline)) uint64_t SET32_##c(uint64_t a, uint64_t b)       \
    {                                                                                              \
        return ir_eval_setcc(IR_##c, IR_I32, a, b);                                                \
    }                                                                                              \
    static inline __attribute__((always_inline)) uint64_t SET64_##c(uint64_t a, uint64_t b)       \
    {                                                                                              \
        return ir_eval_setcc(IR_##c, IR_I64, a, b);                                                \
    }
#define DEF_EVAL_UN(H, op)                                                                         \
    static inline __attribute__((always_inline)) uint64_t UN32_##op(uint64_t a)                   \
    {                                                                                              \
        return ir_eval_unop(IR_##op, IR_I32, 0, a);                                                \
    }                                                                                              \
    static inline __attribute__((always_inline)) uint64_t UN64_##op(uint64_t a)                   \
    {                                                                                              \
        return ir_eval_unop(IR_##op, IR_I64, 0, a);                                                \
    }
#define DEF_EVAL_EXT(H, op, bits)                                                                  \
    static inline __attribute__((always_inline)) uint64_t EXT32_##op##bits(uint64_t a)            \
    {                                                                                              \
        return ir_eval_unop(IR_##op, IR_I32, bits, a);                                             \
    }                                                                                              \
    static inline __attribute__((always_inline)) uint64_t EXT64_##op##bits(uint64_t a)            \
    {                                                                                              \
        return ir_eval_unop(IR_##op, IR_I64, bits, a);                                             \
    }
INTERP_BINOPS(DEF_EVAL_BIN, _)
INTERP_WOPS(DEF_EVAL_W, _)
INTERP_CONDS(DEF_EVAL_SET, _)
INTERP_UNOPS(DEF_EVAL_UN, _)
INTERP_EXTS(DEF_EVAL_EXT, _)

static inline __attribute__((always_inline)) uint64_t MOV(uint64_t a) { return a; }

/* clang-format on */

typedef uint64_t interp_helper_fn(struct cpu_common *, uint64_t, uint64_t, uint64_t);

#define LABEL_ADDR(n) [IH_##n] = &&L_##n,

int interp_exec(struct cpu_common *cpu, struct exec_ctx *ctx, struct tb *tb, bool chain,
                struct tb_exit **exit_out)
{
    static const void *const labels[IH_COUNT] = {INTERP_ALL(LABEL_ADDR)};
    if (!cpu) {
        interp_handlers = labels;
        return 0;
    }
    char *const fr = (char *)ctx->frame;
    char *const st = (char *)cpu;
    const uintptr_t mem_base = cpu->mem_base;
    const uint64_t mem_mask = cpu->mem_mask;
    const struct iop *ip;

enter:
    if (__builtin_expect(__atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED) != 0, 0)) {
        cpu->pc = tb->pc;
        return INTERP_REQUEST;
    }
    ip = tb->code;
    goto * ip->h;

take_exit : {
    /* EXIT_IF taken or GOTO: the exit slot is at ip + d * 8, c = guest insns done. A
     * chained target needs no validity check: retiring a block clears every slot leading
     * to it first. */
    struct tb_exit *e = (struct tb_exit *)((char *)ip + (size_t)ip->d * 8);
    struct tb *n = atomic_load_explicit(&e->next, memory_order_acquire);
    cpu->icount += ip->c;
    if (__builtin_expect(n != NULL, 1) && n->tb_flags == cpu->tb_flags) {
        tb = n;
        goto enter;
    }
    cpu->pc = e->pc;
    *exit_out = e;
    return INTERP_LOOKUP;
}

    /* ---- shaped families ---- */
    /* clang-format off */
    U_SHAPES(MOV64, MOV)
    INTERP_BINOPS(DO_BIN, _)
    INTERP_WOPS(DO_WBIN, _)
    INTERP_CONDS(DO_SET, _)
    INTERP_CONDS(DO_BR, _)
    INTERP_UNOPS(DO_UN, _)
    INTERP_EXTS(DO_EXT, _)
    INTERP_LOADS(DO_LD, _)
    INTERP_STORES(DO_ST, _)
    INTERP_LOADS(DO_TLD, _)
    INTERP_STORES(DO_TST, _)

    /* clang-format on */

    /* ---- the rest ---- */
L_CONST_F:
    OF(ip->d) = ip->imm;
    NEXT;
L_CONST_S:
    OS(ip->d) = ip->imm;
    NEXT;
L_GET32:
    OF(ip->d) = *(u32a *)(st + ip->a);
    NEXT;
L_PUT32:
    *(u32a *)(st + ip->d) = (uint32_t)OF(ip->a);
    NEXT;
L_SETPC:
    cpu->pc = ip->imm;
    NEXT;
L_EXT_GEN: /* SEXT/ZEXT with an unusual width: b = op, c = bits, imm = type */
    OF(ip->d) = ir_eval_unop((enum ir_opcode)ip->b, (enum ir_type)ip->imm, ip->c, OF(ip->a));
    NEXT;
L_EXTRACT: /* b = type, c = sign */
    OF(ip->d) = ir_eval_extract((enum ir_type)ip->b, ip->imm, ip->c != 0, OF(ip->a));
    NEXT;
L_DEPOSIT: /* c = type */
    OF(ip->d) = ir_eval_deposit((enum ir_type)ip->c, ip->imm, OF(ip->a), OF(ip->b));
    NEXT;
L_SELECT:
    OF(ip->d) = OF(ip->a) ? OF(ip->b) : OF(ip->c);
    NEXT;

L_LD_ORD : { /* c = size | sign << 2 | order << 3 | w64 << 5 | align << 6 */
    unsigned m = ip->c, size = m & 3, order = (m >> 3) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    if ((m & 64) && (addr & ((1u << size) - 1))) cpu_exit_exception(cpu, CPU_EXCP_BUS_ADRALN, addr);
    void *h = HOST(addr);
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t v = mem_ld(h, size, false, 64);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_ACQUIRE);
    OF(ip->d) = mem_ext(v, size, (m >> 2) & 1, (m >> 5) & 1);
    NEXT;
}
L_ST_ORD : { /* c = size | order << 3 | align << 6 */
    unsigned m = ip->c, size = m & 3, order = (m >> 3) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    if ((m & 64) && (addr & ((1u << size) - 1))) cpu_exit_exception(cpu, CPU_EXCP_BUS_ADRALN, addr);
    void *h = HOST(addr);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_RELEASE);
    mem_st(h, size, OF(ip->b));
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    NEXT;
}
L_RMW : { /* c = kind | size << 4 | sign << 6 | align << 7 | w64 << 8; imm = pc */
    unsigned m = ip->c, size = (m >> 4) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    if ((m & 0x80) && (addr & ((1u << size) - 1)))
        cpu_exit_exception(cpu, CPU_EXCP_BUS_ADRALN, addr);
    uint64_t old = interp_rmw(HOST(addr), (enum ir_rmw)(m & 15), size, OF(ip->b));
    OF(ip->d) = mem_ext(old, size, (m >> 6) & 1, (m >> 8) & 1);
    NEXT;
}
L_CAS : { /* b = expected, c = new value; imm = size | sign << 2 | align << 3 | w64 << 4 */
    unsigned m = (unsigned)ip->imm, size = m & 3;
    uint64_t addr = OF(ip->a);
    if ((m & 8) && (addr & ((1u << size) - 1))) cpu_exit_exception(cpu, CPU_EXCP_BUS_ADRALN, addr);
    uint64_t old = interp_cas(HOST(addr), size, OF(ip->b), OF(ip->c));
    OF(ip->d) = mem_ext(old, size, (m >> 2) & 1, (m >> 4) & 1);
    NEXT;
}
L_TLD_ORD : { /* as LD_ORD, through the TLB */
    unsigned m = ip->c, size = m & 3, order = (m >> 3) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    if (m & 64) tlb_check_align(cpu, addr, size, TLB_LOAD);
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t v = tlb_load(cpu, addr, size);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_ACQUIRE);
    OF(ip->d) = mem_ext(v, size, (m >> 2) & 1, (m >> 5) & 1);
    NEXT;
}
L_TST_ORD : {
    unsigned m = ip->c, size = m & 3, order = (m >> 3) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    if (m & 64) tlb_check_align(cpu, addr, size, TLB_STORE);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_RELEASE);
    tlb_store(cpu, addr, size, OF(ip->b));
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    NEXT;
}
L_TRMW : { /* as RMW; the TLB checks alignment and that the page is writable RAM */
    unsigned m = ip->c, size = (m >> 4) & 3;
    uint64_t addr = OF(ip->a);
    cpu->pc = ip->imm;
    uint64_t old =
        interp_rmw(tlb_atomic_host(cpu, addr, size), (enum ir_rmw)(m & 15), size, OF(ip->b));
    OF(ip->d) = mem_ext(old, size, (m >> 6) & 1, (m >> 8) & 1);
    NEXT;
}
L_TCAS : {
    unsigned m = (unsigned)ip->imm, size = m & 3;
    uint64_t old = interp_cas(tlb_atomic_host(cpu, OF(ip->a), size), size, OF(ip->b), OF(ip->c));
    OF(ip->d) = mem_ext(old, size, (m >> 2) & 1, (m >> 4) & 1);
    NEXT;
}
L_FENCE:
    /* Only store->load ordering needs a real fence on TSO hosts; the rest must still stop
     * the compiler (and weaker hosts) from reordering. */
    if (ip->c & IR_FENCE_WR)
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    else
        __atomic_thread_fence(__ATOMIC_ACQ_REL);
    NEXT;

L_FADD:
    OF(ip->d) = fpu_add(FP_D, FP_RM, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FSUB:
    OF(ip->d) = fpu_sub(FP_D, FP_RM, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FMUL:
    OF(ip->d) = fpu_mul(FP_D, FP_RM, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FDIV:
    OF(ip->d) = fpu_div(FP_D, FP_RM, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FSQRT:
    OF(ip->d) = fpu_sqrt(FP_D, FP_RM, FP_X, OF(ip->a), &cpu->fp_flags);
    NEXT;
L_FMA:
    OF(ip->d) = fpu_fma(FP_D, FP_RM, FP_X, OF(ip->a), OF(ip->b), OF(ip->c), &cpu->fp_flags);
    NEXT;
L_FMIN:
    OF(ip->d) = fpu_min(FP_D, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FMAX:
    OF(ip->d) = fpu_max(FP_D, FP_X, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_FCMP:
    OF(ip->d) = fpu_cmp(FP_D, FP_PRED, OF(ip->a), OF(ip->b), &cpu->fp_flags);
    NEXT;
L_F2I:
    OF(ip->d) = fpu_f2i(FP_D, FP_RM, FP_X, OF(ip->a), &cpu->fp_flags);
    NEXT;
L_I2F:
    OF(ip->d) = fpu_i2f(FP_D, FP_RM, FP_X, OF(ip->a), &cpu->fp_flags);
    NEXT;
L_F2F:
    OF(ip->d) = fpu_f2f(FP_D, FP_RM, FP_X, OF(ip->a), &cpu->fp_flags);
    NEXT;

L_CALL:
    OF(ip->d) = ((interp_helper_fn *)(uintptr_t)ip->imm)(cpu, OF(ip->a), OF(ip->b), OF(ip->c));
    NEXT;

L_BRNZ_F:
    if (OF(ip->a)) goto take_exit;
    NEXT;
L_BRNZ_S:
    if (OS(ip->a)) goto take_exit;
    NEXT;
L_GOTO:
    goto take_exit;
L_GOTO_IND : { /* c = guest insns done */
    uint64_t pc = OF(ip->a);
    cpu->pc = pc;
    cpu->icount += ip->c;
    if (chain) {
        struct tb *n = atomic_load_explicit(&ctx->jc[exec_jc_index(pc)], memory_order_acquire);
        if (n && n->pc == pc && n->tb_flags == cpu->tb_flags) {
            tb = n;
            goto enter;
        }
    }
    *exit_out = NULL;
    return INTERP_LOOKUP;
}
L_EXIT: /* b = reason, c = guest insns done */
    cpu->pc = ip->imm;
    cpu->icount += ip->c;
    return ip->b;
}

void interp_init(void)
{
    if (!interp_handlers) interp_exec(NULL, NULL, NULL, false, NULL);
}
