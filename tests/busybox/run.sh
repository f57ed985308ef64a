#!/usr/bin/env bash
# Real software: Debian's static riscv64 busybox run by omnivm (or by $RUNNER, e.g.
# qemu-riscv64, to validate the suite) against the host's amd64 busybox, on the same
# generated inputs. Each workload is a small shell pipeline in which every "$BB" stage is
# the guest busybox on one side and the host busybox on the other; stdout must be
# byte-identical and the exit status (pipefail) equal: "ok busybox/NAME[ENGINE]".
# Inputs are generated once into $TESTOUT/busybox by gen-input.awk (exact integer
# arithmetic, so every awk makes the same bytes; the hash is checked) and a fixed tree
# with fixed mtimes. Sizes keep an interpreter run to a few seconds per workload.
# Environment: OMNIVM, ENGINES, SHARED, TESTOUT (from tests/run), RUNNER,
# BUSYBOX_TIMEOUT (seconds per workload run, default 300).
set -u
ulimit -c 0

here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../../shared}
testout=${TESTOUT:-$here/../../build/tests}
out=$(mkdir -p "$testout/busybox" && cd "$testout/busybox" && pwd)
engines=${ENGINES:-interp}
runner=${RUNNER:-}
omnivm=${OMNIVM:-$here/../../build/omnivm}
tmo=${BUSYBOX_TIMEOUT:-300}
rvbb=$shared/guests/riscv64/busybox
hostbb=$shared/guests/amd64/busybox
[ -x "$hostbb" ] || hostbb=$(command -v busybox || echo /bin/busybox)

if [ ! -f "$rvbb" ]; then
    echo "not ok busybox/setup: $rvbb missing"
    exit 0
fi
if [ ! -x "$hostbb" ]; then
    echo "not ok busybox/setup: no host busybox ($shared/guests/amd64/busybox or busybox in PATH)"
    exit 0
fi

# ---- inputs ----
BIG=$out/big.txt      # ~3 MB: hashes, sort, wc, sed, uniq
MED=$out/med.txt      # ~560 KB: awk, keyed sort, gzip round trip
SMALL=$out/small.txt  # ~280 KB: gzip -9
TREE=$out/tree
BIG_SHA256=f5a0865b9d5e8aa151db5a3efb9c8e43326d359b70b251403630bb8f5ffa184a
gen() { awk -v lines="$1" -f "$here/gen-input.awk"; }
stamp=$(sha256sum "$here/gen-input.awk" "$0" | sha256sum | cut -c1-16)
if [ "$(cat "$out/inputs.stamp" 2>/dev/null)" != "$stamp" ]; then
    gen 50000 >"$BIG"
    head -n 10000 "$BIG" >"$MED"
    head -n 5000 "$BIG" >"$SMALL"
    rm -rf "$TREE"
    mkdir -p "$TREE/src/lib" "$TREE/doc" "$TREE/empty" "$TREE/data/a/b/c"
    printf 'int main(void) { return 0; }\n' >"$TREE/src/main.c"
    printf '#define X 1\n' >"$TREE/src/lib/x.h"
    head -n 100 "$BIG" >"$TREE/data/a/b/c/deep.txt"
    head -n 3 "$BIG" >"$TREE/doc/README.txt"
    printf 'notes\n' >"$TREE/doc/notes.md"
    : >"$TREE/data/zero.bin"
    ln -s ../doc/README.txt "$TREE/src/readme-link"
    find "$TREE" -exec touch -h -d '2001-02-03 04:05:06 UTC' {} +
    echo "$stamp" >"$out/inputs.stamp"
fi
got_sha=$(sha256sum <"$BIG" | cut -d' ' -f1)
if [ "$got_sha" = "$BIG_SHA256" ]; then
    echo "ok busybox/input-deterministic"
else
    echo "not ok busybox/input-deterministic: big.txt sha256 $got_sha, want $BIG_SHA256"
fi

# ---- workloads: name | pipeline ($BB = busybox, $BIG $MED $SMALL $TREE inputs) ----
# shellcheck disable=SC2016 # expanded later, by the bash that runs each pipeline
workloads=(
    'sha256sum|$BB sha256sum <"$BIG"'
    'md5sum|$BB md5sum <"$BIG"'
    'wc|$BB wc -l -w -c <"$BIG"'
    'sort|$BB sort "$BIG" | $BB sha256sum'
    'sort-keys|$BB sort -t " " -k4,4n -k2,2 -k1,1r "$MED" | $BB sha256sum'
    'uniq-c|$BB cut -d " " -f2,3 "$BIG" | $BB sort | $BB uniq -c | $BB sort -k1,1nr -k2 | $BB sed -n 1,50p'
    'sed|$BB sed -e "s/alpha/ALPHA/g" -e "s/\([0-9][0-9]*\)\.\([0-9][0-9]\)$/\2,\1/" -e "/Sunday/d" -e "y/abc/xyz/" "$BIG" | $BB sha256sum'
    'grep-tr-cut|$BB grep -c -E "(quartz|onyx) [a-z]+ [0-9]" "$BIG"; $BB tr a-z A-Z <"$MED" | $BB cut -c 8-20 | $BB sort -u | $BB md5sum'
    'awk|$BB awk -f "$AWKPROG" "$MED" | $BB sort'
    'gzip-9|$BB gzip -9 -c "$SMALL" | $BB sha256sum'
    'gzip-roundtrip|$BB gzip -c "$MED" | $BB gunzip -c | $BB sha256sum'
    'sh-arith|$BB sh -c '"'"'i=0; s=0; while [ $i -lt 10000 ]; do s=$(( (s * 31 + i * i) % 1000003 )); i=$((i + 1)); done; echo $s $i'"'"''
    'tar|$BB tar -c -C "$TREE" . | $BB tar -t | $BB sort'
    'seq-xargs|$BB seq 1 3000 | $BB xargs -n 40 echo | $BB md5sum'
    'find|cd "$TREE" && $BB find . | $BB sort && $BB find . -type f -name "*.txt" | $BB sort'
    'date|$BB date -d @0 -u'
)
export AWKPROG=$out/prog.awk
cat >"$AWKPROG" <<'EOF'
# per-day totals and counts, word frequencies, min/max, printf formatting
{
    n[$3]++; sum[$3] += $4; amount[$3] += $NF
    if (!($3 in min) || $4 < min[$3]) min[$3] = $4
    if ($4 > max[$3]) max[$3] = $4
    for (i = 5; i < NF; i++) words[$i]++
    total += $4
}
END {
    for (d in n)
        printf "day %-9s n=%5d sum=%10d avg=%9.3f min=%5d max=%5d amt=%.2f\n", d, n[d], sum[d], sum[d] / n[d], min[d], max[d], amount[d]
    for (w in words) if (words[w] > 900) printf "word %s %d\n", w, words[w]
    printf "total %d lines %d %s\n", total, NR, substr(toupper($2), 1, 3)
}
EOF
export BIG MED SMALL TREE

run_side() { # bb-command outfile pipeline: runs the pipeline with BB set; prints status
    local bb=$1 outf=$2 pipeline=$3
    (
        set -o pipefail
        export BB=$bb
        cd "$out" || exit 99
        timeout -k 5 "$tmo" bash -o pipefail -c "$pipeline" >"$outf" 2>"$outf.err" </dev/null
    )
    echo $?
}

if [ -n "$runner" ]; then
    labels=$(basename "${runner%% *}")
else
    labels=$engines
fi
declare -A hst # workload -> exit status of the host side (run once for all engines)
for w in "${workloads[@]}"; do
    name=${w%%|*}
    hst[$name]=$(run_side "$hostbb" "$out/$name.host" "${w#*|}")
done
for label in $labels; do
    if [ -n "$runner" ]; then
        guestbb="$runner $rvbb"
    elif [ -x "$omnivm" ]; then
        guestbb="$omnivm user --engine $label $rvbb"
    else
        guestbb=""
    fi
    for w in "${workloads[@]}"; do
        name=${w%%|*}
        if [ -z "$guestbb" ]; then
            echo "not ok busybox/${name}[$label]: $omnivm is not built"
            continue
        fi
        g=$out/$name.guest.$label
        gst=$(run_side "$guestbb" "$g" "${w#*|}")
        if [ "$gst" = 124 ] || [ "$gst" = 137 ]; then
            echo "not ok busybox/${name}[$label]: timed out after ${tmo}s"
        elif [ "${hst[$name]}" != "$gst" ]; then
            echo "not ok busybox/${name}[$label]: exit status $gst, host busybox ${hst[$name]}"
            tail -n 5 "$g.err" | sed 's/^/  # /'
        elif ! cmp -s "$out/$name.host" "$g"; then
            echo "not ok busybox/${name}[$label]: stdout differs from host busybox"
            diff "$out/$name.host" "$g" | head -n 10 | sed 's/^/  # /'
        else
            echo "ok busybox/${name}[$label]"
        fi
    done
done
exit 0
