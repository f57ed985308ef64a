/*
 * The IR op table: the one list every room iterates (builder, verifier, printer,
 * optimiser, interpreter, JIT). Add an op here and the compiler points at every
 * switch that must learn it.
 *
 * IR_OP(NAME, NARGS, HAS_DST, FLAGS)
 *   NARGS   number of value operands in insn.arg[] (0..3)
 *   HAS_DST whether the op defines insn.dst
 *   FLAGS   IRF_* bits below
 *
 * Operand conventions (insn fields: op, type, aux, flags16, dst, arg[3], imm):
 *   type   the type of the result; for ops without a result, the type of the value
 *          operand they consume (put, store).
 *   aux    small per-op selector: condition code, extension width, rmw kind, FP
 *          rounding mode (IR_RM_*), exit reason, fence kind.
 *   mem    memory ops: insn.mem (struct ir_memop) says size, sign, order, align.
 *   imm    constant value, guest-state byte offset, target guest pc, helper pointer.
 *
 * Semantics are defined in docs/architecture.md ("IR reference"); the short form:
 */
#ifndef OMNIVM_IR_OPS_H
#define OMNIVM_IR_OPS_H

/* op flags */
#define IRF_NONE 0u
#define IRF_SIDE 0x01u   /* has an effect besides dst: never dead-code eliminated */
#define IRF_FAULT 0x02u  /* may raise a guest exception: guest state must be exact here */
#define IRF_TERM 0x04u   /* ends the block (last insn) */
#define IRF_EXIT 0x08u   /* may leave the block (side exit or terminator) */
#define IRF_COMM 0x10u   /* commutative in arg0/arg1 */
#define IRF_FP 0x20u     /* reads the FP environment / accumulates FP exception flags */
#define IRF_STATE 0x40u  /* reads or writes guest state other than through get/put */

#define IR_OP_LIST(X)                                                                              \
    /* constants and guest state */                                                                \
    X(CONST, 0, 1, IRF_NONE)     /* dst = imm (bit pattern for F32/F64) */                         \
    X(GET, 0, 1, IRF_NONE)       /* dst = state[imm], width of type */                             \
    X(PUT, 1, 0, IRF_SIDE)       /* state[imm] = arg0, width of type */                            \
    X(MOV, 1, 1, IRF_NONE)       /* dst = arg0 (same width; also bitcast I64<->F64, I32<->F32) */  \
    X(INSN_START, 0, 0, IRF_SIDE) /* marks a guest instruction at pc imm, aux = length */          \
    /* integer arithmetic: I32 ops see low 32 bits, results zero-extended in a slot */             \
    X(ADD, 2, 1, IRF_COMM)                                                                         \
    X(SUB, 2, 1, IRF_NONE)                                                                         \
    X(MUL, 2, 1, IRF_COMM)                                                                         \
    X(MULHS, 2, 1, IRF_COMM)     /* high half of signed x signed */                                \
    X(MULHU, 2, 1, IRF_COMM)     /* high half of unsigned x unsigned */                            \
    X(MULHSU, 2, 1, IRF_NONE)    /* high half of signed arg0 x unsigned arg1 */                    \
    X(DIV, 2, 1, IRF_NONE)       /* signed; x/0 = -1, MIN/-1 = MIN (never traps) */               \
    X(DIVU, 2, 1, IRF_NONE)      /* x/0 = all ones */                                              \
    X(REM, 2, 1, IRF_NONE)       /* x%0 = x, MIN%-1 = 0 */                                         \
    X(REMU, 2, 1, IRF_NONE)      /* x%0 = x */                                                     \
    X(AND, 2, 1, IRF_COMM)                                                                         \
    X(OR, 2, 1, IRF_COMM)                                                                          \
    X(XOR, 2, 1, IRF_COMM)                                                                         \
    X(SHL, 2, 1, IRF_NONE)       /* shift count taken modulo the width */                          \
    X(SHR, 2, 1, IRF_NONE)                                                                         \
    X(SAR, 2, 1, IRF_NONE)                                                                         \
    X(ROTL, 2, 1, IRF_NONE)                                                                        \
    X(ROTR, 2, 1, IRF_NONE)                                                                        \
    X(MIN, 2, 1, IRF_COMM)       /* signed */                                                      \
    X(MAX, 2, 1, IRF_COMM)                                                                         \
    X(MINU, 2, 1, IRF_COMM)                                                                        \
    X(MAXU, 2, 1, IRF_COMM)                                                                        \
    X(NOT, 1, 1, IRF_NONE)                                                                         \
    X(NEG, 1, 1, IRF_NONE)                                                                         \
    X(CLZ, 1, 1, IRF_NONE)       /* of 0 = width */                                                \
    X(CTZ, 1, 1, IRF_NONE)       /* of 0 = width */                                                \
    X(POPCNT, 1, 1, IRF_NONE)                                                                      \
    X(BSWAP, 1, 1, IRF_NONE)                                                                       \
    X(SEXT, 1, 1, IRF_NONE)      /* sign-extend the low aux bits (8, 16, 32) of arg0 */            \
    X(ZEXT, 1, 1, IRF_NONE)      /* zero-extend the low aux bits (8, 16, 32) of arg0 */            \
    X(EXTRACT, 1, 1, IRF_NONE)   /* bits [pos, pos+len) of arg0, imm = pos | len << 8;          \
                                    aux = 1: sign-extend, 0: zero-extend */                        \
    X(DEPOSIT, 2, 1, IRF_NONE)   /* arg0 with bits [pos, pos+len) replaced by the low len bits  \
                                    of arg1, imm = pos | len << 8 */                               \
    X(SETCC, 2, 1, IRF_NONE)     /* dst = (arg0 aux-cond arg1) ? 1 : 0; operand width from the  \
                                    operands' type, dst type may differ */                         \
    X(SELECT, 3, 1, IRF_NONE)    /* dst = arg0 != 0 ? arg1 : arg2 */                               \
    /* memory: guest virtual addresses (I64); insn.mem gives size/sign/order/align */              \
    X(LOAD, 1, 1, IRF_SIDE | IRF_FAULT)   /* dst = mem[arg0] */                                    \
    X(STORE, 2, 0, IRF_SIDE | IRF_FAULT)  /* mem[arg0] = arg1 */                                   \
    X(ATOMIC_RMW, 2, 1, IRF_SIDE | IRF_FAULT) /* dst = old mem[arg0]; mem = old aux-op arg1 */     \
    X(CMPXCHG, 3, 1, IRF_SIDE | IRF_FAULT) /* dst = old mem[arg0]; if old == arg1 mem = arg2 */    \
    X(FENCE, 0, 0, IRF_SIDE)     /* aux = IR_FENCE_* bits */                                       \
    /* floating point: aux = rounding mode (IR_RM_*), imm = IR_FPX_* behaviour bits;               \
       every op ORs its IEEE exception flags into cpu_common.fp_flags */                           \
    X(FADD, 2, 1, IRF_FP | IRF_COMM)                                                               \
    X(FSUB, 2, 1, IRF_FP)                                                                          \
    X(FMUL, 2, 1, IRF_FP | IRF_COMM)                                                               \
    X(FDIV, 2, 1, IRF_FP)                                                                          \
    X(FSQRT, 1, 1, IRF_FP)                                                                         \
    X(FMA, 3, 1, IRF_FP)         /* arg0*arg1+arg2, one rounding; imm IR_FPX_NEG_PROD/ADDEND */    \
    X(FMIN, 2, 1, IRF_FP)        /* imm selects IR_FPX_MIN_* flavour */                            \
    X(FMAX, 2, 1, IRF_FP)                                                                          \
    X(FCMP, 2, 1, IRF_FP)        /* I32 dst; aux = IR_FCMP_* predicate */                          \
    X(FCVT_F2I, 1, 1, IRF_FP)    /* float arg0 -> integer of type; imm: IR_FPX_SIGNED, width 32 \
                                    via IR_FPX_W32, out-of-range policy IR_FPX_SAT_* */            \
    X(FCVT_I2F, 1, 1, IRF_FP)    /* integer arg0 -> float of type; imm: IR_FPX_SIGNED, W32 */     \
    X(FCVT_F2F, 1, 1, IRF_FP)    /* F32 <-> F64 */                                                 \
    /* calls to C: imm = const struct ir_helper *; args passed after the cpu pointer */            \
    X(CALL0, 0, 1, IRF_SIDE)     /* flags of the helper decide FAULT/STATE; dst 0 if void */       \
    X(CALL1, 1, 1, IRF_SIDE)                                                                       \
    X(CALL2, 2, 1, IRF_SIDE)                                                                       \
    X(CALL3, 3, 1, IRF_SIDE)                                                                       \
    /* control flow: guest state must be exact at every exit */                                    \
    X(EXIT_IF, 1, 0, IRF_SIDE | IRF_EXIT) /* if arg0 != 0 leave to guest pc imm (chainable) */    \
    X(GOTO, 0, 0, IRF_SIDE | IRF_EXIT | IRF_TERM) /* leave to guest pc imm (chainable) */          \
    X(GOTO_IND, 1, 0, IRF_SIDE | IRF_EXIT | IRF_TERM) /* leave to guest pc arg0 (lookup) */        \
    X(EXIT, 0, 0, IRF_SIDE | IRF_EXIT | IRF_TERM) /* to the run loop, reason aux, pc imm */

enum ir_opcode {
#define IR_OP_ENUM(name, nargs, has_dst, flags) IR_##name,
    IR_OP_LIST(IR_OP_ENUM)
#undef IR_OP_ENUM
        IR_NUM_OPS
};

#endif
