package kernel

import (
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// timerTestContext is a platform context that never runs code.
type timerTestContext struct{}

func (timerTestContext) Switch(platform.AddressSpace, *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	return 0, nil, errors.New("timer test context cannot run code")
}
func (timerTestContext) Interrupt()                  {}
func (timerTestContext) FPState() ([]byte, error)    { return nil, nil }
func (timerTestContext) SetFPState([]byte) error     { return nil }
func (timerTestContext) LastTrap() platform.TrapInfo { return platform.TrapInfo{} }
func (timerTestContext) CPUTime() int64              { return 0 }
func (timerTestContext) Release()                    {}

// newTimerTestGroup returns a thread group with one task (tid 7) that is
// never started: enough for signals and timers.
func newTimerTestGroup(t *testing.T) (*ThreadGroup, *Task) {
	tg := &ThreadGroup{tgid: 7, tasks: make(map[*Task]struct{}), sh: &signalHandlers{}, done: make(chan struct{})}
	task := &Task{tg: tg, tid: 7, ctx: timerTestContext{}, interruptC: make(chan struct{}, 1)}
	tg.tasks[task] = struct{}{}
	t.Cleanup(tg.releaseTimers)
	return tg, task
}

func sigevent(notify int32, sig linux.Signal, tid int32) *linux.Sigevent {
	return &linux.Sigevent{Notify: notify, Signo: int32(sig), Tid: tid, Value: 0xfeed}
}

func TestCreateTimerSigevent(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   *linux.Sigevent
		want error
	}{
		{"nil", nil, nil},
		{"signal", sigevent(linux.SIGEV_SIGNAL, linux.SIGUSR1, 0), nil},
		{"none ignores signo", sigevent(linux.SIGEV_NONE, 99, 0), nil},
		{"thread", sigevent(linux.SIGEV_THREAD, linux.SIGRTMAX, 0), nil},
		{"own thread", sigevent(linux.SIGEV_SIGNAL|linux.SIGEV_THREAD_ID, linux.SIGUSR1, 7), nil},
		{"other thread", sigevent(linux.SIGEV_SIGNAL|linux.SIGEV_THREAD_ID, linux.SIGUSR1, 8), linux.EINVAL},
		{"thread id 0", sigevent(linux.SIGEV_SIGNAL|linux.SIGEV_THREAD_ID, linux.SIGUSR1, 0), linux.EINVAL},
		{"own thread bad signal", sigevent(linux.SIGEV_SIGNAL|linux.SIGEV_THREAD_ID, 0, 7), linux.EINVAL},
		{"signal 0", sigevent(linux.SIGEV_SIGNAL, 0, 0), linux.EINVAL},
		{"signal 65", sigevent(linux.SIGEV_SIGNAL, 65, 0), linux.EINVAL},
		{"unknown notify", sigevent(3, linux.SIGUSR1, 0), linux.EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, task := newTimerTestGroup(t)
			id, err := task.CreateTimer(&fakeClock{}, c.ev)
			if err != c.want {
				t.Fatalf("CreateTimer = %d, %v; want error %v", id, err, c.want)
			}
			if err == nil && id != 0 {
				t.Errorf("first timer id %d, want 0", id)
			}
			if err == nil {
				if err := tg.DeleteTimer(id); err != nil {
					t.Errorf("DeleteTimer: %v", err)
				}
			}
		})
	}
}

func TestTimerIDsAreSequential(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	for want := int32(0); want < 3; want++ {
		if id, err := task.CreateTimer(&fakeClock{}, nil); err != nil || id != want {
			t.Fatalf("CreateTimer = %d, %v; want %d", id, err, want)
		}
	}
	if err := tg.DeleteTimer(1); err != nil {
		t.Fatal(err)
	}
	if id, _ := task.CreateTimer(&fakeClock{}, nil); id != 3 {
		t.Errorf("next id %d, want 3", id)
	}
	for _, bad := range []int32{1, -1, 99} {
		if _, err := tg.Timer(bad); err != linux.EINVAL {
			t.Errorf("Timer(%d): %v, want EINVAL", bad, err)
		}
	}
}

// takeTimerSignal takes a pending signal in set as a sigtimedwait would.
func takeTimerSignal(task *Task, sig linux.Signal) *linux.SignalInfo {
	return task.TakeSignal(linux.SignalSetOf(sig))
}

func TestTimerSignalQueuedOnceWithOverruns(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	task.SetSignalMask(linux.SignalSetOf(linux.SIGRTMIN))
	clock := &fakeClock{}
	id, err := task.CreateTimer(clock, sigevent(linux.SIGEV_SIGNAL, linux.SIGRTMIN, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.SetTimer(id, TimerSetting{Value: 10, Interval: 10}, false); err != nil {
		t.Fatal(err)
	}
	pt := tg.timers.posix[id]

	clock.now.Store(10)
	fire(pt.timer)
	// Four more periods pass while the signal is queued; the timer is
	// paused, so firing finds nothing to do.
	clock.now.Store(55)
	fire(pt.timer)
	if got := len(tg.pending.queue[linux.SIGRTMIN]); got != 1 {
		t.Fatalf("%d signals queued, want 1", got)
	}
	if s, _ := tg.Timer(id); s.Value <= 0 || s.Value > 10 || s.Interval != 10 {
		t.Errorf("Timer while pending = %+v, want 0 < Value <= 10, Interval 10", s)
	}
	info := takeTimerSignal(task, linux.SIGRTMIN)
	if info == nil {
		t.Fatal("no signal")
	}
	if info.Code != linux.SI_TIMER || info.TimerID() != id || info.Value() != 0xfeed {
		t.Errorf("siginfo code %d id %d value %#x", info.Code, info.TimerID(), info.Value())
	}
	// Expirations at 20, 30, 40 and 50 after the one at 10.
	if info.Overrun() != 4 {
		t.Errorf("si_overrun %d, want 4", info.Overrun())
	}
	if n, _ := tg.TimerOverrun(id); n != 4 {
		t.Errorf("TimerOverrun %d, want 4", n)
	}
	// Taking it restarted the timer.
	clock.now.Store(60)
	fire(pt.timer)
	if info := takeTimerSignal(task, linux.SIGRTMIN); info == nil || info.Overrun() != 0 {
		t.Errorf("second signal %+v, want one without overruns", info)
	}
}

func TestTimerSignalOfResetOrDeletedTimerIsDropped(t *testing.T) {
	for _, del := range []bool{false, true} {
		tg, task := newTimerTestGroup(t)
		task.SetSignalMask(linux.SignalSetOf(linux.SIGUSR2))
		clock := &fakeClock{}
		id, _ := task.CreateTimer(clock, sigevent(linux.SIGEV_SIGNAL, linux.SIGUSR2, 0))
		tg.SetTimer(id, TimerSetting{Value: 5}, false)
		clock.now.Store(5)
		fire(tg.timers.posix[id].timer)
		if del {
			tg.DeleteTimer(id)
		} else {
			tg.SetTimer(id, TimerSetting{Value: 1000}, false)
		}
		if task.PendingSignals()&linux.SignalSetOf(linux.SIGUSR2) == 0 {
			t.Errorf("delete=%v: signal not pending", del)
		}
		if info := takeTimerSignal(task, linux.SIGUSR2); info != nil {
			t.Errorf("delete=%v: took %+v, want it dropped", del, info)
		}
	}
}

func TestTimerSignalNotQueuedWhenIgnored(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	clock := &fakeClock{}
	// SIGCHLD is ignored by default and not blocked: dropped at once.
	id, _ := task.CreateTimer(clock, sigevent(linux.SIGEV_SIGNAL, linux.SIGCHLD, 0))
	tg.SetTimer(id, TimerSetting{Value: 5, Interval: 5}, false)
	pt := tg.timers.posix[id]
	clock.now.Store(5)
	fire(pt.timer)
	tg.mu.Lock()
	paused, pending := pt.timer.PausedLocked(), tg.pending.set|task.pending.set
	tg.mu.Unlock()
	if paused || pending != 0 {
		t.Errorf("ignored timer signal: paused %v, pending %#x", paused, pending)
	}
}

func TestTimerSignalDiscardedBySigIgnRestartsTimer(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	task.SetSignalMask(linux.SignalSetOf(linux.SIGUSR1))
	clock := &fakeClock{}
	id, _ := task.CreateTimer(clock, sigevent(linux.SIGEV_SIGNAL, linux.SIGUSR1, 0))
	tg.SetTimer(id, TimerSetting{Value: 5, Interval: 5}, false)
	pt := tg.timers.posix[id]
	clock.now.Store(5)
	fire(pt.timer)
	if _, err := task.SigAction(linux.SIGUSR1, &linux.SigAction{Handler: linux.SIG_IGN}); err != nil {
		t.Fatal(err)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if pt.timer.PausedLocked() || pt.info != nil || len(tg.timers.queued) != 0 {
		t.Errorf("after SIG_IGN: paused %v, info %v, %d queued", pt.timer.PausedLocked(), pt.info, len(tg.timers.queued))
	}
}

func TestThreadTimerSignalGoesToThread(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	task.SetSignalMask(linux.SignalSetOf(linux.SIGUSR1))
	clock := &fakeClock{}
	id, _ := task.CreateTimer(clock, sigevent(linux.SIGEV_SIGNAL|linux.SIGEV_THREAD_ID, linux.SIGUSR1, 7))
	tg.SetTimer(id, TimerSetting{Value: 5}, false)
	clock.now.Store(5)
	fire(tg.timers.posix[id].timer)
	tg.mu.Lock()
	thread, group := task.pending.set, tg.pending.set
	tg.mu.Unlock()
	if thread != linux.SignalSetOf(linux.SIGUSR1) || group != 0 {
		t.Errorf("thread pending %#x, group pending %#x; want the thread's", thread, group)
	}
}

func TestExecDeletesPosixTimersKeepsITimers(t *testing.T) {
	tg, task := newTimerTestGroup(t)
	id, _ := task.CreateTimer(&fakeClock{}, nil)
	if _, err := tg.SetITimer(linux.ITIMER_REAL, TimerSetting{Value: int64(1e12)}); err != nil {
		t.Fatal(err)
	}
	tg.execTimers()
	if _, err := tg.Timer(id); err != linux.EINVAL {
		t.Errorf("POSIX timer after exec: %v, want EINVAL", err)
	}
	if s, _ := tg.ITimer(linux.ITIMER_REAL); s.Value <= 0 {
		t.Errorf("ITIMER_REAL after exec: %+v, want armed", s)
	}
}

func TestITimerWhich(t *testing.T) {
	tg, _ := newTimerTestGroup(t)
	for _, which := range []int32{-1, 3, 100} {
		if _, err := tg.ITimer(which); err != linux.EINVAL {
			t.Errorf("ITimer(%d): %v, want EINVAL", which, err)
		}
		if _, err := tg.SetITimer(which, TimerSetting{}); err != linux.EINVAL {
			t.Errorf("SetITimer(%d): %v, want EINVAL", which, err)
		}
	}
}
