/*
 * PVH entry. QEMU (pc, q35, microvm), Firecracker and cloud-hypervisor jump
 * to the address in the XEN_ELFNOTE_PHYS32_ENTRY note in 32-bit protected
 * mode, paging off, with %ebx holding the physical address of struct
 * hvm_start_info. We build nothing at run time here: the early page tables
 * are static and map the first 1 GiB three times (identity, for the switch;
 * the direct map at PHYS_MAP_BASE; the kernel image at KERNEL_VMA), enough
 * to reach C. mm_init replaces them with the real tables.
 */
#include "arch/x86_64/layout.h"

#define PHYS(x) ((x) - KERNEL_VMA)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	.section .note.Xen, "a"
	.p2align 2
	.long 4			/* name size: "Xen\0" */
	.long 4			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	/* The TSC at entry anchors the bootchart; %ebx survives rdtsc. */
	rdtsc
	movl %eax, PHYS(boot_entry_tsc)
	movl %edx, PHYS(boot_entry_tsc) + 4
	movl %ebx, PHYS(boot_start_info)

	movl $PHYS(early_pml4), %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x900, %eax		/* LME | NXE */
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax		/* PG | WP | PE */
	movl %eax, %cr0
	lgdt early_gdtr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $kernel_entry64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.p2align 4
early_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
early_gdtr:
	.word early_gdtr - early_gdt - 1
	.long early_gdt

	.section .data
	.p2align 12
early_pml4:
	.quad PHYS(early_pdpt_low) + PTE_P + PTE_W
	.fill 255, 8, 0
	.quad PHYS(early_pdpt_low) + PTE_P + PTE_W	/* PHYS_MAP_BASE */
	.fill 254, 8, 0
	.quad PHYS(early_pdpt_high) + PTE_P + PTE_W	/* KERNEL_VMA */
early_pdpt_low:
	.quad PHYS(early_pd) + PTE_P + PTE_W
	.fill 511, 8, 0
early_pdpt_high:
	.fill 510, 8, 0
	.quad PHYS(early_pd) + PTE_P + PTE_W
	.quad 0
early_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS
	.set i, i + 1
	.endr

	.globl boot_entry_tsc, boot_start_info
	.p2align 3
boot_entry_tsc:
	.quad 0
boot_start_info:
	.quad 0

	.section .text.entry, "ax"
kernel_entry64:
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	movl boot_start_info(%rip), %edi
	call kernel_main
1:	hlt
	jmp 1b

	.section .bss
	.p2align 12
	.globl boot_stack, boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:
