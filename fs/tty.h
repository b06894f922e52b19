/*
 * A terminal's line discipline (fs/tty.c): what the pseudo-terminals
 * (fs/pty.c) and the console terminal (drivers/virtio/console.c) share.
 *
 * A terminal has two sides. The program's side is a file (/dev/pts/N,
 * /dev/hvc0) that reads the keyboard through the line discipline and
 * writes the screen through its output processing; tty_read, tty_write,
 * tty_poll and tty_ioctl are that file's operations. The other side
 * (a pty's master, or the console driver's threads that copy to and
 * from the host) feeds the keyboard with tty_input and takes what is
 * for the screen with tty_output.
 *
 * Ownership: the struct belongs to whoever embeds it (struct pty, the
 * console); its fields below the lock are under that lock, and everyone
 * sleeping on the terminal waits on its one waitq.
 */
#ifndef FS_TTY_H
#define FS_TTY_H

#include "fs/fs_private.h"
#include "fs/poll.h"
#include "kernel/sched/sched.h"

#define TTY_BUF 4096 /* per direction, as Linux's N_TTY_BUF_SIZE */

struct tty {
	struct mutex lock;
	struct waitq wq; /* both sides and their pollers */
	/* under lock */
	struct termios_k tio;
	struct winsize_k ws;
	uint16_t in[TTY_BUF]; /* for the program to read, with flags */
	unsigned in_head, in_len;
	unsigned in_lines;	/* line ends in `in` (canonical reads) */
	uint8_t edit[TTY_BUF]; /* ICANON: the line being edited */
	unsigned edit_len;
	uint8_t out[TTY_BUF]; /* for the other side to take */
	unsigned out_head, out_len;
	bool hung_up;	/* the other side is gone: reads end, writes EIO */
	bool peer_gone; /* the program's side is gone: tty_output EIO */
};

/* A new terminal with Linux's default settings and the given size. */
void tty_init(struct tty *tty, unsigned rows, unsigned cols);

/* ---- the other side (a pty's master, the console's driver) ---- */
/* The keyboard: n bytes through the line discipline (signals raised);
 * waits for room unless nonblocking. Bytes taken, or -EAGAIN, -EINTR. */
int64_t tty_input(struct tty *tty, const void *buf, size_t n,
		  bool nonblocking);
/* What is for the screen: up to n bytes, waiting for some unless
 * nonblocking; -EIO once peer_gone and nothing is left. */
int64_t tty_output(struct tty *tty, void *buf, size_t n, bool nonblocking);
/* Poll mask and ioctls of the other side (FIONREAD: output waiting). */
unsigned tty_output_poll(struct tty *tty, struct file *f,
			 struct poll_table *pt);
int tty_output_ioctl(struct tty *tty, unsigned long cmd, void *arg);
/* The other side is gone: the program reads end of file, and a
 * controlling terminal gets SIGHUP and SIGCONT, as Linux. */
void tty_hangup(struct tty *tty);
/* The window's size changed (a console resize): SIGWINCH if it did. */
void tty_resize(struct tty *tty, const struct winsize_k *ws);
/* Wakes everyone waiting after the embedder changed its own state. */
void tty_changed(struct tty *tty);

/* ---- the program's side (file operations, f->priv is not used) ---- */
int64_t tty_read(struct tty *tty, struct file *f, void *buf, size_t n);
int64_t tty_write(struct tty *tty, struct file *f, const void *buf,
		  size_t n);
unsigned tty_poll(struct tty *tty, struct file *f, struct poll_table *pt);
int tty_ioctl(struct tty *tty, unsigned long cmd, void *arg);

/* ---- the controlling terminal (Osprey's one session) ---- */
/* At an open without O_NOCTTY: tty becomes the controlling terminal
 * if the process has none. */
void tty_open_ctty(struct tty *tty, int flags);
/* tty is going away: it is no longer the controlling terminal. */
void tty_forget(struct tty *tty);

#endif
