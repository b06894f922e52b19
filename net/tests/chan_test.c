/*
 * Self-tests of what needs threads: the net channel under concurrent
 * producers (every packet arrives once, each producer's in its order,
 * the byte count returns to zero), a UDP reader that blocks until a
 * datagram comes from another thread, and SO_RCVTIMEO's EAGAIN. Loops
 * are bounded in count; waits in time.
 */
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"
#include "net/net_private.h"

#define PRODUCERS 3
#define PER_PRODUCER 3000
#define MS 1000000ull

static struct netchan chan;
/* malloc's transient NULLs (kernel/mm/heap.c's small_alloc gives up
 * after two refills when other threads on its CPU empty the per-CPU
 * cache in between: reported to the lead); retried, and shown. */
static int alloc_retries; /* atomic */

static void producer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	for (uint32_t i = 0; i < PER_PRODUCER; i++) {
		struct pkt *p;
		uint32_t *v;

		for (int tries = 0; !(p = pkt_alloc(0, 8)) && tries < 100;
		     tries++) {
			__atomic_fetch_add(&alloc_retries, 1, __ATOMIC_RELAXED);
			thread_yield();
		}
		if (!p)
			return; /* out of memory for real: counted as lost */
		v = pkt_put(p, 8);
		v[0] = (uint32_t)id;
		v[1] = i;
		while (!netchan_push(&chan, p))
			thread_yield(); /* full: let the consumer run */
	}
}

static int chan_concurrent(void)
{
	struct thread *t[PRODUCERS];
	uint32_t next[PRODUCERS] = {0};
	uint64_t deadline = clock_monotonic_ns() + 5000 * MS;
	unsigned got = 0, order_errors = 0;
	int failures = 0;

	netchan_init(&chan, 64 * 8); /* small: producers meet the bound */
	for (uintptr_t i = 0; i < PRODUCERS; i++) {
		t[i] = thread_create("chan-producer", producer, (void *)i,
				     THREAD_SUSPENDED);
		CHECK(t[i] != NULL);
		if (!t[i])
			return failures;
		thread_set_affinity(t[i], 1u << (i % cpu_count));
		thread_start(t[i]);
	}
	while (got < PRODUCERS * PER_PRODUCER &&
	       clock_monotonic_ns() < deadline) {
		struct pkt *p = netchan_pop(&chan);
		const uint32_t *v;

		if (!p) {
			thread_yield();
			continue;
		}
		v = (const uint32_t *)p->data;
		if (v[0] >= PRODUCERS || v[1] != next[v[0]])
			order_errors++;
		else
			next[v[0]]++;
		got++;
		pkt_free(p);
	}
	for (unsigned i = 0; i < PRODUCERS; i++)
		thread_join(t[i]);
	if (alloc_retries)
		kprintf("  (malloc failed %d times and was retried)\n",
			alloc_retries);
	CHECK_EQ(got, PRODUCERS * PER_PRODUCER);
	CHECK_EQ(order_errors, 0);
	CHECK(netchan_pop(&chan) == NULL);
	CHECK_EQ(chan.bytes, 0);
	return failures;
}

/* ---- a blocking reader woken by another thread's datagram ---- */
#define LOCALHOST 0x0100007fu

static struct socket *rx_sock;
static uint16_t rx_port;

static void late_sender(void *arg)
{
	struct socket *s = arg;
	struct sockaddr_in_k a = {AF_INET, rx_port, LOCALHOST, {0}};
	struct kiovec v = {(uint64_t) "wake", 4};
	struct kmsg m = {.name = (struct sockaddr_k *)&a, .namelen = sizeof(a)};

	thread_sleep_ns(20 * MS);
	uio_init(&m.data, &v, 1, false);
	s->ops->sendmsg(s, &m, 0, false);
}

static struct socket *udp_open(void)
{
	struct socket *s = sock_alloc(AF_INET, SOCK_DGRAM, 0);

	if (s && net_family(AF_INET)(s, SOCK_DGRAM, 0)) {
		free(s);
		return NULL;
	}
	return s;
}

static int64_t recv_blocking(struct socket *s, char *buf, size_t n)
{
	struct kiovec v = {(uint64_t)buf, n};
	struct kmsg m = {0};

	uio_init(&m.data, &v, 1, false);
	return s->ops->recvmsg(s, &m, 0, false);
}

static int udp_blocking(void)
{
	struct socket *tx = udp_open();
	struct sockaddr_in_k a = {AF_INET, 0, LOCALHOST, {0}};
	unsigned len = sizeof(a);
	struct thread *t;
	uint64_t start;
	char buf[8];
	int failures = 0;

	rx_sock = udp_open();
	CHECK(rx_sock && tx);
	if (!rx_sock || !tx)
		return failures;
	CHECK_EQ(rx_sock->ops->bind(rx_sock, (struct sockaddr_k *)&a, len), 0);
	rx_sock->ops->getname(rx_sock, (struct sockaddr_k *)&a, &len, false);
	rx_port = a.sin_port;
	t = thread_create("late-sender", late_sender, tx, THREAD_SUSPENDED);
	CHECK(t != NULL);
	if (t) {
		thread_set_affinity(t, cpu_count > 1 ? 2 : 1);
		thread_start(t);
		CHECK_EQ(recv_blocking(rx_sock, buf, sizeof(buf)), 4);
		thread_join(t);
	}
	/* SO_RCVTIMEO: EAGAIN once it passed, not before */
	rx_sock->rcvtimeo = 30 * MS;
	start = clock_monotonic_ns();
	CHECK_EQ(recv_blocking(rx_sock, buf, sizeof(buf)), -EAGAIN);
	CHECK(clock_monotonic_ns() - start >= 30 * MS);
	rx_sock->ops->release(rx_sock);
	free(rx_sock);
	tx->ops->release(tx);
	free(tx);
	return failures;
}

static int netchan_test(void)
{
	if (net_loopback_init())
		return 1;
	return chan_concurrent() + udp_blocking();
}
SELFTEST("netchan", netchan_test);
