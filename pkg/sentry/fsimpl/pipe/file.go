package pipe

import (
	"fmt"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// pipefsDev is the st_dev of pipe(2) pipes (Linux's pipefs, an anonymous
// device). The number is the sandbox's own, distinct from anon_inodefs'
// and from those the VFS gives mounted file systems.
const pipefsDev = 0xe

// End is the pipe side of an open end: the pipe and which ways the file
// uses it. File and FIFOFile embed one; Endpoint finds it.
type End struct {
	p *Pipe
	// readable and writable are the file's access mode. Immutable.
	readable, writable bool
	// hupAfter suppresses POLLHUP while the pipe's wOpens is still this
	// value: set for a FIFO opened for reading with O_NONBLOCK while no
	// writer was there, which must not look hung up before a writer has
	// come (Linux's f_pipe). Immutable.
	hupAfter uint64
	// queue is notified when the end's readiness may have changed, and
	// released with the file.
	queue waiter.Queue
}

var _ vfs.Waitable = (*End)(nil)

// Endpoint is implemented by the ends of pipes and FIFOs (*File,
// *FIFOFile): splice(2), tee(2) and vmsplice(2) find the pipe through it.
type Endpoint interface {
	vfs.FileDescription
	PipeEnd() *End
}

// PipeEnd implements Endpoint.
func (e *End) PipeEnd() *End { return e }

// Pipe returns the pipe.
func (e *End) Pipe() *Pipe { return e.p }

// Readable and Writable report the end's access mode.
func (e *End) Readable() bool { return e.readable }
func (e *End) Writable() bool { return e.writable }

// openLocked counts the end in its pipe's readers and writers.
//
// Preconditions: e.p.mu is held.
func (e *End) openLocked() {
	p := e.p
	if e.readable {
		p.readers++
		p.rOpens++
	}
	if e.writable {
		p.writers++
		p.wOpens++
	}
}

// publishLocked makes the end one of those its pipe notifies.
//
// Preconditions: e.p.mu is held.
func (e *End) publishLocked() {
	p := e.p
	ends := make([]*End, len(p.ends), len(p.ends)+1)
	copy(ends, p.ends)
	p.ends = append(ends, e)
}

// release is the end's last close: it stops counting as a reader or
// writer, wakes the other side, and drops its waiters (epoll sets).
func (e *End) release() {
	p := e.p
	p.mu.Lock()
	if e.readable {
		p.readers--
	}
	if e.writable {
		p.writers--
	}
	ends := make([]*End, 0, len(p.ends))
	for _, o := range p.ends {
		if o != e {
			ends = append(ends, o)
		}
	}
	p.ends = ends
	if p.readers == 0 && p.writers == 0 {
		p.discardLocked()
	}
	p.mu.Unlock()
	notify(ends, allEvents)
	e.queue.Release()
}

// read is read(2) on the end: it returns at least one byte, or 0 at end
// of file (empty, no writers), or EAGAIN if nonblock and the pipe is
// empty, blocking otherwise until one of these holds. It takes at most
// one packet.
func (e *End) read(b vfs.Blocker, dst []byte, nonblock bool) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	p := e.p
	w := waiterFor{q: &e.queue}
	defer w.done()
	for {
		p.rmu.Lock()
		p.mu.Lock()
		n, wasFull := p.readLocked(dst, true)
		writers := p.writers
		ends := p.ends
		p.mu.Unlock()
		p.rmu.Unlock()
		if n > 0 {
			if wasFull {
				notify(ends, writableEvents)
			}
			return n, nil
		}
		if writers == 0 {
			return 0, nil
		}
		if nonblock {
			return 0, linux.EAGAIN
		}
		if err := w.wait(b, readableEvents|linux.EPOLLHUP); err != nil {
			return 0, err
		}
	}
}

// write is write(2) on the end, in packet mode if packet. It returns the
// bytes written and, when it could not write everything: EPIPE if the
// readers are gone (with a partial count if some bytes went in before:
// the caller raises SIGPIPE either way), EAGAIN if nonblock and nothing
// fitted (a write of at most PIPE_BUF bytes is all or nothing), or the
// blocker's error if a wait was interrupted before anything was written.
func (e *End) write(b vfs.Blocker, src []byte, nonblock, packet bool) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	p := e.p
	w := waiterFor{q: &e.queue}
	defer w.done()
	done := 0
	first := true
	for {
		p.wmu.Lock()
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			p.wmu.Unlock()
			return done, linux.EPIPE
		}
		before := done
		done = p.writeLocked(src, done, first, packet)
		first = false
		ends := p.ends
		p.mu.Unlock()
		p.wmu.Unlock()
		if done > before {
			// Linux wakes readers on every write while the pipe is
			// polled ("epoll nonsensically wants a wakeup").
			notify(ends, readableEvents)
		}
		if done == len(src) {
			return done, nil
		}
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, linux.EAGAIN
		}
		if err := w.wait(b, writableEvents|linux.EPOLLERR); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Readiness implements vfs.Waitable with pipe_poll's rules: the read side
// is readable while data is held and hung up once no writer is left
// (for a FIFO opened without one, only after a writer came); the write
// side is writable while a buffer is free and in error once no reader is
// left.
func (e *End) Readiness(mask uint32) uint32 {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var r uint32
	if e.readable {
		if p.count > 0 {
			r |= readableEvents
		}
		if p.writers == 0 && p.wOpens != e.hupAfter {
			r |= linux.EPOLLHUP
		}
	}
	if e.writable {
		if !p.full() {
			r |= writableEvents
		}
		if p.readers == 0 {
			r |= linux.EPOLLERR
		}
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (e *End) EventRegister(entry *waiter.Entry) error {
	e.queue.EventRegister(entry)
	return nil
}

// EventUnregister implements vfs.Waitable.
func (e *End) EventUnregister(entry *waiter.Entry) { e.queue.EventUnregister(entry) }

// PipeSize implements vfs.PipeSizer.
func (e *End) PipeSize() (int64, error) { return e.p.Size(), nil }

// SetPipeSize implements vfs.PipeSizer: ctx's CAP_SYS_RESOURCE lets the
// pipe grow beyond MaxSize.
func (e *End) SetPipeSize(ctx vfs.Context, size int64) (int64, error) {
	privileged := ctx != nil && ctx.Credentials().HasCapability(linux.CAP_SYS_RESOURCE)
	return e.p.SetSize(uint64(size), privileged)
}

// ioctl serves the pipe ioctls: FIONREAD (the bytes held, on either
// end). The others are ENOTTY.
func (e *End) ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	switch cmd {
	case linux.FIONREAD:
		if err := usermem.CopyOutUint32(mem, arg, uint32(e.p.Len())); err != nil {
			return 0, linux.EFAULT
		}
		return 0, nil
	}
	return 0, linux.ENOTTY
}

// File is an end of a pipe made by pipe(2): not opened through the VFS,
// it has no path, and /proc/PID/fd shows it as "pipe:[INO]".
type File struct {
	End
	refs atomic.Int64
	// flags are the status flags, with the access mode.
	flags atomic.Uint32
}

var (
	_ vfs.FileDescription = (*File)(nil)
	_ vfs.Waitable        = (*File)(nil)
	_ vfs.PipeSizer       = (*File)(nil)
	_ Endpoint            = (*File)(nil)
)

// New returns the read and write ends of a new pipe, each holding one
// reference, owned by uid and gid. flags are pipe2(2)'s O_NONBLOCK and
// O_DIRECT (the caller has refused the others): like Linux, O_DIRECT
// goes to the write end only.
func New(uid, gid uint32, flags uint32) (r, w *File) {
	p := newPipe(false, uid, gid)
	r = &File{End: End{p: p, readable: true}}
	r.flags.Store(linux.O_RDONLY | flags&linux.O_NONBLOCK)
	w = &File{End: End{p: p, writable: true}}
	w.flags.Store(linux.O_WRONLY | flags&(linux.O_NONBLOCK|linux.O_DIRECT))
	p.mu.Lock()
	for _, f := range []*File{r, w} {
		f.refs.Store(1)
		f.openLocked()
		f.publishLocked()
	}
	p.mu.Unlock()
	return r, w
}

// Reopen opens the pipe again, as open(2) of /proc/PID/fd/N does for a
// pipe: a new end for flags' access mode (O_RDWR gives an end that
// reads and writes), with flags' status flags, never waiting for the
// other side (Linux's fifo_open for a pipe). The access mode 3 is
// EINVAL.
func (f *File) Reopen(flags uint32) (*File, error) {
	var readable, writable bool
	switch flags & linux.O_ACCMODE {
	case linux.O_RDONLY:
		readable = true
	case linux.O_WRONLY:
		writable = true
	case linux.O_RDWR:
		readable, writable = true, true
	default:
		return nil, linux.EINVAL
	}
	nf := &File{End: End{p: f.p, readable: readable, writable: writable}}
	nf.refs.Store(1)
	nf.flags.Store(flags &^ (linux.O_CREAT | linux.O_EXCL | linux.O_NOCTTY | linux.O_TRUNC | linux.O_CLOEXEC))
	p := f.p
	p.mu.Lock()
	nf.openLocked()
	nf.publishLocked()
	ends := p.ends
	p.mu.Unlock()
	notify(ends, allEvents)
	return nf, nil
}

// Read implements vfs.FileDescription.
func (f *File) Read(b vfs.Blocker, dst []byte) (int, error) {
	if !f.readable {
		return 0, linux.EBADF
	}
	return f.read(b, dst, f.StatusFlags()&linux.O_NONBLOCK != 0)
}

// Write implements vfs.FileDescription. See End.write for EPIPE.
func (f *File) Write(b vfs.Blocker, src []byte) (int, error) {
	if !f.writable {
		return 0, linux.EBADF
	}
	fl := f.StatusFlags()
	return f.write(b, src, fl&linux.O_NONBLOCK != 0, fl&linux.O_DIRECT != 0)
}

// PRead implements vfs.FileDescription: pipes have no offset.
func (f *File) PRead(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements vfs.FileDescription.
func (f *File) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements vfs.FileDescription.
func (f *File) Seek(int64, int) (int64, error) { return 0, linux.ESPIPE }

// Stat implements vfs.FileDescription: a FIFO of pipefs, mode 0600, owned
// by its creator, size 0, with the pipe's number as inode number (both
// ends share it) and its creation time (Linux does not update a pipe's
// times on I/O).
func (f *File) Stat() (linux.Stat, error) {
	p := f.p
	return linux.Stat{
		Dev:     pipefsDev,
		Ino:     p.id,
		Nlink:   1,
		Mode:    linux.S_IFIFO | 0o600,
		UID:     p.uid,
		GID:     p.gid,
		Blksize: pageSize,
		ATime:   p.created,
		MTime:   p.created,
		CTime:   p.created,
	}, nil
}

// Ioctl implements vfs.FileDescription.
func (f *File) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	return f.ioctl(mem, cmd, arg)
}

// StatusFlags implements vfs.FileDescription.
func (f *File) StatusFlags() uint32 { return f.flags.Load() }

// SetStatusFlags implements vfs.FileDescription: F_SETFL's flags change
// (O_NONBLOCK, and O_DIRECT, which switches packet mode for later writes).
func (f *File) SetStatusFlags(flags uint32) error {
	for {
		old := f.flags.Load()
		if f.flags.CompareAndSwap(old, old&^linux.SETFL_MASK|flags&linux.SETFL_MASK) {
			return nil
		}
	}
}

// FDName is what /proc/PID/fd/N shows: "pipe:[INO]".
func (f *File) FDName() string { return fmt.Sprintf("pipe:[%d]", f.p.id) }

// IncRef implements vfs.FileDescription.
func (f *File) IncRef() {
	if f.refs.Add(1) <= 1 {
		panic("pipe: IncRef of released file")
	}
}

// DecRef implements vfs.FileDescription: the last reference closes the
// end.
func (f *File) DecRef() {
	switch r := f.refs.Add(-1); {
	case r == 0:
		f.release()
	case r < 0:
		panic(fmt.Sprintf("pipe: DecRef of released file (refs %d)", r))
	}
}

// FIFOFile is an end of a FIFO's pipe, opened through a file system: it
// has the FIFO's path and its inode's attributes (fstat shows the FIFO).
type FIFOFile struct {
	vfs.FileBase
	End
}

var (
	_ vfs.FileDescription = (*FIFOFile)(nil)
	_ vfs.PathFile        = (*FIFOFile)(nil)
	_ vfs.Waitable        = (*FIFOFile)(nil)
	_ vfs.PipeSizer       = (*FIFOFile)(nil)
	_ Endpoint            = (*FIFOFile)(nil)
)

// Read implements vfs.FileDescription.
func (f *FIFOFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	if !f.readable {
		return 0, linux.EBADF
	}
	return f.read(b, dst, f.StatusFlags()&linux.O_NONBLOCK != 0)
}

// Write implements vfs.FileDescription. See End.write for EPIPE.
func (f *FIFOFile) Write(b vfs.Blocker, src []byte) (int, error) {
	if !f.writable {
		return 0, linux.EBADF
	}
	fl := f.StatusFlags()
	return f.write(b, src, fl&linux.O_NONBLOCK != 0, fl&linux.O_DIRECT != 0)
}

// Ioctl implements vfs.FileDescription.
func (f *FIFOFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	return f.ioctl(mem, cmd, arg)
}
