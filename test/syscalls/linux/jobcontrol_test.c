/* Job control without a terminal: stop signals, SIGCONT, what the parent
 * sees of them (wait4 WUNTRACED/WCONTINUED), and orphaned process groups.
 *
 * A stopped child runs in a process group of its own: its parent, the test,
 * is then in another group of the same session, so the child's group is not
 * orphaned wherever the test runs (in the sandbox the test is init, whose own
 * group is orphaned, as is a group whose session leader's parent is outside
 * the session). */
#include "harness.h"

#include <sys/prctl.h>
#include <sys/wait.h>

/* A child that counts in shared memory until told to stop. */
struct counter {
	volatile long n;
	int quit;
};

static void count_forever(void *arg)
{
	struct counter *c = arg;
	ASSERT_SYSCALL_OK(setpgid(0, 0));
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

static void raise_terminal_stops(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(raise(SIGTSTP));
	ASSERT_SYSCALL_OK(raise(SIGTTIN));
	ASSERT_SYSCALL_OK(raise(SIGTTOU));
}

static void raise_sigstop(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(raise(SIGSTOP));
}

/* In a new session: the caller's group then has no parent in the session. */
static void orphaned_group_stops(void *arg)
{
	(void)arg;
	ASSERT_SYSCALL_OK(setsid());
	/* SIGTSTP, SIGTTIN and SIGTTOU are discarded: the child runs on. */
	pid_t pid = harness_fork_child(raise_terminal_stops, 0);
	int status;
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	EXPECT_EXITED(status, 0);
	/* SIGSTOP stops all the same. */
	pid = harness_fork_child(raise_sigstop, 0);
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
	ASSERT_SYSCALL_OK(kill(pid, SIGCONT));
	EXPECT_CHILD_EXIT(pid, 0);
}

TEST(jobcontrol_orphaned_group_ignores_terminal_stops)
{
	EXPECT_CHILD_EXIT(harness_fork_child(orphaned_group_stops, 0), 0);
}

struct orphaning {
	int ignore_hup;
	pid_t stopped;
};

static void stop_in_own_group(void *arg)
{
	struct orphaning *o = arg;
	if (o->ignore_hup)
		signal(SIGHUP, SIG_IGN);
	ASSERT_SYSCALL_OK(setpgid(0, 0));
	ASSERT_SYSCALL_OK(raise(SIGSTOP));
}

/* Leads a new session and leaves a stopped child in another group of it. */
static void exit_leaving_stopped_child(void *arg)
{
	struct orphaning *o = arg;
	ASSERT_SYSCALL_OK(setsid());
	pid_t pid = harness_fork_child(stop_in_own_group, o);
	int status;
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	EXPECT_TRUE(WIFSTOPPED(status));
	o->stopped = pid;
}

static void not_subreaper(void *arg)
{
	(void)arg;
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

/*
 * When the parent exits, the stopped child's group loses its only link to
 * the session (the new parent is the test, in another session): it is sent
 * SIGHUP, then SIGCONT. The test adopts the orphan as a child subreaper.
 */
TEST(jobcontrol_exit_orphaning_a_stopped_group_hangs_it_up)
{
	struct orphaning *o = harness_shared_alloc(sizeof(*o));
	ASSERT_SYSCALL_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	harness_defer(not_subreaper, 0);
	for (int ignore = 0; ignore <= 1; ignore++) {
		o->ignore_hup = ignore;
		o->stopped = 0;
		EXPECT_CHILD_EXIT(harness_fork_child(exit_leaving_stopped_child, o), 0);
		ASSERT_GT(o->stopped, 0);
		if (ignore)
			/* SIGHUP ignored: SIGCONT lets it run to its end. */
			EXPECT_CHILD_EXIT(o->stopped, 0);
		else
			EXPECT_CHILD_KILLED(o->stopped, SIGHUP);
	}
}
