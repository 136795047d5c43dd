/* Job control without a terminal: stop signals, SIGCONT, and what the
 * parent sees of them (wait4 WUNTRACED/WCONTINUED). */
#include "harness.h"

#include <sys/wait.h>

/* A child that counts in shared memory until told to stop. */
struct counter {
	volatile long n;
	int quit;
};

static void count_forever(void *arg)
{
	struct counter *c = arg;
	while (!__atomic_load_n(&c->quit, __ATOMIC_SEQ_CST))
		c->n++;
}

static pid_t start_counter(struct counter *c)
{
	pid_t pid = harness_fork_child(count_forever, c);
	/* Wait until it runs. */
	while (c->n == 0)
		sched_yield();
	return pid;
}

static int wait_stopped(pid_t pid)
{
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, WUNTRACED);
	while (r == -1 && errno == EINTR);
	EXPECT_EQ(r, pid);
	return status;
}

TEST(jobcontrol_sigstop_stops_and_sigcont_resumes)
{
	struct counter *c = harness_shared_alloc(sizeof(*c));
	pid_t pid = start_counter(c);
	ASSERT_SYSCALL_OK(kill(pid, SIGSTOP));
	int status = wait_stopped(pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
	/* Stopped: the counter does not move. */
	long before = c->n;
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, 0);
	EXPECT_EQ(c->n, before);
	ASSERT_SYSCALL_OK(kill(pid, SIGCONT));
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, WCONTINUED);
	while (r == -1 && errno == EINTR);
	EXPECT_EQ(r, pid);
	EXPECT_TRUE(WIFCONTINUED(st));
	/* Running again. */
	while (c->n == before)
		sched_yield();
	__atomic_store_n(&c->quit, 1, __ATOMIC_SEQ_CST);
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(jobcontrol_sigkill_ends_a_stopped_process)
{
	struct counter *c = harness_shared_alloc(sizeof(*c));
	pid_t pid = start_counter(c);
	ASSERT_SYSCALL_OK(kill(pid, SIGTSTP));
	int status = wait_stopped(pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(WSTOPSIG(status), SIGTSTP);
	ASSERT_SYSCALL_OK(kill(pid, SIGKILL));
	EXPECT_CHILD_KILLED(pid, SIGKILL);
}

TEST(jobcontrol_stop_reported_once)
{
	struct counter *c = harness_shared_alloc(sizeof(*c));
	pid_t pid = start_counter(c);
	ASSERT_SYSCALL_OK(kill(pid, SIGSTOP));
	int status = wait_stopped(pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	/* The stop was consumed: nothing more to report while stopped. */
	EXPECT_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0);
	/* Without WUNTRACED a stop is never reported. */
	EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
	ASSERT_SYSCALL_OK(kill(pid, SIGCONT));
	__atomic_store_n(&c->quit, 1, __ATOMIC_SEQ_CST);
	EXPECT_CHILD_EXIT(pid, 0);
}

static volatile sig_atomic_t tstp_handled;

static void on_tstp(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	tstp_handled = 1;
}

TEST(jobcontrol_handled_or_ignored_stop_signal_does_not_stop)
{
	/* A stop signal with a handler runs the handler. */
	harness_set_handler(SIGTSTP, on_tstp, 0);
	tstp_handled = 0;
	ASSERT_SYSCALL_OK(raise(SIGTSTP));
	EXPECT_EQ(tstp_handled, 1);
	/* An ignored one does nothing; the test goes on. */
	signal(SIGTTOU, SIG_IGN);
	ASSERT_SYSCALL_OK(raise(SIGTTOU));
	signal(SIGTTOU, SIG_DFL);
}

TEST(jobcontrol_sigcont_discards_pending_stop)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGTSTP));
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGTSTP));
	/* SIGCONT, when sent, drops the pending stop signals. */
	ASSERT_SYSCALL_OK(kill(getpid(), SIGCONT));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGTSTP));
	/* And a stop signal, when sent, drops a pending SIGCONT. */
	sigaddset(&set, SIGCONT);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGCONT));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGCONT));
	ASSERT_SYSCALL_OK(raise(SIGTSTP));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGCONT));
	EXPECT_TRUE(sigismember(&pending, SIGTSTP));
}
