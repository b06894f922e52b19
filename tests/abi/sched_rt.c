/*
 * Real-time policies honoured by the scheduler (run as root): with the
 * process pinned to one CPU, a SCHED_FIFO thread that spins keeps a
 * SCHED_OTHER one from running, and a SCHED_FIFO thread that wakes runs
 * before its normal waker gets the CPU back. sched_rr_get_interval gives
 * SCHED_RR's timeslice.
 */
#include "common.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

static volatile uint64_t counter;
static volatile int stop, woke;
static int pipefd[2];

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void *count(void *arg ABI_UNUSED)
{
	while (!stop)
		counter++;
	return NULL;
}

static void *fifo_reader(void *arg ABI_UNUSED)
{
	char c;

	if (read(pipefd[0], &c, 1) == 1)
		woke = 1;
	return NULL;
}

static int set_policy(pthread_t t, int policy, int prio)
{
	struct sched_param p = {.sched_priority = prio};

	return pthread_setschedparam(t, policy, &p);
}

/* Waits (bounded) until the normal thread has counted again. */
static int counting(void)
{
	uint64_t c0 = counter, end = now_ms() + 5000;

	while (counter == c0 && now_ms() < end)
		sched_yield();
	return counter != c0;
}

static void fifo_spinner_starves_normal(void)
{
	pthread_t t;

	stop = 0;
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, count, NULL), 0))
		return;
	CHECK(counting());
	CHECK_EQ_INT(set_policy(pthread_self(), SCHED_FIFO, 10), 0);
	uint64_t before = counter, end = now_ms() + 200;
	while (now_ms() < end)
		;
	uint64_t after = counter;
	CHECK_EQ_INT(set_policy(pthread_self(), SCHED_OTHER, 0), 0);
	CHECK_EQ_INT(after - before, 0); /* not one step in 200 ms */
	CHECK(counting());		 /* and runs again after */
	stop = 1;
	pthread_join(t, NULL);
}

static void fifo_wakeup_preempts(void)
{
	pthread_t t;
	pthread_attr_t a;
	struct sched_param p = {.sched_priority = 20};

	woke = 0;
	if (!CHECK_EQ_INT(pipe(pipefd), 0))
		return;
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_FIFO);
	pthread_attr_setschedparam(&a, &p);
	if (!CHECK_EQ_INT(pthread_create(&t, &a, fifo_reader, NULL), 0))
		return;
	usleep(50000); /* it blocks in read */
	CHECK_EQ_INT(write(pipefd[1], "x", 1), 1);
	CHECK_EQ_INT(woke, 1); /* it ran before write returned to us */
	pthread_join(t, NULL);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void rr_interval(void)
{
	struct timespec ts;
	struct sched_param p = {.sched_priority = 5};

	CHECK_EQ_INT(sched_setscheduler(0, SCHED_RR, &p), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_RR);
	CHECK_EQ_INT(sched_rr_get_interval(0, &ts), 0);
	CHECK_EQ_INT(ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 100);
	p.sched_priority = 0;
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_OTHER, &p), 0);
}

int main(void)
{
	cpu_set_t one;

	abi_init("sched_rt");
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (!CHECK_EQ_INT(sched_setaffinity(0, sizeof(one), &one), 0))
		return abi_done();
	ABI_RUN(fifo_spinner_starves_normal);
	ABI_RUN(fifo_wakeup_preempts);
	ABI_RUN(rr_interval);
	return abi_done();
}
