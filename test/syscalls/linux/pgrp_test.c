/*
 * Process groups: getpgrp/getpgid, setpgid (on itself, on children, and its
 * errors: EINVAL, ESRCH, EPERM, EACCES after exec), group lifetime, and
 * kill(0, sig) / kill(-pgid, sig). kill(-1, sig) is not tested: run natively
 * as root it would signal every process on the host.
 *
 * The test process itself is never moved: natively it leads a group the
 * runner made, in the sandbox it is init (and may lead its session).
 */
#include "harness.h"

#include <limits.h>
#include <sys/wait.h>

TEST(pgrp_getters_agree)
{
	pid_t pgrp = (pid_t)syscall(SYS_getpgrp);
	EXPECT_GT(pgrp, 0);
	EXPECT_EQ(syscall(SYS_getpgid, 0), pgrp);
	EXPECT_EQ(syscall(SYS_getpgid, getpid()), pgrp);
	EXPECT_ERRNO(syscall(SYS_getpgid, INT_MAX), ESRCH);
	EXPECT_ERRNO(syscall(SYS_getpgid, -1), ESRCH);
}

static void own_group_child(void *arg)
{
	pid_t parent_pgrp = *(pid_t *)arg;
	EXPECT_EQ(getpgrp(), parent_pgrp);
	EXPECT_SYSCALL_OK(setpgid(0, 0));
	EXPECT_EQ(getpgrp(), getpid());
	EXPECT_EQ(getpgid(0), getpid());
	/* Every spelling of "my own group". */
	EXPECT_SYSCALL_OK(setpgid(0, getpid()));
	EXPECT_SYSCALL_OK(setpgid(getpid(), 0));
	EXPECT_SYSCALL_OK(setpgid(getpid(), getpid()));
	EXPECT_EQ(getpgrp(), getpid());
	/* Back into the parent's group: same session, so allowed. */
	EXPECT_SYSCALL_OK(setpgid(0, parent_pgrp));
	EXPECT_EQ(getpgrp(), parent_pgrp);
}

TEST(pgrp_child_makes_and_leaves_its_own_group)
{
	pid_t pgrp = getpgrp();
	EXPECT_CHILD_EXIT(harness_fork_child(own_group_child, &pgrp), 0);
}

TEST(pgrp_parent_moves_children)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t a = harness_held_child(release, 0);
	pid_t b = harness_held_child(release, 0);
	EXPECT_EQ(getpgid(a), getpgrp());
	EXPECT_SYSCALL_OK(setpgid(a, a));
	EXPECT_EQ(getpgid(a), a);
	EXPECT_SYSCALL_OK(setpgid(a, 0));
	EXPECT_EQ(getpgid(a), a);
	/* Into a sibling's group, and back. */
	EXPECT_SYSCALL_OK(setpgid(b, a));
	EXPECT_EQ(getpgid(b), a);
	EXPECT_SYSCALL_OK(setpgid(b, getpgrp()));
	EXPECT_EQ(getpgid(b), getpgrp());
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(a, 0);
	EXPECT_CHILD_EXIT(b, 0);
}

TEST(pgrp_group_outlives_its_leader)
{
	int *release_a = harness_shared_alloc(sizeof(int));
	int *release = harness_shared_alloc(sizeof(int));
	pid_t a = harness_held_child(release_a, 0);
	pid_t b = harness_held_child(release, 0);
	pid_t c = harness_held_child(release, 0);
	ASSERT_SYSCALL_OK(setpgid(a, a));
	ASSERT_SYSCALL_OK(setpgid(b, a));
	harness_set_word(release_a, 1);
	EXPECT_CHILD_EXIT(a, 0);
	/* Group a lives on in b: it can be signalled and joined. */
	EXPECT_SYSCALL_OK(kill(-a, 0));
	EXPECT_SYSCALL_OK(setpgid(c, a));
	EXPECT_EQ(getpgid(c), a);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(b, 0);
	EXPECT_CHILD_EXIT(c, 0);
	EXPECT_ERRNO(kill(-a, 0), ESRCH);
}

static void not_my_child(void *arg)
{
	(void)arg;
	/* The parent is neither the caller nor its child. */
	EXPECT_ERRNO(setpgid(getppid(), getppid()), ESRCH);
	EXPECT_ERRNO(setpgid(getppid(), 0), ESRCH);
	/* No such group in this session. */
	EXPECT_ERRNO(setpgid(0, INT_MAX), EPERM);
	EXPECT_ERRNO(setpgid(0, -1), EINVAL);
}

TEST(pgrp_setpgid_einval_esrch)
{
	EXPECT_ERRNO(setpgid(0, -1), EINVAL);
	EXPECT_ERRNO(setpgid(0, INT_MIN), EINVAL);
	EXPECT_ERRNO(setpgid(INT_MAX, 0), ESRCH);
	EXPECT_CHILD_EXIT(harness_fork_child(not_my_child, 0), 0);
}

struct gc {
	pid_t pid;
	int ready, release;
};

static void grandchild_holder(void *arg)
{
	struct gc *g = arg;
	pid_t pid = harness_held_child(&g->release, 0);
	g->pid = pid;
	harness_set_word(&g->ready, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(pgrp_setpgid_on_grandchild_esrch)
{
	struct gc *g = harness_shared_alloc(sizeof(*g));
	pid_t child = harness_fork_child(grandchild_holder, g);
	harness_wait_word(&g->ready, 1);
	EXPECT_ERRNO(setpgid(g->pid, g->pid), ESRCH);
	harness_set_word(&g->release, 1);
	EXPECT_CHILD_EXIT(child, 0);
}

struct leader {
	int ready, release;
};

static void session_leader_child(void *arg)
{
	struct leader *l = arg;
	ASSERT_EQ(setsid(), getpid());
	/* A session leader cannot change its group. */
	EXPECT_ERRNO(setpgid(0, 0), EPERM);
	harness_set_word(&l->ready, 1);
	harness_wait_word(&l->release, 1);
}

TEST(pgrp_setpgid_across_sessions_eperm)
{
	struct leader *l = harness_shared_alloc(sizeof(*l));
	pid_t leader = harness_fork_child(session_leader_child, l);
	int *release = harness_shared_alloc(sizeof(int));
	pid_t plain = harness_held_child(release, 0);
	harness_wait_word(&l->ready, 1);
	/* The child is in another session (and leads it). */
	EXPECT_ERRNO(setpgid(leader, leader), EPERM);
	EXPECT_ERRNO(setpgid(leader, getpgrp()), EPERM);
	/* A group of another session cannot be joined. */
	EXPECT_ERRNO(setpgid(plain, leader), EPERM);
	EXPECT_EQ(getpgid(plain), getpgrp());
	/* Reading another session's ids is allowed. */
	EXPECT_EQ(getpgid(leader), leader);
	harness_set_word(&l->release, 1);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(leader, 0);
	EXPECT_CHILD_EXIT(plain, 0);
}

CHILD_MODE(signal_parent_then_pause)
{
	(void)argc;
	(void)argv;
	kill(getppid(), SIGUSR1);
	for (;;)
		pause();
	return 0;
}

static void ignore_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
}

TEST(pgrp_setpgid_after_exec_eacces)
{
	/*
	 * A handler, though the signal stays blocked and is taken by
	 * sigwaitinfo: what matters here is setpgid, not how a blocked signal
	 * with the default action reaches init (sigchld_test.c covers that).
	 */
	harness_set_handler(SIGUSR1, ignore_usr1, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"signal_parent_then_pause", 0};
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	/* The exec'd image signals once it runs. */
	siginfo_t info;
	int sig;
	do
		sig = sigwaitinfo(&set, &info);
	while (sig == -1 && errno == EINTR);
	EXPECT_EQ(sig, SIGUSR1);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_ERRNO(setpgid(pid, pid), EACCES);
	EXPECT_ERRNO(setpgid(pid, getpgrp()), EACCES);
	EXPECT_EQ(getpgid(pid), getpgrp());
	EXPECT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_KILLED(pid, SIGKILL);
}

static volatile sig_atomic_t usr1_hits;

static void count_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_hits++;
}

/*
 * kill(0, sig) would also reach whatever shares the test's group (the
 * runner's group holds only the test, but a shell pipeline or timeout(1)
 * run by hand would be signalled): those tests run in a child that first
 * makes a group of its own.
 */
static void in_own_group(void *arg)
{
	void (*fn)(void) = (void (*)(void))arg;
	ASSERT_SYSCALL_OK(setpgid(0, 0));
	fn();
}

static void kill_zero_reaches_group(void)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t a = harness_held_child(release, 0);
	pid_t b = harness_held_child(release, 0);
	pid_t other = harness_held_child(release, 5);
	ASSERT_SYSCALL_OK(setpgid(other, other));
	/* The caller is in its group too: it takes the signal blocked. */
	harness_set_handler(SIGUSR1, count_usr1, 0);
	usr1_hits = 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	EXPECT_SYSCALL_OK(kill(0, SIGUSR1));
	EXPECT_CHILD_KILLED(a, SIGUSR1);
	EXPECT_CHILD_KILLED(b, SIGUSR1);
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGUSR1));
	ASSERT_SYSCALL_OK(sigprocmask(SIG_UNBLOCK, &set, 0));
	EXPECT_EQ(usr1_hits, 1);
	/* The child in another group was not signalled. */
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(other, 5);
}

TEST(pgrp_kill_zero_reaches_the_callers_group)
{
	EXPECT_CHILD_EXIT(harness_fork_child(in_own_group,
					     (void *)kill_zero_reaches_group),
			  0);
}

TEST(pgrp_kill_negative_pgid)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t a = harness_held_child(release, 0);
	pid_t b = harness_held_child(release, 0);
	pid_t same = harness_held_child(release, 6);
	ASSERT_SYSCALL_OK(setpgid(a, a));
	ASSERT_SYSCALL_OK(setpgid(b, a));
	EXPECT_SYSCALL_OK(kill(-a, 0));
	EXPECT_ERRNO(kill(-a, 65), EINVAL);
	EXPECT_SYSCALL_OK(kill(-a, SIGTERM));
	EXPECT_CHILD_KILLED(a, SIGTERM);
	EXPECT_CHILD_KILLED(b, SIGTERM);
	EXPECT_ERRNO(kill(-a, 0), ESRCH);
	EXPECT_ERRNO(kill(-INT_MAX, 0), ESRCH);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(same, 6);
}

struct group_probe {
	int own_group;  /* move into a new group before kill(0) */
};

static void kill_zero_then_tell(void *arg)
{
	struct group_probe *p = arg;
	if (p->own_group)
		ASSERT_SYSCALL_OK(setpgid(0, 0));
	/* SIGUSR2 is blocked here too (inherited): it stays pending. */
	ASSERT_SYSCALL_OK(kill(0, SIGUSR2));
	/* Sent after: once it arrives, SIGUSR2 would have too. */
	ASSERT_SYSCALL_OK(kill(getppid(), SIGUSR1));
}

static void kill_zero_from_child(void)
{
	for (int own = 0; own < 2; own++) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
		struct group_probe p = {own};
		pid_t pid = harness_fork_child(kill_zero_then_tell, &p);
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		int sig;
		do
			sig = sigwaitinfo(&usr1, 0);
		while (sig == -1 && errno == EINTR);
		EXPECT_EQ(sig, SIGUSR1);
		sigset_t pending;
		ASSERT_SYSCALL_OK(sigpending(&pending));
		/* Reached the parent only while they shared the group. */
		EXPECT_EQ(sigismember(&pending, SIGUSR2), !own);
		EXPECT_CHILD_EXIT(pid, 0);
		/* Discard the pending SIGUSR2, if any, for the next round. */
		struct timespec zero = {0, 0};
		sigset_t usr2;
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		sigtimedwait(&usr2, 0, &zero);
	}
}

TEST(pgrp_kill_zero_from_a_child)
{
	EXPECT_CHILD_EXIT(harness_fork_child(in_own_group,
					     (void *)kill_zero_from_child),
			  0);
}
