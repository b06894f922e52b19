/*
 * Self-tests of RCU: readers that check a shared object while a writer
 * replaces it and poisons and frees the old one (after synchronize_rcu or
 * through call_rcu), and a grace period that must wait for a reader
 * holding its read section. Every loop is bounded in count and time.
 *
 * Where reader and writer share a CPU, the writer cannot run at all while
 * the reader is in its section (preemption is off); the tests race for
 * real when threads run on several CPUs.
 */
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "kernel/tests/selftest.h"

#define MS 1000000ull
#define POISON 0x6b6b6b6b6b6b6b6bull /* Linux's POISON_FREE bytes */

/* ---- torture: readers check what the writer replaces ---- */
#define READERS 4
#define WRITES 3000
#define READS 200000
#define TORTURE_NS (3000 * MS)

struct obj {
	struct rcu_head rcu;
	uint64_t gen;
	uint64_t words[6]; /* each a function of gen */
	uint64_t check;
};

static struct obj *shared; /* rcu_assign_pointer / rcu_dereference */
static int writer_done;	   /* atomic */
static uint64_t deadline;
static int bad, backwards, call_rcu_freed; /* atomic */
static uint64_t reads_done;		   /* atomic */

static uint64_t word(uint64_t gen, int i)
{
	return gen * 0x9e3779b97f4a7c15ull + i;
}

static uint64_t checksum(const struct obj *o)
{
	uint64_t c = o->gen;

	for (int i = 0; i < 6; i++)
		c = c * 31 + o->words[i];
	return c;
}

static struct obj *obj_new(uint64_t gen)
{
	struct obj *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	o->gen = gen;
	for (int i = 0; i < 6; i++)
		o->words[i] = word(gen, i);
	o->check = checksum(o);
	return o;
}

static void obj_poison_free(struct obj *o)
{
	memset(o, 0x6b, sizeof(*o));
	free(o);
}

static void obj_free_rcu(struct rcu_head *h)
{
	obj_poison_free(container_of(h, struct obj, rcu));
	__atomic_fetch_add(&call_rcu_freed, 1, __ATOMIC_RELAXED);
}

/* In a read section: is o whole, and not older than what we saw last? */
static bool intact(const struct obj *o, uint64_t *last_gen)
{
	uint64_t gen = o->gen;

	if (gen == POISON || o->check != checksum(o))
		return false;
	for (int i = 0; i < 6; i++)
		if (o->words[i] != word(gen, i))
			return false;
	if (gen < *last_gen)
		__atomic_fetch_add(&backwards, 1, __ATOMIC_RELAXED);
	*last_gen = gen;
	return true;
}

static void reader(void *arg)
{
	uint64_t last_gen = 0;
	int i;

	for (i = 0; i < READS; i++) {
		if (__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE) ||
		    clock_monotonic_ns() > deadline)
			break;
		rcu_read_lock();
		struct obj *o = rcu_dereference(shared);
		/* Twice, with the writer free to run in between elsewhere. */
		if (!intact(o, &last_gen) || !intact(o, &last_gen))
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		rcu_read_unlock();
		if (i % 16 == 0)
			thread_yield();
	}
	__atomic_fetch_add(&reads_done, i, __ATOMIC_RELAXED);
}

static int writes, deferred; /* the writer's */

static void writer(void *arg)
{
	for (writes = 0; writes < WRITES; writes++) {
		struct obj *o = obj_new(writes + 2), *old;

		if (!o || clock_monotonic_ns() > deadline) {
			free(o);
			break;
		}
		old = shared;
		rcu_assign_pointer(shared, o);
		if (writes % 2) {
			synchronize_rcu();
			obj_poison_free(old);
		} else {
			call_rcu(&old->rcu, obj_free_rcu);
			deferred++;
		}
		thread_yield();
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
}

static int torture(void)
{
	int failures = 0;
	struct thread *r[READERS], *w;

	shared = obj_new(1);
	if (!shared)
		return 1;
	writer_done = bad = backwards = call_rcu_freed = 0;
	reads_done = 0;
	deferred = 0;
	deadline = clock_monotonic_ns() + TORTURE_NS;
	for (int i = 0; i < READERS; i++)
		r[i] = thread_create("rcu-reader", reader, NULL, 0);
	w = thread_create("rcu-writer", writer, NULL, 0);
	CHECK(w != NULL);
	if (w)
		thread_join(w);
	for (int i = 0; i < READERS; i++) {
		CHECK(r[i] != NULL);
		if (r[i])
			thread_join(r[i]);
	}
	rcu_barrier();
	CHECK_EQ(bad, 0);
	CHECK_EQ(backwards, 0);
	CHECK_EQ(writes, WRITES);
	CHECK_EQ(call_rcu_freed, deferred);
	CHECK(reads_done >= WRITES);
	obj_poison_free(shared);
	shared = NULL;
	return failures;
}

/* ---- a grace period waits for a reader inside its read section ---- */
#define HOLD_NS (20 * MS)

static int inside;	     /* atomic: the reader is in its section */
static uint64_t left_ns;     /* atomic: when it left; 0 before */
static uint64_t callback_ns; /* atomic: when the callback ran */

static void holder(void *arg)
{
	rcu_read_lock();
	__atomic_store_n(&inside, 1, __ATOMIC_SEQ_CST);
	uint64_t until = clock_monotonic_ns() + HOLD_NS;
	/* spin-ok: a test reader holding its section for HOLD_NS, and a
	 * reader may not sleep */
	while (clock_monotonic_ns() < until)
		cpu_relax();
	__atomic_store_n(&left_ns, clock_monotonic_ns(), __ATOMIC_SEQ_CST);
	rcu_read_unlock();
}

static bool holder_inside(void *unused)
{
	return __atomic_load_n(&inside, __ATOMIC_SEQ_CST);
}

static void note_callback(struct rcu_head *h)
{
	__atomic_store_n(&callback_ns, clock_monotonic_ns(), __ATOMIC_SEQ_CST);
}

static int waits_for_reader(void)
{
	int failures = 0;
	struct rcu_head head;
	struct thread *t;

	inside = 0;
	left_ns = callback_ns = 0;
	t = thread_create("rcu-holder", holder, NULL, 0);
	if (!t)
		return 1;
	/* Poll with naps: on one CPU the holder runs until it leaves. */
	for (int i = 0; i < 1000 && !holder_inside(NULL); i++)
		thread_sleep_ns(MS / 10);
	CHECK(holder_inside(NULL));
	call_rcu(&head, note_callback);
	synchronize_rcu();
	uint64_t returned = clock_monotonic_ns();
	uint64_t left = __atomic_load_n(&left_ns, __ATOMIC_SEQ_CST);
	CHECK(left != 0);
	CHECK(returned >= left);
	rcu_barrier();
	CHECK(callback_ns >= left && left != 0);
	thread_join(t);
	return failures;
}

/* ---- read sections nest; synchronize_rcu with nothing to wait for ---- */
static int basics(void)
{
	int failures = 0;
	int before = this_cpu()->preempt_count;

	rcu_read_lock();
	rcu_read_lock();
	CHECK_EQ(this_cpu()->preempt_count, before + 2);
	rcu_read_unlock();
	CHECK_EQ(this_cpu()->preempt_count, before + 1);
	rcu_read_unlock();
	CHECK_EQ(this_cpu()->preempt_count, before);
	for (int i = 0; i < 100; i++)
		synchronize_rcu();
	rcu_barrier();
	return failures;
}

static int rcu_test(void)
{
	return basics() + waits_for_reader() + torture();
}
SELFTEST("rcu", rcu_test);
