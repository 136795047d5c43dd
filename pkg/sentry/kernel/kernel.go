// Package kernel is the sentry's process model: the Kernel, thread groups,
// tasks (one goroutine each, locked to its OS thread for the platform),
// signals, futex glue, blocking and exit.
//
// Lock order (outer first):
//
//	Kernel.mu          (the process tree: parents, children, zombies,
//	                    process groups, sessions; process.go)
//	  ThreadGroup.mu   (the "signal lock": tasks, pending signals, masks,
//	                    exit and job control state of the group; host
//	                    timer callbacks take it too)
//	    signalHandlers.mu (the action table, maybe shared; sighand.go)
//	    signal waiter queues, then a signalfd's queue, then epoll's readyMu
//	    futex buckets, mm.MM.mu, pgalloc
//
// Tasks never hold a lock while switching to application code or while
// blocked.
//
// This package must not decode system call arguments: that is
// pkg/sentry/syscalls/linux, which calls into it.
package kernel

import (
	"fmt"
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/futex"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/strace"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// ThreadID is a task's id in the sandbox's (only) pid namespace.
type ThreadID int32

// Kernel is the sentry's kernel.
type Kernel struct {
	Platform platform.Platform
	MF       *pgalloc.MemoryFile
	Futexes  *futex.Manager
	Syscalls *SyscallTable
	// Strace, when non-nil, logs system calls.
	Strace *strace.Logger
	// Hostname is the UTS node name.
	Hostname string
	// StrictInit makes the first process ignore the signals it neither
	// handles nor blocks even when it sends them itself, as the init of
	// a pid namespace does (OCI containers); `runsc do` leaves it false
	// (see ThreadGroup.SendSignalFromApp).
	StrictInit bool
	// XStateSize is the size of the host's XSAVE area (the signal
	// frame's fpstate).
	XStateSize int
	// BootTime is when the kernel started (CLOCK_BOOTTIME's zero).
	BootTime time.Time
	// VFS and MountNS are the file system and the sandbox's mount
	// namespace.
	VFS     *vfs.VirtualFilesystem
	MountNS *vfs.MountNamespace

	// memfd is the internal mount of memfd_create(2) (memfd.go).
	memfd memfdState
	// ipc is the System V IPC namespace (ipc_ns.go).
	ipc ipcState
	// pause stops every task for runsc pause (pause.go).
	pause pauseState
	// rootUTS is the first UTS namespace (namespaces.go).
	rootUTS rootUTSState

	mu      sync.Mutex
	tasks   map[ThreadID]*Task
	nextTID ThreadID
	// The process tree (process.go): processes by pid (zombies
	// included), process groups and sessions by id, the first process
	// (the sandbox's init), how many processes still have tasks, and
	// whether init has ended but its done channel waits for the others.
	tgs             map[ThreadID]*ThreadGroup
	pgrps           map[ThreadID]*ProcessGroup
	sessions        map[ThreadID]*Session
	init            *ThreadGroup
	liveGroups      int
	initDonePending bool
	// ttys are the terminals' records, by identity (tty.go).
	ttys map[TTYKey]*TTY
}

// MaxThreads bounds the number of tasks (kernel.threads-max).
const MaxThreads = 1 << 15

// NewKernel returns a kernel with no tasks.
func NewKernel(p platform.Platform, mf *pgalloc.MemoryFile, table *SyscallTable) *Kernel {
	return &Kernel{
		Platform: p,
		MF:       mf,
		Futexes:  futex.NewManager(),
		Syscalls: table,
		BootTime: time.Now(),
		tasks:    make(map[ThreadID]*Task),
		nextTID:  1,
		tgs:      make(map[ThreadID]*ThreadGroup),
		pgrps:    make(map[ThreadID]*ProcessGroup),
		sessions: make(map[ThreadID]*Session),
	}
}

// allocTID assigns a thread id to t.
//
// Preconditions: k.mu is held.
func (k *Kernel) allocTID(t *Task) (ThreadID, error) {
	if len(k.tasks) >= MaxThreads {
		return 0, linux.EAGAIN
	}
	for {
		tid := k.nextTID
		k.nextTID++
		if k.nextTID > 1<<22 {
			k.nextTID = 2
		}
		// A pid stays taken while a zombie, process group or session
		// holds it.
		_, task := k.tasks[tid]
		_, tg := k.tgs[tid]
		_, pg := k.pgrps[tid]
		_, s := k.sessions[tid]
		if !task && !tg && !pg && !s {
			k.tasks[tid] = t
			return tid, nil
		}
	}
}

// TaskByID returns the live task with the given id.
func (k *Kernel) TaskByID(tid ThreadID) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks[tid]
}

// String is for debugging.
func (tid ThreadID) String() string { return fmt.Sprint(int32(tid)) }
