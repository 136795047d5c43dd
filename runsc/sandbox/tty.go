package sandbox

import (
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// The host terminal.
//
// When runsc runs in the foreground of its terminal, the sandbox process
// gets a process group of its own, made the terminal's foreground group
// (Args.Terminal), so that the characters that generate signals (^C, ^\,
// ^Z) and window size changes signal the sandbox process (and its
// platform stubs, which block every signal) rather than runsc and the
// gofer. The sandbox process passes them on to the foreground process
// group of the application's terminal session (runsc/boot), as the
// terminal would inside the sandbox; the sentry serves the terminal from
// the foreground, so its own reads and settings changes never get the
// host's SIGTTIN or SIGTTOU. Once the sandbox ends, runsc takes the
// foreground back (ReclaimForeground).

// TerminalSignals are the signals a terminal sends that the sandbox
// process passes on to the application when its standard I/O is a
// terminal, besides ForwardedSignals.
var TerminalSignals = []os.Signal{unix.SIGTSTP, unix.SIGWINCH}

// ForegroundTerminal returns the first of files that is a terminal in
// whose foreground runsc's process group is, or nil.
func ForegroundTerminal(files ...*os.File) *os.File {
	pgrp := unix.Getpgrp()
	for _, f := range files {
		if f == nil {
			continue
		}
		fg, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
		if err == nil && fg == pgrp {
			return f
		}
	}
	return nil
}

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// ReclaimForeground makes runsc's process group the foreground group of
// tty again, after the sandbox process that had it ended. runsc is then
// in the background, so SIGTTOU is ignored meanwhile, as shells do.
func ReclaimForeground(tty *os.File) error {
	signal.Ignore(unix.SIGTTOU)
	defer signal.Reset(unix.SIGTTOU)
	if err := unix.IoctlSetPointerInt(int(tty.Fd()), unix.TIOCSPGRP, unix.Getpgrp()); err != nil {
		return fmt.Errorf("sandbox: take the terminal's foreground back: %w", err)
	}
	return nil
}
