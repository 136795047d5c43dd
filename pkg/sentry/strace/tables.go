package strace

import (
	"fmt"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// The name tables below are strace's own: the sentry needs few of these
// constants, so they are not in pkg/abi/linux. Where pkg/abi/linux already
// has a constant, the table uses it. tables_test.go checks every value
// here against golang.org/x/sys/unix, or lists the Linux header it comes
// from where x/sys lacks it.

// named is one value and its Linux name.
type named struct {
	v    uint64
	name string
}

// enumTable names the values of an argument that takes one of a set.
type enumTable struct {
	vals []named
	// unknownHex prints unknown values in hex rather than signed decimal.
	unknownHex bool
}

func (t *enumTable) format(v uint64) string {
	for _, n := range t.vals {
		if n.v == v {
			return n.name
		}
	}
	if t.unknownHex {
		return fmt.Sprintf("%#x", v)
	}
	return fmt.Sprintf("%d", int64(v))
}

// flagTable names the bits of a flags argument.
type flagTable struct {
	// field, if non-zero, masks a multi-valued field printed first: by
	// fieldVals (unknown values in hex), or as a signal name if
	// fieldIsSignal. A zero field with no name prints nothing.
	field         uint64
	fieldVals     []named
	fieldIsSignal bool
	// flags are matched in order; a multi-bit flag must come before the
	// single-bit flags it contains.
	flags []named
	// zero is printed when nothing else is, instead of "0".
	zero string
}

func (t *flagTable) format(v uint64) string {
	var parts []string
	if t.field != 0 {
		if s := t.formatField(v & t.field); s != "" {
			parts = append(parts, s)
		}
		v &^= t.field
	}
	for _, f := range t.flags {
		if f.v != 0 && v&f.v == f.v {
			parts = append(parts, f.name)
			v &^= f.v
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	if len(parts) == 0 {
		if t.zero != "" {
			return t.zero
		}
		return "0"
	}
	return strings.Join(parts, "|")
}

func (t *flagTable) formatField(v uint64) string {
	if t.fieldIsSignal {
		if v == 0 {
			return ""
		}
		return signalName(v)
	}
	for _, n := range t.fieldVals {
		if n.v == v {
			return n.name
		}
	}
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%#x", v)
}

// atFDCWD is AT_FDCWD, defined in include/uapi/linux/fcntl.h.
const atFDCWD = -100

// Open flags, defined in include/uapi/asm-generic/fcntl.h.
var openFlags = &flagTable{
	field: 3, // O_ACCMODE
	fieldVals: []named{
		{0, "O_RDONLY"}, {1, "O_WRONLY"}, {2, "O_RDWR"},
	},
	flags: []named{
		{0x410000, "O_TMPFILE"}, // __O_TMPFILE|O_DIRECTORY
		{0x101000, "O_SYNC"},    // __O_SYNC|O_DSYNC
		{0x40, "O_CREAT"},
		{0x80, "O_EXCL"},
		{0x100, "O_NOCTTY"},
		{0x200, "O_TRUNC"},
		{0x400, "O_APPEND"},
		{0x800, "O_NONBLOCK"},
		{0x1000, "O_DSYNC"},
		{0x2000, "O_ASYNC"},
		{0x4000, "O_DIRECT"},
		{0x8000, "O_LARGEFILE"},
		{0x10000, "O_DIRECTORY"},
		{0x20000, "O_NOFOLLOW"},
		{0x40000, "O_NOATIME"},
		{0x80000, "O_CLOEXEC"},
		{0x200000, "O_PATH"},
	},
}

// oCreat and oTmpfile decide whether open's mode argument is meaningful.
const (
	oCreat   = 0x40
	oTmpfile = 0x410000
)

// fdFlags are the O_* flags of dup3, pipe2, eventfd2, epoll_create1 and
// friends (no access mode).
var fdFlags = &flagTable{flags: []named{
	{0x800, "O_NONBLOCK"},
	{0x4000, "O_DIRECT"},
	{0x80000, "O_CLOEXEC"},
}}

// fdCloexec is FD_CLOEXEC for F_GETFD/F_SETFD, in include/uapi/asm-generic/fcntl.h.
var fdCloexec = &flagTable{flags: []named{{1, "FD_CLOEXEC"}}}

// Memory protection, defined in include/uapi/asm-generic/mman-common.h.
var mmapProt = &flagTable{
	flags: []named{
		{0x1, "PROT_READ"},
		{0x2, "PROT_WRITE"},
		{0x4, "PROT_EXEC"},
		{0x8, "PROT_SEM"},
		{0x1000000, "PROT_GROWSDOWN"},
		{0x2000000, "PROT_GROWSUP"},
	},
	zero: "PROT_NONE",
}

// mmap flags, defined in include/uapi/linux/mman.h,
// include/uapi/asm-generic/mman-common.h and arch/x86/include/uapi/asm/mman.h.
var mmapFlags = &flagTable{
	field: 0xf, // MAP_TYPE
	fieldVals: []named{
		{1, "MAP_SHARED"}, {2, "MAP_PRIVATE"}, {3, "MAP_SHARED_VALIDATE"},
	},
	flags: []named{
		{0x10, "MAP_FIXED"},
		{0x20, "MAP_ANONYMOUS"},
		{0x40, "MAP_32BIT"},
		{0x100, "MAP_GROWSDOWN"},
		{0x800, "MAP_DENYWRITE"},
		{0x1000, "MAP_EXECUTABLE"},
		{0x2000, "MAP_LOCKED"},
		{0x4000, "MAP_NORESERVE"},
		{0x8000, "MAP_POPULATE"},
		{0x10000, "MAP_NONBLOCK"},
		{0x20000, "MAP_STACK"},
		{0x40000, "MAP_HUGETLB"},
		{0x80000, "MAP_SYNC"},
		{0x100000, "MAP_FIXED_NOREPLACE"},
		{0x4000000, "MAP_UNINITIALIZED"},
	},
}

// mremap flags, defined in include/uapi/linux/mman.h.
var mremapFlags = &flagTable{flags: []named{
	{1, "MREMAP_MAYMOVE"},
	{2, "MREMAP_FIXED"},
	{4, "MREMAP_DONTUNMAP"},
}}

// Clone flags, defined in include/uapi/linux/sched.h.
var cloneFlagNames = []named{
	{0x100, "CLONE_VM"},
	{0x200, "CLONE_FS"},
	{0x400, "CLONE_FILES"},
	{0x800, "CLONE_SIGHAND"},
	{0x1000, "CLONE_PIDFD"},
	{0x2000, "CLONE_PTRACE"},
	{0x4000, "CLONE_VFORK"},
	{0x8000, "CLONE_PARENT"},
	{0x10000, "CLONE_THREAD"},
	{0x20000, "CLONE_NEWNS"},
	{0x40000, "CLONE_SYSVSEM"},
	{0x80000, "CLONE_SETTLS"},
	{0x100000, "CLONE_PARENT_SETTID"},
	{0x200000, "CLONE_CHILD_CLEARTID"},
	{0x400000, "CLONE_DETACHED"},
	{0x800000, "CLONE_UNTRACED"},
	{0x1000000, "CLONE_CHILD_SETTID"},
	{0x2000000, "CLONE_NEWCGROUP"},
	{0x4000000, "CLONE_NEWUTS"},
	{0x8000000, "CLONE_NEWIPC"},
	{0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"},
	{0x40000000, "CLONE_NEWNET"},
	{0x80000000, "CLONE_IO"},
}

// cloneFlags are clone(2)'s flags: the low byte (CSIGNAL) is the signal
// sent to the parent when the child exits.
var cloneFlags = &flagTable{
	field:         0xff,
	fieldIsSignal: true,
	flags:         cloneFlagNames,
}

// clone3Flags are clone_args.flags, where the low byte holds flags.
var clone3Flags = &flagTable{flags: append([]named{
	{0x80, "CLONE_NEWTIME"},
	{0x100000000, "CLONE_CLEAR_SIGHAND"},
	{0x200000000, "CLONE_INTO_CGROUP"},
}, cloneFlagNames...)}

// Futex operations.
var futexOp = &flagTable{
	field: futexCmdMask,
	fieldVals: []named{
		{linux.FUTEX_WAIT, "FUTEX_WAIT"},
		{linux.FUTEX_WAKE, "FUTEX_WAKE"},
		{linux.FUTEX_FD, "FUTEX_FD"},
		{linux.FUTEX_REQUEUE, "FUTEX_REQUEUE"},
		{linux.FUTEX_CMP_REQUEUE, "FUTEX_CMP_REQUEUE"},
		{linux.FUTEX_WAKE_OP, "FUTEX_WAKE_OP"},
		{linux.FUTEX_LOCK_PI, "FUTEX_LOCK_PI"},
		{linux.FUTEX_UNLOCK_PI, "FUTEX_UNLOCK_PI"},
		{linux.FUTEX_TRYLOCK_PI, "FUTEX_TRYLOCK_PI"},
		{linux.FUTEX_WAIT_BITSET, "FUTEX_WAIT_BITSET"},
		{linux.FUTEX_WAKE_BITSET, "FUTEX_WAKE_BITSET"},
		{linux.FUTEX_WAIT_REQUEUE_PI, "FUTEX_WAIT_REQUEUE_PI"},
		{linux.FUTEX_CMP_REQUEUE_PI, "FUTEX_CMP_REQUEUE_PI"},
		{linux.FUTEX_LOCK_PI2, "FUTEX_LOCK_PI2"},
	},
	flags: []named{
		{linux.FUTEX_PRIVATE_FLAG, "FUTEX_PRIVATE_FLAG"},
		{linux.FUTEX_CLOCK_REALTIME, "FUTEX_CLOCK_REALTIME"},
	},
}

// futexCmdMask selects the command of a futex op (the low 32 bits of the
// register, without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME).
const futexCmdMask = linux.FUTEX_CMD_MASK

// rt_sigprocmask how.
var sigprocmaskHow = &enumTable{vals: []named{
	{linux.SIG_BLOCK, "SIG_BLOCK"},
	{linux.SIG_UNBLOCK, "SIG_UNBLOCK"},
	{linux.SIG_SETMASK, "SIG_SETMASK"},
}}

// sigaction flags.
var sigactionFlags = &flagTable{flags: []named{
	{linux.SA_NOCLDSTOP, "SA_NOCLDSTOP"},
	{linux.SA_NOCLDWAIT, "SA_NOCLDWAIT"},
	{linux.SA_SIGINFO, "SA_SIGINFO"},
	{linux.SA_UNSUPPORTED, "SA_UNSUPPORTED"},
	{linux.SA_EXPOSE_TAGBITS, "SA_EXPOSE_TAGBITS"},
	{linux.SA_RESTORER, "SA_RESTORER"},
	{linux.SA_ONSTACK, "SA_ONSTACK"},
	{linux.SA_RESTART, "SA_RESTART"},
	{linux.SA_NODEFER, "SA_NODEFER"},
	{linux.SA_RESETHAND, "SA_RESETHAND"},
}}

// sigaction handler values.
var sigHandler = &enumTable{vals: []named{
	{linux.SIG_DFL, "SIG_DFL"},
	{linux.SIG_IGN, "SIG_IGN"},
}, unknownHex: true}

// sigaltstack flags.
var stackFlags = &flagTable{flags: []named{
	{linux.SS_ONSTACK, "SS_ONSTACK"},
	{linux.SS_DISABLE, "SS_DISABLE"},
	{linux.SS_AUTODISARM & 0xffffffff, "SS_AUTODISARM"}, // a C int: 1<<31
}}

// arch_prctl codes, defined in arch/x86/include/uapi/asm/prctl.h.
var archPrctlCode = &enumTable{vals: []named{
	{0x1001, "ARCH_SET_GS"},
	{0x1002, "ARCH_SET_FS"},
	{0x1003, "ARCH_GET_FS"},
	{0x1004, "ARCH_GET_GS"},
	{0x1011, "ARCH_GET_CPUID"},
	{0x1012, "ARCH_SET_CPUID"},
	{0x1021, "ARCH_GET_XCOMP_SUPP"},
	{0x1022, "ARCH_GET_XCOMP_PERM"},
	{0x1023, "ARCH_REQ_XCOMP_PERM"},
	{0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
	{0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
	{0x2001, "ARCH_MAP_VDSO_X32"},
	{0x2002, "ARCH_MAP_VDSO_32"},
	{0x2003, "ARCH_MAP_VDSO_64"},
	{0x5001, "ARCH_SHSTK_ENABLE"},
	{0x5002, "ARCH_SHSTK_DISABLE"},
	{0x5003, "ARCH_SHSTK_LOCK"},
	{0x5004, "ARCH_SHSTK_UNLOCK"},
	{0x5005, "ARCH_SHSTK_STATUS"},
}, unknownHex: true}

// madvise advice, defined in include/uapi/asm-generic/mman-common.h.
var madviseAdvice = &enumTable{vals: []named{
	{0, "MADV_NORMAL"},
	{1, "MADV_RANDOM"},
	{2, "MADV_SEQUENTIAL"},
	{3, "MADV_WILLNEED"},
	{4, "MADV_DONTNEED"},
	{8, "MADV_FREE"},
	{9, "MADV_REMOVE"},
	{10, "MADV_DONTFORK"},
	{11, "MADV_DOFORK"},
	{12, "MADV_MERGEABLE"},
	{13, "MADV_UNMERGEABLE"},
	{14, "MADV_HUGEPAGE"},
	{15, "MADV_NOHUGEPAGE"},
	{16, "MADV_DONTDUMP"},
	{17, "MADV_DODUMP"},
	{18, "MADV_WIPEONFORK"},
	{19, "MADV_KEEPONFORK"},
	{20, "MADV_COLD"},
	{21, "MADV_PAGEOUT"},
	{22, "MADV_POPULATE_READ"},
	{23, "MADV_POPULATE_WRITE"},
	{24, "MADV_DONTNEED_LOCKED"},
	{25, "MADV_COLLAPSE"},
	{100, "MADV_HWPOISON"},
	{101, "MADV_SOFT_OFFLINE"},
}}

// Resource limits, defined in include/uapi/asm-generic/resource.h.
var rlimitResource = &enumTable{vals: []named{
	{0, "RLIMIT_CPU"},
	{1, "RLIMIT_FSIZE"},
	{2, "RLIMIT_DATA"},
	{3, "RLIMIT_STACK"},
	{4, "RLIMIT_CORE"},
	{5, "RLIMIT_RSS"},
	{6, "RLIMIT_NPROC"},
	{7, "RLIMIT_NOFILE"},
	{8, "RLIMIT_MEMLOCK"},
	{9, "RLIMIT_AS"},
	{10, "RLIMIT_LOCKS"},
	{11, "RLIMIT_SIGPENDING"},
	{12, "RLIMIT_MSGQUEUE"},
	{13, "RLIMIT_NICE"},
	{14, "RLIMIT_RTPRIO"},
	{15, "RLIMIT_RTTIME"},
}}

// rlimInfinity is RLIM_INFINITY on 64-bit Linux.
const rlimInfinity = ^uint64(0)

// Clock ids, defined in include/uapi/linux/time.h. Negative ids (CPU
// clocks of a process or thread) print as numbers.
var clockID = &enumTable{vals: []named{
	{0, "CLOCK_REALTIME"},
	{1, "CLOCK_MONOTONIC"},
	{2, "CLOCK_PROCESS_CPUTIME_ID"},
	{3, "CLOCK_THREAD_CPUTIME_ID"},
	{4, "CLOCK_MONOTONIC_RAW"},
	{5, "CLOCK_REALTIME_COARSE"},
	{6, "CLOCK_MONOTONIC_COARSE"},
	{7, "CLOCK_BOOTTIME"},
	{8, "CLOCK_REALTIME_ALARM"},
	{9, "CLOCK_BOOTTIME_ALARM"},
	{11, "CLOCK_TAI"},
}}

// clock_nanosleep flags, defined in include/uapi/linux/time.h.
var timerFlags = &flagTable{flags: []named{{1, "TIMER_ABSTIME"}}}

// wait4/waitid options, defined in include/uapi/linux/wait.h.
var waitOptions = &flagTable{flags: []named{
	{0x1, "WNOHANG"},
	{0x2, "WUNTRACED"},
	{0x4, "WEXITED"},
	{0x8, "WCONTINUED"},
	{0x1000000, "WNOWAIT"},
	{0x20000000, "__WNOTHREAD"},
	{0x40000000, "__WALL"},
	{0x80000000, "__WCLONE"},
}}

// lseek whence, defined in include/uapi/linux/fs.h.
var seekWhence = &enumTable{vals: []named{
	{0, "SEEK_SET"},
	{1, "SEEK_CUR"},
	{2, "SEEK_END"},
	{3, "SEEK_DATA"},
	{4, "SEEK_HOLE"},
}}

// fcntl commands, defined in include/uapi/asm-generic/fcntl.h and
// include/uapi/linux/fcntl.h.
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fSetown       = 8
	fGetown       = 9
	fSetsig       = 10
	fGetsig       = 11
	fGetlease     = 1025
	fDupfdCloexec = 1030
	fSetpipeSz    = 1031
	fGetpipeSz    = 1032
	fAddSeals     = 1033
	fGetSeals     = 1034
)

var fcntlCmd = &enumTable{vals: []named{
	{fDupfd, "F_DUPFD"},
	{fGetfd, "F_GETFD"},
	{fSetfd, "F_SETFD"},
	{fGetfl, "F_GETFL"},
	{fSetfl, "F_SETFL"},
	{5, "F_GETLK"},
	{6, "F_SETLK"},
	{7, "F_SETLKW"},
	{fSetown, "F_SETOWN"},
	{fGetown, "F_GETOWN"},
	{fSetsig, "F_SETSIG"},
	{fGetsig, "F_GETSIG"},
	{15, "F_SETOWN_EX"},
	{16, "F_GETOWN_EX"},
	{36, "F_OFD_GETLK"},
	{37, "F_OFD_SETLK"},
	{38, "F_OFD_SETLKW"},
	{1024, "F_SETLEASE"},
	{fGetlease, "F_GETLEASE"},
	{1026, "F_NOTIFY"},
	{fDupfdCloexec, "F_DUPFD_CLOEXEC"},
	{fSetpipeSz, "F_SETPIPE_SZ"},
	{fGetpipeSz, "F_GETPIPE_SZ"},
	{fAddSeals, "F_ADD_SEALS"},
	{fGetSeals, "F_GET_SEALS"},
}}

// File seals, defined in include/uapi/linux/fcntl.h.
var sealFlags = &flagTable{flags: []named{
	{0x1, "F_SEAL_SEAL"},
	{0x2, "F_SEAL_SHRINK"},
	{0x4, "F_SEAL_GROW"},
	{0x8, "F_SEAL_WRITE"},
	{0x10, "F_SEAL_FUTURE_WRITE"},
}}

// access/faccessat modes, defined in include/linux/fs.h (MAY_*) and
// unistd.h.
var accessMode = &flagTable{flags: []named{
	{4, "R_OK"},
	{2, "W_OK"},
	{1, "X_OK"},
}, zero: "F_OK"}

// *at flags, defined in include/uapi/linux/fcntl.h.
var atFlags = &flagTable{flags: []named{
	{0x100, "AT_SYMLINK_NOFOLLOW"},
	{0x400, "AT_SYMLINK_FOLLOW"},
	{0x800, "AT_NO_AUTOMOUNT"},
	{0x1000, "AT_EMPTY_PATH"},
	{0x2000, "AT_STATX_FORCE_SYNC"},
	{0x4000, "AT_STATX_DONT_SYNC"},
	{0x8000, "AT_RECURSIVE"},
}}

// unlinkat's flags, where 0x200 is AT_REMOVEDIR.
var unlinkatFlags = &flagTable{flags: []named{{0x200, "AT_REMOVEDIR"}}}

// faccessat2's flags, where 0x200 is AT_EACCESS.
var faccessatFlags = &flagTable{flags: []named{
	{0x100, "AT_SYMLINK_NOFOLLOW"},
	{0x200, "AT_EACCESS"},
	{0x1000, "AT_EMPTY_PATH"},
}}

// renameat2's flags, defined in include/uapi/linux/fs.h.
var renameFlags = &flagTable{flags: []named{
	{1, "RENAME_NOREPLACE"},
	{2, "RENAME_EXCHANGE"},
	{4, "RENAME_WHITEOUT"},
}}

// openat2's resolve flags, defined in include/uapi/linux/openat2.h.
var resolveFlags = &flagTable{flags: []named{
	{0x01, "RESOLVE_NO_XDEV"},
	{0x02, "RESOLVE_NO_MAGICLINKS"},
	{0x04, "RESOLVE_NO_SYMLINKS"},
	{0x08, "RESOLVE_BENEATH"},
	{0x10, "RESOLVE_IN_ROOT"},
	{0x20, "RESOLVE_CACHED"},
}}

// setxattr flags, defined in include/uapi/linux/xattr.h.
var xattrFlags = &flagTable{flags: []named{
	{1, "XATTR_CREATE"},
	{2, "XATTR_REPLACE"},
}}

// fallocate modes, defined in include/uapi/linux/falloc.h.
var fallocMode = &flagTable{flags: []named{
	{0x01, "FALLOC_FL_KEEP_SIZE"},
	{0x02, "FALLOC_FL_PUNCH_HOLE"},
	{0x04, "FALLOC_FL_NO_HIDE_STALE"},
	{0x08, "FALLOC_FL_COLLAPSE_RANGE"},
	{0x10, "FALLOC_FL_ZERO_RANGE"},
	{0x20, "FALLOC_FL_INSERT_RANGE"},
	{0x40, "FALLOC_FL_UNSHARE_RANGE"},
	{0x80, "FALLOC_FL_WRITE_ZEROES"},
}}

// utimensat's special nanosecond values, defined in
// include/uapi/linux/stat.h.
var utimeNsec = &enumTable{vals: []named{
	{linux.UTIME_NOW, "UTIME_NOW"},
	{linux.UTIME_OMIT, "UTIME_OMIT"},
}}

// ioctl requests, defined in include/uapi/asm-generic/ioctls.h.
var ioctlRequest = &enumTable{vals: []named{
	{0x5401, "TCGETS"},
	{0x5402, "TCSETS"},
	{0x5403, "TCSETSW"},
	{0x5404, "TCSETSF"},
	{0x540e, "TIOCSCTTY"},
	{0x540f, "TIOCGPGRP"},
	{0x5410, "TIOCSPGRP"},
	{0x5413, "TIOCGWINSZ"},
	{0x5414, "TIOCSWINSZ"},
	{0x541b, "FIONREAD"},
	{0x5421, "FIONBIO"},
	{0x5422, "TIOCNOTTY"},
	{0x5429, "TIOCGSID"},
	{0x5450, "FIONCLEX"},
	{0x5451, "FIOCLEX"},
	{0x5452, "FIOASYNC"},
	{0x80045430, "TIOCGPTN"},
	{0x40045431, "TIOCSPTLCK"},
}, unknownHex: true}

// poll events, defined in include/uapi/asm-generic/poll.h.
var pollEvents = &flagTable{flags: []named{
	{0x1, "POLLIN"},
	{0x2, "POLLPRI"},
	{0x4, "POLLOUT"},
	{0x8, "POLLERR"},
	{0x10, "POLLHUP"},
	{0x20, "POLLNVAL"},
	{0x40, "POLLRDNORM"},
	{0x80, "POLLRDBAND"},
	{0x100, "POLLWRNORM"},
	{0x200, "POLLWRBAND"},
	{0x400, "POLLMSG"},
	{0x1000, "POLLREMOVE"},
	{0x2000, "POLLRDHUP"},
}}

// getrandom flags, defined in include/uapi/linux/random.h.
var getrandomFlags = &flagTable{flags: []named{
	{1, "GRND_NONBLOCK"},
	{2, "GRND_RANDOM"},
	{4, "GRND_INSECURE"},
}}

// File types of st_mode.
const sIFMT = linux.S_IFMT

var fileType = &enumTable{vals: []named{
	{linux.S_IFSOCK, "S_IFSOCK"},
	{linux.S_IFLNK, "S_IFLNK"},
	{linux.S_IFREG, "S_IFREG"},
	{linux.S_IFBLK, "S_IFBLK"},
	{linux.S_IFDIR, "S_IFDIR"},
	{linux.S_IFCHR, "S_IFCHR"},
	{linux.S_IFIFO, "S_IFIFO"},
}, unknownHex: true}

// tables lists every table, for the test that checks their values.
var (
	enumTables = map[string]*enumTable{
		"sigprocmaskHow": sigprocmaskHow,
		"sigHandler":     sigHandler,
		"archPrctlCode":  archPrctlCode,
		"madviseAdvice":  madviseAdvice,
		"rlimitResource": rlimitResource,
		"clockID":        clockID,
		"seekWhence":     seekWhence,
		"fcntlCmd":       fcntlCmd,
		"ioctlRequest":   ioctlRequest,
		"fileType":       fileType,
		"utimeNsec":      utimeNsec,
	}
	flagTables = map[string]*flagTable{
		"openFlags":      openFlags,
		"fdFlags":        fdFlags,
		"fdCloexec":      fdCloexec,
		"mmapProt":       mmapProt,
		"mmapFlags":      mmapFlags,
		"mremapFlags":    mremapFlags,
		"cloneFlags":     cloneFlags,
		"clone3Flags":    clone3Flags,
		"futexOp":        futexOp,
		"sigactionFlags": sigactionFlags,
		"stackFlags":     stackFlags,
		"timerFlags":     timerFlags,
		"waitOptions":    waitOptions,
		"sealFlags":      sealFlags,
		"accessMode":     accessMode,
		"atFlags":        atFlags,
		"unlinkatFlags":  unlinkatFlags,
		"faccessatFlags": faccessatFlags,
		"pollEvents":     pollEvents,
		"getrandomFlags": getrandomFlags,
		"renameFlags":    renameFlags,
		"resolveFlags":   resolveFlags,
		"xattrFlags":     xattrFlags,
		"fallocMode":     fallocMode,
	}
)
