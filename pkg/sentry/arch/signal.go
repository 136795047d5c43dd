// Package arch holds the x86-64 specifics of a task's user context that the
// kernel needs. The signal*.go files build the rt_sigframe that signal
// delivery pushes on the application's stack and consume it again in
// rt_sigreturn, byte for byte as Linux does (arch/x86/kernel/signal.c,
// signal_64.c and fpu/signal.c).
//
// It owns the layout of signal frames in application memory. It must not
// decide signal policy (which signal is delivered, on which stack, which
// mask is blocked, alt-stack bookkeeping, syscall restart): that is
// pkg/sentry/kernel, which calls these pure functions. Everything read back
// from a frame is untrusted application data and is sanitised here.
package arch

import (
	"encoding/binary"
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// RedZoneSize is the x86-64 System V red zone below the stack pointer that
// signal delivery must not overwrite.
const RedZoneSize = 128

// frameAlign is the stack alignment of the x86-64 ABI; a handler starts as
// if called, so (rsp+8) is a multiple of it.
const frameAlign = 16

// fpAlign is the alignment XSAVE requires of its memory operand.
const fpAlign = 64

// Offsets inside struct rt_sigframe.
const (
	ucOffset   = 8
	infoOffset = ucOffset + linux.UContextSize
)

// TrapInfo is the fault description saved in uc_mcontext.
type TrapInfo struct {
	TrapNo, Err, CR2 uint64
}

// SignalFrameArgs describes one signal delivery.
type SignalFrameArgs struct {
	// Sig is the signal delivered; it goes in rdi.
	Sig linux.Signal
	// Info is written to the frame when Action has SA_SIGINFO; otherwise
	// the frame's siginfo is left zero. It may be nil (zero siginfo).
	Info *linux.SignalInfo
	// Action is the handler: Handler, Flags (SA_RESTORER is required on
	// x86-64, as Linux) and Restorer (the return address).
	Action linux.SigAction
	// OldMask is the mask rt_sigreturn restores (uc_sigmask, and
	// uc_mcontext.oldmask).
	OldMask linux.SignalSet
	// AltStack is saved as uc_stack exactly as given: the caller sets
	// Flags as Linux would (SS_DISABLE without an alt stack, SS_ONSTACK
	// when the interrupted code ran on it, plus SS_AUTODISARM if armed).
	// When OnAltStack is set, [Sp, Sp+Size) is also the range the frame
	// must fit in.
	AltStack linux.SignalStack
	// SP is the stack pointer to build below: regs.Rsp, or the alt stack
	// top (Sp+Size) when switching to the alt stack.
	SP uint64
	// OnAltStack says the frame goes on the alternate signal stack (being
	// entered, or already in use). The red zone is skipped only when it is
	// false; when it is true, a frame that overflows AltStack is an
	// EFAULT, as Linux refuses to write past the alt stack.
	OnAltStack bool
	// FPState is the XSAVE-format state from PTRACE_GETREGSET
	// (NT_X86_XSTATE): a 512-byte legacy area, the XSAVE header at 512 and
	// the extended state after it; len is the host's xstate size. A 512
	// byte buffer is a legacy FXSAVE image (no XSAVE). Nil writes no
	// fpstate (uc_mcontext.fpstate = 0).
	FPState []byte
	// Trap is saved as uc_mcontext trapno, err and cr2 (zero for
	// asynchronous signals).
	Trap TrapInfo
}

// SetupSignalFrame writes an rt_sigframe with mem and points regs at the
// handler: rip = handler, rdi = sig, rsi = &frame.info, rdx = &frame.uc,
// rax = 0, rsp = frame, cs/ss = user selectors, DF/RF/TF cleared. The
// frame is placed so that (rsp+8)%16 == 0, as after a call.
//
// It returns linux.EFAULT (regs unchanged) if the frame cannot be built or
// written; the caller then forces SIGSEGV. The caller also resets the FP
// state for the handler (Linux starts handlers with fresh FP state).
func SetupSignalFrame(mem usermem.IO, regs *linux.PtraceRegs, a SignalFrameArgs) error {
	// Linux's x86-64 rt frame has no in-frame trampoline, so a handler
	// without a restorer cannot return; Linux fails the delivery.
	if a.Action.Flags&linux.SA_RESTORER == 0 {
		return linux.EFAULT
	}
	sp := a.SP
	if !a.OnAltStack {
		if sp < RedZoneSize {
			return linux.EFAULT
		}
		sp -= RedZoneSize
	}

	// The fpstate sits 64-byte aligned right below sp, followed by
	// FP_XSTATE_MAGIC2 when it is an XSAVE image.
	var fp []byte
	var fpAddr uint64
	xsave := len(a.FPState) > linux.FXSAVEAreaSize
	if a.FPState != nil {
		if len(a.FPState) < linux.FXSAVEAreaSize || (xsave && len(a.FPState) < linux.XSAVEMinSize) {
			return fmt.Errorf("arch: fpstate of %d bytes is neither FXSAVE nor XSAVE: %w", len(a.FPState), linux.EFAULT)
		}
		fp = buildFPState(a.FPState, xsave)
		if sp < uint64(len(fp)) {
			return linux.EFAULT
		}
		fpAddr = (sp - uint64(len(fp))) &^ (fpAlign - 1)
		sp = fpAddr
	}
	if sp < linux.RtSigframeSize+frameAlign {
		return linux.EFAULT
	}
	frameAddr := ((sp - linux.RtSigframeSize) &^ (frameAlign - 1)) - 8

	if a.OnAltStack {
		// __on_sig_stack(frame): the frame's lowest byte must still be
		// inside the alt stack.
		if frameAddr <= a.AltStack.Sp || frameAddr-a.AltStack.Sp > a.AltStack.Size {
			return linux.EFAULT
		}
	}

	frame := linux.RtSigframe{
		Pretcode: a.Action.Restorer,
		UC: linux.UContext{
			Flags:   linux.UC_SIGCONTEXT_SS | linux.UC_STRICT_RESTORE_SS,
			Link:    0,
			Stack:   a.AltStack,
			Sigmask: a.OldMask,
			MContext: linux.SigContext{
				R8: regs.R8, R9: regs.R9, R10: regs.R10, R11: regs.R11,
				R12: regs.R12, R13: regs.R13, R14: regs.R14, R15: regs.R15,
				Rdi: regs.Rdi, Rsi: regs.Rsi, Rbp: regs.Rbp, Rbx: regs.Rbx,
				Rdx: regs.Rdx, Rax: regs.Rax, Rcx: regs.Rcx, Rsp: regs.Rsp,
				Rip:    regs.Rip,
				Eflags: regs.Eflags,
				Cs:     uint16(regs.Cs),
				// Linux saves fs and gs as 0 on x86-64; their bases are
				// not part of the signal context.
				Ss:      uint16(regs.Ss),
				Err:     a.Trap.Err,
				Trapno:  a.Trap.TrapNo,
				Oldmask: uint64(a.OldMask),
				Cr2:     a.Trap.CR2,
				Fpstate: fpAddr,
			},
		},
	}
	if xsave {
		frame.UC.Flags |= linux.UC_FP_XSTATE
	}
	if a.Action.Flags&linux.SA_SIGINFO != 0 && a.Info != nil {
		frame.Info = *a.Info
	}

	if fp != nil {
		if _, err := mem.CopyOut(fpAddr, fp); err != nil {
			return linux.EFAULT
		}
	}
	buf := make([]byte, linux.RtSigframeSize)
	if _, err := binary.Encode(buf, binary.LittleEndian, &frame); err != nil {
		return fmt.Errorf("arch: encode rt_sigframe: %w", err)
	}
	if _, err := mem.CopyOut(frameAddr, buf); err != nil {
		return linux.EFAULT
	}

	regs.Rdi = uint64(a.Sig)
	regs.Rax = 0
	regs.Rsi = frameAddr + infoOffset
	regs.Rdx = frameAddr + ucOffset
	regs.Rip = a.Action.Handler
	regs.Rsp = frameAddr
	regs.Cs = linux.USER_CS
	regs.Ss = linux.USER_DS
	// Handlers start with the direction flag clear (ABI), no resume flag
	// and no single-stepping.
	regs.Eflags &^= linux.X86_EFLAGS_DF | linux.X86_EFLAGS_RF | linux.X86_EFLAGS_TF
	return nil
}

// buildFPState returns the fpstate image to write: a copy of state with the
// software-reserved bytes describing it and, for XSAVE, FP_XSTATE_MAGIC2
// appended.
//
// The xfeatures recorded in _fpx_sw_bytes is the set of user features the
// kernel enabled (XCR0), as Linux writes fpstate->user_xfeatures. The
// ptrace NT_X86_XSTATE buffer carries exactly that mask in its first
// software-reserved word (bytes 464..472); checked on this host (kernel
// 6.18, AVX-512): 0xe7 there while XSTATE_BV at 512 was 0 for a task that
// had not touched the FPU, so XSTATE_BV would be wrong. If that word is 0
// (a buffer not from ptrace) XSTATE_BV|FPSSE is used instead.
func buildFPState(state []byte, xsave bool) []byte {
	size := len(state)
	n := size
	if xsave {
		n += linux.FP_XSTATE_MAGIC2_SIZE
	}
	fp := make([]byte, n)
	copy(fp, state)
	le := binary.LittleEndian
	sw := fp[linux.FXSAVESWReservedOffset : linux.FXSAVESWReservedOffset+linux.FPXSWBytesSize]
	if !xsave {
		// Without XSAVE Linux still fills the software bytes, describing
		// a legacy-only state.
		clear(sw)
		le.PutUint32(sw[0:], linux.FP_XSTATE_MAGIC1)
		le.PutUint32(sw[4:], uint32(size))
		le.PutUint64(sw[8:], linux.XFEATURE_MASK_FPSSE)
		le.PutUint32(sw[16:], uint32(size))
		return fp
	}
	xcr0 := le.Uint64(state[linux.FXSAVESWReservedOffset:])
	bv := le.Uint64(fp[linux.XSAVEHeaderOffset:]) | linux.XFEATURE_MASK_FPSSE
	if xcr0 == 0 {
		xcr0 = bv
	}
	// Legacy applications that edit only the FXSAVE part still get it
	// restored: FP and SSE are always marked present, as Linux does.
	le.PutUint64(fp[linux.XSAVEHeaderOffset:], bv)
	clear(sw)
	le.PutUint32(sw[0:], linux.FP_XSTATE_MAGIC1)
	le.PutUint32(sw[4:], uint32(size+linux.FP_XSTATE_MAGIC2_SIZE))
	le.PutUint64(sw[8:], xcr0)
	le.PutUint32(sw[16:], uint32(size))
	le.PutUint32(fp[size:], linux.FP_XSTATE_MAGIC2)
	return fp
}

// RestoreSignalFrame consumes the frame of rt_sigreturn. The handler's ret
// popped pretcode, so the frame starts at regs.Rsp-8. It restores regs from
// uc_mcontext, sanitised as Linux does: cs and ss forced to the user
// selectors (Bulwark runs only 64-bit code), only FIX_EFLAGS taken from the
// frame, orig_rax = -1 (no syscall restart). rax is restored too; the
// caller must return it as rt_sigreturn's result.
//
// It returns the signal mask to install (SIGKILL and SIGSTOP removed), the
// uc_stack to apply as sigaltstack would, and the FP state: nil when the
// frame's fpstate pointer is NULL (the caller resets FP state), else fpSize
// bytes in XSAVE layout. fpSize is the host's xstate size (as FPState
// returns). If the frame's extended-state magic is damaged only the 512
// byte legacy area is used, padded with a valid XSAVE header marking just
// x87 and SSE present. On error (linux.EFAULT) regs are unchanged and the
// caller forces SIGSEGV.
func RestoreSignalFrame(mem usermem.IO, regs *linux.PtraceRegs, fpSize int) (mask linux.SignalSet, alt linux.SignalStack, fp []byte, err error) {
	if regs.Rsp < 8 {
		return 0, alt, nil, linux.EFAULT
	}
	frameAddr := regs.Rsp - 8
	buf := make([]byte, linux.UContextSize)
	if _, err := mem.CopyIn(frameAddr+ucOffset, buf); err != nil {
		return 0, alt, nil, linux.EFAULT
	}
	var uc linux.UContext
	if _, err := binary.Decode(buf, binary.LittleEndian, &uc); err != nil {
		return 0, alt, nil, fmt.Errorf("arch: decode ucontext: %w", err)
	}
	sc := &uc.MContext
	if sc.Fpstate != 0 {
		fp, err = restoreFPState(mem, sc.Fpstate, fpSize)
		if err != nil {
			return 0, alt, nil, err
		}
	}

	regs.R8, regs.R9, regs.R10, regs.R11 = sc.R8, sc.R9, sc.R10, sc.R11
	regs.R12, regs.R13, regs.R14, regs.R15 = sc.R12, sc.R13, sc.R14, sc.R15
	regs.Rdi, regs.Rsi, regs.Rbp, regs.Rbx = sc.Rdi, sc.Rsi, sc.Rbp, sc.Rbx
	regs.Rdx, regs.Rax, regs.Rcx, regs.Rsp = sc.Rdx, sc.Rax, sc.Rcx, sc.Rsp
	regs.Rip = sc.Rip
	// Linux ORs in CPL 3 and keeps the selector; a ptrace-based platform
	// cannot switch code segments, and only 64-bit user code runs, so the
	// selectors are forced to the 64-bit user ones.
	regs.Cs = linux.USER_CS
	regs.Ss = linux.USER_DS
	regs.Eflags = (regs.Eflags &^ linux.FIX_EFLAGS) | (sc.Eflags & linux.FIX_EFLAGS)
	regs.Orig_rax = ^uint64(0)

	return uc.Sigmask &^ linux.UnblockableSignals, uc.Stack, fp, nil
}

// restoreFPState reads the fpstate at addr the way Linux's sigreturn
// validates it (fpu/signal.c check_xstate_in_sigframe).
func restoreFPState(mem usermem.IO, addr uint64, fpSize int) ([]byte, error) {
	if addr%fpAlign != 0 {
		// XRSTOR/FXRSTOR fault on a misaligned operand; Linux's
		// sigreturn fails.
		return nil, linux.EFAULT
	}
	le := binary.LittleEndian
	if fpSize < linux.XSAVEMinSize {
		// Too small for an XSAVE image: the host has only FXSAVE.
		fpSize = linux.FXSAVEAreaSize
	}
	fp := make([]byte, fpSize)
	if _, err := mem.CopyIn(addr, fp[:linux.FXSAVEAreaSize]); err != nil {
		return nil, linux.EFAULT
	}
	if fpSize == linux.FXSAVEAreaSize {
		// Host without XSAVE: the legacy area is all there is.
		sanitizeMXCSR(fp)
		return fp, nil
	}
	sw := fp[linux.FXSAVESWReservedOffset:]
	magic1 := le.Uint32(sw[0:])
	extSize := le.Uint32(sw[4:])
	xfeatures := le.Uint64(sw[8:])
	xsize := le.Uint32(sw[16:])
	intact := magic1 == linux.FP_XSTATE_MAGIC1 &&
		xsize >= linux.XSAVEMinSize && int(xsize) <= fpSize && xsize <= extSize
	if intact {
		magic2, err := usermem.CopyInUint32(mem, addr+uint64(xsize))
		if err != nil {
			return nil, linux.EFAULT
		}
		intact = magic2 == linux.FP_XSTATE_MAGIC2
	}
	if !intact {
		// Legacy-only state: x87 and SSE from the frame, every other
		// component reset to its initial state.
		clear(fp[linux.XSAVEHeaderOffset:])
		le.PutUint64(fp[linux.XSAVEHeaderOffset:], linux.XFEATURE_MASK_FPSSE)
		sanitizeMXCSR(fp)
		return fp, nil
	}
	if _, err := mem.CopyIn(addr+linux.FXSAVEAreaSize, fp[linux.FXSAVEAreaSize:xsize]); err != nil {
		return nil, linux.EFAULT
	}
	// Components the frame does not claim go to their initial state, as
	// Linux restores only xfeatures from the frame. An invalid remainder
	// (reserved header bits, bad MXCSR) is left for the host to reject
	// when the caller installs the state, as XRSTOR would.
	bv := le.Uint64(fp[linux.XSAVEHeaderOffset:])
	le.PutUint64(fp[linux.XSAVEHeaderOffset:], bv&xfeatures)
	return fp, nil
}

// sanitizeMXCSR clears MXCSR bits outside the architectural 16, as Linux
// does for a legacy-only restore.
func sanitizeMXCSR(fp []byte) {
	le := binary.LittleEndian
	m := le.Uint32(fp[linux.FXSAVEMXCSROffset:])
	le.PutUint32(fp[linux.FXSAVEMXCSROffset:], m&0xffff)
}

// MinSigStackSize returns the AT_MINSIGSTKSZ value for frames built by
// SetupSignalFrame with an fpstate of xstateSize bytes: the worst case of
// frame, fpstate, magic and alignment padding, rounded to 16.
//
// Linux computes the same sum but with room for 32-bit frames too when
// built with CONFIG_IA32_EMULATION, so the host's value is somewhat larger
// (3376 against 2960 for a 2432-byte AVX-512 xstate on the development
// host). Either is correct for Bulwark's frames; a caller that wants
// native parity can pass the host's getauxval(AT_MINSIGSTKSZ) instead.
func MinSigStackSize(xstateSize int) uint64 {
	size := uint64(linux.RtSigframeSize) + (frameAlign - 1) + uint64(xstateSize) + (fpAlign - 1)
	if xstateSize > linux.FXSAVEAreaSize {
		size += linux.FP_XSTATE_MAGIC2_SIZE
	}
	return (size + frameAlign - 1) &^ (frameAlign - 1)
}
