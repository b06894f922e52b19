#!/usr/bin/env bash
# UDP request/response over a TAP device: Osprey against the Linux guest
# (../shared/bench/linux-guest: Debian's kernel, PVH), the same QEMU, the
# same accelerator, the same namespace and TAP (tests/net/lib.sh), in one
# run. The guest runs bench/udp_bench_srv.c (the very same static binary
# in both), an echo server; the host runs bench/udp_rr.c:
#
#   round trip   one 64-byte datagram at a time, RR_COUNT of them: the
#                average, median and 99th percentile in microseconds
#   echoes/s     PPS_WINDOW 64-byte datagrams in flight for PPS_SECONDS
#   instr/echo   the same flood under TCG with -icount shift=0,sleep=off,
#                where the guest's clock counts its instructions, and the
#                server polls its socket without ever waiting (`busy`):
#                an idle vCPU would make sleep=off jump the clock to the
#                next timer (measured so, one Linux guest gave 20k to 8.9M
#                "instructions" per echo). The server's time from the
#                first echo to the last, less its empty polls (each
#                costed before the traffic), over the number of echoes is
#                the guest's instructions per datagram received and sent
#                back, everything included (driver, stack, system calls,
#                interrupts). It depends on how the datagrams batch: for
#                the Linux guest, 8k (1 in flight) to 14k (8 in flight).
#                (A figure per echo of the wall-clock pass is no such
#                count: that server waits, and its idle time is in it.)
#
# Wall-clock figures under TCG are emulated time (DESIGN.md section 9):
# compare them as ratios, on an otherwise idle host. On a host with
# vmx/svm qemu-run picks KVM for both guests.
#
#   bench/net.sh [KERNEL]     # needs root (a network namespace)
#
# Knobs: LINUX=0 (skip the Linux guest), ICOUNT=0 (skip the icount pass),
# MACHINES ("microvm"; also q35), RR_COUNT (2000), PPS_SECONDS (5),
# PPS_WINDOW (16), PPS_TRIES (3).
#
# The floods (echoes/s, instr/echo) run on a boot of their own with the
# device's tx=timer, in both guests: under TCG with QEMU 7.2, virtio-net's
# default transmit path (tx=bh) stops for good during a flood, whichever
# the guest (the Linux guest's counters freeze; Osprey's transmit ring
# stays full, the device never takes another descriptor), and never with
# tx=timer. The round trips run on the default device: tx=timer adds ~190
# us to each. A flood that stops a guest's network anyway is tried again
# on a fresh boot, and the table says so. Table appended to build/bench/results.txt; logs in
# build/bench/net-*.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KERNEL=${1:-build/osprey.elf}
OUT=build/bench
LINUX=${LINUX:-1}
ICOUNT=${ICOUNT:-1}
MACHINES=${MACHINES:-microvm}
RR_COUNT=${RR_COUNT:-2000}
PPS_SECONDS=${PPS_SECONDS:-5}
PPS_WINDOW=${PPS_WINDOW:-16}
PPS_TRIES=${PPS_TRIES:-3}
PORT=9000
NS=osprey-bench-$$
mkdir -p "$OUT"
source tests/net/lib.sh
GUEST_IP=198.18.0.2

if [ "$(id -u)" != 0 ]; then
	echo "net.sh: needs root for a network namespace; skipped" >&2
	exit 0
fi
gcc -O2 -Wall -static -o "$OUT/udp_bench_srv" bench/udp_bench_srv.c || exit 1
gcc -O2 -Wall -o "$OUT/udp_rr" bench/udp_rr.c || exit 1
tests/mkinitrd.sh "$OUT/net-osprey.cpio" "$OUT/udp_bench_srv:/bin/udp_bench_srv" || exit 1
if [ "$LINUX" = 1 ]; then
	if [ ! -r build/linux-guest/work/vmlinux ]; then
		rm -rf build/linux-guest/run.sh build/linux-guest/guest build/linux-guest/src
		mkdir -p build/linux-guest
		cp -r ../shared/bench/linux-guest/{run.sh,guest,src} build/linux-guest/
		(cd build/linux-guest && STEPS=deps ./run.sh) >"$OUT/net-linux-build.log" 2>&1
	fi
	GUEST=linux linux_image "$OUT/net-linux.cpio" "$OUT/udp_bench_srv:/bin/udp_bench_srv" \
		>"$OUT/net-linux-image.log" 2>&1 || LINUX=0
fi

trap ns_down EXIT
ns_up || { echo "net.sh: cannot make namespace $NS" >&2; exit 1; }
declare -A R STOPPED TRIED # R[guest,machine,figure]

# boot GUEST MACHINE PASS LOG: the echo server up and answering (0), or 1.
boot() {
	local g=$1 m=$2 pass=$3 log=$4 opts=()
	local args=(--ip=$GUEST_IP/24,$HOST_IP -- /bin/udp_bench_srv $PORT)
	[ "$pass" = icount ] && opts=(--icount) args+=(busy)
	[ "$pass" != wall ] && opts+=(--net-arg tx=timer) # see the top
	[ "$g" = osprey ] && args=(--quiet "${args[@]}")
	GUEST=$g LINUX_ICOUNT=$([ "$pass" = icount ] && echo 1 || echo 0)
	GUEST_LOG=$log
	QEMU_RUN_EXTRA="${opts[*]}" guest_start "$log" "$m" 1 "tap:$TAP" \
		"$OUT/net-$g.cpio" 600 "${args[@]}"
	guest_wait "$log" "udp_bench_srv: ready on $PORT" 180 &&
		$NX "$OUT/udp_rr" $GUEST_IP $PORT wait 30
}

# measure GUEST MACHINE PASS(wall|icount): one boot, one set of figures;
# another boot (PPS_TRIES in all) when the flood stopped the guest's
# network (seen with the Linux guest under TCG: its echoes and all its
# traffic stop for good, counted in STOPPED[GUEST,MACHINE]).
measure() {
	local g=$1 m=$2 pass=$3 log=$OUT/net-$1-$2-$3.log rr_out pps_out try
	if ! boot "$g" "$m" "$pass" "$log"; then
		echo "net.sh: $g on $m ($pass) did not answer; see $log" >&2
		guest_end 1
		GUEST=osprey
		return
	fi
	if [ "$pass" = wall ]; then
		rr_out=$($NX timeout 300 "$OUT/udp_rr" $GUEST_IP $PORT rr "$RR_COUNT" 64)
		echo "$rr_out" >>"$log.client"
		R[$g,$m,avg]=$(echo "$rr_out" | grep -o 'avg_us=[0-9.]*' | cut -d= -f2)
		R[$g,$m,p50]=$(echo "$rr_out" | grep -o 'p50_us=[0-9.]*' | cut -d= -f2)
		R[$g,$m,p99]=$(echo "$rr_out" | grep -o 'p99_us=[0-9.]*' | cut -d= -f2)
		$NX "$OUT/udp_rr" $GUEST_IP $PORT quit >/dev/null
		guest_end 30
		GUEST=osprey
		return
	fi
	for ((try = 1; try <= PPS_TRIES; try++)); do
		pps_out=$($NX timeout $((PPS_SECONDS + 60)) "$OUT/udp_rr" $GUEST_IP $PORT \
			pps "$PPS_SECONDS" "$PPS_WINDOW" 64)
		echo "$pps_out" >>"$log.client"
		# The server's REPORT came back: the guest lived through it.
		# (Counted over both floods, wall-clock and icount.)
		TRIED[$g,$m]=$((${TRIED[$g,$m]:-0} + 1))
		[[ "$pps_out" == *guest_packets=[1-9]* ]] && break
		STOPPED[$g,$m]=$((${STOPPED[$g,$m]:-0} + 1))
		pps_out=""
		guest_end 1
		[ "$try" -lt "$PPS_TRIES" ] && ! boot "$g" "$m" "$pass" "$log.$try" && break
	done
	if [ -z "$pps_out" ]; then
		:
	elif [ "$pass" = flood ]; then
		R[$g,$m,pps]=$(echo "$pps_out" | grep -o ' pps=[0-9]*' | cut -d= -f2)
	else
		R[$g,$m,instr]=$(echo "$pps_out" | grep -o 'guest_ns_per_packet=[0-9]*' | cut -d= -f2)
	fi
	$NX "$OUT/udp_rr" $GUEST_IP $PORT quit >/dev/null
	guest_end 30
	GUEST=osprey
}

for m in $MACHINES; do
	for pass in wall flood $([ "$ICOUNT" = 1 ] && echo icount); do
		measure osprey "$m" "$pass"
		[ "$LINUX" = 1 ] && measure linux "$m" "$pass"
	done
done

# row LABEL KEY BETTER(low|high): osprey, linux, and how many times
# better Osprey is (linux/osprey for times, osprey/linux for rates).
row() {
	local o=${R[osprey,$m,$2]:-} l=${R[linux,$m,$2]:-} r=n/a
	if [ -n "$o" ] && [ -n "$l" ] && [ "$o" != 0 ] && [ "$l" != 0 ]; then
		if [ "$3" = low ]; then r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", l / o }')
		else r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", o / l }'); fi
	fi
	printf '%-46s %10s %10s %10s\n' "$1" "${o:-n/a}" "${l:-n/a}" "$r"
}
accel=tcg
[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && accel=kvm
for m in $MACHINES; do
	printf '%-46s %10s %10s %10s\n' "UDP echo over TAP, $m, 1 vCPU, $accel" osprey linux "osprey x"
	row "round trip 64 B, average (us)" avg low
	row "round trip 64 B, median (us)" p50 low
	row "round trip 64 B, 99th percentile (us)" p99 low
	row "echoes per second, $PPS_WINDOW in flight (tx=timer)" pps high
	row "guest instructions per echo (icount, tx=timer)" instr low
	for g in osprey linux; do
		if [ -n "${STOPPED[$g,$m]:-}" ]; then
			echo "  ($g on $m: the flood stopped its network in ${STOPPED[$g,$m]} of ${TRIED[$g,$m]} boots)"
		fi
	done
done | tee -a "$OUT/results.txt"
