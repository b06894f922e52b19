/*
 * AF_UNIX sockets: socketpair of each type, stream semantics (partial
 * reads, shutdown, EOF, EPIPE and SIGPIPE, MSG_PEEK, MSG_DONTWAIT,
 * MSG_WAITALL), datagram and seqpacket message boundaries and MSG_TRUNC,
 * path names (an S_IFSOCK node, EADDRINUSE, ECONNREFUSED without a
 * listener) and abstract names with Linux's address lengths, listen and
 * accept, connected and unconnected datagrams, SCM_RIGHTS passing a pipe,
 * SCM_CREDENTIALS, SO_PEERCRED, FIONREAD, nonblocking EAGAIN, a writer
 * blocked until the reader drains, poll and epoll readiness. Files go in
 * /tmp/abi-sock-unix (removed at the end).
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#define DIR "/tmp/abi-sock-unix"

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* An abstract name: a NUL, then `name` (no NUL at the end). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void pair_stream(void)
{
	int sv[2], type = 0;
	socklen_t len = sizeof(type);
	char buf[16];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
	CHECK_EQ_INT(type, SOCK_STREAM);
	CHECK_EQ_INT(write(sv[0], "hello", 5), 5);
	CHECK_EQ_INT(write(sv[0], "world", 5), 5);
	/* a stream joins writes and splits reads */
	CHECK_EQ_INT(read(sv[1], buf, 3), 3);
	CHECK_EQ_MEM(buf, "hel", 3);
	CHECK_EQ_INT(recv(sv[1], buf, 4, MSG_PEEK), 4);
	CHECK_EQ_MEM(buf, "lowo", 4);
	CHECK_EQ_INT(read(sv[1], buf, sizeof(buf)), 7);
	CHECK_EQ_MEM(buf, "loworld", 7);
	CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* the other direction works as well */
	CHECK_EQ_INT(send(sv[1], "x", 1, 0), 1);
	CHECK_EQ_INT(recv(sv[0], buf, 1, 0), 1);
	/* shutdown for writing: the peer reads what was sent, then EOF */
	CHECK_EQ_INT(send(sv[0], "end", 3, 0), 3);
	CHECK_EQ_INT(shutdown(sv[0], SHUT_WR), 0);
	CHECK_EQ_INT(read(sv[1], buf, sizeof(buf)), 3);
	CHECK_EQ_INT(read(sv[1], buf, sizeof(buf)), 0);
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);
	close(sv[1]);
	/* shutdown for reading: queued data is still read, then EOF; the
	 * peer's writes fail */
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(send(sv[1], "ab", 2, 0), 2);
	CHECK_EQ_INT(shutdown(sv[0], SHUT_RD), 0);
	CHECK_EQ_INT(recv(sv[0], buf, sizeof(buf), 0), 2);
	CHECK_EQ_INT(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ_INT(send(sv[0], "y", 1, 0), 1);
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), 1);
	close(sv[0]);
	close(sv[1]);
}

static void epipe_sigpipe(void)
{
	struct sigaction sa = {.sa_handler = on_sigpipe};
	int sv[2];
	char buf[4];

	sigaction(SIGPIPE, &sa, NULL);
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(write(sv[1], "abc", 3), 3);
	close(sv[1]);
	/* the data before the close, then end of file */
	CHECK_EQ_INT(read(sv[0], buf, sizeof(buf)), 3);
	CHECK_EQ_INT(read(sv[0], buf, sizeof(buf)), 0);
	sigpipes = 0;
	CHECK_ERRNO(write(sv[0], "x", 1), EPIPE);
	CHECK_EQ_INT(sigpipes, 1);
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ_INT(sigpipes, 1);
	close(sv[0]);
	/* seqpacket: EPIPE without the signal; a datagram: ECONNREFUSED */
	if (CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0)) {
		close(sv[1]);
		CHECK_ERRNO(send(sv[0], "x", 1, 0), EPIPE);
		CHECK_EQ_INT(sigpipes, 1);
		close(sv[0]);
	}
	if (CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0)) {
		close(sv[1]);
		CHECK_ERRNO(send(sv[0], "x", 1, 0), ECONNREFUSED);
		CHECK_EQ_INT(sigpipes, 1);
		close(sv[0]);
	}
	signal(SIGPIPE, SIG_DFL);
}

/* The peer closed with data unread: ECONNRESET once, then end of file;
 * POLLERR; getpeername still answers. */
static void reset(void)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	struct pollfd p;
	int sv[2], e = -1;
	char c;

	for (int type = SOCK_STREAM; type <= SOCK_SEQPACKET; type += 4) {
		if (!CHECK_EQ_INT(socketpair(AF_UNIX, type, 0, sv), 0))
			return;
		CHECK_EQ_INT(send(sv[0], "x", 1, 0), 1);
		close(sv[1]);
		p = (struct pollfd){.fd = sv[0], .events = POLLIN};
		CHECK_EQ_INT(poll(&p, 1, 0), 1);
		CHECK_EQ_INT(p.revents, POLLIN | POLLERR | POLLHUP);
		CHECK_ERRNO(recv(sv[0], &c, 1, 0), ECONNRESET);
		CHECK_EQ_INT(recv(sv[0], &c, 1, 0), 0);
		CHECK_EQ_INT(getpeername(sv[0], (struct sockaddr *)&a, &len),
			     0);
		CHECK_EQ_INT(len, sizeof(sa_family_t));
		close(sv[0]);
	}
	/* SO_ERROR reads and clears it */
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(send(sv[0], "x", 1, 0), 1);
	close(sv[1]);
	len = sizeof(e);
	CHECK_EQ_INT(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &e, &len), 0);
	CHECK_EQ_INT(e, ECONNRESET);
	CHECK_EQ_INT(recv(sv[0], &c, 1, 0), 0);
	close(sv[0]);
}

static void pair_dgram(void)
{
	int sv[2], n = -1;
	char buf[16];
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(send(sv[0], "one", 3, 0), 3);
	CHECK_EQ_INT(send(sv[0], "second", 6, 0), 6);
	CHECK_EQ_INT(send(sv[0], "", 0, 0), 0);
	CHECK_EQ_INT(ioctl(sv[1], FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 3); /* the next datagram's size */
	/* boundaries kept; a short buffer truncates and drops the rest */
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_EQ_INT(recv(sv[1], buf, 2, MSG_TRUNC), 6);
	CHECK_EQ_MEM(buf, "se", 2);
	CHECK_EQ_INT(recvfrom(sv[1], buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &flen),
		     0);
	CHECK_EQ_INT(flen, 0); /* an unnamed sender */
	CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

static void pair_seqpacket(void)
{
	struct msghdr mh = {0};
	struct iovec iov;
	int sv[2];
	char buf[16];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0))
		return;
	CHECK_EQ_INT(send(sv[0], "abcdef", 6, 0), 6);
	CHECK_EQ_INT(send(sv[0], "gh", 2, 0), 2);
	iov.iov_base = buf;
	iov.iov_len = 4;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ_INT(recvmsg(sv[1], &mh, 0), 4);
	CHECK(mh.msg_flags & MSG_TRUNC);
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_EQ_MEM(buf, "gh", 2);
	close(sv[0]);
	/* the peer went: end of file */
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[1]);
}

static void path_names(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = path_addr(&a, DIR "/srv"), glen = sizeof(got);
	int l, c, s;
	struct stat st;
	char buf[8];

	l = socket(AF_UNIX, SOCK_STREAM, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!CHECK(l >= 0 && c >= 0))
		return;
	/* nothing there yet, then a name with no listener */
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), ENOENT);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, alen), 0);
	CHECK_EQ_INT(stat(DIR "/srv", &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
	CHECK_EQ_INT(getsockname(l, (struct sockaddr *)&got, &glen), 0);
	CHECK_EQ_INT(glen, alen);
	CHECK_EQ_STR(got.sun_path, DIR "/srv");
	/* the name is taken, by the node even after the socket is gone */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, alen), EADDRINUSE);
	close(s);
	CHECK_EQ_INT(listen(l, 4), 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&a, alen), 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), EISCONN);
	glen = sizeof(got);
	s = accept(l, (struct sockaddr *)&got, &glen);
	if (CHECK(s >= 0)) {
		/* the client is unnamed: just the family */
		CHECK_EQ_INT(glen, sizeof(sa_family_t));
		glen = sizeof(got);
		CHECK_EQ_INT(getpeername(c, (struct sockaddr *)&got, &glen), 0);
		CHECK_EQ_INT(glen, alen);
		glen = sizeof(got);
		CHECK_EQ_INT(getsockname(s, (struct sockaddr *)&got, &glen), 0);
		CHECK_EQ_INT(glen, alen);
		CHECK_EQ_INT(write(c, "ping", 4), 4);
		CHECK_EQ_INT(read(s, buf, sizeof(buf)), 4);
		close(s);
	}
	close(c);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
	close(c);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(bind(l, (struct sockaddr *)&a, alen), EADDRINUSE);
	close(l);
	CHECK_EQ_INT(unlink(DIR "/srv"), 0);
}

static void abstract_names(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = abstract_addr(&a, "abi-sock-unix"), glen;
	int d1, d2, s;
	char buf[8];

	d1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!CHECK(d1 >= 0 && d2 >= 0))
		return;
	CHECK_EQ_INT(bind(d1, (struct sockaddr *)&a, alen), 0);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, alen), EADDRINUSE);
	close(s);
	glen = sizeof(got);
	CHECK_EQ_INT(getsockname(d1, (struct sockaddr *)&got, &glen), 0);
	CHECK_EQ_INT(glen, alen); /* no NUL at the end */
	CHECK_EQ_MEM(got.sun_path, a.sun_path, alen - 2);
	/* autobind: sizeof(sa_family_t) binds to a 5-digit abstract name */
	CHECK_EQ_INT(bind(d2, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
	glen = sizeof(got);
	CHECK_EQ_INT(getsockname(d2, (struct sockaddr *)&got, &glen), 0);
	CHECK_EQ_INT(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK_EQ_INT(got.sun_path[0], 0);
	CHECK_EQ_INT(sendto(d2, "hi", 2, 0, (struct sockaddr *)&a, alen), 2);
	memset(&got, 0, sizeof(got));
	glen = sizeof(got);
	CHECK_EQ_INT(
	    recvfrom(d1, buf, sizeof(buf), 0, (struct sockaddr *)&got, &glen),
	    2);
	CHECK_EQ_INT(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	/* reply to the autobound name */
	CHECK_EQ_INT(sendto(d1, "ok", 2, 0, (struct sockaddr *)&got, glen), 2);
	CHECK_EQ_INT(recv(d2, buf, sizeof(buf), 0), 2);
	close(d1);
	/* the name went with the socket */
	CHECK_ERRNO(sendto(d2, "x", 1, 0, (struct sockaddr *)&a, alen),
		    ECONNREFUSED);
	close(d2);
}

static void dgram_connected(void)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, DIR "/dg");
	int r, w, x;
	char buf[8];

	r = socket(AF_UNIX, SOCK_DGRAM, 0);
	w = socket(AF_UNIX, SOCK_DGRAM, 0);
	x = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!CHECK(r >= 0 && w >= 0 && x >= 0))
		return;
	CHECK_EQ_INT(bind(r, (struct sockaddr *)&a, alen), 0);
	CHECK_ERRNO(send(w, "x", 1, 0), ENOTCONN);
	CHECK_EQ_INT(connect(w, (struct sockaddr *)&a, alen), 0);
	CHECK_EQ_INT(send(w, "abc", 3, 0), 3);
	CHECK_EQ_INT(recv(r, buf, sizeof(buf), 0), 3);
	/* r connected to w refuses datagrams from anyone else */
	CHECK_EQ_INT(connect(r, (struct sockaddr *)&a, alen), 0);
	CHECK_ERRNO(sendto(x, "y", 1, 0, (struct sockaddr *)&a, alen), EPERM);
	CHECK_EQ_INT(
	    connect(r, &(struct sockaddr){AF_UNSPEC}, sizeof(sa_family_t)), 0);
	/* an unconnected sender fills the queue: 11 datagrams (Linux's
	 * net.unix.max_dgram_qlen is 10, full means more than that) */
	{
		int n = 0;

		while (n < 100 && sendto(x, "q", 1, MSG_DONTWAIT,
					 (struct sockaddr *)&a, alen) == 1)
			n++;
		CHECK(errno == EAGAIN);
		CHECK_EQ_INT(n, 11);
		CHECK_EQ_INT(recv(r, buf, sizeof(buf), 0), 1);
		CHECK_EQ_INT(sendto(x, "q", 1, MSG_DONTWAIT,
				    (struct sockaddr *)&a, alen),
			     1);
	}
	/* w, connected to r, polls a full r: not writable until r reads
	 * (Linux's peer wake relay) */
	{
		struct epoll_event ev = {.events = EPOLLOUT}, out;
		int ep = epoll_create1(0), n = 0;

		CHECK_EQ_INT(connect(r, &(struct sockaddr){AF_UNSPEC},
				     sizeof(sa_family_t)),
			     0);
		while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		/* another sender fills it: the wakeup must come through r */
		while (n < 100 && sendto(x, "f", 1, MSG_DONTWAIT,
					 (struct sockaddr *)&a, alen) == 1)
			n++;
		CHECK_EQ_INT(n, 11);
		CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, w, &ev), 0);
		CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
		CHECK_EQ_INT(recv(r, buf, sizeof(buf), 0), 1);
		CHECK_EQ_INT(epoll_wait(ep, &out, 1, 1000), 1);
		CHECK_EQ_INT(send(w, "g", 1, MSG_DONTWAIT), 1);
		close(ep);
	}
	close(r);
	/* the receiver is gone */
	CHECK_ERRNO(send(w, "z", 1, 0), ECONNREFUSED);
	close(w);
	close(x);
	unlink(DIR "/dg");
}

/* Fills a nonblocking datagram receiver: EAGAIN, then room again. */
static void dgram_full(void)
{
	int sv[2], n = 0, r = 0;
	char buf[64] = {0};

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	int small = 4096;

	CHECK_EQ_INT(
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	while (n < 100000 &&
	       (r = send(sv[0], buf, sizeof(buf), MSG_DONTWAIT)) == sizeof(buf))
		n++;
	CHECK(r == -1 && errno == EAGAIN);
	CHECK(n > 0 && n < 100000);
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), sizeof(buf));
	CHECK_EQ_INT(send(sv[0], buf, sizeof(buf), MSG_DONTWAIT), sizeof(buf));
	close(sv[0]);
	close(sv[1]);
}

static void *drain_later(void *arg)
{
	int fd = *(int *)arg;
	static char buf[65536];
	long total = 0, r;

	usleep(50000);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	return (void *)total;
}

/* A stream writer blocks when the reader falls behind, then finishes. */
static void stream_blocks(void)
{
	static char buf[1 << 20];
	pthread_t t;
	void *total;
	int sv[2], flags;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	/* nonblocking, it fills up */
	flags = fcntl(sv[0], F_GETFL);
	fcntl(sv[0], F_SETFL, flags | O_NONBLOCK);
	{
		long sent = 0, r;

		while ((r = write(sv[0], buf, 65536)) > 0)
			sent += r;
		CHECK(r == -1 && errno == EAGAIN);
		CHECK(sent > 0 && sent < (1 << 22));
		int outq = -1, inq = -1;

		CHECK_EQ_INT(ioctl(sv[0], TIOCOUTQ, &outq), 0);
		CHECK_EQ_INT(ioctl(sv[1], FIONREAD, &inq), 0);
		CHECK_EQ_INT(inq, sent);
		while (sent > 0 && (r = read(sv[1], buf, sizeof(buf))) > 0)
			sent -= r;
	}
	fcntl(sv[0], F_SETFL, flags);
	pthread_create(&t, NULL, drain_later, &sv[1]);
	CHECK_EQ_INT(write(sv[0], buf, sizeof(buf)), sizeof(buf));
	close(sv[0]);
	pthread_join(t, &total);
	CHECK_EQ_INT((long)total, sizeof(buf));
	close(sv[1]);
}

static void rights(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct msghdr mh = {0};
	struct iovec iov;
	struct cmsghdr *c;
	int sv[2], p[2], got[2] = {-1, -1};
	char buf[8];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0) ||
	    !CHECK_EQ_INT(pipe(p), 0))
		return;
	iov.iov_base = "fds";
	iov.iov_len = 3;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(2 * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), p, 2 * sizeof(int));
	CHECK_EQ_INT(sendmsg(sv[0], &mh, 0), 3);
	/* the originals may go: the message holds the files */
	close(p[0]);
	close(p[1]);
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_controllen = sizeof(ctl.buf);
	CHECK_EQ_INT(recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC), 3);
	c = CMSG_FIRSTHDR(&mh);
	if (CHECK(c && c->cmsg_type == SCM_RIGHTS &&
		  c->cmsg_len == CMSG_LEN(2 * sizeof(int)))) {
		memcpy(got, CMSG_DATA(c), sizeof(got));
		CHECK_EQ_INT(fcntl(got[0], F_GETFD), FD_CLOEXEC);
		CHECK_EQ_INT(write(got[1], "pipe", 4), 4);
		CHECK_EQ_INT(read(got[0], buf, sizeof(buf)), 4);
		CHECK_EQ_MEM(buf, "pipe", 4);
		close(got[0]);
		close(got[1]);
	}
	/* no room for the files: MSG_CTRUNC, and they are closed */
	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	iov.iov_base = "x";
	iov.iov_len = 1;
	CHECK_EQ_INT(sendmsg(sv[0], &mh, 0), 1);
	close(p[1]);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	CHECK_EQ_INT(recvmsg(sv[1], &mh, 0), 1);
	CHECK(mh.msg_flags & MSG_CTRUNC);
	/* the write end died with the message: the read end sees EOF */
	CHECK_EQ_INT(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	/* a bad descriptor in SCM_RIGHTS */
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memset(CMSG_DATA(c), 0x7f, sizeof(int));
	CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EBADF);
	close(sv[0]);
	close(sv[1]);
}

static int send_fd(int sock, int fd, const char *data)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)data, strlen(data)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0);
}

/* A socket in flight whose last reference is the message: dropped by a
 * receive without room, it closes (its peer sees end of file). On a
 * stream, a read stops before the next message that carries files. */
static void rights_of_sockets(void)
{
	char buf[16], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int sv[2], inner[2], pfd[2], got;
	struct cmsghdr *c;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0) ||
	    !CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, inner), 0))
		return;
	CHECK_EQ_INT(send_fd(sv[0], inner[0], "s"), 1);
	close(inner[0]);
	CHECK_EQ_INT(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_EQ_INT(recv(inner[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(inner[1]);
	if (!CHECK_EQ_INT(pipe(pfd), 0))
		return;
	CHECK_EQ_INT(send_fd(sv[0], pfd[0], "ab"), 2);
	CHECK_EQ_INT(send_fd(sv[0], pfd[1], "cd"), 2);
	close(pfd[0]);
	close(pfd[1]);
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	CHECK_EQ_INT(recvmsg(sv[1], &mh, MSG_WAITALL | MSG_DONTWAIT), 2);
	c = CMSG_FIRSTHDR(&mh);
	if (CHECK(c && c->cmsg_type == SCM_RIGHTS)) {
		memcpy(&got, CMSG_DATA(c), sizeof(got));
		close(got);
	}
	mh.msg_controllen = sizeof(ctl);
	CHECK_EQ_INT(recvmsg(sv[1], &mh, 0), 2);
	CHECK_EQ_MEM(buf, "cd", 2);
	c = CMSG_FIRSTHDR(&mh);
	if (CHECK(c && c->cmsg_type == SCM_RIGHTS)) {
		memcpy(&got, CMSG_DATA(c), sizeof(got));
		signal(SIGPIPE, SIG_IGN);
		CHECK_ERRNO(write(got, "p", 1), EPIPE); /* no reader left */
		signal(SIGPIPE, SIG_DFL);
		close(got);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Sockets that hold each other in flight, with nothing else reaching
 * them, are collected once some socket closes (Linux's unix_gc): a pipe
 * sent along with them loses its writer. */
static void garbage_cycle(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct iovec iov = {"g", 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int sv[2], p[2], fds[3];
	struct pollfd pfd;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0) ||
	    !CHECK_EQ_INT(pipe(p), 0))
		return;
	fds[0] = sv[0];
	fds[1] = sv[1];
	fds[2] = p[1];
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	CHECK_EQ_INT(sendmsg(sv[0], &mh, 0), 1);
	close(sv[0]);
	close(sv[1]);
	close(p[1]);
	/* still alive: the pipe has a writer in flight */
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
	close(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_EQ_INT(poll(&pfd, 1, 2000), 1);
	CHECK_EQ_INT(pfd.revents, POLLHUP);
	close(p[0]);
	/* b holds itself and a pipe, but an open socket holds b: alive */
	{
		int a[2], b[2], got = -1;
		char buf[4], cbuf[CMSG_SPACE(3 * sizeof(int))];

		if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, a), 0) ||
		    !CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, b), 0) ||
		    !CHECK_EQ_INT(pipe(p), 0))
			return;
		CHECK_EQ_INT(send_fd(b[0], b[1], "s"), 1);
		CHECK_EQ_INT(send_fd(b[0], p[1], "p"), 1);
		CHECK_EQ_INT(send_fd(a[0], b[1], "b"), 1);
		close(b[0]);
		close(b[1]);
		close(p[1]);
		close(socket(AF_UNIX, SOCK_STREAM, 0));
		pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
		CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
		iov = (struct iovec){buf, sizeof(buf)};
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		CHECK_EQ_INT(recvmsg(a[1], &mh, 0), 1);
		c = CMSG_FIRSTHDR(&mh);
		if (CHECK(c && c->cmsg_type == SCM_RIGHTS))
			memcpy(&got, CMSG_DATA(c), sizeof(got));
		CHECK_EQ_INT(recv(got, buf, sizeof(buf), 0), 1); /* "s" */
		CHECK_EQ_INT(recv(got, buf, sizeof(buf), 0), 1); /* "p" */
		close(got);
		close(a[0]);
		close(a[1]);
		close(p[0]);
	}
}

static void credentials(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct msghdr mh = {0};
	struct iovec iov;
	struct cmsghdr *c;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int sv[2], on = 1;
	char buf[4];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	CHECK_EQ_INT(len, sizeof(cr));
	CHECK_EQ_INT(cr.pid, getpid());
	CHECK_EQ_INT(cr.uid, getuid());
	CHECK_EQ_INT(
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	CHECK_EQ_INT(write(sv[0], "c", 1), 1);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	CHECK_EQ_INT(recvmsg(sv[1], &mh, 0), 1);
	c = CMSG_FIRSTHDR(&mh);
	if (CHECK(c && c->cmsg_level == SOL_SOCKET &&
		  c->cmsg_type == SCM_CREDENTIALS)) {
		memcpy(&cr, CMSG_DATA(c), sizeof(cr));
		CHECK_EQ_INT(cr.pid, getpid());
		CHECK_EQ_INT(cr.gid, getgid());
	}
	/* credentials the sender gives: its own pid is accepted */
	mh.msg_controllen = CMSG_SPACE(sizeof(cr));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	cr = (struct ucred){getpid(), getuid(), getgid()};
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	iov.iov_base = "d";
	iov.iov_len = 1;
	CHECK_EQ_INT(sendmsg(sv[0], &mh, 0), 1);
	c->cmsg_len = CMSG_LEN(sizeof(cr) - 1);
	CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

static void readiness(void)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP}, out;
	struct pollfd pfd;
	int sv[2], ep;
	char c;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	pfd = (struct pollfd){.fd = sv[1], .events = POLLIN | POLLOUT};
	CHECK_EQ_INT(poll(&pfd, 1, 0), 1);
	CHECK_EQ_INT(pfd.revents, POLLOUT);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = sv[1];
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ_INT(write(sv[0], "r", 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ_INT(out.events, EPOLLIN);
	CHECK_EQ_INT(read(sv[1], &c, 1), 1);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	/* the peer closes: hang-up, readable (end of file) */
	close(sv[0]);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ_INT(out.events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	pfd.events = POLLIN;
	CHECK_EQ_INT(poll(&pfd, 1, 0), 1);
	CHECK_EQ_INT(pfd.revents, POLLIN | POLLHUP);
	close(ep);
	close(sv[1]);
	/* an unconnected stream socket polls as hung up */
	sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	pfd = (struct pollfd){.fd = sv[0], .events = POLLOUT};
	CHECK_EQ_INT(poll(&pfd, 1, 0), 1);
	CHECK_EQ_INT(pfd.revents, POLLOUT | POLLHUP);
	close(sv[0]);
}

/* accept waits for a connection made by another thread; nonblocking
 * accept is EAGAIN. */
static void *connect_later(void *arg)
{
	struct sockaddr_un *a = arg;
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	usleep(30000);
	if (connect(c, (struct sockaddr *)a, path_addr(a, DIR "/acc")) != 0) {
		close(c);
		return (void *)-1l;
	}
	return (void *)(long)c;
}

static void accept_blocks(void)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, DIR "/acc");
	pthread_t t;
	void *ret;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), s, on = 0;
	socklen_t len = sizeof(on);

	if (!CHECK(l >= 0))
		return;
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, alen), 0);
	CHECK_EQ_INT(listen(l, 1), 0);
	CHECK_EQ_INT(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &on, &len), 0);
	CHECK_EQ_INT(on, 1);
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	fcntl(l, F_SETFL, 0);
	pthread_create(&t, NULL, connect_later, &a);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(s >= 0);
	CHECK_EQ_INT(fcntl(s, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ_INT(fcntl(s, F_GETFD), FD_CLOEXEC);
	pthread_join(t, &ret);
	CHECK((long)ret >= 0);
	close((int)(long)ret);
	close(s);
	close(l);
	unlink(DIR "/acc");
}

/* A full backlog: a nonblocking connect is EAGAIN, a blocking one waits
 * for SO_SNDTIMEO and is EAGAIN too; accepting makes room. */
static void backlog_full(void)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, DIR "/bl");
	struct timeval tv = {0, 20000};
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c[3], s;
	long long t0;

	if (!CHECK(l >= 0))
		return;
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, alen), 0);
	CHECK_EQ_INT(listen(l, 0), 0);
	for (int i = 0; i < 3; i++)
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_EQ_INT(connect(c[0], (struct sockaddr *)&a, alen), 0);
	CHECK_ERRNO(connect(c[1], (struct sockaddr *)&a, alen), EAGAIN);
	fcntl(c[2], F_SETFL, 0);
	CHECK_EQ_INT(setsockopt(c[2], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)),
		     0);
	t0 = mono_ns();
	CHECK_ERRNO(connect(c[2], (struct sockaddr *)&a, alen), EAGAIN);
	CHECK(mono_ns() - t0 >= 15000000);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK_EQ_INT(connect(c[1], (struct sockaddr *)&a, alen), 0);
	close(s);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(l);
	unlink(DIR "/bl");
}

/* Threads connect, echo, pass descriptors and close at once through one
 * listener; a listener shut down for reading then refuses accept. */
#define STRESS_CLIENTS 4
#define STRESS_ROUNDS 100

static int stress_listener;
static struct sockaddr_un stress_addr;

static void *stress_server(void *arg)
{
	char b[4096];
	long n;
	int s;

	(void)arg;
	while ((s = accept(stress_listener, NULL, NULL)) >= 0) {
		while ((n = read(s, b, sizeof(b))) > 0)
			if (send(s, b, n, MSG_NOSIGNAL) != n)
				break;
		close(s);
	}
	return (void *)(long)errno;
}

/* One round: an echo of 3000 bytes, a short write, or a socketpair's
 * two ends passed to the server and dropped unread. */
static int stress_round(int i, char *b)
{
	struct sockaddr_un addr; /* each thread its own: path_addr rewrites */
	socklen_t alen = path_addr(&addr, DIR "/stress");
	int c = socket(AF_UNIX, SOCK_STREAM, 0), sv[2], got = 0, n;

	if (connect(c, (struct sockaddr *)&addr, alen)) {
		close(c);
		return 0;
	}
	if (i % 3 == 0) {
		if (write(c, b, 3000) != 3000)
			got = -1;
		while (got >= 0 && got < 3000 &&
		       (n = read(c, b + 3000, 3000 - got)) > 0)
			got += n;
	} else if (i % 3 == 1) {
		got = write(c, b, 100) == 100 ? 3000 : -1;
	} else if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
		got = send_fd(c, sv[0], "f") == 1 ? 3000 : -1;
		close(sv[0]);
		close(sv[1]);
	}
	close(c);
	return got == 3000;
}

static void *stress_client(void *arg)
{
	static char bufs[STRESS_CLIENTS][6000];
	char *b = bufs[(long)arg];
	long ok = 0;

	memset(b, 'z', 3000);
	for (int i = 0; i < STRESS_ROUNDS; i++)
		ok += stress_round(i, b);
	return (void *)ok;
}

static void stress_threads(void)
{
	pthread_t srv[3], cli[STRESS_CLIENTS];
	socklen_t alen = path_addr(&stress_addr, DIR "/stress");
	long ok = 0;
	void *r;

	stress_listener = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ_INT(
	    bind(stress_listener, (struct sockaddr *)&stress_addr, alen), 0);
	CHECK_EQ_INT(listen(stress_listener, 16), 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&srv[i], NULL, stress_server, NULL);
	for (long i = 0; i < STRESS_CLIENTS; i++)
		pthread_create(&cli[i], NULL, stress_client, (void *)i);
	for (int i = 0; i < STRESS_CLIENTS; i++) {
		pthread_join(cli[i], &r);
		ok += (long)r;
	}
	CHECK_EQ_INT(ok, STRESS_CLIENTS * STRESS_ROUNDS);
	CHECK_EQ_INT(shutdown(stress_listener, SHUT_RD), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(srv[i], &r);
		CHECK_EQ_INT((long)r, EINVAL);
	}
	close(stress_listener);
	unlink(DIR "/stress");
}

static void timeouts(void)
{
	struct timeval tv = {0, 20000}, got;
	socklen_t len = sizeof(got);
	long long t0;
	int sv[2];
	char c;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	CHECK_EQ_INT(
	    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ_INT(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	CHECK_EQ_INT(got.tv_usec, 20000);
	t0 = mono_ns();
	CHECK_ERRNO(read(sv[0], &c, 1), EAGAIN);
	CHECK(mono_ns() - t0 >= 15000000);
	close(sv[0]);
	close(sv[1]);
}

/* read/write/readv/writev on a datagram socket move whole datagrams,
 * larger than any bounce buffer; the descriptor shows as socket:[N]. */
static void dgram_rw(void)
{
	static char out[6000], in[8000];
	struct iovec v[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
	char link[64], path[64];
	struct stat st;
	int sv[2];
	ssize_t n;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	CHECK_EQ_INT(write(sv[0], out, sizeof(out)), sizeof(out));
	CHECK_EQ_INT(read(sv[1], in, sizeof(in)), sizeof(out));
	CHECK_EQ_MEM(in, out, sizeof(out));
	CHECK_EQ_INT(writev(sv[0], v, 3), 6);
	v[0] = (struct iovec){in, 4};
	v[1] = (struct iovec){in + 4, 4};
	CHECK_EQ_INT(readv(sv[1], v, 2), 6);
	CHECK_EQ_MEM(in, "abcdef", 6);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
	n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 8);
	link[n > 0 ? n : 0] = 0;
	CHECK(!strncmp(link, "socket:[", 8));
	CHECK_EQ_INT(fstat(sv[0], &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	close(sv[0]);
	close(sv[1]);
}

static void many_messages(void)
{
	struct mmsghdr m[4];
	struct iovec iov[4];
	char bufs[4][8];
	struct timespec ts = {0, 20000000};
	int sv[2];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = "m0m1m2" + 2 * i;
		iov[i].iov_len = 2;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ_INT(sendmmsg(sv[0], m, 3, 0), 3);
	CHECK_EQ_INT(m[2].msg_len, 2);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 4; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	/* MSG_WAITFORONE: the three that are there, without waiting */
	CHECK_EQ_INT(recvmmsg(sv[1], m, 4, MSG_WAITFORONE, NULL), 3);
	CHECK_EQ_INT(m[1].msg_len, 2);
	CHECK_EQ_MEM(bufs[1], "m1", 2);
	CHECK_ERRNO(recvmmsg(sv[1], m, 4, MSG_DONTWAIT, &ts), EAGAIN);
	ts.tv_nsec = 2000000000;
	CHECK_ERRNO(recvmmsg(sv[1], m, 4, 0, &ts), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	abi_init("sock_unix");
	abi_rmtree(DIR);
	if (mkdir(DIR, 0755)) {
		perror(DIR);
		return 1;
	}
	ABI_RUN(pair_stream);
	ABI_RUN(epipe_sigpipe);
	ABI_RUN(reset);
	ABI_RUN(pair_dgram);
	ABI_RUN(pair_seqpacket);
	ABI_RUN(path_names);
	ABI_RUN(abstract_names);
	ABI_RUN(dgram_connected);
	ABI_RUN(dgram_full);
	ABI_RUN(stream_blocks);
	ABI_RUN(rights);
	ABI_RUN(rights_of_sockets);
	ABI_RUN(garbage_cycle);
	ABI_RUN(credentials);
	ABI_RUN(readiness);
	ABI_RUN(accept_blocks);
	ABI_RUN(backlog_full);
	ABI_RUN(stress_threads);
	ABI_RUN(timeouts);
	ABI_RUN(dgram_rw);
	ABI_RUN(many_messages);
	abi_rmtree(DIR);
	return abi_done();
}
