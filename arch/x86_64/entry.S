/*
 * Interrupt and exception entry.
 *
 * Every vector runs on an IST stack: the application runs in ring 0 and
 * uses the 128-byte red zone below its stack pointer, so the CPU must never
 * push a frame onto the interrupted stack. Vectors 2 (NMI), 8 (#DF) and
 * 18 (#MC) have IST stacks of their own and stay there; they never sleep.
 * All others share IST1, and the common stub moves the frame off IST1 at
 * once, before anything can nest or sleep:
 *
 *   - onto the interrupted stack itself, below the interrupted %rsp, when
 *     that lies inside the current thread's kernel stack (kernel C has no
 *     red zone, so nothing below %rsp is live);
 *   - else to the top of the current thread's kernel stack (the
 *     interrupted code was the application, on its own stack);
 *   - it stays on IST1 only before the scheduler made a current thread, or
 *     when the interrupted %rsp is in the guard page below the kernel
 *     stack (a kernel stack overflow, which is fatal anyway).
 *
 * The frame, lowest address first (struct irq_frame in arch.h):
 *
 *   +0    r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
 *   +120  vector
 *   +128  error code (0 when the CPU pushes none)
 *   +136  rip cs rflags rsp ss        <- pushed by the CPU
 *   +176  end
 *
 * 176 is a multiple of 16, so a frame placed at a 16-byte aligned address
 * leaves %rsp aligned for the C call.
 */
#define FRAME_SIZE 176
#define FRAME_RSP 160
#define THREAD_KSTACK_TOP 0	/* offsets in struct thread */
#define THREAD_KSTACK_BOTTOM 8
#define GUARD_SIZE 4096

	.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro RESTORE_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

	.text
	/*
	 * One 16-byte stub per vector: push a zero where the CPU pushes no
	 * error code, push the vector, go to the common path.
	 */
	.globl irq_stubs
	.p2align 4
irq_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	.if (vec == 2) || (vec == 8) || (vec == 18)
	jmp irq_common_ist
	.else
	jmp irq_common
	.endif
	.set vec, vec + 1
	.endr

irq_common:
	SAVE_REGS
	cld
	movq %gs:8, %rax		/* current thread */
	testq %rax, %rax
	jz 2f
	movq FRAME_RSP(%rsp), %rdx	/* interrupted rsp */
	movq THREAD_KSTACK_BOTTOM(%rax), %rcx
	movq THREAD_KSTACK_TOP(%rax), %rdi
	movq %rdx, %rsi
	subq %rcx, %rsi			/* rsi = irsp - bottom */
	movq %rdi, %r8
	subq %rcx, %r8			/* r8 = stack size */
	cmpq %r8, %rsi
	jae 1f
	andq $-16, %rdx			/* on the kernel stack: below irsp */
	movq %rdx, %rdi
	jmp 3f
1:	movq %rcx, %rsi
	subq %rdx, %rsi			/* rsi = bottom - irsp */
	cmpq $GUARD_SIZE, %rsi
	jbe 2f				/* overflowed into the guard page */
3:	subq $FRAME_SIZE, %rdi		/* rdi = new frame */
	movq %rsp, %rsi
	movl $FRAME_SIZE / 8, %ecx
	rep movsq
	leaq -FRAME_SIZE(%rdi), %rsp
2:	movq %rsp, %rdi
	xorl %ebp, %ebp
	call irq_dispatch
	RESTORE_REGS
	addq $16, %rsp
	iretq

irq_common_ist:
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call irq_dispatch
	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * void *arch_switch_stack(uint64_t *save_rsp, uint64_t load_rsp, void *pass)
 *
 * Returns `pass` on the new stack: the switching side hands the resumed
 * one something it knows about the CPU they share now (sched passes its
 * per-CPU state, which the resumed thread would otherwise look up again).
 *
 * The outgoing side's frame after the pushes, lowest address first:
 *   r15 r14 r13 r12 rbx rbp <return address>
 * A new thread's stack is prepared in the same shape by sched, with the
 * return address pointing at its start trampoline.
 */
	.globl arch_switch_stack
arch_switch_stack:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	movq %rdx, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * A new thread's first instructions: arch_switch_stack "returns" here with
 * the thread in %r12 (see sched's thread_create), and we call into C with
 * the stack aligned as the ABI wants.
 */
	.globl thread_trampoline
thread_trampoline:
	movq %r12, %rdi
	xorl %ebp, %ebp
	call thread_main
	ud2
