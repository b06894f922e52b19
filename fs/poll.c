/*
 * Wait queues, the readiness of any file, poll/select over descriptors,
 * and deferred notification for interrupt handlers.
 *
 * A sleeper registers a waiter on each waitq it cares about, then looks
 * at the state, then sleeps with the scheduler's protocol
 * (sched_prepare_wait, re-check a flag, sched_wait). A notifier changes
 * the state first and then runs the wake functions, which set the
 * sleeper's flag before thread_wake: whichever order the two run in,
 * the sleeper either sees the new state or is woken. Signals wake
 * sleeping application threads too (linux/signal.c), so every sleep here
 * also stops for a pending signal.
 *
 * poll and select register on the waitqs of every file they look at
 * during the first pass only (Linux: poll_wqueues), each registration
 * holding a reference on its file so that a close meanwhile cannot free
 * the waitq; later passes only look.
 */
#include "fs/poll.h"
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"
#include "lib/lfstack.h"

/* ---- wait queues ---- */
void waitq_init(struct waitq *wq)
{
	mutex_init(&wq->lock);
	list_init(&wq->waiters);
}

void waitq_add(struct waitq *wq, struct poll_waiter *w)
{
	w->wq = wq;
	mutex_lock(&wq->lock);
	list_push_back(&wq->waiters, &w->link);
	mutex_unlock(&wq->lock);
}

void waitq_remove(struct poll_waiter *w)
{
	struct waitq *wq = w->wq;

	mutex_lock(&wq->lock);
	list_remove(&w->link);
	mutex_unlock(&wq->lock);
}

void poll_notify(struct waitq *wq, unsigned events)
{
	mutex_lock(&wq->lock);
	list_for_each(it, &wq->waiters)
	{
		struct poll_waiter *w =
		    container_of(it, struct poll_waiter, link);

		w->wake(w, events);
	}
	mutex_unlock(&wq->lock);
}

/* One sleeping thread; lives on its stack. */
struct thread_waiter {
	struct poll_waiter w;
	struct thread *thread;
	int woken; /* atomic: set before thread_wake */
};

static void wake_thread(struct poll_waiter *w, unsigned events)
{
	struct thread_waiter *tw = container_of(w, struct thread_waiter, w);

	/* It cannot go away before we unlock the waitq: leaving takes it. */
	__atomic_store_n(&tw->woken, 1, __ATOMIC_SEQ_CST);
	thread_wake(tw->thread);
}

/*
 * Sleeps until *flag is set, a signal is pending or the deadline (0:
 * none) passes; returns at once if one of them already holds: -ERESTARTSYS
 * for a signal, -ETIMEDOUT for the deadline, else 0 (also when woken for
 * no reason: callers look again).
 */
static int sleep_on(int *flag, uint64_t deadline)
{
	uint64_t now = deadline ? clock_monotonic_ns() : 0;
	int r = 0;

	sched_prepare_wait();
	if (__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		sched_cancel_wait();
	else if (poll_signal_pending())
		r = -ERESTARTSYS;
	else if (deadline && now >= deadline)
		r = -ETIMEDOUT;
	else if (deadline)
		sched_wait_until(MIN(deadline, now + POLL_MAX_SLEEP_NS));
	else
		sched_wait();
	if (r)
		sched_cancel_wait();
	return r;
}

int waitq_wait(struct waitq *wq, struct mutex *m, uint64_t deadline_ns)
{
	struct thread_waiter tw = {.w.wake = wake_thread,
				   .thread = current_thread()};
	int r;

	waitq_add(wq, &tw.w);
	mutex_unlock(m);
	r = sleep_on(&tw.woken, deadline_ns);
	waitq_remove(&tw.w);
	mutex_lock(m);
	return r;
}

/* ---- readiness of any file ---- */
/* The serial console has no input yet: readable never, writable always.
 * (Its driver in fs/devfs.c should have a poll hook saying so.) */
static bool is_console(struct file *f)
{
	struct inode *ip = f->inode;

	return ip && ip->type == S_IFCHR &&
	       (ip->rdev == fs_makedev(5, 0) || ip->rdev == fs_makedev(5, 1));
}

unsigned vfs_poll(struct file *f, struct poll_table *pt)
{
	if (f->ops->poll)
		return f->ops->poll(f, pt);
	if (is_console(f))
		return POLLOUT | POLLWRNORM;
	return POLL_DEFAULT;
}

/* Only files with a hook: epoll keeps no reference on what it watches,
 * and the hooks' release functions are what take a file out of its sets
 * (epoll_file_release). */
bool vfs_pollable(struct file *f)
{
	return f->ops->poll;
}

/* ---- poll and select ---- */
#define ENTRIES_PER_CHUNK 32

struct poll_set;
struct poll_entry {
	struct poll_waiter w;
	struct file *f; /* a reference: keeps the waitq alive */
	struct poll_set *set;
};

struct poll_chunk {
	struct poll_chunk *next;
	unsigned used;
	struct poll_entry e[ENTRIES_PER_CHUNK];
};

/* The registrations of one poll or select call; the caller's alone. */
struct poll_set {
	struct poll_table pt;
	struct thread *thread;
	int triggered; /* atomic: a waitq was notified since the last pass */
	int error;     /* -ENOMEM: a registration was lost */
	struct poll_chunk *chunks;
};

static void set_wake(struct poll_waiter *w, unsigned events)
{
	struct poll_set *s = container_of(w, struct poll_entry, w)->set;

	__atomic_store_n(&s->triggered, 1, __ATOMIC_SEQ_CST);
	thread_wake(s->thread);
}

static void set_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
	struct poll_set *s = container_of(pt, struct poll_set, pt);
	struct poll_chunk *c = s->chunks;
	struct poll_entry *e;

	if (!c || c->used == ENTRIES_PER_CHUNK) {
		c = malloc(sizeof(*c));
		if (!c) {
			s->error = -ENOMEM;
			return;
		}
		c->used = 0;
		c->next = s->chunks;
		s->chunks = c;
	}
	e = &c->e[c->used++];
	e->set = s;
	e->f = f;
	file_get(f);
	e->w.wake = set_wake;
	waitq_add(wq, &e->w);
}

static void set_free(struct poll_set *s)
{
	struct poll_chunk *c = s->chunks, *next;

	for (; c; c = next) {
		next = c->next;
		for (unsigned i = 0; i < c->used; i++) {
			waitq_remove(&c->e[i].w);
			file_put(c->e[i].f);
		}
		free(c);
	}
}

/* Linux: fdget() does not hand out O_PATH files to poll, select, epoll. */
static struct file *get_pollable_fd(int fd)
{
	struct file *f = fd_get(fd);

	if (f && (f->flags & O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

/* One pass over fds: the number ready, or -EBADF (select). */
static long poll_pass(struct kpollfd *fds, size_t n, struct poll_table *pt,
		      bool select)
{
	long count = 0;

	for (size_t i = 0; i < n; i++) {
		struct kpollfd *p = &fds[i];
		struct file *f;
		unsigned mask;

		p->revents = 0;
		if (p->fd < 0)
			continue;
		f = get_pollable_fd(p->fd);
		if (!f) {
			if (select)
				return -EBADF;
			p->revents = POLLNVAL;
			count++;
			continue;
		}
		mask = vfs_poll(f, pt);
		file_put(f);
		/* poll always reports errors and hangups; select's sets
		 * already say which bits each one counts. */
		p->revents =
		    mask & (p->events | (select ? 0 : POLLERR | POLLHUP));
		if (p->revents) {
			count++;
			pt = NULL; /* something is ready: no more waiting */
		}
	}
	return count;
}

long poll_fds(struct kpollfd *fds, size_t n, uint64_t deadline, bool select)
{
	struct poll_set s = {.pt.queue = set_queue, .thread = current_thread()};
	struct poll_table *pt = deadline == POLL_NO_WAIT ? NULL : &s.pt;
	uint64_t sleep_until = deadline == POLL_FOREVER ? 0 : deadline;
	long count;

	for (;;) {
		__atomic_store_n(&s.triggered, 0, __ATOMIC_SEQ_CST);
		count = poll_pass(fds, n, pt, select);
		pt = NULL; /* registered on the first pass */
		if (count)
			break;
		if (s.error) {
			count = s.error;
			break;
		}
		if (deadline == POLL_NO_WAIT)
			break;
		int r = sleep_on(&s.triggered, sleep_until);
		if (r == -ERESTARTSYS)
			count = -EINTR;
		if (r)
			break;
	}
	set_free(&s);
	return count;
}

/* ---- deferred notification ---- */
/*
 * Interrupt handlers push poll_deferred records on a lock-free LIFO stack
 * (compare-exchange on the head; `queued` keeps a record from being
 * pushed twice) and wake one kernel thread, which takes the whole stack
 * with one exchange and runs each record's function. A record is marked
 * unqueued before its function runs, so an interrupt meanwhile queues it
 * again rather than being lost; the thread reads `next` before that.
 */
static struct poll_deferred *deferred_head; /* atomic */
static struct thread *defer_thread;	    /* atomic; set once */
static struct mutex defer_start_lock = MUTEX_INIT;

static void defer_loop(void *arg)
{
	for (;;) {
		struct poll_deferred *d, *next;

		sched_prepare_wait();
		if (!__atomic_load_n(&deferred_head, __ATOMIC_SEQ_CST)) {
			sched_wait();
			continue;
		}
		sched_cancel_wait();
		d = __atomic_exchange_n(&deferred_head, NULL, __ATOMIC_ACQ_REL);
		for (; d; d = next) {
			next = d->next;
			__atomic_store_n(&d->queued, 0, __ATOMIC_SEQ_CST);
			d->fn(d);
		}
	}
}

int poll_defer_start(void)
{
	int err = 0;

	mutex_lock(&defer_start_lock);
	if (!defer_thread) {
		struct thread *t =
		    thread_create("pollwork", defer_loop, NULL, 0);

		if (t)
			__atomic_store_n(&defer_thread, t, __ATOMIC_RELEASE);
		else
			err = -ENOMEM;
	}
	mutex_unlock(&defer_start_lock);
	return err;
}

bool poll_defer(struct poll_deferred *d)
{
	struct thread *t;

	if (__atomic_exchange_n(&d->queued, 1, __ATOMIC_ACQ_REL))
		return false;
	lfstack_push(&deferred_head, d, next);
	t = __atomic_load_n(&defer_thread, __ATOMIC_ACQUIRE);
	if (t)
		thread_wake(t);
	return true;
}
