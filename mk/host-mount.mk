# mount(2)'s option-string parser (fs/mount_opts.c, pure) on the host: the
# fuzz target (see mk/host.mk).
FUZZ_BINS += $(BUILD)/fuzz/fuzz_mountopt

$(BUILD)/fuzz/fuzz_mountopt: tests/fuzz/fuzz_mountopt.c fs/mount_opts.c \
		fs/mount_opts.h lib/lib.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< fs/mount_opts.c
