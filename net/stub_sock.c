/*
 * STAND-IN (the socket helper's, deleted at merge): a loopback interface
 * "lo" with 127.0.0.1/8 so that the socket layer's netlink dumps and
 * interface ioctls have something to show in this branch, and net_routes
 * with no routes. The IPv4 helper's net/ files provide the real ones.
 */
#include "net/net.h"

static int stub_lo_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	__atomic_fetch_add(&dev->stats.tx_dropped, 1, __ATOMIC_RELAXED);
	pkt_free(p);
	return -ENOBUFS;
}

static struct netdev stub_lo = {
    .name = "lo",
    .mtu = 0, /* 65536 */
    .xmit = stub_lo_xmit,
};

static int stub_lo_init(void)
{
	stub_lo.ip = net_htonl(0x7f000001);
	stub_lo.netmask = net_htonl(0xff000000);
	return netdev_register(&stub_lo);
}
INIT_STEP(59, stub_lo_init);

unsigned net_routes(struct net_route *out, unsigned max)
{
	return 0;
}
