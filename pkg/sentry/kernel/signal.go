package kernel

import (
	"errors"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

// pendingSignals is a queue of pending signals: at most one instance of
// each standard signal, any number of each real-time signal.
//
// For signalfd, waiters is notified (EPOLLIN) whenever a signal is
// queued, and setMirror holds a copy of set that readiness checks read
// without the signal lock. waiters is notified with the signal lock held:
// its entries may take only locks that are never held while taking the
// signal lock (waiter.Queue's rule already requires that of them).
type pendingSignals struct {
	set   linux.SignalSet
	queue [linux.NSIG][]*linux.SignalInfo

	setMirror atomic.Uint64
	waiters   waiter.Queue
}

// setChanged refreshes setMirror after set changed.
func (p *pendingSignals) setChanged() { p.setMirror.Store(uint64(p.set)) }

// maxQueuedRT bounds queued real-time signals per queue (RLIMIT_SIGPENDING
// is per user in Linux; this keeps one process from exhausting memory).
const maxQueuedRT = 1 << 12

// enqueue adds info. It reports false if the signal was dropped.
func (p *pendingSignals) enqueue(info *linux.SignalInfo) bool {
	sig := linux.Signal(info.Signo)
	q := p.queue[sig]
	if (!sig.IsRealtime() && len(q) > 0) || len(q) >= maxQueuedRT {
		return false
	}
	p.queue[sig] = append(q, info)
	p.set |= linux.SignalSetOf(sig)
	p.setChanged()
	p.waiters.Notify(linux.EPOLLIN)
	return true
}

// synchronousSignals are dequeued first, as Linux does.
var synchronousSignals = linux.MakeSignalSet(linux.SIGSEGV, linux.SIGBUS, linux.SIGILL, linux.SIGTRAP, linux.SIGFPE, linux.SIGSYS)

// dequeue removes and returns the first pending signal not in mask.
func (p *pendingSignals) dequeue(mask linux.SignalSet) *linux.SignalInfo {
	avail := p.set &^ mask
	if avail == 0 {
		return nil
	}
	if sync := avail & synchronousSignals; sync != 0 {
		avail = sync
	}
	sig := linux.Signal(1)
	for avail&linux.SignalSetOf(sig) == 0 {
		sig++
	}
	return p.take(sig)
}

// take removes the first queued instance of sig.
func (p *pendingSignals) take(sig linux.Signal) *linux.SignalInfo {
	q := p.queue[sig]
	info := q[0]
	p.queue[sig] = q[1:]
	if len(q) == 1 {
		p.queue[sig] = nil
		p.set &^= linux.SignalSetOf(sig)
		p.setChanged()
	}
	return info
}

// discard drops every pending instance of sig and returns them.
func (p *pendingSignals) discard(sig linux.Signal) []*linux.SignalInfo {
	q := p.queue[sig]
	p.queue[sig] = nil
	p.set &^= linux.SignalSetOf(sig)
	p.setChanged()
	return q
}

// dequeueLocked removes and returns the first signal of p not in mask, as
// p.dequeue, applying the timers' rules (timers.go): the signals of POSIX
// timers that were deleted or re-set while queued are dropped, and a
// SIGALRM taken from the process's queue restarts ITIMER_REAL.
//
// Preconditions: tg.mu is held; p is tg's queue or one of its tasks'.
func (tg *ThreadGroup) dequeueLocked(p *pendingSignals, mask linux.SignalSet) *linux.SignalInfo {
	for {
		info := p.dequeue(mask)
		if info == nil {
			return nil
		}
		if p == &tg.pending && linux.Signal(info.Signo) == linux.SIGALRM {
			tg.itimerRealTakenLocked()
		}
		if info.Code != linux.SI_TIMER || tg.timerSignalTakenLocked(info) {
			return info
		}
	}
}

// Default actions, from signal(7).
type defaultAction int

const (
	actTerminate defaultAction = iota
	actCore
	actIgnore
	actStop
)

func defaultActionOf(sig linux.Signal) defaultAction {
	switch sig {
	case linux.SIGCHLD, linux.SIGURG, linux.SIGWINCH, linux.SIGCONT:
		return actIgnore
	case linux.SIGSTOP, linux.SIGTSTP, linux.SIGTTIN, linux.SIGTTOU:
		return actStop
	case linux.SIGQUIT, linux.SIGILL, linux.SIGTRAP, linux.SIGABRT, linux.SIGBUS, linux.SIGFPE,
		linux.SIGSEGV, linux.SIGXCPU, linux.SIGXFSZ, linux.SIGSYS:
		return actCore
	}
	return actTerminate
}

// ignoredLocked reports whether sig would be ignored by tg on delivery.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) ignoredLocked(sig linux.Signal) bool {
	h := tg.sh.action(sig).Handler
	return h == linux.SIG_IGN || (h == linux.SIG_DFL && defaultActionOf(sig) == actIgnore)
}

// hasDeliverableLocked reports whether t has a pending signal it does not
// block.
//
// Preconditions: t.tg.mu is held.
func (t *Task) hasDeliverableLocked() bool {
	return (t.pending.set|t.tg.pending.set)&^t.mask != 0
}

// SendSignal sends a thread-directed signal to t (tgkill, faults).
func (t *Task) SendSignal(info *linux.SignalInfo) {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	t.sendSignalLocked(info)
}

// sendSignalLocked is SendSignal; it reports whether info was queued.
//
// Preconditions: t.tg.mu is held.
func (t *Task) sendSignalLocked(info *linux.SignalInfo) bool {
	tg := t.tg
	if t.exited {
		return false
	}
	if tg.sendPrecheckLocked(info) {
		return false
	}
	tg.jobControlOnSendLocked(linux.Signal(info.Signo))
	blocked := t.mask&linux.SignalSetOf(linux.Signal(info.Signo)) != 0
	waited := t.sigWaitSet&linux.SignalSetOf(linux.Signal(info.Signo)) != 0
	if !blocked && !waited && tg.ignoredLocked(linux.Signal(info.Signo)) {
		return false
	}
	if !t.pending.enqueue(info) {
		return false
	}
	if !blocked {
		t.interrupt()
	}
	return true
}

// SendSignal sends a process-directed signal to tg (kill).
func (tg *ThreadGroup) SendSignal(info *linux.SignalInfo) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.sendSignalLocked(info)
}

// sendSignalLocked is SendSignal; it reports whether info was queued.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) sendSignalLocked(info *linux.SignalInfo) bool {
	if tg.sendPrecheckLocked(info) {
		return false
	}
	sig := linux.Signal(info.Signo)
	tg.jobControlOnSendLocked(sig)
	// A signal blocked by every thread is kept even if ignored now: the
	// handler may change before it is unblocked.
	// So is one that a thread waits for in rt_sigtimedwait (Linux's
	// real_blocked): it was blocked before the wait.
	var target *Task
	kept := false
	for t := range tg.tasks {
		if t.exited {
			continue
		}
		if t.mask&linux.SignalSetOf(sig) != 0 || t.sigWaitSet&linux.SignalSetOf(sig) != 0 {
			kept = true
		}
		if target == nil && t.mask&linux.SignalSetOf(sig) == 0 {
			target = t
		}
	}
	if !kept && tg.ignoredLocked(sig) {
		return false
	}
	if !tg.pending.enqueue(info) {
		return false
	}
	if target != nil {
		target.interrupt()
	}
	return true
}

// sendPrecheckLocked handles what is the same for every signal sent to
// tg: nothing once the group is exiting, and SIGKILL ends it at once. It
// reports whether the signal has been dealt with.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) sendPrecheckLocked(info *linux.SignalInfo) bool {
	if tg.exiting {
		return true
	}
	if linux.Signal(info.Signo) == linux.SIGKILL {
		tg.beginExitLocked(ExitStatus{Signal: linux.SIGKILL})
		return true
	}
	return false
}

// handleFault turns a fault in application code into a forced signal:
// if the task blocks or ignores it, the default action (death) is taken.
func (t *Task) handleFault(info *linux.SignalInfo) {
	sig := linux.Signal(info.Signo)
	t.tg.mu.Lock()
	t.tg.sh.forceDefaultIfIgnored(sig, t.mask&linux.SignalSetOf(sig) != 0)
	t.mask &^= linux.SignalSetOf(sig)
	// A fault signal is never dropped: replace a pending instance.
	t.tg.timerSignalsDiscardedLocked(t.pending.discard(sig))
	t.pending.enqueue(info)
	t.tg.mu.Unlock()
	t.faultInfo, t.faultTrap = info, t.ctx.LastTrap()
}

// deliverSignals runs before the task returns to application code: it
// sets up handler frames for deliverable signals, takes default actions,
// and restarts an interrupted system call when no handler runs. It
// reports whether the task may run application code: false once it or its
// group is exiting.
func (t *Task) deliverSignals() bool {
	for {
		tg := t.tg
		tg.mu.Lock()
		if tg.exiting || t.exited {
			tg.mu.Unlock()
			return false
		}
		if tg.stopped || tg.continuedPending {
			// Job control (jobcontrol.go).
			t.parkStoppedLocked()
			continue
		}
		info := tg.dequeueLocked(&t.pending, t.mask)
		if info == nil {
			info = tg.dequeueLocked(&tg.pending, t.mask)
		}
		if info == nil {
			if t.hasSavedMask {
				t.mask, t.hasSavedMask = t.savedMask, false
			}
			tg.mu.Unlock()
			t.restartWithoutHandler()
			return true
		}
		sig := linux.Signal(info.Signo)
		act := tg.sh.takeForDelivery(sig)
		switch act.Handler {
		case linux.SIG_IGN:
			tg.mu.Unlock()
			continue
		case linux.SIG_DFL:
			switch defaultActionOf(sig) {
			case actIgnore:
				tg.mu.Unlock()
				continue
			case actStop:
				if sig != linux.SIGSTOP {
					// Dropped in an orphaned group (jobcontrol.go).
					tg.mu.Unlock()
					orphaned := t.k.inOrphanedGroup(tg)
					tg.mu.Lock()
					if orphaned || tg.exiting {
						tg.mu.Unlock()
						continue
					}
				}
				tg.beginGroupStopLocked(sig)
				tg.mu.Unlock()
				t.k.notifyJobControl(tg, linux.CLD_STOPPED, sig)
				continue
			}
			tg.beginExitLocked(ExitStatus{Signal: sig})
			tg.mu.Unlock()
			return false
		}
		oldMask := t.mask
		if t.hasSavedMask {
			oldMask, t.hasSavedMask = t.savedMask, false
		}
		newMask := t.mask | act.Mask
		if act.Flags&linux.SA_NODEFER == 0 {
			newMask |= linux.SignalSetOf(sig)
		}
		tg.mu.Unlock()

		t.restartWithHandler(act)
		if err := t.setupFrame(sig, info, act, oldMask); err != nil {
			log.Infof("task %d: cannot set up frame for signal %d: %v", t.tid, sig, err)
			t.tg.Kill(linux.SIGSEGV)
			return false
		}
		tg.mu.Lock()
		t.mask = newMask &^ linux.UnblockableSignals
		tg.mu.Unlock()
	}
}

// restartWithHandler applies the restart rules of a system call that was
// interrupted by a signal whose handler is about to run.
func (t *Task) restartWithHandler(act linux.SigAction) {
	switch t.restartErr {
	case linux.ERESTART_RESTARTBLOCK, linux.ERESTARTNOHAND:
		t.regs.Rax = linux.EINTR.Return()
	case linux.ERESTARTSYS:
		if act.Flags&linux.SA_RESTART == 0 {
			t.regs.Rax = linux.EINTR.Return()
		} else {
			t.restartSyscall()
		}
	case linux.ERESTARTNOINTR:
		t.restartSyscall()
	}
	t.restartErr = 0
}

// restartWithoutHandler restarts an interrupted system call transparently.
func (t *Task) restartWithoutHandler() {
	switch t.restartErr {
	case linux.ERESTARTSYS, linux.ERESTARTNOHAND, linux.ERESTARTNOINTR:
		t.restartSyscall()
	case linux.ERESTART_RESTARTBLOCK:
		t.restartSyscall()
		t.regs.Rax = uint64(linux.SYS_RESTART_SYSCALL)
	}
	t.restartErr = 0
}

// restartSyscall makes the task execute its system call instruction again.
func (t *Task) restartSyscall() {
	t.regs.Rax = t.regs.Orig_rax
	t.regs.Rip -= 2
}

// setupFrame builds the signal frame and points the task at the handler.
func (t *Task) setupFrame(sig linux.Signal, info *linux.SignalInfo, act linux.SigAction, oldMask linux.SignalSet) error {
	fp, err := t.ctx.FPState()
	if errors.Is(err, platform.ErrNoFPState) {
		// A task that has not run yet: the initial state.
		fp, err = initFPState(t.k.XStateSize), nil
	}
	if err != nil {
		return err
	}
	alt := t.altStack
	sp := t.regs.Rsp
	onAlt := false
	if act.Flags&linux.SA_ONSTACK != 0 && alt.Flags&linux.SS_DISABLE == 0 && alt.Size != 0 && !t.onAltStack(sp) {
		sp = alt.Sp + alt.Size
		onAlt = true
		if uint32(alt.Flags)&linux.SS_AUTODISARM != 0 {
			t.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
		}
	}
	a := arch.SignalFrameArgs{
		Sig:        sig,
		Info:       info,
		Action:     act,
		OldMask:    oldMask,
		AltStack:   alt,
		SP:         sp,
		OnAltStack: onAlt,
		FPState:    fp,
	}
	if info == t.faultInfo {
		a.Trap = arch.TrapInfo{TrapNo: t.faultTrap.TrapNo, Err: t.faultTrap.ErrorCode}
		if sig == linux.SIGSEGV || sig == linux.SIGBUS {
			a.Trap.CR2 = info.Addr()
		}
		t.faultInfo = nil
	}
	if err := arch.SetupSignalFrame(t, &t.regs, a); err != nil {
		return err
	}
	// Like Linux, the handler starts with a clean FPU state.
	return t.ctx.SetFPState(initFPState(len(fp)))
}

// initFPState returns an XSAVE area of size n in the initial state: x87
// control word 0x37f, MXCSR 0x1f80, every extended component in its
// init state (XSTATE_BV 0).
func initFPState(n int) []byte {
	fp := make([]byte, max(n, 576))
	fp[0], fp[1] = 0x7f, 0x03   // FCW
	fp[24], fp[25] = 0x80, 0x1f // MXCSR
	return fp[:max(n, 512)]
}

// inheritFPState gives t, a new task that has not run, parent's
// floating-point state, as fork and clone do. Without one (parent has not
// run either, or the platform cannot read it) t starts from the initial
// state.
//
// Preconditions: parent is the calling task.
func (t *Task) inheritFPState(parent *Task) {
	if fp, err := parent.ctx.FPState(); err == nil {
		t.ctx.SetFPState(fp)
	}
}

// onAltStack reports whether sp is on the task's signal stack.
func (t *Task) onAltStack(sp uint64) bool {
	alt := t.altStack
	return alt.Flags&linux.SS_DISABLE == 0 && sp-alt.Sp < alt.Size
}

// SigReturn implements rt_sigreturn.
func (t *Task) SigReturn() error {
	mask, alt, fp, err := arch.RestoreSignalFrame(t, &t.regs, t.k.XStateSize)
	if err != nil {
		t.tg.Kill(linux.SIGSEGV)
		return ErrNoReturn
	}
	if fp == nil {
		fp = initFPState(t.k.XStateSize)
	}
	{
		if err := t.ctx.SetFPState(fp); err != nil {
			t.tg.Kill(linux.SIGSEGV)
			return ErrNoReturn
		}
	}
	// Like restore_altstack, errors here are ignored.
	t.SigAltStack(&alt)
	t.tg.mu.Lock()
	t.mask = mask &^ linux.UnblockableSignals
	t.tg.mu.Unlock()
	t.restartErr = 0
	return ErrNoReturn
}

// SigAction implements rt_sigaction for a valid signal number.
func (t *Task) SigAction(sig linux.Signal, act *linux.SigAction) (linux.SigAction, error) {
	if !sig.IsValid() {
		return linux.SigAction{}, linux.EINVAL
	}
	tg := t.tg
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if act == nil {
		return tg.sh.action(sig), nil
	}
	if sig == linux.SIGKILL || sig == linux.SIGSTOP {
		return linux.SigAction{}, linux.EINVAL
	}
	a := *act
	a.Mask &^= linux.UnblockableSignals
	old := tg.sh.setAction(sig, a)
	if tg.ignoredLocked(sig) {
		// Only this process's pending instances go, even when the
		// table is shared (as Linux's do_sigaction).
		tg.timerSignalsDiscardedLocked(tg.pending.discard(sig))
		for other := range tg.tasks {
			tg.timerSignalsDiscardedLocked(other.pending.discard(sig))
		}
	}
	return old, nil
}

// SignalMask returns the task's signal mask.
func (t *Task) SignalMask() linux.SignalSet {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.mask
}

// SetSignalMask replaces the signal mask (SIGKILL and SIGSTOP stay
// unblocked).
func (t *Task) SetSignalMask(mask linux.SignalSet) {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	t.mask = mask &^ linux.UnblockableSignals
	// Signals pending for the group that this thread just unblocked may
	// need it to wake up.
	if t.hasDeliverableLocked() {
		t.interrupt()
	}
}

// SetSavedMask installs mask until the next signal delivery, after which
// the current mask is restored (rt_sigsuspend, ppoll, pselect).
func (t *Task) SetSavedMask(mask linux.SignalSet) {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	t.savedMask, t.hasSavedMask = t.mask, true
	t.mask = mask &^ linux.UnblockableSignals
}

// SigAltStack implements sigaltstack: it installs ss if non-nil and
// returns the old stack with SS_ONSTACK set when the task is on it.
func (t *Task) SigAltStack(ss *linux.SignalStack) (linux.SignalStack, error) {
	old := t.altStack
	if t.onAltStack(t.regs.Rsp) {
		old.Flags |= linux.SS_ONSTACK
	}
	if old.Flags&(linux.SS_DISABLE|linux.SS_ONSTACK) == 0 && old.Size == 0 {
		old.Flags |= linux.SS_DISABLE
	}
	if ss == nil {
		return old, nil
	}
	if t.onAltStack(t.regs.Rsp) {
		return old, linux.EPERM
	}
	autoDisarm := int32(uint32(ss.Flags) & linux.SS_AUTODISARM)
	mode := ss.Flags &^ autoDisarm
	switch {
	case mode == linux.SS_DISABLE:
		t.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
	case mode == 0 || mode == linux.SS_ONSTACK:
		if ss.Size < linux.MINSIGSTKSZ {
			return old, linux.ENOMEM
		}
		t.altStack = linux.SignalStack{Sp: ss.Sp, Size: ss.Size, Flags: autoDisarm}
	default:
		return old, linux.EINVAL
	}
	return old, nil
}

// SigTimedWait waits for a signal in set (rt_sigtimedwait). A zero deadline
// waits forever.
func (t *Task) SigTimedWait(set linux.SignalSet, deadline time.Time, poll bool) (*linux.SignalInfo, error) {
	set &^= linux.UnblockableSignals
	tg := t.tg
	tg.mu.Lock()
	if info := t.takeSignalLocked(set); info != nil {
		tg.mu.Unlock()
		return info, nil
	}
	if poll {
		tg.mu.Unlock()
		return nil, linux.EAGAIN
	}
	// Wait with the waited-for signals unblocked, so that their arrival
	// interrupts the wait; they are dequeued here, not delivered.
	oldMask := t.mask
	t.mask &^= set
	t.sigWaitSet = set
	tg.mu.Unlock()
	err := t.Block(nil, deadline)
	tg.mu.Lock()
	t.mask = oldMask
	t.sigWaitSet = 0
	info := t.takeSignalLocked(set)
	tg.mu.Unlock()
	if info != nil {
		return info, nil
	}
	if err == linux.ETIMEDOUT {
		return nil, linux.EAGAIN
	}
	return nil, linux.EINTR
}

// takeSignalLocked dequeues a pending signal in set, thread queue first.
//
// Preconditions: t.tg.mu is held.
func (t *Task) takeSignalLocked(set linux.SignalSet) *linux.SignalInfo {
	if info := t.tg.dequeueLocked(&t.pending, ^set); info != nil {
		return info
	}
	return t.tg.dequeueLocked(&t.tg.pending, ^set)
}

// TakeSignal dequeues a signal in set pending for t, thread queue first,
// or returns nil (signalfd reads). SIGKILL and SIGSTOP are never taken.
func (t *Task) TakeSignal(set linux.SignalSet) *linux.SignalInfo {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.takeSignalLocked(set &^ linux.UnblockableSignals)
}

// PendingSignalsUnlocked returns the signals pending for t or its group
// without taking the signal lock (signalfd readiness, which epoll checks
// under its own locks): a snapshot that may be stale by the time it is
// used, as any readiness is.
func (t *Task) PendingSignalsUnlocked() linux.SignalSet {
	return linux.SignalSet(t.pending.setMirror.Load() | t.tg.pending.setMirror.Load())
}

// SignalWaiters returns the waiter queues notified (EPOLLIN) when a signal
// is queued for t (thread) and for its process (group).
func (t *Task) SignalWaiters() (thread, group *waiter.Queue) {
	return &t.pending.waiters, &t.tg.pending.waiters
}

// PendingSignals returns the signals pending for t or its group
// (rt_sigpending).
func (t *Task) PendingSignals() linux.SignalSet {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return (t.pending.set | t.tg.pending.set) & t.mask
}
