/*
 * The line discipline (POSIX's General Terminal Interface, Linux's N_TTY)
 * that every Osprey terminal runs: the pseudo-terminals (fs/pty.c) and
 * the console terminal (drivers/virtio/console.c). See fs/tty.h for the
 * two sides of a terminal.
 *   input  (tty_input -> the program's read): ISTRIP, INLCR, IGNCR,
 *          ICRNL; with ISIG the VINTR, VQUIT and VSUSP characters become
 *          SIGINT, SIGQUIT and SIGTSTP for the terminal's foreground
 *          process group (both queues flushed unless NOFLSH); with ICANON
 *          a line is edited (VERASE, VKILL, and VWERASE with IEXTEN) and
 *          becomes readable whole at a newline, VEOL, VEOL2 or VEOF
 *          (which ends the line without being read: alone, it reads as
 *          end of file); without ICANON bytes are readable at once, as
 *          VMIN and VTIME say. ECHO (with ECHOE, ECHOK, ECHOKE, ECHOCTL)
 *          and ECHONL write back to the screen.
 *   output (the program's write -> tty_output): OPOST with ONLCR and
 *          OCRNL.
 * Each direction is a ring of TTY_BUF bytes. A full input queue makes
 * tty_input wait (in canonical mode the line being edited drops what
 * does not fit, keeping room for its end, as Linux); a full output queue
 * makes the program's writes wait; echoes that do not fit are lost.
 *
 * The controlling terminal: the process (Osprey's one session, whose
 * leader it is) gets a terminal as its controlling terminal when it
 * opens it without O_NOCTTY and has none, or through TIOCSCTTY; only
 * then do the ISIG characters and window changes signal it (Linux
 * signals the foreground group of the terminal's session, and a
 * terminal of no session signals nobody).
 *
 * Locks: a terminal's lock guards all its state; both sides and everyone
 * polling wait on its one waitq, notified after every change. The
 * controlling terminal is under ctty_lock, taken before a terminal's
 * lock, never after; signals are raised with neither held.
 */
#include "fs/tty.h"

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

static struct mutex ctty_lock = MUTEX_INIT;
static struct tty *ctty; /* the controlling terminal; under ctty_lock */

void tty_init(struct tty *p, unsigned rows, unsigned cols)
{
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	p->tio = (struct termios_k)TTY_STD_TERMIOS;
	p->ws = (struct winsize_k){(uint16_t)rows, (uint16_t)cols, 0, 0};
}

/* ---- the queues (under the terminal's lock) ---- */
static void in_put(struct tty *p, uint16_t v)
{
	p->in[(p->in_head + p->in_len++) % TTY_BUF] = v;
	if (v & (IN_LINE_END | IN_EOF))
		p->in_lines++;
}

static uint16_t in_take(struct tty *p)
{
	uint16_t v = p->in[p->in_head];

	p->in_head = (p->in_head + 1) % TTY_BUF;
	p->in_len--;
	if (v & (IN_LINE_END | IN_EOF))
		p->in_lines--;
	return v;
}

/* One byte for the screen; false when there is no room. */
static bool out_put(struct tty *p, uint8_t c)
{
	if (p->out_len == TTY_BUF)
		return false;
	p->out[(p->out_head + p->out_len++) % TTY_BUF] = c;
	return true;
}

/* Output processing (OPOST); false when there was no room for all. */
static bool opost(struct tty *p, uint8_t c)
{
	uint32_t o = p->tio.c_oflag;

	if ((o & OPOST) && c == '\n' && (o & ONLCR))
		return p->out_len + 2 <= TTY_BUF && out_put(p, '\r') &&
		       out_put(p, '\n');
	if ((o & OPOST) && c == '\r' && (o & OCRNL))
		c = '\n';
	return out_put(p, c);
}

static void flush_input(struct tty *p)
{
	p->in_head = p->in_len = p->in_lines = p->edit_len = 0;
}

/* ---- echo ---- */
static bool is_ctl(uint8_t c)
{
	return (c < 32 && c != '\t' && c != '\n') || c == 0177;
}

static void echo_char(struct tty *p, uint8_t c)
{
	if (!(p->tio.c_lflag & ECHO))
		return;
	if ((p->tio.c_lflag & ECHOCTL) && is_ctl(c)) {
		out_put(p, '^');
		out_put(p, c == 0177 ? '?' : c + '@');
	} else {
		opost(p, c);
	}
}

static void echo_erase(struct tty *p, uint8_t c)
{
	unsigned n = (p->tio.c_lflag & ECHOCTL) && is_ctl(c) ? 2 : 1;

	if (!(p->tio.c_lflag & ECHO))
		return;
	if (!(p->tio.c_lflag & ECHOE)) {
		echo_char(p, p->tio.c_cc[VERASE]);
		return;
	}
	while (n--) {
		out_put(p, '\b');
		out_put(p, ' ');
		out_put(p, '\b');
	}
}

/* ---- the line discipline's input ---- */
static bool is_cc(const struct tty *p, uint8_t c, unsigned which)
{
	return p->tio.c_cc[which] && c == p->tio.c_cc[which]; /* 0: off */
}

/* The signal this byte stands for, or 0. */
static int isig_char(struct tty *p, uint8_t c)
{
	if (!(p->tio.c_lflag & ISIG))
		return 0;
	if (is_cc(p, c, VINTR))
		return SIGINT;
	if (is_cc(p, c, VQUIT))
		return SIGQUIT;
	if (is_cc(p, c, VSUSP))
		return SIGTSTP;
	return 0;
}

static void erase_one(struct tty *p)
{
	if (p->edit_len)
		echo_erase(p, p->edit[--p->edit_len]);
}

static void erase_word(struct tty *p)
{
	while (p->edit_len && p->edit[p->edit_len - 1] == ' ')
		erase_one(p);
	while (p->edit_len && p->edit[p->edit_len - 1] != ' ')
		erase_one(p);
}

static void kill_line(struct tty *p)
{
	uint8_t c = p->tio.c_cc[VKILL];

	if (p->tio.c_lflag & ECHOKE) {
		while (p->edit_len)
			erase_one(p);
		return;
	}
	echo_char(p, c);
	if (p->tio.c_lflag & ECHOK)
		opost(p, '\n');
	p->edit_len = 0;
}

/* The line being edited becomes readable, ended by `end`. */
static void end_line(struct tty *p, uint16_t end)
{
	for (unsigned i = 0; i < p->edit_len; i++)
		in_put(p, p->edit[i]);
	p->edit_len = 0;
	in_put(p, end);
}

/* Room for one more input byte: in canonical mode the last byte of the
 * ring is kept for the line's end. */
static bool input_room(const struct tty *p, bool line_end)
{
	unsigned used = p->in_len + p->edit_len;

	return line_end ? used < TTY_BUF : used + 1 < TTY_BUF;
}

static void canonical_input(struct tty *p, uint8_t c)
{
	bool iext = p->tio.c_lflag & IEXTEN;

	if (is_cc(p, c, VERASE))
		erase_one(p);
	else if (is_cc(p, c, VKILL))
		kill_line(p);
	else if (iext && is_cc(p, c, VWERASE))
		erase_word(p);
	else if (is_cc(p, c, VEOF))
		end_line(p, IN_EOF | c);
	else if (c == '\n' || is_cc(p, c, VEOL) || is_cc(p, c, VEOL2)) {
		if ((p->tio.c_lflag & ECHO) ||
		    (c == '\n' && (p->tio.c_lflag & ECHONL)))
			opost(p, c);
		end_line(p, IN_LINE_END | c);
	} else if (input_room(p, false)) {
		p->edit[p->edit_len++] = c;
		echo_char(p, c);
	}
}

/* Takes one keyboard byte; false when it must wait for room
 * (non-canonical mode with a full queue). The signal to raise goes in
 * *sig (0: none). */
static bool ldisc_input(struct tty *p, uint8_t c, int *sig)
{
	uint32_t i = p->tio.c_iflag;

	if (i & ISTRIP)
		c &= 0x7f;
	if (c == '\r' && (i & IGNCR))
		return true;
	if (c == '\r' && (i & ICRNL))
		c = '\n';
	else if (c == '\n' && (i & INLCR))
		c = '\r';
	if ((*sig = isig_char(p, c))) {
		if (!(p->tio.c_lflag & NOFLSH)) { /* both queues, as Linux */
			flush_input(p);
			p->out_head = p->out_len = 0;
		}
		echo_char(p, c);
		return true;
	}
	if (p->tio.c_lflag & ICANON) {
		canonical_input(p, c);
		return true;
	}
	if (!input_room(p, true))
		return false;
	in_put(p, c);
	echo_char(p, c);
	return true;
}

/* ---- the controlling terminal and its signals ---- */
/* Whether p is the controlling terminal (the read is racy only against
 * a concurrent TIOCSCTTY or open). */
static bool is_ctty(const struct tty *p)
{
	return __atomic_load_n(&ctty, __ATOMIC_RELAXED) == p;
}

static void raise_for(struct tty *p, int sig)
{
	if (sig && is_ctty(p))
		linux_tty_signal(sig);
}

void tty_open_ctty(struct tty *p, int flags)
{
	mutex_lock(&ctty_lock);
	if (!ctty && !(flags & O_NOCTTY))
		__atomic_store_n(&ctty, p, __ATOMIC_RELAXED);
	mutex_unlock(&ctty_lock);
}

/* TIOCSCTTY: the process takes p as its controlling terminal. */
static int take_ctty(struct tty *p)
{
	int r = 0;

	mutex_lock(&ctty_lock);
	if (ctty && ctty != p)
		r = -EPERM; /* it has one already */
	else
		__atomic_store_n(&ctty, p, __ATOMIC_RELAXED);
	mutex_unlock(&ctty_lock);
	return r;
}

/* Whether p was the controlling terminal (and now is not). */
static bool drop_ctty(struct tty *p)
{
	bool was;

	mutex_lock(&ctty_lock);
	was = ctty == p;
	if (was)
		__atomic_store_n(&ctty, NULL, __ATOMIC_RELAXED);
	mutex_unlock(&ctty_lock);
	return was;
}

void tty_forget(struct tty *p)
{
	drop_ctty(p);
}

/* ---- sleeping ---- */
static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

/* Waits for a change, or until deadline (0: none); 0 to look again. */
static int tty_wait(struct tty *p, bool nonblock, uint64_t deadline)
{
	if (nonblock)
		return -EAGAIN;
	return waitq_wait(&p->wq, &p->lock, deadline);
}

void tty_changed(struct tty *p)
{
	poll_notify(&p->wq, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

/* ---- the other side ---- */
int64_t tty_output(struct tty *p, void *buf, size_t n, bool nonblock)
{
	uint8_t *dst = buf;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while (!p->out_len && !r)
		r = p->peer_gone ? -EIO : tty_wait(p, nonblock, 0);
	if (!r) {
		while (r < (int64_t)n && p->out_len) {
			dst[r++] = p->out[p->out_head];
			p->out_head = (p->out_head + 1) % TTY_BUF;
			p->out_len--;
		}
		tty_changed(p);
	}
	mutex_unlock(&p->lock);
	return r;
}

int64_t tty_input(struct tty *p, const void *buf, size_t n, bool nonblock)
{
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0, sig = 0;

	mutex_lock(&p->lock);
	while (done < n && !err) {
		if (ldisc_input(p, src[done], &sig)) {
			done++;
		} else {
			tty_changed(p);
			err = tty_wait(p, nonblock, 0);
		}
		if (sig) {
			mutex_unlock(&p->lock);
			raise_for(p, sig);
			mutex_lock(&p->lock);
			sig = 0;
		}
	}
	tty_changed(p);
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : err;
}

unsigned tty_output_poll(struct tty *p, struct file *f, struct poll_table *pt)
{
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (p->out_len)
		mask |= POLLIN | POLLRDNORM;
	if (p->peer_gone)
		mask |= POLLHUP;
	if (input_room(p, true))
		mask |= POLLOUT | POLLWRNORM;
	mutex_unlock(&p->lock);
	return mask;
}

void tty_hangup(struct tty *p)
{
	mutex_lock(&p->lock);
	p->hung_up = true;
	tty_changed(p);
	poll_notify(&p->wq, POLLHUP);
	mutex_unlock(&p->lock);
	if (drop_ctty(p)) { /* a hang-up of the controlling terminal */
		linux_tty_signal(SIGHUP);
		linux_tty_signal(SIGCONT);
	}
}

static int set_winsize(struct tty *p, const struct winsize_k *ws)
{
	bool same = !memcmp(&p->ws, ws, sizeof(p->ws));

	memcpy(&p->ws, ws, sizeof(p->ws));
	return same ? 0 : SIGWINCH;
}

void tty_resize(struct tty *p, const struct winsize_k *ws)
{
	int sig;

	mutex_lock(&p->lock);
	sig = set_winsize(p, ws);
	mutex_unlock(&p->lock);
	raise_for(p, sig);
}

/* ---- the program's side ---- */
/* Canonical: a whole line (its end included unless it is VEOF). */
static int64_t read_line(struct tty *p, uint8_t *dst, size_t n)
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

static int64_t read_raw(struct tty *p, uint8_t *dst, size_t n)
{
	int64_t r = 0;

	while ((size_t)r < n && p->in_len)
		dst[r++] = (uint8_t)in_take(p);
	return r;
}

/* Non-canonical: whether a read of n may return now (VMIN), given the
 * inter-byte or read timer (VTIME) ran out or not. */
static bool raw_ready(const struct tty *p, size_t n, bool timed_out)
{
	unsigned min = p->tio.c_cc[VMIN];

	if (!min)
		return p->in_len || timed_out || !p->tio.c_cc[VTIME];
	return p->in_len >= MIN(min, n) || (p->in_len && timed_out);
}

static uint64_t vtime_deadline(const struct tty *p)
{
	unsigned tenths = p->tio.c_cc[VTIME];

	return tenths ? clock_monotonic_ns() + tenths * 100000000ull : 0;
}

static bool readable(const struct tty *p, size_t n, bool timed_out)
{
	if (p->tio.c_lflag & ICANON)
		return p->in_lines;
	return raw_ready(p, n, timed_out);
}

int64_t tty_read(struct tty *p, struct file *f, void *buf, size_t n)
{
	bool timed_out = false;
	unsigned seen;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	uint64_t deadline = vtime_deadline(p);
	seen = p->in_len;
	while (!p->hung_up && !readable(p, n, timed_out)) {
		r = tty_wait(p, nonblocking(f),
			     p->tio.c_cc[VMIN] && !p->in_len ? 0 : deadline);
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
	if (!p->hung_up) { /* hung up: end of file */
		r = p->tio.c_lflag & ICANON ? read_line(p, buf, n)
					    : read_raw(p, buf, n);
		tty_changed(p);
	}
out:
	mutex_unlock(&p->lock);
	return r;
}

int64_t tty_write(struct tty *p, struct file *f, const void *buf, size_t n)
{
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0;

	mutex_lock(&p->lock);
	while (done < n && !err) {
		if (p->hung_up) {
			err = -EIO;
		} else if (opost(p, src[done])) {
			done++;
		} else {
			tty_changed(p);
			err = tty_wait(p, nonblocking(f), 0);
		}
	}
	tty_changed(p);
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : err;
}

unsigned tty_poll(struct tty *p, struct file *f, struct poll_table *pt)
{
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (p->tio.c_lflag & ICANON ? p->in_lines : p->in_len)
		mask |= POLLIN | POLLRDNORM;
	if (p->hung_up)
		mask |= POLLHUP | POLLIN | POLLRDNORM;
	else if (p->out_len + 2 <= TTY_BUF)
		mask |= POLLOUT | POLLWRNORM;
	mutex_unlock(&p->lock);
	return mask;
}

/* ---- ioctls ---- */
static int set_termios(struct tty *p, unsigned long cmd, const void *arg)
{
	bool was_canon = p->tio.c_lflag & ICANON;

	memcpy(&p->tio, arg, sizeof(p->tio));
	if (cmd == TCSETSF)
		flush_input(p);
	/* Leaving canonical mode makes the line being edited readable. */
	if (was_canon && !(p->tio.c_lflag & ICANON)) {
		for (unsigned i = 0; i < p->edit_len; i++)
			in_put(p, p->edit[i]);
		p->edit_len = 0;
	}
	tty_changed(p);
	return 0;
}

static int flush(struct tty *p, unsigned long which)
{
	if (which > TCIOFLUSH)
		return -EINVAL;
	if (which != TCOFLUSH)
		flush_input(p);
	if (which != TCIFLUSH)
		p->out_head = p->out_len = 0;
	tty_changed(p);
	return 0;
}

/* Bytes a read could take now (FIONREAD/TIOCINQ). */
static int readable_bytes(const struct tty *p)
{
	if (!(p->tio.c_lflag & ICANON))
		return (int)p->in_len;
	unsigned n = 0, upto = 0;
	for (unsigned i = 0; i < p->in_len; i++) {
		uint16_t v = p->in[(p->in_head + i) % TTY_BUF];

		n += !(v & IN_EOF);
		if (v & (IN_LINE_END | IN_EOF))
			upto = n;
	}
	return (int)upto;
}

/* The ioctls both sides answer, under p->lock; *sig: a signal to raise. */
static int common_ioctl(struct tty *p, unsigned long cmd, void *arg,
			int *sig)
{
	switch (cmd) {
	case TCGETS:
		memcpy(arg, &p->tio, sizeof(p->tio));
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

static int either_ioctl(struct tty *p, unsigned long cmd, void *arg,
			bool program)
{
	int sig = 0, r = 0;

	mutex_lock(&p->lock);
	if (cmd == FIONREAD)
		*(int *)arg = program ? readable_bytes(p) : (int)p->out_len;
	else if (cmd == TIOCOUTQ)
		*(int *)arg = program ? (int)p->out_len : 0;
	else
		r = common_ioctl(p, cmd, arg, &sig);
	mutex_unlock(&p->lock);
	raise_for(p, sig);
	return r;
}

int tty_output_ioctl(struct tty *p, unsigned long cmd, void *arg)
{
	return either_ioctl(p, cmd, arg, false);
}

int tty_ioctl(struct tty *p, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case TIOCSCTTY:
		return take_ctty(p);
	case TIOCNOTTY:
		return drop_ctty(p) ? 0 : -ENOTTY;
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
	return either_ioctl(p, cmd, arg, true);
}
