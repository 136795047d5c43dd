package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// copyInPath reads a path argument: EFAULT for a bad pointer,
// ENAMETOOLONG when it does not end within PATH_MAX bytes.
func copyInPath(t *kernel.Task, addr uint64) (string, error) {
	return usermem.CopyInString(t, addr, linux.PATH_MAX-1)
}

// fileAt returns the file at dirfd with a reference the caller drops.
// It must have been opened through the VFS (ENOTDIR otherwise, as Linux
// answers a path walk starting at a pipe).
func fileAt(t *kernel.Task, dirfd int32) (vfs.PathFile, error) {
	f, _, err := t.FDTable().Get(dirfd)
	if err != nil {
		return nil, err
	}
	pf, ok := f.(vfs.PathFile)
	if !ok {
		f.DecRef()
		return nil, linux.ENOTDIR
	}
	return pf, nil
}

// pathOp builds the PathOperation of an *at system call: path relative
// to dirfd (AT_FDCWD: the working directory), following a final symlink
// if follow. dirfd is not looked at for an absolute path, as in Linux;
// an empty path is ENOENT.
func pathOp(t *kernel.Task, dirfd int32, path string, follow bool) (*vfs.PathOperation, error) {
	if path == "" {
		// getname refuses an empty name before dirfd is looked at;
		// AT_EMPTY_PATH callers handle "" before coming here.
		return nil, linux.ENOENT
	}
	fc := t.FSContext()
	pop := &vfs.PathOperation{Root: fc.Root(), Path: path, FollowFinal: follow}
	switch {
	case len(path) > 0 && path[0] == '/':
		pop.Start = pop.Root
	case dirfd == linux.AT_FDCWD:
		pop.Start = fc.Cwd()
	default:
		f, err := fileAt(t, dirfd)
		if err != nil {
			return nil, err
		}
		pop.Start = f.VirtualDentry()
		f.DecRef()
		st, err := pop.Start.Dentry.Inode().Stat()
		if err != nil {
			return nil, err
		}
		if !vfs.IsDir(st.Mode) {
			return nil, linux.ENOTDIR
		}
	}
	return pop, nil
}

// copyInPathOp reads the path at addr and builds its PathOperation.
func copyInPathOp(t *kernel.Task, dirfd int32, addr uint64, follow bool) (*vfs.PathOperation, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return nil, err
	}
	return pathOp(t, dirfd, path, follow)
}

// resolveAt finds the file an *at call names, honouring AT_EMPTY_PATH
// (the file at dirfd itself when the path is empty) and
// AT_SYMLINK_NOFOLLOW (or AT_SYMLINK_FOLLOW for linkat, through follow).
func resolveAt(t *kernel.Task, dirfd int32, addr uint64, emptyPath, follow bool) (vfs.VirtualDentry, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	if path == "" && emptyPath {
		if dirfd == linux.AT_FDCWD {
			return t.FSContext().Cwd(), nil
		}
		f, err := fileAt(t, dirfd)
		if err != nil {
			if err == linux.ENOTDIR {
				// A file outside the VFS (pipe, eventfd) has no location.
				return vfs.VirtualDentry{}, linux.EBADF
			}
			return vfs.VirtualDentry{}, err
		}
		defer f.DecRef()
		return f.VirtualDentry(), nil
	}
	pop, err := pathOp(t, dirfd, path, follow)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	return t.VFS().GetDentryAt(t, pop)
}
