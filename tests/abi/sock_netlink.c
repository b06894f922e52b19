/*
 * AF_NETLINK (NETLINK_ROUTE) and the interface ioctls: getifaddrs finds
 * lo with 127.0.0.1/8, if_nameindex lists lo, a raw RTM_GETLINK dump
 * parses (lo: ARPHRD_LOOPBACK, IFF_LOOPBACK|IFF_UP), NLMSG_DONE ends it,
 * an unsupported request gets NLMSG_ERROR, NLM_F_ACK an acknowledgement,
 * the port id is set at bind; SIOCGIFCONF, SIOCGIFINDEX, SIOCGIFNAME,
 * SIOCGIFFLAGS, SIOCGIFMTU and SIOCGIFHWADDR on lo from an AF_UNIX and
 * an AF_NETLINK socket (SIOCGIFADDR there: ENOTTY, AF_INET only).
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static void ifaddrs_lo(void)
{
	struct ifaddrs *ifa, *i;
	int found_inet = 0, found_link = 0;

	if (!CHECK_EQ_INT(getifaddrs(&ifa), 0))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") || !i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_PACKET)
			found_link = 1;
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in *a = (void *)i->ifa_addr;
			struct sockaddr_in *m = (void *)i->ifa_netmask;

			found_inet = a->sin_addr.s_addr == htonl(0x7f000001) &&
				     m &&
				     m->sin_addr.s_addr == htonl(0xff000000);
			CHECK(i->ifa_flags & IFF_LOOPBACK);
			CHECK(i->ifa_flags & IFF_UP);
		}
	}
	CHECK(found_inet);
	CHECK(found_link);
	freeifaddrs(ifa);
}

static void nameindex(void)
{
	struct if_nameindex *ni, *i;
	int found = 0;
	char name[IF_NAMESIZE];

	ni = if_nameindex();
	if (!CHECK(ni != NULL))
		return;
	for (i = ni; i->if_index; i++)
		if (!strcmp(i->if_name, "lo"))
			found = i->if_index;
	CHECK_EQ_INT(found, 1);
	if_freenameindex(ni);
	CHECK_EQ_INT(if_nametoindex("lo"), 1);
	CHECK_EQ_STR(if_indextoname(1, name), "lo");
	CHECK_EQ_INT(if_nametoindex("nosuch0"), 0);
}

struct req {
	struct nlmsghdr h;
	struct ifinfomsg i;
};

static int nl_open(void)
{
	struct sockaddr_nl a = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void link_dump(void)
{
	static char buf[32768];
	struct req r = {
	    {sizeof(r), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 7, 0},
	    {.ifi_family = AF_UNSPEC}};
	struct sockaddr_nl me, from;
	socklen_t len = sizeof(me);
	int fd = nl_open(), done = 0, lo = 0, n;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	CHECK_EQ_INT(len, sizeof(me));
	CHECK_EQ_INT(me.nl_family, AF_NETLINK);
	CHECK(me.nl_pid != 0);
	{
		struct ucred cr;
		socklen_t crlen = sizeof(cr);

		CHECK_EQ_INT(
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen), 0);
		CHECK_EQ_INT(cr.pid, 0);
	}
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	while (!done) {
		struct nlmsghdr *h;

		len = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &len);
		if (!CHECK(n > 0))
			break;
		CHECK_EQ_INT(from.nl_pid, 0);
		for (h = (void *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type != RTM_NEWLINK) {
				CHECK_EQ_INT(h->nlmsg_type, RTM_NEWLINK);
				done = 1;
				break;
			}
			if (h->nlmsg_seq != 7 || h->nlmsg_pid != me.nl_pid)
				continue;
			struct ifinfomsg *i = NLMSG_DATA(h);
			struct rtattr *a = IFLA_RTA(i);
			int alen = IFLA_PAYLOAD(h);
			const char *name = NULL;
			unsigned mtu = 0;

			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == IFLA_IFNAME)
					name = RTA_DATA(a);
				if (a->rta_type == IFLA_MTU)
					memcpy(&mtu, RTA_DATA(a), 4);
			}
			if (name && !strcmp(name, "lo")) {
				lo = 1;
				CHECK_EQ_INT(i->ifi_type, ARPHRD_LOOPBACK);
				CHECK_EQ_INT(i->ifi_index, 1);
				CHECK(i->ifi_flags & IFF_LOOPBACK);
				CHECK(i->ifi_flags & IFF_UP);
				CHECK_EQ_INT(mtu, 65536);
			}
		}
	}
	CHECK(lo);
	CHECK_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(fd);
}

/* A request we do not serve: NLMSG_ERROR with the error and the
 * request; NLM_F_ACK on a good one: NLMSG_ERROR with 0. */
static void errors_and_acks(void)
{
	char buf[4096];
	struct req r = {{sizeof(r), RTM_NEWLINK, NLM_F_REQUEST, 9, 0},
			{.ifi_family = AF_UNSPEC, .ifi_index = 1}};
	struct nlmsghdr *h = (void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	int fd = nl_open(), n;

	if (!CHECK(fd >= 0))
		return;
	/* a request for lo by index, with an acknowledgement */
	r.h.nlmsg_type = RTM_GETLINK;
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	n = recv(fd, buf, sizeof(buf), 0);
	CHECK(n > 0 && h->nlmsg_type == RTM_NEWLINK);
	if (n > 0 && (unsigned)n > NLMSG_ALIGN(h->nlmsg_len))
		h = (void *)(buf + NLMSG_ALIGN(h->nlmsg_len));
	else
		n = recv(fd, buf, sizeof(buf), 0);
	e = NLMSG_DATA(h);
	CHECK_EQ_INT(h->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ_INT(e->error, 0);
	CHECK_EQ_INT(e->msg.nlmsg_seq, 9);
	/* no such interface */
	r.i.ifi_index = 999;
	r.h.nlmsg_flags = NLM_F_REQUEST;
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	h = (void *)buf;
	e = NLMSG_DATA(h);
	n = recv(fd, buf, sizeof(buf), 0);
	CHECK(n >= (int)NLMSG_LENGTH(sizeof(*e)));
	CHECK_EQ_INT(h->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ_INT(e->error, -ENODEV);
	/* a truncated message is ignored: nothing comes back */
	r.h.nlmsg_len = sizeof(r) + 100;
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	CHECK_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(fd);
}

static void addr_dump_peek(void)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} r = {{sizeof(r), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 3, 0},
	       {.ifa_family = AF_INET}};
	char buf[8192];
	int fd = nl_open(), n, total;
	struct nlmsghdr *h;
	int lo = 0;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	/* glibc's way of sizing the buffer: peek with MSG_TRUNC */
	total = recv(fd, buf, 1, MSG_PEEK | MSG_TRUNC);
	CHECK(total > 16);
	n = recv(fd, buf, sizeof(buf), 0);
	CHECK_EQ_INT(n, total);
	for (h = (void *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
		struct ifaddrmsg *a = NLMSG_DATA(h);

		if (h->nlmsg_type == RTM_NEWADDR && a->ifa_index == 1) {
			lo = 1;
			CHECK_EQ_INT(a->ifa_prefixlen, 8);
			CHECK_EQ_INT(a->ifa_family, AF_INET);
		}
	}
	CHECK(lo);
	close(fd);
}

/* A route dump: RTM_NEWROUTE messages (none in a bare guest), then
 * NLMSG_DONE. */
static void route_dump(void)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} r = {{sizeof(r), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 5, 0},
	       {.rtm_family = AF_INET}};
	static char buf[32768];
	int fd = nl_open(), n, done = 0, other = 0;
	struct nlmsghdr *h;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(send(fd, &r, sizeof(r), 0), sizeof(r));
	while (!done && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		for (h = (void *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				done = 1;
			else if (h->nlmsg_type != RTM_NEWROUTE)
				other++;
		}
	CHECK(done);
	CHECK_EQ_INT(other, 0);
	close(fd);
}

static void ifioctls_on(int fd)
{
	struct ifreq ifr;
	struct ifconf ifc;
	struct ifreq list[16];
	int i, lo = 0;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	CHECK_EQ_INT(ioctl(fd, SIOCGIFINDEX, &ifr), 0);
	CHECK_EQ_INT(ifr.ifr_ifindex, 1);
	CHECK_EQ_INT(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	CHECK_EQ_INT(ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
		     IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	CHECK_EQ_INT(ioctl(fd, SIOCGIFMTU, &ifr), 0);
	CHECK_EQ_INT(ifr.ifr_mtu, 65536);
	/* the IPv4 address queries are AF_INET sockets' only */
	CHECK_ERRNO(ioctl(fd, SIOCGIFADDR, &ifr), ENOTTY);
	CHECK_ERRNO(ioctl(fd, SIOCGIFNETMASK, &ifr), ENOTTY);
	CHECK_EQ_INT(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	CHECK_EQ_INT(ifr.ifr_hwaddr.sa_family, ARPHRD_LOOPBACK);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = 1;
	CHECK_EQ_INT(ioctl(fd, SIOCGIFNAME, &ifr), 0);
	CHECK_EQ_STR(ifr.ifr_name, "lo");
	strcpy(ifr.ifr_name, "nosuch0");
	CHECK_ERRNO(ioctl(fd, SIOCGIFFLAGS, &ifr), ENODEV);
	/* SIOCGIFCONF: the length alone, then the list */
	ifc.ifc_len = 0;
	ifc.ifc_buf = NULL;
	CHECK_EQ_INT(ioctl(fd, SIOCGIFCONF, &ifc), 0);
	CHECK(ifc.ifc_len >= (int)sizeof(struct ifreq));
	CHECK_EQ_INT(ifc.ifc_len % sizeof(struct ifreq), 0);
	ifc.ifc_len = sizeof(list);
	ifc.ifc_req = list;
	CHECK_EQ_INT(ioctl(fd, SIOCGIFCONF, &ifc), 0);
	for (i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		if (!strcmp(list[i].ifr_name, "lo"))
			lo = ((struct sockaddr_in *)&list[i].ifr_addr)
				 ->sin_addr.s_addr == htonl(0x7f000001);
	CHECK(lo);
	ifc.ifc_len = sizeof(list);
	ifc.ifc_buf = (char *)8;
	CHECK_ERRNO(ioctl(fd, SIOCGIFCONF, &ifc), EFAULT);
	CHECK_ERRNO(ioctl(fd, SIOCGIFINDEX, (void *)8), EFAULT);
}

static void ifioctls(void)
{
	int u = socket(AF_UNIX, SOCK_DGRAM, 0), n = nl_open();

	if (CHECK(u >= 0))
		ifioctls_on(u);
	if (CHECK(n >= 0))
		ifioctls_on(n);
	close(u);
	close(n);
}

int main(void)
{
	abi_init("sock_netlink");
	ABI_RUN(ifaddrs_lo);
	ABI_RUN(nameindex);
	ABI_RUN(link_dump);
	ABI_RUN(errors_and_acks);
	ABI_RUN(addr_dump_peek);
	ABI_RUN(route_dump);
	ABI_RUN(ifioctls);
	return abi_done();
}
