/*
 * Fuzzes the ELF parser with the input as a file (libFuzzer's buffer is
 * exactly the input's size, so ASan sees any overread). A failure must
 * be -ENOEXEC with a message. A success must describe something the
 * loader can map blindly: 1 to 16 non-empty PT_LOADs, sorted and
 * disjoint, below 2^47, congruent with their offsets, their file bytes
 * inside the input (all read here, for ASan); the entry in an executable
 * one; the interpreter path NUL-terminated inside the input.
 */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "linux/elf.h"

#define PAGE 4096ull

static void check_load(const struct elf_load *l, const uint8_t *buf, size_t len)
{
	volatile uint8_t sum = 0;
	uint64_t end;

	if (l->memsz == 0 || l->filesz > l->memsz ||
	    __builtin_add_overflow(l->offset, l->filesz, &end) || end > len ||
	    __builtin_add_overflow(l->vaddr, l->memsz, &end) ||
	    end > ELF_ADDR_LIMIT || (l->vaddr - l->offset) % PAGE ||
	    (l->prot & ~(uint32_t)7))
		abort();
	for (uint64_t i = 0; i < l->filesz; i++)
		sum += buf[l->offset + i];
}

static void check_info(const struct elf_info *info, const uint8_t *buf,
		       size_t len)
{
	bool entry_ok = false;

	if (info->nloads < 1 || info->nloads > ELF_MAX_LOADS ||
	    info->phentsize != 56 || info->phnum == 0 ||
	    info->max_align < PAGE || (info->max_align & (info->max_align - 1)))
		abort();
	for (unsigned i = 0; i < info->nloads; i++) {
		const struct elf_load *l = &info->loads[i];

		check_load(l, buf, len);
		if (i > 0 &&
		    info->loads[i - 1].vaddr + info->loads[i - 1].memsz >
			l->vaddr)
			abort();
		if (info->entry >= l->vaddr &&
		    info->entry - l->vaddr < l->memsz &&
		    (l->prot & ELF_PROT_EXEC))
			entry_ok = true;
	}
	if (!entry_ok || info->min_vaddr % PAGE || info->max_vaddr % PAGE ||
	    info->min_vaddr > info->loads[0].vaddr ||
	    info->max_vaddr < info->loads[info->nloads - 1].vaddr +
				  info->loads[info->nloads - 1].memsz ||
	    info->max_vaddr > ELF_ADDR_LIMIT)
		abort();
	if (info->tls_filesz > info->tls_memsz)
		abort();
}

static void check_interp(const char *interp, const uint8_t *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)interp;
	size_t room;

	if (!interp)
		return;
	if (p < buf || p >= buf + len)
		abort();
	room = buf + len - p;
	if (strnlen(interp, room) == room || strlen(interp) > ELF_MAX_INTERP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	const char *err = NULL;
	int r = elf_parse(data, size, &info, &err);

	if (r != 0) {
		if (r != -ENOEXEC || !err || !*err)
			abort();
		return 0;
	}
	check_info(&info, data, size);
	check_interp(info.interp, data, size);
	return 0;
}
