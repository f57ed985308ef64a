#!/usr/bin/env bash
# System mode: boots Debian's riscv64 kernel on the virt board with 2 harts, a virtio-blk
# disk of known random content, virtio-net (slirp) and virtio-rng, into an initramfs
# (scripts/mkinitramfs) whose /init runs check.sh. The guest prints one marker per check;
# each becomes "ok system/NAME[ENGINE]":
#   boot        the check script started          smp        both harts online
#   disk_read   /dev/vda's sha256 as written      disk_write a pattern written and re-read
#   dhcp        slirp's DHCP lease 10.0.2.15      net_http   a file from the host's loopback
#   rng         virtio-rng behind /dev/hwrng      disk_host  the pattern is in the host file,
#   hostfwd     the host fetches a file from a               the rest of the disk unchanged
#               guest server via hostfwd          disk_readonly  a ",readonly" disk reads
#                                                            back, refuses writes, stays as is
#   poweroff    the guest powered off and omnivm exited with status 0
# Then the interactive console on a pseudo-terminal (console_test.py: shell, raw mode,
# Ctrl-C to the guest, Ctrl-A H / Ctrl-A X, terminal restored) and the `run` bad-input
# checks (badinput.sh). The boot time to the check is printed as a "# " comment line. With SYSTEM_RUNNER=qemu the same boot runs on qemu-system-riscv64
# (the yardstick; same kernel, initramfs, firmware and devices).
# Environment: OMNIVM, ENGINES, SHARED, TESTOUT (from tests/run), SYSTEM_TIMEOUT (seconds,
# default 1800), SYSTEM_RUNNER, SYSTEM_SMP (default 2), SYSTEM_QUICK=1 (only the boot
# check: no console or bad-input tests; for bench/boot).
set -u
ulimit -c 0
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${SHARED:-$top/../shared}
testout=${TESTOUT:-$top/build/tests}
out=$(mkdir -p "$testout/system" && cd "$testout/system" && pwd)
omnivm=${OMNIVM:-$top/build/omnivm}
engines=${ENGINES:-interp}
tmo=${SYSTEM_TIMEOUT:-1800}
runner=${SYSTEM_RUNNER:-}
smp=${SYSTEM_SMP:-2}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
checks=(smp disk_read disk_write disk_readonly dhcp net_http hostfwd rng)

quick=${SYSTEM_QUICK:-0}
[ "$quick" = 1 ] || "$here/badinput.sh"

kernel=$shared/guests/riscv64/Image
if [ ! -f "$kernel" ]; then
    kernel=$("$top/scripts/fetch-guest" riscv64 kernel) || {
        echo "not ok system/boot: no kernel (no $shared/guests and fetch-guest failed)"
        exit 0
    }
fi
if [ -z "$runner" ] && [ ! -x "$omnivm" ]; then
    echo "not ok system/boot: $omnivm is not built"
    exit 0
fi

# ---- inputs: initramfs with the check, a disk, a file served over HTTP ----
initrd=$out/initrd.cpio
if ! "$top/scripts/mkinitramfs" -o "$initrd" --add "$here/check.sh=/check/system" \
        >"$out/mkinitramfs.log" 2>&1; then
    echo "not ok system/boot: mkinitramfs failed"
    sed -e 's/^/    /' "$out/mkinitramfs.log"
    exit 0
fi
mkdir -p "$out/www"
head -c 262144 /dev/urandom >"$out/www/file"
file_sha=$(sha256sum "$out/www/file" | cut -d' ' -f1)

server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; }
trap cleanup EXIT
python3 -u - "$out/www" >"$out/http.port" 2>"$out/http.log" <<'EOF' &
import http.server, os, sys
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1])
s.serve_forever()
EOF
server_pid=$!
for _ in $(seq 300); do [ -s "$out/http.port" ] && break; sleep 0.1; done
port=$(head -n 1 "$out/http.port")
if [ -z "$port" ]; then
    echo "not ok system/boot: the HTTP server did not start"
    exit 0
fi

# a free host port for the forwarding check (bound and released: a small race, fine here)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits for the guest's "hostfwd-ready", fetches the token through the forwarded port and
# publishes the verdict for the guest at /hostfwd-result on the HTTP server.
hostfwd_helper() {
    local log=$1 hport=$2 token=$3 i got
    rm -f "$out/www/hostfwd-result"
    for ((i = 0; i < tmo * 2; i++)); do
        grep -aq "OMNIVM-CHECK hostfwd-ready" "$log" 2>/dev/null && break
        sleep 0.5
    done
    got=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/token.txt" % sys.argv[1], timeout=30).read().decode().strip())' "$hport" 2>&1 | tail -n 1)
    if [ "$got" = "$token" ]; then echo ok; else echo "got:$got"; fi >"$out/www/hostfwd-result.tmp"
    mv "$out/www/hostfwd-result.tmp" "$out/www/hostfwd-result"
}

if [ -n "$runner" ]; then runs=(qemu); else read -r -a runs <<<"$engines"; fi
for e in "${runs[@]}"; do
    disk=$out/disk-$e.img
    head -c 8388608 /dev/urandom >"$disk"
    disk_sha=$(sha256sum "$disk" | cut -d' ' -f1)
    cp "$disk" "$out/disk-$e.orig"
    rodisk=$out/rodisk-$e.img
    head -c 4194304 /dev/urandom >"$rodisk"
    ro_sha=$(sha256sum "$rodisk" | cut -d' ' -f1)
    hport=$(free_port)
    token=token-$RANDOM$RANDOM
    append="console=ttyS0 check=system harts=$smp disk_sha=$disk_sha file_sha=$file_sha port=$port"
    append+=" token=$token ro_sha=$ro_sha"
    if [ "$e" = qemu ]; then
        cmd=(qemu-system-riscv64 -machine virt -nographic -no-reboot -smp "$smp" -m 512M
             -bios "$fw" -kernel "$kernel" -initrd "$initrd" -append "$append"
             -drive "file=$disk,format=raw,if=none,id=hd0" -device virtio-blk-device,drive=hd0
             -drive "file=$rodisk,format=raw,if=none,id=hd1,readonly=on"
             -device virtio-blk-device,drive=hd1
             -netdev "user,id=n0,hostfwd=tcp::$hport-:8080" -device virtio-net-device,netdev=n0
             -device virtio-rng-device)
    else
        cmd=("$omnivm" run --engine "$e" --smp "$smp" --mem 512M --kernel "$kernel"
             --initrd "$initrd" --append "$append" --disk "$disk" --disk "$rodisk,readonly"
             --net "user,hostfwd=tcp::$hport-:8080" --rng)
    fi
    log=$out/console-$e.log
    : >"$log"
    hostfwd_helper "$log" "$hport" "$token" &
    helper_pid=$!
    t0=$EPOCHREALTIME
    # timestamp every console line as it arrives (bash's clock: no fork per line)
    timeout "$tmo" "${cmd[@]}" </dev/null 2>&1 |
        while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"; done >"$log"
    rc=${PIPESTATUS[0]}
    t1=$EPOCHREALTIME
    kill "$helper_pid" 2>/dev/null
    wait "$helper_pid" 2>/dev/null

    show() { cut -d' ' -f2- "$log" | tail -n 30 | sed -e 's/^/    /'; }
    tbegin=$(awk '$2 == "OMNIVM-CHECK-BEGIN" { print $1; exit }' "$log")
    if [ -z "$tbegin" ]; then
        if [ "$rc" = 124 ]; then
            echo "not ok system/boot[$e]: timeout after ${tmo}s before the check started"
        else
            echo "not ok system/boot[$e]: exit status $rc before the check started"
        fi
        show
        for c in "${checks[@]}" disk_host poweroff; do echo "not ok system/$c[$e]: no boot"; done
        continue
    fi
    echo "ok system/boot[$e]"
    for c in "${checks[@]}"; do
        line=$(grep -a -m1 " OMNIVM-CHECK \(ok\|fail\) $c\b" "$log" | cut -d' ' -f2-)
        case "$line" in
        "OMNIVM-CHECK ok $c") echo "ok system/$c[$e]" ;;
        "OMNIVM-CHECK fail $c"*) echo "not ok system/$c[$e]:${line#OMNIVM-CHECK fail $c:}" ;;
        *) echo "not ok system/$c[$e]: no result (guest stopped early?)" ;;
        esac
    done
    # the host's view of the disk: pattern at 1 MiB, every other byte as before
    if python3 - "$disk" "$out/disk-$e.orig" <<'EOF'; then
import sys
d, o = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
pat = (b"omnivm disk pattern 0123456789abcdef\n" * 2000)[:65536]
lo, hi = 1 << 20, (1 << 20) + 65536
sys.exit(0 if len(d) == len(o) and d[lo:hi] == pat and d[:lo] == o[:lo] and d[hi:] == o[hi:] else 1)
EOF
        echo "ok system/disk_host[$e]"
    else
        echo "not ok system/disk_host[$e]: the disk file does not hold exactly the guest's write"
    fi
    if [ "$(sha256sum "$rodisk" | cut -d' ' -f1)" != "$ro_sha" ]; then
        echo "not ok system/disk_readonly[$e]: the read-only disk file changed"
    fi
    end=$(awk '$2 == "OMNIVM-CHECK-END" { print $3; exit }' "$log")
    if [ "$rc" = 0 ] && [ "$end" = 0 ]; then
        echo "ok system/poweroff[$e]"
    else
        echo "not ok system/poweroff[$e]: exit status $rc, check script status '${end:-none}'"
        show
    fi
    tend=$(awk '$2 == "OMNIVM-CHECK-END" { print $1; exit }' "$log")
    awk -v t0="$t0" -v tb="$tbegin" -v te="${tend:-$t1}" -v t1="$t1" -v e="$e" 'BEGIN {
        printf "# system[%s]: boot to check %.1f s, check %.1f s, total %.1f s\n",
               e, tb - t0, te - tb, t1 - t0 }'

    # the interactive default guest on a terminal (omnivm's own console keys)
    if [ "$e" != qemu ] && [ "$quick" != 1 ]; then
        shell_initrd=$out/initrd-shell.cpio
        if "$top/scripts/mkinitramfs" -o "$shell_initrd" >>"$out/mkinitramfs.log" 2>&1; then
            CONSOLE_LOG=$out/console-shell-$e.log timeout $((tmo + 120)) \
                python3 "$here/console_test.py" "$e" "$tmo" "$omnivm" run --engine "$e" \
                --smp "$smp" --kernel "$kernel" --initrd "$shell_initrd" \
                --append "console=ttyS0 quiet"
        else
            echo "not ok system/shell[$e]: mkinitramfs failed"
        fi
    fi
done
