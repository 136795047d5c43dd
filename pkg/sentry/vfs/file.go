// Package vfs is the virtual file system layer. For now it holds only the
// FileDescription interface that FD tables store and that file
// implementations (host FDs today; tmpfs, the gofer client and the overlay
// later) provide.
//
// It must not know about tasks or signals beyond the blocking interface
// that I/O needs.
package vfs

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
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
