#!/usr/bin/env bash
# Disk I/O, Osprey against the Linux guest (../shared/bench/linux-guest:
# Debian's kernel, PVH, its virtio_blk module), the same QEMU, the same
# accelerator, microvm, one vCPU, MEM_MB (512) each, the same disk: a raw
# sparse file of DISK_MB (512) as virtio-blk-device with cache=BLK_CACHE
# (writeback), made afresh for every boot. Two programs, each in a boot
# of its own in each guest, on /dev/vda:
#
#   blk_bench  bench/blk_bench.c, static, the same binary in both: O_DIRECT,
#              one request in flight, sequential 1 MiB write and read of
#              SEQ_MB (256) MiB, RAND_OPS (2000) random 4 KiB reads and
#              writes (MiB/s, IOPS)
#   fio        Debian's /usr/bin/fio, unmodified, with its libraries, run
#              as `fio --thread` on the job file bench/blk.fio: sequential
#              1 MiB write and read over SEQ_MB MiB, random 4 KiB read and
#              write, each for FIO_TIME (5) s, random at queue depth 1 and 32
#              (32 psync threads: Osprey has no io_setup for libaio, and a
#              synchronous engine such as pvsync2 keeps one request in
#              flight whatever iodepth says; see the job file)
#
# Osprey boots each program with `osprey run --disk`; the Linux guest
# boots tests/net/linux-init from an initramfs holding busybox, the
# virtio modules plus virtio_blk, blk_bench and fio with its libraries,
# the program given on its command line. A figure that is missing prints
# n/a; the table never stops on one.
#
# Wall-clock figures under TCG are emulated time (DESIGN.md section 9):
# compare them as ratios, on an otherwise idle host.
#
#   bench/blk.sh              # the table (appended to build/bench/results.txt)
#
# Knobs: LINUX=0 (skip the Linux guest), OSPREY=0, FIO=0 (skip fio),
# DISK_MB, SEQ_MB, RAND_OPS, FIO_TIME, BLK_CACHE (writeback|none|unsafe),
# MEM_MB. Logs in build/bench/blk-*.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
DISK_MB=${DISK_MB:-512}
SEQ_MB=${SEQ_MB:-256}
RAND_OPS=${RAND_OPS:-2000}
FIO_TIME=${FIO_TIME:-5}
BLK_CACHE=${BLK_CACHE:-writeback}
MEM_MB=${MEM_MB:-512}
LINUX=${LINUX:-1}
OSPREY=${OSPREY:-1}
FIO=${FIO:-1}
TIMEOUT=${TIMEOUT:-600}
FIO_BIN=$(command -v fio || true)
source tests/net/lib.sh
mkdir -p "$OUT"
gcc -O2 -static -o "$OUT/blk_bench" bench/blk_bench.c || exit 1
[ -n "$FIO_BIN" ] || { FIO=0; echo "blk.sh: no fio on the host (apt-get install fio): fio rows skipped" >&2; }
[ -x "$BUILD/osprey" ] && [ -r "$BUILD/osprey.elf" ] || OSPREY=0
img=$(mktemp /tmp/osprey-blk-bench.XXXXXX)
trap 'rm -f "$img"' EXIT
FIO_ENV=(FIO_DEV=/dev/vda FIO_SEQ=${SEQ_MB}m FIO_TIME=$FIO_TIME)
BLK_ARGS=(/dev/vda "$SEQ_MB" "$RAND_OPS")
FIO_ARGS=(--thread --output-format=terse --terse-version=3 /blk.fio)

fresh_disk() {
	rm -f "$img"
	truncate -s "${DISK_MB}M" "$img"
}

# ---- Osprey: osprey run --disk, one boot per program ----
osprey_run() { # LOG PROGRAM ARGS...
	local log=$1 envs=() e
	shift
	for e in "${FIO_ENV[@]}"; do envs+=(--env "$e"); done
	fresh_disk
	timeout $((TIMEOUT + 60)) "$BUILD/osprey" run -m "$MEM_MB" --timeout "$TIMEOUT" \
		--disk "$img,cache=$BLK_CACHE" --add bench/blk.fio:/blk.fio \
		"${envs[@]}" -- "$@" >"$log" 2>&1
	echo "osprey: $* -> status $?" >>"$log"
}

# ---- the Linux guest: one initramfs, one boot per program ----
linux_blk_image() {
	local order=$OUT/blk-linux-load-order mods
	mods=$(ls -d "$LINUX_WORK"/kernel/lib/modules/*/kernel/drivers/block/virtio_blk.ko 2>/dev/null | head -1)
	[ -n "$mods" ] || { echo "no virtio_blk.ko under $LINUX_WORK/kernel" >&2; return 1; }
	{ cat "$LINUX_WORK/initrd-full/lib/modules/load-order"; echo virtio_blk; } >"$order"
	local fio=()
	[ "$FIO" = 1 ] && fio=("$FIO_BIN:/usr/bin/fio" bench/blk.fio:/blk.fio)
	linux_image "$OUT/blk-linux.cpio" "$order:/lib/modules/load-order" \
		"$mods:/lib/modules/virtio_blk.ko" "$OUT/blk_bench:/bin/blk_bench" "${fio[@]}"
}

linux_run() { # LOG PROGRAM ARGS...
	local log=$1
	shift
	fresh_disk
	LINUX_APPEND="${FIO_ENV[*]}" timeout $((TIMEOUT + 60)) tools/qemu-run --quiet \
		--machine microvm --smp 1 --mem "$MEM_MB" --timeout "$TIMEOUT" \
		--initrd "$OUT/blk-linux.cpio" \
		--qemu-arg -drive --qemu-arg "file=$img,if=none,id=disk0,format=raw,cache=$BLK_CACHE" \
		--qemu-arg -device --qemu-arg virtio-blk-device,drive=disk0 \
		--qemu-arg -global --qemu-arg virtio-mmio.force-legacy=false \
		"$LINUX_WORK/vmlinux" "$(LINUX_APPEND="${FIO_ENV[*]}" linux_cmdline microvm -- "$@")" \
		</dev/null >"$log" 2>&1
	local st # qemu-run's 125: the guest rebooted; /init printed the status
	st=$(grep -ao 'NETTEST-EXIT [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	echo "linux: $* -> status ${st:-none}" >>"$log"
}

# ---- figures ----
declare -A R # R[guest,row]
# blk_bench's "blk seqwrite-1M 123.4 MiB/s" and "blk randread-4K 567 IOPS ..."
parse_blk() { # GUEST LOG
	local name v
	while read -r _ name v _; do
		R[$1,bb-$name]=$v
	done < <(grep -a '^blk ' "$2" | tr -d '\r')
}
# fio's terse v3 lines: 3 the job, 7/8 read KiB/s and IOPS, 48/49 write's.
parse_fio() { # GUEST LOG
	local job rbw riops wbw wiops
	while IFS=';' read -r -a f; do
		job=${f[2]} rbw=${f[6]} riops=${f[7]} wbw=${f[47]} wiops=${f[48]}
		case $job in
		seq-read*) R[$1,fio-$job]=$(awk -v b="$rbw" 'BEGIN{printf "%.1f", b/1024}') ;;
		seq-write*) R[$1,fio-$job]=$(awk -v b="$wbw" 'BEGIN{printf "%.1f", b/1024}') ;;
		rand-read*) R[$1,fio-$job]=$riops ;;
		rand-write*) R[$1,fio-$job]=$wiops ;;
		esac
	done < <(grep -a '^3;fio-' "$2" | tr -d '\r')
}

for g in osprey linux; do
	[ "$g" = osprey ] && [ "$OSPREY" != 1 ] && continue
	if [ "$g" = linux ]; then
		[ "$LINUX" = 1 ] || continue
		linux_blk_image >"$OUT/blk-linux-image.log" 2>&1 || {
			echo "blk.sh: Linux guest image: $(tail -1 "$OUT/blk-linux-image.log")" >&2
			continue
		}
	fi
	run=${g}_run prefix=""
	[ "$g" = linux ] && prefix=/bin
	$run "$OUT/blk-$g-bench.log" "${prefix:-$OUT}/blk_bench" "${BLK_ARGS[@]}"
	parse_blk "$g" "$OUT/blk-$g-bench.log"
	if [ "$FIO" = 1 ]; then
		fio=$FIO_BIN
		[ "$g" = linux ] && fio=/usr/bin/fio
		$run "$OUT/blk-$g-fio.log" "$fio" "${FIO_ARGS[@]}"
		parse_fio "$g" "$OUT/blk-$g-fio.log"
	fi
done

accel=tcg
[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && accel=kvm
row() { # LABEL KEY: osprey, linux, osprey/linux (all rates: higher is better)
	local o=${R[osprey,$2]:-} l=${R[linux,$2]:-} r=n/a
	[ -n "$o" ] && [ -n "$l" ] && r=$(awk -v o="$o" -v l="$l" 'BEGIN { if (l > 0) printf "%.2fx", o / l; else print "n/a" }')
	printf '%-40s %10s %10s %10s\n' "$1" "${o:-n/a}" "${l:-n/a}" "$r"
}
{
	echo
	printf '%-40s %10s %10s %10s\n' "virtio-blk, microvm, 1 vCPU, $accel, cache=$BLK_CACHE" osprey linux "osprey x"
	row "blk_bench seq write 1 MiB (MiB/s)" bb-seqwrite-1M
	row "blk_bench seq read 1 MiB (MiB/s)" bb-seqread-1M
	row "blk_bench rand read 4 KiB qd1 (IOPS)" bb-randread-4K
	row "blk_bench rand write 4 KiB qd1 (IOPS)" bb-randwrite-4K
	if [ "$FIO" = 1 ]; then
		row "fio seq write 1 MiB (MiB/s)" fio-seq-write-1m
		row "fio seq read 1 MiB (MiB/s)" fio-seq-read-1m
		row "fio rand read 4 KiB qd1 (IOPS)" fio-rand-read-4k-qd1
		row "fio rand write 4 KiB qd1 (IOPS)" fio-rand-write-4k-qd1
		row "fio rand read 4 KiB qd32 (IOPS)" fio-rand-read-4k-qd32
		row "fio rand write 4 KiB qd32 (IOPS)" fio-rand-write-4k-qd32
	fi
	echo "(logs: $OUT/blk-*.log; qd32 = 32 psync threads, see bench/blk.fio)"
} | tee -a "$OUT/results.txt"
