# The socket layer's host tests and fuzz targets, for the parsers of what
# applications send: the netlink message walk (net/nlmsg.c) of AF_NETLINK
# sendmsg.
HOST_TEST_BINS += $(BUILD)/host/test_netlink
FUZZ_BINS += $(BUILD)/fuzz/fuzz_netlink

$(BUILD)/host/test_netlink: tests/host/test_netlink.c net/nlmsg.c \
		net/nlmsg.h tests/host/check.h $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< net/nlmsg.c

$(BUILD)/fuzz/fuzz_netlink: tests/fuzz/fuzz_netlink.c net/nlmsg.c \
		net/nlmsg.h $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< net/nlmsg.c

# The walk over control messages (net/cmsg.c): sendmsg's msg_control.
HOST_TEST_BINS += $(BUILD)/host/test_cmsg
FUZZ_BINS += $(BUILD)/fuzz/fuzz_cmsg

$(BUILD)/host/test_cmsg: tests/host/test_cmsg.c net/cmsg.c net/cmsg.h \
		tests/host/check.h $(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< net/cmsg.c

$(BUILD)/fuzz/fuzz_cmsg: tests/fuzz/fuzz_cmsg.c net/cmsg.c net/cmsg.h \
		$(HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< net/cmsg.c
