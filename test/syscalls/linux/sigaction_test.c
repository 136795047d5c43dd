/* rt_sigaction: valid and invalid signals, old actions, sigsetsize. */
#include "harness.h"

static void handler_a(int sig)
{
	(void)sig;
}

static void handler_b(int sig)
{
	(void)sig;
}

static long raw_sigaction(int sig, const struct harness_kernel_sigaction *act,
			  struct harness_kernel_sigaction *old, size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

TEST(sigaction_invalid_signals)
{
	struct harness_kernel_sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.handler = (void *)handler_a;
	static const int bad[] = {0, -1, 65, 100, SIGKILL, SIGSTOP};
	for (int i = 0; i < 6; i++)
		EXPECT_ERRNO(raw_sigaction(bad[i], &act, 0,
					   HARNESS_KERNEL_SIGSET_SIZE),
			     EINVAL);
	/* Querying works for SIGKILL and SIGSTOP, but not for 0 or 65. */
	EXPECT_SYSCALL_OK(
		raw_sigaction(SIGKILL, 0, &old, HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(old.handler, SIG_DFL);
	EXPECT_SYSCALL_OK(
		raw_sigaction(SIGSTOP, 0, &old, HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_ERRNO(raw_sigaction(0, 0, &old, HARNESS_KERNEL_SIGSET_SIZE),
		     EINVAL);
	EXPECT_ERRNO(raw_sigaction(65, 0, &old, HARNESS_KERNEL_SIGSET_SIZE),
		     EINVAL);
	/* Setting SIG_DFL on SIGKILL is refused all the same. */
	act.handler = SIG_DFL;
	EXPECT_ERRNO(raw_sigaction(SIGKILL, &act, 0, HARNESS_KERNEL_SIGSET_SIZE),
		     EINVAL);
}

TEST(sigaction_all_catchable_signals)
{
	struct harness_kernel_sigaction act, old;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		memset(&act, 0, sizeof(act));
		act.handler = SIG_IGN;
		EXPECT_SYSCALL_OK(raw_sigaction(sig, &act, &old,
						HARNESS_KERNEL_SIGSET_SIZE));
		EXPECT_SYSCALL_OK(raw_sigaction(sig, &old, 0,
						HARNESS_KERNEL_SIGSET_SIZE));
	}
}

TEST(sigaction_bad_sigsetsize)
{
	struct harness_kernel_sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.handler = SIG_IGN;
	static const size_t sizes[] = {0, 4, 7, 9, 16, 128};
	for (int i = 0; i < 6; i++) {
		EXPECT_ERRNO(raw_sigaction(SIGUSR1, &act, 0, sizes[i]), EINVAL);
		EXPECT_ERRNO(raw_sigaction(SIGUSR1, 0, &old, sizes[i]), EINVAL);
	}
}

TEST(sigaction_old_action_returned)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler_a;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGRTMIN + 3);
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, &old));
	EXPECT_TRUE(old.sa_handler == SIG_DFL);

	struct sigaction sb;
	memset(&sb, 0, sizeof(sb));
	sb.sa_handler = handler_b;
	sigemptyset(&sb.sa_mask);
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sb, &old));
	EXPECT_TRUE(old.sa_handler == handler_a);
	EXPECT_TRUE(old.sa_flags & SA_RESTART);
	EXPECT_TRUE(sigismember(&old.sa_mask, SIGUSR2));
	EXPECT_TRUE(sigismember(&old.sa_mask, SIGRTMIN + 3));
	EXPECT_FALSE(sigismember(&old.sa_mask, SIGINT));

	/* Query only. */
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, 0, &old));
	EXPECT_TRUE(old.sa_handler == handler_b);
}

TEST(sigaction_raw_round_trip)
{
	struct harness_kernel_sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.handler = (void *)handler_a;
	act.flags = SA_RESTART | SA_NODEFER | SA_ONSTACK;
	act.mask = (1ULL << (SIGUSR2 - 1)) | (1ULL << (SIGTERM - 1));
	ASSERT_SYSCALL_OK(
		raw_sigaction(SIGUSR1, &act, 0, HARNESS_KERNEL_SIGSET_SIZE));
	memset(&old, 0xff, sizeof(old));
	ASSERT_SYSCALL_OK(
		raw_sigaction(SIGUSR1, 0, &old, HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(old.handler, (void *)handler_a);
	EXPECT_EQ(old.flags, act.flags);
	EXPECT_EQ(old.mask, act.mask);
}

TEST(sigaction_mask_drops_sigkill_and_sigstop)
{
	struct harness_kernel_sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.handler = (void *)handler_a;
	act.mask = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)) |
		   (1ULL << (SIGUSR2 - 1));
	ASSERT_SYSCALL_OK(
		raw_sigaction(SIGUSR1, &act, 0, HARNESS_KERNEL_SIGSET_SIZE));
	ASSERT_SYSCALL_OK(
		raw_sigaction(SIGUSR1, 0, &old, HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(old.mask, 1ULL << (SIGUSR2 - 1));
}

TEST(sigaction_efault)
{
	struct harness_kernel_sigaction old;
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, (void *)1, 0,
				   HARNESS_KERNEL_SIGSET_SIZE),
		     EFAULT);
	EXPECT_ERRNO(raw_sigaction(SIGUSR1, 0, (void *)1,
				   HARNESS_KERNEL_SIGSET_SIZE),
		     EFAULT);
	/* A failed new action leaves the old one in place. */
	EXPECT_SYSCALL_OK(
		raw_sigaction(SIGUSR1, 0, &old, HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(old.handler, SIG_DFL);
}

TEST(sigaction_ignore_discards_pending)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGUSR1));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, 0));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST(ignored_signal_is_not_delivered)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	ASSERT_SYSCALL_OK(sigaction(SIGUSR1, &sa, 0));
	ASSERT_SYSCALL_OK(sigaction(SIGTERM, &sa, 0));
	/* Default action would end the process; ignored, nothing happens. */
	EXPECT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_SYSCALL_OK(kill(getpid(), SIGTERM));
}
