/*
 * The core of net/: packet buffers, the interface list, the address
 * families and the copy helpers of socket calls.
 *
 * The interface list is written only under config_mutex and read without
 * a lock: an interface is fully set up before the release store that
 * links it, and interfaces are never removed, so a reader that follows
 * ->next with acquire loads sees only complete ones.
 */
#include "net/net.h"

#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/linux.h"

#define NET_FLUSH_POLL_NS 1000000 /* 1 ms between looks at the queues */

/* ---- packet buffers ---- */

struct pkt *pkt_alloc_frags(size_t headroom, size_t len, unsigned nfrags)
{
	size_t size = headroom + len;
	size_t extra = nfrags > PKT_FRAGS ? nfrags * sizeof(struct pkt_frag) : 0;
	struct pkt *p;

	if (size < headroom || size > (1u << 20) || nfrags > PKT_FRAGS_MAX)
		return NULL;
	p = malloc(sizeof(*p) + size + extra + (extra ? 8 : 0));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->head = (uint8_t *)(p + 1);
	p->data = p->head + headroom;
	p->size = (uint32_t)size;
	p->frag = p->frag_in;
	if (extra) /* past the buffer, 8-byte aligned */
		p->frag = (struct pkt_frag *)ALIGN_UP(
		    (uintptr_t)(p->head + size), 8);
	return p;
}

struct pkt *pkt_alloc(size_t headroom, size_t len)
{
	return pkt_alloc_frags(headroom, len, 0);
}

void pkt_free(struct pkt *p)
{
	if (!p)
		return;
	if (p->frag_put)
		p->frag_put(p, p->frag_arg);
	if (p->release)
		p->release(p, p->release_arg);
	else
		free(p);
}

/* An offset from head moved to a copy with another headroom (0: unset). */
static uint16_t moved(uint16_t off, size_t from, size_t to)
{
	return off ? (uint16_t)(off - from + to) : 0;
}

struct pkt *pkt_copy(struct pkt *p, size_t headroom)
{
	size_t room = (size_t)(p->data - p->head);
	struct pkt *c = pkt_alloc(headroom, pkt_wire_len(p));
	uint8_t *at;

	if (c) {
		at = pkt_put(c, pkt_wire_len(p));
		memcpy(at, p->data, p->len);
		at += p->len;
		for (unsigned i = 0; i < p->nfrags; i++) {
			memcpy(at, p->frag[i].addr, p->frag[i].len);
			at += p->frag[i].len;
		}
		c->flags = p->flags;
		c->gso_size = p->gso_size;
		c->csum_off = p->csum_off;
		c->csum_start = moved(p->csum_start, room, headroom);
		c->l3_off = moved(p->l3_off, room, headroom);
		c->l4_off = moved(p->l4_off, room, headroom);
	}
	pkt_free(p);
	return c;
}

struct pkt *pkt_linearize(struct pkt *p)
{
	return p->nfrags ? pkt_copy(p, (size_t)(p->data - p->head)) : p;
}

void *pkt_push(struct pkt *p, size_t n)
{
	if (n > (size_t)(p->data - p->head))
		return NULL;
	p->data -= n;
	p->len += (uint32_t)n;
	return p->data;
}

void *pkt_pull(struct pkt *p, size_t n)
{
	if (n > p->len)
		return NULL;
	p->data += n;
	p->len -= (uint32_t)n;
	return p->data;
}

void *pkt_put(struct pkt *p, size_t n)
{
	size_t used = (size_t)(p->data - p->head) + p->len;
	uint8_t *tail = p->data + p->len;

	if (n > p->size - used)
		return NULL;
	p->len += (uint32_t)n;
	return tail;
}

void pkt_trim(struct pkt *p, size_t len)
{
	assert(len <= p->len);
	p->len = (uint32_t)len;
}

/* ---- checksums (RFC 1071) ---- */

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t acc = sum;

	/* Big-endian 16-bit words; a trailing byte is the high half. */
	for (; len >= 2; len -= 2, b += 2)
		acc += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		acc += (uint32_t)b[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/* The folded, complemented sum in network byte order, ready to store. */
uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return net_htons((uint16_t)~sum);
}

/* ---- interfaces ---- */

void (*net_rx_monitor)(struct netdev *dev, const struct pkt *p);

static struct mutex config_mutex = MUTEX_INIT;
static struct netdev *netdevs; /* lo first; published with release stores */
static int next_ifindex = 2;   /* 1 is lo's, as on Linux, whenever it comes */
static int next_eth;

/*
 * Loopback (IFF_LOOPBACK set by its driver) is interface 1 and heads the
 * list, as on Linux, even though the drivers' interfaces register first.
 */
int netdev_register(struct netdev *dev)
{
	struct netdev **at = &netdevs;
	bool lo = dev->flags & IFF_LOOPBACK;

	mutex_lock(&config_mutex);
	if (!dev->name[0])
		snprintf(dev->name, sizeof(dev->name), "eth%d", next_eth++);
	dev->ifindex = lo ? 1 : next_ifindex++;
	if (!dev->nqueues)
		dev->nqueues = 1;
	__atomic_or_fetch(&dev->flags, IFF_UP | IFF_RUNNING, __ATOMIC_RELAXED);
	while (!lo && *at)
		at = &(*at)->next;
	dev->next = *at; /* complete before the store that publishes it */
	__atomic_store_n(at, dev, __ATOMIC_RELEASE);
	mutex_unlock(&config_mutex);
	return 0;
}

struct netdev *netdev_first(void)
{
	return __atomic_load_n(&netdevs, __ATOMIC_ACQUIRE);
}

static bool net_tx_busy(void)
{
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (d->tx_busy && d->tx_busy(d))
			return true;
	return false;
}

void net_flush(uint64_t max_ns)
{
	uint64_t end = clock_monotonic_ns() + max_ns;

	while (net_tx_busy() && clock_monotonic_ns() < end)
		thread_sleep_ns(NET_FLUSH_POLL_NS);
}

struct netdev *netdev_by_index(int ifindex)
{
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (d->ifindex == ifindex)
			return d;
	return NULL;
}

struct netdev *netdev_by_name(const char *name)
{
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE))
		if (!strncmp(d->name, name, sizeof(d->name)))
			return d;
	return NULL;
}

/* ---- address families ---- */

int inet_sin_get(const struct sockaddr_k *a, unsigned len,
		 struct sockaddr_in_k *sin)
{
	if (len < sizeof(*sin))
		return -EINVAL;
	memcpy(sin, a, sizeof(*sin));
	return 0;
}

int inet_bind_sin_get(const struct sockaddr_k *a, unsigned len,
		      struct sockaddr_in_k *sin)
{
	int r = inet_sin_get(a, len, sin);

	/* Linux's inet_bind: AF_UNSPEC passes only with INADDR_ANY */
	if (!r && sin->sin_family != AF_INET &&
	    (sin->sin_family != AF_UNSPEC || sin->sin_addr))
		r = -EAFNOSUPPORT;
	return r;
}

static sock_create_fn families[AF_MAX]; /* set at init, then read-only */

int net_family_register(int family, sock_create_fn create)
{
	if (family <= 0 || family >= AF_MAX || families[family])
		return -EINVAL;
	families[family] = create;
	return 0;
}

/* The constructor of `family`, or NULL when no one serves it. */
sock_create_fn net_family(int family)
{
	if (family <= 0 || family >= AF_MAX)
		return NULL;
	return families[family];
}

struct socket *sock_alloc(int family, int type, int protocol)
{
	static uint64_t next_ino = 1; /* atomic */
	struct socket *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->rcvbuf = SOCK_DEFAULT_RCVBUF;
	s->sndbuf = SOCK_DEFAULT_SNDBUF;
	waitq_init(&s->wq);
	return s;
}

/* ---- the data of socket calls ---- */

void uio_init(struct uio *u, struct kiovec *iov, unsigned iovcnt, bool user)
{
	*u = (struct uio){.iov = iov, .iovcnt = iovcnt, .user = user};
	for (unsigned i = 0; i < iovcnt; i++)
		u->resid += iov[i].len;
}

/* Copies n bytes between kernel memory k and the uio's current place. */
static int uio_step(struct uio *u, void *k, size_t n, bool to_uio)
{
	uint64_t at = u->iov[u->idx].base + u->off;

	if (!u->user) {
		if (to_uio)
			memcpy((void *)at, k, n);
		else
			memcpy(k, (const void *)at, n);
		return 0;
	}
	return to_uio ? copy_to_user(at, k, n) : copy_from_user(k, at, n);
}

static int64_t uio_copy(struct uio *u, void *k, size_t n, bool to_uio)
{
	size_t done = 0;

	while (done < n && u->resid) {
		struct kiovec *v = &u->iov[u->idx];
		size_t chunk = v->len - u->off;

		if (chunk > n - done)
			chunk = n - done;
		if (chunk && uio_step(u, (uint8_t *)k + done, chunk, to_uio))
			return done ? (int64_t)done : -EFAULT;
		done += chunk;
		u->off += chunk;
		u->resid -= chunk;
		if (u->off == v->len) {
			u->idx++;
			u->off = 0;
		}
	}
	return (int64_t)done;
}

int64_t uio_copy_to(struct uio *u, const void *src, size_t n)
{
	return uio_copy(u, (void *)src, n, true);
}

int64_t uio_copy_from(struct uio *u, void *dst, size_t n)
{
	return uio_copy(u, dst, n, false);
}
