package linux

// Timespec is struct timespec, defined in include/uapi/linux/time.h.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Stat is struct stat on x86-64, defined in
// arch/x86/include/uapi/asm/stat.h (144 bytes).
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	UID     uint32
	GID     uint32
	_       int32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64
	ATime   Timespec
	MTime   Timespec
	CTime   Timespec
	_       [3]int64
}

// SizeOfStat is sizeof(struct stat).
const SizeOfStat = 144

// File type bits of st_mode, defined in include/uapi/linux/stat.h.
const (
	S_IFMT   = 0170000
	S_IFSOCK = 0140000
	S_IFLNK  = 0120000
	S_IFREG  = 0100000
	S_IFBLK  = 0060000
	S_IFDIR  = 0040000
	S_IFCHR  = 0020000
	S_IFIFO  = 0010000
)
