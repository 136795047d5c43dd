package linux

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// memfs is a minimal in-memory file system for the handler tests: just
// enough of the vfs interfaces to drive the system calls. It checks
// nothing the VFS checks.
type memfs struct{ ino atomic.Uint64 }

func (*memfs) Name() string { return "memfs" }
func (*memfs) StatFS(vfs.Context) (linux.Statfs, error) {
	return linux.Statfs{Type: linux.TMPFS_MAGIC, Bsize: 4096, Namelen: linux.NAME_MAX}, nil
}
func (*memfs) Release() {}

// memNode is what every memfs inode shares: attributes and xattrs.
type memNode struct {
	fs     *memfs
	mu     sync.Mutex
	st     linux.Statx
	xattrs map[string][]byte
}

func (n *memNode) init(fs *memfs, mode uint32, uid, gid uint32) {
	n.fs = fs
	n.st = linux.Statx{Mask: linux.STATX_BASIC_STATS, Mode: uint16(mode), Ino: fs.ino.Add(1), Nlink: 1, UID: uid, GID: gid, Blksize: 4096}
}

func (n *memNode) Stat() (linux.Statx, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st, nil
}

func (n *memNode) SetStat(ctx vfs.Context, o vfs.SetStatOptions) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if o.Mask&linux.STATX_MODE != 0 {
		n.st.Mode = n.st.Mode&linux.S_IFMT | uint16(o.Mode&07777)
	}
	if o.Mask&linux.STATX_UID != 0 {
		n.st.UID = uint32(o.UID)
	}
	if o.Mask&linux.STATX_GID != 0 {
		n.st.GID = uint32(o.GID)
	}
	if o.Mask&linux.STATX_SIZE != 0 {
		n.st.Size = o.Size
	}
	if o.Mask&linux.STATX_ATIME != 0 {
		n.st.Atime = linux.StatxTimestamp{Sec: o.Atime.Sec, Nsec: uint32(o.Atime.Nsec)}
	}
	if o.Mask&linux.STATX_MTIME != 0 {
		n.st.Mtime = linux.StatxTimestamp{Sec: o.Mtime.Sec, Nsec: uint32(o.Mtime.Nsec)}
	}
	return nil
}

func (n *memNode) GetXattr(ctx vfs.Context, name string, size uint64) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.xattrs[name]
	if !ok {
		return nil, linux.ENODATA
	}
	return append([]byte(nil), v...), nil
}

func (n *memNode) SetXattr(ctx vfs.Context, name string, value []byte, flags uint32) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.xattrs == nil {
		n.xattrs = make(map[string][]byte)
	}
	n.xattrs[name] = value
	return nil
}

func (n *memNode) ListXattr(ctx vfs.Context, size uint64) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var names []string
	for k := range n.xattrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

func (n *memNode) RemoveXattr(ctx vfs.Context, name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.xattrs[name]; !ok {
		return linux.ENODATA
	}
	delete(n.xattrs, name)
	return nil
}

// memReg is a regular file (or a device, FIFO or socket node) whose data
// is a byte slice.
type memReg struct {
	memNode
	data []byte
	// syncs counts Sync calls on its files.
	syncs atomic.Int32
}

// memMaxSize bounds memfs files, so that tests with random arguments
// cannot make the fake allocate without limit.
const memMaxSize = 1 << 24

func (r *memReg) SetStat(ctx vfs.Context, o vfs.SetStatOptions) error {
	if o.Mask&linux.STATX_SIZE != 0 {
		if o.Size > memMaxSize {
			return linux.EFBIG
		}
		r.mu.Lock()
		r.data = append(r.data, make([]byte, max(0, int(o.Size)-len(r.data)))...)[:o.Size]
		r.mu.Unlock()
	}
	return r.memNode.SetStat(ctx, o)
}

func (r *memReg) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	f := &memFile{r: r}
	f.Init(vd, flags, nil)
	return f, nil
}

// memFile is an open memReg.
type memFile struct {
	vfs.FileBase
	r   *memReg
	mu  sync.Mutex
	off int64
}

func (f *memFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	f.r.mu.Lock()
	defer f.r.mu.Unlock()
	if off < 0 {
		return 0, linux.EINVAL
	}
	if off >= int64(len(f.r.data)) {
		return 0, nil
	}
	return copy(dst, f.r.data[off:]), nil
}

func (f *memFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	if off < 0 || off > memMaxSize || int64(len(src)) > memMaxSize-off {
		return 0, linux.EFBIG
	}
	f.r.mu.Lock()
	defer f.r.mu.Unlock()
	if end := off + int64(len(src)); end > int64(len(f.r.data)) {
		f.r.data = append(f.r.data, make([]byte, end-int64(len(f.r.data)))...)
		f.r.st.Size = uint64(end)
	}
	return copy(f.r.data[off:], src), nil
}

func (f *memFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.PRead(b, dst, f.off)
	f.off += int64(n)
	return n, err
}

func (f *memFile) Write(b vfs.Blocker, src []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.PWrite(b, src, f.off)
	f.off += int64(n)
	return n, err
}

func (f *memFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case linux.SEEK_CUR:
		off += f.off
	case linux.SEEK_END:
		st, _ := f.r.Stat()
		off += int64(st.Size)
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	f.off = off
	return off, nil
}

func (f *memFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	if cmd != linux.FIONREAD {
		return 0, linux.ENOTTY
	}
	st, _ := f.r.Stat()
	f.mu.Lock()
	n := max(0, int64(st.Size)-f.off)
	f.mu.Unlock()
	return 0, usermem.CopyOutUint32(mem, arg, uint32(n))
}

func (f *memFile) Sync(ctx vfs.Context, dataOnly bool) error {
	f.r.syncs.Add(1)
	return nil
}

func (f *memFile) Allocate(ctx vfs.Context, mode uint32, off, length uint64) error {
	if mode != 0 {
		return linux.EOPNOTSUPP
	}
	if off+length > memMaxSize {
		return linux.EFBIG
	}
	_, err := f.PWrite(nil, nil, int64(off+length))
	return err
}

// memSymlink is a symbolic link.
type memSymlink struct {
	memNode
	target string
}

func (s *memSymlink) Open(vfs.Context, vfs.VirtualDentry, uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

func (s *memSymlink) Readlink(vfs.Context) (string, error) { return s.target, nil }

// memDir is a directory: children in creation order.
type memDir struct {
	memNode
	names    []string
	children map[string]vfs.Inode
}

func newMemDir(fs *memfs, mode, uid, gid uint32) *memDir {
	d := &memDir{children: make(map[string]vfs.Inode)}
	d.init(fs, linux.S_IFDIR|mode, uid, gid)
	d.st.Nlink = 2
	return d
}

func (d *memDir) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return vfs.NewDirFile(vd, flags), nil
}

func (d *memDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.children[name]; ok {
		return c, nil
	}
	return nil, linux.ENOENT
}

func (d *memDir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []vfs.Dirent
	for _, name := range d.names {
		st, _ := d.children[name].Stat()
		out = append(out, vfs.Dirent{Name: name, Type: linux.DirentType(uint32(st.Mode)), Ino: st.Ino})
	}
	return out, nil
}

func (d *memDir) add(name string, c vfs.Inode) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names = append(d.names, name)
	d.children[name] = c
}

func (d *memDir) remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.children, name)
	for i, n := range d.names {
		if n == name {
			d.names = append(d.names[:i], d.names[i+1:]...)
			break
		}
	}
}

func (d *memDir) Create(ctx vfs.Context, name string, o vfs.CreateOptions) (vfs.Inode, error) {
	r := &memReg{}
	r.init(d.fs, o.Mode, uint32(o.UID), uint32(o.GID))
	r.st.RdevMajor, r.st.RdevMinor = linux.DecodeDev(o.Dev)
	d.add(name, r)
	return r, nil
}

func (d *memDir) Mkdir(ctx vfs.Context, name string, o vfs.CreateOptions) (vfs.Inode, error) {
	c := newMemDir(d.fs, o.Mode&^linux.S_IFMT, uint32(o.UID), uint32(o.GID))
	d.add(name, c)
	return c, nil
}

func (d *memDir) Symlink(ctx vfs.Context, name, target string, o vfs.CreateOptions) (vfs.Inode, error) {
	s := &memSymlink{target: target}
	s.init(d.fs, o.Mode, uint32(o.UID), uint32(o.GID))
	s.st.Size = uint64(len(target))
	d.add(name, s)
	return s, nil
}

func (d *memDir) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	d.add(name, target)
	return nil
}

func (d *memDir) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	d.remove(name)
	return nil
}

func (d *memDir) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	c := child.(*memDir)
	c.mu.Lock()
	n := len(c.children)
	c.mu.Unlock()
	if n != 0 {
		return linux.ENOTEMPTY
	}
	d.remove(name)
	return nil
}

func (d *memDir) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	nd := newDir.(*memDir)
	d.remove(oldName)
	if replaced != nil {
		nd.remove(newName)
		if flags&linux.RENAME_EXCHANGE != 0 {
			d.add(oldName, replaced)
		}
	}
	nd.add(newName, child)
	return nil
}

// fsEnv is a task whose root and working directory are the root of a
// fresh memfs, owned by root with mode 0755.
type fsEnv struct {
	task *kernel.Task
	root vfs.VirtualDentry
	fs   *memfs
}

// newFSTask builds a task like newTestTask's, with a VFS and a file
// system context.
func newFSTask(t *testing.T) *fsEnv {
	t.Helper()
	mf, err := pgalloc.New("sys-fs-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	m := mm.New(mf, fakeAS{}, mm.Layout{MaxAddr: testMaxAddr, StackTop: 0x7ff000000000, MmapBase: 0x7f0000000000, PIEBase: 0x555555554000})
	if _, err := m.MMap(mm.MMapOpts{Addr: rwBase, Length: rwSize, Prot: platform.Prot{Read: true, Write: true}, Fixed: true}); err != nil {
		t.Fatal(err)
	}
	k := kernel.NewKernel(fakePlatform{}, mf, AMD64)
	fs := &memfs{}
	v := vfs.New()
	vfsFS := v.NewFilesystem(fs)
	ns := v.NewMountNamespace(vfsFS, newMemDir(fs, 0o755, 0, 0), "memfs", vfs.MountFlags{})
	k.VFS, k.MountNS = v, ns
	root := ns.Root()
	task, err := k.NewProcess(kernel.ProcessArgs{
		MM: m, FDs: kernel.NewFDTable(), Limits: kernel.DefaultLimits(),
		FS: kernel.NewFSContext(root, root),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.FDTable().Release() })
	return &fsEnv{task: task, root: root, fs: fs}
}
