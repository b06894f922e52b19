/*
 * The interface ioctls of sockets (Linux: man 7 netdevice): SIOCGIFCONF
 * and the SIOCGIF* queries of one interface by name (or SIOCGIFNAME by
 * index) on any socket, as Linux's dev_ioctl; the IPv4 address queries
 * (SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR) only on AF_INET sockets,
 * as Linux's inet_ioctl. The system-call layer copied struct ifreq or
 * struct ifconf in (vfs_ioctl_arg_size) and copies it back out; the list
 * SIOCGIFCONF fills is application memory that ifc_buf points to, which
 * is written here.
 */
#include "net/net.h"

#include "linux/linux.h"

/* struct ifreq (x86-64): a name, then a 24-byte union. */
struct ifreq_k {
	char name[16];
	union {
		struct sockaddr_in_k addr;
		struct {
			uint16_t family;
			uint8_t data[14];
		} hwaddr;
		int16_t flags;
		int32_t ivalue; /* ifindex, mtu */
		uint8_t pad[24];
	};
};
_Static_assert(sizeof(struct ifreq_k) == 40, "struct ifreq");

struct ifconf_k {
	int32_t len;
	int32_t pad;
	uint64_t buf; /* application memory */
};

static void put_addr(struct ifreq_k *r, uint32_t ip)
{
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.sin_family = AF_INET;
	r->addr.sin_addr = ip;
}

/* SIOCGIFCONF: one record per interface with an IPv4 address; with a
 * NULL buffer only the length they need (Linux's inet_gifconf). */
static int if_conf(struct ifconf_k *c)
{
	int room = c->len < 0 ? 0 : c->len, done = 0;
	struct ifreq_k r;

	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE)) {
		if (!d->ip)
			continue;
		if (c->buf && room - done < (int)sizeof(r))
			break;
		if (c->buf) {
			memset(&r, 0, sizeof(r));
			memcpy(r.name, d->name, sizeof(r.name));
			put_addr(&r, d->ip);
			if (copy_to_user(c->buf + (uint64_t)done, &r,
					 sizeof(r)))
				return -EFAULT;
		}
		done += (int)sizeof(r);
	}
	c->len = done;
	return 0;
}

static int if_hwaddr(struct netdev *d, struct ifreq_k *r)
{
	memset(&r->hwaddr, 0, sizeof(r->hwaddr));
	r->hwaddr.family =
	    netdev_is_loopback(d) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
	memcpy(r->hwaddr.data, d->mac, sizeof(d->mac));
	return 0;
}

/* The queries of one interface, named in r->name. */
static int if_query(unsigned long cmd, struct ifreq_k *r)
{
	struct netdev *d;

	r->name[sizeof(r->name) - 1] = 0;
	d = netdev_by_name(r->name);
	if (!d)
		return -ENODEV;
	switch (cmd) {
	case SIOCGIFFLAGS:
		r->flags = (int16_t)netdev_if_flags(d);
		return 0;
	case SIOCGIFINDEX:
		r->ivalue = d->ifindex;
		return 0;
	case SIOCGIFMTU:
		r->ivalue = (int32_t)netdev_mtu(d);
		return 0;
	case SIOCGIFHWADDR:
		return if_hwaddr(d, r);
	}
	if (!d->ip)
		return -EADDRNOTAVAIL;
	if (cmd == SIOCGIFADDR)
		put_addr(r, d->ip);
	else if (cmd == SIOCGIFNETMASK)
		put_addr(r, d->netmask);
	else
		put_addr(r, d->broadcast);
	return 0;
}

int net_if_ioctl(int family, unsigned long cmd, void *arg)
{
	struct ifreq_k *r = arg;
	struct netdev *d;

	switch (cmd) {
	case SIOCGIFCONF:
		return if_conf(arg);
	case SIOCGIFNAME:
		d = netdev_by_index(r->ivalue);
		if (!d)
			return -ENODEV;
		memcpy(r->name, d->name, sizeof(r->name));
		return 0;
	case SIOCGIFFLAGS:
	case SIOCGIFINDEX:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
		return if_query(cmd, r);
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		return family == AF_INET ? if_query(cmd, r) : -ENOTTY;
	}
	return -ENOTTY;
}
