#!/usr/bin/env bash
# Network tests from the host side: a network namespace of their own
# (osprey-test-PID) with a bridge at 198.18.0.1/24 and TAP devices on it
# (tests/net/lib.sh), the guest booted inside it on a TAP
# (tools/qemu-run --net tap:tap0 under `ip netns exec`), everything
# removed afterwards; traffic never leaves
# the namespace, except (e), which uses QEMU's user networking on the
# host's 127.0.0.1.
#
#   (a) static address (--ip=198.18.0.2/24,198.18.0.1): the host's ping
#       gets replies, also a 60000-byte ping (fragmented both ways)
#   (b) the guest's UDP echo program (tests/apps/udp_echo.c) answers the
#       host's client (tests/net/udp_client.py), datagrams up to 16000
#       bytes compared byte for byte; (a) and (b) on microvm (virtio-mmio),
#       q35 (virtio-pci) and q35 with 2 vCPUs (2 queue pairs)
#   (c) DHCP from Debian's dnsmasq on tap0: the guest (no --ip) reports
#       its address (--verbose) and answers ping there; tests/apps/
#       resolve.c resolves a name from /etc/hosts, a --host-record and an
#       --address of that dnsmasq with getaddrinfo
#   (d) hostile frames (tests/net/hostile.py, 5 s, at most 20000 frames):
#       the guest answers ping afterwards and its /proc/net/snmp and
#       /proc/net/dev, printed by tests/apps/netstat_after.c, count drops
#   (t) tcpecho: the guest's echo server (tests/apps/tcp_echo.c) returns
#       4 MiB from the host's client (tests/net/tcp_client.py) intact
#       (only when NET_TESTS names it)
#   (e) `osprey run -p 5353:53/udp -- /usr/sbin/dnsmasq ...` (Debian's
#       binary) answers `dig @127.0.0.1 -p 5353` on the host
#   (f) tcp: the guest's tcp_stream (tests/apps/tcp_stream.c) and the
#       host's (the same program) exchange TCP_BYTES each way and an echo,
#       verified by checksum, then TCP_NETEM_BYTES each way under netem
#       (loss, delay, reordering, duplication) on the host end of the TAP;
#       and sock_tcp_epoll --serve (the ABI test's edge-triggered server)
#       serves 50 connections from the host at once
#   (g) hostile_tcp: tests/net/hostile_tcp.py plays a hostile TCP peer
#       (bad checksums, out-of-window data, a SYN flood, blind RST and ACK
#       injection, zero window, no ACKs, 1-byte segments, urgent data, bad
#       options) against tcp_stream for a bounded time; a connection made
#       before still works after, the guest serves new connections and
#       its program is alive
#   (h) apps: memcached, redis-server and nginx from Debian's packages,
#       driven from the host (tests/net/apps.sh says how)
#
# GUEST=linux runs the same tests on the Linux guest of
# ../shared/bench/linux-guest (built in build/linux-guest; see
# tests/net/lib.sh): it proves this host side on its own. Prints PASS/FAIL
# lines and exits 1 if any failed. NET_TESTS picks parts (default "echo
# dhcp hostile dnsmasq tcp hostile_tcp apps"; tcpecho by name). Needs root (network
# namespaces); as
# another user it prints one SKIP line. Every wait is bounded in time.
set -uo pipefail
cd "$(dirname "$0")/../.."
LOGS=${LOGS:-build/test-logs/net}
mkdir -p "$LOGS"
source tests/net/lib.sh
PY=/usr/bin/python3 # Debian's, with python3-scapy
GUEST_MAC=52:54:00:12:34:56
GUEST_IP=198.18.0.2
BOOT_S=${BOOT_S:-120} # to the guest program's first line, under TCG
passed=0 failed=0
NET_TESTS=${NET_TESTS:-echo dhcp hostile dnsmasq tcp hostile_tcp apps}
want() { [[ " $NET_TESTS " == *" $1 "* ]]; }

pass() { echo "PASS net-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL net-$1: $2"; failed=$((failed + 1)); }
check() { # NAME WHY-IF-NOT COMMAND...: PASS if COMMAND succeeds
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
finish() {
	echo "net: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP net: needs root for network namespaces and TAP devices"
	exit 0
fi
missing=""
for t in ip ping dig dnsmasq tc; do command -v $t >/dev/null || missing+=" $t"; done
$PY -c 'import scapy' 2>/dev/null || missing+=" python3-scapy"
[ -e /dev/net/tun ] || missing+=" /dev/net/tun"
if [ -n "$missing" ]; then
	fail setup "missing:$missing (tools/deps.sh installs them)"
	finish
fi

# ---- the guest's programs, and its image ----
make -s build/apps/resolve-dynamic build/apps/netstat_after-static \
	build/apps/udp_echo-static build/apps/tcp_echo-static \
	build/apps/tcp_stream-static >"$LOGS/make.log" 2>&1
make -s -f mk/abi.mk build/abi/static/sock_tcp_epoll >>"$LOGS/make.log" 2>&1
for f in build/apps/udp_echo-static build/apps/resolve-dynamic \
	build/apps/tcp_echo-static build/apps/netstat_after-static \
	build/apps/tcp_stream-static build/abi/static/sock_tcp_epoll; do
	[ -x "$f" ] || { fail setup "no $f (make apps; see $LOGS/make.log)"; finish; }
done
printf '127.0.0.1\tlocalhost\n198.18.0.77\tfromhosts.test\n' >"$LOGS/hosts"
printf 'hosts: files dns\n' >"$LOGS/nsswitch.conf"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$LOGS/passwd"
printf 'root:x:0:\n' >"$LOGS/group"
files=(build/apps/udp_echo-static:/bin/udp_echo
	build/apps/tcp_echo-static:/bin/tcp_echo
	build/apps/netstat_after-static:/bin/netstat_after
	build/apps/resolve-dynamic:/bin/resolve
	build/apps/tcp_stream-static:/bin/tcp_stream
	build/abi/static/sock_tcp_epoll:/bin/sock_tcp_epoll
	"$LOGS/hosts:/etc/hosts" "$LOGS/nsswitch.conf:/etc/nsswitch.conf"
	"$LOGS/passwd:/etc/passwd" "$LOGS/group:/etc/group")
IMG=$LOGS/net.cpio
if [ "$GUEST" = linux ]; then
	linux_image "$IMG" "${files[@]}" /usr/sbin/dnsmasq:/usr/sbin/dnsmasq \
		>"$LOGS/image.log" 2>&1
else
	tests/mkinitrd.sh "$IMG" "${files[@]}" >"$LOGS/image.log" 2>&1
fi || { fail setup "cannot build the guest's image: $(tail -2 "$LOGS/image.log")"; finish; }

# resolve.c is an ordinary program: it must work on the host too.
out=$(build/apps/resolve-dynamic localhost 2>&1)
check resolve-on-host "host: $out" [ "$out" = "localhost 127.0.0.1" ]

trap ns_down EXIT
ns_down
ns_up || { fail setup "cannot make namespace $NS with a TAP device"; finish; }

# pings NAME ADDR COUNT SIZE: all COUNT pings of SIZE bytes answered.
pings() {
	local out
	out=$($NX ping -c "$3" -s "$4" -i 0.5 -W 5 -w 60 "$2" 2>&1)
	echo "$out" >>"$LOGS/ping.log"
	if echo "$out" | grep -q " $3 received"; then
		pass "$1"
	else
		fail "$1" "$(echo "$out" | grep -E 'received|error|Unreach' | head -2 | tr '\n' ' ')"
	fi
}

# ---- (a) ping and (b) UDP echo, static address ----
ECHO_COUNT=16
echo_tests() { # MACHINE SMP
	local tag=$1-smp$2 log=$LOGS/echo-$1-smp$2.log tap=$TAP
	[ "$2" -gt 1 ] && tap=$TAPMQ # a queue pair per vCPU
	GUEST_LOG=$log
	guest_start "$log" "$1" "$2" "tap:$tap" "$IMG" 300 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/udp_echo 7 $ECHO_COUNT
	if ! guest_wait "$log" 'udp_echo: ready on 7' "$BOOT_S"; then
		fail "echo-boot-$tag" "no 'udp_echo: ready' (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		guest_end 1
		return
	fi
	check "verbose-$tag" "no eth0 line for $GUEST_IP/24 in $log" \
		grep -aqE "(osprey|nettest): eth0 $GUEST_IP/24" "$log"
	pings "ping-$tag" $GUEST_IP 3 56
	pings "ping-60000-$tag" $GUEST_IP 3 60000
	$NX timeout 120 $PY tests/net/udp_client.py $GUEST_IP 7 $ECHO_COUNT 90 \
		>"$LOGS/udp-$tag.log" 2>&1
	check "udp-echo-$tag" "$(tail -3 "$LOGS/udp-$tag.log" | tr '\n' ' ')" \
		grep -q "$ECHO_COUNT of $ECHO_COUNT echoed intact" "$LOGS/udp-$tag.log"
	guest_end 60
	check "udp-echo-exit-$tag" "guest status $GUEST_STATUS, expected 0 (log: $log)" \
		[ "$GUEST_STATUS" = 0 ]
}
if want echo; then
	echo_tests microvm 1
	echo_tests q35 1
	echo_tests q35 2
fi

# ---- (t) TCP echo (NET_TESTS "tcpecho") ----
TCPECHO_BYTES=${TCPECHO_BYTES:-4194304}
tcpecho_tests() { # MACHINE
	local tag=$1 log=$LOGS/tcpecho-$1.log
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 300 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/tcp_echo 7 1
	if ! guest_wait "$log" 'tcp_echo: ready on 7' "$BOOT_S"; then
		fail "tcpecho-boot-$tag" "no 'tcp_echo: ready' (log: $log)"
		guest_end 1
		return
	fi
	$NX timeout 150 $PY tests/net/tcp_client.py $GUEST_IP 7 $TCPECHO_BYTES 140 \
		>"$LOGS/tcpecho-client-$tag.log" 2>&1
	check "tcpecho-$tag" "$(tail -2 "$LOGS/tcpecho-client-$tag.log" | tr '\n' ' ')" \
		grep -q "$TCPECHO_BYTES bytes echoed intact" "$LOGS/tcpecho-client-$tag.log"
	guest_end 60
	check "tcpecho-exit-$tag" "guest status $GUEST_STATUS, expected 0 (log: $log)" \
		[ "$GUEST_STATUS" = 0 ]
}
want tcpecho && tcpecho_tests microvm

# ---- (c) DHCP and names from dnsmasq ----
dhcp_server() {
	$NX dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --interface=$BRIDGE --except-interface=lo \
		--listen-address=$HOST_IP --user=root --group=root \
		--dhcp-range=198.18.0.50,198.18.0.99,255.255.255.0,10m \
		--dhcp-option=option:router,$HOST_IP --dhcp-option=option:dns-server,$HOST_IP \
		--host-record=served.osprey.test,198.18.0.88 \
		--address=/wild.osprey.test/198.18.0.89 \
		--dhcp-leasefile="$PWD/$LOGS/dnsmasq.leases" --pid-file="$PWD/$LOGS/dnsmasq.pid" \
		--log-dhcp --log-queries >"$LOGS/dnsmasq.log" 2>&1 &
	dnsmasq_pid=$!
	: >"$LOGS/dnsmasq.leases"
	for ((i = 0; i < 50; i++)); do
		ans=$($NX dig @$HOST_IP served.osprey.test +short +time=1 +tries=1 2>/dev/null |
			grep -v '^;' | head -1)
		[ "$ans" = 198.18.0.88 ] && break
		sleep 0.1
	done
	check dnsmasq-up "dnsmasq does not answer in $NS: $(tail -3 "$LOGS/dnsmasq.log")" \
		[ "$ans" = 198.18.0.88 ]
}

dhcp_tests() { # MACHINE
	local tag=$1 log=$LOGS/dhcp-$1.log addr
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 300 --verbose -- /bin/udp_echo 7 1
	if ! guest_wait "$log" 'udp_echo: ready on 7' "$BOOT_S"; then
		fail "dhcp-boot-$tag" "no 'udp_echo: ready' (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		guest_end 1
		return
	fi
	addr=$(grep -aoE '(osprey|nettest): eth0 198\.18\.0\.[0-9]+/24' "$log" | head -1 |
		grep -oE '198\.18\.0\.[0-9]+')
	local last=${addr##*.}
	if [ -n "$addr" ] && [ "$last" -ge 50 ] && [ "$last" -le 99 ]; then
		pass "dhcp-address-$tag"
		pings "dhcp-ping-$tag" "$addr" 3 56
		check "dhcp-lease-$tag" "no lease for $addr $GUEST_MAC in dnsmasq's lease file" \
			grep -q "$GUEST_MAC $addr " "$LOGS/dnsmasq.leases"
		$NX timeout 30 $PY tests/net/udp_client.py "$addr" 7 1 20 >"$LOGS/udp-dhcp-$tag.log" 2>&1
	else
		fail "dhcp-address-$tag" "no eth0 line with a leased address (198.18.0.50-99) in $log"
	fi
	guest_end 30

	log=$LOGS/resolve-$1.log
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 300 --verbose -- \
		/bin/resolve fromhosts.test served.osprey.test wild.osprey.test
	guest_end "$BOOT_S"
	check "resolve-hosts-file-$tag" "no 'fromhosts.test 198.18.0.77' in $log" \
		grep -aq '^fromhosts.test 198.18.0.77' "$log"
	check "resolve-dns-host-record-$tag" "no 'served.osprey.test 198.18.0.88' in $log" \
		grep -aq '^served.osprey.test 198.18.0.88' "$log"
	check "resolve-dns-address-$tag" "no 'wild.osprey.test 198.18.0.89' in $log" \
		grep -aq '^wild.osprey.test 198.18.0.89' "$log"
	check "resolve-exit-$tag" "guest status $GUEST_STATUS, expected 0" [ "$GUEST_STATUS" = 0 ]
}
if want dhcp; then
	dhcp_server
	dhcp_tests microvm
	dhcp_tests q35
	kill "$dnsmasq_pid" 2>/dev/null
	wait "$dnsmasq_pid" 2>/dev/null
fi

# ---- (d) hostile frames ----
# snmp FILE SECTION NAME: a counter of /proc/net/snmp's format (a header
# line and a value line per section), from the guest's printout.
snmp() {
	awk -v s="$2:" -v n="$3" '$1 == s && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == s && h { print (n in c) ? $(c[n]) : "missing"; exit }' "$1"
}
# dev FILE IFACE FIELD: /proc/net/dev's receive field (1 bytes, 2 packets,
# 3 errs, 4 drop, ...).
dev() {
	sed 's/:/ /' "$1" | awk -v i="$2" -v f="$3" '$1 == i { print $(f + 1); exit }'
}
numeric() { [[ "$1" =~ ^[0-9]+$ ]]; }
positive() { numeric "$1" && [ "$1" -gt 0 ]; }

hostile_tests() { # MACHINE
	local tag=$1 log=$LOGS/hostile-$1.log out=$LOGS/hostile-$1.counters
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 300 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/netstat_after ${HOSTILE_WAIT:-40}
	if ! guest_wait "$log" 'netstat_after: sleeping' "$BOOT_S"; then
		fail "hostile-boot-$tag" "no 'netstat_after: sleeping' (log: $log)"
		guest_end 1
		return
	fi
	$NX timeout 60 $PY tests/net/hostile.py $TAP $GUEST_MAC $GUEST_IP 5 20000 \
		>"$LOGS/hostile-$tag.sent" 2>&1
	check "hostile-sent-$tag" "$(tail -2 "$LOGS/hostile-$tag.sent" | tr '\n' ' ')" \
		grep -q 'frames sent' "$LOGS/hostile-$tag.sent"
	pings "hostile-alive-ping-$tag" $GUEST_IP 3 56
	guest_end $((${HOSTILE_WAIT:-40} + 60))
	check "hostile-exit-$tag" "guest status $GUEST_STATUS, expected 0 (log: $log)" \
		[ "$GUEST_STATUS" = 0 ]
	tr -d '\r' <"$log" >"$out"
	local v
	for c in "Ip InHdrErrors" "Ip ReasmReqds" "Icmp InErrors" "Udp InErrors" \
		"Udp InCsumErrors" "Udp NoPorts"; do
		v=$(snmp "$out" $c)
		check "hostile-count-${c// /-}-$tag" "/proc/net/snmp $c is '${v:-absent}'" positive "$v"
	done
	local fails timeouts
	fails=$(snmp "$out" Ip ReasmFails)
	timeouts=$(snmp "$out" Ip ReasmTimeout)
	v=absent
	numeric "$fails" && numeric "$timeouts" && v=$((fails + timeouts))
	check "hostile-count-reasm-dropped-$tag" "Ip ReasmFails + ReasmTimeout is $v" positive "$v"
	v=$(dev "$out" eth0 2)
	check "hostile-count-eth0-rx-$tag" "/proc/net/dev eth0 received $v packets, fewer than 1000" \
		[ "${v:-0}" -ge 1000 ]
}
want hostile && hostile_tests microvm

# ---- (f) TCP streams, checksummed, also under netem ----
# Measured against the Linux guest under TCG (2 host cores): 256 MiB in
# about 2 s to the guest and 4 s from it, 32 MiB impaired in 2 s and 10 s;
# the whole part, boots included, in about 25 s. The bounds (240 s a
# stream) leave room for a slower stack.
TCP_BYTES=${TCP_BYTES:-268435456}
TCP_NETEM_BYTES=${TCP_NETEM_BYTES:-33554432}
TCP_ECHO_BYTES=${TCP_ECHO_BYTES:-16777216}
TCP_PORT=5001
STREAM=build/apps/tcp_stream-static
# stream NAME SECONDS MODE ARGS...: the host's tcp_stream client in the
# namespace, bounded in time; PASS if it reports "checksum ok".
stream() {
	local name=$1 secs=$2 log=$LOGS/$1.log
	shift 2
	$NX timeout -k 5 "$secs" $STREAM "$1" $GUEST_IP $TCP_PORT "${@:2}" >"$log" 2>&1
	echo "    $(tail -1 "$log")"
	check "$name" "$(tail -2 "$log" | tr '\n' ' ') (log: $log)" \
		grep -q 'checksum ok' "$log"
}
# netem_on: loss 1%, delay 2 ms, reordering 5%, duplication 1% between
# the guest and the host: `tc qdisc ... netem` on the host end of the TAP
# (frames to the guest), or, where the host's kernel has no sch_netem,
# tests/net/impair.c, which relays the guest's TAP (taken out of the
# bridge) to a second TAP in the bridge and impairs both directions.
NETEM="loss 1% delay 2ms reorder 5% duplicate 1%"
IMPAIR_PID=""
netem_on() {
	if $NX tc qdisc add dev $TAP root netem $NETEM 2>"$LOGS/netem.log"; then
		echo "    netem: tc qdisc on $TAP: $NETEM"
		return 0
	fi
	gcc -O2 -Wall -o "$LOGS/impair" tests/net/impair.c >>"$LOGS/netem.log" 2>&1 &&
		ip -n "$NS" tuntap add dev timp mode tap &&
		ip -n "$NS" link set timp master "$BRIDGE" &&
		ip -n "$NS" link set timp up || return 1
	ip -n "$NS" link set "$TAP" nomaster
	ip -n "$NS" link set "$TAP" arp off
	$NX "$LOGS/impair" "$TAP" timp 600 1 2 5 1 7 >"$LOGS/impair.log" 2>&1 &
	IMPAIR_PID=$!
	GUEST_PIDS+=("$IMPAIR_PID")
	local until=$((SECONDS + 30)) # by the clock: a loaded host is slow
	while ((SECONDS < until)) && kill -0 "$IMPAIR_PID" 2>/dev/null; do
		grep -qs relaying "$LOGS/impair.log" && break
		sleep 0.1
	done
	echo "    netem: no sch_netem here ($(head -1 "$LOGS/netem.log")): tests/net/impair.c, $NETEM, both ways"
	grep -qs relaying "$LOGS/impair.log"
}
netem_off() {
	if [ -z "$IMPAIR_PID" ]; then
		$NX tc qdisc del dev $TAP root 2>/dev/null
		return
	fi
	kill "$IMPAIR_PID" 2>/dev/null
	wait "$IMPAIR_PID" 2>/dev/null
	IMPAIR_PID=""
	sed 's/^/    /' "$LOGS/impair.log" | grep 'impair: .*frames'
	ip -n "$NS" link del timp 2>/dev/null
	ip -n "$NS" link set "$TAP" arp on
	ip -n "$NS" link set "$TAP" master "$BRIDGE"
}

tcp_tests() { # MACHINE
	local tag=$1 log=$LOGS/tcp-$1.log t0
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 900 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/tcp_stream serve $TCP_PORT 7
	if ! guest_wait "$log" "tcp_stream: ready on $TCP_PORT" "$BOOT_S"; then
		fail "tcp-boot-$tag" "no 'tcp_stream: ready' (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		guest_end 1
		return
	fi
	t0=$SECONDS
	stream "tcp-sink-$tag" 240 sink "$TCP_BYTES"
	stream "tcp-source-$tag" 240 source "$TCP_BYTES" 42
	stream "tcp-sendfile-$tag" 240 sendfile "$TCP_NETEM_BYTES" 44
	stream "tcp-echo-$tag" 120 echo "$TCP_ECHO_BYTES"
	if netem_on; then
		stream "tcp-netem-sink-$tag" 180 sink "$TCP_NETEM_BYTES"
		stream "tcp-netem-source-$tag" 180 source "$TCP_NETEM_BYTES" 43
		stream "tcp-netem-sendfile-$tag" 180 sendfile "$TCP_NETEM_BYTES" 45
	else
		fail "tcp-netem-$tag" "neither netem nor tests/net/impair.c: $(tail -2 "$LOGS/netem.log" "$LOGS/impair.log" 2>/dev/null | tr '\n' ' ')"
	fi
	netem_off
	echo "    tcp streams took $((SECONDS - t0)) s"
	guest_end 60
	check "tcp-exit-$tag" "guest status $GUEST_STATUS, expected 0 (log: $log)" \
		[ "$GUEST_STATUS" = 0 ]

	# The ABI test's edge-triggered server, from the host.
	log=$LOGS/tcp-epoll-$1.log
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 300 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/sock_tcp_epoll --serve 5002 50
	if ! guest_wait "$log" 'sock_tcp_epoll: serving on 5002' "$BOOT_S"; then
		fail "tcp-epoll-boot-$tag" "no 'sock_tcp_epoll: serving' (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		guest_end 1
		return
	fi
	$NX timeout -k 5 120 $STREAM ping $GUEST_IP 5002 50 >"$LOGS/tcp-ping-$tag.log" 2>&1
	check "tcp-epoll-ping-$tag" "$(tail -2 "$LOGS/tcp-ping-$tag.log" | tr '\n' ' ')" \
		grep -q 'ping 50 of 50 connections echoed' "$LOGS/tcp-ping-$tag.log"
	guest_end 60
	check "tcp-epoll-server-$tag" "no clean 'abi sock_tcp_epoll' summary, status $GUEST_STATUS (log: $log)" \
		eval "grep -aqE '^abi sock_tcp_epoll: [0-9]+ passed, 0 failed' '$log' && [ '$GUEST_STATUS' = 0 ]"
}
want tcp && tcp_tests microvm

# ---- (g) a hostile TCP peer ----
hostile_tcp_tests() { # MACHINE
	local tag=$1 log=$LOGS/hostile-tcp-$1.log out=$LOGS/hostile-tcp-$1.sent
	GUEST_LOG=$log
	guest_start "$log" "$1" 1 "tap:$TAP" "$IMG" 600 --verbose \
		--ip=$GUEST_IP/24,$HOST_IP -- /bin/tcp_stream serve $TCP_PORT
	if ! guest_wait "$log" "tcp_stream: ready on $TCP_PORT" "$BOOT_S"; then
		fail "hostile-tcp-boot-$tag" "no 'tcp_stream: ready' (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		guest_end 1
		return
	fi
	$NX timeout -k 5 120 $PY tests/net/hostile_tcp.py $TAP $GUEST_MAC $GUEST_IP \
		$TCP_PORT ${HOSTILE_TCP_S:-10} 20000 >"$out" 2>&1
	check "hostile-tcp-sent-$tag" "$(tail -2 "$out" | tr '\n' ' ') (log: $out)" \
		grep -q 'segments sent' "$out"
	check "hostile-tcp-old-connection-$tag" "$(grep -a 'connection' "$out" | tail -1)" \
		grep -q 'old connection: still works' "$out"
	check "hostile-tcp-ack-rate-$tag" "$(grep -a 'ACKs on the old' "$out")" \
		grep -q 'ACKs on the old connection: .*: ok' "$out"
	check "hostile-tcp-one-byte-$tag" "$(grep -a 'one-byte:' "$out")" \
		grep -qE "one-byte: answered b'ok 300 ([0-9a-f]{16})\\\\n', expected b'ok 300 \\1" "$out"
	stream "hostile-tcp-after-echo-$tag" 60 echo 1048576
	stream "hostile-tcp-after-sink-$tag" 60 sink 4194304
	check "hostile-tcp-alive-$tag" "the guest program ended (log: $log)" \
		eval "kill -0 $GUEST_PID 2>/dev/null && ! grep -aqE 'NETTEST-EXIT|tcp_stream: (served|accept)' '$log'"
	guest_end 1
}
want hostile_tcp && hostile_tcp_tests microvm

# ---- (e) Debian's dnsmasq in the guest, forwarded from 127.0.0.1:5353 ----
dnsmasq_args=(--no-daemon --port=53 --conf-file=/dev/null --no-resolv --no-hosts
	--user=root --group=root --pid-file=/tmp/dnsmasq.pid --log-queries
	--address=/osprey.test/198.18.0.9)
if ! want dnsmasq; then
	:
elif ss -Hlun 'sport = :5353' 2>/dev/null | grep -q .; then
	fail dnsmasq-forwarded "127.0.0.1:5353/udp is taken on this host"
else
	log=$LOGS/dnsmasq-guest.log
	GUEST_LOG=$log
	if [ "$GUEST" = linux ]; then
		guest_start "$log" microvm 1 user:hostfwd=udp:127.0.0.1:5353-10.0.2.15:53 \
			"$IMG" 300 --ip=10.0.2.15/24,10.0.2.2 --dns=10.0.2.3 -- \
			/usr/sbin/dnsmasq "${dnsmasq_args[@]}"
	else
		build/osprey run --timeout 300 -p 5353:53/udp -- /usr/sbin/dnsmasq \
			"${dnsmasq_args[@]}" </dev/null >"$log" 2>&1 &
		GUEST_PID=$!
		GUEST_PIDS+=("$GUEST_PID")
	fi
	ans=""
	for ((i = 0; i < 60; i++)); do # ~60 s (dig waits 1 s a try)
		ans=$(dig @127.0.0.1 -p 5353 osprey.test +short +time=1 +tries=1 2>/dev/null |
			grep -v '^;' | head -1)
		[ "$ans" = 198.18.0.9 ] && break
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.1
	done
	check dnsmasq-forwarded "dig @127.0.0.1 -p 5353 osprey.test: '$ans' (log: $log)" \
		[ "$ans" = 198.18.0.9 ]
	kill "$GUEST_PID" 2>/dev/null
	guest_end 10
fi

# ---- (f)-(i) real servers ----
source tests/net/apps.sh
want apps && apps_tests

finish
