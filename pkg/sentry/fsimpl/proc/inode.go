package proc

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// procBlockSize is st_blksize of /proc files (Linux leaves i_blkbits at
// its default of 10 for proc inodes).
const procBlockSize = 1024

// attrs are the attributes every /proc inode has. They never change:
// /proc refuses chmod, chown and utimensat (EPERM), where Linux accepts
// some of them on top-level entries only.
type attrs struct {
	ino   uint64
	mode  uint32
	nlink uint32
	time  linux.StatxTimestamp
	// owner returns the owner's IDs: the task's effective IDs for the
	// files of /proc/PID, root for the rest (owner is nil).
	owner func() (uid, gid uint32)
}

// Stat implements vfs.Inode.
func (a *attrs) Stat() (linux.Statx, error) {
	st := linux.Statx{
		Mask:    linux.STATX_BASIC_STATS,
		Blksize: procBlockSize,
		Nlink:   a.nlink,
		Mode:    uint16(a.mode),
		Ino:     a.ino,
		Atime:   a.time,
		Mtime:   a.time,
		Ctime:   a.time,
	}
	if a.owner != nil {
		st.UID, st.GID = a.owner()
	}
	return st, nil
}

// SetStat implements vfs.Inode.
func (a *attrs) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error { return linux.EPERM }

// dirent returns the directory entry of an inode made by this package.
func dirent(name string, inode vfs.Inode) vfs.Dirent {
	st, _ := inode.Stat()
	return vfs.Dirent{Name: name, Type: linux.DirentType(uint32(st.Mode)), Ino: st.Ino}
}

// dirBase is embedded by every /proc directory: opening and the refusal
// of every change of names.
type dirBase struct {
	attrs
}

// Open implements vfs.Inode.
func (d *dirBase) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return vfs.NewDirFile(vd, flags), nil
}

// Linux's /proc answers a lookup of a name that does not exist with
// ENOENT instead of a negative dentry, so creating anything fails with
// ENOENT; removing an existing entry fails with EPERM (no unlink or rmdir
// operation).

// Create implements vfs.DirInode.
func (d *dirBase) Create(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.ENOENT
}

// Mkdir implements vfs.DirInode.
func (d *dirBase) Mkdir(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.ENOENT
}

// Symlink implements vfs.DirInode.
func (d *dirBase) Symlink(ctx vfs.Context, name, target string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.ENOENT
}

// Link implements vfs.DirInode.
func (d *dirBase) Link(ctx vfs.Context, name string, target vfs.Inode) error { return linux.ENOENT }

// Unlink implements vfs.DirInode.
func (d *dirBase) Unlink(ctx vfs.Context, name string, child vfs.Inode) error { return linux.EPERM }

// Rmdir implements vfs.DirInode.
func (d *dirBase) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error { return linux.EPERM }

// Rename implements vfs.DirInode.
func (d *dirBase) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	if replaced == nil {
		return linux.ENOENT
	}
	return linux.EPERM
}

// staticDir is a directory with a fixed list of children.
type staticDir struct {
	dirBase
	// names and children are immutable once built.
	names    []string
	children []vfs.Inode
}

var _ vfs.DirInode = (*staticDir)(nil)

// add appends a child.
func (d *staticDir) add(name string, inode vfs.Inode) {
	d.names = append(d.names, name)
	d.children = append(d.children, inode)
}

// Lookup implements vfs.DirInode.
func (d *staticDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	for i, n := range d.names {
		if n == name {
			return d.children[i], nil
		}
	}
	return nil, linux.ENOENT
}

// Readdir implements vfs.DirInode.
func (d *staticDir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	out := make([]vfs.Dirent, len(d.names))
	for i, n := range d.names {
		out[i] = dirent(n, d.children[i])
	}
	return out, nil
}

// symlink is a symbolic link whose target is computed when it is read
// (/proc/self, /proc/thread-self, /proc/mounts).
type symlink struct {
	attrs
	target func(ctx vfs.Context) (string, error)
}

var _ vfs.SymlinkInode = (*symlink)(nil)

// Open implements vfs.Inode; the VFS never opens a symlink itself.
func (s *symlink) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// Readlink implements vfs.SymlinkInode.
func (s *symlink) Readlink(ctx vfs.Context) (string, error) { return s.target(ctx) }

// genInode is a file whose contents are generated: when it is opened, and
// again whenever a read starts at offset 0 (as Linux's seq_file does, so
// that lseek(0) and pread(0) see fresh contents).
type genInode struct {
	attrs
	// check, if set, decides at open whether ctx may read the file
	// (environ needs ptrace access).
	check func(ctx vfs.Context) error
	// gen produces the contents; b is the reading task (at open, the
	// opener).
	gen func(b vfs.Blocker) ([]byte, error)
	// write, if set, serves writes (b is the writing task); otherwise
	// writes fail with writeErr.
	write    func(b vfs.Blocker, src []byte) (int, error)
	writeErr error
	// seekEnd allows SEEK_END, relative to the file size of 0 as
	// Linux's generic_file_llseek does; seq_file files refuse it with
	// EINVAL.
	seekEnd bool
}

// Open implements vfs.Inode.
func (g *genInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	if g.check != nil {
		if err := g.check(ctx); err != nil {
			return nil, err
		}
	}
	data, err := g.gen(ctx)
	if err != nil {
		return nil, err
	}
	f := &genFile{inode: g, data: data, fresh: true}
	f.Init(vd, flags, nil)
	return f, nil
}

// genFile is an open genInode.
type genFile struct {
	vfs.FileBase
	inode *genInode

	// mu protects data, off and fresh.
	mu   sync.Mutex
	data []byte
	off  int64
	// fresh is set while data was generated by open and not read yet.
	fresh bool
}

// regenerate makes fresh contents if a read at off must see them: at
// offset 0, unless the contents are the ones open made and nothing read
// them yet. The generator runs without f.mu held: it may look at any
// file, this one included (/proc/self/fdinfo/N of its own descriptor).
func (f *genFile) regenerate(b vfs.Blocker, off int64) error {
	f.mu.Lock()
	regen := off == 0 && !f.fresh
	f.fresh = false
	f.mu.Unlock()
	if !regen {
		return nil
	}
	data, err := f.inode.gen(b)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.data = data
	f.mu.Unlock()
	return nil
}

// copyAtLocked copies the contents at off into dst.
//
// Preconditions: f.mu is held.
func (f *genFile) copyAtLocked(dst []byte, off int64) int {
	if off >= int64(len(f.data)) {
		return 0
	}
	return copy(dst, f.data[off:])
}

// Read implements vfs.FileDescription.
func (f *genFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	f.mu.Lock()
	off := f.off
	f.mu.Unlock()
	if err := f.regenerate(b, off); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.copyAtLocked(dst, f.off)
	f.off += int64(n)
	return n, nil
}

// PRead implements vfs.FileDescription.
func (f *genFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linux.EINVAL
	}
	if err := f.regenerate(b, off); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.copyAtLocked(dst, off), nil
}

// Write implements vfs.FileDescription.
func (f *genFile) Write(b vfs.Blocker, src []byte) (int, error) {
	if f.inode.write == nil {
		return 0, f.inode.writeErr
	}
	return f.inode.write(b, src)
}

// PWrite implements vfs.FileDescription.
func (f *genFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	if f.inode.write != nil && off != 0 {
		return 0, linux.ESPIPE
	}
	return f.Write(b, src)
}

// Seek implements vfs.FileDescription.
func (f *genFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case linux.SEEK_SET:
	case linux.SEEK_CUR:
		off += f.off
	case linux.SEEK_END:
		if !f.inode.seekEnd {
			return 0, linux.EINVAL
		}
	default:
		return 0, linux.EINVAL
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	f.off = off
	return off, nil
}
