/*
 * Overlay file system semantics on files of a lower layer: copy-up,
 * whiteouts, opaque directories, rename and link rules, inode numbers.
 *
 * The runner (run_overlay_test.sh) makes the lower files with this binary's
 * "populate" child mode and sets OVERLAY_TEST_DIR: natively to a real
 * overlayfs mount (lower and upper on one tmpfs; redirect_dir, index and
 * metacopy off) over them, in the sandbox to a host directory that the
 * sandbox's root overlay shows as lower files. Each test uses its own
 * files: all tests share the directory.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* The times populate gives the lower files. */
#define LOWER_TIME 1000000000

static const char *dir(void)
{
	const char *d = getenv("OVERLAY_TEST_DIR");
	if (!d || !*d)
		SKIP("OVERLAY_TEST_DIR is not set: run_overlay_test.sh runs this test on an overlay");
	return d;
}

static char *p(const char *name)
{
	return harness_strf("%s/%s", dir(), name);
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(path, &st));
	return st;
}

static void write_all(const char *path, int flags, const char *data)
{
	int fd = harness_open(path, flags, 0644);
	EXPECT_EQ(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* Whether the directory path lists name. */
static int lists(const char *path, const char *name)
{
	DIR *d = opendir(path);
	ASSERT_TRUE(d != 0);
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d)) != 0)
		if (strcmp(e->d_name, name) == 0)
			found = 1;
	closedir(d);
	return found;
}

/* The number of entries of path besides "." and "..". */
static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	ASSERT_TRUE(d != 0);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != 0)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* ---- the lower layer ---- */

static int mk(const char *base, const char *name, const char *data)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", base, name);
	if (!data)
		return mkdir(path, 0755);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -1;
	int ok = write(fd, data, strlen(data)) == (ssize_t)strlen(data);
	close(fd);
	return ok ? 0 : -1;
}

static int set_times(const char *base, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", base, name);
	struct timespec ts[2] = {{LOWER_TIME, 0}, {LOWER_TIME, 0}};
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* argv[1] is the (empty) lower directory to fill. */
CHILD_MODE(populate)
{
	if (argc != 2) {
		fprintf(stderr, "usage: populate DIR\n");
		return 2;
	}
	const char *b = argv[1];
	static const char *const files[][2] = {
		{"read_a", "lower a\n"},   {"cow", "lower data\n"},
		{"chmod_f", "c\n"},        {"unlink_f", "u\n"},
		{"whiteout_f", "w\n"},     {"rmdir_d", 0},
		{"rmdir_d/x", "x\n"},      {"rmdir_d/y", "y\n"},
		{"opaque_d", 0},           {"opaque_d/x", "x\n"},
		{"rename_f", "r\n"},       {"rename_d", 0},
		{"rename_d/x", "x\n"},     {"link_f", "l\n"},
		{"hl1", "hardlink\n"},     {"ino_f", "i\n"},
		{"rofd_f", "before\n"},
	};
	char cow[4096], hl1[4096], hl2[4096];
	snprintf(cow, sizeof(cow), "%s/cow", b);
	snprintf(hl1, sizeof(hl1), "%s/hl1", b);
	snprintf(hl2, sizeof(hl2), "%s/hl2", b);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (mk(b, files[i][0], files[i][1]) < 0) {
			perror(files[i][0]);
			return 1;
		}
	}
	if (link(hl1, hl2) < 0 || chmod(cow, 0640) < 0 ||
	    chown(cow, 1234, 5678) < 0 ||
	    setxattr(cow, "user.ovl", "lowerval", 8, 0) < 0) {
		perror("populate");
		return 1;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (set_times(b, files[i][0]) < 0) {
			perror("utimensat");
			return 1;
		}
	}
	return 0;
}

/* ---- tests ---- */

TEST(overlay_read_lower_file)
{
	char buf[64];
	harness_read_file(p("read_a"), buf, sizeof(buf));
	EXPECT_STREQ(buf, "lower a\n");
}

TEST(overlay_copy_up_keeps_owner_mode_xattrs)
{
	char *f = p("cow");
	struct stat before = stat_of(f);
	EXPECT_EQ(before.st_mode & 07777, 0640);
	write_all(f, O_WRONLY | O_APPEND, "more\n");
	struct stat st = stat_of(f);
	EXPECT_EQ(st.st_mode & 07777, 0640);
	EXPECT_EQ(st.st_uid, 1234);
	EXPECT_EQ(st.st_gid, 5678);
	EXPECT_EQ(st.st_ino, before.st_ino);
	EXPECT_EQ(st.st_dev, before.st_dev);
	EXPECT_EQ(st.st_atim.tv_sec, LOWER_TIME);
	char buf[64] = {0};
	EXPECT_EQ(getxattr(f, "user.ovl", buf, sizeof(buf)), 8);
	EXPECT_STREQ(buf, "lowerval");
	harness_read_file(f, buf, sizeof(buf));
	EXPECT_STREQ(buf, "lower data\nmore\n");
}

TEST(overlay_chmod_copies_up_with_times)
{
	char *f = p("chmod_f");
	struct stat before = stat_of(f);
	ASSERT_SYSCALL_OK(chmod(f, 0600));
	struct stat st = stat_of(f);
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_EQ(st.st_mtim.tv_sec, LOWER_TIME);
	EXPECT_EQ(st.st_atim.tv_sec, LOWER_TIME);
	EXPECT_EQ(st.st_ino, before.st_ino);
	char buf[16];
	harness_read_file(f, buf, sizeof(buf));
	EXPECT_STREQ(buf, "c\n");
}

TEST(overlay_unlink_lower_file)
{
	char *f = p("unlink_f");
	EXPECT_TRUE(lists(dir(), "unlink_f"));
	ASSERT_SYSCALL_OK(unlink(f));
	struct stat st;
	EXPECT_ERRNO(lstat(f, &st), ENOENT);
	EXPECT_FALSE(lists(dir(), "unlink_f"));
	EXPECT_ERRNO(unlink(f), ENOENT);
}

TEST(overlay_create_over_whiteout)
{
	char *f = p("whiteout_f");
	ASSERT_SYSCALL_OK(unlink(f));
	write_all(f, O_WRONLY | O_CREAT | O_EXCL, "new\n");
	char buf[16];
	harness_read_file(f, buf, sizeof(buf));
	EXPECT_STREQ(buf, "new\n");
	EXPECT_TRUE(lists(dir(), "whiteout_f"));
	EXPECT_EQ(stat_of(f).st_mode & S_IFMT, S_IFREG);
}

TEST(overlay_rmdir_merged_dir)
{
	char *d = p("rmdir_d");
	EXPECT_ERRNO(rmdir(d), ENOTEMPTY);
	ASSERT_SYSCALL_OK(unlink(p("rmdir_d/x")));
	EXPECT_ERRNO(rmdir(d), ENOTEMPTY);
	ASSERT_SYSCALL_OK(unlink(p("rmdir_d/y")));
	EXPECT_EQ(count_entries(d), 0);
	ASSERT_SYSCALL_OK(rmdir(d));
	struct stat st;
	EXPECT_ERRNO(lstat(d, &st), ENOENT);
	EXPECT_FALSE(lists(dir(), "rmdir_d"));
}

TEST(overlay_mkdir_over_whiteout_is_opaque)
{
	char *d = p("opaque_d");
	ASSERT_SYSCALL_OK(unlink(p("opaque_d/x")));
	ASSERT_SYSCALL_OK(rmdir(d));
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_EQ(count_entries(d), 0);
	struct stat st;
	EXPECT_ERRNO(lstat(p("opaque_d/x"), &st), ENOENT);
	/* The overlay's own attribute is not for applications. */
	char buf[8];
	EXPECT_ERRNO(getxattr(d, "user.overlay.opaque", buf, sizeof(buf)), ENODATA);
}

TEST(overlay_rename_lower_file)
{
	char *from = p("rename_f"), *to = p("rename_f2");
	struct stat before = stat_of(from);
	ASSERT_SYSCALL_OK(rename(from, to));
	struct stat st;
	EXPECT_ERRNO(lstat(from, &st), ENOENT);
	st = stat_of(to);
	EXPECT_EQ(st.st_ino, before.st_ino);
	char buf[16];
	harness_read_file(to, buf, sizeof(buf));
	EXPECT_STREQ(buf, "r\n");
	EXPECT_FALSE(lists(dir(), "rename_f"));
	EXPECT_TRUE(lists(dir(), "rename_f2"));
}

TEST(overlay_rename_lower_dir_exdev)
{
	/* Linux without redirect_dir: a directory of a lower layer cannot be
	 * renamed (mv(1) copies it instead). */
	EXPECT_ERRNO(rename(p("rename_d"), p("rename_d2")), EXDEV);
	EXPECT_SYSCALL_OK(access(p("rename_d/x"), F_OK));
	/* An upper directory can. */
	ASSERT_SYSCALL_OK(mkdir(p("rename_new"), 0755));
	ASSERT_SYSCALL_OK(rename(p("rename_new"), p("rename_new2")));
	ASSERT_SYSCALL_OK(rmdir(p("rename_new2")));
}

TEST(overlay_hard_link_to_lower_file)
{
	char *f = p("link_f"), *g = p("link_f2");
	struct stat before = stat_of(f);
	ASSERT_SYSCALL_OK(link(f, g));
	struct stat a = stat_of(f), b = stat_of(g);
	EXPECT_EQ(a.st_nlink, 2);
	EXPECT_EQ(b.st_ino, a.st_ino);
	EXPECT_EQ(a.st_ino, before.st_ino);
	write_all(g, O_WRONLY | O_TRUNC, "both\n");
	char buf[16];
	harness_read_file(f, buf, sizeof(buf));
	EXPECT_STREQ(buf, "both\n");
}

TEST(overlay_lower_hard_links_break_on_copy_up)
{
	/* Without index=on, copying up one name of a lower file with several
	 * links leaves the other names on the lower data. */
	char *a = p("hl1"), *b = p("hl2");
	EXPECT_EQ(stat_of(a).st_ino, stat_of(b).st_ino);
	write_all(a, O_WRONLY | O_TRUNC, "changed\n");
	char buf[16];
	harness_read_file(b, buf, sizeof(buf));
	EXPECT_STREQ(buf, "hardlink\n");
	harness_read_file(a, buf, sizeof(buf));
	EXPECT_STREQ(buf, "changed\n");
}

TEST(overlay_ino_stable_across_copy_up)
{
	char *f = p("ino_f");
	struct stat before = stat_of(f);
	write_all(f, O_WRONLY | O_APPEND, "more\n");
	struct stat st = stat_of(f);
	EXPECT_EQ(st.st_ino, before.st_ino);
	EXPECT_EQ(st.st_dev, before.st_dev);
	/* readdir reports the same number. */
	DIR *d = opendir(dir());
	ASSERT_TRUE(d != 0);
	struct dirent *e;
	ino_t dino = 0;
	while ((e = readdir(d)) != 0)
		if (strcmp(e->d_name, "ino_f") == 0)
			dino = e->d_ino;
	closedir(d);
	EXPECT_EQ(dino, st.st_ino);
}

TEST(overlay_st_dev_same_for_all_files)
{
	write_all(p("dev_new"), O_WRONLY | O_CREAT | O_EXCL, "n");
	dev_t dev = stat_of(dir()).st_dev;
	EXPECT_EQ(stat_of(p("read_a")).st_dev, dev);
	EXPECT_EQ(stat_of(p("rename_d")).st_dev, dev);
	EXPECT_EQ(stat_of(p("rename_d/x")).st_dev, dev);
	EXPECT_EQ(stat_of(p("dev_new")).st_dev, dev);
	ASSERT_SYSCALL_OK(unlink(p("dev_new")));
}

TEST(overlay_rdonly_fd_opened_before_copy_up)
{
	/* Since Linux 4.19 a read-only descriptor of a lower file reads the
	 * upper copy once the file is copied up. */
	char *f = p("rofd_f");
	int fd = harness_open(f, O_RDONLY);
	char buf[16] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf) - 1, 0), 7);
	EXPECT_STREQ(buf, "before\n");
	write_all(f, O_WRONLY | O_TRUNC, "after\n");
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(pread(fd, buf, sizeof(buf) - 1, 0), 6);
	EXPECT_STREQ(buf, "after\n");
	close(fd);
}
