# Host unit tests (tests/host) and libFuzzer targets (tests/fuzz) for the
# pure parts of the kernel, built for the host with sanitizers. Included
# by the top-level Makefile; also works alone: make -f mk/host.mk host-tests
#
# Everything is compiled with -DOSPREY_HOST (lib/lib.h then takes the
# string functions from the host's <string.h>) and with snprintf and
# vsnprintf renamed to osprey_*: lib/printf.c must not replace the host
# C library's own, which the sanitizers, libFuzzer and test_printf (as the
# reference) rely on.

BUILD ?= build
HOSTCC ?= gcc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300

HOST_DEFS := -DOSPREY_HOST -Dsnprintf=osprey_snprintf \
	-Dvsnprintf=osprey_vsnprintf
HOST_CFLAGS := -O1 -g $(HOST_DEFS) -I. -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 $(HOST_DEFS) -I. -fsanitize=fuzzer,address,undefined

# The kernel sources that build on the host, and what they include.
HOST_SRCS := lib/printf.c lib/string.c kernel/cmdline.c \
	kernel/mm/memmap.c kernel/mm/buddy.c fs/cpio.c linux/elf.c linux/stack.c \
	drivers/mptable.c
HOST_HDRS := lib/lib.h kernel/kernel.h kernel/mm/mm.h kernel/mm/memmap.h \
	kernel/mm/buddy.h fs/cpio.h arch/x86_64/layout.h linux/elf.h \
	drivers/drivers.h \
	tests/host/check.h

HOST_TESTS := cmdline memmap buddy cpio printf elf stack mptable
HOST_TEST_BINS := $(patsubst %,$(BUILD)/host/test_%,$(HOST_TESTS))
FUZZ_TARGETS := cmdline memmap cpio elf mptable
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

# Subsystems with host tests of their own add them in mk/host-NAME.mk:
# HOST_TEST_BINS += and FUZZ_BINS += with explicit rules, which take
# precedence over the pattern rules below (their sources differ).
-include $(sort $(wildcard mk/host-*.mk))

.PHONY: host-tests host-check fuzz-build fuzz

host-tests: $(HOST_TEST_BINS)

# Builds and runs the host tests; `make test` runs them through tests/run.sh.
host-check: $(HOST_TEST_BINS)
	@status=0; for t in $(HOST_TEST_BINS); do $$t || status=1; done; \
	exit $$status

$(BUILD)/host/test_%: tests/host/test_%.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(HOST_SRCS)

# test_elf parses a static binary too; it looks for it beside itself.
$(BUILD)/host/test_elf: $(BUILD)/host/static-hello

$(BUILD)/host/static-hello: tests/host/static_hello.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -static -O1 -o $@ $<

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(HOST_SRCS)

# Runs each fuzzer for FUZZ_SECONDS on a copy of its seed corpus in
# $(BUILD)/fuzz/corpus-NAME (the committed seeds are never written).
fuzz: $(FUZZ_BINS)
	BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS)
