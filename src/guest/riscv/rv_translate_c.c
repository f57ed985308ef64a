/*
 * The C extension (RV64C): each 16-bit instruction is rewritten as the 32-bit
 * instruction it stands for, so its meaning is written once, by the 32-bit translators.
 *
 * Invariants: rv_expand_c returns 0 for reserved and illegal encodings (including the
 * all-zero halfword) and for encodings of extensions not implemented (Zcb); 0 is never a
 * valid 32-bit instruction, since those end in 0b11. The length of the original (2) is
 * kept by the caller, so pc-relative results still use the 16-bit length.
 */
#include "guest/riscv/rv_internal.h"

static uint32_t enc_i(unsigned op, unsigned f3, unsigned rd, unsigned rs1, int32_t imm)
{
    return ((uint32_t)imm << 20) | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_s(unsigned op, unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}

static uint32_t enc_r(unsigned op, unsigned f3, unsigned f7, unsigned rd, unsigned rs1,
                      unsigned rs2)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_b(unsigned f3, unsigned rs1, unsigned rs2, int32_t off)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | RV_OP_BRANCH;
}

static uint32_t enc_j(unsigned rd, int32_t off)
{
    uint32_t u = (uint32_t)off;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | rd << 7 | RV_OP_JAL;
}

static inline unsigned bit(uint16_t c, unsigned n) { return (c >> n) & 1; }
static inline unsigned bits(uint16_t c, unsigned hi, unsigned lo)
{
    return (c >> lo) & ((1u << (hi - lo + 1)) - 1);
}
static inline int32_t sext(uint32_t v, unsigned width)
{
    return (int32_t)(v << (32 - width)) >> (32 - width);
}

static uint32_t expand_q0(uint16_t c)
{
    unsigned rdp = bits(c, 4, 2) + 8, rs1p = bits(c, 9, 7) + 8;
    /* offsets of the 8-byte (ld/sd/fld/fsd) and 4-byte (lw/sw) register-relative forms */
    int32_t off8 = (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6);
    int32_t off4 = (int32_t)(bits(c, 12, 10) << 3 | bit(c, 6) << 2 | bit(c, 5) << 6);
    switch (bits(c, 15, 13)) {
    case 0: { /* c.addi4spn */
        int32_t imm = (int32_t)(bits(c, 12, 11) << 4 | bits(c, 10, 7) << 6 | bit(c, 6) << 2 |
                                bit(c, 5) << 3);
        return imm ? enc_i(RV_OP_OP_IMM, 0, rdp, 2, imm) : 0;
    }
    case 1: return enc_i(RV_OP_LOAD_FP, 3, rdp, rs1p, off8);     /* c.fld */
    case 2: return enc_i(RV_OP_LOAD, 2, rdp, rs1p, off4);        /* c.lw */
    case 3: return enc_i(RV_OP_LOAD, 3, rdp, rs1p, off8);        /* c.ld */
    case 5: return enc_s(RV_OP_STORE_FP, 3, rs1p, rdp, off8);    /* c.fsd */
    case 6: return enc_s(RV_OP_STORE, 2, rs1p, rdp, off4);       /* c.sw */
    case 7: return enc_s(RV_OP_STORE, 3, rs1p, rdp, off8);       /* c.sd */
    default: return 0;                                           /* reserved / Zcb */
    }
}

static uint32_t expand_q1(uint16_t c)
{
    unsigned rd = bits(c, 11, 7), rdp = bits(c, 9, 7) + 8, rs2p = bits(c, 4, 2) + 8;
    int32_t imm6 = sext(bit(c, 12) << 5 | bits(c, 6, 2), 6);
    switch (bits(c, 15, 13)) {
    case 0: return enc_i(RV_OP_OP_IMM, 0, rd, rd, imm6);               /* c.addi, c.nop */
    case 1: return rd ? enc_i(RV_OP_OP_IMM_32, 0, rd, rd, imm6) : 0;  /* c.addiw */
    case 2: return enc_i(RV_OP_OP_IMM, 0, rd, 0, imm6);                /* c.li */
    case 3:
        if (rd == 2) { /* c.addi16sp */
            int32_t imm = sext(bit(c, 12) << 9 | bit(c, 6) << 4 | bit(c, 5) << 6 |
                               bits(c, 4, 3) << 7 | bit(c, 2) << 5, 10);
            return imm ? enc_i(RV_OP_OP_IMM, 0, 2, 2, imm) : 0;
        }
        /* c.lui */
        if (imm6 == 0)
            return 0;
        return ((uint32_t)imm6 << 12) | rd << 7 | RV_OP_LUI;
    case 4: {
        unsigned shamt = bit(c, 12) << 5 | bits(c, 6, 2);
        switch (bits(c, 11, 10)) {
        case 0: return enc_i(RV_OP_OP_IMM, 5, rdp, rdp, (int32_t)shamt);          /* c.srli */
        case 1: return enc_i(RV_OP_OP_IMM, 5, rdp, rdp, (int32_t)(shamt | 0x400)); /* c.srai */
        case 2: return enc_i(RV_OP_OP_IMM, 7, rdp, rdp, imm6);                     /* c.andi */
        default: {
            static const uint8_t f3[4] = {0, 4, 6, 7}; /* sub xor or and */
            unsigned k = bits(c, 6, 5);
            if (!bit(c, 12))
                return enc_r(RV_OP_OP, f3[k], k == 0 ? 0x20 : 0, rdp, rdp, rs2p);
            if (k == 0)
                return enc_r(RV_OP_OP_32, 0, 0x20, rdp, rdp, rs2p); /* c.subw */
            if (k == 1)
                return enc_r(RV_OP_OP_32, 0, 0, rdp, rdp, rs2p);    /* c.addw */
            return 0;
        }
        }
    }
    case 5: { /* c.j */
        int32_t off = sext(bit(c, 12) << 11 | bit(c, 11) << 4 | bits(c, 10, 9) << 8 |
                           bit(c, 8) << 10 | bit(c, 7) << 6 | bit(c, 6) << 7 |
                           bits(c, 5, 3) << 1 | bit(c, 2) << 5, 12);
        return enc_j(0, off);
    }
    default: { /* c.beqz, c.bnez */
        int32_t off = sext(bit(c, 12) << 8 | bits(c, 11, 10) << 3 | bits(c, 6, 5) << 6 |
                           bits(c, 4, 3) << 1 | bit(c, 2) << 5, 9);
        return enc_b(bits(c, 15, 13) == 6 ? 0 : 1, rdp, 0, off);
    }
    }
}

static uint32_t expand_q2(uint16_t c)
{
    unsigned rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
    int32_t off8 = (int32_t)(bit(c, 12) << 5 | bits(c, 6, 5) << 3 | bits(c, 4, 2) << 6);
    int32_t off4 = (int32_t)(bit(c, 12) << 5 | bits(c, 6, 4) << 2 | bits(c, 3, 2) << 6);
    int32_t soff8 = (int32_t)(bits(c, 12, 10) << 3 | bits(c, 9, 7) << 6);
    int32_t soff4 = (int32_t)(bits(c, 12, 9) << 2 | bits(c, 8, 7) << 6);
    switch (bits(c, 15, 13)) {
    case 0: /* c.slli */
        return enc_i(RV_OP_OP_IMM, 1, rd, rd, (int32_t)(bit(c, 12) << 5 | rs2));
    case 1: return enc_i(RV_OP_LOAD_FP, 3, rd, 2, off8);             /* c.fldsp */
    case 2: return rd ? enc_i(RV_OP_LOAD, 2, rd, 2, off4) : 0;      /* c.lwsp */
    case 3: return rd ? enc_i(RV_OP_LOAD, 3, rd, 2, off8) : 0;      /* c.ldsp */
    case 4:
        if (!bit(c, 12)) {
            if (rs2)
                return enc_r(RV_OP_OP, 0, 0, rd, 0, rs2);           /* c.mv */
            return rd ? enc_i(RV_OP_JALR, 0, 0, rd, 0) : 0;         /* c.jr */
        }
        if (rs2)
            return enc_r(RV_OP_OP, 0, 0, rd, rd, rs2);              /* c.add */
        if (rd)
            return enc_i(RV_OP_JALR, 0, 1, rd, 0);                  /* c.jalr */
        return 0x00100073u;                                         /* c.ebreak */
    case 5: return enc_s(RV_OP_STORE_FP, 3, 2, rs2, soff8);         /* c.fsdsp */
    case 6: return enc_s(RV_OP_STORE, 2, 2, rs2, soff4);            /* c.swsp */
    default: return enc_s(RV_OP_STORE, 3, 2, rs2, soff8);           /* c.sdsp */
    }
}

uint32_t rv_expand_c(uint16_t c)
{
    switch (c & 3) {
    case 0: return expand_q0(c);
    case 1: return expand_q1(c);
    case 2: return expand_q2(c);
    default: return 0; /* not a compressed instruction */
    }
}
