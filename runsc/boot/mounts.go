package boot

import (
	"errors"
	"fmt"
	"path"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/dev"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/gofer"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/proc"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/runsc/config"
)

// Mount is one of an OCI spec's mounts (runsc/sandbox.Mount, as the
// sandbox received it).
type Mount struct {
	// Destination is the absolute path in the container.
	Destination string
	// Type is "bind", "tmpfs", "proc", "sysfs" or "devpts".
	Type string
	// Source is what /proc/mounts shows.
	Source string
	// The mount's flags.
	ReadOnly, NoSuid, NoDev, NoExec bool
	// GoferIndex, for a bind mount, indexes Args.GoferMountFDs; File
	// says the source is a regular file.
	GoferIndex int
	File       bool
	// Tmpfs: Size in bytes (0: unlimited), Mode of the root (0: 01777),
	// UID and GID of its owner, Inodes (0: the default).
	Size      uint64
	Mode, UID uint32
	GID       uint32
	Inodes    uint64
}

// mountSpecMounts makes an OCI spec's mounts in k's mount namespace, in
// order, after the root and the sandbox's own mounts:
//   - bind: the tree the gofer serves on mountFDs[GoferIndex] (a
//     directory, or a single file mounted on a file), with the host's
//     changes seen at once (gofer.Shared). Never overlaid, unless
//     --overlay2=all:... asks for it (directories only): then writes stay
//     in the sandbox.
//   - tmpfs: a new tmpfs with the size, mode and owner asked for; a
//     tmpfs on /dev is the sandbox's own /dev, which stands for it (as
//     in gVisor, the application gets null, zero, urandom...).
//   - proc: the sandbox's /proc.
//   - sysfs: an empty read-only directory (no sysfs is implemented).
//   - devpts: on /dev/pts the sandbox's /dev/pts stands for it;
//     elsewhere an empty directory.
//
// It takes ownership of mountFDs, and returns the bind mounts' gofer
// file systems (also on error: the caller releases them).
func mountSpecMounts(k *kernel.Kernel, mf, upperMF *pgalloc.MemoryFile, o config.Overlay2, mounts []Mount, mountFDs []int) ([]*gofer.Filesystem, error) {
	v, ns := k.VFS, k.MountNS
	used := make([]bool, len(mountFDs))
	defer func() {
		for i, fd := range mountFDs {
			if !used[i] {
				closeHostFDs([]int{fd})
			}
		}
	}()
	var gofers []*gofer.Filesystem
	for _, m := range mounts {
		dest := path.Clean(m.Destination)
		flags := vfs.MountFlags{ReadOnly: m.ReadOnly, NoSuid: m.NoSuid, NoDev: m.NoDev, NoExec: m.NoExec}
		spec := mountSpec{path: dest, src: m.Source, flags: flags}
		if spec.src == "" {
			spec.src = "none"
		}
		switch m.Type {
		case "bind":
			i := m.GoferIndex
			if i < 0 || i >= len(mountFDs) || used[i] {
				return gofers, fmt.Errorf("mount %s: no connection to the gofer for it", dest)
			}
			used[i] = true
			client, rootInode, err := lisafs.Connect(mountFDs[i], goferChannels)
			if err != nil {
				return gofers, fmt.Errorf("mount %s: connect to the gofer: %w", dest, err)
			}
			overlaid := o.Scope == "all" && !m.File
			gfs, groot := gofer.NewFilesystem(v, client, rootInode, gofer.Options{
				FileAccess: gofer.Shared,
				ReadOnly:   m.ReadOnly || overlaid,
				OpenDevice: dev.OpenDevice,
				MemoryFile: mf,
			})
			gofers = append(gofers, gfs.Impl().(*gofer.Filesystem))
			spec.fs, spec.root = gfs, groot
			if overlaid {
				lower := v.NewMountNamespace(gfs, groot, m.Source, vfs.MountFlags{ReadOnly: true}).Root()
				ofs, oroot, err := newOverlay(v, lower, upperMF)
				if err != nil {
					return gofers, fmt.Errorf("mount %s: %w", dest, err)
				}
				spec.fs, spec.root = ofs, oroot
			}
		case "tmpfs":
			if dest == "/dev" {
				continue
			}
			mode := m.Mode
			if mode == 0 {
				mode = 0o1777
			}
			spec.fs, spec.root = tmpfs.NewFilesystem(v, mf, tmpfs.Options{
				RootMode:   mode,
				RootUID:    auth.UID(m.UID),
				RootGID:    auth.GID(m.GID),
				MaxSize:    m.Size,
				MaxInodes:  m.Inodes,
				OpenDevice: dev.OpenDevice,
			})
		case "proc":
			spec.fs, spec.root = proc.NewFilesystem(v, k)
		case "sysfs":
			spec.fs, spec.root = tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o555, Name: "sysfs", MaxSize: 1})
			spec.flags.ReadOnly = true
		case "devpts":
			if dest == "/dev/pts" {
				continue
			}
			spec.fs, spec.root = tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755, Name: "devpts", MaxSize: 1})
		default:
			// runsc/container passes only the types above.
			return gofers, fmt.Errorf("mount %s: unknown type %q", dest, m.Type)
		}
		if err := mountAt(v, ns, spec, m.File); err != nil {
			return gofers, err
		}
	}
	return gofers, nil
}

// maskPaths applies an OCI spec's linux.readonlyPaths and then its
// linux.maskedPaths, as runc does after the mounts: a masked directory
// gets an empty read-only tmpfs over it, any other masked file the
// sandbox's /dev/null (reads give nothing, writes are dropped); a
// read-only path is mounted on itself read-only (a mount's root: that
// mount is made read-only). Mounts below a read-only path that is not a
// mount's root are not carried over (runc's recursive bind would; the
// sandbox mounts nothing below the paths engines name). A path that does
// not exist in the container is skipped, as in runc; symlinks are
// followed inside the container's root.
func maskPaths(k *kernel.Kernel, mf *pgalloc.MemoryFile, masked, readonly []string) error {
	v, ns := k.VFS, k.MountNS
	root := ns.Root()
	lookup := func(p string) (vfs.VirtualDentry, bool, error) {
		vd, err := v.GetDentryAt(bootContext{}, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true})
		if errors.Is(err, linux.ENOENT) || errors.Is(err, linux.ENOTDIR) {
			return vd, false, nil
		}
		if err != nil {
			return vd, false, fmt.Errorf("%s: %w", p, err)
		}
		return vd, true, nil
	}
	for _, p := range readonly {
		vd, ok, err := lookup(p)
		if err != nil {
			return fmt.Errorf("read-only path %w", err)
		}
		if !ok {
			continue
		}
		flags := vd.Mount.Flags()
		flags.ReadOnly = true
		if vd.Dentry == vd.Mount.Root() {
			// The path is a mount's root: that mount becomes read-only.
			vd.Mount.SetFlags(flags)
			continue
		}
		if _, err := v.Mount(vd, vd.Dentry.Filesystem(), vd.Dentry, vd.Mount.Source, flags); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
	}
	var null vfs.VirtualDentry
	for _, p := range masked {
		vd, ok, err := lookup(p)
		if err != nil {
			return fmt.Errorf("masked path %w", err)
		}
		if !ok {
			continue
		}
		st, err := vd.Dentry.Inode().Stat()
		if err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
		// The cover: what is mounted over p, and how.
		var (
			fs    *vfs.Filesystem
			cover *vfs.Dentry
			src   string
			flags vfs.MountFlags
		)
		if vfs.IsDir(st.Mode) {
			tfs, troot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755, MaxSize: 1})
			fs, cover, src = tfs, v.NewRootDentry(tfs, troot), "tmpfs"
			flags = vfs.MountFlags{ReadOnly: true, NoSuid: true, NoDev: true, NoExec: true}
		} else {
			if !null.Ok() {
				if null, ok, err = lookup("/dev/null"); err != nil || !ok {
					return fmt.Errorf("masked path %s: no /dev/null to mask it with (%v)", p, err)
				}
			}
			fs, cover, src, flags = null.Dentry.Filesystem(), null.Dentry, null.Mount.Source, null.Mount.Flags()
		}
		if _, err := v.Mount(vd, fs, cover, src, flags); err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
	}
	return nil
}
