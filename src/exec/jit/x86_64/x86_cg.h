/*
 * The x86-64 backend's code-generation context, shared by the register allocator
 * (x86_ra.c), the op emitters (x86_gen.c) and the host glue (x86_host.c).
 *
 * Register model (System V ABI host):
 *   rbp  the guest CPU struct (GET/PUT are [rbp + offset])
 *   r15  mem_base, r14 mem_mask (user mode; allocatable in system mode)
 *   rsp  16-byte aligned at calls; [rsp + 8k] are spill slots
 *   the rest are allocated to IR values, with Belady (furthest next use) eviction over
 *   the block's straight-line code.
 *
 * Value locations (any combination at once): a host register; an xmm register (values
 * inline FP produced or consumed); a spill slot; a guest state field that still holds it
 * (a GET not overwritten since, or a PUT's source); or a constant. The allocator keeps every value with a later use in at least one of them.
 */
#ifndef OMNIVM_EXEC_JIT_X86_CG_H
#define OMNIVM_EXEC_JIT_X86_CG_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/jit/jit.h"
#include "exec/jit/x86_64/x86_emit.h"
#include "ir/ir.h"

#define CG_NSLOTS 200u        /* spill slots */
#define CG_FRAME (8u * CG_NSLOTS + 8u) /* rsp adjustment in the prologue: 16-aligned calls */

#define RM(r) (1u << (r))
#define CG_CALLER (RM(X_RAX) | RM(X_RCX) | RM(X_RDX) | RM(X_RSI) | RM(X_RDI) | RM(X_R8) | \
                   RM(X_R9) | RM(X_R10) | RM(X_R11))
#define CG_ALLOC_USER (CG_CALLER | RM(X_RBX) | RM(X_R12) | RM(X_R13))
#define CG_ALLOC_SYS (CG_ALLOC_USER | RM(X_R14) | RM(X_R15))
#define CG_REG_BASE X_RBP
#define CG_REG_MEMBASE X_R15
#define CG_REG_MEMMASK X_R14
/* registers for masked bases and pinned guest registers: never argument or result
 * registers of the helper ABI, so calls only need the caller-saved ones put back */
#define CG_MAX_PIN 5

enum { VK_NONE, VK_NORMAL, VK_CONST };

struct cgv {
    int8_t reg;     /* host register, or -1 */
    uint8_t kind;   /* VK_* */
    uint8_t w64;    /* 64-bit type */
    int8_t xreg;    /* xmm register holding it (FP values from inline SSE), or -1; the low
                       32 bits only for 32-bit values */
    int16_t slot;   /* spill slot, or -1 */
    int32_t mem;    /* guest-state offset that holds the value, or -1 */
    uint32_t uc, ue; /* cursor and end of its uses in cg.use_pos */
    uint64_t k;     /* constant value (VK_CONST) */
};

/* per insn, after fusion: the operands actually read and how */
struct cgi {
    ir_val a[4];
    uint8_t n;
    uint8_t skip;     /* emits nothing (dead, or fused into its consumer) */
    uint8_t imm1;     /* a[1] is a constant used as an immediate (not a use) */
    uint8_t fused;    /* EXIT_IF/SELECT that does its SETCC's compare (cond, w64 below) */
    uint8_t cond;
    uint8_t cw64;
    int32_t disp;     /* LOAD/STORE: constant added to a[0] */
};

enum { STUB_EXIT, STUB_REQ, STUB_MISALIGN, STUB_CONST, STUB_CALL };
struct cg_stub {
    uint8_t kind;
    int8_t reg;       /* STUB_MISALIGN: the address register; CONST/CALL: the result's */
    uint8_t nargs;    /* STUB_CALL: argument registers in args[] */
    uint8_t setpc;    /* STUB_CALL: store the guest pc (pcv) first */
    uint8_t has_imm;  /* STUB_CALL: pass `pc` as one more argument after args[] */
    int8_t xres;      /* STUB_CALL/CONST: the result goes to this xmm register (else reg) */
    uint8_t wide;     /* STUB_CALL: xmm arguments/result are 64-bit (else 32) */
    uint64_t pcv;
    int8_t args[4];   /* STUB_CALL: GPRs, or 16 + an xmm register */
    uint32_t from;    /* rel32 field (in main code) to point at the stub */
    uint32_t exit;    /* exit index */
    uint32_t ninsn;   /* guest insns done at the exit */
    uint32_t back;    /* CONST/CALL: where to continue */
    uint64_t pc;      /* exits: target; CONST: the constant; CALL: the last argument */
    const void *fn;   /* STUB_CALL */
};

/* Arrays a compile needs, kept per thread across compiles (no allocation per block). */
struct cg_scratch {
    struct cgv *v;
    struct cgi *in;
    int32_t *def;
    uint32_t *cnt, *use_pos;
    size_t cap_v, cap_in, cap_use;
    void *sb, *stubs, *map; /* grown by the compile that needs more; kept */
    uint32_t cap_sb, cap_stubs, cap_map;
};

struct cg {
    const struct jit_req *req;
    const struct ir_block *b;
    struct xb xb;
    int err;
    uint32_t cur;           /* index of the insn being emitted */
    uint64_t cur_pc;
    uint32_t ninsn;         /* INSN_STARTs so far */
    uint32_t n_exits;
    uint32_t alloc_mask;    /* allocatable registers */
    bool bmi1, bmi2, lzcnt, popcnt, fma;
    bool dyn_checked;       /* the block entry checked fp_rm == RNE (no per-op checks) */
    /* user mode: guest registers used as the base of several accesses, masked once at
     * entry (checked so that base + displacement never leaves the guest space): their
     * accesses are [r15 + reg + disp] */
    struct { ir_val v; int8_t reg; bool per_iter; int32_t dmin, dmax; uint32_t n; int32_t off; } mb[3];
    unsigned n_mb;
    /* user-mode loop blocks (an exit back to the block's own start): guest registers kept
     * in host registers for the whole block, loaded at entry and stored on every way out
     * (exits, stubs, helpers that read state; faults via jit_host_fault). With `loop`,
     * back edges jump to loop_head instead of leaving. */
    struct { int32_t off; int8_t reg; bool dirty; } pin[CG_MAX_PIN];
    unsigned n_pin;
    bool loop;
    uint32_t loop_head;
    uint32_t merged[7];     /* stores the current one also did (gen_store_merged) */
    unsigned n_merged;

    struct cgv *v;
    struct cgi *in;
    uint32_t *use_pos;
    int32_t *def;           /* defining insn of each value */
    uint32_t *cnt;          /* scratch: use counts */

    ir_val reg_val[16];
    uint32_t locked;
    ir_val xreg_val[16];    /* xmm0-2 are scratch, xmm3-15 hold values */
    uint32_t xlocked;
    uint8_t slot_used[CG_NSLOTS];

    /* values a guest-state field currently holds (GETs not yet loaded, PUT sources) */
    struct { int32_t off; uint8_t width; ir_val v; } *sb;
    uint32_t n_sb, cap_sb;

    struct cg_stub *stubs;
    uint32_t n_stubs, cap_stubs;
    struct jit_pcmap *map;
    uint32_t n_map, cap_map;
};

/* host features (x86_host.c) */
extern bool x86_has_bmi1, x86_has_bmi2, x86_has_lzcnt, x86_has_popcnt, x86_has_fma;
void x86_detect(void);
void x86_set_features(bool bmi1, bool bmi2, bool lzcnt, bool popcnt); /* tests */

/* ---- register allocator (x86_ra.c) ---- */
int cg_analyse(struct cg *c);
void ra_begin(struct cg *c, uint32_t i);      /* lock the operands already in registers */
void ra_end(struct cg *c, uint32_t i, ir_val dst);
int ra_alloc(struct cg *c, uint32_t allowed); /* an empty register, locked */
int ra_use(struct cg *c, ir_val v, uint32_t allowed);
void ra_take(struct cg *c, int r);            /* empty r for use as scratch (locked) */
int ra_reuse(struct cg *c, ir_val v);         /* v's register if v dies here (it becomes
                                                 the result's), else -1 */
void ra_bind(struct cg *c, ir_val v, int r);
bool ra_dies(struct cg *c, ir_val v);         /* no use after the current insn */
void ra_load_into(struct cg *c, int r, ir_val v); /* copy v into r (no binding change) */
void ra_state_write(struct cg *c, int32_t off, unsigned width); /* before writing state */
void ra_state_add(struct cg *c, ir_val v, int32_t off, unsigned width);
void ra_state_clobber_all(struct cg *c);      /* before a helper that may write state */
void ra_before_call(struct cg *c);            /* free caller-saved registers */
void ra_parallel_move(struct cg *c, const int *dst, const ir_val *src, const uint64_t *imm,
                      unsigned n);            /* src 0: load imm */
int ra_xalloc(struct cg *c);                  /* an empty xmm register, locked */
int ra_xuse(struct cg *c, ir_val v);          /* v in an xmm register, locked */
int ra_xreuse(struct cg *c, ir_val v);        /* v's xmm register if v dies here */
void ra_xbind(struct cg *c, ir_val v, int x);
void ra_forget_xmm(struct cg *c);             /* after a call: xmm registers are gone */

int ra_use_ro(struct cg *c, ir_val v);        /* like ra_use for an operand only read: may
                                                 answer a pinned register (not allocatable) */
void cg_state_load(struct cg *c, int r, int32_t off, bool w64); /* r = the field */

static inline struct cgv *cgv(struct cg *c, ir_val v) { return &c->v[v]; }
/* the host register pinning the guest field at off, or -1 */
static inline int cg_pin(const struct cg *c, int32_t off)
{
    for (unsigned k = 0; k < c->n_pin; k++)
        if (c->pin[k].off == off) return c->pin[k].reg;
    return -1;
}
static inline bool cg_is_const(struct cg *c, ir_val v) { return v && c->v[v].kind == VK_CONST; }

#endif
