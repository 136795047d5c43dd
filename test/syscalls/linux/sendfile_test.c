/* sendfile between regular files: offsets, counts and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long sendfile_raw(int out, int in, off_t *off, size_t count)
{
	return syscall(SYS_sendfile, out, in, off, count);
}

static int open_in(const char *content)
{
	char *p = harness_path("in");
	harness_write_file(p, content, strlen(content), 0644);
	return harness_open(p, O_RDONLY);
}

static int open_out(int extra)
{
	return harness_open(harness_path("out"), O_WRONLY | O_CREAT | extra,
			    0644);
}

static void expect_out(const char *want, int line)
{
	char buf[64];
	harness_read_file(harness_path("out"), buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		harness_fail(__FILE__, line, "out holds \"%s\", want \"%s\"",
			     buf, want);
}

TEST(sendfile_uses_and_advances_offsets)
{
	int in = open_in("0123456789"), out = open_out(0);
	ASSERT_EQ(lseek(in, 2, SEEK_SET), 2);
	EXPECT_EQ(sendfile_raw(out, in, 0, 3), 3);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 5);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 3);
	EXPECT_EQ(sendfile_raw(out, in, 0, 100), 5);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 10);
	/* At EOF there is nothing left. */
	EXPECT_EQ(sendfile_raw(out, in, 0, 100), 0);
	expect_out("23456789", __LINE__);
	close(out);
	close(in);
}

TEST(sendfile_offset_pointer)
{
	int in = open_in("0123456789"), out = open_out(0);
	ASSERT_EQ(lseek(in, 7, SEEK_SET), 7);
	off_t off = 1;
	EXPECT_EQ(sendfile_raw(out, in, &off, 4), 4);
	/* The pointer is advanced, the file offset is not. */
	EXPECT_EQ(off, 5);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 7);
	EXPECT_EQ(sendfile_raw(out, in, &off, 100), 5);
	EXPECT_EQ(off, 10);
	EXPECT_EQ(sendfile_raw(out, in, &off, 100), 0);
	EXPECT_EQ(off, 10);
	off = 1000;
	EXPECT_EQ(sendfile_raw(out, in, &off, 10), 0);
	EXPECT_EQ(off, 1000);
	expect_out("123456789", __LINE__);
	close(out);
	close(in);
}

TEST(sendfile_count_zero)
{
	int in = open_in("abc"), out = open_out(0);
	EXPECT_EQ(sendfile_raw(out, in, 0, 0), 0);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 0);
	close(out);
	close(in);
}

TEST(sendfile_larger_than_a_page)
{
	static char data[200000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	char *p = harness_path("big");
	harness_write_file(p, data, sizeof(data), 0644);
	int in = harness_open(p, O_RDONLY);
	int out = open_out(0);
	size_t total = 0;
	while (total < sizeof(data)) {
		long n = sendfile_raw(out, in, 0, sizeof(data) - total);
		ASSERT_GT(n, 0);
		total += (size_t)n;
	}
	close(out);
	static char back[200000];
	int fd = harness_open(harness_path("out"), O_RDONLY);
	EXPECT_EQ(pread(fd, back, sizeof(back), 0), sizeof(back));
	EXPECT_EQ(memcmp(back, data, sizeof(data)), 0);
	close(fd);
	close(in);
}

TEST(sendfile_errors)
{
	int in = open_in("abc");
	int out = open_out(0);
	off_t neg = -1;
	EXPECT_ERRNO(sendfile_raw(out, in, &neg, 1), EINVAL);
	EXPECT_ERRNO(sendfile_raw(out, in, (off_t *)1, 1), EFAULT);
	/* Wrong access modes. */
	EXPECT_ERRNO(sendfile_raw(in, in, 0, 1), EBADF);
	EXPECT_ERRNO(sendfile_raw(out, out, 0, 1), EBADF);
	EXPECT_ERRNO(sendfile_raw(-1, in, 0, 1), EBADF);
	EXPECT_ERRNO(sendfile_raw(out, -1, 0, 1), EBADF);
	close(out);
	/* The output may not be O_APPEND. */
	out = open_out(O_APPEND);
	EXPECT_ERRNO(sendfile_raw(out, in, 0, 1), EINVAL);
	close(out);
	close(in);
}
