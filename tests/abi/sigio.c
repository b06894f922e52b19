/*
 * Signal-driven I/O (man 2 fcntl, "Managing signals"; man 7 socket,
 * FIOASYNC and SIOCSPGRP): F_SETOWN, F_GETOWN and their _EX forms,
 * F_SETSIG and F_GETSIG, and O_ASYNC set with F_SETFL or FIOASYNC on
 * pipes, UDP, TCP and AF_UNIX sockets and a pty: the owner gets SIGIO
 * (si_code SI_KERNEL) when the file becomes readable or writable, or the
 * F_SETSIG signal with si_code POLL_IN/POLL_OUT, si_band and si_fd. The
 * signals are blocked and taken with sigtimedwait, so each case sees
 * exactly what its own step sent.
 */
#include "common.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SIGRT (SIGRTMIN + 1)

/* The next of sig within ms milliseconds into *si: its number, or -1. */
static int take(int sig, int ms, siginfo_t *si)
{
	sigset_t set;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, si, &ts);
}

/* Takes every pending SIGIO and SIGRT, so a case starts clean. */
static void drain(void)
{
	siginfo_t si;

	while (take(SIGIO, 0, &si) > 0 || take(SIGRT, 0, &si) > 0)
		;
}

/* Makes fd send `sig` (0: SIGIO) to this process on readiness. */
static int async_to_me(int fd, int sig)
{
	if (fcntl(fd, F_SETOWN, getpid()) || fcntl(fd, F_SETSIG, sig))
		return -1;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

/* Whether the F_SETSIG signal came with POLL_IN (or POLL_OUT) for fd. */
static int got_poll(int fd, int code, long band)
{
	siginfo_t si;

	if (!CHECK_EQ_INT(take(SIGRT, 2000, &si), SIGRT))
		return 0;
	return CHECK_EQ_INT(si.si_code, code) & CHECK_EQ_INT(si.si_fd, fd) &
	       CHECK_EQ_INT(si.si_band, band);
}

#define BAND_IN (POLLIN | POLLRDNORM)
#define BAND_OUT (POLLOUT | POLLWRNORM | POLLWRBAND)

static void owner_commands(void)
{
	int p[2], s, who;
	struct f_owner_ex ex;

	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETSIG), 0);
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN, getpid()), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN), getpid());
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ_INT(ex.type, F_OWNER_PID);
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN), -getpgrp());
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ_INT(ex.type, F_OWNER_PGRP);
	CHECK_EQ_INT(ex.pid, getpgrp());
	ex.type = F_OWNER_TID;
	ex.pid = gettid();
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN_EX, &ex), 0);
	memset(&ex, 0, sizeof(ex));
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ_INT(ex.type, F_OWNER_TID);
	CHECK_EQ_INT(ex.pid, gettid());
	ex.type = 7;
	CHECK_ERRNO(fcntl(p[0], F_SETOWN_EX, &ex), EINVAL);
	CHECK_ERRNO(fcntl(p[0], F_SETOWN_EX, (void *)8), EFAULT);
	CHECK_ERRNO(fcntl(p[0], F_SETOWN, 0x3ffffff0), ESRCH);
	CHECK_ERRNO(fcntl(p[0], F_SETSIG, 65), EINVAL);
	CHECK_EQ_INT(fcntl(p[0], F_SETSIG, SIGRT), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETSIG), SIGRT);
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN, 0), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETOWN), 0);
	who = getpid();
	CHECK_ERRNO(ioctl(p[0], FIOSETOWN, &who), ENOTTY);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_EQ_INT(ioctl(s, SIOCSPGRP, &who), 0);
	who = 0;
	CHECK_EQ_INT(ioctl(s, FIOGETOWN, &who), 0);
	CHECK_EQ_INT(who, getpid());
	CHECK_EQ_INT(fcntl(s, F_GETOWN), getpid());
	close(s);
	close(p[0]);
	close(p[1]);
}

static void pipe_sigio_plain(void)
{
	int p[2];
	siginfo_t si;

	drain();
	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	CHECK_EQ_INT(async_to_me(p[0], 0), 0);
	CHECK(fcntl(p[0], F_GETFL) & O_ASYNC);
	CHECK_EQ_INT(take(SIGIO, 0, &si), -1); /* nothing until ready */
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	if (CHECK_EQ_INT(take(SIGIO, 2000, &si), SIGIO))
		CHECK_EQ_INT(si.si_code, SI_KERNEL);
	close(p[0]);
	close(p[1]);
}

static void pipe_setsig_in_and_out(void)
{
	int p[2], n = 0;
	char buf[4096] = {0};

	drain();
	if (!CHECK_EQ_INT(pipe2(p, O_NONBLOCK), 0))
		return;
	CHECK_EQ_INT(async_to_me(p[0], SIGRT), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	got_poll(p[0], POLL_IN, BAND_IN);
	CHECK_EQ_INT(read(p[0], buf, 1), 1);
	/* the write end: full, then emptied */
	CHECK_EQ_INT(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ_INT(async_to_me(p[1], SIGRT), 0);
	while (write(p[1], buf, sizeof(buf)) > 0 && n++ < 1000)
		;
	CHECK_EQ_INT(errno, EAGAIN);
	drain();
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	got_poll(p[1], POLL_OUT, BAND_OUT);
	close(p[0]);
	close(p[1]);
}

static void async_off_sends_nothing(void)
{
	int p[2];
	siginfo_t si;

	drain();
	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	CHECK_EQ_INT(async_to_me(p[0], 0), 0);
	CHECK_EQ_INT(fcntl(p[0], F_SETFL, 0), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(take(SIGIO, 100, &si), -1);
	/* an owner of 0: nobody */
	CHECK_EQ_INT(async_to_me(p[0], 0), 0);
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN, 0), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(take(SIGIO, 100, &si), -1);
	close(p[0]);
	close(p[1]);
}

static void udp_fioasync(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	int on = 1, me = getpid();

	drain();
	CHECK_EQ_INT(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(getsockname(r, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(ioctl(r, SIOCSPGRP, &me), 0);
	CHECK_EQ_INT(fcntl(r, F_SETSIG, SIGRT), 0);
	CHECK_EQ_INT(ioctl(r, FIOASYNC, &on), 0);
	CHECK(fcntl(r, F_GETFL) & O_ASYNC);
	CHECK_EQ_INT(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof(a)),
		     2);
	got_poll(r, POLL_IN, BAND_IN);
	on = 0;
	CHECK_EQ_INT(ioctl(r, FIOASYNC, &on), 0);
	CHECK(!(fcntl(r, F_GETFL) & O_ASYNC));
	close(r);
	close(s);
}

static void tcp_listen_and_data(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s;

	drain();
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(getsockname(l, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(listen(l, 4), 0);
	CHECK_EQ_INT(async_to_me(l, SIGRT), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	got_poll(l, POLL_IN, BAND_IN);
	s = accept(l, NULL, NULL);
	if (!CHECK(s >= 0))
		return;
	drain();
	CHECK_EQ_INT(async_to_me(s, SIGRT), 0);
	CHECK_EQ_INT(write(c, "data", 4), 4);
	got_poll(s, POLL_IN, BAND_IN);
	close(s);
	close(c);
	close(l);
}

static void unix_pair(void)
{
	int sv[2];

	drain();
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(async_to_me(sv[0], SIGRT), 0);
	CHECK_EQ_INT(write(sv[1], "u", 1), 1);
	got_poll(sv[0], POLL_IN, BAND_IN);
	close(sv[0]);
	close(sv[1]);
}

static void pty_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	drain();
	if (!CHECK(m >= 0) || !CHECK_EQ_INT(unlockpt(m), 0))
		return;
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	CHECK(s >= 0);
	CHECK_EQ_INT(async_to_me(m, SIGRT), 0);
	CHECK_EQ_INT(write(s, "t", 1), 1);
	got_poll(m, POLL_IN, BAND_IN);
	close(s);
	close(m);
}

/* Linux gives eventfd no fasync method: F_SETFL drops O_ASYNC. */
static void eventfd_no_async(void)
{
	int e = eventfd(0, 0);
	siginfo_t si;

	drain();
	CHECK_EQ_INT(async_to_me(e, 0), 0);
	CHECK(!(fcntl(e, F_GETFL) & O_ASYNC));
	CHECK_EQ_INT(eventfd_write(e, 1), 0);
	CHECK_EQ_INT(take(SIGIO, 100, &si), -1);
	close(e);
}

/* The owner is another process: the child gets it, not the writer. */
static void owner_is_child(void)
{
	int p[2], ready[2], st;
	char c;
	siginfo_t si;

	drain();
	if (!CHECK_EQ_INT(pipe(p), 0) || !CHECK_EQ_INT(pipe(ready), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		int ok = write(ready[1], "r", 1) == 1 &&
			 take(SIGRT, 5000, &si) == SIGRT &&
			 si.si_code == POLL_IN && si.si_fd == p[0];
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ_INT(read(ready[0], &c, 1), 1);
	CHECK_EQ_INT(fcntl(p[0], F_SETOWN, pid), 0);
	CHECK_EQ_INT(fcntl(p[0], F_SETSIG, SIGRT), 0);
	CHECK_EQ_INT(fcntl(p[0], F_SETFL, O_ASYNC), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ_INT(take(SIGRT, 0, &si), -1);
	close(p[0]);
	close(p[1]);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	sigset_t set;

	abi_init("sigio");
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGRT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ABI_RUN(owner_commands);
	ABI_RUN(pipe_sigio_plain);
	ABI_RUN(pipe_setsig_in_and_out);
	ABI_RUN(async_off_sends_nothing);
	ABI_RUN(udp_fioasync);
	ABI_RUN(tcp_listen_and_data);
	ABI_RUN(unix_pair);
	ABI_RUN(pty_master);
	ABI_RUN(eventfd_no_async);
	ABI_RUN(owner_is_child);
	return abi_done();
}
