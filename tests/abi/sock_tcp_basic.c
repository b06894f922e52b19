/*
 * TCP sockets over 127.0.0.1, the basics as Linux behaves on lo: a
 * listener on port 0 and getsockname, connect and accept (the names
 * match both ways), 4 MiB from a thread verified byte by byte, shutdown
 * (SHUT_WR: the reader sees the end of the stream, the other direction
 * still works), ECONNREFUSED for a port nobody listens on, a nonblocking
 * connect (EINPROGRESS, then POLLOUT and SO_ERROR 0), MSG_PEEK and
 * FIONREAD, and EPIPE (MSG_NOSIGNAL) on a connection the peer closed.
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define BULK (4u << 20)

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	return a;
}

/* A listener on 127.0.0.1 with a kernel-chosen port; -1 on failure. */
static int listener(struct sockaddr_in *addr)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 8) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*addr = a;
	return fd;
}

/* A connected pair through a listener: *c the client, *s the server. */
static int pair(int *c, int *s)
{
	struct sockaddr_in a;
	int l = listener(&a);

	if (l < 0)
		return -1;
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a))) {
		close(l);
		return -1;
	}
	*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

static void connect_and_accept_name_each_other(void)
{
	struct sockaddr_in a, cl, peer, mine;
	socklen_t len = sizeof(cl), plen = sizeof(peer), mlen = sizeof(mine);
	int l = listener(&a), c, s;

	if (!CHECK(l >= 0))
		return;
	CHECK(ntohs(a.sin_port) != 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(getsockname(c, (struct sockaddr *)&cl, &len), 0);
	s = accept(l, (struct sockaddr *)&peer, &plen);
	CHECK(s >= 0);
	CHECK_EQ_INT(plen, sizeof(peer));
	CHECK_EQ_INT(peer.sin_port, cl.sin_port);
	CHECK_EQ_INT(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_EQ_INT(getsockname(s, (struct sockaddr *)&mine, &mlen), 0);
	CHECK_EQ_INT(mine.sin_port, a.sin_port);
	CHECK_EQ_INT(getpeername(c, (struct sockaddr *)&peer, &plen), 0);
	CHECK_EQ_INT(peer.sin_port, a.sin_port);
	close(c);
	close(s);
	close(l);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 13));
}

static void *bulk_writer(void *arg)
{
	int fd = *(int *)arg;
	static uint8_t buf[65536];
	size_t off = 0;

	while (off < BULK) {
		size_t n = sizeof(buf) - (off % 3) * 1000;
		ssize_t w;

		if (n > BULK - off)
			n = BULK - off;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		w = send(fd, buf, n, 0);
		if (w <= 0)
			return (void *)1;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	return NULL;
}

static void four_mib_arrive_in_order(void)
{
	static uint8_t buf[100000];
	size_t got = 0, bad = 0;
	pthread_t t;
	void *res;
	int c, s;

	if (!CHECK_EQ_INT(pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(pthread_create(&t, NULL, bulk_writer, &c), 0);
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n <= 0) {
			CHECK_EQ_INT(n, 0);
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != pattern(got + (size_t)i);
		got += (size_t)n;
	}
	pthread_join(t, &res);
	CHECK(res == NULL);
	CHECK_EQ_INT(got, BULK);
	CHECK_EQ_INT(bad, 0);
	/* the other direction still works after SHUT_WR */
	CHECK_EQ_INT(send(s, "done", 4, 0), 4);
	CHECK_EQ_INT(recv(c, buf, 4, MSG_WAITALL), 4);
	CHECK_EQ_MEM(buf, "done", 4);
	close(s);
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
}

static void refused_without_listener(void)
{
	struct sockaddr_in a;
	int l = listener(&a), c;

	if (!CHECK(l >= 0))
		return;
	close(l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)),
		    ECONNREFUSED);
	close(c);
}

static void nonblocking_connect_completes(void)
{
	struct sockaddr_in a;
	int l = listener(&a), c, s, err = -1;
	socklen_t len = sizeof(err);
	struct pollfd p;
	int r;

	if (!CHECK(l >= 0))
		return;
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	r = connect(c, (struct sockaddr *)&a, sizeof(a));
	CHECK(r == 0 || errno == EINPROGRESS);
	p = (struct pollfd){.fd = c, .events = POLLOUT};
	CHECK_EQ_INT(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLOUT);
	CHECK_EQ_INT(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ_INT(err, 0);
	/* Linux: the call after completion says 0 once, then EISCONN */
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EISCONN);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	close(s);
	close(c);
	close(l);
}

static void peek_and_fionread(void)
{
	char buf[16] = {0};
	struct pollfd p;
	int c, s, n = -1;

	if (!CHECK_EQ_INT(pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(send(c, "hello", 5, 0), 5);
	p = (struct pollfd){.fd = s, .events = POLLIN};
	CHECK_EQ_INT(poll(&p, 1, 5000), 1);
	CHECK_EQ_INT(ioctl(s, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_PEEK), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_EQ_INT(recv(s, buf, 2, 0), 2);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 3);
	CHECK_EQ_MEM(buf, "llo", 3);
	CHECK_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(c);
	close(s);
}

static void epipe_after_peer_closed(void)
{
	char buf[1024] = {0};
	int c, s, i;
	ssize_t r = 0;

	if (!CHECK_EQ_INT(pair(&c, &s), 0))
		return;
	close(s);
	/* the first send draws the peer's reset; a later one fails */
	for (i = 0; i < 200; i++) {
		r = send(c, buf, sizeof(buf), MSG_NOSIGNAL);
		if (r < 0)
			break;
		usleep(10000);
	}
	CHECK_EQ_INT(r, -1);
	CHECK(errno == EPIPE || errno == ECONNRESET);
	close(c);
}

int main(void)
{
	abi_init("sock_tcp_basic");
	ABI_RUN(connect_and_accept_name_each_other);
	ABI_RUN(four_mib_arrive_in_order);
	ABI_RUN(refused_without_listener);
	ABI_RUN(nonblocking_connect_completes);
	ABI_RUN(peek_and_fionread);
	ABI_RUN(epipe_after_peer_closed);
	return abi_done();
}
