/*
 * System V semaphores: semget, semop and semtimedop (atomicity, blocking,
 * IPC_NOWAIT, timeouts, EINTR, SEM_UNDO at exit) and semctl.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

static key_t test_key(int n)
{
	return (key_t)(0x5c000000 | ((getpid() & 0xfffff) << 4) | (n & 0xf));
}

static void rmid_deferred(void *arg)
{
	semctl((int)(intptr_t)arg, 0, IPC_RMID);
}

/* semget that must succeed; the set is removed after the test. */
static int new_sem(key_t key, int nsems, int flags)
{
	int id = semget(key, nsems, flags);
	ASSERT_GE(id, 0);
	harness_defer(rmid_deferred, (void *)(intptr_t)id);
	return id;
}

static int getval(int id, int num)
{
	return semctl(id, num, GETVAL);
}

static void setval(int id, int num, int val)
{
	union semun arg = {.val = val};
	ASSERT_SYSCALL_OK(semctl(id, num, SETVAL, arg));
}

static long op1(int id, int num, int op, int flg)
{
	struct sembuf sb = {(unsigned short)num, (short)op, (short)flg};
	return semop(id, &sb, 1);
}

/* Waits (polling) until cmd (GETNCNT or GETZCNT) of semaphore num is n. */
static void wait_count(int id, int num, int cmd, int n)
{
	for (;;) {
		int got = semctl(id, num, cmd);
		ASSERT_GE(got, 0);
		if (got == n)
			return;
		usleep(1000);
	}
}

TEST(sem_get_and_stat)
{
	time_t before = time(0);
	int id = new_sem(IPC_PRIVATE, 3, 0640);
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_STAT, arg));
	EXPECT_EQ(ds.sem_nsems, 3);
	EXPECT_EQ(ds.sem_otime, 0);
	EXPECT_GE(ds.sem_ctime, before);
	EXPECT_EQ(ds.sem_perm.mode, 0640);
	EXPECT_EQ(ds.sem_perm.uid, geteuid());
	EXPECT_EQ(ds.sem_perm.cuid, geteuid());
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(getval(id, i), 0);
		EXPECT_EQ(semctl(id, i, GETPID), 0);
	}
}

TEST(sem_get_errors)
{
	EXPECT_ERRNO(semget(IPC_PRIVATE, 0, 0600), EINVAL);
	EXPECT_ERRNO(semget(IPC_PRIVATE, -1, 0600), EINVAL);
	EXPECT_ERRNO(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	key_t key = test_key(1);
	EXPECT_ERRNO(semget(key, 2, 0600), ENOENT);
	int id = new_sem(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	EXPECT_EQ(semget(key, 2, 0600), id);
	EXPECT_EQ(semget(key, 0, 0), id);
	EXPECT_EQ(semget(key, 1, IPC_CREAT | 0600), id);
	EXPECT_ERRNO(semget(key, 3, 0600), EINVAL);
	EXPECT_ERRNO(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_RMID));
	EXPECT_ERRNO(semget(key, 2, 0600), ENOENT);
	EXPECT_ERRNO(getval(id, 0), EINVAL);
	EXPECT_ERRNO(op1(id, 0, 1, 0), EINVAL);
}

TEST(sem_setval_getall_setall)
{
	int id = new_sem(IPC_PRIVATE, 3, 0600);
	setval(id, 1, 7);
	EXPECT_EQ(getval(id, 1), 7);
	EXPECT_EQ(semctl(id, 1, GETPID), getpid());
	union semun arg = {.val = 32768};
	EXPECT_ERRNO(semctl(id, 0, SETVAL, arg), ERANGE);
	arg.val = -1;
	EXPECT_ERRNO(semctl(id, 0, SETVAL, arg), ERANGE);
	arg.val = 32767;
	EXPECT_SYSCALL_OK(semctl(id, 0, SETVAL, arg));
	EXPECT_ERRNO(semctl(id, 3, SETVAL, arg), EINVAL);
	EXPECT_ERRNO(getval(id, 3), EINVAL);
	EXPECT_ERRNO(getval(id, -1), EINVAL);

	unsigned short vals[3] = {1, 2, 3};
	arg.array = vals;
	ASSERT_SYSCALL_OK(semctl(id, 0, SETALL, arg));
	unsigned short got[3] = {0};
	arg.array = got;
	ASSERT_SYSCALL_OK(semctl(id, 0, GETALL, arg));
	EXPECT_EQ(got[0], 1);
	EXPECT_EQ(got[1], 2);
	EXPECT_EQ(got[2], 3);
	vals[1] = 32768;
	arg.array = vals;
	EXPECT_ERRNO(semctl(id, 0, SETALL, arg), ERANGE);
	EXPECT_EQ(getval(id, 1), 2);
	arg.array = (unsigned short *)1;
	EXPECT_ERRNO(semctl(id, 0, GETALL, arg), EFAULT);
	EXPECT_ERRNO(semctl(id, 0, SETALL, arg), EFAULT);
}

TEST(semop_is_atomic)
{
	int id = new_sem(IPC_PRIVATE, 2, 0600);
	setval(id, 0, 1);
	/* The second operation would block: nothing happens. */
	struct sembuf ops[2] = {{0, -1, 0}, {1, -1, IPC_NOWAIT}};
	EXPECT_ERRNO(semop(id, ops, 2), EAGAIN);
	EXPECT_EQ(getval(id, 0), 1);
	/* Both at once. */
	struct sembuf ok[2] = {{0, -1, 0}, {1, 5, 0}};
	time_t before = time(0);
	ASSERT_SYSCALL_OK(semop(id, ok, 2));
	EXPECT_EQ(getval(id, 0), 0);
	EXPECT_EQ(getval(id, 1), 5);
	EXPECT_EQ(semctl(id, 1, GETPID), getpid());
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_STAT, arg));
	EXPECT_GE(ds.sem_otime, before);
	/* Operations on one semaphore see each other, in order. */
	struct sembuf seq[3] = {{1, -5, 0}, {1, 2, 0}, {1, -2, 0}};
	ASSERT_SYSCALL_OK(semop(id, seq, 3));
	EXPECT_EQ(getval(id, 1), 0);
	/* Waiting for zero on a zero semaphore does not block. */
	EXPECT_SYSCALL_OK(op1(id, 1, 0, 0));
	setval(id, 0, 1);
	EXPECT_ERRNO(op1(id, 0, 0, IPC_NOWAIT), EAGAIN);
}

TEST(semop_errors)
{
	int id = new_sem(IPC_PRIVATE, 3, 0600);
	struct sembuf sb = {0, 1, 0};
	EXPECT_ERRNO(semop(id, &sb, 0), EINVAL);
	EXPECT_ERRNO(semop(-1, &sb, 1), EINVAL);
	static struct sembuf many[501];
	EXPECT_ERRNO(semop(id, many, 501), E2BIG);
	EXPECT_ERRNO(semop(id, (struct sembuf *)1, 1), EFAULT);
	struct sembuf far = {3, 1, 0};
	EXPECT_ERRNO(semop(id, &far, 1), EFBIG);
	setval(id, 0, 32767);
	EXPECT_ERRNO(op1(id, 0, 1, 0), ERANGE);
	EXPECT_EQ(getval(id, 0), 32767);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO(semtimedop(id, &sb, 1, &bad), EINVAL);
	EXPECT_ERRNO(semtimedop(id, &sb, 1, (struct timespec *)1), EFAULT);
}

TEST(semtimedop_times_out)
{
	int id = new_sem(IPC_PRIVATE, 1, 0600);
	struct sembuf sb = {0, -1, 0};
	struct timespec ts = {0, 20 * 1000 * 1000};
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_ERRNO(semtimedop(id, &sb, 1, &ts), EAGAIN);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 20 * 1000 * 1000);
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(semtimedop(id, &sb, 1, &zero), EAGAIN);
	EXPECT_EQ(semctl(id, 0, GETNCNT), 0);
	/* A timeout does not matter when the operation can proceed. */
	setval(id, 0, 1);
	EXPECT_SYSCALL_OK(semtimedop(id, &sb, 1, &zero));
}

static int g_sem_id;

static void child_decrements(void *arg)
{
	(void)arg;
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, -1, 0));
}

static void child_waits_zero(void *arg)
{
	(void)arg;
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 0, 0));
}

TEST(semop_blocks_until_another_process_posts)
{
	g_sem_id = new_sem(IPC_PRIVATE, 1, 0600);
	pid_t pid = harness_fork_child(child_decrements, 0);
	wait_count(g_sem_id, 0, GETNCNT, 1);
	EXPECT_EQ(semctl(g_sem_id, 0, GETZCNT), 0);
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 1, 0));
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(getval(g_sem_id, 0), 0);
	EXPECT_EQ(semctl(g_sem_id, 0, GETNCNT), 0);
	EXPECT_EQ(semctl(g_sem_id, 0, GETPID), pid);
}

TEST(semop_waits_for_zero)
{
	g_sem_id = new_sem(IPC_PRIVATE, 1, 0600);
	setval(g_sem_id, 0, 2);
	pid_t pid = harness_fork_child(child_waits_zero, 0);
	wait_count(g_sem_id, 0, GETZCNT, 1);
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, -1, 0));
	EXPECT_EQ(semctl(g_sem_id, 0, GETZCNT), 1);
	/* SETVAL wakes waiters too. */
	setval(g_sem_id, 0, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(semctl(g_sem_id, 0, GETZCNT), 0);
}

static void child_expects_eidrm(void *arg)
{
	(void)arg;
	EXPECT_ERRNO(op1(g_sem_id, 0, -1, 0), EIDRM);
}

TEST(semop_waiter_sees_removal)
{
	g_sem_id = semget(IPC_PRIVATE, 1, 0600);
	ASSERT_GE(g_sem_id, 0);
	pid_t pid = harness_fork_child(child_expects_eidrm, 0);
	wait_count(g_sem_id, 0, GETNCNT, 1);
	EXPECT_SYSCALL_OK(semctl(g_sem_id, 0, IPC_RMID));
	EXPECT_CHILD_EXIT(pid, 0);
}

static volatile sig_atomic_t g_got_signal;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	g_got_signal = 1;
}

TEST(semop_interrupted_by_signal)
{
	int id = new_sem(IPC_PRIVATE, 1, 0600);
	g_got_signal = 0;
	/* Even with SA_RESTART, semop is not restarted. */
	harness_set_handler(SIGUSR1, on_usr1, SA_RESTART);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * 1000 * 1000);
	EXPECT_ERRNO(op1(id, 0, -1, 0), EINTR);
	struct sembuf sb = {0, -1, 0};
	struct timespec ts = {60, 0};
	EXPECT_ERRNO(semtimedop(id, &sb, 1, &ts), EINTR);
	harness_signaller_stop(&s);
	EXPECT_TRUE(g_got_signal);
	EXPECT_EQ(semctl(id, 0, GETNCNT), 0);
	EXPECT_EQ(getval(id, 0), 0);
}

static void child_undo_up(void *arg)
{
	(void)arg;
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 2, SEM_UNDO));
	EXPECT_SYSCALL_OK(op1(g_sem_id, 1, -1, SEM_UNDO));
	EXPECT_EQ(getval(g_sem_id, 0), 2);
	EXPECT_EQ(getval(g_sem_id, 1), 0);
}

static void child_undo_clamped(void *arg)
{
	(void)arg;
	/* +1 with undo, then -1 without: the undo (-1) is clamped at 0. */
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 1, SEM_UNDO));
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, -1, 0));
}

static void child_undo_cleared_by_setval(void *arg)
{
	(void)arg;
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 3, SEM_UNDO));
	setval(g_sem_id, 0, 5);
}

static void child_undo_range(void *arg)
{
	(void)arg;
	/* The adjustment itself must stay within -32768..32767. */
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 32767, SEM_UNDO));
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, -32767, 0));
	EXPECT_ERRNO(op1(g_sem_id, 0, 2, SEM_UNDO), ERANGE);
	EXPECT_EQ(getval(g_sem_id, 0), 0);
}

TEST(sem_undo_at_exit)
{
	g_sem_id = new_sem(IPC_PRIVATE, 2, 0600);
	setval(g_sem_id, 1, 1);
	pid_t pid = harness_fork_child(child_undo_up, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(getval(g_sem_id, 0), 0);
	EXPECT_EQ(getval(g_sem_id, 1), 1);
	EXPECT_EQ(semctl(g_sem_id, 0, GETPID), pid);

	pid = harness_fork_child(child_undo_clamped, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(getval(g_sem_id, 0), 0);

	pid = harness_fork_child(child_undo_cleared_by_setval, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(getval(g_sem_id, 0), 5);

	setval(g_sem_id, 0, 0);
	pid = harness_fork_child(child_undo_range, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	/* Its undo of -32767 is clamped at 0. */
	EXPECT_EQ(getval(g_sem_id, 0), 0);
}

static void child_undo_then_block(void *arg)
{
	(void)arg;
	/* The undo of the parent is not inherited: only ours counts. */
	EXPECT_SYSCALL_OK(op1(g_sem_id, 0, 1, SEM_UNDO));
}

TEST(sem_undo_not_inherited)
{
	g_sem_id = new_sem(IPC_PRIVATE, 1, 0600);
	ASSERT_SYSCALL_OK(op1(g_sem_id, 0, 4, SEM_UNDO));
	pid_t pid = harness_fork_child(child_undo_then_block, 0);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(getval(g_sem_id, 0), 4);
	/* Give our adjustment back so the harness's process stays clean. */
	ASSERT_SYSCALL_OK(op1(g_sem_id, 0, -4, SEM_UNDO));
}

TEST(sem_permissions)
{
	key_t key = test_key(2);
	int id = new_sem(key, 1, IPC_CREAT | 0644);
	harness_set_eids(65534, 65534);
	EXPECT_EQ(semget(key, 1, 0004), id);
	EXPECT_ERRNO(semget(key, 1, 0002), EACCES);
	/* Reading (waiting for zero, GETVAL) is allowed; altering is not. */
	EXPECT_SYSCALL_OK(op1(id, 0, 0, 0));
	EXPECT_EQ(getval(id, 0), 0);
	EXPECT_ERRNO(op1(id, 0, 1, 0), EACCES);
	union semun arg = {.val = 1};
	EXPECT_ERRNO(semctl(id, 0, SETVAL, arg), EACCES);
	EXPECT_ERRNO(semctl(id, 0, IPC_RMID), EPERM);
	struct semid_ds ds;
	arg.buf = &ds;
	EXPECT_SYSCALL_OK(semctl(id, 0, IPC_STAT, arg));
	EXPECT_ERRNO(semctl(id, 0, IPC_SET, arg), EPERM);
	harness_restore_eids();

	arg.buf = &ds;
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_STAT, arg));
	ds.sem_perm.mode = 0600;
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_SET, arg));
	ASSERT_SYSCALL_OK(semctl(id, 0, IPC_STAT, arg));
	EXPECT_EQ(ds.sem_perm.mode, 0600);
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(getval(id, 0), EACCES);
	EXPECT_ERRNO(op1(id, 0, 0, 0), EACCES);
	EXPECT_ERRNO(semctl(id, 0, IPC_STAT, arg), EACCES);
	harness_restore_eids();
}

TEST(semctl_info_and_errors)
{
	int id = new_sem(IPC_PRIVATE, 2, 0600);
	struct seminfo info;
	memset(&info, 0, sizeof(info));
	union semun arg = {.info = &info};
	EXPECT_GE(semctl(0, 0, IPC_INFO, arg), id & 0x7fff);
	EXPECT_EQ(info.semvmx, 32767);
	EXPECT_GT(info.semmsl, 0);
	EXPECT_GT(info.semopm, 0);
	memset(&info, 0, sizeof(info));
	EXPECT_GE(semctl(0, 0, SEM_INFO, arg), id & 0x7fff);
	EXPECT_GE(info.semusz, 1);
	EXPECT_GE(info.semaem, 2);
	struct semid_ds ds;
	arg.buf = &ds;
	EXPECT_EQ(semctl(id & 0x7fff, 0, SEM_STAT, arg), id);
	EXPECT_EQ(ds.sem_nsems, 2);
	EXPECT_EQ(semctl(id & 0x7fff, 0, SEM_STAT_ANY, arg), id);
	EXPECT_ERRNO(semctl(id, 0, 12345, arg), EINVAL);
	EXPECT_ERRNO(semctl(-1, 0, IPC_STAT, arg), EINVAL);
	arg.buf = (struct semid_ds *)1;
	EXPECT_ERRNO(semctl(id, 0, IPC_STAT, arg), EFAULT);
	EXPECT_ERRNO(semctl(id, 0, IPC_SET, arg), EFAULT);
}
