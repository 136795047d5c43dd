/* access, faccessat and faccessat2: modes, flags and real vs effective ids. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static long access_raw(const char *path, int mode)
{
	return syscall(SYS_access, path, mode);
}

static long faccessat2_raw(int dirfd, const char *path, int mode, int flags)
{
	return syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

TEST(access_f_ok)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0);
	EXPECT_EQ(access_raw(f, F_OK), 0);
	EXPECT_ERRNO(access_raw(harness_path("missing"), F_OK), ENOENT);
	EXPECT_ERRNO(access_raw(harness_path("f/x"), F_OK), ENOTDIR);
	EXPECT_ERRNO(access_raw("", F_OK), ENOENT);
	EXPECT_ERRNO(access_raw((const char *)1, F_OK), EFAULT);
	/* A dangling symlink is followed. */
	ASSERT_SYSCALL_OK(symlink("missing", harness_path("l")));
	EXPECT_ERRNO(access_raw(harness_path("l"), F_OK), ENOENT);
}

TEST(access_as_root)
{
	if (geteuid() != 0)
		SKIP("needs root: root overrides read and write permission");
	char *none = harness_path("none"), *x = harness_path("x");
	harness_write_file(none, "", 0, 0);
	harness_write_file(x, "", 0, 0100);
	/* Root may read and write anything... */
	EXPECT_EQ(access_raw(none, R_OK | W_OK), 0);
	/* ...but executes only files with some execute bit. */
	EXPECT_ERRNO(access_raw(none, X_OK), EACCES);
	EXPECT_EQ(access_raw(x, X_OK), 0);
	EXPECT_EQ(access_raw(x, R_OK | W_OK | X_OK), 0);
	/* Directories are always searchable by root. */
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0));
	EXPECT_EQ(access_raw(d, R_OK | W_OK | X_OK), 0);
}

TEST(access_bad_mode_einval)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	EXPECT_ERRNO(access_raw(f, 8), EINVAL);
	EXPECT_ERRNO(access_raw(f, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_faccessat, AT_FDCWD, f, 0x10), EINVAL);
	EXPECT_ERRNO(faccessat2_raw(AT_FDCWD, f, 0x10, 0), EINVAL);
}

TEST(faccessat_dirfd)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(syscall(SYS_faccessat, d, "f", R_OK), 0);
	EXPECT_ERRNO(syscall(SYS_faccessat, d, "g", R_OK), ENOENT);
	EXPECT_ERRNO(syscall(SYS_faccessat, -1, "f", R_OK), EBADF);
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_faccessat, f, "x", R_OK), ENOTDIR);
	close(f);
	close(d);
}

TEST(faccessat2_flags)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("missing", harness_path("dangling")));
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(faccessat2_raw(d, "f", R_OK, 0), 0);
	EXPECT_EQ(faccessat2_raw(d, "f", R_OK, AT_EACCESS), 0);
	/* AT_SYMLINK_NOFOLLOW checks the link itself. */
	EXPECT_EQ(faccessat2_raw(d, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_ERRNO(faccessat2_raw(d, "dangling", F_OK, 0), ENOENT);
	/* AT_EMPTY_PATH checks the descriptor. */
	int fd = harness_open(f, O_PATH);
	EXPECT_EQ(faccessat2_raw(fd, "", R_OK, AT_EMPTY_PATH), 0);
	EXPECT_ERRNO(faccessat2_raw(fd, "", R_OK, 0), ENOENT);
	close(fd);
	EXPECT_ERRNO(faccessat2_raw(d, "f", R_OK, 0x8000), EINVAL);
	EXPECT_ERRNO(faccessat2_raw(d, "f", R_OK, AT_NO_AUTOMOUNT), EINVAL);
	close(d);
}

TEST(access_uses_real_ids_eaccess_effective)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs real and effective uid 0 to switch ids");
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0600);
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
	harness_set_eids(65534, 65534);
	/* access checks with the real uid (still root)... */
	EXPECT_EQ(access_raw(f, R_OK | W_OK), 0);
	EXPECT_EQ(faccessat2_raw(AT_FDCWD, f, R_OK, 0), 0);
	/* ...AT_EACCESS and open with the effective one. */
	EXPECT_ERRNO(faccessat2_raw(AT_FDCWD, f, R_OK, AT_EACCESS), EACCES);
	EXPECT_ERRNO(faccessat2_raw(AT_FDCWD, f, W_OK, AT_EACCESS), EACCES);
	EXPECT_ERRNO(syscall(SYS_open, f, O_RDONLY), EACCES);
	EXPECT_EQ(faccessat2_raw(AT_FDCWD, f, F_OK, AT_EACCESS), 0);
	harness_restore_eids();
	EXPECT_EQ(faccessat2_raw(AT_FDCWD, f, R_OK, AT_EACCESS), 0);
}

TEST(access_permission_bits_as_nobody)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs real and effective uid 0 to switch ids");
	static const struct {
		mode_t mode;
		int ok, denied;
	} cases[] = {
		{0400, F_OK, R_OK},
		{0040, F_OK, R_OK},
		{0004, R_OK, W_OK},
		{0002, W_OK, R_OK},
		{0006, R_OK | W_OK, X_OK},
		{0001, X_OK, R_OK},
		{0007, R_OK | W_OK | X_OK, 0},
		{0770, F_OK, W_OK},
		{0000, F_OK, X_OK},
	};
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *f = harness_path(harness_strf("f%zu", i));
		harness_write_file(f, "", 0, 0);
		ASSERT_SYSCALL_OK(chmod(f, cases[i].mode));
	}
	/* Not the owner and not in the group: "other" bits apply. */
	harness_set_eids(65534, 65534);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *f = harness_path(harness_strf("f%zu", i));
		if (faccessat2_raw(AT_FDCWD, f, cases[i].ok, AT_EACCESS) != 0)
			harness_fail(__FILE__, __LINE__,
				     "mode %04o: mode %d refused: %s",
				     cases[i].mode, cases[i].ok,
				     harness_errno_name(errno));
		if (cases[i].denied) {
			errno = 0;
			long r = faccessat2_raw(AT_FDCWD, f, cases[i].denied,
						AT_EACCESS);
			if (r != -1 || errno != EACCES)
				harness_fail(__FILE__, __LINE__,
					     "mode %04o: mode %d gave %ld %s",
					     cases[i].mode, cases[i].denied, r,
					     harness_errno_name(errno));
		}
	}
}
