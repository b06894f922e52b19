/*
 * The application processors' first instructions. This blob is copied to
 * physical TRAMPOLINE (0x8000) and started there by a SIPI in 16-bit real
 * mode; it goes through 32-bit protected mode to long mode with
 * temporary page tables (the kernel's upper half plus an identity map of
 * the first 2 MiB, where it runs), then jumps to ap_main(cpu) on the stack
 * smp.c left in its data. Addresses are absolute: TRAMPOLINE + offset.
 */
#define TRAMPOLINE 0x8000
#define ABS(x) (TRAMPOLINE + ((x) - smp_trampoline))

	.section .rodata
	.globl smp_trampoline, smp_trampoline_end
	.globl smp_tr_cr3, smp_tr_stack, smp_tr_entry, smp_tr_arg
	.code16
smp_trampoline:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl ABS(tr_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ABS(pm32)

	.code32
pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl ABS(smp_tr_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x901, %eax		/* LME | NXE | SCE */
	wrmsr
	movl %cr0, %eax
	orl $0x80010000, %eax		/* PG | WP */
	movl %eax, %cr0
	ljmpl $0x18, $ABS(lm64)

	.code64
lm64:
	movq ABS(smp_tr_stack), %rsp
	movq ABS(smp_tr_arg), %rdi
	movq ABS(smp_tr_entry), %rax
	xorl %ebp, %ebp
	pushq $0			/* a null return address: as if called,
					   aligned, and where backtraces end */
	jmp *%rax

	.p2align 3
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdtr:
	.word tr_gdtr - tr_gdt - 1
	.long ABS(tr_gdt)
	.p2align 3
smp_tr_cr3:
	.quad 0
smp_tr_stack:
	.quad 0
smp_tr_entry:
	.quad 0
smp_tr_arg:
	.quad 0
smp_trampoline_end:
