/* chdir, fchdir and getcwd. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The temp dir's canonical name (getcwd reports resolved paths). */
static char *real_tmpdir(void)
{
	char *r = realpath(harness_tmpdir(), 0);
	ASSERT_TRUE(r != 0);
	char *s = harness_strf("%s", r);
	free(r);
	return s;
}

TEST(chdir_then_getcwd)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_chdir(harness_path("d"));
	char buf[PATH_MAX];
	long n = syscall(SYS_getcwd, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	/* The raw call returns the length including the NUL. */
	EXPECT_EQ(n, strlen(buf) + 1);
	EXPECT_STREQ(buf, harness_strf("%s/d", real_tmpdir()));
	/* Relative lookups start there now. */
	harness_write_file("rel", "", 0, 0644);
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("d/rel"), &st));
	/* ".." and "." work as expected. */
	EXPECT_EQ(syscall(SYS_chdir, ".."), 0);
	ASSERT_GT(syscall(SYS_getcwd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, real_tmpdir());
	EXPECT_EQ(syscall(SYS_chdir, "."), 0);
	ASSERT_GT(syscall(SYS_getcwd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, real_tmpdir());
}

TEST(chdir_through_symlink_reports_target)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("real"), 0755));
	ASSERT_SYSCALL_OK(symlink("real", harness_path("link")));
	harness_chdir(harness_path("link"));
	char buf[PATH_MAX];
	ASSERT_GT(syscall(SYS_getcwd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, harness_strf("%s/real", real_tmpdir()));
}

TEST(chdir_root_and_dotdot_at_root)
{
	harness_chdir("/");
	char buf[16];
	EXPECT_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), 2);
	EXPECT_STREQ(buf, "/");
	EXPECT_EQ(syscall(SYS_chdir, ".."), 0);
	EXPECT_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), 2);
	EXPECT_STREQ(buf, "/");
}

TEST(chdir_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_chdir, harness_path("f")), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chdir, harness_path("f/")), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chdir, harness_path("missing")), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chdir, ""), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chdir, (const char *)1), EFAULT);
	ASSERT_SYSCALL_OK(symlink("f", harness_path("lf")));
	EXPECT_ERRNO(syscall(SYS_chdir, harness_path("lf")), ENOTDIR);
}

TEST(fchdir_fd)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_chdir("/");
	int d = harness_open(harness_path("d"), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_fchdir, d), 0);
	char buf[PATH_MAX];
	ASSERT_GT(syscall(SYS_getcwd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, harness_strf("%s/d", real_tmpdir()));
	close(d);
	/* An O_PATH descriptor of a directory will do. */
	harness_chdir("/");
	d = harness_open(harness_path("d"), O_PATH | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_fchdir, d), 0);
	ASSERT_GT(syscall(SYS_getcwd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, harness_strf("%s/d", real_tmpdir()));
	close(d);
}

TEST(fchdir_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_fchdir, f), ENOTDIR);
	close(f);
	EXPECT_ERRNO(syscall(SYS_fchdir, -1), EBADF);
	EXPECT_ERRNO(syscall(SYS_fchdir, harness_free_fd(100)), EBADF);
}

TEST(getcwd_buffer_checks)
{
	harness_chdir(harness_tmpdir());
	char *want = real_tmpdir();
	size_t len = strlen(want);
	char buf[PATH_MAX];
	/* Exactly big enough, then one byte short. */
	EXPECT_EQ(syscall(SYS_getcwd, buf, len + 1), len + 1);
	EXPECT_STREQ(buf, want);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, len), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 1), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 0), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, (char *)1, sizeof(buf)), EFAULT);
}

TEST(chdir_needs_search_permission)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs real and effective uid 0 to switch to nobody");
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("closed"), 0700));
	ASSERT_SYSCALL_OK(mkdir(harness_path("open"), 0711));
	int d = harness_open(harness_path("closed"), O_PATH | O_DIRECTORY);
	harness_chdir("/");
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(syscall(SYS_chdir, harness_path("closed")), EACCES);
	EXPECT_ERRNO(syscall(SYS_fchdir, d), EACCES);
	/* Search permission alone is enough. */
	EXPECT_EQ(syscall(SYS_chdir, harness_path("open")), 0);
	harness_restore_eids();
	close(d);
}
