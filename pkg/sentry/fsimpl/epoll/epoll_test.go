package epoll

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// plainFile is a vfs.FileDescription that is not waitable.
type plainFile struct{ refs atomic.Int64 }

func (*plainFile) Read(vfs.Blocker, []byte) (int, error)          { return 0, nil }
func (*plainFile) Write(vfs.Blocker, []byte) (int, error)         { return 0, nil }
func (*plainFile) PRead(vfs.Blocker, []byte, int64) (int, error)  { return 0, nil }
func (*plainFile) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, nil }
func (*plainFile) Seek(int64, int) (int64, error)                 { return 0, nil }
func (*plainFile) Stat() (linux.Stat, error)                      { return linux.Stat{}, nil }
func (*plainFile) Ioctl(usermem.IO, uint32, uint64) (uint64, error) {
	return 0, linux.ENOTTY
}
func (*plainFile) StatusFlags() uint32         { return linux.O_RDWR }
func (*plainFile) SetStatusFlags(uint32) error { return nil }
func (f *plainFile) IncRef()                   { f.refs.Add(1) }
func (f *plainFile) DecRef()                   { f.refs.Add(-1) }

// fakeFile is a waitable file whose readiness the test sets.
type fakeFile struct {
	plainFile
	queue waiter.Queue
	ready atomic.Uint32
}

func (f *fakeFile) Readiness(mask uint32) uint32        { return f.ready.Load() & mask }
func (f *fakeFile) EventRegister(e *waiter.Entry) error { f.queue.EventRegister(e); return nil }
func (f *fakeFile) EventUnregister(e *waiter.Entry)     { f.queue.EventUnregister(e) }

// set changes the readiness and notifies the events that became set.
func (f *fakeFile) set(r uint32) {
	old := f.ready.Swap(r)
	if r&^old != 0 {
		f.queue.Notify(r &^ old)
	}
}

// release is the file's last DecRef.
func (f *fakeFile) release() { f.queue.Release() }

// hostLike is a waitable file that cannot notify, like a host FD.
type hostLike struct {
	plainFile
	ready    atomic.Uint32
	released atomic.Bool
}

func (f *hostLike) Readiness(mask uint32) uint32      { return f.ready.Load() & mask }
func (f *hostLike) EventRegister(*waiter.Entry) error { return nil }
func (f *hostLike) EventUnregister(*waiter.Entry)     {}
func (f *hostLike) NeedsRepoll() bool                 { return true }
func (f *hostLike) Released() bool                    { return f.released.Load() }

// collect harvests up to max events without blocking.
func collect(t *testing.T, ep *EventPoll, max int) []linux.EpollEvent {
	t.Helper()
	var evs []linux.EpollEvent
	n, err := ep.Harvest(max, func(i int, ev linux.EpollEvent) error {
		if i != len(evs) {
			t.Fatalf("emit index %d, want %d", i, len(evs))
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil || n != len(evs) {
		t.Fatalf("Harvest = %d, %v; emitted %d", n, err, len(evs))
	}
	return evs
}

// expectEvents harvests and checks the events, in any order.
func expectEvents(t *testing.T, ep *EventPoll, want ...linux.EpollEvent) {
	t.Helper()
	got := collect(t, ep, 16)
	// Order is not part of the contract (repolled items come in map
	// order): compare as multisets.
	count := make(map[linux.EpollEvent]int)
	for _, e := range got {
		count[e]++
	}
	for _, e := range want {
		count[e]--
	}
	for _, c := range count {
		if c != 0 || len(got) != len(want) {
			t.Fatalf("events %+v, want %+v", got, want)
		}
	}
}

func ev(events uint32, data uint64) linux.EpollEvent {
	return linux.EpollEvent{Events: events, Data: data}
}

func TestCtlErrors(t *testing.T) {
	ep, other := New(), New()
	defer ep.DecRef()
	defer other.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 4, ev(linux.EPOLLIN, 0)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		op   int32
		file vfs.FileDescription
		fd   int32
		ev   linux.EpollEvent
		want error
	}{
		{"not waitable", linux.EPOLL_CTL_ADD, &plainFile{}, 3, ev(linux.EPOLLIN, 0), linux.EPERM},
		{"self", linux.EPOLL_CTL_ADD, ep, 3, ev(linux.EPOLLIN, 0), linux.EINVAL},
		{"exists", linux.EPOLL_CTL_ADD, f, 4, ev(linux.EPOLLIN, 0), linux.EEXIST},
		{"mod missing", linux.EPOLL_CTL_MOD, f, 5, ev(linux.EPOLLIN, 0), linux.ENOENT},
		{"del missing", linux.EPOLL_CTL_DEL, f, 5, ev(0, 0), linux.ENOENT},
		{"bad op", 0, f, 4, ev(linux.EPOLLIN, 0), linux.EINVAL},
		{"bad op 4", 4, f, 4, ev(linux.EPOLLIN, 0), linux.EINVAL},
		{"exclusive with pri", linux.EPOLL_CTL_ADD, &fakeFile{}, 6, ev(linux.EPOLLEXCLUSIVE|linux.EPOLLPRI, 0), linux.EINVAL},
		{"exclusive oneshot", linux.EPOLL_CTL_ADD, &fakeFile{}, 6, ev(linux.EPOLLEXCLUSIVE|linux.EPOLLONESHOT|linux.EPOLLIN, 0), linux.EINVAL},
		{"exclusive epoll", linux.EPOLL_CTL_ADD, other, 6, ev(linux.EPOLLEXCLUSIVE|linux.EPOLLIN, 0), linux.EINVAL},
		{"mod to exclusive", linux.EPOLL_CTL_MOD, f, 4, ev(linux.EPOLLEXCLUSIVE|linux.EPOLLIN, 0), linux.EINVAL},
		{"same file other fd", linux.EPOLL_CTL_ADD, f, 7, ev(linux.EPOLLIN, 0), nil},
	} {
		if err := ep.Ctl(c.op, c.file, c.fd, c.ev); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	g := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, g, 8, ev(linux.EPOLLEXCLUSIVE|linux.EPOLLIN|linux.EPOLLET, 0)); err != nil {
		t.Fatalf("exclusive add: %v", err)
	}
	if err := ep.Ctl(linux.EPOLL_CTL_MOD, g, 8, ev(linux.EPOLLIN, 0)); err != linux.EINVAL {
		t.Errorf("mod of exclusive item: %v, want EINVAL", err)
	}
	if err := ep.Ctl(linux.EPOLL_CTL_DEL, g, 8, ev(0, 0)); err != nil {
		t.Errorf("del of exclusive item: %v", err)
	}
}

func TestLevelTriggered(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	f.ready.Store(linux.EPOLLOUT)
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN|linux.EPOLLOUT, 0xabc)); err != nil {
		t.Fatal(err)
	}
	// Ready when added.
	expectEvents(t, ep, ev(linux.EPOLLOUT, 0xabc))
	expectEvents(t, ep, ev(linux.EPOLLOUT, 0xabc))
	f.set(linux.EPOLLIN | linux.EPOLLOUT)
	expectEvents(t, ep, ev(linux.EPOLLIN|linux.EPOLLOUT, 0xabc))
	// Not interested in the event that stays: nothing.
	if err := ep.Ctl(linux.EPOLL_CTL_MOD, f, 3, ev(linux.EPOLLPRI, 1)); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, ep)
	// Errors and hang-ups are always reported.
	f.set(linux.EPOLLHUP)
	expectEvents(t, ep, ev(linux.EPOLLHUP, 1))
	f.set(0)
	expectEvents(t, ep)
}

func TestEdgeTriggered(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN|linux.EPOLLET, 1)); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, ep)
	f.set(linux.EPOLLIN)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	expectEvents(t, ep)
	// A new notification is a new edge even if readiness is unchanged.
	f.queue.Notify(linux.EPOLLIN)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	// A notification of uninteresting events is not.
	f.queue.Notify(linux.EPOLLOUT)
	expectEvents(t, ep)
	// A notification for a file that is no longer ready reports nothing.
	f.ready.Store(0)
	f.queue.Notify(linux.EPOLLIN)
	expectEvents(t, ep)
}

func TestOneShot(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN|linux.EPOLLONESHOT, 1)); err != nil {
		t.Fatal(err)
	}
	f.set(linux.EPOLLIN)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	expectEvents(t, ep)
	f.queue.Notify(linux.EPOLLIN)
	expectEvents(t, ep)
	if err := ep.Ctl(linux.EPOLL_CTL_MOD, f, 3, ev(linux.EPOLLIN|linux.EPOLLONESHOT, 2)); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, ep, ev(linux.EPOLLIN, 2))
	expectEvents(t, ep)
}

func TestMaxEventsRoundRobin(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	files := []*fakeFile{{}, {}, {}}
	for i, f := range files {
		f.ready.Store(linux.EPOLLIN)
		if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, int32(i), ev(linux.EPOLLIN, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	var order []uint64
	for range 6 {
		evs := collect(t, ep, 1)
		if len(evs) != 1 {
			t.Fatalf("got %d events, want 1", len(evs))
		}
		order = append(order, evs[0].Data)
	}
	want := []uint64{0, 1, 2, 0, 1, 2}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("report order %v, want %v", order, want)
		}
	}
}

func TestEmitFaultKeepsEvent(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	a, b := &fakeFile{}, &fakeFile{}
	for i, f := range []*fakeFile{a, b} {
		if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, int32(i), ev(linux.EPOLLIN|linux.EPOLLONESHOT, uint64(i))); err != nil {
			t.Fatal(err)
		}
		f.set(linux.EPOLLIN)
	}
	fault := errors.New("fault")
	n, err := ep.Harvest(4, func(int, linux.EpollEvent) error { return fault })
	if n != 0 || err != fault {
		t.Fatalf("faulting harvest = %d, %v", n, err)
	}
	// A fault after the first event returns the count.
	n, err = ep.Harvest(4, func(i int, _ linux.EpollEvent) error {
		if i > 0 {
			return fault
		}
		return nil
	})
	if n != 1 || err != nil {
		t.Fatalf("partly faulting harvest = %d, %v", n, err)
	}
	// The event that faulted is still there, and the one-shot that was
	// reported is disabled.
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	expectEvents(t, ep)
}

func TestReleaseRemovesItem(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	f.set(linux.EPOLLIN)
	f.release()
	expectEvents(t, ep)
	if err := ep.Ctl(linux.EPOLL_CTL_DEL, f, 3, ev(0, 0)); err != linux.ENOENT {
		t.Errorf("del after release: %v, want ENOENT", err)
	}
}

func TestDelRemovesItem(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	f.set(linux.EPOLLIN)
	if err := ep.Ctl(linux.EPOLL_CTL_DEL, f, 3, ev(0, 0)); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, ep)
	if !f.queue.Empty() {
		t.Error("DEL left the entry on the file's queue")
	}
}

func TestInstanceReleaseUnregisters(t *testing.T) {
	ep := New()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	ep.DecRef()
	if !f.queue.Empty() {
		t.Error("released instance left its entry on the file's queue")
	}
}

func TestUnnotifiedFiles(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	lt, et := &hostLike{}, &hostLike{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, lt, 1, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, et, 2, ev(linux.EPOLLIN|linux.EPOLLET, 2)); err != nil {
		t.Fatal(err)
	}
	if !ep.NeedsRepoll() {
		t.Error("NeedsRepoll = false with host-like items")
	}
	expectEvents(t, ep)
	// No notification: the harvest re-checks them.
	lt.ready.Store(linux.EPOLLIN)
	et.ready.Store(linux.EPOLLIN)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1), ev(linux.EPOLLIN, 2))
	// Edge-triggered: only rising edges.
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	et.ready.Store(0)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1))
	et.ready.Store(linux.EPOLLIN)
	expectEvents(t, ep, ev(linux.EPOLLIN, 1), ev(linux.EPOLLIN, 2))
	// Released files are dropped.
	lt.released.Store(true)
	et.released.Store(true)
	expectEvents(t, ep)
	if ep.NeedsRepoll() {
		t.Error("NeedsRepoll = true after the host-like items were released")
	}
	if err := ep.Ctl(linux.EPOLL_CTL_DEL, lt, 1, ev(0, 0)); err != linux.ENOENT {
		t.Errorf("del of released item: %v, want ENOENT", err)
	}
}

func TestNesting(t *testing.T) {
	outer, inner := New(), New()
	defer outer.DecRef()
	f := &fakeFile{}
	if err := inner.Ctl(linux.EPOLL_CTL_ADD, f, 1, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	if err := outer.Ctl(linux.EPOLL_CTL_ADD, inner, 2, ev(linux.EPOLLIN, 2)); err != nil {
		t.Fatal(err)
	}
	if err := inner.Ctl(linux.EPOLL_CTL_ADD, outer, 3, ev(linux.EPOLLIN, 3)); err != linux.ELOOP {
		t.Errorf("loop: %v, want ELOOP", err)
	}
	if got := inner.Readiness(linux.EPOLLIN); got != 0 {
		t.Errorf("inner readiness %#x, want 0", got)
	}
	expectEvents(t, outer)
	f.set(linux.EPOLLIN)
	if got := inner.Readiness(linux.EPOLLIN | linux.EPOLLOUT); got != linux.EPOLLIN {
		t.Errorf("inner readiness %#x, want EPOLLIN", got)
	}
	expectEvents(t, outer, ev(linux.EPOLLIN, 2))
	expectEvents(t, inner, ev(linux.EPOLLIN, 1))
	// The inner instance's release removes it from the outer one.
	inner.DecRef()
	expectEvents(t, outer)
	nestMu.Lock()
	parents := len(inner.parents)
	nestMu.Unlock()
	if parents != 0 {
		t.Errorf("released instance still has %d parents", parents)
	}
}

func TestNestingDepthLimit(t *testing.T) {
	eps := make([]*EventPoll, 7)
	for i := range eps {
		eps[i] = New()
		defer eps[i].DecRef()
	}
	// A chain: eps[i] watches eps[i+1]. Linux allows 4 links.
	added := 0
	var err error
	for i := 0; i+1 < len(eps); i++ {
		if err = eps[i].Ctl(linux.EPOLL_CTL_ADD, eps[i+1], 0, ev(linux.EPOLLIN, 0)); err != nil {
			break
		}
		added++
	}
	if added != linux.EP_MAX_NESTS || err != linux.ELOOP {
		t.Errorf("chain stopped after %d links with %v, want %d and ELOOP", added, err, linux.EP_MAX_NESTS)
	}
	// Depth counts from above too: a new instance above the top.
	top := New()
	defer top.DecRef()
	if err := top.Ctl(linux.EPOLL_CTL_ADD, eps[0], 0, ev(linux.EPOLLIN, 0)); err != linux.ELOOP {
		t.Errorf("adding above a full chain: %v, want ELOOP", err)
	}
	// After removing a link, there is room again.
	if err := eps[3].Ctl(linux.EPOLL_CTL_DEL, eps[4], 0, ev(0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := top.Ctl(linux.EPOLL_CTL_ADD, eps[0], 0, ev(linux.EPOLLIN, 0)); err != nil {
		t.Errorf("adding above a shorter chain: %v", err)
	}
}

// testBlocker is a vfs.ChannelBlocker with real deadlines; a send on
// interrupt interrupts the current or next wait.
type testBlocker struct {
	interrupt chan struct{}
	waits     atomic.Int32
}

func (b *testBlocker) BlockFD(int, int16) error { return linux.EINVAL }

func (b *testBlocker) Block(ch <-chan struct{}, deadline time.Time) error {
	b.waits.Add(1)
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		tm := time.NewTimer(time.Until(deadline))
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-ch:
		return nil
	case <-timeout:
		return linux.ETIMEDOUT
	case <-b.interrupt:
		return linux.ERESTARTSYS
	}
}

func waitEvents(ep *EventPoll, b vfs.ChannelBlocker, deadline time.Time, poll bool) ([]linux.EpollEvent, error) {
	var evs []linux.EpollEvent
	_, err := ep.Wait(b, 8, deadline, poll, func(_ int, ev linux.EpollEvent) error {
		evs = append(evs, ev)
		return nil
	})
	return evs, err
}

func TestWait(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	f := &fakeFile{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 1, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	b := &testBlocker{interrupt: make(chan struct{}, 1)}

	// Poll: nothing, no wait.
	if evs, err := waitEvents(ep, b, time.Time{}, true); len(evs) != 0 || err != nil || b.waits.Load() != 0 {
		t.Errorf("poll = %v, %v after %d waits", evs, err, b.waits.Load())
	}
	// Timeout: nothing.
	if evs, err := waitEvents(ep, b, time.Now().Add(time.Millisecond), false); len(evs) != 0 || err != nil {
		t.Errorf("timed wait = %v, %v", evs, err)
	}
	// Interrupted: EINTR.
	b.interrupt <- struct{}{}
	if evs, err := waitEvents(ep, b, time.Time{}, false); len(evs) != 0 || err != linux.EINTR {
		t.Errorf("interrupted wait = %v, %v; want EINTR", evs, err)
	}
	// Woken by a notification from another goroutine.
	go func() {
		for b.waits.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		f.set(linux.EPOLLIN)
	}()
	if evs, err := waitEvents(ep, b, time.Time{}, false); len(evs) != 1 || err != nil {
		t.Errorf("woken wait = %v, %v", evs, err)
	}
	// Ready events win over an interruption.
	b.interrupt <- struct{}{}
	if evs, err := waitEvents(ep, b, time.Time{}, false); len(evs) != 1 || err != nil {
		t.Errorf("ready wait with interrupt pending = %v, %v", evs, err)
	}
	<-b.interrupt
}

func TestWaitRepollsUnnotified(t *testing.T) {
	ep := New()
	defer ep.DecRef()
	h := &hostLike{}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, h, 1, ev(linux.EPOLLIN, 1)); err != nil {
		t.Fatal(err)
	}
	b := &testBlocker{interrupt: make(chan struct{})}
	go func() {
		for b.waits.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		h.ready.Store(linux.EPOLLIN) // no notification
	}()
	if evs, err := waitEvents(ep, b, time.Time{}, false); len(evs) != 1 || err != nil {
		t.Errorf("wait on host-like file = %v, %v", evs, err)
	}
}

// TestConcurrentNotifyAndHarvest exercises the locking under -race:
// notifications, harvests, ctl and release racing.
func TestConcurrentNotifyAndHarvest(t *testing.T) {
	outer, ep := New(), New()
	defer outer.DecRef()
	if err := outer.Ctl(linux.EPOLL_CTL_ADD, ep, 0, ev(linux.EPOLLIN, 0)); err != nil {
		t.Fatal(err)
	}
	files := make([]*fakeFile, 8)
	for i := range files {
		files[i] = &fakeFile{}
		if err := ep.Ctl(linux.EPOLL_CTL_ADD, files[i], int32(i), ev(linux.EPOLLIN|linux.EPOLLET, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 500 {
				f.set(uint32(j%2) * linux.EPOLLIN)
				if j%100 == 0 {
					ep.Ctl(linux.EPOLL_CTL_MOD, f, int32(i), ev(linux.EPOLLIN, uint64(i)))
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				ep.Harvest(3, func(int, linux.EpollEvent) error { return nil })
				outer.Harvest(1, func(int, linux.EpollEvent) error { return nil })
				outer.Readiness(linux.EPOLLIN)
			}
		}()
	}
	wg.Wait()
	for _, f := range files {
		f.release()
	}
	ep.DecRef()
	if n, _ := outer.Harvest(8, func(int, linux.EpollEvent) error { return nil }); n != 0 {
		t.Errorf("outer reports %d events after everything was released", n)
	}
}
