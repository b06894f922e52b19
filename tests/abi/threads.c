/*
 * Threads (clone through glibc's pthreads) and what they stand on: join and
 * detach, mutexes, condition variables, barriers, rwlocks, once, semaphores,
 * thread-local storage (the FS base), gettid, raw futex calls (WAIT, WAKE,
 * timeouts, bitset and error paths), sched_yield, sched_getaffinity and a
 * signal aimed at one thread with pthread_kill.
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
#include <sys/syscall.h>
#include <time.h>

#define NTHREADS 8

static void *times_two(void *arg)
{
	return (void *)((uintptr_t)arg * 2);
}

static void create_and_join_eight(void)
{
	pthread_t t[NTHREADS];
	void *ret;
	int i, ok = 1, created = 0;

	for (i = 0; i < NTHREADS; i++)
		created += pthread_create(&t[i], NULL, times_two,
					  (void *)(uintptr_t)(i + 1)) == 0;
	CHECK_EQ_INT(created, NTHREADS);
	for (i = 0; i < created; i++) {
		ok &= pthread_join(t[i], &ret) == 0;
		ok &= (uintptr_t)ret == (uintptr_t)(i + 1) * 2;
	}
	CHECK(ok);
	CHECK_EQ_INT(pthread_join(pthread_self(), &ret), EDEADLK);
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add_many(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		if (i % 64 == 0)
			sched_yield(); /* invite contention */
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void mutex_counter_is_exact(void)
{
	pthread_t t[NTHREADS];
	pthread_mutex_t m;
	pthread_mutexattr_t a;
	int i;

	counter = 0;
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, add_many, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(counter, NTHREADS * 2000);

	CHECK_EQ_INT(pthread_mutex_lock(&counter_lock), 0);
	CHECK_EQ_INT(pthread_mutex_trylock(&counter_lock), EBUSY);
	CHECK_EQ_INT(pthread_mutex_unlock(&counter_lock), 0);

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), EDEADLK);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), EPERM);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &a);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_lock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	CHECK_EQ_INT(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

#define ROUNDS 200
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn, pp_count[2];

/* Player `me` (0 or 1) takes its turn ROUNDS times. */
static void *ping_pong(void *arg)
{
	int me = (int)(uintptr_t)arg, i;

	for (i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&pp_lock);
		while (pp_turn != me)
			pthread_cond_wait(&pp_cond, &pp_lock);
		pp_count[me]++;
		pp_turn = !me;
		pthread_cond_broadcast(&pp_cond);
		pthread_mutex_unlock(&pp_lock);
	}
	return NULL;
}

static void cond_ping_pong_alternates(void)
{
	struct timespec ts;
	pthread_t a, b;
	long long t0;
	int r;

	pp_turn = 0;
	pp_count[0] = pp_count[1] = 0;
	pthread_create(&a, NULL, ping_pong, (void *)0);
	pthread_create(&b, NULL, ping_pong, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ_INT(pp_count[0], ROUNDS);
	CHECK_EQ_INT(pp_count[1], ROUNDS);

	/* A timed wait that nobody signals times out, no earlier. */
	t0 = mono_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&pp_lock);
	do
		r = pthread_cond_timedwait(&pp_cond, &pp_lock, &ts);
	while (r == 0);
	pthread_mutex_unlock(&pp_lock);
	CHECK_EQ_INT(r, ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 19 * 1000000);
}

static pthread_barrier_t barrier;
static int before[NTHREADS];
static volatile int seen_all[NTHREADS];
static int serial_count;

static void *barrier_worker(void *arg)
{
	int me = (int)(uintptr_t)arg, i, all = 1, r;

	before[me] = 1;
	r = pthread_barrier_wait(&barrier);
	if (r == PTHREAD_BARRIER_SERIAL_THREAD)
		__atomic_add_fetch(&serial_count, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < NTHREADS; i++)
		all &= before[i];
	seen_all[me] = all;
	return NULL;
}

static void barrier_releases_all_together(void)
{
	pthread_t t[NTHREADS];
	int i, ok = 1;

	CHECK_EQ_INT(pthread_barrier_init(&barrier, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, barrier_worker,
			       (void *)(uintptr_t)i);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NTHREADS; i++)
		ok &= seen_all[i];
	CHECK(ok);
	CHECK_EQ_INT(serial_count, 1);
	CHECK_EQ_INT(pthread_barrier_destroy(&barrier), 0);
	CHECK_EQ_INT(pthread_barrier_init(&barrier, NULL, 0), EINVAL);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int rw_value;

static void *try_locks_while_read_held(void *arg)
{
	int *res = arg;

	res[0] = pthread_rwlock_tryrdlock(&rw);
	if (res[0] == 0)
		pthread_rwlock_unlock(&rw);
	res[1] = pthread_rwlock_trywrlock(&rw);
	return NULL;
}

static void *rw_writer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 500; i++) {
		pthread_rwlock_wrlock(&rw);
		rw_value++;
		pthread_rwlock_unlock(&rw);
		pthread_rwlock_rdlock(&rw);
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void rwlock_readers_share_writers_exclude(void)
{
	pthread_t t[4];
	int res[2] = {-1, -1}, i;

	CHECK_EQ_INT(pthread_rwlock_rdlock(&rw), 0);
	pthread_create(&t[0], NULL, try_locks_while_read_held, res);
	pthread_join(t[0], NULL);
	CHECK_EQ_INT(res[0], 0);     /* another reader gets in */
	CHECK_EQ_INT(res[1], EBUSY); /* a writer does not */
	CHECK_EQ_INT(pthread_rwlock_unlock(&rw), 0);

	rw_value = 0;
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, rw_writer, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(rw_value, 2000);
	CHECK_EQ_INT(pthread_rwlock_wrlock(&rw), 0);
	CHECK_EQ_INT(pthread_rwlock_tryrdlock(&rw), EBUSY);
	CHECK_EQ_INT(pthread_rwlock_unlock(&rw), 0);
}

static __thread int tls_value = 5;
static __thread char tls_array[64];
static pthread_barrier_t tls_barrier;

struct tls_result {
	int initial, after, tid;
	void *addr;
	int array_ok;
};

static void *tls_worker(void *arg)
{
	struct tls_result *r = arg;
	int i;

	r->initial = tls_value;
	r->addr = &tls_value;
	r->tid = (int)gettid();
	tls_value = r->tid;
	memset(tls_array, r->tid & 0x7f, sizeof(tls_array));
	/* Everyone writes before anyone reads back. */
	pthread_barrier_wait(&tls_barrier);
	r->after = tls_value;
	r->array_ok = 1;
	for (i = 0; i < 64; i++)
		r->array_ok &= tls_array[i] == (char)(r->tid & 0x7f);
	return NULL;
}

static void tls_and_gettid_are_per_thread(void)
{
	struct tls_result r[NTHREADS];
	pthread_t t[NTHREADS];
	int i, j, ok_init = 1, ok_after = 1, distinct = 1;

	memset(r, 0, sizeof(r));
	tls_value = 77;
	CHECK_EQ_INT(gettid(), getpid()); /* the main thread's tid is the pid */
	pthread_barrier_init(&tls_barrier, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, tls_worker, &r[i]);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&tls_barrier);
	for (i = 0; i < NTHREADS; i++) {
		ok_init &= r[i].initial == 5;
		ok_after &= r[i].after == r[i].tid && r[i].array_ok;
		distinct &= r[i].tid != getpid() && r[i].tid > 0;
		for (j = 0; j < i; j++)
			distinct &=
			    r[i].tid != r[j].tid && r[i].addr != r[j].addr;
	}
	CHECK(ok_init);
	CHECK(ok_after);
	CHECK(distinct);
	CHECK_EQ_INT(tls_value, 77);
	CHECK_EQ_INT(syscall(SYS_gettid), getpid());
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_init(void)
{
	__atomic_add_fetch(&once_runs, 1, __ATOMIC_SEQ_CST);
}

static void *call_once(void *arg)
{
	(void)arg;
	pthread_once(&once, once_init);
	return NULL;
}

static void pthread_once_runs_once(void)
{
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, call_once, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	call_once(NULL);
	CHECK_EQ_INT(once_runs, 1);
}

static int fwait_word, fwait_ready, fwait_done;
static long fwait_result[3];

static void *futex_waiter(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct timespec ts = {5, 0}; /* a safety net, never reached */

	__atomic_add_fetch(&fwait_ready, 1, __ATOMIC_SEQ_CST);
	fwait_result[me] = futex(&fwait_word, FUTEX_WAIT, 0, &ts, NULL, 0);
	__atomic_add_fetch(&fwait_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Wakes up to `n` waiters per call until `want` are woken in all (2 s). */
static int wake_until(int n, int want, int *over)
{
	long long deadline = mono_ns() + 2000000000ll;
	int total = 0;
	long r;

	while (total < want && mono_ns() < deadline) {
		r = futex(&fwait_word, FUTEX_WAKE, n, NULL, NULL, 0);
		if (r < 0 || r > n)
			(*over)++;
		else
			total += (int)r;
		if (total < want)
			usleep(1000);
	}
	return total;
}

/*
 * A raw clone: the child starts with the parent's registers, rbx and
 * r12-r15 included (it runs no C: no TLS of its own). It stores 1 in
 * clone_regs_ok if they all held, and exits; CLONE_CHILD_CLEARTID clears
 * clone_tid and wakes us.
 */
static volatile int clone_regs_ok = -1;
static volatile int clone_tid = -1;
static char clone_stack[16384] __attribute__((aligned(16)));

static void clone_child_keeps_callee_saved(void)
{
	long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		     CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
	register long tidp asm("r10") = (long)&clone_tid;
	register long tls asm("r8") = 0;
	long ret = SYS_clone;
	int tid;

	asm volatile("movabs $0x2121212121212121, %%rbx\n\t"
		     "movabs $0x2222222222222222, %%r12\n\t"
		     "movabs $0x2323232323232323, %%r13\n\t"
		     "movabs $0x2424242424242424, %%r14\n\t"
		     "movabs $0x2525252525252525, %%r15\n\t"
		     "syscall\n\t"
		     "testq %%rax, %%rax\n\t"
		     "jnz 2f\n\t"
		     /* the child */
		     "xorl %%ecx, %%ecx\n\t"
		     "movabs $0x2121212121212121, %%r9\n\t"
		     "cmpq %%r9, %%rbx\n\t"
		     "jne 1f\n\t"
		     "movabs $0x2222222222222222, %%r9\n\t"
		     "cmpq %%r9, %%r12\n\t"
		     "jne 1f\n\t"
		     "movabs $0x2323232323232323, %%r9\n\t"
		     "cmpq %%r9, %%r13\n\t"
		     "jne 1f\n\t"
		     "movabs $0x2424242424242424, %%r9\n\t"
		     "cmpq %%r9, %%r14\n\t"
		     "jne 1f\n\t"
		     "movabs $0x2525252525252525, %%r9\n\t"
		     "cmpq %%r9, %%r15\n\t"
		     "jne 1f\n\t"
		     "movl $1, %%ecx\n"
		     "1:\n\t"
		     "movl %%ecx, %[ok]\n\t"
		     "movl $60, %%eax\n\t" /* exit: this thread only */
		     "xorl %%edi, %%edi\n\t"
		     "syscall\n\t"
		     "ud2\n"
		     "2:"
		     : "+a"(ret), [ok] "=m"(clone_regs_ok)
		     : "D"(flags), "S"(clone_stack + sizeof(clone_stack)),
		       "d"(0L), "r"(tidp), "r"(tls)
		     : "rbx", "r12", "r13", "r14", "r15", "rcx", "r9", "r11",
		       "memory");
	if (!CHECK(ret > 0))
		return;
	/* Until the kernel clears it at the child's exit. */
	while ((tid = clone_tid) != 0)
		futex((int *)&clone_tid, FUTEX_WAIT, tid, NULL, NULL, 0);
	CHECK_EQ_INT(clone_regs_ok, 1);
}

static void raw_futex_wait_and_wake(void)
{
	struct timespec ts = {0, 20 * 1000000}, abs;
	pthread_t t[3];
	long long t0;
	int word = 1, over = 0, i, ok = 1;

	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
	t0 = mono_ns();
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 1, &ts, NULL, 0), ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 20 * 1000000);
	/* FUTEX_WAIT_BITSET takes an absolute time; here CLOCK_REALTIME. */
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	t0 = mono_ns();
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1,
			  &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	CHECK(mono_ns() - t0 >= 19 * 1000000);
	CHECK_EQ_INT(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	CHECK_ERRNO(
	    futex((int *)((char *)&word + 1), FUTEX_WAIT, 1, NULL, NULL, 0),
	    EINVAL);
	CHECK_ERRNO(futex((int *)0x1000, FUTEX_WAIT, 1, NULL, NULL, 0), EFAULT);
	/* Past the lower half (Osprey's kernel, in the same page table). */
	CHECK_ERRNO(futex((int *)0xffffffff80000000ul, FUTEX_WAIT, 1, NULL,
			  NULL, 0),
		    EFAULT);
	CHECK_ERRNO(futex((int *)0x7ffffffffffcul, FUTEX_WAIT, 1, NULL, NULL,
			  0),
		    EFAULT);
	ts.tv_nsec = 1000000000;
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 1, &ts, NULL, 0), EINVAL);
	/* An empty bitset (val3 0) is EINVAL before any waiting. */
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL);
	/* Linux: an unknown futex operation is ENOSYS. */
	CHECK_ERRNO(futex(&word, 99, 1, NULL, NULL, 0), ENOSYS);

	/* Three waiters: a WAKE for 1 wakes one, then one for all the rest.
	 * Each waiter is woken by exactly one wake, so the counts add up. */
	fwait_word = 0;
	fwait_ready = fwait_done = 0;
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, futex_waiter, (void *)(uintptr_t)i);
	while (__atomic_load_n(&fwait_ready, __ATOMIC_SEQ_CST) < 3)
		usleep(1000);
	usleep(20000); /* let them reach FUTEX_WAIT */
	CHECK_EQ_INT(wake_until(1, 1, &over), 1);
	CHECK_EQ_INT(wake_until(INT_MAX, 2, &over), 2);
	CHECK_EQ_INT(over, 0);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 3; i++)
		ok &= fwait_result[i] == 0;
	CHECK(ok);
	CHECK_EQ_INT(fwait_done, 3);
}

static void sched_yield_and_affinity(void)
{
	cpu_set_t set;
	long r;

	CHECK_EQ_INT(sched_yield(), 0);
	CPU_ZERO(&set);
	CHECK_EQ_INT(sched_getaffinity(0, sizeof(set), &set), 0);
	CHECK(CPU_COUNT(&set) >= 1);
	/* The raw call returns the size of the kernel's mask, in bytes. */
	r = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	CHECK(r >= 8 && r % 8 == 0 && r <= (long)sizeof(set));
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
	CHECK_EQ_INT(sched_getaffinity(gettid(), sizeof(set), &set), 0);
	CHECK_ERRNO(sched_getaffinity(-1, sizeof(set), &set), ESRCH);
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
}

static sem_t detached_done;
static volatile int detached_ran;

static void *detached_worker(void *arg)
{
	(void)arg;
	detached_ran = 1;
	sem_post(&detached_done);
	return NULL;
}

static void detached_thread_finishes(void)
{
	struct timespec deadline;
	pthread_attr_t a;
	pthread_t t;
	int r;

	CHECK_EQ_INT(sem_init(&detached_done, 0, 0), 0);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	CHECK_EQ_INT(pthread_create(&t, &a, detached_worker, NULL), 0);
	pthread_attr_destroy(&a);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	while ((r = sem_timedwait(&detached_done, &deadline)) != 0 &&
	       errno == EINTR)
		;
	CHECK_EQ_INT(r, 0);
	CHECK(detached_ran);
	/* A second thread, detached after creation. */
	CHECK_EQ_INT(pthread_create(&t, NULL, detached_worker, NULL), 0);
	CHECK_EQ_INT(pthread_detach(t), 0);
	while ((r = sem_timedwait(&detached_done, &deadline)) != 0 &&
	       errno == EINTR)
		;
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(sem_trywait(&detached_done), -1);
	sem_destroy(&detached_done);
}

static char small_stack_ok;

static void *use_stack(void *arg)
{
	volatile char buf[32 * 1024];
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(buf); i += 512)
		buf[i] = (char)i;
	small_stack_ok = buf[512] == (char)512;
	return NULL;
}

static void thread_with_small_stack(void)
{
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	CHECK_EQ_INT(pthread_attr_setstacksize(&a, 128 * 1024), 0);
	CHECK_EQ_INT(pthread_create(&t, &a, use_stack, NULL), 0);
	CHECK_EQ_INT(pthread_join(t, NULL), 0);
	CHECK(small_stack_ok);
	pthread_attr_destroy(&a);
}

static volatile int usr1_tid;
static pthread_barrier_t kill_barrier;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = (int)gettid();
}

static void *wait_for_signal(void *arg)
{
	int *tid = arg;

	*tid = (int)gettid();
	pthread_barrier_wait(&kill_barrier); /* tid published */
	pthread_barrier_wait(&kill_barrier); /* signal sent and handled */
	return NULL;
}

static void pthread_kill_targets_one_thread(void)
{
	struct sigaction sa;
	pthread_t t;
	sigset_t set, old;
	int tid = 0, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* Only the new thread may take it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_barrier_init(&kill_barrier, NULL, 2);
	pthread_create(&t, NULL, wait_for_signal, &tid);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_barrier_wait(&kill_barrier);
	usr1_tid = 0;
	CHECK_EQ_INT(pthread_kill(t, SIGUSR1), 0);
	for (i = 0; i < 2000 && !usr1_tid; i++)
		usleep(1000);
	pthread_barrier_wait(&kill_barrier);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_barrier_destroy(&kill_barrier);
	CHECK(tid > 0);
	CHECK_EQ_INT(usr1_tid, tid);
	CHECK_EQ_INT(pthread_kill(pthread_self(), 0), 0);
	signal(SIGUSR1, SIG_DFL);
}

/*
 * Issue 14, item 1: a timed FUTEX_WAIT must end with ETIMEDOUT only at its
 * deadline, even while process-directed signals that another thread takes
 * keep arriving; EINTR only when it took one itself.
 */
static volatile int timed_waiter_took;
static __thread int am_timed_waiter;
static uint32_t never_woken;

static void on_usr2(int sig)
{
	(void)sig;
	if (am_timed_waiter)
		timed_waiter_took = 1;
}

struct timed_wait_result {
	long ret;
	int err;
	double seconds;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *timed_futex_waiter(void *arg)
{
	struct timed_wait_result *r = arg;
	struct timespec timeout = {0, 600 * 1000 * 1000};
	double start;

	am_timed_waiter = 1;
	pthread_barrier_wait(&kill_barrier);
	start = now_s();
	r->ret = syscall(SYS_futex, &never_woken, FUTEX_WAIT_PRIVATE, 0,
			 &timeout, NULL, 0);
	r->err = errno;
	r->seconds = now_s() - start;
	return NULL;
}

static void timed_futex_wait_outlasts_others_signals(void)
{
	struct timed_wait_result r = {0, 0, 0};
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	timed_waiter_took = 0;
	pthread_barrier_init(&kill_barrier, NULL, 2);
	pthread_create(&t, NULL, timed_futex_waiter, &r);
	pthread_barrier_wait(&kill_barrier);
	/* 30 process-directed signals over ~300 ms, while it waits 600. */
	for (int i = 0; i < 30; i++) {
		kill(getpid(), SIGUSR2);
		usleep(10 * 1000);
	}
	pthread_join(t, NULL);
	pthread_barrier_destroy(&kill_barrier);
	signal(SIGUSR2, SIG_DFL);
	CHECK_EQ_INT(r.ret, -1);
	/* EINTR only for a signal it took itself; else the whole wait. */
	CHECK_EQ_INT(r.err, timed_waiter_took ? EINTR : ETIMEDOUT);
	CHECK(timed_waiter_took || r.seconds >= 0.59);
}

/*
 * Issue 14, item 2: a process-directed signal goes to the main thread
 * when it does not block it (Linux's complete_signal), even when another
 * thread sends it and the main thread sleeps in a futex: the wait ends
 * with EINTR and the handler runs there.
 */
static volatile int usr1_main_tid;

static void on_usr1_record(int sig)
{
	(void)sig;
	usr1_main_tid = (int)gettid();
}

static void *send_usr1_to_process(void *arg)
{
	(void)arg;
	usleep(50 * 1000); /* let the main thread go to sleep */
	kill(getpid(), SIGUSR1);
	return NULL;
}

static void process_signal_interrupts_main_thread(void)
{
	struct timespec timeout = {2, 0};
	struct sigaction sa;
	pthread_t t;
	uint32_t word = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1_record;
	sigaction(SIGUSR1, &sa, NULL);
	usr1_main_tid = 0;
	pthread_create(&t, NULL, send_usr1_to_process, NULL);
	long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &timeout,
			 NULL, 0);
	int err = errno;
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(err, EINTR);
	CHECK_EQ_INT(usr1_main_tid, (int)gettid());
}

int main(void)
{
	abi_init("threads");
	ABI_RUN(process_signal_interrupts_main_thread);
	ABI_RUN(timed_futex_wait_outlasts_others_signals);
	ABI_RUN(create_and_join_eight);
	ABI_RUN(mutex_counter_is_exact);
	ABI_RUN(cond_ping_pong_alternates);
	ABI_RUN(barrier_releases_all_together);
	ABI_RUN(rwlock_readers_share_writers_exclude);
	ABI_RUN(tls_and_gettid_are_per_thread);
	ABI_RUN(pthread_once_runs_once);
	ABI_RUN(raw_futex_wait_and_wake);
	ABI_RUN(clone_child_keeps_callee_saved);
	ABI_RUN(sched_yield_and_affinity);
	ABI_RUN(detached_thread_finishes);
	ABI_RUN(thread_with_small_stack);
	ABI_RUN(pthread_kill_targets_one_thread);
	return abi_done();
}
