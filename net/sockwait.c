/*
 * The kernel side of the IPv4 stack that the host builds replace
 * (tests/host/net_host.h): sleeping on a socket, the CPU number, random
 * bits, and the thread that runs the stack's timers.
 */
#include "net/net_private.h"

#include "kernel/sched/sched.h"
#include "linux/linux.h"

#define NET_TICK_NS 500000000ull /* ARP retries are 1 s apart */

unsigned net_cpu(void)
{
	return cpu_id();
}

uint32_t net_random(void)
{
	return (uint32_t)linux_random_u64();
}

/* One sleeping thread on a waitq; on its stack (fs/poll.c's pattern). */
struct net_waiter {
	struct poll_waiter w;
	struct thread *thread;
	int woken; /* atomic: set before thread_wake */
};

static void net_waiter_wake(struct poll_waiter *w, unsigned events)
{
	struct net_waiter *nw = container_of(w, struct net_waiter, w);

	(void)events;
	/* It cannot leave before we let the waitq go: leaving takes it. */
	__atomic_store_n(&nw->woken, 1, __ATOMIC_SEQ_CST);
	thread_wake(nw->thread);
}

/* The scheduler's protocol (kernel/sched/sched.h): announce, re-check
 * the flag, sleep. */
static int net_sleep(struct net_waiter *nw, uint64_t deadline)
{
	uint64_t now = deadline ? clock_monotonic_ns() : 0;

	sched_prepare_wait();
	if (__atomic_load_n(&nw->woken, __ATOMIC_SEQ_CST)) {
		sched_cancel_wait();
		return 0;
	}
	if (poll_signal_pending()) {
		sched_cancel_wait();
		return -ERESTARTSYS;
	}
	if (deadline && now >= deadline) {
		sched_cancel_wait();
		return -ETIMEDOUT;
	}
	if (deadline)
		sched_wait_until(MIN(deadline, now + POLL_MAX_SLEEP_NS));
	else
		sched_wait();
	return 0;
}

int net_wait(struct waitq *wq, struct mutex *m, uint64_t deadline_ns,
	     bool (*ready)(void *arg), void *arg)
{
	struct net_waiter nw = {.w.wake = net_waiter_wake,
				.thread = current_thread()};
	int r = 0;

	waitq_add(wq, &nw.w);
	if (!ready(arg)) {
		mutex_unlock(m);
		r = net_sleep(&nw, deadline_ns);
		mutex_lock(m);
	}
	waitq_remove(&nw.w);
	return r;
}

static void net_timer_thread(void *arg)
{
	(void)arg;
	for (;;) {
		thread_sleep_ns(NET_TICK_NS);
		net_tick(clock_monotonic_ns());
	}
}

int net_ipv4_init(void)
{
	static bool done;
	int r;

	if (done)
		return 0;
	flow_init();
	r = udp_init();
	if (!r)
		r = tcp_init();
	if (r)
		return r;
	if (!thread_create("net-timer", net_timer_thread, NULL,
			   THREAD_DETACHED))
		return -ENOMEM;
	done = true;
	return 0;
}
