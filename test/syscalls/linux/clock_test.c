/* clock_gettime, clock_getres, gettimeofday and time. */
#include "harness.h"

#include <sys/mman.h>
#include <sys/time.h>

static const clockid_t clocks[] = {
	CLOCK_REALTIME,		CLOCK_MONOTONIC,	  CLOCK_MONOTONIC_RAW,
	CLOCK_BOOTTIME,		CLOCK_REALTIME_COARSE,	  CLOCK_MONOTONIC_COARSE,
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
};
#define NCLOCKS (int)(sizeof(clocks) / sizeof(clocks[0]))

/* Clock ids that name no clock (positive: past the last one). */
static const clockid_t bad_clocks[] = {16, 100, 12345, 0x7fffffff};
#define NBAD_CLOCKS (int)(sizeof(bad_clocks) / sizeof(bad_clocks[0]))

TEST(clock_gettime_all_clocks)
{
	for (int i = 0; i < NCLOCKS; i++) {
		struct timespec ts = {-1, -1};
		EXPECT_SYSCALL_OK(syscall(SYS_clock_gettime, clocks[i], &ts));
		EXPECT_GE(ts.tv_sec, 0);
		EXPECT_GE(ts.tv_nsec, 0);
		EXPECT_LT(ts.tv_nsec, 1000000000);
	}
}

TEST(clock_gettime_libc_matches_raw)
{
	/* libc goes through the vDSO; the raw call must agree on the order. */
	static const clockid_t mono[] = {CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					 CLOCK_MONOTONIC_RAW};
	for (int i = 0; i < 3; i++) {
		struct timespec a, b, c;
		ASSERT_SYSCALL_OK(clock_gettime(mono[i], &a));
		ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, mono[i], &b));
		ASSERT_SYSCALL_OK(clock_gettime(mono[i], &c));
		EXPECT_LE(harness_ts_to_ns(&a), harness_ts_to_ns(&b));
		EXPECT_LE(harness_ts_to_ns(&b), harness_ts_to_ns(&c));
	}
}

TEST(monotonic_never_goes_back)
{
	static const clockid_t mono[] = {CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
					 CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE};
	for (int c = 0; c < 4; c++) {
		struct timespec ts;
		ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, mono[c], &ts));
		int64_t prev = harness_ts_to_ns(&ts);
		for (int i = 0; i < 2000; i++) {
			/* Alternate the vDSO and the raw syscall. */
			if (i & 1)
				ASSERT_SYSCALL_OK(clock_gettime(mono[c], &ts));
			else
				ASSERT_SYSCALL_OK(
					syscall(SYS_clock_gettime, mono[c], &ts));
			int64_t now = harness_ts_to_ns(&ts);
			ASSERT_GE(now, prev);
			prev = now;
		}
	}
}

TEST(boottime_not_behind_monotonic)
{
	int64_t mono = harness_now_ns(CLOCK_MONOTONIC);
	int64_t boot = harness_now_ns(CLOCK_BOOTTIME);
	EXPECT_GE(boot, mono);
}

TEST(thread_cputime_advances)
{
	int64_t start = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);
	volatile uint64_t x = 0;
	int64_t now;
	do {
		for (int i = 0; i < 100000; i++)
			x += i;
		now = harness_now_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (now == start);
	EXPECT_GT(now, start);
	EXPECT_GE(harness_now_ns(CLOCK_PROCESS_CPUTIME_ID), now);
}

TEST(clock_gettime_einval)
{
	for (int i = 0; i < NBAD_CLOCKS; i++) {
		struct timespec ts;
		EXPECT_ERRNO(syscall(SYS_clock_gettime, bad_clocks[i], &ts),
			     EINVAL);
	}
}

TEST(clock_gettime_efault)
{
	void *gone = harness_unmapped(harness_page_size());
	void *ro = harness_map(harness_page_size(), PROT_READ);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)1),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, gone), EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ro), EFAULT);
	munmap(ro, harness_page_size());
}

TEST(clock_getres_all_clocks)
{
	for (int i = 0; i < NCLOCKS; i++) {
		struct timespec res = {-1, -1};
		EXPECT_SYSCALL_OK(syscall(SYS_clock_getres, clocks[i], &res));
		EXPECT_EQ(res.tv_sec, 0);
		EXPECT_GT(res.tv_nsec, 0);
		EXPECT_LT(res.tv_nsec, 1000000000);
		/* A NULL result pointer is allowed. */
		EXPECT_SYSCALL_OK(syscall(SYS_clock_getres, clocks[i], 0));
	}
}

TEST(clock_getres_errors)
{
	for (int i = 0; i < NBAD_CLOCKS; i++) {
		struct timespec res;
		EXPECT_ERRNO(syscall(SYS_clock_getres, bad_clocks[i], &res),
			     EINVAL);
	}
	EXPECT_ERRNO(syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)1),
		     EFAULT);
}

TEST(gettimeofday_consistent_with_realtime)
{
	struct timespec before, after;
	struct timeval tv;
	ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before));
	ASSERT_SYSCALL_OK(syscall(SYS_gettimeofday, &tv, 0));
	ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &after));
	int64_t tv_ns = (int64_t)tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	/* gettimeofday truncates to microseconds. */
	EXPECT_GE(tv_ns, harness_ts_to_ns(&before) / 1000 * 1000);
	EXPECT_LE(tv_ns, harness_ts_to_ns(&after));
	EXPECT_GE(tv.tv_usec, 0);
	EXPECT_LT(tv.tv_usec, 1000000);
}

TEST(gettimeofday_null_and_timezone)
{
	EXPECT_SYSCALL_OK(syscall(SYS_gettimeofday, 0, 0));
	struct timeval tv;
	struct timezone tz;
	EXPECT_SYSCALL_OK(syscall(SYS_gettimeofday, &tv, &tz));
	EXPECT_SYSCALL_OK(gettimeofday(&tv, 0));
}

TEST(gettimeofday_efault)
{
	struct timeval tv;
	EXPECT_ERRNO(syscall(SYS_gettimeofday, (void *)1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_gettimeofday, &tv, (void *)1), EFAULT);
}

TEST(time_consistent_with_realtime)
{
	struct timespec before, after;
	ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before));
	time_t t1 = (time_t)syscall(SYS_time, 0);
	time_t t2 = time(0);
	time_t t3;
	ASSERT_EQ(syscall(SYS_time, &t3), t3);
	ASSERT_SYSCALL_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &after));
	/*
	 * time() reads the coarse clock, which may lag the precise one by up to
	 * a tick, so it may still show the previous second.
	 */
	EXPECT_GE(t1, before.tv_sec - 1);
	EXPECT_LE(t1, t2);
	EXPECT_LE(t2, t3);
	EXPECT_LE(t3, after.tv_sec);
}

TEST(time_efault)
{
	EXPECT_ERRNO(syscall(SYS_time, (void *)1), EFAULT);
}
