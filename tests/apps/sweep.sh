#!/usr/bin/env bash
# The sweep (issue 13, item 6): unmodified programs from Debian's packages,
# one command line each, run on the host and in Osprey (`osprey run`,
# which finds their libraries and runtimes), their stdout and exit status
# compared. Prints a table: program, and "matches" or why not; then PASS
# and FAIL lines (a mismatch is a FAIL, except where the table says why
# the outputs may differ: those compare the status only). Commands that
# need a second process (a pipeline in sh -c, xargs or find running a
# command, tar -z running gzip) wait for processes (fork and exec: the
# processes issue) and are listed as WAIT lines, not left out.
# SWEEP_ONLY="name ..." runs only those. Every run is bounded (timeout),
# and so is the whole sweep: SWEEP_SECONDS (default 180, what `make test`
# gives it) is its budget; each guest run gets at most what is left of
# it, and a row not started in time is a FAIL saying so, never a hang.
set -uo pipefail
cd "$(dirname "$0")/../.."
OSPREY=$PWD/build/osprey
tmp=$(mktemp -d /tmp/osprey-sweep.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/tmpdir
mkdir -p "$TMPDIR"
# The data: the same files at the same path on both sides; each host run
# gets a fresh copy, as each guest run does.
D=$tmp/d
pristine=$tmp/pristine
mkdir -p "$pristine/sub"
printf 'pear\napple\nfig\napple\nkiwi\n' >"$pristine/fruit.txt"
printf 'a,1,x\nb,2,y\nc,3,z\n' >"$pristine/t.csv"
printf 'one\ntwo\nthree\n' >"$pristine/a.txt"
printf 'one\n2\nthree\nfour\n' >"$pristine/b.txt"
printf '{"name":"osprey","tags":["os","vm"],"n":3}\n' >"$pristine/j.json"
printf 'x\n' >"$pristine/sub/x.txt"
seq 1 2000 >"$pristine/nums.txt"
printf 'CREATE TABLE t(a,b);INSERT INTO t VALUES(1,"x"),(2,"y");\n' >"$pristine/db.sql"
touch -d '2024-01-02 03:04:05' "$pristine"/*.txt "$pristine"/sub/x.txt
: >"$tmp/missing"
gzip -9n -c "$pristine/fruit.txt" >"$pristine/fruit.gz"
xz -c "$pristine/fruit.txt" >"$pristine/fruit.xz"
bzip2 -c "$pristine/fruit.txt" >"$pristine/fruit.bz2"
zstd -q -c "$pristine/fruit.txt" >"$pristine/fruit.zst"
tar -C "$pristine" -cf "$pristine/arch.tar" a.txt sub
# A Rust program built here (rustc), and a Go one if go is installed.
cat >"$tmp/hello.rs" <<'RS'
use std::collections::BTreeMap;
fn main() {
    let mut m = BTreeMap::new();
    for w in "the quick the lazy the end".split(' ') { *m.entry(w).or_insert(0) += 1; }
    println!("{:?} {}", m, std::env::args().count());
}
RS
rust=""
mkdir -p "$tmp/bin"
command -v rustc >/dev/null && rustc -O -o "$tmp/bin/hello-rust" "$tmp/hello.rs" 2>/dev/null && rust=1
cat >"$tmp/hello.go" <<'GO'
package main
import ("fmt"; "sort"; "strings")
func main() { w := strings.Fields("the quick brown fox"); sort.Strings(w); fmt.Println(w) }
GO
go=""
command -v go >/dev/null && (cd "$tmp" && go build -o "$tmp/bin/hello-go" hello.go) 2>/dev/null && go=1

# NAME|MODE|COMMAND: MODE "out" compares stdout and status, anything else
# is why stdout differs (status only); COMMAND is split as a shell would
# ($D is the data folder, the same path on both sides).
cat >"$tmp/table" <<'TABLE'
ls|out|ls -la --time-style=+%F $D/a.txt $D/sub/x.txt
stat|out|stat -c '%n %s %a %F %Y' $D/fruit.txt
du|du counts blocks: ramfs allocates none for small files|du -s $D/sub
du-apparent|out|du -s --apparent-size -b $D/nums.txt
df|the file systems differ (the host's disks, the guest's ramfs)|df -P /
sort|out|sort $D/fruit.txt
sort-u|out|sort -u -r $D/fruit.txt
uniq|out|uniq -c $D/fruit.txt
wc|out|wc $D/fruit.txt $D/nums.txt
tr|out|tr a-z A-Z $D/fruit.txt
cut|out|cut -d, -f2,3 $D/t.csv
head|out|head -n 3 $D/nums.txt
tail|out|tail -n 2 $D/nums.txt
od|out|od -c -N 16 $D/fruit.txt
base64|out|base64 $D/fruit.txt
sha256sum|out|sha256sum $D/fruit.txt $D/nums.txt
md5sum|out|md5sum $D/nums.txt
b2sum|out|b2sum $D/a.txt
cksum|out|cksum $D/nums.txt
date-d|out|date -u -d '2024-02-29 12:00 +1 day' +%F_%T
seq|out|seq -s , 1 3 30
split|out|split -n 3 --verbose $D/nums.txt $D/part-
touch|out|touch -d '2020-01-01 00:00:00' $D/new.txt
cp-a|out|cp -av $D/sub $D/sub2
mv|out|mv -v $D/a.txt $D/c.txt
ln-s|out|ln -sv a.txt $D/link.txt
chmod|out|chmod -v 600 $D/a.txt
mkdir-p|out|mkdir -pv $D/x/y/z
rm-r|out|rm -rv $D/sub
find|out|find $D -name '*.txt' -newer $D/fruit.gz
nl|out|nl $D/a.txt
paste|out|paste -d: $D/a.txt $D/b.txt
join|out|join $D/a.txt $D/a.txt
comm|out|comm $D/a.txt $D/b.txt
tac|out|tac $D/a.txt
fold|out|fold -w 3 $D/a.txt
factor|out|factor 1234567 600851475143
expr|out|expr 6 '*' 7
printf|out|printf '%05.1f|%x|%s\n' 3.14159 255 osprey
numfmt|out|numfmt --to=iec 1048576 123456789
truncate|out|truncate -s 10 $D/a.txt
dd|out|dd if=$D/nums.txt bs=100 count=2 status=none
shuf|out|shuf -i 1-10 --random-source=$D/nums.txt
realpath|out|realpath $D/sub/../a.txt
basename|out|basename -s .txt $D/a.txt
env|out|env -i A=1 B=2
id|the host runs as root with its groups; the guest has one user|id
uname|the guest's kernel is Osprey|uname -s
nproc|the VM has 1 vCPU|nproc
grep-E|out|grep -E -n '^(one|t[a-z]+)$' $D/a.txt
grep-r|out|grep -rc x $D/sub
sed|out|sed -e 's/o/0/g' -e '2d' $D/a.txt
sed-i|out|sed -i.bak -e s/one/ONE/ $D/a.txt
gawk|out|gawk -F, '{ s += $2 } END { print s, NR, toupper($1) }' $D/t.csv
tar-c|out|tar -C $D -cvf $D/new.tar a.txt sub
tar-t|out|tar -tvf $D/arch.tar --numeric-owner
tar-x|out|tar -C $D -xvf $D/arch.tar
gzip|out|gzip -dc $D/fruit.gz
gzip-c|out|gzip -9n -c $D/nums.txt
xz|out|xz -dc $D/fruit.xz
bzip2|out|bzip2 -dc $D/fruit.bz2
zstd|out|zstd -dc $D/fruit.zst
jq|out|jq -c '{n: (.n * 2), t: (.tags | join("+"))}' $D/j.json
bc|out|bc -l $D/a.txt
diff|out|diff -u --label a --label b $D/a.txt $D/b.txt
cmp|out|cmp $D/a.txt $D/b.txt
file|out|file -b $D/fruit.gz $D/arch.tar $D/j.json
openssl-dgst|out|openssl dgst -sha256 $D/nums.txt
openssl-enc|out|openssl enc -aes-256-cbc -pbkdf2 -pass pass:osprey -S 0102030405060708 -in $D/fruit.txt -a
sqlite3|out|sqlite3 :memory: '.read $D/db.sql' 'SELECT a, b FROM t ORDER BY a DESC;'
lua5.4|out|lua5.4 -e 'print(#arg, string.rep("ab", 3), math.maxinteger)'
perl|out|perl -le 'print join ",", map { $_ ** 2 } 1 .. 5'
python3|out|/usr/bin/python3 -c 'import hashlib, zlib; print(hashlib.sha1(b"x").hexdigest(), zlib.crc32(b"osprey"))'
ruby|out|ruby -e 'puts (1..5).map { |i| i * i }.inject(:+)'
tclsh|out|tclsh $D/tcl.tcl
node|out|node -e 'console.log([3, 1, 2].sort().join(" "), JSON.stringify({a: 1}))'
java|out|java $D/Hello.java
busybox|out|busybox sort -r $D/fruit.txt
hexdump|out|hexdump -C -n 32 $D/nums.txt
xxd|out|xxd -l 16 $D/fruit.txt
strings|out|strings -n 3 $D/fruit.gz
TABLE
echo 'puts [lsort {c a b}]' >"$pristine/tcl.tcl"
cat >"$pristine/Hello.java" <<'JAVA'
public class Hello { public static void main(String[] a) { System.out.println("hello " + Runtime.version().feature()); } }
JAVA
[ -n "$rust" ] && echo "rust|out|$tmp/bin/hello-rust one two" >>"$tmp/table"
[ -n "$go" ] && echo "go|out|$tmp/bin/hello-go" >>"$tmp/table"
# Second processes: these wait for fork and exec.
waiting=(
	"sh-pipeline|sh -c 'sort \$D/fruit.txt | uniq -c'"
	"xargs|xargs -a \$D/a.txt -n 2 (runs echo, its default command)"
	"find-exec|find \$D -exec wc -c {} +"
	"tar-z|tar -czf (runs gzip)"
	"make|make (runs the recipe's shell)"
)

pass=0 fail=0 status_only=0
deadline=$((SECONDS + ${SWEEP_SECONDS:-180}))
# The environment `osprey run` gives a program, for the host's runs too.
guest_env=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/ TERM=linux)
printf '%-16s %s\n' PROGRAM RESULT >"$tmp/report"
while IFS='|' read -r name mode cmd; do
	[ -n "$name" ] || continue
	if [ -n "${SWEEP_ONLY:-}" ] && [[ " $SWEEP_ONLY " != *" $name "* ]]; then
		continue
	fi
	cmd=${cmd//\$D/$pristine}
	eval "set -- $cmd"
	if ! prog=$(command -v "$1"); then
		printf '%-16s %s\n' "$name" "not on this host: $1" >>"$tmp/report"
		echo "SKIP sweep-$name: no $1"
		continue
	fi
	shift
	set -- "$prog" "$@" # argv[0] as Osprey gives it: the absolute path
	left=$((deadline - SECONDS))
	if [ "$left" -lt 5 ]; then
		why="not run: the sweep's budget of ${SWEEP_SECONDS:-180} s ran out"
		printf '%-16s %s\n' "$name" "$why" >>"$tmp/report"
		echo "FAIL sweep-$name: $why"
		fail=$((fail + 1))
		continue
	fi
	rm -rf "$D" && cp -a "$pristine" "$D"
	set -- "${@//$pristine/$D}"
	(cd / && timeout 120 env -i "${guest_env[@]}" "$@") >"$tmp/host" 2>"$tmp/host.err" </dev/null
	hrc=$?
	# the guest's copy of the data sits at the same path as the host's
	timeout $((left < 300 ? left : 300)) "$OSPREY" run -v --add "$pristine:$D" -- "$@" \
		>"$tmp/guest" 2>"$tmp/guest.err" </dev/null
	grc=$?
	grep '^osprey: missing: ' "$tmp/guest.err" | grep -v 'missing: file ' |
		sed "s/^osprey: missing: /$name: /" >>"$tmp/missing"
	why=""
	if [ "$grc" != "$hrc" ]; then
		why="status $grc, host $hrc: $(grep -v '^osprey: ' "$tmp/guest.err" | head -1 | cut -c1-100)"
	elif [ "$mode" = out ] && ! cmp -s "$tmp/host" "$tmp/guest"; then
		why="stdout differs: $(diff "$tmp/host" "$tmp/guest" | grep '^[<>]' | head -2 | tr '\n' ' ' | cut -c1-100)"
	fi
	if [ -n "$why" ]; then
		printf '%-16s %s\n' "$name" "$why" >>"$tmp/report"
		echo "FAIL sweep-$name: $why"
		fail=$((fail + 1))
	elif [ "$mode" = out ]; then
		printf '%-16s %s\n' "$name" "matches" >>"$tmp/report"
		echo "PASS sweep-$name"
		pass=$((pass + 1))
	else
		printf '%-16s %s\n' "$name" "status matches; stdout differs by design: $mode" >>"$tmp/report"
		echo "PASS sweep-$name (status only: $mode)"
		pass=$((pass + 1)) status_only=$((status_only + 1))
	fi
done <"$tmp/table"
for w in "${waiting[@]}"; do
	printf '%-16s %s\n' "${w%%|*}" "waits for processes (fork/exec): ${w#*|}" >>"$tmp/report"
	echo "WAIT sweep-${w%%|*}: needs a second process"
done
[ -z "$go" ] && printf '%-16s %s\n' go "not built: no go on this host" >>"$tmp/report"
echo
cat "$tmp/report"
echo
echo "What the programs asked for that Osprey lacks (osprey run -v):"
sort -u "$tmp/missing" 2>/dev/null | sed 's/^/    /'
echo
echo "sweep: $pass match the host ($status_only by status only), $fail do not, ${#waiting[@]} wait for processes"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
