/*
 * POSIX message queues (mq_open, mq_unlink, mq_timedsend,
 * mq_timedreceive, mq_notify, mq_getsetattr): attributes, priority
 * order, O_EXCL, unlink while open, nonblocking and timed waits,
 * readiness for poll and epoll, the status line read(2) gives,
 * SIGEV_SIGNAL notification (once, SI_MESGQ, its value) and SIGEV_NONE,
 * a receiver blocked across fork, and the errors Linux gives.
 */
#include "common.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#define Q1 "/osprey-abi-mq1"
#define Q2 "/osprey-abi-mq2"

static mqd_t make(const char *name, long maxmsg, long msgsize, int flags)
{
	struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};

	return mq_open(name, O_CREAT | O_RDWR | flags, 0600, &a);
}

static int revents(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void attributes_and_order(void)
{
	mqd_t q = make(Q1, 4, 32, O_EXCL);
	struct mq_attr a;
	unsigned prio = 99;
	char buf[32];

	if (!CHECK(q >= 0))
		return;
	CHECK_EQ_INT(mq_getattr(q, &a), 0);
	CHECK_EQ_INT(a.mq_maxmsg, 4);
	CHECK_EQ_INT(a.mq_msgsize, 32);
	CHECK_EQ_INT(a.mq_curmsgs, 0);
	CHECK_EQ_INT(a.mq_flags, 0);
	CHECK_EQ_INT(mq_send(q, "low", 3, 1), 0);
	CHECK_EQ_INT(mq_send(q, "high", 4, 7), 0);
	CHECK_EQ_INT(mq_send(q, "low2", 4, 1), 0);
	CHECK_EQ_INT(mq_send(q, "zero", 4, 0), 0);
	CHECK_EQ_INT(mq_getattr(q, &a), 0);
	CHECK_EQ_INT(a.mq_curmsgs, 4);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), &prio), 4);
	CHECK_EQ_MEM(buf, "high", 4);
	CHECK_EQ_INT(prio, 7);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), &prio), 3);
	CHECK_EQ_MEM(buf, "low", 3);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), NULL), 4);
	CHECK_EQ_MEM(buf, "low2", 4);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), &prio), 4);
	CHECK_EQ_INT(prio, 0);
	CHECK_ERRNO(make(Q1, 4, 32, O_EXCL), EEXIST);
	mqd_t again = mq_open(Q1, O_RDONLY);
	CHECK(again >= 0);
	CHECK_EQ_INT(mq_getattr(again, &a), 0);
	CHECK_EQ_INT(a.mq_msgsize, 32);
	mq_close(again);
	/* unlinked while open: still works, the name is gone */
	CHECK_EQ_INT(mq_unlink(Q1), 0);
	CHECK_ERRNO(mq_open(Q1, O_RDONLY), ENOENT);
	CHECK_ERRNO(mq_unlink(Q1), ENOENT);
	CHECK_EQ_INT(mq_send(q, "x", 1, 0), 0);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), NULL), 1);
	mq_close(q);
}

static void errors(void)
{
	mqd_t q = make(Q1, 2, 16, 0);
	struct mq_attr bad = {.mq_maxmsg = 0, .mq_msgsize = 16};
	char buf[64];
	int p[2];

	if (!CHECK(q >= 0))
		return;
	CHECK_ERRNO(mq_open(Q2, O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	bad.mq_maxmsg = 2;
	bad.mq_msgsize = -1;
	CHECK_ERRNO(mq_open(Q2, O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	CHECK_ERRNO(mq_open(Q2, O_RDWR), ENOENT);
	CHECK_ERRNO(syscall(SYS_mq_open, "a/b", O_CREAT | O_RDWR, 0600, NULL),
		    EACCES);
	CHECK_ERRNO(syscall(SYS_mq_open, "osprey-abi-mq1", O_WRONLY | O_RDWR, 0,
			    NULL),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_mq_open, (char *)8, O_RDWR, 0, NULL), EFAULT);
	CHECK_ERRNO(syscall(SYS_mq_unlink, ""), ENOENT);
	CHECK_ERRNO(mq_send(q, buf, 17, 0), EMSGSIZE);
	CHECK_ERRNO(mq_send(q, buf, 1, 32768), EINVAL);
	CHECK_ERRNO(mq_receive(q, buf, 15, NULL), EMSGSIZE);
	CHECK_ERRNO(mq_send(q, (char *)8, 4, 0), EFAULT);
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_ERRNO(mq_send(p[1], buf, 1, 0), EBADF);
	CHECK_ERRNO(mq_receive(p[0], buf, sizeof(buf), NULL), EBADF);
	close(p[0]);
	close(p[1]);
	mqd_t ro = mq_open(Q1, O_RDONLY);
	CHECK_ERRNO(mq_send(ro, buf, 1, 0), EBADF);
	mq_close(ro);
	mqd_t wo = mq_open(Q1, O_WRONLY);
	CHECK_ERRNO(mq_receive(wo, buf, sizeof(buf), NULL), EBADF);
	mq_close(wo);
	struct timespec ts = {0, 2000000000};
	CHECK_ERRNO(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts), EINVAL);
	struct mq_attr na = {.mq_flags = O_NONBLOCK | O_APPEND};
	CHECK_ERRNO(syscall(SYS_mq_getsetattr, q, &na, NULL), EINVAL);
	mq_close(q);
	mq_unlink(Q1);
}

static void waits_and_readiness(void)
{
	mqd_t q = make(Q1, 2, 16, O_NONBLOCK);
	struct mq_attr a, na = {0};
	char buf[16];

	if (!CHECK(q >= 0))
		return;
	CHECK_EQ_INT(mq_getattr(q, &a), 0);
	CHECK_EQ_INT(a.mq_flags, O_NONBLOCK);
	CHECK_EQ_INT(revents(q), POLLOUT);
	CHECK_ERRNO(mq_receive(q, buf, sizeof(buf), NULL), EAGAIN);
	CHECK_EQ_INT(mq_send(q, "a", 1, 0), 0);
	CHECK_EQ_INT(revents(q), POLLIN | POLLOUT);
	CHECK_EQ_INT(mq_send(q, "b", 1, 0), 0);
	CHECK_EQ_INT(revents(q), POLLIN);
	CHECK_ERRNO(mq_send(q, "c", 1, 0), EAGAIN);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, got;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, &got, 1, 0), 1);
	/* blocking again: a timed send on a full queue times out */
	CHECK_EQ_INT(mq_setattr(q, &na, &a), 0);
	CHECK_EQ_INT(a.mq_flags, O_NONBLOCK);
	CHECK_EQ_INT(a.mq_curmsgs, 2);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 30 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	CHECK_ERRNO(mq_timedsend(q, "c", 1, 0, &ts), ETIMEDOUT);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), NULL), 1);
	CHECK_EQ_INT(mq_receive(q, buf, sizeof(buf), NULL), 1);
	CHECK_EQ_INT(epoll_wait(ep, &got, 1, 0), 0);
	struct timespec past = {1, 0};
	CHECK_ERRNO(mq_timedreceive(q, buf, sizeof(buf), NULL, &past),
		    ETIMEDOUT);
	close(ep);
	mq_close(q);
	mq_unlink(Q1);
}

static void status_line(void)
{
	mqd_t q = make(Q1, 2, 16, 0);
	char text[128] = {0};

	if (!CHECK(q >= 0))
		return;
	mq_send(q, "12345", 5, 0);
	CHECK(read(q, text, sizeof(text) - 1) > 0);
	CHECK_EQ_STR(text, "QSIZE:5          NOTIFY:0     SIGNO:0     "
			   "NOTIFY_PID:0     \n");
	mq_close(q);
	mq_unlink(Q1);
}

static void notification(void)
{
	mqd_t q = make(Q1, 4, 16, 0);
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1,
			       .sigev_value.sival_int = 4242};
	struct timespec ts = {2, 0};
	siginfo_t si;
	sigset_t set;

	if (!CHECK(q >= 0))
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK_EQ_INT(mq_notify(q, &sev), 0);
	CHECK_ERRNO(mq_notify(q, &sev), EBUSY);
	char text[128] = {0}, pid[32];
	CHECK(read(q, text, sizeof(text) - 1) > 0);
	CHECK(strstr(text, "NOTIFY:0     SIGNO:10    NOTIFY_PID:") != NULL);
	snprintf(pid, sizeof(pid), "NOTIFY_PID:%-6d\n", getpid());
	CHECK(strstr(text, pid) != NULL);
	CHECK_EQ_INT(mq_send(q, "m", 1, 0), 0);
	CHECK_EQ_INT(sigtimedwait(&set, &si, &ts), SIGUSR1);
	CHECK_EQ_INT(si.si_code, SI_MESGQ);
	CHECK_EQ_INT(si.si_value.sival_int, 4242);
	CHECK_EQ_INT(si.si_pid, getpid());
	/* once: a second message (and a now non-empty queue) sends none */
	CHECK_EQ_INT(mq_notify(q, &sev), 0);
	CHECK_EQ_INT(mq_send(q, "n", 1, 0), 0);
	struct timespec brief = {0, 20 * 1000 * 1000};
	CHECK_ERRNO(sigtimedwait(&set, &si, &brief), EAGAIN);
	CHECK_EQ_INT(mq_notify(q, NULL), 0);
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	CHECK_EQ_INT(mq_notify(q, &none), 0);
	CHECK_ERRNO(mq_notify(q, &sev), EBUSY);
	CHECK_EQ_INT(mq_notify(q, NULL), 0);
	struct sigevent bad = {.sigev_notify = 77};
	CHECK_ERRNO(mq_notify(q, &bad), EINVAL);
	CHECK_ERRNO(mq_notify(0, &none), EBADF);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	mq_close(q);
	mq_unlink(Q1);
}

static void across_fork(void)
{
	mqd_t q = make(Q2, 2, 16, 0);
	char buf[16];
	int status = -1;

	if (!CHECK(q >= 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		mqd_t c = mq_open(Q2, O_RDONLY);
		ssize_t n = mq_receive(c, buf, sizeof(buf), NULL);
		_exit(n == 5 && !memcmp(buf, "hello", 5) ? 0 : 1);
	}
	usleep(30000);
	CHECK_EQ_INT(mq_send(q, "hello", 5, 3), 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mq_close(q);
	CHECK_EQ_INT(mq_unlink(Q2), 0);
}

int main(void)
{
	abi_init("mqueue");
	mq_unlink(Q1);
	mq_unlink(Q2);
	ABI_RUN(attributes_and_order);
	ABI_RUN(errors);
	ABI_RUN(waits_and_readiness);
	ABI_RUN(status_line);
	ABI_RUN(notification);
	ABI_RUN(across_fork);
	return abi_done();
}
