# make bench: boot time (bench/boot.sh), system-call costs
# (bench/syscall.sh), scheduler costs (bench/sched.sh) and UDP round trips
# and echoes per second over a TAP device (bench/net.sh; as root), each
# against the Linux guest on the same QEMU; console throughput
# (bench/console.sh: 64 MB from cat to a host pipe).
.PHONY: bench
bench: $(BUILD)/osprey.elf
	bench/boot.sh $(BUILD)/osprey.elf
	bench/syscall.sh
	bench/sched.sh $(BUILD)/osprey.elf
	bench/net.sh $(BUILD)/osprey.elf
	bench/console.sh
