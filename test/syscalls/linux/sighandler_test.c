/*
 * Signal handler invocation: siginfo contents, SA_RESETHAND, SA_NODEFER, the
 * mask while a handler runs, and raise() from a thread.
 */
#include "harness.h"

#include <ucontext.h>

#define BIT(sig) (1ULL << ((sig) - 1))

static volatile sig_atomic_t hits;
static volatile int seen_signo, seen_code, seen_pid, seen_errno_field;
static volatile uint64_t mask_in_handler;
static volatile uint64_t uc_mask_in_handler;
static volatile int seen_tid;

static uint64_t raw_current_mask(void)
{
	uint64_t m = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, &m,
		HARNESS_KERNEL_SIGSET_SIZE);
	return m;
}

static void record(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	hits++;
	seen_signo = info->si_signo;
	seen_code = info->si_code;
	seen_pid = info->si_pid;
	seen_errno_field = info->si_errno;
	seen_tid = (int)syscall(SYS_gettid);
	mask_in_handler = raw_current_mask();
	memcpy((void *)&uc_mask_in_handler, &uc->uc_sigmask,
	       sizeof(uc_mask_in_handler));
	(void)sig;
}

TEST(siginfo_from_kill)
{
	harness_set_handler(SIGUSR1, record, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(seen_signo, SIGUSR1);
	EXPECT_EQ(seen_code, SI_USER);
	EXPECT_EQ(seen_pid, getpid());
	EXPECT_EQ(seen_errno_field, 0);
}

TEST(mask_during_handler)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = record;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, 0));

	uint64_t before = BIT(SIGHUP);
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &before, 0,
				  HARNESS_KERNEL_SIGSET_SIZE));
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	/* The signal itself, sa_mask and the old mask are blocked. */
	EXPECT_EQ(mask_in_handler, BIT(SIGHUP) | BIT(SIGUSR1) | BIT(SIGUSR2));
	/* The ucontext holds the mask to restore. */
	EXPECT_EQ(uc_mask_in_handler, BIT(SIGHUP));
	/* And it is restored on return. */
	EXPECT_EQ(raw_current_mask(), BIT(SIGHUP));
}

TEST(sa_nodefer_leaves_signal_unblocked)
{
	harness_set_handler(SIGUSR1, record, SA_NODEFER);
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(mask_in_handler & BIT(SIGUSR1), 0);
}

static volatile int depth, max_depth, calls;

/* Raises its own signal again from inside, until it ran three times. */
static void nested(int sig, siginfo_t *info, void *uc)
{
	(void)info;
	(void)uc;
	calls++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (calls < 3)
		raise(sig);
	depth--;
}

TEST(sa_nodefer_allows_nesting)
{
	harness_set_handler(SIGUSR1, nested, SA_NODEFER);
	depth = max_depth = calls = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(calls, 3);
	EXPECT_EQ(max_depth, 3);
	EXPECT_EQ(depth, 0);
}

TEST(without_nodefer_no_nesting)
{
	harness_set_handler(SIGUSR1, nested, 0);
	depth = max_depth = calls = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	/* Each nested raise stays pending until the handler returns. */
	EXPECT_EQ(calls, 3);
	EXPECT_EQ(max_depth, 1);
}

TEST(sa_resethand)
{
	harness_set_handler(SIGUSR1, record, SA_RESETHAND);
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	struct sigaction old;
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, 0, &old));
	EXPECT_TRUE(old.sa_handler == SIG_DFL);
	/* Block it so the default action cannot end the test process. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
}

static volatile sig_atomic_t plain_hits;

static void plain_handler(int sig)
{
	(void)sig;
	plain_hits++;
}

TEST(handler_without_siginfo)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = plain_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_SYSCALL_OK(sigaction(SIGUSR2, &sa, 0));
	plain_hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	EXPECT_EQ(plain_hits, 2);
}

static void *raise_in_thread(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
	return (void *)(long)syscall(SYS_gettid);
}

TEST(raise_in_thread_runs_handler_in_that_thread)
{
	harness_set_handler(SIGUSR1, record, 0);
	hits = 0;
	seen_tid = 0;
	pthread_t th;
	void *tid;
	ASSERT_EQ(pthread_create(&th, 0, raise_in_thread, 0), 0);
	ASSERT_EQ(pthread_join(th, &tid), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(seen_code, SI_TKILL);
	EXPECT_EQ(seen_tid, (long)tid);
	EXPECT_NE(seen_tid, getpid());
}

TEST(all_pending_signals_delivered_on_unblock)
{
	harness_set_handler(SIGUSR1, record, 0);
	harness_set_handler(SIGUSR2, record, 0);
	harness_set_handler(SIGHUP, record, 0);
	uint64_t set = BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP);
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0,
				  HARNESS_KERNEL_SIGSET_SIZE));
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	ASSERT_SYSCALL_OK(raise(SIGHUP));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	hits = 0;
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, 0,
				  HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(hits, 3);
}
