/*
 * Feeds arbitrary 9P2000.L replies to the decoder (fs/9p/p9_msg.c): the
 * first input byte picks which request the reply answers, the rest is
 * the reply as a server would send it (any size field, any type, any
 * lengths inside). Also encodes requests into a buffer whose size the
 * input picks, to exercise the overflow path.
 *
 * Checked: no read or write outside the buffers (ASan, UBSan); a decoder
 * answers 0 or a negative errno in 1..4095; every string it gives back
 * lies inside the reply; dirents stop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/9p/p9_msg.h"

#define TAG 0x1234

static const uint8_t *lo, *hi;

static void inside(const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n && (b < lo || b + n > hi))
		abort();
}

static void errno_ok(int r)
{
	if (r > 0 || r < -4095)
		abort();
}

static void dirents(struct p9_rbuf *r)
{
	const uint8_t *data;
	uint32_t n;
	struct p9_dirent d;
	int k, guard = 0;

	if (p9_rdata(r, 1u << 20, &data, &n))
		return;
	inside(data, n);
	struct p9_rbuf dr = {data, n, 0, false};
	while ((k = p9_dirent_next(&dr, &d)) == 1 && guard++ < 100000)
		inside(d.name.s, d.name.len);
	errno_ok(k < 0 ? k : 0);
}

static int decode(uint8_t sel, struct p9_rbuf *r)
{
	struct p9_str s;
	struct p9_qid q[P9_MAXWELEM];
	struct p9_attr a;
	struct p9_statfs st;
	const uint8_t *data;
	uint32_t u;
	unsigned n;
	int k;

	switch (sel % 10) {
	case 0:
		k = p9_rversion(r, &u, &s);
		if (!k)
			inside(s.s, s.len);
		return k;
	case 1:
		return p9_rqid(r, q);
	case 2:
		return p9_rwalk(r, P9_MAXWELEM, &n, q);
	case 3:
		return p9_ropen(r, q, &u);
	case 4:
		k = p9_rdata(r, 4096, &data, &u);
		if (!k)
			inside(data, u);
		return k;
	case 5:
		return p9_rgetattr(r, &a);
	case 6:
		k = p9_rreadlink(r, &s);
		if (!k)
			inside(s.s, s.len);
		return k;
	case 7:
		return p9_rstatfs(r, &st);
	case 8:
		dirents(r);
		return 0;
	default:
		return p9_rempty(r);
	}
}

static void encode(const uint8_t *in, size_t n)
{
	uint8_t buf[300];
	struct p9_wbuf w = {buf, (uint32_t)(n % sizeof(buf)), 0, false};
	struct p9_str name = {(const char *)in, (uint16_t)(n < 64 ? n : 64)};
	int r = p9_twalk(&w, TAG, 1, 2, 1, &name);

	if (r && r != -28)
		abort();
	if (!r && (w.len > w.cap || w.len != 19u + name.len))
		abort();
	p9_twrite(&w, TAG, 1, 0, in, (uint32_t)(n < 200 ? n : 200));
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const uint8_t types[10] = {
	    P9_TVERSION, P9_TATTACH,   P9_TWALK,   P9_TLOPEN,	P9_TREAD,
	    P9_TGETATTR, P9_TREADLINK, P9_TSTATFS, P9_TREADDIR, P9_TCLUNK};
	struct p9_rbuf r;
	uint8_t *copy;
	int k;

	if (n < 1)
		return 0;
	encode(in + 1, n - 1);
	copy = malloc(n - 1 ? n - 1 : 1); /* exact size: ASan sees overruns */
	memcpy(copy, in + 1, n - 1);
	lo = copy;
	hi = copy + n - 1;
	k = p9_reply(&r, copy, n - 1, types[in[0] % 10], TAG);
	errno_ok(k);
	if (!k)
		errno_ok(decode(in[0], &r));
	free(copy);
	return 0;
}
