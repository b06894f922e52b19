# `make bench`: boot-time benchmark, Osprey against the Linux guest on the
# same QEMU and accelerator (bench/boot.sh; DESIGN.md section 8). Knobs pass
# through the environment: RUNS=20, ICOUNT=1, LINUX=0, ACCEL=auto|kvm|tcg.
# The table is also appended to build/bench/results.txt.
.PHONY: bench
bench: $(BUILD)/osprey.elf
	bench/boot.sh $(BUILD)/osprey.elf
