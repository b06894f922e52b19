#!/bin/sh
# Installs, with apt-get, whatever the build, `make run` and `make test`
# need and this machine lacks. Debian 12 package names.
set -e
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need="$need qemu-system-x86"
have gcc || need="$need gcc libc6-dev"
have make || need="$need make"
have ld || need="$need binutils"
have clang || need="$need clang"
have cpio || need="$need cpio"
# Real programs the tests run inside Osprey.
have busybox || need="$need busybox-static"
have sqlite3 || need="$need sqlite3"
have lua5.4 || need="$need lua5.4"
[ -x /usr/bin/python3 ] || need="$need python3"
# The network tests (tests/net) and benchmark (bench/net.sh): namespaces
# and TAP devices, ping, a DHCP and DNS server, a DNS client, hostile
# frames; pgrep (tests/cli).
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need="$need iproute2"
have ping || need="$need iputils-ping"
# dnsmasq-base: the binary without the package that starts a service
[ -x /usr/sbin/dnsmasq ] || need="$need dnsmasq-base"
have dig || need="$need bind9-dnsutils"
have pgrep || need="$need procps"
[ -d /usr/lib/python3/dist-packages/scapy ] || need="$need python3-scapy"
# libFuzzer's runtime for the fuzz targets.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	>/dev/null 2>&1 || need="$need libclang-rt-dev"
[ -z "$need" ] && exit 0
echo "osprey: installing:$need" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need >/dev/null
