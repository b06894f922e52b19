/*
 * Self-test of the virtio-net driver against QEMU's user-mode network
 * (slirp), which answers ARP and ICMP echo for its gateway 10.0.2.2:
 * an ARP request through dev->xmit gets a reply through net_rx_monitor;
 * 32 requests sent back to back (many descriptors in flight) get 32
 * replies; a full-size 1514-byte ICMP echo, its checksum left to the
 * device (PKT_CSUM_PARTIAL), comes back whole; and with several queue
 * pairs each transmit queue is used; when the device segments TCP
 * (TSO4, on a TAP backend) a 3000-byte GSO segment is accepted and
 * answered by a reset from the host's closed port. The replies arrive through
 * the receive threads, so the interrupt and polling paths run too.
 *
 * Without an Ethernet interface `virtio_net` says so and passes;
 * `virtio_net_required` (explicit only) fails then.
 */
#include "drivers/virtio/virtio.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"
#include "net/net.h"

#define GATEWAY 0x0a000202u /* 10.0.2.2, host order */
#define GUEST 0x0a00020fu   /* 10.0.2.15 */
#define BIG_PAYLOAD 1472    /* 1500-byte IPv4 packet: a 1514-byte frame */

static struct {
	uint8_t gw_mac[6];
	int arp_replies;   /* atomic */
	int echo_replies;  /* atomic */
	uint32_t echo_len; /* the last echo reply's frame length */
	int tcp_resets;	   /* atomic */
	bool echo_payload_ok;
} seen;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void see_arp(const uint8_t *f, uint32_t len)
{
	/* oper 2 (reply), sender 10.0.2.2, target us */
	if (len < 42 || f[20] != 0 || f[21] != 2 || get32(f + 28) != GATEWAY ||
	    get32(f + 38) != GUEST)
		return;
	memcpy(seen.gw_mac, f + 22, 6);
	__atomic_fetch_add(&seen.arp_replies, 1, __ATOMIC_RELEASE);
}

/* A TCP reset from the gateway to our port 40000 (the answer to our
 * TSO packet). */
static void see_tcp(const uint8_t *f, uint32_t len)
{
	if (len < 54 || f[23] != 6 || get32(f + 26) != GATEWAY ||
	    f[36] != 0x9c || f[37] != 0x40 || !(f[47] & 0x04))
		return;
	__atomic_fetch_add(&seen.tcp_resets, 1, __ATOMIC_RELEASE);
}

static void see_ip(const uint8_t *f, uint32_t len)
{
	if (len >= 24 && f[23] == 6) {
		see_tcp(f, len);
		return;
	}
	/* ICMP (1) echo reply (type 0) from the gateway */
	if (len < 42 || f[23] != 1 || get32(f + 26) != GATEWAY || f[34] != 0)
		return;
	bool ok = len == 14 + 28 + BIG_PAYLOAD;
	for (uint32_t i = 42; ok && i < len; i++)
		ok = f[i] == (uint8_t)i;
	seen.echo_len = len;
	seen.echo_payload_ok = ok;
	__atomic_fetch_add(&seen.echo_replies, 1, __ATOMIC_RELEASE);
}

/* Runs in the receive thread: look, never keep. */
static void monitor(struct netdev *dev, const struct pkt *p)
{
	if (p->len < 14)
		return;
	uint16_t type = (uint16_t)(p->data[12] << 8 | p->data[13]);
	if (type == 0x0806)
		see_arp(p->data, p->len);
	else if (type == 0x0800)
		see_ip(p->data, p->len);
}

static struct pkt *frame(struct netdev *dev, const uint8_t *dst, uint16_t type,
			 size_t len)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, len);
	uint8_t *f;

	if (!p)
		return NULL;
	f = pkt_put(p, len);
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, dev->mac, 6);
	put16(f + 12, type);
	return p;
}

static int send_arp(struct netdev *dev, unsigned q)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct pkt *p = frame(dev, bcast, 0x0806, 42);

	if (!p)
		return -ENOMEM;
	uint8_t *a = p->data + 14;
	put16(a, 1);	     /* Ethernet */
	put16(a + 2, 0x800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, dev->mac, 6);
	put32(a + 14, GUEST);
	put32(a + 24, GATEWAY);
	return dev->xmit(dev, p, q);
}

#define TSO_PAYLOAD 3000
#define TSO_MSS 1000

static void ip_header(uint8_t *ip, unsigned proto, unsigned len)
{
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)len);
	put16(ip + 4, 0x4243);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put32(ip + 12, GUEST);
	put32(ip + 16, GATEWAY);
	uint16_t c = net_csum(ip, 20);
	memcpy(ip + 10, &c, 2);
}

/*
 * One TCP segment of 3000 bytes (ACK|PSH, to the closed port 9) marked
 * PKT_GSO_TCP4 with an MSS of 1000. A TAP backend hands it to the host's
 * stack whole (local delivery needs no segmenting), after checking the
 * virtio header (gso type and size, header length, checksum offsets: a
 * bad one is dropped); the host answers with one reset. As Linux does
 * for GSO, the checksum field holds the pseudo-header sum without the
 * length.
 */
static int send_tso(struct netdev *dev)
{
	size_t len = 14 + 40 + TSO_PAYLOAD;
	struct pkt *p = frame(dev, seen.gw_mac, 0x0800, len);
	uint8_t pseudo[12] = {0};

	if (!p)
		return -ENOMEM;
	uint8_t *ip = p->data + 14, *tcp = ip + 20;
	ip_header(ip, 6, 40 + TSO_PAYLOAD);
	put16(tcp, 40000);
	put16(tcp + 2, 9);
	put32(tcp + 4, 1000);
	put32(tcp + 8, 5000);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* ACK|PSH */
	put16(tcp + 14, 1000);
	memcpy(pseudo, ip + 12, 8);
	pseudo[9] = 6;
	uint32_t sum = net_csum_add(0, pseudo, 12);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(tcp + 16, (uint16_t)sum);
	p->flags |= PKT_CSUM_PARTIAL | PKT_GSO_TCP4;
	p->csum_start = (uint16_t)(tcp - p->head);
	p->csum_off = 16;
	p->gso_size = TSO_MSS;
	return dev->xmit(dev, p, 0);
}

/* An ICMP echo request of BIG_PAYLOAD bytes; the ICMP checksum is left
 * to the device (or the driver, when the device has no CSUM). */
static int send_big_echo(struct netdev *dev)
{
	struct pkt *p = frame(dev, seen.gw_mac, 0x0800, 14 + 28 + BIG_PAYLOAD);

	if (!p)
		return -ENOMEM;
	uint8_t *ip = p->data + 14, *icmp = ip + 20;
	ip_header(ip, 1, 28 + BIG_PAYLOAD);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	for (uint32_t i = 42; i < p->len; i++)
		p->data[i] = (uint8_t)i;
	p->flags |= PKT_CSUM_PARTIAL; /* pseudo-header sum: 0 for ICMP */
	p->csum_start = (uint16_t)(icmp - p->head);
	p->csum_off = 2;
	return dev->xmit(dev, p, 0);
}

static bool reached(int *counter, int want)
{
	uint64_t end = clock_monotonic_ns() + 2000000000ull;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want &&
	       clock_monotonic_ns() < end)
		thread_sleep_ns(1000000);
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE) >= want;
}

static int net_test(bool required)
{
	struct netdev *dev = netdev_by_name("eth0");
	int failures = 0;

	if (!dev) {
		kprintf("  virtio_net: no eth0 (no virtio-net device): %s\n",
			required ? "FAIL, one was required" : "skipped");
		return required ? 1 : 0;
	}
	uint64_t tx0 = dev->stats.tx_packets, rx0 = dev->stats.rx_packets;
	memset(&seen, 0, sizeof(seen));
	__atomic_store_n(&net_rx_monitor, monitor, __ATOMIC_RELEASE);

	CHECK_EQ(send_arp(dev, 0), 0);
	CHECK(reached(&seen.arp_replies, 1));
	if (seen.arp_replies)
		kprintf("  virtio_net: ARP reply from 10.0.2.2 "
			"(%02x:%02x:%02x:%02x:%02x:%02x)\n",
			seen.gw_mac[0], seen.gw_mac[1], seen.gw_mac[2],
			seen.gw_mac[3], seen.gw_mac[4], seen.gw_mac[5]);

	/* 32 in flight at once */
	int before = seen.arp_replies;
	for (int i = 0; i < 32; i++)
		CHECK_EQ(send_arp(dev, 0), 0);
	CHECK(reached(&seen.arp_replies, before + 32));

	/* every transmit queue */
	before = seen.arp_replies;
	for (unsigned q = 0; q < dev->nqueues; q++)
		CHECK_EQ(send_arp(dev, q), 0);
	CHECK(reached(&seen.arp_replies, before + (int)dev->nqueues));

	/* a full-size frame both ways, checksum offloaded */
	CHECK_EQ(send_big_echo(dev), 0);
	CHECK(reached(&seen.echo_replies, 1));
	CHECK_EQ(seen.echo_len, 14 + 28 + BIG_PAYLOAD);
	CHECK(seen.echo_payload_ok);

	/* TCP segmentation by the device, when it offers it (TAP, not the
	 * user network) */
	if (dev->features & NETDEV_F_TSO4) {
		CHECK_EQ(send_tso(dev), 0);
		CHECK(reached(&seen.tcp_resets, 1));
		kprintf("  virtio_net: TSO4: a reset for the %d-byte segment\n",
			TSO_PAYLOAD);
	}

	__atomic_store_n(&net_rx_monitor, NULL, __ATOMIC_RELEASE);
	/* The replies woke the receive threads by interrupt, not by the
	 * 1 ms fallback look (unless the device gave us no interrupt). */
	bool polled;
	int64_t irqs = virtio_net_rx_interrupts(dev, &polled);
	CHECK(irqs > 0 || polled);
	CHECK(dev->stats.tx_packets - tx0 >= 34 + dev->nqueues);
	CHECK(dev->stats.rx_packets - rx0 >= 34 + dev->nqueues);
	kprintf("  virtio_net: %s, %u queue pair%s: %d ARP replies, %d echo "
		"replies; %ld rx interrupts%s; rx %lu tx %lu dropped %lu/%lu\n",
		dev->name, dev->nqueues, dev->nqueues > 1 ? "s" : "",
		seen.arp_replies, seen.echo_replies, irqs,
		polled ? " (polled)" : "", dev->stats.rx_packets,
		dev->stats.tx_packets, dev->stats.rx_dropped,
		dev->stats.tx_dropped);
	return failures;
}

static int virtio_net_test(void)
{
	return net_test(false);
}
SELFTEST("virtio_net", virtio_net_test);

static int virtio_net_required_test(void)
{
	return net_test(true);
}
SELFTEST_EXPLICIT("virtio_net_required", virtio_net_required_test);
