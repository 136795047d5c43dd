package kernel

import (
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/kernel/futex"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

// ErrNoReturn is returned by system calls that set the task's registers
// themselves (rt_sigreturn) or never return (exit): the dispatcher leaves
// rax alone.
var ErrNoReturn = errors.New("syscall does not return a value")

// Task is a thread: a goroutine that runs application code through a
// platform context and serves its system calls.
type Task struct {
	k   *Kernel
	tg  *ThreadGroup
	tid ThreadID
	ctx platform.Context

	// proc is what /proc shows of the task (proc_info.go).
	proc taskProcInfo

	// regs are the application registers. Only the task goroutine
	// touches them.
	regs linux.PtraceRegs

	// The following are protected by tg.mu.
	mask    linux.SignalSet
	pending pendingSignals
	// savedMask is restored after a signal handler frame is set up by
	// rt_sigsuspend-like calls; hasSavedMask says whether it is set.
	savedMask    linux.SignalSet
	hasSavedMask bool
	// sigWaitSet are the signals rt_sigtimedwait waits for: not
	// ignored on arrival, as they were blocked before the wait.
	sigWaitSet linux.SignalSet
	exited     bool

	// Owned by the task goroutine.
	altStack   linux.SignalStack
	clearTID   uint64
	robustList uint64
	// restartErr is the restart code of the last system call, until a
	// signal delivery or a restart consumes it.
	restartErr linux.Errno
	// restartBlock continues a system call that returned
	// ERESTART_RESTARTBLOCK (restart_syscall(2)).
	restartBlock func(t *Task) (uint64, error)
	waiter       *futex.Waiter
	exitCode     int
	// faultInfo is the siginfo of the last fault and faultTrap its
	// hardware details, for the signal frame.
	faultInfo *linux.SignalInfo
	faultTrap platform.TrapInfo

	// creds are the task's credentials; fs its file system context
	// (shared by the threads of a group, which are cloned with CLONE_FS).
	creds taskCreds
	fs    *FSContext
	// ns are the task's namespaces (namespaces.go); nil: the root ones.
	ns atomic.Pointer[nsSet]
	// attrs are the task's prctl settings (prctl.go).
	attrs taskAttrs

	// interruptC wakes a blocked task; see interrupt.
	interruptC chan struct{}
	// hostWake is an eventfd that interrupt signals, for waits on host
	// FDs (BlockFD); 0 until first needed.
	hostWake atomic.Int32
	// yields counts sched_yield calls, for tests and debugging.
	yields atomic.Uint64
	// usage is the task's CPU time (rusage.go).
	usage taskUsage
}

// ID returns the task's thread id.
func (t *Task) ID() ThreadID { return t.tid }

// ThreadGroup returns the task's process.
func (t *Task) ThreadGroup() *ThreadGroup { return t.tg }

// Kernel returns the kernel.
func (t *Task) Kernel() *Kernel { return t.k }

// MM returns the task's address space.
func (t *Task) MM() *mm.MM { return t.tg.mm }

// FDTable returns the task's file descriptor table.
func (t *Task) FDTable() *FDTable { return t.tg.fds }

// Regs returns the task's registers; only the task itself may use them.
func (t *Task) Regs() *linux.PtraceRegs { return &t.regs }

// Context returns the task's platform context.
func (t *Task) Context() platform.Context { return t.ctx }

// CopyIn implements usermem.IO.
func (t *Task) CopyIn(addr uint64, dst []byte) (int, error) { return t.tg.mm.CopyIn(addr, dst) }

// CopyOut implements usermem.IO.
func (t *Task) CopyOut(addr uint64, src []byte) (int, error) { return t.tg.mm.CopyOut(addr, src) }

var _ usermem.IO = (*Task)(nil)

// ProcessArgs describe the first process.
type ProcessArgs struct {
	MM     *mm.MM
	FDs    *FDTable
	Regs   linux.PtraceRegs
	Limits Limits
	// FS is the file system context (root, cwd, umask).
	FS *FSContext
	// Creds are the first process's credentials (auth.Root() if nil).
	Creds *auth.Credentials
}

// NewProcess creates the first thread group and its task, ready to Start.
func (k *Kernel) NewProcess(a ProcessArgs) (*Task, error) {
	tg := &ThreadGroup{k: k, mm: a.MM, fds: a.FDs, tasks: make(map[*Task]struct{}), sh: &signalHandlers{}, limits: a.Limits, done: make(chan struct{})}
	t := k.newTask(tg)
	t.regs = a.Regs
	t.fs = a.FS
	if a.Creds == nil {
		a.Creds = auth.Root()
	}
	t.creds.p.Store(a.Creds)
	k.mu.Lock()
	defer k.mu.Unlock()
	tid, err := k.allocTID(t)
	if err != nil {
		return nil, err
	}
	t.tid, tg.tgid = tid, tid
	tg.tasks[t] = struct{}{}
	k.initProcessTreeLocked(tg)
	return t, nil
}

func (k *Kernel) newTask(tg *ThreadGroup) *Task {
	return &Task{
		k:          k,
		tg:         tg,
		ctx:        k.Platform.NewContext(),
		interruptC: make(chan struct{}, 1),
		waiter:     futex.NewWaiter(),
		proc:       taskProcInfo{start: time.Now()},
	}
}

// Start runs the task on a new goroutine.
func (t *Task) Start() { go t.run() }

// run is the task goroutine: it alternates between application code and
// the sentry until the task exits.
func (t *Task) run() {
	// The platform context belongs to this OS thread for the task's
	// whole life; the thread is never unlocked, so it ends with the
	// task and takes its stub thread with it.
	runtime.LockOSThread()
	t.startUsage()
	for t.deliverSignals() {
		if t.pausePoint() {
			// Paused meanwhile (pause.go): signals may be due now.
			continue
		}
		ev, info, err := t.ctx.Switch(t.tg.mm.AddressSpace(), &t.regs)
		if err != nil {
			log.Warningf("task %d: %v", t.tid, err)
			t.tg.Kill(linux.SIGKILL)
			break
		}
		switch ev {
		case platform.EventSyscall:
			t.doSyscall()
		case platform.EventFault:
			if info = t.memoryFault(info); info != nil {
				t.handleFault(info)
			}
		case platform.EventInterrupted:
		}
	}
	t.exit()
}

// doSyscall serves the system call the task stopped at.
func (t *Task) doSyscall() {
	nr := uintptr(t.regs.Orig_rax)
	args := SyscallArgs{t.regs.Rdi, t.regs.Rsi, t.regs.Rdx, t.regs.R10, t.regs.R8, t.regs.R9}
	st := t.k.Strace
	logged := st != nil && st.Enabled(nr)
	var start time.Time
	if logged {
		start = time.Now()
		if noReturn(nr) {
			st.Entry(int32(t.tid), nr, args, t)
		}
	}
	var ret uint64
	var err error
	if s, ok := t.k.Syscalls.Lookup(nr); ok {
		ret, err = s.Fn(t, args)
	} else {
		err = t.k.Syscalls.unimplemented(nr)
	}
	if err == ErrNoReturn {
		return
	}
	t.restartErr = 0
	if err != nil {
		errno, ok := err.(linux.Errno)
		if !ok {
			log.Warningf("task %d: %s: %v", t.tid, linux.SyscallName(nr), err)
			errno = linux.EIO
		}
		if errno.IsRestart() {
			t.restartErr = errno
		}
		ret = errno.Return()
	}
	t.regs.Rax = ret
	if logged {
		st.Exit(int32(t.tid), nr, args, t, ret, err, time.Since(start))
	}
}

// noReturn reports whether nr never returns to the caller on success.
func noReturn(nr uintptr) bool {
	switch nr {
	case linux.SYS_EXIT, linux.SYS_EXIT_GROUP, linux.SYS_RT_SIGRETURN, linux.SYS_EXECVE, linux.SYS_EXECVEAT:
		return true
	}
	return false
}

// interrupt wakes the task if it is blocked and stops it if it is running
// application code, so that it notices pending signals or an exit.
func (t *Task) interrupt() {
	select {
	case t.interruptC <- struct{}{}:
	default:
	}
	t.kickWakeFD()
	t.ctx.Interrupt()
}

// interrupted reports whether a blocked task must stop blocking: it has a
// deliverable signal or must exit.
func (t *Task) interrupted() bool {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.exited || t.tg.exiting || t.hasDeliverableLocked()
}

// ErrInterrupted is returned by Block when a signal or exit cut the wait
// short; system calls turn it into EINTR or a restart code.
var ErrInterrupted = linux.ERESTARTSYS

// Block waits until ch is ready, the deadline passes (ETIMEDOUT; a zero
// deadline means none), or the task is interrupted (ErrInterrupted).
func (t *Task) Block(ch <-chan struct{}, deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			select {
			case <-ch:
				return nil
			default:
				return linux.ETIMEDOUT
			}
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		if t.interrupted() {
			select {
			case <-ch:
				return nil
			default:
				return ErrInterrupted
			}
		}
		select {
		case <-ch:
			return nil
		case <-timeout:
			return linux.ETIMEDOUT
		case <-t.interruptC:
			// Loop to check whether the wake-up is for us.
		}
	}
}

// Sleep blocks for d, or until interrupted. It returns the time left.
func (t *Task) Sleep(deadline time.Time) (time.Duration, error) {
	err := t.Block(nil, deadline)
	if err == linux.ETIMEDOUT {
		return 0, nil
	}
	return max(time.Until(deadline), 0), err
}

// SetRestartBlock arranges for restart_syscall to call fn.
func (t *Task) SetRestartBlock(fn func(t *Task) (uint64, error)) { t.restartBlock = fn }

// RestartSyscall runs the restart block (restart_syscall(2)).
func (t *Task) RestartSyscall() (uint64, error) {
	fn := t.restartBlock
	t.restartBlock = nil
	if fn == nil {
		return 0, linux.EINTR
	}
	return fn(t)
}

// Yield is sched_yield.
func (t *Task) Yield() {
	t.yields.Add(1)
	runtime.Gosched()
}
