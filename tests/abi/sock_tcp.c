/*
 * TCP connections over 127.0.0.1, client and server in one program, as
 * Linux behaves on lo: connect/accept/accept4 and the addresses both ends
 * see, 200 connections at once, half-close, RST on a close with unread
 * data (ECONNRESET, then EPIPE with SIGPIPE unless MSG_NOSIGNAL),
 * SO_LINGER {1,0}, nonblocking connect (EINPROGRESS, POLLOUT, SO_ERROR,
 * EALREADY, EISCONN; ECONNREFUSED), what a full listen backlog does,
 * MSG_PEEK/MSG_WAITALL/MSG_DONTWAIT, EOF, FIONREAD and SIOCOUTQ, poll's
 * POLLRDHUP and POLLHUP, and 64 MiB each way verified by checksum. Only
 * what Linux does deterministically: every wait is a poll with a bound,
 * no timing is asserted. Socket options, binding and TCP_INFO are in
 * sock_tcp_opts.c, epoll in sock_tcp_epoll.c.
 */
#define _GNU_SOURCE
#include "tcp_common.h"

#include <linux/sockios.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/ioctl.h>

#define MANY 200
#define BIG_BYTES (64u << 20)
#define CHUNK (64u << 10)

static void connect_and_accept_see_both_addresses(void)
{
	struct sockaddr_in la, ca, sa, peer;
	socklen_t len;
	int l = tcp_listener(&la, 4), c, s;
	char buf[16];

	if (!CHECK(l >= 0))
		return;
	c = tcp_connect(&la);
	if (!CHECK(c >= 0))
		goto out_l;
	len = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	s = accept(l, (struct sockaddr *)&peer, &len);
	if (!CHECK(s >= 0))
		goto out_c;
	CHECK_EQ_INT(len, sizeof(struct sockaddr_in));
	len = sizeof(ca);
	CHECK_EQ_INT(getsockname(c, (struct sockaddr *)&ca, &len), 0);
	CHECK_EQ_INT(peer.sin_family, AF_INET);
	CHECK_EQ_INT(peer.sin_port, ca.sin_port);
	CHECK_EQ_INT(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK(ntohs(ca.sin_port) >= EPHEMERAL_LOW &&
	      ntohs(ca.sin_port) <= EPHEMERAL_HIGH);
	/* the accepted socket's own address is the listener's */
	len = sizeof(sa);
	CHECK_EQ_INT(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	CHECK_EQ_INT(sa.sin_port, la.sin_port);
	len = sizeof(peer);
	CHECK_EQ_INT(getpeername(c, (struct sockaddr *)&peer, &len), 0);
	CHECK_EQ_INT(peer.sin_port, la.sin_port);
	len = sizeof(peer);
	CHECK_EQ_INT(getpeername(s, (struct sockaddr *)&peer, &len), 0);
	CHECK_EQ_INT(peer.sin_port, ca.sin_port);
	CHECK_EQ_INT(getint(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
	CHECK_EQ_INT(send(c, "hello", 5, 0), 5);
	CHECK_EQ_INT(tcp_recv_all(s, buf, 5), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_EQ_INT(write(s, "back", 4), 4);
	CHECK_EQ_INT(tcp_recv_all(c, buf, 4), 4);
	CHECK_EQ_MEM(buf, "back", 4);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, sizeof(la)), EISCONN);
	close(s);
out_c:
	close(c);
out_l:
	close(l);
}

static void accept4_flags(void)
{
	struct sockaddr_in la;
	int l = tcp_listener(&la, 4), c, s;

	if (!CHECK(l >= 0))
		return;
	CHECK_ERRNO(accept4(l, NULL, NULL, 0x40000000), EINVAL);
	CHECK_EQ_INT(fcntl(l, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERRNO(accept4(l, NULL, NULL, SOCK_NONBLOCK), EAGAIN);
	c = tcp_connect(&la);
	CHECK(tcp_wait(l, POLLIN, 5000) == POLLIN);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (CHECK(s >= 0)) {
		CHECK_EQ_INT(fcntl(s, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ_INT(fcntl(s, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		CHECK_ERRNO(recv(s, &la, 1, 0), EAGAIN);
		close(s);
	}
	CHECK_ERRNO(accept4(l, NULL, NULL, 0), EAGAIN);
	/* plain accept: neither flag, whatever the listener has */
	close(c);
	c = tcp_connect(&la);
	CHECK(tcp_wait(l, POLLIN, 5000) == POLLIN);
	s = accept(l, NULL, NULL);
	if (CHECK(s >= 0)) {
		CHECK_EQ_INT(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
		CHECK_EQ_INT(fcntl(s, F_GETFD) & FD_CLOEXEC, 0);
		close(s);
	}
	close(c);
	close(l);
}

/* MANY clients connect before any is accepted; each exchanges its index. */
static void many_connections_at_once(void)
{
	static int c[MANY], s[MANY];
	struct sockaddr_in la;
	int l = tcp_listener(&la, 256), n = 0, ok = 0, i;

	if (!CHECK(l >= 0))
		return;
	for (i = 0; i < MANY; i++)
		n += (c[i] = tcp_connect(&la)) >= 0;
	CHECK_EQ_INT(n, MANY);
	for (i = 0, n = 0; i < MANY; i++)
		n += (s[i] = accept(l, NULL, NULL)) >= 0;
	CHECK_EQ_INT(n, MANY);
	for (i = 0, n = 0; i < MANY; i++)
		n += c[i] >= 0 && send(c[i], &i, sizeof(i), 0) == sizeof(i);
	CHECK_EQ_INT(n, MANY); /* a send that fails (ENOBUFS) is not a hang */
	/* accept's order is the handshakes' order: s[i] talks to c[i] */
	for (i = 0; i < MANY; i++) {
		int got = -1, back = -1;

		if (s[i] < 0 || tcp_recv_all(s[i], &got, sizeof(got)) != 4 ||
		    got != i)
			continue;
		got += 1000;
		if (!CHECK_EQ_INT(send(s[i], &got, sizeof(got), 0), 4))
			break;
		if (tcp_recv_all(c[i], &back, sizeof(back)) == 4 &&
		    back == i + 1000)
			ok++;
	}
	CHECK_EQ_INT(ok, MANY);
	for (i = 0; i < MANY; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(l);
}

static void half_close(void)
{
	int c, s;
	char buf[16];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(send(c, "last", 4, 0), 4);
	CHECK_EQ_INT(shutdown(c, SHUT_WR), 0);
	CHECK_EQ_INT(tcp_recv_all(s, buf, 4), 4);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 0); /* EOF */
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 0); /* and again */
	/* the other direction still works */
	CHECK_EQ_INT(send(s, "reply", 5, 0), 5);
	CHECK_EQ_INT(tcp_recv_all(c, buf, 5), 5);
	CHECK_EQ_MEM(buf, "reply", 5);
	CHECK_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ_INT(shutdown(c, SHUT_WR), 0); /* twice is fine */
	CHECK_ERRNO(shutdown(c, 7), EINVAL);
	CHECK_EQ_INT(shutdown(s, SHUT_WR), 0);
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	close(s);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* RFC 9293 3.6.1 / RFC 2525: a close with unread data sends RST. */
static void close_with_unread_data_resets(void)
{
	struct sigaction sa = {.sa_handler = on_sigpipe}, old;
	int c, s;
	char buf[16];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	sigaction(SIGPIPE, &sa, &old);
	CHECK_EQ_INT(send(c, "unread", 6, 0), 6);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLIN);
	close(s);
	CHECK(tcp_wait(c, POLLIN, 5000) & (POLLERR | POLLHUP));
	CHECK_ERRNO(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	/* the error is reported once; the connection stays dead */
	CHECK_EQ_INT(getint(c, SOL_SOCKET, SO_ERROR), 0);
	sigpipes = 0;
	CHECK_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ_INT(sigpipes, 0);
	CHECK_ERRNO(send(c, "x", 1, 0), EPIPE);
	CHECK_EQ_INT(sigpipes, 1);
	CHECK_ERRNO(write(c, "x", 1), EPIPE);
	CHECK_EQ_INT(sigpipes, 2);
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	sigaction(SIGPIPE, &old, NULL);
	close(c);
}

static void so_linger_zero_resets(void)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0}, got = {9, 9};
	socklen_t len = sizeof(got);
	int c, s;
	char buf[4];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(getsockopt(c, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK_EQ_INT(got.l_onoff, 0);
	CHECK_EQ_INT(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	len = sizeof(got);
	CHECK_EQ_INT(getsockopt(c, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	CHECK_EQ_INT(got.l_onoff, 1);
	CHECK_EQ_INT(got.l_linger, 0);
	CHECK_EQ_INT(len, sizeof(struct linger));
	close(c);
	CHECK(tcp_wait(s, POLLIN, 5000) & (POLLERR | POLLHUP));
	CHECK_EQ_INT(getint(s, SOL_SOCKET, SO_ERROR), ECONNRESET);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 0);
	close(s);
}

/* A port that answers SYN with RST: bound, not listening. */
static int closed_port(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = tcp_socket(0);

	*a = lo(0);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)a, sizeof(*a)) ||
			getsockname(fd, (struct sockaddr *)a, &len))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A refused socket that connects again and is reset at once: it leaves
 * the flow table twice within about one RCU grace period, the second
 * time while the first table reference still waits to be dropped (the
 * kernel once queued the same rcu_head twice and panicked in free). */
static void refused_then_connected_and_reset_repeatedly(void)
{
	struct sockaddr_in a, la;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int hold = closed_port(&a), l = tcp_listener(&la, 64), i, ok = 0;

	if (!CHECK(hold >= 0 && l >= 0))
		return;
	for (i = 0; i < 64; i++) {
		int c = tcp_socket(0);

		if (c < 0)
			break;
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 &&
		    errno == ECONNREFUSED &&
		    !connect(c, (struct sockaddr *)&la, sizeof(la)) &&
		    !setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			ok++;
		close(c); /* a reset: unhashed again */
	}
	CHECK_EQ_INT(ok, 64);
	close(l);
	close(hold);
}

static void nonblocking_connect_to_a_listener(void)
{
	struct sockaddr_in la;
	int l = tcp_listener(&la, 4), c = tcp_socket(SOCK_NONBLOCK), s;

	if (!CHECK(l >= 0 && c >= 0))
		return;
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, sizeof(la)),
		    EINPROGRESS);
	CHECK(tcp_wait(c, POLLOUT, 5000) == POLLOUT);
	CHECK_EQ_INT(getint(c, SOL_SOCKET, SO_ERROR), 0);
	/* Linux: connect again completes the nonblocking connect, then
	 * EISCONN */
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&la, sizeof(la)), 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, sizeof(la)), EISCONN);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK_EQ_INT(send(c, "nb", 2, 0), 2);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLIN);
	close(s);
	close(c);
	close(l);
}

static void connect_to_a_closed_port_is_refused(void)
{
	struct sockaddr_in a;
	int hold = closed_port(&a), c;
	char buf[4];

	if (!CHECK(hold >= 0))
		return;
	c = tcp_socket(SOCK_NONBLOCK);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EINPROGRESS);
	CHECK(tcp_wait(c, POLLOUT, 5000) & POLLOUT);
	CHECK(tcp_wait(c, 0, 0) & POLLERR);
	CHECK_EQ_INT(getint(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	CHECK_EQ_INT(getint(c, SOL_SOCKET, SO_ERROR), 0); /* read once */
	/* Linux: the refused socket is done, reads give EOF */
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	/* blocking */
	c = tcp_socket(0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	/* after a refusal the socket may connect again: to a listener */
	{
		struct sockaddr_in la;
		int l = tcp_listener(&la, 1);

		CHECK_EQ_INT(connect(c, (struct sockaddr *)&la, sizeof(la)), 0);
		close(l);
	}
	close(c);
	close(hold);
}

/*
 * Linux's listen backlog: the accept queue holds backlog + 1 connections;
 * a SYN that finds it full is dropped (the client stays in SYN-SENT and
 * retransmits), and completes once accept makes room.
 */
static void a_full_backlog_holds_the_syn(void)
{
	struct sockaddr_in la;
	int l = tcp_listener(&la, 1), c1, c2, c3 = tcp_socket(SOCK_NONBLOCK);
	int s, n = 0;

	if (!CHECK(l >= 0 && c3 >= 0))
		return;
	c1 = tcp_connect(&la);
	c2 = tcp_connect(&la);
	CHECK(c1 >= 0 && c2 >= 0);
	CHECK_ERRNO(connect(c3, (struct sockaddr *)&la, sizeof(la)),
		    EINPROGRESS);
	CHECK_EQ_INT(tcp_wait(c3, POLLOUT, 300), 0);
	CHECK_ERRNO(connect(c3, (struct sockaddr *)&la, sizeof(la)), EALREADY);
	/* room for one: the retransmitted SYN (1 s) gets through */
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	close(s);
	CHECK(tcp_wait(c3, POLLOUT, 8000) == POLLOUT);
	CHECK_EQ_INT(getint(c3, SOL_SOCKET, SO_ERROR), 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	while (n < 2 && tcp_wait(l, POLLIN, 5000) == POLLIN &&
	       (s = accept(l, NULL, NULL)) >= 0) {
		close(s);
		n++;
	}
	CHECK_EQ_INT(n, 2);
	close(c1);
	close(c2);
	close(c3);
	close(l);
}

static void peek_waitall_dontwait_and_eof(void)
{
	int c, s, n = -1;
	char buf[32];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ_INT(ioctl(s, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(send(c, "hello world", 11, 0), 11);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLIN);
	CHECK_EQ_INT(ioctl(s, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 11);
	CHECK_EQ_INT(ioctl(s, SIOCINQ, &n), 0);
	CHECK_EQ_INT(n, 11);
	CHECK_EQ_INT(recv(s, buf, 5, MSG_PEEK), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_PEEK), 11);
	CHECK_EQ_INT(recv(s, buf, 6, 0), 6);
	CHECK_EQ_MEM(buf, "hello ", 6);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), 5);
	CHECK_EQ_MEM(buf, "world", 5);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 5);
	CHECK_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* peer closes: EOF, for ever */
	close(c);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLIN);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ_INT(read(s, buf, sizeof(buf)), 0);
	close(s);
}

struct paced {
	int fd;
	int pieces;
};

/* Sends 100-byte pieces 20 ms apart (MSG_WAITALL must gather them). */
static void *paced_writer(void *arg)
{
	struct paced *p = arg;
	char piece[100];

	for (int i = 0; i < p->pieces; i++) {
		memset(piece, 'a' + i, sizeof(piece));
		send(p->fd, piece, sizeof(piece), 0);
		usleep(20000);
	}
	return NULL;
}

static void msg_waitall_gathers_pieces(void)
{
	struct paced p = {.pieces = 5};
	pthread_t t;
	int c, s;
	char buf[500];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	p.fd = c;
	if (CHECK_EQ_INT(pthread_create(&t, NULL, paced_writer, &p), 0)) {
		CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_WAITALL), 500);
		CHECK_EQ_INT(buf[0], 'a');
		CHECK_EQ_INT(buf[499], 'e');
		pthread_join(t, NULL);
	}
	/* EOF ends a MSG_WAITALL short */
	CHECK_EQ_INT(send(c, "xyz", 3, 0), 3);
	close(c);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), MSG_WAITALL), 3);
	close(s);
}

/* SIOCOUTQ: bytes sent and not yet acknowledged, 0 once all are. */
static void siocoutq_counts_unacknowledged_bytes(void)
{
	static char buf[CHUNK];
	int c, s, n = -1, i;
	long sent = 0, got = 0;
	ssize_t r;

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(ioctl(c, SIOCOUTQ, &n), 0);
	CHECK_EQ_INT(n, 0);
	/* fill until the peer's window and our buffer are full; the send
	 * that ends the loop is the EAGAIN checked (a second one could find
	 * room that an ACK made meanwhile) */
	while ((r = send(c, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		sent += r;
	int err = errno;
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(err, EAGAIN);
	CHECK_EQ_INT(ioctl(c, SIOCOUTQ, &n), 0);
	CHECK(n > 0 && n <= sent);
	while (got < sent && tcp_wait(s, POLLIN, 5000) & POLLIN &&
	       (r = recv(s, buf, sizeof(buf), 0)) > 0)
		got += r;
	CHECK_EQ_INT(got, sent);
	for (i = 0; i < 500; i++) { /* the last ACK may still be on its way */
		if (ioctl(c, SIOCOUTQ, &n) || n == 0)
			break;
		usleep(10000);
	}
	CHECK_EQ_INT(n, 0);
	close(c);
	close(s);
}

/* poll after the peer's shutdown: POLLRDHUP; both directions shut: POLLHUP */
static void pollrdhup_and_pollhup(void)
{
	short want = POLLIN | POLLOUT | POLLRDHUP;
	int c, s;

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(tcp_wait(s, want, 0), POLLOUT);
	CHECK_EQ_INT(shutdown(c, SHUT_WR), 0);
	CHECK_EQ_INT(tcp_wait(s, POLLRDHUP, 5000), POLLRDHUP);
	CHECK_EQ_INT(tcp_wait(s, want, 0), POLLIN | POLLOUT | POLLRDHUP);
	/* c shut its sending side only: writable, not hung up */
	CHECK_EQ_INT(tcp_wait(c, want, 0), POLLOUT);
	CHECK_EQ_INT(shutdown(s, SHUT_WR), 0);
	CHECK(tcp_wait(s, 0, 0) & POLLHUP);
	CHECK(tcp_wait(c, POLLRDHUP, 5000) & POLLRDHUP);
	CHECK(tcp_wait(c, 0, 0) & POLLHUP);
	close(c);
	close(s);
	/* a reset: POLLERR and POLLHUP */
	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	setsockopt(c, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
		   sizeof(struct linger));
	close(c);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLHUP);
	CHECK_EQ_INT(tcp_wait(s, POLLIN | POLLOUT, 0) & (POLLERR | POLLHUP),
		     POLLERR | POLLHUP);
	close(s);
}

struct big_side {
	int fd;
	uint64_t seed;
	uint64_t bytes;
	uint64_t sum;
};

static void *big_writer(void *arg)
{
	static __thread uint64_t buf[CHUNK / 8];
	struct big_side *b = arg;
	struct tcp_stream st;

	tcp_stream_init(&st, b->seed);
	while (b->bytes < BIG_BYTES) {
		tcp_stream_fill(&st, buf, CHUNK);
		tcp_stream_sum(&st, buf, CHUNK);
		if (tcp_send_all(b->fd, buf, CHUNK) != CHUNK)
			break;
		b->bytes += CHUNK;
	}
	b->sum = st.sum;
	shutdown(b->fd, SHUT_WR);
	return NULL;
}

static void *big_reader(void *arg)
{
	static __thread char buf[CHUNK];
	struct big_side *b = arg;
	struct tcp_stream st;
	ssize_t r;

	tcp_stream_init(&st, 0);
	while ((r = recv(b->fd, buf, sizeof(buf), 0)) > 0 ||
	       (r < 0 && errno == EINTR)) {
		if (r > 0) {
			tcp_stream_sum(&st, buf, (size_t)r);
			b->bytes += (uint64_t)r;
		}
	}
	b->sum = st.sum;
	return NULL;
}

/* 64 MiB each way at once, a writer and a reader thread per direction. */
static void large_transfer_both_ways(void)
{
	struct big_side w[2] = {{.seed = 1}, {.seed = 2}}, r[2] = {{0}};
	pthread_t t[4];
	int c, s, n = 0;

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	w[0].fd = r[1].fd = c;
	w[1].fd = r[0].fd = s;
	for (int i = 0; i < 2; i++) {
		n += !pthread_create(&t[2 * i], NULL, big_writer, &w[i]);
		n += !pthread_create(&t[2 * i + 1], NULL, big_reader, &r[i]);
	}
	if (!CHECK_EQ_INT(n, 4))
		_exit(1); /* cannot join what did not start */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(w[0].bytes, BIG_BYTES);
	CHECK_EQ_INT(r[0].bytes, BIG_BYTES);
	CHECK(r[0].sum == w[0].sum);
	CHECK_EQ_INT(w[1].bytes, BIG_BYTES);
	CHECK_EQ_INT(r[1].bytes, BIG_BYTES);
	CHECK(r[1].sum == w[1].sum);
	close(c);
	close(s);
}

/* sendfile into a TCP socket, between writes, from an offset and from the
 * file's position: the reader gets the bytes in order (Osprey sends the
 * file's pages in place: the send queue then holds ring and file spans). */
#define SF_FILE (3 * 1024 * 1024 + 123)

static void *sf_reader(void *arg)
{
	struct big_side *b = arg;
	static __thread unsigned char buf[65536];
	uint64_t pos = 0;
	ssize_t r;

	b->sum = 0; /* mismatches */
	while ((r = recv(b->fd, buf, sizeof(buf), 0)) > 0 ||
	       (r < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < r; i++, pos++) {
			/* "HEAD", the file from 1000, "MID!", the file
			 * from its position 0, "TAIL" */
			uint64_t f1 = SF_FILE - 1000, p = pos;
			unsigned char want;

			if (p < 4)
				want = (unsigned char)"HEAD"[p];
			else if ((p -= 4) < f1)
				want = (unsigned char)((p + 1000) * 7 + 3);
			else if ((p -= f1) < 4)
				want = (unsigned char)"MID!"[p];
			else if ((p -= 4) < SF_FILE)
				want = (unsigned char)(p * 7 + 3);
			else
				want = (unsigned char)"TAIL"[p - SF_FILE];
			b->sum += buf[i] != want;
		}
	}
	b->bytes = pos;
	return NULL;
}

static void sendfile_into_a_socket_between_writes(void)
{
	char path[] = "/tmp/abi_sf_XXXXXX";
	unsigned char *data = malloc(SF_FILE);
	struct big_side r = {0};
	off_t off = 1000;
	pthread_t t;
	int c, s, fd = mkstemp(path);

	if (!CHECK(fd >= 0 && data) || !CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	unlink(path);
	for (size_t i = 0; i < SF_FILE; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	CHECK_EQ_INT(write(fd, data, SF_FILE), SF_FILE);
	lseek(fd, 0, SEEK_SET);
	r.fd = s;
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, sf_reader, &r), 0))
		_exit(1);
	CHECK_EQ_INT(write(c, "HEAD", 4), 4);
	CHECK_EQ_INT(sendfile(c, fd, &off, SF_FILE), SF_FILE - 1000);
	CHECK_EQ_INT(off, SF_FILE);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0); /* the offset was given */
	CHECK_EQ_INT(write(c, "MID!", 4), 4);
	CHECK_EQ_INT(sendfile(c, fd, NULL, SF_FILE + 5), SF_FILE);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), SF_FILE);
	CHECK_EQ_INT(sendfile(c, fd, NULL, 10), 0); /* at the end */
	CHECK_EQ_INT(write(c, "TAIL", 4), 4);
	shutdown(c, SHUT_WR);
	pthread_join(t, NULL);
	CHECK_EQ_INT(r.bytes, 2 * SF_FILE - 1000 + 12);
	CHECK_EQ_INT(r.sum, 0);
	close(c);
	close(s);
	close(fd);
	free(data);
}

int main(void)
{
	tcp_init("sock_tcp");
	TCP_RUN(connect_and_accept_see_both_addresses);
	TCP_RUN(accept4_flags);
	TCP_RUN(many_connections_at_once);
	TCP_RUN(half_close);
	TCP_RUN(close_with_unread_data_resets);
	TCP_RUN(so_linger_zero_resets);
	TCP_RUN(nonblocking_connect_to_a_listener);
	TCP_RUN(connect_to_a_closed_port_is_refused);
	TCP_RUN(refused_then_connected_and_reset_repeatedly);
	TCP_RUN(a_full_backlog_holds_the_syn);
	TCP_RUN(peek_waitall_dontwait_and_eof);
	TCP_RUN(msg_waitall_gathers_pieces);
	TCP_RUN(siocoutq_counts_unacknowledged_bytes);
	TCP_RUN(pollrdhup_and_pollhup);
	TCP_RUN(large_transfer_both_ways);
	TCP_RUN(sendfile_into_a_socket_between_writes);
	return abi_done();
}
