/*
 * Signal-driven I/O (man 2 fcntl: F_SETOWN, F_SETSIG; man 7 socket,
 * "Signals"): a file with O_ASYNC and an owner sends the owner SIGIO, or
 * the F_SETSIG signal with si_code POLL_IN/POLL_OUT/..., si_band and si_fd,
 * whenever it becomes readable or writable.
 *
 * No file type carries code for it. Turning O_ASYNC on registers a waiter
 * on the file's wait queues through its poll hook, as epoll does; every
 * poll_notify that file types already make then runs fa_wake, which maps
 * the events that changed onto Linux's reasons and asks linux/ to send.
 * Linux gives the same files a fasync method: pipes and FIFOs, sockets
 * and character devices that can be polled (ttys, ptys); on others
 * O_ASYNC is only a flag, as there.
 *
 * Ownership: a file's struct fasync is created (f->fasync) under
 * fasync_mutex by the first F_SETOWN, F_SETSIG or O_ASYNC and freed with
 * the file. Its registration (nwait, wait[]) is under fasync_mutex; the
 * owner, signal and fd are atomics that fa_wake reads without a lock,
 * under the lock of the wait queue that woke it. Lock order: fasync_mutex
 * -> the file's own lock (in its poll hook) -> its waitq lock -> linux/'s
 * proc_lock and sig_lock (in the send). Only files whose wait queues are
 * never notified under those locks take part (not signalfd or epoll,
 * which Linux does not support either).
 */
#include "fs/fs_private.h"
#include "fs/poll.h"

#define FA_MAX_QUEUES 4
/* si_code of SIGPOLL (Linux: include/uapi/asm-generic/siginfo.h) */
#define POLL_IN 1
#define POLL_OUT 2
#define POLL_ERR 4
#define POLL_PRI 5
#define POLL_HUP 6

struct fasync;
struct fa_waiter {
	struct poll_waiter w;
	struct fasync *fa;
};

struct fasync {
	struct file *file; /* set once */
	/* atomic: (type << 32) | (uint32_t)id, 0: no owner */
	uint64_t owner;
	int sig; /* atomic: F_SETSIG's, 0: SIGIO without details */
	int fd;	 /* atomic: si_fd, the descriptor O_ASYNC was set through */
	/* under fasync_mutex */
	unsigned nwait;
	struct fa_waiter wait[FA_MAX_QUEUES];
};

static struct mutex fasync_mutex = MUTEX_INIT;

/* Under fasync_mutex: f's state, made on first use (NULL: no memory). */
static struct fasync *fa_get(struct file *f)
{
	struct fasync *fa = f->fasync;

	if (fa)
		return fa;
	fa = calloc(1, sizeof(*fa));
	if (!fa)
		return NULL;
	fa->file = f;
	__atomic_store_n(&f->fasync, fa, __ATOMIC_RELEASE);
	return fa;
}

static struct fasync *fa_peek(struct file *f)
{
	return __atomic_load_n(&f->fasync, __ATOMIC_ACQUIRE);
}

bool fasync_supported(struct file *f)
{
	uint32_t type = f->inode ? f->inode->type : f->mode & S_IFMT;

	if (!vfs_pollable(f) || file_is_epoll(f))
		return false;
	return type == S_IFIFO || type == S_IFSOCK || type == S_IFCHR;
}

/* ---- sending ---- */
static void fa_send(struct fasync *fa, int reason)
{
	uint64_t owner = __atomic_load_n(&fa->owner, __ATOMIC_RELAXED);

	if (!owner)
		return;
	linux_send_sigio((int)(owner >> 32), (int)(uint32_t)owner,
			 __atomic_load_n(&fa->sig, __ATOMIC_RELAXED),
			 __atomic_load_n(&fa->fd, __ATOMIC_RELAXED), reason);
}

/* Runs under the lock of the waitq that changed: the events that did
 * (0: unknown, taken as the file's usual direction). */
static void fa_wake(struct poll_waiter *w, unsigned events)
{
	struct fasync *fa = container_of(w, struct fa_waiter, w)->fa;
	int acc = fa->file->flags & O_ACCMODE;
	bool rd = acc != O_WRONLY, wr = acc != O_RDONLY;

	if (!events)
		events = rd ? POLLIN : POLLOUT;
	if (rd && (events & (POLLIN | POLLRDNORM)))
		fa_send(fa, POLL_IN);
	if (wr && (events & (POLLOUT | POLLWRNORM)))
		fa_send(fa, POLL_OUT);
	if (events & POLLPRI)
		fa_send(fa, POLL_PRI);
	if (events & POLLERR)
		fa_send(fa, POLL_ERR);
	if (events & POLLHUP)
		fa_send(fa, POLL_HUP);
}

/* ---- registration (under fasync_mutex) ---- */
struct fa_register {
	struct poll_table pt;
	struct fasync *fa;
};

static void fa_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
	struct fasync *fa = container_of(pt, struct fa_register, pt)->fa;
	struct fa_waiter *w;

	if (fa->nwait == FA_MAX_QUEUES) {
		kprintf("osprey: O_ASYNC: a poll hook used more than %d "
			"waitqs\n",
			FA_MAX_QUEUES);
		return;
	}
	w = &fa->wait[fa->nwait++];
	w->fa = fa;
	w->w.wake = fa_wake;
	waitq_add(wq, &w->w);
}

static void fa_unregister(struct fasync *fa)
{
	for (unsigned i = 0; i < fa->nwait; i++)
		waitq_remove(&fa->wait[i].w);
	/* No wake runs now: it would hold a waitq lock we took. */
	fa->nwait = 0;
}

static int fa_register(struct file *f, int fd)
{
	struct fasync *fa = fa_get(f);
	struct fa_register reg = {.pt.queue = fa_queue, .fa = fa};

	if (!fa)
		return -ENOMEM;
	__atomic_store_n(&fa->fd, fd, __ATOMIC_RELAXED);
	if (!fa->nwait)
		vfs_poll(f, &reg.pt);
	return 0;
}

int fasync_update(struct file *f, int fd)
{
	bool on = __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ASYNC;
	struct fasync *fa;
	int r = 0;

	if (!on && !fa_peek(f))
		return 0; /* the common F_SETFL: nothing to do, no lock */
	if (!fasync_supported(f))
		return 0;
	mutex_lock(&fasync_mutex);
	on = __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ASYNC;
	fa = f->fasync;
	if (on)
		r = fa_register(f, fd);
	else if (fa)
		fa_unregister(fa);
	mutex_unlock(&fasync_mutex);
	return r;
}

void fasync_release(struct file *f)
{
	struct fasync *fa = fa_peek(f);

	if (!fa)
		return;
	mutex_lock(&fasync_mutex);
	fa_unregister(fa);
	f->fasync = NULL;
	mutex_unlock(&fasync_mutex);
	free(fa);
}

/* ---- owner and signal ---- */
int fasync_set_owner(struct file *f, int type, int id)
{
	struct fasync *fa;
	uint64_t owner = id ? (uint64_t)type << 32 | (uint32_t)id : 0;

	mutex_lock(&fasync_mutex);
	fa = fa_get(f);
	if (fa)
		__atomic_store_n(&fa->owner, owner, __ATOMIC_RELAXED);
	mutex_unlock(&fasync_mutex);
	return fa ? 0 : -ENOMEM;
}

void fasync_get_owner(struct file *f, int *type, int *id)
{
	struct fasync *fa = fa_peek(f);
	uint64_t owner = fa ? __atomic_load_n(&fa->owner, __ATOMIC_RELAXED)
			    : 0;

	*type = owner ? (int)(owner >> 32) : F_OWNER_PID;
	*id = (int)(uint32_t)owner;
}

int fasync_set_sig(struct file *f, int sig)
{
	struct fasync *fa;

	mutex_lock(&fasync_mutex);
	fa = fa_get(f);
	if (fa)
		__atomic_store_n(&fa->sig, sig, __ATOMIC_RELAXED);
	mutex_unlock(&fasync_mutex);
	return fa ? 0 : -ENOMEM;
}

int fasync_get_sig(struct file *f)
{
	struct fasync *fa = fa_peek(f);

	return fa ? __atomic_load_n(&fa->sig, __ATOMIC_RELAXED) : 0;
}
