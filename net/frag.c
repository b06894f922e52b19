/*
 * IPv4 reassembly (RFC 791 3.2, with RFC 815's hole accounting).
 *
 * A datagram in progress is identified by (source, destination,
 * protocol, id) (RFC 791 3.2) and holds its fragments sorted by offset.
 * Fragments that overlap are never merged: an overlap other than an
 * exact duplicate drops the whole datagram, as RFC 5722 requires for
 * IPv6 and Linux does for IPv4 (it is the tool of fragment-overlap
 * attacks, and no honest sender produces it). Without overlaps, RFC
 * 815's hole list reduces to a count: the datagram is complete when the
 * last fragment has fixed its length and the bytes received equal it.
 *
 * Bounds against hostile senders: a datagram ends at 65535 bytes with
 * its header (RFC 791), holds at most FRAG_MAX_PIECES fragments, lives
 * FRAG_TIMEOUT_NS from its first fragment (RFC 1122 3.3.2), and all of
 * them together hold at most FRAG_MEM_MAX bytes of buffers (the oldest
 * datagrams are evicted to make room) in at most FRAG_MAX_DGRAMS.
 * Counters: ReasmReqds (fragments received), ReasmOKs, ReasmFails,
 * ReasmTimeout, as Linux.
 *
 * Everything here runs on the default path under frag_mutex; nothing is
 * sent while it is held.
 */
#include "net/net_private.h"

#include "lib/list.h"

struct frag_dgram {
	struct list age;   /* in dgrams, oldest first */
	uint32_t src, dst; /* network order */
	uint16_t id;	   /* network order */
	uint8_t proto;
	uint16_t npieces;
	uint32_t total;	    /* payload length; 0 until the last fragment */
	uint32_t received;  /* payload bytes held (no overlaps) */
	size_t mem;	    /* buffer bytes held */
	uint64_t first_ns;  /* when the first fragment came */
	struct pkt *pieces; /* by offset, through ->next; data at payload */
};

static struct mutex frag_mutex = MUTEX_INIT;
/* under frag_mutex: */
static struct list dgrams = LIST_INIT(dgrams);
static unsigned ndgrams;
static size_t mem_used;

/* A held fragment's payload offset, from its IPv4 header (l3_off; data
 * is at the payload). */
static unsigned piece_off(const struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);

	return (net_ntohs(ih->frag) & IP_OFFMASK) * 8u;
}

static size_t pkt_mem(const struct pkt *p)
{
	return sizeof(*p) + p->size;
}

static void dgram_free(struct frag_dgram *d)
{
	struct pkt *p, *next;

	for (p = d->pieces; p; p = next) {
		next = p->next;
		pkt_free(p);
	}
	mem_used -= d->mem;
	ndgrams--;
	list_remove(&d->age);
	free(d);
}

static void dgram_fail(struct frag_dgram *d)
{
	NET_INC(ip_reasm_fails);
	dgram_free(d);
}

static struct frag_dgram *dgram_find(const struct ip_hdr *ih)
{
	list_for_each(it, &dgrams)
	{
		struct frag_dgram *d = container_of(it, struct frag_dgram, age);

		if (d->id == ih->id && d->src == ih->src && d->dst == ih->dst &&
		    d->proto == ih->proto)
			return d;
	}
	return NULL;
}

/* Drops the datagrams past their time; returns the first fragments of
 * those that had one (through ->next), for the ICMP time exceeded that
 * RFC 1122 3.3.2 asks for, to be sent once frag_mutex is let go. */
static struct pkt *expire_locked(uint64_t now_ns)
{
	struct pkt *firsts = NULL;

	while (!list_empty(&dgrams)) {
		struct frag_dgram *d =
		    container_of(dgrams.next, struct frag_dgram, age);
		struct pkt *first = d->pieces;

		if (now_ns - d->first_ns < FRAG_TIMEOUT_NS)
			break;
		NET_INC(ip_reasm_timeout);
		if (first && piece_off(first) == 0) {
			d->pieces = first->next;
			d->mem -= pkt_mem(first);
			mem_used -= pkt_mem(first);
			first->next = firsts;
			firsts = first;
		}
		dgram_fail(d);
	}
	return firsts;
}

static void report_expired(struct pkt *firsts)
{
	while (firsts) {
		struct pkt *p = firsts;

		firsts = p->next;
		p->next = NULL;
		icmp_send_error(p, ICMP_TIME_EXCEEDED, ICMP_FRAG_TIMEOUT, 0);
		pkt_free(p);
	}
}

/* Makes room for `need` more bytes and one more datagram if `new`,
 * evicting the oldest; false if it cannot (need alone is too big). */
static bool make_room(size_t need, bool new, struct frag_dgram *keep)
{
	if (need > FRAG_MEM_MAX)
		return false;
	while (mem_used + need > FRAG_MEM_MAX ||
	       (new &&ndgrams >= FRAG_MAX_DGRAMS)) {
		struct frag_dgram *old =
		    container_of(dgrams.next, struct frag_dgram, age);

		if (list_empty(&dgrams) || old == keep)
			return false;
		dgram_fail(old);
	}
	return true;
}

static struct frag_dgram *dgram_new(const struct ip_hdr *ih, uint64_t now)
{
	struct frag_dgram *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->src = ih->src;
	d->dst = ih->dst;
	d->id = ih->id;
	d->proto = ih->proto;
	d->first_ns = now;
	list_push_back(&dgrams, &d->age);
	ndgrams++;
	return d;
}

enum { PIECE_OK, PIECE_DUP, PIECE_BAD };

/* Inserts p (payload [off, end)) in order; PIECE_BAD on an overlap or a
 * length that contradicts the datagram's. */
static int piece_insert(struct frag_dgram *d, struct pkt *p, unsigned off,
			unsigned end, bool last)
{
	struct pkt **at = &d->pieces;

	if (last) {
		if ((d->total && d->total != end))
			return PIECE_BAD;
		for (struct pkt *q = d->pieces; q; q = q->next)
			if (piece_off(q) + q->len > end)
				return PIECE_BAD;
		d->total = end;
	} else if (d->total && end > d->total) {
		return PIECE_BAD;
	}
	while (*at && piece_off(*at) + (*at)->len <= off)
		at = &(*at)->next;
	if (*at && piece_off(*at) == off && (*at)->len == end - off)
		return PIECE_DUP; /* an exact copy: harmless, Linux too */
	if (*at && piece_off(*at) < end)
		return PIECE_BAD; /* RFC 5722: any overlap drops it all */
	p->next = *at;
	*at = p;
	d->npieces++;
	d->received += end - off;
	return PIECE_OK;
}

/* The whole datagram from its pieces: the first one's header (options
 * included: RFC 791 copies only some to later fragments) and the data. */
static struct pkt *dgram_assemble(struct frag_dgram *d)
{
	const struct pkt *first = d->pieces;
	const struct ip_hdr *fh =
	    (const struct ip_hdr *)(first->head + first->l3_off);
	unsigned hlen = (fh->vihl & 0xf) * 4u;
	struct pkt *p = pkt_alloc(NET_HEADROOM, hlen + d->total);
	struct ip_hdr *ih;

	if (!p)
		return NULL;
	ih = pkt_put(p, hlen);
	memcpy(ih, fh, hlen);
	for (const struct pkt *q = d->pieces; q; q = q->next)
		memcpy(pkt_put(p, q->len), q->data, q->len);
	ih->len = net_htons((uint16_t)(hlen + d->total));
	ih->frag = 0;
	ih->csum = 0;
	ih->csum = net_csum(ih, hlen);
	p->dev = first->dev;
	p->flags = first->flags & PKT_BCAST; /* no device checked the L4 sum */
	p->l3_off = (uint16_t)(p->data - p->head);
	return p;
}

/* Checks the fragment alone: false (counted) if it cannot be part of a
 * valid datagram. */
static bool piece_ok(const struct ip_hdr *ih, unsigned payload, unsigned off,
		     bool more)
{
	unsigned hlen = (ih->vihl & 0xf) * 4u;

	if (!payload && more)
		return false;
	if (more && (payload & 7))
		return false; /* RFC 791: all but the last are 8-byte units */
	return off + payload + hlen <= IP_MAXPACKET; /* the "ping of death" */
}

static struct pkt *frag_add(struct pkt *p, uint64_t now)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	unsigned hlen = (ih->vihl & 0xf) * 4u, payload = p->len - hlen;
	uint16_t frag = net_ntohs(ih->frag);
	unsigned off = (frag & IP_OFFMASK) * 8u;
	bool more = frag & IP_MF;
	struct frag_dgram *d;
	struct pkt *whole;
	int r;

	if (!piece_ok(ih, payload, off, more))
		goto out_fail;
	d = dgram_find(ih);
	if (!make_room(pkt_mem(p), !d, d))
		goto out_fail;
	if (!d && !(d = dgram_new(ih, now)))
		goto out_fail;
	pkt_pull(p, hlen);
	r = d->npieces < FRAG_MAX_PIECES
		? piece_insert(d, p, off, off + payload, !more)
		: PIECE_BAD;
	if (r != PIECE_OK)
		pkt_free(p);
	if (r == PIECE_BAD)
		dgram_fail(d);
	if (r != PIECE_OK)
		return NULL;
	d->mem += pkt_mem(p);
	mem_used += pkt_mem(p);
	if (!d->total || d->received != d->total)
		return NULL;
	whole = dgram_assemble(d);
	dgram_free(d);
	if (whole)
		NET_INC(ip_reasm_oks);
	else
		NET_INC(ip_reasm_fails);
	return whole;
out_fail:
	NET_INC(ip_reasm_fails);
	pkt_free(p);
	return NULL;
}

struct pkt *frag_input(struct pkt *p, uint64_t now_ns)
{
	struct pkt *whole, *expired;

	NET_INC(ip_reasm_reqds);
	mutex_lock(&frag_mutex);
	expired = expire_locked(now_ns);
	whole = frag_add(p, now_ns);
	mutex_unlock(&frag_mutex);
	report_expired(expired);
	return whole;
}

void frag_expire(uint64_t now_ns)
{
	struct pkt *expired;

	mutex_lock(&frag_mutex);
	expired = expire_locked(now_ns);
	mutex_unlock(&frag_mutex);
	report_expired(expired);
}

size_t frag_mem(void)
{
	return __atomic_load_n(&mem_used, __ATOMIC_RELAXED);
}

void frag_flush(void)
{
	mutex_lock(&frag_mutex);
	while (!list_empty(&dgrams))
		dgram_free(container_of(dgrams.next, struct frag_dgram, age));
	mutex_unlock(&frag_mutex);
}
