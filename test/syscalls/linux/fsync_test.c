/* fsync, fdatasync, sync, syncfs and sync_file_range. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

#ifndef SYNC_FILE_RANGE_WRITE
#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4
#endif

static int open_file(int flags)
{
	char *p = harness_path("f");
	struct stat st;
	if (stat(p, &st) != 0)
		harness_write_file(p, "data", 4, 0644);
	return harness_open(p, flags);
}

TEST(fsync_fdatasync_files)
{
	static const int flags[] = {O_RDWR, O_RDONLY, O_WRONLY | O_APPEND};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int fd = open_file(flags[i]);
		EXPECT_EQ(syscall(SYS_fsync, fd), 0);
		EXPECT_EQ(syscall(SYS_fdatasync, fd), 0);
		close(fd);
	}
	int fd = open_file(O_RDWR);
	EXPECT_EQ(write(fd, "more", 4), 4);
	EXPECT_EQ(syscall(SYS_fsync, fd), 0);
	close(fd);
}

TEST(fsync_directory)
{
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_fsync, d), 0);
	EXPECT_EQ(syscall(SYS_fdatasync, d), 0);
	close(d);
}

TEST(fsync_ebadf)
{
	EXPECT_ERRNO(syscall(SYS_fsync, -1), EBADF);
	EXPECT_ERRNO(syscall(SYS_fdatasync, harness_free_fd(100)), EBADF);
	int p = open_file(O_PATH);
	EXPECT_ERRNO(syscall(SYS_fsync, p), EBADF);
	EXPECT_ERRNO(syscall(SYS_fdatasync, p), EBADF);
	close(p);
}

TEST(fsync_dev_null_einval)
{
	/* A character device without an fsync operation. */
	int fd = harness_open("/dev/null", O_WRONLY);
	EXPECT_ERRNO(syscall(SYS_fsync, fd), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fdatasync, fd), EINVAL);
	close(fd);
}

TEST(sync_and_syncfs)
{
	/* sync cannot fail. */
	syscall(SYS_sync);
	int fd = open_file(O_RDONLY);
	EXPECT_EQ(syscall(SYS_syncfs, fd), 0);
	close(fd);
	int d = harness_open(harness_shmdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_syncfs, d), 0);
	close(d);
	EXPECT_ERRNO(syscall(SYS_syncfs, -1), EBADF);
}

TEST(sync_file_range_checks)
{
	int fd = open_file(O_RDWR);
	EXPECT_EQ(syscall(SYS_sync_file_range, fd, 0L, 0L,
			  SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				  SYNC_FILE_RANGE_WAIT_AFTER),
		  0);
	EXPECT_EQ(syscall(SYS_sync_file_range, fd, 0L, 4096L, 0), 0);
	EXPECT_ERRNO(syscall(SYS_sync_file_range, fd, -1L, 0L, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sync_file_range, fd, 0L, -1L, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sync_file_range, fd, 0L, 0L, 0x8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sync_file_range, -1, 0L, 0L, 0), EBADF);
	close(fd);
}
