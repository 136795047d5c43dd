package linux

// flock(2) operations, defined in include/uapi/asm-generic/fcntl.h.
const (
	LOCK_SH = 1
	LOCK_EX = 2
	LOCK_NB = 4
	LOCK_UN = 8
	// LOCK_MAND is the obsolete mandatory flock request, which Linux
	// accepts and ignores.
	LOCK_MAND = 32
)

// OFFSET_MAX is the largest file offset a record lock can reach (loff_t's
// maximum), defined in include/linux/fs.h. A lock whose l_len is 0 ends
// there.
const OFFSET_MAX = 0x7fffffffffffffff

// FIGETBSZ asks for the block size of the file's file system (_IO(0x00,
// 2)), defined in include/uapi/linux/fs.h.
const FIGETBSZ = 2
