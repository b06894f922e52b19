/*
 * /proc/net/snmp in Linux's format (net/ipv4/proc.c: snmp_seq_show):
 * pairs of lines, the names then the values, for Ip, Icmp, IcmpMsg (only
 * the types seen, omitted when none), Tcp (net/tcp.h's tcp_mib), Udp
 * and UdpLite (always zero: there is no UDP-Lite). And /proc/net/arp.
 */
#include "net/net_private.h"
#include "net/tcp.h"

struct tcp_mib tcp_mib; /* counted by the TCP code, relaxed atomics */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = MIN(o->len + (size_t)n, o->size ? o->size - 1 : 0);
}

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void put_values(struct out *o, const char *group,
		       const uint64_t *const *v, size_t n)
{
	put(o, "%s:", group);
	for (size_t i = 0; i < n; i++)
		put(o, " %lu", (unsigned long)rd(v[i]));
	put(o, "\n");
}

static void snmp_ip(struct out *o)
{
	struct net_mib *m = &net_mib;
	const uint64_t *v[] = {&m->ip_in_receives,	 &m->ip_in_hdr_errors,
			       &m->ip_in_addr_errors,	 &m->ip_forw_datagrams,
			       &m->ip_in_unknown_protos, &m->ip_in_discards,
			       &m->ip_in_delivers,	 &m->ip_out_requests,
			       &m->ip_out_discards,	 &m->ip_out_no_routes,
			       &m->ip_reasm_timeout,	 &m->ip_reasm_reqds,
			       &m->ip_reasm_oks,	 &m->ip_reasm_fails,
			       &m->ip_frag_oks,		 &m->ip_frag_fails,
			       &m->ip_frag_creates,	 &m->ip_out_transmits};

	put(o, "Ip: Forwarding DefaultTTL InReceives InHdrErrors "
	       "InAddrErrors ForwDatagrams InUnknownProtos InDiscards "
	       "InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout "
	       "ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates "
	       "OutTransmits\n");
	put(o, "Ip: 2 64"); /* not forwarding; net.ipv4.ip_default_ttl */
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		put(o, " %lu", (unsigned long)rd(v[i]));
	put(o, "\n");
}

/* The ICMP types of the Icmp line, in Linux's order (icmpmibmap). */
static const uint8_t icmp_types[] = {3, 11, 12, 4, 5, 8, 0, 13, 14, 17, 18};

static void snmp_icmp(struct out *o)
{
	struct net_mib *m = &net_mib;

	put(o, "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds "
	       "InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps "
	       "InTimestamps InTimestampReps InAddrMasks InAddrMaskReps "
	       "OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost "
	       "OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs "
	       "OutRedirects OutEchos OutEchoReps OutTimestamps "
	       "OutTimestampReps OutAddrMasks OutAddrMaskReps\n");
	put(o, "Icmp: %lu %lu %lu", (unsigned long)rd(&m->icmp_in_msgs),
	    (unsigned long)rd(&m->icmp_in_errors),
	    (unsigned long)rd(&m->icmp_in_csum_errors));
	for (size_t i = 0; i < ARRAY_SIZE(icmp_types); i++)
		put(o, " %lu",
		    (unsigned long)rd(&m->icmp_in_type[icmp_types[i]]));
	put(o, " %lu %lu %lu 0", (unsigned long)rd(&m->icmp_out_msgs),
	    (unsigned long)rd(&m->icmp_out_errors),
	    (unsigned long)rd(&m->icmp_out_rate_limit));
	for (size_t i = 0; i < ARRAY_SIZE(icmp_types); i++)
		put(o, " %lu",
		    (unsigned long)rd(&m->icmp_out_type[icmp_types[i]]));
	put(o, "\n");
}

/* One pair of IcmpMsg lines: the names, then the values. */
static void icmpmsg_lines(struct out *o, const char *const *names,
			  const int *types, const uint64_t *vals, unsigned n)
{
	put(o, "IcmpMsg:");
	for (unsigned k = 0; k < n; k++)
		put(o, " %sType%d", names[k], types[k]);
	put(o, "\nIcmpMsg:");
	for (unsigned k = 0; k < n; k++)
		put(o, " %lu", (unsigned long)vals[k]);
	put(o, "\n");
}

/* Linux's icmpmsg_put: "InTypeN"/"OutTypeN" for the counts that are not
 * zero, at most 16 to a pair of lines; nothing when all are zero. */
static void snmp_icmpmsg(struct out *o)
{
	const char *names[16];
	uint64_t vals[16];
	int types[16];
	unsigned n = 0;

	for (int dir = 0; dir < 2; dir++) {
		const uint64_t *t =
		    dir ? net_mib.icmp_out_type : net_mib.icmp_in_type;

		for (int i = 0; i < 256; i++) {
			uint64_t v = rd(&t[i]);

			if (!v)
				continue;
			names[n] = dir ? "Out" : "In";
			types[n] = i;
			vals[n++] = v;
			if (n == 16) {
				icmpmsg_lines(o, names, types, vals, n);
				n = 0;
			}
		}
	}
	if (n)
		icmpmsg_lines(o, names, types, vals, n);
}

/* Linux's snmp_seq_show_tcp_udp: RtoAlgorithm 1 (RFC 6298), RtoMin and
 * RtoMax in ms, MaxConn -1 (signed, RFC 2012), then the counters. */
static void snmp_tcp(struct out *o, const struct tcp_mib *m)
{
	const uint64_t *v[] = {
	    &m->active_opens, &m->passive_opens, &m->attempt_fails,
	    &m->estab_resets, &m->curr_estab,	 &m->in_segs,
	    &m->out_segs,     &m->retrans_segs,	 &m->in_errs,
	    &m->out_rsts,     &m->in_csum_errors};

	put(o, "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens "
	       "PassiveOpens AttemptFails EstabResets CurrEstab InSegs "
	       "OutSegs RetransSegs InErrs OutRsts InCsumErrors\n");
	put(o, "Tcp: 1 %u %u -1", TCP_RTO_MIN_US / 1000, TCP_RTO_MAX_US / 1000);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		put(o, " %lu", (unsigned long)rd(v[i]));
	put(o, "\n");
}

static void snmp_udp(struct out *o)
{
	static const uint64_t zero;
	struct net_mib *m = &net_mib;
	const uint64_t *v[] = {&m->udp_in_datagrams,
			       &m->udp_no_ports,
			       &m->udp_in_errors,
			       &m->udp_out_datagrams,
			       &m->udp_rcvbuf_errors,
			       &m->udp_sndbuf_errors,
			       &m->udp_in_csum_errors,
			       &m->udp_ignored_multi,
			       &zero /* MemErrors */};
	const uint64_t *lite[] = {&zero, &zero, &zero, &zero, &zero,
				  &zero, &zero, &zero, &zero};
	const char *names = "InDatagrams NoPorts InErrors OutDatagrams "
			    "RcvbufErrors SndbufErrors InCsumErrors "
			    "IgnoredMulti MemErrors\n";

	put(o, "Udp: %s", names);
	put_values(o, "Udp", v, ARRAY_SIZE(v));
	put(o, "UdpLite: %s", names);
	put_values(o, "UdpLite", lite, ARRAY_SIZE(lite));
}

int net_proc_snmp(char *buf, size_t size)
{
	struct out o = {buf, size, 0};

	if (size)
		buf[0] = 0;
	snmp_ip(&o);
	snmp_icmp(&o);
	snmp_icmpmsg(&o);
	snmp_tcp(&o, &tcp_mib);
	snmp_udp(&o);
	return (int)o.len;
}

int net_proc_arp(char *buf, size_t size)
{
	return arp_proc(buf, size);
}
