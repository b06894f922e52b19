/*
 * Self-tests of pipes and readiness in the kernel: the pipe ring across
 * its wrap-around and a resize with data inside, end of file and EAGAIN,
 * a blocking read woken by another thread, poll_fds, epoll, eventfd, and
 * a timerfd expiry reaching a poller through the interrupt timer and the
 * deferred-work thread.
 */
#include "fs/poll.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

static void fill(char *buf, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(i * 31 + seed);
}

static int ring_wrap_and_resize(void)
{
	static char in[8192], out[8192];
	struct file *rd, *wr;
	int failures = 0;

	if (pipe_create(O_NONBLOCK, &rd, &wr))
		return 1;
	CHECK_EQ(pipe_set_size(wr, 1), 4096);
	fill(in, sizeof(in), 1);
	CHECK_EQ(vfs_write(wr, in, 3000), 3000);
	CHECK_EQ(vfs_read(rd, out, 2000), 2000);
	/* 2500 more wrap around the one page: 1096 at the end, the rest
	 * at the start. */
	CHECK_EQ(vfs_write(wr, in + 3000, 2500), 2500);
	CHECK_EQ(vfs_write(wr, in, 1000), -EAGAIN); /* 596 free: atomic */
	CHECK_EQ(pipe_get_size(rd), 4096);
	CHECK_EQ(pipe_set_size(rd, 8000), 8192);
	CHECK_EQ(vfs_write(wr, in + 5500, 1000), 1000);
	CHECK_EQ(vfs_read(rd, out + 2000, 8192), 4500);
	CHECK(!memcmp(out, in, 6500));
	CHECK_EQ(vfs_read(rd, out, 1), -EAGAIN);
	file_put(wr);
	CHECK_EQ(vfs_read(rd, out, 1), 0); /* no writer: end of file */
	CHECK_EQ(pipe_get_size(rd), 8192);
	file_put(rd);
	return failures;
}

struct delayed_write {
	struct file *f;
	uint64_t delay_ns;
};

static void write_later(void *arg)
{
	struct delayed_write *d = arg;

	thread_sleep_ns(d->delay_ns);
	vfs_write(d->f, "w", 1);
}

static int blocking_read_is_woken(void)
{
	struct delayed_write d;
	struct file *rd, *wr;
	struct thread *t;
	int failures = 0;
	uint64_t t0;
	char c = 0;

	if (pipe_create(0, &rd, &wr))
		return 1;
	d = (struct delayed_write){wr, 20000000};
	/* Before the writer starts its 20 ms: it may run at once elsewhere. */
	t0 = clock_monotonic_ns();
	t = thread_create("pipe-writer", write_later, &d, 0);
	CHECK(t != NULL);
	CHECK_EQ(vfs_read(rd, &c, 1), 1);
	CHECK(clock_monotonic_ns() - t0 >= 15000000);
	CHECK_EQ(c, 'w');
	if (t)
		thread_join(t);
	file_put(rd);
	file_put(wr);
	return failures;
}

static int poll_and_epoll(void)
{
	struct kpollfd fds[2];
	struct epoll_event_k ev = {POLLIN, 42}, out[2];
	struct file *rd, *wr, *ep, *efd;
	uint64_t one = 1;
	int failures = 0, r, w;

	if (pipe_create(0, &rd, &wr))
		return 1;
	file_get(rd);
	r = fd_install(rd, 0, false);
	file_get(wr);
	w = fd_install(wr, 0, false);
	fds[0] = (struct kpollfd){r, POLLIN, 0};
	fds[1] = (struct kpollfd){w, POLLOUT, 0};
	CHECK_EQ(poll_fds(fds, 2, POLL_NO_WAIT, false), 1);
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, POLLOUT);
	CHECK_EQ(epoll_create_file(0, &ep), 0);
	CHECK_EQ(epoll_ctl_file(ep, EPOLL_CTL_ADD, rd, r, &ev), 0);
	CHECK_EQ(epoll_ctl_file(ep, EPOLL_CTL_ADD, rd, r, &ev), -EEXIST);
	CHECK_EQ(epoll_wait_file(ep, out, 2, POLL_NO_WAIT), 0);
	CHECK_EQ(vfs_write(wr, "x", 1), 1);
	CHECK_EQ(poll_fds(fds, 1, POLL_NO_WAIT, false), 1);
	CHECK_EQ(fds[0].revents, POLLIN);
	CHECK_EQ(epoll_wait_file(ep, out, 2, POLL_NO_WAIT), 1);
	CHECK_EQ(out[0].events, POLLIN);
	CHECK_EQ(out[0].data, 42);
	/* The last reference to the read end goes: it leaves the set. */
	fd_close(r);
	file_put(rd);
	CHECK_EQ(epoll_wait_file(ep, out, 2, POLL_NO_WAIT), 0);
	fds[0].revents = 0;
	CHECK_EQ(poll_fds(fds, 1, POLL_NO_WAIT, false), 1);
	CHECK_EQ(fds[0].revents, POLLNVAL);
	CHECK_EQ(poll_fds(fds + 1, 1, POLL_NO_WAIT, false), 1);
	CHECK(fds[1].revents & POLLERR);
	fd_close(w);
	file_put(wr);

	CHECK_EQ(eventfd_create(0, EFD_SEMAPHORE, &efd), 0);
	CHECK_EQ(vfs_poll(efd, NULL), POLLOUT);
	CHECK_EQ(vfs_write(efd, &one, 8), 8);
	CHECK_EQ(vfs_poll(efd, NULL), POLLIN | POLLOUT);
	file_put(efd);
	file_put(ep);
	return failures;
}

static int timerfd_wakes_a_poller(void)
{
	struct timerfd_spec its = {0, 20000000}, cur;
	struct kpollfd pfd;
	struct file *tf;
	uint64_t t0, ticks = 0;
	int failures = 0, fd;

	if (timerfd_create_file(1 /* CLOCK_MONOTONIC */, 0, &tf))
		return 1;
	file_get(tf);
	fd = fd_install(tf, 0, false);
	t0 = clock_monotonic_ns();
	CHECK_EQ(timerfd_settime_file(tf, 0, &its, NULL), 0);
	timerfd_gettime_file(tf, &cur);
	CHECK(cur.value > 0 && cur.value <= 20000000);
	pfd = (struct kpollfd){fd, POLLIN, 0};
	CHECK_EQ(poll_fds(&pfd, 1, t0 + 2000000000ull, false), 1);
	CHECK(clock_monotonic_ns() - t0 >= 20000000);
	CHECK(clock_monotonic_ns() - t0 < 1000000000);
	CHECK_EQ(vfs_read(tf, &ticks, 8), 8);
	CHECK_EQ(ticks, 1);
	fd_close(fd);
	file_put(tf);
	return failures;
}

static int poll_test(void)
{
	return ring_wrap_and_resize() + blocking_read_is_woken() +
	       poll_and_epoll() + timerfd_wakes_a_poller();
}
SELFTEST("poll", poll_test);
