package linux

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

const anonAttrNote = "on a file outside the VFS (pipe, eventfd, host FD) it succeeds without effect"

// attrEntries change attributes: mode, owner, times, size.
var attrEntries = map[uintptr]kernel.Syscall{
	linux.SYS_CHMOD:     full(withFS(chmod)),
	linux.SYS_FCHMOD:    partial(fchmod, anonAttrNote),
	linux.SYS_FCHMODAT:  full(withFS(fchmodat)),
	linux.SYS_FCHMODAT2: full(withFS(fchmodat2)),
	linux.SYS_CHOWN:     full(withFS(chown)),
	linux.SYS_LCHOWN:    full(withFS(lchown)),
	linux.SYS_FCHOWN:    partial(fchown, anonAttrNote),
	linux.SYS_FCHOWNAT:  full(withFS(fchownat)),
	linux.SYS_UTIME:     full(withFS(utime)),
	linux.SYS_UTIMES:    full(withFS(utimes)),
	linux.SYS_FUTIMESAT: full(withFS(futimesat)),
	linux.SYS_UTIMENSAT: partial(withFS(utimensat), anonAttrNote),
	linux.SYS_TRUNCATE:  full(withFS(truncate)),
	linux.SYS_FTRUNCATE: full(ftruncate),
}

// fileTarget is the file of an f* call (fchmod, fchown, futimens): its
// location, or ok == false for a file outside the VFS. O_PATH files are
// EBADF, as Linux's fdget.
func fileTarget(t *kernel.Task, fd int32) (vd vfs.VirtualDentry, ok bool, err error) {
	f, err := getFileNoPath(t, fd)
	if err != nil {
		return vfs.VirtualDentry{}, false, err
	}
	defer f.DecRef()
	vd, ok = vfsLocation(f)
	return vd, ok, nil
}

// atTarget resolves the target of an *at attribute call that accepts
// AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH; ok is false for a file outside
// the VFS.
func atTarget(t *kernel.Task, dirfd int32, addr uint64, flags uint32) (vfs.VirtualDentry, bool, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return vfs.VirtualDentry{}, false, err
	}
	vd, f, err := locate(t, t, dirfd, path, flags&linux.AT_EMPTY_PATH != 0, flags&linux.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return vfs.VirtualDentry{}, false, err
	}
	if f != nil {
		f.DecRef()
		return vfs.VirtualDentry{}, false, nil
	}
	return vd, true, nil
}

// chmodCommon is chmod_common: the mode of a symlink cannot change
// (EOPNOTSUPP, after the read-only check, as notify_change).
func chmodCommon(t *kernel.Task, vd vfs.VirtualDentry, mode uint32) error {
	if vd.Mount.ReadOnly() {
		return linux.EROFS
	}
	st, err := vd.Dentry.Inode().Stat()
	if err != nil {
		return err
	}
	if vfs.IsSymlink(st.Mode) {
		return linux.EOPNOTSUPP
	}
	return t.VFS().SetStat(t, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: mode & linux.S_IALLUGO})
}

func chmod(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChmodat(t, linux.AT_FDCWD, a[0], uint32(a[1]), 0)
}

func fchmodat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChmodat(t, int32(a[0]), a[1], uint32(a[2]), 0)
}

func fchmodat2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChmodat(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]))
}

func doChmodat(t *kernel.Task, dirfd int32, addr uint64, mode, flags uint32) error {
	if flags&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	vd, ok, err := atTarget(t, dirfd, addr, flags)
	if err != nil || !ok {
		return err
	}
	return chmodCommon(t, vd, mode)
}

func fchmod(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	vd, ok, err := fileTarget(t, int32(a[0]))
	if err != nil || !ok {
		return 0, err
	}
	return 0, chmodCommon(t, vd, uint32(a[1]))
}

// chownCommon is chown_common: -1 leaves an ID unchanged.
func chownCommon(t *kernel.Task, vd vfs.VirtualDentry, uid, gid uint32) error {
	var opts vfs.SetStatOptions
	if uid != auth.NoID {
		opts.Mask |= linux.STATX_UID
		opts.UID = auth.UID(uid)
	}
	if gid != auth.NoID {
		opts.Mask |= linux.STATX_GID
		opts.GID = auth.GID(gid)
	}
	return t.VFS().SetStat(t, vd, opts)
}

func chown(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChownat(t, linux.AT_FDCWD, a[0], uint32(a[1]), uint32(a[2]), 0)
}

func lchown(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChownat(t, linux.AT_FDCWD, a[0], uint32(a[1]), uint32(a[2]), linux.AT_SYMLINK_NOFOLLOW)
}

func fchownat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doChownat(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]), uint32(a[4]))
}

func doChownat(t *kernel.Task, dirfd int32, addr uint64, uid, gid, flags uint32) error {
	if flags&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	vd, ok, err := atTarget(t, dirfd, addr, flags)
	if err != nil || !ok {
		return err
	}
	return chownCommon(t, vd, uid, gid)
}

func fchown(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	vd, ok, err := fileTarget(t, int32(a[0]))
	if err != nil || !ok {
		return 0, err
	}
	return 0, chownCommon(t, vd, uint32(a[1]), uint32(a[2]))
}

// nsecValid is nsec_valid: a nanosecond field of utimensat.
func nsecValid(nsec int64) bool {
	return nsec == linux.UTIME_NOW || nsec == linux.UTIME_OMIT || (nsec >= 0 && nsec < int64(time.Second))
}

// setTimes is vfs_utimes; times nil means both "now". Setting both to now
// needs only write access; anything else (even one UTIME_NOW beside a
// UTIME_OMIT) is an explicit change that only the owner may make, as
// Linux's ATTR_TIMES_SET: the VFS sees those as explicit times.
func setTimes(t *kernel.Task, vd vfs.VirtualDentry, times *[2]linux.Timespec) error {
	opts := vfs.SetStatOptions{
		Mask:  linux.STATX_ATIME | linux.STATX_MTIME,
		Atime: linux.Timespec{Nsec: linux.UTIME_NOW},
		Mtime: linux.Timespec{Nsec: linux.UTIME_NOW},
	}
	if times != nil {
		if !nsecValid(times[0].Nsec) || !nsecValid(times[1].Nsec) {
			return linux.EINVAL
		}
		if times[0].Nsec != linux.UTIME_NOW || times[1].Nsec != linux.UTIME_NOW {
			now := time.Now()
			nowTS := linux.Timespec{Sec: now.Unix(), Nsec: int64(now.Nanosecond())}
			opts.Atime, opts.Mtime = times[0], times[1]
			for _, ts := range []*linux.Timespec{&opts.Atime, &opts.Mtime} {
				if ts.Nsec == linux.UTIME_NOW {
					*ts = nowTS
				}
			}
		}
	}
	return t.VFS().SetStat(t, vd, opts)
}

// doUtimes is do_utimes: a NULL path with a real dirfd changes the file at
// dirfd (futimens).
func doUtimes(t *kernel.Task, dirfd int32, addr uint64, times *[2]linux.Timespec, flags uint32) error {
	if addr == 0 && dirfd != linux.AT_FDCWD {
		if flags != 0 {
			return linux.EINVAL
		}
		vd, ok, err := fileTarget(t, dirfd)
		if err != nil || !ok {
			return err
		}
		return setTimes(t, vd, times)
	}
	if flags&^(linux.AT_SYMLINK_NOFOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	vd, ok, err := atTarget(t, dirfd, addr, flags)
	if err != nil || !ok {
		return err
	}
	return setTimes(t, vd, times)
}

func utime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	var times *[2]linux.Timespec
	if a[1] != 0 {
		var ub linux.Utimbuf
		if err := copyInStruct(t, a[1], &ub); err != nil {
			return 0, err
		}
		times = &[2]linux.Timespec{{Sec: ub.Actime}, {Sec: ub.Modtime}}
	}
	return 0, doUtimes(t, linux.AT_FDCWD, a[0], times, 0)
}

func utimes(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doFutimesat(t, linux.AT_FDCWD, a[0], a[1])
}

func futimesat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doFutimesat(t, int32(a[0]), a[1], a[2])
}

// doFutimesat reads struct timeval[2]: microseconds outside [0, 1e6) are
// EINVAL before the path is looked at.
func doFutimesat(t *kernel.Task, dirfd int32, addr, timesAddr uint64) error {
	var times *[2]linux.Timespec
	if timesAddr != 0 {
		var tv [2]linux.Timeval
		if err := copyInStruct(t, timesAddr, &tv); err != nil {
			return err
		}
		for _, v := range tv {
			if v.Usec < 0 || v.Usec >= int64(time.Second/time.Microsecond) {
				return linux.EINVAL
			}
		}
		times = &[2]linux.Timespec{
			{Sec: tv[0].Sec, Nsec: tv[0].Usec * int64(time.Microsecond)},
			{Sec: tv[1].Sec, Nsec: tv[1].Usec * int64(time.Microsecond)},
		}
	}
	return doUtimes(t, dirfd, addr, times, 0)
}

func utimensat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	dirfd, addr, timesAddr, flags := int32(a[0]), a[1], a[2], uint32(a[3])
	var times *[2]linux.Timespec
	if timesAddr != 0 {
		times = new([2]linux.Timespec)
		if err := copyInStruct(t, timesAddr, times); err != nil {
			return 0, err
		}
		if times[0].Nsec == linux.UTIME_OMIT && times[1].Nsec == linux.UTIME_OMIT {
			// Nothing to do: not even the path is checked.
			return 0, nil
		}
	}
	return 0, doUtimes(t, dirfd, addr, times, flags)
}

func truncate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	length := int64(a[1])
	if length < 0 {
		return 0, linux.EINVAL
	}
	vd, err := locatePath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	return 0, t.VFS().Truncate(t, vd, uint64(length))
}

// ftruncate is do_ftruncate: the file must be a regular file open for
// writing (EINVAL otherwise, including files outside the VFS); the open
// mode is the permission, so no access check is made.
func ftruncate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	length := int64(a[1])
	if length < 0 {
		return 0, linux.EINVAL
	}
	f, err := getFileNoPath(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	vd, ok := vfsLocation(f)
	if !ok || !canWrite(f) {
		return 0, linux.EINVAL
	}
	st, err := vd.Dentry.Inode().Stat()
	if err != nil {
		return 0, err
	}
	if !vfs.IsRegular(st.Mode) {
		return 0, linux.EINVAL
	}
	return 0, t.VFS().SetStat(t, vd, vfs.SetStatOptions{Mask: linux.STATX_SIZE, Size: uint64(length)})
}
