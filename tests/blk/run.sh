#!/usr/bin/env bash
# Disks: tests/blk/blkio.c on the host first (a loop device over a file,
# when we may make one), then unchanged in Osprey on a virtio-blk disk,
# and the host checks the image's bytes after the VM is gone.
#
#   host-rw, host-ro   the same program on /dev/loopN (major 7; -r: RO)
#   microvm-rw         virtio-blk-device (virtio-mmio), 4 vCPUs
#   q35-rw             virtio-blk-pci with a queue per vCPU (4), MSI-X
#   pc-rw-writeback    virtio-blk-pci, port I/O, cache=writeback, 1 vCPU
#   microvm-ro, q35-ro a read-only disk (readonly=on): reads the host's
#                      pattern, writes fail with EPERM as on Linux
#   selftest-microvm, selftest-q35   the kernel's blk_required self-test
#                      (block/tests): 600 asynchronous requests at once,
#                      more than a ring holds, FUA, the refused requests
#   cli-run            `osprey run --disk FILE::16M` makes the file and
#                      runs blkio on it (2 vCPUs), then `--disk FILE,ro`
#   cli-disk           `osprey disk create --ext4`, cp in and out, check,
#                      FILE:PATH mounts it (cat a file the host put
#                      there); the messages for a missing file and a
#                      mount point with a blank
# Prints PASS/FAIL per run and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
KERNEL=$BUILD/osprey.elf
SIZE=$((64 << 20))
mkdir -p "$LOGS"
make -s "$BUILD/blk/blkio" || exit 1
passed=0 failed=0
pass() { echo "PASS blk-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL blk-$1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ok NAME LOG: the program's lines say it all passed.
ok() {
	! grep -aq '^FAIL' "$2" && grep -aqE '^abi blkio(-ro)?: [0-9]+ passed, 0 failed' "$2"
}

fresh() { rm -f "$1"; truncate -s "$SIZE" "$1"; }

host() {
	local img=$tmp/host.img loop log=$LOGS/host-rw.log
	fresh "$img"
	if [ "$(id -u)" != 0 ] || ! loop=$(losetup --find --show "$img" 2>/dev/null); then
		echo "SKIP blk-host: no loop device here (needs root and /dev/loop*)"
		return
	fi
	"$BUILD/blk/blkio" rw "$loop" "$SIZE" 7 >"$log" 2>&1
	losetup -d "$loop"
	if ok host-rw "$log" && "$BUILD/blk/blkio" verify "$img" "$SIZE" >>"$log"; then
		pass host-rw
	else
		fail host-rw "see $log"
	fi
	log=$LOGS/host-ro.log
	loop=$(losetup -r --find --show "$img")
	"$BUILD/blk/blkio" ro "$loop" "$SIZE" 7 >"$log" 2>&1
	losetup -d "$loop"
	if ok host-ro "$log"; then pass host-ro; else fail host-ro "see $log"; fi
}

# guest NAME MACHINE SMP MODE DRIVE-OPTS [grep pattern for the log]
guest() {
	local name=$1 machine=$2 smp=$3 mode=$4 opts=$5 want=${6:-} img=$tmp/$1.img
	local log=$LOGS/$name.log dev=virtio-blk-pci extra=() rc
	if [ "$mode" = ro ]; then
		fresh "$img"
		"$BUILD/blk/blkio" fill "$img" "$SIZE" >/dev/null
	else
		fresh "$img"
	fi
	if [ "$machine" = microvm ]; then
		dev=virtio-blk-device
		extra=(--qemu-arg -global --qemu-arg virtio-mmio.force-legacy=false)
	fi
	timeout 600 tools/qemu-run --quiet --machine "$machine" --smp "$smp" \
		--timeout "${BLK_TIMEOUT:-240}" --initrd "$tmp/blkio.cpio" "${extra[@]}" \
		--qemu-arg -drive --qemu-arg "file=$img,if=none,id=d0,format=raw,$opts" \
		--qemu-arg -device --qemu-arg "$dev,drive=d0" \
		"$KERNEL" --verbose -- /blkio "$mode" /dev/vda "$SIZE" 254 >"$log" 2>&1
	rc=$?
	if [ "$rc" != 0 ] || ! ok "$name" "$log"; then
		fail "$name" "exit status $rc, see $log"
	elif [ -n "$want" ] && ! grep -aqE "$want" "$log"; then
		fail "$name" "the log lacks /$want/ ($log)"
	elif [ "$mode" = rw ] && ! "$BUILD/blk/blkio" verify "$img" "$SIZE" >>"$log"; then
		fail "$name" "the image's bytes differ after the VM ($log)"
	else
		pass "$name"
	fi
}

host
tests/mkinitrd.sh "$tmp/blkio.cpio" "$BUILD/blk/blkio:/blkio" >/dev/null
guest microvm-rw microvm 4 rw cache=none 'vda: virtio-blk mmio'
guest q35-rw q35 4 rw cache=none 'vda: virtio-blk pci .*4 queues'
guest pc-rw-writeback pc 1 rw cache=writeback 'vda: virtio-blk pci .*1 queue,.*flush'
guest microvm-ro microvm 1 ro readonly=on 'read-only'
guest q35-ro q35 2 ro readonly=on 'read-only'
cli_run() {
	local img=$tmp/cli.img log=$LOGS/cli-run.log
	"$BUILD/osprey" run -c 2 --timeout 240 --disk "$img::16M" -- \
		"$BUILD/blk/blkio" rw /dev/vda $((16 << 20)) 254 >"$log" 2>&1 &&
		ok cli-run "$log" &&
		"$BUILD/blk/blkio" verify "$img" $((16 << 20)) >>"$log" &&
		"$BUILD/osprey" run --machine q35 --timeout 240 --disk "$img,ro" -- \
			"$BUILD/blk/blkio" ro /dev/vda $((16 << 20)) 254 >>"$log" 2>&1 &&
		grep -aq '^abi blkio-ro: [0-9]* passed, 0 failed' "$log" &&
		pass cli-run || fail cli-run "see $log"
}

cli_disk() {
	local img=$tmp/e.img log=$LOGS/cli-disk.log o=$BUILD/osprey
	echo "hello from the host" >"$tmp/in.txt"
	{
		$o disk create "$img" 32M --ext4 &&
			$o disk cp "$tmp/in.txt" "$img:/in.txt" &&
			$o disk cp "$img:/in.txt" "$tmp/out.txt" &&
			cmp "$tmp/in.txt" "$tmp/out.txt" && $o disk check "$img" &&
			! $o disk cp "$img:/missing" "$tmp/none" &&
			! $o run --disk "$tmp/none.img" -- /bin/true &&
			$o run --disk "$img:/data" -- /bin/cat /data/in.txt &&
			! $o run --disk "$img:/da ta" -- /bin/true
	} >"$log" 2>&1
	if [ $? = 0 ] && grep -q 'no such file (give a size' "$log" &&
		grep -q '^hello from the host' "$log" &&
		grep -q "may not hold commas" "$log"; then
		pass cli-disk
	else
		fail cli-disk "see $log"
	fi
}

# selftest NAME MACHINE SMP DEVICE
selftest() {
	local img=$tmp/$1.img log=$LOGS/$1.log extra=()
	fresh "$img"
	[ "$2" = microvm ] && extra=(--qemu-arg -global --qemu-arg virtio-mmio.force-legacy=false)
	timeout 600 tools/qemu-run --quiet --machine "$2" --smp "$3" \
		--timeout "${BLK_TIMEOUT:-240}" "${extra[@]}" \
		--qemu-arg -drive --qemu-arg "file=$img,if=none,id=d0,format=raw" \
		--qemu-arg -device --qemu-arg "$4,drive=d0" \
		"$KERNEL" --test=blk_required >"$log" 2>&1
	if [ $? = 0 ] && grep -aq 'selftests: 1 passed, 0 failed' "$log"; then
		pass "$1"
	else
		fail "$1" "see $log"
	fi
}
selftest selftest-microvm microvm 2 virtio-blk-device
selftest selftest-q35 q35 4 virtio-blk-pci

if [ -x "$BUILD/osprey" ]; then
	cli_run
	cli_disk
else
	fail cli "$BUILD/osprey not built (make cli)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
