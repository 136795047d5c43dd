package linux

import (
	"encoding/binary"
	"slices"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/usermem"
)

// credEntries read and change the calling thread's credentials. Rules
// live in pkg/sentry/kernel/auth; each change builds new credentials and
// publishes them (glibc applies a change to every thread itself).
var credEntries = map[uintptr]kernel.Syscall{
	linux.SYS_GETUID:    full(getuid),
	linux.SYS_GETEUID:   full(geteuid),
	linux.SYS_GETGID:    full(getgid),
	linux.SYS_GETEGID:   full(getegid),
	linux.SYS_GETRESUID: full(getresuid),
	linux.SYS_GETRESGID: full(getresgid),
	linux.SYS_GETGROUPS: full(getgroups),
	linux.SYS_SETUID:    full(setuid),
	linux.SYS_SETGID:    full(setgid),
	linux.SYS_SETREUID:  full(setreuid),
	linux.SYS_SETREGID:  full(setregid),
	linux.SYS_SETRESUID: full(setresuid),
	linux.SYS_SETRESGID: full(setresgid),
	linux.SYS_SETFSUID:  full(setfsuid),
	linux.SYS_SETFSGID:  full(setfsgid),
	linux.SYS_SETGROUPS: full(setgroups),
}

func getuid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.Credentials().RealUID), nil
}

func geteuid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.Credentials().EffectiveUID), nil
}

func getgid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.Credentials().RealGID), nil
}

func getegid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.Credentials().EffectiveGID), nil
}

// copyOutIDs writes ids to the addresses in order, stopping at the first
// fault, as Linux's chain of put_user does.
func copyOutIDs(t *kernel.Task, addrs []uint64, ids ...uint32) error {
	for i, addr := range addrs {
		if err := usermem.CopyOutUint32(t, addr, ids[i]); err != nil {
			return linux.EFAULT
		}
	}
	return nil
}

func getresuid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a[:3], uint32(c.RealUID), uint32(c.EffectiveUID), uint32(c.SavedUID))
}

func getresgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a[:3], uint32(c.RealGID), uint32(c.EffectiveGID), uint32(c.SavedGID))
}

// changeCreds applies change to a copy of the task's credentials and
// publishes it if change succeeds.
func changeCreds(t *kernel.Task, change func(c *auth.Credentials) error) error {
	c := t.Credentials().Fork()
	if err := change(c); err != nil {
		return err
	}
	t.SetCredentials(c)
	return nil
}

func setuid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetUID(uint32(a[0])) })
}

func setgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetGID(uint32(a[0])) })
}

func setreuid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetREUID(uint32(a[0]), uint32(a[1])) })
}

func setregid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetREGID(uint32(a[0]), uint32(a[1])) })
}

func setresuid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error {
		return c.SetResUID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
	})
}

func setresgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, changeCreds(t, func(c *auth.Credentials) error {
		return c.SetResGID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
	})
}

// setfsuid returns the previous filesystem UID whether or not it changed.
func setfsuid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	c := t.Credentials().Fork()
	old := c.SetFSUID(uint32(a[0]))
	if c.FilesystemUID != old || c.Effective != t.Credentials().Effective {
		t.SetCredentials(c)
	}
	return uint64(old), nil
}

func setfsgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	c := t.Credentials().Fork()
	old := c.SetFSGID(uint32(a[0]))
	if c.FilesystemGID != old {
		t.SetCredentials(c)
	}
	return uint64(old), nil
}

// getgroups: size 0 asks for the count; a smaller non-zero size is
// EINVAL.
func getgroups(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	size, addr := int32(a[0]), a[1]
	if size < 0 {
		return 0, linux.EINVAL
	}
	groups := t.Credentials().Groups
	if size == 0 {
		return uint64(len(groups)), nil
	}
	if int(size) < len(groups) {
		return 0, linux.EINVAL
	}
	buf := make([]byte, 0, 4*len(groups))
	for _, g := range groups {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(g))
	}
	if _, err := t.CopyOut(addr, buf); err != nil {
		return 0, linux.EFAULT
	}
	return uint64(len(groups)), nil
}

// setgroups checks the count (EINVAL above NGROUPS_MAX), then the
// capability (EPERM), then reads the list; groups are kept sorted, as
// Linux's groups_sort, so getgroups returns them in order.
func setgroups(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	size, addr := uint32(a[0]), a[1]
	if size > auth.NGROUPS_MAX {
		return 0, linux.EINVAL
	}
	if !t.Credentials().HasCapability(linux.CAP_SETGID) {
		return 0, linux.EPERM
	}
	raw := make([]byte, 4*int(size))
	if size > 0 {
		if _, err := t.CopyIn(addr, raw); err != nil {
			return 0, linux.EFAULT
		}
	}
	groups := make([]auth.GID, size)
	for i := range groups {
		groups[i] = auth.GID(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	slices.Sort(groups)
	return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetGroups(groups) })
}
