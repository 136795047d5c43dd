package eventfd

import (
	"encoding/binary"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func mustWrite(t *testing.T, f *File, v uint64) {
	t.Helper()
	if n, err := f.Write(nil, u64(v)); n != 8 || err != nil {
		t.Fatalf("Write(%d) = %d, %v", v, n, err)
	}
}

func read(f *File) (uint64, error) {
	buf := make([]byte, 16)
	n, err := f.Read(nil, buf)
	if err != nil {
		return 0, err
	}
	if n != 8 {
		return 0, linux.EIO
	}
	return binary.NativeEndian.Uint64(buf), nil
}

func TestCounter(t *testing.T) {
	for _, c := range []struct {
		name      string
		init      uint64
		flags     uint32
		writes    []uint64
		wantReads []uint64
	}{
		{"initial value", 5, 0, nil, []uint64{5}},
		{"writes add", 0, 0, []uint64{2, 40, 0}, []uint64{42}},
		{"semaphore", 2, linux.EFD_SEMAPHORE, []uint64{1}, []uint64{1, 1, 1}},
		{"fills to max", 0, 0, []uint64{maxCount}, []uint64{maxCount}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := New(c.init, c.flags|linux.EFD_NONBLOCK)
			defer f.DecRef()
			for _, w := range c.writes {
				mustWrite(t, f, w)
			}
			for _, want := range c.wantReads {
				if got, err := read(f); got != want || err != nil {
					t.Fatalf("read = %d, %v; want %d", got, err, want)
				}
			}
			if _, err := read(f); err != linux.EAGAIN {
				t.Errorf("read of empty counter: %v, want EAGAIN", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	f := New(0, linux.EFD_NONBLOCK)
	defer f.DecRef()
	for _, c := range []struct {
		name string
		op   func() (int, error)
		want error
	}{
		{"short read", func() (int, error) { return f.Read(nil, make([]byte, 7)) }, linux.EINVAL},
		{"short write", func() (int, error) { return f.Write(nil, make([]byte, 7)) }, linux.EINVAL},
		{"long write", func() (int, error) { return f.Write(nil, make([]byte, 9)) }, linux.EINVAL},
		{"write ULLONG_MAX", func() (int, error) { return f.Write(nil, u64(^uint64(0))) }, linux.EINVAL},
		{"pread", func() (int, error) { return f.PRead(nil, make([]byte, 8), 0) }, linux.ESPIPE},
		{"pwrite", func() (int, error) { return f.PWrite(nil, make([]byte, 8), 0) }, linux.ESPIPE},
		{"read empty", func() (int, error) { return f.Read(nil, make([]byte, 8)) }, linux.EAGAIN},
	} {
		if _, err := c.op(); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	mustWrite(t, f, maxCount)
	if _, err := f.Write(nil, u64(1)); err != linux.EAGAIN {
		t.Errorf("overflowing write: %v, want EAGAIN", err)
	}
	// Writing 0 to a full counter succeeds.
	mustWrite(t, f, 0)
	if pos, err := f.Seek(10, linux.SEEK_SET); pos != 0 || err != nil {
		t.Errorf("Seek = %d, %v; want 0, nil (noop_llseek)", pos, err)
	}
	if st, _ := f.Stat(); st.Mode != 0o600 || st.Nlink != 1 {
		t.Errorf("Stat mode %#o nlink %d, want 0600 and 1", st.Mode, st.Nlink)
	}
}

func TestReadinessAndNotifications(t *testing.T) {
	f := New(0, linux.EFD_NONBLOCK)
	defer f.DecRef()
	const all = linux.EPOLLIN | linux.EPOLLOUT | linux.EPOLLERR | linux.EPOLLHUP
	if got := f.Readiness(all); got != linux.EPOLLOUT {
		t.Errorf("empty: readiness %#x, want EPOLLOUT", got)
	}
	var events []uint32
	e := waiter.NewEntry(^uint32(0), func(ev uint32) { events = append(events, ev) }, nil)
	if err := f.EventRegister(e); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, maxCount)
	if got := f.Readiness(all); got != linux.EPOLLIN {
		t.Errorf("full: readiness %#x, want EPOLLIN", got)
	}
	if _, err := read(f); err != nil {
		t.Fatal(err)
	}
	f.EventUnregister(e)
	mustWrite(t, f, 1)
	want := []uint32{linux.EPOLLIN, linux.EPOLLOUT}
	if len(events) != len(want) || events[0] != want[0] || events[1] != want[1] {
		t.Errorf("notifications %#x, want %#x", events, want)
	}
	if got := f.Readiness(linux.EPOLLOUT); got != linux.EPOLLOUT {
		t.Errorf("masked readiness %#x, want EPOLLOUT", got)
	}
}

// chanBlocker is a vfs.ChannelBlocker that records its waits and can be
// told to fail them, as an interrupted task would.
type chanBlocker struct {
	blocked   chan struct{}
	interrupt chan struct{}
}

func (b *chanBlocker) BlockFD(int, int16) error { return linux.EINVAL }

func (b *chanBlocker) Block(ch <-chan struct{}, _ time.Time) error {
	b.blocked <- struct{}{}
	select {
	case <-ch:
		return nil
	case <-b.interrupt:
		return linux.ERESTARTSYS
	}
}

var _ vfs.ChannelBlocker = (*chanBlocker)(nil)

func TestBlockingRead(t *testing.T) {
	f := New(0, 0)
	defer f.DecRef()
	b := &chanBlocker{blocked: make(chan struct{}, 1), interrupt: make(chan struct{})}
	type result struct {
		v   uint64
		err error
	}
	done := make(chan result)
	go func() {
		buf := make([]byte, 8)
		_, err := f.Read(b, buf)
		done <- result{binary.NativeEndian.Uint64(buf), err}
	}()
	<-b.blocked
	mustWrite(t, f, 7)
	if r := <-done; r.v != 7 || r.err != nil {
		t.Errorf("blocked read = %d, %v; want 7", r.v, r.err)
	}

	// An interrupted wait returns the blocker's error.
	go func() {
		_, err := f.Read(b, make([]byte, 8))
		done <- result{0, err}
	}()
	<-b.blocked
	close(b.interrupt)
	if r := <-done; r.err != linux.ERESTARTSYS {
		t.Errorf("interrupted read: %v, want ERESTARTSYS", r.err)
	}
}

func TestBlockingWrite(t *testing.T) {
	f := New(0, 0)
	defer f.DecRef()
	mustWrite(t, f, maxCount)
	b := &chanBlocker{blocked: make(chan struct{}, 1), interrupt: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := f.Write(b, u64(3))
		done <- err
	}()
	<-b.blocked
	if v, err := read(f); v != maxCount || err != nil {
		t.Fatalf("read = %d, %v", v, err)
	}
	if err := <-done; err != nil {
		t.Errorf("blocked write: %v", err)
	}
	if v := f.Value(); v != 3 {
		t.Errorf("counter %d, want 3", v)
	}
}

func TestReleaseNotifiesWaiters(t *testing.T) {
	f := New(0, 0)
	released := false
	if err := f.EventRegister(waiter.NewEntry(linux.EPOLLIN, func(uint32) {}, func() { released = true })); err != nil {
		t.Fatal(err)
	}
	f.IncRef()
	f.DecRef()
	if released {
		t.Fatal("released before the last reference")
	}
	f.DecRef()
	if !released {
		t.Error("last DecRef did not release the waiter queue")
	}
}
