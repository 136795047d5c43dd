package kernel

import (
	"math"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// Timers of a thread group: the three interval timers (alarm, setitimer)
// and POSIX timers (timer_create). All of their state is protected by the
// group's signal lock (ThreadGroup.mu), which is also each Timer's lock:
// an expiration queues its signal under the same lock, and taking a timer
// signal off a queue (signal.go) updates the timer under it.
//
// Timer signals follow Linux 6.x: a POSIX timer has at most one signal
// queued. When it expires it queues the signal and stops; the expirations
// that pass until the signal is taken (delivered, sigwaited, read from a
// signalfd) are its overruns, reported in si_overrun and by
// timer_getoverrun, and taking the signal restarts the timer. A signal
// whose timer was deleted or re-set in the meantime is dropped when it is
// taken. Interval timers send plain SIGALRM, SIGVTALRM and SIGPROF
// (si_code SI_KERNEL) and keep running; a standard signal is not queued
// twice, so extra expirations are lost, as in Linux. ITIMER_REAL also
// stops when it expires, and a periodic one restarts only when a SIGALRM is
// taken off the process's queue (so it stays stopped while SIGALRM is
// ignored), as Linux's it_real_fn and dequeue_signal do.

// TimerSetting is a timer's state as the system calls see it, in
// nanoseconds: Value is the time left to the next expiration (0:
// disarmed), Interval the period (0: one-shot).
type TimerSetting struct {
	Value    int64
	Interval int64
}

// maxPosixTimers bounds the POSIX timers of one process (Linux bounds them
// only by memory and RLIMIT_SIGPENDING).
const maxPosixTimers = 1 << 15

// tgTimers are a thread group's interval timers (alarm, setitimer) and
// POSIX timers (timer_create). Its zero value has no timers. Protected by
// ThreadGroup.mu.
type tgTimers struct {
	// itimers are ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF, made
	// when first set.
	itimers [3]*Timer
	// cpuClock is the group's CPU-time clock, made when first needed.
	cpuClock *processCPUClock

	posix map[int32]*posixTimer
	// nextID is where the search for a free timer id starts.
	nextID int32
	// queued maps each POSIX timer signal still on a pending queue to
	// the timer that sent it, including signals of deleted timers.
	queued map[*linux.SignalInfo]*posixTimer
	// released is set when the group's last task has exited.
	released bool
}

// posixTimer is one timer_create timer.
type posixTimer struct {
	tg    *ThreadGroup
	id    int32
	timer *Timer
	// sigNone is SIGEV_NONE: the timer sends nothing (and is never
	// scheduled).
	sigNone bool
	signo   linux.Signal
	value   uint64
	// target receives the signals of a SIGEV_THREAD_ID timer; nil
	// sends them to the process.
	target *Task

	// info is the timer's signal while it is queued, nil otherwise (and
	// after the timer was re-set or deleted, which drops it).
	info *linux.SignalInfo
	// overrun counts the expirations since the queued signal's;
	// overrunLast is what timer_getoverrun reports.
	overrun     int64
	overrunLast int32
}

// releaseTimers stops every timer of tg; it is called once, when the last
// task of the group has exited.
func (tg *ThreadGroup) releaseTimers() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.timers.released = true
	for _, tm := range tg.timers.itimers {
		if tm != nil {
			tm.SetLocked(0, 0, 0)
		}
	}
	tg.deletePosixTimersLocked()
	tg.timers.cpuClock = nil
}

// execTimers applies execve's rules to tg's timers: POSIX timers are
// deleted, interval timers survive. Called by the task that commits the
// exec, once it is the group's only task.
func (tg *ThreadGroup) execTimers() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.deletePosixTimersLocked()
}

// deletePosixTimersLocked deletes every POSIX timer of tg.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) deletePosixTimersLocked() {
	for id, pt := range tg.timers.posix {
		pt.deleteLocked()
		delete(tg.timers.posix, id)
	}
}

// kernelSignal is the siginfo of a signal the kernel sends on its own
// (SEND_SIG_PRIV): si_code SI_KERNEL, no sender.
func kernelSignal(sig linux.Signal) *linux.SignalInfo {
	return &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL}
}

// itimerSignals are the signals of ITIMER_REAL, ITIMER_VIRTUAL and
// ITIMER_PROF.
var itimerSignals = [3]linux.Signal{linux.SIGALRM, linux.SIGVTALRM, linux.SIGPROF}

// itimerLocked returns interval timer which (an ITIMER_* value), making it
// if it was never set. ITIMER_REAL counts monotonic time; the other two
// count the process's CPU time, both the same approximation (see
// threadCPUClock).
//
// Preconditions: tg.mu is held; which is valid.
func (tg *ThreadGroup) itimerLocked(which int32) *Timer {
	if tm := tg.timers.itimers[which]; tm != nil {
		return tm
	}
	var clock TimerClock
	if which == linux.ITIMER_REAL {
		clock, _ = HostTimerClock(linux.CLOCK_MONOTONIC)
	} else {
		clock = tg.cpuClockLocked()
	}
	sig := itimerSignals[which]
	var tm *Timer
	tm = NewTimer(clock, &tg.mu, func(uint64) {
		tg.sendSignalLocked(kernelSignal(sig))
		if which == linux.ITIMER_REAL {
			tm.PauseLocked()
		}
	})
	tg.timers.itimers[which] = tm
	return tm
}

// itimerRealTakenLocked restarts a periodic ITIMER_REAL that stopped when
// it expired; it is called when a SIGALRM is taken off tg's queue.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) itimerRealTakenLocked() {
	tm := tg.timers.itimers[linux.ITIMER_REAL]
	if tm == nil || !tm.PausedLocked() {
		return
	}
	if _, interval := tm.StateLocked(); interval == 0 {
		return
	}
	now := tm.Clock().Now()
	tm.AdvanceLocked(now)
	tm.ResumeLocked(now)
}

// itimerValueLocked returns the setting of an interval timer. Like Linux, a
// timer that is due but whose expiration has not been processed yet shows
// one microsecond left, never zero; a stopped ITIMER_REAL shows zero.
//
// Preconditions: tg.mu is held.
func itimerValueLocked(tm *Timer) TimerSetting {
	next, interval := tm.StateLocked()
	if next == 0 || tm.PausedLocked() {
		return TimerSetting{Interval: interval}
	}
	left := next - tm.Clock().Now()
	if left <= 0 {
		left = 1000
	}
	return TimerSetting{Value: left, Interval: interval}
}

func validITimer(which int32) bool {
	return which == linux.ITIMER_REAL || which == linux.ITIMER_VIRTUAL || which == linux.ITIMER_PROF
}

// ITimer implements getitimer: the setting of interval timer which
// (EINVAL for an unknown one).
func (tg *ThreadGroup) ITimer(which int32) (TimerSetting, error) {
	if !validITimer(which) {
		return TimerSetting{}, linux.EINVAL
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tm := tg.timers.itimers[which]
	if tm == nil {
		return TimerSetting{}, nil
	}
	return itimerValueLocked(tm), nil
}

// SetITimer implements setitimer (and alarm): it sets interval timer which
// to s, relative to now, and returns the old setting. A zero Value
// disarms the timer; ITIMER_REAL then also forgets its interval, the CPU
// timers keep it (getitimer shows it), as in Linux.
func (tg *ThreadGroup) SetITimer(which int32, s TimerSetting) (TimerSetting, error) {
	if !validITimer(which) {
		return TimerSetting{}, linux.EINVAL
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.timers.released {
		return TimerSetting{}, nil
	}
	tm := tg.itimerLocked(which)
	old := itimerValueLocked(tm)
	now := tm.Clock().Now()
	next, interval := int64(0), s.Interval
	if s.Value > 0 {
		next = satAdd(now, s.Value)
	} else if which == linux.ITIMER_REAL {
		interval = 0
	}
	tm.SetLocked(now, next, interval)
	return old, nil
}

// CreateTimer implements timer_create with a clock the caller has chosen
// (HostTimerClock, ThreadCPUClock, ProcessCPUClock) and the sigevent ev
// (nil: SIGEV_SIGNAL with SIGALRM and the timer id as si_value). It
// validates ev as Linux's good_sigevent does: SIGEV_THREAD_ID needs a
// thread of the caller's process, signal numbers must be valid. It
// returns the new timer's id.
func (t *Task) CreateTimer(clock TimerClock, ev *linux.Sigevent) (int32, error) {
	tg := t.tg
	tg.mu.Lock()
	defer tg.mu.Unlock()
	pt := &posixTimer{tg: tg}
	if ev == nil {
		pt.signo = linux.SIGALRM
	} else {
		switch ev.Notify {
		case linux.SIGEV_SIGNAL | linux.SIGEV_THREAD_ID:
			pt.target = tg.taskLocked(ThreadID(ev.Tid))
			if pt.target == nil {
				return 0, linux.EINVAL
			}
			fallthrough
		case linux.SIGEV_SIGNAL, linux.SIGEV_THREAD:
			// SIGEV_THREAD is the C library's: to the kernel it
			// is a signal to the process.
			if !linux.Signal(ev.Signo).IsValid() {
				return 0, linux.EINVAL
			}
		case linux.SIGEV_NONE:
			pt.sigNone = true
		default:
			return 0, linux.EINVAL
		}
		pt.signo, pt.value = linux.Signal(ev.Signo), ev.Value
	}
	id, err := tg.allocTimerIDLocked()
	if err != nil {
		return 0, err
	}
	pt.id = id
	if ev == nil {
		pt.value = uint64(id)
	}
	var expire func(uint64)
	if !pt.sigNone {
		expire = pt.expireLocked
	}
	pt.timer = NewTimer(clock, &tg.mu, expire)
	if tg.timers.posix == nil {
		tg.timers.posix = make(map[int32]*posixTimer)
	}
	tg.timers.posix[id] = pt
	return id, nil
}

// ProcessCPUClock returns the clock of the process's CPU time, for timers
// (CLOCK_PROCESS_CPUTIME_ID): the sum of its threads' CPU times (see
// threadCPUClock and processCPUClock for what it misses).
func (tg *ThreadGroup) ProcessCPUClock() TimerClock {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.cpuClockLocked()
}

// taskLocked returns the live task of tg with id tid, or nil.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) taskLocked(tid ThreadID) *Task {
	for t := range tg.tasks {
		if t.tid == tid && !t.exited {
			return t
		}
	}
	return nil
}

// allocTimerIDLocked returns the first free timer id from the one after
// the last allocated (0 for a process's first timer), wrapping at INT_MAX,
// as Linux allocates them.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) allocTimerIDLocked() (int32, error) {
	if len(tg.timers.posix) >= maxPosixTimers || tg.timers.released {
		return 0, linux.EAGAIN
	}
	for {
		id := tg.timers.nextID
		if id == math.MaxInt32 {
			tg.timers.nextID = 0
		} else {
			tg.timers.nextID++
		}
		if _, used := tg.timers.posix[id]; !used {
			return id, nil
		}
	}
}

// posixTimerLocked returns timer id (EINVAL if there is none).
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) posixTimerLocked(id int32) (*posixTimer, error) {
	pt := tg.timers.posix[id]
	if pt == nil {
		return nil, linux.EINVAL
	}
	return pt, nil
}

// SetTimer implements timer_settime: it arms timer id with s (Value
// relative to now, or the clock time to expire at if abs; a zero Value
// disarms it) and returns the old setting. A signal the timer has queued
// is dropped when taken, and the overrun count restarts.
func (tg *ThreadGroup) SetTimer(id int32, s TimerSetting, abs bool) (TimerSetting, error) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	pt, err := tg.posixTimerLocked(id)
	if err != nil {
		return TimerSetting{}, err
	}
	old := pt.valueLocked()
	pt.info = nil
	pt.overrun, pt.overrunLast = 0, 0
	now := pt.timer.Clock().Now()
	switch {
	case s.Value == 0:
		pt.timer.SetLocked(now, 0, 0)
	case abs:
		pt.timer.SetLocked(now, s.Value, s.Interval)
	default:
		pt.timer.SetLocked(now, satAdd(now, s.Value), s.Interval)
	}
	return old, nil
}

// Timer implements timer_gettime: the setting of timer id.
func (tg *ThreadGroup) Timer(id int32) (TimerSetting, error) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	pt, err := tg.posixTimerLocked(id)
	if err != nil {
		return TimerSetting{}, err
	}
	return pt.valueLocked(), nil
}

// TimerOverrun implements timer_getoverrun: the overrun count of the last
// signal of timer id that was taken.
func (tg *ThreadGroup) TimerOverrun(id int32) (int32, error) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	pt, err := tg.posixTimerLocked(id)
	if err != nil {
		return 0, err
	}
	return pt.overrunLast, nil
}

// DeleteTimer implements timer_delete. A signal the timer has queued is
// dropped when taken.
func (tg *ThreadGroup) DeleteTimer(id int32) error {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	pt, err := tg.posixTimerLocked(id)
	if err != nil {
		return err
	}
	pt.deleteLocked()
	delete(tg.timers.posix, id)
	return nil
}

// deleteLocked stops pt for good.
//
// Preconditions: pt.tg.mu is held.
func (pt *posixTimer) deleteLocked() {
	pt.info = nil
	pt.timer.SetLocked(0, 0, 0)
}

// valueLocked returns pt's setting as timer_gettime reports it: a timer
// whose signal is queued (or a SIGEV_NONE timer, never scheduled) is
// advanced past now first, counting the expirations as overruns; a
// one-shot timer that has expired shows zero; one that is due but not yet
// processed shows one nanosecond.
//
// Preconditions: pt.tg.mu is held.
func (pt *posixTimer) valueLocked() TimerSetting {
	if next, _ := pt.timer.StateLocked(); next == 0 {
		return TimerSetting{}
	}
	now := pt.timer.Clock().Now()
	if pt.sigNone || pt.timer.PausedLocked() {
		pt.overrun = satAdd(pt.overrun, int64(pt.timer.AdvanceLocked(now)))
	}
	next, interval := pt.timer.StateLocked()
	if next == 0 {
		return TimerSetting{}
	}
	return TimerSetting{Value: max(next-now, 1), Interval: interval}
}

// expireLocked is the Timer callback of a timer that sends signals: it
// queues the signal and pauses the timer until the signal is taken.
//
// Preconditions: pt.tg.mu is held.
func (pt *posixTimer) expireLocked(n uint64) {
	tg := pt.tg
	pt.overrun = satAdd(pt.overrun, int64(n-1))
	info := &linux.SignalInfo{Signo: int32(pt.signo), Code: linux.SI_TIMER}
	info.SetTimerID(pt.id)
	info.SetValue(pt.value)
	var queued bool
	if pt.target != nil {
		queued = pt.target.sendSignalLocked(info)
	} else {
		queued = tg.sendSignalLocked(info)
	}
	if !queued {
		// Ignored (or the target thread is gone): the timer keeps
		// running and the expirations are forgotten.
		pt.overrun = 0
		return
	}
	pt.info = info
	if tg.timers.queued == nil {
		tg.timers.queued = make(map[*linux.SignalInfo]*posixTimer)
	}
	tg.timers.queued[info] = pt
	pt.timer.PauseLocked()
}

// timerSignalTakenLocked is called when a signal with si_code SI_TIMER is
// taken off a pending queue. For a signal of a live timer that was not
// re-set since, it fills in si_overrun and restarts the timer, and
// reports true; for the signal of a deleted or re-set timer it reports
// false: the signal must be dropped. Signals that no timer sent (queued
// with rt_sigqueueinfo) are kept.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) timerSignalTakenLocked(info *linux.SignalInfo) bool {
	pt, ok := tg.timers.queued[info]
	if !ok {
		return true
	}
	delete(tg.timers.queued, info)
	if pt.info != info {
		return false
	}
	pt.info = nil
	now := pt.timer.Clock().Now()
	overrun := satAdd(pt.overrun, int64(pt.timer.AdvanceLocked(now)))
	pt.overrun = 0
	pt.overrunLast = int32(min(overrun, linux.DELAYTIMER_MAX))
	info.SetOverrun(pt.overrunLast)
	pt.timer.ResumeLocked(now)
	return true
}

// timerSignalsDiscardedLocked is called with signals that were removed from
// a pending queue without being taken (the handler became SIG_IGN): their
// timers restart.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) timerSignalsDiscardedLocked(infos []*linux.SignalInfo) {
	for _, info := range infos {
		pt, ok := tg.timers.queued[info]
		if !ok {
			continue
		}
		delete(tg.timers.queued, info)
		if pt.info == info {
			pt.info = nil
			pt.overrun = 0
			pt.timer.ResumeLocked(pt.timer.Clock().Now())
		}
	}
}
