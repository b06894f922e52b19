#!/usr/bin/env bash
# `make test`: host unit tests, fuzz targets (briefly), the kernel's
# self-tests on microvm, q35 and pc, and boots with bad input that must fail
# cleanly. Prints PASS/FAIL per check and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

KERNEL=build/osprey.elf
LOGS=build/test-logs
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
mkdir -p "$LOGS"
passed=0 failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

# Counts the PASS/FAIL lines a program prints; a crash with none is a FAIL.
count_lines() { # NAME LOG RC
	local p f
	p=$(grep -c '^PASS' "$2" || true)
	f=$(grep -c '^FAIL' "$2" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	grep '^FAIL' "$2" || true
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then fail "$1" "exit status $3, see $2"; fi
	echo "$1: $p passed, $f failed"
}

# ---- host unit tests and fuzzers ----
for t in build/host/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" >"$LOGS/$name.log" 2>&1
	count_lines "$name" "$LOGS/$name.log" $?
done
if [ -x tests/fuzz/run.sh ]; then
	tests/fuzz/run.sh "$FUZZ_SECONDS" >"$LOGS/fuzz.log" 2>&1
	count_lines fuzz "$LOGS/fuzz.log" $?
fi

# ---- no busy-wait locks (DESIGN.md section 5): tools/check-no-spin.sh ----
if tools/check-no-spin.sh >"$LOGS/no-spin.log" 2>&1; then
	pass no-spinlocks
else
	fail no-spinlocks "$(head -3 "$LOGS/no-spin.log" | tr '\n' ' ')"
fi

# ---- docs/syscalls.md is generated from linux/ (tools/gen-syscalls-doc.sh) ----
if tools/gen-syscalls-doc.sh 2>"$LOGS/syscalls-doc.log" |
	diff -u docs/syscalls.md - >>"$LOGS/syscalls-doc.log"; then
	pass syscalls-doc-current
else
	fail syscalls-doc-current "regenerate: tools/gen-syscalls-doc.sh >docs/syscalls.md (see $LOGS/syscalls-doc.log)"
fi

# ---- ABI tests on the host Linux: they must pass there first ----
tests/abi/run-host.sh >"$LOGS/abi-host.log" 2>&1
count_lines abi-host "$LOGS/abi-host.log" $?

# ---- boots ----
# expect NAME STATUS PATTERN [qemu-run args...]: runs the kernel, checks the
# exit status and that the console matches the (extended) regex PATTERN.
expect() {
	local name=$1 want=$2 pattern=$3 log=$LOGS/$1.log rc
	shift 3
	tools/qemu-run --quiet --timeout "${TIMEOUT:-120}" "$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name" "exit status $rc, expected $want (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
	elif ! grep -aqE "$pattern" "$log"; then
		fail "$name" "console lacks /$pattern/ (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
	else
		pass "$name"
	fi
}

for m in microvm q35 pc; do
	expect "boot-$m" 0 'osprey-ready tsc=[0-9]+' --machine $m $KERNEL --bootchart
	expect "selftests-$m" 0 'selftests: [0-9]+ passed, 0 failed' \
		--machine $m $KERNEL --test=all
done
# Every vCPU comes up, on every machine, from the MADT or, without ACPI,
# from the MP table; the self-tests (the smp one among them) pass with 1
# (above), 2 and 4 CPUs.
for m in microvm q35 pc; do
	expect smp4-$m 0 'osprey: 4 CPUs online \(MADT\)' --machine $m --smp 4 $KERNEL --verbose
	expect smp8-$m 0 'osprey: 8 CPUs online' --machine $m --smp 8 $KERNEL --verbose
done
expect smp4-microvm-mptable 0 'osprey: 4 CPUs online \(MP table\)' --smp 4 \
	--qemu-arg -M --qemu-arg microvm,acpi=off $KERNEL --verbose
expect selftests-smp2 0 'selftests: [0-9]+ passed, 0 failed' --smp 2 $KERNEL --test=all
expect selftests-smp4 0 'selftests: [0-9]+ passed, 0 failed' --smp 4 $KERNEL --test=all
expect selftests-smp4-q35 0 'selftests: [0-9]+ passed, 0 failed' --machine q35 --smp 4 $KERNEL --test=all
expect boot-16m 0 'osprey-ready' --mem 16 $KERNEL --bootchart
expect boot-above-4g 0 'osprey-ready' --machine q35 --mem 4608 $KERNEL --bootchart

# ---- virtio (issue 8, the virtio helper's lines) ----
# virtio-net on each transport with QEMU's user network, whose gateway
# 10.0.2.2 answers ARP and ping: the virtio_net self-test sends through
# the driver and sees the replies come back. microvm: virtio-mmio v2
# (QEMU defaults to the legacy v1 interface: force-legacy=false), named
# in the DSDT with ACPI and on the command line without; q35: PCI through
# ECAM, MSI-X; pc: PCI through port I/O.
NET_USER=(--qemu-arg -netdev --qemu-arg user,id=n0)
MMIO_MODERN=(--qemu-arg -global --qemu-arg virtio-mmio.force-legacy=false)
expect virtio-net-microvm 0 'selftests: 1 passed, 0 failed' \
	"${MMIO_MODERN[@]}" "${NET_USER[@]}" --qemu-arg -device \
	--qemu-arg virtio-net-device,netdev=n0 $KERNEL --test=virtio_net_required
expect virtio-net-microvm-cmdline 0 'selftests: 1 passed, 0 failed' \
	--qemu-arg -M --qemu-arg microvm,acpi=off "${MMIO_MODERN[@]}" \
	"${NET_USER[@]}" --qemu-arg -device --qemu-arg virtio-net-device,netdev=n0 \
	$KERNEL --test=virtio_net_required
for m in q35 pc; do
	expect virtio-net-$m 0 'selftests: 1 passed, 0 failed' --machine $m \
		"${NET_USER[@]}" --qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0 \
		$KERNEL --test=virtio_net_required
done
expect pci-ecam-q35 0 'PCI: [0-9]+ functions, configuration through ECAM' \
	--machine q35 $KERNEL --verbose
expect pci-ports-pc 0 'PCI: [0-9]+ functions, configuration through ports' \
	--machine pc $KERNEL --verbose
# Without MSI-X the queues are polled (every millisecond) and still work.
expect virtio-net-no-msix 0 'no MSI-X: its queues are polled' --machine q35 \
	"${NET_USER[@]}" --qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0,vectors=0 \
	$KERNEL --verbose --test=virtio_net_required
# Several queue pairs need a multi-queue backend: a TAP device in a
# network namespace of our own, addressed 10.0.2.2 so that the host's
# kernel answers (and checks the checksums the device filled in).
ns=osprey-virtio-$$
if [ "$(id -u)" != 0 ]; then
	echo "SKIP virtio-net-mq: needs root for a network namespace"
elif ip netns add $ns 2>/dev/null; then
	ip netns exec $ns ip tuntap add dev vtap0 mode tap multi_queue &&
		ip netns exec $ns ip addr add 10.0.2.2/24 dev vtap0 &&
		ip netns exec $ns ip link set vtap0 up
	ip netns exec $ns tools/qemu-run --quiet --timeout "${TIMEOUT:-120}" \
		--machine q35 --smp 2 --qemu-arg -netdev \
		--qemu-arg tap,id=n0,ifname=vtap0,script=no,downscript=no,queues=2,vhost=off \
		--qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0,mq=on,vectors=6 \
		$KERNEL --verbose --test=virtio_net_required >"$LOGS/virtio-net-mq.log" 2>&1
	rc=$?
	ip netns del $ns
	if [ "$rc" = 0 ] && grep -aq 'eth0, 2 queue pairs:' "$LOGS/virtio-net-mq.log" &&
		grep -aq 'csum guest-csum tso4' "$LOGS/virtio-net-mq.log" &&
		grep -aq 'TSO4: a reset' "$LOGS/virtio-net-mq.log"; then
		pass virtio-net-mq
	else
		fail virtio-net-mq "exit status $rc (log: $LOGS/virtio-net-mq.log)"
	fi
else
	fail virtio-net-mq "cannot create a network namespace (ip netns add)"
fi
expect virtio-rng 0 'virtio-rng pci .*: 64 bytes mixed into the random pool' \
	--machine q35 --qemu-arg -device --qemu-arg virtio-rng-pci $KERNEL --verbose
expect virtio-rng-mmio 0 'virtio-rng mmio .*: 64 bytes mixed into the random pool' \
	"${MMIO_MODERN[@]}" --qemu-arg -device --qemu-arg virtio-rng-device \
	$KERNEL --verbose
# Legacy (pre-1.0) devices: one clear message, and the boot goes on.
expect virtio-legacy-pci 0 'legacy \(pre-1\.0\) device .*skipped' --machine pc \
	"${NET_USER[@]}" --qemu-arg -device \
	--qemu-arg virtio-net-pci,disable-modern=on,netdev=n0 $KERNEL --bootchart
expect virtio-legacy-mmio 0 'a legacy \(version 1\) device: skipped' \
	"${NET_USER[@]}" --qemu-arg -device --qemu-arg virtio-net-device,netdev=n0 \
	$KERNEL --bootchart
# Asked to require a device that is not there: a failure, not a skip.
expect virtio-net-required-absent 1 'no eth0 .*one was required' \
	$KERNEL --test=virtio_net_required

# ---- power-off without isa-debug-exit: ACPI S5 must end the VM ----
for m in microvm q35 pc; do
	timeout 60 qemu-system-x86_64 -M $m -accel tcg -cpu max -m 128 -nographic \
		-nodefaults -no-reboot -serial stdio -kernel $KERNEL \
		-append "--bootchart" </dev/null >"$LOGS/acpi-$m.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && grep -aq osprey-ready "$LOGS/acpi-$m.log"; then
		pass "acpi-poweroff-$m"
	else
		fail "acpi-poweroff-$m" "QEMU status $rc (124: it hung)"
	fi
done

# ---- bad input: a clear message and a non-zero status, never a hang ----
expect bad-option 2 "unknown option '--frobnicate'" $KERNEL --frobnicate
expect bad-quote 2 'unterminated' $KERNEL --test=all '"oops'
expect bad-test-name 2 "no self-test named 'nosuch'" $KERNEL --test=nosuch
expect bad-empty-test 2 'bad command line' $KERNEL --test=
expect no-initrd 4 'no initrd' $KERNEL -- /bin/app
head -c 4096 /dev/urandom >"$LOGS/garbage.cpio"
expect corrupt-initrd 4 'not a valid cpio' --initrd "$LOGS/garbage.cpio" $KERNEL
(cd tests && find host -name '*.c' | cpio -o -H newc --quiet) >"$LOGS/good.cpio"
head -c 3000 "$LOGS/good.cpio" >"$LOGS/truncated.cpio"
expect truncated-initrd 4 'not a valid cpio' --initrd "$LOGS/truncated.cpio" $KERNEL
expect good-initrd 0 'osprey-ready' --initrd "$LOGS/good.cpio" $KERNEL --bootchart
expect too-little-ram 3 'not enough memory' --mem 2 $KERNEL
expect fatal-fault 125 'fatal exception 14 \(#PF page fault\).*' $KERNEL --test=crash
grep -aq 'crash_test' "$LOGS/fatal-fault.log" && pass fatal-fault-backtrace ||
	fail fatal-fault-backtrace "no symbolised frame in $LOGS/fatal-fault.log"

# ---- applications: unmodified Linux executables ----
tests/mkinitrd.sh "$LOGS/hello.cpio" build/apps/hello-static:/bin/hello \
	build/apps/hello-dynamic:/bin/hello-dyn
expect app-hello-static 0 '^Hello from /bin/hello on Osprey!' \
	--initrd "$LOGS/hello.cpio" $KERNEL --quiet -- /bin/hello
expect app-hello-dynamic 0 '^argv\[2\] = two words' \
	--initrd "$LOGS/hello.cpio" $KERNEL --quiet -- /bin/hello-dyn one "'two words'"
expect app-missing 127 'cannot read /bin/nothere' \
	--initrd "$LOGS/hello.cpio" $KERNEL --quiet -- /bin/nothere
expect app-not-elf 127 'not a program Osprey can run' \
	--initrd "$LOGS/hello.cpio" $KERNEL --quiet -- /etc/passwd
# The smallest memory that runs hello, each alone in its initrd: file
# pages are the page cache's (the loader and ld.so's mmap map them, copy
# on write) and the initrd is freed as it is unpacked, so the dynamic
# one runs in 6 MiB (10 before) and the static one in 5 (6 before).
# Running out of memory is an error, never a kernel fault: one MiB less
# stops cleanly with Osprey's out-of-memory status (3) or the initrd's (4).
tests/mkinitrd.sh "$LOGS/hello-static.cpio" build/apps/hello-static:/bin/hello
tests/mkinitrd.sh "$LOGS/hello-dyn.cpio" build/apps/hello-dynamic:/bin/hello-dyn
expect app-static-in-5m 0 '^Hello from /bin/hello on Osprey!' \
	--mem 5 --initrd "$LOGS/hello-static.cpio" $KERNEL --quiet -- /bin/hello
expect app-static-in-4m 3 'not enough memory' \
	--mem 4 --initrd "$LOGS/hello-static.cpio" $KERNEL --quiet -- /bin/hello
expect app-dynamic-in-6m 0 '^Hello from /bin/hello-dyn on Osprey!' \
	--mem 6 --initrd "$LOGS/hello-dyn.cpio" $KERNEL --quiet -- /bin/hello-dyn
expect app-dynamic-in-5m 3 'error 12|not enough memory' \
	--mem 5 --initrd "$LOGS/hello-dyn.cpio" $KERNEL --quiet -- /bin/hello-dyn
# A program touching more than there is is killed as Linux's OOM killer
# would (SIGKILL, 137).
tests/mkinitrd.sh "$LOGS/bigmem.cpio" build/apps/bigmem-static:/bin/bigmem
expect app-out-of-memory 137 'out of memory: the program needed a page' \
	--mem 32 --initrd "$LOGS/bigmem.cpio" $KERNEL --quiet -- /bin/bigmem

# Every ABI program again, inside Osprey (GUEST_ABI="name..." picks some),
# and the dynamic builds again on four vCPUs.
tests/abi/run-guest.sh ${GUEST_ABI:-} >"$LOGS/abi-guest.log" 2>&1
count_lines abi-guest "$LOGS/abi-guest.log" $?
ABI_SMP=4 ABI_VARIANTS=dynamic tests/abi/run-guest.sh ${GUEST_ABI:-} \
	>"$LOGS/abi-guest-smp4.log" 2>&1
count_lines abi-guest-smp4 "$LOGS/abi-guest-smp4.log" $?
# The socket programs again on q35 with a virtio-net device on PCI beside
# lo (interface 2, configured), as microvm runs them with none.
ABI_MACHINE=q35 ABI_NET=user ABI_VARIANTS=dynamic \
	ABI_KERNEL_ARGS="--ip=10.0.2.15/24,10.0.2.2" tests/abi/run-guest.sh \
	sock_udp sock_unix sock_errors sock_netlink sock_tcp sock_tcp_opts sock_tcp_epoll \
	>"$LOGS/abi-guest-q35.log" 2>&1
count_lines abi-guest-q35 "$LOGS/abi-guest-q35.log" $?

# Real programs from Debian's packages, compared with the host's output.
tests/apps/run.sh >"$LOGS/apps.log" 2>&1
count_lines apps "$LOGS/apps.log" $?
# Interpreters and the JDK with no --add (runtime recipes).
tests/apps/runtimes.sh >"$LOGS/runtimes.log" 2>&1
count_lines runtimes "$LOGS/runtimes.log" $?
# The sweep: 80 Debian programs, each compared with the host (one PASS or
# FAIL line per program), in at most SWEEP_SECONDS (180) of the suite.
SWEEP_SECONDS=${SWEEP_SECONDS:-180} tests/apps/sweep.sh >"$LOGS/sweep.log" 2>&1
count_lines sweep "$LOGS/sweep.log" $?

# Networking from the host side (tests/net/run.sh): the guest on a TAP
# device in a network namespace of its own (ping, UDP echo, DHCP and names
# from dnsmasq, hostile frames), Debian's dnsmasq in the guest behind
# `osprey run -p`, and Debian's memcached, redis-server and nginx driven
# by their clients (tests/net/apps.sh). As root only (it prints one SKIP
# line otherwise).
tests/net/run.sh >"$LOGS/net.log" 2>&1
count_lines net "$LOGS/net.log" $?

tests/mkinitrd.sh "$LOGS/vdso.cpio" build/apps/vdso_check-static:/bin/vdso_check \
	build/apps/vdso_check-dynamic:/bin/vdso_check_dyn
expect app-vdso-static 0 '^vdso: ok' --initrd "$LOGS/vdso.cpio" $KERNEL --quiet -- /bin/vdso_check
expect app-vdso-dynamic 0 '^vdso: ok' --initrd "$LOGS/vdso.cpio" $KERNEL --quiet -- /bin/vdso_check_dyn

tests/mkinitrd.sh "$LOGS/proc.cpio" build/apps/proc_check-static:/bin/proc_check \
	build/apps/proc_check-dynamic:/bin/proc_check_dyn
expect app-proc-static 0 '^proc_check: [0-9]+ passed, 0 failed' \
	--initrd "$LOGS/proc.cpio" $KERNEL --quiet -- /bin/proc_check one "'two words'"
expect app-proc-dynamic 0 '^proc_check: [0-9]+ passed, 0 failed' \
	--initrd "$LOGS/proc.cpio" $KERNEL --quiet -- /bin/proc_check_dyn one "'two words'"

expect app-strace 0 '^\[[0-9]+\] openat\(-100, "/lib/x86_64-linux-gnu/libc.so.6", 0x80000, 00\) = 3' \
	--initrd "$LOGS/hello.cpio" $KERNEL --quiet --strace -- /bin/hello-dyn

# ---- disks (tests/blk/run.sh): virtio-blk on microvm, q35 and pc, with
# the same program first on a host loop device ----
tests/blk/run.sh >"$LOGS/blk.log" 2>&1
count_lines blk "$LOGS/blk.log" $?
# ext4 mounted from a disk, checked by e2fsck and debugfs (tests/blk/ext4.sh)
tests/blk/ext4.sh >"$LOGS/ext4.log" 2>&1
count_lines ext4 "$LOGS/ext4.log" $?
# the root file system on an ext4 disk (tests/blk/ext4root.sh)
tests/blk/ext4root.sh >"$LOGS/ext4root.log" 2>&1
count_lines ext4root "$LOGS/ext4root.log" $?
# QEMU killed 20 times while a guest fsyncs records (tests/blk/crash.sh)
tests/blk/crash.sh >"$LOGS/crash.log" 2>&1
count_lines crash "$LOGS/crash.log" $?
# host folders over virtio-9p, microvm and q35 (tests/blk/share.sh)
tests/blk/share.sh >"$LOGS/share.log" 2>&1
count_lines share "$LOGS/share.log" $?
# the page cache's shrinker: 400 MiB read on a guest of 64 MiB
# (tests/blk/shrink.sh)
tests/blk/shrink.sh >"$LOGS/shrink.log" 2>&1
count_lines shrink "$LOGS/shrink.log" $?
# fio's libaio engine at queue depth 32, O_DIRECT (tests/blk/fio-aio.sh)
tests/blk/fio-aio.sh >"$LOGS/fio-aio.log" 2>&1
count_lines fio-aio "$LOGS/fio-aio.log" $?

# ---- the osprey command ----
tests/cli/run.sh >"$LOGS/cli.log" 2>&1
count_lines cli "$LOGS/cli.log" $?
# The terminal, through tmux (tests/cli/tty.sh).
tests/cli/tty.sh >"$LOGS/cli-tty.log" 2>&1
count_lines cli-tty "$LOGS/cli-tty.log" $?

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
