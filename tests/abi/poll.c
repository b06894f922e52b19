/*
 * Readiness: poll and ppoll on pipes (POLLIN, POLLOUT, POLLHUP, POLLERR,
 * POLLNVAL), select and pselect, epoll (level- and edge-triggered,
 * oneshot, MOD/DEL, epoll_pwait, the error paths) and eventfd counter
 * semantics.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void poll_on_a_pipe(void)
{
	struct pollfd pf[2];
	char buf[8];
	long long t0;
	int p[2];

	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	pf[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	pf[1] = (struct pollfd){.fd = p[1], .events = POLLOUT};
	CHECK_EQ_INT(poll(pf, 1, 0), 0);
	CHECK_EQ_INT(pf[0].revents, 0);
	CHECK_EQ_INT(poll(pf, 2, 0), 1);
	CHECK_EQ_INT(pf[1].revents, POLLOUT);
	t0 = now_ms();
	CHECK_EQ_INT(poll(pf, 1, 20), 0);
	CHECK(now_ms() - t0 >= 20);

	CHECK_EQ_INT(write(p[1], "ab", 2), 2);
	CHECK_EQ_INT(poll(pf, 2, -1), 2);
	CHECK_EQ_INT(pf[0].revents, POLLIN);
	CHECK_EQ_INT(read(p[0], buf, sizeof(buf)), 2);
	CHECK_EQ_INT(poll(pf, 1, 0), 0);

	/* No writer left: POLLHUP (asked for or not), no POLLIN. */
	CHECK_EQ_INT(close(p[1]), 0);
	pf[0].events = POLLIN;
	CHECK_EQ_INT(poll(pf, 1, 0), 1);
	CHECK_EQ_INT(pf[0].revents, POLLHUP);
	/* Data and a hangup together. */
	CHECK_EQ_INT(pipe(p + 0), 0);
	pf[0].fd = p[0];
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	close(p[1]);
	CHECK_EQ_INT(poll(pf, 1, 0), 1);
	CHECK_EQ_INT(pf[0].revents, POLLIN | POLLHUP);
	close(p[0]);

	/* No reader left: the write end reports POLLERR. */
	CHECK_EQ_INT(pipe(p), 0);
	close(p[0]);
	pf[1].fd = p[1];
	CHECK_EQ_INT(poll(pf + 1, 1, 0), 1);
	CHECK_EQ_INT(pf[1].revents & POLLERR, POLLERR);
	close(p[1]);

	/* A closed descriptor is POLLNVAL; a negative one is skipped. */
	pf[0] = (struct pollfd){.fd = p[1], .events = POLLIN};
	pf[1] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 7};
	CHECK_EQ_INT(poll(pf, 2, 0), 1);
	CHECK_EQ_INT(pf[0].revents, POLLNVAL);
	CHECK_EQ_INT(pf[1].revents, 0);
	CHECK_ERRNO(syscall(SYS_poll, (void *)1, 1, 0), EFAULT);
	{
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		CHECK_ERRNO(syscall(SYS_poll, pf, rl.rlim_cur + 1, 0), EINVAL);
	}
	/* poll with no descriptors is a sleep. */
	t0 = now_ms();
	CHECK_EQ_INT(poll(NULL, 0, 10), 0);
	CHECK(now_ms() - t0 >= 10);
}

static void ppoll_zero_timeout_and_mask(void)
{
	struct timespec zero = {0, 0}, bad = {0, 1000000000};
	struct pollfd pf;
	sigset_t mask;
	long long t0;
	int p[2];

	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	t0 = now_ms();
	CHECK_EQ_INT(ppoll(&pf, 1, &zero, NULL), 0);
	CHECK(now_ms() - t0 < 500);
	CHECK_EQ_INT(write(p[1], "z", 1), 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	CHECK_EQ_INT(ppoll(&pf, 1, NULL, &mask), 1);
	CHECK_EQ_INT(pf.revents, POLLIN);
	CHECK_ERRNO(ppoll(&pf, 1, &bad, NULL), EINVAL);
	close(p[0]);
	close(p[1]);
}

static void select_and_pselect(void)
{
	struct timeval tv = {0, 0};
	struct timespec ts = {0, 0};
	fd_set r, w;
	long long t0;
	int p[2], n;

	CHECK_EQ_INT(pipe(p), 0);
	n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ_INT(select(n, &r, NULL, NULL, &tv), 0);
	CHECK_EQ_INT(FD_ISSET(p[0], &r), 0);
	/* Linux writes the time left back into the timeval. */
	FD_SET(p[0], &r);
	tv.tv_usec = 20000;
	t0 = now_ms();
	CHECK_EQ_INT(select(n, &r, NULL, NULL, &tv), 0);
	CHECK(now_ms() - t0 >= 20);
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);

	CHECK_EQ_INT(write(p[1], "s", 1), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	tv.tv_sec = 1;
	CHECK_EQ_INT(select(n, &r, &w, NULL, &tv), 2);
	CHECK(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ_INT(pselect(n, &r, NULL, NULL, &ts, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));
	/* nfds counts descriptors: too small and the ready one is unseen. */
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 0};
	CHECK_EQ_INT(select(p[0], &r, NULL, NULL, &tv), 0);

	CHECK_ERRNO(select(-1, NULL, NULL, NULL, &tv), EINVAL);
	tv.tv_usec = -1;
	CHECK_ERRNO(select(0, NULL, NULL, NULL, &tv), EINVAL);
	ts.tv_nsec = 1000000000;
	CHECK_ERRNO(pselect(0, NULL, NULL, NULL, &ts, NULL), EINVAL);
	close(p[0]);
	close(p[1]);
	/* A closed descriptor in a set is EBADF. */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_usec = 0;
	CHECK_ERRNO(select(n, &r, NULL, NULL, &tv), EBADF);
}

static void epoll_level_triggered_on_pipes(void)
{
	struct epoll_event ev, out[4];
	char buf[8];
	long long t0;
	int ep, a[2], b[2];

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!CHECK(ep >= 0))
		return;
	CHECK_EQ_INT(fcntl(ep, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(pipe(a), 0);
	CHECK_EQ_INT(pipe(b), 0);
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1111222233334444ull;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev), 0);
	ev.data.u64 = 2;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 0);
	t0 = now_ms();
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 20), 0);
	CHECK(now_ms() - t0 >= 20);

	CHECK_EQ_INT(write(a[1], "1", 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, -1), 1);
	CHECK_EQ_INT(out[0].events, EPOLLIN);
	CHECK_EQ_INT(out[0].data.u64, 0x1111222233334444ull);
	/* Level-triggered: still reported until read. */
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ_INT(write(b[1], "2", 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 2);
	CHECK_EQ_INT(epoll_wait(ep, out, 1, 0), 1); /* maxevents caps it */
	CHECK_EQ_INT(read(a[0], buf, sizeof(buf)), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ_INT(out[0].data.u64, 2);

	/* MOD: ask for EPOLLOUT on a read end (never writable): silence. */
	ev.events = EPOLLOUT;
	ev.data.u64 = 3;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_MOD, b[0], &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 0);
	/* A hangup is reported even when not asked for. */
	close(b[1]);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ_INT(out[0].events, EPOLLHUP);
	CHECK_EQ_INT(out[0].data.u64, 3);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_DEL, b[0], NULL), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 0);

	/* Oneshot: one report, then nothing until re-armed with MOD. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 4;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev), 0);
	CHECK_EQ_INT(write(a[1], "3", 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 1);

	/* Closing the only descriptor of a file drops it from the set. */
	close(a[0]);
	CHECK_EQ_INT(epoll_wait(ep, out, 4, 0), 0);
	close(a[1]);
	close(b[0]);
	close(ep);
}

static void epoll_error_paths(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out[1];
	char path[64];
	int ep = epoll_create1(0), p[2], fd;

	if (!CHECK(ep >= 0))
		return;
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 1000000, &ev), EBADF);
	CHECK_ERRNO(epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev), EBADF);
	CHECK_ERRNO(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, 99, p[1], &ev), EINVAL);
	CHECK_ERRNO(epoll_wait(ep, out, 0, 0), EINVAL);
	CHECK_ERRNO(epoll_wait(p[0], out, 1, 0), EINVAL);
	CHECK_ERRNO(epoll_wait(-1, out, 1, 0), EBADF);
	CHECK_ERRNO(epoll_create1(0x1), EINVAL);
	CHECK_ERRNO(epoll_create(0), EINVAL);
	/* Linux: regular files cannot be watched: EPERM. */
	snprintf(path, sizeof(path), "/tmp/abi-poll-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	unlink(path);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM);
	close(fd);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void epoll_edge_triggered_eventfd(void)
{
	struct epoll_event ev, out[2];
	uint64_t v = 1;
	sigset_t mask;
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);

	if (!CHECK(ep >= 0 && efd >= 0))
		return;
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = efd;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);
	CHECK_EQ_INT(write(efd, &v, 8), 8);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ_INT(out[0].data.fd, efd);
	CHECK_EQ_INT(out[0].events, EPOLLIN);
	/* Edge-triggered: no new write, no new event, though unread. */
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);
	/* Each write is a new edge. */
	CHECK_EQ_INT(write(efd, &v, 8), 8);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);
	CHECK_EQ_INT(read(efd, &v, 8), 8);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);

	/* epoll_pwait with a mask, and the same through the raw call. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	CHECK_EQ_INT(epoll_pwait(ep, out, 2, 0, &mask), 0);
	v = 5;
	CHECK_EQ_INT(write(efd, &v, 8), 8);
	CHECK_EQ_INT(epoll_pwait(ep, out, 2, -1, &mask), 1);
	CHECK_EQ_INT(out[0].data.fd, efd);
	CHECK_ERRNO(syscall(SYS_epoll_pwait, ep, out, 2, 0, &mask, 4), EINVAL);
	close(efd);
	close(ep);
}

static void eventfd_counter_semantics(void)
{
	struct pollfd pf;
	uint64_t v;
	uint32_t small;
	int fd = eventfd(3, 0);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(read(fd, &v, 8), 8);
	CHECK_EQ_INT(v, 3);
	v = 5;
	CHECK_EQ_INT(write(fd, &v, 8), 8);
	v = 2;
	CHECK_EQ_INT(write(fd, &v, 8), 8);
	CHECK_EQ_INT(read(fd, &v, 8), 8);
	CHECK_EQ_INT(v, 7);
	CHECK_ERRNO(read(fd, &small, 4), EINVAL);
	CHECK_ERRNO(write(fd, &small, 4), EINVAL);
	v = ~0ull;
	CHECK_ERRNO(write(fd, &v, 8), EINVAL);
	CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);

	/* Semaphore mode: each read takes one. */
	fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(read(fd, &v, 8), 8);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(read(fd, &v, 8), 8);
	CHECK_EQ_INT(v, 1);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	pf = (struct pollfd){.fd = fd, .events = POLLIN | POLLOUT};
	CHECK_EQ_INT(poll(&pf, 1, 0), 1);
	CHECK_EQ_INT(pf.revents, POLLOUT);
	/* The counter stops at 2^64 - 2: a write past it would block. */
	v = ~0ull - 1;
	CHECK_EQ_INT(write(fd, &v, 8), 8);
	CHECK_EQ_INT(poll(&pf, 1, 0), 1);
	CHECK_EQ_INT(pf.revents, POLLIN);
	v = 1;
	CHECK_ERRNO(write(fd, &v, 8), EAGAIN);
	close(fd);
	CHECK_ERRNO(eventfd(0, 0x2), EINVAL);
}

int main(void)
{
	abi_init("poll");
	ABI_RUN(poll_on_a_pipe);
	ABI_RUN(ppoll_zero_timeout_and_mask);
	ABI_RUN(select_and_pselect);
	ABI_RUN(epoll_level_triggered_on_pipes);
	ABI_RUN(epoll_error_paths);
	ABI_RUN(epoll_edge_triggered_eventfd);
	ABI_RUN(eventfd_counter_semantics);
	return abi_done();
}
