package boot

import (
	"errors"
	"fmt"
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
// namespace: the container's root, /dev, /dev/shm, /proc and /tmp. The
// root is the gofer's file system under an overlay whose upper layer is a
// tmpfs with its data in upperMF (o enabled; the gofer's file system is
// then read-only) or the gofer's file system alone, writable (--overlay2=
// none). A missing mount point is created, as runc does in a container's
// root; then the root is made read-only if rootReadOnly (an OCI spec's
// root.readonly). It returns the gofer file system, whose Done channel
// closes if the gofer dies.
func setupFilesystems(k *kernel.Kernel, mf *pgalloc.MemoryFile, goferFD int, o config.Overlay2, upperMF *pgalloc.MemoryFile, rootReadOnly bool) (*gofer.Filesystem, error) {
	client, rootInode, err := lisafs.Connect(goferFD, goferChannels)
	if err != nil {
		return nil, fmt.Errorf("connect to the gofer: %w", err)
	}
	v := vfs.New()
	gfs, groot := gofer.NewFilesystem(v, client, rootInode, gofer.Options{
		FileAccess: gofer.Exclusive,
		ReadOnly:   o.Enabled(),
		OpenDevice: dev.OpenDevice,
		MemoryFile: mf,
	})
	var ns *vfs.MountNamespace
	if !o.Enabled() {
		// --overlay2=none: writes reach the host.
		ns = v.NewMountNamespace(gfs, groot, "none", vfs.MountFlags{})
	} else {
		if o.Medium != config.OverlayMemory && upperMF == mf {
			log.Infof("boot: --overlay2=%s: no filestore was given to the sandbox; the root overlay's upper layer is in memory", o)
		}
		lower := v.NewMountNamespace(gfs, groot, "none", vfs.MountFlags{ReadOnly: true}).Root()
		upper, work, err := overlay.NewTmpfsUpper(v, upperMF)
		if err != nil {
			return nil, err
		}
		ofs, oroot, err := overlay.NewFilesystem(v, overlay.Options{Lowers: []vfs.VirtualDentry{lower}, Upper: upper, Work: work})
		if err != nil {
			return nil, err
		}
		ns = v.NewMountNamespace(ofs, oroot, "overlay", vfs.MountFlags{})
	}
	k.VFS, k.MountNS = v, ns

	devfs, devRoot := dev.NewFilesystem(v)
	shmfs, shmRoot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 01777, OpenDevice: dev.OpenDevice})
	procfs, procRoot := proc.NewFilesystem(v, k)
	tmpFS, tmpRoot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 01777, OpenDevice: dev.OpenDevice})
	for _, m := range []mountSpec{
		{"/dev", devfs, devRoot, "none", vfs.MountFlags{NoSuid: true}},
		{"/dev/shm", shmfs, shmRoot, "shm", vfs.MountFlags{NoSuid: true, NoDev: true}},
		{"/proc", procfs, procRoot, "proc", vfs.MountFlags{NoSuid: true, NoDev: true, NoExec: true}},
		{"/tmp", tmpFS, tmpRoot, "tmpfs", vfs.MountFlags{NoSuid: true, NoDev: true}},
	} {
		root := ns.Root()
		pop := &vfs.PathOperation{Root: root, Start: root, Path: m.path, FollowFinal: true}
		vd, err := v.GetDentryAt(bootContext{}, pop)
		if errors.Is(err, linux.ENOENT) {
			if err = v.MkdirAt(bootContext{}, pop, 0o755); err == nil {
				vd, err = v.GetDentryAt(bootContext{}, pop)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("mount %s: %w", m.path, err)
		}
		if _, err := v.Mount(vd, m.fs, v.NewRootDentry(m.fs, m.root), m.src, m.flags); err != nil {
			return nil, fmt.Errorf("mount %s: %w", m.path, err)
		}
	}
	if rootReadOnly {
		rm := ns.Root().Mount
		f := rm.Flags()
		f.ReadOnly = true
		rm.SetFlags(f)
	}
	return gfs.Impl().(*gofer.Filesystem), nil
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
