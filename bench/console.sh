#!/usr/bin/env bash
# Console throughput: MB megabytes of random data (default 64) written by
# `cat` in the guest to a host pipe, timed from the host, the time of the
# same boot with an empty file subtracted.
#   Osprey:      build/osprey run --add FILE -- /bin/cat FILE | cat >/dev/null
#                (the program's stdout: a virtio-console port)
#   Linux guest: Debian's kernel (build/linux-guest/work/vmlinux, as
#                bench/boot.sh builds it) with busybox `cat FILE >/dev/ttyS0`
#                (its console: the serial port, raw), -serial stdio | cat
# Both under TCG on microvm with 512 MB (the file is in the initramfs).
# The Linux guest's serial console moves about 1 MB/s under TCG, so it
# gets LINUX_MB (default 8) megabytes and the rate is compared.
# Usage: bench/console.sh [MB]; every run is bounded by `timeout`.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MB=${1:-64}
LINUX_MB=${LINUX_MB:-8}
OSPREY=build/osprey
LG=build/linux-guest/work
tmp=$(mktemp -d /tmp/osprey-console.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$OSPREY" ]; then
	echo "SKIP console: $OSPREY not built (make cli)"
	exit 0
fi
head -c $((MB << 20)) /dev/urandom >"$tmp/data.bin"
: >"$tmp/empty.bin"

secs() { # secs CMD...: the wall seconds CMD took (3 decimals)
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

osprey_cat() { # FILE
	timeout 600 "$OSPREY" run --tcg -m 512 --add "$1:/data.bin" -- /bin/cat /data.bin |
		cat >/dev/null
}

linux_initrd() { # SRC OUT: a busybox initramfs that sends SRC to ttyS0
	local d=$tmp/lg
	rm -rf "$d" && mkdir -p "$d/bin" "$d/dev"
	cp "$LG/initrd-boot/bin/busybox" "$d/bin/" && cp "$1" "$d/data.bin" &&
		cat >"$d/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox stty -F /dev/ttyS0 raw -echo
/bin/busybox cat /data.bin >/dev/ttyS0
/bin/busybox reboot -f
EOF
	chmod +x "$d/init" && (cd "$d" && find . | cpio -o -H newc --quiet) >"$2"
}

linux_cat() { # INITRD
	local mhz
	mhz=$(awk -F: '/^cpu MHz/{printf "%d", $2; exit}' /proc/cpuinfo)
	timeout 600 qemu-system-x86_64 -M microvm -accel tcg -cpu max -m 512 \
		-nographic -nodefaults -serial stdio -no-reboot \
		-kernel "$LG/vmlinux" -initrd "$1" </dev/null \
		-append "console=ttyS0 quiet reboot=t tsc=reliable no_timer_check edd=off pci=off tsc_early_khz=$((mhz * 1000))" |
		cat >/dev/null
}

rate() { awk -v n="$1" -v t="$2" -v z="$3" 'BEGIN { printf "%.2f", n / (t - z) }'; }
delta() { awk -v t="$1" -v z="$2" 'BEGIN { printf "%.3f", t - z }'; }

o0=$(secs osprey_cat "$tmp/empty.bin")
o1=$(secs osprey_cat "$tmp/data.bin")
orate=$(rate "$MB" "$o1" "$o0")
printf '%-28s %10s %10s %10s\n' "console, cat to a host pipe" MB seconds MB/s
printf '%-28s %10s %10s %10s\n' "osprey (virtio-console)" "$MB" "$(delta "$o1" "$o0")" "$orate"
if [ ! -r "$LG/vmlinux" ] || [ ! -x "$LG/initrd-boot/bin/busybox" ]; then
	echo "linux guest: not built ($LG; bench/boot.sh builds it)"
	exit 0
fi
head -c $((LINUX_MB << 20)) "$tmp/data.bin" >"$tmp/ldata.bin"
linux_initrd "$tmp/empty.bin" "$tmp/l0.cpio" &&
	linux_initrd "$tmp/ldata.bin" "$tmp/l1.cpio" || exit 1
l0=$(secs linux_cat "$tmp/l0.cpio")
l1=$(secs linux_cat "$tmp/l1.cpio")
lrate=$(rate "$LINUX_MB" "$l1" "$l0")
printf '%-28s %10s %10s %10s\n' "linux guest (serial ttyS0)" "$LINUX_MB" "$(delta "$l1" "$l0")" "$lrate"
printf '%-28s %10s\n' "ratio osprey/linux (MB/s)" "$(awk -v a="$orate" -v b="$lrate" 'BEGIN { printf "%.1f", a / b }')"
