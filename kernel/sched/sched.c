/*
 * The scheduler: one run queue per CPU, owned by its CPU and touched only
 * there, with interrupts off. Other CPUs reach a CPU through its `incoming`
 * stack, a lock-free LIFO of threads that should run there (woken or
 * migrated), which the owner drains whenever it schedules or takes the
 * wakeup IPI. No lock is shared between CPUs.
 *
 * Thread states (sched.h): a thread announces a wait (WAITING) and checks
 * its condition; only the scheduler, switching it out, moves it to
 * SLEEPING, and only then is it off every CPU and queue. A waker that
 * turns WAITING into RUNNING has nothing else to do (the thread has not
 * left); one that turns SLEEPING into RUNNING owns the thread and queues
 * it: on its CPU, or on an idle CPU when its own is busy and its registers
 * are saved (`on_cpu` clear).
 *
 * Policy: fair by runtime. Each queue is ordered by `vruntime`, the CPU
 * time a thread has had, scaled by its niceness (1.25^nice: a nice 10
 * thread's vruntime grows 9.3 times as fast, so it gets about a tenth of
 * the CPU a nice 0 one gets beside it); the lowest runs next, for a slice
 * of SLICE_NS while others wait. A thread arriving from sleep starts no
 * further back than WAKE_CREDIT_NS behind the queue's minimum, so sleepers
 * run soon but cannot bank time, and it preempts the running thread when
 * it is more than WAKE_GRANULARITY_NS behind it and that thread has run
 * MIN_RUN_NS (preempt_for).
 *
 * Real time (SCHED_FIFO, SCHED_RR): a thread with rt_prio > 0 queues on
 * the CPU's second list, `rt_rq`, by priority (highest first, FIFO among
 * equals), which pick_next empties before looking at the fair queue. A
 * real-time thread that wakes preempts at once anything of lower
 * priority (preempt_for), and nothing but a higher priority preempts it:
 * switched out while runnable it goes back at the head of its priority
 * (Linux's rule for a preempted FIFO thread), unless it yielded or, for
 * SCHED_RR, its timeslice (rr_end) is over, then at the tail. The fair
 * path pays one test of the rt list in pick_next and one of the two
 * threads' rt_prio in preempt_for and enqueue (same cache lines).
 *
 * Idle: a CPU with nothing to run announces POLLING and watches its
 * incoming stack, and the device queues registered as its idle pollers,
 * for POLL_NS, then announces HALTED, looks once more and halts. A waker
 * sends the wakeup IPI only to a HALTED CPU, or to a BUSY
 * one whose incoming stack it found empty (so that the thread does not
 * wait a slice behind a busy loop); a polling CPU needs none.
 *
 * Placement and balance: a new thread goes to the least loaded CPU it may
 * use (`load` counts the runnable threads a CPU holds); a CPU whose slice
 * ends with threads waiting pushes one to a CPU with at least two fewer.
 * Affinity is checked whenever a thread is picked or switched out.
 *
 * Tickless: the LAPIC timer is armed only for the earliest timer or, when
 * others wait to run, the end of the current slice.
 */
#include "kernel/sched/sched.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sync/sync.h"
#include "lib/lfstack.h"

#define SLICE_NS 10000000	      /* 10 ms */
#define WAKE_CREDIT_NS (SLICE_NS / 2) /* how far behind a sleeper may start */
#define WAKE_GRANULARITY_NS 1000000   /* lead needed to preempt on wakeup */
#define POLL_NS 100000		      /* idle polling before halting */
#define MIN_RUN_NS 500000	      /* before a wakeup may preempt */

enum { CPU_BUSY, CPU_POLLING, CPU_HALTED };

struct sched_cpu {
	/* owned by the CPU; interrupts off */
	struct list rq; /* by vruntime */
	struct list rt_rq; /* real-time threads, by priority (see above) */
	unsigned nr_queued;
	unsigned cpu; /* which one: this is sched_cpus[cpu] */
	struct thread *idle;
	struct thread *prev;	  /* the thread we just switched away from */
	struct thread *migrating; /* prev, to go to another CPU once off it */
	bool yielding;		  /* prev asked to let the others go first */
	uint64_t slice_end;	  /* TSC */
	uint64_t armed;		  /* TSC deadline the LAPIC holds, 0 if none */
	uint64_t min_vruntime;
	struct list timers; /* sorted by deadline */
	/* shared with other CPUs: atomic */
	struct thread *incoming __attribute__((aligned(64)));
	int idle_state;
	unsigned load;	     /* runnable threads here (running, queued, incoming) */
	int kick;	     /* asked to pass through the scheduler */
	uint64_t quiescent;  /* grows at every quiescent point, for RCU */
	int idle_irq;	     /* handling an interrupt taken from the idle loop */
	/* owned by the CPU: the address space CR3 holds (NULL: the first) */
	struct as *as;
} __attribute__((aligned(64)));

static struct sched_cpu sched_cpus[MAX_CPUS];
static int live_threads;
static int next_tid = 1;
uint64_t timer_interrupts;
static uint64_t slice_ticks, wake_credit, wake_granularity, poll_ticks;
static uint64_t min_run;

static struct thread boot_thread;
/* Detached threads that exited: a lock-free stack, freed by whoever
 * creates or joins a thread next (freeing may sleep; finish_switch may
 * not). */
static struct thread *zombies;
extern char boot_stack[], boot_stack_top[];
extern char thread_trampoline[];

#define SC __ATOMIC_SEQ_CST

/* One %gs-relative load, like cpu_id(): cannot be split by a move. */
static struct sched_cpu *my_sched(void)
{
	struct sched_cpu *sc;

	asm volatile("movq %%gs:%c1, %0"
		     : "=r"(sc)
		     : "i"(__builtin_offsetof(struct cpu, sched)));
	return sc;
}

static bool allowed(const struct thread *t, unsigned cpu)
{
	return __atomic_load_n(&t->affinity, __ATOMIC_RELAXED) & (1ull << cpu);
}

uint64_t sched_online_mask(void)
{
	unsigned n = __atomic_load_n(&cpu_count, __ATOMIC_ACQUIRE);

	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* ---- niceness ---- */
/* vruntime per unit of runtime for nice -20..19, times 2^32: 1.25^nice. */
static const uint64_t nice_scale[40] = {
	49517602, 61897002, 77371252, 96714066,
	120892582, 151115727, 188894659, 236118324,
	295147905, 368934881, 461168602, 576460752,
	720575940, 900719925, 1125899907, 1407374884,
	1759218604, 2199023256, 2748779069, 3435973837,
	4294967296, 5368709120, 6710886400, 8388608000,
	10485760000, 13107200000, 16384000000, 20480000000,
	25600000000, 32000000000, 40000000000, 50000000000,
	62500000000, 78125000000, 97656250000, 122070312500,
	152587890625, 190734863281, 238418579102, 298023223877,
};

/* What `ran` TSC ticks of CPU time add to t's vruntime. */
static uint64_t vruntime_delta(const struct thread *t, uint64_t ran)
{
	int nice = __atomic_load_n(&t->nice, __ATOMIC_RELAXED);

	if (nice == 0)
		return ran;
	return (uint64_t)(((unsigned __int128)ran * nice_scale[nice + 20]) >>
			  32);
}

void thread_set_nice(struct thread *t, int nice)
{
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	__atomic_store_n(&t->nice, nice, __ATOMIC_RELAXED);
}

void thread_set_rt(struct thread *t, int prio, bool rr)
{
	prio = prio < 0 ? 0 : prio > 99 ? 99 : prio;
	__atomic_store_n(&t->rt_rr, rr, __ATOMIC_RELAXED);
	__atomic_store_n(&t->rt_prio, prio, __ATOMIC_RELAXED);
	if (t == current_thread())
		this_cpu()->need_resched = true; /* requeued by its new rank */
}

int thread_nice(const struct thread *t)
{
	return __atomic_load_n(&t->nice, __ATOMIC_RELAXED);
}

/* ---- timers ---- */
/* Arms this CPU's LAPIC: sc must be this CPU's (a thread that slept in
 * schedule() may wake up on another CPU). */
static void program_next_event(struct sched_cpu *sc)
{
	uint64_t next = UINT64_MAX;

	assert(sc->cpu == cpu_id());

	if (!list_empty(&sc->timers))
		next = container_of(sc->timers.next, struct timer, link)->deadline;
	/* The slice's end only matters until a reschedule is asked for:
	 * after that, an interrupt that found the thread unpreemptible (in
	 * a preempt-disabled stretch) would only come again at once, before
	 * it gets to preempt_enable, which switches (under -icount, a
	 * deadline in the past fires before the next instruction: a storm
	 * with no progress at all). */
	if (sc->nr_queued && !this_cpu()->need_resched && sc->slice_end < next)
		next = sc->slice_end;
	/*
	 * Nothing due, or an interrupt already armed no later than needed:
	 * leave the LAPIC alone (re-arming it is an MMIO write or a wrmsr,
	 * a VM exit on a real hypervisor, and used to happen at every
	 * wakeup). An interrupt that comes earlier than needed finds
	 * nothing due and arms the next one; `armed` keeps saying what the
	 * LAPIC holds until timer_interrupt clears it.
	 */
	if (next == UINT64_MAX)
		return;
	/* armed > now also says that one is armed (armed 0: none). */
	if (sc->armed <= next && sc->armed > rdtsc())
		return;
	sc->armed = next;
	lapic_timer_arm(next);
}

void timer_init(struct timer *t, void (*fn)(struct timer *))
{
	list_init(&t->link);
	t->fn = fn;
	t->armed = false;
	t->cpu = NO_CPU;
}

/* On the timer's CPU, interrupts off. */
static void cancel_here(void *arg)
{
	struct timer *t = arg;

	if (t->armed && t->cpu == cpu_id()) {
		list_remove(&t->link);
		t->armed = false;
	}
}

void timer_cancel(struct timer *t)
{
	uint64_t flags = irq_save();
	unsigned cpu = t->cpu;

	if (cpu == cpu_id())
		cancel_here(t);
	else if (cpu != NO_CPU)
		xcall(cpu, cancel_here, t); /* also waits out a running fn */
	irq_restore(flags);
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
	uint64_t flags = irq_save();
	struct sched_cpu *sc = my_sched();

	if (t->cpu != cpu_id())
		timer_cancel(t);
	else if (t->armed)
		list_remove(&t->link);
	t->deadline = boot_entry_tsc + ns_to_tsc(deadline_ns);
	t->cpu = cpu_id();
	t->armed = true;
	struct list *pos = &sc->timers;
	list_for_each(it, &sc->timers)
	{
		if (container_of(it, struct timer, link)->deadline > t->deadline)
			break;
		pos = it;
	}
	list_insert_after(pos, &t->link);
	program_next_event(sc);
	irq_restore(flags);
}

/* ---- run queue ---- */
static uint64_t rr_ticks;

/* A real-time thread: after those of its priority and above, or (head)
 * before those of its priority. */
static __attribute__((noinline)) void rt_enqueue(struct sched_cpu *sc,
						 struct thread *t, bool head)
{
	struct list *pos = &sc->rt_rq;
	int p = t->rt_prio;

	for (struct list *l = sc->rt_rq.next; l != &sc->rt_rq; l = l->next) {
		int q = container_of(l, struct thread, rq_link)->rt_prio;

		if (q < p || (head && q == p)) {
			pos = l;
			break;
		}
	}
	t->on_rq = true;
	list_push_back(pos, &t->rq_link); /* just before pos */
	sc->nr_queued++;
}

/* Inline (as preempt_for): a same-CPU wakeup runs both, in arrive(). */
static inline __attribute__((always_inline)) void
enqueue(struct sched_cpu *sc, struct thread *t)
{
	struct list *pos = &sc->rq;

	assert(!t->on_rq);
	if (unlikely(t->rt_prio)) {
		rt_enqueue(sc, t, false);
		return;
	}
	t->on_rq = true;
	/* After every thread with no more runtime: FIFO among equals. */
	for (struct list *l = sc->rq.prev; l != &sc->rq; l = l->prev) {
		if (container_of(l, struct thread, rq_link)->vruntime <=
		    t->vruntime)
			break;
		pos = l;
	}
	list_push_back(pos, &t->rq_link); /* i.e. just before pos */
	sc->nr_queued++;
}

static void unqueue(struct sched_cpu *sc, struct thread *t)
{
	assert(t->on_rq);
	list_remove(&t->rq_link);
	t->on_rq = false;
	sc->nr_queued--;
}

/* Where a thread arriving on this CPU starts on its time scale. */
static void place(struct sched_cpu *sc, struct thread *t)
{
	uint64_t floor = sc->min_vruntime > wake_credit
				 ? sc->min_vruntime - wake_credit
				 : 0;

	if (t->vruntime_relative) {
		t->vruntime += sc->min_vruntime;
		t->vruntime_relative = false;
	}
	if (t->vruntime < floor)
		t->vruntime = floor;
}

/*
 * Whether `t`, just queued here, should take the CPU, and when: at once
 * if the CPU idles or the current thread may not stay; else if t is more
 * than WAKE_GRANULARITY_NS behind it, but only once the current thread
 * has run for MIN_RUN_NS since it got the CPU. The end of its slice moves
 * up to that moment (the timer interrupt preempts then). Without the
 * minimum run, two threads that wake each other (a condvar ping-pong)
 * keep preempting each other inside the wake, before the waker reaches
 * its own wait: every hand-over then costs extra switches.
 */
static inline __attribute__((always_inline)) void
preempt_for(struct sched_cpu *sc, struct thread *t)
{
	struct cpu *c = this_cpu();
	struct thread *cur = c->current;

	if (cur == sc->idle || !allowed(cur, sc->cpu)) {
		c->need_resched = true;
		return;
	}
	if (unlikely(t->rt_prio | cur->rt_prio)) {
		if (t->rt_prio > cur->rt_prio)
			c->need_resched = true;
		return;
	}
	uint64_t ran = rdtsc() - cur->switched_in_tsc;
	if (t->vruntime + wake_granularity >=
	    cur->vruntime + vruntime_delta(cur, ran))
		return;
	if (ran >= min_run)
		c->need_resched = true;
	else if (cur->switched_in_tsc + min_run < sc->slice_end)
		sc->slice_end = cur->switched_in_tsc + min_run;
}

static void arrive(struct sched_cpu *sc, struct thread *t)
{
	place(sc, t);
	enqueue(sc, t);
	preempt_for(sc, t);
}

static __attribute__((noinline)) void drain_some(struct sched_cpu *sc)
{
	struct thread *t = __atomic_exchange_n(&sc->incoming, NULL, SC);

	while (t) {
		struct thread *next = t->incoming_next;

		arrive(sc, t);
		t = next;
	}
}

static inline void drain_incoming(struct sched_cpu *sc)
{
	if (__atomic_load_n(&sc->incoming, __ATOMIC_RELAXED))
		drain_some(sc);
}

/* Gets the CPU to look at its incoming stack; `was_empty`: we pushed the
 * first thread there. */
static void kick(unsigned cpu, bool was_empty)
{
	struct sched_cpu *sc = &sched_cpus[cpu];
	int state = __atomic_load_n(&sc->idle_state, SC);

	if (state == CPU_POLLING)
		return; /* it is watching */
	if (state == CPU_HALTED) {
		if (__atomic_compare_exchange_n(&sc->idle_state, &state,
						CPU_BUSY, false, SC, SC))
			arch_send_ipi(cpu, VEC_IPI_WAKE);
		return;
	}
	if (was_empty)
		arch_send_ipi(cpu, VEC_IPI_WAKE);
}

/* Hands a runnable thread nobody else holds to `cpu`. Interrupts off. */
static void send_to(struct thread *t, unsigned cpu)
{
	struct sched_cpu *sc = &sched_cpus[cpu];

	t->cpu = cpu;
	__atomic_fetch_add(&sc->load, 1, SC);
	if (sc == my_sched()) {
		arrive(sc, t);
		program_next_event(sc);
		return;
	}
	kick(cpu, lfstack_push(&sc->incoming, t, incoming_next) == NULL);
}

/* Moves a thread this CPU holds (not running, not queued) to `cpu`. */
static void migrate(struct sched_cpu *sc, struct thread *t, unsigned cpu)
{
	t->vruntime = t->vruntime > sc->min_vruntime
			      ? t->vruntime - sc->min_vruntime
			      : 0;
	t->vruntime_relative = true;
	__atomic_fetch_sub(&sc->load, 1, SC);
	send_to(t, cpu);
}

/* The allowed CPU with the least load, `prefer` winning ties. */
static unsigned least_loaded(const struct thread *t, unsigned prefer)
{
	unsigned best = NO_CPU, best_load = ~0u;
	unsigned n = __atomic_load_n(&cpu_count, __ATOMIC_ACQUIRE);

	if (prefer < n && allowed(t, prefer)) {
		best = prefer;
		best_load = __atomic_load_n(&sched_cpus[prefer].load, SC);
	}
	for (unsigned i = 0; i < n && best_load; i++) {
		unsigned l = __atomic_load_n(&sched_cpus[i].load, SC);

		if (allowed(t, i) && l < best_load) {
			best = i;
			best_load = l;
		}
	}
	return best == NO_CPU ? 0 : best;
}

/* An idle CPU `t` may use, else its own. */
static unsigned wake_target(const struct thread *t)
{
	unsigned home = t->cpu, n = __atomic_load_n(&cpu_count, __ATOMIC_ACQUIRE);
	uint64_t mask = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED);

	if (mask == 1ull << home)
		return home; /* pinned there: no other choice */
	if ((mask & (1ull << home)) && sched_cpu_idle(home))
		return home;
	if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		return home; /* still being switched out there */
	for (unsigned k = 1, i = home; k <= n; k++) {
		if (++i == n)
			i = 0;
		if (allowed(t, i) && sched_cpu_idle(i) &&
		    !__atomic_load_n(&sched_cpus[i].incoming, __ATOMIC_RELAXED))
			return i;
	}
	return allowed(t, home) ? home : least_loaded(t, home);
}

/* Takes the queue's first thread this CPU may run; idle if none. */
static struct thread *pick_next(struct sched_cpu *sc)
{
	for (;;) {
		struct list *q = unlikely(!list_empty(&sc->rt_rq)) ? &sc->rt_rq
								   : &sc->rq;
		if (list_empty(q))
			break;
		struct thread *t = container_of(q->next, struct thread, rq_link);

		unqueue(sc, t);
		if (likely(allowed(t, sc->cpu)))
			return t;
		migrate(sc, t, least_loaded(t, sc->cpu));
	}
	return sc->idle;
}

/* Pushes a queued thread to a CPU with at least two fewer runnable. */
static void balance(struct sched_cpu *sc)
{
	unsigned me = cpu_id(), n = __atomic_load_n(&cpu_count, __ATOMIC_ACQUIRE);
	unsigned mine = __atomic_load_n(&sc->load, SC);

	for (unsigned i = 0; i < n; i++) {
		if (i == me || __atomic_load_n(&sched_cpus[i].load, SC) + 2 > mine)
			continue;
		/* The one with the most runtime: the least to lose. */
		for (struct list *l = sc->rq.prev; l != &sc->rq; l = l->prev) {
			struct thread *t = container_of(l, struct thread, rq_link);

			if (allowed(t, i) && !t->sleep_timer.armed) {
				unqueue(sc, t);
				migrate(sc, t, i);
				return;
			}
		}
	}
}

static void timer_interrupt(struct irq_frame *f)
{
	struct sched_cpu *sc = my_sched();
	uint64_t now = rdtsc();

	(void)f;
	lapic_eoi();
	__atomic_fetch_add(&timer_interrupts, 1, __ATOMIC_RELAXED);
	sc->armed = 0;
	while (!list_empty(&sc->timers)) {
		struct timer *t =
			container_of(sc->timers.next, struct timer, link);

		if (t->deadline > now)
			break;
		list_remove(&t->link);
		t->armed = false;
		t->fn(t);
	}
	if (sc->nr_queued && now >= sc->slice_end) {
		balance(sc);
		if (sc->nr_queued)
			this_cpu()->need_resched = true;
	}
	program_next_event(sc);
}

static void wake_ipi(struct irq_frame *f)
{
	struct sched_cpu *sc = my_sched();
	struct thread *cur = this_cpu()->current;

	(void)f;
	lapic_eoi();
	drain_incoming(sc);
	if (__atomic_exchange_n(&sc->kick, 0, SC) || !allowed(cur, cpu_id()))
		this_cpu()->need_resched = true;
	program_next_event(sc);
}

/* What finish_switch leaves to here: a thread to move, or a dead one. */
static __attribute__((noinline)) void finish_switch_slow(struct sched_cpu *sc,
							 struct thread *prev,
							 struct thread *mig,
							 bool dead)
{
	if (mig)
		migrate(sc, mig, least_loaded(mig, NO_CPU));
	if (dead) {
		/* Its stack is no longer in use: a joiner may free it. */
		if (prev->flags & THREAD_DETACHED) {
			lfstack_push(&zombies, prev, joiner);
			return;
		}
		__atomic_store_n(&prev->exited, 1, SC);
		struct thread *j = __atomic_load_n(&prev->joiner, SC);
		if (j)
			thread_wake(j);
	}
}

/* Runs on the stack of the thread that was just switched to, with this
 * CPU's state. */
static void finish_switch(struct sched_cpu *sc)
{
	struct thread *prev = sc->prev, *mig = sc->migrating;

	sc->prev = NULL;
	sc->migrating = NULL;
	if (!prev)
		return;
	/*
	 * Read before on_cpu clears: from then on a live prev may be woken,
	 * run elsewhere, exit and be freed. DEAD is final, and prev set it
	 * itself before this switch.
	 */
	bool dead = __atomic_load_n(&prev->state, __ATOMIC_RELAXED) == THREAD_DEAD;

	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
	if (unlikely(mig || dead))
		finish_switch_slow(sc, prev, mig, dead);
}

/*
 * Returns this CPU's state once prev runs again: the CPU that switches
 * back to it passes its own (it may not be the one prev left).
 */
static struct sched_cpu *switch_to(struct sched_cpu *sc, struct thread *prev,
				   struct thread *next)
{
	next->switched_in_tsc = prev->switched_in_tsc;
	next->nr_switches++;
	__atomic_store_n(&next->on_cpu, 1, __ATOMIC_RELAXED);
	this_cpu()->current = next;
	sc->prev = prev;
	if (prev->flags & THREAD_FPU)
		fpu_save(prev->fpu_state);
	if (next->flags & THREAD_FPU)
		fpu_restore(next->fpu_state);
	if (next->flags & THREAD_APP)
		wrmsr(0xc0000100, next->fs_base); /* MSR_FS_BASE */
	/* Only between processes: a program that never forked does not
	 * even compare (every thread's `as` is NULL). */
	if (several_as() && next->as != sc->as) {
		sc->as = next->as;
		write_cr3(as_cr3(next->as));
	}
	sc = arch_switch_stack(&prev->saved_rsp, next->saved_rsp, sc);
	finish_switch(sc);
	return sc;
}

/*
 * A full barrier, not just a store: RCU's writer must not see the count
 * move while a load from this CPU's next read section is already done
 * (x86 lets a later load pass an earlier store).
 */
static void quiescent(struct sched_cpu *sc)
{
	__atomic_fetch_add(&sc->quiescent, 1, __ATOMIC_SEQ_CST);
}

/* The idle thread is about to run something: announce it, then catch up
 * on what was skipped while idle (Dekker: store, then load). */
static void leave_idle(struct sched_cpu *sc)
{
	__atomic_store_n(&sc->idle_state, CPU_BUSY, SC);
	tlb_catch_up();
}

/* Where prev goes as it leaves the CPU. */
static void put_prev(struct sched_cpu *sc, struct thread *prev, bool requeue)
{
	int state = __atomic_load_n(&prev->state, SC);

	if (state == THREAD_WAITING && !requeue &&
	    __atomic_compare_exchange_n(&prev->state, &state, THREAD_SLEEPING,
					false, SC, SC)) {
		__atomic_fetch_sub(&sc->load, 1, SC);
		return;
	}
	if (state == THREAD_DEAD) {
		__atomic_fetch_sub(&sc->load, 1, SC);
		return;
	}
	/* Running, preempted while waiting, or woken just now. */
	if (!allowed(prev, sc->cpu)) {
		sc->migrating = prev;
		return;
	}
	if (unlikely(prev->rt_prio)) {
		rt_enqueue(sc, prev, !sc->yielding &&
				       !(prev->rt_rr && rdtsc() >= prev->rr_end));
		return;
	}
	if (sc->yielding && !list_empty(&sc->rq)) {
		/* Behind everyone queued now, as sched_yield promises. */
		uint64_t last = container_of(sc->rq.prev, struct thread, rq_link)
					->vruntime;

		if (prev->vruntime < last)
			prev->vruntime = last;
	}
	enqueue(sc, prev);
}

/*
 * Picks the next thread. With interrupts off. `requeue`: the current
 * thread goes back to the queue even if it announced a wait (preemption
 * must not put a thread to sleep before it checked its condition).
 */
static void schedule(bool requeue)
{
	struct cpu *c = this_cpu();
	struct sched_cpu *sc = c->sched;
	struct thread *prev = c->current, *idle = sc->idle, *next;
	uint64_t now = rdtsc(), ran = now - prev->switched_in_tsc;

	c->need_resched = false;
	quiescent(sc);
	if (unlikely(prev == idle))
		leave_idle(sc);
	drain_incoming(sc);
	prev->runtime_tsc += ran;
	prev->switched_in_tsc = now;
	if (likely(prev != idle)) {
		prev->vruntime += vruntime_delta(prev, ran);
		put_prev(sc, prev, requeue);
	}
	sc->yielding = false;
	next = pick_next(sc);
	if (unlikely(next->rt_prio)) {
		if (next->rt_rr && now >= next->rr_end)
			next->rr_end = now + rr_ticks;
	} else if (next != idle && next->vruntime > sc->min_vruntime) {
		sc->min_vruntime = next->vruntime;
	}
	sc->slice_end = now + slice_ticks;
	/* From here on, sc and c are stale if prev comes back on another CPU:
	 * switch_to returns the state of the CPU that runs prev then. */
	if (next != prev)
		sc = switch_to(sc, prev, next);
	program_next_event(sc);
}

void sched_preempt_point(void)
{
	struct cpu *c = this_cpu();

	if (c->need_resched && c->preempt_count == 0)
		schedule(true);
}

void preempt_enable(void)
{
	asm volatile("decl %%gs:%c0" ::"i"(__builtin_offsetof(struct cpu,
							      preempt_count))
		     : "memory");
	if (!this_cpu()->need_resched)
		return;
	/* We may have moved since the decrement: look again, pinned. */
	uint64_t flags = irq_save();
	struct cpu *c = this_cpu();

	if (c->preempt_count == 0 && c->need_resched && c->current &&
	    (flags & 0x200))
		schedule(true);
	irq_restore(flags);
}

/* ---- waiting and waking ---- */
void sched_wait(void)
{
	uint64_t flags = irq_save();
	struct thread *t = current_thread();

	assert(this_cpu()->preempt_count == 0);
	if (__atomic_load_n(&t->state, SC) == THREAD_WAITING)
		schedule(false);
	irq_restore(flags);
}

static void wake_from_timer(struct timer *tm)
{
	thread_wake(container_of(tm, struct thread, sleep_timer));
}

void sched_wait_until(uint64_t deadline_ns)
{
	struct thread *t = current_thread();

	timer_arm(&t->sleep_timer, deadline_ns);
	sched_wait();
	timer_cancel(&t->sleep_timer);
}

bool sched_wait_for(bool (*done)(void *), void *arg, uint64_t deadline_ns)
{
	for (;;) {
		sched_prepare_wait();
		if (done(arg)) {
			sched_cancel_wait();
			return true;
		}
		if (deadline_ns && clock_monotonic_ns() >= deadline_ns) {
			sched_cancel_wait();
			return false;
		}
		if (deadline_ns)
			sched_wait_until(deadline_ns);
		else
			sched_wait();
		/*
		 * RUNNING again (whoever ended the wait set it), and usually
		 * because done() holds now: look before announcing a new wait.
		 */
		if (done(arg))
			return true;
	}
}

/*
 * The fence pairs with sched_prepare_wait's: the sleeper stores WAITING
 * and then loads its condition, the waker stores the condition and then
 * loads the state. Without a full barrier here x86 may perform the load
 * of the state before the caller's store to the condition is visible (a
 * store may wait in the store buffer while a later load goes ahead; a
 * release store orders nothing after it): the waker reads RUNNING, the
 * sleeper reads its condition still false, and the wakeup is lost.
 */
void thread_wake(struct thread *t)
{
	uint64_t flags = irq_save();

	__atomic_thread_fence(SC);
	int state = __atomic_load_n(&t->state, SC);

	for (;;) {
		if (state == THREAD_WAITING) {
			/* Not gone yet: it will see RUNNING and stay. */
			if (__atomic_compare_exchange_n(&t->state, &state,
							THREAD_RUNNING, false,
							SC, SC))
				break;
		} else if (state == THREAD_SLEEPING) {
			if (__atomic_compare_exchange_n(&t->state, &state,
							THREAD_RUNNING, false,
							SC, SC)) {
				unsigned cpu = wake_target(t);

				if (cpu != t->cpu) {
					t->vruntime = 0;
					t->vruntime_relative = true;
				}
				send_to(t, cpu);
				break;
			}
		} else {
			break;
		}
	}
	irq_restore(flags);
}

void thread_interrupt(struct thread *t)
{
	uint64_t flags = irq_save();

	thread_wake(t);
	if (__atomic_load_n(&t->on_cpu, SC) && t->cpu != cpu_id())
		arch_send_ipi(t->cpu, VEC_IPI_WAKE);
	irq_restore(flags);
}

void sched_kick(unsigned cpu)
{
	uint64_t flags = irq_save();

	if (cpu == cpu_id()) {
		this_cpu()->need_resched = true;
	} else {
		__atomic_store_n(&sched_cpus[cpu].kick, 1, SC);
		arch_send_ipi(cpu, VEC_IPI_WAKE);
	}
	irq_restore(flags);
}

int thread_set_affinity(struct thread *t, uint64_t mask)
{
	mask &= sched_online_mask();
	if (!mask)
		return -EINVAL;
	__atomic_store_n(&t->affinity, mask, SC);
	if (t == current_thread()) {
		if (!(mask & (1ull << cpu_id())))
			thread_yield(); /* schedule() moves us */
	} else if (__atomic_load_n(&t->on_cpu, SC) && !(mask & (1ull << t->cpu))) {
		sched_kick(t->cpu);
	}
	return 0;
}

void thread_yield(void)
{
	uint64_t flags = irq_save();
	struct sched_cpu *sc = my_sched();

	sc->yielding = true; /* schedule() clears it */
	schedule(true);
	irq_restore(flags);
}

static bool never(void *unused)
{
	return false;
}

void thread_sleep_ns(uint64_t ns)
{
	sched_wait_for(never, NULL, clock_monotonic_ns() + ns);
}

/* ---- thread life ---- */
void thread_main(struct thread *t)
{
	struct sched_cpu *sc = my_sched();

	finish_switch(sc);
	program_next_event(sc);
	irq_enable();
	t->entry(t->arg);
	thread_exit();
}

static void setup_initial_frame(struct thread *t)
{
	/* As arch_switch_stack leaves it: r15 r14 r13 r12 rbx rbp ret. */
	uint64_t *sp = (uint64_t *)(t->kstack_top - 72);

	memset(sp, 0, 72);
	sp[3] = (uint64_t)t; /* r12 */
	sp[6] = (uint64_t)thread_trampoline;
	t->saved_rsp = (uint64_t)sp;
}

/* Its stack and extended state: nobody but the thread itself uses them. */
static void free_thread_memory(struct thread *t)
{
	if (t->stack_mem)
		mm_stack_free(t->stack_mem, THREAD_STACK_SIZE);
	t->stack_mem = NULL;
	free(t->fpu_state);
	t->fpu_state = NULL;
}

static void free_thread_rcu(struct rcu_head *h)
{
	free(container_of(h, struct thread, rcu));
}

/* The struct once every read section that may still hold it has ended
 * (sched.h): a late waker only reads its state, DEAD. */
static void free_thread(struct thread *t)
{
	free_thread_memory(t);
	call_rcu(&t->rcu, free_thread_rcu);
}

static void reap_zombies(void)
{
	struct thread *t = __atomic_exchange_n(&zombies, NULL, __ATOMIC_ACQUIRE);

	while (t) {
		struct thread *next = t->joiner; /* the zombie list link */

		free_thread(t);
		t = next;
	}
}

void thread_start(struct thread *t)
{
	uint64_t irq = irq_save();

	/* Half a slice behind the queue, like Linux's start debit: a new
	 * thread neither preempts its creator nor lets a fork loop starve
	 * the others. */
	t->vruntime = slice_ticks / 2;
	t->vruntime_relative = true;
	send_to(t, least_loaded(t, cpu_id()));
	irq_restore(irq);
}

static void init_thread(struct thread *t, const char *name, unsigned cpu)
{
	t->state = THREAD_RUNNING;
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->cpu = cpu;
	t->affinity = ~0ull;
	snprintf(t->name, sizeof(t->name), "%s", name);
	list_init(&t->rq_link);
	timer_init(&t->sleep_timer, wake_from_timer);
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned flags)
{
	reap_zombies();
	struct thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->stack_mem = mm_stack_alloc(THREAD_STACK_SIZE);
	if (!t->stack_mem)
		goto out_free;
	if (flags & THREAD_FPU) {
		t->fpu_state = aligned_alloc(64, fpu_state_size());
		if (!t->fpu_state)
			goto out_free;
		fpu_state_init(t->fpu_state);
	}
	t->kstack_bottom = (uint64_t)t->stack_mem;
	t->kstack_top = t->kstack_bottom + THREAD_STACK_SIZE;
	t->flags = flags;
	t->entry = fn;
	t->arg = arg;
	init_thread(t, name, cpu_id());
	/* Linux: a new thread inherits its creator's CPU mask and nice. */
	if (current_thread()) {
		t->affinity = __atomic_load_n(&current_thread()->affinity,
					      __ATOMIC_RELAXED);
		t->nice = thread_nice(current_thread());
	}
	setup_initial_frame(t);
	__atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
	if (!(flags & THREAD_SUSPENDED))
		thread_start(t);
	return t;

out_free:
	free_thread_memory(t);
	free(t); /* nobody else has seen it */
	return NULL;
}

bool sched_several_as_flag; /* atomic; set once (sched.h) */

void sched_several_as_begin(void)
{
	__atomic_store_n(&sched_several_as_flag, true, __ATOMIC_SEQ_CST);
}

void sched_switch_as(struct as *as)
{
	if (as)
		sched_several_as_begin();
	preempt_disable();
	struct sched_cpu *sc = &sched_cpus[cpu_id()];
	current_thread()->as = as;
	if (sc->as != as) {
		sc->as = as;
		write_cr3(as_cr3(as));
	}
	preempt_enable();
}

void thread_exit(void)
{
	irq_disable();
	__atomic_fetch_sub(&live_threads, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&current_thread()->state, THREAD_DEAD, SC);
	schedule(false);
	panic("a dead thread was scheduled");
}

void thread_join(struct thread *t)
{
	assert(t != current_thread());
	__atomic_store_n(&t->joiner, current_thread(), SC);
	for (;;) {
		sched_prepare_wait();
		if (__atomic_load_n(&t->exited, SC)) {
			sched_cancel_wait();
			break;
		}
		sched_wait();
	}
	free_thread(t);
	reap_zombies();
}

uint64_t sched_idle_ns(void)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		if (sched_cpus[i].idle)
			t += sched_cpus[i].idle->runtime_tsc;
	return tsc_to_ns(t);
}

/*
 * An interrupt taken from the idle loop may read what RCU protects (a
 * timer sending a signal looks threads up), so an idle CPU handling one
 * is not quiescent. The flag is apart from idle_state, which says where
 * wakers should send threads and whether they need an IPI: the CPU is
 * still idle for them. The store that raises it is a full barrier (RCU's
 * writer stores, fences, then reads the flag).
 */
void sched_irq_enter(void)
{
	struct sched_cpu *sc = my_sched();

	if (this_cpu()->current == sc->idle)
		__atomic_store_n(&sc->idle_irq, 1, SC);
}

void sched_irq_exit(void)
{
	struct sched_cpu *sc = my_sched();

	if (this_cpu()->current == sc->idle)
		__atomic_store_n(&sc->idle_irq, 0, __ATOMIC_RELEASE);
}

uint64_t sched_quiescent_count(unsigned cpu)
{
	return __atomic_load_n(&sched_cpus[cpu].quiescent, SC);
}

bool sched_cpu_idle(unsigned cpu)
{
	return __atomic_load_n(&sched_cpus[cpu].idle_state, SC) != CPU_BUSY;
}

bool sched_cpu_idle_quiescent(unsigned cpu)
{
	return sched_cpu_idle(cpu) &&
	       !__atomic_load_n(&sched_cpus[cpu].idle_irq, SC);
}

int thread_count(void)
{
	return __atomic_load_n(&live_threads, __ATOMIC_RELAXED);
}

static bool has_work(struct sched_cpu *sc)
{
	return sc->nr_queued || this_cpu()->need_resched ||
	       __atomic_load_n(&sc->incoming, SC);
}

/* Each CPU's idle pollers: a list that only grows, at its head
 * (release), read by that CPU's idle loop (acquire). */
static struct idle_poller *idle_pollers[MAX_CPUS];

void sched_idle_poller_add(unsigned cpu, struct idle_poller *p)
{
	static struct mutex add_lock = MUTEX_INIT;

	mutex_lock(&add_lock);
	p->next = idle_pollers[cpu];
	__atomic_store_n(&idle_pollers[cpu], p, __ATOMIC_RELEASE);
	mutex_unlock(&add_lock);
}

static struct idle_poller *pollers(struct sched_cpu *sc)
{
	return __atomic_load_n(&idle_pollers[sc->cpu], __ATOMIC_ACQUIRE);
}

static bool pollers_look(struct idle_poller *list)
{
	for (struct idle_poller *p = list; p; p = p->next)
		if (p->look(p))
			return true;
	return false;
}

/* Watches the incoming stack and the pollers for poll_ticks, interrupts
 * on; the pollers' interrupts are off meanwhile (loud: back on). */
static void poll_incoming(struct sched_cpu *sc, struct idle_poller *list)
{
	uint64_t end = rdtsc() + poll_ticks;

	for (struct idle_poller *p = list; p; p = p->next)
		p->quiet(p);
	/* spin-ok: idle polling, bounded, instead of an IPI per wakeup. */
	while (rdtsc() < end && !__atomic_load_n(&sc->incoming, __ATOMIC_RELAXED) &&
	       !pollers_look(list))
		cpu_relax();
}

/* Interrupts off: the pollers' interrupts on again. */
static void pollers_loud(struct idle_poller *list)
{
	for (struct idle_poller *p = list; p; p = p->next)
		p->loud(p);
}

static void idle_loop(void *arg)
{
	struct sched_cpu *sc = my_sched();

	(void)arg;
	for (;;) {
		irq_disable();
		drain_incoming(sc);
		if (sc->nr_queued) {
			schedule(false);
			irq_enable();
			continue;
		}
		quiescent(sc);
		__atomic_store_n(&sc->idle_state, CPU_POLLING, SC);
		irq_enable();
		poll_incoming(sc, pollers(sc));
		irq_disable();
		pollers_loud(pollers(sc));
		__atomic_store_n(&sc->idle_state, CPU_HALTED, SC);
		if (has_work(sc)) {
			__atomic_store_n(&sc->idle_state, CPU_BUSY, SC);
			irq_enable();
			continue;
		}
		irq_enable_and_halt();
	}
}

struct thread *sched_make_idle(unsigned cpu, void *stack_bottom,
			       size_t stack_size)
{
	struct thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->kstack_bottom = (uint64_t)stack_bottom;
	t->kstack_top = (uint64_t)stack_bottom + stack_size;
	init_thread(t, "idle", cpu);
	snprintf(t->name, sizeof(t->name), "idle%u", cpu);
	return t;
}

void sched_run_idle(struct thread *t)
{
	struct sched_cpu *sc = my_sched();

	list_init(&sc->rq);
	list_init(&sc->rt_rq);
	list_init(&sc->timers);
	t->switched_in_tsc = rdtsc();
	t->on_cpu = 1;
	sc->idle = t;
	this_cpu()->current = t;
	irq_enable();
	idle_loop(NULL);
	__builtin_unreachable();
}

/* ---- the state dump ---- */
#define DUMP_WAIT_NS 1000000000 /* for the CPU before us to finish */

#define MAX_DUMP_HOOKS 4
static void (*dump_hooks[MAX_DUMP_HOOKS])(void); /* set at init */
static int dump_turn; /* atomic: the CPU that prints next */
static const char *const state_names[] = {"running", "waiting", "sleeping",
					  "dead"};

static int64_t us_from_now(uint64_t tsc, uint64_t now)
{
	return tsc >= now ? (int64_t)tsc_to_ns(tsc - now) / 1000
			  : -(int64_t)tsc_to_ns(now - tsc) / 1000;
}

void sched_add_dump_hook(void (*fn)(void))
{
	for (unsigned i = 0; i < MAX_DUMP_HOOKS; i++)
		if (!dump_hooks[i]) {
			dump_hooks[i] = fn;
			return;
		}
	kprintf("osprey: state dump: no room for another hook\n");
}

void thread_dump(const struct thread *t)
{
	int state = __atomic_load_n(&t->state, __ATOMIC_RELAXED);
	bool on_cpu = __atomic_load_n(&t->on_cpu, __ATOMIC_RELAXED);

	kprintf("thread %d %s: %s, cpu %u%s%s, %lu switches", t->tid, t->name,
		state >= 0 && state <= THREAD_DEAD ? state_names[state] : "?",
		t->cpu, on_cpu ? ", on the CPU" : "", t->on_rq ? ", queued" : "",
		t->nr_switches);
	if (t->sleep_timer.armed)
		kprintf(", timer on cpu %u in %ld us", t->sleep_timer.cpu,
			us_from_now(t->sleep_timer.deadline, rdtsc()));
	kprintf("\n");
	if (!on_cpu && t->saved_rsp) {
		/* As arch_switch_stack left it: r15 r14 r13 r12 rbx rbp ret. */
		const uint64_t *sp = (const uint64_t *)t->saved_rsp;

		arch_backtrace(sp[5], sp[6]);
	}
}

static void dump_cpu(struct sched_cpu *sc, const struct irq_frame *f)
{
	static const char *const idle_names[] = {"busy", "polling", "halted"};
	struct cpu *c = this_cpu();
	struct thread *cur = c->current;
	uint64_t now = rdtsc();
	int idle = __atomic_load_n(&sc->idle_state, __ATOMIC_RELAXED);

	kprintf("cpu %u: %s, current %s (tid %d), preempt %d%s, %u queued, "
		"load %u, incoming %s, %lu interrupts\n",
		c->id, idle_names[idle % 3], cur ? cur->name : "-",
		cur ? cur->tid : -1, c->preempt_count,
		c->need_resched ? ", resched due" : "", sc->nr_queued,
		__atomic_load_n(&sc->load, __ATOMIC_RELAXED),
		__atomic_load_n(&sc->incoming, __ATOMIC_RELAXED) ? "some"
								  : "none",
		c->irq_count);
	if (sc->armed)
		kprintf("  timer interrupt in %ld us\n", us_from_now(sc->armed, now));
	list_for_each(it, &sc->timers)
	{
		struct timer *t = container_of(it, struct timer, link);

		kprintf("  timer %p in %ld us\n", (void *)t,
			us_from_now(t->deadline, now));
	}
	kprintf("  interrupted at %016lx, interrupts %s\n", f->rip,
		f->rflags & 0x200 ? "on" : "off");
	if (f->rip >= PHYS_MAP_BASE)
		arch_backtrace(f->rbp, f->rip);
}

/* Every CPU takes the NMI; they print one after another. */
static void nmi_dump(struct irq_frame *f)
{
	unsigned me = cpu_id(), n = __atomic_load_n(&cpu_count, SC);
	uint64_t end = rdtsc() + ns_to_tsc(DUMP_WAIT_NS);

	/* spin-ok: a debugging dump after an NMI, bounded in time. */
	while (__atomic_load_n(&dump_turn, SC) != (int)me && rdtsc() < end)
		cpu_relax();
	if (me == 0)
		kprintf("\nosprey: state dump (NMI)\n");
	dump_cpu(&sched_cpus[me], f);
	if (me + 1 < n) {
		__atomic_store_n(&dump_turn, (int)me + 1, SC);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (sched_cpus[i].idle)
			thread_dump(sched_cpus[i].idle);
	thread_dump(&boot_thread);
	for (unsigned i = 0; i < MAX_DUMP_HOOKS && dump_hooks[i]; i++)
		dump_hooks[i]();
	kprintf("osprey: end of state dump\n");
	__atomic_store_n(&dump_turn, 0, SC);
}

int sched_init(void)
{
	struct sched_cpu *sc;
	struct thread *b = &boot_thread;

	for (unsigned i = 0; i < MAX_CPUS; i++) {
		sched_cpus[i].cpu = i;
		cpus[i].sched = &sched_cpus[i];
	}
	sc = my_sched();
	list_init(&sc->rq);
	list_init(&sc->rt_rq);
	list_init(&sc->timers);
	slice_ticks = ns_to_tsc(SLICE_NS);
	rr_ticks = ns_to_tsc(SCHED_RR_SLICE_NS);
	wake_credit = ns_to_tsc(WAKE_CREDIT_NS);
	wake_granularity = ns_to_tsc(WAKE_GRANULARITY_NS);
	poll_ticks = ns_to_tsc(POLL_NS);
	min_run = ns_to_tsc(MIN_RUN_NS);
	/* The boot context becomes the first thread, "main". */
	b->kstack_bottom = (uint64_t)boot_stack;
	b->kstack_top = (uint64_t)boot_stack_top;
	init_thread(b, "main", 0);
	b->tid = 0;
	b->switched_in_tsc = rdtsc();
	b->on_cpu = 1;
	sc->load = 1;
	live_threads = 1;
	this_cpu()->current = b;
	arch_set_irq_handler(VEC_TIMER, timer_interrupt);
	arch_set_irq_handler(VEC_IPI_WAKE, wake_ipi);
	arch_set_nmi_handler(nmi_dump);

	sc->idle = thread_create("idle", idle_loop, NULL, THREAD_SUSPENDED);
	if (!sc->idle)
		return -ENOMEM;
	live_threads--;
	irq_enable();
	return xcall_init();
}
INIT_STEP(50, sched_init);
