package overlay

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// layerDir is a directory of one layer merged into an overlay directory.
type layerDir struct {
	layer int
	dir   vfs.DirInode
}

// lowerEntry is a name of the merged lower layers of a directory.
type lowerEntry struct {
	name     string
	typ      uint8
	ino      uint64
	whiteout bool
}

// dirNode is a directory.
type dirNode struct {
	node
	// lowers are the lower directories merged into this one, top first.
	// Empty for an upper-only or opaque directory. Immutable.
	lowers []layerDir

	// opMu serialises the overlay's changes of the directory's entries
	// in the upper layer (creating, removing, renaming, installing a
	// copied-up child) and protects dead's readers among them.
	opMu sync.Mutex

	// cacheMu protects the fields below. It is a leaf.
	cacheMu sync.Mutex
	// children caches looked-up names: the overlay inode, or nil for a
	// name that does not exist.
	children map[string]onode
	// lowerList is the merged listing of lowers (nil until read);
	// lowerIndex maps its names to their index.
	lowerList  []lowerEntry
	lowerIndex map[string]int
	// opaque is set for an upper directory that hides the lower layers.
	opaque bool
}

var _ vfs.DirInode = (*dirNode)(nil)

// upperDir returns the upper directory, or nil.
func (d *dirNode) upperDir() vfs.DirInode {
	if in := d.upperInode(); in != nil {
		return in.(vfs.DirInode)
	}
	return nil
}

func (d *dirNode) isDead() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead
}

// Stat implements vfs.Inode: a merged directory has one link, as in
// Linux (counting subdirectories of every layer is not worth it).
func (d *dirNode) Stat() (linux.Statx, error) {
	st, err := d.node.Stat()
	if err == nil && d.upperInode() != nil && len(d.lowers) > 0 {
		st.Nlink = 1
	}
	return st, err
}

// Open implements vfs.Inode.
func (d *dirNode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return vfs.NewDirFile(vd, flags), nil
}

// cached returns the cached child name and whether there is one.
func (d *dirNode) cached(name string) (onode, bool) {
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	c, ok := d.children[name]
	return c, ok
}

// setCached caches c (nil: no such name) as the child name.
func (d *dirNode) setCached(name string, c onode) {
	d.cacheMu.Lock()
	if d.children == nil {
		d.children = make(map[string]onode)
	}
	d.children[name] = c
	d.cacheMu.Unlock()
}

// Lookup implements vfs.DirInode.
func (d *dirNode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	c, err := d.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (d *dirNode) lookup(ctx vfs.Context, name string) (onode, error) {
	if c, ok := d.cached(name); ok {
		if c == nil {
			return nil, linux.ENOENT
		}
		return c, nil
	}
	c, err := d.lookupLayers(layerCtx{ctx}, name)
	if err != nil && err != linux.ENOENT {
		return nil, err
	}
	d.cacheMu.Lock()
	defer d.cacheMu.Unlock()
	if old, ok := d.children[name]; ok {
		// Someone else looked it up (or created it) meanwhile.
		c = old
	} else {
		if d.children == nil {
			d.children = make(map[string]onode)
		}
		d.children[name] = c
	}
	if c == nil {
		return nil, linux.ENOENT
	}
	return c, nil
}

// lookupLayers finds name in the layers and makes its overlay inode.
func (d *dirNode) lookupLayers(ctx vfs.Context, name string) (onode, error) {
	var upper vfs.Inode
	var upperSt linux.Statx
	if u := d.upperDir(); u != nil {
		in, err := u.Lookup(ctx, name)
		switch {
		case err == nil:
			st, err := in.Stat()
			if err != nil {
				return nil, err
			}
			if isWhiteoutStat(&st) {
				return nil, linux.ENOENT
			}
			upper, upperSt = in, st
		case err != linux.ENOENT:
			return nil, err
		}
	}
	if upper != nil && !vfs.IsDir(upperSt.Mode) {
		return d.newChild(name, uint32(upperSt.Mode)&linux.S_IFMT, d.fs.inoFor(0, upperSt.Ino), upper, nil, 0, nil, false), nil
	}
	opaque := upper != nil && isOpaque(ctx, upper)
	var (
		lower      vfs.Inode
		lowerSt    linux.Statx
		lowerLayer int
		dirs       []layerDir
	)
	if !opaque {
		for i, ld := range d.lowers {
			in, err := ld.dir.Lookup(ctx, name)
			if err == linux.ENOENT {
				continue
			}
			if err != nil {
				return nil, err
			}
			st, err := in.Stat()
			if err != nil {
				return nil, err
			}
			if isWhiteoutStat(&st) {
				break
			}
			if !vfs.IsDir(st.Mode) {
				if upper == nil && len(dirs) == 0 {
					lower, lowerSt, lowerLayer = in, st, ld.layer
				}
				break
			}
			if len(dirs) == 0 {
				lower, lowerSt, lowerLayer = in, st, ld.layer
			}
			dirs = append(dirs, layerDir{layer: ld.layer, dir: in.(vfs.DirInode)})
			if i < len(d.lowers)-1 && isOpaque(ctx, in) {
				break
			}
		}
	}
	switch {
	case upper == nil && lower == nil:
		return nil, linux.ENOENT
	case upper == nil && len(dirs) == 0:
		return d.newChild(name, uint32(lowerSt.Mode)&linux.S_IFMT, d.fs.inoFor(lowerLayer, lowerSt.Ino), nil, lower, lowerLayer, nil, false), nil
	case lower == nil:
		return d.newChild(name, linux.S_IFDIR, d.fs.inoFor(0, upperSt.Ino), upper, nil, 0, nil, opaque), nil
	default:
		return d.newChild(name, linux.S_IFDIR, d.fs.inoFor(lowerLayer, lowerSt.Ino), upper, lower, lowerLayer, dirs, false), nil
	}
}

// newChild makes the overlay inode of a child of d.
func (d *dirNode) newChild(name string, typ uint32, ino uint64, upper, lower vfs.Inode, lowerLayer int, dirs []layerDir, opaque bool) onode {
	var c onode
	switch typ {
	case linux.S_IFDIR:
		dn := &dirNode{lowers: dirs, opaque: opaque}
		c = dn
	case linux.S_IFLNK:
		c = &symlinkNode{}
	default:
		c = &fileNode{}
	}
	n := c.base()
	n.init(d.fs, typ, ino, d, name, lower, lowerLayer)
	n.self = c
	if upper != nil {
		n.upper.Store(&upperRef{upper})
	}
	return c
}

// lowerEntries returns the merged listing of d's lower layers, reading
// it once.
func (d *dirNode) lowerEntries(ctx vfs.Context) ([]lowerEntry, map[string]int, error) {
	d.cacheMu.Lock()
	list, index := d.lowerList, d.lowerIndex
	d.cacheMu.Unlock()
	if list != nil || len(d.lowers) == 0 {
		return list, index, nil
	}
	list = []lowerEntry{}
	index = make(map[string]int)
	for _, ld := range d.lowers {
		ents, err := ld.dir.Readdir(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ents {
			if _, ok := index[e.Name]; ok {
				continue
			}
			le := lowerEntry{name: e.Name, typ: e.Type, ino: d.fs.inoFor(ld.layer, e.Ino)}
			if e.Type == linux.DT_CHR {
				if in, err := ld.dir.Lookup(ctx, e.Name); err == nil && isWhiteout(in) {
					le.whiteout = true
				}
			}
			index[e.Name] = len(list)
			list = append(list, le)
		}
	}
	d.cacheMu.Lock()
	d.lowerList, d.lowerIndex = list, index
	d.cacheMu.Unlock()
	return list, index, nil
}

// lowerHas reports whether a lower layer of d shows name (so that
// removing it from the upper layer needs a whiteout).
func (d *dirNode) lowerHas(ctx vfs.Context, name string) (bool, error) {
	if len(d.lowers) == 0 {
		return false, nil
	}
	d.cacheMu.Lock()
	list, index := d.lowerList, d.lowerIndex
	d.cacheMu.Unlock()
	if list != nil {
		i, ok := index[name]
		return ok && !list[i].whiteout, nil
	}
	for _, ld := range d.lowers {
		in, err := ld.dir.Lookup(ctx, name)
		if err == linux.ENOENT {
			continue
		}
		if err != nil {
			return false, err
		}
		return !isWhiteout(in), nil
	}
	return false, nil
}

// Readdir implements vfs.DirInode: the upper layer's names (without
// whiteouts), then the lower layers' that they do not hide.
func (d *dirNode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	lctx := layerCtx{ctx}
	var out []vfs.Dirent
	seen := make(map[string]bool)
	if u := d.upperDir(); u != nil {
		ents, err := u.Readdir(lctx)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			seen[e.Name] = true
			if e.Type == linux.DT_CHR {
				if in, err := u.Lookup(lctx, e.Name); err == nil && isWhiteout(in) {
					continue
				}
			}
			ino := d.fs.inoFor(0, e.Ino)
			if c, ok := d.cached(e.Name); ok && c != nil {
				ino = c.base().ino
			} else if e.Type == linux.DT_DIR && len(d.lowers) > 0 {
				// Possibly merged: its number comes from below.
				if c, err := d.lookup(ctx, e.Name); err == nil {
					ino = c.base().ino
				}
			}
			out = append(out, vfs.Dirent{Name: e.Name, Type: e.Type, Ino: ino})
		}
	}
	d.cacheMu.Lock()
	opaque := d.opaque
	d.cacheMu.Unlock()
	if opaque {
		return out, nil
	}
	list, _, err := d.lowerEntries(lctx)
	if err != nil {
		return nil, err
	}
	for _, le := range list {
		if le.whiteout || seen[le.name] {
			continue
		}
		ino := le.ino
		if c, ok := d.cached(le.name); ok && c != nil {
			ino = c.base().ino
		}
		out = append(out, vfs.Dirent{Name: le.name, Type: le.typ, Ino: ino})
	}
	return out, nil
}

// create makes a new child called name with mk, in the upper layer; over
// a whiteout, it is made in the work directory and exchanged with the
// whiteout. A directory made over a whiteout is opaque. wrap makes the
// child's overlay inode from its upper inode.
func (d *dirNode) create(ctx vfs.Context, name string, isDir bool, mk func(dir vfs.DirInode, name string) (vfs.Inode, error), wrap func(in vfs.Inode) (onode, error)) (onode, error) {
	if err := d.copyUp(ctx, true); err != nil {
		return nil, err
	}
	lctx := layerCtx{ctx}
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if d.isDead() {
		return nil, linux.ENOENT
	}
	u := d.upperDir()
	var wh vfs.Inode
	if in, err := u.Lookup(lctx, name); err == nil {
		if !isWhiteout(in) {
			return nil, linux.EEXIST
		}
		wh = in
	} else if err != linux.ENOENT {
		return nil, err
	}
	var in vfs.Inode
	var err error
	if wh == nil {
		if in, err = mk(u, name); err != nil {
			return nil, err
		}
	} else {
		work := d.fs.workDir()
		tmp := d.fs.tempName()
		if in, err = mk(work, tmp); err != nil {
			return nil, err
		}
		if isDir {
			if err := in.(vfs.XattrInode).SetXattr(lctx, opaqueXattr, []byte("y"), 0); err != nil {
				removeTemp(lctx, work, tmp, in)
				return nil, err
			}
		}
		if err := work.Rename(lctx, tmp, in, u, name, wh, linux.RENAME_EXCHANGE); err != nil {
			removeTemp(lctx, work, tmp, in)
			return nil, err
		}
		work.Unlink(lctx, tmp, wh)
	}
	c, err := wrap(in)
	if err != nil {
		return nil, err
	}
	if dn, ok := c.(*dirNode); ok && wh != nil {
		dn.cacheMu.Lock()
		dn.opaque = true
		dn.cacheMu.Unlock()
	}
	d.setCached(name, c)
	return c, nil
}

// newUpperChild is create's wrap for a new file: an upper-only inode.
func (d *dirNode) newUpperChild(name string) func(in vfs.Inode) (onode, error) {
	return func(in vfs.Inode) (onode, error) {
		st, err := in.Stat()
		if err != nil {
			return nil, err
		}
		return d.newChild(name, uint32(st.Mode)&linux.S_IFMT, d.fs.inoFor(0, st.Ino), in, nil, 0, nil, false), nil
	}
}

// Create implements vfs.DirInode.
func (d *dirNode) Create(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return d.create(ctx, name, false, func(dir vfs.DirInode, n string) (vfs.Inode, error) {
		return dir.Create(ctx, n, opts)
	}, d.newUpperChild(name))
}

// Mkdir implements vfs.DirInode.
func (d *dirNode) Mkdir(ctx vfs.Context, name string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return d.create(ctx, name, true, func(dir vfs.DirInode, n string) (vfs.Inode, error) {
		return dir.Mkdir(ctx, n, opts)
	}, d.newUpperChild(name))
}

// Symlink implements vfs.DirInode.
func (d *dirNode) Symlink(ctx vfs.Context, name, target string, opts vfs.CreateOptions) (vfs.Inode, error) {
	return d.create(ctx, name, false, func(dir vfs.DirInode, n string) (vfs.Inode, error) {
		return dir.Symlink(ctx, n, target, opts)
	}, d.newUpperChild(name))
}

// Link implements vfs.DirInode: the target is copied up, and the new name
// is a link to its upper inode.
func (d *dirNode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(onode)
	if !ok || t.base().fs != d.fs {
		return linux.EXDEV
	}
	tn := t.base()
	if tn.typ == linux.S_IFDIR {
		return linux.EPERM
	}
	if err := tn.copyUp(ctx, true); err != nil {
		return err
	}
	tu := tn.upperInode()
	_, err := d.create(ctx, name, false, func(dir vfs.DirInode, n string) (vfs.Inode, error) {
		if err := dir.Link(layerCtx{ctx}, n, tu); err != nil {
			return nil, err
		}
		return tu, nil
	}, func(vfs.Inode) (onode, error) { return t, nil })
	return err
}

// removeUpperLocked removes the upper entry name (the inode cu) of d,
// leaving a whiteout if needWh.
//
// Preconditions: d.opMu is held.
func (d *dirNode) removeUpperLocked(ctx vfs.Context, name string, cu vfs.Inode, needWh bool) error {
	u := d.upperDir()
	if !needWh {
		return u.Unlink(ctx, name, cu)
	}
	work := d.fs.workDir()
	tmp := d.fs.tempName()
	wh, err := makeWhiteout(ctx, work, tmp)
	if err != nil {
		return err
	}
	if err := work.Rename(ctx, tmp, wh, u, name, cu, 0); err != nil {
		work.Unlink(ctx, tmp, wh)
		return err
	}
	return nil
}

// Unlink implements vfs.DirInode.
func (d *dirNode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	c, ok := child.(onode)
	if !ok {
		return linux.ENOENT
	}
	cn := c.base()
	if cn.typ == linux.S_IFDIR {
		return linux.EISDIR
	}
	if err := d.copyUp(ctx, true); err != nil {
		return err
	}
	lctx := layerCtx{ctx}
	cn.copyMu.Lock()
	defer cn.copyMu.Unlock()
	d.opMu.Lock()
	defer d.opMu.Unlock()
	needWh, err := d.lowerHas(lctx, name)
	if err != nil {
		return err
	}
	if cu := cn.upperInode(); cu != nil {
		err = d.removeUpperLocked(lctx, name, cu, needWh)
	} else {
		_, err = makeWhiteout(lctx, d.upperDir(), name)
	}
	if err != nil {
		return err
	}
	d.forgetLocked(name, cn)
	return nil
}

// forgetLocked records that name (the node cn) is gone from d.
//
// Preconditions: d.opMu is held.
func (d *dirNode) forgetLocked(name string, cn *node) {
	d.setCached(name, nil)
	cn.mu.Lock()
	if cn.parent == d && cn.name == name {
		cn.dead = true
	}
	cn.mu.Unlock()
}

// clearWhiteouts removes the whiteouts of the upper directory u (whose
// merged view is empty: it holds nothing else).
func clearWhiteouts(ctx vfs.Context, u vfs.DirInode) error {
	ents, err := u.Readdir(ctx)
	if err != nil {
		return err
	}
	for _, e := range ents {
		in, err := u.Lookup(ctx, e.Name)
		if err != nil {
			return err
		}
		if !isWhiteout(in) {
			return linux.ENOTEMPTY
		}
		if err := u.Unlink(ctx, e.Name, in); err != nil {
			return err
		}
	}
	return nil
}

// checkEmpty returns ENOTEMPTY unless d's merged view has no entry.
func (d *dirNode) checkEmpty(ctx vfs.Context) error {
	ents, err := d.Readdir(ctx)
	if err != nil {
		return err
	}
	if len(ents) != 0 {
		return linux.ENOTEMPTY
	}
	return nil
}

// Rmdir implements vfs.DirInode.
func (d *dirNode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	c, ok := child.(*dirNode)
	if !ok {
		return linux.ENOTDIR
	}
	if err := d.copyUp(ctx, true); err != nil {
		return err
	}
	lctx := layerCtx{ctx}
	c.copyMu.Lock()
	defer c.copyMu.Unlock()
	d.opMu.Lock()
	defer d.opMu.Unlock()
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if err := c.checkEmpty(ctx); err != nil {
		return err
	}
	needWh, err := d.lowerHas(lctx, name)
	if err != nil {
		return err
	}
	u := d.upperDir()
	cu := c.upperDir()
	switch {
	case cu == nil:
		_, err = makeWhiteout(lctx, u, name)
	case needWh:
		// Exchange the directory with a whiteout, then empty and
		// remove it in the work directory: the name never shows the
		// lower directory again.
		work := d.fs.workDir()
		tmp := d.fs.tempName()
		var wh vfs.Inode
		if wh, err = makeWhiteout(lctx, work, tmp); err != nil {
			return err
		}
		if err = work.Rename(lctx, tmp, wh, u, name, cu, linux.RENAME_EXCHANGE); err != nil {
			work.Unlink(lctx, tmp, wh)
			return err
		}
		// The name is gone whatever happens to the old directory
		// (only the work directory could keep it).
		if clearWhiteouts(lctx, cu) == nil {
			work.Rmdir(lctx, tmp, cu)
		}
	default:
		// No lower layer has the name: the directory is upper-only, and
		// its whiteouts hide nothing.
		if err = clearWhiteouts(lctx, cu); err == nil {
			err = u.Rmdir(lctx, name, cu)
		}
	}
	if err != nil {
		return err
	}
	d.forgetLocked(name, &c.node)
	return nil
}

// Rename implements vfs.DirInode. See the package comment for the rules.
func (d *dirNode) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	nd, ok := newDir.(*dirNode)
	if !ok || nd.fs != d.fs {
		return linux.EXDEV
	}
	c, ok := child.(onode)
	if !ok {
		return linux.ENOENT
	}
	cn := c.base()
	exchange := flags&linux.RENAME_EXCHANGE != 0
	if dn, ok := c.(*dirNode); ok && len(dn.lowers) > 0 {
		return linux.EXDEV
	}
	var rn *node
	if replaced != nil {
		r, ok := replaced.(onode)
		if !ok {
			return linux.ENOENT
		}
		rn = r.base()
		if dn, ok := r.(*dirNode); ok && exchange && len(dn.lowers) > 0 {
			return linux.EXDEV
		}
		if rn == cn {
			return nil
		}
	}
	for _, n := range []*node{&d.node, &nd.node, cn} {
		if err := n.copyUp(ctx, true); err != nil {
			return err
		}
	}
	if exchange {
		if err := rn.copyUp(ctx, true); err != nil {
			return err
		}
	}
	lctx := layerCtx{ctx}
	cn.copyMu.Lock()
	defer cn.copyMu.Unlock()
	if rn != nil {
		rn.copyMu.Lock()
		defer rn.copyMu.Unlock()
	}
	// The VFS serialises renames: the two directories may be locked in
	// either order.
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if nd != d {
		nd.opMu.Lock()
		defer nd.opMu.Unlock()
	}
	if nd.isDead() {
		return linux.ENOENT
	}
	u, nu := d.upperDir(), nd.upperDir()
	cu := cn.upperInode()
	var ru vfs.Inode
	if rn != nil {
		ru = rn.upperInode()
	}
	newLower, err := nd.lowerHas(lctx, newName)
	if err != nil {
		return err
	}
	if exchange {
		oldLower, err := d.lowerHas(lctx, oldName)
		if err != nil {
			return err
		}
		if err := setOpaqueIf(lctx, c, newLower); err != nil {
			return err
		}
		if err := setOpaqueIf(lctx, rn.self, oldLower); err != nil {
			return err
		}
		if err := u.Rename(lctx, oldName, cu, nu, newName, ru, linux.RENAME_EXCHANGE); err != nil {
			return err
		}
		d.setCached(oldName, rn.self)
		nd.setCached(newName, c)
		rn.mu.Lock()
		rn.parent, rn.name = d, oldName
		rn.mu.Unlock()
		cn.mu.Lock()
		cn.parent, cn.name = nd, newName
		cn.mu.Unlock()
		return nil
	}
	if rdn, ok := replaced.(*dirNode); ok && rdn != nil {
		rdn.opMu.Lock()
		defer rdn.opMu.Unlock()
		if err := rdn.checkEmpty(ctx); err != nil {
			return err
		}
	}
	oldNeedWh, err := d.lowerHas(lctx, oldName)
	if err != nil {
		return err
	}
	if err := setOpaqueIf(lctx, c, newLower); err != nil {
		return err
	}
	var wh vfs.Inode
	if ru == nil {
		if in, err := nu.Lookup(lctx, newName); err == nil && isWhiteout(in) {
			wh = in
		} else if err != nil && err != linux.ENOENT {
			return err
		}
	}
	switch {
	case wh != nil:
		// Over a whiteout: exchange, so the old name gets the whiteout
		// (kept if a lower layer has that name).
		if err := u.Rename(lctx, oldName, cu, nu, newName, wh, linux.RENAME_EXCHANGE); err != nil {
			return err
		}
		if !oldNeedWh {
			if err := u.Unlink(lctx, oldName, wh); err != nil {
				return err
			}
		}
		oldNeedWh = false
	default:
		if rdu, ok := ru.(vfs.DirInode); ok {
			if err := clearWhiteouts(lctx, rdu); err != nil {
				return err
			}
		}
		if err := u.Rename(lctx, oldName, cu, nu, newName, ru, 0); err != nil {
			return err
		}
	}
	if oldNeedWh {
		if _, err := makeWhiteout(lctx, u, oldName); err != nil {
			return err
		}
	}
	d.setCached(oldName, nil)
	nd.setCached(newName, c)
	cn.mu.Lock()
	cn.parent, cn.name = nd, newName
	cn.mu.Unlock()
	if rn != nil {
		rn.markDead()
	}
	return nil
}

// setOpaqueIf makes the upper-only directory c opaque if cond (it moves
// onto a name that a lower layer has).
func setOpaqueIf(ctx vfs.Context, c onode, cond bool) error {
	dn, ok := c.(*dirNode)
	if !ok || !cond {
		return nil
	}
	if err := dn.upperInode().(vfs.XattrInode).SetXattr(ctx, opaqueXattr, []byte("y"), 0); err != nil {
		return err
	}
	dn.cacheMu.Lock()
	dn.opaque = true
	dn.cacheMu.Unlock()
	return nil
}
