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

/* ---- until tcpaux lands: the helpers branch tcpaux adds to net/tcp.h
 * (net/tcp_cookie.c, net/tcp_tw.c); temporary versions in tcp_tmp.c ---- */
#ifndef TCP_TW_MAX
void tcp_secret_init(const uint8_t key[16]);
uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport, uint64_t now_us);
uint16_t tcp_port_pick(uint32_t laddr, uint32_t raddr, uint16_t rport,
		       uint16_t lo, uint16_t hi,
		       bool (*busy)(uint16_t port, void *arg), void *arg);
#define TCP_AUX_TEMP 1
#define TCP_TW_MAX 4096
#define TCP_TIMEWAIT_NS (60ull * 1000000000)
struct tcp_tw_key {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};
struct tcp_tw_state {
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent;
	bool ts_ok;
	uint8_t snd_wscale;
	uint16_t rcv_wnd;
};
enum tcp_tw_verdict {
	TCP_TW_NONE,
	TCP_TW_DROP,
	TCP_TW_ACK,
	TCP_TW_RST,
	TCP_TW_REUSE,
	TCP_TW_KILL
};
void tcp_tw_init(void);
bool tcp_tw_add(const struct tcp_tw_key *k, const struct tcp_tw_state *st,
		uint64_t now_ns);
enum tcp_tw_verdict tcp_tw_input(const struct tcp_tw_key *k, uint8_t flags,
				 uint32_t seq, uint32_t ack, bool has_ts,
				 uint32_t ts_val, uint64_t now_ns,
				 struct tcp_tw_state *st, uint32_t *isn_hint);
bool tcp_tw_busy(const struct tcp_tw_key *k, uint64_t now_ns);
void tcp_tw_expire(uint64_t now_ns);
unsigned tcp_tw_count(void);
/* Linux's states (include/net/tcp_states.h) and options (linux/tcp.h) */
enum {
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
};
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
#define TCP_USER_TIMEOUT 18
#define TCP_FASTOPEN 23
/* Linux's struct tcp_info (linux/tcp.h), up to tcpi_snd_wnd */
struct tcp_info_k {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes;
	uint8_t tcpi_backoff, tcpi_options, tcpi_wscale, tcpi_flags;
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans;
	uint32_t tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent;
	uint32_t tcpi_last_data_recv, tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar;
	uint32_t tcpi_snd_ssthresh, tcpi_snd_cwnd, tcpi_advmss;
	uint32_t tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
	uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked, tcpi_bytes_received;
	uint32_t tcpi_segs_out, tcpi_segs_in;
	uint32_t tcpi_notsent_bytes, tcpi_min_rtt;
	uint32_t tcpi_data_segs_in, tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;
	uint32_t tcpi_delivered, tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd;
};
_Static_assert(sizeof(struct tcp_info_k) == 232, "Linux's tcp_info");
#endif
/* ---- end of "until tcpaux lands" ---- */

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
	bool connect_pending;  /* a nonblocking connect not yet reported */
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
	uint8_t *sbuf;	  /* ring: bytes from snd_una; sbuf_len queued */
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
};

static inline struct tcp_hdr *tcp_hdr_of(const struct pkt *p)
{
	return (struct tcp_hdr *)(p->head + p->l4_off);
}

/* tcp_work.c: lifetime, the worker, timers */
void ts_get(struct tcp_sock *ts);
void ts_put(struct tcp_sock *ts);
struct tcp_sock *ts_new(void);
void tcp_schedule(struct tcp_sock *ts);
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
void tcp_output(struct tcp_sock *ts);		/* what may be sent now */
int tcp_send_ctl(struct tcp_sock *ts, uint8_t flags, uint32_t seq);
void tcp_send_ack(struct tcp_sock *ts);
void tcp_send_rst_conn(struct tcp_sock *ts); /* abort: RST to the peer */
/* An RST (or ACK) for a segment with no connection (RFC 9293 3.10.7.1) */
void tcp_send_reply(uint32_t saddr, uint32_t daddr, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		    uint32_t wnd);
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
void tcp_sbuf_drop(struct tcp_sock *ts, uint32_t n);

/* tcp_sock.c */
extern const struct sock_ops tcp_ops;
int tcp_info_get(struct tcp_sock *ts, void *val, unsigned *len);
int tcp_create(struct socket *s);
/* A new child of listener l for a SYN (under l's lock). */
void tcp_listen_syn(struct tcp_sock *l, const struct tcp_seg *seg);
/* A child reached ESTABLISHED: into its listener's accept queue. */
void tcp_child_ready(struct tcp_sock *child);

/* counters (Linux's /proc/net/snmp Tcp: names) */
struct tcp_mib {
	uint64_t active_opens, passive_opens, attempt_fails, estab_resets,
	    in_segs, out_segs, retrans_segs, in_errs, out_rsts, in_csum_errors;
};
extern struct tcp_mib tcp_mib;
#define TCP_INC(f) __atomic_fetch_add(&tcp_mib.f, 1, __ATOMIC_RELAXED)

#endif
