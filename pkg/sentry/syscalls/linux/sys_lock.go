package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/vfs/lock"
)

// lockSyscalls are the advisory file lock calls (fcntl's record locks are
// in fcntl, served by recordLock below).
var lockSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_FLOCK: partial(flock, "files outside the VFS (host stdio) are never locked; locks are local to the sandbox"),
}

func flock(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	fd, cmd := a[0], uint32(a[1])
	if cmd&linux.LOCK_MAND != 0 {
		// Linux ignores the obsolete mandatory locks.
		return 0, nil
	}
	var typ lock.Type
	switch cmd &^ linux.LOCK_NB {
	case linux.LOCK_SH:
		typ = lock.Read
	case linux.LOCK_EX:
		typ = lock.Write
	case linux.LOCK_UN:
		typ = lock.Unlock
	default:
		return 0, linux.EINVAL
	}
	f, err := getFile(t, uint64(uint32(fd)))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.StatusFlags()&linux.O_PATH != 0 {
		return 0, linux.EBADF
	}
	inode := lock.InodeOf(f)
	if inode == nil {
		return 0, nil
	}
	lock.ReleaseAtLastRef(f, inode)
	m := lock.Get(inode)
	defer m.Put()
	return 0, m.Flock(t, f, typ, cmd&linux.LOCK_NB == 0)
}

// recordLock serves the POSIX and OFD record lock commands of fcntl with
// Linux's checks. POSIX locks belong to the process (its FD table) and
// report its pid; OFD locks belong to the open file and report -1. Files
// outside the VFS cannot be locked: requests are checked and granted, and
// F_GETLK reports no conflict.
func recordLock(t *kernel.Task, f vfs.FileDescription, cmd int32, arg uint64) error {
	var fl linux.Flock
	if err := copyInStruct(t, arg, &fl); err != nil {
		return err
	}
	ofd := cmd == linux.F_OFD_GETLK || cmd == linux.F_OFD_SETLK || cmd == linux.F_OFD_SETLKW
	get := cmd == linux.F_GETLK || cmd == linux.F_OFD_GETLK
	if get && ofd && fl.PID != 0 {
		return linux.EINVAL
	}
	start, end, err := lockRange(f, &fl)
	if err != nil {
		return err
	}
	var typ lock.Type
	switch fl.Type {
	case linux.F_RDLCK:
		typ = lock.Read
	case linux.F_WRLCK:
		typ = lock.Write
	case linux.F_UNLCK:
		if get {
			return linux.EINVAL
		}
		typ = lock.Unlock
	default:
		return linux.EINVAL
	}
	if !get {
		if (typ == lock.Read && !canRead(f)) || (typ == lock.Write && !canWrite(f)) {
			return linux.EBADF
		}
		if ofd && fl.PID != 0 {
			return linux.EINVAL
		}
	}
	r := lock.Record{Type: typ, Start: start, End: end, Owner: any(t.FDTable()), PID: int32(t.ThreadGroup().ID())}
	if ofd {
		r.Owner, r.PID = f, -1
	}
	inode := lock.InodeOf(f)
	if get {
		var c lock.Record
		found := false
		if inode != nil {
			m := lock.Get(inode)
			c, found = m.Test(r)
			m.Put()
		}
		if !found {
			fl.Type = linux.F_UNLCK
			return copyOutStruct(t, arg, &fl)
		}
		fl.Type = linux.F_RDLCK
		if c.Type == lock.Write {
			fl.Type = linux.F_WRLCK
		}
		fl.Whence = linux.SEEK_SET
		fl.Start = c.Start
		fl.Len = 0
		if c.End != linux.OFFSET_MAX {
			fl.Len = c.End - c.Start + 1
		}
		fl.PID = c.PID
		return copyOutStruct(t, arg, &fl)
	}
	if inode == nil {
		return nil
	}
	if ofd {
		lock.ReleaseAtLastRef(f, inode)
	}
	m := lock.Get(inode)
	defer m.Put()
	return m.Set(t, r, cmd == linux.F_SETLKW || cmd == linux.F_OFD_SETLKW)
}

// lockRange turns a struct flock's l_whence, l_start and l_len into an
// inclusive byte range, as Linux's flock_to_posix_lock does: a start
// before 0 is EINVAL, one beyond OFFSET_MAX EOVERFLOW; l_len 0 runs to
// OFFSET_MAX and a negative l_len ends just before l_start.
func lockRange(f vfs.FileDescription, fl *linux.Flock) (int64, int64, error) {
	var base int64
	switch fl.Whence {
	case linux.SEEK_SET:
	case linux.SEEK_CUR:
		// Files without an offset lock from 0, like Linux's f_pos of
		// such files.
		if pos, err := f.Seek(0, linux.SEEK_CUR); err == nil {
			base = pos
		}
	case linux.SEEK_END:
		st, err := f.Stat()
		if err != nil {
			return 0, 0, err
		}
		base = st.Size
	default:
		return 0, 0, linux.EINVAL
	}
	if fl.Start > linux.OFFSET_MAX-base {
		return 0, 0, linux.EOVERFLOW
	}
	start := base + fl.Start
	if start < 0 {
		return 0, 0, linux.EINVAL
	}
	switch {
	case fl.Len > 0:
		if fl.Len-1 > linux.OFFSET_MAX-start {
			return 0, 0, linux.EOVERFLOW
		}
		return start, start + fl.Len - 1, nil
	case fl.Len < 0:
		if start+fl.Len < 0 {
			return 0, 0, linux.EINVAL
		}
		return start + fl.Len, start - 1, nil
	}
	return start, linux.OFFSET_MAX, nil
}
