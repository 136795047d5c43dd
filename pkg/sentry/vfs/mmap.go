package vfs

// MMapSource says how mmap(2) maps a file.
type MMapSource int

const (
	// MMapCopy: mappings are filled with the file's contents (read with
	// PRead) when they are made; later changes of the file are not seen
	// through them, and writes to shared mappings do not reach the file.
	// Used for files without memory-file pages (gofer files on a
	// read-only root, where a writable shared mapping cannot be made).
	MMapCopy MMapSource = iota
	// MMapPages: shared mappings map the file's own memory-file pages
	// (PageMappable); private mappings copy them.
	MMapPages
	// MMapAnonymous: the mapping is fresh anonymous memory (/dev/zero).
	MMapAnonymous
)

// Mappable is implemented by files that mmap(2) can map; other files
// fail with ENODEV.
type Mappable interface {
	FileDescription
	MMapSource() MMapSource
}

// MemoryRange is a range of the sentry's memory file.
type MemoryRange struct {
	Offset, Length uint64
}

// PageMappable is implemented by Mappable files whose source is MMapPages
// (tmpfs regular files, memfds).
type PageMappable interface {
	Mappable
	// SharedPages returns the memory-file ranges that back the file's
	// page-aligned range [off, off+length), allocating pages that do not
	// exist yet (beyond the end of file too, as a shared mapping may
	// later see the file grow into them). The caller owns one reference
	// on every page returned (pgalloc.MemoryFile.Free drops it).
	SharedPages(off, length uint64) ([]MemoryRange, error)
}

// CachedMappable is implemented by MMapCopy files that can keep their
// contents in the memory file: a private mapping then maps those pages
// copy-on-write instead of reading a copy of the file each time (the
// program text and libraries of every exec, above all).
type CachedMappable interface {
	Mappable
	// CachedPages returns one memory-file range holding the file's
	// contents for the page-aligned range [off, off+length), which lies
	// below the end of the file rounded up to a page (the rest of the
	// last page reads as zeros). The caller owns one reference on every
	// page. ok is false when the file cannot be cached (too big,
	// changed by others, or no memory): the caller copies instead.
	CachedPages(b Blocker, off, length uint64) (r MemoryRange, ok bool, err error)
}
