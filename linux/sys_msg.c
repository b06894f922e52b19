/*
 * System V message queues (man 2 msgget, msgsnd, msgrcv, msgctl; man 7
 * sysvipc): queues of typed messages named by a key, shared by every
 * process of the VM.
 *
 * A queue is a FIFO list of messages, each one allocation (header and
 * text). msgrcv picks by type as Linux does: the first (type 0), the first
 * of a type (> 0; MSG_EXCEPT: of another type), or the first of the
 * lowest type up to -type (< 0); MSG_COPY copies the message at an index.
 * A sender waits while the queue's bytes (or count) would pass msg_qbytes.
 *
 * Waiting is as in linux/sys_sem.c: a caller that must wait hangs a
 * waiter on its own stack on the queue's list and sleeps; every change
 * (a message in or out, IPC_SET, removal) wakes them all and each tries
 * again. Copies to and from the application happen outside the lock: a
 * message is built before msgsnd takes it, and taken off the queue
 * before msgrcv copies it out (a copy that faults loses it, as on Linux).
 *
 * Locking: msg_lock guards the table, every queue and the waiters' links;
 * a waiter retakes it after its sleep before it returns (see sys_sem.c).
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/ipc.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000

/* Linux's defaults (include/uapi/linux/msg.h), IPC_MNI queues here */
#define MSGMAX 8192
#define MSGMNB 16384
#define MSGSSZ 16
#define MSGPOOL (IPC_MNI * MSGMNB / 1024)
#define MSGSEG 0xffff

/* Linux's struct msqid64_ds and msginfo (x86-64) */
struct msqid64_ds {
	struct ipc64_perm perm;
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	uint64_t unused4, unused5;
};

struct msginfo {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};

struct msg {
	struct msg *next; /* under msg_lock while queued */
	long type;
	size_t len;
	char text[];
};

/* A sleeping msgsnd or msgrcv: on its caller's stack. */
struct msg_waiter {
	struct msg_waiter *next;
	struct thread *thread;
	int woken; /* atomic */
};

struct msg_queue {
	struct ipc_obj o; /* first: the table holds &o */
	/* under msg_lock */
	struct msg *head, **tail;
	uint64_t cbytes, qnum, qbytes;
	int lspid, lrpid;
	int64_t stime, rtime;
	struct msg_waiter *waiters;
};

static struct mutex msg_lock = MUTEX_INIT;
static struct ipc_table queues; /* under msg_lock */

static struct msg_queue *queue_by_id(long id)
{
	return (struct msg_queue *)ipc_by_id(&queues, id);
}

/* ---- waiting (under msg_lock) ---- */
static void wake_all(struct msg_queue *q)
{
	while (q->waiters) {
		struct msg_waiter *w = q->waiters;

		q->waiters = w->next;
		thread_wake_flag(&w->woken, w->thread);
	}
}

static void enqueue_waiter(struct msg_queue *q, struct msg_waiter *w)
{
	w->woken = 0;
	w->next = q->waiters;
	q->waiters = w;
}

static bool woken_or_signal(void *arg)
{
	struct msg_waiter *w = arg;

	return __atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) || signal_pending();
}

/*
 * Sleeps after a try queued w on queue id: 0 to try again, or -EINTR
 * (msgsnd and msgrcv are never restarted, signal(7)).
 */
static long sleep_then(long id, struct msg_waiter *w)
{
	sched_wait_for(woken_or_signal, w, 0);
	mutex_lock(&msg_lock);
	struct msg_queue *q = queue_by_id(id);
	bool woken = __atomic_load_n(&w->woken, __ATOMIC_ACQUIRE);
	if (q && !woken)
		for (struct msg_waiter **pp = &q->waiters; *pp;
		     pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
	mutex_unlock(&msg_lock);
	return woken || !signal_pending() ? 0 : -EINTR;
}

/* ---- msgget ---- */
static long create(int32_t key, unsigned flg)
{
	struct msg_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	ipc_obj_init(&q->o, key, flg);
	q->tail = &q->head;
	q->qbytes = MSGMNB;
	if (ipc_insert(&queues, &q->o)) {
		free(q);
		return -ENOSPC;
	}
	return q->o.id;
}

long sys_msgget(long key, long flg, long c, long d, long e, long f)
{
	long r;

	mutex_lock(&msg_lock);
	struct ipc_obj *o =
	    key == IPC_PRIVATE ? NULL : ipc_by_key(&queues, (int32_t)key);
	if (o)
		r = ipc_existing(o, (unsigned)flg, false);
	else if (!(flg & IPC_CREAT) && key != IPC_PRIVATE)
		r = -ENOENT;
	else
		r = create((int32_t)key, (unsigned)flg);
	mutex_unlock(&msg_lock);
	return r;
}

/* ---- msgsnd ---- */
static bool fits(const struct msg_queue *q, size_t len)
{
	return q->cbytes + len <= q->qbytes && q->qnum + 1 <= q->qbytes;
}

/* One try: 0 (sent: the queue owns m), an error, or 1 (w queued). */
static long send_try(long id, struct msg *m, unsigned flg, bool first,
		     struct msg_waiter *w)
{
	struct msg_queue *q = queue_by_id(id);

	if (!q)
		return first ? -EINVAL : -EIDRM;
	if (first && !ipc_may(&q->o, 2))
		return -EACCES;
	if (!fits(q, m->len)) {
		if (flg & IPC_NOWAIT)
			return -EAGAIN;
		enqueue_waiter(q, w);
		return 1;
	}
	m->next = NULL;
	*q->tail = m;
	q->tail = &m->next;
	q->cbytes += m->len;
	q->qnum++;
	q->lspid = ipc_pid();
	q->stime = ipc_now();
	wake_all(q);
	return 0;
}

static struct msg *msg_from_user(long ubuf, size_t len, long *err)
{
	int64_t type;
	struct msg *m = NULL;

	*err = copy_from_user(&type, (uint64_t)ubuf, sizeof(type));
	if (!*err && type < 1)
		*err = -EINVAL;
	if (!*err && !(m = malloc(sizeof(*m) + len)))
		*err = -ENOMEM;
	if (!*err)
		*err = copy_from_user(m->text, (uint64_t)ubuf + 8, len);
	if (*err) {
		free(m);
		return NULL;
	}
	m->type = type;
	m->len = len;
	return m;
}

long sys_msgsnd(long id, long ubuf, long len, long flg, long e, long f)
{
	struct msg_waiter w = {.thread = current_thread()};
	long r;

	if (len > MSGMAX || len < 0 || id < 0)
		return -EINVAL;
	struct msg *m = msg_from_user(ubuf, (size_t)len, &r);
	if (!m)
		return r;
	for (bool first = true;; first = false) {
		mutex_lock(&msg_lock);
		r = send_try(id, m, (unsigned)flg, first, &w);
		mutex_unlock(&msg_lock);
		if (r != 1 || (r = sleep_then(id, &w)))
			break;
	}
	if (r)
		free(m);
	return r;
}

/* ---- msgrcv ---- */
static bool picks(const struct msg *m, long type, unsigned flg)
{
	if (type == 0)
		return true;
	if (type > 0)
		return (m->type == type) != !!(flg & MSG_EXCEPT);
	return type == INT64_MIN || m->type <= -type;
}

/* The link to the message msgrcv takes, or NULL. */
static struct msg **find(struct msg_queue *q, long type, unsigned flg)
{
	struct msg **best = NULL;

	if (flg & MSG_COPY) { /* type is an index */
		struct msg **pp = &q->head;
		if (type < 0)
			return NULL;
		for (long i = 0; *pp && i < type; i++)
			pp = &(*pp)->next;
		return *pp ? pp : NULL;
	}
	for (struct msg **pp = &q->head; *pp; pp = &(*pp)->next)
		if (picks(*pp, type, flg) &&
		    (type >= 0 || !best || (*pp)->type < (*best)->type)) {
			best = pp;
			if (type >= 0)
				break;
		}
	return best;
}

static struct msg *take(struct msg_queue *q, struct msg **pp)
{
	struct msg *m = *pp;

	*pp = m->next;
	if (q->tail == &m->next)
		q->tail = pp;
	q->cbytes -= m->len;
	q->qnum--;
	q->lrpid = ipc_pid();
	q->rtime = ipc_now();
	wake_all(q);
	return m;
}

static struct msg *copy_of(const struct msg *m)
{
	struct msg *c = malloc(sizeof(*c) + m->len);

	if (c)
		memcpy(c, m, sizeof(*c) + m->len);
	return c;
}

/* One try: 0 with *out (ours now), an error, or 1 (w queued). */
static long recv_try(long id, size_t len, long type, unsigned flg,
		     bool first, struct msg_waiter *w, struct msg **out)
{
	struct msg_queue *q = queue_by_id(id);

	if (!q)
		return first ? -EINVAL : -EIDRM;
	if (first && !ipc_may(&q->o, 4))
		return -EACCES;
	struct msg **pp = find(q, type, flg);
	if (!pp) {
		if (flg & IPC_NOWAIT)
			return -ENOMSG;
		enqueue_waiter(q, w);
		return 1;
	}
	if ((*pp)->len > len && !(flg & MSG_NOERROR))
		return -E2BIG;
	*out = flg & MSG_COPY ? copy_of(*pp) : take(q, pp);
	return *out ? 0 : -ENOMEM;
}

static long msg_to_user(long ubuf, const struct msg *m, size_t len)
{
	int64_t type = m->type;
	size_t n = MIN(len, m->len);
	long r = copy_to_user((uint64_t)ubuf, &type, sizeof(type));

	if (!r)
		r = copy_to_user((uint64_t)ubuf + 8, m->text, n);
	return r ? r : (long)n;
}

long sys_msgrcv(long id, long ubuf, long len, long type, long flg, long f)
{
	struct msg_waiter w = {.thread = current_thread()};
	struct msg *m = NULL;
	long r;

	if (id < 0 || len < 0)
		return -EINVAL;
	if ((flg & MSG_COPY) &&
	    ((flg & MSG_EXCEPT) || !(flg & IPC_NOWAIT)))
		return -EINVAL;
	for (bool first = true;; first = false) {
		mutex_lock(&msg_lock);
		r = recv_try(id, (size_t)len, type, (unsigned)flg, first, &w,
			     &m);
		mutex_unlock(&msg_lock);
		if (r != 1 || (r = sleep_then(id, &w)))
			break;
	}
	if (r)
		return r;
	r = msg_to_user(ubuf, m, (size_t)len);
	free(m);
	return r;
}

/* ---- msgctl ---- */
static long info(int cmd, long ubuf)
{
	struct msginfo in = {MSGPOOL, MSGMNB, MSGMAX, MSGMNB,
			     IPC_MNI, MSGSSZ, MSGMNB, MSGSEG};

	mutex_lock(&msg_lock);
	long top = ipc_top(&queues);
	if (cmd == MSG_INFO) {
		in.msgpool = (int32_t)queues.used;
		in.msgmap = in.msgtql = 0;
		for (unsigned i = 0; i < IPC_MNI; i++) {
			struct msg_queue *q = (struct msg_queue *)queues.slot[i];
			if (q) {
				in.msgmap += (int32_t)q->qnum;
				in.msgtql += (int32_t)q->cbytes;
			}
		}
	}
	mutex_unlock(&msg_lock);
	long r = copy_to_user((uint64_t)ubuf, &in, sizeof(in));
	return r ? r : top;
}

static void stat_of(const struct msg_queue *q, struct msqid64_ds *ds)
{
	*ds = (struct msqid64_ds){
	    .stime = q->stime,
	    .rtime = q->rtime,
	    .ctime = q->o.ctime,
	    .cbytes = q->cbytes,
	    .qnum = q->qnum,
	    .qbytes = q->qbytes,
	    .lspid = q->lspid,
	    .lrpid = q->lrpid,
	};
	ipc_perm_out(&q->o, &ds->perm);
}

/* IPC_STAT, MSG_STAT and MSG_STAT_ANY (whose id is a table index). */
static long stat_cmd(long id, int cmd, long ubuf)
{
	struct msqid64_ds ds;
	long r;

	mutex_lock(&msg_lock);
	struct msg_queue *q = cmd == IPC_STAT ? queue_by_id(id)
			      : id < IPC_MNI ? (struct msg_queue *)queues.slot[id]
					     : NULL;
	if (!q)
		r = -EINVAL;
	else if (cmd != MSG_STAT_ANY && !ipc_may(&q->o, 4))
		r = -EACCES;
	else {
		stat_of(q, &ds);
		r = cmd == IPC_STAT ? 0 : q->o.id;
	}
	mutex_unlock(&msg_lock);
	if (r >= 0) {
		long c = copy_to_user((uint64_t)ubuf, &ds, sizeof(ds));
		r = c ? c : r;
	}
	return r;
}

static void queue_free(struct msg_queue *q)
{
	wake_all(q); /* they find it gone: EIDRM */
	ipc_remove(&queues, &q->o);
	while (q->head) {
		struct msg *m = q->head;
		q->head = m->next;
		free(m);
	}
	free(q);
}

/* IPC_SET: msg_qbytes above MSGMNB needs CAP_SYS_RESOURCE. */
static long set(struct msg_queue *q, const struct msqid64_ds *ds)
{
	if (ds->qbytes > MSGMNB && !cred_capable(CAP_SYS_RESOURCE))
		return -EPERM;
	ipc_perm_set(&q->o, &ds->perm);
	q->qbytes = ds->qbytes;
	wake_all(q); /* senders may fit now */
	return 0;
}

static long change_cmd(long id, int cmd, long ubuf)
{
	struct msqid64_ds ds;

	if (cmd == IPC_SET) {
		if (copy_from_user(&ds, (uint64_t)ubuf, sizeof(ds)))
			return -EFAULT;
		if ((int64_t)ds.qbytes < 0)
			return -EINVAL;
	}
	mutex_lock(&msg_lock);
	struct msg_queue *q = queue_by_id(id);
	long r = !q ? -EINVAL : !ipc_owns(&q->o) ? -EPERM : 0;
	if (!r && cmd == IPC_SET)
		r = set(q, &ds);
	else if (!r)
		queue_free(q);
	mutex_unlock(&msg_lock);
	return r;
}

long sys_msgctl(long id, long cmd, long ubuf, long d, long e, long f)
{
	if (id < 0 || cmd < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		return info((int)cmd, ubuf);
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		return stat_cmd(id, (int)cmd, ubuf);
	case IPC_SET:
	case IPC_RMID:
		return change_cmd(id, (int)cmd, ubuf);
	}
	return -EINVAL;
}

/* ---- /proc/sysvipc/msg, as Linux's ipc/msg.c prints it ---- */
static int show_msg(struct proc_buf *b, int arg)
{
	proc_printf(b, "       key      msqid perms      cbytes       qnum"
		       " lspid lrpid   uid   gid  cuid  cgid      stime"
		       "      rtime      ctime\n");
	mutex_lock(&msg_lock);
	for (unsigned i = 0; i < IPC_MNI; i++) {
		const struct msg_queue *q = (struct msg_queue *)queues.slot[i];

		if (q)
			proc_printf(
			    b,
			    "%10d %10d  %4o  %10llu %10llu %5u %5u %5u %5u "
			    "%5u %5u %10lld %10lld %10lld\n",
			    q->o.key, q->o.id, q->o.mode,
			    (unsigned long long)q->cbytes,
			    (unsigned long long)q->qnum, q->lspid, q->lrpid,
			    q->o.uid, q->o.gid, q->o.cuid, q->o.cgid,
			    (long long)q->stime, (long long)q->rtime,
			    (long long)q->o.ctime);
	}
	mutex_unlock(&msg_lock);
	return 0;
}

static const struct proc_entry msg_proc[] = {
    PFILE("msg", show_msg),
    {NULL},
};

static int msg_init(void)
{
	return procfs_register(sysvipc_dir(), msg_proc);
}
INIT_STEP(57, msg_init);
