#!/usr/bin/env bash
# Runs ABI tests (build/abi/{static,dynamic}/NAME) inside Osprey, one boot
# each, and prints PASS/FAIL per program like run-host.sh, with the FAIL
# lines, then "N passed, M failed". Usage: run-guest.sh [NAME...]
# (default: every program). ABI_SMP=N boots N vCPUs (the ids then read
# abi-guest-smpN-...); ABI_VARIANTS="dynamic" runs only those builds.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/abi/logs
mkdir -p "$LOGS"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls tests/abi/*.c | xargs -n1 basename | sed 's/\.c$//'))
specs=()
for n in "${names[@]}"; do
	specs+=("$BUILD/abi/static/$n:/abi/static/$n" "$BUILD/abi/dynamic/$n:/abi/dynamic/$n")
done
initrd=$LOGS/abi.cpio
tests/mkinitrd.sh "$initrd" "${specs[@]}"
passed=0 failed=0
smp=${ABI_SMP:-1}
tag=guest
[ "$smp" = 1 ] || tag=guest-smp$smp
for n in "${names[@]}"; do
	for v in ${ABI_VARIANTS:-static dynamic}; do
		log=$LOGS/$tag-$v-$n.log
		tools/qemu-run --quiet --smp "$smp" --timeout "${ABI_TIMEOUT:-120}" \
			--initrd "$initrd" "$BUILD/osprey.elf" --quiet -- "/abi/$v/$n" >"$log" 2>&1
		rc=$?
		if [ "$rc" = 0 ] && ! grep -aq '^FAIL' "$log" &&
			grep -aqE "^abi $n: [0-9]+ passed, 0 failed" "$log"; then
			echo "PASS abi-$tag-$v-$n"
			passed=$((passed + 1))
		else
			echo "FAIL abi-$tag-$v-$n: exit status $rc ($(grep -ac '^PASS' "$log") checks passed, $(grep -ac '^FAIL' "$log") failed; log: $log)"
			failed=$((failed + 1))
		fi
	done
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
