/*
 * Host builds of net/ (tests/host/test_net.c, tests/fuzz/fuzz_netrx.c):
 * force-included before everything (-include), it stands in for the
 * kernel's scheduler and synchronisation headers, which need ring 0.
 * The host programs are single-threaded: a mutex only checks that it is
 * not taken twice, an RCU read section is nothing and call_rcu runs its
 * callback at once (no reader can be inside a section then).
 */
#ifndef TESTS_HOST_NET_HOST_H
#define TESTS_HOST_NET_HOST_H

#define KERNEL_SYNC_SYNC_H   /* kernel/sync/sync.h */
#define KERNEL_SCHED_SCHED_H /* kernel/sched/sched.h */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct thread;
struct rcu_head {
	struct rcu_head *next;
	void (*fn)(struct rcu_head *);
};
struct mutex {
	int held;
};
#define MUTEX_INIT                                                             \
	{                                                                      \
		0                                                              \
	}
void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(const struct mutex *m);
static inline void rcu_read_lock(void)
{
}
static inline void rcu_read_unlock(void)
{
}
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *));
uint64_t clock_monotonic_ns(void);
/* advances the host clock (net_flush is the only sleeper) */
void thread_sleep_ns(uint64_t ns);
struct condvar {
	int unused;
};
/* TCP's timers and worker (added by TCP): a timer only records its
 * deadline (tests fire it with host_timer_fire); the worker does not run
 * by itself (tests call tcp_work_drain). */
struct timer {
	void (*fn)(struct timer *);
	uint64_t deadline;
	bool armed;
	struct timer *next; /* in the armed list */
};
/* Runs every armed timer due at host_now_ns (the fuzzer's clock). */
void host_timers_fire(void);
void timer_init(struct timer *t, void (*fn)(struct timer *));
void timer_arm(struct timer *t, uint64_t deadline_ns);
void timer_cancel(struct timer *t);
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned flags);
void thread_wake(struct thread *t);
/* One CPU: TCP's per-CPU workers are one worker. */
#define MAX_CPUS 1
static inline unsigned sched_this_cpu(void)
{
	return 0;
}
static inline unsigned sched_cpus_started(void)
{
	return 1;
}
int thread_set_affinity(struct thread *t, uint64_t mask);
void thread_start(struct thread *t);
#define THREAD_SUSPENDED 8u
void sched_prepare_wait(void);
void sched_cancel_wait(void);
void sched_wait(void);

#endif
