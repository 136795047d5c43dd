/* memfd_create: names, flags, size, mapping and seals. */
#include "harness.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

static int memfd(const char *name, unsigned flags)
{
	int fd = (int)syscall(SYS_memfd_create, name, flags);
	ASSERT_GE(fd, 0);
	return fd;
}

TEST(memfd_proc_link_text)
{
	int fd = memfd("bulwark-test", 0);
	char buf[128] = {0};
	char *link = harness_strf("/proc/self/fd/%d", fd);
	long n = readlink(link, buf, sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	EXPECT_STREQ(buf, "/memfd:bulwark-test (deleted)");
	close(fd);
	/* An empty name is allowed. */
	fd = memfd("", 0);
	memset(buf, 0, sizeof(buf));
	link = harness_strf("/proc/self/fd/%d", fd);
	ASSERT_GT(readlink(link, buf, sizeof(buf) - 1), 0);
	EXPECT_STREQ(buf, "/memfd: (deleted)");
	close(fd);
}

TEST(memfd_cloexec_flag)
{
	int fd = memfd("a", 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFD), 0);
	close(fd);
	fd = memfd("b", MFD_CLOEXEC);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
	close(fd);
}

TEST(memfd_is_an_empty_writable_file)
{
	int fd = memfd("f", 0);
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 0);
	/* It never had a name in any directory. */
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE, O_RDWR);
	EXPECT_EQ(write(fd, "hello", 5), 5);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "hello");
	/* It lives on an internal tmpfs. */
	struct statfs sfs;
	ASSERT_SYSCALL_OK(fstatfs(fd, &sfs));
	EXPECT_EQ(sfs.f_type, TMPFS_MAGIC);
	close(fd);
}

TEST(memfd_ftruncate_and_mmap)
{
	size_t pg = harness_page_size();
	int fd = memfd("map", 0);
	ASSERT_SYSCALL_OK(ftruncate(fd, (off_t)(4 * pg)));
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 4 * pg);
	unsigned char *p =
		mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[4 * pg - 1], 0);
	memcpy(p + pg, "via-map", 7);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 7, (off_t)pg), 7);
	EXPECT_STREQ(buf, "via-map");
	EXPECT_EQ(pwrite(fd, "via-write", 9, 0), 9);
	EXPECT_EQ(memcmp(p, "via-write", 9), 0);
	/* Reopening through /proc gives the same file. */
	int again =
		harness_open(harness_strf("/proc/self/fd/%d", fd), O_RDONLY);
	EXPECT_EQ(pread(again, buf, 7, (off_t)pg), 7);
	EXPECT_STREQ(buf, "via-map");
	close(again);
	EXPECT_SYSCALL_OK(munmap(p, 4 * pg));
	close(fd);
}

TEST(memfd_name_length)
{
	/* The name may be 249 bytes: "memfd:" + name fits NAME_MAX. */
	char name[300];
	memset(name, 'n', sizeof(name));
	name[249] = 0;
	long fd = syscall(SYS_memfd_create, name, 0);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	name[249] = 'n';
	name[250] = 0;
	EXPECT_ERRNO(syscall(SYS_memfd_create, name, 0), EINVAL);
}

TEST(memfd_errors)
{
	EXPECT_ERRNO(syscall(SYS_memfd_create, "x", 0x1000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_memfd_create, "x", 0x80000000U), EINVAL);
	EXPECT_ERRNO(syscall(SYS_memfd_create, (const char *)1, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_memfd_create, 0, 0), EFAULT);
}

TEST(memfd_seals)
{
	/* Without MFD_ALLOW_SEALING the memfd comes sealed against sealing. */
	int fd = memfd("nosealing", 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);

	fd = memfd("sealing", MFD_ALLOW_SEALING);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GET_SEALS), 0);
	ASSERT_EQ(write(fd, "0123456789", 10), 10);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_ERRNO(ftruncate(fd, 5), EPERM);
	EXPECT_EQ(ftruncate(fd, 20), 0);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	EXPECT_ERRNO(ftruncate(fd, 30), EPERM);
	EXPECT_ERRNO(pwrite(fd, "x", 1, 20), EPERM);
	/* Writing inside the file is still fine. */
	EXPECT_EQ(pwrite(fd, "x", 1, 0), 1);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	EXPECT_ERRNO(pwrite(fd, "x", 1, 0), EPERM);
	EXPECT_TRUE(mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EPERM);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GET_SEALS),
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, F_ADD_SEALS, 0x10000), EINVAL);
	close(fd);
}

TEST(seals_on_tmpfs_file_and_read_only_fd)
{
	/* A tmpfs file that is not a memfd is sealed against sealing. */
	char *p = harness_shm_path("f");
	harness_write_file(p, "", 0, 0644);
	int fd = harness_open(p, O_RDWR);
	EXPECT_EQ(syscall(SYS_fcntl, fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	close(fd);
	int ro = memfd("ro", MFD_ALLOW_SEALING);
	int r = harness_open(harness_strf("/proc/self/fd/%d", ro), O_RDONLY);
	/* Adding seals needs a writable descriptor. */
	EXPECT_ERRNO(syscall(SYS_fcntl, r, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	EXPECT_EQ(syscall(SYS_fcntl, r, F_GET_SEALS), 0);
	close(r);
	close(ro);
}
