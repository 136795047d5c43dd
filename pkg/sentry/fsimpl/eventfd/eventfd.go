// Package eventfd implements eventfd(2) files: a 64-bit counter that
// writes add to and reads take, waitable with poll and epoll.
//
// It owns the counter semantics (overflow, semaphore mode, blocking) and
// the file's readiness notifications. It must not know about tasks,
// signals or FD tables: it blocks through the vfs.ChannelBlocker it is
// given, and the syscall layer installs the file.
//
// Lock order: file.mu, then (after releasing it) the waiter queue's lock;
// file.mu is never held while notifying.
package eventfd

import (
	"encoding/binary"
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// maxCount is the largest value the counter may hold: ULLONG_MAX - 1.
const maxCount = ^uint64(0) - 1

// anonInode describes the shared anonymous inode that eventfd and epoll
// files have in Linux (anon_inodefs): mode 0600 with no file type bits.
// The numbers are the sandbox's own; only the shape matters.
var anonInode = linux.Stat{
	Dev:     0xf,
	Ino:     1,
	Nlink:   1,
	Mode:    0o600,
	Blksize: usermem.PageSize,
}

// AnonStat returns the struct stat of an anonymous-inode file (eventfd,
// epoll, and later signalfd and timerfd).
func AnonStat() linux.Stat { return anonInode }

// File is an eventfd.
type File struct {
	// AnonFile's Queue is notified with EPOLLIN when the counter may
	// have become non-zero and EPOLLOUT when it may have room.
	vfs.AnonFile

	// semaphore is EFD_SEMAPHORE; immutable.
	semaphore bool

	mu sync.Mutex
	// count is the counter, at most maxCount.
	count uint64
}

var (
	_ vfs.FileDescription = (*File)(nil)
	_ vfs.Waitable        = (*File)(nil)
)

// New returns an eventfd with the initial value and the EFD_* flags
// (already validated by the caller), holding one reference.
func New(initval uint64, flags uint32) *File {
	f := &File{
		semaphore: flags&linux.EFD_SEMAPHORE != 0,
		count:     initval,
	}
	f.InitAnon("eventfd", linux.O_RDWR|flags&linux.O_NONBLOCK, nil)
	return f
}

// Value returns the counter, for tests and /proc (eventfd-count).
func (f *File) Value() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

func (f *File) nonblocking() bool { return f.StatusFlags()&linux.O_NONBLOCK != 0 }

// block waits for a notification of events on the file's queue, after
// try fails. It loops until try succeeds or fails with something other
// than EAGAIN.
func (f *File) block(b vfs.Blocker, events uint32, try func() (uint64, error)) (uint64, error) {
	v, err := try()
	if err != linux.EAGAIN || f.nonblocking() {
		return v, err
	}
	e, ch := waiter.NewChannelEntry(events)
	f.Queue.EventRegister(e)
	defer f.Queue.EventUnregister(e)
	for {
		v, err := try()
		if err != linux.EAGAIN {
			return v, err
		}
		if cb, ok := b.(vfs.ChannelBlocker); ok {
			if err := cb.Block(ch, time.Time{}); err != nil {
				return 0, err
			}
		} else {
			// No task to interrupt (sentry-internal callers, tests).
			<-ch
		}
	}
}

// Read implements vfs.FileDescription: it takes the counter (or one, in
// semaphore mode), blocking while it is zero.
func (f *File) Read(b vfs.Blocker, dst []byte) (int, error) {
	if len(dst) < 8 {
		return 0, linux.EINVAL
	}
	v, err := f.block(b, linux.EPOLLIN, f.tryRead)
	if err != nil {
		return 0, err
	}
	binary.NativeEndian.PutUint64(dst, v)
	return 8, nil
}

// tryRead takes from the counter, or fails with EAGAIN if it is zero.
func (f *File) tryRead() (uint64, error) {
	f.mu.Lock()
	if f.count == 0 {
		f.mu.Unlock()
		return 0, linux.EAGAIN
	}
	v := f.count
	if f.semaphore {
		v = 1
	}
	f.count -= v
	f.mu.Unlock()
	f.Queue.Notify(linux.EPOLLOUT)
	return v, nil
}

// Write implements vfs.FileDescription: it adds the 8-byte value to the
// counter, blocking while the sum would exceed ULLONG_MAX - 1. Linux
// (6.x) takes exactly 8 bytes: a longer write is EINVAL too.
func (f *File) Write(b vfs.Blocker, src []byte) (int, error) {
	if len(src) != 8 {
		return 0, linux.EINVAL
	}
	v := binary.NativeEndian.Uint64(src)
	if v == ^uint64(0) {
		return 0, linux.EINVAL
	}
	if _, err := f.block(b, linux.EPOLLOUT, func() (uint64, error) { return 0, f.tryWrite(v) }); err != nil {
		return 0, err
	}
	return 8, nil
}

// Signal adds v to the counter without blocking, as the sentry's own
// signalers (AIO, later) would; EAGAIN if it does not fit.
func (f *File) Signal(v uint64) error { return f.tryWrite(v) }

// tryWrite adds v, or fails with EAGAIN if the counter has no room.
func (f *File) tryWrite(v uint64) error {
	f.mu.Lock()
	if maxCount-f.count < v {
		f.mu.Unlock()
		return linux.EAGAIN
	}
	f.count += v
	f.mu.Unlock()
	// Like Linux, every successful write wakes readers, even of 0.
	f.Queue.Notify(linux.EPOLLIN)
	return nil
}

// PRead implements vfs.FileDescription.
func (f *File) PRead(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements vfs.FileDescription.
func (f *File) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements vfs.FileDescription. Linux's eventfd uses noop_llseek:
// lseek succeeds and returns the (always zero) position.
func (f *File) Seek(int64, int) (int64, error) { return 0, nil }

// Stat implements vfs.FileDescription.
func (f *File) Stat() (linux.Stat, error) { return AnonStat(), nil }

// Ioctl implements vfs.FileDescription.
func (f *File) Ioctl(usermem.IO, uint32, uint64) (uint64, error) { return 0, linux.ENOTTY }

// Readiness implements vfs.Waitable.
func (f *File) Readiness(mask uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r uint32
	if f.count > 0 {
		r |= linux.EPOLLIN
	}
	if f.count < maxCount {
		r |= linux.EPOLLOUT
	}
	return r & mask
}
