/* chmod, fchmod and fchmodat: mode bits, symlinks and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static mode_t mode_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st.st_mode;
}

TEST(chmod_sets_bits)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	static const mode_t modes[] = {0,     0400,  0755,  0777, 01777,
				       04755, 02755, 07777, 0123};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ASSERT_SYSCALL_OK(syscall(SYS_chmod, f, modes[i]));
		EXPECT_EQ(mode_of(f), S_IFREG | modes[i]);
	}
	/* File-type bits in the argument are ignored; the umask is too. */
	harness_umask(0777);
	EXPECT_EQ(syscall(SYS_chmod, f, S_IFDIR | 0640), 0);
	EXPECT_EQ(mode_of(f), S_IFREG | 0640);
}

TEST(chmod_directory)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_EQ(syscall(SYS_chmod, d, 01700), 0);
	EXPECT_EQ(mode_of(d), S_IFDIR | 01700);
	EXPECT_EQ(syscall(SYS_chmod, harness_path("d/"), 0750), 0);
	EXPECT_EQ(mode_of(d), S_IFDIR | 0750);
}

TEST(chmod_follows_symlink)
{
	char *f = harness_path("f"), *l = harness_path("l");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", l));
	EXPECT_EQ(syscall(SYS_chmod, l, 0600), 0);
	EXPECT_EQ(mode_of(f), S_IFREG | 0600);
	EXPECT_EQ(mode_of(l) & 0777, 0777);
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dl")));
	EXPECT_ERRNO(syscall(SYS_chmod, harness_path("dl"), 0600), ENOENT);
}

TEST(chmod_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_chmod, harness_path("missing"), 0600), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chmod, harness_path("f/x"), 0600), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chmod, harness_path("f/"), 0600), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_chmod, "", 0600), ENOENT);
	EXPECT_ERRNO(syscall(SYS_chmod, (const char *)1, 0600), EFAULT);
	EXPECT_EQ(mode_of(harness_path("f")), S_IFREG | 0644);
}

TEST(fchmod_fd)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	/* The descriptor's access mode does not matter. */
	int fd = harness_open(f, O_RDONLY);
	EXPECT_EQ(syscall(SYS_fchmod, fd, 0), 0);
	EXPECT_EQ(mode_of(f), S_IFREG);
	EXPECT_EQ(syscall(SYS_fchmod, fd, 0751), 0);
	EXPECT_EQ(mode_of(f), S_IFREG | 0751);
	close(fd);
	/* On a directory descriptor. */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_fchmod, d, 0711), 0);
	EXPECT_EQ(mode_of(harness_tmpdir()), S_IFDIR | 0711);
	close(d);
}

TEST(fchmod_errors)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	EXPECT_ERRNO(syscall(SYS_fchmod, -1, 0600), EBADF);
	EXPECT_ERRNO(syscall(SYS_fchmod, harness_free_fd(100), 0600), EBADF);
	int p = harness_open(f, O_PATH);
	EXPECT_ERRNO(syscall(SYS_fchmod, p, 0600), EBADF);
	close(p);
	EXPECT_EQ(mode_of(f), S_IFREG | 0644);
}

TEST(fchmodat_dirfd)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	/* The raw syscall has no flags argument. */
	EXPECT_EQ(syscall(SYS_fchmodat, d, "f", 0604), 0);
	EXPECT_EQ(mode_of(harness_path("f")), S_IFREG | 0604);
	EXPECT_ERRNO(syscall(SYS_fchmodat, d, "missing", 0604), ENOENT);
	EXPECT_ERRNO(syscall(SYS_fchmodat, -1, "f", 0604), EBADF);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_fchmodat, f, "x", 0604), ENOTDIR);
	close(f);
	close(d);
	harness_chdir(harness_tmpdir());
	EXPECT_EQ(syscall(SYS_fchmodat, AT_FDCWD, "f", 0600), 0);
	EXPECT_EQ(mode_of(harness_path("f")), S_IFREG | 0600);
}

TEST(chmod_updates_ctime_not_mtime)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
	ASSERT_SYSCALL_OK(utimensat(AT_FDCWD, f, old, 0));
	ASSERT_SYSCALL_OK(syscall(SYS_chmod, f, 0600));
	struct stat st;
	ASSERT_SYSCALL_OK(stat(f, &st));
	EXPECT_EQ(st.st_mtim.tv_sec, 1000000);
	EXPECT_EQ(st.st_atim.tv_sec, 1000000);
	EXPECT_GT(st.st_ctim.tv_sec, 1000000);
}
