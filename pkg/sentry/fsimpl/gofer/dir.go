package gofer

import (
	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

const (
	// getdentsChunk is the byte count asked of each Getdents64 request.
	getdentsChunk = 32 << 10
	// maxDirents bounds a listing, so that a broken gofer that never
	// ends a directory cannot exhaust the sentry's memory.
	maxDirents = 1 << 22
)

// walkOne looks name up in d, returning the gofer's inode (with a new
// control FD the caller owns).
func (d *dirInode) walkOne(name string) (lisafs.Inode, error) {
	fs := d.fs
	ins, err := fs.client.WalkStat(d.controlFD, []string{name})
	if err != nil {
		return lisafs.Inode{}, fs.rpcErr("walk", name, err)
	}
	if len(ins) != 1 {
		fds := make([]lisafs.FDID, 0, len(ins))
		for _, in := range ins {
			fds = append(fds, in.ControlFD)
		}
		fs.client.CloseFDs(fds)
		if len(ins) == 0 {
			return lisafs.Inode{}, linux.ENOENT
		}
		log.Warningf("gofer: walk %q: %d inodes for one name", name, len(ins))
		return lisafs.Inode{}, linux.EIO
	}
	return ins[0], nil
}

// Lookup implements vfs.DirInode.
func (d *dirInode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if d.isClosed() {
		return nil, linux.ENOENT
	}
	li, err := d.walkOne(name)
	if err != nil {
		return nil, err
	}
	child, err := d.fs.inodeFor(li)
	if err != nil {
		return nil, err
	}
	return child.self, nil
}

// Revalidate implements vfs.Revalidator. In Exclusive mode cached names
// are always valid. In Shared mode the name is walked again: it is valid
// if it still leads to the same host file (device and inode number), whose
// attributes are then refreshed.
func (d *dirInode) Revalidate(ctx vfs.Context, name string, child vfs.Inode) (bool, error) {
	fs := d.fs
	if fs.opts.FileAccess == Exclusive || d.isClosed() {
		return true, nil
	}
	c := fs.asInode(child)
	if c == nil {
		return false, nil
	}
	li, err := d.walkOne(name)
	if err == linux.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fs.closeFD(li.ControlFD)
	key, ok := keyOf(&li.Stat)
	if !ok || !c.hasKey || key != c.key || uint32(li.Stat.Mode)&linux.S_IFMT != c.ftype {
		return false, nil
	}
	c.setStat(li.Stat)
	return true, nil
}

// Readdir implements vfs.DirInode: the gofer lists the directory through
// an open FD of its own. Exclusive mode keeps the listing until the
// sentry changes the directory. A removed directory is empty.
func (d *dirInode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	fs := d.fs
	exclusive := fs.opts.FileAccess == Exclusive
	if exclusive {
		d.mu.Lock()
		if d.dirents != nil {
			out := append([]vfs.Dirent(nil), d.dirents...)
			d.mu.Unlock()
			return out, nil
		}
		d.mu.Unlock()
	}
	if d.isClosed() {
		return []vfs.Dirent{}, nil
	}
	d.mu.Lock()
	gen := d.gen
	d.mu.Unlock()

	fd, hostFD, err := fs.client.OpenAt(d.controlFD, linux.O_RDONLY|linux.O_DIRECTORY)
	if err != nil {
		return nil, fs.rpcErr("open dir", "", err)
	}
	if hostFD >= 0 {
		// Directories are read by the gofer; the sentry has no use for
		// a host FD of one.
		unix.Close(hostFD)
	}
	defer fs.closeFD(fd)
	out := []vfs.Dirent{}
	for {
		ents, err := fs.client.Getdents64(fd, getdentsChunk)
		if err != nil {
			return nil, fs.rpcErr("getdents64", "", err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			if lisafs.CheckName(e.Name) != nil {
				log.Warningf("gofer: getdents64: skipping invalid name %q", e.Name)
				continue
			}
			out = append(out, vfs.Dirent{Name: e.Name, Type: e.Type, Ino: e.Ino})
		}
		if len(out) > maxDirents {
			log.Warningf("gofer: getdents64: directory has more than %d entries", maxDirents)
			return nil, linux.EIO
		}
	}
	if exclusive {
		d.mu.Lock()
		if d.gen == gen {
			d.dirents = append([]vfs.Dirent(nil), out...)
		}
		d.mu.Unlock()
	}
	return out, nil
}

// checkWritable returns EROFS on a read-only file system and ENOENT in a
// removed directory; it is checked before any RPC.
func (d *dirInode) checkWritable() error {
	if d.fs.opts.ReadOnly {
		return linux.EROFS
	}
	if d.isClosed() {
		return linux.ENOENT
	}
	return nil
}

// added registers the inode of a file the sentry just made in d.
func (d *dirInode) added(li lisafs.Inode) (*inode, error) {
	d.changed()
	return d.fs.inodeFor(li)
}

// Create implements vfs.DirInode. A regular file is created and opened
// read-write in one request; the open file waits for the Open that
// follows (see inode.pending). Other types are made with MknodAt.
func (d *dirInode) Create(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	fs := d.fs
	typ := opts.Mode & linux.S_IFMT
	if typ == 0 || typ == linux.S_IFREG {
		li, fd, hostFD, err := fs.client.OpenCreateAt(d.controlFD, name,
			linux.O_RDWR|linux.O_CREAT|linux.O_EXCL, opts.Mode&07777, uint32(opts.UID), uint32(opts.GID))
		if err != nil {
			return nil, fs.rpcErr("create", name, err)
		}
		child, err := d.added(li)
		if err != nil {
			fs.closeFD(fd)
			if hostFD >= 0 {
				unix.Close(hostFD)
			}
			return nil, err
		}
		child.mu.Lock()
		old := child.pending
		child.pending = &pendingOpen{fd: fd, hostFD: hostFD}
		child.mu.Unlock()
		if old != nil {
			fs.closeFD(old.fd)
			if old.hostFD >= 0 {
				unix.Close(old.hostFD)
			}
		}
		return child.self, nil
	}
	major, minor := linux.DecodeDev(opts.Dev)
	li, err := fs.client.MknodAt(d.controlFD, name, opts.Mode, uint32(opts.UID), uint32(opts.GID), major, minor)
	if err != nil {
		return nil, fs.rpcErr("mknod", name, err)
	}
	child, err := d.added(li)
	if err != nil {
		return nil, err
	}
	return child.self, nil
}

// Mkdir implements vfs.DirInode.
func (d *dirInode) Mkdir(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	li, err := d.fs.client.MkdirAt(d.controlFD, name, opts.Mode&07777, uint32(opts.UID), uint32(opts.GID))
	if err != nil {
		return nil, d.fs.rpcErr("mkdir", name, err)
	}
	child, err := d.added(li)
	if err != nil {
		return nil, err
	}
	return child.self, nil
}

// Symlink implements vfs.DirInode.
func (d *dirInode) Symlink(ctx vfs.Context, name, target string, opts vfs.CreateOptions) (vfs.Inode, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	li, err := d.fs.client.SymlinkAt(d.controlFD, name, target, uint32(opts.UID), uint32(opts.GID))
	if err != nil {
		return nil, d.fs.rpcErr("symlink", name, err)
	}
	child, err := d.added(li)
	if err != nil {
		return nil, err
	}
	child.mu.Lock()
	child.target, child.haveTarget = target, true
	child.mu.Unlock()
	return child.self, nil
}

// Link implements vfs.DirInode. The VFS caches target under the new name,
// so the inode gains a reference.
func (d *dirInode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	if err := d.checkWritable(); err != nil {
		return err
	}
	fs := d.fs
	t := fs.asInode(target)
	if t == nil {
		return linux.EXDEV
	}
	if t.isClosed() {
		return linux.ENOENT
	}
	li, err := fs.client.LinkAt(d.controlFD, name, t.controlFD)
	if err != nil {
		return fs.rpcErr("link", name, err)
	}
	fs.closeFD(li.ControlFD)
	d.changed()
	t.incRef()
	if key, ok := keyOf(&li.Stat); ok && t.hasKey && key == t.key {
		t.setStat(li.Stat)
	} else {
		t.markStale()
	}
	return nil
}

// Unlink implements vfs.DirInode.
func (d *dirInode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	return d.remove(name, child, 0)
}

// Rmdir implements vfs.DirInode.
func (d *dirInode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	return d.remove(name, child, linux.AT_REMOVEDIR)
}

func (d *dirInode) remove(name string, child vfs.Inode, flags uint32) error {
	if err := d.checkWritable(); err != nil {
		return err
	}
	if err := d.fs.client.UnlinkAt(d.controlFD, name, flags); err != nil {
		return d.fs.rpcErr("unlink", name, err)
	}
	d.changed()
	if c := d.fs.asInode(child); c != nil {
		c.removedName()
	}
	return nil
}

// Rename implements vfs.DirInode. LISAFS renames carry no flags:
// RENAME_NOREPLACE relies on the VFS's check that newName does not exist
// (exact in Exclusive mode, racy against the host in Shared mode), and
// RENAME_EXCHANGE is not supported (EINVAL, as Linux answers for file
// systems without it).
func (d *dirInode) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	if err := d.checkWritable(); err != nil {
		return err
	}
	if flags&linux.RENAME_EXCHANGE != 0 {
		return linux.EINVAL
	}
	fs := d.fs
	nd, ok := newDir.(*dirInode)
	if !ok || nd.fs != fs {
		return linux.EXDEV
	}
	if nd.isClosed() {
		return linux.ENOENT
	}
	if err := fs.client.RenameAt(d.controlFD, oldName, nd.controlFD, newName); err != nil {
		return fs.rpcErr("rename", oldName, err)
	}
	d.changed()
	if nd != d {
		nd.changed()
	}
	if c := fs.asInode(child); c != nil {
		// ctime, and ".." of a directory.
		c.markStale()
	}
	if replaced != nil {
		if r := fs.asInode(replaced); r != nil {
			r.removedName()
		}
	}
	return nil
}
