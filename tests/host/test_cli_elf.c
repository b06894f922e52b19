/*
 * Host tests for tools/osprey/elfdeps.c, the ELF reader of `osprey build`:
 * a small dynamic object built here parses to what was put in it, the
 * host's own /bin/true and libc parse to what readelf shows, and each way
 * of breaking the object is refused with its own message (and never read
 * outside the buffer: this test runs under ASan, every case on a buffer
 * of exactly the file's size).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/host/check.h"
#include "tools/osprey/elfdeps.h"

/* The object: ELF header, three program headers (PT_LOAD of the whole
 * file at vaddr BASE, PT_INTERP, PT_DYNAMIC), the interpreter, the string
 * table, the dynamic section. */
#define BASE 0x400000
#define PH_OFF 64
#define INTERP_OFF (PH_OFF + 3 * sizeof(Elf64_Phdr))
#define INTERP "/lib64/ld-linux-x86-64.so.2"
#define STR_OFF 272
#define DYN_OFF 384
#define NDYN 9
#define FILE_SIZE (DYN_OFF + NDYN * sizeof(Elf64_Dyn))

static const char strtab[] = "\0libfoo.so.1\0libc.so.6\0$ORIGIN/../lib\0"
			     "/opt/rpath\0libself.so.2";
enum { S_FOO = 1, S_LIBC = 13, S_RUNPATH = 23, S_RPATH = 38, S_SONAME = 49 };

struct obj {
	uint8_t *buf;
	size_t len;
};

static Elf64_Ehdr *ehdr(struct obj *o)
{
	return (Elf64_Ehdr *)o->buf;
}

static Elf64_Phdr *phdr(struct obj *o, int i)
{
	return (Elf64_Phdr *)(o->buf + PH_OFF) + i;
}

static Elf64_Dyn *dyn(struct obj *o, int i)
{
	return (Elf64_Dyn *)(o->buf + DYN_OFF) + i;
}

static struct obj make(void)
{
	struct obj o = {calloc(1, FILE_SIZE), FILE_SIZE};
	Elf64_Ehdr *eh = ehdr(&o);
	const Elf64_Dyn d[NDYN] = {
	    {DT_NEEDED, {S_FOO}},
	    {DT_NEEDED, {S_LIBC}},
	    {DT_RUNPATH, {S_RUNPATH}},
	    {DT_RPATH, {S_RPATH}},
	    {DT_SONAME, {S_SONAME}},
	    {DT_STRTAB, {BASE + STR_OFF}},
	    {DT_STRSZ, {sizeof(strtab)}},
	    {DT_FLAGS_1, {DF_1_NODEFLIB}},
	    {DT_NULL, {0}},
	};

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = PH_OFF;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	*phdr(&o, 0) = (Elf64_Phdr){.p_type = PT_LOAD,
				    .p_flags = PF_R,
				    .p_vaddr = BASE,
				    .p_filesz = FILE_SIZE,
				    .p_memsz = FILE_SIZE,
				    .p_align = 4096};
	*phdr(&o, 1) = (Elf64_Phdr){.p_type = PT_INTERP,
				    .p_offset = INTERP_OFF,
				    .p_vaddr = BASE + INTERP_OFF,
				    .p_filesz = sizeof(INTERP),
				    .p_memsz = sizeof(INTERP)};
	*phdr(&o, 2) = (Elf64_Phdr){.p_type = PT_DYNAMIC,
				    .p_offset = DYN_OFF,
				    .p_vaddr = BASE + DYN_OFF,
				    .p_filesz = sizeof(d),
				    .p_memsz = sizeof(d)};
	memcpy(o.buf + INTERP_OFF, INTERP, sizeof(INTERP));
	memcpy(o.buf + STR_OFF, strtab, sizeof(strtab));
	memcpy(o.buf + DYN_OFF, d, sizeof(d));
	return o;
}

/* Parses o from a copy of exactly o->len bytes, so ASan sees overreads. */
static int parse(const struct obj *o, struct elfdeps *d, const char **err)
{
	uint8_t *copy = malloc(o->len ? o->len : 1);
	int r;

	memcpy(copy, o->buf, o->len);
	r = elfdeps_parse(copy, o->len, d, err);
	/* The strings point into the copy: check them before it goes. */
	if (r == 0 && d->interp)
		CHECK((const uint8_t *)d->interp >= copy &&
		      (const uint8_t *)d->interp < copy + o->len);
	free(copy);
	if (r == 0) /* the pointers are dangling now; forget them */
		d->interp = d->soname = d->runpath = d->rpath = NULL;
	return r;
}

static void test_synthetic_object(void)
{
	struct obj o = make();
	struct elfdeps d;
	const char *err = NULL;

	CHECK_EQ(elfdeps_parse(o.buf, o.len, &d, &err), 0);
	CHECK_EQ(d.type, ET_DYN);
	CHECK(d.dynamic);
	CHECK_STR(d.interp, INTERP);
	CHECK_EQ(d.nneeded, 2);
	CHECK_STR(d.needed[0], "libfoo.so.1");
	CHECK_STR(d.needed[1], "libc.so.6");
	CHECK_STR(d.runpath, "$ORIGIN/../lib");
	CHECK_STR(d.rpath, NULL); /* ignored beside DT_RUNPATH, as ld.so */
	CHECK_STR(d.soname, "libself.so.2");
	CHECK(d.nodeflib);
	free(o.buf);
}

static void test_rpath_without_runpath(void)
{
	struct obj o = make();
	struct elfdeps d;

	dyn(&o, 2)->d_tag = DT_DEBUG;
	CHECK_EQ(elfdeps_parse(o.buf, o.len, &d, NULL), 0);
	CHECK_STR(d.runpath, NULL);
	CHECK_STR(d.rpath, "/opt/rpath");
	free(o.buf);
}

static void test_static_executable(void)
{
	struct obj o = make();
	struct elfdeps d;

	ehdr(&o)->e_type = ET_EXEC;
	ehdr(&o)->e_phnum = 1; /* just the PT_LOAD */
	CHECK_EQ(elfdeps_parse(o.buf, o.len, &d, NULL), 0);
	CHECK_EQ(d.type, ET_EXEC);
	CHECK(!d.dynamic);
	CHECK_STR(d.interp, NULL);
	CHECK_EQ(d.nneeded, 0);
	free(o.buf);
}

static void test_dynamic_without_strings(void)
{
	struct obj o = make();
	struct elfdeps d;

	/* A static-pie: PT_DYNAMIC with no names at all needs no DT_STRTAB. */
	for (int i = 0; i < NDYN; i++)
		dyn(&o, i)->d_tag =
		    dyn(&o, i)->d_tag == DT_NULL ? DT_NULL : DT_DEBUG;
	CHECK_EQ(elfdeps_parse(o.buf, o.len, &d, NULL), 0);
	CHECK(d.dynamic);
	CHECK_EQ(d.nneeded, 0);
	free(o.buf);
}

/* ---- broken objects: each with its own error ---- */

struct breakage {
	const char *name;
	void (*apply)(struct obj *o);
	int want;
	const char *msg;
};

static void short_file(struct obj *o)
{
	o->len = 63;
}
static void bad_magic(struct obj *o)
{
	o->buf[1] = 'X';
}
static void elf32(struct obj *o)
{
	o->buf[EI_CLASS] = ELFCLASS32;
}
static void big_endian(struct obj *o)
{
	o->buf[EI_DATA] = ELFDATA2MSB;
}
static void i386(struct obj *o)
{
	ehdr(o)->e_machine = EM_386;
}
static void relocatable(struct obj *o)
{
	ehdr(o)->e_type = ET_REL;
}
static void phentsize(struct obj *o)
{
	ehdr(o)->e_phentsize = 32;
}
static void no_phdrs(struct obj *o)
{
	ehdr(o)->e_phnum = 0;
}
static void phdrs_out(struct obj *o)
{
	ehdr(o)->e_phoff = ~0ull - 8;
}
static void phdrs_cut(struct obj *o)
{
	ehdr(o)->e_phoff = o->len - 100;
}
static void interp_no_nul(struct obj *o)
{
	phdr(o, 1)->p_filesz = 5;
}
static void interp_relative(struct obj *o)
{
	o->buf[INTERP_OFF] = 'l';
}
static void interp_out(struct obj *o)
{
	phdr(o, 1)->p_offset = o->len;
}
static void interp_wrap(struct obj *o)
{
	phdr(o, 1)->p_filesz = ~0ull;
}
static void two_interps(struct obj *o)
{
	phdr(o, 2)->p_type = PT_INTERP;
}
static void two_dynamics(struct obj *o)
{
	phdr(o, 1)->p_type = PT_DYNAMIC;
}
static void dyn_out(struct obj *o)
{
	phdr(o, 2)->p_filesz = 4096;
}
static void no_strtab(struct obj *o)
{
	dyn(o, 5)->d_tag = DT_DEBUG;
}
static void strtab_unmapped(struct obj *o)
{
	dyn(o, 5)->d_un.d_ptr = 0x1000;
}
static void load_out(struct obj *o)
{
	phdr(o, 0)->p_filesz = 1 << 20;
}
static void needed_out(struct obj *o)
{
	dyn(o, 0)->d_un.d_val = 1000;
}
static void needed_empty(struct obj *o)
{
	dyn(o, 0)->d_un.d_val = 0;
}
static void soname_out(struct obj *o)
{
	dyn(o, 4)->d_un.d_val = ~0ull;
}

/* DT_STRSZ bounds the strings even where the file goes on. */
static void strsz_cut(struct obj *o)
{
	dyn(o, 2)->d_tag = dyn(o, 3)->d_tag = dyn(o, 4)->d_tag = DT_DEBUG;
	dyn(o, 6)->d_un.d_val = S_LIBC + 3;
}

/* A string that runs to the end of the file without a NUL, with no help
 * from DT_STRSZ: the table starts 4 bytes before the end, in the value of
 * the DT_NULL entry, made non-zero for this. */
static void unterminated(struct obj *o)
{
	dyn(o, NDYN - 1)->d_un.d_val = 0x4141414141414141ull;
	dyn(o, 5)->d_un.d_ptr = BASE + FILE_SIZE - 4;
	dyn(o, 6)->d_un.d_val = ~0ull;
	dyn(o, 4)->d_un.d_val = 0;
}

static void too_many_needed(struct obj *o)
{
	/* A dynamic section of ELFDEPS_MAX_NEEDED + 1 DT_NEEDED entries. */
	size_t n = ELFDEPS_MAX_NEEDED + 3;
	size_t len = DYN_OFF + n * sizeof(Elf64_Dyn);

	o->buf = realloc(o->buf, len);
	o->len = len;
	for (size_t i = 0; i < n; i++)
		*dyn(o, i) = (Elf64_Dyn){DT_NEEDED, {S_FOO}};
	*dyn(o, n - 2) = (Elf64_Dyn){DT_STRTAB, {BASE + STR_OFF}};
	*dyn(o, n - 1) = (Elf64_Dyn){DT_NULL, {0}};
	phdr(o, 0)->p_filesz = len;
	phdr(o, 2)->p_filesz = n * sizeof(Elf64_Dyn);
}

static const struct breakage breakages[] = {
    {"short", short_file, -ENOEXEC, "shorter than an ELF header"},
    {"magic", bad_magic, -ENOEXEC, "no ELF magic"},
    {"elf32", elf32, -ENOEXEC, "not a 64-bit ELF file"},
    {"big-endian", big_endian, -ENOEXEC, "not little-endian"},
    {"i386", i386, -ENOEXEC, "not for x86-64"},
    {"relocatable", relocatable, -ENOEXEC,
     "neither an executable nor a shared object"},
    {"phentsize", phentsize, -EINVAL, "unexpected program header size"},
    {"no-phdrs", no_phdrs, -EINVAL, "no (or too many) program headers"},
    {"phdrs-out", phdrs_out, -EINVAL, "program headers outside the file"},
    {"phdrs-cut", phdrs_cut, -EINVAL, "program headers outside the file"},
    {"interp-no-nul", interp_no_nul, -EINVAL,
     "PT_INTERP is not a path ending in NUL"},
    {"interp-relative", interp_relative, -EINVAL,
     "PT_INTERP is not an absolute path"},
    {"interp-out", interp_out, -EINVAL, "PT_INTERP outside the file"},
    {"interp-wrap", interp_wrap, -EINVAL, "PT_INTERP outside the file"},
    {"two-interps", two_interps, -EINVAL, "two PT_INTERP headers"},
    {"two-dynamics", two_dynamics, -EINVAL, "two PT_DYNAMIC headers"},
    {"dynamic-out", dyn_out, -EINVAL, "PT_DYNAMIC outside the file"},
    {"no-strtab", no_strtab, -EINVAL, "a dynamic section without DT_STRTAB"},
    {"strtab-unmapped", strtab_unmapped, -EINVAL,
     "DT_STRTAB is in no PT_LOAD's file bytes"},
    {"load-out", load_out, -EINVAL, "PT_LOAD outside the file"},
    {"needed-out", needed_out, -EINVAL, "a bad DT_NEEDED string"},
    {"needed-empty", needed_empty, -EINVAL, "a bad DT_NEEDED string"},
    {"soname-out", soname_out, -EINVAL, "a bad DT_SONAME string"},
    {"strsz-cut", strsz_cut, -EINVAL, "a bad DT_NEEDED string"},
    {"unterminated", unterminated, -EINVAL, "a bad DT_SONAME string"},
    {"too-many-needed", too_many_needed, -EINVAL, "too many DT_NEEDED entries"},
};

static void test_broken_objects(void)
{
	for (size_t i = 0; i < sizeof(breakages) / sizeof(*breakages); i++) {
		const struct breakage *b = &breakages[i];
		struct obj o = make();
		struct elfdeps d;
		const char *err = NULL;
		int r;

		b->apply(&o);
		r = parse(&o, &d, &err);
		if (!CHECK_EQ(r, b->want) || !CHECK_STR(err, b->msg))
			printf("    (case %s)\n", b->name);
		CHECK_EQ(d.nneeded, 0); /* nothing half-filled on failure */
		free(o.buf);
	}
}

/* Every prefix of the object is refused cleanly or parsed in bounds. */
static void test_every_truncation(void)
{
	struct obj o = make();
	size_t full = o.len;

	for (size_t len = 0; len < full; len++) {
		struct elfdeps d;
		const char *err = NULL;
		int r;

		o.len = len;
		r = parse(&o, &d, &err);
		if (!CHECK(r == -ENOEXEC || r == -EINVAL) ||
		    !CHECK(err && *err))
			printf("    (length %zu)\n", len);
	}
	free(o.buf);
}

/* ---- the host's own binaries ---- */

static struct obj slurp(const char *path)
{
	struct obj o = {0};
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return o;
	o.buf = malloc(st.st_size);
	if (read(fd, o.buf, st.st_size) == st.st_size)
		o.len = st.st_size;
	close(fd);
	return o;
}

static bool has_needed(const struct elfdeps *d, const char *name)
{
	for (unsigned i = 0; i < d->nneeded; i++)
		if (!strcmp(d->needed[i], name))
			return true;
	return false;
}

static void test_host_true_and_libc(void)
{
	struct obj t = slurp("/bin/true"), c = slurp("/lib/x86_64-linux-gnu/"
						     "libc.so.6");
	struct elfdeps d;

	if (!CHECK(t.len && c.len))
		return;
	CHECK_EQ(elfdeps_parse(t.buf, t.len, &d, NULL), 0);
	CHECK_STR(d.interp, "/lib64/ld-linux-x86-64.so.2");
	CHECK(has_needed(&d, "libc.so.6"));
	CHECK_EQ(elfdeps_parse(c.buf, c.len, &d, NULL), 0);
	CHECK_STR(d.soname, "libc.so.6");
	CHECK(has_needed(&d, "ld-linux-x86-64.so.2"));
	free(t.buf);
	free(c.buf);
}

int main(void)
{
	RUN_TEST(test_synthetic_object);
	RUN_TEST(test_rpath_without_runpath);
	RUN_TEST(test_static_executable);
	RUN_TEST(test_dynamic_without_strings);
	RUN_TEST(test_broken_objects);
	RUN_TEST(test_every_truncation);
	RUN_TEST(test_host_true_and_libc);
	return check_exit();
}
