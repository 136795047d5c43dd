/* Process and thread identity: getpid, gettid, getppid and the credentials. */
#include "harness.h"

#include <sys/types.h>

TEST(gettid_equals_getpid_in_main_thread)
{
	EXPECT_EQ(syscall(SYS_gettid), syscall(SYS_getpid));
	EXPECT_EQ(getpid(), syscall(SYS_getpid));
	EXPECT_GT(getpid(), 0);
}

TEST(ids_are_stable)
{
	pid_t pid = getpid(), ppid = getppid();
	for (int i = 0; i < 100; i++) {
		EXPECT_EQ(syscall(SYS_getpid), pid);
		EXPECT_EQ(syscall(SYS_getppid), ppid);
	}
}

TEST(getppid_is_not_self)
{
	/*
	 * Natively the parent is the runner; inside the sandbox the test is the
	 * init process and its parent id is 0. Both are fine.
	 */
	long ppid = syscall(SYS_getppid);
	EXPECT_GE(ppid, 0);
	EXPECT_NE(ppid, getpid());
}

TEST(credentials_consistent)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	EXPECT_SYSCALL_OK(syscall(SYS_getresuid, &r, &e, &s));
	EXPECT_SYSCALL_OK(syscall(SYS_getresgid, &gr, &ge, &gs));
	EXPECT_EQ(syscall(SYS_getuid), r);
	EXPECT_EQ(syscall(SYS_geteuid), e);
	EXPECT_EQ(syscall(SYS_getgid), gr);
	EXPECT_EQ(syscall(SYS_getegid), ge);
	EXPECT_EQ(getuid(), r);
	EXPECT_EQ(geteuid(), e);
	EXPECT_EQ(getgid(), gr);
	EXPECT_EQ(getegid(), ge);
}

TEST(getresuid_efault)
{
	uid_t a, b;
	EXPECT_ERRNO(syscall(SYS_getresuid, (void *)1, &a, &b), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getresgid, &a, &b, (void *)1), EFAULT);
}

TEST(getgroups_count)
{
	long n = syscall(SYS_getgroups, 0, 0);
	EXPECT_GE(n, 0);
	EXPECT_ERRNO(syscall(SYS_getgroups, -1, 0), EINVAL);
	gid_t groups[65536];
	EXPECT_EQ(syscall(SYS_getgroups, 65536, groups), n);
}

struct thread_ids {
	long pid, tid, ppid, uid, gid;
};

static void *record_ids(void *arg)
{
	struct thread_ids *ids = arg;
	ids->pid = syscall(SYS_getpid);
	ids->tid = syscall(SYS_gettid);
	ids->ppid = syscall(SYS_getppid);
	ids->uid = syscall(SYS_getuid);
	ids->gid = syscall(SYS_getgid);
	return 0;
}

TEST(thread_ids)
{
	struct thread_ids ids[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&th[i], 0, record_ids, &ids[i]), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_join(th[i], 0), 0);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(ids[i].pid, getpid());
		EXPECT_NE(ids[i].tid, getpid());
		EXPECT_GT(ids[i].tid, 0);
		EXPECT_EQ(ids[i].ppid, getppid());
		EXPECT_EQ(ids[i].uid, getuid());
		EXPECT_EQ(ids[i].gid, getgid());
		for (int j = 0; j < i; j++)
			EXPECT_NE(ids[i].tid, ids[j].tid);
	}
}
