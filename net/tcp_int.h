/*
 * Private to net/tcp_*.c: the connection (struct tcp_sock) and what the
 * files of TCP's engine call in one another. net/tcp.h holds the pure,
 * host-tested parts (options, RTO, congestion control, out-of-order
 * queue); this header the parts that need the kernel: the state machine
 * (tcp_in.c), segment output (tcp_out.c), the socket calls (tcp_sock.c)
 * and the worker, timers and the receive hand-off (tcp_work.c, whose
 * essay says who runs a connection when).
 */
#ifndef NET_TCP_INT_H
#define NET_TCP_INT_H

#include "kernel/sched/sched.h"
#include "net/net_private.h"
#include "net/tcp.h"


/* ---- the header (RFC 9293 3.1) ---- */
#define TCP_HLEN 20
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t off;	/* data offset in words, high nibble */
	uint8_t flags;	/* TH_* */
	uint16_t win, csum, urg;
} __attribute__((packed));

/* A received segment, parsed (tcp_in.c): host order. */
struct tcp_seg {
	uint32_t seq, ack, len; /* len: payload bytes (SYN/FIN not counted) */
	uint32_t wnd;		/* raw (unscaled) */
	uint8_t flags;
	struct tcp_opts opt;
	uint32_t saddr, daddr;	/* network order */
	uint16_t sport, dport;	/* network order */
	struct pkt *p;		/* data at the payload */
};

#define TCP_MSS_DEFAULT 536	      /* RFC 9293 3.7.1 */
#define TCP_SYN_RETRIES 6	      /* Linux's tcp_syn_retries */
#define TCP_RETRIES2 15		      /* Linux's tcp_retries2 */
#define TCP_DELACK_NS 40000000ull     /* Linux's TCP_DELACK_MIN */
#define TCP_FIN_TIMEOUT_NS (60ull * 1000000000) /* tcp_fin_timeout */
#define TCP_KEEPIDLE_S 7200
#define TCP_KEEPINTVL_S 75
#define TCP_KEEPCNT_N 9
#define TCP_SYNQ_MAX 256	      /* half-open children per listener */
#define TCP_SEND_MAX (64u * 1024)     /* one segment (GSO) at most */
#define TCP_RCV_WSCALE 7	      /* what we offer (Linux: by rmem) */

/* Timers a connection runs (bit numbers in tcp_sock.timers_due) */
enum tcp_timer_kind {
	TT_RTO,	      /* retransmission, SYN retries, persist (zero window) */
	TT_DELACK,    /* the delayed ACK */
	TT_KEEPALIVE, /* keepalive probes, FIN_WAIT_2 and TIME_WAIT ends */
	TT_NUM
};

struct tcp_sock {
	/* atomic */
	int refs;      /* socket, hash, worker queue, receivers in flight */
	int scheduled; /* on the worker's queue (tcp_work.c's essay) */
	int sleepers;  /* application threads asleep in tcp_wait */
	int err;       /* pending error for SO_ERROR (positive) */
	int unhash_puts; /* table references waiting for a grace period
			  * (tcp_work.c's essay: one rcu head for them) */
	/* set once at creation */
	struct netchan chan; /* producers: the receive path; consumer: the
			      * lock holder */
	struct waitq wq;     /* readiness; outlives the struct socket */
	struct mutex lock;   /* everything below unless said otherwise */
	struct tcp_sock *work_next; /* the worker's stack: the worker's */
	struct timer timer;	    /* armed and cancelled under lock */
	struct rcu_head rcu;
	/* under lock */
	struct socket *s; /* NULL before accept and after release */
	uint64_t ino;	  /* the socket's (s->ino) once it has one */
	int state;	  /* TCP_* */
	uint32_t laddr, raddr; /* network order */
	uint16_t lport, rport; /* network order */
	struct flow *flow;     /* in the flow table; NULL when not */
	struct netdev *dev;    /* the route's interface (never freed) */
	bool released;	       /* the application closed it */
	bool shut_rd, shut_wr; /* shutdown() said so (or close) */
	bool fin_rcvd;	       /* the peer's FIN is in sequence */
	bool fin_queued;       /* ours is to be sent after the send queue */
	bool fin_sent;	       /* it went out, at fin_seq */
	uint32_t fin_seq;
	bool cork_more;	       /* the last send said MSG_MORE */
	bool reuseaddr, reuseport; /* the socket's, kept for children */
	unsigned wake_ev;      /* readiness changes to notify */
	bool nodelay, cork, quickack_on, keepalive, ts_ok, sack_ok, ws_ok;
	bool port_locked;      /* bound by bind */
	bool connect_pending;
	bool nospace;	       /* a writer found the send queue full */  /* a nonblocking connect not yet reported */
	bool in_accept_queue;
	uint64_t timer_at[TT_NUM]; /* monotonic ns; 0: not set */
	uint64_t timer_armed;	   /* the struct timer's deadline; 0: none */
	/* send side (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_wnd;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;	  /* what we send in a segment (payload) */
	uint16_t rcv_mss; /* what the peer sends (estimate) */
	uint16_t user_mss;
	uint32_t sq_len;  /* the send queue (tcp_sq.c): bytes from snd_una */
	struct tcp_span *spans, **spans_tail; /* NULL: all in the ring */
	uint8_t *sbuf;	  /* ring: the queue's ring bytes, sbuf_len */
	uint32_t sbuf_cap, sbuf_off, sbuf_len;
	unsigned dupacks, retries, probes, backoff_n;
	uint32_t rtt_seq;  /* a segment being timed (Karn) */
	uint64_t rtt_start; /* us; 0: none */
	struct tcp_rtt rtt;
	struct tcp_cc cc;
	uint32_t total_retrans, retrans_out;
	uint64_t bytes_acked, bytes_received, bytes_sent;
	/* receive side */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv; /* the right edge of the window we advertised */
	uint32_t ts_recent, ts_recent_at;
	struct pkt *rcvq, **rcvq_tail; /* in order, data at the payload */
	uint32_t rcv_bytes;	       /* payload bytes queued */
	uint32_t rcv_true;	       /* buffer bytes held (p->size) */
	unsigned rcvq_n;
	struct tcp_ooo ooo;
	unsigned ack_pending;	       /* segments not yet acknowledged */
	unsigned quickacks;	       /* quick ACKs left (start, RFC 1122) */
	uint64_t last_rcv_ns;	       /* keepalive's idle clock */
	uint64_t last_oow_ack_ns;      /* the last rate-limited ACK; 0 none */
	/* options */
	int keepidle, keepintvl, keepcnt; /* seconds, count */
	int linger2_s;
	int rcvbuf, sndbuf; /* copies of the socket's */
	uint8_t ttl, tos;
	/* listener */
	int backlog;
	struct tcp_sock *acq_head, **acq_tail; /* accept queue: acq_lock */
	struct mutex acq_lock; /* leaf lock: the accept queue and counts */
	unsigned acq_len, synq_len;
	struct tcp_sock *listener; /* a child: its listener (a reference) */
	struct tcp_sock *acq_next;
	/* every connection, for the NMI dump: under tcp_all_lock */
	struct tcp_sock *all_next, **all_pprev;
};

static inline struct tcp_hdr *tcp_hdr_of(const struct pkt *p)
{
	return (struct tcp_hdr *)(p->head + p->l4_off);
}

/* tcp_work.c: lifetime, the worker, timers */
extern unsigned tcp_conns; /* connections allocated now (tests) */
void ts_get(struct tcp_sock *ts);
void ts_put(struct tcp_sock *ts);
struct tcp_sock *ts_new(void);
void tcp_schedule(struct tcp_sock *ts);
/* A segment on listener l's channel whose connection exists meanwhile
 * (a SYN's child hashed after the segment was queued): moved to that
 * connection's channel; false if there is none. */
bool tcp_redirect(struct tcp_sock *l, struct pkt *p);
void tcp_timers_update(struct tcp_sock *ts); /* under lock: re-arm */
void tcp_set_timer(struct tcp_sock *ts, enum tcp_timer_kind k, uint64_t at);
/* Waits (under lock, as net_wait) until ready(ts) or the deadline; the
 * sleepers count and the hand-off to the worker are done here. */
int tcp_wait(struct tcp_sock *ts, uint64_t deadline,
	     bool (*ready)(void *arg));
/* Takes the connection out of the flow table and drops the table's
 * reference after a grace period (under lock). */
void tcp_unhash(struct tcp_sock *ts);
int tcp_hash(struct tcp_sock *ts, bool listener); /* under lock */
/* Runs what is pending: the channel's segments, due timers, output.
 * Under lock; every path that takes the lock ends with it. */
void tcp_process(struct tcp_sock *ts);
int tcp_init(void);
/* Calls fn on every connection, under the list's mutex (fn may take
 * ts->lock: nothing takes the list's mutex under it but ts_free, which
 * runs only once no one else holds ts). */
void tcp_foreach(void (*fn)(struct tcp_sock *ts, void *arg), void *arg);
/* tcp_tw_foreach under the TIME_WAIT table's mutex. */
void tcp_tw_foreach_locked(void (*fn)(const struct tcp_tw_key *k,
				      uint64_t left_ns, void *arg),
			   void *arg);

/* tcp_in.c: the state machine */
void tcp_input(struct tcp_sock *ts, struct pkt *p); /* owns p */
void tcp_timers_run(struct tcp_sock *ts, uint64_t now);
void tcp_set_state(struct tcp_sock *ts, int state);
void tcp_done(struct tcp_sock *ts, int err); /* to CLOSED, with error */
void tcp_rcvq_free(struct tcp_sock *ts);
/* The default path: a segment for no connection (data at IPv4). */
void tcp_input_default(struct netdev *dev, struct pkt *p);
bool tcp_csum_ok(const struct pkt *p);
void tcp_syn_options(struct tcp_sock *ts, const struct tcp_seg *seg);
void tcp_tw_lock(void); /* the TIME_WAIT table's mutex (tcp_work.c) */
void tcp_tw_unlock(void);

/* tcp_out.c: building and sending */
/* The send ring's memory, counted (segments sent in place hold it):
 * a ring of cap bytes with one reference, or NULL; dropping one. */
uint8_t *tcp_sbuf_alloc(uint32_t cap);
void tcp_sbuf_put(void *ring);
void tcp_output(struct tcp_sock *ts);		/* what may be sent now */
int tcp_send_ctl(struct tcp_sock *ts, uint8_t flags, uint32_t seq);
void tcp_send_ack(struct tcp_sock *ts);
void tcp_send_rst_conn(struct tcp_sock *ts); /* abort: RST to the peer */
/* An RST (or ACK) for a segment with no connection (RFC 9293 3.10.7.1) */
void tcp_send_reply(uint32_t saddr, uint32_t daddr, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		    uint32_t wnd);
void tcp_send_synack_cookie(const struct tcp_seg *syn, uint32_t isn,
			    uint16_t mss);
void tcp_retransmit(struct tcp_sock *ts); /* RTO: from snd_una again */
void tcp_retransmit_fast(struct tcp_sock *ts); /* one segment at snd_una */
uint32_t tcp_rcv_window(const struct tcp_sock *ts); /* bytes, unscaled */
/* What is left of the window we advertised (RCV.WND) */
static inline uint32_t tcp_rcv_wnd(const struct tcp_sock *ts)
{
	return seq_gt(ts->rcv_adv, ts->rcv_nxt) ? ts->rcv_adv - ts->rcv_nxt : 0;
}
uint16_t tcp_route_mss(struct tcp_sock *ts);
uint32_t tcp_now_ts(void);	 /* the TSval clock (ms) */
uint64_t tcp_now_us(void);
uint32_t tcp_flight(const struct tcp_sock *ts);
/* The ring (offsets from its first byte): drop, copy, hang in place */
void tcp_sbuf_drop(struct tcp_sock *ts, uint32_t n);
void tcp_sbuf_copy(const struct tcp_sock *ts, uint32_t off, uint8_t *dst,
		   uint32_t n);
void tcp_sbuf_attach(struct tcp_sock *ts, struct pkt *p, uint32_t off,
		     uint32_t n);

/* tcp_sq.c: the send queue, ring bytes and file spans (offsets from
 * snd_una; under lock) */
struct file;
int tcp_sq_ring_ready(struct tcp_sock *ts);
void tcp_sq_ring_added(struct tcp_sock *ts, uint32_t n);
int tcp_sq_add_file(struct tcp_sock *ts, struct file *f, uint64_t off,
		    uint32_t n);
void tcp_sq_drop(struct tcp_sock *ts, uint32_t n);
void tcp_sq_free(struct tcp_sock *ts);
uint32_t tcp_sq_inplace(const struct tcp_sock *ts, uint32_t off, uint32_t n);
void tcp_sq_copy(const struct tcp_sock *ts, uint32_t off, uint8_t *dst,
		 uint32_t n);
bool tcp_sq_attach(struct tcp_sock *ts, struct pkt *p, uint32_t off,
		   uint32_t n);

/* tcp_sock.c */
extern const struct sock_ops tcp_ops;
int tcp_info_get(struct tcp_sock *ts, void *val, unsigned *len);
int tcp_create(struct socket *s);
/* A new child of listener l for a SYN (under l's lock). */
void tcp_listen_syn(struct tcp_sock *l, const struct tcp_seg *seg);
bool tcp_listen_cookie_ack(struct tcp_sock *l, struct tcp_seg *seg);
/* A child reached ESTABLISHED: into its listener's accept queue. */
void tcp_child_ready(struct tcp_sock *child);

/* counters: net/tcp.h's tcp_mib (/proc/net/snmp's Tcp lines) */
#define TCP_INC(f) TCP_MIB_INC(f)

#endif
