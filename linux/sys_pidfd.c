/*
 * pidfd_open (man 2 pidfd_open): a file that stands for a process. There
 * is one process, so the only pid it opens is ours; the file is never
 * readable, since the process it stands for is the one polling it. Other
 * calls take it where Linux takes a pidfd (process_madvise).
 */
#include "fs/poll.h"
#include "linux/process.h"
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
