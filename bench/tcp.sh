#!/usr/bin/env bash
# TCP and real servers over a TAP device: Osprey against the Linux guest
# (../shared/bench/linux-guest: Debian's kernel, PVH), the same QEMU, the
# same accelerator, one vCPU each, the same namespace and TAP
# (tests/net/lib.sh), in one run. The guest runs Debian's own server
# binaries, unmodified (memcached, redis-server and nginx as tools/deps.sh
# unpacked them into build/servers; the host's iperf3 and sockperf); the
# host runs the clients:
#
#   stream          iperf3 -c for TCP_SECONDS (5), the guest the server:
#                   host->guest, and guest->host with -R (Mbit/s received)
#   round trip      sockperf ping-pong --tcp, 64-byte messages, TCP_SECONDS:
#                   median and 99th percentile (us)
#   memcached       mcload (the Linux guest's, src/mcload.c): 90% get / 10%
#                   set of 32-byte values on 10000 keys, one request in
#                   flight per connection, 1 and 16 connections, ops/s
#   redis           redis-benchmark -t get,set -n REDIS_N (50000) -P 1
#                   (its 50 clients): requests/s
#   nginx           wrk -t1 -c8 for TCP_SECONDS on a 4 KiB and a 1 MiB
#                   file (tests/net/nginx.conf): requests/s
#
# Each server gets a boot of its own in each guest, 256 MiB: Osprey from
# an image `osprey build` made of it; the Linux guest from one image
# holding all five (memcached boots twice: 1 and 16 connections). The
# device runs with tx=timer except for one request in flight (sockperf,
# memcached with 1 connection), as in bench/net.sh: under TCG, QEMU
# 7.2's default transmit path (tx=bh) stops for good under a flood,
# whichever the guest (the Linux guest's network died in redis-benchmark
# here), and tx=timer adds ~190 us to a lone round trip. A measurement that fails
# (the server did not come up, the client reported errors) prints n/a,
# and the reason is printed under the table; it never stops the table.
# Every wait is bounded: BOOT_S (120) for the guest to answer ping, then
# PORT_S (30) for the server to accept, each client under `timeout`.
#
# Wall-clock figures under TCG are emulated time (DESIGN.md section 9):
# compare them as ratios, on an otherwise idle host. On a host with
# vmx/svm both guests run under KVM.
#
#   bench/tcp.sh [KERNEL]     # needs root (a network namespace)
#
# Knobs: LINUX=0 (skip the Linux guest), OSPREY=0 (skip Osprey), MACHINE
# (microvm), TCP_SECONDS (5), REDIS_N (50000), ROWS (which boots:
# "iperf3 sockperf memcached memcached16 redis nginx"). Table appended to
# build/bench/results.txt; logs in build/bench/tcp-*.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KERNEL=${1:-build/osprey.elf}
OUT=build/bench
LINUX=${LINUX:-1}
OSPREY=${OSPREY:-1}
MACHINE=${MACHINE:-microvm}
TCP_SECONDS=${TCP_SECONDS:-5}
REDIS_N=${REDIS_N:-50000}
ROWS=${ROWS:-iperf3 sockperf memcached memcached16 redis nginx}
BOOT_S=${BOOT_S:-120}
PORT_S=${PORT_S:-30}
NS=osprey-tcpbench-$$
SRV=$ROOT/build/servers
WWW=$OUT/tcp-www
mkdir -p "$OUT"
source tests/net/lib.sh
GUEST_IP=198.18.0.2

if [ "$(id -u)" != 0 ]; then
	echo "tcp.sh: needs root for a network namespace; skipped" >&2
	exit 0
fi
missing=""
for p in "$SRV/usr/bin/memcached" "$SRV/usr/bin/redis-server" "$SRV/usr/sbin/nginx"; do
	[ -x "$p" ] || missing+=" $p"
done
for p in iperf3 sockperf redis-benchmark wrk; do
	command -v $p >/dev/null || missing+=" $p"
done
if [ -n "$missing" ]; then
	echo "tcp.sh: missing:$missing (tools/deps.sh installs them)" >&2
	exit 1
fi
MCLOAD_SRC=build/linux-guest/src/mcload.c
[ -r "$MCLOAD_SRC" ] || MCLOAD_SRC=../shared/bench/linux-guest/src/mcload.c
gcc -O2 -Wall -o "$OUT/mcload" "$MCLOAD_SRC" || exit 1
rm -rf "$WWW" && mkdir -p "$WWW"
head -c 4096 /dev/urandom >"$WWW/f4096.bin"
head -c 1048576 /dev/urandom >"$WWW/f1048576.bin"
[ -x build/osprey ] || OSPREY=0
[ -r "$KERNEL" ] || OSPREY=0
if [ "$LINUX" = 1 ]; then
	GUEST=linux linux_image "$OUT/tcp-linux.cpio" \
		"$(command -v iperf3):/usr/bin/iperf3" "$(command -v sockperf):/usr/bin/sockperf" \
		"$SRV/usr/bin/memcached:/usr/bin/memcached" \
		"$SRV/usr/bin/redis-server:/usr/bin/redis-server" \
		"$SRV/usr/sbin/nginx:/usr/sbin/nginx" \
		tests/net/nginx.conf:/etc/nginx/osprey.conf "$WWW:/srv/www" \
		>"$OUT/tcp-linux-image.log" 2>&1 || LINUX=0
fi

trap ns_down EXIT
ns_up || { echo "tcp.sh: cannot make namespace $NS" >&2; exit 1; }
declare -A R WHY # R[guest,figure]; WHY[guest,figure]: why it is n/a

# The servers: NAME PORT PROGRAM ARGS (a program under build/servers is
# at the same path under / in the Linux guest).
declare -A SERVER=(
	[iperf3]="5201 $(command -v iperf3) -s -p 5201"
	[sockperf]="11111 $(command -v sockperf) server --tcp -i 0.0.0.0 -p 11111"
	[memcached]="11211 $SRV/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -U 0 -t 1 -m 64 -c 1024"
	[memcached16]="11211 $SRV/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -U 0 -t 1 -m 64 -c 1024"
	[redis]="6379 $SRV/usr/bin/redis-server --save '' --appendonly no --protected-mode no"
	[nginx]="8080 $SRV/usr/sbin/nginx -p /tmp/ -e stderr -c /etc/nginx/osprey.conf"
)
# The figures each server's measurement gives.
declare -A FIGURES=([iperf3]="up down" [sockperf]="p50 p99" [memcached]="mc1"
	[memcached16]="mc16" [redis]="get set" [nginx]="w4k w1m")
# Those measured on the default device, one request in flight (see the top).
ROUND_TRIPS="sockperf memcached"

# why_down LOG: a line that says why the guest's server is not there:
# the socket call Osprey reported missing, else the log's last line.
why_down() {
	local w
	w=$(grep -aoE 'socket\(.*' "$1" | tail -1 | tr -d '\r')
	[ -n "$w" ] && w="Osprey lacks $w"
	[ -n "$w" ] || w=$(sed -n '/Osprey lacks:/,$p' "$1" | tail -n +2 | grep -a '^ ' |
		sed 's/^ *//' | tr -d '\r' | paste -sd, | sed 's/,/, /g; s/^./Osprey lacks &/')
	[ -n "$w" ] || w=$(grep -av '^\s*$' "$1" | tail -1 | tr -d '\r')
	echo "${w:0:100}"
}

# up GUEST NAME: the guest booted with server NAME, answering ping and
# accepting on its port (0); else 1, with the reason in WHY for all of
# NAME's figures.
up() {
	local g=$1 name=$2 log=$OUT/tcp-$1-$2.log port prog i why="" img extra
	eval "set -- ${SERVER[$name]}"
	port=$1 prog=$2
	shift 2
	GUEST=$g GUEST_LOG=$log img=$OUT/tcp-linux.cpio
	if [ "$g" = linux ]; then
		prog=${prog#"$SRV"}
	else
		img=$OUT/tcp-osprey-$name.cpio
		if ! build/osprey build -o "$img" --add tests/net/nginx.conf:/etc/nginx/osprey.conf \
			--add "$WWW:/srv/www" -- "$prog" >"$log" 2>&1; then
			for i in ${FIGURES[$name]}; do WHY[$g,$i]="$name: osprey build: $(tail -1 "$log")"; done
			return 1
		fi
	fi
	extra="--mem 256"
	[[ " $ROUND_TRIPS " == *" $name "* ]] || extra+=" --net-arg tx=timer" # see the top
	QEMU_RUN_EXTRA=$extra guest_start "$log" "$MACHINE" 1 "tap:$TAP" "$img" 600 \
		--verbose --ip=$GUEST_IP/24,$HOST_IP -- "$prog" "$@"
	local t0=$SECONDS
	while ((SECONDS - t0 < BOOT_S)); do
		$NX ping -c 1 -W 1 -q $GUEST_IP >/dev/null 2>&1 && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.2
	done
	t0=$SECONDS
	while ((SECONDS - t0 < PORT_S)); do
		$NX timeout 1 bash -c "exec 3<>/dev/tcp/$GUEST_IP/$port" 2>/dev/null && return 0
		kill -0 "$GUEST_PID" 2>/dev/null || { why="the guest ended"; break; }
		sleep 0.5
	done
	why="${why:-no connection in $PORT_S s}: $(why_down "$log")"
	for i in ${FIGURES[$name]}; do WHY[$g,$i]="$name: $why"; done
	guest_end 1
	return 1
}

# set_figure GUEST KEY VALUE REASON-IF-EMPTY
set_figure() {
	if [ -n "$3" ]; then R[$1,$2]=$3; else WHY[$1,$2]=$4; fi
}

# The server iperf3 -s resets itself after a connection that was not a
# test (up's probe), and a client that comes meanwhile is refused: up to
# 3 tries.
measure_iperf3() { # GUEST
	local dir key out bps try
	for dir in up down; do
		out=$OUT/tcp-$1-iperf3-$dir.json
		for ((try = 1; try <= 3; try++)); do
			$NX timeout $((TCP_SECONDS + 30)) iperf3 -c $GUEST_IP -p 5201 \
				-t "$TCP_SECONDS" -J $([ $dir = down ] && echo -R) >"$out" 2>&1
			bps=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print("%.0f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))' "$out" 2>/dev/null)
			[ -n "$bps" ] && break
			sleep 1
		done
		set_figure "$1" "$dir" "$bps" "iperf3 $dir: $(grep -o '"error":.*' "$out" | head -c 90)"
	done
}

measure_sockperf() { # GUEST
	local out=$OUT/tcp-$1-sockperf.txt p50 p99
	$NX timeout $((TCP_SECONDS + 30)) sockperf ping-pong -i $GUEST_IP -p 11111 --tcp \
		-t "$TCP_SECONDS" -m 64 >"$out" 2>&1
	p50=$(awk '/percentile 50.000/{print $NF}' "$out")
	p99=$(awk '/percentile 99.000/{print $NF}' "$out")
	set_figure "$1" p50 "$p50" "sockperf: $(tail -1 "$out" | head -c 90)"
	set_figure "$1" p99 "$p99" "sockperf: $(tail -1 "$out" | head -c 90)"
}

mcload() { # GUEST CONNECTIONS
	local out ops=""
	out=$($NX timeout $((TCP_SECONDS + 40)) "$OUT/mcload" $GUEST_IP 11211 $2 \
		"$TCP_SECONDS" 10000 32 90 2>&1)
	echo "$out" >"$OUT/tcp-$1-mcload-$2.txt"
	[[ "$out" == *" errors=0 "* && "$out" == *" misses=0 "* ]] &&
		ops=$(echo "$out" | grep -o 'ops_per_s=[0-9]*' | cut -d= -f2)
	set_figure "$1" "mc$2" "$ops" "mcload $2: $(echo "$out" | tail -1 | head -c 90)"
}
measure_memcached() { mcload "$1" 1; }
measure_memcached16() { mcload "$1" 16; }

measure_redis() { # GUEST
	local out=$OUT/tcp-$1-redis.txt t v
	$NX timeout $((REDIS_N / 1000 + 60)) redis-benchmark -h $GUEST_IP -p 6379 \
		-t get,set -n "$REDIS_N" -P 1 -q >"$out" 2>&1
	for t in GET SET; do
		v=$(tr '\r' '\n' <"$out" | grep -E "^$t: [0-9.]+ requests per second" |
			tail -1 | awk '{printf "%.0f", $2}')
		set_figure "$1" "${t,,}" "$v" "redis-benchmark $t: $(tr '\r' '\n' <"$out" |
			grep -a . | tail -1 | head -c 80)"
	done
}

measure_nginx() { # GUEST
	local f key out v
	for f in 4096:w4k 1048576:w1m; do
		key=${f#*:} out=$OUT/tcp-$1-wrk-${f%:*}.txt
		$NX timeout $((TCP_SECONDS + 30)) wrk -t1 -c8 -d"${TCP_SECONDS}s" --timeout 10s \
			"http://$GUEST_IP:8080/f${f%:*}.bin" >"$out" 2>&1
		v=""
		grep -qE 'Socket errors|Non-2xx' "$out" ||
			v=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$out")
		set_figure "$1" "$key" "$v" "wrk ${f%:*} B: $(grep -E 'errors|Non-2xx|^Requests' "$out" |
			tr '\n' ' ' | head -c 90)"
	done
}

for name in $ROWS; do
	for g in osprey linux; do
		if [ "$g" = osprey ] && [ "$OSPREY" != 1 ]; then
			for k in ${FIGURES[$name]}; do WHY[$g,$k]="not run (no $KERNEL or build/osprey)"; done
			continue
		fi
		[ "$g" = linux ] && [ "$LINUX" != 1 ] && continue
		up "$g" "$name" || continue
		"measure_$name" "$g"
		kill "$GUEST_PID" 2>/dev/null
		guest_end 10
	done
done

# row LABEL KEY BETTER(low|high): osprey, linux, and how many times
# better Osprey is (linux/osprey for times, osprey/linux for rates).
row() {
	local o=${R[osprey,$2]:-} l=${R[linux,$2]:-} r=n/a
	if [ -n "$o" ] && [ -n "$l" ] && [ "$o" != 0 ] && [ "$l" != 0 ]; then
		if [ "$3" = low ]; then r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", l / o }')
		else r=$(awk -v o="$o" -v l="$l" 'BEGIN { printf "%.2fx", o / l }'); fi
	fi
	printf '%-46s %10s %10s %10s\n' "$1" "${o:-n/a}" "${l:-n/a}" "$r"
}
accel=tcg
[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && accel=kvm
{
	printf '%-46s %10s %10s %10s\n' "TCP over TAP, $MACHINE, 1 vCPU, $accel" osprey linux "osprey x"
	echo "  (virtio-net tx=timer for all but the round trips and memcached's 1 connection)"
	row "iperf3 stream host->guest (Mbit/s)" up high
	row "iperf3 stream guest->host (Mbit/s)" down high
	row "sockperf TCP round trip 64 B, median (us)" p50 low
	row "sockperf TCP round trip 64 B, 99th pct (us)" p99 low
	row "memcached 90% get, 1 connection (ops/s)" mc1 high
	row "memcached 90% get, 16 connections (ops/s)" mc16 high
	row "redis-benchmark GET, 50 clients, -P 1 (req/s)" get high
	row "redis-benchmark SET, 50 clients, -P 1 (req/s)" set high
	row "nginx 4 KiB file, wrk -c8 (req/s)" w4k high
	row "nginx 1 MiB file, wrk -c8 (req/s)" w1m high
	for g in osprey linux; do
		for k in up down p50 p99 mc1 mc16 get set w4k w1m; do
			[ -n "${WHY[$g,$k]:-}" ] && echo "  $g n/a: ${WHY[$g,$k]}"
		done | uniq
	done
} | tee -a "$OUT/results.txt"
exit 0
