/* mmap of files: private and shared mappings, EOF, and permission errors. */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* A file of len bytes, byte i holding 'a' + i % 26, opened with flags. */
static int make_file(const char *path, size_t len, int flags)
{
	int fd = harness_open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	static char buf[65536];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	for (size_t off = 0; off < len;) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ASSERT_EQ(pwrite(fd, buf, n, (off_t)off), n);
		off += n;
	}
	if (flags == O_RDWR)
		return fd;
	close(fd);
	fd = harness_open(path, flags);
	return fd;
}

TEST(mmap_private_sees_file_content)
{
	size_t pg = harness_page_size();
	int fd = make_file(harness_path("f"), 2 * pg, O_RDONLY);
	unsigned char *p = raw_mmap(0, 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(p[25], 'z');
	EXPECT_EQ(p[pg + 1], 'a' + (pg + 1) % 26);
	EXPECT_SYSCALL_OK(munmap(p, 2 * pg));
	/* With an offset. */
	p = raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, fd, (off_t)pg);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[0], 'a' + pg % 26);
	EXPECT_SYSCALL_OK(munmap(p, pg));
	close(fd);
}

TEST(mmap_private_writes_stay_private)
{
	size_t pg = harness_page_size();
	/* PROT_WRITE with MAP_PRIVATE is fine on a read-only descriptor. */
	int fd = make_file(harness_path("f"), pg, O_RDONLY);
	char *p = raw_mmap(0, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	memcpy(p, "PRIVATE", 7);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 7, 0), 7);
	EXPECT_STREQ(buf, "abcdefg");
	/* A second private mapping sees the file, not the first's copy. */
	char *q = raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	EXPECT_EQ(q[0], 'a');
	EXPECT_EQ(memcmp(p, "PRIVATE", 7), 0);
	EXPECT_SYSCALL_OK(munmap(q, pg));
	EXPECT_SYSCALL_OK(munmap(p, pg));
	close(fd);
}

TEST(mmap_shared_writes_visible_to_read)
{
	size_t pg = harness_page_size();
	int fd = make_file(harness_path("f"), 2 * pg, O_RDWR);
	char *p =
		raw_mmap(0, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	memcpy(p + pg + 10, "SHARED", 6);
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, 6, (off_t)pg + 10), 6);
	EXPECT_STREQ(buf, "SHARED");
	/* And write() is visible through the mapping. */
	EXPECT_EQ(pwrite(fd, "WRITE", 5, 100), 5);
	EXPECT_EQ(memcmp(p + 100, "WRITE", 5), 0);
	/* Another shared mapping of the same file sees both. */
	char *q = raw_mmap(0, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	EXPECT_EQ(memcmp(q + pg + 10, "SHARED", 6), 0);
	EXPECT_EQ(memcmp(q + 100, "WRITE", 5), 0);
	EXPECT_EQ(msync(p, 2 * pg, MS_SYNC), 0);
	EXPECT_ERRNO(msync(p, 2 * pg, MS_SYNC | MS_ASYNC), EINVAL);
	EXPECT_SYSCALL_OK(munmap(q, 2 * pg));
	EXPECT_SYSCALL_OK(munmap(p, 2 * pg));
	close(fd);
}

TEST(mmap_shared_survives_close_and_unlink)
{
	size_t pg = harness_page_size();
	char *path = harness_path("f");
	int fd = make_file(path, pg, O_RDWR);
	char *p = raw_mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	close(fd);
	p[0] = 'Z';
	char buf[2] = {0};
	fd = harness_open(path, O_RDONLY);
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	EXPECT_EQ(buf[0], 'Z');
	ASSERT_SYSCALL_OK(unlink(path));
	p[1] = 'Y';
	EXPECT_EQ(pread(fd, buf, 1, 1), 1);
	EXPECT_EQ(buf[0], 'Y');
	close(fd);
	EXPECT_SYSCALL_OK(munmap(p, pg));
}

TEST(mmap_beyond_eof)
{
	size_t pg = harness_page_size();
	/* One page and 10 bytes: the second page is partly file. */
	int fd = make_file(harness_path("f"), pg + 10, O_RDWR);
	unsigned char *p =
		raw_mmap(0, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(p[pg + 9], 'a' + (pg + 9) % 26);
	/* The rest of the last page reads as zeros... */
	int zeros = 1;
	for (size_t i = pg + 10; i < 2 * pg; i++)
		zeros &= p[i] == 0;
	EXPECT_TRUE(zeros);
	/* ...and writes there do not reach the file. */
	p[pg + 20] = 'X';
	struct stat st;
	EXPECT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, pg + 10);
	/* A page entirely past EOF raises SIGBUS. */
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p + 2 * pg, &f));
	EXPECT_EQ(f.signo, SIGBUS);
	EXPECT_EQ(f.addr, p + 2 * pg);
	/* Growing the file makes it accessible. */
	ASSERT_SYSCALL_OK(ftruncate(fd, 3 * pg));
	EXPECT_FALSE(harness_probe_read(p + 2 * pg, &f));
	EXPECT_EQ(p[2 * pg], 0);
	/* Shrinking takes it away again. */
	ASSERT_SYSCALL_OK(ftruncate(fd, pg));
	EXPECT_TRUE(harness_probe_write(p + pg, &f));
	EXPECT_EQ(f.signo, SIGBUS);
	EXPECT_SYSCALL_OK(munmap(p, 3 * pg));
	close(fd);
}

TEST(mmap_permission_errors)
{
	size_t pg = harness_page_size();
	char *path = harness_path("f");
	int rw = make_file(path, pg, O_RDWR);
	close(rw);
	int ro = (int)syscall(SYS_open, path, O_RDONLY);
	int wo = (int)syscall(SYS_open, path, O_WRONLY);
	int ap = (int)syscall(SYS_open, path, O_RDWR | O_APPEND);
	ASSERT_GE(ro, 0);
	ASSERT_GE(wo, 0);
	ASSERT_GE(ap, 0);
	/* A shared writable mapping needs a writable descriptor. */
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro,
			     0) == MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	/* Every file mapping needs a readable descriptor. */
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_SHARED, wo, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, wo, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	/* O_APPEND does not matter (only the append-only inode flag does). */
	void *p = raw_mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	if (p != MAP_FAILED)
		munmap(p, pg);
	/* A shared read-only mapping cannot be made writable later. */
	p = raw_mmap(0, pg, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_ERRNO(mprotect(p, pg, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_SYSCALL_OK(munmap(p, pg));
	close(ap);
	close(wo);
	close(ro);
}

TEST(mmap_file_argument_errors)
{
	size_t pg = harness_page_size();
	int fd = make_file(harness_path("f"), pg, O_RDWR);
	/* The offset must be page aligned. */
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_SHARED, fd, 1) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	/* A directory has no mmap. */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, d, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, ENODEV);
	close(d);
	/* Bad descriptors. */
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, -1, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EBADF);
	int p = harness_open(harness_path("f"), O_PATH);
	EXPECT_TRUE(raw_mmap(0, pg, PROT_READ, MAP_PRIVATE, p, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EBADF);
	close(p);
	close(fd);
}

TEST(mmap_empty_file_sigbus)
{
	int fd = harness_open(harness_path("empty"), O_RDWR | O_CREAT | O_EXCL,
			      0644);
	size_t pg = harness_page_size();
	/* Mapping past EOF is allowed; touching it is not. */
	char *p = raw_mmap(0, pg, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p, &f));
	EXPECT_EQ(f.signo, SIGBUS);
	EXPECT_SYSCALL_OK(munmap(p, pg));
	close(fd);
}

TEST(mmap_shared_tmpfs_file_between_mappings)
{
	size_t pg = harness_page_size();
	int fd = make_file(harness_shm_path("f"), 4 * pg, O_RDWR);
	unsigned char *a =
		raw_mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *b = raw_mmap(0, 2 * pg, PROT_READ | PROT_WRITE,
				    MAP_SHARED, fd, (off_t)(2 * pg));
	ASSERT_TRUE(a != MAP_FAILED);
	ASSERT_TRUE(b != MAP_FAILED);
	a[2 * pg + 5] = 0xee;
	EXPECT_EQ(b[5], 0xee);
	b[pg] = 0x11;
	EXPECT_EQ(a[3 * pg], 0x11);
	EXPECT_SYSCALL_OK(munmap(b, 2 * pg));
	EXPECT_SYSCALL_OK(munmap(a, 4 * pg));
	close(fd);
}
