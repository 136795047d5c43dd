/* pipe2(2): flags on each end, invalid flags, EFAULT without leaks. */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>

TEST(pipe2_flags_on_each_end)
{
	static const struct {
		int flags;
		int cloexec;
		int rfl, wfl; /* F_GETFL of each end */
	} cases[] = {
		{0, 0, O_RDONLY, O_WRONLY},
		{O_CLOEXEC, FD_CLOEXEC, O_RDONLY, O_WRONLY},
		{O_NONBLOCK, 0, O_RDONLY | O_NONBLOCK, O_WRONLY | O_NONBLOCK},
		/* Packet mode is a property of the writing end only. */
		{O_DIRECT, 0, O_RDONLY, O_WRONLY | O_DIRECT},
		{O_CLOEXEC | O_NONBLOCK | O_DIRECT, FD_CLOEXEC,
		 O_RDONLY | O_NONBLOCK, O_WRONLY | O_NONBLOCK | O_DIRECT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p[2];
		ASSERT_EQ(syscall(SYS_pipe2, p, cases[i].flags), 0);
		EXPECT_EQ(fcntl(p[0], F_GETFD), cases[i].cloexec);
		EXPECT_EQ(fcntl(p[1], F_GETFD), cases[i].cloexec);
		EXPECT_EQ(fcntl(p[0], F_GETFL) & ~O_LARGEFILE, cases[i].rfl);
		EXPECT_EQ(fcntl(p[1], F_GETFL) & ~O_LARGEFILE, cases[i].wfl);
		close(p[0]);
		close(p[1]);
	}
}

TEST(pipe2_invalid_flags)
{
	static const int bad[] = {O_RDWR,  O_WRONLY, O_APPEND, O_CREAT,
				  O_TRUNC, O_ASYNC,  O_SYNC,   O_NOCTTY,
				  O_PATH,  1 << 30};
	int before = harness_free_fd(0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int p[2] = {-1, -1};
		EXPECT_ERRNO(syscall(SYS_pipe2, p, bad[i]), EINVAL);
		EXPECT_EQ(p[0], -1);
		/* An invalid flag wins over an otherwise valid set. */
		EXPECT_ERRNO(syscall(SYS_pipe2, p, bad[i] | O_CLOEXEC), EINVAL);
	}
	EXPECT_EQ(harness_free_fd(0), before);
}

TEST(pipe2_nonblock_and_cloexec_behave)
{
	int p[2];
	ASSERT_EQ(syscall(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC), 0);
	char c;
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	/* Clearing O_NONBLOCK on one end leaves the other as it was. */
	ASSERT_EQ(fcntl(p[0], F_SETFL, 0), 0);
	EXPECT_EQ(fcntl(p[1], F_GETFL) & ~O_LARGEFILE, O_WRONLY | O_NONBLOCK);
	close(p[0]);
	close(p[1]);
}

TEST(pipe2_lowest_free_descriptors)
{
	int lo = harness_free_fd(0);
	int hi = harness_free_fd(lo + 1);
	int p[2];
	ASSERT_EQ(syscall(SYS_pipe2, p, 0), 0);
	EXPECT_EQ(p[0], lo);
	EXPECT_EQ(p[1], hi);
	close(p[0]);
	close(p[1]);
}

TEST(pipe2_efault_leaks_nothing)
{
	int before = harness_free_fd(0);
	EXPECT_ERRNO(syscall(SYS_pipe2, (void *)1, O_CLOEXEC), EFAULT);
	void *ro = harness_map(4096, PROT_READ);
	EXPECT_ERRNO(syscall(SYS_pipe2, ro, O_NONBLOCK), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pipe2, harness_unmapped(4096), 0), EFAULT);
	EXPECT_EQ(harness_free_fd(0), before);
	/* The flags are checked first. */
	EXPECT_ERRNO(syscall(SYS_pipe2, (void *)1, O_APPEND), EINVAL);
	munmap(ro, 4096);
}
