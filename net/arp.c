/*
 * ARP (RFC 826) for IPv4 over Ethernet, with the host requirements of
 * RFC 1122 2.3.2: a bounded cache whose entries time out, a small queue
 * of packets per unresolved address, a few retransmitted requests, and
 * gratuitous ARP (RFC 5227 2.3) when an address is set.
 *
 * Entry states:
 *   INCOMPLETE  asked, no answer yet: packets wait in its queue (at most
 *               ARP_QUEUE_MAX, the oldest dropped first, as Linux's
 *               unres_qlen); ARP_MAX_TRIES requests ARP_RETRY_NS apart.
 *   REACHABLE   answered: used as is for ARP_REACHABLE_NS after the last
 *               confirmation, then still used while a new request goes
 *               out (Linux's STALE/PROBE, folded into one state); not
 *               confirmed within the retries, it becomes INCOMPLETE.
 *   FAILED      nobody answered: sends fail with EHOSTUNREACH for
 *               ARP_FAILED_HOLD_NS, then it may be asked again.
 *
 * Defence of our addresses: a packet whose sender claims an address of
 * ours never updates the table (counted: arp_own_addr_claims); RFC 5227
 * 2.4's defence (answering with our own announcement) is sent once per
 * such packet at most, rate-limited by the retry interval.
 *
 * Everything is under arp_mutex; requests and the released queues are
 * sent after it is let go (net_private.h's rule).
 */
#include "net/net_private.h"

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE, ARP_FAILED };

struct arp_entry {
	struct netdev *dev;
	uint32_t ip; /* network order */
	uint8_t mac[6];
	uint8_t state, tries;
	uint64_t confirmed_ns; /* REACHABLE: last reply; FAILED: when */
	uint64_t asked_ns;     /* last request sent */
	struct pkt *queue;     /* INCOMPLETE: waiting packets, oldest first */
	unsigned queued;
};

static struct mutex arp_mutex = MUTEX_INIT;
static struct arp_entry table[ARP_TABLE_MAX]; /* under arp_mutex */
static uint64_t defended_ns;		      /* under arp_mutex */

static struct arp_entry *arp_find(struct netdev *dev, uint32_t ip)
{
	for (unsigned i = 0; i < ARP_TABLE_MAX; i++)
		if (table[i].state != ARP_FREE && table[i].dev == dev &&
		    table[i].ip == ip)
			return &table[i];
	return NULL;
}

/* Frees the waiting packets of e, counting them. */
static void queue_drop(struct arp_entry *e)
{
	while (e->queue) {
		struct pkt *p = e->queue;

		e->queue = p->next;
		NET_INC(arp_queue_drops);
		NET_INC(ip_out_discards);
		pkt_free(p);
	}
	e->queued = 0;
}

/* A slot for a new entry: a free one, else the one confirmed longest ago
 * (its waiting packets dropped). */
static struct arp_entry *arp_slot(void)
{
	struct arp_entry *old = &table[0];

	for (unsigned i = 0; i < ARP_TABLE_MAX; i++) {
		if (table[i].state == ARP_FREE)
			return &table[i];
		if (table[i].confirmed_ns < old->confirmed_ns)
			old = &table[i];
	}
	queue_drop(old);
	return old;
}

static struct arp_entry *arp_new(struct netdev *dev, uint32_t ip)
{
	struct arp_entry *e = arp_slot();

	*e = (struct arp_entry){.dev = dev, .ip = ip, .state = ARP_INCOMPLETE};
	return e;
}

/* ---- sending ---- */

static void arp_send(struct netdev *dev, uint16_t op, uint32_t tip,
		     const uint8_t *tha, const uint8_t *dst)
{
	struct pkt *p = pkt_alloc(NET_HEADROOM, sizeof(struct arp_pkt));
	struct arp_pkt *a;

	if (!p)
		return;
	a = pkt_put(p, sizeof(*a));
	a->htype = net_htons(1);
	a->ptype = net_htons(ETH_P_IP);
	a->hlen = 6;
	a->plen = 4;
	a->op = net_htons(op);
	memcpy(a->sha, dev->mac, 6);
	a->spa = __atomic_load_n(&dev->ip, __ATOMIC_ACQUIRE);
	memcpy(a->tha, tha, 6);
	a->tpa = tip;
	ether_xmit(dev, p, dst, net_htons(ETH_P_ARP));
}

static void arp_request(struct netdev *dev, uint32_t ip)
{
	static const uint8_t zero[6];

	arp_send(dev, ARP_REQUEST, ip, zero, ether_bcast);
}

void arp_announce(struct netdev *dev)
{
	static const uint8_t zero[6];

	/* RFC 5227 2.3: a request with our address as sender and target */
	arp_send(dev, ARP_REQUEST, dev->ip, zero, ether_bcast);
}

/* Sends the packets a reply released, after arp_mutex is let go. */
static void queue_send(struct netdev *dev, struct pkt *q, const uint8_t *mac)
{
	while (q) {
		struct pkt *p = q;

		q = p->next;
		p->next = NULL;
		ether_xmit(dev, p, mac, net_htons(ETH_P_IP));
	}
}

/* ---- resolving ---- */

/* Queues p on the incomplete entry e (dropping the oldest when full);
 * true when a request is due now. */
static bool arp_wait(struct arp_entry *e, struct pkt *p, uint64_t now)
{
	struct pkt **tail = &e->queue;

	if (e->queued == ARP_QUEUE_MAX) {
		struct pkt *old = e->queue;

		e->queue = old->next;
		e->queued--;
		NET_INC(arp_queue_drops);
		NET_INC(ip_out_discards);
		pkt_free(old);
	}
	while (*tail)
		tail = &(*tail)->next;
	p->next = NULL;
	*tail = p;
	e->queued++;
	if (e->tries && now - e->asked_ns < ARP_RETRY_NS)
		return false;
	e->tries++;
	e->asked_ns = now;
	return true;
}

/* A REACHABLE entry past its time: re-resolve in the background. */
static bool arp_refresh_due(struct arp_entry *e, uint64_t now)
{
	if (now - e->confirmed_ns < ARP_REACHABLE_NS)
		return false;
	if (now - e->asked_ns < ARP_RETRY_NS)
		return false;
	e->asked_ns = now;
	return true;
}

int arp_resolve(struct netdev *dev, uint32_t ip, struct pkt *p, uint8_t mac[6])
{
	uint64_t now = clock_monotonic_ns();
	struct arp_entry *e;
	bool ask = false;
	int r = 0;

	mutex_lock(&arp_mutex);
	e = arp_find(dev, ip);
	if (e && e->state == ARP_FAILED &&
	    now - e->confirmed_ns >= ARP_FAILED_HOLD_NS)
		*e = (struct arp_entry){
		    .dev = dev, .ip = ip, .state = ARP_INCOMPLETE};
	if (!e)
		e = arp_new(dev, ip);
	if (e->state == ARP_REACHABLE &&
	    now - e->confirmed_ns >=
		ARP_REACHABLE_NS + ARP_MAX_TRIES * ARP_RETRY_NS)
		*e = (struct arp_entry){
		    .dev = dev, .ip = ip, .state = ARP_INCOMPLETE};
	if (e->state == ARP_REACHABLE) {
		memcpy(mac, e->mac, 6);
		ask = arp_refresh_due(e, now);
	} else if (e->state == ARP_FAILED) {
		r = -EHOSTUNREACH;
	} else {
		ask = arp_wait(e, p, now);
		r = -EAGAIN;
	}
	mutex_unlock(&arp_mutex);
	if (ask)
		arp_request(dev, ip);
	if (r == -EHOSTUNREACH) {
		NET_INC(ip_out_discards);
		pkt_free(p);
	}
	return r;
}

/* Retransmissions and the end of the unanswered (net_tick, ~1 s). */
void arp_tick(uint64_t now)
{
	struct {
		struct netdev *dev;
		uint32_t ip;
	} ask[16];
	unsigned n = 0;

	mutex_lock(&arp_mutex);
	for (unsigned i = 0; i < ARP_TABLE_MAX; i++) {
		struct arp_entry *e = &table[i];

		if (e->state != ARP_INCOMPLETE ||
		    now - e->asked_ns < ARP_RETRY_NS)
			continue;
		if (e->tries >= ARP_MAX_TRIES) {
			queue_drop(e);
			e->state = ARP_FAILED;
			e->confirmed_ns = now;
		} else if (n < ARRAY_SIZE(ask)) {
			e->tries++;
			e->asked_ns = now;
			ask[n].dev = e->dev;
			ask[n++].ip = e->ip;
		}
	}
	mutex_unlock(&arp_mutex);
	for (unsigned i = 0; i < n; i++)
		arp_request(ask[i].dev, ask[i].ip);
}

/* ---- input ---- */

static bool arp_sane(const struct arp_pkt *a)
{
	/* RFC 826: Ethernet hardware, IPv4 protocol, their lengths */
	return a->htype == net_htons(1) && a->ptype == net_htons(ETH_P_IP) &&
	       a->hlen == 6 && a->plen == 4 && !(a->sha[0] & 1) &&
	       (a->op == net_htons(ARP_REQUEST) ||
		a->op == net_htons(ARP_REPLY));
}

/* RFC 826's merge: update the sender's entry if we have one, or add it
 * when the packet is for us. Returns the released queue (to send). */
static struct pkt *arp_learn(struct netdev *dev, const struct arp_pkt *a,
			     bool for_us, uint64_t now)
{
	struct arp_entry *e = arp_find(dev, a->spa);
	struct pkt *q;

	if (!e && !for_us)
		return NULL;
	if (!e)
		e = arp_new(dev, a->spa);
	memcpy(e->mac, a->sha, 6);
	e->state = ARP_REACHABLE;
	e->confirmed_ns = now;
	e->tries = 0;
	q = e->queue;
	e->queue = NULL;
	e->queued = 0;
	return q;
}

/* Someone says our address is theirs: never believed; defended once per
 * retry interval (RFC 5227 2.4 (b)). */
static bool arp_conflict(struct netdev *dev, uint64_t now)
{
	NET_INC(arp_own_addr_claims);
	(void)dev;
	if (now - defended_ns < ARP_RETRY_NS && defended_ns)
		return false;
	defended_ns = now;
	return true;
}

void arp_input(struct netdev *dev, struct pkt *p)
{
	const struct arp_pkt *a = (const struct arp_pkt *)p->data;
	uint32_t ours = __atomic_load_n(&dev->ip, __ATOMIC_ACQUIRE);
	uint64_t now = clock_monotonic_ns();
	struct pkt *released = NULL;
	bool for_us, defend = false;
	uint8_t mac[6];

	if (p->len < sizeof(*a) || !arp_sane(a))
		goto out_drop;
	for_us = ours && a->tpa == ours;
	memcpy(mac, a->sha, 6);
	mutex_lock(&arp_mutex);
	if (a->spa && (a->spa == ours || ip_addr_is_local(a->spa)))
		defend = arp_conflict(dev, now);
	else if (a->spa && a->spa != INADDR_BROADCAST)
		released = arp_learn(dev, a, for_us, now);
	mutex_unlock(&arp_mutex);
	queue_send(dev, released, mac);
	if (defend)
		arp_announce(dev);
	else if (for_us && a->op == net_htons(ARP_REQUEST))
		arp_send(dev, ARP_REPLY, a->spa, mac, mac);
	pkt_free(p);
	return;
out_drop:
	net_drop(dev, p);
}

/* ---- for tests and /proc/net/arp ---- */

bool arp_lookup(struct netdev *dev, uint32_t ip, uint8_t mac[6])
{
	struct arp_entry *e;
	bool found;

	mutex_lock(&arp_mutex);
	e = arp_find(dev, ip);
	found = e && e->state == ARP_REACHABLE;
	if (found)
		memcpy(mac, e->mac, 6);
	mutex_unlock(&arp_mutex);
	return found;
}

unsigned arp_count(void)
{
	unsigned n = 0;

	mutex_lock(&arp_mutex);
	for (unsigned i = 0; i < ARP_TABLE_MAX; i++)
		n += table[i].state != ARP_FREE;
	mutex_unlock(&arp_mutex);
	return n;
}

void arp_flush(void)
{
	mutex_lock(&arp_mutex);
	for (unsigned i = 0; i < ARP_TABLE_MAX; i++) {
		queue_drop(&table[i]);
		table[i].state = ARP_FREE;
	}
	mutex_unlock(&arp_mutex);
}

/* Linux's /proc/net/arp (arp_seq_show): flags 0x2 (ATF_COM) when
 * complete, 0x0 while asking. */
int arp_proc(char *buf, size_t size)
{
	size_t n;

	n = (size_t)snprintf(buf, size,
			     "IP address       HW type     Flags   "
			     "    HW address            Mask     "
			     "Device\n");
	mutex_lock(&arp_mutex);
	for (unsigned i = 0; i < ARP_TABLE_MAX && n < size; i++) {
		const struct arp_entry *e = &table[i];
		uint32_t h = net_ntohl(e->ip);
		char ip[16];

		if (e->state == ARP_FREE || e->state == ARP_FAILED)
			continue;
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", h >> 24,
			 (h >> 16) & 255, (h >> 8) & 255, h & 255);
		n += (size_t)snprintf(
		    buf + n, size - n,
		    "%-16s 0x%-10x0x%-10x%02x:%02x:%02x:%02x:%02x:%02x"
		    "     *        %s\n",
		    ip, 1, e->state == ARP_REACHABLE ? 2 : 0, e->mac[0],
		    e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5],
		    e->dev->name);
	}
	mutex_unlock(&arp_mutex);
	return (int)MIN(n, size ? size - 1 : 0);
}
