/*
 * AF_INET SOCK_STREAM sockets: Linux's semantics (man 7 tcp, man 7
 * socket, man 2 connect/accept/listen/shutdown) over the connections of
 * tcp_in.c and tcp_out.c. Every call takes the connection's lock and
 * first runs what is pending (tcp_process: segments on the channel, due
 * timers), so the thread that uses a socket is the one that runs its
 * protocol; it sleeps in tcp_wait, which hands the connection to the
 * worker meanwhile (tcp_work.c).
 *
 * Ports: bind, listen and connect take the flow table's lock (flow_lock)
 * for the checks and the insertion; the order is a connection's lock ->
 * flow_lock, and a listener's lock -> a child's lock -> the listener's
 * acq_lock (a leaf).
 */
#include "net/tcp_int.h"

#include "linux/linux.h"

#define EPHEMERAL_LOW 32768 /* Linux's net.ipv4.ip_local_port_range */
#define EPHEMERAL_HIGH 60999
#define SIOCINQ 0x541b
#define SIOCOUTQ 0x5411
#define SIOCOUTQNSD 0x894b
#define IP_TOS 1
#define IP_TTL 2
#define LOOPBACK_ADDR 0x0100007fu /* 127.0.0.1 in network order */

static bool addr_local(uint32_t a)
{
	return !a || ip_addr_is_local(a) || ip_is_loopback(a);
}

/* ---- ports ---- */

/* The TIME_WAIT table's part of a bind conflict (under flow_lock). */
static bool tw_conflict(struct tcp_sock *ts, uint16_t port, uint32_t addr)
{
	bool c;

	tcp_tw_lock();
	c = tcp_tw_port_conflict(port, addr, ts->reuseaddr,
				 clock_monotonic_ns());
	tcp_tw_unlock();
	return c;
}

/* Linux's inet_csk_bind_conflict, simplified: another socket on the port
 * conflicts unless the addresses differ (neither a wildcard), or both
 * set SO_REUSEADDR and the other is not listening, or both set
 * SO_REUSEPORT; connections in TIME_WAIT count too. Under flow_lock. */
static bool port_conflict(struct tcp_sock *ts, uint16_t port, uint32_t addr)
{
	for (struct flow *f = flow_first_port(IPPROTO_TCP, port); f;
	     f = flow_next_port(f)) {
		struct tcp_sock *o = f->owner;

		if (o == ts)
			continue;
		if (f->laddr && addr && f->laddr != addr)
			continue;
		if (ts->reuseaddr && o->reuseaddr && o->state != TCP_LISTEN)
			continue;
		if (ts->reuseport && o->reuseport)
			continue;
		return true;
	}
	return tw_conflict(ts, port, addr);
}

/* tcp_port_pick's question: taken by a socket, or (for connect) this
 * 4-tuple still in TIME_WAIT. */
static bool port_busy(uint16_t port, void *arg)
{
	struct tcp_tw_key *k = arg;
	bool tw;

	if (flow_first_port(IPPROTO_TCP, net_htons(port)))
		return true;
	if (!k->raddr)
		return false;
	k->lport = net_htons(port);
	tcp_tw_lock();
	tw = tcp_tw_busy(k, clock_monotonic_ns());
	tcp_tw_unlock();
	return tw;
}

/* An ephemeral port (network order) or 0; under flow_lock. */
static uint16_t pick_port(uint32_t laddr, uint32_t raddr, uint16_t rport)
{
	struct tcp_tw_key k = {laddr, raddr, 0, rport};
	uint16_t p = tcp_port_pick(laddr, raddr, rport, EPHEMERAL_LOW,
				   EPHEMERAL_HIGH, port_busy, &k);

	return p ? net_htons(p) : 0;
}

static void opts_from_socket(struct tcp_sock *ts)
{
	struct socket *s = ts->s;

	if (!s)
		return;
	ts->reuseaddr = s->reuseaddr;
	ts->reuseport = s->reuseport;
	ts->rcvbuf = s->rcvbuf;
	ts->sndbuf = s->sndbuf;
	ts->keepalive = s->keepalive;
}

/* Binds ts to addr:port (network order; port 0: ephemeral); the socket
 * is hashed as a wildcard-remote flow (it refuses connections until it
 * listens). Under ts->lock. */
static int do_bind(struct tcp_sock *ts, uint32_t addr, uint16_t port)
{
	int r = 0;

	opts_from_socket(ts);
	flow_lock();
	if (!port)
		port = pick_port(addr, 0, 0);
	if (!port)
		r = -EADDRINUSE;
	else if (port_conflict(ts, port, addr))
		r = -EADDRINUSE;
	flow_unlock();
	if (r)
		return r;
	ts->laddr = addr;
	ts->lport = port;
	return tcp_hash(ts, true);
}

static int tcp_bind(struct socket *s, const struct sockaddr_k *a, unsigned len)
{
	struct tcp_sock *ts = s->priv;
	struct sockaddr_in_k sin;
	int r = inet_bind_sin_get(a, len, &sin);

	if (r)
		return r;
	mutex_lock(&ts->lock);
	if (!addr_local(sin.sin_addr))
		r = -EADDRNOTAVAIL;
	else if (ts->lport || ts->state != TCP_CLOSE)
		r = -EINVAL;
	else
		r = do_bind(ts, sin.sin_addr, sin.sin_port);
	if (!r)
		ts->port_locked = true;
	mutex_unlock(&ts->lock);
	return r;
}

/* ---- connect ---- */

static bool connect_done(void *arg)
{
	struct tcp_sock *ts = arg;

	return ts->state != TCP_SYN_SENT && ts->state != TCP_SYN_RECV;
}

static int take_err(struct tcp_sock *ts)
{
	return -__atomic_exchange_n(&ts->err, 0, __ATOMIC_ACQ_REL);
}

/* Addresses, port, ISN, the SYN; under ts->lock. */
static int start_connect(struct tcp_sock *ts, uint32_t dst, uint16_t port)
{
	uint32_t hop;
	int r = net_route_lookup_if(dst, ts->s->bound_if, &ts->dev, &hop);

	if (r)
		return r;
	opts_from_socket(ts);
	if (!ts->laddr)
		ts->laddr = ip_is_loopback(dst)	    ? LOOPBACK_ADDR
			    : ip_addr_is_local(dst) ? dst
						    : ts->dev->ip;
	ts->raddr = dst;
	ts->rport = port;
	ts->shut_rd = ts->shut_wr = ts->fin_rcvd = false;
	ts->fin_queued = ts->fin_sent = false;
	if (!ts->lport) {
		flow_lock();
		ts->lport = pick_port(ts->laddr, dst, port);
		flow_unlock();
		if (!ts->lport)
			return -EADDRNOTAVAIL; /* Linux: no port left */
	}
	if ((r = tcp_hash(ts, false)))
		return r;
	ts->iss = tcp_isn(ts->laddr, ts->lport, dst, port, tcp_now_us());
	ts->snd_una = ts->iss;
	ts->snd_nxt = ts->snd_max = ts->iss + 1;
	ts->rcv_wscale = TCP_RCV_WSCALE;
	ts->mss = tcp_route_mss(ts);
	ts->state = TCP_SYN_SENT;
	__atomic_store_n(&ts->err, 0, __ATOMIC_RELAXED);
	TCP_INC(active_opens);
	ts->rtt_start = tcp_now_us();
	ts->rtt_seq = ts->iss + 1;
	tcp_send_ctl(ts, TH_SYN, ts->iss);
	ts->timer_at[TT_RTO] =
	    clock_monotonic_ns() + (uint64_t)ts->rtt.rto_us * 1000;
	tcp_timers_update(ts);
	return 0;
}

static int connect_state(struct tcp_sock *ts)
{
	switch (ts->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return -EALREADY;
	case TCP_CLOSE:
		return 0;
	default: /* a listener too (Linux's inet_stream_connect) */
		return -EISCONN;
	}
}

static int tcp_connect(struct socket *s, const struct sockaddr_k *a,
		       unsigned len, bool nonblock)
{
	struct tcp_sock *ts = s->priv;
	struct sockaddr_in_k sin;
	int r = inet_sin_get(a, len, &sin);
	uint64_t deadline = sock_deadline(s->sndtimeo);

	if (r)
		return r;
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	mutex_lock(&ts->lock);
	tcp_process(ts);
	r = connect_state(ts);
	if (r == -EISCONN && ts->connect_pending) {
		ts->connect_pending = false; /* Linux: 0 once, then EISCONN */
		r = 0;
		goto out;
	}
	if (!r && (r = take_err(ts)))
		goto out; /* a nonblocking attempt failed: its error, once */
	if (r == -EALREADY && !nonblock)
		r = 0; /* a restarted call goes on waiting */
	else if (!r)
		r = start_connect(ts, sin.sin_addr ? sin.sin_addr
						   : LOOPBACK_ADDR,
				  sin.sin_port);
	if (r)
		goto out;
	if (nonblock) {
		ts->connect_pending = true;
		r = -EINPROGRESS;
		goto out;
	}
	while (!connect_done(ts) && !r)
		r = tcp_wait(ts, deadline, connect_done);
	if (!r && ts->state == TCP_CLOSE)
		r = take_err(ts) ?: -ECONNREFUSED;
	else if (r == -EAGAIN)
		r = -EINPROGRESS; /* SO_SNDTIMEO passed: man 7 socket */
out:
	mutex_unlock(&ts->lock);
	return r;
}

/* ---- listen and accept ---- */

static int tcp_listen(struct socket *s, int backlog)
{
	struct tcp_sock *ts = s->priv;
	int r = 0;

	mutex_lock(&ts->lock);
	if (ts->state != TCP_CLOSE && ts->state != TCP_LISTEN) {
		r = -EINVAL;
		goto out;
	}
	if (!ts->lport)
		r = do_bind(ts, 0, 0);
	if (!r) {
		opts_from_socket(ts);
		flow_lock();
		if (port_conflict(ts, ts->lport, ts->laddr))
			r = -EADDRINUSE; /* another listener took it meanwhile */
		flow_unlock();
	}
	if (r)
		goto out;
	ts->backlog = backlog < 0 ? 0 : backlog;
	ts->state = TCP_LISTEN;
out:
	mutex_unlock(&ts->lock);
	return r;
}

/* A child of l for the segment's 4-tuple, with l's options; NULL. */
static struct tcp_sock *child_new(struct tcp_sock *l, const struct tcp_seg *seg)
{
	struct tcp_sock *c = ts_new();
	uint32_t hop;

	if (!c)
		return NULL;
	c->laddr = seg->daddr;
	c->lport = seg->dport;
	c->raddr = seg->saddr;
	c->rport = seg->sport;
	c->rcvbuf = l->rcvbuf;
	c->sndbuf = l->sndbuf;
	c->keepalive = l->keepalive;
	c->nodelay = l->nodelay;
	c->reuseaddr = l->reuseaddr;
	c->reuseport = l->reuseport;
	c->user_mss = l->user_mss;
	c->keepidle = l->keepidle;
	c->keepintvl = l->keepintvl;
	c->keepcnt = l->keepcnt;
	c->ttl = l->ttl;
	c->tos = l->tos;
	if (net_route_lookup_if(c->raddr, 0, &c->dev, &hop)) {
		ts_put(c);
		return NULL;
	}
	ts_get(l);
	c->listener = l;
	return c;
}

/* Hashes the child and hands it to the table; false (freed) on failure.
 * Under c's lock. */
static bool child_hash(struct tcp_sock *c)
{
	if (tcp_hash(c, false)) {
		mutex_unlock(&c->lock);
		ts_put(c);
		return false;
	}
	TCP_INC(passive_opens);
	return true;
}

static uint32_t now_s(void)
{
	return (uint32_t)(clock_monotonic_ns() / 1000000000ull);
}

/* RFC 4987 3.6: the half-open queue is full; a SYN-ACK whose ISN is a
 * cookie, and no state (the MSS survives, the other options do not). */
static void syn_cookie_reply(struct tcp_sock *l, const struct tcp_seg *seg)
{
	uint16_t mss = seg->opt.has & TCP_HAS_MSS ? seg->opt.mss
						   : TCP_MSS_DEFAULT;
	struct tcp_sock tmp = {.raddr = seg->saddr, .dev = NULL};
	uint32_t hop;

	if (net_route_lookup_if(seg->saddr, 0, &tmp.dev, &hop))
		return;
	mss = MIN(mss, tcp_route_mss(&tmp));
	uint32_t isn = tcp_cookie_make(seg->daddr, seg->dport, seg->saddr,
				       seg->sport, seg->seq, mss, now_s());
	tcp_send_synack_cookie(seg, isn, mss);
	(void)l;
}

/* The handshake's ACK for a cookie (RFC 4987 3.6): true when it was
 * one; the connection is then made ESTABLISHED and the segment is run
 * on it. Under l's lock. */
bool tcp_listen_cookie_ack(struct tcp_sock *l, struct tcp_seg *seg)
{
	uint16_t mss = tcp_cookie_check(seg->daddr, seg->dport, seg->saddr,
					seg->sport, seg->seq - 1, seg->ack - 1,
					now_s());
	struct tcp_sock *c;
	struct pkt *p;

	if (!mss || l->acq_len > (unsigned)l->backlog)
		return false;
	c = child_new(l, seg);
	if (!c)
		return false;
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rcv_adv = seg->seq + 65535; /* the cookie SYN-ACK's window */
	c->iss = seg->ack - 1;
	c->mss = c->rcv_mss = mss;
	tcp_cc_init(&c->cc, TCP_CC_CUBIC, mss);
	c->state = TCP_SYN_RECV;
	mutex_lock(&l->acq_lock);
	l->synq_len++;
	mutex_unlock(&l->acq_lock);
	mutex_lock(&c->lock);
	if (!child_hash(c))
		return false;
	c->snd_una = c->iss; /* the segment's ACK completes the handshake */
	c->snd_nxt = c->snd_max = c->iss + 1;
	p = seg->p;
	seg->p = NULL;
	tcp_input(c, p);
	tcp_process(c);
	mutex_unlock(&c->lock);
	ts_put(c); /* the table holds it now */
	return true;
}

/* A SYN for listener l (RFC 9293 3.10.7.2): a child in SYN_RECV, hashed
 * with its 4-tuple, answering SYN-ACK; past TCP_SYNQ_MAX half-open ones,
 * a SYN cookie. Under l's lock. */
void tcp_listen_syn(struct tcp_sock *l, const struct tcp_seg *seg)
{
	struct tcp_sock *c;
	bool full, cookie;

	mutex_lock(&l->acq_lock);
	full = l->acq_len > (unsigned)l->backlog;
	cookie = !full && l->synq_len >= TCP_SYNQ_MAX;
	if (!full && !cookie)
		l->synq_len++;
	mutex_unlock(&l->acq_lock);
	if (full)
		return; /* Linux drops it (the client retries) */
	if (cookie)
		return syn_cookie_reply(l, seg);
	c = child_new(l, seg);
	if (!c)
		goto out_unq;
	c->rcv_wscale = TCP_RCV_WSCALE;
	c->irs = seg->seq;
	c->rcv_nxt = c->rcv_adv = seg->seq + 1;
	tcp_syn_options(c, seg);
	c->iss = tcp_isn(c->laddr, c->lport, c->raddr, c->rport, tcp_now_us());
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_wnd = seg->wnd;
	c->state = TCP_SYN_RECV;
	mutex_lock(&c->lock);
	if (!child_hash(c))
		goto out_unq;
	c->rtt_start = tcp_now_us();
	c->rtt_seq = c->iss + 1;
	tcp_send_ctl(c, TH_SYN | TH_ACK, c->iss);
	c->timer_at[TT_RTO] =
	    clock_monotonic_ns() + (uint64_t)c->rtt.rto_us * 1000;
	tcp_timers_update(c);
	mutex_unlock(&c->lock);
	ts_put(c); /* the table holds it now */
	return;
out_unq:
	mutex_lock(&l->acq_lock);
	l->synq_len--;
	mutex_unlock(&l->acq_lock);
}

void tcp_child_ready(struct tcp_sock *c)
{
	struct tcp_sock *l = c->listener;
	bool ok;

	mutex_lock(&l->acq_lock);
	ok = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE) == TCP_LISTEN;
	if (l->synq_len)
		l->synq_len--;
	if (ok) {
		ts_get(c); /* the queue's reference, then the socket's */
		c->in_accept_queue = true;
		c->acq_next = NULL;
		*l->acq_tail = c;
		l->acq_tail = &c->acq_next;
		l->acq_len++;
	}
	mutex_unlock(&l->acq_lock);
	if (!ok) {
		tcp_send_rst_conn(c);
		tcp_done(c, ECONNABORTED);
		return;
	}
	poll_notify(&l->wq, POLLIN | POLLRDNORM);
}

static struct tcp_sock *acq_take(struct tcp_sock *l)
{
	struct tcp_sock *c;

	mutex_lock(&l->acq_lock);
	c = l->acq_head;
	if (c) {
		l->acq_head = c->acq_next;
		if (!l->acq_head)
			l->acq_tail = &l->acq_head;
		l->acq_len--;
	}
	mutex_unlock(&l->acq_lock);
	return c;
}

static bool accept_ready(void *arg)
{
	struct tcp_sock *l = arg;

	return __atomic_load_n(&l->acq_head, __ATOMIC_ACQUIRE) ||
	       !netchan_empty(&l->chan) || l->state != TCP_LISTEN;
}

/* The new socket for an accepted child; Linux copies the listener's
 * socket options to it. */
static struct socket *child_socket(struct socket *ls, struct tcp_sock *c)
{
	struct socket *ns = sock_alloc(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	if (!ns)
		return NULL;
	ns->ops = &tcp_ops;
	ns->priv = c;
	ns->rcvbuf = ls->rcvbuf;
	ns->sndbuf = ls->sndbuf;
	ns->keepalive = ls->keepalive;
	ns->reuseaddr = ls->reuseaddr;
	ns->reuseport = ls->reuseport;
	ns->linger_on = ls->linger_on;
	ns->linger_s = ls->linger_s;
	ns->rcvtimeo = ls->rcvtimeo;
	ns->sndtimeo = ls->sndtimeo;
	mutex_lock(&c->lock);
	c->s = ns;
	c->ino = ns->ino;
	c->in_accept_queue = false;
	mutex_unlock(&c->lock);
	return ns;
}

static int tcp_accept(struct socket *s, struct socket **out, bool nonblock)
{
	struct tcp_sock *l = s->priv;
	struct tcp_sock *c = NULL;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int r = 0;

	mutex_lock(&l->lock);
	while (!r) {
		tcp_process(l);
		if (l->state != TCP_LISTEN) {
			r = -EINVAL;
			break;
		}
		if ((c = acq_take(l)))
			break;
		r = nonblock ? -EAGAIN : tcp_wait(l, deadline, accept_ready);
	}
	mutex_unlock(&l->lock);
	if (r)
		return r;
	*out = child_socket(s, c);
	if (!*out) {
		mutex_lock(&c->lock);
		c->released = true;
		tcp_send_rst_conn(c);
		tcp_done(c, 0);
		mutex_unlock(&c->lock);
		ts_put(c);
		return -ENOMEM;
	}
	return 0;
}

/* ---- send ---- */

/* SO_SNDBUF bounds the send queue; it is not reserved up front. */
static uint32_t sbuf_limit(const struct tcp_sock *ts)
{
	return (uint32_t)MAX(ts->s ? ts->s->sndbuf : ts->sndbuf, 4608);
}

/* Room in the send queue (ring and file spans together). */
static uint32_t sq_room(const struct tcp_sock *ts)
{
	uint32_t limit = sbuf_limit(ts);

	return ts->sq_len < limit ? limit - ts->sq_len : 0;
}

static bool send_ended(const struct tcp_sock *ts)
{
	return !netchan_empty(&ts->chan) ||
	       __atomic_load_n(&ts->err, __ATOMIC_ACQUIRE) ||
	       (ts->state != TCP_ESTABLISHED && ts->state != TCP_CLOSE_WAIT &&
		ts->state != TCP_SYN_SENT && ts->state != TCP_SYN_RECV);
}

static bool send_ready(void *arg)
{
	struct tcp_sock *ts = arg;

	return send_ended(ts) ||
	       (ts->sbuf_cap && ts->sbuf_len < ts->sbuf_cap && sq_room(ts));
}

/*
 * Makes room in the send ring for `want` more bytes, growing it (at
 * least doubling, from 4608) up to sbuf_limit: Linux charges what is
 * queued (sk_wmem_queued) against sk_sndbuf instead of reserving it.
 * A ring of the whole SO_SNDBUF (208 KiB, a 256 KiB block) at the first
 * send made sock_tcp's many_connections_at_once (400 connections with a
 * few bytes each) run the heap dry; with RCU-deferred frees held longer
 * on a loaded host, an echo's send failed with ENOBUFS and its reader
 * waited for data that was never sent. False only when there is no
 * ring at all; a ring that cannot grow still takes what fits.
 */
static bool sbuf_ready(struct tcp_sock *ts, uint64_t want)
{
	uint32_t limit = sbuf_limit(ts), cap = ts->sbuf_cap, len = ts->sbuf_len;
	uint64_t ncap = MAX(MAX((uint64_t)cap * 2, 4608u), len + want);
	uint8_t *nb;

	if (ts->sbuf && (cap >= limit || cap - len >= want))
		return true;
	ncap = MIN(ncap, (uint64_t)limit);
	nb = tcp_sbuf_alloc((uint32_t)ncap);
	if (!nb)
		return ts->sbuf != NULL;
	if (len) { /* the bytes from snd_una, linear from 0 */
		uint32_t first = MIN(len, cap - ts->sbuf_off);

		memcpy(nb, ts->sbuf + ts->sbuf_off, first);
		memcpy(nb + first, ts->sbuf, len - first);
	}
	tcp_sbuf_put(ts->sbuf); /* queued segments may still read it */
	ts->sbuf = nb;
	ts->sbuf_cap = (uint32_t)ncap;
	ts->sbuf_off = 0;
	return true;
}

/* Copies what fits from the uio into the send ring; bytes or -EFAULT. */
static int64_t sbuf_fill(struct tcp_sock *ts, struct uio *u)
{
	uint32_t room = MIN(ts->sbuf_cap - ts->sbuf_len, sq_room(ts));
	uint32_t n = (uint32_t)MIN((uint64_t)room, u->resid);
	uint32_t pos = (ts->sbuf_off + ts->sbuf_len) % ts->sbuf_cap;
	uint32_t first = MIN(n, ts->sbuf_cap - pos);
	int64_t a, b = 0;

	if (!n)
		return 0;
	a = uio_copy_from(u, ts->sbuf + pos, first);
	if (a < 0)
		return a;
	if ((uint32_t)a == first && n > first)
		b = uio_copy_from(u, ts->sbuf, n - first);
	if (b < 0)
		b = 0;
	ts->sbuf_len += (uint32_t)(a + b);
	tcp_sq_ring_added(ts, (uint32_t)(a + b));
	return a + b;
}

/* What a send may do in the connection's state: 0, or the error. */
static int send_state(struct tcp_sock *ts)
{
	int e = take_err(ts);

	if (e)
		return e;
	if (ts->shut_wr)
		return -EPIPE;
	switch (ts->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		return 0;
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return 1; /* wait for the handshake */
	default: /* Linux's sk_stream_wait_connect: never connected too */
		return -EPIPE;
	}
}

/* One step of a send: queues what fits now. The bytes queued (0: wait
 * for room) or an error; *done once everything is queued. */
typedef int64_t (*send_step)(struct tcp_sock *ts, void *arg, bool *done);

/* The loop send and sendfile share: the connection's state, a step, the
 * output, and a wait for room; the bytes queued or the error. */
static int64_t send_loop(struct tcp_sock *ts, uint64_t deadline,
			 bool nonblock, send_step step,
			 bool (*ready)(void *arg), void *arg)
{
	int64_t sent = 0, r;
	bool done = false;

	mutex_lock(&ts->lock);
	for (;;) {
		tcp_process(ts);
		r = send_state(ts);
		if (r < 0)
			break;
		if (r == 0) {
			r = step(ts, arg, &done);
			if (r < 0)
				break;
			sent += r;
			tcp_output(ts);
			tcp_timers_update(ts);
			if (done)
				break;
		}
		ts->nospace = true;
		r = nonblock ? -EAGAIN : tcp_wait(ts, deadline, ready);
		if (r)
			break;
	}
	mutex_unlock(&ts->lock);
	return sent ? sent : r;
}

struct msg_send {
	struct kmsg *m;
	int flags;
};

/* send's step: the bytes copied into the ring. */
static int64_t msg_step(struct tcp_sock *ts, void *arg, bool *done)
{
	struct msg_send *a = arg;
	int64_t r;

	if (!sbuf_ready(ts, a->m->data.resid) || tcp_sq_ring_ready(ts))
		return -ENOBUFS;
	r = sbuf_fill(ts, &a->m->data);
	if (r >= 0) {
		ts->cork_more = a->flags & MSG_MORE;
		*done = !a->m->data.resid;
	}
	return r;
}

static int64_t tcp_sendmsg(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock)
{
	struct msg_send a = {m, flags};

	if (flags & MSG_OOB) {
		linux_missing("send(TCP, MSG_OOB)");
		return -EOPNOTSUPP;
	}
	return send_loop(s->priv, sock_deadline(s->sndtimeo), nonblock,
			 msg_step, send_ready, &a);
}

static bool file_send_ready(void *arg)
{
	struct tcp_sock *ts = arg;

	return send_ended(ts) || sq_room(ts) >= sbuf_limit(ts) / 4;
}

struct file_send {
	struct file *in;
	uint64_t off;
	size_t n, queued;
};

/* sendfile's step: a file span, once a quarter of SO_SNDBUF is free (or
 * what is left fits), as Linux's sk_stream_memory_free wakes writers. */
static int64_t file_step(struct tcp_sock *ts, void *arg, bool *done)
{
	struct file_send *a = arg;
	uint64_t left = a->n - a->queued;
	uint32_t k;
	int r;

	if (sq_room(ts) < MIN((uint64_t)sbuf_limit(ts) / 4, left))
		return 0;
	k = (uint32_t)MIN((uint64_t)sq_room(ts), left);
	r = tcp_sq_add_file(ts, a->in, a->off + a->queued, k);
	if (r < 0)
		return r;
	a->queued += k;
	ts->cork_more = a->queued < a->n; /* MSG_MORE */
	*done = a->queued == a->n;
	return k;
}

/* Queues up to n bytes of `in` from off in place; the bytes queued or
 * the error. */
static int64_t tcp_sendfile(struct socket *s, struct file *in, uint64_t off,
			    size_t n, bool nonblock)
{
	struct file_send a = {in, off, n, 0};

	return send_loop(s->priv, sock_deadline(s->sndtimeo), nonblock,
			 file_step, file_send_ready, &a);
}

/* ---- receive ---- */

static bool recv_ready(void *arg)
{
	struct tcp_sock *ts = arg;

	return !netchan_empty(&ts->chan) || ts->rcvq || ts->fin_rcvd ||
	       ts->shut_rd || __atomic_load_n(&ts->err, __ATOMIC_ACQUIRE) ||
	       ts->state == TCP_CLOSE;
}

/* Frees the first packet of the receive queue. */
static void rcvq_pop(struct tcp_sock *ts)
{
	struct pkt *p = ts->rcvq;

	ts->rcvq = p->next;
	if (!ts->rcvq)
		ts->rcvq_tail = &ts->rcvq;
	ts->rcv_true -= p->size;
	ts->rcvq_n--;
	pkt_free(p);
}

/* Copies from the receive queue (consuming unless peek); bytes copied or
 * -EFAULT. MSG_TRUNC discards instead of copying (Linux's TCP). */
static int64_t rcvq_copy(struct tcp_sock *ts, struct uio *u, int flags)
{
	int64_t done = 0;
	bool peek = flags & MSG_PEEK;

	for (struct pkt *p = ts->rcvq, *next; p && u->resid; p = next) {
		size_t n = MIN(u->resid, (uint64_t)p->len);
		int64_t c = (flags & MSG_TRUNC) ? (int64_t)n
						: uio_copy_to(u, p->data, n);

		next = p->next;
		if ((flags & MSG_TRUNC) && !peek)
			u->resid -= n;
		if (c <= 0)
			return done ? done : (c < 0 ? c : 0);
		done += c;
		if (peek)
			continue;
		ts->rcv_bytes -= (uint32_t)c;
		pkt_pull(p, (size_t)c);
		if (!p->len)
			rcvq_pop(ts);
		if ((size_t)c < n)
			break;
	}
	return done;
}

/* After the application read: a window update when the window grew by
 * two segments or half the buffer beyond what was advertised. */
static void window_maybe_update(struct tcp_sock *ts)
{
	uint32_t wnd = tcp_rcv_window(ts), left = tcp_rcv_wnd(ts);

	if (ts->state == TCP_CLOSE || ts->state == TCP_LISTEN ||
	    ts->state == TCP_SYN_SENT)
		return;
	if (wnd > left && (wnd - left >= 2u * ts->rcv_mss ||
			   wnd - left >= (uint32_t)ts->rcvbuf / 2))
		tcp_send_ack(ts);
}

/* 0 at the end of the stream, an error, or 1: go on (wait). */
static int64_t recv_end(struct tcp_sock *ts)
{
	int e = take_err(ts);

	if (e)
		return e;
	if (ts->fin_rcvd || ts->shut_rd)
		return 0;
	if (ts->state == TCP_CLOSE)
		return ts->snd_max ? 0 : -ENOTCONN;
	if (ts->state == TCP_LISTEN)
		return -ENOTCONN;
	return 1;
}

static int64_t tcp_recvmsg(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock)
{
	struct tcp_sock *ts = s->priv;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int64_t got = 0, r;

	if (flags & MSG_OOB)
		return -EINVAL; /* no urgent data kept: Linux's answer then */
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	mutex_lock(&ts->lock);
	for (;;) {
		tcp_process(ts);
		r = rcvq_copy(ts, &m->data, flags);
		if (r < 0)
			break;
		got += r;
		if (got && (!(flags & MSG_WAITALL) || !m->data.resid ||
			    (flags & MSG_PEEK)))
			break;
		r = recv_end(ts);
		if (r <= 0)
			break;
		r = nonblock ? -EAGAIN : tcp_wait(ts, deadline, recv_ready);
		if (r)
			break;
	}
	if (got && !(flags & MSG_PEEK))
		window_maybe_update(ts);
	tcp_timers_update(ts);
	mutex_unlock(&ts->lock);
	if (m->name)
		m->namelen = 0;
	return got ? got : r;
}

/* ---- shutdown and close ---- */

/* Our FIN after the send queue (RFC 9293 3.10.4). */
static void queue_fin(struct tcp_sock *ts)
{
	if (ts->fin_queued)
		return;
	switch (ts->state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		ts->fin_queued = true;
		tcp_set_state(ts, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		ts->fin_queued = true;
		tcp_set_state(ts, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	tcp_output(ts);
}

static int tcp_shutdown(struct socket *s, int how)
{
	struct tcp_sock *ts = s->priv;
	int r = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mutex_lock(&ts->lock);
	tcp_process(ts);
	if (ts->state == TCP_CLOSE || ts->state == TCP_SYN_SENT ||
	    ts->state == TCP_LISTEN) {
		r = -ENOTCONN; /* Linux: also for a listener */
		if (ts->state == TCP_LISTEN && how != SHUT_WR)
			r = 0; /* (it stops listening: later) */
		goto out;
	}
	if (how != SHUT_WR)
		ts->shut_rd = true;
	if (how != SHUT_RD) {
		ts->shut_wr = true;
		queue_fin(ts);
	}
	tcp_timers_update(ts);
	tcp_set_state(ts, ts->state);
out:
	mutex_unlock(&ts->lock);
	return r;
}

/* close() on a listener: its queued children are reset (Linux's
 * inet_csk_listen_stop). Under l's lock. */
static void listener_close(struct tcp_sock *l)
{
	struct tcp_sock *c;

	__atomic_store_n(&l->state, TCP_CLOSE, __ATOMIC_RELEASE);
	tcp_unhash(l);
	netchan_drain(&l->chan);
	while ((c = acq_take(l))) {
		mutex_lock(&c->lock);
		c->released = true;
		if (c->state != TCP_CLOSE) {
			tcp_send_rst_conn(c);
			tcp_done(c, ECONNRESET);
		}
		mutex_unlock(&c->lock);
		ts_put(c);
	}
}

static void release_locked(struct tcp_sock *ts)
{
	ts->released = true;
	ts->shut_rd = ts->shut_wr = true;
	switch (ts->state) {
	case TCP_LISTEN:
		listener_close(ts);
		return;
	case TCP_CLOSE:
	case TCP_SYN_SENT:
		tcp_done(ts, 0);
		return;
	case TCP_TIME_WAIT:
		tcp_done(ts, 0);
		return;
	}
	/* Linux: unread data or SO_LINGER with 0 makes close a reset */
	if (ts->rcvq || (ts->s && ts->s->linger_on && !ts->s->linger_s)) {
		tcp_send_rst_conn(ts);
		tcp_done(ts, 0);
		return;
	}
	queue_fin(ts);
	if (ts->state == TCP_FIN_WAIT2)
		ts->timer_at[TT_KEEPALIVE] =
		    clock_monotonic_ns() + TCP_FIN_TIMEOUT_NS;
}

static bool linger_done(void *arg)
{
	struct tcp_sock *ts = arg;

	return !netchan_empty(&ts->chan) || ts->state == TCP_CLOSE ||
	       ts->state == TCP_FIN_WAIT2 || ts->state == TCP_TIME_WAIT;
}

/* SO_LINGER with a time: close waits until everything sent is
 * acknowledged, or that time passes (man 7 socket). */
static void linger_wait(struct tcp_sock *ts, struct socket *s)
{
	uint64_t deadline = clock_monotonic_ns() +
			    (uint64_t)s->linger_s * 1000000000ull;

	while (!linger_done(ts) || !netchan_empty(&ts->chan)) {
		if (tcp_wait(ts, deadline, linger_done))
			break;
		if (ts->state == TCP_CLOSE || ts->state == TCP_FIN_WAIT2 ||
		    ts->state == TCP_TIME_WAIT)
			break;
	}
}

static void tcp_release(struct socket *s)
{
	struct tcp_sock *ts = s->priv;

	mutex_lock(&ts->lock);
	tcp_process(ts);
	release_locked(ts);
	if (s->linger_on && s->linger_s > 0 && ts->state != TCP_CLOSE)
		linger_wait(ts, s);
	tcp_rcvq_free(ts);
	ts->s = NULL;
	tcp_timers_update(ts);
	mutex_unlock(&ts->lock);
	ts_put(ts); /* the socket's reference */
}

/* ---- poll, names, ioctl ---- */

static bool writable(const struct tcp_sock *ts)
{
	uint32_t cap = MAX(ts->sbuf_cap, sbuf_limit(ts)); /* it grows */
	uint32_t used = MIN(ts->sq_len, cap);

	/* Linux's sk_stream_is_writeable: free space >= half of used */
	return cap - used >= used / 2;
}

static unsigned poll_mask(struct tcp_sock *ts)
{
	unsigned mask = 0;

	if (ts->state == TCP_LISTEN)
		return ts->acq_head ? POLLIN | POLLRDNORM : 0;
	if (__atomic_load_n(&ts->err, __ATOMIC_ACQUIRE))
		mask |= POLLERR;
	if ((ts->shut_wr && (ts->shut_rd || ts->fin_rcvd)) ||
	    ts->state == TCP_CLOSE)
		mask |= POLLHUP;
	if (ts->fin_rcvd || ts->shut_rd)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECV)
		return mask;
	if (ts->rcvq)
		mask |= POLLIN | POLLRDNORM;
	if (ts->shut_wr || ts->state == TCP_CLOSE || writable(ts))
		mask |= POLLOUT | POLLWRNORM;
	else
		ts->nospace = true;
	return mask;
}

static unsigned tcp_poll(struct socket *s, struct file *f,
			 struct poll_table *pt)
{
	struct tcp_sock *ts = s->priv;
	unsigned mask;

	poll_wait(f, &ts->wq, pt);
	mutex_lock(&ts->lock);
	tcp_process(ts);
	mask = poll_mask(ts);
	mutex_unlock(&ts->lock);
	return mask;
}

static int tcp_getname(struct socket *s, struct sockaddr_k *a, unsigned *len,
		       bool peer)
{
	struct tcp_sock *ts = s->priv;
	struct sockaddr_in_k sin = {.sin_family = AF_INET};
	int r = 0;

	mutex_lock(&ts->lock);
	if (peer && (ts->state == TCP_CLOSE || ts->state == TCP_LISTEN ||
		     ts->state == TCP_SYN_SENT)) {
		r = -ENOTCONN;
	} else if (peer) {
		sin.sin_addr = ts->raddr;
		sin.sin_port = ts->rport;
	} else {
		sin.sin_addr = ts->laddr;
		sin.sin_port = ts->lport;
	}
	mutex_unlock(&ts->lock);
	memcpy(a, &sin, sizeof(sin));
	*len = sizeof(sin);
	return r;
}

static int tcp_ioctl(struct socket *s, unsigned long cmd, void *arg)
{
	struct tcp_sock *ts = s->priv;
	int v = 0, r = 0;

	if (cmd != SIOCINQ && cmd != SIOCOUTQ && cmd != SIOCOUTQNSD)
		return -ENOTTY;
	mutex_lock(&ts->lock);
	tcp_process(ts);
	if (ts->state == TCP_LISTEN)
		r = -EINVAL;
	else if (cmd == SIOCINQ)
		v = (int)ts->rcv_bytes;
	else if (cmd == SIOCOUTQ)
		v = (int)ts->sq_len;
	else
		v = (int)(ts->snd_una + ts->sq_len - ts->snd_nxt);
	mutex_unlock(&ts->lock);
	if (v < 0)
		v = 0;
	if (!r)
		memcpy(arg, &v, sizeof(v));
	return r;
}

/* ---- options (man 7 tcp) ---- */

static int opt_int(const void *val, unsigned len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int tcp_setopt(struct tcp_sock *ts, int name, int v)
{
	switch (name) {
	case TCP_NODELAY:
		ts->nodelay = v;
		return 0;
	case TCP_CORK:
		ts->cork = v;
		return 0;
	case TCP_MAXSEG:
		if (v && (v < 88 || v > 32767)) /* TCP_MIN_MSS, MAX_TCP_WINDOW */
			return -EINVAL;
		ts->user_mss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		*(name == TCP_KEEPIDLE ? &ts->keepidle : &ts->keepintvl) = v;
		if (ts->keepalive && ts->state == TCP_ESTABLISHED)
			ts->timer_at[TT_KEEPALIVE] = clock_monotonic_ns();
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		ts->keepcnt = v;
		return 0;
	case TCP_QUICKACK:
		ts->quickack_on = v;
		return 0;
	case TCP_LINGER2:
		ts->linger2_s = v;
		return 0;
	case TCP_SYNCNT:
	case TCP_DEFER_ACCEPT:
	case TCP_WINDOW_CLAMP:
	case TCP_USER_TIMEOUT:
		return 0; /* accepted, without effect here */
	case TCP_FASTOPEN:
		/* Linux enables the server side; without it clients fall
		 * back to the ordinary handshake, which is harmless */
		linux_missing("TCP_FASTOPEN (connections take the ordinary "
			      "handshake)");
		return 0;
	}
	return -ENOPROTOOPT;
}

static int sol_set(struct tcp_sock *ts, struct socket *s, int name)
{
	switch (name) {
	case SO_KEEPALIVE:
		ts->keepalive = s->keepalive;
		if (ts->keepalive && ts->state == TCP_ESTABLISHED)
			ts->timer_at[TT_KEEPALIVE] =
			    ts->last_rcv_ns +
			    (uint64_t)ts->keepidle * 1000000000ull;
		break;
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		ts->rcvbuf = s->rcvbuf;
		__atomic_store_n(&ts->chan.limit, (uint64_t)s->rcvbuf * 2,
				 __ATOMIC_RELAXED);
		break;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		ts->sndbuf = s->sndbuf;
		if (ts->sbuf && !ts->sbuf_len) {
			tcp_sbuf_put(ts->sbuf); /* the next send sizes it */
			ts->sbuf = NULL;
			ts->sbuf_cap = 0;
		}
		break;
	case SO_REUSEADDR:
		ts->reuseaddr = s->reuseaddr;
		break;
	case SO_REUSEPORT:
		ts->reuseport = s->reuseport;
		break;
	}
	return 0;
}

static int tcp_setsockopt(struct socket *s, int level, int name,
			  const void *val, unsigned len)
{
	struct tcp_sock *ts = s->priv;
	int v, r;

	if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP)
		return -ENOPROTOOPT;
	if (level == IPPROTO_TCP && name == TCP_CONGESTION)
		return len && (!strncmp(val, "cubic", MIN(len, 6)) ||
			       !strncmp(val, "reno", MIN(len, 5)))
			   ? 0
			   : -ENOENT;
	if (level != SOL_SOCKET && (r = opt_int(val, len, &v)))
		return r;
	mutex_lock(&ts->lock);
	if (level == SOL_SOCKET)
		r = sol_set(ts, s, name);
	else if (level == IPPROTO_TCP)
		r = tcp_setopt(ts, name, v);
	else if (name == IP_TOS)
		r = (ts->tos = (uint8_t)v, 0);
	else if (name == IP_TTL)
		r = v < -1 || v == 0 || v > 255
			? -EINVAL
			: (ts->ttl = (uint8_t)(v == -1 ? 64 : v), 0);
	else
		r = -ENOPROTOOPT;
	tcp_process(ts); /* TCP_NODELAY, TCP_CORK off: send what waits */
	mutex_unlock(&ts->lock);
	return r;
}

static int tcp_getopt(struct tcp_sock *ts, int name, int *v)
{
	switch (name) {
	case TCP_NODELAY:
		*v = ts->nodelay;
		return 0;
	case TCP_CORK:
		*v = ts->cork;
		return 0;
	case TCP_MAXSEG:
		*v = ts->state == TCP_CLOSE || ts->state == TCP_LISTEN
			 ? (ts->user_mss ? ts->user_mss : TCP_MSS_DEFAULT)
			 : ts->mss;
		return 0;
	case TCP_KEEPIDLE:
		*v = ts->keepidle;
		return 0;
	case TCP_KEEPINTVL:
		*v = ts->keepintvl;
		return 0;
	case TCP_KEEPCNT:
		*v = ts->keepcnt;
		return 0;
	case TCP_QUICKACK:
		*v = ts->quickack_on;
		return 0;
	case TCP_SYNCNT:
		*v = TCP_SYN_RETRIES;
		return 0;
	case TCP_LINGER2:
		*v = ts->linger2_s ? ts->linger2_s : 60;
		return 0;
	case TCP_DEFER_ACCEPT:
	case TCP_WINDOW_CLAMP:
	case TCP_USER_TIMEOUT:
		*v = 0;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_getsockopt(struct socket *s, int level, int name, void *val,
			  unsigned *len)
{
	struct tcp_sock *ts = s->priv;
	int v = 0, r = -ENOPROTOOPT;

	if (level == IPPROTO_TCP && name == TCP_INFO)
		return tcp_info_get(ts, val, len);
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		char name[16] = "cubic";

		*len = MIN(*len, 16u);
		memcpy(val, name, *len);
		return 0;
	}
	mutex_lock(&ts->lock);
	if (level == SOL_SOCKET && name == SO_ERROR)
		r = (v = -take_err(ts), 0);
	else if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
		r = (v = ts->state == TCP_LISTEN, 0);
	else if (level == IPPROTO_TCP)
		r = tcp_getopt(ts, name, &v);
	else if (level == IPPROTO_IP && name == IP_TOS)
		r = (v = ts->tos, 0);
	else if (level == IPPROTO_IP && name == IP_TTL)
		r = (v = ts->ttl, 0);
	mutex_unlock(&ts->lock);
	if (r)
		return r;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

/* TCP_INFO: what ss(8) shows (times in microseconds). */
int tcp_info_get(struct tcp_sock *ts, void *val, unsigned *len)
{
	struct tcp_info_k i = {0};

	mutex_lock(&ts->lock);
	tcp_process(ts);
	i.tcpi_state = (uint8_t)ts->state;
	i.tcpi_ca_state = ts->cc.in_recovery ? 3 : 0; /* TCP_CA_Recovery */
	i.tcpi_retransmits = (uint8_t)ts->retries;
	i.tcpi_probes = (uint8_t)ts->probes;
	i.tcpi_backoff = (uint8_t)ts->rtt.backoff;
	i.tcpi_options = (ts->ts_ok ? 1 : 0) | (ts->sack_ok ? 2 : 0) |
			 (ts->ws_ok ? 4 : 0); /* TCPI_OPT_* */
	i.tcpi_wscale = (uint8_t)(ts->snd_wscale | ts->rcv_wscale << 4);
	i.tcpi_rto = ts->rtt.rto_us;
	i.tcpi_ato = (uint32_t)(TCP_DELACK_NS / 1000);
	i.tcpi_snd_mss = ts->mss;
	i.tcpi_rcv_mss = ts->rcv_mss;
	i.tcpi_unacked = ts->state == TCP_LISTEN ? ts->acq_len
						  : tcp_flight(ts);
	i.tcpi_sacked = ts->state == TCP_LISTEN ? (uint32_t)ts->backlog : 0;
	i.tcpi_retrans = ts->retrans_out;
	i.tcpi_pmtu = ts->dev ? netdev_mtu(ts->dev) : 0;
	i.tcpi_rtt = ts->rtt.srtt_us;
	i.tcpi_rttvar = ts->rtt.rttvar_us;
	i.tcpi_snd_ssthresh = ts->mss ? ts->cc.ssthresh / ts->mss : 0;
	i.tcpi_snd_cwnd = ts->mss ? ts->cc.cwnd / ts->mss : 0;
	i.tcpi_advmss = ts->rcv_mss;
	i.tcpi_reordering = 3;
	i.tcpi_rcv_space = tcp_rcv_window(ts);
	i.tcpi_total_retrans = ts->total_retrans;
	i.tcpi_bytes_acked = ts->bytes_acked;
	i.tcpi_bytes_received = ts->bytes_received;
	i.tcpi_notsent_bytes = ts->snd_una + ts->sq_len - ts->snd_nxt;
	i.tcpi_bytes_sent = ts->bytes_sent;
	i.tcpi_snd_wnd = ts->snd_wnd;
	mutex_unlock(&ts->lock);
	*len = MIN(*len, (unsigned)sizeof(i));
	memcpy(val, &i, *len);
	return 0;
}

const struct sock_ops tcp_ops = {
    .bind = tcp_bind,
    .connect = tcp_connect,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .sendmsg = tcp_sendmsg,
    .recvmsg = tcp_recvmsg,
    .shutdown = tcp_shutdown,
    .setsockopt = tcp_setsockopt,
    .getsockopt = tcp_getsockopt,
    .getname = tcp_getname,
    .poll = tcp_poll,
    .ioctl = tcp_ioctl,
    .release = tcp_release,
    .sendfile = tcp_sendfile,
};

int tcp_create(struct socket *s)
{
	struct tcp_sock *ts = ts_new();

	if (!ts)
		return -ENOMEM;
	ts->s = s;
	ts->ino = s->ino;
	opts_from_socket(ts);
	s->priv = ts;
	s->ops = &tcp_ops;
	s->protocol = IPPROTO_TCP;
	return 0;
}
