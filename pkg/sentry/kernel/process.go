package kernel

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/usermem"
)

// The process tree: parents, children, zombies, process groups and
// sessions. Everything here is protected by Kernel.mu (Linux's
// tasklist_lock); a thread group's signal lock (ThreadGroup.mu) may be
// taken inside it, never the other way round.

// ProcessGroup is a set of processes that job control signals together.
type ProcessGroup struct {
	id      ThreadID
	session *Session
	// members counts the thread groups (zombies included) in the group.
	members int
}

// ID returns the process group id.
func (pg *ProcessGroup) ID() ThreadID { return pg.id }

// Session is a set of process groups (setsid(2)).
type Session struct {
	id ThreadID
	// groups counts the process groups in the session.
	groups int
	// ctty is the session's controlling terminal, or nil (tty.go).
	ctty *TTY
}

// ID returns the session id.
func (s *Session) ID() ThreadID { return s.id }

// processTree is the part of a ThreadGroup that Kernel.mu protects.
type processTree struct {
	parent   *ThreadGroup
	children map[*ThreadGroup]struct{}
	// exitSignal is sent to the parent when the group ends (0: none; a
	// child whose exit signal is not SIGCHLD is a "clone" child for
	// wait's __WCLONE).
	exitSignal linux.Signal
	pgrp       *ProcessGroup
	// leader says the group leads its session (setsid).
	sessionLeader bool
	// zombie is set once every task has exited; the group keeps its
	// pid until its parent reaps it.
	zombie bool
	// execed is set by the first successful execve (setpgid's EACCES).
	execed bool
	// subreaper is PR_SET_CHILD_SUBREAPER.
	subreaper bool
	// pdeathSig is sent to the group when creator exits
	// (PR_SET_PDEATHSIG); creator is the parent's thread that forked it.
	pdeathSig linux.Signal
	creator   *Task
	// childEvent is closed and replaced whenever a child becomes
	// waitable or goes away, waking wait(2)ers.
	childEvent chan struct{}
	// vforkDone, if non-nil, is closed when the group execs or exits: a
	// vfork parent waits for it.
	vforkDone chan struct{}
	// waitStopped and waitContinued are job control events the parent
	// has not waited for yet (jobcontrol.go); waitStopSig is the signal
	// that stopped the group.
	waitStopped, waitContinued bool
	waitStopSig                linux.Signal
}

// initProcessTreeLocked makes tg the leader of a new session and process
// group, with no parent: the sandbox's first process.
//
// Preconditions: k.mu is held.
func (k *Kernel) initProcessTreeLocked(tg *ThreadGroup) {
	tg.childEvent = make(chan struct{})
	tg.children = make(map[*ThreadGroup]struct{})
	s := &Session{id: tg.tgid}
	k.sessions[s.id] = s
	tg.sessionLeader = true
	k.joinGroupLocked(tg, tg.tgid, s)
	k.tgs[tg.tgid] = tg
	if k.init == nil {
		k.init = tg
	}
	k.liveGroups++
}

// joinGroupLocked moves tg into the process group id of session s,
// creating it if needed, and out of its old group.
//
// Preconditions: k.mu is held.
func (k *Kernel) joinGroupLocked(tg *ThreadGroup, id ThreadID, s *Session) {
	pg := k.pgrps[id]
	if pg == nil {
		pg = &ProcessGroup{id: id, session: s}
		k.pgrps[id] = pg
		s.groups++
	}
	k.leaveGroupLocked(tg)
	tg.pgrp = pg
	pg.members++
}

// leaveGroupLocked takes tg out of its process group, dropping the group
// (and its session) when it was the last member.
//
// Preconditions: k.mu is held.
func (k *Kernel) leaveGroupLocked(tg *ThreadGroup) {
	pg := tg.pgrp
	if pg == nil {
		return
	}
	tg.pgrp = nil
	pg.members--
	if pg.members > 0 {
		return
	}
	delete(k.pgrps, pg.id)
	pg.session.groups--
	if pg.session.groups == 0 {
		delete(k.sessions, pg.session.id)
	}
}

// notifyChildEventLocked wakes the waiters of tg.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) notifyChildEventLocked() {
	close(tg.childEvent)
	tg.childEvent = make(chan struct{})
}

// Parent returns the parent process, or nil for the first process.
func (tg *ThreadGroup) Parent() *ThreadGroup {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.parent
}

// ProcessGroupID returns the id of tg's process group.
func (tg *ThreadGroup) ProcessGroupID() ThreadID {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.pgrp.id
}

// SessionID returns the id of tg's session.
func (tg *ThreadGroup) SessionID() ThreadID {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.pgrp.session.id
}

// ThreadGroupByID returns the process with the given pid, zombies
// included, or nil.
func (k *Kernel) ThreadGroupByID(pid ThreadID) *ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tgs[pid]
}

// forkFlagsValid reports whether a clone that makes a new process may
// have flags f: pidfds and cgroups are not supported (namespaces are
// checked by checkNewNamespaces).
func forkFlagsValid(f uint64) bool {
	const unsupported = CLONE_PIDFD | CLONE_INTO_CGROUP
	return f&unsupported == 0
}

// fork implements clone without CLONE_THREAD: a new process.
func (t *Task) fork(o CloneOptions) (ThreadID, error) {
	f := o.Flags
	if !forkFlagsValid(f) {
		return 0, linux.EINVAL
	}
	if err := t.checkNewNamespaces(f); err != nil {
		return 0, err
	}
	if o.ExitSignal < 0 || o.ExitSignal > linux.SIGRTMAX {
		return 0, linux.EINVAL
	}
	k := t.k
	parentTG := t.tg

	var newMM *mm.MM
	if f&CLONE_VM != 0 {
		newMM = parentTG.mm
		newMM.IncUsers()
	} else {
		as, err := k.Platform.NewAddressSpace()
		if err != nil {
			return 0, linux.ENOMEM
		}
		if newMM, err = parentTG.mm.Fork(as); err != nil {
			return 0, linux.ENOMEM
		}
	}
	var fds *FDTable
	if f&CLONE_FILES != 0 {
		fds = parentTG.fds
		fds.IncUsers()
	} else {
		fds = parentTG.fds.Fork()
	}
	release := func() {
		fds.DecUsers()
		newMM.DecUsers()
	}

	tg := &ThreadGroup{k: k, mm: newMM, fds: fds, tasks: make(map[*Task]struct{}), done: make(chan struct{})}
	parentTG.mu.Lock()
	if f&CLONE_SIGHAND != 0 {
		tg.sh = parentTG.sh
	} else {
		tg.sh = parentTG.sh.copy()
	}
	tg.limits = parentTG.limits
	parentTG.mu.Unlock()
	if f&CLONE_CLEAR_SIGHAND != 0 {
		tg.sh.clear()
	}
	tg.proc.inherit(&parentTG.proc)

	nt := k.newTask(tg)
	nt.regs = t.regs
	nt.regs.Rax = 0
	if o.Stack != 0 {
		nt.regs.Rsp = o.Stack
	}
	if f&CLONE_SETTLS != 0 {
		nt.regs.Fs_base = o.TLS
	}
	if f&(CLONE_VM|CLONE_VFORK) == CLONE_VM {
		// A child sharing the memory must not share the signal stack.
		nt.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
	} else {
		nt.altStack = t.altStack
	}
	if f&CLONE_FS != 0 {
		nt.fs = t.fs
	} else {
		nt.fs = t.fs.Fork()
	}
	nt.ns.Store(t.newNamespaces(f))
	nt.inheritFPState(t)
	creds := t.Credentials()
	nt.creds.p.Store(creds)
	nt.attrs.inherit(&t.attrs)
	nt.proc.name.Store(ptrTo(t.Name()))
	if f&CLONE_CHILD_CLEARTID != 0 {
		nt.clearTID = o.ChildTID
	}
	if f&CLONE_VFORK != 0 {
		tg.vforkDone = make(chan struct{})
	}

	k.mu.Lock()
	parentTG.mu.Lock()
	dying := parentTG.exiting || parentTG.execing != nil
	nt.mask = t.mask
	limit := parentTG.limits[RLIMIT_NPROC].Cur
	parentTG.mu.Unlock()
	if dying {
		k.mu.Unlock()
		release()
		return 0, linux.EINTR
	}
	if f&CLONE_PARENT != 0 && parentTG.parent == nil {
		// The sandbox's init has no parent to share (nor has a
		// process orphaned while init is dying).
		k.mu.Unlock()
		release()
		return 0, linux.EINVAL
	}
	if !nprocExempt(creds) && uint64(k.tasksOfUIDLocked(creds.RealUID)) >= limit {
		k.mu.Unlock()
		release()
		return 0, linux.EAGAIN
	}
	tid, err := k.allocTID(nt)
	if err != nil {
		k.mu.Unlock()
		release()
		return 0, err
	}
	nt.tid, tg.tgid = tid, tid
	tg.tasks[nt] = struct{}{}
	tg.childEvent = make(chan struct{})
	tg.children = make(map[*ThreadGroup]struct{})
	tg.exitSignal = o.ExitSignal
	tg.parent = parentTG
	if f&CLONE_PARENT != 0 {
		tg.parent = parentTG.parent
		tg.exitSignal = parentTG.exitSignal
	}
	tg.creator = t
	tg.parent.children[tg] = struct{}{}
	k.joinGroupLocked(tg, parentTG.pgrp.id, parentTG.pgrp.session)
	k.tgs[tid] = tg
	k.liveGroups++
	vforkDone := tg.vforkDone
	k.mu.Unlock()

	if f&CLONE_PARENT_SETTID != 0 {
		usermem.CopyOutUint32(t, o.ParentTID, uint32(tid))
	}
	if f&CLONE_CHILD_SETTID != 0 {
		usermem.CopyOutUint32(newMM, o.ChildTID, uint32(tid))
	}
	nt.Start()
	if vforkDone != nil {
		// Linux's vfork wait can only be cut short by a fatal signal;
		// here the child's exec or exit (which a fatal signal to the
		// child causes) ends it.
		<-vforkDone
	}
	return tid, nil
}

func ptrTo[T any](v T) *T { return &v }

// nprocExempt reports whether RLIMIT_NPROC does not apply to creds: root
// and holders of CAP_SYS_ADMIN or CAP_SYS_RESOURCE, as Linux.
func nprocExempt(c *auth.Credentials) bool {
	return c.RealUID == 0 || c.HasCapability(linux.CAP_SYS_ADMIN) || c.HasCapability(linux.CAP_SYS_RESOURCE)
}

// tasksOfUIDLocked counts the tasks whose real uid is uid, zombies
// included (Linux counts a process until it is reaped).
//
// Preconditions: k.mu is held.
func (k *Kernel) tasksOfUIDLocked(uid auth.UID) int {
	n := 0
	for _, t := range k.tasks {
		if t.Credentials().RealUID == uid {
			n++
		}
	}
	for _, tg := range k.tgs {
		// A zombie's lastCreds were written before it became one
		// (under k.mu, which orders them before this read), and never
		// change again: no need for its signal lock, which the thread
		// clone path must not nest inside its own.
		if tg.zombie && tg.lastCreds != nil && tg.lastCreds.RealUID == uid {
			n++
		}
	}
	return n
}

// releaseVforkLocked lets a vfork parent of tg go on (tg exec'd or
// exited).
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) releaseVforkLocked() {
	if tg.vforkDone != nil {
		close(tg.vforkDone)
		tg.vforkDone = nil
	}
}

// markExeced records a successful execve of tg.
func (tg *ThreadGroup) markExeced() {
	tg.k.mu.Lock()
	tg.execed = true
	tg.releaseVforkLocked()
	tg.k.mu.Unlock()
}

// taskGoneLocked handles the exit of t for the process tree: children
// that t forked get their death signal, and if t was the group's last
// task the group becomes a zombie (groupGoneLocked). It reports whether
// tg.done must be closed now.
//
// Preconditions: k.mu is held; t has left tg.tasks.
func (k *Kernel) taskGoneLocked(t *Task, last bool) bool {
	tg := t.tg
	var heir *Task
	tg.mu.Lock()
	for o := range tg.tasks {
		heir = o
		break
	}
	tg.mu.Unlock()
	for c := range tg.children {
		if c.creator != t {
			continue
		}
		c.creator = heir
		if c.pdeathSig != 0 && !c.zombie {
			c.SendSignal(&linux.SignalInfo{Signo: int32(c.pdeathSig), Code: linux.SI_USER})
		}
	}
	if !last {
		return false
	}
	return k.groupGoneLocked(tg)
}

// groupGoneLocked turns tg, whose last task has exited, into a zombie:
// its children go to a reaper, its parent is told, and a parent that
// ignores SIGCHLD reaps it at once. It reports whether tg.done must be
// closed now (always, except for init while other processes live).
//
// Preconditions: k.mu is held.
func (k *Kernel) groupGoneLocked(tg *ThreadGroup) bool {
	tg.zombie = true
	k.sessionLeaderGoneLocked(tg)
	tg.releaseVforkLocked()
	k.liveGroups--
	reaper := k.reaperForLocked(tg)
	var adopted []*ThreadGroup
	for c := range tg.children {
		delete(tg.children, c)
		if reaper == nil {
			// init is gone: nobody will wait for these.
			c.parent = nil
			if c.zombie {
				k.reapLocked(c)
			}
			continue
		}
		c.parent = reaper
		// As Linux's reparent_leader: the new parent hears of the
		// child's end by SIGCHLD, whatever the old one asked for.
		c.exitSignal = linux.SIGCHLD
		reaper.children[c] = struct{}{}
		adopted = append(adopted, c)
		if c.zombie {
			k.tellParentLocked(c)
		}
	}
	if reaper != nil {
		// Orphaned process groups (jobcontrol.go): the children's
		// groups, then tg's own.
		for _, c := range adopted {
			if c.pgrp != nil {
				k.hangUpIfOrphanedLocked(c.pgrp, tg)
			}
		}
		if tg.parent != nil {
			k.hangUpIfOrphanedLocked(tg.pgrp, tg.parent)
		}
	}
	if tg == k.init {
		// Like the death of a pid namespace's init: everything else
		// is killed, and init's end is seen once they are gone.
		for _, o := range k.tgs {
			if !o.zombie {
				o.Kill(linux.SIGKILL)
			}
		}
		if k.liveGroups > 0 {
			k.initDonePending = true
			return false
		}
	}
	if tg.parent != nil {
		k.tellParentLocked(tg)
	} else if tg != k.init {
		k.reapLocked(tg)
	}
	if k.initDonePending && k.liveGroups == 0 {
		// The last process of a dead sandbox: init can be seen gone.
		k.initDonePending = false
		close(k.init.done)
	}
	return true
}

// reaperForLocked returns who adopts the children of tg: the nearest
// live ancestor that is a child subreaper, else init (nil if init is
// tg itself).
//
// Preconditions: k.mu is held.
func (k *Kernel) reaperForLocked(tg *ThreadGroup) *ThreadGroup {
	for p := tg.parent; p != nil; p = p.parent {
		if p.subreaper && !p.zombie {
			return p
		}
	}
	if tg == k.init || k.init.zombie {
		return nil
	}
	return k.init
}

// tellParentLocked tells tg's parent that tg has ended: the exit signal,
// and a wake-up of its waiters; a parent that ignores SIGCHLD (or set
// SA_NOCLDWAIT) reaps tg at once.
//
// Preconditions: k.mu is held; tg is a zombie with a parent.
func (k *Kernel) tellParentLocked(tg *ThreadGroup) {
	p := tg.parent
	p.mu.Lock()
	act := p.sh.action(linux.SIGCHLD)
	p.mu.Unlock()
	autoReap := tg.exitSignal == linux.SIGCHLD &&
		(act.Handler == linux.SIG_IGN || act.Flags&linux.SA_NOCLDWAIT != 0)
	// An ignored SIGCHLD is not even queued (blocked or not), as in
	// Linux's do_notify_parent.
	ignored := tg.exitSignal == linux.SIGCHLD && act.Handler == linux.SIG_IGN
	if tg.exitSignal != 0 && !ignored {
		p.SendSignal(tg.childSignalInfo(tg.exitSignal))
	}
	if autoReap {
		k.reapLocked(tg)
	}
	p.notifyChildEventLocked()
}

// childSignalInfo is the siginfo of tg's end, as its parent receives it
// (SIGCHLD) and waitid reports it.
func (tg *ThreadGroup) childSignalInfo(sig linux.Signal) *linux.SignalInfo {
	tg.mu.Lock()
	st := tg.status
	tg.mu.Unlock()
	info := &linux.SignalInfo{Signo: int32(sig), Code: linux.CLD_EXITED}
	info.SetPID(int32(tg.tgid))
	info.SetUID(uint32(tg.realUID()))
	if st.Signal != 0 {
		info.Code = linux.CLD_KILLED
		info.SetStatus(int32(st.Signal))
	} else {
		info.SetStatus(int32(st.Code))
	}
	return info
}

// realUID is the real uid of tg (of its leader, or its last task).
func (tg *ThreadGroup) realUID() auth.UID {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.lastCreds == nil {
		return 0
	}
	return tg.lastCreds.RealUID
}

// reapLocked removes a zombie for good: its pid is free again.
//
// Preconditions: k.mu is held; tg is a zombie.
func (k *Kernel) reapLocked(tg *ThreadGroup) {
	if tg.parent != nil {
		delete(tg.parent.children, tg)
	}
	if k.tgs[tg.tgid] == tg {
		delete(k.tgs, tg.tgid)
	}
	k.leaveGroupLocked(tg)
}

// WaitTarget says which children a wait is for.
type WaitTarget int

// Wait targets (waitid's idtype).
const (
	WaitAll  WaitTarget = iota // any child
	WaitPID                    // the child with pid ID
	WaitPGID                   // any child in process group ID
)

// WaitOptions are a wait4/waitid request.
type WaitOptions struct {
	Target WaitTarget
	ID     ThreadID
	// Options are the linux.W* flags.
	Options uint32
}

// WaitResult describes the child a wait found and what happened to it.
type WaitResult struct {
	PID ThreadID
	UID auth.UID
	// Code is linux.CLD_EXITED or CLD_KILLED (Status says how it
	// ended), CLD_STOPPED (StopSignal stopped it) or CLD_CONTINUED.
	Code       int32
	Status     ExitStatus
	StopSignal linux.Signal
	// Usage is the child's CPU time and its reaped children's, for
	// wait4's and waitid's rusage (rusage.go).
	Usage Usage
}

// matches reports whether child c is one that o waits for.
func (o WaitOptions) matches(c *ThreadGroup) bool {
	switch o.Target {
	case WaitPID:
		if c.tgid != o.ID {
			return false
		}
	case WaitPGID:
		if c.pgrp == nil || c.pgrp.id != o.ID {
			return false
		}
	}
	if o.Options&linux.WALL != 0 {
		return true
	}
	clone := c.exitSignal != linux.SIGCHLD
	return clone == (o.Options&linux.WCLONE != 0)
}

// Wait waits for a child of t's process to end, stop or continue, as
// the options ask (wait4, waitid). It returns nil without error if
// WNOHANG is set and nothing happened, ECHILD if no child matches, and
// ErrInterrupted if a signal comes first.
func (t *Task) Wait(o WaitOptions) (*WaitResult, error) {
	k := t.k
	for {
		k.mu.Lock()
		found := false
		for c := range t.tg.children {
			if !o.matches(c) {
				continue
			}
			if o.Options&linux.WNOTHREAD != 0 && c.creator != t {
				// Only the calling thread's own children.
				continue
			}
			found = true
			if res := k.takeWaitEventLocked(c, o.Options); res != nil {
				k.mu.Unlock()
				return res, nil
			}
		}
		ch := t.tg.childEvent
		k.mu.Unlock()
		if !found {
			return nil, linux.ECHILD
		}
		if o.Options&linux.WNOHANG != 0 {
			return nil, nil
		}
		if err := t.Block(ch, time.Time{}); err != nil {
			return nil, err
		}
	}
}

// forgetProcessLocked undoes initProcessTreeLocked for a first process
// that never ran (its exec failed).
//
// Preconditions: k.mu is held.
func (k *Kernel) forgetProcessLocked(tg *ThreadGroup) {
	delete(k.tgs, tg.tgid)
	k.leaveGroupLocked(tg)
	if k.init == tg {
		k.init = nil
	}
	k.liveGroups--
}

// SetPGID implements setpgid(2): it moves process pid (0: the caller)
// into process group pgid (0: pid), with Linux's rules.
func (t *Task) SetPGID(pid, pgid ThreadID) error {
	k := t.k
	self := t.tg
	if pid == 0 {
		pid = self.tgid
	}
	if pgid == 0 {
		pgid = pid
	}
	if pgid < 0 {
		return linux.EINVAL
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	target := k.tgs[pid]
	if target == nil || target.zombie {
		return linux.ESRCH
	}
	session := self.pgrp.session
	if target != self {
		if target.parent != self {
			return linux.ESRCH
		}
		if target.pgrp.session != session {
			return linux.EPERM
		}
		if target.execed {
			return linux.EACCES
		}
	}
	if target.sessionLeader {
		return linux.EPERM
	}
	if pgid != pid {
		pg := k.pgrps[pgid]
		if pg == nil || pg.session != session {
			return linux.EPERM
		}
	}
	if target.pgrp.id == pgid {
		return nil
	}
	k.joinGroupLocked(target, pgid, session)
	return nil
}

// SetSID implements setsid(2): the caller leads a new session and process
// group, unless it already leads a process group (EPERM).
func (t *Task) SetSID() (ThreadID, error) {
	k := t.k
	tg := t.tg
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.pgrps[tg.tgid]; ok {
		return 0, linux.EPERM
	}
	s := &Session{id: tg.tgid}
	k.sessions[s.id] = s
	tg.sessionLeader = true
	k.joinGroupLocked(tg, tg.tgid, s)
	return tg.tgid, nil
}

// ProcessGroupOf returns the process group id of process pid (ESRCH if
// there is none).
func (k *Kernel) ProcessGroupOf(pid ThreadID) (ThreadID, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := k.tgs[pid]
	if tg == nil || tg.pgrp == nil {
		return 0, linux.ESRCH
	}
	return tg.pgrp.id, nil
}

// SessionOf returns the session id of process pid (ESRCH if none).
func (k *Kernel) SessionOf(pid ThreadID) (ThreadID, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := k.tgs[pid]
	if tg == nil || tg.pgrp == nil {
		return 0, linux.ESRCH
	}
	return tg.pgrp.session.id, nil
}

// ProcessesOfGroup returns the live processes of process group pgid
// (all live processes if pgid is 0).
func (k *Kernel) ProcessesOfGroup(pgid ThreadID) []*ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*ThreadGroup
	for _, tg := range k.tgs {
		if !tg.zombie && (pgid == 0 || tg.pgrp.id == pgid) {
			out = append(out, tg)
		}
	}
	return out
}

// IsInit reports whether tg is the sandbox's first process, which, as a
// pid namespace's init, only gets the signals it has handlers for from
// processes of the sandbox.
func (tg *ThreadGroup) IsInit() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg == tg.k.init
}

// IsZombie reports whether every task of tg has exited.
func (tg *ThreadGroup) IsZombie() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.zombie
}

// SetSubreaper sets PR_SET_CHILD_SUBREAPER.
func (tg *ThreadGroup) SetSubreaper(on bool) {
	tg.k.mu.Lock()
	tg.subreaper = on
	tg.k.mu.Unlock()
}

// Subreaper reports PR_GET_CHILD_SUBREAPER.
func (tg *ThreadGroup) Subreaper() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.subreaper
}

// SetPDeathSig sets the signal tg gets when its creator thread exits.
func (tg *ThreadGroup) SetPDeathSig(sig linux.Signal) {
	tg.k.mu.Lock()
	tg.pdeathSig = sig
	tg.k.mu.Unlock()
}

// PDeathSig returns PR_GET_PDEATHSIG.
func (tg *ThreadGroup) PDeathSig() linux.Signal {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.pdeathSig
}

// SendSignalFromApp sends a process-directed signal that process sender
// of the sandbox sent (kill): as SendSignal, except that the sandbox's
// init, like a pid namespace's, does not get a signal from another
// process that it neither handles nor blocks (SIGKILL and SIGSTOP
// included). Init's signals to itself are delivered too, so that a
// program run by `runsc do` can kill itself as it could natively, unless
// Kernel.StrictInit (an OCI container's init, which Linux protects from
// itself as well).
func (tg *ThreadGroup) SendSignalFromApp(sender *ThreadGroup, info *linux.SignalInfo) {
	k := tg.k
	k.mu.Lock()
	isInit := tg == k.init && (sender != tg || k.StrictInit)
	k.mu.Unlock()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	sig := linux.Signal(info.Signo)
	if isInit && tg.sh.action(sig).Handler == linux.SIG_DFL && !tg.blockedByAnyLocked(sig) {
		return
	}
	tg.sendSignalLocked(info)
}

// SendSignalFromOutside sends info to tg on behalf of the host (`runsc
// kill`): as SendSignal, except that with StrictInit the sandbox's init,
// like a pid namespace's init signalled from an ancestor namespace, gets
// only SIGKILL, SIGSTOP and the signals it handles or blocks.
func (tg *ThreadGroup) SendSignalFromOutside(info *linux.SignalInfo) {
	k := tg.k
	k.mu.Lock()
	protected := tg == k.init && k.StrictInit
	k.mu.Unlock()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	sig := linux.Signal(info.Signo)
	if protected && sig != linux.SIGKILL && sig != linux.SIGSTOP &&
		tg.sh.action(sig).Handler == linux.SIG_DFL && !tg.blockedByAnyLocked(sig) {
		return
	}
	tg.sendSignalLocked(info)
}

// blockedByAnyLocked reports whether a live task of tg blocks sig or
// waits for it in rt_sigtimedwait.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) blockedByAnyLocked(sig linux.Signal) bool {
	set := linux.SignalSetOf(sig)
	for t := range tg.tasks {
		if !t.exited && (t.mask|t.sigWaitSet)&set != 0 {
			return true
		}
	}
	return false
}

// takeWaitEventLocked returns what c has to report to a wait with
// options (an exit, a stop or a continue), consuming it unless WNOWAIT;
// nil if nothing.
//
// Preconditions: k.mu is held; c is a child of the waiter.
func (k *Kernel) takeWaitEventLocked(c *ThreadGroup, options uint32) *WaitResult {
	keep := options&linux.WNOWAIT != 0
	switch {
	case c.zombie && options&linux.WEXITED != 0:
		c.mu.Lock()
		res := &WaitResult{PID: c.tgid, Status: c.status, Code: linux.CLD_EXITED}
		c.mu.Unlock()
		if res.Status.Signal != 0 {
			res.Code = linux.CLD_KILLED
		}
		res.UID = c.realUID()
		res.Usage = c.waitUsage()
		if !keep {
			// The waiter's process collects the child's time
			// (Linux's wait_task_zombie), then the pid goes.
			c.parent.accountReapLocked(res.Usage)
			k.reapLocked(c)
		}
		return res
	case c.zombie:
		return nil
	case c.waitStopped && options&linux.WSTOPPED != 0:
		if !keep {
			c.waitStopped = false
		}
		return &WaitResult{PID: c.tgid, UID: auth.UID(c.liveRealUID()), Code: linux.CLD_STOPPED, StopSignal: c.waitStopSig, Usage: c.waitUsage()}
	case c.waitContinued && options&linux.WCONTINUED != 0:
		if !keep {
			c.waitContinued = false
		}
		return &WaitResult{PID: c.tgid, UID: auth.UID(c.liveRealUID()), Code: linux.CLD_CONTINUED, Usage: c.waitUsage()}
	}
	return nil
}
