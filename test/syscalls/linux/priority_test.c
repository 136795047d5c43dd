/*
 * getpriority and setpriority: nice values of a thread, a process group
 * and a user, clamping, inheritance by children, and the errors (EINVAL,
 * ESRCH, EPERM, EACCES under RLIMIT_NICE). The test reads its starting
 * nice value rather than assuming 0.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <sys/resource.h>
#include <sys/wait.h>

/* A uid that owns nothing on the host, for PRIO_USER. */
#define TEST_UID 54321

/* nice_of returns who's nice value; errors fail the test. */
static int nice_of(int which, int who)
{
	errno = 0;
	int n = getpriority(which, who);
	ASSERT_EQ(errno, 0);
	return n;
}

TEST(priority_set_and_get)
{
	int start = nice_of(PRIO_PROCESS, 0);
	int target = start < 19 ? start + 1 : start;
	ASSERT_SYSCALL_OK(setpriority(PRIO_PROCESS, 0, target));
	EXPECT_EQ(nice_of(PRIO_PROCESS, 0), target);
	EXPECT_EQ(nice_of(PRIO_PROCESS, getpid()), target);
	/* The raw call returns 20 - nice, never a negative number. */
	EXPECT_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20 - target);
	/* Values out of range are clamped. */
	ASSERT_SYSCALL_OK(setpriority(PRIO_PROCESS, 0, 1000));
	EXPECT_EQ(nice_of(PRIO_PROCESS, 0), 19);
	if (getuid() == 0) {
		ASSERT_SYSCALL_OK(setpriority(PRIO_PROCESS, 0, -1000));
		EXPECT_EQ(nice_of(PRIO_PROCESS, 0), -20);
		EXPECT_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 40);
		ASSERT_SYSCALL_OK(setpriority(PRIO_PROCESS, 0, start));
	}
}

TEST(priority_errors)
{
	EXPECT_ERRNO(getpriority(3, 0), EINVAL);
	EXPECT_ERRNO(getpriority(-1, 0), EINVAL);
	EXPECT_ERRNO(setpriority(3, 0, 0), EINVAL);
	/* No such thread, group or user. */
	EXPECT_ERRNO(getpriority(PRIO_PROCESS, 0x3ffffff0), ESRCH);
	EXPECT_ERRNO(setpriority(PRIO_PROCESS, 0x3ffffff0, 1), ESRCH);
	EXPECT_ERRNO(getpriority(PRIO_PGRP, 0x3ffffff0), ESRCH);
	EXPECT_ERRNO(getpriority(PRIO_USER, TEST_UID), ESRCH);
	EXPECT_ERRNO(setpriority(PRIO_USER, TEST_UID, 3), ESRCH);
}

static void report_nice(void *arg)
{
	int want = (int)(long)arg;
	_exit(nice_of(PRIO_PROCESS, 0) == want ? 0 : 1);
}

TEST(priority_inherited_by_children)
{
	int start = nice_of(PRIO_PROCESS, 0);
	int n = start < 17 ? start + 2 : start;
	ASSERT_SYSCALL_OK(setpriority(PRIO_PROCESS, 0, n));
	EXPECT_CHILD_EXIT(harness_fork_child(report_nice, (void *)(long)n), 0);
}

static void wait_in_own_group(void *arg)
{
	int *release = arg;
	setpgid(0, 0);
	harness_set_word(release + 1, 1);
	harness_wait_word(release, 1);
	_exit(nice_of(PRIO_PROCESS, 0));
}

TEST(priority_of_a_process_group)
{
	int *words = harness_shared_alloc(2 * sizeof(int));
	pid_t child = harness_fork_child(wait_in_own_group, words);
	harness_wait_word(words + 1, 1);
	int n = nice_of(PRIO_PROCESS, 0) < 15 ? 15 : 19;
	ASSERT_SYSCALL_OK(setpriority(PRIO_PGRP, child, n));
	EXPECT_EQ(nice_of(PRIO_PGRP, child), n);
	EXPECT_EQ(nice_of(PRIO_PROCESS, child), n);
	harness_set_word(words, 1);
	EXPECT_CHILD_EXIT(child, n);
}

/*
 * As an unprivileged user with RLIMIT_NICE 0: raising one's own nice
 * value is allowed, lowering it is EACCES, another user's process is
 * EPERM; PRIO_USER reaches the user's own processes.
 */
static void unprivileged(void *arg)
{
	pid_t parent = (pid_t)(long)arg;
	struct rlimit zero = {0, 0};
	if (setrlimit(RLIMIT_NICE, &zero) != 0 || setresgid(TEST_UID, TEST_UID, TEST_UID) != 0 ||
	    setresuid(TEST_UID, TEST_UID, TEST_UID) != 0)
		_exit(10);
	int start = nice_of(PRIO_PROCESS, 0);
	if (start >= 18)
		_exit(11);
	if (setpriority(PRIO_PROCESS, 0, start + 1) != 0)
		_exit(12);
	if (setpriority(PRIO_PROCESS, 0, start) != -1 || errno != EACCES)
		_exit(13);
	if (setpriority(PRIO_PROCESS, parent, 19) != -1 || errno != EPERM)
		_exit(14);
	if (setpriority(PRIO_USER, 0, start + 2) != 0 || nice_of(PRIO_PROCESS, 0) != start + 2)
		_exit(15);
	if (nice_of(PRIO_USER, TEST_UID) != start + 2)
		_exit(16);
	_exit(0);
}

TEST(priority_permissions)
{
	if (getuid() != 0)
		SKIP("needs root to switch to an unprivileged user");
	if (nice_of(PRIO_PROCESS, 0) >= 18)
		SKIP("started with nice 18 or more: no room to raise it twice");
	EXPECT_CHILD_EXIT(harness_fork_child(unprivileged, (void *)(long)getpid()), 0);
}
