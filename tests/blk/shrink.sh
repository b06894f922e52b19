#!/usr/bin/env bash
# The page cache's shrinker (fs/pagecache.c) under a guest of -m 64: an
# ext4 disk (made on the host with mke2fs -d) holds 200 MiB of random
# files; busybox md5sum reads them all twice in one boot. The sums must
# equal the host's both times, which they can only if clean cached pages
# are evicted (64 MiB cannot hold them: without eviction the cache runs
# the allocator dry and the reads fail). /proc/vmstat's pgsteal_direct,
# printed before and after, shows the shrinker ran.
#
#   shrink         both rounds of sums equal the host's
#   shrink-stolen  pgsteal_direct grew by at least 200 MiB's pages less
#                  the guest's memory
# Prints PASS/FAIL per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
O=$BUILD/osprey
T=${SHRINK_TIMEOUT:-480}
FILES=${SHRINK_FILES:-25} # of 8 MiB
mkdir -p "$LOGS"
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/d"
for i in $(seq -w 1 "$FILES"); do
	head -c $((8 << 20)) /dev/urandom >"$tmp/d/f$i"
done
(cd "$tmp/d" && md5sum f*) >"$tmp/want"
mke2fs -q -t ext4 -d "$tmp/d" "$tmp/disk.img" $((FILES * 8 + 64))M || exit 1
rm -rf "$tmp/d"

log=$LOGS/shrink.log
timeout 900 "$O" run -m 64 --timeout "$T" --disk "$tmp/disk.img:/data,ro" -- \
	/bin/busybox sh -c 'grep pgsteal_direct /proc/vmstat; cd /data &&
	md5sum f* >/tmp/one && md5sum f* >/tmp/two && sed "s/^/one /" /tmp/one &&
	sed "s/^/two /" /tmp/two; grep pgsteal_direct /proc/vmstat' >"$log" 2>&1
sums() { grep -a "^$1 " "$log" | cut -d' ' -f2- | tr -d '\r'; }
if [ "$(sums one)" = "$(cat "$tmp/want")" ] &&
	[ "$(sums two)" = "$(cat "$tmp/want")" ]; then
	pass shrink
else
	fail shrink "see $log"
fi
stolen=($(grep -a '^pgsteal_direct' "$log" | cut -d' ' -f2 | tr -d '\r'))
grown=$(( ${stolen[1]:-0} - ${stolen[0]:-0} ))
echo "pgsteal_direct: ${stolen[0]:-?} before, ${stolen[1]:-?} after ($grown pages evicted)"
if [ "${#stolen[@]}" = 2 ] && [ "$grown" -ge $(((FILES * 8 - 64) * 256)) ]; then
	pass shrink-stolen
else
	fail shrink-stolen "see $log"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
