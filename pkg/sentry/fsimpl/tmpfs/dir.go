package tmpfs

import (
	"container/list"
	"strconv"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// dirInode is a directory. Its entries are kept in creation order (a
// rename moves an entry to the end of its new directory), which is the
// order Readdir lists them in.
type dirInode struct {
	inode

	// dirMu protects entries, order and dead.
	dirMu sync.RWMutex
	// entries maps a name to its element of order, whose value is a
	// *dirEntry.
	entries map[string]*list.Element
	order   list.List
	// dead is set when the directory is removed: it takes no new
	// entries.
	dead bool
}

// dirEntry is one name in a directory.
type dirEntry struct {
	name  string
	child node
}

var _ vfs.TmpfileDirInode = (*dirInode)(nil)

// newDir makes a directory inode with the attributes of opts; the caller
// has reserved its inode space.
func (fs *filesystem) newDir(opts vfs.CreateOptions) *dirInode {
	d := &dirInode{entries: make(map[string]*list.Element)}
	d.init(fs, opts, 2)
	d.size.Store(2 * bogoDirentSize)
	return d
}

// SetStat implements vfs.Inode.
func (d *dirInode) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	return d.setStat(opts)
}

// Open implements vfs.Inode.
func (d *dirInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return vfs.NewDirFile(vd, flags), nil
}

// Lookup implements vfs.DirInode.
func (d *dirInode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	d.dirMu.RLock()
	defer d.dirMu.RUnlock()
	if e, ok := d.entries[name]; ok {
		return e.Value.(*dirEntry).child, nil
	}
	return nil, linux.ENOENT
}

// Readdir implements vfs.DirInode.
func (d *dirInode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	d.dirMu.RLock()
	defer d.dirMu.RUnlock()
	out := make([]vfs.Dirent, 0, len(d.entries))
	for e := d.order.Front(); e != nil; e = e.Next() {
		de := e.Value.(*dirEntry)
		b := de.child.base()
		out = append(out, vfs.Dirent{Name: de.name, Type: linux.DirentType(b.typ), Ino: b.ino})
	}
	return out, nil
}

// addLocked adds child as name and updates the directory's size and
// times.
//
// Preconditions: d.dirMu is held for writing; name is not an entry.
func (d *dirInode) addLocked(name string, child node) {
	d.entries[name] = d.order.PushBack(&dirEntry{name: name, child: child})
	d.size.Add(bogoDirentSize)
	if child.base().typ == linux.S_IFDIR {
		d.addNlink(1)
	}
	d.touchCMTime()
}

// removeLocked removes the entry name and updates the directory's size
// and times.
//
// Preconditions: d.dirMu is held for writing; name is an entry.
func (d *dirInode) removeLocked(name string) {
	e := d.entries[name]
	child := e.Value.(*dirEntry).child
	d.order.Remove(e)
	delete(d.entries, name)
	d.size.Add(^uint64(bogoDirentSize - 1))
	if child.base().typ == linux.S_IFDIR {
		d.addNlink(-1)
	}
	d.touchCMTime()
}

// addNlink adds delta to the directory's link count (a subdirectory's
// ".." came or went).
func (d *dirInode) addNlink(delta int) {
	d.inode.mu.Lock()
	d.nlink = uint32(int(d.nlink) + delta)
	d.inode.mu.Unlock()
}

// checkNewLocked checks that name can be added to d.
//
// Preconditions: d.dirMu is held.
func (d *dirInode) checkNewLocked(name string) error {
	if d.dead {
		return linux.ENOENT
	}
	if _, ok := d.entries[name]; ok {
		return linux.EEXIST
	}
	return nil
}

// create adds a new inode made by mk as name, taking its inode space.
func (d *dirInode) create(name string, mk func() (node, error)) (vfs.Inode, error) {
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if err := d.checkNewLocked(name); err != nil {
		return nil, err
	}
	if err := d.fs.reserveIspace(bogoInodeSize); err != nil {
		return nil, err
	}
	child, err := mk()
	if err != nil {
		d.fs.releaseIspace(bogoInodeSize)
		return nil, err
	}
	d.addLocked(name, child)
	return child, nil
}

// Create implements vfs.DirInode.
func (d *dirInode) Create(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	switch opts.Mode & linux.S_IFMT {
	case linux.S_IFREG, 0:
		opts.Mode = linux.S_IFREG | opts.Mode&07777
		return d.create(name, func() (node, error) { return d.fs.newRegular(opts, 1), nil })
	case linux.S_IFIFO, linux.S_IFSOCK, linux.S_IFCHR, linux.S_IFBLK:
		return d.create(name, func() (node, error) { return d.fs.newSpecial(opts), nil })
	case linux.S_IFDIR:
		return d.Mkdir(ctx, name, opts)
	default:
		return nil, linux.EINVAL
	}
}

// Mkdir implements vfs.DirInode.
func (d *dirInode) Mkdir(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	opts.Mode = linux.S_IFDIR | opts.Mode&07777
	return d.create(name, func() (node, error) { return d.fs.newDir(opts), nil })
}

// Symlink implements vfs.DirInode.
func (d *dirInode) Symlink(ctx vfs.Context, name, target string, opts vfs.CreateOptions) (vfs.Inode, error) {
	if len(target)+1 > pageSize {
		return nil, linux.ENAMETOOLONG
	}
	opts.Mode = linux.S_IFLNK | 0777
	return d.create(name, func() (node, error) { return d.fs.newSymlink(target, opts) })
}

// OpenTmpfile implements vfs.TmpfileDirInode: a regular file with no
// link whose location is "#INO" under dir, dead from the start, as
// Linux's d_tmpfile names it.
func (d *dirInode) OpenTmpfile(ctx vfs.Context, dir vfs.VirtualDentry, opts vfs.CreateOptions, flags uint32) (vfs.FileDescription, error) {
	if err := d.fs.reserveIspace(bogoInodeSize); err != nil {
		return nil, err
	}
	opts.Mode = linux.S_IFREG | opts.Mode&07777
	r := d.fs.newRegular(opts, 0)
	r.linkable = flags&linux.O_EXCL == 0
	r.opens = 1
	dd := vfs.NewDeadDentry(dir.Dentry, "#"+strconv.FormatUint(r.ino, 10), r)
	return newRegularFile(vfs.VirtualDentry{Mount: dir.Mount, Dentry: dd}, flags, r), nil
}

// Link implements vfs.DirInode.
func (d *dirInode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(node)
	if !ok || t.base().fs != d.fs {
		return linux.EXDEV
	}
	tb := t.base()
	if tb.typ == linux.S_IFDIR {
		return linux.EPERM
	}
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if err := d.checkNewLocked(name); err != nil {
		return err
	}
	ts := now()
	tb.mu.Lock()
	if tb.nlink == 0 {
		// An unlinked file (or a memfd) cannot get a name back; a
		// file made by O_TMPFILE without O_EXCL can, once.
		r, ok := t.(*regularInode)
		if !ok || !r.linkable {
			tb.mu.Unlock()
			return linux.ENOENT
		}
		r.linkable = false
	}
	tb.nlink++
	tb.ctime = ts
	tb.mu.Unlock()
	d.addLocked(name, t)
	return nil
}

// checkEntryLocked checks that name in d is child.
//
// Preconditions: d.dirMu is held.
func (d *dirInode) checkEntryLocked(name string, child vfs.Inode) (node, error) {
	e, ok := d.entries[name]
	if !ok {
		return nil, linux.ENOENT
	}
	c := e.Value.(*dirEntry).child
	if vfs.Inode(c) != child {
		return nil, linux.ENOENT
	}
	return c, nil
}

// Unlink implements vfs.DirInode.
func (d *dirInode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	d.dirMu.Lock()
	c, err := d.checkEntryLocked(name, child)
	if err != nil {
		d.dirMu.Unlock()
		return err
	}
	if c.base().typ == linux.S_IFDIR {
		d.dirMu.Unlock()
		return linux.EISDIR
	}
	d.removeLocked(name)
	d.dirMu.Unlock()
	if c.base().dropLink() {
		lastLink(c)
	}
	return nil
}

// Rmdir implements vfs.DirInode.
func (d *dirInode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	c, err := d.checkEntryLocked(name, child)
	if err != nil {
		return err
	}
	cd, ok := c.(*dirInode)
	if !ok {
		return linux.ENOTDIR
	}
	if err := cd.kill(); err != nil {
		return err
	}
	d.removeLocked(name)
	return nil
}

// kill marks an empty directory removed (ENOTEMPTY if it is not empty),
// drops its links and gives back its space.
//
// Preconditions: the parent's dirMu is held.
func (d *dirInode) kill() error {
	d.dirMu.Lock()
	if len(d.entries) != 0 {
		d.dirMu.Unlock()
		return linux.ENOTEMPTY
	}
	d.dead = true
	d.dirMu.Unlock()
	t := now()
	d.inode.mu.Lock()
	d.nlink = 0
	d.ctime = t
	d.inode.mu.Unlock()
	d.evict()
	return nil
}

// Rename implements vfs.DirInode.
func (d *dirInode) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	nd, ok := newDir.(*dirInode)
	if !ok || nd.fs != d.fs {
		return linux.EXDEV
	}
	// See the package comment: the VFS serialises renames, so locking
	// the two directories in either order cannot deadlock.
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if nd != d {
		nd.dirMu.Lock()
		defer nd.dirMu.Unlock()
	}
	c, err := d.checkEntryLocked(oldName, child)
	if err != nil {
		return err
	}
	if nd.dead {
		return linux.ENOENT
	}
	var r node
	if replaced == nil {
		if _, ok := nd.entries[newName]; ok {
			return linux.EEXIST
		}
		if flags&linux.RENAME_EXCHANGE != 0 {
			return linux.ENOENT
		}
	} else if r, err = nd.checkEntryLocked(newName, replaced); err != nil {
		return err
	}
	if r == c {
		// Two names of one file: rename(2) does nothing.
		return nil
	}
	if r != nil && (vfs.Inode(r) == vfs.Inode(d) || vfs.Inode(r) == vfs.Inode(nd)) {
		// Replacing a directory the rename goes through (the VFS
		// refuses this first).
		return linux.ENOTEMPTY
	}
	if vfs.Inode(c) == vfs.Inode(nd) {
		return linux.EINVAL
	}
	if r != nil && flags&linux.RENAME_NOREPLACE != 0 {
		return linux.EEXIST
	}
	if flags&linux.RENAME_EXCHANGE != 0 {
		d.entries[oldName].Value.(*dirEntry).child = r
		nd.entries[newName].Value.(*dirEntry).child = c
		cDir, rDir := c.base().typ == linux.S_IFDIR, r.base().typ == linux.S_IFDIR
		if nd != d && cDir != rDir {
			if cDir {
				d.addNlink(-1)
				nd.addNlink(1)
			} else {
				d.addNlink(1)
				nd.addNlink(-1)
			}
		}
		d.touchCMTime()
		nd.touchCMTime()
		c.base().touchCTime()
		r.base().touchCTime()
		return nil
	}
	cDir := c.base().typ == linux.S_IFDIR
	if r != nil {
		rDir := r.base().typ == linux.S_IFDIR
		switch {
		case cDir && !rDir:
			return linux.ENOTDIR
		case !cDir && rDir:
			return linux.EISDIR
		}
		if rDir {
			if err := r.(*dirInode).kill(); err != nil {
				return err
			}
		}
		nd.removeLocked(newName)
		if !rDir && r.base().dropLink() {
			defer lastLink(r)
		}
	}
	d.removeLocked(oldName)
	nd.addLocked(newName, c)
	c.base().touchCTime()
	return nil
}

// lastLink is called when n's last link is gone: it gives back n's space
// now, or (an open regular file) when its last file is closed.
func lastLink(n node) {
	if r, ok := n.(*regularInode); ok {
		r.maybeEvict()
		return
	}
	if s, ok := n.(*symlinkInode); ok {
		s.release()
	}
	n.base().evict()
}
