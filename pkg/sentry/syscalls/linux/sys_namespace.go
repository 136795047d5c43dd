package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
)

// nsSyscalls change a task's namespaces and what its UTS namespace holds.
var nsSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_SETHOSTNAME:   full(sethostname),
	linux.SYS_SETDOMAINNAME: full(setdomainname),
	linux.SYS_UNSHARE: partial(unshare, "new UTS, IPC and network namespaces; mount, pid, user, cgroup and "+
		"time namespaces are EINVAL; CLONE_FILES/CLONE_FS only where nothing is shared"),
}

// utsName reads the name argument of sethostname and setdomainname:
// EPERM without CAP_SYS_ADMIN, EINVAL for a length above 64, EFAULT.
func utsName(t *kernel.Task, a kernel.SyscallArgs) (string, error) {
	if !t.Credentials().HasCapability(linux.CAP_SYS_ADMIN) {
		return "", linux.EPERM
	}
	n := int64(a[1])
	if n < 0 || n > linux.UTSLen-1 {
		return "", linux.EINVAL
	}
	buf := make([]byte, n)
	if _, err := t.CopyIn(a[0], buf); err != nil {
		return "", linux.EFAULT
	}
	return string(buf), nil
}

func sethostname(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	name, err := utsName(t, a)
	if err != nil {
		return 0, err
	}
	t.UTSNamespace().SetHostname(name)
	return 0, nil
}

func setdomainname(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	name, err := utsName(t, a)
	if err != nil {
		return 0, err
	}
	t.UTSNamespace().SetDomainname(name)
	return 0, nil
}

func unshare(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.Unshare(a[0])
}
