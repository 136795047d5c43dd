package linux

// MAX_LFS_FILESIZE is the largest file size (s_maxbytes) of file systems
// without a smaller limit, tmpfs among them, defined in include/linux/fs.h
// for 64-bit kernels.
const MAX_LFS_FILESIZE = 0x7fffffffffffffff

// memfd_create(2) names, defined in mm/memfd.c: the file's dentry is
// called MFD_NAME_PREFIX followed by the caller's name, which may be at
// most MFD_NAME_MAX_LEN bytes long.
const (
	MFD_NAME_PREFIX  = "memfd:"
	MFD_NAME_MAX_LEN = NAME_MAX - len(MFD_NAME_PREFIX)
)

// F_ALL_SEALS are the seals F_ADD_SEALS knows, defined in mm/memfd.c.
const F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC
