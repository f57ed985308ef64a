#!/usr/bin/env bash
# Bare-metal M-mode and S-mode test programs (traps, interrupts, timer, IPIs, atomics,
# page tables, A/D bits, page faults, TLB flushes). Each is built at test time with the
# Debian cross compiler (-nostdlib -ffreestanding, linked at 0x80000000 by link.ld),
# then run as
#     $OMNIVM run --bios none --kernel PROG.elf --engine ENGINE [--smp N]
# and must end through HTIF (tohost) with status 0: "ok baremetal/NAME[ENGINE]".
# With BAREMETAL_RUNNER=qemu the same programs run on qemu-system-riscv64's spike board
# instead (an oracle for the tests themselves). Output is shown only on failure.
# Environment: OMNIVM, ENGINES, TESTOUT (from tests/run), RISCV_CC, BAREMETAL_TIMEOUT
# (seconds per program, default 60), BAREMETAL_RUNNER.
set -u
ulimit -c 0
here=$(cd "$(dirname "$0")" && pwd)
testout=${TESTOUT:-$here/../../build/tests}
out=$(mkdir -p "$testout/baremetal" && cd "$testout/baremetal" && pwd)
cc=${RISCV_CC:-riscv64-linux-gnu-gcc}
omnivm=${OMNIVM:-$here/../../build/omnivm}
engines=${ENGINES:-interp}
tmo=${BAREMETAL_TIMEOUT:-60}
runner=${BAREMETAL_RUNNER:-}

# name | sources | extra compiler flags | harts | expected exit status (default 0) |
# "virt" if the program needs the virt board's devices (not on QEMU's spike board) |
# extra omnivm options
programs=(
    "m_trap|m_trap.c||1"
    "m_illegal|m_illegal.c||1"
    "m_timer|m_timer.c||1"
    "m_soft|m_soft.c||1"
    "m_misaligned|m_misaligned.c||1"
    "m_smp|m_smp.c||2"
    "s_deleg|s_deleg.c||1"
    "s_timer|s_timer.c||1"
    "s_vm|s_vm.c||1"
    "s_vm48|s_vm.c|-DVM_LEVELS=4|1|0||--mmu sv48"
    "s_vm57|s_vm.c|-DVM_LEVELS=5|1|0||--mmu sv57"
    "s_pagefault|s_pagefault.c||1"
    "s_sfence|s_sfence.c||1"
    "syscon_pass|syscon.c|-DSYSCON_VALUE=0x5555|1|0|virt"
    "syscon_fail|syscon.c|-DSYSCON_VALUE=0x73333|1|7|virt"
)
cflags="-march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -ffreestanding
        -fno-pic -static -O2 -Wall -Wextra -Wno-unused-parameter -Wl,--build-id=none
        -T $here/link.ld"
[ -n "$runner" ] && cflags+=" -DQEMU_SPIKE"

if ! command -v "$cc" >/dev/null; then
    echo "not ok baremetal/build: $cc not found (scripts/setup installs it)"
    exit 0
fi
if [ -z "$runner" ] && [ ! -x "$omnivm" ]; then
    echo "not ok baremetal/all: $omnivm is not built"
    exit 0
fi

show() { sed -e 's/^/    /' "$1" | head -n 40; }

for p in "${programs[@]}"; do
    IFS='|' read -r name srcs extra harts want board opts <<<"$p"
    want=${want:-0}
    if [ -n "$runner" ] && [ "$board" = virt ]; then
        echo "# baremetal/$name: skipped on $runner (needs the virt board)"
        continue
    fi
    elf=$out/$name.elf
    src_paths=$here/crt.S
    for s in common.c $srcs; do src_paths+=" $here/$s"; done
    # shellcheck disable=SC2086
    if ! $cc $cflags $extra -I"$here" $src_paths -o "$elf" >"$out/$name.build.log" 2>&1; then
        echo "not ok baremetal/$name: does not compile"
        show "$out/$name.build.log"
        continue
    fi
    if [ -n "$runner" ]; then
        runs=("qemu")
    else
        read -r -a runs <<<"$engines"
    fi
    for e in "${runs[@]}"; do
        log=$out/$name.$e.log
        if [ "$e" = qemu ]; then
            timeout "$tmo" qemu-system-riscv64 -machine spike -nographic -bios none \
                -smp "$harts" -kernel "$elf" </dev/null >"$log" 2>&1
        else
            # shellcheck disable=SC2086 # opts are words
            timeout "$tmo" "$omnivm" run --bios none --kernel "$elf" --engine "$e" \
                --smp "$harts" --mem 64M $opts </dev/null >"$log" 2>&1
        fi
        rc=$?
        if [ $rc -eq "$want" ]; then
            echo "ok baremetal/$name[$e]"
        elif [ $rc -eq 124 ]; then
            echo "not ok baremetal/$name[$e]: timeout after ${tmo}s"
            show "$log"
        else
            echo "not ok baremetal/$name[$e]: exit status $rc, want $want"
            show "$log"
        fi
    done
done
