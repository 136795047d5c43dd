package kernel

import (
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// This file holds what /proc (fsimpl/proc) shows about tasks and thread
// groups that the rest of the kernel does not need, and read-only views of
// kernel state for it. Locking: tgProcInfo.mu is a leaf, taken with no
// other kernel lock required; the views below take Kernel.mu, ThreadGroup.mu
// or FDTable.mu one at a time and never hold them while calling out.

// TaskCommLen is TASK_COMM_LEN, defined in include/linux/sched.h: a task's
// name holds at most TaskCommLen-1 bytes.
const TaskCommLen = 16

// tgProcInfo is the part of a ThreadGroup that only /proc reads.
type tgProcInfo struct {
	mu sync.Mutex
	// exe is the executable (/proc/PID/exe); unset before the first exec.
	exe vfs.VirtualDentry
	// The argument and environment strings of the last exec, in the
	// process's memory (/proc/PID/cmdline and environ): [start, end).
	argStart, argEnd uint64
	envStart, envEnd uint64
}

// taskProcInfo is the part of a Task that only /proc and prctl read.
type taskProcInfo struct {
	// name is the task's comm, set by exec and PR_SET_NAME; nil until
	// then.
	name atomic.Pointer[string]
	// start is when the task was created.
	start time.Time
}

// SetExecutable records the file the process runs (exec calls it).
func (tg *ThreadGroup) SetExecutable(vd vfs.VirtualDentry) {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	tg.proc.exe = vd
}

// Executable returns the file the process runs; !Ok() before an exec
// recorded one.
func (tg *ThreadGroup) Executable() vfs.VirtualDentry {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	return tg.proc.exe
}

// SetArgRange records where exec put the argument strings: [start, end)
// of the process's memory, NUL-terminated strings back to back.
func (tg *ThreadGroup) SetArgRange(start, end uint64) {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	tg.proc.argStart, tg.proc.argEnd = start, end
}

// ArgRange returns what SetArgRange recorded (0, 0 if nothing).
func (tg *ThreadGroup) ArgRange() (start, end uint64) {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	return tg.proc.argStart, tg.proc.argEnd
}

// SetEnvRange records where exec put the environment strings.
func (tg *ThreadGroup) SetEnvRange(start, end uint64) {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	tg.proc.envStart, tg.proc.envEnd = start, end
}

// EnvRange returns what SetEnvRange recorded (0, 0 if nothing).
func (tg *ThreadGroup) EnvRange() (start, end uint64) {
	tg.proc.mu.Lock()
	defer tg.proc.mu.Unlock()
	return tg.proc.envStart, tg.proc.envEnd
}

// Kernel returns the kernel the process runs in.
func (tg *ThreadGroup) Kernel() *Kernel { return tg.k }

// Tasks returns the process's live tasks in thread-id order.
func (tg *ThreadGroup) Tasks() []*Task {
	tg.mu.Lock()
	ts := make([]*Task, 0, len(tg.tasks))
	for t := range tg.tasks {
		if !t.exited {
			ts = append(ts, t)
		}
	}
	tg.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].tid < ts[j].tid })
	return ts
}

// Leader returns the task whose id is the process id, or nil if it has
// exited.
func (tg *ThreadGroup) Leader() *Task {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for t := range tg.tasks {
		if t.tid == tg.tgid && !t.exited {
			return t
		}
	}
	return nil
}

// SignalInfo is the signal state /proc/PID/status shows.
type SignalInfo struct {
	// Blocked and Pending are the task's mask and thread-directed
	// pending signals; SharedPending the process-directed ones.
	Blocked, Pending, SharedPending linux.SignalSet
	// Ignored and Caught are the signals whose disposition is SIG_IGN
	// or a handler.
	Ignored, Caught linux.SignalSet
	// Queued counts queued signals of the task and its process.
	Queued int
}

// SignalInfo returns t's signal state.
func (t *Task) SignalInfo() SignalInfo {
	tg := t.tg
	tg.mu.Lock()
	defer tg.mu.Unlock()
	si := SignalInfo{Blocked: t.mask, Pending: t.pending.set, SharedPending: tg.pending.set}
	for sig := linux.Signal(1); sig < linux.NSIG; sig++ {
		switch tg.sh.action(sig).Handler {
		case linux.SIG_DFL:
		case linux.SIG_IGN:
			si.Ignored |= linux.SignalSetOf(sig)
		default:
			si.Caught |= linux.SignalSetOf(sig)
		}
		si.Queued += len(t.pending.queue[sig]) + len(tg.pending.queue[sig])
	}
	return si
}

// Name returns the task's name (comm): the one set by exec or
// PR_SET_NAME, else its process leader's, else the executable's base
// name.
func (t *Task) Name() string {
	if n := t.proc.name.Load(); n != nil {
		return *n
	}
	if l := t.tg.Leader(); l != nil && l != t {
		if n := l.proc.name.Load(); n != nil {
			return *n
		}
	}
	if exe := t.tg.Executable(); exe.Ok() && t.k.VFS != nil {
		// The path within the executable's mount is enough for its
		// base name.
		root := vfs.VirtualDentry{Mount: exe.Mount, Dentry: exe.Mount.Root()}
		p, _ := t.k.VFS.PathName(root, exe)
		return truncateComm(path.Base(p))
	}
	return ""
}

// SetName sets the task's name (exec, PR_SET_NAME, /proc/PID/comm),
// truncated to TaskCommLen-1 bytes as Linux does.
func (t *Task) SetName(name string) {
	n := truncateComm(name)
	t.proc.name.Store(&n)
}

func truncateComm(name string) string {
	if len(name) > TaskCommLen-1 {
		name = name[:TaskCommLen-1]
	}
	return name
}

// StartTime returns when the task was created.
func (t *Task) StartTime() time.Time {
	if t.proc.start.IsZero() {
		return t.k.BootTime
	}
	return t.proc.start
}

// Alive reports whether the task has not exited.
func (t *Task) Alive() bool {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return !t.exited
}

// ThreadGroups returns the processes that have a live task, in process id
// order.
func (k *Kernel) ThreadGroups() []*ThreadGroup {
	k.mu.Lock()
	seen := make(map[*ThreadGroup]struct{})
	var tgs []*ThreadGroup
	for _, t := range k.tasks {
		if _, ok := seen[t.tg]; !ok {
			seen[t.tg] = struct{}{}
			tgs = append(tgs, t.tg)
		}
	}
	k.mu.Unlock()
	sort.Slice(tgs, func(i, j int) bool { return tgs[i].tgid < tgs[j].tgid })
	return tgs
}

// NumTasks returns the number of live tasks (sysinfo's procs).
func (k *Kernel) NumTasks() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.tasks)
}

// LastTID returns the most recently allocated thread id (the last field
// of /proc/loadavg).
func (k *Kernel) LastTID() ThreadID {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nextTID - 1
}

// FDs returns the open file descriptors in increasing order.
func (ft *FDTable) FDs() []int32 {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var fds []int32
	for fd, e := range ft.fds {
		if e.file != nil {
			fds = append(fds, int32(fd))
		}
	}
	return fds
}

// Capacity is the number of slots of the table, rounded up like Linux's
// fdtable (a multiple of 64, at least 64): /proc/PID/status's FDSize.
func (ft *FDTable) Capacity() int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	n := (len(ft.fds) + 63) &^ 63
	return max(n, 64)
}

// WithFile calls fn with the file at fd and its close-on-exec flag while
// the table's lock is held, without taking a reference: fn must not block,
// keep f, or take any lock but the file's own leaf locks. It fails with
// EBADF if fd is not open.
func (ft *FDTable) WithFile(fd int32, fn func(f vfs.FileDescription, cloexec bool)) error {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if fd < 0 || int(fd) >= len(ft.fds) || ft.fds[fd].file == nil {
		return linux.EBADF
	}
	fn(ft.fds[fd].file, ft.fds[fd].cloexec)
	return nil
}

// inherit copies what /proc shows of a parent into a forked child, whose
// memory (and so its argument strings) is a copy of the parent's.
func (pi *tgProcInfo) inherit(parent *tgProcInfo) {
	parent.mu.Lock()
	defer parent.mu.Unlock()
	pi.exe = parent.exe
	pi.argStart, pi.argEnd = parent.argStart, parent.argEnd
	pi.envStart, pi.envEnd = parent.envStart, parent.envEnd
}
