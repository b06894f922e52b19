#!/usr/bin/env bash
# Disk I/O in Osprey: bench/blk_bench.c (sequential 1 MiB write and read,
# random 4 KiB read and write, one request in flight, O_DIRECT) on
# /dev/vda, a raw sparse file of DISK_MB (256) attached with
# `osprey run --disk FILE::SIZE,cache=CACHE` (BLK_CACHE, default
# writeback), one vCPU, under the accelerator `osprey run` picks.
#
# Not yet side by side with the Linux guest: its runner
# (../shared/bench/linux-guest) attaches no disk and loads no virtio_blk
# module in its `extra` step, and Debian's fio, which the issue names,
# needs SysV shared memory (shmget, even with --thread) that Osprey lacks;
# blk_bench is static, so once the runner takes a disk the same binary
# runs there (EXTRA_BINS).
#
#   bench/blk.sh              # prints "blk NAME VALUE UNIT" lines
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DISK_MB=${DISK_MB:-256}
SEQ_MB=${SEQ_MB:-64}
RAND_OPS=${RAND_OPS:-2000}
BLK_CACHE=${BLK_CACHE:-writeback}
mkdir -p "$BUILD/blk"
gcc -O2 -static -o "$BUILD/blk/blk_bench" bench/blk_bench.c || exit 1
img=$(mktemp /tmp/osprey-blk-bench.XXXXXX)
rm -f "$img"
trap 'rm -f "$img"' EXIT
echo "blk: Osprey, microvm, 1 vCPU, virtio-blk-device, cache=$BLK_CACHE, $DISK_MB MiB raw"
timeout 900 "$BUILD/osprey" run --timeout 600 \
	--disk "$img::${DISK_MB}M,cache=$BLK_CACHE" -- \
	"$BUILD/blk/blk_bench" /dev/vda "$SEQ_MB" "$RAND_OPS" 2>&1 | grep -a '^blk '
