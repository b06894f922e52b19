/*
 * A mutex without spinlocks.
 *
 * `count` is the number of threads that hold or want the mutex. Locking
 * increments it; whoever moves it from 0 to 1 owns the mutex at once (the
 * fast path, one atomic instruction). Everyone else pushes a `waiter` (on
 * its own stack) onto `incoming`, a lock-free LIFO stack, and sleeps.
 *
 * Only the owner pops waiters. When `queue` (a FIFO private to the owner)
 * is empty it takes the whole `incoming` stack with one exchange and
 * reverses it, so waiters are served in arrival order. Unlocking
 * decrements `count`; if others are counted, the owner pops the oldest
 * waiter and hands the mutex directly to it (no thundering herd, no
 * stealing while the waiter wakes up).
 *
 * The race: a locker may have incremented `count` but not yet pushed its
 * waiter when the owner unlocks and finds nothing to pop. The owner must
 * not spin waiting for it (it could be preempted), so it publishes a
 * hand-off token in `handoff` and leaves. Every locker checks for a token
 * after pushing itself; taking the token (compare-exchange to 0) makes it
 * the owner. After publishing, the unlocker looks at `incoming` once more:
 * if a waiter arrived meanwhile it tries to take its token back and, if it
 * wins, pops that waiter itself. Both sides write first and read second
 * (sequentially consistent), so at least one of them sees the other and
 * the token is never stranded. Tokens are numbered by `sequence` so that
 * an unlocker can never take back a newer owner's token.
 */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "lib/lfstack.h"

#define SC __ATOMIC_SEQ_CST

void mutex_init(struct mutex *m)
{
	*m = (struct mutex)MUTEX_INIT;
}

/* Only the owner calls this. */
static struct waiter *pop_waiter(struct mutex *m)
{
	if (!m->queue)
		m->queue = lfstack_take_fifo(&m->incoming, next);
	struct waiter *w = m->queue;
	if (w)
		m->queue = w->next;
	return w;
}

/* Wakes a waiter; after the store to `woken` its frame may be gone, and
 * its thread may exit: the read section keeps the thread's memory. */
void waiter_wake(struct waiter *w)
{
	thread_wake_flag(&w->woken, w->thread);
}

bool waiter_woken(void *w)
{
	return __atomic_load_n(&((struct waiter *)w)->woken, __ATOMIC_ACQUIRE);
}

static bool take_token(struct mutex *m)
{
	uint32_t token = __atomic_load_n(&m->handoff, SC);

	return token && __atomic_compare_exchange_n(&m->handoff, &token, 0,
						    false, SC, SC);
}

/* mutex_lock (sync.h) counted us in and found the mutex taken. */
void mutex_lock_contended(struct mutex *m)
{
	struct waiter w = {.thread = current_thread()};

	assert(!current_thread() || m->owner != current_thread());

	lfstack_push(&m->incoming, &w, next);
	if (take_token(m)) {
		/* We own the mutex; serve the oldest waiter, maybe us. */
		struct waiter *first = pop_waiter(m);

		assert(first);
		if (first == &w) {
			m->owner = w.thread;
			return;
		}
		m->owner = first->thread;
		waiter_wake(first);
	}
	sched_wait_for(waiter_woken, &w, 0);
	/* The waker made us the owner before waking us. */
}

bool mutex_trylock(struct mutex *m)
{
	int zero = 0;

	if (!__atomic_compare_exchange_n(&m->count, &zero, 1, false, SC,
					 __ATOMIC_RELAXED))
		return false;
	m->owner = current_thread();
	return true;
}

/* mutex_unlock (sync.h) found others counted: hand the mutex over. */
void mutex_unlock_contended(struct mutex *m)
{
	for (;;) {
		struct waiter *w = pop_waiter(m);

		if (w) {
			m->owner = w->thread;
			waiter_wake(w);
			return;
		}
		uint32_t token = ++m->sequence;
		if (token == 0)
			token = ++m->sequence;
		__atomic_store_n(&m->handoff, token, SC);
		if (!__atomic_load_n(&m->incoming, SC))
			return; /* the late locker will find the token */
		if (!__atomic_compare_exchange_n(&m->handoff, &token, 0, false,
						 SC, SC))
			return; /* it found the token: it owns the mutex */
	}
}

bool mutex_held(const struct mutex *m)
{
	return m->owner == current_thread() &&
	       __atomic_load_n(&m->count, __ATOMIC_RELAXED) > 0;
}

static void dump_waiters(const char *what, const struct waiter *w)
{
	kprintf(" %s:", what);
	for (int n = 0; w && n < 16; w = w->next, n++)
		kprintf(" %d%s", w->thread ? w->thread->tid : -1,
			__atomic_load_n(&w->woken, __ATOMIC_RELAXED) ? "(woken)"
								    : "");
}

void mutex_dump(const struct mutex *m)
{
	kprintf("count %d, owner %d, token %u (seq %u)",
		__atomic_load_n(&m->count, __ATOMIC_RELAXED),
		m->owner ? m->owner->tid : -1,
		__atomic_load_n(&m->handoff, __ATOMIC_RELAXED), m->sequence);
	dump_waiters("queue", m->queue);
	dump_waiters("incoming", __atomic_load_n(&m->incoming, __ATOMIC_RELAXED));
	kprintf("\n");
}
