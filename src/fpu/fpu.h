/*
 * IEEE 754 arithmetic with guest-exact results: the semantics behind the IR's FP ops,
 * shared by the interpreter and the JIT's helpers.
 *
 * Every function takes a resolved rounding mode (IR_RM_RNE..IR_RM_RMM, never DYN), the
 * op's IR_FPX_* behaviour bits (NaN policy, FMA negation, conversion flavour, min/max
 * flavour, flush-to-zero), operands as bit patterns (F32 in the low 32 bits), and ORs the
 * IEEE exception flags it raises (IR_FPF_*) into *flags. Results are bit patterns, F32
 * zero-extended. Tininess is detected after rounding (RISC-V, x86); AArch64 will add a
 * before-rounding bit when its frontend lands.
 *
 * `dbl` selects F64 (true) or F32 (false).
 */
#ifndef OMNIVM_FPU_FPU_H
#define OMNIVM_FPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

uint64_t fpu_add(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t fpu_sub(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t fpu_mul(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t fpu_div(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t fpu_sqrt(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
/* a*b+c with one rounding; IR_FPX_NEG_PROD / IR_FPX_NEG_ADDEND negate before rounding */
uint64_t fpu_fma(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint64_t b, uint64_t c,
                 uint32_t *flags);
uint64_t fpu_min(bool dbl, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
uint64_t fpu_max(bool dbl, uint64_t fpx, uint64_t a, uint64_t b, uint32_t *flags);
/* pred is enum ir_fcmp; returns 0/1 or the 0..3 relation */
uint64_t fpu_cmp(bool dbl, unsigned pred, uint64_t a, uint64_t b, uint32_t *flags);
/* float (dbl) -> integer; IR_FPX_SIGNED, IR_FPX_W32, IR_FPX_SAT_* in fpx. Result is the
 * integer zero-extended from 32 bits when W32 (the frontend sign-extends if it wants). */
uint64_t fpu_f2i(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
/* integer -> float (dbl); IR_FPX_SIGNED, IR_FPX_W32 describe the integer */
uint64_t fpu_i2f(bool dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);
/* F32 <-> F64: to_dbl says the direction */
uint64_t fpu_f2f(bool to_dbl, unsigned rm, uint64_t fpx, uint64_t a, uint32_t *flags);

#endif
