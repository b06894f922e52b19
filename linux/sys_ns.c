/*
 * unshare and setns (man 2 unshare, setns) in a kernel without
 * namespaces: Osprey runs one program per VM, so the VM is the sandbox.
 * Creating a namespace (CLONE_NEW*) is EINVAL, Linux's answer when its
 * kernel is built without that namespace, and no descriptor names a
 * namespace, so setns is EINVAL (a pidfd, which Linux also takes, is
 * reported). Unsharing what nobody else shares succeeds as on Linux:
 * the thread flags in a one-thread process, and CLONE_FILES, CLONE_FS
 * and CLONE_SYSVSEM there too (CLONE_SYSVSEM applies the SEM_UNDO
 * adjustments, as Linux's exit_sem); in a threaded process those are
 * shared by the process here, so they are EINVAL, reported.
 */
#include "fs/fs.h"
#include "linux/process.h"
#include "linux/sys.h"

#define CLONE_NEWTIME 0x80
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_NEWNS 0x20000
#define CLONE_SYSVSEM 0x40000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000
#define CLONE_NEW_ALL                                                          \
	(CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |       \
	 CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define UNSHARE_KNOWN                                                          \
	(CLONE_NEW_ALL | CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM |  \
	 CLONE_FILES | CLONE_SYSVSEM)

static bool alone(void)
{
	return __atomic_load_n(&current_process()->live_threads,
			       __ATOMIC_ACQUIRE) == 1;
}

long sys_unshare(long flags, long b, long c, long d, long e, long f)
{
	if (flags & ~(long)UNSHARE_KNOWN)
		return -EINVAL;
	if (flags & CLONE_NEW_ALL) {
		linux_missing("unshare of a namespace");
		return -EINVAL;
	}
	if (alone()) {
		if (flags & CLONE_SYSVSEM)
			sem_exit(current_process());
		return 0;
	}
	if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM))
		return -EINVAL; /* as Linux: "not implemented" */
	if (flags & (CLONE_FILES | CLONE_FS | CLONE_SYSVSEM)) {
		linux_missing("unshare of files, fs or sysvsem by a thread");
		return -EINVAL;
	}
	return 0;
}

long sys_setns(long fd, long nstype, long c, long d, long e, long f)
{
	struct file *file = fd_get((int)fd);
	if (!file)
		return -EBADF;
	file_put(file);
	if (nstype & ~(long)CLONE_NEW_ALL)
		return -EINVAL;
	if (!pidfd_check((int)fd))
		linux_missing("setns with a pidfd");
	return -EINVAL;
}
