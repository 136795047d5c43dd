package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// sendfileEntries copy between files inside the sentry.
var sendfileEntries = map[uintptr]kernel.Syscall{
	linux.SYS_SENDFILE:        full(sendfile),
	linux.SYS_COPY_FILE_RANGE: full(copyFileRange),
}

// copyChunk bounds the sentry buffer of sendfile and copy_file_range.
const copyChunk = 64 << 10

// probePRead reports ESPIPE if f has no positional reads (Linux's
// FMODE_PREAD), nil otherwise.
func probePRead(t *kernel.Task, f vfs.FileDescription, off int64) error {
	if _, err := f.PRead(t, nil, off); err == linux.ESPIPE {
		return linux.ESPIPE
	}
	return nil
}

func sendfile(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	outFD, inFD, offAddr, count := int32(a[0]), int32(a[1]), a[2], a[3]
	if offAddr == 0 {
		n, _, err := doSendfile(t, outFD, inFD, false, 0, count)
		return n, err
	}
	v, err := usermem.CopyInUint64(t, offAddr)
	if err != nil {
		return 0, linux.EFAULT
	}
	n, pos, err := doSendfile(t, outFD, inFD, true, int64(v), count)
	// The offset is written back even when the copy failed.
	if perr := usermem.CopyOutUint64(t, offAddr, uint64(pos)); perr != nil {
		return 0, linux.EFAULT
	}
	return n, err
}

// doSendfile is do_sendfile: with hasPos it reads in at pos (and returns
// the position after the bytes copied), otherwise at in's offset, which
// it advances. It returns the number of bytes copied.
func doSendfile(t *kernel.Task, outFD, inFD int32, hasPos bool, pos int64, count uint64) (uint64, int64, error) {
	in, err := getFileNoPath(t, inFD)
	if err != nil {
		return 0, pos, err
	}
	defer in.DecRef()
	if !canRead(in) {
		return 0, pos, linux.EBADF
	}
	if hasPos {
		if err := probePRead(t, in, max(pos, 0)); err != nil {
			return 0, pos, err
		}
	}
	// rw_verify_area.
	if int64(count) < 0 || (hasPos && (pos < 0 || pos+int64(count) < 0)) {
		return 0, pos, linux.EINVAL
	}
	count = min(count, linux.MAX_RW_COUNT)
	out, err := getFileNoPath(t, outFD)
	if err != nil {
		return 0, pos, err
	}
	defer out.DecRef()
	if !canWrite(out) {
		return 0, pos, linux.EBADF
	}
	if fileType(out) != linux.S_IFIFO && out.StatusFlags()&linux.O_APPEND != 0 {
		return 0, pos, linux.EINVAL
	}
	var done uint64
	buf := make([]byte, min(count, copyChunk))
	for done < count {
		chunk := buf[:min(count-done, uint64(len(buf)))]
		var n int
		var rerr error
		if hasPos {
			n, rerr = in.PRead(t, chunk, pos+int64(done))
		} else {
			n, rerr = in.Read(t, chunk)
		}
		if n == 0 || rerr != nil {
			if done == 0 && rerr != nil {
				return 0, pos, rerr
			}
			break
		}
		w, werr := sendfileWrite(t, out, chunk[:n])
		done += uint64(w)
		if w < n && !hasPos {
			// Give back what was read and not written.
			in.Seek(int64(w-n), linux.SEEK_CUR)
		}
		if werr != nil {
			if done == 0 {
				if werr == linux.EPIPE {
					t.SendSignal(userSignal(t, linux.SIGPIPE, linux.SI_USER))
				}
				return 0, pos, werr
			}
			break
		}
		if w < n || n < len(chunk) || !seekable(in) {
			break
		}
	}
	return done, pos + int64(done), nil
}

// sendfileWrite writes what sendfile read to out, within RLIMIT_FSIZE: as
// Linux's iter_file_splice_write, which writes until its pipe is empty, a
// write cut short by the limit is followed by one at the limit, which
// raises SIGXFSZ (its EFBIG is returned only if nothing was written).
func sendfileWrite(t *kernel.Task, out vfs.FileDescription, src []byte) (int, error) {
	allowed, err := limitFileWrite(t, out, -1, false, uint64(len(src)))
	if err != nil {
		return 0, err
	}
	w, err := out.Write(t, src[:allowed])
	if err == nil && uint64(w) == allowed && w < len(src) {
		_, err = limitFileWrite(t, out, -1, false, uint64(len(src)-w))
	}
	return w, err
}

// copyFileRange is copy_file_range(2): between regular files of one file
// system, through the sentry, with generic_copy_file_checks' rules. Files
// of different file systems are EXDEV, as Linux since 5.19 answers for
// file systems without a cross-superblock copy (tmpfs among them); cp
// falls back to read and write.
func copyFileRange(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	inFD, inOffAddr, outFD, outOffAddr, length, flags := int32(a[0]), a[1], int32(a[2]), a[3], a[4], uint32(a[5])
	if flags != 0 {
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
	posIn, err := copyRangeOffset(t, in, inOffAddr)
	if err != nil {
		return 0, err
	}
	posOut, err := copyRangeOffset(t, out, outOffAddr)
	if err != nil {
		return 0, err
	}
	n, err := checkCopyRange(t, in, posIn, out, posOut, length)
	if err != nil || n == 0 {
		return 0, err
	}
	if !sameFilesystem(in, out) {
		return 0, linux.EXDEV
	}
	var done uint64
	buf := make([]byte, min(n, copyChunk))
	for done < n {
		chunk := buf[:min(n-done, uint64(len(buf)))]
		r, rerr := in.PRead(t, chunk, posIn+int64(done))
		if r == 0 || rerr != nil {
			if done == 0 && rerr != nil {
				return 0, rerr
			}
			break
		}
		w, werr := out.PWrite(t, chunk[:r], posOut+int64(done))
		done += uint64(w)
		if werr != nil {
			if done == 0 {
				return 0, werr
			}
			break
		}
		if w < r {
			break
		}
	}
	if err := setCopyRangeOffset(t, in, inOffAddr, posIn+int64(done)); err != nil {
		return 0, err
	}
	if err := setCopyRangeOffset(t, out, outOffAddr, posOut+int64(done)); err != nil {
		return 0, err
	}
	return done, nil
}

// sameFilesystem reports whether two files are on one file system (one
// st_dev).
func sameFilesystem(a, b vfs.FileDescription) bool {
	ast, err := a.Stat()
	if err != nil {
		return false
	}
	bst, err := b.Stat()
	return err == nil && ast.Dev == bst.Dev
}

// copyRangeOffset reads an offset argument of copy_file_range, or the
// file's offset when the pointer is NULL (0 for a file without one, which
// the type checks refuse next).
func copyRangeOffset(t *kernel.Task, f vfs.FileDescription, addr uint64) (int64, error) {
	if addr == 0 {
		pos, err := f.Seek(0, linux.SEEK_CUR)
		if err != nil {
			return 0, nil
		}
		return pos, nil
	}
	v, err := usermem.CopyInUint64(t, addr)
	if err != nil {
		return 0, linux.EFAULT
	}
	return int64(v), nil
}

// setCopyRangeOffset stores the offset after a copy.
func setCopyRangeOffset(t *kernel.Task, f vfs.FileDescription, addr uint64, pos int64) error {
	if addr != 0 {
		if err := usermem.CopyOutUint64(t, addr, uint64(pos)); err != nil {
			return linux.EFAULT
		}
		return nil
	}
	_, err := f.Seek(pos, linux.SEEK_SET)
	return err
}

// checkCopyRange is generic_copy_file_checks and rw_verify_area: it
// returns how many bytes to copy (shortened to the input's end, then to
// RLIMIT_FSIZE, which fails with EFBIG and SIGXFSZ even for an empty copy
// when posOut is at or beyond it).
func checkCopyRange(t *kernel.Task, in vfs.FileDescription, posIn int64, out vfs.FileDescription, posOut int64, length uint64) (uint64, error) {
	ist, err := in.Stat()
	if err != nil {
		return 0, err
	}
	ost, err := out.Stat()
	if err != nil {
		return 0, err
	}
	it, ot := ist.Mode&linux.S_IFMT, ost.Mode&linux.S_IFMT
	if it == linux.S_IFDIR || ot == linux.S_IFDIR {
		return 0, linux.EISDIR
	}
	if it != linux.S_IFREG || ot != linux.S_IFREG {
		return 0, linux.EINVAL
	}
	if !canRead(in) || !canWrite(out) || out.StatusFlags()&linux.O_APPEND != 0 {
		return 0, linux.EBADF
	}
	if uint64(posIn)+length < uint64(posIn) || uint64(posOut)+length < uint64(posOut) {
		return 0, linux.EOVERFLOW
	}
	n := length
	if posIn >= ist.Size {
		n = 0
	} else {
		n = min(n, uint64(ist.Size-posIn))
	}
	if posOut >= 0 {
		if n, err = t.LimitWriteSize(posOut, n); err != nil {
			return 0, err
		}
	}
	if ist.Dev == ost.Dev && ist.Ino == ost.Ino && posOut+int64(n) > posIn && posOut < posIn+int64(n) {
		return 0, linux.EINVAL
	}
	if posIn < 0 || posOut < 0 {
		return 0, linux.EINVAL
	}
	return min(n, linux.MAX_RW_COUNT), nil
}
