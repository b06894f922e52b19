# TCP's pure parts on the host (net/tcp_*.c): unit tests and the option
# parser's and the TIME_WAIT table's fuzz targets. Included by mk/host.mk.
TCP_HOST_SRCS := net/tcp_opt.c net/tcp_rtt.c net/tcp_cc.c net/tcp_ooo.c \
	net/tcp_cookie.c net/tcp_tw.c lib/siphash.c \
	lib/string.c \
	lib/printf.c
TCP_HOST_HDRS := net/tcp.h kernel/kernel.h lib/lib.h tests/host/check.h

HOST_TEST_BINS += $(BUILD)/host/test_tcp
FUZZ_BINS += $(BUILD)/fuzz/fuzz_tcpopt $(BUILD)/fuzz/fuzz_tcptw

# tcp_info_linux.c: the host's struct tcp_info, to compare ours with.
$(BUILD)/host/test_tcp: tests/host/test_tcp.c tests/host/tcp_info_linux.c \
		tests/host/tcp_info_fields.h $(TCP_HOST_SRCS) $(TCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< tests/host/tcp_info_linux.c \
		$(TCP_HOST_SRCS)

$(BUILD)/fuzz/fuzz_tcpopt: tests/fuzz/fuzz_tcpopt.c $(TCP_HOST_SRCS) $(TCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(TCP_HOST_SRCS)

$(BUILD)/fuzz/fuzz_tcptw: tests/fuzz/fuzz_tcptw.c $(TCP_HOST_SRCS) $(TCP_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(TCP_HOST_SRCS)
