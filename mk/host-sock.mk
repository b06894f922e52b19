# The socket layer's host test and fuzz target: the netlink message walk
# (net/nlmsg.c), which reads what applications send to AF_NETLINK sockets.
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
