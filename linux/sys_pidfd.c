/*
 * pidfd_open (man 2 pidfd_open): a file that stands for a process. There
 * is one process, so the only pid it opens is ours; the file is never
 * readable, since the process it stands for is the one polling it. Other
 * calls take it where Linux takes a pidfd (process_madvise,
 * pidfd_send_signal, pidfd_getfd).
 */
#include "fs/poll.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define PIDFD_NONBLOCK O_NONBLOCK
#define PIDFD_THREAD O_EXCL

static unsigned pidfd_poll(struct file *f, struct poll_table *pt)
{
	return 0; /* it exits only with everyone who could poll it */
}

static void pidfd_release(struct file *f)
{
	epoll_file_release(f);
}

static const struct file_ops pidfd_ops = {
    .poll = pidfd_poll,
    .release = pidfd_release,
    .anon_name = "[pidfd]",
};

int pidfd_check(int fd)
{
	struct file *f = fd_get(fd);
	bool ok = f && f->ops == &pidfd_ops;

	if (f)
		file_put(f);
	return ok ? 0 : -EBADF;
}

long sys_pidfd_open(long pid, long flags, long c, long d, long e, long g)
{
	struct file *f;
	int fd;

	if (flags & ~(long)(PIDFD_NONBLOCK | PIDFD_THREAD))
		return -EINVAL;
	if (flags & PIDFD_THREAD) {
		linux_missing("pidfd_open PIDFD_THREAD");
		return -EINVAL;
	}
	if (pid <= 0 || pid > INT32_MAX)
		return -EINVAL;
	if (pid != current_process()->pid)
		return -ESRCH;
	f = file_alloc(&pidfd_ops, NULL, O_RDWR | (flags & O_NONBLOCK), 0600);
	if (!f)
		return -ENOMEM;
	fd = fd_install(f, 0, true); /* always close-on-exec, as Linux */
	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- pidfd_send_signal and pidfd_getfd (the pidfd is ours) ---- */
#define SI_USER_K 0

long sys_pidfd_send_signal(long pidfd, long sig, long uinfo, long flags,
			   long e, long g)
{
	struct ksiginfo info = {.signo = (int)sig, .code = SI_USER_K,
				.addr = (uint64_t)current_process()->pid};

	if (flags)
		return -EINVAL; /* PIDFD_SIGNAL_* need a pidfd of a thread */
	if (pidfd_check((int)pidfd))
		return -EBADF;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (uinfo) {
		if (copy_from_user(&info, (uint64_t)uinfo, sizeof(info)))
			return -EFAULT;
		if (info.signo != sig)
			return -EINVAL;
	}
	if (sig)
		signal_send_to(current_process(), (int)sig, &info);
	return 0;
}

long sys_pidfd_getfd(long pidfd, long targetfd, long flags, long d, long e,
		     long g)
{
	if (flags)
		return -EINVAL;
	if (pidfd_check((int)pidfd))
		return -EBADF;
	struct file *f = fd_get((int)targetfd);
	if (!f)
		return -EBADF;
	int fd = fd_install(f, 0, true); /* close-on-exec, as Linux */
	if (fd < 0)
		file_put(f);
	return fd;
}
