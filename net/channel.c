/*
 * Net channels: an intrusive multi-producer, single-consumer queue of
 * packets (Dmitry Vyukov's non-intrusive MPSC node queue, made intrusive
 * with a stub node), bounded in bytes.
 *
 * The protocol. The queue is a singly linked list from `head` (the
 * consumer's alone) to `tail` (shared), linked through pkt->next. It is
 * never empty of nodes: `stub`, a struct pkt inside the channel with no
 * data, stands in when no packet is queued.
 *
 *   push(p)   p->next = NULL;                     (p is still private)
 *             prev = exchange(&tail, p);          (acq_rel: the one point
 *                                                  where producers order)
 *             store_release(&prev->next, p);      (links p in)
 *
 * A producer writes only `tail` (by the exchange) and the `next` of the
 * node it displaced, which no other producer can also displace: each
 * exchange returns a distinct predecessor. The release store of
 * prev->next publishes p's contents (its data and length) to the
 * consumer, which reads next with acquire loads.
 *
 *   pop()     walks from head; the stub is skipped (and re-pushed when
 *             the last packet is taken, so that the packet can leave the
 *             list without the list running dry).
 *
 * A push half-way, between its exchange and its link store, leaves the
 * list cut: tail is already p but prev->next is still NULL, so the
 * consumer cannot reach p (nor anything pushed after it). pop then
 * returns NULL as if the channel were empty; it never blocks or spins.
 * That is safe because the producer notifies the consumer's waiters only
 * after its link store (net_rx: push, then wake): the consumer looks
 * again after that notification and finds p. A producer preempted in the
 * middle delays only the packets behind it, never corrupts the list.
 *
 * The byte bound: `bytes` counts the buffer bytes queued (p->size, not
 * p->len: a tiny datagram in a 2 KiB receive buffer holds the buffer,
 * so a flood of small packets is bounded by the memory it pins, like
 * Linux's truesize). A producer adds its packet's size first (fetch_add) and,
 * if the sum passes `limit`, takes it back and refuses the packet (counted in
 * `drops`); the consumer subtracts what it pops. Several producers may briefly
 * overshoot together by less than one packet each before they take theirs back,
 * so the queue never holds more than limit bytes plus one packet per racing
 * producer, and a lone packet larger than limit is refused.
 *
 * Consumer: one thread at a time (the socket's lock serializes its
 * readers, pollers and the release that drains it).
 */
#include "net/net_private.h"

void netchan_init(struct netchan *c, uint64_t limit)
{
	memset(c, 0, sizeof(*c));
	c->head = &c->stub;
	c->tail = &c->stub;
	c->limit = limit;
}

/* The link step of push; also used to put the stub back. */
static void chan_link(struct netchan *c, struct pkt *p)
{
	struct pkt *prev;

	__atomic_store_n(&p->next, NULL, __ATOMIC_RELAXED);
	prev = __atomic_exchange_n(&c->tail, p, __ATOMIC_ACQ_REL);
	__atomic_store_n(&prev->next, p, __ATOMIC_RELEASE);
}

bool netchan_push(struct netchan *c, struct pkt *p)
{
	uint64_t was = __atomic_fetch_add(&c->bytes, p->size, __ATOMIC_RELAXED);

	if (was + p->size > c->limit) {
		__atomic_fetch_sub(&c->bytes, p->size, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->drops, 1, __ATOMIC_RELAXED);
		return false;
	}
	chan_link(c, p);
	return true;
}

/* Takes `p` off the front: its successor becomes the head. */
static struct pkt *chan_take(struct netchan *c, struct pkt *p, struct pkt *next)
{
	c->head = next;
	__atomic_fetch_sub(&c->bytes, p->size, __ATOMIC_RELAXED);
	p->next = NULL;
	return p;
}

struct pkt *netchan_pop(struct netchan *c)
{
	struct pkt *head = c->head;
	struct pkt *next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);

	if (head == &c->stub) {
		if (!next)
			return NULL; /* empty, or the first push half-way */
		c->head = next;
		head = next;
		next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
	}
	if (next)
		return chan_take(c, head, next);
	/* head is the last node we can see. If it is not the tail, a push
	 * is half-way after it: come back after its notification. */
	if (head != __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE))
		return NULL;
	/* Put the stub behind head so that head can leave the list. */
	chan_link(c, &c->stub);
	next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
	if (next)
		return chan_take(c, head, next);
	return NULL; /* a producer got between head and the stub */
}

void netchan_drain(struct netchan *c)
{
	struct pkt *p;

	while ((p = netchan_pop(c)))
		pkt_free(p);
}

bool netchan_empty(const struct netchan *c)
{
	const struct pkt *head = c->head;

	return head == &c->stub &&
	       !__atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
}
