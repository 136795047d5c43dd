package boot

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/dev"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/gofer"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/overlay"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/proc"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/runsc/config"
	"golang.org/x/sys/unix"
)

// goferChannels is how many concurrent requests the sentry may have in
// flight to the gofer.
const goferChannels = 16

// bootContext is the vfs.Context of the sentry itself while it builds the
// mount tree: root, and never blocked.
type bootContext struct{}

func (bootContext) Credentials() *auth.Credentials { return auth.Root() }

func (bootContext) BlockFD(int, int16) error { return linux.EINTR }

func (bootContext) Block(<-chan struct{}, time.Time) error { return linux.EINTR }

// mountSpec is one mount of the sandbox's initial tree.
type mountSpec struct {
	path  string
	fs    *vfs.Filesystem
	root  vfs.Inode
	src   string
	flags vfs.MountFlags
}

// setupFilesystems connects to the gofer on goferFD and builds k's mount
// namespace: the container's root, then /dev, /dev/shm, /proc and /tmp,
// then an OCI spec's mounts (mounts.go). The root is the gofer's file
// system under an overlay whose upper layer is a tmpfs with its data in
// upperMF (o enabled; the gofer's file system is then read-only) or the
// gofer's file system alone, writable (--overlay2=none). A missing mount
// point is created, as runc does in a container's root; then the spec's
// masked and read-only paths are applied (maskPaths), and the root is
// made read-only if args.RootReadOnly (an OCI spec's root.readonly). It returns
// the gofer file systems (the root's first), whose Done channels close if
// the gofer dies; the caller releases them.
func setupFilesystems(k *kernel.Kernel, mf, upperMF *pgalloc.MemoryFile, args *Args) ([]*gofer.Filesystem, error) {
	goferFD, o, mounts, mountFDs := args.GoferFD, args.Overlay, args.Mounts, args.GoferMountFDs
	client, rootInode, err := lisafs.Connect(goferFD, goferChannels)
	if err != nil {
		closeHostFDs(mountFDs)
		return nil, fmt.Errorf("connect to the gofer: %w", err)
	}
	v := vfs.New()
	gfs, groot := gofer.NewFilesystem(v, client, rootInode, gofer.Options{
		FileAccess: gofer.Exclusive,
		ReadOnly:   o.Enabled(),
		OpenDevice: dev.OpenDevice,
		MemoryFile: mf,
	})
	gofers := []*gofer.Filesystem{gfs.Impl().(*gofer.Filesystem)}
	var ns *vfs.MountNamespace
	if !o.Enabled() {
		// --overlay2=none: writes reach the host.
		ns = v.NewMountNamespace(gfs, groot, "none", vfs.MountFlags{})
	} else {
		if o.Medium != config.OverlayMemory && upperMF == mf {
			log.Infof("boot: --overlay2=%s: no filestore was given to the sandbox; the root overlay's upper layer is in memory", o)
		}
		lower := v.NewMountNamespace(gfs, groot, "none", vfs.MountFlags{ReadOnly: true}).Root()
		ofs, oroot, err := newOverlay(v, lower, upperMF)
		if err != nil {
			closeHostFDs(mountFDs)
			return gofers, err
		}
		ns = v.NewMountNamespace(ofs, oroot, "overlay", vfs.MountFlags{})
	}
	k.VFS, k.MountNS = v, ns

	devfs, devRoot := dev.NewFilesystem(v)
	defaults := []mountSpec{
		{"/dev", devfs, devRoot, "none", vfs.MountFlags{NoSuid: true}},
	}
	// The spec's own mounts on these paths replace the defaults.
	specDest := map[string]bool{}
	for _, m := range mounts {
		specDest[path.Clean(m.Destination)] = true
	}
	if !specDest["/dev/shm"] {
		shmfs, shmRoot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 01777, OpenDevice: dev.OpenDevice})
		defaults = append(defaults, mountSpec{"/dev/shm", shmfs, shmRoot, "shm", vfs.MountFlags{NoSuid: true, NoDev: true}})
	}
	if !specDest["/proc"] {
		procfs, procRoot := proc.NewFilesystem(v, k)
		defaults = append(defaults, mountSpec{"/proc", procfs, procRoot, "proc", vfs.MountFlags{NoSuid: true, NoDev: true, NoExec: true}})
	}
	if !specDest["/tmp"] {
		tmpFS, tmpRoot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 01777, OpenDevice: dev.OpenDevice})
		defaults = append(defaults, mountSpec{"/tmp", tmpFS, tmpRoot, "tmpfs", vfs.MountFlags{NoSuid: true, NoDev: true}})
	}
	for _, m := range defaults {
		if err := mountAt(v, ns, m, false); err != nil {
			closeHostFDs(mountFDs)
			return gofers, err
		}
	}
	binds, err := mountSpecMounts(k, mf, upperMF, o, mounts, mountFDs)
	gofers = append(gofers, binds...)
	if err != nil {
		return gofers, err
	}
	if err := maskPaths(k, mf, args.MaskedPaths, args.ReadonlyPaths); err != nil {
		return gofers, err
	}
	if args.RootReadOnly {
		rm := ns.Root().Mount
		f := rm.Flags()
		f.ReadOnly = true
		rm.SetFlags(f)
	}
	return gofers, nil
}

// newOverlay makes an overlay of lower with an upper layer on a new tmpfs
// whose data lives in upperMF.
func newOverlay(v *vfs.VirtualFilesystem, lower vfs.VirtualDentry, upperMF *pgalloc.MemoryFile) (*vfs.Filesystem, vfs.Inode, error) {
	upper, work, err := overlay.NewTmpfsUpper(v, upperMF)
	if err != nil {
		return nil, nil, err
	}
	return overlay.NewFilesystem(v, overlay.Options{Lowers: []vfs.VirtualDentry{lower}, Upper: upper, Work: work})
}

// mountAt mounts m in ns, creating its mount point (and the directories
// above it) if it is missing: an empty regular file if file, else a
// directory.
func mountAt(v *vfs.VirtualFilesystem, ns *vfs.MountNamespace, m mountSpec, file bool) error {
	vd, err := mountPoint(v, ns, m.path, file)
	if err != nil {
		return fmt.Errorf("mount %s: mount point: %w", m.path, err)
	}
	if _, err := v.Mount(vd, m.fs, v.NewRootDentry(m.fs, m.root), m.src, m.flags); err != nil {
		return fmt.Errorf("mount %s: %w", m.path, err)
	}
	return nil
}

// mountPoint resolves p in ns (following symlinks, inside the container's
// root), creating what is missing.
func mountPoint(v *vfs.VirtualFilesystem, ns *vfs.MountNamespace, p string, file bool) (vfs.VirtualDentry, error) {
	root := ns.Root()
	pop := func(p string) *vfs.PathOperation {
		return &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}
	}
	vd, err := v.GetDentryAt(bootContext{}, pop(p))
	if !errors.Is(err, linux.ENOENT) {
		return vd, err
	}
	// Create the missing directories from the top.
	parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	for i := range parts {
		cur := "/" + strings.Join(parts[:i+1], "/")
		last := i == len(parts)-1
		_, err := v.GetDentryAt(bootContext{}, pop(cur))
		if err == nil || !errors.Is(err, linux.ENOENT) {
			if err != nil {
				return vfs.VirtualDentry{}, err
			}
			continue
		}
		if last && file {
			err = v.MknodAt(bootContext{}, pop(cur), linux.S_IFREG|0o644, 0)
		} else {
			err = v.MkdirAt(bootContext{}, pop(cur), 0o755)
		}
		if err != nil && !errors.Is(err, linux.EEXIST) {
			return vfs.VirtualDentry{}, err
		}
	}
	return v.GetDentryAt(bootContext{}, pop(p))
}

// closeFDs closes host FDs that will not be used.
func closeHostFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// workingDirectory resolves cwd in the new namespace, falling back to "/"
// when the container has no such directory (a host directory under /tmp,
// which the sandbox covers with its own tmpfs).
func workingDirectory(k *kernel.Kernel, cwd string) vfs.VirtualDentry {
	root := k.MountNS.Root()
	if cwd == "" || cwd[0] != '/' {
		return root
	}
	vd, err := k.VFS.GetDentryAt(bootContext{}, &vfs.PathOperation{Root: root, Start: root, Path: cwd, FollowFinal: true})
	if err != nil {
		return root
	}
	st, err := vd.Dentry.Inode().Stat()
	if err != nil || !vfs.IsDir(st.Mode) {
		return root
	}
	return vd
}
