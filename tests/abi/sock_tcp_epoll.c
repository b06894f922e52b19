/*
 * epoll on TCP sockets over 127.0.0.1, as Linux behaves: an
 * edge-triggered echo server (nonblocking listener, accept4, EPOLLRDHUP)
 * serving 100 clients connected at once, edge- against level-triggered
 * reporting, EPOLLONESHOT and its re-arm with EPOLL_CTL_MOD, and
 * EPOLLRDHUP/EPOLLHUP/EPOLLERR after shutdown and reset.
 *
 * `sock_tcp_epoll --serve PORT N` runs the same edge-triggered server on
 * 0.0.0.0:PORT for N connections from another machine (tests/net/run.sh
 * drives it from the host over the TAP with `tcp_stream ping`), prints
 * "sock_tcp_epoll: serving on PORT" once it listens, and checks what it
 * served; each client sends a message, reads its echo, shuts down its
 * sending side and reads EOF.
 */
#define _GNU_SOURCE
#include "tcp_common.h"

#include <pthread.h>
#include <sys/epoll.h>

#define CLIENTS 100
#define MSG 16

/* What the server did (written by its thread, read after the join). */
struct server {
	int listener;
	int want;	   /* connections to serve, then stop */
	int timeout_ms;	   /* the longest wait for an event */
	int served;	   /* connections closed after their EOF */
	int rdhup;	   /* ... on an event that had EPOLLRDHUP */
	int echoed;	   /* bytes echoed */
	int accept_errors; /* accept4 failures other than EAGAIN */
};

static void serve_accept(struct server *sv, int ep)
{
	for (;;) {
		int fd = accept4(sv->listener, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events =
					     EPOLLIN | EPOLLRDHUP | EPOLLET};

		if (fd < 0) {
			if (errno != EAGAIN)
				sv->accept_errors++;
			return;
		}
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			close(fd);
	}
}

/*
 * Edge-triggered: read until EAGAIN (or EOF) before echoing, so that the
 * client's shutdown, sent only after it has the echo, comes as a new edge.
 */
static void serve_conn(struct server *sv, int fd, uint32_t events)
{
	char buf[4096], out[4096];
	size_t n = 0;
	ssize_t r = -1;

	while (n < sizeof(out)) {
		r = recv(fd, buf, sizeof(out) - n, 0);
		if (r <= 0)
			break;
		memcpy(out + n, buf, (size_t)r);
		n += (size_t)r;
	}
	if (n && tcp_send_all(fd, out, n) == (ssize_t)n)
		sv->echoed += (int)n;
	if (r == 0) {
		sv->served++;
		sv->rdhup += !!(events & EPOLLRDHUP);
		close(fd);
	} else if (r < 0 && errno != EAGAIN) {
		close(fd);
	}
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, evs[32];
	int ep = epoll_create1(EPOLL_CLOEXEC), n;

	ev.data.fd = sv->listener;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sv->listener, &ev))
		return NULL;
	while (sv->served < sv->want &&
	       (n = epoll_wait(ep, evs, 32, sv->timeout_ms)) > 0) {
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sv->listener)
				serve_accept(sv, ep);
			else
				serve_conn(sv, evs[i].data.fd, evs[i].events);
		}
	}
	close(ep);
	return NULL;
}

/* The clients' side: all connect, then all send, read, shut down, read. */
static int run_clients(const struct sockaddr_in *a, int count)
{
	static int c[CLIENTS];
	int ok = 0, i;

	for (i = 0; i < count; i++)
		c[i] = tcp_connect(a);
	for (i = 0; i < count; i++) {
		char msg[MSG];

		snprintf(msg, sizeof(msg), "client %8d", i);
		if (c[i] >= 0)
			send(c[i], msg, MSG, 0);
	}
	for (i = 0; i < count; i++) {
		char want[MSG], got[MSG + 1];

		snprintf(want, sizeof(want), "client %8d", i);
		if (c[i] < 0 || tcp_recv_all(c[i], got, MSG) != MSG ||
		    memcmp(got, want, MSG))
			continue;
		if (shutdown(c[i], SHUT_WR) == 0 &&
		    recv(c[i], got, sizeof(got), 0) == 0)
			ok++;
	}
	for (i = 0; i < count; i++)
		close(c[i]);
	return ok;
}

static void check_served(const struct server *sv, int count)
{
	CHECK_EQ_INT(sv->served, count);
	CHECK_EQ_INT(sv->rdhup, count);
	CHECK_EQ_INT(sv->echoed, count * MSG);
	CHECK_EQ_INT(sv->accept_errors, 0);
}

static void edge_triggered_server_with_rdhup(void)
{
	struct server sv = {.want = CLIENTS, .timeout_ms = 10000};
	struct sockaddr_in la;
	pthread_t t;

	sv.listener = tcp_listener(&la, 128);
	if (!CHECK(sv.listener >= 0))
		return;
	fcntl(sv.listener, F_SETFL, O_NONBLOCK);
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, server_main, &sv), 0))
		return;
	CHECK_EQ_INT(run_clients(&la, CLIENTS), CLIENTS);
	pthread_join(t, NULL);
	check_served(&sv, CLIENTS);
	close(sv.listener);
}

static int wait_events(int ep, int ms, uint32_t *events)
{
	struct epoll_event ev = {0};
	int n = epoll_wait(ep, &ev, 1, ms);

	if (events)
		*events = n == 1 ? ev.events : 0;
	return n;
}

static void edge_and_level_triggered(void)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	int c, s, et = epoll_create1(0), lt = epoll_create1(0);
	uint32_t got;
	char buf[8];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(epoll_ctl(et, EPOLL_CTL_ADD, s, &ev), 0);
	ev.events = EPOLLIN;
	CHECK_EQ_INT(epoll_ctl(lt, EPOLL_CTL_ADD, s, &ev), 0);
	CHECK_EQ_INT(wait_events(et, 0, NULL), 0);
	CHECK_EQ_INT(send(c, "a", 1, 0), 1);
	CHECK_EQ_INT(wait_events(et, 5000, &got), 1);
	CHECK_EQ_INT(got, EPOLLIN);
	/* not read: edge-triggered says nothing more, level-triggered does */
	CHECK_EQ_INT(wait_events(et, 0, NULL), 0);
	CHECK_EQ_INT(wait_events(lt, 0, &got), 1);
	CHECK_EQ_INT(wait_events(lt, 0, &got), 1);
	/* new data is a new edge */
	CHECK_EQ_INT(send(c, "b", 1, 0), 1);
	CHECK_EQ_INT(wait_events(et, 5000, &got), 1);
	CHECK_EQ_INT(recv(s, buf, sizeof(buf), 0), 2);
	CHECK_EQ_INT(wait_events(lt, 0, NULL), 0);
	close(et);
	close(lt);
	close(c);
	close(s);
}

static void epolloneshot_rearm(void)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
	int c, s, ep = epoll_create1(0);
	uint32_t got;
	char buf[8];

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	ev.data.u64 = 42;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
	CHECK_EQ_INT(send(c, "a", 1, 0), 1);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	CHECK_EQ_INT(got, EPOLLIN);
	/* disarmed: neither the unread byte nor new data reports */
	CHECK_EQ_INT(send(c, "b", 1, 0), 1);
	CHECK_EQ_INT(wait_events(ep, 100, NULL), 0);
	/* re-armed: the pending data reports at once, once */
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), 0);
	CHECK_EQ_INT(wait_events(ep, 0, &got), 1);
	CHECK_EQ_INT(wait_events(ep, 0, NULL), 0);
	CHECK_EQ_INT(tcp_recv_all(s, buf, 2), 2);
	/* re-armed with nothing pending: the next data reports */
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), 0);
	CHECK_EQ_INT(wait_events(ep, 0, NULL), 0);
	CHECK_EQ_INT(send(c, "c", 1, 0), 1);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	/* still registered though disarmed: ADD again is EEXIST */
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), EEXIST);
	close(ep);
	close(c);
	close(s);
}

static void epollrdhup_epollhup_epollerr(void)
{
	struct epoll_event ev = {.events =
				     EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
	int c, s, ep = epoll_create1(0);
	uint32_t got;

	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	CHECK_EQ_INT(got, EPOLLOUT);
	CHECK_EQ_INT(shutdown(c, SHUT_WR), 0);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	CHECK_EQ_INT(got, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	CHECK_EQ_INT(shutdown(s, SHUT_WR), 0);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	CHECK(got & EPOLLHUP);
	close(c);
	close(s);
	/* a reset */
	if (!CHECK_EQ_INT(tcp_pair(&c, &s), 0))
		return;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	setsockopt(c, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
		   sizeof(struct linger));
	close(c);
	CHECK_EQ_INT(wait_events(ep, 5000, &got), 1);
	CHECK_EQ_INT(got & (EPOLLERR | EPOLLHUP | EPOLLRDHUP),
		     EPOLLERR | EPOLLHUP | EPOLLRDHUP);
	close(ep);
	close(s);
}

/* --serve PORT N: the edge-triggered server for the host, over the TAP. */
static int serve(long port, long count)
{
	struct sockaddr_in a = tcp_addr(INADDR_ANY, (uint16_t)port);
	struct server sv = {.want = (int)count, .timeout_ms = 60000};
	int one = 1;

	abi_init("sock_tcp_epoll");
	abi_case = "serve";
	sv.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(sv.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!CHECK_EQ_INT(bind(sv.listener, (struct sockaddr *)&a, sizeof(a)),
			  0) ||
	    !CHECK_EQ_INT(listen(sv.listener, 128), 0))
		return abi_done();
	printf("sock_tcp_epoll: serving on %ld\n", port);
	server_main(&sv);
	check_served(&sv, (int)count);
	close(sv.listener);
	return abi_done();
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--serve")) {
		long port = strtol(argv[2], NULL, 10);
		long count = strtol(argv[3], NULL, 10);

		if (port > 0 && port < 65536 && count > 0 && count <= 10000)
			return serve(port, count);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: sock_tcp_epoll [--serve PORT N]\n");
		return 2;
	}
	tcp_init("sock_tcp_epoll");
	TCP_RUN(edge_triggered_server_with_rdhup);
	TCP_RUN(edge_and_level_triggered);
	TCP_RUN(epolloneshot_rearm);
	TCP_RUN(epollrdhup_epollhup_epollerr);
	return abi_done();
}
