/* openat2: struct open_how checking and the RESOLVE_* restrictions. */
#include "harness.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static long openat2_raw(int dirfd, const char *path, const void *how,
			size_t size)
{
	return syscall(SYS_openat2, dirfd, path, how, size);
}

static long do_openat2(int dirfd, const char *path, uint64_t flags,
		       uint64_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = flags, .mode = mode, .resolve = resolve};
	return openat2_raw(dirfd, path, &how, sizeof(how));
}

/* Makes d/ with d/f, d/sub/g, and returns an O_PATH descriptor of d. */
static int make_tree(void)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	harness_write_file(harness_path("d/f"), "f", 1, 0644);
	harness_write_file(harness_path("d/sub/g"), "g", 1, 0644);
	harness_write_file(harness_path("outside"), "o", 1, 0644);
	return harness_open(harness_path("d"), O_PATH | O_DIRECTORY);
}

static void expect_opens(int dirfd, const char *path, uint64_t resolve,
			 int line)
{
	long fd = do_openat2(dirfd, path, O_RDONLY, 0, resolve);
	if (fd < 0)
		harness_fail(__FILE__, line, "openat2(%s, resolve %#llx): %s",
			     path, (unsigned long long)resolve,
			     harness_errno_name(errno));
	else
		close((int)fd);
}

TEST(openat2_basic)
{
	int d = make_tree();
	long fd = do_openat2(d, "f", O_RDONLY, 0, 0);
	ASSERT_GE(fd, 0);
	char c = 0;
	EXPECT_EQ(read((int)fd, &c, 1), 1);
	EXPECT_EQ(c, 'f');
	close((int)fd);
	/* Creation with a mode; flags and mode are as for openat. */
	harness_umask(022);
	fd = do_openat2(d, "new", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666,
			0);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_EQ(st.st_mode & 07777, 0644);
	EXPECT_EQ(syscall(SYS_fcntl, (int)fd, F_GETFD), FD_CLOEXEC);
	close((int)fd);
	EXPECT_ERRNO(do_openat2(d, "new", O_WRONLY | O_CREAT | O_EXCL, 0644, 0),
		     EEXIST);
	EXPECT_ERRNO(do_openat2(d, "missing", O_RDONLY, 0, 0), ENOENT);
	close(d);
}

TEST(openat2_size_checks)
{
	int d = make_tree();
	struct {
		struct open_how how;
		char extra[64];
	} big;
	memset(&big, 0, sizeof(big));
	big.how.flags = O_RDONLY;
	/* Smaller than the first version of the struct. */
	EXPECT_ERRNO(openat2_raw(d, "f", &big, 0), EINVAL);
	EXPECT_ERRNO(openat2_raw(d, "f", &big, sizeof(struct open_how) - 1),
		     EINVAL);
	/* Larger with zeroed trailing bytes is accepted. */
	long fd = openat2_raw(d, "f", &big, sizeof(big));
	EXPECT_GE(fd, 0);
	close((int)fd);
	/* Larger with a non-zero byte the kernel does not know is E2BIG. */
	big.extra[10] = 1;
	EXPECT_ERRNO(openat2_raw(d, "f", &big, sizeof(big)), E2BIG);
	/* More than a page is refused outright. */
	EXPECT_ERRNO(openat2_raw(d, "f", &big, harness_page_size() + 1), E2BIG);
	EXPECT_ERRNO(openat2_raw(d, "f", (void *)1, sizeof(struct open_how)),
		     EFAULT);
	close(d);
}

TEST(openat2_flag_checks)
{
	int d = make_tree();
	static const struct {
		uint64_t flags, mode, resolve;
		const char *what;
	} cases[] = {
		{O_RDONLY | (1ULL << 40), 0, 0, "unknown open flag"},
		{O_RDONLY | 0x80000000ULL, 0, 0, "unknown 32-bit open flag"},
		{O_RDONLY, 0, 1ULL << 20, "unknown resolve flag"},
		{O_RDONLY, 0644, 0, "mode without O_CREAT"},
		{O_WRONLY | O_CREAT, 010644, 0, "mode with type bits"},
		{O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT,
		 "BENEATH with IN_ROOT"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		long r = do_openat2(d, "f", cases[i].flags, cases[i].mode,
				    cases[i].resolve);
		if (r != -1 || errno != EINVAL)
			harness_fail(__FILE__, __LINE__,
				     "%s: got %ld errno %s, want EINVAL",
				     cases[i].what, r,
				     harness_errno_name(errno));
		if (r >= 0)
			close((int)r);
	}
	close(d);
}

TEST(openat2_resolve_beneath)
{
	int d = make_tree();
	ASSERT_SYSCALL_OK(symlink("../outside", harness_path("d/up")));
	ASSERT_SYSCALL_OK(symlink(harness_path("d/f"), harness_path("d/abs")));
	ASSERT_SYSCALL_OK(symlink("sub/g", harness_path("d/in")));
	expect_opens(d, "f", RESOLVE_BENEATH, __LINE__);
	expect_opens(d, "sub/g", RESOLVE_BENEATH, __LINE__);
	/* ".." that stays inside is fine. */
	expect_opens(d, "sub/../f", RESOLVE_BENEATH, __LINE__);
	expect_opens(d, "in", RESOLVE_BENEATH, __LINE__);
	EXPECT_ERRNO(do_openat2(d, "../outside", O_RDONLY, 0, RESOLVE_BENEATH),
		     EXDEV);
	EXPECT_ERRNO(do_openat2(d, "sub/../../outside", O_RDONLY, 0,
				RESOLVE_BENEATH),
		     EXDEV);
	EXPECT_ERRNO(do_openat2(d, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	/* Absolute paths and absolute symlinks escape. */
	EXPECT_ERRNO(do_openat2(d, harness_path("d/f"), O_RDONLY, 0,
				RESOLVE_BENEATH),
		     EXDEV);
	EXPECT_ERRNO(do_openat2(d, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	EXPECT_ERRNO(do_openat2(d, "up", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	/* Without the flag they all resolve. */
	expect_opens(d, "up", 0, __LINE__);
	expect_opens(d, "abs", 0, __LINE__);
	close(d);
}

TEST(openat2_resolve_in_root)
{
	int d = make_tree();
	ASSERT_SYSCALL_OK(symlink("/f", harness_path("d/abs")));
	/* "/" and ".." are both clamped to the directory. */
	long fd = do_openat2(d, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	EXPECT_GE(fd, 0);
	close((int)fd);
	fd = do_openat2(d, "../../../f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	EXPECT_GE(fd, 0);
	close((int)fd);
	fd = do_openat2(d, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT);
	EXPECT_GE(fd, 0);
	close((int)fd);
	EXPECT_ERRNO(do_openat2(d, "/outside", O_RDONLY, 0, RESOLVE_IN_ROOT),
		     ENOENT);
	EXPECT_ERRNO(do_openat2(d, "../outside", O_RDONLY, 0, RESOLVE_IN_ROOT),
		     ENOENT);
	close(d);
}

TEST(openat2_resolve_no_symlinks)
{
	int d = make_tree();
	ASSERT_SYSCALL_OK(symlink("f", harness_path("d/lf")));
	ASSERT_SYSCALL_OK(symlink("sub", harness_path("d/ls")));
	EXPECT_ERRNO(do_openat2(d, "lf", O_RDONLY, 0, RESOLVE_NO_SYMLINKS),
		     ELOOP);
	EXPECT_ERRNO(do_openat2(d, "ls/g", O_RDONLY, 0, RESOLVE_NO_SYMLINKS),
		     ELOOP);
	/* O_PATH | O_NOFOLLOW of the last component does not follow it. */
	long fd = do_openat2(d, "lf", O_PATH | O_NOFOLLOW, 0,
			     RESOLVE_NO_SYMLINKS);
	EXPECT_GE(fd, 0);
	close((int)fd);
	expect_opens(d, "sub/g", RESOLVE_NO_SYMLINKS, __LINE__);
	expect_opens(d, "ls/g", 0, __LINE__);
	close(d);
}

TEST(openat2_resolve_no_magiclinks)
{
	int d = make_tree();
	long fd = do_openat2(d, "f", O_RDONLY, 0, 0);
	ASSERT_GE(fd, 0);
	char *magic = harness_strf("/proc/self/fd/%ld", fd);
	EXPECT_ERRNO(do_openat2(AT_FDCWD, magic, O_RDONLY, 0,
				RESOLVE_NO_MAGICLINKS),
		     ELOOP);
	long fd2 = do_openat2(AT_FDCWD, magic, O_RDONLY, 0, 0);
	EXPECT_GE(fd2, 0);
	close((int)fd2);
	/* Ordinary symlinks are still followed. */
	ASSERT_SYSCALL_OK(symlink("f", harness_path("d/lf")));
	expect_opens(d, "lf", RESOLVE_NO_MAGICLINKS, __LINE__);
	close((int)fd);
	close(d);
}

TEST(openat2_resolve_no_xdev)
{
	int root = harness_open("/", O_PATH | O_DIRECTORY);
	/* /proc is a separate mount, natively and in the sandbox. */
	EXPECT_ERRNO(do_openat2(root, "proc/self/status", O_RDONLY, 0,
				RESOLVE_NO_XDEV),
		     EXDEV);
	long fd = do_openat2(root, "proc/self/status", O_RDONLY, 0, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	/* Within one mount it is a plain open. */
	int d = make_tree();
	expect_opens(d, "sub/g", RESOLVE_NO_XDEV, __LINE__);
	close(d);
	close(root);
}
