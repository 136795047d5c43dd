/* Path resolution: slashes, ".", "..", symlinks in the middle, and limits. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

static struct stat stat_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		harness_fail(__FILE__, __LINE__, "stat %s: %s", path,
			     harness_errno_name(errno));
		harness_abort_test();
	}
	return st;
}

static void expect_same(const char *a, const char *b, int line)
{
	struct stat sa = stat_of(a), sb = stat_of(b);
	if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
		harness_fail(__FILE__, line, "%s and %s are different files", a,
			     b);
}

TEST(path_repeated_slashes_and_dots)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	const char *dir = harness_tmpdir();
	char *f = harness_path("f");
	expect_same(f, harness_strf("%s//f", dir), __LINE__);
	expect_same(f, harness_strf("%s/./f", dir), __LINE__);
	expect_same(f, harness_strf("%s/././/./f", dir), __LINE__);
	expect_same(f, harness_strf("/%s", f), __LINE__);
	expect_same(f, harness_strf("//%s", f), __LINE__);
	expect_same(f, harness_strf("%s/d/../f", dir), __LINE__);
	expect_same(f, harness_strf("%s/d/./.././d/../f", dir), __LINE__);
	expect_same(harness_path("d"), harness_strf("%s/d/", dir), __LINE__);
	expect_same(harness_path("d"), harness_strf("%s/d//.", dir), __LINE__);
}

TEST(path_dotdot_at_root_stays)
{
	expect_same("/", "/..", __LINE__);
	expect_same("/", "/../../..", __LINE__);
	expect_same("/", "//..//.", __LINE__);
	expect_same("/tmp", "/../tmp", __LINE__);
	expect_same("/tmp", "/../../tmp/../../tmp", __LINE__);
	harness_chdir("/");
	expect_same("/", "..", __LINE__);
	expect_same("/", "../..", __LINE__);
}

TEST(path_trailing_slash_on_file_enotdir)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	struct stat st;
	EXPECT_ERRNO(stat(harness_strf("%s/", f), &st), ENOTDIR);
	EXPECT_ERRNO(stat(harness_strf("%s/.", f), &st), ENOTDIR);
	EXPECT_ERRNO(stat(harness_strf("%s/..", f), &st), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_open, harness_strf("%s/", f), O_RDONLY),
		     ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_access, harness_strf("%s//", f), F_OK),
		     ENOTDIR);
	/* Also through a symlink to the file. */
	ASSERT_SYSCALL_OK(symlink("f", harness_path("l")));
	EXPECT_ERRNO(stat(harness_path("l/"), &st), ENOTDIR);
	EXPECT_ERRNO(lstat(harness_path("l/"), &st), ENOTDIR);
}

TEST(path_trailing_slash_follows_dir_symlink)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("d", harness_path("dl")));
	struct stat st;
	/* lstat of "link/" is the directory, not the link. */
	ASSERT_SYSCALL_OK(lstat(harness_path("dl/"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_SYSCALL_OK(lstat(harness_path("dl"), &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(path_missing_and_dotdot)
{
	struct stat st;
	/* ".." does not cancel a missing component. */
	EXPECT_ERRNO(stat(harness_path("missing/.."), &st), ENOENT);
	EXPECT_ERRNO(stat(harness_path("missing/../"), &st), ENOENT);
	harness_write_file(harness_path("f"), "", 0, 0644);
	EXPECT_ERRNO(stat(harness_path("f/../f"), &st), ENOTDIR);
	EXPECT_ERRNO(stat("", &st), ENOENT);
}

TEST(path_symlink_resolution)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("a"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("a/b"), 0755));
	ASSERT_SYSCALL_OK(mkdir(harness_path("a/b/c"), 0755));
	harness_write_file(harness_path("a/b/c/f"), "", 0, 0644);
	harness_write_file(harness_path("top"), "", 0, 0644);
	/* Relative targets are resolved from the link's directory. */
	ASSERT_SYSCALL_OK(symlink("../../top", harness_path("a/b/up")));
	expect_same(harness_path("a/b/up"), harness_path("top"), __LINE__);
	/* A link in the middle of a path. */
	ASSERT_SYSCALL_OK(symlink("a/b/c", harness_path("deep")));
	expect_same(harness_path("deep/f"), harness_path("a/b/c/f"), __LINE__);
	/* ".." after a link is taken from the target, not lexically. */
	expect_same(harness_path("deep/.."), harness_path("a/b"), __LINE__);
	expect_same(harness_path("deep/../.."), harness_path("a"), __LINE__);
	/* Links to links. */
	ASSERT_SYSCALL_OK(symlink("deep", harness_path("deeper")));
	expect_same(harness_path("deeper/f"), harness_path("a/b/c/f"),
		    __LINE__);
	/* An absolute target. */
	ASSERT_SYSCALL_OK(symlink(harness_path("a/b"), harness_path("abs")));
	expect_same(harness_path("abs/c/f"), harness_path("a/b/c/f"), __LINE__);
}

TEST(path_symlink_dotdot_above_root)
{
	/* ".." above "/" stays at "/" when it comes from a symlink too. */
	ASSERT_SYSCALL_OK(symlink("/../../etc", harness_path("etc")));
	expect_same(harness_path("etc"), "/etc", __LINE__);
	char *up = malloc(PATH_MAX);
	ASSERT_TRUE(up != 0);
	/* Enough ".." to climb from the temp dir past "/". */
	strcpy(up, "");
	for (int i = 0; i < 20; i++)
		strcat(up, "../");
	strcat(up, "etc");
	ASSERT_SYSCALL_OK(symlink(up, harness_path("rel-etc")));
	free(up);
	expect_same(harness_path("rel-etc"), "/etc", __LINE__);
}

TEST(path_symlink_loops)
{
	ASSERT_SYSCALL_OK(symlink("b", harness_path("a")));
	ASSERT_SYSCALL_OK(symlink("a", harness_path("b")));
	ASSERT_SYSCALL_OK(symlink(".", harness_path("dot")));
	struct stat st;
	EXPECT_ERRNO(stat(harness_path("a"), &st), ELOOP);
	EXPECT_ERRNO(stat(harness_path("a/x"), &st), ELOOP);
	/* A link to "." is not a loop: each step makes progress. */
	EXPECT_SYSCALL_OK(stat(harness_path("dot/dot/dot/dot"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	/* But more than 40 of them in one path is. */
	char *p = malloc(PATH_MAX);
	ASSERT_TRUE(p != 0);
	strcpy(p, harness_tmpdir());
	for (int i = 0; i < 41; i++)
		strcat(p, "/dot");
	EXPECT_ERRNO(stat(p, &st), ELOOP);
	free(p);
}

TEST(path_component_and_length_limits)
{
	char name[NAME_MAX + 2];
	memset(name, 'c', NAME_MAX + 1);
	name[NAME_MAX + 1] = 0;
	struct stat st;
	/* An over-long component is refused wherever it is. */
	EXPECT_ERRNO(stat(harness_path(name), &st), ENAMETOOLONG);
	EXPECT_ERRNO(stat(harness_strf("%s/x/y", harness_path(name)), &st),
		     ENAMETOOLONG);
	EXPECT_ERRNO(mkdir(harness_path(name), 0755), ENAMETOOLONG);
	name[NAME_MAX] = 0;
	EXPECT_ERRNO(stat(harness_path(name), &st), ENOENT);
	ASSERT_SYSCALL_OK(mkdir(harness_path(name), 0755));
	EXPECT_SYSCALL_OK(stat(harness_path(name), &st));
	/* A whole path of PATH_MAX bytes or more. */
	char *p = malloc(PATH_MAX + 1);
	ASSERT_TRUE(p != 0);
	memset(p, '/', PATH_MAX);
	p[PATH_MAX] = 0;
	EXPECT_ERRNO(stat(p, &st), ENAMETOOLONG);
	p[PATH_MAX - 1] = 0;
	EXPECT_SYSCALL_OK(stat(p, &st));
	free(p);
}

TEST(path_relative_to_cwd)
{
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	harness_write_file(harness_path("d/f"), "", 0, 0644);
	harness_chdir(harness_path("d"));
	expect_same("f", harness_path("d/f"), __LINE__);
	expect_same("./f", harness_path("d/f"), __LINE__);
	expect_same("../d/f", harness_path("d/f"), __LINE__);
	expect_same(".", harness_path("d"), __LINE__);
	expect_same("..", harness_tmpdir(), __LINE__);
}

/*
 * /proc/self/root is the task's root: ".." above it, and symlinks read
 * through it, stay inside the root like any other path.
 */
TEST(path_proc_self_root_stays_inside)
{
	struct stat root, via, up;
	ASSERT_SYSCALL_OK(stat("/", &root));
	ASSERT_SYSCALL_OK(stat("/proc/self/root", &via));
	EXPECT_EQ(via.st_ino, root.st_ino);
	EXPECT_EQ(via.st_dev, root.st_dev);
	ASSERT_SYSCALL_OK(stat("/proc/self/root/../../..", &up));
	EXPECT_EQ(up.st_ino, root.st_ino);
	EXPECT_EQ(up.st_dev, root.st_dev);

	/* A symlink to "/../../" through the magic link is the same root. */
	const char *link = harness_path("rootlink");
	ASSERT_SYSCALL_OK(symlink("/proc/self/root/../../", link));
	struct stat st;
	ASSERT_SYSCALL_OK(stat(link, &st));
	EXPECT_EQ(st.st_ino, root.st_ino);
	EXPECT_EQ(st.st_dev, root.st_dev);
}
