/*
 * Read-copy-update without spinlocks.
 *
 * Readers: a read section is a stretch with preemption disabled
 * (rcu_read_lock), so it neither sleeps nor is switched out, and a CPU
 * that calls the scheduler with preemption enabled is in no read section
 * at that moment: it has passed a quiescent point. The scheduler counts
 * those points per CPU (sched_quiescent_count) and says whether a CPU is
 * in its idle loop, which is quiescent too (sched_cpu_idle). Read
 * sections may be in thread context or in interrupts: a CPU handling an
 * interrupt taken from its idle loop does not count as idle
 * (sched_cpu_idle_quiescent).
 *
 * A grace period: after a full fence (so that whatever the writer
 * unpublished is visible everywhere before anything below is read), note
 * every other CPU's quiescent count, then wait until each CPU's count has
 * moved or the CPU is seen idle. A reader that started before either
 * had ended by then; one that starts after must see the writer's new
 * pointer, which needs a full barrier on that CPU between the count (or
 * idle state) store and the next read section: x86 lets a load pass an
 * earlier store. The scheduler's sequentially consistent updates (locked
 * instructions) are that barrier. Two CPUs need no wait:
 *  - the caller's own: it is running the caller outside any read section
 *    (asserted), so nothing there began before the call and is still
 *    running;
 *  - a CPU whose count is still 0 has never entered the scheduler, so it
 *    has only ever run its boot context, the idle loop of an application
 *    processor, which reads nothing under RCU (an AP that has never been
 *    given a thread and does not announce its idling is such a CPU).
 * Waiting is sleeping: synchronize_rcu re-checks after naps that double
 * from 10 us up to 10 ms, and after 1 ms asks every CPU still holding the
 * grace period up to pass through its scheduler (sched_kick). A reader
 * that keeps its section long holds it up as long; there is no bound on
 * the total wait, only on each nap.
 *
 * Deferred frees: call_rcu pushes its rcu_head on `queued`, a lock-free
 * LIFO stack (compare-exchange on the head), and wakes the "rcu" kernel
 * thread if it is waiting for work. The thread takes the whole stack with
 * one exchange, reverses it into call order, waits one grace period (it
 * began after every callback in the batch was queued, so after each
 * object was unpublished) and runs the callbacks, in thread context.
 * Callbacks queued meanwhile make the next batch. `worker_idle` tells
 * call_rcu whether a wakeup is needed: the thread sets it before checking
 * the stack, call_rcu pushes before reading it (both sequentially
 * consistent), so either the thread sees the callback or call_rcu sees
 * the flag and wakes it; a stray wakeup is harmless.
 */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "lib/lfstack.h"

#define SC __ATOMIC_SEQ_CST
#define FIRST_NAP_NS 10000ull	/* 10 us */
#define LAST_NAP_NS 10000000ull /* 10 ms: a time slice */
#define KICK_AFTER_NS 1000000ull

_Static_assert(MAX_CPUS <= 64, "a grace period keeps one bit per CPU");

/* One grace period in progress; the waiter's own. */
struct grace_period {
	uint64_t snap[MAX_CPUS]; /* quiescent counts when it began */
	uint64_t pending;	 /* CPUs not yet seen quiescent */
};

static struct rcu_head *queued; /* atomic: callbacks not yet taken */
static int worker_idle;		/* atomic: the thread waits for work */
static struct thread *worker;	/* atomic: set once, before worker_idle */

static void gp_start(struct grace_period *gp)
{
	unsigned n = __atomic_load_n(&cpu_count, __ATOMIC_RELAXED);
	unsigned me = cpu_id();

	__atomic_thread_fence(SC);
	gp->pending = 0;
	for (unsigned i = 0; i < n; i++) {
		gp->snap[i] = sched_quiescent_count(i);
		if (i != me && gp->snap[i] != 0)
			gp->pending |= 1ull << i;
	}
}

/* True once every CPU has passed a quiescent point since gp_start. */
static bool gp_done(struct grace_period *gp)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!(gp->pending & (1ull << i)))
			continue;
		if (sched_cpu_idle_quiescent(i) ||
		    sched_quiescent_count(i) != gp->snap[i])
			gp->pending &= ~(1ull << i);
	}
	return gp->pending == 0;
}

static void gp_kick(const struct grace_period *gp)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (gp->pending & (1ull << i))
			sched_kick(i);
}

void synchronize_rcu(void)
{
	struct grace_period gp;
	uint64_t start = clock_monotonic_ns(), nap = FIRST_NAP_NS;

	assert(this_cpu()->preempt_count == 0);
	gp_start(&gp);
	while (!gp_done(&gp)) {
		if (clock_monotonic_ns() - start >= KICK_AFTER_NS)
			gp_kick(&gp);
		thread_sleep_ns(nap);
		nap = MIN(nap * 2, LAST_NAP_NS);
	}
	/* The caller's frees come after the counts that allowed them. */
	__atomic_thread_fence(SC);
}

void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	head->fn = fn;
	lfstack_push(&queued, head, next);
	if (__atomic_load_n(&worker_idle, SC))
		thread_wake(__atomic_load_n(&worker, __ATOMIC_RELAXED));
}

static bool have_work(void *unused)
{
	return __atomic_load_n(&queued, SC) != NULL;
}

static void rcu_loop(void *arg)
{
	__atomic_store_n(&worker, current_thread(), SC);
	for (;;) {
		struct rcu_head *h, *next;

		__atomic_store_n(&worker_idle, 1, SC);
		sched_wait_for(have_work, NULL, 0);
		__atomic_store_n(&worker_idle, 0, SC);
		h = lfstack_take_fifo(&queued, next);
		synchronize_rcu();
		for (; h; h = next) {
			next = h->next; /* fn may free h */
			h->fn(h);
		}
	}
}

struct barrier {
	struct rcu_head head;
	struct waiter waiter;
};

static void barrier_done(struct rcu_head *h)
{
	waiter_wake(&container_of(h, struct barrier, head)->waiter);
}

void rcu_barrier(void)
{
	struct barrier b = {.waiter.thread = current_thread()};

	/* Batches run in order, each in call order: ours comes last. */
	call_rcu(&b.head, barrier_done);
	sched_wait_for(waiter_woken, &b.waiter, 0);
}

static int rcu_init(void)
{
	return thread_create("rcu", rcu_loop, NULL, 0) ? 0 : -ENOMEM;
}
INIT_STEP(51, rcu_init);
