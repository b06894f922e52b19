/*
 * Private to net/: what its files call in one another. Owned by the IPv4
 * stack; the configuration (net/config.c, net/dhcp.c) and the socket
 * layer (net/socket.c, net/unix.c, net/netlink.c) add what they share.
 *
 * Locking rule of the IPv4 stack: no net/ mutex (arp_mutex, frag_mutex,
 * flow_mutex, route_mutex, a socket's lock) is held across a call of a
 * device's xmit that could come back into net_rx. Loopback queues what it
 * is handed and the first sender drains the queue (net/loopback.c), so a
 * packet sent to ourselves is processed after the sender's own call
 * chain has let go of what it held in the stack; the receive path itself
 * never takes a socket's lock (it pushes onto the socket's channel).
 */
#ifndef NET_NET_PRIVATE_H
#define NET_NET_PRIVATE_H

#include "kernel/mm/mm.h"
#include "net/net.h"

/* A UDP datagram to port 68 (the DHCP client) that no socket took: the
 * IPv4 input hands it to net/dhcp.c. p->data is at the UDP payload,
 * p->l3_off and p->l4_off locate the headers; dhcp_input owns p. */
void dhcp_input(struct netdev *dev, struct pkt *p);

/* ---- wire formats (network byte order; RFC 894, 791, 768, 792, 826) ---- */
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
struct eth_hdr {
	uint8_t dst[6], src[6];
	uint16_t type;
} __attribute__((packed));

#define IP_HLEN 20
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
#define IP_MAXPACKET 65535
struct ip_hdr {
	uint8_t vihl; /* version 4, header length in 32-bit words */
	uint8_t tos;
	uint16_t len; /* of the whole datagram (this fragment) */
	uint16_t id;
	uint16_t frag; /* DF, MF, offset in 8-byte units */
	uint8_t ttl, proto;
	uint16_t csum;
	uint32_t src, dst;
} __attribute__((packed));

#define UDP_HLEN 8
struct udp_hdr {
	uint16_t sport, dport, len, csum;
} __attribute__((packed));

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMPROB 12
#define ICMP_PORT_UNREACH 3 /* codes of ICMP_DEST_UNREACH */
#define ICMP_FRAG_NEEDED 4
#define ICMP_PROT_UNREACH 2
#define ICMP_FRAG_TIMEOUT 1 /* code of ICMP_TIME_EXCEEDED */
struct icmp_hdr {
	uint8_t type, code;
	uint16_t csum;
	uint16_t id, seq; /* echo; for errors: unused, next-hop MTU */
} __attribute__((packed));

#define ARP_REQUEST 1
#define ARP_REPLY 2
struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

#define INADDR_ANY 0u
#define INADDR_BROADCAST 0xffffffffu
#define IN_LOOPBACKNET 127
static inline bool ip_is_multicast(uint32_t a) /* network order */
{
	return (net_ntohl(a) >> 28) == 0xe;
}
static inline bool ip_is_loopback(uint32_t a)
{
	return (net_ntohl(a) >> 24) == IN_LOOPBACKNET;
}

/* ---- SNMP counters (RFC 4293 / 1213 names as Linux's /proc/net/snmp) ---- */
struct net_mib {
	uint64_t ip_in_receives, ip_in_hdr_errors, ip_in_addr_errors,
	    ip_in_unknown_protos, ip_in_discards, ip_in_delivers,
	    ip_out_requests, ip_out_discards, ip_out_no_routes,
	    ip_reasm_timeout, ip_reasm_reqds, ip_reasm_oks, ip_reasm_fails,
	    ip_frag_oks, ip_frag_fails, ip_frag_creates, ip_out_transmits,
	    ip_forw_datagrams;
	uint64_t icmp_in_msgs, icmp_in_errors, icmp_in_csum_errors,
	    icmp_out_msgs, icmp_out_errors, icmp_out_rate_limit;
	uint64_t icmp_in_type[256], icmp_out_type[256];
	uint64_t udp_in_datagrams, udp_no_ports, udp_in_errors,
	    udp_out_datagrams, udp_rcvbuf_errors, udp_sndbuf_errors,
	    udp_in_csum_errors, udp_ignored_multi;
	uint64_t arp_own_addr_claims; /* replies/requests claiming our IP */
	uint64_t arp_queue_drops;     /* waiting packets dropped */
};
extern struct net_mib net_mib;
/* Relaxed atomic increments: counters, not synchronisation. */
#define NET_INC(field) __atomic_fetch_add(&net_mib.field, 1, __ATOMIC_RELAXED)
#define NET_ADD(field, n)                                                      \
	__atomic_fetch_add(&net_mib.field, (n), __ATOMIC_RELAXED)
#define DEV_INC(dev, field)                                                    \
	__atomic_fetch_add(&(dev)->stats.field, 1, __ATOMIC_RELAXED)

/* ---- glue the host builds replace (tests/host/net_host.h) ---- */
/* The CPU the caller runs on, for the transmit queue. */
unsigned net_cpu(void);
/* A few random bits (IP ids, ephemeral ports). */
uint32_t net_random(void);
/* Drops p from the receive path: counted in dev's rx_dropped. */
void net_drop(struct netdev *dev, struct pkt *p);

/* ---- Ethernet and ARP (net/ether.c, net/arp.c) ---- */
/* Sends p (data at the IPv4 header) to next_hop over dev: adds the
 * Ethernet header, resolving the address through ARP (p may wait in the
 * ARP queue). Takes ownership of p. */
int ether_output(struct netdev *dev, struct pkt *p, uint32_t next_hop);
/* Puts the Ethernet header (type in network order) and calls xmit. */
int ether_xmit(struct netdev *dev, struct pkt *p, const uint8_t *dst,
	       uint16_t type);
extern const uint8_t ether_bcast[6];
void arp_input(struct netdev *dev, struct pkt *p); /* data at ARP */
/* The MAC of ip on dev into mac: 0, or -EAGAIN after queueing p (owned
 * by the ARP queue then) and asking; errors free p. */
int arp_resolve(struct netdev *dev, uint32_t ip, struct pkt *p, uint8_t mac[6]);
/* Announces dev's address (RFC 5227 2.3, gratuitous ARP). */
void arp_announce(struct netdev *dev);
/* The ARP table as /proc/net/arp; the length written. */
int arp_proc(char *buf, size_t size);

/* ARP table entries, exposed for the host tests. */
#define ARP_TABLE_MAX 256 /* entries; the oldest unused one goes */
#define ARP_QUEUE_MAX 48 /* packets waiting per unresolved entry: the 45
			  * fragments of a 64 KiB datagram (Linux: 101) */
#define ARP_REACHABLE_NS (30ull * 1000000000)  /* then re-resolve */
#define ARP_RETRY_NS (1000000000ull)	       /* between requests */
#define ARP_MAX_TRIES 3			       /* then the entry fails */
#define ARP_FAILED_HOLD_NS (3ull * 1000000000) /* a failed one is kept */
/* Looks up ip in the table for tests: true (and mac) when resolved. */
bool arp_lookup(struct netdev *dev, uint32_t ip, uint8_t mac[6]);
unsigned arp_count(void);
/* Forgets every entry (tests). */
void arp_flush(void);

/* ---- IPv4 (net/ip.c, net/route.c, net/frag.c) ---- */
struct ip_out {
	uint32_t src, dst; /* src 0: the interface's */
	uint8_t proto, ttl, tos;
	bool df;	   /* never fragment: EMSGSIZE (IP_PMTUDISC_DO) */
	bool set_df;	   /* DF in unfragmented datagrams (PMTU discovery) */
	bool broadcast_ok; /* SO_BROADCAST */
	int bound_if;	   /* SO_BINDTODEVICE */
};
/*
 * Sends p, whose data is at the transport header, as one IPv4 datagram
 * (fragmented when larger than the MTU and not df). A PKT_CSUM_PARTIAL
 * packet gets its checksum filled here when the device cannot, or when
 * it is fragmented. Takes ownership of p. 0 or -errno.
 */
int ip_output(struct pkt *p, const struct ip_out *o);
/* Whether a is one of our interface addresses (not broadcast). */
bool ip_addr_is_local(uint32_t a);
/* The interface whose address is a; NULL if none. */
struct netdev *ip_dev_of_addr(uint32_t a);
/* Whether dst (network order) is for us on dev: ours, broadcast, 127/8
 * on loopback. */
bool ip_for_us(struct netdev *dev, uint32_t dst);
/* The source address to use toward dst; 0 when no route. */
uint32_t ip_source_for(uint32_t dst);
/*
 * Checks the IPv4 header at p->data (RFC 791 3.1, RFC 1122 3.2.1): true
 * if it is sound, sets p->l3_off and trims link padding; false means the
 * caller drops it (already counted).
 */
bool ip_header_ok(struct pkt *p);
/* The IPv4 input (data at the IPv4 header): checks, then a channel or the
 * default path. Owns p. */
void ip_rx(struct netdev *dev, struct pkt *p);
/* net_route_lookup restricted to an interface (SO_BINDTODEVICE; 0: any) */
int net_route_lookup_if(uint32_t dst, int bound_if, struct netdev **dev,
			uint32_t *next_hop);
/* The default path for a checked datagram (fragments, ICMP, UDP for no
 * socket...): owns p; data at the IPv4 header. */
void ip_input_default(struct netdev *dev, struct pkt *p);
/* Delivers a whole datagram (data at the IPv4 header) to its protocol. */
void ip_deliver(struct netdev *dev, struct pkt *p);

/*
 * Reassembly (RFC 791 3.2, RFC 815 hole list, RFC 5722-style overlap
 * rejection). Takes a fragment (data at the IPv4 header, checked) and
 * returns the whole datagram when this was the last missing piece (a new
 * packet, data at its IPv4 header), else NULL (kept or dropped).
 */
struct pkt *frag_input(struct pkt *p, uint64_t now_ns);
#define FRAG_TIMEOUT_NS (30ull * 1000000000) /* RFC 1122 3.3.2: 60-120 s */
#define FRAG_MEM_MAX (4u << 20)		     /* bytes held, all datagrams */
#define FRAG_MAX_PIECES 64		     /* per datagram */
#define FRAG_MAX_DGRAMS 256		     /* datagrams in progress */
/* Bytes held by reassembly now (tests and the memory bound). */
size_t frag_mem(void);
/* Drops whatever is in progress (tests). */
void frag_flush(void);
/* Expires old datagrams (called from frag_input and the ARP/ICMP paths). */
void frag_expire(uint64_t now_ns);

/* ---- ICMP (net/icmp.c) ---- */
void icmp_input(struct netdev *dev, struct pkt *p); /* data at IPv4 hdr */
/* Sends an ICMP error about the datagram `orig` (data at its IPv4
 * header; not consumed), rate-limited (RFC 1812 4.3.2.8, Linux's
 * icmp_ratelimit). `info` is the next-hop MTU for FRAG_NEEDED. */
void icmp_send_error(const struct pkt *orig, uint8_t type, uint8_t code,
		     uint16_t info);
/* The path MTU recorded for dst by fragmentation-needed messages; 0 if
 * none (net/icmp.c). */
unsigned icmp_path_mtu(uint32_t dst);

/* ---- flows (net/flow.c) ---- */
/*
 * The flow table: which consumer a received datagram belongs to, by
 * protocol, local address and port, remote address and port (remote 0:
 * any; local address 0: any). Entries are added and removed under
 * flow_mutex and looked up under rcu_read_lock; a removed entry is freed
 * with call_rcu. The owner (a UDP socket) is reached through `owner`,
 * which the lookup hands to `get` inside the read section.
 */
struct flow {
	struct flow *next;  /* in its lookup chain: rcu */
	struct flow *bnext; /* in its port's bind chain: under flow_lock */
	uint8_t proto;
	uint16_t lport, rport; /* network order */
	uint32_t laddr, raddr; /* network order */
	int bound_if;	       /* 0: any interface */
	void *owner;	       /* the protocol's socket */
	struct rcu_head rcu;
};
/* Keys the table's hash; once, before the first flow_add. */
void flow_init(void);
/* Adds f (filled in by the caller) to the table; under flow_lock. */
void flow_add(struct flow *f);
/* Takes f out; it is freed (free()) after a grace period; under
 * flow_lock. */
void flow_remove(struct flow *f);
/*
 * The best match for a received datagram: exact 4-tuple, then bound
 * address with any remote, then any address; `get` is called on the
 * owner inside the read section and must take a reference (false: not
 * usable, the lookup goes on). Returns the owner or NULL.
 */
void *flow_lookup(uint8_t proto, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport, int ifindex, bool (*get)(void *owner));
/* Every match (for broadcasts, which go to each socket on the port,
 * Linux's __udp4_lib_mcast_deliver), at most max, each with get() done;
 * the count. */
unsigned flow_lookup_all(uint8_t proto, uint32_t laddr, uint16_t lport,
			 uint32_t raddr, uint16_t rport, int ifindex,
			 bool (*get)(void *owner), void **out, unsigned max);
/* Walks the table under flow_mutex (bind's conflict checks). */
void flow_lock(void);
void flow_unlock(void);
/* The first entry (under flow_lock) with this protocol and local port. */
struct flow *flow_first_port(uint8_t proto, uint16_t lport);
/* The next one after f with the same protocol and port. */
struct flow *flow_next_port(struct flow *f);

/* An AF_INET address from a socket call's (len checked: -EINVAL when
 * short); UDP's and TCP's. (net/core.c) */
int inet_sin_get(const struct sockaddr_k *a, unsigned len,
		 struct sockaddr_in_k *sin);
/* ... for bind: also -EAFNOSUPPORT unless AF_INET (or AF_UNSPEC with
 * INADDR_ANY, as Linux's inet_bind). */
int inet_bind_sin_get(const struct sockaddr_k *a, unsigned len,
		      struct sockaddr_in_k *sin);

/* ---- UDP (net/udp.c) ---- */
/* Classifies a checked datagram (data at the IPv4 header, not a
 * fragment): true if it went onto a socket's channel (p is gone). */
bool udp_rx_fast(struct netdev *dev, struct pkt *p);
/* The default path: no socket (ICMP unreachable, DHCP), or a reassembled
 * datagram. Owns p. */
void udp_input(struct netdev *dev, struct pkt *p);
/* An ICMP error about a UDP datagram we sent (`inner` is the quoted IPv4
 * header with at least 8 bytes after its options). */
void udp_icmp_error(const struct ip_hdr *inner, size_t len, int err,
		    const struct icmp_hdr *ic, uint32_t offender);
int udp_init(void);
/* Registers AF_INET and starts the stack's timer thread (once). */
int net_ipv4_init(void);
/* Fills the UDP checksum of p (data at the UDP header) in software. */
void udp_csum_fill(struct pkt *p, uint32_t src, uint32_t dst);
/* Whether the UDP checksum of a received datagram (data at the UDP
 * header, len its length) is right (RFC 768: 0 is none). */
bool udp_csum_ok(const struct pkt *p, uint32_t src, uint32_t dst);
/* The pseudo-header sum (RFC 768) of a datagram of len bytes. */
uint32_t ip_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/*
 * Sleeps on wq until ready(arg), a signal, or the monotonic deadline (0:
 * none), for a caller holding m (released while asleep). Unlike
 * waitq_wait, it registers before it looks at ready(), so a producer
 * that changes the state without m (a channel push, then poll_notify)
 * cannot slip between the look and the sleep. 0 when ready (re-check
 * anyway), -ERESTARTSYS, -ETIMEDOUT. (net/sockwait.c)
 */
int net_wait(struct waitq *wq, struct mutex *m, uint64_t deadline_ns,
	     bool (*ready)(void *arg), void *arg);
/* The periodic work of the stack (ARP retries, reassembly timeouts);
 * net/sockwait.c's thread calls it about once a second. */
void net_tick(uint64_t now_ns);
void arp_tick(uint64_t now_ns);

/* ---- TCP (net/tcp_*.c; added by TCP) ---- */
/* As udp_rx_fast: true if the segment went onto a connection's channel
 * (or was dropped as malformed); p is gone then. */
bool tcp_rx_fast(struct netdev *dev, struct pkt *p);
/* The default path (reassembled, or no connection): owns p. */
void tcp_input_ip(struct netdev *dev, struct pkt *p);
/* TIME_WAIT expiry; from net_tick. */
void tcp_tick(uint64_t now_ns);
/* The worker and the ISN secret; from net_ipv4_init. */
int tcp_init(void);
/* Runs the connections queued on the worker, here; whether there were
 * any (the worker's loop; the host tests, which have no worker). */
bool tcp_work_drain(void);
/* AF_INET SOCK_STREAM's constructor (inet_create). */
int tcp_create(struct socket *s);

/* ---- loopback (net/loopback.c) ---- */
extern struct netdev *net_lo;

/* ---- the configuration (net/config.c, net/dhcp.c) ---- */
struct dhcp_lease;
/*
 * Configures dev with a lease (from DHCP, or the command line's --ip as
 * one): address, prefix, gateway, /etc/resolv.conf and /etc/hosts; `how`
 * names its source for --verbose. Unbind removes the address again.
 */
void net_config_bind(struct netdev *dev, const struct dhcp_lease *l,
		     const char *how);
void net_config_unbind(struct netdev *dev);
/*
 * Starts the DHCP client on dev (its own thread, which keeps the lease
 * renewed) and waits up to wait_ns for a lease: 0 once bound, -ETIMEDOUT
 * if none came (the client goes on asking), or an error.
 */
int dhcp_start(struct netdev *dev, uint64_t wait_ns);

#endif
