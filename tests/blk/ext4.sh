#!/usr/bin/env bash
# ext4 on a disk, through the VFS (fs/ext4_vfs.c), with the host's
# e2fsprogs as the judge of what Osprey wrote.
#
#   host              tests/abi/ext4io.c writes and verifies on the host
#   guest-write       `osprey run --disk IMG:/data:64M` (mke2fs makes IMG)
#                     runs ext4io write on /data (statfs says ext4)
#   fsck              e2fsck -fn finds the image clean
#   debugfs           debugfs reads back the bytes ext4io wrote
#   guest-verify      a second boot (dynamic build) reads it all back
#   mounts            /proc/mounts shows /dev/vda on /data
#   ro                with ,ro: mounted ro, verify passes, writes EROFS
#   mmapio            tests/abi/mmapio.c on /data (MAP_SHARED writes
#                     beside read() and msync, the page cache's), then
#                     debugfs reads the file back as the host's run left it
#   exec-static, exec-dynamic   hello copied onto the disk runs from it
#                     (its pages mapped from ext4's page cache)
#   sqlite            Debian's sqlite3: create and insert in one boot,
#                     select prints the row in the next; e2fsck clean
#   sqlite-integrity  a table of 2000 rows with an index built in one
#                     boot; PRAGMA integrity_check says ok in the next
#   fsx               tests/abi/fsx.c: 3000 seeded random operations on
#                     /data against a model; e2fsck clean after
#   replay            a journal that needs replay (written by debugfs on
#                     the host): the boot replays it, e2fsck is clean,
#                     needs_recovery is off and the block is home
#   corrupt-magic, corrupt-csum   a broken superblock / descriptor: the
#                     boot stops with a mount error naming the problem
# Prints PASS/FAIL per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
O=$BUILD/osprey
T=${EXT4_TIMEOUT:-240}
mkdir -p "$LOGS"
make -s "$BUILD/abi/static/ext4io" "$BUILD/abi/dynamic/ext4io" \
	"$BUILD/abi/static/mmapio" "$BUILD/abi/dynamic/mmapio" \
	"$BUILD/abi/static/fsx" "$BUILD/abi/static/mount" || exit 1
passed=0 failed=0
pass() { echo "PASS ext4-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL ext4-$1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=$tmp/data.img

# check NAME LOG: ext4io's closing line says nothing failed.
check() {
	if ! grep -aq '^FAIL' "$2" && grep -aqE '^abi ext4io: [0-9]+ passed, 0 failed' "$2"; then
		pass "$1"
	else
		fail "$1" "see $2"
	fi
}

mkdir "$tmp/host"
{ "$BUILD/abi/static/ext4io" "$tmp/host" write &&
	"$BUILD/abi/static/ext4io" "$tmp/host" verify; } >"$LOGS/ext4-host.log" 2>&1
check host "$LOGS/ext4-host.log"

timeout 600 "$O" run --timeout "$T" --disk "$img:/data:64M" -- \
	"$BUILD/abi/static/ext4io" /data write ext4 >"$LOGS/ext4-write.log" 2>&1
check guest-write "$LOGS/ext4-write.log"

if e2fsck -fn "$img" >"$LOGS/ext4-fsck.log" 2>&1; then pass fsck; else fail fsck "see $LOGS/ext4-fsck.log"; fi

dbg() { debugfs -R "$1" "$img" 2>/dev/null; }
if [ "$(dbg 'cat /hello.txt')" = "hello, ext4" ] &&
	[ "$(dbg 'cat /sub/dir/nested.txt')" = "deep" ] &&
	dbg 'dump /big.bin '"$tmp/big.out" && cmp "$tmp/big.out" "$tmp/host/big.bin" &&
	dbg 'dump /trunc.bin '"$tmp/trunc.out" && cmp "$tmp/trunc.out" "$tmp/host/trunc.bin" &&
	dbg 'stat /link' | grep -q 'Fast link dest: "hello.txt"' &&
	! dbg 'ls -l /' | grep -q 'gone'; then
	pass debugfs
else
	fail debugfs "the image's files differ from the host's run"
fi

timeout 600 "$O" run --timeout "$T" --disk "$img:/data" -- \
	"$BUILD/abi/dynamic/ext4io" /data verify >"$LOGS/ext4-verify.log" 2>&1
check guest-verify "$LOGS/ext4-verify.log"

log=$LOGS/ext4-mounts.log
timeout 600 "$O" run --timeout "$T" --disk "$img:/data" -- /bin/cat /proc/mounts >"$log" 2>&1
if grep -aq '^/dev/vda /data ext4 rw 0 0' "$log"; then pass mounts; else fail mounts "see $log"; fi

log=$LOGS/ext4-ro.log
{ timeout 600 "$O" run --timeout "$T" --disk "$img:/data,ro" -- /bin/cat /proc/mounts &&
	timeout 600 "$O" run --timeout "$T" --disk "$img:/data,ro" -- \
		"$BUILD/abi/static/ext4io" /data verify &&
	! timeout 600 "$O" run --timeout "$T" --disk "$img:/data,ro" -- /bin/mkdir /data/x; } >"$log" 2>&1
if grep -aq '^/dev/vda /data ext4 ro' "$log" && grep -aq 'Read-only file system' "$log" &&
	grep -aqE '^abi ext4io: [0-9]+ passed, 0 failed' "$log"; then
	pass ro
else
	fail ro "see $log"
fi

log=$LOGS/ext4-mmapio.log
mkdir "$tmp/mm"
if "$BUILD/abi/static/mmapio" "$tmp/mm" >"$log" 2>&1 &&
	timeout 600 "$O" run --timeout "$T" --disk "$img:/data" -- \
		"$BUILD/abi/dynamic/mmapio" /data >>"$log" 2>&1 &&
	grep -aqE '^abi mmapio: [0-9]+ passed, 0 failed' "$log" &&
	dbg 'dump /mmapio.bin '"$tmp/mm.out" && cmp "$tmp/mm.out" "$tmp/mm/mmapio.bin" &&
	e2fsck -fn "$img" >>"$log" 2>&1; then
	pass mmapio
else
	fail mmapio "see $log"
fi

# Programs run from the disk: the loader and ld.so map their pages from
# ext4's page cache. `osprey disk cp` puts them there; busybox's shell
# (static) execs them; --add brings the dynamic one's libraries.
for v in static dynamic; do
	log=$LOGS/ext4-exec-$v.log
	{ "$O" disk cp "$BUILD/apps/hello-$v" "$img:/hello-$v" &&
		timeout 600 "$O" run --timeout "$T" --disk "$img:/data" \
			--add "$BUILD/apps/hello-dynamic:/lib-bringer" -- \
			/bin/busybox sh -c "/data/hello-$v from-disk"; } >"$log" 2>&1
	if grep -aq '^argv\[1\] = from-disk' "$log"; then
		pass exec-$v
	else
		fail exec-$v "see $log"
	fi
done

log=$LOGS/ext4-sqlite.log
if [ -x /usr/bin/sqlite3 ]; then
	db=$tmp/sql.img
	{ timeout 600 "$O" run --timeout "$T" --disk "$db:/data:64M" -- /usr/bin/sqlite3 /data/t.db \
		'create table t(a); insert into t values(1);' &&
		timeout 600 "$O" run --timeout "$T" --disk "$db:/data" -- /usr/bin/sqlite3 /data/t.db \
			'select * from t;' >"$tmp/sql.out" && e2fsck -fn "$db"; } >"$log" 2>&1
	if [ $? = 0 ] && [ "$(tr -d '\r' <"$tmp/sql.out")" = 1 ]; then
		pass sqlite
	else
		fail sqlite "see $log (select printed '$(cat "$tmp/sql.out" 2>/dev/null)')"
	fi
else
	echo "SKIP ext4-sqlite: no /usr/bin/sqlite3 (tools/deps.sh installs it)"
fi

log=$LOGS/ext4-sqlite-integrity.log
if [ -x /usr/bin/sqlite3 ]; then
	db=$tmp/sqli.img
	{ timeout 600 "$O" run --timeout "$T" --disk "$db:/data:64M" -- /usr/bin/sqlite3 /data/i.db \
		'create table t(a integer primary key, b text); with recursive c(x) as (select 1 union all select x + 1 from c where x < 2000) insert into t select x, hex(randomblob(40)) from c; create index tb on t(b);' &&
		timeout 600 "$O" run --timeout "$T" --disk "$db:/data" -- /usr/bin/sqlite3 /data/i.db \
			'pragma integrity_check; select count(*) from t;' >"$tmp/sqli.out" && e2fsck -fn "$db"; } >"$log" 2>&1
	if [ $? = 0 ] && [ "$(tr -d '\r' <"$tmp/sqli.out" | tr '\n' ' ')" = "ok 2000 " ]; then
		pass sqlite-integrity
	else
		fail sqlite-integrity "see $log (printed '$(cat "$tmp/sqli.out" 2>/dev/null)')"
	fi
else
	echo "SKIP ext4-sqlite-integrity: no /usr/bin/sqlite3"
fi

log=$LOGS/ext4-fsx.log
{ timeout 600 "$O" run --timeout "$T" --disk "$tmp/fsx.img:/data:64M" -- \
	"$BUILD/abi/static/fsx" /data 3000 42 && e2fsck -fn "$tmp/fsx.img"; } >"$log" 2>&1
if [ $? = 0 ] && ! grep -aq '^FAIL' "$log" && grep -aqE '^abi fsx: [0-9]+ passed, 0 failed' "$log"; then
	pass fsx
else
	fail fsx "see $log"
fi

log=$LOGS/ext4-replay.log
jimg=$tmp/j.img
head -c 4096 /dev/urandom >"$tmp/jblk"
{ mke2fs -F -q -t ext4 -b 4096 "$jimg" 32M &&
	printf 'jo -c\njw -b 5000 %s\njc\n' "$tmp/jblk" | debugfs -w -f - "$jimg" &&
	dumpe2fs -h "$jimg" | grep -q needs_recovery &&
	timeout 600 "$O" run --timeout "$T" --disk "$jimg:/data" -- /bin/true &&
	e2fsck -fn "$jimg" && ! dumpe2fs -h "$jimg" 2>/dev/null | grep -q needs_recovery &&
	dd if="$jimg" bs=4096 skip=5000 count=1 2>/dev/null | cmp - "$tmp/jblk"; } >"$log" 2>&1
if [ $? = 0 ]; then pass replay; else fail replay "see $log"; fi

# Readahead (fs/pagecache.c): a 24 MiB file read in order (md5sum; dd
# in 1000-byte reads, unaligned to pages) and at a spot out of order
# gives the host's checksums (bench/blk.sh's seq-read row shows the
# speed).
log=$LOGS/ext4-readahead.log
head -c $((24 << 20)) /dev/urandom >"$tmp/big"
want=$(md5sum <"$tmp/big" | cut -d' ' -f1)
want_mid=$(dd if="$tmp/big" bs=4096 skip=3001 count=7 2>/dev/null | md5sum | cut -d' ' -f1)
{ "$O" disk cp "$tmp/big" "$img:/big" &&
	timeout 600 "$O" run --timeout "$T" --disk "$img:/data" -- /bin/busybox sh -c \
		'md5sum /data/big; dd if=/data/big bs=1000 2>/dev/null | md5sum;
		dd if=/data/big bs=4096 skip=3001 count=7 2>/dev/null | md5sum'; } >"$log" 2>&1
if [ "$(grep -ac "^$want" "$log")" = 2 ] && grep -aq "^$want_mid" "$log"; then
	pass readahead
else
	fail readahead "want $want twice and $want_mid; see $log"
fi

# mount(2)/umount2(2) of the disk from inside (tests/abi/mount.c with
# a device): written, unmounted, mounted read-only and read back; the
# image is clean afterwards and holds the file.
log=$LOGS/ext4-mount-syscall.log
{ rm -f "$tmp/m.img" && truncate -s 16M "$tmp/m.img" && mke2fs -q -t ext4 "$tmp/m.img" &&
	timeout 600 "$O" run --timeout "$T" --disk "$tmp/m.img" -- \
		"$BUILD/abi/static/mount" /dev/vda /tmp/abi-mnt-e &&
	e2fsck -fn "$tmp/m.img" &&
	debugfs -R "cat /abi-mount-f" "$tmp/m.img" | grep -q "on disk"; } >"$log" 2>&1
if [ $? = 0 ] && ! grep -aq '^FAIL' "$log" && grep -aqE '^abi mount: [0-9]+ passed, 0 failed' "$log"; then
	pass mount-syscall
else
	fail mount-syscall "see $log"
fi

# corrupt NAME OFFSET BYTES WANT: the image with BYTES (printf escapes)
# at OFFSET must stop the boot with WANT in the message.
corrupt() {
	local bad=$tmp/$1.img log=$LOGS/ext4-$1.log
	cp "$img" "$bad"
	printf "$3" | dd of="$bad" bs=1 seek="$2" conv=notrunc 2>/dev/null
	timeout 600 "$O" run --timeout "$T" --disk "$bad:/data" -- /bin/true >"$log" 2>&1
	local rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -aq "$4" "$log" &&
		grep -aq 'cannot mount vda on /data' "$log" && ! grep -aq panic "$log"; then
		pass "$1"
	else
		fail "$1" "exit status $rc, see $log"
	fi
}
corrupt corrupt-magic $((1024 + 0x38)) '\0\0' 'no ext2/3/4 magic'
corrupt corrupt-csum $((2048 + 8)) '\377\377\377\377' 'descriptor checksum'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
