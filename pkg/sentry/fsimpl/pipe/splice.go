package pipe

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// lockTwo locks the state of two different pipes, the lower id first.
func lockTwo(a, b *Pipe) {
	if a.id > b.id {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
}

// Splice moves up to n bytes from src's pipe to dst's, as splice(2)
// between two pipes does: whole buffers move, a partial one is split.
// Tee copies them instead, leaving src's pipe as it was. Both wait (unless
// nonblock: EAGAIN) until src's pipe has data or no writer, then until
// dst's pipe has room; they return 0 if src's pipe is empty and has no
// writer, and EPIPE if dst's pipe has no reader (the caller raises
// SIGPIPE). The same pipe on both sides is EINVAL.
func Splice(b vfs.Blocker, dst, src *End, n int64, nonblock bool) (int64, error) {
	return pipeToPipe(b, dst, src, n, nonblock, true)
}

// Tee is tee(2): see Splice.
func Tee(b vfs.Blocker, dst, src *End, n int64, nonblock bool) (int64, error) {
	return pipeToPipe(b, dst, src, n, nonblock, false)
}

func pipeToPipe(b vfs.Blocker, dst, src *End, n int64, nonblock, move bool) (int64, error) {
	ip, op := src.p, dst.p
	if ip == op {
		return 0, linux.EINVAL
	}
	if n <= 0 {
		return 0, nil
	}
	wi := waiterFor{q: &src.queue}
	defer wi.done()
	wo := waiterFor{q: &dst.queue}
	defer wo.done()
	for {
		ip.rmu.Lock()
		op.wmu.Lock()
		lockTwo(ip, op)
		var moved int64
		var err error
		var waitIn, waitOut, inWasFull bool
		switch {
		case ip.count == 0 && ip.writers > 0:
			waitIn = true
		case op.readers == 0:
			err = linux.EPIPE
		case ip.count == 0:
			// Empty with no writer: end of file.
		case op.full():
			waitOut = true
		case move:
			moved, inWasFull = moveLocked(op, ip, n)
		default:
			moved = copyLocked(op, ip, n)
		}
		inEnds, outEnds := ip.ends, op.ends
		ip.mu.Unlock()
		op.mu.Unlock()
		op.wmu.Unlock()
		ip.rmu.Unlock()
		switch {
		case moved > 0:
			notify(outEnds, readableEvents)
			if inWasFull {
				notify(inEnds, writableEvents)
			}
			return moved, nil
		case err != nil:
			return 0, err
		case !waitIn && !waitOut:
			return 0, nil
		case nonblock:
			return 0, linux.EAGAIN
		case waitIn:
			err = wi.wait(b, readableEvents|linux.EPOLLHUP)
		default:
			err = wo.wait(b, writableEvents|linux.EPOLLERR)
		}
		if err != nil {
			return 0, err
		}
	}
}

// moveLocked moves up to n bytes of buffers from ip to op while op has
// room, and reports whether ip was full when a buffer left it.
//
// Preconditions: both pipes' mu are held.
func moveLocked(op, ip *Pipe, n int64) (moved int64, wasFull bool) {
	for n > 0 && ip.count > 0 && !op.full() {
		b := ip.front()
		if int64(b.n) <= n {
			whole := *b
			ip.size -= whole.n
			wasFull = ip.pop(true) || wasFull
			op.push(whole)
			moved += int64(whole.n)
			n -= int64(whole.n)
			continue
		}
		// Part of a buffer: the rest stays; the part is not mergeable.
		op.push(newBuffer(b.bytes()[:n], b.packet, false))
		b.off += int(n)
		b.n -= int(n)
		ip.size -= int(n)
		moved += n
		n = 0
	}
	return moved, wasFull
}

// copyLocked copies up to n bytes of ip's buffers, from the oldest, into
// new buffers of op while op has room.
//
// Preconditions: both pipes' mu are held.
func copyLocked(op, ip *Pipe, n int64) (copied int64) {
	for i := 0; i < ip.count && n > 0 && !op.full(); i++ {
		b := &ip.ring[(ip.head+i)%len(ip.ring)]
		c := min(int64(b.n), n)
		op.push(newBuffer(b.bytes()[:c], b.packet, false))
		copied += c
		n -= c
	}
	return copied
}

// SpliceIn puts up to n bytes from a file or from memory into dst's pipe
// (splice(2) to a pipe, vmsplice(2)): it waits until the pipe has a free
// buffer (EPIPE if it has no reader; EAGAIN instead of waiting if
// nonblock), then calls fill once with a buffer no larger than the room
// left, and appends what fill put there in unmergeable buffers split at
// the source's page boundaries: align is the source offset of the first
// byte (the file offset, or the address), or 0. It returns the bytes
// added, or fill's error if there were none (0 and no error at the end
// of the file). fill runs without the pipe's state lock but excludes
// other writers of the pipe, as Linux holds the pipe's mutex there.
func SpliceIn(b vfs.Blocker, dst *End, n int64, nonblock bool, align int64, fill func([]byte) (int, error)) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	p := dst.p
	lead := int(align % pageSize)
	if lead < 0 {
		lead += pageSize
	}
	w := waiterFor{q: &dst.queue}
	defer w.done()
	for {
		p.wmu.Lock()
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			p.wmu.Unlock()
			return 0, linux.EPIPE
		}
		if free := p.slots - p.count; free > 0 {
			room := int64(free)*pageSize - int64(lead)
			p.mu.Unlock()
			buf := make([]byte, min(n, room, spliceChunk))
			got, err := fill(buf)
			if got <= 0 {
				p.wmu.Unlock()
				return 0, err
			}
			p.mu.Lock()
			data := buf[:got]
			for first := true; len(data) > 0; first = false {
				c := min(len(data), pageSize)
				if first {
					c = min(len(data), pageSize-lead)
				}
				p.push(newBuffer(data[:c], false, false))
				data = data[c:]
			}
			ends := p.ends
			p.mu.Unlock()
			p.wmu.Unlock()
			notify(ends, readableEvents)
			return int64(got), nil
		}
		p.mu.Unlock()
		p.wmu.Unlock()
		if nonblock {
			return 0, linux.EAGAIN
		}
		if err := w.wait(b, writableEvents|linux.EPOLLERR); err != nil {
			return 0, err
		}
	}
}

// SpliceOut takes up to n bytes from src's pipe for drain (splice(2) from
// a pipe to a file, vmsplice(2) to memory): it waits until the pipe has
// data (0 if it is empty and has no writer; EAGAIN instead of waiting if
// nonblock), then gives drain the bytes at the front, ignoring packet
// boundaries as Linux's splice does, and consumes as many as drain
// reports it took. It goes on while drain takes everything, data is
// left and n is not reached. It returns the bytes taken, or drain's error
// if there were none. drain runs without the pipe's state lock but
// excludes other readers of the pipe.
func SpliceOut(b vfs.Blocker, src *End, n int64, nonblock bool, drain func([]byte) (int, error)) (int64, error) {
	p := src.p
	w := waiterFor{q: &src.queue}
	defer w.done()
	var done int64
	for done < n {
		p.rmu.Lock()
		p.mu.Lock()
		if p.count > 0 {
			data := p.peekLocked(int(min(n-done, spliceChunk)))
			p.mu.Unlock()
			took, err := drain(data)
			took = max(0, min(took, len(data)))
			p.mu.Lock()
			wasFull := p.consumeLocked(took)
			ends := p.ends
			p.mu.Unlock()
			p.rmu.Unlock()
			if wasFull {
				notify(ends, writableEvents)
			}
			done += int64(took)
			if err != nil || took < len(data) {
				if done > 0 {
					return done, nil
				}
				return 0, err
			}
			continue
		}
		writers := p.writers
		p.mu.Unlock()
		p.rmu.Unlock()
		switch {
		case done > 0, writers == 0:
			return done, nil
		case nonblock:
			return 0, linux.EAGAIN
		}
		if err := w.wait(b, readableEvents|linux.EPOLLHUP); err != nil {
			return 0, err
		}
	}
	return done, nil
}
