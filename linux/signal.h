/* Private to linux/: signals (linux/signal.c). */
#ifndef LINUX_SIGNAL_H
#define LINUX_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/sched/sched.h"
#include "linux/linux.h"

static inline struct sigstate *current_thread_sig(void)
{
	return current_thread()->sig;
}

#define NSIG 64
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGALRM 14
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGURG 23
#define SIGWINCH 28
/* A sleeping system call saw a signal; restarted under SA_RESTART. */
#define ERESTARTSYS 512
/*
 * A timed sleep saw a signal (Linux's ERESTART_RESTARTBLOCK): -EINTR if a
 * handler runs; if none does (another thread took the signal), the call
 * goes on through restart_syscall(2), which runs the thread's restart
 * block, so the wait keeps its original deadline.
 */
#define ERESTART_RESTARTBLOCK 516
#define SYS_RESTART_SYSCALL 219
struct restart_block {
	long (*fn)(struct restart_block *rb);
	uint64_t arg[4];
};
/* The calling thread's restart block, to fill before returning
 * -ERESTART_RESTARTBLOCK. */
struct restart_block *signal_restart_block(void);

#define SI_KERNEL 0x80 /* si_code of signals the kernel sends */

/* Linux's siginfo_t, as far as we fill it: 128 bytes. */
struct ksiginfo {
	int32_t signo, errno_, code, pad;
	uint64_t addr; /* si_addr, or si_pid (low) and si_uid (high) */
	uint64_t rest[12];
};

struct thread;
int signal_thread_init(struct thread *t, uint64_t blocked);
uint64_t signal_blocked_mask(void); /* the calling thread's */
void signal_thread_exit(struct thread *t);
/* Interrupt-safe. */
void signal_send_process(int sig, const struct ksiginfo *info);
/* To process p (thread context): the first's as signal_send_process,
 * another's to one of its threads. */
struct process;
void signal_send_to(struct process *p, int sig, const struct ksiginfo *info);
/* Per-process dispositions (fork, execve, wait's SIGCHLD rules). */
struct sigactions;
struct sigactions *signal_actions_fork(void);
void signal_actions_free(struct sigactions *a);
void signal_exec_reset(void);
bool signal_no_zombies(const struct process *p);
void signal_send_thread(struct thread *t, int sig, const struct ksiginfo *info);
/* Sleeps until a signal is deliverable (true) or the monotonic deadline
 * passes (false; 0: none). */
bool sleep_for_signal(uint64_t deadline);
/* The first fields of a thread's signal state, for the inline check. */
struct sigstate_head {
	uint64_t blocked;
	uint64_t pending; /* atomic */
};
extern uint64_t proc_pending; /* atomic */

long signal_syscall_return(struct syscall_frame *f, long ret);
/* Sends to the thread with this id, as tgkill does (under sig_lock);
 * false if there is none. Thread context. */
bool signal_send_tid(int tid, int sig, const struct ksiginfo *info);
/* A timer's signal (si_code SI_TIMER) is being taken: its overruns go
 * into *info (linux/sys_timer.c). */
void posix_timer_delivered(struct ksiginfo *info);
/* Whether a signal pending for the thread or the process is one the
 * calling thread is to take (a process-directed one is aimed at one
 * thread: linux/signal.c). The inline check below says only maybe. */
bool signal_pending_here(void);

/* The signals, thread's or process's, that s's thread does not block;
 * none without signal state (a kernel thread). */
static inline uint64_t signal_deliverable(const void *sig)
{
	const struct sigstate_head *s = sig;

	if (!s)
		return 0;
	return (__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE) |
		__atomic_load_n(&proc_pending, __ATOMIC_ACQUIRE)) &
	       ~s->blocked;
}

/*
 * Whether the calling application thread has a deliverable signal:
 * sleeping system calls stop with -EINTR (or -ERESTARTSYS). Inline: a
 * futex wait asks before and after every sleep.
 */
static inline bool signal_pending(void)
{
	const struct thread *t = current_thread();

	return (t->flags & THREAD_APP) && signal_deliverable(t->sig) &&
	       signal_pending_here();
}

/* On the way out of every system call: the common case is two loads. */
static inline long signal_check(struct syscall_frame *f, long ret)
{
	if (__builtin_expect(ret != -ERESTARTSYS &&
				     ret != -ERESTART_RESTARTBLOCK &&
				     !signal_deliverable(current_thread_sig()),
			     1))
		return ret;
	return signal_syscall_return(f, ret);
}
/*
 * signalfd (linux/signalfd.c): signal_dequeue takes the lowest signal of
 * `set` pending for the calling thread or the process (0: none), with
 * info->signo set; signal_pending_set is what is pending for the calling
 * thread or the process, blocked or not. Every send calls
 * signalfd_notify after setting the pending bit; it is interrupt-safe.
 */
int signal_dequeue(uint64_t set, struct ksiginfo *info);
uint64_t signal_pending_set(void);
void signalfd_notify(void);

/* A synchronous fault in application code. */
void signal_fault(struct irq_frame *f, int sig, int code, uint64_t addr);

#endif
