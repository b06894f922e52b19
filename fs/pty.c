/*
 * Pseudo-terminals (Linux: man 7 pty, man 4 pts): opening /dev/ptmx
 * makes a master and its slave /dev/pts/N. What the master writes is the
 * slave's keyboard; what the slave writes, the master reads.
 *
 * Between the two sits the line discipline (POSIX's General Terminal
 * Interface, Linux's N_TTY), which a console terminal will share:
 *   input  (master write -> slave read): ISTRIP, INLCR, IGNCR, ICRNL;
 *          with ISIG the VINTR, VQUIT and VSUSP characters become SIGINT,
 *          SIGQUIT and SIGTSTP for the terminal's foreground process group
 *          (both queues flushed unless NOFLSH); with ICANON a line is
 *          edited (VERASE, VKILL, and VWERASE with IEXTEN) and becomes
 *          readable whole at a newline, VEOL, VEOL2 or VEOF (which ends
 *          the line without being read: alone, it reads as end of file);
 *          without ICANON bytes are readable at once, as VMIN and VTIME
 *          say. ECHO (with ECHOE, ECHOK, ECHOKE, ECHOCTL) and ECHONL write
 *          back to the master.
 *   output (slave write -> master read): OPOST with ONLCR and OCRNL.
 * Each direction is a ring of PTY_BUF bytes. A full input queue makes
 * the master's writes wait (in canonical mode the line being edited drops
 * what does not fit, keeping room for its end, as Linux); a full output
 * queue makes the slave's writes wait; echoes that do not fit are lost.
 *
 * Hang-ups, as Linux: once the master is closed, the slave reads end of
 * file and its writes fail with EIO, and if it was the controlling
 * terminal the process gets SIGHUP and SIGCONT; once the last slave is closed (one
 * having been opened), the master reads EIO when the output is empty.
 * A new pty is locked until unlockpt (TIOCSPTLCK 0): its slave cannot be
 * opened before.
 *
 * The controlling terminal: the process (Osprey's one session, whose
 * leader it is) gets a pty's slave as its controlling terminal when it
 * opens it without O_NOCTTY and has none, or through TIOCSCTTY; only then
 * do the ISIG characters and window changes signal it (Linux signals the
 * foreground group of the terminal's session, and a terminal of no
 * session signals nobody).
 *
 * Locks: each pty's lock guards all its state; both ends and everyone
 * polling wait on its one waitq, notified after every change. The table
 * of ptys and the controlling terminal are under pty_table_lock, taken
 * before a pty's lock, never after. The file system is called with
 * neither held.
 */
#include "fs/fs_private.h"
#include "fs/poll.h"
#include "kernel/sched/sched.h"

#define PTY_MAX 64
#define PTY_BUF 4096 /* per direction, as Linux's N_TTY_BUF_SIZE */
#define PTS_MAJOR 136

/* termios bits (asm-generic/termbits.h) */
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSUSP 10
#define VEOL 11
#define VWERASE 14
#define VEOL2 16
#define ISTRIP 0040
#define INLCR 0100
#define IGNCR 0200
#define ICRNL 0400
#define OPOST 0001
#define ONLCR 0004
#define OCRNL 0010
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000

#define TCIFLUSH 0
#define TCOFLUSH 1
#define TCIOFLUSH 2

#define SIGINT 2
#define SIGQUIT 3
#define SIGTSTP 20
#define SIGHUP 1
#define SIGCONT 18
#define SIGWINCH 28

/* Input bytes carry these flags above their 8 bits. */
#define IN_LINE_END 0x100 /* a newline, VEOL or VEOL2: ends a line */
#define IN_EOF 0x200	  /* VEOF: ends a line, is not read */

struct pty {
	/* set at allocation, then read-only */
	unsigned index;
	struct mutex lock;
	struct waitq wq; /* both ends and their pollers */
	/* under lock */
	struct termios_k t;
	struct winsize_k ws;
	uint16_t in[PTY_BUF]; /* readable by the slave, with IN_* flags */
	unsigned in_head, in_len;
	unsigned in_lines;	 /* line ends in `in` (canonical reads) */
	uint8_t edit[PTY_BUF]; /* ICANON: the line being edited */
	unsigned edit_len;
	uint8_t out[PTY_BUF]; /* readable by the master */
	unsigned out_head, out_len;
	bool locked;	  /* TIOCSPTLCK: the slave cannot be opened */
	bool master_open; /* false: hung up */
	bool slave_opened; /* ever: the master sees the last close */
	unsigned slaves;  /* slave files open */
	/* under pty_table_lock */
	unsigned refs; /* the master and each slave file */
};

static struct mutex pty_table_lock = MUTEX_INIT;
static struct pty *ptys[PTY_MAX]; /* under pty_table_lock */
static struct pty *ctty;	  /* the controlling terminal; ditto */

static unsigned rdev_minor(uint64_t rdev)
{
	return (unsigned)((rdev & 0xff) | ((rdev >> 12) & 0xffffff00));
}

/* ---- the queues (under the pty's lock) ---- */
static void in_put(struct pty *p, uint16_t v)
{
	p->in[(p->in_head + p->in_len++) % PTY_BUF] = v;
	if (v & (IN_LINE_END | IN_EOF))
		p->in_lines++;
}

static uint16_t in_take(struct pty *p)
{
	uint16_t v = p->in[p->in_head];

	p->in_head = (p->in_head + 1) % PTY_BUF;
	p->in_len--;
	if (v & (IN_LINE_END | IN_EOF))
		p->in_lines--;
	return v;
}

/* One byte for the master to read; false when there is no room. */
static bool out_put(struct pty *p, uint8_t c)
{
	if (p->out_len == PTY_BUF)
		return false;
	p->out[(p->out_head + p->out_len++) % PTY_BUF] = c;
	return true;
}

/* Output processing (OPOST); false when there was no room for all. */
static bool opost(struct pty *p, uint8_t c)
{
	uint32_t o = p->t.c_oflag;

	if ((o & OPOST) && c == '\n' && (o & ONLCR))
		return p->out_len + 2 <= PTY_BUF && out_put(p, '\r') &&
		       out_put(p, '\n');
	if ((o & OPOST) && c == '\r' && (o & OCRNL))
		c = '\n';
	return out_put(p, c);
}

static void flush_input(struct pty *p)
{
	p->in_head = p->in_len = p->in_lines = p->edit_len = 0;
}

/* ---- echo ---- */
static bool is_ctl(uint8_t c)
{
	return (c < 32 && c != '\t' && c != '\n') || c == 0177;
}

static void echo_char(struct pty *p, uint8_t c)
{
	if (!(p->t.c_lflag & ECHO))
		return;
	if ((p->t.c_lflag & ECHOCTL) && is_ctl(c)) {
		out_put(p, '^');
		out_put(p, c == 0177 ? '?' : c + '@');
	} else {
		opost(p, c);
	}
}

static void echo_erase(struct pty *p, uint8_t c)
{
	unsigned n = (p->t.c_lflag & ECHOCTL) && is_ctl(c) ? 2 : 1;

	if (!(p->t.c_lflag & ECHO))
		return;
	if (!(p->t.c_lflag & ECHOE)) {
		echo_char(p, p->t.c_cc[VERASE]);
		return;
	}
	while (n--) {
		out_put(p, '\b');
		out_put(p, ' ');
		out_put(p, '\b');
	}
}

/* ---- the line discipline's input ---- */
static bool is_cc(const struct pty *p, uint8_t c, unsigned which)
{
	return p->t.c_cc[which] && c == p->t.c_cc[which]; /* 0: disabled */
}

/* Whether this byte is a signal character; if so, raises it. */
static int isig_char(struct pty *p, uint8_t c)
{
	if (!(p->t.c_lflag & ISIG))
		return 0;
	if (is_cc(p, c, VINTR))
		return SIGINT;
	if (is_cc(p, c, VQUIT))
		return SIGQUIT;
	if (is_cc(p, c, VSUSP))
		return SIGTSTP;
	return 0;
}

static void erase_one(struct pty *p)
{
	if (p->edit_len)
		echo_erase(p, p->edit[--p->edit_len]);
}

static void erase_word(struct pty *p)
{
	while (p->edit_len && p->edit[p->edit_len - 1] == ' ')
		erase_one(p);
	while (p->edit_len && p->edit[p->edit_len - 1] != ' ')
		erase_one(p);
}

static void kill_line(struct pty *p)
{
	uint8_t c = p->t.c_cc[VKILL];

	if (p->t.c_lflag & ECHOKE) {
		while (p->edit_len)
			erase_one(p);
		return;
	}
	echo_char(p, c);
	if (p->t.c_lflag & ECHOK)
		opost(p, '\n');
	p->edit_len = 0;
}

/* The line being edited becomes readable, ended by `end`. */
static void end_line(struct pty *p, uint16_t end)
{
	for (unsigned i = 0; i < p->edit_len; i++)
		in_put(p, p->edit[i]);
	p->edit_len = 0;
	in_put(p, end);
}

/* Room for one more input byte: in canonical mode the last byte of the
 * ring is kept for the line's end. */
static bool input_room(const struct pty *p, bool line_end)
{
	unsigned used = p->in_len + p->edit_len;

	return line_end ? used < PTY_BUF : used + 1 < PTY_BUF;
}

static void canonical_input(struct pty *p, uint8_t c)
{
	bool iext = p->t.c_lflag & IEXTEN;

	if (is_cc(p, c, VERASE))
		erase_one(p);
	else if (is_cc(p, c, VKILL))
		kill_line(p);
	else if (iext && is_cc(p, c, VWERASE))
		erase_word(p);
	else if (is_cc(p, c, VEOF))
		end_line(p, IN_EOF | c);
	else if (c == '\n' || is_cc(p, c, VEOL) || is_cc(p, c, VEOL2)) {
		if ((p->t.c_lflag & ECHO) || (c == '\n' && (p->t.c_lflag & ECHONL)))
			opost(p, c);
		end_line(p, IN_LINE_END | c);
	} else if (input_room(p, false)) {
		p->edit[p->edit_len++] = c;
		echo_char(p, c);
	}
}

/* Takes one byte from the master; false when it must wait for room
 * (non-canonical mode with a full queue). Returns the signal to raise in
 * *sig (0: none). */
static bool ldisc_input(struct pty *p, uint8_t c, int *sig)
{
	uint32_t i = p->t.c_iflag;

	if (i & ISTRIP)
		c &= 0x7f;
	if (c == '\r' && (i & IGNCR))
		return true;
	if (c == '\r' && (i & ICRNL))
		c = '\n';
	else if (c == '\n' && (i & INLCR))
		c = '\r';
	if ((*sig = isig_char(p, c))) {
		if (!(p->t.c_lflag & NOFLSH)) { /* both queues, as Linux */
			flush_input(p);
			p->out_head = p->out_len = 0;
		}
		echo_char(p, c);
		return true;
	}
	if (p->t.c_lflag & ICANON) {
		canonical_input(p, c);
		return true;
	}
	if (!input_room(p, true))
		return false;
	in_put(p, c);
	echo_char(p, c);
	return true;
}

/* ---- the signals (linux/ sends them) ---- */
/* Under pty_table_lock or the pty's lock: whether p is the controlling
 * terminal (the read is racy only against a concurrent TIOCSCTTY). */
static bool is_ctty(const struct pty *p)
{
	return __atomic_load_n(&ctty, __ATOMIC_RELAXED) == p;
}

static void raise_for(struct pty *p, int sig)
{
	if (sig && is_ctty(p))
		linux_tty_signal(sig);
}

/* ---- sleeping ---- */
static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

/* Waits for a change, or until deadline (0: none); 0 to look again. */
static int pty_wait(struct pty *p, struct file *f, uint64_t deadline)
{
	if (nonblocking(f))
		return -EAGAIN;
	return waitq_wait(&p->wq, &p->lock, deadline);
}

static void changed(struct pty *p)
{
	poll_notify(&p->wq, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

/* ---- the master ---- */
static int64_t master_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct pty *p = f->priv;
	uint8_t *dst = buf;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while (!p->out_len && !r) {
		if (p->slave_opened && !p->slaves)
			r = -EIO;
		else
			r = pty_wait(p, f, 0);
	}
	if (!r) {
		while (r < (int64_t)n && p->out_len) {
			dst[r++] = p->out[p->out_head];
			p->out_head = (p->out_head + 1) % PTY_BUF;
			p->out_len--;
		}
		changed(p);
	}
	mutex_unlock(&p->lock);
	return r;
}

static int64_t master_write(struct file *f, const void *buf, size_t n,
			    int64_t *pos)
{
	struct pty *p = f->priv;
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0, sig = 0;

	mutex_lock(&p->lock);
	while (done < n && !err) {
		if (ldisc_input(p, src[done], &sig)) {
			done++;
		} else {
			changed(p);
			err = pty_wait(p, f, 0);
		}
		if (sig) {
			mutex_unlock(&p->lock);
			raise_for(p, sig);
			mutex_lock(&p->lock);
			sig = 0;
		}
	}
	changed(p);
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : err;
}

/* ---- the slave ---- */
/* Canonical: a whole line (its end included unless it is VEOF). */
static int64_t read_line(struct pty *p, uint8_t *dst, size_t n)
{
	int64_t r = 0;

	while ((size_t)r < n && p->in_len) {
		uint16_t v = in_take(p);

		if (!(v & IN_EOF))
			dst[r++] = (uint8_t)v;
		if (v & (IN_LINE_END | IN_EOF))
			break;
	}
	return r;
}

static int64_t read_raw(struct pty *p, uint8_t *dst, size_t n)
{
	int64_t r = 0;

	while ((size_t)r < n && p->in_len)
		dst[r++] = (uint8_t)in_take(p);
	return r;
}

/* Non-canonical: whether a read of n may return now (VMIN), given the
 * inter-byte or read timer (VTIME) ran out or not. */
static bool raw_ready(const struct pty *p, size_t n, bool timed_out)
{
	unsigned min = p->t.c_cc[VMIN];

	if (!min)
		return p->in_len || timed_out || !p->t.c_cc[VTIME];
	return p->in_len >= MIN(min, n) || (p->in_len && timed_out);
}

static uint64_t vtime_deadline(const struct pty *p)
{
	unsigned tenths = p->t.c_cc[VTIME];

	return tenths ? clock_monotonic_ns() + tenths * 100000000ull : 0;
}

static bool slave_readable(const struct pty *p, size_t n, bool timed_out)
{
	if (p->t.c_lflag & ICANON)
		return p->in_lines;
	return raw_ready(p, n, timed_out);
}

static int64_t slave_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct pty *p = f->priv;
	bool timed_out = false;
	unsigned seen;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	uint64_t deadline = vtime_deadline(p);
	seen = p->in_len;
	while (p->master_open && !slave_readable(p, n, timed_out)) {
		r = pty_wait(p, f, p->t.c_cc[VMIN] && !p->in_len ? 0 : deadline);
		if (r == -ETIMEDOUT)
			timed_out = true;
		else if (r)
			goto out;
		if (p->in_len != seen) { /* VTIME times the gap between bytes */
			seen = p->in_len;
			deadline = vtime_deadline(p);
		}
		r = 0;
	}
	if (p->master_open) { /* hung up: end of file */
		r = p->t.c_lflag & ICANON ? read_line(p, buf, n)
					  : read_raw(p, buf, n);
		changed(p);
	}
out:
	mutex_unlock(&p->lock);
	return r;
}

static int64_t slave_write(struct file *f, const void *buf, size_t n,
			   int64_t *pos)
{
	struct pty *p = f->priv;
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0;

	mutex_lock(&p->lock);
	while (done < n && !err) {
		if (!p->master_open) {
			err = -EIO;
		} else if (opost(p, src[done])) {
			done++;
		} else {
			changed(p);
			err = pty_wait(p, f, 0);
		}
	}
	changed(p);
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : err;
}

/* ---- polling ---- */
static unsigned master_poll(struct file *f, struct poll_table *pt)
{
	struct pty *p = f->priv;
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (p->out_len)
		mask |= POLLIN | POLLRDNORM;
	if (p->slave_opened && !p->slaves)
		mask |= POLLHUP;
	if (input_room(p, true))
		mask |= POLLOUT | POLLWRNORM;
	mutex_unlock(&p->lock);
	return mask;
}

static unsigned slave_poll(struct file *f, struct poll_table *pt)
{
	struct pty *p = f->priv;
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (p->t.c_lflag & ICANON ? p->in_lines : p->in_len)
		mask |= POLLIN | POLLRDNORM;
	if (!p->master_open)
		mask |= POLLHUP | POLLIN | POLLRDNORM;
	else if (p->out_len + 2 <= PTY_BUF)
		mask |= POLLOUT | POLLWRNORM;
	mutex_unlock(&p->lock);
	return mask;
}

/* ---- ioctls ---- */
static int set_termios(struct pty *p, unsigned long cmd, const void *arg)
{
	bool was_canon = p->t.c_lflag & ICANON;

	memcpy(&p->t, arg, sizeof(p->t));
	if (cmd == TCSETSF)
		flush_input(p);
	/* Leaving canonical mode makes the line being edited readable. */
	if (was_canon && !(p->t.c_lflag & ICANON)) {
		for (unsigned i = 0; i < p->edit_len; i++)
			in_put(p, p->edit[i]);
		p->edit_len = 0;
	}
	changed(p);
	return 0;
}

static int set_winsize(struct pty *p, const void *arg)
{
	bool same = !memcmp(&p->ws, arg, sizeof(p->ws));

	memcpy(&p->ws, arg, sizeof(p->ws));
	return same ? 0 : SIGWINCH;
}

static int flush(struct pty *p, unsigned long which)
{
	if (which > TCIOFLUSH)
		return -EINVAL;
	if (which != TCOFLUSH)
		flush_input(p);
	if (which != TCIFLUSH)
		p->out_head = p->out_len = 0;
	changed(p);
	return 0;
}

/* Bytes a read could take now (FIONREAD/TIOCINQ). */
static int readable_bytes(const struct pty *p)
{
	if (!(p->t.c_lflag & ICANON))
		return (int)p->in_len;
	unsigned n = 0, upto = 0;
	for (unsigned i = 0; i < p->in_len; i++) {
		uint16_t v = p->in[(p->in_head + i) % PTY_BUF];

		n += !(v & IN_EOF);
		if (v & (IN_LINE_END | IN_EOF))
			upto = n;
	}
	return (int)upto;
}

/* The ioctls both ends answer, under p->lock; *sig: a signal to raise. */
static int common_ioctl(struct pty *p, unsigned long cmd, void *arg,
			int *sig)
{
	switch (cmd) {
	case TCGETS:
		memcpy(arg, &p->t, sizeof(p->t));
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(p, cmd, arg);
	case TIOCGWINSZ:
		memcpy(arg, &p->ws, sizeof(p->ws));
		return 0;
	case TIOCSWINSZ:
		*sig = set_winsize(p, arg);
		return 0;
	case TCFLSH:
		return flush(p, (unsigned long)arg);
	case TCSBRK:
	case TCSBRKP:
	case TCXONC:
		return 0; /* nothing is slow to drain, nothing stops */
	}
	return -ENOTTY;
}

static int pty_ioctl(struct pty *p, unsigned long cmd, void *arg,
		     bool master)
{
	int sig = 0, r = 0;

	mutex_lock(&p->lock);
	if (cmd == FIONREAD)
		*(int *)arg = master ? (int)p->out_len : readable_bytes(p);
	else if (cmd == TIOCOUTQ)
		*(int *)arg = master ? 0 : (int)p->out_len;
	else
		r = common_ioctl(p, cmd, arg, &sig);
	mutex_unlock(&p->lock);
	raise_for(p, sig);
	return r;
}

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
		mutex_lock(&p->lock);
		if (cmd == TIOCSPTLCK)
			p->locked = *(int *)arg != 0;
		else
			*(int *)arg = p->locked;
		mutex_unlock(&p->lock);
		return 0;
	case TIOCGPTPEER:
		return open_peer(p, (unsigned long)arg);
	}
	return pty_ioctl(p, cmd, arg, true);
}

/* TIOCSCTTY: the process takes p as its controlling terminal. */
static int take_ctty(struct pty *p)
{
	int r = 0;

	mutex_lock(&pty_table_lock);
	if (ctty && ctty != p)
		r = -EPERM; /* it has one already */
	else
		__atomic_store_n(&ctty, p, __ATOMIC_RELAXED);
	mutex_unlock(&pty_table_lock);
	return r;
}

static void drop_ctty(struct pty *p)
{
	mutex_lock(&pty_table_lock);
	if (ctty == p)
		__atomic_store_n(&ctty, NULL, __ATOMIC_RELAXED);
	mutex_unlock(&pty_table_lock);
}

static int slave_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct pty *p = f->priv;

	switch (cmd) {
	case TIOCSCTTY:
		return take_ctty(p);
	case TIOCNOTTY:
		if (!is_ctty(p))
			return -ENOTTY;
		drop_ctty(p);
		return 0;
	case TIOCGPGRP:
	case TIOCGSID:
		if (!is_ctty(p))
			return -ENOTTY;
		*(int *)arg = linux_tty_pgrp();
		return 0;
	case TIOCSPGRP:
		if (!is_ctty(p))
			return -ENOTTY;
		return *(int *)arg == linux_tty_pgrp() ? 0 : -EPERM;
	}
	return pty_ioctl(p, cmd, arg, false);
}

/* ---- opening and closing ---- */
static void pty_put(struct pty *p)
{
	bool last;

	mutex_lock(&pty_table_lock);
	last = --p->refs == 0;
	if (last) {
		ptys[p->index] = NULL;
		if (ctty == p)
			__atomic_store_n(&ctty, NULL, __ATOMIC_RELAXED);
	}
	mutex_unlock(&pty_table_lock);
	if (last)
		free(p);
}

static void master_release(struct file *f)
{
	struct pty *p = f->priv;
	char path[32];

	if (!p)
		return;
	mutex_lock(&p->lock);
	p->master_open = false;
	changed(p);
	poll_notify(&p->wq, POLLHUP);
	mutex_unlock(&p->lock);
	snprintf(path, sizeof(path), "/dev/pts/%u", p->index);
	vfs_unlinkat(NULL, path, 0);
	if (is_ctty(p)) { /* a hang-up of the controlling terminal */
		drop_ctty(p);
		linux_tty_signal(SIGHUP);
		linux_tty_signal(SIGCONT);
	}
	pty_put(p);
}

static void slave_release(struct file *f)
{
	struct pty *p = f->priv;

	if (!p)
		return;
	mutex_lock(&p->lock);
	p->slaves--;
	changed(p);
	poll_notify(&p->wq, POLLHUP);
	mutex_unlock(&p->lock);
	pty_put(p);
}

static struct pty *pty_new(void)
{
	struct pty *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	p->t = (struct termios_k)TTY_STD_TERMIOS;
	p->locked = true;
	p->master_open = true;
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
		mutex_lock(&p->lock);
		if (!p->locked && p->master_open) {
			err = 0;
			p->slaves++;
			p->slave_opened = true;
			p->refs++;
		}
		mutex_unlock(&p->lock);
	}
	if (!err && !ctty && !(flags & O_NOCTTY))
		__atomic_store_n(&ctty, p, __ATOMIC_RELAXED);
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
