package linux

// PtraceRegs is struct user_regs_struct, defined in
// arch/x86/include/asm/user_64.h. Its layout is also the order in which
// PTRACE_GETREGS returns the registers.
type PtraceRegs struct {
	R15      uint64
	R14      uint64
	R13      uint64
	R12      uint64
	Rbp      uint64
	Rbx      uint64
	R11      uint64
	R10      uint64
	R9       uint64
	R8       uint64
	Rax      uint64
	Rcx      uint64
	Rdx      uint64
	Rsi      uint64
	Rdi      uint64
	Orig_rax uint64
	Rip      uint64
	Cs       uint64
	Eflags   uint64
	Rsp      uint64
	Ss       uint64
	Fs_base  uint64
	Gs_base  uint64
	Ds       uint64
	Es       uint64
	Fs       uint64
	Gs       uint64
}

// User segment selectors for 64-bit code, defined in
// arch/x86/include/asm/segment.h.
const (
	USER_CS = 0x33
	USER_DS = 0x2b
)

// EFLAGS bits, defined in arch/x86/include/uapi/asm/processor-flags.h.
const (
	X86_EFLAGS_CF = 1 << 0
	X86_EFLAGS_PF = 1 << 2
	X86_EFLAGS_AF = 1 << 4
	X86_EFLAGS_ZF = 1 << 6
	X86_EFLAGS_SF = 1 << 7
	X86_EFLAGS_TF = 1 << 8
	X86_EFLAGS_IF = 1 << 9
	X86_EFLAGS_DF = 1 << 10
	X86_EFLAGS_OF = 1 << 11
	X86_EFLAGS_AC = 1 << 18
	X86_EFLAGS_RF = 1 << 16
	X86_EFLAGS_ID = 1 << 21

	// FIX_EFLAGS is the set of flags that rt_sigreturn takes from the
	// signal frame (arch/x86/kernel/signal.c).
	FIX_EFLAGS = X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF |
		X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF |
		X86_EFLAGS_CF | X86_EFLAGS_RF
)

// PTRACE_GET_RSEQ_CONFIGURATION (Linux 5.13+) reads a tracee's rseq
// registration into a PtraceRseqConfiguration.
const PTRACE_GET_RSEQ_CONFIGURATION = 0x420f

// PtraceRseqConfiguration is struct ptrace_rseq_configuration.
type PtraceRseqConfiguration struct {
	RseqAbiPointer uint64
	RseqAbiSize    uint32
	Signature      uint32
	Flags          uint32
	Pad            uint32
}

// RSEQ_FLAG_UNREGISTER is rseq(2)'s flag that removes a registration.
const RSEQ_FLAG_UNREGISTER = 1
