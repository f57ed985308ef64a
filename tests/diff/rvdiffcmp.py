#!/usr/bin/env python3
"""Compares one differential-test program's output against the oracle's and prints the
TAP-like verdict: "ok diff/NAME[ENGINE]" or "not ok diff/NAME[ENGINE]: reason", followed
on failure by "#" context lines: the first differing sequence's source, the initial
values of the registers it names, and each differing register or byte (expected/got).

Both outputs are raw concatenations of fixed-size records (see rvdiffgen.py); a run that
stopped early is reported at the first sequence it did not finish.

Usage: rvdiffcmp.py --json NAME.json --expect REF.bin --got OUT.bin --label diff/NAME[e]
                    [--status N] [--stderr FILE] [--corrupt OFFSET]
"""

import argparse
import json
import os
import re
import signal
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rvdiffgen import OFF_F, OFF_FCSR, OFF_SCRATCH, OFF_X, REC_SIZE, SCRATCH_SIZE  # noqa: E402

FLAG_NAMES = ["NX", "UF", "OF", "DZ", "NV"]  # fflags bit 0..4
RM_NAMES = ["rne", "rtz", "rdn", "rup", "rmm", "rm5?", "rm6?", "dyn?"]


def q(buf, off):
    return struct.unpack_from("<Q", buf, off)[0]


def fp_text(v):
    """A readable interpretation of an f-register bit pattern."""
    if v >> 32 == 0xFFFFFFFF:
        w = v & 0xFFFFFFFF
        if (w >> 23) & 0xFF == 0xFF and w & 0x7FFFFF:
            return "s:%snan" % ("q" if w & 0x400000 else "s")
        return "s:%r" % struct.unpack("<f", struct.pack("<I", w))[0]
    if (v >> 52) & 0x7FF == 0x7FF and v & ((1 << 52) - 1):
        return "d:%snan" % ("q" if v & (1 << 51) else "s")
    return "d:%r" % struct.unpack("<d", struct.pack("<Q", v))[0]


def fcsr_text(v):
    flags = [n for i, n in enumerate(FLAG_NAMES) if v >> i & 1]
    return "0x%02x (frm=%s fflags=%s)" % (v, RM_NAMES[(v >> 5) & 7], "|".join(flags) or "-")


def reg_diffs(exp, got):
    """(name, expected text, got text) for each differing field of one record."""
    out = []
    for r in range(32):
        a, b = q(exp, OFF_X + 8 * r), q(got, OFF_X + 8 * r)
        if a != b:
            out.append(("x%d" % r, "0x%016x" % a, "0x%016x" % b))
    for r in range(32):
        a, b = q(exp, OFF_F + 8 * r), q(got, OFF_F + 8 * r)
        if a != b:
            out.append(("f%d" % r, "0x%016x %s" % (a, fp_text(a)), "0x%016x %s" % (b, fp_text(b))))
    a, b = q(exp, OFF_FCSR), q(got, OFF_FCSR)
    if a != b:
        out.append(("fcsr", fcsr_text(a), fcsr_text(b)))
    for i in range(0, SCRATCH_SIZE, 8):
        a, b = q(exp, OFF_SCRATCH + i), q(got, OFF_SCRATCH + i)
        if a != b:
            out.append(("mem+%d" % i, "0x%016x" % a, "0x%016x" % b))
    return out


def show_seq(meta, k):
    seq = meta["seqs"][k]
    print("#   sequence %d of program %d (seed %d):" % (k, meta["program"], meta["seed"]))
    for line in seq["lines"]:
        print("#     " + line)
    named = []
    for line in seq["lines"]:
        for r in re.findall(r"\b([xf]\d+)\b", line):
            if r not in named and r not in ("x0", "x31"):
                named.append(r)
    init = ["fcsr=" + fcsr_text(seq["fcsr"])]
    for r in named:
        v = seq[r[0]][int(r[1:])]
        init.append("%s=0x%x%s" % (r, v, " " + fp_text(v) if r[0] == "f" else ""))
    print("#   initial: " + ", ".join(init))


def status_text(st):
    if st == 124:
        return "timed out"
    if st > 128:
        try:
            return "killed by " + signal.Signals(st - 128).name
        except ValueError:
            pass
    return "exit status %d" % st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--got", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--stderr")
    ap.add_argument("--corrupt", type=int, help="flip a byte of the output first (self-test)")
    a = ap.parse_args()

    with open(a.json) as f:
        meta = json.load(f)
    exp = open(a.expect, "rb").read()
    got = bytearray(open(a.got, "rb").read()) if os.path.exists(a.got) else bytearray()
    if a.corrupt is not None and a.corrupt < len(got):
        got[a.corrupt] ^= 0x01
    nseq = len(meta["seqs"])
    if len(exp) != nseq * REC_SIZE:
        print("not ok %s: oracle output has %d bytes, want %d" % (a.label, len(exp), nseq * REC_SIZE))
        return 1

    # first record that differs or is missing
    k = next((i for i in range(nseq)
              if got[i * REC_SIZE:(i + 1) * REC_SIZE] != exp[i * REC_SIZE:(i + 1) * REC_SIZE]), None)
    if k is None and len(got) == len(exp) and a.status == 0:
        print("ok %s" % a.label)
        return 0

    err_tail = ""
    if a.stderr and os.path.exists(a.stderr):
        lines = open(a.stderr, errors="replace").read().strip().splitlines()
        err_tail = " | ".join(lines[-3:])
    if k is None:
        print("not ok %s: output matches but %s, %d extra bytes%s"
              % (a.label, status_text(a.status), len(got) - len(exp), "; stderr: " + err_tail if err_tail else ""))
        return 1
    if len(got) < (k + 1) * REC_SIZE:
        print("not ok %s: stopped in sequence %d of %d (%s)%s"
              % (a.label, k, nseq, status_text(a.status), "; stderr: " + err_tail if err_tail else ""))
        show_seq(meta, k)
        return 1
    e, g = exp[k * REC_SIZE:(k + 1) * REC_SIZE], got[k * REC_SIZE:(k + 1) * REC_SIZE]
    diffs = reg_diffs(e, g)
    print("not ok %s: sequence %d differs in %s" % (a.label, k, " ".join(d[0] for d in diffs)))
    show_seq(meta, k)
    for name, ev, gv in diffs:
        print("#   %-6s expected %s" % (name, ev))
        print("#   %-6s      got %s" % ("", gv))
    later = sum(1 for i in range(k + 1, nseq)
                if got[i * REC_SIZE:(i + 1) * REC_SIZE] != exp[i * REC_SIZE:(i + 1) * REC_SIZE])
    if later:
        print("#   (%d later sequences differ too)" % later)
    return 1


if __name__ == "__main__":
    sys.exit(main())
