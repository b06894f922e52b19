/* Virtual address layout, shared by assembly and C. */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

/* The kernel image: -mcmodel=kernel wants it in the top 2 GiB. */
#define KERNEL_VMA 0xffffffff80000000
/* All physical memory, mapped with 1 GiB or 2 MiB pages. */
#define PHYS_MAP_BASE 0xffff800000000000
/* Device memory (LAPIC, IOAPIC, virtio BARs), uncached 4 KiB pages. */
#define MMIO_BASE 0xffffc00000000000
/* Kernel thread stacks and other virtually mapped kernel memory. */
#define VMAP_BASE 0xffffd00000000000

#ifdef __ASSEMBLER__
#define PAGE_SIZE 4096
#else
#define PAGE_SIZE 4096ul
#endif
#define PAGE_SHIFT 12

#endif
