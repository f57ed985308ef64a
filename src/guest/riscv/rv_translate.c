/*
 * RISC-V 64 -> IR: the block loop and the integer core (RV64I, M, A, Zicsr, Zifencei,
 * ecall/ebreak). FP and bit-manipulation groups live beside this file.
 *
 * Invariants:
 * - Code is read with cpu->fetch two bytes at a time, so a 4-byte instruction straddling
 *   a page is read in two fetches and a fault on either half is seen.
 * - A block never crosses a 4 KiB page after the one its first instruction starts in:
 *   it ends as soon as the next pc lies on another page.
 * - Every instruction starts with INSN_START; an illegal one leaves only its INSN_START
 *   and an IR_EXIT_ILLEGAL at its pc.
 * - The pc is never PUT: exits carry their target, and the engines derive the pc of a
 *   faulting op from INSN_START.
 * - -d in_asm is printed by the engine (through rv64_arch.disas), not here.
 * - tb_flags 0 is user mode; with RV_TBF_SYS the privileged instructions, the machine's
 *   CSRs and the FS checks of system mode come from rv_translate_sys.c.
 */
#include <errno.h>
#include "guest/riscv/rv_internal.h"

/* ---- RV64I ---- */

static int tr_lui_auipc(struct rv_dc *dc)
{
    uint64_t v = (uint64_t)rv_imm_u(dc->insn);
    if (rv_opcode(dc->insn) == RV_OP_AUIPC)
        v += dc->pc;
    rv_set_x(dc, rv_rd(dc->insn), rv_c64(dc, v));
    return 0;
}

static int tr_jal(struct rv_dc *dc)
{
    uint64_t target = dc->pc + (uint64_t)rv_imm_j(dc->insn);
    rv_set_x(dc, rv_rd(dc->insn), rv_c64(dc, dc->pc + dc->len));
    ir_goto(dc->b, target);
    dc->end = true;
    return 0;
}

static int tr_jalr(struct rv_dc *dc)
{
    if (rv_funct3(dc->insn))
        return -EINVAL;
    /* the target is computed before rd is written: rd may equal rs1 */
    ir_val t = rv_bin(dc, IR_ADD, rv_get_x(dc, rv_rs1(dc->insn)), rv_c64(dc, (uint64_t)rv_imm_i(dc->insn)));
    t = rv_bin(dc, IR_AND, t, rv_c64(dc, ~1ull));
    rv_set_x(dc, rv_rd(dc->insn), rv_c64(dc, dc->pc + dc->len));
    ir_goto_ind(dc->b, t);
    dc->end = true;
    return 0;
}

static int tr_branch(struct rv_dc *dc)
{
    static const int8_t cond[8] = {IR_EQ, IR_NE, -1, -1, IR_LT, IR_GE, IR_LTU, IR_GEU};
    int c = cond[rv_funct3(dc->insn)];
    if (c < 0)
        return -EINVAL;
    ir_val a = rv_get_x(dc, rv_rs1(dc->insn)), b = rv_get_x(dc, rv_rs2(dc->insn));
    ir_val t = ir_setcc(dc->b, IR_I64, (enum ir_cond)c, a, b);
    ir_exit_if(dc->b, t, dc->pc + (uint64_t)rv_imm_b(dc->insn));
    ir_goto(dc->b, dc->pc + dc->len);
    dc->end = true;
    return 0;
}

static int tr_load(struct rv_dc *dc)
{
    unsigned f3 = rv_funct3(dc->insn);
    if (f3 == 7)
        return -EINVAL;
    ir_val a = rv_bin(dc, IR_ADD, rv_get_x(dc, rv_rs1(dc->insn)), rv_c64(dc, (uint64_t)rv_imm_i(dc->insn)));
    /* loads to x0 still access memory: they may fault */
    ir_val v = ir_load(dc->b, IR_I64, a, ir_mem(f3 & 3, !(f3 & 4)));
    rv_set_x(dc, rv_rd(dc->insn), v);
    return 0;
}

static int tr_store(struct rv_dc *dc)
{
    unsigned f3 = rv_funct3(dc->insn);
    if (f3 > 3)
        return -EINVAL;
    ir_val a = rv_bin(dc, IR_ADD, rv_get_x(dc, rv_rs1(dc->insn)), rv_c64(dc, (uint64_t)rv_imm_s(dc->insn)));
    ir_store(dc->b, a, rv_get_x(dc, rv_rs2(dc->insn)), ir_mem(f3, false));
    return 0;
}

/* OP-IMM and OP-IMM-32 base encodings; others go to the bit-manipulation group. */
static int tr_op_imm(struct rv_dc *dc, bool w)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), rd = rv_rd(i);
    int64_t imm = rv_imm_i(i);
    unsigned sh = (i >> 20) & (w ? 31 : 63), hi = w ? (i >> 25) : (i >> 26);
    enum ir_opcode op;
    switch (f3) {
    case 0: op = IR_ADD; break;
    case 1:
        if (hi != 0)
            return rv_tr_b(dc);
        op = IR_SHL;
        imm = sh;
        break;
    case 5:
        if (hi == 0)
            op = IR_SHR;
        else if (hi == (w ? 0x20u : 0x10u))
            op = IR_SAR;
        else
            return rv_tr_b(dc);
        imm = sh;
        break;
    case 2: case 3: case 4: case 6: case 7:
        if (w)
            return -EINVAL;
        op = f3 == 4 ? IR_XOR : f3 == 6 ? IR_OR : f3 == 7 ? IR_AND : IR_NUM_OPS;
        break;
    default: return -EINVAL;
    }
    if (rd == 0)
        return 0; /* hints (nop, etc.): no effect */
    ir_val a = rv_get_x(dc, rv_rs1(i)), v;
    if (f3 == 2 || f3 == 3) {
        v = ir_setcc(dc->b, IR_I64, f3 == 2 ? IR_LT : IR_LTU, a, rv_c64(dc, (uint64_t)imm));
    } else if (w) {
        v = ir_binop(dc->b, op, IR_I32, rv_lo32(dc, a), rv_c32(dc, (uint32_t)imm));
        v = rv_sext32(dc, v);
    } else {
        v = rv_bin(dc, op, a, rv_c64(dc, (uint64_t)imm));
    }
    rv_set_x(dc, rd, v);
    return 0;
}

/* OP and OP-32: base, M, and (via rv_tr_b) Zba/Zbb/Zbs/Zicond. */
static int tr_op(struct rv_dc *dc, bool w)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), f7 = rv_funct7(i), rd = rv_rd(i);
    static const enum ir_opcode base[8] = {IR_ADD, IR_SHL, IR_NUM_OPS, IR_NUM_OPS,
                                           IR_XOR, IR_SHR, IR_OR, IR_AND};
    static const enum ir_opcode mext[8] = {IR_MUL, IR_MULHS, IR_MULHSU, IR_MULHU,
                                           IR_DIV, IR_DIVU, IR_REM, IR_REMU};
    enum ir_opcode op;
    bool slt = false;
    if (f7 == 0) {
        if (w && f3 != 0 && f3 != 1 && f3 != 5)
            return -EINVAL;
        slt = f3 == 2 || f3 == 3;
        op = base[f3];
    } else if (f7 == 0x20 && (f3 == 0 || f3 == 5)) {
        op = f3 == 0 ? IR_SUB : IR_SAR;
    } else if (f7 == 1) {
        if (w && f3 >= 1 && f3 <= 3)
            return -EINVAL;
        op = mext[f3];
    } else {
        return rv_tr_b(dc);
    }
    if (rd == 0)
        return 0;
    ir_val a = rv_get_x(dc, rv_rs1(i)), b = rv_get_x(dc, rv_rs2(i)), v;
    if (slt) {
        v = ir_setcc(dc->b, IR_I64, f3 == 2 ? IR_LT : IR_LTU, a, b);
    } else if (w) {
        v = rv_sext32(dc, ir_binop(dc->b, op, IR_I32, rv_lo32(dc, a), rv_lo32(dc, b)));
    } else {
        v = rv_bin(dc, op, a, b);
    }
    rv_set_x(dc, rd, v);
    return 0;
}

static int tr_misc_mem(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    switch (rv_funct3(i)) {
    case 0: { /* fence: fm/pred/succ; rd, rs1 reserved and ignored as the spec asks */
        unsigned pred = (i >> 24) & 15, succ = (i >> 20) & 15, fm = i >> 28, kind = 0;
        if (fm == 8 && pred == 3 && succ == 3) { /* fence.tso */
            kind = IR_FENCE_RR | IR_FENCE_RW | IR_FENCE_WW;
        } else {
            /* bit 1 = R, bit 0 = W (I/O bits 3/2 fold into memory in user mode) */
            bool pr = pred & 0xa, pw = pred & 0x5, sr = succ & 0xa, sw = succ & 0x5;
            kind = (pr && sr ? IR_FENCE_RR : 0) | (pr && sw ? IR_FENCE_RW : 0) |
                   (pw && sr ? IR_FENCE_WR : 0) | (pw && sw ? IR_FENCE_WW : 0);
        }
        if (kind)
            ir_fence(dc->b, kind);
        return 0;
    }
    case 1: /* fence.i: code may have changed; later code must be re-read */
        ir_exit(dc->b, IR_EXIT_FLUSH, dc->pc + dc->len);
        dc->end = true;
        return 0;
    case 2: /* cache-block operations: system mode only */
        return rv_sys(dc) ? rv_tr_cbo(dc) : -EINVAL;
    default: return -EINVAL;
    }
}

/* ---- A ---- */

static enum ir_order amo_order(uint32_t i)
{
    bool aq = (i >> 26) & 1, rl = (i >> 25) & 1;
    return aq && rl ? IR_ORD_SEQ : aq ? IR_ORD_ACQ : rl ? IR_ORD_REL : IR_ORD_PLAIN;
}

static int tr_amo(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), f5 = i >> 27, rd = rv_rd(i);
    if (f3 != 2 && f3 != 3)
        return -EINVAL;
    bool w = f3 == 2;
    enum ir_type t = w ? IR_I32 : IR_I64;
    struct ir_memop m = {.size = (uint8_t)f3, .sign = w, .order = (uint8_t)amo_order(i), .align = 1};
    struct ir_block *b = dc->b;
    ir_val addr, v;
    switch (f5) {
    case 0x02: /* lr */
        if (rv_rs2(i))
            return -EINVAL;
        addr = rv_get_x(dc, rv_rs1(i));
        v = ir_load(b, IR_I64, addr, m);
        ir_put(b, offsetof(struct rv_cpu, res_addr), addr);
        ir_put(b, offsetof(struct rv_cpu, res_val), v);
        rv_set_x(dc, rd, v);
        return 0;
    case 0x03: { /* sc: CAS against the value LR saw, with no branches in the block */
        addr = rv_get_x(dc, rv_rs1(i));
        ir_val nv = rv_get_x(dc, rv_rs2(i));
        ir_val ra = ir_get(b, IR_I64, offsetof(struct rv_cpu, res_addr));
        ir_val rval = ir_get(b, IR_I64, offsetof(struct rv_cpu, res_val));
        ir_val ok = ir_setcc(b, IR_I64, IR_EQ, addr, ra);
        ir_val old;
        m.sign = 0;
        if (w) {
            ir_val e32 = rv_lo32(dc, rval);
            ir_val n32 = ir_select(b, IR_I32, ok, rv_lo32(dc, nv), e32);
            old = rv_sext32(dc, ir_cmpxchg(b, IR_I32, addr, e32, n32, m));
        } else {
            old = ir_cmpxchg(b, IR_I64, addr, rval, ir_select(b, IR_I64, ok, nv, rval), m);
        }
        ir_val same = ir_setcc(b, IR_I64, IR_EQ, old, rval);
        ir_val success = rv_bin(dc, IR_AND, ok, same);
        rv_set_x(dc, rd, rv_bin(dc, IR_XOR, success, rv_c64(dc, 1)));
        ir_put(b, offsetof(struct rv_cpu, res_addr), rv_c64(dc, RV_NO_RESERVATION));
        return 0;
    }
    default: break;
    }
    /* funct5 -> IR_RMW_* + 1; 0 marks a reserved funct5 */
    static const uint8_t kinds[32] = {
        [0x00] = IR_RMW_ADD + 1, [0x01] = IR_RMW_XCHG + 1, [0x04] = IR_RMW_XOR + 1,
        [0x08] = IR_RMW_OR + 1,  [0x0c] = IR_RMW_AND + 1,  [0x10] = IR_RMW_MIN + 1,
        [0x14] = IR_RMW_MAX + 1, [0x18] = IR_RMW_MINU + 1, [0x1c] = IR_RMW_MAXU + 1,
    };
    if (!kinds[f5])
        return -EINVAL;
    enum ir_rmw k = (enum ir_rmw)(kinds[f5] - 1);
    m.sign = 0;
    addr = rv_get_x(dc, rv_rs1(i));
    v = rv_get_x(dc, rv_rs2(i));
    if (w)
        v = rv_sext32(dc, ir_atomic_rmw(b, t, k, addr, rv_lo32(dc, v), m));
    else
        v = ir_atomic_rmw(b, t, k, addr, v, m);
    rv_set_x(dc, rd, v);
    return 0;
}

/* ---- Zicsr ----
 * Each CSR is a row: a reader and an optional writer that emit IR. Machine and
 * supervisor CSRs join this table (with a privilege check) when system mode lands. */

struct rv_csr {
    uint16_t num;
    ir_val (*read)(struct rv_dc *dc);
    void (*write)(struct rv_dc *dc, ir_val v); /* NULL: read-only */
};

static ir_val csr_get32(struct rv_dc *dc, uint32_t off)
{
    return rv_zext32(dc, ir_get(dc->b, IR_I32, off));
}

static ir_val csr_read_fflags(struct rv_dc *dc) { return csr_get32(dc, rv_off_fp_flags()); }
static ir_val csr_read_frm(struct rv_dc *dc) { return csr_get32(dc, rv_off_fp_rm()); }
static ir_val csr_read_fcsr(struct rv_dc *dc)
{
    ir_val rm = rv_bin(dc, IR_SHL, csr_read_frm(dc), rv_c64(dc, 5));
    return rv_bin(dc, IR_OR, rm, csr_read_fflags(dc));
}
static void csr_put_field(struct rv_dc *dc, uint32_t off, ir_val v, unsigned shift, uint64_t mask)
{
    if (shift)
        v = rv_bin(dc, IR_SHR, v, rv_c64(dc, shift));
    v = rv_bin(dc, IR_AND, v, rv_c64(dc, mask));
    ir_put(dc->b, off, rv_lo32(dc, v));
}
static void csr_write_fflags(struct rv_dc *dc, ir_val v)
{
    csr_put_field(dc, rv_off_fp_flags(), v, 0, 0x1f);
}
static void csr_write_frm(struct rv_dc *dc, ir_val v)
{
    csr_put_field(dc, rv_off_fp_rm(), v, 0, 7);
    dc->rm_checked = false; /* later DYN ops in this block must re-check */
}
static void csr_write_fcsr(struct rv_dc *dc, ir_val v)
{
    csr_put_field(dc, rv_off_fp_flags(), v, 0, 0x1f);
    csr_put_field(dc, rv_off_fp_rm(), v, 5, 7);
    dc->rm_checked = false;
}
static ir_val csr_read_time(struct rv_dc *dc)
{
    return ir_call(dc->b, &rv_helper_rdtime, IR_I64, 0, 0, 0, 0);
}
static ir_val csr_read_cycle(struct rv_dc *dc)
{
    return ir_call(dc->b, &rv_helper_rdcycle, IR_I64, 0, 0, 0, 0);
}

static const struct rv_csr rv_csrs[] = {
    {RV_CSR_FFLAGS, csr_read_fflags, csr_write_fflags},
    {RV_CSR_FRM, csr_read_frm, csr_write_frm},
    {RV_CSR_FCSR, csr_read_fcsr, csr_write_fcsr},
    {RV_CSR_CYCLE, csr_read_cycle, NULL},
    {RV_CSR_TIME, csr_read_time, NULL},
    {RV_CSR_INSTRET, csr_read_cycle, NULL},
};

static const struct rv_csr *csr_find(unsigned num)
{
    for (size_t k = 0; k < sizeof(rv_csrs) / sizeof(rv_csrs[0]); k++)
        if (rv_csrs[k].num == num)
            return &rv_csrs[k];
    return NULL;
}

bool rv_csr_ok(unsigned num, bool write)
{
    const struct rv_csr *csr = csr_find(num);
    return csr && (!write || csr->write);
}

static int tr_csr(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), rs1 = rv_rs1(i), op = f3 & 3;
    if (op == 0)
        return -EINVAL;
    const struct rv_csr *csr = csr_find(i >> 20);
    /* in system mode only the FP CSRs stay inline IR; the rest are the machine's */
    if (rv_sys(dc) && (!csr || csr->num > RV_CSR_FCSR))
        return rv_tr_csr_sys(dc);
    if (!csr)
        return -EINVAL;
    /* csrrw always writes and reads only if rd != 0; csrrs/csrrc always read and write
     * only if rs1 (or the immediate) is non-zero */
    bool do_write = op == 1 || rs1 != 0, do_read = op != 1 || rd != 0;
    if (do_write && !csr->write)
        return -EINVAL;
    if (rv_fp_check(dc, do_write) < 0)
        return -EINVAL;
    ir_val src = (f3 & 4) ? rv_c64(dc, rs1) : rv_get_x(dc, rs1);
    ir_val old = do_read ? csr->read(dc) : IR_NOVAL;
    if (do_write) {
        ir_val nv = src;
        if (op == 2)
            nv = rv_bin(dc, IR_OR, old, src);
        else if (op == 3)
            nv = rv_bin(dc, IR_AND, old, ir_unop(dc->b, IR_NOT, IR_I64, src));
        csr->write(dc, nv);
    }
    if (do_read)
        rv_set_x(dc, rd, old);
    return 0;
}

static int tr_system(struct rv_dc *dc)
{
    uint32_t i = dc->insn;
    if (rv_funct3(i) != 0)
        return rv_funct3(i) == 4 ? -EINVAL : tr_csr(dc);
    if (rv_sys(dc))
        return rv_tr_system_sys(dc);
    if (rv_rd(i) || rv_rs1(i))
        return -EINVAL;
    switch (i >> 20) {
    case 0x000: ir_exit(dc->b, IR_EXIT_SYSCALL, dc->pc); break;
    case 0x001: ir_exit(dc->b, IR_EXIT_BREAK, dc->pc); break;
    default: return -EINVAL; /* mret/sret/wfi/sfence.vma: not in user mode */
    }
    dc->end = true;
    return 0;
}

/* ---- dispatch and the block loop ---- */

static int tr_insn(struct rv_dc *dc)
{
    switch (rv_opcode(dc->insn)) {
    case RV_OP_LUI: case RV_OP_AUIPC: return tr_lui_auipc(dc);
    case RV_OP_JAL: return tr_jal(dc);
    case RV_OP_JALR: return tr_jalr(dc);
    case RV_OP_BRANCH: return tr_branch(dc);
    case RV_OP_LOAD: return tr_load(dc);
    case RV_OP_STORE: return tr_store(dc);
    case RV_OP_OP_IMM: return tr_op_imm(dc, false);
    case RV_OP_OP_IMM_32: return tr_op_imm(dc, true);
    case RV_OP_OP: return tr_op(dc, false);
    case RV_OP_OP_32: return tr_op(dc, true);
    case RV_OP_MISC_MEM: return tr_misc_mem(dc);
    case RV_OP_AMO: return tr_amo(dc);
    case RV_OP_SYSTEM: return tr_system(dc);
    case RV_OP_LOAD_FP: case RV_OP_STORE_FP: case RV_OP_MADD: case RV_OP_MSUB:
    case RV_OP_NMSUB: case RV_OP_NMADD: case RV_OP_OP_FP:
        if (rv_fp_check(dc, rv_opcode(dc->insn) != RV_OP_STORE_FP) < 0)
            return -EINVAL;
        return rv_tr_fp(dc);
    default: return -EINVAL;
    }
}

static bool trace_has(const struct ir_block *b, uint64_t pc)
{
    for (uint32_t k = 0; k < b->n_insn; k++)
        if (b->insn[k].op == IR_INSN_START && b->insn[k].imm == pc) return true;
    return false;
}

/* A superblock (IR_XLATE_TRACE) goes on across the GOTO ending the block so far, which
 * began its last part at seg_pc; returns the pc to go on at, or 0 to stop. Only to a pc
 * in the first page that the block does not hold yet (no copy of a loop body). After a
 * conditional branch it follows the side branch_bias says is hot, inverting the branch
 * when that is the taken side; without a bias, the fall-through of a forward branch (a
 * backward branch closes a loop and is likely taken: the block ends there). */
static uint64_t trace_next(struct ir_block *b, uint64_t page, uint64_t seg_pc, unsigned max_insns)
{
    struct ir_insn *last = &b->insn[b->n_insn - 1];
    if (b->n_insn < 1 || last->op != IR_GOTO || b->n_guest >= max_insns) return 0;
    uint64_t fall = last->imm;
    struct ir_insn *br = b->n_insn >= 3 && last[-1].op == IR_EXIT_IF ? &last[-1] : NULL;
    struct ir_insn *cc = br && br[-1].op == IR_SETCC && br[-1].dst == br->arg[0] ? &br[-1] : NULL;
    if (br) {
        uint64_t taken = br->imm;
        int bias = b->branch_bias ? b->branch_bias(b, seg_pc, taken, fall) : -1;
        if (bias == 1 && cc && (taken & ~0xfffull) == page && taken != b->pc && !trace_has(b, taken)) {
            cc->aux = ir_cond_invert((enum ir_cond)cc->aux); /* exit to fall instead */
            br->imm = fall;
            b->n_insn--;
            return taken;
        }
        if (bias == 1 || (bias < 0 && taken <= fall)) return 0;
    }
    if ((fall & ~0xfffull) != page || fall == b->pc || trace_has(b, fall)) return 0;
    b->n_insn--;
    return fall;
}

int rv_translate(struct cpu_common *cpu, struct ir_block *b, unsigned max_insns)
{
    struct rv_dc dc = {.cpu = cpu, .b = b, .flags = b->tb_flags};
    uint64_t pc = b->pc, seg_pc = pc, page = b->pc & ~0xfffull;
    if (max_insns == 0)
        max_insns = 1;
    for (;;) {
        uint16_t lo, hi = 0;
        if (cpu->fetch(cpu, pc, &lo, 2) < 0 ||
            ((lo & 3) == 3 && cpu->fetch(cpu, pc + 2, &hi, 2) < 0)) {
            if (b->n_guest == 0)
                return -EFAULT;
            ir_goto(b, pc); /* the fault is raised when that pc is reached */
            break;
        }
        dc.pc = pc;
        dc.len = (lo & 3) == 3 ? 4 : 2;
        dc.raw = lo | (uint32_t)hi << 16;
        dc.insn = dc.len == 4 ? dc.raw : rv_expand_c(lo);
        dc.end = false;

        ir_insn_start(b, pc, dc.len);
        uint32_t mark_insn = b->n_insn, mark_val = b->n_val;
        bool mark_rm = dc.rm_checked, mark_fs = dc.fs_dirty;
        int r = dc.insn ? tr_insn(&dc) : -EINVAL;
        b->n_guest++;
        b->guest_size += dc.len;
        if (r < 0) {
            b->n_insn = mark_insn;
            b->n_val = mark_val;
            dc.rm_checked = mark_rm;
            dc.fs_dirty = mark_fs;
            ir_exit(b, IR_EXIT_ILLEGAL, pc);
            break;
        }
        if (dc.end) {
            uint64_t next = b->xlate & IR_XLATE_TRACE ? trace_next(b, page, seg_pc, max_insns) : 0;
            if (next) {
                pc = seg_pc = next;
                continue;
            }
            break;
        }
        pc += dc.len;
        if ((pc & ~0xfffull) != page || b->n_guest >= max_insns) {
            ir_goto(b, pc);
            break;
        }
    }
    return 0; /* on allocation failure b->oom is set and the caller discards b */
}
