package gofer

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// regularFile is an open regular file. With a donated host FD, data moves
// with pread/pwrite on it; otherwise with PRead/PWrite requests on the
// gofer's open FD. The offset is the sentry's: the host FD's own offset is
// never used.
type regularFile struct {
	vfs.FileBase
	in *inode
	// fd is the gofer's open FD of the file.
	fd lisafs.FDID
	// hostFD is the donated host FD, or -1.
	hostFD int

	// mu protects off.
	mu  sync.Mutex
	off int64
}

var (
	_ vfs.PathFile  = (*regularFile)(nil)
	_ vfs.Mappable  = (*regularFile)(nil)
	_ vfs.Syncer    = (*regularFile)(nil)
	_ vfs.Allocator = (*regularFile)(nil)
	_ vfs.Appender  = (*regularFile)(nil)
)

// openFlagsPassed are the open(2) flags that reach the gofer's open:
// synchronous writes matter to the host file; O_APPEND is done by the
// sentry (pwrite must honour the offset it is given), O_TRUNC and O_CREAT
// by the VFS, and O_DIRECT would impose alignment rules on the sentry's
// buffers.
const openFlagsPassed = linux.O_DSYNC | linux.O_SYNC

// openRegular opens the regular file in.
func (in *inode) openRegular(vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	fs := in.fs
	acc := flags & linux.O_ACCMODE
	writable := acc == linux.O_WRONLY || acc == linux.O_RDWR
	if writable && fs.opts.ReadOnly {
		return nil, linux.EROFS
	}
	if in.isClosed() {
		return nil, linux.ENOENT
	}
	var fd lisafs.FDID
	hostFD := -1
	if p := in.takePending(); p != nil {
		// Opened read-write by the create: enough for any access mode,
		// which the file description enforces itself.
		fd, hostFD = p.fd, p.hostFD
	} else {
		hostAcc := acc
		if acc == linux.O_ACCMODE {
			// Linux's "no read, no write" mode: ioctls only.
			hostAcc = linux.O_RDONLY
		}
		var err error
		fd, hostFD, err = fs.client.OpenAt(in.controlFD, hostAcc|flags&openFlagsPassed)
		if err != nil {
			return nil, fs.rpcErr("open", "", err)
		}
	}
	in.incRef()
	f := &regularFile{in: in, fd: fd, hostFD: hostFD}
	f.Init(vd, flags, f.release)
	return f, nil
}

// release closes the file's FDs when its last reference is dropped.
func (f *regularFile) release() {
	if f.hostFD >= 0 {
		unix.Close(f.hostFD)
		f.hostFD = -1
	}
	f.in.fs.closeFD(f.fd)
	f.in.decRef()
}

func (f *regularFile) readable() bool {
	acc := f.StatusFlags() & linux.O_ACCMODE
	return acc == linux.O_RDONLY || acc == linux.O_RDWR
}

func (f *regularFile) writable() bool {
	acc := f.StatusFlags() & linux.O_ACCMODE
	return acc == linux.O_WRONLY || acc == linux.O_RDWR
}

// hostErr turns a host errno into the guest's (same numbers on x86-64).
func hostErr(err error) error {
	if e, ok := err.(unix.Errno); ok {
		return linux.Errno(e)
	}
	return linux.EIO
}

// readAt reads at off from the host FD or through the gofer.
func (f *regularFile) readAt(dst []byte, off int64) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	if f.hostFD >= 0 {
		for {
			n, err := unix.Pread(f.hostFD, dst, off)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return 0, hostErr(err)
			}
			return n, nil
		}
	}
	n, err := f.in.fs.client.PRead(f.fd, uint64(off), dst)
	if n < 0 || n > len(dst) {
		return 0, linux.EIO
	}
	if err != nil && n == 0 {
		return 0, f.in.fs.rpcErr("pread", "", err)
	}
	return n, nil
}

// writeAt writes src at off to the host FD or through the gofer, and
// records the new size.
func (f *regularFile) writeAt(src []byte, off int64) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	if off > math.MaxInt64-int64(len(src)) {
		return 0, linux.EFBIG
	}
	var n int
	var err error
	if f.hostFD >= 0 {
		for n < len(src) {
			var m int
			m, err = unix.Pwrite(f.hostFD, src[n:], off+int64(n))
			if err == unix.EINTR {
				err = nil
				continue
			}
			if err != nil {
				err = hostErr(err)
				break
			}
			if m == 0 {
				break
			}
			n += m
		}
	} else {
		n, err = f.in.fs.client.PWrite(f.fd, uint64(off), src)
		if n < 0 || n > len(src) {
			n, err = 0, linux.EIO
		} else if err != nil {
			err = f.in.fs.rpcErr("pwrite", "", err)
		}
	}
	if n > 0 {
		f.in.grewTo(off + int64(n))
		// A partial write succeeds; the error shows at the next one.
		return n, nil
	}
	return 0, err
}

// Read implements vfs.FileDescription.
func (f *regularFile) Read(b vfs.Blocker, dst []byte) (int, error) {
	if !f.readable() {
		return 0, linux.EBADF
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt(dst, f.off)
	f.off += int64(n)
	return n, err
}

// ReadsDirect implements vfs.DirectReader: reads of a donated host FD
// are host preads.
func (f *regularFile) ReadsDirect() bool { return f.hostFD >= 0 }

// PRead implements vfs.FileDescription.
func (f *regularFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	if !f.readable() {
		return 0, linux.EBADF
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	return f.readAt(dst, off)
}

// Write implements vfs.FileDescription. O_APPEND writes are serialised
// per inode and land at the size the sentry knows (fetched first in
// Shared mode).
func (f *regularFile) Write(b vfs.Blocker, src []byte) (int, error) {
	if !f.writable() {
		return 0, linux.EBADF
	}
	return f.writeAtOffset(src, f.StatusFlags()&linux.O_APPEND != 0)
}

// writeAtOffset writes at the file offset (or the end, if appending) and
// moves the offset past the data.
func (f *regularFile) writeAtOffset(src []byte, appending bool) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	off := f.off
	if appending {
		f.in.writeMu.Lock()
		defer f.in.writeMu.Unlock()
		size, err := f.in.size()
		if err != nil {
			return 0, err
		}
		off = size
	}
	n, err := f.writeAt(src, off)
	f.off = off + int64(n)
	return n, err
}

// AppendWrite implements vfs.Appender.
func (f *regularFile) AppendWrite(b vfs.Blocker, src []byte, updateOffset bool) (int, error) {
	if !f.writable() {
		return 0, linux.EBADF
	}
	if updateOffset {
		return f.writeAtOffset(src, true)
	}
	return f.appendAt(src)
}

// PWrite implements vfs.FileDescription. As on Linux, a file opened with
// O_APPEND appends whatever the offset.
func (f *regularFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	if !f.writable() {
		return 0, linux.EBADF
	}
	if off < 0 {
		return 0, linux.EINVAL
	}
	if f.StatusFlags()&linux.O_APPEND != 0 {
		return f.appendAt(src)
	}
	return f.writeAt(src, off)
}

// appendAt writes src at the end of the file, leaving the file offset.
func (f *regularFile) appendAt(src []byte) (int, error) {
	f.in.writeMu.Lock()
	defer f.in.writeMu.Unlock()
	size, err := f.in.size()
	if err != nil {
		return 0, err
	}
	return f.writeAt(src, size)
}

// Seek implements vfs.FileDescription.
func (f *regularFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	switch whence {
	case linux.SEEK_SET:
		n = off
	case linux.SEEK_CUR:
		if (off > 0 && f.off > math.MaxInt64-off) || (off < 0 && f.off+off < 0) {
			return 0, linux.EINVAL
		}
		n = f.off + off
	case linux.SEEK_END:
		size, err := f.in.size()
		if err != nil {
			return 0, err
		}
		if off > 0 && size > math.MaxInt64-off {
			return 0, linux.EINVAL
		}
		n = size + off
	case linux.SEEK_DATA, linux.SEEK_HOLE:
		if f.hostFD >= 0 {
			// The host file knows its holes; its offset is not used
			// for anything else.
			r, err := unix.Seek(f.hostFD, off, whence)
			if err != nil {
				return 0, hostErr(err)
			}
			n = r
			break
		}
		size, err := f.in.size()
		if err != nil {
			return 0, err
		}
		if off < 0 || off >= size {
			return 0, linux.ENXIO
		}
		// Without the host file: all data, one hole at the end.
		n = off
		if whence == linux.SEEK_HOLE {
			n = size
		}
	default:
		return 0, linux.EINVAL
	}
	if n < 0 {
		return 0, linux.EINVAL
	}
	f.off = n
	return n, nil
}

// Ioctl implements vfs.FileDescription: FIONREAD is the size minus the
// offset, as Linux's do_vfs_ioctl stores it (an int).
func (f *regularFile) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	switch cmd {
	case linux.FIONREAD:
		size, err := f.in.size()
		if err != nil {
			return 0, err
		}
		f.mu.Lock()
		v := size - f.off
		f.mu.Unlock()
		if err := usermem.CopyOutUint32(mem, arg, uint32(int32(v))); err != nil {
			return 0, err
		}
		return 0, nil
	}
	return 0, linux.ENOTTY
}

// MMapSource implements vfs.Mappable: mappings copy the file's contents.
func (f *regularFile) MMapSource() vfs.MMapSource { return vfs.MMapCopy }

// Sync implements vfs.Syncer.
func (f *regularFile) Sync(ctx vfs.Context, dataOnly bool) error {
	if f.hostFD >= 0 {
		var err error
		if dataOnly {
			err = unix.Fdatasync(f.hostFD)
		} else {
			err = unix.Fsync(f.hostFD)
		}
		if err != nil {
			return hostErr(err)
		}
		return nil
	}
	if err := f.in.fs.client.FSync(f.fd); err != nil {
		return f.in.fs.rpcErr("fsync", "", err)
	}
	return nil
}

// Allocate implements vfs.Allocator.
func (f *regularFile) Allocate(ctx vfs.Context, mode uint32, off, length uint64) error {
	if !f.writable() {
		return linux.EBADF
	}
	if f.in.fs.opts.ReadOnly {
		return linux.EROFS
	}
	if length == 0 || off > math.MaxInt64 || length > math.MaxInt64 {
		return linux.EINVAL
	}
	if off+length > math.MaxInt64 {
		return linux.EFBIG
	}
	if f.hostFD >= 0 {
		if err := unix.Fallocate(f.hostFD, mode, int64(off), int64(length)); err != nil {
			return hostErr(err)
		}
	} else if err := f.in.fs.client.FAllocate(f.fd, mode, off, length); err != nil {
		return f.in.fs.rpcErr("fallocate", "", err)
	}
	switch mode {
	case 0, linux.FALLOC_FL_ZERO_RANGE:
		f.in.grewTo(int64(off + length))
	default:
		// KEEP_SIZE, or modes that move data (collapse, insert): fetch
		// the attributes now, so the cached size stays exact.
		f.in.markStale()
		if _, err := f.in.Stat(); err != nil {
			return err
		}
	}
	return nil
}
