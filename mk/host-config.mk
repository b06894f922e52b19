# The network configuration's host tests and fuzzer (net/dhcp_msg.c: the
# DHCP client's messages and state machine). Included by mk/host.mk.
DHCP_HOST_SRCS := net/dhcp_msg.c tests/host/dhcp_host.c
DHCP_HOST_HDRS := net/dhcp.h net/net.h lib/lib.h tests/host/check.h

HOST_TEST_BINS += $(BUILD)/host/test_dhcp
FUZZ_BINS += $(BUILD)/fuzz/fuzz_dhcp

$(BUILD)/host/test_dhcp: tests/host/test_dhcp.c $(DHCP_HOST_SRCS) $(DHCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(DHCP_HOST_SRCS)

$(BUILD)/fuzz/fuzz_dhcp: tests/fuzz/fuzz_dhcp.c $(DHCP_HOST_SRCS) $(DHCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(DHCP_HOST_SRCS)

# The client against dnsmasq over a veth pair (root, a network namespace):
# tests/host/dhcp-interop.sh builds and runs it; not part of make test.
# (The host's own snprintf: nothing of lib/ is linked in.)
$(BUILD)/host/dhcp_interop: tests/host/dhcp_interop.c $(DHCP_HOST_SRCS) $(DHCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(filter-out -Dsnprintf=osprey_snprintf -Dvsnprintf=osprey_vsnprintf,$(HOST_CFLAGS)) \
		-o $@ $< $(DHCP_HOST_SRCS)
