#!/usr/bin/env bash
# System-call and context-switch costs: the shared ubench program (the
# very same static binary) inside Osprey and inside the Linux guest, on the
# same QEMU, one vCPU, under TCG with -icount shift=0,sleep=off, where the
# guest's clock advances one nanosecond per guest instruction: every figure
# is a deterministic count of guest instructions per operation (DESIGN.md
# section 9). Also the wall time from QEMU start to a dynamic hello-world's
# exit in Osprey, against the Linux guest's boot to exit (bench/boot.sh).
#
#   bench/syscall.sh             # LINUX=0 skips the Linux guest
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=build/bench
SCALE=${UBENCH_SCALE:-0.05}
LINUX=${LINUX:-1}
mkdir -p "$OUT"

gcc -O2 -static -pthread -o "$OUT/ubench" ../shared/bench/linux-guest/src/ubench.c
gcc -O2 -static -o "$OUT/vdso_bench" bench/vdso_bench.c
tests/mkinitrd.sh "$OUT/ubench.cpio" "$OUT/ubench:/bin/ubench" "$OUT/vdso_bench:/bin/vdso_bench"
tools/qemu-run --quiet --icount --timeout 600 --initrd "$OUT/ubench.cpio" \
	build/osprey.elf --quiet -- /bin/ubench "$SCALE" >"$OUT/osprey-ubench.log" 2>&1
tools/qemu-run --quiet --icount --timeout 600 --initrd "$OUT/ubench.cpio" \
	build/osprey.elf --quiet -- /bin/vdso_bench >>"$OUT/osprey-ubench.log" 2>&1

if [ "$LINUX" = 1 ]; then
	rm -rf build/linux-guest/run.sh build/linux-guest/guest build/linux-guest/src
	mkdir -p build/linux-guest
	cp -r ../shared/bench/linux-guest/{run.sh,guest,src} build/linux-guest/
	(cd build/linux-guest && STEPS="deps build extra" EXTRA_BINS="$ROOT/$OUT/ubench $ROOT/$OUT/vdso_bench" \
		EXTRA_ARGS="$SCALE" ICOUNT=1 EXTRA_TIMEOUT=900 \
		RESULTS="$ROOT/$OUT/linux-ubench.txt" ./run.sh) >"$OUT/linux-ubench.log" 2>&1
fi

fig() { # FILE NAME -> instructions per op
	grep -a "UBENCH $2 " "$1" 2>/dev/null |
		awk -v n="$2" '{ for (i = 1; i < NF; i++) if ($i == n) { print $(i + 1); exit } }'
}
printf '%-44s %10s %10s %12s\n' "system calls, icount (guest instructions/op)" osprey linux linux/osprey
for b in syscall_getppid read_1byte_devzero ctxsw_condvar_samecpu ctxsw_futex_samecpu; do
	o=$(fig "$OUT/osprey-ubench.log" "$b")
	l=$(fig "$OUT/linux-ubench.log" "$b")
	r=n/a
	[ -n "$o" ] && [ -n "$l" ] && r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.1fx", l / o }')
	printf '%-44s %10s %10s %12s\n' "$b" "${o:-n/a}" "${l:-n/a}" "$r"
done | tee -a "$OUT/results.txt"

clk() { # FILE "libc"|"syscall" -> ns (instructions) per CLOCK_MONOTONIC call
	grep -a "clock_gettime(CLOCK_MONOTONIC) $2:" "$1" 2>/dev/null | awk '{ print $(NF - 1) }' | head -1
}
for how in libc syscall; do
	o=$(clk "$OUT/osprey-ubench.log" $how)
	l=$(clk "$OUT/linux-ubench.log" $how)
	r=n/a
	[ -n "$o" ] && [ -n "$l" ] && r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.1fx", l / o }')
	printf '%-44s %10s %10s %12s\n' "clock_gettime(MONOTONIC) via $how" "${o:-n/a}" "${l:-n/a}" "$r"
done | tee -a "$OUT/results.txt"

# QEMU start to a dynamic hello-world's exit, Osprey, TCG wall clock.
make -s build/apps/hello-dynamic
tests/mkinitrd.sh "$OUT/hello.cpio" build/apps/hello-dynamic:/bin/hello
times=()
for i in 1 2 3 4 5 6 7 8 9 10; do
	t0=$(date +%s%N)
	tools/qemu-run --quiet --initrd "$OUT/hello.cpio" build/osprey.elf --quiet -- /bin/hello >/dev/null 2>&1
	times+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "dynamic hello-world, QEMU start to exit (TCG, median of 10): ${med} ms" | tee -a "$OUT/results.txt"
