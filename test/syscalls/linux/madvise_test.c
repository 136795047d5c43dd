/* madvise: MADV_DONTNEED semantics, accepted advice and errors. */
#include "harness.h"

#include <sys/mman.h>

TEST(madvise_dontneed_zeroes_private_anonymous)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	memset(p, 0x77, 4 * pg);
	ASSERT_SYSCALL_OK(syscall(SYS_madvise, p + pg, 2 * pg, MADV_DONTNEED));
	EXPECT_EQ(p[0], 0x77);
	EXPECT_EQ(p[pg - 1], 0x77);
	EXPECT_EQ(p[pg], 0);
	EXPECT_EQ(p[3 * pg - 1], 0);
	EXPECT_EQ(p[3 * pg], 0x77);
	/* Still mapped and writable. */
	p[pg] = 1;
	EXPECT_EQ(p[pg], 1);
	munmap(p, 4 * pg);
}

TEST(madvise_dontneed_keeps_shared_anonymous)
{
	size_t pg = harness_page_size();
	unsigned char *p = mmap(0, pg, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 0x33, pg);
	ASSERT_SYSCALL_OK(syscall(SYS_madvise, p, pg, MADV_DONTNEED));
	EXPECT_EQ(p[0], 0x33);
	munmap(p, pg);
}

TEST(madvise_accepted_advice)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	static const int advice[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
				     MADV_WILLNEED, MADV_DONTFORK, MADV_DOFORK};
	for (int i = 0; i < 6; i++)
		EXPECT_SYSCALL_OK(syscall(SYS_madvise, p, 4 * pg, advice[i]));
	munmap(p, 4 * pg);
}

TEST(madvise_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(syscall(SYS_madvise, p, pg, 12345), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, p, pg, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, p + 1, pg, MADV_NORMAL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, p + 1, pg, MADV_DONTNEED), EINVAL);
	munmap(p, 2 * pg);
}

TEST(madvise_zero_length_ok)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	p[0] = 5;
	EXPECT_SYSCALL_OK(syscall(SYS_madvise, p, 0, MADV_DONTNEED));
	EXPECT_EQ(p[0], 5);
	munmap(p, pg);
}

TEST(madvise_enomem_unmapped)
{
	size_t pg = harness_page_size();
	void *gone = harness_unmapped(2 * pg);
	EXPECT_ERRNO(syscall(SYS_madvise, gone, pg, MADV_NORMAL), ENOMEM);
	EXPECT_ERRNO(syscall(SYS_madvise, gone, pg, MADV_DONTNEED), ENOMEM);
}
