package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// syncEntries flush and allocate file data.
var syncEntries = map[uintptr]kernel.Syscall{
	linux.SYS_FSYNC:     full(fsync),
	linux.SYS_FDATASYNC: full(fdatasync),
	linux.SYS_SYNC:      partial(syncAll, "file systems without a Syncer have nothing to flush; the gofer's files are flushed per file by fsync"),
	linux.SYS_SYNCFS:    partial(syncfs, "as sync"),
	linux.SYS_FALLOCATE: full(fallocate),

	linux.SYS_SYNC_FILE_RANGE: partial(syncFileRange, "a range is flushed by flushing the whole file's data"),
}

func fsync(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doFsync(t, int32(a[0]), false)
}

func fdatasync(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doFsync(t, int32(a[0]), true)
}

// fileType is the S_IFMT type of an open file (0 if it cannot be stated).
func fileType(f vfs.FileDescription) uint32 {
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	return st.Mode & linux.S_IFMT
}

// doFsync is vfs_fsync: files that can flush do; other regular files,
// directories and block devices have nothing to flush; files without an
// fsync operation in Linux (pipes, sockets, eventfd, terminals, most
// character devices) are EINVAL.
func doFsync(t *kernel.Task, fd int32, dataOnly bool) error {
	f, err := getFileNoPath(t, fd)
	if err != nil {
		return err
	}
	defer f.DecRef()
	if s, ok := f.(vfs.Syncer); ok {
		return s.Sync(t, dataOnly)
	}
	switch fileType(f) {
	case linux.S_IFREG, linux.S_IFDIR, linux.S_IFBLK:
		return nil
	}
	return linux.EINVAL
}

// syncFileRange is sync_file_range(2): its checks, then a data flush of
// the file when the flags ask for a write.
func syncFileRange(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	off, nbytes, flags := int64(a[1]), int64(a[2]), uint32(a[3])
	f, err := getFileNoPath(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if flags&^(linux.SYNC_FILE_RANGE_WAIT_BEFORE|linux.SYNC_FILE_RANGE_WRITE|linux.SYNC_FILE_RANGE_WAIT_AFTER) != 0 {
		return 0, linux.EINVAL
	}
	if end := off + nbytes; off < 0 || end < 0 || end < off {
		return 0, linux.EINVAL
	}
	switch fileType(f) {
	case linux.S_IFREG, linux.S_IFBLK, linux.S_IFDIR, linux.S_IFLNK:
	default:
		return 0, linux.ESPIPE
	}
	if s, ok := f.(vfs.Syncer); ok && flags&linux.SYNC_FILE_RANGE_WRITE != 0 {
		return 0, s.Sync(t, true)
	}
	return 0, nil
}

func syncAll(*kernel.Task, kernel.SyscallArgs) (uint64, error) { return 0, nil }

func syncfs(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, err := getFileNoPath(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, nil
}

// checkFallocateMode is the mode check of vfs_fallocate (Linux 6.18):
// the modes are exclusive, FALLOC_FL_KEEP_SIZE is the only flag, punching
// a hole needs it and the range-shifting modes refuse it.
func checkFallocateMode(mode uint32) error {
	if mode&^(linux.FALLOC_FL_MODE_MASK|linux.FALLOC_FL_KEEP_SIZE) != 0 {
		return linux.EOPNOTSUPP
	}
	keep := mode&linux.FALLOC_FL_KEEP_SIZE != 0
	switch mode & linux.FALLOC_FL_MODE_MASK {
	case linux.FALLOC_FL_ALLOCATE_RANGE, linux.FALLOC_FL_UNSHARE_RANGE, linux.FALLOC_FL_ZERO_RANGE:
		return nil
	case linux.FALLOC_FL_PUNCH_HOLE:
		if !keep {
			return linux.EOPNOTSUPP
		}
		return nil
	case linux.FALLOC_FL_COLLAPSE_RANGE, linux.FALLOC_FL_INSERT_RANGE, linux.FALLOC_FL_WRITE_ZEROES:
		if keep {
			return linux.EOPNOTSUPP
		}
		return nil
	}
	return linux.EOPNOTSUPP
}

// fallocate is vfs_fallocate's checks, in its order, then the file's
// Allocate.
func fallocate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	mode, off, length := uint32(a[1]), int64(a[2]), int64(a[3])
	f, err := getFileNoPath(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if off < 0 || length <= 0 {
		return 0, linux.EINVAL
	}
	if err := checkFallocateMode(mode); err != nil {
		return 0, err
	}
	if !canWrite(f) {
		return 0, linux.EBADF
	}
	switch fileType(f) {
	case linux.S_IFIFO:
		return 0, linux.ESPIPE
	case linux.S_IFDIR:
		return 0, linux.EISDIR
	case linux.S_IFREG, linux.S_IFBLK:
	default:
		return 0, linux.ENODEV
	}
	if off+length < 0 {
		return 0, linux.EFBIG
	}
	al, ok := f.(vfs.Allocator)
	if !ok {
		return 0, linux.EOPNOTSUPP
	}
	if err := checkFallocateSize(t, f, mode, off+length); err != nil {
		return 0, err
	}
	return 0, al.Allocate(t, mode, uint64(off), uint64(length))
}
