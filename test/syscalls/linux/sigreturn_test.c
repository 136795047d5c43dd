/*
 * rt_sigreturn: the interrupted context comes back intact, and changes a
 * handler makes to its ucontext take effect.
 */
#include "harness.h"

#include <ucontext.h>

#define MS 1000000LL

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t hits;

static void set_stop(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	hits++;
	stop_flag = 1;
}

TEST(interrupted_loop_continues)
{
	harness_set_handler(SIGUSR1, set_stop, 0);
	stop_flag = 0;
	hits = 0;
	struct harness_signaller s;
	harness_signaller_start(&s, harness_gettid(), SIGUSR1, 1 * MS);
	/* Spins in user code until a handler, run in between, sets the flag. */
	volatile uint64_t spins = 0;
	uint64_t local = 0;
	while (!stop_flag) {
		local += 3;
		spins++;
	}
	harness_signaller_stop(&s);
	EXPECT_GE(hits, 1);
	/* The loop's registers survived the interruption. */
	EXPECT_EQ(local, spins * 3);
}

static void clobber(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	hits++;
	/* Dirty the general registers the kernel must restore. */
	__asm__ volatile("xor %%r8, %%r8\n\t"
			 "xor %%r9, %%r9\n\t"
			 "xor %%r10, %%r10\n\t"
			 "xor %%r11, %%r11\n\t"
			 "xor %%rdx, %%rdx\n\t"
			 "xor %%rsi, %%rsi\n\t"
			 "xor %%rdi, %%rdi\n\t"
			 :
			 :
			 : "r8", "r9", "r10", "r11", "rdx", "rsi", "rdi");
}

static uint64_t out_rbx, out_r8, out_r9, out_r10, out_r12, out_r13, out_r14,
	out_r15;

TEST(registers_preserved_across_handler)
{
	harness_set_handler(SIGUSR1, clobber, 0);
	hits = 0;
	long nr = SYS_tgkill;
	long pid = getpid(), tid = harness_gettid(), sig = SIGUSR1;
	long rdi = pid, rsi = tid, rdx = sig;
	/*
	 * Load known values, send ourselves a signal with a raw syscall (the
	 * handler runs before the syscall returns to this code), then store
	 * the registers. The syscall instruction itself only clobbers rax,
	 * rcx and r11.
	 */
	__asm__ volatile("movabs $0x1111111111111111, %%rbx\n\t"
			 "movabs $0x8888888888888888, %%r8\n\t"
			 "movabs $0x9999999999999999, %%r9\n\t"
			 "movabs $0xaaaaaaaaaaaaaaaa, %%r10\n\t"
			 "movabs $0xcccccccccccccccc, %%r12\n\t"
			 "movabs $0xdddddddddddddddd, %%r13\n\t"
			 "movabs $0xeeeeeeeeeeeeeeee, %%r14\n\t"
			 "movabs $0xffffffffffffffff, %%r15\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %[rbx]\n\t"
			 "mov %%r8, %[r8]\n\t"
			 "mov %%r9, %[r9]\n\t"
			 "mov %%r10, %[r10]\n\t"
			 "mov %%r12, %[r12]\n\t"
			 "mov %%r13, %[r13]\n\t"
			 "mov %%r14, %[r14]\n\t"
			 "mov %%r15, %[r15]\n\t"
			 : "+a"(nr), "+D"(rdi), "+S"(rsi), "+d"(rdx),
			   [rbx] "=m"(out_rbx), [r8] "=m"(out_r8),
			   [r9] "=m"(out_r9), [r10] "=m"(out_r10),
			   [r12] "=m"(out_r12), [r13] "=m"(out_r13),
			   [r14] "=m"(out_r14), [r15] "=m"(out_r15)
			 :
			 : "rbx", "rcx", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "memory");
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(nr, 0); /* tgkill's result */
	EXPECT_EQ(rdi, pid);
	EXPECT_EQ(rsi, tid);
	EXPECT_EQ(rdx, sig);
	EXPECT_EQ(out_rbx, 0x1111111111111111ULL);
	EXPECT_EQ(out_r8, 0x8888888888888888ULL);
	EXPECT_EQ(out_r9, 0x9999999999999999ULL);
	EXPECT_EQ(out_r10, 0xaaaaaaaaaaaaaaaaULL);
	EXPECT_EQ(out_r12, 0xccccccccccccccccULL);
	EXPECT_EQ(out_r13, 0xddddddddddddddddULL);
	EXPECT_EQ(out_r14, 0xeeeeeeeeeeeeeeeeULL);
	EXPECT_EQ(out_r15, 0xffffffffffffffffULL);
}

static void bump_rbx(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	hits++;
	/* What the handler writes into the saved context is what resumes. */
	uc->uc_mcontext.gregs[REG_RBX] += 5;
	uc->uc_mcontext.gregs[REG_R12] = 0x1234;
}

TEST(handler_changes_to_context_take_effect)
{
	harness_set_handler(SIGUSR1, bump_rbx, 0);
	hits = 0;
	long nr = SYS_tgkill;
	long rdi = getpid(), rsi = harness_gettid(), rdx = SIGUSR1;
	uint64_t rbx_out, r12_out;
	__asm__ volatile("mov $100, %%rbx\n\t"
			 "mov $7, %%r12\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %[rbx]\n\t"
			 "mov %%r12, %[r12]\n\t"
			 : "+a"(nr), "+D"(rdi), "+S"(rsi), "+d"(rdx),
			   [rbx] "=m"(rbx_out), [r12] "=m"(r12_out)
			 :
			 : "rbx", "rcx", "r11", "r12", "memory");
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(rbx_out, 105);
	EXPECT_EQ(r12_out, 0x1234);
}

static void change_mask(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	hits++;
	/* Block SIGUSR2 after return by editing the saved mask. */
	sigaddset(&uc->uc_sigmask, SIGUSR2);
}

TEST(handler_changes_to_saved_mask_take_effect)
{
	harness_set_handler(SIGUSR1, change_mask, 0);
	hits = 0;
	ASSERT_SYSCALL_OK(raise(SIGUSR1));
	EXPECT_EQ(hits, 1);
	sigset_t now;
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, 0, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR2));
	EXPECT_FALSE(sigismember(&now, SIGUSR1));
}

static void fp_clobber(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	hits++;
	/* Dirty every XMM register; the kernel must restore them. */
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
			 "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
			 "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
			 "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
			 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
			 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15\n\t"
			 :
			 :
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
			   "xmm12", "xmm13", "xmm14", "xmm15");
}

TEST(fp_state_preserved)
{
	harness_set_handler(SIGUSR1, fp_clobber, 0);
	hits = 0;
	/* XMM registers holding values across a raw syscall and a handler. */
	double c = 6.5, d = -0.125;
	long nr = SYS_tgkill, rdi = getpid(), rsi = harness_gettid(),
	     rdx = SIGUSR1;
	__asm__ volatile("syscall"
			 : "+a"(nr), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+x"(c),
			   "+x"(d)
			 :
			 : "rcx", "r11", "memory");
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(c == 6.5);
	EXPECT_TRUE(d == -0.125);
}
