/* rename, renameat and renameat2: replacement rules, flags and errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

static long rename_raw(const char *from, const char *to)
{
	return syscall(SYS_rename, from, to);
}

static long renameat2_raw(int ofd, const char *from, int nfd, const char *to,
			  unsigned flags)
{
	return syscall(SYS_renameat2, ofd, from, nfd, to, flags);
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st.st_ino;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void expect_content(const char *path, const char *want, int line)
{
	char buf[64];
	harness_read_file(path, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		harness_fail(__FILE__, line, "%s holds \"%s\", want \"%s\"",
			     path, buf, want);
}

TEST(rename_file)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "A", 1, 0644);
	ino_t ino = ino_of(a);
	EXPECT_EQ(rename_raw(a, b), 0);
	EXPECT_FALSE(exists(a));
	EXPECT_EQ(ino_of(b), ino);
	expect_content(b, "A", __LINE__);
}

TEST(rename_replaces_file)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "A", 1, 0644);
	harness_write_file(b, "B", 1, 0644);
	/* An open descriptor of the replaced file still reads it. */
	int fd = harness_open(b, O_RDONLY);
	ino_t ino = ino_of(a);
	EXPECT_EQ(rename_raw(a, b), 0);
	EXPECT_FALSE(exists(a));
	EXPECT_EQ(ino_of(b), ino);
	expect_content(b, "A", __LINE__);
	char c = 0;
	EXPECT_EQ(read(fd, &c, 1), 1);
	EXPECT_EQ(c, 'B');
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	close(fd);
}

TEST(rename_same_file_is_noop)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "A", 1, 0644);
	EXPECT_EQ(rename_raw(a, a), 0);
	EXPECT_TRUE(exists(a));
	/* Two links to one inode: nothing happens, both names stay. */
	ASSERT_SYSCALL_OK(link(a, b));
	EXPECT_EQ(rename_raw(a, b), 0);
	EXPECT_TRUE(exists(a));
	EXPECT_TRUE(exists(b));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	EXPECT_EQ(rename_raw(harness_path("d"), harness_path("d")), 0);
}

TEST(rename_directory)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("p1"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("p2"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("p1/d"), 0755));
	harness_write_file(harness_path("p1/d/f"), "F", 1, 0644);
	struct stat p1, p2;
	ASSERT_SYSCALL_OK(stat(harness_path("p1"), &p1));
	ASSERT_SYSCALL_OK(stat(harness_path("p2"), &p2));
	EXPECT_EQ(p1.st_nlink, 3);
	EXPECT_EQ(p2.st_nlink, 2);
	EXPECT_EQ(rename_raw(harness_path("p1/d"), harness_path("p2/d")), 0);
	expect_content(harness_path("p2/d/f"), "F", __LINE__);
	/* The moved directory's ".." and the parents' link counts follow. */
	EXPECT_EQ(ino_of(harness_path("p2/d/..")), p2.st_ino);
	ASSERT_SYSCALL_OK(stat(harness_path("p1"), &p1));
	ASSERT_SYSCALL_OK(stat(harness_path("p2"), &p2));
	EXPECT_EQ(p1.st_nlink, 2);
	EXPECT_EQ(p2.st_nlink, 3);
	/* Over an empty directory. */
	ASSERT_SYSCALL_OK(mkdir(harness_path("empty"), 0755));
	EXPECT_EQ(rename_raw(harness_path("p2/d"), harness_path("empty")), 0);
	expect_content(harness_path("empty/f"), "F", __LINE__);
	/* Trailing slashes are fine on directories. */
	EXPECT_EQ(rename_raw(harness_path("empty/"), harness_path("e2/")), 0);
	EXPECT_TRUE(exists(harness_path("e2/f")));
}

TEST(rename_dir_over_nonempty_dir_enotempty)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("a"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("b"), 0755));
	harness_write_file(harness_path("b/f"), "", 0, 0644);
	EXPECT_ERRNO(rename_raw(harness_path("a"), harness_path("b")),
		     ENOTEMPTY);
	EXPECT_TRUE(exists(harness_path("a")));
	EXPECT_TRUE(exists(harness_path("b/f")));
}

TEST(rename_type_mismatch)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(rename_raw(harness_path("f"), harness_path("d")), EISDIR);
	EXPECT_ERRNO(rename_raw(harness_path("d"), harness_path("f")), ENOTDIR);
	/* A file with a trailing slash is not a directory. */
	EXPECT_ERRNO(rename_raw(harness_path("f/"), harness_path("g")),
		     ENOTDIR);
	EXPECT_ERRNO(rename_raw(harness_path("f"), harness_path("g/")),
		     ENOTDIR);
	EXPECT_TRUE(exists(harness_path("f")));
	EXPECT_FALSE(exists(harness_path("g")));
}

TEST(rename_into_own_subdir_einval)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d/sub"), 0755));
	EXPECT_ERRNO(rename_raw(harness_path("d"), harness_path("d/sub/x")),
		     EINVAL);
	EXPECT_ERRNO(rename_raw(harness_path("d"), harness_path("d/x")),
		     EINVAL);
	/* An ancestor over its descendant is the same case. */
	EXPECT_ERRNO(rename_raw(harness_path("d"), harness_path("d/sub")),
		     EINVAL);
	/* And the descendant over the (non-empty) ancestor. */
	EXPECT_ERRNO(rename_raw(harness_path("d/sub"), harness_path("d")),
		     ENOTEMPTY);
}

TEST(rename_dot_and_dotdot_ebusy)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("e"), 0755));
	EXPECT_ERRNO(rename_raw(harness_path("d/."), harness_path("x")), EBUSY);
	EXPECT_ERRNO(rename_raw(harness_path("d/.."), harness_path("x")),
		     EBUSY);
	EXPECT_ERRNO(rename_raw(harness_path("e"), harness_path("d/.")), EBUSY);
	/* (Within one mount: across mounts EXDEV is checked first.) */
	EXPECT_ERRNO(rename_raw("/", "/bulwark-no-such-name"), EBUSY);
}

TEST(rename_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(rename_raw(harness_path("missing"), harness_path("x")),
		     ENOENT);
	EXPECT_ERRNO(rename_raw(harness_path("f"), harness_path("missing/x")),
		     ENOENT);
	EXPECT_ERRNO(rename_raw(harness_path("f/x"), harness_path("x")),
		     ENOTDIR);
	EXPECT_ERRNO(rename_raw(harness_path("f"), harness_path("f/x")),
		     ENOTDIR);
	EXPECT_ERRNO(rename_raw("", harness_path("x")), ENOENT);
	EXPECT_ERRNO(rename_raw(harness_path("f"), ""), ENOENT);
	EXPECT_ERRNO(rename_raw((const char *)1, harness_path("x")), EFAULT);
	EXPECT_ERRNO(rename_raw(harness_path("f"), (const char *)1), EFAULT);
	EXPECT_TRUE(exists(harness_path("f")));
}

TEST(rename_across_mounts_exdev)
{
	/* /tmp and /dev/shm are different mounts, natively and sandboxed. */
	char *a = harness_path("f"), *b = harness_shm_path("f");
	harness_write_file(a, "", 0, 0644);
	EXPECT_ERRNO(rename_raw(a, b), EXDEV);
	ASSERT_SYSCALL_OK(mkdir(harness_shm_path("d"), 0755));
	EXPECT_ERRNO(rename_raw(harness_shm_path("d"), harness_path("d")),
		     EXDEV);
	EXPECT_TRUE(exists(a));
	EXPECT_FALSE(exists(b));
}

TEST(rename_symlink_renames_link)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	EXPECT_EQ(rename_raw(harness_path("l"), harness_path("m")), 0);
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(harness_path("m"), &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_TRUE(exists(harness_path("f")));
}

TEST(renameat2_noreplace)
{
	char *a = harness_path("a"), *b = harness_path("b"),
	     *c = harness_path("c");
	harness_write_file(a, "A", 1, 0644);
	harness_write_file(b, "B", 1, 0644);
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE),
		     EEXIST);
	expect_content(b, "B", __LINE__);
	/* Even a dangling symlink is "existing". */
	ASSERT_SYSCALL_OK(symlink("nowhere", harness_path("dl")));
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, harness_path("dl"),
				   RENAME_NOREPLACE),
		     EEXIST);
	EXPECT_EQ(renameat2_raw(AT_FDCWD, a, AT_FDCWD, c, RENAME_NOREPLACE), 0);
	expect_content(c, "A", __LINE__);
	EXPECT_FALSE(exists(a));
}

TEST(renameat2_exchange)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "A", 1, 0644);
	harness_write_file(b, "B", 1, 0644);
	EXPECT_EQ(renameat2_raw(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), 0);
	expect_content(a, "B", __LINE__);
	expect_content(b, "A", __LINE__);
	/* A file and a directory can be exchanged. */
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	harness_write_file(harness_path("d/inner"), "", 0, 0644);
	EXPECT_EQ(renameat2_raw(AT_FDCWD, a, AT_FDCWD, d, RENAME_EXCHANGE), 0);
	expect_content(d, "B", __LINE__);
	EXPECT_TRUE(exists(harness_path("a/inner")));
	/* Both must exist. */
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, harness_path("none"),
				   RENAME_EXCHANGE),
		     ENOENT);
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, harness_path("none"), AT_FDCWD, a,
				   RENAME_EXCHANGE),
		     ENOENT);
}

TEST(renameat2_exchange_directories_updates_dotdot)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("p"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("p/x"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("y"), 0755));
	ino_t p = ino_of(harness_path("p")), top = ino_of(harness_tmpdir());
	ino_t x = ino_of(harness_path("p/x")), y = ino_of(harness_path("y"));
	EXPECT_EQ(renameat2_raw(AT_FDCWD, harness_path("p/x"), AT_FDCWD,
				harness_path("y"), RENAME_EXCHANGE),
		  0);
	EXPECT_EQ(ino_of(harness_path("p/x")), y);
	EXPECT_EQ(ino_of(harness_path("y")), x);
	EXPECT_EQ(ino_of(harness_path("p/x/..")), p);
	EXPECT_EQ(ino_of(harness_path("y/..")), top);
}

TEST(renameat2_bad_flags_einval)
{
	char *a = harness_path("a"), *b = harness_path("b");
	harness_write_file(a, "", 0, 0644);
	harness_write_file(b, "", 0, 0644);
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, b,
				   RENAME_NOREPLACE | RENAME_EXCHANGE),
		     EINVAL);
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, b,
				   RENAME_EXCHANGE | RENAME_WHITEOUT),
		     EINVAL);
	EXPECT_ERRNO(renameat2_raw(AT_FDCWD, a, AT_FDCWD, b, 1 << 5), EINVAL);
	EXPECT_TRUE(exists(a));
	EXPECT_TRUE(exists(b));
}

TEST(renameat_dirfds)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d1"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("d2"), 0755));
	harness_write_file(harness_path("d1/f"), "F", 1, 0644);
	int d1 = (int)syscall(SYS_open, harness_path("d1"),
			      O_RDONLY | O_DIRECTORY);
	int d2 = (int)syscall(SYS_open, harness_path("d2"),
			      O_PATH | O_DIRECTORY);
	ASSERT_GE(d1, 0);
	ASSERT_GE(d2, 0);
	EXPECT_EQ(syscall(SYS_renameat, d1, "f", d2, "g"), 0);
	expect_content(harness_path("d2/g"), "F", __LINE__);
	EXPECT_ERRNO(syscall(SYS_renameat, -1, "g", d2, "h"), EBADF);
	EXPECT_ERRNO(syscall(SYS_renameat, d2, "g", -1, "h"), EBADF);
	int f = harness_open(harness_path("d2/g"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_renameat, f, "x", d2, "h"), ENOTDIR);
	close(f);
	close(d2);
	close(d1);
}
