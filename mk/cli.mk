# The osprey command (tools/osprey): `osprey build` packs a host program
# into an image, `osprey run` boots it. Included by the top-level Makefile;
# also works alone: make -f mk/cli.mk cli
#
#   make cli          build/osprey
#   make install      build/osprey and build/osprey.elf into $(PREFIX)
#   make cli-test     tests/cli/run.sh (needs build/osprey.elf and make apps)
#
# Its two parsers of outside input (ELF files, /etc/ld.so.cache) also get
# a host unit test (build/host/test_cli_elf, run by tests/run.sh with the
# other host tests) and libFuzzer targets (build/fuzz/fuzz_cli_*, run by
# tests/fuzz/run.sh with the others).

BUILD ?= build
HOSTCC ?= gcc
FUZZ_CC ?= clang
PREFIX ?= /usr/local

CLI_SRCS := $(sort $(wildcard tools/osprey/*.c))
CLI_HDRS := $(sort $(wildcard tools/osprey/*.h))
# The pure parsers: no I/O, so the tests and fuzzers link them alone.
CLI_PARSERS := tools/osprey/elfdeps.c tools/osprey/ldcache.c
CLI_PARSER_HDRS := tools/osprey/elfdeps.h tools/osprey/ldcache.h

.PHONY: cli install cli-test host-tests fuzz-build

cli: $(BUILD)/osprey

$(BUILD)/osprey: $(CLI_SRCS) $(CLI_HDRS) mk/cli.mk
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -Werror -std=gnu11 -I. \
		-DOSPREY_LIBDIR='"$(PREFIX)/lib/osprey"' -o $@ $(CLI_SRCS)

install: $(BUILD)/osprey $(BUILD)/osprey.elf
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/osprey
	install -m 755 $(BUILD)/osprey $(DESTDIR)$(PREFIX)/bin/osprey
	install -m 644 $(BUILD)/osprey.elf \
		$(DESTDIR)$(PREFIX)/lib/osprey/osprey.elf

cli-test: $(BUILD)/osprey
	tests/cli/run.sh

host-tests: $(BUILD)/host/test_cli_elf $(BUILD)/host/test_cli_ldcache
fuzz-build: $(BUILD)/fuzz/fuzz_cli_elf $(BUILD)/fuzz/fuzz_cli_ldcache

# These patterns are more specific than mk/host.mk's test_% and fuzz_%,
# so make picks them: the CLI's parsers are not kernel code.
$(BUILD)/host/test_cli_%: tests/host/test_cli_%.c $(CLI_PARSERS) \
		$(CLI_PARSER_HDRS) tests/host/check.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -O1 -g -I. -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(CLI_PARSERS)

$(BUILD)/fuzz/fuzz_cli_%: tests/fuzz/fuzz_cli_%.c $(CLI_PARSERS) \
		$(CLI_PARSER_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(CLI_PARSERS)
