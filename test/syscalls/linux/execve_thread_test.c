/*
 * execve in a multithreaded process: every other thread dies, the process
 * keeps its pid (an exec'ing non-leader thread takes the leader's tid), the
 * new image has one thread with the exec'ing thread's signal mask, and the
 * parent still waits for the same pid. Also after the leader has exited.
 */
#include "harness.h"

#include <linux/futex.h>
#include <stdlib.h>
#include <sys/wait.h>

/*
 * argv: mode, expected pid, expected parent pid, "mask" if SIGUSR2 must be
 * blocked (else "-"), then thread ids that must no longer exist.
 */
CHILD_MODE(exec_report)
{
	ASSERT_GE(argc, 4);
	pid_t pid = (pid_t)atoi(argv[1]);
	pid_t ppid = (pid_t)atoi(argv[2]);
	EXPECT_EQ(getpid(), pid);
	EXPECT_EQ(harness_gettid(), pid);
	EXPECT_EQ(getppid(), ppid);
	sigset_t mask;
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, 0, &mask));
	EXPECT_EQ(sigismember(&mask, SIGUSR2), strcmp(argv[3], "mask") == 0);
	for (int i = 4; i < argc; i++) {
		pid_t tid = (pid_t)atoi(argv[i]);
		EXPECT_ERRNO(harness_tgkill(pid, tid, 0), ESRCH);
		EXPECT_ERRNO(syscall(SYS_tkill, tid, 0), ESRCH);
	}
	return 0;
}

struct threads {
	pid_t pid, ppid;
	pid_t idle_tid;
	pid_t exec_tid;
	int idle_ready;
	int leader_alive;  /* cleared by the kernel when the leader exits */
};

static void *idle_main(void *arg)
{
	struct threads *t = arg;
	t->idle_tid = harness_gettid();
	harness_set_word(&t->idle_ready, 1);
	int word = 0;
	for (;;)
		syscall(SYS_futex, &word, FUTEX_WAIT, 0, 0, 0, 0);
	return 0;
}

/* Execs the report mode; exits 120 if execve fails. */
static void exec_report(struct threads *t, int masked)
{
	char pid[16], ppid[16], tid1[16], tid2[16];
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	snprintf(ppid, sizeof(ppid), "%d", (int)t->ppid);
	snprintf(tid1, sizeof(tid1), "%d", (int)t->idle_tid);
	snprintf(tid2, sizeof(tid2), "%d", (int)t->exec_tid);
	char *argv[] = {(char *)harness_exe_path(),
			HARNESS_CHILD_FLAG,
			"exec_report",
			pid,
			ppid,
			masked ? "mask" : "-",
			tid1,
			/* The exec'ing thread's tid, if it is not the pid. */
			t->exec_tid != t->pid ? tid2 : 0,
			0};
	fflush(stdout);
	execv(argv[0], argv);
	syscall(SYS_exit_group, 120);
}

static void *exec_main(void *arg)
{
	struct threads *t = arg;
	t->exec_tid = harness_gettid();
	/* A mask only this thread has. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, 0);
	exec_report(t, 1);
	return 0;
}

static void start_idle(struct threads *t)
{
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, idle_main, t), 0);
	harness_wait_word(&t->idle_ready, 1);
}

static void exec_from_non_leader(void *arg)
{
	struct threads *t = arg;
	t->pid = getpid();
	t->ppid = getppid();
	start_idle(t);
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, exec_main, t), 0);
	/* The leader blocks; the exec ends it. */
	for (;;)
		pause();
}

TEST(execve_from_a_non_leader_thread)
{
	struct threads *t = harness_shared_alloc(sizeof(*t));
	pid_t pid = harness_fork_child(exec_from_non_leader, t);
	/* The new image reports through its exit status (0: all good). */
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_NE(t->exec_tid, pid);
}

static void exec_from_leader(void *arg)
{
	struct threads *t = arg;
	t->pid = getpid();
	t->ppid = getppid();
	t->exec_tid = harness_gettid();
	start_idle(t);
	exec_report(t, 0);
}

TEST(execve_from_the_leader_with_other_threads)
{
	struct threads *t = harness_shared_alloc(sizeof(*t));
	EXPECT_CHILD_EXIT(harness_fork_child(exec_from_leader, t), 0);
}

static void *exec_after_leader(void *arg)
{
	struct threads *t = arg;
	t->exec_tid = harness_gettid();
	for (;;) {
		int v = __atomic_load_n(&t->leader_alive, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		syscall(SYS_futex, &t->leader_alive, FUTEX_WAIT, v, 0, 0, 0);
	}
	exec_report(t, 0);
	return 0;
}

static void exec_after_leader_exit(void *arg)
{
	struct threads *t = arg;
	t->pid = getpid();
	t->ppid = getppid();
	t->leader_alive = harness_gettid();
	start_idle(t);
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, exec_after_leader, t), 0);
	syscall(SYS_set_tid_address, &t->leader_alive);
	/* Only the leader exits; the process lives on. */
	syscall(SYS_exit, 0);
}

TEST(execve_after_the_leader_exited)
{
	struct threads *t = harness_shared_alloc(sizeof(*t));
	EXPECT_CHILD_EXIT(harness_fork_child(exec_after_leader_exit, t), 0);
}
