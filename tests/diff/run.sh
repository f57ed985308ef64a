#!/usr/bin/env bash
# Differential test suite: random RV64IMFD+Zba/Zbb/Zbs/Zicond instruction sequences run
# under qemu-riscv64 (the oracle) and under omnivm with every engine in ENGINES; final
# registers, fcsr and scratch memory must agree byte for byte. Prints one
# "ok diff/NAME[engine]" line per program plus "ok diff/coverage".
#
# Environment (tests/run sets the first four):
#   OMNIVM   omnivm binary            ENGINES  engines to test (space-separated)
#   TESTOUT  scratch folder           SHARED   unused here
#   RUNNER   run programs with this command instead of "$OMNIVM user --engine E"
#            (e.g. RUNNER=qemu-riscv64 to check the harness against itself)
#   DIFF_VARIANT  real|oracle: which build the tested side runs. Default real, but oracle
#            when RUNNER names qemu (qemu 7.2 lacks Zicond and miscomputes ctzw; the
#            oracle build replaces both with equivalent sequences)
#   DIFF_SEED, DIFF_COUNT  generator seed and number of sequences (default 20240611, 2500)
#   DIFF_PER sequences per program (100)   DIFF_TIMEOUT seconds per run (60)
#   DIFF_CORRUPT=N  flip byte N of every tested output, to see the comparison fail
#   DIFF_JOBS parallel jobs (nproc)
# Generated sources, binaries and oracle outputs are cached in $TESTOUT/diff and rebuilt
# only when the seed, count or generator changes.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
OMNIVM="${OMNIVM:-$root/build/omnivm}"
ENGINES="${ENGINES:-interp}"
TESTOUT="${TESTOUT:-$root/build/tests}"
RUNNER="${RUNNER:-}"
seed="${DIFF_SEED:-20240611}"
count="${DIFF_COUNT:-2500}"
per="${DIFF_PER:-100}"
tmo="${DIFF_TIMEOUT:-60}"
jobs="${DIFF_JOBS:-$(nproc 2>/dev/null || echo 2)}"
variant="${DIFF_VARIANT:-}"
if [ -z "$variant" ]; then
    case "$RUNNER" in *qemu*) variant=oracle ;; *) variant=real ;; esac
fi
out="$TESTOUT/diff"
CC=riscv64-linux-gnu-gcc
CFLAGS=(-march=rv64gc_zba_zbb_zbs -mabi=lp64d -static -nostdlib -Wl,--build-id=none)

for tool in python3 "$CC" riscv64-linux-gnu-nm qemu-riscv64 timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "not ok diff/setup: $tool not installed (scripts/setup installs it)"
        exit 1
    fi
done
mkdir -p "$out"

# --- generate, build and record the oracle's answers (cached) ---------------------------
stamp="$(cat "$here"/rvdiffgen.py "$here"/rvvalues.py | sha256sum | cut -c1-16) $seed $count $per $("$CC" -dumpversion) $(qemu-riscv64 --version | head -1)"
if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$out"/stamp "$out"/*.S "$out"/*.json "$out"/*.bin "$out"/*.ref "$out"/*.out.* "$out"/*.elf
    if ! python3 "$here/rvdiffgen.py" --out "$out" --seed "$seed" --count "$count" --per "$per" \
            >"$out/gen.log" 2>&1; then
        echo "not ok diff/generate: $(tail -1 "$out/gen.log")"
        exit 1
    fi
    build_one() {  # NAME: both variants, then the oracle's output
        local n="$1" o="$2"
        shift 2
        "$CC" "$@" -o "$o/$n.elf" "$o/$n.S" 2>"$o/$n.cc.log" &&
            "$CC" "$@" -o "$o/$n.oracle.elf" "$o/$n.oracle.S" 2>>"$o/$n.cc.log" &&
            # same symbols at the same addresses, or auipc results would differ
            cmp -s <(riscv64-linux-gnu-nm "$o/$n.elf") <(riscv64-linux-gnu-nm "$o/$n.oracle.elf") &&
            qemu-riscv64 "$o/$n.oracle.elf" >"$o/$n.ref" 2>>"$o/$n.cc.log" ||
            { echo "build or oracle run failed" >>"$o/$n.cc.log"; rm -f "$o/$n.ref"; }
    }
    export -f build_one
    export CC
    xargs -P "$jobs" -I{} bash -c 'build_one "$@"' _ {} "$out" "${CFLAGS[@]}" <"$out/programs"
    echo "$stamp" >"$out/stamp"
fi
mapfile -t progs <"$out/programs"

cov="$(cat "$out/coverage")"
if [ "$count" -lt 2000 ]; then
    echo "# diff: $count sequences, coverage: $cov"
elif [ "$cov" = complete ]; then
    echo "ok diff/coverage"
else
    echo "not ok diff/coverage: $cov"
fi

# --- run the machine under test ---------------------------------------------------------
run_one() {  # NAME ENGINE OUTDIR VARIANT TIMEOUT CMD...
    local n="$1" e="$2" o="$3" v="$4" t="$5"
    shift 5
    local elf="$o/$n.elf"
    [ "$v" = oracle ] && elf="$o/$n.oracle.elf"
    # the subshell keeps bash's "Illegal instruction" job notices out of the report
    (
        timeout -k 5 "$t" "$@" "$elf" >"$o/$n.out.$e" 2>"$o/$n.err.$e"
        echo $? >"$o/$n.rc.$e"
    ) 2>/dev/null
}
export -f run_one

for e in $ENGINES; do
    if [ -n "$RUNNER" ]; then
        read -r -a cmd <<<"$RUNNER"
    elif [ -x "$OMNIVM" ]; then
        cmd=("$OMNIVM" user --engine "$e")
    else
        for n in "${progs[@]}"; do echo "not ok diff/$n[$e]: $OMNIVM not built"; done
        continue
    fi
    runnable=()
    for n in "${progs[@]}"; do [ -s "$out/$n.ref" ] && runnable+=("$n"); done
    printf '%s\n' "${runnable[@]}" |
        xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$e" "$out" "$variant" "$tmo" "${cmd[@]}"
    for n in "${progs[@]}"; do
        if [ ! -s "$out/$n.ref" ]; then
            echo "not ok diff/$n[$e]: could not build or run under qemu: $(tail -1 "$out/$n.cc.log")"
            continue
        fi
        python3 "$here/rvdiffcmp.py" --json "$out/$n.json" --expect "$out/$n.ref" \
            --got "$out/$n.out.$e" --status "$(cat "$out/$n.rc.$e")" --stderr "$out/$n.err.$e" \
            --label "diff/$n[$e]" ${DIFF_CORRUPT:+--corrupt "$DIFF_CORRUPT"}
    done
done
exit 0
