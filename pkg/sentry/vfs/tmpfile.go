package vfs

import "bulwark.dev/bulwark/pkg/abi/linux"

// TmpfileDirInode is implemented by directories of file systems that can
// make unnamed regular files (open(2)'s O_TMPFILE); OpenTmpfile gives
// EOPNOTSUPP for the others.
type TmpfileDirInode interface {
	DirInode
	// OpenTmpfile makes a regular file of the directory's file system
	// with the attributes of opts (the VFS chose the owner and mode) and
	// no link, and opens it with flags (open(2)'s, O_TMPFILE's bits
	// removed). Its location is a dead dentry under dir (see
	// NewDeadDentry). Unless flags has O_EXCL, the inode is a
	// LinkableInode until its first link.
	OpenTmpfile(ctx Context, dir VirtualDentry, opts CreateOptions, flags uint32) (FileDescription, error)
}

// LinkableInode is implemented by inodes that may be given a link while
// they have none: a file made by O_TMPFILE without O_EXCL, which
// linkat(2) may name once (Linux's I_LINKABLE). The file system's Link
// decides atomically; the VFS asks only to pick ENOENT early for the
// others.
type LinkableInode interface {
	Inode
	// Linkable reports whether the inode may get a link now.
	Linkable() bool
}

// OpenTmpfile implements open(2) with O_TMPFILE: an unnamed regular file
// in the file system of the directory pop names, as Linux's do_tmpfile
// (EROFS, then search and write permission on the directory, then
// EOPNOTSUPP where the file system cannot). flags are open(2)'s; mode
// has the umask applied.
func (v *VirtualFilesystem) OpenTmpfile(ctx Context, pop *PathOperation, flags, mode uint32) (FileDescription, error) {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	p := *pop
	p.FollowFinal = flags&linux.O_NOFOLLOW == 0
	dir, err := v.resolveLocked(ctx, &p)
	if err != nil {
		return nil, err
	}
	st, err := dir.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	if !IsDir(st.Mode) {
		return nil, linux.ENOTDIR
	}
	if dir.Mount.ReadOnly() {
		return nil, linux.EROFS
	}
	creds := ctx.Credentials()
	if err := MayAccess(creds, &st, MayWrite|MayExec); err != nil {
		return nil, err
	}
	tdir, ok := dir.Dentry.inode.(TmpfileDirInode)
	if !ok {
		return nil, linux.EOPNOTSUPP
	}
	uid, gid, mode := newFileOwner(creds, &st, linux.S_IFREG|(mode&07777))
	return tdir.OpenTmpfile(ctx, dir, CreateOptions{Mode: mode, UID: uid, GID: gid}, flags&^linux.O_TMPFILE)
}

// linkable reports whether inode, which has no link, may get one.
func linkable(inode Inode) bool {
	l, ok := inode.(LinkableInode)
	return ok && l.Linkable()
}
