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
const (
	stubStart = 0x7fff_fff0_0000
	stubSize  = 0x1000
	// maxUserAddress is the end of the application's address range:
	// everything from stubStart up is the stub's.
	maxUserAddress = stubStart

	stubSyscallSite = stubStart + 0
	stubCloneSite   = stubStart + 4
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

// rawForkStub is implemented in stub_amd64.s.
func rawForkStub() uintptr
