package kernel

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
)

// SyscallArgs are the six argument registers of a system call.
type SyscallArgs [6]uint64

// SyscallFn implements a system call. It returns the value for rax, or an
// error: a linux.Errno (returned to the application as -errno) or
// ErrNoReturn (the handler has set the registers itself).
type SyscallFn func(t *Task, args SyscallArgs) (uint64, error)

// SupportLevel says how completely a system call is implemented.
type SupportLevel int

const (
	// SupportNone: the call returns an error (ENOSYS unless noted).
	SupportNone SupportLevel = iota
	// SupportPartial: implemented with documented gaps.
	SupportPartial
	// SupportFull: implemented as Linux does.
	SupportFull
)

// String names the level for `runsc syscalls`.
func (s SupportLevel) String() string {
	switch s {
	case SupportFull:
		return "full"
	case SupportPartial:
		return "partial"
	}
	return "none"
}

// Syscall is one entry of the table.
type Syscall struct {
	Name    string
	Fn      SyscallFn
	Support SupportLevel
	// Note explains partial support or the error returned.
	Note string
}

// SyscallTable maps syscall numbers to their implementations. Numbers
// without an entry return ENOSYS and are logged once.
type SyscallTable struct {
	Entries map[uintptr]Syscall

	logged sync.Map // uintptr → struct{}
}

// Lookup returns the entry for nr.
func (st *SyscallTable) Lookup(nr uintptr) (Syscall, bool) {
	s, ok := st.Entries[nr]
	return s, ok && s.Fn != nil
}

// unimplemented logs nr once and returns ENOSYS.
func (st *SyscallTable) unimplemented(nr uintptr) error {
	if _, dup := st.logged.LoadOrStore(nr, struct{}{}); !dup {
		name := linux.SyscallName(nr)
		if s, ok := st.Entries[nr]; ok && s.Note != "" {
			log.Warningf("unsupported syscall %s (%d): %s", name, nr, s.Note)
		} else {
			log.Warningf("unsupported syscall %s (%d)", name, nr)
		}
	}
	return linux.ENOSYS
}
