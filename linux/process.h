/* Private to linux/: the one process and its threads. */
#ifndef LINUX_PROCESS_H
#define LINUX_PROCESS_H

#include <stdint.h>

#include "kernel/sync/sync.h"

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
};
extern struct process process;

uint64_t process_rlimit(int resource);
struct thread;
/* CPU time the process used, all threads (never decreasing), and one
 * thread's (an application thread held in a read section, or itself). */
uint64_t process_cpu_ns(void);
uint64_t thread_cpu_ns(struct thread *t);
/* A CPU-time clock id (clock_getcpuclockid's, pthread_getcpuclockid's):
 * 0 with *tid 0 for the process, or the thread's id; -EINVAL if it names
 * nothing of ours (linux/sys_time.c). */
int cpu_clock_decode(int clk, int *tid);
/* Application threads by Linux tid. Readers are lock-free (interrupt
 * context wakes threads for signals); a slot is cleared before its thread
 * exits, and the thread is freed a grace period after it exited, so a
 * reader that uses a thread it found does so in an RCU read section. */
int process_add_thread(struct thread *t);
void process_remove_thread(struct thread *t);
struct thread *process_find_thread(int tid);
struct thread *process_main_thread(void);
/* The first thread for which fn(t, arg) holds, or NULL; in a read
 * section (fn runs in it too). */
struct thread *process_find_thread_if(bool (*fn)(struct thread *t, void *arg),
				      void *arg);
/* The lowest tid >= from of the application's threads, or -1. */
int process_next_thread(int from);
long futex_wake(uint64_t uaddr, int n, uint32_t bitset);
/* Prints the futex buckets in use, for the state dump. */
void futex_dump(void);
/* Ends the calling application thread; the last one ends the process. */
__attribute__((noreturn)) void process_thread_exit(int status);

#endif
