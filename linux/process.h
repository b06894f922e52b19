/* Private to linux/: processes and their threads (linux/process.c). */
#ifndef LINUX_PROCESS_H
#define LINUX_PROCESS_H

#include <stdint.h>

#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

struct as;
struct fd_table;
struct sigactions;
struct proc_waiter;

enum proc_state { PROC_LIVE, PROC_ZOMBIE };

struct rlimit64 {
	uint64_t cur, max;
};
#define RLIMIT_NLIMITS 16
/* Linux's defaults for a process started by init (linux/sys_proc.c). */
extern const struct rlimit64 rlimit_defaults[RLIMIT_NLIMITS];

struct process {
	int pid;	       /* the main thread's id */
	int live_threads;      /* atomic: application threads still running */
	/* the program break; under brk_lock */
	struct mutex brk_lock;
	uint64_t brk_start, brk_end, brk_limit;
	/* where the loader put the initial stack's contents (Linux's
	 * mm_struct fields, for /proc/<pid>); set before the program runs */
	uint64_t start_stack, arg_start, arg_end, env_start, env_end;
	uint64_t auxv_start, auxv_end;
	/* What its threads use (each thread holds copies of the first
	 * two: thread->as, ->files); NULL: the first process's. Set at
	 * creation; execve changes `as` and `actions` with the process
	 * down to its one caller. */
	struct as *as;
	struct fd_table *files;
	struct sigactions *actions; /* linux/signal.c */
	/* under proc_lock (linux/process.c) */
	struct process *parent;		   /* NULL: init's (reaped at exit) */
	int ppid; /* parent's pid (1: init); written under proc_lock, read
		     atomically by getppid without it */
	struct process *children, *sibling; /* its children, a list */
	int pgid, sid;
	int state;	   /* enum proc_state */
	int wstatus;	   /* once a zombie: as wait(2) reports it */
	int exit_signal;   /* sent to the parent at exit (SIGCHLD) */
	bool exiting;	   /* exit_group began: other threads are ending */
	struct proc_waiter *waiters; /* its threads sleeping in wait */
	int pdeath_signal; /* prctl(PR_SET_PDEATHSIG); 0: none */
	/* getrlimit's, copied at fork (NULL in first_process until
	 * the first setrlimit: rlimit_defaults); under rlimit_lock
	 * (linux/sys_proc.c) */
	struct rlimit64 *rlimits;
	/* its as and files were put (the last thread is leaving): /proc
	 * no longer reaches them; under proc_lock */
	bool gone;
	/* vfork: the parent's thread sleeps until the child execs or
	 * exits (atomic flag, set once) */
	struct thread *vfork_parent;
	int vfork_done;
};

/* The first process: the program the VM runs. */
extern struct process first_process;

static inline struct process *current_process(void)
{
	if (!several_as())
		return &first_process;
	struct thread *t = current_thread();
	struct process *p = t ? t->proc : NULL;

	return p ? p : &first_process;
}

static inline bool process_is_first(const struct process *p)
{
	return p == &first_process;
}

uint64_t process_rlimit(int resource);
/* A copy of the caller's limits for a child (NULL: no memory). */
struct rlimit64 *process_rlimits_fork(void);
struct thread;
/* CPU time the process used, all threads (never decreasing), and one
 * thread's (an application thread held in a read section, or itself). */
uint64_t process_cpu_ns(void);
uint64_t thread_cpu_ns(struct thread *t);
/* A CPU-time clock id (clock_getcpuclockid's, pthread_getcpuclockid's):
 * 0 with *tid 0 for the process, or the thread's id; -EINVAL if it names
 * nothing of ours (linux/sys_time.c). */
int cpu_clock_decode(int clk, int *tid);
/* Application threads by Linux tid (of every process: tids are one
 * space). Readers are lock-free (interrupt context wakes threads for
 * signals); a slot is cleared before its thread exits, and the thread is
 * freed a grace period after it exited, so a reader that uses a thread
 * it found does so in an RCU read section. */
int process_add_thread(struct thread *t);
void process_remove_thread(struct thread *t);
struct thread *process_find_thread(int tid);
struct thread *process_main_thread(void);
/* The first thread of the caller's process for which fn(t, arg) holds,
 * or NULL; in a read section (fn runs in it too). */
struct thread *process_find_thread_if(bool (*fn)(struct thread *t, void *arg),
				      void *arg);
/* The lowest tid >= from of the caller's process's threads, or -1; of
 * process pid's threads. */
int process_next_thread(int from);
int process_next_thread_in(int pid, int from);
long futex_wake(uint64_t uaddr, int n, uint32_t bitset);
/* Prints the futex buckets in use, for the state dump. */
void futex_dump(void);
/* Ends the calling application thread; the last one ends the process. */
__attribute__((noreturn)) void process_thread_exit(int status);
/*
 * Ends the caller's process with a wait status (exit code << 8, or the
 * signal number): the first process's ends the VM (status 128 + signal
 * for a signal); another becomes a zombie for its parent.
 */
__attribute__((noreturn)) void process_exit_group(int wstatus);

/* ---- several processes (linux/process.c) ---- */
/* A child of the caller's process whose first thread is `t` (not yet
 * started): as and files as given (references taken over), the rest
 * copied from the parent. 0 or -EAGAIN (too many processes). */
int process_create(struct thread *t, struct as *as, struct fd_table *files,
		   int exit_signal);
/* Waits (WNOHANG: not) for a child that `pid` selects as wait4 does; 0
 * (WNOHANG, nothing yet), the child's pid with *wstatus, or -ECHILD,
 * -EINTR. WNOWAIT leaves the zombie. */
long process_wait(int idtype, int id, int options, int *wstatus);
/* The parent's pid as getppid reports it (1 for init's children). */
int process_ppid(void);
/* vfork: the parent waits until its child execs or exits. */
void process_vfork_wait(struct process *child);
void process_vfork_release(void);
/* Process groups and sessions. */
int process_setpgid(int pid, int pgid);
int process_getpgid(int pid);
int process_getsid(int pid);
int process_setsid(void);
/* kill(2) with a pid other than the caller's: 0, -ESRCH, or -EPERM
 * (info SI_USER, none the caller may signal: cred_may_signal). */
struct ksiginfo;
int process_kill(int pid, int sig, const struct ksiginfo *info);
/* A live thread of p, its main one first; NULL if none. Under the
 * signal lock or in a read section. */
struct thread *process_any_thread(struct process *p);
/* The first live thread of p for which fn(t, arg) holds, or NULL; in a
 * read section. */
struct thread *process_thread_if(struct process *p,
				 bool (*fn)(struct thread *t, void *arg),
				 void *arg);
struct process *process_find(int pid); /* under proc_lock */
/* The lowest pid >= from of a process, live or zombie, or -1. */
int process_next_pid(int from);
/* A copy of process pid's fields (its pointers only to compare, never
 * to follow): 0, or -ESRCH. */
int process_snapshot(int pid, struct process *out);
/* execve: the process keeps only its calling thread. */
void process_end_other_threads(void);
/* execve: the caller's process now uses `as` (the old one is the
 * caller's to put). */
void process_set_as(struct as *as);
/* For /proc/<pid>: process pid's address space with a reference (NULL:
 * the first's) and a copy of its fields; -ESRCH when there is no such
 * process or it is a zombie. The caller puts the reference (as_put). */
int process_hold_as(int pid, struct process *copy, struct as **as);

#endif
