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
have tmux || need="$need tmux" # the terminal test (tests/cli/tty.sh)
# Runtimes and programs of tests/apps/runtimes.sh and sweep.sh.
have ruby || need="$need ruby"
have tclsh || need="$need tcl"
have gawk || need="$need gawk"
for p in jq:jq bc:bc zstd:zstd xz:xz-utils bzip2:bzip2 file:file \
	openssl:openssl xxd:xxd hexdump:bsdextrautils; do
	have "${p%%:*}" || need="$need ${p#*:}"
done
[ -d /usr/lib/python3/dist-packages/scapy ] || need="$need python3-scapy"
# Real servers and their clients (tests/net part `apps`, bench/tcp.sh):
# redis-tools has redis-cli, redis-benchmark and the server's binary
# itself (redis-check-rdb; the redis-server package only links to it and
# adds the service); the libraries of memcached and nginx, whose packages
# are only unpacked (below).
have redis-cli || need="$need redis-tools"
have wrk || need="$need wrk"
have curl || need="$need curl"
have iperf3 || need="$need iperf3" # no daemon unless debconf says so
have sockperf || need="$need sockperf"
# Disks: `osprey disk` and the ext4 tests (mke2fs -d, e2fsck, debugfs),
# and bench/blk.sh (fio).
[ -x /usr/sbin/mke2fs ] || [ -x /sbin/mke2fs ] || need="$need e2fsprogs"
have fio || need="$need fio"
for l in libevent-2.1-7:libevent-2.1.so.7 libsasl2-2:libsasl2.so.2 \
	libpcre2-8-0:libpcre2-8.so.0 libssl3:libssl.so.3; do
	[ -e "/usr/lib/x86_64-linux-gnu/${l#*:}" ] || need="$need ${l%%:*}"
done
# libFuzzer's runtime for the fuzz targets.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	>/dev/null 2>&1 || need="$need libclang-rt-dev"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ -n "$need" ]; then
	echo "osprey: installing:$need" >&2
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $need >/dev/null
fi

# memcached, redis-server and nginx: installing their packages starts (and
# enables) a system service on the host, outside any test namespace, and
# redis's would hold 127.0.0.1:6379, which the tests forward to a guest.
# Their .debs are downloaded and unpacked into build/servers instead
# (dpkg -x: no maintainer scripts, no service); Osprey and the Linux
# guest run these binaries unmodified.
S=$(cd "$(dirname "$0")/.." && pwd)/build/servers
[ -x "$S/usr/bin/memcached" ] && [ -x "$S/usr/sbin/nginx" ] &&
	[ -L "$S/usr/bin/redis-server" ] && exit 0
echo "osprey: unpacking memcached, redis-server and nginx into $S" >&2
mkdir -p "$S/debs"
cd "$S/debs"
apt-get download -q memcached redis-server nginx >/dev/null 2>&1 || {
	$SUDO apt-get update -q >/dev/null
	apt-get download -q memcached redis-server nginx >/dev/null
}
for d in memcached_*.deb redis-server_*.deb nginx_*.deb; do dpkg -x "$d" "$S"; done
# The package's link is relative (redis-check-rdb, of redis-tools).
ln -sfn /usr/bin/redis-check-rdb "$S/usr/bin/redis-server"
