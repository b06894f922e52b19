/*
 * The PVH boot ABI (Xen's hvm_start_info, also used by QEMU, Firecracker
 * and cloud-hypervisor): a magic number, the command line, boot modules
 * (our initramfs), the RSDP and the memory map. It is firmware input, so
 * every address is checked to lie in the early direct map (the first GiB)
 * before we read through it.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define HVM_START_MAGIC 0x336ec578
#define EARLY_MAP_LIMIT (1ull << 30)
#define CMDLINE_MAX 4096

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static char cmdline_copy[CMDLINE_MAX];

static bool early_readable(uint64_t phys, uint64_t len)
{
	uint64_t end;

	return !add_overflows(phys, len, &end) && end <= EARLY_MAP_LIMIT;
}

static int read_cmdline(uint64_t phys)
{
	if (!phys) {
		cmdline_copy[0] = '\0';
		return 0;
	}
	if (!early_readable(phys, 1))
		return -EINVAL;
	uint64_t room = MIN((uint64_t)CMDLINE_MAX, EARLY_MAP_LIMIT - phys);
	const char *s = phys_to_virt(phys);
	size_t n = strnlen(s, room);
	if (n >= CMDLINE_MAX) {
		kprintf("osprey: the command line is longer than %d bytes\n",
			CMDLINE_MAX - 1);
		return -E2BIG;
	}
	memcpy(cmdline_copy, s, n + 1);
	return 0;
}

static int read_memmap(const struct hvm_start_info *si, struct boot_info *bi)
{
	uint64_t bytes = (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_entry);

	if (si->version < 1 || si->memmap_entries == 0) {
		kprintf("osprey: the boot loader passed no memory map\n");
		return -EINVAL;
	}
	if (si->memmap_entries > MEMMAP_MAX) {
		kprintf("osprey: memory map has %u entries, at most %d are supported\n",
			si->memmap_entries, MEMMAP_MAX);
		return -E2BIG;
	}
	if (!early_readable(si->memmap_paddr, bytes)) {
		kprintf("osprey: memory map at %lx is out of reach\n",
			si->memmap_paddr);
		return -EINVAL;
	}
	const struct hvm_memmap_entry *e = phys_to_virt(si->memmap_paddr);
	for (unsigned i = 0; i < si->memmap_entries; i++) {
		bi->memmap[i].addr = e[i].addr;
		bi->memmap[i].size = e[i].size;
		bi->memmap[i].type = e[i].type;
	}
	bi->memmap_count = si->memmap_entries;
	return 0;
}

static int read_modules(const struct hvm_start_info *si, struct boot_info *bi)
{
	if (si->nr_modules == 0)
		return 0;
	if (!early_readable(si->modlist_paddr, sizeof(struct hvm_modlist_entry))) {
		kprintf("osprey: module list at %lx is out of reach\n",
			si->modlist_paddr);
		return -EINVAL;
	}
	/* The first module is the initramfs; QEMU passes only one. */
	const struct hvm_modlist_entry *m = phys_to_virt(si->modlist_paddr);
	bi->initrd_phys = m->paddr;
	bi->initrd_size = m->size;
	return 0;
}

int pvh_parse_start_info(uint64_t phys, struct boot_info *bi)
{
	const struct hvm_start_info *si;
	int err;

	bi->cmdline = cmdline_copy;
	if (!early_readable(phys, sizeof(*si))) {
		kprintf("osprey: no PVH start info (at %lx)\n", phys);
		return -EINVAL;
	}
	si = phys_to_virt(phys);
	if (si->magic != HVM_START_MAGIC) {
		kprintf("osprey: bad PVH start info magic %x\n", si->magic);
		return -EINVAL;
	}
	err = read_cmdline(si->cmdline_paddr);
	if (!err)
		err = read_memmap(si, bi);
	if (!err)
		err = read_modules(si, bi);
	bi->rsdp_phys = si->rsdp_paddr;
	return err;
}
