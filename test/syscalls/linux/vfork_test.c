/*
 * vfork and clone(CLONE_VM | CLONE_VFORK): the parent (only the calling
 * thread) is suspended until the child exits or execs, and until then the
 * two share memory.
 *
 * A vfork child shares the parent's stack and thread-local storage: it uses
 * only harness_raw_syscall (which leaves errno alone), volatile globals and
 * _exit, and never returns from the function that called vfork.
 */
#include "harness.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

CHILD_MODE(pause_forever)
{
	(void)argc;
	(void)argv;
	for (;;)
		pause();
	return 0;
}

static volatile int stage;
static volatile long child_result;
static volatile int child_pid_seen, child_ppid_seen;

/* A short sleep in the child: a parent that was not suspended would run on. */
static void child_nap(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	harness_raw_syscall(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
}

TEST(vfork_parent_waits_for_exit_and_sees_writes)
{
	for (int round = 0; round < 3; round++) {
		volatile int local = 0;
		stage = 0;
		pid_t pid = vfork();
		if (pid == 0) {
			local = 1;
			stage = 1;
			child_nap();
			stage = 2;
			child_pid_seen = (int)harness_raw_syscall(
				SYS_getpid, 0, 0, 0, 0, 0, 0);
			child_ppid_seen = (int)harness_raw_syscall(
				SYS_getppid, 0, 0, 0, 0, 0, 0);
			_exit(5 + round);
		}
		ASSERT_GT(pid, 0);
		/* The child ran to its _exit before vfork returned here. */
		EXPECT_EQ(stage, 2);
		EXPECT_EQ(local, 1);
		EXPECT_EQ(child_pid_seen, pid);
		EXPECT_NE(child_pid_seen, getpid());
		EXPECT_EQ(child_ppid_seen, getpid());
		EXPECT_CHILD_EXIT(pid, 5 + round);
	}
}

TEST(vfork_parent_resumes_when_child_execs)
{
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"pause_forever", 0};
	char *envp[] = {0};
	child_result = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		child_result = harness_raw_syscall(SYS_execve, (long)argv[0],
						   (long)argv, (long)envp, 0,
						   0, 0);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	/* The exec succeeded and the child now runs on, paused. */
	EXPECT_EQ(child_result, 0);
	EXPECT_SYSCALL_OK(kill(pid, 0));
	EXPECT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_KILLED(pid, SIGKILL);
}

TEST(vfork_exec_failure_seen_by_parent)
{
	char *argv[] = {"/nonexistent/bulwark-no-such-file", 0};
	char *envp[] = {0};
	child_result = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		child_result = harness_raw_syscall(SYS_execve, (long)argv[0],
						   (long)argv, (long)envp, 0,
						   0, 0);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	EXPECT_EQ(child_result, -ENOENT);
	EXPECT_CHILD_EXIT(pid, 127);
}

static volatile sig_atomic_t usr1_hits;
static volatile int hits_seen_by_child;

static void count_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_hits++;
}

TEST(vfork_parent_takes_signals_only_after_child_exits)
{
	harness_set_handler(SIGUSR1, count_usr1, 0);
	usr1_hits = 0;
	hits_seen_by_child = -1;
	pid_t parent = getpid();
	pid_t pid = vfork();
	if (pid == 0) {
		harness_raw_syscall(SYS_kill, parent, SIGUSR1, 0, 0, 0, 0);
		/*
		 * The handler would run on the stack this child is using: the
		 * parent must not take the signal while it is suspended.
		 */
		child_nap();
		hits_seen_by_child = usr1_hits;
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	EXPECT_EQ(hits_seen_by_child, 0);
	/* Delivered on the way out of vfork. */
	EXPECT_EQ(usr1_hits, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

struct helper_thread {
	int started;   /* the vfork child runs */
	int answered;  /* the parent's other thread ran meanwhile */
};

static struct helper_thread helper;

static void *helper_main(void *arg)
{
	(void)arg;
	harness_wait_word(&helper.started, 1);
	harness_set_word(&helper.answered, 1);
	return 0;
}

TEST(vfork_suspends_only_the_calling_thread)
{
	memset(&helper, 0, sizeof(helper));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, helper_main, 0), 0);
	pid_t pid = vfork();
	if (pid == 0) {
		/* Hangs (until the runner's timeout) if it is stopped. */
		harness_set_word(&helper.started, 1);
		harness_wait_word(&helper.answered, 1);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	EXPECT_EQ(helper.answered, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(pthread_join(th, 0), 0);
}

static int clone_vfork_child(void *arg)
{
	volatile int *local = arg;
	*local = 1;
	stage = 1;
	child_nap();
	stage = 2;
	return 9;
}

TEST(clone_vm_vfork_with_own_stack)
{
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	volatile int local = 0;
	stage = 0;
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(clone_vfork_child, stack + len,
			CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&local));
	EXPECT_EQ(stage, 2);
	EXPECT_EQ(local, 1);
	EXPECT_CHILD_EXIT(pid, 9);
	EXPECT_SYSCALL_OK(munmap(stack, len));
}

static int clone_vfork_exec_child(void *arg)
{
	char **argv = arg;
	char *envp[] = {0};
	child_result = harness_raw_syscall(SYS_execve, (long)argv[0],
					   (long)argv, (long)envp, 0, 0, 0);
	return 127;
}

TEST(clone_vfork_without_vm_resumes_at_exec)
{
	/* CLONE_VFORK alone: a copy of memory, still waited on. */
	char *argv[] = {(char *)harness_exe_path(), HARNESS_CHILD_FLAG,
			"pause_forever", 0};
	size_t len = 16 * harness_page_size();
	char *stack = harness_map(len, PROT_READ | PROT_WRITE);
	child_result = 1;
	int pid;
	ASSERT_SYSCALL_OK(pid = clone(clone_vfork_exec_child, stack + len,
			CLONE_VFORK | SIGCHLD, argv));
	/* The child's write went to its own copy. */
	EXPECT_EQ(child_result, 1);
	EXPECT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_KILLED(pid, SIGKILL);
	EXPECT_SYSCALL_OK(munmap(stack, len));
}
