package kernel

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/mm"
)

// Page-fault error code bits (arch/x86/include/asm/trap_pf.h).
const (
	pfWrite = 1 << 1
	pfInstr = 1 << 4
)

// memoryFault lets the memory manager explain a page fault of application
// code before it becomes a signal: it returns nil if mm has mapped the
// page (the access is run again: copy-on-write, a file that grew, a stack
// that may grow), a SIGBUS (BUS_ADRERR) for a page wholly beyond the end
// of a mapped file, and info itself otherwise.
func (t *Task) memoryFault(info *linux.SignalInfo) *linux.SignalInfo {
	if linux.Signal(info.Signo) != linux.SIGSEGV || info.Code <= 0 || t.tg.mm == nil {
		// Not a page fault (SI_KERNEL is a #GP, for instance).
		return info
	}
	trap := t.ctx.LastTrap()
	switch t.tg.mm.HandleFault(t, info.Addr(), trap.ErrorCode&pfWrite != 0, trap.ErrorCode&pfInstr != 0) {
	case mm.FaultRetry:
		return nil
	case mm.FaultBus:
		bus := &linux.SignalInfo{Signo: int32(linux.SIGBUS), Code: linux.BUS_ADRERR}
		bus.SetAddr(info.Addr())
		return bus
	}
	if info.Code == linux.SEGV_MAPERR && t.tg.mm.GrowStack(info.Addr(), t.stackLimit()) {
		// The stack grew within RLIMIT_STACK (the initial stack is
		// the limit at exec; this is growth after a raise of it).
		return nil
	}
	return info
}

// stackLimit is the soft RLIMIT_STACK of t's process.
func (t *Task) stackLimit() uint64 {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.tg.limits[RLIMIT_STACK].Cur
}
