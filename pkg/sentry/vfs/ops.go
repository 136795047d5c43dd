package vfs

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// OpenOptions are open(2)'s flags and the mode of a created file (umask
// already applied).
type OpenOptions struct {
	Flags uint32
	Mode  uint32
}

// OpenAt opens (and with O_CREAT creates) the file pop names.
func (v *VirtualFilesystem) OpenAt(ctx Context, pop *PathOperation, opts OpenOptions) (FileDescription, error) {
	vd, created, err := v.openResolve(ctx, pop, opts)
	if err != nil {
		return nil, err
	}
	return v.OpenDentry(ctx, vd, opts.Flags, created)
}

// openResolve finds (or creates) the file of an open.
func (v *VirtualFilesystem) openResolve(ctx Context, pop *PathOperation, opts OpenOptions) (VirtualDentry, bool, error) {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	follow := opts.Flags&linux.O_NOFOLLOW == 0
	if opts.Flags&linux.O_CREAT == 0 {
		p := *pop
		p.FollowFinal = follow
		vd, err := v.resolveLocked(ctx, &p)
		return vd, false, err
	}
	if opts.Flags&linux.O_EXCL != 0 {
		follow = false
	}
	pr, err := v.resolveParentLocked(ctx, pop)
	if err != nil {
		return VirtualDentry{}, false, err
	}
	for {
		if pr.name == "" || pr.name == "." || pr.name == ".." || pr.trailingSlash {
			// open("dir/", O_CREAT) and friends.
			return VirtualDentry{}, false, linux.EISDIR
		}
		child, err := pr.r.lookup(pr.name)
		if err == nil {
			if opts.Flags&linux.O_EXCL != 0 {
				return VirtualDentry{}, false, linux.EEXIST
			}
			if isSymlink(child) {
				if !follow {
					return VirtualDentry{}, false, linux.ELOOP
				}
				if err := pr.followLast(child); err != nil {
					return VirtualDentry{}, false, err
				}
				continue
			}
			return child, false, nil
		}
		if err != linux.ENOENT {
			return VirtualDentry{}, false, err
		}
		vd, err := v.createLocked(ctx, pr, linux.S_IFREG|(opts.Mode&07777), 0, nil)
		if err == linux.EEXIST && opts.Flags&linux.O_EXCL == 0 {
			// Lost a race with another creator: open theirs.
			continue
		}
		return vd, err == nil, err
	}
}

// createLocked makes pr.name in pr.parent: a directory (mode S_IFDIR), a
// symlink (mode S_IFLNK, with *target) or another file.
//
// Preconditions: v.renameMu is held.
func (v *VirtualFilesystem) createLocked(ctx Context, pr *parentResult, mode uint32, dev uint64, target *string) (VirtualDentry, error) {
	parent := pr.parent
	if parent.Mount.ReadOnly() {
		return VirtualDentry{}, linux.EROFS
	}
	creds := ctx.Credentials()
	if err := mayCreate(creds, parent.Dentry); err != nil {
		return VirtualDentry{}, err
	}
	dirSt, err := parent.Dentry.inode.Stat()
	if err != nil {
		return VirtualDentry{}, err
	}
	uid, gid, mode := newFileOwner(creds, &dirSt, mode)
	co := CreateOptions{Mode: mode, UID: uid, GID: gid, Dev: dev}
	dir := parent.Dentry.inode.(DirInode)
	d := parent.Dentry
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if d.IsDead() {
		return VirtualDentry{}, linux.ENOENT
	}
	if _, ok := d.children[pr.name]; ok {
		return VirtualDentry{}, linux.EEXIST
	}
	var inode Inode
	switch {
	case mode&linux.S_IFMT == linux.S_IFDIR:
		inode, err = dir.Mkdir(ctx, pr.name, co)
	case mode&linux.S_IFMT == linux.S_IFLNK:
		inode, err = dir.Symlink(ctx, pr.name, *target, co)
	default:
		inode, err = dir.Create(ctx, pr.name, co)
	}
	if err != nil {
		return VirtualDentry{}, err
	}
	return VirtualDentry{Mount: parent.Mount, Dentry: d.insertChildLocked(pr.name, inode)}, nil
}

// OpenDentry opens the file at vd (found by a path walk or a magic link)
// with open(2)'s flags, checking permissions. created says the caller
// just made it (no permission check, as Linux skips it for O_CREAT).
func (v *VirtualFilesystem) OpenDentry(ctx Context, vd VirtualDentry, flags uint32, created bool) (FileDescription, error) {
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	mode := uint32(st.Mode)
	if flags&linux.O_PATH != 0 {
		if flags&linux.O_DIRECTORY != 0 && !IsDir(st.Mode) {
			return nil, linux.ENOTDIR
		}
		return NewOpathFile(vd, flags), nil
	}
	// O_DIRECTORY is checked before the unfollowed-symlink ELOOP, as
	// Linux's do_open checks it before may_open.
	if flags&linux.O_DIRECTORY != 0 && !IsDir(st.Mode) {
		return nil, linux.ENOTDIR
	}
	if IsSymlink(st.Mode) {
		return nil, linux.ELOOP
	}
	acc := flags & linux.O_ACCMODE
	writable := acc == linux.O_WRONLY || acc == linux.O_RDWR
	if IsDir(st.Mode) && (writable || flags&linux.O_TRUNC != 0 || flags&linux.O_CREAT != 0) {
		return nil, linux.EISDIR
	}
	if !created {
		var want uint32
		switch acc {
		case linux.O_RDONLY:
			want = MayRead
		case linux.O_WRONLY:
			want = MayWrite
		case linux.O_RDWR:
			want = MayRead | MayWrite
		default:
			// O_ACCMODE (3): Linux's "ioctl only" mode needs both.
			want = MayRead | MayWrite
		}
		if flags&linux.O_TRUNC != 0 {
			want |= MayWrite
		}
		if err := MayAccess(ctx.Credentials(), &st, want); err != nil {
			return nil, err
		}
	}
	typ := mode & linux.S_IFMT
	if (typ == linux.S_IFCHR || typ == linux.S_IFBLK) && vd.Mount.Flags().NoDev {
		return nil, linux.EACCES
	}
	if (writable || flags&linux.O_TRUNC != 0) && (typ == linux.S_IFREG || typ == linux.S_IFDIR) && vd.Mount.ReadOnly() {
		return nil, linux.EROFS
	}
	if flags&linux.O_TRUNC != 0 && typ == linux.S_IFREG && !created && st.Size != 0 {
		if err := vd.Dentry.inode.SetStat(ctx, SetStatOptions{Mask: linux.STATX_SIZE}); err != nil {
			return nil, err
		}
	}
	return vd.Dentry.inode.Open(ctx, vd, flags)
}

// MknodAt makes a file that is not a directory or symlink (mknod(2),
// including regular files). mode includes the type and has the umask
// applied.
func (v *VirtualFilesystem) MknodAt(ctx Context, pop *PathOperation, mode uint32, dev uint64) error {
	return v.makeAt(ctx, pop, mode, dev, nil)
}

// MkdirAt makes a directory (mkdir(2)); mode has the umask applied.
func (v *VirtualFilesystem) MkdirAt(ctx Context, pop *PathOperation, mode uint32) error {
	return v.makeAt(ctx, pop, linux.S_IFDIR|(mode&07777), 0, nil)
}

// SymlinkAt makes a symbolic link to target (symlink(2)).
func (v *VirtualFilesystem) SymlinkAt(ctx Context, pop *PathOperation, target string) error {
	if target == "" {
		return linux.ENOENT
	}
	return v.makeAt(ctx, pop, linux.S_IFLNK|0777, 0, &target)
}

func (v *VirtualFilesystem) makeAt(ctx Context, pop *PathOperation, mode uint32, dev uint64, target *string) error {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	pr, err := v.resolveParentLocked(ctx, pop)
	if err != nil {
		return err
	}
	if pr.name == "" || pr.name == "." || pr.name == ".." {
		return linux.EEXIST
	}
	if pr.trailingSlash && mode&linux.S_IFMT != linux.S_IFDIR {
		// mknod("x/") and symlink(t, "x/"): EEXIST if x exists, else
		// ENOENT, as Linux's filename_create.
		if _, err := pr.r.lookup(pr.name); err == nil {
			return linux.EEXIST
		}
		return linux.ENOENT
	}
	if _, err := pr.r.lookup(pr.name); err == nil {
		return linux.EEXIST
	} else if err != linux.ENOENT {
		return err
	}
	_, err = v.createLocked(ctx, pr, mode, dev, target)
	return err
}

// LinkAt makes newPop a hard link to the file oldPop names (linkat(2);
// oldPop.FollowFinal is AT_SYMLINK_FOLLOW).
func (v *VirtualFilesystem) LinkAt(ctx Context, oldPop, newPop *PathOperation) error {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	old, err := v.resolveLocked(ctx, oldPop)
	if err != nil {
		return err
	}
	return v.linkLocked(ctx, old, newPop)
}

// LinkDentry makes newPop a hard link to the file at old (linkat(2) with
// AT_EMPTY_PATH: the file of an FD; the caller checks CAP_DAC_READ_SEARCH).
func (v *VirtualFilesystem) LinkDentry(ctx Context, old VirtualDentry, newPop *PathOperation) error {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	return v.linkLocked(ctx, old, newPop)
}

// linkLocked is LinkAt once the old file is found.
//
// Preconditions: v.renameMu is held.
func (v *VirtualFilesystem) linkLocked(ctx Context, old VirtualDentry, newPop *PathOperation) error {
	pr, err := v.resolveParentLocked(ctx, newPop)
	if err != nil {
		return err
	}
	if pr.name == "" || pr.name == "." || pr.name == ".." {
		return linux.EEXIST
	}
	if _, err := pr.r.lookup(pr.name); err == nil {
		return linux.EEXIST
	} else if err != linux.ENOENT {
		return err
	}
	if pr.trailingSlash {
		return linux.ENOENT
	}
	if pr.parent.Mount.ReadOnly() {
		return linux.EROFS
	}
	if old.Mount != pr.parent.Mount {
		return linux.EXDEV
	}
	creds := ctx.Credentials()
	if err := mayCreate(creds, pr.parent.Dentry); err != nil {
		return err
	}
	st, err := old.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if IsDir(st.Mode) {
		return linux.EPERM
	}
	if old.Dentry.IsDead() && st.Nlink == 0 && !linkable(old.Dentry.inode) {
		return linux.ENOENT
	}
	d := pr.parent.Dentry
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if d.IsDead() {
		return linux.ENOENT
	}
	if _, ok := d.children[pr.name]; ok {
		return linux.EEXIST
	}
	if err := d.inode.(DirInode).Link(ctx, pr.name, old.Dentry.inode); err != nil {
		return err
	}
	d.insertChildLocked(pr.name, old.Dentry.inode)
	return nil
}

// UnlinkAt removes a non-directory (unlink(2)).
func (v *VirtualFilesystem) UnlinkAt(ctx Context, pop *PathOperation) error {
	return v.removeAt(ctx, pop, false)
}

// RmdirAt removes an empty directory (rmdir(2)).
func (v *VirtualFilesystem) RmdirAt(ctx Context, pop *PathOperation) error {
	return v.removeAt(ctx, pop, true)
}

func (v *VirtualFilesystem) removeAt(ctx Context, pop *PathOperation, dir bool) error {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	pr, err := v.resolveParentLocked(ctx, pop)
	if err != nil {
		return err
	}
	switch pr.name {
	case "", ".":
		if dir {
			if pr.name == "" {
				return linux.EBUSY
			}
			return linux.EINVAL
		}
		return linux.EISDIR
	case "..":
		if dir {
			return linux.ENOTEMPTY
		}
		return linux.EISDIR
	}
	// Linux's order: EROFS before the name is looked up; "name/" is
	// judged by the type of name alone; permission (and the sticky bit)
	// before the type of the victim; a mount point last.
	if pr.parent.Mount.ReadOnly() {
		return linux.EROFS
	}
	vd, err := pr.r.lookup(pr.name)
	if err != nil {
		return err
	}
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if !dir && pr.trailingSlash {
		// "file/" and "link/" (never followed by unlink) are ENOTDIR.
		if IsDir(st.Mode) {
			return linux.EISDIR
		}
		return linux.ENOTDIR
	}
	if err := mayDelete(ctx.Credentials(), pr.parent.Dentry, vd.Dentry); err != nil {
		return err
	}
	if dir && !IsDir(st.Mode) {
		return linux.ENOTDIR
	}
	if !dir && IsDir(st.Mode) {
		return linux.EISDIR
	}
	if dir && vd == pop.Root {
		return linux.EBUSY
	}
	if vd.Mount != pr.parent.Mount || vd.Dentry.mounts.Load() != 0 {
		// A mount point.
		return linux.EBUSY
	}
	d := pr.parent.Dentry
	d.dirMu.Lock()
	defer d.dirMu.Unlock()
	if d.children[pr.name] != vd.Dentry {
		return linux.ENOENT
	}
	di := d.inode.(DirInode)
	if dir {
		err = di.Rmdir(ctx, pr.name, vd.Dentry.inode)
	} else {
		err = di.Unlink(ctx, pr.name, vd.Dentry.inode)
	}
	if err != nil {
		return err
	}
	d.removeChildLocked(pr.name, vd.Dentry)
	return nil
}

// RenameAt implements renameat2(2).
func (v *VirtualFilesystem) RenameAt(ctx Context, oldPop, newPop *PathOperation, flags uint32) error {
	if flags&^(linux.RENAME_NOREPLACE|linux.RENAME_EXCHANGE|linux.RENAME_WHITEOUT) != 0 {
		return linux.EINVAL
	}
	if flags&linux.RENAME_EXCHANGE != 0 && flags&(linux.RENAME_NOREPLACE|linux.RENAME_WHITEOUT) != 0 {
		return linux.EINVAL
	}
	if flags&linux.RENAME_WHITEOUT != 0 {
		// Whiteouts need CAP_MKNOD and file system support (overlay).
		return linux.EINVAL
	}
	v.renameMu.Lock()
	defer v.renameMu.Unlock()
	opr, err := v.resolveParentLocked(ctx, oldPop)
	if err != nil {
		return err
	}
	npr, err := v.resolveParentLocked(ctx, newPop)
	if err != nil {
		return err
	}
	if opr.name == "" || opr.name == "." || opr.name == ".." ||
		npr.name == "" || npr.name == "." || npr.name == ".." {
		return linux.EBUSY
	}
	// The checks come in Linux's order (do_renameat2, vfs_rename,
	// may_delete): mounts, the two lookups, the flags, trailing slashes,
	// ancestry, then permission before the victim's type.
	if opr.parent.Mount != npr.parent.Mount {
		return linux.EXDEV
	}
	mnt := opr.parent.Mount
	if mnt.ReadOnly() {
		return linux.EROFS
	}
	oldVD, err := opr.r.lookup(opr.name)
	if err != nil {
		return err
	}
	if oldVD.Mount != mnt || oldVD.Dentry.mounts.Load() != 0 {
		return linux.EBUSY
	}
	ost, err := oldVD.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	oldIsDir := IsDir(ost.Mode)
	newVD, err := npr.r.lookup(npr.name)
	exists := err == nil
	if err != nil && err != linux.ENOENT {
		return err
	}
	if exists && flags&linux.RENAME_NOREPLACE != 0 {
		return linux.EEXIST
	}
	var nst linux.Statx
	newIsDir := false
	if exists {
		if newVD.Mount != mnt || newVD.Dentry.mounts.Load() != 0 {
			return linux.EBUSY
		}
		if nst, err = newVD.Dentry.inode.Stat(); err != nil {
			return err
		}
		newIsDir = IsDir(nst.Mode)
	}
	exchange := flags&linux.RENAME_EXCHANGE != 0
	if exchange {
		if !exists {
			return linux.ENOENT
		}
		if !newIsDir && npr.trailingSlash {
			return linux.ENOTDIR
		}
	}
	if !oldIsDir && (opr.trailingSlash || (!exchange && npr.trailingSlash)) {
		return linux.ENOTDIR
	}
	// A directory cannot move under itself, nor can anything be moved
	// over an ancestor of the source.
	if oldIsDir && isAncestor(oldVD.Dentry, npr.parent.Dentry) {
		return linux.EINVAL
	}
	if exists && isAncestor(newVD.Dentry, opr.parent.Dentry) {
		if exchange {
			return linux.EINVAL
		}
		return linux.ENOTEMPTY
	}
	if exists && (newVD.Dentry == oldVD.Dentry || oldVD.Dentry.inode == newVD.Dentry.inode) {
		// Two names of one file: nothing to do (rename(2)).
		return nil
	}
	creds := ctx.Credentials()
	if err := mayDelete(creds, opr.parent.Dentry, oldVD.Dentry); err != nil {
		return err
	}
	if exists {
		if err := mayDelete(creds, npr.parent.Dentry, newVD.Dentry); err != nil {
			return err
		}
		if !exchange {
			if oldIsDir && !newIsDir {
				return linux.ENOTDIR
			}
			if !oldIsDir && newIsDir {
				return linux.EISDIR
			}
		}
	} else if err := mayCreate(creds, npr.parent.Dentry); err != nil {
		return err
	}
	// Moving a directory to another parent rewrites its "..": it needs
	// write permission on the directory itself.
	if opr.parent.Dentry != npr.parent.Dentry {
		if oldIsDir {
			if err := MayAccess(creds, &ost, MayWrite); err != nil {
				return err
			}
		}
		if exchange && newIsDir {
			if err := MayAccess(creds, &nst, MayWrite); err != nil {
				return err
			}
		}
	}
	od, nd := opr.parent.Dentry, npr.parent.Dentry
	od.dirMu.Lock()
	if nd != od {
		nd.dirMu.Lock()
		defer nd.dirMu.Unlock()
	}
	defer od.dirMu.Unlock()
	if nd.IsDead() {
		return linux.ENOENT
	}
	var replaced Inode
	if exists {
		replaced = newVD.Dentry.inode
	}
	if err := od.inode.(DirInode).Rename(ctx, opr.name, oldVD.Dentry.inode, nd.inode.(DirInode), npr.name, replaced, flags); err != nil {
		return err
	}
	delete(od.children, opr.name)
	if exists {
		delete(nd.children, npr.name)
		if flags&linux.RENAME_EXCHANGE != 0 {
			newVD.Dentry.parent, newVD.Dentry.name = od, opr.name
			od.children[opr.name] = newVD.Dentry
		} else {
			newVD.Dentry.dead.Store(true)
		}
	}
	oldVD.Dentry.parent, oldVD.Dentry.name = nd, npr.name
	if nd.children == nil {
		nd.children = make(map[string]*Dentry)
	}
	nd.children[npr.name] = oldVD.Dentry
	return nil
}

// isAncestor reports whether a is d or one of its ancestors in their file
// system.
//
// Preconditions: vfs.renameMu is held.
func isAncestor(a, d *Dentry) bool {
	for ; d != nil; d = d.parent {
		if d == a {
			return true
		}
	}
	return false
}

// ReadlinkAt reads the symlink pop names (readlinkat(2)).
func (v *VirtualFilesystem) ReadlinkAt(ctx Context, pop *PathOperation) (string, error) {
	vd, err := v.GetDentryAt(ctx, pop)
	if err != nil {
		return "", err
	}
	return v.Readlink(ctx, vd)
}

// Readlink reads the symlink at vd (EINVAL if it is not one).
func (v *VirtualFilesystem) Readlink(ctx Context, vd VirtualDentry) (string, error) {
	sl, ok := vd.Dentry.inode.(SymlinkInode)
	if !ok {
		return "", linux.EINVAL
	}
	return sl.Readlink(ctx)
}

// StatAt returns the attributes of the file pop names.
func (v *VirtualFilesystem) StatAt(ctx Context, pop *PathOperation) (linux.Statx, error) {
	vd, err := v.GetDentryAt(ctx, pop)
	if err != nil {
		return linux.Statx{}, err
	}
	return v.Stat(vd)
}

// Stat returns the attributes of vd, with the device (unless the inode is
// an OwnDeviceInode) and mount ID filled in by the VFS.
func (v *VirtualFilesystem) Stat(vd VirtualDentry) (linux.Statx, error) {
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return st, err
	}
	if _, ok := vd.Dentry.inode.(OwnDeviceInode); !ok {
		st.DevMajor, st.DevMinor = linux.DecodeDev(vd.Dentry.fs.dev)
	}
	st.MntID = vd.Mount.ID
	st.Mask |= linux.STATX_MNT_ID
	return st, nil
}

// SetStat changes vd's attributes (chmod, chown, truncate, utimensat)
// after Linux's permission checks. UTIME_NOW becomes the current time.
func (v *VirtualFilesystem) SetStat(ctx Context, vd VirtualDentry, opts SetStatOptions) error {
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if opts.Mask&linux.STATX_SIZE != 0 {
		if IsDir(st.Mode) {
			return linux.EISDIR
		}
		if !IsRegular(st.Mode) {
			return linux.EINVAL
		}
	}
	if vd.Mount.ReadOnly() {
		return linux.EROFS
	}
	if err := checkSetStat(ctx.Credentials(), &st, &opts); err != nil {
		return err
	}
	if l, ok := ctx.(FileSizeLimiter); ok && opts.Mask&linux.STATX_SIZE != 0 && opts.Size > uint64(st.Size) {
		// inode_newsize_ok: only growth is limited.
		if err := l.CheckFileSize(opts.Size); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, ts := range []*linux.Timespec{&opts.Atime, &opts.Mtime} {
		if ts.Nsec == linux.UTIME_NOW {
			*ts = linux.Timespec{Sec: now.Unix(), Nsec: int64(now.Nanosecond())}
		}
	}
	if opts.Mask&linux.STATX_ATIME != 0 && opts.Atime.Nsec == linux.UTIME_OMIT {
		opts.Mask &^= linux.STATX_ATIME
	}
	if opts.Mask&linux.STATX_MTIME != 0 && opts.Mtime.Nsec == linux.UTIME_OMIT {
		opts.Mask &^= linux.STATX_MTIME
	}
	if opts.Mask == 0 {
		return nil
	}
	return vd.Dentry.inode.SetStat(ctx, opts)
}

// Truncate checks write permission and sets the size (truncate(2)).
func (v *VirtualFilesystem) Truncate(ctx Context, vd VirtualDentry, size uint64) error {
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if IsDir(st.Mode) {
		return linux.EISDIR
	}
	if !IsRegular(st.Mode) {
		return linux.EINVAL
	}
	if err := MayAccess(ctx.Credentials(), &st, MayWrite); err != nil {
		return err
	}
	return v.SetStat(ctx, vd, SetStatOptions{Mask: linux.STATX_SIZE, Size: size})
}

// AccessAt implements faccessat2(2)'s check of mode (F_OK or a mix of
// R_OK, W_OK, X_OK) on vd with creds already chosen by the caller (real
// or effective IDs).
func (v *VirtualFilesystem) Access(ctx Context, vd VirtualDentry, mode uint32) error {
	if mode == linux.F_OK {
		return nil
	}
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if mode&linux.W_OK != 0 && vd.Mount.ReadOnly() {
		typ := uint32(st.Mode) & linux.S_IFMT
		if typ == linux.S_IFREG || typ == linux.S_IFDIR || typ == linux.S_IFLNK {
			return linux.EROFS
		}
	}
	var want uint32
	if mode&linux.R_OK != 0 {
		want |= MayRead
	}
	if mode&linux.W_OK != 0 {
		want |= MayWrite
	}
	if mode&linux.X_OK != 0 {
		want |= MayExec
	}
	return MayAccess(ctx.Credentials(), &st, want)
}

// StatFS implements statfs(2) for the file system of vd.
func (v *VirtualFilesystem) StatFS(ctx Context, vd VirtualDentry) (linux.Statfs, error) {
	sfs, err := vd.Dentry.fs.impl.StatFS(ctx)
	if err != nil {
		return sfs, err
	}
	f := vd.Mount.Flags()
	sfs.Flags = linux.ST_VALID
	if f.ReadOnly {
		sfs.Flags |= linux.ST_RDONLY
	}
	if f.NoSuid {
		sfs.Flags |= linux.ST_NOSUID
	}
	if f.NoDev {
		sfs.Flags |= linux.ST_NODEV
	}
	if f.NoExec {
		sfs.Flags |= linux.ST_NOEXEC
	}
	if f.NoATime {
		sfs.Flags |= linux.ST_NOATIME
	}
	dev := vd.Dentry.fs.dev
	sfs.Fsid = [2]int32{int32(dev), int32(dev >> 32)}
	return sfs, nil
}

// Xattr operations check permissions as Linux's xattr_permission does for
// the "user." namespace and pass the rest to the inode.

// xattrCheck applies xattr_permission.
func xattrCheck(ctx Context, vd VirtualDentry, name string, write bool) (XattrInode, error) {
	if name == "" || len(name) > linux.XATTR_NAME_MAX {
		return nil, linux.ERANGE
	}
	for _, ns := range []string{"user.", "trusted.", "security.", "system."} {
		if name == ns {
			// A namespace prefix without a name (xattr_resolve_name).
			return nil, linux.EINVAL
		}
	}
	xi, ok := vd.Dentry.inode.(XattrInode)
	if !ok {
		return nil, linux.EOPNOTSUPP
	}
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	if write && vd.Mount.ReadOnly() {
		return nil, linux.EROFS
	}
	switch {
	case hasPrefix(name, "user."):
		typ := uint32(st.Mode) & linux.S_IFMT
		if typ != linux.S_IFREG && typ != linux.S_IFDIR {
			if write {
				return nil, linux.EPERM
			}
			return nil, linux.ENODATA
		}
		if uint32(st.Mode)&linux.S_ISVTX != 0 && typ == linux.S_IFDIR && write && !isOwner(ctx.Credentials(), &st) {
			return nil, linux.EPERM
		}
	case hasPrefix(name, "trusted."), hasPrefix(name, "security."), hasPrefix(name, "system."):
		if hasPrefix(name, "trusted.") && !ctx.Credentials().HasCapability(linux.CAP_SYS_ADMIN) {
			if write {
				return nil, linux.EPERM
			}
			return nil, linux.ENODATA
		}
	default:
		return nil, linux.EOPNOTSUPP
	}
	want := uint32(MayRead)
	if write {
		want = MayWrite
	}
	if err := MayAccess(ctx.Credentials(), &st, want); err != nil {
		return nil, err
	}
	return xi, nil
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// GetXattr implements getxattr(2) on vd.
func (v *VirtualFilesystem) GetXattr(ctx Context, vd VirtualDentry, name string, size uint64) ([]byte, error) {
	xi, err := xattrCheck(ctx, vd, name, false)
	if err != nil {
		return nil, err
	}
	return xi.GetXattr(ctx, name, size)
}

// SetXattr implements setxattr(2) on vd.
func (v *VirtualFilesystem) SetXattr(ctx Context, vd VirtualDentry, name string, value []byte, flags uint32) error {
	if flags&^(linux.XATTR_CREATE|linux.XATTR_REPLACE) != 0 {
		return linux.EINVAL
	}
	xi, err := xattrCheck(ctx, vd, name, true)
	if err != nil {
		return err
	}
	return xi.SetXattr(ctx, name, value, flags)
}

// ListXattr implements listxattr(2) on vd.
func (v *VirtualFilesystem) ListXattr(ctx Context, vd VirtualDentry, size uint64) ([]string, error) {
	xi, ok := vd.Dentry.inode.(XattrInode)
	if !ok {
		return nil, nil
	}
	return xi.ListXattr(ctx, size)
}

// RemoveXattr implements removexattr(2) on vd.
func (v *VirtualFilesystem) RemoveXattr(ctx Context, vd VirtualDentry, name string) error {
	xi, err := xattrCheck(ctx, vd, name, true)
	if err != nil {
		return err
	}
	return xi.RemoveXattr(ctx, name)
}
