/*
 * Stand-ins for the kernel services net/ uses, for its host builds (the
 * unit tests and the receive-path fuzzer), and a fake Ethernet interface
 * whose transmissions are kept for the test to look at (or freed).
 * Single-threaded: see net_host.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "linux/linux.h"
#include "net/net_private.h"
#include "tests/host/net_host_dev.h"

uint64_t host_now_ns = 1000000000ull; /* the fake monotonic clock */

/* kernel/kernel.h's assert ends in panic */
void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void mutex_init(struct mutex *m)
{
	m->held = 0;
}

void mutex_lock(struct mutex *m)
{
	assert(!m->held); /* a deadlock in the kernel */
	m->held = 1;
}

void mutex_unlock(struct mutex *m)
{
	assert(m->held);
	m->held = 0;
}

bool mutex_held(const struct mutex *m)
{
	return m->held;
}

void timer_init(struct timer *t, void (*fn)(struct timer *))
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
}

static struct timer *armed_timers;

void timer_cancel(struct timer *t)
{
	for (struct timer **pp = &armed_timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->armed = false;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
	timer_cancel(t);
	t->deadline = deadline_ns;
	t->armed = true;
	t->next = armed_timers;
	armed_timers = t;
}

void host_timers_fire(void)
{
	for (struct timer **pp = &armed_timers; *pp;) {
		struct timer *t = *pp;

		if (t->deadline > host_now_ns) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		t->armed = false;
		t->fn(t);
		pp = &armed_timers; /* fn may have changed the list */
	}
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned flags)
{
	static char dummy;

	(void)name, (void)fn, (void)arg, (void)flags;
	return (struct thread *)&dummy; /* never runs: tcp_work_drain */
}

void thread_wake(struct thread *t)
{
	(void)t;
}

int thread_set_affinity(struct thread *t, uint64_t mask)
{
	(void)t, (void)mask;
	return 0;
}

void thread_start(struct thread *t)
{
	(void)t;
}

void sched_prepare_wait(void)
{
}

void sched_cancel_wait(void)
{
}

void sched_wait(void)
{
}

uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns ? host_now_ns + timeo_ns : 0;
}

void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	fn(head);
}

uint64_t clock_monotonic_ns(void)
{
	return host_now_ns;
}

void thread_sleep_ns(uint64_t ns)
{
	host_now_ns += ns;
}

unsigned net_cpu(void)
{
	return 0;
}

uint32_t net_random(void)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13; /* xorshift32: reproducible runs */
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

void waitq_init(struct waitq *wq)
{
	memset(wq, 0, sizeof(*wq));
}

int host_notifications;
void poll_notify(struct waitq *wq, unsigned events)
{
	(void)wq;
	(void)events;
	host_notifications++;
}

int net_wait(struct waitq *wq, struct mutex *m, uint64_t deadline_ns,
	     bool (*ready)(void *arg), void *arg)
{
	(void)wq;
	(void)m;
	(void)deadline_ns;
	return ready(arg) ? 0 : -ETIMEDOUT; /* nobody else could wake us */
}

void linux_missing(const char *what)
{
	(void)what;
}

void linux_raise_sigpipe(void)
{
}

int copy_to_user(uint64_t dst, const void *src, size_t n)
{
	memcpy((void *)dst, src, n);
	return 0;
}

int copy_from_user(void *dst, uint64_t src, size_t n)
{
	memcpy(dst, (const void *)src, n);
	return 0;
}

int net_ipv4_init(void)
{
	static bool done;

	if (done)
		return 0;
	done = true;
	return udp_init() ?: tcp_init();
}

void dhcp_input(struct netdev *dev, struct pkt *p)
{
	net_drop(dev, p);
}

/* ---- the fake interface ---- */
struct netdev host_eth;
struct pkt *host_sent[HOST_SENT_MAX];
unsigned host_nsent;
bool host_keep_sent = true;

static int host_xmit(struct netdev *dev, struct pkt *p, unsigned q)
{
	(void)dev;
	(void)q;
	if (host_keep_sent && host_nsent < HOST_SENT_MAX) {
		host_sent[host_nsent++] = p;
		return 0;
	}
	pkt_free(p);
	return 0;
}

void host_sent_clear(void)
{
	for (unsigned i = 0; i < host_nsent; i++)
		pkt_free(host_sent[i]);
	host_nsent = 0;
}

void host_net_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	net_loopback_init();
	memcpy(host_eth.mac, HOST_MAC, 6);
	host_eth.mtu = 1500;
	host_eth.xmit = host_xmit;
	netdev_register(&host_eth);
	net_if_set_addr(&host_eth, HOST_IP, 24);
	net_set_gateway(HOST_GW);
	host_sent_clear(); /* the gratuitous ARP */
}

/* ---- files for sendfile's spans (net/tcp_sq.c) ---- */
struct host_file {
	uint8_t *bytes; /* size, rounded up to whole pages */
	size_t size;
};
long host_page_refs; /* frames handed out by vfs_file_page_get, not put */

struct file *host_file_new(const void *bytes, size_t size)
{
	struct file *f = calloc(1, sizeof(*f));
	struct host_file *h = calloc(1, sizeof(*h));

	if (!f || !h)
		panic("host_file_new: out of memory");
	h->bytes = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!h->bytes)
		panic("host_file_new: out of memory");
	memcpy(h->bytes, bytes, size);
	h->size = size;
	f->priv = h;
	f->refs = 1;
	return f;
}

/* A "frame address" whose phys_to_virt is the host page. */
uint64_t vfs_file_page_get(struct file *f, uint64_t index, bool shared)
{
	struct host_file *h = f->priv;

	(void)shared;
	if (index * 4096 >= h->size)
		return 0;
	host_page_refs++;
	return virt_to_phys(h->bytes + index * 4096);
}

void pmm_frame_put(uint64_t phys)
{
	if (phys & 4095 || host_page_refs <= 0)
		panic("pmm_frame_put: %lx not a frame handed out", phys);
	host_page_refs--;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	struct host_file *h = f->priv;

	if (--f->refs)
		return;
	free(h->bytes);
	free(h);
	free(f);
}
