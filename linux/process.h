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
};
extern struct process process;

uint64_t process_rlimit(int resource);
struct thread;
/* Application threads by Linux tid. Readers are lock-free (interrupt
 * context wakes threads for signals); a slot is cleared before its thread
 * exits, and threads are freed only well after (see sched's zombies). */
int process_add_thread(struct thread *t);
void process_remove_thread(struct thread *t);
struct thread *process_find_thread(int tid);
struct thread *process_main_thread(void);
void process_wake_all(void);
long futex_wake(uint64_t uaddr, int n, uint32_t bitset);
/* Ends the calling application thread; the last one ends the process. */
__attribute__((noreturn)) void process_thread_exit(int status);

#endif
