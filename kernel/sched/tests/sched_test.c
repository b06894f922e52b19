/* Self-tests of threads, the scheduler, timers and the clock. */
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

#define MS 1000000ull

/* ---- timers and sleep ---- */
static int sleep_accuracy(void)
{
	int failures = 0;
	/* Bounds are loose on purpose: TCG on a loaded host is slow. */
	const uint64_t slack = 100 * MS;
	const uint64_t asks[] = {1 * MS, 5 * MS, 20 * MS, 50 * MS};

	for (unsigned i = 0; i < ARRAY_SIZE(asks); i++) {
		uint64_t t0 = clock_monotonic_ns();

		thread_sleep_ns(asks[i]);
		uint64_t took = clock_monotonic_ns() - t0;
		kprintf("  sleep %lu us took %lu us\n", asks[i] / 1000,
			took / 1000);
		CHECK(took >= asks[i]);
		CHECK(took <= asks[i] + slack);
	}
	return failures;
}

static unsigned fired[8], nfired;

static struct timer timers[5];
static void fire(struct timer *t)
{
	fired[nfired++] = (unsigned)(t - timers);
}

static int timer_order(void)
{
	int failures = 0;
	/* Armed out of order; must fire by deadline. */
	const unsigned ms[] = {30, 10, 50, 20, 40};
	const unsigned expect[] = {1, 3, 0, 4, 2};
	uint64_t now = clock_monotonic_ns();

	nfired = 0;
	for (unsigned i = 0; i < 5; i++) {
		timer_init(&timers[i], fire);
		timer_arm(&timers[i], now + ms[i] * MS);
	}
	/* Cancelling one before it fires removes it. */
	struct timer extra;
	timer_init(&extra, fire);
	timer_arm(&extra, now + 15 * MS);
	timer_cancel(&extra);
	thread_sleep_ns(80 * MS);
	CHECK_EQ(nfired, 5);
	for (unsigned i = 0; i < 5 && i < nfired; i++)
		CHECK_EQ(fired[i], expect[i]);
	return failures;
}

static int clock_monotonic(void)
{
	int failures = 0;
	uint64_t prev = clock_monotonic_ns();

	for (int i = 0; i < 100000; i++) {
		uint64_t now = clock_monotonic_ns();

		if (now < prev) {
			CHECK(now >= prev);
			break;
		}
		prev = now;
	}
	/* The wall clock is after 2020 when there is an RTC at all. */
	uint64_t wall = clock_realtime_ns();
	CHECK(wall > 1577836800ull * 1000000000ull);
	return failures;
}

static int timer_test(void)
{
	return sleep_accuracy() + timer_order() + clock_monotonic();
}
SELFTEST("timer", timer_test);

/* ---- threads ---- */
#define MANY 200
static int counter;

static void bump(void *arg)
{
	for (int i = 0; i < 5; i++) {
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		thread_yield();
	}
	*(int *)arg = 1;
}

static int many_threads(void)
{
	int failures = 0;
	static struct thread *ts[MANY];
	static int done[MANY];
	int base = thread_count();

	counter = 0;
	for (int i = 0; i < MANY; i++) {
		done[i] = 0;
		ts[i] = thread_create("bump", bump, &done[i], THREAD_SUSPENDED);
		CHECK(ts[i] != NULL);
	}
	/* Suspended: on other CPUs they would run and exit at once. */
	CHECK_EQ(thread_count(), base + MANY);
	for (int i = 0; i < MANY; i++)
		if (ts[i])
			thread_start(ts[i]);
	for (int i = 0; i < MANY; i++)
		if (ts[i])
			thread_join(ts[i]);
	CHECK_EQ(counter, MANY * 5);
	for (int i = 0; i < MANY; i++)
		CHECK_EQ(done[i], 1);
	CHECK_EQ(thread_count(), base);
	return failures;
}

static volatile int flag;
static volatile int spinner_saw_flag;

/* Never yields: only preemption lets the setter run. */
static void spinner(void *arg)
{
	uint64_t start = clock_monotonic_ns();

	(void)arg;
	while (!flag && clock_monotonic_ns() - start < 5000 * MS)
		;
	spinner_saw_flag = flag;
}

static void setter(void *arg)
{
	(void)arg;
	flag = 1;
}

static int preemption(void)
{
	int failures = 0;

	flag = 0;
	spinner_saw_flag = 0;
	struct thread *a = thread_create("spinner", spinner, NULL, 0);
	struct thread *b = thread_create("setter", setter, NULL, 0);
	thread_join(a);
	thread_join(b);
	CHECK_EQ(spinner_saw_flag, 1);
	return failures;
}

/* Sleepers wake in deadline order, whatever order they slept in. */
static int wake_order[4], nwoken;
static void sleeper(void *arg)
{
	int ms = (int)(uintptr_t)arg;

	thread_sleep_ns(ms * MS);
	wake_order[__atomic_fetch_add(&nwoken, 1, __ATOMIC_RELAXED)] = ms;
}

static int sleepers(void)
{
	int failures = 0;
	const int ms[] = {40, 10, 30, 20};
	struct thread *ts[4];

	nwoken = 0;
	for (int i = 0; i < 4; i++)
		ts[i] = thread_create("sleeper", sleeper, (void *)(uintptr_t)ms[i], 0);
	for (int i = 0; i < 4; i++)
		thread_join(ts[i]);
	CHECK_EQ(nwoken, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(wake_order[i], 10 * (i + 1));
	return failures;
}

/* Extended state survives switches between threads that use it. */
static int fpu_errors;
static void fpu_user(void *arg)
{
	uint64_t v = (uint64_t)(uintptr_t)arg, out0, out1;

	asm volatile("movq %0, %%xmm0" : : "r"(v));
	asm volatile("movq %0, %%xmm7" : : "r"(~v));
	for (int i = 0; i < 200; i++) {
		thread_yield();
		asm volatile("movq %%xmm0, %0" : "=r"(out0));
		asm volatile("movq %%xmm7, %0" : "=r"(out1));
		if (out0 != v || out1 != ~v) {
			__atomic_fetch_add(&fpu_errors, 1, __ATOMIC_RELAXED);
			break;
		}
	}
}

static int fpu_state(void)
{
	int failures = 0;
	struct thread *ts[3];

	fpu_errors = 0;
	for (int i = 0; i < 3; i++)
		ts[i] = thread_create("fpu", fpu_user,
				      (void *)(uintptr_t)(0x1111111111 * (i + 1)),
				      THREAD_FPU);
	for (int i = 0; i < 3; i++)
		thread_join(ts[i]);
	CHECK_EQ(fpu_errors, 0);
	return failures;
}

static int sched_test(void)
{
	return many_threads() + preemption() + sleepers() + fpu_state();
}
SELFTEST("sched", sched_test);
