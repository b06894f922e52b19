/*
 * Readiness system calls: poll, ppoll, select, pselect6, the epoll
 * family, eventfd and timerfd. They copy arguments in, check them in
 * Linux's order, turn timeouts into monotonic deadlines and hand over to
 * fs/poll.h; select and ppoll write the time left back, as Linux does.
 *
 * The signal masks of ppoll, pselect6 and epoll_pwait are checked
 * (size, address) but not applied: that needs linux/signal.c to swap the
 * mask for the wait and restore it after delivery, as rt_sigsuspend does.
 */
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define NSEC 1000000000ll
#define SIGSET_SIZE 8
#define EPOLL_CLOEXEC O_CLOEXEC
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event_k))
#define EP_BATCH 1024 /* events reported per epoll_wait at most */
#define EFD_FLAGS (EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)
#define TFD_FLAGS (O_CLOEXEC | O_NONBLOCK)
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
/* select's sets (Linux: fs/select.c) */
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET POLLPRI

struct timespec_user {
	int64_t sec, nsec;
};

bool poll_signal_pending(void)
{
	return signal_pending();
}

/* Puts f at the lowest free descriptor, or drops it. */
static long install(struct file *f, bool cloexec)
{
	int fd = fd_install(f, 0, cloexec);

	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- timeouts ---- */
static bool ts_valid(int64_t sec, int64_t nsec)
{
	return sec >= 0 && nsec >= 0 && nsec < NSEC;
}

/* The monotonic deadline `sec`.`nsec` from now (both valid). */
static uint64_t deadline_in(int64_t sec, int64_t nsec)
{
	uint64_t ns, d;

	if (!sec && !nsec)
		return POLL_NO_WAIT;
	if (__builtin_mul_overflow((uint64_t)sec, (uint64_t)NSEC, &ns) ||
	    __builtin_add_overflow(ns, (uint64_t)nsec, &ns) ||
	    __builtin_add_overflow(ns, clock_monotonic_ns(), &d) ||
	    d == POLL_FOREVER)
		return POLL_FOREVER; /* centuries away */
	return d;
}

static uint64_t deadline_ms(int ms)
{
	return ms < 0 ? POLL_FOREVER
		      : deadline_in(ms / 1000, ms % 1000 * 1000000ll);
}

/* A timespec timeout from the application: NULL means none. */
static int timeout_in(long uts, uint64_t *deadline)
{
	struct timespec_user ts;

	*deadline = POLL_FOREVER;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (!ts_valid(ts.sec, ts.nsec))
		return -EINVAL;
	*deadline = deadline_in(ts.sec, ts.nsec);
	return 0;
}

/* The time left until deadline, in ns (0 once passed). */
static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = clock_monotonic_ns();

	return deadline == POLL_NO_WAIT || deadline <= now ? 0 : deadline - now;
}

/* Linux writes the time left back into a timespec timeout; a zero one
 * stays, and a fault is ignored (the call has completed). */
static void timespec_out(long uts, uint64_t deadline)
{
	uint64_t left = time_left(deadline);
	struct timespec_user ts = {left / NSEC, left % NSEC};

	if (uts && deadline != POLL_NO_WAIT && deadline != POLL_FOREVER)
		copy_to_user(uts, &ts, sizeof(ts));
}

/* A signal mask argument: checked, not applied (see the top). */
static int sigmask_in(long umask, long size)
{
	uint64_t mask;

	if (!umask)
		return 0;
	if (size != SIGSET_SIZE)
		return -EINVAL;
	return copy_from_user(&mask, umask, sizeof(mask));
}

/* ---- poll ---- */
static long do_poll(long ufds, unsigned nfds, uint64_t deadline)
{
	struct kpollfd *fds = NULL;
	size_t bytes = (size_t)nfds * sizeof(*fds);
	long r;

	if (nfds > fd_get_limit())
		return -EINVAL;
	if (nfds && !(fds = malloc(bytes)))
		return -ENOMEM;
	r = copy_from_user(fds, ufds, bytes);
	if (!r)
		r = poll_fds(fds, nfds, deadline, false);
	if ((r >= 0 || r == -EINTR) && copy_to_user(ufds, fds, bytes))
		r = -EFAULT;
	free(fds);
	return r;
}

long sys_poll(long ufds, long nfds, long timeout, long d, long e, long f)
{
	return do_poll(ufds, (unsigned)nfds, deadline_ms((int)timeout));
}

long sys_ppoll(long ufds, long nfds, long uts, long umask, long size, long f)
{
	uint64_t deadline;
	long r = timeout_in(uts, &deadline);

	if (!r)
		r = sigmask_in(umask, size);
	if (r)
		return r;
	r = do_poll(ufds, (unsigned)nfds, deadline);
	timespec_out(uts, deadline);
	return r;
}

/* ---- select ---- */
struct fdsets {
	uint64_t *in, *out, *ex; /* NULL: the set was not given */
};

static bool bit(const uint64_t *set, int fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static void set_bit(uint64_t *set, int fd)
{
	set[fd / 64] |= 1ull << (fd % 64);
}

static int sets_in(struct fdsets *s, long uin, long uout, long uex,
		   size_t words)
{
	uint64_t **sets[] = {&s->in, &s->out, &s->ex};
	long user[] = {uin, uout, uex};

	for (int i = 0; i < 3; i++) {
		*sets[i] = NULL;
		if (!user[i])
			continue;
		*sets[i] = malloc(words * 8);
		if (!*sets[i])
			return -ENOMEM;
		if (copy_from_user(*sets[i], user[i], words * 8))
			return -EFAULT;
	}
	return 0;
}

static void sets_free(struct fdsets *s)
{
	free(s->in);
	free(s->out);
	free(s->ex);
}

/* The descriptors named in the sets, as poll entries; their number. */
static size_t sets_to_poll(const struct fdsets *s, int nfds,
			   struct kpollfd *fds)
{
	size_t n = 0;

	for (int fd = 0; fd < nfds; fd++) {
		short ev = (bit(s->in, fd) ? POLLIN_SET : 0) |
			   (bit(s->out, fd) ? POLLOUT_SET : 0) |
			   (bit(s->ex, fd) ? POLLEX_SET : 0);

		if (ev)
			fds[n++] = (struct kpollfd){fd, ev, 0};
	}
	return n;
}

/* Rewrites the sets with what is ready; the number of bits set. */
static long poll_to_sets(struct fdsets *s, const struct kpollfd *fds, size_t n,
			 size_t words)
{
	uint64_t *sets[] = {s->in, s->out, s->ex};
	const short masks[] = {POLLIN_SET, POLLOUT_SET, POLLEX_SET};
	long count = 0;

	for (int i = 0; i < 3; i++) {
		if (!sets[i])
			continue;
		memset(sets[i], 0, words * 8);
		for (size_t j = 0; j < n; j++) {
			if (fds[j].revents & masks[i]) {
				set_bit(sets[i], fds[j].fd);
				count++;
			}
		}
	}
	return count;
}

static int sets_out(const struct fdsets *s, long uin, long uout, long uex,
		    size_t words)
{
	const uint64_t *sets[] = {s->in, s->out, s->ex};
	long user[] = {uin, uout, uex};

	for (int i = 0; i < 3; i++)
		if (sets[i] && copy_to_user(user[i], sets[i], words * 8))
			return -EFAULT;
	return 0;
}

/* Linux: core_sys_select. nfds beyond the descriptor limit is cut. */
static long do_select(long nfds_arg, long uin, long uout, long uex,
		      uint64_t deadline)
{
	int nfds = (int)nfds_arg;
	struct fdsets s = {0};
	struct kpollfd *fds = NULL;
	size_t words, n;
	long r;

	if (nfds < 0)
		return -EINVAL;
	nfds = MIN((unsigned)nfds, fd_get_limit());
	words = ((size_t)nfds + 63) / 64;
	r = sets_in(&s, uin, uout, uex, words);
	if (!r && nfds && !(fds = malloc((size_t)nfds * sizeof(*fds))))
		r = -ENOMEM;
	if (r)
		goto out;
	n = sets_to_poll(&s, nfds, fds);
	r = poll_fds(fds, n, deadline, true);
	if (r < 0)
		goto out;
	r = poll_to_sets(&s, fds, n, words);
	if (sets_out(&s, uin, uout, uex, words))
		r = -EFAULT;
out:
	free(fds);
	sets_free(&s);
	return r;
}

struct timeval_user {
	int64_t sec, usec;
};

long sys_select(long nfds, long uin, long uout, long uex, long utv, long f)
{
	struct timeval_user tv;
	uint64_t deadline = POLL_FOREVER;
	long r;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		/* Linux normalises the microseconds before checking. */
		int64_t sec = tv.sec + tv.usec / 1000000;
		int64_t nsec = tv.usec % 1000000 * 1000;

		if (!ts_valid(sec, nsec))
			return -EINVAL;
		deadline = deadline_in(sec, nsec);
	}
	r = do_select(nfds, uin, uout, uex, deadline);
	if (utv && deadline != POLL_NO_WAIT && deadline != POLL_FOREVER) {
		uint64_t left = time_left(deadline);

		tv = (struct timeval_user){left / NSEC, left % NSEC / 1000};
		copy_to_user(utv, &tv, sizeof(tv)); /* a fault is ignored */
	}
	return r;
}

/* The sixth argument points to {const sigset_t *ss; size_t ss_len}. */
long sys_pselect6(long nfds, long uin, long uout, long uex, long uts, long usig)
{
	struct {
		uint64_t mask, size;
	} sig = {0, 0};
	uint64_t deadline;
	long r = timeout_in(uts, &deadline);

	if (r)
		return r;
	if (usig && copy_from_user(&sig, usig, sizeof(sig)))
		return -EFAULT;
	r = sigmask_in((long)sig.mask, (long)sig.size);
	if (r)
		return r;
	r = do_select(nfds, uin, uout, uex, deadline);
	timespec_out(uts, deadline);
	return r;
}

/* ---- epoll ---- */
long sys_epoll_create1(long flags, long b, long c, long d, long e, long f)
{
	struct file *file;
	int r;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	r = epoll_create_file(0, &file);
	return r ? r : install(file, flags & EPOLL_CLOEXEC);
}

long sys_epoll_create(long size, long b, long c, long d, long e, long f)
{
	if ((int)size <= 0)
		return -EINVAL;
	return sys_epoll_create1(0, 0, 0, 0, 0, 0);
}

/* A descriptor's file as poll, select and epoll see it: not O_PATH. */
static struct file *fd_get_pollable(long fd)
{
	struct file *f = fd_get((int)fd);

	if (f && (f->flags & O_PATH)) {
		file_put(f);
		f = NULL;
	}
	return f;
}

long sys_epoll_ctl(long epfd, long op, long fd, long uev, long e, long f)
{
	struct epoll_event_k ev = {0, 0};
	struct file *ep = NULL, *tf = NULL;
	long r = -EBADF;

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	ep = fd_get_pollable(epfd);
	tf = fd_get_pollable(fd);
	if (ep && tf)
		r = epoll_ctl_file(ep, (int)op, tf, (int)fd, &ev);
	if (ep)
		file_put(ep);
	if (tf)
		file_put(tf);
	return r;
}

static long do_epoll_wait(long epfd, long uevents, long max_arg,
			  uint64_t deadline)
{
	int max = (int)max_arg;
	struct epoll_event_k *out;
	struct file *f;
	long r;

	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, (size_t)max * sizeof(*out)))
		return -EFAULT;
	f = fd_get_pollable(epfd);
	if (!f)
		return -EBADF;
	r = -EINVAL;
	if (!file_is_epoll(f))
		goto out_put;
	max = MIN(max, EP_BATCH);
	r = -ENOMEM;
	out = malloc((size_t)max * sizeof(*out));
	if (!out)
		goto out_put;
	r = epoll_wait_file(f, out, max, deadline);
	if (r > 0 && copy_to_user(uevents, out, (size_t)r * sizeof(*out)))
		r = -EFAULT;
	free(out);
out_put:
	file_put(f);
	return r;
}

long sys_epoll_wait(long epfd, long uev, long max, long timeout, long e, long f)
{
	return do_epoll_wait(epfd, uev, max, deadline_ms((int)timeout));
}

long sys_epoll_pwait(long epfd, long uev, long max, long timeout, long umask,
		     long size)
{
	long r = sigmask_in(umask, size);

	return r ? r : do_epoll_wait(epfd, uev, max, deadline_ms((int)timeout));
}

long sys_epoll_pwait2(long epfd, long uev, long max, long uts, long umask,
		      long size)
{
	uint64_t deadline;
	long r = timeout_in(uts, &deadline);

	if (!r)
		r = sigmask_in(umask, size);
	return r ? r : do_epoll_wait(epfd, uev, max, deadline);
}

/* ---- eventfd ---- */
long sys_eventfd2(long count, long flags, long c, long d, long e, long f)
{
	struct file *file;
	int r;

	if (flags & ~EFD_FLAGS)
		return -EINVAL;
	r = eventfd_create((unsigned)count, (int)flags, &file);
	return r ? r : install(file, flags & O_CLOEXEC);
}

long sys_eventfd(long count, long b, long c, long d, long e, long f)
{
	return sys_eventfd2(count, 0, 0, 0, 0, 0);
}

/* ---- timerfd ---- */
struct itimerspec_user {
	struct timespec_user interval, value;
};

long sys_timerfd_create(long clock, long flags, long c, long d, long e, long f)
{
	struct file *file;
	int r;

	if ((flags & ~TFD_FLAGS) ||
	    (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME &&
	     clock != CLOCK_BOOTTIME && clock != CLOCK_REALTIME_ALARM &&
	     clock != CLOCK_BOOTTIME_ALARM))
		return -EINVAL;
	r = timerfd_create_file((int)clock, (int)flags, &file);
	return r ? r : install(file, flags & O_CLOEXEC);
}

/* Saturates at 2^62 ns (146 years): as good as never, and safe to add. */
static uint64_t ts_to_ns(struct timespec_user ts)
{
	uint64_t ns;

	if (__builtin_mul_overflow((uint64_t)ts.sec, (uint64_t)NSEC, &ns) ||
	    ns + (uint64_t)ts.nsec > (1ull << 62))
		return 1ull << 62;
	return ns + (uint64_t)ts.nsec;
}

static struct timespec_user ns_to_ts(uint64_t ns)
{
	return (struct timespec_user){ns / NSEC, ns % NSEC};
}

/* The file of a timerfd descriptor: -EBADF, or -EINVAL for another kind. */
static int timerfd_get(long fd, struct file **out)
{
	*out = fd_get_pollable(fd);
	if (!*out)
		return -EBADF;
	if (file_is_timerfd(*out))
		return 0;
	file_put(*out);
	return -EINVAL;
}

/* Linux checks the values before the descriptor: EINVAL wins. */
long sys_timerfd_settime(long fd, long flags, long unew, long uold, long e,
			 long f)
{
	struct itimerspec_user in, out;
	struct timerfd_spec new, old;
	struct file *file;
	long r;

	if (copy_from_user(&in, unew, sizeof(in)))
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    !ts_valid(in.value.sec, in.value.nsec) ||
	    !ts_valid(in.interval.sec, in.interval.nsec))
		return -EINVAL;
	r = timerfd_get(fd, &file);
	if (r)
		return r;
	if (flags & TFD_TIMER_CANCEL_ON_SET)
		linux_missing("timerfd TFD_TIMER_CANCEL_ON_SET");
	new = (struct timerfd_spec){ts_to_ns(in.interval), ts_to_ns(in.value)};
	r = timerfd_settime_file(file, (int)flags, &new, &old);
	file_put(file);
	out = (struct itimerspec_user){ns_to_ts(old.interval),
				       ns_to_ts(old.value)};
	if (!r && uold && copy_to_user(uold, &out, sizeof(out)))
		r = -EFAULT;
	return r;
}

long sys_timerfd_gettime(long fd, long ucur, long c, long d, long e, long f)
{
	struct itimerspec_user out;
	struct timerfd_spec cur;
	struct file *file;
	long r = timerfd_get(fd, &file);

	if (r)
		return r;
	timerfd_gettime_file(file, &cur);
	file_put(file);
	out = (struct itimerspec_user){ns_to_ts(cur.interval),
				       ns_to_ts(cur.value)};
	return copy_to_user(ucur, &out, sizeof(out));
}
