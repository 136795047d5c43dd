package linux

// StatxTimestamp is struct statx_timestamp, defined in
// include/uapi/linux/stat.h.
type StatxTimestamp struct {
	Sec  int64
	Nsec uint32
	_    int32
}

// Statx is struct statx, defined in include/uapi/linux/stat.h (256 bytes).
type Statx struct {
	Mask           uint32
	Blksize        uint32
	Attributes     uint64
	Nlink          uint32
	UID            uint32
	GID            uint32
	Mode           uint16
	_              uint16
	Ino            uint64
	Size           uint64
	Blocks         uint64
	AttributesMask uint64
	Atime          StatxTimestamp
	Btime          StatxTimestamp
	Ctime          StatxTimestamp
	Mtime          StatxTimestamp
	RdevMajor      uint32
	RdevMinor      uint32
	DevMajor       uint32
	DevMinor       uint32
	MntID          uint64
	DioMemAlign    uint32
	DioOffsetAlign uint32
	_              [12]uint64
}

// SizeOfStatx is sizeof(struct statx).
const SizeOfStatx = 256

// Statx mask bits (stx_mask and the mask argument), defined in
// include/uapi/linux/stat.h.
const (
	STATX_TYPE        = 0x00000001
	STATX_MODE        = 0x00000002
	STATX_NLINK       = 0x00000004
	STATX_UID         = 0x00000008
	STATX_GID         = 0x00000010
	STATX_ATIME       = 0x00000020
	STATX_MTIME       = 0x00000040
	STATX_CTIME       = 0x00000080
	STATX_INO         = 0x00000100
	STATX_SIZE        = 0x00000200
	STATX_BLOCKS      = 0x00000400
	STATX_BASIC_STATS = 0x000007ff
	STATX_BTIME       = 0x00000800
	STATX_MNT_ID      = 0x00001000
	STATX_DIOALIGN    = 0x00002000
	STATX__RESERVED   = 0x80000000
)

// Flags of statx(2)'s flags argument beyond the AT_* ones, defined in
// include/uapi/linux/fcntl.h.
const (
	AT_STATX_SYNC_TYPE    = 0x6000
	AT_STATX_SYNC_AS_STAT = 0x0000
	AT_STATX_FORCE_SYNC   = 0x2000
	AT_STATX_DONT_SYNC    = 0x4000
)

// UTIME_NOW and UTIME_OMIT are the special tv_nsec values of utimensat(2),
// defined in include/uapi/linux/stat.h.
const (
	UTIME_NOW  = (1 << 30) - 1
	UTIME_OMIT = (1 << 30) - 2
)

// Permission bits of st_mode, defined in include/uapi/linux/stat.h.
const (
	S_ISUID = 04000
	S_ISGID = 02000
	S_ISVTX = 01000
	S_IRWXU = 00700
	S_IRUSR = 00400
	S_IWUSR = 00200
	S_IXUSR = 00100
	S_IRWXG = 00070
	S_IRGRP = 00040
	S_IWGRP = 00020
	S_IXGRP = 00010
	S_IRWXO = 00007
	S_IROTH = 00004
	S_IWOTH = 00002
	S_IXOTH = 00001
)

// MakeDev packs a device number the way new_encode_dev does
// (include/linux/kdev_t.h).
func MakeDev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12
}

// DecodeDev splits a device number made by MakeDev.
func DecodeDev(dev uint64) (major, minor uint32) {
	return uint32((dev >> 8) & 0xfff), uint32(dev&0xff) | uint32((dev>>12)&0xfff00)
}
