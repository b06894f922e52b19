/*
 * Wakeups: blocking pipe, eventfd, poll, select and epoll waits woken by
 * another thread; timerfd expiries seen through poll and epoll; signals
 * interrupting pipe reads (EINTR, or a restart under SA_RESTART) and
 * poll; a FIFO whose reader blocks in open until a writer comes; nested
 * epoll sets and ELOOP; many descriptors in one set; F_SETPIPE_SZ with
 * data inside (EBUSY below it, data kept above it); epoll and dup.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000l};

	nanosleep(&ts, NULL);
}

/* A thread that sleeps `delay` ms, then writes `len` bytes to fd. */
struct later {
	int fd, delay;
	const void *buf;
	size_t len;
	pthread_t t;
};

static void *later_main(void *arg)
{
	struct later *l = arg;

	sleep_ms(l->delay);
	if (write(l->fd, l->buf, l->len) < 0)
		perror("later write");
	return NULL;
}

static void write_later(struct later *l, int fd, int delay, const void *buf,
			size_t len)
{
	*l = (struct later){fd, delay, buf, len, 0};
	pthread_create(&l->t, NULL, later_main, l);
}

static void blocking_waits_are_woken(void)
{
	struct later l;
	struct pollfd pf;
	struct epoll_event ev = {.events = EPOLLIN}, out;
	uint64_t one = 1, v = 0;
	fd_set r;
	char c = 0;
	int p[2], efd, ep;
	long long t0;

	CHECK_EQ_INT(pipe(p), 0);
	write_later(&l, p[1], 30, "a", 1);
	t0 = now_ms();
	CHECK_EQ_INT(read(p[0], &c, 1), 1);
	CHECK(now_ms() - t0 >= 25);
	CHECK_EQ_INT(c, 'a');
	pthread_join(l.t, NULL);

	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	write_later(&l, p[1], 30, "b", 1);
	CHECK_EQ_INT(poll(&pf, 1, 5000), 1);
	CHECK_EQ_INT(pf.revents, POLLIN);
	pthread_join(l.t, NULL);
	CHECK_EQ_INT(read(p[0], &c, 1), 1);

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	write_later(&l, p[1], 30, "c", 1);
	CHECK_EQ_INT(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));
	pthread_join(l.t, NULL);
	CHECK_EQ_INT(read(p[0], &c, 1), 1);

	ep = epoll_create1(0);
	ev.data.u32 = 7;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	write_later(&l, p[1], 30, "d", 1);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 5000), 1);
	CHECK_EQ_INT(out.data.u32, 7);
	pthread_join(l.t, NULL);
	CHECK_EQ_INT(read(p[0], &c, 1), 1);
	efd = eventfd(0, 0);
	write_later(&l, efd, 30, &one, 8);
	CHECK_EQ_INT(read(efd, &v, 8), 8);
	CHECK_EQ_INT(v, 1);
	pthread_join(l.t, NULL);
	close(efd);
	/* The writer goes away: epoll_wait sees the hangup. */
	close(p[1]);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 5000), 1);
	CHECK_EQ_INT(out.events, EPOLLHUP);
	close(p[0]);
	close(ep);
}

/* A full pipe: a blocking write of more than the room waits for reads. */
static void *drain_main(void *arg)
{
	static char buf[4096];
	int fd = *(int *)arg;
	long total = 0;
	ssize_t r;

	sleep_ms(20);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	return (void *)total;
}

static void blocking_write_waits_for_room(void)
{
	static char buf[100000];
	pthread_t t;
	void *total;
	int p[2];

	CHECK_EQ_INT(pipe(p), 0);
	pthread_create(&t, NULL, drain_main, &p[0]);
	CHECK_EQ_INT(write(p[1], buf, sizeof(buf)), sizeof(buf));
	close(p[1]);
	pthread_join(t, &total);
	CHECK_EQ_INT((long)total, sizeof(buf));
	close(p[0]);
}

static void timerfd_through_poll_and_epoll(void)
{
	struct itimerspec its = {{0, 0}, {0, 30 * 1000000}};
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct pollfd pf;
	uint64_t n;
	long long t0;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ep;

	if (!CHECK(fd >= 0))
		return;
	pf = (struct pollfd){.fd = fd, .events = POLLIN};
	CHECK_EQ_INT(poll(&pf, 1, 0), 0);
	t0 = now_ms();
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	CHECK_EQ_INT(poll(&pf, 1, 5000), 1);
	CHECK(now_ms() - t0 >= 25);
	CHECK(now_ms() - t0 < 2000);
	CHECK_EQ_INT(read(fd, &n, 8), 8);
	CHECK_EQ_INT(n, 1);

	/* Periodic, through epoll: each period is a new edge. */
	ep = epoll_create1(0);
	ev.events = EPOLLIN | EPOLLET;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	its.it_interval.tv_nsec = 20 * 1000000;
	its.it_value.tv_nsec = 20 * 1000000;
	t0 = now_ms();
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(epoll_wait(ep, &out, 1, 5000), 1);
		CHECK_EQ_INT(read(fd, &n, 8), 8);
		CHECK(n >= 1);
	}
	CHECK(now_ms() - t0 >= 55);
	CHECK(now_ms() - t0 < 3000);
	/* Disarmed: nothing more comes. */
	memset(&its, 0, sizeof(its));
	CHECK_EQ_INT(timerfd_settime(fd, 0, &its, NULL), 0);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 60), 0);
	close(ep);
	close(fd);
}

static volatile int got_signal;

static void on_alarm(int sig)
{
	(void)sig;
	got_signal++;
}

static void set_handler(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
}

static void alarm_in_ms(int ms)
{
	struct itimerval it = {{0, 0}, {0, ms * 1000}};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void signals_interrupt_waits(void)
{
	struct pollfd pf;
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct later l;
	char c;
	int p[2], ep;

	CHECK_EQ_INT(pipe(p), 0);
	set_handler(0);
	got_signal = 0;
	alarm_in_ms(30);
	CHECK_ERRNO(read(p[0], &c, 1), EINTR);
	CHECK_EQ_INT(got_signal, 1);

	/* SA_RESTART: the read goes on and gets the data. */
	set_handler(SA_RESTART);
	alarm_in_ms(20);
	write_later(&l, p[1], 80, "r", 1);
	CHECK_EQ_INT(read(p[0], &c, 1), 1);
	CHECK_EQ_INT(got_signal, 2);
	pthread_join(l.t, NULL);

	/* poll and epoll_wait are not restarted. */
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	alarm_in_ms(20);
	CHECK_ERRNO(poll(&pf, 1, 5000), EINTR);
	CHECK_EQ_INT(got_signal, 3);
	ep = epoll_create1(0);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	alarm_in_ms(20);
	CHECK_ERRNO(epoll_wait(ep, &out, 1, 5000), EINTR);
	CHECK_EQ_INT(got_signal, 4);
	signal(SIGALRM, SIG_DFL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

struct opener {
	const char *path;
	int fd;
};

static void *open_writer(void *arg)
{
	struct opener *o = arg;

	sleep_ms(30);
	o->fd = open(o->path, O_WRONLY);
	return NULL;
}

static void fifo_open_waits_for_a_writer(void)
{
	struct opener o;
	pthread_t t;
	char path[64], c;
	long long t0;
	int r;

	snprintf(path, sizeof(path), "/tmp/abi-wakeups-%d", (int)getpid());
	unlink(path);
	if (!CHECK_EQ_INT(mkfifo(path, 0600), 0))
		return;
	o = (struct opener){path, -1};
	pthread_create(&t, NULL, open_writer, &o);
	t0 = now_ms();
	r = open(path, O_RDONLY);
	CHECK(r >= 0);
	CHECK(now_ms() - t0 >= 25);
	pthread_join(t, NULL);
	CHECK(o.fd >= 0);
	CHECK_EQ_INT(write(o.fd, "f", 1), 1);
	CHECK_EQ_INT(read(r, &c, 1), 1);
	close(o.fd);
	CHECK_EQ_INT(read(r, &c, 1), 0);
	close(r);
	/* O_RDWR never waits. */
	r = open(path, O_RDWR);
	CHECK(r >= 0);
	CHECK_EQ_INT(write(r, "g", 1), 1);
	CHECK_EQ_INT(read(r, &c, 1), 1);
	close(r);
	unlink(path);
}

static void nested_epoll_and_loops(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct pollfd pf;
	int inner = epoll_create1(0), outer = epoll_create1(0), p[2];

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &ev), 0);
	ev.data.u32 = 99;
	CHECK_EQ_INT(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev), 0);
	CHECK_ERRNO(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev), ELOOP);
	CHECK_EQ_INT(epoll_wait(outer, &out, 1, 0), 0);
	pf = (struct pollfd){.fd = inner, .events = POLLIN};
	CHECK_EQ_INT(poll(&pf, 1, 0), 0);
	CHECK_EQ_INT(write(p[1], "n", 1), 1);
	CHECK_EQ_INT(poll(&pf, 1, 0), 1);
	CHECK_EQ_INT(pf.revents, POLLIN);
	CHECK_EQ_INT(epoll_wait(outer, &out, 1, 1000), 1);
	CHECK_EQ_INT(out.data.u32, 99);
	CHECK_EQ_INT(epoll_wait(inner, &out, 1, 0), 1);
	close(outer);
	close(inner);
	close(p[0]);
	close(p[1]);
}

#define MANY 300

static void many_descriptors_in_one_set(void)
{
	static int p[MANY][2];
	static struct epoll_event out[MANY];
	struct epoll_event ev;
	int ep = epoll_create1(0), i, ok = 1, seen = 0;

	for (i = 0; i < MANY && ok; i++) {
		ok = pipe(p[i]) == 0;
		ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = i};
		ok = ok && epoll_ctl(ep, EPOLL_CTL_ADD, p[i][0], &ev) == 0;
	}
	CHECK(ok);
	for (i = 0; i < MANY; i += 3)
		ok = ok && write(p[i][1], "m", 1) == 1;
	CHECK(ok);
	CHECK_EQ_INT(epoll_wait(ep, out, MANY, 0), (MANY + 2) / 3);
	for (i = 0; i < (MANY + 2) / 3; i++)
		seen += out[i].data.u32 % 3 == 0;
	CHECK_EQ_INT(seen, (MANY + 2) / 3);
	for (i = 0; i < MANY; i += 2)
		ok = ok && epoll_ctl(ep, EPOLL_CTL_DEL, p[i][0], NULL) == 0;
	CHECK(ok);
	CHECK_EQ_INT(epoll_wait(ep, out, MANY, 0), MANY / 6);
	for (i = 0; i < MANY; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	CHECK_EQ_INT(epoll_wait(ep, out, MANY, 0), 0);
	close(ep);
}

static void pipe_size_with_data(void)
{
	char buf[8192], back[8192];
	int p[2];

	CHECK_EQ_INT(pipe2(p, O_NONBLOCK), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	CHECK_EQ_INT(write(p[1], buf, 3000), 3000);
	CHECK_EQ_INT(read(p[0], back, 1000), 1000);
	CHECK_EQ_INT(write(p[1], buf + 3000, 5000), 5000);
	/* 7000 bytes inside: one page is too small, two are enough. */
	CHECK_ERRNO(fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY);
	CHECK_EQ_INT(fcntl(p[0], F_SETPIPE_SZ, 8192), 8192);
	CHECK_EQ_INT(read(p[0], back + 1000, 7000), 7000);
	CHECK_EQ_MEM(back, buf, 8000);
	close(p[0]);
	close(p[1]);
}

static void epoll_and_dup(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int ep = epoll_create1(0), p[2], d;

	CHECK_EQ_INT(pipe(p), 0);
	d = dup(p[0]);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	/* Another descriptor of the same file is another registration. */
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 1);
	/* Closing one descriptor keeps the file open: still watched. */
	close(p[0]);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 1);
	close(d);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	close(p[1]);
	close(ep);
}

int main(void)
{
	abi_init("wakeups");
	ABI_RUN(blocking_waits_are_woken);
	ABI_RUN(blocking_write_waits_for_room);
	ABI_RUN(timerfd_through_poll_and_epoll);
	ABI_RUN(signals_interrupt_waits);
	ABI_RUN(fifo_open_waits_for_a_writer);
	ABI_RUN(nested_epoll_and_loops);
	ABI_RUN(many_descriptors_in_one_set);
	ABI_RUN(pipe_size_with_data);
	ABI_RUN(epoll_and_dup);
	return abi_done();
}
