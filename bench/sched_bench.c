/*
 * Scheduler costs, the same static binary in Osprey and in the Linux
 * guest (bench/sched.sh runs both). One line per figure:
 *
 *   SCHED <name> <value> ns (<what one op is>; <details>)
 *   SCHED <name> unavailable: <reason>
 *
 * Figures:
 *   condvar_pingpong_samecpu    two threads pinned to CPU 0 hand a turn to
 *                               each other through a mutex and a condvar:
 *                               ns per switch (a round trip is two)
 *   thread_create_join          pthread_create + pthread_join of an empty
 *                               thread, from a thread pinned to CPU 0:
 *                               ns per pair
 *   condvar_pingpong_crosscpu   the ping-pong with the threads on CPU 0 and
 *                               CPU 1: ns per hand-over
 *   futex_wake_latency_crosscpu a thread on CPU 1 sleeps in FUTEX_WAIT; one
 *                               on CPU 0 reads CLOCK_MONOTONIC and
 *                               FUTEX_WAKEs it; the woken thread reads the
 *                               clock again: median ns from before the wake
 *                               to the sleeper running, over the rounds in
 *                               which FUTEX_WAKE found it asleep
 *
 *   sched_bench [SCALE]   (default 1: about 2 s of guest time per figure)
 *
 * Every loop is bounded both by a count and by guest time (both times
 * SCALE), so a slow guest (TCG, -icount) ends in about the same guest time
 * as a fast one. A pin that the kernel refuses (sched_setaffinity fails, or
 * the thread is not on the CPU it asked for afterwards) makes its figures
 * unavailable instead of wrong; alarm() ends a run that hangs (the lines
 * printed so far stay).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5	     /* ping-pong and create+join: median of these */
#define FIGURE_S 2.0	     /* guest seconds per figure, times SCALE */
#define PINGPONG_MAX 1000000 /* round trips per round, times SCALE */
#define CREATE_MAX 200000    /* create+join pairs per round, times SCALE */
#define WAKE_MAX 5000	     /* wake-latency rounds, times SCALE */
#define WAKE_DELAY_NS 200000 /* let the sleeper reach FUTEX_WAIT */
/* A hang ends the run after ALARM_S plus 60 s per unit of SCALE. */
#define ALARM_S 60

static double scale = 1.0;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static long bounded(double n)
{
	return n < 1 ? 1 : (long)n;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void unavailable(const char *name, const char *reason)
{
	printf("SCHED %s unavailable: %s\n", name, reason);
	fflush(stdout);
}

/* Prints the median of ns[0..ROUNDS) with its spread; ops in all rounds. */
static void report_rounds(const char *name, const char *op, double *ns,
			  long ops)
{
	qsort(ns, ROUNDS, sizeof(*ns), cmp_double);
	printf("SCHED %s %.1f ns (per %s; min %.1f max %.1f; %ld ops, "
	       "median of %d rounds)\n",
	       name, ns[ROUNDS / 2], op, ns[0], ns[ROUNDS - 1], ops, ROUNDS);
	fflush(stdout);
}

/*
 * Pins the calling thread to CPU `cpu` and checks that it runs there.
 * Returns 0, or writes why not into why[len] and returns -1.
 */
static int pin_self(int cpu, char *why, size_t len)
{
	cpu_set_t set;
	int on;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		snprintf(why, len, "sched_setaffinity(CPU %d): %s", cpu,
			 strerror(errno));
		return -1;
	}
	on = sched_getcpu();
	if (on != cpu) {
		snprintf(why, len, "pinned to CPU %d but running on CPU %d",
			 cpu, on);
		return -1;
	}
	return 0;
}

/* Can a thread be pinned to `cpu`? Tried on the caller, then undone. */
static int probe_cpu(int cpu, char *why, size_t len)
{
	cpu_set_t saved;
	int r;

	if (sched_getaffinity(0, sizeof(saved), &saved) != 0) {
		snprintf(why, len, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	r = pin_self(cpu, why, len);
	sched_setaffinity(0, sizeof(saved), &saved);
	return r;
}

static long futex(atomic_int *addr, int op, int val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* ---- condvar ping-pong ------------------------------------------------ */

/*
 * Thread `id` waits until turn == id, then hands the turn to the other.
 * Thread 0 counts its turns and ends the round (stop) when the count or
 * the time runs out; the other sees stop instead of its turn.
 */
struct pingpong {
	int cpu[2];
	long max;		 /* round trips */
	long long limit_ns;	 /* guest time */
	pthread_barrier_t ready; /* both pinned (or failed) */
	atomic_int pin_failed;
	char why[128]; /* written by the thread whose pin failed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int turn;
	int stop;
	/* written by thread 0, read after both joined */
	long trips;
	long long elapsed_ns;
};

struct pingpong_arg {
	struct pingpong *pp;
	int id;
};

static void pingpong_turns(struct pingpong *pp, int me)
{
	long long t0 = 0;
	long n = 0;

	pthread_mutex_lock(&pp->mu);
	for (;;) {
		while (pp->turn != me && !pp->stop)
			pthread_cond_wait(&pp->cv, &pp->mu);
		if (pp->stop)
			break;
		if (me == 0) {
			if (n++ == 0)
				t0 = now_ns();
			if (n > pp->max ||
			    ((n & 63) == 0 && now_ns() - t0 > pp->limit_ns)) {
				pp->elapsed_ns = now_ns() - t0;
				pp->trips = n - 1;
				pp->stop = 1;
				pthread_cond_signal(&pp->cv);
				break;
			}
		}
		pp->turn = 1 - me;
		pthread_cond_signal(&pp->cv);
	}
	pthread_mutex_unlock(&pp->mu);
}

static void *pingpong_thread(void *p)
{
	struct pingpong_arg *a = p;
	struct pingpong *pp = a->pp;
	char why[128];

	if (pin_self(pp->cpu[a->id], why, sizeof(why)) != 0 &&
	    !atomic_exchange(&pp->pin_failed, 1))
		snprintf(pp->why, sizeof(pp->why), "%s", why);
	pthread_barrier_wait(&pp->ready);
	if (!atomic_load(&pp->pin_failed))
		pingpong_turns(pp, a->id);
	return NULL;
}

/*
 * One round; returns ns per hand-over and adds the hand-overs to *ops, or
 * returns -1 with the reason in why.
 */
static double pingpong_round(int cpu0, int cpu1, long max, long *ops, char *why,
			     size_t len)
{
	struct pingpong pp = {.cpu = {cpu0, cpu1},
			      .max = max,
			      .limit_ns = FIGURE_S * scale * 1e9 / ROUNDS};
	struct pingpong_arg a[2] = {{&pp, 0}, {&pp, 1}};
	pthread_t th[2];
	double ns = -1;
	int i, err;

	pthread_barrier_init(&pp.ready, NULL, 2);
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	for (i = 0; i < 2; i++) {
		err = pthread_create(&th[i], NULL, pingpong_thread, &a[i]);
		if (err) {
			snprintf(why, len, "pthread_create: %s", strerror(err));
			/* The first thread waits at the barrier: fail it. */
			if (i == 1) {
				atomic_store(&pp.pin_failed, 1);
				pthread_barrier_wait(&pp.ready);
				pthread_join(th[0], NULL);
			}
			goto out;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&pp.pin_failed)) {
		snprintf(why, len, "%s", pp.why);
	} else if (pp.trips < 1) {
		snprintf(why, len, "no round trip in the time limit");
	} else {
		ns = (double)pp.elapsed_ns / (2.0 * pp.trips);
		*ops += 2 * pp.trips;
	}
out:
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
	pthread_barrier_destroy(&pp.ready);
	return ns;
}

static void bench_pingpong(const char *name, const char *op, int cpu0, int cpu1)
{
	long max = bounded(PINGPONG_MAX * scale), ops = 0;
	double ns[ROUNDS];
	char why[160];

	if (probe_cpu(cpu0, why, sizeof(why)) != 0 ||
	    probe_cpu(cpu1, why, sizeof(why)) != 0) {
		unavailable(name, why);
		return;
	}
	for (int r = 0; r < ROUNDS; r++) {
		ns[r] = pingpong_round(cpu0, cpu1, max, &ops, why, sizeof(why));
		if (ns[r] < 0) {
			unavailable(name, why);
			return;
		}
	}
	report_rounds(name, op, ns, ops);
}

/* ---- thread creation + join ------------------------------------------ */

static void *empty_thread(void *p)
{
	return p;
}

/*
 * ns per create+join pair over one round, adding the pairs to *ops; or -1
 * with pthread_create's error in *err.
 */
static double create_join_round(long max, long *ops, int *err)
{
	long long limit = FIGURE_S * scale * 1e9 / ROUNDS, t0 = now_ns();
	pthread_t t;
	long n;

	for (n = 0; n < max; n++) {
		*err = pthread_create(&t, NULL, empty_thread, NULL);
		if (*err)
			return -1;
		pthread_join(t, NULL);
		if ((n & 15) == 0 && now_ns() - t0 > limit) {
			n++;
			break;
		}
	}
	*ops += n;
	return (double)(now_ns() - t0) / n;
}

/* Runs on its own thread so that pinning it leaves main's mask alone. */
static void *create_join_main(void *p)
{
	const char *name = "thread_create_join";
	long max = bounded(CREATE_MAX * scale), ops = 0;
	double ns[ROUNDS];
	char why[160];
	int err;

	if (pin_self(0, why, sizeof(why)) != 0) {
		unavailable(name, why);
		return p;
	}
	for (int r = 0; r < ROUNDS; r++) {
		ns[r] = create_join_round(max, &ops, &err);
		if (ns[r] < 0) {
			snprintf(why, sizeof(why), "pthread_create: %s",
				 strerror(err));
			unavailable(name, why);
			return p;
		}
	}
	report_rounds(name, "create+join", ns, ops);
	return p;
}

static void bench_create_join(void)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, create_join_main, NULL);

	if (err)
		unavailable("thread_create_join", strerror(err));
	else
		pthread_join(t, NULL);
}

/* ---- futex wake latency across CPUs ----------------------------------- */

/*
 * Round k (from 1): the sleeper (CPU 1) publishes armed = k and waits on
 * word while it is k - 1. The waker (CPU 0) sees armed == k, spins for
 * WAKE_DELAY_NS so that the sleeper is inside FUTEX_WAIT, stores t_wake,
 * sets word = k and FUTEX_WAKEs; woke[k] records whether the wake found
 * a sleeper (a round where it did not measures nothing and is dropped).
 * The sleeper, running again, stores lat[k] = now - t_wake and acks = k;
 * the waker waits for that ack before the next round. stop ends the run.
 */
struct wakelat {
	long max;
	long long limit_ns;
	pthread_barrier_t ready;
	atomic_int pin_failed;
	char why[128];
	atomic_int word;  /* futex: round the sleeper may finish */
	atomic_int armed; /* round the sleeper is about to wait for */
	atomic_int ack;	  /* futex: round the sleeper finished */
	atomic_int stop;
	atomic_llong t_wake; /* written before word, read after */
	long long *lat;	     /* [max + 1], written by the sleeper */
	char *woke;	     /* [max + 1], written by the waker */
	long rounds;	     /* written by the waker */
};

static void *wake_sleeper(void *p)
{
	struct wakelat *w = p;
	char why[128];

	if (pin_self(1, why, sizeof(why)) != 0 &&
	    !atomic_exchange(&w->pin_failed, 1))
		snprintf(w->why, sizeof(w->why), "%s", why);
	pthread_barrier_wait(&w->ready);
	if (atomic_load(&w->pin_failed))
		return NULL;
	for (int k = 1;; k++) {
		atomic_store(&w->armed, k);
		while (atomic_load(&w->word) == k - 1 && !atomic_load(&w->stop))
			futex(&w->word, FUTEX_WAIT_PRIVATE, k - 1);
		if (atomic_load(&w->stop))
			break;
		w->lat[k] = now_ns() - atomic_load(&w->t_wake);
		atomic_store(&w->ack, k);
		futex(&w->ack, FUTEX_WAKE_PRIVATE, 1);
	}
	return NULL;
}

static void wake_waker(struct wakelat *w)
{
	long long t0 = now_ns(), t;
	long k;
	int a;

	for (k = 1; k <= w->max && now_ns() - t0 < w->limit_ns; k++) {
		while (atomic_load(&w->armed) != k)
			;
		t = now_ns();
		while (now_ns() - t < WAKE_DELAY_NS)
			;
		atomic_store(&w->t_wake, now_ns());
		atomic_store(&w->word, k);
		w->woke[k] = futex(&w->word, FUTEX_WAKE_PRIVATE, 1) == 1;
		while ((a = atomic_load(&w->ack)) != k)
			futex(&w->ack, FUTEX_WAIT_PRIVATE, a);
	}
	w->rounds = k - 1;
	/* word leaves k - 1 too, so a sleeper about to wait does not. */
	atomic_store(&w->stop, 1);
	atomic_store(&w->word, -1);
	futex(&w->word, FUTEX_WAKE_PRIVATE, 1);
}

static void *wake_waker_thread(void *p)
{
	struct wakelat *w = p;
	char why[128];

	if (pin_self(0, why, sizeof(why)) != 0 &&
	    !atomic_exchange(&w->pin_failed, 1))
		snprintf(w->why, sizeof(w->why), "%s", why);
	pthread_barrier_wait(&w->ready);
	if (!atomic_load(&w->pin_failed))
		wake_waker(w);
	return NULL;
}

static void wake_report(const char *name, struct wakelat *w)
{
	long n = 0, missed;

	for (long k = 1; k <= w->rounds; k++)
		if (w->woke[k])
			w->lat[n++] = w->lat[k];
	missed = w->rounds - n;
	if (n == 0) {
		unavailable(name, "FUTEX_WAKE never found the sleeper asleep");
		return;
	}
	qsort(w->lat, n, sizeof(*w->lat), cmp_ll);
	printf("SCHED %s %lld ns (median wake to run; p10 %lld p90 %lld; "
	       "%ld rounds, %ld dropped: sleeper not yet asleep)\n",
	       name, w->lat[n / 2], w->lat[n / 10], w->lat[n * 9 / 10], n,
	       missed);
	fflush(stdout);
}

static void bench_wake_latency(void)
{
	const char *name = "futex_wake_latency_crosscpu";
	struct wakelat w = {.max = bounded(WAKE_MAX * scale),
			    .limit_ns = FIGURE_S * scale * 1e9};
	pthread_t th[2];
	char why[160];
	int err;

	if (probe_cpu(0, why, sizeof(why)) != 0 ||
	    probe_cpu(1, why, sizeof(why)) != 0) {
		unavailable(name, why);
		return;
	}
	w.lat = calloc(w.max + 1, sizeof(*w.lat));
	w.woke = calloc(w.max + 1, 1);
	if (!w.lat || !w.woke) {
		unavailable(name, "out of memory");
		goto out_free;
	}
	pthread_barrier_init(&w.ready, NULL, 2);
	err = pthread_create(&th[0], NULL, wake_sleeper, &w);
	if (err) {
		unavailable(name, strerror(err));
		goto out_barrier;
	}
	err = pthread_create(&th[1], NULL, wake_waker_thread, &w);
	if (err) {
		/* The sleeper waits at the barrier: fail it. */
		atomic_store(&w.pin_failed, 1);
		pthread_barrier_wait(&w.ready);
		pthread_join(th[0], NULL);
		unavailable(name, strerror(err));
		goto out_barrier;
	}
	pthread_join(th[1], NULL);
	pthread_join(th[0], NULL);
	if (atomic_load(&w.pin_failed))
		unavailable(name, w.why);
	else
		wake_report(name, &w);
out_barrier:
	pthread_barrier_destroy(&w.ready);
out_free:
	free(w.woke);
	free(w.lat);
}

int main(int argc, char **argv)
{
	int ncpu = get_nprocs();
	char why[64];

	if (argc > 1 && atof(argv[1]) > 0)
		scale = atof(argv[1]);
	alarm(ALARM_S + (unsigned)(60 * scale));
	printf("SCHED-START cpus=%d scale=%g\n", ncpu, scale);
	fflush(stdout);

	bench_pingpong("condvar_pingpong_samecpu", "switch", 0, 0);
	bench_create_join();
	if (ncpu >= 2) {
		bench_pingpong("condvar_pingpong_crosscpu", "hand-over", 0, 1);
		bench_wake_latency();
	} else {
		snprintf(why, sizeof(why), "only %d CPU", ncpu);
		unavailable("condvar_pingpong_crosscpu", why);
		unavailable("futex_wake_latency_crosscpu", why);
	}
	printf("SCHED-DONE\n");
	fflush(stdout);
	return 0;
}
