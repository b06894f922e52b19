/*
 * syslog (man 2 syslog, the kernel's log buffer, as dmesg reads it):
 * every action with Linux's checks (kernel/printk/printk.c's do_syslog).
 * The log is kernel/klog.c's ring; READ consumes from the syslog reader's
 * position, READ_ALL reads the last bytes since the last CLEAR, and the
 * console level decides whether kprintf's lines reach the console.
 */
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/signal.h"
#include "linux/sys.h"

#define SYSLOG_ACTION_CLOSE 0
#define SYSLOG_ACTION_OPEN 1
#define SYSLOG_ACTION_READ 2
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_READ_CLEAR 4
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_CONSOLE_OFF 6
#define SYSLOG_ACTION_CONSOLE_ON 7
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_UNREAD 9
#define SYSLOG_ACTION_SIZE_BUFFER 10
#define CAP_SYS_ADMIN 21
#define CAP_SYSLOG 34
#define READ_POLL_NS 10000000 /* a waiting READ looks again this often */

static struct mutex syslog_lock = MUTEX_INIT;
static uint64_t read_pos;    /* under syslog_lock: READ's position */
static uint64_t clear_pos;   /* under syslog_lock: READ_ALL starts here */
static int saved_level = -1; /* under syslog_lock: CONSOLE_OFF's */

/* Under syslog_lock: bytes from `from` (raised to what is kept) to the
 * end, at most n, copied out; the count, or -EFAULT. */
static long copy_out(long ubuf, uint64_t from, size_t n)
{
	char *tmp = malloc(n);
	long r;

	if (!tmp)
		return -ENOMEM;
	r = (long)klog_copy(tmp, from, n);
	if (r > 0 && copy_to_user(ubuf, tmp, (size_t)r))
		r = -EFAULT;
	free(tmp);
	return r;
}

static uint64_t oldest(uint64_t from)
{
	uint64_t end = klog_head();

	return end - from > klog_size() ? end - klog_size() : from;
}

/* READ: waits while nothing is unread (a signal ends the wait). */
static long do_read(long ubuf, size_t n)
{
	long r;

	mutex_lock(&syslog_lock);
	while (klog_head() == read_pos) {
		mutex_unlock(&syslog_lock);
		if (sleep_for_signal(clock_monotonic_ns() + READ_POLL_NS))
			return -ERESTARTSYS;
		mutex_lock(&syslog_lock);
	}
	read_pos = oldest(read_pos);
	r = copy_out(ubuf, read_pos, n);
	if (r > 0)
		read_pos += (uint64_t)r;
	mutex_unlock(&syslog_lock);
	return r;
}

/* Where the first whole line at or after `from` starts (end: none). */
static uint64_t line_start(uint64_t from, uint64_t end)
{
	char c;

	if (from == oldest(clear_pos))
		return from; /* the first byte kept opens a line */
	while (from < end && klog_copy(&c, from - 1, 1) == 1 && c != '\n')
		from++;
	return from;
}

/* READ_ALL: the last whole lines that fit in n bytes, since the last
 * CLEAR (Linux copies whole records). */
static long read_all(long ubuf, size_t n, bool clear)
{
	long r;

	mutex_lock(&syslog_lock);
	uint64_t end = klog_head(), from = oldest(clear_pos);
	if (end - from > n)
		from = line_start(end - n, end);
	r = copy_out(ubuf, from, (size_t)(end - from));
	if (clear && r >= 0)
		clear_pos = end;
	mutex_unlock(&syslog_lock);
	return r;
}

static long console(int type, long level)
{
	mutex_lock(&syslog_lock);
	if (type == SYSLOG_ACTION_CONSOLE_OFF && saved_level < 0)
		saved_level = klog_set_console_level(1);
	else if (type == SYSLOG_ACTION_CONSOLE_ON && saved_level >= 0) {
		klog_set_console_level(saved_level);
		saved_level = -1;
	} else if (type == SYSLOG_ACTION_CONSOLE_LEVEL) {
		klog_set_console_level((int)level);
		saved_level = -1;
	}
	mutex_unlock(&syslog_lock);
	return 0;
}

static long size_unread(void)
{
	mutex_lock(&syslog_lock);
	long n = (long)(klog_head() - oldest(read_pos));
	mutex_unlock(&syslog_lock);
	return n;
}

static bool restricted(int type)
{
	return type != SYSLOG_ACTION_READ_ALL &&
	       type != SYSLOG_ACTION_SIZE_BUFFER;
}

long sys_syslog(long type, long ubuf, long len, long d, long e, long g)
{
	int t = (int)type, n = (int)len;

	if (restricted(t) && !cred_capable(CAP_SYSLOG) &&
	    !cred_capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (t) {
	case SYSLOG_ACTION_CLOSE:
	case SYSLOG_ACTION_OPEN:
		return 0;
	case SYSLOG_ACTION_READ:
	case SYSLOG_ACTION_READ_ALL:
	case SYSLOG_ACTION_READ_CLEAR:
		if (!ubuf || n < 0)
			return -EINVAL;
		if (!n)
			return 0;
		if (!user_range_ok((uint64_t)ubuf, (size_t)n))
			return -EFAULT;
		return t == SYSLOG_ACTION_READ
			   ? do_read(ubuf, (size_t)n)
			   : read_all(ubuf, (size_t)n,
				      t == SYSLOG_ACTION_READ_CLEAR);
	case SYSLOG_ACTION_CLEAR:
		mutex_lock(&syslog_lock);
		clear_pos = klog_head();
		mutex_unlock(&syslog_lock);
		return 0;
	case SYSLOG_ACTION_CONSOLE_LEVEL:
		if (n < 1 || n > 8)
			return -EINVAL;
		/* fallthrough */
	case SYSLOG_ACTION_CONSOLE_OFF:
	case SYSLOG_ACTION_CONSOLE_ON:
		return console(t, n);
	case SYSLOG_ACTION_SIZE_UNREAD:
		return size_unread();
	case SYSLOG_ACTION_SIZE_BUFFER:
		return (long)klog_size();
	default:
		return -EINVAL;
	}
}
