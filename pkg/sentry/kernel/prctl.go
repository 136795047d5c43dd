package kernel

import (
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// taskAttrs are per-task settings of prctl(2). Each is read and written
// atomically; children inherit them (inherit).
type taskAttrs struct {
	noNewPrivs atomic.Bool
	// dumpable is PR_GET_DUMPABLE: 1 until set to 0.
	notDumpable atomic.Bool
	// timerSlack is in nanoseconds; 0 means the default.
	timerSlack atomic.Uint64
	// nice is the scheduling nice value, -20 to 19 (getpriority(2)).
	// The sentry's scheduler is the host's: it is recorded, not
	// applied.
	nice atomic.Int32
}

// defaultTimerSlack is Linux's default timer slack, 50 µs.
const defaultTimerSlack = 50000

// inherit copies the attributes a new task (thread or process) gets from
// its creator.
func (a *taskAttrs) inherit(from *taskAttrs) {
	a.noNewPrivs.Store(from.noNewPrivs.Load())
	a.notDumpable.Store(from.notDumpable.Load())
	a.timerSlack.Store(from.timerSlack.Load())
	a.nice.Store(from.nice.Load())
}

// Nice returns the task's nice value.
func (t *Task) Nice() int32 { return t.attrs.nice.Load() }

// SetNice sets the task's nice value; the caller checks the range and the
// permission (setpriority(2)).
func (t *Task) SetNice(n int32) { t.attrs.nice.Store(n) }

// SetNoNewPrivs sets no_new_privs, which can never be cleared.
func (t *Task) SetNoNewPrivs() { t.attrs.noNewPrivs.Store(true) }

// NoNewPrivs reports PR_GET_NO_NEW_PRIVS.
func (t *Task) NoNewPrivs() bool { return t.attrs.noNewPrivs.Load() }

// Dumpable reports PR_GET_DUMPABLE (0 or 1).
func (t *Task) Dumpable() int {
	if t.attrs.notDumpable.Load() {
		return 0
	}
	return 1
}

// SetDumpable implements PR_SET_DUMPABLE with 0 or 1.
func (t *Task) SetDumpable(v int) { t.attrs.notDumpable.Store(v == 0) }

// KeepCaps reports PR_GET_KEEPCAPS: a securebit, kept in the
// credentials (auth.Credentials.Securebits) as Linux keeps it in struct
// cred, so that the set*id rules see it.
func (t *Task) KeepCaps() bool { return t.Credentials().Secure(linux.SECURE_KEEP_CAPS) }

// TimerSlack reports PR_GET_TIMERSLACK in nanoseconds.
func (t *Task) TimerSlack() uint64 {
	if s := t.attrs.timerSlack.Load(); s != 0 {
		return s
	}
	return defaultTimerSlack
}

// SetTimerSlack implements PR_SET_TIMERSLACK: 0 restores the default.
func (t *Task) SetTimerSlack(ns uint64) { t.attrs.timerSlack.Store(ns) }

// execAttrs applies execve's rules: the process becomes dumpable again
// (keepcaps, in the credentials, is cleared by execCreds).
func (t *Task) execAttrs() {
	t.attrs.notDumpable.Store(false)
}
