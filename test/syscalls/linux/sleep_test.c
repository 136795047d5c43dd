/* nanosleep and clock_nanosleep: durations, absolute deadlines, errors, EINTR. */
#include "harness.h"

#include <limits.h>

#define MS 1000000LL

static volatile sig_atomic_t handled;

static void count_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	handled++;
}

TEST(nanosleep_sleeps_at_least_requested)
{
	static const int64_t durations[] = {0, 1, 1000, 1 * MS, 20 * MS};
	for (int i = 0; i < 5; i++) {
		struct timespec req = harness_ns_to_ts(durations[i]);
		int64_t start = harness_now_ns(CLOCK_MONOTONIC);
		EXPECT_SYSCALL_OK(syscall(SYS_nanosleep, &req, 0));
		int64_t elapsed = harness_now_ns(CLOCK_MONOTONIC) - start;
		EXPECT_GE(elapsed, durations[i]);
	}
}

TEST(nanosleep_rem_untouched_on_success)
{
	struct timespec req = {0, 1 * MS}, rem = {42, 42};
	EXPECT_SYSCALL_OK(syscall(SYS_nanosleep, &req, &rem));
	EXPECT_EQ(rem.tv_sec, 42);
	EXPECT_EQ(rem.tv_nsec, 42);
}

TEST(nanosleep_einval)
{
	static const struct timespec bad[] = {
		{0, 1000000000}, {0, -1}, {-1, 0}, {1, LONG_MAX}, {-1, -1},
	};
	for (int i = 0; i < 5; i++)
		EXPECT_ERRNO(syscall(SYS_nanosleep, &bad[i], 0), EINVAL);
}

TEST(nanosleep_efault)
{
	struct timespec rem;
	EXPECT_ERRNO(syscall(SYS_nanosleep, 0, &rem), EFAULT);
	EXPECT_ERRNO(syscall(SYS_nanosleep, (void *)1, &rem), EFAULT);
}

TEST(nanosleep_eintr_with_remaining_time)
{
	harness_set_handler(SIGUSR1, count_handler, 0);
	handled = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	/* Long enough that a signal surely arrives during the sleep. */
	struct timespec req = {30, 0}, rem = {-1, -1};
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	long r = syscall(SYS_nanosleep, &req, &rem);
	int err = errno;
	int64_t elapsed = harness_now_ns(CLOCK_MONOTONIC) - start;
	harness_signaller_stop(&s);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GE(handled, 1);
	int64_t left = harness_ts_to_ns(&rem);
	EXPECT_GE(rem.tv_nsec, 0);
	EXPECT_LT(rem.tv_nsec, 1000000000);
	EXPECT_GT(left, 0);
	/*
	 * Linux computes the remaining time from the timer's hard expiry, which
	 * includes the thread's timer slack (50us by default): it may exceed
	 * the request by that much, so compare whole seconds only.
	 */
	EXPECT_LE(rem.tv_sec, req.tv_sec);
	/* What is left plus what was slept covers the request. */
	EXPECT_GE(left + elapsed, harness_ts_to_ns(&req));
}

TEST(nanosleep_eintr_even_with_sa_restart)
{
	harness_set_handler(SIGUSR1, count_handler, SA_RESTART);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);
	struct timespec req = {30, 0};
	long r = syscall(SYS_nanosleep, &req, 0);
	int err = errno;
	harness_signaller_stop(&s);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
}

TEST(clock_nanosleep_relative)
{
	static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					   CLOCK_BOOTTIME};
	for (int i = 0; i < 3; i++) {
		struct timespec req = {0, 10 * MS};
		int64_t start = harness_now_ns(CLOCK_MONOTONIC);
		EXPECT_SYSCALL_OK(
			syscall(SYS_clock_nanosleep, clocks[i], 0, &req, 0));
		EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 10 * MS);
	}
}

TEST(clock_nanosleep_absolute)
{
	static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					   CLOCK_BOOTTIME};
	for (int i = 0; i < 3; i++) {
		int64_t deadline = harness_now_ns(clocks[i]) + 10 * MS;
		struct timespec req = harness_ns_to_ts(deadline);
		EXPECT_SYSCALL_OK(syscall(SYS_clock_nanosleep, clocks[i],
					  TIMER_ABSTIME, &req, 0));
		EXPECT_GE(harness_now_ns(clocks[i]), deadline);
	}
}

TEST(clock_nanosleep_absolute_in_past_returns_at_once)
{
	struct timespec past = {0, 0};
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME,
			  &past, 0),
		  0);
	past = harness_ns_to_ts(harness_now_ns(CLOCK_REALTIME) - 1000 * MS);
	EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME,
			  &past, 0),
		  0);
}

TEST(clock_nanosleep_einval)
{
	struct timespec ok = {0, 1000};
	struct timespec bad_nsec = {0, 1000000000};
	struct timespec neg_nsec = {0, -1};
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
			     &bad_nsec, 0),
		     EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC,
			     TIMER_ABSTIME, &neg_nsec, 0),
		     EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 12345, 0, &ok, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 100, TIMER_ABSTIME, &ok, 0),
		     EINVAL);
	/*
	 * A thread cannot sleep on its own CPU clock: EINVAL on older kernels,
	 * EOPNOTSUPP on recent ones; either is Linux behaviour.
	 */
	errno = 0;
	long r = syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ok, 0);
	int err = errno;
	EXPECT_EQ(r, -1);
	EXPECT_TRUE(err == EINVAL || err == EOPNOTSUPP);
}

TEST(clock_nanosleep_efault)
{
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
			     (void *)1, 0),
		     EFAULT);
}

TEST(clock_nanosleep_eintr_relative_and_absolute)
{
	harness_set_handler(SIGUSR1, count_handler, 0);
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 5 * MS);

	struct timespec req = {30, 0}, rem = {-1, -1};
	errno = 0;
	long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &rem);
	int err = errno;
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_GT(harness_ts_to_ns(&rem), 0);
	/* The remaining time may include the timer slack: see nanosleep. */
	EXPECT_LE(rem.tv_sec, req.tv_sec);

	/* With TIMER_ABSTIME the remaining time is not written. */
	struct timespec abs =
		harness_ns_to_ts(harness_now_ns(CLOCK_MONOTONIC) + 30000 * MS);
	struct timespec rem2 = {-7, -7};
	errno = 0;
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs,
		    &rem2);
	err = errno;
	harness_signaller_stop(&s);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(err, EINTR);
	EXPECT_EQ(rem2.tv_sec, -7);
	EXPECT_EQ(rem2.tv_nsec, -7);
}

TEST(libc_sleep_wrappers)
{
	int64_t start = harness_now_ns(CLOCK_MONOTONIC);
	EXPECT_SYSCALL_OK(usleep(2000));
	EXPECT_GE(harness_now_ns(CLOCK_MONOTONIC) - start, 2 * MS);
	struct timespec req = {0, 2 * MS};
	/* clock_nanosleep() returns the error number instead of setting errno. */
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, 0), 0);
	EXPECT_EQ(clock_nanosleep(12345, 0, &req, 0), EINVAL);
}
