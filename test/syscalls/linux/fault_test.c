/*
 * Synchronous faults: SIGSEGV (NULL and read-only writes), SIGFPE, SIGILL and
 * SIGTRAP, with their si_code and si_addr; recovery by siglongjmp or by
 * editing the saved context.
 */
#include "harness.h"

#include <limits.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf jump_env;
static volatile int jumped_signo, jumped_code;
static void *volatile jumped_addr;

static void jump_out(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	jumped_signo = sig;
	jumped_code = info->si_code;
	jumped_addr = info->si_addr;
	siglongjmp(jump_env, 1);
}

TEST(null_write_siglongjmp)
{
	harness_set_handler(SIGSEGV, jump_out, 0);
	jumped_signo = 0;
	volatile int reached_after = 0;
	if (sigsetjmp(jump_env, 1) == 0) {
		*(volatile int *)0 = 1;
		reached_after = 1;
	}
	EXPECT_EQ(reached_after, 0);
	EXPECT_EQ(jumped_signo, SIGSEGV);
	EXPECT_EQ(jumped_code, SEGV_MAPERR);
	EXPECT_EQ(jumped_addr, 0);
	/* siglongjmp restored the mask: SIGSEGV is not left blocked. */
	sigset_t now;
	ASSERT_SYSCALL_OK(sigprocmask(SIG_BLOCK, 0, &now));
	EXPECT_FALSE(sigismember(&now, SIGSEGV));
}

TEST(repeated_faults)
{
	harness_set_handler(SIGSEGV, jump_out, 0);
	volatile int n = 0;
	for (int i = 0; i < 50; i++) {
		if (sigsetjmp(jump_env, 1) == 0)
			*(volatile char *)(uintptr_t)(16 + i) = 1;
		else
			n++;
	}
	EXPECT_EQ(n, 50);
}

TEST(read_only_write_siglongjmp)
{
	size_t pg = harness_page_size();
	char *p = harness_map(pg, PROT_READ);
	harness_set_handler(SIGSEGV, jump_out, 0);
	jumped_signo = 0;
	if (sigsetjmp(jump_env, 1) == 0)
		*(volatile char *)(p + 12) = 1;
	EXPECT_EQ(jumped_signo, SIGSEGV);
	EXPECT_EQ(jumped_code, SEGV_ACCERR);
	EXPECT_EQ(jumped_addr, p + 12);
	munmap(p, pg);
}

TEST(non_canonical_address_segv)
{
	struct harness_fault f;
	/* A general-protection fault: SIGSEGV with SI_KERNEL and no address. */
	EXPECT_TRUE(harness_probe_read((void *)0x8000000000000000ULL, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SI_KERNEL);
	EXPECT_EQ(f.addr, 0);
}

TEST(kernel_address_segv)
{
	struct harness_fault f;
	EXPECT_TRUE(harness_probe_write((void *)0xffff800000001000ULL, &f));
	EXPECT_EQ(f.signo, SIGSEGV);
}

/* Volatile so the compiler emits a real idiv instead of folding it. */
static volatile int dividend_seven = 7;
static volatile int divisor_zero = 0;
static volatile int divisor_minus_one = -1;
static volatile int dividend_min = INT_MIN;

static void divide_by_zero(void *arg)
{
	(void)arg;
	volatile int r = dividend_seven / divisor_zero;
	(void)r;
}

static void divide_overflow(void *arg)
{
	(void)arg;
	volatile int r = dividend_min / divisor_minus_one;
	(void)r;
}

TEST(sigfpe_integer_divide_by_zero)
{
	struct harness_fault f;
	EXPECT_TRUE(harness_catch_fault(divide_by_zero, 0, &f));
	EXPECT_EQ(f.signo, SIGFPE);
	EXPECT_EQ(f.code, FPE_INTDIV);
	EXPECT_NE(f.addr, 0);
}

TEST(sigfpe_integer_overflow)
{
	/* x86 raises the same divide error for INT_MIN / -1. */
	struct harness_fault f;
	EXPECT_TRUE(harness_catch_fault(divide_overflow, 0, &f));
	EXPECT_EQ(f.signo, SIGFPE);
	EXPECT_EQ(f.code, FPE_INTDIV);
}

/* The address of the ud2 and int3 instructions below. */
extern char fault_test_ud2[], fault_test_int3[], fault_test_int3_after[];

__attribute__((noinline)) static void run_ud2(void *arg)
{
	(void)arg;
	__asm__ volatile(".globl fault_test_ud2\n"
			 "fault_test_ud2: ud2\n");
}

TEST(sigill_ud2)
{
	struct harness_fault f;
	EXPECT_TRUE(harness_catch_fault(run_ud2, 0, &f));
	EXPECT_EQ(f.signo, SIGILL);
	EXPECT_EQ(f.code, ILL_ILLOPN);
	EXPECT_EQ(f.addr, fault_test_ud2);
}

static volatile sig_atomic_t skips;

static void skip_ud2(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	skips++;
	/* Resume after the two-byte ud2 instead of re-executing it. */
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

TEST(sigill_handler_skips_instruction)
{
	harness_set_handler(SIGILL, skip_ud2, 0);
	skips = 0;
	volatile int after = 0;
	__asm__ volatile("ud2");
	after = 1;
	__asm__ volatile("ud2");
	EXPECT_EQ(skips, 2);
	EXPECT_EQ(after, 1);
}

static volatile sig_atomic_t traps;
static volatile uintptr_t trap_rip;
static volatile int trap_code;

static void on_trap(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	traps++;
	trap_code = info->si_code;
	trap_rip = uc->uc_mcontext.gregs[REG_RIP];
}

TEST(sigtrap_int3_continues)
{
	harness_set_handler(SIGTRAP, on_trap, 0);
	traps = 0;
	__asm__ volatile(".globl fault_test_int3\n"
			 "fault_test_int3: int3\n"
			 ".globl fault_test_int3_after\n"
			 "fault_test_int3_after:\n");
	EXPECT_EQ(traps, 1);
	EXPECT_EQ(trap_code, SI_KERNEL);
	/* int3 is a trap: the saved RIP is past the instruction. */
	EXPECT_EQ(trap_rip, (uintptr_t)fault_test_int3_after);
	EXPECT_EQ((uintptr_t)fault_test_int3_after - (uintptr_t)fault_test_int3,
		  1);
}

static void *fault_in_thread(void *arg)
{
	struct harness_fault *f = arg;
	harness_probe_write((void *)8, f);
	return 0;
}

TEST(fault_in_thread)
{
	struct harness_fault f;
	memset(&f, 0, sizeof(f));
	pthread_t th;
	ASSERT_EQ(pthread_create(&th, 0, fault_in_thread, &f), 0);
	ASSERT_EQ(pthread_join(th, 0), 0);
	EXPECT_EQ(f.signo, SIGSEGV);
	EXPECT_EQ(f.code, SEGV_MAPERR);
	EXPECT_EQ(f.addr, (void *)8);
}

static volatile uintptr_t segv_err;

static void record_segv_context(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	segv_err = uc->uc_mcontext.gregs[REG_ERR];
	siglongjmp(jump_env, 1);
}

TEST(segv_context_error_code)
{
	harness_set_handler(SIGSEGV, record_segv_context, 0);
	segv_err = 0;
	if (sigsetjmp(jump_env, 1) == 0)
		*(volatile int *)0 = 1;
	/* Page-fault error code: user mode (4) | write (2), not present. */
	EXPECT_EQ(segv_err & 0x7, 0x6);
	if (sigsetjmp(jump_env, 1) == 0)
		(void)*(volatile int *)0;
	EXPECT_EQ(segv_err & 0x7, 0x4);
}
