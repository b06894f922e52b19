#!/usr/bin/env bash
# Host folders in the guest over virtio-9p (osprey run --share, fs/9p),
# with the host's own tools as the judge of what Osprey wrote.
#
#   host           tests/abi/share9p.c writes and verifies on the host
#   microvm        `osprey run --share DIR:/data` (virtio-mmio): share9p
#                  write (statfs says 9p), static build
#   microvm-host   the host verifies what the guest wrote, and the tree
#                  equals the one the host run made (diff -r)
#   q35, q35-host  the same over virtio-9p-pci, dynamic build
#   mounts         /proc/mounts shows share0 on /data as 9p
#   ro             with :ro the mount is ro, every change is EROFS, the
#                  files read back, and the host folder is unchanged
#   umount         busybox's umount/mount (umount2(2), mount(2)): busy
#                  while the shell is inside, then unmounted, mounted again
#                  by tag (the channel is free again) and remounted ro
#   exec           programs run from the share (the loader maps them from
#                  9p's page cache): a static and a dynamic hello, whose
#                  ld.so and libc the image carries (--add)
# Prints PASS/FAIL per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
O=$BUILD/osprey
T=${SHARE_TIMEOUT:-240}
mkdir -p "$LOGS"
make -s "$BUILD/abi/static/share9p" "$BUILD/abi/dynamic/share9p" || exit 1
passed=0 failed=0
pass() { echo "PASS share-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL share-$1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME LOG: share9p's closing line says nothing failed.
check() {
	if ! grep -aq '^FAIL' "$2" && grep -aqE '^abi share9p: [0-9]+ passed, 0 failed' "$2"; then
		pass "$1"
	else
		fail "$1" "see $2"
	fi
}

mkdir "$tmp/host"
{ "$BUILD/abi/static/share9p" "$tmp/host" write &&
	"$BUILD/abi/static/share9p" "$tmp/host" verify; } >"$LOGS/share-host.log" 2>&1
check host "$LOGS/share-host.log"

# guest NAME MACHINE BUILDKIND: write in the guest, then judge on the host.
guest() {
	local dir=$tmp/$1 log=$LOGS/share-$1.log
	mkdir "$dir"
	timeout 600 "$O" run --machine "$2" --timeout "$T" --share "$dir:/data" -- \
		"$BUILD/abi/$3/share9p" /data write 9p >"$log" 2>&1
	check "$1" "$log"
	log=$LOGS/share-$1-host.log
	{ "$BUILD/abi/static/share9p" "$dir" verify &&
		diff -r --no-dereference "$tmp/host" "$dir" &&
		[ "$(cat "$dir/hello.txt")" = "$(printf 'hello, 9p\nagain')" ] &&
		[ "$(stat -c %a "$dir/sub/dir")" = 700 ] &&
		[ "$(readlink "$dir/link")" = hello.txt ]; } >"$log" 2>&1
	if [ $? = 0 ]; then pass "$1-host"; else fail "$1-host" "see $log"; fi
}
guest microvm microvm static
guest q35 q35 dynamic

log=$LOGS/share-mounts.log
timeout 600 "$O" run --timeout "$T" --share "$tmp/host:/data" -- /bin/cat /proc/mounts >"$log" 2>&1
if grep -aq '^share0 /data 9p rw 0 0' "$log"; then pass mounts; else fail mounts "see $log"; fi

log=$LOGS/share-ro.log
before=$(ls -lR --time-style=+%s.%N "$tmp/host" | md5sum)
{ timeout 600 "$O" run --timeout "$T" --share "$tmp/host:/data:ro" -- /bin/cat /proc/mounts &&
	timeout 600 "$O" run --timeout "$T" --share "$tmp/host:/data:ro" -- \
		"$BUILD/abi/static/share9p" /data ro; } >"$log" 2>&1
if grep -aq '^share0 /data 9p ro' "$log" && ! grep -aq '^FAIL' "$log" &&
	grep -aqE '^abi share9p: [0-9]+ passed, 0 failed' "$log" &&
	[ "$before" = "$(ls -lR --time-style=+%s.%N "$tmp/host" | md5sum)" ]; then
	pass ro
else
	fail ro "see $log"
fi

log=$LOGS/share-umount.log
echo umount-me >"$tmp/host/um"
timeout 600 "$O" run --timeout "$T" --share "$tmp/host:/data" -- /bin/busybox sh -c \
	'cd /data; umount /data || echo busy-ok; cd /; umount /data &&
	[ ! -e /data/um ] && mount -t 9p -o trans=virtio share0 /data &&
	cat /data/um && mount -o remount,ro /data && ! touch /data/x 2>/dev/null &&
	grep 9p /proc/mounts' >"$log" 2>&1
if grep -aq '^busy-ok' "$log" && grep -aq '^umount-me' "$log" &&
	grep -aq '^share0 /data 9p ro' "$log" && [ ! -e "$tmp/host/x" ]; then
	pass umount
else
	fail umount "see $log"
fi

log=$LOGS/share-exec.log
mkdir "$tmp/bin"
cp "$BUILD/apps/hello-static" "$BUILD/apps/hello-dynamic" "$tmp/bin/"
libs=()
for lib in $(ldd "$BUILD/apps/hello-dynamic" | grep -o '/[^ ]*'); do
	libs+=(--add "$(readlink -f "$lib")") # the image's /lib is usr/lib
done
timeout 600 "$O" run --timeout "$T" "${libs[@]}" --share "$tmp/bin:/mnt:ro" -- \
	/bin/busybox sh -c '/mnt/hello-static s && /mnt/hello-dynamic d' >"$log" 2>&1
if grep -aq '^Hello from /mnt/hello-static on Osprey' "$log" &&
	grep -aq '^Hello from /mnt/hello-dynamic on Osprey' "$log" &&
	[ "$(grep -ac '^argv\[1\] = [sd]$' "$log")" = 2 ]; then
	pass exec
else
	fail exec "see $log"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
