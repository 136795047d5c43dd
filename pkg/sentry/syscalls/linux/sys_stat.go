package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// statEntries read attributes and check access.
var statEntries = map[uintptr]kernel.Syscall{
	linux.SYS_STAT:       full(withFS(stat)),
	linux.SYS_LSTAT:      full(withFS(lstat)),
	linux.SYS_NEWFSTATAT: full(newfstatat),
	linux.SYS_STATX:      partial(statx, "the AT_STATX_* sync modes all use the cached attributes"),
	linux.SYS_ACCESS:     full(withFS(access)),
	linux.SYS_FACCESSAT:  full(withFS(faccessat)),
	linux.SYS_FACCESSAT2: full(withFS(faccessat2)),
	linux.SYS_STATFS:     full(withFS(statfs)),
	linux.SYS_FSTATFS:    partial(fstatfs, "files outside the VFS (pipes, eventfd, host FDs) report a generic file system of their type"),
}

func stat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, fstatat(t, linux.AT_FDCWD, a[0], a[1], 0)
}

func lstat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, fstatat(t, linux.AT_FDCWD, a[0], a[1], linux.AT_SYMLINK_NOFOLLOW)
}

func newfstatat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, fstatat(t, int32(a[0]), a[1], a[2], uint32(a[3]))
}

// fstatat is vfs_fstatat: AT_EMPTY_PATH stats dirfd itself, whatever kind
// of file it is (as fstat does).
func fstatat(t *kernel.Task, dirfd int32, pathAddr, statAddr uint64, flags uint32) error {
	if flags&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_NO_AUTOMOUNT|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	path, err := copyInPathEmptyOK(t, pathAddr, flags)
	if err != nil {
		return err
	}
	vd, f, err := locate(t, t, dirfd, path, flags&linux.AT_EMPTY_PATH != 0, flags&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return err
	}
	var st linux.Stat
	if f != nil {
		defer f.DecRef()
		st, err = f.Stat()
	} else {
		var sx linux.Statx
		sx, err = t.VFS().Stat(vd)
		st = vfs.StatFromStatx(&sx)
	}
	if err != nil {
		return err
	}
	return copyOutStruct(t, statAddr, &st)
}

// statxFromStat converts the struct stat of a file outside the VFS.
func statxFromStat(st *linux.Stat) linux.Statx {
	devMajor, devMinor := linux.DecodeDev(st.Dev)
	rdevMajor, rdevMinor := linux.DecodeDev(st.Rdev)
	ts := func(t linux.Timespec) linux.StatxTimestamp {
		return linux.StatxTimestamp{Sec: t.Sec, Nsec: uint32(t.Nsec)}
	}
	return linux.Statx{
		Mask:      linux.STATX_BASIC_STATS,
		Blksize:   uint32(st.Blksize),
		Nlink:     uint32(st.Nlink),
		UID:       st.UID,
		GID:       st.GID,
		Mode:      uint16(st.Mode),
		Ino:       st.Ino,
		Size:      uint64(st.Size),
		Blocks:    uint64(st.Blocks),
		Atime:     ts(st.ATime),
		Mtime:     ts(st.MTime),
		Ctime:     ts(st.CTime),
		RdevMajor: rdevMajor,
		RdevMinor: rdevMinor,
		DevMajor:  devMajor,
		DevMinor:  devMinor,
	}
}

func statx(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	dirfd, pathAddr, flags, mask, addr := int32(a[0]), a[1], uint32(a[2]), uint32(a[3]), a[4]
	if flags&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH|linux.AT_NO_AUTOMOUNT|linux.AT_STATX_SYNC_TYPE) != 0 {
		return 0, linux.EINVAL
	}
	if mask&linux.STATX__RESERVED != 0 || flags&linux.AT_STATX_SYNC_TYPE == linux.AT_STATX_SYNC_TYPE {
		return 0, linux.EINVAL
	}
	path, err := copyInPathEmptyOK(t, pathAddr, flags)
	if err != nil {
		return 0, err
	}
	vd, f, err := locate(t, t, dirfd, path, flags&linux.AT_EMPTY_PATH != 0, flags&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	var sx linux.Statx
	if f != nil {
		defer f.DecRef()
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		sx = statxFromStat(&st)
	} else if sx, err = t.VFS().Stat(vd); err != nil {
		return 0, err
	}
	// As Linux, the result mask says what is valid, which may be more
	// than was asked for; fields that are not valid are zero.
	return 0, copyOutStruct(t, addr, &sx)
}

func access(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doAccess(t, linux.AT_FDCWD, a[0], uint32(a[1]), 0)
}

func faccessat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doAccess(t, int32(a[0]), a[1], uint32(a[2]), 0)
}

func faccessat2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doAccess(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]))
}

// credsContext is a task acting with other credentials: access(2) checks
// with the real IDs (the path walk too).
type credsContext struct {
	*kernel.Task
	creds *auth.Credentials
}

// Credentials implements vfs.Context.
func (c credsContext) Credentials() *auth.Credentials { return c.creds }

// accessCreds is access_override_creds: the filesystem IDs become the
// real ones, and the effective capabilities are cleared for a non-root
// real UID (root's become its permitted set). c itself is returned when
// nothing changes.
func accessCreds(c *auth.Credentials) *auth.Credentials {
	eff := c.Permitted
	if c.RealUID != 0 {
		eff = 0
	}
	if c.FilesystemUID == c.RealUID && c.FilesystemGID == c.RealGID && c.Effective == eff {
		return c
	}
	n := c.Fork()
	n.FilesystemUID, n.FilesystemGID, n.Effective = n.RealUID, n.RealGID, eff
	return n
}

// doAccess is do_faccessat.
func doAccess(t *kernel.Task, dirfd int32, addr uint64, mode, flags uint32) error {
	if mode&^(linux.R_OK|linux.W_OK|linux.X_OK) != 0 {
		return linux.EINVAL
	}
	if flags&^(linux.AT_EACCESS|linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	var ctx vfs.Context = t
	if flags&linux.AT_EACCESS == 0 {
		if c := accessCreds(t.Credentials()); c != t.Credentials() {
			ctx = credsContext{Task: t, creds: c}
		}
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return err
	}
	vd, f, err := locate(t, ctx, dirfd, path, flags&linux.AT_EMPTY_PATH != 0, flags&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return err
	}
	if f == nil {
		return t.VFS().Access(ctx, vd, mode)
	}
	// A file outside the VFS: its mode decides.
	defer f.DecRef()
	if mode == linux.F_OK {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	sx := statxFromStat(&st)
	var want uint32
	if mode&linux.R_OK != 0 {
		want |= vfs.MayRead
	}
	if mode&linux.W_OK != 0 {
		want |= vfs.MayWrite
	}
	if mode&linux.X_OK != 0 {
		want |= vfs.MayExec
	}
	return vfs.MayAccess(ctx.Credentials(), &sx, want)
}

func statfs(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	vd, err := locatePath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	sfs, err := t.VFS().StatFS(t, vd)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, a[1], &sfs)
}

// anonStatfs is what fstatfs reports for a file outside the VFS: the
// pseudo file system Linux keeps such files on, chosen by file type.
func anonStatfs(f vfs.FileDescription) (linux.Statfs, error) {
	st, err := f.Stat()
	if err != nil {
		return linux.Statfs{}, err
	}
	sfs := linux.Statfs{Type: linux.ANON_INODE_FS_MAGIC, Bsize: 4096, Frsize: 4096, Namelen: linux.NAME_MAX, Flags: linux.ST_VALID}
	switch st.Mode & linux.S_IFMT {
	case linux.S_IFIFO:
		sfs.Type = linux.PIPEFS_MAGIC
	case linux.S_IFSOCK:
		sfs.Type = linux.SOCKFS_MAGIC
	case linux.S_IFCHR:
		sfs.Type = linux.DEVPTS_SUPER_MAGIC
	}
	return sfs, nil
}

func fstatfs(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, _, err := t.FDTable().Get(int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var sfs linux.Statfs
	if vd, ok := vfsLocation(f); ok {
		sfs, err = t.VFS().StatFS(t, vd)
	} else {
		sfs, err = anonStatfs(f)
	}
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, a[1], &sfs)
}
