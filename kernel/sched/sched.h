/*
 * Threads, the per-CPU scheduler, timers and the clock.
 *
 * Sleeping follows one pattern everywhere, so that no wakeup is lost:
 *
 *	sched_prepare_wait();          // state = WAITING
 *	if (!condition)                // re-check after announcing
 *		sched_wait();          // sleeps unless woken meanwhile
 *	else
 *		sched_cancel_wait();
 *
 * and the waker makes the condition true before calling thread_wake(),
 * which begins with a full barrier, so any store will do: either the
 * sleeper sees the condition or the waker sees WAITING or SLEEPING.
 */
#ifndef KERNEL_SCHED_SCHED_H
#define KERNEL_SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "lib/list.h"

enum thread_state {
	THREAD_RUNNING,	 /* on a CPU, in a run queue or on its way to one */
	THREAD_WAITING,	 /* announced a sleep, still on a CPU or queued */
	THREAD_SLEEPING, /* off every CPU and queue: a waker must queue it */
	THREAD_DEAD,
};

/* ---- timers: per-CPU, fire in interrupt context with interrupts off ---- */
struct timer {
	struct list link;   /* in the CPU's timer list, by deadline */
	uint64_t deadline;  /* TSC */
	void (*fn)(struct timer *);
	bool armed;
	unsigned cpu;
};

/* Embedded in an object freed with call_rcu (kernel/sync/sync.h). */
struct rcu_head {
	struct rcu_head *next;
	void (*fn)(struct rcu_head *);
};

#define THREAD_FPU 1u /* uses x87/SSE/AVX: switches save and restore it */
#define THREAD_APP 2u /* runs application code: has an FS base */
#define THREAD_DETACHED 4u  /* nobody joins it: freed after it exits */
#define THREAD_SUSPENDED 8u /* created stopped: thread_start runs it */
#define THREAD_STACK_SIZE (32 * 1024)
#define NO_CPU (~0u)

struct thread {
	/* read by entry.S and syscall.S at fixed offsets; never change */
	uint64_t kstack_top;
	uint64_t kstack_bottom;
	struct sigstate *sig; /* signal state (linux/signal.c) */
	/* owned by the CPU the thread runs on; interrupts off */
	uint64_t saved_rsp;
	struct list rq_link;
	bool on_rq;
	bool vruntime_relative; /* arriving from another CPU's time scale */
	unsigned cpu;		/* its CPU; changed only by that CPU, or by
				   the waker that made it leave SLEEPING */
	uint64_t runtime_tsc;	  /* time spent running */
	uint64_t switched_in_tsc; /* when it last got the CPU */
	uint64_t vruntime;	  /* runtime, the fair policy's key (TSC) */
	uint64_t rr_end;	  /* SCHED_RR: when its timeslice ends (TSC) */
	uint64_t nr_switches;
	struct thread *incoming_next; /* link in a CPU's incoming stack */
	/* atomic */
	int state;	/* enum thread_state */
	int on_cpu;	/* its registers are live on a CPU (cleared once saved) */
	int exited;	/* set once its stack is no longer in use */
	uint64_t affinity; /* CPUs it may run on, bit per CPU */
	int nice;	   /* -20..19, as Linux; scales its vruntime */
	int rt_prio;	   /* 0: fair; 1..99: SCHED_FIFO/RR priority */
	int rt_rr;	   /* with rt_prio: SCHED_RR (a timeslice) */
	struct thread *joiner;
	/* set at creation, then read-only */
	int tid;
	unsigned flags;
	char name[24];
	void (*entry)(void *);
	void *arg;
	void *fpu_state;
	void *stack_mem; /* NULL for the boot thread */
	/* application threads; owned by the thread itself */
	uint64_t fs_base;	  /* arch_prctl(ARCH_SET_FS) */
	uint64_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t robust_list;
	int app_tid;		  /* the Linux thread id the application sees */
	int app_slot;		  /* its index in linux/exec.c's thread table */
	/* Its process (linux/process.c), address space (kernel/mm/vma.c) and
	 * descriptor table (fs/fdtable.c); NULL: the first process's, which
	 * kernel threads share. Set by the thread itself or before it starts
	 * (fork, execve); switches load `as`'s page table when it differs. */
	struct process *proc;
	struct as *as;
	struct fd_table *files;
	/* Its credentials (linux/sys_cred.c); NULL: root's. Replaced only by
	 * the thread itself, or set before it starts (clone); others read it
	 * in a read section. */
	struct cred *cred;
	struct timer sleep_timer;
	struct rcu_head rcu; /* its memory is freed a grace period after exit */
};

/* ---- threads ---- */
/*
 * Lifetime: a struct thread is freed an RCU grace period after the
 * thread exited (and, unless detached, was joined); its stack and
 * extended state go at once. So a pointer to a thread
 * that may exit meanwhile stays usable inside a read section
 * (rcu_read_lock): a waker that sets a flag the thread polls and then
 * calls thread_wake does both in one section, else the thread could see
 * the flag, exit and be freed before the wake.
 */
/* Creates a runnable thread on this CPU; NULL when memory is short. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned flags);
/* Makes a THREAD_SUSPENDED thread runnable. */
void thread_start(struct thread *t);
/* Waits for `t` to exit and frees it. */
void thread_join(struct thread *t);
__attribute__((noreturn)) void thread_exit(void);
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
/* Makes a WAITING thread runnable; harmless on a running one. */
void thread_wake(struct thread *t);
/*
 * Sets *flag, the condition `t` waits for, and wakes t, both in one RCU
 * read section: once the flag is set t may return, exit and be freed
 * (see Lifetime above); the section keeps it until thread_wake is done.
 */
static inline void thread_wake_flag(int *flag, struct thread *t);
/*
 * thread_wake, and if `t` is running on another CPU, an interrupt there,
 * so that it notices something (a signal, an exit) at the interrupt's
 * return instead of whenever it next enters the kernel.
 */
void thread_interrupt(struct thread *t);
/*
 * A device queue that a CPU's idle loop watches (virtio-net's receive
 * queues). When the CPU has nothing to run it polls for POLL_NS before it
 * halts; meanwhile `quiet` turns the queue's interrupt off, `look` runs
 * in the polling loop and, finding work, wakes the queue's thread and
 * answers true (the loop ends), and `loud` turns the interrupt back on
 * when the polling ends, for whatever reason, waking the thread if work
 * came in between (or leaves it off while the thread is awake anyway). So a frame that arrives while the CPU polls
 * costs no interrupt: no exit to the hypervisor to raise it, acknowledge
 * it and end it. All three run on that CPU's idle thread (interrupts on
 * for quiet and look, off for loud) and must not sleep.
 */
struct idle_poller {
	void (*quiet)(struct idle_poller *p);
	bool (*look)(struct idle_poller *p);
	void (*loud)(struct idle_poller *p);
	struct idle_poller *next; /* set by sched_idle_poller_add */
};
/* Adds p to cpu's idle loop, for good (drivers, at start). */
void sched_idle_poller_add(unsigned cpu, struct idle_poller *p);

/* The CPU the caller runs on (a hint: it may move right after) and the
 * number of CPUs started. */
static inline unsigned sched_this_cpu(void)
{
	return cpu_id();
}
static inline unsigned sched_cpus_started(void)
{
	return __atomic_load_n(&cpu_count, __ATOMIC_RELAXED);
}
/* Restricts `t` to the CPUs in mask (bit per CPU); -EINVAL if none of them
 * is online. The calling thread moves at once; another one at its next
 * switch, which an interrupt hurries along. */
int thread_set_affinity(struct thread *t, uint64_t mask);
/* Linux niceness, -20 (most CPU) to 19 (least); values outside are
 * clamped. A thread's share of a contended CPU is proportional to
 * 1.25^-nice, as Linux's weights; new threads inherit their creator's. */
void thread_set_nice(struct thread *t, int nice);
int thread_nice(const struct thread *t);
/* Real-time policy (Linux's SCHED_FIFO, SCHED_RR with rr): priority 1..99
 * runs before every fair thread and preempts it, and a higher priority
 * preempts a lower one; 0 goes back to the fair policy. Takes effect the
 * next time the thread is queued (the caller's own: at once). */
void thread_set_rt(struct thread *t, int prio, bool rr);
/* SCHED_RR's timeslice (Linux's RR_TIMESLICE: 100 ms). */
#define SCHED_RR_SLICE_NS 100000000ull
/* The calling thread moves to address space `as` (kernel/mm; NULL: the
 * first), loading its page table here now (execve, a process's exit). */
struct as;
void sched_switch_as(struct as *as);
/*
 * Whether a thread may run outside the first address space, with its own
 * descriptor table or process: false until the first fork or execve
 * (sched_several_as_begin), then true for good. Until then the paths
 * that would ask "which one?" (the context switch, futex keys, the
 * descriptor table, the current process) skip the question, so a program
 * that never forks pays one predictable branch at most. The flag is
 * stored before the first thread with its own as, files or proc is set
 * up to run: a CPU that runs such a thread took it from a run queue
 * after the store, so it reads true.
 */
extern bool sched_several_as_flag;
/* One compare and one branch (asm: the compiler would load, test, then
 * branch), and a fresh read each time like an atomic load. */
static inline bool several_as(void)
{
	asm goto("cmpb $0, %0\n\tjne %l[yes]"
		 :
		 : "m"(sched_several_as_flag)
		 : "cc"
		 : yes);
	return false;
yes:
	return true;
}
void sched_several_as_begin(void);
/* The CPUs that are online, bit per CPU. */
uint64_t sched_online_mask(void);
int thread_count(void);

/*
 * A sequentially consistent store (an xchg): the load of the condition
 * that follows may not pass it, which thread_wake's fence pairs with.
 */
static inline void sched_prepare_wait(void)
{
	__atomic_store_n(&current_thread()->state, THREAD_WAITING,
			 __ATOMIC_SEQ_CST);
}
static inline void sched_cancel_wait(void)
{
	__atomic_store_n(&current_thread()->state, THREAD_RUNNING,
			 __ATOMIC_SEQ_CST);
}
void sched_wait(void);
/* As sched_wait, but also wakes at monotonic time deadline_ns. */
void sched_wait_until(uint64_t deadline_ns);
/*
 * The whole wait pattern above in one call: sleeps until done(arg) is
 * true (true) or the monotonic deadline_ns passes (false); deadline 0
 * means none. done() is re-checked after every wakeup.
 */
bool sched_wait_for(bool (*done)(void *arg), void *arg, uint64_t deadline_ns);
/* Called on the way out of an interrupt: switches if a switch is due. */
void sched_preempt_point(void);

/*
 * One %gs-relative instruction: an interrupt can move a thread to another
 * CPU between computing this_cpu() and writing through it, but not in the
 * middle of an instruction.
 */
static inline void preempt_disable(void)
{
	asm volatile("incl %%gs:%c0" ::"i"(__builtin_offsetof(struct cpu,
							      preempt_count))
		     : "memory");
}
void preempt_enable(void);

/* Inline: every mutex, condvar and futex hand-over makes one. */
static inline void thread_wake_flag(int *flag, struct thread *t)
{
	preempt_disable(); /* rcu_read_lock (kernel/sync/sync.h) */
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	thread_wake(t);
	preempt_enable();
}

/* ---- timers ---- */
void timer_init(struct timer *t, void (*fn)(struct timer *));
/*
 * Arms `t` on this CPU to fire at monotonic time `deadline_ns`. Arming and
 * cancelling one timer must be serialised by its user; either works from
 * any CPU (a timer armed elsewhere is cancelled there, by a cross-call).
 * After timer_cancel returns, the function is neither running nor due.
 */
void timer_arm(struct timer *t, uint64_t deadline_ns);
void timer_cancel(struct timer *t);

/* ---- cross-CPU calls (kernel/sched/xcall.c) ---- */
/*
 * Runs fn(arg) on every CPU in mask (bit per CPU) but the caller's, in
 * interrupt context, and returns when all have finished. Callable with
 * interrupts off: while waiting it serves calls made to its own CPU.
 */
void xcall_many(uint64_t mask, void (*fn)(void *), void *arg);
void xcall(unsigned cpu, void (*fn)(void *), void *arg);
/* Serves calls queued for this CPU; the IPI handler's body. */
void xcall_serve(void);
int xcall_init(void);

/* ---- the clock ---- */
uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC: converts an absolute wall-clock time
 * to a monotonic deadline exactly (two clock reads would let a stall
 * between them move the deadline). */
uint64_t clock_realtime_offset_ns(void);
/* Sets CLOCK_REALTIME to ns (clock_settime); -EINVAL for a time before
 * the monotonic clock's zero. Waits already converted to monotonic
 * deadlines keep them. */
int clock_set_realtime(uint64_t ns);
/* Timer interrupts taken on all CPUs, for the tests. */
extern uint64_t timer_interrupts;

/*
 * For RCU (kernel/sync/rcu.c): a count that grows every time `cpu` passes
 * a quiescent point (a call of the scheduler with preemption enabled, or
 * idling), whether `cpu` is idle now, and a way to make it pass one soon.
 */
uint64_t sched_quiescent_count(unsigned cpu);
bool sched_cpu_idle(unsigned cpu);
/* Idle and not handling an interrupt: in no read section at all. */
bool sched_cpu_idle_quiescent(unsigned cpu);
/* Around every interrupt's handling (arch/x86_64/traps.c). */
void sched_irq_enter(void);
void sched_irq_exit(void);
void sched_kick(unsigned cpu);

/* Time all CPUs spent idle, for CPU-time clocks. */
uint64_t sched_idle_ns(void);

/*
 * The state dump an NMI prints (QEMU monitor `nmi`; tools/qemu-run sends
 * one when a guest times out): every CPU's scheduler state and where it
 * was interrupted, then what each hook prints (subsystems list their
 * threads through thread_dump, and their own state), in the order added.
 * Hooks run in NMI context: no locks, only reads.
 */
void thread_dump(const struct thread *t);
void sched_add_dump_hook(void (*fn)(void));

int sched_init(void);
/*
 * An application processor's idle thread, made by the boot CPU (so that
 * the AP takes no lock before it can sleep), and run by the AP in its boot
 * context: sched_run_idle never returns.
 */
struct thread *sched_make_idle(unsigned cpu, void *stack_bottom,
			       size_t stack_size);
__attribute__((noreturn)) void sched_run_idle(struct thread *idle);

#endif
