/*
 * SIGCHLD: what a child's exit, death, stop and continue send to the parent,
 * SA_NOCLDSTOP, and automatic reaping (SA_NOCLDWAIT or SIGCHLD ignored).
 */
#include "harness.h"

#include <sys/wait.h>

static void block_sigchld(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
}

/* The next SIGCHLD (blocked), waited for without a time limit. */
static siginfo_t next_sigchld(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	int sig;
	do
		sig = sigwaitinfo(&set, &info);
	while (sig == -1 && errno == EINTR);
	ASSERT_EQ(sig, SIGCHLD);
	return info;
}

static int sigchld_pending(void)
{
	sigset_t set;
	ASSERT_SYSCALL_OK(sigpending(&set));
	return sigismember(&set, SIGCHLD);
}

TEST(sigchld_on_exit)
{
	/*
	 * SIGCHLD keeps its default (ignore) action: a blocked signal is never
	 * discarded as ignored, also not while sigwaitinfo waits for it and
	 * also not when the receiver is init (as the sandbox's test is). Init
	 * systems such as tini wait for SIGCHLD exactly this way.
	 */
	block_sigchld();
	int go = 1;
	pid_t pid = harness_held_child(&go, 5);
	siginfo_t info = next_sigchld();
	EXPECT_EQ(info.si_signo, SIGCHLD);
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_uid, getuid());
	EXPECT_EQ(info.si_status, 5);
	EXPECT_CHILD_EXIT(pid, 5);
	/* Reaping sends nothing more. */
	EXPECT_FALSE(sigchld_pending());
}

TEST(sigchld_on_kill)
{
	block_sigchld();
	int *release = harness_shared_alloc(sizeof(int));
	pid_t pid = harness_held_child(release, 0);
	EXPECT_SYSCALL_OK(kill(pid, SIGTERM));
	siginfo_t info = next_sigchld();
	EXPECT_EQ(info.si_code, CLD_KILLED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_status, SIGTERM);
	EXPECT_CHILD_KILLED(pid, SIGTERM);
}

static volatile sig_atomic_t handled;
static volatile int handled_code, handled_pid, handled_status;

static void on_sigchld(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	handled++;
	handled_code = info->si_code;
	handled_pid = info->si_pid;
	handled_status = info->si_status;
}

TEST(sigchld_handler_runs)
{
	harness_set_handler(SIGCHLD, on_sigchld, 0);
	handled = 0;
	block_sigchld();
	int go = 1;
	pid_t pid = harness_held_child(&go, 6);
	sigset_t none;
	sigemptyset(&none);
	while (!handled)
		sigsuspend(&none);
	EXPECT_EQ(handled, 1);
	EXPECT_EQ(handled_code, CLD_EXITED);
	EXPECT_EQ(handled_pid, pid);
	EXPECT_EQ(handled_status, 6);
	EXPECT_CHILD_EXIT(pid, 6);
}

struct stopper {
	int resumed;
	int release;
};

static pid_t stopping_child(struct stopper *s, int code)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		harness_set_word(&s->resumed, 1);
		harness_wait_word(&s->release, 1);
		_exit(code);
	}
	return pid;
}

TEST(sigchld_on_stop_and_continue)
{
	block_sigchld();
	struct stopper *s = harness_shared_alloc(sizeof(*s));
	pid_t pid = stopping_child(s, 2);
	siginfo_t info = next_sigchld();
	EXPECT_EQ(info.si_code, CLD_STOPPED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_status, SIGSTOP);

	EXPECT_SYSCALL_OK(kill(pid, SIGCONT));
	info = next_sigchld();
	EXPECT_EQ(info.si_code, CLD_CONTINUED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_EQ(info.si_status, SIGCONT);

	harness_wait_word(&s->resumed, 1);
	harness_set_word(&s->release, 1);
	info = next_sigchld();
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_status, 2);
	EXPECT_CHILD_EXIT(pid, 2);
}

TEST(sigchld_sa_nocldstop)
{
	harness_set_handler(SIGCHLD, on_sigchld, SA_NOCLDSTOP);
	block_sigchld();
	struct stopper *s = harness_shared_alloc(sizeof(*s));
	pid_t pid = stopping_child(s, 3);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(waitid(P_PID, pid, &info, WSTOPPED | WNOWAIT));
	EXPECT_EQ(info.si_code, CLD_STOPPED);
	/* Stopped, and the parent was not signalled. */
	EXPECT_FALSE(sigchld_pending());

	EXPECT_SYSCALL_OK(kill(pid, SIGCONT));
	harness_wait_word(&s->resumed, 1);
	/* Continued (and past the point where it would notify): no signal. */
	EXPECT_FALSE(sigchld_pending());

	harness_set_word(&s->release, 1);
	/* The exit is still signalled. */
	info = next_sigchld();
	EXPECT_EQ(info.si_code, CLD_EXITED);
	EXPECT_EQ(info.si_pid, pid);
	EXPECT_CHILD_EXIT(pid, 3);
}

struct autoreap {
	pid_t first;
	int first_known;
	int second_done;
};

/*
 * Two children: the first exits at once, the second waits until the first
 * is gone (reaped without a wait: its pid no longer exists), then exits.
 * The parent's wait(-1) must block until both are gone and then fail with
 * ECHILD.
 */
static void autoreap_case(void)
{
	struct autoreap *a = harness_shared_alloc(sizeof(*a));
	fflush(stdout);
	pid_t first;
	ASSERT_SYSCALL_OK(first = fork());
	if (first == 0)
		_exit(1);
	a->first = first;
	harness_set_word(&a->first_known, 1);
	fflush(stdout);
	pid_t second;
	ASSERT_SYSCALL_OK(second = fork());
	if (second == 0) {
		harness_wait_word(&a->first_known, 1);
		while (kill(a->first, 0) == 0)
			sched_yield();
		harness_set_word(&a->second_done, 1);
		_exit(2);
	}
	int status;
	long r;
	do
		r = waitpid(-1, &status, 0);
	while (r == -1 && errno == EINTR);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, ECHILD);
	/* The wait ended only when the second child was exiting. */
	EXPECT_EQ(__atomic_load_n(&a->second_done, __ATOMIC_SEQ_CST), 1);
	EXPECT_ERRNO(waitpid(second, &status, WNOHANG), ECHILD);
}

TEST(sigchld_sa_nocldwait_reaps_automatically)
{
	harness_set_handler(SIGCHLD, on_sigchld, SA_NOCLDWAIT);
	block_sigchld();
	autoreap_case();
	/* With a handler, SA_NOCLDWAIT still sends SIGCHLD. */
	EXPECT_TRUE(sigchld_pending());
}

TEST(sigchld_ignored_reaps_automatically)
{
	ASSERT_TRUE(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	block_sigchld();
	autoreap_case();
	/* Ignored: nothing was sent (not even while blocked). */
	EXPECT_FALSE(sigchld_pending());
}

TEST(sigchld_ignoring_later_keeps_existing_zombies)
{
	fflush(stdout);
	pid_t pid;
	ASSERT_SYSCALL_OK(pid = fork());
	if (pid == 0)
		_exit(4);
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	ASSERT_SYSCALL_OK(waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	ASSERT_TRUE(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	/* The zombie made before is still there to wait for. */
	EXPECT_CHILD_EXIT(pid, 4);
}
