/*
 * Scheduling policies and I/O priorities (man 7 sched, man 2
 * sched_setattr, ioprio_set), per thread, with Linux's checks
 * (kernel/sched/syscalls.c, block/ioprio.c).
 *
 * What is honoured: the nice value (sched_setattr's sched_nice for the
 * fair policies) is the scheduler's weight (kernel/sched: thread_nice).
 * What is kept and reported but not scheduled differently: SCHED_FIFO and
 * SCHED_RR and their priorities, SCHED_BATCH and SCHED_IDLE run as fair
 * threads; I/O priorities are kept (every I/O is memory here). A
 * SCHED_DEADLINE reservation is refused as Linux refuses one it cannot
 * admit (EBUSY), and reported.
 *
 * The attributes live in a table indexed by the thread's slot in
 * linux/exec.c's thread table, tagged with its tid (a slot whose tid is
 * another thread's holds nothing: that thread has the defaults), under
 * sched_lock.
 */
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/sys.h"

#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_DEADLINE 6
#define SCHED_RESET_ON_FORK 0x40000000
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_ALL 0x7f
#define SCHED_ATTR_SIZE_VER0 48
#define MAX_RT_PRIO 100
#define RR_TIMESLICE_NS 100000000 /* Linux's RR_TIMESLICE: 100 ms */
#define FAIR_SLICE_NS 10000000	  /* kernel/sched's SLICE_NS */
#define CAP_SYS_NICE 23
#define CAP_SYS_ADMIN 21
#define SLOTS 4096 /* linux/exec.c's MAX_APP_THREADS */

#define IOPRIO_CLASS_NONE 0
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define IOPRIO_NR_LEVELS 8

struct sched_k {
	int tid; /* whose these are; another's: the defaults */
	int policy, prio;
	bool reset_on_fork;
	uint16_t ioprio;
};

static struct mutex sched_lock = MUTEX_INIT;
/* under sched_lock; allocated when a thread first leaves the defaults */
static struct sched_k *table;

/* Linux's struct sched_attr (VER1, 56 bytes). */
struct sched_attr_k {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

/* ---- the thread a call names ---- */
/* 0 is the caller; a negative id -EINVAL, an unknown one -ESRCH (pid_t
 * is an int: the register's upper half is not part of it). */
static long target(long pid, int *slot, int *tid, int *nice)
{
	int id = (int)pid;
	struct thread *t;

	if (id < 0)
		return -EINVAL;
	rcu_read_lock();
	t = id ? process_find_thread(id) : current_thread();
	if (t) {
		*slot = t->app_slot;
		*tid = t->app_tid;
		*nice = thread_nice(t);
	}
	rcu_read_unlock();
	return t && *slot >= 0 && *slot < SLOTS ? 0 : -ESRCH;
}

/* Under sched_lock: the thread's attributes (defaults if none kept). */
static struct sched_k get_k(int slot, int tid)
{
	if (table && table[slot].tid == tid)
		return table[slot];
	return (struct sched_k){.tid = tid};
}

/* Under sched_lock: keeps k for the thread in `slot`; -ENOMEM when the
 * table cannot be made (only attributes other than the defaults need it). */
static int put_k(int slot, struct sched_k k)
{
	bool defaults = !k.policy && !k.prio && !k.reset_on_fork && !k.ioprio;

	if (!table && defaults)
		return 0;
	if (!table && !(table = calloc(SLOTS, sizeof(*table))))
		return -ENOMEM;
	table[slot] = k;
	return 0;
}

static void set_nice_of(int tid, int nice)
{
	rcu_read_lock();
	struct thread *t = process_find_thread(tid);
	if (t)
		thread_set_nice(t, nice);
	rcu_read_unlock();
}

static bool rt_policy(int policy);

/* The scheduler honours the real-time policies (kernel/sched). */
static void set_rt_of(int tid, int prio, bool rr)
{
	rcu_read_lock();
	struct thread *t = process_find_thread(tid);
	if (t)
		thread_set_rt(t, prio, rr);
	rcu_read_unlock();
}

/*
 * A new thread takes its creator's policy, priority, nice value and I/O
 * priority; with reset-on-fork, a real-time policy becomes SCHED_OTHER
 * and a negative nice value 0 (Linux: sched_fork). Before it runs.
 */
void sched_thread_inherit(struct thread *child)
{
	int slot, tid, nice;
	struct sched_k k;

	if (target(0, &slot, &tid, &nice) || child->app_slot < 0 ||
	    child->app_slot >= SLOTS)
		return;
	mutex_lock(&sched_lock);
	k = get_k(slot, tid);
	if (k.reset_on_fork) {
		if (k.policy == SCHED_FIFO || k.policy == SCHED_RR)
			k.policy = SCHED_OTHER, k.prio = 0;
		nice = MAX(nice, 0);
		k.reset_on_fork = false;
	}
	k.tid = child->app_tid;
	put_k(child->app_slot, k); /* no memory: the child gets the defaults */
	mutex_unlock(&sched_lock);
	thread_set_nice(child, nice);
	thread_set_rt(child, rt_policy(k.policy) ? k.prio : 0,
		      k.policy == SCHED_RR);
}

/* ---- policies ---- */
static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static bool valid_policy(int policy)
{
	return policy == SCHED_OTHER || rt_policy(policy) ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE ||
	       policy == SCHED_DEADLINE;
}

/* Linux's __sched_setscheduler checks for policy and priority. */
static long check_params(int policy, uint32_t prio)
{
	if (!valid_policy(policy))
		return -EINVAL;
	if (prio > MAX_RT_PRIO - 1)
		return -EINVAL;
	if (policy == SCHED_DEADLINE) {
		linux_missing("SCHED_DEADLINE");
		return -EBUSY; /* no bandwidth to admit it */
	}
	if (rt_policy(policy) != (prio != 0))
		return -EINVAL;
	if (rt_policy(policy) && !cred_capable(CAP_SYS_NICE))
		return -EPERM; /* RLIMIT_RTPRIO is 0 */
	return 0;
}

/* Sets what is given: policy -1 and prio KEEP_PRIO keep theirs, nice
 * (not NULL) is set for the fair policies. */
#define KEEP_PRIO UINT32_MAX
static long apply(long pid, int policy, uint32_t prio, int reset,
		  const int *nice)
{
	int slot, tid, cur_nice;
	long r = target(pid, &slot, &tid, &cur_nice);

	if (r)
		return r;
	mutex_lock(&sched_lock);
	struct sched_k k = get_k(slot, tid);
	if (policy < 0)
		policy = k.policy;
	if (prio == KEEP_PRIO)
		prio = (uint32_t)k.prio;
	r = check_params(policy, prio);
	if (!r) {
		k.policy = policy;
		k.prio = (int)prio;
		if (reset >= 0)
			k.reset_on_fork = reset;
		r = put_k(slot, k);
	}
	mutex_unlock(&sched_lock);
	if (!r)
		set_rt_of(tid, rt_policy(policy) ? (int)prio : 0,
			  policy == SCHED_RR);
	if (!r && nice && !rt_policy(policy))
		set_nice_of(tid, *nice);
	return r;
}

static long param_in(long uparam, uint32_t *prio)
{
	int p;

	if (!uparam)
		return -EINVAL;
	if (copy_from_user(&p, uparam, sizeof(p)))
		return -EFAULT;
	*prio = (uint32_t)p;
	return 0;
}

long sys_sched_setscheduler(long pid, long policy, long uparam, long d, long e,
			    long g)
{
	uint32_t prio;
	int reset = ((int)policy & SCHED_RESET_ON_FORK) != 0;
	long r = (int)pid < 0 ? -EINVAL : param_in(uparam, &prio);

	if (r)
		return r;
	policy = (int)policy & ~SCHED_RESET_ON_FORK;
	if (policy < 0)
		return -EINVAL;
	return apply(pid, (int)policy, prio, reset, NULL);
}

long sys_sched_setparam(long pid, long uparam, long c, long d, long e, long g)
{
	uint32_t prio;
	long r = (int)pid < 0 ? -EINVAL : param_in(uparam, &prio);

	return r ? r : apply(pid, -1, prio, -1, NULL);
}

static long query(long pid, struct sched_k *k, int *nice)
{
	int slot, tid;
	long r = target(pid, &slot, &tid, nice);

	if (r)
		return r;
	mutex_lock(&sched_lock);
	*k = get_k(slot, tid);
	mutex_unlock(&sched_lock);
	return 0;
}

long sys_sched_getscheduler(long pid, long b, long c, long d, long e, long g)
{
	struct sched_k k;
	int nice;
	long r = query(pid, &k, &nice);

	return r ? r : k.policy | (k.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(long pid, long uparam, long c, long d, long e, long g)
{
	struct sched_k k;
	int nice;
	long r = !uparam || (int)pid < 0 ? -EINVAL : query(pid, &k, &nice);

	return r ? r : copy_to_user(uparam, &k.prio, sizeof(k.prio));
}

long sys_sched_rr_get_interval(long pid, long uts, long c, long d, long e,
			       long g)
{
	struct sched_k k;
	int nice;
	long r = query(pid, &k, &nice);
	uint64_t ns = k.policy == SCHED_RR     ? RR_TIMESLICE_NS
		      : k.policy == SCHED_FIFO ? 0
					       : FAIR_SLICE_NS;
	int64_t ts[2] = {(int64_t)(ns / 1000000000),
			 (int64_t)(ns % 1000000000)};

	return r ? r : copy_to_user(uts, ts, sizeof(ts));
}

/* ---- sched_setattr, sched_getattr ---- */
/* Linux's sched_copy_attr: sizes from VER0 to a page, bytes past ours
 * zero, else E2BIG with our size written back. */
static long attr_in(long uattr, struct sched_attr_k *a)
{
	uint32_t size, ours = sizeof(*a);
	uint8_t b;

	if (copy_from_user(&size, uattr, sizeof(size)))
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE)
		goto too_big;
	for (uint32_t at = ours; at < size; at++) {
		if (copy_from_user(&b, uattr + at, 1))
			return -EFAULT;
		if (b)
			goto too_big;
	}
	memset(a, 0, sizeof(*a));
	if (copy_from_user(a, uattr, MIN(size, ours)))
		return -EFAULT;
	return 0;
too_big:
	return copy_to_user(uattr, &ours, sizeof(ours)) ? -EFAULT : -E2BIG;
}

long sys_sched_setattr(long pid, long uattr, long flags, long d, long e, long g)
{
	struct sched_attr_k a;
	int nice;
	long r;

	if (!uattr || (int)pid < 0 || flags)
		return -EINVAL;
	r = attr_in(uattr, &a);
	if (r)
		return r;
	if (a.flags & ~(uint64_t)SCHED_FLAG_ALL)
		return -EINVAL;
	nice = MAX(-20, MIN(19, a.nice));
	bool keep = a.flags & SCHED_FLAG_KEEP_PARAMS;
	bool keep_policy = a.flags & SCHED_FLAG_KEEP_POLICY;
	/* Keeping the policy keeps its reset-on-fork flag too (Linux). */
	return apply(pid, keep_policy ? -1 : (int)a.policy,
		     keep ? KEEP_PRIO : a.priority,
		     keep_policy ? -1
				 : (a.flags & SCHED_FLAG_RESET_ON_FORK) != 0,
		     keep ? NULL : &nice);
}

long sys_sched_getattr(long pid, long uattr, long size, long flags, long e,
		       long g)
{
	struct sched_attr_k a = {0};
	struct sched_k k;
	int nice;
	long r;

	if (!uattr || (int)pid < 0 || (uint32_t)size > PAGE_SIZE ||
	    (uint32_t)size < SCHED_ATTR_SIZE_VER0 || flags)
		return -EINVAL;
	r = query(pid, &k, &nice);
	if (r)
		return r;
	a.size = MIN((uint32_t)size, (uint32_t)sizeof(a));
	a.policy = (uint32_t)k.policy;
	a.flags = k.reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0;
	a.priority = (uint32_t)k.prio;
	a.nice = rt_policy(k.policy) ? 0 : nice;
	a.util_max = 1024; /* no clamping: the whole range */
	return copy_to_user(uattr, &a, a.size);
}

/* ---- I/O priorities (man 2 ioprio_set) ---- */
static long ioprio_check(long ioprio)
{
	int class = (int)((ioprio >> 13) & 7), level = (int)(ioprio & 7);

	switch (class) {
	case IOPRIO_CLASS_RT:
		if (!cred_capable(CAP_SYS_ADMIN) && !cred_capable(CAP_SYS_NICE))
			return -EPERM;
		return level < IOPRIO_NR_LEVELS ? 0 : -EINVAL;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return level ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* The threads `which`/`who` name: one thread, or (our one process group
 * or user) all; the tids go to fn. */
static long ioprio_targets(long which, long who, long (*fn)(int, void *),
			   void *arg)
{
	int slot, tid, nice;
	long r;

	if (which == IOPRIO_WHO_PROCESS) {
		r = target(who, &slot, &tid, &nice);
		return r == -EINVAL ? -ESRCH : r ? r : fn(tid, arg);
	}
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	if (who &&
	    who != (which == IOPRIO_WHO_PGRP ? current_process()->pid
					     : sys_getuid(0, 0, 0, 0, 0, 0)))
		return -ESRCH;
	r = -ESRCH;
	for (int t = process_next_thread(0); t >= 0;
	     t = process_next_thread(t + 1))
		r = fn(t, arg);
	return r;
}

static long set_one(int tid, void *arg)
{
	int slot, t, nice;
	long r = target(tid, &slot, &t, &nice);

	if (r)
		return r;
	mutex_lock(&sched_lock);
	struct sched_k k = get_k(slot, t);
	k.ioprio = (uint16_t) * (long *)arg;
	r = put_k(slot, k);
	mutex_unlock(&sched_lock);
	return r;
}

long sys_ioprio_set(long which, long who, long ioprio, long d, long e, long g)
{
	long r = ioprio_check(ioprio);

	return r ? r : ioprio_targets(which, who, set_one, &ioprio);
}

/* Linux's get answer for several threads: the best (lowest) value. */
static long get_one(int tid, void *arg)
{
	struct sched_k k;
	long *best = arg;
	int nice;
	long r = query(tid, &k, &nice);

	if (!r && (*best < 0 || k.ioprio < *best))
		*best = k.ioprio;
	return r;
}

long sys_ioprio_get(long which, long who, long c, long d, long e, long g)
{
	long best = -1;
	long r = ioprio_targets(which, who, get_one, &best);

	return best >= 0 ? best : r;
}
