/*
 * The kernel's own log (what syslog(2) and dmesg read): every kprintf
 * line, kept in a ring of KLOG_SIZE bytes, each line starting "<6>" (its
 * level, as Linux's syslog records carry it).
 *
 * Writers may be anywhere, interrupts included, so they take no lock: a
 * writer reserves its bytes by adding their count to `head` (the bytes
 * ever written) and copies them into the ring at those positions. A
 * reader copies from a position it keeps; bytes older than head -
 * KLOG_SIZE are gone, and a reader racing a writer may see a line half
 * written (text, harmless), never outside the ring.
 */
#include "kernel/kernel.h"

#define KLOG_SIZE (16 * 1024) /* a power of two; the boot and reports fit */

static char ring[KLOG_SIZE];
static uint64_t head;	      /* atomic: bytes ever written */
static bool mid_line;	      /* racy: whether the last byte was no '\n' */
static int console_level = 7; /* atomic: syslog(2)'s console_loglevel */

/* kprintf's lines are KERN_INFO (6): on the console while the level is
 * above that, as Linux prints messages more urgent than the level. */
bool klog_to_console(void)
{
	return __atomic_load_n(&console_level, __ATOMIC_RELAXED) > 6;
}

int klog_set_console_level(int level)
{
	return __atomic_exchange_n(&console_level, level, __ATOMIC_RELAXED);
}

static void put(const char *s, size_t n)
{
	uint64_t at = __atomic_fetch_add(&head, n, __ATOMIC_RELAXED);

	for (size_t i = 0; i < n; i++)
		ring[(at + i) & (KLOG_SIZE - 1)] = s[i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* The length of s's first line, its '\n' included (or all n). */
static size_t line_len(const char *s, size_t n, bool *whole)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n') {
			*whole = true;
			return i + 1;
		}
	*whole = false;
	return n;
}

void klog_write(const char *s, size_t n)
{
	while (n) {
		bool whole;
		size_t k = line_len(s, n, &whole);

		if (!mid_line)
			put("<6>", 3);
		put(s, k);
		mid_line = !whole;
		s += k;
		n -= k;
	}
}

uint64_t klog_head(void)
{
	return __atomic_load_n(&head, __ATOMIC_ACQUIRE);
}

size_t klog_size(void)
{
	return KLOG_SIZE;
}

size_t klog_copy(char *dst, uint64_t from, size_t n)
{
	uint64_t end = klog_head();

	if (end - from > KLOG_SIZE)
		from = end - KLOG_SIZE;
	n = MIN(n, (size_t)(end - from));
	for (size_t i = 0; i < n; i++)
		dst[i] = ring[(from + i) & (KLOG_SIZE - 1)];
	return n;
}
