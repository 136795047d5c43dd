// Package vfs is the virtual file system layer. For now it holds only the
// FileDescription interface that FD tables store and that file
// implementations (host FDs today; tmpfs, the gofer client and the overlay
// later) provide.
//
// It must not know about tasks or signals beyond the blocking interface
// that I/O needs.
package vfs

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Blocker lets a file's blocking operations wait in an interruptible way.
type Blocker interface {
	// BlockFD waits until the host FD fd is ready for the poll events in
	// events. It returns EINTR-family errors if the task is interrupted.
	BlockFD(fd int, events int16) error
}

// FileDescription is an open file, shared by every FD that refers to it.
type FileDescription interface {
	// Read reads into dst at the file offset, advancing it.
	Read(b Blocker, dst []byte) (int, error)
	// Write writes src at the file offset (or the end, for O_APPEND).
	Write(b Blocker, src []byte) (int, error)
	// PRead and PWrite use an explicit offset (ESPIPE if not seekable).
	PRead(b Blocker, dst []byte, off int64) (int, error)
	PWrite(b Blocker, src []byte, off int64) (int, error)
	// Seek implements lseek.
	Seek(off int64, whence int) (int64, error)
	// Stat fills a struct stat.
	Stat() (linux.Stat, error)
	// Ioctl implements ioctl for the requests the file understands
	// (ENOTTY for the others).
	Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error)
	// StatusFlags and SetStatusFlags are F_GETFL and F_SETFL.
	StatusFlags() uint32
	SetStatusFlags(flags uint32) error
	// IncRef and DecRef count the FDs (and other holders) of the file;
	// the last DecRef releases it.
	IncRef()
	DecRef()
}

// ChannelBlocker is implemented by Blockers that can also wait for a
// channel (kernel.Task does): files implemented inside the sentry
// (eventfd, pipes) block with it until their waiter queue signals.
type ChannelBlocker interface {
	Blocker
	// Block waits until ch is ready (nil), the deadline passes
	// (ETIMEDOUT; a zero deadline means none) or the task is interrupted
	// (an ERESTART-family errno).
	Block(ch <-chan struct{}, deadline time.Time) error
}

// Waitable is implemented by files whose readiness can be polled and
// waited for (poll, select, epoll). Event masks are the EPOLL*/POLL* bits
// of pkg/abi/linux. A file that does not implement it is always ready for
// poll (DEFAULT_POLLMASK) and cannot be added to an epoll set (EPERM).
type Waitable interface {
	// Readiness returns the events among mask that the file is ready
	// for now. It must not block.
	Readiness(mask uint32) uint32
	// EventRegister asks the file to notify e when its readiness may
	// have changed, and, through waiter.Queue.Release, when it is
	// released. It fails with EPERM if the file cannot be waited for
	// after all (a host FD for a file without poll support).
	EventRegister(e *waiter.Entry) error
	// EventUnregister undoes EventRegister; it is a no-op if e is not
	// registered (any more).
	EventUnregister(e *waiter.Entry)
}

// Unnotified is implemented by Waitable files that cannot notify every
// readiness change: host FDs, whose readiness the host kernel decides.
// A waiter re-checks their Readiness periodically while it waits.
type Unnotified interface {
	Waitable
	// NeedsRepoll reports whether waiters must re-check Readiness
	// periodically (an epoll set does while it holds such a file).
	NeedsRepoll() bool
	// Released reports whether the file's last reference is gone. A
	// file that cannot notify its release through its waiter queue
	// reports it here, and holders without a reference (epoll sets)
	// drop it when they see it.
	Released() bool
}
