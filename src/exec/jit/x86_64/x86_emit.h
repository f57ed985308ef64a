/*
 * An x86-64 instruction encoder for the JIT: just the instructions the code generator
 * uses, as small inline functions over a byte buffer.
 *
 * Invariants:
 * - Every instruction starts with x_room(), which reserves X_MAX_INSN bytes; if the
 *   buffer is short, `overflow` is set and emission continues into a scratch tail (the
 *   caller discards the result), so no encoder ever writes out of bounds.
 * - Opcodes are described by an X_* flag word: mandatory prefix, escape bytes, REX.W and
 *   whether operands are byte registers (which need a REX prefix for sil/dil/spl/bpl).
 * - Memory operands are base + index * scale + disp32; rbp/r13 bases always carry a
 *   displacement and rsp/r12 bases a SIB byte, as the encoding requires. X_RIP as base
 *   means rip-relative (disp relative to the end of the instruction).
 */
#ifndef OMNIVM_EXEC_JIT_X86_EMIT_H
#define OMNIVM_EXEC_JIT_X86_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum x_reg {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15,
    X_NOREG = -1,
    X_RIP = -2,
};

enum x_cc {
    X_CC_O, X_CC_NO, X_CC_B, X_CC_AE, X_CC_E, X_CC_NE, X_CC_BE, X_CC_A,
    X_CC_S, X_CC_NS, X_CC_P, X_CC_NP, X_CC_L, X_CC_GE, X_CC_LE, X_CC_G,
};

/* ALU group-1 ops (the /digit of 0x81/0x83 and the op of 0x01..0x3b) */
enum x_alu { X_ADD, X_OR, X_ADC, X_SBB, X_AND, X_SUB, X_XOR, X_CMP };
/* shift group-2 ops */
enum x_shift { X_ROL = 0, X_ROR = 1, X_SHL = 4, X_SHR = 5, X_SAR = 7 };

#define X_MAX_INSN 16

/* opcode flag word: low byte is the opcode byte */
#define X_0F 0x100u
#define X_0F38 0x200u
#define X_0F3A 0x400u
#define X_P66 0x800u
#define X_PF3 0x1000u
#define X_PF2 0x2000u
#define X_W 0x4000u    /* REX.W */
#define X_BYTE 0x8000u /* reg and rm are byte registers */
#define X_LOCK 0x10000u

struct xb {
    uint8_t *start; /* where this buffer's code begins (offsets are relative to it) */
    uint8_t *p;
    uint8_t *end;
    bool overflow;
    uint8_t scratch[64];
};

static inline void x_room(struct xb *b)
{
    if (__builtin_expect(b->end - b->p < X_MAX_INSN, 0)) {
        b->overflow = true;
        b->p = b->scratch; /* keep encoding harmlessly; the result is discarded */
        b->end = b->scratch + sizeof(b->scratch);
    }
}

static inline uint32_t x_off(const struct xb *b) { return (uint32_t)(b->p - b->start); }
static inline void x_b(struct xb *b, uint8_t v) { *b->p++ = v; }
static inline void x_d(struct xb *b, uint32_t v) { memcpy(b->p, &v, 4); b->p += 4; }
static inline void x_q(struct xb *b, uint64_t v) { memcpy(b->p, &v, 8); b->p += 8; }

static inline bool x_s8(int64_t v) { return v == (int8_t)v; }
static inline bool x_s32(int64_t v) { return v == (int32_t)v; }

/* Prefixes, REX, escapes and the opcode byte. r: the modrm.reg field (or -1), x: SIB
 * index, rm: modrm.rm or SIB base (or -1). */
static inline void x_opc(struct xb *b, uint32_t opc, int r, int x, int rm)
{
    if (opc & X_LOCK) x_b(b, 0xf0);
    if (opc & X_P66) x_b(b, 0x66);
    if (opc & X_PF3) x_b(b, 0xf3);
    if (opc & X_PF2) x_b(b, 0xf2);
    unsigned rex = 0;
    if (opc & X_W) rex |= 8;
    if (r >= 8) rex |= 4;
    if (x >= 8) rex |= 2;
    if (rm >= 8) rex |= 1;
    if ((opc & X_BYTE) && ((r >= 4 && r < 8) || (rm >= 4 && rm < 8))) rex |= 0x40;
    if (rex) x_b(b, (uint8_t)(0x40 | rex));
    if (opc & (X_0F | X_0F38 | X_0F3A)) {
        x_b(b, 0x0f);
        if (opc & X_0F38) x_b(b, 0x38);
        if (opc & X_0F3A) x_b(b, 0x3a);
    }
    x_b(b, (uint8_t)opc);
}

/* modrm (and SIB, disp) for a memory operand */
static inline void x_mem(struct xb *b, int r, int base, int index, unsigned shift, int32_t disp)
{
    r &= 7;
    if (base == X_RIP) {
        x_b(b, (uint8_t)(0x05 | r << 3));
        x_d(b, (uint32_t)disp); /* the caller passed disp relative to the insn end */
        return;
    }
    unsigned mod = (disp == 0 && (base & 7) != X_RBP) ? 0 : x_s8(disp) ? 1 : 2;
    if (index == X_NOREG && (base & 7) != X_RSP) {
        x_b(b, (uint8_t)(mod << 6 | r << 3 | (base & 7)));
    } else {
        x_b(b, (uint8_t)(mod << 6 | r << 3 | 4));
        x_b(b, (uint8_t)(shift << 6 | (index == X_NOREG ? 4 : (index & 7)) << 3 | (base & 7)));
    }
    if (mod == 1) x_b(b, (uint8_t)disp);
    if (mod == 2) x_d(b, (uint32_t)disp);
}

/* op reg, rm (register form) */
static inline void x_rr(struct xb *b, uint32_t opc, int reg, int rm)
{
    x_room(b);
    x_opc(b, opc, reg, -1, rm);
    x_b(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* op reg, [base + index << shift + disp] */
static inline void x_rm(struct xb *b, uint32_t opc, int reg, int base, int index, unsigned shift,
                        int32_t disp)
{
    x_room(b);
    x_opc(b, opc, reg, index, base == X_RIP ? -1 : base);
    x_mem(b, reg, base, index, shift, disp);
}

/* ---- moves ---- */

static inline void x_mov_rr(struct xb *b, bool w, int dst, int src)
{
    x_rr(b, 0x89 | (w ? X_W : 0), src, dst);
}

/* md[k] = ms[k] for all k at once (64-bit; the md distinct): moves in an order that reads
 * each source before it is overwritten, cycles broken by xchg. Clobbers md/ms. */
static inline void x_parallel_move(struct xb *b, int *md, int *ms, unsigned n)
{
    while (n) {
        bool progress = false;
        for (unsigned k = 0; k < n && !progress; k++) {
            bool blocked = false;
            for (unsigned j = 0; j < n; j++)
                if (j != k && ms[j] == md[k]) blocked = true;
            if (blocked) continue;
            x_mov_rr(b, true, md[k], ms[k]);
            md[k] = md[n - 1];
            ms[k] = ms[--n];
            progress = true;
        }
        if (progress) continue;
        /* a cycle: swap one pair; the others now find that value in the other register */
        x_rr(b, 0x87 | X_W, ms[0], md[0]);
        for (unsigned j = 1; j < n; j++)
            if (ms[j] == md[0]) ms[j] = ms[0];
        md[0] = md[n - 1];
        ms[0] = ms[--n];
    }
}

/* dst = imm; keep_flags: never use xor (between a compare and its consumer) */
static inline void x_mov_ri(struct xb *b, int dst, uint64_t imm, bool keep_flags)
{
    if (imm == 0 && !keep_flags) {
        x_rr(b, 0x31, dst, dst); /* xor r32, r32 */
    } else if (imm <= 0xffffffffu) {
        x_room(b);
        x_opc(b, 0xb8 + (dst & 7), -1, -1, dst);
        x_d(b, (uint32_t)imm);
    } else if (x_s32((int64_t)imm)) {
        x_room(b);
        x_opc(b, 0xc7 | X_W, 0, -1, dst);
        x_b(b, (uint8_t)(0xc0 | (dst & 7)));
        x_d(b, (uint32_t)imm);
    } else {
        x_room(b);
        x_opc(b, (0xb8 + (dst & 7)) | X_W, -1, -1, dst);
        x_q(b, imm);
    }
}

/* load 1 << size bytes from memory, extended to 32 (then zero to 64) or 64 bits */
static inline void x_load(struct xb *b, unsigned size, bool sign, bool w64, int dst, int base,
                          int index, int32_t disp)
{
    switch (size) {
    case 0: x_rm(b, (sign ? 0xbe : 0xb6) | X_0F | (sign && w64 ? X_W : 0), dst, base, index, 0, disp); break;
    case 1: x_rm(b, (sign ? 0xbf : 0xb7) | X_0F | (sign && w64 ? X_W : 0), dst, base, index, 0, disp); break;
    case 2:
        if (sign && w64)
            x_rm(b, 0x63 | X_W, dst, base, index, 0, disp); /* movsxd */
        else
            x_rm(b, 0x8b, dst, base, index, 0, disp);
        break;
    default: x_rm(b, 0x8b | X_W, dst, base, index, 0, disp); break;
    }
}

static inline void x_store(struct xb *b, unsigned size, int src, int base, int index, int32_t disp)
{
    switch (size) {
    case 0: x_rm(b, 0x88 | X_BYTE, src, base, index, 0, disp); break;
    case 1: x_rm(b, 0x89 | X_P66, src, base, index, 0, disp); break;
    case 2: x_rm(b, 0x89, src, base, index, 0, disp); break;
    default: x_rm(b, 0x89 | X_W, src, base, index, 0, disp); break;
    }
}

/* store an immediate (sign-extended from 32 bits for 8-byte stores) */
static inline void x_store_i(struct xb *b, unsigned size, int32_t imm, int base, int index,
                             int32_t disp)
{
    switch (size) {
    case 0: x_rm(b, 0xc6, 0, base, index, 0, disp); x_b(b, (uint8_t)imm); break;
    case 1: x_rm(b, 0xc7 | X_P66, 0, base, index, 0, disp); x_b(b, (uint8_t)imm); x_b(b, (uint8_t)(imm >> 8)); break;
    case 2: x_rm(b, 0xc7, 0, base, index, 0, disp); x_d(b, (uint32_t)imm); break;
    default: x_rm(b, 0xc7 | X_W, 0, base, index, 0, disp); x_d(b, (uint32_t)imm); break;
    }
}

static inline void x_lea(struct xb *b, int dst, int base, int index, unsigned shift, int32_t disp)
{
    x_rm(b, 0x8d | X_W, dst, base, index, shift, disp);
}

/* ---- arithmetic ---- */

static inline void x_alu_rr(struct xb *b, enum x_alu op, bool w, int dst, int src)
{
    x_rr(b, (uint32_t)(op << 3 | 1) | (w ? X_W : 0), src, dst);
}

static inline void x_alu_ri(struct xb *b, enum x_alu op, bool w, int dst, int32_t imm)
{
    x_room(b);
    if (x_s8(imm)) {
        x_opc(b, 0x83 | (w ? X_W : 0), 0, -1, dst);
        x_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
        x_b(b, (uint8_t)imm);
    } else {
        x_opc(b, 0x81 | (w ? X_W : 0), 0, -1, dst);
        x_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
        x_d(b, (uint32_t)imm);
    }
}

/* op reg, [mem] */
static inline void x_alu_rm(struct xb *b, enum x_alu op, bool w, int dst, int base, int32_t disp)
{
    x_rm(b, (uint32_t)(op << 3 | 3) | (w ? X_W : 0), dst, base, X_NOREG, 0, disp);
}

/* op [mem], imm (size 2: dword, 3: qword) */
static inline void x_alu_mi(struct xb *b, enum x_alu op, unsigned size, int base, int32_t disp,
                            int32_t imm)
{
    uint32_t w = size == 3 ? X_W : 0;
    if (x_s8(imm)) {
        x_rm(b, 0x83 | w, op, base, X_NOREG, 0, disp);
        x_b(b, (uint8_t)imm);
    } else {
        x_rm(b, 0x81 | w, op, base, X_NOREG, 0, disp);
        x_d(b, (uint32_t)imm);
    }
}

static inline void x_shift_ri(struct xb *b, enum x_shift op, bool w, int r, unsigned n)
{
    x_room(b);
    x_opc(b, 0xc1 | (w ? X_W : 0), 0, -1, r);
    x_b(b, (uint8_t)(0xc0 | op << 3 | (r & 7)));
    x_b(b, (uint8_t)n);
}

static inline void x_shift_rcl(struct xb *b, enum x_shift op, bool w, int r)
{
    x_rr(b, 0xd3 | (w ? X_W : 0), op, r);
}

/* group 3 (F7): 2 not, 3 neg, 4 mul, 5 imul, 6 div, 7 idiv */
static inline void x_grp3(struct xb *b, unsigned digit, bool w, int r)
{
    x_rr(b, 0xf7 | (w ? X_W : 0), (int)digit, r);
}

static inline void x_imul_rr(struct xb *b, bool w, int dst, int src)
{
    x_rr(b, 0xaf | X_0F | (w ? X_W : 0), dst, src);
}

static inline void x_imul_rri(struct xb *b, bool w, int dst, int src, int32_t imm)
{
    x_room(b);
    if (x_s8(imm)) {
        x_opc(b, 0x6b | (w ? X_W : 0), dst, -1, src);
        x_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
        x_b(b, (uint8_t)imm);
    } else {
        x_opc(b, 0x69 | (w ? X_W : 0), dst, -1, src);
        x_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
        x_d(b, (uint32_t)imm);
    }
}

static inline void x_test_rr(struct xb *b, bool w, int a, int c) { x_rr(b, 0x85 | (w ? X_W : 0), c, a); }

static inline void x_setcc(struct xb *b, enum x_cc cc, int r)
{
    x_rr(b, (0x90u + cc) | X_0F | X_BYTE, 0, r);
}

static inline void x_cmov(struct xb *b, enum x_cc cc, bool w, int dst, int src)
{
    x_rr(b, (0x40u + cc) | X_0F | (w ? X_W : 0), dst, src);
}

static inline void x_movzx8(struct xb *b, int dst, int src) { x_rr(b, 0xb6 | X_0F | X_BYTE, dst, src); }
static inline void x_movzx16(struct xb *b, int dst, int src) { x_rr(b, 0xb7 | X_0F, dst, src); }
static inline void x_movsx8(struct xb *b, bool w, int dst, int src)
{
    x_rr(b, 0xbe | X_0F | X_BYTE | (w ? X_W : 0), dst, src);
}
static inline void x_movsx16(struct xb *b, bool w, int dst, int src)
{
    x_rr(b, 0xbf | X_0F | (w ? X_W : 0), dst, src);
}
static inline void x_movsxd(struct xb *b, int dst, int src) { x_rr(b, 0x63 | X_W, dst, src); }

static inline void x_bswap(struct xb *b, bool w, int r)
{
    x_room(b);
    x_opc(b, (0xc8u + (r & 7)) | X_0F | (w ? X_W : 0), -1, -1, r);
}

/* VEX-encoded BMI ops: dst = op(src, v) (shlx/shrx/sarx: v is the count) */
static inline void x_vex_rrr(struct xb *b, unsigned pp, unsigned mmmmm, bool w, unsigned opcode,
                             int dst, int src, int v)
{
    x_room(b);
    x_b(b, 0xc4);
    x_b(b, (uint8_t)((dst >= 8 ? 0 : 0x80) | 0x40 | (src >= 8 ? 0 : 0x20) | mmmmm));
    x_b(b, (uint8_t)((w ? 0x80 : 0) | ((~v & 15) << 3) | pp));
    x_b(b, (uint8_t)opcode);
    x_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}
/* pp: 1 = 66 (shlx), 2 = F3 (sarx), 3 = F2 (shrx) */
static inline void x_shlx(struct xb *b, bool w, int d, int s, int c) { x_vex_rrr(b, 1, 2, w, 0xf7, d, s, c); }
static inline void x_sarx(struct xb *b, bool w, int d, int s, int c) { x_vex_rrr(b, 2, 2, w, 0xf7, d, s, c); }
static inline void x_shrx(struct xb *b, bool w, int d, int s, int c) { x_vex_rrr(b, 3, 2, w, 0xf7, d, s, c); }

/* ---- control ---- */

/* jcc rel32 with the displacement field at the returned offset (patched later) */
static inline uint32_t x_jcc32(struct xb *b, enum x_cc cc)
{
    x_room(b);
    x_b(b, 0x0f);
    x_b(b, (uint8_t)(0x80 + cc));
    uint32_t at = x_off(b);
    x_d(b, 0);
    return at;
}

static inline uint32_t x_jmp32(struct xb *b)
{
    x_room(b);
    x_b(b, 0xe9);
    uint32_t at = x_off(b);
    x_d(b, 0);
    return at;
}

/* set the rel32 field at `at` to reach offset `target` (both relative to b->start) */
static inline void x_patch32(struct xb *b, uint32_t at, uint32_t target)
{
    if (b->overflow) return;
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(b->start + at, &rel, 4);
}

static inline void x_jmp_r(struct xb *b, int r) { x_rr(b, 0xff, 4, r); }
static inline void x_call_r(struct xb *b, int r) { x_rr(b, 0xff, 2, r); }
static inline void x_ret(struct xb *b) { x_room(b); x_b(b, 0xc3); }
static inline void x_push(struct xb *b, int r) { x_room(b); x_opc(b, 0x50 + (r & 7), -1, -1, r); }
static inline void x_pop(struct xb *b, int r) { x_room(b); x_opc(b, 0x58 + (r & 7), -1, -1, r); }
static inline void x_mfence(struct xb *b) { x_room(b); x_b(b, 0x0f); x_b(b, 0xae); x_b(b, 0xf0); }
static inline void x_nop(struct xb *b, unsigned n)
{
    /* multi-byte nops as the manuals list them */
    static const uint8_t nops[8][8] = {
        {0}, {0x90}, {0x66, 0x90}, {0x0f, 0x1f, 0x00}, {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00}, {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    };
    while (n) {
        unsigned k = n > 7 ? 7 : n;
        x_room(b);
        memcpy(b->p, nops[k], k);
        b->p += k;
        n -= k;
    }
}

/* ---- SSE scalar (xmm registers are numbered like GPRs) ---- */

/* movq xmm, r64 / movd xmm, r32 */
static inline void x_movq_xr(struct xb *b, bool w, int x, int r) { x_rr(b, 0x6e | X_0F | X_P66 | (w ? X_W : 0), x, r); }
/* movq r64, xmm / movd r32, xmm */
static inline void x_movq_rx(struct xb *b, bool w, int r, int x) { x_rr(b, 0x7e | X_0F | X_P66 | (w ? X_W : 0), x, r); }
/* op xd, xs for opcode (0x58 add, 0x59 mul, 0x5c sub, 0x5e div, 0x51 sqrt, 0x5a cvt) */
static inline void x_sse(struct xb *b, bool dbl, unsigned opc, int xd, int xs)
{
    x_rr(b, opc | X_0F | (dbl ? X_PF2 : X_PF3), xd, xs);
}
/* ucomisd/ucomiss (quiet) and comisd/comiss (signalling) xa, xb */
static inline void x_ucomi(struct xb *b, bool dbl, bool sig, int xa, int xb)
{
    x_rr(b, (sig ? 0x2f : 0x2e) | X_0F | (dbl ? X_P66 : 0), xa, xb);
}
/* cvtsi2sd/ss x, r (64- or 32-bit integer) */
static inline void x_cvtsi2f(struct xb *b, bool dbl, bool w, int x, int r)
{
    x_rr(b, 0x2a | X_0F | (dbl ? X_PF2 : X_PF3) | (w ? X_W : 0), x, r);
}
/* cvt(t)sd/ss2si r, x: trunc rounds toward zero, else by MXCSR */
static inline void x_cvtf2si(struct xb *b, bool dbl, bool trunc, bool w, int r, int x)
{
    x_rr(b, (trunc ? 0x2c : 0x2d) | X_0F | (dbl ? X_PF2 : X_PF3) | (w ? X_W : 0), r, x);
}
static inline void x_xorps(struct xb *b, int xd, int xs) { x_rr(b, 0x57 | X_0F, xd, xs); }
static inline void x_movapd(struct xb *b, int xd, int xs) { x_rr(b, 0x28 | X_0F | X_P66, xd, xs); }
/* movq [m], x (8 bytes) and movq x, [m] (zeroes the rest) */
static inline void x_movq_mx(struct xb *b, int x, int base, int index, int32_t disp)
{
    x_rm(b, 0xd6 | X_0F | X_P66, x, base, index, 0, disp);
}
static inline void x_movq_xm(struct xb *b, int x, int base, int index, int32_t disp)
{
    x_rm(b, 0x7e | X_0F | X_PF3, x, base, index, 0, disp);
}
/* movd [m], x (4 bytes) and movd x, [m] */
static inline void x_movd_mx(struct xb *b, int x, int base, int index, int32_t disp)
{
    x_rm(b, 0x7e | X_0F | X_P66, x, base, index, 0, disp);
}
static inline void x_movd_xm(struct xb *b, int x, int base, int index, int32_t disp)
{
    x_rm(b, 0x6e | X_0F | X_P66, x, base, index, 0, disp);
}
static inline void x_stmxcsr(struct xb *b, int base, int32_t disp) { x_rm(b, 0xae | X_0F, 3, base, X_NOREG, 0, disp); }
static inline void x_ldmxcsr(struct xb *b, int base, int32_t disp) { x_rm(b, 0xae | X_0F, 2, base, X_NOREG, 0, disp); }

/* VEX.LIG.66.0F38.W1 (double) / W0 (single) FMA231: xd = xa * xb + xd, with the op byte
 * 0xb9 fmadd, 0xbb fmsub, 0xbd fnmadd, 0xbf fnmsub */
static inline void x_fma231(struct xb *b, bool dbl, unsigned op, int xd, int xa, int xb)
{
    x_room(b);
    x_b(b, 0xc4);
    x_b(b, (uint8_t)((xd >= 8 ? 0 : 0x80) | 0x40 | (xb >= 8 ? 0 : 0x20) | 2));
    x_b(b, (uint8_t)((dbl ? 0x80 : 0) | ((~xa & 15) << 3) | 1));
    x_b(b, (uint8_t)op);
    x_b(b, (uint8_t)(0xc0 | (xd & 7) << 3 | (xb & 7)));
}

#endif
