/*
 * Ethernet (RFC 894: IPv4 over Ethernet II frames) and the entry of the
 * receive path, net_rx.
 *
 * Loopback frames carry an Ethernet header too (zero addresses, type
 * IPv4), so that every interface takes the same path: one byte-order
 * check more per packet on lo, no second entry point.
 */
#include "net/net_private.h"

const uint8_t ether_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void net_drop(struct netdev *dev, struct pkt *p)
{
	if (dev)
		DEV_INC(dev, rx_dropped);
	pkt_free(p);
}

/* The link-layer destination check: ours, broadcast or multicast (which
 * the IPv4 layer then accepts or counts); other hosts' unicast frames
 * reach us only in promiscuous setups and are dropped. */
static bool ether_for_us(struct netdev *dev, struct pkt *p,
			 const struct eth_hdr *e)
{
	if (dev->flags & IFF_LOOPBACK)
		return true;
	if (!memcmp(e->dst, ether_bcast, 6)) {
		p->flags |= PKT_BCAST;
		return true;
	}
	if (e->dst[0] & 1) {
		DEV_INC(dev, rx_multicast);
		return true;
	}
	return !memcmp(e->dst, dev->mac, 6);
}

void net_rx(struct netdev *dev, struct pkt *p)
{
	const struct eth_hdr *e = (const struct eth_hdr *)p->data;
	void (*monitor)(struct netdev *, const struct pkt *) =
	    __atomic_load_n(&net_rx_monitor, __ATOMIC_ACQUIRE);

	if (monitor)
		monitor(dev, p);
	__atomic_fetch_add(&dev->stats.rx_packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dev->stats.rx_bytes, p->len, __ATOMIC_RELAXED);
	p->dev = dev;
	p->flags &= PKT_CSUM_VALID | PKT_CSUM_PARTIAL;
	if (p->len < ETH_HLEN) {
		DEV_INC(dev, rx_errors);
		pkt_free(p);
		return;
	}
	if (!ether_for_us(dev, p, e))
		return net_drop(dev, p);
	pkt_pull(p, ETH_HLEN);
	switch (net_ntohs(e->type)) {
	case ETH_P_IP:
		return ip_rx(dev, p);
	case ETH_P_ARP:
		return arp_input(dev, p);
	default:
		return net_drop(dev, p); /* Linux: rx_nohandler */
	}
}

int ether_xmit(struct netdev *dev, struct pkt *p, const uint8_t *dst,
	       uint16_t type)
{
	struct eth_hdr *e = pkt_push(p, ETH_HLEN);
	uint32_t len;

	if (!e) {
		DEV_INC(dev, tx_errors);
		pkt_free(p);
		return -ENOBUFS;
	}
	memcpy(e->dst, dst, 6);
	memcpy(e->src, dev->mac, 6);
	e->type = type;
	len = pkt_wire_len(p);
	/* Counted before xmit: the packet is the device's after it. */
	__atomic_fetch_add(&dev->stats.tx_packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dev->stats.tx_bytes, len, __ATOMIC_RELAXED);
	return dev->xmit(dev, p, net_cpu() % (dev->nqueues ? dev->nqueues : 1));
}

static bool is_broadcast_hop(struct netdev *dev, uint32_t hop)
{
	return hop == INADDR_BROADCAST ||
	       (dev->broadcast && hop == dev->broadcast);
}

int ether_output(struct netdev *dev, struct pkt *p, uint32_t next_hop)
{
	static const uint8_t zero[6];
	uint8_t mac[6];
	int r;

	if (dev->flags & IFF_LOOPBACK)
		return ether_xmit(dev, p, zero, net_htons(ETH_P_IP));
	if (is_broadcast_hop(dev, next_hop))
		return ether_xmit(dev, p, ether_bcast, net_htons(ETH_P_IP));
	if (ip_is_multicast(next_hop)) {
		/* RFC 1112 6.4: 01:00:5e + the low 23 bits of the group */
		uint32_t h = net_ntohl(next_hop);
		uint8_t m[6] = {
		    1, 0, 0x5e, (h >> 16) & 0x7f, (h >> 8) & 0xff, h & 0xff};
		return ether_xmit(dev, p, m, net_htons(ETH_P_IP));
	}
	r = arp_resolve(dev, next_hop, p, mac);
	if (r)
		return r == -EAGAIN ? 0 : r;
	return ether_xmit(dev, p, mac, net_htons(ETH_P_IP));
}
