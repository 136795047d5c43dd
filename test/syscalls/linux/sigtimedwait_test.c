/* rt_sigtimedwait: taking pending signals, timeouts, EINTR and errors. */
#include "harness.h"

#define BIT(sig) (1ULL << ((sig) - 1))
#define MS 1000000LL

static long raw_timedwait(uint64_t set, siginfo_t *info,
			  const struct timespec *ts)
{
	return syscall(SYS_rt_sigtimedwait, &set, info, ts,
		       HARNESS_KERNEL_SIGSET_SIZE);
}

static void block(uint64_t set)
{
	ASSERT_SYSCALL_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0,
				  HARNESS_KERNEL_SIGSET_SIZE));
}

TEST(returns_pending_blocked_signal)
{
	block(BIT(SIGUSR1));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	struct timespec zero = {0, 0};
	EXPECT_EQ(raw_timedwait(BIT(SIGUSR1) | BIT(SIGUSR2), &info, &zero),
		  SIGUSR1);
	EXPECT_EQ(info.si_signo, SIGUSR1);
	EXPECT_EQ(info.si_code, SI_TKILL);
	EXPECT_EQ(info.si_pid, getpid());
	/* It was consumed. */
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST(null_info_and_null_timeout)
{
	block(BIT(SIGUSR2));
	ASSERT_SYSCALL_OK(kill(getpid(), SIGUSR2));
	/* No timeout: waits forever, but the signal is already pending. */
	EXPECT_EQ(raw_timedwait(BIT(SIGUSR2), 0, 0), SIGUSR2);
}

TEST(eagain_on_timeout)
{
	block(BIT(SIGUSR1));
	struct timespec zero = {0, 0};
	siginfo_t info;
	EXPECT_ERRNO(raw_timedwait(BIT(SIGUSR1), &info, &zero), EAGAIN);

	struct timespec ten_ms = {0, 10 * MS};
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_ERRNO(raw_timedwait(BIT(SIGUSR1), &info, &ten_ms), EAGAIN);
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 10 * MS);
}

TEST(waits_for_signal_sent_later)
{
	block(BIT(SIGUSR1));
	/* Another thread sends SIGUSR1 to us repeatedly until we stop it. */
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 2 * MS);
	siginfo_t info;
	long r = raw_timedwait(BIT(SIGUSR1), &info, 0);
	harness_signaller_stop(&s);
	EXPECT_EQ(r, SIGUSR1);
	EXPECT_EQ(info.si_code, SI_TKILL);
}

static volatile sig_atomic_t usr2_hits;

static void on_usr2(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	usr2_hits++;
}

TEST(eintr_when_handler_runs)
{
	block(BIT(SIGUSR1));
	harness_set_handler(SIGUSR2, on_usr2, SA_RESTART);
	usr2_hits = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR2, 2 * MS);
	struct timespec long_wait = {30, 0};
	siginfo_t info;
	errno = 0;
	long r = raw_timedwait(BIT(SIGUSR1), &info, &long_wait);
	int err = errno;
	harness_signaller_stop(&s);
	/* Interrupted even with SA_RESTART. */
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GE(usr2_hits, 1);
}

TEST(lowest_signal_first_and_rt_queue)
{
	int rt = SIGRTMIN + 1;
	block(BIT(SIGUSR1) | BIT(SIGHUP) | BIT(rt));
	ASSERT_SYSCALL_OK(raise(rt));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	ASSERT_SYSCALL_OK(raise(rt));
	ASSERT_SYSCALL_OK(raise(SIGHUP));
	struct timespec zero = {0, 0};
	uint64_t set = BIT(SIGUSR1) | BIT(SIGHUP) | BIT(rt);
	EXPECT_EQ(raw_timedwait(set, 0, &zero), SIGHUP);
	EXPECT_EQ(raw_timedwait(set, 0, &zero), SIGUSR1);
	EXPECT_EQ(raw_timedwait(set, 0, &zero), rt);
	EXPECT_EQ(raw_timedwait(set, 0, &zero), rt);
	EXPECT_ERRNO(raw_timedwait(set, 0, &zero), EAGAIN);
}

TEST(only_waited_signals_taken)
{
	block(BIT(SIGUSR1) | BIT(SIGUSR2));
	ASSERT_SYSCALL_OK(raise(SIGUSR2));
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(raw_timedwait(BIT(SIGUSR1), 0, &zero), EAGAIN);
	sigset_t pending;
	ASSERT_SYSCALL_OK(sigpending(&pending));
	EXPECT_TRUE(sigismember(&pending, SIGUSR2));
	EXPECT_EQ(raw_timedwait(BIT(SIGUSR2), 0, &zero), SIGUSR2);
}

TEST(einval)
{
	uint64_t set = BIT(SIGUSR1);
	struct timespec bad = {0, 1000000000};
	struct timespec neg = {-1, 0};
	EXPECT_ERRNO(raw_timedwait(set, 0, &bad), EINVAL);
	EXPECT_ERRNO(raw_timedwait(set, 0, &neg), EINVAL);
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, 0, &zero, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, 0, &zero, 16), EINVAL);
}

TEST(efault)
{
	struct timespec zero = {0, 0};
	uint64_t set = BIT(SIGUSR1);
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, (void *)1, 0, &zero,
			     HARNESS_KERNEL_SIGSET_SIZE),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigtimedwait, &set, 0, (void *)1,
			     HARNESS_KERNEL_SIGSET_SIZE),
		     EFAULT);
}

TEST(libc_sigtimedwait_and_sigwait)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, &set, 0));
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	int sig = 0;
	EXPECT_EQ(sigwait(&set, &sig), 0);
	EXPECT_EQ(sig, SIGUSR1);
	struct timespec zero = {0, 0};
	EXPECT_ERRNO(sigtimedwait(&set, 0, &zero), EAGAIN);
}
