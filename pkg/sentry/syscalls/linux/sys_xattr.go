package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// xattrEntries are the extended attribute calls. The VFS checks the
// namespace rules and permissions; these handlers copy names and values
// and apply the size rules of fs/xattr.c.
var xattrEntries = map[uintptr]kernel.Syscall{
	linux.SYS_GETXATTR:     full(withFS(getxattr)),
	linux.SYS_LGETXATTR:    full(withFS(lgetxattr)),
	linux.SYS_FGETXATTR:    full(fgetxattr),
	linux.SYS_SETXATTR:     full(withFS(setxattr)),
	linux.SYS_LSETXATTR:    full(withFS(lsetxattr)),
	linux.SYS_FSETXATTR:    full(fsetxattr),
	linux.SYS_LISTXATTR:    full(withFS(listxattr)),
	linux.SYS_LLISTXATTR:   full(withFS(llistxattr)),
	linux.SYS_FLISTXATTR:   full(flistxattr),
	linux.SYS_REMOVEXATTR:  full(withFS(removexattr)),
	linux.SYS_LREMOVEXATTR: full(withFS(lremovexattr)),
	linux.SYS_FREMOVEXATTR: full(fremovexattr),
}

// copyInXattrName is import_xattr_name: an empty name or one longer than
// XATTR_NAME_MAX is ERANGE.
func copyInXattrName(t *kernel.Task, addr uint64) (string, error) {
	name, err := usermem.CopyInString(t, addr, linux.XATTR_NAME_MAX)
	if err == linux.ENAMETOOLONG || (err == nil && name == "") {
		return "", linux.ERANGE
	}
	return name, err
}

// xattrTarget names the file of an xattr call: a path (following a final
// symlink or not) or, for the f* calls, an fd (O_PATH files are EBADF).
// It is resolved only after the name (and value) are copied in, in
// Linux's order.
type xattrTarget struct {
	byFD   bool
	fd     int32
	addr   uint64
	follow bool
	// Set by resolve: the location, or outside for a file opened
	// outside the VFS, which has no extended attributes.
	vd      vfs.VirtualDentry
	outside bool
}

// resolve finds the file.
func (x *xattrTarget) resolve(t *kernel.Task) error {
	if x.byFD {
		vd, ok, err := fileTarget(t, x.fd)
		x.vd, x.outside = vd, !ok
		return err
	}
	vd, err := locatePath(t, x.addr, x.follow)
	x.vd = vd
	return err
}

func byPath(addr uint64, follow bool) xattrTarget { return xattrTarget{addr: addr, follow: follow} }
func byFD(fd uint64) xattrTarget                  { return xattrTarget{byFD: true, fd: int32(fd)} }

func getxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doGetxattr(t, byPath(a[0], true), a[1], a[2], a[3])
}

func lgetxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doGetxattr(t, byPath(a[0], false), a[1], a[2], a[3])
}

func fgetxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doGetxattr(t, byFD(a[0]), a[1], a[2], a[3])
}

// doGetxattr: size 0 asks for the value's length; a value larger than
// size is ERANGE (E2BIG once size reaches XATTR_SIZE_MAX, since no value
// can be larger).
func doGetxattr(t *kernel.Task, x xattrTarget, nameAddr, valueAddr, size uint64) (uint64, error) {
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	if err := x.resolve(t); err != nil {
		return 0, err
	}
	if x.outside {
		return 0, linux.EOPNOTSUPP
	}
	capped := min(size, linux.XATTR_SIZE_MAX)
	val, err := t.VFS().GetXattr(t, x.vd, name, capped)
	if err == nil && size != 0 && uint64(len(val)) > capped {
		err = linux.ERANGE
	}
	if err == linux.ERANGE && size >= linux.XATTR_SIZE_MAX {
		err = linux.E2BIG
	}
	if err != nil {
		return 0, err
	}
	if size != 0 && len(val) > 0 {
		if _, err := t.CopyOut(valueAddr, val); err != nil {
			return 0, linux.EFAULT
		}
	}
	return uint64(len(val)), nil
}

func setxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doSetxattr(t, byPath(a[0], true), a[1], a[2], a[3], uint32(a[4]))
}

func lsetxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doSetxattr(t, byPath(a[0], false), a[1], a[2], a[3], uint32(a[4]))
}

func fsetxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doSetxattr(t, byFD(a[0]), a[1], a[2], a[3], uint32(a[4]))
}

// doSetxattr is setxattr_copy and the set: flags, name, size (E2BIG above
// XATTR_SIZE_MAX) and value are checked before the file is looked up.
func doSetxattr(t *kernel.Task, x xattrTarget, nameAddr, valueAddr, size uint64, flags uint32) error {
	if flags&^(linux.XATTR_CREATE|linux.XATTR_REPLACE) != 0 {
		return linux.EINVAL
	}
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return err
	}
	if size > linux.XATTR_SIZE_MAX {
		return linux.E2BIG
	}
	value := make([]byte, size)
	if size > 0 {
		if _, err := t.CopyIn(valueAddr, value); err != nil {
			return linux.EFAULT
		}
	}
	if err := x.resolve(t); err != nil {
		return err
	}
	if x.outside {
		return linux.EOPNOTSUPP
	}
	return t.VFS().SetXattr(t, x.vd, name, value, flags)
}

func listxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doListxattr(t, byPath(a[0], true), a[1], a[2])
}

func llistxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doListxattr(t, byPath(a[0], false), a[1], a[2])
}

func flistxattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doListxattr(t, byFD(a[0]), a[1], a[2])
}

// doListxattr writes the names, each NUL-terminated; size 0 asks for the
// length of the list.
func doListxattr(t *kernel.Task, x xattrTarget, listAddr, size uint64) (uint64, error) {
	if err := x.resolve(t); err != nil {
		return 0, err
	}
	if x.outside {
		return 0, nil
	}
	capped := min(size, linux.XATTR_LIST_MAX)
	names, err := t.VFS().ListXattr(t, x.vd, capped)
	var list []byte
	for _, n := range names {
		list = append(append(list, n...), 0)
	}
	if err == nil && size != 0 && uint64(len(list)) > capped {
		err = linux.ERANGE
	}
	if err == linux.ERANGE && size >= linux.XATTR_LIST_MAX {
		err = linux.E2BIG
	}
	if err != nil {
		return 0, err
	}
	if size != 0 && len(list) > 0 {
		if _, err := t.CopyOut(listAddr, list); err != nil {
			return 0, linux.EFAULT
		}
	}
	return uint64(len(list)), nil
}

func removexattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRemovexattr(t, byPath(a[0], true), a[1])
}

func lremovexattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRemovexattr(t, byPath(a[0], false), a[1])
}

func fremovexattr(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRemovexattr(t, byFD(a[0]), a[1])
}

func doRemovexattr(t *kernel.Task, x xattrTarget, nameAddr uint64) error {
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return err
	}
	if err := x.resolve(t); err != nil {
		return err
	}
	if x.outside {
		return linux.EOPNOTSUPP
	}
	return t.VFS().RemoveXattr(t, x.vd, name)
}
