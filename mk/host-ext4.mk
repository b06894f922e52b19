# ext4 (fs/ext4) and crc32c (lib/crc32c.c) on the host: the unit test
# that reads images made by Debian's mke2fs, and the fuzzer that mounts
# and walks arbitrary images. Included by mk/host.mk.
EXT4_HOST_SRCS := $(sort $(wildcard fs/ext4/*.c)) lib/crc32c.c lib/printf.c \
	lib/string.c
EXT4_HOST_HDRS := fs/ext4/ext4.h fs/ext4/ext4_private.h lib/lib.h \
	kernel/kernel.h tests/host/check.h

HOST_TEST_BINS += $(BUILD)/host/test_ext4
FUZZ_BINS += $(BUILD)/fuzz/fuzz_ext4

$(BUILD)/host/test_ext4: tests/host/test_ext4.c $(EXT4_HOST_SRCS) $(EXT4_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(EXT4_HOST_SRCS)

$(BUILD)/fuzz/fuzz_ext4: tests/fuzz/fuzz_ext4.c $(EXT4_HOST_SRCS) $(EXT4_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(EXT4_HOST_SRCS)
