#!/usr/bin/env bash
# Runtime recipes (issue 13, item 5): `osprey run` of an interpreter or
# a JVM with no --add finds its standard library or home by itself
# (tools/osprey/runtime.c), and the program's stdout and status equal
# the same command's on the host. java's and node's have no warning on
# stderr. All run at -m's default, 256 MB (issue 13: node and the JDK
# need no more). A runtime this machine lacks is one SKIP line (its recipe is
# then untested here). Prints PASS/FAIL/SKIP lines; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
OSPREY=$PWD/build/osprey
tmp=$(mktemp -d /tmp/osprey-runtimes.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
passed=0 failed=0

# same NAME PROGRAM ARGS...: host and guest agree on stdout and status,
# and the guest's stderr has no "warning" from osprey. STDIN=FILE: the
# standard input of both; ADD=PATH: a file for the guest (osprey --add).
same() {
	local name=$1
	shift
	if ! command -v "$1" >/dev/null; then
		echo "SKIP runtime-$name: no $1 on this machine (recipe untested)"
		return
	fi
	(cd /tmp && timeout 120 "$@") >"$tmp/host" 2>/dev/null <"${STDIN:-/dev/null}"
	local hrc=$?
	timeout 300 "$OSPREY" run ${ADD:+--add "$ADD"} "$@" >"$tmp/guest" 2>"$tmp/err" <"${STDIN:-/dev/null}"
	local grc=$?
	if [ "$grc" != "$hrc" ] || ! cmp -s "$tmp/host" "$tmp/guest"; then
		echo "FAIL runtime-$name: status $grc (host $hrc)"
		diff "$tmp/host" "$tmp/guest" | head -5 | sed 's/^/    /'
		sed 's/^/    stderr: /' "$tmp/err" | head -5
		failed=$((failed + 1))
	elif grep -q 'osprey: warning' "$tmp/err"; then
		echo "FAIL runtime-$name: warnings: $(grep -m1 warning "$tmp/err")"
		failed=$((failed + 1))
	else
		echo "PASS runtime-$name"
		passed=$((passed + 1))
	fi
}

same python3 /usr/bin/python3 -c 'import json, decimal, sqlite3; print(json.dumps({"d": str(decimal.Decimal(1) / 8)}))'
same perl perl -MPOSIX=floor -MData::Dumper -MList::Util=sum -e '$Data::Dumper::Terse = 1; print floor(7.5), " ", sum(1..10), "\n", Dumper([1, "two"])'
same ruby ruby -e 'require "json"; require "set"; puts JSON.generate({"a" => Set[1, 2].size, "b" => [1, 2].sum})'
same lua lua5.4 -e 'print(string.format("%5.2f", math.pi), table.concat({1, 2, 3}, ","), utf8.char(72, 105))'
echo 'puts [format "%s %d" [string toupper tcl] [expr {6 * 7}]]' >"$tmp/t.tcl"
STDIN=$tmp/t.tcl same tclsh tclsh
same node node -e 'const os = require("os"); const path = require("path"); console.log(os.platform(), path.join("a", "b"), [1, 2, 3].map(x => x * 2))'
# java -version writes to stderr: its first line is compared instead.
if command -v java >/dev/null; then
	want=$(java -version 2>&1 | head -1)
	got=$(timeout 300 "$OSPREY" run java -version 2>"$tmp/err" | head -1)
	got=$(head -1 "$tmp/err")
	if [ "$got" = "$want" ] && ! grep -q 'osprey: warning' "$tmp/err"; then
		echo "PASS runtime-java-version"
		passed=$((passed + 1))
	else
		echo "FAIL runtime-java-version: '$got', expected '$want'"
		sed 's/^/    stderr: /' "$tmp/err" | head -5
		failed=$((failed + 1))
	fi
	cat >"$tmp/Hello.java" <<'JAVA'
public class Hello {
	public static void main(String[] a) {
		System.out.println("java " + java.util.List.of(1, 2).size() + " " + String.join("-", "a", "b"));
	}
}
JAVA
	ADD=$tmp/Hello.java same java-source java "$tmp/Hello.java"
	# a class compiled on the host by javac, run from its folder
	if command -v javac >/dev/null && mkdir -p "$tmp/classes" &&
		javac -d "$tmp/classes" "$tmp/Hello.java"; then
		ADD=$tmp/classes same java-class java -cp "$tmp/classes" Hello
	else
		echo "SKIP runtime-java-class: no javac on this machine"
	fi
else
	echo "SKIP runtime-java: no java on this machine (recipe untested)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
