/*
 * The scheduler: one run queue per CPU, touched only by its own CPU with
 * interrupts off (the SMP issue adds lock-free queues for wakeups from other
 * CPUs). Threads run round-robin in time slices; a thread that announced a
 * wait (THREAD_WAITING) leaves the CPU and is not queued until thread_wake.
 * The scheduler is tickless: the LAPIC timer is armed only for the earliest
 * timer or, when others wait to run, the end of the current slice.
 */
#include "kernel/sched/sched.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define SLICE_NS 10000000 /* 10 ms */

/* Owned by one CPU; touched with interrupts off. */
struct sched_cpu {
	struct list rq;
	unsigned nr_queued;
	struct thread *idle;
	struct thread *prev; /* the thread we just switched away from */
	uint64_t slice_end;  /* TSC */
	uint64_t armed;	     /* TSC deadline the LAPIC holds, 0 if none */
	struct list timers;  /* sorted by deadline */
	/* shared with other CPUs: atomic */
	uint64_t quiescent;
	int idle_state;
};

enum { CPU_BUSY, CPU_POLLING, CPU_HALTED };

static struct sched_cpu sched_cpus[MAX_CPUS];
static int live_threads;
static int next_tid = 1;
uint64_t timer_interrupts;
static uint64_t slice_ticks;

static struct thread boot_thread;
/* Detached threads that exited: a lock-free stack, freed by whoever
 * creates or joins a thread next (freeing may sleep; finish_switch may
 * not). */
static struct thread *zombies;
extern char boot_stack[], boot_stack_top[];
extern char thread_trampoline[];

static struct sched_cpu *my_sched(void)
{
	return &sched_cpus[cpu_id()];
}

/* ---- timers ---- */
static void program_next_event(struct sched_cpu *sc)
{
	uint64_t next = UINT64_MAX;

	if (!list_empty(&sc->timers))
		next = container_of(sc->timers.next, struct timer, link)->deadline;
	if (sc->nr_queued && sc->slice_end < next)
		next = sc->slice_end;
	if (next == UINT64_MAX) {
		sc->armed = 0;
		return; /* nothing to wake us: let it idle */
	}
	if (sc->armed && sc->armed <= next && sc->armed > rdtsc())
		return; /* an earlier interrupt is coming anyway */
	sc->armed = next;
	lapic_timer_arm(next);
}

void timer_init(struct timer *t, void (*fn)(struct timer *))
{
	list_init(&t->link);
	t->fn = fn;
	t->armed = false;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
	uint64_t flags = irq_save();
	struct sched_cpu *sc = my_sched();

	if (t->armed)
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

void timer_cancel(struct timer *t)
{
	uint64_t flags = irq_save();

	assert(!t->armed || t->cpu == cpu_id());
	if (t->armed) {
		list_remove(&t->link);
		t->armed = false;
	}
	irq_restore(flags);
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
	if (sc->nr_queued && now >= sc->slice_end)
		this_cpu()->need_resched = true;
	program_next_event(sc);
}

/* ---- run queue ---- */
static void enqueue(struct sched_cpu *sc, struct thread *t)
{
	assert(!t->on_rq);
	t->on_rq = true;
	list_push_back(&sc->rq, &t->rq_link);
	sc->nr_queued++;
}

static struct thread *dequeue(struct sched_cpu *sc)
{
	struct list *l = list_pop_front(&sc->rq);

	if (!l)
		return sc->idle;
	sc->nr_queued--;
	struct thread *t = container_of(l, struct thread, rq_link);
	t->on_rq = false;
	return t;
}

/* Runs on the stack of the thread that was just switched to. */
static void finish_switch(void)
{
	struct sched_cpu *sc = my_sched();
	struct thread *prev = sc->prev;

	sc->prev = NULL;
	if (prev && __atomic_load_n(&prev->state, __ATOMIC_RELAXED) ==
			    THREAD_DEAD) {
		/* Its stack is no longer in use: a joiner may free it. */
		if (prev->flags & THREAD_DETACHED) {
			struct thread *head = __atomic_load_n(&zombies, __ATOMIC_RELAXED);

			do {
				prev->joiner = head;
			} while (!__atomic_compare_exchange_n(&zombies, &head, prev, true,
							      __ATOMIC_RELEASE,
							      __ATOMIC_RELAXED));
			return;
		}
		__atomic_store_n(&prev->exited, 1, __ATOMIC_SEQ_CST);
		struct thread *j = __atomic_load_n(&prev->joiner, __ATOMIC_SEQ_CST);
		if (j)
			thread_wake(j);
	}
}

static void switch_to(struct sched_cpu *sc, struct thread *prev,
		      struct thread *next)
{
	uint64_t now = rdtsc();

	prev->runtime_tsc += now - prev->switched_in_tsc;
	next->switched_in_tsc = now;
	next->nr_switches++;
	sc->slice_end = now + slice_ticks;
	this_cpu()->current = next;
	sc->prev = prev;
	if (prev->flags & THREAD_FPU)
		fpu_save(prev->fpu_state);
	if (next->flags & THREAD_FPU)
		fpu_restore(next->fpu_state);
	if (next->flags & THREAD_APP)
		wrmsr(0xc0000100, next->fs_base); /* MSR_FS_BASE */
	arch_switch_stack(&prev->saved_rsp, next->saved_rsp);
	finish_switch();
}

/*
 * Picks the next thread. With interrupts off. `requeue`: the current
 * thread goes back to the queue even if it announced a wait (preemption
 * must not put a thread to sleep before it checked its condition).
 */
static void schedule(bool requeue)
{
	struct sched_cpu *sc = my_sched();
	struct thread *prev = this_cpu()->current, *next;
	int state = __atomic_load_n(&prev->state, __ATOMIC_RELAXED);

	this_cpu()->need_resched = false;
	__atomic_fetch_add(&sc->quiescent, 1, __ATOMIC_SEQ_CST);
	if (prev != sc->idle && state != THREAD_DEAD &&
	    (state == THREAD_RUNNING || requeue))
		enqueue(sc, prev);
	next = dequeue(sc);
	if (next != prev)
		switch_to(sc, prev, next);
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
	struct cpu *c = this_cpu();

	asm volatile("" ::: "memory");
	if (--c->preempt_count == 0 && c->need_resched && c->current &&
	    irq_enabled()) {
		irq_disable();
		schedule(true);
		irq_enable();
	}
}

/* ---- waiting and waking ---- */
void sched_prepare_wait(void)
{
	__atomic_store_n(&current_thread()->state, THREAD_WAITING,
			 __ATOMIC_SEQ_CST);
}

void sched_cancel_wait(void)
{
	__atomic_store_n(&current_thread()->state, THREAD_RUNNING,
			 __ATOMIC_SEQ_CST);
}

void sched_wait(void)
{
	uint64_t flags = irq_save();
	struct thread *t = current_thread();

	assert(this_cpu()->preempt_count == 0);
	if (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) == THREAD_WAITING)
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
	}
}

void thread_wake(struct thread *t)
{
	uint64_t flags = irq_save();
	int expected = THREAD_WAITING;

	if (__atomic_compare_exchange_n(&t->state, &expected, THREAD_RUNNING,
					false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		struct sched_cpu *sc = &sched_cpus[t->cpu];

		assert(t->cpu == cpu_id()); /* cross-CPU: the SMP issue */
		if (t != this_cpu()->current && !t->on_rq) {
			enqueue(sc, t);
			if (this_cpu()->current == sc->idle)
				this_cpu()->need_resched = true;
			program_next_event(sc);
		}
	}
	irq_restore(flags);
}

void thread_yield(void)
{
	uint64_t flags = irq_save();

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
	finish_switch();
	program_next_event(my_sched());
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

static void free_thread(struct thread *t)
{
	if (t->stack_mem)
		mm_stack_free(t->stack_mem, THREAD_STACK_SIZE);
	free(t->fpu_state);
	free(t);
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

	t->cpu = cpu_id();
	enqueue(my_sched(), t);
	program_next_event(my_sched());
	irq_restore(irq);
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
	t->state = THREAD_RUNNING;
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	snprintf(t->name, sizeof(t->name), "%s", name);
	list_init(&t->rq_link);
	timer_init(&t->sleep_timer, wake_from_timer);
	setup_initial_frame(t);
	__atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
	t->cpu = cpu_id();
	if (!(flags & THREAD_SUSPENDED))
		thread_start(t);
	return t;

out_free:
	free_thread(t);
	return NULL;
}

void thread_exit(void)
{
	irq_disable();
	__atomic_fetch_sub(&live_threads, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&current_thread()->state, THREAD_DEAD,
			 __ATOMIC_SEQ_CST);
	schedule(false);
	panic("a dead thread was scheduled");
}

void thread_join(struct thread *t)
{
	assert(t != current_thread());
	__atomic_store_n(&t->joiner, current_thread(), __ATOMIC_SEQ_CST);
	for (;;) {
		sched_prepare_wait();
		if (__atomic_load_n(&t->exited, __ATOMIC_SEQ_CST)) {
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

uint64_t sched_quiescent_count(unsigned cpu)
{
	return __atomic_load_n(&sched_cpus[cpu].quiescent, __ATOMIC_SEQ_CST);
}

bool sched_cpu_idle(unsigned cpu)
{
	return __atomic_load_n(&sched_cpus[cpu].idle_state, __ATOMIC_SEQ_CST) !=
	       CPU_BUSY;
}

void sched_kick(unsigned cpu)
{
	(void)cpu; /* until cross-CPU wakeups land */
}

int thread_count(void)
{
	return __atomic_load_n(&live_threads, __ATOMIC_RELAXED);
}

static void idle_loop(void *arg)
{
	struct sched_cpu *sc = my_sched();

	(void)arg;
	for (;;) {
		irq_disable();
		if (sc->nr_queued == 0)
			irq_enable_and_halt();
		else
			schedule(false);
		irq_enable();
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
	t->state = THREAD_RUNNING;
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	t->cpu = cpu;
	snprintf(t->name, sizeof(t->name), "idle%u", cpu);
	list_init(&t->rq_link);
	timer_init(&t->sleep_timer, wake_from_timer);
	return t;
}

void sched_run_idle(struct thread *t)
{
	struct sched_cpu *sc = my_sched();

	list_init(&sc->rq);
	list_init(&sc->timers);
	t->switched_in_tsc = rdtsc();
	sc->idle = t;
	this_cpu()->current = t;
	irq_enable();
	idle_loop(NULL);
	__builtin_unreachable();
}

int sched_init(void)
{
	struct sched_cpu *sc = my_sched();
	struct thread *b = &boot_thread;

	list_init(&sc->rq);
	list_init(&sc->timers);
	slice_ticks = ns_to_tsc(SLICE_NS);
	/* The boot context becomes the first thread, "main". */
	b->kstack_bottom = (uint64_t)boot_stack;
	b->kstack_top = (uint64_t)boot_stack_top;
	b->state = THREAD_RUNNING;
	b->tid = 0;
	b->switched_in_tsc = rdtsc();
	snprintf(b->name, sizeof(b->name), "main");
	list_init(&b->rq_link);
	timer_init(&b->sleep_timer, wake_from_timer);
	live_threads = 1;
	this_cpu()->current = b;
	arch_set_irq_handler(VEC_TIMER, timer_interrupt);

	sc->idle = thread_create("idle", idle_loop, NULL, 0);
	if (!sc->idle)
		return -ENOMEM;
	/* The idle thread is not a queued thread like the others. */
	list_remove(&sc->idle->rq_link);
	sc->idle->on_rq = false;
	sc->nr_queued--;
	live_threads--;
	irq_enable();
	return 0;
}
INIT_STEP(50, sched_init);
