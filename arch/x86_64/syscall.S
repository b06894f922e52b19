/*
 * Linux system calls in ring 0.
 *
 * The application executes `syscall`; with CS already ring 0 the CPU only
 * saves RIP in %rcx and RFLAGS in %r11, masks RFLAGS with MSR_FMASK
 * (interrupts off, direction flag clear) and jumps here, still on the
 * application's stack. Nothing may be pushed there (red zone), so we park
 * %rsp in the per-CPU scratch slot and switch to the current thread's
 * kernel stack at once, with interrupts still off so no other thread can
 * reuse the slot. The frame (struct syscall_frame in linux/linux.h), lowest
 * address first:
 *
 *   +0   rdi rsi rdx r10 r8 r9     arguments 1..6 (restored on return:
 *                                   the syscall ABI preserves them)
 *   +48  rax                        the system call number
 *   +56  rcx                        the application's rip
 *   +64  r11                        the application's rflags
 *   +72  rbx rbp r12 r13 r14 r15    callee-saved: C keeps them anyway, but
 *                                   a clone child starts from this frame
 *   +120 rsp                        the application's rsp
 *   +128 end: sixteen slots keep the 16-byte alignment of the stack top
 *
 * The return is an ordinary jump, never sysret: restore RFLAGS with popfq
 * while still on the kernel stack, load the application's %rsp, jump to
 * %rcx. %rax holds the result; %rcx and %r11 hold the return address and
 * the flags, as Linux leaves them.
 */
#define THREAD_KSTACK_TOP 0

	.text
	.globl syscall_entry
syscall_entry:
	movq %rsp, %gs:16
	movq %gs:8, %rsp
	movq THREAD_KSTACK_TOP(%rsp), %rsp
	pushq %gs:16
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %rbp
	pushq %rbx
	pushq %r11
	pushq %rcx
	pushq %rax
	pushq %r9
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	sti
	movq %rsp, %rdi
	xorl %ebp, %ebp
	call syscall_dispatch
	/* Also the way into the application for a new clone child. */
	.globl syscall_return
syscall_return:
	cli
	popq %rdi
	popq %rsi
	popq %rdx
	popq %r10
	popq %r8
	popq %r9
	addq $8, %rsp			/* the number */
	popq %rcx
	popq %r11
	popq %rbx
	popq %rbp
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	pushq %r11			/* into the r15 slot, just consumed */
	popfq
	movq (%rsp), %rsp		/* the application's stack */
	jmp *%rcx

/*
 * void arch_return_to_app(struct syscall_frame *f, long rax) -- noreturn
 * Leaves through the system-call return path from a frame: a new clone
 * child uses a copy of its parent's frame with rax = 0.
 */
	.globl arch_return_to_app
arch_return_to_app:
	movq %rdi, %rsp
	movq %rsi, %rax
	jmp syscall_return

/*
 * void arch_enter_app(uint64_t entry, uint64_t sp) -- noreturn
 * Starts the application: its stack, clean registers (%rdx = 0: no
 * function for atexit, as the ELF ABI allows), interrupts on.
 */
	.globl arch_enter_app
arch_enter_app:
	movq %rsi, %rsp
	movq %rdi, %rcx
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	pushq $0x202			/* IF, and bit 1 which is always set */
	popfq
	jmp *%rcx

/*
 * void arch_return_full(const uint64_t *sc) -- noreturn
 * Returns to the application with every register from a Linux struct
 * sigcontext (r8..r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags: the
 * order below), for rt_sigreturn: unlike the system-call return path it
 * restores %rax, %rcx and %r11 too. iretq does the stack switch, so
 * nothing touches the application's stack.
 */
	.globl arch_return_full
arch_return_full:
	pushq $0x10			/* ss */
	pushq 120(%rdi)			/* rsp */
	pushq 136(%rdi)			/* rflags */
	pushq $0x08			/* cs */
	pushq 128(%rdi)			/* rip */
	movq 0(%rdi), %r8
	movq 8(%rdi), %r9
	movq 16(%rdi), %r10
	movq 24(%rdi), %r11
	movq 32(%rdi), %r12
	movq 40(%rdi), %r13
	movq 48(%rdi), %r14
	movq 56(%rdi), %r15
	movq 72(%rdi), %rsi
	movq 80(%rdi), %rbp
	movq 88(%rdi), %rbx
	movq 96(%rdi), %rdx
	movq 104(%rdi), %rax
	movq 112(%rdi), %rcx
	movq 64(%rdi), %rdi
	iretq
