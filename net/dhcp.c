/*
 * The DHCP client in the kernel: for each interface it serves, a thread
 * that runs net/dhcp_msg.c's state machine, sends its messages as whole
 * frames through the device and applies what it binds (net/config.c).
 *
 * Replies arrive in the receiving thread (the IPv4 input calls
 * dhcp_input for UDP to port 68 that no socket took), which only queues
 * them for the client's thread, a bounded queue under a mutex: the
 * protocol, the configuration and the files it writes happen in the
 * client's thread, never in the receive path. The thread sleeps until a
 * reply is queued or the state machine's next deadline (a
 * retransmission, T1, T2, the lease's end).
 */
#include "net/dhcp.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/linux.h"
#include "net/net_private.h"

#define RXQ_MAX 16 /* replies waiting for the thread; more are dropped */

struct dhcp_if {
	/* set before the thread starts, then read-only */
	struct netdev *dev;
	/* under lock */
	struct mutex lock;
	struct condvar queued; /* the thread waits for replies here */
	struct condvar bound;  /* dhcp_start waits for a lease here */
	struct pkt *rxq, **rxq_tail;
	unsigned rxq_len;
	uint64_t rxq_dropped;
	bool is_bound;
	uint64_t ignored[DHCP_NDROPS]; /* the client's drops, copied */
	/* in the client list: set before publication, never removed */
	struct dhcp_if *next;
	/* the thread's own */
	struct dhcp_client c;
	struct dhcp_action act;
};

/* One client per interface, pushed under clients_lock with a release
 * store and never removed, so dhcp_input walks it without the lock. */
static struct dhcp_if *clients;
static struct mutex clients_lock = MUTEX_INIT;
static uint64_t stray; /* atomic: replies for no client */

static struct dhcp_if *client_of(struct netdev *dev)
{
	for (struct dhcp_if *di = __atomic_load_n(&clients, __ATOMIC_ACQUIRE);
	     di; di = di->next)
		if (di->dev == dev)
			return di;
	return NULL;
}

static uint32_t random32(void *arg)
{
	return (uint32_t)linux_random_u64();
}

/* ---- the receive side ---- */

void dhcp_input(struct netdev *dev, struct pkt *p)
{
	struct dhcp_if *di = client_of(dev);

	if (!di) {
		__atomic_fetch_add(&stray, 1, __ATOMIC_RELAXED);
		pkt_free(p);
		return;
	}
	mutex_lock(&di->lock);
	if (di->rxq_len >= RXQ_MAX) {
		di->rxq_dropped++;
		mutex_unlock(&di->lock);
		pkt_free(p);
		return;
	}
	p->next = NULL;
	*di->rxq_tail = p;
	di->rxq_tail = &p->next;
	di->rxq_len++;
	condvar_signal(&di->queued);
	mutex_unlock(&di->lock);
}

/* Under di->lock: the oldest queued reply, or NULL. */
static struct pkt *rxq_pop(struct dhcp_if *di)
{
	struct pkt *p = di->rxq;

	if (p) {
		di->rxq = p->next;
		if (!di->rxq)
			di->rxq_tail = &di->rxq;
		di->rxq_len--;
	}
	return p;
}

/* The Ethernet source of a received frame: the header before the IPv4
 * one, if the packet has it; else broadcast. */
static void frame_source(const struct pkt *p, uint8_t mac[6])
{
	size_t before = (size_t)(p->data - p->head);

	memset(mac, 0xff, 6);
	if (p->l3_off >= 14 && p->l3_off <= before)
		memcpy(mac, p->head + p->l3_off - 14 + 6, 6);
}

/* ---- the client's thread ---- */

static void send_msg(struct dhcp_if *di)
{
	struct netdev *dev = di->dev;
	struct pkt *p = pkt_alloc(NET_HEADROOM, DHCP_FRAME_MAX);
	uint8_t *buf;

	if (!p)
		return; /* a retransmission tries again */
	buf = pkt_put(p, DHCP_FRAME_MAX);
	pkt_trim(p, dhcp_frame(buf, &di->act, dev->mac,
			       (uint16_t)linux_random_u64()));
	dev->xmit(dev, p, cpu_id() % (dev->nqueues ? dev->nqueues : 1));
}

static void set_bound(struct dhcp_if *di, bool bound)
{
	mutex_lock(&di->lock);
	di->is_bound = bound;
	condvar_broadcast(&di->bound);
	mutex_unlock(&di->lock);
}

/* Does what the state machine asked; the unbinding first, since a lease
 * that ended both unbinds and sends a DISCOVER. */
static void act(struct dhcp_if *di)
{
	unsigned what = di->act.what;

	if (what & DHCP_ACT_UNBIND) {
		net_config_unbind(di->dev);
		set_bound(di, false);
	}
	if (what & DHCP_ACT_SEND)
		send_msg(di);
	if (what & DHCP_ACT_BIND) {
		net_config_bind(di->dev, &di->act.lease, "dhcp");
		set_bound(di, true);
	}
}

static void handle_reply(struct dhcp_if *di, struct pkt *p, uint64_t now)
{
	uint8_t src[6];

	frame_source(p, src);
	dhcp_client_input(&di->c, p->data, p->len, src, now, &di->act);
	pkt_free(p);
	mutex_lock(&di->lock);
	memcpy(di->ignored, di->c.drops, sizeof(di->ignored));
	mutex_unlock(&di->lock);
	act(di);
}

/* Sleeps until a reply is queued or the deadline; returns the reply. */
static struct pkt *wait_reply(struct dhcp_if *di, uint64_t deadline)
{
	struct pkt *p;

	mutex_lock(&di->lock);
	while (!(p = rxq_pop(di)) && clock_monotonic_ns() < deadline)
		condvar_wait_until(&di->queued, &di->lock,
				   deadline == ~0ull ? 0 : deadline);
	mutex_unlock(&di->lock);
	return p;
}

static void dhcp_thread(void *arg)
{
	struct dhcp_if *di = arg;

	dhcp_client_start(&di->c, clock_monotonic_ns(), &di->act);
	act(di);
	for (;;) {
		struct pkt *p = wait_reply(di, dhcp_client_deadline(&di->c));
		uint64_t now = clock_monotonic_ns();

		if (p)
			handle_reply(di, p, now);
		dhcp_client_timer(&di->c, now, &di->act);
		act(di);
	}
}

/* ---- starting ---- */

static struct dhcp_if *dhcp_if_new(struct netdev *dev)
{
	struct dhcp_if *di = calloc(1, sizeof(*di));

	if (!di)
		return NULL;
	di->dev = dev;
	mutex_init(&di->lock);
	condvar_init(&di->queued);
	condvar_init(&di->bound);
	di->rxq_tail = &di->rxq;
	dhcp_client_init(&di->c, dev->mac, dev->mtu, random32, NULL);
	return di;
}

/* Under di->lock: says which replies were ignored, if any, and why. */
static void print_ignored(const struct dhcp_if *di)
{
	char line[512] = "";
	size_t len = 0;
	uint64_t total = 0;

	for (int i = 1; i < DHCP_NDROPS; i++) {
		if (!di->ignored[i])
			continue;
		if (len < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len,
					"%s%lu %s", total ? ", " : "",
					di->ignored[i], dhcp_drop_names[i]);
		total += di->ignored[i];
	}
	if (total)
		kprintf("osprey: %s: %lu DHCP replies ignored (%s)\n",
			di->dev->name, total, line);
	if (di->rxq_dropped)
		kprintf("osprey: %s: %lu DHCP replies dropped (too many "
			"queued)\n",
			di->dev->name, di->rxq_dropped);
}

int dhcp_start(struct netdev *dev, uint64_t wait_ns)
{
	uint64_t deadline = clock_monotonic_ns() + wait_ns;
	struct dhcp_if *di;
	int err = 0;
	bool ok;

	mutex_lock(&clients_lock);
	di = client_of(dev) ? NULL : dhcp_if_new(dev);
	if (di) {
		di->next = clients;
		__atomic_store_n(&clients, di, __ATOMIC_RELEASE);
	}
	mutex_unlock(&clients_lock);
	if (!di)
		return client_of(dev) ? -EBUSY : -ENOMEM;
	if (!thread_create("dhcp", dhcp_thread, di, THREAD_DETACHED))
		return -ENOMEM; /* di stays listed: dhcp_input may hold it */
	mutex_lock(&di->lock);
	while (!di->is_bound && !err)
		err = condvar_wait_until(&di->bound, &di->lock, deadline);
	ok = di->is_bound;
	if (!ok && !boot_options.quiet)
		print_ignored(di);
	mutex_unlock(&di->lock);
	return ok ? 0 : err;
}
