// Package vfs is the sentry's virtual file system: the dentry cache, mounts
// and mount namespaces, path resolution (symlinks, "..", mount crossing,
// openat2's RESOLVE_* rules), permission checks, and the FileDescription
// interface that FD tables store.
//
// File systems (fsimpl/tmpfs, fsimpl/gofer, fsimpl/dev, fsimpl/proc and,
// later, the overlay) implement Inode and its directory, symlink and xattr
// extensions; vfs does everything that is the same for all of them, the
// way Linux's fs/namei.c does, and calls the file system only to look up,
// create, remove and open single names. A file system never resolves a
// path itself.
//
// vfs must not know about tasks, signals or memory beyond the Context and
// Blocker interfaces; it never touches the host.
//
// Lock order: VirtualFilesystem.renameMu, then Dentry.dirMu of a parent
// before its child's (rename takes renameMu for writing and then any
// number of dirMu), then VirtualFilesystem.mountMu. File system locks come
// after all of these.
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

// PathFile is implemented by files opened through the VFS: they know the
// path they were opened by (fchdir, *at system calls, /proc/self/fd,
// fstatfs, getdents64 all need it).
type PathFile interface {
	FileDescription
	// VirtualDentry is the mount and dentry the file was opened at.
	VirtualDentry() VirtualDentry
}

// DirentFile is implemented by directory files: getdents64 reads them.
type DirentFile interface {
	FileDescription
	// IterDirents calls emit for each entry from the file offset on, in
	// order, and advances the offset past each entry that emit accepts;
	// it stops when emit returns false. next is the offset after d.
	IterDirents(ctx Context, emit func(d Dirent, next int64) bool) error
}

// Syncer is implemented by files that fsync and fdatasync can flush; a
// file without it syncs trivially.
type Syncer interface {
	Sync(ctx Context, dataOnly bool) error
}

// Allocator is implemented by files that fallocate(2) works on (others:
// ENODEV for non-regular files, as Linux).
type Allocator interface {
	Allocate(ctx Context, mode uint32, off, length uint64) error
}

// Dirent is one directory entry.
type Dirent struct {
	Name string
	// Type is the DT_* type.
	Type uint8
	Ino  uint64
}
