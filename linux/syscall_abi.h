/*
 * Constants shared by the system-call entry (arch/x86_64/syscall.S) and
 * the C side (linux/syscall.c checks them against the structures at
 * compile time).
 */
#ifndef LINUX_SYSCALL_ABI_H
#define LINUX_SYSCALL_ABI_H

#define NR_SYSCALLS 512
#define SYSCALL_FRAME_SIZE 128	 /* struct syscall_frame */
#define THREAD_KSTACK_TOP 0	 /* struct thread: kstack_top */
#define THREAD_SIG 16		 /* struct thread: sig */
#define SIGSTATE_BLOCKED 0	 /* struct sigstate_head: blocked */
#define SIGSTATE_PENDING 8	 /* struct sigstate_head: pending */
#define ERESTARTSYS_NEG (-512)	 /* -ERESTARTSYS */
#define ERESTART_RESTARTBLOCK_NEG (-516) /* -ERESTART_RESTARTBLOCK */

#endif
