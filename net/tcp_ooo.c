/*
 * The out-of-order receive queue (net/tcp.h says the rules): a sorted
 * singly linked list, walked from the front; connections hold few
 * out-of-order segments and the count is bounded, so a list is enough.
 */
#include "net/tcp.h"

#include "kernel/kernel.h"

static uint32_t seg_end(const struct tcp_ooo_seg *s)
{
	return s->seq + s->len;
}

void tcp_ooo_init(struct tcp_ooo *q, uint32_t limit,
		  void (*release)(struct tcp_ooo_seg *seg))
{
	*q = (struct tcp_ooo){.limit = limit, .release = release};
}

/* Takes *pp's entry out and gives it back. */
static void drop_at(struct tcp_ooo *q, struct tcp_ooo_seg **pp)
{
	struct tcp_ooo_seg *s = *pp;

	*pp = s->next;
	q->bytes -= s->len;
	q->nsegs--;
	q->release(s);
}

/* Cuts held segments where n repeats them: tails and heads trimmed,
 * covered ones dropped. n is not inside any of them. */
static void trim_held(struct tcp_ooo *q, const struct tcp_ooo_seg *n)
{
	struct tcp_ooo_seg **pp = &q->head;

	while (*pp) {
		struct tcp_ooo_seg *s = *pp;

		if (seq_ge(s->seq, seg_end(n)))
			return; /* sorted: nothing further overlaps */
		if (seq_ge(s->seq, n->seq) && seq_le(seg_end(s), seg_end(n))) {
			drop_at(q, pp);
			continue;
		}
		if (seq_lt(s->seq, n->seq) && seq_gt(seg_end(s), n->seq)) {
			q->bytes -= seg_end(s) - n->seq; /* its tail */
			s->len = n->seq - s->seq;
		} else if (seq_gt(seg_end(s), seg_end(n))) {
			uint32_t cut = seg_end(n) - s->seq; /* its head */
			q->bytes -= cut;
			s->seq += cut;
			s->off += cut;
			s->len -= cut;
		}
		pp = &s->next;
	}
}

/* Whether a held segment already has all of n. */
static bool covered(const struct tcp_ooo *q, const struct tcp_ooo_seg *n)
{
	for (const struct tcp_ooo_seg *s = q->head; s; s = s->next)
		if (seq_le(s->seq, n->seq) && seq_ge(seg_end(s), seg_end(n)))
			return true;
	return false;
}

static void link_sorted(struct tcp_ooo *q, struct tcp_ooo_seg *n)
{
	struct tcp_ooo_seg **pp = &q->head;

	while (*pp && seq_lt((*pp)->seq, n->seq))
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	q->bytes += n->len;
	q->nsegs++;
}

int tcp_ooo_insert(struct tcp_ooo *q, struct tcp_ooo_seg *n)
{
	if (!n->len || covered(q, n)) {
		q->release(n);
		return 0;
	}
	trim_held(q, n);
	if (q->nsegs >= TCP_OOO_MAX_SEGS || n->len > q->limit - q->bytes) {
		q->release(n);
		return -ENOBUFS;
	}
	link_sorted(q, n);
	q->last_seq = n->seq;
	return (int)n->len;
}

struct tcp_ooo_seg *tcp_ooo_pop(struct tcp_ooo *q, uint32_t rcv_nxt)
{
	while (q->head && seq_le(seg_end(q->head), rcv_nxt))
		drop_at(q, &q->head); /* all of it arrived in order meanwhile */
	struct tcp_ooo_seg *s = q->head;
	if (!s || seq_gt(s->seq, rcv_nxt))
		return NULL;
	q->head = s->next;
	q->bytes -= s->len;
	q->nsegs--;
	uint32_t cut = rcv_nxt - s->seq;
	s->seq += cut;
	s->off += cut;
	s->len -= cut;
	s->next = NULL;
	return s;
}

/* The run of contiguous segments from s: its block, and where it ends. */
static const struct tcp_ooo_seg *run(const struct tcp_ooo_seg *s,
				     struct tcp_sack_block *b)
{
	b->left = s->seq;
	b->right = seg_end(s);
	while (s->next && s->next->seq == b->right) {
		s = s->next;
		b->right = seg_end(s);
	}
	return s->next;
}

unsigned tcp_ooo_sack(const struct tcp_ooo *q, struct tcp_sack_block *out,
		      unsigned max)
{
	struct tcp_sack_block b;
	unsigned n = 0;

	/* First the run with the latest arrival, */
	for (const struct tcp_ooo_seg *s = q->head; s && max;) {
		s = run(s, &b);
		if (seq_in(q->last_seq, b.left, b.right))
			out[n++] = b;
	}
	/* then the others, ascending. */
	for (const struct tcp_ooo_seg *s = q->head; s && n < max;) {
		s = run(s, &b);
		if (!seq_in(q->last_seq, b.left, b.right))
			out[n++] = b;
	}
	return n;
}

void tcp_ooo_purge(struct tcp_ooo *q)
{
	while (q->head)
		drop_at(q, &q->head);
}
