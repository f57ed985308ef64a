#!/usr/bin/env bash
# Bad input to `omnivm run`: corrupt or foreign kernels, unknown firmware, missing disk
# and initrd files, impossible memory sizes and bad options. Each must end within a
# timeout with exactly one line on stderr starting with "omnivm:" and a non-zero exit
# status below 128 (no crash, no hang, no guest started): "ok system/badinput/NAME".
# Called by tests/system/run.sh. Environment: OMNIVM, SHARED, TESTOUT.
set -u
ulimit -c 0
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${SHARED:-$top/../shared}
testout=${TESTOUT:-$top/build/tests}
out=$(mkdir -p "$testout/system-badinput" && cd "$testout/system-badinput" && pwd)
omnivm=${OMNIVM:-$top/build/omnivm}
tmo=20

if [ -n "${SYSTEM_RUNNER:-}" ]; then
    echo "# system/badinput: skipped (SYSTEM_RUNNER is set)"
    exit 0
fi
if [ ! -x "$omnivm" ]; then
    echo "not ok system/badinput/all: $omnivm is not built"
    exit 0
fi

# ---- inputs ----
image=$shared/guests/riscv64/Image
good=$out/good.elf
# a minimal valid bare-metal program (HTIF exit 0), to show the failures are the input's
cat >"$out/good.S" <<'EOF'
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, tohost
    li t1, 1
    sd t1, 0(t0)
1:  j 1b
    .section .tohost, "aw"
    .align 6
    .globl tohost
tohost: .dword 0
    .globl fromhost
fromhost: .dword 0
EOF
riscv64-linux-gnu-gcc -nostdlib -static -march=rv64gc -mabi=lp64d -mcmodel=medany \
    -T "$here/../baremetal/link.ld" -Wl,--build-id=none "$out/good.S" -o "$good" \
    2>"$out/good.log" || good=

head -c 65536 /dev/urandom >"$out/random.bin"
: >"$out/empty.bin"
printf 'this is not a kernel\n' >"$out/text.bin"
mkdir -p "$out/adir"
if [ -f "$image" ]; then
    head -c 1048576 "$image" >"$out/truncated.Image"            # PE sections beyond EOF
    head -c 63 "$image" >"$out/header-only.Image"                # shorter than the header
    cp "$image" "$out/badsize.Image" && chmod u+w "$out/badsize.Image"
    printf '\x00\x10\x00\x00\x00\x00\x00\x00' |                  # image_size 4 KiB < file
        dd of="$out/badsize.Image" bs=1 seek=16 conv=notrunc status=none
fi
if [ -n "$good" ]; then
    cp "$good" "$out/badphdr.elf" && chmod u+w "$out/badphdr.elf"
    printf '\xff\xff\xff\xff\x00\x00\x00\x00' |                  # e_phoff far beyond EOF
        dd of="$out/badphdr.elf" bs=1 seek=32 conv=notrunc status=none
    # a segment linked outside RAM
    riscv64-linux-gnu-gcc -nostdlib -static -Wl,-Ttext=0x40000000 -Wl,--build-id=none \
        "$out/good.S" -o "$out/outside.elf" 2>/dev/null
fi
hostelf=$(type -P true)

# name | expected words in the message (a grep -E pattern) | arguments to `omnivm run`
cases=(
    "no_kernel|no kernel|"
    "missing_kernel|cannot open kernel|--kernel $out/does-not-exist"
    "dir_kernel|not a regular file|--kernel $out/adir"
    "empty_kernel|neither|--kernel $out/empty.bin"
    "text_kernel|neither|--kernel $out/text.bin"
    "random_kernel|neither|--kernel $out/random.bin"
    "host_elf_kernel|x86-64|--kernel $hostelf"
    "unknown_bios|cannot open firmware|--bios $out/no-such-firmware.bin --kernel $good"
    "missing_disk|disk|--bios none --kernel $good --disk $out/no-such-disk.img"
    "dir_disk|disk|--bios none --kernel $good --disk $out/adir"
    "missing_initrd|initrd|--kernel $good --bios none --initrd $out/no-such-initrd"
    "mem_zero|memory|--mem 0 --bios none --kernel $good"
    "mem_tiny|memory|--mem 4K --bios none --kernel $good"
    "mem_huge|memory|--mem 64T --bios none --kernel $good"
    "mem_garbage|memory size|--mem lots --bios none --kernel $good"
    "mem_negative|memory size|--mem -512M --bios none --kernel $good"
    "mem_overflow|memory size|--mem 99999999999999999999G --bios none --kernel $good"
    "smp_zero|smp|--smp 0 --bios none --kernel $good"
    "smp_many|smp|--smp 1000 --bios none --kernel $good"
    "unknown_option|unknown option|--frobnicate --kernel $good"
    "bad_engine|unknown engine|--engine warp --kernel $good"
    "bad_net|net|--net tap0 --kernel $good"
    "bad_hostfwd|hostfwd|--net user,hostfwd=tcp::notaport-:22 --kernel $good"
    "missing_value|needs a value|--kernel"
    "bad_arch|not supported|--arch sparc --kernel $good"
)
if [ -f "$image" ]; then
    cases+=(
        "truncated_image|truncated|--kernel $out/truncated.Image"
        "header_only_image|neither|--kernel $out/header-only.Image"
        "badsize_image|corrupt|--kernel $out/badsize.Image"
        "image_no_room|too large|--mem 16M --kernel $image"
    )
fi
if [ -n "$good" ]; then
    cases+=(
        "corrupt_elf|corrupt ELF|--bios none --kernel $out/badphdr.elf"
        "elf_outside_ram|outside guest RAM|--bios none --kernel $out/outside.elf"
    )
fi

if [ -n "$good" ]; then
    timeout "$tmo" "$omnivm" run --bios none --kernel "$good" </dev/null >"$out/good.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok system/badinput/control_good_elf"
    else
        echo "not ok system/badinput/control_good_elf: status $rc (the good input must run)"
        sed -e 's/^/    /' "$out/good.out" | head -n 5
    fi
fi

for c in "${cases[@]}"; do
    IFS='|' read -r name want args <<<"$c"
    # shellcheck disable=SC2086
    timeout "$tmo" "$omnivm" run $args </dev/null >"$out/$name.out" 2>"$out/$name.err"
    rc=$?
    nlines=$(wc -l <"$out/$name.err")
    first=$(head -n 1 "$out/$name.err")
    if [ $rc -eq 124 ]; then
        echo "not ok system/badinput/$name: hung (killed after ${tmo}s)"
    elif [ $rc -eq 0 ] || [ $rc -ge 128 ]; then
        echo "not ok system/badinput/$name: exit status $rc"
        sed -e 's/^/    /' "$out/$name.err" | head -n 5
    elif [ "$nlines" -ne 1 ] || [ "${first#omnivm: }" = "$first" ]; then
        echo "not ok system/badinput/$name: want one 'omnivm:' line on stderr, got $nlines"
        sed -e 's/^/    /' "$out/$name.err" | head -n 5
    elif ! grep -qiE "$want" <<<"$first"; then
        echo "not ok system/badinput/$name: message does not mention '$want': $first"
    else
        echo "ok system/badinput/$name"
    fi
done
