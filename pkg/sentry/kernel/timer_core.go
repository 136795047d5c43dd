package kernel

import (
	"math"
	"sync"
	"time"
)

// TimerClock is a clock that a Timer measures: a host clock (timer_clock.go
// has the realtime, monotonic and boot-time clocks) or a CPU-time clock
// sampled from the tasks' host threads.
type TimerClock interface {
	// Now returns the clock's value in nanoseconds. It never
	// decreases.
	//
	// Preconditions: the lock of the Timer that uses the clock is held
	// (CPU clocks keep their samples under it).
	Now() int64
	// WallDelay returns how long the sentry should wait, in host
	// wall-clock time, before the clock may have advanced by d > 0
	// nanoseconds. A clock that cannot be waited for (CPU time) answers
	// with a polling interval.
	//
	// Preconditions: as for Now.
	WallDelay(d int64) time.Duration
}

// minRearm bounds how often a periodic timer wakes the sentry: a period
// shorter than this still counts every expiration (they are found when the
// timer next runs), it just reports them in batches.
const minRearm = 100 * time.Microsecond

// Timer is the expiration engine shared by interval timers, POSIX timers
// and timerfds: an expiration time and a period on a TimerClock, and a
// host timer that calls back when the expiration is due.
//
// A Timer is protected by its owner's lock (mu, given to NewTimer): the
// thread group's signal lock for interval and POSIX timers, the file's
// lock for a timerfd. The expire callback runs with that lock held, from
// a goroutine of the Go runtime's timer machinery, so it must not block.
//
// Expirations are counted, never lost: when the callback runs late, or
// the timer is paused, the expirations that passed meanwhile are found by
// AdvanceLocked and reported as one batch.
type Timer struct {
	clock  TimerClock
	mu     sync.Locker
	expire func(n uint64)

	// The following are protected by mu.
	// next is the clock time of the next expiration, 0 when disarmed;
	// interval the period (0: one-shot).
	next     int64
	interval int64
	// paused keeps the host timer stopped while next stays armed.
	paused bool
	// seq invalidates host timer callbacks that were scheduled before
	// the last change.
	seq  uint64
	host *time.Timer
}

// NewTimer returns a disarmed timer on clock. expire, if not nil, is called
// with mu held and the number of expirations (at least one) each time the
// timer expires while not paused; a timer without expire is never
// scheduled (SIGEV_NONE): its expirations are only found by AdvanceLocked.
func NewTimer(clock TimerClock, mu sync.Locker, expire func(n uint64)) *Timer {
	return &Timer{clock: clock, mu: mu, expire: expire}
}

// Clock returns the timer's clock.
func (t *Timer) Clock() TimerClock { return t.clock }

// StateLocked returns the clock time of the next expiration (0: disarmed)
// and the period.
//
// Preconditions: the timer's lock is held.
func (t *Timer) StateLocked() (next, interval int64) { return t.next, t.interval }

// SetLocked arms the timer to expire first at clock time next (0
// disarms it) and then every interval nanoseconds (0: once). now is the
// clock's current value. The interval is kept even by a disarmed timer,
// for the interfaces that report it (setitimer's CPU timers, timerfd). It
// unpauses the timer.
//
// Preconditions: the timer's lock is held.
func (t *Timer) SetLocked(now, next, interval int64) {
	t.next, t.interval = max(next, 0), max(interval, 0)
	t.paused = false
	t.scheduleLocked(now, false)
}

// AdvanceLocked counts the expirations at or before now, moves the next
// expiration past now (or disarms a one-shot timer that expired) and
// returns the count. It does not call expire.
//
// Preconditions: the timer's lock is held.
func (t *Timer) AdvanceLocked(now int64) uint64 {
	if t.next == 0 || now < t.next {
		return 0
	}
	if t.interval == 0 {
		t.next = 0
		return 1
	}
	n := uint64((now-t.next)/t.interval) + 1
	t.next = satAdd(t.next, satMul(int64(n), t.interval))
	if t.next == math.MaxInt64 {
		// Past the end of time: it will not expire again.
		t.next = 0
	}
	return n
}

// PauseLocked stops the timer from calling expire until ResumeLocked. It
// stays armed: AdvanceLocked still counts its expirations.
//
// Preconditions: the timer's lock is held.
func (t *Timer) PauseLocked() {
	t.paused = true
	t.scheduleLocked(0, false)
}

// ResumeLocked undoes PauseLocked; an expiration that is already due is
// reported at once. now is the clock's current value.
//
// Preconditions: the timer's lock is held.
func (t *Timer) ResumeLocked(now int64) {
	t.paused = false
	t.scheduleLocked(now, false)
}

// PausedLocked reports whether the timer is paused.
//
// Preconditions: the timer's lock is held.
func (t *Timer) PausedLocked() bool { return t.paused }

// scheduleLocked replaces the host timer by one for the next expiration, if
// the timer is armed, not paused and has an expire callback. fired says
// the timer has just expired: a periodic timer then waits at least
// minRearm, so that a tiny period cannot keep a host thread busy.
//
// Preconditions: the timer's lock is held.
func (t *Timer) scheduleLocked(now int64, fired bool) {
	t.seq++
	if t.host != nil {
		t.host.Stop()
		t.host = nil
	}
	if t.next == 0 || t.paused || t.expire == nil {
		return
	}
	var d time.Duration
	if left := t.next - now; left > 0 {
		d = t.clock.WallDelay(left)
	}
	if fired {
		d = max(d, minRearm)
	}
	seq := t.seq
	t.host = time.AfterFunc(d, func() { t.run(seq) })
}

// run is the host timer's callback.
func (t *Timer) run(seq uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq != t.seq || t.next == 0 || t.paused {
		// Superseded by a later change.
		return
	}
	t.host = nil
	now := t.clock.Now()
	n := t.AdvanceLocked(now)
	if n > 0 {
		t.expire(n)
	}
	if seq == t.seq {
		// expire did not reschedule or pause the timer itself.
		t.scheduleLocked(now, n > 0)
	}
}

// satAdd returns a+b for non-negative a and b, saturated at MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul returns a*b for non-negative a and b, saturated at MaxInt64.
func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}
