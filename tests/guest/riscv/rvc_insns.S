/*
 * One small function per compressed (C extension) instruction, written with explicit c.*
 * mnemonics under .option rvc so the assembler must emit the 16-bit form (it rejects a
 * c.* mnemonic whose operands do not fit). Arguments arrive in a0/a1/a2, the result goes
 * back in a0; rvc.c holds the expected values. c.ebreak is covered by sigill.c.
 */
    .option rvc
    .text

#define FN(name) .globl name; .type name, @function; .balign 2; name:

/* ---- immediates and upper immediates ---- */
FN(rvc_li_m32)      c.li a0, -32
                    c.jr ra
FN(rvc_li_31)       c.li a0, 31
                    c.jr ra
FN(rvc_lui_1)       c.lui a0, 1
                    c.jr ra
FN(rvc_lui_neg)     c.lui a0, 0xfffe0          /* nzimm = -32: 0xfffffffffffe0000 */
                    c.jr ra
FN(rvc_lui_31)      c.lui a0, 31
                    c.jr ra
FN(rvc_addi_m32)    c.addi a0, -32
                    c.jr ra
FN(rvc_addi_31)     c.addi a0, 31
                    c.jr ra
FN(rvc_addiw_1)     c.addiw a0, 1
                    c.jr ra
FN(rvc_addiw_0)     c.addiw a0, 0              /* sext.w */
                    c.jr ra
FN(rvc_nop)         c.li a0, 7
                    c.nop
                    c.jr ra

/* ---- shifts and logic on x8..x15 ---- */
FN(rvc_slli_63)     c.slli a0, 63
                    c.jr ra
FN(rvc_slli_1)      c.slli a0, 1
                    c.jr ra
FN(rvc_srli_63)     c.srli a0, 63
                    c.jr ra
FN(rvc_srli_4)      c.srli a0, 4
                    c.jr ra
FN(rvc_srai_1)      c.srai a0, 1
                    c.jr ra
FN(rvc_srai_63)     c.srai a0, 63
                    c.jr ra
FN(rvc_andi_m32)    c.andi a0, -32
                    c.jr ra
FN(rvc_andi_15)     c.andi a0, 15
                    c.jr ra
FN(rvc_sub)         c.sub a0, a1
                    c.jr ra
FN(rvc_xor)         c.xor a0, a1
                    c.jr ra
FN(rvc_or)          c.or a0, a1
                    c.jr ra
FN(rvc_and)         c.and a0, a1
                    c.jr ra
FN(rvc_subw)        c.subw a0, a1
                    c.jr ra
FN(rvc_addw)        c.addw a0, a1
                    c.jr ra
/* full register set forms */
FN(rvc_mv)          c.mv t3, a1
                    c.mv a0, t3
                    c.jr ra
FN(rvc_add)         c.mv t4, a0
                    c.add t4, a1
                    c.mv a0, t4
                    c.jr ra

/* ---- stack-pointer forms ---- */
FN(rvc_addi4spn)    c.addi4spn a0, sp, 1020
                    sub a0, a0, sp
                    c.jr ra
FN(rvc_addi16sp)    c.mv a1, sp
                    c.addi16sp sp, -512
                    sub a0, a1, sp
                    c.addi16sp sp, 496
                    c.addi16sp sp, 16
                    c.jr ra
/* a0 = value; returns c.ldsp of c.sdsp, and writes c.lwsp(c.swsp) and c.fldsp(c.fsdsp)
 * to a1[0] and a1[1]; uses the largest offsets each form can encode */
FN(rvc_spmem)       c.addi16sp sp, -512
                    c.sdsp a0, 504(sp)
                    c.swsp a0, 252(sp)
                    fmv.d.x fa0, a0
                    c.fsdsp fa0, 488(sp)
                    c.fldsp fa1, 488(sp)
                    c.lwsp a2, 252(sp)
                    c.sd a2, 0(a1)
                    fmv.x.d a3, fa1
                    c.sd a3, 8(a1)
                    c.ldsp a0, 504(sp)
                    c.addi16sp sp, 496
                    c.addi16sp sp, 16
                    c.jr ra

/* ---- register-based loads and stores; a0 = p (16-byte aligned, 48 bytes) ----
 * p[0..7] = a dword, p[8..11] a word with bit 31 set; results go to p[16..47] */
FN(rvc_mem)         c.ld a1, 0(a0)
                    c.sd a1, 16(a0)
                    c.lw a2, 8(a0)
                    c.sd a2, 24(a0)              /* the sign-extended word */
                    c.sw a2, 36(a0)
                    c.fld fa0, 0(a0)
                    c.fsd fa0, 40(a0)
                    c.lw a3, 8(a0)
                    c.addi a3, 1
                    c.sw a3, 32(a0)
                    c.jr ra
FN(rvc_mem_maxoff)  c.ld a1, 248(a0)            /* largest c.ld offset */
                    c.lw a2, 124(a0)            /* largest c.lw offset */
                    c.add a1, a2
                    c.mv a0, a1
                    c.jr ra

/* ---- control transfer ---- */
FN(rvc_j)           c.li a0, 1
                    c.j 1f
                    c.li a0, 2
1:                  c.jr ra
FN(rvc_beqz)        c.mv a1, a0                  /* returns 1 if a0 == 0 else 2 */
                    c.li a0, 1
                    c.beqz a1, 1f
                    c.li a0, 2
1:                  c.jr ra
FN(rvc_bnez)        c.mv a1, a0                  /* returns 1 if a0 != 0 else 2 */
                    c.li a0, 1
                    c.bnez a1, 1f
                    c.li a0, 2
1:                  c.jr ra
FN(rvc_loop)        c.li a1, 0                   /* sum 1..a0 with a backward c.bnez */
1:                  c.add a1, a0
                    c.addi a0, -1
                    c.bnez a0, 1b
                    c.mv a0, a1
                    c.jr ra
FN(rvc_jr)          lla a1, 1f
                    c.li a0, 3
                    c.jr a1
                    c.li a0, 4
1:                  c.jr ra
/* a0 = function; calls it with c.jalr (argument 5) and returns its result */
FN(rvc_jalr)        c.addi16sp sp, -16
                    c.sdsp ra, 8(sp)
                    c.mv a5, a0
                    c.li a0, 5
                    c.jalr a5
                    c.ldsp ra, 8(sp)
                    c.addi16sp sp, 16
                    c.jr ra
/* returns (link register written by c.jalr) - (address after the c.jalr): 0 */
FN(rvc_jalr_link)   c.addi16sp sp, -16
                    c.sdsp ra, 8(sp)
                    lla a5, rvc_get_ra
                    c.jalr a5
2:                  lla a1, 2b
                    c.sub a0, a1
                    c.ldsp ra, 8(sp)
                    c.addi16sp sp, 16
                    c.jr ra
FN(rvc_get_ra)      c.mv a0, ra
                    c.jr ra
FN(rvc_leaf)        c.slli a0, 2
                    c.addi a0, 1
                    c.jr ra
