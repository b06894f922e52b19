#!/usr/bin/env bash
# Process costs: bench/proc_bench.c (the very same static binary, with
# bench/proc_hello.c as the program it starts and the host's static
# /bin/busybox for the pipeline) inside Osprey and inside the Linux guest,
# on the same QEMU with the same flags, in the same run. Figures:
# fork+_exit+waitpid, vfork+execve+waitpid of a static hello, posix_spawn
# of it + waitpid, and a pipeline of three busybox applets (echo | tr |
# wc, forked and exec'd as a shell does). Prints one table, figure /
# osprey / linux / linux/osprey, and appends it to build/bench/results.txt;
# n/a where a guest could not measure a figure.
#
# Method (as bench/sched.sh; both guests measured the same way, 1 vCPU):
#   - TCG with -icount shift=0,sleep=off: the guest clock advances one ns
#     per guest instruction, so the figures are guest instructions per
#     operation, the fair measure of the work in fork, exec and wait.
#   - Wall time: multi-threaded TCG (KVM where the host has vmx/svm),
#     timed by the guest's CLOCK_MONOTONIC; under TCG read it as a ratio.
#     WALL_RUNS boots of each guest, the median shown.
#
#   bench/proc.sh [KERNEL]     # KERNEL defaults to build/osprey.elf
#
# Knobs (environment): SCALE=1 (~0.3 s of guest time per figure),
# WALL_RUNS=1, LINUX=0 (skip the Linux guest), ICOUNT=0, ACCEL=auto.
# Logs: build/bench/{osprey,linux}-proc-{icount,wall}.log. The Linux guest
# is build/linux-guest/run.sh (STEPS=extra), run from a copy in
# build/bench/linux-guest whose work/ links to the shared one's kernel and
# packages (read only) and holds its own initramfs.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KERNEL=${1:-build/osprey.elf}
OUT=build/bench
SCALE=${SCALE:-1}
LINUX=${LINUX:-1}
ICOUNT=${ICOUNT:-1}
ACCEL=${ACCEL:-auto}
WALL_RUNS=${WALL_RUNS:-1}
mkdir -p "$OUT"
[ -r "$KERNEL" ] || { echo "proc.sh: no kernel $KERNEL (make first)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "proc.sh: no /bin/busybox (tools/deps.sh)" >&2; exit 1; }

gcc -O2 -static -o "$OUT/proc_bench" bench/proc_bench.c || exit 1
gcc -O2 -static -o "$OUT/proc_hello" bench/proc_hello.c || exit 1
tests/mkinitrd.sh "$OUT/proc.cpio" "$OUT/proc_bench:/bin/extra/proc_bench" \
	"$OUT/proc_hello:/bin/extra/proc_hello" /bin/busybox:/bin/busybox || exit 1

case $ACCEL in
tcg) wall_accel=(--tcg) ;;
kvm) wall_accel=(--kvm) ;;
*) wall_accel=() ;;
esac

run_osprey() { # LOG QEMU-RUN-OPTIONS...: appends one run to LOG
	local log=$1
	shift
	tools/qemu-run --quiet --timeout 600 "$@" --initrd "$OUT/proc.cpio" \
		"$KERNEL" --quiet -- /bin/extra/proc_bench "$SCALE" >>"$log" 2>&1
	echo "qemu-run exit status $?" >>"$log"
}

LG=$OUT/linux-guest
lg_setup() { # a private copy of the Linux guest's script over its cache
	local shared=$ROOT/build/linux-guest f
	[ -x "$shared/run.sh" ] && [ -s "$shared/work/vmlinux" ] || return 1
	rm -rf "$LG" && mkdir -p "$LG/work"
	cp -rL "$shared/run.sh" "$shared/guest" "$shared/src" "$LG/" || return 1
	chmod -R u+w "$LG"
	for f in debs kernel kernel-package vmlinux; do
		ln -s "$shared/work/$f" "$LG/work/$f"
	done
}

run_linux() { # LOG ENV-ASSIGNMENTS...: appends one extra step of run.sh
	local log=$1
	shift
	(cd "$LG" && env "$@" STEPS="deps build extra" \
		EXTRA_BINS="$ROOT/$OUT/proc_bench $ROOT/$OUT/proc_hello" \
		EXTRA_ARGS="$SCALE" EXTRA_TIMEOUT=900 \
		RESULTS="$ROOT/$log.results" ./run.sh) >>"$log" 2>&1
}

for f in {osprey,linux}-proc-{icount,wall}.log; do : >"$OUT/$f"; done
if [ "$LINUX" = 1 ] && ! lg_setup; then
	echo "proc.sh: no Linux guest in build/linux-guest (bench/sched.sh makes it)" >&2
	LINUX=0
fi
if [ "$ICOUNT" = 1 ]; then
	run_osprey "$OUT/osprey-proc-icount.log" --icount --smp 1
	[ "$LINUX" = 1 ] &&
		run_linux "$OUT/linux-proc-icount.log" ACCEL=tcg ICOUNT=1 EXTRA_SMP=1
fi
for ((i = 0; i < WALL_RUNS; i++)); do
	run_osprey "$OUT/osprey-proc-wall.log" "${wall_accel[@]}" --smp 1
	[ "$LINUX" = 1 ] &&
		run_linux "$OUT/linux-proc-wall.log" ACCEL="$ACCEL" ICOUNT=0 EXTRA_SMP=1
done

fig() { # FILE NAME -> ns per op, the median over runs; empty when unavailable
	grep -a "PROC $2 " "$1" 2>/dev/null | tr -d '\r' | sed 's/.*PROC /PROC /' |
		awk '$3 ~ /^[0-9.]+$/ { print $3 }' | sort -g |
		awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
notes=()
row() { # FIGURE PASS LABEL
	local o l r=n/a
	o=$(fig "$OUT/osprey-proc-$2.log" "$1")
	l=$(fig "$OUT/linux-proc-$2.log" "$1")
	[ -n "$o" ] && [ -n "$l" ] && r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", l / o }')
	printf '%-48s %12s %12s %12s\n' "$3" "${o:-n/a}" "${l:-n/a}" "$r"
	[ -n "$o" ] || notes+=("osprey $1 ($2): $(grep -a "PROC $1 " "$OUT/osprey-proc-$2.log" | head -1 | cut -d' ' -f3- | grep . || echo 'no output')")
	[ -n "$l" ] || [ "$LINUX" != 1 ] || notes+=("linux $1 ($2): $(grep -a "PROC $1 " "$OUT/linux-proc-$2.log" | head -1 | cut -d' ' -f3- | grep . || echo 'no output')")
}
rows() { # PASS
	row fork_exit_wait "$1" "  fork+_exit+waitpid"
	row vfork_exec_wait "$1" "  vfork+execve(static hello)+waitpid"
	row posix_spawn_wait "$1" "  posix_spawn(static hello)+waitpid"
	row pipeline_3_busybox "$1" "  busybox echo | tr | wc (fork+exec each)"
}
table() {
	printf '%-48s %12s %12s %12s\n' "processes (SCALE=$SCALE)" osprey linux linux/osprey
	if [ "$ICOUNT" = 1 ]; then
		echo "icount, 1 vCPU: guest instructions per op"
		rows icount
	fi
	echo "multi-threaded TCG (or KVM), 1 vCPU: guest ns per op, median of $WALL_RUNS boots"
	rows wall
	local n
	for n in "${notes[@]}"; do echo "  n/a: $n"; done
}
table | tee -a "$OUT/results.txt"
