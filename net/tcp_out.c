/*
 * TCP output: segments are built in the sending thread (whoever holds the
 * connection's lock) straight into a struct pkt with NET_HEADROOM, the
 * payload copied from the send ring (or, from ZERO_COPY_MIN bytes on a
 * device that takes fragments, hung on the packet in place: sbuf_attach),
 * and handed to ip_output. The
 * checksum is left to the device (PKT_CSUM_PARTIAL: the field holds the
 * pseudo-header sum); on a device with TSO a segment carries up to 64 KiB
 * and the device cuts it (PKT_GSO_TCP4, gso_size the MSS; the field then
 * holds the pseudo-header sum without the length, as Linux's GSO).
 *
 * What is sent (RFC 9293 3.8.6, RFC 5681, RFC 896): data from snd_nxt up
 * to the end of the send queue, within min(send window, cwnd) of snd_una;
 * Nagle holds back a short segment while data is in flight unless
 * TCP_NODELAY; TCP_CORK holds back short segments altogether; the FIN
 * goes after the last byte. A zero window with data waiting arms the
 * persist timer (the RTO timer with nothing in flight, tcp_in.c probes).
 */
#include "net/tcp_int.h"

uint64_t tcp_now_us(void)
{
	return clock_monotonic_ns() / 1000;
}

uint32_t tcp_now_ts(void)
{
	return (uint32_t)(clock_monotonic_ns() / 1000000); /* 1 ms ticks */
}

uint32_t tcp_flight(const struct tcp_sock *ts)
{
	return ts->snd_nxt - ts->snd_una;
}

/* A sum folded to 16 bits, not complemented, in network order. */
static uint16_t csum_fold_raw(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return net_htons((uint16_t)sum);
}

uint16_t tcp_route_mss(struct tcp_sock *ts)
{
	unsigned mtu = ts->dev ? netdev_mtu(ts->dev) : 576;
	unsigned pmtu = icmp_path_mtu(ts->raddr);

	if (pmtu && pmtu < mtu)
		mtu = pmtu;
	if (mtu > IP_MAXPACKET)
		mtu = IP_MAXPACKET;
	return (uint16_t)(mtu - IP_HLEN - TCP_HLEN);
}

/* The receive window we can offer: what SO_RCVBUF leaves free, 3/4 of
 * it (the rest covers the buffers' overhead, Linux's tcp_adv_win_scale). */
uint32_t tcp_rcv_window(const struct tcp_sock *ts)
{
	uint32_t buf = (uint32_t)ts->rcvbuf;
	uint32_t held = ts->rcv_bytes + ts->ooo.bytes;
	uint32_t space = buf > held ? buf - held : 0;

	space -= space / 4;
	if (space > (65535u << ts->rcv_wscale))
		space = 65535u << ts->rcv_wscale;
	return space;
}

/* The window field: never shrinking the right edge we advertised (RFC
 * 9293 3.8.6.2.2 receiver SWS avoidance: open it only by a full segment
 * or half the buffer). */
static uint16_t window_field(struct tcp_sock *ts, bool syn)
{
	uint32_t wnd = tcp_rcv_window(ts);
	uint32_t right = ts->rcv_nxt + tcp_rcv_wnd(ts);
	uint32_t want = ts->rcv_nxt + wnd;
	uint32_t step = MIN((uint32_t)ts->rcv_mss, (uint32_t)ts->rcvbuf / 2);

	if (syn)
		wnd = MIN(wnd, 65535u);
	else if (seq_le(want, right) || want - right < step)
		wnd = seq_gt(right, ts->rcv_nxt) ? right - ts->rcv_nxt : 0;
	if (wnd > (65535u << ts->rcv_wscale))
		wnd = 65535u << ts->rcv_wscale;
	ts->rcv_adv = ts->rcv_nxt +
		      (syn ? wnd : (wnd >> ts->rcv_wscale) << ts->rcv_wscale);
	return (uint16_t)(syn ? wnd : wnd >> ts->rcv_wscale);
}

/* The options of a segment (RFC 7323, RFC 2018, RFC 9293 3.7.1). */
static size_t build_opts(struct tcp_sock *ts, uint8_t *buf, uint8_t flags,
			 bool data)
{
	struct tcp_opts o = {0};

	if (flags & TH_SYN) {
		o.has = TCP_HAS_MSS | TCP_HAS_SACK_OK | TCP_HAS_TS |
			TCP_HAS_WSCALE;
		o.mss = tcp_route_mss(ts);
		if (ts->user_mss && ts->user_mss < o.mss)
			o.mss = ts->user_mss;
		o.wscale = ts->rcv_wscale;
		if (flags & TH_ACK) { /* a SYN-ACK answers what was offered */
			if (!ts->ts_ok)
				o.has &= ~TCP_HAS_TS;
			if (!ts->sack_ok)
				o.has &= ~TCP_HAS_SACK_OK;
			if (!ts->ws_ok)
				o.has &= ~TCP_HAS_WSCALE;
		}
	} else if (ts->ts_ok) {
		o.has = TCP_HAS_TS;
	}
	if (o.has & TCP_HAS_TS) {
		o.ts_val = tcp_now_ts();
		o.ts_ecr = ts->ts_recent;
	}
	if (!data && !(flags & TH_SYN) && ts->sack_ok && ts->ooo.head) {
		o.nsack = tcp_ooo_sack(&ts->ooo, o.sack, TCP_MAX_SACK);
		if (o.nsack)
			o.has |= TCP_HAS_SACK;
	}
	return tcp_opts_build(buf, TCP_OPT_SPACE, &o);
}

/* Copies n bytes of the send ring from ring offset off. */
void tcp_sbuf_copy(const struct tcp_sock *ts, uint32_t off, uint8_t *dst,
		   uint32_t n)
{
	uint32_t pos = (ts->sbuf_off + off) % ts->sbuf_cap;
	uint32_t first = MIN(n, ts->sbuf_cap - pos);

	memcpy(dst, ts->sbuf + pos, first);
	memcpy(dst + first, ts->sbuf, n - first);
}

/*
 * The send ring's memory is counted: the connection holds one reference
 * and every zero-copy segment still queued (for ARP or the device) one
 * more, so a ring that grows, shrinks or goes with its connection stays
 * readable until the device has taken the last segment made of it.
 */
struct sbuf_blk {
	int refs; /* atomic */
	uint32_t cap;
	uint8_t data[];
};

static struct sbuf_blk *blk_of(uint8_t *data)
{
	return container_of(data, struct sbuf_blk, data[0]);
}

uint8_t *tcp_sbuf_alloc(uint32_t cap)
{
	struct sbuf_blk *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->refs = 1;
	b->cap = cap;
	return b->data;
}

void tcp_sbuf_put(void *data)
{
	struct sbuf_blk *b;

	if (!data)
		return;
	b = blk_of(data);
	if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

static void sbuf_frag_put(struct pkt *p, void *ring)
{
	(void)p;
	tcp_sbuf_put(ring);
}

/* Whether a segment of len bytes carries the ring's bytes in place: a
 * device that reads fragments and fills checksums, and enough bytes that
 * a copy costs more than a descriptor and a reference (tcp_xmit). */
#define ZERO_COPY_MIN 2048

static bool zero_copy(const struct tcp_sock *ts, uint32_t len)
{
	return len >= ZERO_COPY_MIN && ts->dev &&
	       netdev_takes_frags(ts->dev) && !ip_is_loopback(ts->raddr);
}

/* Hangs n bytes of the ring from ring offset off on p as fragments (two
 * when they wrap), with a reference on the ring. */
void tcp_sbuf_attach(struct tcp_sock *ts, struct pkt *p, uint32_t off,
		     uint32_t n)
{
	uint32_t pos = (ts->sbuf_off + off) % ts->sbuf_cap;
	uint32_t first = MIN(n, ts->sbuf_cap - pos);

	p->frag[0] = (struct pkt_frag){ts->sbuf + pos, first};
	p->nfrags = 1;
	if (n > first)
		p->frag[p->nfrags++] = (struct pkt_frag){ts->sbuf, n - first};
	p->frag_len = n;
	__atomic_fetch_add(&blk_of(ts->sbuf)->refs, 1, __ATOMIC_RELAXED);
	p->frag_put = sbuf_frag_put;
	p->frag_arg = ts->sbuf;
}

void tcp_sbuf_drop(struct tcp_sock *ts, uint32_t n)
{
	if (n > ts->sbuf_len)
		n = ts->sbuf_len;
	ts->sbuf_len -= n;
	ts->sbuf_off = ts->sbuf_len && ts->sbuf_cap
			   ? (ts->sbuf_off + n) % ts->sbuf_cap
			   : 0;
}

static void fill_header(struct tcp_sock *ts, struct tcp_hdr *th, uint32_t seq,
			uint8_t flags, size_t optlen)
{
	th->sport = ts->lport;
	th->dport = ts->rport;
	th->seq = net_htonl(seq);
	th->ack = flags & TH_ACK ? net_htonl(ts->rcv_nxt) : 0;
	th->off = (uint8_t)(((TCP_HLEN + optlen) / 4) << 4);
	th->flags = flags;
	th->win = net_htons(window_field(ts, flags & TH_SYN));
	th->urg = 0;
}

static void set_csum(struct pkt *p, uint32_t src, uint32_t dst, bool gso)
{
	struct tcp_hdr *th = (struct tcp_hdr *)p->data;

	th->csum = csum_fold_raw(ip_pseudo_sum(
	    src, dst, IPPROTO_TCP, gso ? 0 : (uint16_t)pkt_wire_len(p)));
	p->flags |= PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)(p->data - p->head);
	p->csum_off = 16;
	if (gso)
		p->flags |= PKT_GSO_TCP4;
}

static struct ip_out out_params(const struct tcp_sock *ts)
{
	return (struct ip_out){.src = ts->laddr,
			       .dst = ts->raddr,
			       .proto = IPPROTO_TCP,
			       .ttl = ts->ttl,
			       .tos = ts->tos,
			       .set_df = true,
			       .bound_if = ts->s ? ts->s->bound_if : 0};
}

/* One segment: [seq, seq + len) of the send queue (offset from snd_una)
 * with `flags`; ACK is added in every state past SYN_SENT. */
static int tcp_xmit(struct tcp_sock *ts, uint32_t seq, uint32_t len,
		    uint8_t flags)
{
	uint8_t opts[TCP_OPT_SPACE];
	size_t olen;
	struct pkt *p;
	struct tcp_hdr *th;
	bool gso = len > ts->mss;
	bool zc = zero_copy(ts, len);

	if (ts->state != TCP_SYN_SENT)
		flags |= TH_ACK;
	olen = build_opts(ts, opts, flags, len > 0);
again:
	p = pkt_alloc_frags(NET_HEADROOM, TCP_HLEN + olen + (zc ? 0 : len),
			    zc && ts->spans ? PKT_FRAGS_MAX : 0);
	if (!p)
		return -ENOBUFS;
	th = pkt_put(p, TCP_HLEN + olen);
	fill_header(ts, th, seq, flags, olen);
	memcpy(th + 1, opts, olen);
	if (zc && !tcp_sq_attach(ts, p, seq - ts->snd_una, len)) {
		pkt_free(p); /* a file page is not there (truncated): copy */
		zc = false;
		goto again;
	}
	if (!zc && len)
		tcp_sq_copy(ts, seq - ts->snd_una, pkt_put(p, len), len);
	set_csum(p, ts->laddr, ts->raddr, gso);
	p->gso_size = gso ? ts->mss : 0;
	if (flags & TH_ACK)
		ts->ack_pending = 0;
	ts->timer_at[TT_DELACK] = 0;
	TCP_INC(out_segs);
	if (flags & TH_RST)
		TCP_INC(out_rsts);
	struct ip_out o = out_params(ts);
	int r = ip_output(p, &o);
	/* -EAGAIN and the like: queued for ARP, or lost on the way, as any
	 * segment may be; only a refusal to take it means not sent */
	if (r != -ENOBUFS && (flags & TH_FIN)) {
		ts->fin_sent = true;
		ts->fin_seq = seq + len;
	}
	return r;
}

int tcp_send_ctl(struct tcp_sock *ts, uint8_t flags, uint32_t seq)
{
	return tcp_xmit(ts, seq, 0, flags);
}

void tcp_send_ack(struct tcp_sock *ts)
{
	tcp_xmit(ts, ts->snd_nxt, 0, TH_ACK);
}

void tcp_send_rst_conn(struct tcp_sock *ts)
{
	tcp_xmit(ts, ts->snd_nxt, 0, TH_RST | TH_ACK);
}

/* The largest segment one packet carries: the MSS, or on a TSO device a
 * multiple of it up to 64 KiB. */
static uint32_t max_seg(const struct tcp_sock *ts)
{
	uint32_t m = ts->mss;

	if (ts->dev && (ts->dev->features & NETDEV_F_TSO4) &&
	    (ts->dev->features & NETDEV_F_TX_CSUM) && !ip_is_loopback(ts->raddr))
		m = (TCP_SEND_MAX - IP_HLEN - TCP_HLEN - TCP_OPT_SPACE) /
		    ts->mss * ts->mss;
	return m;
}

static bool can_send_data(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT ||
	       state == TCP_FIN_WAIT1 || state == TCP_LAST_ACK ||
	       state == TCP_CLOSING;
}

static void arm_rto(struct tcp_sock *ts)
{
	if (!ts->timer_at[TT_RTO])
		ts->timer_at[TT_RTO] =
		    clock_monotonic_ns() + (uint64_t)ts->rtt.rto_us * 1000;
}

/* How many bytes from snd_nxt go in the next segment; 0: none now. */
static uint32_t next_len(struct tcp_sock *ts, uint32_t avail)
{
	uint32_t flight = tcp_flight(ts);
	uint32_t wnd = MIN(ts->snd_wnd, ts->cc.cwnd);
	uint32_t n;

	if (wnd <= flight)
		return 0;
	n = MIN(MIN(avail, wnd - flight), max_seg(ts));
	if (n >= ts->mss)
		return n;
	if (n < avail) /* the window cut it: SWS (RFC 9293 3.8.6.2.1) */
		return flight ? 0 : n;
	/* the short last piece: Nagle (RFC 896) and TCP_CORK */
	if (!ts->fin_queued && (ts->cork || (!ts->nodelay && flight)))
		return 0;
	return n;
}

/* A segment of n bytes from queue offset off, cut where the bytes that
 * go in place end (tcp_sq.c: a file span's end, its pages per packet). */
static uint32_t seg_len(const struct tcp_sock *ts, uint32_t off, uint32_t n)
{
	return zero_copy(ts, n) ? tcp_sq_inplace(ts, off, n) : n;
}

static void send_data(struct tcp_sock *ts)
{
	for (;;) {
		uint32_t end = ts->snd_una + ts->sq_len;
		uint32_t avail = seq_lt(ts->snd_nxt, end) ? end - ts->snd_nxt : 0;
		uint32_t n = avail ? next_len(ts, avail) : 0;
		uint8_t flags = TH_ACK;

		if (!n)
			return;
		n = seg_len(ts, ts->snd_nxt - ts->snd_una, n);
		if (n == avail)
			flags |= TH_PSH;
		if (n == avail && ts->fin_queued)
			flags |= TH_FIN;
		if (!ts->rtt_start && ts->snd_nxt == ts->snd_max) {
			ts->rtt_start = tcp_now_us();
			ts->rtt_seq = ts->snd_nxt + n;
		}
		if (tcp_xmit(ts, ts->snd_nxt, n, flags) == -ENOBUFS) {
			/* the device's queue is full (or memory short): try
			 * again when the RTO timer runs the connection */
			arm_rto(ts);
			return;
		}
		ts->bytes_sent += n;
		ts->snd_nxt += n + !!(flags & TH_FIN);
		if (seq_gt(ts->snd_nxt, ts->snd_max))
			ts->snd_max = ts->snd_nxt;
		arm_rto(ts);
	}
}

/* The FIN alone, once every byte went (RFC 9293 3.10.4). */
static void send_fin(struct tcp_sock *ts)
{
	uint32_t end = ts->snd_una + ts->sq_len;

	if (!ts->fin_queued || ts->snd_nxt != end)
		return;
	if (tcp_xmit(ts, end, 0, TH_FIN | TH_ACK) == -ENOBUFS) {
		arm_rto(ts);
		return;
	}
	ts->snd_nxt = end + 1;
	if (seq_gt(ts->snd_nxt, ts->snd_max))
		ts->snd_max = ts->snd_nxt;
	arm_rto(ts);
}

void tcp_output(struct tcp_sock *ts)
{
	if (!can_send_data(ts->state))
		return;
	send_data(ts);
	send_fin(ts);
	/* a zero window with data waiting and nothing in flight: persist */
	if (ts->sq_len && !tcp_flight(ts) && !ts->snd_wnd)
		arm_rto(ts);
}

/* Fast retransmit (RFC 5681 3.2) and NewReno's partial ACK (RFC 6582):
 * the first unacknowledged segment again, snd_nxt unchanged. */
void tcp_retransmit_fast(struct tcp_sock *ts)
{
	uint32_t n = seg_len(ts, 0, MIN(ts->sq_len, (uint32_t)ts->mss));
	uint8_t flags = TH_ACK;

	if (!n && !ts->fin_sent)
		return;
	if (n == ts->sq_len && ts->fin_sent)
		flags |= TH_FIN;
	ts->rtt_start = 0; /* Karn */
	tcp_xmit(ts, ts->snd_una, n, flags);
	ts->total_retrans++;
	TCP_INC(retrans_segs);
}

/* RTO: go back to snd_una (RFC 5681 3.1, RFC 6298 5.4). Also the zero
 * window probe (RFC 9293 3.8.6.1): one byte beyond the window. */
void tcp_retransmit(struct tcp_sock *ts)
{
	uint32_t n = seg_len(ts, 0, MIN(ts->sq_len, (uint32_t)ts->mss));
	uint8_t flags = TH_ACK;

	if (ts->state == TCP_SYN_SENT) {
		tcp_xmit(ts, ts->iss, 0, TH_SYN);
		return;
	}
	if (ts->state == TCP_SYN_RECV) {
		tcp_xmit(ts, ts->iss, 0, TH_SYN | TH_ACK);
		return;
	}
	if (!ts->snd_wnd && ts->sq_len) {
		n = 1; /* persist probe */
	} else if (n == ts->sq_len && ts->fin_queued) {
		flags |= TH_FIN;
	}
	if (!n && ts->fin_queued)
		flags |= TH_FIN;
	ts->rtt_start = 0; /* Karn */
	tcp_xmit(ts, ts->snd_una, n, flags | (n ? TH_PSH : 0));
	ts->snd_nxt = ts->snd_una + n + !!(flags & TH_FIN);
	if (seq_gt(ts->snd_nxt, ts->snd_max))
		ts->snd_max = ts->snd_nxt;
	ts->total_retrans++;
	TCP_INC(retrans_segs);
}

/* RFC 9293 3.10.7.1: the reply to a segment for no connection. */
void tcp_send_reply(uint32_t saddr, uint32_t daddr, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		    uint32_t wnd)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, TCP_HLEN);
	struct tcp_hdr *th;

	if (!p)
		return;
	th = pkt_put(p, TCP_HLEN);
	*th = (struct tcp_hdr){.sport = sport,
			       .dport = dport,
			       .seq = net_htonl(seq),
			       .ack = net_htonl(ack),
			       .off = 5 << 4,
			       .flags = flags,
			       .win = net_htons((uint16_t)wnd)};
	set_csum(p, saddr, daddr, false);
	TCP_INC(out_segs);
	if (flags & TH_RST)
		TCP_INC(out_rsts);
	struct ip_out o = {.src = saddr,
			   .dst = daddr,
			   .proto = IPPROTO_TCP,
			   .set_df = true};
	ip_output(p, &o);
}

/* A SYN-ACK for a SYN cookie (RFC 4987 3.6): only the MSS option, no
 * connection behind it. */
void tcp_send_synack_cookie(const struct tcp_seg *syn, uint32_t isn,
			    uint16_t mss)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, TCP_HLEN + 4);
	struct tcp_hdr *th;
	uint8_t *o;

	if (!p)
		return;
	th = pkt_put(p, TCP_HLEN + 4);
	*th = (struct tcp_hdr){.sport = syn->dport,
			       .dport = syn->sport,
			       .seq = net_htonl(isn),
			       .ack = net_htonl(syn->seq + 1),
			       .off = 6 << 4,
			       .flags = TH_SYN | TH_ACK,
			       .win = net_htons(65535)};
	o = (uint8_t *)(th + 1);
	o[0] = TCP_OPT_MSS;
	o[1] = 4;
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
	set_csum(p, syn->daddr, syn->saddr, false);
	TCP_INC(out_segs);
	struct ip_out out = {.src = syn->daddr,
			     .dst = syn->saddr,
			     .proto = IPPROTO_TCP,
			     .set_df = true};
	ip_output(p, &out);
}
