/*
 * The flow table: from a received datagram's protocol, addresses and
 * ports to the socket that takes it, looked up by net_rx without a lock.
 *
 * A hash table of FLOW_BUCKETS chains, hashed on (protocol, local port)
 * only, so that one chain holds every candidate for a datagram: the
 * connected socket (remote address and port set), the one bound to the
 * local address, and the wildcard one. The lookup walks that chain once
 * and keeps the best (most specific) match, as Linux's compute_score.
 *
 * Concurrency: chains are singly linked lists published with release
 * stores (rcu_assign_pointer) under flow_mutex and read under
 * rcu_read_lock with acquire loads; a removed entry stays readable until
 * a grace period has passed (call_rcu frees it), so a reader that found
 * it may still look at it and its owner. The owner's lifetime is the
 * protocol's: the lookup calls `get` inside the read section to take a
 * reference, and the protocol frees its socket no earlier than a grace
 * period after its last reference went (net/udp.c).
 */
#include "net/net_private.h"

#define FLOW_BUCKETS 256

static struct mutex flow_mutex = MUTEX_INIT;
static struct flow *buckets[FLOW_BUCKETS]; /* rcu; under flow_mutex */

static unsigned flow_hash(uint8_t proto, uint16_t lport)
{
	uint32_t h = (uint32_t)proto << 16 | lport;

	h *= 0x9e3779b1u; /* Fibonacci hashing: the high bits mix best */
	return h >> 24;
}

void flow_lock(void)
{
	mutex_lock(&flow_mutex);
}

void flow_unlock(void)
{
	mutex_unlock(&flow_mutex);
}

void flow_add(struct flow *f)
{
	unsigned b = flow_hash(f->proto, f->lport);

	f->next = buckets[b];
	rcu_assign_pointer(buckets[b], f);
}

static void flow_free(struct rcu_head *h)
{
	free(container_of(h, struct flow, rcu));
}

void flow_remove(struct flow *f)
{
	struct flow **at;

	at = &buckets[flow_hash(f->proto, f->lport)];
	while (*at && *at != f)
		at = &(*at)->next;
	if (*at)
		rcu_assign_pointer(*at, f->next); /* f->next stays valid */
	call_rcu(&f->rcu, flow_free);
}

/* How well f matches; -1: not at all. Higher is more specific. */
static int flow_score(const struct flow *f, uint32_t laddr, uint32_t raddr,
		      uint16_t rport, int ifindex)
{
	int score = 0;

	if (f->laddr) {
		if (f->laddr != laddr)
			return -1;
		score += 4;
	}
	if (f->raddr) {
		if (f->raddr != raddr)
			return -1;
		score += 4;
	}
	if (f->rport) {
		if (f->rport != rport)
			return -1;
		score += 4;
	}
	if (f->bound_if) {
		if (f->bound_if != ifindex)
			return -1;
		score += 2;
	}
	return score;
}

void *flow_lookup(uint8_t proto, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport, int ifindex, bool (*get)(void *owner))
{
	const struct flow *best = NULL;
	void *owner = NULL;
	int best_score = -1;

	rcu_read_lock();
	for (const struct flow *f =
		 rcu_dereference(buckets[flow_hash(proto, lport)]);
	     f; f = rcu_dereference(f->next)) {
		int s;

		if (f->proto != proto || f->lport != lport)
			continue;
		s = flow_score(f, laddr, raddr, rport, ifindex);
		if (s > best_score) {
			best = f;
			best_score = s;
		}
	}
	if (best && get(best->owner))
		owner = best->owner;
	rcu_read_unlock();
	return owner;
}

unsigned flow_lookup_all(uint8_t proto, uint32_t laddr, uint16_t lport,
			 uint32_t raddr, uint16_t rport, int ifindex,
			 bool (*get)(void *owner), void **out, unsigned max)
{
	unsigned n = 0;

	rcu_read_lock();
	for (const struct flow *f =
		 rcu_dereference(buckets[flow_hash(proto, lport)]);
	     f && n < max; f = rcu_dereference(f->next)) {
		if (f->proto != proto || f->lport != lport)
			continue;
		if (flow_score(f, laddr, raddr, rport, ifindex) >= 0 &&
		    get(f->owner))
			out[n++] = f->owner;
	}
	rcu_read_unlock();
	return n;
}

struct flow *flow_first_port(uint8_t proto, uint16_t lport)
{
	struct flow *f = buckets[flow_hash(proto, lport)];

	while (f && (f->proto != proto || f->lport != lport))
		f = f->next;
	return f;
}

struct flow *flow_next_port(struct flow *f)
{
	uint8_t proto = f->proto;
	uint16_t lport = f->lport;

	for (f = f->next; f; f = f->next)
		if (f->proto == proto && f->lport == lport)
			return f;
	return NULL;
}
