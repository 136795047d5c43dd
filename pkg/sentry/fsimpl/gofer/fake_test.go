package gofer

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// fakeNode is a file of fakeClient's in-memory tree.
type fakeNode struct {
	stat     linux.Statx
	children map[string]*fakeNode // directories
	target   string               // symlinks
	memfd    int                  // regular files: the data
	xattrs   map[string][]byte
}

// fakeFD is an FDID of fakeClient: a control FD, or an open FD.
type fakeFD struct {
	n    *fakeNode
	open bool
	// dirents and pos: an open directory's listing and position.
	dirents []lisafs.Dirent
	pos     int
}

// fakeClient implements Client over an in-memory tree. Regular files keep
// their data in memfds, which OpenAt donates (dup'ed) when donate is set.
// It refuses write opens of files without a write bit, like a gofer that
// is not root would. Every call is counted by name.
type fakeClient struct {
	t *testing.T

	mu      sync.Mutex
	root    *fakeNode
	fds     map[lisafs.FDID]*fakeFD
	nextFD  lisafs.FDID
	nextIno uint64
	calls   map[string]int
	donate  bool
	dead    bool
	closed  bool
	done    chan struct{}
}

var _ Client = (*fakeClient)(nil)

func newFakeClient(t *testing.T, donate bool) *fakeClient {
	c := &fakeClient{
		t:       t,
		fds:     make(map[lisafs.FDID]*fakeFD),
		nextFD:  100,
		nextIno: 1000,
		calls:   make(map[string]int),
		donate:  donate,
		done:    make(chan struct{}),
	}
	c.root = c.newNode(linux.S_IFDIR|0755, 0, 0)
	return c
}

// newNode makes a node with a fresh inode number.
//
// Preconditions: c.mu is held, or c is being built.
func (c *fakeClient) newNode(mode uint32, uid, gid uint32) *fakeNode {
	c.nextIno++
	n := &fakeNode{memfd: -1, xattrs: map[string][]byte{}}
	now := time.Now()
	ts := linux.StatxTimestamp{Sec: now.Unix(), Nsec: uint32(now.Nanosecond())}
	n.stat = linux.Statx{
		Mask:     linux.STATX_BASIC_STATS,
		Blksize:  4096,
		Nlink:    1,
		UID:      uid,
		GID:      gid,
		Mode:     uint16(mode),
		Ino:      c.nextIno,
		Atime:    ts,
		Mtime:    ts,
		Ctime:    ts,
		DevMajor: 8,
		DevMinor: 1,
	}
	switch mode & linux.S_IFMT {
	case linux.S_IFDIR:
		n.children = map[string]*fakeNode{}
		n.stat.Nlink = 2
	case linux.S_IFREG:
		fd, err := unix.MemfdCreate("fake", unix.MFD_CLOEXEC)
		if err != nil {
			c.t.Fatalf("memfd_create: %v", err)
		}
		n.memfd = fd
		c.t.Cleanup(func() { unix.Close(fd) })
	}
	return n
}

// call records a call and fails if the connection is lost.
//
// Preconditions: c.mu is held.
func (c *fakeClient) call(name string) error {
	c.calls[name]++
	if c.dead || c.closed {
		return fmt.Errorf("fake %s: %w", name, lisafs.ErrConnectionLost)
	}
	return nil
}

// count returns how many times name was called.
func (c *fakeClient) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

// total returns the number of calls of every kind.
func (c *fakeClient) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// openFDs counts the FDIDs the client holds.
func (c *fakeClient) openFDs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fds)
}

// kill simulates the gofer's death.
func (c *fakeClient) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead && !c.closed {
		close(c.done)
	}
	c.dead = true
}

// nodeAt returns the node at a slash-separated path from the root.
func (c *fakeClient) nodeAt(path ...string) *fakeNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.root
	for _, p := range path {
		n = n.children[p]
		if n == nil {
			c.t.Fatalf("fake: no %v", path)
		}
	}
	return n
}

// add makes a file behind the sentry's back.
func (c *fakeClient) add(dir *fakeNode, name string, mode uint32, data string) *fakeNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.newNode(mode, 0, 0)
	if data != "" {
		if _, err := unix.Pwrite(n.memfd, []byte(data), 0); err != nil {
			c.t.Fatalf("pwrite: %v", err)
		}
	}
	if old := dir.children[name]; old != nil {
		old.stat.Nlink--
	}
	dir.children[name] = n
	if mode&linux.S_IFMT == linux.S_IFDIR {
		dir.stat.Nlink++
	}
	return n
}

// statLocked returns n's attributes, with the size of a regular file from
// its memfd.
//
// Preconditions: c.mu is held.
func (c *fakeClient) statLocked(n *fakeNode) linux.Statx {
	if n.memfd >= 0 {
		var st unix.Stat_t
		if err := unix.Fstat(n.memfd, &st); err == nil {
			n.stat.Size = uint64(st.Size)
			n.stat.Blocks = uint64(st.Blocks)
		}
	}
	if n.stat.Mode&linux.S_IFMT == linux.S_IFLNK {
		n.stat.Size = uint64(len(n.target))
	}
	return n.stat
}

// install returns a new control FD of n.
//
// Preconditions: c.mu is held.
func (c *fakeClient) install(n *fakeNode, open bool) lisafs.FDID {
	c.nextFD++
	c.fds[c.nextFD] = &fakeFD{n: n, open: open}
	return c.nextFD
}

// inode returns a new control FD and attributes of n.
//
// Preconditions: c.mu is held.
func (c *fakeClient) inode(n *fakeNode) lisafs.Inode {
	return lisafs.Inode{ControlFD: c.install(n, false), Stat: c.statLocked(n)}
}

// get returns the node of fd (control or open).
//
// Preconditions: c.mu is held.
func (c *fakeClient) get(fd lisafs.FDID) (*fakeFD, error) {
	e := c.fds[fd]
	if e == nil {
		return nil, linux.EBADF
	}
	return e, nil
}

// dir returns the directory node of control FD fd.
//
// Preconditions: c.mu is held.
func (c *fakeClient) dir(fd lisafs.FDID) (*fakeNode, error) {
	e, err := c.get(fd)
	if err != nil {
		return nil, err
	}
	if e.n.children == nil {
		return nil, linux.ENOTDIR
	}
	return e.n, nil
}

func (c *fakeClient) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead && !c.closed {
		close(c.done)
	}
	c.closed = true
	c.calls["Close"]++
}

func (c *fakeClient) Done() <-chan struct{} { return c.done }

func (c *fakeClient) WalkStat(dirFD lisafs.FDID, names []string) ([]lisafs.Inode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("WalkStat"); err != nil {
		return nil, err
	}
	d, err := c.dir(dirFD)
	if err != nil {
		return nil, err
	}
	var out []lisafs.Inode
	for i, name := range names {
		if err := lisafs.CheckName(name); err != nil {
			return nil, err
		}
		n := d.children[name]
		if n == nil {
			if i == 0 {
				return nil, linux.ENOENT
			}
			break
		}
		out = append(out, c.inode(n))
		if n.children == nil {
			break
		}
		d = n
	}
	return out, nil
}

func (c *fakeClient) FStat(fd lisafs.FDID) (linux.Statx, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("FStat"); err != nil {
		return linux.Statx{}, err
	}
	e, err := c.get(fd)
	if err != nil {
		return linux.Statx{}, err
	}
	return c.statLocked(e.n), nil
}

func (c *fakeClient) SetStat(fd lisafs.FDID, a lisafs.SetStatArgs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("SetStat"); err != nil {
		return err
	}
	e, err := c.get(fd)
	if err != nil {
		return err
	}
	n := e.n
	if a.Mask&linux.STATX_SIZE != 0 {
		if n.memfd < 0 {
			return linux.EINVAL
		}
		if err := unix.Ftruncate(n.memfd, int64(a.Size)); err != nil {
			return linux.Errno(err.(unix.Errno))
		}
	}
	if a.Mask&linux.STATX_MODE != 0 {
		n.stat.Mode = n.stat.Mode&linux.S_IFMT | uint16(a.Mode&07777)
	}
	if a.Mask&linux.STATX_UID != 0 {
		n.stat.UID = a.UID
	}
	if a.Mask&linux.STATX_GID != 0 {
		n.stat.GID = a.GID
	}
	if a.Mask&linux.STATX_MTIME != 0 {
		n.stat.Mtime = linux.StatxTimestamp{Sec: a.Mtime.Sec, Nsec: uint32(a.Mtime.Nsec)}
	}
	if a.Mask&linux.STATX_ATIME != 0 {
		n.stat.Atime = linux.StatxTimestamp{Sec: a.Atime.Sec, Nsec: uint32(a.Atime.Nsec)}
	}
	return nil
}

// openLocked opens n: directories get their listing, regular files a
// donated FD if c.donate.
//
// Preconditions: c.mu is held.
func (c *fakeClient) openLocked(n *fakeNode, flags uint32) (lisafs.FDID, int, error) {
	hostFD := -1
	switch n.stat.Mode & linux.S_IFMT {
	case linux.S_IFDIR:
		fd := c.install(n, true)
		e := c.fds[fd]
		names := make([]string, 0, len(n.children))
		for name := range n.children {
			names = append(names, name)
		}
		sort.Strings(names)
		for i, name := range names {
			ch := n.children[name]
			e.dirents = append(e.dirents, lisafs.Dirent{Ino: ch.stat.Ino, Off: int64(i + 1), Type: linux.DirentType(uint32(ch.stat.Mode)), Name: name})
		}
		return fd, -1, nil
	case linux.S_IFREG:
		if c.donate {
			d, err := unix.Dup(n.memfd)
			if err != nil {
				return 0, -1, linux.Errno(err.(unix.Errno))
			}
			hostFD = d
		}
		return c.install(n, true), hostFD, nil
	}
	return 0, -1, linux.ENXIO
}

func (c *fakeClient) OpenAt(fd lisafs.FDID, flags uint32) (lisafs.FDID, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("OpenAt"); err != nil {
		return 0, -1, err
	}
	e, err := c.get(fd)
	if err != nil {
		return 0, -1, err
	}
	acc := flags & linux.O_ACCMODE
	if (acc == linux.O_WRONLY || acc == linux.O_RDWR) && e.n.stat.Mode&0222 == 0 {
		return 0, -1, linux.EACCES
	}
	return c.openLocked(e.n, flags)
}

func (c *fakeClient) OpenCreateAt(dirFD lisafs.FDID, name string, flags, mode, uid, gid uint32) (lisafs.Inode, lisafs.FDID, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("OpenCreateAt"); err != nil {
		return lisafs.Inode{}, 0, -1, err
	}
	d, err := c.dir(dirFD)
	if err != nil {
		return lisafs.Inode{}, 0, -1, err
	}
	if d.children[name] != nil {
		return lisafs.Inode{}, 0, -1, linux.EEXIST
	}
	n := c.newNode(linux.S_IFREG|mode&07777, uid, gid)
	d.children[name] = n
	ofd, hostFD, err := c.openLocked(n, flags)
	if err != nil {
		return lisafs.Inode{}, 0, -1, err
	}
	return c.inode(n), ofd, hostFD, nil
}

func (c *fakeClient) CloseFDs(fds []lisafs.FDID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["CloseFDs"]++
	for _, fd := range fds {
		if _, ok := c.fds[fd]; !ok {
			c.t.Errorf("fake: CloseFDs of unknown FD %d", fd)
		}
		delete(c.fds, fd)
	}
}

// openFile returns the node of open FD fd.
//
// Preconditions: c.mu is held.
func (c *fakeClient) openFile(fd lisafs.FDID) (*fakeFD, error) {
	e, err := c.get(fd)
	if err != nil {
		return nil, err
	}
	if !e.open {
		return nil, linux.EBADF
	}
	return e, nil
}

func (c *fakeClient) PRead(fd lisafs.FDID, off uint64, buf []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("PRead"); err != nil {
		return 0, err
	}
	e, err := c.openFile(fd)
	if err != nil {
		return 0, err
	}
	n, err := unix.Pread(e.n.memfd, buf, int64(off))
	if err != nil {
		return 0, linux.Errno(err.(unix.Errno))
	}
	return n, nil
}

func (c *fakeClient) PWrite(fd lisafs.FDID, off uint64, buf []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("PWrite"); err != nil {
		return 0, err
	}
	e, err := c.openFile(fd)
	if err != nil {
		return 0, err
	}
	n, err := unix.Pwrite(e.n.memfd, buf, int64(off))
	if err != nil {
		return 0, linux.Errno(err.(unix.Errno))
	}
	return n, nil
}

func (c *fakeClient) FSync(fd lisafs.FDID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("FSync"); err != nil {
		return err
	}
	_, err := c.openFile(fd)
	return err
}

func (c *fakeClient) FAllocate(fd lisafs.FDID, mode uint32, off, length uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("FAllocate"); err != nil {
		return err
	}
	e, err := c.openFile(fd)
	if err != nil {
		return err
	}
	if err := unix.Fallocate(e.n.memfd, mode, int64(off), int64(length)); err != nil {
		return linux.Errno(err.(unix.Errno))
	}
	return nil
}

func (c *fakeClient) Getdents64(fd lisafs.FDID, count uint32) ([]lisafs.Dirent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("Getdents64"); err != nil {
		return nil, err
	}
	e, err := c.openFile(fd)
	if err != nil {
		return nil, err
	}
	// Two entries per call, to exercise the loop.
	end := min(e.pos+2, len(e.dirents))
	out := append([]lisafs.Dirent{}, e.dirents[e.pos:end]...)
	e.pos = end
	return out, nil
}

// create adds a node called name to the directory dirFD.
//
// Preconditions: c.mu is held.
func (c *fakeClient) create(dirFD lisafs.FDID, name string, mode, uid, gid uint32) (*fakeNode, error) {
	d, err := c.dir(dirFD)
	if err != nil {
		return nil, err
	}
	if err := lisafs.CheckName(name); err != nil {
		return nil, err
	}
	if d.children[name] != nil {
		return nil, linux.EEXIST
	}
	n := c.newNode(mode, uid, gid)
	d.children[name] = n
	if n.children != nil {
		d.stat.Nlink++
	}
	return n, nil
}

func (c *fakeClient) MkdirAt(dir lisafs.FDID, name string, mode, uid, gid uint32) (lisafs.Inode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("MkdirAt"); err != nil {
		return lisafs.Inode{}, err
	}
	n, err := c.create(dir, name, linux.S_IFDIR|mode&07777, uid, gid)
	if err != nil {
		return lisafs.Inode{}, err
	}
	return c.inode(n), nil
}

func (c *fakeClient) MknodAt(dir lisafs.FDID, name string, mode, uid, gid, major, minor uint32) (lisafs.Inode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("MknodAt"); err != nil {
		return lisafs.Inode{}, err
	}
	n, err := c.create(dir, name, mode, uid, gid)
	if err != nil {
		return lisafs.Inode{}, err
	}
	n.stat.RdevMajor, n.stat.RdevMinor = major, minor
	return c.inode(n), nil
}

func (c *fakeClient) SymlinkAt(dir lisafs.FDID, name, target string, uid, gid uint32) (lisafs.Inode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("SymlinkAt"); err != nil {
		return lisafs.Inode{}, err
	}
	n, err := c.create(dir, name, linux.S_IFLNK|0777, uid, gid)
	if err != nil {
		return lisafs.Inode{}, err
	}
	n.target = target
	return c.inode(n), nil
}

func (c *fakeClient) LinkAt(dirFD lisafs.FDID, name string, target lisafs.FDID) (lisafs.Inode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("LinkAt"); err != nil {
		return lisafs.Inode{}, err
	}
	d, err := c.dir(dirFD)
	if err != nil {
		return lisafs.Inode{}, err
	}
	t, err := c.get(target)
	if err != nil {
		return lisafs.Inode{}, err
	}
	if d.children[name] != nil {
		return lisafs.Inode{}, linux.EEXIST
	}
	d.children[name] = t.n
	t.n.stat.Nlink++
	return c.inode(t.n), nil
}

func (c *fakeClient) UnlinkAt(dirFD lisafs.FDID, name string, flags uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("UnlinkAt"); err != nil {
		return err
	}
	d, err := c.dir(dirFD)
	if err != nil {
		return err
	}
	n := d.children[name]
	if n == nil {
		return linux.ENOENT
	}
	isDir := n.children != nil
	if flags&linux.AT_REMOVEDIR != 0 {
		if !isDir {
			return linux.ENOTDIR
		}
		if len(n.children) != 0 {
			return linux.ENOTEMPTY
		}
		d.stat.Nlink--
		n.stat.Nlink = 0
	} else {
		if isDir {
			return linux.EISDIR
		}
		n.stat.Nlink--
	}
	delete(d.children, name)
	return nil
}

func (c *fakeClient) RenameAt(oldDir lisafs.FDID, oldName string, newDir lisafs.FDID, newName string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("RenameAt"); err != nil {
		return err
	}
	od, err := c.dir(oldDir)
	if err != nil {
		return err
	}
	nd, err := c.dir(newDir)
	if err != nil {
		return err
	}
	n := od.children[oldName]
	if n == nil {
		return linux.ENOENT
	}
	if r := nd.children[newName]; r != nil {
		r.stat.Nlink--
	}
	delete(od.children, oldName)
	nd.children[newName] = n
	return nil
}

func (c *fakeClient) ReadLinkAt(fd lisafs.FDID) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("ReadLinkAt"); err != nil {
		return "", err
	}
	e, err := c.get(fd)
	if err != nil {
		return "", err
	}
	if e.n.stat.Mode&linux.S_IFMT != linux.S_IFLNK {
		return "", linux.EINVAL
	}
	return e.n.target, nil
}

func (c *fakeClient) StatFS(fd lisafs.FDID) (linux.Statfs, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("StatFS"); err != nil {
		return linux.Statfs{}, err
	}
	if _, err := c.get(fd); err != nil {
		return linux.Statfs{}, err
	}
	return linux.Statfs{Type: 0xef53, Bsize: 4096, Blocks: 100, Bfree: 50, Namelen: 255}, nil
}

func (c *fakeClient) GetXattr(fd lisafs.FDID, name string, size uint32) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("GetXattr"); err != nil {
		return nil, err
	}
	e, err := c.get(fd)
	if err != nil {
		return nil, err
	}
	v, ok := e.n.xattrs[name]
	if !ok {
		return nil, linux.ENODATA
	}
	if size != 0 && uint32(len(v)) > size {
		return nil, linux.ERANGE
	}
	return append([]byte{}, v...), nil
}

func (c *fakeClient) SetXattr(fd lisafs.FDID, name string, value []byte, flags uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("SetXattr"); err != nil {
		return err
	}
	e, err := c.get(fd)
	if err != nil {
		return err
	}
	_, exists := e.n.xattrs[name]
	if flags&linux.XATTR_CREATE != 0 && exists {
		return linux.EEXIST
	}
	if flags&linux.XATTR_REPLACE != 0 && !exists {
		return linux.ENODATA
	}
	e.n.xattrs[name] = append([]byte{}, value...)
	return nil
}

func (c *fakeClient) ListXattr(fd lisafs.FDID, size uint32) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("ListXattr"); err != nil {
		return nil, err
	}
	e, err := c.get(fd)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range e.n.xattrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func (c *fakeClient) RemoveXattr(fd lisafs.FDID, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("RemoveXattr"); err != nil {
		return err
	}
	e, err := c.get(fd)
	if err != nil {
		return err
	}
	if _, ok := e.n.xattrs[name]; !ok {
		return linux.ENODATA
	}
	delete(e.n.xattrs, name)
	return nil
}

// testContext is a vfs.Context with fixed credentials that never blocks.
type testContext struct {
	creds *auth.Credentials
}

func (c *testContext) Credentials() *auth.Credentials { return c.creds }

func (c *testContext) BlockFD(fd int, events int16) error { return nil }

func (c *testContext) Block(ch <-chan struct{}, deadline time.Time) error {
	<-ch
	return nil
}
