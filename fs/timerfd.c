/*
 * timerfd (Linux: man 2 timerfd_create): a timer read as a file.
 *
 * Expiries are counted from the clock, not by interrupts: whoever looks
 * (read, poll, gettime, settime) first moves `next` past the present,
 * adding one tick per period that went by, so overruns accumulate
 * exactly. Readers that wait sleep until `next` themselves. Pollers and
 * epoll sets must hear of an expiry without looking, so while the timer
 * runs, nothing is pending and someone is registered on the waitq, the
 * interrupt timer is set for `next`: its handler (interrupt context)
 * only queues a poll_deferred, and the deferred function counts and
 * notifies in thread context.
 *
 * CLOCK_REALTIME timers run on the monotonic clock: an absolute time is
 * converted when it is set (a later clock_settime does not move it).
 */
#include "fs/fs_private.h"
#include "fs/poll.h"
#include "kernel/sched/sched.h"

#define CLOCK_REALTIME 0
#define CLOCK_REALTIME_ALARM 8

struct timerfd {
	/* set at creation */
	int clock;
	/* under lock */
	struct mutex lock;
	bool armed;
	int64_t next;	   /* monotonic ns of the next expiry, when armed */
	uint64_t interval; /* 0: one-shot */
	uint64_t ticks;	   /* expiries not yet read */
	struct waitq wq;
	/* the interrupt's side: timer (changed under lock, with interrupts
	 * off) and defer */
	struct timer timer;
	struct poll_deferred defer;
	int refs; /* atomic: the file's, and one while defer is queued */
};

static const struct file_ops tfd_ops;

bool file_is_timerfd(struct file *f)
{
	return f->ops == &tfd_ops;
}

static void tfd_put(struct timerfd *t)
{
	if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	assert(list_empty(&t->wq.waiters));
	free(t);
}

/* Under t->lock: counts the expiries up to `now`. */
static void tfd_expire(struct timerfd *t, int64_t now)
{
	uint64_t periods;

	if (!t->armed || now < t->next)
		return;
	if (!t->interval) {
		t->ticks++;
		t->armed = false;
		return;
	}
	periods = (uint64_t)(now - t->next) / t->interval + 1;
	t->ticks += periods;
	t->next += (int64_t)(periods * t->interval);
}

static bool has_waiters(struct timerfd *t)
{
	return __atomic_load_n(&t->wq.waiters.next, __ATOMIC_RELAXED) !=
	       &t->wq.waiters;
}

/* Under t->lock: counts, then keeps the interrupt timer set while an
 * expiry would be news to someone registered. */
static void tfd_sync(struct timerfd *t)
{
	int64_t now = (int64_t)clock_monotonic_ns();

	tfd_expire(t, now);
	if (t->armed && !t->ticks && has_waiters(t))
		timer_arm(
		    &t->timer,
		    (uint64_t)MIN(t->next, now + (int64_t)POLL_MAX_SLEEP_NS));
	else
		timer_cancel(&t->timer);
}

/* Interrupt context: only atomics, the deferral and thread_wake. The
 * file's reference is held while the timer is set (release cancels it
 * first), so the put here is never the last. */
static void tfd_fired(struct timer *tm)
{
	struct timerfd *t = container_of(tm, struct timerfd, timer);

	__atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
	if (!poll_defer(&t->defer))
		__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
}

static void tfd_deferred(struct poll_deferred *d)
{
	struct timerfd *t = container_of(d, struct timerfd, defer);
	uint64_t ticks;

	mutex_lock(&t->lock);
	tfd_sync(t);
	ticks = t->ticks;
	mutex_unlock(&t->lock);
	if (ticks)
		poll_notify(&t->wq, POLLIN);
	tfd_put(t);
}

static int64_t tfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct timerfd *t = f->priv;
	int64_t r;

	if (n < sizeof(t->ticks))
		return -EINVAL;
	mutex_lock(&t->lock);
	for (;;) {
		tfd_expire(t, (int64_t)clock_monotonic_ns());
		if (t->ticks)
			break;
		r = -EAGAIN;
		if (LOAD(f->flags) & O_NONBLOCK)
			goto out;
		/* Armed and not expired: next is in the future, so > 0. */
		r = waitq_wait(&t->wq, &t->lock,
			       t->armed ? (uint64_t)t->next : 0);
		if (r && r != -ETIMEDOUT)
			goto out;
	}
	memcpy(buf, &t->ticks, sizeof(t->ticks));
	t->ticks = 0;
	tfd_sync(t);
	r = sizeof(t->ticks);
out:
	mutex_unlock(&t->lock);
	return r;
}

static unsigned tfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd *t = f->priv;
	unsigned mask;

	poll_wait(f, &t->wq, pt);
	mutex_lock(&t->lock);
	tfd_sync(t);
	mask = t->ticks ? POLLIN : 0;
	mutex_unlock(&t->lock);
	return mask;
}

static void tfd_release(struct file *f)
{
	struct timerfd *t = f->priv;

	epoll_file_release(f);
	mutex_lock(&t->lock);
	t->armed = false;
	timer_cancel(&t->timer);
	mutex_unlock(&t->lock);
	tfd_put(t);
}

static const struct file_ops tfd_ops = {
	.read = tfd_read,
	.release = tfd_release,
	.poll = tfd_poll,
	.anon_name = "[timerfd]",
};

int timerfd_create_file(int clock, int flags, struct file **out)
{
	struct timerfd *t;
	struct file *f;
	int err = poll_defer_start();

	if (err)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->clock = clock;
	t->refs = 1;
	mutex_init(&t->lock);
	waitq_init(&t->wq);
	timer_init(&t->timer, tfd_fired);
	t->defer.fn = tfd_deferred;
	f = file_alloc(&tfd_ops, t, O_RDWR | (flags & O_NONBLOCK), 0600);
	if (!f) {
		free(t);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* Under t->lock: the time to the next expiry (0: disarmed). */
static void tfd_current(struct timerfd *t, int64_t now, struct timerfd_spec *s)
{
	tfd_expire(t, now);
	s->value = t->armed ? (uint64_t)(t->next - now) : 0;
	s->interval = t->interval;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int timerfd_settime_file(struct file *f, int flags,
			 const struct timerfd_spec *new,
			 struct timerfd_spec *old)
{
	struct timerfd *t = f->priv;
	int64_t now = (int64_t)clock_monotonic_ns(), value;
	uint64_t ticks;

	value = (int64_t)MIN(new->value, (uint64_t)INT64_MAX);
	if ((flags & TFD_TIMER_ABSTIME) &&
	    (t->clock == CLOCK_REALTIME || t->clock == CLOCK_REALTIME_ALARM))
		value = value - (int64_t)clock_realtime_offset_ns();
	else if (!(flags & TFD_TIMER_ABSTIME))
		value = add_sat(now, value);
	mutex_lock(&t->lock);
	if (old)
		tfd_current(t, now, old);
	t->ticks = 0;
	t->armed = new->value != 0;
	t->next = value;
	t->interval = t->armed ? new->interval : 0;
	tfd_sync(t);
	ticks = t->ticks;
	mutex_unlock(&t->lock);
	if (ticks)
		poll_notify(&t->wq, POLLIN);
	return 0;
}

void timerfd_gettime_file(struct file *f, struct timerfd_spec *cur)
{
	struct timerfd *t = f->priv;

	mutex_lock(&t->lock);
	tfd_current(t, (int64_t)clock_monotonic_ns(), cur);
	mutex_unlock(&t->lock);
}
