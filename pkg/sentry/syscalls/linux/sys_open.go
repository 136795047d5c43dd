package linux

import (
	"encoding/binary"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const tmpfileNote = "O_TMPFILE on tmpfs only (EOPNOTSUPP elsewhere; libc falls back to a named file); the fd is installed after the open, so EMFILE can follow a creation"

// openEntries open (and create) files.
var openEntries = map[uintptr]kernel.Syscall{
	linux.SYS_OPEN:    partial(withFS(open), tmpfileNote),
	linux.SYS_OPENAT:  partial(withFS(openat), tmpfileNote),
	linux.SYS_OPENAT2: partial(withFS(openat2), tmpfileNote+"; RESOLVE_CACHED resolves normally"),
	linux.SYS_CREAT:   full(withFS(creat)),
}

// oTmpfileBit is __O_TMPFILE, the bit O_TMPFILE adds to O_DIRECTORY, and
// oSyncBit __O_SYNC, the bit O_SYNC adds to O_DSYNC
// (include/uapi/asm-generic/fcntl.h).
const (
	oTmpfileBit = linux.O_TMPFILE &^ linux.O_DIRECTORY
	oSyncBit    = linux.O_SYNC &^ linux.O_DSYNC
)

// willCreate is WILL_CREATE: the flags make a file and use the mode.
func willCreate(flags uint64) bool { return flags&(linux.O_CREAT|oTmpfileBit) != 0 }

// legacyOpenHow is build_open_how: open and openat drop unknown flags and
// mode bits instead of failing, and always add O_LARGEFILE on 64-bit
// (force_o_largefile), except to O_PATH.
func legacyOpenHow(flags, mode uint32) linux.OpenHow {
	how := linux.OpenHow{Flags: uint64(flags) & linux.VALID_OPEN_FLAGS, Mode: uint64(mode) & linux.S_IALLUGO}
	if how.Flags&linux.O_PATH != 0 {
		how.Flags &= linux.O_PATH_FLAGS
	} else {
		how.Flags |= linux.O_LARGEFILE
	}
	if !willCreate(how.Flags) {
		how.Mode = 0
	}
	return how
}

func open(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doOpen(t, linux.AT_FDCWD, a[0], legacyOpenHow(uint32(a[1]), uint32(a[2])))
}

func openat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doOpen(t, int32(a[0]), a[1], legacyOpenHow(uint32(a[2]), uint32(a[3])))
}

func creat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doOpen(t, linux.AT_FDCWD, a[0], legacyOpenHow(linux.O_CREAT|linux.O_WRONLY|linux.O_TRUNC, uint32(a[1])))
}

func openat2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	how, err := copyInOpenHow(t, a[2], a[3])
	if err != nil {
		return 0, err
	}
	if how.Flags&^uint64(linux.VALID_OPEN_FLAGS) != 0 || how.Resolve&^uint64(linux.VALID_RESOLVE_FLAGS) != 0 {
		return 0, linux.EINVAL
	}
	if how.Flags&linux.O_PATH == 0 {
		how.Flags |= linux.O_LARGEFILE
	}
	return doOpen(t, int32(a[0]), a[1], how)
}

// copyInOpenHow reads openat2's struct open_how as copy_struct_from_user
// does: smaller than the first version is EINVAL, larger than a page
// E2BIG, and a larger struct is accepted only if the bytes this kernel
// does not know are zero (E2BIG otherwise).
func copyInOpenHow(io usermem.IO, addr, size uint64) (linux.OpenHow, error) {
	var how linux.OpenHow
	if size < linux.SizeOfOpenHow {
		return how, linux.EINVAL
	}
	if size > usermem.PageSize {
		return how, linux.E2BIG
	}
	buf := make([]byte, size)
	if _, err := io.CopyIn(addr, buf); err != nil {
		return how, linux.EFAULT
	}
	for _, b := range buf[linux.SizeOfOpenHow:] {
		if b != 0 {
			return how, linux.E2BIG
		}
	}
	how.Flags = binary.LittleEndian.Uint64(buf[0:])
	how.Mode = binary.LittleEndian.Uint64(buf[8:])
	how.Resolve = binary.LittleEndian.Uint64(buf[16:])
	return how, nil
}

// checkOpenHow is build_open_flags' validation of the decoded flags.
func checkOpenHow(how *linux.OpenHow) error {
	flags := how.Flags
	if how.Resolve&linux.RESOLVE_BENEATH != 0 && how.Resolve&linux.RESOLVE_IN_ROOT != 0 {
		return linux.EINVAL
	}
	if willCreate(flags) {
		if how.Mode&^linux.S_IALLUGO != 0 {
			return linux.EINVAL
		}
	} else if how.Mode != 0 {
		return linux.EINVAL
	}
	if flags&(linux.O_DIRECTORY|linux.O_CREAT) == linux.O_DIRECTORY|linux.O_CREAT {
		return linux.EINVAL
	}
	if flags&oTmpfileBit != 0 {
		acc := flags & linux.O_ACCMODE
		if flags&linux.O_DIRECTORY == 0 || (acc != linux.O_WRONLY && acc != linux.O_RDWR) {
			return linux.EINVAL
		}
	}
	if flags&linux.O_PATH != 0 && flags&^linux.O_PATH_FLAGS != 0 {
		return linux.EINVAL
	}
	if how.Resolve&linux.RESOLVE_CACHED != 0 && flags&(linux.O_TRUNC|linux.O_CREAT|oTmpfileBit) != 0 {
		return linux.EAGAIN
	}
	return nil
}

// doOpen opens the file how describes and installs it in the FD table.
func doOpen(t *kernel.Task, dirfd int32, pathAddr uint64, how linux.OpenHow) (uint64, error) {
	if err := checkOpenHow(&how); err != nil {
		return 0, err
	}
	flags := how.Flags
	if flags&oSyncBit != 0 {
		flags |= linux.O_DSYNC
	}
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return 0, err
	}
	if how.Resolve&linux.RESOLVE_IN_ROOT != 0 && strings.HasPrefix(path, "/") {
		// Under RESOLVE_IN_ROOT an absolute path starts at dirfd, which
		// is the walk's root.
		if path = strings.TrimLeft(path, "/"); path == "" {
			path = "."
		}
	}
	pop, err := pathOp(t, dirfd, path, flags&linux.O_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	pop.Resolve = how.Resolve
	mode := uint32(how.Mode) &^ t.FSContext().Umask()
	var f vfs.FileDescription
	if flags&oTmpfileBit != 0 {
		f, err = t.VFS().OpenTmpfile(t, pop, uint32(flags), mode)
	} else {
		f, err = t.VFS().OpenAt(t, pop, vfs.OpenOptions{Flags: uint32(flags), Mode: mode})
	}
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, flags&linux.O_CLOEXEC != 0, nofileLimit(t))
	if err != nil {
		return 0, err
	}
	return uint64(fd), nil
}
