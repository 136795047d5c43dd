package ptrace

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// getRegs reads the registers of a stopped tracee.
func getRegs(tid int, regs *linux.PtraceRegs) error {
	// Sound: linux.PtraceRegs has exactly the layout of the kernel's
	// user_regs_struct, which PTRACE_GETREGS writes in full, and regs
	// outlives the call.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGS, uintptr(tid), 0, uintptr(unsafe.Pointer(regs)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// setRegs writes the registers of a stopped tracee.
func setRegs(tid int, regs *linux.PtraceRegs) error {
	// Sound: as for getRegs; the kernel only reads from regs.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGS, uintptr(tid), 0, uintptr(unsafe.Pointer(regs)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ntX86XState is NT_X86_XSTATE, the regset of the XSAVE area.
const ntX86XState = 0x202

// getXState reads the tracee's XSAVE area into buf and returns its length.
func getXState(tid int, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	// Sound: iov points at buf, which stays alive (it is used after the
	// call); the kernel writes at most iov.Len bytes and updates iov.Len.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), ntX86XState, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(iov.Len), nil
}

// setXState replaces the tracee's XSAVE area with buf.
func setXState(tid int, buf []byte) error {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	// Sound: as for getXState; the kernel only reads buf.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGSET, uintptr(tid), ntX86XState, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getSigInfo reads the siginfo of the signal that stopped the tracee.
func getSigInfo(tid int, info *linux.SignalInfo) error {
	// Sound: linux.SignalInfo is the 128-byte siginfo_t the kernel writes.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(info)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getRseqConfig reads the rseq registration of a stopped tracee. A kernel
// older than 5.13, which lacks the request, reports no registration.
func getRseqConfig(tid int) (linux.PtraceRseqConfiguration, error) {
	var cfg linux.PtraceRseqConfiguration
	// Sound: cfg has the layout of struct ptrace_rseq_configuration and
	// the kernel writes at most addr (its size) bytes of it.
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, linux.PTRACE_GET_RSEQ_CONFIGURATION, uintptr(tid), unsafe.Sizeof(cfg), uintptr(unsafe.Pointer(&cfg)), 0, 0)
	if e == unix.EIO {
		return linux.PtraceRseqConfiguration{}, nil
	}
	if e != 0 {
		return cfg, e
	}
	return cfg, nil
}
