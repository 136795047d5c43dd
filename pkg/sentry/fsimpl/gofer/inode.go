package gofer

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/pipe"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// inodeKey names a host file: while a control FD pins it, no other host
// file has the same device and inode number.
type inodeKey struct {
	devMajor, devMinor uint32
	ino                uint64
}

// keyOf returns the key of a file with attributes st, if st has an inode
// number.
func keyOf(st *linux.Statx) (inodeKey, bool) {
	if st.Mask&linux.STATX_INO == 0 {
		return inodeKey{}, false
	}
	return inodeKey{devMajor: st.DevMajor, devMinor: st.DevMinor, ino: st.Ino}, true
}

// inode is the state every gofer inode has. The vfs.Inode the VFS sees is
// self: a *dirInode, *symlinkInode or *fileInode that embeds it.
type inode struct {
	fs *Filesystem
	// self is the vfs.Inode wrapping this inode.
	self vfs.Inode
	// controlFD names the file in the gofer. It is valid until closed is
	// set.
	controlFD lisafs.FDID
	// ftype is the S_IFMT type, which never changes.
	ftype uint32
	key   inodeKey
	// hasKey says key is set (the gofer reported an inode number).
	hasKey bool
	// closed is set when controlFD has been closed: every name is gone
	// and no open file is left, or the file system was released.
	closed atomic.Bool

	// refs counts the cached names (dentries) and the open files of the
	// inode. Protected by fs.mu.
	refs int64

	// writeMu serialises O_APPEND writes, so that each lands at the end.
	writeMu sync.Mutex

	// fifo is the sandbox-internal pipe that every open of a FIFO
	// shares: processes of the sandbox talk through it, never through
	// the host FIFO (unused for other types).
	fifo pipe.FIFO

	// mu protects the fields below.
	mu sync.Mutex
	// stat are the cached attributes.
	stat linux.Statx
	// stale says stat must be fetched before it is used (the sentry
	// changed the file in a way it did not track precisely).
	stale bool
	// gen counts local changes of stat, so that a fetch racing with a
	// change does not overwrite it with older attributes.
	gen uint64
	// dirents caches a directory's listing in Exclusive mode; nil when
	// not cached.
	dirents []vfs.Dirent
	// target caches a symlink's target once read (haveTarget).
	target     string
	haveTarget bool
	// cache holds a regular file's contents for private mappings
	// (cache.go); it has its own lock.
	cache pageCache
	// pending is the open file the gofer returned when the sentry
	// created the file (OpenCreateAt): the next Open takes it, so that
	// open(O_CREAT|O_WRONLY) of a file with mode 0444 works as on Linux.
	pending *pendingOpen
}

// pendingOpen is an open FD waiting for the first Open after a create.
type pendingOpen struct {
	fd     lisafs.FDID
	hostFD int
}

// dirInode is a directory.
type dirInode struct{ inode }

// symlinkInode is a symbolic link.
type symlinkInode struct{ inode }

// fileInode is a regular file, device node, FIFO or socket.
type fileInode struct{ inode }

var (
	_ vfs.DirInode     = (*dirInode)(nil)
	_ vfs.Revalidator  = (*dirInode)(nil)
	_ vfs.XattrInode   = (*dirInode)(nil)
	_ vfs.SymlinkInode = (*symlinkInode)(nil)
	_ vfs.XattrInode   = (*symlinkInode)(nil)
	_ vfs.Inode        = (*fileInode)(nil)
	_ vfs.XattrInode   = (*fileInode)(nil)
)

// baseInode is implemented by every gofer inode.
type baseInode interface {
	base() *inode
}

func (in *inode) base() *inode { return in }

// asInode returns the gofer inode behind a vfs.Inode of fs, or nil.
func (fs *Filesystem) asInode(i vfs.Inode) *inode {
	b, ok := i.(baseInode)
	if !ok {
		return nil
	}
	in := b.base()
	if in.fs != fs {
		return nil
	}
	return in
}

// newInodeLocked makes the inode of li with one reference and registers
// it.
//
// Preconditions: fs.mu is held, or fs is being constructed.
func (fs *Filesystem) newInodeLocked(li lisafs.Inode) *inode {
	var in *inode
	ftype := uint32(li.Stat.Mode) & linux.S_IFMT
	switch ftype {
	case linux.S_IFDIR:
		d := &dirInode{}
		d.self = d
		in = &d.inode
	case linux.S_IFLNK:
		s := &symlinkInode{}
		s.self = s
		in = &s.inode
	default:
		f := &fileInode{}
		f.self = f
		in = &f.inode
	}
	in.fs = fs
	in.controlFD = li.ControlFD
	in.ftype = ftype
	in.stat = li.Stat
	in.refs = 1
	in.key, in.hasKey = keyOf(&li.Stat)
	fs.live[in] = struct{}{}
	if in.hasKey {
		fs.byKey[in.key] = in
	}
	return in
}

// inodeFor returns the inode of the file li names, taking a reference for
// the caller: the live inode of the same host file if there is one (li's
// control FD is then closed), else a new one.
func (fs *Filesystem) inodeFor(li lisafs.Inode) (*inode, error) {
	key, hasKey := keyOf(&li.Stat)
	fs.mu.Lock()
	if fs.released {
		fs.mu.Unlock()
		return nil, linux.EIO
	}
	if hasKey {
		if in := fs.byKey[key]; in != nil && in.ftype == uint32(li.Stat.Mode)&linux.S_IFMT {
			in.refs++
			fs.mu.Unlock()
			fs.closeFD(li.ControlFD)
			in.setStat(li.Stat)
			return in, nil
		}
	}
	in := fs.newInodeLocked(li)
	fs.mu.Unlock()
	return in, nil
}

// incRef takes a reference on in for a new name or open file.
func (in *inode) incRef() {
	in.fs.mu.Lock()
	in.refs++
	in.fs.mu.Unlock()
}

// decRef drops a reference; the last one closes the control FD.
func (in *inode) decRef() {
	fs := in.fs
	fs.mu.Lock()
	in.refs--
	if in.refs > 0 || fs.released || in.closed.Load() {
		fs.mu.Unlock()
		return
	}
	in.closed.Store(true)
	delete(fs.live, in)
	if in.hasKey && fs.byKey[in.key] == in {
		delete(fs.byKey, in.key)
	}
	fs.mu.Unlock()
	in.invalidateCache()

	fds := []lisafs.FDID{in.controlFD}
	if p := in.takePending(); p != nil {
		fds = append(fds, p.fd)
		if p.hostFD >= 0 {
			unix.Close(p.hostFD)
		}
	}
	fs.client.CloseFDs(fds)
}

// isClosed reports whether the control FD is gone.
func (in *inode) isClosed() bool { return in.closed.Load() }

// setStat replaces the cached attributes with fresh ones from the gofer.
func (in *inode) setStat(st linux.Statx) {
	in.mu.Lock()
	in.stat = st
	in.stale = false
	in.gen++
	in.mu.Unlock()
}

// markStale makes the next Stat fetch the attributes; the data may have
// changed too.
func (in *inode) markStale() {
	in.mu.Lock()
	in.stale = true
	in.gen++
	in.mu.Unlock()
	in.invalidateCache()
}

// changed records that the sentry changed a directory's entries: the
// listing and the attributes (mtime, nlink) must be fetched again.
func (in *inode) changed() {
	in.mu.Lock()
	in.dirents = nil
	in.stale = true
	in.gen++
	in.mu.Unlock()
}

// removedName records that one of the file's names was removed by the
// sentry and drops the name's reference. The link count is lowered
// locally too, for when the control FD is closed before the next fetch.
func (in *inode) removedName() {
	in.mu.Lock()
	if in.stat.Nlink > 0 {
		in.stat.Nlink--
	}
	if in.ftype == linux.S_IFDIR {
		// An empty directory's "." goes with its name.
		in.stat.Nlink = 0
	}
	in.stale = true
	in.gen++
	in.mu.Unlock()
	in.decRef()
}

// Stat implements vfs.Inode. In Exclusive mode it answers from the cache
// (fetching once after a change the cache did not track); in Shared mode
// it always asks the gofer. A file whose control FD is closed keeps its
// last attributes.
func (in *inode) Stat() (linux.Statx, error) {
	in.mu.Lock()
	if (!in.stale && in.fs.opts.FileAccess == Exclusive) || in.isClosed() {
		st := in.stat
		in.mu.Unlock()
		return st, nil
	}
	gen := in.gen
	in.mu.Unlock()

	st, err := in.fs.client.FStat(in.controlFD)
	if err != nil {
		if in.isClosed() {
			// Closed while the request was in flight.
			in.mu.Lock()
			defer in.mu.Unlock()
			return in.stat, nil
		}
		return linux.Statx{}, in.fs.rpcErr("stat", "", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.gen == gen {
		in.stat = st
		in.stale = false
		return st, nil
	}
	// Changed meanwhile: the fetched attributes may predate the change.
	return in.stat, nil
}

// size returns the file size. In Exclusive mode the cached size is exact
// (every change of it goes through the sentry and is recorded: writes,
// SetStat, fallocate) and costs no RPC; Shared mode asks the gofer.
func (in *inode) size() (int64, error) {
	if in.fs.opts.FileAccess == Exclusive {
		in.mu.Lock()
		defer in.mu.Unlock()
		return int64(in.stat.Size), nil
	}
	st, err := in.Stat()
	if err != nil {
		return 0, err
	}
	return int64(st.Size), nil
}

// grewTo records that the sentry wrote up to end: the size is raised
// locally and the rest (mtime, blocks) is fetched at the next Stat.
func (in *inode) grewTo(end int64) {
	in.mu.Lock()
	if uint64(end) > in.stat.Size {
		in.stat.Size = uint64(end)
	}
	in.stale = true
	in.gen++
	in.mu.Unlock()
	in.invalidateCache()
}

// setStatMask are the attributes LISAFS SetStat can change.
const setStatMask = linux.STATX_MODE | linux.STATX_UID | linux.STATX_GID | linux.STATX_SIZE | linux.STATX_ATIME | linux.STATX_MTIME

// SetStat implements vfs.Inode.
func (in *inode) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	if in.fs.opts.ReadOnly {
		return linux.EROFS
	}
	if in.isClosed() {
		return linux.ENOENT
	}
	a := lisafs.SetStatArgs{
		Mask:  opts.Mask & setStatMask,
		Mode:  opts.Mode & 07777,
		UID:   uint32(opts.UID),
		GID:   uint32(opts.GID),
		Size:  opts.Size,
		Atime: opts.Atime,
		Mtime: opts.Mtime,
	}
	if a.Mask == 0 {
		return nil
	}
	if err := in.fs.client.SetStat(in.controlFD, a); err != nil {
		return in.fs.rpcErr("setstat", "", err)
	}
	in.mu.Lock()
	if a.Mask&linux.STATX_SIZE != 0 {
		in.stat.Size = a.Size
	}
	if a.Mask&linux.STATX_MODE != 0 {
		in.stat.Mode = uint16(in.ftype | a.Mode)
	}
	if a.Mask&linux.STATX_UID != 0 {
		in.stat.UID = a.UID
	}
	if a.Mask&linux.STATX_GID != 0 {
		in.stat.GID = a.GID
	}
	// Times and anything the gofer adjusted (set-ID bits) come from the
	// next fetch.
	in.stale = true
	in.gen++
	in.mu.Unlock()
	if a.Mask&linux.STATX_SIZE != 0 {
		in.invalidateCache()
	}
	return nil
}

// Open implements vfs.Inode.
func (in *inode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	switch in.ftype {
	case linux.S_IFDIR:
		// The open directory holds a reference, so that fchmod and
		// friends keep working after rmdir.
		f := &vfs.DirFile{}
		in.incRef()
		f.Init(vd, flags, in.decRef)
		return f, nil
	case linux.S_IFLNK:
		// The VFS never opens a symlink (O_PATH has its own file).
		return nil, linux.ELOOP
	case linux.S_IFREG:
		return in.openRegular(vd, flags)
	case linux.S_IFCHR:
		if in.fs.opts.OpenDevice == nil {
			return nil, linux.ENXIO
		}
		in.mu.Lock()
		rdev := linux.MakeDev(in.stat.RdevMajor, in.stat.RdevMinor)
		in.mu.Unlock()
		return in.fs.opts.OpenDevice(ctx, vd, rdev, flags)
	case linux.S_IFIFO:
		// May block until the other end opens (fifo(7)).
		return in.fifo.Open(ctx, vd, flags)
	default:
		// Block devices: the sentry has none. Host sockets come later.
		return nil, linux.ENXIO
	}
}

// takePending returns and forgets the open FD left by a create, if any.
func (in *inode) takePending() *pendingOpen {
	in.mu.Lock()
	defer in.mu.Unlock()
	p := in.pending
	in.pending = nil
	return p
}

// GetXattr implements vfs.XattrInode.
func (in *inode) GetXattr(ctx vfs.Context, name string, size uint64) ([]byte, error) {
	if in.isClosed() {
		return nil, linux.ENODATA
	}
	if size > linux.XATTR_SIZE_MAX {
		size = linux.XATTR_SIZE_MAX
	}
	v, err := in.fs.client.GetXattr(in.controlFD, name, uint32(size))
	if err != nil {
		return nil, in.fs.rpcErr("getxattr", name, err)
	}
	return v, nil
}

// SetXattr implements vfs.XattrInode.
func (in *inode) SetXattr(ctx vfs.Context, name string, value []byte, flags uint32) error {
	if in.fs.opts.ReadOnly {
		return linux.EROFS
	}
	if in.isClosed() {
		return linux.ENOENT
	}
	if err := in.fs.client.SetXattr(in.controlFD, name, value, flags); err != nil {
		return in.fs.rpcErr("setxattr", name, err)
	}
	in.markStale()
	return nil
}

// ListXattr implements vfs.XattrInode.
func (in *inode) ListXattr(ctx vfs.Context, size uint64) ([]string, error) {
	if in.isClosed() {
		return nil, nil
	}
	if size > linux.XATTR_LIST_MAX {
		size = linux.XATTR_LIST_MAX
	}
	names, err := in.fs.client.ListXattr(in.controlFD, uint32(size))
	if err != nil {
		return nil, in.fs.rpcErr("listxattr", "", err)
	}
	return names, nil
}

// RemoveXattr implements vfs.XattrInode.
func (in *inode) RemoveXattr(ctx vfs.Context, name string) error {
	if in.fs.opts.ReadOnly {
		return linux.EROFS
	}
	if in.isClosed() {
		return linux.ENOENT
	}
	if err := in.fs.client.RemoveXattr(in.controlFD, name); err != nil {
		return in.fs.rpcErr("removexattr", name, err)
	}
	in.markStale()
	return nil
}

// Readlink implements vfs.SymlinkInode. The target is cached in both
// modes: a symlink's target cannot change (a new target is a new inode,
// which revalidation catches), and the control FD pins the inode.
func (s *symlinkInode) Readlink(ctx vfs.Context) (string, error) {
	in := &s.inode
	in.mu.Lock()
	if in.haveTarget {
		t := in.target
		in.mu.Unlock()
		return t, nil
	}
	in.mu.Unlock()
	if in.isClosed() {
		return "", linux.ENOENT
	}
	t, err := in.fs.client.ReadLinkAt(in.controlFD)
	if err != nil {
		return "", in.fs.rpcErr("readlink", "", err)
	}
	in.mu.Lock()
	in.target, in.haveTarget = t, true
	in.mu.Unlock()
	return t, nil
}
