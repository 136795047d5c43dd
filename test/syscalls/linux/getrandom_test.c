/* getrandom: lengths, flags and bad buffers. */
#include "harness.h"

#include <sys/mman.h>
#include <sys/random.h>

TEST(getrandom_lengths)
{
	static const size_t lens[] = {0, 1, 7, 16, 255, 256};
	unsigned char buf[256];
	for (int i = 0; i < 6; i++) {
		/* Up to 256 bytes are always returned in full. */
		EXPECT_EQ(syscall(SYS_getrandom, buf, lens[i], 0), lens[i]);
	}
}

TEST(getrandom_large)
{
	size_t len = 1 << 20;
	unsigned char *buf = harness_map(len, PROT_READ | PROT_WRITE);
	long n = syscall(SYS_getrandom, buf, len, 0);
	/* Larger requests may be cut short, but never return nothing. */
	EXPECT_GT(n, 0);
	EXPECT_LE(n, (long)len);
	munmap(buf, len);
}

TEST(getrandom_is_random)
{
	unsigned char a[32], b[32], zero[32];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ASSERT_EQ(syscall(SYS_getrandom, a, sizeof(a), 0), 32);
	ASSERT_EQ(syscall(SYS_getrandom, b, sizeof(b), 0), 32);
	/* 2^-256 chance of a false failure. */
	EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
	EXPECT_NE(memcmp(a, zero, sizeof(a)), 0);
}

TEST(getrandom_flags)
{
	unsigned char buf[64];
	EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof(buf), GRND_NONBLOCK), 64);
	EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof(buf), GRND_RANDOM), 64);
	EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof(buf),
			  GRND_RANDOM | GRND_NONBLOCK),
		  64);
	EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof(buf), GRND_INSECURE), 64);
}

TEST(getrandom_einval)
{
	unsigned char buf[16];
	static const unsigned int bad[] = {
		0x8, 0x100, 0x80000000, GRND_RANDOM | GRND_INSECURE,
	};
	for (int i = 0; i < 4; i++)
		EXPECT_ERRNO(syscall(SYS_getrandom, buf, sizeof(buf), bad[i]),
			     EINVAL);
}

TEST(getrandom_efault)
{
	void *gone = harness_unmapped(harness_page_size());
	void *ro = harness_map(harness_page_size(), PROT_READ);
	EXPECT_ERRNO(syscall(SYS_getrandom, (void *)1, 16, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getrandom, gone, 16, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getrandom, ro, 16, 0), EFAULT);
	munmap(ro, harness_page_size());
}

TEST(getrandom_libc_wrapper)
{
	unsigned char buf[16];
	EXPECT_EQ(getrandom(buf, sizeof(buf), 0), 16);
	EXPECT_ERRNO(getrandom(buf, sizeof(buf), 0x100), EINVAL);
}
