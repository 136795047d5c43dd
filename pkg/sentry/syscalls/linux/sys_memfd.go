package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

// memfdSyscalls are the anonymous memory file calls.
var memfdSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_MEMFD_CREATE: partial(memfdCreate, "MFD_HUGETLB is EINVAL; F_SEAL_WRITE does not check for writable shared mappings"),
}

// memfdValidFlags are the flags memfd_create(2) knows (MFD_ALL_FLAGS,
// without the huge page size bits, which need MFD_HUGETLB).
const memfdValidFlags = linux.MFD_CLOEXEC | linux.MFD_ALLOW_SEALING | linux.MFD_HUGETLB | linux.MFD_NOEXEC_SEAL | linux.MFD_EXEC

func memfdCreate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	nameAddr, flags := a[0], uint32(a[1])
	// Linux checks the flags before the name.
	if flags&^memfdValidFlags != 0 || flags&linux.MFD_HUGETLB != 0 {
		return 0, linux.EINVAL
	}
	if flags&linux.MFD_EXEC != 0 && flags&linux.MFD_NOEXEC_SEAL != 0 {
		return 0, linux.EINVAL
	}
	name, err := usermem.CopyInString(t, nameAddr, linux.MFD_NAME_MAX_LEN)
	switch err {
	case nil:
	case linux.ENAMETOOLONG:
		return 0, linux.EINVAL
	default:
		return 0, linux.EFAULT
	}
	mount := t.Kernel().MemfdMount()
	if mount == nil {
		return 0, linux.ENOSYS
	}
	f, err := tmpfs.NewMemfd(t, mount, name, flags)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, flags&linux.MFD_CLOEXEC != 0, nofileLimit(t))
	return uint64(fd), err
}
