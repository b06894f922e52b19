/* Clocks and sleeping. The vDSO (a later step) will answer the hot
 * clock_gettime/gettimeofday/time calls without entering here. */
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"
#include "linux/vdso/vdso.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define NSEC 1000000000ull
#define COARSE_RES_NS 4000000 /* Linux's jiffy at HZ=250 */

struct timespec_user {
	int64_t sec, nsec;
};

/*
 * CPU-time clock ids of clock_getcpuclockid and pthread_getcpuclockid
 * (Linux: include/linux/posix-timers.h): ~pid or ~tid shifted left by 3,
 * bit 2 for a thread, the low two bits the kind (PROF, VIRT, SCHED; 3 is
 * invalid). Every kind reads the same time here: there is no user/system
 * split in one address space.
 */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_KIND_MASK 3

int cpu_clock_decode(int clk, int *tid)
{
	int id = ~(clk >> 3);

	*tid = 0;
	if ((clk & CPUCLOCK_KIND_MASK) == CPUCLOCK_KIND_MASK)
		return -EINVAL;
	if (!(clk & CPUCLOCK_PERTHREAD))
		return id && id != current_process()->pid ? -EINVAL : 0;
	*tid = id ? id : current_thread()->app_tid;
	rcu_read_lock();
	bool found = process_find_thread(*tid) != NULL;
	rcu_read_unlock();
	return found ? 0 : -EINVAL;
}

static int cpu_clock_read(int clk, uint64_t *ns)
{
	int tid, err = cpu_clock_decode(clk, &tid);

	if (err)
		return err;
	if (!tid) {
		*ns = process_cpu_ns();
		return 0;
	}
	rcu_read_lock();
	struct thread *t = process_find_thread(tid);
	if (t)
		*ns = thread_cpu_ns(t);
	rcu_read_unlock();
	return t ? 0 : -EINVAL;
}

/* The clocks that read the wall clock. */
static bool is_wall_clock(long clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE ||
	       clk == CLOCK_REALTIME_ALARM || clk == CLOCK_TAI;
}

static int clock_read(long clk, uint64_t *ns)
{
	if (is_wall_clock(clk)) {
		*ns = clock_realtime_ns();
		return 0;
	}
	switch (clk) {
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = thread_cpu_ns(current_thread());
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = process_cpu_ns();
		return 0;
	default:
		/* clockid_t is an int: the upper half of the register is
		 * not part of it (glibc passes it zero-extended) */
		return (int)clk < 0 ? cpu_clock_read((int)clk, ns) : -EINVAL;
	}
}

static struct timespec_user to_ts(uint64_t ns)
{
	return (struct timespec_user){(int64_t)(ns / NSEC), (int64_t)(ns % NSEC)};
}

long sys_clock_gettime(long clk, long tp, long c, long d, long e, long f)
{
	uint64_t ns;
	int err = clock_read(clk, &ns);

	if (err)
		return err;
	struct timespec_user ts = to_ts(ns);
	return copy_to_user(tp, &ts, sizeof(ts));
}

long sys_clock_getres(long clk, long tp, long c, long d, long e, long f)
{
	uint64_t ns;
	int err = clock_read(clk, &ns);

	if (err)
		return err;
	bool coarse = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE;
	struct timespec_user ts = {0, coarse ? COARSE_RES_NS : 1};
	return tp ? copy_to_user(tp, &ts, sizeof(ts)) : 0;
}

long sys_gettimeofday(long tv, long tz, long c, long d, long e, long f)
{
	uint64_t ns = clock_realtime_ns();
	struct {
		int64_t sec, usec;
	} t = {(int64_t)(ns / NSEC), (int64_t)(ns % NSEC / 1000)};
	const struct vdso_data *vd = vdso_kernel_data();
	struct {
		int32_t minuteswest, dsttime;
	} z = {vd ? vd->tz_minuteswest : 0, vd ? vd->tz_dsttime : 0};

	if (tv && copy_to_user(tv, &t, sizeof(t)))
		return -EFAULT;
	if (tz && copy_to_user(tz, &z, sizeof(z)))
		return -EFAULT;
	return 0;
}

long sys_time(long tloc, long b, long c, long d, long e, long f)
{
	int64_t now = (int64_t)(clock_realtime_ns() / NSEC);

	if (tloc && copy_to_user(tloc, &now, sizeof(now)))
		return -EFAULT;
	return now;
}

int timespec_from_user(uint64_t uptr, uint64_t *ns)
{
	struct timespec_user ts;

	if (copy_from_user(&ts, uptr, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC)
		return -EINVAL;
	if ((uint64_t)ts.sec > UINT64_MAX / NSEC - 1)
		*ns = UINT64_MAX / 2; /* forever, near enough */
	else
		*ns = (uint64_t)ts.sec * NSEC + (uint64_t)ts.nsec;
	return 0;
}

long sys_clock_nanosleep(long clk, long flags, long req, long rem, long e,
			 long f)
{
	uint64_t ns, now;
	int err = timespec_from_user(req, &ns);

	if (!err)
		err = clock_read(clk, &now);
	if (err)
		return err;
	if (clk == CLOCK_THREAD_CPUTIME_ID || clk == CLOCK_PROCESS_CPUTIME_ID ||
	    (int)clk < 0)
		return -EINVAL; /* Linux: EINVAL for the CPU clocks */
	/* An absolute time becomes a monotonic deadline without a second
	 * clock read (a stall between two would end the sleep early). */
	uint64_t deadline, off = clock_realtime_offset_ns();
	if (!(flags & TIMER_ABSTIME))
		deadline = clock_monotonic_ns() + ns;
	else if (is_wall_clock(clk))
		deadline = ns > off ? ns - off : 0;
	else
		deadline = ns;
	uint64_t t = clock_monotonic_ns();
	if (t >= deadline || !sleep_for_signal(deadline) ||
	    (t = clock_monotonic_ns()) >= deadline)
		return 0; /* slept it all: a deadline reached wins */
	/* Linux writes the time left for relative sleeps only. */
	struct timespec_user left = to_ts(deadline - t);
	if (rem && !(flags & TIMER_ABSTIME) &&
	    copy_to_user(rem, &left, sizeof(left)))
		return -EFAULT;
	return -EINTR;
}

long sys_nanosleep(long req, long rem, long c, long d, long e, long f)
{
	return sys_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem, 0, 0);
}

/*
 * ---- interval timers ----
 * ITIMER_REAL counts wall time and sends SIGALRM; ITIMER_VIRTUAL and
 * ITIMER_PROF count the process's CPU time (in a unikernel all of it is
 * the application's, user and system alike) and send SIGVTALRM and
 * SIGPROF. A CPU-time timer wakes on the monotonic clock when the CPU
 * time could at the earliest be due (it cannot grow faster than the wall
 * clock on one CPU), checks, and re-arms for what is left.
 */
#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
struct itimerval_user {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

struct itimer {
	struct timer timer;
	uint64_t deadline, interval; /* ns on its clock; deadline 0: off */
	int sig;
	bool cpu;
};
/* Changed under itimer_lock with interrupts off; the callbacks run with
 * interrupts off too. */
static struct itimer itimers[3] = {
	{.sig = SIGALRM}, {.sig = 26 /* SIGVTALRM */, .cpu = true},
	{.sig = 27 /* SIGPROF */, .cpu = true},
};
static struct mutex itimer_lock = MUTEX_INIT;

static uint64_t itimer_now(const struct itimer *it)
{
	uint64_t ns = 0;

	if (!it->cpu)
		return clock_monotonic_ns();
	clock_read(CLOCK_PROCESS_CPUTIME_ID, &ns);
	return ns;
}

static void itimer_schedule(struct itimer *it)
{
	uint64_t now = itimer_now(it);
	uint64_t wait = it->deadline > now ? it->deadline - now : 0;

	timer_arm(&it->timer, clock_monotonic_ns() + wait);
}

static void itimer_fire(struct timer *t)
{
	struct itimer *it = container_of(t, struct itimer, timer);
	struct ksiginfo info = {.signo = it->sig, .code = 0x80}; /* SI_KERNEL */

	if (!it->deadline)
		return;
	if (itimer_now(it) < it->deadline) {
		itimer_schedule(it); /* CPU time lags the wall clock */
		return;
	}
	signal_send_process(it->sig, &info);
	if (it->interval) {
		it->deadline += it->interval;
		itimer_schedule(it);
	} else {
		it->deadline = 0;
	}
}

static void itimer_read(const struct itimer *it, struct itimerval_user *v)
{
	uint64_t now = itimer_now(it);
	uint64_t left = !it->deadline ? 0 : it->deadline > now ? it->deadline - now : 1000;

	v->interval_sec = (int64_t)(it->interval / NSEC);
	v->interval_usec = (int64_t)(it->interval % NSEC / 1000);
	v->value_sec = (int64_t)(left / NSEC);
	v->value_usec = (int64_t)(left % NSEC / 1000);
}

/* Sets timer `which`; the old value goes to *old. */
static void itimer_set(int which, uint64_t value, uint64_t interval,
		       struct itimerval_user *old)
{
	struct itimer *it = &itimers[which];

	mutex_lock(&itimer_lock);
	uint64_t irq = irq_save();
	if (old)
		itimer_read(it, old);
	timer_cancel(&it->timer);
	timer_init(&it->timer, itimer_fire);
	it->interval = interval;
	it->deadline = value ? itimer_now(it) + value : 0;
	if (value)
		itimer_schedule(it);
	irq_restore(irq);
	mutex_unlock(&itimer_lock);
}

long sys_getitimer(long which, long uval, long c, long d, long e, long f)
{
	struct itimerval_user v;

	if ((int)which < 0 || (int)which > ITIMER_PROF)
		return -EINVAL;
	mutex_lock(&itimer_lock);
	uint64_t irq = irq_save();
	itimer_read(&itimers[which], &v);
	irq_restore(irq);
	mutex_unlock(&itimer_lock);
	return copy_to_user(uval, &v, sizeof(v));
}

long sys_setitimer(long which, long unew, long uold, long d, long e, long f)
{
	struct itimerval_user v = {0}, old;

	if ((int)which < 0 || (int)which > ITIMER_PROF)
		return -EINVAL;
	if (unew && copy_from_user(&v, unew, sizeof(v)))
		return -EFAULT;
	if (v.value_usec < 0 || v.value_usec >= 1000000 ||
	    v.interval_usec < 0 || v.interval_usec >= 1000000 ||
	    v.value_sec < 0 || v.interval_sec < 0)
		return -EINVAL;
	itimer_set((int)which,
		   (uint64_t)v.value_sec * NSEC + (uint64_t)v.value_usec * 1000,
		   (uint64_t)v.interval_sec * NSEC + (uint64_t)v.interval_usec * 1000,
		   &old);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_alarm(long seconds, long b, long c, long d, long e, long f)
{
	struct itimerval_user old;

	itimer_set(ITIMER_REAL, (uint64_t)(unsigned)seconds * NSEC, 0, &old);
	/* Linux rounds the seconds left to the nearest. */
	return old.value_sec + (old.value_usec >= 500000 ||
				(!old.value_sec && old.value_usec));
}

/* Sets the wall clock (Osprey's program is root): the kernel's offset
 * and the vDSO's copy of it. Other clocks cannot be set. */
static int set_realtime(uint64_t ns)
{
	int err = clock_set_realtime(ns);

	if (!err)
		vdso_realtime_changed();
	return err;
}

long sys_clock_settime(long clk, long uts, long c, long d, long e, long f)
{
	uint64_t ns;

	if (clk != CLOCK_REALTIME)
		return -EINVAL;
	int err = timespec_from_user((uint64_t)uts, &ns);
	return err ? err : set_realtime(ns);
}

/* struct timeval and struct timezone; either may be NULL (Linux). */
long sys_settimeofday(long tv, long tz, long c, long d, long e, long f)
{
	struct {
		int64_t sec, usec;
	} t;
	struct {
		int32_t minuteswest, dsttime;
	} z;

	if (tv && copy_from_user(&t, tv, sizeof(t)))
		return -EFAULT;
	if (tz && copy_from_user(&z, tz, sizeof(z)))
		return -EFAULT;
	if (tv && (t.sec < 0 || t.usec < 0 || t.usec >= 1000000 ||
		   (uint64_t)t.sec > UINT64_MAX / NSEC - 1))
		return -EINVAL;
	if (tz && (z.minuteswest < -15 * 60 || z.minuteswest > 15 * 60))
		return -EINVAL; /* Linux's bound */
	if (tz)
		vdso_set_tz(z.minuteswest, z.dsttime);
	return tv ? set_realtime((uint64_t)t.sec * NSEC + (uint64_t)t.usec * 1000)
		  : 0;
}
