/*
 * Permission checks as a non-root user: files are made as root in the temp
 * dir, then the test switches its effective uid and gid to 65534 (nobody)
 * with harness_set_eids; the harness switches back after every test.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define NOBODY 65534

/* Skips unless the test can switch ids; makes the temp dir searchable. */
static void setup(void)
{
	if (geteuid() != 0 || getuid() != 0)
		SKIP("needs real and effective uid 0 to switch to nobody");
	ASSERT_SYSCALL_OK(chmod(harness_tmpdir(), 0755));
}

static char *root_file(const char *name, mode_t mode)
{
	char *p = harness_path(name);
	harness_write_file(p, "root data", 9, 0600);
	ASSERT_SYSCALL_OK(chmod(p, mode));
	return p;
}

static char *root_dir(const char *name, mode_t mode)
{
	char *p = harness_path(name);
	ASSERT_SYSCALL_OK(mkdir(p, 0700));
	ASSERT_SYSCALL_OK(chmod(p, mode));
	return p;
}

TEST(perm_open_file_modes)
{
	setup();
	char *secret = root_file("secret", 0600);
	char *readable = root_file("readable", 0644);
	char *writable = root_file("writable", 0602);
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(syscall(SYS_open, secret, O_RDONLY), EACCES);
	EXPECT_ERRNO(syscall(SYS_open, secret, O_WRONLY), EACCES);
	long fd = syscall(SYS_open, readable, O_RDONLY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	EXPECT_ERRNO(syscall(SYS_open, readable, O_RDWR), EACCES);
	EXPECT_ERRNO(syscall(SYS_open, readable, O_WRONLY | O_TRUNC), EACCES);
	fd = syscall(SYS_open, writable, O_WRONLY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	EXPECT_ERRNO(syscall(SYS_open, writable, O_RDONLY), EACCES);
	/* O_PATH needs no permission on the file itself. */
	fd = syscall(SYS_open, secret, O_PATH);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	/* Nor does stat. */
	struct stat st;
	EXPECT_SYSCALL_OK(stat(secret, &st));
}

TEST(perm_write_into_root_dir)
{
	setup();
	char *dir = root_dir("dir", 0755);
	harness_write_file(harness_path("dir/f"), "", 0, 0666);
	ASSERT_SYSCALL_OK(chmod(harness_path("dir/f"), 0666));
	ASSERT_SYSCALL_OK(mkdir(harness_path("dir/sub"), 0777));
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(syscall(SYS_open, harness_path("dir/new"),
			     O_WRONLY | O_CREAT, 0644),
		     EACCES);
	EXPECT_ERRNO(mkdir(harness_path("dir/newdir"), 0755), EACCES);
	EXPECT_ERRNO(symlink("x", harness_path("dir/link")), EACCES);
	EXPECT_ERRNO(mknod(harness_path("dir/fifo"), S_IFIFO | 0644, 0),
		     EACCES);
	EXPECT_ERRNO(unlink(harness_path("dir/f")), EACCES);
	EXPECT_ERRNO(rmdir(harness_path("dir/sub")), EACCES);
	EXPECT_ERRNO(rename(harness_path("dir/f"), harness_path("dir/g")),
		     EACCES);
	/*
	 * (link is left out: fs.protected_hardlinks may refuse it with EPERM
	 * before the directory is checked.)
	 */
	/* The files themselves are world-writable. */
	long fd = syscall(SYS_open, harness_path("dir/f"), O_WRONLY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	/* An existing name is EEXIST before the permission check. */
	EXPECT_ERRNO(mkdir(harness_path("dir/sub"), 0755), EEXIST);
	(void)dir;
}

TEST(perm_search_dir)
{
	setup();
	root_dir("closed", 0700);
	harness_write_file(harness_path("closed/f"), "", 0, 0644);
	root_dir("searchonly", 0711);
	harness_write_file(harness_path("searchonly/f"), "x", 1, 0644);
	root_dir("listonly", 0744);
	harness_write_file(harness_path("listonly/f"), "", 0, 0644);
	harness_set_eids(NOBODY, NOBODY);
	struct stat st;
	/* No search permission: nothing below is reachable. */
	EXPECT_ERRNO(stat(harness_path("closed/f"), &st), EACCES);
	EXPECT_ERRNO(stat(harness_path("closed/missing"), &st), EACCES);
	EXPECT_ERRNO(syscall(SYS_open, harness_path("closed"),
			     O_RDONLY | O_DIRECTORY),
		     EACCES);
	EXPECT_ERRNO(chdir(harness_path("closed")), EACCES);
	/* The directory itself can still be stat'ed. */
	EXPECT_SYSCALL_OK(stat(harness_path("closed"), &st));
	/* Search but no read: known names work, listing does not. */
	char buf[4];
	EXPECT_EQ(harness_read_file(harness_path("searchonly/f"), buf,
				    sizeof(buf)),
		  1);
	EXPECT_ERRNO(syscall(SYS_open, harness_path("searchonly"),
			     O_RDONLY | O_DIRECTORY),
		     EACCES);
	/* Read but no search: listing works, names inside do not. */
	long fd = syscall(SYS_open, harness_path("listonly"),
			  O_RDONLY | O_DIRECTORY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	EXPECT_ERRNO(stat(harness_path("listonly/f"), &st), EACCES);
}

TEST(perm_chmod_chown_not_owner)
{
	setup();
	char *f = root_file("f", 0666);
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(chmod(f, 0777), EPERM);
	EXPECT_ERRNO(chown(f, NOBODY, NOBODY), EPERM);
	long fd = syscall(SYS_open, f, O_RDWR);
	ASSERT_GE(fd, 0);
	/* Owning the file, not the descriptor's mode, is what counts. */
	EXPECT_ERRNO(fchmod((int)fd, 0777), EPERM);
	EXPECT_ERRNO(fchown((int)fd, -1, NOBODY), EPERM);
	close((int)fd);
	harness_restore_eids();
	struct stat st;
	ASSERT_SYSCALL_OK(stat(f, &st));
	EXPECT_EQ(st.st_mode & 07777, 0666);
	EXPECT_EQ(st.st_uid, 0);
}

TEST(perm_owner_may_chmod_but_not_give_away)
{
	setup();
	char *f = root_file("f", 0644);
	ASSERT_SYSCALL_OK(chown(f, NOBODY, NOBODY));
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_EQ(chmod(f, 0600), 0);
	EXPECT_ERRNO(chown(f, 0, -1), EPERM);
	/* chown to oneself, or -1, is allowed. */
	EXPECT_EQ(chown(f, NOBODY, -1), 0);
	EXPECT_EQ(chown(f, -1, -1), 0);
	EXPECT_ERRNO(chown(f, -1, 0), EPERM);
}

TEST(perm_utimensat)
{
	setup();
	char *f = root_file("f", 0666), *g = root_file("g", 0644);
	harness_set_eids(NOBODY, NOBODY);
	/* "Now" needs write access... */
	EXPECT_EQ(utimensat(AT_FDCWD, f, 0, 0), 0);
	EXPECT_ERRNO(utimensat(AT_FDCWD, g, 0, 0), EACCES);
	/* ...explicit times need ownership. */
	struct timespec ts[2] = {{1, 0}, {1, 0}};
	EXPECT_ERRNO(utimensat(AT_FDCWD, f, ts, 0), EPERM);
	EXPECT_ERRNO(utimensat(AT_FDCWD, g, ts, 0), EPERM);
}

TEST(perm_truncate_and_xattr)
{
	setup();
	char *f = root_file("f", 0644);
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(truncate(f, 0), EACCES);
	EXPECT_ERRNO(setxattr(f, "user.k", "v", 1, 0), EACCES);
	char buf[4];
	/* Reading a missing user xattr of a readable file is fine. */
	EXPECT_ERRNO(getxattr(f, "user.k", buf, sizeof(buf)), ENODATA);
}

TEST(perm_sticky_directory)
{
	setup();
	/* Like /tmp: world-writable with the sticky bit. */
	root_dir("sticky", 01777);
	harness_write_file(harness_path("sticky/rootfile"), "", 0, 0666);
	ASSERT_SYSCALL_OK(chmod(harness_path("sticky/rootfile"), 0666));
	harness_set_eids(NOBODY, NOBODY);
	/* Another user's file: writable, but not removable or renamable. */
	EXPECT_ERRNO(unlink(harness_path("sticky/rootfile")), EPERM);
	EXPECT_ERRNO(rename(harness_path("sticky/rootfile"), harness_path("stic"
									  "ky/"
									  "min"
									  "e")),
		     EPERM);
	/* One's own file is. */
	harness_write_file(harness_path("sticky/own"), "", 0, 0644);
	EXPECT_EQ(rename(harness_path("sticky/own"), harness_path("sticky/"
								  "own2")),
		  0);
	EXPECT_EQ(unlink(harness_path("sticky/own2")), 0);
	harness_restore_eids();
	struct stat st;
	EXPECT_SYSCALL_OK(stat(harness_path("sticky/rootfile"), &st));
}

TEST(perm_new_files_owned_by_effective_ids)
{
	setup();
	root_dir("open", 0777);
	harness_set_eids(NOBODY, NOBODY);
	harness_write_file(harness_path("open/f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("open/d"), 0755));
	harness_restore_eids();
	struct stat st;
	ASSERT_SYSCALL_OK(stat(harness_path("open/f"), &st));
	EXPECT_EQ(st.st_uid, NOBODY);
	EXPECT_EQ(st.st_gid, NOBODY);
	ASSERT_SYSCALL_OK(stat(harness_path("open/d"), &st));
	EXPECT_EQ(st.st_uid, NOBODY);
	EXPECT_EQ(st.st_gid, NOBODY);
}

TEST(perm_setgid_directory_inherits_group)
{
	setup();
	char *d = root_dir("sgid", 0777);
	ASSERT_SYSCALL_OK(chown(d, 0, 1234));
	ASSERT_SYSCALL_OK(chmod(d, 02777));
	harness_set_eids(NOBODY, NOBODY);
	harness_write_file(harness_path("sgid/f"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("sgid/sub"), 0755));
	harness_restore_eids();
	struct stat st;
	ASSERT_SYSCALL_OK(stat(harness_path("sgid/f"), &st));
	EXPECT_EQ(st.st_uid, NOBODY);
	EXPECT_EQ(st.st_gid, 1234);
	/* Subdirectories inherit the setgid bit itself. */
	ASSERT_SYSCALL_OK(stat(harness_path("sgid/sub"), &st));
	EXPECT_EQ(st.st_gid, 1234);
	EXPECT_TRUE(st.st_mode & S_ISGID);
}

TEST(perm_mknod_device_eperm)
{
	setup();
	root_dir("open", 0777);
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(mknod(harness_path("open/null"), S_IFCHR | 0666,
			   makedev(1, 3)),
		     EPERM);
	/* FIFOs and regular files need no privilege. */
	EXPECT_EQ(mknod(harness_path("open/fifo"), S_IFIFO | 0644, 0), 0);
}

TEST(perm_root_bypasses_modes)
{
	setup();
	char *f = root_file("f", 0);
	root_dir("closed", 0);
	long fd = syscall(SYS_open, f, O_RDWR);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	harness_write_file(harness_path("closed/inside"), "", 0, 0);
	/* Switching to nobody and back restores root's powers. */
	harness_set_eids(NOBODY, NOBODY);
	EXPECT_ERRNO(syscall(SYS_open, f, O_RDONLY), EACCES);
	harness_restore_eids();
	fd = syscall(SYS_open, f, O_RDONLY);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
}
