#!/usr/bin/env bash
# Runs ABI tests (build/abi/static/NAME) inside the Linux guest of
# ../shared/bench/linux-guest (Debian's kernel under the same QEMU and
# accelerator, tests/net/lib.sh), one boot each, no network device: the
# same programs that run-guest.sh boots in Osprey, proven in a VM under
# TCG first (their bounds and timings, not only their semantics).
# Usage: run-linux-guest.sh NAME... (default: the TCP ones).
# Prints PASS/FAIL abi-linux-guest-static-NAME and "N passed, M failed".
# Not part of `make test`; needs build/linux-guest (see tests/net/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGS=$BUILD/abi/logs
mkdir -p "$LOGS"
source tests/net/lib.sh
GUEST=linux
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(sock_tcp sock_tcp_opts sock_tcp_epoll)
specs=()
for n in "${names[@]}"; do
	specs+=("$BUILD/abi/static/$n:/abi/static/$n")
done
image=$LOGS/abi-linux.cpio
linux_image "$image" "${specs[@]}" >"$LOGS/abi-linux-image.log" 2>&1 || {
	echo "FAIL abi-linux-guest: cannot build the image: $(tail -2 "$LOGS/abi-linux-image.log")"
	exit 1
}
passed=0 failed=0
for n in "${names[@]}"; do
	log=$LOGS/linux-guest-static-$n.log
	GUEST_LOG=$log
	guest_start "$log" microvm 1 none "$image" "${ABI_TIMEOUT:-120}" -- "/abi/static/$n"
	guest_end "$((${ABI_TIMEOUT:-120} + 10))"
	if [ "$GUEST_STATUS" = 0 ] && ! grep -aq '^FAIL' "$log" &&
		grep -aqE "^abi $n: [0-9]+ passed, 0 failed" "$log"; then
		echo "PASS abi-linux-guest-static-$n"
		passed=$((passed + 1))
	else
		echo "FAIL abi-linux-guest-static-$n: status $GUEST_STATUS (log: $log)"
		grep -a '^FAIL' "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
