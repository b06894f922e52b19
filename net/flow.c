/*
 * The flow table: from a received datagram's protocol, addresses and
 * ports to the socket that takes it, looked up by net_rx without a lock.
 *
 * Three sets of chains, as Linux's established, listening and bind hashes:
 *  - exact flows (local address, remote address and remote port all set:
 *    a TCP connection, a connected UDP socket) hang in `ehash`, hashed on
 *    the whole 4-tuple with a keyed SipHash, so that a server's thousands
 *    of connections on one port spread over many chains and a peer cannot
 *    choose its ports to pile them onto one;
 *  - every other flow (listeners, bound and wildcard sockets) hangs in
 *    `lhash`, hashed on (protocol, local port);
 *  - every flow also hangs in `bhash` by (protocol, local port), walked
 *    only under flow_mutex by bind's conflict checks (flow_first_port).
 * A lookup tries ehash first: an exact match scores more than any flow in
 * lhash can (one of its three fields is a wildcard), so taking it at once
 * gives what walking one chain of all candidates and keeping the most
 * specific (Linux's compute_score) gave. Only when it finds none does it
 * walk the port's lhash chain.
 *
 * Concurrency: ehash and lhash chains are singly linked lists published
 * with release stores (rcu_assign_pointer) under flow_mutex and read under
 * rcu_read_lock with acquire loads; a removed entry stays readable until a
 * grace period has passed (call_rcu frees it), so a reader that found it
 * may still look at it and its owner. Entries are never changed once
 * added (a socket that connects adds a new entry and removes its old one).
 * bhash links (`bnext`) are read and written under flow_mutex only. The
 * owner's lifetime is the protocol's: the lookup calls `get` inside the
 * read section to take a reference, and the protocol frees its socket no
 * earlier than a grace period after its last reference went (net/udp.c).
 * The hash key is set once by flow_init, before any flow exists.
 */
#include "net/net_private.h"

#define PORT_BUCKETS 256
#define EXACT_BUCKETS 1024 /* a power of two */

static struct mutex flow_mutex = MUTEX_INIT;
static struct flow *lhash[PORT_BUCKETS];  /* rcu; under flow_mutex */
static struct flow *ehash[EXACT_BUCKETS]; /* rcu; under flow_mutex */
static struct flow *bhash[PORT_BUCKETS];  /* under flow_mutex only */
static uint8_t ehash_key[16];		  /* set by flow_init */

void flow_init(void)
{
	for (int i = 0; i < 16; i += 4) {
		uint32_t r = net_random();

		memcpy(ehash_key + i, &r, 4);
	}
}

static unsigned port_hash(uint8_t proto, uint16_t lport)
{
	uint32_t h = (uint32_t)proto << 16 | lport;

	h *= 0x9e3779b1u; /* Fibonacci hashing: the high bits mix best */
	return h >> 24;
}

static unsigned exact_hash(uint8_t proto, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	uint32_t m[4] = {laddr, raddr, (uint32_t)lport << 16 | rport, proto};

	return siphash24(ehash_key, m, sizeof(m)) & (EXACT_BUCKETS - 1);
}

static bool flow_exact(const struct flow *f)
{
	return f->laddr && f->raddr && f->rport;
}

/* The lookup chain f belongs in. */
static struct flow **flow_chain(const struct flow *f)
{
	if (flow_exact(f))
		return &ehash[exact_hash(f->proto, f->laddr, f->lport,
					 f->raddr, f->rport)];
	return &lhash[port_hash(f->proto, f->lport)];
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
	struct flow **chain = flow_chain(f);
	struct flow **bind = &bhash[port_hash(f->proto, f->lport)];

	f->bnext = *bind;
	*bind = f;
	f->next = *chain;
	rcu_assign_pointer(*chain, f);
}

static void flow_free(struct rcu_head *h)
{
	free(container_of(h, struct flow, rcu));
}

void flow_remove(struct flow *f)
{
	struct flow **at = flow_chain(f);

	while (*at && *at != f)
		at = &(*at)->next;
	if (*at)
		rcu_assign_pointer(*at, f->next); /* f->next stays valid */
	at = &bhash[port_hash(f->proto, f->lport)];
	while (*at && *at != f)
		at = &(*at)->bnext;
	if (*at)
		*at = f->bnext;
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

/* What a received datagram is looked up by. */
struct flow_key {
	uint8_t proto;
	uint16_t lport, rport;
	uint32_t laddr, raddr;
	int ifindex;
};

/* The chain an exact flow for k would be in; NULL if k cannot have one. */
static struct flow *const *key_exact_chain(const struct flow_key *k)
{
	if (!k->laddr || !k->raddr || !k->rport)
		return NULL;
	return &ehash[exact_hash(k->proto, k->laddr, k->lport, k->raddr,
				 k->rport)];
}

/* f's score for k, -1 when it does not match at all. */
static int key_score(const struct flow *f, const struct flow_key *k)
{
	if (f->proto != k->proto || f->lport != k->lport)
		return -1;
	return flow_score(f, k->laddr, k->raddr, k->rport, k->ifindex);
}

/* The most specific match in one chain, or NULL; in a read section. */
static const struct flow *chain_best(struct flow *const *chain,
				     const struct flow_key *k)
{
	const struct flow *best = NULL;
	int best_score = -1;

	for (const struct flow *f = rcu_dereference(*chain); f;
	     f = rcu_dereference(f->next)) {
		int s = key_score(f, k);

		if (s > best_score) {
			best = f;
			best_score = s;
		}
	}
	return best;
}

void *flow_lookup(uint8_t proto, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport, int ifindex, bool (*get)(void *owner))
{
	struct flow_key k = {proto, lport, rport, laddr, raddr, ifindex};
	struct flow *const *exact = key_exact_chain(&k);
	const struct flow *best = NULL;
	void *owner = NULL;

	rcu_read_lock();
	if (exact)
		best = chain_best(exact, &k);
	if (!best)
		best = chain_best(&lhash[port_hash(proto, lport)], &k);
	if (best && get(best->owner))
		owner = best->owner;
	rcu_read_unlock();
	return owner;
}

/* Adds chain's matches to out[*n..max); in a read section. */
static void chain_all(struct flow *const *chain, const struct flow_key *k,
		      bool (*get)(void *owner), void **out, unsigned *n,
		      unsigned max)
{
	for (const struct flow *f = rcu_dereference(*chain); f && *n < max;
	     f = rcu_dereference(f->next))
		if (key_score(f, k) >= 0 && get(f->owner))
			out[(*n)++] = f->owner;
}

unsigned flow_lookup_all(uint8_t proto, uint32_t laddr, uint16_t lport,
			 uint32_t raddr, uint16_t rport, int ifindex,
			 bool (*get)(void *owner), void **out, unsigned max)
{
	struct flow_key k = {proto, lport, rport, laddr, raddr, ifindex};
	struct flow *const *exact = key_exact_chain(&k);
	unsigned n = 0;

	rcu_read_lock();
	if (exact)
		chain_all(exact, &k, get, out, &n, max);
	chain_all(&lhash[port_hash(proto, lport)], &k, get, out, &n, max);
	rcu_read_unlock();
	return n;
}

struct flow *flow_first_port(uint8_t proto, uint16_t lport)
{
	struct flow *f = bhash[port_hash(proto, lport)];

	while (f && (f->proto != proto || f->lport != lport))
		f = f->bnext;
	return f;
}

struct flow *flow_next_port(struct flow *f)
{
	uint8_t proto = f->proto;
	uint16_t lport = f->lport;

	for (f = f->bnext; f; f = f->bnext)
		if (f->proto == proto && f->lport == lport)
			return f;
	return NULL;
}
