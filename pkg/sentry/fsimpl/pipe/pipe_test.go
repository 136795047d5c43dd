package pipe

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// testBlocker is a vfs.Context whose waits can be observed and
// interrupted, as a task's are.
type testBlocker struct {
	blocked   chan struct{}
	interrupt chan struct{}
	creds     *auth.Credentials
}

func newBlocker() *testBlocker {
	return &testBlocker{blocked: make(chan struct{}, 16), interrupt: make(chan struct{}), creds: auth.Root()}
}

func (b *testBlocker) BlockFD(int, int16) error { return linux.EINVAL }

func (b *testBlocker) Block(ch <-chan struct{}, _ time.Time) error {
	select {
	case b.blocked <- struct{}{}:
	default:
	}
	select {
	case <-ch:
		return nil
	case <-b.interrupt:
		return linux.ERESTARTSYS
	}
}

func (b *testBlocker) Credentials() *auth.Credentials { return b.creds }

var _ vfs.Context = (*testBlocker)(nil)

// seq returns n bytes of a recognisable pattern starting at from.
func seq(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((from + i) % 251)
	}
	return b
}

func newPair(t *testing.T, flags uint32) (r, w *File) {
	t.Helper()
	r, w = New(0, 0, flags)
	t.Cleanup(func() {
		if r.refs.Load() > 0 {
			r.DecRef()
		}
		if w.refs.Load() > 0 {
			w.DecRef()
		}
	})
	return r, w
}

// op is one step of TestReadWrite: a nonblocking write (packet mode if
// packet) of n bytes or a read into an n-byte buffer, with the count and
// error it must give.
type op struct {
	write  bool
	packet bool
	n      int
	want   int
	err    error
}

func wr(n, want int, err error) op  { return op{write: true, n: n, want: want, err: err} }
func pkt(n, want int, err error) op { return op{write: true, packet: true, n: n, want: want, err: err} }
func rd(n, want int, err error) op  { return op{n: n, want: want, err: err} }

func TestReadWrite(t *testing.T) {
	const full = DefaultSize
	for _, c := range []struct {
		name string
		ops  []op
	}{
		{"small write and read", []op{wr(10, 10, nil), rd(100, 10, nil), rd(1, 0, linux.EAGAIN)}},
		{"fills exactly", []op{wr(full, full, nil), wr(1, 0, linux.EAGAIN), rd(full, full, nil)}},
		{"large write is partial", []op{wr(full+5000, full, nil), rd(2*full, full, nil)}},
		// The first len%PageSize bytes merge into the last buffer.
		{"large write merges its remainder", []op{wr(100, 100, nil), wr(10000, 10000, nil), rd(20000, 10100, nil)}},
		// 16 buffers in use with 4095 bytes free: a page-sized write
		// needs a free buffer, a smaller one merges.
		{"atomic write needs a buffer", []op{wr(full-pageSize+1, full-pageSize+1, nil), wr(pageSize, 0, linux.EAGAIN), wr(pageSize-1, pageSize-1, nil), wr(1, 0, linux.EAGAIN)}},
		// 100 bytes are free in the last buffer but a 200-byte write
		// is never split.
		{"atomic write is all or nothing", []op{wr(full-100, full-100, nil), wr(200, 0, linux.EAGAIN), wr(100, 100, nil)}},
		// Reading one byte frees no buffer: the pipe stays full.
		{"capacity counts buffers", []op{wr(full, full, nil), rd(1, 1, nil), wr(1, 0, linux.EAGAIN), rd(pageSize-1, pageSize-1, nil), wr(1, 1, nil)}},
		{"read crosses buffers", []op{wr(5, 5, nil), wr(5000, 5000, nil), rd(6000, 5005, nil)}},
		{"packets are read one at a time", []op{pkt(3, 3, nil), pkt(5, 5, nil), rd(100, 3, nil), rd(100, 5, nil)}},
		{"short read discards the rest of a packet", []op{pkt(10, 10, nil), pkt(2, 2, nil), rd(4, 4, nil), rd(100, 2, nil), rd(1, 0, linux.EAGAIN)}},
		{"large packet write splits into pages", []op{pkt(5000, 5000, nil), rd(8192, pageSize, nil), rd(8192, 5000-pageSize, nil)}},
		{"packets are not merged into", []op{pkt(1, 1, nil), wr(1, 1, nil), rd(10, 1, nil), rd(10, 1, nil)}},
		// A small ordinary write may merge into an ordinary buffer
		// even in packet mode (the buffer is not a packet).
		{"packet write merges into an ordinary buffer", []op{wr(1, 1, nil), pkt(1, 1, nil), rd(10, 2, nil)}},
		{"sixteen packets fill the pipe", []op{
			pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil),
			pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil), pkt(1, 1, nil),
			pkt(1, 0, linux.EAGAIN), wr(1, 0, linux.EAGAIN)}},
		{"zero-length write", []op{wr(0, 0, nil), rd(1, 0, linux.EAGAIN)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w := newPair(t, linux.O_NONBLOCK)
			written, read := 0, 0
			for i, o := range c.ops {
				var n int
				var err error
				if o.write {
					w.SetStatusFlags(linux.O_NONBLOCK)
					if o.packet {
						w.SetStatusFlags(linux.O_NONBLOCK | linux.O_DIRECT)
					}
					n, err = w.Write(nil, seq(written, o.n))
					written += n
				} else {
					buf := make([]byte, o.n)
					n, err = r.Read(nil, buf)
					// Without packet losses, data comes out in order.
					if !bytes.Equal(buf[:n], seq(read, n)) && !hasPackets(c.ops) {
						t.Errorf("step %d: read data out of order", i)
					}
					read += n
				}
				if n != o.want || err != o.err {
					t.Fatalf("step %d (%+v): got %d, %v", i, o, n, err)
				}
			}
		})
	}
}

func hasPackets(ops []op) bool {
	for _, o := range ops {
		if o.packet {
			return true
		}
	}
	return false
}

func TestEOFAndEPIPE(t *testing.T) {
	r, w := newPair(t, 0)
	if n, err := w.Write(nil, []byte("abc")); n != 3 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	w.DecRef()
	// Data written before the close is still read, then EOF, even
	// without O_NONBLOCK.
	buf := make([]byte, 10)
	if n, err := r.Read(nil, buf); n != 3 || err != nil {
		t.Errorf("read: %d, %v", n, err)
	}
	if n, err := r.Read(nil, buf); n != 0 || err != nil {
		t.Errorf("read at EOF: %d, %v", n, err)
	}

	r2, w2 := newPair(t, 0)
	r2.DecRef()
	if n, err := w2.Write(nil, []byte("x")); n != 0 || err != linux.EPIPE {
		t.Errorf("write without readers: %d, %v; want EPIPE", n, err)
	}
	if n, err := w2.Write(nil, nil); n != 0 || err != nil {
		t.Errorf("empty write without readers: %d, %v; want 0, nil", n, err)
	}
}

func TestWrongEnd(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK)
	for _, c := range []struct {
		name string
		op   func() (int, error)
		want error
	}{
		{"read on write end", func() (int, error) { return w.Read(nil, make([]byte, 1)) }, linux.EBADF},
		{"write on read end", func() (int, error) { return r.Write(nil, []byte("x")) }, linux.EBADF},
		{"pread", func() (int, error) { return r.PRead(nil, make([]byte, 1), 0) }, linux.ESPIPE},
		{"pwrite", func() (int, error) { return w.PWrite(nil, []byte("x"), 0) }, linux.ESPIPE},
		{"seek", func() (int, error) { n, err := r.Seek(0, linux.SEEK_CUR); return int(n), err }, linux.ESPIPE},
	} {
		if _, err := c.op(); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFlagsAndStat(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK|linux.O_DIRECT)
	if got := r.StatusFlags(); got != linux.O_RDONLY|linux.O_NONBLOCK {
		t.Errorf("read end flags %#o", got)
	}
	if got := w.StatusFlags(); got != linux.O_WRONLY|linux.O_NONBLOCK|linux.O_DIRECT {
		t.Errorf("write end flags %#o (O_DIRECT goes to the write end)", got)
	}
	rs, _ := r.Stat()
	ws, _ := w.Stat()
	if rs.Mode != linux.S_IFIFO|0o600 || rs.Ino != ws.Ino || rs.Size != 0 || rs.Nlink != 1 {
		t.Errorf("stat %+v / %+v", rs, ws)
	}
	r2, _ := newPair(t, 0)
	if s2, _ := r2.Stat(); s2.Ino == rs.Ino {
		t.Errorf("two pipes share inode %d", s2.Ino)
	}
	if got, want := r.FDName(), "pipe:["+itoa(rs.Ino)+"]"; got != want {
		t.Errorf("FDName %q, want %q", got, want)
	}
	w.Write(nil, []byte("hello"))
	mem := &usermem.BytesIO{Bytes: make([]byte, 8)}
	for _, f := range []*File{r, w} {
		if _, err := f.Ioctl(mem, linux.FIONREAD, 0); err != nil {
			t.Fatal(err)
		}
		if got, _ := usermem.CopyInUint32(mem, 0); got != 5 {
			t.Errorf("FIONREAD = %d, want 5", got)
		}
	}
	if _, err := r.Ioctl(mem, linux.FIONREAD, 1<<40); err != linux.EFAULT {
		t.Errorf("FIONREAD to a bad address: %v", err)
	}
	if _, err := r.Ioctl(mem, linux.TCGETS, 0); err != linux.ENOTTY {
		t.Errorf("TCGETS: %v", err)
	}
}

func itoa(v uint64) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

func TestSetSize(t *testing.T) {
	for _, c := range []struct {
		name       string
		held       int
		size       uint64
		privileged bool
		want       int64
		err        error
	}{
		{"zero rounds to a page", 0, 0, false, pageSize, nil},
		{"one byte rounds to a page", 0, 1, false, pageSize, nil},
		{"power of two pages", 0, 5000, false, 2 * pageSize, nil},
		{"three pages round to four", 0, 3*pageSize + 1, false, 4 * pageSize, nil},
		{"maximum", 0, MaxSize, false, MaxSize, nil},
		{"above maximum", 0, MaxSize + 1, false, 0, linux.EPERM},
		{"above maximum, privileged", 0, 4 * MaxSize, true, 4 * MaxSize, nil},
		{"above 2 GiB", 0, 1<<31 + 1, true, 0, linux.EINVAL},
		{"2 GiB, privileged", 0, 1 << 31, true, 1 << 31, nil},
		{"shrink below the buffers used", 3 * pageSize, 2 * pageSize, false, 0, linux.EBUSY},
		{"shrink to the buffers used", 3*pageSize - 10, 3 * pageSize, false, 4 * pageSize, nil},
		{"shrink below the bytes of one buffer", 10, 1, false, pageSize, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w := newPair(t, linux.O_NONBLOCK)
			if c.held > 0 {
				if n, _ := w.Write(nil, seq(0, c.held)); n != c.held {
					t.Fatalf("wrote %d", n)
				}
			}
			got, err := r.p.SetSize(c.size, c.privileged)
			if got != c.want || err != c.err {
				t.Fatalf("SetSize(%d) = %d, %v; want %d, %v", c.size, got, err, c.want, c.err)
			}
			want := int64(DefaultSize)
			if err == nil {
				want = got
			}
			if sz, _ := w.PipeSize(); sz != want {
				t.Errorf("PipeSize = %d, want %d", sz, want)
			}
		})
	}
}

func TestSetSizeLimitsWrites(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK)
	if _, err := r.SetPipeSize(nil, pageSize); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write(nil, seq(0, 3*pageSize)); n != pageSize || err != nil {
		t.Errorf("write to a one-page pipe: %d, %v", n, err)
	}
	// Unprivileged callers (a nil context has no credentials) may not
	// grow it past MaxSize.
	if _, err := r.SetPipeSize(nil, 2*MaxSize); err != linux.EPERM {
		t.Errorf("unprivileged grow: %v", err)
	}
	if _, err := r.SetPipeSize(newBlocker(), 2*MaxSize); err != nil {
		t.Errorf("privileged grow: %v", err)
	}
}

func TestReadiness(t *testing.T) {
	const all = linux.EPOLLIN | linux.EPOLLOUT | linux.EPOLLERR | linux.EPOLLHUP | linux.EPOLLRDNORM | linux.EPOLLWRNORM
	const in, out = linux.EPOLLIN | linux.EPOLLRDNORM, linux.EPOLLOUT | linux.EPOLLWRNORM
	for _, c := range []struct {
		name         string
		setup        func(r, w *File)
		wantR, wantW uint32
	}{
		{"empty", func(r, w *File) {}, 0, out},
		{"data", func(r, w *File) { w.Write(nil, []byte("x")) }, in, out},
		{"full", func(r, w *File) { w.Write(nil, seq(0, DefaultSize)) }, in, 0},
		{"one byte short of full", func(r, w *File) { w.Write(nil, seq(0, DefaultSize-pageSize+1)) }, in, 0},
		{"a buffer free", func(r, w *File) { w.Write(nil, seq(0, DefaultSize-pageSize)) }, in, out},
		{"writer closed", func(r, w *File) { w.DecRef() }, linux.EPOLLHUP, 0},
		{"writer closed with data", func(r, w *File) { w.Write(nil, []byte("x")); w.DecRef() }, in | linux.EPOLLHUP, 0},
		{"reader closed", func(r, w *File) { r.DecRef() }, 0, out | linux.EPOLLERR},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w := newPair(t, linux.O_NONBLOCK)
			c.setup(r, w)
			if r.refs.Load() > 0 {
				if got := r.Readiness(all); got != c.wantR {
					t.Errorf("read end %#x, want %#x", got, c.wantR)
				}
			}
			if w.refs.Load() > 0 {
				if got := w.Readiness(all); got != c.wantW {
					t.Errorf("write end %#x, want %#x", got, c.wantW)
				}
			}
		})
	}
}

func TestNotifications(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK)
	var rEvents, wEvents []uint32
	re := waiter.NewEntry(^uint32(0), func(ev uint32) { rEvents = append(rEvents, ev) }, nil)
	we := waiter.NewEntry(^uint32(0), func(ev uint32) { wEvents = append(wEvents, ev) }, nil)
	r.EventRegister(re)
	w.EventRegister(we)
	w.Write(nil, []byte("x"))
	// A read that frees a buffer of a pipe that was not full does not
	// wake writers (edge-triggered epoll sees no new event).
	r.Read(nil, make([]byte, 1))
	if len(rEvents) != 1 || rEvents[0]&linux.EPOLLIN == 0 || len(wEvents) != 1 || wEvents[0]&linux.EPOLLIN == 0 {
		t.Errorf("after a write and a read: read end %#x, write end %#x", rEvents, wEvents)
	}
	w.Write(nil, seq(0, DefaultSize))
	wEvents = nil
	r.Read(nil, make([]byte, pageSize))
	if len(wEvents) != 1 || wEvents[0]&linux.EPOLLOUT == 0 {
		t.Errorf("read from a full pipe: write end %#x, want EPOLLOUT", wEvents)
	}
	rEvents = nil
	w.DecRef()
	if len(rEvents) != 1 || rEvents[0]&linux.EPOLLHUP == 0 {
		t.Errorf("close of the writer: read end %#x, want EPOLLHUP", rEvents)
	}
}

func TestReleaseNotifiesOwnWaitersOnly(t *testing.T) {
	r, w := newPair(t, 0)
	var rReleased, wReleased bool
	r.EventRegister(waiter.NewEntry(linux.EPOLLIN, func(uint32) {}, func() { rReleased = true }))
	w.EventRegister(waiter.NewEntry(linux.EPOLLOUT, func(uint32) {}, func() { wReleased = true }))
	r.IncRef()
	r.DecRef()
	if rReleased {
		t.Fatal("released before the last reference")
	}
	r.DecRef()
	if !rReleased || wReleased {
		t.Errorf("closing the read end: released read %v, write %v", rReleased, wReleased)
	}
}

func TestBlockingRead(t *testing.T) {
	r, w := newPair(t, 0)
	b := newBlocker()
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		n, err := r.Read(b, make([]byte, 10))
		done <- result{n, err}
	}()
	<-b.blocked
	w.Write(nil, []byte("abc"))
	if res := <-done; res.n != 3 || res.err != nil {
		t.Errorf("blocked read: %+v", res)
	}
	// A read blocked when the last writer closes returns EOF.
	go func() {
		n, err := r.Read(b, make([]byte, 10))
		done <- result{n, err}
	}()
	<-b.blocked
	w.IncRef()
	w.DecRef()
	w.DecRef()
	if res := <-done; res.n != 0 || res.err != nil {
		t.Errorf("read when the writer left: %+v", res)
	}
	// An interrupted read returns the blocker's error.
	r2, _ := newPair(t, 0)
	go func() {
		n, err := r2.Read(b, make([]byte, 10))
		done <- result{n, err}
	}()
	<-b.blocked
	close(b.interrupt)
	if res := <-done; res.err != linux.ERESTARTSYS {
		t.Errorf("interrupted read: %+v", res)
	}
}

func TestBlockingWrite(t *testing.T) {
	for _, c := range []struct {
		name      string
		n         int
		interrupt bool
		want      int
		err       error
	}{
		// A big write waits for room and completes.
		{"completes", DefaultSize + 3*pageSize, false, DefaultSize + 3*pageSize, nil},
		// Interrupted after part went in: the part is the result.
		{"interrupted after a part", DefaultSize + 3*pageSize, true, DefaultSize, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w := newPair(t, 0)
			b := newBlocker()
			type result struct {
				n   int
				err error
			}
			done := make(chan result)
			go func() {
				n, err := w.Write(b, seq(0, c.n))
				done <- result{n, err}
			}()
			<-b.blocked
			if c.interrupt {
				close(b.interrupt)
			} else {
				got := make([]byte, 0, c.n)
				buf := make([]byte, pageSize)
				for len(got) < c.n {
					n, _ := r.Read(nil, buf)
					got = append(got, buf[:n]...)
				}
				if !bytes.Equal(got, seq(0, c.n)) {
					t.Error("data corrupted")
				}
			}
			if res := <-done; res.n != c.want || res.err != c.err {
				t.Errorf("write: %d, %v; want %d, %v", res.n, res.err, c.want, c.err)
			}
		})
	}
}

func TestBlockedAtomicWriteWaitsForWholeRoom(t *testing.T) {
	r, w := newPair(t, 0)
	w.Write(nil, seq(0, DefaultSize-100))
	b := newBlocker()
	done := make(chan int)
	go func() {
		n, _ := w.Write(b, seq(0, 200))
		done <- n
	}()
	<-b.blocked
	// Reading a page frees a buffer: now the whole write fits.
	r.Read(nil, make([]byte, pageSize))
	if n := <-done; n != 200 {
		t.Errorf("atomic write wrote %d", n)
	}
	if got := r.p.Len(); got != DefaultSize-100-pageSize+200 {
		t.Errorf("pipe holds %d", got)
	}
}

func TestBlockedWriterGetsEPIPE(t *testing.T) {
	r, w := newPair(t, 0)
	w.Write(nil, seq(0, DefaultSize))
	b := newBlocker()
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		n, err := w.Write(b, seq(0, 2*pageSize))
		done <- result{n, err}
	}()
	<-b.blocked
	r.DecRef()
	if res := <-done; res.n != 0 || res.err != linux.EPIPE {
		t.Errorf("write when the reader left: %+v", res)
	}
}

// fifoEnd opens the FIFO in a goroutine and returns a channel with the
// result.
type openResult struct {
	f   vfs.FileDescription
	err error
}

func openAsync(f *FIFO, b *testBlocker, flags uint32) chan openResult {
	ch := make(chan openResult, 1)
	go func() {
		file, err := f.Open(b, vfs.VirtualDentry{}, flags)
		ch <- openResult{file, err}
	}()
	return ch
}

func mustOpen(t *testing.T, f *FIFO, flags uint32) *FIFOFile {
	t.Helper()
	file, err := f.Open(newBlocker(), vfs.VirtualDentry{}, flags)
	if err != nil {
		t.Fatalf("open %#o: %v", flags, err)
	}
	return file.(*FIFOFile)
}

func TestFIFOOpen(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags uint32
		err   error
	}{
		{"read, nonblocking", linux.O_RDONLY | linux.O_NONBLOCK, nil},
		{"write, nonblocking, no reader", linux.O_WRONLY | linux.O_NONBLOCK, linux.ENXIO},
		{"read-write", linux.O_RDWR, nil},
		{"read-write, nonblocking", linux.O_RDWR | linux.O_NONBLOCK, nil},
		{"access mode 3", linux.O_ACCMODE, linux.EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f FIFO
			file, err := f.Open(newBlocker(), vfs.VirtualDentry{}, c.flags)
			if err != c.err {
				t.Fatalf("open: %v, want %v", err, c.err)
			}
			if file != nil {
				file.DecRef()
			}
		})
	}
}

func TestFIFOOpenWaitsForPartner(t *testing.T) {
	for _, c := range []struct {
		name           string
		waiter, second uint32
	}{
		{"reader waits for a writer", linux.O_RDONLY, linux.O_WRONLY | linux.O_NONBLOCK},
		{"writer waits for a reader", linux.O_WRONLY, linux.O_RDONLY | linux.O_NONBLOCK},
		{"reader woken by a read-write open", linux.O_RDONLY, linux.O_RDWR},
		{"writer woken by a read-write open", linux.O_WRONLY, linux.O_RDWR},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f FIFO
			b := newBlocker()
			ch := openAsync(&f, b, c.waiter)
			<-b.blocked
			// The waiting open already counts: a nonblocking writer
			// finds the waiting reader.
			other := mustOpen(t, &f, c.second)
			res := <-ch
			if res.err != nil {
				t.Fatalf("waiting open: %v", res.err)
			}
			res.f.DecRef()
			other.DecRef()
		})
	}
}

func TestFIFOOpenInterrupted(t *testing.T) {
	var f FIFO
	b := newBlocker()
	ch := openAsync(&f, b, linux.O_WRONLY)
	<-b.blocked
	close(b.interrupt)
	if res := <-ch; res.err != linux.ERESTARTSYS {
		t.Fatalf("interrupted open: %v", res.err)
	}
	// The abandoned writer is no longer counted: a reader that opens
	// now sees no writer (POLLHUP is suppressed, reads give EOF).
	r := mustOpen(t, &f, linux.O_RDONLY|linux.O_NONBLOCK)
	defer r.DecRef()
	if n, err := r.Read(nil, make([]byte, 1)); n != 0 || err != nil {
		t.Errorf("read: %d, %v; want EOF", n, err)
	}
	if _, err := f.Open(newBlocker(), vfs.VirtualDentry{}, linux.O_WRONLY|linux.O_NONBLOCK); err != nil {
		t.Errorf("writer after a reader: %v", err)
	}
}

func TestFIFOHangupAndData(t *testing.T) {
	const all = ^uint32(0)
	var f FIFO
	r := mustOpen(t, &f, linux.O_RDONLY|linux.O_NONBLOCK)
	if got := r.Readiness(all); got != 0 {
		t.Errorf("reader before any writer: %#x, want 0 (no POLLHUP)", got)
	}
	w := mustOpen(t, &f, linux.O_WRONLY|linux.O_NONBLOCK)
	w.Write(nil, []byte("data"))
	w.DecRef()
	if got := r.Readiness(all); got&linux.EPOLLHUP == 0 || got&linux.EPOLLIN == 0 {
		t.Errorf("reader after the writer left: %#x, want POLLIN|POLLHUP", got)
	}
	rw := mustOpen(t, &f, linux.O_RDWR)
	if got := rw.Readiness(all); got != linux.EPOLLIN|linux.EPOLLRDNORM|linux.EPOLLOUT|linux.EPOLLWRNORM {
		t.Errorf("read-write end: %#x", got)
	}
	rw.DecRef()
	r.DecRef()
	// All ends closed: the data is gone.
	r = mustOpen(t, &f, linux.O_RDWR|linux.O_NONBLOCK)
	defer r.DecRef()
	if n, err := r.Read(nil, make([]byte, 10)); n != 0 || err != linux.EAGAIN {
		t.Errorf("read after reopening: %d, %v; want EAGAIN", n, err)
	}
	if sz, _ := r.PipeSize(); sz != DefaultSize {
		t.Errorf("size after reopening %d", sz)
	}
}

func TestSplice(t *testing.T) {
	r1, w1 := newPair(t, linux.O_NONBLOCK)
	r2, w2 := newPair(t, linux.O_NONBLOCK)
	w1.Write(nil, seq(0, 5000))
	if n, err := Splice(nil, &w2.End, &r1.End, 4500, true); n != 4500 || err != nil {
		t.Fatalf("splice: %d, %v", n, err)
	}
	if n, err := Tee(nil, &w2.End, &r1.End, 1000, true); n != 500 || err != nil {
		t.Fatalf("tee: %d, %v", n, err)
	}
	buf := make([]byte, 10000)
	if n, _ := r2.Read(nil, buf); n != 5000 || !bytes.Equal(buf[:4500], seq(0, 4500)) || !bytes.Equal(buf[4500:5000], seq(4500, 500)) {
		t.Errorf("spliced data: %d bytes", n)
	}
	// Tee left the data in the source.
	if n, _ := r1.Read(nil, buf); n != 500 || !bytes.Equal(buf[:500], seq(4500, 500)) {
		t.Errorf("source after tee: %d bytes", n)
	}
	for _, c := range []struct {
		name string
		op   func() (int64, error)
		err  error
	}{
		{"same pipe", func() (int64, error) { return Splice(nil, &w1.End, &r1.End, 1, true) }, linux.EINVAL},
		{"empty source", func() (int64, error) { return Splice(nil, &w2.End, &r1.End, 1, true) }, linux.EAGAIN},
		{"tee from empty source", func() (int64, error) { return Tee(nil, &w2.End, &r1.End, 1, true) }, linux.EAGAIN},
	} {
		if _, err := c.op(); err != c.err {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	w1.Write(nil, []byte("x"))
	w2.Write(nil, seq(0, DefaultSize))
	if _, err := Splice(nil, &w2.End, &r1.End, 1, true); err != linux.EAGAIN {
		t.Errorf("splice to a full pipe: %v", err)
	}
	r2.DecRef()
	if _, err := Splice(nil, &w2.End, &r1.End, 1, true); err != linux.EPIPE {
		t.Errorf("splice to a pipe without readers: %v", err)
	}
	w1.DecRef()
	r1.Read(nil, buf)
	r3, w3 := newPair(t, 0)
	if n, err := Splice(nil, &w3.End, &r1.End, 1, false); n != 0 || err != nil {
		t.Errorf("splice from an empty pipe without writers: %d, %v", n, err)
	}
	_ = r3
}

func TestSpliceInOut(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK)
	src := seq(0, 10000)
	off := 0
	fill := func(buf []byte) (int, error) {
		n := copy(buf, src[off:])
		off += n
		return n, nil
	}
	// Starting 100 bytes into a page, the data takes three buffers.
	if n, err := SpliceIn(nil, &w.End, 8192, true, 100, fill); n != 8192 || err != nil {
		t.Fatalf("SpliceIn: %d, %v", n, err)
	}
	if got := r.p.count; got != 3 {
		t.Errorf("buffers %d, want 3", got)
	}
	// Spliced buffers are not merged into.
	w.Write(nil, []byte("z"))
	if got := r.p.count; got != 4 {
		t.Errorf("buffers after a write %d, want 4", got)
	}
	var out []byte
	drain := func(data []byte) (int, error) {
		n := min(len(data), 5000)
		out = append(out, data[:n]...)
		return n, nil
	}
	if n, err := SpliceOut(nil, &r.End, 6000, true, drain); n != 5000 || err != nil {
		t.Errorf("SpliceOut with a short drain: %d, %v", n, err)
	}
	if n, err := SpliceOut(nil, &r.End, 100000, true, drain); n != 3193 || err != nil {
		t.Errorf("SpliceOut of the rest: %d, %v", n, err)
	}
	if want := append(seq(0, 8192), 'z'); !bytes.Equal(out, want) {
		t.Errorf("drained %d bytes, not the spliced data", len(out))
	}
	if _, err := SpliceOut(nil, &r.End, 1, true, drain); err != linux.EAGAIN {
		t.Errorf("SpliceOut of an empty pipe: %v", err)
	}
	failing := errors.New("drain failed")
	w.Write(nil, []byte("abc"))
	if n, err := SpliceOut(nil, &r.End, 10, true, func([]byte) (int, error) { return 0, failing }); n != 0 || err != failing {
		t.Errorf("failing drain: %d, %v", n, err)
	}
	if got := r.p.Len(); got != 3 {
		t.Errorf("a failed drain consumed data: %d left", got)
	}
	// A full pipe: SpliceIn does not call fill.
	w.Write(nil, seq(0, DefaultSize))
	if _, err := SpliceIn(nil, &w.End, 1, true, 0, func([]byte) (int, error) { t.Error("fill called"); return 0, nil }); err != linux.EAGAIN {
		t.Errorf("SpliceIn to a full pipe: %v", err)
	}
	r.DecRef()
	if _, err := SpliceIn(nil, &w.End, 1, true, 0, fill); err != linux.EPIPE {
		t.Errorf("SpliceIn without readers: %v", err)
	}
}

func TestFIFOODirect(t *testing.T) {
	var f FIFO
	if _, err := f.Open(newBlocker(), vfs.VirtualDentry{}, linux.O_RDWR|linux.O_DIRECT); err != linux.EINVAL {
		t.Fatalf("open with O_DIRECT: %v, want EINVAL", err)
	}
	// The refused open left nothing behind.
	if _, err := f.Open(newBlocker(), vfs.VirtualDentry{}, linux.O_WRONLY|linux.O_NONBLOCK); err != linux.ENXIO {
		t.Errorf("writer after the refused open: %v, want ENXIO", err)
	}
	// F_SETFL may still switch packet mode on.
	rw := mustOpen(t, &f, linux.O_RDWR|linux.O_NONBLOCK)
	defer rw.DecRef()
	rw.SetStatusFlags(linux.O_NONBLOCK | linux.O_DIRECT)
	rw.Write(nil, []byte("one"))
	rw.Write(nil, []byte("two"))
	if n, _ := rw.Read(nil, make([]byte, 10)); n != 3 {
		t.Errorf("packet read %d bytes, want 3", n)
	}
}

func TestReopen(t *testing.T) {
	r, w := newPair(t, linux.O_NONBLOCK)
	for _, c := range []struct {
		flags        uint32
		read, write  bool
		err          error
		wantStatusFl uint32
	}{
		{linux.O_RDONLY, true, false, nil, linux.O_RDONLY},
		{linux.O_WRONLY | linux.O_NONBLOCK | linux.O_CLOEXEC, false, true, nil, linux.O_WRONLY | linux.O_NONBLOCK},
		{linux.O_RDWR, true, true, nil, linux.O_RDWR},
		{linux.O_ACCMODE, false, false, linux.EINVAL, 0},
	} {
		nf, err := r.Reopen(c.flags)
		if err != c.err {
			t.Errorf("Reopen(%#o): %v, want %v", c.flags, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if nf.Readable() != c.read || nf.Writable() != c.write || nf.StatusFlags() != c.wantStatusFl || nf.Pipe() != r.Pipe() {
			t.Errorf("Reopen(%#o): read %v write %v flags %#o", c.flags, nf.Readable(), nf.Writable(), nf.StatusFlags())
		}
		nf.DecRef()
	}
	// A reopened reader keeps the pipe readable after the first closes.
	r2, _ := r.Reopen(linux.O_RDONLY)
	defer r2.DecRef()
	r.DecRef()
	if n, err := w.Write(nil, []byte("x")); n != 1 || err != nil {
		t.Errorf("write with only the reopened reader: %d, %v", n, err)
	}
}
