/*
 * Signal-driven I/O, linux/'s half (man 2 fcntl, "Managing signals";
 * man 2 ioctl_fioasync... FIOASYNC, FIOSETOWN, SIOCSPGRP): fcntl's and
 * ioctl's owner and signal commands, and the sending of SIGIO to the
 * owner, which fs/fasync.c asks for when a file with O_ASYNC becomes
 * ready. The owner is a thread (F_OWNER_TID), a process (F_OWNER_PID) or
 * a process group (F_OWNER_PGRP), looked up when the signal goes: one
 * that has gone by then gets nothing, as in Linux.
 */
#include "fs/fs.h"
#include "fs/poll.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"
#include "net/net.h"

#define SIGIO 29
#define FIOSETOWN 0x8901
#define SIOCSPGRP 0x8902
#define FIOGETOWN 0x8903
#define SIOCGPGRP 0x8904
#define FIOASYNC 0x5452

struct f_owner_ex {
	int type, pid;
};

/* si_band for each si_code POLL_IN..POLL_HUP (Linux: fs/fcntl.c). */
static const long band_of[] = {
    [1] = POLLIN | POLLRDNORM,
    [2] = POLLOUT | POLLWRNORM | POLLWRBAND,
    [3] = POLLIN | POLLRDNORM | POLLMSG,
    [4] = POLLERR,
    [5] = POLLPRI | POLLRDBAND,
    [6] = POLLHUP | POLLERR,
};

void linux_send_sigio(int type, int id, int sig, int fd, int reason)
{
	struct ksiginfo info = {.signo = sig ? sig : SIGIO,
				.code = sig ? reason : SI_KERNEL};

	if (sig) {
		info.addr = (uint64_t)band_of[reason];
		info.rest[0] = (uint32_t)fd;
	}
	if (type == F_OWNER_TID)
		signal_send_tid(id, info.signo, &info);
	else
		process_kill(type == F_OWNER_PGRP ? -id : id, info.signo,
			     &info);
}

/* Whether the owner exists now (Linux's F_SETOWN: -ESRCH if not). */
static int owner_check(int type, int id)
{
	if (!id)
		return 0;
	if (type == F_OWNER_TID)
		return process_find_thread(id) ? 0 : -ESRCH;
	return process_kill(type == F_OWNER_PGRP ? -id : id, 0, NULL);
}

static long set_owner(struct file *f, int type, int id)
{
	int r = owner_check(type, id);

	return r ? r : fasync_set_owner(f, type, id);
}

/* F_SETOWN, FIOSETOWN, SIOCSPGRP: a pid, or a process group negated. */
static long set_owner_pid(struct file *f, int who)
{
	if (who == INT32_MIN)
		return -EINVAL;
	if (who < 0)
		return set_owner(f, F_OWNER_PGRP, -who);
	return set_owner(f, F_OWNER_PID, who);
}

static int get_owner_pid(struct file *f)
{
	int type, id;

	fasync_get_owner(f, &type, &id);
	return type == F_OWNER_PGRP ? -id : id;
}

static long set_owner_ex(struct file *f, long uarg)
{
	struct f_owner_ex o;

	if (copy_from_user(&o, uarg, sizeof(o)))
		return -EFAULT;
	if (o.type != F_OWNER_TID && o.type != F_OWNER_PID &&
	    o.type != F_OWNER_PGRP)
		return -EINVAL;
	if (o.pid < 0)
		return -ESRCH; /* no such pid */
	return set_owner(f, o.type, o.pid);
}

static long get_owner_ex(struct file *f, long uarg)
{
	struct f_owner_ex o;

	fasync_get_owner(f, &o.type, &o.pid);
	return copy_to_user(uarg, &o, sizeof(o)) ? -EFAULT : 0;
}

long fcntl_sigio(struct file *f, long cmd, long arg)
{
	switch (cmd) {
	case F_SETOWN:
		return set_owner_pid(f, (int)arg);
	case F_GETOWN:
		return get_owner_pid(f);
	case F_SETOWN_EX:
		return set_owner_ex(f, arg);
	case F_GETOWN_EX:
		return get_owner_ex(f, arg);
	case F_SETSIG:
		if ((unsigned long)arg > NSIG)
			return -EINVAL;
		return fasync_set_sig(f, (int)arg);
	case F_GETSIG:
		return fasync_get_sig(f);
	}
	return -EINVAL;
}

/* FIOASYNC: O_ASYNC on or off, as F_SETFL would. */
static long fioasync(struct file *f, int fd, long uarg)
{
	int on, flags;
	long r;

	if (copy_from_user(&on, uarg, sizeof(on)))
		return -EFAULT;
	flags = vfs_getfl(f);
	r = vfs_setfl(f, on ? flags | O_ASYNC : flags & ~O_ASYNC);
	return r ? r : fasync_update(f, fd);
}

/* The owner ioctls, which Linux answers for sockets only. */
static long socket_owner_ioctl(struct file *f, long cmd, long uarg)
{
	int who;

	if (!sock_of_file(f))
		return -ENOTTY;
	if (cmd == FIOGETOWN || cmd == SIOCGPGRP) {
		who = get_owner_pid(f);
		return copy_to_user(uarg, &who, sizeof(who)) ? -EFAULT : 0;
	}
	if (copy_from_user(&who, uarg, sizeof(who)))
		return -EFAULT;
	return set_owner_pid(f, who);
}

bool ioctl_sigio(struct file *f, int fd, long cmd, long uarg, long *r)
{
	switch (cmd) {
	case FIOASYNC:
		*r = fioasync(f, fd, uarg);
		return true;
	case FIOSETOWN:
	case SIOCSPGRP:
	case FIOGETOWN:
	case SIOCGPGRP:
		*r = socket_owner_ioctl(f, cmd, uarg);
		return true;
	}
	return false;
}
