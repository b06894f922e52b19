/*
 * Fuzzes the virtqueue driver's record and used-ring checks
 * (drivers/virtio/virtq_check.c) with what a hostile device can do: the
 * input is a script of driver additions, device scribbles on the shared
 * descriptor table and used-ring entries (any id, any length), applied
 * as the kernel's virtq_get applies them (a refused id is skipped, any
 * other entry gives its chain back by the driver's own links).
 *
 * Checked after every step: no read or write outside the arrays (ASan);
 * a used length the check accepted fits the chain's writable bytes; the
 * free descriptors plus those of the chains in flight are exactly the
 * queue, each once (so no chain is lost, freed twice or shared).
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtq.h"

#define MAX 64

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t word(struct input *in)
{
	return byte(in) | byte(in) << 8 | byte(in) << 16 |
	       (uint32_t)byte(in) << 24;
}

/* Every descriptor is free or in exactly one chain in flight. */
static void check_accounting(const struct virtq_shadow *s)
{
	uint8_t seen[MAX] = {0};
	unsigned count = 0;
	uint16_t i = s->free_head;

	for (unsigned k = 0; k < s->nfree; k++, i = s->next[i]) {
		if (i >= s->size || seen[i]++)
			abort();
		count++;
	}
	for (uint16_t h = 0; h < s->size; h++) {
		i = h;
		for (unsigned k = 0; k < s->chain_n[h]; k++, i = s->next[i]) {
			if (i >= s->size || seen[i]++)
				abort();
			count++;
		}
	}
	if (count != s->size)
		abort();
}

static void add(struct virtq_shadow *s, struct virtq_desc *desc,
		struct input *in)
{
	struct virtq_buf b[4];
	unsigned n = 1 + byte(in) % 4;

	for (unsigned k = 0; k < n; k++)
		b[k] = (struct virtq_buf){0x1000, byte(in) * 16u, byte(in) & 1};
	virtq_chain_add(s, desc, b, n);
}

static void used(struct virtq_shadow *s, struct virtq_desc *desc,
		 struct input *in)
{
	uint32_t id = word(in) % (MAX + 4u), len = word(in);
	enum virtq_verdict v = virtq_check_used(s, desc, id, len);

	if (v == VIRTQ_BAD_ID || v == VIRTQ_NOT_IN_FLIGHT)
		return;
	if (v == VIRTQ_OK && len > s->wlen[id])
		abort();
	virtq_chain_free(s, (uint16_t)id);
}

static void scribble(struct virtq_shadow *s, struct virtq_desc *desc,
		     struct input *in)
{
	struct virtq_desc *d = &desc[byte(in) % s->size];

	d->flags = (uint16_t)word(in);
	d->next = (uint16_t)word(in);
	d->len = word(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	uint16_t qsize = (uint16_t)(1 + byte(&in) % MAX);
	/* exact sizes, so that ASan sees a step past the queue */
	uint16_t *next = malloc(qsize * 2), *chain_n = malloc(qsize * 2);
	uint32_t *wlen = malloc(qsize * 4);
	struct virtq_desc *desc = calloc(qsize, sizeof(*desc));
	struct virtq_shadow s = {
	    .next = next, .chain_n = chain_n, .wlen = wlen};

	virtq_shadow_init(&s, qsize);
	while (in.n) {
		unsigned op = byte(&in) % 3;

		if (op == 0)
			add(&s, desc, &in);
		else if (op == 1)
			used(&s, desc, &in);
		else
			scribble(&s, desc, &in);
		check_accounting(&s);
		uint16_t a = (uint16_t)word(&in), b = (uint16_t)word(&in);
		int pending = virtq_used_pending(a, b, qsize - s.nfree);
		if (pending > qsize - s.nfree)
			abort();
	}
	free(next);
	free(chain_n);
	free(wlen);
	free(desc);
	return 0;
}
