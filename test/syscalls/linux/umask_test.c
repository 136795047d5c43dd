/* umask: its value and where it applies (open, mkdir, mknod, not chmod). */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

static long umask_raw(mode_t m)
{
	return syscall(SYS_umask, m);
}

static mode_t perm_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st.st_mode & 07777;
}

TEST(umask_returns_previous)
{
	mode_t orig = harness_umask(022);
	EXPECT_EQ(umask_raw(077), 022);
	EXPECT_EQ(umask_raw(0), 077);
	/* Only the permission bits are kept. */
	EXPECT_EQ(umask_raw(07777), 0);
	EXPECT_EQ(umask_raw(0177777), 0777);
	EXPECT_EQ(umask_raw(orig), 0777);
}

TEST(umask_applies_to_creation)
{
	harness_umask(0027);
	long fd = syscall(SYS_open, harness_path("f"), O_RDWR | O_CREAT, 0777);
	ASSERT_GE(fd, 0);
	close((int)fd);
	EXPECT_EQ(perm_of(harness_path("f")), 0750);
	ASSERT_SYSCALL_OK(syscall(SYS_mkdir, harness_path("d"), 0777));
	EXPECT_EQ(perm_of(harness_path("d")), 0750);
	ASSERT_SYSCALL_OK(
		syscall(SYS_mknod, harness_path("n"), S_IFREG | 0666, 0));
	EXPECT_EQ(perm_of(harness_path("n")), 0640);
	ASSERT_SYSCALL_OK(
		syscall(SYS_mknod, harness_path("p"), S_IFIFO | 0666, 0));
	EXPECT_EQ(perm_of(harness_path("p")), 0640);
	/* Set-id and sticky bits are not masked by a 0777 umask. */
	harness_umask(0777);
	fd = syscall(SYS_open, harness_path("g"), O_RDWR | O_CREAT, 07777);
	ASSERT_GE(fd, 0);
	close((int)fd);
	EXPECT_EQ(perm_of(harness_path("g")), 07000);
}

TEST(umask_does_not_apply_to_chmod_or_symlink)
{
	harness_umask(0777);
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0);
	ASSERT_SYSCALL_OK(chmod(f, 0755));
	EXPECT_EQ(perm_of(f), 0755);
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	EXPECT_EQ(perm_of(harness_path("l")), 0777);
}

TEST(umask_in_proc_status)
{
	/* /proc/self/status has a Umask: line since Linux 4.7. */
	harness_umask(0123);
	char buf[4096];
	harness_read_file("/proc/self/status", buf, sizeof(buf));
	char *line = strstr(buf, "\nUmask:\t");
	ASSERT_TRUE(line != 0);
	EXPECT_EQ(strtol(line + 8, 0, 8), 0123);
	EXPECT_EQ(strncmp(line + 8, "0123\n", 5), 0);
}
