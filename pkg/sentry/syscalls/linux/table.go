// Package linux is the amd64 Linux system call table of the sentry: for
// each number, the name, the handler and how completely it is supported.
//
// Handlers are thin: they decode arguments, copy them in, call the kernel
// (or the memory manager, or a file), and copy results out. They must not
// hold policy that belongs to the kernel, and must not trust any argument:
// bad pointers are EFAULT, bad values Linux's errno.
//
// Each family file (sys_mm.go, sys_signal.go, ...) declares its entries as
// a map; the table is their union, checked for duplicates at start-up.
package linux

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
)

// families are the per-file entry maps.
var families = []map[uintptr]kernel.Syscall{
	mmSyscalls,
	signalSyscalls,
	threadSyscalls,
	miscSyscalls,
	timeSyscalls,
	fileSyscalls,
	pollSyscalls,
	pathSyscalls,
	execSyscalls,
	memfdSyscalls,
	lockSyscalls,
	processSyscalls,
	selectSyscalls,
	pipeSyscalls,
	timerSyscalls,
	capabilitySyscalls,
	ipcSyscalls,
	nsSyscalls,
	socketSyscalls,
	prioritySyscalls,
	unsupportedSyscalls,
}

// AMD64 is the table.
var AMD64 = build()

func build() *kernel.SyscallTable {
	t := &kernel.SyscallTable{Entries: make(map[uintptr]kernel.Syscall)}
	for _, fam := range families {
		for nr, s := range fam {
			if _, dup := t.Entries[nr]; dup {
				panic(fmt.Sprintf("syscall %d declared twice", nr))
			}
			if s.Name == "" {
				s.Name = linux.SyscallName(nr)
			}
			t.Entries[nr] = s
		}
	}
	return t
}

// full and partial build table entries.
func full(fn kernel.SyscallFn) kernel.Syscall {
	return kernel.Syscall{Fn: fn, Support: kernel.SupportFull}
}

func partial(fn kernel.SyscallFn, note string) kernel.Syscall {
	return kernel.Syscall{Fn: fn, Support: kernel.SupportPartial, Note: note}
}

// errorOnly is an entry that always fails with errno, for calls that are
// deliberately not implemented (rseq: the C library falls back).
func errorOnly(errno linux.Errno, note string) kernel.Syscall {
	return kernel.Syscall{
		Fn:      func(*kernel.Task, kernel.SyscallArgs) (uint64, error) { return 0, errno },
		Support: kernel.SupportNone,
		Note:    note,
	}
}

// unsupportedSyscalls return an error on purpose.
var unsupportedSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_RSEQ: errorOnly(linux.ENOSYS, "restartable sequences are not supported; libc falls back"),
}
