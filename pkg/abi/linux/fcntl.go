package linux

// Open and status flags (x86-64 values), defined in
// include/uapi/asm-generic/fcntl.h.
const (
	O_ACCMODE   = 00000003
	O_RDONLY    = 00000000
	O_WRONLY    = 00000001
	O_RDWR      = 00000002
	O_CREAT     = 00000100
	O_EXCL      = 00000200
	O_NOCTTY    = 00000400
	O_TRUNC     = 00001000
	O_APPEND    = 00002000
	O_NONBLOCK  = 00004000
	O_DSYNC     = 00010000
	FASYNC      = 00020000
	O_DIRECT    = 00040000
	O_LARGEFILE = 00100000
	O_DIRECTORY = 00200000
	O_NOFOLLOW  = 00400000
	O_NOATIME   = 01000000
	O_CLOEXEC   = 02000000
	O_SYNC      = 04010000
	O_PATH      = 010000000
	O_TMPFILE   = 020200000

	// O_ASYNC is FASYNC's name in the fcntl(2) manual.
	O_ASYNC = FASYNC
)

// SETFL_MASK is the set of status flags F_SETFL may change, defined in
// fs/fcntl.c.
const SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME

// fcntl(2) commands, defined in include/uapi/asm-generic/fcntl.h and
// include/uapi/linux/fcntl.h.
const (
	F_DUPFD         = 0
	F_GETFD         = 1
	F_SETFD         = 2
	F_GETFL         = 3
	F_SETFL         = 4
	F_GETLK         = 5
	F_SETLK         = 6
	F_SETLKW        = 7
	F_SETOWN        = 8
	F_GETOWN        = 9
	F_SETSIG        = 10
	F_GETSIG        = 11
	F_SETOWN_EX     = 15
	F_GETOWN_EX     = 16
	F_OFD_GETLK     = 36
	F_OFD_SETLK     = 37
	F_OFD_SETLKW    = 38
	F_SETLEASE      = 1024
	F_GETLEASE      = 1025
	F_NOTIFY        = 1026
	F_DUPFD_CLOEXEC = 1030
	F_SETPIPE_SZ    = 1031
	F_GETPIPE_SZ    = 1032
	F_ADD_SEALS     = 1033
	F_GET_SEALS     = 1034
)

// FD_CLOEXEC is the close-on-exec FD flag, defined in
// include/uapi/asm-generic/fcntl.h.
const FD_CLOEXEC = 1

// Record lock types, defined in include/uapi/asm-generic/fcntl.h.
const (
	F_RDLCK = 0
	F_WRLCK = 1
	F_UNLCK = 2
)

// Flock is struct flock on x86-64, defined in
// include/uapi/asm-generic/fcntl.h (32 bytes).
type Flock struct {
	Type   int16
	Whence int16
	_      int32
	Start  int64
	Len    int64
	PID    int32
	_      int32
}

// SizeOfFlock is sizeof(struct flock).
const SizeOfFlock = 32

// lseek(2) whence values, defined in include/uapi/linux/fs.h.
const (
	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4
	SEEK_MAX  = SEEK_HOLE
)

// close_range(2) flags, defined in include/uapi/linux/close_range.h.
const (
	CLOSE_RANGE_UNSHARE = 1 << 1
	CLOSE_RANGE_CLOEXEC = 1 << 2
)

// preadv2/pwritev2 flags, defined in include/uapi/linux/fs.h.
const (
	RWF_HIPRI     = 0x00000001
	RWF_DSYNC     = 0x00000002
	RWF_SYNC      = 0x00000004
	RWF_NOWAIT    = 0x00000008
	RWF_APPEND    = 0x00000010
	RWF_NOAPPEND  = 0x00000020
	RWF_ATOMIC    = 0x00000040
	RWF_DONTCACHE = 0x00000080
	RWF_NOSIGNAL  = 0x00000100
)

// UIO_MAXIOV bounds the iovec count of readv/writev, defined in
// include/uapi/linux/uio.h.
const UIO_MAXIOV = 1024

// IovecSize is sizeof(struct iovec) on x86-64, defined in
// include/uapi/linux/uio.h.
const IovecSize = 16

// MAX_RW_COUNT caps the byte count of one read or write (INT_MAX &
// PAGE_MASK), defined in include/linux/fs.h.
const MAX_RW_COUNT = 0x7ffff000

// PIPE_BUF is the atomic pipe write size, defined in
// include/uapi/linux/limits.h.
const PIPE_BUF = 4096

// *at flags and the current-directory FD, defined in
// include/uapi/linux/fcntl.h.
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
)

// PATH_MAX is the longest path, with its NUL, defined in
// include/uapi/linux/limits.h.
const PATH_MAX = 4096
