/*
 * wait4/waitpid: which children a pid argument selects, WNOHANG, WUNTRACED,
 * WCONTINUED, __WNOTHREAD, the status encoding, rusage, EINTR, and errors.
 */
#include "harness.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

TEST(wait_specific_pid_in_any_order)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t c[3];
	for (int i = 0; i < 3; i++)
		c[i] = harness_held_child(release, 10 + i);
	harness_set_word(release, 1);
	int status = 0;
	EXPECT_EQ(waitpid(c[2], &status, 0), c[2]);
	EXPECT_EXITED(status, 12);
	EXPECT_EQ(waitpid(c[0], &status, 0), c[0]);
	EXPECT_EXITED(status, 10);
	EXPECT_EQ(waitpid(-1, &status, 0), c[1]);
	EXPECT_EXITED(status, 11);
	EXPECT_ERRNO(waitpid(-1, &status, 0), ECHILD);
}

TEST(wait_any_collects_every_child_once)
{
	enum { N = 5 };
	int *release = harness_shared_alloc(sizeof(int));
	pid_t c[N];
	int seen[N] = {0};
	for (int i = 0; i < N; i++)
		c[i] = harness_held_child(release, 20 + i);
	harness_set_word(release, 1);
	for (int n = 0; n < N; n++) {
		int status = 0;
		pid_t p = waitpid(-1, &status, 0);
		ASSERT_GT(p, 0);
		int found = 0;
		for (int i = 0; i < N; i++) {
			if (c[i] != p)
				continue;
			found = 1;
			EXPECT_EQ(seen[i], 0);
			seen[i] = 1;
			EXPECT_EXITED(status, 20 + i);
		}
		EXPECT_TRUE(found);
	}
	EXPECT_ERRNO(waitpid(-1, 0, WNOHANG), ECHILD);
}

TEST(wait_any_returns_a_zombie_while_others_run)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t running = harness_held_child(release, 0);
	int dummy = 1;
	pid_t quick = harness_held_child(&dummy, 7);
	int status = 0;
	EXPECT_EQ(waitpid(-1, &status, 0), quick);
	EXPECT_EXITED(status, 7);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(running, 0);
}

TEST(wait_own_group_and_other_groups)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t same = harness_held_child(release, 1);
	fflush(stdout);
	pid_t other;
	ASSERT_SYSCALL_OK(other = fork());
	if (other == 0) {
		setpgid(0, 0);
		harness_wait_word(release, 1);
		_exit(2);
	}
	/* Both sides set the group, so it is set before either goes on. */
	ASSERT_SYSCALL_OK(setpgid(other, other));
	EXPECT_EQ(getpgid(other), other);
	EXPECT_EQ(getpgid(same), getpgrp());
	int status = 0;
	/* No child in a group that has no processes. */
	EXPECT_ERRNO(waitpid(-INT_MAX, &status, WNOHANG), ECHILD);
	EXPECT_EQ(waitpid(0, &status, WNOHANG), 0);
	EXPECT_EQ(waitpid(-other, &status, WNOHANG), 0);
	harness_set_word(release, 1);
	/* pid 0: only children in the caller's process group. */
	EXPECT_EQ(waitpid(0, &status, 0), same);
	EXPECT_EXITED(status, 1);
	EXPECT_ERRNO(waitpid(0, &status, WNOHANG), ECHILD);
	/* In the sandbox the test is init, in group 1: -1 means any child. */
	if (getpgrp() != 1)
		EXPECT_ERRNO(waitpid(-getpgrp(), &status, WNOHANG), ECHILD);
	/* pid -pgid: only children in that group. */
	EXPECT_EQ(waitpid(-other, &status, 0), other);
	EXPECT_EXITED(status, 2);
}

TEST(wait_wnohang_with_running_child_returns_zero)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 3);
	int status = 12345;
	EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
	EXPECT_EQ(waitpid(-1, &status, WNOHANG), 0);
	EXPECT_EQ(syscall(SYS_wait4, pid, &status, WNOHANG, 0), 0);
	/* Nothing was stored. */
	EXPECT_EQ(status, 12345);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 3);
}

static void *idle_thread(void *arg)
{
	harness_wait_word(arg, 1);
	return 0;
}

TEST(wait_echild_and_esrch)
{
	int status;
	EXPECT_ERRNO(waitpid(-1, &status, 0), ECHILD);
	EXPECT_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
	EXPECT_ERRNO(waitpid(0, &status, 0), ECHILD);
	EXPECT_ERRNO(waitpid(getpid(), &status, 0), ECHILD);
	EXPECT_ERRNO(waitpid(INT_MAX, &status, 0), ECHILD);
	EXPECT_ERRNO(waitpid(-INT_MAX, &status, 0), ECHILD);
	/* -INT_MIN does not exist. */
	EXPECT_ERRNO(syscall(SYS_wait4, INT_MIN, &status, 0, 0), ESRCH);
	/* A thread of ours is not a child. */
	int release = 0;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, idle_thread, &release), 0);
	EXPECT_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
	harness_set_word(&release, 1);
	EXPECT_EQ(pthread_join(th, 0), 0);
}

static void grandchild_parent(void *arg)
{
	int *gc = arg;
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		harness_wait_word(&gc[1], 1);
		_exit(5);
	}
	gc[0] = pid;
	harness_set_word(&gc[2], 1);
	EXPECT_CHILD_EXIT(pid, 5);
}

TEST(wait_for_grandchild_is_echild)
{
	int *gc = harness_shared_alloc(3 * sizeof(int));
	pid_t child = harness_fork_child(grandchild_parent, gc);
	harness_wait_word(&gc[2], 1);
	int status;
	EXPECT_ERRNO(waitpid(gc[0], &status, WNOHANG), ECHILD);
	EXPECT_ERRNO(waitpid(gc[0], &status, __WALL), ECHILD);
	harness_set_word(&gc[1], 1);
	EXPECT_CHILD_EXIT(child, 0);
}

TEST(wait_status_exit_codes)
{
	static const int codes[] = {0, 1, 42, 127, 128, 255};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		fflush(stdout);
		pid_t pid;
		ASSERT_SYSCALL_OK(pid = fork());
		if (pid == 0)
			_exit(codes[i]);
		int status = harness_wait(pid);
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_FALSE(WIFSIGNALED(status));
		EXPECT_FALSE(WIFSTOPPED(status));
		EXPECT_EQ(WEXITSTATUS(status), codes[i]);
		/* The raw encoding: code << 8. */
		EXPECT_EQ(status, codes[i] << 8);
	}
}

static void die_by(int sig)
{
	/*
	 * No core dump, natively too: a limit of 1 byte stops both file core
	 * dumps (below the minimum size) and piped ones (the kernel skips a
	 * pipe when the limit is 1), so the 0x80 bit is never set.
	 */
	struct rlimit rl = {1, 1};
	setrlimit(RLIMIT_CORE, &rl);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
	signal(sig, SIG_DFL);
	if (sig == SIGSEGV) {
		/* A real fault. */
		volatile int *p = mmap(0, 4096, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		*p = 1;
	}
	else if (sig == SIGABRT)
		abort();
	else
		kill(getpid(), sig);
	_exit(100);
}

TEST(wait_status_killed_by_signals)
{
	static const int sigs[] = {SIGKILL, SIGTERM, SIGHUP, SIGUSR1,
				   SIGSEGV, SIGABRT, SIGQUIT,
				   40 /* real-time */};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		fflush(stdout);
		pid_t pid;
		ASSERT_SYSCALL_OK(pid = fork());
		if (pid == 0)
			die_by(sigs[i]);
		int status = harness_wait(pid);
		EXPECT_KILLED(status, sigs[i]);
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_FALSE(WIFEXITED(status));
		EXPECT_EQ(WTERMSIG(status), sigs[i]);
		EXPECT_FALSE(WCOREDUMP(status));
		EXPECT_EQ(status, sigs[i]);
	}
}

TEST(wait_stopped_and_continued)
{
	/* The child exits only when told: a continued child that had
	 * already exited would have no continue left to report. */
	int *go = harness_shared_alloc(sizeof(int));
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		harness_wait_word(go, 1);
		_exit(9);
	}
	/* Wait for the stop without consuming it. */
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(waitid(P_PID, pid, &info, WSTOPPED | WNOWAIT));
	int status = 0;
	/* Without WUNTRACED, a stop is not reported. */
	EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
	EXPECT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
	EXPECT_EQ(status, (SIGSTOP << 8) | 0x7f);
	/* Reported once. */
	EXPECT_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0);

	EXPECT_SYSCALL_OK(kill(pid, SIGCONT));
	EXPECT_EQ(waitpid(pid, &status, WCONTINUED), pid);
	EXPECT_TRUE(WIFCONTINUED(status));
	EXPECT_EQ(status, 0xffff);
	harness_set_word(go, 1);
	EXPECT_CHILD_EXIT(pid, 9);
}

TEST(wait4_rusage)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit(4);
	struct rusage ru;
	memset(&ru, 0xff, sizeof(ru));
	int status = 0;
	EXPECT_EQ(syscall(SYS_wait4, pid, &status, 0, &ru), pid);
	EXPECT_EXITED(status, 4);
	EXPECT_GE(ru.ru_utime.tv_sec, 0);
	EXPECT_GE(ru.ru_utime.tv_usec, 0);
	EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
	EXPECT_GE(ru.ru_stime.tv_sec, 0);
	EXPECT_GE(ru.ru_stime.tv_usec, 0);
	EXPECT_LT(ru.ru_stime.tv_usec, 1000000);
	/* A null status pointer is fine too. */
	fflush(stdout);
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit(0);
	EXPECT_EQ(syscall(SYS_wait4, pid, 0, 0, &ru), pid);
}

TEST(wait4_bad_pointers_efault_after_reaping)
{
	for (int which = 0; which < 2; which++) {
		fflush(stdout);
		pid_t pid;
		ASSERT_SYSCALL_OK(pid = fork());
		if (pid == 0)
			_exit(0);
		void *bad = harness_unmapped(harness_page_size());
		if (which == 0)
			EXPECT_ERRNO(syscall(SYS_wait4, pid, bad, 0, 0),
				     EFAULT);
		else
			EXPECT_ERRNO(syscall(SYS_wait4, pid, 0, 0, bad),
				     EFAULT);
		/* Linux copies out after reaping: the child is gone. */
		EXPECT_ERRNO(waitpid(pid, 0, WNOHANG), ECHILD);
	}
}

TEST(wait4_invalid_options)
{
	static const int bad[] = {WEXITED, WNOWAIT, 0x10, 0x100, 0x4000,
				  0x1000000 | WNOHANG};
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status;
		EXPECT_ERRNO(syscall(SYS_wait4, -1, &status, bad[i], 0),
			     EINVAL);
		EXPECT_ERRNO(syscall(SYS_wait4, pid, &status, bad[i], 0),
			     EINVAL);
	}
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
	/* EINVAL comes before ECHILD. */
	EXPECT_ERRNO(syscall(SYS_wait4, -1, 0, WEXITED, 0), EINVAL);
}

static int *handler_release;
static volatile sig_atomic_t handler_hits;

static void release_after_three(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	if (++handler_hits == 3)
		harness_set_word(handler_release, 1);
}

static void count_only(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handler_hits++;
}

TEST(wait_interrupted_by_handler)
{
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 0);
	harness_set_handler(SIGUSR1, count_only, 0);
	handler_hits = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 1000000);
	int status;
	EXPECT_ERRNO(waitpid(pid, &status, 0), EINTR);
	harness_signaller_stop(&s);
	EXPECT_GE(handler_hits, 1);
	harness_set_word(release, 1);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(wait_restarted_with_sa_restart)
{
	int *release = harness_shared_alloc(sizeof(int));
	handler_release = release;
	pid_t pid = harness_held_child(release, 6);
	harness_set_handler(SIGUSR1, release_after_three, SA_RESTART);
	handler_hits = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 1000000);
	/* The child exits only after three handlers ran during the wait. */
	int status = 0;
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	harness_signaller_stop(&s);
	EXPECT_EXITED(status, 6);
	EXPECT_GE(handler_hits, 3);
}

struct nothread {
	pid_t child;
	int status;
	long nothread_ret, nothread_errno, nohang_ret, wait_ret;
	int *release;
};

static void *sibling_waiter(void *arg)
{
	struct nothread *n = arg;
	int status;
	errno = 0;
	n->nothread_ret = waitpid(n->child, &status, WNOHANG | __WNOTHREAD);
	n->nothread_errno = errno;
	n->nohang_ret = waitpid(n->child, &status, WNOHANG);
	harness_set_word(n->release, 1);
	n->wait_ret = waitpid(n->child, &n->status, 0);
	return 0;
}

TEST(wait_by_another_thread_and_wnothread)
{
	struct nothread n;
	memset(&n, 0, sizeof(n));
	n.release = harness_shared_alloc(sizeof(int));
	n.child = harness_held_child(n.release, 8);
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, sibling_waiter, &n), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	/* The thread did not fork the child: __WNOTHREAD hides it. */
	EXPECT_EQ(n.nothread_ret, -1);
	EXPECT_EQ(n.nothread_errno, ECHILD);
	/* Without it, any thread of the parent waits for its children. */
	EXPECT_EQ(n.nohang_ret, 0);
	EXPECT_EQ(n.wait_ret, n.child);
	EXPECT_EXITED(n.status, 8);
}
