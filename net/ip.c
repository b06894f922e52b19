/*
 * IPv4 (RFC 791) for a host (RFC 1122 3.2): header checks on input, the
 * choice between a socket's channel and the default path, delivery to
 * ICMP and UDP, and output with fragmentation.
 *
 * Input runs in the driver's receive thread without a lock until the
 * default path; every datagram dropped here is counted in the SNMP Ip
 * group (InHdrErrors, InAddrErrors, InUnknownProtos, ...).
 */
#include "net/net_private.h"

struct net_mib net_mib;

/* RFC 6864 4.1: ids of non-atomic datagrams must not repeat within a
 * datagram's lifetime for the same source, destination and protocol;
 * one counter for all of them is simplest. Atomic datagrams (DF, not
 * fragmented) take the next value too, as Linux does for sockets. */
static uint32_t ip_id_next; /* atomic */

static uint16_t ip_next_id(void)
{
	return (uint16_t)__atomic_fetch_add(&ip_id_next, 1, __ATOMIC_RELAXED);
}

static inline struct ip_hdr *ip_hdr_of(const struct pkt *p)
{
	return (struct ip_hdr *)(p->head + p->l3_off);
}

static inline unsigned ip_hlen(const struct ip_hdr *ih)
{
	return (ih->vihl & 0xf) * 4u;
}

static bool bad_header(struct pkt *p)
{
	NET_INC(ip_in_hdr_errors);
	(void)p;
	return false;
}

bool ip_header_ok(struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	unsigned hlen, total;

	if (p->len < IP_HLEN)
		return bad_header(p);
	hlen = ip_hlen(ih);
	total = net_ntohs(ih->len);
	/* RFC 791 3.1: version 4, IHL at least 5 words, within the frame */
	if ((ih->vihl >> 4) != 4 || hlen < IP_HLEN || hlen > p->len)
		return bad_header(p);
	if (total < hlen || total > p->len)
		return bad_header(p);
	/* RFC 1122 3.2.1.2: a datagram with a bad checksum is discarded */
	if (net_csum(ih, hlen) != 0)
		return bad_header(p);
	/* RFC 1122 3.2.1.3: a broadcast or multicast source is discarded.
	 * (RFC 1122 3.2.1.7: a host does not discard for a low TTL.) */
	if (ih->src == INADDR_BROADCAST || ip_is_multicast(ih->src)) {
		NET_INC(ip_in_addr_errors);
		return false;
	}
	pkt_trim(p, total); /* Ethernet pads short frames */
	p->l3_off = (uint16_t)(p->data - p->head);
	return true;
}

bool ip_for_us(struct netdev *dev, uint32_t dst)
{
	uint32_t ip = __atomic_load_n(&dev->ip, __ATOMIC_ACQUIRE);

	if (dst == INADDR_BROADCAST)
		return true;
	if (dev->flags & IFF_LOOPBACK)
		return ip_is_loopback(dst) || ip_addr_is_local(dst);
	if (!ip)
		return false; /* no address yet: broadcasts only (DHCP) */
	if (dst == ip || dst == dev->broadcast)
		return true;
	if (dst == net_htonl(0xe0000001)) /* all-hosts, RFC 1112 */
		return true;
	/* RFC 1122 3.3.4.2: the weak host model, as Linux */
	return ip_addr_is_local(dst);
}

static bool is_fragment(const struct ip_hdr *ih)
{
	return ih->frag & net_htons(IP_MF | IP_OFFMASK);
}

void ip_rx(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;

	NET_INC(ip_in_receives);
	if (!ip_header_ok(p)) {
		pkt_free(p);
		return;
	}
	if (!ip_for_us(dev, ih->dst)) {
		NET_INC(ip_in_addr_errors);
		pkt_free(p);
		return;
	}
	/* Loopback's partial checksums were never on a wire. */
	if (p->flags & PKT_CSUM_PARTIAL)
		p->flags = (p->flags & ~PKT_CSUM_PARTIAL) | PKT_CSUM_VALID;
	if (ih->proto == IPPROTO_UDP && !is_fragment(ih) &&
	    udp_rx_fast(dev, p)) {
		NET_INC(ip_in_delivers); /* handed to UDP (its channel) */
		return;
	}
	if (ih->proto == IPPROTO_TCP && !is_fragment(ih) &&
	    tcp_rx_fast(dev, p)) {
		NET_INC(ip_in_delivers); /* handed to TCP (its channel) */
		return;
	}
	ip_input_default(dev, p);
}

void ip_input_default(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;

	if (is_fragment(ih)) {
		p = frag_input(p, clock_monotonic_ns());
		if (!p)
			return;
	}
	ip_deliver(dev, p);
}

void ip_deliver(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;

	switch (ih->proto) {
	case IPPROTO_ICMP:
		NET_INC(ip_in_delivers);
		return icmp_input(dev, p);
	case IPPROTO_UDP:
		NET_INC(ip_in_delivers);
		return udp_input(dev, p);
	case IPPROTO_TCP:
		NET_INC(ip_in_delivers);
		return tcp_input_ip(dev, p);
	default:
		/* RFC 1122 3.2.2.1: protocol unreachable, not for broadcasts */
		NET_INC(ip_in_unknown_protos);
		if (!(p->flags & PKT_BCAST) && ih->dst != INADDR_BROADCAST)
			icmp_send_error(p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH,
					0);
		pkt_free(p);
	}
}

/* ---- checksums of the transport ---- */

struct pseudo_hdr {
	uint32_t src, dst;
	uint8_t zero, proto;
	uint16_t len;
} __attribute__((packed));

uint32_t ip_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	struct pseudo_hdr ph = {src, dst, 0, proto, net_htons(len)};

	return net_csum_add(0, &ph, sizeof(ph));
}

/* Fills a PKT_CSUM_PARTIAL packet's checksum in software: the field holds
 * the pseudo-header sum, so summing from csum_start covers it. */
static void csum_finish(struct pkt *p, uint8_t proto)
{
	uint8_t *start = p->head + p->csum_start;
	size_t len = p->len - (size_t)(start - p->data);
	uint16_t c = net_csum_fold(net_csum_add(0, start, len));

	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff; /* RFC 768: zero means none */
	memcpy(start + p->csum_off, &c, 2);
	p->flags &= ~PKT_CSUM_PARTIAL;
}

/* ---- output ---- */

static void ip_build(struct ip_hdr *ih, const struct ip_out *o, uint32_t src,
		     size_t total, uint16_t id, uint16_t frag)
{
	ih->vihl = 0x45;
	ih->tos = o->tos;
	ih->len = net_htons((uint16_t)total);
	ih->id = net_htons(id);
	ih->frag = net_htons(frag);
	ih->ttl = o->ttl ? o->ttl : 64; /* Linux's net.ipv4.ip_default_ttl */
	ih->proto = o->proto;
	ih->csum = 0;
	ih->src = src;
	ih->dst = o->dst;
	ih->csum = net_csum(ih, IP_HLEN);
}

/* One fragment of payload [off, off + n) of p (data at the transport). */
static struct pkt *ip_fragment_one(const struct pkt *p, const struct ip_out *o,
				   uint32_t src, size_t off, size_t n,
				   uint16_t id, bool more)
{
	struct pkt *f = pkt_alloc(NET_HEADROOM, n);
	struct ip_hdr *ih;

	if (!f)
		return NULL;
	memcpy(pkt_put(f, n), p->data + off, n);
	ih = pkt_push(f, IP_HLEN);
	ip_build(ih, o, src, IP_HLEN + n, id,
		 (uint16_t)((more ? IP_MF : 0) | (off >> 3)));
	return f;
}

/* RFC 791 3.2 (fragmentation procedure): pieces of a multiple of 8 bytes,
 * MF on all but the last. Owns p. */
static int ip_fragment(struct netdev *dev, struct pkt *p,
		       const struct ip_out *o, uint32_t src, uint32_t hop,
		       unsigned mtu)
{
	size_t chunk = (mtu - IP_HLEN) & ~7u, n;
	uint16_t id = ip_next_id();
	int r = 0;

	if (p->flags & PKT_CSUM_PARTIAL)
		csum_finish(p, o->proto);
	for (size_t off = 0; off < p->len && !r; off += n) {
		struct pkt *f;

		n = MIN(chunk, p->len - off);
		f = ip_fragment_one(p, o, src, off, n, id, off + n < p->len);
		if (!f) {
			r = -ENOBUFS;
			break;
		}
		NET_INC(ip_frag_creates);
		NET_INC(ip_out_transmits);
		r = ether_output(dev, f, hop);
	}
	if (r) {
		NET_INC(ip_frag_fails);
		NET_INC(ip_out_discards);
	} else {
		NET_INC(ip_frag_oks);
	}
	pkt_free(p);
	return r;
}

static uint32_t pick_source(struct netdev *dev, uint32_t dst)
{
	if (ip_is_loopback(dst))
		return net_htonl(0x7f000001); /* Linux: lo's address */
	if (ip_addr_is_local(dst))
		return dst;
	return __atomic_load_n(&dev->ip, __ATOMIC_ACQUIRE);
}

static unsigned ip_mtu(struct netdev *dev, uint32_t dst)
{
	unsigned mtu =
	    dev->flags & IFF_LOOPBACK && dev->mtu == 0 ? 65535 : dev->mtu;
	unsigned pmtu = icmp_path_mtu(dst);

	if (pmtu && pmtu < mtu)
		mtu = pmtu;
	return mtu < 68 ? 68 : mtu; /* RFC 791: every host takes 68 */
}

int ip_output(struct pkt *p, const struct ip_out *o)
{
	struct netdev *dev;
	uint32_t hop, src;
	unsigned mtu;
	struct ip_hdr *ih;
	int r;

	NET_INC(ip_out_requests);
	r = net_route_lookup_if(o->dst, o->bound_if, &dev, &hop);
	if (r) {
		NET_INC(ip_out_no_routes);
		goto out_free;
	}
	src = o->src ? o->src : pick_source(dev, o->dst);
	mtu = ip_mtu(dev, o->dst);
	if (p->nfrags && !netdev_takes_frags(dev)) {
		p = pkt_linearize(p); /* a route to a device that copies */
		r = -ENOBUFS;
		if (!p)
			goto out_count;
	}
	r = -EMSGSIZE;
	if (pkt_wire_len(p) + IP_HLEN > IP_MAXPACKET)
		goto out_free;
	if (pkt_wire_len(p) + IP_HLEN > mtu &&
	    !((p->flags & PKT_GSO_TCP4) && (dev->features & NETDEV_F_TSO4))) {
		if (o->df)
			goto out_free;
		if (!(p = pkt_linearize(p)))
			return -ENOBUFS;
		return ip_fragment(dev, p, o, src, hop, mtu);
	}
	if ((p->flags & PKT_CSUM_PARTIAL) &&
	    !(dev->features & NETDEV_F_TX_CSUM))
		csum_finish(p, o->proto);
	ih = pkt_push(p, IP_HLEN);
	if (!ih) {
		r = -ENOBUFS;
		goto out_free;
	}
	ip_build(ih, o, src, pkt_wire_len(p), ip_next_id(),
		 o->set_df ? IP_DF : 0);
	NET_INC(ip_out_transmits);
	return ether_output(dev, p, hop);
out_free:
	pkt_free(p);
out_count:
	NET_INC(ip_out_discards);
	return r;
}

/* The stack's periodic work (net/sockwait.c's thread, ~twice a second). */
void net_tick(uint64_t now_ns)
{
	arp_tick(now_ns);
	frag_expire(now_ns);
	tcp_tick(now_ns);
}
