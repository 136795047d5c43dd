/*
 * POSIX shared memory: shm_open, ftruncate, mmap and shm_unlink through
 * /dev/shm, shared between a parent and a forked child.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* A name of this run (natively /dev/shm is the host's). */
static const char *shm_name(int n)
{
	return harness_strf("/bulwark-psm-%d-%d", (int)getpid(), n);
}

static void unlink_deferred(void *arg)
{
	/* It may be gone already. */
	shm_unlink(arg);
}

/* shm_open with O_CREAT | O_EXCL that must work; unlinked after the test. */
static int create(const char *name, mode_t mode)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, mode);
	ASSERT_GE(fd, 0);
	harness_defer(unlink_deferred, (void *)name);
	return fd;
}

struct child_arg {
	const char *name;
	char *map;
	size_t len;
};

static void child_writes(void *arg)
{
	struct child_arg *ca = arg;
	/* Through the mapping inherited across fork... */
	strcpy(ca->map, "inherited mapping");
	/* ...and through a new one of the file opened by name. */
	int fd = shm_open(ca->name, O_RDWR, 0);
	ASSERT_GE(fd, 0);
	char *p = mmap(0, ca->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	close(fd);
	EXPECT_STREQ(p + 100, "from the parent");
	strcpy(p + 200, "opened by name");
	munmap(p, ca->len);
}

TEST(posix_shm_shared_with_child)
{
	size_t len = 2 * harness_page_size();
	const char *name = shm_name(1);
	harness_umask(0);
	int fd = create(name, 0600);
	ASSERT_SYSCALL_OK(ftruncate(fd, (off_t)len));
	struct stat st;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	EXPECT_EQ(st.st_size, len);
	EXPECT_EQ(st.st_mode & 07777, 0600);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	char *map = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	close(fd);
	strcpy(map + 100, "from the parent");
	struct child_arg ca = {name, map, len};
	pid_t pid = harness_fork_child(child_writes, &ca);
	EXPECT_CHILD_EXIT(pid, 0);
	EXPECT_STREQ(map, "inherited mapping");
	EXPECT_STREQ(map + 200, "opened by name");
	/* The file shows the same bytes. */
	char buf[32] = {0};
	fd = shm_open(name, O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(pread(fd, buf, 14, 200), 14);
	EXPECT_STREQ(buf, "opened by name");
	close(fd);
	EXPECT_SYSCALL_OK(munmap(map, len));
}

TEST(posix_shm_lives_in_dev_shm)
{
	const char *name = shm_name(2);
	int fd = create(name, 0600);
	struct stat st, via_path;
	ASSERT_SYSCALL_OK(fstat(fd, &st));
	ASSERT_SYSCALL_OK(stat(harness_strf("/dev/shm%s", name), &via_path));
	EXPECT_EQ(st.st_ino, via_path.st_ino);
	EXPECT_EQ(st.st_dev, via_path.st_dev);
	close(fd);
}

TEST(posix_shm_open_and_unlink_errors)
{
	size_t pg = harness_page_size();
	const char *name = shm_name(3);
	int fd = create(name, 0600);
	EXPECT_ERRNO(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
	ASSERT_SYSCALL_OK(ftruncate(fd, (off_t)pg));
	char *map = mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	ASSERT_SYSCALL_OK(shm_unlink(name));
	EXPECT_ERRNO(shm_open(name, O_RDWR, 0), ENOENT);
	EXPECT_ERRNO(shm_unlink(name), ENOENT);
	/* The mapping and the descriptor outlive the name. */
	map[0] = 'z';
	char c = 0;
	EXPECT_EQ(pread(fd, &c, 1, 0), 1);
	EXPECT_EQ(c, 'z');
	EXPECT_SYSCALL_OK(munmap(map, pg));
	close(fd);
}

TEST(posix_shm_readonly_open)
{
	size_t pg = harness_page_size();
	const char *name = shm_name(4);
	int fd = create(name, 0600);
	ASSERT_SYSCALL_OK(ftruncate(fd, (off_t)pg));
	close(fd);
	fd = shm_open(name, O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	EXPECT_TRUE(mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	char *r = mmap(0, pg, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_TRUE(r != MAP_FAILED);
	if (r != MAP_FAILED) {
		EXPECT_ERRNO(mprotect(r, pg, PROT_READ | PROT_WRITE), EACCES);
		munmap(r, pg);
	}
	EXPECT_ERRNO(ftruncate(fd, (off_t)(2 * pg)), EINVAL);
	close(fd);
}
