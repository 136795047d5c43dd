package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Consoles: the terminals of `runsc create/run/exec --console-socket`.
//
// runsc allocates a host pseudo-terminal, sends its master to the unix
// socket the container engine named (conmon, containerd's shim), and gives
// the slave to the container's process as its stdin, stdout and stderr.
// The sandbox process makes the slave its own controlling terminal, in a
// session of its own (Args.ControllingTTY), so that what the engine does
// to the master (^C, a window size change) signals it; runsc/boot passes
// those on to the application's foreground process group, and the sentry
// makes the slave the controlling terminal of the application's session.

// PTY is a host pseudo-terminal pair.
type PTY struct {
	// Master is named "/dev/ptmx", the name runc sends with it; Slave
	// has its /dev/pts path.
	Master, Slave *os.File
}

// NewPTY opens a new pseudo-terminal pair, neither end becoming the
// caller's controlling terminal.
func NewPTY() (*PTY, error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console: open /dev/ptmx: %w", err)
	}
	master := os.NewFile(uintptr(m), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, fmt.Errorf("console: unlockpt: %w", err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("console: ptsname: %w", err)
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	slave, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("console: open %s: %w", name, err)
	}
	return &PTY{Master: master, Slave: slave}, nil
}

// Close closes both ends that the caller still holds.
func (p *PTY) Close() {
	p.Master.Close()
	p.Slave.Close()
}

// SetSize sets the terminal's window size; zero sizes leave it as it is
// (the OCI spec's process.consoleSize is optional).
func (p *PTY) SetSize(rows, cols uint16) error {
	if rows == 0 && cols == 0 {
		return nil
	}
	ws := &unix.Winsize{Row: rows, Col: cols}
	if err := unix.IoctlSetWinsize(int(p.Master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("console: set window size: %w", err)
	}
	return nil
}

// SendMaster sends the pty's master over the unix stream socket at path
// as runc does: one message whose data is the master's name and whose
// SCM_RIGHTS carry its FD.
func (p *PTY) SendMaster(path string) error {
	if path == "" {
		return errors.New("console: empty --console-socket path")
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("console: socket: %w", err)
	}
	defer unix.Close(fd)
	if err := connectUnix(fd, path); err != nil {
		return fmt.Errorf("console: connect to %s: %w", path, err)
	}
	rights := unix.UnixRights(int(p.Master.Fd()))
	if err := unix.Sendmsg(fd, []byte(p.Master.Name()), rights, nil, 0); err != nil {
		return fmt.Errorf("console: send the terminal to %s: %w", path, err)
	}
	return nil
}

// connectUnix connects fd to the socket at path. A path too long for a
// socket address is reached through its directory's /proc/self/fd link.
func connectUnix(fd int, path string) error {
	const maxPath = len(unix.RawSockaddrUnix{}.Path) - 1
	if len(path) <= maxPath {
		return unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	}
	dir, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	name := "/proc/self/fd/" + strconv.Itoa(dir) + "/" + filepath.Base(path)
	if len(name) > maxPath {
		return unix.ENAMETOOLONG
	}
	return unix.Connect(fd, &unix.SockaddrUnix{Name: name})
}
