// Package boot builds and runs the sentry inside the sandbox process: it
// creates the platform, the memory file, the kernel and the first task from
// an executable that runsc opened, and waits for the task's thread group to
// exit.
//
// It runs after `runsc boot` has entered the sandbox's namespaces; it must
// not open any host path, and it reaches the host only through the FDs in
// Args.
package boot

import (
	"io"
)

// Args is everything the sentry needs to start the first process.
type Args struct {
	// ExecFD is a host FD of the executable, open for reading. Run takes
	// ownership of it.
	ExecFD int
	// ExecPath is the path the user named (AT_EXECFN, argv[0] default).
	ExecPath string
	// Argv and Envv are the program's arguments and environment.
	Argv []string
	Envv []string
	// Stdio are host FDs that become the application's FDs 0, 1 and 2.
	Stdio [3]int
	// Hostname is the UTS node name the application sees.
	Hostname string
	// Platform is the --platform value ("ptrace").
	Platform string
	// Strace turns on --strace; StraceSyscalls limits it to these names
	// (empty: all). Log receives strace lines; the caller configures
	// pkg/log for debug messages.
	Strace         bool
	StraceSyscalls []string
	Debug          bool
	Log            io.Writer
}

// ExitStatus is how the first process's thread group ended.
type ExitStatus struct {
	// Code is the exit code when Signal is 0.
	Code int
	// Signal is the signal that killed the thread group, or 0.
	Signal int
}

// ShellCode returns the status a shell reports: Code, or 128+Signal.
func (s ExitStatus) ShellCode() int {
	if s.Signal != 0 {
		return 128 + s.Signal
	}
	return s.Code
}
