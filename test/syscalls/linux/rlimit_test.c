/* getrlimit, setrlimit and prlimit64: values, updates, errors, effects. */
#include "harness.h"

#include <fcntl.h>
#include <sys/resource.h>

static long raw_prlimit(pid_t pid, int res, const struct rlimit *new,
			struct rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, new, old);
}

static int le_limit(rlim_t a, rlim_t b)
{
	return b == RLIM_INFINITY || (a != RLIM_INFINITY && a <= b);
}

TEST(getrlimit_values)
{
	static const int res[] = {RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_AS,
				  RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA};
	for (int i = 0; i < 6; i++) {
		struct rlimit rl;
		ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, res[i], &rl));
		EXPECT_TRUE(le_limit(rl.rlim_cur, rl.rlim_max));
	}
	struct rlimit rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl));
	/* The three stdio FDs fit; NOFILE is never unlimited. */
	EXPECT_GE(rl.rlim_cur, 3);
	EXPECT_NE(rl.rlim_max, RLIM_INFINITY);
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_STACK, &rl));
	EXPECT_GT(rl.rlim_cur, 0);
}

TEST(prlimit_matches_getrlimit)
{
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit a, b;
		ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, r, &a));
		ASSERT_SYSCALL_OK(raw_prlimit(0, r, 0, &b));
		EXPECT_EQ(a.rlim_cur, b.rlim_cur);
		EXPECT_EQ(a.rlim_max, b.rlim_max);
		/* pid 0 and our own pid are the same process. */
		ASSERT_SYSCALL_OK(raw_prlimit(getpid(), r, 0, &b));
		EXPECT_EQ(a.rlim_cur, b.rlim_cur);
	}
}

TEST(setrlimit_lower_and_restore_soft)
{
	struct rlimit orig, now, rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &orig));
	rl.rlim_cur = 64;
	rl.rlim_max = orig.rlim_max;
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl));
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &now));
	EXPECT_EQ(now.rlim_cur, 64);
	EXPECT_EQ(now.rlim_max, orig.rlim_max);
	/* prlimit64 sets and returns the old value in one call. */
	struct rlimit old;
	ASSERT_SYSCALL_OK(raw_prlimit(0, RLIMIT_NOFILE, &orig, &old));
	EXPECT_EQ(old.rlim_cur, 64);
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &now));
	EXPECT_EQ(now.rlim_cur, orig.rlim_cur);
}

TEST(einval)
{
	struct rlimit rl;
	static const int bad[] = {RLIM_NLIMITS, 100, -1};
	for (int i = 0; i < 3; i++) {
		EXPECT_ERRNO(syscall(SYS_getrlimit, bad[i], &rl), EINVAL);
		EXPECT_ERRNO(raw_prlimit(0, bad[i], 0, &rl), EINVAL);
	}
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_CORE, &rl));
	struct rlimit inverted = {.rlim_cur = 2, .rlim_max = 1};
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_CORE, &inverted), EINVAL);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_CORE, &inverted, 0), EINVAL);
	inverted.rlim_cur = RLIM_INFINITY;
	inverted.rlim_max = 0;
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_CORE, &inverted), EINVAL);
	/* Nothing changed. */
	struct rlimit now;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_CORE, &now));
	EXPECT_EQ(now.rlim_cur, rl.rlim_cur);
	EXPECT_EQ(now.rlim_max, rl.rlim_max);
}

TEST(esrch_and_efault)
{
	struct rlimit rl;
	EXPECT_ERRNO(raw_prlimit(0x7fffffff, RLIMIT_NOFILE, 0, &rl), ESRCH);
	EXPECT_ERRNO(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_NOFILE, 0, (void *)1), EFAULT);
	EXPECT_ERRNO(raw_prlimit(0, RLIMIT_NOFILE, (void *)1, 0), EFAULT);
}

TEST(eperm_raising_hard_limit)
{
	if (geteuid() == 0)
		SKIP("running as root: CAP_SYS_RESOURCE allows raising the hard limit");
	struct rlimit rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_CORE, &rl));
	if (rl.rlim_max == RLIM_INFINITY) {
		/* Lower it first (irreversible without privilege: CORE only). */
		rl.rlim_max = rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_CORE, &rl));
	}
	struct rlimit higher = {.rlim_cur = rl.rlim_cur,
				.rlim_max = rl.rlim_max + 1};
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_CORE, &higher), EPERM);
}

TEST(nofile_limit_applies_to_new_fds)
{
	struct rlimit orig;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &orig));
	struct rlimit three = {.rlim_cur = 3, .rlim_max = orig.rlim_max};
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_NOFILE, &three));
	/* 0, 1 and 2 are taken: no room for another descriptor. */
	errno = 0;
	long fd = syscall(SYS_dup, 1);
	int err = errno;
	long fd2 = syscall(SYS_fcntl, 1, F_DUPFD, 0);
	int err2 = errno;
	long fd3 = syscall(SYS_dup2, 1, 5);
	int err3 = errno;
	ASSERT_SYSCALL_OK(syscall(SYS_setrlimit, RLIMIT_NOFILE, &orig));
	if (fd >= 0)
		close((int)fd);
	if (fd2 >= 0)
		close((int)fd2);
	if (fd3 >= 0)
		close((int)fd3);
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(err, EMFILE);
	EXPECT_EQ(fd2, -1);
	EXPECT_EQ(err2, EMFILE);
	/* dup2 to a number at or above the limit is EBADF. */
	EXPECT_EQ(fd3, -1);
	EXPECT_EQ(err3, EBADF);
}

TEST(fcntl_dupfd_above_limit_einval)
{
	struct rlimit rl;
	ASSERT_SYSCALL_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl));
	EXPECT_ERRNO(syscall(SYS_fcntl, 1, F_DUPFD, rl.rlim_cur), EINVAL);
}
