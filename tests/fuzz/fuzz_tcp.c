/*
 * libFuzzer target: arbitrary TCP segments against a listening and an
 * established connection, with the application's calls and the clock in
 * between, built for the host with tests/host/net_host.[ch] standing in
 * for the kernel (the worker runs when the harness drains it, timers when
 * it advances the clock).
 *
 * Each input starts afresh: a listener on 10.0.0.2:80 (backlog 2) and a
 * connection from 10.0.0.2 to the peer 10.0.0.5:7000, made ESTABLISHED by
 * a SYN-ACK the harness forges (MSS, window scale, timestamps, SACK).
 * Then records, byte 0 saying what:
 *   bits 0-2  0: a segment to the connection: flags, seq and ack as
 *               offsets from rcv_nxt and snd_una (so that they land near
 *               the windows), window, options, payload; bit 3: a bad
 *               checksum
 *             1: a segment to the listener from port 1000 + a byte, seq
 *               and ack as given
 *             2: send up to 64 KiB on the connection (nonblocking);
 *               with bit 1 of the next byte, sendfile from a 256 KiB
 *               file at an offset from the one after
 *             3: recv on it (nonblocking; MSG_PEEK or MSG_WAITALL from
 *               the next byte)
 *             4: accept (nonblocking), keeping up to 4 sockets
 *             5: the clock advances (byte^2 ms), timers and net_tick run
 *             6: shutdown (byte % 3) or TCP_NODELAY/TCP_CORK
 *             7: close an accepted socket
 * At the end everything is closed and the clock runs until every
 * connection is gone: a connection that never ends (a timer that is never
 * set) or one freed twice is a failure, as is a leak (ASan).
 */
#include <stdio.h>
#include <stdlib.h>

#include "net/tcp_int.h"
#include "tests/host/net_host_dev.h"

#define LPORT 80
#define PEER_PORT 7000
#define PEER_ISN 1000u
#define MAX_ACCEPTED 4

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t take16(struct input *in)
{
	return (uint16_t)(take(in) | take(in) << 8);
}

static struct socket *new_sock(void)
{
	struct socket *s = sock_alloc(AF_INET, SOCK_STREAM, 0);

	if (!s || net_family(AF_INET)(s, SOCK_STREAM, 0))
		abort();
	return s;
}

static void sock_close(struct socket *s)
{
	if (!s)
		return;
	s->ops->release(s);
	free(s);
}

static void drain(void)
{
	for (int i = 0; i < 1000 && tcp_work_drain(); i++)
		;
}

/* A frame from the peer (or from `sport` at `src`) to us, Ethernet first. */
static void inject(uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt,
		   size_t olen, const uint8_t *data, size_t dlen, bool bad)
{
	size_t tl = TCP_HLEN + olen + dlen;
	struct pkt *p = pkt_alloc(64, ETH_HLEN + IP_HLEN + tl);
	struct eth_hdr *eh;
	struct ip_hdr *ih;
	struct tcp_hdr *th;

	if (!p)
		return;
	eh = pkt_put(p, ETH_HLEN);
	memcpy(eh->dst, HOST_MAC, 6);
	memcpy(eh->src, PEER_MAC, 6);
	eh->type = net_htons(ETH_P_IP);
	ih = pkt_put(p, IP_HLEN);
	*ih = (struct ip_hdr){.vihl = 0x45,
			      .len = net_htons((uint16_t)(IP_HLEN + tl)),
			      .ttl = 64,
			      .proto = IPPROTO_TCP,
			      .src = src,
			      .dst = HOST_IP};
	ih->csum = net_csum(ih, IP_HLEN);
	th = pkt_put(p, tl);
	*th = (struct tcp_hdr){.sport = net_htons(sport),
			       .dport = net_htons(dport),
			       .seq = net_htonl(seq),
			       .ack = net_htonl(ack),
			       .off = (uint8_t)(((TCP_HLEN + olen) / 4) << 4),
			       .flags = flags,
			       .win = net_htons(wnd)};
	memcpy(th + 1, opt, olen);
	if (dlen)
		memcpy((uint8_t *)(th + 1) + olen, data, dlen);
	th->csum = net_csum_fold(net_csum_add(
	    ip_pseudo_sum(src, HOST_IP, IPPROTO_TCP, (uint16_t)tl), th, tl));
	if (bad)
		th->csum ^= 0x5a5a;
	net_rx(&host_eth, p);
	drain();
}

static struct socket *client(void)
{
	static const uint8_t synack_opts[20] = {
	    2, 4, 0x05, 0xb4,		       /* MSS 1460 */
	    1, 3, 3, 7,			       /* NOP, window scale 7 */
	    4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0 /* SACK ok, timestamps */
	};
	struct socket *s = new_sock();
	struct sockaddr_in_k peer = {AF_INET, net_htons(PEER_PORT), PEER_IP,
				     {0}};
	struct tcp_sock *ts = s->priv;

	s->ops->connect(s, (struct sockaddr_k *)&peer, sizeof(peer), true);
	inject(PEER_IP, PEER_PORT, net_ntohs(ts->lport), PEER_ISN,
	       ts->iss + 1, TH_SYN | TH_ACK, 65535, synack_opts,
	       sizeof(synack_opts), NULL, 0, false);
	return s;
}

static struct socket *listener(void)
{
	struct socket *s = new_sock();
	struct sockaddr_in_k a = {AF_INET, net_htons(LPORT), 0, {0}};

	s->reuseaddr = true;
	if (s->ops->setsockopt(s, SOL_SOCKET, SO_REUSEADDR, NULL, 0) < 0 ||
	    s->ops->bind(s, (struct sockaddr_k *)&a, sizeof(a)) ||
	    s->ops->listen(s, 2))
		abort();
	return s;
}

static void segment(struct input *in, struct tcp_sock *ts, bool bad,
		    bool to_listener)
{
	static uint8_t payload[2048];
	uint8_t flags = take(in), olen = take(in) % 41 & ~3u;
	uint16_t sport = to_listener ? 1000 + take(in) : PEER_PORT;
	int16_t ds = (int16_t)take16(in), da = (int16_t)take16(in);
	uint16_t wnd = take16(in);
	size_t dlen = take(in) * 8u;
	uint8_t opt[40] = {0};
	uint32_t seq = to_listener ? ((uint32_t)take16(in) << 16 | take16(in))
				   : ts->rcv_nxt + (uint32_t)(int32_t)ds;
	uint32_t ack = to_listener ? ((uint32_t)take16(in) << 16 | take16(in))
				   : ts->snd_una + (uint32_t)(int32_t)da;

	for (unsigned i = 0; i < olen; i++)
		opt[i] = take(in);
	for (size_t i = 0; i < dlen; i++)
		payload[i] = (uint8_t)i;
	inject(to_listener ? PEER_IP + ((uint32_t)take(in) << 24) : PEER_IP,
	       sport, to_listener ? LPORT : net_ntohs(ts->lport), seq, ack,
	       flags, wnd, opt, olen, payload, dlen, bad);
}

static struct file *file; /* sendfile's: 256 KiB, bytes i*7 */

static void app_io(struct input *in, struct socket *s, bool send)
{
	static uint8_t buf[65536];
	struct kiovec v = {(uint64_t)buf, (take16(in) % sizeof(buf)) + 1};
	struct kmsg m = {0};
	uint8_t f = take(in);

	uio_init(&m.data, &v, 1, false);
	if (send && (f & 2))
		s->ops->sendfile(s, file, take16(in) * 4u, v.len, true);
	else if (send)
		s->ops->sendmsg(s, &m, MSG_NOSIGNAL | (f & 1 ? MSG_MORE : 0),
				true);
	else
		s->ops->recvmsg(s, &m, (f & 1 ? MSG_PEEK : 0) |
					   (f & 2 ? MSG_WAITALL : 0) |
					   (f & 4 ? MSG_TRUNC : 0),
				true);
	drain();
}

static void clock_step(uint64_t ms)
{
	host_now_ns += ms * 1000000ull;
	host_timers_fire();
	drain();
	net_tick(host_now_ns);
}

static void option(struct input *in, struct socket *s)
{
	uint8_t b = take(in);
	int v = b & 1;

	if (b & 2)
		s->ops->setsockopt(s, IPPROTO_TCP,
				   b & 4 ? TCP_NODELAY : TCP_CORK, &v,
				   sizeof(v));
	else
		s->ops->shutdown(s, (b >> 3) % 3);
	drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct input in = {data, size};
	struct socket *acc[MAX_ACCEPTED] = {0};
	struct socket *l, *c;
	unsigned nacc = 0;

	if (!ready) {
		static uint8_t bytes[256 * 1024];

		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (uint8_t)(i * 7);
		file = host_file_new(bytes, sizeof(bytes));
		host_keep_sent = false;
		host_net_setup();
		/* segments carry the send queue in place (tcp_sq.c) */
		host_eth.features |= NETDEV_F_SG | NETDEV_F_TX_CSUM |
				     NETDEV_F_TSO4;
		ready = true;
	}
	l = listener();
	c = client();
	while (in.n) {
		uint8_t op = take(&in);
		struct socket *ns = NULL;

		switch (op & 7) {
		case 0:
			segment(&in, c->priv, op & 8, false);
			break;
		case 1:
			segment(&in, NULL, op & 8, true);
			break;
		case 2:
		case 3:
			app_io(&in, c, (op & 7) == 2);
			break;
		case 4:
			if (nacc < MAX_ACCEPTED &&
			    l->ops->accept(l, &ns, true) == 0)
				acc[nacc++] = ns;
			break;
		case 5:
			clock_step((uint64_t)take(&in) * take(&in));
			break;
		case 6:
			option(&in, c);
			break;
		case 7:
			if (nacc)
				sock_close(acc[--nacc]);
			break;
		}
	}
	while (nacc)
		sock_close(acc[--nacc]);
	struct tcp_sock *dbg_c = c->priv, *dbg_l = l->priv;
	ts_get(dbg_c);
	ts_get(dbg_l);
	sock_close(c);
	sock_close(l);
	drain();
	for (int i = 0; i < 400 && tcp_conns; i++)
		clock_step(30000); /* RTO backoff, FIN_WAIT_2, SYN_RECV */
	if (getenv("FUZZ_TCP_DEBUG")) {
		fprintf(stderr, "sq %u spans %p una %u nxt %u max %u sbuf %u wnd %u cwnd %u finq %d fins %d finseq %u iss %u\n", dbg_c->sq_len, (void *)dbg_c->spans, dbg_c->snd_una, dbg_c->snd_nxt, dbg_c->snd_max, dbg_c->sbuf_len, dbg_c->snd_wnd, dbg_c->cc.cwnd, dbg_c->fin_queued, dbg_c->fin_sent, dbg_c->fin_seq, dbg_c->iss);
		fprintf(stderr, "conns %u c state %d refs %d flow %p timers %lu %lu %lu armed %d sched %d; l state %d refs %d acq %u synq %u\n", tcp_conns, dbg_c->state, dbg_c->refs, (void *)dbg_c->flow, dbg_c->timer_at[0], dbg_c->timer_at[1], dbg_c->timer_at[2], dbg_c->timer.armed, dbg_c->scheduled, dbg_l->state, dbg_l->refs, dbg_l->acq_len, dbg_l->synq_len);
	}
	ts_put(dbg_c);
	ts_put(dbg_l);
	if (tcp_conns)
		abort(); /* a connection that never ends */
	if (host_page_refs)
		abort(); /* a file page a segment took and never gave back */
	clock_step(TCP_TIMEWAIT_NS / 1000000 + 1000);
	return 0;
}
