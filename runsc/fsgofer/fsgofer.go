// Package fsgofer serves a host directory tree over LISAFS: it is the
// lisafs.Handler of `runsc gofer`.
//
// Every file is reached from the root one path component at a time,
// relative to an already-open directory FD, and no symlink is ever followed:
// each openat uses O_NOFOLLOW, each *at call AT_SYMLINK_NOFOLLOW (or acts on
// a name that cannot be a symlink it would follow), and operations on a
// file itself go through its O_PATH control FD with AT_EMPTY_PATH. Names
// are single components (lisafs.CheckName rejects "", ".", ".." and '/'),
// so nothing a client sends can leave the root, and nothing needs /proc.
//
// A file is opened for I/O by reopening its name in its parent directory
// (directories: "." of their own control FD) and checking that the device
// and inode still match the control FD; a name that now holds another file
// gives ESTALE. So that names stay right, the gofer keeps a tree of the
// nodes it handed out (one node per name, reference counted) and updates it
// on rename and unlink.
//
// The root may also be a single regular file (NewFileRoot, for a bind mount
// of one host file): its parent directory is held to reopen it and is
// never handed out, so only that name in it is reachable.
//
// Files of other types are refused for I/O: device nodes with EACCES (the
// sentry provides its own /dev; the gofer never opens a host device),
// FIFOs and sockets with ENXIO (the sentry implements named pipes itself),
// symlinks with ELOOP. MknodAt refuses device nodes with EPERM. In read-only
// mode every request that would change the file system fails with EROFS.
//
// Preconditions: the process umask is 0 (runsc gofer sets it), so that
// created files get exactly the mode the client asks for.
//
// Lock order: Gofer.renameMu, then Gofer.treeMu. No host call blocks on a
// file's contents with treeMu held.
//
// This package must not import the sentry, and must not open anything by a
// path of more than one component.
package fsgofer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"golang.org/x/sys/unix"
)

// Config says how a Gofer serves its tree.
type Config struct {
	// ReadOnly refuses every change with EROFS.
	ReadOnly bool
	// ProcSelfFD, if above 0, is a directory FD of the gofer's own
	// /proc/self/fd, opened before it entered the root. Regular files
	// are then reopened for I/O through it, by identity: a file whose
	// name was removed or replaced while another hard link (or an open
	// file) keeps it stays reachable, as on Linux. Without it they are
	// reopened by name, and a file that lost its name is ESTALE.
	ProcSelfFD int
}

// Gofer is a lisafs.Handler serving the tree under one root directory, or
// one regular file (NewFileRoot).
type Gofer struct {
	conf Config

	// renameMu is held for writing while a name disappears or moves
	// (unlink, rename), and for reading while a name is resolved and
	// recorded (walk, reopen, create), so that a node's parent and name
	// always match the host.
	renameMu sync.RWMutex

	// treeMu protects every node's refs, parent, name and children.
	treeMu sync.Mutex

	root *node
}

// node is a file the gofer has a control FD for.
type node struct {
	g *Gofer
	// fd is an O_PATH|O_NOFOLLOW FD of the file; dev, ino and ftype (its
	// S_IFMT bits) never change.
	fd    int
	dev   uint64
	ino   uint64
	ftype uint32

	// Protected by g.treeMu. parent (on which the node holds a reference)
	// and name are where the node was found; children maps names to the
	// nodes found in this directory (no references).
	refs     int
	parent   *node
	name     string
	children map[string]*node
}

// New serves the directory rootFD (an FD the Gofer takes ownership of; it
// may be O_PATH).
func New(rootFD int, conf Config) (*Gofer, error) {
	fd, err := unix.Openat(rootFD, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	unix.Close(rootFD)
	if err != nil {
		return nil, fmt.Errorf("fsgofer: open root: %w", err)
	}
	var st unix.Statx_t
	if err := statxFD(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("fsgofer: stat root: %w", err)
	}
	g := &Gofer{conf: conf}
	g.root = &node{g: g, fd: fd, dev: devOf(&st), ino: st.Ino, ftype: uint32(st.Mode) & unix.S_IFMT, refs: 1}
	return g, nil
}

// NewFileRoot serves a tree that is a single regular file: name in the
// directory dirFD (an FD the Gofer takes ownership of; it may be O_PATH),
// which must not be a symlink. The directory is the root's parent, never
// handed out: it is only how the file is reopened for I/O (see reopen),
// so the client can reach nothing but the file. A bind mount of one host
// file (an OCI spec's /etc/hosts) is served this way.
func NewFileRoot(dirFD int, name string, conf Config) (*Gofer, error) {
	if err := lisafs.CheckName(name); err != nil {
		unix.Close(dirFD)
		return nil, fmt.Errorf("fsgofer: file root %q: %w", name, err)
	}
	g, err := New(dirFD, conf)
	if err != nil {
		return nil, err
	}
	dir := g.root
	fd, err := openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("fsgofer: open file root %q: %w", name, err)
	}
	var st unix.Statx_t
	if err := statxFD(fd, &st); err != nil {
		unix.Close(fd)
		g.Close()
		return nil, fmt.Errorf("fsgofer: stat file root %q: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		g.Close()
		return nil, fmt.Errorf("fsgofer: file root %q is not a regular file", name)
	}
	// The file's node holds the only reference on its parent.
	g.renameMu.RLock()
	g.root = g.attach(dir, name, fd, &st)
	g.renameMu.RUnlock()
	g.decRef(dir)
	return g, nil
}

// Open serves the directory at path, which is resolved normally (the
// caller trusts it).
func Open(path string, conf Config) (*Gofer, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fsgofer: open root %q: %w", path, err)
	}
	return New(fd, conf)
}

// Close drops the Gofer's own reference on the root. Nodes still handed
// out stay valid until the server closes them.
func (g *Gofer) Close() {
	g.decRef(g.root)
}

// errno converts a host error to the guest errno the client sees. This is
// where the host ABI meets the guest ABI: Linux's errno numbers are the same
// for the host and the guest on one architecture, and anything that is not
// a host errno becomes EIO.
func errno(err error) error {
	if err == nil {
		return nil
	}
	var le linux.Errno
	if errors.As(err, &le) {
		return le
	}
	var he unix.Errno
	if errors.As(err, &he) {
		return linux.Errno(he)
	}
	return linux.EIO
}

func devOf(st *unix.Statx_t) uint64 {
	return unix.Mkdev(st.Dev_major, st.Dev_minor)
}

// statxMask is what every stat asks for.
const statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME

// statxFD stats the file fd itself, never a symlink's target.
func statxFD(fd int, st *unix.Statx_t) error {
	for {
		err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, statxMask, st)
		if err != unix.EINTR {
			return err
		}
	}
}

// toStatx converts a host statx to the guest's.
func toStatx(s *unix.Statx_t) linux.Statx {
	ts := func(t unix.StatxTimestamp) linux.StatxTimestamp {
		return linux.StatxTimestamp{Sec: t.Sec, Nsec: t.Nsec}
	}
	return linux.Statx{
		Mask:           s.Mask,
		Blksize:        s.Blksize,
		Attributes:     s.Attributes,
		Nlink:          s.Nlink,
		UID:            s.Uid,
		GID:            s.Gid,
		Mode:           s.Mode,
		Ino:            s.Ino,
		Size:           s.Size,
		Blocks:         s.Blocks,
		AttributesMask: s.Attributes_mask,
		Atime:          ts(s.Atime),
		Btime:          ts(s.Btime),
		Ctime:          ts(s.Ctime),
		Mtime:          ts(s.Mtime),
		RdevMajor:      s.Rdev_major,
		RdevMinor:      s.Rdev_minor,
		DevMajor:       s.Dev_major,
		DevMinor:       s.Dev_minor,
	}
}

func asNode(n lisafs.Node) *node {
	return n.(*node)
}

// Close implements lisafs.Node.
func (n *node) Close() {
	n.g.decRef(n)
}

// decRef drops a reference on n, releasing it (and then its parent) when
// it was the last.
func (g *Gofer) decRef(n *node) {
	for n != nil {
		g.treeMu.Lock()
		n.refs--
		if n.refs > 0 {
			g.treeMu.Unlock()
			return
		}
		p := n.parent
		if p != nil && p.children[n.name] == n {
			delete(p.children, n.name)
		}
		n.parent = nil
		g.treeMu.Unlock()
		unix.Close(n.fd)
		n = p
	}
}

// attach records that name in dir is the file whose fresh O_PATH FD is fd,
// and returns its node with a new reference. It reuses the node already
// recorded for name if that is the same file (closing fd), and replaces it
// otherwise.
//
// Preconditions: g.renameMu is held (for reading at least).
func (g *Gofer) attach(dir *node, name string, fd int, st *unix.Statx_t) *node {
	dev, ino := devOf(st), st.Ino
	g.treeMu.Lock()
	if c, ok := dir.children[name]; ok && c.dev == dev && c.ino == ino {
		c.refs++
		g.treeMu.Unlock()
		unix.Close(fd)
		return c
	}
	n := &node{g: g, fd: fd, dev: dev, ino: ino, ftype: uint32(st.Mode) & unix.S_IFMT, refs: 1, parent: dir, name: name}
	dir.refs++
	if dir.children == nil {
		dir.children = make(map[string]*node)
	}
	dir.children[name] = n
	g.treeMu.Unlock()
	return n
}

// Mount implements lisafs.Handler.Mount.
func (g *Gofer) Mount() (lisafs.Node, linux.Statx, error) {
	var st unix.Statx_t
	if err := statxFD(g.root.fd, &st); err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	g.treeMu.Lock()
	g.root.refs++
	g.treeMu.Unlock()
	return g.root, toStatx(&st), nil
}

// Walk implements lisafs.Handler.Walk.
func (g *Gofer) Walk(dirN lisafs.Node, name string) (lisafs.Node, linux.Statx, error) {
	dir := asNode(dirN)
	if dir.ftype != unix.S_IFDIR {
		return nil, linux.Statx{}, linux.ENOTDIR
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	n, st, err := g.lookupLocked(dir, name)
	if err != nil {
		return nil, linux.Statx{}, err
	}
	return n, toStatx(st), nil
}

// lookupLocked opens name in dir with O_PATH, never following a symlink,
// and attaches it.
//
// Preconditions: g.renameMu is held (for reading at least).
func (g *Gofer) lookupLocked(dir *node, name string) (*node, *unix.Statx_t, error) {
	fd, err := openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, errno(err)
	}
	var st unix.Statx_t
	if err := statxFD(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, errno(err)
	}
	return g.attach(dir, name, fd, &st), &st, nil
}

// openat is openat(2), retried on EINTR.
func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// Stat implements lisafs.Handler.Stat.
func (g *Gofer) Stat(n lisafs.Node) (linux.Statx, error) {
	var st unix.Statx_t
	if err := statxFD(asNode(n).fd, &st); err != nil {
		return linux.Statx{}, errno(err)
	}
	return toStatx(&st), nil
}

// reopen opens n's file for I/O with host open flags (access mode and
// status flags only), checking that it is still the same file. The result
// never blocks in open (O_NONBLOCK is used and then cleared unless asked
// for) and is never a controlling terminal.
func (g *Gofer) reopen(n *node, flags int) (int, error) {
	var (
		fd  int
		err error
	)
	if n.ftype == unix.S_IFDIR {
		fd, err = openat(n.fd, ".", flags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, errno(err)
		}
	} else if n.ftype == unix.S_IFREG && g.conf.ProcSelfFD > 0 {
		// n.fd is an O_PATH FD of the file itself: opening its
		// /proc link opens that very file, whatever its names are now.
		fd, err = openat(g.conf.ProcSelfFD, strconv.Itoa(n.fd), flags|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		if err != nil {
			return -1, errno(err)
		}
	} else {
		g.renameMu.RLock()
		g.treeMu.Lock()
		parent, name := n.parent, n.name
		named := parent != nil && parent.children[name] == n
		g.treeMu.Unlock()
		if !named {
			g.renameMu.RUnlock()
			return -1, linux.ESTALE
		}
		fd, err = openat(parent.fd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		g.renameMu.RUnlock()
		if err != nil {
			if err == unix.ENOENT || err == unix.ELOOP {
				return -1, linux.ESTALE
			}
			return -1, errno(err)
		}
	}
	var st unix.Statx_t
	if err := statxFD(fd, &st); err != nil {
		unix.Close(fd)
		return -1, errno(err)
	}
	if devOf(&st) != n.dev || st.Ino != n.ino {
		unix.Close(fd)
		return -1, linux.ESTALE
	}
	if n.ftype != unix.S_IFDIR && flags&unix.O_NONBLOCK == 0 {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err == nil {
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
		}
		if err != nil {
			unix.Close(fd)
			return -1, errno(err)
		}
	}
	return fd, nil
}

// openFlags maps the guest open flags that a reopen passes on to host
// flags. Others are dropped: creation flags are refused or handled
// separately, O_CLOEXEC|O_NOFOLLOW|O_NOCTTY are always used, O_NOATIME
// would let the sandbox hide reads from the host, O_NONBLOCK and O_ASYNC are
// the sentry's business.
var openFlags = []struct {
	guest uint32
	host  int
}{
	{linux.O_APPEND, unix.O_APPEND},
	{linux.O_DSYNC, unix.O_DSYNC},
	{linux.O_SYNC, unix.O_SYNC},
	{linux.O_DIRECT, unix.O_DIRECT},
	{linux.O_LARGEFILE, unix.O_LARGEFILE},
}

// hostOpenFlags converts the access mode and passed-on status flags.
func hostOpenFlags(flags uint32) (int, error) {
	var host int
	switch flags & linux.O_ACCMODE {
	case linux.O_RDONLY:
		host = unix.O_RDONLY
	case linux.O_WRONLY:
		host = unix.O_WRONLY
	case linux.O_RDWR:
		host = unix.O_RDWR
	default:
		return 0, linux.EINVAL
	}
	for _, f := range openFlags {
		if flags&f.guest == f.guest {
			host |= f.host
		}
	}
	return host, nil
}

// openFile is a file opened for I/O.
type openFile struct {
	n  *node
	fd int

	// mu serializes Getdents64, which moves the FD's offset.
	mu sync.Mutex
}

// Close implements lisafs.OpenFile.
func (f *openFile) Close() {
	unix.Close(f.fd)
}

func asOpen(f lisafs.OpenFile) *openFile {
	return f.(*openFile)
}

// checkOpenable returns the error opening a file of type ftype with flags
// gives.
func (g *Gofer) checkOpenable(ftype uint32, flags uint32) error {
	acc := flags & linux.O_ACCMODE
	if acc == linux.O_ACCMODE {
		return linux.EINVAL
	}
	if flags&linux.O_CREAT != 0 || flags&linux.O_TMPFILE == linux.O_TMPFILE {
		return linux.EINVAL
	}
	switch ftype {
	case unix.S_IFDIR:
		if acc != linux.O_RDONLY || flags&linux.O_TRUNC != 0 {
			return linux.EISDIR
		}
		return nil
	case unix.S_IFREG:
	case unix.S_IFLNK:
		return linux.ELOOP
	case unix.S_IFCHR, unix.S_IFBLK:
		return linux.EACCES
	default:
		return linux.ENXIO
	}
	if flags&linux.O_DIRECTORY != 0 {
		return linux.ENOTDIR
	}
	if g.conf.ReadOnly && (acc != linux.O_RDONLY || flags&linux.O_TRUNC != 0) {
		return linux.EROFS
	}
	return nil
}

// Open implements lisafs.Handler.Open.
func (g *Gofer) Open(nn lisafs.Node, flags uint32) (lisafs.OpenFile, int, error) {
	n := asNode(nn)
	if err := g.checkOpenable(n.ftype, flags); err != nil {
		return nil, -1, err
	}
	host, err := hostOpenFlags(flags)
	if err != nil {
		return nil, -1, err
	}
	fd, err := g.reopen(n, host)
	if err != nil {
		return nil, -1, err
	}
	// O_TRUNC only after the file is known to be the right one.
	if flags&linux.O_TRUNC != 0 {
		if err := unix.Ftruncate(fd, 0); err != nil {
			unix.Close(fd)
			return nil, -1, errno(err)
		}
	}
	f := &openFile{n: n, fd: fd}
	if n.ftype == unix.S_IFREG {
		return f, fd, nil
	}
	return f, -1, nil
}

// OpenCreate implements lisafs.Handler.OpenCreate.
func (g *Gofer) OpenCreate(dirN lisafs.Node, name string, flags, mode, uid, gid uint32) (lisafs.Node, linux.Statx, lisafs.OpenFile, int, error) {
	dir := asNode(dirN)
	if err := g.checkCreate(dir); err != nil {
		return nil, linux.Statx{}, nil, -1, err
	}
	if flags&linux.O_DIRECTORY != 0 || flags&linux.O_ACCMODE == linux.O_ACCMODE {
		return nil, linux.Statx{}, nil, -1, linux.EINVAL
	}
	host, err := hostOpenFlags(flags)
	if err != nil {
		return nil, linux.Statx{}, nil, -1, err
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	fd, err := openat(dir.fd, name, host|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, mode&0o7777)
	if err != nil {
		return nil, linux.Statx{}, nil, -1, errno(err)
	}
	n, st, err := g.finishCreate(dir, name, fd, &owner{uid, gid})
	if err != nil {
		unix.Close(fd)
		return nil, linux.Statx{}, nil, -1, err
	}
	return n, st, &openFile{n: n, fd: fd}, fd, nil
}

// checkCreate is the common check of every request that creates a name in
// dir.
func (g *Gofer) checkCreate(dir *node) error {
	if g.conf.ReadOnly {
		return linux.EROFS
	}
	if dir.ftype != unix.S_IFDIR {
		return linux.ENOTDIR
	}
	return nil
}

// owner is the owner a new file gets.
type owner struct {
	uid, gid uint32
}

// finishCreate gives the file just created as name in dir its owner (if
// own is not nil) and returns its node. sameAs, if >= 0, is an FD of the
// new file that the node must match (so a name swapped in between is not
// taken for it). On error it removes the name again.
//
// Preconditions: g.renameMu is held for reading.
func (g *Gofer) finishCreate(dir *node, name string, sameAs int, own *owner) (*node, linux.Statx, error) {
	fail := func(err error) (*node, linux.Statx, error) {
		unix.Unlinkat(dir.fd, name, 0)
		return nil, linux.Statx{}, err
	}
	fd, err := openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	var st unix.Statx_t
	if err := statxFD(fd, &st); err != nil {
		unix.Close(fd)
		return fail(errno(err))
	}
	if sameAs >= 0 {
		var st2 unix.Statx_t
		if err := statxFD(sameAs, &st2); err != nil || devOf(&st2) != devOf(&st) || st2.Ino != st.Ino {
			unix.Close(fd)
			return nil, linux.Statx{}, linux.ESTALE
		}
	}
	if own != nil {
		if err := chown(fd, own.uid, own.gid, &st); err != nil {
			unix.Close(fd)
			return fail(err)
		}
	}
	n := g.attach(dir, name, fd, &st)
	return n, toStatx(&st), nil
}

// chown gives the new file fd (stat st) the owner uid:gid. A gofer without
// the privilege to do so (rootless, or ids outside its user namespace)
// leaves the file owned by itself.
func chown(fd int, uid, gid uint32, st *unix.Statx_t) error {
	if st.Uid == uid && st.Gid == gid {
		return nil
	}
	err := unix.Fchownat(fd, "", int(uid), int(gid), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	switch err {
	case nil:
		if err := statxFD(fd, st); err != nil {
			return errno(err)
		}
		return nil
	case unix.EPERM, unix.EINVAL:
		return nil
	default:
		return errno(err)
	}
}

// Mkdir implements lisafs.Handler.Mkdir.
func (g *Gofer) Mkdir(dirN lisafs.Node, name string, mode, uid, gid uint32) (lisafs.Node, linux.Statx, error) {
	dir := asNode(dirN)
	if err := g.checkCreate(dir); err != nil {
		return nil, linux.Statx{}, err
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	if err := unix.Mkdirat(dir.fd, name, mode&0o7777); err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	n, st, err := g.finishCreateDir(dir, name, uid, gid)
	return n, st, err
}

// finishCreateDir is finishCreate for a directory (removed with rmdir on
// error).
//
// Preconditions: g.renameMu is held for reading.
func (g *Gofer) finishCreateDir(dir *node, name string, uid, gid uint32) (lisafs.Node, linux.Statx, error) {
	fd, err := openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	var st unix.Statx_t
	err = statxFD(fd, &st)
	if err == nil {
		err = chown(fd, uid, gid, &st)
	}
	if err != nil {
		unix.Close(fd)
		unix.Unlinkat(dir.fd, name, unix.AT_REMOVEDIR)
		return nil, linux.Statx{}, errno(err)
	}
	return g.attach(dir, name, fd, &st), toStatx(&st), nil
}

// Mknod implements lisafs.Handler.Mknod.
func (g *Gofer) Mknod(dirN lisafs.Node, name string, mode, uid, gid, major, minor uint32) (lisafs.Node, linux.Statx, error) {
	dir := asNode(dirN)
	if err := g.checkCreate(dir); err != nil {
		return nil, linux.Statx{}, err
	}
	var hostType uint32
	switch mode & linux.S_IFMT {
	case 0, linux.S_IFREG:
		hostType = unix.S_IFREG
	case linux.S_IFIFO:
		hostType = unix.S_IFIFO
	case linux.S_IFSOCK:
		hostType = unix.S_IFSOCK
	case linux.S_IFCHR, linux.S_IFBLK, linux.S_IFDIR:
		// No device nodes on the host from inside the sandbox.
		return nil, linux.Statx{}, linux.EPERM
	default:
		return nil, linux.Statx{}, linux.EINVAL
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	if err := unix.Mknodat(dir.fd, name, hostType|mode&0o7777, 0); err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	return g.finishCreate(dir, name, -1, &owner{uid, gid})
}

// Symlink implements lisafs.Handler.Symlink.
func (g *Gofer) Symlink(dirN lisafs.Node, name, target string, uid, gid uint32) (lisafs.Node, linux.Statx, error) {
	dir := asNode(dirN)
	if err := g.checkCreate(dir); err != nil {
		return nil, linux.Statx{}, err
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	if err := unix.Symlinkat(target, dir.fd, name); err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	return g.finishCreate(dir, name, -1, &owner{uid, gid})
}

// Link implements lisafs.Handler.Link.
func (g *Gofer) Link(dirN lisafs.Node, name string, targetN lisafs.Node) (lisafs.Node, linux.Statx, error) {
	dir, target := asNode(dirN), asNode(targetN)
	if err := g.checkCreate(dir); err != nil {
		return nil, linux.Statx{}, err
	}
	if target.ftype == unix.S_IFDIR {
		return nil, linux.Statx{}, linux.EPERM
	}
	g.renameMu.RLock()
	defer g.renameMu.RUnlock()
	err := unix.Linkat(target.fd, "", dir.fd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		// linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; without it,
		// link the target's name, then check the result is the target.
		err = g.linkByName(target, dir, name)
	}
	if err != nil {
		return nil, linux.Statx{}, errno(err)
	}
	// A hard link keeps the target's owner.
	return g.finishCreate(dir, name, target.fd, nil)
}

// linkByName links target's current name to name in dir.
//
// Preconditions: g.renameMu is held for reading.
func (g *Gofer) linkByName(target, dir *node, name string) error {
	g.treeMu.Lock()
	parent, oldName := target.parent, target.name
	named := parent != nil && parent.children[oldName] == target
	g.treeMu.Unlock()
	if !named {
		return linux.ESTALE
	}
	return unix.Linkat(parent.fd, oldName, dir.fd, name, 0)
}

// Unlink implements lisafs.Handler.Unlink.
func (g *Gofer) Unlink(dirN lisafs.Node, name string, flags uint32) error {
	dir := asNode(dirN)
	if err := g.checkCreate(dir); err != nil {
		return err
	}
	host := 0
	if flags&linux.AT_REMOVEDIR != 0 {
		host = unix.AT_REMOVEDIR
	}
	g.renameMu.Lock()
	defer g.renameMu.Unlock()
	if err := unix.Unlinkat(dir.fd, name, host); err != nil {
		return errno(err)
	}
	g.treeMu.Lock()
	delete(dir.children, name)
	g.treeMu.Unlock()
	return nil
}

// Rename implements lisafs.Handler.Rename.
func (g *Gofer) Rename(oldDirN lisafs.Node, oldName string, newDirN lisafs.Node, newName string) error {
	oldDir, newDir := asNode(oldDirN), asNode(newDirN)
	if err := g.checkCreate(oldDir); err != nil {
		return err
	}
	if newDir.ftype != unix.S_IFDIR {
		return linux.ENOTDIR
	}
	g.renameMu.Lock()
	defer g.renameMu.Unlock()
	if err := unix.Renameat2(oldDir.fd, oldName, newDir.fd, newName, 0); err != nil {
		return errno(err)
	}
	g.treeMu.Lock()
	moved, ok := oldDir.children[oldName]
	if oldDir == newDir && oldName == newName {
		g.treeMu.Unlock()
		return nil
	}
	delete(oldDir.children, oldName)
	delete(newDir.children, newName) // The replaced file, if any, is gone.
	var drop *node
	if ok {
		if newDir.children == nil {
			newDir.children = make(map[string]*node)
		}
		newDir.children[newName] = moved
		moved.name = newName
		if moved.parent != newDir {
			drop = moved.parent
			moved.parent = newDir
			newDir.refs++
		}
	}
	g.treeMu.Unlock()
	if drop != nil {
		g.decRef(drop)
	}
	return nil
}

// ReadLink implements lisafs.Handler.ReadLink.
func (g *Gofer) ReadLink(nn lisafs.Node) (string, error) {
	n := asNode(nn)
	if n.ftype != unix.S_IFLNK {
		return "", linux.EINVAL
	}
	buf := make([]byte, linux.PATH_MAX)
	for {
		k, err := unix.Readlinkat(n.fd, "", buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", errno(err)
		}
		if k >= len(buf) {
			return "", linux.ENAMETOOLONG
		}
		return string(buf[:k]), nil
	}
}

// StatFS implements lisafs.Handler.StatFS.
func (g *Gofer) StatFS(nn lisafs.Node) (linux.Statfs, error) {
	var s unix.Statfs_t
	if err := unix.Fstatfs(asNode(nn).fd, &s); err != nil {
		return linux.Statfs{}, errno(err)
	}
	return linux.Statfs{
		Type:    s.Type,
		Bsize:   s.Bsize,
		Blocks:  s.Blocks,
		Bfree:   s.Bfree,
		Bavail:  s.Bavail,
		Files:   s.Files,
		Ffree:   s.Ffree,
		Fsid:    [2]int32{s.Fsid.Val[0], s.Fsid.Val[1]},
		Namelen: s.Namelen,
		Frsize:  s.Frsize,
		Flags:   s.Flags,
	}, nil
}

// SetStat implements lisafs.Handler.SetStat. The changes are made one after
// another (size, owner, mode, times), not atomically.
func (g *Gofer) SetStat(nn lisafs.Node, a lisafs.SetStatArgs) error {
	n := asNode(nn)
	if a.Mask == 0 {
		return nil
	}
	if g.conf.ReadOnly {
		return linux.EROFS
	}
	if a.Mask&linux.STATX_SIZE != 0 {
		if err := g.truncate(n, a.Size); err != nil {
			return err
		}
	}
	if a.Mask&(linux.STATX_UID|linux.STATX_GID) != 0 {
		uid, gid := -1, -1
		if a.Mask&linux.STATX_UID != 0 {
			uid = int(a.UID)
		}
		if a.Mask&linux.STATX_GID != 0 {
			gid = int(a.GID)
		}
		if err := unix.Fchownat(n.fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return errno(err)
		}
	}
	if a.Mask&linux.STATX_MODE != 0 {
		if err := g.chmod(n, a.Mode&0o7777); err != nil {
			return err
		}
	}
	if a.Mask&(linux.STATX_ATIME|linux.STATX_MTIME) != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if a.Mask&linux.STATX_ATIME != 0 {
			ts[0] = hostTimespec(a.Atime)
		}
		if a.Mask&linux.STATX_MTIME != 0 {
			ts[1] = hostTimespec(a.Mtime)
		}
		if err := unix.UtimesNanoAt(n.fd, "", ts, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return errno(err)
		}
	}
	return nil
}

// hostTimespec converts a utimensat(2) time, keeping UTIME_NOW and
// UTIME_OMIT.
func hostTimespec(t linux.Timespec) unix.Timespec {
	switch t.Nsec {
	case linux.UTIME_NOW:
		return unix.Timespec{Nsec: unix.UTIME_NOW}
	case linux.UTIME_OMIT:
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.Timespec{Sec: t.Sec, Nsec: t.Nsec}
}

// truncate sets the size of a regular file.
func (g *Gofer) truncate(n *node, size uint64) error {
	switch n.ftype {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return linux.EISDIR
	default:
		return linux.EINVAL
	}
	if size > 1<<63-1 {
		return linux.EINVAL
	}
	fd, err := g.reopen(n, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return errno(err)
	}
	return nil
}

// chmod sets the permission bits of n, with fchmodat2(AT_EMPTY_PATH) where
// the kernel has it (6.6+), else through a reopened FD.
func (g *Gofer) chmod(n *node, mode uint32) error {
	err := unix.Fchmodat(n.fd, "", mode, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	if err != unix.EOPNOTSUPP && err != unix.ENOSYS {
		return errno(err)
	}
	if n.ftype != unix.S_IFREG && n.ftype != unix.S_IFDIR {
		return linux.EOPNOTSUPP
	}
	fd, err := g.reopen(n, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return errno(unix.Fchmod(fd, mode))
}

// PRead implements lisafs.Handler.PRead.
func (g *Gofer) PRead(ff lisafs.OpenFile, off uint64, buf []byte) (int, error) {
	f := asOpen(ff)
	for {
		n, err := unix.Pread(f.fd, buf, int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, errno(err)
		}
		return n, nil
	}
}

// PWrite implements lisafs.Handler.PWrite.
func (g *Gofer) PWrite(ff lisafs.OpenFile, off uint64, buf []byte) (int, error) {
	f := asOpen(ff)
	if g.conf.ReadOnly {
		return 0, linux.EROFS
	}
	for {
		n, err := unix.Pwrite(f.fd, buf, int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, errno(err)
		}
		return n, nil
	}
}

// FSync implements lisafs.Handler.FSync.
func (g *Gofer) FSync(ff lisafs.OpenFile) error {
	return errno(unix.Fsync(asOpen(ff).fd))
}

// FAllocate implements lisafs.Handler.FAllocate.
func (g *Gofer) FAllocate(ff lisafs.OpenFile, mode uint32, off, length uint64) error {
	if g.conf.ReadOnly {
		return linux.EROFS
	}
	if off > 1<<63-1 || length > 1<<63-1 {
		return linux.EINVAL
	}
	return errno(unix.Fallocate(asOpen(ff).fd, mode, int64(off), int64(length)))
}

// Getdents64 implements lisafs.Handler.Getdents64. "." and ".." are left
// out: the sentry makes its own.
func (g *Gofer) Getdents64(ff lisafs.OpenFile, count uint32) ([]lisafs.Dirent, error) {
	f := asOpen(ff)
	if f.n.ftype != unix.S_IFDIR {
		return nil, linux.ENOTDIR
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	buf := make([]byte, count)
	for {
		k, err := unix.Getdents(f.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, errno(err)
		}
		if k == 0 {
			return nil, nil
		}
		ds, err := parseDirents(buf[:k])
		if err != nil {
			return nil, err
		}
		if len(ds) > 0 {
			return ds, nil
		}
		// Only "." and "..": read on, or an empty reply would say
		// "end of directory".
	}
}

// parseDirents decodes linux_dirent64 records (include/linux/dirent.h):
// u64 ino, s64 off, u16 reclen, u8 type, NUL-terminated name.
func parseDirents(b []byte) ([]lisafs.Dirent, error) {
	const hdr = 19
	var ds []lisafs.Dirent
	for len(b) > 0 {
		if len(b) < hdr {
			return nil, linux.EIO
		}
		reclen := int(b[16]) | int(b[17])<<8
		if reclen < hdr+1 || reclen > len(b) {
			return nil, linux.EIO
		}
		name := b[hdr:reclen]
		if i := strings.IndexByte(string(name), 0); i >= 0 {
			name = name[:i]
		}
		d := lisafs.Dirent{
			Ino:  le64(b[0:]),
			Off:  int64(le64(b[8:])),
			Type: b[18],
			Name: string(name),
		}
		b = b[reclen:]
		if d.Name == "." || d.Name == ".." {
			continue
		}
		ds = append(ds, d)
	}
	return ds, nil
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// xattrFD opens n for the fd-based xattr calls: only regular files and
// directories can be opened without side effects, and only they may hold
// user.* xattrs; ok is false for other types.
func (g *Gofer) xattrFD(n *node) (fd int, ok bool, err error) {
	if n.ftype != unix.S_IFREG && n.ftype != unix.S_IFDIR {
		return -1, false, nil
	}
	fd, err = g.reopen(n, unix.O_RDONLY)
	if err != nil {
		return -1, true, err
	}
	return fd, true, nil
}

// GetXattr implements lisafs.Handler.GetXattr. Files other than regular
// files and directories have no xattrs here (ENODATA).
func (g *Gofer) GetXattr(nn lisafs.Node, name string) ([]byte, error) {
	fd, ok, err := g.xattrFD(asNode(nn))
	if !ok {
		return nil, linux.ENODATA
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, linux.XATTR_SIZE_MAX)
	k, err := unix.Fgetxattr(fd, name, buf)
	if err != nil {
		return nil, errno(err)
	}
	return buf[:k], nil
}

// SetXattr implements lisafs.Handler.SetXattr. Files other than regular
// files and directories refuse (EPERM), as Linux does for user.* xattrs.
func (g *Gofer) SetXattr(nn lisafs.Node, name string, value []byte, flags uint32) error {
	if g.conf.ReadOnly {
		return linux.EROFS
	}
	fd, ok, err := g.xattrFD(asNode(nn))
	if !ok {
		return linux.EPERM
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	host := 0
	if flags&linux.XATTR_CREATE != 0 {
		host |= unix.XATTR_CREATE
	}
	if flags&linux.XATTR_REPLACE != 0 {
		host |= unix.XATTR_REPLACE
	}
	return errno(unix.Fsetxattr(fd, name, value, host))
}

// ListXattr implements lisafs.Handler.ListXattr.
func (g *Gofer) ListXattr(nn lisafs.Node) ([]string, error) {
	fd, ok, err := g.xattrFD(asNode(nn))
	if !ok {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, linux.XATTR_LIST_MAX)
	k, err := unix.Flistxattr(fd, buf)
	if err != nil {
		return nil, errno(err)
	}
	var names []string
	for _, s := range strings.Split(string(buf[:k]), "\x00") {
		if s != "" {
			names = append(names, s)
		}
	}
	return names, nil
}

// RemoveXattr implements lisafs.Handler.RemoveXattr.
func (g *Gofer) RemoveXattr(nn lisafs.Node, name string) error {
	if g.conf.ReadOnly {
		return linux.EROFS
	}
	fd, ok, err := g.xattrFD(asNode(nn))
	if !ok {
		return linux.ENODATA
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return errno(unix.Fremovexattr(fd, name))
}

// Connect implements lisafs.Handler.Connect. Not supported yet: connecting
// to a socket file by its FD needs /proc, which the gofer does not have.
func (g *Gofer) Connect(lisafs.Node, uint32) (int, error) {
	return -1, linux.ENOSYS
}

var _ lisafs.Handler = (*Gofer)(nil)
