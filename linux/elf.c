/*
 * A validating parser for x86-64 ELF executables (System V gABI, "Object
 * Files"; x86-64 psABI 4.1). The file comes from the application's file
 * system and is hostile: every field is read with memcpy (no alignment
 * assumed), every sum is overflow-checked, nothing is read outside
 * buf[0, len), and each failure has its own message.
 *
 * What is accepted is what Linux's fs/binfmt_elf.c would load, a little
 * stricter where Linux would map garbage or crash the program later:
 * PT_LOADs must be sorted and disjoint, congruent with their file offsets,
 * and the entry point must lie in an executable one.
 */
#include "linux/elf.h"
#include "lib/lib.h"

#define PAGE 4096ull

/* ELF header (gABI "ELF Header"); 64 bytes, no padding. */
struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

/* Program header (gABI "Program Header"); 56 bytes, no padding. */
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct ehdr) == 64, "Elf64_Ehdr layout");
_Static_assert(sizeof(struct phdr) == 56, "Elf64_Phdr layout");

#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

#define ET_REL 1
#define ET_EXEC 2
#define ET_DYN 3
#define ET_CORE 4
#define EM_X86_64 62

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551

#define PF_X 1
#define PF_W 2
#define PF_R 4

/* Linux refuses program header tables over 64 KiB (elf_read_phdrs). */
#define MAX_PHDRS_SIZE 65536

static int elf_fail(const char **err, const char *msg)
{
	if (err)
		*err = msg;
	return -ENOEXEC;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* The message for a foreign machine, naming the common ones. */
static const char *machine_msg(uint16_t m)
{
	static const struct {
		uint16_t machine;
		const char *msg;
	} names[] = {
	    {2, "not x86-64: e_machine 2 (SPARC)"},
	    {3, "not x86-64: e_machine 3 (i386)"},
	    {8, "not x86-64: e_machine 8 (MIPS)"},
	    {20, "not x86-64: e_machine 20 (PowerPC)"},
	    {21, "not x86-64: e_machine 21 (PowerPC64)"},
	    {22, "not x86-64: e_machine 22 (S/390)"},
	    {40, "not x86-64: e_machine 40 (ARM)"},
	    {43, "not x86-64: e_machine 43 (SPARCv9)"},
	    {50, "not x86-64: e_machine 50 (IA-64)"},
	    {183, "not x86-64: e_machine 183 (AArch64)"},
	    {243, "not x86-64: e_machine 243 (RISC-V)"},
	    {258, "not x86-64: e_machine 258 (LoongArch)"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].machine == m)
			return names[i].msg;
	return "not x86-64: e_machine is not 62 (EM_X86_64)";
}

static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};

static int check_ehdr(const uint8_t *buf, size_t len, struct ehdr *eh,
		      const char **err)
{
	uint64_t size, end;

	if (len < sizeof(elf_magic) || memcmp(buf, elf_magic, 4))
		return elf_fail(err, "not an ELF file (bad magic)");
	if (len < sizeof(*eh))
		return elf_fail(err, "file too short for an ELF header");
	memcpy(eh, buf, sizeof(*eh));
	if (eh->ident[EI_CLASS] != ELFCLASS64)
		return elf_fail(err, "not a 64-bit ELF (EI_CLASS is not "
				     "ELFCLASS64)");
	if (eh->ident[EI_DATA] != ELFDATA2LSB)
		return elf_fail(err, "not a little-endian ELF");
	if (eh->ident[EI_VERSION] != EV_CURRENT || eh->version != EV_CURRENT)
		return elf_fail(err, "bad ELF version (not EV_CURRENT)");
	if (eh->machine != EM_X86_64)
		return elf_fail(err, machine_msg(eh->machine));
	if (eh->type == ET_REL)
		return elf_fail(err, "not an executable: a relocatable object "
				     "(ET_REL)");
	if (eh->type == ET_CORE)
		return elf_fail(err,
				"not an executable: a core dump (ET_CORE)");
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return elf_fail(err, "not an executable or shared object (bad "
				     "e_type)");
	if (eh->phentsize != sizeof(struct phdr))
		return elf_fail(err, "wrong e_phentsize (not 56)");
	if (eh->phnum == 0)
		return elf_fail(err, "no program headers");
	size = (uint64_t)eh->phnum * sizeof(struct phdr);
	if (size > MAX_PHDRS_SIZE)
		return elf_fail(err, "too many program headers (over 64 KiB)");
	if (add_overflows(eh->phoff, size, &end) || end > len)
		return elf_fail(err, "program headers lie outside the file");
	return 0;
}

/* Checks one PT_LOAD and appends it to info->loads unless it is empty. */
static int add_load(const struct phdr *ph, size_t len, struct elf_info *info,
		    const char **err)
{
	uint64_t end, align = MAX(ph->align, PAGE);
	struct elf_load *l, *prev;

	if (ph->filesz > ph->memsz)
		return elf_fail(err, "a PT_LOAD has p_filesz > p_memsz");
	if (add_overflows(ph->offset, ph->filesz, &end))
		return elf_fail(err,
				"a PT_LOAD's p_offset + p_filesz overflows");
	if (end > len)
		return elf_fail(err, "a PT_LOAD runs past the end of the file");
	if (add_overflows(ph->vaddr, ph->memsz, &end))
		return elf_fail(err, "a PT_LOAD's p_vaddr + p_memsz overflows");
	if (ph->align > 1 && !is_pow2(ph->align))
		return elf_fail(err,
				"a PT_LOAD's p_align is not a power of two");
	/* gABI: p_vaddr == p_offset modulo p_align. Below a page, the page
	 * still matters: Linux maps file pages (elf_map). */
	if ((ph->vaddr & (align - 1)) != (ph->offset & (align - 1)))
		return elf_fail(err, "a PT_LOAD's p_vaddr and p_offset differ "
				     "modulo p_align");
	if (ph->memsz == 0)
		return 0;
	if (info->nloads) {
		prev = &info->loads[info->nloads - 1];
		if (ph->vaddr < prev->vaddr)
			return elf_fail(err, "PT_LOAD segments are not sorted "
					     "by p_vaddr");
		if (ph->vaddr < prev->vaddr + prev->memsz)
			return elf_fail(err, "PT_LOAD segments overlap");
	}
	if (info->nloads == ELF_MAX_LOADS)
		return elf_fail(err, "too many PT_LOAD segments (over 16)");
	l = &info->loads[info->nloads++];
	l->vaddr = ph->vaddr;
	l->memsz = ph->memsz;
	l->offset = ph->offset;
	l->filesz = ph->filesz;
	l->prot = (ph->flags & PF_R ? ELF_PROT_READ : 0) |
		  (ph->flags & PF_W ? ELF_PROT_WRITE : 0) |
		  (ph->flags & PF_X ? ELF_PROT_EXEC : 0);
	info->max_align = MAX(info->max_align, align);
	return 0;
}

static int set_interp(const struct phdr *ph, const uint8_t *buf, size_t len,
		      struct elf_info *info, const char **err)
{
	uint64_t end;

	if (info->interp)
		return elf_fail(err, "more than one PT_INTERP");
	if (add_overflows(ph->offset, ph->filesz, &end) || end > len)
		return elf_fail(err, "PT_INTERP lies outside the file");
	/* Linux: at least one byte and the NUL, at most PATH_MAX. */
	if (ph->filesz < 2 || ph->filesz > ELF_MAX_INTERP + 1)
		return elf_fail(err, "PT_INTERP is empty or longer than 4095 "
				     "bytes");
	if (buf[end - 1] != '\0')
		return elf_fail(err, "PT_INTERP is not NUL-terminated");
	info->interp = (const char *)buf + ph->offset;
	return 0;
}

static int set_tls(const struct phdr *ph, struct elf_info *info,
		   const char **err)
{
	uint64_t end;

	if (info->tls_memsz || info->tls_align)
		return elf_fail(err, "more than one PT_TLS");
	if (ph->filesz > ph->memsz)
		return elf_fail(err, "PT_TLS has p_filesz > p_memsz");
	if (add_overflows(ph->vaddr, ph->memsz, &end))
		return elf_fail(err, "PT_TLS's p_vaddr + p_memsz overflows");
	if (ph->align > 1 && !is_pow2(ph->align))
		return elf_fail(err, "PT_TLS's p_align is not a power of two");
	info->tls_vaddr = ph->vaddr;
	info->tls_filesz = ph->filesz;
	info->tls_memsz = ph->memsz;
	info->tls_align = MAX(ph->align, 1);
	return 0;
}

static int read_phdr(const struct phdr *ph, const uint8_t *buf, size_t len,
		     struct elf_info *info, bool *have_phdr, const char **err)
{
	switch (ph->type) {
	case PT_LOAD:
		return add_load(ph, len, info, err);
	case PT_INTERP:
		return set_interp(ph, buf, len, info, err);
	case PT_TLS:
		return set_tls(ph, info, err);
	case PT_PHDR:
		info->phdr_vaddr = ph->vaddr;
		*have_phdr = true;
		return 0;
	case PT_GNU_STACK:
		info->exec_stack = ph->flags & PF_X;
		info->stack_size_hint = ph->memsz;
		return 0;
	default:
		return 0;
	}
}

/* The PT_LOAD holding [vaddr, vaddr + size) in memory, or NULL. */
static const struct elf_load *load_at(const struct elf_info *info,
				      uint64_t vaddr, uint64_t size)
{
	for (unsigned i = 0; i < info->nloads; i++) {
		const struct elf_load *l = &info->loads[i];

		if (vaddr >= l->vaddr && vaddr - l->vaddr <= l->memsz &&
		    size <= l->memsz - (vaddr - l->vaddr))
			return l;
	}
	return NULL;
}

/* Where the program headers are in memory: PT_PHDR, or the PT_LOAD
 * that holds them in the file (as Linux computes AT_PHDR). */
static int find_phdrs(const struct ehdr *eh, struct elf_info *info,
		      bool have_phdr, const char **err)
{
	uint64_t size = (uint64_t)eh->phnum * sizeof(struct phdr);

	if (have_phdr) {
		if (!load_at(info, info->phdr_vaddr, size))
			return elf_fail(err, "PT_PHDR is not inside a PT_LOAD");
		return 0;
	}
	for (unsigned i = 0; i < info->nloads; i++) {
		const struct elf_load *l = &info->loads[i];

		if (eh->phoff >= l->offset &&
		    eh->phoff - l->offset <= l->filesz &&
		    size <= l->filesz - (eh->phoff - l->offset)) {
			info->phdr_vaddr = l->vaddr + (eh->phoff - l->offset);
			return 0;
		}
	}
	return 0;
}

/* The checks that need every program header. */
static int check_whole(const struct ehdr *eh, struct elf_info *info,
		       bool have_phdr, const char **err)
{
	const struct elf_load *last;
	const struct elf_load *entry_load;
	uint64_t end;

	if (info->nloads == 0)
		return elf_fail(err, "no PT_LOAD segment");
	last = &info->loads[info->nloads - 1];
	end = last->vaddr + last->memsz; /* checked in add_load */
	/* Also for ET_DYN, so that the loader's vaddr + bias cannot wrap. */
	if (end > ELF_ADDR_LIMIT)
		return elf_fail(err, "the segments do not fit below 2^47");
	info->min_vaddr = ALIGN_DOWN(info->loads[0].vaddr, PAGE);
	info->max_vaddr = ALIGN_UP(end, PAGE);
	entry_load = load_at(info, eh->entry, 1);
	if (!entry_load || !(entry_load->prot & ELF_PROT_EXEC))
		return elf_fail(err, "the entry point is outside every "
				     "executable PT_LOAD");
	return find_phdrs(eh, info, have_phdr, err);
}

int elf_parse(const void *buf, size_t len, struct elf_info *info,
	      const char **err)
{
	const uint8_t *p = buf;
	struct ehdr eh;
	struct phdr ph;
	bool have_phdr = false;
	int r;

	memset(info, 0, sizeof(*info));
	info->exec_stack = true;
	info->max_align = PAGE;
	r = check_ehdr(p, len, &eh, err);
	if (r)
		return r;
	info->dynamic = eh.type == ET_DYN;
	info->entry = eh.entry;
	info->phnum = eh.phnum;
	info->phentsize = eh.phentsize;
	for (unsigned i = 0; i < eh.phnum; i++) {
		memcpy(&ph, p + eh.phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		r = read_phdr(&ph, p, len, info, &have_phdr, err);
		if (r)
			return r;
	}
	return check_whole(&eh, info, have_phdr, err);
}
