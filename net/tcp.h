/*
 * Private to net/: the parts of TCP that are pure logic, apart from the
 * connection state machine and the packet path, so that they are tested
 * on the host and fuzzed: sequence arithmetic, options (RFC 9293 3.2, RFC
 * 7323, RFC 2018), the retransmission timer's estimator (RFC 6298), and
 * congestion control (NewReno, RFC 5681/6582; CUBIC, RFC 9438).
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

/* The integer cube root, floor (for CUBIC's K). */
uint64_t tcp_cbrt(uint64_t x);

#endif
