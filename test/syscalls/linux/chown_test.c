/* chown, fchown, lchown and fchownat as root. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static struct stat lstat_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st;
}

static void need_root(void)
{
	if (geteuid() != 0)
		SKIP("needs root: only root may give files away");
}

TEST(chown_to_nobody)
{
	need_root();
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	EXPECT_EQ(syscall(SYS_chown, f, 65534, 65534), 0);
	struct stat st = lstat_of(f);
	EXPECT_EQ(st.st_uid, 65534);
	EXPECT_EQ(st.st_gid, 65534);
	EXPECT_EQ(syscall(SYS_chown, f, 0, 0), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_uid, 0);
	EXPECT_EQ(st.st_gid, 0);
}

TEST(chown_minus_one_leaves_unchanged)
{
	need_root();
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(syscall(SYS_chown, f, 1000, 2000));
	EXPECT_EQ(syscall(SYS_chown, f, -1, 3000), 0);
	struct stat st = lstat_of(f);
	EXPECT_EQ(st.st_uid, 1000);
	EXPECT_EQ(st.st_gid, 3000);
	EXPECT_EQ(syscall(SYS_chown, f, 4000, -1), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_uid, 4000);
	EXPECT_EQ(st.st_gid, 3000);
	EXPECT_EQ(syscall(SYS_chown, f, -1, -1), 0);
	st = lstat_of(f);
	EXPECT_EQ(st.st_uid, 4000);
	EXPECT_EQ(st.st_gid, 3000);
}

TEST(chown_clears_setuid_setgid)
{
	need_root();
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	/* A new owner for a regular file drops set-id bits, even as root. */
	ASSERT_SYSCALL_OK(chmod(f, 06755));
	EXPECT_EQ(syscall(SYS_chown, f, 65534, 65534), 0);
	EXPECT_EQ(lstat_of(f).st_mode & 07777, 0755);
	/* Directories keep them. */
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	ASSERT_SYSCALL_OK(chmod(d, 02755));
	EXPECT_EQ(syscall(SYS_chown, d, 65534, 65534), 0);
	EXPECT_EQ(lstat_of(d).st_mode & 07777, 02755);
}

TEST(chown_follows_lchown_does_not)
{
	need_root();
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	EXPECT_EQ(syscall(SYS_chown, l, 100, 200), 0);
	EXPECT_EQ(lstat_of(f).st_uid, 100);
	EXPECT_EQ(lstat_of(l).st_uid, 0);
	EXPECT_EQ(syscall(SYS_lchown, l, 300, 400), 0);
	EXPECT_EQ(lstat_of(l).st_uid, 300);
	EXPECT_EQ(lstat_of(l).st_gid, 400);
	EXPECT_EQ(lstat_of(f).st_uid, 100);
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dl")));
	EXPECT_ERRNO(syscall(SYS_chown, harness_path("dl"), 1, 1), ENOENT);
	EXPECT_EQ(syscall(SYS_lchown, harness_path("dl"), 1, 1), 0);
}

TEST(fchown_fd)
{
	need_root();
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	int fd = harness_open(f, O_RDONLY);
	EXPECT_EQ(syscall(SYS_fchown, fd, 65534, -1), 0);
	EXPECT_EQ(lstat_of(f).st_uid, 65534);
	EXPECT_EQ(lstat_of(f).st_gid, 0);
	close(fd);
	EXPECT_ERRNO(syscall(SYS_fchown, -1, 0, 0), EBADF);
	int p = harness_open(f, O_PATH);
	EXPECT_ERRNO(syscall(SYS_fchown, p, 0, 0), EBADF);
	close(p);
}

TEST(fchownat_flags)
{
	need_root();
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_fchownat, d, "l", 11, 12, AT_SYMLINK_NOFOLLOW),
		  0);
	EXPECT_EQ(lstat_of(harness_path("l")).st_uid, 11);
	EXPECT_EQ(lstat_of(harness_path("f")).st_uid, 0);
	EXPECT_EQ(syscall(SYS_fchownat, d, "l", 21, 22, 0), 0);
	EXPECT_EQ(lstat_of(harness_path("f")).st_uid, 21);
	/* AT_EMPTY_PATH changes the descriptor's file, even an O_PATH one. */
	int p = harness_open(harness_path("f"), O_PATH);
	EXPECT_EQ(syscall(SYS_fchownat, p, "", 31, 32, AT_EMPTY_PATH), 0);
	EXPECT_EQ(lstat_of(harness_path("f")).st_gid, 32);
	EXPECT_ERRNO(syscall(SYS_fchownat, p, "", 31, 32, 0), ENOENT);
	close(p);
	EXPECT_ERRNO(syscall(SYS_fchownat, d, "f", 1, 1, 0x1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fchownat, d, "f", 1, 1, AT_REMOVEDIR), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fchownat, -1, "f", 1, 1, 0), EBADF);
	close(d);
}

TEST(chown_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_chown, harness_path("missing"), 0, 0), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chown, harness_path("f/x"), 0, 0), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chown, "", 0, 0), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chown, (const char *)1, 0, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_lchown, harness_path("missing"), 0, 0),
		     ENOENT);
}
