/*
 * The guest's network for `osprey run`: -p HOSTPORT:GUESTPORT[/udp|/tcp]
 * (QEMU user networking, forwarded from 127.0.0.1), --net tap:NAME (an
 * existing TAP device), --net user, --net none, and the --ip/--dns kernel
 * options. With none of them the guest has no network device, only its
 * loopback interface.
 *
 * The device is virtio-net: virtio-net-device on microvm (a virtio-mmio
 * transport; QEMU appends virtio_mmio.device=... to the kernel command
 * line), virtio-net-pci on q35 and pc. One queue pair per vCPU when the
 * backend has that many queues: a TAP device made with `ip tuntap add ...
 * multi_queue`. QEMU's user networking has one queue.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

/* QEMU user networking's fixed addresses (QEMU's -netdev user defaults). */
#define USER_GUEST_IP "10.0.2.15"
#define USER_IP "10.0.2.15/24,10.0.2.2"
#define USER_DNS "10.0.2.3"

#define IFNAMSIZ 16
#define IFF_MULTI_QUEUE 0x0100	/* linux/if_tun.h */
#define MAC "52:54:00:12:34:56" /* QEMU's default, written out for -v */

static _Noreturn void net_usage(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	fail(FAIL_USAGE, "%s (osprey --help for usage)", msg);
}

static bool parse_port(const char *s, size_t len, unsigned *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*port = v;
	return v <= 65535;
}

/* -p HOSTPORT:GUESTPORT[/udp|/tcp]; TCP when no protocol is named. */
void net_add_port(struct net_options *n, const char *spec)
{
	static const char bad[] =
	    "-p needs HOSTPORT:GUESTPORT[/udp|/tcp] (ports 1 to 65535), "
	    "not '%s'";
	const char *colon = strchr(spec, ':'), *slash = strchr(spec, '/');
	struct port_forward f = {0};

	if (!colon || (slash && slash < colon))
		net_usage(bad, spec);
	if (!slash)
		slash = spec + strlen(spec);
	else if (!strcmp(slash, "/udp"))
		f.udp = true;
	else if (strcmp(slash, "/tcp"))
		net_usage(bad, spec);
	if (!parse_port(spec, colon - spec, &f.host) ||
	    !parse_port(colon + 1, slash - colon - 1, &f.guest))
		net_usage(bad, spec);
	for (size_t i = 0; i < n->nfwds; i++)
		if (n->fwds[i].host == f.host && n->fwds[i].udp == f.udp)
			net_usage("-p %s: that host port is forwarded twice",
				  spec);
	n->fwds = xrealloc(n->fwds, (n->nfwds + 1) * sizeof(*n->fwds));
	n->fwds[n->nfwds++] = f;
}

/* --net user | tap:NAME | none */
void net_set_kind(struct net_options *n, const char *spec)
{
	if (n->kind != NET_DEFAULT)
		net_usage("--net given twice (the second: '%s')", spec);
	if (!strcmp(spec, "user")) {
		n->kind = NET_USER;
	} else if (!strcmp(spec, "none")) {
		n->kind = NET_NONE;
	} else if (!strncmp(spec, "tap:", 4)) {
		n->tap = spec + 4;
		if (!*n->tap || strlen(n->tap) >= IFNAMSIZ ||
		    strpbrk(n->tap, "/ ,:=\t\n") || !strcmp(n->tap, ".") ||
		    !strcmp(n->tap, ".."))
			net_usage("--net tap:NAME needs a network interface "
				  "name (at most 15 characters), not '%s'",
				  spec);
		n->kind = NET_TAP;
	} else {
		net_usage("unknown --net '%s' (user, tap:NAME or none)", spec);
	}
}

static bool valid_ipv4(const char *s, size_t len)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

/* --ip ADDR/PREFIX[,GATEWAY], checked as the kernel will check it. */
void net_set_ip(struct net_options *n, const char *spec)
{
	const char *slash = strchr(spec, '/'), *comma;
	char *end;
	long prefix;

	if (!slash || !valid_ipv4(spec, slash - spec))
		goto bad;
	prefix = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || !(slash[1] >= '0' && slash[1] <= '9') ||
	    prefix < 1 || prefix > 32)
		goto bad;
	comma = end;
	if (*comma == ',' && valid_ipv4(comma + 1, strlen(comma + 1)))
		comma += strlen(comma);
	if (*comma)
		goto bad;
	n->ip = spec;
	return;
bad:
	net_usage("--ip needs ADDR/PREFIX[,GATEWAY], not '%s'", spec);
}

void net_add_dns(struct net_options *n, const char *spec)
{
	if (!valid_ipv4(spec, strlen(spec)))
		net_usage("--dns needs an IPv4 address, not '%s'", spec);
	n->dns = xrealloc(n->dns, (n->ndns + 1) * sizeof(*n->dns));
	n->dns[n->ndns++] = spec;
}

/* After the command line: what goes together. */
void net_check(struct net_options *n)
{
	if (n->nfwds && n->kind == NET_DEFAULT)
		n->kind = NET_USER;
	if (n->nfwds && n->kind != NET_USER)
		net_usage("-p forwards ports through QEMU's user networking; "
			  "it does not go with --net %s",
			  n->kind == NET_TAP ? "tap:NAME" : "none");
	if ((n->ip || n->ndns) &&
	    (n->kind == NET_DEFAULT || n->kind == NET_NONE))
		net_usage("%s needs a network (-p, --net user or --net "
			  "tap:NAME)",
			  n->ip ? "--ip" : "--dns");
}

/* The kernel options: a static address on user networking, so that the
 * guest need not run DHCP; what the user gave on a TAP (else DHCP). */
void net_kernel_options(const struct net_options *n, struct strbuf *sb)
{
	if (n->kind == NET_USER && !n->ip)
		sb_puts(sb, " --ip=" USER_IP);
	else if (n->ip)
		sb_printf(sb, " --ip=%s", n->ip);
	if (n->kind == NET_USER && !n->ndns)
		sb_puts(sb, " --dns=" USER_DNS);
	for (size_t i = 0; i < n->ndns; i++)
		sb_printf(sb, " --dns=%s", n->dns[i]);
}

/* The guest's address for hostfwd: the one given with --ip, else QEMU's. */
static char *guest_addr(const struct net_options *n)
{
	if (!n->ip)
		return xstrdup(USER_GUEST_IP);
	return xasprintf("%.*s", (int)strcspn(n->ip, "/"), n->ip);
}

static char *user_netdev(const struct net_options *n)
{
	struct strbuf sb = {0};
	char *guest = guest_addr(n);

	sb_puts(&sb, "user,id=net0");
	for (size_t i = 0; i < n->nfwds; i++)
		sb_printf(&sb, ",hostfwd=%s:127.0.0.1:%u-%s:%u",
			  n->fwds[i].udp ? "udp" : "tcp", n->fwds[i].host,
			  guest, n->fwds[i].guest);
	free(guest);
	return sb.s;
}

/* TUN flags of an existing TAP device, from sysfs (of this namespace). */
static unsigned tap_flags(const char *name)
{
	char *path = xasprintf("/sys/class/net/%s/tun_flags", name);
	FILE *f = fopen(path, "r");
	unsigned flags = 0;

	if (!f)
		fail(FAIL_OTHER,
		     "--net tap:%s: no TAP device %s here (make one first: ip "
		     "tuntap add %s mode tap)",
		     name, name, name);
	if (fscanf(f, "%x", &flags) != 1)
		flags = 0;
	fclose(f);
	free(path);
	return flags;
}

static bool is_mmio(const char *machine)
{
	return !strcmp(machine, "microvm");
}

/* -v: which network, which addresses, which device. */
static void describe(const struct net_options *n, const char *dev,
		     unsigned queues, unsigned cpus)
{
	struct strbuf sb = {0};

	if (n->kind == NET_USER)
		sb_printf(&sb, "QEMU user networking, guest %s",
			  n->ip ? n->ip : USER_IP " dns " USER_DNS);
	else
		sb_printf(&sb, "TAP device %s, guest %s", n->tap,
			  n->ip ? n->ip : "by DHCP");
	for (size_t i = 0; i < n->nfwds; i++)
		sb_printf(&sb, "%s127.0.0.1:%u/%s -> guest port %u",
			  i ? ", " : "; forwarding ", n->fwds[i].host,
			  n->fwds[i].udp ? "udp" : "tcp", n->fwds[i].guest);
	sb_printf(&sb, "; %s mac " MAC ", %u queue pair%s", dev, queues,
		  queues > 1 ? "s" : "");
	if (cpus > 1 && queues == 1)
		sb_puts(&sb, n->kind == NET_USER
				 ? " (user networking has one queue)"
				 : " (the TAP is single-queue: ip tuntap add "
				   "... multi_queue for one per vCPU)");
	note("network: %s", sb.s);
	free(sb.s);
}

static char *device_arg(const char *machine, unsigned queues)
{
	bool mmio = is_mmio(machine);
	struct strbuf sb = {0};

	sb_printf(&sb, "%s,netdev=net0,mac=" MAC,
		  mmio ? "virtio-net-device" : "virtio-net-pci");
	/* No option ROM (iPXE): the firmware has nothing to boot from it,
	 * and loading it costs boot time. */
	if (!mmio)
		sb_puts(&sb, ",romfile=");
	if (queues > 1)
		sb_puts(&sb, ",mq=on");
	/* MSI-X: a vector per queue, one for the control queue and one
	 * for configuration changes. */
	if (queues > 1 && !mmio)
		sb_printf(&sb, ",vectors=%u", 2 * queues + 2);
	return sb.s;
}

static char *tap_netdev(const struct net_options *n, unsigned queues)
{
	return xasprintf("tap,id=net0,ifname=%s,script=no,downscript=no,"
			 "vhost=off,queues=%u",
			 n->tap, queues);
}

/*
 * Appends -netdev and -device to v at i, and on microvm the modern
 * virtio-mmio transport (QEMU's default there is the legacy one, which
 * the kernel does not drive); returns the new i. At most NET_QEMU_ARGS.
 */
int net_qemu_args(const struct net_options *n, const char *machine,
		  unsigned cpus, char **v, int i)
{
	unsigned queues = 1;

	if (n->kind == NET_DEFAULT || n->kind == NET_NONE) {
		note("network: none (the guest has its loopback interface "
		     "only)");
		return i;
	}
	/* QEMU opens a multi_queue TAP only with queues=2 or more. */
	if (n->kind == NET_TAP && (tap_flags(n->tap) & IFF_MULTI_QUEUE))
		queues = cpus > 2 ? cpus : 2;
	v[i++] = "-netdev";
	v[i++] = n->kind == NET_USER ? user_netdev(n) : tap_netdev(n, queues);
	v[i++] = "-device";
	v[i++] = device_arg(machine, queues);
	if (is_mmio(machine)) {
		v[i++] = "-global";
		v[i++] = "virtio-mmio.force-legacy=false";
	}
	describe(n, is_mmio(machine) ? "virtio-net-device" : "virtio-net-pci",
		 queues, cpus);
	return i;
}
