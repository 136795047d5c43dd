package overlay

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// onode is implemented by every overlay inode type.
type onode interface {
	vfs.Inode
	vfs.XattrInode
	base() *node
}

// upperRef holds a node's upper inode (atomic.Pointer needs one type).
type upperRef struct {
	in vfs.Inode
}

// node is what every overlay inode has: its number, its layers' inodes,
// and the name it was found at (where a copy-up puts it).
type node struct {
	fs *filesystem
	// ino and typ (the S_IFMT bits) never change.
	ino uint64
	typ uint32
	// self is the overlay inode that embeds the node.
	self onode

	// lower is the inode of the lower layer the node shows (for a
	// directory, the top lower directory), nil for an upper-only file;
	// lowerLayer is its layer's index. Both are immutable.
	lower      vfs.Inode
	lowerLayer int

	// upper is set, once, when the node has an upper inode.
	upper atomic.Pointer[upperRef]

	// copyMu serialises the copy-up of the node with the removal and
	// renaming of its name.
	copyMu sync.Mutex

	// mu protects parent, name and dead. It is a leaf.
	mu     sync.Mutex
	parent *dirNode
	name   string
	// dead is set when the node's name is removed.
	dead bool
}

func (n *node) init(fs *filesystem, typ uint32, ino uint64, parent *dirNode, name string, lower vfs.Inode, lowerLayer int) {
	n.fs, n.typ, n.ino = fs, typ, ino
	n.parent, n.name = parent, name
	n.lower, n.lowerLayer = lower, lowerLayer
}

func (n *node) base() *node { return n }

// upperInode returns the upper inode, or nil.
func (n *node) upperInode() vfs.Inode {
	if u := n.upper.Load(); u != nil {
		return u.in
	}
	return nil
}

// real returns the inode that holds the node's current attributes and
// data: the upper one if there is one.
func (n *node) real() vfs.Inode {
	if u := n.upper.Load(); u != nil {
		return u.in
	}
	return n.lower
}

func (n *node) markDead() {
	n.mu.Lock()
	n.dead = true
	n.mu.Unlock()
}

// Stat implements vfs.Inode: the real inode's attributes with the
// overlay's inode number.
func (n *node) Stat() (linux.Statx, error) {
	st, err := n.real().Stat()
	if err != nil {
		return st, err
	}
	st.Ino = n.ino
	return st, nil
}

// SetStat implements vfs.Inode: it copies the file up first (without its
// data if it is truncated to 0).
func (n *node) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	withData := !(opts.Mask&linux.STATX_SIZE != 0 && opts.Size == 0)
	if err := n.copyUp(ctx, withData); err != nil {
		return err
	}
	return n.upperInode().SetStat(ctx, opts)
}

// xattrs returns the real inode's XattrInode, or nil.
func (n *node) xattrs() vfs.XattrInode {
	xi, _ := n.real().(vfs.XattrInode)
	return xi
}

// GetXattr implements vfs.XattrInode.
func (n *node) GetXattr(ctx vfs.Context, name string, size uint64) ([]byte, error) {
	if strings.HasPrefix(name, privatePrefix) {
		return nil, linux.EOPNOTSUPP
	}
	xi := n.xattrs()
	if xi == nil {
		return nil, linux.EOPNOTSUPP
	}
	return xi.GetXattr(ctx, name, size)
}

// SetXattr implements vfs.XattrInode: it copies the file up first.
func (n *node) SetXattr(ctx vfs.Context, name string, value []byte, flags uint32) error {
	if strings.HasPrefix(name, privatePrefix) {
		return linux.EOPNOTSUPP
	}
	if err := n.copyUp(ctx, true); err != nil {
		return err
	}
	xi, ok := n.upperInode().(vfs.XattrInode)
	if !ok {
		return linux.EOPNOTSUPP
	}
	return xi.SetXattr(ctx, name, value, flags)
}

// RemoveXattr implements vfs.XattrInode: it copies the file up first.
func (n *node) RemoveXattr(ctx vfs.Context, name string) error {
	if strings.HasPrefix(name, privatePrefix) {
		return linux.EOPNOTSUPP
	}
	if err := n.copyUp(ctx, true); err != nil {
		return err
	}
	xi, ok := n.upperInode().(vfs.XattrInode)
	if !ok {
		return linux.EOPNOTSUPP
	}
	return xi.RemoveXattr(ctx, name)
}

// ListXattr implements vfs.XattrInode, without the overlay's own names.
func (n *node) ListXattr(ctx vfs.Context, size uint64) ([]string, error) {
	xi := n.xattrs()
	if xi == nil {
		return nil, nil
	}
	names, err := xi.ListXattr(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	var total uint64
	for _, name := range names {
		if strings.HasPrefix(name, privatePrefix) {
			continue
		}
		out = append(out, name)
		total += uint64(len(name)) + 1
	}
	if size != 0 && size < total {
		return nil, linux.ERANGE
	}
	return out, nil
}

// copyUp gives the node an upper inode, copying its parents up first and
// then its attributes, extended attributes and (if withData) contents.
// See the package comment.
//
// Preconditions: no lock of the overlay is held.
func (n *node) copyUp(ctx vfs.Context, withData bool) error {
	if n.upper.Load() != nil {
		return nil
	}
	if err := n.fs.writable(); err != nil {
		return err
	}
	n.mu.Lock()
	p := n.parent
	n.mu.Unlock()
	if p == nil {
		// The root without an upper layer: handled by writable.
		return linux.EROFS
	}
	if err := p.copyUp(ctx, true); err != nil {
		return err
	}
	n.copyMu.Lock()
	defer n.copyMu.Unlock()
	if n.upper.Load() != nil {
		return nil
	}
	n.mu.Lock()
	dead, p, name := n.dead, n.parent, n.name
	n.mu.Unlock()
	if dead {
		return linux.ENOENT
	}
	lctx := layerCtx{ctx}
	in, tmp, err := n.buildCopy(lctx, withData)
	if err != nil {
		return err
	}
	work := n.fs.workDir()
	p.opMu.Lock()
	err = p.installLocked(lctx, work, tmp, in, name)
	p.opMu.Unlock()
	if err != nil {
		removeTemp(lctx, work, tmp, in)
		return err
	}
	n.upper.Store(&upperRef{in})
	return nil
}

// installLocked renames the finished copy in (called tmp in work) to name
// in d's upper directory, keeping that directory's times.
//
// Preconditions: d.opMu is held; d has an upper directory.
func (d *dirNode) installLocked(ctx vfs.Context, work vfs.DirInode, tmp string, in vfs.Inode, name string) error {
	u := d.upperDir()
	pst, err := u.Stat()
	if err != nil {
		return err
	}
	if err := work.Rename(ctx, tmp, in, u, name, nil, 0); err != nil {
		return err
	}
	// As Linux, a copy-up does not change the parent's times.
	return u.SetStat(ctx, vfs.SetStatOptions{
		Mask:  linux.STATX_ATIME | linux.STATX_MTIME,
		Atime: linux.Timespec{Sec: pst.Atime.Sec, Nsec: int64(pst.Atime.Nsec)},
		Mtime: linux.Timespec{Sec: pst.Mtime.Sec, Nsec: int64(pst.Mtime.Nsec)},
	})
}

// removeTemp removes the work directory's entry tmp (in) after a failure.
func removeTemp(ctx vfs.Context, work vfs.DirInode, tmp string, in vfs.Inode) {
	st, err := in.Stat()
	if err == nil && vfs.IsDir(st.Mode) {
		work.Rmdir(ctx, tmp, in)
		return
	}
	work.Unlink(ctx, tmp, in)
}

// buildCopy makes the upper copy of the node in the work directory under
// a temporary name: the file (with its owner), its data, its extended
// attributes, then its mode and times.
func (n *node) buildCopy(ctx vfs.Context, withData bool) (vfs.Inode, string, error) {
	st, err := n.lower.Stat()
	if err != nil {
		return nil, "", err
	}
	work := n.fs.workDir()
	tmp := n.fs.tempName()
	co := vfs.CreateOptions{
		Mode: uint32(st.Mode),
		UID:  auth.UID(st.UID),
		GID:  auth.GID(st.GID),
		Dev:  linux.MakeDev(st.RdevMajor, st.RdevMinor),
	}
	var in vfs.Inode
	switch n.typ {
	case linux.S_IFDIR:
		in, err = work.Mkdir(ctx, tmp, co)
	case linux.S_IFLNK:
		var target string
		if target, err = n.lower.(vfs.SymlinkInode).Readlink(ctx); err == nil {
			in, err = work.Symlink(ctx, tmp, target, co)
		}
	default:
		in, err = work.Create(ctx, tmp, co)
	}
	if err != nil {
		return nil, "", err
	}
	fail := func(err error) (vfs.Inode, string, error) {
		removeTemp(ctx, work, tmp, in)
		return nil, "", err
	}
	if n.typ == linux.S_IFREG && withData && st.Size > 0 {
		if err := n.copyData(ctx, in, st.Size); err != nil {
			return fail(err)
		}
	}
	if err := copyXattrs(ctx, n.lower, in); err != nil {
		return fail(err)
	}
	opts := vfs.SetStatOptions{
		Mask:  linux.STATX_ATIME | linux.STATX_MTIME,
		Atime: linux.Timespec{Sec: st.Atime.Sec, Nsec: int64(st.Atime.Nsec)},
		Mtime: linux.Timespec{Sec: st.Mtime.Sec, Nsec: int64(st.Mtime.Nsec)},
	}
	if n.typ != linux.S_IFLNK {
		// A write may have cleared set-ID bits: the mode comes last.
		opts.Mask |= linux.STATX_MODE
		opts.Mode = uint32(st.Mode) & 07777
	}
	if err := in.SetStat(ctx, opts); err != nil {
		return fail(err)
	}
	return in, tmp, nil
}

// copyChunk is how much copy-up reads and writes at a time.
const copyChunk = 256 << 10

// copyData copies size bytes of the lower file to the upper file in.
// Chunks of zeros are not written: they stay holes.
func (n *node) copyData(ctx vfs.Context, in vfs.Inode, size uint64) error {
	src, err := n.lower.Open(ctx, n.fs.layerVD(n.lowerLayer, n.lower), linux.O_RDONLY)
	if err != nil {
		return err
	}
	defer src.DecRef()
	dst, err := in.Open(ctx, n.fs.layerVD(0, in), linux.O_WRONLY)
	if err != nil {
		return err
	}
	defer dst.DecRef()
	buf := make([]byte, copyChunk)
	zero := make([]byte, copyChunk)
	var off uint64
	for off < size {
		got, err := src.PRead(ctx, buf[:min(uint64(len(buf)), size-off)], int64(off))
		if err != nil {
			return err
		}
		if got == 0 {
			break
		}
		if !bytes.Equal(buf[:got], zero[:got]) {
			for w := 0; w < got; {
				m, err := dst.PWrite(ctx, buf[w:got], int64(off)+int64(w))
				if err != nil {
					return err
				}
				w += m
			}
		}
		off += uint64(got)
	}
	// Trailing holes (and a file that shrank meanwhile: the size of the
	// data copied).
	return in.SetStat(ctx, vfs.SetStatOptions{Mask: linux.STATX_SIZE, Size: off})
}

// copyXattrs copies the extended attributes of from to to, except the
// overlay's own and those the upper layer cannot store.
func copyXattrs(ctx vfs.Context, from, to vfs.Inode) error {
	fx, ok := from.(vfs.XattrInode)
	if !ok {
		return nil
	}
	tx, ok := to.(vfs.XattrInode)
	if !ok {
		return nil
	}
	names, err := fx.ListXattr(ctx, 0)
	if err != nil {
		if err == linux.EOPNOTSUPP {
			return nil
		}
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, privatePrefix) {
			continue
		}
		v, err := fx.GetXattr(ctx, name, 0)
		if err == linux.ENODATA || err == linux.EOPNOTSUPP {
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.SetXattr(ctx, name, v, 0); err != nil && err != linux.EOPNOTSUPP {
			return err
		}
	}
	return nil
}
