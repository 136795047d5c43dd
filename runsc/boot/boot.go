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
	"errors"
	"fmt"
	"io"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/control"
	"golang.org/x/sys/unix"
)

// Args is everything the sentry needs to start the first process.
type Args struct {
	// GoferFD is the connection to the gofer that serves the container's
	// root. Run takes ownership of it.
	GoferFD int
	// FilestoreFD is the host file that holds the root overlay's
	// upper-layer data (see OverlayMemoryFile), or -1 for none (the data
	// stays in memory). FDs 0-2 are the standard ones and also mean none,
	// so that an Args that does not set it never takes stdin for a
	// filestore.
	FilestoreFD int
	// Overlay is how the root is mounted (--overlay2); RootReadOnly
	// makes the root read-only for the application (root.readonly of an
	// OCI spec).
	Overlay      config.Overlay2
	RootReadOnly bool
	// Mounts are an OCI spec's mounts, made after the root in this order
	// (see mounts.go); GoferMountFDs are the connections to the gofer
	// that serves their bind mounts, indexed by Mount.GoferIndex. Run
	// takes ownership of them.
	Mounts        []Mount
	GoferMountFDs []int
	// MaskedPaths and ReadonlyPaths are the spec's linux.maskedPaths and
	// linux.readonlyPaths, applied after the mounts (maskPaths).
	MaskedPaths, ReadonlyPaths []string
	// ExecPath is the path of the program in the container (resolved
	// from the working directory); Argv[0] is what the user named.
	ExecPath string
	// Cwd is the working directory ("/" if empty or missing).
	Cwd string
	// Argv and Envv are the program's arguments and environment.
	Argv []string
	Envv []string
	// Stdio are host FDs that become the application's FDs 0, 1 and 2.
	Stdio [3]int
	// UID, GID and Groups are the first process's credentials (root with
	// every capability when all are zero); Rlimits override the default
	// resource limits.
	UID, GID uint32
	Groups   []uint32
	Rlimits  []control.Rlimit
	// Caps, if not nil, are the capability sets the first process's
	// program is executed with; NoNewPrivileges sets its no_new_privs.
	Caps            *control.Capabilities
	NoNewPrivileges bool
	// ControlFD, if above 2 (not a standard FD), is the listening
	// control socket (runsc/control) to serve; with WaitStart, the first
	// process starts only when a start request arrives.
	ControlFD int
	WaitStart bool
	// ExitFD, if above 2, is a file that gets the first process's wait
	// status, as decimal text, when it ends.
	ExitFD int
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

// WaitStatus returns the status as wait(2) encodes it.
func (s ExitStatus) WaitStatus() int {
	if s.Signal != 0 {
		return s.Signal & 0x7f
	}
	return (s.Code & 0xff) << 8
}

// ShellCode returns the status a shell reports: Code, or 128+Signal.
func (s ExitStatus) ShellCode() int {
	if s.Signal != 0 {
		return 128 + s.Signal
	}
	return s.Code
}

// ExecError is a failure to start the first program (it does not exist,
// cannot be executed, or its interpreter is missing).
type ExecError struct {
	Err error
}

// Error ends with the errno's description ("no such file or directory"),
// which container engines read to choose their exit code (podman: 127
// for a command that is not found, 126 for one that may not run).
func (e *ExecError) Error() string {
	var errno linux.Errno
	if errors.As(e.Err, &errno) {
		return fmt.Sprintf("%v (%s)", e.Err, unix.Errno(errno).Error())
	}
	return e.Err.Error()
}

func (e *ExecError) Unwrap() error { return e.Err }

// ShellCode is the status a shell reports for such a failure: 127 when
// the program (or its interpreter) was not found, 126 otherwise.
func (e *ExecError) ShellCode() int {
	if errors.Is(e.Err, linux.ENOENT) || errors.Is(e.Err, linux.ENOTDIR) {
		return 127
	}
	return 126
}
