# ABI tests (tests/abi): ordinary Linux programs built with the host gcc,
# each both static and dynamic, that pass on the host Linux and, unchanged,
# inside Osprey (DESIGN.md section 7). Included by the top-level Makefile;
# also works alone:
#   make -f mk/abi.mk abi-build    # build/abi/{static,dynamic}/NAME
#   make -f mk/abi.mk abi-host     # ... and run them all on the host

BUILD ?= build
HOSTCC ?= gcc

ABI_CFLAGS := -std=gnu11 -O1 -g -pthread -Wall -Wextra -Werror
ABI_NAMES := $(sort $(basename $(notdir $(wildcard tests/abi/*.c))))
ABI_STATIC := $(patsubst %,$(BUILD)/abi/static/%,$(ABI_NAMES))
ABI_DYNAMIC := $(patsubst %,$(BUILD)/abi/dynamic/%,$(ABI_NAMES))

.PHONY: abi-build abi-host

abi-build: $(ABI_STATIC) $(ABI_DYNAMIC)

abi-host: abi-build
	BUILD=$(BUILD) tests/abi/run-host.sh

$(BUILD)/abi/static/%: tests/abi/%.c $(wildcard tests/abi/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(ABI_CFLAGS) -static -o $@ $<

$(BUILD)/abi/dynamic/%: tests/abi/%.c $(wildcard tests/abi/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(ABI_CFLAGS) -o $@ $<
