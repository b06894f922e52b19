/*
 * Fuzzes the TIME_WAIT table (net/tcp_tw.c) with sequences of operations
 * read from the input: adds, segments, busy checks and expiries on a few
 * hundred 4-tuples (enough to collide in chains), on a clock that mostly
 * moves forward by arbitrary steps and sometimes back. The table must
 * never hold more than TCP_TW_MAX entries, must stay consistent (chains,
 * age list, free list and count agree; walked every 16 steps and at the
 * end), and each verdict must fit what happened: NONE only for an absent
 * tuple, an entry gone after KILL and REUSE, REUSE only for a SYN without
 * ACK or RST, KILL only for an RST, and the ISN hint never 0. Every 64th
 * input starts by filling the table, so that the bound and eviction are
 * exercised too. SYN cookies, the other thing here a peer's segment
 * feeds, are checked in between with arbitrary values.
 */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "lib/lib.h"
#include "net/tcp.h"

struct input {
	const uint8_t *p;
	size_t left;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

static struct tcp_tw_key key_of(uint32_t n)
{
	n %= 300;
	return (struct tcp_tw_key){0x010012c6u, 0x020012c6u + (n >> 8), 0x5000,
				   (uint16_t)n};
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void do_add(struct input *in, uint64_t now)
{
	struct tcp_tw_key k = key_of(take(in, 2));
	struct tcp_tw_state st = {.snd_nxt = take(in, 4),
				  .rcv_nxt = take(in, 4),
				  .ts_recent = take(in, 4)};
	bool present = tcp_tw_busy(&k, now); /* may expire k's entry */
	unsigned before = tcp_tw_count();

	st.ts_ok = st.ts_recent & 1;
	bool added = tcp_tw_add(&k, &st, now);

	if (added)
		check(tcp_tw_busy(&k, now));
	check(added || (!present && before == TCP_TW_MAX));
}

static void do_segment(struct input *in, uint64_t now)
{
	struct tcp_tw_key k = key_of(take(in, 2));
	struct tcp_tw_seg s = {0};
	struct tcp_tw_state st;
	uint32_t isn = 0;
	bool present = tcp_tw_busy(&k, now);

	s.flags = take(in, 1); /* one statement each: the input's order */
	s.seq = take(in, 4);
	s.ack = take(in, 4);
	s.len = take(in, 1) & 3 ? 0 : take(in, 2);
	s.has_ts = s.flags & 0x40;
	s.ts_val = s.has_ts ? take(in, 4) : 0;
	enum tcp_tw_verdict v = tcp_tw_segment(&k, &s, now, &st, &isn);

	check((v == TCP_TW_NONE) == !present);
	check(v != TCP_TW_RST);
	if (v == TCP_TW_KILL)
		check(s.flags & TCP_FLAG_RST);
	if (v == TCP_TW_REUSE)
		check((s.flags & (TCP_FLAG_SYN | TCP_FLAG_RST |
				  TCP_FLAG_ACK)) == TCP_FLAG_SYN &&
		      isn != 0);
	if (v == TCP_TW_KILL || v == TCP_TW_REUSE)
		check(!tcp_tw_busy(&k, now));
}

static bool mss_in_table(uint16_t mss)
{
	static const uint16_t table[] = TCP_COOKIE_MSS;

	for (unsigned i = 0; i < ARRAY_SIZE(table); i++)
		if (mss == table[i])
			return true;
	return false;
}

/* SYN cookies from the wire: an arbitrary ACK gives 0 or a table MSS; a
 * cookie of ours comes back with a table MSS now and 0 after 128 s. */
static void do_cookie(struct input *in)
{
	uint32_t laddr = take(in, 4), raddr = take(in, 4), isn = take(in, 4);
	uint16_t lport = take(in, 2), rport = take(in, 2), mss = take(in, 2);
	uint32_t cookie = take(in, 4), now_s = take(in, 4) % 0xfffff000u;
	uint16_t got =
	    tcp_cookie_check(laddr, lport, raddr, rport, isn, cookie, now_s);

	check(got == 0 || mss_in_table(got));
	cookie = tcp_cookie_make(laddr, lport, raddr, rport, isn, mss, now_s);
	got = tcp_cookie_check(laddr, lport, raddr, rport, isn, cookie, now_s);
	check(mss_in_table(got) && got <= (mss < 536 ? 536 : mss));
	check(!tcp_cookie_check(laddr, lport, raddr, rport, isn, cookie,
				now_s + 2 * TCP_COOKIE_PERIOD_S));
}

static void fill(uint64_t now)
{
	struct tcp_tw_state st = {.snd_nxt = 1, .rcv_nxt = 2};

	for (uint32_t i = 0; i < TCP_TW_MAX + 10; i++) {
		struct tcp_tw_key k = {0x030012c6u, 0x040012c6u + (i >> 16),
				       0x5000, (uint16_t)i};
		tcp_tw_add(&k, &st, now + i);
	}
	check(tcp_tw_count() == TCP_TW_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	uint64_t now = 1000000000ull * 100, latest = now + TCP_TW_MAX + 10;

	tcp_tw_init();
	if (size && data[0] % 64 == 0)
		fill(now);
	for (unsigned steps = 0; in.left && steps < 2000; steps++) {
		uint8_t op = take(&in, 1);

		switch (op % 8) {
		case 0:
			do_add(&in, now);
			break;
		case 1:
			do_cookie(&in);
			break;
		case 2:
		case 3:
		case 4:
			do_segment(&in, now);
			break;
		case 5:
			tcp_tw_expire(now);
			break;
		case 6: /* time moves on: up to ~70 s, in 1 ms steps */
			now += (uint64_t)(take(&in, 2) % 70000) * 1000000;
			break;
		case 7: /* or back a little (a clock is never trusted) */
			now -= MIN(now, take(&in, 1) * 1000000ull);
			break;
		}
		latest = MAX(latest, now);
		check(tcp_tw_count() <= TCP_TW_MAX);
		if (steps % 16 == 0) /* a full walk: every step is too slow */
			check(tcp_tw_check());
	}
	check(tcp_tw_check());
	tcp_tw_expire(latest + TCP_TIMEWAIT_NS); /* every entry's time is up */
	check(tcp_tw_count() == 0 && tcp_tw_check());
	return 0;
}
