#!/usr/bin/env bash
# Crash consistency of ext4 (the journal, fs/ext4/transaction.c): QEMU is
# killed (SIGKILL) at random moments while tests/blk/crashwrite.c appends
# records and fsyncs each one ("synced ROUND N"), and churns names.
#
#   host        crashwrite on the host's file system first
#   kill-R      boot R is killed at a random moment: most a random
#               0-2.9 s after its first synced record, one in four a
#               random 0-1.9 s after QEMU started (in the boot, the mount,
#               our replay of the last kill's journal). Then, on the image
#               as the kill left it:
#                 - without needs_recovery (killed between commits, the
#                   common case) `e2fsck -fn` must exit 0;
#                 - with it (killed inside a commit) `e2fsck -fn` cannot
#                   judge: it says it skips the journal and checks the
#                   metadata the journal is about to replace. So a copy
#                   goes through `e2fsck -fy`, whose output must name
#                   nothing but the journal's recovery (exit <= 1), and
#                   then `e2fsck -fn` on it must exit 0;
#               and debugfs finds every record boot R said was synced.
#               Boot R+1 replays the journal with our own code (at
#               mount), and crashwrite checks boot R's records first.
#   final       a boot that checks the last round and ends cleanly:
#               e2fsck -fn exits 0, no needs_recovery, and debugfs finds
#               every synced record of every round.
# KILLS (20) kills, the whole bounded by CRASH_BUDGET seconds; the seed
# is printed (CRASH_SEED replays the same kill times).
# Prints PASS/FAIL per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/blk/logs
O=$BUILD/osprey
KILLS=${KILLS:-20}
BUDGET=${CRASH_BUDGET:-90}
SEED=${CRASH_SEED:-$RANDOM}
mkdir -p "$LOGS"
make -s "$BUILD/blk/crashwrite" || exit 1
passed=0 failed=0
pass() { echo "PASS crash-$1"; passed=$((passed + 1)); }
fail() { echo "FAIL crash-$1: $2"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
vm= cli=
trap '[ -n "$vm" ] && kill -9 $vm 2>/dev/null; rm -rf "$tmp"' EXIT
img=$tmp/data.img
CW=$BUILD/blk/crashwrite
RANDOM=$SEED
echo "crash: seed $SEED"

mkdir "$tmp/host"
if "$CW" "$tmp/host" 1 400 >"$LOGS/crash-host.log" 2>&1 &&
	"$CW" "$tmp/host" 0 0 1 400 >>"$LOGS/crash-host.log" 2>&1 &&
	grep -q 'verified r1: 400' "$LOGS/crash-host.log"; then
	pass host
else
	fail host "see $LOGS/crash-host.log"
fi

mke2fs -F -q -t ext4 -b 4096 "$img" 64M >/dev/null || exit 1

# boot LOG ARGS...: crashwrite ARGS in the background; $vm is QEMU's pid.
boot() {
	local log=$1
	shift
	"$O" run --timeout 60 --disk "$img:/data" -- "$CW" /data "$@" >"$log" 2>&1 &
	cli=$!
	for _ in $(seq 200); do
		vm=$(pgrep -P "$cli" | head -1)
		[ -n "$vm" ] && return 0
		sleep 0.05
	done
	return 1
}

# fsck_after LOG: the image as the kill left it is clean (see the top);
# $checked is then the image debugfs should read.
fsck_after() {
	checked=$img
	if ! dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery; then
		e2fsck -fn "$img" >"$1" 2>&1
		return
	fi
	checked=$tmp/copy.img
	{ echo "needs_recovery: what e2fsck -fn says (not judged):"
		e2fsck -fn "$img" 2>&1 | head -20
		echo "(e2fsck -fn exit status ${PIPESTATUS[0]})"
		echo "needs_recovery: e2fsck -fy on a copy"; } >"$1"
	cp "$img" "$checked"
	e2fsck -fy "$checked" >>"$1" 2>&1
	[ $? -le 1 ] || return 1
	if sed '1,/^needs_recovery: e2fsck -fy/d' "$1" |
		grep -vE '^(e2fsck [0-9]|Pass [0-9A-Z]+:|.*: recovering journal|.*FILE SYSTEM WAS MODIFIED|.*: [0-9]+/[0-9]+ files|$)' | grep -q .; then
		return 1
	fi
	e2fsck -fn "$checked" >>"$1" 2>&1
}

# records_ok ROUND COUNT IMAGE: debugfs reads COUNT good records first.
records_ok() {
	[ "$2" = 0 ] && return 0
	debugfs -R "dump /r$1.log $tmp/r.out" "$3" >/dev/null 2>&1 || return 1
	python3 - "$tmp/r.out" "$1" "$2" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
r, want = int(sys.argv[2]), int(sys.argv[3])
for n in range(1, want + 1):
    rec = data[(n - 1) * 64:n * 64]
    head = ('r%d n%d ' % (r, n)).encode()
    if len(rec) != 64 or not rec.startswith(head) or rec[-1:] != b'\n':
        print('r%d: record %d is %r' % (r, n, rec[:24]))
        sys.exit(1)
print('r%d: %d records' % (r, want))
EOF
}

declare -A synced
start=$SECONDS
prev=0 kills=0
for r in $(seq 1 "$KILLS"); do
	if [ $((SECONDS - start)) -gt "$BUDGET" ]; then
		fail budget "only $kills kills in ${BUDGET}s"
		break
	fi
	log=$LOGS/crash-boot-$r.log
	if [ $prev = 0 ]; then
		boot "$log" "$r" 1000000
	else
		boot "$log" "$r" 1000000 "$prev" "${synced[$prev]}"
	fi || { fail "kill-$r" "QEMU did not start"; break; }
	if [ $((RANDOM % 4)) = 0 ]; then
		sleep "$((RANDOM % 2)).$((RANDOM % 10))"
	else
		for _ in $(seq 400); do
			grep -aq '^synced\|^FAIL\|cannot mount' "$log" && break
			kill -0 "$cli" 2>/dev/null || break
			sleep 0.05
		done
		sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	fi
	kill -9 "$vm" 2>/dev/null
	wait "$cli" 2>/dev/null
	vm=
	kills=$((kills + 1))
	n=$(grep -a "^synced $r " "$log" | tail -1 | awk '{print $3}')
	synced[$r]=${n:-0}
	why=
	if grep -aq '^FAIL\|cannot mount\|panic' "$log"; then
		why="the guest failed: see $log"
	elif ! fsck_after "$LOGS/crash-fsck-$r.log"; then
		why="e2fsck: see $LOGS/crash-fsck-$r.log"
	elif ! records_ok "$r" "${synced[$r]}" "$checked" >"$LOGS/crash-records-$r.log" 2>&1; then
		why="synced records missing: see $LOGS/crash-records-$r.log"
	fi
	rm -f "$tmp/copy.img"
	if [ -z "$why" ]; then
		pass "kill-$r (${synced[$r]} synced$([ "$checked" = "$img" ] || echo ', killed in a commit'))"
	else
		fail "kill-$r" "$why"
	fi
	prev=$r
done

log=$LOGS/crash-final.log
timeout 120 "$O" run --timeout 60 --disk "$img:/data" -- \
	"$CW" /data 0 0 "$prev" "${synced[$prev]:-0}" >"$log" 2>&1
ok=1
grep -aq "^verified r$prev" "$log" || ok=0
e2fsck -fn "$img" >>"$log" 2>&1 || ok=0
dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery && ok=0
for r in "${!synced[@]}"; do
	records_ok "$r" "${synced[$r]}" "$img" >>"$log" 2>&1 || ok=0
done
if [ $ok = 1 ]; then pass final; else fail final "see $log"; fi
echo "crash: $kills kills in $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
