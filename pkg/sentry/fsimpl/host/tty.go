package host

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Host terminals and job control.
//
// A host FD that is a terminal, imported with ImportFD, is linked to the
// kernel's record of that terminal (kernel.TTY, one per host st_dev,
// st_ino and st_rdev, so runsc's stdin, stdout and stderr share it). The
// record answers the job control ioctls from the sentry's sessions and
// process groups, never the host's: the host terminal's own foreground
// process group is runsc's sandbox process, which forwards the signals
// the terminal sends it (see kernel.TTY). Terminal settings and the
// window size are the host terminal's; the sentry only adds the checks
// that Linux makes for a background process group (SIGTTIN, SIGTTOU) and
// the SIGWINCH of a size change made inside the sandbox.
//
// /dev/tty opens a new file of the terminal through the record's device
// (hostTerminal), a dup of a host FD of the terminal that the record keeps
// for as long as the kernel lives.

// ImportFD wraps hostFD as NewFD does and, if it is a terminal, links the
// file to k's record of that terminal, creating the record on first use.
func ImportFD(k *kernel.Kernel, hostFD int) (vfs.FileDescription, error) {
	f, err := newFD(hostFD)
	if err != nil {
		return nil, err
	}
	if !f.tty {
		return f, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(hostFD, &st); err != nil {
		f.DecRef()
		return nil, fmt.Errorf("host: fstat fd %d: %w", hostFD, err)
	}
	key := kernel.TTYKey{Dev: st.Dev, Ino: st.Ino, Rdev: st.Rdev}
	tty, err := k.TTYFor(key, func() (kernel.TTYDevice, error) {
		return newHostTerminal(hostFD, f.flags)
	})
	if err != nil {
		f.DecRef()
		return nil, err
	}
	if ht, ok := tty.Device().(*hostTerminal); ok {
		ht.offer(tty, hostFD, f.flags)
	}
	f.term = tty
	return f, nil
}

// TTYOf returns the terminal record of a host file made by ImportFD, or
// nil (not a host file, not a terminal, or made without a kernel).
func TTYOf(f vfs.FileDescription) *kernel.TTY {
	hf, ok := f.(*fileDescription)
	if !ok {
		return nil
	}
	return hf.term
}

// hostTerminal is a kernel.TTYDevice for a host terminal.
type hostTerminal struct {
	// mu protects the fields; a leaf.
	mu sync.Mutex
	// fd is the record's own host FD of the terminal; rdwr says it was
	// opened for reading and writing.
	fd   int
	rdwr bool
	// tty is the record that has this device (set by the first offer).
	tty *kernel.TTY
}

var _ kernel.TTYDevice = (*hostTerminal)(nil)

// newHostTerminal makes a device that keeps a dup of hostFD, whose guest
// status flags are flags.
func newHostTerminal(hostFD int, flags uint32) (*hostTerminal, error) {
	dup, err := unix.FcntlInt(uintptr(hostFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("host: dup terminal fd %d: %w", hostFD, err)
	}
	return &hostTerminal{fd: dup, rdwr: flags&linux.O_ACCMODE == linux.O_RDWR}, nil
}

// offer tells the device of its record tty and of another host FD of the
// terminal, hostFD with guest status flags flags: the kept FD is swapped
// for a dup of hostFD if the kept one is not open for both reading and
// writing and hostFD is, so that /dev/tty can be opened for both when
// any of runsc's stdio FDs could.
func (ht *hostTerminal) offer(tty *kernel.TTY, hostFD int, flags uint32) {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	ht.tty = tty
	if ht.rdwr || flags&linux.O_ACCMODE != linux.O_RDWR {
		return
	}
	dup, err := unix.FcntlInt(uintptr(hostFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return
	}
	unix.Close(ht.fd)
	ht.fd, ht.rdwr = dup, true
}

// OpenTTY implements kernel.TTYDevice: a new file description of the
// terminal, sharing the host file description of the kept FD (whose
// host status flags the sentry never changes), with the open(2) flags
// as its own status flags.
func (ht *hostTerminal) OpenTTY(flags uint32) (vfs.FileDescription, error) {
	ht.mu.Lock()
	dup, err := unix.FcntlInt(uintptr(ht.fd), unix.F_DUPFD_CLOEXEC, 0)
	tty := ht.tty
	ht.mu.Unlock()
	if err != nil {
		return nil, hostErr(err)
	}
	f, err := newFD(dup)
	if err != nil {
		unix.Close(dup)
		return nil, linux.EIO
	}
	const statusFlags = linux.O_ACCMODE | linux.O_APPEND | linux.O_NONBLOCK | linux.O_DSYNC |
		linux.FASYNC | linux.O_DIRECT | linux.O_LARGEFILE | linux.O_NOATIME | linux.O_SYNC
	f.flags = flags & statusFlags
	f.term = tty
	return f, nil
}

// WindowSize implements kernel.TTYDevice.
func (ht *hostTerminal) WindowSize() (linux.Winsize, error) {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	hw, err := unix.IoctlGetWinsize(ht.fd, unix.TIOCGWINSZ)
	if err != nil {
		return linux.Winsize{}, hostErr(err)
	}
	return linux.Winsize{Row: hw.Row, Col: hw.Col, Xpixel: hw.Xpixel, Ypixel: hw.Ypixel}, nil
}

// jobControl returns the calling task and the terminal record when job
// control applies to a call on f: f is a terminal with a record and the
// caller is a task (tests call with other usermem.IOs and vfs.Blockers).
func (f *fileDescription) jobControl(caller any) (*kernel.Task, *kernel.TTY) {
	if f.term == nil {
		return nil, nil
	}
	t, ok := caller.(*kernel.Task)
	if !ok {
		return nil, nil
	}
	return t, f.term
}

// checkRead applies Linux's job control to a read of the terminal: a
// background process group gets SIGTTIN (or EIO).
func (f *fileDescription) checkRead(b vfs.Blocker) error {
	t, tty := f.jobControl(b)
	if tty == nil {
		return nil
	}
	return tty.CheckChange(t, linux.SIGTTIN)
}

// checkWrite applies Linux's job control to a write to the terminal: a
// background process group gets SIGTTOU if the terminal has TOSTOP set.
func (f *fileDescription) checkWrite(b vfs.Blocker) error {
	t, tty := f.jobControl(b)
	if tty == nil || !tty.InBackground(t) {
		return nil
	}
	ht, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
	if err != nil || ht.Lflag&linux.TOSTOP == 0 {
		return nil
	}
	return tty.CheckChange(t, linux.SIGTTOU)
}

// jobControlIoctl serves the controlling-terminal requests. It reports
// whether cmd was one of them.
//
// Preconditions: f is a terminal.
func (f *fileDescription) jobControlIoctl(mem usermem.IO, cmd uint32, arg uint64) (bool, uint64, error) {
	switch cmd {
	case linux.TIOCGPGRP, linux.TIOCGSID, linux.TIOCSPGRP, linux.TIOCSCTTY, linux.TIOCNOTTY:
	default:
		return false, 0, nil
	}
	t, tty := f.jobControl(mem)
	if tty == nil {
		// No process model to answer from: as a terminal that is
		// nobody's controlling terminal.
		if cmd == linux.TIOCSCTTY {
			return true, 0, linux.EPERM
		}
		return true, 0, linux.ENOTTY
	}
	switch cmd {
	case linux.TIOCGPGRP, linux.TIOCGSID:
		get := tty.ForegroundGroup
		if cmd == linux.TIOCGSID {
			get = tty.SessionID
		}
		id, err := get(t)
		if err != nil {
			return true, 0, err
		}
		return true, 0, usermem.CopyOutUint32(mem, arg, uint32(id))
	case linux.TIOCSPGRP:
		if err := tty.CheckChange(t, linux.SIGTTOU); err != nil {
			if err == linux.EIO {
				return true, 0, linux.ENOTTY
			}
			return true, 0, err
		}
		pgid, err := usermem.CopyInUint32(mem, arg)
		if err != nil {
			return true, 0, linux.EFAULT
		}
		return true, 0, tty.SetForegroundGroup(t, kernel.ThreadID(int32(pgid)))
	case linux.TIOCSCTTY:
		// The argument is the value itself: 1 asks to steal.
		readable := f.StatusFlags()&linux.O_ACCMODE != linux.O_WRONLY
		return true, 0, tty.Acquire(t, int32(arg) == 1, readable)
	default: // TIOCNOTTY
		return true, 0, tty.Release(t)
	}
}

// checkSettingsChange applies tty_check_change to a change of the
// terminal's settings (TCSETS*): SIGTTOU for a background caller.
func (f *fileDescription) checkSettingsChange(mem usermem.IO) error {
	t, tty := f.jobControl(mem)
	if tty == nil {
		return nil
	}
	return tty.CheckChange(t, linux.SIGTTOU)
}

// resized tells the terminal's record of a window size set from inside
// the sandbox: SIGWINCH to the foreground group if the size changed.
func (f *fileDescription) resized(ws linux.Winsize) {
	if f.term != nil && f.term.NoteWindowSize(ws) {
		f.term.SignalForeground(linux.SIGWINCH)
	}
}
