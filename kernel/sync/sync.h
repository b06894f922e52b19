/*
 * Sleeping synchronisation without spinlocks: a lock-free mutex (atomic
 * counter, lock-free waiter stack, direct hand-off to the next waiter),
 * and a condition variable and a counting semaphore built on it.
 *
 * All of them may sleep, so they are for thread context only, never for
 * interrupt handlers (which only wake threads). RCU, at the end, has
 * readers that never sleep.
 */
#ifndef KERNEL_SYNC_SYNC_H
#define KERNEL_SYNC_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/sched.h"

struct thread;

/* A sleeping thread's place in a queue; lives on the sleeper's stack. */
struct waiter {
	struct waiter *next;
	struct thread *thread;
	int woken; /* atomic: set by the waker before thread_wake */
};

/* Marks w woken and wakes its thread; after this w may be gone. */
void waiter_wake(struct waiter *w);
/* sched_wait_for's condition for a waiter: woken yet? */
bool waiter_woken(void *w);

struct mutex {
	int count;		  /* atomic: the holder plus the waiters */
	struct waiter *incoming;  /* atomic: LIFO stack of new waiters */
	struct waiter *queue;	  /* FIFO of waiters: the holder's alone */
	uint32_t handoff;	  /* atomic: a token for a waiter not yet queued */
	uint32_t sequence;	  /* the holder's: numbers the tokens */
	struct thread *owner;	  /* for assertions and debugging */
};
#define MUTEX_INIT {0, 0, 0, 0, 0, 0}

void mutex_init(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_lock_contended(struct mutex *m);
void mutex_unlock_contended(struct mutex *m);

/* The fast paths, inline: one atomic instruction each (kernel/sync/mutex.c
 * explains the protocol). */
static inline void mutex_lock(struct mutex *m)
{
	if (__builtin_expect(__atomic_fetch_add(&m->count, 1, __ATOMIC_SEQ_CST) ==
				     0,
			     1)) {
		m->owner = current_thread();
		return;
	}
	mutex_lock_contended(m);
}

static inline void mutex_unlock(struct mutex *m)
{
	m->owner = NULL;
	if (__builtin_expect(__atomic_fetch_sub(&m->count, 1, __ATOMIC_SEQ_CST) ==
				     1,
			     1))
		return;
	mutex_unlock_contended(m);
}
bool mutex_held(const struct mutex *m); /* by the calling thread */
/* For state dumps: prints the mutex's count, holder, token and waiters. */
void mutex_dump(const struct mutex *m);

struct condvar {
	struct mutex lock;     /* protects the list below */
	struct waiter *head, *tail;
};
#define CONDVAR_INIT {MUTEX_INIT, 0, 0}

void condvar_init(struct condvar *c);
/* Releases m, sleeps until signalled, re-takes m. */
void condvar_wait(struct condvar *c, struct mutex *m);
/* As condvar_wait, but gives up at monotonic time deadline_ns: -ETIMEDOUT. */
int condvar_wait_until(struct condvar *c, struct mutex *m,
		       uint64_t deadline_ns);
void condvar_signal(struct condvar *c);
void condvar_broadcast(struct condvar *c);

struct semaphore {
	struct mutex lock;
	struct condvar cv;
	uint64_t count;
};

void sem_init(struct semaphore *s, uint64_t count);
void sem_down(struct semaphore *s);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);

/*
 * Read-copy-update (kernel/sync/rcu.c). Readers take no lock and never
 * sleep: a read section is a stretch with preemption off, so a CPU that
 * enters the scheduler with preemption on has left every read section it
 * was in. Writers publish new versions with rcu_assign_pointer and free
 * an old one only after a grace period, once every CPU has passed such a
 * quiescent point: synchronize_rcu sleeps until then; call_rcu queues a
 * callback that the "rcu" kernel thread runs after one. Read sections
 * are for thread context and interrupts taken from it (not from idle).
 */
static inline void rcu_read_lock(void)
{
	preempt_disable();
}

static inline void rcu_read_unlock(void)
{
	preempt_enable();
}

/* A pointer read in a read section: what it points to is initialised. */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
/* Publishes v: stores made to *v before are seen by rcu_dereference. */
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/* struct rcu_head, embedded in an object freed with call_rcu, is in
 * sched.h: struct thread has one. */

/*
 * Sleeps until every read section that had begun when it was called has
 * ended. Thread context, outside any read section.
 */
void synchronize_rcu(void);
/*
 * Runs fn(head) in the rcu thread after a grace period. Never sleeps:
 * any context, read sections included. Callbacks may sleep.
 */
void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *));
/* Sleeps until every callback queued before the call has run. Thread
 * context, not from a callback. */
void rcu_barrier(void);

#endif
