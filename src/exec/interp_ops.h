/*
 * The interpreter's handler list: one X-macro table the predecoder (handler ids) and the
 * interpreter (labels) both expand, so they cannot disagree on numbering.
 *
 * Handler names are OP_WIDTH_SHAPE (width 32, 64, or W: a 32-bit op whose result is
 * sign-extended to 64 bits). A shape letter per operand says where it lives:
 * F = frame slot, S = guest-state field (cpu + offset), I = the op's immediate. Within a
 * family the shapes are consecutive in a fixed order, so the predecoder computes
 * base + shape index:
 *   3-operand (d, a, b): FFF FFI FFS FSF FSI FSS SFF SFI SFS SSF SSI SSS = d*6 + a*3 + b
 *                        (b: F=0, I=1, S=2)
 *   compare-exit (a, b): FF FI FS SF SI SS                              = a*3 + b
 *   2-operand (d, a) and store (addr, value): FF FS SF SS              = x*2 + y
 */
#ifndef OMNIVM_EXEC_INTERP_OPS_H
#define OMNIVM_EXEC_INTERP_OPS_H

/* clang-format off */
/* Families: each list calls X(H, name, ...) so H (what to do with one handler name)
 * passes through. */
#define INTERP_BINOPS(X, H)                                                                        \
    X(H, ADD) X(H, SUB) X(H, MUL) X(H, MULHS) X(H, MULHU) X(H, MULHSU) X(H, DIV) X(H, DIVU)        \
    X(H, REM) X(H, REMU) X(H, AND) X(H, OR) X(H, XOR) X(H, SHL) X(H, SHR) X(H, SAR) X(H, ROTL)     \
    X(H, ROTR) X(H, MIN) X(H, MAX) X(H, MINU) X(H, MAXU)
/* 32-bit ops whose result is sign-extended to 64 bits in the same step (RV64 *W) */
#define INTERP_WOPS(X, H)                                                                          \
    X(H, ADD) X(H, SUB) X(H, MUL) X(H, DIV) X(H, DIVU) X(H, REM) X(H, REMU) X(H, SHL) X(H, SHR)    \
    X(H, SAR)
#define INTERP_UNOPS(X, H) X(H, NOT) X(H, NEG) X(H, CLZ) X(H, CTZ) X(H, POPCNT) X(H, BSWAP)
#define INTERP_CONDS(X, H)                                                                         \
    X(H, EQ) X(H, NE) X(H, LT) X(H, GE) X(H, LE) X(H, GT) X(H, LTU) X(H, GEU) X(H, LEU) X(H, GTU)
#define INTERP_EXTS(X, H)                                                                          \
    X(H, SEXT, 8) X(H, SEXT, 16) X(H, SEXT, 32) X(H, ZEXT, 8) X(H, ZEXT, 16) X(H, ZEXT, 32)
/* name, log2 size, sign */
#define INTERP_LOADS(X, H)                                                                         \
    X(H, LD8U, 0, 0) X(H, LD8S, 0, 1) X(H, LD16U, 1, 0) X(H, LD16S, 1, 1) X(H, LD32U, 2, 0)        \
    X(H, LD32S, 2, 1) X(H, LD64, 3, 0)
#define INTERP_STORES(X, H) X(H, ST8, 0) X(H, ST16, 1) X(H, ST32, 2) X(H, ST64, 3)

#define INTERP_SHAPES3(H, p)                                                                       \
    H(p##_FFF) H(p##_FFI) H(p##_FFS) H(p##_FSF) H(p##_FSI) H(p##_FSS)                              \
    H(p##_SFF) H(p##_SFI) H(p##_SFS) H(p##_SSF) H(p##_SSI) H(p##_SSS)
#define INTERP_SHAPES_BR(H, p) H(p##_FF) H(p##_FI) H(p##_FS) H(p##_SF) H(p##_SI) H(p##_SS)
#define INTERP_SHAPES2(H, p) H(p##_FF) H(p##_FS) H(p##_SF) H(p##_SS)

/* Handlers that are not part of a shaped family. */
#define INTERP_SIMPLE(H)                                                                           \
    H(CONST_F) H(CONST_S) H(GET32) H(PUT32) H(SETPC)                                               \
    H(EXT_GEN) H(EXTRACT) H(DEPOSIT) H(SELECT)                                                     \
    H(LD_ORD) H(ST_ORD) H(RMW) H(CAS) H(FENCE)                                                     \
    H(TLD_ORD) H(TST_ORD) H(TRMW) H(TCAS)                                                          \
    H(FADD) H(FSUB) H(FMUL) H(FDIV) H(FSQRT) H(FMA) H(FMIN) H(FMAX) H(FCMP) H(F2I) H(I2F) H(F2F)  \
    H(CALL)                                                                                        \
    H(BRNZ_F) H(BRNZ_S) H(GOTO) H(GOTO_IND) H(EXIT)

#define INTERP_H_BIN(H, op) INTERP_SHAPES3(H, op##_32) INTERP_SHAPES3(H, op##_64)
#define INTERP_H_WBIN(H, op) INTERP_SHAPES3(H, op##_W)
#define INTERP_H_SET(H, c) INTERP_SHAPES3(H, SET##c##_32) INTERP_SHAPES3(H, SET##c##_64)
#define INTERP_H_BR(H, c) INTERP_SHAPES_BR(H, BR##c##_32) INTERP_SHAPES_BR(H, BR##c##_64)
#define INTERP_H_UN(H, op) INTERP_SHAPES2(H, op##_32) INTERP_SHAPES2(H, op##_64)
#define INTERP_H_EXT(H, op, bits) INTERP_SHAPES2(H, op##bits##_32) INTERP_SHAPES2(H, op##bits##_64)
#define INTERP_H_LD(H, name, size, sign) INTERP_SHAPES2(H, name##_32) INTERP_SHAPES2(H, name##_64)
#define INTERP_H_ST(H, name, size) INTERP_SHAPES2(H, name)
/* system mode: the same through the SoftMMU TLB (mem/tlb.h), names prefixed T */
#define INTERP_H_TLD(H, name, size, sign) INTERP_SHAPES2(H, T##name##_32) INTERP_SHAPES2(H, T##name##_64)
#define INTERP_H_TST(H, name, size) INTERP_SHAPES2(H, T##name)

/* Every handler name, each passed to H exactly once. */
#define INTERP_ALL(H)                                                                              \
    INTERP_SIMPLE(H) INTERP_SHAPES2(H, MOV64) INTERP_BINOPS(INTERP_H_BIN, H)                       \
    INTERP_WOPS(INTERP_H_WBIN, H)                                                                  \
    INTERP_CONDS(INTERP_H_SET, H) INTERP_CONDS(INTERP_H_BR, H) INTERP_UNOPS(INTERP_H_UN, H)        \
    INTERP_EXTS(INTERP_H_EXT, H) INTERP_LOADS(INTERP_H_LD, H) INTERP_STORES(INTERP_H_ST, H)        \
    INTERP_LOADS(INTERP_H_TLD, H) INTERP_STORES(INTERP_H_TST, H)

/* clang-format on */

#define INTERP_ENUM(n) IH_##n,
enum interp_handler { INTERP_ALL(INTERP_ENUM) IH_COUNT };

#endif
