/*
 * Self-test of the lock-free descriptor lookup: threads call fd_get on a
 * range of descriptors while a writer closes them, installs new files in
 * their place, dup2s over them and grows the table (so lookups meet
 * replaced arrays and files whose last reference is going). A looker
 * that gets a file checks it is a live one of ours; a descriptor that is
 * never closed must always be found. Bounded in count and time.
 */
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

#define MS 1000000ull
#define BASE 300 /* SLOTS descriptors from here change */
#define SLOTS 8
#define STABLE (BASE + SLOTS) /* this one stays open throughout */
#define LOOKERS 4
#define ROUNDS 4000
#define LOOKS 400000
#define RUN_NS (3000 * MS)
#define HIGHEST 16383 /* the last grow: the table reaches 16384 */
#define MAGIC 0x66647461626c6521ull

struct tpriv {
	uint64_t magic; /* poisoned when released */
	int slot;	/* where it was installed: only there, or it is the
			   stable file, which is dup2'd about */
};

static int created, released, bad_release; /* atomic */
static int bad, stable_missing, done;	   /* atomic */
static uint64_t hits, misses, deadline;	   /* atomic */

static void t_release(struct file *f)
{
	struct tpriv *p = f->priv;

	if (p->magic != MAGIC)
		__atomic_fetch_add(&bad_release, 1, __ATOMIC_RELAXED);
	memset(p, 0x6b, sizeof(*p));
	free(p);
	__atomic_fetch_add(&released, 1, __ATOMIC_RELAXED);
}

static const struct file_ops t_ops = {.release = t_release,
				      .anon_name = "fdtable-test"};

static struct file *t_file(int slot)
{
	struct tpriv *p = malloc(sizeof(*p));
	struct file *f;

	if (!p)
		return NULL;
	p->magic = MAGIC;
	p->slot = slot;
	f = file_alloc(&t_ops, p, O_RDWR, 0600);
	if (!f) {
		free(p);
		return NULL;
	}
	__atomic_fetch_add(&created, 1, __ATOMIC_RELAXED);
	return f;
}

static void looker(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 7919 + 1, h = 0, m = 0;

	for (int i = 0; i < LOOKS; i++) {
		if (__atomic_load_n(&done, __ATOMIC_ACQUIRE) ||
		    clock_monotonic_ns() > deadline)
			break;
		seed = seed * 6364136223846793005ull + 1;
		int fd = BASE + (int)((seed >> 33) % (SLOTS + 1));
		struct file *f = fd_get(fd);

		if (!f) {
			m++;
			if (fd == STABLE)
				__atomic_fetch_add(&stable_missing, 1,
						   __ATOMIC_RELAXED);
		} else {
			struct tpriv *p = f->priv;

			/* A file freed too early and its memory reused by
			 * a new one would show up in the wrong slot. */
			if (f->ops != &t_ops || p->magic != MAGIC ||
			    (p->slot != fd && p->slot != STABLE) ||
			    __atomic_load_n(&f->refs, __ATOMIC_RELAXED) < 1)
				__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
			h++;
			file_put(f); /* maybe the last: the slot was closed */
		}
		if (i % 16 == 0)
			thread_yield();
	}
	__atomic_fetch_add(&hits, h, __ATOMIC_RELAXED);
	__atomic_fetch_add(&misses, m, __ATOMIC_RELAXED);
}

static int rounds, wrong_fd, grows; /* the writer's */

/* Installs the stable file at `at` too, making the table grow to hold it,
 * and closes it again. */
static void grow_table(int at)
{
	struct file *f = fd_get(STABLE);

	if (!f)
		return;
	if (fd_install(f, at, false) != at) { /* takes over our reference */
		wrong_fd++;
		file_put(f);
		return;
	}
	fd_close(at);
	grows++;
}

static void writer(void *arg)
{
	for (rounds = 0; rounds < ROUNDS; rounds++) {
		int fd = BASE + rounds % SLOTS;
		struct file *f;

		if (clock_monotonic_ns() > deadline)
			break;
		if (rounds % 8 == 7) {
			/* dup2 the stable file over it: the old file goes */
			if (fd_dup2(STABLE, fd, false) != fd)
				wrong_fd++;
		} else {
			f = t_file(fd);
			if (!f)
				break;
			fd_close(fd);
			if (fd_install(f, fd, false) != fd) {
				wrong_fd++;
				file_put(f);
			}
		}
		if (rounds % (ROUNDS / 8) == 0)
			grow_table(MIN(128 << (rounds / (ROUNDS / 8)),
				       HIGHEST)); /* 128, 256, ... 16383 */
		thread_yield();
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

static int fdtable_test(void)
{
	int failures = 0;
	unsigned old_limit = fd_get_limit();
	struct thread *t[LOOKERS], *w;
	struct file *stable;

	for (int fd = BASE; fd <= STABLE; fd++)
		CHECK(fd_get(fd) == NULL);
	if (failures)
		return failures;
	created = released = bad_release = bad = stable_missing = done = 0;
	hits = misses = 0;
	rounds = wrong_fd = grows = 0;
	CHECK_EQ(fd_set_limit(HIGHEST + 1), 0);
	stable = t_file(STABLE);
	if (!stable)
		return failures + 1;
	CHECK_EQ(fd_install(stable, STABLE, false), STABLE);
	deadline = clock_monotonic_ns() + RUN_NS;
	for (int i = 0; i < LOOKERS; i++)
		t[i] =
		    thread_create("fd-looker", looker, (void *)(uintptr_t)i, 0);
	w = thread_create("fd-writer", writer, NULL, 0);
	CHECK(w != NULL);
	if (w)
		thread_join(w);
	for (int i = 0; i < LOOKERS; i++) {
		CHECK(t[i] != NULL);
		if (t[i])
			thread_join(t[i]);
	}
	for (int fd = BASE; fd <= STABLE; fd++)
		CHECK_EQ(fd_close(fd), 0);
	CHECK_EQ(fd_set_limit(old_limit), 0);
	rcu_barrier(); /* the files' memory, and the replaced arrays */
	CHECK_EQ(rounds, ROUNDS);
	CHECK_EQ(wrong_fd, 0);
	CHECK(grows >= 1);
	CHECK_EQ(bad, 0);
	CHECK_EQ(bad_release, 0);
	CHECK_EQ(stable_missing, 0);
	CHECK_EQ(released, created);
	CHECK(hits > 0);
	kprintf("  %lu lookups found a file, %lu none; %d table grows\n", hits,
		misses, grows);
	return failures;
}
SELFTEST("fdtable", fdtable_test);
