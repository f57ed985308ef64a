/*
 * The unified IR: what every guest frontend produces and every engine executes.
 *
 * A block is a linear array of insns over typed values. Each value is defined by
 * exactly one insn in the block (single assignment), before any use. Guest state is
 * reached only through GET/PUT at fixed byte offsets of the guest CPU struct, through
 * helpers that declare IR_HELPER_STATE, or at exits, so the optimiser can forward and
 * drop accesses. Every insn that may fault or leave the block (IRF_FAULT, IRF_EXIT)
 * requires guest state to be exact at that point: PUTs before it may not be dropped
 * or sunk below it. The last insn is a terminator (IRF_TERM).
 *
 * Slot representation shared by all engines: every value lives in 64 bits; I32 and F32
 * values are zero-extended bit patterns.
 */
#ifndef OMNIVM_IR_H
#define OMNIVM_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/ir_ops.h"

enum ir_type { IR_I32, IR_I64, IR_F32, IR_F64, IR_NUM_TYPES };

/* A value id. 0 means "no value"; ids are dense from 1 within a block. */
typedef uint32_t ir_val;
#define IR_NOVAL 0u

/* SETCC conditions (insn.aux). */
enum ir_cond {
    IR_EQ, IR_NE,
    IR_LT, IR_GE, IR_LE, IR_GT,         /* signed */
    IR_LTU, IR_GEU, IR_LEU, IR_GTU,     /* unsigned */
    IR_NUM_CONDS
};
/* the condition that holds exactly when c does not (the pairs above differ in bit 0) */
static inline enum ir_cond ir_cond_invert(enum ir_cond c) { return (enum ir_cond)(c ^ 1); }

/* Memory op description (insn.mem). */
enum ir_order { IR_ORD_PLAIN, IR_ORD_ACQ, IR_ORD_REL, IR_ORD_SEQ };
struct ir_memop {
    uint8_t size;    /* log2 bytes: 0..3 */
    uint8_t sign;    /* loads: sign-extend to the dst type */
    uint8_t order;   /* enum ir_order */
    uint8_t align;   /* 1: a misaligned address raises an alignment fault (atomics) */
};

/* ATOMIC_RMW kinds (insn.aux). */
enum ir_rmw { IR_RMW_XCHG, IR_RMW_ADD, IR_RMW_AND, IR_RMW_OR, IR_RMW_XOR,
              IR_RMW_MIN, IR_RMW_MAX, IR_RMW_MINU, IR_RMW_MAXU, IR_NUM_RMW };

/* FENCE kinds (insn.aux bits): which earlier accesses are ordered before which later ones. */
#define IR_FENCE_RR 0x01u
#define IR_FENCE_RW 0x02u
#define IR_FENCE_WR 0x04u
#define IR_FENCE_WW 0x08u
#define IR_FENCE_ALL 0x0fu

/* FP rounding modes (insn.aux). DYN reads cpu_common.fp_rm (one of the first five). */
enum ir_rm { IR_RM_RNE, IR_RM_RTZ, IR_RM_RDN, IR_RM_RUP, IR_RM_RMM, IR_RM_DYN = 7 };

/* IEEE exception flags as accumulated in cpu_common.fp_flags (RISC-V fflags order). */
#define IR_FPF_NX 0x01u /* inexact */
#define IR_FPF_UF 0x02u /* underflow */
#define IR_FPF_OF 0x04u /* overflow */
#define IR_FPF_DZ 0x08u /* divide by zero */
#define IR_FPF_NV 0x10u /* invalid */
#define IR_FPF_DE 0x20u /* x86 only: denormal operand */

/* FP behaviour bits (insn.imm of FP ops). NaN policy: what a NaN result looks like. */
#define IR_FPX_NAN_MASK 0x3u
#define IR_FPX_NAN_DEFAULT 0x0u   /* canonical quiet NaN (RISC-V; AArch64 with FPCR.DN) */
#define IR_FPX_NAN_ARM 0x1u       /* propagate first sNaN, then first qNaN, quietened */
#define IR_FPX_NAN_X86 0x2u       /* propagate first NaN operand, quietened; default -qNaN */
#define IR_FPX_NEG_PROD 0x4u      /* FMA: negate the product */
#define IR_FPX_NEG_ADDEND 0x8u    /* FMA: negate the addend */
#define IR_FPX_SIGNED 0x10u       /* FCVT: the integer side is signed */
#define IR_FPX_W32 0x20u          /* FCVT: the integer side is 32 bits wide */
#define IR_FPX_SAT_RISCV 0x000u   /* F2I out of range: saturate, NaN -> max */
#define IR_FPX_SAT_ARM 0x040u     /* F2I out of range: saturate, NaN -> 0 */
#define IR_FPX_SAT_X86 0x080u     /* F2I out of range: integer indefinite (MIN) */
#define IR_FPX_SAT_MASK 0x0c0u
#define IR_FPX_MIN_2019 0x000u    /* FMIN/FMAX: IEEE 754-2019 minimumNumber (RISC-V, ARM NM) */
#define IR_FPX_MIN_ARM 0x100u     /* FMIN/FMAX: NaN-propagating (AArch64 FMIN/FMAX) */
#define IR_FPX_MIN_X86 0x200u     /* FMIN/FMAX: arg1 if unordered or both zero (SSE) */
#define IR_FPX_MIN_MASK 0x300u
#define IR_FPX_FTZ 0x400u         /* flush denormal inputs/outputs to zero (ARM FZ, x86 FTZ/DAZ) */

/* FCMP predicates (insn.aux). Signalling ones raise NV on any NaN, quiet ones on sNaN. */
enum ir_fcmp {
    IR_FCMP_EQ,   /* quiet ==, 0/1 */
    IR_FCMP_LT,   /* signalling <, 0/1 */
    IR_FCMP_LE,   /* signalling <=, 0/1 */
    IR_FCMP_UN,   /* quiet unordered, 0/1 */
    IR_FCMP_REL_Q, /* quiet relation: 0 equal, 1 less, 2 greater, 3 unordered */
    IR_FCMP_REL_S, /* the same, signalling */
};

/* EXIT reasons (insn.aux); the run loop hands them to the guest's handler. */
enum ir_exit {
    IR_EXIT_SYSCALL,   /* ecall / svc / syscall: pc imm is the instruction */
    IR_EXIT_EXCEPTION, /* raise: cpu_common.excp set by the frontend's helper, pc imm */
    IR_EXIT_ILLEGAL,   /* undecodable or illegal instruction at pc imm */
    IR_EXIT_BREAK,     /* breakpoint instruction at pc imm */
    IR_EXIT_HALT,      /* wfi / hlt: resume at pc imm once an interrupt is pending */
    IR_EXIT_FLUSH,     /* translation state changed (fence.i, satp, ...): resume at pc imm */
    IR_NUM_EXITS
};

/* A C function called from IR. Called as fn(cpu, a0, a1, a2) -> uint64_t. */
#define IR_HELPER_FAULT 0x1u  /* may raise a guest exception (longjmp to the run loop) */
#define IR_HELPER_STATE 0x2u  /* reads or writes guest state: GET/PUT forwarding stops here */
#define IR_HELPER_PURE 0x4u   /* result depends only on args, no effects: may be dropped/CSE'd */
#define IR_HELPER_FP 0x8u     /* reads fp_rm / writes fp_flags */
#define IR_HELPER_VOLATILE 0x10u /* two calls may return different values (clocks): the
                                    JIT's check mode does not compare blocks calling it */
#define IR_HELPER_RM_CHECK 0x20u /* does nothing and returns 0 while cpu_common.fp_rm is a
                                    valid mode (<= IR_RM_RMM): engines may skip the call */
struct ir_helper {
    const char *name;
    void *fn;
    uint32_t flags;
};

struct ir_insn {
    uint16_t op;     /* enum ir_opcode */
    uint8_t type;    /* enum ir_type */
    uint8_t aux;
    ir_val dst;
    ir_val arg[3];
    struct ir_memop mem;
    uint64_t imm;
};

struct ir_opinfo {
    const char *name;
    uint8_t nargs;
    uint8_t has_dst;
    uint8_t flags;
};
extern const struct ir_opinfo ir_opinfo[IR_NUM_OPS];

/* A block under construction or translated. Owns its arrays. */
struct ir_block {
    uint64_t pc;          /* guest pc of the first instruction */
    uint32_t tb_flags;    /* translation mode key from the frontend */
    uint32_t guest_size;  /* bytes of guest code covered */
    uint32_t n_guest;     /* guest instructions */
    struct ir_insn *insn;
    uint32_t n_insn, cap_insn;
    uint8_t *vtype;       /* type of each value, indexed by ir_val */
    uint32_t n_val, cap_val; /* ids 1..n_val-1 are in use; n_val starts at 1 */
    bool oom;             /* an allocation failed; the block must be discarded */
    uint32_t xlate;       /* IR_XLATE_* options for the frontend, set by the engine before
                             translating (ir_block_reset leaves it alone; init clears it) */
    /* TRACE: which way the conditional branch ending the block at block_pc went while it
     * ran through the engine's run loop: 1 mostly to taken_pc, 0 mostly to fall_pc, -1
     * unknown. Set by the engine (NULL: always unknown); left alone by reset. */
    int (*branch_bias)(const struct ir_block *b, uint64_t block_pc, uint64_t taken_pc,
                       uint64_t fall_pc);
};

/* Translation options (ir_block.xlate). TRACE: a superblock for a hot block: where an
 * instruction ends the block with a GOTO to a constant pc in the block's first page that
 * the block does not hold yet, the frontend drops the GOTO and continues there, so the
 * block follows unconditional jumps and the hot side of conditional branches (the other
 * side stays a side exit; branch_bias says which is hot, else the fall-through of a
 * forward branch; a backward branch closes a loop and ends the block). */
#define IR_XLATE_TRACE 0x1u

/* ---- builder (ir_build.c) ---- */
void ir_block_init(struct ir_block *b, uint64_t pc, uint32_t tb_flags);
void ir_block_reset(struct ir_block *b, uint64_t pc, uint32_t tb_flags); /* keep the arrays */
void ir_block_free(struct ir_block *b);
ir_val ir_new_val(struct ir_block *b, enum ir_type t);
struct ir_insn *ir_emit(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val a0,
                        ir_val a1, ir_val a2); /* appends; defines a fresh dst if op has one */
static inline enum ir_type ir_val_type(const struct ir_block *b, ir_val v) { return b->vtype[v]; }

ir_val ir_const(struct ir_block *b, enum ir_type t, uint64_t v);
ir_val ir_get(struct ir_block *b, enum ir_type t, uint32_t offset);
void ir_put(struct ir_block *b, uint32_t offset, ir_val v);
void ir_insn_start(struct ir_block *b, uint64_t pc, unsigned len);
ir_val ir_binop(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val x, ir_val y);
ir_val ir_unop(struct ir_block *b, enum ir_opcode op, enum ir_type t, ir_val x);
ir_val ir_ext(struct ir_block *b, enum ir_opcode op /* SEXT/ZEXT */, enum ir_type t, ir_val x,
              unsigned bits);
ir_val ir_extract(struct ir_block *b, enum ir_type t, ir_val x, unsigned pos, unsigned len,
                  bool sign);
ir_val ir_deposit(struct ir_block *b, enum ir_type t, ir_val x, ir_val y, unsigned pos,
                  unsigned len);
ir_val ir_setcc(struct ir_block *b, enum ir_type t, enum ir_cond c, ir_val x, ir_val y);
ir_val ir_select(struct ir_block *b, enum ir_type t, ir_val c, ir_val x, ir_val y);
ir_val ir_load(struct ir_block *b, enum ir_type t, ir_val addr, struct ir_memop m);
void ir_store(struct ir_block *b, ir_val addr, ir_val v, struct ir_memop m);
ir_val ir_atomic_rmw(struct ir_block *b, enum ir_type t, enum ir_rmw k, ir_val addr, ir_val v,
                     struct ir_memop m);
ir_val ir_cmpxchg(struct ir_block *b, enum ir_type t, ir_val addr, ir_val expect, ir_val nv,
                  struct ir_memop m);
void ir_fence(struct ir_block *b, unsigned kind);
ir_val ir_fop(struct ir_block *b, enum ir_opcode op, enum ir_type t, enum ir_rm rm, uint64_t fpx,
              ir_val x, ir_val y, ir_val z); /* any FP op; unused args IR_NOVAL */
ir_val ir_call(struct ir_block *b, const struct ir_helper *h, enum ir_type t, unsigned nargs,
               ir_val a0, ir_val a1, ir_val a2); /* t ignored (dst = 0) if the helper is void:
                                                    pass IR_NUM_TYPES for void */
void ir_exit_if(struct ir_block *b, ir_val cond, uint64_t pc);
void ir_goto(struct ir_block *b, uint64_t pc);
void ir_goto_ind(struct ir_block *b, ir_val pc);
void ir_exit(struct ir_block *b, enum ir_exit reason, uint64_t pc);

static inline struct ir_memop ir_mem(unsigned log2size, bool sign)
{
    return (struct ir_memop){.size = (uint8_t)log2size, .sign = sign};
}

/* ---- verifier (ir_verify.c): 0 if well formed, else -EINVAL with a message in err ---- */
int ir_verify(const struct ir_block *b, char *err, size_t errlen);

/* ---- printer (ir_print.c): the -d ir format ---- */
void ir_print(FILE *f, const struct ir_block *b);

/* ---- optimiser (ir_opt.c) ---- */
#define IR_OPT_FOLD 0x01u   /* constant folding and algebraic identities */
#define IR_OPT_COPY 0x02u   /* copy propagation */
#define IR_OPT_STATE 0x04u  /* GET/PUT forwarding and dead PUT elimination */
#define IR_OPT_DCE 0x08u    /* dead code elimination */
#define IR_OPT_ALL 0xffu
void ir_optimize(struct ir_block *b, unsigned passes);

#endif
