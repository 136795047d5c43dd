package timerfd

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// fakeClock is a kernel.TimerClock moved by hand; host timers wait only
// WallDelay's minimum, so that due expirations are found quickly.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() int64 { return c.now.Load() }
func (c *fakeClock) WallDelay(d int64) time.Duration {
	return time.Millisecond
}

func newFile(t *testing.T, flags uint32) (*File, *fakeClock) {
	c := &fakeClock{}
	c.now.Store(1000)
	f := New(c, flags)
	t.Cleanup(f.DecRef)
	return f, c
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

func TestReadErrors(t *testing.T) {
	f, _ := newFile(t, linux.TFD_NONBLOCK)
	if _, err := f.Read(nil, make([]byte, 7)); err != linux.EINVAL {
		t.Errorf("short read: %v, want EINVAL", err)
	}
	if _, err := read(f); err != linux.EAGAIN {
		t.Errorf("read of unexpired timer: %v, want EAGAIN", err)
	}
	if _, err := f.Write(nil, make([]byte, 8)); err != linux.EINVAL {
		t.Errorf("write: %v, want EINVAL", err)
	}
	if f.StatusFlags() != linux.O_RDWR|linux.O_NONBLOCK {
		t.Errorf("flags %#x", f.StatusFlags())
	}
}

func TestExpirations(t *testing.T) {
	for _, c := range []struct {
		name  string
		set   kernel.TimerSetting
		abs   bool
		now   int64 // clock after Set
		ticks uint64
		get   kernel.TimerSetting
	}{
		{"one-shot relative", kernel.TimerSetting{Value: 10}, false, 1010, 1, kernel.TimerSetting{}},
		{"one-shot absolute in the past", kernel.TimerSetting{Value: 5}, true, 1000, 1, kernel.TimerSetting{}},
		{"periodic counts every period", kernel.TimerSetting{Value: 10, Interval: 10}, false, 1055, 5, kernel.TimerSetting{Value: 5, Interval: 10}},
		{"periodic absolute long ago", kernel.TimerSetting{Value: 100, Interval: 100}, true, 1000, 10, kernel.TimerSetting{Value: 100, Interval: 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clock := newFile(t, 0)
			f.Set(c.set, c.abs)
			clock.now.Store(c.now)
			// A blocking read waits for the host timer to find
			// the expirations.
			if got, err := read(f); err != nil || got != c.ticks {
				t.Errorf("read = %d, %v; want %d", got, err, c.ticks)
			}
			if got := f.Get(); got != c.get {
				t.Errorf("Get = %+v, want %+v", got, c.get)
			}
		})
	}
}

func TestSetReturnsOldAndClearsCount(t *testing.T) {
	f, clock := newFile(t, linux.TFD_NONBLOCK)
	f.Set(kernel.TimerSetting{Value: 10, Interval: 10}, false)
	clock.now.Store(1025)
	old := f.Set(kernel.TimerSetting{Value: 1000}, false)
	// Get and Set count what is due: the old setting is the next
	// expiration at 1030.
	if want := (kernel.TimerSetting{Value: 5, Interval: 10}); old != want {
		t.Errorf("old setting %+v, want %+v", old, want)
	}
	if _, err := read(f); err != linux.EAGAIN {
		t.Errorf("read after Set: %v, want EAGAIN", err)
	}
	// Disarming keeps the interval.
	f.Set(kernel.TimerSetting{Interval: 7}, false)
	if got, want := f.Get(), (kernel.TimerSetting{Interval: 7}); got != want {
		t.Errorf("Get after disarm = %+v, want %+v", got, want)
	}
}

func TestReadinessAndNotification(t *testing.T) {
	f, clock := newFile(t, linux.TFD_NONBLOCK)
	if r := f.Readiness(linux.EPOLLIN | linux.EPOLLOUT); r != 0 {
		t.Errorf("readiness before expiry %#x", r)
	}
	e, ch := waiter.NewChannelEntry(linux.EPOLLIN)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	f.Set(kernel.TimerSetting{Value: 1}, false)
	clock.now.Store(2000)
	<-ch
	if r := f.Readiness(linux.EPOLLIN | linux.EPOLLOUT); r != linux.EPOLLIN {
		t.Errorf("readiness after expiry %#x, want EPOLLIN", r)
	}
	if _, err := read(f); err != nil {
		t.Fatal(err)
	}
	if r := f.Readiness(linux.EPOLLIN); r != 0 {
		t.Errorf("readiness after read %#x", r)
	}
}

// mem is a usermem.IO over a byte slice at address 0.
type mem []byte

func (m mem) CopyIn(addr uint64, dst []byte) (int, error) {
	if addr+uint64(len(dst)) > uint64(len(m)) {
		return 0, linux.EFAULT
	}
	return copy(dst, m[addr:]), nil
}

func (m mem) CopyOut(addr uint64, src []byte) (int, error) {
	if addr+uint64(len(src)) > uint64(len(m)) {
		return 0, linux.EFAULT
	}
	return copy(m[addr:], src), nil
}

var _ usermem.IO = mem(nil)

func TestIoctlSetTicks(t *testing.T) {
	f, _ := newFile(t, linux.TFD_NONBLOCK)
	for _, c := range []struct {
		name  string
		cmd   uint32
		ticks uint64
		addr  uint64
		want  error
	}{
		{"zero", linux.TFD_IOC_SET_TICKS, 0, 0, linux.EINVAL},
		{"bad address", linux.TFD_IOC_SET_TICKS, 1, 100, linux.EFAULT},
		{"other ioctl", linux.FIONREAD, 1, 0, linux.ENOTTY},
		{"set", linux.TFD_IOC_SET_TICKS, 42, 0, nil},
	} {
		m := mem(binary.LittleEndian.AppendUint64(nil, c.ticks))
		if _, err := f.Ioctl(m, c.cmd, c.addr); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if got, err := read(f); got != 42 || err != nil {
		t.Errorf("read after TFD_IOC_SET_TICKS = %d, %v; want 42", got, err)
	}
}
