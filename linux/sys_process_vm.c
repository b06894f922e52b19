/*
 * process_vm_readv and process_vm_writev (man 2 process_vm_readv): copies
 * between the caller's memory and another process's, described by two
 * iovec arrays walked side by side.
 *
 * Each process has its own lower half, so the other process's memory is
 * not mapped while the caller runs. The copy goes through a kernel page
 * (the upper half is shared by every address space): the caller's bytes
 * are copied into it, the calling thread moves to the other address space
 * (sched_switch_as: its page table is loaded here, and a switch away and
 * back reloads it, since the thread's `as` says which one), copies there,
 * and moves back. Faults in the other space are resolved by the ordinary
 * fault path as if that process had touched the page (demand paging, copy
 * on write), and one that cannot be resolved ends the copy with EFAULT
 * (a write to a read-only page included: Linux does not force either).
 * A reference to the address space keeps it while the copy runs, even if
 * the process exits meanwhile.
 *
 * As Linux: both arrays are read and checked first (EINVAL for more than
 * IOV_MAX elements, a length past SSIZE_MAX or unknown flags, EFAULT for
 * an array that cannot be read), then the process is looked up (ESRCH,
 * also for a zombie, which has no memory). The copy stops at the first
 * page that cannot be copied, so a partial transfer ends on a page
 * boundary of the remote range or where the local range faults; the
 * result is the bytes copied, or the error if there were none.
 *
 * Permission: Linux asks for ptrace access with the real credentials:
 * every uid and gid of the target's (its thread `pid`) the caller's real
 * one, or CAP_SYS_PTRACE (cred_may_ptrace); else EPERM. Its own process
 * always. (No dumpable flag or Yama: Osprey has no set-user-id exec.)
 */
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/sys.h"

#define IOV_MAX 1024 /* as sys_fs.c: Linux's UIO_MAXIOV */

struct iovec_pv {
	uint64_t base, len;
};

/* One side of the copy: an iovec array and where the walk is in it. */
struct pv_side {
	struct iovec_pv *iov;
	long n, i;
	uint64_t off; /* within iov[i] */
};

/* Copies and checks an iovec array: its total length, or an error. */
static long iov_in(long uiov, long n, struct iovec_pv **out)
{
	uint64_t total = 0;

	*out = NULL;
	if (!n)
		return 0;
	struct iovec_pv *v = malloc((size_t)n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (copy_from_user(v, (uint64_t)uiov, (size_t)n * sizeof(*v))) {
		free(v);
		return -EFAULT;
	}
	for (long i = 0; i < n; i++) {
		if (v[i].len > (uint64_t)INT64_MAX - total) {
			free(v);
			return -EINVAL;
		}
		total += v[i].len;
	}
	*out = v;
	return (long)total;
}

/* Skips empty elements: false when the side is used up. */
static bool side_ready(struct pv_side *s)
{
	while (s->i < s->n && s->off == s->iov[s->i].len) {
		s->i++;
		s->off = 0;
	}
	return s->i < s->n;
}

static uint64_t side_addr(const struct pv_side *s)
{
	return s->iov[s->i].base + s->off;
}

static uint64_t side_left(const struct pv_side *s)
{
	return s->iov[s->i].len - s->off;
}

/* Copies n bytes between buf and addr in address space `as`. */
static int remote_copy(struct as *as, uint64_t addr, void *buf, size_t n,
		       bool write)
{
	struct as *mine = current_thread()->as;
	int r;

	if (as != mine)
		sched_switch_as(as);
	r = write ? copy_to_user(addr, buf, n) : copy_from_user(buf, addr, n);
	if (as != mine)
		sched_switch_as(mine);
	return r;
}

/* One chunk: within one remote page, one local element and the buffer. */
static long pv_step(struct as *as, struct pv_side *loc, struct pv_side *rem,
		    char *buf, bool write)
{
	uint64_t raddr = side_addr(rem), laddr = side_addr(loc);
	size_t n = PAGE_SIZE - (raddr & (PAGE_SIZE - 1));

	n = MIN(n, MIN(side_left(loc), side_left(rem)));
	if (write && copy_from_user(buf, laddr, n))
		return -EFAULT;
	if (remote_copy(as, raddr, buf, n, write))
		return -EFAULT;
	if (!write && copy_to_user(laddr, buf, n))
		return -EFAULT;
	loc->off += n;
	rem->off += n;
	return (long)n;
}

static long pv_copy(struct as *as, struct pv_side *loc, struct pv_side *rem,
		    bool write)
{
	char *buf = page_alloc(0);
	long total = 0, r = 0;

	if (!buf)
		return -ENOMEM;
	while (side_ready(loc) && side_ready(rem)) {
		r = pv_step(as, loc, rem, buf, write);
		if (r < 0)
			break;
		total += r;
	}
	page_free(buf, 0);
	return total ? total : r;
}

/* The process that thread (or process) id `pid` belongs to, if the
 * caller may reach its memory: its pid, -ESRCH or -EPERM. */
static int pv_pid(long pid)
{
	int found = -ESRCH;

	if (pid <= 0 || pid > INT32_MAX)
		return -ESRCH;
	rcu_read_lock();
	struct thread *t = process_find_thread((int)pid);
	struct process *p = t ? (t->proc ? t->proc : &first_process) : NULL;
	if (p)
		found = p == current_process() || cred_may_ptrace(t) ? p->pid
								     : -EPERM;
	rcu_read_unlock();
	return found;
}

static long process_vm(long pid, long lvec, long liovcnt, long rvec,
		       long riovcnt, long flags, bool write)
{
	struct pv_side loc = {.n = liovcnt}, rem = {.n = riovcnt};
	struct process snap;
	struct as *as;
	long r, rlen;

	if (flags || liovcnt < 0 || liovcnt > IOV_MAX || riovcnt < 0 ||
	    riovcnt > IOV_MAX)
		return -EINVAL;
	r = iov_in(lvec, liovcnt, &loc.iov);
	if (r < 0)
		return r;
	rlen = iov_in(rvec, riovcnt, &rem.iov);
	if (rlen < 0 || !r || !rlen) {
		r = rlen < 0 ? rlen : 0;
		goto out_free;
	}
	r = pv_pid(pid);
	if (r > 0)
		r = process_hold_as((int)r, &snap, &as);
	if (r < 0)
		goto out_free;
	r = pv_copy(as, &loc, &rem, write);
	as_put(as);
out_free:
	free(loc.iov);
	free(rem.iov);
	return r;
}

long sys_process_vm_readv(long pid, long lvec, long liovcnt, long rvec,
			  long riovcnt, long flags)
{
	return process_vm(pid, lvec, liovcnt, rvec, riovcnt, flags, false);
}

long sys_process_vm_writev(long pid, long lvec, long liovcnt, long rvec,
			   long riovcnt, long flags)
{
	return process_vm(pid, lvec, liovcnt, rvec, riovcnt, flags, true);
}
