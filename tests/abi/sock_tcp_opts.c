/*
 * TCP socket options, binding and state over 127.0.0.1, as Linux behaves:
 * SO_TYPE/SO_PROTOCOL/SO_DOMAIN/SO_ACCEPTCONN, an unconnected socket's
 * errors, ephemeral ports in ip_local_port_range (bind to port 0, listen
 * unbound), SO_RCVBUF/SO_SNDBUF (doubled, floors, net.core.*mem_max),
 * EADDRINUSE and SO_REUSEADDR over TIME_WAIT, SO_REUSEADDR with one
 * listener, SO_REUSEPORT listeners sharing connections, TCP_NODELAY,
 * TCP_CORK, SO_KEEPALIVE and TCP_KEEPIDLE/INTVL/CNT, TCP_MAXSEG (and what
 * it does to a connection), TCP_INFO. The connections themselves are in
 * sock_tcp.c.
 */
#define _GNU_SOURCE
#include "tcp_common.h"

#include <stdbool.h>
#include <sys/stat.h>


static void socket_type_options(void)
{
	int fd = tcp_socket(0);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_ERROR), 0);
	close(fd);
	/* protocol 6 by number is the same socket */
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	close(fd);
	CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
}

static void unconnected_socket_errors(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = tcp_socket(0);
	char c;

	if (!CHECK(fd >= 0))
		return;
	CHECK_ERRNO(getpeername(fd, (struct sockaddr *)&a, &len), ENOTCONN);
	CHECK_ERRNO(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERRNO(recv(fd, &c, 1, 0), ENOTCONN);
	CHECK_ERRNO(shutdown(fd, SHUT_WR), ENOTCONN);
	CHECK_ERRNO(accept(fd, NULL, NULL), EINVAL);
	/* unbound: 0.0.0.0:0 */
	CHECK_EQ_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(a.sin_port, 0);
	CHECK_EQ_INT(a.sin_addr.s_addr, 0);
	close(fd);
}

static void listen_sets_so_acceptconn_and_ephemeral_port(void)
{
	int fd = tcp_socket(0);
	uint16_t p;

	if (!CHECK(fd >= 0))
		return;
	/* listen on an unbound socket binds an ephemeral port */
	CHECK_EQ_INT(listen(fd, 5), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	p = local_port(fd);
	CHECK(p >= EPHEMERAL_LOW && p <= EPHEMERAL_HIGH);
	/* listen again changes only the backlog */
	CHECK_EQ_INT(listen(fd, 10), 0);
	{
		struct sockaddr_in to = lo(p);

		CHECK_ERRNO(connect(fd, (struct sockaddr *)&to, sizeof(to)),
			    EISCONN);
	}
	close(fd);
}

static void bind_port0_is_ephemeral(void)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int fd = tcp_socket(0);
	uint16_t p;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	p = ntohs(a.sin_port);
	CHECK(p >= EPHEMERAL_LOW && p <= EPHEMERAL_HIGH);
	CHECK_EQ_INT(a.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	close(fd);
	fd = tcp_socket(0);
	a = lo(0);
	a.sin_family = AF_INET6;
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	a.sin_family = AF_INET;
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, 4), EINVAL);
	close(fd);
}

/* net.core.rmem_max / wmem_max, Linux's default 212992 without /proc. */
static long core_max(const char *name)
{
	char path[64], buf[32] = "212992";
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/core/%s", name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) <= 0)
			strcpy(buf, "212992");
		close(fd);
	}
	return strtol(buf, NULL, 10);
}

static void buffer_sizes_are_doubled_and_clamped(void)
{
	int fd = tcp_socket(0), min_r, min_s;

	if (!CHECK(fd >= 0))
		return;
	CHECK(getint(fd, SOL_SOCKET, SO_RCVBUF) > 0);
	CHECK(getint(fd, SOL_SOCKET, SO_SNDBUF) > 0);
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_RCVBUF, 65536), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_RCVBUF), 131072);
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_SNDBUF, 50000), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_SNDBUF), 100000);
	/* floors: SOCK_MIN_RCVBUF/SNDBUF, a few KiB */
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_RCVBUF, 1), 0);
	min_r = getint(fd, SOL_SOCKET, SO_RCVBUF);
	CHECK(min_r >= 2048 && min_r <= 8192);
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_SNDBUF, 0), 0);
	min_s = getint(fd, SOL_SOCKET, SO_SNDBUF);
	CHECK(min_s >= 2048 && min_s <= 8192);
	/* ceilings: net.core.rmem_max/wmem_max, doubled */
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_RCVBUF),
		     2 * core_max("rmem_max"));
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_SNDBUF, 1 << 30), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_SNDBUF),
		     2 * core_max("wmem_max"));
	/* a negative size is a huge unsigned one */
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_RCVBUF, 1), 0);
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_RCVBUF, -5), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_RCVBUF),
		     2 * core_max("rmem_max"));
	close(fd);
}

static bool wait_time_wait(unsigned lport, unsigned rport);

static void eaddrinuse_and_reuseaddr_over_time_wait(void)
{
	struct sockaddr_in a;
	int l = tcp_socket(0), l2, x, c, s;
	unsigned cp;
	char buf[4];

	if (!CHECK(l >= 0))
		return;
	/* a server's usual listener: SO_REUSEADDR */
	CHECK_EQ_INT(setint(l, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	CHECK_EQ_INT(getint(l, SOL_SOCKET, SO_REUSEADDR), 1);
	a = lo(0);
	socklen_t len = sizeof(a);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(l, (struct sockaddr *)&a, &len);
	CHECK_EQ_INT(listen(l, 4), 0);
	/* a listener's port is taken, even with SO_REUSEADDR */
	x = tcp_socket(0);
	CHECK_ERRNO(bind(x, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	setint(x, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK_ERRNO(bind(x, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(x);
	/* the server closes first: its end goes to TIME-WAIT on the port */
	c = tcp_connect(&a);
	s = accept(l, NULL, NULL);
	CHECK(c >= 0 && s >= 0);
	close(l);
	close(s);
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	cp = local_port(c);
	close(c);
	/* the server's end in TIME_WAIT (not FIN_WAIT_2) still holds it */
	CHECK(wait_time_wait(ntohs(a.sin_port), cp));
	x = tcp_socket(0);
	CHECK_ERRNO(bind(x, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(x);
	l2 = tcp_socket(0);
	setint(l2, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK_EQ_INT(bind(l2, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(listen(l2, 4), 0);
	c = tcp_connect(&a);
	CHECK(c >= 0);
	s = accept(l2, NULL, NULL);
	CHECK(s >= 0);
	close(c);
	close(s);
	close(l2);
}

/* Two bound sockets may share a port with SO_REUSEADDR; only one listens. */
static void reuseaddr_allows_one_listener(void)
{
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int x = tcp_socket(0), y = tcp_socket(0);

	if (!CHECK(x >= 0 && y >= 0))
		goto out;
	setint(x, SOL_SOCKET, SO_REUSEADDR, 1);
	setint(y, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK_EQ_INT(bind(x, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(x, (struct sockaddr *)&a, &len);
	CHECK_EQ_INT(bind(y, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(listen(x, 4), 0);
	CHECK_ERRNO(listen(y, 4), EADDRINUSE);
out:
	close(x);
	close(y);
}

static void reuseport_listeners_both_accept(void)
{
	enum { CLIENTS = 64 };
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof(a);
	int l[2] = {tcp_socket(SOCK_NONBLOCK), tcp_socket(SOCK_NONBLOCK)};
	int c[CLIENTS], got[2] = {0, 0}, x, i, tries;

	if (!CHECK(l[0] >= 0 && l[1] >= 0)) {
		close(l[0]);
		close(l[1]);
		return;
	}
	for (i = 0; i < 2; i++)
		CHECK_EQ_INT(setint(l[i], SOL_SOCKET, SO_REUSEPORT, 1), 0);
	CHECK_EQ_INT(getint(l[0], SOL_SOCKET, SO_REUSEPORT), 1);
	CHECK_EQ_INT(bind(l[0], (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(l[0], (struct sockaddr *)&a, &len);
	CHECK_EQ_INT(bind(l[1], (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ_INT(listen(l[0], CLIENTS), 0);
	CHECK_EQ_INT(listen(l[1], CLIENTS), 0);
	x = tcp_socket(0); /* without the option: taken */
	CHECK_ERRNO(bind(x, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(x);
	for (i = 0; i < CLIENTS; i++)
		c[i] = tcp_connect(&a);
	/* the 4-tuple hash spreads them: each gets some (all 64 on one
	 * listener has probability 2^-63) */
	for (tries = 0; got[0] + got[1] < CLIENTS && tries < 500; tries++) {
		int progress = 0;

		for (i = 0; i < 2; i++) {
			while ((x = accept(l[i], NULL, NULL)) >= 0) {
				close(x);
				got[i]++;
				progress = 1;
			}
		}
		if (!progress)
			usleep(10000);
	}
	CHECK_EQ_INT(got[0] + got[1], CLIENTS);
	CHECK(got[0] > 0);
	CHECK(got[1] > 0);
	for (i = 0; i < CLIENTS; i++)
		close(c[i]);
	close(l[0]);
	close(l[1]);
}

static void tcp_level_options(void)
{
	int fd = tcp_socket(0);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_CORK), 0);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_CORK, 1), 0);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_CORK), 1);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_CORK, 0), 0);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_CORK), 0);
	/* keepalive: Linux's defaults 7200 s, 75 s, 9 probes */
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	CHECK_EQ_INT(setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	CHECK_EQ_INT(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 30), 0);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_KEEPINTVL, 5), 0);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_KEEPCNT, 3), 0);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	/* out of range: 1..32767 s, 1..127 probes */
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_KEEPINTVL, 0), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_KEEPCNT, 0), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_KEEPCNT, 128), EINVAL);
	/* TCP_MAXSEG: 536 before a connection; 88..32767 or 0 to set */
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_MAXSEG, 87), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, TCP_MAXSEG, 32768), EINVAL);
	CHECK_EQ_INT(setint(fd, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	CHECK_EQ_INT(getint(fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, "", 0), EINVAL);
	CHECK_ERRNO(setint(fd, IPPROTO_TCP, 9999, 1), ENOPROTOOPT);
	close(fd);
}

static void tcp_maxseg_limits_the_connection(void)
{
	struct sockaddr_in la;
	int l = tcp_listener(&la, 4), c = tcp_socket(0), s, mss;

	if (!CHECK(l >= 0 && c >= 0))
		return;
	CHECK_EQ_INT(setint(c, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&la, sizeof(la)), 0);
	s = accept(l, NULL, NULL);
	mss = getint(c, IPPROTO_TCP, TCP_MAXSEG);
	CHECK(mss >= 500 && mss <= 1000);
	/* the peer was told our MSS: it sends no more than 1000 a segment */
	mss = getint(s, IPPROTO_TCP, TCP_MAXSEG);
	CHECK(mss >= 500 && mss <= 1000);
	close(s);
	close(c);
	close(l);
}

static void tcp_info_of_a_connection(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct sockaddr_in la;
	int l = tcp_listener(&la, 4), c, s;
	char buf[8];

	if (!CHECK(l >= 0))
		return;
	memset(&ti, 0xff, sizeof(ti));
	CHECK_EQ_INT(getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK_EQ_INT(ti.tcpi_state, 10); /* TCP_LISTEN */
	c = tcp_connect(&la);
	s = accept(l, NULL, NULL);
	CHECK(c >= 0 && s >= 0);
	/* a round trip of data so that the RTT has a sample */
	CHECK_EQ_INT(send(c, "ping", 4, 0), 4);
	CHECK_EQ_INT(tcp_recv_all(s, buf, 4), 4);
	CHECK_EQ_INT(send(s, "pong", 4, 0), 4);
	CHECK_EQ_INT(tcp_recv_all(c, buf, 4), 4);
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	CHECK_EQ_INT(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK(len >= 104 && len <= sizeof(ti)); /* up to tcpi_total_retrans */
	CHECK_EQ_INT(ti.tcpi_state, 1);		/* TCP_ESTABLISHED */
	CHECK(ti.tcpi_rtt > 0);
	CHECK(ti.tcpi_snd_mss > 0);
	CHECK(ti.tcpi_rcv_mss > 0);
	CHECK_EQ_INT(ti.tcpi_total_retrans, 0);
	/* a short buffer gets a prefix */
	len = 8;
	CHECK_EQ_INT(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK_EQ_INT(len, 8);
	close(c);
	close(s);
	close(l);
}

/* One /proc/net/tcp line, as Linux's tcp4_seq_show writes it. */
struct proc_tcp_line {
	unsigned laddr, lport, raddr, rport, st, txq, rxq;
	unsigned long ino;
	size_t width;
};

/* The line of /proc/net/tcp for (lport, rport, state); 0 if found. */
static int proc_tcp_find(unsigned lport, unsigned rport, unsigned st,
			 struct proc_tcp_line *out)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	int found = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "  sl  local_address rem_address   st", 36))
		found = -2;
	while (found == -1 && fgets(line, sizeof(line), f)) {
		struct proc_tcp_line l = {.width = strcspn(line, "\n")};

		if (sscanf(line,
			   " %*u: %x:%x %x:%x %x %x:%x %*x:%*x %*x %*u %*d %lu",
			   &l.laddr, &l.lport, &l.raddr, &l.rport, &l.st,
			   &l.txq, &l.rxq, &l.ino) == 8 &&
		    l.lport == lport && l.rport == rport && l.st == st) {
			*out = l;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Whether (lport, rport) reaches TIME_WAIT within 2 s. Linux handles
 * the FIN on loopback before close returns; Osprey's worker may take a
 * moment (the socket it reaches is closed). */
static bool wait_time_wait(unsigned lport, unsigned rport)
{
	struct proc_tcp_line pl;

	for (int i = 0; i < 200; i++) {
		if (!proc_tcp_find(lport, rport, 0x06, &pl))
			return true;
		usleep(10000);
	}
	return false;
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

static void proc_net_tcp_lists_sockets(void)
{
	struct sockaddr_in a;
	struct proc_tcp_line pl;
	int l = tcp_listener(&a, 4), c, s;
	unsigned lp = ntohs(a.sin_port), cp;
	char buf[8];

	c = tcp_connect(&a);
	s = accept(l, NULL, NULL);
	if (!CHECK(l >= 0 && c >= 0 && s >= 0))
		return;
	cp = local_port(c);
	CHECK_EQ_INT(tcp_send_all(c, "hello", 5), 5);
	CHECK(tcp_wait(s, POLLIN, 5000) & POLLIN);
	CHECK_EQ_INT(proc_tcp_find(lp, 0, 0x0a, &pl), 0);
	CHECK_EQ_INT(pl.laddr, htonl(INADDR_LOOPBACK));
	CHECK_EQ_INT(pl.raddr, 0);
	CHECK_EQ_INT(pl.ino, inode_of(l));
	CHECK_EQ_INT(pl.width, 149);
	CHECK_EQ_INT(proc_tcp_find(cp, lp, 0x01, &pl), 0);
	CHECK_EQ_INT(pl.ino, inode_of(c));
	CHECK_EQ_INT(proc_tcp_find(lp, cp, 0x01, &pl), 0);
	CHECK_EQ_INT(pl.ino, inode_of(s));
	CHECK_EQ_INT(pl.rxq, 5);
	CHECK_EQ_INT(pl.width, 149);
	/* the server closes first: its end stays in TIME_WAIT */
	CHECK_EQ_INT(tcp_recv_all(s, buf, 5), 5);
	close(s);
	CHECK_EQ_INT(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	CHECK(wait_time_wait(lp, cp));
	CHECK_EQ_INT(proc_tcp_find(lp, cp, 0x06, &pl), 0);
	CHECK_EQ_INT(pl.ino, 0);
	close(l);
	CHECK(proc_tcp_find(lp, 0, 0x0a, &pl) == -1);
}

int main(void)
{
	tcp_init("sock_tcp_opts");
	TCP_RUN(socket_type_options);
	TCP_RUN(unconnected_socket_errors);
	TCP_RUN(listen_sets_so_acceptconn_and_ephemeral_port);
	TCP_RUN(bind_port0_is_ephemeral);
	TCP_RUN(buffer_sizes_are_doubled_and_clamped);
	TCP_RUN(eaddrinuse_and_reuseaddr_over_time_wait);
	TCP_RUN(reuseaddr_allows_one_listener);
	TCP_RUN(reuseport_listeners_both_accept);
	TCP_RUN(tcp_level_options);
	TCP_RUN(tcp_maxseg_limits_the_connection);
	TCP_RUN(tcp_info_of_a_connection);
	TCP_RUN(proc_net_tcp_lists_sockets);
	return abi_done();
}
