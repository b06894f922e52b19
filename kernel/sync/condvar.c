/*
 * Condition variables and semaphores. A condvar keeps its sleepers in a
 * FIFO list under its own mutex; signalling pops one and hands it a wakeup
 * through the same `waiter` protocol the mutex uses. A timed wait that
 * times out must take itself off the list, unless a signaller popped it
 * first, in which case that signaller's wakeup is on its way and the wait
 * counts as signalled.
 */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

void condvar_init(struct condvar *c)
{
	*c = (struct condvar)CONDVAR_INIT;
}

static void enqueue(struct condvar *c, struct waiter *w)
{
	mutex_lock(&c->lock);
	w->next = NULL;
	if (c->tail)
		c->tail->next = w;
	else
		c->head = w;
	c->tail = w;
	mutex_unlock(&c->lock);
}

/* Under c->lock: removes w if still queued; true if it was. */
static bool dequeue(struct condvar *c, struct waiter *w)
{
	struct waiter **pp = &c->head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != w)
			continue;
		*pp = w->next;
		if (c->tail == w)
			c->tail = prev;
		return true;
	}
	return false;
}

int condvar_wait_until(struct condvar *c, struct mutex *m,
		       uint64_t deadline_ns)
{
	struct waiter w = {.thread = current_thread()};
	int ret = 0;

	enqueue(c, &w);
	mutex_unlock(m);
	if (!sched_wait_for(waiter_woken, &w, deadline_ns)) {
		mutex_lock(&c->lock);
		bool timed_out = dequeue(c, &w);
		mutex_unlock(&c->lock);
		if (timed_out)
			ret = -ETIMEDOUT;
		else
			sched_wait_for(waiter_woken, &w, 0);
	}
	mutex_lock(m);
	return ret;
}

void condvar_wait(struct condvar *c, struct mutex *m)
{
	condvar_wait_until(c, m, 0);
}

void condvar_signal(struct condvar *c)
{
	struct waiter *w;

	mutex_lock(&c->lock);
	w = c->head;
	if (w) {
		c->head = w->next;
		if (!c->head)
			c->tail = NULL;
	}
	mutex_unlock(&c->lock);
	if (w)
		waiter_wake(w);
}

void condvar_broadcast(struct condvar *c)
{
	struct waiter *w;

	mutex_lock(&c->lock);
	w = c->head;
	c->head = c->tail = NULL;
	mutex_unlock(&c->lock);
	while (w) {
		struct waiter *next = w->next;

		waiter_wake(w);
		w = next;
	}
}

void sem_init(struct semaphore *s, uint64_t count)
{
	mutex_init(&s->lock);
	condvar_init(&s->cv);
	s->count = count;
}

void sem_down(struct semaphore *s)
{
	mutex_lock(&s->lock);
	while (s->count == 0)
		condvar_wait(&s->cv, &s->lock);
	s->count--;
	mutex_unlock(&s->lock);
}

bool sem_trydown(struct semaphore *s)
{
	bool ok;

	mutex_lock(&s->lock);
	ok = s->count > 0;
	if (ok)
		s->count--;
	mutex_unlock(&s->lock);
	return ok;
}

void sem_up(struct semaphore *s)
{
	mutex_lock(&s->lock);
	s->count++;
	mutex_unlock(&s->lock);
	condvar_signal(&s->cv);
}
