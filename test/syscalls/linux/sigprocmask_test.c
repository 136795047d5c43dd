/* rt_sigprocmask: block, unblock, setmask, unblockable signals, errors. */
#include "harness.h"

#define BIT(sig) (1ULL << ((sig) - 1))

static long raw_mask(int how, const uint64_t *set, uint64_t *old)
{
	return syscall(SYS_rt_sigprocmask, how, set, old,
		       HARNESS_KERNEL_SIGSET_SIZE);
}

static uint64_t current_mask(void)
{
	uint64_t m = ~0ULL;
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, 0, &m));
	return m;
}

TEST(sigprocmask_block_unblock_setmask)
{
	uint64_t set, old;
	EXPECT_EQ(current_mask(), 0);

	set = BIT(SIGUSR1) | BIT(SIGINT);
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, &set, &old));
	EXPECT_EQ(old, 0);
	EXPECT_EQ(current_mask(), BIT(SIGUSR1) | BIT(SIGINT));

	set = BIT(SIGUSR2);
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, &set, &old));
	EXPECT_EQ(old, BIT(SIGUSR1) | BIT(SIGINT));
	EXPECT_EQ(current_mask(), BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGINT));

	set = BIT(SIGUSR1) | BIT(SIGTERM);
	ASSERT_SYSCALL_OK(raw_mask(SIG_UNBLOCK, &set, &old));
	EXPECT_EQ(current_mask(), BIT(SIGUSR2) | BIT(SIGINT));

	set = BIT(SIGRTMIN + 5) | BIT(64);
	ASSERT_SYSCALL_OK(raw_mask(SIG_SETMASK, &set, &old));
	EXPECT_EQ(old, BIT(SIGUSR2) | BIT(SIGINT));
	EXPECT_EQ(current_mask(), BIT(SIGRTMIN + 5) | BIT(64));

	set = 0;
	ASSERT_SYSCALL_OK(raw_mask(SIG_SETMASK, &set, 0));
	EXPECT_EQ(current_mask(), 0);
}

TEST(sigprocmask_sigkill_sigstop_cannot_be_blocked)
{
	uint64_t set = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGUSR1);
	ASSERT_SYSCALL_OK(raw_mask(SIG_SETMASK, &set, 0));
	EXPECT_EQ(current_mask(), BIT(SIGUSR1));
	set = ~0ULL;
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, &set, 0));
	EXPECT_EQ(current_mask(), ~(BIT(SIGKILL) | BIT(SIGSTOP)));
}

TEST(sigprocmask_null_set_queries)
{
	uint64_t set = BIT(SIGHUP), old = 0;
	ASSERT_SYSCALL_OK(raw_mask(SIG_SETMASK, &set, 0));
	/* With a NULL set, how is not even looked at. */
	EXPECT_SYSCALL_OK(raw_mask(12345, 0, &old));
	EXPECT_EQ(old, BIT(SIGHUP));
	EXPECT_SYSCALL_OK(raw_mask(SIG_SETMASK, 0, 0));
	EXPECT_EQ(current_mask(), BIT(SIGHUP));
}

TEST(sigprocmask_einval)
{
	uint64_t set = BIT(SIGUSR1), old;
	EXPECT_ERRNO(raw_mask(3, &set, &old), EINVAL);
	EXPECT_ERRNO(raw_mask(-1, &set, &old), EINVAL);
	EXPECT_ERRNO(raw_mask(99, &set, 0), EINVAL);
	static const size_t sizes[] = {0, 4, 16};
	for (int i = 0; i < 3; i++)
		EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old,
				     sizes[i]),
			     EINVAL);
	/* The failed calls changed nothing. */
	EXPECT_EQ(current_mask(), 0);
}

TEST(sigprocmask_efault)
{
	uint64_t set = BIT(SIGUSR1);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, (void *)1, 0), EFAULT);
	EXPECT_ERRNO(raw_mask(SIG_BLOCK, &set, (void *)1), EFAULT);
}

TEST(blocked_signal_stays_pending)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	/* The default action (terminate) does not happen while blocked. */
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGUSR1));
	EXPECT_FALSE(sigismember(&pending, SIGUSR2));
	uint64_t raw = 0;
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigpending, &raw,
				  HARNESS_KERNEL_SIGSET_SIZE));
	EXPECT_EQ(raw, BIT(SIGUSR1));
	/* The harness discards it before unblocking. */
}

static volatile sig_atomic_t usr1_hits;

static void count_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr1_hits++;
}

TEST(unblocking_delivers_pending_signal)
{
	harness_set_handler(SIGUSR1, count_usr1, 0);
	usr1_hits = 0;
	uint64_t set = BIT(SIGUSR1);
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(usr1_hits, 0);
	ASSERT_SYSCALL_OK(raw_mask(SIG_UNBLOCK, &set, 0));
	/* Standard signals do not queue: two raises, one delivery. */
	EXPECT_EQ(usr1_hits, 1);
}

static volatile sig_atomic_t rt_hits;

static void count_rt(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	rt_hits++;
}

TEST(realtime_signals_queue)
{
	int sig = SIGRTMIN + 2;
	harness_set_handler(sig, count_rt, 0);
	rt_hits = 0;
	uint64_t set = BIT(sig);
	ASSERT_SYSCALL_OK(raw_mask(SIG_BLOCK, &set, 0));
	for (int i = 0; i < 3; i++)
		ASSERT_SYSCALL_OK(raise(sig));
	EXPECT_EQ(rt_hits, 0);
	ASSERT_SYSCALL_OK(raw_mask(SIG_UNBLOCK, &set, 0));
	EXPECT_EQ(rt_hits, 3);
}

struct mask_arg {
	uint64_t initial;
	uint64_t after;
};

static void *thread_mask(void *arg)
{
	struct mask_arg *a = arg;
	a->initial = current_mask();
	uint64_t set = BIT(SIGUSR2);
	raw_mask(SIG_SETMASK, &set, 0);
	a->after = current_mask();
	return 0;
}

TEST(mask_is_per_thread_and_inherited)
{
	uint64_t set = BIT(SIGHUP);
	ASSERT_SYSCALL_OK(raw_mask(SIG_SETMASK, &set, 0));
	struct mask_arg a;
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, thread_mask, &a), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ(a.initial, BIT(SIGHUP));
	EXPECT_EQ(a.after, BIT(SIGUSR2));
	EXPECT_EQ(current_mask(), BIT(SIGHUP));
}
