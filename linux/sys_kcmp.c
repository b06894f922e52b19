/*
 * kcmp (man 2 kcmp): whether two threads share a resource, ordered as
 * Linux orders them: 0 equal, 1 or 2 for less or greater of the
 * resources' addresses, scrambled by a per-boot cookie per type so that
 * the order says nothing about kernel addresses.
 *
 * What a thread holds: its address space and descriptor table (each
 * thread keeps copies of its process's), and through its process the
 * signal actions; the working directory, the I/O context and the System
 * V undo list are the process's (shared by its threads, copied at fork).
 * KCMP_FILE compares open files of descriptor tables the caller can
 * reach: its own (other tables: EPERM, as a denied ptrace check).
 * KCMP_EPOLL_TFD is EOPNOTSUPP, as Linux built without epoll's kcmp.
 */
#include "fs/fs.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/sys.h"

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO,
       KCMP_SYSVSEM, KCMP_EPOLL_TFD, KCMP_TYPES };

static uint64_t cookie[KCMP_TYPES]; /* set once, then read-only */

static long order(const void *a, const void *b, int type)
{
	if (!__atomic_load_n(&cookie[type], __ATOMIC_RELAXED))
		__atomic_store_n(&cookie[type], linux_random_u64() | 1,
				 __ATOMIC_RELAXED);
	uint64_t x = ((uint64_t)a ^ cookie[type]) * 0x9e3779b97f4a7c15ull;
	uint64_t y = ((uint64_t)b ^ cookie[type]) * 0x9e3779b97f4a7c15ull;

	return a == b ? 0 : x < y ? 1 : 2;
}

/* What thread tid holds, copied in a read section; -ESRCH if none. */
struct held {
	const void *as, *files, *proc, *actions;
};

static int held_by(long tid, struct held *h)
{
	if (tid <= 0 || tid > INT32_MAX)
		return -ESRCH;
	rcu_read_lock();
	struct thread *t = process_find_thread((int)tid);
	if (t) {
		struct process *p = t->proc ? t->proc : &first_process;
		*h = (struct held){t->as, t->files, p, p->actions};
	}
	rcu_read_unlock();
	return t ? 0 : -ESRCH;
}

static long cmp_files(const struct held *h1, const struct held *h2,
		      long fd1, long fd2)
{
	const void *mine = current_thread()->files;

	if (h1->files != mine || h2->files != mine)
		return -EPERM;
	struct file *a = fd_get((int)fd1), *b = fd_get((int)fd2);
	long r = a && b ? order(a, b, KCMP_FILE) : -EBADF;
	if (a)
		file_put(a);
	if (b)
		file_put(b);
	return r;
}

long sys_kcmp(long pid1, long pid2, long type, long idx1, long idx2, long f)
{
	struct held h1, h2;
	long r = held_by(pid1, &h1);

	if (r || (r = held_by(pid2, &h2)))
		return r;
	switch (type) {
	case KCMP_FILE:
		return cmp_files(&h1, &h2, idx1, idx2);
	case KCMP_VM:
		return order(h1.as, h2.as, KCMP_VM);
	case KCMP_FILES:
		return order(h1.files, h2.files, KCMP_FILES);
	case KCMP_SIGHAND:
		return order(h1.actions, h2.actions, KCMP_SIGHAND);
	case KCMP_FS:
	case KCMP_IO:
	case KCMP_SYSVSEM:
		return order(h1.proc, h2.proc, (int)type);
	case KCMP_EPOLL_TFD:
		linux_missing("kcmp KCMP_EPOLL_TFD");
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}
