/*
 * The meaning of every integer IR op, as one C definition shared by the constant folder
 * and the interpreter (and the JIT's check mode), so they cannot disagree.
 *
 * Operands and results are slot values: I32 ops see the low 32 bits and return a value
 * zero-extended to 64 bits.
 */
#ifndef OMNIVM_IR_IR_EVAL_H
#define OMNIVM_IR_IR_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

static inline uint64_t ir_trunc(enum ir_type t, uint64_t v)
{
    return (t == IR_I32 || t == IR_F32) ? (uint32_t)v : v;
}

static inline unsigned ir_width(enum ir_type t) { return (t == IR_I32 || t == IR_F32) ? 32 : 64; }

/* sign-extend the low `bits` bits */
static inline int64_t ir_sext_bits(uint64_t v, unsigned bits)
{
    return bits >= 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static inline uint64_t ir_mulh64(enum ir_opcode op, uint64_t a, uint64_t b)
{
    switch (op) {
    case IR_MULHS: return (uint64_t)(((__int128)(int64_t)a * (__int128)(int64_t)b) >> 64);
    case IR_MULHU: return (uint64_t)(((unsigned __int128)a * b) >> 64);
    default: /* MULHSU */
        return (uint64_t)(((__int128)(int64_t)a * (__int128)(unsigned __int128)b) >> 64);
    }
}

/* Binary integer ops (ADD..MAXU). */
static inline uint64_t ir_eval_binop(enum ir_opcode op, enum ir_type t, uint64_t a, uint64_t b)
{
    bool w = t == IR_I32;
    unsigned n = w ? 32 : 64;
    uint64_t r;
    if (w) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    int64_t sa = w ? (int32_t)a : (int64_t)a, sb = w ? (int32_t)b : (int64_t)b;
    int64_t smin = w ? INT32_MIN : INT64_MIN;
    switch (op) {
    case IR_ADD: r = a + b; break;
    case IR_SUB: r = a - b; break;
    case IR_MUL: r = a * b; break;
    case IR_MULHS: r = w ? (uint64_t)((sa * sb) >> 32) : ir_mulh64(op, a, b); break;
    case IR_MULHU: r = w ? (a * b) >> 32 : ir_mulh64(op, a, b); break;
    case IR_MULHSU: r = w ? (uint64_t)((sa * (int64_t)b) >> 32) : ir_mulh64(op, a, b); break;
    case IR_DIV: r = b == 0 ? ~0ull : (sa == smin && sb == -1) ? (uint64_t)sa : (uint64_t)(sa / sb); break;
    case IR_DIVU: r = b == 0 ? ~0ull : a / b; break;
    case IR_REM: r = b == 0 ? a : (sa == smin && sb == -1) ? 0 : (uint64_t)(sa % sb); break;
    case IR_REMU: r = b == 0 ? a : a % b; break;
    case IR_AND: r = a & b; break;
    case IR_OR: r = a | b; break;
    case IR_XOR: r = a ^ b; break;
    case IR_SHL: r = a << (b & (n - 1)); break;
    case IR_SHR: r = a >> (b & (n - 1)); break;
    case IR_SAR: r = (uint64_t)(sa >> (b & (n - 1))); break;
    case IR_ROTL: b &= n - 1; r = b ? (a << b) | (a >> (n - b)) : a; break;
    case IR_ROTR: b &= n - 1; r = b ? (a >> b) | (a << (n - b)) : a; break;
    case IR_MIN: r = sa < sb ? a : b; break;
    case IR_MAX: r = sa > sb ? a : b; break;
    case IR_MINU: r = a < b ? a : b; break;
    case IR_MAXU: r = a > b ? a : b; break;
    default: r = 0; break;
    }
    return ir_trunc(t, r);
}

/* Unary integer ops (NOT..BSWAP) and SEXT/ZEXT (aux = source bits). */
static inline uint64_t ir_eval_unop(enum ir_opcode op, enum ir_type t, unsigned aux, uint64_t a)
{
    bool w = t == IR_I32;
    unsigned n = w ? 32 : 64;
    if (w)
        a = (uint32_t)a;
    uint64_t r;
    switch (op) {
    case IR_NOT: r = ~a; break;
    case IR_NEG: r = -a; break;
    case IR_CLZ: r = a == 0 ? n : (uint64_t)(w ? __builtin_clz((uint32_t)a) : __builtin_clzll(a)); break;
    case IR_CTZ: r = a == 0 ? n : (uint64_t)__builtin_ctzll(a); break;
    case IR_POPCNT: r = (uint64_t)__builtin_popcountll(a); break;
    case IR_BSWAP: r = w ? __builtin_bswap32((uint32_t)a) : __builtin_bswap64(a); break;
    case IR_SEXT: r = (uint64_t)ir_sext_bits(a, aux); break;
    case IR_ZEXT: r = aux >= 64 ? a : a & ((1ull << aux) - 1); break;
    default: r = 0; break;
    }
    return ir_trunc(t, r);
}

/* EXTRACT: imm = pos | len << 8, sign = aux. */
static inline uint64_t ir_eval_extract(enum ir_type t, uint64_t imm, bool sign, uint64_t a)
{
    unsigned pos = imm & 0xff, len = (imm >> 8) & 0xff;
    uint64_t v = a >> pos;
    v = sign ? (uint64_t)ir_sext_bits(v, len) : (len >= 64 ? v : v & ((1ull << len) - 1));
    return ir_trunc(t, v);
}

/* DEPOSIT: imm = pos | len << 8. */
static inline uint64_t ir_eval_deposit(enum ir_type t, uint64_t imm, uint64_t a, uint64_t b)
{
    unsigned pos = imm & 0xff, len = (imm >> 8) & 0xff;
    uint64_t m = (len >= 64 ? ~0ull : (1ull << len) - 1) << pos;
    return ir_trunc(t, (a & ~m) | ((b << pos) & m));
}

/* SETCC on operands of type t (the operands' type). */
static inline uint64_t ir_eval_setcc(enum ir_cond c, enum ir_type t, uint64_t a, uint64_t b)
{
    bool w = t == IR_I32;
    if (w) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    int64_t sa = w ? (int32_t)a : (int64_t)a, sb = w ? (int32_t)b : (int64_t)b;
    switch (c) {
    case IR_EQ: return a == b;
    case IR_NE: return a != b;
    case IR_LT: return sa < sb;
    case IR_GE: return sa >= sb;
    case IR_LE: return sa <= sb;
    case IR_GT: return sa > sb;
    case IR_LTU: return a < b;
    case IR_GEU: return a >= b;
    case IR_LEU: return a <= b;
    case IR_GTU: return a > b;
    default: return 0;
    }
}

/* ATOMIC_RMW's combining step (the new value from old and the operand). */
static inline uint64_t ir_eval_rmw(enum ir_rmw k, enum ir_type t, uint64_t old, uint64_t v)
{
    switch (k) {
    case IR_RMW_XCHG: return ir_trunc(t, v);
    case IR_RMW_ADD: return ir_eval_binop(IR_ADD, t, old, v);
    case IR_RMW_AND: return ir_eval_binop(IR_AND, t, old, v);
    case IR_RMW_OR: return ir_eval_binop(IR_OR, t, old, v);
    case IR_RMW_XOR: return ir_eval_binop(IR_XOR, t, old, v);
    case IR_RMW_MIN: return ir_eval_binop(IR_MIN, t, old, v);
    case IR_RMW_MAX: return ir_eval_binop(IR_MAX, t, old, v);
    case IR_RMW_MINU: return ir_eval_binop(IR_MINU, t, old, v);
    case IR_RMW_MAXU: return ir_eval_binop(IR_MAXU, t, old, v);
    default: return old;
    }
}

#endif
