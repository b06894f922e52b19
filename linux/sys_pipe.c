/*
 * pipe and pipe2 (Linux: man 2 pipe), and the SIGPIPE a write to a pipe
 * without readers raises (fs/pipe.c calls linux_raise_sigpipe).
 */
#include "fs/poll.h"
#include "kernel/sched/sched.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SI_USER 0

/* As Linux's send_sig(SIGPIPE, current, 0): to the calling thread, from
 * the process itself; delivered on the way out of the system call. */
void linux_raise_sigpipe(void)
{
	struct ksiginfo info = {
	    .signo = SIGPIPE, .code = SI_USER, .addr = (uint64_t)current_process()->pid};

	if (current_thread()->flags & THREAD_APP)
		signal_send_thread(current_thread(), SIGPIPE, &info);
}

long sys_pipe2(long ufds, long flags, long c, long d, long e, long f)
{
	bool cloexec = flags & O_CLOEXEC;
	struct file *rd, *wr;
	int fds[2];
	long r;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (flags & O_DIRECT) {
		linux_missing("pipe2 O_DIRECT (packet mode)");
		return -EINVAL;
	}
	r = pipe_create((int)flags & O_NONBLOCK, &rd, &wr);
	if (r)
		return r;
	fds[0] = fd_install(rd, 0, cloexec);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install(wr, 0, cloexec);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		file_put(wr);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(long ufds, long b, long c, long d, long e, long f)
{
	return sys_pipe2(ufds, 0, 0, 0, 0, 0);
}
