/*
 * Self-tests of the mutex, condition variable and semaphore: torture with
 * invariants checked inside the critical sections, no lost wakeups, timed
 * waits. Every loop is bounded in count.
 */
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "kernel/tests/selftest.h"

#define NTHREADS 8
static struct thread *ts[NTHREADS];

/* Created stopped, then started together: with several CPUs, a thread
 * started at once could finish before the next one exists. */
static void start_all(const char *name, void (*fn)(void *))
{
	for (int i = 0; i < NTHREADS; i++)
		ts[i] = thread_create(name, fn, (void *)(uintptr_t)i,
				      THREAD_SUSPENDED);
	for (int i = 0; i < NTHREADS; i++)
		if (ts[i])
			thread_start(ts[i]);
}

static void join_all(void)
{
	for (int i = 0; i < NTHREADS; i++)
		if (ts[i])
			thread_join(ts[i]);
}

/* ---- mutex ---- */
static struct mutex m = MUTEX_INIT;
static int inside, violations;
static uint64_t total;

static void hammer(void *arg)
{
	uint64_t seed = (uintptr_t)arg + 1;

	for (int i = 0; i < 2000; i++) {
		mutex_lock(&m);
		if (inside++ != 0 || !mutex_held(&m))
			violations++;
		total++;
		/* Sleep or yield inside sometimes, so waiters pile up. */
		seed = seed * 6364136223846793005ull + 1;
		if ((seed >> 33) % 16 == 0)
			thread_yield();
		inside--;
		mutex_unlock(&m);
		if ((seed >> 40) % 8 == 0)
			thread_yield();
	}
}

static int mutex_torture(void)
{
	int failures = 0;

	inside = violations = 0;
	total = 0;
	start_all("hammer", hammer);
	join_all();
	CHECK_EQ(violations, 0);
	CHECK_EQ(total, NTHREADS * 2000);
	CHECK(mutex_trylock(&m));
	CHECK(!mutex_trylock(&m));
	mutex_unlock(&m);
	CHECK_EQ(m.count, 0);
	return failures;
}

/* ---- condvar: a bounded buffer, several producers and consumers ---- */
#define BUF 4
#define ITEMS 1000
static struct mutex bm = MUTEX_INIT;
static struct condvar not_full = CONDVAR_INIT, not_empty = CONDVAR_INIT;
static uint64_t buf[BUF];
static unsigned head, count;
static uint64_t consumed_sum, consumed_n;

static void producer(void *arg)
{
	for (uint64_t i = 1; i <= ITEMS; i++) {
		mutex_lock(&bm);
		while (count == BUF)
			condvar_wait(&not_full, &bm);
		buf[(head + count++) % BUF] = i;
		condvar_signal(&not_empty);
		mutex_unlock(&bm);
	}
}

static void consumer(void *arg)
{
	for (int i = 0; i < ITEMS; i++) {
		mutex_lock(&bm);
		while (count == 0)
			condvar_wait(&not_empty, &bm);
		consumed_sum += buf[head];
		consumed_n++;
		head = (head + 1) % BUF;
		count--;
		condvar_signal(&not_full);
		mutex_unlock(&bm);
	}
}

static void prodcons(void *arg)
{
	((uintptr_t)arg % 2 ? consumer : producer)(arg);
}

static int condvar_buffer(void)
{
	int failures = 0;

	head = count = 0;
	consumed_sum = consumed_n = 0;
	start_all("prodcons", prodcons);
	join_all();
	CHECK_EQ(consumed_n, (NTHREADS / 2) * ITEMS);
	CHECK_EQ(consumed_sum, (NTHREADS / 2) * (uint64_t)ITEMS * (ITEMS + 1) / 2);
	CHECK_EQ(count, 0);
	return failures;
}

/* ---- ping-pong: a lost wakeup would hang; the join is bounded below ---- */
static struct mutex pm = MUTEX_INIT;
static struct condvar pcv = CONDVAR_INIT;
static int turn, rounds_done;
#define ROUNDS 5000

static void pinger(void *arg)
{
	int me = (int)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&pm);
		while (turn != me)
			condvar_wait(&pcv, &pm);
		turn = !me;
		rounds_done++;
		condvar_broadcast(&pcv);
		mutex_unlock(&pm);
	}
}

static int ping_pong(void)
{
	int failures = 0;

	turn = 0;
	rounds_done = 0;
	struct thread *a = thread_create("ping", pinger, (void *)0, 0);
	struct thread *b = thread_create("pong", pinger, (void *)1, 0);
	thread_join(a);
	thread_join(b);
	CHECK_EQ(rounds_done, 2 * ROUNDS);
	return failures;
}

static int timed_wait(void)
{
	int failures = 0;
	struct mutex tm = MUTEX_INIT;
	struct condvar tcv = CONDVAR_INIT;
	uint64_t t0 = clock_monotonic_ns();

	mutex_lock(&tm);
	int r = condvar_wait_until(&tcv, &tm, t0 + 20000000);
	CHECK(mutex_held(&tm));
	mutex_unlock(&tm);
	CHECK_EQ(r, -ETIMEDOUT);
	CHECK(clock_monotonic_ns() - t0 >= 20000000);
	CHECK(tcv.head == NULL);
	return failures;
}

/* ---- semaphore: never more than K inside ---- */
#define K 3
static struct semaphore sem;
static int in_sem, max_in_sem, sem_rounds;

static void sem_user(void *arg)
{
	for (int i = 0; i < 300; i++) {
		sem_down(&sem);
		int now = __atomic_add_fetch(&in_sem, 1, __ATOMIC_SEQ_CST);
		int max = __atomic_load_n(&max_in_sem, __ATOMIC_RELAXED);
		/* Other CPUs update it too: an atomic maximum. */
		while (now > max &&
		       !__atomic_compare_exchange_n(&max_in_sem, &max, now, true,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
		/* Now and then stay inside a while, so that others come in
		 * (a yield alone may find them all queued on the lock). */
		if (i % 10 == 0)
			thread_sleep_ns(2000000);
		else
			thread_yield();
		__atomic_fetch_sub(&in_sem, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&sem_rounds, 1, __ATOMIC_SEQ_CST);
		sem_up(&sem);
	}
}

static int semaphore(void)
{
	int failures = 0;

	sem_init(&sem, K);
	in_sem = max_in_sem = sem_rounds = 0;
	start_all("sem", sem_user);
	join_all();
	CHECK(max_in_sem <= K);
	CHECK(max_in_sem >= 2);
	CHECK_EQ(sem_rounds, NTHREADS * 300);
	CHECK_EQ(sem.count, K);
	CHECK(sem_trydown(&sem));
	sem_up(&sem);
	return failures;
}

static int sync_test(void)
{
	return mutex_torture() + condvar_buffer() + ping_pong() +
	       timed_wait() + semaphore();
}
SELFTEST("sync", sync_test);
