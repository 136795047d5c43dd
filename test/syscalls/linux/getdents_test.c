/* getdents64 and getdents: listing, rewinding, d_off and errors. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

struct entry {
	char name[256];
	uint64_t ino;
	int64_t off;
	unsigned char type;
};

/* Reads the rest of the directory in calls of bufsize bytes. */
static int read_all(int fd, size_t bufsize, struct entry *out, int max)
{
	char *buf = malloc(bufsize);
	ASSERT_TRUE(buf != 0);
	int n = 0;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, bufsize);
		if (got < 0) {
			harness_fail(__FILE__, __LINE__, "getdents64: %s",
				     harness_errno_name(errno));
			break;
		}
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct dirent64 *d = (void *)(buf + off);
			if (d->d_reclen == 0 || off + d->d_reclen > got) {
				harness_fail(__FILE__, __LINE__,
					     "bad d_reclen %d at %ld of %ld",
					     d->d_reclen, off, got);
				free(buf);
				return n;
			}
			if (n < max) {
				snprintf(out[n].name, sizeof(out[n].name), "%s",
					 d->d_name);
				out[n].ino = d->d_ino;
				out[n].off = d->d_off;
				out[n].type = d->d_type;
			}
			n++;
			off += d->d_reclen;
		}
	}
	free(buf);
	return n;
}

static const struct entry *find(const struct entry *e, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return &e[i];
	return 0;
}

static int open_dir(const char *path)
{
	return harness_open(path, O_RDONLY | O_DIRECTORY);
}

/* The temp dir with files a, b, c, directory d and symlink l. */
static void populate(void)
{
	harness_write_file(harness_path("a"), "", 0, 0644);
	harness_write_file(harness_path("b"), "", 0, 0644);
	harness_write_file(harness_path("c"), "", 0, 0644);
	ASSERT_SYSCALL_OK(mkdir(harness_path("d"), 0755));
	ASSERT_SYSCALL_OK(symlink("a", harness_path("l")));
}

TEST(getdents64_lists_everything)
{
	populate();
	int fd = open_dir(harness_tmpdir());
	struct entry e[16];
	int n = read_all(fd, 4096, e, 16);
	ASSERT_EQ(n, 7);
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = {{".", DT_DIR}, {"..", DT_DIR}, {"a", DT_REG}, {"b", DT_REG},
		    {"c", DT_REG}, {"d", DT_DIR},  {"l", DT_LNK}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct entry *x = find(e, n, want[i].name);
		if (!x) {
			harness_fail(__FILE__, __LINE__, "no entry %s",
				     want[i].name);
			continue;
		}
		EXPECT_EQ(x->type, want[i].type);
	}
	/* d_ino matches st_ino for entries and for ".". */
	struct stat st;
	ASSERT_SYSCALL_OK(lstat(harness_path("a"), &st));
	EXPECT_EQ(find(e, n, "a")->ino, st.st_ino);
	ASSERT_SYSCALL_OK(lstat(harness_path("l"), &st));
	EXPECT_EQ(find(e, n, "l")->ino, st.st_ino);
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(find(e, n, ".")->ino, st.st_ino);
	/* At the end, further calls return 0. */
	char buf[256];
	EXPECT_EQ(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	close(fd);
}

TEST(getdents64_empty_directory)
{
	int fd = open_dir(harness_tmpdir());
	struct entry e[4];
	int n = read_all(fd, 4096, e, 4);
	EXPECT_EQ(n, 2);
	EXPECT_TRUE(find(e, n, ".") != 0);
	EXPECT_TRUE(find(e, n, "..") != 0);
	close(fd);
}

TEST(getdents64_rewind)
{
	populate();
	int fd = open_dir(harness_tmpdir());
	struct entry e1[16], e2[16];
	int n1 = read_all(fd, 4096, e1, 16);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* An entry created meanwhile shows up after the rewind. */
	harness_write_file(harness_path("new"), "", 0, 0644);
	int n2 = read_all(fd, 4096, e2, 16);
	EXPECT_EQ(n1, 7);
	EXPECT_EQ(n2, 8);
	EXPECT_TRUE(find(e2, n2, "new") != 0);
	for (int i = 0; i < n1 && i < 16; i++)
		EXPECT_TRUE(find(e2, n2, e1[i].name) != 0);
	close(fd);
}

TEST(getdents64_small_buffers)
{
	populate();
	for (int i = 0; i < 20; i++) {
		char *name = harness_strf("file-with-a-longer-name-%02d", i);
		harness_write_file(harness_path(name), "", 0, 0644);
	}
	int fd = open_dir(harness_tmpdir());
	struct entry big[64], small[64];
	int nbig = read_all(fd, 32768, big, 64);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* 64 bytes holds one entry at a time; every entry still comes once. */
	int nsmall = read_all(fd, 64, small, 64);
	EXPECT_EQ(nbig, 27);
	EXPECT_EQ(nsmall, nbig);
	for (int i = 0; i < nbig && i < 64; i++) {
		int count = 0;
		for (int j = 0; j < nsmall && j < 64; j++)
			count += strcmp(big[i].name, small[j].name) == 0;
		EXPECT_EQ(count, 1);
	}
	close(fd);
}

TEST(getdents64_buffer_too_small_einval)
{
	populate();
	int fd = open_dir(harness_tmpdir());
	char buf[64];
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, 0), EINVAL);
	/* 19 bytes of header plus "." and its NUL, rounded to 8, is 24. */
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, 23), EINVAL);
	/* The failed calls consumed nothing. */
	struct entry e[16];
	EXPECT_EQ(read_all(fd, 4096, e, 16), 7);
	close(fd);
}

TEST(getdents64_seek_to_d_off)
{
	populate();
	int fd = open_dir(harness_tmpdir());
	struct entry e[16];
	int n = read_all(fd, 4096, e, 16);
	ASSERT_EQ(n, 7);
	/* d_off of entry i is where entry i + 1 starts. */
	for (int i = 0; i + 1 < n; i++) {
		ASSERT_EQ(lseek(fd, e[i].off, SEEK_SET), e[i].off);
		struct entry rest[16];
		int m = read_all(fd, 4096, rest, 16);
		EXPECT_EQ(m, n - i - 1);
		if (m > 0)
			EXPECT_STREQ(rest[0].name, e[i + 1].name);
	}
	close(fd);
}

TEST(getdents64_errors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	char buf[256];
	int f = harness_open(harness_path("f"), O_RDONLY);
	EXPECT_ERRNO(syscall(SYS_getdents64, f, buf, sizeof(buf)), ENOTDIR);
	close(f);
	EXPECT_ERRNO(syscall(SYS_getdents64, -1, buf, sizeof(buf)), EBADF);
	int p = harness_open(harness_tmpdir(), O_PATH | O_DIRECTORY);
	EXPECT_ERRNO(syscall(SYS_getdents64, p, buf, sizeof(buf)), EBADF);
	close(p);
	int d = open_dir(harness_tmpdir());
	EXPECT_ERRNO(syscall(SYS_getdents64, d, (void *)1, sizeof(buf)),
		     EFAULT);
	close(d);
}

TEST(getdents64_removed_directory_enoent)
{
	char *sub = harness_path("sub");
	ASSERT_SYSCALL_OK(mkdir(sub, 0755));
	int fd = open_dir(sub);
	ASSERT_SYSCALL_OK(rmdir(sub));
	char buf[256];
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOENT);
	close(fd);
}

/* The old getdents record: the type is the last byte of the record. */
struct linux_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

TEST(getdents_old_abi)
{
	populate();
	int fd = open_dir(harness_tmpdir());
	char buf[4096] __attribute__((aligned(8)));
	long got = syscall(SYS_getdents, fd, buf, sizeof(buf));
	ASSERT_GT(got, 0);
	int seen = 0, dir_type_ok = 0;
	for (long off = 0; off < got;) {
		struct linux_dirent *d = (void *)(buf + off);
		char type = buf[off + d->d_reclen - 1];
		seen++;
		if (strcmp(d->d_name, "d") == 0)
			dir_type_ok = type == DT_DIR;
		off += d->d_reclen;
	}
	EXPECT_EQ(seen, 7);
	EXPECT_TRUE(dir_type_ok);
	/* Too small for the next entry; at the end it would just return 0. */
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_ERRNO(syscall(SYS_getdents, fd, buf, 1), EINVAL);
	close(fd);
}
