# Host builds of net/'s IPv4 stack: the unit tests (tests/host/test_net.c)
# and the receive-path fuzzer (tests/fuzz/fuzz_netrx.c). The kernel's
# scheduler and synchronisation headers are replaced by
# tests/host/net_host.h (force-included), their services by
# tests/host/net_host.c; net/sockwait.c (sleeping, the timer thread) and
# net/stub_ipv4.c stay kernel-only.

NET_HOST_SRCS := net/channel.c net/ether.c net/arp.c net/ip.c net/frag.c \
	net/icmp.c net/route.c net/flow.c net/udp.c net/snmp.c \
	net/loopback.c net/core.c tests/host/net_host.c lib/printf.c \
	net/tcp_work.c net/tcp_in.c net/tcp_out.c net/tcp_sock.c \
	net/tcp_opt.c net/tcp_rtt.c net/tcp_cc.c net/tcp_ooo.c \
	net/tcp_cookie.c net/tcp_tw.c net/tcp_sq.c lib/siphash.c \
	lib/string.c
NET_HOST_HDRS := net/net.h net/net_private.h tests/host/net_host.h \
	tests/host/net_host_dev.h tests/host/check.h net/tcp.h net/tcp_int.h
NET_HOST_FLAGS := -include tests/host/net_host.h

HOST_TEST_BINS += $(BUILD)/host/test_net
FUZZ_BINS += $(BUILD)/fuzz/fuzz_netrx

$(BUILD)/host/test_net: tests/host/test_net.c $(NET_HOST_SRCS) \
		$(NET_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(NET_HOST_FLAGS) -o $@ $< $(NET_HOST_SRCS)

$(BUILD)/fuzz/fuzz_netrx: tests/fuzz/fuzz_netrx.c $(NET_HOST_SRCS) \
		$(NET_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(NET_HOST_FLAGS) -o $@ $< $(NET_HOST_SRCS)

# TCP's connections under arbitrary segments (added by TCP)
FUZZ_BINS += $(BUILD)/fuzz/fuzz_tcp
$(BUILD)/fuzz/fuzz_tcp: tests/fuzz/fuzz_tcp.c $(NET_HOST_SRCS) \
		$(NET_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(NET_HOST_FLAGS) -o $@ $< $(NET_HOST_SRCS)
