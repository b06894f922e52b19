/*
 * The loopback interface "lo": 127.0.0.1/8, IFF_LOOPBACK, and what the
 * stack sends to its own addresses.
 *
 * xmit does not call net_rx nested in whatever the sender is doing: the
 * sender may be in the middle of the stack (an ICMP error sent from the
 * receive path, an echo reply), and replies to replies would recurse.
 * It appends the frame to lo's queue instead; a sender that finds nobody
 * draining becomes the drainer and feeds net_rx until the queue is
 * empty, so frames sent meanwhile (by itself, nested, or by others) are
 * taken by the same loop, iteratively. lo_mutex guards only the queue
 * and the `draining` flag and is never held across net_rx, so a nested
 * xmit takes it freely; no other net/ mutex is held by the stack across
 * xmit (net_private.h), so a drainer holds none of them either.
 *
 * lo's MTU is 65536, as Linux's, so no IPv4 datagram is ever fragmented
 * on it unless a test lowers it.
 * It advertises NETDEV_F_TX_CSUM: partial checksums are never filled,
 * and the receive side trusts them (ip_rx turns them into VALID).
 */
#include "net/net_private.h"

#define LO_QUEUE_BYTES (8u << 20)

struct netdev *net_lo;
static struct netdev lo_dev;
static struct mutex lo_mutex = MUTEX_INIT;
/* under lo_mutex: */
static struct pkt *lo_head, **lo_tail = &lo_head;
static size_t lo_bytes;
static bool draining;

static struct pkt *lo_take(void)
{
	struct pkt *p = lo_head;

	if (p) {
		lo_head = p->next;
		if (!lo_head)
			lo_tail = &lo_head;
		lo_bytes -= p->len;
		p->next = NULL;
	}
	return p;
}

static int lo_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	(void)q;
	mutex_lock(&lo_mutex);
	if (lo_bytes + p->len > LO_QUEUE_BYTES) {
		mutex_unlock(&lo_mutex);
		DEV_INC(dev, tx_dropped);
		pkt_free(p);
		return -ENOBUFS;
	}
	p->next = NULL;
	*lo_tail = p;
	lo_tail = &p->next;
	lo_bytes += p->len;
	if (draining) {
		mutex_unlock(&lo_mutex);
		return 0; /* the drainer takes it */
	}
	draining = true;
	while ((p = lo_take())) {
		mutex_unlock(&lo_mutex);
		net_rx(&lo_dev, p);
		mutex_lock(&lo_mutex);
	}
	draining = false;
	mutex_unlock(&lo_mutex);
	return 0;
}

int net_loopback_init(void)
{
	int r;

	if (net_lo)
		return 0;
	memcpy(lo_dev.name, "lo", 3);
	lo_dev.mtu = 65536;
	lo_dev.features = NETDEV_F_TX_CSUM | NETDEV_F_RX_CSUM;
	lo_dev.xmit = lo_xmit;
	lo_dev.flags = IFF_LOOPBACK; /* netdev_register adds UP, RUNNING */
	r = netdev_register(&lo_dev);
	if (r)
		return r;
	net_lo = &lo_dev;
	r = net_if_set_addr(&lo_dev, net_htonl(0x7f000001), 8);
	if (r)
		return r;
	return net_ipv4_init();
}
