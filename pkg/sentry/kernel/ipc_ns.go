package kernel

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/sentry/kernel/ipc"

	"golang.org/x/sys/unix"
)

// ipcState is the sandbox's first IPC namespace, made on first use
// (processes may make more: namespaces.go).
type ipcState struct {
	once sync.Once
	ns   atomic.Pointer[ipc.Namespace]
}

// IPCNamespace returns the sandbox's first System V IPC namespace.
func (k *Kernel) IPCNamespace() *ipc.Namespace {
	k.ipc.once.Do(func() { k.ipc.ns.Store(k.newIPCNamespace()) })
	return k.ipc.ns.Load()
}

// newIPCNamespace returns an empty IPC namespace. Its shared memory
// segments live on the memfd mount (MemfdMount); one that needs more than
// the host's RAM and swap needs SHM_NORESERVE.
func (k *Kernel) newIPCNamespace() *ipc.Namespace {
	var limit uint64
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		limit = (si.Totalram + si.Totalswap) * uint64(max(si.Unit, 1))
	}
	return ipc.NewNamespace(k.MemfdMount(), limit)
}

// exitIPC applies the SEM_UNDO adjustments of tg, whose last task last
// is exiting (Linux's exit_sem), in the first namespace and in last's own;
// without a namespace there are none.
func (tg *ThreadGroup) exitIPC(last *Task) {
	if ns := tg.k.ipc.ns.Load(); ns != nil {
		ns.SemExit(int32(tg.tgid))
	}
	if s := last.ns.Load(); s != nil && s.ipc != nil {
		s.ipc.SemExit(int32(tg.tgid))
	}
}
