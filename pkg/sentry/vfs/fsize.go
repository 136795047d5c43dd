package vfs

// FileSizeLimiter is implemented by Contexts that bound how large a file
// may grow (a task's RLIMIT_FSIZE, pkg/sentry/kernel). The VFS asks it
// before a size change makes a regular file larger.
type FileSizeLimiter interface {
	// CheckFileSize returns an error (EFBIG) if a file may not grow to
	// size bytes; it may also signal the caller, as Linux does.
	CheckFileSize(size uint64) error
}
