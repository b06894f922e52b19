/* Clocks and sleeping. The vDSO (a later step) will answer the hot
 * clock_gettime/gettimeofday/time calls without entering here. */
#include "kernel/sched/sched.h"
#include "linux/sys.h"

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

static int clock_read(long clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID: {
		struct thread *t = current_thread();

		*ns = tsc_to_ns(t->runtime_tsc + (rdtsc() - t->switched_in_tsc));
		return 0;
	}
	case CLOCK_PROCESS_CPUTIME_ID: {
		/* All the CPUs' busy time: the application is all there is. */
		uint64_t busy = clock_monotonic_ns() * cpu_count;
		uint64_t idle = sched_idle_ns();
		*ns = busy > idle ? busy - idle : 0;
		return 0;
	}
	default:
		return -EINVAL;
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
	struct {
		int32_t minuteswest, dsttime;
	} z = {0, 0};

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

static int read_timespec(long ptr, uint64_t *ns)
{
	struct timespec_user ts;

	if (copy_from_user(&ts, ptr, sizeof(ts)))
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
	int err = read_timespec(req, &ns);

	if (!err)
		err = clock_read(clk, &now);
	if (err)
		return err;
	if (clk == CLOCK_THREAD_CPUTIME_ID || clk == CLOCK_PROCESS_CPUTIME_ID)
		return -EINVAL; /* Linux: EINVAL for the thread clock */
	if (flags & TIMER_ABSTIME)
		ns = ns > now ? ns - now : 0;
	/* Signals cannot interrupt a sleep yet, so *rem is never written. */
	if (ns)
		thread_sleep_ns(ns);
	(void)rem;
	return 0;
}

long sys_nanosleep(long req, long rem, long c, long d, long e, long f)
{
	return sys_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem, 0, 0);
}
