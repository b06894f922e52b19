/*
 * The error paths of the socket system calls, as Linux orders its checks:
 * EBADF for a closed descriptor and ENOTSOCK for a file that is not a
 * socket (on every call), EAFNOSUPPORT, EINVAL for bad types, flags and
 * address lengths, EPROTONOSUPPORT, EFAULT for bad pointers, EOPNOTSUPP
 * for listen/accept on datagram sockets, ENOTCONN, EISCONN (sendto on a
 * connected stream), ECONNREFUSED before EISCONN for connect, EINVAL for
 * double binds and accept without listen, ENOPROTOOPT for unknown options,
 * EMSGSIZE for a datagram above the send buffer, and SO_* values read
 * back (SO_RCVBUF doubled, SO_TYPE/DOMAIN/PROTOCOL).
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* An address that is never mapped (volatile: the compiler must not
 * see through it and warn). */
static void *volatile bad_ptr = (void *)8;
#define BAD bad_ptr

/* A descriptor below the limit that is not open. */
static int closed_fd(void)
{
	close(1000);
	return 1000;
}

/* Every call on a closed descriptor is EBADF, on a directory ENOTSOCK. */
static void not_sockets(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(a);
	int v, fds[2] = {closed_fd(), open("/", O_RDONLY)};
	char c;

	for (int i = 0; i < 2; i++) {
		int fd = fds[i], e = i ? ENOTSOCK : EBADF;

		CHECK_ERRNO(bind(fd, (struct sockaddr *)&a, sizeof(a)), e);
		CHECK_ERRNO(connect(fd, (struct sockaddr *)&a, sizeof(a)), e);
		CHECK_ERRNO(listen(fd, 1), e);
		CHECK_ERRNO(accept(fd, NULL, NULL), e);
		CHECK_ERRNO(getsockname(fd, (struct sockaddr *)&a, &len), e);
		CHECK_ERRNO(getpeername(fd, (struct sockaddr *)&a, &len), e);
		len = sizeof(v);
		CHECK_ERRNO(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), e);
		CHECK_ERRNO(
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), e);
		CHECK_ERRNO(send(fd, "x", 1, 0), e);
		CHECK_ERRNO(recv(fd, &c, 1, MSG_DONTWAIT), e);
		CHECK_ERRNO(shutdown(fd, SHUT_RDWR), e);
	}
	close(fds[1]);
}

static void creating(void)
{
	int sv[2];

	CHECK_ERRNO(socket(AF_MAX + 5, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x10000, 0), EINVAL);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERRNO(socket(AF_NETLINK, SOCK_STREAM, 0), ESOCKTNOSUPPORT);
	CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD), EFAULT);
	CHECK_ERRNO(socketpair(AF_NETLINK, SOCK_RAW, 0, sv), EOPNOTSUPP);
}

static void addresses(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len;
	int s = socket(AF_UNIX, SOCK_STREAM, 0), d, v = 0;

	if (!CHECK(s >= 0))
		return;
	/* lengths: negative or past sockaddr_storage, and too short */
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, -1), EINVAL);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, 129), EINVAL);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, 1), EINVAL);
	CHECK_ERRNO(connect(s, (struct sockaddr *)&a, 2), EINVAL);
	CHECK_ERRNO(bind(s, BAD, sizeof(a)), EFAULT);
	CHECK_ERRNO(connect(s, BAD, sizeof(a)), EFAULT);
	a.sun_family = AF_INET;
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	a.sun_family = AF_UNIX;
	/* a second bind: autobind again is nothing, a name is EINVAL */
	CHECK_EQ_INT(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
	CHECK_EQ_INT(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
	a.sun_path[1] = 'x';
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	a.sun_path[1] = 0;
	/* names: bad pointers, a negative length */
	len = sizeof(a);
	CHECK_ERRNO(getsockname(s, BAD, &len), EFAULT);
	CHECK_ERRNO(getsockname(s, (struct sockaddr *)&a, BAD), EFAULT);
	len = -1;
	CHECK_ERRNO(getsockname(s, (struct sockaddr *)&a, &len), EINVAL);
	len = sizeof(a);
	CHECK_ERRNO(getpeername(s, (struct sockaddr *)&a, &len), ENOTCONN);
	/* a short buffer gets part of the name and its whole length */
	len = 1;
	CHECK_EQ_INT(getsockname(s, (struct sockaddr *)&a, &len), 0);
	CHECK_EQ_INT(len, offsetof(struct sockaddr_un, sun_path) + 6);
	/* options */
	len = sizeof(v);
	CHECK_ERRNO(getsockopt(s, SOL_SOCKET, 12345, &v, &len), ENOPROTOOPT);
	CHECK_ERRNO(setsockopt(s, SOL_SOCKET, 12345, &v, sizeof(v)),
		    ENOPROTOOPT);
	CHECK_ERRNO(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	CHECK_ERRNO(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD, sizeof(v)),
		    EFAULT);
	CHECK_ERRNO(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, BAD), EFAULT);
	len = -1;
	CHECK_ERRNO(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	CHECK_ERRNO(shutdown(s, 3), EINVAL);
	/* stream: accept before listen, send before connect */
	CHECK_ERRNO(accept(s, NULL, NULL), EINVAL);
	CHECK_ERRNO(send(s, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	CHECK_ERRNO(accept4(s, NULL, NULL, 0x4), EINVAL);
	close(s);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(listen(d, 1), EOPNOTSUPP);
	CHECK_ERRNO(accept(d, NULL, NULL), EOPNOTSUPP);
	CHECK_ERRNO(send(d, "x", 1, 0), ENOTCONN);
	close(d);
}

static void connected(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	static char big[300000];
	int sv[2];
	char c;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
		return;
	/* Linux looks the name up before it checks the state */
	CHECK_ERRNO(connect(sv[0], (struct sockaddr *)&a, sizeof(a)),
		    ECONNREFUSED);
	CHECK_ERRNO(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, sizeof(a)),
		    EISCONN);
	CHECK_ERRNO(listen(sv[0], 1), EINVAL);
	CHECK_ERRNO(send(sv[0], BAD, 1, 0), EFAULT);
	CHECK_ERRNO(recv(sv[1], BAD, 1, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ_INT(send(sv[0], "x", 1, 0), 1);
	CHECK_ERRNO(recv(sv[1], BAD, 1, 0), EFAULT);
	CHECK_EQ_INT(recv(sv[1], &c, 1, 0), 1);
	close(sv[0]);
	close(sv[1]);
	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	CHECK_ERRNO(send(sv[0], big, sizeof(big), 0), EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

static void messages(void)
{
	struct msghdr mh = {0};
	struct iovec iov = {"x", 1};
	int sv[2];

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	CHECK_ERRNO(sendmsg(sv[0], BAD, 0), EFAULT);
	mh.msg_iov = BAD;
	mh.msg_iovlen = 1;
	CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EFAULT);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1025;
	CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EMSGSIZE);
	mh.msg_iovlen = 1;
	/* a control message whose length runs past the buffer */
	{
		char ctl[CMSG_SPACE(4)];
		struct cmsghdr *c = (void *)ctl;

		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c->cmsg_len = sizeof(ctl) + 8;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
		c->cmsg_len = CMSG_LEN(4);
		c->cmsg_type = 99;
		CHECK_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
	}
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	CHECK_EQ_INT(sendmsg(sv[0], &mh, 0), 1);
	CHECK_ERRNO(recvmsg(sv[1], BAD, 0), EFAULT);
	close(sv[0]);
	close(sv[1]);
}

static void options(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), v = 0;
	socklen_t len = sizeof(v);

	if (!CHECK(s >= 0))
		return;
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
	CHECK_EQ_INT(v, AF_UNIX);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
	CHECK_EQ_INT(v, 0);
	v = 10000;
	CHECK_EQ_INT(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	CHECK_EQ_INT(v, 20000); /* Linux doubles it */
	v = 1;
	CHECK_EQ_INT(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	CHECK_EQ_INT(v, 4608); /* SOCK_MIN_SNDBUF */
	v = 1;
	CHECK_EQ_INT(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
	CHECK_EQ_INT(v, 1);
	{
		struct timeval tv = {0, 2000000};

		CHECK_ERRNO(
		    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		    EDOM);
	}
	/* SO_LINGER and SO_BINDTODEVICE read back */
	{
		struct linger lg = {1, 5}, lg2 = {0, 0};
		char dev[16] = {0};
		socklen_t dlen = sizeof(dev);

		len = sizeof(lg2);
		CHECK_EQ_INT(
		    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
		CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &len),
			     0);
		CHECK_EQ_INT(lg2.l_onoff, 1);
		CHECK_EQ_INT(lg2.l_linger, 5);
		CHECK_EQ_INT(
		    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3), 0);
		CHECK_EQ_INT(
		    getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, &dlen), 0);
		CHECK_EQ_STR(dev, "lo");
		CHECK_ERRNO(
		    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "nosuch0", 8),
		    ENODEV);
		len = sizeof(v);
	}
	/* ioctls a socket does not know */
	CHECK_ERRNO(ioctl(s, TCGETS, &v), ENOTTY);
	/* a short length reads a prefix */
	len = 1;
	v = 0;
	CHECK_EQ_INT(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	CHECK_EQ_INT(len, 1);
	CHECK_EQ_INT(v, SOCK_STREAM);
	close(s);
}

int main(void)
{
	abi_init("sock_errors");
	ABI_RUN(not_sockets);
	ABI_RUN(creating);
	ABI_RUN(addresses);
	ABI_RUN(connected);
	ABI_RUN(messages);
	ABI_RUN(options);
	return abi_done();
}
