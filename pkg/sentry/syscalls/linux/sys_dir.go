package linux

import (
	"encoding/binary"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// dirEntries read directories.
var dirEntries = map[uintptr]kernel.Syscall{
	linux.SYS_GETDENTS:   full(getdents),
	linux.SYS_GETDENTS64: full(getdents64),
}

// direntChunk bounds the sentry buffer of one getdents call; a larger
// count just returns fewer entries per call, which callers loop over.
const direntChunk = 256 << 10

func getdents(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doGetdents(t, int32(a[0]), a[1], uint32(a[2]), false)
}

func getdents64(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doGetdents(t, int32(a[0]), a[1], uint32(a[2]), true)
}

// appendDirent64 appends d as a struct linux_dirent64 whose d_off is next.
func appendDirent64(buf []byte, d vfs.Dirent, next int64) []byte {
	reclen := align8(linux.Dirent64NameOffset + len(d.Name) + 1)
	buf = binary.LittleEndian.AppendUint64(buf, d.Ino)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(next))
	buf = binary.LittleEndian.AppendUint16(buf, uint16(reclen))
	buf = append(buf, d.Type)
	buf = append(buf, d.Name...)
	return append(buf, make([]byte, reclen-linux.Dirent64NameOffset-len(d.Name))...)
}

// appendDirent appends d as the old struct linux_dirent, whose d_type is
// the record's last byte, after the name's NUL and padding.
func appendDirent(buf []byte, d vfs.Dirent, next int64) []byte {
	reclen := align8(linux.DirentNameOffset + len(d.Name) + 2)
	buf = binary.LittleEndian.AppendUint64(buf, d.Ino)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(next))
	buf = binary.LittleEndian.AppendUint16(buf, uint16(reclen))
	buf = append(buf, d.Name...)
	buf = append(buf, make([]byte, reclen-linux.DirentNameOffset-len(d.Name)-1)...)
	return append(buf, d.Type)
}

func align8(n int) int { return (n + 7) &^ 7 }

// direntSize is the record length of d.
func direntSize(d vfs.Dirent, is64 bool) int {
	if is64 {
		return align8(linux.Dirent64NameOffset + len(d.Name) + 1)
	}
	return align8(linux.DirentNameOffset + len(d.Name) + 2)
}

// doGetdents fills the buffer with whole records from the file offset on.
// A buffer too small for the first record is EINVAL; an entry whose name
// cannot be a file name (a file system's bug) is EIO, as Linux's
// verify_dirent_name; a removed directory is ENOENT.
func doGetdents(t *kernel.Task, fd int32, addr uint64, count uint32, is64 bool) (uint64, error) {
	f, err := getFileNoPath(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	df, ok := f.(vfs.DirentFile)
	if !ok {
		return 0, linux.ENOTDIR
	}
	if vd, ok := vfsLocation(f); ok && vd.Dentry.IsDead() {
		return 0, linux.ENOENT
	}
	limit := min(int(count), direntChunk)
	var buf []byte
	var fillErr error
	err = df.IterDirents(t, func(d vfs.Dirent, next int64) bool {
		if d.Name == "" || strings.ContainsAny(d.Name, "/\x00") {
			fillErr = linux.EIO
			return false
		}
		if len(buf)+direntSize(d, is64) > limit {
			fillErr = linux.EINVAL
			return false
		}
		if is64 {
			buf = appendDirent64(buf, d, next)
		} else {
			buf = appendDirent(buf, d, next)
		}
		return true
	})
	if len(buf) == 0 {
		if err != nil {
			return 0, err
		}
		return 0, fillErr
	}
	if _, err := t.CopyOut(addr, buf); err != nil {
		return 0, linux.EFAULT
	}
	return uint64(len(buf)), nil
}
