# 9P2000.L's message layer (fs/9p/p9_msg.c, pure) on the host: the fuzz
# target that feeds it arbitrary replies. Included by mk/host.mk.
P9_HOST_SRCS := fs/9p/p9_msg.c
P9_HOST_HDRS := fs/9p/p9_msg.h

FUZZ_BINS += $(BUILD)/fuzz/fuzz_9p

$(BUILD)/fuzz/fuzz_9p: tests/fuzz/fuzz_9p.c $(P9_HOST_SRCS) $(P9_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(P9_HOST_SRCS)
