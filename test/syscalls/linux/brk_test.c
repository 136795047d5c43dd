/*
 * brk: query, grow, shrink, refused requests. Each test puts the break back
 * where it found it: libc's malloc may own the memory below it.
 */
#include "harness.h"

static uintptr_t brk_now(void)
{
	return (uintptr_t)syscall(SYS_brk, 0);
}

static uintptr_t page_up(uintptr_t a)
{
	uintptr_t pg = harness_page_size();
	return (a + pg - 1) & ~(pg - 1);
}

TEST(brk_zero_queries)
{
	uintptr_t cur = brk_now();
	EXPECT_NE(cur, 0);
	EXPECT_EQ(brk_now(), cur);
	EXPECT_EQ(brk_now(), cur);
}

TEST(brk_grow_and_shrink)
{
	uintptr_t cur = brk_now();
	uintptr_t want = cur + (1 << 20);
	ASSERT_EQ(syscall(SYS_brk, want), want);
	EXPECT_EQ(brk_now(), want);

	/* New memory is zeroed and writable. */
	volatile unsigned char *p = (unsigned char *)page_up(cur);
	int zero = 1;
	for (uintptr_t a = (uintptr_t)p; a < want; a += 64)
		if (*(volatile unsigned char *)a != 0)
			zero = 0;
	EXPECT_TRUE(zero);
	p[0] = 1;
	*(volatile unsigned char *)(want - 1) = 2;
	EXPECT_EQ(*(volatile unsigned char *)(want - 1), 2);

	EXPECT_EQ(syscall(SYS_brk, cur), cur);
	EXPECT_EQ(brk_now(), cur);

	/* The pages past the old break are gone again. */
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_read((void *)(page_up(cur) + 4096 * 4), &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_MAPERR);
}

TEST(brk_regrow_is_zeroed)
{
	uintptr_t cur = brk_now();
	uintptr_t top = page_up(cur) + 2 * harness_page_size();
	ASSERT_EQ(syscall(SYS_brk, top), top);
	*(volatile unsigned char *)(top - 1) = 0xab;
	ASSERT_EQ(syscall(SYS_brk, cur), cur);
	ASSERT_EQ(syscall(SYS_brk, top), top);
	EXPECT_EQ(*(volatile unsigned char *)(top - 1), 0);
	ASSERT_EQ(syscall(SYS_brk, cur), cur);
}

TEST(brk_unaligned_value_is_kept)
{
	uintptr_t cur = brk_now();
	uintptr_t want = cur + 100;
	EXPECT_EQ(syscall(SYS_brk, want), want);
	EXPECT_EQ(brk_now(), want);
	EXPECT_EQ(syscall(SYS_brk, cur), cur);
}

TEST(brk_refused_returns_current)
{
	uintptr_t cur = brk_now();
	/* Below the start of the data segment: refused. */
	EXPECT_EQ(syscall(SYS_brk, 1), cur);
	EXPECT_EQ(syscall(SYS_brk, 4096), cur);
	/* Absurdly large: refused. */
	EXPECT_EQ(syscall(SYS_brk, (uintptr_t)1 << 62), cur);
	EXPECT_EQ(syscall(SYS_brk, (uintptr_t)-4096), cur);
	EXPECT_EQ(brk_now(), cur);
}

TEST(sbrk_wrapper)
{
	void *start = sbrk(0);
	ASSERT_TRUE(start != (void *)-1);
	EXPECT_EQ((uintptr_t)start, brk_now());
	void *old = sbrk(8192);
	ASSERT_TRUE(old != (void *)-1);
	EXPECT_EQ(old, start);
	EXPECT_EQ(brk_now(), (uintptr_t)start + 8192);
	EXPECT_SYSCALL_OK(brk(start));
	EXPECT_EQ(brk_now(), (uintptr_t)start);
}
