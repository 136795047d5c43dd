package strace

import (
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// hostValues are x/sys's values for the names in strace's tables. The test
// is the only place strace meets the host ABI.
var hostValues = map[string]uint64{
	"O_RDONLY": unix.O_RDONLY, "O_WRONLY": unix.O_WRONLY, "O_RDWR": unix.O_RDWR,
	"O_TMPFILE": unix.O_TMPFILE, "O_SYNC": unix.O_SYNC, "O_CREAT": unix.O_CREAT,
	"O_EXCL": unix.O_EXCL, "O_NOCTTY": unix.O_NOCTTY, "O_TRUNC": unix.O_TRUNC,
	"O_APPEND": unix.O_APPEND, "O_NONBLOCK": unix.O_NONBLOCK, "O_DSYNC": unix.O_DSYNC,
	"O_ASYNC": unix.O_ASYNC, "O_DIRECT": unix.O_DIRECT, "O_DIRECTORY": unix.O_DIRECTORY,
	"O_NOFOLLOW": unix.O_NOFOLLOW, "O_NOATIME": unix.O_NOATIME, "O_CLOEXEC": unix.O_CLOEXEC,
	"O_PATH": unix.O_PATH, "FD_CLOEXEC": unix.FD_CLOEXEC,

	"PROT_READ": unix.PROT_READ, "PROT_WRITE": unix.PROT_WRITE, "PROT_EXEC": unix.PROT_EXEC,
	"PROT_GROWSDOWN": unix.PROT_GROWSDOWN, "PROT_GROWSUP": unix.PROT_GROWSUP,
	"MAP_SHARED": unix.MAP_SHARED, "MAP_PRIVATE": unix.MAP_PRIVATE,
	"MAP_SHARED_VALIDATE": unix.MAP_SHARED_VALIDATE, "MAP_FIXED": unix.MAP_FIXED,
	"MAP_ANONYMOUS": unix.MAP_ANONYMOUS, "MAP_32BIT": unix.MAP_32BIT,
	"MAP_GROWSDOWN": unix.MAP_GROWSDOWN, "MAP_DENYWRITE": unix.MAP_DENYWRITE,
	"MAP_EXECUTABLE": unix.MAP_EXECUTABLE, "MAP_LOCKED": unix.MAP_LOCKED,
	"MAP_NORESERVE": unix.MAP_NORESERVE, "MAP_POPULATE": unix.MAP_POPULATE,
	"MAP_NONBLOCK": unix.MAP_NONBLOCK, "MAP_STACK": unix.MAP_STACK,
	"MAP_HUGETLB": unix.MAP_HUGETLB, "MAP_SYNC": unix.MAP_SYNC,
	"MAP_FIXED_NOREPLACE": unix.MAP_FIXED_NOREPLACE,
	"MREMAP_MAYMOVE":      unix.MREMAP_MAYMOVE, "MREMAP_FIXED": unix.MREMAP_FIXED,
	"MREMAP_DONTUNMAP": unix.MREMAP_DONTUNMAP,

	"CLONE_VM": unix.CLONE_VM, "CLONE_FS": unix.CLONE_FS, "CLONE_FILES": unix.CLONE_FILES,
	"CLONE_SIGHAND": unix.CLONE_SIGHAND, "CLONE_PIDFD": unix.CLONE_PIDFD,
	"CLONE_PTRACE": unix.CLONE_PTRACE, "CLONE_VFORK": unix.CLONE_VFORK,
	"CLONE_PARENT": unix.CLONE_PARENT, "CLONE_THREAD": unix.CLONE_THREAD,
	"CLONE_NEWNS": unix.CLONE_NEWNS, "CLONE_SYSVSEM": unix.CLONE_SYSVSEM,
	"CLONE_SETTLS": unix.CLONE_SETTLS, "CLONE_PARENT_SETTID": unix.CLONE_PARENT_SETTID,
	"CLONE_CHILD_CLEARTID": unix.CLONE_CHILD_CLEARTID, "CLONE_DETACHED": unix.CLONE_DETACHED,
	"CLONE_UNTRACED": unix.CLONE_UNTRACED, "CLONE_CHILD_SETTID": unix.CLONE_CHILD_SETTID,
	"CLONE_NEWCGROUP": unix.CLONE_NEWCGROUP, "CLONE_NEWUTS": unix.CLONE_NEWUTS,
	"CLONE_NEWIPC": unix.CLONE_NEWIPC, "CLONE_NEWUSER": unix.CLONE_NEWUSER,
	"CLONE_NEWPID": unix.CLONE_NEWPID, "CLONE_NEWNET": unix.CLONE_NEWNET,
	"CLONE_IO": unix.CLONE_IO, "CLONE_NEWTIME": unix.CLONE_NEWTIME,
	"CLONE_CLEAR_SIGHAND": unix.CLONE_CLEAR_SIGHAND, "CLONE_INTO_CGROUP": unix.CLONE_INTO_CGROUP,

	"MADV_NORMAL": unix.MADV_NORMAL, "MADV_RANDOM": unix.MADV_RANDOM,
	"MADV_SEQUENTIAL": unix.MADV_SEQUENTIAL, "MADV_WILLNEED": unix.MADV_WILLNEED,
	"MADV_DONTNEED": unix.MADV_DONTNEED, "MADV_FREE": unix.MADV_FREE,
	"MADV_REMOVE": unix.MADV_REMOVE, "MADV_DONTFORK": unix.MADV_DONTFORK,
	"MADV_DOFORK": unix.MADV_DOFORK, "MADV_MERGEABLE": unix.MADV_MERGEABLE,
	"MADV_UNMERGEABLE": unix.MADV_UNMERGEABLE, "MADV_HUGEPAGE": unix.MADV_HUGEPAGE,
	"MADV_NOHUGEPAGE": unix.MADV_NOHUGEPAGE, "MADV_DONTDUMP": unix.MADV_DONTDUMP,
	"MADV_DODUMP": unix.MADV_DODUMP, "MADV_WIPEONFORK": unix.MADV_WIPEONFORK,
	"MADV_KEEPONFORK": unix.MADV_KEEPONFORK, "MADV_COLD": unix.MADV_COLD,
	"MADV_PAGEOUT": unix.MADV_PAGEOUT, "MADV_POPULATE_READ": unix.MADV_POPULATE_READ,
	"MADV_POPULATE_WRITE": unix.MADV_POPULATE_WRITE, "MADV_DONTNEED_LOCKED": unix.MADV_DONTNEED_LOCKED,
	"MADV_COLLAPSE": unix.MADV_COLLAPSE, "MADV_HWPOISON": unix.MADV_HWPOISON,

	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_AS": unix.RLIMIT_AS,
	"RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,

	"CLOCK_REALTIME": unix.CLOCK_REALTIME, "CLOCK_MONOTONIC": unix.CLOCK_MONOTONIC,
	"CLOCK_PROCESS_CPUTIME_ID": unix.CLOCK_PROCESS_CPUTIME_ID,
	"CLOCK_THREAD_CPUTIME_ID":  unix.CLOCK_THREAD_CPUTIME_ID,
	"CLOCK_MONOTONIC_RAW":      unix.CLOCK_MONOTONIC_RAW, "CLOCK_REALTIME_COARSE": unix.CLOCK_REALTIME_COARSE,
	"CLOCK_MONOTONIC_COARSE": unix.CLOCK_MONOTONIC_COARSE, "CLOCK_BOOTTIME": unix.CLOCK_BOOTTIME,
	"CLOCK_REALTIME_ALARM": unix.CLOCK_REALTIME_ALARM, "CLOCK_BOOTTIME_ALARM": unix.CLOCK_BOOTTIME_ALARM,
	"CLOCK_TAI": unix.CLOCK_TAI, "TIMER_ABSTIME": unix.TIMER_ABSTIME,

	"WNOHANG": unix.WNOHANG, "WUNTRACED": unix.WUNTRACED, "WEXITED": unix.WEXITED,
	"WCONTINUED": unix.WCONTINUED, "WNOWAIT": unix.WNOWAIT, "__WNOTHREAD": unix.WNOTHREAD,
	"__WALL": unix.WALL, "__WCLONE": unix.WCLONE,

	"SEEK_SET": unix.SEEK_SET, "SEEK_CUR": unix.SEEK_CUR, "SEEK_END": unix.SEEK_END,
	"SEEK_DATA": unix.SEEK_DATA, "SEEK_HOLE": unix.SEEK_HOLE,

	"F_DUPFD": unix.F_DUPFD, "F_GETFD": unix.F_GETFD, "F_SETFD": unix.F_SETFD,
	"F_GETFL": unix.F_GETFL, "F_SETFL": unix.F_SETFL, "F_GETLK": unix.F_GETLK,
	"F_SETLK": unix.F_SETLK, "F_SETLKW": unix.F_SETLKW, "F_SETOWN": unix.F_SETOWN,
	"F_GETOWN": unix.F_GETOWN, "F_SETSIG": unix.F_SETSIG, "F_GETSIG": unix.F_GETSIG,
	"F_SETOWN_EX": unix.F_SETOWN_EX, "F_GETOWN_EX": unix.F_GETOWN_EX,
	"F_OFD_GETLK": unix.F_OFD_GETLK, "F_OFD_SETLK": unix.F_OFD_SETLK, "F_OFD_SETLKW": unix.F_OFD_SETLKW,
	"F_SETLEASE": unix.F_SETLEASE, "F_GETLEASE": unix.F_GETLEASE, "F_NOTIFY": unix.F_NOTIFY,
	"F_DUPFD_CLOEXEC": unix.F_DUPFD_CLOEXEC, "F_SETPIPE_SZ": unix.F_SETPIPE_SZ,
	"F_GETPIPE_SZ": unix.F_GETPIPE_SZ, "F_ADD_SEALS": unix.F_ADD_SEALS, "F_GET_SEALS": unix.F_GET_SEALS,
	"F_SEAL_SEAL": unix.F_SEAL_SEAL, "F_SEAL_SHRINK": unix.F_SEAL_SHRINK, "F_SEAL_GROW": unix.F_SEAL_GROW,
	"F_SEAL_WRITE": unix.F_SEAL_WRITE, "F_SEAL_FUTURE_WRITE": unix.F_SEAL_FUTURE_WRITE,

	"F_OK": unix.F_OK, "R_OK": unix.R_OK, "W_OK": unix.W_OK, "X_OK": unix.X_OK,
	"AT_SYMLINK_NOFOLLOW": unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_FOLLOW": unix.AT_SYMLINK_FOLLOW,
	"AT_NO_AUTOMOUNT": unix.AT_NO_AUTOMOUNT, "AT_EMPTY_PATH": unix.AT_EMPTY_PATH,
	"AT_STATX_FORCE_SYNC": unix.AT_STATX_FORCE_SYNC, "AT_STATX_DONT_SYNC": unix.AT_STATX_DONT_SYNC,
	"AT_RECURSIVE": unix.AT_RECURSIVE, "AT_REMOVEDIR": unix.AT_REMOVEDIR, "AT_EACCESS": unix.AT_EACCESS,

	"TCGETS": unix.TCGETS, "TCSETS": unix.TCSETS, "TCSETSW": unix.TCSETSW, "TCSETSF": unix.TCSETSF,
	"TIOCSCTTY": unix.TIOCSCTTY, "TIOCGPGRP": unix.TIOCGPGRP, "TIOCSPGRP": unix.TIOCSPGRP,
	"TIOCGWINSZ": unix.TIOCGWINSZ, "TIOCSWINSZ": unix.TIOCSWINSZ, "FIONREAD": unix.TIOCINQ,
	"TIOCNOTTY": unix.TIOCNOTTY, "TIOCGSID": unix.TIOCGSID, "TIOCGPTN": unix.TIOCGPTN,
	"TIOCSPTLCK": unix.TIOCSPTLCK,

	"POLLIN": unix.POLLIN, "POLLPRI": unix.POLLPRI, "POLLOUT": unix.POLLOUT,
	"POLLERR": unix.POLLERR, "POLLHUP": unix.POLLHUP, "POLLNVAL": unix.POLLNVAL,
	"POLLRDHUP": unix.POLLRDHUP,

	"GRND_NONBLOCK": unix.GRND_NONBLOCK, "GRND_RANDOM": unix.GRND_RANDOM, "GRND_INSECURE": unix.GRND_INSECURE,

	"S_IFSOCK": unix.S_IFSOCK, "S_IFLNK": unix.S_IFLNK, "S_IFREG": unix.S_IFREG, "S_IFBLK": unix.S_IFBLK,
	"S_IFDIR": unix.S_IFDIR, "S_IFCHR": unix.S_IFCHR, "S_IFIFO": unix.S_IFIFO,

	"RENAME_NOREPLACE": unix.RENAME_NOREPLACE, "RENAME_EXCHANGE": unix.RENAME_EXCHANGE,
	"RENAME_WHITEOUT": unix.RENAME_WHITEOUT,
	"RESOLVE_NO_XDEV": unix.RESOLVE_NO_XDEV, "RESOLVE_NO_MAGICLINKS": unix.RESOLVE_NO_MAGICLINKS,
	"RESOLVE_NO_SYMLINKS": unix.RESOLVE_NO_SYMLINKS, "RESOLVE_BENEATH": unix.RESOLVE_BENEATH,
	"RESOLVE_IN_ROOT": unix.RESOLVE_IN_ROOT,
	"XATTR_CREATE":    unix.XATTR_CREATE, "XATTR_REPLACE": unix.XATTR_REPLACE,
	"FALLOC_FL_KEEP_SIZE": unix.FALLOC_FL_KEEP_SIZE, "FALLOC_FL_PUNCH_HOLE": unix.FALLOC_FL_PUNCH_HOLE,
	"FALLOC_FL_NO_HIDE_STALE": unix.FALLOC_FL_NO_HIDE_STALE, "FALLOC_FL_COLLAPSE_RANGE": unix.FALLOC_FL_COLLAPSE_RANGE,
	"FALLOC_FL_ZERO_RANGE": unix.FALLOC_FL_ZERO_RANGE, "FALLOC_FL_INSERT_RANGE": unix.FALLOC_FL_INSERT_RANGE,
	"FALLOC_FL_UNSHARE_RANGE": unix.FALLOC_FL_UNSHARE_RANGE, "FALLOC_FL_WRITE_ZEROES": unix.FALLOC_FL_WRITE_ZEROES,
	"UTIME_NOW": unix.UTIME_NOW, "UTIME_OMIT": unix.UTIME_OMIT,
}

// guestOnly are names x/sys lacks (or gives a different, libc value), with
// the Linux header their value was taken from.
var guestOnly = map[string]string{
	"O_LARGEFILE":       "include/uapi/asm-generic/fcntl.h (x/sys has glibc's 0 for 64-bit)",
	"PROT_SEM":          "include/uapi/asm-generic/mman-common.h",
	"MAP_UNINITIALIZED": "include/uapi/asm-generic/mman-common.h",
	"MADV_SOFT_OFFLINE": "include/uapi/asm-generic/mman-common.h",
	"POLLRDNORM":        "include/uapi/asm-generic/poll.h",
	"POLLRDBAND":        "include/uapi/asm-generic/poll.h",
	"POLLWRNORM":        "include/uapi/asm-generic/poll.h",
	"POLLWRBAND":        "include/uapi/asm-generic/poll.h",
	"POLLMSG":           "include/uapi/asm-generic/poll.h",
	"POLLREMOVE":        "include/uapi/asm-generic/poll.h",
	"FIONBIO":           "include/uapi/asm-generic/ioctls.h",
	"FIONCLEX":          "include/uapi/asm-generic/ioctls.h",
	"FIOCLEX":           "include/uapi/asm-generic/ioctls.h",
	"FIOASYNC":          "include/uapi/asm-generic/ioctls.h",
	"RESOLVE_CACHED":    "include/uapi/linux/openat2.h",
}

// fromABI are names whose values come from pkg/abi/linux constants.
var fromABI = map[string]uint64{
	"SIG_BLOCK": linux.SIG_BLOCK, "SIG_UNBLOCK": linux.SIG_UNBLOCK, "SIG_SETMASK": linux.SIG_SETMASK,
	"SIG_DFL": linux.SIG_DFL, "SIG_IGN": linux.SIG_IGN,
	"SA_NOCLDSTOP": linux.SA_NOCLDSTOP, "SA_NOCLDWAIT": linux.SA_NOCLDWAIT, "SA_SIGINFO": linux.SA_SIGINFO,
	"SA_UNSUPPORTED": linux.SA_UNSUPPORTED, "SA_EXPOSE_TAGBITS": linux.SA_EXPOSE_TAGBITS,
	"SA_RESTORER": linux.SA_RESTORER, "SA_ONSTACK": linux.SA_ONSTACK, "SA_RESTART": linux.SA_RESTART,
	"SA_NODEFER": linux.SA_NODEFER, "SA_RESETHAND": linux.SA_RESETHAND,
	"SS_ONSTACK": linux.SS_ONSTACK, "SS_DISABLE": linux.SS_DISABLE, "SS_AUTODISARM": 1 << 31,
}

// guestPrefixes are families x/sys does not define at all: futexes (whose
// values the tables take from pkg/abi/linux) and arch_prctl codes
// (arch/x86/include/uapi/asm/prctl.h).
var guestPrefixes = []string{"FUTEX_", "ARCH_"}

func checkNamed(t *testing.T, table string, vals []named) {
	t.Helper()
	for _, n := range vals {
		if want, ok := hostValues[n.name]; ok {
			if n.v != want {
				t.Errorf("%s: %s = %#x, x/sys has %#x", table, n.name, n.v, want)
			}
			continue
		}
		if want, ok := fromABI[n.name]; ok {
			if n.v != want {
				t.Errorf("%s: %s = %#x, pkg/abi/linux has %#x", table, n.name, n.v, want)
			}
			continue
		}
		if _, ok := guestOnly[n.name]; ok {
			continue
		}
		family := false
		for _, p := range guestPrefixes {
			if len(n.name) > len(p) && n.name[:len(p)] == p {
				family = true
			}
		}
		if !family {
			t.Errorf("%s: %s is checked against nothing; add it to hostValues or guestOnly", table, n.name)
		}
	}
}

func TestTablesMatchLinux(t *testing.T) {
	for name, tab := range enumTables {
		checkNamed(t, name, tab.vals)
	}
	for name, tab := range flagTables {
		checkNamed(t, name, tab.fieldVals)
		checkNamed(t, name, tab.flags)
	}
	// Constants used outside the tables.
	consts := []struct {
		name      string
		got, want uint64
	}{
		{"AT_FDCWD", uint64(atFDCWD & 0xffffffff), uint64(unix.AT_FDCWD & 0xffffffff)},
		{"O_CREAT", oCreat, unix.O_CREAT},
		{"O_TMPFILE", oTmpfile, unix.O_TMPFILE},
		{"S_IFMT", sIFMT, unix.S_IFMT},
		{"RLIM_INFINITY", rlimInfinity, unix.RLIM_INFINITY},
		{"F_DUPFD", fDupfd, unix.F_DUPFD},
		{"F_GETFD", fGetfd, unix.F_GETFD},
		{"F_SETFD", fSetfd, unix.F_SETFD},
		{"F_GETFL", fGetfl, unix.F_GETFL},
		{"F_SETFL", fSetfl, unix.F_SETFL},
		{"F_SETOWN", fSetown, unix.F_SETOWN},
		{"F_GETOWN", fGetown, unix.F_GETOWN},
		{"F_SETSIG", fSetsig, unix.F_SETSIG},
		{"F_GETSIG", fGetsig, unix.F_GETSIG},
		{"F_GETLEASE", fGetlease, unix.F_GETLEASE},
		{"F_DUPFD_CLOEXEC", fDupfdCloexec, unix.F_DUPFD_CLOEXEC},
		{"F_SETPIPE_SZ", fSetpipeSz, unix.F_SETPIPE_SZ},
		{"F_GETPIPE_SZ", fGetpipeSz, unix.F_GETPIPE_SZ},
		{"F_ADD_SEALS", fAddSeals, unix.F_ADD_SEALS},
		{"F_GET_SEALS", fGetSeals, unix.F_GET_SEALS},
	}
	for _, c := range consts {
		if c.got != c.want {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.got, c.want)
		}
	}
}
