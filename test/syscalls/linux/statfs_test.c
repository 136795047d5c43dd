/* statfs and fstatfs: the file system type and the fields of a tmpfs. */
#include "harness.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

/* f_flags holds valid mount flags (include/linux/statfs.h). */
#ifndef ST_VALID
#define ST_VALID 0x0020
#endif

TEST(statfs_tmpfs_fields)
{
	/* /dev/shm is a tmpfs, natively and in the sandbox. */
	struct statfs s;
	memset(&s, 0xa5, sizeof(s));
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, harness_shmdir(), &s));
	EXPECT_EQ(s.f_type, TMPFS_MAGIC);
	EXPECT_EQ(s.f_bsize, harness_page_size());
	EXPECT_EQ(s.f_frsize, s.f_bsize);
	EXPECT_EQ(s.f_namelen, 255);
	EXPECT_GT(s.f_blocks, 0);
	EXPECT_LE(s.f_bfree, s.f_blocks);
	/* tmpfs reserves nothing for root. */
	EXPECT_EQ(s.f_bavail, s.f_bfree);
	/* A tmpfs mounted with nr_inodes=0 reports 0 for both inode counts. */
	EXPECT_LE(s.f_ffree, s.f_files);
	/* ST_VALID says f_flags is filled in; the mount is writable. */
	EXPECT_TRUE(s.f_flags & ST_VALID);
	EXPECT_FALSE(s.f_flags & ST_RDONLY);
	EXPECT_EQ(s.f_spare[0], 0);
}

TEST(statfs_counts_follow_usage)
{
	struct statfs before, after;
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, harness_shmdir(), &before));
	/* 4 MiB of data uses blocks and (unless unlimited) an inode. */
	int fd = harness_open(harness_shm_path("f"), O_RDWR | O_CREAT | O_EXCL,
			      0644);
	static char chunk[65536];
	memset(chunk, 1, sizeof(chunk));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(write(fd, chunk, sizeof(chunk)), sizeof(chunk));
	ASSERT_SYSCALL_OK(syscall(SYS_fstatfs, fd, &after));
	EXPECT_LT(after.f_bfree, before.f_bfree);
	if (before.f_files > 0)
		EXPECT_LT(after.f_ffree, before.f_ffree);
	close(fd);
}

TEST(fstatfs_matches_statfs)
{
	char *f = harness_shm_path("f");
	harness_write_file(f, "x", 1, 0644);
	struct statfs a, b;
	int fd = harness_open(f, O_RDONLY);
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, f, &a));
	ASSERT_SYSCALL_OK(syscall(SYS_fstatfs, fd, &b));
	EXPECT_EQ(a.f_type, b.f_type);
	EXPECT_EQ(a.f_blocks, b.f_blocks);
	EXPECT_EQ(a.f_fsid.__val[0], b.f_fsid.__val[0]);
	EXPECT_EQ(a.f_fsid.__val[1], b.f_fsid.__val[1]);
	close(fd);
	/* fstatfs works on an O_PATH descriptor. */
	fd = harness_open(f, O_PATH);
	EXPECT_SYSCALL_OK(syscall(SYS_fstatfs, fd, &b));
	EXPECT_EQ(b.f_type, TMPFS_MAGIC);
	close(fd);
}

TEST(statfs_proc)
{
	struct statfs s;
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, "/proc", &s));
	EXPECT_EQ(s.f_type, PROC_SUPER_MAGIC);
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, "/proc/self/status", &s));
	EXPECT_EQ(s.f_type, PROC_SUPER_MAGIC);
}

TEST(statfs_different_mounts_differ)
{
	struct statfs shm, tmp;
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, harness_shmdir(), &shm));
	ASSERT_SYSCALL_OK(syscall(SYS_statfs, harness_tmpdir(), &tmp));
	/* The two tmpfs (or tmpfs and disk) mounts have distinct ids. */
	EXPECT_TRUE(shm.f_fsid.__val[0] != tmp.f_fsid.__val[0] ||
		    shm.f_fsid.__val[1] != tmp.f_fsid.__val[1] ||
		    shm.f_type != tmp.f_type);
}

TEST(statfs_errors)
{
	struct statfs s;
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_statfs, harness_path("missing"), &s), ENOENT);
	EXPECT_ERRNO(syscall(SYS_statfs, harness_path("f/x"), &s), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_statfs, "", &s), ENOENT);
	EXPECT_ERRNO(syscall(SYS_statfs, (const char *)1, &s), EFAULT);
	EXPECT_ERRNO(syscall(SYS_statfs, harness_path("f"), (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstatfs, -1, &s), EBADF);
	EXPECT_ERRNO(syscall(SYS_fstatfs, harness_free_fd(100), &s), EBADF);
	EXPECT_ERRNO(syscall(SYS_fstatfs, 1, (void *)1), EFAULT);
}
