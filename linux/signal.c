/*
 * Signals, with Linux's semantics and frame layout.
 *
 * Actions are process-wide (under sig_lock). Each application thread has a
 * blocked mask and a set of pending thread-directed signals; signals sent
 * to the process wait in proc_pending until some thread that does not
 * block them reaches a delivery point. Pending sets are atomic bitmasks so
 * that interrupt context (a timer's SIGALRM) can raise a signal; the
 * siginfo of a pending signal is written before its bit is set.
 *
 * Delivery points: the return from a system call, a synchronous fault in
 * application code, and the return from an interrupt to application code.
 * Delivery pushes a struct rt_sigframe (return address = sa_restorer,
 * ucontext with the interrupted registers and signal mask, siginfo, then
 * the XSAVE image) below the red zone or on the alternate stack and enters
 * the handler; rt_sigreturn reads it back and returns with every register
 * restored. Only standard-signal semantics: a second instance of a pending
 * signal is merged, real-time signals included (not queued yet).
 */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER 0x04000000
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SI_TIMER (-2)
#define RED_ZONE 128

static inline uint64_t bit(int sig)
{
	return 1ull << (sig - 1);
}
#define UNBLOCKABLE (bit(SIGKILL) | bit(SIGSTOP))

struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct sigcontext_k {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};

struct ucontext_k {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext_k mc;
	uint64_t sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext_k uc;
	struct ksiginfo info;
};

struct sigstate {
	/* first, in this order: struct sigstate_head */
	uint64_t blocked;
	uint64_t pending; /* atomic */
	struct ksiginfo info[NSIG + 1];
	uint64_t alt_sp, alt_size;
	bool alt_disabled;
	bool restore_mask; /* sigsuspend: put saved_mask back after delivery */
	uint64_t saved_mask;
	struct rtq *rtq[NSIG + 1]; /* under sig_lock */
	struct restart_block restart; /* the thread's own */
	/* freed a grace period after the thread leaves: senders read other
	 * threads' masks in read sections, from interrupts too */
	struct rcu_head rcu;
};

/*
 * Real-time signals queue: each send is delivered, with its siginfo, in
 * order. The queues are heap lists under sig_lock; only system calls send
 * real-time signals (timers send SIGALRM, a standard one), so sending may
 * sleep and allocate.
 */
#define SIGRTMIN_K 32
#define RTQ_MAX 31721 /* RLIMIT_SIGPENDING */
struct rtq {
	struct rtq *next;
	struct ksiginfo info;
};
static struct rtq *proc_rtq[NSIG + 1];
static struct mutex sig_lock = MUTEX_INIT;
static unsigned rtq_count;

/*
 * Dispositions, one table per process (process->actions; NULL: the first
 * process's): fork copies them, execve resets the handled ones. Under
 * sig_lock. Process-directed signals (proc_pending, proc_info,
 * proc_target, proc_rtq) are the first process's: another process's
 * are sent to its main thread (linux/process.c).
 */
struct sigactions {
	struct k_sigaction a[NSIG + 1];
};
static struct sigactions first_actions;

static struct k_sigaction *actions_of(const struct process *p)
{
	return p && p->actions ? p->actions->a : first_actions.a;
}
#define actions (actions_of(current_process()))

struct sigactions *signal_actions_fork(void)
{
	struct sigactions *n = malloc(sizeof(*n));

	if (n) {
		mutex_lock(&sig_lock);
		memcpy(n->a, actions, sizeof(n->a));
		mutex_unlock(&sig_lock);
	}
	return n;
}

void signal_actions_free(struct sigactions *a)
{
	free(a);
}

/* execve: handled signals go back to the default (POSIX). */
void signal_exec_reset(void)
{
	mutex_lock(&sig_lock);
	for (int sig = 1; sig <= NSIG; sig++)
		if (actions[sig].handler > SIG_IGN)
			actions[sig] = (struct k_sigaction){0};
	mutex_unlock(&sig_lock);
}

/* wait(2): a parent ignoring SIGCHLD, or with SA_NOCLDWAIT, leaves no
 * zombies. */
bool signal_no_zombies(const struct process *p)
{
	const struct k_sigaction *a = &actions_of(p)[SIGCHLD];

	return a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT);
}
uint64_t proc_pending; /* atomic */
static struct ksiginfo proc_info[NSIG + 1];

static const char *const names[NSIG + 1] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL",
	[5] = "SIGTRAP", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE",
	[9] = "SIGKILL", [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2",
	[13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [16] = "SIGSTKFLT",
	[17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG", [24] = "SIGXCPU",
	[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",
	[29] = "SIGIO", [30] = "SIGPWR", [31] = "SIGSYS",
};

int signal_thread_init(struct thread *t, uint64_t blocked)
{
	t->sig = calloc(1, sizeof(*t->sig));
	if (!t->sig)
		return -ENOMEM;
	t->sig->blocked = blocked;
	t->sig->alt_disabled = true;
	return 0;
}

uint64_t signal_blocked_mask(void)
{
	struct sigstate *s = current_thread()->sig;

	return s ? s->blocked : 0;
}

static void free_sigstate(struct rcu_head *h)
{
	free((char *)h - offsetof(struct sigstate, rcu));
}

static void retarget(int tid, uint64_t set);

/* Under sig_lock, so that a sender that found t in the thread table
 * (tgkill, under the same lock) is done with it before it goes. */
void signal_thread_exit(struct thread *t)
{
	mutex_lock(&sig_lock);
	process_remove_thread(t);
	for (int sig = SIGRTMIN_K; sig <= NSIG; sig++)
		while (t->sig->rtq[sig]) {
			struct rtq *q = t->sig->rtq[sig];

			t->sig->rtq[sig] = q->next;
			free(q);
			rtq_count--;
		}
	struct sigstate *gone = t->sig;
	__atomic_store_n(&t->sig, NULL, __ATOMIC_RELEASE);
	mutex_unlock(&sig_lock);
	retarget(t->app_tid, ~0ull);
	call_rcu(&gone->rcu, free_sigstate);
}

static bool default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH ||
	       sig == SIGCONT || sig == SIGSTOP || sig == SIGTSTP ||
	       sig == 21 || sig == 22;
}

static bool ignored_in(const struct process *p, int sig)
{
	uint64_t h = actions_of(p)[sig].handler;

	return h == SIG_IGN || (h == SIG_DFL && default_ignores(sig));
}

static bool ignored(int sig)
{
	return ignored_in(current_process(), sig);
}

/* ---- real-time queues (under sig_lock) ---- */
static int rtq_push(struct rtq **head, const struct ksiginfo *info)
{
	struct rtq *q = malloc(sizeof(*q)), **pp = head;

	if (!q || rtq_count >= RTQ_MAX) {
		free(q);
		return -EAGAIN;
	}
	q->next = NULL;
	q->info = *info;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
	rtq_count++;
	return 0;
}

/* Pops the oldest; true if more remain. */
static bool rtq_pop(struct rtq **head, struct ksiginfo *info)
{
	struct rtq *q = *head;

	*info = q->info;
	*head = q->next;
	free(q);
	rtq_count--;
	return *head != NULL;
}

/* ---- sending ---- */
/* A target running on another CPU is interrupted, to take the signal at
 * the interrupt's return. */
static void wake_target(struct thread *t)
{
	if (t)
		thread_interrupt(t);
}

/* Under sig_lock: queues a real-time signal. */
static int queue_rt(struct rtq **head, uint64_t *pending, int sig,
		    const struct ksiginfo *info)
{
	int err = rtq_push(&head[sig], info);

	if (!err) {
		__atomic_fetch_or(pending, bit(sig), __ATOMIC_RELEASE);
		signalfd_notify();
	}
	return err;
}

/* Takes sig_lock, which sleeps: thread context only (the signals timers
 * send from interrupts are not real-time ones). */
static int send_rt(struct rtq **head, uint64_t *pending, int sig,
		   const struct ksiginfo *info)
{
	mutex_lock(&sig_lock);
	int err = queue_rt(head, pending, sig, info);
	mutex_unlock(&sig_lock);
	return err;
}

/*
 * Process-directed signals (Linux: complete_signal). The signal waits in
 * the process's pending set, and one thread is picked as it is sent and
 * woken: the main thread if it does not block the signal, else the
 * sender, else any thread that does not. Only that thread takes it
 * (proc_target), so a sender or a sleeper elsewhere does not snatch it
 * and a main thread asleep in a futex is interrupted, as on Linux. The
 * target may block it or exit before taking it: then it picks another
 * (retarget), and a target that blocks it is passed over by the others'
 * check as well, for the moment between a sender's choice and its store.
 */
static int proc_target[NSIG + 1]; /* atomic: a tid; 0: anyone */

/* Whether t exists, as an application thread, and does not block sig;
 * in a read section. */
static bool wants(struct thread *t, int sig)
{
	struct sigstate *s = t ? __atomic_load_n(&t->sig, __ATOMIC_ACQUIRE)
			       : NULL;

	return s && !t->proc &&
	       !(__atomic_load_n(&s->blocked, __ATOMIC_RELAXED) & bit(sig));
}

static bool wants_cb(struct thread *t, void *sig)
{
	return wants(t, (int)(uintptr_t)sig);
}

/* The thread that should take sig, in a read section; NULL: none. */
static struct thread *pick_target(int sig)
{
	struct thread *t = process_find_thread(first_process.pid);

	if (wants(t, sig))
		return t;
	t = current_thread();
	if ((t->flags & THREAD_APP) && wants(t, sig))
		return t;
	return process_find_thread_if(wants_cb, (void *)(uintptr_t)sig);
}

/* Points sig at a thread that takes it and wakes that thread. */
static void route(int sig)
{
	rcu_read_lock();
	struct thread *t = pick_target(sig);
	__atomic_store_n(&proc_target[sig], t ? t->app_tid : 0,
			 __ATOMIC_RELEASE);
	wake_target(t);
	rcu_read_unlock();
}

/* Signals in `set` pending for the process and aimed at thread `tid`,
 * which now blocks them or leaves: aimed again, elsewhere. */
static void retarget(int tid, uint64_t set)
{
	uint64_t pend = __atomic_load_n(&proc_pending, __ATOMIC_ACQUIRE) & set;

	for (int sig = 1; pend && sig <= NSIG; sig++)
		if ((pend & bit(sig)) &&
		    __atomic_load_n(&proc_target[sig], __ATOMIC_ACQUIRE) == tid)
			route(sig);
}

/* Whether thread t may take the process-directed signal sig. */
static bool aimed_at(const struct thread *t, int sig)
{
	int tid = __atomic_load_n(&proc_target[sig], __ATOMIC_ACQUIRE);

	if (!tid || tid == t->app_tid)
		return true;
	rcu_read_lock();
	bool taken = wants(process_find_thread(tid), sig);
	rcu_read_unlock();
	return !taken; /* its target blocks it now, or is gone */
}

/* Sets the calling thread's mask, passing on what it now blocks. */
static void set_blocked(struct sigstate *s, uint64_t mask)
{
	uint64_t newly = mask & ~s->blocked;

	__atomic_store_n(&s->blocked, mask, __ATOMIC_SEQ_CST);
	if (newly & __atomic_load_n(&proc_pending, __ATOMIC_SEQ_CST))
		retarget(current_thread()->app_tid, newly);
}

static void send_first(int sig, const struct ksiginfo *info);
static void send_thread_locked(struct thread *t, int sig,
			       const struct ksiginfo *info);

/* Timers' signals (interrupt context) are the first process's. */
void signal_send_process(int sig, const struct ksiginfo *info)
{
	send_first(sig, info);
}

/* Whether t (a thread of another process) does not block sig. */
static bool unblocked(struct thread *t, int sig)
{
	struct sigstate *s = __atomic_load_n(&t->sig, __ATOMIC_ACQUIRE);

	return s &&
	       !(__atomic_load_n(&s->blocked, __ATOMIC_RELAXED) & bit(sig));
}

static bool unblocked_cb(struct thread *t, void *sig)
{
	return unblocked(t, (int)(uintptr_t)sig);
}

/* Another process's process-directed signal goes to one of its threads:
 * its main thread while it lives and does not block it, else the first
 * that does not, else (all block it) the main one, where it waits. */
void signal_send_to(struct process *p, int sig, const struct ksiginfo *info)
{
	if (process_is_first(p)) {
		send_first(sig, info);
		return;
	}
	mutex_lock(&sig_lock);
	struct thread *t = process_any_thread(p);
	if (t && !unblocked(t, sig)) {
		struct thread *u = process_thread_if(p, unblocked_cb,
						     (void *)(uintptr_t)sig);
		t = u ? u : t;
	}
	if (t)
		send_thread_locked(t, sig, info);
	mutex_unlock(&sig_lock);
}

static void send_first(int sig, const struct ksiginfo *info)
{
	if (sig < 1 || sig > NSIG || ignored_in(&first_process, sig))
		return;
	if (sig >= SIGRTMIN_K) {
		if (send_rt(proc_rtq, &proc_pending, sig, info) == 0)
			route(sig);
		return;
	}
	if (!(__atomic_load_n(&proc_pending, __ATOMIC_ACQUIRE) & bit(sig)))
		proc_info[sig] = *info;
	__atomic_fetch_or(&proc_pending, bit(sig), __ATOMIC_RELEASE);
	signalfd_notify();
	route(sig);
}

/* Under sig_lock: t cannot leave the thread table meanwhile. */
static void send_thread_locked(struct thread *t, int sig,
			       const struct ksiginfo *info)
{
	struct sigstate *s = t->sig;

	if (!s || sig < 1 || sig > NSIG || ignored_in(t->proc, sig))
		return;
	if (sig >= SIGRTMIN_K) {
		if (queue_rt(s->rtq, &s->pending, sig, info) == 0)
			wake_target(t);
		return;
	}
	if (!(__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE) & bit(sig)))
		s->info[sig] = *info;
	__atomic_fetch_or(&s->pending, bit(sig), __ATOMIC_RELEASE);
	signalfd_notify();
	wake_target(t);
}

void signal_send_thread(struct thread *t, int sig, const struct ksiginfo *info)
{
	mutex_lock(&sig_lock);
	send_thread_locked(t, sig, info);
	mutex_unlock(&sig_lock);
}

static uint64_t deliverable(const struct thread *t)
{
	struct sigstate *s = t->sig;

	if (!s)
		return 0;
	uint64_t own = __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE);
	uint64_t proc = t->proc ? 0 : __atomic_load_n(&proc_pending,
						      __ATOMIC_ACQUIRE);

	uint64_t mine = 0;

	for (proc &= ~s->blocked; proc; proc &= proc - 1) {
		int sig = __builtin_ctzll(proc) + 1;

		if (aimed_at(t, sig))
			mine |= bit(sig);
	}
	return (own & ~s->blocked) | mine;
}

bool signal_pending_here(void)
{
	return deliverable(current_thread()) != 0;
}

static bool dequeue_rt(struct sigstate *s, int sig, struct ksiginfo *info)
{
	bool got = false;

	mutex_lock(&sig_lock);
	if (s->rtq[sig]) {
		if (!rtq_pop(&s->rtq[sig], info))
			__atomic_fetch_and(&s->pending, ~bit(sig), __ATOMIC_RELEASE);
		got = true;
	} else if (proc_rtq[sig]) {
		if (!rtq_pop(&proc_rtq[sig], info))
			__atomic_fetch_and(&proc_pending, ~bit(sig), __ATOMIC_RELEASE);
		got = true;
	}
	mutex_unlock(&sig_lock);
	return got;
}

static int dequeue_one(struct thread *t, uint64_t set, struct ksiginfo *info);

/* Takes the lowest deliverable signal off the pending sets; a timer's
 * gets its overrun count as it goes. */
static int dequeue(struct thread *t, uint64_t set, struct ksiginfo *info)
{
	int sig = dequeue_one(t, set, info);

	if (sig && info->code == SI_TIMER)
		posix_timer_delivered(info);
	return sig;
}

static int dequeue_one(struct thread *t, uint64_t set, struct ksiginfo *info)
{
	struct sigstate *s = t->sig;

	for (int sig = 1; sig <= NSIG; sig++) {
		if (!(set & bit(sig)))
			continue;
		if (sig >= SIGRTMIN_K) {
			if (dequeue_rt(s, sig, info))
				return sig;
			continue;
		}
		if (__atomic_fetch_and(&s->pending, ~bit(sig), __ATOMIC_ACQ_REL) &
		    bit(sig)) {
			*info = s->info[sig];
			return sig;
		}
		if (__atomic_fetch_and(&proc_pending, ~bit(sig), __ATOMIC_ACQ_REL) &
		    bit(sig)) {
			*info = proc_info[sig];
			return sig;
		}
	}
	return 0;
}

/* For signalfd: takes the lowest signal of `set` pending for the calling
 * thread or the process, as sigtimedwait does; 0 if none. */
int signal_dequeue(uint64_t set, struct ksiginfo *info)
{
	int sig = dequeue(current_thread(), set & ~UNBLOCKABLE, info);

	if (sig)
		info->signo = sig;
	return sig;
}

uint64_t signal_pending_set(void)
{
	struct sigstate *s = current_thread()->sig;

	if (!s)
		return 0;
	return __atomic_load_n(&s->pending, __ATOMIC_ACQUIRE) |
	       __atomic_load_n(&proc_pending, __ATOMIC_ACQUIRE);
}

/* ---- the default action ---- */
static __attribute__((noreturn)) void terminate(int sig, const struct ksiginfo *info)
{
	/* As shells: a SIGPIPE death (`osprey run ... | head -1`) is routine
	 * and says so only by its status, 141. */
	if (sig == SIGPIPE || !process_is_first(current_process()))
		process_exit_group(sig);
	kprintf("osprey: %s killed by %s", current_thread()->name,
		names[sig] ? names[sig] : "a real-time signal");
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE)
		kprintf(" at address %lx", info->addr);
	kprintf("\n");
	process_exit_group(sig);
}

/* ---- frames ---- */
static bool on_altstack(const struct sigstate *s, uint64_t sp)
{
	return !s->alt_disabled && sp > s->alt_sp && sp <= s->alt_sp + s->alt_size;
}

/*
 * Builds the frame for `sig` below the interrupted registers `sc` and
 * points sc at the handler. Returns 0, or -EFAULT if the stack is bad.
 */
static int push_frame(struct sigcontext_k *sc, int sig,
		      const struct ksiginfo *info, const struct k_sigaction *act,
		      uint64_t old_mask)
{
	struct sigstate *s = current_thread()->sig;
	uint64_t sp = sc->rsp - RED_ZONE;
	size_t fpsize = fpu_state_size();

	if ((act->flags & SA_ONSTACK) && !s->alt_disabled &&
	    !on_altstack(s, sc->rsp))
		sp = s->alt_sp + s->alt_size;
	uint64_t fp = ALIGN_DOWN(sp - fpsize, 64);
	uint64_t frame = ALIGN_DOWN(fp - sizeof(struct rt_sigframe), 16) - 8;
	if (as_populate(frame, sp - frame))
		return -EFAULT;
	memset((void *)fp, 0, fpsize);
	fpu_save((void *)fp);

	struct rt_sigframe f = {0};
	f.pretcode = act->restorer;
	f.uc.ss_sp = s->alt_sp;
	f.uc.ss_size = s->alt_size;
	f.uc.ss_flags = s->alt_disabled ? SS_DISABLE
					: on_altstack(s, sc->rsp) ? SS_ONSTACK : 0;
	f.uc.mc = *sc;
	f.uc.mc.fpstate = fp;
	f.uc.mc.oldmask = old_mask;
	f.uc.sigmask = old_mask;
	f.info = *info;
	f.info.signo = sig;
	if (copy_to_user(frame, &f, sizeof(f)))
		return -EFAULT;

	sc->rsp = frame;
	sc->rip = act->handler;
	sc->rdi = (uint64_t)sig;
	sc->rsi = frame + offsetof(struct rt_sigframe, info);
	sc->rdx = frame + offsetof(struct rt_sigframe, uc);
	sc->rax = 0;
	sc->eflags &= ~(0x400ull | 0x100ull); /* DF, TF */
	return 0;
}

/*
 * Delivers one pending signal (or the given synchronous one) onto the
 * registers `sc`. Returns true if sc now enters a handler.
 */
static bool deliver(struct sigcontext_k *sc, int sig, struct ksiginfo *info)
{
	struct thread *t = current_thread();
	struct sigstate *s = t->sig;

	mutex_lock(&sig_lock);
	struct k_sigaction act = actions[sig];
	if (act.handler == SIG_DFL || act.handler == SIG_IGN) {
		mutex_unlock(&sig_lock);
		if (act.handler == SIG_IGN || default_ignores(sig))
			return false;
		terminate(sig, info);
	}
	if (act.flags & SA_RESETHAND)
		actions[sig].handler = SIG_DFL;
	mutex_unlock(&sig_lock);

	uint64_t old_mask = s->restore_mask ? s->saved_mask : s->blocked;
	s->restore_mask = false;
	if (push_frame(sc, sig, info, &act, old_mask)) {
		terminate(SIGSEGV, info); /* Linux: a bad stack is fatal */
	}
	set_blocked(s, (s->blocked | act.mask |
			(act.flags & SA_NODEFER ? 0 : bit(sig))) &
			       ~UNBLOCKABLE);
	return true;
}

static int next_signal(struct ksiginfo *info)
{
	struct thread *t = current_thread();
	uint64_t set = deliverable(t);

	return set ? dequeue(t, set, info) : 0;
}

/* ---- delivery points ---- */
static void from_syscall(const struct syscall_frame *f, long ret,
			 struct sigcontext_k *sc)
{
	*sc = (struct sigcontext_k){
		.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->rflags,
		.r12 = f->r12, .r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
		.rdi = f->rdi, .rsi = f->rsi, .rbp = f->rbp, .rbx = f->rbx,
		.rdx = f->rdx, .rax = (uint64_t)ret, .rcx = f->rip,
		.rsp = f->rsp, .rip = f->rip, .eflags = f->rflags,
		.cs = 0x08, .ss = 0x10,
	};
}

long signal_syscall_return(struct syscall_frame *f, long ret)
{
	struct ksiginfo info;
	struct sigcontext_k sc;
	int sig;

	if (!(current_thread()->flags & THREAD_APP))
		return ret;
	while ((sig = next_signal(&info))) {
		if (ret == -ERESTART_RESTARTBLOCK) {
			from_syscall(f, -EINTR, &sc);
		} else if (ret == -ERESTARTSYS) {
			bool restart = actions[sig].flags & SA_RESTART;

			from_syscall(f, restart ? (long)f->nr : -EINTR, &sc);
			if (restart)
				sc.rip -= 2; /* back onto the syscall instruction */
		} else {
			from_syscall(f, ret, &sc);
		}
		if (!deliver(&sc, sig, &info))
			continue;
		f->rip = sc.rip;
		f->rsp = sc.rsp;
		f->rdi = sc.rdi;
		f->rsi = sc.rsi;
		f->rdx = sc.rdx;
		f->rflags = sc.eflags;
		return 0;
	}
	/*
	 * Interrupted, but no handler ran (another thread took the
	 * process-directed signal first): Linux restarts the call rather
	 * than fail it, back onto the syscall instruction with the number in
	 * rax and the arguments still in the frame.
	 */
	if (ret == -ERESTARTSYS) {
		f->rip -= 2;
		return (long)f->nr;
	}
	if (ret == -ERESTART_RESTARTBLOCK) {
		f->rip -= 2;
		return SYS_RESTART_SYSCALL;
	}
	return ret;
}

struct restart_block *signal_restart_block(void)
{
	return &current_thread_sig()->restart;
}

/* restart_syscall(2): only the kernel calls it, on its way back into an
 * interrupted timed wait; without one pending it is -EINTR, as Linux. */
long sys_restart_syscall(long a, long b, long c, long d, long e, long f)
{
	struct restart_block *rb = signal_restart_block();
	long (*fn)(struct restart_block *) = rb->fn;

	rb->fn = NULL;
	return fn ? fn(rb) : -EINTR;
}

static void from_irq(const struct irq_frame *f, struct sigcontext_k *sc)
{
	*sc = (struct sigcontext_k){
		.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11,
		.r12 = f->r12, .r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
		.rdi = f->rdi, .rsi = f->rsi, .rbp = f->rbp, .rbx = f->rbx,
		.rdx = f->rdx, .rax = f->rax, .rcx = f->rcx, .rsp = f->rsp,
		.rip = f->rip, .eflags = f->rflags, .cs = 0x08, .ss = 0x10,
		.err = f->error, .trapno = f->vector,
	};
}

static void to_irq(const struct sigcontext_k *sc, struct irq_frame *f)
{
	f->rip = sc->rip;
	f->rsp = sc->rsp;
	f->rdi = sc->rdi;
	f->rsi = sc->rsi;
	f->rdx = sc->rdx;
	f->rax = sc->rax;
	f->rflags = sc->eflags;
}

/* A fault in application code: the signal goes to this thread now. */
void signal_fault(struct irq_frame *f, int sig, int code, uint64_t addr)
{
	struct ksiginfo info = {.signo = sig, .code = code, .addr = addr};
	struct sigcontext_k sc;
	struct sigstate *s = current_thread()->sig;

	from_irq(f, &sc);
	sc.cr2 = addr;
	/* Blocked or ignored synchronous signals kill, as on Linux. */
	if (!s || (s->blocked & bit(sig)) || actions[sig].handler == SIG_IGN)
		terminate(sig, &info);
	/* The handler may run with interrupts on; leave the fault frame. */
	irq_enable();
	if (deliver(&sc, sig, &info))
		to_irq(&sc, f);
	irq_disable();
}

static void irq_return(struct irq_frame *f)
{
	struct ksiginfo info;
	struct sigcontext_k sc;
	int sig;

	if (f->rip >= USER_TOP || !(current_thread()->flags & THREAD_APP) ||
	    !deliverable(current_thread()))
		return;
	irq_enable();
	while ((sig = next_signal(&info))) {
		from_irq(f, &sc);
		if (deliver(&sc, sig, &info)) {
			to_irq(&sc, f);
			break;
		}
	}
	irq_disable();
}

/* ---- system calls ---- */
void arch_return_full(const struct sigcontext_k *sc) __attribute__((noreturn));

long sys_rt_sigreturn(long a, long b, long c, long d, long e, long g)
{
	struct thread *t = current_thread();
	struct syscall_frame *f =
		(struct syscall_frame *)(t->kstack_top - sizeof(*f));
	struct ucontext_k uc;

	/* The handler's ret popped pretcode: rsp points at the ucontext. */
	if (copy_from_user(&uc, f->rsp, sizeof(uc)))
		terminate(SIGSEGV, &(struct ksiginfo){.addr = f->rsp});
	set_blocked(t->sig, uc.sigmask & ~UNBLOCKABLE);
	size_t fpsize = fpu_state_size();
	uint8_t *buf = uc.mc.fpstate ? aligned_alloc(64, fpsize) : NULL;
	if (buf && copy_from_user(buf, uc.mc.fpstate, fpsize) == 0) {
		/* Keep XRSTOR from faulting on a doctored header. */
		uint64_t *hdr = (uint64_t *)(buf + 512);
		hdr[0] &= cpu_features.xcr0;
		hdr[1] = 0;
		fpu_restore(buf);
	}
	free(buf);
	uc.mc.eflags = (uc.mc.eflags & 0xcd5) | 0x202; /* status flags, IF */
	if (uc.mc.rip >= USER_TOP || uc.mc.rsp >= USER_TOP)
		terminate(SIGSEGV, &(struct ksiginfo){.addr = uc.mc.rip});
	/* Signals that became deliverable (the mask changed) go next. */
	struct ksiginfo info;
	int sig;
	while ((sig = next_signal(&info)))
		if (deliver(&uc.mc, sig, &info))
			break;
	irq_disable();
	arch_return_full(&uc.mc);
}

long sys_rt_sigaction(long sig, long uact, long uold, long size, long e,
		      long f)
{
	struct k_sigaction act, old;

	if (size != 8 || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && act.handler > SIG_IGN && !(act.flags & SA_RESTORER)) {
		linux_missing("rt_sigaction without SA_RESTORER");
		return -EINVAL;
	}
	mutex_lock(&sig_lock);
	old = actions[sig];
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		actions[sig] = act;
		/* Ignoring a signal discards it if pending (POSIX). */
		if (ignored(sig))
			__atomic_fetch_and(&proc_pending, ~bit(sig), __ATOMIC_RELAXED);
	}
	mutex_unlock(&sig_lock);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(long how, long uset, long uold, long size, long e,
			long f)
{
	struct sigstate *s = current_thread()->sig;
	uint64_t set, old = s->blocked;

	if (size != 8)
		return -EINVAL;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof(set)))
			return -EFAULT;
		if (how == 0)
			set |= old;
		else if (how == 1)
			set = old & ~set;
		else if (how != 2)
			return -EINVAL;
		set_blocked(s, set & ~UNBLOCKABLE);
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(long uset, long size, long c, long d, long e, long f)
{
	struct sigstate *s = current_thread()->sig;
	uint64_t set = (s->pending | proc_pending) & s->blocked;

	if (size != 8)
		return -EINVAL;
	return copy_to_user(uset, &set, sizeof(set));
}

static bool any_signal(void *unused)
{
	return signal_pending();
}

/* Sleeps until a signal is deliverable or the deadline (0: none) passes. */
bool sleep_for_signal(uint64_t deadline)
{
	return sched_wait_for(any_signal, NULL, deadline);
}

long sys_rt_sigsuspend(long umask, long size, long c, long d, long e, long f)
{
	struct sigstate *s = current_thread()->sig;
	uint64_t mask;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	s->saved_mask = s->blocked;
	s->restore_mask = true;
	set_blocked(s, mask & ~UNBLOCKABLE);
	sleep_for_signal(0);
	/* Delivery on the way out restores the mask via the frame. */
	return -EINTR;
}

long sys_pause(long a, long b, long c, long d, long e, long f)
{
	sleep_for_signal(0);
	return -EINTR;
}

long sys_rt_sigtimedwait(long uset, long uinfo, long uts, long size, long e,
			 long f)
{
	struct sigstate *s = current_thread()->sig;
	uint64_t set, deadline = 0;
	struct ksiginfo info;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	if (uts) {
		uint64_t ns;
		int err = timespec_from_user((uint64_t)uts, &ns);

		if (err)
			return err;
		deadline = clock_monotonic_ns() + ns;
	}
	set &= ~UNBLOCKABLE;
	/* Wait with the awaited signals unblocked, but take them here. */
	uint64_t blocked = s->blocked;
	for (;;) {
		int sig = dequeue(current_thread(), set, &info);

		if (sig) {
			set_blocked(s, blocked);
			info.signo = sig;
			if (uinfo && copy_to_user(uinfo, &info, sizeof(info)))
				return -EFAULT;
			return sig;
		}
		if (deadline && clock_monotonic_ns() >= deadline)
			break;
		s->blocked = blocked & ~set;
		bool got = sleep_for_signal(deadline);
		set_blocked(s, blocked);
		if (got && !((s->pending | proc_pending) & set))
			return -EINTR; /* another, unblocked signal came */
		if (!got)
			break;
	}
	return -EAGAIN;
}

long sys_sigaltstack(long uss, long uold, long c, long d, long e, long f)
{
	struct sigstate *s = current_thread()->sig;
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss, old = {s->alt_sp, 0, 0, s->alt_size};
	uint64_t sp = ((struct syscall_frame *)(current_thread()->kstack_top -
						 sizeof(struct syscall_frame)))->rsp;

	old.flags = s->alt_disabled ? SS_DISABLE : on_altstack(s, sp) ? SS_ONSTACK : 0;
	if (uss) {
		if (copy_from_user(&ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on_altstack(s, sp))
			return -EPERM;
		if (ss.flags & ~(SS_DISABLE | SS_ONSTACK))
			return -EINVAL;
		if (ss.flags & SS_DISABLE) {
			s->alt_disabled = true;
			s->alt_sp = s->alt_size = 0;
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -ENOMEM;
			s->alt_disabled = false;
			s->alt_sp = ss.sp;
			s->alt_size = ss.size;
		}
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_kill(long pid, long sig, long c, long d, long e, long f)
{
	struct ksiginfo info = {.signo = (int)sig, .code = SI_USER,
				.addr = (uint64_t)current_process()->pid};

	int p = (int)pid;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (p != current_process()->pid)
		return process_kill(p, (int)sig, &info);
	if (sig)
		signal_send_to(current_process(), (int)sig, &info);
	return 0;
}

bool signal_send_tid(int tid, int sig, const struct ksiginfo *info)
{
	mutex_lock(&sig_lock);
	struct thread *t = process_find_thread(tid);
	if (t)
		send_thread_locked(t, sig, info);
	mutex_unlock(&sig_lock);
	return t != NULL;
}

/* Under sig_lock: whether the caller may signal thread t (Linux's
 * check_kill_permission: its own process always). */
static bool may_tkill(struct thread *t)
{
	struct process *p = t->proc ? t->proc : &first_process;

	return p == current_process() || cred_may_signal(t);
}

long sys_tgkill(long tgid, long tid, long sig, long d, long e, long f)
{
	struct ksiginfo info = {.signo = (int)sig, .code = SI_TKILL,
				.addr = (uint64_t)current_process()->pid};

	int tg = (int)tgid, id = (int)tid;

	if (sig < 0 || sig > NSIG || id <= 0 || (tg != -1 && tg <= 0))
		return -EINVAL;
	if (tg != -1 && !process_find_thread(tg))
		return -ESRCH;
	/* The lookup and the sending under sig_lock: an exiting thread
	 * leaves the table under it too (signal_thread_exit). */
	mutex_lock(&sig_lock);
	struct thread *t = process_find_thread(id);
	long r = !t ? -ESRCH : may_tkill(t) ? 0 : -EPERM;
	if (!r && sig)
		send_thread_locked(t, (int)sig, &info);
	mutex_unlock(&sig_lock);
	return r;
}

long sys_rt_sigqueueinfo(long pid, long sig, long uinfo, long d, long e,
			 long f)
{
	struct ksiginfo info;

	if (copy_from_user(&info, uinfo, sizeof(info)))
		return -EFAULT;
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	if ((int)pid != current_process()->pid)
		return -ESRCH; /* one process */
	/* Linux: a sender may not pose as the kernel or tkill. */
	if (info.code >= 0 || info.code == SI_TKILL)
		return -EPERM;
	info.signo = (int)sig;
	if ((int)sig >= SIGRTMIN_K) {
		if (ignored((int)sig))
			return 0;
		long r = send_rt(proc_rtq, &proc_pending, (int)sig, &info);
		if (!r)
			route((int)sig);
		return r;
	}
	signal_send_process((int)sig, &info);
	return 0;
}

/* Linux's do_rt_tgsigqueueinfo: a thread of process tgid. */
static int tgid_of(struct thread *t)
{
	return t->proc ? t->proc->pid : first_process.pid;
}

long sys_rt_tgsigqueueinfo(long tgid, long tid, long sig, long uinfo,
			   long e, long f)
{
	struct ksiginfo info;

	if (copy_from_user(&info, uinfo, sizeof(info)))
		return -EFAULT;
	if (tgid <= 0 || tid <= 0 || tgid > INT32_MAX || tid > INT32_MAX)
		return -EINVAL;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if ((info.code >= 0 || info.code == SI_TKILL) &&
	    (int)tid != current_thread()->app_tid)
		return -EPERM;
	info.signo = (int)sig;
	mutex_lock(&sig_lock);
	struct thread *t = process_find_thread((int)tid);
	if (t && tgid_of(t) != (int)tgid)
		t = NULL;
	if (t && sig)
		send_thread_locked(t, (int)sig, &info);
	mutex_unlock(&sig_lock);
	return t ? 0 : -ESRCH;
}

long sys_tkill(long tid, long sig, long c, long d, long e, long f)
{
	return sys_tgkill(-1, tid, sig, 0, 0, 0);
}

static int signal_init(void)
{
	arch_set_irq_return_hook(irq_return);
	return 0;
}
INIT_STEP(54, signal_init);
