/*
 * TIME_WAIT without the connection (net/tcp.h says the interface): a
 * closed connection leaves its 4-tuple here for 2 MSL (TCP_TIMEWAIT_NS,
 * Linux's 60 s) with the little state needed to answer its peer, so the
 * socket and its buffers go at once (RFC 9293 3.6.1; Linux's
 * inet_timewait_sock does the same).
 *
 * tcp_tw_segment's rules, in the order they are checked (Linux's
 * tcp_timewait_state_process for a socket in TIME_WAIT proper, with
 * tcp_rfc1337 = 0). A segment "occupies no sequence space" when it has no
 * payload, no SYN and no FIN; "with timestamps" means the connection used
 * them (ts_ok) and the segment carries one.
 *  0. No entry, or one whose 2 MSL are over: NONE (the latter removed).
 *  1. PAWS (RFC 7323 5.3 R1): with timestamps, a TSval older than
 *     ts_recent (and ts_recent not 0: some hosts' SYNs carry 0) is
 *     rejected; rejection only changes which rule below applies. (Linux
 *     lets an RST through PAWS when ts_recent is over 60 s old; ours is
 *     refreshed by the last segments before TIME_WAIT, so that is left
 *     out.)
 *  2. Not rejected, seq == rcv_nxt, and either an RST or no sequence space:
 *     - an RST kills the entry: KILL (RFC 9293 3.10.7.4 "second, check the
 *       RST bit": TIME-WAIT enters CLOSED; RFC 1337 calls this TIME-WAIT
 *       assassination and its fix TW-1 ignores the RST, but Linux's default
 *       honours it, and so do we). Only the exact rcv_nxt kills, as RFC
 *       5961 3.2 asks of an RST.
 *     - a bare ACK restarts the 2 MSL timer, refreshes ts_recent: DROP.
 *  3. A SYN without RST and ACK, not PAWS-rejected, with seq beyond rcv_nxt
 *     (RFC 1122 4.2.2.13) or with timestamps a TSval newer than ts_recent
 *     (RFC 6191 2): a new incarnation. The entry goes: REUSE, and the new
 *     connection's ISN is snd_nxt + 65537 (beyond anything the old one
 *     sent or the peer's window could still take), never 0, as Linux.
 *  4. Any other RST: DROP (RFC 9293 3.10.7.4: an unacceptable RST is
 *     dropped, never answered).
 *  5. Everything else is out of window (RFC 9293 3.10.7.4 "first, check
 *     the sequence number": answered with an ACK) -- the peer's
 *     retransmitted FIN above all, whose ACK was lost. A segment with ACK
 *     set or rejected by PAWS restarts the 2 MSL timer (RFC 9293 3.10.7.4
 *     "eighth, check the FIN bit": TIME-WAIT restarts it on a FIN; Linux
 *     on any of these; an ACK-less SYN may be a stray, so it does not).
 *     ACK, except that a segment that occupies no sequence space, or a
 *     SYN, is answered at most once per TCP_TW_ACK_RATELIMIT_NS per entry
 *     (Linux's tcp_oow_rate_limited, against ACK loops with a confused
 *     peer; RFC 5961 10 asks for the same throttling): DROP within it.
 * The ACK number of the segment is not looked at, as Linux does not.
 *
 * The table: TCP_TW_MAX entries, allocated at the first use (a program
 * that never closes a TCP connection does not pay 256 KiB for it; without
 * the memory the table stays empty and tcp_tw_add fails), chained from keyed
 * hash buckets (16-bit indices), and one age list, oldest first: an
 * entry moves to its end when it (re)starts its 2 MSL, so with a
 * monotonic clock the head is the entry closest to expiry, and expiry
 * walks from it. Every lookup also checks the entry's own time, so a
 * late tcp_tw_expire never makes an entry live longer than 2 MSL.
 *
 * When the table is full, tcp_tw_add evicts the head if it has spent
 * TCP_TW_EVICT_MIN_NS (1 s) in TIME_WAIT, and fails otherwise. Linux
 * simply skips TIME_WAIT for the newcomer when tcp_max_tw_buckets is
 * reached; evicting the oldest instead keeps the protection for the
 * connections that closed last, which are the ones whose peer may still
 * retransmit its FIN: after 1 s the peer's FIN, if its ACK was lost, has
 * already been retransmitted a few times (Linux's RTO is at least 200 ms)
 * and answered from here. What the old entry still guards against, a
 * delayed duplicate landing in a new incarnation, is also guarded by the
 * clock-driven ISNs (RFC 6528) and by PAWS when timestamps are on. Churn
 * beyond TCP_TW_MAX closes a second then falls back to Linux's behaviour.
 *
 * Concurrency: none inside. Every function here is called with the
 * caller's serialisation held (the TCP layer's TIME_WAIT mutex).
 */
#include "net/tcp.h"

#include "lib/lib.h"
#ifdef OSPREY_HOST
#include <stdlib.h>
#else
#include "kernel/mm/mm.h"
#endif

#define TW_NIL 0xffff
#define TW_BUCKETS 4096 /* a power of two */

_Static_assert(TCP_TW_MAX < TW_NIL, "indices are 16 bits");

struct tw_entry {
	struct tcp_tw_key key;
	struct tcp_tw_state st;
	uint64_t start_ns;   /* (re)entered TIME_WAIT */
	uint64_t oow_ack_ns; /* the last rate-limited ACK, if oow_acked */
	bool oow_acked;
	uint16_t hnext;	     /* hash chain; the free list when unused */
	uint16_t bucket;     /* the chain it is on */
	uint16_t prev, next; /* the age list */
};

/* All of it under the caller's serialisation. */
static struct {
	bool ready;
	unsigned count;
	uint16_t free;		 /* through hnext */
	uint16_t oldest, newest; /* the age list's ends */
	unsigned cap;		 /* entries in e: TCP_TW_MAX, or 0 */
	uint16_t bucket[TW_BUCKETS];
	struct tw_entry *e;
} tw;

void tcp_tw_init(void)
{
	if (!tw.e)
		tw.e = calloc(TCP_TW_MAX, sizeof(*tw.e));
	tw.cap = tw.e ? TCP_TW_MAX : 0;
	for (unsigned i = 0; i < TW_BUCKETS; i++)
		tw.bucket[i] = TW_NIL;
	for (unsigned i = 0; i < tw.cap; i++)
		tw.e[i].hnext = i + 1 < tw.cap ? i + 1 : TW_NIL;
	tw.free = tw.cap ? 0 : TW_NIL;
	tw.oldest = tw.newest = TW_NIL;
	tw.count = 0;
	tw.ready = tw.cap != 0; /* out of memory: try again next time */
}

static void tw_ready(void)
{
	if (!tw.ready)
		tcp_tw_init();
}

static unsigned tw_bucket(const struct tcp_tw_key *k)
{
	return tcp_tuple_hash(TCP_HASH_TW, k->laddr, k->lport, k->raddr,
			      k->rport, 0, 0) &
	       (TW_BUCKETS - 1);
}

static bool key_eq(const struct tcp_tw_key *a, const struct tcp_tw_key *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	       a->lport == b->lport && a->rport == b->rport;
}

static uint16_t tw_find(const struct tcp_tw_key *k)
{
	uint16_t i = tw.bucket[tw_bucket(k)];

	while (i != TW_NIL && !key_eq(&tw.e[i].key, k))
		i = tw.e[i].hnext;
	return i;
}

static bool tw_expired(const struct tw_entry *e, uint64_t now_ns)
{
	return now_ns > e->start_ns && now_ns - e->start_ns >= TCP_TIMEWAIT_NS;
}

static void age_unlink(uint16_t i)
{
	struct tw_entry *e = &tw.e[i];

	if (e->prev != TW_NIL)
		tw.e[e->prev].next = e->next;
	else
		tw.oldest = e->next;
	if (e->next != TW_NIL)
		tw.e[e->next].prev = e->prev;
	else
		tw.newest = e->prev;
}

static void age_append(uint16_t i)
{
	struct tw_entry *e = &tw.e[i];

	e->prev = tw.newest;
	e->next = TW_NIL;
	if (tw.newest != TW_NIL)
		tw.e[tw.newest].next = i;
	else
		tw.oldest = i;
	tw.newest = i;
}

static void hash_unlink(uint16_t i)
{
	uint16_t *pp = &tw.bucket[tw.e[i].bucket];

	while (*pp != i)
		pp = &tw.e[*pp].hnext;
	*pp = tw.e[i].hnext;
}

static void tw_remove(uint16_t i)
{
	hash_unlink(i);
	age_unlink(i);
	tw.e[i].hnext = tw.free;
	tw.free = i;
	tw.count--;
}

/* (Re)starts the 2 MSL timer: the entry becomes the newest. */
static void tw_restart(uint16_t i, uint64_t now_ns)
{
	tw.e[i].start_ns = now_ns;
	age_unlink(i);
	age_append(i);
}

/* Makes room in a full table: the oldest entry, if expired or at least
 * TCP_TW_EVICT_MIN_NS old (see above). */
static bool tw_evict(uint64_t now_ns)
{
	uint16_t o = tw.oldest;

	if (o == TW_NIL)
		return false;
	if (!tw_expired(&tw.e[o], now_ns) &&
	    (now_ns < tw.e[o].start_ns ||
	     now_ns - tw.e[o].start_ns < TCP_TW_EVICT_MIN_NS))
		return false;
	tw_remove(o);
	return true;
}

bool tcp_tw_add(const struct tcp_tw_key *k, const struct tcp_tw_state *st,
		uint64_t now_ns)
{
	tw_ready();
	uint16_t i = tw_find(k);

	if (i == TW_NIL) {
		if (tw.free == TW_NIL && !tw_evict(now_ns))
			return false;
		i = tw.free;
		tw.free = tw.e[i].hnext;
		tw.e[i].key = *k;
		tw.e[i].bucket = tw_bucket(k);
		tw.e[i].hnext = tw.bucket[tw.e[i].bucket];
		tw.bucket[tw.e[i].bucket] = i;
		age_append(i);
		tw.count++;
	}
	tw.e[i].st = *st;
	tw.e[i].oow_acked = false;
	tw_restart(i, now_ns);
	return true;
}

/* The live entry for k, or TW_NIL (an expired one is removed). */
static uint16_t tw_lookup(const struct tcp_tw_key *k, uint64_t now_ns)
{
	tw_ready();
	uint16_t i = tw_find(k);

	if (i != TW_NIL && tw_expired(&tw.e[i], now_ns)) {
		tw_remove(i);
		i = TW_NIL;
	}
	return i;
}

/* Rule 1: RFC 7323 5.3 R1 with Linux's window of 0 and its ts_recent 0. */
static bool paws_reject(const struct tcp_tw_state *st, uint32_t ts_val)
{
	return st->ts_recent && (int32_t)(st->ts_recent - ts_val) > 0;
}

/* Rule 5's throttle: true when an ACK went out too recently. */
static bool oow_rate_limited(struct tw_entry *e, uint64_t now_ns)
{
	if (e->oow_acked && now_ns >= e->oow_ack_ns &&
	    now_ns - e->oow_ack_ns < TCP_TW_ACK_RATELIMIT_NS)
		return true;
	e->oow_acked = true;
	e->oow_ack_ns = now_ns;
	return false;
}

/* Rule 3: an acceptable new SYN (the caller has ruled out PAWS). */
static bool syn_reopens(const struct tcp_tw_state *st,
			const struct tcp_tw_seg *s, bool ts)
{
	if ((s->flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_ACK)) !=
	    TCP_FLAG_SYN)
		return false;
	return seq_gt(s->seq, st->rcv_nxt) ||
	       (ts && (int32_t)(st->ts_recent - s->ts_val) < 0);
}

static uint32_t reuse_isn(const struct tcp_tw_state *st)
{
	uint32_t isn = st->snd_nxt + 65535 + 2;

	return isn ? isn : 1;
}

/* Rules 1-5 for the live entry i; the entry's removal is the caller's. */
static enum tcp_tw_verdict tw_decide(uint16_t i, const struct tcp_tw_seg *s,
				     uint64_t now_ns, uint32_t *isn_hint)
{
	struct tw_entry *e = &tw.e[i];
	bool rst = s->flags & TCP_FLAG_RST, syn = s->flags & TCP_FLAG_SYN;
	bool ts = e->st.ts_ok && s->has_ts;
	bool paws = ts && paws_reject(&e->st, s->ts_val);
	uint32_t end = s->seq + s->len + syn + !!(s->flags & TCP_FLAG_FIN);

	if (!paws && s->seq == e->st.rcv_nxt && (end == s->seq || rst)) {
		if (rst)
			return TCP_TW_KILL;
		tw_restart(i, now_ns);
		if (ts)
			e->st.ts_recent = s->ts_val;
		return TCP_TW_DROP;
	}
	if (!paws && syn_reopens(&e->st, s, ts)) {
		if (isn_hint)
			*isn_hint = reuse_isn(&e->st);
		return TCP_TW_REUSE;
	}
	if (rst)
		return TCP_TW_DROP;
	if (paws || (s->flags & TCP_FLAG_ACK))
		tw_restart(i, now_ns);
	if ((end == s->seq || syn) && oow_rate_limited(e, now_ns))
		return TCP_TW_DROP;
	return TCP_TW_ACK;
}

enum tcp_tw_verdict tcp_tw_segment(const struct tcp_tw_key *k,
				   const struct tcp_tw_seg *seg,
				   uint64_t now_ns, struct tcp_tw_state *st,
				   uint32_t *isn_hint)
{
	uint16_t i = tw_lookup(k, now_ns);

	if (i == TW_NIL)
		return TCP_TW_NONE;
	enum tcp_tw_verdict v = tw_decide(i, seg, now_ns, isn_hint);

	if (st)
		*st = tw.e[i].st;
	if (v == TCP_TW_KILL || v == TCP_TW_REUSE)
		tw_remove(i);
	return v;
}

enum tcp_tw_verdict tcp_tw_input(const struct tcp_tw_key *k, uint8_t flags,
				 uint32_t seq, uint32_t ack, bool has_ts,
				 uint32_t ts_val, uint64_t now_ns,
				 struct tcp_tw_state *st, uint32_t *isn_hint)
{
	struct tcp_tw_seg s = {.flags = flags,
			       .seq = seq,
			       .ack = ack,
			       .has_ts = has_ts,
			       .ts_val = ts_val};

	return tcp_tw_segment(k, &s, now_ns, st, isn_hint);
}

bool tcp_tw_busy(const struct tcp_tw_key *k, uint64_t now_ns)
{
	return tw_lookup(k, now_ns) != TW_NIL;
}

void tcp_tw_expire(uint64_t now_ns)
{
	tw_ready();
	while (tw.oldest != TW_NIL && tw_expired(&tw.e[tw.oldest], now_ns))
		tw_remove(tw.oldest);
}

bool tcp_tw_port_conflict(uint16_t lport, uint32_t laddr, bool reuse,
			  uint64_t now_ns)
{
	tw_ready();
	for (uint16_t i = tw.oldest; i != TW_NIL; i = tw.e[i].next) {
		const struct tw_entry *e = &tw.e[i];

		if (e->key.lport != lport || tw_expired(e, now_ns))
			continue;
		if (laddr && e->key.laddr != laddr)
			continue;
		if (!(reuse && e->st.reuse))
			return true;
	}
	return false;
}

void tcp_tw_foreach(void (*fn)(const struct tcp_tw_key *k, uint64_t left_ns,
				void *arg),
		    void *arg, uint64_t now_ns)
{
	tw_ready();
	for (uint16_t i = tw.oldest; i != TW_NIL; i = tw.e[i].next) {
		const struct tw_entry *e = &tw.e[i];
		uint64_t end = e->start_ns + TCP_TIMEWAIT_NS;

		fn(&e->key, end > now_ns ? end - now_ns : 0, arg);
	}
}

unsigned tcp_tw_count(void)
{
	return tw.count;
}

/* Counts what the chains hold, checking each entry is in its own bucket. */
static unsigned chained(void)
{
	unsigned n = 0;

	for (unsigned b = 0; b < TW_BUCKETS; b++)
		for (uint16_t i = tw.bucket[b]; i != TW_NIL;
		     i = tw.e[i].hnext) {
			if (i >= TCP_TW_MAX || tw.e[i].bucket != b ||
			    ++n > TCP_TW_MAX)
				return TCP_TW_MAX + 1;
		}
	return n;
}

static unsigned aged(void)
{
	unsigned n = 0;
	uint16_t prev = TW_NIL;

	for (uint16_t i = tw.oldest; i != TW_NIL; i = tw.e[i].next) {
		if (i >= TCP_TW_MAX || tw.e[i].prev != prev || ++n > TCP_TW_MAX)
			return TCP_TW_MAX + 1;
		prev = i;
	}
	return prev == tw.newest ? n : TCP_TW_MAX + 1;
}

static unsigned freed(void)
{
	unsigned n = 0;

	for (uint16_t i = tw.free; i != TW_NIL; i = tw.e[i].hnext)
		if (i >= TCP_TW_MAX || ++n > TCP_TW_MAX)
			return TCP_TW_MAX + 1;
	return n;
}

bool tcp_tw_check(void)
{
	tw_ready();
	return tw.count <= tw.cap && chained() == tw.count &&
	       aged() == tw.count && freed() == tw.cap - tw.count;
}
