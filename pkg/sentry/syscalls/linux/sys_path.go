package linux

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// The file system calls are split by file: names and directories here,
// open in sys_open.go, attributes in sys_stat.go and sys_attr.go, extended attributes in
// sys_xattr.go, directory reading in sys_dir.go, data movement and sync
// in sys_fsync.go and sys_sendfile.go, and credentials in sys_cred.go.
// pathSyscalls is their union, the one family table.go lists.

const (
	mknodNote = "CAP_MKNOD is checked before the path is resolved"
	linkNote  = "AT_EMPTY_PATH links the file by its current name: a file that has none (deleted, or outside the root) is ENOENT"
)

// pathEntries are the calls on names: create, remove, rename, link, the
// working and root directories.
var pathEntries = map[uintptr]kernel.Syscall{
	linux.SYS_MKDIR:      full(withFS(mkdir)),
	linux.SYS_MKDIRAT:    full(withFS(mkdirat)),
	linux.SYS_MKNOD:      partial(withFS(mknod), mknodNote),
	linux.SYS_MKNODAT:    partial(withFS(mknodat), mknodNote),
	linux.SYS_RMDIR:      full(withFS(rmdir)),
	linux.SYS_UNLINK:     full(withFS(unlink)),
	linux.SYS_UNLINKAT:   full(withFS(unlinkat)),
	linux.SYS_RENAME:     full(withFS(rename)),
	linux.SYS_RENAMEAT:   full(withFS(renameat)),
	linux.SYS_RENAMEAT2:  partial(withFS(renameat2), "RENAME_WHITEOUT is EINVAL"),
	linux.SYS_LINK:       full(withFS(link)),
	linux.SYS_LINKAT:     partial(withFS(linkat), linkNote),
	linux.SYS_SYMLINK:    full(withFS(symlink)),
	linux.SYS_SYMLINKAT:  full(withFS(symlinkat)),
	linux.SYS_READLINK:   full(withFS(readlink)),
	linux.SYS_READLINKAT: full(withFS(readlinkat)),
	linux.SYS_CHDIR:      full(withFS(chdir)),
	linux.SYS_FCHDIR:     full(withFS(fchdir)),
	linux.SYS_GETCWD:     full(withFS(getcwd)),
	linux.SYS_CHROOT:     full(withFS(chroot)),
	linux.SYS_UMASK:      full(withFS(umask)),
}

// pathSyscalls are every file system and credential call.
var pathSyscalls = mergeFamilies(openEntries, pathEntries, statEntries, attrEntries, xattrEntries, dirEntries,
	syncEntries, sendfileEntries, credEntries)

// mergeFamilies joins entry maps, refusing duplicates.
func mergeFamilies(fams ...map[uintptr]kernel.Syscall) map[uintptr]kernel.Syscall {
	out := make(map[uintptr]kernel.Syscall)
	for _, fam := range fams {
		for nr, s := range fam {
			if _, dup := out[nr]; dup {
				panic(fmt.Sprintf("syscall %d declared twice", nr))
			}
			out[nr] = s
		}
	}
	return out
}

// withFS guards a call that needs the task's file system context: a task
// started without one (a sandbox booted without a mount tree) gets ENOSYS
// instead of a sentry panic.
func withFS(fn kernel.SyscallFn) kernel.SyscallFn {
	return func(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
		if t.FSContext() == nil || t.VFS() == nil {
			return 0, linux.ENOSYS
		}
		return fn(t, a)
	}
}

// getFileNoPath is Linux's fdget: the file at fd, with a reference the
// caller drops; an O_PATH file is EBADF (only the *at calls, fstat,
// fchdir and fstatfs accept those).
func getFileNoPath(t *kernel.Task, fd int32) (vfs.FileDescription, error) {
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, err
	}
	if f.StatusFlags()&linux.O_PATH != 0 {
		f.DecRef()
		return nil, linux.EBADF
	}
	return f, nil
}

// locate finds what an *at call operates on. When path is empty and
// emptyPath (AT_EMPTY_PATH) is set, it is dirfd itself: the working
// directory for AT_FDCWD, else the open file. For a file opened outside
// the VFS (a pipe, an eventfd, a host FD), file is returned with a
// reference the caller drops, and vd is unset. ctx resolves the path
// (access(2) resolves with other credentials).
func locate(t *kernel.Task, ctx vfs.Context, dirfd int32, path string, emptyPath, follow bool) (vfs.VirtualDentry, vfs.FileDescription, error) {
	// Only an open file can be found without a file system context
	// (see withFS).
	ownFile := path == "" && emptyPath && dirfd != linux.AT_FDCWD
	if !ownFile && (t.FSContext() == nil || t.VFS() == nil) {
		return vfs.VirtualDentry{}, nil, linux.ENOSYS
	}
	if path == "" && emptyPath {
		if dirfd == linux.AT_FDCWD {
			return t.FSContext().Cwd(), nil, nil
		}
		f, _, err := t.FDTable().Get(dirfd)
		if err != nil {
			return vfs.VirtualDentry{}, nil, err
		}
		if vd, ok := vfsLocation(f); ok {
			f.DecRef()
			return vd, nil, nil
		}
		return vfs.VirtualDentry{}, f, nil
	}
	pop, err := pathOp(t, dirfd, path, follow)
	if err != nil {
		return vfs.VirtualDentry{}, nil, err
	}
	vd, err := t.VFS().GetDentryAt(ctx, pop)
	return vd, nil, err
}

// vfsLocation returns where f was opened, if it was opened through the
// VFS (files of anonymous kinds may embed vfs.FileBase without a
// location).
func vfsLocation(f vfs.FileDescription) (vfs.VirtualDentry, bool) {
	pf, ok := f.(vfs.PathFile)
	if !ok {
		return vfs.VirtualDentry{}, false
	}
	vd := pf.VirtualDentry()
	return vd, vd.Ok()
}

// locatePath resolves a path argument relative to the working directory,
// for the calls without a dirfd.
func locatePath(t *kernel.Task, addr uint64, follow bool) (vfs.VirtualDentry, error) {
	return resolveAt(t, linux.AT_FDCWD, addr, false, follow)
}

// copyInPathEmptyOK reads a path argument as getname_maybe_null does: with
// AT_EMPTY_PATH, a NULL pointer is the empty path.
func copyInPathEmptyOK(t *kernel.Task, addr uint64, flags uint32) (string, error) {
	if addr == 0 && flags&linux.AT_EMPTY_PATH != 0 {
		return "", nil
	}
	return copyInPath(t, addr)
}

func mkdir(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doMkdir(t, linux.AT_FDCWD, a[0], uint32(a[1]))
}

func mkdirat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doMkdir(t, int32(a[0]), a[1], uint32(a[2]))
}

func doMkdir(t *kernel.Task, dirfd int32, addr uint64, mode uint32) error {
	pop, err := copyInPathOp(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	// vfs_mkdir keeps the permission and sticky bits.
	mode = mode &^ t.FSContext().Umask() & (linux.S_ISVTX | 0o777)
	return t.VFS().MkdirAt(t, pop, mode)
}

func mknod(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doMknod(t, linux.AT_FDCWD, a[0], uint32(a[1]), uint32(a[2]))
}

func mknodat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doMknod(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]))
}

// doMknod is do_mknodat: dev is the user's encoding (new_encode_dev).
func doMknod(t *kernel.Task, dirfd int32, addr uint64, mode, dev uint32) error {
	typ := mode & linux.S_IFMT
	switch typ {
	case 0:
		typ = linux.S_IFREG
	case linux.S_IFREG, linux.S_IFCHR, linux.S_IFBLK, linux.S_IFIFO, linux.S_IFSOCK:
	case linux.S_IFDIR:
		return linux.EPERM
	default:
		return linux.EINVAL
	}
	pop, err := copyInPathOp(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	var rdev uint64
	if typ == linux.S_IFCHR || typ == linux.S_IFBLK {
		if !t.Credentials().HasCapability(linux.CAP_MKNOD) {
			return linux.EPERM
		}
		rdev = uint64(dev)
	}
	perm := mode & linux.S_IALLUGO &^ t.FSContext().Umask()
	return t.VFS().MknodAt(t, pop, typ|perm, rdev)
}

func rmdir(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doUnlink(t, linux.AT_FDCWD, a[0], true)
}

func unlink(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doUnlink(t, linux.AT_FDCWD, a[0], false)
}

func unlinkat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	flags := uint32(a[2])
	if flags&^linux.AT_REMOVEDIR != 0 {
		return 0, linux.EINVAL
	}
	return 0, doUnlink(t, int32(a[0]), a[1], flags&linux.AT_REMOVEDIR != 0)
}

func doUnlink(t *kernel.Task, dirfd int32, addr uint64, dir bool) error {
	pop, err := copyInPathOp(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	if dir {
		return t.VFS().RmdirAt(t, pop)
	}
	return t.VFS().UnlinkAt(t, pop)
}

func rename(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRename(t, linux.AT_FDCWD, a[0], linux.AT_FDCWD, a[1], 0)
}

func renameat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRename(t, int32(a[0]), a[1], int32(a[2]), a[3], 0)
}

func renameat2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doRename(t, int32(a[0]), a[1], int32(a[2]), a[3], uint32(a[4]))
}

func doRename(t *kernel.Task, olddirfd int32, oldAddr uint64, newdirfd int32, newAddr uint64, flags uint32) error {
	// do_renameat2 checks the flags before it looks at either path.
	if flags&^(linux.RENAME_NOREPLACE|linux.RENAME_EXCHANGE|linux.RENAME_WHITEOUT) != 0 ||
		(flags&linux.RENAME_EXCHANGE != 0 && flags&(linux.RENAME_NOREPLACE|linux.RENAME_WHITEOUT) != 0) {
		return linux.EINVAL
	}
	oldPop, err := copyInPathOp(t, olddirfd, oldAddr, false)
	if err != nil {
		return err
	}
	newPop, err := copyInPathOp(t, newdirfd, newAddr, false)
	if err != nil {
		return err
	}
	return t.VFS().RenameAt(t, oldPop, newPop, flags)
}

func link(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doLink(t, linux.AT_FDCWD, a[0], linux.AT_FDCWD, a[1], 0)
}

func linkat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doLink(t, int32(a[0]), a[1], int32(a[2]), a[3], uint32(a[4]))
}

func doLink(t *kernel.Task, olddirfd int32, oldAddr uint64, newdirfd int32, newAddr uint64, flags uint32) error {
	if flags&^(linux.AT_SYMLINK_FOLLOW|linux.AT_EMPTY_PATH) != 0 {
		return linux.EINVAL
	}
	oldPath, err := copyInPath(t, oldAddr)
	if err != nil {
		return err
	}
	newPath, err := copyInPath(t, newAddr)
	if err != nil {
		return err
	}
	var oldPop *vfs.PathOperation
	if oldPath == "" && flags&linux.AT_EMPTY_PATH != 0 {
		if oldPop, err = emptyPathLinkSource(t, olddirfd); err != nil {
			return err
		}
	} else if oldPop, err = pathOp(t, olddirfd, oldPath, flags&linux.AT_SYMLINK_FOLLOW != 0); err != nil {
		return err
	}
	newPop, err := pathOp(t, newdirfd, newPath, false)
	if err != nil {
		return err
	}
	return t.VFS().LinkAt(t, oldPop, newPop)
}

// emptyPathLinkSource names the file at dirfd for linkat(AT_EMPTY_PATH),
// which needs CAP_DAC_READ_SEARCH (ENOENT without, as Linux answers a
// caller whose credentials did not open the file). vfs.LinkAt links only
// a resolved path, so the file is named by its current path from the
// task's root: a file with no such name cannot be linked (ENOENT).
func emptyPathLinkSource(t *kernel.Task, dirfd int32) (*vfs.PathOperation, error) {
	if !t.Credentials().HasCapability(linux.CAP_DAC_READ_SEARCH) {
		return nil, linux.ENOENT
	}
	vd, f, err := locate(t, t, dirfd, "", true, false)
	if err != nil {
		return nil, err
	}
	if f != nil {
		f.DecRef()
		return nil, linux.ENOENT
	}
	root := t.FSContext().Root()
	p, reachable := t.VFS().PathName(root, vd)
	if !reachable || vd.Dentry.IsDead() {
		return nil, linux.ENOENT
	}
	return &vfs.PathOperation{Root: root, Start: root, Path: p}, nil
}

func symlink(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doSymlink(t, a[0], linux.AT_FDCWD, a[1])
}

func symlinkat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doSymlink(t, a[0], int32(a[1]), a[2])
}

func doSymlink(t *kernel.Task, targetAddr uint64, dirfd int32, addr uint64) error {
	target, err := copyInPath(t, targetAddr)
	if err != nil {
		return err
	}
	pop, err := copyInPathOp(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	return t.VFS().SymlinkAt(t, pop, target)
}

func readlink(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doReadlink(t, linux.AT_FDCWD, a[0], a[1], a[2])
}

func readlinkat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doReadlink(t, int32(a[0]), a[1], a[2], a[3])
}

// doReadlink is do_readlinkat: the empty path names dirfd itself (ENOENT
// if that is not a symlink); the target is truncated to bufsiz bytes.
func doReadlink(t *kernel.Task, dirfd int32, addr, buf, size uint64) (uint64, error) {
	bufsiz := int32(size)
	if bufsiz <= 0 {
		return 0, linux.EINVAL
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return 0, err
	}
	vd, f, err := locate(t, t, dirfd, path, true, false)
	if err != nil {
		return 0, err
	}
	if f != nil {
		f.DecRef()
		return 0, linux.ENOENT
	}
	target, err := t.VFS().Readlink(t, vd)
	if err == linux.EINVAL && path == "" {
		return 0, linux.ENOENT
	}
	if err != nil {
		return 0, err
	}
	n := min(len(target), int(bufsiz))
	if _, err := t.CopyOut(buf, []byte(target[:n])); err != nil {
		return 0, linux.EFAULT
	}
	return uint64(n), nil
}

// checkChdir is the check of chdir, fchdir and chroot: a directory the
// caller may search.
func checkChdir(t *kernel.Task, vd vfs.VirtualDentry) error {
	st, err := vd.Dentry.Inode().Stat()
	if err != nil {
		return err
	}
	if !vfs.IsDir(st.Mode) {
		return linux.ENOTDIR
	}
	return vfs.MayAccess(t.Credentials(), &st, vfs.MayExec)
}

func chdir(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	vd, err := locatePath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	if err := checkChdir(t, vd); err != nil {
		return 0, err
	}
	t.FSContext().SetCwd(vd)
	return 0, nil
}

func fchdir(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, _, err := t.FDTable().Get(int32(a[0]))
	if err != nil {
		return 0, err
	}
	vd, ok := vfsLocation(f)
	f.DecRef()
	if !ok {
		return 0, linux.ENOTDIR
	}
	if err := checkChdir(t, vd); err != nil {
		return 0, err
	}
	t.FSContext().SetCwd(vd)
	return 0, nil
}

func getcwd(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, size := a[0], a[1]
	fc := t.FSContext()
	root, cwd := fc.Root(), fc.Cwd()
	if cwd.Dentry.IsDead() {
		return 0, linux.ENOENT
	}
	p, reachable := t.VFS().PathName(root, cwd)
	if !reachable {
		p = "(unreachable)" + p
	}
	b := append([]byte(p), 0)
	if uint64(len(b)) > size {
		return 0, linux.ERANGE
	}
	if _, err := t.CopyOut(addr, b); err != nil {
		return 0, linux.EFAULT
	}
	return uint64(len(b)), nil
}

func chroot(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	vd, err := locatePath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	if err := checkChdir(t, vd); err != nil {
		return 0, err
	}
	if !t.Credentials().HasCapability(linux.CAP_SYS_CHROOT) {
		return 0, linux.EPERM
	}
	t.FSContext().SetRoot(vd)
	return 0, nil
}

func umask(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return uint64(t.FSContext().SwapUmask(uint32(a[0]) & 0o777)), nil
}
