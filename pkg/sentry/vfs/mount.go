package vfs

import (
	"strings"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// VirtualFilesystem owns every mount and dentry of the sandbox.
type VirtualFilesystem struct {
	// renameMu is held for reading by every path walk and for writing
	// by rename, so a walk never sees a dentry between two parents.
	renameMu sync.RWMutex

	// mountMu protects mounts and every Mount's children.
	mountMu sync.RWMutex
	// mounts maps a mount point to the mount on top of it.
	mounts map[mountPoint]*Mount

	nextMountID atomic.Uint64
	nextDev     atomic.Uint32
}

// mountPoint is a dentry as seen through one mount.
type mountPoint struct {
	parent *Mount
	point  *Dentry
}

// New returns an empty VirtualFilesystem.
func New() *VirtualFilesystem {
	return &VirtualFilesystem{mounts: make(map[mountPoint]*Mount)}
}

// Filesystem is one instance of a file system type (a superblock).
type Filesystem struct {
	vfs  *VirtualFilesystem
	impl FilesystemImpl
	dev  uint64
	refs atomic.Int64
}

// NewFilesystem registers impl and gives it an anonymous device number
// (major 0, like Linux's get_anon_bdev).
func (v *VirtualFilesystem) NewFilesystem(impl FilesystemImpl) *Filesystem {
	return &Filesystem{vfs: v, impl: impl, dev: linux.MakeDev(0, v.nextDev.Add(1)+16)}
}

// Impl returns the file system implementation.
func (fs *Filesystem) Impl() FilesystemImpl { return fs.impl }

// Dev is the file system's st_dev.
func (fs *Filesystem) Dev() uint64 { return fs.dev }

// MountFlags are the per-mount options.
type MountFlags struct {
	ReadOnly, NoExec, NoSuid, NoDev, NoATime bool
}

// Mount is a file system attached at a point of a mount namespace.
type Mount struct {
	vfs *VirtualFilesystem
	ID  uint64
	fs  *Filesystem
	// root is the dentry of fs the mount shows (a bind mount may show a
	// subtree).
	root *Dentry
	// parent and point say where the mount is attached; nil for a
	// namespace's root mount. Protected by vfs.mountMu.
	parent *Mount
	point  *Dentry
	// children are the mounts attached inside this one, in mount order.
	// Protected by vfs.mountMu.
	children []*Mount
	// Source is the first field of /proc/mounts ("tmpfs", "none").
	Source string
	flags  atomic.Pointer[MountFlags]
}

// Filesystem returns the mount's file system.
func (m *Mount) Filesystem() *Filesystem { return m.fs }

// Root is the mount's root dentry.
func (m *Mount) Root() *Dentry { return m.root }

// Flags returns the mount options.
func (m *Mount) Flags() MountFlags { return *m.flags.Load() }

// SetFlags changes the mount options (remount).
func (m *Mount) SetFlags(f MountFlags) { m.flags.Store(&f) }

// ReadOnly reports whether writes through the mount fail with EROFS.
func (m *Mount) ReadOnly() bool { return m.flags.Load().ReadOnly }

// MountNamespace is a tree of mounts with one root.
type MountNamespace struct {
	root *Mount
}

// NewMountNamespace makes a namespace whose root mount shows fs's root
// dentry.
func (v *VirtualFilesystem) NewMountNamespace(fs *Filesystem, root Inode, source string, flags MountFlags) *MountNamespace {
	m := v.newMount(fs, v.NewRootDentry(fs, root), source, flags)
	return &MountNamespace{root: m}
}

func (v *VirtualFilesystem) newMount(fs *Filesystem, root *Dentry, source string, flags MountFlags) *Mount {
	m := &Mount{vfs: v, ID: v.nextMountID.Add(1), fs: fs, root: root, Source: source}
	m.flags.Store(&flags)
	fs.refs.Add(1)
	return m
}

// Root returns the namespace's root: where "/" of its first process
// starts.
func (ns *MountNamespace) Root() VirtualDentry {
	return VirtualDentry{Mount: ns.root, Dentry: ns.root.root}
}

// NewRootDentry makes the root dentry of a file system.
func (v *VirtualFilesystem) NewRootDentry(fs *Filesystem, root Inode) *Dentry {
	return &Dentry{fs: fs, inode: root}
}

// Mount attaches a new mount of fs (showing root, a dentry of fs) at vd.
// As in Linux, a directory is mounted on a directory and anything else
// (a bind mount of one file) on a non-directory; otherwise ENOTDIR. It is
// how the sandbox builds its initial mount tree (/dev, /proc, /tmp, an
// OCI spec's mounts).
func (v *VirtualFilesystem) Mount(vd VirtualDentry, fs *Filesystem, root *Dentry, source string, flags MountFlags) (*Mount, error) {
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	rst, err := root.inode.Stat()
	if err != nil {
		return nil, err
	}
	if IsDir(st.Mode) != IsDir(rst.Mode) {
		return nil, linux.ENOTDIR
	}
	if vd.Dentry.IsDead() {
		return nil, linux.ENOENT
	}
	m := v.newMount(fs, root, source, flags)
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	key := mountPoint{vd.Mount, vd.Dentry}
	// Mounting on a mount point stacks on its top mount.
	for top, ok := v.mounts[key]; ok; top, ok = v.mounts[key] {
		key = mountPoint{top, top.root}
	}
	m.parent, m.point = key.parent, key.point
	key.parent.children = append(key.parent.children, m)
	key.point.mounts.Add(1)
	v.mounts[key] = m
	return m, nil
}

// followMounts returns the top of the mount stack at vd (vd itself if
// nothing is mounted there).
func (v *VirtualFilesystem) followMounts(vd VirtualDentry) VirtualDentry {
	if vd.Dentry.mounts.Load() == 0 {
		return vd
	}
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	for {
		m, ok := v.mounts[mountPoint{vd.Mount, vd.Dentry}]
		if !ok {
			return vd
		}
		vd = VirtualDentry{Mount: m, Dentry: m.root}
	}
}

// MountInfo describes one mount for /proc/mounts.
type MountInfo struct {
	Source, Path, Type string
	Flags              MountFlags
}

// Mounts lists the mounts of ns visible from root in mount order, as
// /proc/mounts shows them.
func (v *VirtualFilesystem) Mounts(ns *MountNamespace, root VirtualDentry) []MountInfo {
	v.mountMu.RLock()
	var all []*Mount
	var walk func(m *Mount)
	walk = func(m *Mount) {
		all = append(all, m)
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(ns.root)
	v.mountMu.RUnlock()
	var out []MountInfo
	for _, m := range all {
		p, reachable := v.PathName(root, VirtualDentry{Mount: m, Dentry: m.root})
		if !reachable {
			continue
		}
		out = append(out, MountInfo{Source: m.Source, Path: p, Type: m.fs.impl.Name(), Flags: m.Flags()})
	}
	return out
}

// FormatMountOptions renders flags as /proc/mounts does ("rw,nosuid").
func FormatMountOptions(f MountFlags) string {
	opts := []string{"rw"}
	if f.ReadOnly {
		opts[0] = "ro"
	}
	if f.NoSuid {
		opts = append(opts, "nosuid")
	}
	if f.NoDev {
		opts = append(opts, "nodev")
	}
	if f.NoExec {
		opts = append(opts, "noexec")
	}
	if f.NoATime {
		opts = append(opts, "noatime")
	}
	return strings.Join(opts, ",")
}
