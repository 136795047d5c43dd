package ptrace

import (
	"fmt"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// thread is one host thread of a stub process, traced by exactly one OS
// thread of the sentry. Every method must be called from that OS thread.
type thread struct {
	// tid is the host thread id (each stub thread is its own host
	// process, so it is also the host pid).
	tid int
	// initRegs are the registers the thread had when it was attached:
	// they carry valid segment selectors and flags for injections.
	initRegs linux.PtraceRegs
	// slot is the thread's alternate signal stack slot, or -1 if it has
	// none (then page faults report no error code).
	slot int
	// tracer is the host thread id of the OS thread that traces a
	// context's thread (0 for others).
	tracer int
}

// setAltStack installs the alternate signal stack mapped at addr, so that
// the host can build fault frames without touching application memory.
func (t *thread) setAltStack(addr uint64) error {
	// stack_t {ss_sp, ss_flags, ss_size}, written at the bottom of the
	// stack it describes (frames are built at the top).
	ss := make([]byte, 24)
	for i := 0; i < 8; i++ {
		ss[i] = byte(addr >> (8 * i))
		ss[16+i] = byte(uint64(altStackSize) >> (8 * i))
	}
	if err := t.pokeData(uintptr(addr), ss); err != nil {
		return err
	}
	if _, err := t.syscallErr(unix.SYS_SIGALTSTACK, addr, 0); err != nil {
		return fmt.Errorf("ptrace: sigaltstack: %w", err)
	}
	return nil
}

// ptraceOptions are set on every traced stub thread.
const ptraceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_EXITKILL

// wait waits for the next state change of t. It retries EINTR.
func (t *thread) wait() (unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(t.tid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("ptrace: wait4(%d): %w", t.tid, err)
		}
		return ws, nil
	}
}

// waitStop waits until t stops. It fails if t exited.
func (t *thread) waitStop() (unix.WaitStatus, error) {
	ws, err := t.wait()
	if err != nil {
		return ws, err
	}
	if !ws.Stopped() {
		return ws, fmt.Errorf("ptrace: stub thread %d ended (status %#x)", t.tid, uint32(ws))
	}
	return ws, nil
}

// seize attaches to a running, untraced stub thread and stops it.
func (t *thread) seize() error {
	if _, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(t.tid), 0, ptraceOptions, 0, 0); e != 0 {
		return fmt.Errorf("ptrace: seize %d: %w", t.tid, e)
	}
	if err := unix.PtraceInterrupt(t.tid); err != nil {
		return fmt.Errorf("ptrace: interrupt %d: %w", t.tid, err)
	}
	if _, err := t.waitStop(); err != nil {
		return err
	}
	return getRegs(t.tid, &t.initRegs)
}

// cont resumes t with the given ptrace request (PTRACE_CONT, PTRACE_SYSEMU,
// PTRACE_SYSCALL), suppressing any pending stop signal.
func (t *thread) cont(req int) error {
	if _, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(t.tid), 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("ptrace: resume %d: %w", t.tid, e)
	}
	return nil
}

// syscall injects one system call at site (stubSyscallSite or
// stubCloneSite) and returns its raw result (a value or -errno).
func (t *thread) syscall(site uint64, nr uintptr, args ...uint64) (uint64, error) {
	regs := t.initRegs
	regs.Rip = site
	regs.Rax = uint64(nr)
	regs.Orig_rax = ^uint64(0)
	dst := []*uint64{&regs.Rdi, &regs.Rsi, &regs.Rdx, &regs.R10, &regs.R8, &regs.R9}
	for i, a := range args {
		*dst[i] = a
	}
	if err := setRegs(t.tid, &regs); err != nil {
		return 0, fmt.Errorf("ptrace: set registers of %d: %w", t.tid, err)
	}
	for {
		if err := t.cont(unix.PTRACE_CONT); err != nil {
			return 0, err
		}
		ws, err := t.waitStop()
		if err != nil {
			return 0, err
		}
		if ws.StopSignal() == unix.SIGTRAP {
			break
		}
		if err := t.syncSignalError(ws, fmt.Sprintf("injecting syscall %d", nr)); err != nil {
			return 0, err
		}
		// Anything else (an interrupting SIGSTOP, a group stop) is
		// suppressed: the injected call has not run yet, or has run
		// and the int3 is still ahead.
	}
	if err := getRegs(t.tid, &regs); err != nil {
		return 0, fmt.Errorf("ptrace: get registers of %d: %w", t.tid, err)
	}
	return regs.Rax, nil
}

// syscallErr is syscall with the raw result decoded into an error.
func (t *thread) syscallErr(nr uintptr, args ...uint64) (uint64, error) {
	ret, err := t.syscall(stubSyscallSite, nr, args...)
	if err != nil {
		return 0, err
	}
	if int64(ret) < 0 && int64(ret) > -4096 {
		return 0, unix.Errno(-int64(ret))
	}
	return ret, nil
}

// pokeData writes data (a multiple of 8 bytes) into t's memory at addr.
func (t *thread) pokeData(addr uintptr, data []byte) error {
	for i := 0; i+8 <= len(data); i += 8 {
		var word uintptr
		for j := 7; j >= 0; j-- {
			word = word<<8 | uintptr(data[i+j])
		}
		if _, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_POKEDATA, uintptr(t.tid), addr+uintptr(i), word, 0, 0); e != 0 {
			return fmt.Errorf("ptrace: poke %d at %#x: %w", t.tid, addr+uintptr(i), e)
		}
	}
	return nil
}

// kill kills t and reaps it.
func (t *thread) kill() {
	unix.Kill(t.tid, unix.SIGKILL)
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(t.tid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || ws.Exited() || ws.Signaled() {
			return
		}
	}
}

// syncSignalError reports a synchronous fault signal (SIGSEGV, SIGBUS,
// SIGILL, SIGFPE) that stopped t while it ran stub code (doing is what for,
// in the message). Suppressing such a signal would re-execute the faulting
// instruction forever, so the caller must give up with this error, which
// names the instruction pointer. Other stops give nil.
func (t *thread) syncSignalError(ws unix.WaitStatus, doing string) error {
	switch ws.StopSignal() {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE:
	default:
		return nil
	}
	var regs linux.PtraceRegs
	if err := getRegs(t.tid, &regs); err != nil {
		return fmt.Errorf("ptrace: stub thread %d got %v %s", t.tid, ws.StopSignal(), doing)
	}
	var info linux.SignalInfo
	getSigInfo(t.tid, &info)
	return fmt.Errorf("ptrace: stub thread %d got %v (code %d, addr %#x) at rip %#x %s", t.tid, ws.StopSignal(), info.Code, info.Addr(), regs.Rip, doing)
}
