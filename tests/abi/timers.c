/*
 * POSIX timers (man 2 timer_create, timer_settime, timer_getoverrun):
 * signals with their si_value and si_code SI_TIMER, overruns counted while
 * a signal waits, one-shot and periodic, absolute and relative, CPU-time
 * clocks, SIGEV_NONE, the C library's SIGEV_THREAD (built on
 * SIGEV_THREAD_ID and real-time signals), and the error paths.
 */
#include "common.h"

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>

#define MS 1000000L

static int wait_signal(int sig, siginfo_t *info, long timeout_ms)
{
	sigset_t set;
	struct timespec ts = {timeout_ms / 1000, timeout_ms % 1000 * MS};

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, info, &ts);
}

static void block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void one_shot_signal_carries_value_and_code(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL,
			      .sigev_signo = SIGRTMIN + 1,
			      .sigev_value.sival_int = 42};
	struct itimerspec its = {.it_value = {0, 20 * MS}};
	siginfo_t info;
	timer_t t;

	block(SIGRTMIN + 1);
	CHECK_EQ_INT(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	CHECK_EQ_INT(wait_signal(SIGRTMIN + 1, &info, 2000), SIGRTMIN + 1);
	CHECK_EQ_INT(info.si_code, SI_TIMER);
	CHECK_EQ_INT(info.si_value.sival_int, 42);
	CHECK_EQ_INT(info.si_overrun, 0);
	/* One-shot: nothing more. */
	CHECK_ERRNO(wait_signal(SIGRTMIN + 1, &info, 60), EAGAIN);
	CHECK_EQ_INT(timer_gettime(t, &its), 0);
	CHECK(its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0);
	CHECK_EQ_INT(timer_delete(t), 0);
	CHECK_ERRNO(timer_delete(t), EINVAL);
}

static void periodic_overruns_are_counted(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL,
			      .sigev_signo = SIGUSR1};
	struct itimerspec its = {{0, 2 * MS}, {0, 2 * MS}}, cur;
	siginfo_t info;
	timer_t t;

	block(SIGUSR1);
	CHECK_EQ_INT(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	usleep(100 * 1000); /* ~50 expiries, one signal queued */
	CHECK_EQ_INT(wait_signal(SIGUSR1, &info, 2000), SIGUSR1);
	CHECK(info.si_overrun >= 10);
	CHECK_EQ_INT(timer_getoverrun(t), info.si_overrun);
	CHECK_EQ_INT(timer_gettime(t, &cur), 0);
	CHECK_EQ_INT(cur.it_interval.tv_nsec, 2 * MS);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 2 * MS);
	/* Disarmed by a zero value; the old setting comes back. */
	struct itimerspec zero = {{0, 0}, {0, 0}}, old;
	CHECK_EQ_INT(timer_settime(t, 0, &zero, &old), 0);
	CHECK_EQ_INT(old.it_interval.tv_nsec, 2 * MS);
	wait_signal(SIGUSR1, &info, 10); /* one may have been queued */
	CHECK_ERRNO(wait_signal(SIGUSR1, &info, 50), EAGAIN);
	CHECK_EQ_INT(timer_delete(t), 0);
}

static void absolute_realtime_and_default_sigevent(void)
{
	struct itimerspec its = {{0, 0}, {0, 0}};
	siginfo_t info;
	int id = -1;

	block(SIGALRM);
	/* No sigevent (the kernel's default; glibc passes one of its own):
	 * SIGALRM with the timer's id as its value. */
	CHECK_EQ_INT(syscall(SYS_timer_create, CLOCK_REALTIME, NULL, &id), 0);
	timer_t t = (timer_t)(intptr_t)id;
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_nsec += 30 * MS;
	if (its.it_value.tv_nsec >= 1000 * MS) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000 * MS;
	}
	CHECK_EQ_INT(syscall(SYS_timer_settime, id, TIMER_ABSTIME, &its, NULL),
		     0);
	(void)t;
	CHECK_EQ_INT(wait_signal(SIGALRM, &info, 2000), SIGALRM);
	CHECK_EQ_INT(info.si_code, SI_TIMER);
	CHECK_EQ_INT(info.si_value.sival_int, id);
	CHECK_EQ_INT(syscall(SYS_timer_delete, id), 0);
}

static void sigev_none_counts_down(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	struct itimerspec its = {.it_value = {5, 0}}, cur;
	timer_t t;

	CHECK_EQ_INT(timer_create(CLOCK_BOOTTIME, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	usleep(20 * 1000);
	CHECK_EQ_INT(timer_gettime(t, &cur), 0);
	CHECK(cur.it_value.tv_sec < 5 && cur.it_value.tv_sec >= 4);
	CHECK_EQ_INT(timer_delete(t), 0);
}

static void cpu_time_timer_fires_on_work(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL,
			      .sigev_signo = SIGUSR2};
	struct itimerspec its = {.it_value = {0, 20 * MS}};
	siginfo_t info;
	timer_t t;
	volatile unsigned long spin = 0;

	block(SIGUSR2);
	CHECK_EQ_INT(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	struct timespec zero = {0, 0}, start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int got = -1;
	do { /* busy: CPU time grows */
		for (int i = 0; i < 100000; i++)
			spin++;
		got = sigtimedwait(&set, &info, &zero);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (got < 0 && now.tv_sec - start.tv_sec < 10);
	CHECK_EQ_INT(got, SIGUSR2);
	CHECK_EQ_INT(timer_delete(t), 0);
}

static sem_t fired;
static volatile int thread_value;

static void on_expiry(union sigval v)
{
	thread_value = v.sival_int;
	sem_post(&fired);
}

static void sigev_thread_runs_the_function(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD,
			      .sigev_notify_function = on_expiry,
			      .sigev_value.sival_int = 7};
	struct itimerspec its = {.it_value = {0, 10 * MS}};
	struct timespec deadline;
	timer_t t;

	sem_init(&fired, 0, 0);
	CHECK_EQ_INT(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	CHECK_EQ_INT(sem_timedwait(&fired, &deadline), 0);
	CHECK_EQ_INT(thread_value, 7);
	CHECK_EQ_INT(timer_delete(t), 0);
}

static void errors(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0};
	struct itimerspec its = {.it_value = {0, 1000 * MS}};
	timer_t t;

	CHECK_ERRNO(timer_create(12345, NULL, &t), EINVAL);
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	ev.sigev_signo = 65;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	ev.sigev_signo = SIGUSR1;
	ev.sigev_notify = 99;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev._sigev_un._tid = 0x3ffffff0;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, 1L),
		    EFAULT);
	CHECK_EQ_INT(timer_create(CLOCK_MONOTONIC, NULL, &t), 0);
	CHECK_ERRNO(syscall(SYS_timer_settime, t, 0, NULL, NULL), EINVAL);
	its.it_value.tv_nsec = 1000 * MS;
	CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = -1;
	CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_gettime, 9999, &its), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_getoverrun, 9999), EINVAL);
	CHECK_EQ_INT(timer_delete(t), 0);
}

int main(void)
{
	abi_init("timers");
	ABI_RUN(one_shot_signal_carries_value_and_code);
	ABI_RUN(periodic_overruns_are_counted);
	ABI_RUN(absolute_realtime_and_default_sigevent);
	ABI_RUN(sigev_none_counts_down);
	ABI_RUN(cpu_time_timer_fires_on_work);
	ABI_RUN(sigev_thread_runs_the_function);
	ABI_RUN(errors);
	return abi_done();
}
