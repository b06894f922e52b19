/*
 * pvh-probe: the smallest PVH kernel, for the boot benchmark. Its first
 * instruction reads the TSC; it prints "pvh-entry tsc=<ticks>" on the
 * serial port and leaves through isa-debug-exit (QEMU exit code 1).
 *
 * The figure is what the firmware (qboot on microvm) costs from reset to a
 * kernel's PVH entry point, in the same TSC the kernels read. QEMU places
 * the ELF's segments in guest memory itself before the VM starts, so the
 * figure hardly depends on the kernel's size: bench/boot.sh subtracts it
 * from the TSC that the Linux guest's /init reads at its first instruction,
 * which gives Linux's cost from kernel entry to init, comparable with
 * Osprey's bootchart (kernel entry to osprey-ready).
 *
 * It runs as PVH enters: 32-bit protected mode, paging off, no stack (it
 * sets up its own small one).
 */
	.section .note.Xen, "a"
	.p2align 2
	.long 4			/* name size: "Xen\0" */
	.long 4			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	rdtsc
	cli
	cld
	movl $stack_top, %esp
	movl %edx, %esi			/* %esi:%edi = the TSC */
	movl %eax, %edi
	movl $10, %ecx
	movl $digits_end, %ebx
1:	/* one decimal digit of %esi:%edi, by two 32-bit divisions */
	xorl %edx, %edx
	movl %esi, %eax
	divl %ecx
	movl %eax, %esi
	movl %edi, %eax
	divl %ecx
	movl %eax, %edi
	addb $'0', %dl
	decl %ebx
	movb %dl, (%ebx)
	movl %esi, %eax
	orl %edi, %eax
	jnz 1b

	movl $prefix, %esi
	movl $prefix_end - prefix, %ecx
	call put
	movl %ebx, %esi
	movl $digits_end + 1, %ecx	/* the digits and the newline */
	subl %ebx, %ecx
	call put

	movw $0xf4, %dx			/* isa-debug-exit: status 0, QEMU exits 1 */
	xorl %eax, %eax
	outl %eax, %dx
2:	hlt
	jmp 2b

/* put: %ecx bytes from %esi to COM1 (QEMU needs no UART set-up). */
put:
	movw $0x3f8, %dx
3:	lodsb
	outb %al, %dx
	loop 3b
	ret

	.data
prefix:
	.ascii "pvh-entry tsc="
prefix_end:
	.fill 24, 1, 0
digits_end:
	.byte '\n'

	.bss
	.p2align 4
	.skip 256
stack_top:
