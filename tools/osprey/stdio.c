/*
 * The program's standard streams: `osprey run`'s own stdin, stdout and
 * stderr, copied to and from three ports of a virtio-console device in
 * the guest (drivers/virtio/console.c says why that device).
 *
 * Each port is a QEMU socket chardev on one end of a socketpair (fd=N);
 * this process holds the other end and copies, so that it sees what QEMU
 * cannot tell the guest by itself:
 *   - the end of its stdin: shutdown(SHUT_WR) of the stdin socket. QEMU
 *     reads the data before the end (it reads only while the guest has
 *     buffers) and then reports the port closed: fd 0 reads 0. (A close
 *     would be a hang-up that QEMU acts on before the unread data.)
 *   - a reader that went away (EPIPE on our stdout, `| head -1`): the
 *     socket is closed, QEMU reports the port closed, and the program's
 *     next write is EPIPE with SIGPIPE, as on Linux.
 * A stream that is closed here (`<&-`) gets no port, and the program's
 * fd is closed too. When our stdout and stderr are one file (a terminal,
 * `>log 2>&1`) they share the stdout port, named "org.osprey.stdout+
 * stderr", so that what the program writes to both keeps its order. The
 * kernel's own messages (the serial console) go straight to our stderr: QEMU's
 * stdout is a copy of it.
 *
 * When our stdin is a terminal, it goes into raw mode (put back at every
 * exit) and the guest runs the line discipline: port 1 is named
 * "org.osprey.tty" and carries the terminal both ways (keys in, screen
 * out), "+stdout" and "+stderr" added to its name when our stdout or
 * stderr is the same terminal (those then have no port of their own).
 * Port 4, "org.osprey.ctl", carries the terminal's size, at the start and
 * at every SIGWINCH, as virtio-console RESIZE messages (le32 port 1,
 * le16 event 5, le16 0, le16 cols, le16 rows; virtio 1.2, 5.3.6.2).
 * Ctrl-] (STDIO_ESCAPE) is never passed on: it stops the VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define CHUNK (64 * 1024)
#define OUT_STREAMS 2 /* stdout and stderr: streams 1 and 2 */
#define CTL_PORT 4
#define RESIZE_MSG 12

static const char *const port_names[3] = {"stdin", "stdout", "stderr"};
static struct termios saved_tty; /* the terminal before raw mode */
static int winch_pipe[2] = {-1, -1}; /* SIGWINCH's self-pipe */

/* Whether fd is the terminal that fd 0 is. */
static bool same_tty(int fd)
{
	struct stat a, b;

	return isatty(fd) && fstat(0, &a) == 0 && fstat(fd, &b) == 0 &&
	       a.st_rdev == b.st_rdev;
}

/* The terminal's size as a RESIZE message for port 1. */
static void send_size(int sock)
{
	struct winsize ws;
	uint8_t m[RESIZE_MSG] = {1, 0, 0, 0, 5, 0, 0, 0};

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		ws = (struct winsize){.ws_row = 24, .ws_col = 80};
	m[8] = (uint8_t)ws.ws_col, m[9] = (uint8_t)(ws.ws_col >> 8);
	m[10] = (uint8_t)ws.ws_row, m[11] = (uint8_t)(ws.ws_row >> 8);
	if (write(sock, m, sizeof(m)) != sizeof(m))
		note("the terminal's size did not reach the guest");
}

static void on_winch(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(winch_pipe[1], "w", 1) < 0)
		errno = saved; /* a full pipe has the news already */
	errno = saved;
}

static void socket_pair(struct stdio_relay *r, int i)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		fail(FAIL_OTHER, "socketpair: %s", strerror(errno));
	r->cli[i] = sv[0];
	r->guest[i] = sv[1];
}

/* A terminal on fd 0: which streams share it, the control port and its
 * first message, and SIGWINCH's pipe. */
static void tty_prepare(struct stdio_relay *r)
{
	struct sigaction sa = {.sa_handler = on_winch, .sa_flags = SA_RESTART};

	r->tty = true;
	for (int i = 1; i < 3; i++)
		r->on_tty[i] = r->open[i] && same_tty(i);
	socket_pair(r, 3);
	send_size(r->cli[3]);
	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK))
		fail(FAIL_OTHER, "pipe: %s", strerror(errno));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
}

void stdio_raw(const struct stdio_relay *r)
{
	struct termios raw;

	if (!r->tty || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	cleanup_terminal(STDIN_FILENO, &saved_tty);
	raw = saved_tty;
	cfmakeraw(&raw);
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

void stdio_restore(const struct stdio_relay *r)
{
	if (!r->tty)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	cleanup_terminal(-1, NULL);
}

/* Whether fds 1 and 2 are the same file. */
static bool same_file(void)
{
	struct stat a, b;

	return fstat(1, &a) == 0 && fstat(2, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

void stdio_prepare(struct stdio_relay *r)
{
	*r = (struct stdio_relay){0};
	for (int i = 0; i < 4; i++)
		r->guest[i] = r->cli[i] = -1;
	for (int i = 0; i < 3; i++)
		r->open[i] = fcntl(i, F_GETFD) >= 0;
	if (r->open[0] && isatty(STDIN_FILENO))
		tty_prepare(r);
	r->merged = r->open[1] && r->open[2] && !r->on_tty[1] && same_file();
	/* Closed streams get /dev/null, so that no socket lands on 0-2. */
	for (int i = 0; i < 3; i++) {
		int fd;

		if (r->open[i] || (fd = open("/dev/null", O_RDWR)) < 0)
			continue;
		if (fd != i) {
			dup2(fd, i);
			close(fd);
		}
	}
	for (int i = 0; i < 3; i++)
		if (r->open[i] && !(i == 2 && r->merged) && !r->on_tty[i])
			socket_pair(r, i);
}

/* Port i+1's name. */
static char *port_name(const struct stdio_relay *r, int i)
{
	if (i == 0 && r->tty)
		return xasprintf("org.osprey.tty%s%s",
				 r->on_tty[1] ? "+stdout" : "",
				 r->on_tty[2] ? "+stderr" : "");
	return xasprintf("org.osprey.%s%s", port_names[i],
			 i == 1 && r->merged ? "+stderr" : "");
}

int stdio_qemu_args(const struct stdio_relay *r, const char *machine, char **v,
		    int n)
{
	bool mmio = !strcmp(machine, "microvm");

	/* Ports 0-3 (0 unused), and 4 with a terminal; on PCI an MSI-X
	 * vector for each queue the guest takes interrupts from (the
	 * control receive queue, port 1 both ways, 2 and 3 out, 4 in) and
	 * one for the configuration (QEMU's default is 2). */
	v[n++] = "-device";
	if (r->tty)
		v[n++] = mmio ? "virtio-serial-device,max_ports=5"
			      : "virtio-serial-pci,max_ports=5,vectors=7";
	else
		v[n++] = mmio ? "virtio-serial-device,max_ports=4"
			      : "virtio-serial-pci,max_ports=4,vectors=6";
	if (mmio) {
		v[n++] = "-global";
		v[n++] = "virtio-mmio.force-legacy=false";
	}
	for (int i = 0; i < 3; i++) {
		if (r->guest[i] < 0)
			continue;
		v[n++] = "-chardev";
		v[n++] =
		    xasprintf("socket,id=%s,fd=%d", port_names[i], r->guest[i]);
		v[n++] = "-device";
		v[n++] = xasprintf("virtserialport,chardev=%s,nr=%d,name=%s",
				   port_names[i], i + 1, port_name(r, i));
	}
	if (r->guest[3] >= 0) {
		v[n++] = "-chardev";
		v[n++] = xasprintf("socket,id=ctl,fd=%d", r->guest[3]);
		v[n++] = "-device";
		v[n++] = xasprintf("virtserialport,chardev=ctl,nr=%d,name=org."
				   "osprey.ctl",
				   CTL_PORT);
	}
	return n;
}

/* In QEMU's process before exec: it keeps its socket ends; its stdout
 * (the serial console) is our stderr, its stdin nothing. */
void stdio_child(const struct stdio_relay *r)
{
	int null = open("/dev/null", O_RDONLY);

	for (int i = 0; i < 4; i++)
		if (r->guest[i] >= 0)
			fcntl(r->guest[i], F_SETFD, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	if (null > STDERR_FILENO)
		close(null);
	signal(SIGPIPE, SIG_DFL);
}

void stdio_parent(struct stdio_relay *r)
{
	for (int i = 0; i < 4; i++) {
		if (r->guest[i] >= 0)
			close(r->guest[i]);
		r->guest[i] = -1;
	}
	signal(SIGPIPE, SIG_IGN); /* EPIPE instead: the port is closed */
	signal(SIGTTIN, SIG_IGN); /* in the background: EIO, the end */
}

/* One direction: bytes read from `from`, not yet written to `to`. */
struct pump {
	int from, to; /* -1: done */
	bool input;   /* our stdin to the guest */
	bool tty;     /* ... from a terminal: Ctrl-] stops the VM */
	char *buf;
	size_t len, off;
};

static pid_t qemu_pid;
static bool escaped; /* Ctrl-] came */

static void pump_close(struct pump *p)
{
	if (p->input)
		shutdown(p->to, SHUT_WR); /* the end of stdin */
	else if (p->from >= 0)
		close(p->from); /* the reader left: the port closes */
	p->from = -1;
	p->len = p->off = 0;
}

/* The escape: the VM stops at once, whatever it runs. */
static void escape(struct pump *p)
{
	escaped = true;
	kill(qemu_pid, SIGKILL); /* no time for QEMU to say more */
	p->from = -1;
	p->len = p->off = 0;
}

static void pump_read(struct pump *p)
{
	ssize_t n = read(p->from, p->buf, CHUNK);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (p->input)
			pump_close(p);
		else
			close(p->from), p->from = -1; /* QEMU is gone */
		return;
	}
	if (p->tty && memchr(p->buf, STDIO_ESCAPE, (size_t)n)) {
		escape(p);
		return;
	}
	p->len = (size_t)n;
	p->off = 0;
}

static void pump_write(struct pump *p)
{
	ssize_t n = write(p->to, p->buf + p->off, p->len - p->off);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		if (p->input)
			p->from = -1, p->len = p->off = 0; /* QEMU is gone */
		else
			pump_close(p);
		return;
	}
	p->off += (size_t)n;
	if (p->off == p->len)
		p->len = p->off = 0;
}

/* Which end of p to wait on, and for what; false when p is done. */
static bool pump_want(const struct pump *p, struct pollfd *pfd)
{
	if (p->len) {
		*pfd = (struct pollfd){.fd = p->to, .events = POLLOUT};
		return true;
	}
	if (p->from < 0)
		return false;
	*pfd = (struct pollfd){.fd = p->from, .events = POLLIN};
	return true;
}

static bool alive(pid_t pid)
{
	siginfo_t si = {0};

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		   0 &&
	       si.si_pid == 0;
}

static void pump_step(struct pump *p, const struct pollfd *pfd)
{
	if (!pfd->revents)
		return;
	if (p->len)
		pump_write(p);
	else
		pump_read(p);
}

/* Where the guest's terminal output goes: our stdout or stderr if it is
 * the terminal, else the terminal itself (fd 0, opened for both). */
static int tty_screen(const struct stdio_relay *r)
{
	return r->on_tty[1] ? STDOUT_FILENO
	       : r->on_tty[2] ? STDERR_FILENO
			      : STDIN_FILENO;
}

/* pumps[0..2]: the streams; [3]: the terminal's screen. */
static void pumps_init(struct stdio_relay *r, struct pump *pumps)
{
	for (int i = 0; i < 4; i++)
		pumps[i] = (struct pump){.from = -1, .to = -1};
	for (int i = 0; i < 3; i++) {
		if (r->cli[i] < 0)
			continue;
		pumps[i].buf = xcalloc(1, CHUNK);
		pumps[i].from = i == 0 ? STDIN_FILENO : r->cli[i];
		pumps[i].to = i == 0 ? r->cli[i] : i;
		pumps[i].input = i == 0;
		pumps[i].tty = i == 0 && r->tty;
	}
	if (r->tty && r->cli[0] >= 0) {
		pumps[3].buf = xcalloc(1, CHUNK);
		pumps[3].from = dup(r->cli[0]);
		pumps[3].to = tty_screen(r);
	}
}

/* SIGWINCH came: the new size to the guest. */
static void winch(struct stdio_relay *r)
{
	char b[16];

	while (read(winch_pipe[0], b, sizeof(b)) > 0)
		;
	send_size(r->cli[3]);
}

bool stdio_relay(struct stdio_relay *r, pid_t pid)
{
	struct pump pumps[4];
	bool outputs;

	qemu_pid = pid;
	pumps_init(r, pumps);
	do {
		struct pollfd pfd[5];
		int which[5], n = 0;

		outputs = false;
		for (int i = 0; i < 4; i++) {
			if (!pump_want(&pumps[i], &pfd[n]))
				continue;
			outputs |= i > 0;
			which[n++] = i;
		}
		if (r->tty) {
			pfd[n] = (struct pollfd){winch_pipe[0], POLLIN, 0};
			which[n++] = -1;
		}
		if (poll(pfd, (nfds_t)n, outputs ? -1 : 200) < 0 &&
		    errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (which[k] < 0 && pfd[k].revents)
				winch(r);
			else if (which[k] >= 0)
				pump_step(&pumps[which[k]], &pfd[k]);
		}
	} while (outputs || alive(pid));
	for (int i = 0; i < 4; i++) {
		if (i > 0 && pumps[i].from >= 0)
			close(pumps[i].from);
		free(pumps[i].buf);
		if (r->cli[i] >= 0 && (i == 0 || i == 3))
			close(r->cli[i]);
		r->cli[i] = -1;
	}
	return escaped;
}
