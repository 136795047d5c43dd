// Package log is the sandbox's debug log: one timestamped line per message,
// written to the --debug-log target (stderr by default).
//
// It owns only formatting and the destination; it must not decide what is
// worth logging. Warnings are always written; Debugf only with --debug.
package log

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

var (
	mu     sync.Mutex
	target io.Writer = os.Stderr
	debug  atomic.Bool
)

// SetTarget sends every later line to w.
func SetTarget(w io.Writer) {
	mu.Lock()
	target = w
	mu.Unlock()
}

// Target returns the current destination.
func Target() io.Writer {
	mu.Lock()
	defer mu.Unlock()
	return target
}

// SetDebug turns Debugf lines on or off.
func SetDebug(on bool) { debug.Store(on) }

// IsDebug reports whether Debugf lines are written.
func IsDebug() bool { return debug.Load() }

func emit(level byte, format string, args []any) {
	now := time.Now()
	line := fmt.Sprintf("%c%s %7d] %s\n", level, now.Format("0102 15:04:05.000000"), os.Getpid(), fmt.Sprintf(format, args...))
	mu.Lock()
	io.WriteString(target, line)
	mu.Unlock()
}

// Infof writes an informational line when debugging is on.
func Infof(format string, args ...any) {
	if debug.Load() {
		emit('I', format, args)
	}
}

// Debugf writes a debug line when debugging is on.
func Debugf(format string, args ...any) {
	if debug.Load() {
		emit('D', format, args)
	}
}

// Warningf writes a warning line, always.
func Warningf(format string, args ...any) { emit('W', format, args) }
