/*
 * The kernel heap.
 *
 * Small requests (up to 2 KiB) are rounded up to a size class and served
 * from slabs: naturally aligned buddy blocks cut into equal objects, with
 * the slab's bookkeeping (struct slab) in its last bytes so that objects
 * start at offset 0 and power-of-two classes stay aligned to their size.
 * Each page of a slab is marked PG_SLAB in the page array with the slab's
 * order, so free() finds the slab from any object by rounding down.
 *
 * In front of the slabs sits a per-CPU cache of free objects per class
 * (used with preemption off, no atomics); it is refilled from and drained
 * to the slabs in batches under the class's mutex.
 *
 * Large requests get whole buddy blocks (PG_LARGE, order in the head page).
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

static const uint32_t class_sizes[] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};
#define NCLASSES ARRAY_SIZE(class_sizes)
#define SMALL_MAX 2048
#define CACHE_CAPACITY 32
#define CACHE_BATCH 16

struct free_obj {
	struct free_obj *next;
};

struct slab {
	struct free_obj *free; /* objects not handed out */
	uint32_t inuse, capacity;
	struct slab *next, *prev; /* in the class's partial list */
	uint8_t class, order;
};

struct heap_class {
	struct mutex lock;
	struct slab *partial; /* slabs with free objects */
	uint64_t slabs;
};

/* Owned by one CPU; preemption off. */
struct heap_cache {
	unsigned count[NCLASSES];
	void *objs[NCLASSES][CACHE_CAPACITY];
	int64_t bytes;	      /* handed out from this CPU, minus freed here */
	int64_t large_pages;
} __attribute__((aligned(64)));

static struct heap_class classes[NCLASSES];
static struct heap_cache caches[MAX_CPUS];

static unsigned class_of(size_t size)
{
	unsigned lo = 0, hi = NCLASSES - 1;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (class_sizes[mid] >= size)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static unsigned slab_order(unsigned cls)
{
	return class_sizes[cls] <= 512 ? 0 : 2;
}

/* ---- slabs (under the class lock) ---- */
static void partial_add(struct heap_class *hc, struct slab *s)
{
	s->prev = NULL;
	s->next = hc->partial;
	if (hc->partial)
		hc->partial->prev = s;
	hc->partial = s;
}

static void partial_remove(struct heap_class *hc, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		hc->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static struct slab *slab_new(unsigned cls)
{
	unsigned order = slab_order(cls);
	uint64_t bytes = PAGE_SIZE << order;
	uint64_t phys = pmm_alloc(order);

	if (!phys)
		return NULL;
	char *base = phys_to_virt(phys);
	struct slab *s = (struct slab *)(base + bytes - sizeof(struct slab));
	uint32_t size = class_sizes[cls];
	*s = (struct slab){.class = cls, .order = order};
	s->capacity = (bytes - sizeof(struct slab)) / size;
	for (uint32_t i = s->capacity; i-- > 0;) {
		struct free_obj *o = (struct free_obj *)(base + i * size);

		o->next = s->free;
		s->free = o;
	}
	for (uint64_t i = 0; i < (1u << order); i++) {
		struct page *pg = pmm_page(phys + i * PAGE_SIZE);

		pg->flags = PG_SLAB;
		pg->order = order;
		pg->slab_class = cls;
	}
	return s;
}

static struct slab *slab_of(void *obj, struct page *pg)
{
	uint64_t bytes = PAGE_SIZE << pg->order;
	uint64_t base = ALIGN_DOWN((uint64_t)obj, bytes);

	return (struct slab *)(base + bytes - sizeof(struct slab));
}

static void slab_release(struct heap_class *hc, struct slab *s)
{
	uint64_t bytes = PAGE_SIZE << s->order;
	uint64_t base = (uint64_t)s + sizeof(struct slab) - bytes;

	partial_remove(hc, s);
	hc->slabs--;
	for (uint64_t i = 0; i < (1u << s->order); i++)
		pmm_page(virt_to_phys((void *)base) + i * PAGE_SIZE)->flags = 0;
	pmm_free(virt_to_phys((void *)base), s->order);
}

/* Takes up to n objects of class cls into out; returns how many. */
static unsigned slabs_take(unsigned cls, void **out, unsigned n)
{
	struct heap_class *hc = &classes[cls];
	unsigned got = 0;

	mutex_lock(&hc->lock);
	while (got < n) {
		struct slab *s = hc->partial;

		if (!s) {
			s = slab_new(cls);
			if (!s)
				break;
			hc->slabs++;
			partial_add(hc, s);
		}
		while (got < n && s->free) {
			out[got++] = s->free;
			s->free = s->free->next;
			s->inuse++;
		}
		if (!s->free)
			partial_remove(hc, s);
	}
	mutex_unlock(&hc->lock);
	return got;
}

static void slabs_put(unsigned cls, void **objs, unsigned n)
{
	struct heap_class *hc = &classes[cls];

	mutex_lock(&hc->lock);
	for (unsigned i = 0; i < n; i++) {
		struct slab *s = slab_of(objs[i], pmm_page(virt_to_phys(objs[i])));
		struct free_obj *o = objs[i];

		if (!s->free)
			partial_add(hc, s); /* it was full */
		o->next = s->free;
		s->free = o;
		s->inuse--;
		/* Keep one empty slab per class to absorb churn. */
		if (s->inuse == 0 && hc->partial != s)
			slab_release(hc, s);
		else if (s->inuse == 0 && s->next)
			slab_release(hc, s);
	}
	mutex_unlock(&hc->lock);
}

/* ---- per-CPU caches ---- */
/*
 * From this CPU's cache, refilled from the slabs when empty. The caller
 * keeps one object of the batch it took for itself: the cache may be
 * emptied again by other threads on this CPU between the refill and a
 * second look (it used to look twice and then give up with NULL, a
 * spurious out-of-memory under load).
 */
static void *small_alloc(unsigned cls)
{
	void *batch[CACHE_BATCH];

	preempt_disable();
	struct heap_cache *c = &caches[cpu_id()];
	if (c->count[cls]) {
		void *p = c->objs[cls][--c->count[cls]];

		c->bytes += class_sizes[cls];
		preempt_enable();
		return p;
	}
	preempt_enable();
	unsigned n = slabs_take(cls, batch, CACHE_BATCH);
	if (n == 0)
		return NULL;
	void *mine = batch[--n];
	preempt_disable();
	c = &caches[cpu_id()];
	c->bytes += class_sizes[cls];
	while (n && c->count[cls] < CACHE_CAPACITY)
		c->objs[cls][c->count[cls]++] = batch[--n];
	preempt_enable();
	if (n)
		slabs_put(cls, batch, n);
	return mine;
}

static void small_free(void *p, unsigned cls)
{
	void *spill[CACHE_BATCH];
	unsigned n = 0;

	preempt_disable();
	struct heap_cache *c = &caches[cpu_id()];
	if (c->count[cls] == CACHE_CAPACITY)
		while (n < CACHE_BATCH)
			spill[n++] = c->objs[cls][--c->count[cls]];
	c->objs[cls][c->count[cls]++] = p;
	c->bytes -= class_sizes[cls];
	preempt_enable();
	if (n)
		slabs_put(cls, spill, n);
}

/* ---- large blocks ---- */
static unsigned order_for(size_t bytes)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static void *large_alloc(size_t size, size_t align)
{
	unsigned order = order_for(MAX(size, align));

	if (order > MM_MAX_ORDER)
		return NULL;
	uint64_t phys = pmm_alloc(order);
	if (!phys)
		return NULL;
	struct page *pg = pmm_page(phys);
	pg->flags = PG_LARGE;
	pg->order = order;
	preempt_disable();
	caches[cpu_id()].large_pages += 1 << order;
	preempt_enable();
	return phys_to_virt(phys);
}

/* ---- the interface ---- */
void *aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)))
		return NULL;
	if (size == 0)
		size = 1;
	if (align <= 16 && size <= SMALL_MAX)
		return small_alloc(class_of(size));
	if (align <= SMALL_MAX && size <= SMALL_MAX) {
		/* A power-of-two class at least `align` is aligned to it. */
		size_t want = MAX(size, align);
		unsigned cls = class_of(want);

		while (cls < NCLASSES &&
		       ((class_sizes[cls] & (class_sizes[cls] - 1)) ||
			class_sizes[cls] % align))
			cls++;
		if (cls < NCLASSES)
			return small_alloc(cls);
	}
	return large_alloc(size, align);
}

void *malloc(size_t size)
{
	return aligned_alloc(16, size);
}

void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	void *p = malloc(bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	struct page *pg = pmm_page(virt_to_phys(p));
	if (pg->flags & PG_SLAB)
		return class_sizes[pg->slab_class];
	return PAGE_SIZE << pg->order;
}

void free(void *p)
{
	if (!p)
		return;
	struct page *pg = pmm_page(virt_to_phys(p));

	assert(pg && (pg->flags & (PG_SLAB | PG_LARGE)));
	if (pg->flags & PG_SLAB) {
		small_free(p, pg->slab_class);
		return;
	}
	unsigned order = pg->order;
	pg->flags = 0;
	preempt_disable();
	caches[cpu_id()].large_pages -= 1 << order;
	preempt_enable();
	pmm_free(virt_to_phys(p), order);
}

void *realloc(void *p, size_t size)
{
	if (!p)
		return malloc(size);
	if (size == 0) {
		free(p);
		return NULL;
	}
	size_t have = malloc_usable_size(p);
	if (size <= have)
		return p;
	void *q = malloc(size);
	if (q) {
		memcpy(q, p, have);
		free(p);
	}
	return q;
}

void heap_get_stats(uint64_t *bytes, uint64_t *large_pages)
{
	int64_t b = 0, l = 0;

	for (unsigned i = 0; i < cpu_count; i++) {
		b += __atomic_load_n(&caches[i].bytes, __ATOMIC_RELAXED);
		l += __atomic_load_n(&caches[i].large_pages, __ATOMIC_RELAXED);
	}
	*bytes = (uint64_t)b;
	*large_pages = (uint64_t)l;
}

static int heap_init(void)
{
	for (unsigned i = 0; i < NCLASSES; i++)
		mutex_init(&classes[i].lock);
	return 0;
}
INIT_STEP(31, heap_init);
