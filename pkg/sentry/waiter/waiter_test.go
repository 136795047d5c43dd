package waiter

import (
	"testing"
)

func TestNotifyMatchesMask(t *testing.T) {
	const in, out = 0x1, 0x4
	for _, c := range []struct {
		name    string
		mask    uint32
		notify  uint32
		want    bool
		wantEvs uint32
	}{
		{"same event", in, in, true, in},
		{"other event", in, out, false, 0},
		{"overlap", in | out, out | 0x8, true, out},
		{"empty mask", 0, in | out, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var q Queue
			var got uint32
			called := false
			e := NewEntry(c.mask, func(ev uint32) { called, got = true, ev }, nil)
			q.EventRegister(e)
			q.Notify(c.notify)
			if called != c.want || got != c.wantEvs {
				t.Errorf("notify(%#x) on mask %#x: called %v with %#x, want %v with %#x", c.notify, c.mask, called, got, c.want, c.wantEvs)
			}
		})
	}
}

func TestUnregisterStopsNotifications(t *testing.T) {
	var q Queue
	n := [3]int{}
	var es [3]*Entry
	for i := range es {
		es[i] = NewEntry(1, func(uint32) { n[i]++ }, nil)
		q.EventRegister(es[i])
	}
	q.Notify(1)
	// Remove the middle, then the head, then the tail: the list stays
	// consistent each time.
	q.EventUnregister(es[1])
	q.Notify(1)
	q.EventUnregister(es[0])
	q.Notify(1)
	q.EventUnregister(es[2])
	q.Notify(1)
	if want := [3]int{2, 1, 3}; n != want {
		t.Errorf("notification counts %v, want %v", n, want)
	}
	if !q.Empty() {
		t.Error("queue not empty after unregistering everything")
	}
	// Unregistering again, or from another queue, is a no-op.
	var other Queue
	q.EventUnregister(es[0])
	other.EventUnregister(es[0])
	// And the entry can be registered again.
	q.EventRegister(es[0])
	q.Notify(1)
	if n[0] != 3 {
		t.Errorf("re-registered entry notified %d times, want 3", n[0])
	}
}

func TestChannelEntry(t *testing.T) {
	var q Queue
	e, ch := NewChannelEntry(1)
	q.EventRegister(e)
	// Several notifications coalesce into one pending wake-up and never
	// block the notifier.
	q.Notify(1)
	q.Notify(1)
	select {
	case <-ch:
	default:
		t.Fatal("channel not signalled")
	}
	select {
	case <-ch:
		t.Fatal("channel signalled twice")
	default:
	}
	// A shared channel is signalled by any of its entries.
	var q2 Queue
	e2 := NewChannelEntryFor(4, ch)
	q2.EventRegister(e2)
	q2.Notify(4)
	select {
	case <-ch:
	default:
		t.Fatal("shared channel not signalled")
	}
}

func TestRelease(t *testing.T) {
	var q Queue
	released := 0
	withRelease := NewEntry(1, func(uint32) {}, func() { released++ })
	plain, _ := NewChannelEntry(1)
	q.EventRegister(withRelease)
	q.EventRegister(plain)
	q.Release()
	if released != 1 {
		t.Errorf("release called %d times, want 1", released)
	}
	if !q.Empty() {
		t.Error("queue not empty after Release")
	}
	// Detached entries may be unregistered (no-op) and registered again.
	q.EventUnregister(withRelease)
	q.EventRegister(withRelease)
	q.Release()
	if released != 2 {
		t.Errorf("release called %d times, want 2", released)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	var q Queue
	e, _ := NewChannelEntry(1)
	q.EventRegister(e)
	defer func() {
		if recover() == nil {
			t.Error("second EventRegister did not panic")
		}
	}()
	q.EventRegister(e)
}
