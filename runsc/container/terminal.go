package container

import (
	"errors"
	"fmt"
	"os"

	"bulwark.dev/bulwark/runsc/sandbox"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The terminal of a process.terminal container, as runc chooses it: with
// --console-socket, a new host pty whose master goes to the socket and
// whose slave is the process's stdio (sandbox/console.go); without one,
// only a foreground `runsc run` whose stdin is a terminal may go on, and
// the process gets runsc's own terminal. A detached container without a
// console socket is an error, as is a console socket for a container
// without a terminal.

// Terminal is the terminal chosen for a container's process or an
// exec'd one.
type Terminal struct {
	// Console is the pty made for --console-socket, or nil.
	Console *sandbox.PTY
	// Foreground is runsc's own terminal, if runsc is in its
	// foreground, for sandbox.Args.Terminal; or nil.
	Foreground *os.File
}

// openTerminal chooses the terminal of spec's process and, for a console,
// makes the slave o's stdio. The result is never nil.
func openTerminal(spec *specs.Spec, o *CreateOptions) (*Terminal, error) {
	var size *specs.Box
	terminal := spec.Process != nil && spec.Process.Terminal
	if terminal {
		size = spec.Process.ConsoleSize
	}
	return OpenTerminal(terminal, size, o.ConsoleSocket, o.Foreground, &o.Stdin, &o.Stdout, &o.Stderr)
}

// OpenTerminal chooses the terminal of a process whose terminal flag,
// console size, console socket and stdio are given; attached says the
// caller stays to wait for it (and may lend it its own terminal).
func OpenTerminal(terminal bool, size *specs.Box, socket string, attached bool, stdio ...**os.File) (*Terminal, error) {
	t := &Terminal{}
	switch {
	case !terminal && socket != "":
		return nil, errors.New("--console-socket given but process.terminal is false")
	case !terminal:
		return t, nil
	case socket != "":
		pty, err := sandbox.NewPTY()
		if err != nil {
			return nil, err
		}
		if size != nil {
			if size.Height > 0xffff || size.Width > 0xffff {
				pty.Close()
				return nil, fmt.Errorf("process.consoleSize %dx%d: too large", size.Height, size.Width)
			}
			if err := pty.SetSize(uint16(size.Height), uint16(size.Width)); err != nil {
				pty.Close()
				return nil, err
			}
		}
		t.Console = pty
		for _, f := range stdio {
			*f = pty.Slave
		}
		return t, nil
	case !attached:
		return nil, errors.New("process.terminal is true but runsc does not stay attached: give --console-socket")
	}
	if len(stdio) == 0 || *stdio[0] == nil || !sandbox.IsTerminal(int((*stdio[0]).Fd())) {
		return nil, errors.New("process.terminal is true but stdin is not a terminal: give --console-socket")
	}
	files := make([]*os.File, len(stdio))
	for i, f := range stdio {
		files[i] = *f
	}
	t.Foreground = sandbox.ForegroundTerminal(files...)
	return t, nil
}

// Send sends a console's master to socket; nothing without a console.
func (t *Terminal) Send(socket string) error {
	if t.Console == nil {
		return nil
	}
	return t.Console.SendMaster(socket)
}

// Close closes runsc's copies of a console's ends: the engine and the
// sandbox hold theirs.
func (t *Terminal) Close() {
	if t != nil && t.Console != nil {
		t.Console.Close()
	}
}
