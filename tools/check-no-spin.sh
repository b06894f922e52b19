#!/usr/bin/env bash
# The no-spinlock rule (DESIGN.md section 5), checked by make test: kernel
# code never busy-waits except where it must (early boot, IPI
# acknowledgement, bounded idle polling, a seqlock reader), and each such
# place carries a "spin-ok: why" comment at most five lines above
# the waiting loop. Flagged:
#   - every cpu_relax() call and every "pause" instruction;
#   - every loop whose condition reads the TSC (a timed busy wait);
#   - any spinlock-style primitive: spin_lock, spinlock_t, test_and_set,
#     __sync_lock_test_and_set.
# Prints each offence as FILE:LINE and "no-spin: N offences"; exits 1 if
# any.
set -uo pipefail
cd "$(dirname "$0")/.."
dirs=(arch kernel fs linux drivers lib net)
bad=0

report() { echo "$1: $2"; bad=$((bad + 1)); }

while IFS=: read -r file line _; do
	[ -n "$file" ] || continue
	# The definition of cpu_relax itself.
	if [ "$file" = arch/x86_64/arch.h ] &&
		sed -n "$((line - 2)),${line}p" "$file" | grep -q 'static inline void cpu_relax'; then
		continue
	fi
	from=$((line - 5)); [ "$from" -ge 1 ] || from=1
	if ! sed -n "${from},${line}p" "$file" | grep -q 'spin-ok:'; then
		report "$file:$line" "busy wait without a spin-ok: comment"
	fi
done < <(grep -rnE 'cpu_relax\(\)|asm.*"pause"|while \(rdtsc\(\)|for \(.*rdtsc\(\)' \
	--include=*.c --include=*.h --include=*.S "${dirs[@]}" |
	grep -v '^[^:]*:[0-9]*:\s*\(/\*\|\*\)')

while IFS=: read -r file line _; do
	[ -n "$file" ] && report "$file:$line" "spinlock primitive"
done < <(grep -rnE '\bspin_lock|spinlock_t|test_and_set|__sync_lock' \
	--include=*.c --include=*.h --include=*.S "${dirs[@]}" |
	grep -v '^[^:]*:[0-9]*:\s*\(/\*\|\*\)')

echo "no-spin: $bad offences"
[ "$bad" = 0 ]
