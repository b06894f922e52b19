/*
 * Clocks and timers: clock_gettime on every clock (monotonic ones never go
 * back), clock_getres, gettimeofday and time against CLOCK_REALTIME,
 * nanosleep and clock_nanosleep (relative and absolute), times, interval
 * timers, timerfd, the error paths, and the vDSO's presence in the
 * auxiliary vector.
 */
#define _GNU_SOURCE
#include "common.h"

#include <elf.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <time.h>

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static long long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts_ns(&ts);
}

/* 1000 reads of `c`: each valid and none before the one it follows. */
static int clock_never_goes_back(clockid_t c)
{
	struct timespec ts;
	long long prev = -1, t;
	int i;

	for (i = 0; i < 1000; i++) {
		if (clock_gettime(c, &ts) != 0)
			return 0;
		if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000 || ts.tv_sec < 0)
			return 0;
		t = ts_ns(&ts);
		if (t < prev)
			return 0;
		prev = t;
	}
	return 1;
}

static void monotonic_clocks_never_go_back(void)
{
	struct timespec ts;

	CHECK(clock_never_goes_back(CLOCK_MONOTONIC));
	CHECK(clock_never_goes_back(CLOCK_MONOTONIC_RAW));
	CHECK(clock_never_goes_back(CLOCK_MONOTONIC_COARSE));
	CHECK(clock_never_goes_back(CLOCK_BOOTTIME));
	CHECK(clock_never_goes_back(CLOCK_PROCESS_CPUTIME_ID));
	CHECK(clock_never_goes_back(CLOCK_THREAD_CPUTIME_ID));
	/* The realtime clocks say a time after 2020. */
	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME, &ts), 0);
	CHECK(ts.tv_sec > 1577836800);
	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME_COARSE, &ts), 0);
	CHECK(ts.tv_sec > 1577836800);
	/* Boot time counts at least what monotonic does. */
	CHECK(now_ns(CLOCK_BOOTTIME) >= now_ns(CLOCK_MONOTONIC) - 1000000);
}

static void cpu_clocks_advance_with_work(void)
{
	long long p0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	long long end = now_ns(CLOCK_MONOTONIC) + 20000000;
	volatile unsigned long spin = 0;

	while (now_ns(CLOCK_MONOTONIC) < end)
		spin++;
	CHECK(now_ns(CLOCK_PROCESS_CPUTIME_ID) > p0);
	CHECK(now_ns(CLOCK_THREAD_CPUTIME_ID) > t0);
	/* A CPU clock never runs ahead of the wall clock much. */
	CHECK(now_ns(CLOCK_THREAD_CPUTIME_ID) - t0 < 10ll * 1000000000);
}

/* Issue 14, item 3: CPU clocks count only time the process or thread ran,
 * and the clock ids of pthread_getcpuclockid/clock_getcpuclockid work. */
static void *sleep_100ms(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	return NULL;
}

static void cpu_clocks_skip_sleep_and_name_threads(void)
{
	clockid_t tclk, pclk;
	pthread_t t;
	struct timespec ts;

	long long p0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	pthread_create(&t, NULL, sleep_100ms, NULL);
	pthread_join(t, NULL);
	usleep(100 * 1000);
	/* Two 100 ms sleeps, one per thread: far less than 100 ms of CPU. */
	CHECK(now_ns(CLOCK_PROCESS_CPUTIME_ID) - p0 < 50000000);
	CHECK_EQ_INT(pthread_getcpuclockid(pthread_self(), &tclk), 0);
	CHECK_EQ_INT(clock_gettime(tclk, &ts), 0);
	CHECK(ts.tv_sec * 1000000000ll + ts.tv_nsec > 0);
	CHECK_EQ_INT(clock_getcpuclockid(0, &pclk), 0);
	CHECK_EQ_INT(clock_gettime(pclk, &ts), 0);
	CHECK(ts.tv_sec * 1000000000ll + ts.tv_nsec >= p0);
	CHECK_EQ_INT(clock_getcpuclockid(getpid(), &pclk), 0);
	CHECK_EQ_INT(clock_gettime(pclk, &ts), 0);
	/* A thread id that does not exist: EINVAL. */
	CHECK_ERRNO(clock_gettime((clockid_t)((~99999u << 3) | 6), &ts), EINVAL);
}

static void clock_getres_values(void)
{
	struct timespec res;

	CHECK_EQ_INT(clock_getres(CLOCK_MONOTONIC, &res), 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	CHECK_EQ_INT(clock_getres(CLOCK_REALTIME, &res), 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	CHECK_EQ_INT(clock_getres(CLOCK_MONOTONIC_COARSE, &res), 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
	CHECK_EQ_INT(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res), 0);
	CHECK_EQ_INT(clock_getres(CLOCK_MONOTONIC, NULL), 0);
	CHECK_ERRNO(clock_getres(12345, &res), EINVAL);
}

static void gettimeofday_and_time_agree_with_realtime(void)
{
	struct timespec ts;
	struct timeval tv;
	time_t t1, t2;

	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME, &ts), 0);
	CHECK_EQ_INT(gettimeofday(&tv, NULL), 0);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(tv.tv_sec - ts.tv_sec >= 0 && tv.tv_sec - ts.tv_sec <= 1);
	t1 = time(&t2);
	CHECK_EQ_INT(t1, t2);
	CHECK(t1 - ts.tv_sec >= 0 && t1 - ts.tv_sec <= 1);
	CHECK_EQ_INT(syscall(SYS_time, NULL) - ts.tv_sec <= 1, 1);
	CHECK_EQ_INT(syscall(SYS_gettimeofday, &tv, NULL), 0);
	CHECK(tv.tv_sec - ts.tv_sec >= 0 && tv.tv_sec - ts.tv_sec <= 1);
}

static void nanosleep_sleeps_at_least(void)
{
	struct timespec req = {0, 10 * 1000000}, rem = {7, 7};
	long long t0 = now_ns(CLOCK_MONOTONIC), dt;

	CHECK_EQ_INT(nanosleep(&req, &rem), 0);
	dt = now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(dt >= 10 * 1000000);
	CHECK(dt < 1000ll * 1000000);
	req.tv_nsec = 1000000000;
	CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
	req.tv_nsec = -1;
	CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_nanosleep, (void *)1, NULL), EFAULT);
	req.tv_sec = 0;
	CHECK_EQ_INT(nanosleep(&req, NULL), 0); /* zero returns at once */
}

static void clock_nanosleep_absolute_and_relative(void)
{
	struct timespec t;
	long long target, t0;

	/* clock_nanosleep returns the error number instead of setting errno. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	target = ts_ns(&t) + 20 * 1000000;
	t.tv_sec = target / 1000000000;
	t.tv_nsec = target % 1000000000;
	CHECK_EQ_INT(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL),
		     0);
	CHECK(now_ns(CLOCK_MONOTONIC) >= target);
	/* A time already past returns at once. */
	t0 = now_ns(CLOCK_MONOTONIC);
	t.tv_sec = 0;
	t.tv_nsec = 1;
	CHECK_EQ_INT(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL),
		     0);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 500 * 1000000);
	t.tv_nsec = 5 * 1000000;
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ_INT(clock_nanosleep(CLOCK_REALTIME, 0, &t, NULL), 0);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 5 * 1000000);
	CHECK_EQ_INT(clock_nanosleep(CLOCK_BOOTTIME, 0, &t, NULL), 0);
	CHECK_EQ_INT(clock_nanosleep(12345, 0, &t, NULL), EINVAL);
	/* Linux cannot sleep on the calling thread's own CPU clock. */
	CHECK_EQ_INT(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &t, NULL),
		     EINVAL);
	t.tv_nsec = 1000000000;
	CHECK_EQ_INT(clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL), EINVAL);
}

static void times_counts_ticks(void)
{
	struct tms t;
	clock_t c;

	CHECK_EQ_INT(sysconf(_SC_CLK_TCK), 100);
	c = times(&t);
	CHECK(c != (clock_t)-1);
	CHECK(t.tms_utime >= 0 && t.tms_stime >= 0);
	CHECK_EQ_INT(t.tms_cutime, 0); /* no children, ever */
	CHECK_EQ_INT(t.tms_cstime, 0);
	CHECK(times(NULL) != (clock_t)-1);
}

static void itimer_round_trip(void)
{
	struct itimerval set = {{5, 0}, {10, 0}}, got, old;

	CHECK_EQ_INT(setitimer(ITIMER_REAL, &set, &old), 0);
	CHECK_EQ_INT(old.it_value.tv_sec, 0);
	CHECK_EQ_INT(old.it_value.tv_usec, 0);
	CHECK_EQ_INT(getitimer(ITIMER_REAL, &got), 0);
	CHECK_EQ_INT(got.it_interval.tv_sec, 5);
	CHECK_EQ_INT(got.it_interval.tv_usec, 0);
	CHECK(got.it_value.tv_sec >= 8 && got.it_value.tv_sec <= 10);
	CHECK(got.it_value.tv_sec < 10 || got.it_value.tv_usec == 0);
	/* Disarming hands back what was left. */
	memset(&set, 0, sizeof(set));
	CHECK_EQ_INT(setitimer(ITIMER_REAL, &set, &old), 0);
	CHECK(old.it_value.tv_sec >= 8);
	CHECK_EQ_INT(old.it_interval.tv_sec, 5);
	CHECK_EQ_INT(getitimer(ITIMER_REAL, &got), 0);
	CHECK_EQ_INT(got.it_value.tv_sec, 0);
	CHECK_EQ_INT(got.it_value.tv_usec, 0);

	set.it_value.tv_sec = 100;
	CHECK_EQ_INT(setitimer(ITIMER_VIRTUAL, &set, NULL), 0);
	CHECK_EQ_INT(getitimer(ITIMER_VIRTUAL, &got), 0);
	CHECK(got.it_value.tv_sec >= 98 && got.it_value.tv_sec <= 100);
	memset(&set, 0, sizeof(set));
	CHECK_EQ_INT(setitimer(ITIMER_VIRTUAL, &set, NULL), 0);

	CHECK_ERRNO(getitimer(7, &got), EINVAL);
	set.it_value.tv_usec = 1000000;
	CHECK_ERRNO(setitimer(ITIMER_REAL, &set, NULL), EINVAL);
}

static void timerfd_counts_expirations(void)
{
	struct itimerspec its = {{0, 0}, {0, 20 * 1000000}}, cur;
	uint64_t n = 0;
	uint32_t small;
	long long t0;
	int fd;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (!CHECK(fd >= 0))
		return;
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	CHECK_EQ_INT(timerfd_gettime(fd, &cur), 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
	CHECK_EQ_INT(read(fd, &n, sizeof(n)), 8); /* blocks until it fires */
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20 * 1000000);
	CHECK_EQ_INT(n, 1);
	/* Disarmed after a one-shot. */
	CHECK_EQ_INT(timerfd_gettime(fd, &cur), 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	/* Periodic: overruns accumulate into one read. */
	its.it_value.tv_nsec = 5 * 1000000;
	its.it_interval.tv_nsec = 5 * 1000000;
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	usleep(30 * 1000);
	CHECK_EQ_INT(read(fd, &n, sizeof(n)), 8);
	CHECK(n >= 2);
	CHECK_ERRNO(read(fd, &small, sizeof(small)), EINVAL);
	memset(&its, 0, sizeof(its));
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	close(fd);

	/* Nonblocking with nothing expired is EAGAIN; absolute times work. */
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_ERRNO(read(fd, &n, sizeof(n)), EAGAIN);
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_sec -= 1; /* already past: expires at once */
	CHECK_EQ_INT(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL), 0);
	CHECK_EQ_INT(read(fd, &n, sizeof(n)), 8);
	CHECK_EQ_INT(n, 1);
	CHECK_ERRNO(read(fd, &n, sizeof(n)), EAGAIN);
	its.it_value.tv_nsec = 1000000000;
	CHECK_ERRNO(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	CHECK_ERRNO(timerfd_settime(fd, 0x100, &its, NULL), EINVAL);
	close(fd);

	CHECK_ERRNO(timerfd_create(12345, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x1), EINVAL);
	/* The values are checked before the descriptor: fix them first. */
	its.it_value.tv_nsec = 0;
	CHECK_ERRNO(timerfd_settime(-1, 0, &its, NULL), EBADF);
	fd = open("/dev/null", O_RDONLY);
	CHECK_ERRNO(timerfd_gettime(fd, &cur), EINVAL); /* not a timerfd */
	close(fd);
}

static void bad_clock_ids_and_pointers(void)
{
	struct timespec ts;

	CHECK_ERRNO(clock_gettime(12345, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_gettime, 12345, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1),
		    EFAULT);
	CHECK_ERRNO(syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)1),
		    EFAULT);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	/* Only CLOCK_REALTIME can be set. */
	CHECK_ERRNO(clock_settime(CLOCK_MONOTONIC, &ts), EINVAL);
}

/*
 * Setting the wall clock as root (issue 14): to the time it already
 * shows, so that a run on the host does not move the host's clock; the
 * errors; and settimeofday's time zone, which gettimeofday (the vDSO's,
 * through glibc) must report at once: the data page the vDSO reads is
 * updated, not a copy made at exec. The zone is put back. A zone is
 * always set together with the time: Linux's first settimeofday with a
 * zone and no time warps the clock by the zone's offset (it takes the
 * clock to have been local time: timekeeping_warp_clock), which a run on
 * the host must never do.
 */
static void setting_the_wall_clock(void)
{
	struct timespec now, bad, after;
	struct timeval tv;
	struct timezone tz, old, got;

	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME, &now), 0);
	CHECK_EQ_INT(clock_settime(CLOCK_REALTIME, &now), 0);
	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME, &after), 0);
	CHECK(after.tv_sec >= now.tv_sec && after.tv_sec - now.tv_sec < 5);
	bad = now;
	bad.tv_nsec = 1000000000;
	CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, (void *)1),
		    EFAULT);
	CHECK_EQ_INT(syscall(SYS_settimeofday, NULL, NULL), 0);
	tv.tv_sec = now.tv_sec;
	tv.tv_usec = 1000000;
	CHECK_ERRNO(syscall(SYS_settimeofday, &tv, NULL), EINVAL);
	tz.tz_minuteswest = 16 * 60;
	tz.tz_dsttime = 0;
	CHECK_ERRNO(syscall(SYS_settimeofday, NULL, &tz), EINVAL);
	CHECK_ERRNO(syscall(SYS_settimeofday, (void *)1, NULL), EFAULT);
	CHECK_EQ_INT(gettimeofday(&tv, &old), 0);
	tz.tz_minuteswest = -330;
	tz.tz_dsttime = 1;
	CHECK_EQ_INT(gettimeofday(&tv, NULL), 0);
	CHECK_EQ_INT(syscall(SYS_settimeofday, &tv, &tz), 0);
	CHECK_EQ_INT(gettimeofday(&tv, &got), 0);
	CHECK_EQ_INT(got.tz_minuteswest, -330);
	CHECK_EQ_INT(got.tz_dsttime, 1);
	CHECK_EQ_INT(syscall(SYS_gettimeofday, &tv, &got), 0);
	CHECK_EQ_INT(got.tz_minuteswest, -330);
	CHECK_EQ_INT(gettimeofday(&tv, NULL), 0);
	CHECK_EQ_INT(syscall(SYS_settimeofday, &tv, &old), 0);
}

static void vdso_is_in_the_auxv(void)
{
	const unsigned char *ehdr = (const void *)getauxval(AT_SYSINFO_EHDR);

	CHECK(ehdr != NULL);
	if (ehdr) {
		CHECK_EQ_MEM(ehdr, ELFMAG, SELFMAG);
		CHECK_EQ_INT(ehdr[EI_CLASS], ELFCLASS64);
		CHECK_EQ_INT(((const Elf64_Ehdr *)ehdr)->e_type, ET_DYN);
		CHECK_EQ_INT((uintptr_t)ehdr % 4096, 0);
	}
}

int main(void)
{
	abi_init("time");
	ABI_RUN(monotonic_clocks_never_go_back);
	ABI_RUN(cpu_clocks_advance_with_work);
	ABI_RUN(clock_getres_values);
	ABI_RUN(cpu_clocks_skip_sleep_and_name_threads);
	ABI_RUN(gettimeofday_and_time_agree_with_realtime);
	ABI_RUN(nanosleep_sleeps_at_least);
	ABI_RUN(clock_nanosleep_absolute_and_relative);
	ABI_RUN(times_counts_ticks);
	ABI_RUN(itimer_round_trip);
	ABI_RUN(timerfd_counts_expirations);
	ABI_RUN(bad_clock_ids_and_pointers);
	ABI_RUN(setting_the_wall_clock);
	ABI_RUN(vdso_is_in_the_auxv);
	return abi_done();
}
