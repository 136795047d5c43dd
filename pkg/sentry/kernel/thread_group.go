package kernel

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
)

// ThreadGroup is a process: the tasks that share a tgid, signal handlers,
// process-directed pending signals, rlimits and the exit status.
type ThreadGroup struct {
	// processTree is the group's place among processes (process.go),
	// protected by Kernel.mu.
	processTree

	k    *Kernel
	tgid ThreadID
	mm   *mm.MM
	fds  *FDTable

	// proc is what /proc shows of the process (proc_info.go).
	proc tgProcInfo

	// The following are protected by mu (the signal lock).
	mu    sync.Mutex
	tasks map[*Task]struct{}
	// sh is the signal action table, shared with the processes
	// created with CLONE_SIGHAND (sighand.go).
	sh      *signalHandlers
	pending pendingSignals
	limits  Limits
	// exiting is set by exit_group or a fatal signal: every task of the
	// group stops at its next chance and exits.
	exiting bool
	status  ExitStatus
	// lastCreds are the credentials of the last task to exit, which
	// wait reports for the zombie.
	lastCreds *auth.Credentials
	// execing is the task in execve that is waiting for the group's
	// other tasks to exit (exec.go); execWait is closed by the last of
	// them once it is completely gone.
	execing  *Task
	execWait chan struct{}

	// jobStop is the group's job control stop state (jobcontrol.go).
	jobStop

	// timers are the group's interval and POSIX timers (timers.go).
	timers tgTimers

	// exitedUsage is the CPU time of the group's exited tasks and
	// childrenUsage that of its reaped children (rusage.go); both are
	// protected by mu.
	exitedUsage, childrenUsage Usage

	// done is closed when the last task has exited.
	done chan struct{}
}

// ExitStatus is how a thread group ended.
type ExitStatus struct {
	Code   int
	Signal linux.Signal
}

// ID returns the thread group id (the pid).
func (tg *ThreadGroup) ID() ThreadID { return tg.tgid }

// MM returns the address space.
func (tg *ThreadGroup) MM() *mm.MM { return tg.mm }

// FDTable returns the file descriptor table.
func (tg *ThreadGroup) FDTable() *FDTable { return tg.fds }

// Done is closed when every task of the group has exited.
func (tg *ThreadGroup) Done() <-chan struct{} { return tg.done }

// ExitStatus returns the final status; valid once Done is closed.
func (tg *ThreadGroup) ExitStatus() ExitStatus {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.status
}

// Limits returns a copy of the resource limits.
func (tg *ThreadGroup) Limits() Limits {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.limits
}

// SetLimit replaces one limit and returns the old one. It enforces
// Linux's rules: soft ≤ hard, and raising the hard limit needs
// CAP_SYS_RESOURCE (privileged says whether the caller has it).
func (tg *ThreadGroup) SetLimit(r int, l Limit, privileged bool) (Limit, error) {
	if r < 0 || r >= RLIM_NLIMITS {
		return Limit{}, linux.EINVAL
	}
	if l.Cur > l.Max {
		return Limit{}, linux.EINVAL
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	old := tg.limits[r]
	if l.Max > old.Max && !privileged {
		return Limit{}, linux.EPERM
	}
	if r == RLIMIT_NOFILE && l.Max > NrOpen {
		return Limit{}, linux.EPERM
	}
	tg.limits[r] = l
	if r == RLIMIT_DATA && tg.mm != nil {
		tg.mm.SetBrkLimit(l.Cur)
	}
	if r == RLIMIT_AS && tg.mm != nil {
		tg.mm.SetASLimit(l.Cur)
	}
	return old, nil
}

// beginExit starts a group exit with status unless one is under way, and
// interrupts every task.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) beginExitLocked(status ExitStatus) {
	if tg.exiting {
		return
	}
	tg.exiting = true
	tg.status = status
	for t := range tg.tasks {
		t.interrupt()
	}
	if tg.stopped {
		// A stopped group dies at once (SIGKILL, exit).
		tg.stopped = false
		close(tg.stopWake)
	}
}

// Kill ends the group as a fatal signal does.
func (tg *ThreadGroup) Kill(sig linux.Signal) {
	tg.mu.Lock()
	tg.beginExitLocked(ExitStatus{Signal: sig})
	tg.mu.Unlock()
}
