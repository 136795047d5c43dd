package kernel

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/sentry/kernel/ipc"

	"golang.org/x/sys/unix"
)

// ipcState is the kernel's IPC namespace (the sandbox has one), made on
// first use.
type ipcState struct {
	once sync.Once
	ns   atomic.Pointer[ipc.Namespace]
}

// IPCNamespace returns the sandbox's System V IPC namespace. Its shared
// memory segments live on the memfd mount (MemfdMount); one that needs
// more than the host's RAM and swap needs SHM_NORESERVE.
func (k *Kernel) IPCNamespace() *ipc.Namespace {
	k.ipc.once.Do(func() {
		var limit uint64
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil {
			limit = (si.Totalram + si.Totalswap) * uint64(max(si.Unit, 1))
		}
		k.ipc.ns.Store(ipc.NewNamespace(k.MemfdMount(), limit))
	})
	return k.ipc.ns.Load()
}

// exitIPC applies the SEM_UNDO adjustments of tg, whose last task is
// exiting (Linux's exit_sem); without a namespace there are none.
func (tg *ThreadGroup) exitIPC() {
	if ns := tg.k.ipc.ns.Load(); ns != nil {
		ns.SemExit(int32(tg.tgid))
	}
}
