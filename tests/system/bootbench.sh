#!/usr/bin/env bash
# Boot-time yardstick: the system check (tests/system/run.sh: Debian's riscv64 kernel, 2
# harts, virtio disk/net/rng, the same initramfs and OpenSBI) under qemu-system-riscv64 and
# under omnivm, alternating, ROUNDS times (default 3), then the median of each. Prints one
# line per run and a summary table in Markdown (for docs/performance.md).
# Environment: OMNIVM, ENGINES (first engine is used), SHARED, TESTOUT, ROUNDS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rounds=${ROUNDS:-3}
engine=${ENGINES:-interp}
engine=${engine%% *}
testout=${TESTOUT:-$here/../../build/tests}
declare -A boot total
for ((i = 1; i <= rounds; i++)); do
    for who in qemu "$engine"; do
        if [ "$who" = qemu ]; then
            res=$(SYSTEM_QUICK=1 SYSTEM_RUNNER=qemu TESTOUT="$testout/bootbench" "$here/run.sh")
        else
            res=$(SYSTEM_QUICK=1 ENGINES="$who" TESTOUT="$testout/bootbench" "$here/run.sh")
        fi
        line=$(grep '^# system\[' <<<"$res")
        fails=$(grep -c '^not ok' <<<"$res")
        echo "round $i $who: ${line#\# } ($fails failed checks)"
        grep '^not ok' <<<"$res" | sed -e 's/^/    /'
        b=$(sed -n 's/.*boot to check \([0-9.]*\) s.*/\1/p' <<<"$line")
        t=$(sed -n 's/.*total \([0-9.]*\) s.*/\1/p' <<<"$line")
        boot[$who]+="${b:-nan} "
        total[$who]+="${t:-nan} "
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| runner | boot to check (median of $rounds) | boot + check + power-off |"
echo "|---|---|---|"
for who in qemu "$engine"; do
    name=$who
    [ "$who" = qemu ] && name="qemu-system-riscv64 $(qemu-system-riscv64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') (TCG)"
    [ "$who" != qemu ] && name="omnivm --engine $who"
    echo "| $name | $(median <<<"${boot[$who]}") s | $(median <<<"${total[$who]}") s |"
done
