/*
 * The DHCP client's pure part (net/dhcp_msg.c): messages and the state
 * machine of RFC 2131 with the options of RFC 2132, without the kernel,
 * so that the host tests and the fuzzer run it as the kernel does.
 *
 * The client is driven by its owner (net/dhcp.c: one kernel thread per
 * interface, under its mutex) with three calls that each fill a struct
 * dhcp_action: dhcp_client_start, dhcp_client_input for every reply and
 * dhcp_client_timer once dhcp_client_deadline has passed. Times are
 * monotonic nanoseconds; addresses are in network byte order.
 */
#ifndef NET_DHCP_H
#define NET_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_MAX_DNS 3	    /* glibc's MAXNS */
#define DHCP_DOMAIN_MAX 253 /* a domain name's longest text */
#define DHCP_MSG_MIN 300    /* BOOTP's minimum (RFC 1542 2.1) */
#define DHCP_MSG_MAX 576    /* what we send fits in 576 (RFC 2131 2) */
#define DHCP_FRAME_MAX (14 + 20 + 8 + DHCP_MSG_MAX)
#define DHCP_LEASE_MIN_S 10 /* shorter leases are taken as this long */
#define DHCP_LEASE_INFINITE 0xffffffffu
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* Message types (option 53) */
enum {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
};

/* Why a reply was ignored; each is counted in dhcp_client.drops. */
enum dhcp_drop {
	DHCP_OK,
	DHCP_DROP_SHORT,   /* under the 240 bytes of header and cookie */
	DHCP_DROP_OP,	   /* not a BOOTREPLY */
	DHCP_DROP_HW,	   /* not Ethernet (htype 1, hlen 6) */
	DHCP_DROP_XID,	   /* not our transaction */
	DHCP_DROP_CHADDR,  /* not our MAC */
	DHCP_DROP_COOKIE,  /* no magic cookie */
	DHCP_DROP_OPTIONS, /* an option runs past its field, or a bad length */
	DHCP_DROP_TYPE,	   /* no or an unknown message type */
	DHCP_DROP_SERVER,  /* no server identifier, or not the one we chose */
	DHCP_DROP_ADDR,	   /* an address no host may have */
	DHCP_DROP_STATE,   /* valid, but not what the state expects */
	DHCP_NDROPS
};
extern const char *const dhcp_drop_names[DHCP_NDROPS];

/* What a server gave us (or, for --ip, the command line). */
struct dhcp_lease {
	uint32_t addr, mask, router, server;
	uint32_t broadcast; /* informative: the prefix gives the one we use */
	uint32_t dns[DHCP_MAX_DNS];
	unsigned ndns;
	uint32_t lease_s, t1_s,
	    t2_s; /* from the ACK; lease_s may be infinite */
	char domain[DHCP_DOMAIN_MAX + 1]; /* "" when none; checked text */
};

/* A parsed reply. */
struct dhcp_reply {
	uint8_t type; /* DHCPOFFER, DHCPACK, DHCPNAK */
	struct dhcp_lease lease;
};

/*
 * Checks and reads a BOOTREPLY of len bytes (the UDP payload) for
 * transaction xid and hardware address mac. Everything in it is hostile:
 * returns DHCP_OK and fills *r, or the reason it was ignored.
 */
enum dhcp_drop dhcp_parse(const uint8_t *msg, size_t len, uint32_t xid,
			  const uint8_t mac[6], struct dhcp_reply *r);

/* The prefix length of a contiguous mask; -1 for one with holes. */
int dhcp_mask_prefix(uint32_t mask);
/* The mask of a prefix length (0..32). */
uint32_t dhcp_prefix_mask(unsigned prefix);

enum dhcp_state {
	DHCP_STOPPED,	 /* not started */
	DHCP_INIT,	 /* waiting to send a DISCOVER (after a NAK: backoff) */
	DHCP_SELECTING,	 /* DISCOVER sent, waiting for an OFFER */
	DHCP_REQUESTING, /* REQUEST sent for an offer, waiting for the ACK */
	DHCP_BOUND,	 /* configured until T1 */
	DHCP_RENEWING,	 /* T1 passed: REQUEST unicast to our server */
	DHCP_REBINDING,	 /* T2 passed: REQUEST broadcast to any server */
};

#define DHCP_ACT_SEND 1u   /* send act->msg (broadcast, or to the server) */
#define DHCP_ACT_BIND 2u   /* configure act->lease (new or changed) */
#define DHCP_ACT_RENEW 4u  /* the same lease, extended: nothing to change */
#define DHCP_ACT_UNBIND 8u /* the lease ended: remove the address */

struct dhcp_action {
	unsigned what; /* DHCP_ACT_* */
	/* SEND: the BOOTP message; unicast to the server's address (and the
	 * MAC its last reply came from) from ours, else broadcast from
	 * 0.0.0.0 (or from ours while rebinding) */
	uint8_t msg[DHCP_MSG_MAX];
	size_t len;
	bool unicast;
	uint32_t src, dst;
	uint8_t dst_mac[6];
	/* BIND, RENEW */
	struct dhcp_lease lease;
};

/* One client per interface: its owner's, under its owner's lock. */
struct dhcp_client {
	/* set by dhcp_client_init */
	uint8_t mac[6];
	uint16_t max_msg; /* option 57: the interface's MTU less IP and UDP */
	uint32_t (*random)(void *arg);
	void *random_arg;
	/* the state machine */
	enum dhcp_state state;
	uint32_t xid;
	uint64_t started_ns;	 /* this acquisition's first message: secs */
	uint64_t deadline_ns;	 /* the next dhcp_client_timer; ~0: none */
	uint64_t rto_ns;	 /* the current retransmission delay */
	unsigned tries;		 /* messages sent in this state */
	unsigned naks;		 /* NAKs in a row: INIT's backoff */
	struct dhcp_lease offer; /* SELECTING's choice, REQUESTING's goal */
	struct dhcp_lease lease; /* BOUND and after */
	uint8_t server_mac[6];	 /* where the lease's ACK came from */
	uint64_t bound_ns;	 /* when the lease's ACK came */
	/* counters */
	uint64_t drops[DHCP_NDROPS];
	uint64_t sent, received;
};

void dhcp_client_init(struct dhcp_client *c, const uint8_t mac[6], uint16_t mtu,
		      uint32_t (*random)(void *), void *arg);
/* From DHCP_STOPPED: the first DISCOVER. */
void dhcp_client_start(struct dhcp_client *c, uint64_t now,
		       struct dhcp_action *act);
/* A reply (the UDP payload) that came from Ethernet address src_mac. */
void dhcp_client_input(struct dhcp_client *c, const uint8_t *msg, size_t len,
		       const uint8_t src_mac[6], uint64_t now,
		       struct dhcp_action *act);
/* Retransmissions and the lease's times; call once the deadline passed. */
void dhcp_client_timer(struct dhcp_client *c, uint64_t now,
		       struct dhcp_action *act);
static inline uint64_t dhcp_client_deadline(const struct dhcp_client *c)
{
	return c->deadline_ns;
}

/*
 * The whole frame of act's message from the interface with MAC `mac`:
 * Ethernet, IPv4 and UDP (68 -> 67) with their checksums, into buf (at
 * least DHCP_FRAME_MAX bytes); the frame's length.
 */
size_t dhcp_frame(uint8_t *buf, const struct dhcp_action *act,
		  const uint8_t mac[6], uint16_t ip_id);

#endif
