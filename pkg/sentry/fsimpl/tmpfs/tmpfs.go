// Package tmpfs is the sandbox's in-memory file system (Linux's tmpfs /
// shmem): /tmp, /dev/shm, the upper layer of the root overlay, and the
// internal mount that memfd_create(2) files live on.
//
// It owns the file system objects (directories, regular files, symlinks,
// device nodes, FIFOs and sockets as nodes), their attributes and
// extended attributes, the contents of regular files, file seals, and the
// size and inode limits of a mount. It implements single-name operations
// for the VFS and must not resolve paths or make the VFS's generic checks
// (permissions, EROFS, sticky bit, rename rules): pkg/sentry/vfs has done
// them before it calls in. It never touches the host except through the
// memory file.
//
// # File data
//
// The contents of a regular file live in the sentry's memory file
// (pgalloc). A file keeps a sorted list of extents, each mapping a
// page-aligned range of the file to a contiguous range of the memory file.
// Pages are allocated when they are first written (or fallocated, or
// mapped shared); holes read as zeros and cost nothing. A write allocates
// the whole missing run it covers with one Allocate call, and adjacent
// extents that are contiguous in both the file and the memory file are
// merged, so a 100 MB file written sequentially is a handful of extents,
// and a small file is a one-element slice: both are cheap to store and to
// walk (binary search, then a linear walk of the extents a request
// covers). The cost of the list grows with fragmentation (random writes
// into a huge sparse file), where inserting is linear in the number of
// extents.
//
// Pages that fallocate(2) allocated and nothing has written yet are
// marked unwritten: they count in st_blocks but SEEK_DATA treats them as
// holes, as Linux does.
//
// Shared mappings (vfs.PageMappable) get their own reference on the pages
// they map. Truncating or punching a hole drops only the file's reference:
// a mapping keeps seeing the old page where Linux would deliver SIGBUS.
//
// # Limits
//
// Options.MaxSize limits the pages of all files of a mount (ENOSPC). Like
// Linux, inodes and extended attributes share an "inode space" budget of
// 1 KiB per allowed inode: each inode takes 1 KiB of it, each extended
// attribute its size plus a small overhead (ENOSPC when it runs out).
//
// # Known differences from Linux
//
// F_ADD_SEALS with F_SEAL_WRITE does not fail with EBUSY for a file with
// writable shared mappings (the memory manager does not report them). A
// file's data is freed when its last link and last open file are gone,
// so reopening an unlinked file through an O_PATH descriptor finds it
// empty.
//
// # Locks
//
// Lock order: RegularFile.offMu; dirInode.dirMu of a parent before that
// of its child (rmdir, rename over a directory); regularInode.dataMu;
// inode.mu (the attributes), which is a leaf. Rename locks the source and
// destination directories in either order: it relies on the VFS, which
// serialises renames (VirtualFilesystem.renameMu held for writing) and
// holds renameMu for reading around every other operation that locks two
// directories.
package tmpfs

import (
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const pageSize = usermem.PageSize

// Sizes Linux's tmpfs accounts with (mm/shmem.c): a directory's st_size
// grows by bogoDirentSize per entry (it starts at two, for "." and ".."),
// each inode takes bogoInodeSize of the inode space, and each extended
// attribute xattrOverhead beyond its name and value (sizeof(struct
// simple_xattr) on 64-bit kernels). Symlinks of shortSymlinkLen bytes or
// more take a page.
const (
	bogoDirentSize  = 20
	bogoInodeSize   = 1024
	xattrOverhead   = 40
	shortSymlinkLen = 128
)

// defaultMaxInodes is the inode limit of a mount whose Options.MaxInodes
// is 0. Linux derives its default from the machine's memory; the sandbox
// uses a fixed number, which also bounds extended attributes (that live
// in the sentry's heap) to 1 GiB per mount.
const defaultMaxInodes = 1 << 20

// defaultReportedSize is the size statfs(2) reports for a mount without
// MaxSize: the size of the memory file, which is the real limit.
const defaultReportedSize = pgalloc.DefaultCapacity

// Options configure a tmpfs instance.
type Options struct {
	// RootMode is the permission bits of the root directory (07777
	// bits); 0 means 01777, Linux's default.
	RootMode uint32
	// RootUID and RootGID own the root directory.
	RootUID auth.UID
	RootGID auth.GID
	// MaxSize limits the bytes (in pages) all regular files and long
	// symlinks may use; 0 is unlimited. Allocations beyond it fail with
	// ENOSPC.
	MaxSize uint64
	// MaxInodes limits the inodes and, with them, the space of extended
	// attributes (see the package comment); 0 is defaultMaxInodes.
	MaxInodes uint64
	// Name is the file system type shown in /proc/mounts; "" is "tmpfs".
	Name string
	// OpenDevice opens the device rdev for a character or block device
	// node found at vd (the /dev implementation provides it). Opening a
	// device node without it fails with ENXIO.
	OpenDevice func(ctx vfs.Context, vd vfs.VirtualDentry, rdev uint64, flags uint32) (vfs.FileDescription, error)
}

// filesystem is one tmpfs instance (a superblock).
type filesystem struct {
	mf   *pgalloc.MemoryFile
	opts Options
	// vfsfs is the VFS's view of this file system; set once by
	// NewFilesystem.
	vfsfs *vfs.Filesystem

	nextIno atomic.Uint64

	// maxPages is MaxSize in pages (0: unlimited); usedPages counts the
	// pages of all files.
	maxPages  uint64
	usedPages atomic.Uint64

	// maxInodes is the inode limit; freeIspace is what is left of the
	// inode space (maxInodes * bogoInodeSize).
	maxInodes  uint64
	freeIspace atomic.Uint64
}

var _ vfs.FilesystemImpl = (*filesystem)(nil)

// NewFilesystem makes a tmpfs whose file data lives in mf, and returns it
// with its root directory.
func NewFilesystem(v *vfs.VirtualFilesystem, mf *pgalloc.MemoryFile, opts Options) (*vfs.Filesystem, vfs.Inode) {
	if opts.Name == "" {
		opts.Name = "tmpfs"
	}
	fs := &filesystem{mf: mf, opts: opts, maxInodes: opts.MaxInodes}
	if fs.maxInodes == 0 {
		fs.maxInodes = defaultMaxInodes
	}
	// A MaxSize below one page allows no page at all (reservePages
	// checks MaxSize, not maxPages, for "unlimited").
	fs.maxPages = opts.MaxSize / pageSize
	fs.freeIspace.Store(fs.maxInodes * bogoInodeSize)
	fs.vfsfs = v.NewFilesystem(fs)
	mode := opts.RootMode & 07777
	if opts.RootMode == 0 {
		mode = 01777
	}
	// The root takes its share of the inode space like any inode; a new
	// file system always has room for it (maxInodes >= 1).
	fs.freeIspace.Add(^uint64(bogoInodeSize - 1))
	root := fs.newDir(vfs.CreateOptions{Mode: linux.S_IFDIR | mode, UID: opts.RootUID, GID: opts.RootGID})
	return fs.vfsfs, root
}

// NewInternalMount makes a tmpfs that no mount namespace shows and returns
// its mount: the home of memfd_create(2) files (NewMemfd).
func NewInternalMount(v *vfs.VirtualFilesystem, mf *pgalloc.MemoryFile) *vfs.Mount {
	fs, root := NewFilesystem(v, mf, Options{})
	return v.NewMountNamespace(fs, root, "tmpfs", vfs.MountFlags{}).Root().Mount
}

// Name implements vfs.FilesystemImpl.
func (fs *filesystem) Name() string { return fs.opts.Name }

// StatFS implements vfs.FilesystemImpl.
func (fs *filesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	blocks := fs.maxPages
	if blocks == 0 {
		blocks = defaultReportedSize / pageSize
	}
	used := fs.usedPages.Load()
	free := uint64(0)
	if used < blocks {
		free = blocks - used
	}
	return linux.Statfs{
		Type:    linux.TMPFS_MAGIC,
		Bsize:   pageSize,
		Blocks:  blocks,
		Bfree:   free,
		Bavail:  free,
		Files:   fs.maxInodes,
		Ffree:   fs.freeIspace.Load() / bogoInodeSize,
		Namelen: linux.NAME_MAX,
		Frsize:  pageSize,
	}, nil
}

// Release implements vfs.FilesystemImpl. Files that are still open keep
// their data until they are closed; nothing else needs to be done.
func (fs *filesystem) Release() {}

// reservePages accounts n more pages against MaxSize.
func (fs *filesystem) reservePages(n uint64) error {
	for {
		used := fs.usedPages.Load()
		if fs.opts.MaxSize != 0 && (used+n > fs.maxPages || used+n < used) {
			return linux.ENOSPC
		}
		if fs.usedPages.CompareAndSwap(used, used+n) {
			return nil
		}
	}
}

// unreservePages returns n pages reserved by reservePages.
func (fs *filesystem) unreservePages(n uint64) {
	fs.usedPages.Add(^(n - 1))
}

// reserveIspace takes n bytes of the inode space (ENOSPC if it has not
// that much left).
func (fs *filesystem) reserveIspace(n uint64) error {
	for {
		free := fs.freeIspace.Load()
		if free < n {
			return linux.ENOSPC
		}
		if fs.freeIspace.CompareAndSwap(free, free-n) {
			return nil
		}
	}
}

// releaseIspace gives back n bytes of the inode space.
func (fs *filesystem) releaseIspace(n uint64) {
	fs.freeIspace.Add(n)
}

// now is the current time for timestamps, in nanoseconds since the epoch.
func now() int64 { return time.Now().UnixNano() }
