package kernel

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
)

// RLIMIT_FSIZE, the largest a process may make a file, is enforced in one
// place: here. Write paths (write, pwrite, writev, sendfile,
// copy_file_range) ask LimitWriteSize how much of a write to a regular
// file may go ahead; size changes (truncate, ftruncate, fallocate) ask
// CheckFileSize, through vfs.FileSizeLimiter where the VFS makes the
// change. Exceeding the limit sends SIGXFSZ to the calling thread and
// fails with EFBIG, as Linux's generic_write_check_limits and
// inode_newsize_ok.

// FileSizeLimit returns the soft RLIMIT_FSIZE of t's process.
func (t *Task) FileSizeLimit() uint64 {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.tg.limits[RLIMIT_FSIZE].Cur
}

// fileSizeExceeded sends SIGXFSZ to t (as send_sig from the kernel:
// SI_USER with the caller's pid and uid) and returns EFBIG.
func (t *Task) fileSizeExceeded() error {
	info := &linux.SignalInfo{Signo: int32(linux.SIGXFSZ), Code: linux.SI_USER}
	info.SetPID(int32(t.tg.tgid))
	info.SetUID(uint32(t.Credentials().RealUID))
	t.SendSignal(info)
	return linux.EFBIG
}

// LimitWriteSize applies RLIMIT_FSIZE to a write of n bytes at offset pos
// of a regular file: it returns n, or less if the write would cross the
// limit; if pos is at or beyond the limit it sends SIGXFSZ and fails with
// EFBIG, whatever n is (callers skip empty writes where Linux does).
func (t *Task) LimitWriteSize(pos int64, n uint64) (uint64, error) {
	limit := t.FileSizeLimit()
	if limit == RLIM_INFINITY {
		return n, nil
	}
	if pos < 0 || uint64(pos) >= limit {
		return 0, t.fileSizeExceeded()
	}
	return min(n, limit-uint64(pos)), nil
}

// CheckFileSize implements vfs.FileSizeLimiter: a regular file may grow
// to size only within RLIMIT_FSIZE (EFBIG and SIGXFSZ beyond it). Callers
// ask only when the file grows.
func (t *Task) CheckFileSize(size uint64) error {
	if limit := t.FileSizeLimit(); limit != RLIM_INFINITY && size > limit {
		return t.fileSizeExceeded()
	}
	return nil
}
