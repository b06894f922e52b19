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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define CHUNK (64 * 1024)
#define OUT_STREAMS 2 /* stdout and stderr: streams 1 and 2 */

static const char *const port_names[3] = {"stdin", "stdout", "stderr"};

/* Whether fds 1 and 2 are the same file. */
static bool same_file(void)
{
	struct stat a, b;

	return fstat(1, &a) == 0 && fstat(2, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

void stdio_prepare(struct stdio_relay *r)
{
	for (int i = 0; i < 3; i++) {
		r->guest[i] = r->cli[i] = -1;
		r->open[i] = fcntl(i, F_GETFD) >= 0;
	}
	r->merged = r->open[1] && r->open[2] && same_file();
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
	for (int i = 0; i < 3; i++) {
		int sv[2];

		if (!r->open[i] || (i == 2 && r->merged))
			continue;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			fail(FAIL_OTHER, "socketpair: %s", strerror(errno));
		r->cli[i] = sv[0];
		r->guest[i] = sv[1];
	}
}

int stdio_qemu_args(const struct stdio_relay *r, const char *machine, char **v,
		    int n)
{
	bool mmio = !strcmp(machine, "microvm");

	/* Ports 0-3 (0 unused); on PCI an MSI-X vector for each queue the
	 * guest takes interrupts from (QEMU's default is 2). */
	v[n++] = "-device";
	v[n++] = mmio ? "virtio-serial-device,max_ports=4"
		      : "virtio-serial-pci,max_ports=4,vectors=5";
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
		v[n++] = xasprintf("virtserialport,chardev=%s,nr=%d,name=org."
				   "osprey.%s%s",
				   port_names[i], i + 1, port_names[i],
				   i == 1 && r->merged ? "+stderr" : "");
	}
	return n;
}

/* In QEMU's process before exec: it keeps its socket ends; its stdout
 * (the serial console) is our stderr, its stdin nothing. */
void stdio_child(const struct stdio_relay *r)
{
	int null = open("/dev/null", O_RDONLY);

	for (int i = 0; i < 3; i++)
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
	for (int i = 0; i < 3; i++) {
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
	char *buf;
	size_t len, off;
};

static void pump_close(struct pump *p, bool input)
{
	if (input)
		shutdown(p->to, SHUT_WR); /* the end of stdin */
	else if (p->from >= 0)
		close(p->from); /* the reader left: the port closes */
	p->from = -1;
	p->len = p->off = 0;
}

static void pump_read(struct pump *p, bool input)
{
	ssize_t n = read(p->from, p->buf, CHUNK);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (input)
			pump_close(p, true);
		else
			close(p->from), p->from = -1; /* QEMU is gone */
		return;
	}
	p->len = (size_t)n;
	p->off = 0;
}

static void pump_write(struct pump *p, bool input)
{
	ssize_t n = write(p->to, p->buf + p->off, p->len - p->off);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		if (input)
			p->from = -1, p->len = p->off = 0; /* QEMU is gone */
		else
			pump_close(p, false);
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

static void pump_step(struct pump *p, const struct pollfd *pfd, bool input)
{
	if (!pfd->revents)
		return;
	if (p->len)
		pump_write(p, input);
	else
		pump_read(p, input);
}

void stdio_relay(struct stdio_relay *r, pid_t pid)
{
	struct pump pumps[3];
	bool outputs;

	for (int i = 0; i < 3; i++) {
		pumps[i] = (struct pump){.from = -1, .to = -1};
		if (r->cli[i] < 0)
			continue;
		pumps[i].buf = xcalloc(1, CHUNK);
		pumps[i].from = i == 0 ? STDIN_FILENO : r->cli[i];
		pumps[i].to = i == 0 ? r->cli[i] : i;
	}
	do {
		struct pollfd pfd[3];
		int which[3], n = 0;

		outputs = false;
		for (int i = 0; i < 3; i++) {
			if (!pump_want(&pumps[i], &pfd[n]))
				continue;
			outputs |= i > 0;
			which[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, outputs ? -1 : 200) < 0 &&
		    errno != EINTR)
			break;
		for (int k = 0; k < n; k++)
			pump_step(&pumps[which[k]], &pfd[k], which[k] == 0);
	} while (outputs || alive(pid));
	if (r->cli[0] >= 0)
		close(r->cli[0]);
	for (int i = 0; i < 3; i++) {
		if (i > 0 && pumps[i].from >= 0)
			close(pumps[i].from);
		free(pumps[i].buf);
		r->cli[i] = -1;
	}
}
