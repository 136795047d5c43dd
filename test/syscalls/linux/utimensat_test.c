/* utimensat, utimes and utime: explicit times, UTIME_NOW/OMIT and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>

static long utimensat_raw(int dirfd, const char *path,
			  const struct timespec *ts, int flags)
{
	return syscall(SYS_utimensat, dirfd, path, ts, flags);
}

static struct stat lstat_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st;
}

TEST(utimensat_explicit_times)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct timespec ts[2] = {{1234567, 890}, {7654321, 123456789}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, ts, 0), 0);
	struct stat st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 1234567);
	EXPECT_EQ(st.st_atim.tv_nsec, 890);
	EXPECT_EQ(st.st_mtim.tv_sec, 7654321);
	EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
	/* Times before the epoch are representable too. */
	struct timespec neg[2] = {{-100, 0}, {0, 0}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, neg, 0), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, -100);
	EXPECT_EQ(st.st_mtim.tv_sec, 0);
}

TEST(utimensat_utime_now)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	ASSERT_SYSCALL_OK(utimensat_raw(AT_FDCWD, f, old, 0));
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, now, 0), 0);
	struct timespec after;
	ASSERT_SYSCALL_OK(clock_gettime(CLOCK_REALTIME, &after));
	struct stat st = lstat_of(f);
	/* Set to "now": later than 2001, not later than the clock after. */
	EXPECT_GT(st.st_atim.tv_sec, 1000000000);
	EXPECT_GT(st.st_mtim.tv_sec, 1000000000);
	EXPECT_LE(harness_ts_to_ns(&st.st_mtim), harness_ts_to_ns(&after));
	/* A NULL times pointer means both UTIME_NOW. */
	ASSERT_SYSCALL_OK(utimensat_raw(AT_FDCWD, f, old, 0));
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, 0, 0), 0);
	st = lstat_of(f);
	EXPECT_GT(st.st_atim.tv_sec, 1000000000);
	EXPECT_GT(st.st_mtim.tv_sec, 1000000000);
}

TEST(utimensat_utime_omit)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct timespec t1[2] = {{1111, 1}, {2222, 2}};
	ASSERT_SYSCALL_OK(utimensat_raw(AT_FDCWD, f, t1, 0));
	struct timespec t2[2] = {{0, UTIME_OMIT}, {3333, 3}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, t2, 0), 0);
	struct stat st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 1111);
	EXPECT_EQ(st.st_atim.tv_nsec, 1);
	EXPECT_EQ(st.st_mtim.tv_sec, 3333);
	struct timespec t3[2] = {{4444, 4}, {0, UTIME_OMIT}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, t3, 0), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 4444);
	EXPECT_EQ(st.st_mtim.tv_sec, 3333);
	/* Both omitted: nothing changes and the call succeeds. */
	struct timespec t4[2] = {{5, UTIME_OMIT}, {6, UTIME_OMIT}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, t4, 0), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 4444);
	EXPECT_EQ(st.st_mtim.tv_sec, 3333);
	/* UTIME_NOW for one, OMIT for the other. */
	struct timespec t5[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, f, t5, 0), 0);
	st = lstat_of(f);
	EXPECT_GT(st.st_atim.tv_sec, 1000000000);
	EXPECT_EQ(st.st_mtim.tv_sec, 3333);
}

TEST(utimensat_symlink_nofollow)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	struct timespec tf[2] = {{100, 0}, {100, 0}};
	ASSERT_SYSCALL_OK(utimensat_raw(AT_FDCWD, f, tf, 0));
	struct timespec tl[2] = {{200, 0}, {300, 0}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, l, tl, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_EQ(lstat_of(l).st_mtim.tv_sec, 300);
	EXPECT_EQ(lstat_of(l).st_atim.tv_sec, 200);
	EXPECT_EQ(lstat_of(f).st_mtim.tv_sec, 100);
	/* Without the flag the target changes. */
	struct timespec t2[2] = {{400, 0}, {500, 0}};
	EXPECT_EQ(utimensat_raw(AT_FDCWD, l, t2, 0), 0);
	EXPECT_EQ(lstat_of(f).st_mtim.tv_sec, 500);
	EXPECT_EQ(lstat_of(l).st_mtim.tv_sec, 300);
}

TEST(utimensat_fd_and_empty_path)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	int fd = harness_open(f, O_RDONLY);
	/* A NULL path operates on the descriptor itself (futimens). */
	struct timespec ts[2] = {{10, 0}, {20, 0}};
	EXPECT_EQ(utimensat_raw(fd, 0, ts, 0), 0);
	EXPECT_EQ(lstat_of(f).st_mtim.tv_sec, 20);
	EXPECT_ERRNO(utimensat_raw(fd, 0, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
	struct timespec ts2[2] = {{30, 0}, {40, 0}};
	EXPECT_EQ(utimensat_raw(fd, "", ts2, AT_EMPTY_PATH), 0);
	EXPECT_EQ(lstat_of(f).st_mtim.tv_sec, 40);
	EXPECT_ERRNO(utimensat_raw(fd, "", ts2, 0), ENOENT);
	EXPECT_ERRNO(utimensat_raw(-1, 0, ts, 0), EBADF);
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, 0, ts, 0), EFAULT);
	close(fd);
}

TEST(utimensat_einval)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	static const struct timespec bad[][2] = {
		{{0, 1000000000}, {0, 0}},
		{{0, 0}, {0, -1}},
		{{0, 0}, {0, 2000000000}},
		{{0, UTIME_NOW + 2}, {0, 0}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		long r = utimensat_raw(AT_FDCWD, f, bad[i], 0);
		if (r != -1 || errno != EINVAL)
			harness_fail(__FILE__, __LINE__,
				     "case %zu: got %ld %s, want EINVAL", i, r,
				     harness_errno_name(errno));
	}
	struct timespec ok[2] = {{0, 0}, {0, 0}};
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, f, ok, 0x1), EINVAL);
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, f, ok, AT_REMOVEDIR), EINVAL);
}

TEST(utimensat_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	struct timespec ts[2] = {{1, 0}, {1, 0}};
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, harness_path("missing"), ts, 0),
		     ENOENT);
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, harness_path("f/x"), ts, 0),
		     ENOTDIR);
	EXPECT_ERRNO(utimensat_raw(-1, "f", ts, 0), EBADF);
	EXPECT_ERRNO(utimensat_raw(AT_FDCWD, harness_path("f"),
				   (struct timespec *)1, 0),
		     EFAULT);
}

TEST(utimes_and_utime)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct timeval tv[2] = {{111, 5}, {222, 6}};
	EXPECT_EQ(syscall(SYS_utimes, f, tv), 0);
	struct stat st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 111);
	EXPECT_EQ(st.st_atim.tv_nsec, 5000);
	EXPECT_EQ(st.st_mtim.tv_sec, 222);
	EXPECT_EQ(st.st_mtim.tv_nsec, 6000);
	struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
	EXPECT_ERRNO(syscall(SYS_utimes, f, badtv), EINVAL);
	struct utimbuf ub = {333, 444};
	EXPECT_EQ(syscall(SYS_utime, f, &ub), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_atim.tv_sec, 333);
	EXPECT_EQ(st.st_mtim.tv_sec, 444);
	EXPECT_EQ(st.st_mtim.tv_nsec, 0);
	EXPECT_ERRNO(syscall(SYS_utime, harness_path("missing"), &ub), ENOENT);
	EXPECT_EQ(syscall(SYS_futimesat, AT_FDCWD, f, tv), 0);
	EXPECT_EQ(lstat_of(f).st_mtim.tv_sec, 222);
}
