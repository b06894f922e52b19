/*
 * AF_NETLINK sockets with NETLINK_ROUTE (Linux: man 7 netlink, man 7
 * rtnetlink): enough of rtnetlink for glibc's getifaddrs() and
 * if_nameindex() and for `ip addr`/`ip route` listings. The kernel side
 * answers requests as they are sent: RTM_GETLINK, RTM_GETADDR and
 * RTM_GETROUTE dumps (and RTM_GETLINK of one interface), NLMSG_DONE at
 * the end of a dump, NLMSG_ERROR with -EOPNOTSUPP for the requests that
 * change the configuration, and acknowledgements for NLM_F_ACK. Sockets
 * also reach each other by port id (unicast). Multicast groups are
 * accepted in bind but never get notifications (reported once).
 *
 * A request is outside input: every length in it is checked against
 * what was sent (nl_route_input), and the answers queued on a socket
 * are bounded by its receive buffer (beyond it they are dropped and the
 * next receive fails with ENOBUFS, as Linux's).
 *
 * Locking: nl_mutex guards the list of bound sockets (port ids); each
 * socket's lock guards its queue and addresses. Order: nl_mutex -> a
 * socket's lock -> its waitq's lock.
 */
#include "net/net.h"

#include "linux/linux.h"
#include "net/nlmsg.h"

#define NETLINK_ROUTE 0
#define SOL_NETLINK 270
#define NETLINK_ADD_MEMBERSHIP 1
#define NETLINK_DROP_MEMBERSHIP 2
#define NETLINK_CAP_ACK 10
#define NETLINK_EXT_ACK 11
#define NETLINK_GET_STRICT_CHK 12

/* nlmsghdr types and flags */
#define NLMSG_NOOP 1
#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLMSG_MIN_TYPE 0x10
#define NLM_F_REQUEST 0x1
#define NLM_F_MULTI 0x2
#define NLM_F_ACK 0x4
#define NLM_F_ROOT 0x100
#define NLM_F_MATCH 0x200
#define NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH)
#define NLM_F_CAPPED 0x100

/* rtnetlink */
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_GETROUTE 26
#define RTM_MAX 127
struct ifinfomsg_k {
	uint8_t family, pad;
	uint16_t type;
	int32_t index;
	uint32_t flags, change;
};
struct ifaddrmsg_k {
	uint8_t family, prefixlen, flags, scope;
	uint32_t index;
};
struct rtmsg_k {
	uint8_t family, dst_len, src_len, tos;
	uint8_t table, protocol, scope, type;
	uint32_t flags;
};
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_TXQLEN 13
#define IFLA_OPERSTATE 16
#define IFLA_LINKMODE 17
#define IFLA_QDISC 6
#define IFLA_STATS 7
#define IFLA_STATS64 23
#define IFLA_GROUP 27
#define IFA_CACHEINFO 6
#define IF_OPER_UNKNOWN 0
#define IF_OPER_UP 6
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_FLAGS 8
#define IFA_F_PERMANENT 0x80
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define RT_TABLE_MAIN 254
#define RTPROT_KERNEL 2
#define RTPROT_BOOT 3
#define RTN_UNICAST 1
#define RTA_DST 1
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define RTA_PREFSRC 7
#define RTA_TABLE 15

#define NL_GOODSIZE 3776 /* Linux's NLMSG_GOODSIZE with 4 KiB pages */
#define NL_MSG_MAX 768	 /* one link, address or route message */

struct sockaddr_nl_k {
	uint16_t family, pad;
	uint32_t pid, groups;
};

/* One datagram queued for the application. */
struct nlbuf {
	struct nlbuf *next;
	size_t len;
	uint32_t from; /* the sender's port id (0: the kernel) */
	uint8_t data[];
};

struct nlsock {
	struct socket *s; /* set at creation */
	struct list link; /* in `bound`, under nl_mutex (when bound) */
	/* under lock */
	struct mutex lock;
	struct nlbuf *q, **q_tail;
	size_t q_bytes;
	int err; /* ENOBUFS after a drop */
	uint32_t portid, groups, dst_portid, dst_groups;
	bool bound, cap_ack;
};

static struct mutex nl_mutex = MUTEX_INIT;
static struct list bound = LIST_INIT(bound); /* under nl_mutex */
static uint32_t rover = (uint32_t)-4096;     /* Linux's autobind ids */

/* ---- port ids ---- */
static struct nlsock *by_portid(uint32_t portid)
{
	list_for_each(l, &bound)
	{
		struct nlsock *n = container_of(l, struct nlsock, link);

		if (n->portid == portid)
			return n;
	}
	return NULL;
}

/* Under nl_mutex. */
static int bind_portid(struct nlsock *n, uint32_t portid)
{
	if (by_portid(portid))
		return -EADDRINUSE;
	mutex_lock(&n->lock);
	n->portid = portid;
	n->bound = true;
	mutex_unlock(&n->lock);
	list_push_back(&bound, &n->link);
	return 0;
}

/* Linux's netlink_autobind: the process id first, then -4096, -4097... */
static int autobind(struct nlsock *n)
{
	struct ucred_k self;
	int err = 0;

	sock_self_cred(&self);
	mutex_lock(&nl_mutex);
	if (!n->bound && bind_portid(n, (uint32_t)self.pid))
		while ((err = bind_portid(n, rover--)) == -EADDRINUSE)
			;
	mutex_unlock(&nl_mutex);
	return err;
}

static int nl_bind(struct socket *s, const struct sockaddr_k *a, unsigned len)
{
	struct sockaddr_nl_k nl;
	struct nlsock *n = s->priv;
	int err = 0;

	if (len < sizeof(nl) || a->family != AF_NETLINK)
		return -EINVAL;
	memcpy(&nl, a, sizeof(nl));
	if (nl.groups)
		linux_missing("netlink multicast groups (no notifications)");
	mutex_lock(&nl_mutex);
	if (n->bound && nl.pid && nl.pid != n->portid)
		err = -EINVAL;
	else if (!n->bound && nl.pid)
		err = bind_portid(n, nl.pid);
	mutex_unlock(&nl_mutex);
	if (!err && !nl.pid)
		err = autobind(n);
	if (!err)
		n->groups = nl.groups;
	return err;
}

static int nl_connect(struct socket *s, const struct sockaddr_k *a,
		      unsigned len, bool nonblock)
{
	struct sockaddr_nl_k nl;
	struct nlsock *n = s->priv;

	if (len < sizeof(a->family))
		return -EINVAL;
	if (a->family == AF_UNSPEC) {
		n->dst_portid = n->dst_groups = 0;
		return 0;
	}
	if (len < sizeof(nl) || a->family != AF_NETLINK)
		return -EINVAL;
	memcpy(&nl, a, sizeof(nl));
	n->dst_portid = nl.pid;
	n->dst_groups = nl.groups;
	return autobind(n);
}

static int nl_getname(struct socket *s, struct sockaddr_k *a, unsigned *len,
		      bool peer)
{
	struct nlsock *n = s->priv;
	struct sockaddr_nl_k nl = {.family = AF_NETLINK};

	mutex_lock(&n->lock);
	nl.pid = peer ? n->dst_portid : n->portid;
	nl.groups = peer ? n->dst_groups : n->groups;
	mutex_unlock(&n->lock);
	memcpy(a, &nl, sizeof(nl));
	*len = sizeof(nl);
	return 0;
}

/* ---- queueing answers ---- */
/* Takes b; drops it (ENOBUFS on the next receive) beyond rcvbuf. */
static void deliver(struct nlsock *n, struct nlbuf *b)
{
	mutex_lock(&n->lock);
	if (n->q_bytes + b->len > (size_t)n->s->rcvbuf) {
		n->err = ENOBUFS;
		free(b);
	} else {
		b->next = NULL;
		*n->q_tail = b;
		n->q_tail = &b->next;
		n->q_bytes += b->len;
	}
	mutex_unlock(&n->lock);
	sock_wake(n->s, POLLIN | POLLRDNORM);
}

/* Answers to one send, gathered into datagrams of NL_GOODSIZE. */
struct answer {
	struct nlsock *to;
	struct nlbuf *cur;
	size_t cap;
	uint32_t seq;
	int err; /* -ENOMEM once something was lost */
};

static void answer_flush(struct answer *a)
{
	if (a->cur)
		deliver(a->to, a->cur);
	a->cur = NULL;
}

static void answer_put(struct answer *a, const void *msg, size_t len)
{
	size_t need = NLMSG_ALIGN(len);

	if (a->cur && a->cur->len + need > a->cap)
		answer_flush(a);
	if (!a->cur) {
		a->cap = MAX(need, (size_t)NL_GOODSIZE);
		a->cur = malloc(sizeof(*a->cur) + a->cap);
		if (!a->cur) {
			a->err = -ENOMEM;
			return;
		}
		a->cur->len = 0;
		a->cur->from = 0;
	}
	memcpy(a->cur->data + a->cur->len, msg, len);
	memset(a->cur->data + a->cur->len + len, 0, need - len);
	a->cur->len += need;
}

/* A message being built in a local buffer. */
struct nlmsg_b {
	uint8_t buf[NL_MSG_MAX];
	size_t len;
};

static void *msg_start(struct nlmsg_b *m, struct answer *a, uint16_t type,
		       uint16_t flags, size_t fixed)
{
	struct nlmsghdr_k *h = (struct nlmsghdr_k *)m->buf;

	memset(m->buf, 0, NLMSG_HDRLEN + fixed);
	h->type = type;
	h->flags = flags;
	h->seq = a->seq;
	h->pid = a->to->portid;
	m->len = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
	return m->buf + NLMSG_HDRLEN;
}

/* struct rtattr: u16 len, u16 type, the value, aligned to 4. */
static void attr(struct nlmsg_b *m, uint16_t type, const void *v, size_t len)
{
	uint16_t hdr[2] = {(uint16_t)(4 + len), type};

	if (m->len + NLMSG_ALIGN(4 + len) > sizeof(m->buf))
		return; /* cannot happen with the attributes written here */
	memcpy(m->buf + m->len, hdr, sizeof(hdr));
	memcpy(m->buf + m->len + 4, v, len);
	memset(m->buf + m->len + 4 + len, 0, NLMSG_ALIGN(4 + len) - 4 - len);
	m->len += NLMSG_ALIGN(4 + len);
}

static void attr_u32(struct nlmsg_b *m, uint16_t type, uint32_t v)
{
	attr(m, type, &v, sizeof(v));
}

static void msg_end(struct nlmsg_b *m, struct answer *a)
{
	((struct nlmsghdr_k *)m->buf)->len = (uint32_t)m->len;
	answer_put(a, m->buf, m->len);
}

/* ---- rtnetlink answers ---- */
static struct netdev *next_dev(struct netdev *d)
{
	return d ? __atomic_load_n(&d->next, __ATOMIC_ACQUIRE) : netdev_first();
}

/* IFLA_STATS (struct rtnl_link_stats, 24 u32, glibc's ifa_data) and
 * IFLA_STATS64 (its first 24 fields as u64), from the counters. */
static void put_stats(struct nlmsg_b *m, struct netdev_stats *st)
{
	uint64_t v[24] = {0};
	uint32_t v32[24];

	v[0] = __atomic_load_n(&st->rx_packets, __ATOMIC_RELAXED);
	v[1] = __atomic_load_n(&st->tx_packets, __ATOMIC_RELAXED);
	v[2] = __atomic_load_n(&st->rx_bytes, __ATOMIC_RELAXED);
	v[3] = __atomic_load_n(&st->tx_bytes, __ATOMIC_RELAXED);
	v[4] = __atomic_load_n(&st->rx_errors, __ATOMIC_RELAXED);
	v[5] = __atomic_load_n(&st->tx_errors, __ATOMIC_RELAXED);
	v[6] = __atomic_load_n(&st->rx_dropped, __ATOMIC_RELAXED);
	v[7] = __atomic_load_n(&st->tx_dropped, __ATOMIC_RELAXED);
	v[8] = __atomic_load_n(&st->rx_multicast, __ATOMIC_RELAXED);
	for (int i = 0; i < 24; i++)
		v32[i] = (uint32_t)v[i];
	attr(m, IFLA_STATS, v32, sizeof(v32));
	attr(m, IFLA_STATS64, v, sizeof(v));
}

/* Linux's rtnl_fill_ifinfo, the attributes glibc and ip(8) read. */
static void put_link(struct answer *a, struct netdev *d, uint16_t flags)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	bool lo = netdev_is_loopback(d);
	struct nlmsg_b m;
	struct ifinfomsg_k *i =
	    msg_start(&m, a, RTM_NEWLINK, flags, sizeof(*i));
	uint8_t oper = lo ? IF_OPER_UNKNOWN : IF_OPER_UP, mode = 0;

	i->family = AF_UNSPEC;
	i->type = lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
	i->index = d->ifindex;
	i->flags = netdev_if_flags(d) | IFF_LOWER_UP;
	attr(&m, IFLA_IFNAME, d->name, strnlen(d->name, sizeof(d->name)) + 1);
	attr_u32(&m, IFLA_TXQLEN, lo ? 1000 : 1000);
	attr(&m, IFLA_OPERSTATE, &oper, 1);
	attr(&m, IFLA_LINKMODE, &mode, 1);
	attr_u32(&m, IFLA_MTU, netdev_mtu(d));
	attr(&m, IFLA_ADDRESS, d->mac, sizeof(d->mac));
	attr(&m, IFLA_BROADCAST, lo ? d->mac : bcast, sizeof(d->mac));
	attr(&m, IFLA_QDISC, "noqueue", 8);
	attr_u32(&m, IFLA_GROUP, 0);
	put_stats(&m, &d->stats);
	msg_end(&m, a);
}

/* The prefix length of a netmask (network order): its leading ones. */
static unsigned prefix_len(uint32_t mask)
{
	uint32_t m = net_ntohl(mask);

	return ~m ? (unsigned)__builtin_clz(~m) : 32;
}

/* Linux's inet_fill_ifaddr. */
static void put_addr(struct answer *a, struct netdev *d)
{
	/* struct ifa_cacheinfo: preferred and valid lifetimes (infinite),
	 * creation and update stamps */
	static const uint32_t forever[4] = {0xffffffff, 0xffffffff, 0, 0};
	struct nlmsg_b m;
	struct ifaddrmsg_k *i =
	    msg_start(&m, a, RTM_NEWADDR, NLM_F_MULTI, sizeof(*i));
	uint32_t ip = d->ip;

	i->family = AF_INET;
	i->prefixlen = (uint8_t)prefix_len(d->netmask);
	i->flags = IFA_F_PERMANENT;
	i->scope =
	    (net_ntohl(ip) >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	i->index = (uint32_t)d->ifindex;
	attr(&m, IFA_ADDRESS, &ip, 4);
	attr(&m, IFA_LOCAL, &ip, 4);
	if (d->broadcast)
		attr(&m, IFA_BROADCAST, &d->broadcast, 4);
	attr(&m, IFA_LABEL, d->name, strnlen(d->name, sizeof(d->name)) + 1);
	attr_u32(&m, IFA_FLAGS, IFA_F_PERMANENT);
	attr(&m, IFA_CACHEINFO, forever, sizeof(forever));
	msg_end(&m, a);
}

static void put_route(struct answer *a, const struct net_route *r)
{
	struct nlmsg_b m;
	struct rtmsg_k *rt =
	    msg_start(&m, a, RTM_NEWROUTE, NLM_F_MULTI, sizeof(*rt));

	rt->family = AF_INET;
	rt->dst_len = (uint8_t)prefix_len(r->mask);
	rt->table = RT_TABLE_MAIN;
	rt->protocol = r->gateway ? RTPROT_BOOT : RTPROT_KERNEL;
	rt->scope = r->gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->type = RTN_UNICAST;
	attr_u32(&m, RTA_TABLE, RT_TABLE_MAIN);
	if (rt->dst_len)
		attr(&m, RTA_DST, &r->dst, 4);
	if (r->gateway)
		attr(&m, RTA_GATEWAY, &r->gateway, 4);
	else if (r->dev && r->dev->ip)
		attr(&m, RTA_PREFSRC, &r->dev->ip, 4);
	if (r->dev)
		attr_u32(&m, RTA_OIF, (uint32_t)r->dev->ifindex);
	msg_end(&m, a);
}

static void put_done(struct answer *a)
{
	struct nlmsg_b m;
	int32_t *status =
	    msg_start(&m, a, NLMSG_DONE, NLM_F_MULTI, sizeof(int32_t));

	*status = 0;
	msg_end(&m, a);
}

/* Linux's netlink_ack: the error and the request (whole for errors,
 * its header for an acknowledgement or with NETLINK_CAP_ACK). */
static void put_ack(struct answer *a, const struct nlmsghdr_k *req, int err)
{
	size_t echo = err && !a->to->cap_ack ? req->len : NLMSG_HDRLEN;
	size_t len = NLMSG_HDRLEN + sizeof(int32_t) + echo;
	struct nlmsghdr_k h = {(uint32_t)len, NLMSG_ERROR,
			       echo == NLMSG_HDRLEN ? NLM_F_CAPPED : 0,
			       req->seq, a->to->portid};
	uint8_t *b = malloc(len);

	if (!b) {
		a->err = -ENOMEM;
		return;
	}
	memcpy(b, &h, sizeof(h));
	memcpy(b + NLMSG_HDRLEN, &err, sizeof(int32_t));
	memcpy(b + NLMSG_HDRLEN + sizeof(int32_t), req, echo);
	answer_put(a, b, len);
	free(b);
}

static void dump_links(struct answer *a)
{
	for (struct netdev *d = next_dev(NULL); d; d = next_dev(d))
		put_link(a, d, NLM_F_MULTI);
}

static void dump_addrs(struct answer *a, uint8_t family)
{
	if (family != AF_UNSPEC && family != AF_INET)
		return;
	for (struct netdev *d = next_dev(NULL); d; d = next_dev(d))
		if (d->ip)
			put_addr(a, d);
}

static void dump_routes(struct answer *a, uint8_t family)
{
	struct net_route r[32];
	unsigned n;

	if (family != AF_UNSPEC && family != AF_INET)
		return;
	n = net_routes(r, 32);
	for (unsigned i = 0; i < n && i < 32; i++)
		put_route(a, &r[i]);
}

/* RTM_GETLINK of one interface, by index or IFLA_IFNAME. */
static int get_link(struct answer *a, const struct nlmsghdr_k *h)
{
	const uint8_t *p = (const uint8_t *)h, *v;
	struct ifinfomsg_k i;
	struct netdev *d = NULL;
	size_t vlen;
	bool bad;

	if (h->len < NLMSG_HDRLEN + sizeof(i))
		return -EINVAL;
	memcpy(&i, p + NLMSG_HDRLEN, sizeof(i));
	if (i.index > 0)
		d = netdev_by_index(i.index);
	v = nlattr_find(p, h->len, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(i)),
			IFLA_IFNAME, &vlen, &bad);
	if (bad)
		return -EINVAL;
	if (!i.index && v) {
		char name[16] = {0};

		memcpy(name, v, MIN(vlen, sizeof(name) - 1));
		d = netdev_by_name(name);
	}
	if (!d)
		return -ENODEV;
	put_link(a, d, 0);
	return 0;
}

static uint8_t req_family(const struct nlmsghdr_k *h)
{
	return h->len > NLMSG_HDRLEN ? ((const uint8_t *)h)[NLMSG_HDRLEN] : 0;
}

/* One rtnetlink request: 0, or the error its NLMSG_ERROR carries. */
static int route_request(struct answer *a, const struct nlmsghdr_k *h)
{
	bool dump = (h->flags & NLM_F_DUMP) == NLM_F_DUMP;

	if (h->type == RTM_GETLINK && !dump)
		return get_link(a, h);
	if (dump && (h->type == RTM_GETLINK || h->type == RTM_GETADDR ||
		     h->type == RTM_GETROUTE)) {
		if (h->type == RTM_GETLINK)
			dump_links(a);
		else if (h->type == RTM_GETADDR)
			dump_addrs(a, req_family(h));
		else
			dump_routes(a, req_family(h));
		put_done(a);
		return 0;
	}
	if (h->type > RTM_MAX)
		return -EOPNOTSUPP;
	{
		char what[48];

		snprintf(what, sizeof(what), "rtnetlink message type %u%s",
			 h->type, dump ? " (dump)" : "");
		linux_missing(what);
	}
	return -EOPNOTSUPP;
}

/*
 * Linux's netlink_rcv_skb: every well-formed message of the buffer, in
 * order; a truncated or short one ends the buffer. Requests without
 * NLM_F_REQUEST are ignored; control messages only acknowledged.
 */
static void route_input(struct answer *a, const uint8_t *buf, size_t len)
{
	struct nlmsghdr_k h;
	const uint8_t *msg;
	size_t off = 0;

	while ((msg = nlmsg_next(buf, len, &off, &h))) {
		const struct nlmsghdr_k *req = (const void *)msg;
		int err = 0;

		if (!(h.flags & NLM_F_REQUEST))
			continue;
		if (h.type >= NLMSG_MIN_TYPE)
			err = route_request(a, req);
		if (err || (h.flags & NLM_F_ACK))
			put_ack(a, req, err);
	}
}

/* ---- sending and receiving ---- */
/* A datagram for another socket (unicast by port id). */
static int64_t to_socket(struct nlsock *n, uint32_t portid, const uint8_t *data,
			 size_t len)
{
	struct nlbuf *b;
	struct nlsock *to;
	int64_t r = (int64_t)len;

	mutex_lock(&nl_mutex);
	to = by_portid(portid);
	if (!to) {
		r = -ECONNREFUSED;
	} else if ((b = malloc(sizeof(*b) + len))) {
		memcpy(b->data, data, len);
		b->len = len;
		b->from = n->portid;
		deliver(to, b);
	} else {
		r = -ENOMEM;
	}
	mutex_unlock(&nl_mutex);
	return r;
}

static int64_t nl_sendmsg(struct socket *s, struct kmsg *km, int flags,
			  bool nonblock)
{
	struct nlsock *n = s->priv;
	size_t len = km->data.resid;
	uint32_t dst = n->dst_portid;
	struct answer a = {.to = n};
	uint8_t *buf;
	int64_t r;

	if (km->name) {
		struct sockaddr_nl_k nl;

		if (km->namelen < sizeof(nl) || km->name->family != AF_NETLINK)
			return -EINVAL;
		memcpy(&nl, km->name, sizeof(nl));
		dst = nl.pid;
		if (nl.groups)
			linux_missing("netlink multicast send");
	}
	if (len > (size_t)s->sndbuf - 32)
		return -EMSGSIZE;
	r = autobind(n);
	if (r)
		return r;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	r = len ? uio_copy_from(&km->data, buf, len) : 0;
	if (r >= 0 && (size_t)r != len)
		r = -EFAULT;
	if (r >= 0 && dst) {
		r = to_socket(n, dst, buf, len);
	} else if (r >= 0) {
		if (len >= NLMSG_HDRLEN)
			a.seq = ((struct nlmsghdr_k *)buf)->seq;
		route_input(&a, buf, len);
		answer_flush(&a);
		r = (int64_t)len;
	}
	free(buf);
	return r;
}

/* Under n->lock: waits for a datagram; 0 when one is there. */
static int nl_wait(struct socket *s, struct nlsock *n, bool nonblock)
{
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int err;

	while (!n->q) {
		if (n->err) {
			err = -n->err;
			n->err = 0;
			return err;
		}
		if (nonblock)
			return -EAGAIN;
		err = sock_wait(&s->wq, &n->lock, deadline);
		if (err)
			return err;
	}
	return 0;
}

static int64_t nl_recvmsg(struct socket *s, struct kmsg *km, int flags,
			  bool nonblock)
{
	struct nlsock *n = s->priv;
	struct nlbuf *b = NULL;
	int64_t r;

	mutex_lock(&n->lock);
	r = nl_wait(s, n, nonblock);
	if (!r) {
		b = n->q;
		r = uio_copy_to(&km->data, b->data,
				MIN(b->len, km->data.resid));
	}
	if (r >= 0 && b) {
		struct sockaddr_nl_k from = {AF_NETLINK, 0, b->from, 0};

		if ((size_t)r < b->len)
			km->flags_out |= MSG_TRUNC;
		if (km->name) {
			memcpy(km->name, &from, sizeof(from));
			km->namelen = sizeof(from);
		}
		km->controllen = 0;
		if (flags & MSG_TRUNC)
			r = (int64_t)b->len;
		if (!(flags & MSG_PEEK)) {
			n->q = b->next;
			if (!n->q)
				n->q_tail = &n->q;
			n->q_bytes -= b->len;
			free(b);
		}
	}
	mutex_unlock(&n->lock);
	return r;
}

static unsigned nl_poll(struct socket *s, struct file *f, struct poll_table *pt)
{
	struct nlsock *n = s->priv;
	unsigned mask = POLLOUT | POLLWRNORM;

	poll_wait(f, &s->wq, pt);
	mutex_lock(&n->lock);
	if (n->q)
		mask |= POLLIN | POLLRDNORM;
	if (n->err)
		mask |= POLLERR;
	mutex_unlock(&n->lock);
	return mask;
}

static int nl_setsockopt(struct socket *s, int level, int name, const void *val,
			 unsigned len)
{
	struct nlsock *n = s->priv;
	int v;

	if (level == SOL_SOCKET)
		return -ENOPROTOOPT;
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	switch (name) {
	case NETLINK_CAP_ACK:
		n->cap_ack = v != 0;
		return 0;
	case NETLINK_EXT_ACK:	     /* no extended attributes to add */
	case NETLINK_GET_STRICT_CHK: /* dumps have no filters to check */
		return 0;
	case NETLINK_ADD_MEMBERSHIP:
	case NETLINK_DROP_MEMBERSHIP:
		linux_missing("netlink multicast groups (no notifications)");
		return 0;
	}
	return -ENOPROTOOPT;
}

static void nl_release(struct socket *s)
{
	struct nlsock *n = s->priv;

	if (!n)
		return;
	mutex_lock(&nl_mutex);
	if (n->bound)
		list_remove(&n->link);
	mutex_unlock(&nl_mutex);
	while (n->q) {
		struct nlbuf *b = n->q;

		n->q = b->next;
		free(b);
	}
	free(n);
}

static const struct sock_ops nl_ops = {
    .bind = nl_bind,
    .connect = nl_connect,
    .sendmsg = nl_sendmsg,
    .recvmsg = nl_recvmsg,
    .setsockopt = nl_setsockopt,
    .getname = nl_getname,
    .poll = nl_poll,
    .release = nl_release,
};

static int nl_create(struct socket *s, int type, int protocol)
{
	struct nlsock *n;

	if (type != SOCK_RAW && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE) {
		char what[40];

		snprintf(what, sizeof(what), "netlink protocol %d", protocol);
		linux_missing(what);
		return -EPROTONOSUPPORT;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->s = s;
	mutex_init(&n->lock);
	n->q_tail = &n->q;
	list_init(&n->link);
	s->ops = &nl_ops;
	s->priv = n;
	return 0;
}

static int netlink_init(void)
{
	return net_family_register(AF_NETLINK, nl_create);
}
INIT_STEP(59, netlink_init);
