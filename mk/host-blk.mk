# The block layer's host test and fuzz target (see mk/host.mk): virtio-blk's
# configuration checks (drivers/virtio/blk_config.c, pure). And the disk
# test program tests/blk/run.sh runs on the host and in the guest.
BLK_HOST_SRCS := drivers/virtio/blk_config.c
BLK_HOST_HDRS := drivers/virtio/blk_config.h tests/host/check.h

HOST_TEST_BINS += $(BUILD)/host/test_blk_config
FUZZ_BINS += $(BUILD)/fuzz/fuzz_blk_config

$(BUILD)/host/test_blk_config: tests/host/test_blk_config.c $(BLK_HOST_SRCS) \
		$(BLK_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(BLK_HOST_SRCS)

$(BUILD)/fuzz/fuzz_blk_config: tests/fuzz/fuzz_blk_config.c $(BLK_HOST_SRCS) \
		$(BLK_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(BLK_HOST_SRCS)

$(BUILD)/blk/blkio: tests/blk/blkio.c tests/abi/common.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O1 -g -pthread -Wall -Wextra -Werror -static \
		-o $@ $<

# tests/blk/crash.sh's guest program: records appended and fsync'd until
# QEMU is killed.
$(BUILD)/blk/crashwrite: tests/blk/crashwrite.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -static -o $@ $<

.PHONY: blk-build
blk-build: $(BUILD)/blk/blkio $(BUILD)/blk/crashwrite
