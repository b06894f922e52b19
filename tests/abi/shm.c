/*
 * System V shared memory (shmget, shmat, shmdt, shmctl): private and keyed
 * segments, IPC_CREAT/IPC_EXCL, the attach count across attaches and fork,
 * a segment removed while attached living until the last detach,
 * SHM_RDONLY, shmat at an address (SHM_RND, SHM_REMAP), IPC_SET, the
 * errors Linux gives, and /proc/sysvipc/shm.
 */
#include "common.h"

#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define KEY1 0x05e1f001
#define KEY2 0x05e1f002
#define KEY3 0x05e1f003

static struct shmid_ds stat_of(int id)
{
	struct shmid_ds ds;

	memset(&ds, 0xa5, sizeof(ds));
	if (shmctl(id, IPC_STAT, &ds))
		memset(&ds, 0, sizeof(ds));
	return ds;
}

/* Removes what an earlier, interrupted run left under our keys. */
static void forget(key_t key)
{
	int id = shmget(key, 0, 0);

	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
}

static void private_segment(void)
{
	int id = shmget(IPC_PRIVATE, 10000, 0600);

	if (!CHECK(id >= 0))
		return;
	struct shmid_ds ds = stat_of(id);
	CHECK_EQ_INT((long)ds.shm_segsz, 10000);
	CHECK_EQ_INT(ds.shm_perm.mode & 0777, 0600);
	CHECK_EQ_INT(ds.shm_perm.__key, IPC_PRIVATE);
	CHECK_EQ_INT((long)ds.shm_nattch, 0);
	CHECK_EQ_INT(ds.shm_cpid, getpid());
	CHECK_EQ_INT(ds.shm_perm.cuid, geteuid());
	CHECK_EQ_INT((long)ds.shm_atime, 0);
	CHECK(ds.shm_ctime > 0);
	char *a = shmat(id, NULL, 0);
	char *b = shmat(id, NULL, 0);
	if (!CHECK(a != (char *)-1 && b != (char *)-1))
		return;
	CHECK(a != b);
	CHECK_EQ_INT(a[9999], 0); /* zero-filled */
	strcpy(a + 8192, "shared");
	CHECK_EQ_STR(b + 8192, "shared");
	ds = stat_of(id);
	CHECK_EQ_INT((long)ds.shm_nattch, 2);
	CHECK_EQ_INT(ds.shm_lpid, getpid());
	CHECK(ds.shm_atime > 0);
	CHECK_EQ_INT(shmdt(a), 0);
	CHECK_EQ_INT((long)stat_of(id).shm_nattch, 1);
	CHECK_EQ_INT(shmdt(b), 0);
	CHECK_EQ_INT((long)stat_of(id).shm_nattch, 0);
	CHECK_ERRNO(shmdt(b), EINVAL); /* nothing there any more */
	CHECK_EQ_INT(shmctl(id, IPC_RMID, NULL), 0);
	CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
	/* Two private segments are two segments. */
	int x = shmget(IPC_PRIVATE, 4096, 0600),
	    y = shmget(IPC_PRIVATE, 4096, 0600);
	CHECK(x >= 0 && y >= 0 && x != y);
	shmctl(x, IPC_RMID, NULL);
	shmctl(y, IPC_RMID, NULL);
}

static void keys(void)
{
	forget(KEY1);
	forget(KEY2);
	CHECK_ERRNO(shmget(KEY1, 4096, 0600), ENOENT);
	int id = shmget(KEY1, 8192, IPC_CREAT | IPC_EXCL | 0640);
	if (!CHECK(id >= 0))
		return;
	CHECK_EQ_INT(stat_of(id).shm_perm.__key, KEY1);
	CHECK_ERRNO(shmget(KEY1, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ_INT(shmget(KEY1, 4096, 0600), id);
	CHECK_EQ_INT(shmget(KEY1, 0, 0), id);
	CHECK_EQ_INT(shmget(KEY1, 8192, IPC_CREAT | 0600), id);
	CHECK_ERRNO(shmget(KEY1, 8193, 0600), EINVAL); /* larger than it */
	CHECK_ERRNO(shmget(KEY2, 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	CHECK_ERRNO(shmget(KEY2, 1ul << 62, IPC_CREAT | 0600), ENOMEM);
	CHECK_ERRNO(shmget(KEY2, 4096, 0), ENOENT);
	CHECK_EQ_INT(shmctl(id, IPC_RMID, NULL), 0);
	CHECK_ERRNO(shmget(KEY1, 4096, 0600), ENOENT);
}

static void removed_while_attached(void)
{
	forget(KEY3);
	int id = shmget(KEY3, 4096, IPC_CREAT | 0600);
	if (!CHECK(id >= 0))
		return;
	char *p = shmat(id, NULL, 0);
	if (!CHECK(p != (char *)-1))
		return;
	strcpy(p, "still here");
	CHECK_EQ_INT(shmctl(id, IPC_RMID, NULL), 0);
	struct shmid_ds ds = stat_of(id);
	CHECK(ds.shm_perm.mode & SHM_DEST);
	CHECK_EQ_INT(ds.shm_perm.__key, IPC_PRIVATE);
	CHECK_EQ_INT((long)ds.shm_nattch, 1);
	CHECK_ERRNO(shmget(KEY3, 4096, 0600), ENOENT); /* the key is free */
	int again = shmget(KEY3, 4096, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(again >= 0 && again != id);
	shmctl(again, IPC_RMID, NULL);
	CHECK_EQ_STR(p, "still here");
	p[100] = 'x';
	CHECK_EQ_INT(p[100], 'x');
	CHECK_EQ_INT(shmdt(p), 0);
	CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL); /* gone with it */
}

static void fork_shares_and_counts(void)
{
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	char *p = shmat(id, NULL, 0);
	if (!CHECK(id >= 0 && p != (char *)-1))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		struct shmid_ds ds;
		int ok = shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 2;
		strcpy(p, "from the child");
		_exit(ok ? 0 : 3);
	}
	int status = -1;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(status, 0); /* the child saw two attaches */
	CHECK_EQ_STR(p, "from the child");
	CHECK_EQ_INT((long)stat_of(id).shm_nattch, 1); /* its exit detached */
	shmdt(p);
	shmctl(id, IPC_RMID, NULL);
}

static void read_only(void)
{
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	char *w = shmat(id, NULL, 0);
	char *r = shmat(id, NULL, SHM_RDONLY);
	if (!CHECK(id >= 0 && w != (char *)-1 && r != (char *)-1))
		return;
	w[0] = 'w';
	CHECK_EQ_INT(r[0], 'w');
	pid_t pid = fork();
	if (pid == 0) {
		r[1] = 'x'; /* must fault */
		_exit(0);
	}
	int status = 0;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ_INT(WTERMSIG(status), SIGSEGV);
	shmdt(w);
	shmdt(r);
	shmctl(id, IPC_RMID, NULL);
}

static void at_an_address(void)
{
	int id = shmget(IPC_PRIVATE, 8192, 0600);
	char *hole =
	    mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(id >= 0 && hole != MAP_FAILED))
		return;
	/* Over a mapping: EINVAL, unless SHM_REMAP. */
	CHECK_ERRNO((long)shmat(id, hole, 0), EINVAL);
	char *p = shmat(id, hole, SHM_REMAP);
	CHECK(p == hole);
	CHECK_EQ_INT(shmdt(p), 0);
	munmap(hole, 4 * 4096);
	CHECK_ERRNO((long)shmat(id, hole + 100, 0), EINVAL); /* unaligned */
	p = shmat(id, hole + 100, SHM_RND);
	CHECK(p == hole);
	if (p != (char *)-1) {
		p[0] = 1;
		CHECK_ERRNO(shmdt(p + 4096), EINVAL); /* not its start */
		CHECK_ERRNO(shmdt(p + 1), EINVAL);
		CHECK_EQ_INT(shmdt(p), 0);
	}
	shmctl(id, IPC_RMID, NULL);
}

static void set_and_errors(void)
{
	struct shmid_ds ds;
	int id = shmget(IPC_PRIVATE, 4096, 0600);

	if (!CHECK(id >= 0))
		return;
	ds = stat_of(id);
	ds.shm_perm.mode = 0644;
	CHECK_EQ_INT(shmctl(id, IPC_SET, &ds), 0);
	CHECK_EQ_INT(stat_of(id).shm_perm.mode & 0777, 0644);
	CHECK_ERRNO((long)shmat(-1, NULL, 0), EINVAL);
	CHECK_ERRNO((long)shmat(id + 1, NULL, 0), EINVAL);
	CHECK_ERRNO(shmctl(id, 1000, &ds), EINVAL);
	CHECK_ERRNO(shmctl(-1, IPC_STAT, &ds), EINVAL);
	CHECK_ERRNO(shmctl(id, IPC_STAT, (void *)1), EFAULT);
	CHECK_ERRNO(shmdt((void *)0x1000), EINVAL);
	void *anon =
	    mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_ERRNO(shmdt(anon), EINVAL); /* not a segment */
	munmap(anon, 4096);
	struct shminfo info;
	CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0);
	CHECK_EQ_INT((long)info.shmmni, 4096);
	CHECK_EQ_INT((long)info.shmmin, 1);
	/* Another user is refused what the mode does not grant. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		struct shmid_ds d;
		int ok = shmat(id, NULL, 0) == (void *)-1 && errno == EACCES &&
			 shmat(id, NULL, SHM_RDONLY) != (void *)-1 &&
			 shmctl(id, IPC_RMID, NULL) == -1 && errno == EPERM &&
			 shmctl(id, IPC_STAT, &d) == 0;
		_exit(ok ? 0 : 3);
	}
	int status = -1;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(status, 0);
	shmctl(id, IPC_RMID, NULL);
}

static void proc_sysvipc(void)
{
	char buf[8192], want[64];
	int id = shmget(IPC_PRIVATE, 12345, 0600);
	FILE *f = fopen("/proc/sysvipc/shm", "r");

	if (!CHECK(id >= 0 && f))
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	CHECK(strncmp(buf, "       key      shmid perms", 27) == 0);
	snprintf(want, sizeof(want), "%10d %10d  %4o %21d ", 0, id, 0600,
		 12345);
	CHECK(strstr(buf, want) != NULL);
	shmctl(id, IPC_RMID, NULL);
}

int main(void)
{
	abi_init("shm");
	ABI_RUN(private_segment);
	ABI_RUN(keys);
	ABI_RUN(removed_while_attached);
	ABI_RUN(fork_shares_and_counts);
	ABI_RUN(read_only);
	ABI_RUN(at_an_address);
	ABI_RUN(set_and_errors);
	ABI_RUN(proc_sysvipc);
	return abi_done();
}
