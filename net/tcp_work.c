/*
 * Who runs a TCP connection, and when (DESIGN.md section 6).
 *
 * A connection (struct tcp_sock) is handled by whichever thread holds its
 * mutex: the application thread that reads, writes or polls it, or the
 * TCP worker. Nothing else touches its protocol state. The driver's
 * receive thread only classifies a segment (flow table, under RCU),
 * pushes it onto the connection's channel and then makes sure somebody
 * will process it:
 *
 *   rx:      push(chan, p)                     (netchan: release)
 *            poll_notify(&ts->wq)              (wakes tcp_wait sleepers
 *                                               and epoll watchers)
 *            if (load(sleepers) == 0)          (seq_cst)
 *                    tcp_schedule(ts)
 *
 *   sleeper: sleepers++                        (seq_cst, under lock)
 *            waitq_add(&ts->wq); if (!ready) sleep   (net_wait)
 *            ... woken, lock again ...
 *            sleepers--
 *            tcp_process(ts)                   (drains what came)
 *            if (!empty(chan)) tcp_schedule(ts)
 *
 * No lost wakeup: if the receiver read sleepers == 0, the sleeper's
 * increment comes later in the total order, so its ready() check (after
 * registering) sees the pushed segment; if it read sleepers > 0, that
 * sleeper is registered on the waitq (net_wait registers before it looks)
 * and the notification, which comes after the push, wakes it; a sleeper
 * leaving drains under the lock, and what is pushed after its last drain
 * is caught by its own final emptiness check or, once sleepers is 0
 * again, by the receiver scheduling the worker. An epoll watcher is not a
 * sleeper: the worker runs the connection, and the watcher's tcp_poll
 * drains under the lock too (either order is fine).
 *
 * The workers: one per CPU, bound to it, each with its own lock-free
 * stack (lib/lfstack.h). `scheduled` (atomic exchange) queues a
 * connection at most once, on the stack of the CPU that schedules it (the
 * receive thread of the queue its flow is steered to, or the CPU whose
 * timer fired), so a connection's background work stays where its
 * segments arrive, and no stack is shared by all CPUs. Scheduling takes a
 * reference for the queue; a worker takes its whole stack, clears
 * `scheduled` before it takes the connection's lock (so a push after the
 * clear queues it again, maybe on another CPU's stack, rather than being
 * lost; two workers then meet at the connection's mutex, and the second
 * finds little to do), runs tcp_process under the lock and drops the
 * queue's reference. A connection closed while queued is therefore never
 * freed under a worker: the last put frees it, whoever makes it.
 *
 * Timers: each connection has one struct timer (kernel/sched), armed at
 * the earliest of its deadlines (retransmission/persist, delayed ACK,
 * keepalive/FIN_WAIT_2/TIME_WAIT). It fires in interrupt context and only
 * schedules the connection on the worker, which runs the due ones under
 * the lock (tcp_timers_run). It is armed lazily: a later deadline does
 * not re-arm, the early firing re-arms; it is cancelled under the lock
 * when the connection is freed (the hash reference keeps it alive while
 * armed: tcp_unhash cancels first).
 *
 * Lifetime (refs): one for the socket (until release), one for the flow
 * table (dropped a grace period after unhashing, so an RCU lookup that
 * found it can still take a reference), one for the worker's queue, one
 * for each receiver between lookup and notification, one for a child's
 * listener pointer. A connection may be hashed again after an unhash (a
 * refused connect, then connect again), so a second table reference can
 * be dropped while the first one's callback still waits for its grace
 * period (a loaded host makes that wait long). One rcu_head cannot be
 * queued twice (the second push rewrites its link: the RCU batch then
 * runs a stale callback and frees garbage): unhash_puts counts the
 * pending drops, only the first queues the head and the callback queues
 * it again while drops remain.
 */
#include "net/tcp_int.h"

#include "lib/lfstack.h"
#include "linux/linux.h"

unsigned tcp_conns; /* atomic: struct tcp_sock allocated (tests) */
static struct tcp_sock *tcp_all;	       /* under tcp_all_lock */
static struct mutex tcp_all_lock = MUTEX_INIT;

static void all_add(struct tcp_sock *ts)
{
	mutex_lock(&tcp_all_lock);
	ts->all_next = tcp_all;
	if (tcp_all)
		tcp_all->all_pprev = &ts->all_next;
	ts->all_pprev = &tcp_all;
	tcp_all = ts;
	mutex_unlock(&tcp_all_lock);
}

static void all_remove(struct tcp_sock *ts)
{
	mutex_lock(&tcp_all_lock);
	*ts->all_pprev = ts->all_next;
	if (ts->all_next)
		ts->all_next->all_pprev = ts->all_pprev;
	mutex_unlock(&tcp_all_lock);
}
void tcp_foreach(void (*fn)(struct tcp_sock *ts, void *arg), void *arg)
{
	mutex_lock(&tcp_all_lock);
	for (struct tcp_sock *ts = tcp_all; ts; ts = ts->all_next)
		fn(ts, arg);
	mutex_unlock(&tcp_all_lock);
}

void tcp_tw_foreach_locked(void (*fn)(const struct tcp_tw_key *k,
				      uint64_t left_ns, void *arg),
			   void *arg)
{
	tcp_tw_lock();
	tcp_tw_foreach(fn, arg, clock_monotonic_ns());
	tcp_tw_unlock();
}

/* A CPU's worker. workers[] and nworkers are set once, by worker_start,
 * before the first connection exists. */
struct tcp_worker {
	struct tcp_sock *head; /* atomic: lfstack of connections to run */
	struct thread *thread; /* set once; bound to its CPU */
};
static struct tcp_worker workers[MAX_CPUS];
static unsigned nworkers; /* atomic (release): workers[0, nworkers) ready */

void ts_get(struct tcp_sock *ts)
{
	__atomic_fetch_add(&ts->refs, 1, __ATOMIC_RELAXED);
}

static void ts_free(struct tcp_sock *ts)
{
	timer_cancel(&ts->timer);
	netchan_drain(&ts->chan);
	tcp_rcvq_free(ts);
	tcp_ooo_purge(&ts->ooo);
	tcp_sq_free(ts);
	tcp_sbuf_put(ts->sbuf);
	if (ts->listener)
		ts_put(ts->listener);
	all_remove(ts);
	free(ts);
	__atomic_fetch_sub(&tcp_conns, 1, __ATOMIC_RELAXED);
}

void ts_put(struct tcp_sock *ts)
{
	if (__atomic_sub_fetch(&ts->refs, 1, __ATOMIC_ACQ_REL) == 0)
		ts_free(ts);
}

static void ooo_release(struct tcp_ooo_seg *seg)
{
	pkt_free(seg->buf);
}

static void tcp_timer_fired(struct timer *t);

static void worker_loop(void *arg);

/* The workers start with the first connection (a program without TCP does
 * not pay for them), one bound to each CPU; tcp_schedule runs only for
 * connections, so it always finds one. A worker that cannot be made
 * (memory) leaves its CPU to the ones before it. */
static bool worker_start(void)
{
	static struct mutex start_lock = MUTEX_INIT;
	unsigned n = 0;

	if (__atomic_load_n(&nworkers, __ATOMIC_ACQUIRE))
		return true;
	mutex_lock(&start_lock);
	for (unsigned cpu = 0; !nworkers && cpu < sched_cpus_started(); cpu++) {
		struct tcp_worker *w = &workers[n];

		w->thread = thread_create("tcp-worker", worker_loop, w,
					  THREAD_SUSPENDED);
		if (!w->thread)
			continue;
		thread_set_affinity(w->thread, 1ull << cpu);
		thread_start(w->thread);
		n++;
	}
	if (n)
		__atomic_store_n(&nworkers, n, __ATOMIC_RELEASE);
	mutex_unlock(&start_lock);
	return __atomic_load_n(&nworkers, __ATOMIC_ACQUIRE) != 0;
}

struct tcp_sock *ts_new(void)
{
	struct tcp_sock *ts = worker_start() ? calloc(1, sizeof(*ts)) : NULL;

	if (!ts)
		return NULL;
	__atomic_fetch_add(&tcp_conns, 1, __ATOMIC_RELAXED);
	ts->refs = 1;
	netchan_init(&ts->chan, SOCK_DEFAULT_RCVBUF * 2);
	waitq_init(&ts->wq);
	mutex_init(&ts->lock);
	mutex_init(&ts->acq_lock);
	timer_init(&ts->timer, tcp_timer_fired);
	ts->state = TCP_CLOSE;
	ts->rcvq_tail = &ts->rcvq;
	ts->acq_tail = &ts->acq_head;
	ts->rcvbuf = SOCK_DEFAULT_RCVBUF;
	ts->sndbuf = SOCK_DEFAULT_SNDBUF;
	ts->keepidle = TCP_KEEPIDLE_S;
	ts->keepintvl = TCP_KEEPINTVL_S;
	ts->keepcnt = TCP_KEEPCNT_N;
	ts->ttl = 64;
	ts->mss = TCP_MSS_DEFAULT;
	ts->rcv_mss = TCP_MSS_DEFAULT;
	tcp_rtt_init(&ts->rtt);
	tcp_ooo_init(&ts->ooo, SOCK_DEFAULT_RCVBUF, ooo_release);
	all_add(ts);
	return ts;
}

/* ---- the worker ---- */

void tcp_schedule(struct tcp_sock *ts)
{
	struct tcp_worker *w;

	if (__atomic_exchange_n(&ts->scheduled, 1, __ATOMIC_SEQ_CST))
		return;
	w = &workers[sched_this_cpu() %
		     __atomic_load_n(&nworkers, __ATOMIC_ACQUIRE)];
	ts_get(ts);
	lfstack_push(&w->head, ts, work_next);
	thread_wake(w->thread);
}

static void worker_run(struct tcp_sock *ts)
{
	__atomic_store_n(&ts->scheduled, 0, __ATOMIC_SEQ_CST);
	mutex_lock(&ts->lock);
	tcp_process(ts);
	mutex_unlock(&ts->lock);
	ts_put(ts);
}

static bool worker_drain(struct tcp_worker *w)
{
	struct tcp_sock *ts, *next;
	bool any = false;

	for (ts = lfstack_take_fifo(&w->head, work_next); ts; ts = next) {
		next = ts->work_next;
		worker_run(ts);
		any = true;
	}
	return any;
}

bool tcp_work_drain(void)
{
	bool any = false;

	for (unsigned i = 0; i < __atomic_load_n(&nworkers, __ATOMIC_ACQUIRE);
	     i++)
		any |= worker_drain(&workers[i]);
	return any;
}

static void worker_loop(void *arg)
{
	struct tcp_worker *w = arg;

	for (;;) {
		sched_prepare_wait();
		if (!__atomic_load_n(&w->head, __ATOMIC_SEQ_CST)) {
			sched_wait();
			continue;
		}
		sched_cancel_wait();
		worker_drain(w);
	}
}

/* ---- timers ---- */

/* Interrupt context: only the hand-off (atomics, lfstack, wake). */
static void tcp_timer_fired(struct timer *t)
{
	tcp_schedule(container_of(t, struct tcp_sock, timer));
}

void tcp_set_timer(struct tcp_sock *ts, enum tcp_timer_kind k, uint64_t at)
{
	ts->timer_at[k] = at;
}

void tcp_timers_update(struct tcp_sock *ts)
{
	uint64_t next = 0;

	for (int k = 0; k < TT_NUM; k++)
		if (ts->timer_at[k] && (!next || ts->timer_at[k] < next))
			next = ts->timer_at[k];
	if (!next) {
		return; /* an armed timer fires for nothing: harmless */
	}
	if (ts->timer_armed && ts->timer_armed <= next &&
	    ts->timer.armed)
		return; /* fires earlier; tcp_process re-arms then */
	ts->timer_armed = next;
	timer_arm(&ts->timer, next);
}

/* ---- the flow table ---- */

/* flow_lookup's get: findable means the table's reference is held. */
static bool ts_lookup_get(void *owner)
{
	ts_get(owner);
	return true;
}

/* The rcu head is queued at most once: an unhash while it is queued
 * (a refused connect that connects again and is closed within one grace
 * period) only counts, and the callback queues it again for that one, so
 * that its put too comes a full grace period after its unhash. rcu_loop
 * reads h->next before it calls us, so re-queueing here is safe. */
static void unhash_cb(struct rcu_head *h)
{
	struct tcp_sock *ts = container_of(h, struct tcp_sock, rcu);

	if (__atomic_sub_fetch(&ts->unhash_puts, 1, __ATOMIC_SEQ_CST))
		call_rcu(&ts->rcu, unhash_cb); /* its reference keeps ts */
	ts_put(ts);
}

void tcp_unhash(struct tcp_sock *ts)
{
	if (!ts->flow)
		return;
	flow_lock();
	flow_remove(ts->flow);
	flow_unlock();
	ts->flow = NULL;
	timer_cancel(&ts->timer);
	ts->timer_armed = 0;
	if (__atomic_fetch_add(&ts->unhash_puts, 1, __ATOMIC_SEQ_CST) == 0)
		call_rcu(&ts->rcu, unhash_cb);
}

int tcp_hash(struct tcp_sock *ts, bool listener)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->proto = IPPROTO_TCP;
	f->laddr = ts->laddr;
	f->lport = ts->lport;
	f->raddr = listener ? 0 : ts->raddr;
	f->rport = listener ? 0 : ts->rport;
	f->bound_if = ts->s ? ts->s->bound_if : 0;
	f->owner = ts;
	flow_lock();
	flow_add(f);
	if (ts->flow)
		flow_remove(ts->flow);
	else
		ts_get(ts); /* the table's reference */
	flow_unlock();
	ts->flow = f;
	return 0;
}

/* ---- the receive path (the driver's thread) ---- */

/* The TCP header's length against the datagram: sets l4_off. */
static bool tcp_len_ok(struct pkt *p, unsigned hlen)
{
	const struct tcp_hdr *th;
	unsigned doff;

	if (p->len < hlen + TCP_HLEN)
		return false;
	th = (const struct tcp_hdr *)(p->data + hlen);
	doff = (th->off >> 4) * 4u;
	if (doff < TCP_HLEN || doff > p->len - hlen)
		return false;
	p->l4_off = (uint16_t)(p->data + hlen - p->head);
	return true;
}

/* flow_lookup_all's get for SO_REUSEPORT: listeners only. */
static bool ts_listener_get(void *owner)
{
	struct tcp_sock *ts = owner;

	if (__atomic_load_n(&ts->state, __ATOMIC_RELAXED) != TCP_LISTEN ||
	    !ts->reuseport)
		return false;
	ts_get(ts);
	return true;
}

#define TCP_REUSEPORT_MAX 16

/* SO_REUSEPORT: a SYN for a group of listeners goes to one picked by a
 * hash of its 4-tuple (Linux's reuseport_select_sock), so that one
 * connection's SYNs always reach the same one. `ts` is the best match. */
static struct tcp_sock *reuseport_pick(struct tcp_sock *ts, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct tcp_hdr *th = tcp_hdr_of(p);
	void *all[TCP_REUSEPORT_MAX];
	unsigned n = flow_lookup_all(IPPROTO_TCP, ih->dst, th->dport, ih->src,
				     th->sport, p->dev ? p->dev->ifindex : 0,
				     ts_listener_get, all, TCP_REUSEPORT_MAX);
	uint32_t h = ih->src ^ ((uint32_t)th->sport << 16 | th->dport);
	struct tcp_sock *pick;

	h ^= h >> 16; /* a full mix (MurmurHash3's finaliser) */
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	pick = n ? all[h % n] : ts;

	for (unsigned i = 0; i < n; i++)
		if (all[i] != pick)
			ts_put(all[i]);
	if (pick != ts)
		ts_put(ts);
	return pick;
}

static struct tcp_sock *tcp_find(struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct tcp_hdr *th = tcp_hdr_of(p);
	struct tcp_sock *ts = flow_lookup(IPPROTO_TCP, ih->dst, th->dport,
					  ih->src, th->sport,
					  p->dev ? p->dev->ifindex : 0,
					  ts_lookup_get);

	if (ts && ts->reuseport && (th->flags & (TH_SYN | TH_ACK)) == TH_SYN &&
	    __atomic_load_n(&ts->state, __ATOMIC_RELAXED) == TCP_LISTEN)
		return reuseport_pick(ts, p);
	return ts;
}

static void tcp_push(struct tcp_sock *ts, struct pkt *p)
{
	if (!netchan_push(&ts->chan, p)) {
		TCP_INC(in_errs);
		pkt_free(p);
	} else {
		poll_notify(&ts->wq, POLLIN | POLLRDNORM);
		if (!__atomic_load_n(&ts->sleepers, __ATOMIC_SEQ_CST))
			tcp_schedule(ts);
	}
	ts_put(ts);
}

bool tcp_redirect(struct tcp_sock *l, struct pkt *p)
{
	struct tcp_sock *ts = tcp_find(p);

	if (!ts)
		return false;
	if (ts == l || __atomic_load_n(&ts->state, __ATOMIC_RELAXED) ==
			   TCP_LISTEN) {
		ts_put(ts);
		return false;
	}
	tcp_push(ts, p);
	return true;
}

bool tcp_rx_fast(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	struct tcp_sock *ts;

	(void)dev;
	if (!tcp_len_ok(p, (ih->vihl & 0xf) * 4u)) {
		TCP_INC(in_errs);
		pkt_free(p);
		return true;
	}
	if ((p->flags & PKT_BCAST) || ih->dst == INADDR_BROADCAST ||
	    ip_is_multicast(ih->dst)) {
		pkt_free(p); /* RFC 9293 3.9.1: never to broadcasts */
		return true;
	}
	ts = tcp_find(p);
	if (!ts)
		return false;
	tcp_push(ts, p);
	return true;
}

void tcp_input_ip(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	struct tcp_sock *ts;

	if (!tcp_len_ok(p, (ih->vihl & 0xf) * 4u)) {
		TCP_INC(in_errs);
		pkt_free(p);
		return;
	}
	ts = tcp_find(p);
	if (ts)
		return tcp_push(ts, p);
	tcp_input_default(dev, p);
}

/* ---- sleeping ---- */

int tcp_wait(struct tcp_sock *ts, uint64_t deadline, bool (*ready)(void *arg))
{
	int r;

	__atomic_fetch_add(&ts->sleepers, 1, __ATOMIC_SEQ_CST);
	r = net_wait(&ts->wq, &ts->lock, deadline, ready, ts);
	__atomic_fetch_sub(&ts->sleepers, 1, __ATOMIC_SEQ_CST);
	tcp_process(ts);
	if (!netchan_empty(&ts->chan))
		tcp_schedule(ts);
	if (r == -ETIMEDOUT)
		return -EAGAIN; /* SO_RCVTIMEO / SO_SNDTIMEO: man 7 socket */
	if (r == -ERESTARTSYS && deadline)
		return -EINTR;
	return r;
}

/* ---- the periodic work (net_tick) ---- */

static struct mutex tw_mutex = MUTEX_INIT;

void tcp_tick(uint64_t now_ns)
{
	mutex_lock(&tw_mutex);
	tcp_tw_expire(now_ns);
	mutex_unlock(&tw_mutex);
}

void tcp_tw_lock(void)
{
	mutex_lock(&tw_mutex);
}

void tcp_tw_unlock(void)
{
	mutex_unlock(&tw_mutex);
}

#ifndef OSPREY_HOST
/* The NMI state dump (kernel/sched): every connection's state, read
 * without locks (a torn value is possible, a fault is not: connections
 * are freed only after leaving the list, under its lock, which an NMI
 * does not take -- a dump racing a free may read freed memory, which is
 * still mapped). */
static void tcp_dump(void)
{
	unsigned n = 0;

	for (struct tcp_sock *ts = tcp_all; ts && n < 64;
	     ts = ts->all_next, n++)
		kprintf("tcp %p: state %d port %u->%u una %u nxt %u max %u "
			"sbuf %u wnd %u cwnd %u rcv_nxt %u adv %u rcvq %u "
			"ooo %u/%u chan %lu sleepers %d sched %d timers "
			"%lu %lu %lu refs %d err %d\n",
			(void *)ts, ts->state, net_ntohs(ts->lport),
			net_ntohs(ts->rport), ts->snd_una, ts->snd_nxt,
			ts->snd_max, ts->sq_len, ts->snd_wnd, ts->cc.cwnd,
			ts->rcv_nxt, ts->rcv_adv, ts->rcv_bytes,
			ts->ooo.bytes, ts->ooo.nsegs,
			(unsigned long)ts->chan.bytes, ts->sleepers,
			ts->scheduled, (unsigned long)ts->timer_at[0],
			(unsigned long)ts->timer_at[1],
			(unsigned long)ts->timer_at[2], ts->refs, ts->err);
}
#endif

int tcp_init(void)
{
	uint8_t key[16];

	for (int i = 0; i < 16; i += 4) {
		uint32_t r = net_random();
		memcpy(key + i, &r, 4);
	}
	tcp_secret_init(key); /* the TIME_WAIT table makes itself when first used */
#ifndef OSPREY_HOST
	sched_add_dump_hook(tcp_dump);
#endif
	return 0;
}
