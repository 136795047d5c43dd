package ptrace

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// context runs one task. Its stub thread is created on first Switch into an
// address space and is traced by the OS thread that made that call.
type context struct {
	as *addressSpace
	t  *thread

	// interrupt is set by Interrupt and consumed by Switch. running is
	// true while the stub thread may be executing application code;
	// Interrupt stops it with SIGSTOP then.
	interrupt atomic.Bool
	running   atomic.Bool
	// tid mirrors t.tid for Interrupt, which runs on other goroutines.
	tid atomic.Int64

	fp   []byte
	trap platform.TrapInfo
	// pendingFP is the floating-point state given to a context before it
	// has a stub thread (a new task that has not run yet); Switch
	// installs it in the thread it makes.
	pendingFP []byte
}

// maxXStateSize bounds the XSAVE area (AMX state needs about 11 KiB).
const maxXStateSize = 16 << 10

// Switch implements platform.Context.
func (c *context) Switch(pas platform.AddressSpace, regs *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	as := pas.(*addressSpace)
	if c.as != as {
		c.releaseThread()
		t, err := as.newThread()
		if err != nil {
			return 0, nil, err
		}
		c.as, c.t = as, t
		c.tid.Store(int64(t.tid))
		if c.pendingFP != nil {
			fp := c.pendingFP
			c.pendingFP = nil
			if err := setXState(t.tid, fp); err != nil {
				return 0, nil, c.dead(err)
			}
		}
	}
	c.running.Store(true)
	if c.interrupt.Swap(false) {
		c.running.Store(false)
		return platform.EventInterrupted, nil, nil
	}
	defer c.running.Store(false)
	if err := setRegs(c.t.tid, regs); err != nil {
		return 0, nil, c.dead(err)
	}
	for {
		if err := c.t.cont(unix.PTRACE_SYSEMU); err != nil {
			return 0, nil, c.dead(err)
		}
		ws, err := c.t.waitStop()
		if err != nil {
			return 0, nil, c.dead(err)
		}
		sig := ws.StopSignal()
		if uint32(ws)>>16 != 0 {
			// A PTRACE_EVENT_STOP (group stop or interrupt): not
			// the application's doing.
			continue
		}
		switch sig {
		case unix.SIGTRAP | 0x80:
			if err := getRegs(c.t.tid, regs); err != nil {
				return 0, nil, c.dead(err)
			}
			return platform.EventSyscall, nil, nil
		case unix.SIGSTOP:
			c.interrupt.Store(false)
			if err := getRegs(c.t.tid, regs); err != nil {
				return 0, nil, c.dead(err)
			}
			return platform.EventInterrupted, nil, nil
		case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP:
			info := new(linux.SignalInfo)
			if err := getSigInfo(c.t.tid, info); err != nil {
				return 0, nil, c.dead(err)
			}
			if err := getRegs(c.t.tid, regs); err != nil {
				return 0, nil, c.dead(err)
			}
			c.trap = defaultTrap(sig, info)
			if (sig == unix.SIGSEGV || sig == unix.SIGBUS) && info.Code > 0 && c.t.slot >= 0 {
				trap, err := c.faultContext(sig)
				if err != nil {
					return 0, nil, c.dead(err)
				}
				c.trap = trap
			}
			return platform.EventFault, info, nil
		default:
			// Every other signal is blocked in stubs; if one
			// arrives anyway it is not the application's: drop it.
		}
	}
}

// defaultTrap is the trap number Linux reports for a fault signal when the
// host's own frame is not consulted.
func defaultTrap(sig unix.Signal, info *linux.SignalInfo) platform.TrapInfo {
	switch sig {
	case unix.SIGFPE:
		return platform.TrapInfo{TrapNo: 0} // #DE
	case unix.SIGILL:
		return platform.TrapInfo{TrapNo: 6} // #UD
	case unix.SIGTRAP:
		return platform.TrapInfo{TrapNo: 3} // #BP
	case unix.SIGBUS:
		return platform.TrapInfo{TrapNo: 17} // #AC
	}
	if info.Code == linux.SI_KERNEL {
		return platform.TrapInfo{TrapNo: 13} // #GP
	}
	return platform.TrapInfo{TrapNo: 14} // #PF
}

// faultContext lets the host deliver the pending fault signal to the stub's
// handler, which traps at once on the thread's alternate stack, and reads
// the page-fault error code and trap number from the frame the host built:
// ptrace exposes them nowhere else. The application's registers and FP
// state are untouched: Switch restores the registers, and the FP state
// (which the host resets for a handler) is saved and put back here.
//
// Preconditions: t is stopped in the signal-delivery-stop of sig.
func (c *context) faultContext(sig unix.Signal) (platform.TrapInfo, error) {
	if c.fp == nil {
		c.fp = make([]byte, maxXStateSize)
	}
	n, err := getXState(c.t.tid, c.fp)
	if err != nil {
		return platform.TrapInfo{}, err
	}
	if _, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_CONT, uintptr(c.t.tid), 0, uintptr(sig), 0, 0); e != 0 {
		return platform.TrapInfo{}, e
	}
	for {
		ws, err := c.t.waitStop()
		if err != nil {
			return platform.TrapInfo{}, err
		}
		if ws.StopSignal() == unix.SIGTRAP && uint32(ws)>>16 == 0 {
			break
		}
		// The handler could not run (no room for its frame): the fault
		// is forced again and would repeat forever.
		if err := c.t.syncSignalError(ws, "delivering a fault to the stub handler"); err != nil {
			return platform.TrapInfo{}, err
		}
		if err := c.t.cont(unix.PTRACE_CONT); err != nil {
			return platform.TrapInfo{}, err
		}
	}
	var hregs linux.PtraceRegs
	if err := getRegs(c.t.tid, &hregs); err != nil {
		return platform.TrapInfo{}, err
	}
	// rdx points at the ucontext: uc_mcontext is at 40, and in struct
	// sigcontext err is at 152 and trapno at 160.
	var words [16]byte
	if _, err := unix.PtracePeekData(c.t.tid, uintptr(hregs.Rdx+40+152), words[:]); err != nil {
		return platform.TrapInfo{}, err
	}
	if err := setXState(c.t.tid, c.fp[:n]); err != nil {
		return platform.TrapInfo{}, err
	}
	le := func(b []byte) uint64 {
		var v uint64
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	return platform.TrapInfo{ErrorCode: le(words[0:8]), TrapNo: le(words[8:16])}, nil
}

// LastTrap implements platform.Context.
func (c *context) LastTrap() platform.TrapInfo { return c.trap }

func (c *context) dead(err error) error {
	return &deadError{err: err}
}

type deadError struct{ err error }

func (e *deadError) Error() string   { return platform.ErrContextDead.Error() + ": " + e.err.Error() }
func (e *deadError) Unwrap() []error { return []error{platform.ErrContextDead, e.err} }

// Interrupt implements platform.Context.
func (c *context) Interrupt() {
	c.interrupt.Store(true)
	if c.running.Load() {
		if tid := int(c.tid.Load()); tid != 0 {
			unix.Tgkill(tid, tid, unix.SIGSTOP)
		}
	}
}

// FPState implements platform.Context. Before its first Switch a context
// has only the state SetFPState gave it, or none (ErrNoFPState).
func (c *context) FPState() ([]byte, error) {
	if c.t == nil {
		if c.pendingFP == nil {
			return nil, platform.ErrNoFPState
		}
		return append([]byte(nil), c.pendingFP...), nil
	}
	if c.fp == nil {
		c.fp = make([]byte, maxXStateSize)
	}
	n, err := getXState(c.t.tid, c.fp)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), c.fp[:n]...), nil
}

// SetFPState implements platform.Context.
func (c *context) SetFPState(state []byte) error {
	if len(state) == 0 || len(state) > maxXStateSize {
		return linux.EINVAL
	}
	if c.t == nil {
		c.pendingFP = append([]byte(nil), state...)
		return nil
	}
	if err := setXState(c.t.tid, state); err != nil {
		return linux.EINVAL
	}
	return nil
}

// CPUTime implements platform.Context.
func (c *context) CPUTime() int64 {
	tid := c.tid.Load()
	if tid == 0 {
		return 0
	}
	// MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED): each stub thread is
	// its own host process, so its process clock is the task's time.
	clock := int32(^uint32(tid))<<3 | 2
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// Release implements platform.Context.
func (c *context) Release() { c.releaseThread() }

// releaseThread kills the context's stub thread and frees its slot.
func (c *context) releaseThread() {
	if c.t == nil {
		return
	}
	c.tid.Store(0)
	c.as.threadGone(c.t)
	c.t, c.as = nil, nil
}
