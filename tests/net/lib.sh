# Shared by tests/net/run.sh and bench/net.sh (sourced, bash): a network
# namespace with a TAP device, and guests booted on it.
#
#   NS        the namespace (osprey-test-$$ unless set before sourcing)
#   TAP       a TAP device in it (tap0), and TAPMQ (tapmq) one made
#             multi_queue, so that a guest with several vCPUs gets a queue
#             pair each; both are ports of a bridge br0 at 198.18.0.1/24
#             (RFC 2544's benchmarking range: it exists only inside NS)
#   GUEST     osprey (build/osprey.elf) or linux (the Linux guest of
#             ../shared/bench/linux-guest, built under build/linux-guest
#             by its run.sh: Debian's kernel booted through PVH, a busybox
#             /init of ours, tests/net/linux-init): the same tests and the
#             same QEMU, so that the host side is proven without Osprey's
#             network.
#
# Every guest runs under tools/qemu-run --timeout, in the background, its
# console in a log; guest_wait waits for a line in it, bounded in time.
NS=${NS:-osprey-test-$$}
TAP=tap0
TAPMQ=tapmq
BRIDGE=br0
HOST_IP=198.18.0.1
GUEST=${GUEST:-osprey}
LINUX_WORK=${LINUX_WORK:-build/linux-guest/work}
NX="ip netns exec $NS"
GUEST_PIDS=()

ns_up() {
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	ip -n "$NS" link add "$BRIDGE" type bridge || return 1
	ip -n "$NS" tuntap add dev "$TAP" mode tap || return 1
	ip -n "$NS" tuntap add dev "$TAPMQ" mode tap multi_queue || return 1
	local d
	for d in "$TAP" "$TAPMQ"; do
		ip -n "$NS" link set "$d" master "$BRIDGE"
		ip -n "$NS" link set "$d" up
	done
	ip -n "$NS" addr add "$HOST_IP/24" dev "$BRIDGE"
	ip -n "$NS" link set "$BRIDGE" up
	# NET_PCAP=FILE: every frame on the bridge, for reading afterwards
	# (tshark -r FILE); a debugging aid, never used by the tests.
	if [ -n "${NET_PCAP:-}" ]; then
		$NX tcpdump -i "$BRIDGE" -s 0 -U -w "$NET_PCAP" 2>/dev/null &
		GUEST_PIDS+=($!)
		sleep 0.5
	fi
}

# Stops the guests still running (their qemu-run ends its QEMU on TERM),
# and removes the namespace with its TAP device.
ns_down() {
	local p
	for p in "${GUEST_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${GUEST_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	GUEST_PIDS=()
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	return 0
}

# The Linux guest's kernel command line for our /init, from Osprey's
# options: --ip=A/P[,G] -> nt.ip=A/P nt.gw=G, --dns=D -> nt.dns=D,
# --verbose dropped; LINUX_APPEND added; after "--" the program, which the kernel hands to
# /init as its arguments.
linux_cmdline() {
	local out="console=ttyS0 quiet reboot=t tsc=reliable no_timer_check"
	out+=" i8042.noaux i8042.nomux i8042.nopnp"
	local mhz
	mhz=$(awk -F: '/^cpu MHz/{printf "%d", $2; exit}' /proc/cpuinfo)
	# As run.sh: under TCG the TSC runs at the host's rate, which the
	# PIT calibration often misses; under -icount it counts instructions.
	[ -n "$mhz" ] && [ "$mhz" -gt 0 ] && [ "${LINUX_ICOUNT:-0}" != 1 ] &&
		out+=" tsc_early_khz=$((mhz * 1000))"
	[ "$1" = microvm ] && out+=" edd=off pci=off"
	out+=${LINUX_APPEND:+ $LINUX_APPEND}
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		--ip=*,*) v=${1#--ip=}; out+=" nt.ip=${v%,*} nt.gw=${v#*,}" ;;
		--ip=*) out+=" nt.ip=${1#--ip=}" ;;
		--dns=*) out+=" nt.dns=${1#--dns=}" ;;
		esac
		shift
	done
	echo "$out $*"
}

# linux_image OUT HOST:GUEST...: the Linux guest's initramfs with busybox,
# its virtio modules, our /init and the given files.
linux_image() {
	local out=$1 m mods=()
	shift
	[ -r "$LINUX_WORK/vmlinux" ] || {
		echo "no $LINUX_WORK/vmlinux: run ../shared/bench/linux-guest/run.sh" \
			"(STEPS=deps) in build/linux-guest first" >&2
		return 1
	}
	for m in $(cat "$LINUX_WORK/initrd-full/lib/modules/load-order"); do
		mods+=("$LINUX_WORK/initrd-full/lib/modules/$m.ko:/lib/modules/$m.ko")
	done
	tests/mkinitrd.sh "$out" /bin/busybox:/bin/busybox tests/net/linux-init:/init \
		"$LINUX_WORK/initrd-full/lib/modules/load-order:/lib/modules/load-order" \
		"${mods[@]}" "$@"
}

# guest_start LOG MACHINE SMP NETSPEC IMAGE TIMEOUT KERNEL-OPTIONS... [--
# PROGRAM ARGS...]: boots a guest in the background (GUEST_PID) on
# NETSPEC (qemu-run's --net: tap:$TAP runs it inside the namespace).
# QEMU_RUN_EXTRA: more qemu-run options (--icount).
guest_start() {
	local log=$1 machine=$2 smp=$3 net=$4 image=$5 timeout=$6 prefix=()
	shift 6
	[[ $net == tap:* ]] && prefix=($NX)
	prefix+=(tools/qemu-run ${QEMU_RUN_EXTRA:-})
	: >"$log"
	if [ "$GUEST" = linux ]; then
		"${prefix[@]}" --quiet --machine "$machine" --smp "$smp" \
			--mem 256 --timeout "$timeout" --net "$net" --initrd "$image" \
			"$LINUX_WORK/vmlinux" "$(linux_cmdline "$machine" "$@")" \
			</dev/null >"$log" 2>&1 &
	else
		"${prefix[@]}" --quiet --machine "$machine" --smp "$smp" \
			--timeout "$timeout" --net "$net" --initrd "$image" \
			build/osprey.elf "$@" </dev/null >"$log" 2>&1 &
	fi
	GUEST_PID=$!
	GUEST_PIDS+=("$GUEST_PID")
}

# guest_wait LOG REGEX SECONDS: until the console matches (0), or the
# guest ended or the time ran out (1).
guest_wait() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -aqE "$2" "$1" && return 0
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -aqE "$2" "$1"
}

# guest_end [SECONDS]: waits for the guest (at most SECONDS, default 30;
# then kills it) and sets GUEST_STATUS: the program's exit status (Osprey:
# qemu-run's; Linux: the "NETTEST-EXIT N" line of our /init), 124 on
# timeout.
guest_end() {
	local i log=${GUEST_LOG:-}
	for ((i = 0; i < ${1:-30} * 10; i++)); do
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$GUEST_PID" 2>/dev/null
	wait "$GUEST_PID"
	GUEST_STATUS=$?
	[ "$i" -ge $((${1:-30} * 10)) ] && GUEST_STATUS=124
	if [ "$GUEST" = linux ] && [ "$GUEST_STATUS" != 124 ] && [ -n "$log" ]; then
		GUEST_STATUS=$(grep -ao 'NETTEST-EXIT [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
		GUEST_STATUS=${GUEST_STATUS:-125}
	fi
}
