# Processes' host fuzz target (see mk/host.mk): execve's `#!` line parser
# (linux/shebang.c, pure).
FUZZ_BINS += $(BUILD)/fuzz/fuzz_shebang

$(BUILD)/fuzz/fuzz_shebang: tests/fuzz/fuzz_shebang.c linux/shebang.c \
		linux/shebang.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< linux/shebang.c
