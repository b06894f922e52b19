/*
 * Application threads: clone (of a thread, and of a process: fork, vfork,
 * the other processes live in linux/process.c) and futex. Futexes are
 * keyed by address space and address.
 *
 * Futex waiters hang in one of 64 hash buckets by address, each under its
 * own mutex. FUTEX_WAIT checks the word under the bucket lock and queues
 * itself before unlocking, so a waker (who changes the word, then takes
 * the lock to wake) cannot slip between the check and the sleep. The
 * waker removes the waiter from the bucket and then sets `woken`; a waiter
 * that times out takes the lock and removes itself only if still queued,
 * otherwise the wakeup is already on its way and counts.
 *
 * FUTEX_WAKE on a bucket with nobody in it (glibc's mutex unlock after a
 * condvar wait makes one every time) returns without the lock. It is the
 * Linux protocol (futex_wake's hb_waiters_pending): the waiter publishes
 * itself in `head`, then reads the word; the waker's caller changed the
 * word, then the waker reads `head`; a full barrier sits between the two
 * steps on each side, so at least one sees the other: either the waker
 * finds the waiter and takes the lock, or the waiter finds the new value
 * and does not sleep. `head` changes only under the lock, with atomic
 * stores, since the waker reads it without.
 */
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY 0xffffffffu
#define NBUCKETS 64

struct futex_waiter {
	struct futex_waiter *next;
	struct thread *thread;
	uint64_t addr;
	uint32_t bitset;
	int woken; /* atomic */
};

struct bucket {
	struct mutex lock;
	struct futex_waiter *head; /* written under lock; read without */
};
static struct bucket buckets[NBUCKETS];

static struct bucket *bucket_of(uint64_t addr)
{
	return &buckets[(addr >> 2) * 0x9e3779b97f4a7c15ull >> 58];
}

static bool unlink_waiter(struct bucket *b, struct futex_waiter *w)
{
	for (struct futex_waiter **pp = &b->head; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			__atomic_store_n(pp, w->next, __ATOMIC_RELAXED);
			return true;
		}
	return false;
}

/* As waiter_wake: the woken thread may return and exit at once. */
static void wake_one(struct futex_waiter *w)
{
	thread_wake_flag(&w->woken, w->thread);
}

static bool is_woken(struct futex_waiter *w)
{
	return __atomic_load_n(&w->woken, __ATOMIC_ACQUIRE);
}

static bool futex_woken(void *w)
{
	return is_woken(w);
}

/* Woken, or a signal to handle: either ends a futex wait. */
static bool woken_or_signal(void *w)
{
	return is_woken(w) || signal_pending();
}

/*
 * Sleeps until woken (true), a signal, or the monotonic deadline (0:
 * none). Without a deadline it is sched_wait_for's loop written out, so
 * that the condition is checked inline rather than through a pointer:
 * every condvar hand-over waits here.
 */
static bool sleep_woken(struct futex_waiter *w, uint64_t deadline)
{
	if (deadline)
		return sched_wait_for(woken_or_signal, w, deadline) &&
		       is_woken(w);
	for (;;) {
		sched_prepare_wait();
		if (is_woken(w) || signal_pending()) {
			sched_cancel_wait();
			return is_woken(w);
		}
		sched_wait();
		if (is_woken(w))
			return true;
	}
}

/*
 * Sleeps, still queued, until the wait is over: 0 when woken, -ETIMEDOUT
 * at the deadline, and for a signal -ERESTARTSYS (untimed: restarted under
 * SA_RESTART or when no handler runs, as Linux since 2.6.22) or
 * -ERESTART_RESTARTBLOCK (timed: -EINTR for a handler, else resumed with
 * the same deadline). A wakeup for a process-directed signal that another
 * thread takes first ends one sleep but not the wait.
 */
static long sleep_until_done(struct futex_waiter *w, uint64_t deadline)
{
	for (;;) {
		if (sleep_woken(w, deadline))
			return 0;
		if (signal_pending())
			return deadline ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
		if (deadline && clock_monotonic_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline,
		       uint32_t bitset);

static long futex_wait_restart(struct restart_block *rb)
{
	return futex_wait(rb->arg[0], (uint32_t)rb->arg[1], rb->arg[2],
			  (uint32_t)rb->arg[3]);
}

/* A timed wait a signal interrupted resumes with its deadline. */
static long futex_wait_interrupted(uint64_t uaddr, uint32_t val,
				   uint64_t deadline, uint32_t bitset)
{
	*signal_restart_block() = (struct restart_block){
		futex_wait_restart, {uaddr, val, deadline, bitset}};
	return -ERESTART_RESTARTBLOCK;
}

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct bucket *b = bucket_of(uaddr);
	struct futex_waiter w = {.thread = current_thread(), .addr = uaddr,
				 .bitset = bitset};

	if (!bitset)
		return -EINVAL;
	mutex_lock(&b->lock);
	w.next = b->head;
	__atomic_store_n(&b->head, &w, __ATOMIC_RELAXED);
	/* Queued before the word is read: see futex_wake's lockless look. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	long cur = get_user_u32(uaddr);
	if (cur < 0 || (uint32_t)cur != val) {
		/* Still first: the bucket has been ours all along. */
		__atomic_store_n(&b->head, w.next, __ATOMIC_RELAXED);
		mutex_unlock(&b->lock);
		return cur < 0 ? -EFAULT : -EAGAIN;
	}
	mutex_unlock(&b->lock);
	long r = sleep_until_done(&w, deadline);
	if (!r)
		return 0;
	mutex_lock(&b->lock);
	bool queued = unlink_waiter(b, &w);
	mutex_unlock(&b->lock);
	if (queued)
		return r == -ERESTART_RESTARTBLOCK
			       ? futex_wait_interrupted(uaddr, val, deadline, bitset)
			       : r;
	/* A waker took us off the list: its wakeup is on its way. */
	sched_wait_for(futex_woken, &w, 0);
	return 0;
}

/* Addresses are per address space: a waiter's (its thread waits, so
 * the thread and its `as` stay) against the caller's. */
static inline bool same_as(const struct thread *t)
{
	return !several_as() || t->as == current_thread()->as;
}

/* Under b->lock: unlinks up to n waiters on uaddr into *out. Inline:
 * it is FUTEX_WAKE's whole work. */
static inline __attribute__((always_inline)) int take_waiters(struct bucket *b, uint64_t uaddr, int n,
			uint32_t bitset, struct futex_waiter **out)
{
	int taken = 0;

	for (struct futex_waiter **pp = &b->head; *pp && taken < n;) {
		struct futex_waiter *w = *pp;

		if (w->addr != uaddr || !(w->bitset & bitset) ||
		    !same_as(w->thread)) {
			pp = &w->next;
			continue;
		}
		__atomic_store_n(pp, w->next, __ATOMIC_RELAXED);
		w->next = *out;
		*out = w;
		taken++;
	}
	return taken;
}

static void wake_list(struct futex_waiter *list)
{
	while (list) {
		struct futex_waiter *next = list->next;

		wake_one(list);
		list = next;
	}
}

static __attribute__((noinline)) long wake_slow(struct bucket *b,
						       uint64_t uaddr, int n,
						       uint32_t bitset)
{
	struct futex_waiter *list = NULL;

	mutex_lock(&b->lock);
	int woken = take_waiters(b, uaddr, n, bitset, &list);
	mutex_unlock(&b->lock);
	wake_list(list);
	return woken;
}

long futex_wake(uint64_t uaddr, int n, uint32_t bitset)
{
	struct bucket *b = bucket_of(uaddr);

	if (!bitset)
		return -EINVAL;
	/*
	 * The caller's change of the word, then the look at `head` (x86
	 * lets a load pass an earlier store: the fence forbids it). An
	 * empty bucket: every waiter that queues from now on reads the new
	 * word, so there is nobody to wake.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&b->head, __ATOMIC_RELAXED))
		return 0;
	return wake_slow(b, uaddr, n, bitset);
}

/* Both buckets, always in the same order, so two requeues cannot deadlock. */
static void lock_two(struct bucket *a, struct bucket *b)
{
	if (a == b) {
		mutex_lock(&a->lock);
	} else if (a < b) {
		mutex_lock(&a->lock);
		mutex_lock(&b->lock);
	} else {
		mutex_lock(&b->lock);
		mutex_lock(&a->lock);
	}
}

static void unlock_two(struct bucket *a, struct bucket *b)
{
	mutex_unlock(&a->lock);
	if (a != b)
		mutex_unlock(&b->lock);
}

static long futex_requeue(uint64_t uaddr, int nwake, int nmove,
			  uint64_t uaddr2, bool cmp, uint32_t val)
{
	struct bucket *a = bucket_of(uaddr), *b = bucket_of(uaddr2);
	struct futex_waiter *list = NULL, *moved = NULL;
	uint32_t cur;
	long r;

	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	lock_two(a, b);
	if (cmp && copy_from_user(&cur, uaddr, sizeof(cur))) {
		r = -EFAULT;
	} else if (cmp && cur != val) {
		r = -EAGAIN;
	} else {
		r = take_waiters(a, uaddr, nwake, FUTEX_BITSET_ANY, &list);
		r += take_waiters(a, uaddr, nmove, FUTEX_BITSET_ANY, &moved);
		while (moved) {
			struct futex_waiter *w = moved;

			moved = w->next;
			w->addr = uaddr2;
			w->next = b->head;
			__atomic_store_n(&b->head, w, __ATOMIC_RELAXED);
		}
	}
	unlock_two(a, b);
	wake_list(list);
	return r;
}

/* FUTEX_WAKE_OP's operation on the old value; false for an unknown op. */
static bool wake_op_apply(uint32_t op, uint32_t old, uint32_t oparg,
			  uint32_t *new)
{
	switch (op) {
	case 0: *new = oparg; return true;
	case 1: *new = old + oparg; return true;
	case 2: *new = old | oparg; return true;
	case 3: *new = old & ~oparg; return true;
	case 4: *new = old ^ oparg; return true;
	default: return false;
	}
}

/* FUTEX_WAKE_OP's comparison: 0/1, or -ENOSYS for an unknown one. */
static int wake_op_compare(uint32_t cmp, int32_t old, int32_t cmparg)
{
	switch (cmp) {
	case 0: return old == cmparg;
	case 1: return old != cmparg;
	case 2: return old < cmparg;
	case 3: return old <= cmparg;
	case 4: return old > cmparg;
	case 5: return old >= cmparg;
	default: return -ENOSYS;
	}
}

/* Linux: futex_atomic_op_inuser. Threads on other CPUs change the word
 * with atomic instructions, so the update is a compare-exchange loop. */
static int wake_op_update(uint64_t uaddr2, uint32_t encoded)
{
	uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	/* Both arguments are signed 12-bit fields. */
	int32_t oparg = (int32_t)(encoded << 8) >> 20;
	int32_t cmparg = (int32_t)(encoded << 20) >> 20;
	uint32_t old, new, found;
	int r;

	if (encoded & (8u << 28))
		oparg = (int32_t)(1u << (oparg & 31));
	long word = get_user_u32(uaddr2);
	if (word < 0)
		return (int)word;
	old = (uint32_t)word;
	for (;;) {
		if (!wake_op_apply(op, old, (uint32_t)oparg, &new))
			return -ENOSYS;
		r = cmpxchg_user_u32(uaddr2, old, new, &found);
		if (r)
			return r;
		if (found == old)
			break;
		old = found;
	}
	return wake_op_compare(cmp, (int32_t)old, cmparg);
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg), wake on both if cmp. */
static long futex_wake_op(uint64_t uaddr, int n, int n2, uint64_t uaddr2,
			  uint32_t encoded)
{
	struct bucket *a = bucket_of(uaddr), *b = bucket_of(uaddr2);
	struct futex_waiter *list = NULL;
	long r;

	if (n < 0 || n2 < 0)
		return -EINVAL;
	lock_two(a, b);
	int hit = wake_op_update(uaddr2, encoded);
	if (hit < 0) {
		unlock_two(a, b);
		return hit;
	}
	r = take_waiters(a, uaddr, n, FUTEX_BITSET_ANY, &list);
	if (hit)
		r += take_waiters(b, uaddr2, n2, FUTEX_BITSET_ANY, &list);
	unlock_two(a, b);
	wake_list(list);
	return r;
}

/* The wait's deadline on the monotonic clock; 0 for none. */
static long deadline_of(long uts, bool absolute, bool realtime,
			uint64_t *deadline)
{
	uint64_t ns;

	*deadline = 0;
	if (!uts)
		return 0;
	int err = timespec_from_user((uint64_t)uts, &ns);
	if (err)
		return err;
	uint64_t off = clock_realtime_offset_ns();
	if (!absolute)
		*deadline = clock_monotonic_ns() + ns;
	else if (realtime)
		*deadline = ns > off ? ns - off : 0;
	else
		*deadline = ns;
	if (*deadline == 0)
		*deadline = 1; /* already passed, but not "no deadline" */
	return 0;
}

/* The commands besides FUTEX_WAKE and the waits without a timeout. */
static __attribute__((noinline)) long futex_other(int cmd, bool realtime,
						  long uaddr, long val,
						  long uts, long uaddr2,
						  long val3)
{
	uint64_t deadline;
	long r;

	switch (cmd) {
	case FUTEX_WAIT:
		r = deadline_of(uts, false, false, &deadline);
		return r ? r : futex_wait(uaddr, (uint32_t)val, deadline,
					  FUTEX_BITSET_ANY);
	case FUTEX_WAIT_BITSET:
		r = deadline_of(uts, true, realtime, &deadline);
		return r ? r : futex_wait(uaddr, (uint32_t)val, deadline,
					  (uint32_t)val3);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)val, (uint32_t)val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, (int)val, (int)uts, uaddr2, false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, (int)val, (int)uts, uaddr2, true,
				     (uint32_t)val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, (int)val, (int)uts, uaddr2,
				     (uint32_t)val3);
	default: {
		char what[32];

		snprintf(what, sizeof(what), "futex op %d", cmd);
		linux_missing(what);
		return -ENOSYS;
	}
	}
}

/*
 * The commands a condvar or mutex hand-over makes (FUTEX_WAKE, and
 * FUTEX_WAIT or FUTEX_WAIT_BITSET without a timeout: glibc's condvar
 * waits with the latter) are tested first and reach their handler with
 * a tail call: the other commands' stack frame (timespec, FUTEX_WAKE_OP's
 * state) stays out of their path.
 */
long sys_futex(long uaddr, long op, long val, long uts, long uaddr2,
	       long val3)
{
	int cmd = (int)op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

	if (uaddr & 3)
		return -EINVAL;
	if (likely(cmd == FUTEX_WAKE))
		return futex_wake(uaddr, (int)val, FUTEX_BITSET_ANY);
	if (likely(!uts && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)))
		return futex_wait(uaddr, (uint32_t)val, 0,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY
						    : (uint32_t)val3);
	return futex_other(cmd, op & FUTEX_CLOCK_REALTIME, uaddr, val, uts,
			   uaddr2, val3);
}

/* ---- futex2: futex_waitv, futex_wait, futex_wake (man 2 futex_waitv) ----
 *
 * futex_waitv queues one futex_waiter per entry, each in its word's
 * bucket, then reads the words: the protocol of futex_wait above, entry
 * by entry (each is published before its word is read), so a waker of
 * any of them either finds its waiter or the sleeper finds the new word.
 * A waker sets only the entry it took (its `woken`), so the sleep ends
 * when any entry is woken. Afterwards every entry is unlinked; one no
 * longer in its bucket was taken by a waker, whose store to that entry
 * may still be on its way: the entries live on this stack, so the
 * thread waits for each such flag before returning. The result is the
 * index of the last entry woken, as Linux's futex_unqueue_multiple.
 */
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_SIZE_MASK 0x03
#define FUTEX2_NUMA 0x04
#define FUTEX2_PRIVATE 128
#define FUTEX_WAITV_MAX 128
#define LINUX_CLOCK_REALTIME 0
#define LINUX_CLOCK_MONOTONIC 1

struct futex_waitv_user {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

/* Linux's futex2 flag checks: 32-bit words only; FUTEX2_NUMA (a node
 * word after the futex word) is not there yet. */
static long futex2_flags_check(uint64_t flags)
{
	if (flags & ~(uint64_t)(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_PRIVATE))
		return -EINVAL;
	if ((flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32)
		return -EINVAL;
	if (flags & FUTEX2_NUMA) {
		linux_missing("futex2 FUTEX2_NUMA");
		return -EINVAL;
	}
	return 0;
}

/* An absolute timeout on clockid as a monotonic deadline (0: none). */
static long futex2_deadline(long uts, long clockid, uint64_t *deadline)
{
	*deadline = 0;
	if (!uts)
		return 0;
	if (clockid != LINUX_CLOCK_REALTIME && clockid != LINUX_CLOCK_MONOTONIC)
		return -EINVAL;
	return deadline_of(uts, true, clockid == LINUX_CLOCK_REALTIME,
			   deadline);
}

struct waitv {
	struct futex_waiter w[FUTEX_WAITV_MAX];
	uint32_t val[FUTEX_WAITV_MAX];
	unsigned n;
};

static long waitv_in(struct waitv *v, long uwaitv, unsigned long n)
{
	struct futex_waitv_user e;

	for (unsigned i = 0; i < n; i++) {
		if (copy_from_user(&e, (uint64_t)uwaitv + i * sizeof(e),
				   sizeof(e)))
			return -EFAULT;
		if (e.reserved || futex2_flags_check(e.flags) ||
		    e.val > UINT32_MAX || (e.uaddr & 3))
			return -EINVAL;
		v->w[i] = (struct futex_waiter){.thread = current_thread(),
						.addr = e.uaddr,
						.bitset = FUTEX_BITSET_ANY};
		v->val[i] = (uint32_t)e.val;
	}
	v->n = (unsigned)n;
	return 0;
}

static void waitv_link(struct futex_waiter *w)
{
	struct bucket *b = bucket_of(w->addr);

	mutex_lock(&b->lock);
	w->next = b->head;
	__atomic_store_n(&b->head, w, __ATOMIC_RELAXED);
	mutex_unlock(&b->lock);
}

/* Unlinks every entry: the index of the last one a waker took, or -1. */
static long waitv_unlink_all(struct waitv *v)
{
	long last = -1;

	for (unsigned i = 0; i < v->n; i++) {
		struct bucket *b = bucket_of(v->w[i].addr);

		mutex_lock(&b->lock);
		bool queued = unlink_waiter(b, &v->w[i]);
		mutex_unlock(&b->lock);
		if (!queued) {
			sched_wait_for(futex_woken, &v->w[i], 0);
			last = i;
		}
	}
	return last;
}

/* 0 when every word holds its value, else -EAGAIN or -EFAULT. */
static long waitv_check(struct waitv *v)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* as futex_wait's */
	for (unsigned i = 0; i < v->n; i++) {
		long cur = get_user_u32(v->w[i].addr);
		if (cur < 0)
			return -EFAULT;
		if ((uint32_t)cur != v->val[i])
			return -EAGAIN;
	}
	return 0;
}

static bool waitv_done(void *arg)
{
	struct waitv *v = arg;

	for (unsigned i = 0; i < v->n; i++)
		if (is_woken(&v->w[i]))
			return true;
	return signal_pending();
}

static long waitv_sleep(struct waitv *v, uint64_t deadline)
{
	for (unsigned i = 0; i < v->n; i++)
		waitv_link(&v->w[i]);
	long r = waitv_check(v);
	if (!r) {
		bool in_time = sched_wait_for(waitv_done, v, deadline);
		r = !in_time ? -ETIMEDOUT
		    : signal_pending() ? -ERESTARTSYS : 0;
	}
	long woken = waitv_unlink_all(v);
	return woken >= 0 ? woken : r;
}

long sys_futex_waitv(long uwaitv, long n, long flags, long uts, long clockid,
		     long f)
{
	uint64_t deadline;
	long r;

	/* Linux's order: the call, the timeout, then each entry. */
	if (flags || !uwaitv || !n || (unsigned long)n > FUTEX_WAITV_MAX)
		return -EINVAL;
	r = futex2_deadline(uts, clockid, &deadline);
	if (r)
		return r;
	struct waitv *v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = waitv_in(v, uwaitv, (unsigned long)n);
	if (!r)
		r = waitv_sleep(v, deadline);
	free(v);
	return r;
}

long sys_futex_wake(long uaddr, long mask, long n, long flags, long e, long f)
{
	long r = futex2_flags_check((uint64_t)flags);

	if (r || (uaddr & 3) || !mask || (uint64_t)mask > UINT32_MAX)
		return r ? r : -EINVAL;
	if (!(int)n) /* Linux (FLAGS_STRICT): nothing to wake */
		return 0;
	return futex_wake((uint64_t)uaddr, (int)n, (uint32_t)mask);
}

long sys_futex_wait(long uaddr, long val, long mask, long flags, long uts,
		    long clockid)
{
	uint64_t deadline;
	long r = futex2_flags_check((uint64_t)flags);

	if (r || (uaddr & 3) || (uint64_t)val > UINT32_MAX ||
	    (uint64_t)mask > UINT32_MAX)
		return r ? r : -EINVAL;
	r = futex2_deadline(uts, clockid, &deadline);
	return r ? r : futex_wait((uint64_t)uaddr, (uint32_t)val, deadline,
				  (uint32_t)mask);
}

/* ---- clone ---- */
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_DETACHED 0x400000
#define CLONE_CHILD_SETTID 0x1000000
#define CSIGNAL 0xff
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
#define CLONE_KNOWN                                                            \
	(CLONE_THREAD_FLAGS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM |        \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |          \
	 CLONE_DETACHED | CLONE_CHILD_SETTID)

struct clone_start {
	struct syscall_frame frame;
	uint64_t child_tid, fs_base;
	bool set_child_tid;
	uint64_t blocked; /* the parent's signal mask, inherited */
};

void arch_return_to_app(struct syscall_frame *f, long rax)
	__attribute__((noreturn));

/* A clone that could not be registered: the kernel thread just ends. */
static void clone_abort(void *arg)
{
}

static void clone_child(void *arg)
{
	struct clone_start *cs = arg;
	struct thread *t = current_thread();
	struct syscall_frame frame = cs->frame;

	t->fs_base = cs->fs_base;
	/* A child that cannot get its state dies at once (a process's
	 * got it before it started: signals may come at once). */
	if (!t->sig && signal_thread_init(t, cs->blocked)) {
		free(cs);
		process_thread_exit(0);
	}
	wrmsr(0xc0000100, t->fs_base);
	if (cs->set_child_tid)
		copy_to_user(cs->child_tid, &t->app_tid, sizeof(int));
	free(cs);
	arch_return_to_app(&frame, 0);
}

static long clone_process(long flags, long newsp, long parent_tid,
			  long child_tid, long tls);
static struct clone_start *clone_start_of(long flags, long newsp, long tls);

/* clone and clone3 alike: a thread of this process, or a new process. */
static long clone_thread(long flags, long newsp, long parent_tid,
			 long child_tid, long tls)
{
	if (flags & ~(CLONE_KNOWN | CLONE_VFORK | CSIGNAL))
		return -EINVAL;
	if (!(flags & CLONE_THREAD))
		return clone_process(flags, newsp, parent_tid, child_tid, tls);
	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS ||
	    (flags & CLONE_VFORK))
		return -EINVAL; /* Linux: a thread shares the VM and handlers */
	struct clone_start *cs = clone_start_of(flags, newsp, tls);
	if (!cs)
		return -ENOMEM;
	cs->child_tid = (uint64_t)child_tid;
	__atomic_fetch_add(&current_process()->live_threads, 1, __ATOMIC_SEQ_CST);
	/* Suspended: the child must not run before it is complete. */
	struct thread *t = thread_create("app", clone_child, cs,
					 THREAD_FPU | THREAD_APP |
						 THREAD_DETACHED | THREAD_SUSPENDED);
	if (!t) {
		__atomic_fetch_sub(&current_process()->live_threads, 1, __ATOMIC_SEQ_CST);
		free(cs);
		return -ENOMEM;
	}
	fpu_save(t->fpu_state); /* the child inherits our vector state */
	t->proc = current_thread()->proc; /* a thread of this process */
	t->as = current_thread()->as;
	t->files = current_thread()->files;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (uint64_t)child_tid;
	int tid = t->tid;
	/* Known to tgkill and /proc before clone returns, as on Linux. */
	t->app_tid = tid;
	if (process_add_thread(t)) {
		t->flags &= ~THREAD_APP; /* not started: let it just exit */
		free(cs);
		t->entry = clone_abort;
		thread_start(t);
		__atomic_fetch_sub(&current_process()->live_threads, 1, __ATOMIC_SEQ_CST);
		return -EAGAIN;
	}
	sched_thread_inherit(t);
	cred_thread_inherit(t);
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(parent_tid, &tid, sizeof(tid));
	thread_start(t);
	return tid;
}

/* The child's address space and descriptors, as clone's flags say. */
static int process_parts(long flags, struct as **as, struct fd_table **files)
{
	struct thread *me = current_thread();

	if (flags & CLONE_VM) {
		*as = me->as;
		as_get(*as);
	} else if (!mm_reserve_ok() || !(*as = as_fork())) {
		return -ENOMEM;
	}
	if (flags & CLONE_FILES) {
		*files = me->files;
		fd_table_get(*files);
	} else if (!(*files = fd_table_fork())) {
		as_put(*as);
		return -ENOMEM;
	}
	return 0;
}

/* A thread made for a child that will not be: it just ends. */
static void abort_child(struct thread *t, struct clone_start *cs)
{
	t->flags &= ~THREAD_APP;
	t->proc = NULL;
	t->as = NULL;
	t->files = NULL;
	free(cs);
	t->entry = clone_abort;
	thread_start(t);
}

/* The new thread's start: the caller's frame (at the top of its kernel
 * stack) on newsp if given, its TLS, its signal mask. */
static struct clone_start *clone_start_of(long flags, long newsp, long tls)
{
	struct clone_start *cs = malloc(sizeof(*cs));

	if (!cs)
		return NULL;
	cs->frame = *(struct syscall_frame *)(current_thread()->kstack_top -
					      sizeof(struct syscall_frame));
	if (newsp)
		cs->frame.rsp = (uint64_t)newsp;
	cs->fs_base = flags & CLONE_SETTLS ? (uint64_t)tls
					   : current_thread()->fs_base;
	cs->set_child_tid = flags & CLONE_CHILD_SETTID;
	cs->blocked = signal_blocked_mask();
	return cs;
}

/*
 * fork, vfork and clone without CLONE_THREAD: a new process whose one
 * thread starts from a copy of the caller's frame with rax 0 (POSIX: the
 * caller's other threads are not copied). CLONE_VFORK holds the caller
 * until the child execs or exits.
 */
static long clone_process(long flags, long newsp, long parent_tid,
			  long child_tid, long tls)
{
	struct as *as;
	struct fd_table *files;

	if (flags & CLONE_SIGHAND)
		return -EINVAL; /* Linux: handlers are shared only with a VM */
	if (!(flags & CLONE_FS) != !(flags & CLONE_FILES)) {
		/* cwd and umask live with the descriptor table (fs/fdtable.c) */
		linux_missing("clone of a process with CLONE_FS apart from "
			      "CLONE_FILES");
		return -EINVAL;
	}
	struct clone_start *cs = clone_start_of(flags, newsp, tls);
	if (!cs)
		return -ENOMEM;
	cs->child_tid = (uint64_t)child_tid;
	int err = process_parts(flags, &as, &files);
	if (err) {
		free(cs);
		return err;
	}
	struct thread *t = thread_create("app", clone_child, cs,
					 THREAD_FPU | THREAD_APP |
						 THREAD_DETACHED | THREAD_SUSPENDED);
	if (!t) {
		as_put(as);
		fd_table_put(files);
		free(cs);
		return -ENOMEM;
	}
	fpu_save(t->fpu_state);
	/* Linux: the child has its parent thread's comm */
	snprintf(t->name, sizeof(t->name), "%s", current_thread()->name);
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (uint64_t)child_tid;
	t->app_tid = t->tid;
	err = signal_thread_init(t, cs->blocked) ? -ENOMEM
		: process_add_thread(t)		 ? -EAGAIN
				    : process_create(t, as, files,
						     (int)(flags & CSIGNAL));
	if (err) {
		process_remove_thread(t);
		as_put(as);
		fd_table_put(files);
		abort_child(t, cs);
		return err;
	}
	int tid = t->tid;
	struct process *child = t->proc;
	if (flags & CLONE_VFORK)
		child->vfork_parent = current_thread();
	sched_thread_inherit(t);
	cred_thread_inherit(t);
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(parent_tid, &tid, sizeof(tid));
	thread_start(t);
	if (flags & CLONE_VFORK)
		process_vfork_wait(child);
	return tid;
}

long sys_fork(long a, long b, long c, long d, long e, long f)
{
	return clone_process(SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(long a, long b, long c, long d, long e, long f)
{
	return clone_process(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* For the state dump: the buckets in use, their locks and waiters. */
void futex_dump(void)
{
	for (unsigned i = 0; i < NBUCKETS; i++) {
		struct bucket *b = &buckets[i];

		if (!b->head && !__atomic_load_n(&b->lock.count, __ATOMIC_RELAXED))
			continue;
		kprintf("futex bucket %u: lock ", i);
		mutex_dump(&b->lock);
		for (struct futex_waiter *w = b->head; w; w = w->next)
			kprintf("  waiter tid %d on 0x%lx%s\n", w->thread->tid,
				w->addr, w->woken ? " (woken)" : "");
	}
}

long sys_clone(long flags, long newsp, long parent_tid, long child_tid,
	       long tls, long f)
{
	return clone_thread(flags, newsp, parent_tid, child_tid, tls);
}

/* Linux: include/uapi/linux/sched.h, struct clone_args. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_PIDFD 0x1000
#define CLONE_CLEAR_SIGHAND 0x100000000ull
#define CLONE_INTO_CGROUP 0x200000000ull

/* Linux: a larger struct from a newer caller is fine if the part we do
 * not know is zero. */
static long clone_args_from_user(struct clone_args *a, long uargs, long size)
{
	uint8_t extra[64];

	if (size < CLONE_ARGS_SIZE_VER0 || size > 4096)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (copy_from_user(a, (uint64_t)uargs,
			   MIN((size_t)size, sizeof(*a))))
		return -EFAULT;
	for (size_t at = sizeof(*a); at < (size_t)size; at += sizeof(extra)) {
		size_t n = MIN(sizeof(extra), (size_t)size - at);

		if (copy_from_user(extra, (uint64_t)uargs + at, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (extra[i])
				return -E2BIG;
	}
	return 0;
}

long sys_clone3(long uargs, long size, long c, long d, long e, long f)
{
	struct clone_args a;
	long r = clone_args_from_user(&a, uargs, size);

	if (r)
		return r;
	/* The flags clone has no room for are all "into a new process" or
	 * pidfd ones; a thread's exit_signal is 0, and its stack needs a
	 * size (Linux's checks). */
	if (a.flags & (CLONE_PIDFD | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (a.flags >> 32 || a.set_tid_size || a.exit_signal > 64 ||
	    ((a.flags & CLONE_THREAD) && a.exit_signal))
		return -EINVAL;
	if (!a.stack != !a.stack_size)
		return -EINVAL;
	if (a.stack && a.stack + a.stack_size < a.stack)
		return -EINVAL;
	return clone_thread((long)a.flags | (long)a.exit_signal,
			    a.stack ? (long)(a.stack + a.stack_size) : 0,
			    (long)a.parent_tid, (long)a.child_tid, (long)a.tls);
}

static int futex_init(void)
{
	for (unsigned i = 0; i < NBUCKETS; i++)
		mutex_init(&buckets[i].lock);
	return 0;
}
INIT_STEP(53, futex_init);
