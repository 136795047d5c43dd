package kernel

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/futex"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Exit ends the calling thread (exit(2)).
func (t *Task) Exit(code int) {
	t.tg.mu.Lock()
	t.exited = true
	t.exitCode = code
	t.tg.mu.Unlock()
}

// ExitGroup ends every thread of the process (exit_group(2)).
func (t *Task) ExitGroup(code int) {
	t.tg.mu.Lock()
	t.tg.beginExitLocked(ExitStatus{Code: code})
	t.tg.mu.Unlock()
}

// exit releases the task once its goroutine has left application code.
func (t *Task) exit() {
	ft := futexTarget{t.tg.mm}
	if t.robustList != 0 {
		futex.ExitRobustList(ft, t.robustList, uint32(t.tid), func(addr uint64) {
			t.k.Futexes.Wake(ft, addr, false, linux.FUTEX_BITSET_MATCH_ANY, 1)
		})
	}
	t.finishUsage()
	t.ctx.Release()
	t.closeWakeFD()

	tg := t.tg
	tg.mu.Lock()
	t.exited = true
	delete(tg.tasks, t)
	tg.lastCreds = t.Credentials()
	last := len(tg.tasks) == 0
	if last && !tg.exiting {
		// Without a group exit, the status is the last thread's
		// exit code (Linux 6.0 and later).
		tg.status = ExitStatus{Code: t.exitCode}
	}
	// An execve waits for the other tasks of its group to be gone.
	var execDone chan struct{}
	if tg.execWait != nil && len(tg.tasks) == 1 {
		execDone, tg.execWait = tg.execWait, nil
	}
	tg.mu.Unlock()

	// The task no longer counts (RLIMIT_NPROC, tid lookups) once a
	// joiner can see it gone.
	t.k.mu.Lock()
	delete(t.k.tasks, t.tid)
	t.k.mu.Unlock()
	if t.clearTID != 0 {
		// As Linux's mm_release: clear the tid and wake one joiner;
		// a fault is ignored.
		if usermem.CopyOutUint32(t, t.clearTID, 0) == nil {
			t.k.Futexes.Wake(ft, t.clearTID, false, linux.FUTEX_BITSET_MATCH_ANY, 1)
		}
	}
	if last {
		// As Linux's exit_files and exit_mm, before the parent hears
		// of the exit.
		tg.releaseTimers()
		tg.exitIPC(t)
		tg.fds.Release()
		tg.mm.DecUsers()
	}
	t.k.mu.Lock()
	closeDone := t.k.taskGoneLocked(t, last)
	t.k.mu.Unlock()
	if execDone != nil {
		close(execDone)
	}
	if last && closeDone {
		close(tg.done)
	}
}

// SetClearTID sets the address that is cleared and woken at exit
// (set_tid_address, CLONE_CHILD_CLEARTID).
func (t *Task) SetClearTID(addr uint64) { t.clearTID = addr }

// SetRobustList records the robust futex list head (set_robust_list).
func (t *Task) SetRobustList(head uint64) { t.robustList = head }

// RobustList returns the robust futex list head.
func (t *Task) RobustList() uint64 { return t.robustList }

// Clone flags, defined in include/uapi/linux/sched.h.
const (
	CLONE_VM             = 0x00000100
	CLONE_FS             = 0x00000200
	CLONE_FILES          = 0x00000400
	CLONE_SIGHAND        = 0x00000800
	CLONE_PIDFD          = 0x00001000
	CLONE_PTRACE         = 0x00002000
	CLONE_VFORK          = 0x00004000
	CLONE_PARENT         = 0x00008000
	CLONE_THREAD         = 0x00010000
	CLONE_NEWNS          = 0x00020000
	CLONE_SYSVSEM        = 0x00040000
	CLONE_SETTLS         = 0x00080000
	CLONE_PARENT_SETTID  = 0x00100000
	CLONE_CHILD_CLEARTID = 0x00200000
	CLONE_DETACHED       = 0x00400000
	CLONE_UNTRACED       = 0x00800000
	CLONE_CHILD_SETTID   = 0x01000000
	CLONE_NEWCGROUP      = 0x02000000
	CLONE_NEWUTS         = 0x04000000
	CLONE_NEWIPC         = 0x08000000
	CLONE_NEWUSER        = 0x10000000
	CLONE_NEWPID         = 0x20000000
	CLONE_NEWNET         = 0x40000000
	CLONE_IO             = 0x80000000
	CLONE_CLEAR_SIGHAND  = 0x100000000
	// CLONE_NEWTIME is only a flag of unshare: in clone its bit is
	// part of the exit signal.
	CLONE_NEWTIME     = 0x00000080
	CLONE_INTO_CGROUP = 0x200000000
)

// CloneOptions are the decoded arguments of clone and clone3.
type CloneOptions struct {
	Flags uint64
	// ExitSignal is sent to the parent when a new process ends.
	ExitSignal linux.Signal
	Stack      uint64 // new stack pointer, 0 to keep the parent's
	ParentTID  uint64
	ChildTID   uint64
	TLS        uint64
}

// threadFlags are the flags a new thread must have.
const threadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD

// Clone creates a thread (clone with CLONE_THREAD) and returns its id.
func (t *Task) Clone(o CloneOptions) (ThreadID, error) {
	f := o.Flags
	// The checks of copy_process, in its order.
	if f&(CLONE_NEWNS|CLONE_FS) == CLONE_NEWNS|CLONE_FS || f&(CLONE_NEWUSER|CLONE_FS) == CLONE_NEWUSER|CLONE_FS {
		return 0, linux.EINVAL
	}
	if f&CLONE_THREAD != 0 && f&CLONE_SIGHAND == 0 {
		return 0, linux.EINVAL
	}
	if f&CLONE_SIGHAND != 0 && f&CLONE_VM == 0 {
		return 0, linux.EINVAL
	}
	if f&(CLONE_SIGHAND|CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND|CLONE_CLEAR_SIGHAND {
		return 0, linux.EINVAL
	}
	if f&CLONE_THREAD == 0 {
		return t.fork(o)
	}
	if f&threadFlags != threadFlags {
		// A thread with its own fd table or fs context is legal but
		// not supported yet.
		return 0, linux.EINVAL
	}
	if f&(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP|CLONE_VFORK|CLONE_PARENT|CLONE_PIDFD|CLONE_INTO_CGROUP|CLONE_CLEAR_SIGHAND) != 0 {
		return 0, linux.EINVAL
	}
	tg := t.tg
	nt := t.k.newTask(tg)
	nt.regs = t.regs
	nt.regs.Rax = 0
	nt.fs = t.fs
	nt.ns.Store(t.ns.Load())
	nt.inheritFPState(t)
	nt.creds.p.Store(t.creds.p.Load())
	nt.attrs.inherit(&t.attrs)
	if o.Stack != 0 {
		nt.regs.Rsp = o.Stack
	}
	if f&CLONE_SETTLS != 0 {
		nt.regs.Fs_base = o.TLS
	}
	// A thread on a new stack starts without the parent's signal stack.
	nt.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}

	t.k.mu.Lock()
	tg.mu.Lock()
	if tg.exiting || tg.execing != nil {
		// The group is dying, or another thread's execve is
		// killing this one.
		tg.mu.Unlock()
		t.k.mu.Unlock()
		return 0, linux.EINTR
	}
	if creds := t.Credentials(); !nprocExempt(creds) && uint64(t.k.tasksOfUIDLocked(creds.RealUID)) >= tg.limits[RLIMIT_NPROC].Cur {
		tg.mu.Unlock()
		t.k.mu.Unlock()
		return 0, linux.EAGAIN
	}
	tid, err := t.k.allocTID(nt)
	if err != nil {
		tg.mu.Unlock()
		t.k.mu.Unlock()
		return 0, err
	}
	nt.tid = tid
	nt.mask = t.mask
	tg.tasks[nt] = struct{}{}
	tg.mu.Unlock()
	t.k.mu.Unlock()

	if f&CLONE_PARENT_SETTID != 0 {
		usermem.CopyOutUint32(t, o.ParentTID, uint32(tid))
	}
	if f&CLONE_CHILD_SETTID != 0 {
		usermem.CopyOutUint32(t, o.ChildTID, uint32(tid))
	}
	if f&CLONE_CHILD_CLEARTID != 0 {
		nt.clearTID = o.ChildTID
	}
	nt.Start()
	return tid, nil
}
