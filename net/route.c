/*
 * The IPv4 routing table: an on-link route per configured interface and
 * one default route through the gateway (RFC 1122 3.3.1: a host sends to
 * a destination on a directly connected network itself, everything else
 * to a gateway).
 *
 * The table is an immutable array published through an RCU pointer: a
 * lookup (every send) reads it without a lock; a change (an address or
 * gateway set, rare) copies it under route_mutex, publishes the copy
 * and frees the old one with call_rcu. Destinations that are our own
 * addresses go through lo, as Linux's local table sends them.
 */
#include "net/net_private.h"

#define ROUTES_MAX 32

struct route_table {
	struct rcu_head rcu;
	unsigned n;
	struct net_route r[ROUTES_MAX];
};

static struct mutex route_mutex = MUTEX_INIT;
static struct route_table *routes; /* rcu; written under route_mutex */
static uint32_t gateway;	   /* under route_mutex; read racily */

/* A contiguous netmask's length (no popcount: -mgeneral-regs-only
 * builds call libgcc for it). */
static unsigned prefix_len(uint32_t mask)
{
	uint32_t h = net_ntohl(mask);

	return h ? 32u - (unsigned)__builtin_ctz(h) : 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix ? net_htonl(~0u << (32 - prefix)) : 0;
}

/* The longest matching prefix in t (under rcu_read_lock). */
static const struct net_route *route_match(const struct route_table *t,
					   uint32_t dst, int bound_if)
{
	const struct net_route *best = NULL;

	for (unsigned i = 0; t && i < t->n; i++) {
		const struct net_route *r = &t->r[i];

		if ((dst & r->mask) != r->dst)
			continue;
		if (bound_if && r->dev->ifindex != bound_if)
			continue;
		if (!best || prefix_len(r->mask) > prefix_len(best->mask))
			best = r;
	}
	return best;
}

/* 255.255.255.255 without a route: the bound interface, or the first
 * one that is not loopback (a DHCP client before it has an address). */
static struct netdev *broadcast_dev(int bound_if)
{
	if (bound_if)
		return netdev_by_index(bound_if);
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (!(d->flags & IFF_LOOPBACK))
			return d;
	return NULL;
}

int net_route_lookup_if(uint32_t dst, int bound_if, struct netdev **dev,
			uint32_t *next_hop)
{
	const struct net_route *r;
	int err = 0;

	if (ip_addr_is_local(dst) && net_lo && !bound_if) {
		*dev = net_lo;
		*next_hop = dst;
		return 0;
	}
	rcu_read_lock();
	r = route_match(rcu_dereference(routes), dst, bound_if);
	if (r) {
		*dev = r->dev;
		*next_hop = r->gateway ? r->gateway : dst;
	} else if (dst == INADDR_BROADCAST &&
		   (*dev = broadcast_dev(bound_if))) {
		*next_hop = dst;
	} else {
		err = -ENETUNREACH;
	}
	rcu_read_unlock();
	return err;
}

int net_route_lookup(uint32_t dst, struct netdev **dev, uint32_t *next_hop)
{
	return net_route_lookup_if(dst, 0, dev, next_hop);
}

static void table_free(struct rcu_head *h)
{
	free(container_of(h, struct route_table, rcu));
}

/* A copy of the table without the routes `drop` says to drop, under
 * route_mutex; NULL when out of memory. */
static struct route_table *table_copy(bool (*drop)(const struct net_route *,
						   const void *),
				      const void *arg)
{
	struct route_table *old = routes, *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	for (unsigned i = 0; old && i < old->n; i++)
		if (!drop(&old->r[i], arg))
			t->r[t->n++] = old->r[i];
	return t;
}

static void table_publish(struct route_table *t)
{
	struct route_table *old = routes;

	rcu_assign_pointer(routes, t);
	if (old)
		call_rcu(&old->rcu, table_free);
}

static bool is_onlink_of(const struct net_route *r, const void *dev)
{
	return r->dev == dev && !r->gateway;
}

static bool is_default(const struct net_route *r, const void *unused)
{
	(void)unused;
	return r->mask == 0 && r->gateway;
}

int net_if_set_addr(struct netdev *dev, uint32_t ip, unsigned prefix)
{
	uint32_t mask = prefix_mask(prefix);
	struct route_table *t;

	if (prefix > 32)
		return -EINVAL;
	mutex_lock(&route_mutex);
	t = table_copy(is_onlink_of, dev);
	if (!t) {
		mutex_unlock(&route_mutex);
		return -ENOMEM;
	}
	if (ip && t->n < ROUTES_MAX)
		t->r[t->n++] = (struct net_route){ip & mask, mask, 0, dev};
	__atomic_store_n(&dev->netmask, mask, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->broadcast, ip ? (ip & mask) | ~mask : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&dev->ip, ip, __ATOMIC_RELEASE);
	table_publish(t);
	mutex_unlock(&route_mutex);
	if (ip && !(dev->flags & IFF_LOOPBACK))
		arp_announce(dev); /* RFC 5227 2.3 */
	return 0;
}

int net_set_gateway(uint32_t gw)
{
	struct route_table *t;
	const struct net_route *on;
	struct netdev *dev;
	int r = 0;

	mutex_lock(&route_mutex);
	t = table_copy(is_default, NULL);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	if (gw) {
		/* RFC 1122 3.3.1.1: the gateway must be on a connected net */
		on = route_match(routes, gw, 0); /* stable: we write it */
		dev = on && !on->gateway ? on->dev : NULL;
		if (!dev || t->n == ROUTES_MAX) {
			free(t);
			r = -ENETUNREACH;
			goto out;
		}
		t->r[t->n++] = (struct net_route){0, 0, gw, dev};
	}
	table_publish(t);
	gateway = gw;
out:
	mutex_unlock(&route_mutex);
	return r;
}

uint32_t net_gateway(void)
{
	return __atomic_load_n(&gateway, __ATOMIC_RELAXED);
}

unsigned net_routes(struct net_route *out, unsigned max)
{
	const struct route_table *t;
	unsigned n = 0;

	rcu_read_lock();
	t = rcu_dereference(routes);
	for (unsigned i = 0; t && i < t->n && n < max; i++)
		out[n++] = t->r[i];
	rcu_read_unlock();
	return n;
}

bool ip_addr_is_local(uint32_t a)
{
	return a && ip_dev_of_addr(a);
}

struct netdev *ip_dev_of_addr(uint32_t a)
{
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (__atomic_load_n(&d->ip, __ATOMIC_ACQUIRE) == a)
			return d;
	return NULL;
}

uint32_t ip_source_for(uint32_t dst)
{
	struct netdev *dev;
	uint32_t hop;

	if (ip_is_loopback(dst))
		return net_htonl(0x7f000001);
	if (net_route_lookup(dst, &dev, &hop))
		return 0;
	if (ip_addr_is_local(dst))
		return dst;
	return __atomic_load_n(&dev->ip, __ATOMIC_ACQUIRE);
}
