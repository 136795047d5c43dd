// Package timerfd implements timerfd_create(2) files: a timer whose
// expirations are counted and read as an 8-byte integer, waitable with
// poll and epoll.
//
// It owns the expiration count, the file's settime/gettime semantics and
// its readiness notifications. The timer itself is a kernel.Timer on a
// clock the syscall layer chose; this package must not know about tasks,
// signals or FD tables: it blocks through the vfs.ChannelBlocker it is
// given.
//
// Lock order: File.mu, then the file's waiter queue lock (an expiration
// notifies readers with File.mu held; Readiness reads the count without
// File.mu, so epoll, which calls Readiness under its own locks, never
// waits for File.mu).
package timerfd

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// File is a timerfd.
type File struct {
	// AnonFile's Queue is notified with EPOLLIN when the timer expires.
	vfs.AnonFile
	// ticks counts the expirations since the last read or settime. It
	// changes only with mu held; Readiness reads it without.
	ticks atomic.Uint64

	mu sync.Mutex
	// timer is protected by mu (it is the timer's lock).
	timer *kernel.Timer
}

var (
	_ vfs.FileDescription = (*File)(nil)
	_ vfs.Waitable        = (*File)(nil)
)

// New returns a disarmed timerfd on clock with the TFD_* creation flags
// (already validated by the caller), holding one reference.
func New(clock kernel.TimerClock, flags uint32) *File {
	f := &File{}
	f.InitAnon("timerfd", linux.O_RDWR|flags&linux.O_NONBLOCK, f.release)
	f.timer = kernel.NewTimer(clock, &f.mu, f.expireLocked)
	return f
}

// expireLocked is the timer's callback.
//
// Preconditions: f.mu is held.
func (f *File) expireLocked(n uint64) {
	f.ticks.Add(n)
	f.Queue.Notify(linux.EPOLLIN)
}

// valueLocked returns the timer's setting as timerfd_gettime reports it:
// the time left (zero once a one-shot timer has expired) and the interval,
// which a disarmed timerfd keeps. Expirations that are due are counted
// first, as Linux's timerfd_gettime forwards an expired periodic timer.
//
// Preconditions: f.mu is held.
func (f *File) valueLocked() kernel.TimerSetting {
	now := f.timer.Clock().Now()
	if n := f.timer.AdvanceLocked(now); n > 0 {
		f.expireLocked(n)
	}
	next, interval := f.timer.StateLocked()
	if next == 0 {
		return kernel.TimerSetting{Interval: interval}
	}
	return kernel.TimerSetting{Value: max(next-now, 0), Interval: interval}
}

// Get implements timerfd_gettime.
func (f *File) Get() kernel.TimerSetting {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.valueLocked()
}

// Set implements timerfd_settime: it arms the timer with s (Value relative
// to now, or the clock time to expire at if abs; a zero Value disarms it,
// keeping the interval), clears the expiration count and returns the old
// setting.
func (f *File) Set(s kernel.TimerSetting, abs bool) kernel.TimerSetting {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.valueLocked()
	f.ticks.Store(0)
	now := f.timer.Clock().Now()
	next := s.Value
	if next != 0 && !abs {
		next = satAdd(now, next)
	}
	f.timer.SetLocked(now, next, s.Interval)
	return old
}

// satAdd returns a+b for non-negative a and b, saturated.
func satAdd(a, b int64) int64 {
	if a > 1<<63-1-b {
		return 1<<63 - 1
	}
	return a + b
}

// release stops the timer; the file's last DecRef calls it.
func (f *File) release() {
	f.mu.Lock()
	f.timer.SetLocked(0, 0, 0)
	f.mu.Unlock()
}

func (f *File) nonblocking() bool { return f.StatusFlags()&linux.O_NONBLOCK != 0 }

// Read implements vfs.FileDescription: it returns the number of
// expirations since the last read as an 8-byte integer, blocking while
// there were none.
func (f *File) Read(b vfs.Blocker, dst []byte) (int, error) {
	if len(dst) < 8 {
		return 0, linux.EINVAL
	}
	v, err := f.tryRead()
	if err == linux.EAGAIN && !f.nonblocking() {
		v, err = f.block(b)
	}
	if err != nil {
		return 0, err
	}
	binary.NativeEndian.PutUint64(dst, v)
	return 8, nil
}

// tryRead takes the expiration count, or fails with EAGAIN if it is zero.
func (f *File) tryRead() (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Count an expiration that is due even if its callback has not run.
	if n := f.timer.AdvanceLocked(f.timer.Clock().Now()); n > 0 {
		f.ticks.Add(n)
	}
	if v := f.ticks.Swap(0); v != 0 {
		return v, nil
	}
	return 0, linux.EAGAIN
}

// block waits for an expiration.
func (f *File) block(b vfs.Blocker) (uint64, error) {
	e, ch := waiter.NewChannelEntry(linux.EPOLLIN)
	f.Queue.EventRegister(e)
	defer f.Queue.EventUnregister(e)
	for {
		v, err := f.tryRead()
		if err != linux.EAGAIN {
			return v, err
		}
		if cb, ok := b.(vfs.ChannelBlocker); ok {
			if err := cb.Block(ch, time.Time{}); err != nil {
				return 0, err
			}
		} else {
			// No task to interrupt (sentry-internal callers, tests).
			<-ch
		}
	}
}

// Write implements vfs.FileDescription: a timerfd has no write operation.
func (f *File) Write(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// PRead implements vfs.FileDescription.
func (f *File) PRead(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements vfs.FileDescription.
func (f *File) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements vfs.FileDescription: Linux's timerfd uses noop_llseek.
func (f *File) Seek(int64, int) (int64, error) { return 0, nil }

// Stat implements vfs.FileDescription.
func (f *File) Stat() (linux.Stat, error) { return eventfd.AnonStat(), nil }

// Ioctl implements vfs.FileDescription: TFD_IOC_SET_TICKS (Linux has it
// when built with CONFIG_CHECKPOINT_RESTORE, as distribution kernels are)
// sets the expiration count to a non-zero value.
func (f *File) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	if cmd != linux.TFD_IOC_SET_TICKS {
		return 0, linux.ENOTTY
	}
	ticks, err := usermem.CopyInUint64(mem, arg)
	if err != nil {
		return 0, linux.EFAULT
	}
	if ticks == 0 {
		return 0, linux.EINVAL
	}
	f.mu.Lock()
	f.ticks.Store(ticks)
	f.Queue.Notify(linux.EPOLLIN)
	f.mu.Unlock()
	return 0, nil
}

// FDName is what /proc/PID/fd/N shows.
func (f *File) FDName() string { return "anon_inode:[timerfd]" }

// Readiness implements vfs.Waitable: readable once the timer has expired
// since the last read.
func (f *File) Readiness(mask uint32) uint32 {
	if f.ticks.Load() > 0 {
		return linux.EPOLLIN & mask
	}
	return 0
}
