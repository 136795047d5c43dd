package tmpfs

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/pipe"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// symlinkInode is a symbolic link. Targets of shortSymlinkLen bytes or
// more take a page of the mount's size, as Linux's do.
type symlinkInode struct {
	inode
	target string
}

var _ vfs.SymlinkInode = (*symlinkInode)(nil)

// newSymlink makes a symlink inode; the caller has reserved its inode
// space.
func (fs *filesystem) newSymlink(target string, opts vfs.CreateOptions) (*symlinkInode, error) {
	s := &symlinkInode{target: target}
	if len(target) >= shortSymlinkLen {
		if err := fs.reservePages(1); err != nil {
			return nil, err
		}
		s.pages.Store(1)
	}
	s.init(fs, opts, 1)
	s.size.Store(uint64(len(target)))
	return s, nil
}

// release gives back the page of a long target.
func (s *symlinkInode) release() {
	if s.pages.Swap(0) != 0 {
		s.fs.unreservePages(1)
	}
}

// Readlink implements vfs.SymlinkInode.
func (s *symlinkInode) Readlink(ctx vfs.Context) (string, error) { return s.target, nil }

// SetStat implements vfs.Inode.
func (s *symlinkInode) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	return s.setStat(opts)
}

// Open implements vfs.Inode. The VFS opens symlinks only with O_PATH (or
// fails with ELOOP) and does not get here; ELOOP is the answer if it did.
func (s *symlinkInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// specialInode is a device node, FIFO or socket: a name with attributes,
// whose open file comes from elsewhere.
type specialInode struct {
	inode
	// fifo is the pipe every open of a FIFO shares (unused for other
	// types).
	fifo pipe.FIFO
}

// newSpecial makes a device node, FIFO or socket inode; the caller has
// reserved its inode space.
func (fs *filesystem) newSpecial(opts vfs.CreateOptions) *specialInode {
	n := &specialInode{}
	n.init(fs, opts, 1)
	if t := n.typ; t == linux.S_IFCHR || t == linux.S_IFBLK {
		n.rdev = opts.Dev
	}
	return n
}

// SetStat implements vfs.Inode.
func (n *specialInode) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	return n.setStat(opts)
}

// Open implements vfs.Inode: a character device node opens the device
// through Options.OpenDevice (ENXIO without one), a FIFO opens an end of
// its pipe (and may block until the other side opens, fifo(7)). The
// sandbox has no block devices, and sockets cannot be opened: both are
// ENXIO, as Linux answers for a missing block device and for a socket.
func (n *specialInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	switch n.typ {
	case linux.S_IFCHR:
		if n.fs.opts.OpenDevice == nil {
			return nil, linux.ENXIO
		}
		return n.fs.opts.OpenDevice(ctx, vd, n.rdev, flags)
	case linux.S_IFIFO:
		return n.fifo.Open(ctx, vd, flags)
	default:
		return nil, linux.ENXIO
	}
}
