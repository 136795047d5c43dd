/* mknod and mknodat: FIFOs, regular files, device and socket nodes. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static long mknod_raw(const char *path, mode_t mode, dev_t dev)
{
	return syscall(SYS_mknod, path, mode, dev);
}

static struct stat lstat_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st;
}

TEST(mknod_fifo)
{
	/* Only the node: opening a FIFO needs pipes. */
	char *p = harness_path("fifo");
	EXPECT_EQ(mknod_raw(p, S_IFIFO | 0640, 0), 0);
	struct stat st = lstat_of(p);
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0640);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(unlink(p), 0);
}

TEST(mknod_regular)
{
	char *p = harness_path("reg");
	EXPECT_EQ(mknod_raw(p, S_IFREG | 0600, 0), 0);
	struct stat st = lstat_of(p);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_size, 0);
	/* A type of zero means a regular file. */
	char *q = harness_path("zero");
	EXPECT_EQ(mknod_raw(q, 0644, 0), 0);
	EXPECT_TRUE(S_ISREG(lstat_of(q).st_mode));
	/* It is an ordinary file: writable and readable. */
	harness_write_file(harness_path("other"), "", 0, 0644);
	int fd = harness_open(q, O_RDWR);
	EXPECT_EQ(write(fd, "ab", 2), 2);
	close(fd);
	EXPECT_EQ(lstat_of(q).st_size, 2);
}

TEST(mknod_devices_as_root)
{
	if (geteuid() != 0)
		SKIP("needs root (CAP_MKNOD) to create device nodes");
	char *c = harness_path("null"), *b = harness_path("loop");
	EXPECT_EQ(mknod_raw(c, S_IFCHR | 0666, makedev(1, 3)), 0);
	struct stat st = lstat_of(c);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_rdev, makedev(1, 3));
	EXPECT_EQ(major(st.st_rdev), 1);
	EXPECT_EQ(minor(st.st_rdev), 3);
	EXPECT_EQ(mknod_raw(b, S_IFBLK | 0600, makedev(7, 200)), 0);
	st = lstat_of(b);
	EXPECT_TRUE(S_ISBLK(st.st_mode));
	EXPECT_EQ(st.st_rdev, makedev(7, 200));
}

TEST(mknod_socket_node)
{
	char *p = harness_path("sock");
	EXPECT_EQ(mknod_raw(p, S_IFSOCK | 0755, 0), 0);
	EXPECT_TRUE(S_ISSOCK(lstat_of(p).st_mode));
}

TEST(mknod_bad_type)
{
	/* A directory is made with mkdir. */
	EXPECT_ERRNO(mknod_raw(harness_path("d"), S_IFDIR | 0755, 0), EPERM);
	/* Not a type at all. */
	EXPECT_ERRNO(mknod_raw(harness_path("x"), 0170000 | 0644, 0), EINVAL);
	EXPECT_ERRNO(mknod_raw(harness_path("y"), S_IFLNK | 0777, 0), EINVAL);
	struct stat st;
	EXPECT_ERRNO(lstat(harness_path("d"), &st), ENOENT);
}

TEST(mknod_eexist_and_paths)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dangling")));
	EXPECT_ERRNO(mknod_raw(harness_path("f"), S_IFIFO | 0644, 0), EEXIST);
	EXPECT_ERRNO(mknod_raw(harness_path("dangling"), S_IFIFO | 0644, 0),
		     EEXIST);
	EXPECT_ERRNO(mknod_raw(harness_tmpdir(), S_IFREG | 0644, 0), EEXIST);
	EXPECT_ERRNO(mknod_raw(harness_path("missing/p"), S_IFIFO | 0644, 0),
		     ENOENT);
	EXPECT_ERRNO(mknod_raw(harness_path("f/p"), S_IFIFO | 0644, 0),
		     ENOTDIR);
	EXPECT_ERRNO(mknod_raw("", S_IFIFO | 0644, 0), ENOENT);
	EXPECT_ERRNO(mknod_raw((const char *)1, S_IFIFO | 0644, 0), EFAULT);
}

TEST(mknodat_dirfd)
{
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_mknodat, d, "p", S_IFIFO | 0600, 0), 0);
	EXPECT_TRUE(S_ISFIFO(lstat_of(harness_path("p")).st_mode));
	EXPECT_ERRNO(syscall(SYS_mknodat, d, "p", S_IFIFO | 0600, 0), EEXIST);
	EXPECT_ERRNO(syscall(SYS_mknodat, -1, "q", S_IFIFO | 0600, 0), EBADF);
	int f = harness_open(harness_path("p"), O_PATH);
	EXPECT_ERRNO(syscall(SYS_mknodat, f, "q", S_IFIFO | 0600, 0), ENOTDIR);
	close(f);
	close(d);
}
