/*
 * Runtime helpers generated code calls, with the helper ABI fn(cpu, a0, a1, a2[, a3]):
 * FP ops (src/fpu with the op's rounding mode and behaviour bits), system-mode memory
 * through the SoftMMU TLB, and the rare integer cases the backend leaves to C.
 *
 * Invariants: semantics are exactly the interpreter's (the same fpu_* calls, the same
 * mem/tlb.h paths, the same extension rules), so check mode compares like with like.
 * Helpers that may fault rely on the caller having stored cpu->pc.
 */
#include "core/cpu.h"
#include "exec/jit/jit.h"
#include "fpu/fpu.h"
#include "ir/ir_eval.h"
#include "mem/tlb.h"

#define PK_DBL(pk) ((bool)((pk)&1))
#define PK_FPX(pk) ((pk) >> 32)
#define PK_PRED(pk) ((unsigned)((pk) >> 4) & 0xf)

static inline unsigned pk_rm(const struct cpu_common *c, uint64_t pk)
{
    unsigned rm = (unsigned)(pk >> 1) & 7;
    if (rm == IR_RM_DYN) rm = c->fp_rm > IR_RM_RMM ? IR_RM_RNE : c->fp_rm;
    return rm;
}

static uint64_t rt_fadd(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_add(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fsub(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_sub(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fmul(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_mul(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fdiv(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_div(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fsqrt(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_sqrt(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, &c->fp_flags);
}
static uint64_t rt_fmin(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_min(PK_DBL(pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fmax(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_max(PK_DBL(pk), PK_FPX(pk), a, b, &c->fp_flags);
}
static uint64_t rt_fcmp(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_cmp(PK_DBL(pk), PK_PRED(pk), a, b, &c->fp_flags);
}
static uint64_t rt_f2i(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_f2i(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, &c->fp_flags);
}
static uint64_t rt_i2f(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_i2f(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, &c->fp_flags);
}
static uint64_t rt_f2f(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t pk)
{
    return fpu_f2f(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, &c->fp_flags);
}
static uint64_t rt_fma(struct cpu_common *c, uint64_t a, uint64_t b, uint64_t cc, uint64_t pk)
{
    return fpu_fma(PK_DBL(pk), pk_rm(c, pk), PK_FPX(pk), a, b, cc, &c->fp_flags);
}

const void *const jit_rt_fp_fn[IR_NUM_OPS] = {
    [IR_FADD] = (const void *)rt_fadd,      [IR_FSUB] = (const void *)rt_fsub,
    [IR_FMUL] = (const void *)rt_fmul,      [IR_FDIV] = (const void *)rt_fdiv,
    [IR_FSQRT] = (const void *)rt_fsqrt,    [IR_FMA] = (const void *)rt_fma,
    [IR_FMIN] = (const void *)rt_fmin,      [IR_FMAX] = (const void *)rt_fmax,
    [IR_FCMP] = (const void *)rt_fcmp,      [IR_FCVT_F2I] = (const void *)rt_f2i,
    [IR_FCVT_I2F] = (const void *)rt_i2f,   [IR_FCVT_F2F] = (const void *)rt_f2f,
};

void jit_fp_harvest(struct cpu_common *c)
{
#if defined(__x86_64__)
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    unsigned s = mx & 0x3d;
    if (!s) return;
    c->fp_flags |= ((s & 1) ? IR_FPF_NV : 0) | ((s & 4) ? IR_FPF_DZ : 0) | ((s & 8) ? IR_FPF_OF : 0) |
                   ((s & 16) ? IR_FPF_UF : 0) | ((s & 32) ? IR_FPF_NX : 0);
    mx &= ~0x3fu;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
#else
    (void)c;
#endif
}

uint64_t jit_rt_popcnt(struct cpu_common *c, uint64_t a, uint64_t w64, uint64_t d)
{
    return (uint64_t)__builtin_popcountll(w64 ? a : (uint32_t)a);
}

uint64_t jit_rt_misaligned(struct cpu_common *c, uint64_t addr, uint64_t b, uint64_t d)
{
    cpu_exit_exception(c, CPU_EXCP_BUS_ADRALN, addr);
}

/* ---- system mode: the interpreter's T* handlers, as calls ---- */

static inline uint64_t ext(uint64_t v, unsigned size, bool sign, bool w64)
{
    if (size < 3)
        v = sign ? (uint64_t)ir_sext_bits(v, 8u << size) : v & ((1ull << (8u << size)) - 1);
    return w64 ? v : (uint32_t)v;
}

uint64_t jit_rt_tlb_ld(struct cpu_common *c, uint64_t addr, uint64_t m, uint64_t d)
{
    unsigned size = m & 3, order = (m >> 4) & 3;
    if (m & 64) tlb_check_align(c, addr, size, TLB_LOAD);
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t v = tlb_load(c, addr, size);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return ext(v, size, (m >> 2) & 1, (m >> 3) & 1);
}

uint64_t jit_rt_tlb_st(struct cpu_common *c, uint64_t addr, uint64_t v, uint64_t m)
{
    unsigned size = m & 3, order = (m >> 4) & 3;
    if (m & 64) tlb_check_align(c, addr, size, TLB_STORE);
    if (order != IR_ORD_PLAIN) __atomic_thread_fence(__ATOMIC_RELEASE);
    tlb_store(c, addr, size, v);
    if (order == IR_ORD_SEQ) __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return 0;
}

#define RT_RMW(T)                                                                                 \
    do {                                                                                          \
        T *p = h, old = __atomic_load_n(p, __ATOMIC_RELAXED), nv;                                 \
        do {                                                                                      \
            uint64_t o = old, x = v;                                                              \
            if (sizeof(T) < 4 && (k == IR_RMW_MIN || k == IR_RMW_MAX)) {                          \
                o = (uint64_t)ir_sext_bits(o, 8 * sizeof(T));                                     \
                x = (uint64_t)ir_sext_bits(x, 8 * sizeof(T));                                     \
            } else if (sizeof(T) < 4) { /* compare at the access size, as inline code does */    \
                x = (T)x;                                                                         \
            }                                                                                     \
            nv = (T)ir_eval_rmw(k, sizeof(T) == 4 ? IR_I32 : IR_I64, o, x);                       \
        } while (                                                                                 \
            !__atomic_compare_exchange_n(p, &old, nv, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)); \
        r = old;                                                                                  \
    } while (0)

uint64_t jit_rt_tlb_rmw(struct cpu_common *c, uint64_t addr, uint64_t v, uint64_t m)
{
    unsigned size = m & 3;
    enum ir_rmw k = (enum ir_rmw)((m >> 8) & 15);
    void *h = tlb_atomic_host(c, addr, size);
    uint64_t r;
    switch (size) {
    case 0: RT_RMW(uint8_t); break;
    case 1: RT_RMW(uint16_t); break;
    case 2: RT_RMW(uint32_t); break;
    default: RT_RMW(uint64_t); break;
    }
    return ext(r, size, (m >> 2) & 1, (m >> 3) & 1);
}

uint64_t jit_rt_tlb_cas(struct cpu_common *c, uint64_t addr, uint64_t expect, uint64_t nv,
                        uint64_t m)
{
    unsigned size = m & 3;
    void *h = tlb_atomic_host(c, addr, size);
    uint64_t r;
    switch (size) {
    case 0: {
        uint8_t e = (uint8_t)expect;
        __atomic_compare_exchange_n((uint8_t *)h, &e, (uint8_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        r = e;
        break;
    }
    case 1: {
        uint16_t e = (uint16_t)expect;
        __atomic_compare_exchange_n((uint16_t *)h, &e, (uint16_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        r = e;
        break;
    }
    case 2: {
        uint32_t e = (uint32_t)expect;
        __atomic_compare_exchange_n((uint32_t *)h, &e, (uint32_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        r = e;
        break;
    }
    default: {
        uint64_t e = expect;
        __atomic_compare_exchange_n((uint64_t *)h, &e, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        r = e;
        break;
    }
    }
    return ext(r, size, (m >> 2) & 1, (m >> 3) & 1);
}
