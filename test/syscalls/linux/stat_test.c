/* stat, lstat and fstat: the fields of files, directories and symlinks. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long stat_raw(const char *path, struct stat *st)
{
	return syscall(SYS_stat, path, st);
}

static long lstat_raw(const char *path, struct stat *st)
{
	return syscall(SYS_lstat, path, st);
}

TEST(stat_regular_file)
{
	char *p = harness_path("f");
	harness_write_file(p, "hello world", 11, 0640);
	struct stat st;
	ASSERT_SYSCALL_OK(stat_raw(p, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0640);
	EXPECT_EQ(st.st_size, 11);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_uid, geteuid());
	EXPECT_EQ(st.st_gid, getegid());
	EXPECT_GT(st.st_blksize, 0);
	EXPECT_NE(st.st_ino, 0);
	EXPECT_EQ(st.st_rdev, 0);
	/* fstat and lstat of the same file agree. */
	struct stat f, l;
	int fd = harness_open(p, O_RDONLY);
	EXPECT_SYSCALL_OK(fstat(fd, &f));
	EXPECT_SYSCALL_OK(lstat_raw(p, &l));
	close(fd);
	EXPECT_EQ(f.st_ino, st.st_ino);
	EXPECT_EQ(f.st_dev, st.st_dev);
	EXPECT_EQ(l.st_ino, st.st_ino);
	EXPECT_EQ(f.st_mode, st.st_mode);
	EXPECT_EQ(f.st_mtim.tv_sec, st.st_mtim.tv_sec);
	EXPECT_EQ(f.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
}

TEST(stat_blocks_count_written_data)
{
	char *p = harness_path("f");
	static char data[65536];
	memset(data, 'x', sizeof(data));
	harness_write_file(p, data, sizeof(data), 0644);
	struct stat st;
	ASSERT_SYSCALL_OK(stat_raw(p, &st));
	/* st_blocks is in 512-byte units, whatever st_blksize is. */
	EXPECT_GE(st.st_blocks * 512, (long long)sizeof(data));
}

TEST(stat_directory_nlink)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0750));
	struct stat st;
	ASSERT_SYSCALL_OK(stat_raw(d, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0750);
	/* "." and the entry in the parent. */
	EXPECT_EQ(st.st_nlink, 2);
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	ASSERT_SYSCALL_OK(stat_raw(d, &st));
	/* ... and sub's "..". Files do not count. */
	EXPECT_EQ(st.st_nlink, 3);
	harness_write_file(harness_path("d/file"), "", 0, 0644);
	ASSERT_SYSCALL_OK(stat_raw(d, &st));
	EXPECT_EQ(st.st_nlink, 3);
	ASSERT_SYSCALL_OK(rmdir(harness_path("d/sub")));
	ASSERT_SYSCALL_OK(stat_raw(d, &st));
	EXPECT_EQ(st.st_nlink, 2);
}

TEST(stat_symlink_follow_and_lstat)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "12345", 5, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	struct stat st, lst;
	ASSERT_SYSCALL_OK(stat_raw(l, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 5);
	ASSERT_SYSCALL_OK(lstat_raw(l, &lst));
	EXPECT_TRUE(S_ISLNK(lst.st_mode));
	/* A symlink's size is the length of its target. */
	EXPECT_EQ(lst.st_size, 1);
	EXPECT_EQ(lst.st_mode & 0777, 0777);
	EXPECT_NE(lst.st_ino, st.st_ino);
	/* A dangling symlink: lstat works, stat does not. */
	char *dl = harness_path("dangling");
	ASSERT_SYSCALL_OK(symlink("missing-target", dl));
	EXPECT_ERRNO(stat_raw(dl, &st), ENOENT);
	EXPECT_SYSCALL_OK(lstat_raw(dl, &lst));
	EXPECT_EQ(lst.st_size, 14);
}

TEST(stat_same_device_in_one_dir)
{
	harness_write_file(harness_path("a"), "", 0, 0644);
	harness_write_file(harness_path("b"), "", 0, 0644);
	struct stat a, b, d;
	ASSERT_SYSCALL_OK(stat_raw(harness_path("a"), &a));
	ASSERT_SYSCALL_OK(stat_raw(harness_path("b"), &b));
	ASSERT_SYSCALL_OK(stat_raw(harness_tmpdir(), &d));
	EXPECT_EQ(a.st_dev, b.st_dev);
	EXPECT_EQ(a.st_dev, d.st_dev);
	EXPECT_NE(a.st_ino, b.st_ino);
	/* /tmp and /dev/shm are different file systems. */
	struct stat shm;
	ASSERT_SYSCALL_OK(stat_raw(harness_shmdir(), &shm));
	EXPECT_NE(shm.st_dev, d.st_dev);
}

TEST(stat_mtime_changes_on_write)
{
	char *p = harness_path("f");
	harness_write_file(p, "a", 1, 0644);
	struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
	ASSERT_SYSCALL_OK(utimensat(AT_FDCWD, p, old, 0));
	struct stat st;
	ASSERT_SYSCALL_OK(stat_raw(p, &st));
	EXPECT_EQ(st.st_mtim.tv_sec, 1000000);
	int fd = harness_open(p, O_WRONLY | O_APPEND);
	EXPECT_EQ(write(fd, "b", 1), 1);
	close(fd);
	ASSERT_SYSCALL_OK(stat_raw(p, &st));
	EXPECT_GT(st.st_mtim.tv_sec, 1000000);
	EXPECT_GT(st.st_ctim.tv_sec, 1000000);
	/* Reading does not change mtime. */
	struct timespec t2[2] = {{2000000, 0}, {2000000, 0}};
	ASSERT_SYSCALL_OK(utimensat(AT_FDCWD, p, t2, 0));
	char buf[4];
	harness_read_file(p, buf, sizeof(buf));
	ASSERT_SYSCALL_OK(stat_raw(p, &st));
	EXPECT_EQ(st.st_mtim.tv_sec, 2000000);
}

TEST(stat_errors)
{
	struct stat st;
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(stat_raw(harness_path("missing"), &st), ENOENT);
	EXPECT_ERRNO(lstat_raw(harness_path("missing"), &st), ENOENT);
	EXPECT_ERRNO(stat_raw(harness_path("f/x"), &st), ENOTDIR);
	EXPECT_ERRNO(lstat_raw(harness_path("f/"), &st), ENOTDIR);
	EXPECT_ERRNO(stat_raw("", &st), ENOENT);
	EXPECT_ERRNO(stat_raw((const char *)1, &st), EFAULT);
	EXPECT_ERRNO(stat_raw(harness_path("f"), (struct stat *)1), EFAULT);
	EXPECT_ERRNO(lstat_raw(harness_path("f"), (struct stat *)1), EFAULT);
	char name[300];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	EXPECT_ERRNO(stat_raw(harness_path(name), &st), ENAMETOOLONG);
}

TEST(fstat_errors_and_o_path)
{
	struct stat st;
	EXPECT_ERRNO(fstat(-1, &st), EBADF);
	EXPECT_ERRNO(fstat(harness_free_fd(100), &st), EBADF);
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0);
	/* fstat works on an O_PATH descriptor, even of a mode-0 file. */
	int fd = harness_open(p, O_PATH);
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 3);
	EXPECT_EQ(st.st_mode & 07777, 0);
	EXPECT_ERRNO(fstat(fd, (struct stat *)1), EFAULT);
	close(fd);
}

TEST(fstat_after_unlink)
{
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0644);
	int fd = harness_open(p, O_RDONLY);
	ASSERT_SYSCALL_OK(unlink(p));
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(st.st_size, 3);
	close(fd);
}
