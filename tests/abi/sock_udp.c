/*
 * UDP sockets over 127.0.0.1, as Linux behaves on lo: bind to port 0 and
 * getsockname, sendto/recvfrom, connect with send/recv (and the filter a
 * connected socket applies), EADDRINUSE and SO_REUSEADDR, MSG_PEEK,
 * MSG_TRUNC, MSG_DONTWAIT and O_NONBLOCK (EAGAIN), SO_RCVTIMEO, FIONREAD,
 * poll and epoll readiness, sendmmsg/recvmmsg, a 60000-byte datagram and
 * EMSGSIZE past the largest, IP_PKTINFO, ECONNREFUSED after sending to a
 * closed port, EACCES for broadcast without SO_BROADCAST (nothing is
 * sent), and getaddrinfo("localhost") from /etc/hosts.
 */
#define _GNU_SOURCE
#include "common.h"

#include <linux/errqueue.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define BIG 60000
#define MAX_UDP 65507 /* 65535 less the IPv4 and UDP headers */

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	return a;
}

/* A socket bound to 127.0.0.1 on a port the kernel picks; -1 on failure. */
static int bound_socket(struct sockaddr_in *addr)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (addr)
		*addr = a;
	return fd;
}

static void bind_port0_and_getsockname(void)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int fd;

	if (!CHECK((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0))
		return;
	/* unbound: 0.0.0.0:0 */
	CHECK_EQ_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(a.sin_port, 0);
	CHECK_EQ_INT(a.sin_addr.s_addr, 0);
	a = loopback(0);
	CHECK_EQ_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	len = sizeof(a);
	CHECK_EQ_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(len, sizeof(struct sockaddr_in));
	CHECK_EQ_INT(a.sin_family, AF_INET);
	CHECK(ntohs(a.sin_port) != 0);
	CHECK_EQ_INT(a.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* a second bind fails */
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	CHECK_ERRNO(getpeername(fd, (struct sockaddr *)&a, &len), ENOTCONN);
	close(fd);
	/* a wrong family or a short address */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	a = loopback(0);
	a.sin_family = AF_INET6;
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	a.sin_family = AF_INET;
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, 4), EINVAL);
	close(fd);
}

static void sendto_and_recvfrom(void)
{
	struct sockaddr_in aa, ba, from;
	socklen_t len = sizeof(from);
	int a = bound_socket(&aa), b = bound_socket(&ba);
	char buf[64];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	CHECK_EQ_INT(
	    sendto(a, "ping", 4, 0, (struct sockaddr *)&ba, sizeof(ba)), 4);
	memset(&from, 0, sizeof(from));
	CHECK_EQ_INT(
	    recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len),
	    4);
	CHECK_EQ_MEM(buf, "ping", 4);
	CHECK_EQ_INT(len, sizeof(struct sockaddr_in));
	CHECK_EQ_INT(from.sin_port, aa.sin_port);
	CHECK_EQ_INT(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* an empty datagram is a datagram */
	CHECK_EQ_INT(sendto(b, "", 0, 0, (struct sockaddr *)&aa, sizeof(aa)),
		     0);
	CHECK_EQ_INT(recv(a, buf, sizeof(buf), 0), 0);
	/* an unbound socket gets a port when it first sends */
	{
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in ca;

		len = sizeof(ca);
		CHECK_EQ_INT(
		    sendto(c, "x", 1, 0, (struct sockaddr *)&ba, sizeof(ba)),
		    1);
		CHECK_EQ_INT(getsockname(c, (struct sockaddr *)&ca, &len), 0);
		CHECK(ca.sin_port != 0);
		len = sizeof(from);
		CHECK_EQ_INT(recvfrom(b, buf, sizeof(buf), 0,
				      (struct sockaddr *)&from, &len),
			     1);
		CHECK_EQ_INT(from.sin_port, ca.sin_port);
		close(c);
	}
	close(a);
	close(b);
}

static void connect_send_and_recv(void)
{
	struct sockaddr_in aa, ba, ca, peer;
	socklen_t len = sizeof(peer);
	int a = bound_socket(&aa), b = bound_socket(&ba), c = bound_socket(&ca);
	char buf[64];

	if (!CHECK(a >= 0 && b >= 0 && c >= 0))
		return;
	CHECK_ERRNO(send(a, "x", 1, 0), EDESTADDRREQ);
	CHECK_EQ_INT(connect(a, (struct sockaddr *)&ba, sizeof(ba)), 0);
	CHECK_EQ_INT(getpeername(a, (struct sockaddr *)&peer, &len), 0);
	CHECK_EQ_INT(peer.sin_port, ba.sin_port);
	CHECK_EQ_INT(send(a, "hello", 5, 0), 5);
	CHECK_EQ_INT(recv(b, buf, sizeof(buf), 0), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_EQ_INT(write(a, "w", 1), 1);
	CHECK_EQ_INT(read(b, buf, sizeof(buf)), 1);
	/* a connected socket takes datagrams only from its peer */
	CHECK_EQ_INT(
	    sendto(c, "other", 5, 0, (struct sockaddr *)&aa, sizeof(aa)), 5);
	CHECK_EQ_INT(
	    sendto(b, "peer", 4, 0, (struct sockaddr *)&aa, sizeof(aa)), 4);
	CHECK_EQ_INT(recv(a, buf, sizeof(buf), 0), 4);
	CHECK_EQ_MEM(buf, "peer", 4);
	CHECK_ERRNO(recv(a, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* AF_UNSPEC dissolves the association */
	{
		struct sockaddr un = {.sa_family = AF_UNSPEC};

		CHECK_EQ_INT(connect(a, &un, sizeof(un)), 0);
		len = sizeof(peer);
		CHECK_ERRNO(getpeername(a, (struct sockaddr *)&peer, &len),
			    ENOTCONN);
	}
	close(a);
	close(b);
	close(c);
}

static void eaddrinuse_and_so_reuseaddr(void)
{
	struct sockaddr_in aa;
	int a = bound_socket(&aa), b = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	int c, d, val = -1;
	socklen_t len = sizeof(val);

	if (!CHECK(a >= 0 && b >= 0))
		return;
	CHECK_ERRNO(bind(b, (struct sockaddr *)&aa, sizeof(aa)), EADDRINUSE);
	/* 0.0.0.0 on the same port overlaps too */
	{
		struct sockaddr_in any = aa;

		any.sin_addr.s_addr = htonl(INADDR_ANY);
		CHECK_ERRNO(bind(b, (struct sockaddr *)&any, sizeof(any)),
			    EADDRINUSE);
	}
	close(a);
	close(b);
	/* both with SO_REUSEADDR: the port is shared (UDP) */
	c = socket(AF_INET, SOCK_DGRAM, 0);
	d = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_EQ_INT(getsockopt(c, SOL_SOCKET, SO_REUSEADDR, &val, &len), 0);
	CHECK_EQ_INT(val, 0);
	CHECK_EQ_INT(setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
		     0);
	CHECK_EQ_INT(setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
		     0);
	len = sizeof(val);
	CHECK_EQ_INT(getsockopt(c, SOL_SOCKET, SO_REUSEADDR, &val, &len), 0);
	CHECK_EQ_INT(val, 1);
	aa = loopback(0);
	CHECK_EQ_INT(bind(c, (struct sockaddr *)&aa, sizeof(aa)), 0);
	len = sizeof(aa);
	getsockname(c, (struct sockaddr *)&aa, &len);
	CHECK_EQ_INT(bind(d, (struct sockaddr *)&aa, sizeof(aa)), 0);
	close(c);
	close(d);
}

static void msg_peek_leaves_the_datagram(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba);
	char buf[16];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	sendto(a, "first", 5, 0, (struct sockaddr *)&ba, sizeof(ba));
	sendto(a, "second", 6, 0, (struct sockaddr *)&ba, sizeof(ba));
	CHECK_EQ_INT(recv(b, buf, sizeof(buf), MSG_PEEK), 5);
	CHECK_EQ_MEM(buf, "first", 5);
	CHECK_EQ_INT(recv(b, buf, 2, MSG_PEEK), 2);
	CHECK_EQ_INT(recv(b, buf, sizeof(buf), 0), 5);
	CHECK_EQ_MEM(buf, "first", 5);
	CHECK_EQ_INT(recv(b, buf, sizeof(buf), 0), 6);
	CHECK_EQ_MEM(buf, "second", 6);
	close(a);
	close(b);
}

static void msg_trunc_reports_the_whole_length(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba);
	char buf[16];
	struct iovec iov = {buf, 4};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (!CHECK(a >= 0 && b >= 0))
		return;
	for (int i = 0; i < 3; i++)
		sendto(a, "0123456789", 10, 0, (struct sockaddr *)&ba,
		       sizeof(ba));
	/* a short buffer: the rest of the datagram is lost */
	CHECK_EQ_INT(recvmsg(b, &mh, 0), 4);
	CHECK(mh.msg_flags & MSG_TRUNC);
	CHECK_EQ_MEM(buf, "0123", 4);
	/* MSG_TRUNC: the datagram's real length */
	CHECK_EQ_INT(recv(b, buf, 4, MSG_TRUNC), 10);
	mh.msg_flags = 0;
	iov.iov_len = sizeof(buf);
	CHECK_EQ_INT(recvmsg(b, &mh, 0), 10);
	CHECK_EQ_INT(mh.msg_flags & MSG_TRUNC, 0);
	close(a);
	close(b);
}

static void nonblocking_reads_fail_with_eagain(void)
{
	int b = bound_socket(NULL);
	char buf[8];

	if (!CHECK(b >= 0))
		return;
	CHECK_ERRNO(recv(b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ_INT(fcntl(b, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERRNO(recv(b, buf, sizeof(buf), 0), EAGAIN);
	CHECK_ERRNO(read(b, buf, sizeof(buf)), EAGAIN);
	close(b);
	b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK_ERRNO(recv(b, buf, sizeof(buf), 0), EAGAIN);
	CHECK_EQ_INT(fcntl(b, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	close(b);
}

static void so_rcvtimeo_times_out_with_eagain(void)
{
	int b = bound_socket(NULL);
	struct timeval tv = {0, 100000}, got;
	socklen_t len = sizeof(got);
	long long t0, ms;
	char buf[8];

	if (!CHECK(b >= 0))
		return;
	CHECK_EQ_INT(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		     0);
	CHECK_EQ_INT(getsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	CHECK_EQ_INT(got.tv_sec * 1000000 + got.tv_usec, 100000);
	t0 = mono_ns();
	CHECK_ERRNO(recv(b, buf, sizeof(buf), 0), EAGAIN);
	ms = (mono_ns() - t0) / 1000000;
	CHECK(ms >= 90 && ms < 2000);
	close(b);
}

static void fionread_is_the_next_datagram(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba), n = -1;
	char buf[16];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	CHECK_EQ_INT(ioctl(b, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 0);
	sendto(a, "seven!!", 7, 0, (struct sockaddr *)&ba, sizeof(ba));
	sendto(a, "333", 3, 0, (struct sockaddr *)&ba, sizeof(ba));
	CHECK_EQ_INT(ioctl(b, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 7); /* Linux: the first datagram's size */
	recv(b, buf, sizeof(buf), 0);
	CHECK_EQ_INT(ioctl(b, FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 3);
	close(a);
	close(b);
}

static void poll_and_epoll_see_datagrams(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba), ep;
	struct pollfd p = {.fd = 0, .events = POLLIN | POLLOUT};
	struct epoll_event ev = {.events = EPOLLIN}, out[2];
	char buf[8];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	p.fd = b;
	CHECK_EQ_INT(poll(&p, 1, 0), 1);
	CHECK_EQ_INT(p.revents, POLLOUT);
	ep = epoll_create1(0);
	ev.data.fd = b;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);
	sendto(a, "x", 1, 0, (struct sockaddr *)&ba, sizeof(ba));
	CHECK_EQ_INT(poll(&p, 1, 1000), 1);
	CHECK_EQ_INT(p.revents, POLLIN | POLLOUT);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 1000), 1);
	CHECK_EQ_INT(out[0].events, EPOLLIN);
	CHECK_EQ_INT(out[0].data.fd, b);
	recv(b, buf, sizeof(buf), 0);
	CHECK_EQ_INT(epoll_wait(ep, out, 2, 0), 0);
	p.events = POLLIN;
	CHECK_EQ_INT(poll(&p, 1, 10), 0);
	close(ep);
	close(a);
	close(b);
}

static void sendmmsg_and_recvmmsg(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba);
	char out[3][8] = {"one", "two!", "three"}, in[4][8];
	struct mmsghdr sm[3], rm[4];
	struct iovec sv[3], rv[4];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	memset(sm, 0, sizeof(sm));
	memset(rm, 0, sizeof(rm));
	for (int i = 0; i < 3; i++) {
		sv[i] = (struct iovec){out[i], strlen(out[i])};
		sm[i].msg_hdr.msg_iov = &sv[i];
		sm[i].msg_hdr.msg_iovlen = 1;
		sm[i].msg_hdr.msg_name = &ba;
		sm[i].msg_hdr.msg_namelen = sizeof(ba);
	}
	for (int i = 0; i < 4; i++) {
		rv[i] = (struct iovec){in[i], sizeof(in[i])};
		rm[i].msg_hdr.msg_iov = &rv[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ_INT(sendmmsg(a, sm, 3, 0), 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(sm[i].msg_len, strlen(out[i]));
	CHECK_EQ_INT(recvmmsg(b, rm, 4, MSG_DONTWAIT, NULL), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(rm[i].msg_len, strlen(out[i]));
		CHECK_EQ_MEM(in[i], out[i], strlen(out[i]));
	}
	close(a);
	close(b);
}

static void a_60000_byte_datagram_and_emsgsize(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba);
	static char big[MAX_UDP + 2], got[MAX_UDP + 2];

	if (!CHECK(a >= 0 && b >= 0))
		return;
	for (int i = 0; i < BIG; i++)
		big[i] = (char)(i * 7 + i / 251);
	CHECK_EQ_INT(sendto(a, big, BIG, 0, (struct sockaddr *)&ba, sizeof(ba)),
		     BIG);
	CHECK_EQ_INT(recv(b, got, sizeof(got), 0), BIG);
	CHECK_EQ_MEM(got, big, BIG);
	CHECK_EQ_INT(
	    sendto(a, big, MAX_UDP, 0, (struct sockaddr *)&ba, sizeof(ba)),
	    MAX_UDP);
	CHECK_EQ_INT(recv(b, got, sizeof(got), 0), MAX_UDP);
	CHECK_ERRNO(
	    sendto(a, big, MAX_UDP + 1, 0, (struct sockaddr *)&ba, sizeof(ba)),
	    EMSGSIZE);
	close(a);
	close(b);
}

static void ip_pktinfo_names_the_destination(void)
{
	struct sockaddr_in ba;
	int a = bound_socket(NULL), b = bound_socket(&ba), one = 1;
	char buf[8], cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	struct in_pktinfo pi;

	if (!CHECK(a >= 0 && b >= 0))
		return;
	CHECK_EQ_INT(setsockopt(b, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)),
		     0);
	sendto(a, "pi", 2, 0, (struct sockaddr *)&ba, sizeof(ba));
	CHECK_EQ_INT(recvmsg(b, &mh, 0), 2);
	cm = CMSG_FIRSTHDR(&mh);
	if (!CHECK(cm != NULL))
		return;
	CHECK_EQ_INT(cm->cmsg_level, IPPROTO_IP);
	CHECK_EQ_INT(cm->cmsg_type, IP_PKTINFO);
	CHECK_EQ_INT(cm->cmsg_len, CMSG_LEN(sizeof(pi)));
	memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
	CHECK_EQ_INT(pi.ipi_ifindex, if_nametoindex("lo"));
	CHECK_EQ_INT(pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_EQ_INT(pi.ipi_spec_dst.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_EQ_INT(mh.msg_flags & MSG_CTRUNC, 0);
	close(a);
	close(b);
}

static void a_closed_port_gives_econnrefused(void)
{
	struct sockaddr_in gone;
	int g = bound_socket(&gone), a = bound_socket(NULL), err = -1;
	struct pollfd p = {.events = POLLIN};
	socklen_t len = sizeof(err);
	char buf[8];

	if (!CHECK(g >= 0 && a >= 0))
		return;
	close(g); /* nobody listens on gone's port now */
	CHECK_EQ_INT(connect(a, (struct sockaddr *)&gone, sizeof(gone)), 0);
	CHECK_EQ_INT(send(a, "x", 1, 0), 1);
	/* the ICMP port unreachable comes back as an error on the socket */
	p.fd = a;
	CHECK_EQ_INT(poll(&p, 1, 2000), 1);
	CHECK(p.revents & POLLERR);
	CHECK_ERRNO(recv(a, buf, sizeof(buf), 0), ECONNREFUSED);
	/* reported once */
	CHECK_ERRNO(recv(a, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* and through SO_ERROR, which clears it */
	CHECK_EQ_INT(send(a, "y", 1, 0), 1);
	CHECK_EQ_INT(poll(&p, 1, 2000), 1);
	CHECK_EQ_INT(getsockopt(a, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ_INT(err, ECONNREFUSED);
	CHECK_EQ_INT(getsockopt(a, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ_INT(err, 0);
	close(a);
}

/* IP_RECVERR (man 7 ip): an unconnected socket hears of the ICMP error
 * too, and its error queue gives the details with MSG_ERRQUEUE (glibc's
 * resolver sets the option and gives up on DNS if it fails). */
static void ip_recverr_queues_icmp_errors(void)
{
	struct sockaddr_in gone, from;
	int g = bound_socket(&gone), a = bound_socket(NULL), on = 1, got = 0;
	struct pollfd p = {.events = POLLIN};
	socklen_t len = sizeof(got);
	char buf[16], ctl[256];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {&from, sizeof(from), &iov, 1, ctl, sizeof(ctl), 0};

	if (!CHECK(g >= 0 && a >= 0))
		return;
	close(g);
	CHECK_ERRNO(recvmsg(a, &mh, MSG_ERRQUEUE), EAGAIN);
	CHECK_EQ_INT(setsockopt(a, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
	CHECK_EQ_INT(getsockopt(a, IPPROTO_IP, IP_RECVERR, &got, &len), 0);
	CHECK_EQ_INT(got, 1);
	CHECK_EQ_INT(sendto(a, "hello", 5, 0, (struct sockaddr *)&gone,
			    sizeof(gone)),
		     5);
	p.fd = a;
	CHECK_EQ_INT(poll(&p, 1, 2000), 1);
	CHECK(p.revents & POLLERR);
	CHECK_EQ_INT(recvmsg(a, &mh, MSG_ERRQUEUE), 5);
	CHECK(mh.msg_flags & MSG_ERRQUEUE);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_EQ_INT(from.sin_port, gone.sin_port);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (CHECK(c != NULL)) {
		struct sock_extended_err *ee = (void *)CMSG_DATA(c);
		struct sockaddr_in *off = (void *)SO_EE_OFFENDER(ee);

		CHECK_EQ_INT(c->cmsg_level, IPPROTO_IP);
		CHECK_EQ_INT(c->cmsg_type, IP_RECVERR);
		CHECK_EQ_INT(ee->ee_errno, ECONNREFUSED);
		CHECK_EQ_INT(ee->ee_origin, SO_EE_ORIGIN_ICMP);
		CHECK_EQ_INT(ee->ee_type, 3);
		CHECK_EQ_INT(ee->ee_code, 3);
		CHECK_EQ_INT(off->sin_family, AF_INET);
		CHECK_EQ_INT(off->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	}
	/* Read out: the queue is empty and the error went with it. */
	CHECK_ERRNO(recvmsg(a, &mh, MSG_ERRQUEUE), EAGAIN);
	CHECK_EQ_INT(getsockopt(a, SOL_SOCKET, SO_ERROR, &got, &len), 0);
	CHECK_EQ_INT(got, 0);
	close(a);
}

/* Only the refusal: a broadcast that went out would leave the machine. */
static void broadcast_needs_so_broadcast(void)
{
	struct sockaddr_in bc = {.sin_family = AF_INET,
				 .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
	int a = socket(AF_INET, SOCK_DGRAM, 0), val = -1;
	socklen_t len = sizeof(val);

	CHECK_ERRNO(sendto(a, "b", 1, 0, (struct sockaddr *)&bc, sizeof(bc)),
		    EACCES);
	CHECK_EQ_INT(getsockopt(a, SOL_SOCKET, SO_BROADCAST, &val, &len), 0);
	CHECK_EQ_INT(val, 0);
	close(a);
}

static void getaddrinfo_finds_localhost(void)
{
	struct addrinfo hints = {.ai_family = AF_INET,
				 .ai_socktype = SOCK_DGRAM},
			*res = NULL;
	struct sockaddr_in *sin;

	if (!CHECK_EQ_INT(getaddrinfo("localhost", "7", &hints, &res), 0))
		return;
	CHECK(res != NULL && res->ai_family == AF_INET);
	sin = (struct sockaddr_in *)res->ai_addr;
	CHECK_EQ_INT(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_EQ_INT(ntohs(sin->sin_port), 7);
	CHECK_EQ_INT(res->ai_protocol, IPPROTO_UDP);
	freeaddrinfo(res);
}

int main(void)
{
	abi_init("sock_udp");
	ABI_RUN(bind_port0_and_getsockname);
	ABI_RUN(sendto_and_recvfrom);
	ABI_RUN(connect_send_and_recv);
	ABI_RUN(eaddrinuse_and_so_reuseaddr);
	ABI_RUN(msg_peek_leaves_the_datagram);
	ABI_RUN(msg_trunc_reports_the_whole_length);
	ABI_RUN(nonblocking_reads_fail_with_eagain);
	ABI_RUN(so_rcvtimeo_times_out_with_eagain);
	ABI_RUN(fionread_is_the_next_datagram);
	ABI_RUN(poll_and_epoll_see_datagrams);
	ABI_RUN(sendmmsg_and_recvmmsg);
	ABI_RUN(a_60000_byte_datagram_and_emsgsize);
	ABI_RUN(ip_pktinfo_names_the_destination);
	ABI_RUN(a_closed_port_gives_econnrefused);
	ABI_RUN(ip_recverr_queues_icmp_errors);
	ABI_RUN(broadcast_needs_so_broadcast);
	ABI_RUN(getaddrinfo_finds_localhost);
	return abi_done();
}
