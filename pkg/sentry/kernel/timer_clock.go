package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// hostTimerClock is a guest clock served by the host clock of the same
// meaning.
type hostTimerClock struct {
	host int32
}

// hostTimerClocks maps the guest clocks that timers can use (besides CPU
// clocks) to host clocks. Linux runs CLOCK_TAI timers too.
var hostTimerClocks = map[int32]int32{
	linux.CLOCK_REALTIME:  unix.CLOCK_REALTIME,
	linux.CLOCK_MONOTONIC: unix.CLOCK_MONOTONIC,
	linux.CLOCK_BOOTTIME:  unix.CLOCK_BOOTTIME,
	linux.CLOCK_TAI:       unix.CLOCK_TAI,
}

// HostTimerClock returns the timer clock for the guest clock id, which must
// be CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME or CLOCK_TAI; ok is
// false for any other id.
func HostTimerClock(id int32) (c TimerClock, ok bool) {
	h, ok := hostTimerClocks[id]
	if !ok {
		return nil, false
	}
	return hostTimerClock{host: h}, true
}

// Now implements TimerClock.
func (c hostTimerClock) Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(c.host, &ts); err != nil {
		// These clocks exist on every host kernel the sandbox runs
		// on; Go's clock is the same kind of time.
		return time.Now().UnixNano()
	}
	return ts.Nano()
}

// WallDelay implements TimerClock: the host clocks all advance at the rate
// of the host's wall clock (a REALTIME clock step is found when the timer
// runs: an early run reschedules, a late one reports what it missed).
func (hostTimerClock) WallDelay(d int64) time.Duration { return time.Duration(d) }

// cpuPoll bounds the intervals at which CPU-time clocks are sampled while a
// timer on them is armed: the sentry cannot be woken by the host when a
// thread has used a given amount of CPU time, so it looks. Sampling often
// also limits what a task loses when its host thread is replaced (execve),
// see cpuSample.
const (
	cpuPollMin = time.Millisecond
	cpuPollMax = 100 * time.Millisecond
)

// cpuSample turns readings of a host thread's CPU time into a clock that
// never decreases: a reading below the previous one means the task's host
// thread was replaced (execve starts a fresh one; an exited task reads 0),
// and the new thread's time is added from zero.
type cpuSample struct {
	last int64
}

// add returns how much the thread's time grew since the previous reading.
func (s *cpuSample) add(cur int64) int64 {
	d := cur - s.last
	if d < 0 {
		d = cur
	}
	s.last = cur
	return d
}

// threadCPUClock is a task's CPU time, as the platform measures it: the
// time its host thread spent running application code (user and host
// kernel time together, so it serves both CPUCLOCK_VIRT and
// CPUCLOCK_PROF). The sentry's own time serving the task's system calls is
// not included.
type threadCPUClock struct {
	t     *Task
	s     cpuSample
	total int64
}

// ThreadCPUClock returns a timer clock measuring t's CPU time from now on
// (its readings start at t's current CPU time).
func (t *Task) ThreadCPUClock() TimerClock {
	c := &threadCPUClock{t: t}
	c.Now()
	return c
}

// Now implements TimerClock.
func (c *threadCPUClock) Now() int64 {
	c.total += c.s.add(c.t.ctx.CPUTime())
	return c.total
}

// WallDelay implements TimerClock: a thread runs at most as fast as the
// wall clock.
func (c *threadCPUClock) WallDelay(d int64) time.Duration {
	return min(max(time.Duration(d), cpuPollMin), cpuPollMax)
}

// processCPUClock is the CPU time of a thread group: the sum of its tasks'
// thread CPU times (threadCPUClock) since the clock was made. The time a
// task used between the clock's last sample and its exit is lost: Linux
// keeps it, the sentry has no hook on task exit for it.
type processCPUClock struct {
	tg      *ThreadGroup
	samples map[*Task]*cpuSample
	total   int64
}

// cpuClockLocked returns the group's CPU-time clock, shared by its CPU
// interval timers and POSIX timers.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) cpuClockLocked() *processCPUClock {
	if tg.timers.cpuClock == nil {
		c := &processCPUClock{tg: tg, samples: make(map[*Task]*cpuSample)}
		c.Now()
		tg.timers.cpuClock = c
	}
	return tg.timers.cpuClock
}

// Now implements TimerClock.
//
// Preconditions: c.tg.mu is held.
func (c *processCPUClock) Now() int64 {
	for t := range c.tg.tasks {
		s := c.samples[t]
		if s == nil {
			s = new(cpuSample)
			c.samples[t] = s
		}
		c.total += s.add(t.ctx.CPUTime())
	}
	for t := range c.samples {
		if _, ok := c.tg.tasks[t]; !ok {
			delete(c.samples, t)
		}
	}
	return c.total
}

// WallDelay implements TimerClock: n threads use at most n seconds of CPU
// time per second.
//
// Preconditions: c.tg.mu is held.
func (c *processCPUClock) WallDelay(d int64) time.Duration {
	n := int64(max(len(c.tg.tasks), 1))
	return min(max(time.Duration(d/n), cpuPollMin), cpuPollMax)
}
