/*
 * Pseudo-terminals (issue 14, item 5): posix_openpt, grantpt, unlockpt,
 * ptsname, openpty, and the line discipline between master and slave:
 * canonical lines with editing and VEOF, echo, output processing,
 * non-canonical VMIN/VTIME, window sizes, hang-ups; and, when the
 * process can take the pty as its controlling terminal (a session leader
 * without one: Osprey's process, or this test under run-host.sh after
 * setsid), the signals of ISIG characters, window changes and hang-up.
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

static volatile sig_atomic_t got_int, got_winch, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int++;
	else if (sig == SIGWINCH)
		got_winch++;
	else if (sig == SIGHUP)
		got_hup++;
}

/* A master and its unlocked slave (O_NOCTTY unless ctty). */
static int open_pair(int *master, int *slave, bool ctty)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0)
		return -1;
	if (grantpt(*master) || unlockpt(*master))
		return -1;
	*slave = open(ptsname(*master), O_RDWR | (ctty ? 0 : O_NOCTTY));
	return *slave < 0 ? -1 : 0;
}

/*
 * Linux moves what the master writes to the slave's side, and the echo
 * back, in a work item after write returns: whatever a test expects to
 * appear is waited for (up to 2 s), and what must not appear is given
 * 50 ms to show up anyway.
 */
static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Reads what the master has, waiting until `want` bytes came (or 2 s;
 * want 0: 50 ms), NUL-terminated. */
static int drain(int fd, char *buf, size_t size, int want)
{
	int n = 0, r;

	while ((size_t)n < size - 1 && readable(fd, want ? 2000 : 50)) {
		r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += r;
		if (want && n >= want)
			break;
	}
	buf[n] = 0;
	return n;
}

static void open_lock_and_names(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	struct stat st;
	unsigned n;

	if (!CHECK(m >= 0))
		return;
	CHECK_EQ_INT(grantpt(m), 0);
	const char *name = ptsname(m);
	if (!CHECK(name != NULL))
		return;
	CHECK(strncmp(name, "/dev/pts/", 9) == 0);
	CHECK_EQ_INT(ioctl(m, TIOCGPTN, &n), 0);
	CHECK_EQ_INT(atoi(name + 9), (int)n);
	CHECK_ERRNO(open(name, O_RDWR | O_NOCTTY), EIO); /* still locked */
	CHECK_EQ_INT(unlockpt(m), 0);
	s = open(name, O_RDWR | O_NOCTTY);
	if (!CHECK(s >= 0))
		return;
	CHECK(isatty(m));
	CHECK(isatty(s));
	CHECK_EQ_INT(stat(name, &st), 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ_INT(major(st.st_rdev), 136);
	CHECK_EQ_INT(minor(st.st_rdev), (int)n);
	CHECK_EQ_INT(fstat(s, &st), 0);
	CHECK_EQ_INT(major(st.st_rdev), 136);
	close(s);
	close(m);
	CHECK_ERRNO(stat(name, &st), ENOENT); /* gone with its master */
}

static void canonical_lines_and_echo(void)
{
	int m, s;
	char buf[64];

	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	CHECK_EQ_INT(write(m, "abc\n", 4), 4);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 4);
	CHECK_EQ_MEM(buf, "abc\n", 4);
	CHECK_EQ_INT(drain(m, buf, sizeof(buf), 5), 5); /* the echo, ONLCR */
	CHECK_EQ_STR(buf, "abc\r\n");
	/* A line is not readable until it ends. */
	CHECK_EQ_INT(write(m, "xy", 2), 2);
	CHECK(!readable(s, 50));
	CHECK_EQ_INT(write(m, "\r", 1), 1); /* ICRNL */
	CHECK(readable(s, 2000));
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 3);
	CHECK_EQ_MEM(buf, "xy\n", 3);
	/* Two lines: one read takes one. */
	CHECK_EQ_INT(write(m, "1\n2\n", 4), 4);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 2);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 2);
	CHECK_EQ_MEM(buf, "2\n", 2);
	drain(m, buf, sizeof(buf), 0);
	close(s);
	close(m);
}

static void editing_and_eof(void)
{
	int m, s, n;
	char buf[64];

	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	CHECK_EQ_INT(write(m, "ab\177c\n", 5), 5); /* VERASE */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 3);
	CHECK_EQ_MEM(buf, "ac\n", 3);
	CHECK_EQ_INT(write(m, "junk\025ok\n", 8), 8); /* VKILL */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 3);
	CHECK_EQ_MEM(buf, "ok\n", 3);
	CHECK_EQ_INT(write(m, "one two\027three\n", 14), 14); /* VWERASE */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 10);
	CHECK_EQ_MEM(buf, "one three\n", 10);
	CHECK_EQ_INT(write(m, "hi\004", 3), 3); /* VEOF ends the line */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 2);
	CHECK_EQ_MEM(buf, "hi", 2);
	CHECK_EQ_INT(write(m, "\004", 1), 1); /* alone: end of file */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(write(m, "z\n", 2), 2);
	CHECK(readable(s, 2000));
	CHECK_EQ_INT(ioctl(s, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(read(s, buf, 1), 1); /* a short read leaves the rest */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 1);
	CHECK_EQ_INT(buf[0], '\n');
	n = drain(m, buf, sizeof(buf), 0);
	CHECK(n > 0);
	CHECK(strstr(buf, "ab\b \bc") != NULL); /* ECHOE */
	close(s);
	close(m);
}

static void output_processing(void)
{
	int m, s;
	char buf[64];
	struct termios t;

	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	CHECK_EQ_INT(write(s, "x\n", 2), 2);
	CHECK_EQ_INT(read(m, buf, sizeof(buf)), 3);
	CHECK_EQ_MEM(buf, "x\r\n", 3);
	CHECK_EQ_INT(tcgetattr(s, &t), 0);
	t.c_oflag &= ~OPOST;
	CHECK_EQ_INT(tcsetattr(s, TCSANOW, &t), 0);
	CHECK_EQ_INT(write(s, "y\n", 2), 2);
	CHECK_EQ_INT(read(m, buf, sizeof(buf)), 2);
	CHECK_EQ_MEM(buf, "y\n", 2);
	close(s);
	close(m);
}

static void raw_mode_vmin_vtime(void)
{
	int m, s;
	char buf[64];
	struct termios t;

	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	CHECK_EQ_INT(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	t.c_cc[VMIN] = 2;
	t.c_cc[VTIME] = 0;
	CHECK_EQ_INT(tcsetattr(s, TCSANOW, &t), 0);
	CHECK_EQ_INT(write(m, "q\003", 2), 2); /* no ISIG: ^C is data */
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 2); /* VMIN: both */
	CHECK_EQ_MEM(buf, "q\003", 2);
	CHECK_EQ_INT(drain(m, buf, sizeof(buf), 0), 0); /* no echo */
	t.c_cc[VMIN] = 0;
	CHECK_EQ_INT(tcsetattr(s, TCSANOW, &t), 0);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 0); /* nothing: at once */
	t.c_cc[VTIME] = 1;
	CHECK_EQ_INT(tcsetattr(s, TCSANOW, &t), 0);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 0); /* after 0.1 s */
	CHECK_EQ_INT(fcntl(s, F_SETFL, O_NONBLOCK), 0);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	CHECK_EQ_INT(tcsetattr(s, TCSANOW, &t), 0);
	CHECK_ERRNO(read(s, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ_INT(tcflush(s, TCIOFLUSH), 0);
	close(s);
	close(m);
}

static void window_size_and_openpty(void)
{
	int m, s;
	struct winsize w = {.ws_row = 40, .ws_col = 132}, got;
	char name[64];

	if (!CHECK_EQ_INT(openpty(&m, &s, name, NULL, &w), 0))
		return;
	CHECK(strncmp(name, "/dev/pts/", 9) == 0);
	CHECK_EQ_INT(ioctl(s, TIOCGWINSZ, &got), 0);
	CHECK_EQ_INT(got.ws_row, 40);
	CHECK_EQ_INT(got.ws_col, 132);
	w.ws_row = 50;
	CHECK_EQ_INT(ioctl(m, TIOCSWINSZ, &w), 0);
	CHECK_EQ_INT(ioctl(s, TIOCGWINSZ, &got), 0);
	CHECK_EQ_INT(got.ws_row, 50);
	close(s);
	close(m);
}

static void hang_ups(void)
{
	int m, s;
	char buf[8];

	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	close(s);
	CHECK_ERRNO(read(m, buf, sizeof(buf)), EIO); /* the slave is gone */
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	CHECK(s >= 0);
	close(m);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 0); /* hung up */
	CHECK_ERRNO(write(s, "x", 1), EIO);
	close(s);
}

/* The controlling terminal's signals, where the process can take one. */
static void signals_of_the_controlling_terminal(void)
{
	int m, s;
	char buf[64];
	struct winsize w = {.ws_row = 10, .ws_col = 20};

	setsid(); /* EPERM where the process leads its session already */
	if (getsid(0) != getpid())
		return; /* not a session leader: nothing to check */
	if (!CHECK_EQ_INT(open_pair(&m, &s, false), 0))
		return;
	if (ioctl(s, TIOCSCTTY, 0) != 0) {
		close(s);
		close(m);
		return; /* it has a controlling terminal already */
	}
	signal(SIGINT, on_signal);
	signal(SIGWINCH, on_signal);
	signal(SIGHUP, on_signal);
	pid_t pg = 0;
	CHECK_EQ_INT(ioctl(s, TIOCGPGRP, &pg), 0);
	CHECK_EQ_INT(pg, getpgrp());
	CHECK_EQ_INT(write(m, "ab\003", 3), 3); /* VINTR */
	for (int i = 0; i < 100 && !got_int; i++)
		usleep(1000);
	CHECK_EQ_INT(got_int, 1);
	CHECK_EQ_INT(drain(m, buf, sizeof(buf), 2), 2);
	CHECK_EQ_STR(buf, "^C"); /* both queues flushed, then the echo */
	CHECK_EQ_INT(write(m, "c\n", 2), 2);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 2);
	CHECK_EQ_MEM(buf, "c\n", 2);
	CHECK_EQ_INT(ioctl(m, TIOCSWINSZ, &w), 0);
	for (int i = 0; i < 100 && !got_winch; i++)
		usleep(1000);
	CHECK_EQ_INT(got_winch, 1);
	close(s);
	close(m); /* hangs up the controlling terminal: SIGHUP */
	for (int i = 0; i < 100 && !got_hup; i++)
		usleep(1000);
	CHECK_EQ_INT(got_hup, 1);
	signal(SIGINT, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

int main(void)
{
	abi_init("pty");
	ABI_RUN(open_lock_and_names);
	ABI_RUN(canonical_lines_and_echo);
	ABI_RUN(editing_and_eof);
	ABI_RUN(output_processing);
	ABI_RUN(raw_mode_vmin_vtime);
	ABI_RUN(window_size_and_openpty);
	ABI_RUN(hang_ups);
	ABI_RUN(signals_of_the_controlling_terminal);
	return abi_done();
}
