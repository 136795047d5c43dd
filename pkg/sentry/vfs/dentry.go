package vfs

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Dentry is a name in the dentry cache: an inode as reached through its
// parent. A file with several hard links has one Dentry per name that has
// been looked up. Dentries stay cached until their name is removed or
// renamed over; an unlinked dentry is dead but stays valid for the files
// and working directories that still hold it.
type Dentry struct {
	fs    *Filesystem
	inode Inode

	// parent and name are protected by vfs.renameMu: read with it held
	// for reading, changed with it held for writing. The root of a file
	// system has no parent.
	parent *Dentry
	name   string

	// dirMu serialises changes to this directory's entries (create,
	// remove, rename, cache fill) like Linux's i_rwsem; children is
	// protected by it.
	dirMu    sync.RWMutex
	children map[string]*Dentry

	// dead is set when the dentry's name is removed.
	dead atomic.Bool
	// mounts counts the mounts whose mount point this is.
	mounts atomic.Int32
}

// Inode returns the dentry's inode.
func (d *Dentry) Inode() Inode { return d.inode }

// Filesystem returns the dentry's file system.
func (d *Dentry) Filesystem() *Filesystem { return d.fs }

// IsDead reports whether the dentry's name was removed.
func (d *Dentry) IsDead() bool { return d.dead.Load() }

// VirtualDentry is a dentry as seen through a mount: a location in a
// mount namespace.
type VirtualDentry struct {
	Mount  *Mount
	Dentry *Dentry
}

// Ok reports whether vd is set.
func (vd VirtualDentry) Ok() bool { return vd.Dentry != nil }

// NewDeadDentry returns a dentry for inode that is called name under
// parent but is not one of parent's children and is dead from the start:
// the location of a file that never had a name in a directory
// (memfd_create(2)'s "memfd:NAME"), which PathName shows as "/NAME
// (deleted)". name may contain any byte but NUL.
func NewDeadDentry(parent *Dentry, name string, inode Inode) *Dentry {
	d := &Dentry{fs: parent.fs, inode: inode, parent: parent, name: name}
	d.dead.Store(true)
	return d
}

// cachedChild returns the cached child of d called name, or nil.
func (d *Dentry) cachedChild(name string) *Dentry {
	d.dirMu.RLock()
	defer d.dirMu.RUnlock()
	return d.children[name]
}

// insertChildLocked caches inode as d's child name.
//
// Preconditions: d.dirMu is held for writing.
func (d *Dentry) insertChildLocked(name string, inode Inode) *Dentry {
	c := &Dentry{fs: d.fs, inode: inode, parent: d, name: name}
	if d.children == nil {
		d.children = make(map[string]*Dentry)
	}
	d.children[name] = c
	return c
}

// removeChildLocked forgets child (named name) and marks it dead.
//
// Preconditions: d.dirMu is held for writing.
func (d *Dentry) removeChildLocked(name string, child *Dentry) {
	if d.children[name] == child {
		delete(d.children, name)
	}
	child.dead.Store(true)
}

// lookupChild returns d's child called name, from the cache or from the
// file system.
//
// Preconditions: vfs.renameMu is held; d is a directory.
func (d *Dentry) lookupChild(ctx Context, name string) (*Dentry, error) {
	dir := d.inode.(DirInode)
	if c := d.cachedChild(name); c != nil {
		rv, ok := d.inode.(Revalidator)
		if !ok {
			return c, nil
		}
		valid, err := rv.Revalidate(ctx, name, c.inode)
		if err != nil {
			return nil, err
		}
		if valid {
			return c, nil
		}
		d.dirMu.Lock()
		if c.mounts.Load() == 0 {
			d.removeChildLocked(name, c)
		}
		d.dirMu.Unlock()
	}
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if c := d.children[name]; c != nil {
		return c, nil
	}
	inode, err := dir.Lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return d.insertChildLocked(name, inode), nil
}

// PathName returns the path of vd as seen from root (d_path), and whether
// vd is reachable from root at all. A dead dentry gets " (deleted)"
// appended, as Linux does.
func (v *VirtualFilesystem) PathName(root, vd VirtualDentry) (string, bool) {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	return v.pathNameLocked(root, vd)
}

// pathNameLocked is PathName.
//
// Preconditions: v.renameMu is held.
func (v *VirtualFilesystem) pathNameLocked(root, vd VirtualDentry) (string, bool) {
	var parts []string
	cur := vd
	reachable := true
	v.mountMu.RLock()
	for cur != root {
		if cur.Dentry == cur.Mount.root {
			if cur.Mount.parent == nil {
				reachable = false
				break
			}
			cur = VirtualDentry{Mount: cur.Mount.parent, Dentry: cur.Mount.point}
			continue
		}
		if cur.Dentry.parent == nil {
			// A dentry of a file system that is not mounted.
			reachable = false
			break
		}
		parts = append(parts, cur.Dentry.name)
		cur.Dentry = cur.Dentry.parent
	}
	v.mountMu.RUnlock()
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	p := b.String()
	if p == "" {
		p = "/"
	}
	if vd.Dentry.IsDead() {
		p += " (deleted)"
	}
	return p, reachable
}
