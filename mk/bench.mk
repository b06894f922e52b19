# make bench: boot time (bench/boot.sh), system-call costs
# (bench/syscall.sh), scheduler costs (bench/sched.sh) and UDP round trips
# and echoes per second over a TAP device (bench/net.sh; as root), TCP
# stream, round trips, memcached, redis and nginx over a TAP device
# (bench/tcp.sh; as root; it boots programs through the osprey command),
# each against the Linux guest on the same QEMU; console throughput
# (bench/console.sh: 64 MB from cat to a host pipe); process costs
# (bench/proc.sh: fork, vfork+exec, posix_spawn, a busybox pipeline);
# memory and start-up of hello, python3, node and java (bench/mem.sh:
# smallest -m, resident memory, time to the first line).
.PHONY: bench
bench: deps cli # tcp.sh: the servers tools/deps.sh unpacks; osprey run
bench: $(BUILD)/osprey.elf
bench: apps # mem.sh: the hello programs
	bench/boot.sh $(BUILD)/osprey.elf
	bench/syscall.sh
	bench/sched.sh $(BUILD)/osprey.elf
	bench/proc.sh $(BUILD)/osprey.elf
	bench/net.sh $(BUILD)/osprey.elf
	bench/console.sh
	bench/mem.sh
	bench/tcp.sh $(BUILD)/osprey.elf
