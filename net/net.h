/*
 * Networking: packet buffers, network interfaces, the IPv4 stack and the
 * socket layer. This header is the whole interface of net/: drivers
 * register a struct netdev and hand it received frames; linux/sys_net.c
 * turns system calls into struct socket operations. Linux's numbers
 * (address families, socket types, MSG_ and SO_ values, errnos) are the
 * specification; functions return 0 or a count, or a negative errno.
 *
 * The packet path (DESIGN.md section 6, Van Jacobson's net channels):
 *
 *   receive   A driver's receive thread (thread context, never an
 *             interrupt handler) takes filled buffers from the device and
 *             calls net_rx() for each frame. net_rx classifies it without
 *             a lock (Ethernet type; IPv4 header; protocol and ports,
 *             looked up in the flow table under RCU) and pushes a frame
 *             for a socket onto that socket's channel (struct netchan: a
 *             lock-free queue, any number of producers, one consumer),
 *             then notifies the socket's waiters. The protocol work
 *             (checksums, queueing, TCP's state machine) runs in the
 *             thread that reads, writes or polls the socket, which is the
 *             channel's one consumer. Frames for no socket, ARP, ICMP and
 *             IPv4 fragments take the default path: processed in net_rx's
 *             caller, under the stack's own locks.
 *   transmit  The sending thread builds headers in the packet's headroom
 *             (NET_HEADROOM bytes, room for the device's own header too)
 *             and calls the interface's xmit, which puts the packet in a
 *             descriptor (virtio-net) or hands it to the receive side
 *             (loopback). No queue between the socket and the device.
 *
 * Ownership: a struct pkt has exactly one owner at a time (the driver
 * until net_rx, then the channel, then the consumer; on transmit the
 * sender until xmit, then the device until it is done with the buffer).
 * Whoever owns it last calls pkt_free.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/fs.h"
#include "fs/poll.h"
#include "kernel/sync/sync.h"
#include "net/cmsg.h" /* added by the socket helper */

/* ---- errno values beyond fs/fs.h's (Linux's numbers) ---- */
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EPFNOSUPPORT 96
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define EADDRNOTAVAIL 99
#define ENETDOWN 100
#define ENETUNREACH 101
#define ECONNABORTED 103
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ETIMEDOUT_NET 110 /* == ETIMEDOUT */
#define ECONNREFUSED 111
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115

/* ---- byte order (x86 is little-endian; the wire is big-endian) ---- */
static inline uint16_t net_htons(uint16_t v)
{
	return __builtin_bswap16(v);
}
static inline uint32_t net_htonl(uint32_t v)
{
	return __builtin_bswap32(v);
}
#define net_ntohs net_htons
#define net_ntohl net_htonl

/* ---- packet buffers ---- */
#define NET_HEADROOM 192 /* virtio-net hdr + Ethernet + IPv4 + TCP options */
#define PKT_CSUM_VALID 1u   /* rx: the device checked the L4 checksum */
#define PKT_CSUM_PARTIAL 2u /* tx: the device (or loopback: nobody) fills
			     * the L4 checksum at csum_start + csum_off; the
			     * field holds the pseudo-header sum */
#define PKT_GSO_TCP4 4u	    /* tx: the device cuts it into gso_size pieces */
#define PKT_BCAST 8u	    /* rx: to the Ethernet broadcast address */

struct netdev;
#define PKT_FRAGS 2 /* inline: a send ring's bytes wrap at most once */
#define PKT_FRAGS_MAX 18 /* a 64 KiB segment of file pages, unaligned */
struct pkt {
	struct pkt *next;   /* in a channel or queue: its owner's */
	uint8_t *head;	    /* the buffer */
	uint8_t *data;	    /* the first byte of the frame (or what is left
			     * after pkt_pull) */
	uint32_t len;	    /* bytes from data */
	uint32_t size;	    /* bytes from head */
	struct netdev *dev; /* rx: the interface it came in on */
	uint16_t flags;	    /* PKT_* */
	uint16_t csum_start, csum_off; /* PKT_CSUM_PARTIAL: from head */
	uint16_t gso_size;	       /* PKT_GSO_TCP4: MSS */
	uint16_t l3_off, l4_off;       /* rx: set by classification, from head */
	/* Where the buffer goes when freed: NULL for pkt_alloc's own
	 * (freed with the struct); else the driver's, called with arg. */
	void (*release)(struct pkt *p, void *arg);
	void *release_arg;
	/* Zero-copy transmit: bytes that follow data[0, len) on the wire,
	 * in memory the packet does not own (a TCP send ring), read by the
	 * device in place. frag_put(p, frag_arg) runs when the packet is freed,
	 * so the memory stays allocated until then; its bytes may change
	 * once the peer has acknowledged them (a retransmission still queued
	 * then carries sequence numbers the peer drops). Only for devices
	 * with NETDEV_F_SG; everything else gets pkt_linearize's copy.
	 * `frag` points at frag_in, or at up to PKT_FRAGS_MAX entries in
	 * the packet's own buffer past `size` (a file's pages, one each). */
	uint8_t nfrags;
	uint32_t frag_len; /* the sum of frag[].len */
	struct pkt_frag {
		const uint8_t *addr;
		uint32_t len;
	} *frag, frag_in[PKT_FRAGS];
	void (*frag_put)(struct pkt *p, void *arg);
	void *frag_arg;
};
/* The packet's length on the wire: its own bytes and its fragments. */
static inline uint32_t pkt_wire_len(const struct pkt *p)
{
	return p->len + p->frag_len;
}
/* A linear copy of p (its fragments copied in) with `headroom` bytes
 * before the data; p is freed. NULL when out of memory. */
struct pkt *pkt_copy(struct pkt *p, size_t headroom);
/* p with its fragments copied in (p itself when it has none; else a new
 * packet, p freed). NULL when out of memory (p freed). */
struct pkt *pkt_linearize(struct pkt *p);
/* A packet with `headroom` bytes before data and room for len bytes after
 * it; len is set to 0. NULL when out of memory. */
struct pkt *pkt_alloc(size_t headroom, size_t len);
/* The same with room for nfrags fragments (up to PKT_FRAGS_MAX) past the
 * buffer, `frag` pointing there (frag_in for PKT_FRAGS or fewer). */
struct pkt *pkt_alloc_frags(size_t headroom, size_t len, unsigned nfrags);
void pkt_free(struct pkt *p);
/* Prepends n bytes (from the headroom); NULL if there is no room. */
void *pkt_push(struct pkt *p, size_t n);
/* Drops n bytes from the front; NULL if fewer are there. */
void *pkt_pull(struct pkt *p, size_t n);
/* Appends n bytes; NULL if they do not fit. */
void *pkt_put(struct pkt *p, size_t n);
/* Cuts the packet to len bytes (len <= p->len). */
void pkt_trim(struct pkt *p, size_t len);

/* ---- net channels ---- */
/*
 * A channel is an intrusive lock-free queue of packets: producers push
 * with one atomic exchange on the tail (any CPU, any number of them); the
 * one consumer (the socket's owner, under the socket's lock) pops from
 * the head. Bounded: a push beyond `limit` bytes queued is refused (the
 * caller frees and counts the drop). The protocol is written out in
 * net/channel.c.
 */
struct netchan {
	struct pkt *head; /* consumer's */
	struct pkt *tail; /* atomic: the last pushed */
	struct pkt stub;  /* the queue is never empty of nodes */
	uint64_t bytes;	  /* atomic: queued bytes */
	uint64_t limit;
	uint64_t drops;	  /* atomic */
};
void netchan_init(struct netchan *c, uint64_t limit);
/* Producer side; false (nothing queued, p still the caller's) when full. */
bool netchan_push(struct netchan *c, struct pkt *p);
/* Consumer side; NULL when empty (or when a push is half-way). */
struct pkt *netchan_pop(struct netchan *c);
/* Consumer side: frees everything queued. */
void netchan_drain(struct netchan *c);
/* Consumer side (added by the IPv4 stack): true when nothing can be
 * popped (a push half-way counts as nothing; its notification follows). */
bool netchan_empty(const struct netchan *c);

/* ---- interfaces ---- */
#define NETDEV_F_TX_CSUM 1u /* the device fills L4 checksums (PARTIAL) */
#define NETDEV_F_RX_CSUM 2u /* the device checks L4 checksums (VALID) */
#define NETDEV_F_TSO4 4u    /* the device segments PKT_GSO_TCP4 packets */
#define NETDEV_F_MRG_RX 8u  /* informative: mergeable receive buffers */
#define NETDEV_F_SG 16u	    /* transmits packets with fragments (in place) */
#define NETDEV_F_LRO4 32u   /* receives TCP/IPv4 frames past the MTU (GSO) */

/* Linux's interface flags (SIOCGIFFLAGS, RTM_NEWLINK) */
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000

/* What /proc/net/dev shows; all atomic (__atomic_fetch_add, relaxed). */
struct netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
	uint64_t rx_multicast;
};

struct netdev {
	/* set by the driver before netdev_register, then read-only */
	char name[16];	  /* "eth0", "lo": netdev_register names it if "" */
	uint8_t mac[6];	  /* zero for loopback */
	uint32_t mtu;	  /* IP bytes per frame (1500; lo 65536) */
	unsigned features; /* NETDEV_F_* */
	unsigned nqueues;  /* transmit queues (one per vCPU when offered) */
	/*
	 * Takes ownership of p (the frame from data, Ethernet header first;
	 * the device's own header may go in the headroom) and sends it on
	 * queue `q` (the caller's CPU modulo nqueues). Never sleeps long:
	 * with no room it drops the packet, counts it in tx_dropped and
	 * returns -ENOBUFS. Any thread may call it.
	 */
	int (*xmit)(struct netdev *dev, struct pkt *p, unsigned q);
	/*
	 * Optional: whether frames given to xmit are still with the device,
	 * not yet sent (net_flush waits for them). Any thread may call it.
	 */
	bool (*tx_busy)(struct netdev *dev);
	void *priv; /* the driver's */
	/* set by netdev_register */
	int ifindex;	/* 1 for lo, then 2, 3, ... */
	unsigned flags; /* IFF_*: atomic */
	struct netdev_stats stats;
	/* IPv4 configuration (network byte order); written by net/ (DHCP,
	 * --ip) under net's configuration mutex, read locklessly. */
	uint32_t ip, netmask, broadcast;
	struct netdev *next; /* in the interface list; under the config mutex,
			      * published with a release store */
};
/* Whether d sends packets with fragments as they are: it reads them in
 * place and fills checksums (else ip_output gives it a linear copy). */
static inline bool netdev_takes_frags(const struct netdev *d)
{
	unsigned need = NETDEV_F_SG | NETDEV_F_TX_CSUM;

	return (d->features & need) == need;
}
/* Names (if unnamed), numbers and lists the interface; then it receives. */
int netdev_register(struct netdev *dev);
/* The interface with this index or name; NULL if none. Interfaces are
 * never removed, so the pointer stays valid. */
struct netdev *netdev_by_index(int ifindex);
struct netdev *netdev_by_name(const char *name);
/*
 * Waits, at most max_ns, until every interface has sent what it was
 * given: the program's exit calls it, so that the reply a program sends
 * just before it exits leaves before the VM ends. Sleeps; thread context.
 */
void net_flush(uint64_t max_ns);
/* The first interface of the list (lo); follow ->next (acquire loads). */
struct netdev *netdev_first(void);
/*
 * A received frame (Ethernet header first; lo's carry a zeroed one) for
 * the stack, which takes ownership of p. Thread context;
 * returns quickly: classification and a push, or the default path.
 */
void net_rx(struct netdev *dev, struct pkt *p);
/* When set, sees every received frame before the stack does (self-tests,
 * later tracing); it must not keep or change the packet. */
extern void (*net_rx_monitor)(struct netdev *dev, const struct pkt *p);

/* The Internet checksum (RFC 1071) of len bytes, folded and complemented,
 * continuing from `sum` (0, or a pseudo-header's net_csum_add). */
uint32_t net_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t net_csum_fold(uint32_t sum);
static inline uint16_t net_csum(const void *data, size_t len)
{
	return net_csum_fold(net_csum_add(0, data, len));
}

/* ---- application memory in socket calls ---- */
struct kiovec {
	uint64_t base; /* an address: application or kernel, as uio says */
	uint64_t len;
};
/*
 * The data of one send or receive: an iovec array (kernel memory) whose
 * bases are application addresses the system-call layer checked with
 * user_range_ok (user = true), or kernel addresses (user = false: read
 * and write on a socket fd come through the VFS with a kernel buffer).
 * The copy helpers advance through it; resid is what is left.
 */
struct uio {
	struct kiovec *iov;
	unsigned iovcnt;
	unsigned idx;	 /* current element */
	uint64_t off;	 /* into iov[idx] */
	uint64_t resid;	 /* bytes left in all */
	bool user;
};
void uio_init(struct uio *u, struct kiovec *iov, unsigned iovcnt, bool user);
/* Copies up to n bytes out of src into the uio (a receive); the count
 * copied, or -EFAULT if none could be. */
int64_t uio_copy_to(struct uio *u, const void *src, size_t n);
/* Copies up to n bytes from the uio into dst (a send); as above. */
int64_t uio_copy_from(struct uio *u, void *dst, size_t n);

/* ---- sockets ---- */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define AF_MAX 46
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_CONFIRM 0x800
#define MSG_ERRQUEUE 0x2000
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_BINDTODEVICE 25 /* added by the socket helper */
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20 /* SO_RCVTIMEO_OLD: struct timeval */
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PEERSEC 31
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

/* A sockaddr in kernel memory, big enough for every family we serve. */
struct sockaddr_k {
	uint16_t family;
	uint8_t data[126];
};
struct sockaddr_in_k {
	uint16_t sin_family;
	uint16_t sin_port;     /* network order */
	uint32_t sin_addr;     /* network order */
	uint8_t sin_zero[8];
};

/* One sendmsg/recvmsg, with everything but the data in kernel memory. */
struct kmsg {
	/* send: the destination (NULL: the connected peer); receive: room
	 * for the source, namelen in = room, out = the address's length */
	struct sockaddr_k *name;
	unsigned namelen;
	struct uio data;
	/* send: the control messages (Linux's cmsghdr layout); receive: room
	 * for them, controllen in = room, out = bytes written */
	void *control;
	size_t controllen;
	int flags_out; /* receive: MSG_TRUNC, MSG_CTRUNC, MSG_EOR */
};

struct socket;
/*
 * What a protocol does. Any hook may be NULL: the socket layer answers
 * Linux's errno for the operation (-EOPNOTSUPP for listen/accept on a
 * datagram socket, ...). `nonblock` is O_NONBLOCK or MSG_DONTWAIT.
 */
struct sock_ops {
	int (*bind)(struct socket *s, const struct sockaddr_k *a, unsigned len);
	int (*connect)(struct socket *s, const struct sockaddr_k *a,
		       unsigned len, bool nonblock);
	int (*listen)(struct socket *s, int backlog);
	/* *out: a new socket (the layer makes its file) */
	int (*accept)(struct socket *s, struct socket **out, bool nonblock);
	int64_t (*sendmsg)(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock);
	int64_t (*recvmsg)(struct socket *s, struct kmsg *m, int flags,
			   bool nonblock);
	int (*shutdown)(struct socket *s, int how);
	/* level/name as given; val and len in kernel memory. SOL_SOCKET
	 * options the layer keeps itself (struct socket's) are seen after
	 * the layer stored them, so the protocol may act on them. */
	int (*setsockopt)(struct socket *s, int level, int name,
			  const void *val, unsigned len);
	int (*getsockopt)(struct socket *s, int level, int name, void *val,
			  unsigned *len);
	/* getsockname (peer false) / getpeername (peer true) */
	int (*getname)(struct socket *s, struct sockaddr_k *a, unsigned *len,
		       bool peer);
	/* POLL* readiness, registering on s->wq through poll_wait */
	unsigned (*poll)(struct socket *s, struct file *f,
			 struct poll_table *pt);
	/* commands the layer does not answer itself; arg in kernel memory
	 * (fs/fs.h's vfs_ioctl_arg_size convention) */
	int (*ioctl)(struct socket *s, unsigned long cmd, void *arg);
	/* the last reference went: free priv */
	void (*release)(struct socket *s);
	/* socketpair(2): connects two new sockets of the family (added by
	 * the socket helper; NULL: -EOPNOTSUPP) */
	int (*socketpair)(struct socket *a, struct socket *b);
	/* sendfile(2): n bytes of `in` from off sent from its pages in
	 * place (vfs_file_page; NULL: the caller copies) */
	int64_t (*sendfile)(struct socket *s, struct file *in, uint64_t off,
			    size_t n, bool nonblock);
};

struct socket {
	/* set at creation, then read-only */
	const struct sock_ops *ops;
	int family, type, protocol;
	struct file *file; /* the socket's file; no reference held */
	uint64_t ino;	   /* socket:[ino] (sock_alloc's) */
	void *priv;	   /* the protocol's */
	/* readiness waiters; protocols poll_notify it when state changes */
	struct waitq wq;
	/* SOL_SOCKET options the layer keeps (plain stores, read racily by
	 * protocols: a value is as good as the call that set it) */
	int rcvbuf, sndbuf;	      /* bytes, as Linux doubles them */
	uint64_t rcvtimeo, sndtimeo; /* ns; 0: none */
	bool reuseaddr, reuseport, broadcast, keepalive, passcred;
	int linger_on, linger_s;
	int bound_if; /* SO_BINDTODEVICE ifindex; 0: any */
};
#define SOCK_DEFAULT_RCVBUF 212992 /* Linux's net.core.rmem_default */
#define SOCK_DEFAULT_SNDBUF 212992

/*
 * A family's constructor: fills s->ops and s->priv for (type, protocol),
 * or returns -ESOCKTNOSUPPORT / -EPROTONOSUPPORT / -EPROTOTYPE as Linux.
 */
typedef int (*sock_create_fn)(struct socket *s, int type, int protocol);
int net_family_register(int family, sock_create_fn create);
/* The constructor of `family`; NULL when no one serves it. */
sock_create_fn net_family(int family);
/* socket(2) without the descriptor: a new socket with its file (one
 * reference); flags SOCK_NONBLOCK. */
int sock_create(int family, int type, int protocol, int flags,
		struct file **out);
/* For accept and socketpair: the file of a socket a protocol made (ops
 * and priv set, the rest from sock_alloc). */
struct socket *sock_alloc(int family, int type, int protocol);
int sock_make_file(struct socket *s, int flags, struct file **out);
/* The socket behind a file; NULL if it is not one (-ENOTSOCK). */
struct socket *sock_of_file(struct file *f);
/* sendfile(2) into s from `in`'s pages, up to its end of file: bytes
 * sent, an error, or -EOPNOTSUPP when the protocol or the file cannot
 * (the caller copies). SIGPIPE as send. */
int64_t sock_sendfile(struct socket *s, struct file *in, uint64_t off,
		      size_t n, bool nonblock);
/* Ends a sleep for the socket's readers and writers (any thread). */
static inline void sock_wake(struct socket *s, unsigned events)
{
	poll_notify(&s->wq, events);
}

/* ---- the socket layer's help for protocols (net/socket.c; added by
 * the socket helper) ---- */
/*
 * Sleeping: a protocol sleeps on a waitq with its own mutex held, until
 * sock_deadline(s->rcvtimeo or s->sndtimeo). sock_wait gives 0 (re-check),
 * -EAGAIN once the deadline passed (Linux's timed-out socket sleeps),
 * -ERESTARTSYS for a signal when there is no deadline and -EINTR when
 * there is one (SO_RCVTIMEO sleeps are not restarted, as Linux).
 * A sendmsg hook returns -EPIPE for a shut-down connection; on a
 * SOCK_STREAM socket the layer raises SIGPIPE unless MSG_NOSIGNAL (Linux
 * signals for streams, not for datagrams or seqpacket).
 */
uint64_t sock_deadline(uint64_t timeo_ns);
/* The system calls' entries (linux/sys_net.c): options (val, len in
 * kernel memory; -ENOPROTOOPT reported once), and send/receive with the
 * SIGPIPE and MSG_DONTWAIT handling. */
int sock_setsockopt(struct socket *s, int level, int name, const void *val,
		    unsigned len);
int sock_getsockopt(struct socket *s, int level, int name, void *val,
		    unsigned *len);
int64_t sock_sendmsg(struct socket *s, struct kmsg *m, int flags,
		     bool nonblock);
int64_t sock_recvmsg(struct socket *s, struct kmsg *m, int flags,
		     bool nonblock);
int sock_wait(struct waitq *wq, struct mutex *m, uint64_t deadline);

/* Linux's struct ucred: SO_PEERCRED, SCM_CREDENTIALS. */
struct ucred_k {
	int32_t pid;
	uint32_t uid, gid;
};
/* The calling process's (linux/sys_net.c). */
void sock_self_cred(struct ucred_k *c);

/* struct cmsghdr_k and the walk over control messages: net/cmsg.h */
#define SCM_MAX_FD 253 /* file descriptors in one SCM_RIGHTS */
#define ETOOMANYREFS 109
/*
 * Appends a control message to a receive's m->control (room: controllen)
 * at *used, advancing *used; what does not fit is cut and MSG_CTRUNC set
 * in flags_out, as Linux's put_cmsg. The protocol stores the final *used
 * in m->controllen.
 */
void kmsg_put_cmsg(struct kmsg *m, size_t *used, int level, int type,
		   const void *data, size_t len);
/* The first (at NULL) or next control message of a send, or NULL at the
 * end; *err -EINVAL for a malformed one (as Linux's __scm_send). */
const struct cmsghdr_k *kmsg_next_cmsg(const struct kmsg *m,
				       const struct cmsghdr_k *c, int *err);

/* Interface ioctls (SIOCGIF*, net/ifioctl.c) on a socket of `family`:
 * SIOCGIFADDR/NETMASK/BRDADDR only on AF_INET ones (Linux's inet_ioctl),
 * the others on any; -ENOTTY for other commands. arg is kernel memory
 * (struct ifreq or struct ifconf, whose buffer is copied to the
 * application here). The socket layer calls it after the protocol's
 * ioctl hook said -ENOTTY. */
int net_if_ioctl(int family, unsigned long cmd, void *arg);
/* ARPHRD_* of an interface (netlink, SIOCGIFHWADDR) */
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
static inline bool netdev_is_loopback(const struct netdev *d)
{
	return d->ifindex == 1 || !strncmp(d->name, "lo", 3);
}
#define IFF_LOWER_UP 0x10000
/* Its MTU as shown (0, which nothing registers, reads as lo's). */
static inline unsigned netdev_mtu(const struct netdev *d)
{
	return d->mtu ? d->mtu : 65536;
}
/* The IFF_* flags an interface shows (SIOCGIFFLAGS, RTM_NEWLINK): the
 * registered flags plus what its kind implies. */
static inline unsigned netdev_if_flags(const struct netdev *d)
{
	unsigned f = __atomic_load_n(&d->flags, __ATOMIC_RELAXED);

	if (netdev_is_loopback(d))
		return f | IFF_LOOPBACK;
	return f | IFF_BROADCAST | IFF_MULTICAST;
}

/* ---- IPv4 configuration and the stack (net/ip.c and friends) ---- */
/* One route: dst/mask -> gateway (0: on link) via dev. */
struct net_route {
	uint32_t dst, mask, gateway; /* network order */
	struct netdev *dev;
};
/* The interface and next hop for dst (network order); -ENETUNREACH. */
int net_route_lookup(uint32_t dst, struct netdev **dev, uint32_t *next_hop);
/* Sets an interface's address and prefix (and the on-link route). */
int net_if_set_addr(struct netdev *dev, uint32_t ip, unsigned prefix);
int net_set_gateway(uint32_t gw);
uint32_t net_gateway(void);
/* The routes for netlink (RTM_GETROUTE) and /proc/net/route: copies up
 * to max of them; the count. */
unsigned net_routes(struct net_route *out, unsigned max);

/* ---- /proc/net (fs/procfs.c shows them) ---- */
/*
 * Each writes its file's text in Linux's format into buf (what fits, NUL
 * terminated) and returns the length of the whole text, as snprintf, or
 * what it wrote: procfs makes a text that filled the buffer again in a
 * larger one. (Added for the configuration: dev and route are
 * net/procnet.c's, snmp and arp the IPv4 stack's.)
 */
int net_proc_dev(char *buf, size_t size);
int net_proc_route(char *buf, size_t size);
int net_proc_snmp(char *buf, size_t size);
int net_proc_arp(char *buf, size_t size);
int net_proc_tcp(char *buf, size_t size);
/* snprintf into what is left of buf at *len, counting what does not fit
 * (the /proc/net writers'); put_padded pads the line to width first. */
void net_proc_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void net_proc_put_padded(char *buf, size_t size, size_t *len,
			 const char *line, size_t width);

/* ---- setup ---- */
/* Added by the IPv4 stack: registers "lo" (127.0.0.1/8, IFF_LOOPBACK),
 * the AF_INET family (UDP) and the stack's timer thread; idempotent.
 * net_start calls it first. */
int net_loopback_init(void);

/* Brings up lo and whatever the drivers registered, configures IPv4
 * (--ip, else DHCP on the first Ethernet interface) and writes
 * /etc/resolv.conf and /etc/hosts; after the initrd is unpacked. */
int net_start(void);

#endif
