/* link and linkat: hard links, link counts, symlinks and AT_* flags. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long link_raw(const char *from, const char *to)
{
	return syscall(SYS_link, from, to);
}

static long linkat_raw(int ofd, const char *from, int nfd, const char *to,
		       int flags)
{
	return syscall(SYS_linkat, ofd, from, nfd, to, flags);
}

static struct stat lstat_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st;
}

TEST(link_counts)
{
	char *a = harness_path("a"), *b = harness_path("b"),
	     *c = harness_path("c");
	harness_write_file(a, "shared", 6, 0644);
	EXPECT_EQ(link_raw(a, b), 0);
	EXPECT_EQ(lstat_of(a).st_nlink, 2);
	EXPECT_EQ(lstat_of(b).st_nlink, 2);
	EXPECT_EQ(lstat_of(a).st_ino, lstat_of(b).st_ino);
	EXPECT_EQ(link_raw(b, c), 0);
	EXPECT_EQ(lstat_of(a).st_nlink, 3);
	/* Writes through one name are seen through the other. */
	int fd = harness_open(c, O_WRONLY | O_TRUNC);
	EXPECT_EQ(write(fd, "new", 3), 3);
	close(fd);
	char buf[8];
	harness_read_file(a, buf, sizeof(buf));
	EXPECT_STREQ(buf, "new");
	ASSERT_SYSCALL_OK(unlink(a));
	EXPECT_EQ(lstat_of(b).st_nlink, 2);
	ASSERT_SYSCALL_OK(unlink(c));
	EXPECT_EQ(lstat_of(b).st_nlink, 1);
	/* The names that were used first are gone; the data is not. */
	memset(buf, 0, sizeof(buf));
	harness_read_file(b, buf, sizeof(buf));
	EXPECT_STREQ(buf, "new");
}

TEST(link_directory_eperm)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_ERRNO(link_raw(d, harness_path("d2")), EPERM);
	EXPECT_ERRNO(linkat_raw(AT_FDCWD, d, AT_FDCWD, harness_path("d2"),
				AT_SYMLINK_FOLLOW),
		     EPERM);
	EXPECT_EQ(lstat_of(d).st_nlink, 2);
}

TEST(link_eexist)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "", 0, 0644);
	harness_write_file(b, "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dangling")));
	EXPECT_ERRNO(link_raw(a, b), EEXIST);
	EXPECT_ERRNO(link_raw(a, a), EEXIST);
	EXPECT_ERRNO(link_raw(a, harness_path("d")), EEXIST);
	EXPECT_ERRNO(link_raw(a, harness_path("dangling")), EEXIST);
	EXPECT_EQ(lstat_of(a).st_nlink, 1);
}

TEST(link_errors)
{
	char *a = harness_path("a");
	harness_write_file(a, "", 0, 0644);
	EXPECT_ERRNO(link_raw(harness_path("missing"), harness_path("x")),
		     ENOENT);
	EXPECT_ERRNO(link_raw(a, harness_path("missing/x")), ENOENT);
	EXPECT_ERRNO(link_raw(harness_path("a/x"), harness_path("x")), ENOTDIR);
	EXPECT_ERRNO(link_raw(a, harness_path("a/x")), ENOTDIR);
	EXPECT_ERRNO(link_raw(harness_path("a/"), harness_path("x")), ENOTDIR);
	/* A new name with a trailing slash would have to be a directory. */
	EXPECT_ERRNO(link_raw(a, harness_path("x/")), ENOENT);
	EXPECT_ERRNO(link_raw("", harness_path("x")), ENOENT);
	EXPECT_ERRNO(link_raw(a, ""), ENOENT);
	EXPECT_ERRNO(link_raw((const char *)1, harness_path("x")), EFAULT);
	EXPECT_ERRNO(link_raw(a, (const char *)1), EFAULT);
	EXPECT_EQ(lstat_of(a).st_nlink, 1);
}

TEST(link_across_mounts_exdev)
{
	char *a = harness_path("a");
	harness_write_file(a, "", 0, 0644);
	EXPECT_ERRNO(link_raw(a, harness_shm_path("a")), EXDEV);
}

TEST(link_to_symlink_does_not_follow)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	/* link() and linkat() without flags link the symlink itself. */
	EXPECT_EQ(link_raw(l, harness_path("l2")), 0);
	struct stat st = lstat_of(harness_path("l2"));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_ino, lstat_of(l).st_ino);
	EXPECT_EQ(st.st_nlink, 2);
	EXPECT_EQ(linkat_raw(AT_FDCWD, l, AT_FDCWD, harness_path("l3"), 0), 0);
	EXPECT_TRUE(S_ISLNK(lstat_of(harness_path("l3")).st_mode));
	/* AT_SYMLINK_FOLLOW links the target. */
	EXPECT_EQ(linkat_raw(AT_FDCWD, l, AT_FDCWD, harness_path("t"),
			     AT_SYMLINK_FOLLOW),
		  0);
	st = lstat_of(harness_path("t"));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_ino, lstat_of(f).st_ino);
	EXPECT_EQ(lstat_of(f).st_nlink, 2);
	/* A dangling symlink can be linked, but not followed. */
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dl")));
	EXPECT_EQ(link_raw(harness_path("dl"), harness_path("dl2")), 0);
	EXPECT_ERRNO(linkat_raw(AT_FDCWD, harness_path("dl"), AT_FDCWD,
				harness_path("dl3"), AT_SYMLINK_FOLLOW),
		     ENOENT);
}

TEST(linkat_dirfds)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d1"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d2"), 0755));
	harness_write_file(harness_path("d1/f"), "", 0, 0644);
	int d1 = (int)syscall(SYS_open, harness_path("d1"),
			      O_RDONLY | O_DIRECTORY);
	int d2 = (int)syscall(SYS_open, harness_path("d2"),
			      O_PATH | O_DIRECTORY);
	ASSERT_GE(d1, 0);
	ASSERT_GE(d2, 0);
	EXPECT_EQ(linkat_raw(d1, "f", d2, "g", 0), 0);
	EXPECT_EQ(lstat_of(harness_path("d2/g")).st_nlink, 2);
	EXPECT_ERRNO(linkat_raw(-1, "f", d2, "h", 0), EBADF);
	EXPECT_ERRNO(linkat_raw(d1, "f", -1, "h", 0), EBADF);
	int f = harness_open(harness_path("d1/f"), O_RDONLY);
	EXPECT_ERRNO(linkat_raw(f, "x", d2, "h", 0), ENOTDIR);
	EXPECT_ERRNO(linkat_raw(d1, "f", d2, "h", 0x1), EINVAL);
	EXPECT_ERRNO(linkat_raw(d1, "f", d2, "h", AT_SYMLINK_NOFOLLOW), EINVAL);
	close(f);
	close(d2);
	close(d1);
}

TEST(linkat_empty_path)
{
	if (geteuid() != 0)
		SKIP("AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH");
	char *f = harness_path("f");
	harness_write_file(f, "x", 1, 0644);
	int fd = harness_open(f, O_RDONLY);
	EXPECT_EQ(linkat_raw(fd, "", AT_FDCWD, harness_path("g"),
			     AT_EMPTY_PATH),
		  0);
	EXPECT_EQ(lstat_of(f).st_nlink, 2);
	/* Without AT_EMPTY_PATH, "" is ENOENT. */
	EXPECT_ERRNO(linkat_raw(fd, "", AT_FDCWD, harness_path("h"), 0),
		     ENOENT);
	/* A file whose last name is gone cannot get a new one. */
	ASSERT_SYSCALL_OK(unlink(f));
	ASSERT_SYSCALL_OK(unlink(harness_path("g")));
	EXPECT_ERRNO(linkat_raw(fd, "", AT_FDCWD, harness_path("h"),
				AT_EMPTY_PATH),
		     ENOENT);
	close(fd);
	/* A directory descriptor: EPERM as for link(). */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(linkat_raw(d, "", AT_FDCWD, harness_path("dd"),
				AT_EMPTY_PATH),
		     EPERM);
	close(d);
}
