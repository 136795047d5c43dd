package linux

// More *at flags, defined in include/uapi/linux/fcntl.h.
const (
	AT_REMOVEDIR        = 0x200
	AT_EACCESS          = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_RECURSIVE        = 0x8000
	AT_HANDLE_FID       = 0x200
	AT_RENAME_NOREPLACE = 0x1
)

// NAME_MAX is the longest path component, defined in
// include/uapi/linux/limits.h.
const NAME_MAX = 255

// MAXSYMLINKS is how many symlinks one path resolution may follow, defined
// in include/linux/namei.h.
const MAXSYMLINKS = 40

// access(2) modes, defined in include/uapi/linux/fcntl.h (via unistd.h).
const (
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// renameat2(2) flags, defined in include/uapi/linux/fs.h.
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// OpenHow is struct open_how of openat2(2), defined in
// include/uapi/linux/openat2.h.
type OpenHow struct {
	Flags   uint64
	Mode    uint64
	Resolve uint64
}

// SizeOfOpenHow is sizeof(struct open_how) (OPEN_HOW_SIZE_VER0).
const SizeOfOpenHow = 24

// openat2 resolve flags, defined in include/uapi/linux/openat2.h.
const (
	RESOLVE_NO_XDEV       = 0x01
	RESOLVE_NO_MAGICLINKS = 0x02
	RESOLVE_NO_SYMLINKS   = 0x04
	RESOLVE_BENEATH       = 0x08
	RESOLVE_IN_ROOT       = 0x10
	RESOLVE_CACHED        = 0x20
)

// Directory entry types (d_type), defined in include/linux/fs_types.h.
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
	DT_WHT     = 14
)

// DirentType returns the d_type of a file with st_mode mode.
func DirentType(mode uint32) uint8 {
	return uint8((mode & S_IFMT) >> 12)
}

// Mount flags, defined in include/uapi/linux/mount.h.
const (
	MS_RDONLY      = 1
	MS_NOSUID      = 2
	MS_NODEV       = 4
	MS_NOEXEC      = 8
	MS_SYNCHRONOUS = 16
	MS_REMOUNT     = 32
	MS_MANDLOCK    = 64
	MS_DIRSYNC     = 128
	MS_NOSYMFOLLOW = 256
	MS_NOATIME     = 1024
	MS_NODIRATIME  = 2048
	MS_BIND        = 4096
	MS_MOVE        = 8192
	MS_REC         = 16384
	MS_RELATIME    = 1 << 21
	MS_STRICTATIME = 1 << 24
)

// Statfs is struct statfs on x86-64, defined in
// include/uapi/asm-generic/statfs.h (120 bytes).
type Statfs struct {
	Type    int64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
	Spare   [4]int64
}

// SizeOfStatfs is sizeof(struct statfs).
const SizeOfStatfs = 120

// ST_* flags of Statfs.Flags, defined in include/linux/statfs.h.
const (
	ST_RDONLY      = 0x0001
	ST_NOSUID      = 0x0002
	ST_NODEV       = 0x0004
	ST_NOEXEC      = 0x0008
	ST_SYNCHRONOUS = 0x0010
	ST_VALID       = 0x0020
	ST_NOATIME     = 0x0400
	ST_NODIRATIME  = 0x0800
	ST_RELATIME    = 0x1000
	ST_NOSYMFOLLOW = 0x2000
)

// File system magic numbers (f_type), defined in
// include/uapi/linux/magic.h.
const (
	TMPFS_MAGIC           = 0x01021994
	PROC_SUPER_MAGIC      = 0x9fa0
	DEVPTS_SUPER_MAGIC    = 0x1cd1
	SYSFS_MAGIC           = 0x62656572
	OVERLAYFS_SUPER_MAGIC = 0x794c7630
	V9FS_MAGIC            = 0x01021997
	ANON_INODE_FS_MAGIC   = 0x09041934
	PIPEFS_MAGIC          = 0x50495045
	SOCKFS_MAGIC          = 0x534f434b
)

// xattr flags and limits, defined in include/uapi/linux/xattr.h and
// include/uapi/linux/limits.h.
const (
	XATTR_CREATE   = 0x1
	XATTR_REPLACE  = 0x2
	XATTR_NAME_MAX = 255
	XATTR_SIZE_MAX = 65536
	XATTR_LIST_MAX = 65536
)

// fallocate(2) modes, defined in include/uapi/linux/falloc.h.
const (
	FALLOC_FL_KEEP_SIZE      = 0x01
	FALLOC_FL_PUNCH_HOLE     = 0x02
	FALLOC_FL_NO_HIDE_STALE  = 0x04
	FALLOC_FL_COLLAPSE_RANGE = 0x08
	FALLOC_FL_ZERO_RANGE     = 0x10
	FALLOC_FL_INSERT_RANGE   = 0x20
	FALLOC_FL_UNSHARE_RANGE  = 0x40
)

// memfd_create(2) flags, defined in include/uapi/linux/memfd.h.
const (
	MFD_CLOEXEC       = 0x0001
	MFD_ALLOW_SEALING = 0x0002
	MFD_HUGETLB       = 0x0004
	MFD_NOEXEC_SEAL   = 0x0008
	MFD_EXEC          = 0x0010
)

// File seals, defined in include/uapi/linux/fcntl.h.
const (
	F_SEAL_SEAL         = 0x0001
	F_SEAL_SHRINK       = 0x0002
	F_SEAL_GROW         = 0x0004
	F_SEAL_WRITE        = 0x0008
	F_SEAL_FUTURE_WRITE = 0x0010
	F_SEAL_EXEC         = 0x0020
)

// Capabilities the file system checks, defined in
// include/uapi/linux/capability.h.
const (
	CAP_CHOWN              = 0
	CAP_DAC_OVERRIDE       = 1
	CAP_DAC_READ_SEARCH    = 2
	CAP_FOWNER             = 3
	CAP_FSETID             = 4
	CAP_KILL               = 5
	CAP_SETGID             = 6
	CAP_SETUID             = 7
	CAP_SETPCAP            = 8
	CAP_LINUX_IMMUTABLE    = 9
	CAP_NET_BIND_SERVICE   = 10
	CAP_NET_BROADCAST      = 11
	CAP_NET_ADMIN          = 12
	CAP_NET_RAW            = 13
	CAP_IPC_LOCK           = 14
	CAP_IPC_OWNER          = 15
	CAP_SYS_MODULE         = 16
	CAP_SYS_RAWIO          = 17
	CAP_SYS_CHROOT         = 18
	CAP_SYS_PTRACE         = 19
	CAP_SYS_PACCT          = 20
	CAP_SYS_ADMIN          = 21
	CAP_SYS_BOOT           = 22
	CAP_SYS_NICE           = 23
	CAP_SYS_RESOURCE       = 24
	CAP_SYS_TIME           = 25
	CAP_SYS_TTY_CONFIG     = 26
	CAP_MKNOD              = 27
	CAP_LEASE              = 28
	CAP_AUDIT_WRITE        = 29
	CAP_AUDIT_CONTROL      = 30
	CAP_SETFCAP            = 31
	CAP_MAC_OVERRIDE       = 32
	CAP_MAC_ADMIN          = 33
	CAP_SYSLOG             = 34
	CAP_WAKE_ALARM         = 35
	CAP_BLOCK_SUSPEND      = 36
	CAP_AUDIT_READ         = 37
	CAP_PERFMON            = 38
	CAP_BPF                = 39
	CAP_CHECKPOINT_RESTORE = 40
	CAP_LAST_CAP           = CAP_CHECKPOINT_RESTORE
)
