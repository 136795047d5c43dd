/* symlink, symlinkat, readlink and readlinkat, and symlink loops. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static long symlink_raw(const char *target, const char *path)
{
	return syscall(SYS_symlink, target, path);
}

static long readlink_raw(const char *path, char *buf, long size)
{
	return syscall(SYS_readlink, path, buf, size);
}

TEST(symlink_readlink_roundtrip)
{
	static const char *targets[] = {
		"f", "../x/y", "/absolute/path", "with space", "a//b/./c/",
	};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char *l = harness_path(harness_strf("l%zu", i));
		ASSERT_SYSCALL_OK(symlink_raw(targets[i], l));
		char buf[64];
		memset(buf, 'Z', sizeof(buf));
		long n = readlink_raw(l, buf, sizeof(buf));
		/* No NUL is written: the length is all there is. */
		EXPECT_EQ(n, strlen(targets[i]));
		EXPECT_EQ(memcmp(buf, targets[i], strlen(targets[i])), 0);
		EXPECT_EQ(buf[n], 'Z');
		struct stat st;
		ASSERT_SYSCALL_OK(lstat(l, &st));
		EXPECT_TRUE(S_ISLNK(st.st_mode));
		EXPECT_EQ(st.st_size, strlen(targets[i]));
	}
}

TEST(symlink_ignores_umask)
{
	harness_umask(077);
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink_raw("x", l));
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(l, &st));
	EXPECT_EQ(st.st_mode & 07777, 0777);
	EXPECT_EQ(st.st_uid, geteuid());
}

TEST(readlink_truncates_to_bufsiz)
{
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink_raw("0123456789", l));
	char buf[16];
	memset(buf, 'Z', sizeof(buf));
	EXPECT_EQ(readlink_raw(l, buf, 4), 4);
	EXPECT_EQ(memcmp(buf, "0123Z", 5), 0);
	EXPECT_EQ(readlink_raw(l, buf, 1), 1);
	EXPECT_EQ(buf[0], '0');
	EXPECT_EQ(readlink_raw(l, buf, 10), 10);
}

TEST(readlink_einval)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink_raw("f", l));
	char buf[16];
	/* Not a symlink. */
	EXPECT_ERRNO(readlink_raw(f, buf, sizeof(buf)), EINVAL);
	EXPECT_ERRNO(readlink_raw(harness_tmpdir(), buf, sizeof(buf)), EINVAL);
	/* A bad size. */
	EXPECT_ERRNO(readlink_raw(l, buf, 0), EINVAL);
	EXPECT_ERRNO(readlink_raw(l, buf, -1), EINVAL);
}

TEST(readlink_errors)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink_raw("f", harness_path("l")));
	char buf[16];
	EXPECT_ERRNO(readlink_raw(harness_path("missing"), buf, sizeof(buf)),
		     ENOENT);
	EXPECT_ERRNO(readlink_raw(harness_path("f/x"), buf, sizeof(buf)),
		     ENOTDIR);
	EXPECT_ERRNO(readlink_raw("", buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(readlink_raw(harness_path("l"), (char *)1, sizeof(buf)),
		     EFAULT);
	EXPECT_ERRNO(readlink_raw((const char *)1, buf, sizeof(buf)), EFAULT);
}

TEST(readlinkat_dirfd_and_empty_path)
{
	ASSERT_SYSCALL_OK(symlink_raw("target", harness_path("l")));
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	char buf[16] = {0};
	EXPECT_EQ(syscall(SYS_readlinkat, d, "l", buf, sizeof(buf)), 6);
	EXPECT_STREQ(buf, "target");
	EXPECT_ERRNO(syscall(SYS_readlinkat, -1, "l", buf, sizeof(buf)), EBADF);
	/* An empty path reads the O_PATH | O_NOFOLLOW descriptor's link. */
	int fd = harness_open(harness_path("l"), O_PATH | O_NOFOLLOW);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(syscall(SYS_readlinkat, fd, "", buf, sizeof(buf)), 6);
	EXPECT_STREQ(buf, "target");
	close(fd);
	/* On a directory descriptor, "" names a directory: not a link. */
	EXPECT_ERRNO(syscall(SYS_readlinkat, d, "", buf, sizeof(buf)), ENOENT);
	close(d);
}

TEST(symlink_errors)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	EXPECT_ERRNO(symlink_raw("x", f), EEXIST);
	ASSERT_SYSCALL_OK(symlink_raw("nowhere", harness_path("dl")));
	EXPECT_ERRNO(symlink_raw("x", harness_path("dl")), EEXIST);
	EXPECT_ERRNO(symlink_raw("x", harness_tmpdir()), EEXIST);
	/* An empty target is not allowed. */
	EXPECT_ERRNO(symlink_raw("", harness_path("empty")), ENOENT);
	EXPECT_ERRNO(symlink_raw("x", harness_path("missing/l")), ENOENT);
	EXPECT_ERRNO(symlink_raw("x", harness_path("f/l")), ENOTDIR);
	EXPECT_ERRNO(symlink_raw("x", ""), ENOENT);
	EXPECT_ERRNO(symlink_raw((const char *)1, harness_path("l")), EFAULT);
	EXPECT_ERRNO(symlink_raw("x", (const char *)1), EFAULT);
}

TEST(symlink_target_length_limit)
{
	/* Targets are at most PATH_MAX - 1 bytes. */
	char *t = malloc(PATH_MAX + 1);
	ASSERT_TRUE(t != 0);
	memset(t, 'a', PATH_MAX);
	t[PATH_MAX] = 0;
	EXPECT_ERRNO(symlink_raw(t, harness_path("too-long")), ENAMETOOLONG);
	t[PATH_MAX - 1] = 0;
	EXPECT_EQ(symlink_raw(t, harness_path("longest")), 0);
	char *buf = malloc(PATH_MAX);
	ASSERT_TRUE(buf != 0);
	EXPECT_EQ(readlink_raw(harness_path("longest"), buf, PATH_MAX),
		  PATH_MAX - 1);
	EXPECT_EQ(memcmp(buf, t, PATH_MAX - 1), 0);
	free(buf);
	free(t);
}

TEST(symlinkat_dirfd)
{
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_symlinkat, "t", d, "l"), 0);
	char buf[4] = {0};
	EXPECT_EQ(readlink_raw(harness_path("l"), buf, sizeof(buf)), 1);
	EXPECT_ERRNO(syscall(SYS_symlinkat, "t", -1, "l2"), EBADF);
	harness_write_file(harness_path("f"), "", 0, 0644);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_symlinkat, "t", f, "l2"), ENOTDIR);
	close(f);
	close(d);
}

/*
 * Makes a chain: c0 -> c1 -> ... -> c<n-1> -> f.
 *
 * Each link's atime is set an hour ahead. A host Linux lookup that must
 * update a link's atime (relatime does while atime <= ctime, true of a new
 * link) leaves its lock-free walk; if that fails (a mount anywhere on the
 * machine is enough) the lookup restarts with the links already counted
 * and a chain of exactly 40 gives a spurious ELOOP. With no atime to update
 * the count is exact.
 */
static void make_chain(int n)
{
	harness_write_file(harness_path("f"), "end", 3, 0644);
	struct timespec ts[2];
	ASSERT_SYSCALL_OK(clock_gettime(CLOCK_REALTIME, &ts[0]));
	ts[0].tv_sec += 3600;
	ts[1].tv_nsec = UTIME_OMIT;
	for (int i = 0; i < n; i++) {
		const char *target = i == n - 1 ? "f"
						: harness_strf("c%d", i + 1);
		char *link = harness_path(harness_strf("c%d", i));
		ASSERT_SYSCALL_OK(symlink_raw(target, link));
		ASSERT_SYSCALL_OK(
			utimensat(AT_FDCWD, link, ts, AT_SYMLINK_NOFOLLOW));
	}
}

TEST(symlink_chain_of_40_resolves)
{
	/* Linux follows at most 40 links (MAXSYMLINKS) in one lookup. */
	make_chain(40);
	long fd = syscall(SYS_open, harness_path("c0"), O_RDONLY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("c0"), &st));
}

TEST(symlink_chain_of_41_eloop)
{
	make_chain(41);
	EXPECT_ERRNO(syscall(SYS_open, harness_path("c0"), O_RDONLY), ELOOP);
	struct stat st;
	EXPECT_ERRNO(stat(harness_path("c0"), &st), ELOOP);
	/* One link less from the second one. */
	EXPECT_SYSCALL_OK(stat(harness_path("c1"), &st));
	/* The link itself is fine. */
	EXPECT_SYSCALL_OK(lstat(harness_path("c0"), &st));
}

TEST(symlink_self_loop_eloop)
{
	char *l = harness_path("loop");
	ASSERT_SYSCALL_OK(symlink_raw("loop", l));
	struct stat st;
	EXPECT_ERRNO(stat(l, &st), ELOOP);
	EXPECT_ERRNO(syscall(SYS_open, l, O_RDONLY), ELOOP);
	EXPECT_ERRNO(syscall(SYS_open, l, O_RDWR | O_CREAT, 0644), ELOOP);
	EXPECT_ERRNO(stat(harness_path("loop/x"), &st), ELOOP);
	EXPECT_ERRNO(syscall(SYS_chdir, l), ELOOP);
	EXPECT_SYSCALL_OK(lstat(l, &st));
	char buf[8];
	EXPECT_EQ(readlink_raw(l, buf, sizeof(buf)), 4);
	/* Two links pointing at each other. */
	ASSERT_SYSCALL_OK(symlink_raw("b", harness_path("a")));
	ASSERT_SYSCALL_OK(symlink_raw("a", harness_path("b")));
	EXPECT_ERRNO(stat(harness_path("a"), &st), ELOOP);
	EXPECT_ERRNO(syscall(SYS_access, harness_path("b"), F_OK), ELOOP);
}
