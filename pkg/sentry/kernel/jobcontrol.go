package kernel

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
)

// Job control stops, without ptrace: a stop signal whose action is the
// default stops every task of the process (a group stop) until SIGCONT
// or SIGKILL; the parent hears of both through wait (WUNTRACED,
// WCONTINUED) and SIGCHLD (CLD_STOPPED, CLD_CONTINUED) unless it set
// SA_NOCLDSTOP.
//
// The stop state is in the ThreadGroup under its signal lock (jobStop);
// what the parent may wait for is in the process tree under Kernel.mu
// (waitStopped, waitContinued).

// jobStop is the part of a ThreadGroup that job control uses, protected
// by ThreadGroup.mu.
type jobStop struct {
	// stopped is set while the group is stopped; stopWake is closed
	// when it is continued or killed.
	stopped  bool
	stopSig  linux.Signal
	stopWake chan struct{}
	// continuedPending says a continue has not been reported to the
	// parent yet: the first task to run again reports it.
	continuedPending bool
}

// stopSignals are the signals whose default action is to stop.
var stopSignals = linux.SignalSetOf(linux.SIGSTOP) | linux.SignalSetOf(linux.SIGTSTP) |
	linux.SignalSetOf(linux.SIGTTIN) | linux.SignalSetOf(linux.SIGTTOU)

// jobControlOnSendLocked applies, when sig is sent to tg, the rules that
// act at once rather than at delivery: SIGCONT discards pending stop
// signals and continues a stopped group; a stop signal discards a
// pending SIGCONT.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) jobControlOnSendLocked(sig linux.Signal) {
	switch {
	case sig == linux.SIGCONT:
		for s := linux.Signal(1); s <= linux.SIGTTOU; s++ {
			if stopSignals&linux.SignalSetOf(s) == 0 {
				continue
			}
			tg.pending.discard(s)
			for t := range tg.tasks {
				t.pending.discard(s)
			}
		}
		if tg.stopped {
			tg.stopped = false
			tg.continuedPending = true
			close(tg.stopWake)
		}
	case stopSignals&linux.SignalSetOf(sig) != 0:
		tg.pending.discard(linux.SIGCONT)
		for t := range tg.tasks {
			t.pending.discard(linux.SIGCONT)
		}
	}
}

// beginGroupStopLocked stops tg for sig: every task parks at its next
// return to application code.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) beginGroupStopLocked(sig linux.Signal) {
	tg.stopped = true
	tg.stopSig = sig
	tg.stopWake = make(chan struct{})
	for t := range tg.tasks {
		t.interrupt()
	}
}

// parkStoppedLocked blocks t while its group is stopped, until it is
// continued or the task must exit. It returns with tg.mu released. The
// task that finds the continue unreported reports it to the parent.
//
// Preconditions: t.tg.mu is held; t.tg.stopped.
func (t *Task) parkStoppedLocked() {
	tg := t.tg
	for tg.stopped && !tg.exiting && !t.exited {
		wake := tg.stopWake
		tg.mu.Unlock()
		select {
		case <-wake:
		case <-t.interruptC:
		}
		tg.mu.Lock()
	}
	report := tg.continuedPending && !tg.exiting
	tg.continuedPending = false
	tg.mu.Unlock()
	if report {
		t.k.notifyJobControl(tg, linux.CLD_CONTINUED, linux.SIGCONT)
	}
}

// notifyJobControl tells tg's parent that tg stopped (CLD_STOPPED, with
// the stop signal) or continued (CLD_CONTINUED): a wait event, and a
// SIGCHLD unless the parent set SA_NOCLDSTOP.
func (k *Kernel) notifyJobControl(tg *ThreadGroup, code int32, sig linux.Signal) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tg.zombie {
		return
	}
	if code == linux.CLD_STOPPED {
		tg.waitStopped, tg.waitContinued, tg.waitStopSig = true, false, sig
	} else {
		tg.waitStopped, tg.waitContinued = false, true
	}
	p := tg.parent
	if p == nil {
		return
	}
	p.mu.Lock()
	act := p.sh.action(linux.SIGCHLD)
	p.mu.Unlock()
	if act.Flags&linux.SA_NOCLDSTOP == 0 {
		info := &linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: code}
		info.SetPID(int32(tg.tgid))
		info.SetUID(uint32(tg.liveRealUID()))
		info.SetStatus(int32(sig))
		p.SendSignal(info)
	}
	p.notifyChildEventLocked()
}

// liveRealUID is the real uid of a live tg (its leader's, or any task's).
func (tg *ThreadGroup) liveRealUID() uint32 {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for t := range tg.tasks {
		return uint32(t.Credentials().RealUID)
	}
	if tg.lastCreds != nil {
		return uint32(tg.lastCreds.RealUID)
	}
	return 0
}

// Orphaned process groups (POSIX): a group is orphaned when no live
// member has a parent in another group of the same session, so nobody is
// left to continue its stopped jobs from a shell. Two rules follow, as in
// Linux: SIGTSTP, SIGTTIN and SIGTTOU whose action is the default are
// discarded at delivery to a member of an orphaned group (SIGSTOP still
// stops); and an exit that orphans a group with a stopped member sends
// the group SIGHUP, then SIGCONT.

// orphanedLocked reports whether pg is orphaned. Zombies do not count.
//
// Preconditions: k.mu is held.
func (k *Kernel) orphanedLocked(pg *ProcessGroup) bool {
	for _, tg := range k.tgs {
		if tg.pgrp != pg || tg.zombie {
			continue
		}
		if p := tg.parent; p != nil && p.pgrp != pg && p.pgrp.session == pg.session {
			return false
		}
	}
	return true
}

// inOrphanedGroup reports whether tg's process group is orphaned.
func (k *Kernel) inOrphanedGroup(tg *ThreadGroup) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return tg.pgrp == nil || k.orphanedLocked(tg.pgrp)
}

// hangUpIfOrphanedLocked sends SIGHUP and then SIGCONT to the live
// members of pg if an exit has just orphaned it and one of them is
// stopped. link is the process that tied pg to its session: the exiting
// process's parent when pg is the exiting process's group, or the exiting
// process itself when pg is the group of one of its children. Only a link
// in another group of the same session can have held pg.
//
// Preconditions: k.mu is held; the exiting process is already a zombie
// and its children are already reparented.
func (k *Kernel) hangUpIfOrphanedLocked(pg *ProcessGroup, link *ThreadGroup) {
	if link.pgrp == nil || link.pgrp == pg || link.pgrp.session != pg.session || !k.orphanedLocked(pg) {
		return
	}
	var members []*ThreadGroup
	stopped := false
	for _, tg := range k.tgs {
		if tg.pgrp != pg || tg.zombie {
			continue
		}
		members = append(members, tg)
		tg.mu.Lock()
		stopped = stopped || tg.stopped
		tg.mu.Unlock()
	}
	if !stopped {
		return
	}
	for _, sig := range []linux.Signal{linux.SIGHUP, linux.SIGCONT} {
		for _, tg := range members {
			tg.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL})
		}
	}
}
