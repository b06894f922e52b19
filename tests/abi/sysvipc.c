/*
 * System V semaphores (semget, semop, semtimedop, semctl) and message
 * queues (msgget, msgsnd, msgrcv, msgctl): values and their commands,
 * all-or-nothing operations, waiting across fork (GETNCNT, GETZCNT),
 * SEM_UNDO applied at exit, removal waking waiters with EIDRM, EINTR
 * for a handled signal even under SA_RESTART, message types, MSG_EXCEPT,
 * MSG_NOERROR, IPC_NOWAIT, queue limits, the errors Linux gives and
 * /proc/sysvipc/{sem,msg}.
 */
#include "common.h"

#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>

#define SKEY 0x05e1a001
#define MKEY 0x05e1a002

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct mbuf {
	long type;
	char text[64];
};

static int sem_op(int id, int num, int op, int flg)
{
	struct sembuf b = {(unsigned short)num, (short)op, (short)flg};

	return semop(id, &b, 1);
}

static int getval(int id, int num)
{
	return semctl(id, num, GETVAL);
}

static int setval(int id, int num, int v)
{
	return semctl(id, num, SETVAL, (union semun){.val = v});
}

/* Waits (at most 5 s) until semctl(id, num, cmd) returns want. */
static int wait_count(int id, int num, int cmd, int want)
{
	for (int i = 0; i < 5000; i++) {
		int n = semctl(id, num, cmd);
		if (n == want)
			return n;
		usleep(1000);
	}
	return semctl(id, num, cmd);
}

static int child_status(pid_t pid)
{
	int status = -1;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void forget(void)
{
	int id = semget(SKEY, 0, 0);

	if (id >= 0)
		semctl(id, 0, IPC_RMID);
	id = msgget(MKEY, 0);
	if (id >= 0)
		msgctl(id, IPC_RMID, NULL);
}

static void sem_values(void)
{
	int id = semget(IPC_PRIVATE, 3, 0600);
	unsigned short all[3] = {1, 2, 3}, got[3] = {0};
	struct semid_ds ds;

	if (!CHECK(id >= 0))
		return;
	CHECK_EQ_INT(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	CHECK_EQ_INT((long)ds.sem_nsems, 3);
	CHECK_EQ_INT(ds.sem_perm.mode & 0777, 0600);
	CHECK_EQ_INT((long)ds.sem_otime, 0);
	CHECK(ds.sem_ctime > 0);
	CHECK_EQ_INT(getval(id, 2), 0);
	CHECK_EQ_INT(setval(id, 1, 5), 0);
	CHECK_EQ_INT(getval(id, 1), 5);
	CHECK_EQ_INT(semctl(id, 1, GETPID), getpid());
	CHECK_EQ_INT(semctl(id, 0, SETALL, (union semun){.array = all}), 0);
	CHECK_EQ_INT(semctl(id, 0, GETALL, (union semun){.array = got}), 0);
	CHECK_EQ_MEM(got, all, sizeof(all));
	struct sembuf two[2] = {{0, -1, 0}, {2, 2, 0}};
	CHECK_EQ_INT(semop(id, two, 2), 0);
	CHECK_EQ_INT(getval(id, 0), 0);
	CHECK_EQ_INT(getval(id, 2), 5);
	CHECK_EQ_INT(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	CHECK(ds.sem_otime > 0);
	/* all or nothing: the second would block, so the first is undone */
	struct sembuf blocked[2] = {{1, 1, IPC_NOWAIT}, {0, -1, IPC_NOWAIT}};
	CHECK_ERRNO(semop(id, blocked, 2), EAGAIN);
	CHECK_EQ_INT(getval(id, 1), 2);
	/* wait-for-zero passes on zero, blocks otherwise */
	CHECK_EQ_INT(sem_op(id, 0, 0, 0), 0);
	CHECK_ERRNO(sem_op(id, 1, 0, IPC_NOWAIT), EAGAIN);
	struct timespec ts = {0, 20 * 1000 * 1000};
	struct sembuf dec = {0, -1, 0};
	CHECK_ERRNO(semtimedop(id, &dec, 1, &ts), EAGAIN);
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
	CHECK_ERRNO(getval(id, 0), EINVAL);
}

static void sem_errors(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);
	struct sembuf b = {0, 1, 0}, many[501];

	if (!CHECK(id >= 0))
		return;
	memset(many, 0, sizeof(many));
	CHECK_ERRNO(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, -1, 0600), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, 0, 0600), EINVAL);
	CHECK_ERRNO(semop(id, &b, 0), EINVAL);
	CHECK_ERRNO(semop(id, many, 501), E2BIG);
	CHECK_ERRNO(semop(id, (struct sembuf *)8, 1), EFAULT);
	CHECK_ERRNO(semop(-1, &b, 1), EINVAL);
	CHECK_ERRNO(semop(id + 1, &b, 1), EINVAL);
	CHECK_ERRNO(sem_op(id, 2, 1, 0), EFBIG);
	CHECK_ERRNO(setval(id, 0, 32768), ERANGE);
	CHECK_ERRNO(setval(id, 0, -1), ERANGE);
	CHECK_ERRNO(setval(id, 2, 1), EINVAL);
	CHECK_ERRNO(semctl(id, 5, GETVAL), EINVAL);
	CHECK_ERRNO(semctl(id, 0, 99), EINVAL);
	CHECK_EQ_INT(setval(id, 0, 32767), 0);
	CHECK_ERRNO(sem_op(id, 0, 1, 0), ERANGE);
	struct timespec bad = {0, 1000000000};
	CHECK_ERRNO(semtimedop(id, &b, 1, &bad), EINVAL);
	CHECK_ERRNO(semtimedop(id, &b, 1, (struct timespec *)8), EFAULT);
	CHECK_ERRNO(semctl(id, 0, GETALL, (union semun){.array = (void *)8}),
		    EFAULT);
	struct seminfo si;
	CHECK(semctl(0, 0, IPC_INFO, (union semun){.buf = (void *)&si}) >= 0);
	CHECK_EQ_INT(si.semvmx, 32767);
	CHECK_EQ_INT(si.semopm, 500);
	CHECK_EQ_INT(si.semmsl, 32000);
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
}

static void sem_keys(void)
{
	int id = semget(SKEY, 2, IPC_CREAT | IPC_EXCL | 0640);

	if (!CHECK(id >= 0))
		return;
	CHECK_EQ_INT(semget(SKEY, 2, 0), id);
	CHECK_EQ_INT(semget(SKEY, 0, IPC_CREAT), id);
	CHECK_ERRNO(semget(SKEY, 2, IPC_CREAT | IPC_EXCL), EEXIST);
	CHECK_ERRNO(semget(SKEY, 3, 0), EINVAL);
	struct semid_ds ds;
	CHECK_EQ_INT(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	CHECK_EQ_INT(ds.sem_perm.__key, SKEY);
	ds.sem_perm.mode = 0600;
	CHECK_EQ_INT(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), 0);
	CHECK_EQ_INT(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	CHECK_EQ_INT(ds.sem_perm.mode & 0777, 0600);
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
	CHECK_ERRNO(semget(SKEY, 2, 0), ENOENT);
}

/* A child blocks for an increase (GETNCNT) and one for zero (GETZCNT). */
static void sem_waits_across_fork(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);

	if (!CHECK(id >= 0))
		return;
	setval(id, 1, 1);
	pid_t a = fork();
	if (a == 0)
		_exit(sem_op(id, 0, -2, 0) == 0 ? 0 : 1);
	pid_t z = fork();
	if (z == 0)
		_exit(sem_op(id, 1, 0, 0) == 0 ? 0 : 1);
	CHECK_EQ_INT(wait_count(id, 0, GETNCNT, 1), 1);
	CHECK_EQ_INT(wait_count(id, 1, GETZCNT, 1), 1);
	CHECK_EQ_INT(sem_op(id, 0, 1, 0), 0); /* not yet enough */
	usleep(20000);
	CHECK_EQ_INT(semctl(id, 0, GETNCNT), 1);
	CHECK_EQ_INT(sem_op(id, 0, 1, 0), 0);
	CHECK_EQ_INT(child_status(a), 0);
	CHECK_EQ_INT(getval(id, 0), 0);
	CHECK_EQ_INT(semctl(id, 0, GETPID), a);
	CHECK_EQ_INT(sem_op(id, 1, -1, 0), 0);
	CHECK_EQ_INT(child_status(z), 0);
	CHECK_EQ_INT(semctl(id, 1, GETZCNT), 0);
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
}

static void sem_undo(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);

	if (!CHECK(id >= 0))
		return;
	setval(id, 0, 2);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = sem_op(id, 0, 3, SEM_UNDO) == 0 &&
			 sem_op(id, 0, -4, SEM_UNDO) == 0 && getval(id, 0) == 1;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ_INT(child_status(pid), 0);
	CHECK_EQ_INT(getval(id, 0), 2); /* +3 -4 undone: +1 */
	CHECK_EQ_INT(semctl(id, 0, GETPID), pid);
	/* an undo that would go below zero stops at zero */
	pid = fork();
	if (pid == 0)
		_exit(sem_op(id, 0, 5, SEM_UNDO) == 0 && setval(id, 0, 1) == 0 &&
		      sem_op(id, 0, 1, SEM_UNDO) == 0 ? 0 : 1);
	CHECK_EQ_INT(child_status(pid), 0);
	CHECK_EQ_INT(getval(id, 0), 1); /* SETVAL cleared the +5's undo */
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
}

static void sem_removed_while_waiting(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);

	if (!CHECK(id >= 0))
		return;
	pid_t pid = fork();
	if (pid == 0)
		_exit(sem_op(id, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	CHECK_EQ_INT(wait_count(id, 0, GETNCNT, 1), 1);
	CHECK_EQ_INT(semctl(id, 0, IPC_RMID), 0);
	CHECK_EQ_INT(child_status(pid), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* semop and msgrcv are never restarted, even under SA_RESTART. */
static void interrupted(void)
{
	int sid = semget(IPC_PRIVATE, 1, 0600);
	int mid = msgget(IPC_PRIVATE, 0600);
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct itimerval it = {{0, 0}, {0, 30000}};
	struct mbuf m;

	if (!CHECK(sid >= 0 && mid >= 0))
		return;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_ERRNO(sem_op(sid, 0, -1, 0), EINTR);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_ERRNO(msgrcv(mid, &m, sizeof(m.text), 0, 0), EINTR);
	signal(SIGALRM, SIG_DFL);
	semctl(sid, 0, IPC_RMID);
	msgctl(mid, IPC_RMID, NULL);
}

static int send(int id, long type, const char *text, int flg)
{
	struct mbuf m = {.type = type};

	strncpy(m.text, text, sizeof(m.text) - 1);
	return msgsnd(id, &m, strlen(text), flg);
}

/* The type of the message msgrcv takes, and its text in *text. */
static long recv_type(int id, long type, int flg, char *text)
{
	struct mbuf m = {0};
	long n = msgrcv(id, &m, sizeof(m.text), type, flg | IPC_NOWAIT);

	if (n < 0)
		return -1;
	if (text)
		memcpy(text, m.text, (size_t)n + 1);
	return m.type;
}

static void msg_types(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	char text[65];

	if (!CHECK(id >= 0))
		return;
	CHECK_EQ_INT(send(id, 3, "three", 0), 0);
	CHECK_EQ_INT(send(id, 1, "one", 0), 0);
	CHECK_EQ_INT(send(id, 2, "two", 0), 0);
	CHECK_EQ_INT(send(id, 1, "uno", 0), 0);
	struct msqid_ds ds;
	CHECK_EQ_INT(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ_INT((long)ds.msg_qnum, 4);
	CHECK_EQ_INT((long)ds.__msg_cbytes, 14);
	CHECK_EQ_INT((long)ds.msg_qbytes, 16384);
	CHECK_EQ_INT(ds.msg_lspid, getpid());
	CHECK_EQ_INT(recv_type(id, 2, 0, text), 2);
	CHECK_EQ_STR(text, "two");
	CHECK_EQ_INT(recv_type(id, 1, MSG_EXCEPT, text), 3);
	CHECK_EQ_INT(recv_type(id, -5, 0, text), 1);
	CHECK_EQ_STR(text, "one");
	CHECK_EQ_INT(recv_type(id, 0, 0, text), 1);
	CHECK_EQ_STR(text, "uno");
	CHECK_EQ_INT(recv_type(id, 0, 0, NULL), -1);
	CHECK_EQ_INT(errno, ENOMSG);
	CHECK_EQ_INT(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ_INT((long)ds.msg_qnum, 0);
	CHECK_EQ_INT(ds.msg_lrpid, getpid());
	/* too long: E2BIG and the message stays; MSG_NOERROR cuts it */
	struct mbuf m;
	CHECK_EQ_INT(send(id, 7, "0123456789", 0), 0);
	CHECK_ERRNO(msgrcv(id, &m, 4, 0, IPC_NOWAIT), E2BIG);
	CHECK_EQ_INT(msgrcv(id, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR), 4);
	CHECK_EQ_MEM(m.text, "0123", 4);
	CHECK_EQ_INT(msgctl(id, IPC_RMID, NULL), 0);
}

static void msg_limits_and_errors(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	static struct {
		long type;
		char text[8193];
	} big;
	struct msqid_ds ds;

	if (!CHECK(id >= 0))
		return;
	big.type = 1;
	CHECK_ERRNO(msgsnd(id, &big, 8193, 0), EINVAL);
	CHECK_EQ_INT(msgsnd(id, &big, 8192, 0), 0);
	big.type = 0;
	CHECK_ERRNO(msgsnd(id, &big, 1, 0), EINVAL);
	CHECK_ERRNO(msgsnd(id, (void *)8, 1, 0), EFAULT);
	CHECK_ERRNO(msgsnd(-1, &big, 1, 0), EINVAL);
	CHECK_ERRNO(msgrcv(id, &big, (size_t)-1, 0, 0), EINVAL);
	CHECK_ERRNO(msgctl(id, 99, &ds), EINVAL);
	CHECK_EQ_INT(msgctl(id, IPC_STAT, &ds), 0);
	ds.msg_qbytes = 10000;
	CHECK_EQ_INT(msgctl(id, IPC_SET, &ds), 0);
	big.type = 1;
	CHECK_ERRNO(msgsnd(id, &big, 8192, IPC_NOWAIT), EAGAIN);
	CHECK_EQ_INT(msgsnd(id, &big, 1000, IPC_NOWAIT), 0);
	CHECK_EQ_INT(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ_INT((long)ds.msg_qbytes, 10000);
	CHECK_EQ_INT((long)ds.__msg_cbytes, 9192);
	struct msginfo mi;
	CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0);
	CHECK_EQ_INT(mi.msgmax, 8192);
	CHECK_EQ_INT(mi.msgmnb, 16384);
	CHECK_EQ_INT(msgctl(id, IPC_RMID, NULL), 0);
	CHECK_ERRNO(msgctl(id, IPC_STAT, &ds), EINVAL);
}

/* A blocked receiver gets a message a child sends; a blocked sender
 * goes on when the receiver makes room; removal wakes with EIDRM. */
static void msg_across_fork(void)
{
	int id = msgget(MKEY, IPC_CREAT | IPC_EXCL | 0600);
	struct mbuf m;

	if (!CHECK(id >= 0))
		return;
	CHECK_ERRNO(msgget(MKEY, IPC_CREAT | IPC_EXCL), EEXIST);
	CHECK_EQ_INT(msgget(MKEY, 0), id);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(send(id, 5, "hello", 0) == 0 ? 0 : 1);
	}
	CHECK_EQ_INT(msgrcv(id, &m, sizeof(m.text), 5, 0), 5);
	CHECK_EQ_MEM(m.text, "hello", 5);
	CHECK_EQ_INT(child_status(pid), 0);
	pid = fork();
	if (pid == 0)
		_exit(msgrcv(id, &m, sizeof(m.text), 9, 0) == -1 &&
			      errno == EIDRM
			  ? 0
			  : 1);
	usleep(50000);
	CHECK_EQ_INT(msgctl(id, IPC_RMID, NULL), 0);
	CHECK_EQ_INT(child_status(pid), 0);
	CHECK_ERRNO(msgget(MKEY, 0), ENOENT);
}

static int has_line(const char *path, const char *needle)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void proc_sysvipc(void)
{
	int sid = semget(SKEY, 4, IPC_CREAT | 0600);
	int mid = msgget(MKEY, IPC_CREAT | 0600);
	char want[64];

	if (!CHECK(sid >= 0 && mid >= 0))
		return;
	snprintf(want, sizeof(want), "%10d %10d  %4o %10u", SKEY, sid, 0600, 4);
	CHECK_EQ_INT(has_line("/proc/sysvipc/sem", want), 1);
	CHECK_EQ_INT(has_line("/proc/sysvipc/sem", "key      semid perms"), 1);
	snprintf(want, sizeof(want), "%10d %10d  %4o", MKEY, mid, 0600);
	CHECK_EQ_INT(has_line("/proc/sysvipc/msg", want), 1);
	semctl(sid, 0, IPC_RMID);
	msgctl(mid, IPC_RMID, NULL);
}

int main(void)
{
	abi_init("sysvipc");
	forget();
	ABI_RUN(sem_values);
	ABI_RUN(sem_errors);
	ABI_RUN(sem_keys);
	ABI_RUN(sem_waits_across_fork);
	ABI_RUN(sem_undo);
	ABI_RUN(sem_removed_while_waiting);
	ABI_RUN(interrupted);
	ABI_RUN(msg_types);
	ABI_RUN(msg_limits_and_errors);
	ABI_RUN(msg_across_fork);
	ABI_RUN(proc_sysvipc);
	return abi_done();
}
