#!/usr/bin/env bash
# Scheduler costs: bench/sched_bench.c (the very same static binary) inside
# Osprey and inside the Linux guest, on the same QEMU with the same flags,
# in the same run. Figures: condvar ping-pong with both threads pinned to
# CPU 0 (ns per switch), pthread_create + pthread_join of an empty thread
# (per pair), condvar ping-pong between CPU 0 and CPU 1 (per hand-over),
# and FUTEX_WAKE-to-running latency from CPU 0 to a sleeper on CPU 1
# (median). Prints one table, figure / osprey / linux / linux/osprey, and
# appends it to build/bench/results.txt; n/a where a guest could not
# measure a figure (its reason is printed under the table).
#
# Method, per figure (DESIGN.md section 9; both guests measured the same
# way, each pass boots each guest once):
#   - Same-CPU figures (ping-pong on CPU 0, create+join on CPU 0): TCG with
#     -icount shift=0,sleep=off and ONE vCPU. The guest clock advances one
#     ns per guest instruction, so these are deterministic counts of guest
#     instructions per operation (identical from run to run), the fair
#     measure of the CPU work in the switch and clone paths. Caveat: with
#     sleep=off, time a guest spends idle until a timer jumps to that
#     timer's deadline and so counts too; these tests always have a thread
#     to run, so idle time there means a wake that waited for a tick.
#     One vCPU because -icount forces single-threaded round-robin TCG, and
#     a 2-vCPU Linux guest under -icount printed nothing in 550 s
#     (../shared/bench/linux-guest/README.md).
#   - Cross-CPU figures: multi-threaded TCG (tcg,thread=multi; one host
#     thread per vCPU, the host has 2 cores), -smp 2, timed by the guest's
#     CLOCK_MONOTONIC, which under TCG follows host time. -icount would be
#     wrong here: its round-robin TCG runs one vCPU at a time, so a wake
#     across CPUs would wait for QEMU's round-robin slice and measure that,
#     not the guest. Wall time under TCG is a distorted clock (emulated code
#     is 10-100x slower, unevenly; an IPI or a wake from HLT is a host
#     thread signal), so read these as ratios, on an otherwise idle host.
#     The same-CPU figures are measured in this pass too, for reference.
#     WALL_RUNS boots of each guest (alternating), the median is shown.
# On a host with hardware virtualization (vmx/svm), the second pass uses
# KVM instead (DESIGN.md's rule; ACCEL=tcg forces TCG); ICOUNT=0 skips the
# first pass.
#
#   bench/sched.sh [KERNEL]     # KERNEL defaults to build/osprey.elf
#
# Knobs (environment): SCALE=1 (sched_bench's argument: ~2 s of guest time
# per figure), WALL_RUNS=3, LINUX=0 (skip the Linux guest), ICOUNT=0,
# ACCEL=auto. Logs: build/bench/{osprey,linux}-sched-{icount,wall}.log.
# The Linux guest is the shared baseline script, copied to build/linux-guest/
# and run there (its kernel and initramfs stay cached in work/ beside it;
# the first run takes minutes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KERNEL=${1:-build/osprey.elf}
OUT=build/bench
SCALE=${SCALE:-1}
LINUX=${LINUX:-1}
ICOUNT=${ICOUNT:-1}
ACCEL=${ACCEL:-auto}
WALL_RUNS=${WALL_RUNS:-3}
mkdir -p "$OUT"
[ -r "$KERNEL" ] || { echo "sched.sh: no kernel $KERNEL (make first)" >&2; exit 1; }

gcc -O2 -static -pthread -o "$OUT/sched_bench" bench/sched_bench.c || exit 1
tests/mkinitrd.sh "$OUT/sched.cpio" "$OUT/sched_bench:/bin/sched_bench" || exit 1

case $ACCEL in
tcg) wall_accel=(--tcg) ;;
kvm) wall_accel=(--kvm) ;;
*) wall_accel=() ;;
esac

run_osprey() { # LOG QEMU-RUN-OPTIONS...: appends one run to LOG
	local log=$1
	shift
	tools/qemu-run --quiet --timeout 600 "$@" --initrd "$OUT/sched.cpio" \
		"$KERNEL" --quiet -- /bin/sched_bench "$SCALE" >>"$log" 2>&1
	echo "qemu-run exit status $?" >>"$log"
}

run_linux() { # LOG ENV-ASSIGNMENTS...: appends one extra step of run.sh
	local log=$1
	shift
	(cd build/linux-guest && env "$@" STEPS="deps build extra" \
		EXTRA_BINS="$ROOT/$OUT/sched_bench" EXTRA_ARGS="$SCALE" \
		EXTRA_TIMEOUT=900 RESULTS="$ROOT/$log.results" ./run.sh) \
		>>"$log" 2>&1
}

for f in {osprey,linux}-sched-{icount,wall}.log; do : >"$OUT/$f"; done
if [ "$LINUX" = 1 ]; then
	rm -rf build/linux-guest/run.sh build/linux-guest/guest build/linux-guest/src
	mkdir -p build/linux-guest
	cp -r ../shared/bench/linux-guest/{run.sh,guest,src} build/linux-guest/
fi
if [ "$ICOUNT" = 1 ]; then
	run_osprey "$OUT/osprey-sched-icount.log" --icount --smp 1
	[ "$LINUX" = 1 ] &&
		run_linux "$OUT/linux-sched-icount.log" ACCEL=tcg ICOUNT=1 EXTRA_SMP=1
fi
for ((i = 0; i < WALL_RUNS; i++)); do
	run_osprey "$OUT/osprey-sched-wall.log" "${wall_accel[@]}" --smp 2
	[ "$LINUX" = 1 ] &&
		run_linux "$OUT/linux-sched-wall.log" ACCEL="$ACCEL" ICOUNT=0 EXTRA_SMP=2
done

line() { # FILE NAME -> the figure's first line, without the guest's prefix
	grep -a "SCHED $2 " "$1" 2>/dev/null | tr -d '\r' | sed 's/.*SCHED /SCHED /' | head -1
}
fig() { # FILE NAME -> ns per op, the median over runs; empty when unavailable
	grep -a "SCHED $2 " "$1" 2>/dev/null | tr -d '\r' | sed 's/.*SCHED /SCHED /' |
		awk '$3 ~ /^[0-9.]+$/ { print $3 }' | sort -g |
		awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
notes=()
row() { # FIGURE PASS LABEL
	local o l r=n/a
	o=$(fig "$OUT/osprey-sched-$2.log" "$1")
	l=$(fig "$OUT/linux-sched-$2.log" "$1")
	[ -n "$o" ] && [ -n "$l" ] && r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", l / o }')
	printf '%-48s %12s %12s %12s\n' "$3" "${o:-n/a}" "${l:-n/a}" "$r"
	[ -n "$o" ] || notes+=("osprey $1 ($2): $(line "$OUT/osprey-sched-$2.log" "$1" | cut -d' ' -f3- | grep . || echo 'no output')")
	[ -n "$l" ] || [ "$LINUX" != 1 ] || notes+=("linux $1 ($2): $(line "$OUT/linux-sched-$2.log" "$1" | cut -d' ' -f3- | grep . || echo 'no output')")
}
table() {
	printf '%-48s %12s %12s %12s\n' "scheduler (SCALE=$SCALE)" osprey linux linux/osprey
	if [ "$ICOUNT" = 1 ]; then
		echo "icount, 1 vCPU: guest instructions per op"
		row condvar_pingpong_samecpu icount "  condvar ping-pong, CPU 0 (per switch)"
		row thread_create_join icount "  pthread_create+join, CPU 0 (per pair)"
	fi
	echo "multi-threaded TCG (or KVM), 2 vCPUs: guest ns per op, median of $WALL_RUNS boots"
	row condvar_pingpong_crosscpu wall "  condvar ping-pong, CPU 0<->1 (per hand-over)"
	row futex_wake_latency_crosscpu wall "  FUTEX_WAKE CPU 0 -> run CPU 1 (median)"
	row condvar_pingpong_samecpu wall "  condvar ping-pong, CPU 0 (per switch)"
	row thread_create_join wall "  pthread_create+join, CPU 0 (per pair)"
	local n
	for n in "${notes[@]}"; do echo "  n/a: $n"; done
}
table | tee -a "$OUT/results.txt"
