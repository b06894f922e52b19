/*
 * STAND-IN, deleted at the merge: the parts of the IPv4 stack that the
 * configuration calls (net_loopback_init, the address and route table,
 * /proc/net/snmp and /proc/net/arp), written by the ipv4 helper. These
 * keep just enough state for net/config.c, net/procnet.c and their
 * tests on this branch: a loopback interface that drops what it is
 * given, addresses stored on the interface, a small route table.
 */
#include "kernel/kernel.h"
#include "net/net_private.h"

#define STUB_ROUTES 8

static struct mutex stub_lock = MUTEX_INIT;
static struct net_route routes[STUB_ROUTES]; /* under stub_lock */
static unsigned nroutes;
static uint32_t gateway;

static int lo_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	__atomic_fetch_add(&dev->stats.tx_packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dev->stats.tx_bytes, p->len, __ATOMIC_RELAXED);
	pkt_free(p);
	return 0;
}

static struct netdev lo = {
    .name = "lo",
    .mtu = 65535,
    .xmit = lo_xmit,
    .flags = IFF_LOOPBACK,
};

static uint32_t mask_of(unsigned prefix)
{
	return net_htonl(prefix ? ~0u << (32 - prefix) : 0);
}

/* Under stub_lock: drops dev's routes of kind `gw` (gateway or on-link). */
static void routes_drop(struct netdev *dev, bool gw)
{
	unsigned j = 0;

	for (unsigned i = 0; i < nroutes; i++)
		if (routes[i].dev != dev || !!routes[i].gateway != gw)
			routes[j++] = routes[i];
	nroutes = j;
}

static void route_add(uint32_t dst, uint32_t mask, uint32_t gw,
		      struct netdev *dev)
{
	if (nroutes < STUB_ROUTES)
		routes[nroutes++] = (struct net_route){dst, mask, gw, dev};
}

int net_if_set_addr(struct netdev *dev, uint32_t ip, unsigned prefix)
{
	uint32_t mask = mask_of(prefix);

	if (prefix > 32)
		return -EINVAL;
	mutex_lock(&stub_lock);
	dev->ip = ip;
	dev->netmask = ip ? mask : 0;
	dev->broadcast = ip ? ip | ~mask : 0;
	routes_drop(dev, false);
	if (ip)
		route_add(ip & mask, mask, 0, dev);
	mutex_unlock(&stub_lock);
	return 0;
}

int net_set_gateway(uint32_t gw)
{
	struct netdev *dev = NULL;

	mutex_lock(&stub_lock);
	for (unsigned i = 0; i < nroutes; i++)
		if (!routes[i].gateway &&
		    (gw & routes[i].mask) == routes[i].dst)
			dev = routes[i].dev;
	if (gw && !dev) {
		mutex_unlock(&stub_lock);
		return -ENETUNREACH;
	}
	for (unsigned i = 0; i < nroutes; i++)
		if (routes[i].gateway)
			routes_drop(routes[i].dev, true);
	gateway = gw;
	if (gw)
		route_add(0, 0, gw, dev);
	mutex_unlock(&stub_lock);
	return 0;
}

uint32_t net_gateway(void)
{
	return __atomic_load_n(&gateway, __ATOMIC_RELAXED);
}

unsigned net_routes(struct net_route *out, unsigned max)
{
	unsigned n;

	mutex_lock(&stub_lock);
	n = MIN(nroutes, max);
	memcpy(out, routes, n * sizeof(*out));
	mutex_unlock(&stub_lock);
	return n;
}

int net_loopback_init(void)
{
	int err = netdev_register(&lo);

	if (!err)
		err = net_if_set_addr(&lo, net_htonl(0x7f000001), 8);
	return err;
}

int net_proc_snmp(char *buf, size_t size)
{
	return snprintf(buf, size, "Ip: Forwarding DefaultTTL\nIp: 2 64\n");
}

int net_proc_arp(char *buf, size_t size)
{
	return snprintf(buf, size,
			"IP address       HW type     Flags       HW address"
			"            Mask     Device\n");
}
