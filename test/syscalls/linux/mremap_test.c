/* mremap: growing, shrinking, moving, MREMAP_FIXED and errors. */
#include "harness.h"

#include <sys/mman.h>

static void *raw_mremap(void *old, size_t old_len, size_t new_len, int flags,
			void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags,
			       new_addr);
}

static void fill(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + 1);
}

static int check(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 7 + 1))
			return 0;
	return 1;
}

TEST(mremap_grow_in_place)
{
	size_t pg = harness_page_size();
	/* Reserve room, then free the tail so the mapping can grow into it. */
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(p + pg, 3 * pg));
	fill(p, pg);
	unsigned char *q = raw_mremap(p, pg, 4 * pg, 0, 0);
	ASSERT_EQ(q, p);
	EXPECT_TRUE(check(p, pg));
	/* The new part is zeroed and usable. */
	EXPECT_EQ(p[4 * pg - 1], 0);
	p[4 * pg - 1] = 1;
	munmap(p, 4 * pg);
}

TEST(mremap_grow_blocked_without_maymove)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(raw_mremap(p, pg, 2 * pg + pg, 0, 0), ENOMEM);
	EXPECT_ERRNO(raw_mremap(p, pg, 2 * pg, 0, 0), ENOMEM);
	munmap(p, 2 * pg);
}

TEST(mremap_maymove_preserves_content)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(3 * pg, PROT_READ | PROT_WRITE);
	/* Block growth: the page after the first two stays mapped. */
	fill(p, 2 * pg);
	unsigned char *q = raw_mremap(p, 2 * pg, 16 * pg, MREMAP_MAYMOVE, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	EXPECT_NE(q, p);
	EXPECT_TRUE(check(q, 2 * pg));
	EXPECT_EQ(q[16 * pg - 1], 0);
	/* The old range is unmapped, the page that blocked it is not. */
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p, &f));
	EXPECT_EQ(f.code, SEGV_MAPERR);
	EXPECT_FALSE(harness_probe_read(p + 2 * pg, &f));
	munmap(q, 16 * pg);
	munmap(p + 2 * pg, pg);
}

TEST(mremap_shrink)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	fill(p, 4 * pg);
	unsigned char *q = raw_mremap(p, 4 * pg, pg, 0, 0);
	ASSERT_EQ(q, p);
	EXPECT_TRUE(check(p, pg));
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p + pg, &f));
	EXPECT_TRUE(harness_probe_read(p + 3 * pg, &f));
	munmap(p, pg);
}

TEST(mremap_same_size_is_noop)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	EXPECT_EQ(raw_mremap(p, 2 * pg, 2 * pg, 0, 0), p);
	munmap(p, 2 * pg);
}

TEST(mremap_fixed)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	fill(p, 2 * pg);
	/* The target is occupied: MREMAP_FIXED replaces what is there. */
	unsigned char *target = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	memset(target, 0xcc, 4 * pg);
	unsigned char *q = raw_mremap(p, 2 * pg, 3 * pg,
				      MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(q, target);
	EXPECT_TRUE(check(q, 2 * pg));
	EXPECT_EQ(q[2 * pg], 0);
	EXPECT_EQ(q[3 * pg], 0xcc);
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read(p, &f));
	munmap(target, 4 * pg);
}

TEST(mremap_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(4 * pg, PROT_READ | PROT_WRITE);
	void *free_addr = harness_unmapped(4 * pg);
	struct {
		const char *what;
		void *old;
		size_t old_len, new_len;
		int flags;
		void *new_addr;
	} cases[] = {
		{"unaligned old address", p + 1, pg, 2 * pg, MREMAP_MAYMOVE, 0},
		{"zero new length", p, pg, 0, MREMAP_MAYMOVE, 0},
		{"unknown flag", p, pg, pg, 0x80, 0},
		{"FIXED without MAYMOVE", p, pg, pg, MREMAP_FIXED, free_addr},
		{"unaligned FIXED target", p, pg, pg,
		 MREMAP_MAYMOVE | MREMAP_FIXED, (char *)free_addr + 1},
		{"FIXED target overlaps old range", p, 2 * pg, 2 * pg,
		 MREMAP_MAYMOVE | MREMAP_FIXED, p + pg},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		void *r = raw_mremap(cases[i].old, cases[i].old_len,
				     cases[i].new_len, cases[i].flags,
				     cases[i].new_addr);
		int err = errno;
		if (r != MAP_FAILED || err != EINVAL)
			harness_fail(__FILE__, __LINE__,
				     "%s: got %p errno %s, want EINVAL",
				     cases[i].what, r, harness_errno_name(err));
	}
	munmap(p, 4 * pg);
}

TEST(mremap_unmapped_efault)
{
	size_t pg = harness_page_size();
	void *gone = harness_unmapped(2 * pg);
	EXPECT_ERRNO(raw_mremap(gone, pg, 2 * pg, MREMAP_MAYMOVE, 0), EFAULT);
	/* The old range must lie within one mapping. */
	unsigned char *p = harness_map(2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_SYSCALL_OK(munmap(p + pg, pg));
	EXPECT_ERRNO(raw_mremap(p, 2 * pg, 4 * pg, MREMAP_MAYMOVE, 0), EFAULT);
	munmap(p, pg);
}

TEST(mremap_shared_zero_old_size_duplicates)
{
	size_t pg = harness_page_size();
	unsigned char *p = mmap(0, pg, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	/* old_size 0 on a shared mapping creates a second view of it. */
	unsigned char *q = raw_mremap(p, 0, pg, MREMAP_MAYMOVE, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	EXPECT_NE(q, p);
	p[7] = 77;
	EXPECT_EQ(q[7], 77);
	q[8] = 88;
	EXPECT_EQ(p[8], 88);
	munmap(q, pg);
	munmap(p, pg);
}

TEST(mremap_private_zero_old_size_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(raw_mremap(p, 0, pg, MREMAP_MAYMOVE, 0), EINVAL);
	munmap(p, pg);
}

/* An old size so large that addr + size wraps around must not pass the
 * "within one mapping" check: Linux rejects sizes above TASK_SIZE. */
TEST(mremap_huge_old_size_einval)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(pg, PROT_READ | PROT_WRITE);
	size_t huge = ~(size_t)0 & ~(pg - 1);
	EXPECT_ERRNO(raw_mremap(p, huge, pg, 0, 0), EINVAL);
	EXPECT_ERRNO(raw_mremap(p, huge, pg, MREMAP_MAYMOVE, 0), EINVAL);
	munmap(p, pg);
}

TEST(mremap_keeps_protection)
{
	size_t pg = harness_page_size();
	unsigned char *p = harness_map(2 * pg, PROT_READ);
	unsigned char *q = raw_mremap(p, pg, 8 * pg, MREMAP_MAYMOVE, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	struct harness_fault f;
	EXPECT_FALSE(harness_probe_read(q, &f));
	EXPECT_TRUE(harness_probe_write(q, &f));
	EXPECT_EQ(f.code, SEGV_ACCERR);
	munmap(q, 8 * pg);
	munmap(p, 2 * pg);
}
