/*
 * The initial process stack, laid out as Linux's create_elf_tables
 * (fs/binfmt_elf.c) and copy_strings (fs/exec.c) do; linux/elf.h draws
 * it. Two passes: the first measures every string and sizes the whole,
 * so that the pointer arrays' place is known before the second writes the
 * strings downwards from the top and each pointer as its string lands.
 *
 * `mem` holds the application addresses [top - size, top); every write
 * goes through at(), which is where the two address spaces meet.
 */
#include "lib/lib.h"
#include "linux/elf.h"

#define RANDOM_BYTES 16

struct stack {
	uint8_t *mem;
	uint64_t base;	/* application address of mem[0] */
	uint64_t cur;	/* lowest string byte written so far */
	uint64_t floor; /* end of the pointer area: strings stay above */
};

static uint8_t *at(const struct stack *st, uint64_t addr)
{
	return st->mem + (addr - st->base);
}

static void put64(const struct stack *st, uint64_t addr, uint64_t v)
{
	memcpy(at(st, addr), &v, sizeof(v));
}

/* Adds the size of string s (with its NUL) to *total; false if too long. */
static bool measure(const char *s, uint64_t *total)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, STACK_MAX_STRLEN);
	return n < STACK_MAX_STRLEN && !add_overflows(*total, n + 1, total);
}

/* Copies n bytes below st->cur; their address, or 0 if they do not fit
 * (only if a string changed length between the passes). */
static uint64_t push(struct stack *st, const void *p, size_t n)
{
	if (st->cur - st->floor < n)
		return 0;
	st->cur -= n;
	memcpy(at(st, st->cur), p, n);
	return st->cur;
}

/* Copies a string with its NUL below st->cur; its address, or 0. */
static uint64_t push_str(struct stack *st, const char *s)
{
	size_t n = strnlen(s, STACK_MAX_STRLEN - 1);

	if (!push(st, "", 1))
		return 0;
	return push(st, s, n);
}

/* Whether the caller's auxv holds a type that stack_build adds itself. */
static bool auxv_reserved(const struct stack_spec *spec)
{
	for (unsigned i = 0; i < spec->nauxv; i++) {
		uint64_t t = spec->auxv[i].type;

		if (t == AT_NULL || t == AT_RANDOM || t == AT_EXECFN ||
		    t == AT_PLATFORM)
			return true;
	}
	return false;
}

/* The bytes of the end marker, execfn and the argv and envp strings;
 * false if a string is missing or too long. */
static bool strings_size(const struct stack_spec *spec, uint64_t *total)
{
	*total = 8;
	if (spec->execfn && !measure(spec->execfn, total))
		return false;
	for (unsigned i = 0; i < spec->argc; i++)
		if (!measure(spec->argv[i], total))
			return false;
	for (unsigned i = 0; i < spec->envc; i++)
		if (!measure(spec->envp[i], total))
			return false;
	return true;
}

/* The number of auxv pairs written, AT_NULL included. */
static uint64_t auxv_count(const struct stack_spec *spec)
{
	return (uint64_t)spec->nauxv + 2 + !!spec->execfn + !!spec->platform;
}

/* Writes the strings from the top down and each argv/envp pointer at its
 * slot; false if they no longer fit. */
static bool write_strings(struct stack *st, uint64_t top, uint64_t sp,
			  const struct stack_spec *spec, uint64_t *execfn,
			  uint64_t *platform, uint64_t *random)
{
	uint64_t argv = sp + 8, envp = argv + 8 * ((uint64_t)spec->argc + 1);
	uint64_t a;

	*execfn = *platform = 0;
	st->cur = top - 8;
	memset(at(st, st->cur), 0, 8);
	if (spec->execfn && !(*execfn = push_str(st, spec->execfn)))
		return false;
	for (unsigned i = spec->envc; i-- > 0;) {
		if (!(a = push_str(st, spec->envp[i])))
			return false;
		put64(st, envp + 8 * (uint64_t)i, a);
	}
	for (unsigned i = spec->argc; i-- > 0;) {
		if (!(a = push_str(st, spec->argv[i])))
			return false;
		put64(st, argv + 8 * (uint64_t)i, a);
	}
	/* Linux: arch_align_stack() before the platform string (without
	 * its random offset). */
	a = ALIGN_DOWN(st->cur, 16);
	if (a < st->floor)
		return false;
	memset(at(st, a), 0, st->cur - a);
	st->cur = a;
	if (spec->platform && !(*platform = push_str(st, spec->platform)))
		return false;
	*random = push(st, spec->random16, RANDOM_BYTES);
	return *random != 0;
}

/* Writes the auxv at addr: the caller's pairs with AT_RANDOM before
 * AT_HWCAP2 (Linux's place for it), then AT_EXECFN, AT_PLATFORM, AT_NULL. */
static void write_auxv(const struct stack *st, uint64_t addr,
		       const struct stack_spec *spec, uint64_t execfn,
		       uint64_t platform, uint64_t random)
{
	bool random_done = false;

	for (unsigned i = 0; i < spec->nauxv; i++) {
		if (spec->auxv[i].type == AT_HWCAP2 && !random_done) {
			put64(st, addr, AT_RANDOM);
			put64(st, addr + 8, random);
			addr += 16;
			random_done = true;
		}
		put64(st, addr, spec->auxv[i].type);
		put64(st, addr + 8, spec->auxv[i].value);
		addr += 16;
	}
	if (!random_done) {
		put64(st, addr, AT_RANDOM);
		put64(st, addr + 8, random);
		addr += 16;
	}
	if (spec->execfn) {
		put64(st, addr, AT_EXECFN);
		put64(st, addr + 8, execfn);
		addr += 16;
	}
	if (spec->platform) {
		put64(st, addr, AT_PLATFORM);
		put64(st, addr + 8, platform);
		addr += 16;
	}
	put64(st, addr, AT_NULL);
	put64(st, addr + 8, 0);
}

/* The sp for spec, computed as write_strings will place things; 0 if
 * it does not fit. */
static uint64_t find_sp(size_t size, uint64_t top,
			const struct stack_spec *spec, uint64_t words)
{
	uint64_t strings, below = RANDOM_BYTES + 8 * words, base = top - size;
	uint64_t above;

	if (!strings_size(spec, &strings) || strings > size)
		return 0;
	if (spec->platform && !measure(spec->platform, &below))
		return 0;
	above = ALIGN_DOWN(top - strings, 16);
	if (above < base || above - base < below)
		return 0;
	return ALIGN_DOWN(above - below, 16); /* psABI 3.4.1: rsp % 16 == 0 */
}

/* Whether spec can be built at all (stack_build's first checks). */
static bool spec_ok(size_t size, uint64_t top, const struct stack_spec *spec)
{
	return top >= size && spec->random16 && (!spec->argc || spec->argv) &&
	       (!spec->envc || spec->envp) && (!spec->nauxv || spec->auxv) &&
	       !auxv_reserved(spec);
}

/* argc, argv[] and NULL, envp[] and NULL, the auxv pairs. */
static uint64_t word_count(const struct stack_spec *spec)
{
	return 1 + ((uint64_t)spec->argc + 1) + ((uint64_t)spec->envc + 1) +
	       2 * auxv_count(spec);
}

uint64_t stack_need(size_t size, uint64_t top, const struct stack_spec *spec)
{
	uint64_t sp;

	if (!spec_ok(size, top, spec))
		return 0;
	sp = find_sp(size, top, spec, word_count(spec));
	return sp && sp >= top - size ? top - sp : 0;
}

uint64_t stack_build(void *mem, size_t size, uint64_t top,
		     const struct stack_spec *spec)
{
	struct stack st = {.mem = mem};
	uint64_t words, sp, execfn, platform, random;

	if (!mem || !spec_ok(size, top, spec))
		return 0;
	words = word_count(spec);
	sp = find_sp(size, top, spec, words);
	st.base = top - size;
	if (!sp || sp < st.base)
		return 0;
	st.floor = sp + 8 * words;
	if (!write_strings(&st, top, sp, spec, &execfn, &platform, &random))
		return 0;
	memset(at(&st, st.floor), 0, st.cur - st.floor); /* the padding */
	put64(&st, sp, spec->argc);
	put64(&st, sp + 8 * (1 + (uint64_t)spec->argc), 0);
	put64(&st, sp + 8 * (2 + (uint64_t)spec->argc + spec->envc), 0);
	write_auxv(&st, sp + 8 * (3 + (uint64_t)spec->argc + spec->envc), spec,
		   execfn, platform, random);
	return sp;
}
