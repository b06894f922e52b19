/*
 * POSIX message queues (man 7 mq_overview; mq_open, mq_unlink,
 * mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr): named queues
 * of prioritised messages, shared by every process of the VM, reached
 * through descriptors that poll, select and epoll watch (readable: a
 * message is there; writable: there is room).
 *
 * A queue lives in a table of names (Linux's mqueue file system, without
 * the mount: /dev/mqueue is not there) and is counted: the name holds one
 * reference, each open description one; mq_unlink drops the name's, the
 * last close frees it. Messages are kept highest priority first, FIFO
 * within a priority, each one allocation. read(2) of a descriptor gives
 * Linux's status line (QSIZE, NOTIFY, SIGNO, NOTIFY_PID).
 *
 * mq_notify: one process per queue is told, once, when a message arrives
 * on the empty queue and no receiver is waiting (Linux's rule), by a
 * signal with si_code SI_MESGQ and its si_value (SIGEV_SIGNAL), or not at
 * all (SIGEV_NONE, which still holds the registration). SIGEV_THREAD is
 * glibc's netlink protocol, which Osprey's netlink sockets do not carry:
 * it is ENOSYS, reported once (glibc answers so without a netlink socket).
 * A registration ends when its owner closes the last descriptor of the
 * queue (Linux: any of its descriptors).
 *
 * Locking: mq_names guards the name table and every queue's refs; a
 * queue's own lock guards its messages, attributes and registration, and
 * is "a file's own lock" of fs/poll.h's order (its waitq's lock is taken
 * under it by poll_notify and waitq_wait). mq_names is never taken under
 * a queue's lock.
 */
#include "fs/fs.h"
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define MQ_PRIO_MAX 32768
#define MQ_NAMES 256		 /* Linux's queues_max */
#define MSG_DEFAULT 10		 /* Linux's msg_default */
#define MSGSIZE_DEFAULT 8192	 /* Linux's msgsize_default */
#define HARD_MSGMAX 65536	 /* with CAP_SYS_RESOURCE; else msg_max 10 */
#define HARD_MSGSIZEMAX (16 << 20) /* else msgsize_max 8192 */
#define MSG_MAX 10
#define MSGSIZE_MAX 8192
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SI_MESGQ (-3)
#define CAP_DAC_OVERRIDE 1
#define CAP_SYS_RESOURCE 24
#define LOAD_FLAGS(f) __atomic_load_n(&(f)->flags, __ATOMIC_RELAXED)
#ifndef EMSGSIZE
#define EMSGSIZE 90
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

/* Linux's struct mq_attr and the head of struct sigevent (x86-64). */
struct mq_attr {
	int64_t flags, maxmsg, msgsize, curmsgs, pad[4];
};

struct sigevent_k {
	uint64_t value;
	int32_t signo, notify;
	int32_t rest[12];
};

struct mq_msg {
	struct mq_msg *next;
	unsigned prio;
	size_t len;
	char data[];
};

struct mqueue {
	/* set at creation */
	int64_t maxmsg, msgsize;
	uint32_t uid, gid;
	/* under mq_names */
	int refs;
	char name[NAME_MAX + 1]; /* "" once unlinked */
	uint32_t mode;
	/* under lock */
	struct mutex lock;
	struct waitq wq; /* receivers, senders and pollers */
	struct mq_msg *head;
	int64_t curmsgs;
	uint64_t qsize;	      /* bytes of the messages */
	int receivers;	      /* waiting in mq_timedreceive */
	int notify_pid;	      /* 0: nobody registered */
	struct sigevent_k ev; /* the registration */
};

static struct mutex mq_names = MUTEX_INIT;
static struct mqueue *named[MQ_NAMES]; /* under mq_names */

/* ---- lifetime (under mq_names) ---- */
static void mq_free(struct mqueue *q)
{
	while (q->head) {
		struct mq_msg *m = q->head;
		q->head = m->next;
		free(m);
	}
	free(q);
}

static void mq_put(struct mqueue *q)
{
	mutex_lock(&mq_names);
	bool last = --q->refs == 0;
	mutex_unlock(&mq_names);
	if (last)
		mq_free(q);
}

static struct mqueue *lookup(const char *name, unsigned *slot)
{
	*slot = MQ_NAMES;
	for (unsigned i = 0; i < MQ_NAMES; i++) {
		if (named[i] && !strcmp(named[i]->name, name))
			return named[i];
		if (!named[i] && *slot == MQ_NAMES)
			*slot = i;
	}
	return NULL;
}

/* ---- the descriptor ---- */
static int64_t mq_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct mqueue *q = f->priv;
	char text[96];

	mutex_lock(&q->lock);
	bool sig = q->notify_pid && q->ev.notify == SIGEV_SIGNAL;
	int len = snprintf(text, sizeof(text),
			   "QSIZE:%-10llu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
			   (unsigned long long)q->qsize,
			   q->notify_pid ? q->ev.notify : 0, sig ? q->ev.signo : 0,
			   q->notify_pid);
	mutex_unlock(&q->lock);
	if (*pos < 0 || *pos >= len)
		return 0;
	size_t k = MIN(n, (size_t)(len - *pos));
	memcpy(buf, text + *pos, k);
	*pos += (int64_t)k;
	return (int64_t)k;
}

static unsigned mq_poll(struct file *f, struct poll_table *pt)
{
	struct mqueue *q = f->priv;
	unsigned mask = 0;

	poll_wait(f, &q->wq, pt);
	mutex_lock(&q->lock);
	if (q->curmsgs)
		mask |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		mask |= POLLOUT | POLLWRNORM;
	mutex_unlock(&q->lock);
	return mask;
}

static void mq_release(struct file *f)
{
	struct mqueue *q = f->priv;

	epoll_file_release(f);
	mutex_lock(&q->lock);
	if (q->notify_pid == current_process()->pid)
		q->notify_pid = 0;
	mutex_unlock(&q->lock);
	mq_put(q);
}

static const struct file_ops mq_ops = {
	.read = mq_read,
	.poll = mq_poll,
	.release = mq_release,
	.anon_name = "mqueue",
};

/* The queue behind descriptor fd, with the file (a reference) in *out;
 * -EBADF if it is not one or lacks `want` (4 read, 2 write). */
static struct mqueue *mq_fd(long fd, unsigned want, struct file **out)
{
	struct file *f = fd_get((int)fd);

	if (!f)
		return NULL;
	int acc = LOAD_FLAGS(f) & O_ACCMODE;
	bool ok = f->ops == &mq_ops &&
		  (!(want & 4) || acc == O_RDONLY || acc == O_RDWR) &&
		  (!(want & 2) || acc == O_WRONLY || acc == O_RDWR);
	if (!ok) {
		file_put(f);
		return NULL;
	}
	*out = f;
	return f->priv;
}

/* ---- mq_open and mq_unlink ---- */
/* The name argument: its length, or -ENOENT, -EACCES, -ENAMETOOLONG. */
static long name_from_user(long uname, char *name)
{
	char buf[NAME_MAX + 2];
	long n = strncpy_from_user(buf, (uint64_t)uname, sizeof(buf));

	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(buf, '/') || !strcmp(buf, ".") || !strcmp(buf, ".."))
		return -EACCES;
	memcpy(name, buf, (size_t)n + 1);
	return n;
}

static long attr_check(const struct mq_attr *a)
{
	if (a->maxmsg <= 0 || a->msgsize <= 0)
		return -EINVAL;
	if (cred_capable(CAP_SYS_RESOURCE))
		return a->maxmsg > HARD_MSGMAX || a->msgsize > HARD_MSGSIZEMAX
			   ? -EINVAL
			   : 0;
	return a->maxmsg > MSG_MAX || a->msgsize > MSGSIZE_MAX ? -EINVAL : 0;
}

static struct mqueue *mq_new(const char *name, uint32_t mode,
			     const struct mq_attr *a)
{
	struct mqueue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	mutex_init(&q->lock);
	waitq_init(&q->wq);
	memcpy(q->name, name, strlen(name) + 1);
	q->mode = mode & 0777 & ~vfs_umask_get();
	q->maxmsg = a->maxmsg;
	q->msgsize = a->msgsize;
	q->uid = (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);
	q->gid = (uint32_t)sys_getegid(0, 0, 0, 0, 0, 0);
	q->refs = 1; /* the name's */
	return q;
}

static bool may_open(const struct mqueue *q, int acc)
{
	unsigned want = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
	uint32_t uid = (uint32_t)sys_geteuid(0, 0, 0, 0, 0, 0);
	uint32_t gid = (uint32_t)sys_getegid(0, 0, 0, 0, 0, 0);
	unsigned granted = q->mode;

	if (uid == q->uid)
		granted >>= 6;
	else if (gid == q->gid)
		granted >>= 3;
	return !(want & ~granted & 7) || cred_capable(CAP_DAC_OVERRIDE);
}

/* Finds or makes the queue; a reference for the caller's file. */
static long get_queue(const char *name, long flags, long mode,
		      const struct mq_attr *a, struct mqueue **out)
{
	unsigned slot;
	long r = 0;

	mutex_lock(&mq_names);
	struct mqueue *q = lookup(name, &slot);
	if (q && (flags & O_CREAT) && (flags & O_EXCL))
		r = -EEXIST;
	else if (q && !may_open(q, (int)(flags & O_ACCMODE)))
		r = -EACCES;
	else if (!q && !(flags & O_CREAT))
		r = -ENOENT;
	else if (!q && slot == MQ_NAMES)
		r = -ENOSPC;
	else if (!q && !(q = named[slot] = mq_new(name, (uint32_t)mode, a)))
		r = -ENOMEM;
	if (!r) {
		q->refs++;
		*out = q;
	}
	mutex_unlock(&mq_names);
	return r;
}

long sys_mq_open(long uname, long flags, long mode, long uattr, long e,
		 long f)
{
	char name[NAME_MAX + 1];
	struct mq_attr a = {.maxmsg = MSG_DEFAULT, .msgsize = MSGSIZE_DEFAULT};
	struct mqueue *q;
	long r = name_from_user(uname, name);

	if (r < 0)
		return r;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if ((flags & O_CREAT) && uattr) {
		if (copy_from_user(&a, (uint64_t)uattr, sizeof(a)))
			return -EFAULT;
		if ((r = attr_check(&a)))
			return r;
	}
	if ((r = get_queue(name, flags, mode, &a, &q)))
		return r;
	int fl = (int)(flags & (O_ACCMODE | O_NONBLOCK));
	struct file *file = file_alloc(&mq_ops, q, fl, S_IFREG | q->mode);
	if (!file) {
		mq_put(q);
		return -ENOMEM;
	}
	int fd = fd_install(file, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(file);
	return fd;
}

long sys_mq_unlink(long uname, long b, long c, long d, long e, long f)
{
	char name[NAME_MAX + 1];
	unsigned slot;
	long r = name_from_user(uname, name);

	if (r < 0)
		return r;
	mutex_lock(&mq_names);
	struct mqueue *q = lookup(name, &slot);
	if (q) {
		for (unsigned i = 0; i < MQ_NAMES; i++)
			if (named[i] == q)
				named[i] = NULL;
		q->name[0] = 0;
	}
	mutex_unlock(&mq_names);
	if (!q)
		return -ENOENT;
	mq_put(q);
	return 0;
}

/* ---- timeouts: absolute CLOCK_REALTIME, as a monotonic deadline ---- */
/* 0: none (or past POLL_MAX_SLEEP_NS away: as good as none). */
static long deadline_of(long uts, uint64_t *deadline)
{
	uint64_t abs;

	*deadline = 0;
	if (!uts)
		return 0;
	long r = timespec_from_user((uint64_t)uts, &abs);
	if (r)
		return r;
	uint64_t now = clock_realtime_ns(), mono = clock_monotonic_ns();
	if (abs <= now)
		*deadline = mono | 1; /* passed: never 0 */
	else if (abs - now < POLL_MAX_SLEEP_NS)
		*deadline = mono + (abs - now);
	return 0;
}

/* Sleeps on q's waitq under q->lock: 0 to look again, or an error. */
static long mq_wait(struct mqueue *q, struct file *f, uint64_t deadline)
{
	bool timed = deadline != 0;

	if (LOAD_FLAGS(f) & O_NONBLOCK)
		return -EAGAIN;
	if (timed && clock_monotonic_ns() >= deadline)
		return -ETIMEDOUT;
	int r = waitq_wait(&q->wq, &q->lock, deadline);
	return r == -ETIMEDOUT || r == -ERESTARTSYS ? r : 0;
}

/* ---- mq_timedsend ---- */
static void notify(struct mqueue *q)
{
	struct ksiginfo info = {
	    .signo = q->ev.signo,
	    .code = SI_MESGQ,
	    .addr = (uint64_t)current_process()->pid |
		    (uint64_t)(uint32_t)sys_getuid(0, 0, 0, 0, 0, 0) << 32};
	int pid = q->notify_pid;

	q->notify_pid = 0; /* once */
	if (q->ev.notify != SIGEV_SIGNAL || !q->ev.signo)
		return;
	info.rest[0] = q->ev.value;
	if (pid == current_process()->pid)
		signal_send_to(current_process(), q->ev.signo, &info);
	else
		process_kill(pid, q->ev.signo, &info);
}

/* Highest priority first, FIFO within one. Under q->lock. */
static void insert(struct mqueue *q, struct mq_msg *m)
{
	struct mq_msg **pp = &q->head;

	while (*pp && (*pp)->prio >= m->prio)
		pp = &(*pp)->next;
	m->next = *pp;
	*pp = m;
	q->curmsgs++;
	q->qsize += m->len;
	if (q->curmsgs == 1 && q->notify_pid && !q->receivers)
		notify(q);
	poll_notify(&q->wq, POLLIN | POLLRDNORM);
}

static long send_locked(struct mqueue *q, struct file *f, struct mq_msg *m,
			uint64_t deadline)
{
	while (q->curmsgs >= q->maxmsg) {
		long r = mq_wait(q, f, deadline);
		if (r)
			return r;
	}
	insert(q, m);
	return 0;
}

long sys_mq_timedsend(long fd, long ubuf, long len, long prio, long uts,
		      long f)
{
	uint64_t deadline;
	struct file *file;
	long r = deadline_of(uts, &deadline);

	if (r)
		return r;
	if ((unsigned long)prio >= MQ_PRIO_MAX)
		return -EINVAL;
	struct mqueue *q = mq_fd(fd, 2, &file);
	if (!q)
		return -EBADF;
	struct mq_msg *m = NULL;
	if ((unsigned long)len > (unsigned long)q->msgsize)
		r = -EMSGSIZE;
	else if (!(m = malloc(sizeof(*m) + (size_t)len)))
		r = -ENOMEM;
	else if (!(r = copy_from_user(m->data, (uint64_t)ubuf, (size_t)len))) {
		m->len = (size_t)len;
		m->prio = (unsigned)prio;
		mutex_lock(&q->lock);
		r = send_locked(q, file, m, deadline);
		mutex_unlock(&q->lock);
	}
	if (r)
		free(m);
	file_put(file);
	return r;
}

/* ---- mq_timedreceive ---- */
static struct mq_msg *take_locked(struct mqueue *q, struct file *f,
				  uint64_t deadline, long *r)
{
	q->receivers++;
	while (!q->curmsgs && !(*r = mq_wait(q, f, deadline)))
		;
	q->receivers--;
	if (!q->curmsgs)
		return NULL;
	*r = 0;
	struct mq_msg *m = q->head;
	q->head = m->next;
	q->curmsgs--;
	q->qsize -= m->len;
	poll_notify(&q->wq, POLLOUT | POLLWRNORM);
	return m;
}

static long msg_out(const struct mq_msg *m, long ubuf, long uprio)
{
	uint32_t prio = m->prio;
	long r = copy_to_user((uint64_t)ubuf, m->data, m->len);

	if (!r && uprio)
		r = copy_to_user((uint64_t)uprio, &prio, sizeof(prio));
	return r ? r : (long)m->len;
}

long sys_mq_timedreceive(long fd, long ubuf, long len, long uprio, long uts,
			 long f)
{
	uint64_t deadline;
	struct file *file;
	long r = deadline_of(uts, &deadline);

	if (r)
		return r;
	struct mqueue *q = mq_fd(fd, 4, &file);
	if (!q)
		return -EBADF;
	if ((unsigned long)len < (unsigned long)q->msgsize) {
		file_put(file);
		return -EMSGSIZE;
	}
	mutex_lock(&q->lock);
	struct mq_msg *m = take_locked(q, file, deadline, &r);
	mutex_unlock(&q->lock);
	file_put(file);
	if (!m)
		return r;
	r = msg_out(m, ubuf, uprio);
	free(m);
	return r;
}

/* ---- mq_notify and mq_getsetattr ---- */
static long ev_check(const struct sigevent_k *ev)
{
	if (ev->notify == SIGEV_THREAD) {
		linux_missing("mq_notify SIGEV_THREAD");
		return -ENOSYS;
	}
	if (ev->notify != SIGEV_SIGNAL && ev->notify != SIGEV_NONE)
		return -EINVAL;
	if (ev->notify == SIGEV_SIGNAL && (ev->signo < 0 || ev->signo > 64))
		return -EINVAL;
	return 0;
}

static long do_notify(struct mqueue *q, const struct sigevent_k *ev)
{
	int pid = current_process()->pid;
	long r = 0;

	mutex_lock(&q->lock);
	if (!ev) {
		if (q->notify_pid == pid)
			q->notify_pid = 0;
	} else if (q->notify_pid) {
		r = -EBUSY;
	} else {
		q->ev = *ev;
		q->notify_pid = pid;
	}
	mutex_unlock(&q->lock);
	return r;
}

long sys_mq_notify(long fd, long uev, long c, long d, long e, long f)
{
	struct sigevent_k ev;
	struct file *file;
	long r = 0;

	if (uev && copy_from_user(&ev, (uint64_t)uev, sizeof(ev)))
		return -EFAULT;
	if (uev && (r = ev_check(&ev)))
		return r;
	struct mqueue *q = mq_fd(fd, 0, &file);
	if (!q)
		return -EBADF;
	r = do_notify(q, uev ? &ev : NULL);
	file_put(file);
	return r;
}

long sys_mq_getsetattr(long fd, long unew, long uold, long d, long e, long f)
{
	struct mq_attr na, old = {0};
	struct file *file;

	if (unew && copy_from_user(&na, (uint64_t)unew, sizeof(na)))
		return -EFAULT;
	if (unew && (na.flags & ~(int64_t)O_NONBLOCK))
		return -EINVAL;
	struct mqueue *q = mq_fd(fd, 0, &file);
	if (!q)
		return -EBADF;
	mutex_lock(&q->lock);
	old.flags = LOAD_FLAGS(file) & O_NONBLOCK;
	old.maxmsg = q->maxmsg;
	old.msgsize = q->msgsize;
	old.curmsgs = q->curmsgs;
	mutex_unlock(&q->lock);
	if (unew) {
		int fl = LOAD_FLAGS(file);
		vfs_setfl(file, (fl & ~O_NONBLOCK) | (int)na.flags);
	}
	file_put(file);
	if (uold && copy_to_user((uint64_t)uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
