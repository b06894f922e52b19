/*
 * /proc/net/tcp in Linux's format (its tcp4_seq_show: listeners first,
 * then connections, then TIME_WAIT entries, each line padded to 149
 * characters), so that netstat, ss's fallback and monitoring agents that
 * parse it read ours. Addresses are the network-order words printed with
 * %08X as the host reads them, ports in host order; times in USER_HZ
 * ticks (1/100 s), as Linux's jiffies_delta_to_clock_t gives them; the
 * kernel pointer column is zero, as Linux shows it under kptr_restrict.
 *
 * Concurrency: the connection list is walked under its mutex, which keeps
 * every listed tcp_sock allocated (ts_free takes it first); the fields
 * are read without the connection's lock (a listener holds its lock
 * while a child joins the list, so taking it here would invert that
 * order), each read a value the connection had, as Linux's READ_ONCEs.
 */
#include "net/tcp_int.h"

#define TCP_LINE 149 /* Linux's TMPSZ - 1 */
#define USER_HZ_NS 10000000ull

struct tcp_proc {
	char *buf;
	size_t size, len;
	unsigned sl;
	bool listeners; /* this pass prints them, or everything else */
	uint64_t now;
};

/* Linux's timer_active column and when it fires (ns from now). */
static int timer_column(const struct tcp_sock *ts, uint64_t now,
			uint64_t *left)
{
	uint64_t rto = ts->timer_at[TT_RTO];
	uint64_t ka = ts->timer_at[TT_KEEPALIVE];
	uint64_t at = 0;
	int active = 0;

	if (rto) {
		active = ts->snd_una != ts->snd_nxt ? 1 : 4; /* or probe0 */
		at = rto;
	} else if (ka) {
		active = 2;
		at = ka;
	}
	*left = at > now ? at - now : 0;
	return active;
}

static uint32_t queued_rx(const struct tcp_sock *ts)
{
	if (ts->state == TCP_LISTEN)
		return ts->acq_len;
	return ts->rcv_bytes;
}

static int ssthresh_column(const struct tcp_sock *ts)
{
	if (ts->state == TCP_LISTEN)
		return 0; /* Linux: the fastopen queue's length, off here */
	if (!ts->mss || ts->cc.ssthresh >= 0x7fffffffu)
		return -1; /* still in the initial slow start */
	return (int)(ts->cc.ssthresh / ts->mss);
}

static void put_conn(struct tcp_sock *ts, void *arg)
{
	struct tcp_proc *p = arg;
	char line[TCP_LINE + 1];
	uint64_t left;
	int tr;

	if ((ts->state == TCP_LISTEN) != p->listeners || ts->state == TCP_CLOSE)
		return;
	tr = timer_column(ts, p->now, &left);
	snprintf(line, sizeof(line),
		 "%4u: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X "
		 "%5u %8d %lu %d %016x %u %u %u %u %d",
		 p->sl++, ts->laddr, net_ntohs(ts->lport), ts->raddr,
		 net_ntohs(ts->rport), ts->state, ts->snd_nxt - ts->snd_una,
		 queued_rx(ts), tr, (unsigned long)(left / USER_HZ_NS),
		 ts->retries, 0u, ts->probes, (unsigned long)ts->ino,
		 __atomic_load_n(&ts->refs, __ATOMIC_RELAXED), 0u,
		 (unsigned)(ts->rtt.rto_us / 10000),
		 (unsigned)(TCP_DELACK_NS / USER_HZ_NS),
		 ts->quickacks ? 2u : 0u, ts->mss ? ts->cc.cwnd / ts->mss : 0,
		 ssthresh_column(ts));
	net_proc_put_padded(p->buf, p->size, &p->len, line, TCP_LINE);
}

static void put_tw(const struct tcp_tw_key *k, uint64_t left_ns, void *arg)
{
	struct tcp_proc *p = arg;
	char line[TCP_LINE + 1];

	snprintf(line, sizeof(line),
		 "%4u: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X "
		 "%5d %8d %d %d %016x",
		 p->sl++, k->laddr, net_ntohs(k->lport), k->raddr,
		 net_ntohs(k->rport), TCP_TIME_WAIT, 0, 0, 3,
		 (unsigned long)(left_ns / USER_HZ_NS), 0, 0, 0, 0, 3, 0);
	net_proc_put_padded(p->buf, p->size, &p->len, line, TCP_LINE);
}

int net_proc_tcp(char *buf, size_t size)
{
	struct tcp_proc p = {buf, size, 0, 0, true, clock_monotonic_ns()};

	net_proc_put_padded(buf, size, &p.len,
			    "  sl  local_address rem_address   st tx_queue "
			    "rx_queue tr tm->when retrnsmt   uid  timeout "
			    "inode",
			    TCP_LINE);
	tcp_foreach(put_conn, &p);
	p.listeners = false;
	tcp_foreach(put_conn, &p);
	tcp_tw_foreach_locked(put_tw, &p);
	return (int)MIN(p.len, (size_t)INT32_MAX);
}
