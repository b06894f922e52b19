/*
 * Signals: sigaction with SA_SIGINFO and the siginfo it carries, masks and
 * pending sets, queueing of real-time signals, the alternate stack,
 * hardware faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP) with their si_code,
 * si_addr and saved registers, handlers that edit the ucontext, kill,
 * rt_sigtimedwait, SA_RESETHAND/SA_NODEFER/SA_RESTART and timer signals
 * ending pause() and sigsuspend().
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

/* What the last handler saw. */
static volatile sig_atomic_t got_signo, got_count;
static volatile int got_code, got_pid, got_uid, got_value;
static void *volatile got_addr;
static volatile greg_t got_rip, got_trapno, got_err, got_cr2;
static volatile int got_blocked_self; /* was the signal blocked inside? */
static sigjmp_buf jump;

static void reset(void)
{
	got_signo = 0;
	got_count = 0;
	got_code = 0;
	got_pid = 0;
	got_uid = -1;
	got_addr = NULL;
	got_rip = got_trapno = got_err = got_cr2 = 0;
}

static void record(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t now;

	got_signo = sig;
	got_count = got_count + 1;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = (int)si->si_uid;
	got_addr = si->si_addr;
	got_value = si->si_value.sival_int;
	got_rip = uc->uc_mcontext.gregs[REG_RIP];
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
	got_cr2 = uc->uc_mcontext.gregs[REG_CR2];
	sigprocmask(SIG_BLOCK, NULL, &now);
	got_blocked_self = sigismember(&now, sig);
}

static void record_and_jump(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(jump, 1);
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void restore_default(int sig)
{
	signal(sig, SIG_DFL);
}

static void raise_delivers_siginfo(void)
{
	struct sigaction old;

	reset();
	CHECK_EQ_INT(install(SIGUSR1, record, 0), 0);
	CHECK_EQ_INT(raise(SIGUSR1), 0);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(got_signo, SIGUSR1);
	CHECK_EQ_INT(got_code, SI_TKILL); /* glibc's raise is tgkill */
	CHECK_EQ_INT(got_pid, getpid());
	CHECK_EQ_INT(got_uid, getuid());
	CHECK_EQ_INT(got_blocked_self, 1); /* blocked while it runs */
	CHECK_EQ_INT(sigaction(SIGUSR1, NULL, &old), 0);
	CHECK(old.sa_sigaction == record);
	CHECK(old.sa_flags & SA_SIGINFO);

	CHECK_ERRNO(sigaction(SIGKILL, &old, NULL), EINVAL);
	CHECK_ERRNO(sigaction(SIGSTOP, &old, NULL), EINVAL);
	CHECK_ERRNO(sigaction(0, &old, NULL), EINVAL);
	CHECK_ERRNO(sigaction(65, &old, NULL), EINVAL);
	/* Reading SIGKILL's action is allowed. */
	CHECK_EQ_INT(sigaction(SIGKILL, NULL, &old), 0);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), EINVAL);
	restore_default(SIGUSR1);
}

static void blocked_signal_pends_until_unblocked(void)
{
	sigset_t set, old, pend;
	int i;

	reset();
	install(SIGUSR1, record, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK_EQ_INT(sigprocmask(SIG_BLOCK, &set, &old), 0);
	CHECK_EQ_INT(raise(SIGUSR1), 0);
	CHECK_EQ_INT(raise(SIGUSR1), 0); /* standard signals do not queue */
	CHECK_EQ_INT(got_count, 0);
	CHECK_EQ_INT(sigpending(&pend), 0);
	CHECK_EQ_INT(sigismember(&pend, SIGUSR1), 1);
	CHECK_EQ_INT(sigismember(&pend, SIGUSR2), 0);
	/* Delivered before sigprocmask returns. */
	CHECK_EQ_INT(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(sigpending(&pend), 0);
	CHECK_EQ_INT(sigismember(&pend, SIGUSR1), 0);

	/* Real-time signals queue, each with its value. */
	reset();
	install(SIGRTMIN, record, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
	CHECK_EQ_INT(got_count, 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK_EQ_INT(got_count, 3);
	CHECK_EQ_INT(got_value, 3); /* in order: the last one is 3 */
	CHECK_EQ_INT(got_code, SI_QUEUE);
	restore_default(SIGRTMIN);

	/* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them. */
	sigfillset(&set);
	CHECK_EQ_INT(sigprocmask(SIG_BLOCK, &set, &old), 0);
	CHECK_EQ_INT(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	CHECK_EQ_INT(sigismember(&set, SIGKILL), 0);
	CHECK_EQ_INT(sigismember(&set, SIGSTOP), 0);
	CHECK_EQ_INT(sigismember(&set, SIGTERM), 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_ERRNO(sigprocmask(12345, &set, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4),
		    EINVAL);
	restore_default(SIGUSR1);
}

static char *volatile alt_lo, *volatile alt_hi;
static volatile int alt_on_stack, alt_flags_inside;

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	char local;
	stack_t cur;

	(void)sig;
	(void)si;
	(void)uc;
	alt_on_stack = &local >= alt_lo && &local < alt_hi;
	sigaltstack(NULL, &cur);
	alt_flags_inside = cur.ss_flags;
}

static void sigaltstack_runs_handler_there(void)
{
	size_t size = 64 * 1024;
	char *mem = malloc(size);
	stack_t ss, old;

	if (!CHECK(mem != NULL))
		return;
	alt_lo = mem;
	alt_hi = mem + size;
	ss.ss_sp = mem;
	ss.ss_size = size;
	ss.ss_flags = 0;
	CHECK_EQ_INT(sigaltstack(&ss, &old), 0);
	CHECK_EQ_INT(old.ss_flags, SS_DISABLE);
	install(SIGUSR2, on_alt, SA_ONSTACK);
	raise(SIGUSR2);
	CHECK(alt_on_stack);
	CHECK_EQ_INT(alt_flags_inside, SS_ONSTACK);
	CHECK_EQ_INT(sigaltstack(NULL, &old), 0);
	CHECK_EQ_INT(old.ss_flags, 0);
	CHECK(old.ss_sp == mem);
	CHECK_EQ_INT(old.ss_size, size);
	/* Without SA_ONSTACK the handler stays on the normal stack. */
	install(SIGUSR2, on_alt, 0);
	raise(SIGUSR2);
	CHECK(!alt_on_stack);

	ss.ss_size = 512;
	CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = size;
	ss.ss_flags = 0x1234;
	CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ_INT(sigaltstack(&ss, NULL), 0);
	CHECK_EQ_INT(sigaltstack(NULL, &old), 0);
	CHECK_EQ_INT(old.ss_flags, SS_DISABLE);
	restore_default(SIGUSR2);
	free(mem);
}

static void null_write_gives_sigsegv(void)
{
	int *volatile np = NULL;

	reset();
	install(SIGSEGV, record_and_jump, 0);
	if (sigsetjmp(jump, 1) == 0) {
		*np = 1;
		CHECK(!"the write to NULL returned");
	}
	CHECK_EQ_INT(got_signo, SIGSEGV);
	CHECK_EQ_INT(got_code, SEGV_MAPERR);
	CHECK(got_addr == NULL);
	/* The saved frame: a page fault (14) on a user write (bits 1, 2). */
	CHECK_EQ_INT(got_trapno, 14);
	CHECK_EQ_INT(got_err & 6, 6);
	CHECK_EQ_INT(got_cr2, 0);
	/* siglongjmp(…, 1) restored the mask: SIGSEGV is not blocked. */
	{
		sigset_t now;

		sigprocmask(SIG_BLOCK, NULL, &now);
		CHECK_EQ_INT(sigismember(&now, SIGSEGV), 0);
	}
	/* And it works a second time. */
	reset();
	if (sigsetjmp(jump, 1) == 0)
		*(volatile int *)(np + 1024) = 1;
	CHECK_EQ_INT(got_signo, SIGSEGV);
	CHECK(got_addr == (char *)(np + 1024));
	restore_default(SIGSEGV);
}

static void divide_by_zero_gives_sigfpe(void)
{
	volatile int a = 7, zero = 0, min = INT_MIN, minus1 = -1, r = 0;

	reset();
	install(SIGFPE, record_and_jump, 0);
	if (sigsetjmp(jump, 1) == 0) {
		r = a / zero;
		CHECK(!"division by zero returned");
	}
	CHECK_EQ_INT(got_signo, SIGFPE);
	CHECK_EQ_INT(got_code, FPE_INTDIV);
	CHECK(got_addr == (void *)got_rip); /* the faulting instruction */
	CHECK_EQ_INT(got_trapno, 0);	    /* #DE */
	/* x86 raises #DE for INT_MIN / -1 too, and Linux reports INTDIV. */
	reset();
	if (sigsetjmp(jump, 1) == 0) {
		r = min / minus1;
		CHECK(!"INT_MIN / -1 returned");
	}
	CHECK_EQ_INT(got_signo, SIGFPE);
	CHECK_EQ_INT(got_code, FPE_INTDIV);
	(void)r;
	restore_default(SIGFPE);
}

static void ud2_gives_sigill(void)
{
	reset();
	install(SIGILL, record_and_jump, 0);
	if (sigsetjmp(jump, 1) == 0) {
		__builtin_trap();
	}
	CHECK_EQ_INT(got_signo, SIGILL);
	CHECK_EQ_INT(got_code, ILL_ILLOPN);
	CHECK(got_addr == (void *)got_rip);
	CHECK_EQ_INT(*(unsigned char *)got_addr, 0x0f); /* ud2 is 0f 0b */
	CHECK_EQ_INT(((unsigned char *)got_addr)[1], 0x0b);
	CHECK_EQ_INT(got_trapno, 6); /* #UD */
	restore_default(SIGILL);
}

static void int3_gives_sigtrap_and_continues(void)
{
	uintptr_t after;

	reset();
	install(SIGTRAP, record, 0);
	/* int3 is a trap: the handler returns to the next instruction. */
	__asm__ volatile("lea 1f(%%rip), %0\n\tint3\n1:" : "=r"(after));
	CHECK_EQ_INT(got_signo, SIGTRAP);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(got_rip, after);
	/* Linux: a user int3 is reported with si_code SI_KERNEL. */
	CHECK_EQ_INT(got_code, SI_KERNEL);
	CHECK_EQ_INT(got_trapno, 3);
	restore_default(SIGTRAP);
}

static void kill_self_with_sigusr2(void)
{
	reset();
	install(SIGUSR2, record, 0);
	CHECK_EQ_INT(kill(getpid(), SIGUSR2), 0);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(got_signo, SIGUSR2);
	CHECK_EQ_INT(got_code, SI_USER);
	CHECK_EQ_INT(got_pid, getpid());
	CHECK_EQ_INT(kill(getpid(), 0), 0); /* only checks */
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2), 0);
	CHECK_EQ_INT(got_count, 2);
	CHECK_EQ_INT(got_code, SI_TKILL);
	CHECK_ERRNO(kill(getpid(), 65), EINVAL);
	CHECK_ERRNO(kill(getpid(), -1), EINVAL);
	CHECK_ERRNO(kill(0x3ffffff0, SIGUSR2), ESRCH);
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), 0x3ffffff0, SIGUSR2), ESRCH);
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), 0, SIGUSR2), EINVAL);
	restore_default(SIGUSR2);
}

/* rbx and r12-r15 as the last handler's ucontext had them. */
static volatile greg_t seen_callee[5];

static void record_callee(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	seen_callee[0] = uc->uc_mcontext.gregs[REG_RBX];
	seen_callee[1] = uc->uc_mcontext.gregs[REG_R12];
	seen_callee[2] = uc->uc_mcontext.gregs[REG_R13];
	seen_callee[3] = uc->uc_mcontext.gregs[REG_R14];
	seen_callee[4] = uc->uc_mcontext.gregs[REG_R15];
}

/*
 * A system call keeps rbx and r12-r15, and a signal delivered as it
 * returns (tgkill to ourselves) finds the application's values in its
 * ucontext, not the kernel's.
 */
static void syscall_keeps_callee_saved_and_signal_sees_them(void)
{
	static const uint64_t want[5] = {
		0x1111111111111111ull, 0x1212121212121212ull,
		0x1313131313131313ull, 0x1414141414141414ull,
		0x1515151515151515ull};
	uint64_t after[5];
	long ret = SYS_tgkill, pid = getpid(), tid = gettid();

	CHECK_EQ_INT(install(SIGUSR1, record_callee, 0), 0);
	/* Set after the last call: a call may clobber r8. */
	register uint64_t *out asm("r8") = after;
	asm volatile("movq 0(%[w]), %%rbx\n\t"
		     "movq 8(%[w]), %%r12\n\t"
		     "movq 16(%[w]), %%r13\n\t"
		     "movq 24(%[w]), %%r14\n\t"
		     "movq 32(%[w]), %%r15\n\t"
		     "syscall\n\t"
		     "movq %%rbx, 0(%[out])\n\t"
		     "movq %%r12, 8(%[out])\n\t"
		     "movq %%r13, 16(%[out])\n\t"
		     "movq %%r14, 24(%[out])\n\t"
		     "movq %%r15, 32(%[out])"
		     : "+a"(ret)
		     : "D"(pid), "S"(tid), "d"((long)SIGUSR1),
		       [w] "r"(want), [out] "r"(out)
		     : "rbx", "r12", "r13", "r14", "r15", "rcx", "r11",
		       "memory");
	CHECK_EQ_INT(ret, 0);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_INT(seen_callee[i], want[i]);
		CHECK_EQ_INT(after[i], want[i]);
	}
	restore_default(SIGUSR1);
}

static void sigtimedwait_takes_a_pending_signal(void)
{
	struct timespec ts = {1, 0}, short_ts = {0, 10 * 1000000};
	sigset_t set, old, pend;
	siginfo_t si;

	reset();
	install(SIGUSR1, record, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	memset(&si, 0, sizeof(si));
	CHECK_EQ_INT(sigtimedwait(&set, &si, &ts), SIGUSR1);
	CHECK_EQ_INT(si.si_signo, SIGUSR1);
	/* glibc's sigtimedwait folds the kernel's SI_TKILL into SI_USER... */
	CHECK_EQ_INT(si.si_code, SI_USER);
	CHECK_EQ_INT(si.si_pid, getpid());
	CHECK_EQ_INT(got_count, 0); /* taken, not handled */
	/* ... the system call itself reports SI_TKILL. */
	raise(SIGUSR1);
	memset(&si, 0, sizeof(si));
	CHECK_EQ_INT(syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8), SIGUSR1);
	CHECK_EQ_INT(si.si_code, SI_TKILL);
	CHECK_EQ_INT(si.si_pid, getpid());
	sigpending(&pend);
	CHECK_EQ_INT(sigismember(&pend, SIGUSR1), 0);
	CHECK_ERRNO(sigtimedwait(&set, &si, &short_ts), EAGAIN);
	CHECK_ERRNO(syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 4), EINVAL);
	short_ts.tv_nsec = 1000000000;
	CHECK_ERRNO(sigtimedwait(&set, &si, &short_ts), EINVAL);
	/* A zero timeout polls. */
	raise(SIGUSR1);
	short_ts.tv_nsec = 0;
	CHECK_EQ_INT(sigtimedwait(&set, NULL, &short_ts), SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ_INT(got_count, 0);
	restore_default(SIGUSR1);
}

static void resethand_and_nodefer(void)
{
	struct sigaction sa;

	reset();
	install(SIGUSR1, record, SA_RESETHAND);
	raise(SIGUSR1);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(sigaction(SIGUSR1, NULL, &sa), 0);
	CHECK(sa.sa_handler == SIG_DFL);
	/* SA_RESETHAND alone still blocks the signal in its handler. */
	CHECK_EQ_INT(got_blocked_self, 1);

	reset();
	install(SIGUSR1, record, SA_NODEFER);
	raise(SIGUSR1);
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(got_blocked_self, 0);
	restore_default(SIGUSR1);
}

/* Skips the 2-byte ud2 and hands back a value in RAX. */
static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	record(sig, si, ucv);
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static void handler_edits_ucontext_to_skip_ud2(void)
{
	long rax = 0, rbx = 0x5a5a5a5a5a5aL;

	reset();
	install(SIGILL, skip_ud2, 0);
	__asm__ volatile("ud2" : "+a"(rax), "+b"(rbx));
	CHECK_EQ_INT(got_count, 1);
	CHECK_EQ_INT(rax, 1234);
	/* The other registers come back as they were. */
	CHECK_EQ_INT(rbx, 0x5a5a5a5a5a5aL);
	restore_default(SIGILL);
}

static int restart_pipe[2];

static void write_to_pipe(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	if (write(restart_pipe[1], "s", 1) != 1)
		got_count = -100;
}

static void set_timer_ms(int ms, int repeat_ms)
{
	struct itimerval it = {{0, repeat_ms * 1000}, {0, ms * 1000}};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void sa_restart_decides_eintr(void)
{
	char c;

	CHECK_EQ_INT(pipe(restart_pipe), 0);
	/* Without SA_RESTART a blocked read ends with EINTR... */
	reset();
	install(SIGALRM, record, 0);
	set_timer_ms(20, 20);
	CHECK_ERRNO(read(restart_pipe[0], &c, 1), EINTR);
	set_timer_ms(0, 0);
	CHECK(got_count >= 1);
	/* ... with it the read goes on and sees what the handler wrote. */
	reset();
	install(SIGALRM, write_to_pipe, SA_RESTART);
	set_timer_ms(20, 0);
	CHECK_EQ_INT(read(restart_pipe[0], &c, 1), 1);
	CHECK_EQ_INT(c, 's');
	CHECK_EQ_INT(got_count, 1);
	close(restart_pipe[0]);
	close(restart_pipe[1]);
	restore_default(SIGALRM);
}

static void itimer_ends_pause_and_sigsuspend(void)
{
	struct timespec t0, t1;
	sigset_t set, old, empty;
	long long ms;
	int r;

	reset();
	install(SIGALRM, record, 0);
	/* Repeating, so that pause() cannot miss it and hang. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_timer_ms(50, 50);
	r = pause();
	set_timer_ms(0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(errno, EINTR);
	CHECK(got_count >= 1);
	CHECK_EQ_INT(got_signo, SIGALRM);
	CHECK_EQ_INT(got_code, SI_KERNEL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 49);

	/* The race-free form: block, arm, then sigsuspend. */
	reset();
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	set_timer_ms(50, 0);
	sigemptyset(&empty);
	r = sigsuspend(&empty);
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(errno, EINTR);
	CHECK_EQ_INT(got_count, 1);
	/* sigsuspend restored the mask: SIGALRM is blocked again. */
	sigprocmask(SIG_BLOCK, NULL, &set);
	CHECK_EQ_INT(sigismember(&set, SIGALRM), 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	restore_default(SIGALRM);
}

int main(void)
{
	abi_init("signals");
	ABI_RUN(raise_delivers_siginfo);
	ABI_RUN(blocked_signal_pends_until_unblocked);
	ABI_RUN(sigaltstack_runs_handler_there);
	ABI_RUN(null_write_gives_sigsegv);
	ABI_RUN(divide_by_zero_gives_sigfpe);
	ABI_RUN(ud2_gives_sigill);
	ABI_RUN(int3_gives_sigtrap_and_continues);
	ABI_RUN(kill_self_with_sigusr2);
	ABI_RUN(syscall_keeps_callee_saved_and_signal_sees_them);
	ABI_RUN(sigtimedwait_takes_a_pending_signal);
	ABI_RUN(resethand_and_nodefer);
	ABI_RUN(handler_edits_ucontext_to_skip_ud2);
	ABI_RUN(sa_restart_decides_eintr);
	ABI_RUN(itimer_ends_pause_and_sigsuspend);
	return abi_done();
}
