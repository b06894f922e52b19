/*
 * Host tests for linux/stack.c: the initial stack is walked as a C
 * runtime's _start would (argc, argv, envp, auxv from sp), and its layout
 * is compared with Linux's (strings contiguous below an 8-byte end
 * marker, the platform string and random bytes below them).
 */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "linux/elf.h"
#include "tests/host/check.h"

#define TOP 0x7ffffffde000ull

static const uint8_t random16[16] = {1, 2,  3,	4,  5,	6,  7,	8,
				     9, 10, 11, 12, 13, 14, 15, 16};

/* A stack region: mem holds [top - size, top). */
struct region {
	uint8_t *mem;
	size_t size;
	uint64_t top;
};

/* The bytes at application address addr, n of them inside the region. */
static const uint8_t *ptr(const struct region *r, uint64_t addr, size_t n)
{
	uint64_t base = r->top - r->size;

	if (addr < base || addr > r->top || n > r->top - addr)
		return NULL;
	return r->mem + (addr - base);
}

static uint64_t word(const struct region *r, uint64_t addr)
{
	const uint8_t *p = ptr(r, addr, 8);
	uint64_t v = 0;

	if (CHECK(p != NULL))
		memcpy(&v, p, 8);
	return v;
}

/* The string at addr, which must end inside the region. */
static const char *str(const struct region *r, uint64_t addr)
{
	const char *p = (const char *)ptr(r, addr, 1);

	if (!CHECK(p != NULL))
		return "";
	if (!CHECK(strnlen(p, r->top - addr) < r->top - addr))
		return "";
	return p;
}

/* The auxv types stack_build writes for spec, AT_NULL last. */
static unsigned want_types(const struct stack_spec *spec, uint64_t *types)
{
	unsigned n = 0;
	bool random = false;

	for (unsigned i = 0; i < spec->nauxv; i++) {
		if (spec->auxv[i].type == AT_HWCAP2 && !random) {
			types[n++] = AT_RANDOM;
			random = true;
		}
		types[n++] = spec->auxv[i].type;
	}
	if (!random)
		types[n++] = AT_RANDOM;
	if (spec->execfn)
		types[n++] = AT_EXECFN;
	if (spec->platform)
		types[n++] = AT_PLATFORM;
	types[n++] = AT_NULL;
	return n;
}

/* Checks a vector of strings at addr against want[0, n); returns the
 * address after its NULL. Each string must follow the previous one. */
static uint64_t walk_strings(const struct region *r, uint64_t addr,
			     const char *const *want, unsigned n,
			     uint64_t *next_str)
{
	for (unsigned i = 0; i < n; i++, addr += 8) {
		uint64_t s = word(r, addr);

		CHECK_STR(str(r, s), want[i]);
		if (*next_str)
			CHECK_EQ(s, *next_str); /* contiguous, in order */
		*next_str = s + strlen(want[i]) + 1;
	}
	CHECK_EQ(word(r, addr), 0);
	return addr + 8;
}

/* The platform string lies below the lowest other string, rounded down
 * to 16 bytes; the gap is zeros. */
static void check_platform(const struct region *r, uint64_t addr,
			   const char *want, uint64_t lowest)
{
	uint64_t end = addr + strlen(want) + 1;
	const uint8_t *gap = ptr(r, end, lowest - end);

	CHECK_STR(str(r, addr), want);
	CHECK_EQ(end, lowest & ~15ull);
	for (uint64_t i = 0; gap && i < lowest - end; i++)
		CHECK_EQ(gap[i], 0);
}

/* Walks the stack from sp like _start, checking everything. */
static void walk(const struct region *r, uint64_t sp,
		 const struct stack_spec *spec)
{
	uint64_t types[64], a, next = 0, random = 0, strings, execfn = 0;
	unsigned n = want_types(spec, types), i = 0;

	CHECK_EQ(sp % 16, 0);
	CHECK(sp >= r->top - r->size && sp < r->top);
	CHECK_EQ(word(r, sp), spec->argc);
	a = walk_strings(r, sp + 8, spec->argv, spec->argc, &next);
	strings = spec->argc ? word(r, sp + 8) : 0;
	a = walk_strings(r, a, spec->envp, spec->envc, &next);
	if (!strings && spec->envc)
		strings = word(r, a - 8 * (spec->envc + 1));
	for (;; a += 16, i++) {
		uint64_t t = word(r, a), v = word(r, a + 8);

		if (!CHECK(i < n))
			return;
		CHECK_EQ(t, types[i]);
		if (t == AT_NULL)
			break;
		if (t == AT_RANDOM) {
			const uint8_t *p = ptr(r, v, 16);

			if (CHECK(p != NULL))
				CHECK(!memcmp(p, random16, 16));
			random = v;
			CHECK(v >= a + 16 * (n - i)); /* above the auxv */
		} else if (t == AT_EXECFN) {
			CHECK_STR(str(r, v), spec->execfn);
			execfn = v;
			/* Linux: execfn just below the 8-byte end marker. */
			CHECK_EQ(v + strlen(spec->execfn) + 1, r->top - 8);
			if (next)
				CHECK_EQ(v,
					 next); /* right after envp strings */
		} else if (t == AT_PLATFORM) {
			CHECK_STR(str(r, v), spec->platform);
			check_platform(r, v, spec->platform,
				       strings	? strings
				       : execfn ? execfn
						: r->top - 8);
			CHECK_EQ(random + 16, v);
		} else {
			CHECK_EQ(v, spec->auxv[i - (random != 0)].value);
		}
	}
	CHECK_EQ(i + 1, n);
	CHECK_EQ(word(r, r->top - 8), 0);
}

static struct region region(size_t size, uint64_t top)
{
	struct region r = {malloc(size ? size : 1), size, top};

	memset(r.mem, 0xa5, size);
	return r;
}

static const char *const argv3[] = {"prog", "a", "bc"};
static const char *const envp1[] = {"X=1"};
static const struct auxv_pair some_auxv[] = {
    {AT_PAGESZ, 4096}, {AT_PHDR, 0x400040},  {AT_PHENT, 56},
    {AT_PHNUM, 9},     {AT_ENTRY, 0x401000}, {AT_SECURE, 0},
};

static struct stack_spec sample_spec(void)
{
	struct stack_spec s = {
	    .argc = 3,
	    .argv = argv3,
	    .envc = 1,
	    .envp = envp1,
	    .execfn = "/bin/prog",
	    .platform = "x86_64",
	    .random16 = random16,
	    .auxv = some_auxv,
	    .nauxv = ARRAY_SIZE(some_auxv),
	};
	return s;
}

static void test_walk_sample_stack(void)
{
	struct stack_spec s = sample_spec();
	struct region r = region(4096, TOP);
	uint64_t sp = stack_build(r.mem, r.size, r.top, &s);

	if (CHECK(sp != 0))
		walk(&r, sp, &s);
	free(r.mem);
}

/* Given Linux's order of the caller's pairs, the result is Linux's. */
static void test_auxv_in_linux_order(void)
{
	static const struct auxv_pair linux_auxv[] = {
	    {AT_SYSINFO_EHDR, 0x7fff0000},
	    {AT_MINSIGSTKSZ, 2048},
	    {AT_HWCAP, 0x178bfbff},
	    {AT_PAGESZ, 4096},
	    {AT_CLKTCK, 100},
	    {AT_PHDR, 0x40},
	    {AT_PHENT, 56},
	    {AT_PHNUM, 13},
	    {AT_BASE, 0x7f0000000000},
	    {AT_FLAGS, 0},
	    {AT_ENTRY, 0x61d0},
	    {AT_UID, 0},
	    {AT_EUID, 0},
	    {AT_GID, 0},
	    {AT_EGID, 0},
	    {AT_SECURE, 0},
	    {AT_HWCAP2, 2},
	};
	static const uint64_t linux_order[] = {
	    AT_SYSINFO_EHDR, AT_MINSIGSTKSZ, AT_HWCAP,	AT_PAGESZ, AT_CLKTCK,
	    AT_PHDR,	     AT_PHENT,	     AT_PHNUM,	AT_BASE,   AT_FLAGS,
	    AT_ENTRY,	     AT_UID,	     AT_EUID,	AT_GID,	   AT_EGID,
	    AT_SECURE,	     AT_RANDOM,	     AT_HWCAP2, AT_EXECFN, AT_PLATFORM,
	    AT_NULL};
	struct stack_spec s = sample_spec();
	struct region r = region(4096, TOP);
	uint64_t sp, a;

	s.auxv = linux_auxv;
	s.nauxv = ARRAY_SIZE(linux_auxv);
	sp = stack_build(r.mem, r.size, r.top, &s);
	if (!CHECK(sp != 0))
		goto out;
	walk(&r, sp, &s);
	a = sp + 8 * (1 + 3 + 1 + 1 + 1);
	for (size_t i = 0; i < ARRAY_SIZE(linux_order); i++, a += 16)
		CHECK_EQ(word(&r, a), linux_order[i]);
out:
	free(r.mem);
}

/*
 * The addresses Linux 6.x chose for `env -i X=1 setarch -R ./dump a bc`
 * (a static program printing its stack; no randomization, so no
 * arch_align_stack offset), top 0x7ffffffff000, with its 22 auxv pairs
 * and AT_NULL (AT_RSEQ_FEATURE_SIZE 27 and AT_RSEQ_ALIGN 28 among them;
 * Linux puts those after AT_PLATFORM, which moves nothing). Its auxv
 * ended at 0x7fffffffefc8, one byte below the random bytes.
 */
static void test_same_addresses_as_linux(void)
{
	static const char *const argv[] = {"./dump", "a", "bc"};
	static const struct auxv_pair auxv[] = {
	    {AT_SYSINFO_EHDR, 1},
	    {AT_MINSIGSTKSZ, 1},
	    {AT_HWCAP, 1},
	    {AT_PAGESZ, 1},
	    {AT_CLKTCK, 1},
	    {AT_PHDR, 1},
	    {AT_PHENT, 1},
	    {AT_PHNUM, 1},
	    {AT_BASE, 1},
	    {AT_FLAGS, 1},
	    {AT_ENTRY, 1},
	    {AT_UID, 1},
	    {AT_EUID, 1},
	    {AT_GID, 1},
	    {AT_EGID, 1},
	    {AT_SECURE, 1},
	    {AT_HWCAP2, 1},
	    {27, 1},
	    {28, 1},
	};
	struct stack_spec s = sample_spec();
	struct region r = region(8192, 0x7ffffffff000);
	uint64_t sp;

	s.argv = argv;
	s.execfn = "./dump";
	s.auxv = auxv;
	s.nauxv = ARRAY_SIZE(auxv);
	sp = stack_build(r.mem, r.size, r.top, &s);
	if (!CHECK_EQ(sp, 0x7fffffffee20))
		goto out;
	walk(&r, sp, &s);
	CHECK_EQ(word(&r, sp + 8), 0x7fffffffefe1);		   /* argv[0] */
	CHECK_EQ(word(&r, sp + 40), 0x7fffffffefed);		   /* envp[0] */
	CHECK_EQ(word(&r, sp + 56 + 16 * 16 + 8), 0x7fffffffefc9); /* random */
	CHECK_EQ(word(&r, sp + 56 + 16 * 20 + 8), 0x7fffffffeff1); /* execfn */
	CHECK_EQ(word(&r, sp + 56 + 16 * 21 + 8),
		 0x7fffffffefd9); /* platform */
out:
	free(r.mem);
}

static void test_no_execfn_no_platform(void)
{
	struct stack_spec s = sample_spec();
	struct region r = region(4096, TOP);
	uint64_t sp;

	s.execfn = NULL;
	s.platform = NULL;
	sp = stack_build(r.mem, r.size, r.top, &s);
	if (CHECK(sp != 0))
		walk(&r, sp, &s);
	free(r.mem);
}

static void test_empty_argv_and_envp(void)
{
	struct stack_spec s = sample_spec();
	struct region r = region(4096, TOP);
	uint64_t sp;

	s.argc = s.envc = 0;
	s.argv = s.envp = NULL;
	s.nauxv = 0;
	s.auxv = NULL;
	sp = stack_build(r.mem, r.size, r.top, &s);
	if (CHECK(sp != 0))
		walk(&r, sp, &s);
	free(r.mem);
}

/* Every size below the least that fits returns 0, and never writes
 * outside mem (ASan watches the exact-size buffers). */
static void test_too_small_returns_0(void)
{
	struct stack_spec s = sample_spec();
	size_t least = 0;

	for (size_t size = 0; size <= 1024; size++) {
		struct region r = region(size, TOP);
		uint64_t sp = stack_build(r.mem, r.size, r.top, &s);

		if (sp && !least) {
			least = size;
			walk(&r, sp, &s);
		}
		if (least)
			CHECK(sp != 0);
		free(r.mem);
	}
	/* The end marker and the strings ("/bin/prog", "X=1", "prog", "a",
	 * "bc": 32 bytes, so 16-aligned), "x86_64", the random bytes, argc
	 * and 6 pointers, 10 auxv pairs; with TOP 16-aligned, rounded up. */
	CHECK_EQ(
	    least,
	    ALIGN_UP(8 + 10 + 4 + 5 + 2 + 3 + 7 + 16 + 8 * 7 + 16 * 10, 16));
}

static void test_top_below_size_returns_0(void)
{
	struct stack_spec s = sample_spec();
	struct region r = region(4096, 4000);

	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	free(r.mem);
}

static void test_bad_specs_return_0(void)
{
	static const struct auxv_pair reserved[] = {{AT_RANDOM, 1}};
	static const char *const with_null[] = {"a", NULL};
	struct region r = region(4096, TOP);
	struct stack_spec s = sample_spec();

	s.random16 = NULL;
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	s = sample_spec();
	s.argv = NULL;
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	s = sample_spec();
	s.envp = NULL;
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	s = sample_spec();
	s.auxv = reserved;
	s.nauxv = 1;
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	s = sample_spec();
	s.argv = with_null;
	s.argc = 2;
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	s = sample_spec();
	CHECK_EQ(stack_build(NULL, r.size, r.top, &s), 0);
	free(r.mem);
}

/* STACK_MAX_STRLEN counts the NUL, as Linux's MAX_ARG_STRLEN. */
static void test_string_length_limit(void)
{
	size_t size = 2 * STACK_MAX_STRLEN;
	char *big = malloc(STACK_MAX_STRLEN + 1);
	const char *argv[] = {big};
	struct stack_spec s = sample_spec();
	struct region r = region(size, TOP);
	uint64_t sp;

	s.argc = 1;
	s.argv = argv;
	memset(big, 'x', STACK_MAX_STRLEN);
	big[STACK_MAX_STRLEN - 1] = '\0';
	sp = stack_build(r.mem, r.size, r.top, &s);
	if (CHECK(sp != 0))
		walk(&r, sp, &s);
	big[STACK_MAX_STRLEN - 1] = 'x';
	big[STACK_MAX_STRLEN] = '\0';
	CHECK_EQ(stack_build(r.mem, r.size, r.top, &s), 0);
	free(r.mem);
	free(big);
}

/* Random argc, envc, string lengths and tops (even odd ones): sp stays
 * 16-byte aligned and the stack walks. */
static void test_random_shapes_stay_aligned(void)
{
	static char strs[200][48];
	static const char *argv[100], *envp[100];
	struct auxv_pair auxv[8];
	unsigned seed = 12345;

	for (int iter = 0; iter < 300; iter++) {
		struct stack_spec s = sample_spec();
		struct region r;
		uint64_t sp;

		srand(seed + iter);
		s.argc = rand() % 100;
		s.envc = rand() % 100;
		s.nauxv = rand() % 8;
		for (unsigned i = 0; i < s.argc + s.envc; i++) {
			int len = rand() % 47;

			memset(strs[i], 'a' + i % 26, len);
			strs[i][len] = '\0';
			if (i < s.argc)
				argv[i] = strs[i];
			else
				envp[i - s.argc] = strs[i];
		}
		for (unsigned i = 0; i < s.nauxv; i++)
			auxv[i] = (struct auxv_pair){100 + i, rand()};
		s.argv = argv;
		s.envp = envp;
		s.auxv = auxv;
		r = region(16384 + rand() % 16384, TOP - rand() % 64);
		sp = stack_build(r.mem, r.size, r.top, &s);
		if (CHECK(sp != 0))
			walk(&r, sp, &s);
		free(r.mem);
		if (check_case_failures)
			break;
	}
}

/* stack_need says exactly how much of the area stack_build writes, and
 * 0 where stack_build fails: the loader backs only those pages. */
static void test_need_matches_build(void)
{
	struct stack_spec s = sample_spec();

	for (size_t size = 0; size <= 1024; size++) {
		struct region r = region(size, TOP);
		uint64_t sp = stack_build(r.mem, r.size, r.top, &s);
		uint64_t need = stack_need(r.size, r.top, &s);

		CHECK_EQ(need, sp ? r.top - sp : 0);
		free(r.mem);
	}
	s.random16 = NULL;
	CHECK_EQ(stack_need(4096, TOP, &s), 0);
}

int main(void)
{
	RUN_TEST(test_walk_sample_stack);
	RUN_TEST(test_auxv_in_linux_order);
	RUN_TEST(test_same_addresses_as_linux);
	RUN_TEST(test_no_execfn_no_platform);
	RUN_TEST(test_empty_argv_and_envp);
	RUN_TEST(test_too_small_returns_0);
	RUN_TEST(test_need_matches_build);
	RUN_TEST(test_top_below_size_returns_0);
	RUN_TEST(test_bad_specs_return_0);
	RUN_TEST(test_string_length_limit);
	RUN_TEST(test_random_shapes_stay_aligned);
	return check_exit();
}
