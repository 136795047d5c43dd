package tmpfs

import (
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// SharedPagesWithFile implements mm.MemoryFileMappable: SharedPages, and
// the memory file the pages are in. It is the sentry's main memory file
// unless the file system was made over another one (an overlay's upper
// layer over a filestore).
func (f *RegularFile) SharedPagesWithFile(off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error) {
	rs, err := f.inode.sharedPages(off, length)
	return rs, f.inode.fs.mf, err
}
