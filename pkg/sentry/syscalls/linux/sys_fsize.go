package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// limitFileWrite applies RLIMIT_FSIZE (kernel.Task.LimitWriteSize) to a
// write of n bytes to f, if f is a regular file: at off, or at the file
// offset if off < 0, or at the end if the write appends (appending, or
// O_APPEND, which Linux honours for pwrite too). An empty write is never
// limited, as generic_write_checks returns before the limit for it. The
// position is read before the write: a concurrent writer that moves the
// end of an O_APPEND file meanwhile is not seen.
func limitFileWrite(t *kernel.Task, f vfs.FileDescription, off int64, appending bool, n uint64) (uint64, error) {
	if n == 0 || t.FileSizeLimit() == kernel.RLIM_INFINITY {
		return n, nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode&linux.S_IFMT != linux.S_IFREG {
		return n, nil
	}
	pos := off
	switch {
	case appending || f.StatusFlags()&linux.O_APPEND != 0:
		pos = st.Size
	case off < 0:
		if pos, err = f.Seek(0, linux.SEEK_CUR); err != nil {
			return n, nil
		}
	}
	return t.LimitWriteSize(pos, n)
}

// checkFallocateSize applies RLIMIT_FSIZE to a fallocate of f that
// reaches end, beyond the file's size. As Linux's tmpfs (shmem_fallocate)
// the limit applies with FALLOC_FL_KEEP_SIZE too, since the blocks are
// allocated all the same; punching a hole allocates nothing.
func checkFallocateSize(t *kernel.Task, f vfs.FileDescription, mode uint32, end int64) error {
	if mode&linux.FALLOC_FL_PUNCH_HOLE != 0 {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode&linux.S_IFMT != linux.S_IFREG || end <= st.Size {
		return nil
	}
	return t.CheckFileSize(uint64(end))
}
