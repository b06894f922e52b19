#!/usr/bin/env bash
# Runs every ABI test (build/abi/{static,dynamic}/NAME, built by
# `make -f mk/abi.mk abi-build`) on the host Linux with a 30 s limit each.
# Prints "PASS abi-host-VARIANT-NAME" or "FAIL abi-host-VARIANT-NAME: why"
# followed by the test's FAIL lines, then "N passed, M failed"; exits 0 iff
# all passed. A test passes when it exits 0, prints no FAIL line and ends
# with its "abi NAME: N passed, 0 failed" summary (a crash leaves none).
set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
LOGS=$BUILD/abi/logs
TIMEOUT=${ABI_TIMEOUT:-30}
mkdir -p "$LOGS"
passed=0 failed=0

run_one() { # VARIANT NAME
	local variant=$1 name=$2 bin=$BUILD/abi/$1/$2
	local id=abi-host-$variant-$name log=$LOGS/host-$variant-$name.log rc
	# The braces keep bash's own "Segmentation fault" note out of the way.
	{ timeout -k 5 "$TIMEOUT" "$bin" </dev/null >"$log" 2>&1; } 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ] && ! grep -q '^FAIL' "$log" &&
		grep -qE "^abi $name: [0-9]+ passed, 0 failed\$" "$log"; then
		echo "PASS $id"
		passed=$((passed + 1))
		return
	fi
	case $rc in
	0) why="no clean summary line" ;;
	124 | 137) why="timed out after ${TIMEOUT}s" ;;
	13[0-9] | 1[4-9][0-9]) why="killed by signal $((rc - 128))" ;;
	*) why="exit status $rc" ;;
	esac
	echo "FAIL $id: $why (log: $log)"
	if grep -q '^FAIL' "$log"; then
		grep '^FAIL' "$log" | sed 's/^/    /'
	else # a crash or a hang: show where it stopped
		tail -3 "$log" | sed 's/^/    | /'
	fi
	failed=$((failed + 1))
}

found=0
for src in tests/abi/*.c; do
	name=$(basename "$src" .c)
	for variant in static dynamic; do
		found=1
		if [ ! -x "$BUILD/abi/$variant/$name" ]; then
			echo "FAIL abi-host-$variant-$name: not built" \
				"(make -f mk/abi.mk abi-build)"
			failed=$((failed + 1))
			continue
		fi
		run_one "$variant" "$name"
	done
done
[ "$found" = 1 ] || { echo "FAIL abi-host: no tests/abi/*.c"; failed=1; }

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
