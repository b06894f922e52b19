/*
 * glibc's threading primitives under load, written to catch what an SMP
 * kernel gets wrong: lost futex wakeups, broken requeueing, affinity that
 * is not honoured. Mutex torture with an ownership invariant, the mutex
 * kinds and timed locking; condition variables (a bounded buffer with
 * several producers and consumers, broadcast over many rounds, timed waits
 * on both clocks); barriers over many rounds; rwlocks guarding a two-word
 * value; thread-local storage and key destructors; pinning to each CPU
 * (sched_setaffinity, sched_getaffinity, sched_getcpu, getcpu) and the mask
 * a new thread inherits; semaphores; raw futex ping-pong, wake counts and
 * FUTEX_CMP_REQUEUE.
 *
 * Worker threads only record what they saw and the main thread checks it,
 * so the output is the same whatever the interleaving and the number of
 * CPUs (get_nprocs(): 1 on a one-CPU machine). Every wait that a lost
 * wakeup could turn into a hang is timed with a deadline it never reaches
 * when all is well (LONG_WAIT_NS; a timeout is a FAIL), and a watchdog ends
 * a case that hangs anyway (in a barrier or an untimed lock) with a FAIL
 * line. Loop counts are modest: the guest runs under TCG, 20-50x slower.
 */
#define _GNU_SOURCE
#include "common.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>

#ifndef WATCHDOG_S
#define WATCHDOG_S 20
#endif
/* A deadline for waits that a working kernel ends long before. */
#define LONG_WAIT_NS 2000000000ll
#define MS 1000000ll

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define INC(p) __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define DEC(p) __atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST)

/*
 * Like CHECK_EQ_INT and CHECK, but silent when the check holds: for checks
 * repeated per CPU or per thread, so that the PASS lines do not depend on
 * the machine. The caller adds one visible CHECK over the whole loop.
 */
#define CHECK_QUIET_EQ(actual, expected)                                       \
	({                                                                     \
		long long q_got_ = (long long)(actual);                        \
		int q_err_ = errno;                                            \
		q_got_ == (long long)(expected)                                \
		    ? 1                                                        \
		    : abi_check_eq(q_got_, (long long)(expected), q_err_,      \
				   #actual " == " #expected, __FILE__,         \
				   __LINE__);                                  \
	})
#define CHECK_QUIET(cond) ((cond) ? 1 : abi_check(0, #cond, __FILE__, __LINE__))

/* An absolute deadline `ns` from now on `clk` (before now if ns < 0). */
static struct timespec deadline_in(clockid_t clk, long long ns)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += ns / 1000000000ll;
	ts.tv_nsec += ns % 1000000000ll;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	} else if (ts.tv_nsec < 0) { /* ns < 0: a deadline already past */
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

static void sleep_ns(long long ns)
{
	struct timespec ts = {ns / 1000000000ll, ns % 1000000000ll};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* sem_timedwait with a deadline a working kernel never reaches; 0 or the
 * error. */
static int sem_wait_long(sem_t *s, int monotonic)
{
	clockid_t clk = monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME;
	struct timespec ts = deadline_in(clk, LONG_WAIT_NS);
	int r;

	do
		r = monotonic ? sem_clockwait(s, clk, &ts)
			      : sem_timedwait(s, &ts);
	while (r == -1 && errno == EINTR);
	return r ? errno : 0;
}

/* Starts n threads running fn((void *)i); returns how many started. */
static int spawn(pthread_t *t, int n, void *(*fn)(void *))
{
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i))
			break;
	return i;
}

static void join_all(pthread_t *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Spins for a while without a system call (the compiler keeps the loop). */
static void busy(int n)
{
	volatile int x = 0;

	while (n-- > 0)
		x++;
}

static void on_watchdog(int sig)
{
	char buf[256];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "FAIL %s:%s: the case ends within %d s: expected true, "
		     "got false (watchdog: a lost wakeup?)\n"
		     "abi %s: %d passed, %d failed\n",
		     abi_test, abi_case, WATCHDOG_S, abi_test, abi_passed,
		     abi_failed + 1);
	if (write(1, buf, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

/* ABI_RUN under the watchdog. */
#define RUN(fn)                                                                \
	do {                                                                   \
		alarm(WATCHDOG_S);                                             \
		ABI_RUN(fn);                                                   \
		alarm(0);                                                      \
	} while (0)

/* The main thread's CPU mask when the program started. */
static cpu_set_t start_mask;

static int lowest_cpu(const cpu_set_t *s)
{
	int i;

	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, s))
			return i;
	return -1;
}

static int highest_cpu(const cpu_set_t *s)
{
	int i;

	for (i = CPU_SETSIZE - 1; i >= 0; i--)
		if (CPU_ISSET(i, s))
			return i;
	return -1;
}

/* CPUs 0-62 as bits of a number, for FAIL lines; CPU_EQUAL for the rest. */
static long long mask_low(const cpu_set_t *s)
{
	long long bits = 0;
	int i;

	for (i = 0; i < 63; i++)
		if (CPU_ISSET(i, s))
			bits |= 1ll << i;
	return bits;
}

static void cpu_only(cpu_set_t *s, int cpu)
{
	CPU_ZERO(s);
	CPU_SET(cpu, s);
}

/* ---- mutexes ---- */

#define TORTURE_THREADS 4
#define TORTURE_ITERS 20000

static pthread_mutex_t torture_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t torture_start;
static volatile int torture_owner; /* 1 only inside the critical section */
static long torture_count;	   /* under torture_lock */
static int torture_overlaps, torture_timeouts, torture_errors; /* atomic */

/* Odd threads take the lock with a (never reached) deadline, even ones
 * without: both kinds of waiter must be woken by the same unlocks. */
static void *torture_worker(void *arg)
{
	int timed = (int)(uintptr_t)arg & 1, i, r;
	struct timespec ts;

	pthread_barrier_wait(&torture_start);
	for (i = 0; i < TORTURE_ITERS; i++) {
		if (timed) {
			ts = deadline_in(CLOCK_REALTIME, LONG_WAIT_NS);
			r = pthread_mutex_timedlock(&torture_lock, &ts);
		} else {
			r = pthread_mutex_lock(&torture_lock);
		}
		if (r) {
			INC(r == ETIMEDOUT ? &torture_timeouts
					   : &torture_errors);
			continue;
		}
		if (torture_owner)
			INC(&torture_overlaps);
		torture_owner = 1;
		torture_count++;
		if (i % 512 == 0)
			sched_yield(); /* let the others pile up on the futex */
		torture_owner = 0;
		pthread_mutex_unlock(&torture_lock);
	}
	return NULL;
}

static void mutex_torture_keeps_exclusion(void)
{
	pthread_t t[TORTURE_THREADS];
	int n;

	torture_count = 0;
	pthread_barrier_init(&torture_start, NULL, TORTURE_THREADS);
	n = spawn(t, TORTURE_THREADS, torture_worker);
	CHECK_EQ_INT(n, TORTURE_THREADS);
	if (n < TORTURE_THREADS) /* the barrier would never open */
		_exit(abi_done());
	join_all(t, n);
	pthread_barrier_destroy(&torture_start);
	CHECK_EQ_INT(torture_overlaps, 0);
	CHECK_EQ_INT(torture_timeouts, 0);
	CHECK_EQ_INT(torture_errors, 0);
	CHECK_EQ_INT(torture_count, TORTURE_THREADS * TORTURE_ITERS);
	CHECK_EQ_INT(torture_owner, 0);
}

/* One mutex operation done by another thread, for ownership checks. */
enum other_op { OP_TRYLOCK, OP_UNLOCK, OP_TIMEDLOCK, OP_CLOCKLOCK, OP_BADTIME };

struct other {
	pthread_mutex_t *m;
	enum other_op op;
	long long wait_ns; /* OP_TIMEDLOCK: the deadline, from now */
	int result;
	long long took_ns;
};

static void *other_main(void *arg)
{
	struct other *o = arg;
	struct timespec ts;
	long long t0 = mono_ns();

	switch (o->op) {
	case OP_TRYLOCK:
		o->result = pthread_mutex_trylock(o->m);
		break;
	case OP_UNLOCK:
		o->result = pthread_mutex_unlock(o->m);
		return NULL;
	case OP_TIMEDLOCK:
		ts = deadline_in(CLOCK_REALTIME, o->wait_ns);
		o->result = pthread_mutex_timedlock(o->m, &ts);
		break;
	case OP_CLOCKLOCK:
		ts = deadline_in(CLOCK_MONOTONIC, o->wait_ns);
		o->result = pthread_mutex_clocklock(o->m, CLOCK_MONOTONIC, &ts);
		break;
	case OP_BADTIME:
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000000;
		o->result = pthread_mutex_timedlock(o->m, &ts);
		break;
	}
	o->took_ns = mono_ns() - t0;
	if (o->result == 0)
		pthread_mutex_unlock(o->m);
	return NULL;
}

/* Runs `op` on `m` in a new thread and returns its result. */
static int in_other(pthread_mutex_t *m, enum other_op op, long long wait_ns,
		    long long *took_ns)
{
	struct other o = {m, op, wait_ns, -1, 0};
	pthread_t t;

	if (pthread_create(&t, NULL, other_main, &o))
		return -2;
	pthread_join(t, NULL);
	if (took_ns)
		*took_ns = o.took_ns;
	return o.result;
}

static void mutex_trylock_and_timed_lock(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	long long took = 0;

	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), EBUSY);
	CHECK_EQ_INT(in_other(&m, OP_TIMEDLOCK, 20 * MS, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK(took < 5000 * MS);
	CHECK_EQ_INT(in_other(&m, OP_CLOCKLOCK, 20 * MS, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK_EQ_INT(in_other(&m, OP_BADTIME, 0, NULL), EINVAL);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), 0);
	CHECK_EQ_INT(pthread_mutex_trylock(&m), 0); /* the other unlocked */
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_destroy(&m), 0);
}

#define HANDOFF_ROUNDS 20

/* A waiter blocked in the kernel gets the mutex when its holder unlocks. */
static void mutex_unlock_wakes_a_blocked_waiter(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct other o;
	pthread_t t;
	int i, got = 0, created = 0;

	for (i = 0; i < HANDOFF_ROUNDS; i++) {
		o = (struct other){&m, OP_TIMEDLOCK, LONG_WAIT_NS, -1, 0};
		pthread_mutex_lock(&m);
		if (pthread_create(&t, NULL, other_main, &o)) {
			pthread_mutex_unlock(&m);
			break;
		}
		created++;
		sleep_ns(2 * MS); /* long enough to reach FUTEX_WAIT */
		pthread_mutex_unlock(&m);
		pthread_join(t, NULL);
		if (!CHECK_QUIET_EQ(o.result, 0))
			break;
		got++;
	}
	CHECK_EQ_INT(created, HANDOFF_ROUNDS);
	CHECK_EQ_INT(got, HANDOFF_ROUNDS);
}

static void mutex_errorcheck_and_recursive(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	struct timespec ts;
	int kind = -1;

	pthread_mutexattr_init(&a);
	CHECK_EQ_INT(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK),
		     0);
	CHECK_EQ_INT(pthread_mutexattr_gettype(&a, &kind), 0);
	CHECK_EQ_INT(kind, PTHREAD_MUTEX_ERRORCHECK);
	CHECK_EQ_INT(pthread_mutex_init(&m, &a), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), EDEADLK);
	CHECK_EQ_INT(pthread_mutex_trylock(&m), EBUSY);
	ts = deadline_in(CLOCK_REALTIME, 20 * MS);
	CHECK_EQ_INT(pthread_mutex_timedlock(&m, &ts), EDEADLK);
	CHECK_EQ_INT(in_other(&m, OP_UNLOCK, 0, NULL), EPERM);
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), EBUSY);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), EPERM);
	CHECK_EQ_INT(pthread_mutex_destroy(&m), 0);

	CHECK_EQ_INT(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE), 0);
	CHECK_EQ_INT(pthread_mutex_init(&m, &a), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_trylock(&m), 0); /* depth 4 */
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), EBUSY);
	CHECK_EQ_INT(in_other(&m, OP_TIMEDLOCK, 20 * MS, NULL), ETIMEDOUT);
	CHECK_EQ_INT(in_other(&m, OP_UNLOCK, 0, NULL), EPERM);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), EBUSY); /* depth 1 */
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), EPERM);
	CHECK_EQ_INT(in_other(&m, OP_TRYLOCK, 0, NULL), 0);
	CHECK_EQ_INT(pthread_mutex_destroy(&m), 0);
	pthread_mutexattr_destroy(&a);
}

/* ---- condition variables ---- */

/* Waits on c with a deadline a working kernel never reaches. */
static int cond_wait_long(pthread_cond_t *c, pthread_mutex_t *m)
{
	struct timespec ts = deadline_in(CLOCK_REALTIME, LONG_WAIT_NS);

	return pthread_cond_timedwait(c, m, &ts);
}

#define PC_PRODUCERS 3
#define PC_CONSUMERS 3
#define PC_ITEMS 2000 /* per producer */
#define PC_TOTAL (PC_PRODUCERS * PC_ITEMS)
#define PC_SLOTS 8

/* A bounded buffer of item numbers 1..PC_TOTAL; all fields under lock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	int slot[PC_SLOTS];
	int head, count; /* the items are slot[head .. head+count) */
	int taken;	 /* items removed so far */
	int timeouts;
	int abort; /* set on a timeout: everyone leaves */
} pc = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER};

static int pc_seen[PC_TOTAL]; /* atomic: how often each item was taken */
static int pc_bad_items;      /* atomic: numbers out of range */
static long long pc_sum[PC_CONSUMERS];
static int pc_got[PC_CONSUMERS];

/* Under pc.lock: a wait timed out, so a wakeup was lost. */
static void pc_give_up(void)
{
	pc.timeouts++;
	pc.abort = 1;
	pthread_cond_broadcast(&pc.not_empty);
	pthread_cond_broadcast(&pc.not_full);
}

static void *pc_producer(void *arg)
{
	int me = (int)(uintptr_t)arg, k;

	for (k = 0; k < PC_ITEMS; k++) {
		pthread_mutex_lock(&pc.lock);
		while (pc.count == PC_SLOTS && !pc.abort)
			if (cond_wait_long(&pc.not_full, &pc.lock) == ETIMEDOUT)
				pc_give_up();
		if (pc.abort) {
			pthread_mutex_unlock(&pc.lock);
			break;
		}
		pc.slot[(pc.head + pc.count) % PC_SLOTS] =
		    me * PC_ITEMS + k + 1;
		pc.count++;
		pthread_cond_signal(&pc.not_empty);
		pthread_mutex_unlock(&pc.lock);
	}
	return NULL;
}

static void *pc_consumer(void *arg)
{
	int me = (int)(uintptr_t)arg, v;

	for (;;) {
		pthread_mutex_lock(&pc.lock);
		while (pc.count == 0 && pc.taken < PC_TOTAL && !pc.abort)
			if (cond_wait_long(&pc.not_empty, &pc.lock) ==
			    ETIMEDOUT)
				pc_give_up();
		if (pc.count == 0) { /* all taken, or given up */
			pthread_mutex_unlock(&pc.lock);
			break;
		}
		v = pc.slot[pc.head];
		pc.head = (pc.head + 1) % PC_SLOTS;
		pc.count--;
		if (++pc.taken == PC_TOTAL) /* release the idle consumers */
			pthread_cond_broadcast(&pc.not_empty);
		pthread_cond_signal(&pc.not_full);
		pthread_mutex_unlock(&pc.lock);
		if (v >= 1 && v <= PC_TOTAL)
			INC(&pc_seen[v - 1]);
		else
			INC(&pc_bad_items);
		pc_sum[me] += v;
		pc_got[me]++;
	}
	return NULL;
}

static void cond_bounded_buffer_each_item_once(void)
{
	pthread_t prod[PC_PRODUCERS], cons[PC_CONSUMERS];
	long long sum = 0;
	int i, got = 0, not_once = 0, np, nc;

	nc = spawn(cons, PC_CONSUMERS, pc_consumer);
	np = spawn(prod, PC_PRODUCERS, pc_producer);
	CHECK_EQ_INT(np + nc, PC_PRODUCERS + PC_CONSUMERS);
	join_all(prod, np);
	if (np < PC_PRODUCERS) { /* the consumers would wait for ever */
		pthread_mutex_lock(&pc.lock);
		pc.abort = 1;
		pthread_cond_broadcast(&pc.not_empty);
		pthread_mutex_unlock(&pc.lock);
	}
	join_all(cons, nc);
	for (i = 0; i < PC_CONSUMERS; i++) {
		sum += pc_sum[i];
		got += pc_got[i];
	}
	for (i = 0; i < PC_TOTAL; i++)
		not_once += pc_seen[i] != 1;
	CHECK_EQ_INT(pc.timeouts, 0);
	CHECK_EQ_INT(pc_bad_items, 0);
	CHECK_EQ_INT(got, PC_TOTAL);
	CHECK_EQ_INT(not_once, 0);
	CHECK_EQ_INT(sum, (long long)PC_TOTAL * (PC_TOTAL + 1) / 2);
	CHECK_EQ_INT(pc.count, 0);
}

#define BC_WAITERS 6
#define BC_ROUNDS 100

/*
 * Each round every waiter arrives and waits on `go`; the main thread,
 * holding the lock once all have arrived (so all are inside the wait),
 * bumps `round` and broadcasts once. A waiter the broadcast missed times
 * out. All fields under lock.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t go, all_arrived;
	int round, arrived, woke, timeouts, abort;
} bc = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.go = PTHREAD_COND_INITIALIZER,
	.all_arrived = PTHREAD_COND_INITIALIZER};

static void bc_give_up(void)
{
	bc.timeouts++;
	bc.abort = 1;
	pthread_cond_broadcast(&bc.go);
	pthread_cond_broadcast(&bc.all_arrived);
}

static void *bc_waiter(void *arg)
{
	int r;

	(void)arg;
	pthread_mutex_lock(&bc.lock);
	for (r = 0; r < BC_ROUNDS && !bc.abort; r++) {
		if (++bc.arrived == BC_WAITERS * (r + 1))
			pthread_cond_signal(&bc.all_arrived);
		while (bc.round == r && !bc.abort)
			if (cond_wait_long(&bc.go, &bc.lock) == ETIMEDOUT)
				bc_give_up();
		if (!bc.abort)
			bc.woke++;
	}
	pthread_mutex_unlock(&bc.lock);
	return NULL;
}

static void cond_broadcast_wakes_every_waiter(void)
{
	pthread_t t[BC_WAITERS];
	int r, n;

	n = spawn(t, BC_WAITERS, bc_waiter);
	CHECK_EQ_INT(n, BC_WAITERS);
	pthread_mutex_lock(&bc.lock);
	if (n < BC_WAITERS)
		bc_give_up();
	for (r = 0; r < BC_ROUNDS && !bc.abort; r++) {
		while (bc.arrived < BC_WAITERS * (r + 1) && !bc.abort)
			if (cond_wait_long(&bc.all_arrived, &bc.lock) ==
			    ETIMEDOUT)
				bc_give_up();
		bc.round = r + 1;
		pthread_cond_broadcast(&bc.go);
	}
	pthread_mutex_unlock(&bc.lock);
	join_all(t, n);
	CHECK_EQ_INT(bc.timeouts, 0);
	CHECK_EQ_INT(bc.woke, BC_WAITERS * BC_ROUNDS);
}

/*
 * Times a wait on c (with m, an error-checking mutex, held) to `deadline`,
 * from t0, read before the deadline was (so that a vCPU stalled by a busy
 * host between the two cannot make a correct wait look short).
 */
static int timed_cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *deadline, long long t0,
			   long long *took)
{
	int r;

	do /* a spurious wakeup is allowed; the deadline stays */
		r = pthread_cond_timedwait(c, m, deadline);
	while (r == 0);
	*took = mono_ns() - t0;
	return r;
}

static pthread_mutex_t tw_lock;
static pthread_cond_t tw_mono;
static int tw_flag;

static void *tw_signaller(void *arg)
{
	(void)arg;
	sleep_ns(10 * MS);
	pthread_mutex_lock(&tw_lock);
	tw_flag = 1;
	pthread_cond_signal(&tw_mono);
	pthread_mutex_unlock(&tw_lock);
	return NULL;
}

static void cond_timedwait_on_both_clocks(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec ts;
	clockid_t clk = -1;
	long long took = 0, t0;
	pthread_t t;
	int r;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&tw_lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_lock(&tw_lock);

	/* The default clock is CLOCK_REALTIME. */
	t0 = mono_ns();
	ts = deadline_in(CLOCK_REALTIME, 20 * MS);
	CHECK_EQ_INT(timed_cond_wait(&c, &tw_lock, &ts, t0, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK(took < 5000 * MS);

	/* A monotonic deadline read as a realtime one lies in 1970: a wait
	 * that ends at once. */
	pthread_condattr_init(&ca);
	CHECK_EQ_INT(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	CHECK_EQ_INT(pthread_condattr_getclock(&ca, &clk), 0);
	CHECK_EQ_INT(clk, CLOCK_MONOTONIC);
	CHECK_EQ_INT(pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID),
		     EINVAL);
	CHECK_EQ_INT(pthread_cond_init(&tw_mono, &ca), 0);
	pthread_condattr_destroy(&ca);
	t0 = mono_ns();
	ts = deadline_in(CLOCK_MONOTONIC, 20 * MS);
	CHECK_EQ_INT(timed_cond_wait(&tw_mono, &tw_lock, &ts, t0, &took),
		     ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK(took < 5000 * MS);
	ts = deadline_in(CLOCK_MONOTONIC, -1 * MS); /* already past */
	CHECK_EQ_INT(
	    timed_cond_wait(&tw_mono, &tw_lock, &ts, mono_ns(), &took),
	    ETIMEDOUT);

	/* pthread_cond_clockwait names the clock per call. */
	took = mono_ns();
	ts = deadline_in(CLOCK_MONOTONIC, 20 * MS);
	do
		r = pthread_cond_clockwait(&c, &tw_lock, CLOCK_MONOTONIC, &ts);
	while (r == 0);
	took = mono_ns() - took;
	CHECK_EQ_INT(r, ETIMEDOUT);
	CHECK(took >= 19 * MS);

	/* A signal before the deadline ends the monotonic wait with 0. */
	tw_flag = 0;
	CHECK_EQ_INT(pthread_create(&t, NULL, tw_signaller, NULL), 0);
	ts = deadline_in(CLOCK_MONOTONIC, LONG_WAIT_NS);
	r = 0;
	while (!tw_flag && r == 0)
		r = pthread_cond_timedwait(&tw_mono, &tw_lock, &ts);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(tw_flag, 1);

	/* After every timeout the mutex was ours again. */
	CHECK_EQ_INT(pthread_mutex_unlock(&tw_lock), 0);
	pthread_join(t, NULL);
	CHECK_EQ_INT(pthread_cond_destroy(&tw_mono), 0);
	CHECK_EQ_INT(pthread_cond_destroy(&c), 0);
	CHECK_EQ_INT(pthread_mutex_destroy(&tw_lock), 0);
}

/* ---- barriers ---- */

#define BAR_THREADS 4
#define BAR_ROUNDS 200

static pthread_barrier_t bar;
/* bar_done[k][i]: thread i finished phase k (atomic). */
static int bar_done[BAR_ROUNDS + 1][BAR_THREADS];
static int bar_serial[BAR_ROUNDS];	    /* atomic */
static int bar_early, bar_late, bar_errors; /* atomic */

static void *bar_worker(void *arg)
{
	int me = (int)(uintptr_t)arg, k, j, r;

	for (k = 0; k < BAR_ROUNDS; k++) {
		STORE(&bar_done[k][me], 1);
		/* Phase k+1 needs this thread past barrier k: nobody is
		 * there yet. */
		for (j = 0; j < BAR_THREADS; j++)
			if (LOAD(&bar_done[k + 1][j]))
				INC(&bar_early);
		r = pthread_barrier_wait(&bar);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			INC(&bar_serial[k]);
		else if (r != 0)
			INC(&bar_errors);
		/* Everyone finished phase k before anyone got here. */
		for (j = 0; j < BAR_THREADS; j++)
			if (!LOAD(&bar_done[k][j]))
				INC(&bar_late);
	}
	return NULL;
}

static void barrier_rounds_keep_phases_apart(void)
{
	pthread_t t[BAR_THREADS];
	pthread_barrier_t one;
	int k, not_one = 0, n;

	CHECK_EQ_INT(pthread_barrier_init(&bar, NULL, BAR_THREADS), 0);
	n = spawn(t, BAR_THREADS, bar_worker);
	CHECK_EQ_INT(n, BAR_THREADS);
	if (n < BAR_THREADS) /* the barrier would never open */
		_exit(abi_done());
	join_all(t, n);
	for (k = 0; k < BAR_ROUNDS; k++)
		not_one += bar_serial[k] != 1;
	CHECK_EQ_INT(not_one, 0); /* one serial thread per round */
	CHECK_EQ_INT(bar_early, 0);
	CHECK_EQ_INT(bar_late, 0);
	CHECK_EQ_INT(bar_errors, 0);
	CHECK_EQ_INT(pthread_barrier_destroy(&bar), 0);

	/* A barrier for one: every wait is the serial one. */
	CHECK_EQ_INT(pthread_barrier_init(&one, NULL, 1), 0);
	CHECK_EQ_INT(pthread_barrier_wait(&one), PTHREAD_BARRIER_SERIAL_THREAD);
	CHECK_EQ_INT(pthread_barrier_wait(&one), PTHREAD_BARRIER_SERIAL_THREAD);
	CHECK_EQ_INT(pthread_barrier_destroy(&one), 0);
}

/* ---- rwlocks ---- */

#define RW_READERS 4
#define RW_WRITERS 2
#define RW_WRITES 1500 /* per writer */
#define RW_READS 3000  /* per reader */

static pthread_rwlock_t rwl;
static volatile long rw_a, rw_b;	 /* equal except inside a write */
static int rw_readers_in, rw_writers_in; /* atomic */
static int rw_torn, rw_shared, rw_timeouts, rw_errors; /* atomic */

static void *rw_writer(void *arg)
{
	int i;
	long v;

	(void)arg;
	for (i = 0; i < RW_WRITES; i++) {
		if (pthread_rwlock_wrlock(&rwl)) {
			INC(&rw_errors);
			continue;
		}
		if (INC(&rw_writers_in) != 1 || LOAD(&rw_readers_in))
			INC(&rw_shared);
		v = rw_a + 1;
		rw_a = v;
		if (i % 256 == 0)
			sched_yield(); /* half written, for a while */
		rw_b = v;
		DEC(&rw_writers_in);
		pthread_rwlock_unlock(&rwl);
	}
	return NULL;
}

/* Odd readers lock with a (never reached) deadline. */
static void *rw_reader(void *arg)
{
	int timed = (int)(uintptr_t)arg & 1, i, r;
	struct timespec ts;
	long a, b;

	for (i = 0; i < RW_READS; i++) {
		if (timed) {
			ts = deadline_in(CLOCK_REALTIME, LONG_WAIT_NS);
			r = pthread_rwlock_timedrdlock(&rwl, &ts);
		} else {
			r = pthread_rwlock_rdlock(&rwl);
		}
		if (r) {
			INC(r == ETIMEDOUT ? &rw_timeouts : &rw_errors);
			continue;
		}
		INC(&rw_readers_in);
		if (LOAD(&rw_writers_in))
			INC(&rw_shared);
		a = rw_a;
		if (i % 256 == 0)
			sched_yield();
		b = rw_b;
		if (a != b)
			INC(&rw_torn);
		DEC(&rw_readers_in);
		pthread_rwlock_unlock(&rwl);
	}
	return NULL;
}

/* Readers and writers at once on an rwlock of the given kind. */
static void rw_torture(int kind)
{
	pthread_t t[RW_READERS + RW_WRITERS];
	pthread_rwlockattr_t a;
	int i, n = 0;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, kind);
	pthread_rwlock_init(&rwl, &a);
	pthread_rwlockattr_destroy(&a);
	rw_a = rw_b = 0;
	for (i = 0; i < RW_READERS + RW_WRITERS; i++)
		if (!pthread_create(&t[n], NULL,
				    i < RW_READERS ? rw_reader : rw_writer,
				    (void *)(uintptr_t)i))
			n++;
	CHECK_EQ_INT(n, RW_READERS + RW_WRITERS);
	join_all(t, n);
	CHECK_EQ_INT(rw_torn, 0);
	CHECK_EQ_INT(rw_shared, 0);
	CHECK_EQ_INT(rw_timeouts, 0);
	CHECK_EQ_INT(rw_errors, 0);
	CHECK_EQ_INT(rw_a, RW_WRITERS * RW_WRITES);
	CHECK_EQ_INT(rw_b, RW_WRITERS * RW_WRITES);
	CHECK_EQ_INT(pthread_rwlock_destroy(&rwl), 0);
}

static void rwlock_readers_with_writers(void)
{
	rw_torture(PTHREAD_RWLOCK_PREFER_READER_NP);
	rw_torture(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
}

enum rw_op { RW_TIMEDWR, RW_TIMEDRD, RW_CLOCKRD, RW_TRYRD, RW_TRYWR };

struct rw_other {
	pthread_rwlock_t *l;
	enum rw_op op;
	int result;
	long long took_ns;
};

static void *rw_other_main(void *arg)
{
	struct rw_other *o = arg;
	long long t0 = mono_ns(); /* before the deadlines: a wait >= 20 ms */
	struct timespec rt = deadline_in(CLOCK_REALTIME, 20 * MS);
	struct timespec mono = deadline_in(CLOCK_MONOTONIC, 20 * MS);

	switch (o->op) {
	case RW_TIMEDWR:
		o->result = pthread_rwlock_timedwrlock(o->l, &rt);
		break;
	case RW_TIMEDRD:
		o->result = pthread_rwlock_timedrdlock(o->l, &rt);
		break;
	case RW_CLOCKRD:
		o->result =
		    pthread_rwlock_clockrdlock(o->l, CLOCK_MONOTONIC, &mono);
		break;
	case RW_TRYRD:
		o->result = pthread_rwlock_tryrdlock(o->l);
		break;
	case RW_TRYWR:
		o->result = pthread_rwlock_trywrlock(o->l);
		break;
	}
	o->took_ns = mono_ns() - t0;
	if (o->result == 0)
		pthread_rwlock_unlock(o->l);
	return NULL;
}

static int rw_in_other(pthread_rwlock_t *l, enum rw_op op, long long *took)
{
	struct rw_other o = {l, op, -1, 0};
	pthread_t t;

	if (pthread_create(&t, NULL, rw_other_main, &o))
		return -2;
	pthread_join(t, NULL);
	if (took)
		*took = o.took_ns;
	return o.result;
}

static void rwlock_timed_and_self_deadlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	long long took = 0;

	CHECK_EQ_INT(pthread_rwlock_rdlock(&l), 0);
	CHECK_EQ_INT(rw_in_other(&l, RW_TRYRD, NULL), 0);
	CHECK_EQ_INT(rw_in_other(&l, RW_TRYWR, NULL), EBUSY);
	CHECK_EQ_INT(rw_in_other(&l, RW_TIMEDWR, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK_EQ_INT(pthread_rwlock_unlock(&l), 0);

	CHECK_EQ_INT(pthread_rwlock_wrlock(&l), 0);
	/* glibc knows the writer by its tid (from the kernel). */
	CHECK_EQ_INT(pthread_rwlock_rdlock(&l), EDEADLK);
	CHECK_EQ_INT(pthread_rwlock_wrlock(&l), EDEADLK);
	CHECK_EQ_INT(rw_in_other(&l, RW_TRYRD, NULL), EBUSY);
	CHECK_EQ_INT(rw_in_other(&l, RW_TIMEDRD, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK_EQ_INT(rw_in_other(&l, RW_CLOCKRD, &took), ETIMEDOUT);
	CHECK(took >= 19 * MS);
	CHECK_EQ_INT(pthread_rwlock_unlock(&l), 0);
	CHECK_EQ_INT(rw_in_other(&l, RW_TRYWR, NULL), 0);
	CHECK_EQ_INT(pthread_rwlock_destroy(&l), 0);
}

/* ---- thread-local storage ---- */

#define TLS_THREADS 6
#define TLS_ROUNDS 50

static __thread int tls_int = 42;
static __thread char tls_text[16] = "osprey";
static __thread long tls_zero[32]; /* .tbss */
static __thread struct {
	int a;
	double d;
} tls_pair = {7, 2.5};

static pthread_barrier_t tls_bar;

struct tls_seen {
	void *addr_int, *addr_zero;
	int init_ok, kept_ok;
};

static struct tls_seen tls_seen[TLS_THREADS];

static int tls_initial_ok(void)
{
	int i, ok = tls_int == 42 && !strcmp(tls_text, "osprey") &&
		    tls_pair.a == 7 && tls_pair.d == 2.5;

	for (i = 0; i < 32; i++)
		ok &= tls_zero[i] == 0;
	return ok;
}

static void *tls_worker(void *arg)
{
	int me = (int)(uintptr_t)arg, r;
	struct tls_seen *s = &tls_seen[me];
	char want[16];

	s->init_ok = tls_initial_ok();
	s->addr_int = &tls_int;
	s->addr_zero = tls_zero;
	s->kept_ok = 1;
	for (r = 0; r < TLS_ROUNDS; r++) {
		tls_int = me * 1000 + r;
		snprintf(tls_text, sizeof(tls_text), "t%d-%d", me, r);
		tls_zero[r % 32] = me + r;
		/* Everyone has written this round's values... */
		pthread_barrier_wait(&tls_bar);
		sched_yield();
		busy(200);
		/* ...and some already write the next round's. */
		snprintf(want, sizeof(want), "t%d-%d", me, r);
		s->kept_ok &= tls_int == me * 1000 + r &&
			      !strcmp(tls_text, want) &&
			      tls_zero[r % 32] == me + r;
	}
	return NULL;
}

static void tls_is_per_thread_and_kept(void)
{
	pthread_t t[TLS_THREADS];
	int i, j, init_ok = 1, kept_ok = 1, distinct = 1, n;

	CHECK(tls_initial_ok());
	tls_int = -1;
	pthread_barrier_init(&tls_bar, NULL, TLS_THREADS);
	n = spawn(t, TLS_THREADS, tls_worker);
	CHECK_EQ_INT(n, TLS_THREADS);
	if (n < TLS_THREADS) /* the barrier would never open */
		_exit(abi_done());
	join_all(t, n);
	pthread_barrier_destroy(&tls_bar);
	for (i = 0; i < TLS_THREADS; i++) {
		init_ok &= tls_seen[i].init_ok;
		kept_ok &= tls_seen[i].kept_ok;
		distinct &= tls_seen[i].addr_int != &tls_int &&
			    tls_seen[i].addr_zero != tls_zero;
		for (j = 0; j < i; j++)
			distinct &=
			    tls_seen[i].addr_int != tls_seen[j].addr_int &&
			    tls_seen[i].addr_zero != tls_seen[j].addr_zero;
	}
	CHECK(init_ok);
	CHECK(kept_ok);
	CHECK(distinct);
	CHECK_EQ_INT(tls_int, -1);
	tls_int = 42;
}

#define KEY_THREADS 6

static pthread_key_t key;

struct key_slot {
	int calls;  /* atomic: destructor runs with this slot */
	pid_t tid;  /* the thread the destructor ran in */
	pid_t self; /* the thread that set the value */
	int get_ok;
};

static struct key_slot key_slot[KEY_THREADS];

static void key_destructor(void *v)
{
	struct key_slot *s = v;

	s->tid = gettid();
	INC(&s->calls); /* after tid: the main thread reads calls first */
}

/*
 * Thread i sets its value and is joined (i % 3 == 0), sets it and is
 * detached (1), or never sets it (2): no destructor call. (Not through
 * pthread_exit: a dynamic glibc dlopens libgcc_s.so.1 for it, which the
 * guest's test image lacks.)
 */
static void *key_worker(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct key_slot *s = &key_slot[me];

	s->self = gettid();
	s->get_ok = pthread_getspecific(key) == NULL;
	if (me % 3 == 2)
		return NULL;
	pthread_setspecific(key, s);
	sched_yield();
	s->get_ok &= pthread_getspecific(key) == s;
	return NULL;
}

/* Waits (2 s at most) for the detached threads' destructors. */
static void wait_for_detached_destructors(void)
{
	long long deadline = mono_ns() + LONG_WAIT_NS;
	int i, pending = 1;

	while (pending && mono_ns() < deadline) {
		pending = 0;
		for (i = 1; i < KEY_THREADS; i += 3)
			pending |= !LOAD(&key_slot[i].calls);
		if (pending)
			sleep_ns(MS);
	}
}

static void key_destructors_run_at_thread_exit(void)
{
	pthread_t t[KEY_THREADS];
	int i, calls_ok = 1, tid_ok = 1, get_ok = 1, n = 0;
	pthread_attr_t a;

	CHECK_EQ_INT(pthread_key_create(&key, key_destructor), 0);
	CHECK(pthread_getspecific(key) == NULL);
	for (i = 0; i < KEY_THREADS; i++) {
		pthread_attr_init(&a);
		if (i % 3 == 1)
			pthread_attr_setdetachstate(&a,
						    PTHREAD_CREATE_DETACHED);
		n += !pthread_create(&t[i], &a, key_worker,
				     (void *)(uintptr_t)i);
		pthread_attr_destroy(&a);
	}
	CHECK_EQ_INT(n, KEY_THREADS);
	for (i = 0; i < n; i++)
		if (i % 3 != 1)
			pthread_join(t[i], NULL);
	wait_for_detached_destructors();
	for (i = 0; i < n; i++) {
		calls_ok &= LOAD(&key_slot[i].calls) == (i % 3 == 2 ? 0 : 1);
		if (i % 3 != 2)
			tid_ok &= key_slot[i].tid == key_slot[i].self &&
				  key_slot[i].tid != gettid();
		get_ok &= key_slot[i].get_ok;
	}
	CHECK(calls_ok);
	CHECK(tid_ok);
	CHECK(get_ok);
	CHECK(pthread_getspecific(key) == NULL);
	CHECK_EQ_INT(pthread_key_delete(key), 0);
}

/* ---- CPU affinity ---- */

/* Checks quietly that this thread runs on `cpu`, asked three ways. */
static int on_cpu(int cpu)
{
	unsigned c1 = ~0u, c2 = ~0u, node = ~0u;
	int ok = 1;

	ok &= CHECK_QUIET_EQ(sched_getcpu(), cpu);
	ok &= CHECK_QUIET_EQ(getcpu(&c1, &node), 0);
	ok &= CHECK_QUIET_EQ(c1, cpu);
	ok &= CHECK_QUIET_EQ(syscall(SYS_getcpu, &c2, NULL, NULL), 0);
	ok &= CHECK_QUIET_EQ(c2, cpu);
	return ok;
}

/* Checks quietly that this thread's mask is exactly {cpu}. */
static int mask_is(int cpu)
{
	cpu_set_t got, want;

	cpu_only(&want, cpu);
	CPU_ZERO(&got);
	return CHECK_QUIET_EQ(sched_getaffinity(0, sizeof(got), &got), 0) &&
	       CHECK_QUIET_EQ(mask_low(&got), mask_low(&want)) &&
	       CHECK_QUIET(CPU_EQUAL(&got, &want));
}

/* Pinned to `cpu`: stays there across a yield, a busy loop and a sleep. */
static int stays_on(int cpu)
{
	if (!on_cpu(cpu))
		return 0;
	sched_yield();
	if (!on_cpu(cpu))
		return 0;
	busy(100000);
	if (!on_cpu(cpu))
		return 0;
	sleep_ns(MS / 2);
	return on_cpu(cpu);
}

static void affinity_pins_to_each_cpu(void)
{
	int ncpu = get_nprocs(), i, ok = 1, pinned = 0, setaffinity,
	    in_range = 1;
	cpu_set_t orig, want, got;

	CHECK(ncpu >= 1);
	CHECK_EQ_INT(sched_getaffinity(0, sizeof(orig), &orig), 0);
	CHECK(CPU_COUNT(&orig) >= 1);
	for (i = ncpu; i < CPU_SETSIZE; i++)
		in_range &= !CPU_ISSET(i, &orig);
	CHECK(in_range); /* the mask names only CPUs get_nprocs counts */

	for (i = 0; i < ncpu && i < CPU_SETSIZE; i++) {
		cpu_only(&want, i);
		setaffinity = sched_setaffinity(0, sizeof(want), &want);
		/* A CPU outside the starting mask may be outside the
		 * container's cpuset too, where Linux refuses it. */
		if (setaffinity == -1 && errno == EINVAL &&
		    !CPU_ISSET(i, &orig))
			continue;
		if (!CHECK_QUIET_EQ(setaffinity, 0)) {
			ok = 0;
			continue;
		}
		pinned++;
		ok &= mask_is(i);
		ok &= stays_on(i);
		/* CPU ids past the last one are ignored beside a real one. */
		CPU_SET(CPU_SETSIZE - 1, &want);
		ok &= CHECK_QUIET_EQ(sched_setaffinity(0, sizeof(want), &want),
				     0);
		ok &= mask_is(i);
		ok &= on_cpu(i);
	}
	CHECK(ok);
	CHECK(pinned >= CPU_COUNT(&orig));

	/* A mask of only CPUs that do not exist is refused, and the thread
	 * keeps the mask it had. */
	CPU_ZERO(&got);
	sched_getaffinity(0, sizeof(got), &got);
	cpu_only(&want, ncpu);
	CHECK_ERRNO(sched_setaffinity(0, sizeof(want), &want), EINVAL);
	CPU_SET(CPU_SETSIZE - 1, &want);
	if (ncpu + 1 < CPU_SETSIZE - 1)
		CPU_SET(ncpu + 1, &want);
	CHECK_ERRNO(sched_setaffinity(0, sizeof(want), &want), EINVAL);
	CPU_ZERO(&want);
	CHECK_ERRNO(sched_setaffinity(0, sizeof(want), &want), EINVAL);
	CHECK_EQ_INT(sched_getaffinity(0, sizeof(want), &want), 0);
	CHECK(CPU_EQUAL(&want, &got));

	CHECK_EQ_INT(sched_setaffinity(0, sizeof(orig), &orig), 0);
	CHECK_EQ_INT(sched_getaffinity(0, sizeof(got), &got), 0);
	CHECK(CPU_EQUAL(&got, &orig));
}

struct mask_report {
	int r, cpu;
	cpu_set_t set;
};

static void *report_mask(void *arg)
{
	struct mask_report *m = arg;

	CPU_ZERO(&m->set);
	m->r = sched_getaffinity(0, sizeof(m->set), &m->set);
	m->cpu = sched_getcpu();
	return NULL;
}

/* Creates a thread (with attr) that reports its mask and CPU into m. */
static int report_from_new_thread(pthread_attr_t *attr, struct mask_report *m)
{
	pthread_t t;

	m->r = -2;
	m->cpu = -2;
	if (pthread_create(&t, attr, report_mask, m))
		return -1;
	return pthread_join(t, NULL);
}

static void new_thread_inherits_the_mask(void)
{
	int last = highest_cpu(&start_mask), first = lowest_cpu(&start_mask);
	cpu_set_t orig, want;
	struct mask_report m;
	pthread_attr_t a;

	CHECK_EQ_INT(sched_getaffinity(0, sizeof(orig), &orig), 0);
	cpu_only(&want, last);
	CHECK_EQ_INT(sched_setaffinity(0, sizeof(want), &want), 0);
	CHECK_EQ_INT(report_from_new_thread(NULL, &m), 0);
	CHECK_EQ_INT(m.r, 0);
	CHECK_EQ_INT(mask_low(&m.set), mask_low(&want));
	CHECK_EQ_INT(m.cpu, last);

	/* A mask in the attributes wins over the creator's. */
	pthread_attr_init(&a);
	cpu_only(&want, first);
	CHECK_EQ_INT(pthread_attr_setaffinity_np(&a, sizeof(want), &want), 0);
	CHECK_EQ_INT(report_from_new_thread(&a, &m), 0);
	pthread_attr_destroy(&a);
	CHECK_EQ_INT(m.r, 0);
	CHECK_EQ_INT(mask_low(&m.set), mask_low(&want));
	CHECK_EQ_INT(m.cpu, first);

	CHECK_EQ_INT(sched_setaffinity(0, sizeof(orig), &orig), 0);
	CHECK_EQ_INT(report_from_new_thread(NULL, &m), 0);
	CHECK_EQ_INT(m.r, 0);
	CHECK_EQ_INT(mask_low(&m.set), mask_low(&orig));
	CHECK_EQ_INT(
	    pthread_getaffinity_np(pthread_self(), sizeof(want), &want), 0);
	CHECK(CPU_EQUAL(&want, &orig));
}

#define PIN_MAX 8

struct pin_worker {
	pthread_t t;
	int started;
	int cpu, via_attr; /* via_attr: pinned by pthread_create's attr */
	int ok, rounds;
};

/* Each worker posts pin_ready once pinned and waits for pin_go. */
static sem_t pin_ready, pin_go;

static void *pin_main(void *arg)
{
	struct pin_worker *w = arg;
	cpu_set_t set;
	int i;

	cpu_only(&set, w->cpu);
	w->ok = w->via_attr ||
		CHECK_QUIET_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
	w->ok &= mask_is(w->cpu);
	sem_post(&pin_ready);
	if (sem_wait_long(&pin_go, 1)) /* the main thread reads our mask */
		w->ok = 0;
	for (i = 0; i < 10; i++) {
		w->ok = w->ok && stays_on(w->cpu); /* one FAIL line at most */
		w->rounds++;
	}
	return NULL;
}

/* ---- niceness ---- */
#define NICE_RUN_NS (400 * MS)

struct nice_spinner {
	int cpu, nice;
	int pinned, set, inherited; /* results */
	long long cpu_ns;
};

static long long nice_start_ns; /* atomic: when both spin */
static int nice_ready;

static void *nice_child(void *arg)
{
	*(int *)arg = getpriority(PRIO_PROCESS, 0);
	return NULL;
}

static void *nice_spinner(void *arg)
{
	struct nice_spinner *n = arg;
	struct timespec ts;
	cpu_set_t s;
	pthread_t t;
	int child = -100;

	cpu_only(&s, n->cpu);
	n->pinned = sched_setaffinity(0, sizeof(s), &s) == 0;
	n->set = setpriority(PRIO_PROCESS, gettid(), n->nice) == 0 &&
		 getpriority(PRIO_PROCESS, gettid()) == n->nice;
	n->inherited = pthread_create(&t, NULL, nice_child, &child) == 0 &&
		       pthread_join(t, NULL) == 0 && child == n->nice;
	INC(&nice_ready);
	while (LOAD(&nice_ready) < 2)
		sched_yield();
	if (!LOAD(&nice_start_ns))
		__atomic_store_n(&nice_start_ns, mono_ns(), __ATOMIC_SEQ_CST);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	n->cpu_ns = -(ts.tv_sec * 1000000000ll + ts.tv_nsec);
	while (mono_ns() - LOAD(&nice_start_ns) < NICE_RUN_NS)
		busy(1000);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	n->cpu_ns += ts.tv_sec * 1000000000ll + ts.tv_nsec;
	return NULL;
}

/*
 * Two threads spinning on one CPU, at nice 0 and nice 10: Linux gives
 * them CPU in the ratio of their weights (about 9.3 to 1); more than 3 to
 * 1 shows that niceness counts. setpriority names a thread by its tid,
 * getpriority reads it back, and a new thread inherits its creator's.
 */
static void nice_divides_a_cpu_by_weight(void)
{
	struct nice_spinner n[2] = {{.nice = 0}, {.nice = 10}};
	pthread_t t[2];
	int i;

	nice_ready = 0;
	nice_start_ns = 0;
	n[0].cpu = n[1].cpu = lowest_cpu(&start_mask);
	for (i = 0; i < 2; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, nice_spinner, &n[i]),
			     0);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK(n[i].pinned);
		CHECK(n[i].set);
		CHECK(n[i].inherited);
	}
	if (!CHECK(n[0].cpu_ns > 3 * n[1].cpu_ns))
		printf("  nice 0: %lld us of CPU, nice 10: %lld us\n",
		       n[0].cpu_ns / 1000, n[1].cpu_ns / 1000);
	CHECK_EQ_INT(getpriority(PRIO_PROCESS, 0), 0); /* ours is unchanged */
	errno = 0;
	CHECK_EQ_INT(getpriority(PRIO_PROCESS, 0x3fffffff), -1);
	CHECK_EQ_INT(errno, ESRCH);
	CHECK_ERRNO(setpriority(PRIO_PROCESS, 0x3fffffff, 0), ESRCH);
	CHECK_ERRNO(setpriority(7, 0, 0), EINVAL);
}

static void threads_pinned_apart_all_run(void)
{
	int ncpu = get_nprocs(), cpus[CPU_SETSIZE], nusable = 0, i, n = 0;
	int nt, ok = 1, masks_ok = 1, ready = 0, rounds = 0;
	struct pin_worker w[PIN_MAX];
	pthread_attr_t a;
	cpu_set_t set;

	for (i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &start_mask))
			cpus[nusable++] = i;
	if (!CHECK(nusable >= 1))
		return;
	nt = 2 * nusable; /* two per CPU: at least 2 */
	if (nt > PIN_MAX)
		nt = PIN_MAX;
	sem_init(&pin_ready, 0, 0);
	sem_init(&pin_go, 0, 0);
	for (i = 0; i < nt; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cpu = cpus[i % nusable];
		w[i].via_attr = i & 1;
		pthread_attr_init(&a);
		cpu_only(&set, w[i].cpu);
		if (w[i].via_attr)
			pthread_attr_setaffinity_np(&a, sizeof(set), &set);
		w[i].started = !pthread_create(&w[i].t, &a, pin_main, &w[i]);
		n += w[i].started;
		pthread_attr_destroy(&a);
	}
	CHECK_EQ_INT(n, nt);
	while (ready < n && !sem_wait_long(&pin_ready, 1))
		ready++;
	for (i = 0; i < nt; i++) {
		if (!w[i].started)
			continue;
		CPU_ZERO(&set);
		masks_ok &= CHECK_QUIET_EQ(
		    pthread_getaffinity_np(w[i].t, sizeof(set), &set), 0);
		masks_ok &= CPU_COUNT(&set) == 1 && CPU_ISSET(w[i].cpu, &set);
	}
	for (i = 0; i < n; i++)
		sem_post(&pin_go);
	for (i = 0; i < nt; i++) {
		if (!w[i].started)
			continue;
		pthread_join(w[i].t, NULL);
		ok &= w[i].ok;
		rounds += w[i].rounds;
	}
	sem_destroy(&pin_ready);
	sem_destroy(&pin_go);
	CHECK_EQ_INT(ready, n);
	CHECK(masks_ok);
	CHECK(ok);
	CHECK_EQ_INT(rounds, nt * 10);
}

/* ---- semaphores ---- */

#define SEM_ROUNDS 2000

static sem_t sem_ping, sem_pong;
static int sem_turn;		  /* 1: the ponger's turn (atomic) */
static int sem_bad, sem_timeouts; /* atomic */

static void *sem_ponger(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < SEM_ROUNDS; i++) {
		if (sem_wait_long(&sem_ping, 1)) {
			INC(&sem_timeouts);
			break;
		}
		if (LOAD(&sem_turn) != 1)
			INC(&sem_bad);
		STORE(&sem_turn, 0);
		sem_post(&sem_pong);
	}
	return NULL;
}

static void sem_ping_pong(void)
{
	pthread_t t;
	int i, v = -1;

	sem_init(&sem_ping, 0, 0);
	sem_init(&sem_pong, 0, 0);
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, sem_ponger, NULL), 0))
		return;
	for (i = 0; i < SEM_ROUNDS; i++) {
		STORE(&sem_turn, 1);
		sem_post(&sem_ping);
		if (sem_wait_long(&sem_pong, 0)) {
			INC(&sem_timeouts);
			break;
		}
		if (LOAD(&sem_turn) != 0)
			INC(&sem_bad);
	}
	pthread_join(t, NULL);
	CHECK_EQ_INT(i, SEM_ROUNDS);
	CHECK_EQ_INT(sem_timeouts, 0);
	CHECK_EQ_INT(sem_bad, 0);
	CHECK_EQ_INT(sem_getvalue(&sem_ping, &v), 0);
	CHECK_EQ_INT(v, 0);
	sem_destroy(&sem_ping);
	sem_destroy(&sem_pong);
}

#define SEM_THREADS 3 /* posters, and as many waiters */
#define SEM_EACH 1000

static sem_t sem_many;
static int sem_waited, sem_many_timeouts; /* atomic */

static void *sem_poster(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < SEM_EACH; i++) {
		sem_post(&sem_many);
		if (i % 128 == 0)
			sched_yield();
	}
	return NULL;
}

static void *sem_waiter(void *arg)
{
	int i;

	for (i = 0; i < SEM_EACH; i++) {
		if (sem_wait_long(&sem_many, (int)(uintptr_t)arg & 1)) {
			INC(&sem_many_timeouts);
			break;
		}
		INC(&sem_waited);
	}
	return NULL;
}

static void sem_many_posters_many_waiters(void)
{
	pthread_t w[SEM_THREADS], p[SEM_THREADS];
	int v = -1, nw, np;

	sem_init(&sem_many, 0, 0);
	nw = spawn(w, SEM_THREADS, sem_waiter);
	np = spawn(p, SEM_THREADS, sem_poster);
	CHECK_EQ_INT(nw + np, 2 * SEM_THREADS);
	join_all(p, np);
	join_all(w, nw);
	CHECK_EQ_INT(sem_many_timeouts, 0);
	CHECK_EQ_INT(sem_waited, SEM_THREADS * SEM_EACH);
	CHECK_EQ_INT(sem_getvalue(&sem_many, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_ERRNO(sem_trywait(&sem_many), EAGAIN);
	sem_destroy(&sem_many);
}

static void sem_timedwait_times_out(void)
{
	struct timespec ts;
	long long t0;
	sem_t s;
	int v = -1;

	CHECK_EQ_INT(sem_init(&s, 0, 0), 0);
	t0 = mono_ns();
	ts = deadline_in(CLOCK_REALTIME, 20 * MS);
	CHECK_ERRNO(sem_timedwait(&s, &ts), ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 19 * MS);
	t0 = mono_ns();
	ts = deadline_in(CLOCK_MONOTONIC, 20 * MS);
	CHECK_ERRNO(sem_clockwait(&s, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 19 * MS);
	ts.tv_nsec = 1000000000;
	CHECK_ERRNO(sem_timedwait(&s, &ts), EINVAL);
	CHECK_EQ_INT(sem_post(&s), 0);
	CHECK_EQ_INT(sem_post(&s), 0);
	CHECK_EQ_INT(sem_getvalue(&s, &v), 0);
	CHECK_EQ_INT(v, 2);
	ts = deadline_in(CLOCK_REALTIME, -1 * MS); /* past, but not needed */
	CHECK_EQ_INT(sem_timedwait(&s, &ts), 0);
	CHECK_EQ_INT(sem_trywait(&s), 0);
	CHECK_ERRNO(sem_trywait(&s), EAGAIN);
	CHECK_EQ_INT(sem_destroy(&s), 0);
}

/* ---- raw futexes ---- */

/*
 * Two players alternate on one futex word, `turn`: whose turn it is (0 or
 * 1), or PP_STOP to end the game early. A player hands the turn over with
 * a compare-and-swap, so that a PP_STOP is never overwritten, and a waiter
 * sleeps only while the word still reads the other player's turn.
 */
#define PP_STOP 2

struct futex_pp {
	int turn;   /* the futex word */
	int rounds; /* each player's turns */
	int flags;  /* 0 or FUTEX_PRIVATE_FLAG */
	int cpu[2]; /* where each player is pinned; -1: anywhere */
	int count[2];
	int timeouts, bad_wakes, errors; /* atomic */
};

static void pp_stop(struct futex_pp *pp)
{
	STORE(&pp->turn, PP_STOP);
	futex(&pp->turn, FUTEX_WAKE | pp->flags, INT_MAX, NULL, NULL, 0);
}

static void *pp_player(void *arg)
{
	struct futex_pp *pp = (struct futex_pp *)((uintptr_t)arg & ~1ul);
	int me = (int)((uintptr_t)arg & 1), r, t;
	struct timespec two_s = {LONG_WAIT_NS / 1000000000ll, 0};
	long w;

	for (r = 0; r < pp->rounds; r++) {
		while ((t = LOAD(&pp->turn)) != me) {
			if (t == PP_STOP)
				return NULL;
			if (futex(&pp->turn, FUTEX_WAIT | pp->flags, t, &two_s,
				  NULL, 0) == 0)
				continue;
			if (errno == ETIMEDOUT) { /* the wake was lost */
				INC(&pp->timeouts);
				pp_stop(pp);
				return NULL;
			}
			if (errno != EAGAIN && errno != EINTR)
				INC(&pp->errors);
		}
		pp->count[me]++;
		t = me;
		if (!__atomic_compare_exchange_n(&pp->turn, &t, !me, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			return NULL; /* stopped */
		w = futex(&pp->turn, FUTEX_WAKE | pp->flags, 1, NULL, NULL, 0);
		if (w != 0 && w != 1)
			INC(&pp->bad_wakes);
	}
	return NULL;
}

/* Plays pp->rounds rounds and checks that each player had them all. */
static void futex_pp_run(struct futex_pp *pp)
{
	pthread_attr_t a;
	pthread_t t[2];
	cpu_set_t set;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		pthread_attr_init(&a);
		if (pp->cpu[i] >= 0) {
			cpu_only(&set, pp->cpu[i]);
			pthread_attr_setaffinity_np(&a, sizeof(set), &set);
		}
		if (!pthread_create(&t[n], &a, pp_player,
				    (void *)((uintptr_t)pp | (uintptr_t)i)))
			n++;
		pthread_attr_destroy(&a);
	}
	if (!CHECK_EQ_INT(n, 2)) {
		pp_stop(pp); /* no partner: end the game */
		join_all(t, n);
		return;
	}
	join_all(t, n);
	CHECK_EQ_INT(pp->timeouts, 0);
	CHECK_EQ_INT(pp->errors, 0);
	CHECK_EQ_INT(pp->bad_wakes, 0);
	CHECK_EQ_INT(pp->count[0], pp->rounds);
	CHECK_EQ_INT(pp->count[1], pp->rounds);
}

static struct futex_pp pp_shared = {.rounds = 1000, .cpu = {-1, -1}};
static struct futex_pp pp_private = {
    .rounds = 2000, .flags = FUTEX_PRIVATE_FLAG, .cpu = {-1, -1}};
static struct futex_pp pp_pinned = {.rounds = 1000,
				    .flags = FUTEX_PRIVATE_FLAG};

/* The same ping-pong with shared and private futexes, then with the
 * players pinned to the first and last CPU (apart where there are two). */
static void futex_ping_pong_loses_no_wakeup(void)
{
	futex_pp_run(&pp_shared);
	futex_pp_run(&pp_private);
	pp_pinned.cpu[0] = lowest_cpu(&start_mask);
	pp_pinned.cpu[1] = highest_cpu(&start_mask);
	futex_pp_run(&pp_pinned);
}

#define FW_WAITERS 4

static int fw_word, fw_ready;
static long fw_result[FW_WAITERS];

static void *fw_waiter(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct timespec ts = {3, 0}; /* past the main thread's 2 s */

	INC(&fw_ready);
	fw_result[me] =
	    futex(&fw_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) ? errno : 0;
	return NULL;
}

/* Wakes up to n waiters per call until `want` are woken (2 s at most);
 * counts calls that report more than n. */
static int wake_until(int n, int want, int *over)
{
	long long deadline = mono_ns() + LONG_WAIT_NS;
	int total = 0;
	long r;

	while (total < want && mono_ns() < deadline) {
		r = futex(&fw_word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
		if (r < 0 || r > n)
			(*over)++;
		else
			total += (int)r;
		if (total < want)
			sleep_ns(MS);
	}
	return total;
}

static void futex_wait_value_and_wake_count(void)
{
	struct timespec ts = {0, 20 * MS};
	pthread_t t[FW_WAITERS];
	int word = 1, over = 0, i, ok = 1, n;
	long long t0;

	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
	CHECK_EQ_INT(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	CHECK_EQ_INT(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0),
		     0);
	t0 = mono_ns();
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0),
		    ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 19 * MS);

	/* Waiters woken one, then two, then the rest: the counts add up to
	 * the waiters, each woken once. */
	fw_word = 0;
	n = spawn(t, FW_WAITERS, fw_waiter);
	CHECK_EQ_INT(n, FW_WAITERS);
	while (LOAD(&fw_ready) < n)
		sleep_ns(MS);
	sleep_ns(10 * MS); /* let them reach FUTEX_WAIT */
	CHECK_EQ_INT(wake_until(1, 1, &over), 1);
	CHECK_EQ_INT(wake_until(2, 2, &over), 2);
	CHECK_EQ_INT(wake_until(INT_MAX, n - 3, &over), FW_WAITERS - 3);
	CHECK_EQ_INT(over, 0);
	join_all(t, n);
	for (i = 0; i < n; i++)
		ok &= CHECK_QUIET_EQ(fw_result[i], 0);
	CHECK(ok);
	CHECK_EQ_INT(
	    futex(&fw_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
}

#define RQ_WAITERS 5

static int rq_a, rq_b, rq_ready, rq_done, rq_flags;
static long rq_result[RQ_WAITERS];

static void *rq_waiter(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct timespec ts = {3, 0}; /* past the main thread's 2 s */

	INC(&rq_ready);
	rq_result[me] =
	    futex(&rq_a, FUTEX_WAIT | rq_flags, 0, &ts, NULL, 0) ? errno : 0;
	INC(&rq_done);
	return NULL;
}

/*
 * Waiters on rq_a; each FUTEX_CMP_REQUEUE wakes one and moves the rest to
 * rq_b, where a FUTEX_WAKE must find exactly the moved ones. Calls repeat
 * until every waiter is accounted for, in case some were late to sleep.
 */
static void cmp_requeue(int flags)
{
	long long deadline;
	pthread_t t[RQ_WAITERS];
	int n, i, moved = 0, mismatches = 0, errors = 0, ok = 1;
	long r, w;
	const struct timespec *all =
	    (const struct timespec *)(uintptr_t)INT_MAX;

	rq_a = rq_b = 0;
	rq_ready = rq_done = 0;
	rq_flags = flags;
	CHECK_ERRNO(futex(&rq_a, FUTEX_CMP_REQUEUE | flags, 1, all, &rq_b, 1),
		    EAGAIN); /* rq_a is not 1 */
	CHECK_EQ_INT(futex(&rq_a, FUTEX_CMP_REQUEUE | flags, 1, all, &rq_b, 0),
		     0); /* nobody waits */
	n = spawn(t, RQ_WAITERS, rq_waiter);
	CHECK_EQ_INT(n, RQ_WAITERS);
	while (LOAD(&rq_ready) < n)
		sleep_ns(MS);
	sleep_ns(10 * MS); /* let them reach FUTEX_WAIT */
	deadline = mono_ns() + LONG_WAIT_NS;
	while (moved < n && mono_ns() < deadline) {
		r = futex(&rq_a, FUTEX_CMP_REQUEUE | flags, 1, all, &rq_b, 0);
		if (r < 0) {
			errors++;
			break;
		}
		moved += (int)r;
		w = futex(&rq_b, FUTEX_WAKE | flags, INT_MAX, NULL, NULL, 0);
		if (w != (r > 0 ? r - 1 : 0))
			mismatches++;
		if (moved < n)
			sleep_ns(MS);
	}
	join_all(t, n);
	CHECK_EQ_INT(errors, 0);
	CHECK_EQ_INT(moved, RQ_WAITERS);
	CHECK_EQ_INT(mismatches, 0); /* one woken, the rest requeued */
	for (i = 0; i < n; i++)
		ok &= CHECK_QUIET_EQ(rq_result[i], 0);
	CHECK(ok);
	CHECK_EQ_INT(rq_done, RQ_WAITERS);
	CHECK_EQ_INT(futex(&rq_a, FUTEX_WAKE | flags, INT_MAX, NULL, NULL, 0),
		     0);
	CHECK_EQ_INT(futex(&rq_b, FUTEX_WAKE | flags, INT_MAX, NULL, NULL, 0),
		     0);
}

static void futex_cmp_requeue_moves_waiters(void)
{
	cmp_requeue(FUTEX_PRIVATE_FLAG);
	cmp_requeue(0);
}

#define WO_ADDERS 2
#define WO_ITERS 20000
#define WO_OP(op, oparg, cmp, cmparg)                                          \
	(((op) << 28) | ((cmp) << 24) | (((oparg) & 0xfff) << 12) |            \
	 ((cmparg) & 0xfff))

static int wo_word, wo_other, wo_ready;

/* Half the adds go through FUTEX_WAKE_OP, half through a locked add. */
static void *wo_adder(void *arg)
{
	int i, kernel = (int)(uintptr_t)arg & 1;

	INC(&wo_ready);
	while (LOAD(&wo_ready) < WO_ADDERS)
		sched_yield();
	for (i = 0; i < WO_ITERS; i++) {
		if (kernel)
			futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 0,
			      (const struct timespec *)0, &wo_word,
			      WO_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
		else
			__atomic_fetch_add(&wo_word, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static int wo_sleepers_done;

static void *wo_sleeper(void *arg)
{
	int *word = arg;
	struct timespec ts = {3, 0};

	if (futex(word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == 0)
		INC(&wo_sleepers_done);
	return NULL;
}

/*
 * FUTEX_WAKE_OP changes the second word atomically (racing a thread that
 * adds with a locked instruction on another CPU loses no update), compares
 * its old value with signed 12-bit arguments, and wakes on both words.
 */
static void futex_wake_op_is_atomic_and_compares_old(void)
{
	pthread_t t[WO_ADDERS], s[2];
	int n, r;

	wo_word = wo_ready = 0;
	n = spawn(t, WO_ADDERS, wo_adder);
	CHECK_EQ_INT(n, WO_ADDERS);
	join_all(t, n);
	CHECK_EQ_INT(wo_word, n * WO_ITERS);

	wo_word = 5;
	/* old 5 == 5: true, and the word becomes 5 + (-1). */
	r = (int)futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 1,
		       (const struct timespec *)0, &wo_word,
		       WO_OP(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, 5));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(wo_word, 4);
	wo_word = -3;
	r = (int)futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 1,
		       (const struct timespec *)0, &wo_word,
		       WO_OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4,
			     FUTEX_OP_CMP_LT, -2));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(wo_word, -3 | 16);
	CHECK_ERRNO(futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 1,
			  (const struct timespec *)0, &wo_word, 7u << 28),
		    ENOSYS);

	/* A sleeper on each word: both woken only when the comparison holds. */
	wo_word = wo_other = wo_sleepers_done = 0;
	CHECK_EQ_INT(pthread_create(&s[0], NULL, wo_sleeper, &wo_other), 0);
	CHECK_EQ_INT(pthread_create(&s[1], NULL, wo_sleeper, &wo_word), 0);
	sleep_ns(50 * MS);
	r = (int)futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 1,
		       (const struct timespec *)1, &wo_word,
		       WO_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_NE, 0));
	CHECK_EQ_INT(r, 1); /* old 0 != 0 is false: only wo_other's */
	r = (int)futex(&wo_other, FUTEX_WAKE_OP_PRIVATE, 1,
		       (const struct timespec *)1, &wo_word,
		       WO_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 0));
	CHECK_EQ_INT(r, 1); /* now wo_word's sleeper */
	pthread_join(s[0], NULL);
	pthread_join(s[1], NULL);
	CHECK_EQ_INT(wo_sleepers_done, 2);
}

/* ---- clone3: glibc creates every thread with it ---- */
struct clone_args_v0 {
	unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal;
	unsigned long long stack, stack_size, tls;
};

#define THREAD_CLONE_FLAGS                                                     \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM)

/*
 * The argument checks every caller relies on, as Linux makes them (none
 * of these calls creates anything): a struct smaller than the first
 * version, unknown trailing bytes that are not zero, a thread with an
 * exit signal, a stack without a size.
 */
static void clone3_checks_its_arguments(void)
{
	struct {
		struct clone_args_v0 a;
		unsigned long long more[16];
	} big;
	struct clone_args_v0 a;

	memset(&a, 0, sizeof(a));
	a.flags = THREAD_CLONE_FLAGS;
	CHECK_ERRNO(syscall(SYS_clone3, &a, 32), EINVAL);
	a.exit_signal = SIGCHLD;
	CHECK_ERRNO(syscall(SYS_clone3, &a, sizeof(a)), EINVAL);
	a.exit_signal = 0;
	a.stack = 0x10000;
	CHECK_ERRNO(syscall(SYS_clone3, &a, sizeof(a)), EINVAL);
	memset(&big, 0, sizeof(big));
	big.a = a;
	big.a.stack = 0;
	big.more[15] = 1;
	CHECK_ERRNO(syscall(SYS_clone3, &big, sizeof(big)), E2BIG);
	CHECK_ERRNO(syscall(SYS_clone3, NULL, sizeof(a)), EFAULT);
}

int main(void)
{
	struct sigaction sa;

	abi_init("pthreads");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watchdog;
	sigaction(SIGALRM, &sa, NULL);
	CPU_ZERO(&start_mask);
	if (sched_getaffinity(0, sizeof(start_mask), &start_mask) ||
	    !CPU_COUNT(&start_mask))
		CPU_SET(0, &start_mask);

	RUN(mutex_torture_keeps_exclusion);
	RUN(mutex_trylock_and_timed_lock);
	RUN(mutex_unlock_wakes_a_blocked_waiter);
	RUN(mutex_errorcheck_and_recursive);
	RUN(cond_bounded_buffer_each_item_once);
	RUN(cond_broadcast_wakes_every_waiter);
	RUN(cond_timedwait_on_both_clocks);
	RUN(barrier_rounds_keep_phases_apart);
	RUN(rwlock_readers_with_writers);
	RUN(rwlock_timed_and_self_deadlock);
	RUN(tls_is_per_thread_and_kept);
	RUN(key_destructors_run_at_thread_exit);
	RUN(affinity_pins_to_each_cpu);
	RUN(new_thread_inherits_the_mask);
	RUN(threads_pinned_apart_all_run);
	RUN(nice_divides_a_cpu_by_weight);
	RUN(sem_ping_pong);
	RUN(sem_many_posters_many_waiters);
	RUN(sem_timedwait_times_out);
	RUN(futex_ping_pong_loses_no_wakeup);
	RUN(futex_wait_value_and_wake_count);
	RUN(futex_cmp_requeue_moves_waiters);
	RUN(futex_wake_op_is_atomic_and_compares_old);
	RUN(clone3_checks_its_arguments);
	return abi_done();
}
