/*
 * /proc/net files made from the interface list and the routes, in
 * Linux's exact formats (net/core/net-procfs.c for dev,
 * net/ipv4/fib_trie.c for route), so that ifconfig, netstat, route and
 * monitoring agents read them. /proc/net/snmp and arp come from the
 * IPv4 stack (net_proc_snmp, net_proc_arp). Each function writes what
 * fits into buf (NUL-terminated) and returns the length of the whole
 * text, as snprintf, so the caller can retry with a larger buffer.
 */
#include "lib/lib.h"
#include "net/net.h"

#define ROUTE_LINE 127 /* Linux pads each line of /proc/net/route */
#define ROUTES_MAX 64
#define RTF_UP 0x1
#define RTF_GATEWAY 0x2

void net_proc_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	size_t at = MIN(*len, size ? size - 1 : 0);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + at, size ? size - at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += n;
}

static uint64_t load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

int net_proc_dev(char *buf, size_t size)
{
	size_t len = 0;

	net_proc_put(buf, size, &len, "%s",
	    "Inter-|   Receive                                                "
	    "|  Transmit\n"
	    " face |bytes    packets errs drop fifo frame compressed multicast"
	    "|bytes    packets errs drop fifo colls carrier compressed\n");
	for (struct netdev *d = netdev_first(); d;
	     d = __atomic_load_n(&d->next, __ATOMIC_ACQUIRE)) {
		const struct netdev_stats *s = &d->stats;

		net_proc_put(buf, size, &len,
		    "%6s: %7lu %7lu %4lu %4lu %4u %5u %10u %9lu "
		    "%8lu %7lu %4lu %4lu %4u %5u %7u %10u\n",
		    d->name, load(&s->rx_bytes), load(&s->rx_packets),
		    load(&s->rx_errors), load(&s->rx_dropped), 0, 0, 0,
		    load(&s->rx_multicast), load(&s->tx_bytes),
		    load(&s->tx_packets), load(&s->tx_errors),
		    load(&s->tx_dropped), 0, 0, 0, 0);
	}
	return (int)MIN(len, (size_t)INT32_MAX);
}

/* One line padded to width characters, as Linux's seq_pad. */
void net_proc_put_padded(char *buf, size_t size, size_t *len,
			 const char *line, size_t width)
{
	static const char spaces[] = "                                "
				     "                                ";
	size_t n = strlen(line);

	net_proc_put(buf, size, len, "%s", line);
	while (n < width) {
		size_t k = MIN(width - n, sizeof(spaces) - 1);

		net_proc_put(buf, size, len, "%.*s", (int)k, spaces);
		n += k;
	}
	net_proc_put(buf, size, len, "\n");
}

int net_proc_route(char *buf, size_t size)
{
	struct net_route r[ROUTES_MAX];
	unsigned n = net_routes(r, ROUTES_MAX);
	size_t len = 0;
	char line[ROUTE_LINE + 1];

	net_proc_put_padded(buf, size, &len,
		       "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\t"
		       "Metric\tMask\t\tMTU\tWindow\tIRTT", ROUTE_LINE);
	for (unsigned i = 0; i < n; i++) {
		unsigned flags = RTF_UP | (r[i].gateway ? RTF_GATEWAY : 0);

		/* The addresses as the host reads network order: Linux
		 * prints the __be32 with %08X. */
		snprintf(line, sizeof(line),
			 "%s\t%08X\t%08X\t%04X\t0\t0\t0\t%08X\t0\t0\t0",
			 r[i].dev ? r[i].dev->name : "*", r[i].dst,
			 r[i].gateway, flags, r[i].mask);
		net_proc_put_padded(buf, size, &len, line, ROUTE_LINE);
	}
	return (int)MIN(len, (size_t)INT32_MAX);
}

/* ---- /proc/net (fs/procfs.c shows it, and as /proc/<pid>/net) ---- */
static int show_net_dev(struct proc_buf *b, int arg)
{
	return proc_text(b, net_proc_dev);
}

static int show_net_route(struct proc_buf *b, int arg)
{
	return proc_text(b, net_proc_route);
}

static int show_net_snmp(struct proc_buf *b, int arg)
{
	return proc_text(b, net_proc_snmp);
}

static int show_net_arp(struct proc_buf *b, int arg)
{
	return proc_text(b, net_proc_arp);
}

static int show_net_tcp(struct proc_buf *b, int arg)
{
	return proc_text(b, net_proc_tcp);
}

static const struct proc_entry net_table[] = {
    PFILE("arp", show_net_arp),
    PFILE("dev", show_net_dev),
    PFILE("route", show_net_route),
    PFILE("snmp", show_net_snmp),
    PFILE("tcp", show_net_tcp),
    {NULL},
};

static int procnet_init(void)
{
	return procfs_register(&procfs_net, net_table);
}
INIT_STEP(56, procnet_init);
