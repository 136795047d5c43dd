/* /proc/self: exe, fd/N, maps and status, and a few global /proc files. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>

static char *read_link(const char *path)
{
	char buf[PATH_MAX];
	long n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		harness_fail(__FILE__, __LINE__, "readlink %s: %s", path,
			     harness_errno_name(errno));
		harness_abort_test();
	}
	buf[n] = 0;
	return harness_strf("%s", buf);
}

/* A whole /proc file (they report size 0, so read until EOF). */
static char *read_proc(const char *path)
{
	static char buf[1 << 20];
	size_t n = harness_read_file(path, buf, sizeof(buf));
	EXPECT_GT(n, 0);
	return buf;
}

/* The canonical path of this binary, from the name it was executed as. */
static char *own_path(void)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	ASSERT_TRUE(execfn != 0);
	char *r = realpath(execfn, 0);
	ASSERT_TRUE(r != 0);
	char *s = harness_strf("%s", r);
	free(r);
	return s;
}

TEST(proc_self_exe)
{
	EXPECT_STREQ(read_link("/proc/self/exe"), own_path());
	/* It opens the binary itself. */
	struct stat a, b;
	ASSERT_SYSCALL_OK(stat("/proc/self/exe", &a));
	ASSERT_SYSCALL_OK(stat(own_path(), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
}

TEST(proc_self_is_own_pid)
{
	EXPECT_STREQ(read_link("/proc/self"), harness_strf("%d", getpid()));
	struct stat a, b;
	ASSERT_SYSCALL_OK(stat("/proc/self", &a));
	ASSERT_SYSCALL_OK(stat(harness_strf("/proc/%d", getpid()), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(proc_self_fd_links)
{
	char *p = harness_path("file");
	harness_write_file(p, "", 0, 0644);
	int fd = harness_open(p, O_RDONLY);
	char *link = harness_strf("/proc/self/fd/%d", fd);
	char *real = realpath(p, 0);
	ASSERT_TRUE(real != 0);
	EXPECT_STREQ(read_link(link), real);
	/* A rename shows, and so does an unlink. */
	char *q = harness_path("renamed");
	ASSERT_SYSCALL_OK(rename(p, q));
	free(real);
	real = realpath(q, 0);
	ASSERT_TRUE(real != 0);
	EXPECT_STREQ(read_link(link), real);
	ASSERT_SYSCALL_OK(unlink(q));
	EXPECT_STREQ(read_link(link), harness_strf("%s (deleted)", real));
	free(real);
	close(fd);
	/* A directory descriptor. */
	int d = harness_open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
	real = realpath(harness_tmpdir(), 0);
	ASSERT_TRUE(real != 0);
	EXPECT_STREQ(read_link(harness_strf("/proc/self/fd/%d", d)), real);
	free(real);
	close(d);
	/* A closed descriptor has no entry. */
	char buf[8];
	EXPECT_ERRNO(
		readlink(harness_strf("/proc/self/fd/%d", harness_free_fd(100)),
			 buf, sizeof(buf)),
		ENOENT);
}

TEST(proc_self_fd_reopen)
{
	char *p = harness_path("f");
	harness_write_file(p, "contents", 8, 0644);
	int fd = harness_open(p, O_RDONLY);
	ASSERT_SYSCALL_OK(unlink(p));
	/* The magic link reaches the file even after its name is gone. */
	char buf[16];
	EXPECT_EQ(harness_read_file(harness_strf("/proc/self/fd/%d", fd), buf,
				    sizeof(buf)),
		  8);
	EXPECT_STREQ(buf, "contents");
	close(fd);
}

TEST(proc_self_fd_lists_open_descriptors)
{
	harness_write_file(harness_path("f"), "", 0, 0644);
	int fd = harness_open(harness_path("f"), O_RDONLY);
	int d = harness_open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	char *want = harness_strf("%d", fd);
	int seen_fd = 0, seen_1 = 0, seen_dot = 0;
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		long n = syscall(SYS_getdents64, d, buf, sizeof(buf));
		ASSERT_GE(n, 0);
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *e = (void *)(buf + off);
			seen_fd |= strcmp(e->d_name, want) == 0;
			seen_1 |= strcmp(e->d_name, "1") == 0;
			seen_dot |= strcmp(e->d_name, ".") == 0;
			if (strcmp(e->d_name, want) == 0)
				EXPECT_EQ(e->d_type, DT_LNK);
			off += e->d_reclen;
		}
	}
	EXPECT_TRUE(seen_fd);
	EXPECT_TRUE(seen_1);
	EXPECT_TRUE(seen_dot);
	close(d);
	close(fd);
}

TEST(proc_self_maps_has_binary)
{
	char *maps = read_proc("/proc/self/maps");
	char *self = own_path();
	EXPECT_TRUE(strstr(maps, self) != 0);
	/* Lines look like "start-end perms offset dev inode path". */
	unsigned long start, end;
	char perms[5];
	EXPECT_EQ(sscanf(maps, "%lx-%lx %4s", &start, &end, perms), 3);
	EXPECT_LT(start, end);
	/* The stack and an executable mapping are there. */
	EXPECT_TRUE(strstr(maps, "[stack]") != 0);
	EXPECT_TRUE(strstr(maps, "r-xp") != 0);
}

TEST(proc_self_status_fields)
{
	char *status = read_proc("/proc/self/status");
	EXPECT_EQ(strncmp(status, "Name:\t", 6), 0);
	char *pid = strstr(status, "\nPid:\t");
	ASSERT_TRUE(pid != 0);
	EXPECT_EQ(strtol(pid + 6, 0, 10), getpid());
	EXPECT_TRUE(strstr(status, "\nPPid:\t") != 0);
	char *uid = strstr(status, "\nUid:\t");
	ASSERT_TRUE(uid != 0);
	EXPECT_EQ(strtol(uid + 6, 0, 10), getuid());
	EXPECT_TRUE(strstr(status, "\nGid:\t") != 0);
	EXPECT_TRUE(strstr(status, "\nThreads:\t") != 0);
	EXPECT_TRUE(strstr(status, "\nVmRSS:") != 0);
}

TEST(proc_cpuinfo_meminfo_mounts)
{
	char *cpu = read_proc("/proc/cpuinfo");
	EXPECT_EQ(strncmp(cpu, "processor\t: 0\n", 14), 0);
	char *mem = read_proc("/proc/meminfo");
	EXPECT_EQ(strncmp(mem, "MemTotal:", 9), 0);
	EXPECT_TRUE(strstr(mem, "\nMemFree:") != 0);
	char *mounts = read_proc("/proc/mounts");
	/* /dev/shm is a tmpfs mount, natively and in the sandbox. */
	EXPECT_TRUE(strstr(mounts, " /dev/shm tmpfs ") != 0);
	EXPECT_TRUE(strstr(mounts, " /proc proc ") != 0);
}

TEST(proc_files_modes)
{
	struct stat st;
	ASSERT_SYSCALL_OK(stat("/proc/self/status", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0444);
	/* /proc files report size 0; their content is made when read. */
	EXPECT_EQ(st.st_size, 0);
	ASSERT_SYSCALL_OK(lstat("/proc/self/exe", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_SYSCALL_OK(stat("/proc/self/fd", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	/* Nothing can be created there. */
	EXPECT_ERRNO(syscall(SYS_open, "/proc/self/newfile", O_RDWR | O_CREAT,
			     0644),
		     ENOENT);
}
