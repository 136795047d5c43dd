// Package overlay is a union file system with Linux overlayfs semantics:
// one writable upper layer over any number of read-only lower layers. It
// is the sandbox's root (--overlay2=root:memory): the lower layer is the
// gofer's read-only view of the container's root, the upper a
// sandbox-internal tmpfs, so writes cost no RPC and never reach the host.
//
// It owns the merged view: lookups that merge directories of several
// layers, readdir merging, copy-up, whiteouts, opaque directories, the
// rename rules and inode numbers. It implements the VFS's single-name
// operations and must not resolve paths or repeat the VFS's generic
// checks (permissions, EROFS, sticky bit). It never writes to a lower
// layer, and it reaches the layers only through their vfs.Inode methods.
//
// # Semantics (as Linux overlayfs without redirect_dir, index or metacopy)
//
//   - Lookup: the upper layer first, then the lower layers, top first. A
//     non-directory ends the search; directories of several layers merge
//     until a layer holds a non-directory, a whiteout, or an opaque
//     directory.
//   - Whiteouts are character devices 0/0 in a layer: they hide the name
//     in the layers below. Opaque directories carry the extended attribute
//     trusted.overlay.opaque="y" in their layer (the upper tmpfs stores
//     it like any other trusted.* attribute); nothing below them shows.
//     Names under "trusted.overlay." are the overlay's: applications can
//     neither see nor set them (EOPNOTSUPP), as in Linux.
//   - Copy-up: the first change of a lower file (open for writing,
//     truncate, chmod, chown, utimes, setxattr, link, rename) copies it to
//     the upper layer first: its parents (as directories with their
//     metadata), then the file itself, built under a temporary name in
//     the work directory (data, then extended attributes, then mode and
//     times) and renamed into place, so the application never sees a
//     partial copy. The upper parent directory keeps its times. Opening
//     with O_TRUNC (or truncating to 0) skips the data.
//   - Removing a name that a lower layer has leaves a whiteout; removing a
//     merged directory needs it to be empty in the merged view
//     (ENOTEMPTY), and whiteouts inside its upper copy are cleared. A
//     directory made where a whiteout was is opaque.
//   - Rename: a directory that exists in a lower layer (lower or merged)
//     cannot be renamed: EXDEV, as Linux without redirect_dir (mv(1) then
//     copies). Files are copied up and renamed in the upper layer; the old
//     name gets a whiteout if a lower layer has it. A directory moved onto
//     a name that a lower layer has becomes opaque.
//   - Hard links: each lower name is its own overlay inode (they share
//     st_ino, as in Linux); copying up one name breaks the link, the other
//     names keep showing the lower data (Linux without index=on). link(2)
//     copies the target up first; the new name shares the upper inode.
//   - An O_RDONLY file opened before its copy-up switches to the upper
//     copy at its next operation (at the same offset), as Linux's stacked
//     file operations do since 4.19: it sees the data written after the
//     copy-up. Mappings made before the copy-up keep the lower pages.
//   - Inode numbers: Linux's xino scheme. A file's st_ino is its number in
//     the layer it came from, with the layer's index in the top
//     xinoLayerBits bits (the upper layer is 0, so upper files keep their
//     own numbers); a number too large for that gets one allocated for the
//     life of the mount. A copied-up file keeps the number it had before,
//     in stat and readdir alike. st_dev is the overlay's for every file.
//     Merged directories report st_nlink 1, as Linux does.
//   - statfs is the upper layer's, with the overlay's f_type.
//
// Not supported: O_TMPFILE (EOPNOTSUPP), RENAME_WHITEOUT (the VFS refuses
// it), copy-up of a file whose last name was removed while it stayed
// open (fchmod through such a descriptor gives ENOENT), redirect_dir,
// index and metacopy.
//
// # Caches
//
// Layers below the upper one never change (the gofer's root is served in
// exclusive mode), so a directory caches what it learnt about them: each
// name looked up (the overlay inode, or that there is none), and the
// merged listing of its lower layers, read once. Only the upper layer
// (in memory) is read on every readdir. A lookup that finds a
// non-directory in the upper layer does not touch the lower layers.
//
// # Locks
//
// Lock order: the VFS's locks; node.copyMu of a file (at most two, held
// only by rename, which the VFS serialises); dirNode.opMu of a parent
// before that of its child (rmdir), or of two directories in either order
// (rename, serialised by the VFS's renameMu held for writing; every other
// operation holds at most one opMu, or a parent's and then a child's);
// dirNode.cacheMu and node.mu, which are leaves; then the layers' own
// locks. Copy-up takes the parent's copyMu (and the grand-parents') before
// the file's, never while holding it, and holds the file's copyMu while
// it copies data: no VFS-wide lock, no directory lock.
package overlay

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// Extended attributes of the overlay's own.
const (
	opaqueXattr   = "trusted.overlay.opaque"
	privatePrefix = "trusted.overlay."
)

// Inode numbers: the layer index lives in the top xinoLayerBits bits.
const (
	xinoLayerBits = 6
	xinoShift     = 64 - xinoLayerBits
	// maxLowers keeps one layer index free (63) for allocated numbers.
	maxLowers = 1<<xinoLayerBits - 2
	// allocatedLayer is the index whose numbers the overlay allocates.
	allocatedLayer = 1<<xinoLayerBits - 1
)

// Options configure an overlay.
type Options struct {
	// Lowers are the root directories of the lower layers, top first.
	// The overlay never changes them.
	Lowers []vfs.VirtualDentry
	// Upper is the root directory of the upper layer; unset for a
	// read-only overlay (every change is EROFS).
	Upper vfs.VirtualDentry
	// Work is an empty directory of the upper layer's file system, not
	// under Upper, where copy-ups and whiteouts are prepared. Required
	// with Upper.
	Work vfs.VirtualDentry
}

// filesystem is one overlay instance.
type filesystem struct {
	vfsfs *vfs.Filesystem
	opts  Options

	tmpSeq atomic.Uint64

	// inoMu protects bigInos and nextBig. It is a leaf.
	inoMu   sync.Mutex
	bigInos map[inoKey]uint64
	nextBig uint64
}

type inoKey struct {
	layer int
	ino   uint64
}

var _ vfs.FilesystemImpl = (*filesystem)(nil)

// NewFilesystem makes an overlay of opts's layers and returns it with its
// root directory.
func NewFilesystem(v *vfs.VirtualFilesystem, opts Options) (*vfs.Filesystem, vfs.Inode, error) {
	if len(opts.Lowers) == 0 && !opts.Upper.Ok() {
		return nil, nil, fmt.Errorf("overlay: no layers")
	}
	if len(opts.Lowers) > maxLowers {
		return nil, nil, fmt.Errorf("overlay: %d lower layers (at most %d)", len(opts.Lowers), maxLowers)
	}
	if opts.Upper.Ok() != opts.Work.Ok() {
		return nil, nil, fmt.Errorf("overlay: the upper layer needs a work directory")
	}
	if opts.Upper.Ok() && opts.Upper.Mount.Filesystem() != opts.Work.Mount.Filesystem() {
		return nil, nil, fmt.Errorf("overlay: the work directory is not on the upper layer's file system")
	}
	fs := &filesystem{opts: opts}
	ctx := internalCtx{}
	root := &dirNode{}
	var rootSt linux.Statx
	rootLayer := 0
	for i, l := range opts.Lowers {
		d, ok := l.Dentry.Inode().(vfs.DirInode)
		if !ok {
			return nil, nil, fmt.Errorf("overlay: lower layer %d is not a directory", i)
		}
		if len(root.lowers) == 0 {
			st, err := d.Stat()
			if err != nil {
				return nil, nil, fmt.Errorf("overlay: stat lower layer %d: %w", i, err)
			}
			rootSt, rootLayer = st, i+1
		}
		root.lowers = append(root.lowers, layerDir{layer: i + 1, dir: d})
	}
	if opts.Upper.Ok() {
		for _, l := range []vfs.VirtualDentry{opts.Upper, opts.Work} {
			if _, ok := l.Dentry.Inode().(vfs.DirInode); !ok {
				return nil, nil, fmt.Errorf("overlay: the upper or work layer is not a directory")
			}
		}
		u := opts.Upper.Dentry.Inode()
		if isOpaque(ctx, u) {
			root.lowers = nil
			root.opaque = true
		}
		if len(root.lowers) == 0 {
			st, err := u.Stat()
			if err != nil {
				return nil, nil, fmt.Errorf("overlay: stat upper layer: %w", err)
			}
			rootSt, rootLayer = st, 0
		}
		root.upper.Store(&upperRef{u})
	}
	var rootLower vfs.Inode
	if len(root.lowers) > 0 {
		rootLower = root.lowers[0].dir
	}
	root.init(fs, linux.S_IFDIR, fs.inoFor(rootLayer, rootSt.Ino), nil, "", rootLower, rootLayer)
	root.self = root
	fs.vfsfs = v.NewFilesystem(fs)
	return fs.vfsfs, root, nil
}

// NewTmpfsUpper makes the upper layer and work directory of an overlay
// on a new tmpfs whose file data lives in mf, on a mount that no mount
// namespace shows.
func NewTmpfsUpper(v *vfs.VirtualFilesystem, mf *pgalloc.MemoryFile) (upper, work vfs.VirtualDentry, err error) {
	fs, root := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0755, Name: "tmpfs"})
	mnt := v.NewMountNamespace(fs, root, "overlay-upper", vfs.MountFlags{}).Root()
	ctx := internalCtx{}
	var out [2]vfs.VirtualDentry
	for i, name := range []string{"upper", "work"} {
		if err := v.MkdirAt(ctx, &vfs.PathOperation{Root: mnt, Start: mnt, Path: name}, 0755); err != nil {
			return upper, work, fmt.Errorf("overlay: mkdir %s: %w", name, err)
		}
		vd, err := v.GetDentryAt(ctx, &vfs.PathOperation{Root: mnt, Start: mnt, Path: name})
		if err != nil {
			return upper, work, fmt.Errorf("overlay: %s: %w", name, err)
		}
		out[i] = vd
	}
	return out[0], out[1], nil
}

// Name implements vfs.FilesystemImpl.
func (fs *filesystem) Name() string { return "overlay" }

// StatFS implements vfs.FilesystemImpl: the upper layer's numbers (the
// top lower layer's for a read-only overlay) with the overlay's type.
func (fs *filesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	l := fs.opts.Upper
	if !l.Ok() {
		l = fs.opts.Lowers[0]
	}
	sfs, err := l.Mount.Filesystem().Impl().StatFS(ctx)
	if err != nil {
		return sfs, err
	}
	sfs.Type = linux.OVERLAYFS_SUPER_MAGIC
	return sfs, nil
}

// Release implements vfs.FilesystemImpl. The layers belong to the
// caller.
func (fs *filesystem) Release() {}

// inoFor returns the overlay's number for inode ino of layer (0 is the
// upper layer, i the i-th lower one).
func (fs *filesystem) inoFor(layer int, ino uint64) uint64 {
	if ino>>xinoShift == 0 {
		return ino | uint64(layer)<<xinoShift
	}
	fs.inoMu.Lock()
	defer fs.inoMu.Unlock()
	k := inoKey{layer, ino}
	if n, ok := fs.bigInos[k]; ok {
		return n
	}
	if fs.bigInos == nil {
		fs.bigInos = make(map[inoKey]uint64)
	}
	fs.nextBig++
	n := fs.nextBig | allocatedLayer<<xinoShift
	fs.bigInos[k] = n
	return n
}

// writable reports whether the overlay has an upper layer (EROFS if not).
func (fs *filesystem) writable() error {
	if !fs.opts.Upper.Ok() {
		return linux.EROFS
	}
	return nil
}

// workDir returns the work directory.
func (fs *filesystem) workDir() vfs.DirInode {
	return fs.opts.Work.Dentry.Inode().(vfs.DirInode)
}

// tempName returns a fresh name for the work directory.
func (fs *filesystem) tempName() string {
	return fmt.Sprintf("#%d", fs.tmpSeq.Add(1))
}

// layerVD returns a location for opening in, a file of layer (0 is the
// upper layer): a dead dentry under the layer's root.
func (fs *filesystem) layerVD(layer int, in vfs.Inode) vfs.VirtualDentry {
	l := fs.opts.Upper
	if layer > 0 {
		l = fs.opts.Lowers[layer-1]
	}
	return vfs.VirtualDentry{Mount: l.Mount, Dentry: vfs.NewDeadDentry(l.Dentry, "overlay", in)}
}

// layerCtx is the context of the overlay's own operations on its layers
// (copy-up, whiteouts): the caller's, for blocking, with the credentials
// of the mounter (root), as Linux's ovl_override_creds.
type layerCtx struct {
	vfs.Context
}

// Credentials implements vfs.Context.
func (layerCtx) Credentials() *auth.Credentials { return auth.Root() }

// internalCtx is the context of operations that have no caller (mount
// time, and files whose Blocker is not a task): root, never blocked.
type internalCtx struct{}

func (internalCtx) Credentials() *auth.Credentials { return auth.Root() }

func (internalCtx) BlockFD(int, int16) error { return linux.EINTR }

func (internalCtx) Block(<-chan struct{}, time.Time) error { return linux.EINTR }

// isWhiteout reports whether in is a whiteout (a character device 0/0).
func isWhiteout(in vfs.Inode) bool {
	st, err := in.Stat()
	return err == nil && isWhiteoutStat(&st)
}

func isWhiteoutStat(st *linux.Statx) bool {
	return uint32(st.Mode)&linux.S_IFMT == linux.S_IFCHR && st.RdevMajor == 0 && st.RdevMinor == 0
}

// isOpaque reports whether the layer directory in is opaque.
func isOpaque(ctx vfs.Context, in vfs.Inode) bool {
	xi, ok := in.(vfs.XattrInode)
	if !ok {
		return false
	}
	v, err := xi.GetXattr(ctx, opaqueXattr, 0)
	return err == nil && string(v) == "y"
}

// makeWhiteout creates a whiteout called name in the layer directory dir.
func makeWhiteout(ctx vfs.Context, dir vfs.DirInode, name string) (vfs.Inode, error) {
	return dir.Create(ctx, name, vfs.CreateOptions{Mode: linux.S_IFCHR})
}
