/*
 * The send queue: the bytes from snd_una that the application gave and
 * the peer has not acknowledged, sq_len of them.
 *
 * Bytes written with send/write are copied into the connection's ring
 * (tcp_out.c: counted, read in place by the device). Bytes given by
 * sendfile (or splice) from a file whose pages the page cache holds are
 * not copied at all: the queue keeps the file and the range, and each
 * segment hangs the file's pages on the packet as fragments, one per
 * page. So the queue is a sequence of spans, ring bytes and file bytes,
 * in the order they were given. While no file bytes are queued the list
 * is empty and the ring is the whole queue, the common case, which costs
 * nothing more than before; the list exists only from the first file
 * span until the peer has acknowledged the last one.
 *
 * A ring span's bytes are the ring's next ones: the ring holds the ring
 * spans' bytes back to back, so a ring span begins in the ring at the sum
 * of the ring spans before it. A file span holds a reference on the file
 * and asks the page cache for its pages when a segment is made
 * (vfs_file_page_get): each page hung on a packet carries a reference on
 * its frame, which the packet's free drops (pages_put), so a page the
 * file loses meanwhile (truncated, evicted) stays readable until the
 * device is done with it. A page not there any more (past a truncated
 * end) makes the segment a copy, with zeros where the page was. As with
 * the ring, a file page's bytes can change after sendfile returned
 * (Linux's sendfile has the same window: the pages are sent, not a
 * snapshot of them).
 *
 * Everything here runs under ts->lock but pages_put, which a packet's
 * free calls from wherever the device gives it back.
 */
#include "net/tcp_int.h"
#include "fs/fs.h"

#define PAGE 4096u

/* A piece of the queue; under ts->lock, the span's list's. */
struct tcp_span {
	struct tcp_span *next;
	uint32_t len;	/* bytes left */
	struct file *f; /* NULL: bytes of the ring; else a reference */
	uint64_t off;	/* file: the offset of the first byte left */
};

static struct tcp_span *span_new(struct file *f, uint64_t off, uint32_t len)
{
	struct tcp_span *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return NULL;
	sp->len = len;
	sp->off = off;
	if (f)
		file_get(f);
	sp->f = f;
	return sp;
}

static void span_free(struct tcp_span *sp)
{
	if (sp->f)
		file_put(sp->f);
	free(sp);
}

static void span_append(struct tcp_sock *ts, struct tcp_span *sp)
{
	*ts->spans_tail = sp;
	ts->spans_tail = &sp->next;
}

/* The list's last span (there is a list). */
static struct tcp_span *last_span(struct tcp_sock *ts)
{
	return container_of(ts->spans_tail, struct tcp_span, next);
}

/* Before bytes go into the ring: a ring span at the end of the list for
 * them (when there is a list); -ENOMEM. */
int tcp_sq_ring_ready(struct tcp_sock *ts)
{
	struct tcp_span *sp;

	if (!ts->spans || !last_span(ts)->f)
		return 0;
	if (!(sp = span_new(NULL, 0, 0)))
		return -ENOMEM;
	span_append(ts, sp);
	return 0;
}

/* n more bytes went into the ring (after tcp_sq_ring_ready). */
void tcp_sq_ring_added(struct tcp_sock *ts, uint32_t n)
{
	ts->sq_len += n;
	if (ts->spans)
		last_span(ts)->len += n;
}

/* Queues n bytes of f from off, in place; 0 or -ENOMEM. */
int tcp_sq_add_file(struct tcp_sock *ts, struct file *f, uint64_t off,
		    uint32_t n)
{
	struct tcp_span *sp = span_new(f, off, n), *ring = NULL;

	if (!sp)
		return -ENOMEM;
	if (!ts->spans && ts->sbuf_len &&
	    !(ring = span_new(NULL, 0, ts->sbuf_len))) {
		span_free(sp);
		return -ENOMEM;
	}
	if (!ts->spans)
		ts->spans_tail = &ts->spans;
	if (ring)
		span_append(ts, ring);
	span_append(ts, sp);
	ts->sq_len += n;
	return 0;
}

/* The peer acknowledged n bytes. */
void tcp_sq_drop(struct tcp_sock *ts, uint32_t n)
{
	n = MIN(n, ts->sq_len);
	ts->sq_len -= n;
	if (!ts->spans) {
		tcp_sbuf_drop(ts, n);
		return;
	}
	while (n && ts->spans) {
		struct tcp_span *sp = ts->spans;
		uint32_t k = MIN(n, sp->len);

		if (sp->f)
			sp->off += k;
		else
			tcp_sbuf_drop(ts, k);
		sp->len -= k;
		n -= k;
		if (sp->len)
			break;
		ts->spans = sp->next;
		span_free(sp);
	}
	if (!ts->spans)
		ts->spans_tail = &ts->spans;
}

/* Everything queued goes (the connection's end). */
void tcp_sq_free(struct tcp_sock *ts)
{
	while (ts->spans) {
		struct tcp_span *sp = ts->spans;

		ts->spans = sp->next;
		span_free(sp);
	}
	ts->spans_tail = &ts->spans;
	tcp_sbuf_drop(ts, ts->sbuf_len);
	ts->sq_len = 0;
}

/* The span holding queue offset *off; *off becomes the offset in it and
 * *ring the ring offset of its first byte. */
static struct tcp_span *span_at(const struct tcp_sock *ts, uint32_t *off,
				uint32_t *ring)
{
	struct tcp_span *sp = ts->spans;

	*ring = 0;
	while (sp && *off >= sp->len) {
		*off -= sp->len;
		if (!sp->f)
			*ring += sp->len;
		sp = sp->next;
	}
	return sp;
}

/* How many of the n bytes from queue offset off one packet carries in
 * place: up to the end of their span, and for a file span as many pages
 * as a packet has fragments. */
uint32_t tcp_sq_inplace(const struct tcp_sock *ts, uint32_t off, uint32_t n)
{
	uint32_t ring;
	struct tcp_span *sp;

	if (!ts->spans)
		return n;
	sp = span_at(ts, &off, &ring);
	if (!sp)
		return 0;
	n = MIN(n, sp->len - off);
	if (sp->f)
		n = MIN(n, PKT_FRAGS_MAX * PAGE - (uint32_t)((sp->off + off) % PAGE));
	return n;
}

/* The page of f holding byte `pos`, with a reference on its frame (the
 * frame's address: pmm_frame_put's), or 0 when it cannot be had. */
static uint64_t file_page(struct file *f, uint64_t pos)
{
	return vfs_file_page_get(f, pos / PAGE, false);
}

/* Copies n bytes of a file span from its byte `at`: zeros where a page
 * is not there (a truncated end, out of memory). */
static void file_copy(struct tcp_span *sp, uint32_t at, uint8_t *dst,
		      uint32_t n)
{
	uint64_t pos = sp->off + at;

	while (n) {
		uint32_t k = MIN(n, PAGE - (uint32_t)(pos % PAGE));
		uint64_t page = file_page(sp->f, pos);

		if (page) {
			memcpy(dst, (uint8_t *)phys_to_virt(page) + pos % PAGE,
			       k);
			pmm_frame_put(page);
		} else {
			memset(dst, 0, k);
		}
		dst += k;
		pos += k;
		n -= k;
	}
}

/* Copies n bytes of the queue from offset off. */
void tcp_sq_copy(const struct tcp_sock *ts, uint32_t off, uint8_t *dst,
		 uint32_t n)
{
	uint32_t ring;
	struct tcp_span *sp;

	if (!ts->spans) {
		tcp_sbuf_copy(ts, off, dst, n);
		return;
	}
	sp = span_at(ts, &off, &ring);
	for (; sp && n; sp = sp->next) {
		uint32_t k = MIN(n, sp->len - off);

		if (sp->f)
			file_copy(sp, off, dst, k);
		else
			tcp_sbuf_copy(ts, ring + off, dst, k);
		if (!sp->f)
			ring += sp->len;
		dst += k;
		n -= k;
		off = 0;
	}
}

/* The packet's free: the references on the frames its fragments are in. */
static void pages_put(struct pkt *p, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < p->nfrags; i++)
		pmm_frame_put(virt_to_phys(p->frag[i].addr) & ~(uint64_t)(PAGE - 1));
}

/* Hangs a file span's n bytes from its byte `at` on p, a page each, each
 * with a reference; false (nothing held) when a page is not there. */
static bool file_attach(struct tcp_span *sp, struct pkt *p, uint32_t at,
			uint32_t n)
{
	uint64_t pos = sp->off + at;

	p->nfrags = 0;
	p->frag_put = pages_put;
	while (n) {
		uint32_t k = MIN(n, PAGE - (uint32_t)(pos % PAGE));
		uint64_t page = p->nfrags < PKT_FRAGS_MAX ? file_page(sp->f, pos) : 0;

		if (!page) {
			pages_put(p, NULL);
			p->frag_put = NULL;
			return false;
		}
		p->frag[p->nfrags++] = (struct pkt_frag){
		    (uint8_t *)phys_to_virt(page) + pos % PAGE, k};
		p->frag_len += k;
		pos += k;
		n -= k;
	}
	return true;
}

/* Hangs n bytes of the queue from offset off on p (n no more than
 * tcp_sq_inplace allows; p made by pkt_alloc_frags with PKT_FRAGS_MAX
 * when the queue has spans). False: not done, p unchanged but for its
 * fragment count. */
bool tcp_sq_attach(struct tcp_sock *ts, struct pkt *p, uint32_t off,
		   uint32_t n)
{
	uint32_t ring;
	struct tcp_span *sp;

	if (!ts->spans) {
		tcp_sbuf_attach(ts, p, off, n);
		return true;
	}
	sp = span_at(ts, &off, &ring);
	if (!sp || n > sp->len - off)
		return false;
	if (!sp->f) {
		tcp_sbuf_attach(ts, p, ring + off, n);
		return true;
	}
	if (file_attach(sp, p, off, n))
		return true;
	p->nfrags = 0;
	p->frag_len = 0;
	return false;
}
