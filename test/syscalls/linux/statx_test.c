/* statx: the mask, the basic fields and the AT_STATX_* flags. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static long statx_raw(int dirfd, const char *path, int flags, unsigned mask,
		      struct statx *stx)
{
	return syscall(SYS_statx, dirfd, path, flags, mask, stx);
}

TEST(statx_basic_fields_match_stat)
{
	char *p = harness_path("f");
	harness_write_file(p, "0123456789", 10, 0604);
	struct statx stx;
	memset(&stx, 0xff, sizeof(stx));
	ASSERT_SYSCALL_OK(statx_raw(AT_FDCWD, p, 0, STATX_BASIC_STATS, &stx));
	/* Everything basic is available on local file systems. */
	EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	struct stat st;
	ASSERT_SYSCALL_OK(stat(p, &st));
	EXPECT_EQ(stx.stx_mode, st.st_mode);
	EXPECT_TRUE(S_ISREG(stx.stx_mode));
	EXPECT_EQ(stx.stx_mode & 07777, 0604);
	EXPECT_EQ(stx.stx_size, 10);
	EXPECT_EQ(stx.stx_nlink, 1);
	EXPECT_EQ(stx.stx_ino, st.st_ino);
	EXPECT_EQ(stx.stx_uid, st.st_uid);
	EXPECT_EQ(stx.stx_gid, st.st_gid);
	EXPECT_EQ(stx.stx_blksize, st.st_blksize);
	EXPECT_EQ(stx.stx_blocks, st.st_blocks);
	EXPECT_EQ(makedev(stx.stx_dev_major, stx.stx_dev_minor), st.st_dev);
	EXPECT_EQ(stx.stx_rdev_major, 0);
	EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	EXPECT_EQ(stx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
	EXPECT_EQ(stx.stx_ctime.tv_sec, st.st_ctim.tv_sec);
	EXPECT_EQ(stx.stx_atime.tv_sec, st.st_atim.tv_sec);
	/* Reserved padding is zeroed. */
	EXPECT_EQ(stx.__spare0[0], 0);
}

TEST(statx_mask_subset_and_zero)
{
	char *p = harness_path("f");
	harness_write_file(p, "abc", 3, 0644);
	struct statx stx;
	/* The kernel may return more than asked, never less of the basics. */
	ASSERT_SYSCALL_OK(statx_raw(AT_FDCWD, p, 0, STATX_SIZE, &stx));
	EXPECT_TRUE(stx.stx_mask & STATX_SIZE);
	EXPECT_EQ(stx.stx_size, 3);
	ASSERT_SYSCALL_OK(
		statx_raw(AT_FDCWD, p, 0, STATX_TYPE | STATX_MODE, &stx));
	EXPECT_EQ(stx.stx_mask & (STATX_TYPE | STATX_MODE),
		  STATX_TYPE | STATX_MODE);
	EXPECT_TRUE(S_ISREG(stx.stx_mode));
	EXPECT_SYSCALL_OK(statx_raw(AT_FDCWD, p, 0, 0, &stx));
	/* STATX_ALL asks for what the kernel knows. */
	EXPECT_SYSCALL_OK(statx_raw(AT_FDCWD, p, 0, STATX_ALL, &stx));
	EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
}

TEST(statx_reserved_mask_einval)
{
	char *p = harness_path("f");
	harness_write_file(p, "", 0, 0644);
	struct statx stx;
	EXPECT_ERRNO(statx_raw(AT_FDCWD, p, 0, STATX__RESERVED, &stx), EINVAL);
}

TEST(statx_sync_flags)
{
	char *p = harness_path("f");
	harness_write_file(p, "", 0, 0644);
	struct statx stx;
	EXPECT_SYSCALL_OK(statx_raw(AT_FDCWD, p, AT_STATX_SYNC_AS_STAT,
				    STATX_BASIC_STATS, &stx));
	EXPECT_SYSCALL_OK(statx_raw(AT_FDCWD, p, AT_STATX_FORCE_SYNC,
				    STATX_BASIC_STATS, &stx));
	EXPECT_SYSCALL_OK(statx_raw(AT_FDCWD, p, AT_STATX_DONT_SYNC,
				    STATX_BASIC_STATS, &stx));
	/* Both at once is contradictory. */
	EXPECT_ERRNO(statx_raw(AT_FDCWD, p,
			       AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
			       STATX_BASIC_STATS, &stx),
		     EINVAL);
	EXPECT_ERRNO(statx_raw(AT_FDCWD, p, 0x40000000, STATX_BASIC_STATS,
			       &stx),
		     EINVAL);
	EXPECT_ERRNO(statx_raw(AT_FDCWD, p, AT_REMOVEDIR, STATX_BASIC_STATS,
			       &stx),
		     EINVAL);
}

TEST(statx_symlink_nofollow_and_empty_path)
{
	harness_write_file(harness_path("f"), "12345", 5, 0644);
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink("f", l));
	struct statx stx;
	ASSERT_SYSCALL_OK(statx_raw(AT_FDCWD, l, AT_SYMLINK_NOFOLLOW,
				    STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(S_ISLNK(stx.stx_mode));
	EXPECT_EQ(stx.stx_size, 1);
	ASSERT_SYSCALL_OK(statx_raw(AT_FDCWD, l, 0, STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(S_ISREG(stx.stx_mode));
	EXPECT_EQ(stx.stx_size, 5);
	int fd = harness_open(harness_path("f"), O_RDONLY);
	ASSERT_SYSCALL_OK(
		statx_raw(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
	EXPECT_EQ(stx.stx_size, 5);
	EXPECT_ERRNO(statx_raw(fd, "", 0, STATX_BASIC_STATS, &stx), ENOENT);
	close(fd);
}

TEST(statx_directory)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0711));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/s1"), 0711));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/s2"), 0711));
	struct statx stx;
	ASSERT_SYSCALL_OK(statx_raw(AT_FDCWD, d, 0, STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(S_ISDIR(stx.stx_mode));
	EXPECT_EQ(stx.stx_mode & 07777, 0711);
	EXPECT_EQ(stx.stx_nlink, 4);
}

TEST(statx_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int filefd = harness_open(harness_path("f"), O_RDONLY);
	struct statx stx;
	EXPECT_ERRNO(statx_raw(AT_FDCWD, harness_path("missing"), 0,
			       STATX_BASIC_STATS, &stx),
		     ENOENT);
	EXPECT_ERRNO(statx_raw(AT_FDCWD, harness_path("f/x"), 0,
			       STATX_BASIC_STATS, &stx),
		     ENOTDIR);
	EXPECT_ERRNO(statx_raw(filefd, "x", 0, STATX_BASIC_STATS, &stx),
		     ENOTDIR);
	EXPECT_ERRNO(statx_raw(-1, "x", 0, STATX_BASIC_STATS, &stx), EBADF);
	EXPECT_ERRNO(statx_raw(AT_FDCWD, harness_path("f"), 0,
			       STATX_BASIC_STATS, (struct statx *)1),
		     EFAULT);
	EXPECT_ERRNO(statx_raw(AT_FDCWD, (const char *)1, 0, STATX_BASIC_STATS,
			       &stx),
		     EFAULT);
	close(filefd);
}
