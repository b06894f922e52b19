/*
 * ICMP (RFC 792) for a host (RFC 1122 3.2.2): echo replies, the errors we
 * send (port and protocol unreachable, fragmentation needed), and the
 * errors we receive: fragmentation needed records a path MTU (RFC 1191),
 * unreachables reach connected UDP sockets as Linux reports them.
 *
 * Errors sent are limited by a token bucket (Linux's icmp_msgs_per_sec
 * 1000 with a burst of 50), so that a flood of datagrams to closed ports
 * cannot make us flood back; echo replies are not limited (as Linux).
 */
#include "net/net_private.h"

#define ICMP_RATE_PER_S 1000
#define ICMP_BURST 50
#define ICMP_ERR_QUOTE 548 /* 576 - IPv4 - ICMP: RFC 1812 4.3.2.3 */
#define PMTU_SLOTS 16
#define PMTU_EXPIRE_NS (600ull * 1000000000) /* Linux's mtu_expires */

static struct mutex icmp_mutex = MUTEX_INIT;
static uint64_t tokens_ns; /* under icmp_mutex: the bucket, as time */

/* Path MTUs learnt: (dst << 16 | mtu) and expiry per slot, each word
 * atomic; written under icmp_mutex, read without a lock on every send
 * (a torn pair only makes one send use a stale hint). */
static uint64_t pmtu_key[PMTU_SLOTS], pmtu_expires[PMTU_SLOTS];
static unsigned pmtu_used; /* atomic: slots ever written */

static bool icmp_rate_ok(void)
{
	const uint64_t cost = 1000000000ull / ICMP_RATE_PER_S;
	uint64_t now = clock_monotonic_ns();
	bool ok;

	mutex_lock(&icmp_mutex);
	if (now - tokens_ns > cost * ICMP_BURST || !tokens_ns)
		tokens_ns = now - cost * ICMP_BURST;
	ok = now - tokens_ns >= cost;
	if (ok)
		tokens_ns += cost;
	mutex_unlock(&icmp_mutex);
	if (!ok)
		NET_INC(icmp_out_rate_limit);
	return ok;
}

static int icmp_send(struct pkt *p, uint32_t src, uint32_t dst)
{
	struct icmp_hdr *ic = (struct icmp_hdr *)p->data;
	struct ip_out o = {.src = src, .dst = dst, .proto = IPPROTO_ICMP};
	int r;

	ic->csum = 0;
	ic->csum = net_csum(p->data, p->len);
	NET_INC(icmp_out_msgs);
	NET_INC(icmp_out_type[ic->type]);
	r = ip_output(p, &o);
	if (r)
		NET_INC(icmp_out_errors);
	return r;
}

/* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast,
 * a non-initial fragment, or from a source that is not one host. */
static bool may_answer(const struct pkt *orig, const struct ip_hdr *ih)
{
	const uint8_t *l4 = (const uint8_t *)ih + (ih->vihl & 0xf) * 4u;

	if ((orig->flags & PKT_BCAST) || ih->dst == INADDR_BROADCAST ||
	    ip_is_multicast(ih->dst) || !ih->src ||
	    ih->src == INADDR_BROADCAST || ip_is_multicast(ih->src))
		return false;
	if (ih->frag & net_htons(IP_OFFMASK))
		return false;
	if (orig->dev && ih->dst == orig->dev->broadcast)
		return false;
	if (ih->proto == IPPROTO_ICMP) {
		uint8_t t = l4[0]; /* the header is whole: it was checked */

		return t == ICMP_ECHO || t == ICMP_ECHOREPLY || t == 13 ||
		       t == 14 || t == 15 || t == 16 || t == 17 || t == 18;
	}
	return true;
}

void icmp_send_error(const struct pkt *orig, uint8_t type, uint8_t code,
		     uint16_t info)
{
	const struct ip_hdr *ih =
	    (const struct ip_hdr *)(orig->head + orig->l3_off);
	size_t quote = MIN((size_t)net_ntohs(ih->len), ICMP_ERR_QUOTE);
	struct icmp_hdr *ic;
	struct pkt *p;

	if (!may_answer(orig, ih) || !icmp_rate_ok())
		return;
	p = pkt_alloc(NET_HEADROOM, sizeof(*ic) + quote);
	if (!p) {
		NET_INC(icmp_out_errors);
		return;
	}
	ic = pkt_put(p, sizeof(*ic));
	*ic = (struct icmp_hdr){.type = type, .code = code};
	ic->seq = net_htons(info); /* RFC 1191: the next-hop MTU */
	memcpy(pkt_put(p, quote), ih, quote);
	/* From the address it was sent to, when that is ours (RFC 1812
	 * 4.3.2.4 for routers; hosts do the same) */
	icmp_send(p,
		  ip_addr_is_local(ih->dst) || ip_is_loopback(ih->dst) ? ih->dst
								       : 0,
		  ih->src);
}

/* ---- path MTU (RFC 1191) ---- */

unsigned icmp_path_mtu(uint32_t dst)
{
	unsigned n = __atomic_load_n(&pmtu_used, __ATOMIC_ACQUIRE);
	uint64_t now;

	if (!n)
		return 0;
	now = clock_monotonic_ns();
	for (unsigned i = 0; i < n && i < PMTU_SLOTS; i++) {
		uint64_t k = __atomic_load_n(&pmtu_key[i], __ATOMIC_RELAXED);

		if ((uint32_t)(k >> 16) == dst &&
		    now < __atomic_load_n(&pmtu_expires[i], __ATOMIC_RELAXED))
			return (unsigned)(k & 0xffff);
	}
	return 0;
}

static void pmtu_record(uint32_t dst, unsigned mtu)
{
	uint64_t now = clock_monotonic_ns();
	unsigned n, slot = 0;

	mutex_lock(&icmp_mutex);
	n = pmtu_used;
	for (unsigned i = 0; i < n; i++) {
		if ((uint32_t)(pmtu_key[i] >> 16) == dst ||
		    pmtu_expires[i] <= now) {
			slot = i;
			goto store;
		}
		if (pmtu_expires[i] < pmtu_expires[slot])
			slot = i;
	}
	if (n < PMTU_SLOTS)
		slot = n;
store:
	__atomic_store_n(&pmtu_key[slot], (uint64_t)dst << 16 | mtu,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&pmtu_expires[slot], now + PMTU_EXPIRE_NS,
			 __ATOMIC_RELAXED);
	if (slot == n)
		__atomic_store_n(&pmtu_used, n + 1, __ATOMIC_RELEASE);
	mutex_unlock(&icmp_mutex);
}

/* ---- input ---- */

/* Linux's icmp_err_convert for the errors it reports to a connected UDP
 * socket without IP_RECVERR (the "fatal" ones); 0: not reported. */
static int unreach_errno(uint8_t code)
{
	switch (code) {
	case ICMP_PROT_UNREACH:
		return ENOPROTOOPT;
	case ICMP_PORT_UNREACH:
		return ECONNREFUSED;
	case ICMP_FRAG_NEEDED:
		return EMSGSIZE;
	case 5: /* source route failed */
		return EOPNOTSUPP;
	case 9:	 /* network administratively prohibited */
	case 10: /* host administratively prohibited */
		return EACCES;
	case 13: /* communication administratively prohibited */
		return EHOSTUNREACH;
	default:
		return 0;
	}
}

/* An error about one of our datagrams: `ic` and len bytes after it. */
static void icmp_error_in(const struct icmp_hdr *ic, size_t len,
			  uint32_t offender)
{
	const struct ip_hdr *inner = (const struct ip_hdr *)(ic + 1);
	unsigned ihl;
	int err;

	if (len < sizeof(*ic) + IP_HLEN)
		goto bad;
	ihl = (inner->vihl & 0xf) * 4u;
	if ((inner->vihl >> 4) != 4 || ihl < IP_HLEN ||
	    len < sizeof(*ic) + ihl + 8)
		goto bad; /* RFC 792: the header and 64 bits of data */
	if (ic->type != ICMP_DEST_UNREACH)
		return; /* time exceeded, parameter problem: not reported */
	if (ic->code == ICMP_FRAG_NEEDED) {
		unsigned mtu = net_ntohs(ic->seq);

		if (mtu < 68)
			goto bad;
		pmtu_record(inner->dst, mtu);
	}
	err = unreach_errno(ic->code);
	if (err && inner->proto == IPPROTO_UDP)
		udp_icmp_error(inner, len - sizeof(*ic), err, ic, offender);
	return;
bad:
	NET_INC(icmp_in_errors);
}

static void icmp_echo(struct pkt *p, const struct ip_hdr *ih)
{
	struct pkt *r = pkt_alloc(NET_HEADROOM, p->len);
	struct icmp_hdr *ic;

	if (!r) {
		NET_INC(icmp_out_errors);
		return;
	}
	ic = pkt_put(r, p->len);
	memcpy(ic, p->data, p->len);
	ic->type = ICMP_ECHOREPLY;
	icmp_send(r, ih->dst, ih->src); /* RFC 792: addresses reversed */
}

void icmp_input(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	const struct icmp_hdr *ic;

	(void)dev;
	pkt_pull(p, (ih->vihl & 0xf) * 4u);
	ic = (const struct icmp_hdr *)p->data;
	NET_INC(icmp_in_msgs);
	if (p->len < sizeof(*ic)) {
		NET_INC(icmp_in_errors);
		goto out;
	}
	if (net_csum(p->data, p->len) != 0) {
		NET_INC(icmp_in_csum_errors);
		NET_INC(icmp_in_errors);
		goto out;
	}
	NET_INC(icmp_in_type[ic->type]);
	if (ic->type == ICMP_ECHO) {
		/* Linux's icmp_echo_ignore_broadcasts = 1 */
		if (!(p->flags & PKT_BCAST) && ih->dst != INADDR_BROADCAST &&
		    ih->dst != dev->broadcast && !ip_is_multicast(ih->dst))
			icmp_echo(p, ih);
	} else if (ic->type == ICMP_DEST_UNREACH ||
		   ic->type == ICMP_TIME_EXCEEDED ||
		   ic->type == ICMP_PARAMPROB) {
		icmp_error_in(ic, p->len, ih->src);
	}
out:
	pkt_free(p);
}
