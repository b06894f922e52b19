/*
 * Copies to and from application memory. The application shares ring 0
 * and the page table, so an access to its memory either succeeds, faults
 * into demand paging (resolved, the instruction restarts), or faults for
 * good; for the last case the page-fault path looks up the faulting %rip
 * in arch_usercopy_fixup() and resumes at user_fault, which returns
 * -EFAULT. The caller has checked that the range lies in the lower half.
 */
	.text
/* long arch_user_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
	.globl arch_user_copy
arch_user_copy:
	movq %rdx, %rcx			/* quadwords first: see lib/string.c */
	shrq $3, %rcx
user_copy_insn:
	rep movsq
	movq %rdx, %rcx
	andq $7, %rcx
user_copy_tail_insn:
	rep movsb
	xorl %eax, %eax
	ret

/*
 * long arch_user_strncpy(char *dst, const char *src, size_t max):
 * the length without the NUL, max when there is no NUL within max bytes,
 * or -EFAULT.
 */
	.globl arch_user_strncpy
arch_user_strncpy:
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	je 2f
user_strncpy_load:
	movb (%rsi,%rax), %cl
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	jz 2f
	incq %rax
	jmp 1b
2:	ret

/*
 * long arch_user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new,
 *                          uint32_t *found): one locked compare-exchange on
 * application memory (futexes); *found gets the value that was there.
 * 0 or -EFAULT.
 */
	.globl arch_user_cmpxchg32
arch_user_cmpxchg32:
	movl %esi, %eax
user_cmpxchg_insn:
	lock cmpxchgl %edx, (%rdi)
	movl %eax, (%rcx)
	xorl %eax, %eax
	ret

/*
 * long arch_user_load32(const uint32_t *uaddr): the aligned word,
 * zero-extended, or -EFAULT. One load instead of a copy through memory:
 * FUTEX_WAIT reads its word with it at every wait.
 */
	.globl arch_user_load32
arch_user_load32:
user_load32_insn:
	movl (%rdi), %eax
	ret

user_fault:
	movq $-14, %rax			/* -EFAULT */
	ret

/* The instructions above that may fault on application memory. */
	.section .rodata
	.p2align 3
user_access_insns:
	.quad user_copy_insn, user_copy_tail_insn, user_strncpy_load
	.quad user_cmpxchg_insn
	.quad user_load32_insn
user_access_insns_end:
	.text

/* uint64_t arch_usercopy_fixup(uint64_t rip): where to resume, or 0. */
	.globl arch_usercopy_fixup
arch_usercopy_fixup:
	leaq user_access_insns(%rip), %rdx
	leaq user_access_insns_end(%rip), %rcx
1:	cmpq %rcx, %rdx
	je 2f
	cmpq (%rdx), %rdi
	je 3f
	addq $8, %rdx
	jmp 1b
2:	xorl %eax, %eax
	ret
3:	leaq user_fault(%rip), %rax
	ret
