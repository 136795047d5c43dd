package kernel

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a TimerClock the test moves by hand. Its WallDelay is long,
// so that host timers never fire during a test: expirations are driven by
// calling Timer.run directly.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() int64                    { return c.now.Load() }
func (c *fakeClock) WallDelay(int64) time.Duration { return time.Hour }

// expiries records a timer's expire calls.
type expiries struct {
	mu sync.Mutex // the timer's lock
	n  []uint64
}

func (e *expiries) expire(n uint64) { e.n = append(e.n, n) }

// fire runs the timer's pending host callback, as the host timer would.
func fire(tm *Timer) {
	tm.mu.Lock()
	seq := tm.seq
	tm.mu.Unlock()
	tm.run(seq)
}

func TestTimerAdvance(t *testing.T) {
	for _, c := range []struct {
		name           string
		next, interval int64
		now            int64
		want           uint64
		wantNext       int64
	}{
		{"disarmed", 0, 10, 100, 0, 0},
		{"not yet", 50, 10, 49, 0, 50},
		{"one-shot due", 50, 0, 50, 1, 0},
		{"one-shot late", 50, 0, 500, 1, 0},
		{"periodic exactly due", 50, 10, 50, 1, 60},
		{"periodic three", 50, 10, 75, 3, 80},
		{"periodic huge interval saturates", 50, math.MaxInt64 - 10, 60, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e expiries
			tm := NewTimer(&fakeClock{}, &e.mu, nil)
			tm.mu.Lock()
			defer tm.mu.Unlock()
			tm.SetLocked(0, c.next, c.interval)
			if got := tm.AdvanceLocked(c.now); got != c.want {
				t.Errorf("AdvanceLocked(%d) = %d, want %d", c.now, got, c.want)
			}
			if next, _ := tm.StateLocked(); next != c.wantNext {
				t.Errorf("next = %d, want %d", next, c.wantNext)
			}
		})
	}
}

func TestTimerRunBatchesExpirations(t *testing.T) {
	var e expiries
	clock := &fakeClock{}
	tm := NewTimer(clock, &e.mu, e.expire)
	e.mu.Lock()
	tm.SetLocked(0, 10, 10)
	e.mu.Unlock()

	fire(tm) // too early: nothing
	clock.now.Store(35)
	fire(tm)
	clock.now.Store(40)
	fire(tm)

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.n) != 2 || e.n[0] != 3 || e.n[1] != 1 {
		t.Errorf("expirations %v, want [3 1]", e.n)
	}
	tm.SetLocked(0, 0, 0)
}

func TestTimerStaleCallbackDoesNothing(t *testing.T) {
	var e expiries
	clock := &fakeClock{}
	clock.now.Store(100)
	tm := NewTimer(clock, &e.mu, e.expire)
	e.mu.Lock()
	tm.SetLocked(100, 50, 0)
	stale := tm.seq
	// Re-arming supersedes the callback scheduled for the first
	// setting.
	tm.SetLocked(100, 1000, 0)
	e.mu.Unlock()
	tm.run(stale)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.n) != 0 {
		t.Errorf("stale callback expired the timer: %v", e.n)
	}
	tm.SetLocked(0, 0, 0)
}

func TestTimerPauseResume(t *testing.T) {
	var e expiries
	clock := &fakeClock{}
	tm := NewTimer(clock, &e.mu, e.expire)
	e.mu.Lock()
	tm.SetLocked(0, 10, 10)
	tm.PauseLocked()
	e.mu.Unlock()

	clock.now.Store(25)
	fire(tm)
	e.mu.Lock()
	if len(e.n) != 0 {
		t.Errorf("paused timer expired: %v", e.n)
	}
	// A paused timer still counts its expirations.
	if n := tm.AdvanceLocked(25); n != 2 {
		t.Errorf("AdvanceLocked while paused = %d, want 2", n)
	}
	clock.now.Store(31)
	tm.ResumeLocked(31)
	e.mu.Unlock()
	fire(tm)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.n) != 1 || e.n[0] != 1 {
		t.Errorf("expirations after resume %v, want [1]", e.n)
	}
	tm.SetLocked(0, 0, 0)
}

func TestTimerHostCallbackFires(t *testing.T) {
	// A real clock and host timer: the expiration arrives by itself.
	clock, _ := HostTimerClock(1) // CLOCK_MONOTONIC
	var mu sync.Mutex
	got := make(chan uint64, 1)
	tm := NewTimer(clock, &mu, func(n uint64) { got <- n })
	mu.Lock()
	now := clock.Now()
	tm.SetLocked(now, now+int64(time.Millisecond), 0)
	mu.Unlock()
	if n := <-got; n != 1 {
		t.Errorf("one-shot expired %d times, want 1", n)
	}
}

func TestCPUSampleNeverDecreases(t *testing.T) {
	for _, c := range []struct {
		name     string
		readings []int64
		want     int64
	}{
		{"growing", []int64{10, 25, 40}, 40},
		{"host thread replaced", []int64{10, 50, 5, 20}, 70},
		{"exited thread reads zero", []int64{30, 0, 0}, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s cpuSample
			var total int64
			for _, r := range c.readings {
				total += s.add(r)
			}
			if total != c.want {
				t.Errorf("total %d, want %d", total, c.want)
			}
		})
	}
}

func TestSaturatingArithmetic(t *testing.T) {
	for _, c := range []struct {
		a, b, sum, prod int64
	}{
		{2, 3, 5, 6},
		{math.MaxInt64, 1, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 / 2, 3, math.MaxInt64/2 + 3, math.MaxInt64},
		{0, math.MaxInt64, math.MaxInt64, 0},
	} {
		if got := satAdd(c.a, c.b); got != c.sum {
			t.Errorf("satAdd(%d, %d) = %d, want %d", c.a, c.b, got, c.sum)
		}
		if got := satMul(c.a, c.b); got != c.prod {
			t.Errorf("satMul(%d, %d) = %d, want %d", c.a, c.b, got, c.prod)
		}
	}
}
