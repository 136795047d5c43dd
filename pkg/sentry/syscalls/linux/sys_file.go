package linux

import (
	"encoding/binary"
	"math"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const (
	rwv2Note  = "flags RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_APPEND and RWF_NOSIGNAL only (the sync flags without a sync; RWF_APPEND on tmpfs and gofer files); others are EOPNOTSUPP"
	fcntlNote = "no leases, notify or signal-driven I/O; record locks of files outside the VFS are always granted"
)

// fileSyscalls are the calls on open file descriptors.
var fileSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_READ:        full(read),
	linux.SYS_WRITE:       full(write),
	linux.SYS_READV:       full(readv),
	linux.SYS_WRITEV:      full(writev),
	linux.SYS_PREAD64:     full(pread64),
	linux.SYS_PWRITE64:    full(pwrite64),
	linux.SYS_PREADV:      full(preadv),
	linux.SYS_PWRITEV:     full(pwritev),
	linux.SYS_PREADV2:     partial(preadv2, rwv2Note),
	linux.SYS_PWRITEV2:    partial(pwritev2, rwv2Note),
	linux.SYS_LSEEK:       full(lseek),
	linux.SYS_FSTAT:       full(fstat),
	linux.SYS_IOCTL:       partial(ioctl, "generic file requests, and terminal requests on a host terminal (settings, window size, job control)"),
	linux.SYS_FCNTL:       partial(fcntl, fcntlNote),
	linux.SYS_DUP:         full(dup),
	linux.SYS_DUP2:        full(dup2),
	linux.SYS_DUP3:        full(dup3),
	linux.SYS_CLOSE:       full(closeSyscall),
	linux.SYS_CLOSE_RANGE: partial(closeRange, "CLOSE_RANGE_UNSHARE does not unshare the table"),
}

// rwChunk bounds the sentry buffer of one read or write step.
const rwChunk = 1 << 20

// accessOK is Linux's access_ok: [addr, addr+size) lies below the top of
// the application's address range.
func accessOK(t *kernel.Task, addr, size uint64) bool {
	end := addr + size
	return end >= addr && end <= t.Kernel().Platform.MaxUserAddress()
}

// getFile returns the file at fd with a reference the caller drops.
func getFile(t *kernel.Task, fd uint64) (vfs.FileDescription, error) {
	f, _, err := t.FDTable().Get(int32(fd))
	return f, err
}

// canRead and canWrite are Linux's FMODE_READ and FMODE_WRITE.
func canRead(f vfs.FileDescription) bool {
	fl := f.StatusFlags()
	return fl&linux.O_PATH == 0 && fl&linux.O_ACCMODE != linux.O_WRONLY
}

func canWrite(f vfs.FileDescription) bool {
	fl := f.StatusFlags()
	return fl&linux.O_PATH == 0 && fl&linux.O_ACCMODE != linux.O_RDONLY
}

// iovec is one struct iovec.
type iovec struct {
	base, len uint64
}

// copyInIovecs reads and validates an iovec array as Linux's
// import_iovec does: more than UIO_MAXIOV entries or a negative length is
// EINVAL, an unreadable array or a buffer beyond the address range
// EFAULT, and the total is silently capped at MAX_RW_COUNT.
func copyInIovecs(mem usermem.IO, addr, count, maxAddr uint64) ([]iovec, uint64, error) {
	if count > linux.UIO_MAXIOV {
		return nil, 0, linux.EINVAL
	}
	if count == 0 {
		return nil, 0, nil
	}
	raw := make([]byte, count*linux.IovecSize)
	if _, err := mem.CopyIn(addr, raw); err != nil {
		return nil, 0, linux.EFAULT
	}
	iovs := make([]iovec, count)
	for i := range iovs {
		iovs[i] = iovec{
			base: binary.LittleEndian.Uint64(raw[16*i:]),
			len:  binary.LittleEndian.Uint64(raw[16*i+8:]),
		}
		if int64(iovs[i].len) < 0 {
			return nil, 0, linux.EINVAL
		}
	}
	var total uint64
	for i := range iovs {
		end := iovs[i].base + iovs[i].len
		if end < iovs[i].base || end > maxAddr {
			return nil, 0, linux.EFAULT
		}
		iovs[i].len = min(iovs[i].len, linux.MAX_RW_COUNT-total)
		total += iovs[i].len
	}
	return iovs, total, nil
}

// iovCopy moves n bytes between buf and the iovecs, starting skip bytes
// into them. It returns how many bytes it moved and the first fault.
func iovCopy(mem usermem.IO, iovs []iovec, skip uint64, buf []byte, out bool) (int, error) {
	done := 0
	for _, iov := range iovs {
		if done == len(buf) {
			break
		}
		if skip >= iov.len {
			skip -= iov.len
			continue
		}
		n := min(iov.len-skip, uint64(len(buf)-done))
		var got int
		var err error
		if out {
			got, err = mem.CopyOut(iov.base+skip, buf[done:done+int(n)])
		} else {
			got, err = mem.CopyIn(iov.base+skip, buf[done:done+int(n)])
		}
		done += got
		if err != nil {
			return done, linux.EFAULT
		}
		skip = 0
	}
	return done, nil
}

// seekable reports whether more data can be read or written without
// blocking after a full chunk: regular files and block devices.
func seekable(f vfs.FileDescription) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	m := st.Mode & linux.S_IFMT
	return m == linux.S_IFREG || m == linux.S_IFBLK
}

// doRead reads total bytes (already capped) into iovs, at the file offset
// if off < 0 and at off otherwise. A read that got some data returns it
// even if a later step fails, as Linux does.
func doRead(t *kernel.Task, f vfs.FileDescription, iovs []iovec, total uint64, off int64) (uint64, error) {
	if dr, ok := f.(vfs.DirectReader); ok && dr.ReadsDirect() {
		return directRead(t, f, iovs, total, off)
	}
	var done uint64
	buf := make([]byte, min(total, rwChunk))
	for done < total {
		chunk := buf[:min(total-done, uint64(len(buf)))]
		var n int
		var err error
		if off < 0 {
			n, err = f.Read(t, chunk)
		} else {
			n, err = f.PRead(t, chunk, off+int64(done))
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		copied, cerr := iovCopy(t, iovs, done, chunk[:n], true)
		done += uint64(copied)
		if cerr != nil {
			if off < 0 && copied < n {
				// Give back what the application did not receive,
				// where the file has an offset to rewind.
				f.Seek(int64(copied-n), linux.SEEK_CUR)
			}
			if done == 0 {
				return 0, linux.EFAULT
			}
			return done, nil
		}
		if n < len(chunk) || done == total || !seekable(f) {
			break
		}
	}
	return done, nil
}

// directRead is doRead for a vfs.DirectReader: the file reads straight
// into the application's memory, one piece of an iovec at a time.
func directRead(t *kernel.Task, f vfs.FileDescription, iovs []iovec, total uint64, off int64) (uint64, error) {
	var done uint64
	for _, iov := range iovs {
		if done == total {
			break
		}
		want := min(iov.len, total-done)
		if want == 0 {
			continue
		}
		var readErr error
		got, err := t.MM().ReadInto(iov.base, want, func(dst []byte) (int, error) {
			var n int
			if off < 0 {
				n, readErr = f.Read(t, dst)
			} else {
				n, readErr = f.PRead(t, dst, off+int64(done))
			}
			done += uint64(n)
			return n, readErr
		})
		switch {
		case readErr != nil:
			// The file's error, after whatever it read.
			if done > 0 {
				return done, nil
			}
			return 0, readErr
		case err != nil:
			// Memory that cannot be written: nothing was read into it.
			if done > 0 {
				return done, nil
			}
			return 0, linux.EFAULT
		case uint64(got) < want:
			// A short read: the end of the file.
			return done, nil
		}
	}
	return done, nil
}

// doWrite writes total bytes from iovs, at the file offset if off < 0 and
// at off otherwise. rwf are pwritev2's RWF_* flags: RWF_APPEND writes at
// the end of a file that can append (vfs.Appender), moving the file
// offset only if off < 0; a write to a broken pipe raises SIGPIPE unless
// RWF_NOSIGNAL.
func doWrite(t *kernel.Task, f vfs.FileDescription, iovs []iovec, total uint64, off int64, rwf uint32) (uint64, error) {
	nosignal := rwf&linux.RWF_NOSIGNAL != 0
	appender, appending := f.(vfs.Appender)
	appending = appending && rwf&linux.RWF_APPEND != 0
	total, err := limitFileWrite(t, f, off, rwf&linux.RWF_APPEND != 0, total)
	if err != nil {
		return 0, err
	}
	var done uint64
	buf := make([]byte, min(total, rwChunk))
	for done < total {
		chunk := buf[:min(total-done, uint64(len(buf)))]
		copied, cerr := iovCopy(t, iovs, done, chunk, false)
		var n int
		var err error
		if copied > 0 {
			switch {
			case appending:
				n, err = appender.AppendWrite(t, chunk[:copied], off < 0)
			case off < 0:
				n, err = f.Write(t, chunk[:copied])
			default:
				n, err = f.PWrite(t, chunk[:copied], off+int64(done))
			}
		}
		done += uint64(n)
		if err != nil {
			// A pipe whose readers are gone fails with EPIPE, also
			// after writing part (it returns the part with the
			// error): Linux's pipe_write raises SIGPIPE either way.
			if err == linux.EPIPE && !nosignal {
				t.SendSignal(userSignal(t, linux.SIGPIPE, linux.SI_USER))
			}
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if cerr != nil {
			if done == 0 {
				return 0, linux.EFAULT
			}
			break
		}
		if n < copied {
			break
		}
	}
	return done, nil
}

// checkCount is rw_verify_area's check of a count (and of the end offset
// of positional I/O): EINVAL if either overflows.
func checkCount(count uint64, off int64) error {
	if int64(count) < 0 {
		return linux.EINVAL
	}
	if off >= 0 && off+int64(count) < 0 {
		return linux.EINVAL
	}
	return nil
}

// positionalError orders the errors of positional I/O as Linux does: a
// file without an offset is ESPIPE before any check but the fd's
// existence. It is called only on error paths, so the probe costs
// nothing on success.
func positionalError(t *kernel.Task, f vfs.FileDescription, off int64, err error) error {
	if off >= 0 {
		if _, perr := f.PRead(t, nil, off); perr == linux.ESPIPE {
			return linux.ESPIPE
		}
	}
	return err
}

func read(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return rwCommon(t, a[0], a[1], a[2], -1, false)
}

func pread64(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, linux.EINVAL
	}
	return rwCommon(t, a[0], a[1], a[2], int64(a[3]), false)
}

// rwCommon is read, write, pread64 and pwrite64: off < 0 means the file
// offset.
func rwCommon(t *kernel.Task, fd, addr, count uint64, off int64, write bool) (uint64, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if (write && !canWrite(f)) || (!write && !canRead(f)) {
		return 0, positionalError(t, f, off, linux.EBADF)
	}
	if !accessOK(t, addr, count) {
		return 0, positionalError(t, f, off, linux.EFAULT)
	}
	if err := checkCount(count, off); err != nil {
		return 0, positionalError(t, f, off, err)
	}
	count = min(count, linux.MAX_RW_COUNT)
	if count == 0 {
		return 0, positionalError(t, f, off, nil)
	}
	iovs := []iovec{{addr, count}}
	if write {
		return doWrite(t, f, iovs, count, off, 0)
	}
	return doRead(t, f, iovs, count, off)
}

func write(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return rwCommon(t, a[0], a[1], a[2], -1, true)
}

func pwrite64(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, linux.EINVAL
	}
	return rwCommon(t, a[0], a[1], a[2], int64(a[3]), true)
}

func readv(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return rwvCommon(t, a[0], a[1], a[2], -1, 0, false)
}

func preadv(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, linux.EINVAL
	}
	return rwvCommon(t, a[0], a[1], a[2], int64(a[3]), 0, false)
}

func preadv2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, linux.EINVAL
	}
	return rwvCommon(t, a[0], a[1], a[2], off, uint32(a[5]), false)
}

// rwv2Supported are the preadv2/pwritev2 flags the sentry honours (or, for
// the hints, may ignore).
const rwv2Supported = linux.RWF_HIPRI | linux.RWF_DSYNC | linux.RWF_SYNC | linux.RWF_NOSIGNAL | linux.RWF_APPEND

// rwvCommon is the readv and writev family: off < 0 means the file
// offset (and -1 is allowed only for the *v2 calls, checked by callers).
func rwvCommon(t *kernel.Task, fd, addr, count uint64, off int64, flags uint32, write bool) (uint64, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if (write && !canWrite(f)) || (!write && !canRead(f)) {
		return 0, positionalError(t, f, off, linux.EBADF)
	}
	iovs, total, err := copyInIovecs(t, addr, count, t.Kernel().Platform.MaxUserAddress())
	if err != nil {
		return 0, positionalError(t, f, off, err)
	}
	if total == 0 {
		return 0, positionalError(t, f, off, nil)
	}
	if err := checkCount(total, off); err != nil {
		return 0, positionalError(t, f, off, err)
	}
	if flags&^rwv2Supported != 0 {
		return 0, positionalError(t, f, off, linux.EOPNOTSUPP)
	}
	if write {
		return doWrite(t, f, iovs, total, off, flags)
	}
	return doRead(t, f, iovs, total, off)
}

func writev(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return rwvCommon(t, a[0], a[1], a[2], -1, 0, true)
}

func pwritev(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, linux.EINVAL
	}
	return rwvCommon(t, a[0], a[1], a[2], int64(a[3]), 0, true)
}

func pwritev2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, linux.EINVAL
	}
	return rwvCommon(t, a[0], a[1], a[2], off, uint32(a[5]), true)
}

func lseek(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	whence := uint32(a[2])
	if whence > linux.SEEK_MAX {
		return 0, linux.EINVAL
	}
	pos, err := f.Seek(int64(a[1]), int(whence))
	if err != nil {
		return 0, err
	}
	return uint64(pos), nil
}

func fstat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, a[1], &st)
}

// setFlag sets or clears one status flag in f's view.
func setFlag(f vfs.FileDescription, flag uint32, on bool) error {
	fl := f.StatusFlags()
	if on {
		fl |= flag
	} else {
		fl &^= flag
	}
	return f.SetStatusFlags(fl)
}

func ioctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	fd, cmd, arg := a[0], uint32(a[1]), a[2]
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// Linux's ioctl does not see O_PATH files at all.
	if f.StatusFlags()&linux.O_PATH != 0 {
		return 0, linux.EBADF
	}
	// The requests Linux's do_vfs_ioctl serves for every file.
	switch cmd {
	case linux.FIOCLEX, linux.FIONCLEX:
		return 0, t.FDTable().SetCloexec(int32(fd), cmd == linux.FIOCLEX)
	case linux.FIONBIO, linux.FIOASYNC:
		on, err := usermem.CopyInUint32(t, arg)
		if err != nil {
			return 0, linux.EFAULT
		}
		flag := uint32(linux.O_NONBLOCK)
		if cmd == linux.FIOASYNC {
			flag = linux.FASYNC
		}
		return 0, setFlag(f, flag, on != 0)
	case linux.FIGETBSZ, linux.FIONREAD:
		if handled, err := vfsIoctl(t, f, cmd, arg); handled {
			return 0, err
		}
	}
	// The rest, terminal requests included (a host terminal answers the
	// job control ones from the kernel's record of it, with t as the
	// caller), are the file's.
	return f.Ioctl(t, cmd, arg)
}

// vfsIoctl serves the do_vfs_ioctl requests that need the file's inode,
// for files opened through the VFS: FIGETBSZ (the block size, st_blksize)
// and, for regular files, FIONREAD (the bytes from the offset to the end).
// It reports whether it handled the request; the others go to the file.
func vfsIoctl(t *kernel.Task, f vfs.FileDescription, cmd uint32, arg uint64) (bool, error) {
	pf, ok := f.(vfs.PathFile)
	if !ok || !pf.VirtualDentry().Ok() {
		return false, nil
	}
	st, err := f.Stat()
	if err != nil {
		return true, err
	}
	var v int64
	switch cmd {
	case linux.FIGETBSZ:
		v = st.Blksize
	case linux.FIONREAD:
		if st.Mode&linux.S_IFMT != linux.S_IFREG {
			return false, nil
		}
		pos, err := f.Seek(0, linux.SEEK_CUR)
		if err != nil {
			return true, err
		}
		v = st.Size - pos
	}
	// Both are put_user of an int: the value is truncated to 32 bits.
	return true, usermem.CopyOutUint32(t, arg, uint32(v))
}

// hostPipeFile is implemented by host files, which may be pipes (EBADF
// if not); the sentry's own pipes implement vfs.PipeSizer.
type hostPipeFile interface {
	PipeSize() (int64, error)
	SetPipeSize(size int64) (int64, error)
}

func fcntl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	fd, cmd, arg := int32(a[0]), int32(a[1]), a[2]
	f, cloexec, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.StatusFlags()&linux.O_PATH != 0 && !opathFcntl(cmd) {
		return 0, linux.EBADF
	}
	switch cmd {
	case linux.F_DUPFD, linux.F_DUPFD_CLOEXEC:
		// The argument is an unsigned int in Linux.
		from, limit := uint64(uint32(arg)), nofileLimit(t)
		if from >= limit {
			return 0, linux.EINVAL
		}
		nfd, err := t.FDTable().NewFD(f, int32(from), cmd == linux.F_DUPFD_CLOEXEC, limit)
		return uint64(nfd), err
	case linux.F_GETFD:
		if cloexec {
			return linux.FD_CLOEXEC, nil
		}
		return 0, nil
	case linux.F_SETFD:
		return 0, t.FDTable().SetCloexec(fd, arg&linux.FD_CLOEXEC != 0)
	case linux.F_GETFL:
		return uint64(f.StatusFlags()), nil
	case linux.F_SETFL:
		return 0, f.SetStatusFlags(uint32(arg))
	case linux.F_GETLK, linux.F_SETLK, linux.F_SETLKW, linux.F_OFD_GETLK, linux.F_OFD_SETLK, linux.F_OFD_SETLKW:
		return 0, recordLock(t, f, cmd, arg)
	case linux.F_GETOWN, linux.F_GETSIG:
		return 0, nil
	case linux.F_SETOWN:
		return 0, nil
	case linux.F_SETSIG:
		// valid_signal() of the int argument widened to unsigned long.
		if uint64(int64(int32(arg))) >= linux.NSIG {
			return 0, linux.EINVAL
		}
		return 0, nil
	case linux.F_GETLEASE:
		return linux.F_UNLCK, nil
	case linux.F_GETPIPE_SZ, linux.F_SETPIPE_SZ:
		// The size argument is an unsigned int in Linux.
		var n int64
		if ps, ok := f.(vfs.PipeSizer); ok {
			if cmd == linux.F_GETPIPE_SZ {
				n, err = ps.PipeSize()
			} else {
				n, err = ps.SetPipeSize(t, int64(uint32(arg)))
			}
			return uint64(n), err
		}
		pf, ok := f.(hostPipeFile)
		if !ok {
			return 0, linux.EBADF
		}
		if cmd == linux.F_GETPIPE_SZ {
			n, err = pf.PipeSize()
		} else {
			n, err = pf.SetPipeSize(int64(uint32(arg)))
		}
		return uint64(n), err
	case linux.F_ADD_SEALS:
		sf, ok := f.(tmpfs.Sealable)
		if !ok || arg > math.MaxUint32 {
			return 0, linux.EINVAL
		}
		return 0, sf.AddSeals(uint32(arg))
	case linux.F_GET_SEALS:
		sf, ok := f.(tmpfs.Sealable)
		if !ok {
			return 0, linux.EINVAL
		}
		return uint64(sf.Seals()), nil
	}
	return 0, linux.EINVAL
}

// opathFcntl reports whether fcntl serves cmd on an O_PATH file (Linux's
// check_fcntl_cmd); the others are EBADF.
func opathFcntl(cmd int32) bool {
	switch cmd {
	case linux.F_DUPFD, linux.F_DUPFD_CLOEXEC, linux.F_GETFD, linux.F_SETFD, linux.F_GETFL:
		return true
	}
	return false
}

func dup(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	nfd, err := t.FDTable().NewFD(f, 0, false, nofileLimit(t))
	return uint64(nfd), err
}

func dup2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	oldfd, newfd := uint32(a[0]), uint32(a[1])
	if oldfd == newfd {
		f, err := getFile(t, uint64(oldfd))
		if err != nil {
			return 0, err
		}
		f.DecRef()
		return uint64(newfd), nil
	}
	return dupTo(t, oldfd, newfd, false)
}

func dup3(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	oldfd, newfd, flags := uint32(a[0]), uint32(a[1]), a[2]
	if flags&^linux.O_CLOEXEC != 0 || oldfd == newfd {
		return 0, linux.EINVAL
	}
	return dupTo(t, oldfd, newfd, flags&linux.O_CLOEXEC != 0)
}

// dupTo installs oldfd's file at newfd (closing what was there).
func dupTo(t *kernel.Task, oldfd, newfd uint32, cloexec bool) (uint64, error) {
	limit := nofileLimit(t)
	if uint64(newfd) >= limit {
		return 0, linux.EBADF
	}
	f, err := getFile(t, uint64(oldfd))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if err := t.FDTable().SetFD(int32(newfd), f, cloexec, limit); err != nil {
		return 0, err
	}
	return uint64(newfd), nil
}

func closeSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.FDTable().Remove(int32(a[0]))
}

func closeRange(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	if flags&^(linux.CLOSE_RANGE_UNSHARE|linux.CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return 0, linux.EINVAL
	}
	if flags&linux.CLOSE_RANGE_CLOEXEC != 0 {
		t.FDTable().SetCloexecRange(first, last)
	} else {
		t.FDTable().RemoveRange(first, last)
	}
	return 0, nil
}
