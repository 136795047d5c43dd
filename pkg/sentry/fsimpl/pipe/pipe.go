// Package pipe implements pipes: the anonymous pipes of pipe(2) and
// pipe2(2), and the pipes behind named FIFOs (fifo(7)), with the
// semantics of Linux's fs/pipe.c and the pipe side of fs/splice.c.
//
// It owns the pipe's data, its capacity (F_GETPIPE_SZ/F_SETPIPE_SZ), the
// read and write ends as vfs.FileDescriptions (File for pipe(2), FIFOFile
// for a FIFO opened through a file system), the open(2) rules of FIFOs
// (FIFO, which a file system embeds in each FIFO inode), poll/epoll
// readiness, and the data movement of splice(2), tee(2) and vmsplice(2)
// (Splice, Tee, SpliceIn, SpliceOut). It must not know about tasks,
// signals, FD tables or application memory: it blocks through the
// vfs.Blocker it is given (a vfs.ChannelBlocker makes waits
// interruptible), reports a write to a pipe without readers as EPIPE and
// leaves SIGPIPE to the syscall layer, and moves bytes that the caller
// has copied in or will copy out.
//
// # Data
//
// Like Linux, a pipe is a ring of at most Size()/PageSize buffers of up
// to a page each, and its capacity is counted in buffers, not bytes:
//
//   - a write first appends the part of its length that is not a whole
//     number of pages (len % PageSize bytes) to the last buffer if that
//     buffer is mergeable and has room, then fills new buffers a page at a
//     time while there are free ones;
//   - so a write of at most PIPE_BUF bytes lands in one place and is
//     atomic: all of it or (O_NONBLOCK) EAGAIN;
//   - a buffer is freed only when all of it has been read, and the write
//     end is writable (POLLOUT) while a buffer is free;
//   - in packet mode (O_DIRECT on the writing file) each page of a write
//     is a packet buffer that is never merged into, and a read takes at
//     most one packet, discarding what does not fit in its buffer.
//
// # Known differences from Linux
//
// Buffer pages live in the sentry's heap (a pool of pages), not in the
// memory file, and nothing counts them against a user: there is no
// pipe-user-pages-soft/hard limit (a privileged task may still grow one
// pipe to 2 GiB, as Linux allows). splice, tee and vmsplice copy data
// instead of sharing pages; the buffers they make split at the source's
// page boundaries as Linux's do (vmsplice: at the first segment's only).
//
// # Locks
//
// Pipe.rmu serialises consumers (read, splice and vmsplice from the pipe,
// tee's source) and Pipe.wmu producers (write, splice and vmsplice into
// the pipe, tee's destination) and resizes; neither is held while waiting
// for data or room, but SpliceIn and SpliceOut hold them across the other
// file's I/O, as Linux holds the pipe's mutex there. Pipe.mu protects the
// state and is held only briefly, never while blocking, doing I/O or
// calling into a waiter queue (registering or notifying). Lock order: at
// most one rmu, then at most one wmu, then Pipe.mu of one pipe or of two
// (the lower id first).
package pipe

import (
	"sync"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

const pageSize = usermem.PageSize

// DefaultSize is the capacity of a new pipe (PIPE_DEF_BUFFERS pages).
const DefaultSize = linux.PIPE_DEF_BUFFERS * pageSize

// MaxSize is /proc/sys/fs/pipe-max-size's default: F_SETPIPE_SZ may not
// grow a pipe beyond it without CAP_SYS_RESOURCE.
const MaxSize = 1 << 20

// maxRoundedSize is the largest size round_pipe_size accepts (1 << 31);
// larger requests are EINVAL.
const maxRoundedSize = 1 << 31

// spliceChunk bounds the bytes one SpliceIn or SpliceOut step moves
// through a sentry buffer.
const spliceChunk = 1 << 20

// pagePool recycles buffer pages.
var pagePool = sync.Pool{New: func() any { return new([pageSize]byte) }}

// nextID numbers pipes: pipe(2) pipes use it as their inode number, and
// it orders the locking of two pipes.
var nextID atomic.Uint64

// buffer is one slot of the ring: bytes [off, off+n) of page.
type buffer struct {
	page   *[pageSize]byte
	off, n int
	// packet marks a packet-mode (O_DIRECT) write: a read takes the
	// whole buffer or discards what does not fit (PIPE_BUF_FLAG_PACKET).
	packet bool
	// merge allows a later small write to append to the buffer
	// (PIPE_BUF_FLAG_CAN_MERGE): set for buffers of ordinary writes.
	merge bool
}

func (b *buffer) bytes() []byte { return b.page[b.off : b.off+b.n] }

// Pipe is the buffer shared by the ends of one pipe.
type Pipe struct {
	// id is unique; a pipe(2) pipe's inode number. Immutable.
	id uint64
	// fifo is set for the pipe of a named FIFO, whose data is dropped
	// when its last end closes. Immutable.
	fifo bool
	// Attributes of a pipe(2) pipe for fstat. Immutable.
	uid, gid uint32
	created  linux.Timespec

	// rmu and wmu serialise consumers and producers: see the package
	// comment.
	rmu sync.Mutex
	wmu sync.Mutex

	// partner is notified when an end opens, for FIFO opens that wait
	// for the other side. Only channel entries are registered on it.
	partner waiter.Queue

	mu sync.Mutex
	// ring holds count buffers from index head on, circularly. It grows
	// on demand, up to slots.
	ring        []buffer
	head, count int
	// slots is the capacity in buffers (Linux's max_usage).
	slots int
	// size is the number of bytes held.
	size int
	// readers and writers count the open ends (and the FIFO opens
	// waiting for a partner) that read and write.
	readers, writers int
	// rOpens and wOpens count every open for reading and writing
	// (Linux's r_counter and w_counter): a waiting FIFO open wakes when
	// the other one changes.
	rOpens, wOpens uint64
	// ends are the open ends, notified of readiness changes. The slice
	// is replaced, never modified, so a copy of it can be used without
	// mu.
	ends []*End
}

func newPipe(fifo bool, uid, gid uint32) *Pipe {
	now := time.Now()
	return &Pipe{
		id:      nextID.Add(1),
		fifo:    fifo,
		uid:     uid,
		gid:     gid,
		created: linux.Timespec{Sec: now.Unix(), Nsec: int64(now.Nanosecond())},
		slots:   linux.PIPE_DEF_BUFFERS,
	}
}

// ID returns the pipe's unique number (the inode number of a pipe(2)
// pipe).
func (p *Pipe) ID() uint64 { return p.id }

// front returns the oldest buffer.
//
// Preconditions: p.mu is held; p.count > 0.
func (p *Pipe) front() *buffer { return &p.ring[p.head] }

// back returns the newest buffer.
//
// Preconditions: p.mu is held; p.count > 0.
func (p *Pipe) back() *buffer { return &p.ring[(p.head+p.count-1)%len(p.ring)] }

// full reports whether no buffer is free.
//
// Preconditions: p.mu is held.
func (p *Pipe) full() bool { return p.count >= p.slots }

// push appends b to the ring, growing it if needed.
//
// Preconditions: p.mu is held.
func (p *Pipe) push(b buffer) {
	if p.count == len(p.ring) {
		p.resizeRing(max(2*len(p.ring), min(p.slots, linux.PIPE_DEF_BUFFERS), p.count+1))
	}
	p.ring[(p.head+p.count)%len(p.ring)] = b
	p.count++
	p.size += b.n
}

// pop removes the oldest buffer, which must be empty, and recycles its
// page unless keep. It reports whether the pipe was full before.
//
// Preconditions: p.mu is held; p.count > 0.
func (p *Pipe) pop(keep bool) (wasFull bool) {
	wasFull = p.full()
	b := p.front()
	if !keep && b.page != nil {
		pagePool.Put(b.page)
	}
	*b = buffer{}
	p.head = (p.head + 1) % len(p.ring)
	p.count--
	return wasFull
}

// resizeRing moves the buffers to a ring of n slots.
//
// Preconditions: p.mu is held; n >= p.count.
func (p *Pipe) resizeRing(n int) {
	ring := make([]buffer, n)
	for i := 0; i < p.count; i++ {
		ring[i] = p.ring[(p.head+i)%len(p.ring)]
	}
	p.ring, p.head = ring, 0
}

// newBuffer returns a buffer holding a copy of src (at most a page).
func newBuffer(src []byte, packet, merge bool) buffer {
	page := pagePool.Get().(*[pageSize]byte)
	n := copy(page[:], src)
	return buffer{page: page, n: n, packet: packet, merge: merge}
}

// discardLocked drops all data and restores the default capacity: what
// happens to a FIFO's pipe when its last end closes (Linux frees it).
//
// Preconditions: p.mu is held.
func (p *Pipe) discardLocked() {
	for p.count > 0 {
		p.pop(false)
	}
	p.ring, p.head, p.size = nil, 0, 0
	p.slots = linux.PIPE_DEF_BUFFERS
}

// writeLocked appends what fits of src[done:] (done > 0 only when called
// again after a wait), in packet mode if packet, and returns the new
// number of bytes written. first says whether this is the write's first
// step, which may merge into the last buffer.
//
// Preconditions: p.mu is held.
func (p *Pipe) writeLocked(src []byte, done int, first, packet bool) int {
	if first {
		if rem := len(src) % pageSize; rem != 0 && p.count > 0 {
			last := p.back()
			if last.merge && last.off+last.n+rem <= pageSize {
				copy(last.page[last.off+last.n:], src[:rem])
				last.n += rem
				p.size += rem
				done = rem
			}
		}
	}
	for done < len(src) && !p.full() {
		b := newBuffer(src[done:], packet, !packet)
		p.push(b)
		done += b.n
	}
	return done
}

// readLocked moves bytes from the pipe into dst, taking at most one packet
// if packets (a packet larger than dst loses the rest). It returns the
// bytes read and whether a buffer was freed while the pipe was full.
//
// Preconditions: p.mu is held.
func (p *Pipe) readLocked(dst []byte, packets bool) (n int, wasFull bool) {
	for n < len(dst) && p.count > 0 {
		b := p.front()
		c := copy(dst[n:], b.bytes())
		n += c
		b.off += c
		b.n -= c
		p.size -= c
		packet := packets && b.packet
		if packet {
			p.size -= b.n
			b.n = 0
		}
		if b.n == 0 {
			wasFull = p.pop(false) || wasFull
		}
		if packet {
			break
		}
	}
	return n, wasFull
}

// peekLocked copies up to n bytes from the front of the pipe without
// consuming them.
//
// Preconditions: p.mu is held.
func (p *Pipe) peekLocked(n int) []byte {
	out := make([]byte, 0, min(n, p.size))
	for i := 0; i < p.count && len(out) < n; i++ {
		b := p.ring[(p.head+i)%len(p.ring)].bytes()
		out = append(out, b[:min(len(b), n-len(out))]...)
	}
	return out
}

// consumeLocked drops n bytes (at most p.size) from the front and reports
// whether a buffer was freed while the pipe was full.
//
// Preconditions: p.mu is held.
func (p *Pipe) consumeLocked(n int) (wasFull bool) {
	for n > 0 && p.count > 0 {
		b := p.front()
		c := min(n, b.n)
		b.off += c
		b.n -= c
		p.size -= c
		n -= c
		if b.n == 0 {
			wasFull = p.pop(false) || wasFull
		}
	}
	return wasFull
}

// Size returns the capacity in bytes (F_GETPIPE_SZ).
func (p *Pipe) Size() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(p.slots) * pageSize
}

// Len returns the number of bytes held (FIONREAD).
func (p *Pipe) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size
}

// roundSize is round_pipe_size: a page at least, a power of two, 0 (an
// invalid size) above 1 << 31.
func roundSize(size uint64) uint64 {
	if size > maxRoundedSize {
		return 0
	}
	r := uint64(pageSize)
	for r < size {
		r <<= 1
	}
	return r
}

// SetSize implements F_SETPIPE_SZ (pipe_set_size): the capacity becomes
// size rounded up to a power-of-two number of pages; it returns the new
// capacity. Growing beyond MaxSize needs privileged (CAP_SYS_RESOURCE):
// EPERM otherwise. Shrinking below the buffers in use is EBUSY; a size
// above 1 << 31 is EINVAL.
func (p *Pipe) SetSize(size uint64, privileged bool) (int64, error) {
	r := roundSize(size)
	if r == 0 {
		return 0, linux.EINVAL
	}
	slots := int(r / pageSize)
	// Excluding producers keeps SpliceIn's idea of the room valid.
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	if slots > p.slots && r > MaxSize && !privileged {
		p.mu.Unlock()
		return 0, linux.EPERM
	}
	if p.count > slots {
		p.mu.Unlock()
		return 0, linux.EBUSY
	}
	grew := slots > p.slots
	p.slots = slots
	if len(p.ring) > slots {
		p.resizeRing(slots)
	}
	ends := p.ends
	p.mu.Unlock()
	if grew {
		notify(ends, linux.EPOLLOUT|linux.EPOLLWRNORM)
	}
	return int64(r), nil
}

// Events notified to the ends: data arrived, room appeared, an end
// opened or closed.
const (
	readableEvents = linux.EPOLLIN | linux.EPOLLRDNORM
	writableEvents = linux.EPOLLOUT | linux.EPOLLWRNORM
	allEvents      = readableEvents | writableEvents | linux.EPOLLHUP | linux.EPOLLERR
)

// notify tells every end in ends that events may have happened.
func notify(ends []*End, events uint32) {
	for _, e := range ends {
		e.queue.Notify(events)
	}
}

// waitFor blocks until ch is signalled or b is interrupted. A Blocker
// that cannot wait for a channel (sentry-internal callers, tests) waits
// uninterruptibly.
func waitFor(b vfs.Blocker, ch <-chan struct{}) error {
	if cb, ok := b.(vfs.ChannelBlocker); ok {
		return cb.Block(ch, time.Time{})
	}
	<-ch
	return nil
}

// waiterFor registers a channel entry for events on q the first time it
// is called and waits on it afterwards: callers check their condition,
// call it, and check again, so that a notification between the check and
// the registration is not lost.
type waiterFor struct {
	q     *waiter.Queue
	entry *waiter.Entry
	ch    chan struct{}
}

// wait registers (the first time) or blocks. It returns the blocker's
// error if the wait was interrupted.
func (w *waiterFor) wait(b vfs.Blocker, events uint32) error {
	if w.entry == nil {
		w.entry, w.ch = waiter.NewChannelEntry(events)
		w.q.EventRegister(w.entry)
		return nil
	}
	return waitFor(b, w.ch)
}

// done unregisters the entry, if any.
func (w *waiterFor) done() {
	if w.entry != nil {
		w.q.EventUnregister(w.entry)
	}
}
