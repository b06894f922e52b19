/*
 * POSIX per-process timers (man 2 timer_create, timer_settime,
 * timer_getoverrun, timer_delete): on the realtime, monotonic and
 * boot-time clocks and on CPU time (the process's, or one thread's),
 * notifying by a signal to the process (SIGEV_SIGNAL), to one thread
 * (SIGEV_THREAD_ID, which glibc's SIGEV_THREAD is built on), or not at all
 * (SIGEV_NONE).
 *
 * How an expiry becomes a signal. The kernel timer fires in interrupt
 * context and only counts: the expiries since the last one, with the
 * interval folded in, go into `overrun` while a signal of the timer is
 * already queued, else the timer marks itself queued and asks for a
 * deferred send (poll_defer), because queueing a real-time signal takes
 * sig_lock, which sleeps. The signal carries si_code SI_TIMER, the timer
 * id and its sigev_value; when a thread takes it, linux/signal.c calls
 * posix_timer_delivered, which moves the overruns into its siginfo and
 * into timer_getoverrun's answer and clears `queued` (Linux's rule: one
 * queued signal per timer, the rest counted as overruns).
 *
 * State: a timer's settings change under ptimer_lock with interrupts off
 * (the firing function runs with them off too, and timer_cancel waits for
 * it); `queued` and `overrun` are atomic, since delivery runs on any CPU.
 * A deleted timer's memory is kept for the next timer_create, as its
 * deferred send may still be on its way; the table is bounded.
 */
#include "fs/poll.h"
#include "kernel/sched/sched.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define NSEC 1000000000ull
#define PTIMER_MAX 4096
#define DELAYTIMER_MAX 0x7fffffff
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME 1
#define SI_TIMER (-2)

/* Linux's struct sigevent on x86-64 (64 bytes). */
struct sigevent_user {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid; /* SIGEV_THREAD_ID */
	int32_t pad[11];
};
struct itimerspec_user {
	int64_t interval_sec, interval_nsec, value_sec, value_nsec;
};

enum ptimer_clock { PT_MONOTONIC, PT_REALTIME, PT_PROCESS_CPU, PT_THREAD_CPU };

struct ptimer {
	struct timer timer;
	struct poll_deferred send; /* the deferred signal (thread context) */
	/* set at timer_create, read-only until deleted */
	bool used;
	int id;
	enum ptimer_clock clock;
	int cpu_tid;	   /* PT_THREAD_CPU: whose time */
	int notify, signo; /* SIGEV_* */
	int target_tid;	   /* SIGEV_THREAD_ID */
	uint64_t value;	   /* sigev_value */
	/* under ptimer_lock, interrupts off */
	uint64_t deadline, interval; /* ns on its clock; deadline 0: off */
	/* atomic */
	int queued;	  /* a signal of the timer waits to be taken */
	int overrun;	  /* expiries beyond the one signalled */
	int last_overrun; /* timer_getoverrun's answer */
};

static struct ptimer *ptimers[PTIMER_MAX]; /* under ptimer_lock */
static struct mutex ptimer_lock = MUTEX_INIT;

/* The time on the timer's clock (ns; the realtime clock counts as the
 * monotonic one: absolute realtime settings are converted when set). */
static uint64_t pt_now(const struct ptimer *pt)
{
	if (pt->clock == PT_PROCESS_CPU)
		return process_cpu_ns();
	if (pt->clock != PT_THREAD_CPU)
		return clock_monotonic_ns();
	rcu_read_lock();
	struct thread *t = process_find_thread(pt->cpu_tid);
	uint64_t ns = t ? thread_cpu_ns(t) : 0;
	rcu_read_unlock();
	return ns;
}

/* Arms the kernel timer for when the deadline could at the earliest be
 * due (CPU time grows no faster than the wall clock on one CPU). */
static void pt_schedule(struct ptimer *pt)
{
	uint64_t now = pt_now(pt);
	uint64_t wait = pt->deadline > now ? pt->deadline - now : 0;

	timer_arm(&pt->timer, clock_monotonic_ns() + wait);
}

static void add_overrun(struct ptimer *pt, uint64_t n)
{
	int cur = __atomic_load_n(&pt->overrun, __ATOMIC_RELAXED);
	uint64_t sum = (uint64_t)cur + n;

	__atomic_store_n(&pt->overrun,
			 sum > DELAYTIMER_MAX ? DELAYTIMER_MAX : (int)sum,
			 __ATOMIC_RELAXED);
}

/* Interrupt context: count the expiries, queue a signal if none is. */
static void pt_fire(struct timer *t)
{
	struct ptimer *pt = container_of(t, struct ptimer, timer);
	uint64_t now = pt_now(pt), n = 1;

	if (!pt->deadline)
		return;
	if (now < pt->deadline) {
		pt_schedule(pt); /* CPU time lags the wall clock */
		return;
	}
	if (pt->interval) {
		n += (now - pt->deadline) / pt->interval;
		pt->deadline += n * pt->interval;
		pt_schedule(pt);
	} else {
		pt->deadline = 0;
	}
	if (pt->notify == SIGEV_NONE)
		return;
	if (__atomic_exchange_n(&pt->queued, 1, __ATOMIC_ACQ_REL)) {
		add_overrun(pt, n);
		return;
	}
	add_overrun(pt, n - 1);
	poll_defer(&pt->send);
}

/* Thread context: the signal itself. */
static void pt_send(struct poll_deferred *d)
{
	struct ptimer *pt = container_of(d, struct ptimer, send);
	struct ksiginfo info = {.signo = pt->signo, .code = SI_TIMER,
				.addr = (uint32_t)pt->id};

	info.rest[0] = pt->value;
	if (pt->notify != SIGEV_THREAD_ID) {
		signal_send_process(pt->signo, &info);
		return;
	}
	rcu_read_lock();
	struct thread *t = process_find_thread(pt->target_tid);
	rcu_read_unlock();
	if (t) /* tgkill's way: under sig_lock the thread cannot go */
		signal_send_tid(pt->target_tid, pt->signo, &info);
	else
		__atomic_store_n(&pt->queued, 0, __ATOMIC_RELEASE);
}

void posix_timer_delivered(struct ksiginfo *info)
{
	int id = (int)(uint32_t)info->addr;

	mutex_lock(&ptimer_lock);
	struct ptimer *pt = id >= 0 && id < PTIMER_MAX ? ptimers[id] : NULL;
	if (pt && pt->used &&
	    __atomic_exchange_n(&pt->queued, 0, __ATOMIC_ACQ_REL)) {
		int o = __atomic_exchange_n(&pt->overrun, 0, __ATOMIC_RELAXED);

		__atomic_store_n(&pt->last_overrun, o, __ATOMIC_RELAXED);
		info->addr = (uint32_t)id | (uint64_t)(uint32_t)o << 32;
	}
	mutex_unlock(&ptimer_lock);
}

/* ---- the calls ---- */
static int clock_of(long clk, enum ptimer_clock *c, int *tid)
{
	*tid = 0;
	switch ((int)clk) {
	case 0: /* CLOCK_REALTIME */
	case 8: /* CLOCK_REALTIME_ALARM (root may) */
	case 11: /* CLOCK_TAI */
		*c = PT_REALTIME;
		return 0;
	case 1: /* CLOCK_MONOTONIC */
	case 7: /* CLOCK_BOOTTIME */
	case 9: /* CLOCK_BOOTTIME_ALARM */
		*c = PT_MONOTONIC;
		return 0;
	case 2:
		*c = PT_PROCESS_CPU;
		return 0;
	case 3:
		*c = PT_THREAD_CPU;
		*tid = current_thread()->app_tid;
		return 0;
	case 4: /* MONOTONIC_RAW and the coarse clocks have no timers */
	case 5:
	case 6:
		return -EOPNOTSUPP;
	}
	if ((int)clk >= 0)
		return -EINVAL;
	int err = cpu_clock_decode((int)clk, tid);
	*c = *tid ? PT_THREAD_CPU : PT_PROCESS_CPU;
	return err;
}

/* The notification a sigevent asks for (NULL: SIGALRM with the id). */
static int sigevent_take(long uev, struct ptimer *pt)
{
	struct sigevent_user ev;

	if (!uev) {
		pt->notify = SIGEV_SIGNAL;
		pt->signo = SIGALRM;
		pt->value = (uint64_t)pt->id;
		return 0;
	}
	if (copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	pt->notify = ev.notify;
	pt->signo = ev.signo;
	pt->value = ev.value;
	pt->target_tid = ev.tid;
	if (ev.notify == SIGEV_NONE)
		return 0;
	if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_THREAD_ID)
		return -EINVAL; /* SIGEV_THREAD is the C library's */
	if (ev.signo < 1 || ev.signo > NSIG)
		return -EINVAL;
	if (ev.notify == SIGEV_THREAD_ID) {
		rcu_read_lock();
		bool ours = process_find_thread(ev.tid) != NULL;
		rcu_read_unlock();
		if (!ours)
			return -EINVAL;
	}
	return 0;
}

/* Under ptimer_lock: a free slot, reusing a deleted timer whose deferred
 * send has run. */
static struct ptimer *pt_alloc(void)
{
	for (int i = 0; i < PTIMER_MAX; i++) {
		struct ptimer *pt = ptimers[i];

		if (!pt) {
			pt = ptimers[i] = calloc(1, sizeof(*pt));
			if (!pt)
				return NULL;
		} else if (pt->used ||
			   __atomic_load_n(&pt->send.queued, __ATOMIC_ACQUIRE)) {
			continue;
		}
		*pt = (struct ptimer){.id = i, .send.fn = pt_send};
		timer_init(&pt->timer, pt_fire);
		return pt;
	}
	return NULL;
}

long sys_timer_create(long clk, long uev, long uid, long d, long e, long f)
{
	enum ptimer_clock c;
	int tid, err = clock_of(clk, &c, &tid);

	if (!err)
		err = poll_defer_start(); /* the thread that sends the signals */
	if (err)
		return err;
	mutex_lock(&ptimer_lock);
	struct ptimer *pt = pt_alloc();
	if (!pt) {
		mutex_unlock(&ptimer_lock);
		return -EAGAIN;
	}
	pt->clock = c;
	pt->cpu_tid = tid;
	err = sigevent_take(uev, pt);
	int id = pt->id;
	if (!err)
		err = copy_to_user(uid, &id, sizeof(id));
	if (!err)
		pt->used = true;
	mutex_unlock(&ptimer_lock);
	return err;
}

/* Under ptimer_lock: the live timer `id`, or NULL. */
static struct ptimer *pt_find(long id)
{
	if ((int)id < 0 || (int)id >= PTIMER_MAX)
		return NULL;
	struct ptimer *pt = ptimers[(int)id];
	return pt && pt->used ? pt : NULL;
}

static void ts_put(int64_t *sec, int64_t *nsec, uint64_t ns)
{
	*sec = (int64_t)(ns / NSEC);
	*nsec = (int64_t)(ns % NSEC);
}

/* Interrupts off: what is left and the interval. */
static void pt_read(const struct ptimer *pt, struct itimerspec_user *v)
{
	uint64_t now = pt_now(pt);
	uint64_t left = !pt->deadline		? 0
			: pt->deadline > now ? pt->deadline - now
					       : 1;

	ts_put(&v->interval_sec, &v->interval_nsec, pt->interval);
	ts_put(&v->value_sec, &v->value_nsec, left);
}

long sys_timer_gettime(long id, long uval, long c, long d, long e, long f)
{
	struct itimerspec_user v;

	mutex_lock(&ptimer_lock);
	struct ptimer *pt = pt_find(id);
	if (pt) {
		uint64_t irq = irq_save();
		pt_read(pt, &v);
		irq_restore(irq);
	}
	mutex_unlock(&ptimer_lock);
	return pt ? copy_to_user(uval, &v, sizeof(v)) : -EINVAL;
}

/* The deadline on the timer's clock for a setting (0: disarm). */
static uint64_t deadline_of(const struct ptimer *pt, uint64_t value,
			    bool absolute)
{
	if (!value)
		return 0;
	if (!absolute)
		return pt_now(pt) + value;
	if (pt->clock == PT_REALTIME) {
		uint64_t off = clock_realtime_offset_ns();
		return value > off ? value - off : 1;
	}
	return value;
}

long sys_timer_settime(long id, long flags, long unew, long uold, long e,
		       long f)
{
	struct itimerspec_user old = {0};
	uint64_t value, interval;

	if (!unew)
		return -EINVAL;
	/* it_interval, then it_value: two timespecs */
	int err = timespec_from_user((uint64_t)unew, &interval);
	if (!err)
		err = timespec_from_user((uint64_t)unew + 16, &value);
	if (err)
		return err;
	mutex_lock(&ptimer_lock);
	struct ptimer *pt = pt_find(id);
	if (pt) {
		uint64_t irq = irq_save();
		pt_read(pt, &old);
		timer_cancel(&pt->timer);
		pt->interval = value ? interval : 0;
		pt->deadline = deadline_of(pt, value, flags & TIMER_ABSTIME);
		if (pt->deadline)
			pt_schedule(pt);
		irq_restore(irq);
	}
	mutex_unlock(&ptimer_lock);
	if (!pt)
		return -EINVAL;
	return uold ? copy_to_user(uold, &old, sizeof(old)) : 0;
}

long sys_timer_getoverrun(long id, long b, long c, long d, long e, long f)
{
	mutex_lock(&ptimer_lock);
	struct ptimer *pt = pt_find(id);
	long r = pt ? __atomic_load_n(&pt->last_overrun, __ATOMIC_RELAXED)
		    : -EINVAL;
	mutex_unlock(&ptimer_lock);
	return r;
}

long sys_timer_delete(long id, long b, long c, long d, long e, long f)
{
	mutex_lock(&ptimer_lock);
	struct ptimer *pt = pt_find(id);
	if (pt) {
		timer_cancel(&pt->timer);
		pt->deadline = 0;
		pt->used = false;
	}
	mutex_unlock(&ptimer_lock);
	return pt ? 0 : -EINVAL;
}
