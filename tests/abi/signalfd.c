/*
 * signalfd and signalfd4 (man 2 signalfd): reading blocked signals as
 * struct signalfd_siginfo (sender, code, queued value, a timer's value),
 * several in one read, blocking reads woken by another thread, poll and
 * epoll readiness, SFD_NONBLOCK and SFD_CLOEXEC, changing the mask of an
 * existing signalfd, and the error paths (EINVAL, EBADF, EFAULT).
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#define SSI sizeof(struct signalfd_siginfo)

static sigset_t set_of(int a, int b)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, a);
	if (b)
		sigaddset(&set, b);
	return set;
}

static void block(int a, int b)
{
	sigset_t set = set_of(a, b);

	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Takes whatever of a, b is still pending, so cases start clean. */
static void drain(int a, int b)
{
	sigset_t set = set_of(a, b);
	struct timespec zero = {0, 0};

	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

static void reads_a_killed_signal_with_its_sender(void)
{
	sigset_t set = set_of(SIGUSR1, 0);
	struct signalfd_siginfo si;
	int fd;

	block(SIGUSR1, 0);
	fd = signalfd(-1, &set, SFD_NONBLOCK);
	if (!CHECK(fd >= 0))
		return;
	CHECK_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	CHECK_EQ_INT(kill(getpid(), SIGUSR1), 0);
	CHECK_EQ_INT(read(fd, &si, sizeof(si)), SSI);
	CHECK_EQ_INT(si.ssi_signo, SIGUSR1);
	CHECK_EQ_INT(si.ssi_code, SI_USER);
	CHECK_EQ_INT(si.ssi_pid, getpid());
	CHECK_EQ_INT(si.ssi_uid, getuid());
	/* Taken: no longer pending. */
	sigset_t pending;
	sigpending(&pending);
	CHECK_EQ_INT(sigismember(&pending, SIGUSR1), 0);
	CHECK_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	close(fd);
}

static void queued_values_and_several_in_one_read(void)
{
	sigset_t set = set_of(SIGUSR2, SIGRTMIN + 2);
	struct signalfd_siginfo si[4];
	int fd;

	block(SIGUSR2, SIGRTMIN + 2);
	fd = signalfd(-1, &set, SFD_NONBLOCK);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(
	    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 7}),
	    0);
	CHECK_EQ_INT(
	    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 8}),
	    0);
	CHECK_EQ_INT(kill(getpid(), SIGUSR2), 0);
	/* Lowest number first, real-time ones in the order sent. */
	CHECK_EQ_INT(read(fd, si, sizeof(si)), 3 * SSI);
	CHECK_EQ_INT(si[0].ssi_signo, SIGUSR2);
	CHECK_EQ_INT(si[1].ssi_signo, SIGRTMIN + 2);
	CHECK_EQ_INT(si[1].ssi_code, SI_QUEUE);
	CHECK_EQ_INT(si[1].ssi_int, 7);
	CHECK_EQ_INT(si[2].ssi_int, 8);
	CHECK_EQ_INT(si[2].ssi_pid, getpid());
	/* A buffer too small for one record. */
	CHECK_ERRNO(read(fd, si, SSI - 1), EINVAL);
	close(fd);
}

static void a_timer_signal_carries_its_value(void)
{
	sigset_t set = set_of(SIGRTMIN + 3, 0);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL,
			      .sigev_signo = SIGRTMIN + 3,
			      .sigev_value.sival_int = 99};
	struct itimerspec its = {.it_value = {0, 1000000}};
	struct signalfd_siginfo si;
	timer_t t;
	int fd;

	block(SIGRTMIN + 3, 0);
	fd = signalfd(-1, &set, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
	CHECK_EQ_INT(timer_settime(t, 0, &its, NULL), 0);
	/* Blocking: waits for the timer. */
	CHECK_EQ_INT(read(fd, &si, sizeof(si)), SSI);
	CHECK_EQ_INT(si.ssi_signo, SIGRTMIN + 3);
	CHECK_EQ_INT(si.ssi_code, SI_TIMER);
	CHECK_EQ_INT(si.ssi_int, 99);
	CHECK_EQ_INT(si.ssi_overrun, 0);
	timer_delete(t);
	close(fd);
}

static void *send_later(void *arg)
{
	usleep(20000);
	kill(getpid(), (int)(long)arg);
	return NULL;
}

static void a_blocking_read_waits_for_another_thread(void)
{
	sigset_t set = set_of(SIGUSR1, 0);
	struct signalfd_siginfo si;
	pthread_t th;
	int fd;

	block(SIGUSR1, 0);
	fd = signalfd(-1, &set, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(
	    pthread_create(&th, NULL, send_later, (void *)(long)SIGUSR1), 0);
	CHECK_EQ_INT(read(fd, &si, sizeof(si)), SSI);
	CHECK_EQ_INT(si.ssi_signo, SIGUSR1);
	pthread_join(th, NULL);
	close(fd);
}

static void poll_and_epoll_say_readable(void)
{
	sigset_t set = set_of(SIGUSR2, 0);
	struct pollfd p;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, out;
	int fd, ep;

	block(SIGUSR2, 0);
	fd = signalfd(-1, &set, SFD_NONBLOCK);
	ep = epoll_create1(0);
	if (!CHECK(fd >= 0 && ep >= 0))
		return;
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	CHECK_EQ_INT(poll(&p, 1, 0), 0);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ_INT(kill(getpid(), SIGUSR2), 0);
	CHECK_EQ_INT(poll(&p, 1, 1000), 1);
	CHECK_EQ_INT(p.revents, POLLIN);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ_INT(out.data.u32, 5);
	/* A thread woken in epoll_wait by a signal sent later. */
	drain(SIGUSR2, 0);
	pthread_t th;
	pthread_create(&th, NULL, send_later, (void *)(long)SIGUSR2);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 5000), 1);
	pthread_join(th, NULL);
	drain(SIGUSR2, 0);
	CHECK_EQ_INT(poll(&p, 1, 0), 0);
	close(ep);
	close(fd);
}

static void flags_and_a_new_mask(void)
{
	sigset_t set = set_of(SIGUSR1, SIGKILL), other = set_of(SIGUSR2, 0);
	struct signalfd_siginfo si;
	int fd;

	block(SIGUSR1, SIGUSR2);
	/* SIGKILL in the mask is ignored, not refused. */
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* The same descriptor, now for SIGUSR2 only. */
	CHECK_EQ_INT(signalfd(fd, &other, 0), fd);
	kill(getpid(), SIGUSR1);
	CHECK_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	kill(getpid(), SIGUSR2);
	CHECK_EQ_INT(read(fd, &si, sizeof(si)), SSI);
	CHECK_EQ_INT(si.ssi_signo, SIGUSR2);
	drain(SIGUSR1, 0);
	/* The old system call (no flags). */
	int old = syscall(SYS_signalfd, -1, &other, 8);
	CHECK(old >= 0);
	CHECK_EQ_INT(fcntl(old, F_GETFD), 0);
	close(old);
	close(fd);
}

static void error_paths(void)
{
	sigset_t set = set_of(SIGUSR1, 0);
	int pfd[2], fd = signalfd(-1, &set, 0);

	CHECK_ERRNO(signalfd(-1, &set, 0x1), EINVAL);
	CHECK_ERRNO(syscall(SYS_signalfd4, -1, &set, 4, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
	CHECK_ERRNO(signalfd(1000, &set, 0), EBADF);
	CHECK_EQ_INT(pipe(pfd), 0);
	CHECK_ERRNO(signalfd(pfd[0], &set, 0), EINVAL);
	/* Not writable. */
	CHECK_ERRNO(write(fd, "12345678", 8), EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

int main(void)
{
	abi_init("signalfd");
	ABI_RUN(reads_a_killed_signal_with_its_sender);
	ABI_RUN(queued_values_and_several_in_one_read);
	ABI_RUN(a_timer_signal_carries_its_value);
	ABI_RUN(a_blocking_read_waits_for_another_thread);
	ABI_RUN(poll_and_epoll_say_readable);
	ABI_RUN(flags_and_a_new_mask);
	ABI_RUN(error_paths);
	return abi_done();
}
