#!/usr/bin/env bash
# Runs the DHCP client of net/dhcp_msg.c against Debian's dnsmasq: a
# network namespace with a veth pair, dnsmasq on one end (198.18.0.1/24,
# leases of 120 s), build/host/dhcp_interop on the other. Needs root;
# everything stays inside the namespace and is removed at the end.
# Usage: tests/host/dhcp-interop.sh [RECORD_DIR]; exits as dhcp_interop.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
NS=osprey-dhcp-$$
make -s -f mk/host.mk BUILD="$BUILD" "$BUILD/host/dhcp_interop"
cleanup() {
	[ -n "${DNSMASQ_PID:-}" ] && kill "$DNSMASQ_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -f "/tmp/$NS.leases"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link add veth-srv type veth peer name veth-cli
ip -n "$NS" addr add 198.18.0.1/24 dev veth-srv
ip -n "$NS" link set veth-srv up
ip -n "$NS" link set veth-cli up
ip -n "$NS" link set lo up
ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null \
	--interface=veth-srv --bind-interfaces --port=0 --no-resolv \
	--no-hosts --dhcp-range=198.18.0.10,198.18.0.20,255.255.255.0,120 \
	--dhcp-option=option:router,198.18.0.1 \
	--dhcp-option=option:dns-server,198.18.0.1 --domain=osprey.test \
	--dhcp-leasefile="/tmp/$NS.leases" --dhcp-authoritative \
	${DNSMASQ_ARGS:-} >"$BUILD/host/dhcp-interop-dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!
sleep 0.5
[ $# -gt 0 ] && mkdir -p "$1"
timeout 60 ip netns exec "$NS" "$BUILD/host/dhcp_interop" veth-cli "$@"
