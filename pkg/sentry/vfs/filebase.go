package vfs

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// FileBase is embedded by file descriptions opened through the VFS. It
// counts references, keeps the status flags and the location the file was
// opened at, and answers the operations a file type does not support the
// way Linux does. Embedders override what they support.
type FileBase struct {
	vd      VirtualDentry
	flags   atomic.Uint32
	refs    atomic.Int64
	release func()
	// lastRef runs when the last reference goes, before release
	// (OnLastRef).
	lastRef atomic.Pointer[func()]
}

// Init sets up fb for a file opened at vd with open(2) flags. release (may
// be nil) runs when the last reference is dropped.
func (fb *FileBase) Init(vd VirtualDentry, flags uint32, release func()) {
	fb.vd = vd
	fb.flags.Store(flags &^ (linux.O_CREAT | linux.O_EXCL | linux.O_NOCTTY | linux.O_TRUNC | linux.O_CLOEXEC))
	fb.refs.Store(1)
	fb.release = release
}

// VirtualDentry implements PathFile.
func (fb *FileBase) VirtualDentry() VirtualDentry { return fb.vd }

// IncRef implements FileDescription.
func (fb *FileBase) IncRef() { fb.refs.Add(1) }

// DecRef implements FileDescription.
func (fb *FileBase) DecRef() {
	if fb.refs.Add(-1) != 0 {
		return
	}
	if fn := fb.lastRef.Load(); fn != nil {
		(*fn)()
	}
	if fb.release != nil {
		fb.release()
	}
}

// OnLastRef makes fn run when the last reference to the file is dropped,
// whoever drops it, before the file is released. Only the first call
// counts: later ones do nothing. flock(2) and OFD locks use it, since they
// belong to the open file, not to a process.
func (fb *FileBase) OnLastRef(fn func()) {
	fb.lastRef.CompareAndSwap(nil, &fn)
}

// StatusFlags implements FileDescription.
func (fb *FileBase) StatusFlags() uint32 { return fb.flags.Load() }

// SetStatusFlags implements FileDescription: only the F_SETFL flags
// change.
func (fb *FileBase) SetStatusFlags(flags uint32) error {
	setStatusFlags(&fb.flags, flags)
	return nil
}

// setStatusFlags replaces the F_SETFL flags in *p with those of flags,
// keeping the others (access mode, O_LARGEFILE...).
func setStatusFlags(p *atomic.Uint32, flags uint32) {
	for {
		old := p.Load()
		n := old&^linux.SETFL_MASK | flags&linux.SETFL_MASK
		if p.CompareAndSwap(old, n) {
			return
		}
	}
}

// Read implements FileDescription: EINVAL, as for files without read.
func (fb *FileBase) Read(b Blocker, dst []byte) (int, error) { return 0, linux.EINVAL }

// Write implements FileDescription: EINVAL.
func (fb *FileBase) Write(b Blocker, src []byte) (int, error) { return 0, linux.EINVAL }

// PRead implements FileDescription: ESPIPE.
func (fb *FileBase) PRead(b Blocker, dst []byte, off int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements FileDescription: ESPIPE.
func (fb *FileBase) PWrite(b Blocker, src []byte, off int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements FileDescription: ESPIPE.
func (fb *FileBase) Seek(off int64, whence int) (int64, error) { return 0, linux.ESPIPE }

// Ioctl implements FileDescription: ENOTTY.
func (fb *FileBase) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	return 0, linux.ENOTTY
}

// Stat implements FileDescription from the inode the file was opened at.
func (fb *FileBase) Stat() (linux.Stat, error) {
	if !fb.vd.Ok() {
		return linux.Stat{}, linux.EBADF
	}
	st, err := fb.vd.Mount.vfs.Stat(fb.vd)
	if err != nil {
		return linux.Stat{}, err
	}
	return StatFromStatx(&st), nil
}

// StatFromStatx converts statx(2) attributes to a struct stat.
func StatFromStatx(sx *linux.Statx) linux.Stat {
	return linux.Stat{
		Dev:     linux.MakeDev(sx.DevMajor, sx.DevMinor),
		Ino:     sx.Ino,
		Nlink:   uint64(sx.Nlink),
		Mode:    uint32(sx.Mode),
		UID:     sx.UID,
		GID:     sx.GID,
		Rdev:    linux.MakeDev(sx.RdevMajor, sx.RdevMinor),
		Size:    int64(sx.Size),
		Blksize: int64(sx.Blksize),
		Blocks:  int64(sx.Blocks),
		ATime:   linux.Timespec{Sec: sx.Atime.Sec, Nsec: int64(sx.Atime.Nsec)},
		MTime:   linux.Timespec{Sec: sx.Mtime.Sec, Nsec: int64(sx.Mtime.Nsec)},
		CTime:   linux.Timespec{Sec: sx.Ctime.Sec, Nsec: int64(sx.Ctime.Nsec)},
	}
}

// OpathFile is an O_PATH file: it only names a location.
type OpathFile struct {
	FileBase
}

// NewOpathFile returns an O_PATH file at vd.
func NewOpathFile(vd VirtualDentry, flags uint32) *OpathFile {
	f := &OpathFile{}
	f.Init(vd, flags&(linux.O_PATH|linux.O_DIRECTORY|linux.O_NOFOLLOW|linux.O_CLOEXEC), nil)
	return f
}

// Read implements FileDescription: O_PATH files cannot do I/O.
func (f *OpathFile) Read(b Blocker, dst []byte) (int, error) { return 0, linux.EBADF }

// Write implements FileDescription.
func (f *OpathFile) Write(b Blocker, src []byte) (int, error) { return 0, linux.EBADF }

// PRead implements FileDescription.
func (f *OpathFile) PRead(b Blocker, dst []byte, off int64) (int, error) { return 0, linux.EBADF }

// PWrite implements FileDescription.
func (f *OpathFile) PWrite(b Blocker, src []byte, off int64) (int, error) { return 0, linux.EBADF }

// Seek implements FileDescription.
func (f *OpathFile) Seek(off int64, whence int) (int64, error) { return 0, linux.EBADF }

// Ioctl implements FileDescription.
func (f *OpathFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	return 0, linux.EBADF
}

// SetStatusFlags implements FileDescription: F_SETFL on O_PATH is EBADF.
func (f *OpathFile) SetStatusFlags(flags uint32) error { return linux.EBADF }

// DirFile is the open file of a directory of any file system: getdents64
// reads a snapshot of the entries taken when reading starts at offset 0.
// Offsets are entry indexes ("." is 0, ".." is 1).
type DirFile struct {
	FileBase
	mu      sync.Mutex
	off     int64
	entries []Dirent
}

// NewDirFile returns an open directory at vd, whose inode must be a
// DirInode.
func NewDirFile(vd VirtualDentry, flags uint32) *DirFile {
	f := &DirFile{}
	f.Init(vd, flags, nil)
	return f
}

// Read implements FileDescription: EISDIR.
func (f *DirFile) Read(b Blocker, dst []byte) (int, error) { return 0, linux.EISDIR }

// PRead implements FileDescription: EISDIR.
func (f *DirFile) PRead(b Blocker, dst []byte, off int64) (int, error) { return 0, linux.EISDIR }

// Write implements FileDescription: EBADF (a directory is never open for
// writing).
func (f *DirFile) Write(b Blocker, src []byte) (int, error) { return 0, linux.EBADF }

// PWrite implements FileDescription.
func (f *DirFile) PWrite(b Blocker, src []byte, off int64) (int, error) { return 0, linux.EBADF }

// Seek implements FileDescription: SEEK_SET and SEEK_CUR move between
// entries; offset 0 takes a fresh snapshot at the next read.
func (f *DirFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case linux.SEEK_SET:
	case linux.SEEK_CUR:
		off += f.off
	default:
		return 0, linux.EINVAL
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	f.off = off
	if off == 0 {
		f.entries = nil
	}
	return off, nil
}

// IterDirents implements DirentFile.
func (f *DirFile) IterDirents(ctx Context, emit func(d Dirent, next int64) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.entries == nil {
		if err := f.fill(ctx); err != nil {
			return err
		}
	}
	for f.off < int64(len(f.entries)) {
		if !emit(f.entries[f.off], f.off+1) {
			return nil
		}
		f.off++
	}
	return nil
}

// fill snapshots the directory's entries.
//
// Preconditions: f.mu is held.
func (f *DirFile) fill(ctx Context) error {
	d := f.vd.Dentry
	if d.IsDead() {
		f.entries = []Dirent{}
		return nil
	}
	children, err := d.inode.(DirInode).Readdir(ctx)
	if err != nil {
		return err
	}
	self, err := d.inode.Stat()
	if err != nil {
		return err
	}
	// ".." is the parent in the file system; a file system's root is its
	// own parent, even where it is mounted (dir_emit_dots).
	parentIno := self.Ino
	v := f.vd.Mount.vfs
	v.renameMu.RLock()
	parent := d.parent
	v.renameMu.RUnlock()
	if parent != nil {
		if pst, err := parent.inode.Stat(); err == nil {
			parentIno = pst.Ino
		}
	}
	f.entries = make([]Dirent, 0, len(children)+2)
	f.entries = append(f.entries,
		Dirent{Name: ".", Type: linux.DT_DIR, Ino: self.Ino},
		Dirent{Name: "..", Type: linux.DT_DIR, Ino: parentIno})
	f.entries = append(f.entries, children...)
	return nil
}
