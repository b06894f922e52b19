/*
 * TCP input: the state machine of RFC 9293 3.10.7, run by the thread
 * that holds the connection's lock (tcp_work.c says which). Segments come
 * off the connection's channel as the driver left them (data at the IPv4
 * header; l3_off and l4_off set by classification) and are checked here,
 * not in the receive thread: checksum, header, options.
 *
 * Per segment, in RFC 9293's order: the acceptability test (with PAWS,
 * RFC 7323 5), RST (RFC 5961 3: only an exact match resets, one in the
 * window draws a challenge ACK), SYN in a synchronized state (RFC 5961 4:
 * challenge ACK), ACK (new data acknowledged: RTT sample, congestion
 * control, fast retransmit on three duplicates with NewReno's partial
 * ACKs, window update), data (in order to the receive queue, beyond it to
 * the out-of-order queue, bounded, acknowledged at once with SACK
 * blocks), FIN. Urgent data is not special: the pointer is ignored and
 * the bytes stay in the stream, as with SO_OOBINLINE.
 */
#include "net/tcp_int.h"

#include "linux/linux.h"

/* ---- parsing ---- */

bool tcp_csum_ok(const struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	unsigned len = net_ntohs(ih->len) - (ih->vihl & 0xf) * 4u;

	if (p->flags & PKT_CSUM_VALID)
		return true;
	return net_csum_fold(net_csum_add(
		   ip_pseudo_sum(ih->src, ih->dst, IPPROTO_TCP, (uint16_t)len),
		   p->head + p->l4_off, len)) == 0;
}

/* Fills seg from p (classified, data at the IPv4 header) and moves
 * p->data to the payload; false (counted) for a bad checksum. */
static bool tcp_parse(struct pkt *p, struct tcp_seg *seg)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct tcp_hdr *th = tcp_hdr_of(p);
	unsigned doff = (th->off >> 4) * 4u;
	unsigned tlen = net_ntohs(ih->len) - (ih->vihl & 0xf) * 4u;

	if (!tcp_csum_ok(p)) {
		TCP_INC(in_csum_errors);
		TCP_INC(in_errs);
		return false;
	}
	TCP_INC(in_segs);
	seg->seq = net_ntohl(th->seq);
	seg->ack = net_ntohl(th->ack);
	seg->flags = th->flags;
	seg->wnd = net_ntohs(th->win);
	seg->saddr = ih->src;
	seg->daddr = ih->dst;
	seg->sport = th->sport;
	seg->dport = th->dport;
	if (tcp_opts_parse((const uint8_t *)(th + 1), doff - TCP_HLEN,
			   &seg->opt))
		seg->opt.has = 0; /* not to be trusted: none (Linux ignores) */
	p->data = p->head + p->l4_off + doff;
	p->len = tlen - doff;
	seg->len = p->len;
	seg->p = p;
	return true;
}

/* ---- state changes ---- */

static void wake(struct tcp_sock *ts, unsigned ev)
{
	poll_notify(&ts->wq, ev);
}

static bool estab(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT;
}

void tcp_set_state(struct tcp_sock *ts, int state)
{
	if (estab(state) && !estab(ts->state))
		TCP_MIB_INC(curr_estab);
	else if (!estab(state) && estab(ts->state))
		TCP_MIB_DEC(curr_estab);
	ts->state = state;
	wake(ts, POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR);
}

static void synq_leave(struct tcp_sock *ts)
{
	struct tcp_sock *l = ts->listener;

	if (!l || ts->in_accept_queue || ts->s)
		return;
	mutex_lock(&l->acq_lock);
	if (l->synq_len)
		l->synq_len--;
	mutex_unlock(&l->acq_lock);
}

void tcp_done(struct tcp_sock *ts, int err)
{
	if (ts->state == TCP_SYN_RECV)
		synq_leave(ts);
	if (err)
		__atomic_store_n(&ts->err, err, __ATOMIC_RELEASE);
	if (estab(ts->state))
		TCP_INC(estab_resets); /* RFC 4022: straight to CLOSED */
	if (ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECV)
		TCP_INC(attempt_fails);
	for (int k = 0; k < TT_NUM; k++)
		ts->timer_at[k] = 0;
	tcp_ooo_purge(&ts->ooo);
	tcp_unhash(ts);
	ts->shut_rd = ts->shut_wr = true; /* Linux's tcp_done: SHUTDOWN_MASK */
	tcp_set_state(ts, TCP_CLOSE);
}

void tcp_rcvq_free(struct tcp_sock *ts)
{
	while (ts->rcvq) {
		struct pkt *p = ts->rcvq;

		ts->rcvq = p->next;
		pkt_free(p);
	}
	ts->rcvq_tail = &ts->rcvq;
	ts->rcv_bytes = ts->rcv_true = 0;
	ts->rcvq_n = 0;
}

/* TIME_WAIT (RFC 9293 3.6.1): a closed socket's connection moves to the
 * TIME_WAIT table and is freed; an open one waits here 2 MSL. */
static void enter_time_wait(struct tcp_sock *ts)
{
	struct tcp_tw_key k = {ts->laddr, ts->raddr, ts->lport, ts->rport};
	struct tcp_tw_state st = {ts->snd_nxt, ts->rcv_nxt, ts->ts_recent,
				  ts->ts_ok, ts->snd_wscale,
				  (uint16_t)(tcp_rcv_wnd(ts) >> ts->rcv_wscale),
				  ts->reuseaddr};

	ts->timer_at[TT_RTO] = 0;
	ts->timer_at[TT_DELACK] = 0;
	if (ts->released) {
		tcp_tw_lock();
		tcp_tw_add(&k, &st, clock_monotonic_ns());
		tcp_tw_unlock();
		tcp_done(ts, 0);
		return;
	}
	tcp_set_state(ts, TCP_TIME_WAIT);
	ts->timer_at[TT_KEEPALIVE] = clock_monotonic_ns() + TCP_TIMEWAIT_NS;
}

/* ---- options at connection setup ---- */

/* What a SYN (or SYN-ACK) offered, against what we offer (RFC 7323 1.3,
 * 2.2; RFC 2018 2; RFC 9293 3.7.1). */
void tcp_syn_options(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opt;
	uint16_t route = tcp_route_mss(ts);
	uint16_t peer = o->has & TCP_HAS_MSS ? o->mss : TCP_MSS_DEFAULT;

	ts->ws_ok = o->has & TCP_HAS_WSCALE;
	ts->snd_wscale = ts->ws_ok ? o->wscale : 0;
	if (!ts->ws_ok)
		ts->rcv_wscale = 0;
	ts->ts_ok = o->has & TCP_HAS_TS;
	if (ts->ts_ok) {
		ts->ts_recent = o->ts_val;
		ts->ts_recent_at = tcp_now_ts();
	}
	ts->sack_ok = o->has & TCP_HAS_SACK_OK;
	if (peer < 64)
		peer = 64;
	ts->mss = MIN(peer, route);
	if (ts->user_mss && ts->user_mss < ts->mss)
		ts->mss = ts->user_mss;
	ts->rcv_mss = ts->mss;
	if (ts->ts_ok)
		ts->mss -= 12; /* TCPOLEN_TSTAMP_ALIGNED */
	tcp_cc_init(&ts->cc, TCP_CC_CUBIC, ts->mss);
}

static void established(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	ts->snd_wnd = seg->wnd << ((seg->flags & TH_SYN) ? 0 : ts->snd_wscale);
	ts->max_wnd = ts->snd_wnd;
	ts->snd_wl1 = seg->seq;
	ts->snd_wl2 = seg->ack;
	ts->quickacks = 16;
	ts->last_rcv_ns = clock_monotonic_ns();
	if (ts->keepalive)
		ts->timer_at[TT_KEEPALIVE] =
		    ts->last_rcv_ns + (uint64_t)ts->keepidle * 1000000000ull;
	tcp_set_state(ts, TCP_ESTABLISHED);
}

/* ---- SYN_SENT (RFC 9293 3.10.7.3) ---- */

static void rtt_sample(struct tcp_sock *ts, uint32_t ack)
{
	if (ts->rtt_start && seq_ge(ack, ts->rtt_seq)) {
		uint64_t d = tcp_now_us() - ts->rtt_start;

		tcp_rtt_sample(&ts->rtt, d ? (uint32_t)MIN(d, 0xffffffffu) : 1);
		ts->rtt_start = 0;
	}
}

static void syn_sent_input(struct tcp_sock *ts, struct tcp_seg *seg)
{
	bool ack = seg->flags & TH_ACK;

	if (ack && (seq_le(seg->ack, ts->iss) || seq_gt(seg->ack, ts->snd_nxt))) {
		if (!(seg->flags & TH_RST))
			tcp_send_reply(seg->daddr, seg->saddr, seg->dport,
				       seg->sport, seg->ack, 0, TH_RST, 0);
		return;
	}
	if (seg->flags & TH_RST) {
		if (ack) {
			tcp_done(ts, ECONNREFUSED);
		}
		return;
	}
	if (!(seg->flags & TH_SYN))
		return;
	ts->irs = seg->seq;
	ts->rcv_nxt = ts->rcv_adv = seg->seq + 1;
	tcp_syn_options(ts, seg);
	if (ack) {
		ts->snd_una = seg->ack;
		rtt_sample(ts, seg->ack);
		ts->retries = 0;
		ts->timer_at[TT_RTO] = 0;
		established(ts, seg);
		tcp_send_ack(ts);
		return;
	}
	/* simultaneous open (RFC 9293 3.5, figure 8) */
	tcp_set_state(ts, TCP_SYN_RECV);
	tcp_send_ctl(ts, TH_SYN | TH_ACK, ts->iss);
}

/* ---- synchronized states ---- */

/* RFC 9293 3.10.7.4 first check, after PAWS (RFC 7323 5.3). */
static bool acceptable(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	uint32_t wnd = tcp_rcv_wnd(ts);
	uint32_t len = seg->len + !!(seg->flags & TH_SYN) +
		       !!(seg->flags & TH_FIN);
	uint32_t end = ts->rcv_nxt + wnd;

	if (!len)
		return wnd ? seq_in(seg->seq, ts->rcv_nxt, end)
			   : seg->seq == ts->rcv_nxt;
	if (!wnd)
		return seg->seq == ts->rcv_nxt; /* ACK, RST: trimmed below */
	return seq_in(seg->seq, ts->rcv_nxt, end) ||
	       seq_in(seg->seq + len - 1, ts->rcv_nxt, end);
}

static bool paws_reject(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	if (!ts->ts_ok || !(seg->opt.has & TCP_HAS_TS) ||
	    (seg->flags & TH_RST))
		return false;
	/* a timestamp older than the last one in sequence, unless that one
	 * is more than 24 days old (RFC 7323 5.5) */
	return seq_lt(seg->opt.ts_val, ts->ts_recent) &&
	       tcp_now_ts() - ts->ts_recent_at < 24u * 86400 * 1000;
}

/* Cuts what lies before rcv_nxt or beyond the window from the segment. */
static void trim(struct tcp_sock *ts, struct tcp_seg *seg)
{
	uint32_t end = ts->rcv_nxt + tcp_rcv_wnd(ts);

	if (seg->flags & TH_SYN && seq_lt(seg->seq, ts->rcv_nxt)) {
		seg->flags &= ~TH_SYN;
		seg->seq++;
	}
	if (seq_lt(seg->seq, ts->rcv_nxt)) {
		uint32_t cut = MIN(ts->rcv_nxt - seg->seq, seg->len);

		pkt_pull(seg->p, cut);
		seg->len -= cut;
		seg->seq += cut;
		if (seq_lt(seg->seq, ts->rcv_nxt)) /* a FIN we had already */
			seg->flags &= ~TH_FIN;
	}
	if (seq_gt(seg->seq + seg->len, end)) {
		uint32_t keep = seq_gt(end, seg->seq) ? end - seg->seq : 0;

		pkt_trim(seg->p, keep);
		seg->len = keep;
		seg->flags &= ~TH_FIN;
	}
}

/*
 * Linux's tcp_oow_rate_limited: an ACK answering a segment that is out of
 * window or a challenge (RFC 5961 7) goes at most once per
 * TCP_TW_ACK_RATELIMIT_NS per connection, so that two ends (or a forger)
 * cannot make an ACK storm of it. Data or FIN without SYN is not limited:
 * a duplicate ACK for retransmitted data is what the peer's recovery needs.
 */
static bool oow_rate_limited(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	uint64_t now;

	if (seg && (seg->len || (seg->flags & TH_FIN)) &&
	    !(seg->flags & TH_SYN))
		return false;
	now = clock_monotonic_ns();
	if (ts->last_oow_ack_ns &&
	    now - ts->last_oow_ack_ns < TCP_TW_ACK_RATELIMIT_NS)
		return true;
	ts->last_oow_ack_ns = now;
	return false;
}

/* RFC 5961's challenge ACK, rate-limited as Linux's tcp_send_challenge_ack
 * (its global limit is off by default since Linux 6.0). */
static void challenge_ack(struct tcp_sock *ts)
{
	if (!oow_rate_limited(ts, NULL))
		tcp_send_ack(ts);
}

/* RFC 5961 3.2; true when the segment is done with */
static bool rst_check(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	if (!(seg->flags & TH_RST))
		return false;
	if (seg->seq != ts->rcv_nxt) {
		challenge_ack(ts);
		return true;
	}
	if (ts->state == TCP_SYN_RECV && ts->listener && !ts->s) {
		tcp_done(ts, 0); /* back to LISTEN: the child just goes */
		return true;
	}
	switch (ts->state) {
	case TCP_SYN_RECV:
		tcp_done(ts, ECONNREFUSED);
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		tcp_done(ts, 0);
		break;
	default:
		tcp_done(ts, ts->state == TCP_CLOSE_WAIT ? EPIPE : ECONNRESET);
	}
	return true;
}

static bool fin_acked(const struct tcp_sock *ts)
{
	return ts->fin_sent && seq_gt(ts->snd_una, ts->fin_seq);
}

/* RFC 9293 3.10.7.4 fifth check: the ACK field of a synchronized state's
 * segment; false when the segment is to be dropped. */
static void window_update(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	if (seq_lt(ts->snd_wl1, seg->seq) ||
	    (ts->snd_wl1 == seg->seq && seq_le(ts->snd_wl2, seg->ack))) {
		uint32_t w = seg->wnd << ts->snd_wscale;

		if (w && !ts->snd_wnd && !tcp_flight(ts))
			ts->timer_at[TT_RTO] = 0; /* the persist timer ends */
		ts->snd_wnd = w;
		ts->max_wnd = MAX(ts->max_wnd, w);
		ts->snd_wl1 = seg->seq;
		ts->snd_wl2 = seg->ack;
	}
}

/* New data acknowledged: the send queue shrinks, the RTT is sampled, the
 * congestion window grows, the retransmission timer restarts. */
static void ack_new(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	uint32_t acked = seg->ack - ts->snd_una;
	uint32_t data = MIN(acked, ts->sq_len);
	bool limited = tcp_flight(ts) + ts->mss >= ts->cc.cwnd;

	tcp_sq_drop(ts, data);
	ts->snd_una = seg->ack;
	if (seq_lt(ts->snd_nxt, ts->snd_una))
		ts->snd_nxt = ts->snd_una;
	ts->bytes_acked += data;
	rtt_sample(ts, seg->ack);
	if (ts->cc.in_recovery) {
		if (!tcp_cc_recovery_ack(&ts->cc, seg->ack, acked))
			tcp_retransmit_fast(ts); /* a partial ACK (RFC 6582) */
	} else {
		tcp_cc_on_ack(&ts->cc, acked, tcp_now_us(), ts->rtt.srtt_us,
			      limited);
	}
	ts->dupacks = 0;
	ts->retries = 0;
	ts->rtt.backoff = 0;
	ts->timer_at[TT_RTO] = 0;
	if (tcp_flight(ts))
		ts->timer_at[TT_RTO] =
		    clock_monotonic_ns() + (uint64_t)ts->rtt.rto_us * 1000;
	if (ts->nospace) { /* Linux's sk_write_space: an edge when full */
		ts->nospace = false;
		ts->wake_ev |= POLLOUT | POLLWRNORM;
	}
}

static void dup_ack(struct tcp_sock *ts, const struct tcp_seg *seg)
{
	if (seg->len || (seg->flags & (TH_SYN | TH_FIN)) || !tcp_flight(ts) ||
	    (seg->wnd << ts->snd_wscale) != ts->snd_wnd)
		return;
	if (ts->cc.in_recovery) {
		tcp_cc_on_dupack(&ts->cc);
		return;
	}
	if (++ts->dupacks == 3 &&
	    tcp_cc_on_fast_loss(&ts->cc, tcp_flight(ts), ts->snd_nxt))
		tcp_retransmit_fast(ts);
}

static bool ack_check(struct tcp_sock *ts, struct tcp_seg *seg)
{
	if (!(seg->flags & TH_ACK))
		return false;
	if (ts->state == TCP_SYN_RECV) {
		if (!seq_in(seg->ack, ts->snd_una + 1, ts->snd_nxt + 1)) {
			tcp_send_reply(seg->daddr, seg->saddr, seg->dport,
				       seg->sport, seg->ack, 0, TH_RST, 0);
			return false;
		}
		ts->snd_una = seg->ack;
		rtt_sample(ts, seg->ack);
		ts->timer_at[TT_RTO] = 0;
		ts->retries = 0;
		established(ts, seg);
		if (ts->listener && !ts->s)
			tcp_child_ready(ts);
	}
	if (seq_gt(seg->ack, ts->snd_max)) {
		challenge_ack(ts); /* acknowledges what we never sent */
		return false;
	}
	if (seq_lt(seg->ack, ts->snd_una - MAX(ts->max_wnd, 65535u))) {
		challenge_ack(ts); /* RFC 5961 5.2 */
		return false;
	}
	if (seq_gt(seg->ack, ts->snd_una))
		ack_new(ts, seg);
	else if (seg->ack == ts->snd_una)
		dup_ack(ts, seg);
	window_update(ts, seg);
	return true;
}

/* The states our FIN being acknowledged moves (RFC 9293 3.10.7.4). */
static bool fin_ack_states(struct tcp_sock *ts)
{
	if (!fin_acked(ts))
		return true;
	switch (ts->state) {
	case TCP_FIN_WAIT1:
		tcp_set_state(ts, TCP_FIN_WAIT2);
		if (ts->released)
			ts->timer_at[TT_KEEPALIVE] =
			    clock_monotonic_ns() +
			    (ts->linger2_s > 0
				 ? (uint64_t)ts->linger2_s * 1000000000ull
				 : TCP_FIN_TIMEOUT_NS);
		return true;
	case TCP_CLOSING:
		enter_time_wait(ts);
		return false;
	case TCP_LAST_ACK:
		tcp_done(ts, 0);
		return false;
	}
	return true;
}

/* ---- data ---- */

static void rcvq_add(struct tcp_sock *ts, struct pkt *p)
{
	p->next = NULL;
	*ts->rcvq_tail = p;
	ts->rcvq_tail = &p->next;
	ts->rcv_bytes += p->len;
	ts->rcv_true += p->size;
	ts->rcvq_n++;
	ts->rcv_nxt += p->len;
	ts->bytes_received += p->len; /* the push announced it (POLLIN) */
}

/* Copies the receive queue into as few buffers as its bytes need: when
 * many small segments hold far more memory than data (1-byte segments
 * in 2 KiB receive buffers), so that SO_RCVBUF bounds the memory. */
static void rcvq_collapse(struct tcp_sock *ts)
{
	struct pkt *head = ts->rcvq, *out = NULL, **tail = &out, *big = NULL;

	ts->rcvq = NULL;
	ts->rcv_true = 0;
	ts->rcvq_n = 0;
	while (head) {
		struct pkt *p = head;

		if (!big || big->size - (big->data - big->head) - big->len <
				p->len) {
			big = pkt_alloc(0, MIN(ts->rcv_bytes, 65536u));
			if (!big) { /* keep the rest as it is */
				*tail = head;
				for (; head; head = head->next) {
					ts->rcv_true += head->size;
					ts->rcvq_n++;
				}
				break;
			}
			big->next = NULL;
			*tail = big;
			tail = &big->next;
			ts->rcv_true += big->size;
			ts->rcvq_n++;
		}
		size_t n = MIN((size_t)p->len,
			       big->size - (size_t)(big->data - big->head) -
				   big->len);
		memcpy(pkt_put(big, n), p->data, n);
		pkt_pull(p, n);
		if (!p->len) {
			head = p->next;
			pkt_free(p);
		}
	}
	ts->rcvq = out;
	ts->rcvq_tail = &ts->rcvq;
	while (*ts->rcvq_tail)
		ts->rcvq_tail = &(*ts->rcvq_tail)->next;
}

/* Out-of-order segments that now follow rcv_nxt. */
static void ooo_drain(struct tcp_sock *ts)
{
	struct tcp_ooo_seg *s;

	while ((s = tcp_ooo_pop(&ts->ooo, ts->rcv_nxt))) {
		struct pkt *p = s->buf;

		p->data = p->head + s->off;
		p->len = s->len;
		rcvq_add(ts, p);
	}
}

/* Keeps p beyond rcv_nxt; its tcp_ooo_seg lives in the packet's headroom
 * (the link and IP headers, no longer needed). */
static void ooo_add(struct tcp_sock *ts, struct tcp_seg *seg)
{
	struct pkt *p = seg->p;
	struct tcp_ooo_seg *s = (struct tcp_ooo_seg *)p->head;

	seg->p = NULL;
	if (p->l4_off < sizeof(*s) || ((uintptr_t)s & 7)) {
		pkt_free(p); /* without room for it, it comes again */
		return;
	}
	*s = (struct tcp_ooo_seg){.seq = seg->seq,
				  .len = seg->len,
				  .off = (uint32_t)(p->data - p->head),
				  .buf = p};
	tcp_ooo_insert(&ts->ooo, s);
}

static void data_in(struct tcp_sock *ts, struct tcp_seg *seg)
{
	if (!seg->len)
		return;
	if (ts->shut_rd && ts->released) {
		/* data for a closed socket (Linux: RST, tcp_rcv_state_process) */
		tcp_send_rst_conn(ts);
		tcp_done(ts, ECONNRESET);
		return;
	}
	if (seg->seq != ts->rcv_nxt) {
		ooo_add(ts, seg);
		tcp_send_ack(ts); /* a duplicate ACK at once (RFC 5681 4.2) */
		return;
	}
	rcvq_add(ts, seg->p);
	seg->p = NULL;
	if (ts->rcv_true > (uint32_t)ts->rcvbuf && ts->rcvq_n > 1 &&
	    ts->rcv_true > 2 * ts->rcv_bytes)
		rcvq_collapse(ts);
	if (ts->ooo.head) {
		ooo_drain(ts);
		ts->quickacks = MAX(ts->quickacks, 1u); /* filled a hole */
	}
	/* counted in full-sized segments: a frame the device merged (GUEST_TSO4)
	 * is many of them, and RFC 5681 4.2 wants every second one ACKed */
	ts->ack_pending += MAX(1u, seg->len / MAX(ts->rcv_mss, 1u));
}

static void fin_in(struct tcp_sock *ts, struct tcp_seg *seg)
{
	if (!(seg->flags & TH_FIN) || seg->seq + seg->len != ts->rcv_nxt)
		return;
	ts->rcv_nxt++;
	ts->fin_rcvd = true;
	ts->ack_pending++;
	ts->quickacks = MAX(ts->quickacks, 1u);
	switch (ts->state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(ts, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		if (fin_acked(ts))
			enter_time_wait(ts);
		else
			tcp_set_state(ts, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		enter_time_wait(ts);
		break;
	case TCP_TIME_WAIT:
		ts->timer_at[TT_KEEPALIVE] =
		    clock_monotonic_ns() + TCP_TIMEWAIT_NS;
		break;
	}
}

static bool unacceptable(struct tcp_sock *ts, struct tcp_seg *seg)
{
	if (paws_reject(ts, seg) || !acceptable(ts, seg)) {
		if (seg->flags & TH_RST)
			return true;
		if (oow_rate_limited(ts, seg))
			return true;
		if (ts->state == TCP_SYN_RECV)
			tcp_send_ctl(ts, TH_SYN | TH_ACK, ts->iss);
		else
			tcp_send_ack(ts);
		return true;
	}
	return false;
}

static void sync_input(struct tcp_sock *ts, struct tcp_seg *seg)
{
	if (unacceptable(ts, seg))
		return;
	trim(ts, seg);
	if (rst_check(ts, seg))
		return;
	if (seg->flags & TH_SYN) {
		challenge_ack(ts); /* RFC 5961 4.2 */
		return;
	}
	if (ts->ts_ok && (seg->opt.has & TCP_HAS_TS) &&
	    seq_le(seg->seq, ts->rcv_nxt)) {
		ts->ts_recent = seg->opt.ts_val; /* RFC 7323 4.3 */
		ts->ts_recent_at = tcp_now_ts();
	}
	ts->last_rcv_ns = clock_monotonic_ns();
	ts->probes = 0;
	if (!ack_check(ts, seg) || !fin_ack_states(ts))
		return;
	if (ts->state == TCP_TIME_WAIT || ts->state == TCP_CLOSE)
		goto fin;
	if (ts->state == TCP_ESTABLISHED || ts->state == TCP_FIN_WAIT1 ||
	    ts->state == TCP_FIN_WAIT2)
		data_in(ts, seg);
fin:
	if (ts->state != TCP_CLOSE)
		fin_in(ts, seg);
}

/* ---- the listener ---- */

static void listen_input(struct tcp_sock *l, struct tcp_seg *seg)
{
	/* a retransmitted (or duplicated) SYN, or data right behind a
	 * cookie's ACK, queued here before its connection was hashed */
	if (tcp_redirect(l, seg->p)) {
		seg->p = NULL;
		return;
	}
	if (seg->flags & TH_RST)
		return;
	if ((seg->flags & TH_ACK) && !(seg->flags & TH_SYN) &&
	    tcp_listen_cookie_ack(l, seg))
		return;
	if (seg->flags & TH_ACK) {
		tcp_send_reply(seg->daddr, seg->saddr, seg->dport, seg->sport,
			       seg->ack, 0, TH_RST, 0);
		return;
	}
	if (!(seg->flags & TH_SYN))
		return;
	tcp_listen_syn(l, seg);
}

/* ---- a segment for a closed connection (RFC 9293 3.10.7.1) ---- */

static void reply_closed(const struct tcp_seg *seg)
{
	uint32_t len = seg->len + !!(seg->flags & TH_SYN) +
		       !!(seg->flags & TH_FIN);

	if (seg->flags & TH_RST)
		return;
	if (seg->flags & TH_ACK)
		tcp_send_reply(seg->daddr, seg->saddr, seg->dport, seg->sport,
			       seg->ack, 0, TH_RST, 0);
	else
		tcp_send_reply(seg->daddr, seg->saddr, seg->dport, seg->sport,
			       0, seg->seq + len, TH_RST | TH_ACK, 0);
}

void tcp_input(struct tcp_sock *ts, struct pkt *p)
{
	struct tcp_seg seg;

	if (!tcp_parse(p, &seg)) {
		pkt_free(p);
		return;
	}
	switch (ts->state) {
	case TCP_LISTEN:
		listen_input(ts, &seg);
		break;
	case TCP_SYN_SENT:
		syn_sent_input(ts, &seg);
		break;
	case TCP_CLOSE:
		reply_closed(&seg);
		break;
	default:
		sync_input(ts, &seg);
	}
	if (seg.p)
		pkt_free(seg.p);
}

/* The default path: no connection. TIME_WAIT's table, else a reset. */
void tcp_input_default(struct netdev *dev, struct pkt *p)
{
	struct tcp_seg seg;
	struct tcp_tw_state st;
	uint32_t isn;
	enum tcp_tw_verdict v;

	(void)dev;
	if (!tcp_parse(p, &seg))
		goto out;
	struct tcp_tw_key k = {seg.daddr, seg.saddr, seg.dport, seg.sport};
	struct tcp_tw_seg tws = {seg.flags, seg.seq, seg.ack, seg.len,
				 seg.opt.has & TCP_HAS_TS, seg.opt.ts_val};
	tcp_tw_lock();
	v = tcp_tw_segment(&k, &tws, clock_monotonic_ns(), &st, &isn);
	if (v == TCP_TW_REUSE) { /* no listener took the SYN: as before */
		tcp_tw_add(&k, &st, clock_monotonic_ns());
		v = TCP_TW_ACK;
	}
	tcp_tw_unlock();
	if (v == TCP_TW_ACK)
		tcp_send_reply(seg.daddr, seg.saddr, seg.dport, seg.sport,
			       st.snd_nxt, st.rcv_nxt, TH_ACK, st.rcv_wnd);
	else if (v == TCP_TW_RST)
		reply_closed(&seg);
	else if (v == TCP_TW_NONE)
		reply_closed(&seg);
out:
	pkt_free(p);
}

/* ---- timers (the worker, or whoever holds the lock when they are due) */

static void rto_fired(struct tcp_sock *ts)
{
	bool syn = ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECV;
	unsigned max = syn ? TCP_SYN_RETRIES : TCP_RETRIES2;
	bool persist = !ts->snd_wnd && ts->sq_len && !syn;

	if (!syn && !tcp_flight(ts) && !persist)
		return;
	/* Linux's tcp_probe_timer: unanswered probes end it (sooner once
	 * the application closed it, tcp_orphan_retries) */
	if (persist && ++ts->probes > (ts->released ? 8u : TCP_RETRIES2)) {
		tcp_done(ts, ETIMEDOUT_NET);
		return;
	}
	if (!persist && ++ts->retries > max) {
		if (syn && ts->listener && !ts->s) {
			tcp_done(ts, 0);
			return;
		}
		tcp_done(ts, ETIMEDOUT_NET);
		return;
	}
	if (!persist && !syn)
		tcp_cc_on_timeout(&ts->cc, tcp_flight(ts));
	tcp_rtt_backoff(&ts->rtt);
	ts->dupacks = 0;
	tcp_retransmit(ts);
	ts->timer_at[TT_RTO] =
	    clock_monotonic_ns() + (uint64_t)ts->rtt.rto_us * 1000;
}

static void keepalive_fired(struct tcp_sock *ts, uint64_t now)
{
	uint64_t idle = (uint64_t)ts->keepidle * 1000000000ull;
	uint64_t intvl = (uint64_t)ts->keepintvl * 1000000000ull;

	if (ts->state == TCP_TIME_WAIT || ts->state == TCP_FIN_WAIT2) {
		tcp_done(ts, 0); /* 2 MSL, or tcp_fin_timeout */
		return;
	}
	if (!ts->keepalive || ts->state != TCP_ESTABLISHED)
		return;
	if (now - ts->last_rcv_ns < idle + (uint64_t)ts->probes * intvl) {
		ts->timer_at[TT_KEEPALIVE] =
		    ts->last_rcv_ns + idle + (uint64_t)ts->probes * intvl;
		return;
	}
	if (ts->probes >= (unsigned)ts->keepcnt) {
		tcp_send_rst_conn(ts);
		tcp_done(ts, ETIMEDOUT_NET);
		return;
	}
	ts->probes++;
	tcp_send_ctl(ts, TH_ACK, ts->snd_una - 1); /* RFC 1122 4.2.3.6 */
	ts->timer_at[TT_KEEPALIVE] = now + intvl;
}

void tcp_timers_run(struct tcp_sock *ts, uint64_t now)
{
	if (ts->timer_at[TT_DELACK] && ts->timer_at[TT_DELACK] <= now) {
		ts->timer_at[TT_DELACK] = 0;
		if (ts->ack_pending)
			tcp_send_ack(ts);
	}
	if (ts->timer_at[TT_RTO] && ts->timer_at[TT_RTO] <= now) {
		ts->timer_at[TT_RTO] = 0;
		rto_fired(ts);
	}
	if (ts->timer_at[TT_KEEPALIVE] && ts->timer_at[TT_KEEPALIVE] <= now) {
		ts->timer_at[TT_KEEPALIVE] = 0;
		keepalive_fired(ts, now);
	}
}

/* The ACK policy after a batch (RFC 1122 4.2.3.2, RFC 5681 4.2): every
 * second segment at once, quick ACKs at the start, else after 40 ms. */
static void ack_policy(struct tcp_sock *ts)
{
	if (!ts->ack_pending || ts->state == TCP_CLOSE)
		return;
	if (ts->ack_pending >= 2 || ts->quickacks || ts->quickack_on) {
		if (ts->quickacks)
			ts->quickacks--;
		tcp_send_ack(ts);
		return;
	}
	if (!ts->timer_at[TT_DELACK])
		ts->timer_at[TT_DELACK] = clock_monotonic_ns() + TCP_DELACK_NS;
}

void tcp_process(struct tcp_sock *ts)
{
	struct pkt *p;
	uint64_t now;
	unsigned ev;

	while ((p = netchan_pop(&ts->chan)))
		tcp_input(ts, p);
	now = clock_monotonic_ns();
	if (ts->timer_at[TT_RTO] || ts->timer_at[TT_DELACK] ||
	    ts->timer_at[TT_KEEPALIVE])
		tcp_timers_run(ts, now);
	tcp_output(ts); /* data carries the ACK */
	ack_policy(ts);
	/* whatever is in flight has its retransmission timer */
	if (!ts->timer_at[TT_RTO] && tcp_flight(ts) && ts->flow &&
	    ts->state != TCP_TIME_WAIT)
		ts->timer_at[TT_RTO] =
		    now + (uint64_t)ts->rtt.rto_us * 1000;
	tcp_timers_update(ts);
	ev = ts->wake_ev;
	ts->wake_ev = 0;
	if (ev)
		wake(ts, ev);
}
