#!/usr/bin/env bash
# Real programs from Debian's packages, unmodified, inside Osprey: each
# command runs on the host and in the guest and the outputs must match.
# Prints PASS/FAIL lines. Needs busybox-static, sqlite3, lua5.4, python3
# (tools/deps.sh installs them).
set -uo pipefail
cd "$(dirname "$0")/../.."
LOGS=build/test-logs/apps
KERNEL=build/osprey.elf
mkdir -p "$LOGS"
rc_all=0

# same NAME INITRD MEM -- COMMAND...: the guest's output and status must
# equal the host's. The command's words are quoted for the kernel's
# command line (it splits like a shell). SMP=N before it boots N vCPUs.
same() {
	local name=$1 initrd=$2 mem=$3
	shift 4
	local host=$LOGS/$name.host guest=$LOGS/$name.guest words=() w
	(cd /tmp && "$@") >"$host" 2>&1
	local hrc=$?
	for w in "$@"; do words+=("'${w//\'/\'\\\'\'}'"); done
	tools/qemu-run --quiet --timeout 300 --mem "$mem" --smp "${SMP:-1}" --initrd "$initrd" \
		$KERNEL --quiet -- "${words[@]}" >"$guest" 2>"$guest.err"
	local grc=$?
	if [ "$grc" = "$hrc" ] && cmp -s "$host" "$guest"; then
		echo "PASS app-$name"
	else
		echo "FAIL app-$name: status $grc (host $hrc); diff $host $guest"
		diff "$host" "$guest" | head -5 | sed 's/^/    /'
		rc_all=1
	fi
}

bb=$(command -v busybox)
# The same files at the same path on the host and in the image.
data=/tmp/osprey-apps-$$
mkdir -p "$data/sub"
printf 'pear\napple\nfig\n' >"$data/fruit.txt"
printf 'x\n' >"$data/sub/fig.txt"
trap 'rm -rf "$data"' EXIT
tests/mkinitrd.sh "$LOGS/busybox.cpio" "$bb:/bin/busybox" "$data"
same busybox-sh "$LOGS/busybox.cpio" 64 -- /bin/busybox sh -c \
	'x=6; y=$((x * 7)); for w in a b; do echo "$w$y"; done; test -d /tmp && echo dir; echo done'
same busybox-cat "$LOGS/busybox.cpio" 64 -- /bin/busybox cat "$data/fruit.txt"
same busybox-sort "$LOGS/busybox.cpio" 64 -- /bin/busybox sort "$data/fruit.txt"
same busybox-md5sum "$LOGS/busybox.cpio" 64 -- /bin/busybox md5sum "$data/fruit.txt"
same busybox-find "$LOGS/busybox.cpio" 64 -- /bin/busybox find "$data/sub" -name 'f*'
# ls -l /: the guest's root is the image, so compare with the image's tree.
stage=$(mktemp -d)
(cd "$stage" && cpio -id --quiet <"$OLDPWD/$LOGS/busybox.cpio")
tools/qemu-run --quiet --initrd "$LOGS/busybox.cpio" $KERNEL --quiet -- \
	/bin/busybox ls -l / >"$LOGS/ls.guest" 2>&1
# Osprey adds /dev and /proc to whatever the image holds.
want=$( (cd "$stage" && ls -A; echo dev; echo proc) | LC_ALL=C sort -u | tr '\n' ' ')
got=$(awk 'NR > 1 { print $NF }' "$LOGS/ls.guest" | LC_ALL=C sort | tr '\n' ' ')
rm -rf "$stage"
if [ "$want" = "$got" ] && grep -q '^drwx' "$LOGS/ls.guest"; then
	echo "PASS app-busybox-ls"
else
	echo "FAIL app-busybox-ls: entries '$got', the image has '$want'"
	rc_all=1
fi

# coreutils' ls -l asks for extended attributes and ACLs (lgetxattr,
# getxattr system.posix_acl_access): answered as a tmpfs answers them.
build/osprey build -o "$LOGS/ls.cpio" --add "$data" -- /bin/ls >/dev/null 2>&1
same coreutils-ls "$LOGS/ls.cpio" 64 -- /bin/ls -ld --time-style=+%s \
	"$data/fruit.txt" "$data/sub"

tests/mkinitrd.sh "$LOGS/bigmem.cpio" "$PWD/build/apps/bigmem-static"
same bigmem "$LOGS/bigmem.cpio" 256 -- "$PWD/build/apps/bigmem-static"

tests/mkinitrd.sh "$LOGS/sqlite.cpio" "$(command -v sqlite3)"
same sqlite-memory "$LOGS/sqlite.cpio" 128 -- "$(command -v sqlite3)" :memory: \
	'create table t(a, b); insert into t values (1, 2), (3, 4); select a * b from t order by 1;'
rm -f /tmp/osprey-test.db
same sqlite-file "$LOGS/sqlite.cpio" 128 -- "$(command -v sqlite3)" /tmp/osprey-test.db \
	'create table t(x); insert into t values (7), (8); select sum(x), count(*) from t;'
rm -f /tmp/osprey-test.db
# sqlite's sorter uses worker threads (PRAGMA threads) when a sort spills
# out of its small cache: several threads on four vCPUs.
SMP=4 same sqlite-threads-smp4 "$LOGS/sqlite.cpio" 256 -- "$(command -v sqlite3)" :memory: \
	'pragma threads=4; pragma cache_size=8; create table t(x, y); with recursive c(i) as (select 1 union all select i + 1 from c where i < 30000) insert into t select (i * 7919) % 30011, hex(randomblob(16)) from c; select count(*), sum(x), min(x), max(x) from (select x from t order by y); select x from t order by x limit 3;'

tests/mkinitrd.sh "$LOGS/lua.cpio" "$(command -v lua5.4)"
same lua "$LOGS/lua.cpio" 64 -- "$(command -v lua5.4)" -e \
	'local t = {} for i = 1, 10 do t[#t + 1] = i * i end print(table.concat(t, ",")) print(string.format("%.3f", math.pi))'

py=$(readlink -f "$(command -v python3)")
case $py in /usr/bin/*) ;; *) py=/usr/bin/python3 ;; esac
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# The script at the same path on the host and in the image.
cp tests/apps/python_check.py "$data/python_check.py"
tests/mkinitrd.sh "$LOGS/python.cpio" "$py:$py" "/usr/lib/python$pyver" \
	"$data/python_check.py"
same python "$LOGS/python.cpio" 512 -- "$py" "$data/python_check.py"
SMP=4 same python-smp4 "$LOGS/python.cpio" 512 -- "$py" "$data/python_check.py"
same python-exit "$LOGS/python.cpio" 512 -- "$py" -c 'import sys; print(42); sys.exit(3)'
exit $rc_all
