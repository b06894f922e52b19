#!/usr/bin/env bash
# Boot-time benchmark: Osprey against the Linux guest, under -M microvm, on
# the same QEMU with the same accelerator, in the same run (DESIGN.md
# section 8). Prints medians of
#   - the whole process: QEMU start to QEMU exit, wall clock;
#   - QEMU start to the guest's ready line on the serial console;
#   - the guest's boot cost in TSC ticks, kernel entry to ready (under
#     ICOUNT=1 the TSC advances one tick per guest instruction, so this is
#     an instruction count, deterministic and comparable; idle time that
#     sleep=off skips to the next timer counts too);
# for both guests side by side with the ratio linux/osprey, and appends the
# table to build/bench/results.txt.
#
#   bench/boot.sh [KERNEL]          # KERNEL defaults to build/osprey.elf
#
# Knobs (environment):
#   RUNS=20       boots per figure
#   ICOUNT=1      TCG with -icount shift=0,sleep=off (both guests)
#   LINUX=0       skip the Linux guest
#   APP_ROOTS=0   skip hello-static from an initramfs root vs an ext4 root
#   ACCEL=auto    auto|kvm|tcg; auto is DESIGN.md section 9's rule
#   LINUX_TSC=1   also boot the Linux guest with bench/linux-ready.c as /init
#                 for its TSC figure (0: the TSC row shows n/a)
#   PROBE_RUNS=5  boots of bench/pvh-probe.S (the firmware's share of the TSC)
#   LINUX_GUEST_SRC=../shared/bench/linux-guest  the Linux-guest baseline
#
# The Linux guest is the shared baseline script (run.sh), never edited here:
# its directory is read-only, so it is copied to build/linux-guest/ and run
# there; its downloads and builds stay in build/linux-guest/work/ between
# runs (the first run takes minutes: apt-get, kernel package, initramfs).
# Its boot step boots microvm and q35, bzImage and PVH, RUNS times each; we
# take its microvm/vmlinux-pvh line (the way Osprey boots). Its /init
# prints no TSC, so Linux's TSC figure comes from extra boots of the same
# kernel on the same command line with bench/linux-ready.c as /init, less
# the firmware's share measured with bench/pvh-probe.S (linux_tsc_figure).
#
# Every QEMU run is bounded (60 s, killed after); runs run one at a time;
# failed runs are counted and shown (ok=19/20), never dropped silently.
# Exit status: 0 when at least one Osprey boot succeeded, 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNEL=${1:-$ROOT/build/osprey.elf}
case $KERNEL in /*) ;; *) KERNEL=$PWD/$KERNEL ;; esac
KERNEL=${KERNEL#"$ROOT"/} # relative to the repository when inside it
cd "$ROOT" || exit 1
RUNS=${RUNS:-20}
ICOUNT=${ICOUNT:-0}
LINUX=${LINUX:-1}
ACCEL=${ACCEL:-auto}
LINUX_TSC=${LINUX_TSC:-1}
PROBE_RUNS=${PROBE_RUNS:-5}
LINUX_GUEST_SRC=${LINUX_GUEST_SRC:-$ROOT/../shared/bench/linux-guest}
QEMU_TIMEOUT=60 # seconds, per QEMU run
OUT=build/bench
LOGS=$OUT/logs
LG=build/linux-guest # where the Linux-guest script is copied and runs
RESULTS=$OUT/results.txt

die() { echo "bench/boot.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer" ;; esac
case $PROBE_RUNS in '' | *[!0-9]* | 0) die "PROBE_RUNS must be a positive integer" ;; esac
[ -r "$KERNEL" ] || die "cannot read kernel $KERNEL (build it with make)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (make deps)"
mkdir -p "$LOGS"

# ------------------------------------------------------------ accelerator ----
# DESIGN.md section 9: KVM only when /dev/kvm is usable and the CPU has vmx
# or svm (a /dev/kvm without them is kvm_pvm, which emulates guest ring 0);
# otherwise TCG. ICOUNT=1 needs TCG.
hw_virt() { [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; }
case $ACCEL in
auto)
	if [ "$ICOUNT" = 1 ]; then
		accel=tcg why="ICOUNT=1 (-icount needs TCG)"
	elif hw_virt; then
		accel=kvm why="/dev/kvm is usable and the CPU has vmx/svm"
	elif [ -e /dev/kvm ]; then
		accel=tcg why="/dev/kvm is there but the CPU has no vmx/svm: not hardware virtualization"
	else
		accel=tcg why="no /dev/kvm"
	fi ;;
kvm)
	hw_virt || die "ACCEL=kvm: no usable /dev/kvm with vmx/svm"
	[ "$ICOUNT" = 1 ] && die "ACCEL=kvm and ICOUNT=1 do not go together"
	accel=kvm why="ACCEL=kvm" ;;
tcg) accel=tcg why="ACCEL=tcg" ;;
*) die "ACCEL must be auto, kvm or tcg" ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-enable-kvm -cpu host) label=KVM
elif [ "$ICOUNT" = 1 ]; then
	accel_args=(-accel tcg -icount shift=0,sleep=off -cpu max) label="TCG icount"
else
	accel_args=(-accel tcg -cpu max) label=TCG
fi
note "accelerator: $label ($why)"

# ---------------------------------------------------------------- helpers ----
median() { # numbers on stdin, one a line -> their median, or n/a
	sort -g | awk '{a[NR] = $1}
		END {if (NR == 0) print "n/a"
		     else if (NR % 2) print a[(NR + 1) / 2]
		     else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
field() { grep -ao "\<$1=[^ ]*" | cut -d= -f2; } # field NAME <lines: each line's NAME=
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
ratio() { # ratio LINUX OSPREY -> "12.3x" or ""
	is_num "$1" && is_num "$2" || return 0
	awk -v l="$1" -v o="$2" 'BEGIN {
		if (o <= 0) exit
		r = l / o
		printf(r >= 10 ? "%.1fx" : "%.2fx", r) }'
}
diff_ms() { is_num "$1" && is_num "$2" && awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f ms", a - b}'; }
fmt_ms() { is_num "$1" && printf "%.1f" "$1" || echo "${1:-n/a}"; }
fmt_int() { is_num "$1" && printf "%.0f" "$1" || echo "${1:-n/a}"; }

# qemutime (from the Linux-guest baseline) times QEMU to a console marker
# and to its exit, and kills it after a timeout.
QEMUTIME=$OUT/qemutime
[ -r "$LINUX_GUEST_SRC/src/qemutime.c" ] ||
	die "cannot find $LINUX_GUEST_SRC/src/qemutime.c (set LINUX_GUEST_SRC)"
if [ ! -x "$QEMUTIME" ] || [ "$LINUX_GUEST_SRC/src/qemutime.c" -nt "$QEMUTIME" ]; then
	gcc -O2 -Wall -Wextra -o "$QEMUTIME" "$LINUX_GUEST_SRC/src/qemutime.c" ||
		die "cannot build qemutime"
fi

timed() { # timed MARKER LOG CMD... -> qemutime's line
	local marker=$1 log=$2
	shift 2
	# qemutime kills QEMU after QEMU_TIMEOUT; timeout is the backstop.
	QT_FAIL='KVM internal error' timeout -k 5 $((QEMU_TIMEOUT + 15)) \
		"$QEMUTIME" "$marker" "$QEMU_TIMEOUT" "$log" -- "$@" ||
		true
}

# Boots of the Linux guest with bench/linux-ready.c as /init, and of
# bench/pvh-probe.S, both on run.sh's own QEMU command line (its qemu_cmd,
# read from the script, so the flags cannot drift). Sets l_tsc and notes.
linux_tsc_figure() {
	local vmlinux=$1 rd=$OUT/linux-ready-root cpio=$OUT/linux-ready.cpio
	local probe=$OUT/pvh-probe.elf f=$OUT/linux-tsc-runs.txt pf=$OUT/probe-runs.txt
	if [ "$(id -u)" != 0 ]; then
		l_notes+=("linux TSC: n/a, making /dev/console in the initramfs needs root")
		return
	fi
	gcc -O2 -Wall -Wextra -static -nostdlib -fno-pie -no-pie -fno-stack-protector \
		-mgeneral-regs-only -o "$OUT/linux-ready" bench/linux-ready.c &&
		gcc -c bench/pvh-probe.S -o "$OUT/pvh-probe.o" &&
		ld -T bench/pvh-probe.ld --no-warn-rwx-segments -z noexecstack \
			-o "$probe" "$OUT/pvh-probe.o" ||
		{ l_notes+=("linux TSC: n/a, building bench/linux-ready.c or bench/pvh-probe.S failed"); return; }
	rm -rf "$rd" && mkdir -p "$rd/dev"
	cp "$OUT/linux-ready" "$rd/init"
	mknod -m 600 "$rd/dev/console" c 5 1
	(cd "$rd" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$cpio"

	local BASE_APPEND ACCEL_USED=$accel
	eval "$(grep -a '^BASE_APPEND=' "$LG/run.sh")"
	eval "$(sed -n '/^qemu_cmd() {$/,/^}$/p' "$LG/run.sh")"
	if [ -z "$BASE_APPEND" ] || ! declare -F qemu_cmd >/dev/null; then
		l_notes+=("linux TSC: n/a, run.sh has no BASE_APPEND or qemu_cmd any more")
		return
	fi
	local lcmd pcmd i line st tsc ok=0 pok=0
	lcmd=$(qemu_cmd microvm "$vmlinux" "$cpio" "" 1)
	pcmd=$(qemu_cmd microvm "$probe" "$cpio" "" 1 -device isa-debug-exit,iobase=0xf4,iosize=4)
	note "linux guest: $RUNS boots with bench/linux-ready.c as /init, $PROBE_RUNS of bench/pvh-probe.S"
	: >"$f"
	for ((i = 1; i <= RUNS; i++)); do
		line=$(eval "timed linux-ready $LOGS/linux-ready-$i.log $lcmd")
		st=$(field status <<<"$line")
		tsc=$(grep -ao 'linux-ready tsc=[0-9]*' "$LOGS/linux-ready-$i.log" 2>/dev/null | head -1 | cut -d= -f2)
		# The forced reboot ends QEMU (-no-reboot) with status 0.
		if [ "$st" = 0 ] && [ -n "$tsc" ]; then
			ok=$((ok + 1))
			echo "$line tsc=$tsc ok" >>"$f"
		else
			echo "$line tsc=${tsc:-none} FAILED" >>"$f"
			note "linux-ready run $i failed: $line; see $LOGS/linux-ready-$i.log"
		fi
	done
	: >"$pf"
	for ((i = 1; i <= PROBE_RUNS; i++)); do
		line=$(eval "timed pvh-entry $LOGS/probe-$i.log $pcmd")
		st=$(field status <<<"$line")
		tsc=$(grep -ao 'pvh-entry tsc=[0-9]*' "$LOGS/probe-$i.log" 2>/dev/null | head -1 | cut -d= -f2)
		if [ "$st" = 1 ] && [ -n "$tsc" ]; then
			pok=$((pok + 1))
			echo "$line tsc=$tsc ok" >>"$pf"
		else
			echo "$line tsc=${tsc:-none} FAILED" >>"$pf"
			note "pvh-probe run $i failed: $line; see $LOGS/probe-$i.log"
		fi
	done
	local init_tsc fw_tsc
	init_tsc=$(grep ' ok$' "$f" | field tsc | median)
	fw_tsc=$(grep ' ok$' "$pf" | field tsc | median)
	if is_num "$init_tsc" && is_num "$fw_tsc"; then
		l_tsc=$(awk -v a="$init_tsc" -v b="$fw_tsc" 'BEGIN {printf "%.0f", a - b}')
	fi
	l_notes+=("linux TSC: its /init (bench/linux-ready.c) reads tsc=$(fmt_int "$init_tsc") from the VM's start (ok=$ok/$RUNS), less the firmware's $(fmt_int "$fw_tsc") to PVH entry (bench/pvh-probe.S, ok=$pok/$PROBE_RUNS)")
	l_notes+=("linux with that /init: to marker $(fmt_ms "$(grep ' ok$' "$f" | field marker_ms | median)") ms, whole process $(fmt_ms "$(grep ' ok$' "$f" | field exit_ms | median)") ms")
}

# ----------------------------------------------------------------- osprey ----
# isa-debug-exit makes QEMU exit with (status << 1) | 1: the kernel exits
# with 0 after the bootchart, so QEMU's 1 is success.
osprey_runs=$OUT/osprey-runs.txt
: >"$osprey_runs"
note "osprey: $RUNS boots of $KERNEL"
o_ok=0
for ((i = 1; i <= RUNS; i++)); do
	log=$LOGS/osprey-$i.log
	line=$(timed osprey-ready "$log" qemu-system-x86_64 -M microvm "${accel_args[@]}" \
		-m 128 -nographic -nodefaults -serial stdio -no-reboot \
		-kernel "$KERNEL" -append "--bootchart" \
		-device isa-debug-exit,iobase=0xf4,iosize=4)
	st=$(field status <<<"$line")
	tsc=$(grep -ao 'osprey-ready tsc=[0-9]*' "$log" 2>/dev/null | head -1 | cut -d= -f2)
	if [ "$st" = 1 ] && [ -n "$tsc" ]; then
		o_ok=$((o_ok + 1))
		echo "$line tsc=$tsc ok" >>"$osprey_runs"
	else
		echo "$line tsc=${tsc:-none} FAILED (want QEMU status 1 and an osprey-ready line; see $log)" >>"$osprey_runs"
		note "osprey run $i failed: ${line:-no output from qemutime}; see $log"
	fi
done
o_exit=$(grep ' ok$' "$osprey_runs" | field exit_ms | median)
o_marker=$(grep ' ok$' "$osprey_runs" | field marker_ms | median)
o_tsc=$(grep ' ok$' "$osprey_runs" | field tsc | median)

# ------------------------------------------- osprey: initramfs vs ext4 root ----
# The same program (build/apps/hello-static) to its first instruction
# ("osprey-app tsc=", printed with --bootchart), from an initramfs root
# (`osprey build`) and from an ext4 root (`osprey build --format ext4`,
# the image as virtio-blk /dev/vda, --mount=vda:/), RUNS boots each, on
# the same QEMU command line otherwise. APP_ROOTS=0 skips it.
root_runs() { # root_runs NAME QEMU-ARGS... -> medians "exit marker tsc ok"
	local name=$1 f=$OUT/osprey-$1-runs.txt i line st tsc ok=0
	shift
	: >"$f"
	for ((i = 1; i <= RUNS; i++)); do
		local log=$LOGS/osprey-$name-$i.log
		line=$(timed osprey-app "$log" qemu-system-x86_64 -M microvm "${accel_args[@]}" \
			-m 128 -nographic -nodefaults -serial stdio -no-reboot \
			-kernel "$KERNEL" -device isa-debug-exit,iobase=0xf4,iosize=4 "$@")
		st=$(field status <<<"$line")
		tsc=$(grep -ao 'osprey-app tsc=[0-9]*' "$log" 2>/dev/null | head -1 | cut -d= -f2)
		if [ "$st" = 1 ] && [ -n "$tsc" ]; then
			ok=$((ok + 1))
			echo "$line tsc=$tsc ok" >>"$f"
		else
			echo "$line tsc=${tsc:-none} FAILED (see $log)" >>"$f"
			note "osprey $name run $i failed: ${line:-no output}; see $log"
		fi
	done
	echo "$(grep ' ok$' "$f" | field exit_ms | median) $(grep ' ok$' "$f" | field marker_ms | median) $(grep ' ok$' "$f" | field tsc | median) $ok/$RUNS"
}
r_cpio="n/a n/a n/a -" r_ext4="n/a n/a n/a -"
if [ "${APP_ROOTS:-1}" != 0 ]; then
	app=$ROOT/build/apps/hello-static
	if [ -x build/osprey ] && [ -x "$app" ] &&
		build/osprey build -o "$OUT/hello.cpio" "$app" >"$LOGS/roots-build.log" 2>&1 &&
		build/osprey build --format ext4 -o "$OUT/hello.ext4" "$app" >>"$LOGS/roots-build.log" 2>&1; then
		note "osprey: $RUNS boots each of hello-static from an initramfs root and an ext4 root"
		r_cpio=$(root_runs cpio-root -initrd "$OUT/hello.cpio" \
			-append "--bootchart --quiet -- $app")
		r_ext4=$(root_runs ext4-root \
			-drive "file=$OUT/hello.ext4,if=none,id=d0,format=raw,cache=writeback" \
			-device virtio-blk-device,drive=d0 -global virtio-mmio.force-legacy=false \
			-append "--bootchart --quiet --mount=vda:/ -- $app")
	else
		note "osprey: no initramfs/ext4 root rows (make cli apps; see $LOGS/roots-build.log)"
	fi
fi

# ------------------------------------------------------------------ linux ----
l_exit=n/a l_marker=n/a l_tsc=n/a l_ok="-" l_notes=()
if [ "$LINUX" != 0 ]; then
	if [ ! -r "$LINUX_GUEST_SRC/run.sh" ]; then
		l_notes+=("linux: skipped, no $LINUX_GUEST_SRC/run.sh (set LINUX_GUEST_SRC)")
	else
		# A fresh copy of the script each time; work/ (downloads, builds)
		# stays.
		mkdir -p "$LG"
		rm -rf "$LG/run.sh" "$LG/guest" "$LG/src"
		cp -r "$LINUX_GUEST_SRC/run.sh" "$LINUX_GUEST_SRC/guest" "$LINUX_GUEST_SRC/src" "$LG/"
		chmod -R u+w "$LG/run.sh" "$LG/guest" "$LG/src"
		lres=$ROOT/$OUT/linux-guest-results.txt
		rm -f "$lres"
		note "linux guest: run.sh boot step, $RUNS boots each of microvm/q35 x bzImage/PVH (log: $LOGS/linux-guest.log)"
		# Bounded: 4 configurations x RUNS boots, each bounded by run.sh
		# at 60 s, plus the deps and build steps.
		timeout -k 10 $((4 * RUNS * 70 + 2400)) env STEPS="deps boot" BOOT_RUNS="$RUNS" \
			ACCEL="$accel" ICOUNT="$ICOUNT" RESULTS="$lres" "$LG/run.sh" \
			>"$LOGS/linux-guest.log" 2>&1
		lrc=$?
		lline=$(grep -a '^boot  microvm/vmlinux-pvh ' "$lres" 2>/dev/null | head -1)
		if [ -n "$lline" ]; then
			l_marker=$(field marker_ms <<<"$lline")
			l_exit=$(field exit_ms <<<"$lline")
			l_ok=$(field ok <<<"$lline")
			l_notes+=("linux: $(grep -a '^kernel=' "$lres" | cut -d' ' -f1 | cut -d= -f2) (Debian) by PVH, busybox initramfs, run.sh's microvm/vmlinux-pvh; ready = LINUX-GUEST-BOOT-OK from its /init")
		else
			l_notes+=("linux: run.sh failed (exit $lrc), no microvm/vmlinux-pvh line; see $LOGS/linux-guest.log")
		fi
		# The baseline's /init is a busybox script that prints no TSC,
		# and its kernel (quiet) prints nothing that anchors one. So the
		# Linux TSC figure comes from extra boots of the same kernel with
		# the same QEMU command line (run.sh's own qemu_cmd), whose /init
		# is bench/linux-ready.c: it reads the TSC at its first
		# instruction. The guest's TSC counts from the VM's start, so the
		# firmware's share is taken off: bench/pvh-probe.S, booted with
		# that same command line, reads the TSC at its PVH entry.
		if [ "$LINUX_TSC" = 0 ]; then
			l_notes+=("linux TSC: n/a (LINUX_TSC=0): the baseline's busybox /init prints no TSC")
		elif [ -s "$LG/work/vmlinux" ]; then
			linux_tsc_figure "$LG/work/vmlinux"
		else
			l_notes+=("linux TSC: n/a, no $LG/work/vmlinux")
		fi
	fi
fi

# ------------------------------------------------------------------ table ----
row() { printf "%-55s %12s %12s %14s\n" "$@"; }
table() {
	row "boot benchmark (microvm, $label, $RUNS runs, medians)" osprey linux linux/osprey
	row "whole process (QEMU start to exit), ms" "$(fmt_ms "$o_exit")" "$(fmt_ms "$l_exit")" \
		"$(ratio "$l_exit" "$o_exit")"
	row "to ready marker, ms" "$(fmt_ms "$o_marker")" "$(fmt_ms "$l_marker")" \
		"$(ratio "$l_marker" "$o_marker")"
	row "guest boot cost, TSC ticks (instructions under icount)" "$(fmt_int "$o_tsc")" \
		"$(fmt_int "$l_tsc")" "$(ratio "$l_tsc" "$o_tsc")"
	row "runs ok" "$o_ok/$RUNS" "$l_ok" ""
	local c=($r_cpio) e=($r_ext4)
	row "hello-static to its first instruction (osprey-app)" "initramfs" "ext4 root" "ext4-initramfs"
	row "  whole process, ms" "$(fmt_ms "${c[0]}")" "$(fmt_ms "${e[0]}")" "$(diff_ms "${e[0]}" "${c[0]}")"
	row "  to first instruction (console), ms" "$(fmt_ms "${c[1]}")" "$(fmt_ms "${e[1]}")" "$(diff_ms "${e[1]}" "${c[1]}")"
	row "  to first instruction, TSC ticks" "$(fmt_int "${c[2]}")" "$(fmt_int "${e[2]}")" ""
	row "  runs ok" "${c[3]}" "${e[3]}" ""
	echo "  accelerator: $label: ${accel_args[*]} ($why)"
	[ "$ICOUNT" = 1 ] && [ "$accel" = tcg ] &&
		echo "  icount: the TSC counts guest instructions, plus any idle time (hlt) that sleep=off skips to the next timer"
	echo "  qemu: $(qemu-system-x86_64 --version | head -1), host cpus: $(nproc)"
	echo "  osprey: $KERNEL ($(stat -c %s "$KERNEL") B); ready = \"osprey-ready\" (end of the bootchart)," \
		"TSC from kernel entry"
	local n
	for n in "${l_notes[@]}"; do echo "  $n"; done
	[ "$LINUX" = 0 ] && echo "  linux: skipped (LINUX=0)"
	echo "  per-run figures: $OUT/*-runs.txt, $OUT/linux-guest-results.txt; logs: $LOGS/"
}
out=$(table)
echo "$out"
{
	echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC') bench/boot.sh $KERNEL" \
		"(git $(git rev-parse --short HEAD 2>/dev/null || echo none))"
	echo "$out"
	echo
} >>"$RESULTS"
note "appended to $RESULTS"
[ "$o_ok" -gt 0 ]
