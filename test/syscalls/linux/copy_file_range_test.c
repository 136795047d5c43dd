/* copy_file_range between regular files: offsets, limits and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long cfr(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
		unsigned flags)
{
	return syscall(SYS_copy_file_range, in, off_in, out, off_out, len,
		       flags);
}

static int open_path(char *path, const char *content, int flags)
{
	if (content)
		harness_write_file(path, content, strlen(content), 0644);
	return harness_open(path, flags, 0644);
}

static void expect_file(const char *path, const char *want, int line)
{
	char buf[64];
	harness_read_file(path, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		harness_fail(__FILE__, line, "%s holds \"%s\", want \"%s\"",
			     path, buf, want);
}

TEST(copy_file_range_file_offsets)
{
	int in = open_path(harness_path("in"), "0123456789", O_RDONLY);
	int out = open_path(harness_path("out"), 0, O_WRONLY | O_CREAT);
	ASSERT_EQ(lseek(in, 3, SEEK_SET), 3);
	EXPECT_EQ(cfr(in, 0, out, 0, 4, 0), 4);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 7);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 4);
	/* Short at the end of the input, then 0. */
	EXPECT_EQ(cfr(in, 0, out, 0, 100, 0), 3);
	EXPECT_EQ(cfr(in, 0, out, 0, 100, 0), 0);
	expect_file(harness_path("out"), "3456789", __LINE__);
	close(out);
	close(in);
}

TEST(copy_file_range_offset_pointers)
{
	int in = open_path(harness_path("in"), "0123456789", O_RDONLY);
	int out = open_path(harness_path("out"), "..........", O_WRONLY);
	loff_t oi = 6, oo = 2;
	EXPECT_EQ(cfr(in, &oi, out, &oo, 3, 0), 3);
	EXPECT_EQ(oi, 9);
	EXPECT_EQ(oo, 5);
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 0);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 0);
	expect_file(harness_path("out"), "..678.....", __LINE__);
	/* Only one pointer: the other side uses its file offset. */
	loff_t o2 = 0;
	EXPECT_EQ(cfr(in, &o2, out, 0, 2, 0), 2);
	EXPECT_EQ(o2, 2);
	EXPECT_EQ(lseek(out, 0, SEEK_CUR), 2);
	expect_file(harness_path("out"), "01678.....", __LINE__);
	/* Past the input's end. */
	oi = 100;
	EXPECT_EQ(cfr(in, &oi, out, &oo, 5, 0), 0);
	EXPECT_EQ(oi, 100);
	close(out);
	close(in);
}

TEST(copy_file_range_same_file)
{
	int fd = open_path(harness_path("f"), "abcdefghij", O_RDWR);
	loff_t a = 0, b = 5;
	/* Non-overlapping ranges of one file are fine. */
	EXPECT_EQ(cfr(fd, &a, fd, &b, 3, 0), 3);
	expect_file(harness_path("f"), "abcdeabcij", __LINE__);
	/* Overlapping ones are not. */
	a = 0;
	b = 2;
	EXPECT_ERRNO(cfr(fd, &a, fd, &b, 5, 0), EINVAL);
	close(fd);
}

TEST(copy_file_range_errors)
{
	int in = open_path(harness_path("in"), "abc", O_RDONLY);
	int out = open_path(harness_path("out"), "", O_WRONLY);
	loff_t neg = -1, zero = 0;
	EXPECT_ERRNO(cfr(in, 0, out, 0, 1, 1), EINVAL);
	/*
	 * A negative offset wraps when the length is added (as unsigned):
	 * Linux reports that as EOVERFLOW, not EINVAL.
	 */
	EXPECT_ERRNO(cfr(in, &neg, out, 0, 1, 0), EOVERFLOW);
	EXPECT_ERRNO(cfr(in, &zero, out, &neg, 1, 0), EOVERFLOW);
	EXPECT_ERRNO(cfr(in, (loff_t *)1, out, 0, 1, 0), EFAULT);
	/* Wrong access modes and bad descriptors. */
	EXPECT_ERRNO(cfr(out, 0, out, 0, 1, 0), EBADF);
	EXPECT_ERRNO(cfr(in, 0, in, 0, 1, 0), EBADF);
	EXPECT_ERRNO(cfr(-1, 0, out, 0, 1, 0), EBADF);
	EXPECT_ERRNO(cfr(in, 0, -1, 0, 1, 0), EBADF);
	/* An O_APPEND output is refused. */
	int ap = open_path(harness_path("out"), 0, O_WRONLY | O_APPEND);
	EXPECT_ERRNO(cfr(in, 0, ap, 0, 1, 0), EBADF);
	close(ap);
	/* Directories. */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO(cfr(d, 0, out, 0, 1, 0), EISDIR);
	close(d);
	close(out);
	close(in);
}

TEST(copy_file_range_across_file_systems_exdev)
{
	/*
	 * /tmp and /dev/shm are different file systems (superblocks), and
	 * neither has its own copy_file_range: EXDEV since Linux 5.19 (5.3 to
	 * 5.18 fell back to copying).
	 */
	int in = open_path(harness_path("in"), "abc", O_RDONLY);
	int out = open_path(harness_shm_path("out"), "", O_WRONLY);
	EXPECT_ERRNO(cfr(in, 0, out, 0, 3, 0), EXDEV);
	close(out);
	close(in);
}
