/*
 * Sessions: getsid, setsid (new session and group, EPERM for a group leader
 * or when a group with the caller's id exists), and no controlling terminal
 * in a new session. setsid runs only in children: the test process leads a
 * group natively and is init in the sandbox.
 */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>

TEST(session_getsid)
{
	pid_t sid = (pid_t)syscall(SYS_getsid, 0);
	/* 0 when the session leader lives outside the caller's pid namespace. */
	EXPECT_GE(sid, 0);
	EXPECT_EQ(syscall(SYS_getsid, getpid()), sid);
	EXPECT_ERRNO(syscall(SYS_getsid, INT_MAX), ESRCH);
	EXPECT_ERRNO(syscall(SYS_getsid, -1), ESRCH);
}

struct ids {
	pid_t sid, pgrp;
};

static void inherits_session(void *arg)
{
	struct ids *parent = arg;
	EXPECT_EQ(getsid(0), parent->sid);
	EXPECT_EQ(getpgrp(), parent->pgrp);
}

TEST(session_child_inherits_session)
{
	struct ids ids = {getsid(0), getpgrp()};
	EXPECT_CHILD_EXIT(harness_fork_child(inherits_session, &ids), 0);
}

struct new_session {
	int ready, release;
	pid_t grandchild_sid;
};

static void grandchild_sees_session(void *arg)
{
	struct new_session *n = arg;
	n->grandchild_sid = getsid(0);
	EXPECT_EQ(getpgrp(), getppid());
}

static void makes_session(void *arg)
{
	struct new_session *n = arg;
	pid_t old_sid = getsid(0);
	/* Not a group leader yet: setsid works and returns the new sid. */
	EXPECT_NE(getpgrp(), getpid());
	EXPECT_EQ(syscall(SYS_setsid), getpid());
	EXPECT_EQ(getsid(0), getpid());
	EXPECT_EQ(getpgrp(), getpid());
	EXPECT_NE(getsid(0), old_sid);
	/* Now it leads its group (and session). */
	EXPECT_ERRNO(syscall(SYS_setsid), EPERM);
	EXPECT_CHILD_EXIT(harness_fork_child(grandchild_sees_session, n), 0);
	harness_set_word(&n->ready, 1);
	harness_wait_word(&n->release, 1);
}

TEST(session_setsid_in_a_child)
{
	struct new_session *n = harness_shared_alloc(sizeof(*n));
	pid_t sid = getsid(0);
	pid_t pid = harness_fork_child(makes_session, n);
	harness_wait_word(&n->ready, 1);
	/* Another session's ids are readable. */
	EXPECT_EQ(getsid(pid), pid);
	EXPECT_EQ(getpgid(pid), pid);
	EXPECT_EQ(n->grandchild_sid, pid);
	/* Ours did not change. */
	EXPECT_EQ(getsid(0), sid);
	harness_set_word(&n->release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

static void group_leader_setsid(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(setpgid(0, 0));
	EXPECT_ERRNO(syscall(SYS_setsid), EPERM);
	EXPECT_EQ(getpgrp(), getpid());
}

TEST(session_setsid_by_a_group_leader_eperm)
{
	EXPECT_CHILD_EXIT(harness_fork_child(group_leader_setsid, 0), 0);
}

static void group_id_in_use(void *arg)
{
	pid_t parent_pgrp = *(pid_t *)arg;
	int *release = harness_shared_alloc(sizeof(int));
	fflush(stdout);
	pid_t member;
	ASSERT_SYSCALL_OK(member = fork());
	if (member == 0) {
		harness_wait_word(release, 1);
		_exit(0);
	}
	/* Make group "our pid", put the child in it, and leave it. */
	ASSERT_SYSCALL_OK(setpgid(0, 0));
	ASSERT_SYSCALL_OK(setpgid(member, getpid()));
	ASSERT_SYSCALL_OK(setpgid(0, parent_pgrp));
	EXPECT_NE(getpgrp(), getpid());
	/* Not a leader, but a group with our id still exists. */
	EXPECT_ERRNO(syscall(SYS_setsid), EPERM);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(member, 0);
	/* Once that group is gone, setsid works. */
	EXPECT_EQ(syscall(SYS_setsid), getpid());
}

TEST(session_setsid_when_group_id_in_use_eperm)
{
	pid_t pgrp = getpgrp();
	EXPECT_CHILD_EXIT(harness_fork_child(group_id_in_use, &pgrp), 0);
}

static void no_tty_after_setsid(void *arg)
{
	(void)arg;
	ASSERT_EQ(syscall(SYS_setsid), getpid());
	/* A new session has no controlling terminal. */
	EXPECT_ERRNO(syscall(SYS_open, "/dev/tty", O_RDWR), ENXIO);
}

TEST(session_new_session_has_no_controlling_tty)
{
	EXPECT_CHILD_EXIT(harness_fork_child(no_tty_after_setsid, 0), 0);
}
