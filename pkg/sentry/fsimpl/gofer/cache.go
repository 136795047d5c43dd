package gofer

import (
	"sync"

	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// maxCachedFile bounds the files whose contents private mappings share
// through the page cache; bigger files are copied per mapping.
const maxCachedFile = 64 << 20

// pageCache holds a regular file's contents in the memory file for private
// mappings (vfs.CachedMappable), in Exclusive mode only: there nothing but
// the sentry changes the file, and every change the sentry makes drops the
// cache (invalidate). Mappings hold their own page references, so dropping
// the cache never takes memory from under them.
type pageCache struct {
	mu sync.Mutex
	// off and size are the memory-file range of the contents: the
	// file's size rounded up to a page, the tail zeros. size 0: none.
	off, size uint64
}

// invalidate drops the cached contents (the file changed).
func (in *inode) invalidateCache() {
	mf := in.fs.opts.MemoryFile
	if mf == nil {
		return
	}
	c := &in.cache
	c.mu.Lock()
	if c.size != 0 {
		mf.Free(c.off, c.size)
		c.off, c.size = 0, 0
	}
	c.mu.Unlock()
}

// CachedPages implements vfs.CachedMappable.
func (f *regularFile) CachedPages(b vfs.Blocker, off, length uint64) (vfs.MemoryRange, bool, error) {
	in := f.in
	mf := in.fs.opts.MemoryFile
	if mf == nil || in.fs.opts.FileAccess != Exclusive {
		return vfs.MemoryRange{}, false, nil
	}
	c := &in.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size == 0 {
		if !f.fillCache(mf) {
			return vfs.MemoryRange{}, false, nil
		}
	}
	if off+length < off || off+length > c.size {
		return vfs.MemoryRange{}, false, nil
	}
	mf.IncRef(c.off+off, length)
	return vfs.MemoryRange{Offset: c.off + off, Length: length}, true, nil
}

// fillCache reads the whole file into a new memory-file range and reports
// whether it did.
//
// Preconditions: f.in.cache.mu is held; the cache is empty.
func (f *regularFile) fillCache(mf *pgalloc.MemoryFile) bool {
	size, err := f.in.size()
	if err != nil || size <= 0 || size > maxCachedFile {
		return false
	}
	length, _ := usermem.PageRoundUp(uint64(size))
	off, err := mf.Allocate(length)
	if err != nil {
		return false
	}
	dst := mf.Bytes(off, uint64(size))
	for done := 0; done < len(dst); {
		n, err := f.readAt(dst[done:], int64(done))
		if err != nil || n == 0 {
			// A short file or an error: copy per mapping instead.
			mf.Free(off, length)
			return false
		}
		done += n
	}
	f.in.cache.off, f.in.cache.size = off, length
	return true
}

var _ vfs.CachedMappable = (*regularFile)(nil)
