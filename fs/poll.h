/*
 * Readiness and the files that exist for it: wait queues, poll/select,
 * epoll, pipes and FIFOs, eventfd and timerfd. Linux's numbers and
 * semantics are the specification (man 2 poll, epoll_ctl, pipe, eventfd,
 * timerfd_create); functions return 0 or a count, or a negative errno.
 *
 * A waitq is a list of poll_waiters under its own mutex. A file's poll
 * hook registers on its waitq through poll_wait(); whoever changes the
 * file's readiness calls poll_notify(), which runs every waiter's wake
 * function: a sleeping thread is woken, an epoll registration queues
 * itself on its epoll's ready list. Nothing is lost because a waiter is
 * registered before it looks at the state, and a change is made before
 * the notification (the protocol of kernel/sched/sched.h).
 *
 * Lock order: epoll_mutex -> an epoll's mtx (-> the mtx of an epoll
 * inside it) -> a file's own lock (a pipe's, an eventfd's) -> the file's
 * waitq lock -> the ready lock of an epoll watching the file -> that
 * epoll's own waitq lock -> the ready lock of an epoll watching that
 * epoll, and so on outward (epoll refuses loops). Wake functions run
 * under a waitq's lock: they may only take locks later in this order.
 * Interrupt handlers may only call poll_defer().
 */
#ifndef FS_POLL_H
#define FS_POLL_H

#include "fs/fs.h"
#include "lib/list.h"

/* ---- event bits (x86-64 values; epoll uses the same) ---- */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLMSG 0x400
#define POLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
/* Linux's DEFAULT_POLLMASK: files without a poll hook. */
#define POLL_DEFAULT (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

#define PIPE_BUF 4096 /* writes up to this size are atomic */
/* A sleep interrupted by a signal: restarted under SA_RESTART (the value
 * of linux/signal.h, which fs/ does not include). */
#ifndef ERESTARTSYS
#define ERESTARTSYS 512
#endif

/* ---- wait queues ---- */
struct waitq {
	struct mutex lock;
	struct list waiters; /* struct poll_waiter; under lock */
};
struct poll_waiter {
	struct list link; /* in wq->waiters, under wq->lock */
	struct waitq *wq; /* set by waitq_add */
	/* Runs under wq->lock; `events` is what changed (0: unknown). */
	void (*wake)(struct poll_waiter *w, unsigned events);
};

void waitq_init(struct waitq *wq);
void waitq_add(struct waitq *wq, struct poll_waiter *w);
void waitq_remove(struct poll_waiter *w);
/* Runs the wake function of every waiter on wq. Thread context. */
void poll_notify(struct waitq *wq, unsigned events);
/*
 * A condition-variable wait on wq for the caller, who holds `m`: registers,
 * unlocks m, sleeps until a notification, a signal or the monotonic
 * deadline (0: none), and re-locks m. 0 (maybe spurious: re-check),
 * -ERESTARTSYS when a signal is pending, -ETIMEDOUT.
 */
int waitq_wait(struct waitq *wq, struct mutex *m, uint64_t deadline_ns);

/* Whether the calling application thread has a signal to take (linux/). */
bool poll_signal_pending(void);

/* ---- poll hooks ---- */
/* What a poll hook is called with; NULL or a NULL queue: just look. */
struct poll_table {
	void (*queue)(struct poll_table *pt, struct file *f, struct waitq *wq);
};

static inline void poll_wait(struct file *f, struct waitq *wq,
			     struct poll_table *pt)
{
	if (pt && pt->queue)
		pt->queue(pt, f, wq);
}

/* The file's readiness: its hook's, else POLL_DEFAULT (the console: only
 * POLLOUT, since it has no input yet). */
unsigned vfs_poll(struct file *f, struct poll_table *pt);
/* Whether epoll can watch f (Linux: file_can_poll): it has a poll hook. */
bool vfs_pollable(struct file *f);

/* ---- poll and select ---- */
struct kpollfd {
	int fd;
	short events, revents;
};
#define POLL_NO_WAIT 0		/* deadline: look once */
#define POLL_FOREVER UINT64_MAX /* deadline: no timeout */
/* The longest single sleep or timer (~13 days): further deadlines are
 * reached in steps, since ns_to_tsc would overflow on huge ones. */
#define POLL_MAX_SLEEP_NS (1ull << 50)
/*
 * poll(2) on kernel memory until something is ready, the monotonic
 * deadline passes, or a signal comes: the number of entries with revents,
 * -EINTR, or -ENOMEM. Negative fds are skipped; closed ones get POLLNVAL,
 * or make the call -EBADF if `select` (select's semantics).
 */
long poll_fds(struct kpollfd *fds, size_t n, uint64_t deadline, bool select);

/* ---- deferred notification, for interrupt handlers ---- */
struct poll_deferred {
	struct poll_deferred *next; /* in the pending stack */
	int queued;		    /* atomic: on the stack, fn not yet run */
	void (*fn)(struct poll_deferred *d); /* runs in a kernel thread */
};
/* Starts the thread that runs deferred work (idempotent; thread context). */
int poll_defer_start(void);
/* Interrupt-safe: d->fn will run soon in thread context, once however
 * many times this is called before it runs. True if this call queued it
 * (false: it was queued already). */
bool poll_defer(struct poll_deferred *d);

/* ---- pipes ---- */
/* A new pipe: *rd gets the read end, *wr the write end (O_NONBLOCK may
 * be in flags). */
int pipe_create(int flags, struct file **rd, struct file **wr);
/* Called for a write to a pipe without readers, before -EPIPE (linux/
 * raises SIGPIPE at the caller). */
void linux_raise_sigpipe(void);

/* ---- epoll ---- */
struct epoll_event_k {
	uint32_t events;
	uint64_t data;
} __attribute__((packed)); /* x86-64's struct epoll_event */
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

int epoll_create_file(int flags, struct file **out);
bool file_is_epoll(struct file *f);
/* epoll_ctl(2) after the fd lookups: ep is an epoll file, tf the target
 * (not ep), fd its number; ev is ignored for DEL. */
int epoll_ctl_file(struct file *ep, int op, struct file *tf, int fd,
		   const struct epoll_event_k *ev);
/* Up to max events (max > 0) into out, waiting until the deadline as
 * poll_fds: a count, or -EINTR. */
long epoll_wait_file(struct file *ep, struct epoll_event_k *out, int max,
		     uint64_t deadline);

/* ---- eventfd ---- */
#define EFD_SEMAPHORE 1
int eventfd_create(uint64_t count, int flags, struct file **out);
/* For AIO's completions (IOCB_FLAG_RESFD): whether f is an eventfd, and
 * adding to its counter without waiting (saturating, as Linux). */
bool file_is_eventfd(struct file *f);
void eventfd_signal_file(struct file *f, uint64_t n);

/* ---- timerfd ---- */
/* Times in nanoseconds: `value` until the next expiry (0: disarmed),
 * `interval` between expiries (0: one-shot). */
struct timerfd_spec {
	uint64_t interval, value;
};
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
/* clock: CLOCK_REALTIME (0), CLOCK_MONOTONIC (1), CLOCK_BOOTTIME (7),
 * and their _ALARM variants (8, 9). */
int timerfd_create_file(int clock, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
/* With TFD_TIMER_ABSTIME, value is a time of the file's clock. */
int timerfd_settime_file(struct file *f, int flags,
			 const struct timerfd_spec *new,
			 struct timerfd_spec *old);
void timerfd_gettime_file(struct file *f, struct timerfd_spec *cur);

/* ---- O_ASYNC: signal-driven I/O (fs/fasync.c; man 2 fcntl) ---- */
#define F_OWNER_TID 0
#define F_OWNER_PID 1
#define F_OWNER_PGRP 2
/* After F_SETFL or FIOASYNC through descriptor fd (si_fd): starts or
 * stops watching f for its O_ASYNC flag. 0 or -ENOMEM. */
int fasync_update(struct file *f, int fd);
/* The owner that gets the signal (id 0: none); linux/ checks it exists. */
int fasync_set_owner(struct file *f, int type, int id);
void fasync_get_owner(struct file *f, int *type, int *id);
/* F_SETSIG's signal (0: SIGIO without si_fd and si_band). */
int fasync_set_sig(struct file *f, int sig);
int fasync_get_sig(struct file *f);
/* linux/: sends sig (0: SIGIO, SI_KERNEL) to the owner with si_code
 * `reason` (POLL_IN, ...), its si_band and si_fd. Called under a waitq
 * lock. */
void linux_send_sigio(int type, int id, int sig, int fd, int reason);

#endif
