# Osprey. `make` builds the kernel (build/osprey.elf); `make run` boots it;
# `make test` runs every test; `make bench` compares with a Linux guest.
# `make run` and `make test` first install what is missing (tools/deps.sh).

BUILD := build
KCC := gcc
HOSTCC := gcc

KERNEL_SRCS := $(sort $(wildcard arch/x86_64/*.c arch/x86_64/*.S \
	kernel/*.c kernel/*/*.c kernel/*/tests/*.c drivers/*.c drivers/*/*.c \
	block/*.c block/tests/*.c \
	drivers/tests/*.c lib/*.c fs/*.c fs/ext4/*.c fs/9p/*.c fs/tests/*.c net/*.c net/tests/*.c \
	linux/*.c linux/*.S linux/tests/*.c))
KERNEL_OBJS := $(patsubst %,$(BUILD)/k/%.o,$(basename $(KERNEL_SRCS)))

KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-strict-aliasing -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T arch/x86_64/kernel.ld

.PHONY: all run test bench fuzz deps clean host-tests fuzz-build apps cli install
all: $(BUILD)/osprey.elf

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -c $< -o $@

# fs/ is -Wmissing-prototypes clean (every exported function is in a
# header); the flag keeps it so, and grows to the tree as it gets clean.
$(BUILD)/k/fs/%.o: KCFLAGS += -Wmissing-prototypes
$(BUILD)/k/linux/proc_pid.o: KCFLAGS += -Wmissing-prototypes

$(BUILD)/k/%.o: %.S
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two links: the first finds the function addresses, the second embeds
# them as the symbol table (.ksyms is placed so that no function moves;
# the check below proves it).
$(BUILD)/ksyms-empty.o: tools/gen-ksyms.sh
	@mkdir -p $(BUILD)
	tools/gen-ksyms.sh >$(BUILD)/ksyms-empty.S
	$(KCC) -c $(BUILD)/ksyms-empty.S -o $@

$(BUILD)/osprey.elf: $(KERNEL_OBJS) $(BUILD)/ksyms-empty.o arch/x86_64/kernel.ld
	ld $(KLDFLAGS) -o $(BUILD)/osprey.pass1.elf $(KERNEL_OBJS) $(BUILD)/ksyms-empty.o
	tools/gen-ksyms.sh $(BUILD)/osprey.pass1.elf >$(BUILD)/ksyms.S
	$(KCC) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	ld $(KLDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	@tools/gen-ksyms.sh $@ | cmp -s - $(BUILD)/ksyms.S || \
		{ echo "symbol table moved between links" >&2; rm -f $@; exit 1; }

# Small applications the tests and the demo run inside Osprey.
$(BUILD)/apps/%-static: tests/apps/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -static -o $@ $<
$(BUILD)/apps/%-dynamic: tests/apps/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -o $@ $<
APPS := $(BUILD)/apps/hello-static $(BUILD)/apps/hello-dynamic \
	$(BUILD)/apps/proc_check-static $(BUILD)/apps/proc_check-dynamic \
	$(BUILD)/apps/bigmem-static $(BUILD)/apps/udp_echo-static \
	$(BUILD)/apps/udp_echo-dynamic $(BUILD)/apps/tcp_echo-static \
	$(BUILD)/apps/tcp_stream-static
apps: $(APPS)

deps:
	@tools/deps.sh

# The default demo: a small program of ours, run unmodified through the
# osprey command (build/osprey run packs it with its libraries and boots).
run: deps all cli $(BUILD)/apps/hello-dynamic
	$(BUILD)/osprey run -- $(BUILD)/apps/hello-dynamic "from make run"

test: deps all cli host-tests fuzz-build apps abi-build
	@tests/run.sh

clean:
	rm -rf $(BUILD)

-include mk/host.mk
-include mk/bench.mk
-include mk/abi.mk
-include mk/vdso.mk
-include mk/cli.mk
-include $(KERNEL_OBJS:.o=.d)
