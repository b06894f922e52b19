/*
 * Helpers shared by the TCP ABI tests (sock_tcp.c, sock_tcp_epoll.c): a
 * watchdog per case, sockets on 127.0.0.1 whose blocking calls give up
 * after TCP_IO_TIMEOUT_S (SO_RCVTIMEO/SO_SNDTIMEO, also bounding a blocking
 * connect), so that a stack that loses a segment fails a check instead of
 * hanging, and a pseudo-random byte stream with its checksum for large
 * transfers.
 */
#ifndef TESTS_ABI_TCP_COMMON_H
#define TESTS_ABI_TCP_COMMON_H

#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#define TCP_IO_TIMEOUT_S 10
#define TCP_WATCHDOG_S 60

static ABI_UNUSED void tcp_on_watchdog(int sig)
{
	char buf[256];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "FAIL %s:%s: the case ends within %d s: expected true, "
		     "got false (watchdog)\n"
		     "abi %s: %d passed, %d failed\n",
		     abi_test, abi_case, TCP_WATCHDOG_S, abi_test, abi_passed,
		     abi_failed + 1);
	if (write(1, buf, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

/* ABI_RUN under the watchdog (tcp_on_watchdog installed by main). */
#define TCP_RUN(fn)                                                            \
	do {                                                                   \
		alarm(TCP_WATCHDOG_S);                                         \
		ABI_RUN(fn);                                                   \
		alarm(0);                                                      \
	} while (0)

static ABI_UNUSED void tcp_init(const char *name)
{
	abi_init(name);
	signal(SIGALRM, tcp_on_watchdog);
}

static ABI_UNUSED struct sockaddr_in tcp_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(ip)};

	return a;
}

#define EPHEMERAL_LOW 32768 /* Linux's net.ipv4.ip_local_port_range */
#define EPHEMERAL_HIGH 60999

static ABI_UNUSED struct sockaddr_in lo(uint16_t port)
{
	return tcp_addr(INADDR_LOOPBACK, port);
}

/* An int socket option's value, -1 if getsockopt fails. */
static ABI_UNUSED int getint(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &len))
		return -1;
	return v;
}

static ABI_UNUSED int setint(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static ABI_UNUSED uint16_t local_port(int fd)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* A TCP socket (flags: SOCK_NONBLOCK, SOCK_CLOEXEC) with bounded waits. */
static ABI_UNUSED int tcp_socket(int flags)
{
	struct timeval tv = {.tv_sec = TCP_IO_TIMEOUT_S};
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A listener on 127.0.0.1, port from the kernel (in *addr); -1 on failure. */
static ABI_UNUSED int tcp_listener(struct sockaddr_in *addr, int backlog)
{
	struct sockaddr_in a = tcp_addr(INADDR_LOOPBACK, 0);
	socklen_t len = sizeof(a);
	int fd = tcp_socket(0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		close(fd);
		return -1;
	}
	if (addr)
		*addr = a;
	return fd;
}

/* A blocking socket connected to *a; -1 on failure. */
static ABI_UNUSED int tcp_connect(const struct sockaddr_in *a)
{
	int fd = tcp_socket(0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair over 127.0.0.1: *c the client, *s the accepted end. */
static ABI_UNUSED int tcp_pair(int *c, int *s)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a, 4);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = tcp_connect(&a);
	if (*c >= 0)
		*s = accept(l, NULL, NULL);
	close(l);
	if (*s < 0) {
		if (*c >= 0)
			close(*c);
		*c = -1;
		return -1;
	}
	return 0;
}

/* poll's revents for one fd after at most ms milliseconds (0: none). */
static ABI_UNUSED short tcp_wait(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};

	if (poll(&p, 1, ms) != 1)
		return 0;
	return p.revents;
}

/* Writes all n bytes (looping over short writes); n, or -1. */
static ABI_UNUSED ssize_t tcp_send_all(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r =
		    send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* Reads exactly n bytes unless EOF or an error comes first: the count. */
static ABI_UNUSED ssize_t tcp_recv_all(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = recv(fd, (char *)buf + done, n - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/*
 * The test stream: xorshift64 from a seed fills 8 bytes at a time, so
 * any chunking of the stream gives the same bytes; the checksum is
 * FNV-1a 64 over the bytes.
 */
struct tcp_stream {
	uint64_t state;
	uint64_t sum;
};

static ABI_UNUSED void tcp_stream_init(struct tcp_stream *s, uint64_t seed)
{
	s->state = seed ? seed : 0x9e3779b97f4a7c15ull;
	s->sum = 0xcbf29ce484222325ull;
}

/* Fills buf with the stream's next n bytes (n a multiple of 8). */
static ABI_UNUSED void tcp_stream_fill(struct tcp_stream *s, void *buf,
				       size_t n)
{
	uint64_t *p = buf, x = s->state;

	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	s->state = x;
}

static ABI_UNUSED void tcp_stream_sum(struct tcp_stream *s, const void *buf,
				      size_t n)
{
	const unsigned char *p = buf;
	uint64_t h = s->sum;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	s->sum = h;
}

#endif
