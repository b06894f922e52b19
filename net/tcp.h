/*
 * Private to net/: the parts of TCP that are pure logic, apart from the
 * connection state machine and the packet path, so that they are tested
 * on the host and fuzzed: sequence arithmetic, options (RFC 9293 3.2, RFC
 * 7323, RFC 2018), the retransmission timer's estimator (RFC 6298),
 * congestion control (NewReno, RFC 5681/6582; CUBIC, RFC 9438), the
 * out-of-order queue; ISNs, SYN cookies and ephemeral ports from a keyed
 * hash, the TIME_WAIT table; Linux's TCP_INFO, option and state numbers.
 *
 * None of it allocates, sleeps or takes a lock: a connection's owner calls
 * it with the connection in hand. Times are microseconds, windows bytes.
 */
#ifndef NET_TCP_H
#define NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENOBUFS 105 /* as net/net.h; this header builds on the host alone */

/* ---- sequence numbers (RFC 9293 3.4: arithmetic modulo 2^32) ---- */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
/* lo <= s < hi, on the circle */
static inline bool seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return s - lo < hi - lo;
}

/* ---- options ---- */
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_OK 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TIMESTAMP 8
#define TCP_MAX_WSCALE 14 /* RFC 7323 2.3 */
#define TCP_MAX_SACK 4	  /* blocks in one option (40 bytes of room) */
#define TCP_OPT_SPACE 40  /* (15 - 5) * 4 */

struct tcp_sack_block {
	uint32_t left, right; /* [left, right) */
};

/* What a segment's options say; `has` tells which were present. */
#define TCP_HAS_MSS 1u
#define TCP_HAS_WSCALE 2u
#define TCP_HAS_SACK_OK 4u
#define TCP_HAS_TS 8u
#define TCP_HAS_SACK 16u
struct tcp_opts {
	unsigned has;
	uint16_t mss;
	uint8_t wscale; /* clamped to TCP_MAX_WSCALE, as RFC 7323 2.3 says */
	uint32_t ts_val, ts_ecr;
	unsigned nsack;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

/*
 * Parses the options area of a segment (len bytes, at most 40). A
 * malformed option (a length below 2, or past the end; a known option of
 * the wrong length) makes the whole area -EINVAL, as the segment is then
 * not to be trusted; unknown options are skipped by their length.
 * Options valid only on SYN are taken wherever they are: the caller
 * decides what a segment may carry.
 */
int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);
/*
 * Writes the options o->has asks for (sack blocks: o->nsack, fewer if
 * they do not fit) at p, padded with NOPs to a multiple of 4 bytes, in
 * the order Linux sends them; returns the bytes written (at most room,
 * which is at most 40).
 */
size_t tcp_opts_build(uint8_t *p, size_t room, const struct tcp_opts *o);

/* ---- the retransmission timer (RFC 6298) ---- */
#define TCP_RTO_INITIAL_US 1000000 /* RFC 6298 2.1 */
#define TCP_RTO_MIN_US 200000	   /* Linux's TCP_RTO_MIN (RFC: 1 s) */
#define TCP_RTO_MAX_US 120000000   /* Linux's TCP_RTO_MAX */

struct tcp_rtt {
	uint32_t srtt_us, rttvar_us; /* 0 until the first sample */
	uint32_t rto_us;	     /* the timer's current value */
	unsigned backoff;	     /* doublings since the last sample */
};
void tcp_rtt_init(struct tcp_rtt *r);
/* One round-trip measurement (Karn's rule: never from a retransmitted
 * segment unless timestamps say which transmission it was). */
void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us);
/* The timer expired: double the RTO (RFC 6298 5.5), up to the maximum. */
void tcp_rtt_backoff(struct tcp_rtt *r);

/* ---- congestion control ---- */
enum tcp_cc_algo { TCP_CC_RENO, TCP_CC_CUBIC };

struct tcp_cc {
	enum tcp_cc_algo algo;
	uint32_t mss;
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t acked_partial;	 /* bytes acked toward the next increase */
	/* fast recovery (RFC 6582): in it while snd_una < recover */
	bool in_recovery;
	uint32_t recover;
	/* CUBIC (RFC 9438 4): the window before the last reduction, the
	 * epoch's start, K, and the Reno-friendly estimate */
	uint32_t w_max;	       /* bytes */
	uint32_t w_last_max;   /* for fast convergence */
	uint64_t epoch_us;     /* 0: no epoch yet */
	uint64_t k_us;
	uint32_t cwnd_epoch;   /* bytes */
	uint64_t w_est;	       /* bytes << 10 */
};
/* RFC 5681 3.1 / RFC 6928: the initial window, 10 segments (Linux). */
void tcp_cc_init(struct tcp_cc *c, enum tcp_cc_algo algo, uint32_t mss);
/* `acked` new bytes were acknowledged at `now_us`, the smoothed RTT is
 * srtt_us, and cwnd was the limit (the sender had more to send). */
void tcp_cc_on_ack(struct tcp_cc *c, uint32_t acked, uint64_t now_us,
		   uint32_t srtt_us, bool cwnd_limited);
/* Three duplicate ACKs (or SACK loss detection) with snd_nxt = nxt and
 * `flight` bytes outstanding: enter fast recovery unless in it already
 * (RFC 6582 3.2 step 2). Returns true if it entered. */
bool tcp_cc_on_fast_loss(struct tcp_cc *c, uint32_t flight, uint32_t nxt);
/* A duplicate ACK in fast recovery: a segment left the network (RFC 5681
 * 3.2 step 4: inflate by one segment). */
void tcp_cc_on_dupack(struct tcp_cc *c);
/* An ACK in recovery: true when it ends it (ack covers `recover`);
 * RFC 6582 3.2 steps 3-5, with `acked` new bytes. */
bool tcp_cc_recovery_ack(struct tcp_cc *c, uint32_t ack, uint32_t acked);
/* The retransmission timer expired with `flight` bytes outstanding (RFC
 * 5681 3.1 equation 4): one segment, slow start again. */
void tcp_cc_on_timeout(struct tcp_cc *c, uint32_t flight);

/* ---- the out-of-order receive queue (RFC 9293 3.10.7.4, RFC 2018) ---- */
/*
 * Segments that arrived beyond rcv_nxt wait here, sorted and without
 * overlap, until rcv_nxt reaches them. A newcomer wins: data it repeats is
 * trimmed from the segments already held (whole ones are dropped), and a
 * newcomer inside a held segment brings nothing and is dropped; no entry
 * is ever split, so the queue needs no memory of its own. It holds at
 * most `limit` payload bytes and TCP_OOO_MAX_SEGS segments (1-byte
 * segments must not cost unbounded memory); what does not fit is refused
 * and comes again. Entries are the caller's (a packet's), given back
 * through `release` when the queue lets go of them.
 */
#define TCP_OOO_MAX_SEGS 256
struct tcp_ooo_seg {
	struct tcp_ooo_seg *next;
	uint32_t seq, len; /* [seq, seq + len) in sequence space */
	uint32_t off;	   /* where seq's byte is in the caller's payload */
	void *buf;	   /* the caller's */
};
struct tcp_ooo {
	struct tcp_ooo_seg *head; /* ascending seq */
	uint32_t bytes, limit;
	unsigned nsegs;
	uint32_t last_seq; /* of the latest arrival: SACK's first block */
	void (*release)(struct tcp_ooo_seg *seg);
};
void tcp_ooo_init(struct tcp_ooo *q, uint32_t limit,
		  void (*release)(struct tcp_ooo_seg *seg));
/*
 * Offers seg (seq, len, off, buf filled in; starting beyond rcv_nxt).
 * Takes it: kept, or released at once when it brings nothing new or does
 * not fit. Returns its length when kept, 0 when it brought nothing,
 * -ENOBUFS when refused.
 */
int tcp_ooo_insert(struct tcp_ooo *q, struct tcp_ooo_seg *seg);
/* The first segment if it starts at or before rcv_nxt (its start trimmed
 * to rcv_nxt; those wholly before it are released); NULL if a hole comes
 * first. The caller owns what it gets. */
struct tcp_ooo_seg *tcp_ooo_pop(struct tcp_ooo *q, uint32_t rcv_nxt);
/* The SACK blocks to send (RFC 2018 4): contiguous runs, the one holding
 * the latest arrival first, then ascending; at most max. The count. */
unsigned tcp_ooo_sack(const struct tcp_ooo *q, struct tcp_sack_block *out,
		      unsigned max);
/* Releases everything. */
void tcp_ooo_purge(struct tcp_ooo *q);

/* ---- ISNs (RFC 6528) and SYN cookies (RFC 4987 3.6); net/tcp_cookie.c ---- */
/*
 * One secret keys every hash below (SipHash-2-4, lib/siphash.c). Set it
 * once at boot, from the entropy source, before any other call here and
 * before tcp_tw_init (the TIME_WAIT table hashes with it too).
 */
void tcp_secret_init(const uint8_t key[16]);
/* RFC 6528 3: ISN = M + F(4-tuple, secret), M a clock of 4 us ticks: one
 * tuple's ISNs grow with time, different tuples' are unrelated. */
uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		 uint64_t now_us);
/*
 * SYN cookies: the ISN of a SYN-ACK sent without keeping state, which
 * the handshake's ACK echoes (plus one). The MSS is kept as an index into
 * TCP_COOKIE_MSS (Linux's IPv4 table): the peer's MSS rounded down to a
 * table value, 536 below 1300 (as Linux: every IPv4 host takes 536). A
 * cookie is good for 64 to 128 s (TCP_COOKIE_PERIOD_S periods, the one it
 * was made in and the next). tcp_cookie_check gives the MSS encoded, or 0
 * when the cookie is not one of ours, was for another tuple or peer ISN,
 * or is too old; peer_isn = the ACK's seq - 1, cookie = the ACK's ack - 1.
 */
/* clang-format off */
#define TCP_COOKIE_MSS {536, 1300, 1440, 1460}
/* clang-format on */
#define TCP_COOKIE_PERIOD_S 64
uint32_t tcp_cookie_make(uint32_t laddr, uint16_t lport, uint32_t raddr,
			 uint16_t rport, uint32_t peer_isn, uint16_t mss,
			 uint32_t now_s);
uint16_t tcp_cookie_check(uint32_t laddr, uint16_t lport, uint32_t raddr,
			  uint16_t rport, uint32_t peer_isn, uint32_t cookie,
			  uint32_t now_s);
/* The keyed hash of a 4-tuple and two more words, for the modules here:
 * `domain` keeps the uses apart (one secret, unrelated outputs). */
enum tcp_hash_domain {
	TCP_HASH_ISN = 1,
	TCP_HASH_COOKIE_OFF,
	TCP_HASH_COOKIE_MAC,
	TCP_HASH_PORT,
	TCP_HASH_TW,
};
uint64_t tcp_tuple_hash(enum tcp_hash_domain domain, uint32_t laddr,
			uint16_t lport, uint32_t raddr, uint16_t rport,
			uint32_t x, uint32_t y);

/*
 * Ephemeral ports (RFC 6056 3.3.3, algorithm 3, the simple hash-based
 * one; net/tcp_cookie.c): lo..hi host order; busy(port in host order, arg)
 * says a candidate is taken; returns the chosen port in host order, 0 when
 * all are busy (port 0 itself is never chosen). Successive calls for the
 * same destination give different ports (one counter, advanced per try);
 * different destinations start at unrelated offsets (a keyed hash of
 * laddr, raddr, rport).
 */
uint16_t tcp_port_pick(uint32_t laddr, uint32_t raddr, uint16_t rport,
		       uint16_t lo, uint16_t hi,
		       bool (*busy)(uint16_t port, void *arg), void *arg);

/* ---- TIME_WAIT (RFC 9293 3.6.1, RFC 6191, RFC 1337); net/tcp_tw.c ---- */
/*
 * A bounded table with static storage, hashed by 4-tuple (keyed, so that
 * a peer cannot aim its entries at one chain); no locking inside: the
 * caller serialises every call. Times are nanoseconds of a monotonic clock.
 * The rules tcp_tw_input follows are written atop net/tcp_tw.c.
 */
#define TCP_TW_MAX 4096
#define TCP_TIMEWAIT_NS (60ull * 1000000000)
/* A full table evicts the entry closest to expiry, if it has spent at
 * least this long in TIME_WAIT (net/tcp_tw.c says why 1 s). */
#define TCP_TW_EVICT_MIN_NS (1ull * 1000000000)
/* Linux's tcp_invalid_ratelimit: at most one ACK to out-of-window
 * segments (that occupy no sequence space) per entry per 500 ms. */
#define TCP_TW_ACK_RATELIMIT_NS (500ull * 1000000)
struct tcp_tw_key { /* network order; l: ours, r: the peer's */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};
struct tcp_tw_state {
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent;
	bool ts_ok;
	uint8_t snd_wscale;
	uint16_t rcv_wnd;
	bool reuse; /* the socket had SO_REUSEADDR (bind's conflict check) */
};
enum tcp_tw_verdict {
	TCP_TW_NONE,
	TCP_TW_DROP,
	TCP_TW_ACK,
	TCP_TW_RST,
	TCP_TW_REUSE,
	TCP_TW_KILL
};
/* TCP header flags, as tcp_tw_input takes them */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
void tcp_tw_init(void);
/*
 * Enters k into TIME_WAIT for TCP_TIMEWAIT_NS (an entry already there for
 * k takes the new state and restarts). False when the table is full and
 * nothing could be evicted: the caller then just closes the connection, as
 * Linux does when tcp_max_tw_buckets overflows.
 */
bool tcp_tw_add(const struct tcp_tw_key *k, const struct tcp_tw_state *st,
		uint64_t now_ns);
/*
 * A segment for k arrived; flags = TCP header flags (TCP_FLAG_*). NONE:
 * no entry (or an expired one). Otherwise *st gets the entry's state (for
 * the ACK the caller sends): ACK: send <SEQ=snd_nxt><ACK=rcv_nxt><ACK>
 * (TSecr ts_recent when ts_ok); DROP: nothing; KILL: the entry is gone
 * (an RST at rcv_nxt); REUSE: an acceptable new SYN, the entry is gone
 * and *isn_hint is the ISN to give the new connection (snd_nxt + 65537,
 * never 0, as Linux) -- when no listener takes the SYN, the caller puts
 * the entry back with tcp_tw_add(k, st) and sends the ACK, as Linux does.
 * RST is never answered here (Linux sends it only from FIN_WAIT2
 * minisockets, which Osprey does not keep). st and isn_hint may be NULL.
 * The segment is taken to carry no payload, so data at rcv_nxt is DROPped
 * as a bare ACK would be, and out-of-window data is ACKed at the limited
 * rate; tcp_tw_segment, given the payload length, answers those as Linux.
 */
enum tcp_tw_verdict tcp_tw_input(const struct tcp_tw_key *k, uint8_t flags,
				 uint32_t seq, uint32_t ack, bool has_ts,
				 uint32_t ts_val, uint64_t now_ns,
				 struct tcp_tw_state *st, uint32_t *isn_hint);
struct tcp_tw_seg {
	uint8_t flags;
	uint32_t seq, ack, len; /* len: payload bytes; ack: not looked at */
	bool has_ts;
	uint32_t ts_val;
};
enum tcp_tw_verdict tcp_tw_segment(const struct tcp_tw_key *k,
				   const struct tcp_tw_seg *seg,
				   uint64_t now_ns, struct tcp_tw_state *st,
				   uint32_t *isn_hint);
/* connect(): whether this 4-tuple is still in TIME_WAIT */
bool tcp_tw_busy(const struct tcp_tw_key *k, uint64_t now_ns);
/* Removes the entries whose time is up; call it from a timer. */
void tcp_tw_expire(uint64_t now_ns);
unsigned tcp_tw_count(void);
/* Whether an entry holds local port lport (network order) on laddr (0:
 * any) against a bind: Linux's inet_csk_bind_conflict keeps TIME_WAIT
 * sockets in the port's bind bucket, and only SO_REUSEADDR on both sides
 * (reuse: the binder's) lets a new socket share the port with them. */
bool tcp_tw_port_conflict(uint16_t lport, uint32_t laddr, bool reuse,
			  uint64_t now_ns);
/* Calls fn on every entry, oldest first, with the time it has left. */
void tcp_tw_foreach(void (*fn)(const struct tcp_tw_key *k, uint64_t left_ns,
				void *arg),
		    void *arg, uint64_t now_ns);
/* The table's internal consistency (chains, lists, count); for tests. */
bool tcp_tw_check(void);

/* ---- TCP_INFO, socket options and states, as Linux numbers them ---- */
/* setsockopt/getsockopt at SOL_TCP (Linux's include/uapi/linux/tcp.h;
 * 44-46, TCP_RTO_MAX_MS, TCP_RTO_MIN_US and TCP_DELACK_MAX_US of Linux
 * 6.11+, are left out: the second's name is taken above) */
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_SYNCNT 7
#define TCP_LINGER2 8
#define TCP_DEFER_ACCEPT 9
#define TCP_WINDOW_CLAMP 10
#define TCP_INFO 11
#define TCP_QUICKACK 12
#define TCP_CONGESTION 13
#define TCP_MD5SIG 14
#define TCP_THIN_LINEAR_TIMEOUTS 16
#define TCP_THIN_DUPACK 17
#define TCP_USER_TIMEOUT 18
#define TCP_REPAIR 19
#define TCP_REPAIR_QUEUE 20
#define TCP_QUEUE_SEQ 21
#define TCP_REPAIR_OPTIONS 22
#define TCP_FASTOPEN 23
#define TCP_TIMESTAMP 24
#define TCP_NOTSENT_LOWAT 25
#define TCP_CC_INFO 26
#define TCP_SAVE_SYN 27
#define TCP_SAVED_SYN 28
#define TCP_REPAIR_WINDOW 29
#define TCP_FASTOPEN_CONNECT 30
#define TCP_ULP 31
#define TCP_MD5SIG_EXT 32
#define TCP_FASTOPEN_KEY 33
#define TCP_FASTOPEN_NO_COOKIE 34
#define TCP_ZEROCOPY_RECEIVE 35
#define TCP_INQ 36
#define TCP_CM_INQ TCP_INQ
#define TCP_TX_DELAY 37
#define TCP_AO_ADD_KEY 38
#define TCP_AO_DEL_KEY 39
#define TCP_AO_INFO 40
#define TCP_AO_GET_KEYS 41
#define TCP_AO_REPAIR 42
#define TCP_IS_MPTCP 43

/* Socket states (tcpi_state, /proc/net/tcp's st; Linux's tcp_states.h) */
enum tcp_linux_state {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
	TCP_NEW_SYN_RECV,
	TCP_BOUND_INACTIVE, /* Linux 6.7+: bound, not listening (diag) */
};

/* Congestion-avoidance states (tcpi_ca_state) */
enum tcp_ca_state {
	TCP_CA_Open,
	TCP_CA_Disorder,
	TCP_CA_CWR,
	TCP_CA_Recovery,
	TCP_CA_Loss,
};

/* tcpi_options */
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK 2
#define TCPI_OPT_WSCALE 4
#define TCPI_OPT_ECN 8	       /* ECN negotiated at the handshake */
#define TCPI_OPT_ECN_SEEN 16   /* at least one packet with ECT received */
#define TCPI_OPT_SYN_DATA 32   /* SYN-ACK acked data in SYN sent or received */
#define TCPI_OPT_USEC_TS 64    /* Linux 6.7+: timestamps in microseconds */
#define TCPI_OPT_TFO_CHILD 128 /* Linux 6.10+: a passive Fast Open child */

/*
 * getsockopt(TCP_INFO): Linux's struct tcp_info field for field, as
 * Debian 12's /usr/include/linux/tcp.h has it (232 bytes; newer kernels
 * append fields, and the call copies min(optlen, size), so a program built
 * against either header works). Times are microseconds unless said.
 */
struct tcp_info_k {
	uint8_t tcpi_state; /* enum tcp_linux_state */
	uint8_t tcpi_ca_state;
	uint8_t tcpi_retransmits;
	uint8_t tcpi_probes;
	uint8_t tcpi_backoff;
	uint8_t tcpi_options; /* TCPI_OPT_* */
	union { /* Linux's two nibbles; tcpi_wscale writes both at once */
		struct {
			uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
		};
		uint8_t tcpi_wscale; /* snd_wscale | rcv_wscale << 4 */
	};
	uint8_t tcpi_delivery_rate_app_limited : 1,
	    tcpi_fastopen_client_fail : 2;

	uint32_t tcpi_rto;
	uint32_t tcpi_ato;
	uint32_t tcpi_snd_mss;
	uint32_t tcpi_rcv_mss;

	uint32_t tcpi_unacked;
	uint32_t tcpi_sacked;
	uint32_t tcpi_lost;
	uint32_t tcpi_retrans;
	uint32_t tcpi_fackets;

	/* times since, in milliseconds */
	uint32_t tcpi_last_data_sent;
	uint32_t tcpi_last_ack_sent; /* Linux: not remembered, 0 */
	uint32_t tcpi_last_data_recv;
	uint32_t tcpi_last_ack_recv;

	uint32_t tcpi_pmtu;
	uint32_t tcpi_rcv_ssthresh;
	uint32_t tcpi_rtt;
	uint32_t tcpi_rttvar;
	uint32_t tcpi_snd_ssthresh; /* segments */
	uint32_t tcpi_snd_cwnd;	    /* segments */
	uint32_t tcpi_advmss;
	uint32_t tcpi_reordering;

	uint32_t tcpi_rcv_rtt;
	uint32_t tcpi_rcv_space;

	uint32_t tcpi_total_retrans;

	uint64_t tcpi_pacing_rate; /* bytes per second */
	uint64_t tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked;
	uint64_t tcpi_bytes_received;
	uint32_t tcpi_segs_out;
	uint32_t tcpi_segs_in;

	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;
	uint32_t tcpi_data_segs_in;
	uint32_t tcpi_data_segs_out;

	uint64_t tcpi_delivery_rate;

	uint64_t tcpi_busy_time;
	uint64_t tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;

	uint32_t tcpi_delivered;
	uint32_t tcpi_delivered_ce;

	uint64_t tcpi_bytes_sent;
	uint64_t tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups;
	uint32_t tcpi_reord_seen;

	uint32_t tcpi_rcv_ooopack;

	uint32_t tcpi_snd_wnd; /* the peer's window, scaled, bytes */
};
_Static_assert(sizeof(struct tcp_info_k) == 232, "Linux's tcp_info");
_Static_assert(offsetof(struct tcp_info_k, tcpi_rto) == 8, "tcpi_rto");
_Static_assert(offsetof(struct tcp_info_k, tcpi_rtt) == 68, "tcpi_rtt");
_Static_assert(offsetof(struct tcp_info_k, tcpi_total_retrans) == 100,
	       "tcpi_total_retrans");
_Static_assert(offsetof(struct tcp_info_k, tcpi_pacing_rate) == 104,
	       "tcpi_pacing_rate");
_Static_assert(offsetof(struct tcp_info_k, tcpi_bytes_acked) == 120,
	       "tcpi_bytes_acked");
_Static_assert(offsetof(struct tcp_info_k, tcpi_delivery_rate) == 160,
	       "tcpi_delivery_rate");
_Static_assert(offsetof(struct tcp_info_k, tcpi_snd_wnd) == 228,
	       "tcpi_snd_wnd");

/* ---- /proc/net/snmp's Tcp lines (RFC 4022's MIB, as Linux names it) ---- */
/*
 * Counted by the connection code with TCP_MIB_INC/ADD/DEC (relaxed
 * atomics: counters, not synchronisation, as net_mib's); printed by
 * net/snmp.c, which holds the instance, between Icmp/IcmpMsg and Udp as
 * Linux does. Linux's first four values are constants there: RtoAlgorithm
 * 1 (RFC 6298's), RtoMin and RtoMax in ms (TCP_RTO_MIN_US, TCP_RTO_MAX_US)
 * and MaxConn -1 (no limit). The rest, in Linux's order:
 */
struct tcp_mib {
	uint64_t active_opens;	 /* ActiveOpens: CLOSED -> SYN_SENT */
	uint64_t passive_opens;	 /* PassiveOpens: LISTEN -> SYN_RECV */
	uint64_t attempt_fails;	 /* AttemptFails: SYN_SENT/RECV -> CLOSED,
				    SYN_RECV -> LISTEN */
	uint64_t estab_resets;	 /* EstabResets: ESTABLISHED/CLOSE_WAIT ->
				    CLOSED */
	uint64_t curr_estab;	 /* CurrEstab: a gauge, ESTABLISHED and
				    CLOSE_WAIT now */
	uint64_t in_segs;	 /* InSegs: received, errors included */
	uint64_t out_segs;	 /* OutSegs: sent, retransmissions excluded */
	uint64_t retrans_segs;	 /* RetransSegs */
	uint64_t in_errs;	 /* InErrs: received with errors */
	uint64_t out_rsts;	 /* OutRsts */
	uint64_t in_csum_errors; /* InCsumErrors */
};
extern struct tcp_mib tcp_mib;
#define TCP_MIB_INC(field)                                                     \
	__atomic_fetch_add(&tcp_mib.field, 1, __ATOMIC_RELAXED)
#define TCP_MIB_ADD(field, n)                                                  \
	__atomic_fetch_add(&tcp_mib.field, (n), __ATOMIC_RELAXED)
#define TCP_MIB_DEC(field)                                                     \
	__atomic_fetch_sub(&tcp_mib.field, 1, __ATOMIC_RELAXED)

/* The integer cube root, floor (for CUBIC's K). */
uint64_t tcp_cbrt(uint64_t x);

#endif
