/*
 * Booting the image under QEMU, with the command line tools/qemu-run
 * uses, and reading the application's exit status back.
 *
 * The kernel reports the status as a line "osprey-exit N" on the Bochs
 * debug console (port 0xe9), which QEMU writes to a temporary file, and
 * then leaves through isa-debug-exit; QEMU's own exit code is not the
 * status. Other lines there ("osprey-missing system call rseq") are shown
 * with -v. QEMU's monitor listens on a socket beside it: SIGUSR1 to this
 * command, and the timeout, send an NMI there, and the kernel prints its
 * state (every CPU and thread, with backtraces) on the console. QEMU
 * runs without a shell (fork and exec); its stdin is /dev/null and its
 * stdout, the serial console (the kernel's own messages), is our stderr,
 * while the program's streams are copied through virtio-console ports
 * (stdio.c). A terminal on stdin is in raw mode while the VM runs
 * (stdio.c) and is put back at every exit, even if QEMU was killed.
 *
 * Accelerator (DESIGN.md section 9): KVM only when /dev/kvm is writable
 * and /proc/cpuinfo lists vmx or svm; otherwise TCG, multi-threaded when
 * there is more than one CPU.
 */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define DEBUGCON_MAX (1 << 20) /* read at most this much of the log */
#define EXIT_TIMEOUT 124
#define DUMP_S 3 /* for the kernel's state dump, before the end at a timeout */

static volatile sig_atomic_t alarm_pid, timed_out, dumped;
/* QEMU's monitor socket: an NMI there makes the kernel print its state. */
static struct sockaddr_un monitor_addr;

/*
 * Reads the monitor's replies until its prompt has come twice (after its
 * banner, and after our command), or for MONITOR_WAIT_MS: QEMU may drop
 * a command whose connection closed before it read it.
 */
#define MONITOR_WAIT_MS 2000
static void wait_for_prompts(int fd)
{
	char buf[256];
	int prompts = 0, waited = 0, matched = 0;
	static const char prompt[] = "(qemu) ";

	while (prompts < 2 && waited < MONITOR_WAIT_MS) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0) {
			waited += 100;
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			matched = buf[i] == prompt[matched] ? matched + 1
				  : buf[i] == prompt[0]	     ? 1
							     : 0;
			if (matched == (int)sizeof(prompt) - 1) {
				prompts++;
				matched = 0;
			}
		}
	}
}

/* From signal handlers: only async-signal-safe calls. */
static void ask_for_state_dump(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&monitor_addr,
		    sizeof(monitor_addr)) == 0 &&
	    write(fd, "nmi\n", 4) == 4)
		wait_for_prompts(fd);
	close(fd);
}

/* SIGUSR1: the state dump, and the program runs on. */
static void on_usr1(int sig)
{
	(void)sig;
	if (alarm_pid > 0)
		ask_for_state_dump();
}

static bool cpu_has_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save, *word;

		if (strncmp(line, "flags", 5))
			continue;
		for (word = strtok_r(line, " \t\n", &save); word;
		     word = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(word, "vmx") || !strcmp(word, "svm"))
				found = true;
	}
	fclose(f);
	return found;
}

static bool hw_virt(void)
{
	return access("/dev/kvm", W_OK) == 0 && cpu_has_virt();
}

static enum accel choose_accel(const struct vm_options *opt)
{
	enum accel a = opt->accel;
	const char *why = "asked for";

	if (a == ACCEL_AUTO && hw_virt()) {
		a = ACCEL_KVM;
		why = "/dev/kvm with hardware virtualization";
	} else if (a == ACCEL_AUTO) {
		a = ACCEL_TCG;
		why = "no vmx/svm: /dev/kvm, if present, is not hardware "
		      "virtualization";
	} else if (a == ACCEL_KVM && !hw_virt()) {
		fail(FAIL_USAGE, "--kvm: no usable /dev/kvm with vmx/svm");
	}
	note("%s, %s (%s)", opt->machine, a == ACCEL_KVM ? "kvm" : "tcg", why);
	return a;
}

/* QEMU's option syntax doubles a comma inside a value. */
static char *qemu_escape(const char *s)
{
	struct strbuf sb = {0};

	sb_add(&sb, "", 0);
	for (; *s; s++) {
		if (*s == ',')
			sb_puts(&sb, ",,");
		else
			sb_add(&sb, s, 1);
	}
	return sb.s;
}

static char **qemu_argv(const struct vm_options *opt, const char *debugcon,
			const struct stdio_relay *io)
{
	const char *qemu = getenv("OSPREY_QEMU");
	enum accel accel = choose_accel(opt);
	size_t ndisks = opt->disks ? opt->disks->n : 0;
	size_t nshares = opt->shares ? opt->shares->n : 0;
	char **v = xcalloc(48 + STDIO_QEMU_ARGS + NET_QEMU_ARGS +
			       DISK_QEMU_ARGS * ndisks + 2 +
			       SHARE_QEMU_ARGS * nshares + 2,
			   sizeof(char *));
	int n = 0;

	v[n++] = (char *)(qemu && *qemu ? qemu : "qemu-system-x86_64");
	v[n++] = "-M";
	v[n++] = (char *)opt->machine;
	if (accel == ACCEL_KVM) {
		v[n++] = "-enable-kvm";
		v[n++] = "-cpu";
		v[n++] = "host";
	} else {
		v[n++] = "-accel";
		v[n++] = opt->cpus > 1 ? "tcg,thread=multi" : "tcg";
		v[n++] = "-cpu";
		v[n++] = "max";
	}
	v[n++] = "-smp";
	v[n++] = xasprintf("%u", opt->cpus);
	v[n++] = "-m";
	v[n++] = xasprintf("%u", opt->mem_mb);
	v[n++] = "-nographic";
	v[n++] = "-nodefaults";
	v[n++] = "-no-reboot";
	v[n++] = "-serial";
	v[n++] = "stdio";
	v[n++] = "-device";
	v[n++] = "isa-debug-exit,iobase=0xf4,iosize=4";
	v[n++] = "-chardev";
	v[n++] = xasprintf("socket,id=mon,path=%s,server=on,wait=off",
			   qemu_escape(monitor_addr.sun_path));
	v[n++] = "-mon";
	v[n++] = "chardev=mon,mode=readline";
	v[n++] = "-chardev";
	v[n++] = xasprintf("file,id=dbg,path=%s", qemu_escape(debugcon));
	v[n++] = "-device";
	v[n++] = "isa-debugcon,iobase=0xe9,chardev=dbg";
	v[n++] = "-kernel";
	v[n++] = (char *)opt->kernel;
	if (opt->image) {
		v[n++] = "-initrd";
		v[n++] = (char *)opt->image;
	}
	v[n++] = "-append";
	v[n++] = (char *)opt->cmdline;
	n = stdio_qemu_args(io, opt->machine, v, n);
	n = net_qemu_args(opt->net, opt->machine, opt->cpus, v, n);
	if (opt->disks)
		n = disk_qemu_args(opt->disks, opt->machine, v, n);
	if (opt->shares)
		n = share_qemu_args(opt->shares, opt->machine, v, n);
	v[n] = NULL;
	return v;
}

/* SIGALRM at the timeout: the state dump, SIGTERM to QEMU DUMP_S later,
 * and SIGKILL 5 s after that. */
static void on_alarm(int sig)
{
	(void)sig;
	if (alarm_pid <= 0)
		return;
	if (!dumped) {
		dumped = 1;
		timed_out = 1;
		ask_for_state_dump();
		alarm(DUMP_S);
		return;
	}
	kill(alarm_pid, timed_out == 2 ? SIGKILL : SIGTERM);
	timed_out = 2;
	alarm(5);
}

static void child(char **argv, int report_fd, const struct stdio_relay *io)
{
	int e;

	stdio_child(io);
	execvp(argv[0], argv);
	e = errno;
	if (write(report_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Starts QEMU; fails if it could not be executed. */
static pid_t start(char **argv, struct stdio_relay *io)
{
	int pipefd[2], e;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		fail(FAIL_OTHER, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail(FAIL_OTHER, "fork: %s", strerror(errno));
	if (pid == 0)
		child(argv, pipefd[1], io);
	cleanup_set_child(pid);
	stdio_parent(io);
	alarm_pid = pid;
	close(pipefd[1]);
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		cleanup_set_child(0);
		fail(FAIL_OTHER, "cannot run %s: %s", argv[0], strerror(e));
	}
	return pid;
}

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail(FAIL_OTHER, "waitpid: %s", strerror(errno));
	cleanup_set_child(0);
	alarm_pid = 0;
	alarm(0);
	return status;
}

/* A line from the guest, made safe for the terminal. */
static void tidy(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The last "osprey-exit N" (N in 0..255), or -1; other lines with -v. */
static int read_debugcon(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int status = -1;

	if (!f)
		return -1;
	while (total < DEBUGCON_MAX && (n = getline(&line, &cap, f)) > 0) {
		total += n;
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "osprey-exit ", 12)) {
			char *end;
			long v = strtol(line + 12, &end, 10);

			if (end != line + 12 && !*end && v >= 0 && v <= 255)
				status = v;
			continue;
		}
		tidy(line);
		if (!strncmp(line, "osprey-missing ", 15))
			note("missing: %s", line + 15);
		else if (*line)
			note("debug console: %s", line);
	}
	free(line);
	fclose(f);
	return status;
}

void vm_signals_init(void)
{
	struct sigaction usr1 = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};

	sigemptyset(&usr1.sa_mask);
	sigaction(SIGUSR1, &usr1, NULL);
}

int vm_run(const struct vm_options *opt)
{
	const char *debugcon = tmpfile_make("osprey-debugcon");
	const char *monitor = tmpfile_make("osprey-monitor");
	struct sigaction sa = {.sa_handler = on_alarm};
	struct stdio_relay io;
	int status, app, sig;
	bool escaped;
	char **argv;
	pid_t pid;

	if (strlen(monitor) >= sizeof(monitor_addr.sun_path))
		fail(FAIL_OTHER, "%s: too long for a socket path", monitor);
	monitor_addr.sun_family = AF_UNIX;
	strcpy(monitor_addr.sun_path, monitor);
	stdio_prepare(&io);
	argv = qemu_argv(opt, debugcon, &io);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	pid = start(argv, &io);
	if (opt->timeout_s)
		alarm(opt->timeout_s);
	stdio_raw(&io);
	escaped = stdio_relay(&io, pid);
	status = wait_for(pid);
	stdio_restore(&io);
	if (escaped) {
		fprintf(stderr, "\nosprey: stopped by Ctrl-]\n");
		exit(STDIO_ESCAPE_EXIT);
	}
	sig = cleanup_signal();
	if (sig)
		cleanup_die(sig);
	if (timed_out) {
		fprintf(stderr, "osprey: timed out after %u s\n",
			opt->timeout_s);
		exit(EXIT_TIMEOUT);
	}
	app = read_debugcon(debugcon);
	if (app >= 0)
		return app;
	if (WIFSIGNALED(status))
		fail(FAIL_OTHER, "QEMU was killed by signal %d",
		     WTERMSIG(status));
	fail(FAIL_OTHER,
	     "the VM ended without an exit status (QEMU exit code %d)",
	     WEXITSTATUS(status));
}
