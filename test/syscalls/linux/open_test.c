/* open on files and directories: flags, creation, O_PATH and path errors. */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

static long raw_open(const char *path, int flags, mode_t mode)
{
	return syscall(SYS_open, path, flags, mode);
}

static off_t file_size(int fd)
{
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	return st.st_size;
}

TEST(open_creat_mode_and_umask)
{
	harness_umask(022);
	char *p = harness_path("f");
	long fd = raw_open(p, O_RDWR | O_CREAT, 0777);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0755);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_uid, geteuid());
	close((int)fd);

	/* File-type bits in the mode are ignored by open (not by openat2). */
	harness_umask(0);
	fd = raw_open(harness_path("g"), O_WRONLY | O_CREAT, S_IFDIR | 0640);
	ASSERT_GE(fd, 0);
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0640);
	close((int)fd);
}

TEST(open_creat_existing_keeps_content)
{
	char *p = harness_path("f");
	harness_write_file(p, "hello", 5, 0600);
	/* The mode argument is ignored when the file exists. */
	long fd = raw_open(p, O_RDWR | O_CREAT, 0777);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(file_size((int)fd), 5);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	close((int)fd);
}

TEST(open_creat_excl_eexist)
{
	char *f = harness_path("f"), *d = harness_path("d");
	char *dangling = harness_path("dangling");
	harness_write_file(f, "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	ASSERT_SYSCALL_OK(symlink(harness_path("nowhere"), dangling));
	EXPECT_ERRNO(raw_open(f, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	EXPECT_ERRNO(raw_open(d, O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	/* O_EXCL does not follow a symlink, even a dangling one. */
	EXPECT_ERRNO(raw_open(dangling, O_WRONLY | O_CREAT | O_EXCL, 0644),
		     EEXIST);
	struct stat st;
	EXPECT_ERRNO(stat(harness_path("nowhere"), &st), ENOENT);
	/* Without O_CREAT, O_EXCL on a regular file is ignored. */
	long fd = raw_open(f, O_RDONLY | O_EXCL, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
}

TEST(open_creat_through_dangling_symlink)
{
	char *target = harness_path("target"), *link = harness_path("link");
	ASSERT_SYSCALL_OK(symlink(target, link));
	/* Without O_EXCL, O_CREAT follows the link and creates its target. */
	long fd = raw_open(link, O_WRONLY | O_CREAT, 0644);
	ASSERT_GE(fd, 0);
	close((int)fd);
	struct stat st;
	EXPECT_SYSCALL_OK(lstat(target, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_SYSCALL_OK(lstat(link, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(open_enoent)
{
	EXPECT_ERRNO(raw_open(harness_path("missing"), O_RDONLY, 0), ENOENT);
	EXPECT_ERRNO(raw_open(harness_path("missing/f"), O_RDONLY, 0), ENOENT);
	EXPECT_ERRNO(raw_open(harness_path("missing/f"), O_RDWR | O_CREAT,
			      0644),
		     ENOENT);
	EXPECT_ERRNO(raw_open("", O_RDONLY, 0), ENOENT);
	EXPECT_ERRNO(raw_open("", O_RDWR | O_CREAT, 0644), ENOENT);
}

TEST(open_enotdir)
{
	char *f = harness_path("f");
	harness_write_file(f, "x", 1, 0644);
	EXPECT_ERRNO(raw_open(f, O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
	EXPECT_ERRNO(raw_open(harness_path("f/x"), O_RDONLY, 0), ENOTDIR);
	EXPECT_ERRNO(raw_open(harness_path("f/x"), O_RDWR | O_CREAT, 0644),
		     ENOTDIR);
	/* A trailing slash asks for a directory. */
	EXPECT_ERRNO(raw_open(harness_path("f/"), O_RDONLY, 0), ENOTDIR);
	/* O_DIRECTORY through a symlink to a file. */
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink(f, l));
	EXPECT_ERRNO(raw_open(l, O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
}

TEST(open_directory_ok)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	long fd = raw_open(d, O_RDONLY | O_DIRECTORY, 0);
	ASSERT_GE(fd, 0);
	char buf[8];
	EXPECT_ERRNO(read((int)fd, buf, sizeof(buf)), EISDIR);
	close((int)fd);
	fd = raw_open(harness_path("d/"), O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
}

TEST(open_dir_for_write_eisdir)
{
	char *d = harness_path("d");
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	EXPECT_ERRNO(raw_open(d, O_WRONLY, 0), EISDIR);
	EXPECT_ERRNO(raw_open(d, O_RDWR, 0), EISDIR);
	EXPECT_ERRNO(raw_open(d, O_RDONLY | O_TRUNC, 0), EISDIR);
	/* O_CREAT without O_EXCL on an existing directory. */
	EXPECT_ERRNO(raw_open(d, O_RDONLY | O_CREAT, 0644), EISDIR);
	/* O_CREAT of a missing name with a trailing slash. */
	EXPECT_ERRNO(raw_open(harness_path("new/"), O_RDWR | O_CREAT, 0644),
		     EISDIR);
	struct stat st;
	EXPECT_ERRNO(stat(harness_path("new"), &st), ENOENT);
}

TEST(open_trunc)
{
	char *f = harness_path("f");
	harness_write_file(f, "0123456789", 10, 0644);
	long fd = raw_open(f, O_WRONLY | O_TRUNC, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(file_size((int)fd), 0);
	EXPECT_EQ(write((int)fd, "ab", 2), 2);
	close((int)fd);
	/* Linux truncates even with O_RDONLY (POSIX leaves it undefined). */
	fd = raw_open(f, O_RDONLY | O_TRUNC, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(file_size((int)fd), 0);
	close((int)fd);
	/* O_TRUNC of an empty file and with O_CREAT of a new one. */
	fd = raw_open(harness_path("g"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(file_size((int)fd), 0);
	close((int)fd);
}

TEST(open_append_writes_at_end)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	long fd = raw_open(f, O_RDWR | O_APPEND, 0);
	ASSERT_GE(fd, 0);
	/* The offset starts at 0 for reading. */
	EXPECT_EQ(lseek((int)fd, 0, SEEK_CUR), 0);
	EXPECT_EQ(write((int)fd, "de", 2), 2);
	EXPECT_EQ(lseek((int)fd, 0, SEEK_CUR), 5);
	ASSERT_EQ(lseek((int)fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write((int)fd, "f", 1), 1);
	EXPECT_EQ(lseek((int)fd, 0, SEEK_CUR), 6);
	char buf[16] = {0};
	EXPECT_EQ(pread((int)fd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "abcdef");
	close((int)fd);
}

TEST(open_nofollow)
{
	char *f = harness_path("f"), *l = harness_path("l");
	char *d = harness_path("d"), *dl = harness_path("dl");
	harness_write_file(f, "x", 1, 0644);
	ASSERT_SYSCALL_OK(symlink(f, l));
	ASSERT_SYSCALL_OK(mkdir(d, 0755));
	harness_write_file(harness_path("d/g"), "y", 1, 0644);
	ASSERT_SYSCALL_OK(symlink(d, dl));
	EXPECT_ERRNO(raw_open(l, O_RDONLY | O_NOFOLLOW, 0), ELOOP);
	EXPECT_ERRNO(raw_open(l, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), ELOOP);
	/* With O_DIRECTORY, the unfollowed link is "not a directory". */
	EXPECT_ERRNO(raw_open(dl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0),
		     ENOTDIR);
	EXPECT_ERRNO(raw_open(dl, O_RDONLY | O_NOFOLLOW, 0), ELOOP);
	/* Only the last component is affected. */
	long fd = raw_open(harness_path("dl/g"), O_RDONLY | O_NOFOLLOW, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
	/* O_NOFOLLOW on a file that is not a link is a plain open. */
	fd = raw_open(f, O_RDONLY | O_NOFOLLOW, 0);
	EXPECT_GE(fd, 0);
	close((int)fd);
}

TEST(open_path_basics)
{
	char *f = harness_path("f");
	harness_write_file(f, "data", 4, 0);
	long fd = raw_open(f, O_PATH, 0);
	ASSERT_GE(fd, 0);
	char buf[4];
	EXPECT_ERRNO(read((int)fd, buf, 1), EBADF);
	EXPECT_ERRNO(write((int)fd, "x", 1), EBADF);
	EXPECT_ERRNO(fchmod((int)fd, 0644), EBADF);
	EXPECT_ERRNO(syscall(SYS_ftruncate, (int)fd, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_lseek, (int)fd, 0, SEEK_SET), EBADF);
	EXPECT_TRUE(mmap(0, 4096, PROT_READ, MAP_PRIVATE, (int)fd, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EBADF);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_EQ(st.st_size, 4);
	long fl = syscall(SYS_fcntl, (int)fd, F_GETFL);
	EXPECT_TRUE(fl & O_PATH);
	long d = syscall(SYS_dup, (int)fd);
	EXPECT_GE(d, 0);
	close((int)d);
	close((int)fd);
}

TEST(open_path_on_symlink_with_nofollow)
{
	char *l = harness_path("l");
	ASSERT_SYSCALL_OK(symlink("nowhere", l));
	/* O_PATH | O_NOFOLLOW opens the link itself. */
	long fd = raw_open(l, O_PATH | O_NOFOLLOW, 0);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_size, 7);
	char buf[16];
	EXPECT_EQ(readlinkat((int)fd, "", buf, sizeof(buf)), 7);
	close((int)fd);
	/* Following it fails: the target is missing. */
	EXPECT_ERRNO(raw_open(l, O_PATH, 0), ENOENT);
}

TEST(open_cloexec_and_lowest_fd)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	int want = harness_free_fd(0);
	long fd = raw_open(f, O_RDONLY | O_CLOEXEC, 0);
	ASSERT_EQ(fd, want);
	EXPECT_EQ(syscall(SYS_fcntl, (int)fd, F_GETFD), FD_CLOEXEC);
	long fd2 = raw_open(f, O_RDONLY, 0);
	EXPECT_EQ(syscall(SYS_fcntl, (int)fd2, F_GETFD), 0);
	close((int)fd2);
	close((int)fd);
}

TEST(open_efault)
{
	EXPECT_ERRNO(raw_open((const char *)1, O_RDONLY, 0), EFAULT);
	void *gone = harness_unmapped(harness_page_size());
	EXPECT_ERRNO(raw_open(gone, O_RDONLY, 0), EFAULT);
	EXPECT_ERRNO(raw_open(gone, O_RDWR | O_CREAT, 0644), EFAULT);
}

TEST(open_component_too_long)
{
	char name[NAME_MAX + 2];
	memset(name, 'a', NAME_MAX + 1);
	name[NAME_MAX + 1] = 0;
	/* 256 bytes: too long, whether it exists or not. */
	EXPECT_ERRNO(raw_open(harness_path(name), O_RDONLY, 0), ENAMETOOLONG);
	EXPECT_ERRNO(raw_open(harness_path(name), O_RDWR | O_CREAT, 0644),
		     ENAMETOOLONG);
	EXPECT_ERRNO(raw_open(harness_strf("%s/x", harness_path(name)),
			      O_RDONLY, 0),
		     ENAMETOOLONG);
	/* 255 bytes is allowed. */
	name[NAME_MAX] = 0;
	long fd = raw_open(harness_path(name), O_RDWR | O_CREAT, 0644);
	EXPECT_GE(fd, 0);
	close((int)fd);
}

TEST(open_path_too_long)
{
	/*
	 * PATH_MAX counts the terminating NUL: a 4095-byte path is resolved,
	 * a 4096-byte one is refused before resolution.
	 */
	const char *dir = harness_tmpdir();
	harness_write_file(harness_path("f"), "", 0, 0644);
	size_t dl = strlen(dir);
	char *p = malloc(PATH_MAX + 2);
	ASSERT_TRUE(p != 0);
	/* dir + "/" * k + "f" with length PATH_MAX - 1. */
	memcpy(p, dir, dl);
	size_t slashes = PATH_MAX - 1 - dl - 1;
	memset(p + dl, '/', slashes);
	p[dl + slashes] = 'f';
	p[dl + slashes + 1] = 0;
	long fd = raw_open(p, O_RDONLY, 0);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close((int)fd);
	/* One more slash: PATH_MAX bytes without the NUL. */
	memset(p + dl, '/', slashes + 1);
	p[dl + slashes + 1] = 'f';
	p[dl + slashes + 2] = 0;
	EXPECT_ERRNO(raw_open(p, O_RDONLY, 0), ENAMETOOLONG);
	free(p);
}

TEST(open_tmpfile)
{
	const char *dir = harness_tmpdir();
	long fd = raw_open(dir, O_TMPFILE | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	struct stat st;
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(write((int)fd, "tmp", 3), 3);
	/* Give it a name through the /proc magic link. */
	char *name = harness_path("named");
	char *proc = harness_strf("/proc/self/fd/%ld", fd);
	EXPECT_SYSCALL_OK(
		linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
	EXPECT_SYSCALL_OK(fstat((int)fd, &st));
	EXPECT_EQ(st.st_nlink, 1);
	char buf[8];
	EXPECT_EQ(harness_read_file(name, buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "tmp");
	close((int)fd);
	/* O_TMPFILE | O_EXCL cannot be linked. */
	fd = raw_open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	ASSERT_GE(fd, 0);
	proc = harness_strf("/proc/self/fd/%ld", fd);
	EXPECT_ERRNO(linkat(AT_FDCWD, proc, AT_FDCWD, harness_path("n2"),
			    AT_SYMLINK_FOLLOW),
		     ENOENT);
	close((int)fd);
}

TEST(open_tmpfile_errors)
{
	char *f = harness_path("f");
	harness_write_file(f, "", 0, 0644);
	/* It needs write access. */
	EXPECT_ERRNO(raw_open(harness_tmpdir(), O_TMPFILE | O_RDONLY, 0600),
		     EINVAL);
	EXPECT_ERRNO(raw_open(f, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	EXPECT_ERRNO(raw_open(harness_path("missing"), O_TMPFILE | O_RDWR,
			      0600),
		     ENOENT);
}

TEST(read_write_mode_ebadf)
{
	char *f = harness_path("f");
	harness_write_file(f, "abc", 3, 0644);
	char buf[4];
	long fd = raw_open(f, O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	EXPECT_ERRNO(write((int)fd, "x", 1), EBADF);
	close((int)fd);
	fd = raw_open(f, O_WRONLY, 0);
	ASSERT_GE(fd, 0);
	EXPECT_ERRNO(read((int)fd, buf, 1), EBADF);
	close((int)fd);
}
