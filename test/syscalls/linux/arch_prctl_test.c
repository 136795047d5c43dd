/* arch_prctl: the FS base (the TLS pointer) and GS base, and errors. */
#include "harness.h"

#include <asm/prctl.h>
#include <sys/mman.h>

static long arch_prctl(int code, unsigned long addr)
{
	return syscall(SYS_arch_prctl, code, addr);
}

static uintptr_t read_fs0(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

TEST(get_fs_matches_tls)
{
	unsigned long fs = 0;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_FS, (unsigned long)&fs));
	EXPECT_NE(fs, 0);
	/* glibc's thread control block starts at FS and points to itself. */
	EXPECT_EQ(read_fs0(), fs);
	EXPECT_EQ((unsigned long)pthread_self(), fs);
}

static void *thread_fs(void *arg)
{
	unsigned long *fs = arg;
	arch_prctl(ARCH_GET_FS, (unsigned long)fs);
	return 0;
}

TEST(threads_have_distinct_fs)
{
	unsigned long mine = 0, theirs = 0;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_FS, (unsigned long)&mine));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, thread_fs, &theirs), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ((unsigned long)th, theirs);
	EXPECT_NE(theirs, 0);
	EXPECT_NE(theirs, mine);
}

TEST(set_fs_changes_tls_base)
{
	unsigned long orig = 0;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_FS, (unsigned long)&orig));
	/*
	 * A copy of the start of the real TCB (keeping the stack-protector
	 * canary valid) whose self pointer names the copy. Between the two
	 * arch_prctl calls nothing may touch TLS (errno included), so the
	 * switch, the reads and the switch back are one asm block.
	 */
	static uintptr_t fake[64] __attribute__((aligned(64)));
	memcpy(fake, (void *)orig, sizeof(fake));
	fake[0] = (uintptr_t)fake;
	fake[1] = 0x5eed;
	long r1, r2;
	uintptr_t self, marker;
	__asm__ volatile("mov %[set], %%edi\n\t"
			 "mov %[fake], %%rsi\n\t"
			 "mov %[nr], %%eax\n\t"
			 "syscall\n\t"
			 "mov %%rax, %[r1]\n\t"
			 "mov %%fs:0, %[self]\n\t"
			 "mov %%fs:8, %[marker]\n\t"
			 "mov %[set], %%edi\n\t"
			 "mov %[orig], %%rsi\n\t"
			 "mov %[nr], %%eax\n\t"
			 "syscall\n\t"
			 "mov %%rax, %[r2]\n\t"
			 : [r1] "=&r"(r1), [r2] "=&r"(r2), [self] "=&r"(self),
			   [marker] "=&r"(marker)
			 : [set] "i"(ARCH_SET_FS), [nr] "i"(SYS_arch_prctl),
			   [fake] "r"((uintptr_t)fake), [orig] "r"(orig)
			 : "rax", "rdi", "rsi", "rcx", "r11", "memory");
	EXPECT_EQ(r1, 0);
	EXPECT_EQ(r2, 0);
	EXPECT_EQ(self, (uintptr_t)fake);
	EXPECT_EQ(marker, 0x5eed);
	unsigned long now = 0;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_FS, (unsigned long)&now));
	EXPECT_EQ(now, orig);
	EXPECT_EQ(read_fs0(), orig);
}

TEST(gs_base_set_and_get)
{
	unsigned long orig = 0, now = 0;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_GS, (unsigned long)&orig));
	static uintptr_t block[4] = {0x1234, 0x5678, 0, 0};
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_SET_GS, (unsigned long)block));
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_GS, (unsigned long)&now));
	EXPECT_EQ(now, (unsigned long)block);
	uintptr_t v;
	__asm__ volatile("mov %%gs:8, %0" : "=r"(v));
	EXPECT_EQ(v, 0x5678);
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_SET_GS, orig));
}

TEST(einval_bad_code)
{
	unsigned long v;
	static const int bad[] = {0, 0x1000, 0x1005, 0x9999, -1};
	for (int i = 0; i < 5; i++)
		EXPECT_ERRNO(arch_prctl(bad[i], (unsigned long)&v), EINVAL);
}

TEST(efault_and_eperm)
{
	EXPECT_ERRNO(arch_prctl(ARCH_GET_FS, 1), EFAULT);
	EXPECT_ERRNO(arch_prctl(ARCH_GET_GS, 0), EFAULT);
	void *ro = harness_map(harness_page_size(), PROT_READ);
	EXPECT_ERRNO(arch_prctl(ARCH_GET_FS, (unsigned long)ro), EFAULT);
	munmap(ro, harness_page_size());
	/* A base outside the user address space is refused. */
	EXPECT_ERRNO(arch_prctl(ARCH_SET_FS, 0x8000000000000000UL), EPERM);
	EXPECT_ERRNO(arch_prctl(ARCH_SET_GS, 0xffff800000000000UL), EPERM);
	unsigned long fs;
	ASSERT_SYSCALL_OK(arch_prctl(ARCH_GET_FS, (unsigned long)&fs));
	EXPECT_EQ(fs, read_fs0());
}
