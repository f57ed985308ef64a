#!/usr/bin/env python3
"""Generates the RISC-V differential test programs: random straight-line instruction
sequences over RV64IM, Zba/Zbb/Zbs/Zicond and F/D, batched into static -nostdlib programs.

Each sequence loads every x register (except x0, sp, gp, tp and the base x31), every f
register and fcsr from its own data block, runs 10-30 instructions, stores the registers,
fcsr and a 64-byte scratch buffer back into the block and writes the record to stdout.
Memory operands only address that scratch buffer through x31, which no instruction
writes; there are no branches, so every sequence runs to its end.

Invariants:
  - Output depends only on (seed, program index): each program has its own Random.
  - Two variants per program, byte-for-byte the same layout (.option norvc): NAME.S for
    the machine under test, NAME.oracle.S for qemu-riscv64 7.2, which lacks Zicond and
    miscomputes ctzw; there czero.* and ctzw become equivalent sequences (emit_subst)
    that the real variant pads with nops, so auipc results and every address agree.
  - NAME.json records each sequence's source lines and initial state for the reporter.

Usage: rvdiffgen.py --out DIR [--seed S] [--count N] [--per K]
"""

import argparse
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rvvalues as V  # noqa: E402

# Record layout, shared with rvdiffcmp.py.
OFF_X = 0
OFF_F = 256
OFF_FCSR = 512
OFF_SCRATCH = 520
SCRATCH_SIZE = 64
REC_SIZE = OFF_SCRATCH + SCRATCH_SIZE  # bytes written per sequence
OFF_SPILL = REC_SIZE                   # oracle-only temporary, never written out
BLOCK_SIZE = 592

BASE = 31
XREGS = [1] + list(range(5, 31))  # loaded, stored and usable as operands
FOCI = ["int", "muldiv", "bitmanip", "fp32", "fp64", "fcvt", "fmisc", "mixed"]
RMS = ["rne", "rtz", "rdn", "rup", "rmm"]

# Mnemonics whose coverage the generator checks: every one must appear, and those taking
# a rounding mode must appear under every static mode and under dyn with each frm 0..4.
FP_RM_OPS = set()
ALL_OPS = set()


def _reg(tab, names):
    tab.update(names)
    ALL_OPS.update(names)
    return names


INT_R = _reg(set(), ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
                     "addw", "subw", "sllw", "srlw", "sraw"])
INT_I = _reg(set(), ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"])
INT_SH = _reg(set(), ["slli", "srli", "srai", "slliw", "srliw", "sraiw"])
INT_U = _reg(set(), ["lui", "auipc"])
LOADS = _reg(set(), ["lb", "lbu", "lh", "lhu", "lw", "lwu", "ld"])
STORES = _reg(set(), ["sb", "sh", "sw", "sd"])
FMEM = _reg(set(), ["flw", "fld", "fsw", "fsd"])
MULDIV = _reg(set(), ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
                      "mulw", "divw", "divuw", "remw", "remuw"])
ZBA_R = _reg(set(), ["add.uw", "sh1add", "sh2add", "sh3add", "sh1add.uw", "sh2add.uw",
                     "sh3add.uw"])
ZBB_R = _reg(set(), ["andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol", "rolw",
                     "ror", "rorw"])
ZBS_R = _reg(set(), ["bclr", "bext", "binv", "bset"])
ZB_I64 = _reg(set(), ["slli.uw", "rori", "bclri", "bexti", "binvi", "bseti"])
ZB_I32 = _reg(set(), ["roriw"])
ZB_U = _reg(set(), ["clz", "clzw", "ctz", "ctzw", "cpop", "cpopw", "sext.b", "sext.h",
                    "zext.h", "orc.b", "rev8"])
ZICOND = _reg(set(), ["czero.eqz", "czero.nez"])
FP3 = _reg(FP_RM_OPS, [o + p for o in ["fadd", "fsub", "fmul", "fdiv"] for p in [".s", ".d"]])
FSQRT = _reg(FP_RM_OPS, ["fsqrt.s", "fsqrt.d"])
FMA = _reg(FP_RM_OPS, [o + p for o in ["fmadd", "fmsub", "fnmsub", "fnmadd"]
                       for p in [".s", ".d"]])
FMINMAX = _reg(set(), ["fmin.s", "fmax.s", "fmin.d", "fmax.d"])
FSGN = _reg(set(), [o + p for o in ["fsgnj", "fsgnjn", "fsgnjx"] for p in [".s", ".d"]])
FCMP = _reg(set(), [o + p for o in ["feq", "flt", "fle"] for p in [".s", ".d"]])
FCLASS = _reg(set(), ["fclass.s", "fclass.d"])
FMV = _reg(set(), ["fmv.x.w", "fmv.w.x", "fmv.x.d", "fmv.d.x"])
F2I = _reg(FP_RM_OPS, ["fcvt.%s.%s" % (i, f) for i in ["w", "wu", "l", "lu"] for f in "sd"])
I2F = _reg(FP_RM_OPS, ["fcvt.%s.%s" % (f, i) for f in "sd" for i in ["w", "wu", "l", "lu"]
                       if not (f == "d" and i in ("w", "wu"))])
I2F_EXACT = _reg(set(), ["fcvt.d.w", "fcvt.d.wu"])  # exact: the assembler takes no rm
F2F = _reg(FP_RM_OPS, ["fcvt.s.d"])
F2F_EXACT = _reg(set(), ["fcvt.d.s"])
FCSR_OPS = _reg(set(), ["frflags", "fsflagsi", "fsrmi", "frrm", "frcsr", "csrrs", "csrrc",
                        "csrrw"])


class Seq:
    """One instruction sequence under construction; tracks what the f registers hold so
    single-precision ops mostly read properly NaN-boxed values, and the current frm."""

    def __init__(self, rng, cov):
        self.rng = rng
        self.cov = cov
        self.fkind = []
        self.x = [0] * 32
        self.f = [0] * 32
        for r in XREGS:
            self.x[r] = V.int64(rng)
        for r in range(32):
            v, k = V.freg(rng)
            self.f[r] = v
            self.fkind.append(k)
        self.fcsr = V.fcsr(rng)
        self.frm = self.fcsr >> 5
        self.scratch = [V.scratch_dword(rng) for _ in range(SCRATCH_SIZE // 8)]
        self.real = []     # assembly for the machine under test
        self.oracle = []   # assembly for qemu-riscv64
        self.lines = []    # what the reporter shows

    # operand pickers ---------------------------------------------------------------
    def xs(self):
        return "x0" if self.rng.random() < 0.04 else "x%d" % self.rng.choice(XREGS)

    def xd(self):
        return "x0" if self.rng.random() < 0.02 else "x%d" % self.rng.choice(XREGS)

    def fs(self, want):
        rng = self.rng
        if rng.random() < 0.88:
            cands = [r for r in range(32) if self.fkind[r] == want]
            if cands:
                return "f%d" % rng.choice(cands)
        return "f%d" % rng.randrange(32)

    def fd(self, kind):
        r = self.rng.randrange(32)
        self.fkind[r] = kind
        return "f%d" % r

    def rm(self, op):
        """Rounding-mode operand (dyn 40% of the time), recorded for the coverage check."""
        if self.rng.random() < 0.4:
            self.cov.add((op, "dyn%d" % self.frm))
            return "dyn"
        m = self.rng.choice(RMS)
        self.cov.add((op, m))
        return m

    def emit(self, text):
        self.lines.append(text)
        self.real.append(text)
        self.oracle.append(text)
        self.cov.add((text.split()[0], None))

    def emit_subst(self, text, real, oracle):
        """An instruction the oracle gets wrong or lacks: the oracle build runs an
        equivalent sequence, the real build the instruction; the shorter side is padded
        with nops so both builds keep the same layout."""
        n = max(len(real), len(oracle))
        self.lines.append(text)
        self.cov.add((text.split()[0], None))
        self.real += [real[0] + "  # " + text] + real[1:] + ["nop"] * (n - len(real))
        self.oracle += [oracle[0] + "  # " + text] + oracle[1:] + ["nop"] * (n - len(oracle))

    def scratch_reg(self, *used):
        return self.rng.choice([r for r in ("x%d" % n for n in XREGS) if r not in used])

    # instruction groups ------------------------------------------------------------
    def g_int(self):
        rng, r = self.rng, self.rng.random()
        if r < 0.35:
            self.emit("%s %s, %s, %s" % (rng.choice(INT_R), self.xd(), self.xs(), self.xs()))
        elif r < 0.6:
            self.emit("%s %s, %s, %d" % (rng.choice(INT_I), self.xd(), self.xs(), V.imm12(rng)))
        elif r < 0.8:
            op = rng.choice(INT_SH)
            self.emit("%s %s, %s, %d" % (op, self.xd(), self.xs(),
                                         V.shamt(rng, 32 if op.endswith("w") else 64)))
        elif r < 0.88:
            self.emit("%s %s, 0x%x" % (rng.choice(INT_U), self.xd(), V.imm20(rng)))
        else:
            self.g_mem()

    def g_mem(self):
        rng = self.rng
        op = rng.choice(LOADS + STORES)
        size = {"b": 1, "h": 2, "w": 4, "d": 8}[op[1]]
        off = OFF_SCRATCH + size * rng.randrange(SCRATCH_SIZE // size)
        reg = self.xd() if op in LOADS else self.xs()
        self.emit("%s %s, %d(x%d)" % (op, reg, off, BASE))

    def g_fmem(self):
        rng = self.rng
        op = rng.choice(FMEM)
        size = 4 if op[-1] == "w" else 8
        off = OFF_SCRATCH + size * rng.randrange(SCRATCH_SIZE // size)
        if op[1] == "l":
            reg = self.fd("s" if size == 4 else "d")
        else:
            reg = self.fs("s" if size == 4 else "d")
        self.emit("%s %s, %d(x%d)" % (op, reg, off, BASE))

    def g_muldiv(self):
        self.emit("%s %s, %s, %s" % (self.rng.choice(MULDIV), self.xd(), self.xs(), self.xs()))

    def g_bitmanip(self):
        rng, r = self.rng, self.rng.random()
        if r < 0.4:
            op = rng.choice(ZBA_R + ZBB_R + ZBS_R)
            self.emit("%s %s, %s, %s" % (op, self.xd(), self.xs(), self.xs()))
        elif r < 0.6:
            op = rng.choice(ZB_I64 + ZB_I32)
            self.emit("%s %s, %s, %d" % (op, self.xd(), self.xs(),
                                         V.shamt(rng, 32 if op in ZB_I32 else 64)))
        elif r < 0.85:
            op = rng.choice(ZB_U)
            if op == "ctzw":
                self.g_ctzw(self.xd(), self.xs())
            else:
                self.emit("%s %s, %s" % (op, self.xd(), self.xs()))
        else:
            self.g_zicond()

    def g_zicond(self):
        op = self.rng.choice(ZICOND)
        rd, rs1, rs2 = self.xd(), self.xs(), self.xs()
        tmp = self.scratch_reg(rd, rs1, rs2)
        # qemu 7.2 has no Zicond. czero.eqz: rd = rs2 == 0 ? 0 : rs1; czero.nez: the reverse
        self.emit_subst("%s %s, %s, %s" % (op, rd, rs1, rs2),
                        [".insn r 0x33, %d, 7, %s, %s, %s"
                         % (5 if op == "czero.eqz" else 7, rd, rs1, rs2)],
                        ["sd %s, %d(x%d)" % (tmp, OFF_SPILL, BASE),
                         "%s %s, %s" % ("snez" if op == "czero.eqz" else "seqz", tmp, rs2),
                         "neg %s, %s" % (tmp, tmp),
                         "and %s, %s, %s" % (rd, rs1, tmp),
                         "ld %s, %d(x%d)" % (tmp, OFF_SPILL, BASE)])

    def g_ctzw(self, rd, rs1):
        # qemu 7.2 computes ctzw of a value whose low word is zero as the 64-bit ctz
        # (ctzw 1<<63 gives 63; the spec says 32), so the oracle counts
        # ctz(rs1 | 1<<32) instead, which its 64-bit ctz gets right.
        tmp = self.scratch_reg(rd, rs1)
        self.emit_subst("ctzw %s, %s" % (rd, rs1), ["ctzw %s, %s" % (rd, rs1)],
                        ["sd %s, %d(x%d)" % (tmp, OFF_SPILL, BASE),
                         "addi %s, x0, 1" % tmp,
                         "slli %s, %s, 32" % (tmp, tmp),
                         "or %s, %s, %s" % (tmp, tmp, rs1),
                         "ctz %s, %s" % (rd, tmp),
                         "ld %s, %d(x%d)" % (tmp, OFF_SPILL, BASE)])

    def g_fparith(self, p):
        rng, r = self.rng, self.rng.random()
        if r < 0.55:
            op = rng.choice([o for o in FP3 if o.endswith(p)])
            a, b = self.fs(p[1]), self.fs(p[1])
            self.emit("%s %s, %s, %s, %s" % (op, self.fd(p[1]), a, b, self.rm(op)))
        elif r < 0.7:
            op = "fsqrt" + p
            a = self.fs(p[1])
            self.emit("%s %s, %s, %s" % (op, self.fd(p[1]), a, self.rm(op)))
        else:
            op = rng.choice([o for o in FMA if o.endswith(p)])
            a, b, c = self.fs(p[1]), self.fs(p[1]), self.fs(p[1])
            self.emit("%s %s, %s, %s, %s, %s" % (op, self.fd(p[1]), a, b, c, self.rm(op)))

    def g_fp32(self):
        self.g_fparith(".s")

    def g_fp64(self):
        self.g_fparith(".d")

    def g_fcvt(self):
        rng, r = self.rng, self.rng.random()
        if r < 0.4:
            op = rng.choice(F2I)
            self.emit("%s %s, %s, %s" % (op, self.xd(), self.fs(op[-1]), self.rm(op)))
        elif r < 0.75:
            op = rng.choice(I2F + I2F_EXACT)
            src = self.xs()
            if op in I2F_EXACT:
                self.emit("%s %s, %s" % (op, self.fd("d"), src))
            else:
                self.emit("%s %s, %s, %s" % (op, self.fd(op[5]), src, self.rm(op)))
        elif r < 0.9:
            if rng.random() < 0.5:
                self.emit("fcvt.s.d %s, %s, %s" % (self.fd("s"), self.fs("d") if rng.random() < 0.9
                                                   else self.fs("s"), self.rm("fcvt.s.d")))
            else:
                self.emit("fcvt.d.s %s, %s" % (self.fd("d"), self.fs("s")))
        else:
            self.g_fmv()

    def g_fmv(self):
        op = self.rng.choice(FMV)
        if op == "fmv.x.w":
            self.emit("%s %s, %s" % (op, self.xd(), self.fs("s")))
        elif op == "fmv.x.d":
            self.emit("%s %s, %s" % (op, self.xd(), self.fs("d")))
        else:
            self.emit("%s %s, %s" % (op, self.fd("s" if op == "fmv.w.x" else "d"), self.xs()))

    def g_fmisc(self):
        rng, r = self.rng, self.rng.random()
        p = rng.choice([".s", ".d"])
        if r < 0.22:
            op = rng.choice([o for o in FMINMAX if o.endswith(p)])
            a, b = self.fs(p[1]), self.fs(p[1])
            self.emit("%s %s, %s, %s" % (op, self.fd(p[1]), a, b))
        elif r < 0.42:
            op = rng.choice([o for o in FCMP if o.endswith(p)])
            self.emit("%s %s, %s, %s" % (op, self.xd(), self.fs(p[1]), self.fs(p[1])))
        elif r < 0.58:
            op = rng.choice([o for o in FSGN if o.endswith(p)])
            a, b = self.fs(p[1]), self.fs(p[1])
            self.emit("%s %s, %s, %s" % (op, self.fd(p[1]), a, b))
        elif r < 0.7:
            self.emit("fclass%s %s, %s" % (p, self.xd(), self.fs(p[1])))
        elif r < 0.8:
            self.g_fmv()
        elif r < 0.9:
            self.g_fmem()
        else:
            self.g_fcsr()

    def g_fcsr(self):
        rng = self.rng
        op = rng.choice(FCSR_OPS)
        if op == "fsrmi":
            self.frm = rng.randrange(5)
            self.emit("fsrmi %d" % self.frm)
        elif op == "fsflagsi":
            self.emit("fsflagsi %s, %d" % (self.xd(), rng.randrange(32)))
        elif op in ("csrrs", "csrrc", "csrrw"):
            self.emit("%s %s, fflags, %s" % (op, self.xd(), self.xs()))
        else:
            self.emit("%s %s" % (op, self.xd()))


GROUPS = {
    "int": ["g_int"],
    "muldiv": ["g_muldiv"],
    "bitmanip": ["g_bitmanip"],
    "fp32": ["g_fp32"],
    "fp64": ["g_fp64"],
    "fcvt": ["g_fcvt"],
    "fmisc": ["g_fmisc"],
}
ALL_GROUPS = [g for gs in GROUPS.values() for g in gs]


def make_seq(rng, focus, cov):
    s = Seq(rng, cov)
    for _ in range(rng.randint(10, 30)):
        if focus != "mixed" and rng.random() < 0.75:
            g = rng.choice(GROUPS[focus])
        else:
            g = rng.choice(ALL_GROUPS)
        getattr(s, g)()
    return s


def emit_program(seqs, variant):
    """Assembly text of one program; variant is 'real' or 'oracle'."""
    out = ["# generated by tests/diff/rvdiffgen.py; do not edit", ".option norvc", ".text",
           ".globl _start", "_start:"]
    for i, s in enumerate(seqs):
        out.append("# ---- sequence %d" % i)
        out.append("la x%d, blk%d" % (BASE, i))
        out.append("ld x5, %d(x%d)" % (OFF_FCSR, BASE))
        out.append("fscsr x5")
        out += ["fld f%d, %d(x%d)" % (r, OFF_F + 8 * r, BASE) for r in range(32)]
        out += ["ld x%d, %d(x%d)" % (r, OFF_X + 8 * r, BASE) for r in XREGS]
        out += s.real if variant == "real" else s.oracle
        out += ["sd x%d, %d(x%d)" % (r, OFF_X + 8 * r, BASE) for r in XREGS]
        out += ["fsd f%d, %d(x%d)" % (r, OFF_F + 8 * r, BASE) for r in range(32)]
        out += ["frcsr x5", "sd x5, %d(x%d)" % (OFF_FCSR, BASE)]
        out += ["li x10, 1", "mv x11, x%d" % BASE, "li x12, %d" % REC_SIZE, "li x17, 64", "ecall"]
    out += ["li x10, 0", "li x17, 93", "ecall", "", ".data"]
    for i, s in enumerate(seqs):
        out += [".balign 16", "blk%d:" % i]
        out.append(".dword " + ", ".join("0x%x" % v for v in s.x))
        out.append(".dword " + ", ".join("0x%x" % v for v in s.f))
        out.append(".dword 0x%x" % s.fcsr)
        out.append(".dword " + ", ".join("0x%x" % v for v in s.scratch))
        out.append(".dword 0, 0  # spill, pad")
    return "\n".join(out) + "\n"


def program_name(i):
    return "%02d_%s" % (i, FOCI[i % len(FOCI)])


def coverage_problems(cov):
    have_ops = {op for op, _ in cov}
    missing = sorted(ALL_OPS - have_ops)
    probs = ["missing ops: " + " ".join(missing)] if missing else []
    want = RMS + ["dyn%d" % f for f in range(5)]
    holes = ["%s/%s" % (op, m) for op in sorted(FP_RM_OPS) for m in want if (op, m) not in cov]
    if holes:
        probs.append("%d op/rounding-mode pairs missing, e.g. %s" % (len(holes),
                                                                     " ".join(holes[:8])))
    return probs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--count", type=int, default=2500, help="sequences in total")
    ap.add_argument("--per", type=int, default=100, help="sequences per program")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    nprog = max(1, -(-args.count // args.per))
    cov = set()
    names = []
    left = args.count
    for i in range(nprog):
        name = program_name(i)
        rng = random.Random("omnivm-diff:%d:%d" % (args.seed, i))
        n = min(args.per, left)
        left -= n
        seqs = [make_seq(rng, FOCI[i % len(FOCI)], cov) for _ in range(n)]
        for variant, suffix in (("real", ".S"), ("oracle", ".oracle.S")):
            with open(os.path.join(args.out, name + suffix), "w") as f:
                f.write(emit_program(seqs, variant))
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump({"seed": args.seed, "program": i, "rec_size": REC_SIZE,
                       "seqs": [{"lines": s.lines, "x": s.x, "f": s.f, "fcsr": s.fcsr,
                                 "scratch": s.scratch} for s in seqs]}, f)
        names.append(name)
    with open(os.path.join(args.out, "programs"), "w") as f:
        f.write("\n".join(names) + "\n")
    probs = coverage_problems(cov)
    with open(os.path.join(args.out, "coverage"), "w") as f:
        f.write("; ".join(probs) if probs else "complete")
        f.write("\n")
    ninsn = sum(1 for op, m in cov)  # distinct (op, mode) pairs seen
    print("generated %d programs, %d sequences, %d op/mode pairs; coverage %s"
          % (nprog, args.count, ninsn, "; ".join(probs) if probs else "complete"))


if __name__ == "__main__":
    main()
