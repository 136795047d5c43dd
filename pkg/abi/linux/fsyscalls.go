package linux

// VALID_OPEN_FLAGS are the open(2) flags Linux knows; open and openat
// drop the others, openat2 refuses them. Defined in include/linux/fcntl.h.
const VALID_OPEN_FLAGS = O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC |
	O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY |
	O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE

// O_PATH_FLAGS are the flags that may come with O_PATH, defined in
// fs/open.c.
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC

// VALID_RESOLVE_FLAGS are openat2's known RESOLVE_* flags, defined in
// include/linux/fcntl.h.
const VALID_RESOLVE_FLAGS = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
	RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED

// S_IALLUGO are the permission and set-ID bits of a mode, defined in
// include/linux/stat.h.
const S_IALLUGO = S_ISUID | S_ISGID | S_ISVTX | S_IRWXU | S_IRWXG | S_IRWXO

// More fallocate(2) modes, defined in include/uapi/linux/falloc.h
// (FALLOC_FL_ALLOCATE_RANGE is "no mode bit"; FALLOC_FL_MODE_MASK is in
// include/linux/falloc.h).
const (
	FALLOC_FL_ALLOCATE_RANGE = 0x00
	FALLOC_FL_WRITE_ZEROES   = 0x80
	FALLOC_FL_MODE_MASK      = FALLOC_FL_ALLOCATE_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE |
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES
)

// Utimbuf is struct utimbuf of utime(2), defined in
// include/uapi/linux/utime.h.
type Utimbuf struct {
	Actime  int64
	Modtime int64
}

// Directory entry record layouts of getdents64(2) (struct linux_dirent64,
// include/linux/dirent.h) and getdents(2) (struct linux_dirent, fs/readdir.c):
// d_ino and d_off are 8 bytes each, then the 2-byte d_reclen; linux_dirent64
// has the 1-byte d_type before d_name, linux_dirent keeps d_type in the
// record's last byte. Records are padded to 8 bytes.
const (
	Dirent64NameOffset = 19
	DirentNameOffset   = 18
)

// sync_file_range(2) flags, defined in include/uapi/linux/fs.h.
const (
	SYNC_FILE_RANGE_WAIT_BEFORE = 1
	SYNC_FILE_RANGE_WRITE       = 2
	SYNC_FILE_RANGE_WAIT_AFTER  = 4
)
