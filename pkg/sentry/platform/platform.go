// Package platform defines how the sentry runs application code: an
// AddressSpace holds the application's mappings of the memory file, and a
// Context runs one task's registers in an AddressSpace until the task makes
// a system call, faults, or is interrupted.
//
// Implementations live in subpackages (ptrace, systrap). This package must
// not know about tasks, signals or VMAs; it only moves registers and maps
// ranges of the memory file.
package platform

import (
	"errors"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// Prot is the access an application has to a mapping.
type Prot struct {
	Read, Write, Execute bool
}

// Any reports whether p allows any access.
func (p Prot) Any() bool { return p.Read || p.Write || p.Execute }

// Platform creates address spaces and contexts.
type Platform interface {
	// Name is the value of --platform that selects this platform.
	Name() string
	// NewAddressSpace returns an empty address space.
	NewAddressSpace() (AddressSpace, error)
	// NewContext returns a context for one task. The context is bound to
	// the OS thread that calls Switch first; the caller must hold that
	// thread (runtime.LockOSThread) for the context's whole life.
	NewContext() Context
	// MaxUserAddress is the end of the range applications may map.
	MaxUserAddress() uint64
}

// MemoryFileAdder is implemented by platforms whose address spaces can map
// host files besides the memory file the platform was created with (an
// overlay's filestore, see pgalloc.NewFromFD).
type MemoryFileAdder interface {
	// AddMemoryFile makes the host file fd mappable by MapFile in every
	// address space created from now on; address spaces that exist
	// already cannot map it. fd must stay open, at the same number, for
	// as long as the platform exists.
	AddMemoryFile(fd int) error
}

// AddressSpace is the set of mappings that application code sees.
type AddressSpace interface {
	// MapFile maps [offset, offset+length) of the host file fd at addr
	// with the given protection, replacing whatever was mapped there.
	// addr, offset and length are page-aligned. fd is the platform's
	// memory file or one added (MemoryFileAdder) before the address
	// space was created; any other fd is an error.
	MapFile(addr uint64, fd int, offset, length uint64, prot Prot) error
	// Unmap removes any mapping in [addr, addr+length).
	Unmap(addr, length uint64) error
	// Protect changes the protection of [addr, addr+length).
	Protect(addr, length uint64, prot Prot) error
	// Release destroys the address space. Contexts must have stopped
	// using it.
	Release()
}

// Event says why Switch returned.
type Event int

const (
	// EventSyscall: the application made a system call. Orig_rax holds
	// its number; Rip points after the syscall instruction.
	EventSyscall Event = iota
	// EventFault: the application faulted or trapped; the SignalInfo
	// says how (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
	EventFault
	// EventInterrupted: Interrupt was called, or the host asked the
	// task to stop; the caller checks for work and switches again.
	EventInterrupted
)

// TrapInfo is what a fault's signal frame reports in its sigcontext: the
// x86 exception vector and, for page faults, the error code (bit 0: page
// present, bit 1: write, bit 2: user mode, bit 4: instruction fetch).
type TrapInfo struct {
	TrapNo, ErrorCode uint64
}

// ErrNoFPState is FPState's error for a context that has never run and
// was given no floating-point state: the caller uses the initial state.
var ErrNoFPState = errors.New("platform: context has no floating-point state yet")

// ErrContextDead means the host process running the context is gone (for
// example it was killed from outside the sandbox).
var ErrContextDead = errors.New("platform: context's host process is gone")

// Context runs one task.
type Context interface {
	// Switch runs regs in as until the next event. On return regs holds
	// the task's registers at the event.
	Switch(as AddressSpace, regs *linux.PtraceRegs) (Event, *linux.SignalInfo, error)
	// Interrupt makes a current or the next Switch return
	// EventInterrupted. It may be called from any goroutine.
	Interrupt()
	// FPState returns the task's floating-point and vector state in the
	// XSAVE layout (the layout of a signal frame's fpstate). It is valid
	// after Switch has returned at least once; call it from the context's
	// own thread.
	FPState() ([]byte, error)
	// SetFPState replaces the floating-point state; it returns EINVAL (as
	// linux.Errno) if the host rejects the state.
	SetFPState(state []byte) error
	// LastTrap returns the hardware details of the fault that the last
	// EventFault reported.
	LastTrap() TrapInfo
	// CPUTime returns the CPU time, in nanoseconds, the application code
	// of this context has used.
	CPUTime() int64
	// Release frees the context. Call it from the context's own thread.
	Release()
}
