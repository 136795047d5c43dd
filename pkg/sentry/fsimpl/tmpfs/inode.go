package tmpfs

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// node is implemented by every tmpfs inode type.
type node interface {
	vfs.Inode
	vfs.XattrInode
	base() *inode
}

// inode holds what every tmpfs file has: identity, attributes and
// extended attributes. The concrete types (dirInode, regularInode,
// symlinkInode, specialInode) embed it.
type inode struct {
	fs  *filesystem
	ino uint64
	// typ is the S_IFMT bits of the mode; rdev the device number of a
	// device node. Both are immutable.
	typ  uint32
	rdev uint64

	// size is st_size (a regular file's size is changed with
	// regularInode.dataMu held, a directory's with its mu held). pages
	// counts the pages the file uses (st_blocks is 8 per page).
	size  atomic.Uint64
	pages atomic.Uint64

	// mu protects the fields below. It is a leaf lock.
	mu    sync.Mutex
	mode  uint32 // the 07777 bits
	uid   auth.UID
	gid   auth.GID
	nlink uint32
	// Timestamps, in nanoseconds since the epoch.
	atime, mtime, ctime, btime int64
	// xattrs are the extended attributes; xattrSpace is the inode
	// space they take.
	xattrs     map[string][]byte
	xattrSpace uint64
	// evicted is set when the inode's last link (and, for a regular
	// file, last open file) is gone and its space has been given back.
	evicted bool
}

// init sets up a new inode of fs with the attributes of opts.
func (i *inode) init(fs *filesystem, opts vfs.CreateOptions, nlink uint32) {
	t := now()
	i.fs = fs
	i.ino = fs.nextIno.Add(1)
	i.typ = opts.Mode & linux.S_IFMT
	i.mode = opts.Mode & 07777
	i.uid, i.gid = opts.UID, opts.GID
	i.nlink = nlink
	i.atime, i.mtime, i.ctime, i.btime = t, t, t, t
}

func (i *inode) base() *inode { return i }

func toStatxTime(ns int64) linux.StatxTimestamp {
	return linux.StatxTimestamp{Sec: ns / 1e9, Nsec: uint32(ns % 1e9)}
}

func fromTimespec(ts linux.Timespec) int64 { return ts.Sec*1e9 + ts.Nsec }

// Stat implements vfs.Inode.
func (i *inode) Stat() (linux.Statx, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	sx := linux.Statx{
		Mask:    linux.STATX_BASIC_STATS | linux.STATX_BTIME,
		Blksize: pageSize,
		Nlink:   i.nlink,
		UID:     uint32(i.uid),
		GID:     uint32(i.gid),
		Mode:    uint16(i.typ | i.mode),
		Ino:     i.ino,
		Size:    i.size.Load(),
		Blocks:  i.pages.Load() * (pageSize / 512),
		Atime:   toStatxTime(i.atime),
		Btime:   toStatxTime(i.btime),
		Ctime:   toStatxTime(i.ctime),
		Mtime:   toStatxTime(i.mtime),
	}
	sx.RdevMajor, sx.RdevMinor = linux.DecodeDev(i.rdev)
	return sx, nil
}

// setStatLocked applies the attribute changes of opts other than the
// size, which the VFS has checked, and updates the ctime.
//
// Preconditions: i.mu is held.
func (i *inode) setStatLocked(opts *vfs.SetStatOptions, t int64) {
	if opts.Mask&linux.STATX_MODE != 0 {
		i.mode = opts.Mode & 07777
	}
	if opts.Mask&linux.STATX_UID != 0 {
		i.uid = opts.UID
	}
	if opts.Mask&linux.STATX_GID != 0 {
		i.gid = opts.GID
	}
	if opts.Mask&linux.STATX_ATIME != 0 {
		i.atime = fromTimespec(opts.Atime)
	}
	if opts.Mask&linux.STATX_MTIME != 0 {
		i.mtime = fromTimespec(opts.Mtime)
	}
	i.ctime = t
}

// setStat is SetStat for inodes without a size to change.
func (i *inode) setStat(opts vfs.SetStatOptions) error {
	if opts.Mask&linux.STATX_SIZE != 0 {
		if i.typ == linux.S_IFDIR {
			return linux.EISDIR
		}
		return linux.EINVAL
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.setStatLocked(&opts, now())
	return nil
}

// touchCMTime sets the ctime and mtime to now (a directory's entries or a
// file's contents changed).
func (i *inode) touchCMTime() {
	t := now()
	i.mu.Lock()
	i.mtime, i.ctime = t, t
	i.mu.Unlock()
}

// touchCTime sets the ctime to now (the inode's link count changed).
func (i *inode) touchCTime() {
	t := now()
	i.mu.Lock()
	i.ctime = t
	i.mu.Unlock()
}

// touchATime updates the access time after a read, with Linux's relatime
// rule: only if it is not newer than the mtime or ctime, or is a day old.
func (i *inode) touchATime(mnt *vfs.Mount, flags uint32) {
	if flags&linux.O_NOATIME != 0 || (mnt != nil && mnt.Flags().NoATime) {
		return
	}
	t := now()
	i.mu.Lock()
	if i.atime <= i.mtime || i.atime <= i.ctime || t-i.atime >= 24*3600*1e9 {
		i.atime = t
	}
	i.mu.Unlock()
}

// dropLink removes one link (unlink, rename over the file) and reports
// whether none is left.
func (i *inode) dropLink() bool {
	t := now()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.nlink > 0 {
		i.nlink--
	}
	i.ctime = t
	return i.nlink == 0
}

// evict gives back the inode's share of the inode space and its
// extended attributes, once.
func (i *inode) evict() {
	i.mu.Lock()
	if i.evicted {
		i.mu.Unlock()
		return
	}
	i.evicted = true
	space := i.xattrSpace + bogoInodeSize
	i.xattrs, i.xattrSpace = nil, 0
	i.mu.Unlock()
	i.fs.releaseIspace(space)
}

// xattrNamespaceOK reports whether tmpfs stores extended attributes called
// name: the user, trusted and security namespaces (not system, whose
// POSIX ACLs tmpfs does not implement here).
func xattrNamespaceOK(name string) bool {
	return strings.HasPrefix(name, "user.") || strings.HasPrefix(name, "trusted.") || strings.HasPrefix(name, "security.")
}

// xattrSpace is the inode space an extended attribute takes
// (simple_xattr_space).
func xattrSpace(name string, size int) uint64 {
	return xattrOverhead + uint64(len(name)) + 1 + uint64(size)
}

// GetXattr implements vfs.XattrInode. size 0 asks for the whole value
// (getxattr's size query); a smaller non-zero size is ERANGE.
func (i *inode) GetXattr(ctx vfs.Context, name string, size uint64) ([]byte, error) {
	if !xattrNamespaceOK(name) {
		return nil, linux.EOPNOTSUPP
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	v, ok := i.xattrs[name]
	if !ok {
		return nil, linux.ENODATA
	}
	if size != 0 && size < uint64(len(v)) {
		return nil, linux.ERANGE
	}
	return append([]byte{}, v...), nil
}

// SetXattr implements vfs.XattrInode.
func (i *inode) SetXattr(ctx vfs.Context, name string, value []byte, flags uint32) error {
	if !xattrNamespaceOK(name) {
		return linux.EOPNOTSUPP
	}
	if len(value) > linux.XATTR_SIZE_MAX {
		return linux.E2BIG
	}
	space := xattrSpace(name, len(value))
	if err := i.fs.reserveIspace(space); err != nil {
		return err
	}
	t := now()
	i.mu.Lock()
	old, exists := i.xattrs[name]
	var err error
	switch {
	case i.evicted:
		// An inode whose last link and file are gone cannot gain
		// attributes any more (nothing can reach it but a stale O_PATH
		// file); its space has been given back.
		err = linux.ENOENT
	case exists && flags&linux.XATTR_CREATE != 0:
		err = linux.EEXIST
	case !exists && flags&linux.XATTR_REPLACE != 0:
		err = linux.ENODATA
	}
	if err != nil {
		i.mu.Unlock()
		i.fs.releaseIspace(space)
		return err
	}
	var freed uint64
	if exists {
		freed = xattrSpace(name, len(old))
	}
	if i.xattrs == nil {
		i.xattrs = make(map[string][]byte)
	}
	i.xattrs[name] = append([]byte{}, value...)
	i.xattrSpace += space - freed
	i.ctime = t
	i.mu.Unlock()
	if freed != 0 {
		i.fs.releaseIspace(freed)
	}
	return nil
}

// ListXattr implements vfs.XattrInode: the names in sorted order, without
// trusted.* for callers without CAP_SYS_ADMIN. size 0 asks for all; a
// smaller non-zero size than the list needs (names with their NULs) is
// ERANGE.
func (i *inode) ListXattr(ctx vfs.Context, size uint64) ([]string, error) {
	trusted := ctx.Credentials().HasCapability(linux.CAP_SYS_ADMIN)
	i.mu.Lock()
	names := make([]string, 0, len(i.xattrs))
	var total uint64
	for name := range i.xattrs {
		if !trusted && strings.HasPrefix(name, "trusted.") {
			continue
		}
		names = append(names, name)
		total += uint64(len(name)) + 1
	}
	i.mu.Unlock()
	if size != 0 && size < total {
		return nil, linux.ERANGE
	}
	sort.Strings(names)
	return names, nil
}

// RemoveXattr implements vfs.XattrInode.
func (i *inode) RemoveXattr(ctx vfs.Context, name string) error {
	if !xattrNamespaceOK(name) {
		return linux.EOPNOTSUPP
	}
	t := now()
	i.mu.Lock()
	v, ok := i.xattrs[name]
	if !ok {
		i.mu.Unlock()
		return linux.ENODATA
	}
	delete(i.xattrs, name)
	space := xattrSpace(name, len(v))
	i.xattrSpace -= space
	i.ctime = t
	i.mu.Unlock()
	i.fs.releaseIspace(space)
	return nil
}
