#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 10) each on a copy of its
# seed corpus, and prints one line per target: PASS fuzz_NAME or
# FAIL fuzz_NAME. Exits 1 if any failed. The targets are built by
# `make fuzz-build`; the corpora grow in $BUILD/fuzz/corpus-NAME, crash
# inputs land in $BUILD/fuzz/ and logs in $BUILD/fuzz/NAME.log.
set -u
cd "$(dirname "$0")/../.."

SECONDS_EACH=${1:-10}
BUILD=${BUILD:-build}
OUT=$BUILD/fuzz
status=0

for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	bin=$OUT/$name
	corpus=$OUT/corpus-$short
	log=$OUT/$short.log
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: $bin not built (make fuzz-build)"
		status=1
		continue
	fi
	mkdir -p "$corpus"
	cp tests/fuzz/corpus/"$short"/* "$corpus"/ 2>/dev/null
	if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$OUT/crash-$short-" \
		"$corpus" >"$log" 2>&1; then
		echo "PASS $name"
	else
		echo "FAIL $name: see $log"
		grep -m1 -E 'ERROR|runtime error|deadly signal' "$log"
		status=1
	fi
done
exit $status
