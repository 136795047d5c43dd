// Package host wraps host file descriptors that the sandbox owns (today:
// the application's stdio, received from runsc) as vfs.FileDescriptions.
//
// It owns the translation between the guest's view of such a file (its
// status flags, its errno values, its struct layouts) and the host calls
// that serve it. It must not change the host FD's status flags: the host
// file description is shared with the user's terminal or pipeline, so
// O_NONBLOCK and friends set by the application live only in the sentry's
// view. It must not pass application pointers to the host: ioctl
// arguments are copied through usermem.IO into sentry buffers first.
//
// Blocking: a read or write that could block first polls the host FD
// through the caller's vfs.Blocker, so that a signal can interrupt the
// wait. The host call itself may still block briefly if another process
// sharing the host file description consumes the data between the poll
// and the call; writes to streams are issued in PIPE_BUF-sized pieces to
// keep that window small.
//
// A host terminal imported with ImportFD gets the job control of a
// controlling terminal from the kernel's record of it (tty.go): the
// sandbox's sessions and process groups, never the host's.
//
// Lock order: fileDescription.mu and hostTerminal.mu are leaves; Kernel.mu
// (taken by kernel.TTY's methods) is never held while taking them.
package host

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// fileDescription is a vfs.FileDescription backed by a host FD.
type fileDescription struct {
	fd int
	// refs counts holders; the host FD is closed when it drops to zero.
	refs atomic.Int64

	// mode is the host file's S_IFMT type bits.
	mode uint32
	// stream is true for files without an offset (pipes, sockets,
	// terminals): lseek, pread and pwrite give ESPIPE.
	stream bool
	// pollable is true for files whose reads and writes can block
	// (everything but regular files, block devices and directories).
	pollable bool
	// tty is true if the host FD is a terminal.
	tty bool
	// term is the kernel's record of the terminal, for job control; nil
	// for files that are not terminals or were made without a kernel
	// (NewFD). Set before the file is shared, then read-only.
	term *kernel.TTY

	// mu protects flags and serializes emulated O_APPEND writes.
	mu sync.Mutex
	// flags are the status flags as the application sees them.
	flags uint32
	// hostAppend records whether the host FD itself has O_APPEND.
	hostAppend bool
}

var _ vfs.FileDescription = (*fileDescription)(nil)

// NewFD wraps hostFD, which the caller gives to the returned file: it is
// closed when the last reference is dropped. The caller holds the one
// initial reference (an FD table takes its own when the file is
// installed, so the caller usually DecRefs after installing it).
func NewFD(hostFD int) (vfs.FileDescription, error) {
	return newFD(hostFD)
}

// newFD is NewFD with the concrete type.
func newFD(hostFD int) (*fileDescription, error) {
	var st unix.Stat_t
	if err := unix.Fstat(hostFD, &st); err != nil {
		return nil, fmt.Errorf("host: fstat fd %d: %w", hostFD, err)
	}
	fl, err := unix.FcntlInt(uintptr(hostFD), unix.F_GETFL, 0)
	if err != nil {
		return nil, fmt.Errorf("host: fcntl(F_GETFL) fd %d: %w", hostFD, err)
	}
	f := &fileDescription{
		fd:         hostFD,
		mode:       st.Mode & unix.S_IFMT,
		flags:      hostToGuestFlags(fl),
		hostAppend: fl&unix.O_APPEND != 0,
	}
	switch f.mode {
	case unix.S_IFREG, unix.S_IFBLK, unix.S_IFDIR:
	case unix.S_IFCHR:
		f.pollable = true
		if _, err := unix.IoctlGetTermios(hostFD, unix.TCGETS); err == nil {
			f.tty = true
			f.stream = true
		}
	default:
		f.pollable = true
		f.stream = true
	}
	f.refs.Store(1)
	return f, nil
}

// hostOLargefile is the bit the host kernel reports for O_LARGEFILE in
// F_GETFL. x/sys gives O_LARGEFILE as 0 on amd64 (the C library's view,
// where the flag is implicit), so the kernel's value is spelled here.
const hostOLargefile = 0o100000

// hostToGuestFlags converts host status flags to the guest's bits. The
// values are the same on x86-64; the mapping is explicit so that the two
// ABIs never mix silently.
func hostToGuestFlags(fl int) uint32 {
	pairs := []struct {
		host  int
		guest uint32
	}{
		{unix.O_APPEND, linux.O_APPEND},
		{unix.O_NONBLOCK, linux.O_NONBLOCK},
		{unix.O_DSYNC, linux.O_DSYNC},
		{unix.O_ASYNC, linux.FASYNC},
		{unix.O_DIRECT, linux.O_DIRECT},
		{hostOLargefile, linux.O_LARGEFILE},
		{unix.O_NOATIME, linux.O_NOATIME},
		{unix.O_SYNC, linux.O_SYNC},
		{unix.O_PATH, linux.O_PATH},
	}
	var g uint32
	switch fl & unix.O_ACCMODE {
	case unix.O_WRONLY:
		g = linux.O_WRONLY
	case unix.O_RDWR:
		g = linux.O_RDWR
	default:
		g = linux.O_RDONLY
	}
	for _, p := range pairs {
		if fl&p.host == p.host {
			g |= p.guest
		}
	}
	return g
}

// hostErr turns a host errno into the guest errno of the same meaning.
// Both ABIs number errors identically on x86-64 (pkg/abi/linux's tests
// check the tables against x/sys).
func hostErr(err error) error {
	if e, ok := err.(unix.Errno); ok {
		return linux.Errno(e)
	}
	return err
}

// nonblocking reports whether the application asked for non-blocking I/O.
func (f *fileDescription) nonblocking() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flags&linux.O_NONBLOCK != 0
}

// ready polls the host FD without blocking.
func (f *fileDescription) ready(events int16) (bool, error) {
	for {
		pfd := []unix.PollFd{{Fd: int32(f.fd), Events: events}}
		n, err := unix.Poll(pfd, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, hostErr(err)
		}
		return n > 0 && pfd[0].Revents != 0, nil
	}
}

// wait blocks until the host FD is ready for events, through b so that
// the wait is interruptible. A nil b waits uninterruptibly (tests and
// sentry-internal callers).
func (f *fileDescription) wait(b vfs.Blocker, events int16) error {
	if b != nil {
		return b.BlockFD(f.fd, events)
	}
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(f.fd), Events: events}}, -1)
		if err != unix.EINTR {
			return hostErr(err)
		}
	}
}

// Read implements vfs.FileDescription.
func (f *fileDescription) Read(b vfs.Blocker, dst []byte) (int, error) {
	if err := f.checkRead(b); err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	for {
		if f.pollable {
			ok, err := f.ready(unix.POLLIN)
			if err != nil {
				return 0, err
			}
			if !ok {
				if f.nonblocking() {
					return 0, linux.EAGAIN
				}
				if err := f.wait(b, unix.POLLIN); err != nil {
					return 0, err
				}
				continue
			}
		}
		n, err := unix.Read(f.fd, dst)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			// The host FD is non-blocking and someone else took the
			// data, or a spurious wake-up: wait again.
			if f.pollable && !f.nonblocking() {
				continue
			}
		}
		return 0, hostErr(err)
	}
}

// Write implements vfs.FileDescription. A blocking write to a stream
// writes everything unless interrupted, as Linux's pipe and tty writes
// do; it then returns what was written.
func (f *fileDescription) Write(b vfs.Blocker, src []byte) (int, error) {
	if err := f.checkWrite(b); err != nil {
		return 0, err
	}
	if len(src) == 0 {
		return 0, nil
	}
	if !f.pollable {
		return f.writeFile(src)
	}
	total := 0
	for total < len(src) {
		ok, err := f.ready(unix.POLLOUT)
		if err != nil {
			return partial(total, err)
		}
		if !ok {
			if f.nonblocking() {
				return partial(total, linux.EAGAIN)
			}
			if err := f.wait(b, unix.POLLOUT); err != nil {
				return partial(total, err)
			}
			continue
		}
		chunk := src[total:]
		if len(chunk) > linux.PIPE_BUF {
			chunk = chunk[:linux.PIPE_BUF]
		}
		n, err := unix.Write(f.fd, chunk)
		if n > 0 {
			total += n
		}
		switch err {
		case nil, unix.EINTR, unix.EAGAIN:
			continue
		}
		return partial(total, hostErr(err))
	}
	return total, nil
}

// partial returns total if some bytes were transferred, else err.
func partial(total int, err error) (int, error) {
	if total > 0 {
		return total, nil
	}
	return 0, err
}

// writeFile writes to a regular file or block device at the offset (or
// the end, for O_APPEND).
func (f *fileDescription) writeFile(src []byte) (int, error) {
	f.mu.Lock()
	emulateAppend := f.flags&linux.O_APPEND != 0 && !f.hostAppend && f.mode == unix.S_IFREG
	if emulateAppend {
		// O_APPEND set by the application lives only in the sentry's
		// view; f.mu makes seek-then-write atomic among the
		// sandbox's writers (not against other host processes).
		defer f.mu.Unlock()
		if _, err := unix.Seek(f.fd, 0, unix.SEEK_END); err != nil {
			return 0, hostErr(err)
		}
	} else {
		f.mu.Unlock()
	}
	total := 0
	for {
		n, err := unix.Write(f.fd, src[total:])
		if n > 0 {
			total += n
		}
		if err == unix.EINTR || (err == nil && n > 0 && total < len(src)) {
			continue
		}
		if err != nil {
			return partial(total, hostErr(err))
		}
		return total, nil
	}
}

// PRead implements vfs.FileDescription.
func (f *fileDescription) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	if f.stream {
		return 0, linux.ESPIPE
	}
	for {
		n, err := unix.Pread(f.fd, dst, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, hostErr(err)
		}
		return n, nil
	}
}

// PWrite implements vfs.FileDescription.
func (f *fileDescription) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	if f.stream {
		return 0, linux.ESPIPE
	}
	total := 0
	for {
		n, err := unix.Pwrite(f.fd, src[total:], off+int64(total))
		if n > 0 {
			total += n
		}
		if err == unix.EINTR || (err == nil && n > 0 && total < len(src)) {
			continue
		}
		if err != nil {
			return partial(total, hostErr(err))
		}
		return total, nil
	}
}

// Seek implements vfs.FileDescription.
func (f *fileDescription) Seek(off int64, whence int) (int64, error) {
	if f.stream {
		return 0, linux.ESPIPE
	}
	var hw int
	switch whence {
	case linux.SEEK_SET:
		hw = unix.SEEK_SET
	case linux.SEEK_CUR:
		hw = unix.SEEK_CUR
	case linux.SEEK_END:
		hw = unix.SEEK_END
	case linux.SEEK_DATA:
		hw = unix.SEEK_DATA
	case linux.SEEK_HOLE:
		hw = unix.SEEK_HOLE
	default:
		return 0, linux.EINVAL
	}
	pos, err := unix.Seek(f.fd, off, hw)
	if err != nil {
		return 0, hostErr(err)
	}
	return pos, nil
}

// Stat implements vfs.FileDescription.
func (f *fileDescription) Stat() (linux.Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return linux.Stat{}, hostErr(err)
	}
	return linux.Stat{
		Dev:     st.Dev,
		Ino:     st.Ino,
		Nlink:   st.Nlink,
		Mode:    st.Mode,
		UID:     st.Uid,
		GID:     st.Gid,
		Rdev:    st.Rdev,
		Size:    st.Size,
		Blksize: st.Blksize,
		Blocks:  st.Blocks,
		ATime:   linux.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		MTime:   linux.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		CTime:   linux.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}, nil
}

// StatusFlags implements vfs.FileDescription.
func (f *fileDescription) StatusFlags() uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flags
}

// SetStatusFlags implements vfs.FileDescription: only the flags F_SETFL
// may change are taken from flags, and only in the sentry's view.
func (f *fileDescription) SetStatusFlags(flags uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags = f.flags&^linux.SETFL_MASK | flags&linux.SETFL_MASK
	return nil
}

// IncRef implements vfs.FileDescription.
func (f *fileDescription) IncRef() {
	if f.refs.Add(1) <= 1 {
		panic(fmt.Sprintf("host: IncRef of released file (fd %d)", f.fd))
	}
}

// DecRef implements vfs.FileDescription.
func (f *fileDescription) DecRef() {
	switch r := f.refs.Add(-1); {
	case r == 0:
		unix.Close(f.fd)
	case r < 0:
		panic(fmt.Sprintf("host: DecRef of released file (fd %d)", f.fd))
	}
}

// IsTTY reports whether the file is a terminal.
func (f *fileDescription) IsTTY() bool { return f.tty }

// HostFD returns the wrapped host FD, for poll-style waits.
func (f *fileDescription) HostFD() int { return f.fd }

// PipeSize implements F_GETPIPE_SZ: EBADF unless the file is a pipe.
func (f *fileDescription) PipeSize() (int64, error) {
	if f.mode != unix.S_IFIFO {
		return 0, linux.EBADF
	}
	n, err := unix.FcntlInt(uintptr(f.fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return 0, hostErr(err)
	}
	return int64(n), nil
}

// SetPipeSize implements F_SETPIPE_SZ on the host pipe (which the
// application shares with its host peer, as it would natively).
func (f *fileDescription) SetPipeSize(size int64) (int64, error) {
	if f.mode != unix.S_IFIFO {
		return 0, linux.EBADF
	}
	if size < 0 || size > 1<<31-1 {
		return 0, linux.EINVAL
	}
	n, err := unix.FcntlInt(uintptr(f.fd), unix.F_SETPIPE_SZ, int(size))
	if err != nil {
		return 0, hostErr(err)
	}
	return int64(n), nil
}
