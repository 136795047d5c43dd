/* mkdir and mkdirat: modes, the umask, link counts and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

static long mkdir_raw(const char *path, mode_t mode)
{
	return syscall(SYS_mkdir, path, mode);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	return st.st_mode & 07777;
}

TEST(mkdir_mode_and_umask)
{
	static const struct {
		mode_t umask, mode, want;
	} cases[] = {
		{022, 0777, 0755},
		{077, 0777, 0700},
		{0, 0777, 0777},
		{0, 0, 0},
		{027, 0750, 0750},
		/* The sticky bit stays, setuid and setgid are dropped. */
		{0, 01777, 01777},
		{0, 07777, 01777},
		{022, 06755, 0755},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		harness_umask(cases[i].umask);
		char *d = harness_path(harness_strf("d%zu", i));
		ASSERT_SYSCALL_OK(mkdir_raw(d, cases[i].mode));
		mode_t got = mode_of(d);
		if (got != cases[i].want)
			harness_fail(__FILE__, __LINE__,
				     "umask %03o mode %05o: got %05o want %05o",
				     cases[i].umask, cases[i].mode, got,
				     cases[i].want);
	}
}

TEST(mkdir_owner_and_nlink)
{
	char *d = harness_path("d");
	struct stat parent0, parent1, st;
	ASSERT_SYSCALL_OK(stat(harness_tmpdir(), &parent0));
	ASSERT_SYSCALL_OK(mkdir_raw(d, 0755));
	ASSERT_SYSCALL_OK(stat(d, &st));
	EXPECT_EQ(st.st_uid, geteuid());
	EXPECT_EQ(st.st_gid, getegid());
	EXPECT_EQ(st.st_nlink, 2);
	ASSERT_SYSCALL_OK(stat(harness_tmpdir(), &parent1));
	EXPECT_EQ(parent1.st_nlink, parent0.st_nlink + 1);
	/* The new directory's ".." is the parent. */
	struct stat dotdot;
	ASSERT_SYSCALL_OK(stat(harness_path("d/.."), &dotdot));
	EXPECT_EQ(dotdot.st_ino, parent1.st_ino);
}

TEST(mkdir_eexist)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir_raw(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dangling")));
	ASSERT_SYSCALL_OK(symlink("d", harness_path("dl")));
	EXPECT_ERRNO(mkdir_raw(harness_path("f"), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw(harness_path("d"), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw(harness_path("d/"), 0755), EEXIST);
	/* mkdir does not follow a symlink in the last component. */
	EXPECT_ERRNO(mkdir_raw(harness_path("dangling"), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw(harness_path("dl"), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw(harness_path("d/."), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw(harness_path("d/.."), 0755), EEXIST);
	EXPECT_ERRNO(mkdir_raw("/", 0755), EEXIST);
	struct stat st;
	EXPECT_ERRNO(stat(harness_path("nowhere"), &st), ENOENT);
}

TEST(mkdir_enoent_enotdir)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(mkdir_raw(harness_path("missing/d"), 0755), ENOENT);
	EXPECT_ERRNO(mkdir_raw(harness_path("f/d"), 0755), ENOTDIR);
	EXPECT_ERRNO(mkdir_raw("", 0755), ENOENT);
	EXPECT_ERRNO(mkdir_raw((const char *)1, 0755), EFAULT);
	char name[300];
	memset(name, 'm', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	EXPECT_ERRNO(mkdir_raw(harness_path(name), 0755), ENAMETOOLONG);
}

TEST(mkdir_trailing_slashes)
{
	EXPECT_EQ(mkdir_raw(harness_path("d/"), 0755), 0);
	EXPECT_EQ(mkdir_raw(harness_path("e//"), 0755), 0);
	EXPECT_EQ(mode_of(harness_path("d")) & 0777,
		  mode_of(harness_path("e")));
}

TEST(mkdir_in_removed_directory_enoent)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir_raw(d, 0755));
	harness_chdir(d);
	ASSERT_SYSCALL_OK(rmdir(d));
	EXPECT_ERRNO(mkdir_raw("sub", 0755), ENOENT);
}

TEST(mkdirat_dirfd)
{
	ASSERT_SYSCALL_OK(mkdir_raw(harness_path("d"), 0755));
	int d = harness_open(harness_path("d"), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_mkdirat, d, "sub", 0700), 0);
	EXPECT_EQ(mode_of(harness_path("d/sub")), 0700);
	EXPECT_ERRNO(syscall(SYS_mkdirat, d, "sub", 0700), EEXIST);
	EXPECT_ERRNO(syscall(SYS_mkdirat, -1, "x", 0700), EBADF);
	harness_write_file(harness_path("f"), "", 0, 0644);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_mkdirat, f, "x", 0700), ENOTDIR);
	/* Absolute paths ignore the dirfd. */
	EXPECT_EQ(syscall(SYS_mkdirat, f, harness_path("abs"), 0700), 0);
	close(f);
	close(d);
	harness_chdir(harness_tmpdir());
	EXPECT_EQ(syscall(SYS_mkdirat, AT_FDCWD, "rel", 0700), 0);
	EXPECT_EQ(mode_of(harness_path("rel")), 0700);
}

TEST(mkdir_needs_write_and_search_permission)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs real and effective uid 0 to switch to nobody");
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
	ASSERT_SYSCALL_OK(mkdir_raw(harness_path("ro"), 0755));
	ASSERT_SYSCALL_OK(mkdir_raw(harness_path("wo"), 0777));
	ASSERT_SYSCALL_OK(chmod(harness_path("wo"), 0773));
	ASSERT_SYSCALL_OK(mkdir_raw(harness_path("noexec"), 0777));
	ASSERT_SYSCALL_OK(chmod(harness_path("noexec"), 0776));
	harness_set_eids(65534, 65534);
	EXPECT_ERRNO(mkdir_raw(harness_path("ro/d"), 0755), EACCES);
	EXPECT_ERRNO(mkdir_raw(harness_path("noexec/d"), 0755), EACCES);
	/* Write and search, without read, is enough to create. */
	EXPECT_EQ(mkdir_raw(harness_path("wo/d"), 0755), 0);
	/* The existence check needs search permission first. */
	EXPECT_ERRNO(mkdir_raw(harness_path("noexec/.."), 0755), EACCES);
	EXPECT_ERRNO(mkdir_raw(harness_path("ro/.."), 0755), EEXIST);
}
