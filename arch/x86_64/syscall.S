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
 *   +72  rbx rbp r12 r13 r14 r15   callee-saved: see below
 *   +120 rsp                        the application's rsp
 *   +128 end: sixteen slots keep the 16-byte alignment of the stack top
 *
 * The fast path calls the handler straight from syscall_entry_table with
 * the arguments still in registers (%r10 moves to %rcx, the C ABI's fourth).
 * C preserves rbx and r12-r15, so the fast path leaves them in the
 * registers and their slots unwritten (rbp is saved: it is cleared so
 * that backtraces end here). Whoever needs them in the frame gets them
 * stored first (SAVE_CALLEE), while the registers still hold the
 * application's values: the slow entry (an unknown number, or --strace)
 * before it calls C, the signal check on the way out before it delivers,
 * and clone and clone3 (sys_clone_entry, sys_clone3_entry), whose child
 * starts from a copy of the frame.
 *
 * The return is an ordinary jump, never sysret: restore RFLAGS with popfq
 * while still on the kernel stack, load the application's %rsp, jump to
 * %rcx. %rax holds the result; %rcx and %r11 hold the return address and
 * the flags, as Linux leaves them.
 */
#include "linux/syscall_abi.h"

/* rbx and r12-r15 into their slots of the frame at `off`(%rsp). */
.macro SAVE_CALLEE off
	movq %rbx, 72+\off(%rsp)
	movq %r12, 88+\off(%rsp)
	movq %r13, 96+\off(%rsp)
	movq %r14, 104+\off(%rsp)
	movq %r15, 112+\off(%rsp)
.endm

	.text
	.globl syscall_entry
syscall_entry:
	movq %rsp, %gs:16
	movq %gs:8, %rsp
	movq THREAD_KSTACK_TOP(%rsp), %rsp
	pushq %gs:16			/* rsp */
	movq %rbp, -40(%rsp)		/* +80, between rbx and r12-r15 */
	subq $48, %rsp			/* rbx, r12-r15: see SAVE_CALLEE */
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
	xorl %ebp, %ebp
	cmpq $NR_SYSCALLS, %rax
	jae .Lslow_entry
	movq %r10, %rcx
	call *syscall_entry_table(,%rax,8)
	/* sys_clone_entry knows it was called from here by this address. */
	.globl syscall_fast_return
syscall_fast_return:
	/*
	 * linux/signal.h's signal_check: -ERESTARTSYS, -ERESTART_RESTARTBLOCK,
	 * or a signal pending for the thread or the process and not
	 * blocked, goes to C.
	 */
	cmpq $ERESTARTSYS_NEG, %rax
	je .Lsignal
	cmpq $ERESTART_RESTARTBLOCK_NEG, %rax
	je .Lsignal
	movq %gs:8, %rdx
	movq THREAD_SIG(%rdx), %rdx
	testq %rdx, %rdx
	jz syscall_return		/* a kernel thread: no signals */
	movq SIGSTATE_PENDING(%rdx), %rcx
	orq proc_pending(%rip), %rcx
	movq SIGSTATE_BLOCKED(%rdx), %rdx
	notq %rdx
	testq %rdx, %rcx
	jnz .Lsignal
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
	/* rbx and r12-r15 are still in the registers */
	movq 8(%rsp), %rcx		/* rip */
	movq 16(%rsp), %r11		/* rflags */
	movq 32(%rsp), %rbp
	addq $16, %rsp
	popfq				/* from the rflags slot */
	movq 48(%rsp), %rsp		/* the application's stack */
	jmp *%rcx

/* long signal_syscall_return(struct syscall_frame *f, long ret) */
.Lsignal:
	SAVE_CALLEE 0
	movq %rsp, %rdi
	movq %rax, %rsi
	call signal_syscall_return
	jmp syscall_return

/*
 * syscall_entry_table's entry for a number without a fast handler (or
 * every number under --strace): called from the fast path, it drops the
 * return address and takes the slow entry, the registers still holding
 * the application's callee-saved values.
 */
	.globl syscall_slow_stub
syscall_slow_stub:
	addq $8, %rsp
	jmp .Lslow_entry

/* long syscall_dispatch(struct syscall_frame *f): the number and the
 * arguments are read from the frame. */
.Lslow_entry:
	SAVE_CALLEE 0
	movq %rsp, %rdi
	call syscall_dispatch
	jmp syscall_return

/*
 * clone(2)'s and clone3(2)'s table entries: the child starts from a copy
 * of the frame, so rbx and r12-r15 must be in it. Called from the fast
 * path, the frame is just above the return address; the slow entry
 * stored them already.
 */
.macro CLONE_ENTRY name
	.globl sys_\name\()_entry
sys_\name\()_entry:
	cmpq $syscall_fast_return, (%rsp)
	jne sys_\name
	SAVE_CALLEE 8
	jmp sys_\name
.endm
	CLONE_ENTRY clone
	CLONE_ENTRY clone3
	CLONE_ENTRY fork
	CLONE_ENTRY vfork

/*
 * void arch_return_to_app(struct syscall_frame *f, long rax) -- noreturn
 * Leaves through the system-call return path from a frame, callee-saved
 * registers included: a new clone child uses a copy of its parent's frame
 * with rax = 0.
 */
	.globl arch_return_to_app
arch_return_to_app:
	movq %rdi, %rsp
	movq %rsi, %rax
	movq 72(%rsp), %rbx
	movq 88(%rsp), %r12
	movq 96(%rsp), %r13
	movq 104(%rsp), %r14
	movq 112(%rsp), %r15
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
