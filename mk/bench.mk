# make bench: boot time (bench/boot.sh) and system-call costs
# (bench/syscall.sh), each against the Linux guest on the same QEMU.
.PHONY: bench
bench: $(BUILD)/osprey.elf
	bench/boot.sh $(BUILD)/osprey.elf
	bench/syscall.sh
	bench/sched.sh $(BUILD)/osprey.elf
