package kernel

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/ipc"
)

// Namespaces a task may have of its own (clone and unshare with
// CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET), as Linux's nsproxy: each task
// points at an immutable set, shared until a task makes a new one. A nil
// member is the sandbox's root namespace of that kind.
//
// The network namespace has no state: the sandbox has no network stack,
// so a new one is indistinguishable from the first (no interfaces, no
// sockets). Mount, pid, user, cgroup and time namespaces are not
// supported: asking for one is EINVAL.

// UTSNamespace holds the names uname(2) reports as nodename and
// domainname.
type UTSNamespace struct {
	mu         sync.Mutex
	hostname   string
	domainname string
}

// Hostname returns the node name.
func (u *UTSNamespace) Hostname() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hostname
}

// Domainname returns the NIS domain name.
func (u *UTSNamespace) Domainname() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.domainname
}

// SetHostname sets the node name.
func (u *UTSNamespace) SetHostname(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hostname = s
}

// SetDomainname sets the NIS domain name.
func (u *UTSNamespace) SetDomainname(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.domainname = s
}

// clone returns a new namespace with u's names.
func (u *UTSNamespace) clone() *UTSNamespace {
	u.mu.Lock()
	defer u.mu.Unlock()
	return &UTSNamespace{hostname: u.hostname, domainname: u.domainname}
}

// nsSet is a task's set of namespaces; nil members are the root ones.
type nsSet struct {
	uts *UTSNamespace
	ipc *ipc.Namespace
}

// rootUTSState is the kernel's first UTS namespace, made on first use
// from Kernel.Hostname.
type rootUTSState struct {
	once sync.Once
	ns   atomic.Pointer[UTSNamespace]
}

// RootUTSNamespace returns the sandbox's first UTS namespace.
func (k *Kernel) RootUTSNamespace() *UTSNamespace {
	k.rootUTS.once.Do(func() {
		k.rootUTS.ns.Store(&UTSNamespace{hostname: k.Hostname, domainname: "(none)"})
	})
	return k.rootUTS.ns.Load()
}

// UTSNamespace returns t's UTS namespace.
func (t *Task) UTSNamespace() *UTSNamespace {
	if s := t.ns.Load(); s != nil && s.uts != nil {
		return s.uts
	}
	return t.k.RootUTSNamespace()
}

// IPCNamespace returns t's System V IPC namespace.
func (t *Task) IPCNamespace() *ipc.Namespace {
	if s := t.ns.Load(); s != nil && s.ipc != nil {
		return s.ipc
	}
	return t.k.IPCNamespace()
}

// nsFlags are the namespace flags of clone and unshare that the sandbox
// supports; unsupportedNSFlags those it refuses.
const (
	nsFlags            = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
	unsupportedNSFlags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWCGROUP
)

// newNamespaces returns t's namespaces with new ones for flags (nsFlags
// only; the caller has checked CAP_SYS_ADMIN). CLONE_NEWNET needs no
// state.
func (t *Task) newNamespaces(flags uint64) *nsSet {
	if flags&(CLONE_NEWUTS|CLONE_NEWIPC) == 0 {
		return t.ns.Load()
	}
	var s nsSet
	if old := t.ns.Load(); old != nil {
		s = *old
	}
	if flags&CLONE_NEWUTS != 0 {
		s.uts = t.UTSNamespace().clone()
	}
	if flags&CLONE_NEWIPC != 0 {
		s.ipc = t.k.newIPCNamespace()
	}
	return &s
}

// checkNewNamespaces checks namespace flags of clone or unshare: EINVAL
// for kinds the sandbox does not support, EPERM without CAP_SYS_ADMIN.
func (t *Task) checkNewNamespaces(flags uint64) error {
	if flags&unsupportedNSFlags != 0 {
		return linux.EINVAL
	}
	if flags&nsFlags != 0 && !t.Credentials().HasCapability(linux.CAP_SYS_ADMIN) {
		return linux.EPERM
	}
	return nil
}

// unshareFlags are the flags unshare(2) accepts at all.
const unshareFlags = CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES |
	CLONE_SYSVSEM | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID |
	CLONE_NEWCGROUP | CLONE_NEWTIME

// Unshare implements unshare(2): t gets new UTS, IPC or network
// namespaces. CLONE_THREAD, CLONE_SIGHAND and CLONE_VM are allowed only
// in a process with one thread, where they change nothing. Unlike Linux,
// which makes private copies, CLONE_FILES is refused (EINVAL) when
// another process shares the FD table and CLONE_FS when other threads
// share the file system context; otherwise they change nothing (a
// context shared with a CLONE_FS child process stays shared).
// CLONE_SYSVSEM changes nothing here.
func (t *Task) Unshare(flags uint64) error {
	if flags&^unshareFlags != 0 || flags&CLONE_NEWTIME != 0 {
		return linux.EINVAL
	}
	if err := t.checkNewNamespaces(flags); err != nil {
		return err
	}
	if flags&(CLONE_THREAD|CLONE_SIGHAND|CLONE_VM|CLONE_FS) != 0 && len(t.tg.Tasks()) > 1 {
		return linux.EINVAL
	}
	if flags&CLONE_FILES != 0 && t.tg.fds.users.Load() > 1 {
		return linux.EINVAL
	}
	if flags&CLONE_NEWIPC != 0 {
		// Leaving a namespace applies this process's undo list there,
		// as Linux's exit_sem at unshare.
		t.IPCNamespace().SemExit(int32(t.tg.tgid))
	}
	t.ns.Store(t.newNamespaces(flags))
	return nil
}
