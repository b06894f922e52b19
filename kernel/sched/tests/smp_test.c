/*
 * Self-tests of the scheduler across CPUs (`--test=smp`, and under -smp 1,
 * 2 and 4 in make test): busy threads spread over the CPUs, affinity moves
 * a thread where it is told, timers are accurate on every CPU, wakeups
 * between CPUs lose nothing (also when a wakeup races the sleep it ends),
 * and TLB shootdown reaches the other CPUs.
 * With one CPU the cross-CPU parts degenerate but still run.
 */
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "kernel/tests/selftest.h"

#define MS 1000000ull

/* ---- busy threads end up on different CPUs ---- */
static uint64_t seen_cpus[MAX_CPUS]; /* per thread: CPUs it ran on */
static int stop_spinning;

static void spin_and_record(void *arg)
{
	uint64_t *seen = arg;

	while (!__atomic_load_n(&stop_spinning, __ATOMIC_ACQUIRE))
		__atomic_fetch_or(seen, 1ull << cpu_id(), __ATOMIC_RELAXED);
}

static int spread(void)
{
	int failures = 0;
	unsigned n = cpu_count * 2;
	struct thread *ts[2 * MAX_CPUS];
	uint64_t all = 0, now_on[2 * MAX_CPUS];
	unsigned loads[MAX_CPUS] = {0};

	if (n > ARRAY_SIZE(ts))
		n = ARRAY_SIZE(ts);
	stop_spinning = 0;
	for (unsigned i = 0; i < n; i++) {
		seen_cpus[i % MAX_CPUS] = 0;
		ts[i] = thread_create("spinner", spin_and_record,
				      &seen_cpus[i % MAX_CPUS], 0);
		CHECK(ts[i] != NULL);
	}
	/* Long enough for slices to end and the balancer to act. */
	thread_sleep_ns(200 * MS);
	for (unsigned i = 0; i < n; i++) {
		now_on[i] = __atomic_exchange_n(&seen_cpus[i], 0, __ATOMIC_RELAXED);
		all |= now_on[i];
	}
	/* Long enough that a vCPU the host leaves waiting for a while
	 * (TCG vCPUs on a busy host) still runs a thread within it. */
	thread_sleep_ns(150 * MS);
	/* Where each ran lately: every CPU should have about two. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t s = __atomic_load_n(&seen_cpus[i], __ATOMIC_RELAXED);

		for (unsigned c = 0; c < cpu_count; c++)
			if (s & (1ull << c))
				loads[c]++;
	}
	__atomic_store_n(&stop_spinning, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		if (ts[i])
			thread_join(ts[i]);
	CHECK_EQ(all, sched_online_mask());
	for (unsigned c = 0; c < cpu_count; c++)
		CHECK(loads[c] >= 1);
	return failures;
}

/* ---- affinity moves a thread, and keeps it there ---- */
static int affinity(void)
{
	int failures = 0;
	struct thread *me = current_thread();
	uint64_t old = me->affinity;

	for (unsigned c = 0; c < cpu_count; c++) {
		CHECK_EQ(thread_set_affinity(me, 1ull << c), 0);
		CHECK_EQ(cpu_id(), c);
		thread_yield();
		CHECK_EQ(cpu_id(), c);
		thread_sleep_ns(1 * MS);
		CHECK_EQ(cpu_id(), c);
	}
	/* Only offline CPUs: refused, nothing changes. */
	if (cpu_count < 64) {
		CHECK_EQ(thread_set_affinity(me, 1ull << 63), -EINVAL);
		CHECK_EQ(me->affinity, 1ull << (cpu_count - 1));
	}
	CHECK_EQ(thread_set_affinity(me, old), 0);
	return failures;
}

/* ---- timers fire on time on every CPU ---- */
static int timers_everywhere(void)
{
	int failures = 0;
	struct thread *me = current_thread();
	uint64_t old = me->affinity;

	for (unsigned c = 0; c < cpu_count; c++) {
		CHECK_EQ(thread_set_affinity(me, 1ull << c), 0);
		uint64_t t0 = clock_monotonic_ns();

		thread_sleep_ns(5 * MS);
		uint64_t took = clock_monotonic_ns() - t0;
		CHECK(took >= 5 * MS);
		CHECK(took <= 105 * MS); /* TCG on a loaded host is slow */
		CHECK_EQ(cpu_id(), c);
	}
	thread_set_affinity(me, old);
	return failures;
}

/* ---- ping-pong between two CPUs: no wakeup lost ---- */
#define ROUNDS 2000
static struct semaphore ping, pong;
static int pongs;

static void ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		sem_down(&ping);
		pongs++;
		sem_up(&pong);
	}
}

static int cross_cpu_wakeups(void)
{
	int failures = 0;
	struct thread *me = current_thread();
	uint64_t old = me->affinity;

	sem_init(&ping, 0);
	sem_init(&pong, 0);
	pongs = 0;
	thread_set_affinity(me, 1);
	struct thread *t = thread_create("ponger", ponger, NULL, THREAD_SUSPENDED);
	CHECK(t != NULL);
	if (!t)
		return failures;
	thread_set_affinity(t, cpu_count > 1 ? 2 : 1);
	thread_start(t);
	for (int i = 0; i < ROUNDS; i++) {
		sem_up(&ping);
		sem_down(&pong);
		if (pongs != i + 1)
			break;
	}
	CHECK_EQ(pongs, ROUNDS);
	thread_join(t);
	thread_set_affinity(me, old);
	return failures;
}

/*
 * ---- racing a wakeup against the sleep it ends ----
 * Each round, a waker on one CPU and a sleeper on another start together
 * (both watch `go`); the sleeper runs the wait pattern on a flag while
 * the waker sets the flag with a release store (as waiter_wake does) and
 * calls thread_wake, after a delay that differs from round to round, so
 * that the two sides meet at every offset. A wakeup lost to store/load
 * reordering (the waker reading the state before its flag store is
 * visible, while the sleeper reads the flag before its state store is)
 * leaves the sleeper asleep until its deadline: counted as lost.
 */
#define RACE_MAX_ROUNDS 100000
#define RACE_RUN_NS (200 * MS)
/* Far beyond any delay a busy host adds: a wait this long was lost. */
#define RACE_LOST_NS (1000 * MS)
static int race_go, race_done, race_flag; /* atomic */
static int race_lost;
static struct thread *race_sleeper;

static bool race_flag_up(void *unused)
{
	return __atomic_load_n(&race_flag, __ATOMIC_ACQUIRE);
}

/* spin-ok: a test that lines two CPUs up, bounded by RACE_LOST_NS.
 * False on timeout or when the word turns negative (the end). */
static bool race_wait_for(int *word, int value)
{
	uint64_t end = clock_monotonic_ns() + RACE_LOST_NS;
	int v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != value)
		if (v < 0 || clock_monotonic_ns() > end)
			return false;
		else if (cpu_count == 1)
			thread_yield(); /* the other side needs this CPU */
	return true;
}

static void race_sleeper_main(void *arg)
{
	for (int r = 1; r <= RACE_MAX_ROUNDS; r++) {
		if (!race_wait_for(&race_go, r))
			break;
		uint64_t start = clock_monotonic_ns();
		sched_wait_for(race_flag_up, NULL, start + RACE_LOST_NS);
		if (clock_monotonic_ns() - start >= RACE_LOST_NS)
			race_lost++;
		__atomic_store_n(&race_flag, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&race_done, r, __ATOMIC_RELEASE);
	}
}

static int wake_races(void)
{
	int failures = 0, r;
	struct thread *me = current_thread();
	uint64_t old = me->affinity, end = clock_monotonic_ns() + RACE_RUN_NS;

	race_go = race_done = race_flag = race_lost = 0;
	thread_set_affinity(me, 1);
	race_sleeper = thread_create("race", race_sleeper_main, NULL,
				     THREAD_SUSPENDED);
	CHECK(race_sleeper != NULL);
	if (!race_sleeper)
		return failures;
	thread_set_affinity(race_sleeper, cpu_count > 1 ? 2 : 1);
	thread_start(race_sleeper);
	for (r = 1; r <= RACE_MAX_ROUNDS && clock_monotonic_ns() < end; r++) {
		__atomic_store_n(&race_go, r, __ATOMIC_RELEASE);
		for (volatile int d = 0; d < r % 1999; d++)
			;
		__atomic_store_n(&race_flag, 1, __ATOMIC_RELEASE);
		thread_wake(race_sleeper);
		if (!race_wait_for(&race_done, r))
			break;
	}
	__atomic_store_n(&race_go, -1, __ATOMIC_RELEASE);
	thread_join(race_sleeper);
	thread_set_affinity(me, old);
	kprintf("  %d wakeups raced against their sleeps\n", r - 1);
	CHECK_EQ(race_lost, 0);
	CHECK(r > 1); /* it ran (a busy host may allow only a few rounds) */
	return failures;
}

/*
 * ---- a page remapped on one CPU is seen anew by the others ----
 * Another CPU reads a page (caching the translation), this CPU maps a
 * different frame at the same address, and the other CPU must read the
 * new frame: once while it is busy (it takes the shootdown interrupt) and
 * once while it sleeps and its CPU idles (it catches up on waking).
 */
static volatile uint64_t *remap_va;
static uint64_t reads[4];
static struct semaphore remapped, was_read;

static void reader(void *arg)
{
	bool busy = arg != NULL;

	for (int round = 0; round < 2; round++) {
		reads[round * 2] = *remap_va;
		sem_up(&was_read);
		if (busy) { /* stay on the CPU until the remap is done */
			while (!sem_trydown(&remapped))
				thread_yield();
		} else {
			sem_down(&remapped);
		}
		reads[round * 2 + 1] = *remap_va;
		sem_up(&was_read);
	}
}

static int remap_seen(bool busy)
{
	int failures = 0;
	void *page = mm_stack_alloc(PAGE_SIZE);
	uint64_t va = (uint64_t)page, old_pa;

	CHECK(page != NULL);
	if (!page)
		return failures;
	remap_va = page;
	*remap_va = 1;
	sem_init(&remapped, 0);
	sem_init(&was_read, 0);
	struct thread *t = thread_create("reader", reader, busy ? page : NULL,
					 THREAD_SUSPENDED);
	thread_set_affinity(t, cpu_count > 1 ? 2 : 1);
	thread_start(t);
	for (uint64_t v = 2; v <= 3; v++) {
		sem_down(&was_read);
		uint64_t fresh = pmm_alloc(0);

		CHECK(fresh != 0);
		*(uint64_t *)phys_to_virt(fresh) = v;
		CHECK(vm_translate(kernel_pml4, va, &old_pa, NULL));
		CHECK_EQ(vm_unmap(kernel_pml4, va, PAGE_SIZE), 0);
		pmm_free(old_pa, 0);
		CHECK_EQ(vm_map(kernel_pml4, va, fresh, PAGE_SIZE,
				PTE_W | PTE_NX | PTE_G), 0);
		sem_up(&remapped);
		sem_down(&was_read);
	}
	thread_join(t);
	CHECK_EQ(reads[0], 1);
	CHECK_EQ(reads[1], 2);
	CHECK_EQ(reads[2], 2);
	CHECK_EQ(reads[3], 3);
	mm_stack_free(page, PAGE_SIZE);
	return failures;
}

static int shootdown(void)
{
	struct thread *me = current_thread();
	uint64_t old = me->affinity;
	int failures;

	thread_set_affinity(me, 1);
	failures = remap_seen(true) + remap_seen(false);
	thread_set_affinity(me, old);
	return failures;
}

static int smp_test(void)
{
	kprintf("  %u CPUs\n", cpu_count);
	return spread() + affinity() + timers_everywhere() +
	       cross_cpu_wakeups() + wake_races() + shootdown();
}
SELFTEST("smp", smp_test);
