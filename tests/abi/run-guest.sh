#!/usr/bin/env bash
# Runs ABI tests (build/abi/{static,dynamic}/NAME) inside Osprey, one boot
# each, and prints PASS/FAIL per program like run-host.sh, with the FAIL
# lines, then "N passed, M failed". Usage: run-guest.sh [NAME...]
# (default: every program). ABI_SMP=N boots N vCPUs (the ids then read
# abi-guest-smpN-...); ABI_VARIANTS="dynamic" runs only those builds;
# ABI_MACHINE=q35 boots that machine (ids abi-guest-q35-...), ABI_NET
# gives it a network device (qemu-run's --net, e.g. user) and
# ABI_KERNEL_ARGS more kernel options (e.g. --ip=...).
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
# A shell for the tests that start one (system, popen: tests/abi/exec.c).
[ -x /bin/busybox ] && specs+=("/bin/busybox:/bin/sh")
initrd=$LOGS/abi.cpio
tests/mkinitrd.sh "$initrd" "${specs[@]}"
passed=0 failed=0
smp=${ABI_SMP:-1}
machine=${ABI_MACHINE:-microvm}
tag=guest
[ "$machine" = microvm ] || tag=$tag-$machine
[ "$smp" = 1 ] || tag=$tag-smp$smp
net_args=()
[ -n "${ABI_NET:-}" ] && net_args=(--net "$ABI_NET")
for n in "${names[@]}"; do
	for v in ${ABI_VARIANTS:-static dynamic}; do
		log=$LOGS/$tag-$v-$n.log
		tools/qemu-run --quiet --machine "$machine" --smp "$smp" \
			--timeout "${ABI_TIMEOUT:-120}" "${net_args[@]}" \
			--initrd "$initrd" "$BUILD/osprey.elf" --quiet \
			${ABI_KERNEL_ARGS:-} -- "/abi/$v/$n" >"$log" 2>&1
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
