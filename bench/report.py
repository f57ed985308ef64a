#!/usr/bin/env python3
"""Turns bench/run's results.tsv (workload, runner, status, seconds) into the results
table: printed as aligned text and written as markdown with the machine description.

Columns: native s, qemu s, qemu/native, and per omnivm engine E: E s, E/native (the
slowdown) and qemu/E (above 1 means omnivm is faster than qemu). A cell whose run failed
or whose output differed from native shows the reason instead of a number and is left
out of that column's geometric mean.
"""

import argparse
import datetime
import math
import os
import platform
import subprocess


def sh(cmd, cwd=None):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              cwd=cwd, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def main():
    ap = argparse.ArgumentParser()
    for opt in ("tsv", "md", "runs", "quick", "engines", "qemu", "root", "hyperfine"):
        ap.add_argument("--" + opt, required=True)
    a = ap.parse_args()

    rows = []  # workloads in first-seen order
    res = {}
    for line in open(a.tsv):
        w, r, status, secs = line.rstrip("\n").split("\t")
        if w not in rows:
            rows.append(w)
        res[(w, r)] = (status, float(secs))
    engines = a.engines.split()

    def t(w, r):
        s = res.get((w, r))
        return s[1] if s and s[0] == "ok" and s[1] > 0 else None

    def tcell(w, r):
        s = res.get((w, r))
        if s is None:
            return "-"
        return "%.3f" % s[1] if s[0] == "ok" else s[0]

    def ratio(x, y):
        return x / y if x is not None and y is not None else None

    header = ["workload", "native s", "qemu s", "qemu/native"]
    for e in engines:
        header += ["%s s" % e, "%s/native" % e, "qemu/%s" % e]
    table, cols = [], [[] for _ in header]
    for w in rows:
        nat, qemu = t(w, "native"), t(w, "qemu")
        cells = [w, tcell(w, "native"), tcell(w, "qemu")]
        nums = [None, nat, qemu]
        q = ratio(qemu, nat)
        cells.append("%.2fx" % q if q else "-")
        nums.append(q)
        for e in engines:
            om = t(w, "omnivm-" + e)
            sl, sp = ratio(om, nat), ratio(qemu, om)
            cells += [tcell(w, "omnivm-" + e), "%.2fx" % sl if sl else "-",
                      "%.2f" % sp if sp else "-"]
            nums += [om, sl, sp]
        table.append(cells)
        for i, v in enumerate(nums):
            cols[i].append(v)
    gm = ["geomean"]
    for i in range(1, len(header)):
        g = geomean(cols[i])
        if g is None:
            gm.append("-")
        elif header[i].endswith("/native"):
            gm.append("%.2fx" % g)
        elif header[i].startswith("qemu/"):
            gm.append("%.2f" % g)
        else:
            gm.append("%.3f" % g)
    table.append(gm)

    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                              for i, c in enumerate(r))
    print(fmt(header))
    for r in table:
        print(fmt(r))

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2") or platform.processor()
    meta = [
        "date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "host: %s, %s cores, %s" % (cpu, os.cpu_count(), platform.platform()),
        "omnivm: git %s" % (sh("git rev-parse --short HEAD", cwd=a.root) or "?"),
        "qemu: %s" % sh(a.qemu + " --version | head -1"),
        "compilers: gcc %s, riscv64-linux-gnu-gcc %s, -O2 -ffp-contract=off (guest -static)"
        % (sh("gcc -dumpversion"), sh("riscv64-linux-gnu-gcc -dumpversion")),
        "timing: best of %s wall-clock runs%s%s" % (a.runs, " (hyperfine)" if a.hyperfine == "1"
                                                   else " (bash)",
                                                   "; QUICK mode (small inputs)"
                                                   if a.quick != "0" else ""),
    ]
    groups = {}  # (runner, status) -> workloads, so one broken runner is one line
    for (w, r), s in res.items():
        if s[0] != "ok":
            groups.setdefault((r, s[0]), []).append(w)
    problems = ["%s %s: %s" % (r, st, " ".join(ws)) for (r, st), ws in groups.items()]
    with open(a.md, "w") as f:
        f.write("# OmniVM benchmark results\n\n")
        f.write("".join("- %s\n" % m for m in meta))
        f.write("\nTimes in seconds. X/native is the slowdown against native code; "
                "qemu/X above 1 means X is faster than qemu-riscv64. "
                "Each geomean covers the workloads with a number in its column.\n\n")
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|\n")
        for r in table:
            f.write("| " + " | ".join(r) + " |\n")
        if problems:
            f.write("\nNot timed: " + "; ".join(problems) + ".\n")
    print("\nwritten to %s" % a.md)
    for p in problems:
        print("not timed: " + p)


if __name__ == "__main__":
    main()
