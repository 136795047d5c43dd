/* munmap: alignment, lengths, holes and access after unmapping. */
#include "harness.h"

#include <sys/mman.h>

TEST(munmap_then_access_faults)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	p[0] = 1;
	ASSERT_SYSCALL_OK(syscall(SYS_munmap, p, pg));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_MAPERR);
	EXPECT_EQ(f.addr, p);
	EXPECT_TRUE(harness_probe_write(p + pg - 1, &f));
	EXPECT_EQ(f.code, SEGV_MAPERR);
	EXPECT_EQ(f.addr, p + pg - 1);
}

TEST(munmap_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(syscall(SYS_munmap, p + 1, pg), EINVAL);
	EXPECT_ERRNO(syscall(SYS_munmap, p, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_munmap, p + 1, 0), EINVAL);
	/* Beyond the user address space. */
	EXPECT_ERRNO(syscall(SYS_munmap, (uintptr_t)1 << 63, pg), EINVAL);
	EXPECT_ERRNO(syscall(SYS_munmap, p, (size_t)-pg), EINVAL);
	/* Nothing was unmapped by the failed calls. */
	p[0] = 1;
	p[2 * pg - 1] = 1;
	EXPECT_SYSCALL_OK(munmap(p, 2 * pg));
}

TEST(munmap_unaligned_length_rounds_up)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(3 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(syscall(SYS_munmap, p, pg + 1));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p + pg, &f));
	EXPECT_FALSE(harness_probe_read(p + 2 * pg, &f));
	munmap(p + 2 * pg, pg);
}

TEST(munmap_holes_are_fine)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(5 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(p + pg, pg));
	ASSERT_SYSCALL_OK(munmap(p + 3 * pg, pg));
	/* A range made of mappings and holes. */
	EXPECT_SYSCALL_OK(syscall(SYS_munmap, p, 5 * pg));
	struct harness_fault f;
	for (int i = 0; i < 5; i++)
		EXPECT_TRUE(harness_probe_read(p + i * pg, &f));
}

TEST(munmap_nothing_mapped_is_fine)
{
	size_t len = 8 * harness_page_size();
	void *p = harness_unmapped(len);
	EXPECT_SYSCALL_OK(syscall(SYS_munmap, p, len));
	EXPECT_SYSCALL_OK(syscall(SYS_munmap, p, len));
}

TEST(munmap_middle_splits)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(3 * pg, PROT_READ | PROT_WRITE);
	p[0] = 1;
	p[2 * pg] = 3;
	ASSERT_SYSCALL_OK(syscall(SYS_munmap, p + pg, pg));
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_read(p, &f));
	EXPECT_TRUE(harness_probe_read(p + pg, &f));
	EXPECT_FALSE(harness_probe_read(p + 2 * pg, &f));
	EXPECT_EQ(p[0], 1);
	EXPECT_EQ(p[2 * pg], 3);
	munmap(p, 3 * pg);
}

TEST(munmap_then_remap_is_zeroed)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	memset(p, 0xee, pg);
	ASSERT_SYSCALL_OK(munmap(p, pg));
	unsigned char *q = mmap(p, pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(q, p);
	EXPECT_EQ(q[0], 0);
	EXPECT_EQ(q[pg - 1], 0);
	munmap(q, pg);
}
