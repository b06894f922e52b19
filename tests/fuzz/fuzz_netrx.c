/*
 * libFuzzer target: raw frames into net/'s receive path (net_rx), built
 * for the host with tests/host/net_host.[ch] standing in for the kernel.
 *
 * The input is a sequence of records:
 *   byte 0      bits 0-1: the interface (0, 1: the fake Ethernet one;
 *               2: lo); bit 2: drain the sockets after it; bits 3-7:
 *               the clock advances (n * n * 50 ms: reaches the ARP,
 *               reassembly and PMTU timeouts), with a net_tick
 *   bytes 1-2   the frame's length, little-endian (cut to what is left)
 *   then        the frame, Ethernet header first
 * Three UDP sockets listen (wildcard :53, 10.0.0.2:5000, and one
 * connected to 10.0.0.5:7000 from :6000) so that frames reach channels,
 * the consumer's checks and the ICMP error path for connected sockets;
 * whatever the stack sends is freed by the fake interface.
 */
#include <stdlib.h>

#include "net/net_private.h"
#include "tests/host/net_host_dev.h"

static struct socket *socks[3];

static struct socket *listen_on(uint32_t addr, uint16_t port)
{
	struct socket *s = sock_alloc(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in_k a = {AF_INET, net_htons(port), addr, {0}};

	if (!s || net_family(AF_INET)(s, SOCK_DGRAM, 0))
		abort();
	if (s->ops->bind(s, (struct sockaddr_k *)&a, sizeof(a)))
		abort();
	return s;
}

static void setup(void)
{
	struct sockaddr_in_k peer = {AF_INET, net_htons(7000), PEER_IP, {0}};

	host_keep_sent = false;
	host_net_setup();
	socks[0] = listen_on(0, 53);
	socks[1] = listen_on(HOST_IP, 5000);
	socks[2] = listen_on(0, 6000);
	socks[2]->ops->connect(socks[2], (struct sockaddr_k *)&peer,
			       sizeof(peer), false);
	socks[1]->rcvbuf = 4096; /* small: reach the receive-buffer bound */
}

static void drain(void)
{
	static char buf[2048];

	for (unsigned i = 0; i < 3; i++) {
		struct kiovec v = {(uint64_t)buf, sizeof(buf)};
		struct sockaddr_in_k from;
		uint8_t control[64];
		struct kmsg m = {.name = (struct sockaddr_k *)&from,
				 .namelen = sizeof(from),
				 .control = control,
				 .controllen = sizeof(control)};

		unsigned n = 0;

		uio_init(&m.data, &v, 1, false);
		while (socks[i]->ops->recvmsg(socks[i], &m, MSG_DONTWAIT,
					      true) != -EAGAIN &&
		       ++n < 10000) {
			uio_init(&m.data, &v, 1, false);
			m.namelen = sizeof(from);
			m.controllen = sizeof(control);
		}
	}
}

static void one_frame(uint8_t ctl, const uint8_t *data, size_t len)
{
	struct netdev *dev = (ctl & 3) == 2 ? net_lo : &host_eth;
	struct pkt *p = pkt_alloc(64, len);
	unsigned step = ctl >> 3;

	if (!p)
		return;
	memcpy(pkt_put(p, len), data, len);
	net_rx(dev, p);
	if (ctl & 4)
		drain();
	if (step) {
		host_now_ns += (uint64_t)step * step * 50000000ull;
		net_tick(host_now_ns);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	while (size >= 3) {
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		uint8_t ctl = data[0];

		data += 3;
		size -= 3;
		len = len < size ? len : size;
		one_frame(ctl, data, len);
		data += len;
		size -= len;
	}
	drain();
	/* the bounds hold whatever came */
	if (frag_mem() > FRAG_MEM_MAX || arp_count() > ARP_TABLE_MAX)
		abort();
	return 0;
}
