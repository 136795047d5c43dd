package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/usermem"
)

// capabilitySyscalls read and change capability sets (kernel/capability.c);
// the rules of a change live in pkg/sentry/kernel/auth.
var capabilitySyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_CAPGET: partial(capget, "a zombie's sets are ESRCH; no ambient set"),
	linux.SYS_CAPSET: partial(capset, "no ambient set, no file capabilities"),
}

// capWords reads the header's version (EFAULT if it cannot) and returns
// how many 32-bit words per set the version carries. An unknown version
// is EINVAL after the preferred version (3) has been written back to the
// header (EFAULT if that fails), as cap_validate_magic does.
func capWords(t *kernel.Task, hdr uint64) (int, error) {
	version, err := usermem.CopyInUint32(t, hdr)
	if err != nil {
		return 0, linux.EFAULT
	}
	switch version {
	case linux.LINUX_CAPABILITY_VERSION_1:
		return linux.LINUX_CAPABILITY_U32S_1, nil
	case linux.LINUX_CAPABILITY_VERSION_2, linux.LINUX_CAPABILITY_VERSION_3:
		return linux.LINUX_CAPABILITY_U32S_3, nil
	}
	if err := usermem.CopyOutUint32(t, hdr, linux.LINUX_CAPABILITY_VERSION_3); err != nil {
		return 0, linux.EFAULT
	}
	return 0, linux.EINVAL
}

// capHeaderPID reads the header's pid field.
func capHeaderPID(t *kernel.Task, hdr uint64) (int32, error) {
	pid, err := usermem.CopyInUint32(t, hdr+4)
	if err != nil {
		return 0, linux.EFAULT
	}
	return int32(pid), nil
}

// capget: a NULL data pointer only queries the version (0, also when the
// version was wrong and has been corrected). pid 0 or the caller's thread
// id is the caller; another thread id is that task (ESRCH if none).
func capget(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	hdr, data := a[0], a[1]
	words, err := capWords(t, hdr)
	if data == 0 {
		if err == linux.EINVAL {
			return 0, nil
		}
		return 0, err
	}
	if err != nil {
		return 0, err
	}
	pid, err := capHeaderPID(t, hdr)
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, linux.EINVAL
	}
	target := t
	if pid != 0 && kernel.ThreadID(pid) != t.ID() {
		if target = t.Kernel().TaskByID(kernel.ThreadID(pid)); target == nil {
			return 0, linux.ESRCH
		}
	}
	c := target.Credentials()
	out := make([]linux.CapUserData, words)
	for i := range out {
		shift := 32 * i
		out[i] = linux.CapUserData{
			Effective:   uint32(c.Effective >> shift),
			Permitted:   uint32(c.Permitted >> shift),
			Inheritable: uint32(c.Inheritable >> shift),
		}
	}
	return 0, copyOutStruct(t, data, out)
}

// capset changes the calling thread's sets only: another pid is EPERM.
// The sets are read in full (EFAULT) before any rule is checked.
func capset(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	hdr, data := a[0], a[1]
	words, err := capWords(t, hdr)
	if err != nil {
		return 0, err
	}
	pid, err := capHeaderPID(t, hdr)
	if err != nil {
		return 0, err
	}
	if pid != 0 && kernel.ThreadID(pid) != t.ID() {
		return 0, linux.EPERM
	}
	in := make([]linux.CapUserData, words)
	if err := copyInStruct(t, data, in); err != nil {
		return 0, err
	}
	var eff, perm, inh auth.CapSet
	for i, d := range in {
		shift := 32 * i
		eff |= auth.CapSet(d.Effective) << shift
		perm |= auth.CapSet(d.Permitted) << shift
		inh |= auth.CapSet(d.Inheritable) << shift
	}
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetCaps(eff, perm, inh) })
}
