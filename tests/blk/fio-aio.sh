#!/usr/bin/env bash
# Debian's fio, unmodified, with its libaio engine (io_setup, io_submit,
# io_getevents through libaio's user-space ring reap) at queue depth 32
# on O_DIRECT: random writes with an fsync every 32 (IOCB_CMD_FSYNC), then
# every block read back and checked (crc32c), a mixed random read/write
# job, and fio's own exit status. On the host first (a file, when its file
# system takes O_DIRECT), then in Osprey on a virtio-blk disk
# (`osprey run --disk`). Prints PASS/FAIL per run and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
mkdir -p "$LOGS"
passed=0 failed=0
pass() { echo "PASS blk-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL blk-$1: $2"; failed=$((failed + 1)); }
FIO=$(command -v fio || true)
if [ -z "$FIO" ]; then
	echo "SKIP blk-fio-aio: no fio on the host (apt-get install fio)"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d /var/tmp/osprey-fio.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The jobs, for a target file $1: fio exits non-zero on an I/O or
# verification error.
jobs() {
	local common=(--thread --filename="$1" --ioengine=libaio --direct=1
		--iodepth=32 --bs=4k --size=4m --randrepeat=1 --norandommap)
	echo "--name=verify ${common[*]} --rw=randwrite --fsync=32 --verify=crc32c --do_verify=1 --verify_state_save=0"
	echo "--name=mixed ${common[*]} --rw=randrw --rwmixread=50 --number_ios=2048"
}

# ok LOG: both jobs ran on libaio at depth 32 without an error.
ok() {
	[ "$(grep -ac 'ioengine=libaio, iodepth=32' "$1")" = 2 ] &&
		[ "$(grep -acE ': \(groupid=0, jobs=1\): err= 0' "$1")" = 2 ] &&
		! grep -aqiE 'verify: bad|fio: .*(error|fail)' "$1"
}

run_host() {
	local log=$LOGS/fio-aio-host.log img=$tmp/host.img
	truncate -s 16M "$img"
	if ! dd if=/dev/zero of="$img" bs=4096 count=1 oflag=direct conv=notrunc 2>/dev/null; then
		echo "SKIP blk-fio-aio-host: $tmp does not take O_DIRECT"
		return
	fi
	: >"$log"
	while read -r args; do
		timeout 120 "$FIO" $args >>"$log" 2>&1 || { fail fio-aio-host "fio failed, see $log"; return; }
	done < <(jobs "$img")
	if ok "$log"; then pass fio-aio-host; else fail fio-aio-host "see $log"; fi
}

run_guest() { # NAME CPUS
	local log=$LOGS/fio-aio-$1.log img=$tmp/$1.img rc=0
	: >"$log"
	while read -r args; do
		rm -f "$img"
		timeout 600 "$BUILD/osprey" run -c "$2" -m 512 --timeout 400 \
			--disk "$img::16M" -- /usr/bin/fio $args </dev/null >>"$log" 2>&1 || rc=$?
	done < <(jobs /dev/vda)
	if [ "$rc" = 0 ] && ok "$log"; then pass "fio-aio-$1"; else fail "fio-aio-$1" "exit status $rc, see $log"; fi
}

run_host
run_guest osprey-smp1 1
run_guest osprey-smp4 4
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
