package linux

import (
	"encoding/binary"
	"math"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/pipe"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const (
	pipe2Note    = "O_NOTIFICATION_PIPE is ENOPKG (no watch queues)"
	spliceNote   = "data is copied, never page-shared; SPLICE_F_MOVE, SPLICE_F_MORE and SPLICE_F_GIFT are accepted and ignored"
	vmspliceNote = "data is copied, never page-shared (SPLICE_F_GIFT is ignored); buffers split at the first segment's page boundaries only"
)

// pipeSyscalls are pipe(2), pipe2(2) and the splice family.
var pipeSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_PIPE:     full(pipeSyscall),
	linux.SYS_PIPE2:    partial(pipe2, pipe2Note),
	linux.SYS_SPLICE:   partial(splice, spliceNote),
	linux.SYS_TEE:      partial(tee, spliceNote),
	linux.SYS_VMSPLICE: partial(vmsplice, vmspliceNote),
}

func pipeSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doPipe(t, a[0], 0)
}

func pipe2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, doPipe(t, a[0], uint32(a[1]))
}

// doPipe makes a pipe and stores its read and write descriptors as two
// ints at addr. A bad address is EFAULT with no descriptor left open.
func doPipe(t *kernel.Task, addr uint64, flags uint32) error {
	if flags&^(linux.O_CLOEXEC|linux.O_NONBLOCK|linux.O_DIRECT|linux.O_NOTIFICATION_PIPE) != 0 {
		return linux.EINVAL
	}
	if flags&linux.O_NOTIFICATION_PIPE != 0 {
		// Linux without CONFIG_WATCH_QUEUE.
		return linux.ENOPKG
	}
	// Fail before installing anything if the array cannot be written
	// (writing back what is there changes nothing).
	var probe [8]byte
	if _, err := t.CopyIn(addr, probe[:]); err != nil {
		return linux.EFAULT
	}
	if _, err := t.CopyOut(addr, probe[:]); err != nil {
		return linux.EFAULT
	}
	creds := t.Credentials()
	r, w := pipe.New(uint32(creds.FilesystemUID), uint32(creds.FilesystemGID), flags)
	defer r.DecRef()
	defer w.DecRef()
	cloexec := flags&linux.O_CLOEXEC != 0
	ft := t.FDTable()
	rfd, err := ft.NewFD(r, 0, cloexec, nofileLimit(t))
	if err != nil {
		return err
	}
	wfd, err := ft.NewFD(w, 0, cloexec, nofileLimit(t))
	if err != nil {
		ft.Remove(rfd)
		return err
	}
	var fds [8]byte
	binary.LittleEndian.PutUint32(fds[0:], uint32(rfd))
	binary.LittleEndian.PutUint32(fds[4:], uint32(wfd))
	if _, err := t.CopyOut(addr, fds[:]); err != nil {
		// The memory went away since the probe (another thread).
		ft.Remove(rfd)
		ft.Remove(wfd)
		return linux.EFAULT
	}
	return nil
}

// pipeEndOf returns the pipe end of f if f is a pipe or a FIFO.
func pipeEndOf(f vfs.FileDescription) (*pipe.End, bool) {
	if e, ok := f.(pipe.Endpoint); ok {
		return e.PipeEnd(), true
	}
	return nil, false
}

// raiseSIGPIPE sends SIGPIPE to the caller if err is EPIPE: Linux's pipe
// code does so whenever it finds no reader.
func raiseSIGPIPE(t *kernel.Task, err error) {
	if err == linux.EPIPE {
		t.SendSignal(userSignal(t, linux.SIGPIPE, linux.SI_USER))
	}
}

// spliceable reports whether Linux can splice to or from f: anonymous
// files (eventfd, epoll) and directories have no splice operations.
func spliceable(f vfs.FileDescription) bool {
	switch fileType(f) {
	case 0, linux.S_IFDIR:
		return false
	}
	return true
}

// hasPositional reports whether f has pread/pwrite (Linux's FMODE_PREAD,
// FMODE_PWRITE).
func hasPositional(t *kernel.Task, f vfs.FileDescription) bool {
	_, err := f.PRead(t, nil, 0)
	return err != linux.ESPIPE
}

// verifyArea is rw_verify_area's check of a position and count: EINVAL
// if either is negative or their sum overflows.
func verifyArea(pos int64, count uint64) error {
	if int64(count) < 0 || pos < 0 || pos+int64(count) < 0 {
		return linux.EINVAL
	}
	return nil
}

func splice(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	inFD, offInAddr, outFD, offOutAddr, length, flags := int32(a[0]), a[1], int32(a[2]), a[3], a[4], uint32(a[5])
	if length == 0 {
		return 0, nil
	}
	if flags&^linux.SPLICE_F_ALL != 0 {
		return 0, linux.EINVAL
	}
	in, err := getFileNoPath(t, inFD)
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	out, err := getFileNoPath(t, outFD)
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	inEnd, inPipe := pipeEndOf(in)
	outEnd, outPipe := pipeEndOf(out)
	if (inPipe && offInAddr != 0) || (outPipe && offOutAddr != 0) {
		return 0, linux.ESPIPE
	}
	var offIn, offOut int64
	if offOutAddr != 0 {
		v, err := usermem.CopyInUint64(t, offOutAddr)
		if err != nil {
			return 0, linux.EFAULT
		}
		offOut = int64(v)
	}
	if offInAddr != 0 {
		v, err := usermem.CopyInUint64(t, offInAddr)
		if err != nil {
			return 0, linux.EFAULT
		}
		offIn = int64(v)
	}
	if !canRead(in) || !canWrite(out) {
		return 0, linux.EBADF
	}
	nonblock := flags&linux.SPLICE_F_NONBLOCK != 0
	switch {
	case inPipe && outPipe:
		if inEnd.Pipe() == outEnd.Pipe() {
			return 0, linux.EINVAL
		}
		nonblock = nonblock || (in.StatusFlags()|out.StatusFlags())&linux.O_NONBLOCK != 0
		n, err := pipe.Splice(t, outEnd, inEnd, int64(min(length, math.MaxInt64)), nonblock)
		raiseSIGPIPE(t, err)
		return uint64(n), err
	case inPipe:
		n, err := spliceToFile(t, inEnd, out, offOutAddr != 0, offOut, length, nonblock || in.StatusFlags()&linux.O_NONBLOCK != 0)
		if err != nil {
			return 0, err
		}
		if offOutAddr != 0 {
			if err := usermem.CopyOutUint64(t, offOutAddr, uint64(offOut+n)); err != nil {
				return 0, linux.EFAULT
			}
		}
		return uint64(n), nil
	case outPipe:
		n, err := spliceFromFile(t, in, offInAddr != 0, offIn, outEnd, length, nonblock || out.StatusFlags()&linux.O_NONBLOCK != 0)
		if err != nil {
			return 0, err
		}
		if offInAddr != 0 {
			if err := usermem.CopyOutUint64(t, offInAddr, uint64(offIn+n)); err != nil {
				return 0, linux.EFAULT
			}
		}
		return uint64(n), nil
	}
	return 0, linux.EINVAL
}

// spliceToFile moves up to length bytes from the pipe end src to out: at
// pos if hasPos (out's offset does not move), else at out's offset.
func spliceToFile(t *kernel.Task, src *pipe.End, out vfs.FileDescription, hasPos bool, pos int64, length uint64, nonblock bool) (int64, error) {
	if !spliceable(out) {
		return 0, linux.EINVAL
	}
	if hasPos && !hasPositional(t, out) {
		return 0, linux.EINVAL
	}
	if out.StatusFlags()&linux.O_APPEND != 0 {
		return 0, linux.EINVAL
	}
	if hasPos {
		if err := verifyArea(pos, length); err != nil {
			return 0, err
		}
	} else if int64(length) < 0 {
		return 0, linux.EINVAL
	}
	length = min(length, linux.MAX_RW_COUNT)
	var done int64
	n, err := pipe.SpliceOut(t, src, int64(length), nonblock, func(data []byte) (int, error) {
		var w int
		var err error
		if hasPos {
			w, err = out.PWrite(t, data, pos+done)
		} else {
			w, err = out.Write(t, data)
		}
		done += int64(max(w, 0))
		return w, err
	})
	raiseSIGPIPE(t, err)
	return n, err
}

// spliceFromFile moves up to length bytes from in to the pipe end dst:
// from pos if hasPos (in's offset does not move), else from in's offset.
func spliceFromFile(t *kernel.Task, in vfs.FileDescription, hasPos bool, pos int64, dst *pipe.End, length uint64, nonblock bool) (int64, error) {
	if hasPos && !hasPositional(t, in) {
		return 0, linux.EINVAL
	}
	align := pos
	if !hasPos {
		if cur, err := in.Seek(0, linux.SEEK_CUR); err == nil {
			align = cur
		}
	}
	n, err := pipe.SpliceIn(t, dst, int64(min(length, math.MaxInt64)), nonblock, align, func(buf []byte) (int, error) {
		// do_splice_read's checks, made once the pipe has room:
		// rw_verify_area with the count already cut to that room, then
		// whether the file can splice at all.
		if hasPos {
			if err := verifyArea(pos, uint64(len(buf))); err != nil {
				return 0, err
			}
		}
		if !spliceable(in) {
			return 0, linux.EINVAL
		}
		if hasPos {
			return in.PRead(t, buf, pos)
		}
		return in.Read(t, buf)
	})
	raiseSIGPIPE(t, err)
	return n, err
}

func tee(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	inFD, outFD, length, flags := int32(a[0]), int32(a[1]), a[2], uint32(a[3])
	if flags&^linux.SPLICE_F_ALL != 0 {
		return 0, linux.EINVAL
	}
	if length == 0 {
		return 0, nil
	}
	in, err := getFileNoPath(t, inFD)
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	out, err := getFileNoPath(t, outFD)
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	if !canRead(in) || !canWrite(out) {
		return 0, linux.EBADF
	}
	inEnd, inPipe := pipeEndOf(in)
	outEnd, outPipe := pipeEndOf(out)
	if !inPipe || !outPipe || inEnd.Pipe() == outEnd.Pipe() {
		return 0, linux.EINVAL
	}
	nonblock := flags&linux.SPLICE_F_NONBLOCK != 0 || (in.StatusFlags()|out.StatusFlags())&linux.O_NONBLOCK != 0
	n, err := pipe.Tee(t, outEnd, inEnd, int64(min(length, math.MaxInt64)), nonblock)
	raiseSIGPIPE(t, err)
	return uint64(n), err
}

func vmsplice(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	fd, iovAddr, nrSegs, flags := int32(a[0]), a[1], a[2], uint32(a[3])
	if flags&^linux.SPLICE_F_ALL != 0 {
		return 0, linux.EINVAL
	}
	f, err := getFileNoPath(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// A file open for writing is written to, as Linux's vmsplice_type
	// decides (an O_RDWR FIFO is written to).
	var toPipe bool
	switch {
	case canWrite(f):
		toPipe = true
	case canRead(f):
	default:
		return 0, linux.EBADF
	}
	iovs, total, err := copyInIovecs(t, iovAddr, nrSegs, t.Kernel().Platform.MaxUserAddress())
	if err != nil {
		return 0, err
	}
	if total == 0 {
		return 0, nil
	}
	end, ok := pipeEndOf(f)
	if !ok {
		return 0, linux.EBADF
	}
	// Unlike splice and tee, vmsplice ignores the pipe's O_NONBLOCK
	// (Linux 6.x).
	nonblock := flags&linux.SPLICE_F_NONBLOCK != 0
	if toPipe {
		var align uint64
		for _, iov := range iovs {
			if iov.len > 0 {
				align = iov.base
				break
			}
		}
		n, err := pipe.SpliceIn(t, end, int64(total), nonblock, int64(align%usermem.PageSize), func(buf []byte) (int, error) {
			return iovCopy(t, iovs, 0, buf, false)
		})
		raiseSIGPIPE(t, err)
		return uint64(n), err
	}
	var done uint64
	n, err := pipe.SpliceOut(t, end, int64(total), nonblock, func(data []byte) (int, error) {
		c, err := iovCopy(t, iovs, done, data, true)
		done += uint64(c)
		return c, err
	})
	return uint64(n), err
}
