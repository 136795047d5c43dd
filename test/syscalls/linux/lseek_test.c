/* lseek on files and directories: whence values, holes and errors. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

static long lseek_raw(int fd, long off, int whence)
{
	return syscall(SYS_lseek, fd, off, whence);
}

static int open_file(const char *path, const char *content)
{
	harness_write_file(path, content, strlen(content), 0644);
	return harness_open(path, O_RDWR);
}

TEST(lseek_set_cur_end)
{
	int fd = open_file(harness_path("f"), "0123456789");
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(lseek_raw(fd, 3, SEEK_SET), 3);
	EXPECT_EQ(lseek_raw(fd, 2, SEEK_CUR), 5);
	EXPECT_EQ(lseek_raw(fd, -1, SEEK_CUR), 4);
	char c = 0;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, '4');
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_END), 10);
	EXPECT_EQ(lseek_raw(fd, -3, SEEK_END), 7);
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, '7');
	close(fd);
}

TEST(lseek_past_eof_then_write)
{
	int fd = open_file(harness_path("f"), "ab");
	EXPECT_EQ(lseek_raw(fd, 100, SEEK_END), 102);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 2);
	EXPECT_EQ(write(fd, "z", 1), 1);
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 103);
	EXPECT_EQ(pread(fd, &c, 1, 50), 1);
	EXPECT_EQ(c, 0);
	close(fd);
}

TEST(lseek_einval)
{
	int fd = open_file(harness_path("f"), "0123456789");
	ASSERT_EQ(lseek_raw(fd, 5, SEEK_SET), 5);
	EXPECT_ERRNO(lseek_raw(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek_raw(fd, -6, SEEK_CUR), EINVAL);
	EXPECT_ERRNO(lseek_raw(fd, -11, SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek_raw(fd, 0, 5), EINVAL);
	EXPECT_ERRNO(lseek_raw(fd, 0, -1), EINVAL);
	/* Overflowing the offset. */
	EXPECT_ERRNO(lseek_raw(fd, LONG_MAX, SEEK_CUR), EINVAL);
	/* The failed calls left the offset alone. */
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_CUR), 5);
	close(fd);
}

TEST(lseek_ebadf)
{
	EXPECT_ERRNO(lseek_raw(-1, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO(lseek_raw(harness_free_fd(100), 0, SEEK_SET), EBADF);
	char *p = harness_path("f");
	harness_write_file(p, "x", 1, 0644);
	int fd = harness_open(p, O_PATH);
	EXPECT_ERRNO(lseek_raw(fd, 0, SEEK_SET), EBADF);
	close(fd);
}

TEST(lseek_offset_shared_by_dup)
{
	int fd = open_file(harness_path("f"), "0123456789");
	int d = (int)syscall(SYS_dup, fd);
	ASSERT_GE(d, 0);
	EXPECT_EQ(lseek_raw(fd, 6, SEEK_SET), 6);
	EXPECT_EQ(lseek_raw(d, 0, SEEK_CUR), 6);
	/* A second open has its own offset. */
	int other = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_EQ(lseek_raw(other, 0, SEEK_CUR), 0);
	close(other);
	close(d);
	close(fd);
}

TEST(lseek_directory)
{
	harness_write_file(harness_path("a"), "", 0, 0644);
	int fd = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	char buf[1024];
	EXPECT_GT(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	EXPECT_EQ(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	/* Rewinding starts the listing again. */
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_SET), 0);
	EXPECT_GT(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	EXPECT_ERRNO(lseek_raw(fd, -1, SEEK_SET), EINVAL);
	close(fd);
}

TEST(lseek_tmpfs_directory_seek_end_einval)
{
	/* tmpfs directories support SEEK_SET and SEEK_CUR only. */
	int fd = harness_open(harness_shmdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_CUR), 0);
	EXPECT_ERRNO(lseek_raw(fd, 0, SEEK_END), EINVAL);
	close(fd);
}

TEST(lseek_data_hole_dense_file)
{
	int fd = open_file(harness_path("f"), "0123456789");
	/* A file without holes is one data extent with a hole at EOF. */
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_DATA), 0);
	EXPECT_EQ(lseek_raw(fd, 4, SEEK_DATA), 4);
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_HOLE), 10);
	EXPECT_EQ(lseek_raw(fd, 9, SEEK_HOLE), 10);
	/* At or past EOF there is neither. */
	EXPECT_ERRNO(lseek_raw(fd, 10, SEEK_DATA), ENXIO);
	EXPECT_ERRNO(lseek_raw(fd, 10, SEEK_HOLE), ENXIO);
	EXPECT_ERRNO(lseek_raw(fd, 1000, SEEK_DATA), ENXIO);
	EXPECT_ERRNO(lseek_raw(fd, -1, SEEK_DATA), ENXIO);
	close(fd);
	/* An empty file has no data at all. */
	fd = open_file(harness_path("empty"), "");
	EXPECT_ERRNO(lseek_raw(fd, 0, SEEK_DATA), ENXIO);
	EXPECT_ERRNO(lseek_raw(fd, 0, SEEK_HOLE), ENXIO);
	close(fd);
}

TEST(lseek_data_hole_sparse_tmpfs_file)
{
	/*
	 * tmpfs tracks holes per page (since Linux 3.8): data in the first
	 * and the 257th page, a hole between and after.
	 */
	size_t pg = harness_page_size();
	int fd = harness_open(harness_shm_path("sparse"),
			      O_RDWR | O_CREAT | O_EXCL, 0644);
	ASSERT_EQ(pwrite(fd, "a", 1, 0), 1);
	ASSERT_EQ(pwrite(fd, "b", 1, 256 * pg), 1);
	ASSERT_SYSCALL_OK(ftruncate(fd, 300 * pg));
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_HOLE), pg);
	EXPECT_EQ(lseek_raw(fd, 1, SEEK_DATA), 1);
	EXPECT_EQ(lseek_raw(fd, pg, SEEK_DATA), 256 * pg);
	EXPECT_EQ(lseek_raw(fd, 256 * pg, SEEK_HOLE), 257 * pg);
	EXPECT_ERRNO(lseek_raw(fd, 257 * pg, SEEK_DATA), ENXIO);
	EXPECT_EQ(lseek_raw(fd, 299 * pg, SEEK_HOLE), 299 * pg);
	/* The offset returned is also the new file offset. */
	EXPECT_EQ(lseek_raw(fd, 0, SEEK_CUR), 299 * pg);
	close(fd);
}
