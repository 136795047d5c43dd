package proc

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/epoll"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/pipe"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// FDNamer is implemented by files outside the VFS that know what
// /proc/PID/fd/N shows for them, in Linux's "type:[id]" form
// ("pipe:[1234]", "socket:[5678]", "anon_inode:[timerfd]"). Files opened
// through the VFS show their path instead.
type FDNamer interface {
	FDName() string
}

// hostFile is implemented by fsimpl/host files.
type hostFile interface {
	HostFD() int
}

// fdDir is /proc/PID/fd (links to the open files) or, with info,
// /proc/PID/fdinfo (a file per descriptor).
type fdDir struct {
	dirBase
	d    *taskDir
	info bool
}

var (
	_ vfs.DirInode    = (*fdDir)(nil)
	_ vfs.Revalidator = (*fdDir)(nil)
)

// table returns the FD table the directory shows.
func (fd *fdDir) table() (*kernel.FDTable, error) {
	t, err := fd.d.task()
	if err != nil {
		return nil, err
	}
	ft := t.FDTable()
	if ft == nil {
		return nil, linux.ENOENT
	}
	return ft, nil
}

// isOpen reports whether n is an open descriptor of ft.
func isOpen(ft *kernel.FDTable, n int32) bool {
	return ft.WithFile(n, func(vfs.FileDescription, bool) {}) == nil
}

// fdIno returns the inode number of the entry for descriptor n.
func (fd *fdDir) fdIno(n int32) uint64 {
	var ino uint64 = 2 << 62
	if fd.info {
		ino = 3 << 62
	}
	if fd.d.thread {
		ino |= 1 << 61
	}
	return ino | uint64(fd.d.id)<<24 | uint64(n)
}

// Lookup implements vfs.DirInode.
func (fd *fdDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	n, ok := parseFD(name)
	if !ok {
		return nil, linux.ENOENT
	}
	ft, err := fd.table()
	if err != nil {
		return nil, linux.ENOENT
	}
	if !isOpen(ft, n) {
		return nil, linux.ENOENT
	}
	owner := fd.attrs.owner
	time := fd.attrs.time
	if fd.info {
		g := &genInode{
			attrs:    attrs{ino: fd.fdIno(n), mode: linux.S_IFREG | 0o444, nlink: 1, time: time, owner: owner},
			gen:      func(vfs.Blocker) ([]byte, error) { return fd.fdInfo(n) },
			writeErr: linux.EINVAL,
		}
		return g, nil
	}
	return &fdLink{attrs: attrs{ino: fd.fdIno(n), mode: linux.S_IFLNK | 0o500, nlink: 1, time: time, owner: owner}, dir: fd, fd: n}, nil
}

// parseFD parses a descriptor number (name_to_int's rules).
func parseFD(name string) (int32, bool) {
	id, ok := parseID(name)
	return int32(id), ok && id < kernel.NrOpen
}

// Readdir implements vfs.DirInode.
func (fd *fdDir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	ft, err := fd.table()
	if err != nil {
		return nil, nil
	}
	typ := uint8(linux.DT_LNK)
	if fd.info {
		typ = linux.DT_REG
	}
	var out []vfs.Dirent
	for _, n := range ft.FDs() {
		out = append(out, vfs.Dirent{Name: strconv.Itoa(int(n)), Type: typ, Ino: fd.fdIno(n)})
	}
	return out, nil
}

// Revalidate implements vfs.Revalidator: an entry lasts while its
// descriptor is open (the links look the file up each time, so a
// descriptor reused for another file shows the new one).
func (fd *fdDir) Revalidate(ctx vfs.Context, name string, child vfs.Inode) (bool, error) {
	n, ok := parseFD(name)
	if !ok {
		return false, nil
	}
	ft, err := fd.table()
	if err != nil {
		return false, nil
	}
	return isOpen(ft, n), nil
}

// fdInfo is the text of /proc/PID/fdinfo/N.
func (fd *fdDir) fdInfo(n int32) ([]byte, error) {
	ft, err := fd.table()
	if err != nil {
		return nil, err
	}
	f, cloexec, err := ft.Get(n)
	if err != nil {
		return nil, linux.ENOENT
	}
	defer f.DecRef()
	// lseek(fd, 0, SEEK_CUR) is the offset; files without one report 0.
	pos, err := f.Seek(0, linux.SEEK_CUR)
	if err != nil {
		pos = 0
	}
	flags := f.StatusFlags()
	if cloexec {
		flags |= linux.O_CLOEXEC
	}
	mntID := fd.d.fs.anon.ID
	if pf, ok := f.(vfs.PathFile); ok && pf.VirtualDentry().Ok() {
		mntID = pf.VirtualDentry().Mount.ID
	}
	var ino uint64
	if st, err := f.Stat(); err == nil {
		ino = st.Ino
	}
	return fmt.Appendf(nil, "pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", pos, flags, mntID, ino), nil
}

// fdLink is /proc/PID/fd/N: a magic link to the open file.
type fdLink struct {
	attrs
	dir *fdDir
	fd  int32
}

var _ vfs.MagicLinkInode = (*fdLink)(nil)

// Stat implements vfs.Inode: the permission bits say how the file is
// open (lr-x------ for reading, l-wx------ for writing), and the size is
// 64, as Linux shows.
func (l *fdLink) Stat() (linux.Statx, error) {
	st, err := l.attrs.Stat()
	st.Size = 64
	ft, terr := l.dir.table()
	if terr != nil {
		return st, err
	}
	_ = ft.WithFile(l.fd, func(f vfs.FileDescription, _ bool) {
		st.Mode = uint16(linux.S_IFLNK | 0o100 | accessBits(f.StatusFlags()))
	})
	return st, err
}

// accessBits are the owner permission bits of a file open with flags.
func accessBits(flags uint32) uint32 {
	if flags&linux.O_PATH != 0 {
		return 0
	}
	switch flags & linux.O_ACCMODE {
	case linux.O_RDONLY:
		return 0o400
	case linux.O_WRONLY:
		return 0o200
	default:
		return 0o600
	}
}

// Open implements vfs.Inode; the VFS never opens a symlink itself.
func (l *fdLink) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// access checks that ctx may look at the task's files and returns their
// table.
func (l *fdLink) access(ctx vfs.Context) (*kernel.FDTable, error) {
	t, err := l.dir.d.task()
	if err != nil {
		return nil, linux.ENOENT
	}
	if err := mayPtrace(ctx, t); err != nil {
		return nil, err
	}
	ft := t.FDTable()
	if ft == nil {
		return nil, linux.ENOENT
	}
	return ft, nil
}

// Readlink implements vfs.SymlinkInode. It is called with no VFS lock
// held, so it may take a reference on the file (and drop the last one).
func (l *fdLink) Readlink(ctx vfs.Context) (string, error) {
	ft, err := l.access(ctx)
	if err != nil {
		return "", err
	}
	f, _, err := ft.Get(l.fd)
	if err != nil {
		return "", linux.ENOENT
	}
	defer f.DecRef()
	return l.dir.d.fs.fdName(ctx, f), nil
}

// Follow implements vfs.MagicLinkInode: the location the file was opened
// at, or, for a file outside the VFS, an unnamed location whose inode is
// the file (stat works; open reopens host files and fails with ENXIO for
// the others, as Linux does for anonymous inodes and sockets). Follow runs
// during a path walk with VFS locks held, so it takes no reference.
func (l *fdLink) Follow(ctx vfs.Context) (vfs.VirtualDentry, error) {
	ft, err := l.access(ctx)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	var vd vfs.VirtualDentry
	var file vfs.FileDescription
	err = ft.WithFile(l.fd, func(f vfs.FileDescription, _ bool) {
		if pf, ok := f.(vfs.PathFile); ok && pf.VirtualDentry().Ok() {
			vd = pf.VirtualDentry()
			return
		}
		file = f
	})
	if err != nil {
		return vfs.VirtualDentry{}, linux.ENOENT
	}
	if vd.Ok() {
		return vd, nil
	}
	uid, gid := l.owner()
	target := &fdTarget{table: ft, fd: l.fd, file: file, ino: l.ino, uid: uid, gid: gid}
	fs := l.dir.d.fs
	return vfs.VirtualDentry{Mount: fs.anon, Dentry: fs.v.NewRootDentry(fs.anon.Filesystem(), target)}, nil
}

// fdName is what /proc/PID/fd/N shows for f: its path from ctx's root for
// files opened through the VFS, Linux's "type:[id]" text for the others.
func (fs *filesystem) fdName(ctx vfs.Context, f vfs.FileDescription) string {
	switch f := f.(type) {
	case FDNamer:
		return f.FDName()
	case *eventfd.File:
		return "anon_inode:[eventfd]"
	case *epoll.EventPoll:
		return "anon_inode:[eventpoll]"
	}
	if pf, ok := f.(vfs.PathFile); ok && pf.VirtualDentry().Ok() {
		p, _ := fs.v.PathName(fs.rootOf(ctx), pf.VirtualDentry())
		return p
	}
	st, err := f.Stat()
	if err != nil {
		return "anon_inode:[unknown]"
	}
	if _, ok := f.(hostFile); ok {
		return hostFileName(st)
	}
	return "anon_inode:[unknown]"
}

// hostFileName names a host file by its type: pipes and sockets as Linux
// does, character devices by the /dev name Linux gives their number, and
// other files (whose host path the sentry must not know) as
// "host:[inode]".
func hostFileName(st linux.Stat) string {
	switch st.Mode & linux.S_IFMT {
	case linux.S_IFIFO:
		return fmt.Sprintf("pipe:[%d]", st.Ino)
	case linux.S_IFSOCK:
		return fmt.Sprintf("socket:[%d]", st.Ino)
	case linux.S_IFCHR:
		return charDeviceName(linux.DecodeDev(st.Rdev))
	}
	return fmt.Sprintf("host:[%d]", st.Ino)
}

// charDeviceName returns the /dev path of a character device number, from
// Documentation/admin-guide/devices.txt.
func charDeviceName(major, minor uint32) string {
	switch {
	case major == 1:
		switch minor {
		case 3:
			return "/dev/null"
		case 5:
			return "/dev/zero"
		case 7:
			return "/dev/full"
		case 8:
			return "/dev/random"
		case 9:
			return "/dev/urandom"
		}
	case major == 4 && minor < 64:
		return fmt.Sprintf("/dev/tty%d", minor)
	case major == 4:
		return fmt.Sprintf("/dev/ttyS%d", minor-64)
	case major == 5 && minor == 0:
		return "/dev/tty"
	case major == 5 && minor == 1:
		return "/dev/console"
	case major == 5 && minor == 2:
		return "/dev/ptmx"
	case major >= 136 && major <= 143:
		// UNIX98 pseudo-terminal slaves.
		return fmt.Sprintf("/dev/pts/%d", (major-136)<<8|minor)
	}
	return fmt.Sprintf("/dev/char/%d:%d", major, minor)
}

// fdTarget is the inode a /proc/PID/fd/N link leads to when the file was
// not opened through the VFS. It refers to the file by descriptor and
// checks, each time, that the descriptor still holds the same file: a
// descriptor closed (and maybe reused) since the walk gives ENOENT.
type fdTarget struct {
	table *kernel.FDTable
	fd    int32
	// file is compared, never used without a reference from table.
	file     vfs.FileDescription
	ino      uint64
	uid, gid uint32
}

var _ vfs.OwnDeviceInode = (*fdTarget)(nil)

// pin returns the file with a reference, if fd still holds it.
func (t *fdTarget) pin() (vfs.FileDescription, error) {
	f, _, err := t.table.Get(t.fd)
	if err != nil {
		return nil, linux.ENOENT
	}
	if f != t.file {
		f.DecRef()
		return nil, linux.ENOENT
	}
	return f, nil
}

// Stat implements vfs.Inode: the file's own attributes, owned by the
// task that holds it (a host file's owner means nothing in the sandbox).
func (t *fdTarget) Stat() (linux.Statx, error) {
	f, err := t.pin()
	if err != nil {
		return linux.Statx{}, err
	}
	defer f.DecRef()
	st, err := f.Stat()
	if err != nil {
		return linux.Statx{}, err
	}
	rmaj, rmin := linux.DecodeDev(st.Rdev)
	dmaj, dmin := linux.DecodeDev(st.Dev)
	return linux.Statx{
		Mask:      linux.STATX_BASIC_STATS,
		Blksize:   uint32(st.Blksize),
		Nlink:     uint32(st.Nlink),
		UID:       t.uid,
		GID:       t.gid,
		Mode:      uint16(st.Mode),
		Ino:       st.Ino,
		Size:      uint64(st.Size),
		Blocks:    uint64(st.Blocks),
		Atime:     linux.StatxTimestamp{Sec: st.ATime.Sec, Nsec: uint32(st.ATime.Nsec)},
		Mtime:     linux.StatxTimestamp{Sec: st.MTime.Sec, Nsec: uint32(st.MTime.Nsec)},
		Ctime:     linux.StatxTimestamp{Sec: st.CTime.Sec, Nsec: uint32(st.CTime.Nsec)},
		RdevMajor: rmaj,
		RdevMinor: rmin,
		DevMajor:  dmaj,
		DevMinor:  dmin,
	}, nil
}

// HasOwnDevice implements vfs.OwnDeviceInode: stat through the link
// reports the file's st_dev, as fstat of the descriptor does.
func (t *fdTarget) HasOwnDevice() {}

// SetStat implements vfs.Inode.
func (t *fdTarget) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error { return linux.EPERM }

// Open implements vfs.Inode: a host file (the application's stdio) is
// reopened as a new open file sharing the host file description, which
// is what opening /dev/stdin gives on Linux for a terminal or a pipe. The
// new file may be opened for at most the access the original has (Linux
// would check the terminal's permissions, or open the pipe's other end).
// A sandbox pipe opens a new end of the same pipe for flags' access mode
// (as Linux, which opens a pipe's inode like a FIFO's). Other files fail
// with ENXIO, as Linux's anonymous inodes do.
func (t *fdTarget) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	f, err := t.pin()
	if err != nil {
		return nil, err
	}
	defer f.DecRef()
	if pf, ok := f.(*pipe.File); ok {
		return pf.Reopen(flags)
	}
	hf, ok := f.(hostFile)
	if !ok {
		return nil, linux.ENXIO
	}
	if accessBits(flags)&^accessBits(f.StatusFlags()) != 0 {
		return nil, linux.EACCES
	}
	nfd, err := unix.FcntlInt(uintptr(hf.HostFD()), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		if e, ok := err.(unix.Errno); ok {
			return nil, linux.Errno(e)
		}
		return nil, fmt.Errorf("proc: reopen host fd %d: %w", hf.HostFD(), err)
	}
	nf, err := host.NewFD(nfd)
	if err != nil {
		unix.Close(nfd)
		return nil, err
	}
	if err := nf.SetStatusFlags(flags); err != nil {
		nf.DecRef()
		return nil, err
	}
	return nf, nil
}
