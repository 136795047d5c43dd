/*
 * Process exit: zombies, the 8-bit exit code, orphans reparented to the
 * nearest child subreaper (natively; in the sandbox the test is init, where
 * orphans go anyway: the test sets PR_SET_CHILD_SUBREAPER so both agree),
 * and multithreaded exits (a thread's exit, the leader's exit, exit_group,
 * fatal signals).
 */
#include "harness.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Waits until pid is a zombie, without reaping it. */
static void wait_zombie(pid_t pid)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	ASSERT_EQ(info.si_pid, pid);
}

TEST(exit_zombie_stays_until_waited)
{
	pid_t pid = harness_exiting_child(13);
	wait_zombie(pid);
	/* A zombie can still be named. */
	EXPECT_SYSCALL_OK(kill(pid, 0));
	EXPECT_EQ(getpgid(pid), getpgrp());
	EXPECT_EQ(getsid(pid), getsid(0));
	/* Signals to a zombie succeed and change nothing. */
	EXPECT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_EXIT(pid, 13);
	EXPECT_ERRNO(kill(pid, 0), ESRCH);
	EXPECT_ERRNO(getpgid(pid), ESRCH);
}

TEST(exit_code_is_truncated_to_8_bits)
{
	static const struct {
		long code;
		int want;
	} cases[] = {
		{0, 0}, {255, 255}, {256, 0},
		{257, 1}, {-1, 255}, {0x1234, 0x34},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* exit_group, and exit of the only thread. */
		for (int nr = 0; nr < 2; nr++) {
			fflush(stdout);
			pid_t pid;
			ASSERT_SYSCALL_OK(pid = fork());
			if (pid == 0)
				syscall(nr ? SYS_exit : SYS_exit_group,
					cases[i].code);
			EXPECT_CHILD_EXIT(pid, cases[i].want);
		}
	}
}

static void unset_subreaper(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) != 0)
		harness_fail(__FILE__, __LINE__, "PR_SET_CHILD_SUBREAPER 0: %s",
			     harness_errno_name(errno));
}

/* Makes the test process a child subreaper for this test. */
static void become_subreaper(void)
{
	ASSERT_SYSCALL_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	harness_defer(unset_subreaper, 0);
}

/* Spins until the caller's parent is ppid (it changes when orphaned). */
static void wait_for_parent(pid_t ppid)
{
	while ((pid_t)syscall(SYS_getppid) != ppid)
		sched_yield();
}

struct orphan {
	pid_t reaper, grandchild;
	int release;
};

static void orphaning_parent(void *arg)
{
	struct orphan *o = arg;
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		harness_wait_word(&o->release, 1);
		wait_for_parent(o->reaper);
		_exit(7);
	}
	o->grandchild = pid;
	/* Exit without waiting: the grandchild is orphaned. */
}

TEST(exit_orphan_reparented_to_subreaper)
{
	become_subreaper();
	struct orphan *o = harness_shared_alloc(sizeof(*o));
	o->reaper = getpid();
	pid_t child = harness_fork_child(orphaning_parent, o);
	EXPECT_CHILD_EXIT(child, 0);
	harness_set_word(&o->release, 1);
	/* The orphan is now ours to wait for. */
	EXPECT_CHILD_EXIT(o->grandchild, 7);
}

static void zombie_orphaning_parent(void *arg)
{
	struct orphan *o = arg;
	pid_t pid = harness_exiting_child(8);
	o->grandchild = pid;
	wait_zombie(pid);
}

TEST(exit_orphaned_zombie_reparented_and_reapable)
{
	become_subreaper();
	struct orphan *o = harness_shared_alloc(sizeof(*o));
	pid_t child = harness_fork_child(zombie_orphaning_parent, o);
	EXPECT_CHILD_EXIT(child, 0);
	EXPECT_CHILD_EXIT(o->grandchild, 8);
}

static void clone_orphaning_parent(void *arg)
{
	struct orphan *o = arg;
	fflush(stdout);
	/* A "clone" child: its exit signal is SIGUSR1. */
	long pid;
	ASSERT_SYSCALL_OK(pid = syscall(SYS_clone, SIGUSR1, 0, 0, 0, 0));
	if (pid == 0) {
		harness_wait_word(&o->release, 1);
		wait_for_parent(o->reaper);
		_exit(9);
	}
	o->grandchild = (pid_t)pid;
}

TEST(exit_reparenting_resets_exit_signal_to_sigchld)
{
	become_subreaper();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	struct orphan *o = harness_shared_alloc(sizeof(*o));
	o->reaper = getpid();
	pid_t child = harness_fork_child(clone_orphaning_parent, o);
	EXPECT_CHILD_EXIT(child, 0);
	harness_set_word(&o->release, 1);
	/* A plain wait (no __WCLONE) sees it now. */
	int status = 0;
	EXPECT_EQ(waitpid(o->grandchild, &status, 0), o->grandchild);
	EXPECT_EXITED(status, 9);
	ASSERT_SYSCALL_OK(sigpending(&set));
	EXPECT_FALSE(sigismember(&set, SIGUSR1));
}

struct nested {
	pid_t reaper, grandchild;
	int release;
};

static void nested_middle(void *arg)
{
	struct nested *n = arg;
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		/* The grandchild: waits until the nearer reaper adopted it. */
		harness_wait_word(&n->release, 1);
		wait_for_parent(n->reaper);
		_exit(3);
	}
	n->grandchild = pid;
}

static void nearest_subreaper(void *arg)
{
	struct nested *n = arg;
	ASSERT_SYSCALL_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	n->reaper = getpid();
	EXPECT_CHILD_EXIT(harness_fork_child(nested_middle, n), 0);
	harness_set_word(&n->release, 1);
	EXPECT_CHILD_EXIT(n->grandchild, 3);
}

TEST(exit_orphan_goes_to_the_nearest_subreaper)
{
	become_subreaper();
	struct nested *n = harness_shared_alloc(sizeof(*n));
	EXPECT_CHILD_EXIT(harness_fork_child(nearest_subreaper, n), 0);
}

static void *exit_thread_with_5(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 5);
	return 0;
}

static void thread_exit_child(void *arg)
{
	(void)arg;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, exit_thread_with_5, 0), 0);
	/* The kernel clears the thread's tid on its exit: join returns. */
	EXPECT_EQ(pthread_join(th, 0), 0);
	_exit(3);
}

TEST(exit_of_a_thread_does_not_end_the_process)
{
	EXPECT_CHILD_EXIT(harness_fork_child(thread_exit_child, 0), 3);
}

struct leader_exit {
	int leader_alive;  /* cleared by the kernel when the leader exits */
	int leader_gone;
	int release;
};

static void *outliving_thread(void *arg)
{
	struct leader_exit *l = arg;
	for (;;) {
		int v = __atomic_load_n(&l->leader_alive, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &l->leader_alive, FUTEX_WAIT, v, 0, 0, 0);
	}
	harness_set_word(&l->leader_gone, 1);
	harness_wait_word(&l->release, 1);
	syscall(SYS_exit, 4);
	return 0;
}

static void leader_exit_child(void *arg)
{
	struct leader_exit *l = arg;
	l->leader_alive = harness_gettid();
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, outliving_thread, l), 0);
	syscall(SYS_set_tid_address, &l->leader_alive);
	syscall(SYS_exit, 6);
}

TEST(exit_of_the_leader_first)
{
	struct leader_exit *l = harness_shared_alloc(sizeof(*l));
	pid_t pid = harness_fork_child(leader_exit_child, l);
	harness_wait_word(&l->leader_gone, 1);
	/* The process lives on in its other thread. */
	int status;
	EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
	EXPECT_SYSCALL_OK(kill(pid, 0));
	harness_set_word(&l->release, 1);
	/*
	 * No exit_group happened: the status is the exit code of the last
	 * thread to exit (Linux 6.0 and later; before, it was the leader's).
	 */
	EXPECT_CHILD_EXIT(pid, 4);
}

static int ready_threads;

static void *block_forever(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ready_threads, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return 0;
}

static void *futex_forever(void *arg)
{
	(void)arg;
	int word = 0;
	__atomic_add_fetch(&ready_threads, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_futex, &word, FUTEX_WAIT, 0, 0, 0, 0);
	return 0;
}

static void *exit_group_11(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&ready_threads, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	syscall(SYS_exit_group, 11);
	return 0;
}

static void exit_group_child(void *arg)
{
	(void)arg;
	pthread_t a, b, c;
	ASSERT_EQ(pthread_create(&a, 0, block_forever, 0), 0);
	ASSERT_EQ(pthread_create(&b, 0, futex_forever, 0), 0);
	ASSERT_EQ(pthread_create(&c, 0, exit_group_11, 0), 0);
	for (;;)
		pause();
}

TEST(exit_group_from_a_thread_ends_every_thread)
{
	EXPECT_CHILD_EXIT(harness_fork_child(exit_group_child, 0), 11);
}

struct blocked {
	int ready;
};

static void sigkill_child(void *arg)
{
	struct blocked *b = arg;
	pthread_t x, y;
	ASSERT_EQ(pthread_create(&x, 0, block_forever, 0), 0);
	ASSERT_EQ(pthread_create(&y, 0, futex_forever, 0), 0);
	while (__atomic_load_n(&ready_threads, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	harness_set_word(&b->ready, 1);
	for (;;)
		pause();
}

TEST(exit_sigkill_ends_every_thread)
{
	struct blocked *b = harness_shared_alloc(sizeof(*b));
	pid_t pid = harness_fork_child(sigkill_child, b);
	harness_wait_word(&b->ready, 1);
	EXPECT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_KILLED(pid, SIGKILL);
}

static void *term_own_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&ready_threads, __ATOMIC_SEQ_CST) < 1)
		sched_yield();
	/* Thread-directed, but the default action ends the process. */
	harness_tgkill(getpid(), harness_gettid(), SIGTERM);
	return 0;
}

static void fatal_in_thread_child(void *arg)
{
	(void)arg;
	pthread_t x, y;
	ASSERT_EQ(pthread_create(&x, 0, block_forever, 0), 0);
	ASSERT_EQ(pthread_create(&y, 0, term_own_thread, 0), 0);
	for (;;)
		pause();
}

TEST(exit_fatal_signal_to_a_thread_ends_the_process)
{
	EXPECT_CHILD_KILLED(harness_fork_child(fatal_in_thread_child, 0),
			    SIGTERM);
}
