/*
 * The program loader's pure half: a validating ELF parser (the file is
 * hostile) and the builder of the initial process stack. Neither touches
 * the address space; the loader in the kernel maps what elf_parse
 * describes and hands stack_build the memory of the stack it mapped.
 * Both build on the host for the unit tests and the fuzzer.
 */
#ifndef LINUX_ELF_H
#define LINUX_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ENOEXEC
#define ENOEXEC 8 /* Linux's "Exec format error" */
#endif

/* ---- ELF ---- */
#define ELF_MAX_LOADS 16
/* Longest PT_INTERP path, without its NUL (Linux: PATH_MAX - 1). */
#define ELF_MAX_INTERP 4095
/* Every PT_LOAD ends at or below this unbiased address, ET_DYN too. */
#define ELF_ADDR_LIMIT (1ull << 47)

/* elf_load.prot: the same values as PROT_* in kernel/mm/mm.h. */
#define ELF_PROT_READ 1
#define ELF_PROT_WRITE 2
#define ELF_PROT_EXEC 4

/*
 * One non-empty PT_LOAD: memsz bytes at vaddr, the first filesz of them
 * from the file at offset, the rest zero. vaddr and offset are congruent
 * modulo the page size, so file pages can be mapped as they are. Two
 * segments never overlap byte-wise but may share a page (the end of one
 * and the start of the next): the loader must give a shared page both
 * protections and must not zero the other segment's bytes in it.
 */
struct elf_load {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t prot; /* ELF_PROT_* */
};

struct elf_info {
	/* ET_DYN (a PIE or the interpreter itself): needs a load bias. */
	bool dynamic;
	/* Unbiased; inside an executable PT_LOAD. */
	uint64_t entry;
	/* The page-aligned span of the PT_LOADs, unbiased. */
	uint64_t min_vaddr, max_vaddr;
	/* The largest PT_LOAD p_align, at least the page size (Linux aligns
	 * an ET_DYN's load bias to it). */
	uint64_t max_align;
	/* At least one, sorted by vaddr. */
	unsigned nloads;
	struct elf_load loads[ELF_MAX_LOADS];
	/* Unbiased address of the program headers in memory, for AT_PHDR
	 * (PT_PHDR, else the PT_LOAD covering e_phoff), 0 if not mapped. */
	uint64_t phdr_vaddr;
	uint16_t phnum, phentsize;
	/* The PT_INTERP path inside the buffer (NUL-terminated), or NULL. */
	const char *interp;
	/* PT_GNU_STACK has PF_X; true when there is none, as Linux. */
	bool exec_stack;
	/* PT_TLS, zeros if none (libc sets up TLS; here for information). */
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;
	/* PT_GNU_STACK p_memsz, 0 if none. */
	uint64_t stack_size_hint;
};

/*
 * Validates `buf` (len bytes, any alignment) as a loadable x86-64 ELF
 * executable or shared object and fills *info. Returns 0, or -ENOEXEC with
 * *err (if err is not NULL) set to a static message naming the problem.
 * info->interp points into buf, so buf must outlive its use. PT_LOADs
 * with p_memsz 0 are checked and then left out of info->loads.
 */
int elf_parse(const void *buf, size_t len, struct elf_info *info,
	      const char **err);

/* ---- the initial process stack ---- */
/* Auxiliary vector types (Linux: include/uapi/linux/auxvec.h). */
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ 51

/* The longest argv or envp string, with its NUL (Linux: MAX_ARG_STRLEN). */
#define STACK_MAX_STRLEN (32 * 4096)

struct auxv_pair {
	uint64_t type, value;
};

struct stack_spec {
	unsigned argc;
	const char *const *argv;
	unsigned envc;
	const char *const *envp;
	const char *execfn;	 /* AT_EXECFN string; NULL: no AT_EXECFN */
	const char *platform;	 /* AT_PLATFORM string ("x86_64"); NULL: none */
	const uint8_t *random16; /* 16 bytes for AT_RANDOM; required */
	/* In Linux's order, without AT_RANDOM, AT_EXECFN, AT_PLATFORM and
	 * AT_NULL, which stack_build adds. */
	const struct auxv_pair *auxv;
	unsigned nauxv;
};

/*
 * Lays out the initial stack as Linux does (fs/binfmt_elf.c,
 * create_elf_tables; x86-64 psABI 3.4.1) in `mem`, the `size` bytes of the
 * stack region that ends (one past its highest byte) at the application
 * address `top`. From the top down:
 *
 *   8 zero bytes (Linux's end marker)
 *   the execfn string
 *   the envp strings, then below them the argv strings (each group in
 *     order, so argv[0]'s string is the lowest: the argv strings, then
 *     the envp strings, are contiguous, as /proc/PID/cmdline expects)
 *   zero padding to a multiple of 16 (Linux's arch_align_stack, without
 *     its random offset)
 *   the platform string
 *   the 16 random bytes
 *   zero padding, so that sp is 16-byte aligned
 *   the auxv pairs, ending with AT_NULL
 *   envp[envc] = NULL, envp[]
 *   argv[argc] = NULL, argv[]
 *   argc                     <- the returned sp, 16-byte aligned
 *
 * The auxv is the caller's pairs in order, with AT_RANDOM inserted before
 * the caller's AT_HWCAP2 (or after its last pair if it has none), then
 * AT_EXECFN, AT_PLATFORM, AT_NULL. Given Linux's order (AT_SYSINFO_EHDR,
 * AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR, AT_PHENT,
 * AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID,
 * AT_EGID, AT_SECURE, AT_HWCAP2), the result is Linux's order.
 *
 * Pointers written are application addresses. Returns the application
 * sp, or 0 (mem then holds anything) if it does not fit in size, a
 * string with its NUL is longer than STACK_MAX_STRLEN, argv, envp, one of
 * their strings or random16 is missing, or the caller's auxv holds a type
 * that stack_build adds itself.
 */
uint64_t stack_build(void *mem, size_t size, uint64_t top,
		     const struct stack_spec *spec);
/* How many bytes below top stack_build would write for spec (from the
 * sp it returns up to top), or 0 where it would fail: so that the caller
 * backs only those pages of the size it reserved. */
uint64_t stack_need(size_t size, uint64_t top, const struct stack_spec *spec);

#endif
