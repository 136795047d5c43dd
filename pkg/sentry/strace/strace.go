// Package strace formats the lines of `runsc --strace`: one line per system
// call, naming the task, the call, its decoded arguments, its result or
// errno, and how long it took.
//
// It owns the per-syscall argument formats and the flag-name tables that
// only strace needs. It must not change what a system call does: it only
// reads application memory, through usermem.IO, never writes it, and a
// failed read shows the pointer in hex instead of failing anything.
// Nothing an application passes may make it panic.
package strace

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Logger writes strace lines. It is safe for concurrent use: each line is
// written with one Write call under a mutex, so lines never interleave.
type Logger struct {
	mu sync.Mutex
	w  io.Writer // guarded by mu

	// only, if non-nil, holds the syscalls to log. It is not changed
	// after New.
	only *[linux.NumSyscalls]bool
}

// New returns a logger writing lines to w; if only is non-empty it logs only
// the named syscalls and returns an error naming any unknown name. Empty
// names in only are ignored.
func New(w io.Writer, only []string) (*Logger, error) {
	l := &Logger{w: w}
	var unknown []string
	for _, name := range only {
		if name == "" {
			continue
		}
		nr, ok := linux.SyscallNumber(name)
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		if l.only == nil {
			l.only = new([linux.NumSyscalls]bool)
		}
		l.only[nr] = true
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("strace: unknown system call names: %s", strings.Join(unknown, ", "))
	}
	return l, nil
}

// Enabled reports whether nr is logged.
func (l *Logger) Enabled(nr uintptr) bool {
	if l.only == nil {
		return true
	}
	return nr < linux.NumSyscalls && l.only[nr]
}

// Entry logs a line for a syscall that does not return (exit, exit_group,
// execve, rt_sigreturn), before it runs: "[  12] exit_group(0) = ?".
// Arguments the call would write print as pointers. If the call returns
// after all (a failed execve), Exit may log a second, complete line.
func (l *Logger) Entry(tid int32, nr uintptr, args [6]uint64, mem usermem.IO) {
	if !l.Enabled(nr) {
		return
	}
	c := &call{args: args, mem: mem}
	line := l.prefix(tid, nr, c)
	line = append(line, " = ?\n"...)
	l.write(line)
}

// Exit logs the completed call: ret is the raw value; err the linux.Errno
// (nil on success).
func (l *Logger) Exit(tid int32, nr uintptr, args [6]uint64, mem usermem.IO, ret uint64, err error, d time.Duration) {
	if !l.Enabled(nr) {
		return
	}
	c := &call{args: args, mem: mem, ret: ret, done: true, failed: err != nil}
	line := l.prefix(tid, nr, c)
	line = append(line, " = "...)
	if err != nil {
		var e linux.Errno
		if errors.As(err, &e) {
			line = append(line, "-1 "...)
			line = append(line, e.Name()...)
		} else {
			line = append(line, "-1 ("...)
			line = append(line, err.Error()...)
			line = append(line, ')')
		}
	} else {
		line = append(line, formatFor(nr).formatRet(c)...)
	}
	line = append(line, " ("...)
	line = append(line, formatDuration(d)...)
	line = append(line, ")\n"...)
	l.write(line)
}

// prefix formats "[ tid] name(args)".
func (l *Logger) prefix(tid int32, nr uintptr, c *call) []byte {
	line := fmt.Appendf(nil, "[%4d] %s(", tid, linux.SyscallName(nr))
	first := true
	for _, a := range formatFor(nr).formatArgs(c) {
		if !first {
			line = append(line, ", "...)
		}
		first = false
		line = append(line, a...)
	}
	return append(line, ')')
}

func (l *Logger) write(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A failed write must not fail the system call being traced, and there
	// is nowhere better to report it.
	_, _ = l.w.Write(line)
}

// formatDuration prints d with two significant digits: "8.1µs", "3µs",
// "120ms".
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	unit := time.Duration(1)
	for p := d; p >= 100; p /= 10 {
		unit *= 10
	}
	return d.Round(unit).String()
}
