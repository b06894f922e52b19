#!/usr/bin/env bash
# Memory and start-up of real programs (issue 13): for hello-world (static
# and dynamic), python3 -c, node -e and java -version, beside the Linux
# guest on the same QEMU, accelerator (TCG here) and machine (microvm):
#   min_mb   the smallest -m at which the program prints its line and
#            exits 0, by bisection (bounded: between 1 and MEM_HI, to within
#            1/32 of the answer, each boot under `timeout`);
#   kb       the memory the program took, by bench/mem_probe (the same
#            static binary in both guests, at -m 256 or the smallest -m
#            that passed if more): MemTotal - MemFree of the kernel's
#            /proc/meminfo at its peak while the program ran (sampled
#            every 2 ms), less the same before it started: the kernel's
#            view (the program, its page tables, the kernel's own for
#            it), in both guests alike; the files are in memory before
#            either way (the initramfs);
#   linux_hwm  the program's peak resident set in the Linux guest
#            (wait4's ru_maxrss, what VmHWM says at its exit: file pages
#            it touched included, so larger than kb);
#   first_s  seconds from starting the VM to the program's first output
#            line: Osprey: `osprey run` as a user types it (it packs the
#            image first; pack_s says how long `osprey build` takes);
#            Linux: QEMU started with its initramfs already written.
# Both guests get the same files: the Linux guest's initramfs is the
# Osprey image (`osprey build`) with busybox, an /init and mem_probe
# appended, all uncompressed (Linux unpacks it into its tmpfs; Osprey
# maps the archive's pages in place). The Linux guest is Debian's kernel
# as bench/boot.sh builds it (build/linux-guest/work/vmlinux).
# Usage: bench/mem.sh [NAME...] (default: all); MEM_HI (default 1024).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OSPREY=build/osprey
LG=build/linux-guest/work
HI=${MEM_HI:-1024}
tmp=$(mktemp -d /tmp/osprey-mem.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# NAME|PATTERN (the first line to wait for)|COMMAND
programs=(
	"hello-static|^Hello from|$ROOT/build/apps/hello-static"
	"hello-dynamic|^Hello from|$ROOT/build/apps/hello-dynamic"
	"python3|^42|/usr/bin/python3 -c print(6*7)"
	"node|^1\$|/usr/bin/node -e console.log(1)"
	"java|^openjdk version|/usr/bin/java -version"
)

if [ ! -x "$OSPREY" ] || [ ! -x build/apps/hello-static ]; then
	echo "SKIP mem: $OSPREY or build/apps not built (make cli apps)"
	exit 0
fi
gcc -O2 -Wall -Wextra -static -o "$tmp/mem_probe" bench/mem_probe.c || exit 1
linux=1
if [ ! -r "$LG/vmlinux" ] || [ ! -x "$LG/initrd-boot/bin/busybox" ]; then
	echo "linux guest: not built ($LG; bench/boot.sh builds it)"
	linux=""
fi
mhz=$(awk -F: '/^cpu MHz/{printf "%d", $2; exit}' /proc/cpuinfo)

now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

# first_match PATTERN: reads all of stdin; prints the time at which the
# first line matching PATTERN arrived (nothing if none did).
first_match() {
	local line seen=""
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [ -z "$seen" ] && [[ $line =~ $1 ]]; then
			now
			seen=1
		fi
	done
}

# ---- Osprey ----
osprey_ok() { # MB PATTERN CMD...: the program's line came and it exited 0
	local mb=$1 pat=$2
	shift 2
	timeout 120 "$OSPREY" run --tcg -m "$mb" -- "$@" >"$tmp/o.out" 2>&1 </dev/null &&
		grep -aqE "$pat" "$tmp/o.out"
}

linux_initrd() { # IMAGE OUT CMD...: the Osprey image, plus busybox and /init
	local img=$1 out=$2 d=$tmp/lgroot q
	shift 2
	rm -rf "$d" && mkdir -p "$d/lgb" "$d/dev" "$d/proc" "$d/tmp"
	cp "$LG/initrd-boot/bin/busybox" "$tmp/mem_probe" "$d/lgb/"
	printf -v q '%q ' "$@"
	cat >"$d/init" <<EOF
#!/lgb/busybox sh
/lgb/busybox mount -t devtmpfs dev /dev
/lgb/busybox mount -t proc proc /proc
exec </dev/null >/dev/ttyS0 2>&1
cd /
# through a pipe, as Osprey's stdout is one on the host (no tty colours)
/lgb/busybox env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ TERM=linux /lgb/mem_probe $q 2>&1 | /lgb/busybox cat
/lgb/busybox reboot -f
EOF
	chmod +x "$d/init"
	(cat "$img" && cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
}

linux_run() { # MB INITRD: the console on stdout
	timeout 90 qemu-system-x86_64 -M microvm -accel tcg -cpu max -m "$1" \
		-nographic -nodefaults -serial stdio -no-reboot \
		-kernel "$LG/vmlinux" -initrd "$2" </dev/null \
		-append "console=ttyS0 quiet panic=-1 reboot=t tsc=reliable no_timer_check edd=off pci=off tsc_early_khz=$((mhz * 1000))" 2>&1
}

linux_ok() { # MB PATTERN INITRD
	linux_run "$1" "$3" | tr -d '\r' >"$tmp/l.out"
	grep -aqE "$2" "$tmp/l.out" && grep -aq '^mem_probe: status=0 ' "$tmp/l.out"
}

# bisect CHECK ARGS...: the smallest MB in [2, HI] for which
# `CHECK MB ARGS...` succeeds, to within 1/32; ">HI" if HI fails.
bisect() {
	local lo=1 hi=$HI mid
	"$@" "$hi" || { echo ">$HI"; return; }
	while [ $((hi - lo)) -gt $((hi / 32 > 1 ? hi / 32 : 1)) ]; do
		mid=$(((lo + hi) / 2))
		if "$@" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}
# the bisection's checks take the MB last
o_check() { local pat=$1 mb=${!#}; set -- "${@:2:$#-2}"; osprey_ok "$mb" "$pat" "$@"; }
l_check() { linux_ok "$3" "$1" "$2"; }

# probe_kb FIELD: from mem_probe's line on stdin, used_peak - used_base
# (FIELD used) or the named field
probe_kb() {
	awk -v f="$1" '/mem_probe: status=0/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print f == "used" ? v["used_peak_kb"] - v["used_base_kb"] : v[f]; exit }'
}

osprey_probe() { # MB IMAGE CMD...: mem_probe's line
	local mb=$1 img=$2
	shift 2
	tools/qemu-run --quiet --tcg --timeout 300 --mem "$mb" --initrd "$img" \
		build/osprey.elf --quiet -- /usr/bin/mem_probe "$@" 2>&1 </dev/null |
		grep -a '^mem_probe: '
}

osprey_first() { # PATTERN CMD...: seconds to the first matching line
	local pat=$1 t0 t1
	shift
	t0=$(now)
	t1=$(timeout 300 "$OSPREY" run --tcg -- "$@" 2>&1 </dev/null | first_match "$pat")
	[ -n "$t1" ] && minus "$t1" "$t0" || echo fail
}

linux_first() { # MB PATTERN INITRD
	local t0 t1
	t0=$(now)
	t1=$(linux_run "$1" "$3" | first_match "$2")
	[ -n "$t1" ] && minus "$t1" "$t0" || echo fail
}

printf '%-14s %9s %9s %6s  %9s %9s %6s %9s  %7s %8s %7s %6s\n' program \
	osprey_mb linux_mb ratio osprey_kb linux_kb ratio linux_hwm pack_s osprey_s linux_s ratio
for p in "${programs[@]}"; do
	IFS='|' read -r name pat cmd <<<"$p"
	if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
	read -ra argv <<<"$cmd"
	if [ ! -x "${argv[0]}" ]; then
		echo "$name: not on this host (${argv[0]})"
		continue
	fi
	omb=$(bisect o_check "$pat" "${argv[@]}")
	t0=$(now)
	"$OSPREY" build -o "$tmp/img.cpio" --add "$tmp/mem_probe:/usr/bin/mem_probe" \
		-- "${argv[@]}" >/dev/null 2>&1 || { echo "$name: osprey build failed"; continue; }
	pack=$(minus "$(now)" "$t0")
	rmb=256
	[[ $omb =~ ^[0-9]+$ ]] && [ "$omb" -gt 256 ] && rmb=$omb
	oline=$(osprey_probe "$rmb" "$tmp/img.cpio" "${argv[@]}")
	okb=$(probe_kb used <<<"$oline")
	os=$(osprey_first "$pat" "${argv[@]}")
	lmb=- lkb=- lhwm=- ls=-
	if [ -n "$linux" ]; then
		linux_initrd "$tmp/img.cpio" "$tmp/linux.cpio" "${argv[@]}"
		lmb=$(bisect l_check "$pat" "$tmp/linux.cpio")
		rmb=256
		[[ $lmb =~ ^[0-9]+$ ]] && [ "$lmb" -gt 256 ] && rmb=$lmb
		lline=$(linux_run "$rmb" "$tmp/linux.cpio" | tr -d '\r' | grep -a '^mem_probe: ')
		lkb=$(probe_kb used <<<"$lline") lhwm=$(probe_kb maxrss_kb <<<"$lline")
		ls=$(linux_first "$rmb" "$pat" "$tmp/linux.cpio")
	fi
	printf '%-14s %9s %9s %6s  %9s %9s %6s %9s  %7s %8s %7s %6s\n' "$name" \
		"$omb" "$lmb" "$(ratio "$omb" "$lmb")" "${okb:-fail}" "${lkb:-fail}" \
		"$(ratio "$okb" "$lkb")" "${lhwm:-fail}" "$pack" "$os" "$ls" "$(ratio "$os" "$ls")"
done
echo "mb: smallest -m that runs it (to 1/32); kb: MemTotal-MemFree at its peak" \
	"while the program ran less the same before it (the kernel's view, both guests);" \
	"linux_hwm: the program's peak resident set (ru_maxrss = VmHWM, file pages" \
	"included); s: VM start to its first line (osprey: \`osprey run\`, packing" \
	"included); ratios osprey/linux"
