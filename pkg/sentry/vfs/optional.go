package vfs

// Appender is implemented by files that can write at their end when the
// caller asks for it, without O_APPEND on the description (pwritev2's
// RWF_APPEND). A file without it is written where the caller said, as
// Linux does for files whose write ignores IOCB_APPEND (pipes, sockets).
type Appender interface {
	// AppendWrite writes src at the current end of the file, atomically
	// with respect to the file's other appending writes. If
	// updateOffset (a write at the file offset), the file offset moves
	// to the end of the written data; otherwise (an explicit offset)
	// it stays.
	AppendWrite(b Blocker, src []byte, updateOffset bool) (int, error)
}

// OwnDeviceInode is implemented by inodes that stand for a file of no
// mounted file system (a /proc/PID/fd link's target when the file was not
// opened through the VFS, such as a host stdio file): their Stat reports
// the file's own device, which Stat keeps instead of filling in the
// device of the file system the inode is in, so that stat through the
// link matches fstat of the descriptor.
type OwnDeviceInode interface {
	Inode
	// HasOwnDevice marks the inode; it is never called.
	HasOwnDevice()
}

// SizeWatcher is told when a file it maps shrinks: the memory manager
// takes away the pages of its mappings that are now wholly beyond the end
// of the file, so that touching them raises SIGBUS (Linux's
// unmap_mapping_range on truncate).
type SizeWatcher interface {
	// FileShrunk is called, with no lock of the file system held,
	// after the file whose inode is inode shrank to size bytes.
	FileShrunk(inode Inode, size uint64)
}

// ShrinkNotifier is implemented by Mappable files whose size can shrink
// while they are mapped and that tell their SizeWatchers (tmpfs). Files
// without it are not watched: a mapping made while they were larger
// keeps the pages it has.
type ShrinkNotifier interface {
	Mappable
	// WatchShrink registers w with the file's inode until unwatch is
	// called (more than once is harmless).
	WatchShrink(w SizeWatcher) (unwatch func())
}

// PipeSizer is implemented by pipes and FIFOs (fsimpl/pipe): fcntl(2)'s
// F_GETPIPE_SZ and F_SETPIPE_SZ.
type PipeSizer interface {
	// PipeSize returns the capacity in bytes.
	PipeSize() (int64, error)
	// SetPipeSize sets the capacity to size rounded up to a power-of-two
	// number of pages and returns it. ctx's credentials decide whether it
	// may grow beyond the system's maximum (CAP_SYS_RESOURCE).
	SetPipeSize(ctx Context, size int64) (int64, error)
}

// DirectReader is a file whose Read and PRead may be handed the
// application's memory itself, so that read(2) needs no bounce buffer:
// they return without waiting on anything another task does (the caller
// holds the address space's lock for reading meanwhile), and keep no
// reference to dst.
type DirectReader interface {
	// ReadsDirect reports whether this open file qualifies now.
	ReadsDirect() bool
}
