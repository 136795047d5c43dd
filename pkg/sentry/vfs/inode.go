package vfs

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// Context is what file system operations need from the calling task.
type Context interface {
	ChannelBlocker
	// Credentials are the caller's IDs and capabilities.
	Credentials() *auth.Credentials
}

// Inode is a file system object. Implementations must be safe for
// concurrent use. The VFS has done every permission, mount-flag and
// type check that Linux's VFS does before it calls a method; the file
// system checks only what depends on its own state (ENOTEMPTY, ENOSPC,
// EEXIST that the dentry cache could not see...).
type Inode interface {
	// Stat returns the attributes. Mask bits a file system cannot
	// provide are left clear in Statx.Mask.
	Stat() (linux.Statx, error)
	// SetStat changes the attributes named in opts.Mask (STATX_MODE,
	// STATX_UID, STATX_GID, STATX_SIZE, STATX_ATIME, STATX_MTIME). The
	// ctime is updated by the file system.
	SetStat(ctx Context, opts SetStatOptions) error
	// Open returns a new open file of the inode. vd is where it was
	// found; flags are the open(2) flags (without O_CREAT/O_EXCL/
	// O_TRUNC handling, which the VFS has done). It may block (FIFOs):
	// it is called with no VFS lock held.
	Open(ctx Context, vd VirtualDentry, flags uint32) (FileDescription, error)
}

// SetStatOptions are the attribute changes of chmod, chown, truncate and
// utimensat. Atime and Mtime use UTIME_NOW/UTIME_OMIT in Nsec as
// utimensat does; the VFS resolves UTIME_NOW to the current time.
type SetStatOptions struct {
	Mask  uint32
	Mode  uint32
	UID   auth.UID
	GID   auth.GID
	Size  uint64
	Atime linux.Timespec
	Mtime linux.Timespec
}

// CreateOptions describe a new file: Mode includes the S_IFMT type (and
// already has the umask applied), UID/GID are the owner the VFS chose,
// Dev is the device number of device nodes.
type CreateOptions struct {
	Mode uint32
	UID  auth.UID
	GID  auth.GID
	Dev  uint64
}

// DirInode is an Inode that is a directory. Names are single path
// components, never "", "." or "..".
type DirInode interface {
	Inode
	// Lookup returns the child called name, or ENOENT.
	Lookup(ctx Context, name string) (Inode, error)
	// Readdir lists the children (without "." and "..") in a stable
	// order.
	Readdir(ctx Context) ([]Dirent, error)
	// Create makes a regular file, FIFO, socket or device node.
	Create(ctx Context, name string, opts CreateOptions) (Inode, error)
	// Mkdir makes a directory.
	Mkdir(ctx Context, name string, opts CreateOptions) (Inode, error)
	// Symlink makes a symbolic link to target.
	Symlink(ctx Context, name, target string, opts CreateOptions) (Inode, error)
	// Link makes name a new hard link to target, an inode of the same
	// file system that is not a directory.
	Link(ctx Context, name string, target Inode) error
	// Unlink removes the non-directory child.
	Unlink(ctx Context, name string, child Inode) error
	// Rmdir removes the child directory (ENOTEMPTY unless empty).
	Rmdir(ctx Context, name string, child Inode) error
	// Rename moves child from oldName in this directory to newName in
	// newDir (of the same file system), replacing replaced (nil if
	// newName does not exist). flags are RENAME_NOREPLACE/EXCHANGE;
	// with RENAME_EXCHANGE, replaced is swapped in, not removed.
	Rename(ctx Context, oldName string, child Inode, newDir DirInode, newName string, replaced Inode, flags uint32) error
}

// Revalidator is implemented by directories whose cached children may be
// changed behind the sentry's back (gofer files in shared mode). The VFS
// asks before it uses a cached child; false drops it and looks it up
// again.
type Revalidator interface {
	Revalidate(ctx Context, name string, child Inode) (bool, error)
}

// SymlinkInode is an Inode that is a symbolic link.
type SymlinkInode interface {
	Inode
	Readlink(ctx Context) (string, error)
}

// MagicLinkInode is a symlink whose target is an open file or a task's
// directory rather than a path (/proc/self/fd/N, /proc/self/exe,
// /proc/self/cwd): following it jumps straight to Follow's result.
type MagicLinkInode interface {
	SymlinkInode
	Follow(ctx Context) (VirtualDentry, error)
}

// XattrInode is implemented by inodes with extended attributes; others
// answer EOPNOTSUPP (getxattr, setxattr) or an empty list.
type XattrInode interface {
	GetXattr(ctx Context, name string, size uint64) ([]byte, error)
	SetXattr(ctx Context, name string, value []byte, flags uint32) error
	ListXattr(ctx Context, size uint64) ([]string, error)
	RemoveXattr(ctx Context, name string) error
}

// FilesystemImpl is a file system instance (a superblock).
type FilesystemImpl interface {
	// Name is the type shown in /proc/mounts ("tmpfs", "proc").
	Name() string
	// StatFS implements statfs(2); the VFS fills Flags from the mount.
	StatFS(ctx Context) (linux.Statfs, error)
	// Release is called when the last mount of the file system is gone.
	Release()
}

// IsDir, IsSymlink and IsRegular test an inode's type through its mode.
func IsDir(mode uint16) bool     { return uint32(mode)&linux.S_IFMT == linux.S_IFDIR }
func IsSymlink(mode uint16) bool { return uint32(mode)&linux.S_IFMT == linux.S_IFLNK }
func IsRegular(mode uint16) bool { return uint32(mode)&linux.S_IFMT == linux.S_IFREG }
