package pipe

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// FIFO is the pipe of a named FIFO. A file system keeps one per FIFO
// inode (the zero value is ready to use) and opens it from the inode's
// vfs.Inode.Open: every open of the inode shares one pipe, whose data
// lasts while any end is open.
type FIFO struct {
	once sync.Once
	p    *Pipe
}

// pipe returns the FIFO's pipe, made on first use.
func (f *FIFO) pipe() *Pipe {
	f.once.Do(func() { f.p = newPipe(true, 0, 0) })
	return f.p
}

// Open opens an end of the FIFO found at vd with open(2)'s flags, with
// fifo(7)'s rules: O_RDONLY waits until a writer opens (with O_NONBLOCK it
// succeeds at once); O_WRONLY waits until a reader opens (with O_NONBLOCK
// it fails with ENXIO if none is open); O_RDWR never waits. A wait ends
// early with the error of ctx's Block (ERESTARTSYS when interrupted).
// The access mode 3 is EINVAL. The VFS has checked permissions; Open may
// block, so the caller must hold no lock.
func (f *FIFO) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
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
	nonblock := flags&linux.O_NONBLOCK != 0
	p := f.pipe()
	file := &FIFOFile{End: End{p: p, readable: readable, writable: writable}}

	p.mu.Lock()
	if writable && !readable && p.readers == 0 && nonblock {
		p.mu.Unlock()
		return nil, linux.ENXIO
	}
	file.openLocked()
	// Linux waits for the partner only if it is missing now, and then
	// until the other side's open count moves (even if that opener has
	// closed again since).
	var waitCount *uint64
	var cur uint64
	switch {
	case readable && writable:
	case readable && p.writers == 0:
		if nonblock {
			file.hupAfter = p.wOpens
		} else {
			waitCount = &p.wOpens
		}
	case writable && p.readers == 0:
		waitCount = &p.rOpens
	}
	if waitCount != nil {
		cur = *waitCount
	}
	ends := p.ends
	p.mu.Unlock()
	// A new reader or writer changes the other ends' readiness (POLLHUP,
	// POLLERR) and may be what a waiting open waits for.
	p.partner.Notify(allEvents)
	notify(ends, allEvents)

	if waitCount != nil {
		if err := file.waitPartner(ctx, waitCount, cur); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	file.publishLocked()
	p.mu.Unlock()
	if flags&linux.O_DIRECT != 0 {
		// Linux refuses O_DIRECT at open for files without direct I/O
		// after the file system's open has run (and waited): a FIFO
		// gets packet mode only through F_SETFL.
		file.End.release()
		return nil, linux.EINVAL
	}
	file.FileBase.Init(vd, flags, file.End.release)
	return file, nil
}

// waitPartner waits until *count (an open count of the pipe, protected by
// its mu) differs from cur. If the wait is interrupted it undoes the
// end's open and returns the error.
func (e *End) waitPartner(ctx vfs.Context, count *uint64, cur uint64) error {
	p := e.p
	w := waiterFor{q: &p.partner}
	defer w.done()
	p.mu.Lock()
	for *count == cur {
		p.mu.Unlock()
		if err := w.wait(ctx, allEvents); err != nil {
			e.abandon()
			return err
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	return nil
}

// abandon undoes openLocked for an open that failed while waiting.
func (e *End) abandon() {
	p := e.p
	p.mu.Lock()
	if e.readable {
		p.readers--
	}
	if e.writable {
		p.writers--
	}
	if p.readers == 0 && p.writers == 0 {
		p.discardLocked()
	}
	ends := p.ends
	p.mu.Unlock()
	notify(ends, allEvents)
}
