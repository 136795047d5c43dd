package linux

// SigContext is the 64-bit struct sigcontext, defined in
// arch/x86/include/uapi/asm/sigcontext.h. It is uc_mcontext of a signal
// frame's ucontext. Fields are in memory order; encoding/binary encodes it
// with the kernel's layout (no implicit padding exists).
type SigContext struct {
	R8      uint64
	R9      uint64
	R10     uint64
	R11     uint64
	R12     uint64
	R13     uint64
	R14     uint64
	R15     uint64
	Rdi     uint64
	Rsi     uint64
	Rbp     uint64
	Rbx     uint64
	Rdx     uint64
	Rax     uint64
	Rcx     uint64
	Rsp     uint64
	Rip     uint64
	Eflags  uint64
	Cs      uint16
	Gs      uint16
	Fs      uint16
	Ss      uint16 // union with __pad0; valid if UC_SIGCONTEXT_SS.
	Err     uint64
	Trapno  uint64
	Oldmask uint64
	Cr2     uint64
	// Fpstate is the address of the fpstate (struct _fpstate_64 followed
	// by the extended XSAVE state), or 0 if there is none.
	Fpstate   uint64
	Reserved1 [8]uint64
}

// SigContextSize is sizeof(struct sigcontext) on x86-64.
const SigContextSize = 256

// UContext is struct ucontext as the kernel writes it, defined in
// include/uapi/asm-generic/ucontext.h (x86-64 uses the generic layout).
type UContext struct {
	Flags    uint64
	Link     uint64
	Stack    SignalStack
	MContext SigContext
	Sigmask  SignalSet
}

// UContextSize is sizeof(struct ucontext) on x86-64.
const UContextSize = 304

// RtSigframe is the 64-bit signal frame, struct rt_sigframe, defined in
// arch/x86/include/asm/sigframe.h. The fpstate follows it in memory (above
// it on the stack), 64-byte aligned.
type RtSigframe struct {
	Pretcode uint64
	UC       UContext
	Info     SignalInfo
}

// RtSigframeSize is sizeof(struct rt_sigframe) on x86-64.
const RtSigframeSize = 440

// ucontext uc_flags, defined in arch/x86/include/uapi/asm/ucontext.h.
const (
	// UC_FP_XSTATE: the fpstate has the XSAVE extended layout.
	UC_FP_XSTATE = 0x1
	// UC_SIGCONTEXT_SS: uc_mcontext.ss holds the SS of the interrupted
	// context.
	UC_SIGCONTEXT_SS = 0x2
	// UC_STRICT_RESTORE_SS: sigreturn restores SS exactly.
	UC_STRICT_RESTORE_SS = 0x4
)

// FP state in a signal frame, defined in
// arch/x86/include/uapi/asm/sigcontext.h.
const (
	// FP_XSTATE_MAGIC1 is _fpx_sw_bytes.magic1: the legacy area's
	// software-reserved bytes describe an extended (XSAVE) state.
	FP_XSTATE_MAGIC1 = 0x46505853
	// FP_XSTATE_MAGIC2 is written right after the XSAVE state.
	FP_XSTATE_MAGIC2 = 0x46505845
	// FP_XSTATE_MAGIC2_SIZE is sizeof(FP_XSTATE_MAGIC2).
	FP_XSTATE_MAGIC2_SIZE = 4
)

// FPXSWBytes is struct _fpx_sw_bytes, defined in
// arch/x86/include/uapi/asm/sigcontext.h. It lives in the software-reserved
// bytes of the FXSAVE area (FXSAVESWReservedOffset).
type FPXSWBytes struct {
	Magic1       uint32
	ExtendedSize uint32
	Xfeatures    uint64
	XstateSize   uint32
	Padding      [7]uint32
}

// FPXSWBytesSize is sizeof(struct _fpx_sw_bytes).
const FPXSWBytesSize = 48

// Layout of the XSAVE area, defined by struct fxregs_state and struct
// xstate_header in arch/x86/include/asm/fpu/types.h (mirrored for user
// space by struct _fpstate_64 and struct _header in
// arch/x86/include/uapi/asm/sigcontext.h).
const (
	// FXSAVEAreaSize is sizeof(struct fxregs_state): the legacy x87/SSE
	// area.
	FXSAVEAreaSize = 512
	// FXSAVEMXCSROffset is the offset of mxcsr in the legacy area.
	FXSAVEMXCSROffset = 24
	// FXSAVEMXCSRMaskOffset is the offset of mxcsr_mask.
	FXSAVEMXCSRMaskOffset = 28
	// FXSAVESWReservedOffset is the offset of sw_reserved (the
	// struct _fpx_sw_bytes) in the legacy area.
	FXSAVESWReservedOffset = 464
	// XSAVEHeaderOffset is the offset of struct xstate_header.
	XSAVEHeaderOffset = 512
	// XSAVEHeaderSize is sizeof(struct xstate_header).
	XSAVEHeaderSize = 64
	// XSAVEMinSize is the smallest valid XSAVE area: legacy + header.
	XSAVEMinSize = FXSAVEAreaSize + XSAVEHeaderSize
)

// XSAVE feature bits, defined in arch/x86/include/asm/fpu/types.h.
const (
	XFEATURE_MASK_FP    = 1 << 0
	XFEATURE_MASK_SSE   = 1 << 1
	XFEATURE_MASK_FPSSE = XFEATURE_MASK_FP | XFEATURE_MASK_SSE
)
