package overlay

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// fileNode is a regular file, device node, FIFO or socket.
type fileNode struct {
	node
}

// symlinkNode is a symbolic link.
type symlinkNode struct {
	node
}

var (
	_ vfs.SymlinkInode = (*symlinkNode)(nil)
	_ onode            = (*fileNode)(nil)
)

// Readlink implements vfs.SymlinkInode.
func (s *symlinkNode) Readlink(ctx vfs.Context) (string, error) {
	sl, ok := s.real().(vfs.SymlinkInode)
	if !ok {
		return "", linux.EINVAL
	}
	return sl.Readlink(ctx)
}

// Open implements vfs.Inode: the VFS never opens a symlink.
func (s *symlinkNode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// Open implements vfs.Inode. A regular file opened for writing (or with
// O_TRUNC) is copied up first, as Linux's ovl_open; other files are
// opened in the layer that holds them, at the overlay's location.
func (f *fileNode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	if f.typ != linux.S_IFREG {
		return f.real().Open(ctx, vd, flags)
	}
	acc := flags & linux.O_ACCMODE
	if acc == linux.O_WRONLY || acc == linux.O_RDWR || flags&linux.O_TRUNC != 0 {
		if err := f.copyUp(ctx, true); err != nil {
			return nil, err
		}
	}
	upper := f.upperInode()
	in := upper
	if in == nil {
		in = f.lower
	}
	rf, err := in.Open(ctx, vd, flags)
	if err != nil {
		return nil, err
	}
	of := &regularFile{n: f}
	of.cur.Store(&realFile{fd: rf, upper: upper != nil})
	of.Init(vd, flags, of.release)
	return of, nil
}

// realFile is the layer's open file behind a regularFile.
type realFile struct {
	fd    vfs.FileDescription
	upper bool
}

// regularFile is an open regular file of the overlay: it passes every
// operation to the open file of the layer that holds the data, and moves
// from the lower file to the upper copy once the file is copied up.
type regularFile struct {
	vfs.FileBase
	n *fileNode

	// cur is the layer's file in use.
	cur atomic.Pointer[realFile]
	// mu serialises switching to the upper file and protects old, the
	// replaced files (kept open until release: an operation may still
	// be running on them).
	mu  sync.Mutex
	old []vfs.FileDescription
}

var (
	_ vfs.PathFile       = (*regularFile)(nil)
	_ vfs.PageMappable   = (*regularFile)(nil)
	_ vfs.CachedMappable = (*regularFile)(nil)
	_ vfs.Allocator      = (*regularFile)(nil)
	_ vfs.Appender       = (*regularFile)(nil)
	_ vfs.Syncer         = (*regularFile)(nil)
	_ vfs.ShrinkNotifier = (*regularFile)(nil)
)

// release drops the layer files.
func (f *regularFile) release() {
	f.cur.Load().fd.DecRef()
	f.mu.Lock()
	old := f.old
	f.old = nil
	f.mu.Unlock()
	for _, fd := range old {
		fd.DecRef()
	}
}

// real returns the layer file to use, switching to the upper copy if
// the file has been copied up since it was opened.
func (f *regularFile) real(b vfs.Blocker) vfs.FileDescription {
	r := f.cur.Load()
	if r.upper || f.n.upper.Load() == nil {
		return r.fd
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r = f.cur.Load()
	if r.upper {
		return r.fd
	}
	ctx, ok := b.(vfs.Context)
	if !ok {
		ctx = internalCtx{}
	}
	nfd, err := f.n.upperInode().Open(ctx, f.VirtualDentry(), f.StatusFlags())
	if err != nil {
		// Keep using the lower file.
		return r.fd
	}
	if off, err := r.fd.Seek(0, linux.SEEK_CUR); err == nil {
		nfd.Seek(off, linux.SEEK_SET)
	}
	f.old = append(f.old, r.fd)
	f.cur.Store(&realFile{fd: nfd, upper: true})
	return nfd
}

// ReadsDirect implements vfs.DirectReader as the layer's file does. (A
// copy-up may switch a later read to the upper layer's file, a tmpfs
// file, which reads directly as well.)
func (f *regularFile) ReadsDirect() bool {
	dr, ok := f.cur.Load().fd.(vfs.DirectReader)
	return ok && dr.ReadsDirect()
}

// Read implements vfs.FileDescription.
func (f *regularFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	return f.real(b).Read(b, dst)
}

// Write implements vfs.FileDescription.
func (f *regularFile) Write(b vfs.Blocker, src []byte) (int, error) {
	return f.real(b).Write(b, src)
}

// PRead implements vfs.FileDescription.
func (f *regularFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	return f.real(b).PRead(b, dst, off)
}

// PWrite implements vfs.FileDescription.
func (f *regularFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	return f.real(b).PWrite(b, src, off)
}

// Seek implements vfs.FileDescription.
func (f *regularFile) Seek(off int64, whence int) (int64, error) {
	return f.real(nil).Seek(off, whence)
}

// Ioctl implements vfs.FileDescription.
func (f *regularFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	return f.real(nil).Ioctl(mem, cmd, arg)
}

// SetStatusFlags implements vfs.FileDescription.
func (f *regularFile) SetStatusFlags(flags uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.cur.Load().fd.SetStatusFlags(flags); err != nil {
		return err
	}
	return f.FileBase.SetStatusFlags(flags)
}

// AppendWrite implements vfs.Appender.
func (f *regularFile) AppendWrite(b vfs.Blocker, src []byte, updateOffset bool) (int, error) {
	r := f.real(b)
	a, ok := r.(vfs.Appender)
	if !ok {
		return r.PWrite(b, src, 0)
	}
	return a.AppendWrite(b, src, updateOffset)
}

// Allocate implements vfs.Allocator.
func (f *regularFile) Allocate(ctx vfs.Context, mode uint32, off, length uint64) error {
	a, ok := f.real(ctx).(vfs.Allocator)
	if !ok {
		return linux.EOPNOTSUPP
	}
	return a.Allocate(ctx, mode, off, length)
}

// Sync implements vfs.Syncer.
func (f *regularFile) Sync(ctx vfs.Context, dataOnly bool) error {
	s, ok := f.real(ctx).(vfs.Syncer)
	if !ok {
		return nil
	}
	return s.Sync(ctx, dataOnly)
}

// MMapSource implements vfs.Mappable: the layer file's.
func (f *regularFile) MMapSource() vfs.MMapSource {
	m, ok := f.real(nil).(vfs.Mappable)
	if !ok {
		return vfs.MMapCopy
	}
	return m.MMapSource()
}

// SharedPages implements vfs.PageMappable.
func (f *regularFile) SharedPages(off, length uint64) ([]vfs.MemoryRange, error) {
	pm, ok := f.real(nil).(vfs.PageMappable)
	if !ok {
		return nil, linux.ENODEV
	}
	return pm.SharedPages(off, length)
}

// pagesWithFile is mm.MemoryFileMappable's method: the upper tmpfs
// implements it when its data lives in a filestore.
type pagesWithFile interface {
	SharedPagesWithFile(off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error)
}

// SharedPagesWithFile implements mm.MemoryFileMappable: the layer file's
// pages and the memory file they are in.
func (f *regularFile) SharedPagesWithFile(off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error) {
	real := f.real(nil)
	if pm, ok := real.(pagesWithFile); ok {
		return pm.SharedPagesWithFile(off, length)
	}
	pm, ok := real.(vfs.PageMappable)
	if !ok {
		return nil, nil, linux.ENODEV
	}
	rs, err := pm.SharedPages(off, length)
	return rs, nil, err
}

// CachedPages implements vfs.CachedMappable.
func (f *regularFile) CachedPages(b vfs.Blocker, off, length uint64) (vfs.MemoryRange, bool, error) {
	cm, ok := f.real(b).(vfs.CachedMappable)
	if !ok {
		return vfs.MemoryRange{}, false, nil
	}
	return cm.CachedPages(b, off, length)
}

// WatchShrink implements vfs.ShrinkNotifier: the layer file tells w with
// the overlay's inode, which is what w knows the file by.
func (f *regularFile) WatchShrink(w vfs.SizeWatcher) func() {
	sn, ok := f.real(nil).(vfs.ShrinkNotifier)
	if !ok {
		return func() {}
	}
	return sn.WatchShrink(shrinkWatcher{w: w, in: f.n})
}

// shrinkWatcher passes a layer file's shrink notices on with the overlay
// inode.
type shrinkWatcher struct {
	w  vfs.SizeWatcher
	in vfs.Inode
}

// FileShrunk implements vfs.SizeWatcher.
func (s shrinkWatcher) FileShrunk(_ vfs.Inode, size uint64) { s.w.FileShrunk(s.in, size) }
