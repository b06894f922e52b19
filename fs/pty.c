/*
 * Pseudo-terminals (Linux: man 7 pty, man 4 pts): opening /dev/ptmx
 * makes a master and its slave /dev/pts/N. What the master writes is the
 * slave's keyboard; what the slave writes, the master reads. Between the
 * two sits the line discipline every terminal shares (fs/tty.c): the
 * master is the terminal's other side (tty_input, tty_output), the slave
 * its program's side.
 *
 * Hang-ups, as Linux: once the master is closed, the slave reads end of
 * file and its writes fail with EIO, and if it was the controlling
 * terminal the process gets SIGHUP and SIGCONT; once the last slave is
 * closed (one having been opened), the master reads EIO when the output
 * is empty. A new pty is locked until unlockpt (TIOCSPTLCK 0): its slave
 * cannot be opened before.
 *
 * Locks: each pty's terminal lock guards all its state. The table of
 * ptys is under pty_table_lock, taken before a terminal's lock, never
 * after. The file system is called with neither held.
 */
#include "fs/tty.h"

#define PTY_MAX 64
#define PTS_MAJOR 136

struct pty {
	struct tty tty; /* its lock guards the fields below it too */
	/* set at allocation, then read-only */
	unsigned index;
	/* under tty.lock */
	bool locked;	   /* TIOCSPTLCK: the slave cannot be opened */
	bool slave_opened; /* ever: the master sees the last close */
	unsigned slaves;   /* slave files open */
	/* under pty_table_lock */
	unsigned refs; /* the master and each slave file */
};

static struct mutex pty_table_lock = MUTEX_INIT;
static struct pty *ptys[PTY_MAX]; /* under pty_table_lock */

static unsigned rdev_minor(uint64_t rdev)
{
	return (unsigned)((rdev & 0xff) | ((rdev >> 12) & 0xffffff00));
}

static struct tty *tty_of(struct file *f)
{
	return &((struct pty *)f->priv)->tty;
}

static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

/* ---- the master: the terminal's other side ---- */
static int64_t master_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return tty_output(tty_of(f), buf, n, nonblocking(f));
}

static int64_t master_write(struct file *f, const void *buf, size_t n,
			    int64_t *pos)
{
	return tty_input(tty_of(f), buf, n, nonblocking(f));
}

static unsigned master_poll(struct file *f, struct poll_table *pt)
{
	return tty_output_poll(tty_of(f), f, pt);
}

/* ---- the slave: the program's side ---- */
static int64_t slave_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return tty_read(tty_of(f), f, buf, n);
}

static int64_t slave_write(struct file *f, const void *buf, size_t n,
			   int64_t *pos)
{
	return tty_write(tty_of(f), f, buf, n);
}

static unsigned slave_poll(struct file *f, struct poll_table *pt)
{
	return tty_poll(tty_of(f), f, pt);
}

static int slave_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	return tty_ioctl(tty_of(f), cmd, arg);
}

/* ---- the master's own ioctls ---- */
static int open_peer(struct pty *p, unsigned long flags)
{
	char path[32];
	struct file *f;

	if (flags & ~(unsigned long)(O_ACCMODE | O_NOCTTY | O_NONBLOCK |
				     O_CLOEXEC))
		return -EINVAL;
	snprintf(path, sizeof(path), "/dev/pts/%u", p->index);
	int err = vfs_openat(NULL, path, (int)flags | O_NOCTTY, 0, &f);
	if (err)
		return err;
	int fd = fd_install(f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

static int master_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct pty *p = f->priv;

	switch (cmd) {
	case TIOCGPTN:
		*(unsigned *)arg = p->index;
		return 0;
	case TIOCSPTLCK:
	case TIOCGPTLCK:
		mutex_lock(&p->tty.lock);
		if (cmd == TIOCSPTLCK)
			p->locked = *(int *)arg != 0;
		else
			*(int *)arg = p->locked;
		mutex_unlock(&p->tty.lock);
		return 0;
	case TIOCGPTPEER:
		return open_peer(p, (unsigned long)arg);
	}
	return tty_output_ioctl(&p->tty, cmd, arg);
}

/* ---- opening and closing ---- */
static void pty_put(struct pty *p)
{
	bool last;

	mutex_lock(&pty_table_lock);
	last = --p->refs == 0;
	if (last)
		ptys[p->index] = NULL;
	mutex_unlock(&pty_table_lock);
	if (last) {
		tty_forget(&p->tty);
		free(p);
	}
}

static void master_release(struct file *f)
{
	struct pty *p = f->priv;
	char path[32];

	if (!p)
		return;
	snprintf(path, sizeof(path), "/dev/pts/%u", p->index);
	tty_hangup(&p->tty);
	vfs_unlinkat(NULL, path, 0);
	pty_put(p);
}

static void slave_release(struct file *f)
{
	struct pty *p = f->priv;

	if (!p)
		return;
	mutex_lock(&p->tty.lock);
	p->slaves--;
	p->tty.peer_gone = !p->slaves;
	tty_changed(&p->tty);
	poll_notify(&p->tty.wq, POLLHUP);
	mutex_unlock(&p->tty.lock);
	pty_put(p);
}

static struct pty *pty_new(void)
{
	struct pty *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	tty_init(&p->tty, 0, 0); /* Linux's ptys start at 0x0 */
	p->locked = true;
	p->refs = 1;
	mutex_lock(&pty_table_lock);
	for (p->index = 0; p->index < PTY_MAX && ptys[p->index]; p->index++)
		;
	if (p->index < PTY_MAX)
		ptys[p->index] = p;
	mutex_unlock(&pty_table_lock);
	if (p->index == PTY_MAX) {
		free(p);
		return NULL;
	}
	return p;
}

/* /dev/ptmx: a new pty, and its slave's node. */
static int ptmx_open(struct file *f, int flags)
{
	char path[32];
	struct pty *p = pty_new();

	if (!p)
		return -ENOSPC; /* Linux, past kernel.pty.max */
	snprintf(path, sizeof(path), "/dev/pts/%u", p->index);
	int err = vfs_mknodat(NULL, path, S_IFCHR,
			      fs_makedev(PTS_MAJOR, p->index));
	if (!err)
		err = vfs_chmodat(NULL, path, 0620, 0);
	if (err) {
		vfs_unlinkat(NULL, path, 0);
		pty_put(p);
		return err;
	}
	f->priv = p;
	return 0;
}

/* /dev/pts/N: the slave of an unlocked pty; the process's controlling
 * terminal if it has none and did not say O_NOCTTY. */
static int pts_open(struct file *f, int flags)
{
	unsigned index = rdev_minor(f->inode->rdev);
	struct pty *p = NULL;
	int err = -EIO;

	mutex_lock(&pty_table_lock);
	if (index < PTY_MAX)
		p = ptys[index];
	if (p) {
		mutex_lock(&p->tty.lock);
		if (!p->locked && !p->tty.hung_up) {
			err = 0;
			p->slaves++;
			p->slave_opened = true;
			p->tty.peer_gone = false;
			p->refs++;
		}
		mutex_unlock(&p->tty.lock);
	}
	if (!err)
		tty_open_ctty(&p->tty, flags);
	mutex_unlock(&pty_table_lock);
	if (!err)
		f->priv = p;
	return err;
}

const struct file_ops ptmx_ops = {
    .open = ptmx_open,
    .read = master_read,
    .write = master_write,
    .ioctl = master_ioctl,
    .poll = master_poll,
    .release = master_release,
};

const struct file_ops pts_ops = {
    .open = pts_open,
    .read = slave_read,
    .write = slave_write,
    .ioctl = slave_ioctl,
    .poll = slave_poll,
    .release = slave_release,
};

bool pty_is_slave(uint64_t rdev)
{
	return ((rdev >> 8) & 0xfff) == PTS_MAJOR && !(rdev >> 32);
}
