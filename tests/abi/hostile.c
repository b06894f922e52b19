/*
 * Hostile arguments for the system calls of issue 12's second pass: a
 * fixed number of calls with arguments drawn (from a fixed seed) from bad
 * pointers (NULL, unmapped, kernel half, misaligned), huge and negative
 * lengths, unknown flag bits and closed or unsuitable descriptors, mixed
 * with valid ones. The kernel must stay up and every answer must be a
 * success or a Linux errno (1..133), never a kernel-internal code.
 *
 * It runs on the host too, so what it may touch is bounded: memory only
 * in its own scratch mapping (whose protection it restores), descriptors
 * only its own (it closes what a call opened), ids only of itself, and
 * no call whose effect reaches past the process (other pids, syslog's
 * destructive actions, memory poisoning, host names outside a private
 * UTS namespace, other programs' System V objects or message queues, new
 * namespaces), no call that could wait (IPC_NOWAIT, timeouts that end at
 * once, a nonblocking queue) and no signal it would not ignore. Works in
 * /tmp/abi-hostile-<pid>/, removed at the end.
 */
#include "common.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/utsname.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

#define ROUNDS 4000
#define SCRATCH (16 * 4096)
/* PROT_NONE after the scratch mapping: a call that writes past its end
 * (a length bigger than the buffer) faults there, into EFAULT, instead
 * of reaching the test's own memory. */
#define GUARD (16 << 20)
#define NO_PID 0x3ffffff0

static char dir[64];
static char *scratch;
static int fds[8], nfixed, top_fd;
static unsigned long long seed = 0x9e3779b97f4a7c15ull;
static int names_ok; /* may set host and domain names */
/* System V objects and a message queue name of the test's own: the calls
 * never name another program's (ids outside these are bad ones). */
static int sems[2] = {-1, -1}, msqs[2] = {-1, -1};
static char mq_name[40];
static unsigned long aio_ctx;	      /* an AIO context of the test's */
static const struct timespec no_wait; /* zero: the AIO waits return */

static unsigned long long rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static long pick(const long *v, int n)
{
	return v[rnd() % n];
}

static long bad_ptr(void)
{
	static long bad[] = {0,	     8,
			     4095,   0x10000 /* below mmap_min_addr */,
			     -4096l, (long)0xffff800000000000ull};
	return pick(bad, 6);
}

/* A buffer a call may write: bad, or in scratch's writable half. */
static long ptr(void)
{
	if (rnd() % 10 < 4)
		return bad_ptr();
	return (long)(scratch + SCRATCH / 2 + (rnd() % (SCRATCH / 2)) / 8 * 8);
}

/* An array a call follows (iovecs, masks, handles): bad, or in the
 * read-only half, whose iovecs all point into scratch. */
static long iov_ptr(void)
{
	if (rnd() % 10 < 4)
		return bad_ptr();
	return (long)(scratch + (rnd() % (SCRATCH / 2)) / 16 * 16);
}

/* A path: bad, or "." or "f" (the test's own directory and file; never
 * a path from random bytes, which could name the host's files). */
static long path_ptr(void)
{
	long v[] = {(long)(scratch + 4096 + 8), (long)(scratch + 8192 + 8)};

	return rnd() % 10 < 4 ? bad_ptr() : pick(v, 2);
}

static long len(void)
{
	static long v[] = {0,	 1,	7,	  16, 128,
			   4096, 65536, 1l << 31, -1, 0x7fffffffffffffffl,
			   12345};
	return pick(v, 11);
}

/* The length of an address range a call acts on (madvise, mbind,
 * pkey_mprotect): never past the guard, so it acts on nothing else. */
static long range(void)
{
	/* Not a huge one from a low address: Linux applies madvise to every
	 * mapping in the range before it reports the holes, and the range
	 * [0, 2^64 - 4096) holds the test's own memory. */
	static long v[] = {0, 1, 4096, 8192, SCRATCH, -1};
	return pick(v, 6);
}

static long flags(void)
{
	long r = rnd() % 4;

	return r == 0 ? 0 : r == 1 ? (long)(rnd() & 0xff) : (long)rnd();
}

static long fd(void)
{
	static long bad[] = {-1, 1000, 0x7fffffff, -100 /* AT_FDCWD */};

	return rnd() % 4 == 0 ? pick(bad, 4) : fds[rnd() % nfixed];
}

static long pid(void)
{
	long v[] = {0, -1, getpid(), NO_PID};

	return pick(v, 4);
}

/*
 * The scratch mapping's first half holds what the calls read (iovecs and
 * paths pointing back into scratch, small numbers, text) and is
 * read-only, so no call writes over an iovec that a later call would
 * then follow out of scratch; the second half takes what calls write.
 * Both are put back after every call (a call may change protections),
 * and the guard after them too.
 */
static void protect(void)
{
	mprotect(scratch, SCRATCH / 2, PROT_READ);
	mprotect(scratch + SCRATCH / 2, SCRATCH / 2, PROT_READ | PROT_WRITE);
	mprotect(scratch + SCRATCH, GUARD, PROT_NONE);
}

static void refill(void)
{
	unsigned long *w = (unsigned long *)scratch;

	mprotect(scratch, SCRATCH, PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < SCRATCH / 8; i += 2) {
		w[i] = (unsigned long)(scratch + (rnd() % SCRATCH));
		w[i + 1] =
		    rnd() % 8192; /* an iovec's length: within the guard */
	}
	/* In iovec length slots (odd words): as lengths they are small. */
	strcpy(scratch + 4096 + 8, ".");
	strcpy(scratch + 8192 + 8, "f");
	protect();
}

static int valid(long r, int err)
{
	return r >= 0 || (r == -1 && err >= 1 && err <= 133);
}

/* An id of the test's own System V objects, or a bad one. */
static long ipc_id(const int *own)
{
	long v[] = {own[0], own[1], -1, 0x7fffffff, 1 << 15};

	return pick(v, 5);
}

/* A signal that changes nothing when it arrives (default: ignored), or
 * a bad number: the calls below send signals to the test itself. */
static long soft_sig(void)
{
	static const long v[] = {0, SIGURG, SIGWINCH, 65, -1};
	return pick(v, 5);
}

/* Semaphore operations that never wait: IPC_NOWAIT on each. */
static long sembufs(void)
{
	struct sembuf *b = (struct sembuf *)(scratch + SCRATCH - 64);

	if (rnd() % 10 < 2)
		return bad_ptr();
	for (int i = 0; i < 4; i++)
		b[i] = (struct sembuf){(unsigned short)(rnd() % 6),
				       (short)(rnd() % 2 ? rnd() % 9 - 4 : rnd()),
				       (short)(IPC_NOWAIT |
					       (rnd() % 2 ? SEM_UNDO : 0))};
	return (long)b;
}

/* A timeout that ends at once (relative {0, 1000} or absolute 1970),
 * an invalid one or a bad pointer, never NULL: nothing may block. */
static long timeout(void)
{
	struct timespec *t = (struct timespec *)(scratch + SCRATCH - 128);
	long r = (long)(rnd() % 4);

	if (r == 0)
		return -4096l;
	*t = (struct timespec){0, r == 1 ? 1000 : r == 2 ? 0 : 2000000000};
	return (long)t;
}

static long msg_flags(void)
{
	return IPC_NOWAIT | (rnd() % 2 ? 0 : (long)(rnd() & 070000));
}

/* mq_notify's sigevent: only ignored signals, or bad kinds. */
static long sigevent_ptr(void)
{
	struct sigevent *ev = (struct sigevent *)(scratch + SCRATCH - 256);
	static const int kinds[] = {SIGEV_NONE, SIGEV_SIGNAL, 77, -1};

	if (rnd() % 10 < 3)
		return rnd() % 2 ? 0 : bad_ptr();
	memset(ev, 0, sizeof(*ev));
	ev->sigev_notify = kinds[rnd() % 4];
	ev->sigev_signo = (int)soft_sig();
	return (long)ev;
}

static long mq_attr_ptr(void)
{
	struct mq_attr *a = (struct mq_attr *)(scratch + SCRATCH - 512);
	static const long sizes[] = {0, 1, 10, 8192, 8193, -1, 1l << 40};

	if (rnd() % 10 < 3)
		return rnd() % 2 ? 0 : bad_ptr();
	*a = (struct mq_attr){.mq_flags = flags(),
			      .mq_maxmsg = pick(sizes, 7) % 64,
			      .mq_msgsize = pick(sizes, 7)};
	return (long)a;
}

static long mq_name_ptr(void)
{
	static const char *names[] = {"a/b", "", "..", NULL};

	if (rnd() % 10 < 2)
		return bad_ptr();
	names[3] = mq_name;
	return (long)names[rnd() % 2 ? 3 : rnd() % 3];
}

/* unshare's flags that stay inside the process: no namespace (on the
 * host they would be made), only bits Linux refuses and the ones it
 * unshares in place. */
static long unshare_flags(void)
{
	static const long v[] = {0, 0x400 /* FILES */, 0x200 /* FS */,
				 0x40000 /* SYSVSEM */, 0x1, 0x100000000l};
	return pick(v, 6);
}

/* open_how: random flags and resolve bits, or sane ones on "f". */
static long how_ptr(void)
{
	uint64_t *h = (uint64_t *)(scratch + SCRATCH - 1024);

	if (rnd() % 10 < 3)
		return bad_ptr();
	h[0] = rnd() % 2 ? (uint64_t)flags() : (uint64_t)(rnd() % 3);
	h[1] = rnd() % 2 ? 0 : (uint64_t)(rnd() & 07777);
	h[2] = rnd() % 2 ? 0 : (uint64_t)(rnd() & 0x7f);
	h[3] = rnd() % 4 ? 0 : 1;
	return (long)h;
}

/* The calls added with System V semaphores and message queues, POSIX
 * message queues and the small ones (cases 38 and up). */
static long ipc_call(int which)
{
	static const long semcmds[] = {0, 1, 2, 3, 11, 12, 13, 14,
				       15, 16, 17, 18, 19, 20, 99, -1};
	long r;

	switch (which) {
	case 38:
		r = syscall(SYS_semget, IPC_PRIVATE, rnd() % 2 ? (long)(rnd() % 8) : len(),
			    flags() & ~(long)IPC_EXCL);
		if (r >= 0)
			semctl((int)r, 0, IPC_RMID);
		return r;
	case 39:
		return syscall(SYS_semop, ipc_id(sems), sembufs(), rnd() % 6);
	case 40:
		return syscall(SYS_semtimedop, ipc_id(sems), rnd() % 2 ? sembufs()
			       : iov_ptr(), rnd() % 6, timeout());
	case 41:
		return syscall(SYS_semctl, ipc_id(sems), rnd() % 8 - 1,
			       pick(semcmds, 16), rnd() % 2 ? ptr() : len());
	case 42:
		r = syscall(SYS_msgget, IPC_PRIVATE, flags());
		if (r >= 0)
			msgctl((int)r, IPC_RMID, NULL);
		return r;
	case 43:
		return syscall(SYS_msgsnd, ipc_id(msqs), iov_ptr(), len(),
			       msg_flags());
	case 44:
		return syscall(SYS_msgrcv, ipc_id(msqs), ptr(), len(),
			       (long)(rnd() % 7) - 3, msg_flags());
	case 45:
		return syscall(SYS_msgctl, ipc_id(msqs), pick(semcmds, 16),
			       ptr());
	case 46:
		return syscall(SYS_mq_open, mq_name_ptr(),
			       O_NONBLOCK | (rnd() % 2 ? O_CREAT : 0) |
				   (rnd() % 3),
			       rnd() & 0777, mq_attr_ptr());
	case 47:
		return syscall(SYS_mq_unlink, mq_name_ptr());
	case 48:
		return syscall(SYS_mq_timedsend, fd(), iov_ptr(), len(),
			       rnd() % 2 ? rnd() % 8 : rnd(), timeout());
	case 49:
		return syscall(SYS_mq_timedreceive, fd(), ptr(), len(),
			       rnd() % 2 ? 0 : ptr(), timeout());
	case 50:
		return syscall(SYS_mq_notify, fd(), sigevent_ptr());
	case 51:
		return syscall(SYS_mq_getsetattr, fd(),
			       rnd() % 3 ? 0 : iov_ptr(), rnd() % 2 ? 0 : ptr());
	case 52:
		return syscall(SYS_utime, path_ptr(), rnd() % 3 ? iov_ptr() : 0);
	case 53:
		return syscall(SYS_utimes, path_ptr(), rnd() % 3 ? iov_ptr() : 0);
	case 54:
		return syscall(SYS_futimesat, fd(), rnd() % 3 ? path_ptr() : 0,
			       rnd() % 3 ? iov_ptr() : 0);
	case 55:
		return syscall(SYS_get_robust_list, pid(), ptr(), ptr());
	case 56:
		return syscall(SYS_rt_tgsigqueueinfo, pid(),
			       rnd() % 2 ? gettid() : pid(), soft_sig(),
			       iov_ptr());
	case 57:
		return syscall(SYS_pidfd_send_signal, fd(), soft_sig(),
			       rnd() % 2 ? 0 : iov_ptr(), rnd() % 2 ? 0 : flags());
	case 58:
		return syscall(SYS_pidfd_getfd, fd(), fd(), rnd() % 2 ? 0 : flags());
	case 59:
		return syscall(SYS_kcmp, pid(), pid(), rnd() % 10 - 1, fd(),
			       rnd() % 2 ? fd() : iov_ptr());
	case 60:
		return syscall(SYS_cachestat, fd(), iov_ptr(), ptr(),
			       rnd() % 2 ? 0 : flags());
	case 61:
		return syscall(SYS_unshare, unshare_flags());
	case 62:
		return syscall(SYS_setns, fd(), rnd() % 2 ? 0 : (long)(rnd() & 0x7f));
	case 63:
		return syscall(SYS_openat2, fd(), path_ptr(), how_ptr(),
			       rnd() % 2 ? 24 : len());
	}
	return 0;
}

/* The calls of abi5 (cases 69 and up). process_vm on itself only: its
 * iovecs point into scratch, whose read-only half refuses the writes. */
static long new_call(int which)
{
	switch (which) {
	case 69:
		return syscall(rnd() % 2 ? SYS_process_vm_readv
				       : SYS_process_vm_writev,
			       rnd() % 4 ? getpid() : pid(), iov_ptr(),
			       rnd() % 6 - 1, iov_ptr(), rnd() % 6 - 1,
			       rnd() % 4 ? 0 : flags());
	/* The waits never wait: a zero absolute timeout or a bad one. */
	case 70:
		return syscall(449 /* futex_waitv */, rnd() % 4 ? iov_ptr() : 0,
			       rnd() % 140, rnd() % 4 ? 0 : flags(),
			       rnd() % 4 ? (long)&no_wait : 8l, rnd() % 3);
	case 71:
		return rnd() % 2 ? syscall(454 /* futex_wake */, ptr(), len(),
					   rnd() % 4 - 1, flags())
				 : syscall(455 /* futex_wait */, ptr(), len(),
					   len(), flags(), (long)&no_wait,
					   rnd() % 3);
	/* Never the test's own memory: sealing it would stick. */
	case 72:
		if (rnd() % 2)
			return syscall(462 /* mseal */, bad_ptr() & ~4095l,
				       range(), rnd() % 4 ? 0 : flags());
		/* chroot: only paths that cannot be a directory */
		return syscall(SYS_chroot, rnd() % 2 ? bad_ptr()
					    : (long)(scratch + 8192 + 8));
	}
	return 0;
}

static long aio_id(void)
{
	long v[] = {(long)aio_ctx, 0, -1, (long)aio_ctx + 8};

	return rnd() % 4 ? (long)aio_ctx : pick(v, 4);
}

/* The calls, each with a draw of its arguments. */
static long call(int which)
{
	static const long madv[] = {0,	1,  2,	3,  4,	8,  9,	10,  11,
				    12, 13, 14, 15, 16, 17, 18, 19,  20,
				    21, 22, 23, 24, 25, 26, 99, 999, -1};
	static const long syslog_safe[] = {3, 9, 10, 0, 1, 99, -1};
	static const long prots[] = {0, 1, 3, 5, 7, 8, 0x10};

	switch (which) {
	case 0:
		return syscall(SYS_signalfd4, fd(), iov_ptr(), len(), flags());
	case 1:
		return syscall(SYS_inotify_init1, flags());
	case 2:
		return syscall(SYS_inotify_add_watch, fd(), path_ptr(),
			       flags());
	case 3:
		return syscall(SYS_inotify_rm_watch, fd(), rnd() % 8);
	case 4:
		return syscall(SYS_splice, fd(), rnd() % 2 ? 0 : ptr(), fd(),
			       rnd() % 2 ? 0 : ptr(), len(), flags());
	case 5:
		return syscall(SYS_tee, fd(), fd(), len(), flags());
	/* vmsplice waits on an empty pipe whatever its O_NONBLOCK. */
	case 6:
		return syscall(SYS_vmsplice, fd(), iov_ptr(), rnd() % 2000 - 2,
			       flags() | 2 /* SPLICE_F_NONBLOCK */);
	case 7:
		return syscall(SYS_fadvise64, fd(), len(), len(),
			       rnd() % 8 - 1);
	case 8:
		return syscall(SYS_readahead, fd(), len(), len());
	case 9:
		return syscall(SYS_sync_file_range, fd(), len(), len(),
			       flags());
	case 10:
		return syscall(SYS_preadv2, fd(), iov_ptr(), rnd() % 2000 - 2,
			       rnd() % 2 ? -1 : len(), 0, flags());
	case 11:
		return syscall(SYS_pwritev2, fd(), iov_ptr(), rnd() % 4,
			       rnd() % 2 ? -1 : len(), 0, flags());
	case 12:
		return syscall(SYS_getdents, fd(), ptr(), len());
	case 13:
		return syscall(452 /* fchmodat2 */, fd(), path_ptr(),
			       rnd() & 0777, flags());
	case 14:
		return syscall(SYS_name_to_handle_at, fd(), path_ptr(), ptr(),
			       ptr(), flags());
	case 15:
		return syscall(SYS_open_by_handle_at, fd(), iov_ptr(),
			       O_RDONLY | (rnd() % 2 ? O_NONBLOCK : 0));
	case 16:
		return syscall(SYS_madvise, ptr() & ~4095l, range(),
			       pick(madv, 27));
	case 17:
		return syscall(SYS_process_madvise, fd(), iov_ptr(), rnd() % 5,
			       pick(madv, 27), rnd() % 4 ? 0 : flags());
	case 18:
		return syscall(SYS_mbind, ptr() & ~4095l, range(),
			       rnd() % 9 - 1, iov_ptr(), len(), flags());
	case 19:
		return syscall(SYS_set_mempolicy, rnd() % 9 - 1, iov_ptr(),
			       len());
	case 20:
		return syscall(SYS_get_mempolicy, rnd() % 2 ? 0 : ptr(),
			       rnd() % 2 ? 0 : ptr(), len(), ptr(), rnd() % 8);
	/* Rights 0 or invalid: a key that disabled access to the scratch
	 * mapping (on a CPU with keys) would fault the test itself. */
	case 21:
		return syscall(SYS_pkey_alloc, flags(), rnd() % 3 * 4);
	case 22:
		return syscall(SYS_pkey_free, rnd() % 20 - 2);
	/* Not PROT_EXEC alone: on a CPU with keys that takes the
	 * execute-only key, which the host then faults the test on. */
	case 23:
		return syscall(SYS_pkey_mprotect, ptr() & ~4095l, range(),
			       pick(prots, 7), rnd() % 4 - 1);
	case 24:
		return syscall(SYS_sched_setscheduler, pid(), rnd() % 8 - 1,
			       iov_ptr());
	case 25:
		return syscall(SYS_sched_setparam, pid(), iov_ptr());
	case 26:
		return syscall(SYS_sched_getparam, pid(), ptr());
	case 27:
		return syscall(SYS_sched_rr_get_interval, pid(), ptr());
	case 28:
		return syscall(SYS_sched_setattr, pid(), iov_ptr(),
			       rnd() % 4 ? 0 : 1);
	case 29:
		return syscall(SYS_sched_getattr, pid(), ptr(), len(),
			       rnd() % 4 ? 0 : 1);
	case 30:
		return syscall(SYS_ioprio_set, rnd() % 2 ? 1 : rnd() % 5 * 4,
			       pid(), rnd() & 0xffff);
	case 31:
		return syscall(SYS_ioprio_get, rnd() % 2 ? 1 : rnd() % 5 * 4,
			       pid());
	case 32:
		return syscall(SYS_capget, ptr(), ptr());
	case 33:
		return syscall(SYS_getcpu, ptr(), ptr(), ptr());
	case 34:
		return syscall(SYS_syslog, pick(syslog_safe, 7), ptr(), len());
	case 35:
		return syscall(SYS_pidfd_open, pid(), flags());
	case 36:
		return syscall(SYS_getgroups, len(), ptr());
	case 37:
		if (!names_ok)
			return 0;
		return syscall(rnd() % 2 ? SYS_sethostname : SYS_setdomainname,
			       iov_ptr(), len());
	/* AIO on the test's context or a bad one; the waits never wait. */
	case 64:
		return syscall(SYS_io_submit, aio_id(), rnd() % 6 - 1,
			       iov_ptr());
	case 65:
		return syscall(SYS_io_getevents, aio_id(), rnd() % 3 - 1,
			       rnd() % 6 - 1, ptr(),
			       rnd() % 4 ? (long)&no_wait : 8l);
	case 66:
		return syscall(SYS_io_pgetevents, aio_id(), rnd() % 3 - 1,
			       rnd() % 6 - 1, ptr(), (long)&no_wait,
			       rnd() % 2 ? 0 : iov_ptr());
	case 67:
		return syscall(SYS_io_cancel, aio_id(), iov_ptr(), ptr());
	case 68:
		/* Never the test's own context, which later calls use. */
		return rnd() % 2 ? syscall(SYS_io_destroy, aio_ctx + 4096)
				 : syscall(SYS_io_setup, len(), ptr());
	default:
		if (which >= 69)
			return new_call(which);
		return ipc_call(which);
	}
}
#define NCALLS 73 /* 0-37 above, 38-63 ipc_call, 64-68 AIO, 69- new_call */

static void close_new_fds(void)
{
	for (int f = top_fd + 1; f < top_fd + 64; f++)
		close(f);
}

static void hostile_arguments(void)
{
	int bad = 0;

	for (int i = 0; i < ROUNDS; i++) {
		int which = (int)(rnd() % NCALLS);

		if (i % 64 == 0)
			refill();
		errno = 0;
		long r = call(which);
		int err = errno;

		protect();
		close_new_fds();
		sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){0});
		if (!valid(r, err) && bad++ < 10)
			printf("FAIL hostile: call %d returned %ld, errno %d\n",
			       which, r, err);
	}
	CHECK_EQ_INT(bad, 0);
}

/* The ids last: they may leave root for good. */
static void hostile_ids(void)
{
	int bad = 0;

	for (int i = 0; i < 200; i++) {
		static const long ids[] = {0, 1000, -1, 65534, 0x7fffffff};
		long r;

		errno = 0;
		switch (rnd() % 8) {
		case 0:
			r = syscall(SYS_setresuid, pick(ids, 5), pick(ids, 5),
				    pick(ids, 5));
			break;
		case 1:
			r = syscall(SYS_setresgid, pick(ids, 5), pick(ids, 5),
				    pick(ids, 5));
			break;
		case 2:
			r = syscall(SYS_setreuid, pick(ids, 5), pick(ids, 5));
			break;
		case 3:
			r = syscall(SYS_setregid, pick(ids, 5), pick(ids, 5));
			break;
		case 4:
			r = syscall(SYS_setgroups, len(), iov_ptr());
			break;
		case 5:
			r = syscall(SYS_setfsuid, pick(ids, 5));
			break;
		case 6:
			r = syscall(SYS_capset, iov_ptr(), iov_ptr());
			break;
		default:
			r = syscall(SYS_setuid, pick(ids, 5));
			break;
		}
		if (!valid(r, errno) && bad++ < 10)
			printf("FAIL hostile: an id call returned %ld\n", r);
	}
	CHECK_EQ_INT(bad, 0);
}

/* Osprey has no namespaces (unshare: EINVAL): the VM is the test's own. */
static int in_osprey(void)
{
	struct utsname u;

	return uname(&u) == 0 && strstr(u.release, "osprey") != NULL;
}

static void setup(void)
{
	int p[2];

	snprintf(dir, sizeof(dir), "/tmp/abi-hostile-%d", (int)getpid());
	abi_rmtree(dir);
	mkdir(dir, 0755);
	if (chdir(dir))
		return;
	scratch = mmap(NULL, SCRATCH + GUARD, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (scratch == MAP_FAILED ||
	    mprotect(scratch, SCRATCH, PROT_READ | PROT_WRITE))
		return;
	fds[nfixed++] = open("f", O_CREAT | O_RDWR, 0644);
	fds[nfixed++] = open(".", O_RDONLY | O_DIRECTORY);
	if (pipe2(p, O_NONBLOCK) == 0) {
		fds[nfixed++] = p[0];
		fds[nfixed++] = p[1];
	}
	fds[nfixed++] = syscall(SYS_inotify_init1, O_NONBLOCK);
	fds[nfixed++] = syscall(SYS_pidfd_open, getpid(), 0);
	snprintf(mq_name, sizeof(mq_name), "abi-hostile-%d", (int)getpid());
	struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
	fds[nfixed++] = syscall(SYS_mq_open, mq_name,
				O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	for (int i = 0; i < 2; i++) {
		sems[i] = semget(IPC_PRIVATE, 3, 0600);
		msqs[i] = msgget(IPC_PRIVATE, 0600);
	}
	syscall(SYS_io_setup, 64, &aio_ctx);
	for (int i = 0; i < nfixed; i++)
		top_fd = fds[i] > top_fd ? fds[i] : top_fd;
	/* Host names only where they are the test's own. */
	names_ok = unshare(CLONE_NEWUTS) == 0 || errno == ENOSYS ||
		   (errno == EINVAL && in_osprey());
}

int main(void)
{
	const char *s = getenv("ABI_HOSTILE_SEED"); /* to explore further */

	abi_init("hostile");
	if (s && strtoull(s, NULL, 0))
		seed = strtoull(s, NULL, 0);
	setup();
	if (!CHECK(scratch != MAP_FAILED && nfixed == 7))
		return abi_done();
	ABI_RUN(hostile_arguments);
	for (int i = 0; i < 2; i++) { /* the host keeps them otherwise */
		semctl(sems[i], 0, IPC_RMID);
		msgctl(msqs[i], IPC_RMID, NULL);
	}
	syscall(SYS_mq_unlink, mq_name);
	if (chdir("/") == 0)
		abi_rmtree(dir); /* while still root */
	ABI_RUN(hostile_ids);
	return abi_done();
}
