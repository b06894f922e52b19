/*
 * Host tests of net/'s IPv4 stack, driven through net_rx with frames
 * built here and a fake interface that keeps what the stack sends: the
 * checksum, the channel, IPv4 header checks, UDP delivery and its
 * errors, the flow table's choice, reassembly (orders, duplicates,
 * overlaps, holes, timeouts, the memory bound, hostile offsets), ARP
 * (replies, defence of our address, queueing, bounds, timeouts,
 * retries), ICMP echo, and the snmp text.
 */
#include <stdlib.h>

#include "net/net_private.h"
#include "net/tcp.h"
#include "tests/host/check.h"
#include "tests/host/net_host_dev.h"

/* ---- frames ---- */

static struct pkt *frame(const uint8_t *dst_mac, uint16_t type, size_t len)
{
	struct pkt *p = pkt_alloc(64, ETH_HLEN + len);
	struct eth_hdr *e = pkt_put(p, ETH_HLEN + len);

	memcpy(e->dst, dst_mac, 6);
	memcpy(e->src, PEER_MAC, 6);
	e->type = net_htons(type);
	memset(e + 1, 0, len);
	return p;
}

static struct ip_hdr *ip_of(struct pkt *p)
{
	return (struct ip_hdr *)(p->data + ETH_HLEN);
}

static void ip_fill(struct ip_hdr *ih, uint8_t proto, uint32_t src,
		    uint32_t dst, size_t total, uint16_t id, uint16_t frag)
{
	*ih = (struct ip_hdr){0x45,
			      0,
			      net_htons((uint16_t)total),
			      net_htons(id),
			      net_htons(frag),
			      64,
			      proto,
			      0,
			      src,
			      dst};
	ih->csum = net_csum(ih, IP_HLEN);
}

/* A whole UDP datagram from src:sport to dst:dport. */
static struct pkt *udp_frame(uint32_t src, uint16_t sport, uint32_t dst,
			     uint16_t dport, const void *data, size_t n)
{
	struct pkt *p = frame(HOST_MAC, ETH_P_IP, IP_HLEN + UDP_HLEN + n);
	struct ip_hdr *ih = ip_of(p);
	struct udp_hdr *uh = (struct udp_hdr *)(ih + 1);

	ip_fill(ih, IPPROTO_UDP, src, dst, IP_HLEN + UDP_HLEN + n, 1, 0);
	*uh = (struct udp_hdr){net_htons(sport), net_htons(dport),
			       net_htons((uint16_t)(UDP_HLEN + n)), 0};
	memcpy(uh + 1, data, n);
	uh->csum = net_csum_fold(net_csum_add(
	    ip_pseudo_sum(src, dst, IPPROTO_UDP, (uint16_t)(UDP_HLEN + n)), uh,
	    UDP_HLEN + n));
	if (!uh->csum)
		uh->csum = 0xffff;
	return p;
}

/* One fragment: payload bytes [off, off + n) of a datagram whose bytes
 * are b(i) = i * 13 + 7. */
static struct pkt *frag_frame(uint16_t id, size_t off, size_t n, bool more)
{
	struct pkt *p = frame(HOST_MAC, ETH_P_IP, IP_HLEN + n);
	uint8_t *d = (uint8_t *)(ip_of(p) + 1);

	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)((off + i) * 13 + 7);
	ip_fill(ip_of(p), 200, PEER_IP, HOST_IP, IP_HLEN + n, id,
		(uint16_t)((more ? IP_MF : 0) | (off / 8)));
	return p;
}

/* ---- sockets through their operations ---- */

static struct socket *udp_socket(void)
{
	struct socket *s = sock_alloc(AF_INET, SOCK_DGRAM, 0);

	if (net_family(AF_INET)(s, SOCK_DGRAM, 0))
		abort();
	return s;
}

static void udp_close(struct socket *s)
{
	s->ops->release(s);
	free(s);
}

static int udp_bind(struct socket *s, uint32_t addr, uint16_t port)
{
	struct sockaddr_in_k a = {AF_INET, net_htons(port), addr, {0}};

	return s->ops->bind(s, (struct sockaddr_k *)&a, sizeof(a));
}

static int64_t udp_recv(struct socket *s, void *buf, size_t n,
			struct sockaddr_in_k *from)
{
	struct kiovec v = {(uint64_t)buf, n};
	struct kmsg m = {.name = (struct sockaddr_k *)from,
			 .namelen = from ? sizeof(*from) : 0};

	uio_init(&m.data, &v, 1, false);
	return s->ops->recvmsg(s, &m, 0, true);
}

/* Makes PEER_IP known (its request for our address teaches us). */
static void learn_peer(void)
{
	struct pkt *p = frame(ether_bcast, ETH_P_ARP, sizeof(struct arp_pkt));
	struct arp_pkt *a = (struct arp_pkt *)(p->data + ETH_HLEN);

	*a = (struct arp_pkt){net_htons(1),
			      net_htons(ETH_P_IP),
			      6,
			      4,
			      net_htons(ARP_REQUEST),
			      {0},
			      PEER_IP,
			      {0},
			      HOST_IP};
	memcpy(a->sha, PEER_MAC, 6);
	net_rx(&host_eth, p);
	host_sent_clear();
}

/* ---- the cases ---- */

static void test_checksum(void)
{
	/* RFC 1071 4.1's example: the sum is ddf2, the checksum 220d */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint16_t c = net_csum(b, sizeof(b));
	uint8_t odd[3] = {0x01, 0x02, 0x03};

	uint32_t sum = net_csum_add(0, b, sizeof(b));

	CHECK_EQ((sum & 0xffff) + (sum >> 16), 0xddf2); /* folded */
	CHECK_EQ(net_ntohs(c), 0x220d);
	/* an odd byte is the high half of a last word: 0102 + 0300 */
	CHECK_EQ(net_ntohs(net_csum(odd, 3)), (uint16_t)~0x0402);
}

static void test_channel(void)
{
	struct netchan c;
	struct pkt *a = pkt_alloc(0, 100), *b = pkt_alloc(0, 100);
	struct pkt *big = pkt_alloc(0, 300);

	netchan_init(&c, 250);
	pkt_put(a, 100);
	pkt_put(b, 100);
	pkt_put(big, 300);
	CHECK(netchan_empty(&c));
	CHECK(netchan_pop(&c) == NULL);
	CHECK(netchan_push(&c, a));
	CHECK(netchan_push(&c, b));
	CHECK(!netchan_push(&c, big)); /* past the byte bound */
	CHECK_EQ(c.drops, 1);
	CHECK(!netchan_empty(&c));
	CHECK(netchan_pop(&c) == a);
	CHECK(netchan_pop(&c) == b);
	CHECK(netchan_pop(&c) == NULL);
	CHECK_EQ(c.bytes, 0);
	CHECK(netchan_push(&c, a)); /* again after the stub went round */
	CHECK(netchan_pop(&c) == a);
	CHECK(netchan_empty(&c));
	pkt_free(a);
	pkt_free(b);
	pkt_free(big);
}

static void test_udp_delivery(void)
{
	struct socket *s = udp_socket();
	struct sockaddr_in_k from;
	int notified = host_notifications;
	uint64_t in = net_mib.udp_in_datagrams;
	char buf[32];

	CHECK_EQ(udp_bind(s, 0, 5000), 0);
	net_rx(&host_eth, udp_frame(PEER_IP, 4000, HOST_IP, 5000, "ping", 4));
	CHECK_EQ(host_notifications, notified + 1);
	CHECK_EQ(udp_recv(s, buf, sizeof(buf), &from), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ(from.sin_addr, PEER_IP);
	CHECK_EQ(net_ntohs(from.sin_port), 4000);
	CHECK_EQ(net_mib.udp_in_datagrams, in + 1);
	CHECK_EQ(udp_recv(s, buf, sizeof(buf), NULL), -EAGAIN);
	udp_close(s);
}

/* A frame with one thing wrong is dropped and counted where it says. */
static void expect_ip_drop(struct pkt *p, uint64_t *counter)
{
	uint64_t before = *counter, delivered = net_mib.ip_in_delivers;

	net_rx(&host_eth, p);
	CHECK_EQ(*counter, before + 1);
	CHECK_EQ(net_mib.ip_in_delivers, delivered);
}

static void test_ip_header_checks(void)
{
	struct pkt *p;

	p = udp_frame(PEER_IP, 1, HOST_IP, 5001, "x", 1);
	ip_of(p)->vihl = 0x65; /* version 6 */
	expect_ip_drop(p, &net_mib.ip_in_hdr_errors);
	p = udp_frame(PEER_IP, 1, HOST_IP, 5001, "x", 1);
	ip_of(p)->csum ^= 1;
	expect_ip_drop(p, &net_mib.ip_in_hdr_errors);
	p = udp_frame(PEER_IP, 1, HOST_IP, 5001, "x", 1);
	ip_of(p)->vihl = 0x44; /* IHL below 5 */
	ip_of(p)->csum = 0;
	ip_of(p)->csum = net_csum(ip_of(p), IP_HLEN);
	expect_ip_drop(p, &net_mib.ip_in_hdr_errors);
	p = udp_frame(PEER_IP, 1, HOST_IP, 5001, "x", 1);
	ip_of(p)->len = net_htons(1000); /* longer than the frame */
	ip_of(p)->csum = 0;
	ip_of(p)->csum = net_csum(ip_of(p), IP_HLEN);
	expect_ip_drop(p, &net_mib.ip_in_hdr_errors);
	p = udp_frame(PEER_IP, 1, 0x0900000au, 5001, "x", 1); /* not ours */
	expect_ip_drop(p, &net_mib.ip_in_addr_errors);
	p = udp_frame(INADDR_BROADCAST, 1, HOST_IP, 5001, "x", 1);
	expect_ip_drop(p, &net_mib.ip_in_addr_errors);
	p = frame(HOST_MAC, ETH_P_IP, 10); /* shorter than a header */
	expect_ip_drop(p, &net_mib.ip_in_hdr_errors);
	/* not even an Ethernet header: the interface's rx_errors */
	{
		uint64_t errs = host_eth.stats.rx_errors;

		p = frame(HOST_MAC, ETH_P_IP, 0);
		pkt_trim(p, 10);
		net_rx(&host_eth, p);
		CHECK_EQ(host_eth.stats.rx_errors, errs + 1);
	}
}

static void test_udp_errors(void)
{
	struct socket *s = udp_socket();
	uint64_t csum = net_mib.udp_in_csum_errors,
		 errs = net_mib.udp_in_errors, noports = net_mib.udp_no_ports;
	struct pkt *p;
	char buf[8];

	learn_peer();
	CHECK_EQ(udp_bind(s, HOST_IP, 5002), 0);
	p = udp_frame(PEER_IP, 1, HOST_IP, 5002, "abc", 3);
	((uint8_t *)(ip_of(p) + 1))[UDP_HLEN] ^= 0xff; /* the data changed */
	net_rx(&host_eth, p);
	CHECK_EQ(udp_recv(s, buf, sizeof(buf), NULL), -EAGAIN);
	CHECK_EQ(net_mib.udp_in_csum_errors, csum + 1);
	/* a UDP length past the IPv4 payload */
	p = udp_frame(PEER_IP, 1, HOST_IP, 5002, "abc", 3);
	((struct udp_hdr *)(ip_of(p) + 1))->len = net_htons(100);
	net_rx(&host_eth, p);
	CHECK_EQ(net_mib.udp_in_errors, errs + 2);
	/* nobody on the port: NoPorts, and a port unreachable goes back */
	net_rx(&host_eth, udp_frame(PEER_IP, 1, HOST_IP, 5999, "abc", 3));
	CHECK_EQ(net_mib.udp_no_ports, noports + 1);
	if (CHECK_EQ(host_nsent, 1)) {
		const struct pkt *r = host_sent[0];
		const struct ip_hdr *ih = (const void *)(r->data + ETH_HLEN);
		const struct icmp_hdr *ic = (const void *)(ih + 1);

		CHECK(!memcmp(r->data, PEER_MAC, 6));
		CHECK_EQ(ih->proto, IPPROTO_ICMP);
		CHECK_EQ(ih->dst, PEER_IP);
		CHECK_EQ(ic->type, ICMP_DEST_UNREACH);
		CHECK_EQ(ic->code, ICMP_PORT_UNREACH);
		CHECK_EQ(net_csum(ic, net_ntohs(ih->len) - IP_HLEN), 0);
	}
	host_sent_clear();
	/* to a broadcast: no ICMP, IgnoredMulti */
	net_rx(&host_eth, udp_frame(PEER_IP, 1, 0xff00000au, 5999, "abc", 3));
	CHECK_EQ(host_nsent, 0);
	udp_close(s);
}

/* Many connected sockets on one port each get their own datagrams (the
 * exact flows' hash), and a wildcard one the rest. */
static void test_flow_many(void)
{
	enum { N = 300 };
	static struct socket *conn[N];
	struct socket *any = udp_socket();
	char buf[8];

	any->reuseaddr = true;
	CHECK_EQ(udp_bind(any, 0, 6100), 0);
	for (int i = 0; i < N; i++) {
		struct sockaddr_in_k peer = {AF_INET, net_htons(8000 + i),
					     PEER_IP, {0}};

		conn[i] = udp_socket();
		conn[i]->reuseaddr = true;
		CHECK_EQ(udp_bind(conn[i], HOST_IP, 6100), 0);
		CHECK_EQ(conn[i]->ops->connect(conn[i],
					       (struct sockaddr_k *)&peer,
					       sizeof(peer), false),
			 0);
	}
	for (int i = N - 1; i >= 0; i--) {
		char c = (char)('0' + i % 64);

		net_rx(&host_eth,
		       udp_frame(PEER_IP, 8000 + i, HOST_IP, 6100, &c, 1));
	}
	for (int i = 0; i < N; i += 2)
		udp_close(conn[i]);
	net_rx(&host_eth, udp_frame(PEER_IP, 8000, HOST_IP, 6100, "w", 1));
	for (int i = 1; i < N; i += 2) {
		CHECK_EQ(udp_recv(conn[i], buf, 8, NULL), 1);
		CHECK_EQ(buf[0], (char)('0' + i % 64));
		CHECK_EQ(udp_recv(conn[i], buf, 8, NULL), -EAGAIN);
		udp_close(conn[i]);
	}
	CHECK_EQ(udp_recv(any, buf, 8, NULL), 1);
	CHECK_EQ(buf[0], 'w');
	CHECK_EQ(udp_recv(any, buf, 8, NULL), -EAGAIN);
	udp_close(any);
}

static void test_flow_choice(void)
{
	struct socket *any = udp_socket(), *spec = udp_socket(),
		      *conn = udp_socket();
	struct sockaddr_in_k peer = {AF_INET, net_htons(7000), PEER_IP, {0}};
	char buf[8];

	any->reuseaddr = spec->reuseaddr = conn->reuseaddr = true;
	CHECK_EQ(udp_bind(any, 0, 6000), 0);
	CHECK_EQ(udp_bind(spec, HOST_IP, 6000), 0);
	CHECK_EQ(udp_bind(conn, HOST_IP, 6000), 0);
	CHECK_EQ(conn->ops->connect(conn, (struct sockaddr_k *)&peer,
				    sizeof(peer), false),
		 0);
	net_rx(&host_eth, udp_frame(PEER_IP, 7000, HOST_IP, 6000, "c", 1));
	net_rx(&host_eth, udp_frame(PEER_IP, 7001, HOST_IP, 6000, "s", 1));
	net_rx(&host_eth, udp_frame(PEER_IP, 7000, 0xff00000au, 6000, "a", 1));
	CHECK_EQ(udp_recv(conn, buf, 8, NULL), 1);
	CHECK_EQ(buf[0], 'c');
	CHECK_EQ(udp_recv(spec, buf, 8, NULL), 1);
	CHECK_EQ(buf[0], 's');
	CHECK_EQ(udp_recv(any, buf, 8, NULL), 1);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(udp_recv(spec, buf, 8, NULL), -EAGAIN);
	/* a broadcast reaches every wildcard socket on the port, each its
	 * own copy (Linux's __udp4_lib_mcast_deliver) */
	{
		struct socket *any2 = udp_socket();

		any2->reuseaddr = true;
		CHECK_EQ(udp_bind(any2, 0, 6000), 0);
		net_rx(&host_eth, udp_frame(PEER_IP, 7000, INADDR_BROADCAST,
					    6000, "b", 1));
		CHECK_EQ(udp_recv(any, buf, 8, NULL), 1);
		CHECK_EQ(udp_recv(any2, buf, 8, NULL), 1);
		CHECK_EQ(buf[0], 'b');
		CHECK_EQ(udp_recv(conn, buf, 8, NULL), -EAGAIN);
		udp_close(any2);
	}
	/* without SO_REUSEADDR on both, the port is taken */
	{
		struct socket *late = udp_socket();

		CHECK_EQ(udp_bind(late, 0, 6000), -EADDRINUSE);
		CHECK_EQ(udp_bind(late, 0x0700000au, 6001), -EADDRNOTAVAIL);
		udp_close(late);
	}
	udp_close(any);
	udp_close(spec);
	udp_close(conn);
}

/* Feeds fragments of datagram `id`; returns how many reassembled. */
static uint64_t reasm_oks(void)
{
	return net_mib.ip_reasm_oks;
}

static void test_reassembly_orders(void)
{
	uint64_t oks = reasm_oks(), unknown = net_mib.ip_in_unknown_protos;

	/* in order */
	net_rx(&host_eth, frag_frame(1, 0, 1480, true));
	net_rx(&host_eth, frag_frame(1, 1480, 1480, true));
	net_rx(&host_eth, frag_frame(1, 2960, 100, false));
	CHECK_EQ(reasm_oks(), oks + 1);
	/* reversed, with an exact duplicate (harmless) */
	net_rx(&host_eth, frag_frame(2, 2960, 100, false));
	net_rx(&host_eth, frag_frame(2, 1480, 1480, true));
	net_rx(&host_eth, frag_frame(2, 1480, 1480, true));
	net_rx(&host_eth, frag_frame(2, 0, 1480, true));
	CHECK_EQ(reasm_oks(), oks + 2);
	/* protocol 200 is nobody's: each whole datagram counted so */
	CHECK_EQ(net_mib.ip_in_unknown_protos, unknown + 2);
	CHECK_EQ(frag_mem(), 0);
	host_sent_clear(); /* protocol unreachables */
}

static void test_reassembly_overlap(void)
{
	uint64_t oks = reasm_oks(), fails = net_mib.ip_reasm_fails;

	/* RFC 5722: an overlap drops the whole datagram, even if the rest
	 * comes later */
	net_rx(&host_eth, frag_frame(3, 0, 800, true));
	net_rx(&host_eth, frag_frame(3, 400, 800, true));
	CHECK_EQ(net_mib.ip_reasm_fails, fails + 1);
	CHECK_EQ(frag_mem(), 0);
	net_rx(&host_eth, frag_frame(3, 800, 8, false));
	CHECK_EQ(reasm_oks(), oks);
	/* a last fragment that contradicts an earlier one's end */
	net_rx(&host_eth, frag_frame(4, 0, 800, true));
	net_rx(&host_eth, frag_frame(4, 400, 8, false));
	CHECK_EQ(net_mib.ip_reasm_fails, fails + 2);
	frag_flush();
	CHECK_EQ(frag_mem(), 0);
}

static void test_reassembly_hostile(void)
{
	uint64_t fails = net_mib.ip_reasm_fails;

	/* past 65535 bytes: the "ping of death" */
	net_rx(&host_eth, frag_frame(5, 65528, 16, false));
	CHECK_EQ(net_mib.ip_reasm_fails, fails + 1);
	/* a middle fragment that is not a multiple of 8 */
	net_rx(&host_eth, frag_frame(6, 0, 13, true));
	CHECK_EQ(net_mib.ip_reasm_fails, fails + 2);
	/* too many pieces */
	for (unsigned i = 0; i <= FRAG_MAX_PIECES; i++)
		net_rx(&host_eth, frag_frame(7, i * 8u, 8, true));
	CHECK_EQ(net_mib.ip_reasm_fails, fails + 3);
	CHECK_EQ(frag_mem(), 0);
}

static void test_reassembly_timeout(void)
{
	uint64_t timeouts = net_mib.ip_reasm_timeout;
	uint64_t exceeded = net_mib.icmp_out_type[ICMP_TIME_EXCEEDED];

	learn_peer();
	net_rx(&host_eth, frag_frame(8, 0, 1480, true)); /* a hole after */
	CHECK(frag_mem() > 0);
	host_now_ns += FRAG_TIMEOUT_NS - 1;
	frag_expire(host_now_ns);
	CHECK(frag_mem() > 0);
	host_now_ns += 1;
	frag_expire(host_now_ns);
	CHECK_EQ(frag_mem(), 0);
	CHECK_EQ(net_mib.ip_reasm_timeout, timeouts + 1);
	/* RFC 1122 3.3.2: the first fragment was there: time exceeded */
	CHECK_EQ(net_mib.icmp_out_type[ICMP_TIME_EXCEEDED], exceeded + 1);
	/* (after an ARP request: the peer's entry is 30 s old as well) */
	if (CHECK(host_nsent >= 1)) {
		const struct ip_hdr *ih =
		    (const void *)(host_sent[host_nsent - 1]->data + ETH_HLEN);
		const struct icmp_hdr *ic = (const void *)(ih + 1);

		CHECK_EQ(ih->proto, IPPROTO_ICMP);
		CHECK_EQ(ic->type, ICMP_TIME_EXCEEDED);
		CHECK_EQ(ic->code, ICMP_FRAG_TIMEOUT);
	}
	host_sent_clear();
	/* the last piece after the timeout starts a new, incomplete one */
	net_rx(&host_eth, frag_frame(8, 1480, 8, false));
	CHECK(frag_mem() > 0);
	frag_flush();
}

static void test_reassembly_memory_bound(void)
{
	uint64_t fails = net_mib.ip_reasm_fails;

	/* 4000 incomplete datagrams of 1480 bytes: far past 4 MiB */
	for (unsigned id = 0; id < 4000; id++) {
		net_rx(&host_eth,
		       frag_frame((uint16_t)(1000 + id), 0, 1480, true));
		if (!CHECK(frag_mem() <= FRAG_MEM_MAX))
			break;
	}
	CHECK(net_mib.ip_reasm_fails > fails + 3000); /* the evicted */
	frag_flush();
	CHECK_EQ(frag_mem(), 0);
}

static struct pkt *arp_frame(uint16_t op, uint32_t spa, const uint8_t *sha,
			     uint32_t tpa)
{
	struct pkt *p = frame(op == ARP_REQUEST ? ether_bcast : HOST_MAC,
			      ETH_P_ARP, sizeof(struct arp_pkt));
	struct arp_pkt *a = (struct arp_pkt *)(p->data + ETH_HLEN);

	*a = (struct arp_pkt){net_htons(1),
			      net_htons(ETH_P_IP),
			      6,
			      4,
			      net_htons(op),
			      {0},
			      spa,
			      {0},
			      tpa};
	memcpy(a->sha, sha, 6);
	return p;
}

static const struct arp_pkt *sent_arp(unsigned i)
{
	const struct eth_hdr *e = (const void *)host_sent[i]->data;

	if (e->type != net_htons(ETH_P_ARP))
		return NULL;
	return (const struct arp_pkt *)(e + 1);
}

static void test_arp_reply_and_defence(void)
{
	uint8_t mac[6];
	uint64_t claims = net_mib.arp_own_addr_claims;
	const struct arp_pkt *a;

	arp_flush();
	host_sent_clear();
	net_rx(&host_eth, arp_frame(ARP_REQUEST, PEER_IP, PEER_MAC, HOST_IP));
	CHECK(arp_lookup(&host_eth, PEER_IP, mac));
	CHECK(!memcmp(mac, PEER_MAC, 6));
	if (CHECK_EQ(host_nsent, 1) && CHECK((a = sent_arp(0)) != NULL)) {
		CHECK_EQ(a->op, net_htons(ARP_REPLY));
		CHECK_EQ(a->spa, HOST_IP);
		CHECK(!memcmp(a->sha, HOST_MAC, 6));
		CHECK_EQ(a->tpa, PEER_IP);
	}
	host_sent_clear();
	/* someone claims our address: nothing learnt, counted, defended */
	net_rx(&host_eth,
	       arp_frame(ARP_REPLY, HOST_IP,
			 (const uint8_t *)"\x02\x66\x66\x66\x66\x66", HOST_IP));
	CHECK_EQ(net_mib.arp_own_addr_claims, claims + 1);
	CHECK(!arp_lookup(&host_eth, HOST_IP, mac));
	CHECK_EQ(host_nsent, 1); /* our announcement */
	host_sent_clear();
	/* a request for another host teaches nothing new */
	net_rx(&host_eth,
	       arp_frame(ARP_REQUEST, 0x0900000au, PEER_MAC, 0x0800000au));
	CHECK(!arp_lookup(&host_eth, 0x0900000au, mac));
	CHECK_EQ(host_nsent, 0);
	/* hostile shapes: wrong lengths, a multicast sender */
	{
		uint64_t drops = host_eth.stats.rx_dropped;
		struct pkt *p =
		    arp_frame(ARP_REPLY, PEER_IP, PEER_MAC, HOST_IP);

		((struct arp_pkt *)(p->data + ETH_HLEN))->hlen = 16;
		net_rx(&host_eth, p);
		p = arp_frame(ARP_REPLY, PEER_IP,
			      (const uint8_t *)"\x01\0\0\0\0\0", HOST_IP);
		net_rx(&host_eth, p);
		p = arp_frame(ARP_REPLY, PEER_IP, PEER_MAC, HOST_IP);
		pkt_trim(p, ETH_HLEN + 10);
		net_rx(&host_eth, p);
		CHECK_EQ(host_eth.stats.rx_dropped, drops + 3);
	}
}

/* Sends a UDP datagram from the stack to dst (through ip_output). */
static int send_udp_to(uint32_t dst)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, UDP_HLEN + 4);
	struct ip_out o = {.dst = dst, .proto = IPPROTO_UDP};
	struct udp_hdr *uh = pkt_put(p, UDP_HLEN + 4);

	*uh = (struct udp_hdr){net_htons(1), net_htons(2),
			       net_htons(UDP_HLEN + 4), 0};
	return ip_output(p, &o);
}

static void test_arp_queue_and_resolution(void)
{
	uint64_t drops = net_mib.arp_queue_drops;
	unsigned requests = 0;

	arp_flush();
	host_sent_clear();
	for (unsigned i = 0; i < ARP_QUEUE_MAX + 12; i++)
		CHECK_EQ(send_udp_to(PEER_IP), 0);
	for (unsigned i = 0; i < host_nsent; i++)
		requests += sent_arp(i) != NULL;
	CHECK_EQ(requests, 1); /* one request, not one per packet */
	CHECK_EQ(net_mib.arp_queue_drops, drops + 12);
	host_sent_clear();
	net_rx(&host_eth, arp_frame(ARP_REPLY, PEER_IP, PEER_MAC, HOST_IP));
	CHECK_EQ(host_nsent, ARP_QUEUE_MAX); /* the queue went out */
	if (host_nsent)
		CHECK(!memcmp(host_sent[0]->data, PEER_MAC, 6));
	host_sent_clear();
	/* after 30 s the entry is still used, and asked again */
	host_now_ns += ARP_REACHABLE_NS;
	CHECK_EQ(send_udp_to(PEER_IP), 0);
	CHECK_EQ(host_nsent, 2);
	if (host_nsent == 2) {
		CHECK(sent_arp(0) != NULL);
		CHECK(sent_arp(1) == NULL);
	}
	host_sent_clear();
}

static void test_arp_retries_and_failure(void)
{
	uint32_t dead = 0x6300000au; /* 10.0.0.99: nobody */
	unsigned requests = 0;

	arp_flush();
	host_sent_clear();
	CHECK_EQ(send_udp_to(dead), 0);
	for (unsigned t = 0; t < ARP_MAX_TRIES + 1; t++) {
		host_now_ns += ARP_RETRY_NS;
		arp_tick(host_now_ns);
	}
	for (unsigned i = 0; i < host_nsent; i++)
		requests += sent_arp(i) != NULL;
	CHECK_EQ(requests, ARP_MAX_TRIES);
	CHECK_EQ(host_nsent, ARP_MAX_TRIES); /* the queued one never went */
	host_sent_clear();
	CHECK_EQ(send_udp_to(dead), -EHOSTUNREACH);
	host_now_ns += ARP_FAILED_HOLD_NS;
	CHECK_EQ(send_udp_to(dead), 0); /* asked again after the hold */
	host_sent_clear();
}

static void test_arp_table_bound(void)
{
	uint8_t mac[6] = {2, 0, 0, 0, 0, 9};

	arp_flush();
	for (unsigned i = 0; i < 3 * ARP_TABLE_MAX; i++) {
		uint32_t ip = net_htonl(0x0a000000u | (i + 10));

		/* a request for us from each teaches us each */
		mac[5] = (uint8_t)i;
		net_rx(&host_eth, arp_frame(ARP_REQUEST, ip, mac, HOST_IP));
		host_sent_clear();
	}
	CHECK_EQ(arp_count(), ARP_TABLE_MAX);
	{
		static char buf[64 * 1024];
		int n = net_proc_arp(buf, sizeof(buf));

		CHECK(n > 0);
		CHECK(!strncmp(buf, "IP address       HW type     Flags", 34));
	}
	arp_flush();
}

static void test_icmp_echo(void)
{
	struct pkt *p = frame(HOST_MAC, ETH_P_IP, IP_HLEN + 8 + 32);
	struct icmp_hdr *ic = (struct icmp_hdr *)(ip_of(p) + 1);

	learn_peer();
	ip_fill(ip_of(p), IPPROTO_ICMP, PEER_IP, HOST_IP, IP_HLEN + 8 + 32, 9,
		0);
	*ic = (struct icmp_hdr){ICMP_ECHO, 0, 0, net_htons(77), net_htons(1)};
	memset(ic + 1, 0x42, 32);
	ic->csum = net_csum(ic, 8 + 32);
	net_rx(&host_eth, p);
	if (CHECK_EQ(host_nsent, 1)) {
		const struct ip_hdr *ih =
		    (const void *)(host_sent[0]->data + ETH_HLEN);
		const struct icmp_hdr *r = (const void *)(ih + 1);

		CHECK_EQ(ih->src, HOST_IP);
		CHECK_EQ(ih->dst, PEER_IP);
		CHECK_EQ(r->type, ICMP_ECHOREPLY);
		CHECK_EQ(r->id, net_htons(77));
		CHECK_EQ(net_csum(r, 8 + 32), 0);
		CHECK_EQ(net_csum(ih, IP_HLEN), 0);
	}
	host_sent_clear();
	learn_peer();
}

/* A datagram larger than the MTU leaves in pieces that reassemble. */
static void test_fragment_output(void)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, 4000);
	struct ip_out o = {.dst = PEER_IP, .proto = 200};
	uint64_t oks = reasm_oks();

	learn_peer();
	pkt_put(p, 4000);
	for (unsigned i = 0; i < 4000; i++)
		p->data[i] = (uint8_t)i;
	CHECK_EQ(ip_output(p, &o), 0);
	CHECK_EQ(host_nsent, 3); /* 1480 + 1480 + 1040 */
	/* feed them back as if the peer had sent them to us */
	for (unsigned i = 0; i < host_nsent; i++) {
		struct pkt *f = host_sent[i];
		struct ip_hdr *ih = (struct ip_hdr *)(f->data + ETH_HLEN);

		memcpy(f->data, HOST_MAC, 6);
		ih->src = PEER_IP;
		ih->dst = HOST_IP;
		ih->csum = 0;
		ih->csum = net_csum(ih, IP_HLEN);
		net_rx(&host_eth, f);
	}
	host_nsent = 0;
	CHECK_EQ(reasm_oks(), oks + 1);
	host_sent_clear();
	/* with DF wanted it is EMSGSIZE instead */
	p = pkt_alloc(NET_HEADROOM, 4000);
	pkt_put(p, 4000);
	o.df = true;
	CHECK_EQ(ip_output(p, &o), -EMSGSIZE);
}

static void test_snmp_format(void)
{
	static char buf[8192];
	int n = net_proc_snmp(buf, sizeof(buf)), lines = 0;

	for (int i = 0; i < n; i++)
		lines += buf[i] == '\n';
	CHECK(!strncmp(buf, "Ip: Forwarding DefaultTTL InReceives InHdrErrors",
		       48));
	CHECK_EQ(lines, 12); /* IcmpMsg is there: types were counted */
	CHECK(strstr(buf, "\nTcp: 1 200 120000 -1 0 0") != NULL);
	/* TCP's counters, in Linux's order */
	tcp_mib = (struct tcp_mib){.active_opens = 3, .curr_estab = 2,
				   .in_segs = 1ull << 40, .in_csum_errors = 7};
	net_proc_snmp(buf, sizeof(buf));
	CHECK(strstr(buf, "\nTcp: 1 200 120000 -1 3 0 0 0 2 1099511627776 0 "
			  "0 0 0 7\nUdp: ") != NULL);
	tcp_mib = (struct tcp_mib){0};
	CHECK(strstr(buf, "IcmpMsg: InType0 InType3 InType8") != NULL ||
	      strstr(buf, "IcmpMsg: InType3 InType8") != NULL);
	CHECK_EQ(net_proc_snmp(buf, 10), 9); /* truncated, terminated */
	CHECK_EQ(strlen(buf), 9);
}

int main(void)
{
	host_net_setup();
	RUN_TEST(test_checksum);
	RUN_TEST(test_channel);
	RUN_TEST(test_udp_delivery);
	RUN_TEST(test_ip_header_checks);
	RUN_TEST(test_udp_errors);
	RUN_TEST(test_flow_choice);
	RUN_TEST(test_flow_many);
	RUN_TEST(test_reassembly_orders);
	RUN_TEST(test_reassembly_overlap);
	RUN_TEST(test_reassembly_hostile);
	RUN_TEST(test_reassembly_timeout);
	RUN_TEST(test_reassembly_memory_bound);
	RUN_TEST(test_arp_reply_and_defence);
	RUN_TEST(test_arp_queue_and_resolution);
	RUN_TEST(test_arp_retries_and_failure);
	RUN_TEST(test_arp_table_bound);
	RUN_TEST(test_icmp_echo);
	RUN_TEST(test_fragment_output);
	RUN_TEST(test_snmp_format);
	frag_flush();
	arp_flush();
	host_sent_clear();
	return check_exit();
}
