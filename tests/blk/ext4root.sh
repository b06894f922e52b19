#!/usr/bin/env bash
# The root file system on a disk: `osprey build --format ext4` (mke2fs -d
# from the tree the initramfs would carry), booted by `osprey run
# --format ext4` as /dev/vda mounted on "/", its files read on demand.
#
#   image          the built image passes e2fsck -fn and holds the program
#   hello-static, hello-dynamic   run from the ext4 root (argv checked)
#   layout         /proc/mounts shows /dev/vda on / as ext4 with devtmpfs,
#                  proc and a tmpfs /tmp over it; /tmp is writable; ".."
#                  of "/" is "/"
#   python3        python3 runs from an ext4 root with -m below the bytes
#                  its image's files take (measured from the image), where
#                  the initramfs root cannot even unpack
# Prints PASS/FAIL per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
O=$BUILD/osprey
T=${EXT4ROOT_TIMEOUT:-240}
mkdir -p "$LOGS"
make -s "$BUILD/apps/hello-static" "$BUILD/apps/hello-dynamic" || exit 1
passed=0 failed=0
pass() { echo "PASS ext4root-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL ext4root-$1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log=$LOGS/ext4root-image.log
{ "$O" build --format ext4 -o "$tmp/hello.ext4" "$BUILD/apps/hello-static" &&
	e2fsck -fn "$tmp/hello.ext4" &&
	debugfs -R "stat $(realpath "$BUILD/apps/hello-static")" "$tmp/hello.ext4" |
	grep -q "Size: $(stat -c %s "$BUILD/apps/hello-static")"; } >"$log" 2>&1
if [ $? = 0 ]; then pass image; else fail image "see $log"; fi

for v in static dynamic; do
	log=$LOGS/ext4root-hello-$v.log
	timeout 600 "$O" run --format ext4 --timeout "$T" -- \
		"$BUILD/apps/hello-$v" from-ext4 >"$log" 2>&1
	if grep -aq '^argv\[1\] = from-ext4' "$log"; then
		pass "hello-$v"
	else
		fail "hello-$v" "see $log"
	fi
done

log=$LOGS/ext4root-layout.log
timeout 600 "$O" run --format ext4 --timeout "$T" -- /bin/busybox sh -c \
	'cat /proc/mounts; echo w >/tmp/w && cat /tmp/w; cd /..; echo "cwd=$(pwd)"; ls /dev/null' \
	>"$log" 2>&1
if grep -aq '^/dev/vda / ext4 rw' "$log" && grep -aq '^devtmpfs /dev devtmpfs' "$log" &&
	grep -aq '^proc /proc proc' "$log" && grep -aq '^tmpfs /tmp tmpfs' "$log" &&
	grep -aq '^w$' "$log" && grep -aq '^cwd=/$' "$log" &&
	grep -aq '^/dev/null' "$log" && ! grep -aq rootfs "$log"; then
	pass layout
else
	fail layout "see $log"
fi

# python3 with less memory than its files: the image's used blocks
# (dumpe2fs), minus a quarter, as -m.
log=$LOGS/ext4root-python3.log
if [ -x /usr/bin/python3 ]; then
	{ "$O" build --format ext4 -o "$tmp/py.ext4" /usr/bin/python3 &&
		blocks=$(dumpe2fs -h "$tmp/py.ext4" 2>/dev/null | awk -F: '
			/^Block count/ {n = $2} /^Free blocks/ {f = $2}
			/^Block size/ {b = $2} END {print int((n - f) * b / 1048576)}') &&
		mem=$((blocks * 3 / 4)) && echo "image uses $blocks MiB; -m $mem" &&
		timeout 600 "$O" run --format ext4 -m "$mem" --timeout "$T" -- \
			/usr/bin/python3 -c 'import json, sys; print("py", json.dumps([sys.version_info[0]]))' &&
		echo "initramfs root at -m $mem:" &&
		! timeout 600 "$O" run -m "$mem" --timeout "$T" -- /usr/bin/python3 -c 'print("fits")'; } >"$log" 2>&1
	if [ $? = 0 ] && grep -aq '^py \[3\]' "$log" && ! grep -aq '^fits' "$log"; then
		pass python3
	else
		fail python3 "see $log"
	fi
else
	fail python3 "no /usr/bin/python3 on this host"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
