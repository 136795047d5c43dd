/*
 * RLIMIT_NPROC: root is exempt; for another user, fork, clone and thread
 * creation fail with EAGAIN once the user's task count (its processes, their
 * threads and its unreaped zombies, the caller included) would exceed the
 * limit.
 *
 * Everything runs in children that switch to an unprivileged uid. The count
 * is per user, system-wide: natively other tasks of that uid could exist (the
 * uid is an unusual one, and orphans of an interrupted run could be left as
 * zombies), so each test first measures how many there are and sets its
 * limits relative to that.
 */
#include "harness.h"

#include <sys/resource.h>
#include <sys/wait.h>

enum { TEST_UID = 48611 };

static void become_test_user(void)
{
	ASSERT_SYSCALL_OK(syscall(SYS_setresgid, TEST_UID, TEST_UID, TEST_UID));
	ASSERT_SYSCALL_OK(syscall(SYS_setresuid, TEST_UID, TEST_UID, TEST_UID));
}

/* Sets the soft limit only: an unprivileged process may raise it again. */
static void set_nproc(rlim_t n)
{
	struct rlimit rl;
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NPROC, &rl));
	ASSERT_LE(n, rl.rlim_max);
	rl.rlim_cur = n;
	ASSERT_SYSCALL_OK(setrlimit(RLIMIT_NPROC, &rl));
}

/* Forks a child that exits at once and reaps it: 1, or 0 on EAGAIN. */
static int try_fork(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		ASSERT_EQ(errno, EAGAIN);
		return 0;
	}
	EXPECT_CHILD_EXIT(pid, 0);
	return 1;
}

/*
 * The number of other tasks the test user has (not counting the caller):
 * with a limit of k, a fork succeeds iff others + 1 (the caller) + 1 (the
 * new child) <= k.
 */
static int other_tasks(void)
{
	struct rlimit rl;
	ASSERT_SYSCALL_OK(getrlimit(RLIMIT_NPROC, &rl));
	int start = rl.rlim_max < 64 ? (int)rl.rlim_max : 64;
	for (int k = start; k >= 1; k--) {
		set_nproc((rlim_t)k);
		if (!try_fork())
			return k - 1;
	}
	/* Even a limit of 1 let us fork. */
	harness_fail(__FILE__, __LINE__, "fork succeeded with RLIMIT_NPROC 1");
	harness_abort_test();
}

static void root_exempt(void *arg)
{
	(void)arg;
	struct rlimit rl = {0, 0};
	ASSERT_SYSCALL_OK(setrlimit(RLIMIT_NPROC, &rl));
	/* Root (with CAP_SYS_RESOURCE/CAP_SYS_ADMIN) is not limited. */
	EXPECT_TRUE(try_fork());
}

TEST(rlimit_nproc_root_is_exempt)
{
	EXPECT_CHILD_EXIT(harness_fork_child(root_exempt, 0), 0);
}

static pid_t held_child(int *release)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		harness_wait_word(release, 1);
		_exit(0);
	}
	return pid;
}

static void counts_processes(void *arg)
{
	(void)arg;
	become_test_user();
	int others = other_tasks();
	/* Room for the caller and three more. */
	set_nproc((rlim_t)(others + 4));
	int *release = harness_shared_alloc(3 * sizeof(int));
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = held_child(&release[i]);
		ASSERT_GT(kids[i], 0);
	}
	fflush(stdout);
	errno = 0;
	pid_t extra = fork();
	if (extra == 0)
		_exit(0);
	EXPECT_EQ(extra, -1);
	EXPECT_EQ(errno, EAGAIN);
	if (extra > 0)
		harness_wait(extra);
	fflush(stdout);
	long cloned = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (cloned == 0)
		_exit(0);
	EXPECT_EQ(cloned, -1);
	EXPECT_EQ(errno, EAGAIN);
	if (cloned > 0)
		harness_wait((pid_t)cloned);
	/* A reaped child frees its slot. */
	harness_set_word(&release[0], 1);
	EXPECT_CHILD_EXIT(kids[0], 0);
	EXPECT_TRUE(try_fork());
	harness_set_word(&release[1], 1);
	harness_set_word(&release[2], 1);
	EXPECT_CHILD_EXIT(kids[1], 0);
	EXPECT_CHILD_EXIT(kids[2], 0);
}

TEST(rlimit_nproc_limits_processes)
{
	EXPECT_CHILD_EXIT(harness_fork_child(counts_processes, 0), 0);
}

static void counts_zombies(void *arg)
{
	(void)arg;
	become_test_user();
	int others = other_tasks();
	set_nproc((rlim_t)(others + 2));
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit(0);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	/* The zombie still counts until it is reaped. */
	EXPECT_FALSE(try_fork());
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_TRUE(try_fork());
}

TEST(rlimit_nproc_counts_zombies)
{
	EXPECT_CHILD_EXIT(harness_fork_child(counts_zombies, 0), 0);
}

static void *wait_release(void *arg)
{
	harness_wait_word(arg, 1);
	return 0;
}

static void counts_threads(void *arg)
{
	(void)arg;
	become_test_user();
	int others = other_tasks();
	set_nproc((rlim_t)(others + 2));
	int release = 0;
	pthread_t one, two;
	ASSERT_EQ(pthread_create(&one, 0, wait_release, &release), 0);
	/* Threads are tasks too: no room for another thread or a process. */
	EXPECT_EQ(pthread_create(&two, 0, wait_release, &release), EAGAIN);
	EXPECT_FALSE(try_fork());
	harness_set_word(&release, 1);
	EXPECT_EQ(pthread_join(one, 0), 0);
	EXPECT_TRUE(try_fork());
}

TEST(rlimit_nproc_counts_threads)
{
	EXPECT_CHILD_EXIT(harness_fork_child(counts_threads, 0), 0);
}
