#!/usr/bin/env bash
# Bad host input to `omnivm user`: files that are not runnable riscv64 Linux programs
# (text, empty, a directory, truncated and corrupted ELFs, random bytes, other
# architectures, a relocatable object, a dynamic program whose interpreter is missing, a
# missing file) and bad command lines (unknown option, unknown engine, missing values).
# Each must end within a timeout with exactly one line on stderr starting with "omnivm:"
# and a non-zero exit status below 128 (no crash, no signal): "ok badinput/NAME".
# Controls: the unpatched ELF the corruptions start from runs with status 0, and
# --version / --help exit 0. Only meaningful for omnivm: skipped when RUNNER is set.
# Environment: OMNIVM, ENGINES, SHARED, TESTOUT (from tests/run), RISCV_CC.
set -u
ulimit -c 0

if [ -n "${RUNNER:-}" ]; then
    echo "# badinput: skipped (RUNNER is set; these tests check omnivm's own error handling)"
    exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../../shared}
testout=${TESTOUT:-$here/../../build/tests}
out=$(mkdir -p "$testout/badinput" && cd "$testout/badinput" && pwd)
omnivm=${OMNIVM:-$here/../../build/omnivm}
engines=${ENGINES:-interp}
engine=${engines%% *}
cc=${RISCV_CC:-riscv64-linux-gnu-gcc}
tmo=20

if [ ! -x "$omnivm" ]; then
    echo "not ok badinput/all: $omnivm is not built"
    exit 0
fi

# ---- inputs ----
le_read() { # file offset bytes -> unsigned decimal
    od -An -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}
le_write() { # file offset bytes value: little-endian in place
    local f=$1 off=$2 n=$3 v=$4 esc="" i
    for ((i = 0; i < n; i++)); do
        esc+=$(printf '\\x%02x' $(((v >> (8 * i)) & 0xff)))
    done
    printf '%b' "$esc" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
first_load() { # file -> offset of the first PT_LOAD program header
    local f=$1 phoff phentsize phnum i
    phoff=$(le_read "$f" 32 8)
    phentsize=$(le_read "$f" 54 2)
    phnum=$(le_read "$f" 56 2)
    for ((i = 0; i < phnum; i++)); do
        if [ "$(le_read "$f" $((phoff + i * phentsize)) 4)" = 1 ]; then
            echo $((phoff + i * phentsize))
            return
        fi
    done
    echo 0
}
patched() { # name offset bytes value: a copy of tiny with one field changed
    cp "$out/tiny" "$out/$1"
    le_write "$out/$1" "$2" "$3" "$4"
}

printf '.globl _start\n_start:\n li a0, 0\n li a7, 93\n ecall\n' >"$out/tiny.S"
build_log=$out/build.log
: >"$build_log"
$cc -nostdlib -static -o "$out/tiny" "$out/tiny.S" >>"$build_log" 2>&1 || rm -f "$out/tiny"
$cc -c -o "$out/tiny.o" "$out/tiny.S" >>"$build_log" 2>&1 || rm -f "$out/tiny.o"
$cc -march=rv32gc -mabi=ilp32 -nostdlib -static -o "$out/tiny32" "$out/tiny.S" \
    >>"$build_log" 2>&1 || rm -f "$out/tiny32"
printf 'int main(void) { return 0; }\n' >"$out/dyn.c"
$cc -O1 -o "$out/dyn" "$out/dyn.c" >>"$build_log" 2>&1 || rm -f "$out/dyn"
# an interpreter that exists nowhere, so no default sysroot can supply it either
$cc -O1 -Wl,--dynamic-linker=/nonexistent/ld-omnivm-test.so.1 -o "$out/dyn-badinterp" \
    "$out/dyn.c" >>"$build_log" 2>&1 || rm -f "$out/dyn-badinterp"
mkdir -p "$out/empty-sysroot"

printf 'this is not a program\n' >"$out/text.txt"
: >"$out/empty"
rvbb=$shared/guests/riscv64/busybox
size=$(stat -c %s "$rvbb" 2>/dev/null || echo 0)
for n in 40 100 1000 $((size / 2)); do
    head -c "$n" "$rvbb" >"$out/trunc-$n" 2>/dev/null
done
# "random" bytes that are the same every run: the middle of a fixed binary
hostbb=$shared/guests/amd64/busybox
[ -f "$hostbb" ] || hostbb=/bin/sh
dd if="$hostbb" of="$out/random" bs=4096 skip=100 count=1 status=none
{ printf '\x7fELF\x02\x01\x01'; dd if="$hostbb" bs=4096 skip=200 count=1 status=none; } >"$out/elf-magic-random"

if [ -f "$out/tiny" ]; then
    load=$(first_load "$out/tiny")
    tsize=$(stat -c %s "$out/tiny")
    patched phoff-beyond-file 32 8 0x7fffffff00000000
    patched phnum-huge 56 2 0xffff
    patched phentsize-wrong 54 2 7
    patched filesz-beyond-file $((load + 32)) 8 0x7fffffff0000
    le_write "$out/filesz-beyond-file" $((load + 40)) 8 0x7fffffff0000 # memsz >= filesz
    patched offset-beyond-file $((load + 8)) 8 $((tsize + 0x100000))
    patched vaddr-overflow $((load + 16)) 8 0xfffffffffffff000
    patched filesz-above-memsz $((load + 40)) 8 1
    patched big-endian 5 1 2
    patched class32-header 4 1 1 # ELFCLASS32 in e_ident of a 64-bit file
fi

# ---- checks ----
pass() { echo "ok badinput/$1"; }
fail() {
    echo "not ok badinput/$1: $2"
    sed 's/^/  # /' "$out/$1.err" 2>/dev/null | head -n 5
}

expect_error() { # name omnivm-args...: one "omnivm:" line on stderr, 0 < status < 128
    local name=$1 st lines first
    shift
    timeout -k 5 "$tmo" "$omnivm" "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null
    st=$?
    lines=$(awk 'END { print NR }' "$out/$name.err")
    first=$(head -n 1 "$out/$name.err")
    if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
        fail "$name" "timed out after ${tmo}s"
    elif [ "$st" -eq 0 ]; then
        fail "$name" "exit status 0"
    elif [ "$st" -ge 128 ]; then
        fail "$name" "exit status $st (killed by signal $((st - 128)))"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines on stderr, want 1"
    elif [ "${first#omnivm:}" = "$first" ]; then
        fail "$name" "stderr line does not start with 'omnivm:'"
    else
        pass "$name"
    fi
}

expect_ok() { # name want-stdout-prefix omnivm-args...: status 0
    local name=$1 prefix=$2 st
    shift 2
    timeout -k 5 "$tmo" "$omnivm" "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null
    st=$?
    if [ "$st" -ne 0 ]; then
        fail "$name" "exit status $st, want 0"
    elif [ -n "$prefix" ] && ! grep -q -- "$prefix" "$out/$name.out"; then
        fail "$name" "stdout lacks '$prefix'"
    else
        pass "$name"
    fi
}

need() { # name file: a missing generated input fails the test instead of the script
    [ -e "$2" ] && return 0
    echo "not ok badinput/$1: could not build $2"
    sed 's/^/  # /' "$build_log" | head -n 5
    return 1
}

u=(user --engine "$engine")
expect_ok version "omnivm " --version
expect_ok help "usage" --help
need control-valid-elf "$out/tiny" && expect_ok control-valid-elf "" "${u[@]}" "$out/tiny"

expect_error text-file "${u[@]}" "$out/text.txt"
expect_error empty-file "${u[@]}" "$out/empty"
expect_error directory "${u[@]}" "$out"
expect_error missing-file "${u[@]}" "$out/no-such-program"
for n in 40 100 1000 $((size / 2)); do
    expect_error "truncated-elf-$n" "${u[@]}" "$out/trunc-$n"
done
expect_error random-bytes "${u[@]}" "$out/random"
expect_error elf-magic-random "${u[@]}" "$out/elf-magic-random"
for p in phoff-beyond-file phnum-huge phentsize-wrong filesz-beyond-file offset-beyond-file \
    vaddr-overflow filesz-above-memsz big-endian class32-header; do
    need "$p" "$out/$p" && expect_error "$p" "${u[@]}" "$out/$p"
done
expect_error x86_64-elf "${u[@]}" "$(command -v true || echo /bin/true)"
need aarch64-elf "$shared/guests/arm64/busybox" &&
    expect_error aarch64-elf "${u[@]}" "$shared/guests/arm64/busybox"
need riscv32-elf "$out/tiny32" && expect_error riscv32-elf "${u[@]}" "$out/tiny32"
need relocatable-object "$out/tiny.o" && expect_error relocatable-object "${u[@]}" "$out/tiny.o"
need dynamic-missing-interp "$out/dyn-badinterp" &&
    expect_error dynamic-missing-interp "${u[@]}" "$out/dyn-badinterp"
need dynamic-empty-sysroot "$out/dyn" &&
    expect_error dynamic-empty-sysroot "${u[@]}" -L "$out/empty-sysroot" "$out/dyn"

expect_error unknown-option user --no-such-option "$out/tiny"
expect_error unknown-command-option --no-such-option
expect_error unknown-command frobnicate
expect_error unknown-engine user --engine warp-drive "$out/tiny"
expect_error engine-missing-value user --engine
expect_error no-program "${u[@]}"
exit 0
