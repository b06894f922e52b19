/*
 * signalfd (Linux: man 2 signalfd): a file whose reads take pending
 * signals of its mask, as sigtimedwait would, each as a 128-byte struct
 * signalfd_siginfo. A read takes signals pending for the reading thread
 * or the process (Linux's rule: the reader's, not the creator's), and
 * poll says readable when one of the mask is pending for the polling
 * thread or the process.
 *
 * Waking: every signal send sets its pending bit, then calls
 * signalfd_notify, which may run in an interrupt (a timer's SIGALRM), so
 * it only queues deferred work (fs/poll.h's poll_defer). That work takes
 * sfd_lock and notifies sfd_wq. A reader looks for a signal and goes to
 * sleep on sfd_wq while holding sfd_lock (waitq_wait registers before
 * unlocking), so the deferred notification, which runs after the bit is
 * set and must take sfd_lock first, either comes before the reader's look
 * (which then sees the bit) or finds the reader registered. Nothing is
 * queued while no signalfd exists (sfd_count).
 */
#include "fs/poll.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SFD_CLOEXEC O_CLOEXEC
#define SFD_NONBLOCK O_NONBLOCK
#define SI_TIMER (-2)
#define SI_KERNEL 0x80

/* Linux's struct signalfd_siginfo (uapi/linux/signalfd.h). */
struct signalfd_siginfo {
	uint32_t signo;
	int32_t errno_, code;
	uint32_t pid, uid;
	int32_t fd;
	uint32_t tid, band, overrun, trapno;
	int32_t status, int_;
	uint64_t ptr, utime, stime, addr;
	uint16_t addr_lsb, pad2;
	int32_t syscall;
	uint64_t call_addr;
	uint32_t arch;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "signalfd_siginfo");

struct signalfd {
	uint64_t mask; /* atomic: signalfd4 on the same fd replaces it */
};

static struct mutex sfd_lock = MUTEX_INIT;
/* every signalfd's readers and pollers */
static struct waitq sfd_wq = {MUTEX_INIT, LIST_INIT(sfd_wq.waiters)};
static int sfd_count; /* atomic: signalfds open */

static void sfd_wake(struct poll_deferred *d)
{
	mutex_lock(&sfd_lock);
	poll_notify(&sfd_wq, POLLIN);
	mutex_unlock(&sfd_lock);
}

static struct poll_deferred sfd_defer = {.fn = sfd_wake};

void signalfd_notify(void)
{
	if (__atomic_load_n(&sfd_count, __ATOMIC_ACQUIRE))
		poll_defer(&sfd_defer);
}

static uint64_t sfd_mask(struct file *f)
{
	struct signalfd *s = f->priv;

	return __atomic_load_n(&s->mask, __ATOMIC_ACQUIRE);
}

/* The fields Linux fills for the siginfo's layout (kernel/signal.c's
 * siginfo_layout: fault, child, timer, kill or queued). */
static void to_ssi(const struct ksiginfo *k, struct signalfd_siginfo *o)
{
	int sig = k->signo;
	bool fault = k->code > 0 && k->code < SI_KERNEL &&
		     (sig == SIGILL || sig == SIGFPE || sig == SIGSEGV ||
		      sig == SIGBUS || sig == SIGTRAP);

	memset(o, 0, sizeof(*o));
	o->signo = (uint32_t)sig;
	o->errno_ = k->errno_;
	o->code = k->code;
	if (fault) {
		o->addr = k->addr;
		return;
	}
	if (k->code == SI_TIMER) {
		o->tid = (uint32_t)k->addr;
		o->overrun = (uint32_t)(k->addr >> 32);
	} else {
		o->pid = (uint32_t)k->addr;
		o->uid = (uint32_t)(k->addr >> 32);
	}
	if (sig == SIGCHLD && k->code > 0) {
		o->status = (int32_t)k->rest[0];
		o->utime = k->rest[1];
		o->stime = k->rest[2];
	} else if (k->code < 0) { /* queued or a timer's: si_value */
		o->ptr = k->rest[0];
		o->int_ = (int32_t)k->rest[0];
	}
}

/* Under sfd_lock: one signal into o, waiting for one unless nonblock. */
static int64_t take_one(struct file *f, struct signalfd_siginfo *o, bool wait)
{
	struct ksiginfo k;
	int r;

	while (!signal_dequeue(sfd_mask(f), &k)) {
		if (!wait ||
		    (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK))
			return -EAGAIN;
		r = waitq_wait(&sfd_wq, &sfd_lock, 0);
		if (r)
			return r;
	}
	to_ssi(&k, o);
	return 0;
}

/* As Linux: waits for the first signal only, then takes what else is
 * pending, as many as fit. */
static int64_t sfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct signalfd_siginfo *out = buf;
	size_t max = n / sizeof(*out), got = 0;
	int64_t r = 0;

	if (!max)
		return -EINVAL;
	mutex_lock(&sfd_lock);
	while (got < max && !(r = take_one(f, &out[got], got == 0)))
		got++;
	mutex_unlock(&sfd_lock);
	return got ? (int64_t)(got * sizeof(*out)) : r;
}

static unsigned sfd_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(f, &sfd_wq, pt);
	return signal_pending_set() & sfd_mask(f) ? POLLIN : 0;
}

static void sfd_release(struct file *f)
{
	epoll_file_release(f);
	__atomic_fetch_sub(&sfd_count, 1, __ATOMIC_RELEASE);
	free(f->priv);
}

static const struct file_ops sfd_ops = {
    .read = sfd_read,
    .release = sfd_release,
    .poll = sfd_poll,
    .anon_name = "[signalfd]",
};

static long sfd_create(uint64_t mask, int flags)
{
	struct signalfd *s = calloc(1, sizeof(*s));
	struct file *f;
	int r, fd;

	if (!s)
		return -ENOMEM;
	s->mask = mask;
	f = file_alloc(&sfd_ops, s, O_RDWR | (flags & O_NONBLOCK), 0600);
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	r = poll_defer_start();
	__atomic_fetch_add(&sfd_count, 1, __ATOMIC_ACQ_REL);
	fd = r ? r : fd_install(f, 0, flags & SFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* signalfd4 on an existing signalfd: a new mask, the flags ignored. */
static long sfd_update(long fd, uint64_t mask)
{
	struct file *f = fd_get((int)fd);

	if (!f)
		return -EBADF;
	if (f->ops != &sfd_ops) {
		file_put(f);
		return -EINVAL;
	}
	__atomic_store_n(&((struct signalfd *)f->priv)->mask, mask,
			 __ATOMIC_RELEASE);
	file_put(f);
	return fd;
}

long sys_signalfd4(long fd, long umask, long size, long flags, long e, long g)
{
	uint64_t mask;

	if ((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) || size != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	if ((int)fd == -1)
		return sfd_create(mask, (int)flags);
	return sfd_update(fd, mask);
}

long sys_signalfd(long fd, long umask, long size, long d, long e, long g)
{
	return sys_signalfd4(fd, umask, size, 0, 0, 0);
}
