// Package dev is the sandbox's /dev: a small fixed tree with the memory
// character devices (null, zero, full, random, urandom), tty, the
// fd/stdin/stdout/stderr links into /proc, and empty shm and pts
// directories for the mounts that go on them. It also opens those devices
// for device nodes found on other file systems (OpenDevice), so that a
// node made with mknod on tmpfs behaves like the real device.
//
// Linux's /dev is a writable devtmpfs; here the tree is fixed: creating,
// removing or renaming a name fails with EPERM (the VFS answers EEXIST for
// names that exist before asking the file system, as Linux does). Modes,
// owners and times may be changed (chmod, chown, utimensat), as on
// devtmpfs. The package never touches the host: random bytes come from Go's
// crypto/rand, which the sentry's seccomp filter must allow (getrandom), and
// /dev/tty is opened by the caller's controlling terminal (the kernel's
// record of it, whose device may be a host terminal).
//
// Lock order: attr.mu is a leaf.
package dev

import (
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Name is the file system type /proc/mounts shows.
const Name = "devtmpfs"

// filesystem implements vfs.FilesystemImpl.
type filesystem struct{}

// Name implements vfs.FilesystemImpl.
func (filesystem) Name() string { return Name }

// StatFS implements vfs.FilesystemImpl: devtmpfs is a tmpfs.
func (filesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	return linux.Statfs{
		Type:    linux.TMPFS_MAGIC,
		Bsize:   usermem.PageSize,
		Frsize:  usermem.PageSize,
		Namelen: linux.NAME_MAX,
	}, nil
}

// Release implements vfs.FilesystemImpl.
func (filesystem) Release() {}

// NewFilesystem returns a new /dev file system and its root directory, to
// be mounted with v.Mount (or used as a namespace root).
func NewFilesystem(v *vfs.VirtualFilesystem) (*vfs.Filesystem, vfs.Inode) {
	fs := v.NewFilesystem(filesystem{})
	now := timestamp(time.Now())
	ino := uint64(1)
	initAttr := func(a *attr, mode uint32, nlink uint32, rdev uint64) {
		a.ino, a.mode, a.nlink, a.rdev = ino, uint16(mode), nlink, rdev
		a.atime, a.mtime, a.ctime = now, now, now
		ino++
	}
	root := &dir{}
	initAttr(&root.attr, linux.S_IFDIR|0o755, 4, 0)
	add := func(name string, inode vfs.Inode) {
		root.names = append(root.names, name)
		root.children = append(root.children, inode)
	}
	for _, d := range devices {
		n := &deviceInode{}
		initAttr(&n.attr, linux.S_IFCHR|d.mode, 1, linux.MakeDev(d.major, d.minor))
		add(d.name, n)
	}
	for _, l := range links {
		n := &symlink{target: l.target}
		initAttr(&n.attr, linux.S_IFLNK|0o777, 1, 0)
		add(l.name, n)
	}
	// shm is a world-writable sticky directory on Linux; pts holds the
	// pseudo-terminal slaves. Both are mount points.
	shm, pts := &dir{}, &dir{}
	initAttr(&shm.attr, linux.S_IFDIR|0o1777, 2, 0)
	initAttr(&pts.attr, linux.S_IFDIR|0o755, 2, 0)
	add("shm", shm)
	add("pts", pts)
	return fs, root
}

// device describes one of the character devices /dev holds.
type device struct {
	name         string
	major, minor uint32
	mode         uint32
}

// Device numbers, from Documentation/admin-guide/devices.txt.
const (
	memMajor     = 1
	nullMinor    = 3
	zeroMinor    = 5
	fullMinor    = 7
	randomMinor  = 8
	urandomMinor = 9

	ttyAuxMajor = 5
	ttyMinor    = 0
)

var devices = []device{
	{"null", memMajor, nullMinor, 0o666},
	{"zero", memMajor, zeroMinor, 0o666},
	{"full", memMajor, fullMinor, 0o666},
	{"random", memMajor, randomMinor, 0o666},
	{"urandom", memMajor, urandomMinor, 0o666},
	{"tty", ttyAuxMajor, ttyMinor, 0o666},
}

var links = []struct{ name, target string }{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

func timestamp(t time.Time) linux.StatxTimestamp {
	return linux.StatxTimestamp{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}
}

// attr holds an inode's attributes.
type attr struct {
	mu    sync.Mutex
	ino   uint64
	mode  uint16
	nlink uint32
	uid   uint32
	gid   uint32
	// rdev is immutable.
	rdev  uint64
	atime linux.StatxTimestamp
	mtime linux.StatxTimestamp
	ctime linux.StatxTimestamp
}

// Stat implements vfs.Inode.
func (a *attr) Stat() (linux.Statx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	major, minor := linux.DecodeDev(a.rdev)
	return linux.Statx{
		Mask:      linux.STATX_BASIC_STATS,
		Blksize:   usermem.PageSize,
		Nlink:     a.nlink,
		UID:       a.uid,
		GID:       a.gid,
		Mode:      a.mode,
		Ino:       a.ino,
		Atime:     a.atime,
		Mtime:     a.mtime,
		Ctime:     a.ctime,
		RdevMajor: major,
		RdevMinor: minor,
	}, nil
}

// SetStat implements vfs.Inode. The VFS has checked permissions and
// refused size changes of anything but regular files, which /dev does
// not have.
func (a *attr) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	if opts.Mask&linux.STATX_SIZE != 0 {
		return linux.EINVAL
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if opts.Mask&linux.STATX_MODE != 0 {
		a.mode = a.mode&linux.S_IFMT | uint16(opts.Mode&0o7777)
	}
	if opts.Mask&linux.STATX_UID != 0 {
		a.uid = uint32(opts.UID)
	}
	if opts.Mask&linux.STATX_GID != 0 {
		a.gid = uint32(opts.GID)
	}
	if opts.Mask&linux.STATX_ATIME != 0 {
		a.atime = linux.StatxTimestamp{Sec: opts.Atime.Sec, Nsec: uint32(opts.Atime.Nsec)}
	}
	if opts.Mask&linux.STATX_MTIME != 0 {
		a.mtime = linux.StatxTimestamp{Sec: opts.Mtime.Sec, Nsec: uint32(opts.Mtime.Nsec)}
	}
	a.ctime = timestamp(time.Now())
	return nil
}

// direntType returns the d_type of the inode.
func (a *attr) direntType() uint8 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return linux.DirentType(uint32(a.mode))
}

// inode is what every /dev inode is.
type inode interface {
	vfs.Inode
	direntType() uint8
}

// dir is a directory with a fixed list of children.
type dir struct {
	attr
	// names and children are immutable after NewFilesystem.
	names    []string
	children []vfs.Inode
}

var _ vfs.DirInode = (*dir)(nil)

// Open implements vfs.Inode.
func (d *dir) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return vfs.NewDirFile(vd, flags), nil
}

// Lookup implements vfs.DirInode.
func (d *dir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	for i, n := range d.names {
		if n == name {
			return d.children[i], nil
		}
	}
	return nil, linux.ENOENT
}

// Readdir implements vfs.DirInode.
func (d *dir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	out := make([]vfs.Dirent, len(d.names))
	for i, n := range d.names {
		c := d.children[i].(inode)
		st, err := c.Stat()
		if err != nil {
			return nil, err
		}
		out[i] = vfs.Dirent{Name: n, Type: c.direntType(), Ino: st.Ino}
	}
	return out, nil
}

// The tree is fixed: every change of names is EPERM (see the package
// comment).

// Create implements vfs.DirInode.
func (d *dir) Create(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.EPERM
}

// Mkdir implements vfs.DirInode.
func (d *dir) Mkdir(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.EPERM
}

// Symlink implements vfs.DirInode.
func (d *dir) Symlink(ctx vfs.Context, name, target string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return nil, linux.EPERM
}

// Link implements vfs.DirInode.
func (d *dir) Link(ctx vfs.Context, name string, target vfs.Inode) error { return linux.EPERM }

// Unlink implements vfs.DirInode.
func (d *dir) Unlink(ctx vfs.Context, name string, child vfs.Inode) error { return linux.EPERM }

// Rmdir implements vfs.DirInode.
func (d *dir) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error { return linux.EPERM }

// Rename implements vfs.DirInode.
func (d *dir) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	return linux.EPERM
}

// symlink is a symbolic link with a fixed target.
type symlink struct {
	attr
	target string
}

var _ vfs.SymlinkInode = (*symlink)(nil)

// Stat implements vfs.Inode: a symlink's size is its target's length.
func (s *symlink) Stat() (linux.Statx, error) {
	st, err := s.attr.Stat()
	st.Size = uint64(len(s.target))
	return st, err
}

// Open implements vfs.Inode; the VFS never opens a symlink (ELOOP or
// O_PATH), so this is not reached.
func (s *symlink) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// Readlink implements vfs.SymlinkInode.
func (s *symlink) Readlink(ctx vfs.Context) (string, error) { return s.target, nil }

// deviceInode is a character device node of /dev.
type deviceInode struct {
	attr
}

// Open implements vfs.Inode.
func (d *deviceInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return OpenDevice(ctx, vd, d.rdev, flags)
}
