/*
 * Self-tests of the IPv4 stack on loopback, through the socket
 * operations as the system calls use them: UDP send and receive (names,
 * MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, FIONREAD, IP_PKTINFO), a 60 KB
 * datagram over lo with its MTU lowered (fragmented and reassembled), an
 * ICMP echo on lo (also 60 KB), a port unreachable that a connected
 * socket sees as ECONNREFUSED, bind's conflicts, and the snmp text.
 */
#include "kernel/tests/selftest.h"
#include "net/net_private.h"

#define LOCALHOST 0x0100007fu /* 127.0.0.1 in network order */
#define SIOCINQ 0x541b
#define IP_PKTINFO 8

static struct socket *udp_new(void)
{
	struct socket *s = sock_alloc(AF_INET, SOCK_DGRAM, 0);

	if (s && net_family(AF_INET)(s, SOCK_DGRAM, 0)) {
		free(s);
		return NULL;
	}
	return s;
}

static void udp_close(struct socket *s)
{
	s->ops->release(s);
	free(s);
}

static int bind_lo(struct socket *s, uint16_t port)
{
	struct sockaddr_in_k a = {AF_INET, net_htons(port), LOCALHOST, {0}};

	return s->ops->bind(s, (struct sockaddr_k *)&a, sizeof(a));
}

static uint16_t port_of(struct socket *s)
{
	struct sockaddr_in_k a;
	unsigned len = sizeof(a);

	s->ops->getname(s, (struct sockaddr_k *)&a, &len, false);
	return a.sin_port;
}

static int64_t send_to(struct socket *s, uint16_t port, const void *buf,
		       size_t n)
{
	struct sockaddr_in_k a = {AF_INET, port, LOCALHOST, {0}};
	struct kiovec v = {(uint64_t)buf, n};
	struct kmsg m = {.name = (struct sockaddr_k *)&a, .namelen = sizeof(a)};

	uio_init(&m.data, &v, 1, false);
	return s->ops->sendmsg(s, &m, 0, false);
}

static int64_t recv_from(struct socket *s, void *buf, size_t n, int flags,
			 struct sockaddr_in_k *from, struct kmsg *out)
{
	struct kiovec v = {(uint64_t)buf, n};
	struct kmsg m = {.name = (struct sockaddr_k *)from,
			 .namelen = from ? sizeof(*from) : 0};
	int64_t r;

	if (out)
		m = *out, m.name = (struct sockaddr_k *)from,
		m.namelen = from ? sizeof(*from) : 0;
	uio_init(&m.data, &v, 1, false);
	r = s->ops->recvmsg(s, &m, flags, true);
	if (out)
		*out = m;
	return r;
}

static int udp_basics(void)
{
	struct socket *a = udp_new(), *b = udp_new();
	struct sockaddr_in_k from;
	char buf[64];
	int failures = 0, inq = -1;

	CHECK(a && b);
	if (!a || !b)
		return failures;
	CHECK_EQ(bind_lo(a, 0), 0);
	CHECK(net_ntohs(port_of(a)) >= 32768);
	CHECK_EQ(bind_lo(a, 0), -EINVAL); /* bound already */
	CHECK_EQ(bind_lo(b, net_ntohs(port_of(a))), -EADDRINUSE);
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	CHECK_EQ(send_to(b, port_of(a), "hello, lo", 9), 9);
	CHECK_EQ(a->ops->ioctl(a, SIOCINQ, &inq), 0);
	CHECK_EQ(inq, 9);
	CHECK(a->ops->poll(a, NULL, NULL) & POLLIN);
	/* MSG_PEEK keeps it; MSG_TRUNC gives the real length */
	CHECK_EQ(recv_from(a, buf, 5, MSG_PEEK | MSG_TRUNC, NULL, NULL), 9);
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, &from, NULL), 9);
	CHECK(!memcmp(buf, "hello, lo", 9));
	CHECK_EQ(from.sin_addr, LOCALHOST);
	CHECK_EQ(from.sin_port, port_of(b)); /* b was bound by the send */
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	CHECK(!(a->ops->poll(a, NULL, NULL) & POLLIN));
	udp_close(a);
	udp_close(b);
	return failures;
}

static int udp_truncate_and_pktinfo(void)
{
	struct socket *a = udp_new(), *b = udp_new();
	uint8_t control[64];
	struct kmsg m = {.control = control, .controllen = sizeof(control)};
	int one = 1, failures = 0;
	char buf[4];

	CHECK(a && b);
	if (!a || !b)
		return failures;
	CHECK_EQ(bind_lo(a, 0), 0);
	CHECK_EQ(
	    a->ops->setsockopt(a, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)),
	    0);
	CHECK_EQ(send_to(b, port_of(a), "0123456789", 10), 10);
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, &m), 4);
	CHECK(m.flags_out & MSG_TRUNC);
	CHECK_EQ(m.controllen, 16 + 12 + 4); /* CMSG_SPACE(in_pktinfo) */
	CHECK_EQ(*(int *)(control + 12), IP_PKTINFO);
	CHECK_EQ(*(uint32_t *)(control + 24), LOCALHOST); /* ipi_addr */
	/* the rest of a truncated datagram is gone (man 7 udp) */
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	/* sizes: EMSGSIZE past 65507, EDESTADDRREQ without a peer */
	{
		struct kiovec v = {(uint64_t)control, 65508};
		struct kmsg big = {0};

		uio_init(&big.data, &v, 1, false);
		CHECK_EQ(b->ops->sendmsg(b, &big, 0, false), -EMSGSIZE);
		v.len = 1;
		uio_init(&big.data, &v, 1, false);
		CHECK_EQ(b->ops->sendmsg(b, &big, 0, false), -EDESTADDRREQ);
	}
	udp_close(a);
	udp_close(b);
	return failures;
}

/* 60 KB in one datagram, with lo's MTU lowered so that it travels as
 * 41 fragments and is reassembled. */
static int udp_fragmented(void)
{
	const size_t n = 60000;
	struct socket *a = udp_new(), *b = udp_new();
	uint8_t *out = malloc(n), *in = malloc(n);
	uint64_t oks = net_mib.ip_reasm_oks, creates = net_mib.ip_frag_creates;
	uint32_t mtu = net_lo->mtu;
	int failures = 0;

	CHECK(a && b && out && in);
	if (!a || !b || !out || !in)
		return failures;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 8));
	CHECK_EQ(bind_lo(a, 0), 0);
	net_lo->mtu = 1500;
	CHECK_EQ(send_to(b, port_of(a), out, n), (int64_t)n);
	net_lo->mtu = mtu;
	CHECK_EQ(recv_from(a, in, n, 0, NULL, NULL), (int64_t)n);
	CHECK(!memcmp(in, out, n));
	CHECK_EQ(net_mib.ip_reasm_oks, oks + 1);
	CHECK_EQ(net_mib.ip_frag_creates, creates + 41);
	CHECK_EQ(frag_mem(), 0);
	free(out);
	free(in);
	udp_close(a);
	udp_close(b);
	return failures;
}

/* A connected socket learns of the closed port by ECONNREFUSED. */
static int udp_refused(void)
{
	struct socket *a = udp_new(), *closed = udp_new();
	struct sockaddr_in_k to = {AF_INET, 0, LOCALHOST, {0}};
	uint64_t noports = net_mib.udp_no_ports;
	int failures = 0;
	char buf[8];

	CHECK(a && closed);
	if (!a || !closed)
		return failures;
	CHECK_EQ(bind_lo(closed, 0), 0);
	to.sin_port = port_of(closed);
	udp_close(closed); /* the port is free again: nobody listens */
	CHECK_EQ(
	    a->ops->connect(a, (struct sockaddr_k *)&to, sizeof(to), false), 0);
	CHECK_EQ(send_to(a, to.sin_port, "x", 1), 1);
	CHECK_EQ(net_mib.udp_no_ports, noports + 1);
	CHECK(a->ops->poll(a, NULL, NULL) & POLLERR);
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, NULL), -ECONNREFUSED);
	CHECK_EQ(recv_from(a, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	udp_close(a);
	return failures;
}

/* ---- ICMP echo on lo, watched through net_rx_monitor ---- */
static int echo_replies, echo_reply_len;

static void watch_echo(struct netdev *dev, const struct pkt *p)
{
	const struct ip_hdr *ih = (const void *)(p->data + ETH_HLEN);
	const struct icmp_hdr *ic = (const void *)(ih + 1);

	(void)dev;
	if (p->len >= ETH_HLEN + IP_HLEN + 8 && ih->proto == IPPROTO_ICMP &&
	    !(ih->frag & net_htons(IP_OFFMASK)) && ic->type == ICMP_ECHOREPLY &&
	    ic->id == net_htons(0x5a5a)) {
		echo_replies++;
		echo_reply_len = net_ntohs(ih->len);
	}
}

static int ping_lo(size_t payload)
{
	struct pkt *p =
	    pkt_alloc(NET_HEADROOM, sizeof(struct icmp_hdr) + payload);
	struct ip_out o = {.dst = LOCALHOST, .proto = IPPROTO_ICMP};
	struct icmp_hdr *ic;

	if (!p)
		return -ENOMEM;
	ic = pkt_put(p, sizeof(*ic) + payload);
	memset(ic + 1, 0xa5, payload);
	*ic = (struct icmp_hdr){ICMP_ECHO, 0, 0, net_htons(0x5a5a), 1};
	ic->csum = net_csum(ic, sizeof(*ic) + payload);
	return ip_output(p, &o);
}

static int icmp_echo_lo(void)
{
	uint64_t echos = net_mib.icmp_in_type[ICMP_ECHO];
	uint32_t mtu = net_lo->mtu;
	int failures = 0;

	echo_replies = 0;
	__atomic_store_n(&net_rx_monitor, watch_echo, __ATOMIC_RELEASE);
	CHECK_EQ(ping_lo(56), 0);
	CHECK_EQ(echo_replies, 1); /* lo ran it all before ip_output returned */
	CHECK_EQ(echo_reply_len, 20 + 8 + 56);
	net_lo->mtu = 1500; /* a 60 KB ping goes in fragments both ways */
	CHECK_EQ(ping_lo(60000), 0);
	net_lo->mtu = mtu;
	__atomic_store_n(&net_rx_monitor, NULL, __ATOMIC_RELEASE);
	CHECK_EQ(echo_replies, 2);
	CHECK_EQ(net_mib.icmp_in_type[ICMP_ECHO], echos + 2);
	return failures;
}

static bool contains(const char *s, const char *what)
{
	size_t n = strlen(what);

	for (; *s; s++)
		if (!strncmp(s, what, n))
			return true;
	return false;
}

static int snmp_text(void)
{
	static char buf[4096];
	int failures = 0, n = net_proc_snmp(buf, sizeof(buf));

	CHECK(n > 0 && (size_t)n < sizeof(buf));
	CHECK(!strncmp(buf, "Ip: Forwarding DefaultTTL InReceives", 36));
	CHECK(contains(buf, "\nUdp: InDatagrams NoPorts InErrors"));
	CHECK(contains(buf, "\nIcmpMsg: "));
	CHECK(contains(buf, "\nUdpLite: 0 0 0 0 0 0 0 0 0\n"));
	return failures;
}

static int net_test(void)
{
	int failures = 0;

	CHECK_EQ(net_loopback_init(), 0);
	CHECK(net_lo && (net_lo->flags & IFF_LOOPBACK));
	if (!net_lo)
		return failures;
	return failures + udp_basics() + udp_truncate_and_pktinfo() +
	       udp_fragmented() + udp_refused() + icmp_echo_lo() + snmp_text();
}
SELFTEST("net", net_test);
