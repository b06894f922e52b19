#!/usr/bin/env bash
# Tests of the osprey command (tools/osprey): `osprey build` images checked
# with cpio, `osprey run` boots checked for output and exit status, and
# the errors it must give. Prints PASS/FAIL lines and exits 1 if any
# failed. Needs build/osprey (make cli), build/osprey.elf (make) and
# build/apps/hello-dynamic (make apps); builds its own test programs with
# gcc. Every command is bounded by `timeout 120`.
set -uo pipefail
cd "$(dirname "$0")/../.."

OSPREY=$PWD/build/osprey
passed=0 failed=0
tmp=$(mktemp -d /tmp/osprey-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/tmpdir # where osprey run puts its temporary files
mkdir -p "$TMPDIR"

pass() { echo "PASS cli-$1"; passed=$((passed + 1)); }
fail() {
	echo "FAIL cli-$1: $2"
	[ -s "$tmp/err" ] && sed 's/^/    stderr: /' "$tmp/err" | head -5
	failed=$((failed + 1))
}

# osprey ARGS...: runs build/osprey, stdout in $tmp/out, stderr in
# $tmp/err, status in $rc.
osprey() {
	timeout 120 "$OSPREY" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}

# expect NAME STATUS PATTERN FILE: the last osprey's status is STATUS and
# FILE (out or err) matches the extended regex PATTERN (if not empty).
expect() {
	if [ "$rc" != "$2" ]; then
		fail "$1" "exit status $rc, expected $2"
	elif [ -n "$3" ] && ! grep -qE -- "$3" "$tmp/$4"; then
		fail "$1" "std$4 lacks /$3/: $(head -c 300 "$tmp/$4")"
	else
		pass "$1"
	fi
}

# expect_error NAME STATUS PATTERN: as expect, and stderr is one line.
expect_error() {
	if [ "$(wc -l <"$tmp/err")" != 1 ]; then
		fail "$1" "stderr is not one line"
	else
		expect "$1" "$2" "$3" err
	fi
}

# The path PATH names inside the unpacked image ROOT, its symlinks
# followed inside ROOT (absolute targets from ROOT), as the guest would.
resolve() { # ROOT PATH
	local root=$1 rest=$2 done="" part n=0 target
	while :; do
		while [ "${rest#/}" != "$rest" ]; do rest=${rest#/}; done
		[ -n "$rest" ] || break
		part=${rest%%/*}
		if [ "$part" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
		case $part in
		.) continue ;;
		..) done=${done%/*}; continue ;;
		esac
		if [ -L "$root$done/$part" ]; then
			n=$((n + 1))
			[ $n -le 40 ] || return 1
			target=$(readlink "$root$done/$part")
			case $target in /*) done="" ;; esac
			rest="$target/$rest"
		elif [ -e "$root$done/$part" ]; then
			done="$done/$part"
		else
			return 1
		fi
	done
	echo "${done:-/}"
}

# unpack IMAGE DIR: the image's files under DIR.
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	(cd "$2" && cpio -idm --quiet --no-absolute-filenames) <"$1"
}

# same_file NAME ROOT GUEST HOST: GUEST in the image is a copy of HOST.
same_file() {
	local real
	if ! real=$(resolve "$2" "$3"); then
		fail "$1" "$3 is not in the image"
	elif ! cmp -s "$2$real" "$4"; then
		fail "$1" "$3 (at $real) differs from $4"
	else
		pass "$1"
	fi
}

for need in build/osprey build/osprey.elf build/apps/hello-dynamic; do
	if [ ! -e "$need" ]; then
		echo "FAIL cli-setup: $need missing (make cli all apps)"
		exit 1
	fi
done

# ---- test programs ----
mkdir -p "$tmp/bin" "$tmp/lib" "$tmp/src" "$tmp/data/sub"
cat >"$tmp/src/probe.c" <<'EOF'
/* probe exit N | cat FILE | env NAME | args ... | sleep S | readlink P */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;

	if (argc < 2)
		return 100;
	if (!strcmp(argv[1], "exit") && argc == 3)
		return atoi(argv[2]);
	if (!strcmp(argv[1], "cat") && argc == 3) {
		FILE *f = fopen(argv[2], "r");
		size_t m;

		if (!f)
			return perror(argv[2]), 1;
		while ((m = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, m, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "env") && argc == 3) {
		const char *v = getenv(argv[2]);

		printf("[%s]\n", v ? v : "(unset)");
		return 0;
	}
	if (!strcmp(argv[1], "args")) {
		printf("argv[0]=[%s]\n", argv[0]);
		for (int i = 2; i < argc; i++)
			printf("[%s]\n", argv[i]);
		return 0;
	}
	if (!strcmp(argv[1], "sleep") && argc == 3) {
		sleep(atoi(argv[2]));
		return 0;
	}
	if (!strcmp(argv[1], "readlink") && argc == 3) {
		n = readlink(argv[2], buf, sizeof(buf) - 1);
		if (n < 0)
			return perror(argv[2]), 1;
		buf[n] = '\0';
		printf("%s\n", buf);
		return 0;
	}
	return 100;
}
EOF
printf 'int clitest_value(void) { return 7; }\n' >"$tmp/src/lib.c"
cat >"$tmp/src/uselib.c" <<'EOF'
#include <stdio.h>
int clitest_value(void);
int main(void) { printf("value %d\n", clitest_value()); return clitest_value(); }
EOF
if ! gcc -O1 -o "$tmp/bin/probe" "$tmp/src/probe.c" ||
	! gcc -O1 -static -o "$tmp/bin/probe-static" "$tmp/src/probe.c" ||
	! gcc -O1 -shared -fPIC -Wl,-soname,libclitest.so.1 \
		-o "$tmp/lib/libclitest.so.1.0" "$tmp/src/lib.c" ||
	! ln -s libclitest.so.1.0 "$tmp/lib/libclitest.so.1" ||
	! ln -s libclitest.so.1 "$tmp/lib/libclitest.so" ||
	! gcc -O1 -o "$tmp/bin/uselib-rpath" "$tmp/src/uselib.c" \
		-L"$tmp/lib" -lclitest -Wl,--disable-new-dtags,-rpath,"$tmp/lib" ||
	! gcc -O1 -o "$tmp/bin/uselib-origin" "$tmp/src/uselib.c" \
		-L"$tmp/lib" -lclitest -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'; then
	echo "FAIL cli-setup: cannot build the test programs"
	exit 1
fi
probe=$tmp/bin/probe
printf 'hello from a file\n' >"$tmp/data/hello.txt"
printf 'deeper\n' >"$tmp/data/sub/deep.txt"
ln -s hello.txt "$tmp/data/link"

# ---- (1) build: /bin/true with its interpreter and libc ----
interp=$(readelf -l /bin/true | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
osprey build -o "$tmp/true.cpio" -- /bin/true
if [ "$rc" = 0 ] && cpio -t --quiet <"$tmp/true.cpio" >"$tmp/list"; then
	pass build-true
else
	fail build-true "status $rc, or cpio -t cannot read the image"
fi
unpack "$tmp/true.cpio" "$tmp/root"
same_file build-true-program "$tmp/root" /bin/true /bin/true
same_file build-true-interpreter "$tmp/root" "$interp" "$interp"
same_file build-true-libc "$tmp/root" /lib/x86_64-linux-gnu/libc.so.6 \
	/lib/x86_64-linux-gnu/libc.so.6
same_file build-true-ld.so.cache "$tmp/root" /etc/ld.so.cache /etc/ld.so.cache
for f in etc/passwd etc/group etc/hosts etc/nsswitch.conf etc/osprey/manifest; do
	grep -qx "$f" "$tmp/list" || fail build-true-etc "no $f in: $(tr '\n' ' ' <"$tmp/list")"
done
pass build-true-etc
if grep -qE '^/usr/bin/true +[0-9]+  host \(program\)$' \
	"$tmp/root/etc/osprey/manifest" &&
	grep -q '^# Kernel command line: --quiet -- /bin/true$' \
		"$tmp/root/etc/osprey/manifest"; then
	pass build-manifest
else
	fail build-manifest "$(head -c 400 "$tmp/root/etc/osprey/manifest")"
fi
if [ "$(stat -c %a "$tmp/root/tmp")" = 1777 ]; then
	pass build-tmp-sticky
else
	fail build-tmp-sticky "/tmp is mode $(stat -c %a "$tmp/root/tmp")"
fi

# -v prints the manifest; a bare name is looked up in PATH.
(cd "$tmp" && PATH=$tmp/bin:$PATH timeout 120 "$OSPREY" build -v -- probe) \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
expect build-verbose-manifest 0 "^$tmp/bin/probe +[0-9]+  host \\(program\\)" err
[ -s "$tmp/probe.cpio" ] && pass build-default-output ||
	fail build-default-output "no probe.cpio in the current directory"

# ---- (2) run: hello-dynamic ----
osprey run -- build/apps/hello-dynamic a 'b c'
expect run-hello-dynamic 0 "^Hello from $PWD/build/apps/hello-dynamic on Osprey!" out
grep -qx 'argv\[2\] = b c' "$tmp/out" && pass run-hello-args ||
	fail run-hello-args "$(cat "$tmp/out")"
# (q35 boots through SeaBIOS, which writes to the console first.)
osprey run --machine q35 -m 128 -- build/apps/hello-dynamic
expect run-hello-q35 0 'Hello from' out

# ---- (3) exit status ----
osprey run -- "$probe" exit 42
expect run-exit-42 42 '' out
osprey run -- "$tmp/bin/probe-static" exit 42
expect run-exit-42-static 42 '' out
osprey run -- "$probe" exit 255
expect run-exit-255 255 '' out
osprey run -- "$probe" exit 0
expect run-exit-0 0 '' out

# ---- standard streams (issue 13, item 1): the program's fd 0, 1 and 2
# are osprey run's own, separately, through virtio-console ports ----
streams=$tmp/bin/streams
if ! gcc -O1 -o "$streams" tests/cli/streams.c; then
	fail streams-build "cannot build tests/cli/streams.c"
fi
echo hello | timeout 120 "$OSPREY" run /bin/cat >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = hello ] && pass stdin-pipe-cat ||
	fail stdin-pipe-cat "status $rc, stdout '$(head -c 200 "$tmp/out")'"
echo hello | timeout 120 "$OSPREY" run --machine q35 -m 128 /bin/cat \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = hello ] && pass stdin-pipe-cat-q35 ||
	fail stdin-pipe-cat-q35 "status $rc, stdout '$(head -c 200 "$tmp/out")'"
# A program's error goes to stderr only, with its status.
osprey run -- /bin/ls /nonexistent
if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] &&
	grep -q "cannot access '/nonexistent'" "$tmp/err"; then
	pass stderr-only
else
	fail stderr-only "status $rc (want 2), stdout '$(head -c 200 "$tmp/out")'"
fi
osprey run -- "$streams" both
if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = to-out ] &&
	[ "$(grep -c to-err "$tmp/err")" = 1 ] && ! grep -q to-out "$tmp/err"; then
	pass stdout-stderr-separate
else
	fail stdout-stderr-separate "status $rc, stdout '$(head -c 200 "$tmp/out")'"
fi
# stdout and stderr to one file (2>&1, or a terminal) keep their order.
"$streams" mixed >"$tmp/want" 2>&1
timeout 120 "$OSPREY" run "$streams" mixed </dev/null >"$tmp/out" 2>&1
rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/out" && pass stdout-stderr-one-file ||
	fail stdout-stderr-one-file "status $rc; $(diff "$tmp/want" "$tmp/out" | head -3)"
# Binary data byte for byte, out of the image and into the program.
head -c 1000000 /dev/urandom >"$tmp/random.bin"
osprey run --add "$tmp/random.bin:/random.bin" -- /bin/cat /random.bin
[ "$rc" = 0 ] && cmp -s "$tmp/random.bin" "$tmp/out" && pass stdout-binary ||
	fail stdout-binary "status $rc; $(cmp "$tmp/random.bin" "$tmp/out" 2>&1 | head -1)"
timeout 120 "$OSPREY" run /bin/cat <"$tmp/random.bin" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/random.bin" "$tmp/out" && pass stdin-file-binary ||
	fail stdin-file-binary "status $rc; $(cmp "$tmp/random.bin" "$tmp/out" 2>&1 | head -1)"
# stdin: /dev/null ends at once; a closed stdin is a closed fd 0 (EBADF),
# as on the host.
timeout 120 "$OSPREY" run "$streams" stdin </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "bytes 0 reads 0" ] &&
	pass stdin-devnull-eof ||
	fail stdin-devnull-eof "status $rc, stdout '$(head -c 200 "$tmp/out")'"
host_out=$("$streams" stdin <&- 2>&1)
host_rc=$?
timeout 120 "$OSPREY" run "$streams" stdin <&- >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = "$host_rc" ] && [ "$(cat "$tmp/out" "$tmp/err")" = "$host_out" ] &&
	pass stdin-closed-ebadf ||
	fail stdin-closed-ebadf "status $rc (host $host_rc), '$(cat "$tmp/out" "$tmp/err" | head -c 200)' (host '$host_out')"
# A writer that comes late: EAGAIN when nonblocking, then epoll and poll
# see the data and the end, as on the host.
want=$( (sleep 1; echo x) | "$streams" wait 2>&1)
(sleep 2; echo x) | timeout 120 "$OSPREY" run "$streams" wait >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "$want" ] && pass stdin-poll-nonblock ||
	fail stdin-poll-nonblock "status $rc, stdout '$(head -c 200 "$tmp/out")' (host: '$want')"
# A closed stdout: the program's write to fd 1 fails, stderr still works.
timeout 120 "$OSPREY" run "$streams" both </dev/null >&- 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = to-err ] && pass stdout-closed-ebadf ||
	fail stdout-closed-ebadf "status $rc (want 1, as the host), stderr '$(head -c 200 "$tmp/err")'"
# `| head -1`: the reader leaves; the program gets SIGPIPE (status 141),
# or EPIPE where it ignores SIGPIPE; either way promptly.
start=$SECONDS
timeout 120 "$OSPREY" run /usr/bin/yes </dev/null 2>"$tmp/err" | head -1 >"$tmp/out"
rc=${PIPESTATUS[0]}
[ "$rc" = 141 ] && [ "$(cat "$tmp/out")" = y ] && [ ! -s "$tmp/err" ] &&
	pass stdout-sigpipe ||
	fail stdout-sigpipe "status $rc (want 141, stderr empty) after $((SECONDS - start)) s, stdout '$(head -c 100 "$tmp/out")'"
timeout 120 "$OSPREY" run "$streams" epipe </dev/null 2>"$tmp/err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 3 ] && grep -qx 'write: Broken pipe' "$tmp/err" && pass stdout-epipe ||
	fail stdout-epipe "status $rc (want 3), stderr '$(head -c 200 "$tmp/err")'"

# Arguments and environment cross the kernel's command line intact.
osprey run --env 'GREETING=say "hi", it'\''s \ ok' -- "$probe" env GREETING
expect run-env-quoting 0 '^\[say "hi", it'\''s \\ ok\]$' out
osprey run -- "$probe" args '' 'a b' "it's" 'back\slash' '"dq"' '$HOME'
printf '%s\n' "argv[0]=[$probe]" '[]' '[a b]' "[it's]" '[back\slash]' \
	'["dq"]' '[$HOME]' >"$tmp/want"
if [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/out"; then
	pass run-args-quoting
else
	fail run-args-quoting "status $rc; got: $(tr '\n' ' ' <"$tmp/out")"
fi

# ---- --add: a file, a tree with a symlink, a default guest path ----
osprey run --add "$tmp/data:/data" --add "$tmp/data/hello.txt:/etc/greeting" \
	-- "$probe" cat /data/sub/deep.txt
expect run-add-tree 0 '^deeper$' out
osprey run --add "$tmp/data:/data" -- "$probe" readlink /data/link
expect run-add-symlink 0 '^hello.txt$' out
osprey run --add "$tmp/data:/data" -- "$probe" cat /data/link
expect run-add-symlink-read 0 '^hello from a file$' out
osprey run --add "$tmp/data/hello.txt:/etc/greeting" -- "$probe" cat /etc/greeting
expect run-add-file 0 '^hello from a file$' out
osprey run --add "$tmp/data" -- "$probe" cat "$tmp/data/hello.txt"
expect run-add-default-path 0 '^hello from a file$' out

# An --add'ed dynamic executable brings its interpreter and libraries,
# even beside a static program.
osprey build -o "$tmp/mixed.cpio" --add "$probe:/bin/probe-dyn" -- \
	"$tmp/bin/probe-static"
unpack "$tmp/mixed.cpio" "$tmp/mroot"
same_file build-add-elf-interpreter "$tmp/mroot" "$interp" "$interp"
same_file build-add-elf-libc "$tmp/mroot" /lib/x86_64-linux-gnu/libc.so.6 \
	/lib/x86_64-linux-gnu/libc.so.6
# The same host file twice at one path (through the image's /bin
# symlink, on a merged-/usr host) is fine; another file there is not.
osprey build -o "$tmp/x.cpio" --add /bin/true:/bin/true -- /bin/true
expect build-add-same-file 0 '' err
osprey build -o "$tmp/x.cpio" --add "$tmp/data/hello.txt:/bin/true" -- /bin/true
expect build-add-conflict 1 'is in the image twice' err

# ---- libraries: RPATH, RUNPATH with $ORIGIN, soname symlinks ----
osprey run -- "$tmp/bin/uselib-rpath"
expect run-rpath-library 7 '^value 7$' out
osprey build -o "$tmp/origin.cpio" -- "$tmp/bin/uselib-origin"
unpack "$tmp/origin.cpio" "$tmp/oroot"
same_file build-origin-library "$tmp/oroot" "$tmp/lib/libclitest.so.1" \
	"$tmp/lib/libclitest.so.1.0"
if [ -L "$tmp/oroot$tmp/lib/libclitest.so.1" ]; then
	pass build-soname-symlink
else
	fail build-soname-symlink "libclitest.so.1 is not a symlink in the image"
fi

# ---- -v: the accelerator and what the kernel reported ----
osprey run -v -- "$probe" exit 3
expect run-verbose-accel 3 '^osprey: microvm, (kvm|tcg) \(' err
grep -q '^osprey: wrote ' "$tmp/err" && pass run-verbose-build ||
	fail run-verbose-build "no 'wrote' line"

# ---- -o keeps the image of a run; temporary files are removed ----
osprey run -o "$tmp/kept.cpio" -- "$probe" exit 0
[ "$rc" = 0 ] && [ -s "$tmp/kept.cpio" ] && pass run-keep-image ||
	fail run-keep-image "status $rc; image kept: $(ls "$tmp"/kept.cpio 2>&1)"
left=$(ls -A "$TMPDIR")
[ -z "$left" ] && pass run-temp-files-removed ||
	fail run-temp-files-removed "left in TMPDIR: $left"

# ---- signals and --timeout ----
timeout 120 "$OSPREY" run -- "$probe" sleep 60 >"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
left=$(ls -A "$TMPDIR")
if [ "$rc" = 143 ] && [ -z "$left" ]; then
	pass run-sigterm-cleanup
else
	fail run-sigterm-cleanup "status $rc (want 143); left in TMPDIR: $left"
fi
osprey run --timeout 2 -- "$probe" sleep 60
expect run-timeout 124 'timed out after 2 s' err
grep -q '^osprey: state dump (NMI)' "$tmp/err" && pass run-timeout-state-dump ||
	fail run-timeout-state-dump "no state dump before the timeout's end"

# SIGUSR1: the kernel prints its state, and the program goes on to its end.
timeout 120 "$OSPREY" run -- "$probe" sleep 6 >"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$! # timeout's; osprey is its child, and QEMU osprey's
for i in $(seq 100); do
	opid=$(pgrep -P $pid) && pgrep -P "$opid" >/dev/null && break
	sleep 0.1
done
sleep 2 # the guest boots
kill -USR1 "$opid"
wait $pid
rc=$?
if [ "$rc" = 0 ] && grep -q '^osprey: end of state dump' "$tmp/err" &&
	grep -q 'thread .* app: sleeping' "$tmp/err"; then
	pass run-sigusr1-state-dump
else
	fail run-sigusr1-state-dump "status $rc; $(grep -c 'state dump' "$tmp/err") dump lines"
fi

# ---- (4) errors: one clear line, a non-zero status ----
osprey run -- "$tmp/nothere"
expect_error err-missing-run 127 "^osprey: $tmp/nothere: No such file or directory$"
osprey build -o "$tmp/x.cpio" -- no-such-command-xyz
expect_error err-missing-build 1 '^osprey: no-such-command-xyz: not found in PATH$'
printf 'just text\n' >"$tmp/bin/text"
chmod +x "$tmp/bin/text"
osprey run -- "$tmp/bin/text"
expect_error err-not-elf-run 126 "^osprey: $tmp/bin/text: not an x86-64 ELF executable$"
printf '#!/bin/sh\necho hi\n' >"$tmp/bin/script"
osprey build -o "$tmp/x.cpio" -- "$tmp/bin/script"
expect_error err-script 1 'not an x86-64 ELF executable \(a script'
cp /bin/true "$tmp/bin/true32"
printf '\001' | dd of="$tmp/bin/true32" bs=1 seek=4 conv=notrunc status=none
osprey build -o "$tmp/x.cpio" -- "$tmp/bin/true32"
expect_error err-elf32 1 "^osprey: $tmp/bin/true32: not an x86-64 ELF executable$"
mv "$tmp/lib/libclitest.so.1.0" "$tmp/lib/gone"
osprey build -o "$tmp/x.cpio" -- "$tmp/bin/uselib-rpath"
expect_error err-library-build 1 "^osprey: $tmp/bin/uselib-rpath: library libclitest.so.1 not found$"
osprey run -- "$tmp/bin/uselib-rpath"
expect_error err-library-run 127 'library libclitest.so.1 not found'
osprey build
expect_error err-no-program 2 'no PROGRAM given'
osprey build --kvm -- /bin/true
expect_error err-run-option 2 "'--kvm' is an option of osprey run"
osprey run --frobnicate -- /bin/true
expect_error err-unknown-option 125 "unknown option '--frobnicate'"
osprey run --add "$tmp/nothere:/x" -- "$probe" exit 0
expect_error err-add-missing 127 "^osprey: --add $tmp/nothere: No such file or directory$"
osprey run --env NOEQUALS -- "$probe" exit 0
expect_error err-env 125 "--env needs KEY=VALUE"

# ---- the network options: errors, and what -v says ----
osprey run -p 80 -- "$probe" exit 0
expect_error err-publish-no-colon 125 "-p needs HOSTPORT:GUESTPORT\[/udp\|/tcp\].*not '80'"
osprey run -p 0:53/udp -- "$probe" exit 0
expect_error err-publish-port-0 125 "not '0:53/udp'"
osprey run -p 5353:70000 -- "$probe" exit 0
expect_error err-publish-port-range 125 "not '5353:70000'"
osprey run -p 5353:53/sctp -- "$probe" exit 0
expect_error err-publish-proto 125 "not '5353:53/sctp'"
osprey run -p 5353:53/udp -p 5353:54/udp -- "$probe" exit 0
expect_error err-publish-twice 125 "-p 5353:54/udp: that host port is forwarded twice"
osprey run --net wifi -- "$probe" exit 0
expect_error err-net-kind 125 "unknown --net 'wifi' \(user, tap:NAME or none\)"
osprey run --net tap: -- "$probe" exit 0
expect_error err-net-tap-name 125 "--net tap:NAME needs a network interface name"
osprey run --net tap:osprey-no-such -- "$probe" exit 0
expect_error err-net-tap-missing 125 "--net tap:osprey-no-such: no TAP device osprey-no-such here"
osprey run --net tap:tap0 -p 5353:53/udp -- "$probe" exit 0
expect_error err-net-publish-tap 125 "-p forwards ports through QEMU's user networking"
osprey run --net user --ip 10.0.2.15 -- "$probe" exit 0
expect_error err-net-ip-spec 125 "--ip needs ADDR/PREFIX\[,GATEWAY\], not '10.0.2.15'"
osprey run --ip 10.0.2.15/24 -- "$probe" exit 0
expect_error err-net-ip-alone 125 "--ip needs a network"
osprey build -p 5353:53/udp -o "$tmp/x.cpio" -- "$probe"
expect_error err-net-build 2 "'--publish' is an option of osprey run"
osprey run -v -- "$probe" exit 0
expect run-net-none 0 '^osprey: network: none' err
osprey run -v -p 5353:53/udp -p 8080:80 -- "$probe" exit 0
expect run-net-publish 0 '^osprey: network: QEMU user networking, guest 10.0.2.15/24,10.0.2.2 dns 10.0.2.3; forwarding 127.0.0.1:5353/udp -> guest port 53, 127.0.0.1:8080/tcp -> guest port 80; virtio-net-device' err
grep -q 'Kernel command line: --quiet --ip=10.0.2.15/24,10.0.2.2 --dns=10.0.2.3 --' "$tmp/err" &&
	pass run-net-publish-cmdline ||
	fail run-net-publish-cmdline "no --ip/--dns on the kernel command line"
osprey run -v --machine q35 --net user -- "$probe" exit 0
expect run-net-user-q35 0 '^osprey: network: QEMU user networking.*virtio-net-pci' err

# ---- a real program: python3 with its standard library ----
py=/usr/bin/python3
if [ -x "$py" ]; then
	pylib=$("$py" -c 'import sys; print("/usr/lib/python%d.%d" % sys.version_info[:2])')
	osprey run -m 512 --add "$pylib" -- "$py" -c 'import json; print(json.dumps([6 * 7]))'
	expect run-python3 0 '^\[42\]$' out
	# The issue's own words: no --, no --add (the library comes by itself).
	osprey run /usr/bin/python3 -c 'print(42)'
	expect run-python3-plain 0 '^42$' out
	osprey run --no-runtime /usr/bin/python3 -c 'print(42)'
	expect run-python3-no-runtime 1 'encodings' err
	# -c 4: four vCPUs, all of them the program's.
	osprey run -c 4 /usr/bin/python3 -c \
		'import os; print(os.cpu_count(), sorted(os.sched_getaffinity(0)))'
	expect run-python3-cpus 0 '^4 \[0, 1, 2, 3\]$' out
	# Processes from python: subprocess.run, os.popen (through /bin/sh),
	# os.fork with os.waitpid; busybox is the shell and echo.
	if [ -x /bin/busybox ]; then
		osprey run --add /bin/busybox:/bin/sh --add /bin/busybox:/bin/echo \
			-- "$py" -c 'import os, subprocess
r = subprocess.run(["/bin/echo", "hi"], capture_output=True)
print("run", r.returncode, r.stdout.decode().strip())
print("popen", os.popen("echo popen; exit 0").read().strip())
pid = os.fork()
if pid == 0:
    os._exit(7)
print("fork", os.WEXITSTATUS(os.waitpid(pid, 0)[1]))'
		expect run-python3-subprocess 0 '^run 0 hi$' out
		grep -qx 'popen popen' "$tmp/out" && grep -qx 'fork 7' "$tmp/out" &&
			pass run-python3-popen-fork ||
			fail run-python3-popen-fork "got: $(head -c 300 "$tmp/out")"
	fi
else
	fail run-python3 "no $py (tools/deps.sh installs python3)"
fi

# ---- multi-threaded programs on four vCPUs (pthreads pins to each) ----
for t in threads pthreads; do
	if [ -x build/abi/dynamic/$t ]; then
		osprey run -c 4 build/abi/dynamic/$t
		expect run-$t-4cpus 0 "^abi $t: [0-9]+ passed, 0 failed\$" out
	else
		fail run-$t-4cpus "build/abi/dynamic/$t not built (make -f mk/abi.mk abi-build)"
	fi
done

# ---- several processes: a shell's pipelines (fork, exec, wait) ----
bb=/bin/busybox
if [ -x "$bb" ]; then
	script='echo abc | tr a-c x-z; ls / | wc -l; ls / | cat'
	osprey run -- "$bb" sh -c "$script"
	want=$("$bb" sh -c 'echo abc | tr a-c x-z')
	n=$(sed -n 2p "$tmp/out" | tr -d ' ')
	if [ "$(head -1 "$tmp/out")" = "$want" ] &&
		[ "$n" = "$(($(wc -l <"$tmp/out") - 2))" ]; then
		expect run-busybox-pipeline 0 '' out
	else
		fail run-busybox-pipeline "got: $(head -c 300 "$tmp/out")"
	fi
	osprey run -- "$bb" sh -c 'for i in 1 2 3; do echo n$i | cat; done
		x=$(echo sub | tr a-z A-Z); echo $x; (exit 4); echo rc=$?; exit 3'
	expect run-busybox-loops 3 '^rc=4$' out
	grep -qx SUB "$tmp/out" && grep -qx n3 "$tmp/out" ||
		fail run-busybox-loops-output "got: $(head -c 300 "$tmp/out")"
else
	fail run-busybox-pipeline "no $bb (tools/deps.sh installs busybox)"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
