#!/bin/sh
# The scripted check that tests/system/run.sh boots into (runs inside the guest as
# /check/system, started by the initramfs /init because of check=system on the kernel
# command line). Each check prints one marker line on the console:
#     OMNIVM-CHECK ok NAME            or      OMNIVM-CHECK fail NAME: reason
# Parameters come from the kernel command line (the kernel passes NAME=VALUE words to init
# as environment variables): disk_sha (sha256 of /dev/vda as the host wrote it), port (an
# HTTP server on the host loopback, reached as 10.0.2.2 through slirp), file_sha (sha256 of
# its /file), harts (expected number of online harts).
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

# virtio-blk: the whole disk reads back as the host wrote it
if [ -b /dev/vda ]; then
    got=$(sha256sum /dev/vda | cut -d' ' -f1)
    if [ "$got" = "$disk_sha" ]; then ok disk_read; else bad disk_read "sha256 $got"; fi
    # write a known pattern: 64 KiB at offset 1 MiB, synced; the host checks the file
    yes "omnivm disk pattern 0123456789abcdef" | head -c 65536 > /tmp/pattern
    if dd if=/tmp/pattern of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null; then
        sync
        echo 3 > /proc/sys/vm/drop_caches
        a=$(sha256sum < /tmp/pattern | cut -d' ' -f1)
        b=$(dd if=/dev/vda bs=4096 skip=256 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
        if [ "$a" = "$b" ]; then ok disk_write; else bad disk_write "read back $b, want $a"; fi
    else
        bad disk_write "dd failed"
    fi
else
    bad disk_read "no /dev/vda"
    bad disk_write "no /dev/vda"
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
