/*
 * Host tests for linux/elf.c: the host's own binaries parse to what their
 * headers say, and every way to break one gives its own message.
 *
 * The expected values come from a second, naive reader of the raw
 * headers below (no checks: only given files known to be good). The
 * static binary is build/host/static-hello, built beside this test by
 * mk/host.mk; argv[1] may name another.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "linux/elf.h"
#include "tests/host/check.h"

#define LS "/bin/ls"
#define LD_SO "/lib64/ld-linux-x86-64.so.2"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* Raw header offsets (gABI). */
#define E_TYPE 16
#define E_MACHINE 18
#define E_VERSION 20
#define E_ENTRY 24
#define E_PHOFF 32
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_VADDR 16
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48
#define PHSIZE 56

#define PT_NULL 0
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551

struct file {
	uint8_t *buf;
	size_t len;
};

static struct file ls, ld_so, libc_so, static_hello;
static char static_path[PATH_MAX];

/* ---- raw access ---- */

static uint64_t get(const uint8_t *b, size_t off, int width)
{
	uint64_t v = 0;

	memcpy(&v, b + off, width);
	return v;
}

static void set(uint8_t *b, size_t off, int width, uint64_t v)
{
	memcpy(b + off, &v, width);
}

static size_t ph_off(const uint8_t *b, unsigned i)
{
	return get(b, E_PHOFF, 8) + (size_t)i * PHSIZE;
}

static unsigned phnum(const uint8_t *b)
{
	return get(b, E_PHNUM, 2);
}

/* Offset of the nth (from 0) program header of `type`; 0 if none. */
static size_t find_ph(const uint8_t *b, uint32_t type, unsigned nth)
{
	for (unsigned i = 0; i < phnum(b); i++)
		if (get(b, ph_off(b, i) + P_TYPE, 4) == type && nth-- == 0)
			return ph_off(b, i);
	return 0;
}

static struct file read_file(const char *path)
{
	struct file f = {NULL, 0};
	FILE *fp = fopen(path, "rb");
	long n;

	if (!fp)
		return f;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.buf = malloc(n ? n : 1);
	if (fread(f.buf, 1, n, fp) != (size_t)n) {
		free(f.buf);
		f.buf = NULL;
	} else {
		f.len = n;
	}
	fclose(fp);
	return f;
}

static bool have(const struct file *f, const char *path)
{
	if (f->buf)
		return true;
	check_fail_begin(__FILE__, __LINE__);
	printf("cannot read %s\n", path);
	return false;
}

/* Parses a copy in a buffer of exactly len bytes, so ASan sees overreads.
 * The copy lives until the next call (info->interp points into it). */
static int parse(const void *buf, size_t len, struct elf_info *info,
		 const char **err)
{
	static void *copy;

	free(copy);
	copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	*err = NULL;
	return elf_parse(copy, len, info, err);
}

/* ---- good binaries: compare with the raw headers ---- */

static uint32_t raw_prot(uint32_t flags)
{
	return (flags & 4 ? ELF_PROT_READ : 0) |
	       (flags & 2 ? ELF_PROT_WRITE : 0) |
	       (flags & 1 ? ELF_PROT_EXEC : 0);
}

static void check_loads(const uint8_t *b, const struct elf_info *info)
{
	unsigned n = 0;
	uint64_t end = 0;

	for (unsigned i = 0; i < phnum(b); i++) {
		size_t p = ph_off(b, i);

		if (get(b, p + P_TYPE, 4) != PT_LOAD ||
		    get(b, p + P_MEMSZ, 8) == 0)
			continue;
		if (!CHECK(n < info->nloads))
			return;
		CHECK_EQ(info->loads[n].vaddr, get(b, p + P_VADDR, 8));
		CHECK_EQ(info->loads[n].memsz, get(b, p + P_MEMSZ, 8));
		CHECK_EQ(info->loads[n].offset, get(b, p + P_OFFSET, 8));
		CHECK_EQ(info->loads[n].filesz, get(b, p + P_FILESZ, 8));
		CHECK_EQ(info->loads[n].prot, raw_prot(get(b, p + P_FLAGS, 4)));
		end = get(b, p + P_VADDR, 8) + get(b, p + P_MEMSZ, 8);
		n++;
	}
	CHECK_EQ(info->nloads, n);
	CHECK_EQ(info->min_vaddr, info->loads[0].vaddr & ~0xfffull);
	CHECK_EQ(info->max_vaddr, (end + 0xfff) & ~0xfffull);
}

/* Everything elf_parse reports, against the raw headers of f. */
static void check_good(const struct file *f, struct elf_info *info)
{
	const uint8_t *b = f->buf;
	const char *err;
	size_t interp = find_ph(b, PT_INTERP, 0), phdr = find_ph(b, PT_PHDR, 0);
	size_t tls = find_ph(b, PT_TLS, 0), stack = find_ph(b, PT_GNU_STACK, 0);

	if (!CHECK_EQ(parse(f->buf, f->len, info, &err), 0)) {
		printf("    error: %s\n", err);
		return;
	}
	CHECK_EQ(info->dynamic, get(b, E_TYPE, 2) == 3);
	CHECK_EQ(info->entry, get(b, E_ENTRY, 8));
	CHECK_EQ(info->phnum, phnum(b));
	CHECK_EQ(info->phentsize, 56);
	check_loads(b, info);
	if (interp)
		CHECK_STR(info->interp,
			  (const char *)b + get(b, interp + P_OFFSET, 8));
	else
		CHECK(info->interp == NULL);
	if (phdr)
		CHECK_EQ(info->phdr_vaddr, get(b, phdr + P_VADDR, 8));
	CHECK_EQ(info->tls_memsz, tls ? get(b, tls + P_MEMSZ, 8) : 0);
	CHECK_EQ(info->tls_filesz, tls ? get(b, tls + P_FILESZ, 8) : 0);
	CHECK_EQ(info->tls_vaddr, tls ? get(b, tls + P_VADDR, 8) : 0);
	CHECK_EQ(info->exec_stack, stack ? get(b, stack + P_FLAGS, 4) & 1 : 1);
	CHECK_EQ(info->max_align, 4096);
}

static void test_ls_is_pie_with_interp(void)
{
	struct elf_info info;

	if (!have(&ls, LS))
		return;
	check_good(&ls, &info);
	CHECK(info.dynamic);
	CHECK_STR(info.interp, "/lib64/ld-linux-x86-64.so.2");
	CHECK_EQ(info.phdr_vaddr, 0x40); /* PT_PHDR, e_phoff 64 */
	CHECK(!info.exec_stack);
}

static void test_ld_so_has_no_interp_or_phdr(void)
{
	struct elf_info info;

	if (!have(&ld_so, LD_SO))
		return;
	check_good(&ld_so, &info);
	CHECK(info.dynamic);
	CHECK(info.interp == NULL);
	CHECK(find_ph(ld_so.buf, PT_PHDR, 0) == 0);
	/* No PT_PHDR: from the PT_LOAD that covers e_phoff. */
	CHECK_EQ(info.phdr_vaddr, info.loads[0].vaddr +
				      get(ld_so.buf, E_PHOFF, 8) -
				      info.loads[0].offset);
}

static void test_libc_has_tls(void)
{
	struct elf_info info;

	if (!have(&libc_so, LIBC))
		return;
	check_good(&libc_so, &info);
	CHECK(info.dynamic);
	CHECK(info.tls_memsz > 0);
	CHECK(info.tls_align >= 1);
}

static void test_static_binary(void)
{
	struct elf_info info;

	if (!have(&static_hello, static_path))
		return;
	check_good(&static_hello, &info);
	CHECK(info.interp == NULL);
	CHECK(info.phdr_vaddr != 0);
	CHECK(info.tls_memsz > 0); /* glibc's static TLS */
}

/* ---- every prefix that cuts a segment short fails ---- */

static uint64_t loads_end(const uint8_t *b)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < phnum(b); i++) {
		size_t p = ph_off(b, i);

		if (get(b, p + P_TYPE, 4) == PT_LOAD)
			end = MAX(end, get(b, p + P_OFFSET, 8) +
					   get(b, p + P_FILESZ, 8));
	}
	return end;
}

static void check_truncations(const struct file *f)
{
	uint64_t end = loads_end(f->buf);
	struct elf_info info;
	const char *err;
	int bad = 0;

	for (uint64_t n = 0; n < end; n += n < 4096 ? 1 : 4093) {
		if (parse(f->buf, n, &info, &err) != -ENOEXEC || !err ||
		    !*err) {
			if (bad++ == 0)
				CHECK_EQ(n,
					 (uint64_t)-1); /* names the length */
		}
	}
	if (!CHECK_EQ(parse(f->buf, end - 1, &info, &err), -ENOEXEC))
		return;
	CHECK(strstr(err, "past the end") != NULL);
	CHECK_EQ(parse(f->buf, end, &info, &err), 0);
	CHECK_EQ(bad, 0);
}

static void test_truncated_ls_fails(void)
{
	if (have(&ls, LS))
		check_truncations(&ls);
}

static void test_truncated_static_fails(void)
{
	if (have(&static_hello, static_path))
		check_truncations(&static_hello);
}

/* ---- malformed: one mutation of a good binary, one message ---- */

struct mcase {
	const char *name;
	struct file *base;
	void (*mutate)(uint8_t *b, size_t *len);
	const char *want; /* a substring of the message; NULL: must parse */
};

/* Sets a field of the nth program header of a type. */
static void set_ph(uint8_t *b, uint32_t type, unsigned nth, size_t field,
		   int width, uint64_t v)
{
	set(b, find_ph(b, type, nth) + field, width, v);
}

static uint64_t get_ph(const uint8_t *b, uint32_t type, unsigned nth,
		       size_t field)
{
	return get(b, find_ph(b, type, nth) + field, 8);
}

/* The mutations share one signature; most ignore len. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
static void m_magic(uint8_t *b, size_t *len)
{
	b[1] = 'X';
}
static void m_tiny(uint8_t *b, size_t *len)
{
	*len = 40;
}
static void m_class32(uint8_t *b, size_t *len)
{
	b[4] = 1;
}
static void m_big_endian(uint8_t *b, size_t *len)
{
	b[5] = 2;
}
static void m_ident_version(uint8_t *b, size_t *len)
{
	b[6] = 0;
}
static void m_e_version(uint8_t *b, size_t *len)
{
	set(b, E_VERSION, 4, 2);
}
static void m_aarch64(uint8_t *b, size_t *len)
{
	set(b, E_MACHINE, 2, 183);
}
static void m_i386(uint8_t *b, size_t *len)
{
	set(b, E_MACHINE, 2, 3);
}
static void m_machine_999(uint8_t *b, size_t *len)
{
	set(b, E_MACHINE, 2, 999);
}
static void m_rel(uint8_t *b, size_t *len)
{
	set(b, E_TYPE, 2, 1);
}
static void m_core(uint8_t *b, size_t *len)
{
	set(b, E_TYPE, 2, 4);
}
static void m_type_0(uint8_t *b, size_t *len)
{
	set(b, E_TYPE, 2, 0);
}
static void m_phentsize(uint8_t *b, size_t *len)
{
	set(b, E_PHENTSIZE, 2, 32);
}
static void m_phnum_0(uint8_t *b, size_t *len)
{
	set(b, E_PHNUM, 2, 0);
}
static void m_phnum_huge(uint8_t *b, size_t *len)
{
	set(b, E_PHNUM, 2, 0xffff);
}
static void m_phnum_past_end(uint8_t *b, size_t *len)
{
	set(b, E_PHOFF, 8, *len - 100);
}
static void m_phoff_overflow(uint8_t *b, size_t *len)
{
	set(b, E_PHOFF, 8, UINT64_MAX - 8);
}
static void m_filesz_gt_memsz(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 0, P_FILESZ, 8, get_ph(b, PT_LOAD, 0, P_MEMSZ) + 1);
}
static void m_offset_overflow(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 1, P_OFFSET, 8, 0xfffffffffffff000ull);
}
static void m_past_end(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 3, P_OFFSET, 8,
	       get_ph(b, PT_LOAD, 3, P_OFFSET) + ((*len + 0xfff) & ~0xfffull));
}
static void m_vaddr_overflow(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 3, P_VADDR, 8,
	       0xfffffffffffff000ull | get_ph(b, PT_LOAD, 3, P_VADDR));
}
static void m_align_not_pow2(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 1, P_ALIGN, 8, 0x3000);
}
static void m_incongruent(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 1, P_VADDR, 8, get_ph(b, PT_LOAD, 1, P_VADDR) + 8);
}
/* Align 0 or 1 still needs page congruence. */
static void m_incongruent_align_1(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 1, P_ALIGN, 8, 1);
	set_ph(b, PT_LOAD, 1, P_VADDR, 8, get_ph(b, PT_LOAD, 1, P_VADDR) + 8);
}
static void m_align_2m(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 1, P_ALIGN, 8, 0x200000);
}
static void m_unsorted(uint8_t *b, size_t *len)
{
	size_t p1 = find_ph(b, PT_LOAD, 1), p2 = find_ph(b, PT_LOAD, 2);
	uint8_t tmp[PHSIZE];

	memcpy(tmp, b + p1, PHSIZE);
	memcpy(b + p1, b + p2, PHSIZE);
	memcpy(b + p2, tmp, PHSIZE);
}
/* Moves PT_LOAD 2 down a page, into the end of PT_LOAD 1. */
static void m_overlap(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 2, P_VADDR, 8,
	       get_ph(b, PT_LOAD, 2, P_VADDR) - 0x1000);
	set_ph(b, PT_LOAD, 2, P_OFFSET, 8,
	       get_ph(b, PT_LOAD, 2, P_OFFSET) - 0x1000);
}
static void m_no_load(uint8_t *b, size_t *len)
{
	size_t p;

	while ((p = find_ph(b, PT_LOAD, 0)))
		set(b, p + P_TYPE, 4, PT_NULL);
}
static void m_empty_load(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 0, P_FILESZ, 8, 0);
	set_ph(b, PT_LOAD, 0, P_MEMSZ, 8, 0);
	set_ph(b, PT_PHDR, 0, P_TYPE, 4, PT_NULL);
}
static void m_interp_no_nul(uint8_t *b, size_t *len)
{
	b[get_ph(b, PT_INTERP, 0, P_OFFSET) +
	  get_ph(b, PT_INTERP, 0, P_FILESZ) - 1] = 'x';
}
static void m_interp_long(uint8_t *b, size_t *len)
{
	set_ph(b, PT_INTERP, 0, P_FILESZ, 8, 4097);
}
static void m_interp_empty(uint8_t *b, size_t *len)
{
	set_ph(b, PT_INTERP, 0, P_FILESZ, 8, 1);
}
static void m_interp_outside(uint8_t *b, size_t *len)
{
	set_ph(b, PT_INTERP, 0, P_OFFSET, 8, *len - 4);
}
static void m_interp_overflow(uint8_t *b, size_t *len)
{
	set_ph(b, PT_INTERP, 0, P_OFFSET, 8, UINT64_MAX - 4);
}
static void m_two_interps(uint8_t *b, size_t *len)
{
	size_t note = find_ph(b, PT_NOTE, 0), interp = find_ph(b, PT_INTERP, 0);

	memcpy(b + note, b + interp, PHSIZE);
}
static void m_entry_0(uint8_t *b, size_t *len)
{
	set(b, E_ENTRY, 8, 0);
}
static void m_entry_far(uint8_t *b, size_t *len)
{
	set(b, E_ENTRY, 8, 0x7fff00000000ull);
}
/* One past the end of the executable segment. */
static void m_entry_end(uint8_t *b, size_t *len)
{
	set(b, E_ENTRY, 8,
	    get_ph(b, PT_LOAD, 1, P_VADDR) + get_ph(b, PT_LOAD, 1, P_MEMSZ));
}
static void m_entry_last_byte(uint8_t *b, size_t *len)
{
	set(b, E_ENTRY, 8,
	    get_ph(b, PT_LOAD, 1, P_VADDR) + get_ph(b, PT_LOAD, 1, P_MEMSZ) -
		1);
}
static void m_phdr_unmapped(uint8_t *b, size_t *len)
{
	set_ph(b, PT_PHDR, 0, P_VADDR, 8, 0x10000000);
}
static void m_above_2_47(uint8_t *b, size_t *len)
{
	set_ph(b, PT_LOAD, 3, P_VADDR, 8,
	       get_ph(b, PT_LOAD, 3, P_VADDR) + (1ull << 47));
}
static void m_tls_filesz(uint8_t *b, size_t *len)
{
	set_ph(b, PT_TLS, 0, P_FILESZ, 8, get_ph(b, PT_TLS, 0, P_MEMSZ) + 1);
}
static void m_tls_align(uint8_t *b, size_t *len)
{
	set_ph(b, PT_TLS, 0, P_ALIGN, 8, 24);
}
static void m_tls_overflow(uint8_t *b, size_t *len)
{
	set_ph(b, PT_TLS, 0, P_VADDR, 8, UINT64_MAX - 8);
}
static void m_two_tls(uint8_t *b, size_t *len)
{
	memcpy(b + find_ph(b, PT_NOTE, 0), b + find_ph(b, PT_TLS, 0), PHSIZE);
}
static void m_exec_stack(uint8_t *b, size_t *len)
{
	set_ph(b, PT_GNU_STACK, 0, P_FLAGS, 4, 7);
	set_ph(b, PT_GNU_STACK, 0, P_MEMSZ, 8, 0x800000);
}
static void m_no_gnu_stack(uint8_t *b, size_t *len)
{
	set_ph(b, PT_GNU_STACK, 0, P_TYPE, 4, PT_NULL);
}

#pragma GCC diagnostic pop

static const struct mcase cases[] = {
    {"bad_magic", &ls, m_magic, "bad magic"},
    {"shorter_than_header", &ls, m_tiny, "too short"},
    {"elfclass32", &ls, m_class32, "not a 64-bit ELF"},
    {"big_endian", &ls, m_big_endian, "not a little-endian"},
    {"ident_version", &ls, m_ident_version, "bad ELF version"},
    {"e_version", &ls, m_e_version, "bad ELF version"},
    {"aarch64", &ls, m_aarch64, "e_machine 183 (AArch64)"},
    {"i386", &ls, m_i386, "e_machine 3 (i386)"},
    {"unknown_machine", &ls, m_machine_999, "not x86-64: e_machine is not 62"},
    {"et_rel", &ls, m_rel, "relocatable object (ET_REL)"},
    {"et_core", &ls, m_core, "core dump (ET_CORE)"},
    {"et_none", &ls, m_type_0, "bad e_type"},
    {"phentsize", &ls, m_phentsize, "wrong e_phentsize"},
    {"phnum_0", &ls, m_phnum_0, "no program headers"},
    {"phnum_huge", &ls, m_phnum_huge, "too many program headers"},
    {"phdrs_past_end", &ls, m_phnum_past_end, "program headers lie outside"},
    {"phoff_overflow", &ls, m_phoff_overflow, "program headers lie outside"},
    {"filesz_gt_memsz", &ls, m_filesz_gt_memsz, "p_filesz > p_memsz"},
    {"offset_overflow", &ls, m_offset_overflow,
     "p_offset + p_filesz overflows"},
    {"load_past_end", &ls, m_past_end, "runs past the end of the file"},
    {"vaddr_overflow", &ls, m_vaddr_overflow, "p_vaddr + p_memsz overflows"},
    {"align_not_pow2", &ls, m_align_not_pow2, "p_align is not a power of two"},
    {"incongruent", &ls, m_incongruent, "differ modulo p_align"},
    {"incongruent_align_1", &ls, m_incongruent_align_1,
     "differ modulo p_align"},
    {"align_2m_ok", &ls, m_align_2m, NULL},
    {"unsorted", &ls, m_unsorted, "not sorted"},
    {"overlap", &ls, m_overlap, "PT_LOAD segments overlap"},
    {"no_load", &ls, m_no_load, "no PT_LOAD"},
    {"empty_load_ok", &ls, m_empty_load, NULL},
    {"interp_no_nul", &ls, m_interp_no_nul, "not NUL-terminated"},
    {"interp_long", &ls, m_interp_long, "longer than 4095"},
    {"interp_empty", &ls, m_interp_empty, "PT_INTERP is empty"},
    {"interp_outside", &ls, m_interp_outside, "PT_INTERP lies outside"},
    {"interp_overflow", &ls, m_interp_overflow, "PT_INTERP lies outside"},
    {"two_interps", &ls, m_two_interps, "more than one PT_INTERP"},
    {"entry_0", &ls, m_entry_0, "entry point is outside"},
    {"entry_far", &ls, m_entry_far, "entry point is outside"},
    {"entry_at_end", &ls, m_entry_end, "entry point is outside"},
    {"entry_last_byte_ok", &ls, m_entry_last_byte, NULL},
    {"phdr_unmapped", &ls, m_phdr_unmapped, "PT_PHDR is not inside"},
    {"above_2_47", &ls, m_above_2_47, "do not fit below 2^47"},
    {"tls_filesz", &libc_so, m_tls_filesz, "PT_TLS has p_filesz > p_memsz"},
    {"tls_align", &libc_so, m_tls_align, "PT_TLS's p_align"},
    {"tls_overflow", &libc_so, m_tls_overflow, "PT_TLS's p_vaddr + p_memsz"},
    {"two_tls", &libc_so, m_two_tls, "more than one PT_TLS"},
    {"exec_stack_ok", &ls, m_exec_stack, NULL},
    {"no_gnu_stack_ok", &ls, m_no_gnu_stack, NULL},
};

static const struct mcase *mcase;

/* Checks the outcome of one malformed-input case. */
static void run_mcase(void)
{
	const struct mcase *c = mcase;
	struct elf_info info;
	const char *err;
	uint8_t *b;
	size_t len;
	int r;

	if (!c->base->buf) {
		CHECK(c->base->buf != NULL);
		return;
	}
	len = c->base->len;
	b = malloc(len);
	memcpy(b, c->base->buf, len);
	c->mutate(b, &len);
	r = parse(b, len, &info, &err);
	free(b);
	if (!c->want) {
		if (!CHECK_EQ(r, 0))
			printf("    error: %s\n", err);
		return;
	}
	CHECK_EQ(r, -ENOEXEC);
	if (!err || !strstr(err, c->want)) {
		check_fail_begin(__FILE__, __LINE__);
		printf("expected a message with \"%s\", got \"%s\"\n", c->want,
		       err ? err : "(none)");
	}
}

static void run_mcases(void)
{
	/* check_run keeps the name pointer: one buffer per case. */
	static char names[ARRAY_SIZE(cases)][64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		mcase = &cases[i];
		snprintf(names[i], sizeof(names[i]), "malformed_%s",
			 cases[i].name);
		check_run(names[i], run_mcase);
	}
}

/* What the accepted mutations change. */
static void test_accepted_mutations_report_it(void)
{
	struct elf_info info;
	const char *err;
	uint8_t *b;
	size_t len;

	if (!have(&ls, LS))
		return;
	len = ls.len;
	b = malloc(len);
	memcpy(b, ls.buf, len);
	m_align_2m(b, &len);
	if (CHECK_EQ(parse(b, len, &info, &err), 0))
		CHECK_EQ(info.max_align, 0x200000);
	memcpy(b, ls.buf, len);
	m_empty_load(b, &len);
	if (CHECK_EQ(parse(b, len, &info, &err), 0)) {
		CHECK_EQ(info.nloads, 3);
		CHECK_EQ(info.phdr_vaddr, 0); /* no PT_PHDR, no load covers */
	}
	memcpy(b, ls.buf, len);
	m_exec_stack(b, &len);
	if (CHECK_EQ(parse(b, len, &info, &err), 0)) {
		CHECK(info.exec_stack);
		CHECK_EQ(info.stack_size_hint, 0x800000);
	}
	memcpy(b, ls.buf, len);
	m_no_gnu_stack(b, &len);
	if (CHECK_EQ(parse(b, len, &info, &err), 0))
		CHECK(info.exec_stack);
	free(b);
}

/* ---- hand-made ELFs: segment counts and a minimal ET_EXEC ---- */

/* An ET_EXEC with nloads one-page PT_LOADs (R+X) at 0x400000 up, the
 * program headers after the ELF header and outside every segment. */
static size_t make_exec(uint8_t *b, size_t size, unsigned nloads)
{
	size_t len = 64 + (size_t)nloads * PHSIZE;

	memset(b, 0, size);
	memcpy(b, "\177ELF\2\1\1", 7);
	set(b, E_TYPE, 2, 2);
	set(b, E_MACHINE, 2, 62);
	set(b, E_VERSION, 4, 1);
	set(b, E_ENTRY, 8, 0x400000);
	set(b, E_PHOFF, 8, 64);
	set(b, E_PHENTSIZE, 2, PHSIZE);
	set(b, E_PHNUM, 2, nloads);
	for (unsigned i = 0; i < nloads; i++) {
		size_t p = 64 + (size_t)i * PHSIZE;

		set(b, p + P_TYPE, 4, PT_LOAD);
		set(b, p + P_FLAGS, 4, 5);
		set(b, p + P_VADDR, 8, 0x400000 + 0x1000ull * i);
		set(b, p + P_MEMSZ, 8, 0x1000);
		set(b, p + P_ALIGN, 8, 0x1000);
	}
	return len;
}

static void test_handmade_minimal_exec(void)
{
	uint8_t b[4096];
	struct elf_info info;
	const char *err;
	size_t len = make_exec(b, sizeof(b), 1);

	if (!CHECK_EQ(parse(b, len, &info, &err), 0))
		return;
	CHECK(!info.dynamic);
	CHECK_EQ(info.nloads, 1);
	CHECK_EQ(info.min_vaddr, 0x400000);
	CHECK_EQ(info.max_vaddr, 0x401000);
	CHECK_EQ(info.loads[0].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	CHECK_EQ(info.phdr_vaddr, 0); /* no segment holds the headers */
	CHECK(info.exec_stack);	      /* no PT_GNU_STACK */
	CHECK(info.interp == NULL);
	CHECK_EQ(info.tls_memsz, 0);
}

static void test_handmade_16_loads_ok_17_too_many(void)
{
	uint8_t b[4096];
	struct elf_info info;
	const char *err;
	size_t len = make_exec(b, sizeof(b), ELF_MAX_LOADS);

	if (CHECK_EQ(parse(b, len, &info, &err), 0))
		CHECK_EQ(info.nloads, ELF_MAX_LOADS);
	len = make_exec(b, sizeof(b), ELF_MAX_LOADS + 1);
	CHECK_EQ(parse(b, len, &info, &err), -ENOEXEC);
	CHECK(err && strstr(err, "too many PT_LOAD"));
}

static void test_handmade_exec_above_2_47(void)
{
	uint8_t b[4096];
	struct elf_info info;
	const char *err;
	size_t len = make_exec(b, sizeof(b), 1);

	set(b, 64 + P_VADDR, 8, (1ull << 47) - 0x1000);
	set(b, E_ENTRY, 8, (1ull << 47) - 0x1000);
	CHECK_EQ(parse(b, len, &info, &err), 0);
	set(b, 64 + P_MEMSZ, 8, 0x1001);
	CHECK_EQ(parse(b, len, &info, &err), -ENOEXEC);
	CHECK(err && strstr(err, "2^47"));
}

static void test_null_err_is_allowed(void)
{
	struct elf_info info;

	CHECK_EQ(elf_parse("junk", 4, &info, NULL), -ENOEXEC);
	CHECK_EQ(elf_parse("", 0, &info, NULL), -ENOEXEC);
}

static void find_static_hello(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (argc > 1) {
		snprintf(static_path, sizeof(static_path), "%s", argv[1]);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(static_path, sizeof(static_path), "%s/static-hello",
		 dirname(self));
}

int main(int argc, char **argv)
{
	find_static_hello(argc, argv);
	ls = read_file(LS);
	ld_so = read_file(LD_SO);
	libc_so = read_file(LIBC);
	static_hello = read_file(static_path);

	RUN_TEST(test_ls_is_pie_with_interp);
	RUN_TEST(test_ld_so_has_no_interp_or_phdr);
	RUN_TEST(test_libc_has_tls);
	RUN_TEST(test_static_binary);
	RUN_TEST(test_truncated_ls_fails);
	RUN_TEST(test_truncated_static_fails);
	run_mcases();
	RUN_TEST(test_accepted_mutations_report_it);
	RUN_TEST(test_handmade_minimal_exec);
	RUN_TEST(test_handmade_16_loads_ok_17_too_many);
	RUN_TEST(test_handmade_exec_above_2_47);
	RUN_TEST(test_null_err_is_allowed);
	return check_exit();
}
