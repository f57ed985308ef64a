/*
 * RISC-V 64 disassembler for -d in_asm: every instruction the frontend translates, in
 * objdump's style (ABI register names, common aliases such as li/mv/ret/j, rounding mode
 * shown only when not dynamic). Compressed instructions are shown as the 32-bit
 * instruction they expand to, as objdump does by default.
 *
 * Invariants: never reads beyond `avail` bytes; returns 0 only when fewer bytes than the
 * instruction's length are available. Unknown encodings print as ".insn 0x...".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guest/riscv/rv_internal.h"

static const char *const xn[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
static const char *const fn[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
    "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
static const char *const rmn[8] = {"rne", "rtz", "rdn", "rup", "rmm", "", "", "dyn"};

struct out {
    char *p;
    size_t n;
};

__attribute__((format(printf, 2, 3))) static bool put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->p, o->n, fmt, ap);
    va_end(ap);
    return true;
}

bool rv_disas_system;

static const char *csr_name(unsigned n, char *buf, size_t len)
{
    switch (n) {
    case RV_CSR_FFLAGS: return "fflags";
    case RV_CSR_FRM: return "frm";
    case RV_CSR_FCSR: return "fcsr";
    case RV_CSR_CYCLE: return "cycle";
    case RV_CSR_TIME: return "time";
    case RV_CSR_INSTRET: return "instret";
    default: break;
    }
    static const struct {
        uint16_t n;
        const char *name;
    } sys[] = {
        {0x100, "sstatus"}, {0x104, "sie"}, {0x105, "stvec"}, {0x106, "scounteren"},
        {0x10a, "senvcfg"}, {0x140, "sscratch"}, {0x141, "sepc"}, {0x142, "scause"},
        {0x143, "stval"}, {0x144, "sip"}, {0x14d, "stimecmp"}, {0x180, "satp"},
        {0x300, "mstatus"}, {0x301, "misa"}, {0x302, "medeleg"}, {0x303, "mideleg"},
        {0x304, "mie"}, {0x305, "mtvec"}, {0x306, "mcounteren"}, {0x30a, "menvcfg"},
        {0x320, "mcountinhibit"}, {0x340, "mscratch"}, {0x341, "mepc"}, {0x342, "mcause"},
        {0x343, "mtval"}, {0x344, "mip"}, {0x3a0, "pmpcfg0"}, {0x3a2, "pmpcfg2"},
        {0xb00, "mcycle"}, {0xb02, "minstret"}, {0xf11, "mvendorid"}, {0xf12, "marchid"},
        {0xf13, "mimpid"}, {0xf14, "mhartid"}, {0xf15, "mconfigptr"},
    };
    for (size_t k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
        if (sys[k].n == n)
            return sys[k].name;
    if (n >= 0x3b0 && n <= 0x3bf) {
        snprintf(buf, len, "pmpaddr%u", n - 0x3b0);
        return buf;
    }
    snprintf(buf, len, "0x%x", n);
    return buf;
}

static bool dis_op_imm(struct out *o, uint32_t i, bool w)
{
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), rs1 = rv_rs1(i), sh = (i >> 20) & 63;
    int64_t imm = rv_imm_i(i);
    unsigned hi = w ? i >> 25 : i >> 26;
    if (w) {
        switch (f3) {
        case 0:
            if (imm == 0)
                return put(o, "sext.w\t%s,%s", xn[rd], xn[rs1]);
            return put(o, "addiw\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
        case 1:
            if (hi == 0)
                return put(o, "slliw\t%s,%s,%u", xn[rd], xn[rs1], sh & 31);
            if ((i >> 26) == 2)
                return put(o, "slli.uw\t%s,%s,%u", xn[rd], xn[rs1], sh);
            if (hi == 0x30 && (sh & 31) <= 2) {
                static const char *const n[3] = {"clzw", "ctzw", "cpopw"};
                return put(o, "%s\t%s,%s", n[sh & 31], xn[rd], xn[rs1]);
            }
            return false;
        case 5:
            if (hi == 0 || hi == 0x20)
                return put(o, "%s\t%s,%s,%u", hi ? "sraiw" : "srliw", xn[rd], xn[rs1], sh & 31);
            if (hi == 0x30)
                return put(o, "roriw\t%s,%s,%u", xn[rd], xn[rs1], sh & 31);
            return false;
        default: return false;
        }
    }
    switch (f3) {
    case 0:
        if (rd == 0 && rs1 == 0 && imm == 0)
            return put(o, "nop");
        if (rs1 == 0)
            return put(o, "li\t%s,%" PRId64, xn[rd], imm);
        if (imm == 0)
            return put(o, "mv\t%s,%s", xn[rd], xn[rs1]);
        return put(o, "addi\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 2: return put(o, "slti\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 3:
        if (imm == 1)
            return put(o, "seqz\t%s,%s", xn[rd], xn[rs1]);
        return put(o, "sltiu\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 4:
        if (imm == -1)
            return put(o, "not\t%s,%s", xn[rd], xn[rs1]);
        return put(o, "xori\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 6: return put(o, "ori\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 7: return put(o, "andi\t%s,%s,%" PRId64, xn[rd], xn[rs1], imm);
    case 1:
        switch (hi) {
        case 0x00: return put(o, "slli\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x12: return put(o, "bclri\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x1a: return put(o, "binvi\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x0a: return put(o, "bseti\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x18: {
            static const char *const n[6] = {"clz", "ctz", "cpop", NULL, "sext.b", "sext.h"};
            if ((i >> 20) >= 0x600 && (i >> 20) <= 0x605 && n[sh & 7])
                return put(o, "%s\t%s,%s", n[sh & 7], xn[rd], xn[rs1]);
            return false;
        }
        default: return false;
        }
    default: /* 5 */
        if ((i >> 20) == 0x287)
            return put(o, "orc.b\t%s,%s", xn[rd], xn[rs1]);
        if ((i >> 20) == 0x6b8)
            return put(o, "rev8\t%s,%s", xn[rd], xn[rs1]);
        switch (hi) {
        case 0x00: return put(o, "srli\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x10: return put(o, "srai\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x12: return put(o, "bexti\t%s,%s,%u", xn[rd], xn[rs1], sh);
        case 0x18: return put(o, "rori\t%s,%s,%u", xn[rd], xn[rs1], sh);
        default: return false;
        }
    }
}

struct rop {
    uint8_t f7, f3;
    const char *name;
};

static const struct rop rops[] = {
    {0x00, 0, "add"}, {0x20, 0, "sub"}, {0x00, 1, "sll"}, {0x00, 2, "slt"}, {0x00, 3, "sltu"},
    {0x00, 4, "xor"}, {0x00, 5, "srl"}, {0x20, 5, "sra"}, {0x00, 6, "or"}, {0x00, 7, "and"},
    {0x01, 0, "mul"}, {0x01, 1, "mulh"}, {0x01, 2, "mulhsu"}, {0x01, 3, "mulhu"},
    {0x01, 4, "div"}, {0x01, 5, "divu"}, {0x01, 6, "rem"}, {0x01, 7, "remu"},
    {0x10, 2, "sh1add"}, {0x10, 4, "sh2add"}, {0x10, 6, "sh3add"}, {0x20, 7, "andn"},
    {0x20, 6, "orn"}, {0x20, 4, "xnor"}, {0x05, 4, "min"}, {0x05, 5, "minu"},
    {0x05, 6, "max"}, {0x05, 7, "maxu"}, {0x30, 1, "rol"}, {0x30, 5, "ror"},
    {0x24, 1, "bclr"}, {0x24, 5, "bext"}, {0x34, 1, "binv"}, {0x14, 1, "bset"},
    {0x07, 5, "czero.eqz"}, {0x07, 7, "czero.nez"},
};
static const struct rop rops32[] = {
    {0x00, 0, "addw"}, {0x20, 0, "subw"}, {0x00, 1, "sllw"}, {0x00, 5, "srlw"},
    {0x20, 5, "sraw"}, {0x01, 0, "mulw"}, {0x01, 4, "divw"}, {0x01, 5, "divuw"},
    {0x01, 6, "remw"}, {0x01, 7, "remuw"}, {0x04, 0, "add.uw"}, {0x10, 2, "sh1add.uw"},
    {0x10, 4, "sh2add.uw"}, {0x10, 6, "sh3add.uw"}, {0x30, 1, "rolw"}, {0x30, 5, "rorw"},
};

static bool dis_op(struct out *o, uint32_t i, bool w)
{
    unsigned f3 = rv_funct3(i), f7 = rv_funct7(i), rd = rv_rd(i), rs1 = rv_rs1(i), rs2 = rv_rs2(i);
    if (w && f7 == 0x04 && f3 == 4)
        return rs2 == 0 && put(o, "zext.h\t%s,%s", xn[rd], xn[rs1]);
    if (w && f7 == 0x04 && f3 == 0 && rs2 == 0)
        return put(o, "zext.w\t%s,%s", xn[rd], xn[rs1]);
    if (!w && f7 == 0x20 && f3 == 0 && rs1 == 0)
        return put(o, "neg\t%s,%s", xn[rd], xn[rs2]);
    if (w && f7 == 0x20 && f3 == 0 && rs1 == 0)
        return put(o, "negw\t%s,%s", xn[rd], xn[rs2]);
    if (!w && f7 == 0 && f3 == 0 && rs1 == 0) /* c.mv expands to add rd, zero, rs2 */
        return put(o, "mv\t%s,%s", xn[rd], xn[rs2]);
    if (!w && f7 == 0 && f3 == 3 && rs1 == 0)
        return put(o, "snez\t%s,%s", xn[rd], xn[rs2]);
    const struct rop *t = w ? rops32 : rops;
    size_t n = w ? sizeof(rops32) / sizeof(rops32[0]) : sizeof(rops) / sizeof(rops[0]);
    for (size_t k = 0; k < n; k++)
        if (t[k].f7 == f7 && t[k].f3 == f3)
            return put(o, "%s\t%s,%s,%s", t[k].name, xn[rd], xn[rs1], xn[rs2]);
    return false;
}

static bool dis_amo(struct out *o, uint32_t i)
{
    static const char *const names[32] = {
        [0x00] = "amoadd", [0x01] = "amoswap", [0x02] = "lr", [0x03] = "sc", [0x04] = "amoxor",
        [0x08] = "amoor", [0x0c] = "amoand", [0x10] = "amomin", [0x14] = "amomax",
        [0x18] = "amominu", [0x1c] = "amomaxu"};
    unsigned f3 = rv_funct3(i), f5 = i >> 27, rd = rv_rd(i), rs1 = rv_rs1(i), rs2 = rv_rs2(i);
    bool aq = (i >> 26) & 1, rl = (i >> 25) & 1;
    if ((f3 != 2 && f3 != 3) || !names[f5] || (f5 == 2 && rs2))
        return false;
    const char *ord = aq && rl ? ".aqrl" : aq ? ".aq" : rl ? ".rl" : "";
    char m = f3 == 2 ? 'w' : 'd';
    if (f5 == 2)
        return put(o, "lr.%c%s\t%s,(%s)", m, ord, xn[rd], xn[rs1]);
    return put(o, "%s.%c%s\t%s,%s,(%s)", names[f5], m, ord, xn[rd], xn[rs2], xn[rs1]);
}

static bool dis_fence(struct out *o, uint32_t i)
{
    if (rv_funct3(i) == 1)
        return put(o, "fence.i");
    if (rv_disas_system && rv_funct3(i) == 2 && rv_rd(i) == 0) { /* Zicbom, Zicboz */
        static const char *const cbo[5] = {"cbo.inval", "cbo.clean", "cbo.flush", NULL,
                                           "cbo.zero"};
        unsigned k = i >> 20;
        return k < 5 && cbo[k] && put(o, "%s\t(%s)", cbo[k], xn[rv_rs1(i)]);
    }
    if (rv_funct3(i) != 0)
        return false;
    unsigned pred = (i >> 24) & 15, succ = (i >> 20) & 15;
    if ((i >> 28) == 8 && pred == 3 && succ == 3)
        return put(o, "fence.tso");
    if (pred == 1 && succ == 0)
        return put(o, "pause");
    if (pred == 15 && succ == 15)
        return put(o, "fence");
    char ps[5], ss[5];
    const char *iorw = "iorw";
    unsigned np = 0, ns = 0;
    for (unsigned k = 0; k < 4; k++) {
        if (pred & (8 >> k))
            ps[np++] = iorw[k];
        if (succ & (8 >> k))
            ss[ns++] = iorw[k];
    }
    ps[np] = ss[ns] = 0;
    return put(o, "fence\t%s,%s", np ? ps : "0", ns ? ss : "0");
}

static bool dis_system(struct out *o, uint32_t i)
{
    unsigned f3 = rv_funct3(i), rd = rv_rd(i), rs1 = rv_rs1(i), csr = i >> 20;
    char buf[16];
    if (f3 == 0) {
        if (!rv_disas_system) {
            if (rd || rs1)
                return false;
            return csr == 0 ? put(o, "ecall") : csr == 1 ? put(o, "ebreak") : false;
        }
        if (rd == 0 && rv_funct7(i) == 0x09)
            return put(o, "sfence.vma\t%s,%s", xn[rs1], xn[rv_rs2(i)]);
        if (rd || rs1)
            return false;
        switch (csr) {
        case 0x000: return put(o, "ecall");
        case 0x001: return put(o, "ebreak");
        case 0x102: return put(o, "sret");
        case 0x302: return put(o, "mret");
        case 0x105: return put(o, "wfi");
        default: return false;
        }
    }
    /* user-level CSRs, and the machine's (system mode; the privilege is not known here) */
    if (f3 == 4 || (!rv_csr_ok(csr, (f3 & 3) == 1 || rs1 != 0) &&
                    !(rv_disas_system && rv_sys_csr_exists(csr))))
        return false;
    static const char *const names[8] = {NULL, "csrrw", "csrrs", "csrrc", NULL,
                                         "csrrwi", "csrrsi", "csrrci"};
    const char *cn = csr_name(csr, buf, sizeof(buf));
    if (f3 == 2 && rs1 == 0)
        return put(o, "csrr\t%s,%s", xn[rd], cn);
    if (rd == 0 && f3 < 4) {
        static const char *const w[4] = {NULL, "csrw", "csrs", "csrc"};
        return put(o, "%s\t%s,%s", w[f3], cn, xn[rs1]);
    }
    if (f3 & 4)
        return put(o, "%s\t%s,%s,%u", names[f3], xn[rd], cn, rs1);
    return put(o, "%s\t%s,%s,%s", names[f3], xn[rd], cn, xn[rs1]);
}

static bool dis_fp(struct out *o, uint32_t i)
{
    unsigned op = rv_opcode(i), f3 = rv_funct3(i), rd = rv_rd(i), rs1 = rv_rs1(i), rs2 = rv_rs2(i);
    if (op == RV_OP_LOAD_FP || op == RV_OP_STORE_FP) {
        if (f3 != 2 && f3 != 3)
            return false;
        char m = f3 == 2 ? 'w' : 'd';
        if (op == RV_OP_LOAD_FP)
            return put(o, "fl%c\t%s,%" PRId64 "(%s)", m, fn[rd], rv_imm_i(i), xn[rs1]);
        return put(o, "fs%c\t%s,%" PRId64 "(%s)", m, fn[rs2], rv_imm_s(i), xn[rs1]);
    }
    if ((f3 == 5 || f3 == 6) && op != RV_OP_OP_FP)
        return false; /* reserved rounding modes */
    unsigned fmt = op == RV_OP_OP_FP ? rv_funct7(i) & 3 : (i >> 25) & 3;
    if (fmt > 1)
        return false;
    char s = fmt ? 'd' : 's';
    char rm[8] = "";
    if (f3 < 5)
        snprintf(rm, sizeof(rm), ",%s", rmn[f3]);
    if (op != RV_OP_OP_FP) {
        static const char *const n[4] = {"fmadd", "fmsub", "fnmsub", "fnmadd"};
        return put(o, "%s.%c\t%s,%s,%s,%s%s", n[(op >> 2) & 3], s, fn[rd], fn[rs1], fn[rs2],
                   fn[rv_rs3(i)], rm);
    }
    if (f3 == 5 || f3 == 6) {
        /* only the funct3-selected ops remain legal with these values: none */
        unsigned f5 = rv_funct7(i) >> 2;
        if (f5 <= 3 || f5 == 0x0b || f5 == 0x08 || f5 == 0x18 || f5 == 0x1a)
            return false;
    }
    switch (rv_funct7(i) >> 2) {
    case 0x00: case 0x01: case 0x02: case 0x03: {
        static const char *const n[4] = {"fadd", "fsub", "fmul", "fdiv"};
        return put(o, "%s.%c\t%s,%s,%s%s", n[rv_funct7(i) >> 2], s, fn[rd], fn[rs1], fn[rs2], rm);
    }
    case 0x0b:
        return rs2 == 0 && put(o, "fsqrt.%c\t%s,%s%s", s, fn[rd], fn[rs1], rm);
    case 0x04: {
        static const char *const n[3] = {"fsgnj", "fsgnjn", "fsgnjx"};
        static const char *const a[3] = {"fmv", "fneg", "fabs"};
        if (f3 > 2)
            return false;
        if (rs1 == rs2)
            return put(o, "%s.%c\t%s,%s", a[f3], s, fn[rd], fn[rs1]);
        return put(o, "%s.%c\t%s,%s,%s", n[f3], s, fn[rd], fn[rs1], fn[rs2]);
    }
    case 0x05:
        return f3 <= 1 && put(o, "%s.%c\t%s,%s,%s", f3 ? "fmax" : "fmin", s, fn[rd], fn[rs1], fn[rs2]);
    case 0x08:
        if (rs2 != (fmt ? 0u : 1u))
            return false;
        return put(o, "fcvt.%c.%c\t%s,%s%s", s, fmt ? 's' : 'd', fn[rd], fn[rs1], rm);
    case 0x14: {
        static const char *const n[3] = {"fle", "flt", "feq"};
        return f3 <= 2 && put(o, "%s.%c\t%s,%s,%s", n[f3], s, xn[rd], fn[rs1], fn[rs2]);
    }
    case 0x18: case 0x1a: {
        static const char *const n[4] = {"w", "wu", "l", "lu"};
        if (rs2 > 3)
            return false;
        if (rv_funct7(i) >> 2 == 0x18)
            return put(o, "fcvt.%s.%c\t%s,%s%s", n[rs2], s, xn[rd], fn[rs1], rm);
        return put(o, "fcvt.%c.%s\t%s,%s%s", s, n[rs2], fn[rd], xn[rs1], rm);
    }
    case 0x1c:
        if (rs2)
            return false;
        if (f3 == 0)
            return put(o, "fmv.x.%c\t%s,%s", fmt ? 'd' : 'w', xn[rd], fn[rs1]);
        return f3 == 1 && put(o, "fclass.%c\t%s,%s", s, xn[rd], fn[rs1]);
    case 0x1e:
        return !rs2 && !f3 && put(o, "fmv.%c.x\t%s,%s", fmt ? 'd' : 'w', fn[rd], xn[rs1]);
    default: return false;
    }
}

bool rv_disas_insn(uint64_t pc, uint32_t i, char *outbuf, size_t outlen)
{
    struct out o = {outbuf, outlen};
    unsigned rd = rv_rd(i), rs1 = rv_rs1(i), rs2 = rv_rs2(i), f3 = rv_funct3(i);
    if (outlen)
        outbuf[0] = 0;
    switch (rv_opcode(i)) {
    case RV_OP_LUI:
        return put(&o, "lui\t%s,0x%x", xn[rd], (i >> 12) & 0xfffff);
    case RV_OP_AUIPC:
        return put(&o, "auipc\t%s,0x%x", xn[rd], (i >> 12) & 0xfffff);
    case RV_OP_JAL: {
        uint64_t t = pc + (uint64_t)rv_imm_j(i);
        if (rd == 0)
            return put(&o, "j\t0x%" PRIx64, t);
        if (rd == 1)
            return put(&o, "jal\t0x%" PRIx64, t);
        return put(&o, "jal\t%s,0x%" PRIx64, xn[rd], t);
    }
    case RV_OP_JALR: {
        int64_t imm = rv_imm_i(i);
        if (f3)
            return false;
        if (rd == 0 && rs1 == 1 && imm == 0)
            return put(&o, "ret");
        if (rd == 0 && imm == 0)
            return put(&o, "jr\t%s", xn[rs1]);
        if (rd == 1 && imm == 0)
            return put(&o, "jalr\t%s", xn[rs1]);
        return put(&o, "jalr\t%s,%" PRId64 "(%s)", xn[rd], imm, xn[rs1]);
    }
    case RV_OP_BRANCH: {
        static const char *const n[8] = {"beq", "bne", NULL, NULL, "blt", "bge", "bltu", "bgeu"};
        uint64_t t = pc + (uint64_t)rv_imm_b(i);
        if (!n[f3])
            return false;
        if (rs2 == 0 && (f3 <= 1 || f3 == 4 || f3 == 5)) /* beqz bnez bltz bgez */
            return put(&o, "%sz\t%s,0x%" PRIx64, n[f3], xn[rs1], t);
        if (rs1 == 0 && (f3 == 4 || f3 == 5)) /* blt zero, rs = bgtz; bge zero, rs = blez */
            return put(&o, "%s\t%s,0x%" PRIx64, f3 == 4 ? "bgtz" : "blez", xn[rs2], t);
        return put(&o, "%s\t%s,%s,0x%" PRIx64, n[f3], xn[rs1], xn[rs2], t);
    }
    case RV_OP_LOAD: {
        static const char *const n[8] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", NULL};
        return n[f3] && put(&o, "%s\t%s,%" PRId64 "(%s)", n[f3], xn[rd], rv_imm_i(i), xn[rs1]);
    }
    case RV_OP_STORE: {
        static const char *const n[4] = {"sb", "sh", "sw", "sd"};
        return f3 < 4 && put(&o, "%s\t%s,%" PRId64 "(%s)", n[f3], xn[rs2], rv_imm_s(i), xn[rs1]);
    }
    case RV_OP_OP_IMM: return dis_op_imm(&o, i, false);
    case RV_OP_OP_IMM_32: return dis_op_imm(&o, i, true);
    case RV_OP_OP: return dis_op(&o, i, false);
    case RV_OP_OP_32: return dis_op(&o, i, true);
    case RV_OP_MISC_MEM: return dis_fence(&o, i);
    case RV_OP_AMO: return dis_amo(&o, i);
    case RV_OP_SYSTEM: return dis_system(&o, i);
    case RV_OP_LOAD_FP: case RV_OP_STORE_FP: case RV_OP_MADD: case RV_OP_MSUB:
    case RV_OP_NMSUB: case RV_OP_NMADD: case RV_OP_OP_FP:
        return dis_fp(&o, i);
    default: return false;
    }
}

unsigned rv_disas(uint64_t pc, const uint8_t *code, size_t avail, char *out, size_t outlen)
{
    if (avail < 2)
        return 0;
    uint16_t lo = (uint16_t)(code[0] | code[1] << 8);
    unsigned len = (lo & 3) == 3 ? 4 : 2;
    if (avail < len)
        return 0;
    uint32_t raw = lo, insn;
    if (len == 4) {
        raw |= (uint32_t)(code[2] | code[3] << 8) << 16;
        insn = raw;
    } else {
        insn = rv_expand_c(lo);
    }
    if (!insn || !rv_disas_insn(pc, insn, out, outlen))
        snprintf(out, outlen, len == 2 ? ".insn 0x%04x" : ".insn 0x%08x", raw);
    return len;
}
