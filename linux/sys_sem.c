/*
 * System V semaphores (man 2 semget, semop, semctl; man 7 sysvipc): sets
 * of counters named by a key, shared by every process of the VM.
 *
 * A semop's operations apply all together or not at all: they are tried
 * in order on the set and undone if one would block. A caller that must
 * wait hangs a waiter (on its own stack) on the set's list and sleeps;
 * any change to the set's values (an operation, SETVAL, SETALL, an exit's
 * undo) and its removal take every waiter off the list and wake it, and
 * each woken caller tries its operations again from the start. That is
 * simpler than Linux's queue of pending operations and gives the same
 * answers; a set many threads wait on pays a wakeup each per change.
 * GETNCNT and GETZCNT count the waiters by the semaphore and the kind of
 * operation that stopped them, as Linux does.
 *
 * SEM_UNDO: each (process, set) pair with adjustments has an entry on
 * the set's list, made at its first SEM_UNDO operation; the process's
 * last thread applies and frees its entries at exit (sem_exit), clamping
 * each value into [0, SEMVMX] as Linux does. A forked child starts with
 * none; execve keeps them (the process lives on).
 *
 * Locking: sem_lock guards the table, every set and every waiter's list
 * links. A waker unlinks a waiter and sets its `woken` under the lock,
 * and a waiter always takes the lock once after its sleep before it
 * returns, so the waiter's memory outlives every waker's use of it.
 * Nothing else is locked under sem_lock, except the kernel allocator.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/ipc.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SEM_UNDO 0x1000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20

/* Linux's defaults (include/uapi/linux/sem.h), IPC_MNI sets here */
#define SEMMSL 32000
#define SEMOPM 500
#define SEMVMX 32767
#define SEMAEM SEMVMX
#define SEMMNS (IPC_MNI * SEMMSL)

struct sembuf {
	uint16_t num;
	int16_t op;
	int16_t flg;
};

/* Linux's struct semid64_ds and seminfo (x86-64) */
struct semid64_ds {
	struct ipc64_perm perm;
	int64_t otime;
	uint64_t unused1;
	int64_t ctime;
	uint64_t unused2, nsems, unused3, unused4;
};

struct seminfo {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz,
	    semvmx, semaem;
};

/* A sleeping semop: on its caller's stack; links under sem_lock. */
struct sem_waiter {
	struct sem_waiter *next;
	struct thread *thread;
	int woken; /* atomic */
	int num;   /* the semaphore it waits on */
	bool zero; /* for zero (GETZCNT), else for an increase (GETNCNT) */
};

/* One process's adjustments to one set; under sem_lock. */
struct sem_undo {
	struct sem_undo *next;
	const struct process *proc;
	int32_t adj[];
};

struct sem_set {
	struct ipc_obj o; /* first: the table holds &o */
	/* under sem_lock */
	int nsems;
	int64_t otime;
	struct sem_waiter *waiters;
	struct sem_undo *undos;
	struct {
		int32_t val;
		int32_t pid;
	} sem[];
};

static struct mutex sem_lock = MUTEX_INIT;
static struct ipc_table sets;  /* under sem_lock */
static unsigned undo_entries; /* under sem_lock; read atomically at exit */

static struct sem_set *set_by_id(long id)
{
	return (struct sem_set *)ipc_by_id(&sets, id);
}

/* ---- waiting (under sem_lock) ---- */
static void wake_all(struct sem_set *s)
{
	while (s->waiters) {
		struct sem_waiter *w = s->waiters;

		s->waiters = w->next;
		thread_wake_flag(&w->woken, w->thread);
	}
}

static void unlink_waiter(struct sem_set *s, struct sem_waiter *w)
{
	for (struct sem_waiter **pp = &s->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

static unsigned count_waiters(const struct sem_set *s, int num, bool zero)
{
	unsigned n = 0;

	for (const struct sem_waiter *w = s->waiters; w; w = w->next)
		n += w->num == num && w->zero == zero;
	return n;
}

static bool woken_or_signal(void *arg)
{
	struct sem_waiter *w = arg;

	return __atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) || signal_pending();
}

/* ---- undo entries (under sem_lock) ---- */
static struct sem_undo *undo_of(struct sem_set *s, bool make)
{
	const struct process *p = current_process();

	for (struct sem_undo *u = s->undos; u; u = u->next)
		if (u->proc == p)
			return u;
	if (!make)
		return NULL;
	struct sem_undo *u =
	    calloc(1, sizeof(*u) + sizeof(int32_t) * (size_t)s->nsems);
	if (!u)
		return NULL;
	u->proc = p;
	u->next = s->undos;
	s->undos = u;
	__atomic_store_n(&undo_entries, undo_entries + 1, __ATOMIC_RELAXED);
	return u;
}

static void free_undos(struct sem_set *s)
{
	while (s->undos) {
		struct sem_undo *u = s->undos;

		s->undos = u->next;
		free(u);
		__atomic_store_n(&undo_entries, undo_entries - 1,
				 __ATOMIC_RELAXED);
	}
}

/* SETVAL and SETALL zero the adjustments of what they set (num -1: all). */
static void clear_adj(struct sem_set *s, int num)
{
	for (struct sem_undo *u = s->undos; u; u = u->next)
		for (int i = 0; i < s->nsems; i++)
			if (num < 0 || i == num)
				u->adj[i] = 0;
}

/* ---- semget ---- */
static struct sem_set *set_new(int32_t key, int nsems, unsigned flg)
{
	struct sem_set *s =
	    calloc(1, sizeof(*s) + sizeof(s->sem[0]) * (size_t)nsems);

	if (!s)
		return NULL;
	ipc_obj_init(&s->o, key, flg);
	s->nsems = nsems;
	return s;
}

static long create(int32_t key, int nsems, unsigned flg)
{
	if (!nsems)
		return -EINVAL;
	struct sem_set *s = set_new(key, nsems, flg);
	if (!s)
		return -ENOMEM;
	if (ipc_insert(&sets, &s->o)) {
		free(s);
		return -ENOSPC;
	}
	return s->o.id;
}

long sys_semget(long key, long nsems, long flg, long d, long e, long f)
{
	long r;

	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	mutex_lock(&sem_lock);
	struct sem_set *s = key == IPC_PRIVATE
				? NULL
				: (struct sem_set *)ipc_by_key(&sets, (int32_t)key);
	if (s)
		r = ipc_existing(&s->o, (unsigned)flg, nsems > s->nsems);
	else if (!(flg & IPC_CREAT) && key != IPC_PRIVATE)
		r = -ENOENT;
	else
		r = create((int32_t)key, (int)nsems, (unsigned)flg);
	mutex_unlock(&sem_lock);
	return r;
}

/* ---- semop ---- */
/* Undoes sops[0..n) on s (they were applied). */
static void revert(struct sem_set *s, const struct sembuf *sops, unsigned n,
		   struct sem_undo *u)
{
	while (n--) {
		s->sem[sops[n].num].val -= sops[n].op;
		if (u && (sops[n].flg & SEM_UNDO))
			u->adj[sops[n].num] += sops[n].op;
	}
}

/*
 * Applies sops to s all together: 0, -ERANGE, or 1 with *blk the
 * operation that must wait (nothing applied then).
 */
static long try_ops(struct sem_set *s, const struct sembuf *sops, unsigned n,
		    struct sem_undo *u, unsigned *blk)
{
	for (unsigned i = 0; i < n; i++) {
		const struct sembuf *op = &sops[i];
		int32_t v = s->sem[op->num].val + op->op;
		bool undo = u && (op->flg & SEM_UNDO);
		int32_t adj = undo ? u->adj[op->num] - op->op : 0;

		if ((op->op == 0 && s->sem[op->num].val) || v < 0 ||
		    v > SEMVMX || adj < -SEMAEM - 1 || adj > SEMAEM) {
			revert(s, sops, i, u);
			*blk = i;
			return op->op == 0 || v < 0 ? 1 : -ERANGE;
		}
		s->sem[op->num].val = v;
		if (undo)
			u->adj[op->num] = adj;
	}
	return 0;
}

static void applied(struct sem_set *s, const struct sembuf *sops, unsigned n)
{
	int pid = ipc_pid();
	bool changed = false;

	for (unsigned i = 0; i < n; i++) {
		s->sem[sops[i].num].pid = pid;
		changed |= sops[i].op != 0;
	}
	s->otime = ipc_now();
	if (changed)
		wake_all(s);
}

/* Linux's order: EFBIG for a semaphore past the set, then EACCES. */
static long check_ops(struct sem_set *s, const struct sembuf *sops,
		      unsigned n, bool *undo)
{
	unsigned max = 0, want = 4;

	for (unsigned i = 0; i < n; i++) {
		max = MAX(max, sops[i].num);
		if (sops[i].op)
			want = 2;
		if (sops[i].flg & SEM_UNDO)
			*undo = true;
	}
	if (max >= (unsigned)s->nsems)
		return -EFBIG;
	return ipc_may(&s->o, want) ? 0 : -EACCES;
}

/*
 * One try under sem_lock: 0 done, an error, or 1 with the waiter queued
 * on the set (w->num and w->zero say for what).
 */
static long attempt(long id, const struct sembuf *sops, unsigned n,
		    bool first, struct sem_waiter *w)
{
	struct sem_set *s = set_by_id(id);
	bool undo = false;
	unsigned blk = 0;

	if (!s)
		return first ? -EINVAL : -EIDRM;
	long r = check_ops(s, sops, n, &undo);
	struct sem_undo *u = undo && !r ? undo_of(s, true) : NULL;
	if (!r && undo && !u)
		r = -ENOMEM;
	if (!r)
		r = try_ops(s, sops, n, u, &blk);
	if (!r)
		applied(s, sops, n);
	if (r != 1)
		return r;
	if (sops[blk].flg & IPC_NOWAIT)
		return -EAGAIN;
	w->num = sops[blk].num;
	w->zero = sops[blk].op == 0;
	w->woken = 0;
	w->next = s->waiters;
	s->waiters = w;
	return 1;
}

static long semop_wait(long id, const struct sembuf *sops, unsigned n,
		       uint64_t deadline)
{
	struct sem_waiter w = {.thread = current_thread()};

	for (bool first = true;; first = false) {
		mutex_lock(&sem_lock);
		long r = attempt(id, sops, n, first, &w);
		mutex_unlock(&sem_lock);
		if (r != 1)
			return r;
		sched_wait_for(woken_or_signal, &w, deadline);
		mutex_lock(&sem_lock);
		struct sem_set *s = set_by_id(id);
		if (s && !__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
			unlink_waiter(s, &w);
		mutex_unlock(&sem_lock);
		if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
			continue; /* something changed: try again */
		if (signal_pending())
			return -EINTR; /* semop is never restarted (signal(7)) */
		if (deadline && clock_monotonic_ns() >= deadline)
			return -EAGAIN;
	}
}

static long do_semop(long id, long usops, long nsops, long utimeout)
{
	struct sembuf small[16], *sops = small;
	uint64_t deadline = 0, ns;

	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	if (nsops > 16 && !(sops = malloc(sizeof(*sops) * (size_t)nsops)))
		return -ENOMEM;
	long r = copy_from_user(sops, (uint64_t)usops,
				sizeof(*sops) * (size_t)nsops);
	if (!r && utimeout && !(r = timespec_from_user((uint64_t)utimeout, &ns))) {
		uint64_t now = clock_monotonic_ns();
		deadline = ns > UINT64_MAX - now ? 0 : now + ns;
	}
	if (!r)
		r = semop_wait(id, sops, (unsigned)nsops, deadline);
	if (sops != small)
		free(sops);
	return r;
}

long sys_semop(long id, long usops, long nsops, long d, long e, long f)
{
	return do_semop(id, usops, nsops, 0);
}

long sys_semtimedop(long id, long usops, long nsops, long utimeout, long e,
		    long f)
{
	return do_semop(id, usops, nsops, utimeout);
}

/* ---- semctl ---- */
static long info(int cmd, long ubuf)
{
	struct seminfo in = {SEMMNS, IPC_MNI, SEMMNS, SEMMNS, SEMMSL, SEMOPM,
			     SEMOPM, 20,     SEMVMX,  SEMAEM};

	mutex_lock(&sem_lock);
	long top = ipc_top(&sets);
	if (cmd == SEM_INFO) {
		in.semusz = (int32_t)sets.used;
		in.semaem = 0;
		for (unsigned i = 0; i < IPC_MNI; i++)
			if (sets.slot[i])
				in.semaem += ((struct sem_set *)sets.slot[i])->nsems;
	}
	mutex_unlock(&sem_lock);
	long r = copy_to_user((uint64_t)ubuf, &in, sizeof(in));
	return r ? r : top;
}

/* IPC_STAT, SEM_STAT and SEM_STAT_ANY (whose id is a table index). */
static long stat_cmd(long id, int cmd, long ubuf)
{
	struct semid64_ds ds = {0};
	long r;

	mutex_lock(&sem_lock);
	struct sem_set *s = cmd == IPC_STAT ? set_by_id(id)
			    : id < IPC_MNI ? (struct sem_set *)sets.slot[id]
					   : NULL;
	if (!s)
		r = -EINVAL;
	else if (cmd != SEM_STAT_ANY && !ipc_may(&s->o, 4))
		r = -EACCES;
	else {
		ipc_perm_out(&s->o, &ds.perm);
		ds.otime = s->otime;
		ds.ctime = s->o.ctime;
		ds.nsems = (uint64_t)s->nsems;
		r = cmd == IPC_STAT ? 0 : s->o.id;
	}
	mutex_unlock(&sem_lock);
	if (r >= 0) {
		long c = copy_to_user((uint64_t)ubuf, &ds, sizeof(ds));
		r = c ? c : r;
	}
	return r;
}

static void set_free(struct sem_set *s)
{
	wake_all(s); /* they find it gone: EIDRM */
	free_undos(s);
	ipc_remove(&sets, &s->o);
	free(s);
}

static long change_cmd(long id, int cmd, long ubuf)
{
	struct semid64_ds ds;

	if (cmd == IPC_SET && copy_from_user(&ds, (uint64_t)ubuf, sizeof(ds)))
		return -EFAULT;
	mutex_lock(&sem_lock);
	struct sem_set *s = set_by_id(id);
	long r = !s ? -EINVAL : !ipc_owns(&s->o) ? -EPERM : 0;
	if (!r && cmd == IPC_SET)
		ipc_perm_set(&s->o, &ds.perm);
	else if (!r)
		set_free(s);
	mutex_unlock(&sem_lock);
	return r;
}

/* GETVAL, GETPID, GETNCNT, GETZCNT. */
static long get_one(struct sem_set *s, int num, int cmd)
{
	if (num < 0 || num >= s->nsems)
		return -EINVAL;
	switch (cmd) {
	case GETVAL:
		return s->sem[num].val;
	case GETPID:
		return s->sem[num].pid;
	case GETNCNT:
		return count_waiters(s, num, false);
	}
	return count_waiters(s, num, true);
}

static long setval(struct sem_set *s, int num, long val)
{
	if (num < 0 || num >= s->nsems)
		return -EINVAL;
	if (!ipc_may(&s->o, 2))
		return -EACCES;
	s->sem[num].val = (int32_t)val;
	s->sem[num].pid = ipc_pid();
	clear_adj(s, num);
	s->o.ctime = ipc_now();
	wake_all(s);
	return 0;
}

static long setall(struct sem_set *s, const uint16_t *vals)
{
	if (!ipc_may(&s->o, 2))
		return -EACCES;
	for (int i = 0; i < s->nsems; i++)
		if (vals[i] > SEMVMX)
			return -ERANGE;
	for (int i = 0; i < s->nsems; i++) {
		s->sem[i].val = vals[i];
		s->sem[i].pid = ipc_pid();
	}
	clear_adj(s, -1);
	s->o.ctime = ipc_now();
	wake_all(s);
	return 0;
}

/* The set's size, for GETALL's and SETALL's buffer; 0: no such set. */
static int nsems_of(long id)
{
	mutex_lock(&sem_lock);
	struct sem_set *s = set_by_id(id);
	int n = s ? s->nsems : 0;
	mutex_unlock(&sem_lock);
	return n;
}

/* GETALL and SETALL copy through a buffer outside the lock. */
static long all_cmd(long id, int cmd, long ubuf)
{
	int n = nsems_of(id);
	size_t bytes = sizeof(uint16_t) * (size_t)n;
	uint16_t *vals = n ? malloc(bytes) : NULL;
	long r = !n ? -EINVAL : !vals ? -ENOMEM : 0;

	if (!r && cmd == SETALL)
		r = copy_from_user(vals, (uint64_t)ubuf, bytes);
	if (!r) {
		mutex_lock(&sem_lock);
		struct sem_set *s = set_by_id(id);
		if (!s || s->nsems != n)
			r = -EIDRM;
		else if (cmd == SETALL)
			r = setall(s, vals);
		else if (!ipc_may(&s->o, 4))
			r = -EACCES;
		else
			for (int i = 0; i < n; i++)
				vals[i] = (uint16_t)s->sem[i].val;
		mutex_unlock(&sem_lock);
	}
	if (!r && cmd == GETALL)
		r = copy_to_user((uint64_t)ubuf, vals, bytes);
	free(vals);
	return r;
}

static long one_cmd(long id, long num, int cmd, long arg)
{
	int val = (int)arg; /* union semun's int, in the low half */

	if (cmd == SETVAL && (val > SEMVMX || val < 0))
		return -ERANGE;
	mutex_lock(&sem_lock);
	struct sem_set *s = set_by_id(id);
	long r;
	if (!s)
		r = -EINVAL;
	else if (cmd == SETVAL)
		r = setval(s, (int)num, val);
	else
		r = ipc_may(&s->o, 4) ? get_one(s, (int)num, cmd) : -EACCES;
	mutex_unlock(&sem_lock);
	return r;
}

long sys_semctl(long id, long num, long cmd, long arg, long e, long f)
{
	if (id < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO:
		return info((int)cmd, arg);
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return stat_cmd(id, (int)cmd, arg);
	case IPC_SET:
	case IPC_RMID:
		return change_cmd(id, (int)cmd, arg);
	case GETALL:
	case SETALL:
		return all_cmd(id, (int)cmd, arg);
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
	case SETVAL:
		return one_cmd(id, num, (int)cmd, arg);
	}
	return -EINVAL;
}

/* ---- the end of a process: its SEM_UNDO adjustments ---- */
static void undo_set(struct sem_set *s, const struct process *p, int pid)
{
	for (struct sem_undo **pp = &s->undos; *pp; pp = &(*pp)->next) {
		struct sem_undo *u = *pp;

		if (u->proc != p)
			continue;
		for (int i = 0; i < s->nsems; i++) {
			if (!u->adj[i])
				continue;
			int32_t v = s->sem[i].val + u->adj[i];
			s->sem[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
			s->sem[i].pid = pid;
		}
		*pp = u->next;
		free(u);
		undo_entries--;
		wake_all(s);
		return;
	}
}

void sem_exit(const struct process *p)
{
	if (!__atomic_load_n(&undo_entries, __ATOMIC_RELAXED))
		return;
	mutex_lock(&sem_lock);
	for (unsigned i = 0; i < IPC_MNI; i++)
		if (sets.slot[i])
			undo_set((struct sem_set *)sets.slot[i], p, p->pid);
	mutex_unlock(&sem_lock);
}

/* ---- /proc/sysvipc/sem, as Linux's ipc/sem.c prints it ---- */
static int show_sem(struct proc_buf *b, int arg)
{
	proc_printf(b, "       key      semid perms      nsems   uid   gid"
		       "  cuid  cgid      otime      ctime\n");
	mutex_lock(&sem_lock);
	for (unsigned i = 0; i < IPC_MNI; i++) {
		const struct sem_set *s = (struct sem_set *)sets.slot[i];

		if (s)
			proc_printf(b,
				    "%10d %10d  %4o %10u %5u %5u %5u %5u "
				    "%10lld %10lld\n",
				    s->o.key, s->o.id, s->o.mode, s->nsems,
				    s->o.uid, s->o.gid, s->o.cuid, s->o.cgid,
				    (long long)s->otime, (long long)s->o.ctime);
	}
	mutex_unlock(&sem_lock);
	return 0;
}

static const struct proc_entry sem_proc[] = {
    PFILE("sem", show_sem),
    {NULL},
};

static int sysv_sem_init(void)
{
	return procfs_register(sysvipc_dir(), sem_proc);
}
INIT_STEP(57, sysv_sem_init);
