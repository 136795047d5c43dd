package ptrace

// The stub code page is mapped at stubStart in every stub process; it is
// the only thing mapped there besides the application's memory. It holds
// two injection sites:
//
//	offset 0:  syscall; int3
//		An injected system call: the tracer sets rip=0 and the
//		registers, continues, and regains control at the int3.
//	offset 4:  syscall; test rax,rax; jnz trap; spin: sched_yield loop; trap: int3
//		An injected clone(): the parent traps back to the tracer, the
//		child spins in sched_yield until its new tracer seizes it.
//
// The rest of the page is data: the sigaction that points SIGSEGV and
// SIGBUS at the int3 of offset 2 (see faultContext), and the signal mask
// stubs run with.
//
// Above the page, the region up to the top of the address space holds one
// alternate signal stack per stub thread (altStackSize each).
const (
	stubStart = 0x7fff_c000_0000
	stubSize  = 0x1000
	// maxUserAddress is the end of the application's address range:
	// everything from stubStart up is the stub's.
	maxUserAddress = stubStart

	stubSyscallSite = stubStart + 0
	stubCloneSite   = stubStart + 4
	// stubTrapSite is the int3 that the fault handler runs.
	stubTrapSite = stubStart + 2

	stubSigactionOffset = 0x800
	stubSigmaskOffset   = 0x820

	altStackBase = stubStart + 0x10_0000
	altStackSize = 0x8000
	taskSize     = 0x7fff_ffff_f000
	altStackMax  = (taskSize - altStackBase) / altStackSize
)

var stubCode = []byte{
	// 0: syscall; int3; nop
	0x0f, 0x05, 0xcc, 0x90,
	// 4: syscall
	0x0f, 0x05,
	// 6: test %rax,%rax
	0x48, 0x85, 0xc0,
	// 9: jnz +9 (to 20)
	0x75, 0x09,
	// 11: mov $24 (sched_yield), %eax
	0xb8, 0x18, 0x00, 0x00, 0x00,
	// 16: syscall
	0x0f, 0x05,
	// 18: jmp -9 (to 11)
	0xeb, 0xf7,
	// 20: int3
	0xcc,
}

// stubPage returns the stub page's contents: code, then data.
func stubPage() []byte {
	page := make([]byte, 0x828)
	copy(page, stubCode)
	le := func(off int, v uint64) {
		for i := 0; i < 8; i++ {
			page[off+i] = byte(v >> (8 * i))
		}
	}
	// struct kernel_sigaction: handler, flags, restorer, mask. The
	// handler traps at once; SA_NODEFER and the mask keep SIGSEGV and
	// SIGBUS unblocked after it runs, since sigreturn never follows.
	const saSiginfo, saOnstack, saRestorer, saNodefer = 0x4, 0x08000000, 0x04000000, 0x40000000
	le(stubSigactionOffset, stubTrapSite)
	le(stubSigactionOffset+8, saSiginfo|saOnstack|saRestorer|saNodefer)
	le(stubSigactionOffset+16, stubTrapSite)
	le(stubSigactionOffset+24, stubSigmask)
	le(stubSigmaskOffset, stubSigmask)
	return page
}

// stubSigmask blocks every signal but SIGSEGV and SIGBUS.
const stubSigmask = ^uint64(0) &^ (1<<(11-1) | 1<<(7-1))

// rawForkStub is implemented in stub_amd64.s.
func rawForkStub() uintptr
