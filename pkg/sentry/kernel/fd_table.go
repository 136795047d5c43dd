package kernel

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// FD flags, defined in include/uapi/asm-generic/fcntl.h.
const FD_CLOEXEC = 1

// FDTable maps file descriptor numbers to open files.
type FDTable struct {
	// users counts the processes that share the table (fd_table_fork.go).
	users atomic.Int32

	mu  sync.Mutex
	fds []fdEntry
}

type fdEntry struct {
	file    vfs.FileDescription
	cloexec bool
}

// NewFDTable returns an empty table.
func NewFDTable() *FDTable {
	ft := &FDTable{}
	ft.users.Store(1)
	return ft
}

// Get returns the file at fd with a reference the caller must drop, and
// its close-on-exec flag.
func (ft *FDTable) Get(fd int32) (vfs.FileDescription, bool, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if fd < 0 || int(fd) >= len(ft.fds) || ft.fds[fd].file == nil {
		return nil, false, linux.EBADF
	}
	e := ft.fds[fd]
	e.file.IncRef()
	return e.file, e.cloexec, nil
}

// NewFD installs f at the lowest free fd ≥ min, below limit (RLIMIT_NOFILE),
// taking a reference.
func (ft *FDTable) NewFD(f vfs.FileDescription, min int32, cloexec bool, limit uint64) (int32, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	fd := min
	for ; int(fd) < len(ft.fds) && ft.fds[fd].file != nil; fd++ {
	}
	if uint64(fd) >= limit {
		return 0, linux.EMFILE
	}
	ft.setLocked(fd, f, cloexec)
	return fd, nil
}

// SetFD installs f at fd, closing what was there (dup2/dup3). EBADF if fd
// is not below limit.
func (ft *FDTable) SetFD(fd int32, f vfs.FileDescription, cloexec bool, limit uint64) error {
	if fd < 0 || uint64(fd) >= limit {
		return linux.EBADF
	}
	ft.mu.Lock()
	old := ft.setLocked(fd, f, cloexec)
	ft.mu.Unlock()
	if old != nil {
		ft.closeFile(old)
	}
	return nil
}

// setLocked puts f (with a new reference) at fd and returns what was
// there, whose reference the caller drops outside the lock.
//
// Preconditions: ft.mu is held.
func (ft *FDTable) setLocked(fd int32, f vfs.FileDescription, cloexec bool) vfs.FileDescription {
	for int(fd) >= len(ft.fds) {
		ft.fds = append(ft.fds, fdEntry{})
	}
	old := ft.fds[fd].file
	f.IncRef()
	ft.fds[fd] = fdEntry{file: f, cloexec: cloexec}
	return old
}

// SetCloexec sets fd's close-on-exec flag.
func (ft *FDTable) SetCloexec(fd int32, cloexec bool) error {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if fd < 0 || int(fd) >= len(ft.fds) || ft.fds[fd].file == nil {
		return linux.EBADF
	}
	ft.fds[fd].cloexec = cloexec
	return nil
}

// Remove closes fd.
func (ft *FDTable) Remove(fd int32) error {
	ft.mu.Lock()
	if fd < 0 || int(fd) >= len(ft.fds) || ft.fds[fd].file == nil {
		ft.mu.Unlock()
		return linux.EBADF
	}
	f := ft.fds[fd].file
	ft.fds[fd] = fdEntry{}
	ft.mu.Unlock()
	ft.closeFile(f)
	return nil
}

// RemoveRange closes every fd in [first, last] (close_range).
func (ft *FDTable) RemoveRange(first, last uint32) {
	ft.mu.Lock()
	var closed []vfs.FileDescription
	for fd := uint64(first); fd <= uint64(last) && fd < uint64(len(ft.fds)); fd++ {
		if f := ft.fds[fd].file; f != nil {
			closed = append(closed, f)
			ft.fds[fd] = fdEntry{}
		}
	}
	ft.mu.Unlock()
	for _, f := range closed {
		ft.closeFile(f)
	}
}

// SetCloexecRange sets close-on-exec on every fd in [first, last].
func (ft *FDTable) SetCloexecRange(first, last uint32) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for fd := uint64(first); fd <= uint64(last) && fd < uint64(len(ft.fds)); fd++ {
		if ft.fds[fd].file != nil {
			ft.fds[fd].cloexec = true
		}
	}
}

// Release drops the caller's use of ft (see DecUsers).
func (ft *FDTable) Release() { ft.DecUsers() }
