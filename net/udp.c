/*
 * UDP (RFC 768; RFC 1122 4.1): the protocol and the AF_INET/SOCK_DGRAM
 * sockets, with Linux's semantics (man 7 udp, man 7 ip) as the contract.
 *
 * How a datagram reaches the application (net channels):
 *
 *   1. net_rx, in the driver's receive thread, checks the IPv4 header and
 *      the UDP length, finds the socket in the flow table (RCU, no lock),
 *      takes a reference on it, pushes the packet onto its channel and
 *      notifies its waitq (POLLIN). Nothing else: the checksum is not
 *      looked at on this CPU.
 *   2. The thread that reads or polls the socket is the channel's one
 *      consumer: under the socket's lock it pops every packet, verifies
 *      the UDP checksum (unless the device did: PKT_CSUM_VALID), and
 *      moves the good ones to the receive queue, bounded by SO_RCVBUF
 *      (a drop counts Udp RcvbufErrors and InErrors, a bad checksum
 *      InCsumErrors and InErrors): udp_pull.
 *   3. recvmsg copies the first datagram of the receive queue out.
 *
 * Datagrams that take the default path (fragments once reassembled) are
 * pushed onto the channel the same way by udp_input; those for no socket
 * get an ICMP port unreachable (RFC 1122 4.1.3.1) and count NoPorts.
 *
 * Lifetime: struct udp_sock is reference-counted. The socket holds one
 * reference until release; a receiving thread holds one from the flow
 * lookup (inside the RCU read section) until it has pushed and notified.
 * release takes the flow out and drops the socket's reference a grace
 * period later (call_rcu), so no lookup can find the socket once the
 * count can reach zero; the last put frees it. Because a receiver may
 * still notify after the struct socket is gone, readiness waiters
 * register on the udp_sock's own waitq (us->wq), not on s->wq.
 *
 * Locking: us->lock (the consumer's lock) covers the receive queue and
 * the addresses; flow_lock covers the port space (bind's checks and the
 * flow table); the order is us->lock -> flow_lock. No lock is held
 * across ip_output (net_private.h's rule).
 */
#include "net/net_private.h"

#include "linux/linux.h"

/* man 7 ip */
#define IP_TOS 1
#define IP_TTL 2
#define IP_HDRINCL 3
#define IP_OPTIONS 4
#define IP_RECVOPTS 6
#define IP_RETOPTS 7
#define IP_PKTINFO 8
#define IP_MTU_DISCOVER 10
#define IP_RECVERR 11
#define IP_RECVTTL 12
#define IP_RECVTOS 13
#define IP_MTU 14
#define IP_FREEBIND 15
#define IP_BIND_ADDRESS_NO_PORT 24
#define IP_MULTICAST_IF 32
#define IP_MULTICAST_TTL 33
#define IP_MULTICAST_LOOP 34
#define IP_ADD_MEMBERSHIP 35
#define IP_DROP_MEMBERSHIP 36
#define IP_MULTICAST_ALL 49
#define IP_PMTUDISC_DONT 0
#define IP_PMTUDISC_WANT 1
#define IP_PMTUDISC_DO 2
#define IP_PMTUDISC_OMIT 5
#define UDP_MAX_PAYLOAD (IP_MAXPACKET - IP_HLEN - UDP_HLEN) /* 65507 */
#define EPHEMERAL_LOW 32768 /* Linux's net.ipv4.ip_local_port_range */
#define EPHEMERAL_HIGH 60999
#define SIOCINQ 0x541b /* == FIONREAD */
#define SIOCOUTQ 0x5411
#define SO_BINDTODEVICE_K 25 /* the layer keeps it in s->bound_if */

struct udp_sock {
	int refs;	     /* atomic */
	struct socket *s;    /* until release; the consumer's */
	struct waitq wq;     /* readiness waiters (see Lifetime above) */
	struct netchan chan; /* producers: net_rx; consumer: lock holder */
	int err;	     /* atomic: a pending ICMP error (positive) */
	struct mutex lock;   /* everything below */
	struct pkt *rcvq, **rcvq_tail; /* datagrams, data at the payload */
	size_t rcv_bytes;	       /* buffer bytes held (p->size) */
	struct flow *flow;	       /* in the flow table; NULL: not bound */
	uint32_t laddr, raddr; /* network order; laddr: as bound/connected */
	uint16_t lport, rport;
	uint32_t bound_addr; /* what bind asked for (connect's undo) */
	bool port_locked;    /* bound by bind, not implicitly */
	bool connected, shut_rd, shut_wr, released;
	/* IPPROTO_IP options */
	uint8_t tos, ttl, mc_ttl, pmtudisc;
	bool pktinfo, recvttl, recvtos, mc_loop, mc_all, freebind, no_port;
	bool recverr; /* atomic: read by the ICMP path */
	uint32_t mc_if;
	/* IP_RECVERR's error queue: ICMP errors (struct udp_err packets);
	 * producer the ICMP path, consumer the lock holder */
	struct netchan errq;
	struct pkt *errq_first; /* the oldest, once looked at; lock holder's */
	struct rcu_head rcu; /* release's deferred put */
};

static void us_get(struct udp_sock *us)
{
	__atomic_fetch_add(&us->refs, 1, __ATOMIC_RELAXED);
}

static void us_free(struct udp_sock *us)
{
	netchan_drain(&us->chan);
	free(us);
}

static void us_put(struct udp_sock *us)
{
	if (__atomic_sub_fetch(&us->refs, 1, __ATOMIC_ACQ_REL) == 0)
		us_free(us);
}

/* flow_lookup's `get`: the flow is findable, so refs > 0 (release drops
 * the socket's reference only a grace period after unhashing). */
static bool us_lookup_get(void *owner)
{
	us_get(owner);
	return true;
}

/* ---- checksums ---- */

bool udp_csum_ok(const struct pkt *p, uint32_t src, uint32_t dst)
{
	const struct udp_hdr *uh = (const struct udp_hdr *)p->data;
	uint16_t len = net_ntohs(uh->len);

	if (!uh->csum || (p->flags & PKT_CSUM_VALID))
		return true; /* RFC 768: zero means none was sent */
	return net_csum_fold(net_csum_add(
		   ip_pseudo_sum(src, dst, IPPROTO_UDP, len), p->data, len)) ==
	       0;
}

void udp_csum_fill(struct pkt *p, uint32_t src, uint32_t dst)
{
	struct udp_hdr *uh = (struct udp_hdr *)p->data;
	uint16_t c;

	uh->csum = 0;
	c = net_csum_fold(
	    net_csum_add(ip_pseudo_sum(src, dst, IPPROTO_UDP, (uint16_t)p->len),
			 p->data, p->len));
	uh->csum = c ? c : 0xffff;
}

/* ---- receive: the producers' side ---- */

/* The UDP length against the IPv4 payload (RFC 768); trims to it and
 * sets l4_off. False (counted) for a short or lying datagram. */
static bool udp_len_ok(struct pkt *p, unsigned hlen)
{
	const struct udp_hdr *uh = (const struct udp_hdr *)(p->data + hlen);
	unsigned ulen;

	if (p->len < hlen + UDP_HLEN)
		goto bad;
	ulen = net_ntohs(uh->len);
	if (ulen < UDP_HLEN || ulen > p->len - hlen)
		goto bad;
	pkt_trim(p, hlen + ulen);
	p->l4_off = (uint16_t)(p->data + hlen - p->head);
	return true;
bad:
	NET_INC(udp_in_errors);
	return false;
}

/* Pushes p (data at the IPv4 header) onto us's channel and notifies. */
static void udp_push(struct udp_sock *us, struct pkt *p)
{
	if (!netchan_push(&us->chan, p)) {
		NET_INC(udp_rcvbuf_errors);
		NET_INC(udp_in_errors);
		pkt_free(p);
	} else {
		poll_notify(&us->wq, POLLIN | POLLRDNORM);
	}
	us_put(us);
}

static struct udp_sock *udp_find(struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct udp_hdr *uh =
	    (const struct udp_hdr *)(p->head + p->l4_off);

	return flow_lookup(IPPROTO_UDP, ih->dst, uh->dport, ih->src, uh->sport,
			   p->dev ? p->dev->ifindex : 0, us_lookup_get);
}

static bool to_many(struct netdev *dev, const struct pkt *p,
		    const struct ip_hdr *ih)
{
	return (p->flags & PKT_BCAST) || ih->dst == INADDR_BROADCAST ||
	       ip_is_multicast(ih->dst) || (dev && ih->dst == dev->broadcast);
}

#define UDP_BCAST_MAX 16 /* sockets one broadcast is copied to */

/* A broadcast goes to every socket on the port whose address is the
 * wildcard (or the broadcast address itself), each getting its copy;
 * false if there was none. Owns p when true. */
static bool udp_deliver_many(struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct udp_hdr *uh =
	    (const struct udp_hdr *)(p->head + p->l4_off);
	void *owners[UDP_BCAST_MAX];
	unsigned n = flow_lookup_all(IPPROTO_UDP, ih->dst, uh->dport, ih->src,
				     uh->sport, p->dev ? p->dev->ifindex : 0,
				     us_lookup_get, owners, UDP_BCAST_MAX);

	for (unsigned i = 0; i + 1 < n; i++) {
		struct pkt *c = pkt_alloc(0, p->size);

		if (c) {
			memcpy(c->head, p->head, p->size);
			c->data = c->head + (p->data - p->head);
			c->len = p->len;
			c->dev = p->dev;
			c->flags = p->flags;
			c->l3_off = p->l3_off;
			c->l4_off = p->l4_off;
			udp_push(owners[i], c);
		} else {
			NET_INC(udp_in_errors); /* Linux: MemErrors */
			us_put(owners[i]);
		}
	}
	if (n)
		udp_push(owners[n - 1], p);
	return n;
}

bool udp_rx_fast(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	struct udp_sock *us;

	if (!udp_len_ok(p, (ih->vihl & 0xf) * 4u)) {
		pkt_free(p);
		return true;
	}
	if (to_many(dev, p, ih))
		return udp_deliver_many(p);
	us = udp_find(p);
	if (!us)
		return false;
	udp_push(us, p);
	return true;
}

void udp_input(struct netdev *dev, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
	unsigned hlen = (ih->vihl & 0xf) * 4u;
	const struct udp_hdr *uh;
	struct udp_sock *us;

	if (!udp_len_ok(p, hlen))
		goto out_free;
	if (to_many(dev, p, ih) && udp_deliver_many(p))
		return;
	us = to_many(dev, p, ih) ? NULL : udp_find(p);
	if (us)
		return udp_push(us, p);
	pkt_pull(p, hlen);
	uh = (const struct udp_hdr *)p->data;
	if (!udp_csum_ok(p, ih->src, ih->dst)) {
		NET_INC(udp_in_csum_errors);
		NET_INC(udp_in_errors);
		goto out_free;
	}
	if (uh->dport == net_htons(68)) {
		pkt_pull(p, UDP_HLEN);
		return dhcp_input(dev, p);
	}
	if (to_many(dev, p, ih)) {
		NET_INC(udp_ignored_multi); /* Linux: no error for these */
		goto out_free;
	}
	NET_INC(udp_no_ports);
	icmp_send_error(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
out_free:
	pkt_free(p);
}

/*
 * IP_RECVERR's error queue (man 7 ip): an ICMP error about one of our
 * datagrams, kept as a packet whose data is this header followed by what
 * the error quoted of the datagram's payload; recvmsg(MSG_ERRQUEUE)
 * returns it with a sock_extended_err.
 */
struct sock_ee {
	uint32_t errno_;
	uint8_t origin, type, code, pad;
	uint32_t info, data;
};
struct udp_err {
	struct sock_ee ee;
	uint32_t offender; /* who sent the ICMP error */
	uint32_t dst;	   /* where our datagram went */
	uint16_t dport;
};
#define SO_EE_ORIGIN_ICMP 2
#define UDP_ERRQ_BYTES 16384 /* the error queue's bound (its packets) */

static void errq_push(struct udp_sock *us, const struct ip_hdr *inner,
		      size_t len, int err, const struct icmp_hdr *ic,
		      uint32_t offender)
{
	unsigned ihl = (inner->vihl & 0xf) * 4u;
	const struct udp_hdr *uh =
	    (const struct udp_hdr *)((const uint8_t *)inner + ihl);
	size_t quoted = len - ihl - UDP_HLEN; /* icmp_error_in checked */
	struct pkt *p = pkt_alloc(0, sizeof(struct udp_err) + quoted);

	if (!p)
		return;
	struct udp_err *e = pkt_put(p, sizeof(*e));
	*e = (struct udp_err){{(uint32_t)err, SO_EE_ORIGIN_ICMP, ic->type,
			       ic->code, 0, net_ntohs(ic->seq), 0},
			      offender, inner->dst, uh->dport};
	memcpy(pkt_put(p, quoted), uh + 1, quoted);
	if (!netchan_push(&us->errq, p))
		pkt_free(p);
}

/* Linux reports ICMP errors to connected sockets only, unless IP_RECVERR
 * asks for them all (and queues them): the next call returns the error
 * (man 7 udp). */
void udp_icmp_error(const struct ip_hdr *inner, size_t len, int err,
		    const struct icmp_hdr *ic, uint32_t offender)
{
	unsigned ihl = (inner->vihl & 0xf) * 4u;
	const struct udp_hdr *uh =
	    (const struct udp_hdr *)((const uint8_t *)inner + ihl);
	struct udp_sock *us;

	if (len < ihl + 8)
		return;
	us = flow_lookup(IPPROTO_UDP, inner->src, uh->sport, inner->dst,
			 uh->dport, 0, us_lookup_get);
	if (!us)
		return;
	bool recverr = __atomic_load_n(&us->recverr, __ATOMIC_RELAXED);
	if (recverr)
		errq_push(us, inner, len, err, ic, offender);
	if (recverr || (__atomic_load_n(&us->connected, __ATOMIC_RELAXED) &&
			us->raddr == inner->dst && us->rport == uh->dport)) {
		__atomic_store_n(&us->err, err, __ATOMIC_RELEASE);
		poll_notify(&us->wq, POLLERR);
	}
	us_put(us);
}

/* ---- receive: the consumer's side ---- */

static void rcvq_append(struct udp_sock *us, struct pkt *p)
{
	p->next = NULL;
	*us->rcvq_tail = p;
	us->rcvq_tail = &p->next;
	us->rcv_bytes += p->size; /* the buffer it holds, as the channel */
}

static struct pkt *rcvq_take(struct udp_sock *us)
{
	struct pkt *p = us->rcvq;

	us->rcvq = p->next;
	if (!us->rcvq)
		us->rcvq_tail = &us->rcvq;
	us->rcv_bytes -= p->size;
	p->next = NULL;
	return p;
}

/* Checks one popped packet and queues it (step 2 of the essay). */
static void udp_accept_one(struct udp_sock *us, struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);

	p->data = p->head + p->l4_off;
	p->len = net_ntohs(((const struct udp_hdr *)p->data)->len);
	if (!udp_csum_ok(p, ih->src, ih->dst)) {
		NET_INC(udp_in_csum_errors);
		NET_INC(udp_in_errors);
		pkt_free(p);
		return;
	}
	pkt_pull(p, UDP_HLEN);
	if (us->rcv_bytes && us->rcv_bytes + p->size > (size_t)us->s->rcvbuf) {
		NET_INC(udp_rcvbuf_errors);
		NET_INC(udp_in_errors);
		pkt_free(p);
		return;
	}
	rcvq_append(us, p);
}

/* Drains the channel into the receive queue; under us->lock. */
static void udp_pull(struct udp_sock *us)
{
	struct pkt *p;

	while ((p = netchan_pop(&us->chan)))
		udp_accept_one(us, p);
}

static bool udp_readable(void *arg)
{
	struct udp_sock *us = arg;

	return !netchan_empty(&us->chan) || us->rcvq || us->shut_rd ||
	       __atomic_load_n(&us->err, __ATOMIC_ACQUIRE);
}

static int take_err(struct udp_sock *us)
{
	return -__atomic_exchange_n(&us->err, 0, __ATOMIC_ACQ_REL);
}

/* ---- ports ---- */

static struct udp_sock *flow_us(const struct flow *f)
{
	return f->owner;
}

/* Linux's udp_lib_lport_inuse: another socket on the port conflicts
 * unless both set SO_REUSEADDR or both SO_REUSEPORT, or their local
 * addresses or devices differ (neither a wildcard). Under flow_lock. */
static bool port_conflict(struct udp_sock *us, uint16_t port, uint32_t addr)
{
	const struct socket *s = us->s;

	for (struct flow *f = flow_first_port(IPPROTO_UDP, port); f;
	     f = flow_next_port(f)) {
		const struct socket *o = flow_us(f)->s;

		if (flow_us(f) == us)
			continue;
		if (f->laddr && addr && f->laddr != addr)
			continue;
		if (f->bound_if && s->bound_if && f->bound_if != s->bound_if)
			continue;
		if (o && s->reuseaddr && o->reuseaddr)
			continue;
		if (o && s->reuseport && o->reuseport)
			continue;
		return true;
	}
	return false;
}

/* A free ephemeral port (network order), from a random start; 0. */
static uint16_t port_pick(void)
{
	unsigned span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
	unsigned start = net_random() % span;

	for (unsigned i = 0; i < span; i++) {
		uint16_t port =
		    net_htons((uint16_t)(EPHEMERAL_LOW + (start + i) % span));

		if (!flow_first_port(IPPROTO_UDP, port))
			return port;
	}
	return 0;
}

/* Puts us in the flow table with its current addresses, replacing its
 * old entry; under us->lock and flow_lock. */
static int us_rehash(struct udp_sock *us)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->proto = IPPROTO_UDP;
	f->laddr = us->laddr;
	f->lport = us->lport;
	f->raddr = us->connected ? us->raddr : 0;
	f->rport = us->connected ? us->rport : 0;
	f->bound_if = us->s->bound_if;
	f->owner = us;
	flow_add(f);
	if (us->flow)
		flow_remove(us->flow);
	us->flow = f;
	return 0;
}

/* Binds us to addr and port (network order; port 0: an ephemeral one);
 * under us->lock. */
static int us_bind(struct udp_sock *us, uint32_t addr, uint16_t port)
{
	int r = -EADDRINUSE;

	flow_lock();
	if (!port)
		port = port_pick();
	if (port && !port_conflict(us, port, addr)) {
		us->laddr = addr;
		us->lport = port;
		r = us_rehash(us);
		if (r)
			us->lport = 0;
	} else if (!port) {
		r = -EAGAIN; /* Linux: no ephemeral port left */
	}
	flow_unlock();
	return r;
}

static int us_autobind(struct udp_sock *us)
{
	return us->lport ? 0 : us_bind(us, us->laddr, 0);
}

static bool addr_bindable(struct udp_sock *us, uint32_t a)
{
	return !a || ip_addr_is_local(a) || ip_is_loopback(a) ||
	       a == INADDR_BROADCAST || ip_is_multicast(a) || us->freebind;
}

/* ---- socket operations ---- */

static int udp_bind(struct socket *s, const struct sockaddr_k *a, unsigned len)
{
	struct udp_sock *us = s->priv;
	struct sockaddr_in_k sin;
	int r = inet_bind_sin_get(a, len, &sin);

	if (r)
		return r;
	mutex_lock(&us->lock);
	if (!addr_bindable(us, sin.sin_addr))
		r = -EADDRNOTAVAIL;
	else if (us->lport)
		r = -EINVAL;
	else
		r = us_bind(us, sin.sin_addr, sin.sin_port);
	if (!r) {
		us->bound_addr = sin.sin_addr;
		us->port_locked = true;
	}
	mutex_unlock(&us->lock);
	return r;
}

static bool is_broadcast(uint32_t a)
{
	if (a == INADDR_BROADCAST)
		return true;
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (d->broadcast && d->broadcast == a)
			return true;
	return false;
}

/* connect(AF_UNSPEC): Linux's udp_disconnect. Under us->lock. */
static int udp_disconnect(struct udp_sock *us)
{
	int r = 0;

	us->connected = false;
	us->raddr = 0;
	us->rport = 0;
	us->laddr = us->bound_addr;
	flow_lock();
	if (!us->port_locked && us->flow) {
		flow_remove(us->flow);
		us->flow = NULL;
		us->lport = 0;
	} else if (us->flow) {
		r = us_rehash(us);
	}
	flow_unlock();
	return r;
}

static int udp_connect_locked(struct udp_sock *us, uint32_t dst, uint16_t port)
{
	struct netdev *dev;
	uint32_t hop;
	int r;

	if (!dst)
		dst = net_htonl(0x7f000001); /* Linux: 0.0.0.0 is this host */
	if (is_broadcast(dst) && !us->s->broadcast)
		return -EACCES;
	r = net_route_lookup_if(dst, us->s->bound_if, &dev, &hop);
	if (r)
		return r;
	if (!us->laddr)
		us->laddr = ip_is_loopback(dst)	    ? net_htonl(0x7f000001)
			    : ip_addr_is_local(dst) ? dst
						    : dev->ip;
	us->raddr = dst;
	us->rport = port;
	us->connected = true;
	__atomic_store_n(&us->err, 0, __ATOMIC_RELAXED);
	flow_lock();
	if (!us->lport) {
		us->lport = port_pick();
		r = us->lport ? 0 : -EAGAIN;
	}
	if (!r)
		r = us_rehash(us);
	flow_unlock();
	return r;
}

static int udp_connect(struct socket *s, const struct sockaddr_k *a,
		       unsigned len, bool nonblock)
{
	struct udp_sock *us = s->priv;
	struct sockaddr_in_k sin;
	int r;

	(void)nonblock;
	if (len >= sizeof(a->family) && a->family == AF_UNSPEC) {
		mutex_lock(&us->lock);
		r = udp_disconnect(us);
		mutex_unlock(&us->lock);
		return r;
	}
	r = inet_sin_get(a, len, &sin);
	if (r)
		return r;
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	mutex_lock(&us->lock);
	r = udp_connect_locked(us, sin.sin_addr, sin.sin_port);
	mutex_unlock(&us->lock);
	return r;
}

/* ---- sendmsg ---- */

struct cmsg_k { /* Linux's struct cmsghdr */
	uint64_t len;
	int level, type;
};
struct in_pktinfo_k {
	int ifindex;
	uint32_t spec_dst, addr;
};
#define CMSG_ALIGN_K(n) (((n) + 7) & ~(size_t)7)

/* The IPPROTO_IP control messages of a send (man 7 ip): IP_PKTINFO
 * (source address and interface), IP_TTL, IP_TOS. */
static int send_cmsgs(const struct kmsg *m, struct ip_out *o)
{
	const uint8_t *c = m->control;
	size_t off = 0;

	while (m->controllen - off >= sizeof(struct cmsg_k)) {
		struct cmsg_k h;
		const uint8_t *d = c + off + sizeof(h);
		size_t dlen;

		memcpy(&h, c + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > m->controllen - off)
			return -EINVAL;
		dlen = h.len - sizeof(h);
		if (h.level != IPPROTO_IP)
			return -EINVAL; /* Linux: __sock_cmsg_send's default */
		if (h.type == IP_PKTINFO &&
		    dlen >= sizeof(struct in_pktinfo_k)) {
			struct in_pktinfo_k pi;

			memcpy(&pi, d, sizeof(pi));
			if (pi.spec_dst && !ip_addr_is_local(pi.spec_dst) &&
			    !ip_is_loopback(pi.spec_dst))
				return -EINVAL;
			o->src = pi.spec_dst ? pi.spec_dst : o->src;
			o->bound_if = pi.ifindex ? pi.ifindex : o->bound_if;
		} else if ((h.type == IP_TTL || h.type == IP_TOS) &&
			   dlen >= sizeof(int)) {
			int v;

			memcpy(&v, d, sizeof(v));
			if (v < 0 || v > 255 || (h.type == IP_TTL && !v))
				return -EINVAL;
			if (h.type == IP_TTL)
				o->ttl = (uint8_t)v;
			else
				o->tos = (uint8_t)v;
		} else {
			return -EINVAL;
		}
		off += CMSG_ALIGN_K(h.len);
		if (off > m->controllen)
			break;
	}
	return 0;
}

/* Where a send goes: the name given or the peer. Under us->lock. */
static int send_dest(struct udp_sock *us, const struct kmsg *m,
		     struct ip_out *o, uint16_t *dport)
{
	struct sockaddr_in_k sin;

	if (!m->name) {
		if (!us->connected)
			return -EDESTADDRREQ;
		o->dst = us->raddr;
		*dport = us->rport;
		return 0;
	}
	if (m->namelen < sizeof(sin))
		return -EINVAL;
	memcpy(&sin, m->name, sizeof(sin));
	if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC)
		return -EAFNOSUPPORT; /* Linux's udp_sendmsg */
	if (!sin.sin_port)
		return -EINVAL;
	o->dst = sin.sin_addr ? sin.sin_addr : net_htonl(0x7f000001);
	*dport = sin.sin_port;
	return 0;
}

/* The IPv4 parameters of a send from us's state; under us->lock. */
static int send_setup(struct udp_sock *us, struct kmsg *m, struct ip_out *o,
		      uint16_t *dport)
{
	int r = send_dest(us, m, o, dport);

	if (r)
		return r;
	*o = (struct ip_out){.dst = o->dst,
			     .proto = IPPROTO_UDP,
			     .src = us->laddr,
			     .tos = us->tos,
			     .ttl =
				 ip_is_multicast(o->dst) ? us->mc_ttl : us->ttl,
			     .df = us->pmtudisc == IP_PMTUDISC_DO,
			     .set_df = us->pmtudisc == IP_PMTUDISC_DO ||
				       us->pmtudisc == IP_PMTUDISC_WANT,
			     .broadcast_ok = us->s->broadcast,
			     .bound_if = us->s->bound_if};
	if (is_broadcast(o->dst) && !o->broadcast_ok)
		return -EACCES;
	if (m->control && m->controllen && (r = send_cmsgs(m, o)))
		return r;
	r = us_autobind(us);
	if (!o->src || ip_is_multicast(o->src) || o->src == INADDR_BROADCAST)
		o->src = ip_source_for(o->dst);
	return r;
}

/* A sum folded to 16 bits, not complemented, in network order: what a
 * PKT_CSUM_PARTIAL checksum field holds (the pseudo-header's part). */
static uint16_t csum_fold_raw(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return net_htons((uint16_t)sum);
}

/* The datagram: UDP header and the application's data, with the
 * checksum left to the device or ip_output (PKT_CSUM_PARTIAL). */
static int64_t udp_build(struct kmsg *m, const struct ip_out *o, uint16_t sport,
			 uint16_t dport, struct pkt **out)
{
	size_t len = m->data.resid;
	struct pkt *p = pkt_alloc(NET_HEADROOM, UDP_HLEN + len);
	struct udp_hdr *uh;

	if (!p)
		return -ENOBUFS;
	uh = pkt_put(p, UDP_HLEN);
	if (len &&
	    uio_copy_from(&m->data, pkt_put(p, len), len) != (int64_t)len) {
		pkt_free(p);
		return -EFAULT;
	}
	uh->sport = sport;
	uh->dport = dport;
	uh->len = net_htons((uint16_t)(UDP_HLEN + len));
	uh->csum = csum_fold_raw(ip_pseudo_sum(o->src, o->dst, IPPROTO_UDP,
					       (uint16_t)(UDP_HLEN + len)));
	p->flags = PKT_CSUM_PARTIAL;
	p->csum_start = (uint16_t)(p->data - p->head);
	p->csum_off = 6;
	*out = p;
	return (int64_t)len;
}

static int64_t udp_sendmsg(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock)
{
	struct udp_sock *us = s->priv;
	struct ip_out o = {0};
	uint16_t dport = 0, sport;
	struct pkt *p;
	int64_t len;
	int r;

	(void)nonblock;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_MORE) {
		linux_missing("sendmsg(UDP, MSG_MORE)");
		return -EOPNOTSUPP;
	}
	if (m->data.resid > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if ((r = take_err(us)))
		return r;
	mutex_lock(&us->lock);
	r = us->shut_wr ? -EPIPE : send_setup(us, m, &o, &dport);
	sport = us->lport;
	mutex_unlock(&us->lock);
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		linux_raise_sigpipe();
	if (r)
		return r;
	len = udp_build(m, &o, sport, dport, &p);
	if (len < 0)
		return len;
	r = ip_output(p, &o);
	if (r) {
		if (r == -ENOBUFS)
			NET_INC(udp_sndbuf_errors);
		return r;
	}
	NET_INC(udp_out_datagrams);
	return len;
}

/* ---- recvmsg ---- */

/* Appends one control message; false (MSG_CTRUNC) when it does not fit. */
static bool put_cmsg(struct kmsg *m, size_t *used, int type, const void *d,
		     size_t dlen)
{
	struct cmsg_k h = {sizeof(h) + dlen, IPPROTO_IP, type};
	size_t space = CMSG_ALIGN_K(sizeof(h) + dlen);

	if (!m->control || m->controllen - *used < sizeof(h) + dlen) {
		m->flags_out |= MSG_CTRUNC;
		return false;
	}
	memcpy((uint8_t *)m->control + *used, &h, sizeof(h));
	memcpy((uint8_t *)m->control + *used + sizeof(h), d, dlen);
	*used += MIN(space, m->controllen - *used);
	return true;
}

/* man 7 ip: IP_PKTINFO, IP_TTL (IP_RECVTTL), IP_TOS (IP_RECVTOS). */
static void recv_cmsgs(struct udp_sock *us, struct kmsg *m, const struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	size_t used = 0;

	if (us->pktinfo) {
		struct in_pktinfo_k pi = {p->dev ? p->dev->ifindex : 0, 0,
					  ih->dst};

		pi.spec_dst =
		    ip_addr_is_local(ih->dst) || ip_is_loopback(ih->dst)
			? ih->dst
			: (p->dev ? p->dev->ip : 0);
		put_cmsg(m, &used, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (us->recvttl) {
		int ttl = ih->ttl;

		put_cmsg(m, &used, IP_TTL, &ttl, sizeof(ttl));
	}
	if (us->recvtos)
		put_cmsg(m, &used, IP_TOS, &ih->tos, 1);
	m->controllen = used;
}

static void recv_name(struct kmsg *m, const struct pkt *p)
{
	const struct ip_hdr *ih = (const struct ip_hdr *)(p->head + p->l3_off);
	const struct udp_hdr *uh =
	    (const struct udp_hdr *)(p->head + p->l4_off);
	struct sockaddr_in_k sin = {AF_INET, uh->sport, ih->src, {0}};

	if (!m->name)
		return;
	memcpy(m->name, &sin, MIN(m->namelen, sizeof(sin)));
	m->namelen = sizeof(sin);
}

/* Sleeps until something can be read or the call's deadline (0: none)
 * passes; under us->lock. */
static int udp_wait(struct udp_sock *us, uint64_t deadline)
{
	int r = net_wait(&us->wq, &us->lock, deadline, udp_readable, us);

	if (r == -ETIMEDOUT)
		return -EAGAIN; /* SO_RCVTIMEO: man 7 socket */
	if (r == -ERESTARTSYS && deadline)
		return -EINTR; /* Linux's sock_intr_errno with a timeout */
	return r;
}

static int64_t udp_copy_out(struct udp_sock *us, struct kmsg *m, int flags,
			    struct pkt *p)
{
	int64_t n = uio_copy_to(&m->data, p->data, MIN(m->data.resid, p->len));

	if (n < 0)
		return n;
	if ((size_t)n < p->len)
		m->flags_out |= MSG_TRUNC;
	recv_name(m, p);
	recv_cmsgs(us, m, p);
	return flags & MSG_TRUNC ? (int64_t)p->len : n;
}

/* recvmsg(MSG_ERRQUEUE): the oldest queued error, never waiting; under
 * us->lock. The socket's error becomes the next one's, or none. */
static struct pkt *errq_peek(struct udp_sock *us)
{
	if (!us->errq_first)
		us->errq_first = netchan_pop(&us->errq);
	return us->errq_first;
}

static int64_t errq_recv(struct udp_sock *us, struct kmsg *m)
{
	struct pkt *p = errq_peek(us);

	if (!p)
		return -EAGAIN;
	us->errq_first = NULL;
	struct udp_err *e = (struct udp_err *)p->data;
	size_t quoted = p->len - sizeof(*e), used = 0;
	int64_t r = uio_copy_to(&m->data, e + 1, quoted);
	if (r >= 0 && (size_t)r < quoted)
		m->flags_out |= MSG_TRUNC;
	if (m->name) {
		struct sockaddr_in_k sin = {AF_INET, e->dport, e->dst, {0}};

		memcpy(m->name, &sin, MIN(m->namelen, sizeof(sin)));
		m->namelen = sizeof(sin);
	}
	struct {
		struct sock_ee ee;
		struct sockaddr_in_k offender;
	} c = {e->ee, {AF_INET, 0, e->offender, {0}}};
	put_cmsg(m, &used, IP_RECVERR, &c, sizeof(c));
	m->controllen = used;
	m->flags_out |= MSG_ERRQUEUE;
	pkt_free(p);
	struct pkt *next = errq_peek(us);
	__atomic_store_n(
	    &us->err, next ? (int)((struct udp_err *)next->data)->ee.errno_ : 0,
	    __ATOMIC_RELEASE);
	return r < 0 ? r : (int64_t)quoted;
}

static int64_t udp_recvmsg(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock)
{
	struct udp_sock *us = s->priv;
	uint64_t timeo = s->rcvtimeo;
	uint64_t deadline = timeo ? clock_monotonic_ns() + timeo : 0;
	int64_t r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE) {
		mutex_lock(&us->lock);
		r = errq_recv(us, m);
		mutex_unlock(&us->lock);
		return r;
	}
	nonblock |= flags & MSG_DONTWAIT;
	mutex_lock(&us->lock);
	for (;;) {
		udp_pull(us);
		if (us->rcvq)
			break;
		if ((r = take_err(us)))
			goto out;
		r = 0;
		if (us->shut_rd)
			goto out;
		r = -EAGAIN;
		if (nonblock || (r = udp_wait(us, deadline)))
			goto out;
	}
	r = udp_copy_out(us, m, flags, us->rcvq);
	if (r >= 0 && !(flags & MSG_PEEK)) {
		pkt_free(rcvq_take(us));
		NET_INC(udp_in_datagrams);
	}
out:
	mutex_unlock(&us->lock);
	return r;
}

/* ---- the rest of the operations ---- */

static int udp_shutdown(struct socket *s, int how)
{
	struct udp_sock *us = s->priv;
	bool connected;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mutex_lock(&us->lock);
	us->shut_rd |= how != SHUT_WR;
	us->shut_wr |= how != SHUT_RD;
	connected = us->connected;
	mutex_unlock(&us->lock);
	poll_notify(&us->wq, POLLIN | POLLOUT | POLLRDHUP);
	/* Linux's inet_shutdown: an unconnected datagram socket is shut
	 * down all the same, and the call says ENOTCONN */
	return connected ? 0 : -ENOTCONN;
}

static int udp_getname(struct socket *s, struct sockaddr_k *a, unsigned *len,
		       bool peer)
{
	struct udp_sock *us = s->priv;
	struct sockaddr_in_k sin = {.sin_family = AF_INET};
	int r = 0;

	mutex_lock(&us->lock);
	if (peer && !us->connected) {
		r = -ENOTCONN;
	} else if (peer) {
		sin.sin_addr = us->raddr;
		sin.sin_port = us->rport;
	} else {
		sin.sin_addr = us->laddr;
		sin.sin_port = us->lport;
	}
	mutex_unlock(&us->lock);
	memcpy(a, &sin, sizeof(sin));
	*len = sizeof(sin);
	return r;
}

static unsigned udp_poll(struct socket *s, struct file *f,
			 struct poll_table *pt)
{
	struct udp_sock *us = s->priv;
	unsigned mask = POLLOUT | POLLWRNORM | POLLWRBAND;

	poll_wait(f, &us->wq, pt);
	mutex_lock(&us->lock);
	udp_pull(us);
	if (us->rcvq)
		mask |= POLLIN | POLLRDNORM;
	if (__atomic_load_n(&us->err, __ATOMIC_ACQUIRE) || errq_peek(us))
		mask |= POLLERR;
	if (us->shut_rd)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (us->shut_rd && us->shut_wr)
		mask |= POLLHUP;
	mutex_unlock(&us->lock);
	return mask;
}

static int udp_ioctl(struct socket *s, unsigned long cmd, void *arg)
{
	struct udp_sock *us = s->priv;
	int v = 0;

	if (cmd == SIOCOUTQ) {
		memcpy(arg, &v, sizeof(v)); /* sent at once: nothing queued */
		return 0;
	}
	if (cmd != SIOCINQ)
		return -ENOTTY;
	/* Linux's udp_ioctl: the payload of the next datagram only */
	mutex_lock(&us->lock);
	udp_pull(us);
	v = us->rcvq ? (int)us->rcvq->len : 0;
	mutex_unlock(&us->lock);
	memcpy(arg, &v, sizeof(v));
	return 0;
}

/* ---- IPPROTO_IP options (man 7 ip) ---- */

/* Linux's ip_setsockopt reads an int, or one byte when fewer are given. */
static int opt_int(const void *val, unsigned len, int *out)
{
	if (len >= sizeof(int)) {
		memcpy(out, val, sizeof(int));
		return 0;
	}
	if (len >= 1) {
		*out = *(const uint8_t *)val;
		return 0;
	}
	return -EINVAL;
}

static int ip_mcast_opt(struct udp_sock *us, int name, const void *val,
			unsigned len)
{
	uint32_t group, a = 0;

	if (name == IP_MULTICAST_IF) {
		/* ip_mreqn or ip_mreq: the interface address is second;
		 * a bare in_addr is it */
		if (len >= 4)
			memcpy(&a, len >= 8 ? (const uint8_t *)val + 4 : val,
			       4);
		if (a && !ip_addr_is_local(a))
			return -EADDRNOTAVAIL;
		us->mc_if = a;
		return 0;
	}
	if (len < 8)
		return -EINVAL; /* struct ip_mreq */
	memcpy(&group, val, 4);
	if (!ip_is_multicast(group))
		return -EINVAL;
	/* No multicast reception here: Linux answers ENODEV when no route
	 * leads to the group (a host without multicast routing) */
	linux_missing(name == IP_ADD_MEMBERSHIP ? "IP_ADD_MEMBERSHIP"
						: "IP_DROP_MEMBERSHIP");
	return name == IP_ADD_MEMBERSHIP ? -ENODEV : -EADDRNOTAVAIL;
}

static int ip_bool_opt(struct udp_sock *us, int name, int v)
{
	bool b = v != 0;

	switch (name) {
	case IP_PKTINFO:
		us->pktinfo = b;
		break;
	case IP_RECVTTL:
		us->recvttl = b;
		break;
	case IP_RECVTOS:
		us->recvtos = b;
		break;
	case IP_MULTICAST_LOOP:
		us->mc_loop = b;
		break;
	case IP_MULTICAST_ALL:
		us->mc_all = b;
		break;
	case IP_FREEBIND:
		us->freebind = b;
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		us->no_port = b;
		break;
	case IP_RECVERR:
		__atomic_store_n(&us->recverr, b, __ATOMIC_RELAXED);
		if (!b) { /* Linux purges the queue when it is turned off */
			pkt_free(us->errq_first);
			us->errq_first = NULL;
			netchan_drain(&us->errq);
		}
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/* Reports once, by name, an option Linux has and we lack. IP_HDRINCL
 * and IP_MTU are not settable on a UDP socket in Linux either. */
static void ip_report_missing(int name)
{
	switch (name) {
	case IP_HDRINCL:
	case IP_MTU:
		return;
	case IP_OPTIONS:
		return linux_missing("setsockopt(IP_OPTIONS)");
	case IP_RECVOPTS:
	case IP_RETOPTS:
		return linux_missing("setsockopt(IP_RECVOPTS/IP_RETOPTS)");
	default:
		return linux_missing("setsockopt(IPPROTO_IP, other) on UDP");
	}
}

static int ip_setopt(struct udp_sock *us, int name, const void *val,
		     unsigned len)
{
	int v, r;

	if (name == IP_MULTICAST_IF || name == IP_ADD_MEMBERSHIP ||
	    name == IP_DROP_MEMBERSHIP)
		return ip_mcast_opt(us, name, val, len);
	if ((r = opt_int(val, len, &v)))
		return r;
	switch (name) {
	case IP_TOS:
		us->tos = (uint8_t)v;
		return 0;
	case IP_TTL:
		if (v == -1)
			v = 64;
		if (v < 1 || v > 255)
			return -EINVAL;
		us->ttl = (uint8_t)v;
		return 0;
	case IP_MULTICAST_TTL:
		if (v == -1)
			v = 1;
		if (v < 0 || v > 255)
			return -EINVAL;
		us->mc_ttl = (uint8_t)v;
		return 0;
	case IP_MTU_DISCOVER:
		if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
			return -EINVAL;
		us->pmtudisc = (uint8_t)v;
		return 0;
	}
	r = ip_bool_opt(us, name, v);
	if (r == -ENOPROTOOPT)
		ip_report_missing(name);
	return r;
}

static int udp_setsockopt(struct socket *s, int level, int name,
			  const void *val, unsigned len)
{
	struct udp_sock *us = s->priv;
	int r;

	if (level == SOL_SOCKET) {
		/* the layer stored it; the channel follows SO_RCVBUF */
		if (name == SO_RCVBUF || name == SO_RCVBUFFORCE)
			__atomic_store_n(&us->chan.limit, (uint64_t)s->rcvbuf,
					 __ATOMIC_RELAXED);
		if (name == SO_BINDTODEVICE_K) {
			mutex_lock(&us->lock);
			flow_lock();
			r = us->flow ? us_rehash(us) : 0;
			flow_unlock();
			mutex_unlock(&us->lock);
			return r;
		}
		return 0;
	}
	if (level != IPPROTO_IP) {
		if (level == IPPROTO_UDP)
			linux_missing("setsockopt(IPPROTO_UDP)");
		return -ENOPROTOOPT;
	}
	mutex_lock(&us->lock);
	r = ip_setopt(us, name, val, len);
	mutex_unlock(&us->lock);
	return r;
}

static int ip_getopt_val(struct udp_sock *us, int name, int *v)
{
	struct netdev *dev;
	uint32_t hop;

	switch (name) {
	case IP_TOS:
		*v = us->tos;
		return 0;
	case IP_TTL:
		*v = us->ttl;
		return 0;
	case IP_MULTICAST_TTL:
		*v = us->mc_ttl;
		return 0;
	case IP_MTU_DISCOVER:
		*v = us->pmtudisc;
		return 0;
	case IP_PKTINFO:
		*v = us->pktinfo;
		return 0;
	case IP_RECVTTL:
		*v = us->recvttl;
		return 0;
	case IP_RECVTOS:
		*v = us->recvtos;
		return 0;
	case IP_MULTICAST_LOOP:
		*v = us->mc_loop;
		return 0;
	case IP_MULTICAST_ALL:
		*v = us->mc_all;
		return 0;
	case IP_FREEBIND:
		*v = us->freebind;
		return 0;
	case IP_BIND_ADDRESS_NO_PORT:
		*v = us->no_port;
		return 0;
	case IP_RECVERR:
		*v = __atomic_load_n(&us->recverr, __ATOMIC_RELAXED);
		return 0;
	case IP_MTU:
		if (!us->connected)
			return -ENOTCONN;
		if (net_route_lookup_if(us->raddr, us->s->bound_if, &dev, &hop))
			return -ENOTCONN;
		*v = icmp_path_mtu(us->raddr) ? (int)icmp_path_mtu(us->raddr)
					      : (int)netdev_mtu(dev);
		return 0;
	case IP_MULTICAST_IF:
		*v = (int)us->mc_if;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int udp_getsockopt(struct socket *s, int level, int name, void *val,
			  unsigned *len)
{
	struct udp_sock *us = s->priv;
	int v, r;

	/* SO_ERROR: the pending ICMP error lives here; reading clears it
	 * (man 7 socket), for a layer that asks the protocol */
	if (level == SOL_SOCKET && name == SO_ERROR && *len >= sizeof(int)) {
		v = -take_err(us);
		memcpy(val, &v, sizeof(v));
		*len = sizeof(int);
		return 0;
	}
	if (level != IPPROTO_IP)
		return -ENOPROTOOPT;
	mutex_lock(&us->lock);
	r = ip_getopt_val(us, name, &v);
	mutex_unlock(&us->lock);
	if (r)
		return r;
	/* Linux's do_ip_getsockopt: one byte when asked for less than an
	 * int and the value fits */
	if (*len < sizeof(int) && *len > 0 && v >= 0 && v <= 255) {
		*(uint8_t *)val = (uint8_t)v;
		*len = 1;
		return 0;
	}
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static void us_release_cb(struct rcu_head *h)
{
	us_put(container_of(h, struct udp_sock, rcu));
}

static void udp_release(struct socket *s)
{
	struct udp_sock *us = s->priv;

	mutex_lock(&us->lock);
	flow_lock();
	if (us->flow)
		flow_remove(us->flow);
	us->flow = NULL;
	flow_unlock();
	while (us->rcvq)
		pkt_free(rcvq_take(us));
	pkt_free(us->errq_first);
	us->errq_first = NULL;
	netchan_drain(&us->errq);
	us->released = true;
	us->s = NULL;
	mutex_unlock(&us->lock);
	/* No lookup can find us after a grace period: then the socket's
	 * reference goes (see Lifetime at the top). */
	call_rcu(&us->rcu, us_release_cb);
}

static const struct sock_ops udp_ops = {
    .bind = udp_bind,
    .connect = udp_connect,
    .sendmsg = udp_sendmsg,
    .recvmsg = udp_recvmsg,
    .shutdown = udp_shutdown,
    .setsockopt = udp_setsockopt,
    .getsockopt = udp_getsockopt,
    .getname = udp_getname,
    .poll = udp_poll,
    .ioctl = udp_ioctl,
    .release = udp_release,
};

static struct udp_sock *us_new(struct socket *s)
{
	struct udp_sock *us = calloc(1, sizeof(*us));

	if (!us)
		return NULL;
	us->refs = 1;
	us->s = s;
	waitq_init(&us->wq);
	netchan_init(&us->chan, (uint64_t)s->rcvbuf);
	netchan_init(&us->errq, UDP_ERRQ_BYTES);
	mutex_init(&us->lock);
	us->rcvq_tail = &us->rcvq;
	us->ttl = 64;
	us->mc_ttl = 1;
	us->mc_loop = true;
	us->mc_all = true;
	us->pmtudisc = IP_PMTUDISC_WANT; /* Linux's ip_no_pmtu_disc = 0 */
	return us;
}

static int inet_create(struct socket *s, int type, int protocol)
{
	switch (type) {
	case SOCK_DGRAM:
		if (protocol && protocol != IPPROTO_UDP) {
			if (protocol == IPPROTO_ICMP)
				linux_missing("socket(AF_INET, SOCK_DGRAM, "
					      "IPPROTO_ICMP)");
			return -EPROTONOSUPPORT;
		}
		s->priv = us_new(s);
		if (!s->priv)
			return -ENOMEM;
		s->ops = &udp_ops;
		s->protocol = IPPROTO_UDP;
		return 0;
	case SOCK_STREAM:
		if (protocol && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		return tcp_create(s);
	case SOCK_RAW:
		linux_missing("socket(AF_INET, SOCK_RAW)");
		return -EPROTONOSUPPORT;
	default:
		return -ESOCKTNOSUPPORT;
	}
}

int udp_init(void)
{
	return net_family_register(AF_INET, inet_create);
}
