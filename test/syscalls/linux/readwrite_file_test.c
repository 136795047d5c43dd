/* read, write, readv and writev on regular files and directories. */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

static int open_file(const char *content, int flags)
{
	char *p = harness_path("f");
	struct stat st;
	if (stat(p, &st) != 0)
		harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, flags);
}

TEST(file_read_write_advance_offset)
{
	int fd = open_file("", O_RDWR);
	EXPECT_EQ(write(fd, "hello ", 6), 6);
	EXPECT_EQ(write(fd, "world", 5), 5);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 11);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	char buf[16] = {0};
	EXPECT_EQ(read(fd, buf, 5), 5);
	EXPECT_STREQ(buf, "hello");
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 6);
	/* At EOF read returns 0, again and again. */
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

TEST(file_overwrite_in_the_middle)
{
	int fd = open_file("0123456789", O_RDWR);
	ASSERT_EQ(lseek(fd, 4, SEEK_SET), 4);
	EXPECT_EQ(write(fd, "ab", 2), 2);
	char buf[16] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	EXPECT_STREQ(buf, "0123ab6789");
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 10);
	close(fd);
}

TEST(file_two_opens_share_data_not_offset)
{
	int a = open_file("", O_RDWR), b = open_file("", O_RDWR);
	EXPECT_EQ(write(a, "first", 5), 5);
	char buf[8] = {0};
	EXPECT_EQ(read(b, buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "first");
	/* b's offset is 5 now; a's write at 5 is seen by b next. */
	EXPECT_EQ(write(a, "+", 1), 1);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(b, buf, sizeof(buf)), 1);
	EXPECT_STREQ(buf, "+");
	close(b);
	close(a);
}

TEST(file_writev_readv)
{
	int fd = open_file("", O_RDWR);
	char a[] = "abc", b[] = "defgh";
	struct iovec w[3] = {{a, 3}, {0, 0}, {b, 5}};
	EXPECT_EQ(writev(fd, w, 3), 8);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	char x[3], y[10] = {0};
	struct iovec r[2] = {{x, 3}, {y, sizeof(y)}};
	EXPECT_EQ(readv(fd, r, 2), 8);
	EXPECT_EQ(memcmp(x, "abc", 3), 0);
	EXPECT_STREQ(y, "defgh");
	close(fd);
}

TEST(file_read_directory_eisdir)
{
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	char buf[16];
	EXPECT_ERRNO(read(d, buf, sizeof(buf)), EISDIR);
	struct iovec iov = {buf, sizeof(buf)};
	EXPECT_ERRNO(readv(d, &iov, 1), EISDIR);
	/* A directory cannot be opened for writing at all. */
	EXPECT_ERRNO(write(d, "x", 1), EBADF);
	close(d);
}

TEST(file_wrong_mode_ebadf)
{
	int ro = open_file("abc", O_RDONLY);
	int wo = open_file("", O_WRONLY);
	int path = open_file("", O_PATH);
	char buf[4];
	EXPECT_ERRNO(write(ro, "x", 1), EBADF);
	struct iovec iov = {buf, 1};
	EXPECT_ERRNO(writev(ro, &iov, 1), EBADF);
	EXPECT_ERRNO(read(wo, buf, 1), EBADF);
	EXPECT_ERRNO(readv(wo, &iov, 1), EBADF);
	EXPECT_ERRNO(read(path, buf, 1), EBADF);
	EXPECT_ERRNO(write(path, "x", 1), EBADF);
	close(path);
	close(wo);
	close(ro);
}

TEST(file_efault_and_partial)
{
	int fd = open_file("", O_RDWR);
	EXPECT_ERRNO(syscall(SYS_write, fd, (void *)1, 10), EFAULT);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	/* A buffer whose second page is unmapped: the first page is written. */
	size_t pg = harness_page_size();
	char *two = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	memset(two, 'p', pg);
	ASSERT_SYSCALL_OK(munmap(two + pg, pg));
	EXPECT_EQ(write(fd, two, 2 * pg), pg);
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, pg);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Reading into it fills what fits. */
	EXPECT_EQ(read(fd, two + pg - 10, 100), 10);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_ERRNO(syscall(SYS_read, fd, (void *)1, 10), EFAULT);
	munmap(two, pg);
	close(fd);
}

TEST(file_o_append_with_two_descriptors)
{
	int a = open_file("", O_WRONLY | O_APPEND);
	int b = open_file("", O_WRONLY | O_APPEND);
	EXPECT_EQ(write(a, "aa", 2), 2);
	EXPECT_EQ(write(b, "bb", 2), 2);
	EXPECT_EQ(write(a, "cc", 2), 2);
	char buf[8];
	EXPECT_EQ(harness_read_file(harness_path("f"), buf, sizeof(buf)), 6);
	EXPECT_STREQ(buf, "aabbcc");
	close(b);
	close(a);
}

TEST(file_read_into_odd_memory)
{
	size_t pg = harness_page_size();
	int fd = open_file("", O_RDWR);
	char *data = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < 2 * pg; i++)
		data[i] = (char)('a' + i % 26);
	ASSERT_EQ(write(fd, data, 2 * pg), 2 * pg);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Read-only memory: EFAULT, and the offset does not move. */
	char *ro = harness_map(pg, PROT_READ);
	EXPECT_ERRNO(read(fd, ro, 10), EFAULT);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* A partial read moves the offset by what was read. */
	char *two = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(two + pg, pg));
	EXPECT_EQ(read(fd, two + pg - 10, 100), 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 10);
	EXPECT_EQ(memcmp(two + pg - 10, data, 10), 0);
	/* readv over a good and an unmapped iovec: the first is filled. */
	struct iovec iov[2] = {{two, 20}, {two + pg, 20}};
	EXPECT_EQ(readv(fd, iov, 2), 20);
	EXPECT_EQ(memcmp(two, data + 10, 20), 0);
	/* Into a shared mapping of the same file (its first page gets the
	 * second; whether the file sees that is mmap's business). */
	char *self = mmap(0, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(self != MAP_FAILED);
	EXPECT_EQ(pread(fd, self, pg, pg), pg);
	EXPECT_EQ(memcmp(self, data + pg, pg), 0);
	munmap(self, 2 * pg);
	munmap(two, pg);
	munmap(ro, pg);
	munmap(data, 2 * pg);
	close(fd);
}
