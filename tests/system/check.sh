#!/bin/sh
# The scripted check that tests/system/run.sh boots into (runs inside the guest as
# /check/system, started by the initramfs /init because of check=system on the kernel
# command line). Each check prints one marker line on the console:
#     OMNIVM-CHECK ok NAME            or      OMNIVM-CHECK fail NAME: reason
# Parameters come from the kernel command line (the kernel passes NAME=VALUE words to init
# as environment variables): disk_sha (sha256 of /dev/vda as the host wrote it), port (an
# HTTP server on the host loopback, reached as 10.0.2.2 through slirp), file_sha (sha256 of
# its /file), harts (expected number of online harts), token (for the port-forwarding
# check: the guest serves it on port 8080, the host fetches it through hostfwd and
# leaves its verdict in the HTTP server's /hostfwd-result).
ok() { echo "OMNIVM-CHECK ok $1"; }
bad() { echo "OMNIVM-CHECK fail $1: $2"; }

echo "OMNIVM-CHECK uptime $(cut -d' ' -f1 /proc/uptime)"

# SMP: every hart online
want=$(( ${harts:-2} - 1 ))
online=$(cat /sys/devices/system/cpu/online)
if [ "$online" = "0-$want" ] || { [ "$want" = 0 ] && [ "$online" = 0 ]; }; then
    ok smp
else
    bad smp "online=$online, want 0-$want"
fi

# the disks by size (transports may probe them in either order): the 8 MiB read-write
# disk and the 4 MiB read-only one
rw=
ro=
for d in /dev/vd?; do
    [ -b "$d" ] || continue
    case $(blockdev --getsize64 "$d") in
    8388608) rw=$d ;;
    4194304) ro=$d ;;
    esac
done

# virtio-blk: the whole disk reads back as the host wrote it
if [ -n "$rw" ]; then
    got=$(sha256sum "$rw" | cut -d' ' -f1)
    if [ "$got" = "$disk_sha" ]; then ok disk_read; else bad disk_read "sha256 $got"; fi
    # write a known pattern: 64 KiB at offset 1 MiB, synced; the host checks the file
    yes "omnivm disk pattern 0123456789abcdef" | head -c 65536 > /tmp/pattern
    if dd if=/tmp/pattern of="$rw" bs=4096 seek=256 conv=fsync 2>/dev/null; then
        sync
        echo 3 > /proc/sys/vm/drop_caches
        a=$(sha256sum < /tmp/pattern | cut -d' ' -f1)
        b=$(dd if="$rw" bs=4096 skip=256 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
        if [ "$a" = "$b" ]; then ok disk_write; else bad disk_write "read back $b, want $a"; fi
    else
        bad disk_write "dd failed"
    fi
else
    bad disk_read "no 8 MiB disk"
    bad disk_write "no 8 MiB disk"
fi

# a read-only disk: readable, marked read-only, writes refused
if [ -n "$ro" ]; then
    got=$(sha256sum "$ro" | cut -d' ' -f1)
    if [ "$got" != "$ro_sha" ]; then
        bad disk_readonly "sha256 $got"
    elif [ "$(blockdev --getro "$ro")" != 1 ]; then
        bad disk_readonly "not marked read-only"
    elif dd if=/tmp/pattern of="$ro" bs=4096 count=1 conv=fsync 2>/dev/null; then
        bad disk_readonly "a write succeeded"
    else
        ok disk_readonly
    fi
else
    bad disk_readonly "no 4 MiB disk"
fi

# virtio-net through slirp: DHCP, then HTTP from the host's loopback
if ip link show eth0 >/dev/null 2>&1; then
    if udhcpc -i eth0 -n -q -t 5 -T 2 -s /etc/udhcpc/default.script >/tmp/dhcp.log 2>&1; then
        addr=$(ip -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')
        if [ "$addr" = 10.0.2.15 ]; then ok dhcp; else bad dhcp "address '$addr'"; fi
    else
        bad dhcp "no lease: $(tail -n 1 /tmp/dhcp.log)"
        ip addr add 10.0.2.15/24 dev eth0
        ip link set eth0 up
        ip route add default via 10.0.2.2
    fi
    if wget -q -T 30 -O /tmp/file "http://10.0.2.2:$port/file" 2>/tmp/wget.log; then
        got=$(sha256sum /tmp/file | cut -d' ' -f1)
        if [ "$got" = "$file_sha" ]; then ok net_http; else bad net_http "sha256 $got"; fi
    else
        bad net_http "wget failed: $(tail -n 1 /tmp/wget.log)"
    fi
else
    bad dhcp "no eth0"
    bad net_http "no eth0"
fi

# slirp port forwarding, host -> guest: busybox httpd serves the token, the host fetches it
# through its forwarded port and publishes "ok" (or what it saw) on its own server
if [ -n "$token" ] && ip link show eth0 >/dev/null 2>&1; then
    mkdir -p /www
    echo "$token" > /www/token.txt
    httpd -p 8080 -h /www
    echo "OMNIVM-CHECK hostfwd-ready"
    res=
    i=0
    while [ $i -lt 240 ]; do
        res=$(wget -q -T 5 -O - "http://10.0.2.2:$port/hostfwd-result" 2>/dev/null) && break
        res=
        sleep 0.5
        i=$((i + 1))
    done
    if [ "$res" = ok ]; then ok hostfwd; else bad hostfwd "host result '${res:-none}'"; fi
fi

# virtio-rng: the hw_random core uses it, and /dev/hwrng gives bytes
cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
case "$cur" in
virtio*)
    n=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | wc -w)
    if [ "$n" = 32 ]; then ok rng; else bad rng "read $n bytes from /dev/hwrng"; fi
    ;;
*) bad rng "rng_current='$cur'" ;;
esac

echo "OMNIVM-CHECK uptime $(cut -d' ' -f1 /proc/uptime)"
exit 0
