/*
 * Processes: the table of application threads (every process's: Linux
 * thread ids are one space), and, for a program that forks, the tree of
 * processes with their zombies, wait, process groups and sessions.
 *
 * The first process (the program the VM runs) is `first_process`, whose
 * threads have thread->proc NULL and whose address space, descriptor
 * table and dispositions are the kernel's first ones: a program that
 * never forks never allocates or switches anything here, and does not
 * even ask: until the first fork or execve sets the scheduler's flag
 * (several_as(), kernel/sched/sched.h) the context switch, futex keys,
 * the fd table, the address space and current_process() take the first
 * process's without a look at the thread, and getppid's entry is a
 * variant that answers 1 (syscall_several_processes puts the general one
 * back at the first fork).
 *
 * Ownership and order of events:
 *  - The tree (parent, children, sibling), each process's state, wstatus,
 *    pgid, sid and waiters are under proc_lock, a leaf but for the
 *    signal lock (proc_lock, then sig_lock: SIGCHLD is sent under it).
 *  - A process's address space and descriptor table are referenced by
 *    the process (p->as, p->files) and copied into each of its threads
 *    (thread->as, ->files) before the thread starts. A thread that ends
 *    first switches to the first address space (sched_switch_as), then
 *    drops its count in live_threads; the one that drops it to zero puts
 *    the address space (as_put may free it only when no CPU runs on it:
 *    every thread of the process has left it by then) and the table,
 *    then becomes a zombie and is reaped by its parent's wait, or at once
 *    when the parent is init's or ignores SIGCHLD. After the zombie is
 *    published (under proc_lock) the thread no longer touches the
 *    process: thread->proc is cleared first.
 *  - Orphans go to init (parent NULL): getppid says 1, and they are
 *    reaped as they exit.
 *  - /proc/<pid> reaches another process's address space and table
 *    under proc_lock (a reference to the first, the second used while
 *    the lock is held) until `gone`, set under it before either is put;
 *    execve swaps p->as under it too.
 *  - vfork: the parent's calling thread sleeps on child->vfork_done,
 *    which the child sets (thread_wake_flag) when it execs or exits.
 */
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SI_USER 0 /* Linux: kill(2)'s si_code */

struct process first_process = {.brk_lock = MUTEX_INIT, .state = PROC_LIVE,
				.ppid = 1};
static struct mutex proc_lock = MUTEX_INIT;
/* Processes besides the first, live or zombie (under proc_lock). */
#define MAX_PROCS 512
static unsigned nprocs;

static struct process *proc_of(struct process *p);

static bool mine(const struct thread *t)
{
	return (t->proc ? t->proc : &first_process) == current_process();
}

/* ---- the thread table ---- */
#define MAX_APP_THREADS 4096
static struct thread *app_threads[MAX_APP_THREADS]; /* atomic slots */
/* One past the highest slot ever used: the CPU clock's scans stop there. */
static unsigned app_threads_end; /* atomic */
/* The CPU time of the threads that left the table (TSC ticks; atomic). */
static uint64_t exited_runtime_tsc;


int process_add_thread(struct thread *t)
{
	for (unsigned i = 0; i < MAX_APP_THREADS; i++) {
		struct thread *none = NULL;

		if (__atomic_compare_exchange_n(&app_threads[i], &none, t, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			t->app_slot = (int)i;
			unsigned end = __atomic_load_n(&app_threads_end,
						       __ATOMIC_RELAXED);
			while (end <= i &&
			       !__atomic_compare_exchange_n(
				   &app_threads_end, &end, i + 1, false,
				   __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				;
			return 0;
		}
	}
	return -EAGAIN;
}

/* The CPU time thread t has used, its current stretch included; t is an
 * application thread the caller holds in a read section, or itself. */
uint64_t thread_cpu_ns(struct thread *t)
{
	uint64_t ran = __atomic_load_n(&t->runtime_tsc, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
		uint64_t since = __atomic_load_n(&t->switched_in_tsc,
						 __ATOMIC_RELAXED);
		uint64_t now = rdtsc();

		ran += now > since ? now - since : 0;
	}
	return tsc_to_ns(ran);
}

/*
 * CLOCK_PROCESS_CPUTIME_ID: the threads that ran and left, plus every
 * live thread's time. A thread switching out while it is read may count
 * its last stretch twice for a moment; the clock never goes back (the
 * largest value read so far is the least it answers).
 */
uint64_t process_cpu_ns(void)
{
	static uint64_t last; /* atomic */
	uint64_t ns = tsc_to_ns(__atomic_load_n(&exited_runtime_tsc,
					       __ATOMIC_ACQUIRE));
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);

	rcu_read_lock();
	for (unsigned i = 0; i < end; i++) {
		struct thread *t =
		    __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);

		if (t && mine(t))
			ns += thread_cpu_ns(t);
	}
	rcu_read_unlock();
	uint64_t seen = __atomic_load_n(&last, __ATOMIC_RELAXED);
	while (ns > seen && !__atomic_compare_exchange_n(
				&last, &seen, ns, false, __ATOMIC_RELAXED,
				__ATOMIC_RELAXED))
		;
	return ns > seen ? ns : seen;
}

void process_remove_thread(struct thread *t)
{
	int i = t->app_slot;

	if (i >= 0 && i < MAX_APP_THREADS &&
	    __atomic_load_n(&app_threads[i], __ATOMIC_RELAXED) == t) {
		/* Its time moves to the exited total as it leaves the table:
		 * a reader may count it twice for a moment, never not at all. */
		__atomic_fetch_add(&exited_runtime_tsc, t->runtime_tsc,
				   __ATOMIC_RELEASE);
		__atomic_store_n(&app_threads[i], NULL, __ATOMIC_RELEASE);
	}
	t->app_slot = -1;
}

struct thread *process_find_thread(int tid)
{
	for (unsigned i = 0; i < MAX_APP_THREADS; i++) {
		struct thread *t = __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);

		if (t && t->app_tid == tid)
			return t;
	}
	return NULL;
}

struct thread *process_find_thread_if(bool (*fn)(struct thread *t, void *arg),
				      void *arg)
{
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < end; i++) {
		struct thread *t =
		    __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);

		if (t && mine(t) && fn(t, arg))
			return t;
	}
	return NULL;
}

struct thread *process_main_thread(void)
{
	return process_find_thread(current_process()->pid);
}

int process_next_thread(int from)
{
	return process_next_thread_in(current_process()->pid, from);
}

int process_next_thread_in(int pid, int from)
{
	int best = -1;

	rcu_read_lock();
	for (unsigned i = 0; i < MAX_APP_THREADS; i++) {
		struct thread *t =
		    __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);
		struct process *p = t ? proc_of(t->proc) : NULL;

		if (p && p->pid == pid && t->app_tid >= from &&
		    (best < 0 || t->app_tid < best))
			best = t->app_tid;
	}
	rcu_read_unlock();
	return best;
}

/* For the scheduler's state dump (NMI): lock-free, like the readers above. */
static void dump_app_threads(void)
{
	for (unsigned i = 0; i < MAX_APP_THREADS; i++) {
		struct thread *t = __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);

		if (t) {
			kprintf("app %d ", t->app_tid);
			thread_dump(t);
		}
	}
	futex_dump();
}

static int app_threads_init(void)
{
	sched_add_dump_hook(dump_app_threads);
	return 0;
}
INIT_STEP(57, app_threads_init);


/* ---- the tree of processes (under proc_lock) ---- */
struct proc_waiter {
	struct proc_waiter *next;
	struct thread *thread;
	int woken; /* atomic */
};

struct thread *process_any_thread(struct process *p)
{
	struct thread *t = process_find_thread(p->pid);

	if (t && t->proc == p)
		return t;
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < end; i++) {
		t = __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);
		if (t && t->proc == p)
			return t;
	}
	return NULL;
}

struct thread *process_thread_if(struct process *p,
				 bool (*fn)(struct thread *t, void *arg),
				 void *arg)
{
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < end; i++) {
		struct thread *t =
		    __atomic_load_n(&app_threads[i], __ATOMIC_ACQUIRE);

		if (t && t->proc == p && fn(t, arg))
			return t;
	}
	return NULL;
}

static struct process *proc_of(struct process *p)
{
	return p ? p : &first_process;
}

int process_create(struct thread *t, struct as *as, struct fd_table *files,
		   int exit_signal)
{
	struct process *parent = current_process();
	struct process *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->actions = signal_actions_fork();
	p->rlimits = process_rlimits_fork();
	if (!p->actions || !p->rlimits) {
		signal_actions_free(p->actions);
		free(p->rlimits);
		free(p);
		return -ENOMEM;
	}
	mutex_init(&p->brk_lock);
	p->pid = t->tid;
	p->live_threads = 1;
	p->as = as;
	p->files = files;
	p->exit_signal = exit_signal;
	mutex_lock(&parent->brk_lock);
	p->brk_start = parent->brk_start;
	p->brk_end = parent->brk_end;
	p->brk_limit = parent->brk_limit;
	mutex_unlock(&parent->brk_lock);
	p->start_stack = parent->start_stack;
	p->arg_start = parent->arg_start;
	p->arg_end = parent->arg_end;
	p->env_start = parent->env_start;
	p->env_end = parent->env_end;
	p->auxv_start = parent->auxv_start;
	p->auxv_end = parent->auxv_end;
	mutex_lock(&proc_lock);
	if (nprocs >= MAX_PROCS || nprocs >= process_rlimit(6 /* NPROC */)) {
		mutex_unlock(&proc_lock);
		signal_actions_free(p->actions);
		free(p->rlimits);
		free(p);
		return -EAGAIN;
	}
	nprocs++;
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	p->parent = parent;
	p->ppid = parent->pid;
	p->sibling = parent->children;
	parent->children = p;
	mutex_unlock(&proc_lock);
	sched_several_as_begin(); /* before t can run */
	syscall_several_processes();
	t->proc = p;
	t->as = as;
	t->files = files;
	return 0;
}

int process_ppid(void)
{
	return __atomic_load_n(&current_process()->ppid, __ATOMIC_RELAXED);
}

/* Under proc_lock: takes p out of its parent's list. */
static void unlink_child(struct process *p)
{
	struct process **pp = &p->parent->children;

	while (*pp != p)
		pp = &(*pp)->sibling;
	*pp = p->sibling;
}

/* Under proc_lock: a reaped zombie goes. */
static void release(struct process *p)
{
	if (p->parent)
		unlink_child(p);
	signal_actions_free(p->actions);
	free(p->rlimits);
	nprocs--;
	free(p);
}

/* Under proc_lock: p's children go to init; its zombies are reaped,
 * the live ones that asked (PR_SET_PDEATHSIG) get their signal. */
static void reparent_children(struct process *p)
{
	while (p->children) {
		struct process *c = p->children;
		int sig = __atomic_load_n(&c->pdeath_signal, __ATOMIC_RELAXED);

		p->children = c->sibling;
		c->parent = NULL;
		__atomic_store_n(&c->ppid, 1, __ATOMIC_RELAXED);
		if (c->state == PROC_ZOMBIE) {
			release(c);
		} else if (sig) {
			struct ksiginfo info = {.signo = sig, .code = 0 /* SI_USER */,
						.addr = (uint32_t)p->pid};

			signal_send_to(c, sig, &info);
		}
	}
}

static void wake_waiters(struct process *p)
{
	for (struct proc_waiter *w = p->waiters; w; w = w->next)
		thread_wake_flag(&w->woken, w->thread);
}

/* The siginfo of SIGCHLD and waitid: Linux's CLD_* code and status. */
static void child_info(const struct process *c, struct ksiginfo *info)
{
	int ws = c->wstatus;

	memset(info, 0, sizeof(*info));
	info->signo = SIGCHLD;
	info->code = (ws & 0x7f) ? ((ws & 0x80) ? 3 : 2) : 1;
	info->addr = (uint32_t)c->pid;
	info->rest[0] = (uint32_t)((ws & 0x7f) ? (ws & 0x7f) : (ws >> 8) & 0xff);
}

/* The last thread of a process other than the first: it becomes a
 * zombie (see the protocol above). */
static __attribute__((noreturn)) void finish(struct process *p, int wstatus)
{
	struct thread *t = current_thread();
	struct ksiginfo info;

	process_vfork_release();
	mutex_lock(&proc_lock);
	p->gone = true; /* /proc takes no more references */
	mutex_unlock(&proc_lock);
	as_put(p->as);
	t->files = NULL;
	fd_table_put(p->files);
	signal_thread_exit(t);
	cred_thread_exit(t);
	t->proc = NULL;
	mutex_lock(&proc_lock);
	reparent_children(p);
	p->wstatus = wstatus;
	p->state = PROC_ZOMBIE;
	struct process *parent = p->parent;
	if (!parent) {
		release(p);
	} else {
		child_info(p, &info);
		if (p->exit_signal)
			signal_send_to(parent, p->exit_signal, &info);
		if (signal_no_zombies(parent))
			release(p);
		wake_waiters(parent);
	}
	mutex_unlock(&proc_lock);
	thread_exit();
}

/* The other threads of p are told to end (SIGKILL). */
static void kill_other_threads(struct process *p)
{
	struct ksiginfo info = {.signo = SIGKILL, .code = SI_KERNEL};
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < end; i++) {
		struct thread *t = __atomic_load_n(&app_threads[i],
						   __ATOMIC_ACQUIRE);

		if (t && t != current_thread() && proc_of(t->proc) == p)
			signal_send_tid(t->app_tid, SIGKILL, &info);
	}
}

void process_exit_group(int wstatus)
{
	struct process *p = current_process();

	if (process_is_first(p))
		linux_exit_group((wstatus & 0x7f) ? 128 + (wstatus & 0x7f)
						  : (wstatus >> 8) & 0xff);
	mutex_lock(&proc_lock);
	bool first_to_exit = !p->exiting;
	if (first_to_exit) {
		p->exiting = true;
		p->wstatus = wstatus;
	}
	mutex_unlock(&proc_lock);
	if (first_to_exit)
		kill_other_threads(p);
	process_thread_exit(wstatus >> 8);
}

/*
 * execve: the others end as at exit_group (marked exiting, their SIGKILL
 * makes them leave quietly), the caller waits for them, then the process
 * lives on. If another thread began an exit_group first, the caller
 * ends with it.
 */
void process_end_other_threads(void)
{
	struct process *p = current_process();

	if (__atomic_load_n(&p->live_threads, __ATOMIC_ACQUIRE) == 1)
		return;
	mutex_lock(&proc_lock);
	bool exiting = p->exiting;
	p->exiting = true;
	mutex_unlock(&proc_lock);
	if (exiting)
		process_thread_exit(0);
	kill_other_threads(p);
	while (__atomic_load_n(&p->live_threads, __ATOMIC_ACQUIRE) > 1)
		thread_sleep_ns(1000000);
	mutex_lock(&proc_lock);
	p->exiting = false;
	mutex_unlock(&proc_lock);
}

/* ---- wait ---- */
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define WNOHANG 1
#define WNOWAIT 0x01000000

static bool selects(const struct process *c, int idtype, int id)
{
	return idtype == P_ALL || (idtype == P_PID && c->pid == id) ||
	       (idtype == P_PGID && c->pgid == id);
}

/* Under proc_lock: a zombie child the call selects, or NULL; *any says
 * whether it selects a child at all. */
static struct process *find_zombie(struct process *p, int idtype, int id,
				   bool *any)
{
	*any = false;
	for (struct process *c = p->children; c; c = c->sibling) {
		if (!selects(c, idtype, id))
			continue;
		*any = true;
		if (c->state == PROC_ZOMBIE)
			return c;
	}
	return NULL;
}

static bool waiter_done(void *arg)
{
	struct proc_waiter *w = arg;

	return __atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) || signal_pending();
}

static void unlink_waiter(struct process *p, struct proc_waiter *w)
{
	for (struct proc_waiter **pp = &p->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

long process_wait(int idtype, int id, int options, int *wstatus)
{
	struct process *p = current_process();
	struct proc_waiter w = {.thread = current_thread()};
	bool any;

	for (;;) {
		mutex_lock(&proc_lock);
		struct process *z = find_zombie(p, idtype, id, &any);
		if (z) {
			int pid = z->pid;

			*wstatus = z->wstatus;
			if (!(options & WNOWAIT))
				release(z);
			mutex_unlock(&proc_lock);
			return pid;
		}
		if (!any || (options & WNOHANG)) {
			mutex_unlock(&proc_lock);
			return any ? 0 : -ECHILD;
		}
		w.woken = 0;
		w.next = p->waiters;
		p->waiters = &w;
		mutex_unlock(&proc_lock);
		sched_wait_for(waiter_done, &w, 0);
		mutex_lock(&proc_lock);
		unlink_waiter(p, &w);
		mutex_unlock(&proc_lock);
		if (!__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE) && signal_pending())
			return -ERESTARTSYS;
	}
}

/* ---- vfork ---- */
static bool vfork_done(void *arg)
{
	return __atomic_load_n(&((struct process *)arg)->vfork_done,
			       __ATOMIC_ACQUIRE);
}

/* The child cannot be freed meanwhile: it is reaped only by this very
 * thread's process, and this thread is not waiting. */
void process_vfork_wait(struct process *child)
{
	sched_wait_for(vfork_done, child, 0);
}

void process_vfork_release(void)
{
	struct process *p = current_process();
	struct thread *parent = p->vfork_parent;

	if (parent) {
		p->vfork_parent = NULL;
		thread_wake_flag(&p->vfork_done, parent);
	}
}

/* ---- groups, sessions, kill ---- */
/* Under proc_lock: the process with this pid (the first included). */
struct process *process_find(int pid)
{
	if (pid == first_process.pid)
		return &first_process;
	struct process *found = NULL;

	rcu_read_lock();
	for (unsigned i = 0; i < MAX_APP_THREADS && !found; i++) {
		struct thread *t = __atomic_load_n(&app_threads[i],
						   __ATOMIC_ACQUIRE);

		if (t && t->proc && t->proc->pid == pid)
			found = t->proc;
	}
	rcu_read_unlock();
	return found;
}

/* Under proc_lock: pid 0 is the caller; children count as well, even as
 * zombies. */
static struct process *lookup(int pid)
{
	struct process *me = current_process();

	if (pid == 0 || pid == me->pid)
		return me;
	for (struct process *c = me->children; c; c = c->sibling)
		if (c->pid == pid)
			return c;
	return process_find(pid);
}

int process_getpgid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = lookup(pid);
	int r = p ? p->pgid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}

int process_getsid(int pid)
{
	mutex_lock(&proc_lock);
	struct process *p = lookup(pid);
	int r = p ? p->sid : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}

/* Linux: setpgid(2), the caller or one of its children, within the
 * caller's session; a session leader's group cannot change. */
int process_setpgid(int pid, int pgid)
{
	struct process *me = current_process();
	int r = 0;

	if (pgid < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	struct process *p = lookup(pid);
	if (!p || (p != me && p->parent != me))
		r = -ESRCH;
	else if (p->sid != me->sid)
		r = -EPERM;
	else if (p->sid == p->pid)
		r = -EPERM;
	else
		p->pgid = pgid ? pgid : p->pid;
	mutex_unlock(&proc_lock);
	return r;
}

int process_setsid(void)
{
	struct process *me = current_process();
	int r;

	mutex_lock(&proc_lock);
	if (me->pgid == me->pid) {
		r = -EPERM; /* a group leader */
	} else {
		me->sid = me->pgid = me->pid;
		r = me->pid;
	}
	mutex_unlock(&proc_lock);
	return r;
}

/* Under proc_lock: whether kill(pid) reaches p (pid not the caller's). */
static bool kill_selects(const struct process *p, int pid, int my_pgid)
{
	if (p->state == PROC_ZOMBIE)
		return false;
	if (pid > 0)
		return p->pid == pid;
	if (pid == 0)
		return p->pgid == my_pgid;
	if (pid == -1)
		return p != current_process();
	return p->pgid == -pid;
}

/* Under proc_lock: whether the caller may signal p: Linux checks
 * credentials for kill(2) (SI_USER) only, never for its own process; a
 * zombie's thread is gone: nothing to refuse. */
static bool kill_allowed(struct process *p, const struct ksiginfo *info)
{
	if (!info || info->code != SI_USER || p == current_process())
		return true;
	rcu_read_lock();
	/* the first process's threads have no proc (NULL) */
	struct thread *t = process_is_first(p) ? process_find_thread(p->pid)
					       : process_any_thread(p);
	bool ok = !t || cred_may_signal(t);
	rcu_read_unlock();
	return ok;
}

/* Under proc_lock: sends to p and, depth first, its descendants that
 * the call selects and the caller may signal (*sent counts them); the
 * number selected. */
static int kill_tree(struct process *p, int pid, int sig,
		     const struct ksiginfo *info, int my_pgid, int *sent)
{
	int n = 0;

	if (kill_selects(p, pid, my_pgid)) {
		n++;
		if (kill_allowed(p, info)) {
			++*sent;
			if (sig)
				signal_send_to(p, sig, info);
		}
	}
	for (struct process *c = p->children; c; c = c->sibling)
		n += kill_tree(c, pid, sig, info, my_pgid, sent);
	return n;
}

/* Processes whose parent is init are not under the first; they are
 * reached through the thread table. */
static int kill_orphans(int pid, int sig, const struct ksiginfo *info,
			int my_pgid, int *sent)
{
	int n = 0;

	for (unsigned i = 0; i < MAX_APP_THREADS; i++) {
		rcu_read_lock();
		struct thread *t = __atomic_load_n(&app_threads[i],
						   __ATOMIC_ACQUIRE);
		struct process *p = t ? t->proc : NULL;
		bool main = p && t->app_tid == p->pid;
		rcu_read_unlock();

		if (main && !p->parent)
			n += kill_tree(p, pid, sig, info, my_pgid, sent);
	}
	return n;
}

/* Under proc_lock: the lowest pid >= from in p's subtree, or best. */
static int next_in_tree(const struct process *p, int from, int best)
{
	if (p->pid >= from && (best < 0 || p->pid < best))
		best = p->pid;
	for (const struct process *c = p->children; c; c = c->sibling)
		best = next_in_tree(c, from, best);
	return best;
}

/* Under proc_lock: the orphans' subtrees (found by their main threads). */
static int next_in_orphans(int from, int best)
{
	unsigned end = __atomic_load_n(&app_threads_end, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < end; i++) {
		rcu_read_lock();
		struct thread *t = __atomic_load_n(&app_threads[i],
						   __ATOMIC_ACQUIRE);
		struct process *p = t ? t->proc : NULL;
		bool orphan = p && t->app_tid == p->pid && !p->parent;
		rcu_read_unlock();

		if (orphan)
			best = next_in_tree(p, from, best);
	}
	return best;
}

int process_next_pid(int from)
{
	if (!first_process.pid)
		return -1;
	mutex_lock(&proc_lock);
	int best = next_in_tree(&first_process, from, -1);
	best = next_in_orphans(from, best);
	mutex_unlock(&proc_lock);
	return best;
}

/* Under proc_lock: the process pid in p's subtree, or NULL. */
static struct process *find_in_tree(struct process *p, int pid)
{
	if (p->pid == pid)
		return p;
	for (struct process *c = p->children; c; c = c->sibling) {
		struct process *f = find_in_tree(c, pid);
		if (f)
			return f;
	}
	return NULL;
}

/* Under proc_lock: process pid, live or zombie, or NULL. */
static struct process *by_pid(int pid)
{
	struct process *p = find_in_tree(&first_process, pid);

	if (!p) {
		rcu_read_lock();
		struct thread *t = process_find_thread(pid);
		p = t && t->proc && t->proc->pid == pid ? t->proc : NULL;
		rcu_read_unlock();
	}
	return p;
}

int process_snapshot(int pid, struct process *out)
{
	mutex_lock(&proc_lock);
	struct process *p = by_pid(pid);
	if (p)
		*out = *p;
	mutex_unlock(&proc_lock);
	return p ? 0 : -ESRCH;
}

/* Under proc_lock: pid's process while it still has its as and files. */
static struct process *holding(int pid)
{
	struct process *p = by_pid(pid);

	return p && p->state == PROC_LIVE && !p->gone ? p : NULL;
}

int process_hold_as(int pid, struct process *copy, struct as **as)
{
	mutex_lock(&proc_lock);
	struct process *p = holding(pid);
	if (p) {
		*copy = *p;
		*as = p->as;
		as_get(p->as);
	}
	mutex_unlock(&proc_lock);
	return p ? 0 : -ESRCH;
}

void process_set_as(struct as *as)
{
	mutex_lock(&proc_lock);
	current_process()->as = as;
	mutex_unlock(&proc_lock);
}

/* fs/'s view of another process's descriptor table (fs.h): fn runs under
 * proc_lock, while the table cannot go. */
int linux_with_files(int pid, int (*fn)(struct fd_table *t, void *arg),
		     void *arg)
{
	mutex_lock(&proc_lock);
	struct process *p = holding(pid);
	int r = p ? fn(p->files, arg) : -ENOENT;
	mutex_unlock(&proc_lock);
	return r;
}

int process_kill(int pid, int sig, const struct ksiginfo *info)
{
	if (pid == INT32_MIN)
		return -ESRCH;
	mutex_lock(&proc_lock);
	int my_pgid = current_process()->pgid;
	int sent = 0;
	int n = kill_tree(&first_process, pid, sig, info, my_pgid, &sent);
	n += kill_orphans(pid, sig, info, my_pgid, &sent);
	mutex_unlock(&proc_lock);
	/* Linux: success if any was signalled; EPERM if all refused */
	return !n ? -ESRCH : sent ? 0 : -EPERM;
}

void process_thread_exit(int status)
{
	struct thread *t = current_thread();
	struct process *p = current_process();
	uint32_t zero = 0;

	/* pthread_join waits for this: CLONE_CHILD_CLEARTID. */
	if (t->clear_child_tid &&
	    copy_to_user(t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake(t->clear_child_tid, 1, 0xffffffffu);
	if (!process_is_first(p)) {
		/* Off the address space before it may go (as_put's rule). */
		sched_switch_as(NULL);
	}
	if (__atomic_sub_fetch(&p->live_threads, 1, __ATOMIC_SEQ_CST) == 0) {
		if (process_is_first(p))
			linux_exit_group(status);
		sem_exit(p);
		finish(p, p->exiting ? p->wstatus : (status & 0xff) << 8);
	}
	signal_thread_exit(t); /* leaves the thread table too */
	cred_thread_exit(t);
	thread_exit();
}
