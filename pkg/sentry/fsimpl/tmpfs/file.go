package tmpfs

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// RegularFile is an open tmpfs regular file (or memfd).
type RegularFile struct {
	vfs.FileBase
	inode *regularInode

	// offMu protects off and serialises the file's offset-based reads
	// and writes, as Linux's f_pos_lock does.
	offMu sync.Mutex
	off   int64
}

var (
	_ vfs.PathFile       = (*RegularFile)(nil)
	_ vfs.PageMappable   = (*RegularFile)(nil)
	_ vfs.Allocator      = (*RegularFile)(nil)
	_ vfs.Appender       = (*RegularFile)(nil)
	_ vfs.ShrinkNotifier = (*RegularFile)(nil)
	_ Sealable           = (*RegularFile)(nil)
)

// Sealable is implemented by files that support F_ADD_SEALS and
// F_GET_SEALS (tmpfs regular files and memfds; other files give EINVAL).
type Sealable interface {
	// Seals returns the F_SEAL_* seals of the file.
	Seals() uint32
	// AddSeals implements F_ADD_SEALS.
	AddSeals(seals uint32) error
}

func newRegularFile(vd vfs.VirtualDentry, flags uint32, r *regularInode) *RegularFile {
	f := &RegularFile{inode: r}
	f.Init(vd, flags|linux.O_LARGEFILE, r.closed)
	return f
}

func (f *RegularFile) readable() bool {
	return f.StatusFlags()&linux.O_ACCMODE != linux.O_WRONLY
}

func (f *RegularFile) writable() bool {
	acc := f.StatusFlags() & linux.O_ACCMODE
	return acc == linux.O_WRONLY || acc == linux.O_RDWR
}

// credsOf returns the credentials of the task behind b, if it is one.
func credsOf(b vfs.Blocker) *auth.Credentials {
	if ctx, ok := b.(vfs.Context); ok {
		return ctx.Credentials()
	}
	return nil
}

// Read implements vfs.FileDescription.
func (f *RegularFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	if !f.readable() {
		return 0, linux.EBADF
	}
	f.offMu.Lock()
	n := f.inode.read(dst, uint64(f.off))
	f.off += int64(n)
	f.offMu.Unlock()
	f.inode.touchATime(f.VirtualDentry().Mount, f.StatusFlags())
	return n, nil
}

// ReadsDirect implements vfs.DirectReader: a read copies from the memory
// file and never waits.
func (f *RegularFile) ReadsDirect() bool { return true }

// PRead implements vfs.FileDescription.
func (f *RegularFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linux.EINVAL
	}
	if !f.readable() {
		return 0, linux.EBADF
	}
	n := f.inode.read(dst, uint64(off))
	f.inode.touchATime(f.VirtualDentry().Mount, f.StatusFlags())
	return n, nil
}

// Write implements vfs.FileDescription.
func (f *RegularFile) Write(b vfs.Blocker, src []byte) (int, error) {
	if !f.writable() {
		return 0, linux.EBADF
	}
	return f.writeAtOffset(b, src, f.StatusFlags()&linux.O_APPEND != 0)
}

// writeAtOffset writes at the file offset (or the end, if appending) and
// moves the offset past the data.
func (f *RegularFile) writeAtOffset(b vfs.Blocker, src []byte, appending bool) (int, error) {
	f.offMu.Lock()
	defer f.offMu.Unlock()
	n, end, err := f.inode.write(credsOf(b), src, uint64(f.off), appending)
	if n > 0 {
		f.off = int64(end)
	}
	return n, err
}

// AppendWrite implements vfs.Appender.
func (f *RegularFile) AppendWrite(b vfs.Blocker, src []byte, updateOffset bool) (int, error) {
	if !f.writable() {
		return 0, linux.EBADF
	}
	if updateOffset {
		return f.writeAtOffset(b, src, true)
	}
	n, _, err := f.inode.write(credsOf(b), src, 0, true)
	return n, err
}

// PWrite implements vfs.FileDescription. As in Linux, a file opened with
// O_APPEND appends even here.
func (f *RegularFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linux.EINVAL
	}
	if !f.writable() {
		return 0, linux.EBADF
	}
	n, _, err := f.inode.write(credsOf(b), src, uint64(off), f.StatusFlags()&linux.O_APPEND != 0)
	return n, err
}

// Seek implements vfs.FileDescription, including SEEK_DATA and SEEK_HOLE.
func (f *RegularFile) Seek(off int64, whence int) (int64, error) {
	f.offMu.Lock()
	defer f.offMu.Unlock()
	var n int64
	switch whence {
	case linux.SEEK_SET:
		n = off
	case linux.SEEK_CUR:
		n = f.off + off
	case linux.SEEK_END:
		n = int64(f.inode.size.Load()) + off
	case linux.SEEK_DATA, linux.SEEK_HOLE:
		if off < 0 {
			return 0, linux.ENXIO
		}
		p, err := f.inode.seek(uint64(off), whence)
		if err != nil {
			return 0, err
		}
		n = int64(p)
	default:
		return 0, linux.EINVAL
	}
	// A negative result is an overflow too: both operands were at most
	// MAX_LFS_FILESIZE.
	if n < 0 {
		return 0, linux.EINVAL
	}
	f.off = n
	return n, nil
}

// Ioctl implements vfs.FileDescription: FIONREAD is the number of bytes
// from the file offset to the end of the file (negative, as Linux's int,
// when the offset is beyond it).
func (f *RegularFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	if cmd != linux.FIONREAD {
		return 0, linux.ENOTTY
	}
	f.offMu.Lock()
	off := f.off
	f.offMu.Unlock()
	n := int32(int64(f.inode.size.Load()) - off)
	if err := usermem.CopyOutUint32(mem, arg, uint32(n)); err != nil {
		return 0, err
	}
	return 0, nil
}

// Allocate implements vfs.Allocator: fallocate(2) modes 0, KEEP_SIZE and
// PUNCH_HOLE|KEEP_SIZE. Like Linux's tmpfs, every other mode (including
// ZERO_RANGE) is EOPNOTSUPP.
func (f *RegularFile) Allocate(ctx vfs.Context, mode uint32, off, length uint64) error {
	if int64(off) < 0 || int64(length) <= 0 {
		return linux.EINVAL
	}
	if mode&^(linux.FALLOC_FL_KEEP_SIZE|linux.FALLOC_FL_PUNCH_HOLE) != 0 {
		return linux.EOPNOTSUPP
	}
	if mode&linux.FALLOC_FL_PUNCH_HOLE != 0 && mode&linux.FALLOC_FL_KEEP_SIZE == 0 {
		return linux.EOPNOTSUPP
	}
	if !f.writable() {
		return linux.EBADF
	}
	if off+length > maxFileSize || off+length < off {
		return linux.EFBIG
	}
	if err := f.inode.allocate(mode, off, length); err != nil {
		return err
	}
	if mode&linux.FALLOC_FL_PUNCH_HOLE != 0 {
		f.inode.touchCMTime()
	} else {
		f.inode.touchCTime()
	}
	return nil
}

// MMapSource implements vfs.Mappable.
func (f *RegularFile) MMapSource() vfs.MMapSource { return vfs.MMapPages }

// WatchShrink implements vfs.ShrinkNotifier.
func (f *RegularFile) WatchShrink(w vfs.SizeWatcher) func() { return f.inode.watchShrink(w) }

// SharedPages implements vfs.PageMappable. Its callers take the ranges to
// be in the sentry's main memory file, so a file system over a filestore
// (a memory file on disk) refuses: its pages are had with the memory file
// they are in, through SharedPagesWithFile (memfile.go).
func (f *RegularFile) SharedPages(off, length uint64) ([]vfs.MemoryRange, error) {
	if f.inode.fs.mf.OnDisk() {
		return nil, linux.ENODEV
	}
	return f.inode.sharedPages(off, length)
}

// Seals implements Sealable.
func (f *RegularFile) Seals() uint32 { return f.inode.Seals() }

// AddSeals implements Sealable: the file must be open for writing
// (EPERM), the seals known (EINVAL), and the file not sealed against
// sealing (EPERM).
//
// F_SEAL_WRITE does not check for writable shared mappings (Linux fails
// with EBUSY): the memory manager does not report them to the file yet.
func (f *RegularFile) AddSeals(seals uint32) error {
	if !f.writable() {
		return linux.EPERM
	}
	return f.inode.addSeals(seals)
}
