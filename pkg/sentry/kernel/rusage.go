package kernel

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// CPU accounting: what getrusage(2), times(2), wait4's rusage and the CPU
// clocks report.
//
// The sentry measures two kinds of time per task, and reports them as
// Linux's user and system time:
//
//   - user time is the CPU time of the task's platform context, the host
//     thread that runs its application code (platform.Context.CPUTime).
//     That includes the host kernel's work on the thread's behalf (its
//     page faults, the trap into the sentry), which Linux would count as
//     system time: the host does not split them for another process's
//     thread in a way the platform exposes.
//   - system time is the CPU time of the sentry's own host thread that
//     serves the task (each task goroutine is locked to one OS thread for
//     its whole life), i.e. the time spent in system calls, signal
//     delivery and page faults the sentry handles, plus the platform's
//     own switching overhead (ptrace calls), which has no Linux
//     equivalent.
//
// Both are sampled when asked for, not ticked: a task's times are exact
// at each reading. A process's time is the sum over its live tasks plus
// what its exited tasks left (added when each exits), as Linux's
// thread_group_cputime; a parent adds a child's total (its own time plus
// its reaped children's) when it reaps the child with wait, as Linux's
// signal->cutime/cstime. A child reaped without a wait (SIGCHLD ignored,
// SA_NOCLDWAIT) is not added, as on Linux.
//
// Lock order: taskUsage.mu is a leaf, taken inside ThreadGroup.mu.

// Usage is an amount of CPU time, split as getrusage(2) reports it.
type Usage struct {
	User, Sys time.Duration
}

// Total is user plus system time.
func (u Usage) Total() time.Duration { return u.User + u.Sys }

// add returns u + o.
func (u Usage) add(o Usage) Usage { return Usage{u.User + o.User, u.Sys + o.Sys} }

// taskUsage is a task's CPU time. Samples may be taken from any
// goroutine.
type taskUsage struct {
	// sentryTID is the host thread id of the task goroutine's OS thread,
	// 0 before it runs and after it has exited.
	sentryTID atomic.Int32

	mu sync.Mutex
	// app and sentry turn host readings into never-decreasing totals:
	// the application's host thread is replaced by an execve.
	app, sentry cpuSample
	// appTotal and sentryTotal are the accumulated times in ns.
	appTotal, sentryTotal int64
	// done is set once the task has exited: the totals are final.
	done bool
}

// startUsage records the host thread of the task goroutine. It must be
// called by the task goroutine after it has locked its OS thread.
func (t *Task) startUsage() {
	t.usage.sentryTID.Store(int32(unix.Gettid()))
}

// hostThreadCPUTime reads the CPU time of thread tid of the sentry's own
// host process (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)); ok is false
// if the thread is gone.
func hostThreadCPUTime(tid int32) (int64, bool) {
	clock := int32(^uint32(tid))<<3 | 4 | 2
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}

// sampleLocked brings the totals up to date.
//
// Preconditions: t.usage.mu is held.
func (t *Task) sampleUsageLocked() {
	u := &t.usage
	if u.done {
		return
	}
	u.appTotal += u.app.add(t.ctx.CPUTime())
	if tid := u.sentryTID.Load(); tid != 0 {
		if ns, ok := hostThreadCPUTime(tid); ok {
			u.sentryTotal += u.sentry.add(ns)
		}
	}
}

// CPUUsage returns the task's own CPU time so far (RUSAGE_THREAD).
func (t *Task) CPUUsage() Usage {
	t.usage.mu.Lock()
	defer t.usage.mu.Unlock()
	t.sampleUsageLocked()
	return Usage{User: time.Duration(t.usage.appTotal), Sys: time.Duration(t.usage.sentryTotal)}
}

// releaseContextForExec releases the task's platform context (execve
// replaces its host thread) after accounting for the old thread's time,
// so that none of it is lost and the new thread is counted from zero.
func (t *Task) releaseContextForExec() {
	t.usage.mu.Lock()
	defer t.usage.mu.Unlock()
	t.sampleUsageLocked()
	t.ctx.Release()
	t.usage.app.last = 0
}

// finishUsage takes the task's final CPU time and adds it to its
// group's exited total, before the platform context is released. It
// must be called by the task goroutine, once, while the task is still in
// its group's task list.
func (t *Task) finishUsage() {
	tg := t.tg
	tg.mu.Lock()
	defer tg.mu.Unlock()
	u := t.finalUsage()
	tg.exitedUsage = tg.exitedUsage.add(u)
}

// finalUsage samples the task one last time and freezes its totals.
func (t *Task) finalUsage() Usage {
	t.usage.mu.Lock()
	defer t.usage.mu.Unlock()
	t.sampleUsageLocked()
	t.usage.done = true
	t.usage.sentryTID.Store(0)
	return Usage{User: time.Duration(t.usage.appTotal), Sys: time.Duration(t.usage.sentryTotal)}
}

// cpuUsageLocked is the group's own CPU time: its live tasks' plus its
// exited tasks'.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) cpuUsageLocked() Usage {
	sum := tg.exitedUsage
	for t := range tg.tasks {
		t.usage.mu.Lock()
		if !t.usage.done {
			t.sampleUsageLocked()
			sum = sum.add(Usage{User: time.Duration(t.usage.appTotal), Sys: time.Duration(t.usage.sentryTotal)})
		}
		t.usage.mu.Unlock()
	}
	return sum
}

// CPUUsage returns the process's own CPU time, every thread's, exited
// ones included (RUSAGE_SELF, CLOCK_PROCESS_CPUTIME_ID).
func (tg *ThreadGroup) CPUUsage() Usage {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.cpuUsageLocked()
}

// ChildrenUsage returns the CPU time of the children the process has
// reaped with wait, and of their reaped descendants (RUSAGE_CHILDREN).
func (tg *ThreadGroup) ChildrenUsage() Usage {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.childrenUsage
}

// waitUsage returns what wait reports of c (getrusage(c, RUSAGE_BOTH)):
// its own time and that of its reaped children.
func (tg *ThreadGroup) waitUsage() Usage {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.cpuUsageLocked().add(tg.childrenUsage)
}

// accountReapLocked adds u, the wait usage of a zombie child that tg
// reaps by a wait, to tg's children's time.
//
// Preconditions: the kernel's mu is held.
func (tg *ThreadGroup) accountReapLocked(u Usage) {
	tg.mu.Lock()
	tg.childrenUsage = tg.childrenUsage.add(u)
	tg.mu.Unlock()
}
