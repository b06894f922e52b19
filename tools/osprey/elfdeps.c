/*
 * The ELF reader of `osprey build` (System V gABI, "Program Header" and
 * "Dynamic Section"). The file is outside input: every header is copied
 * out with memcpy (no alignment assumed), every offset and size is
 * checked with overflow-checked arithmetic before it is used, and every
 * string must end with a NUL inside both the file and its string table.
 *
 * DT_STRTAB holds a virtual address; it is turned into a file offset
 * through the PT_LOAD that holds it in its file bytes, which is what
 * ld.so sees once the object is mapped.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "tools/osprey/elfdeps.h"

struct parse {
	const uint8_t *buf;
	size_t len;
	Elf64_Ehdr eh;
	const char **err;
};

static int bad(struct parse *p, int code, const char *why)
{
	if (p->err)
		*p->err = why;
	return code;
}

static bool in_file(const struct parse *p, uint64_t off, uint64_t size)
{
	uint64_t end;

	return !__builtin_add_overflow(off, size, &end) && end <= p->len;
}

static void get_phdr(const struct parse *p, unsigned i, Elf64_Phdr *ph)
{
	memcpy(ph, p->buf + p->eh.e_phoff + (uint64_t)i * sizeof(*ph),
	       sizeof(*ph));
}

static int check_header(struct parse *p)
{
	Elf64_Ehdr *eh = &p->eh;
	uint64_t size;

	if (p->len < sizeof(*eh))
		return bad(p, -ENOEXEC, "shorter than an ELF header");
	memcpy(eh, p->buf, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return bad(p, -ENOEXEC, "no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return bad(p, -ENOEXEC, "not a 64-bit ELF file");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(p, -ENOEXEC, "not little-endian");
	if (eh->e_machine != EM_X86_64)
		return bad(p, -ENOEXEC, "not for x86-64");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return bad(p, -ENOEXEC,
			   "neither an executable nor a shared object");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(p, -EINVAL, "unexpected program header size");
	if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return bad(p, -EINVAL, "no (or too many) program headers");
	size = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (!in_file(p, eh->e_phoff, size))
		return bad(p, -EINVAL, "program headers outside the file");
	return 0;
}

/* A NUL-terminated string of at most `max` bytes, NUL included, at
 * base[off], with `size` bytes readable from base. */
static const char *get_string(const char *base, uint64_t size, uint64_t off,
			      size_t max)
{
	size_t room;
	const char *nul;

	if (off >= size)
		return NULL;
	room = size - off < max ? size - off : max;
	nul = memchr(base + off, '\0', room);
	return nul ? base + off : NULL;
}

static int read_interp(struct parse *p, const Elf64_Phdr *ph, struct elfdeps *d)
{
	const char *s;

	if (d->interp)
		return bad(p, -EINVAL, "two PT_INTERP headers");
	if (!in_file(p, ph->p_offset, ph->p_filesz))
		return bad(p, -EINVAL, "PT_INTERP outside the file");
	s = get_string((const char *)p->buf + ph->p_offset, ph->p_filesz, 0,
		       ELFDEPS_MAX_PATH);
	if (!s || !*s)
		return bad(p, -EINVAL, "PT_INTERP is not a path ending in NUL");
	if (s[0] != '/')
		return bad(p, -EINVAL, "PT_INTERP is not an absolute path");
	d->interp = s;
	return 0;
}

/*
 * The file offset of virtual address `vaddr` and how many file bytes
 * follow it in its PT_LOAD. Returns 0, or -EINVAL if no PT_LOAD holds it
 * in its file bytes.
 */
static int vaddr_to_offset(struct parse *p, uint64_t vaddr, uint64_t *off,
			   uint64_t *room)
{
	for (unsigned i = 0; i < p->eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t delta;

		get_phdr(p, i, &ph);
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr)
			continue;
		delta = vaddr - ph.p_vaddr;
		if (delta >= ph.p_filesz)
			continue;
		if (!in_file(p, ph.p_offset, ph.p_filesz))
			return bad(p, -EINVAL, "PT_LOAD outside the file");
		*off = ph.p_offset + delta;
		*room = ph.p_filesz - delta;
		return 0;
	}
	return bad(p, -EINVAL, "DT_STRTAB is in no PT_LOAD's file bytes");
}

/* What the first walk over the dynamic section finds. */
struct dyn_scan {
	bool has_strtab, has_strsz;
	uint64_t strtab, strsz;
	bool has_runpath, has_rpath, has_soname;
	uint64_t runpath, rpath, soname;
	unsigned nneeded;
};

static void get_dyn(const struct parse *p, const Elf64_Phdr *dyn, uint64_t i,
		    Elf64_Dyn *d)
{
	memcpy(d, p->buf + dyn->p_offset + i * sizeof(*d), sizeof(*d));
}

static int scan_dynamic(struct parse *p, const Elf64_Phdr *dyn,
			struct dyn_scan *s, struct elfdeps *d)
{
	uint64_t n = dyn->p_filesz / sizeof(Elf64_Dyn);

	for (uint64_t i = 0; i < n; i++) {
		Elf64_Dyn e;

		get_dyn(p, dyn, i, &e);
		switch (e.d_tag) {
		case DT_NULL:
			return 0;
		case DT_NEEDED:
			if (s->nneeded == ELFDEPS_MAX_NEEDED)
				return bad(p, -EINVAL,
					   "too many DT_NEEDED entries");
			s->nneeded++;
			break;
		case DT_STRTAB:
			s->has_strtab = true;
			s->strtab = e.d_un.d_ptr;
			break;
		case DT_STRSZ:
			s->has_strsz = true;
			s->strsz = e.d_un.d_val;
			break;
		case DT_RUNPATH:
			s->has_runpath = true;
			s->runpath = e.d_un.d_val;
			break;
		case DT_RPATH:
			s->has_rpath = true;
			s->rpath = e.d_un.d_val;
			break;
		case DT_SONAME:
			s->has_soname = true;
			s->soname = e.d_un.d_val;
			break;
		case DT_FLAGS_1:
			d->nodeflib = (e.d_un.d_val & DF_1_NODEFLIB) != 0;
			break;
		}
	}
	return 0;
}

/* The string table: its bytes in the file, bounded by DT_STRSZ. */
static int find_strtab(struct parse *p, const struct dyn_scan *s,
		       const char **base, uint64_t *size)
{
	uint64_t off, room;
	int r;

	if (!s->has_strtab)
		return bad(p, -EINVAL, "a dynamic section without DT_STRTAB");
	r = vaddr_to_offset(p, s->strtab, &off, &room);
	if (r)
		return r;
	*base = (const char *)p->buf + off;
	*size = s->has_strsz && s->strsz < room ? s->strsz : room;
	return 0;
}

static int name_at(struct parse *p, const char *base, uint64_t size,
		   uint64_t off, const char **out, const char *what)
{
	*out = get_string(base, size, off, ELFDEPS_MAX_PATH);
	if (!*out || !**out)
		return bad(p, -EINVAL, what);
	return 0;
}

static int read_dynamic(struct parse *p, const Elf64_Phdr *dyn,
			struct elfdeps *d)
{
	struct dyn_scan s = {0};
	uint64_t size, n;
	const char *base;
	int r;

	if (!in_file(p, dyn->p_offset, dyn->p_filesz))
		return bad(p, -EINVAL, "PT_DYNAMIC outside the file");
	d->dynamic = true;
	r = scan_dynamic(p, dyn, &s, d);
	if (r)
		return r;
	if (!s.nneeded && !s.has_runpath && !s.has_rpath && !s.has_soname)
		return 0;
	r = find_strtab(p, &s, &base, &size);
	if (!r && s.has_soname)
		r = name_at(p, base, size, s.soname, &d->soname,
			    "a bad DT_SONAME string");
	if (!r && s.has_runpath)
		r = name_at(p, base, size, s.runpath, &d->runpath,
			    "a bad DT_RUNPATH string");
	else if (!r && s.has_rpath)
		r = name_at(p, base, size, s.rpath, &d->rpath,
			    "a bad DT_RPATH string");
	n = dyn->p_filesz / sizeof(Elf64_Dyn);
	for (uint64_t i = 0; !r && i < n && d->nneeded < s.nneeded; i++) {
		Elf64_Dyn e;

		get_dyn(p, dyn, i, &e);
		if (e.d_tag == DT_NEEDED)
			r = name_at(p, base, size, e.d_un.d_val,
				    &d->needed[d->nneeded++],
				    "a bad DT_NEEDED string");
	}
	return r;
}

int elfdeps_parse(const void *buf, size_t len, struct elfdeps *d,
		  const char **err)
{
	struct parse p = {.buf = buf, .len = len, .err = err};
	const Elf64_Phdr *dyn = NULL;
	Elf64_Phdr dyn_copy;
	int r;

	memset(d, 0, sizeof(*d));
	r = check_header(&p);
	if (r)
		goto out_reset;
	d->type = p.eh.e_type;
	for (unsigned i = 0; i < p.eh.e_phnum; i++) {
		Elf64_Phdr ph;

		get_phdr(&p, i, &ph);
		if (ph.p_type == PT_INTERP) {
			r = read_interp(&p, &ph, d);
		} else if (ph.p_type == PT_DYNAMIC) {
			if (dyn) {
				r = bad(&p, -EINVAL, "two PT_DYNAMIC headers");
			} else {
				dyn_copy = ph;
				dyn = &dyn_copy;
			}
		}
		if (r)
			goto out_reset;
	}
	if (dyn)
		r = read_dynamic(&p, dyn, d);
	if (!r)
		return 0;
out_reset:
	memset(d, 0, sizeof(*d));
	return r;
}
