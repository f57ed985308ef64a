/*
 * Shared by the files of the RISC-V frontend: the per-instruction translation context,
 * instruction field extraction, and the IR emission shortcuts every group uses.
 *
 * Invariants:
 * - A group translator (rv_tr_*) returns 0 when it translated dc->insn, or -EINVAL when
 *   the encoding is not one it knows or is illegal. It decides legality before emitting
 *   anything that matters; the block loop rolls back whatever IR an illegal instruction
 *   emitted anyway and ends the block with IR_EXIT_ILLEGAL.
 * - dc->insn is always a 32-bit encoding: compressed instructions are expanded first
 *   (rv_expand_c), so every group sees one format.
 * - x0 is never read from state (constant 0) and never written.
 */
#ifndef OMNIVM_GUEST_RISCV_RV_INTERNAL_H
#define OMNIVM_GUEST_RISCV_RV_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "guest/riscv/rv_cpu.h"
#include "ir/ir.h"

/* tb_flags of this frontend. User mode (linux-user) translates with 0: no privileged
 * instructions, FP always usable. System mode sets RV_TBF_SYS with the privilege and
 * mstatus.FS, everything that changes how an instruction translates (MPRV, SUM and MXR
 * change only where memory ops go: the TLB's MMU index, at run time). */
#define RV_TBF_PRIV 0x3u /* 0 U, 1 S, 3 M */
#define RV_TBF_FS_SHIFT 2
#define RV_TBF_FS (3u << RV_TBF_FS_SHIFT)
#define RV_TBF_SYS 0x10u

struct rv_dc {
    struct cpu_common *cpu;
    struct ir_block *b;
    uint64_t pc;        /* pc of the instruction being translated */
    uint32_t insn;      /* its 32-bit form (compressed ones expanded) */
    uint32_t raw;       /* the bits as fetched (16 of them for compressed) */
    unsigned len;       /* 2 or 4 */
    bool end;           /* the instruction emitted the block's terminator */
    bool rm_checked;    /* dynamic rounding mode validated since block start/frm write */
    uint32_t flags;     /* b->tb_flags */
    bool fs_dirty;      /* system mode: FS already made Dirty in this block */
};

static inline bool rv_sys(const struct rv_dc *dc) { return (dc->flags & RV_TBF_SYS) != 0; }
static inline unsigned rv_priv(const struct rv_dc *dc) { return dc->flags & RV_TBF_PRIV; }

/* ---- instruction fields ---- */
static inline unsigned rv_opcode(uint32_t i) { return i & 0x7f; }
static inline unsigned rv_rd(uint32_t i) { return (i >> 7) & 31; }
static inline unsigned rv_rs1(uint32_t i) { return (i >> 15) & 31; }
static inline unsigned rv_rs2(uint32_t i) { return (i >> 20) & 31; }
static inline unsigned rv_rs3(uint32_t i) { return (i >> 27) & 31; }
static inline unsigned rv_funct3(uint32_t i) { return (i >> 12) & 7; }
static inline unsigned rv_funct7(uint32_t i) { return (i >> 25) & 0x7f; }
static inline int64_t rv_imm_i(uint32_t i) { return (int64_t)(int32_t)i >> 20; }
/* (arithmetic right shifts of a masked sign bit: no left shift of negative values) */
static inline int64_t rv_imm_s(uint32_t i)
{
    return (int64_t)(((int32_t)(i & 0xfe000000u) >> 20) | (int32_t)((i >> 7) & 31));
}
static inline int64_t rv_imm_b(uint32_t i)
{
    return (int64_t)(((int32_t)(i & 0x80000000u) >> 19) | (int32_t)(((i >> 7) & 1) << 11 |
                     ((i >> 25) & 0x3f) << 5 | ((i >> 8) & 0xf) << 1));
}
static inline int64_t rv_imm_u(uint32_t i) { return (int64_t)(int32_t)(i & 0xfffff000u); }
static inline int64_t rv_imm_j(uint32_t i)
{
    return (int64_t)(((int32_t)(i & 0x80000000u) >> 11) | (int32_t)((i & 0xff000u) |
                     ((i >> 20) & 1) << 11 | ((i >> 21) & 0x3ff) << 1));
}

/* major opcodes */
enum {
    RV_OP_LOAD = 0x03, RV_OP_LOAD_FP = 0x07, RV_OP_MISC_MEM = 0x0f, RV_OP_OP_IMM = 0x13,
    RV_OP_AUIPC = 0x17, RV_OP_OP_IMM_32 = 0x1b, RV_OP_STORE = 0x23, RV_OP_STORE_FP = 0x27,
    RV_OP_AMO = 0x2f, RV_OP_OP = 0x33, RV_OP_LUI = 0x37, RV_OP_OP_32 = 0x3b,
    RV_OP_MADD = 0x43, RV_OP_MSUB = 0x47, RV_OP_NMSUB = 0x4b, RV_OP_NMADD = 0x4f,
    RV_OP_OP_FP = 0x53, RV_OP_BRANCH = 0x63, RV_OP_JALR = 0x67, RV_OP_JAL = 0x6f,
    RV_OP_SYSTEM = 0x73,
};

/* CSR numbers the user-level frontend knows */
enum {
    RV_CSR_FFLAGS = 0x001, RV_CSR_FRM = 0x002, RV_CSR_FCSR = 0x003,
    RV_CSR_CYCLE = 0xc00, RV_CSR_TIME = 0xc01, RV_CSR_INSTRET = 0xc02,
};

/* ---- IR shortcuts ---- */
static inline ir_val rv_c64(struct rv_dc *dc, uint64_t v) { return ir_const(dc->b, IR_I64, v); }
static inline ir_val rv_c32(struct rv_dc *dc, uint32_t v) { return ir_const(dc->b, IR_I32, v); }

static inline ir_val rv_get_x(struct rv_dc *dc, unsigned r)
{
    return r ? ir_get(dc->b, IR_I64, (uint32_t)RV_X(r)) : rv_c64(dc, 0);
}
static inline void rv_set_x(struct rv_dc *dc, unsigned r, ir_val v)
{
    if (r)
        ir_put(dc->b, (uint32_t)RV_X(r), v);
}
static inline ir_val rv_bin(struct rv_dc *dc, enum ir_opcode op, ir_val x, ir_val y)
{
    return ir_binop(dc->b, op, IR_I64, x, y);
}
/* The low 32 bits of an I64 value as an I32 value (the one place the frontend narrows). */
static inline ir_val rv_lo32(struct rv_dc *dc, ir_val v)
{
    return ir_ext(dc->b, IR_ZEXT, IR_I32, v, 32);
}
/* I32 -> I64, sign- or zero-extended */
static inline ir_val rv_sext32(struct rv_dc *dc, ir_val v)
{
    return ir_ext(dc->b, IR_SEXT, IR_I64, v, 32);
}
static inline ir_val rv_zext32(struct rv_dc *dc, ir_val v)
{
    return ir_ext(dc->b, IR_ZEXT, IR_I64, v, 32);
}
static inline uint32_t rv_off_fp_flags(void) { return offsetof(struct cpu_common, fp_flags); }
static inline uint32_t rv_off_fp_rm(void) { return offsetof(struct cpu_common, fp_rm); }

/* Whether the CSR exists for the frontend (and, with write, is writable). */
bool rv_csr_ok(unsigned num, bool write);

/* ---- group translators ---- */
int rv_tr_b(struct rv_dc *dc);   /* Zba, Zbb, Zbs, Zicond (rv_translate_b.c) */
int rv_tr_fp(struct rv_dc *dc);  /* F, D loads/stores/arithmetic (rv_translate_fp.c) */
/* Ensure the dynamic rounding mode is valid before an FP op that uses it. */
void rv_check_dyn_rm(struct rv_dc *dc);

/* ---- system mode (rv_translate_sys.c) ---- */
int rv_tr_system_sys(struct rv_dc *dc); /* SYSTEM, funct3 0: ecall .. sfence.vma */
int rv_tr_csr_sys(struct rv_dc *dc);    /* Zicsr on CSRs other than fflags/frm/fcsr */
int rv_tr_cbo(struct rv_dc *dc);        /* MISC-MEM funct3 2: Zicbom, Zicboz */
/* Before an FP instruction (or FP CSR access): -EINVAL when FS is Off; if it writes FP
 * state, makes FS Dirty (once per block). No-op in user mode. */
int rv_fp_check(struct rv_dc *dc, bool writes);
/* Whether a CSR number exists in system mode (for the translator and disassembler). */
bool rv_sys_csr_exists(unsigned num);

/* Compressed -> 32-bit encoding; 0 if the 16-bit encoding is illegal/reserved. */
uint32_t rv_expand_c(uint16_t c);

/* ---- helpers called from IR (rv_helpers.c) ---- */
extern const struct ir_helper rv_helper_check_rm;   /* (insn): illegal if frm > 4 */
extern const struct ir_helper rv_helper_fclass;     /* (bits, is_double) -> mask */
extern const struct ir_helper rv_helper_orc_b;      /* (x) -> orc.b */
extern const struct ir_helper rv_helper_rdtime;     /* () -> 10 MHz monotonic ticks */
extern const struct ir_helper rv_helper_rdcycle;    /* () -> retired instructions */
/* system mode (rv_csr.c, rv_trap.c) */
extern const struct ir_helper rv_helper_csr;        /* (pack, src) -> old value */
extern const struct ir_helper rv_helper_mret;       /* () -> new pc */
extern const struct ir_helper rv_helper_sret;       /* (insn) -> new pc */
extern const struct ir_helper rv_helper_wfi;        /* (insn): TW check */
extern const struct ir_helper rv_helper_sfence_vma; /* (vaddr, asid, insn | rs1 << 32 | rs2 << 33) */
extern const struct ir_helper rv_helper_fs_dirty;   /* () */
extern const struct ir_helper rv_helper_cbo;        /* (kind, insn): envcfg checks */
uint64_t rv_fclass_bits(uint64_t bits, bool dbl);

/* ---- disassembler (rv_disas.c) ---- */
/* Set once a system-mode hart exists: the disassembler then also knows the privileged
 * instructions and the machine's CSRs (in user mode it agrees with the translator). */
extern bool rv_disas_system;
unsigned rv_disas(uint64_t pc, const uint8_t *code, size_t avail, char *out, size_t outlen);
/* One 32-bit (or expanded) instruction; false if not one the frontend translates. */
bool rv_disas_insn(uint64_t pc, uint32_t insn, char *out, size_t outlen);

#endif
