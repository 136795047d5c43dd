package strace

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// format says how one system call's arguments and result print.
type format struct {
	args []argFn
	// ret formats a successful return value; nil prints it as a signed
	// decimal.
	ret func(c *call) string
}

func (f *format) formatArgs(c *call) []string {
	out := make([]string, 0, len(f.args))
	for i, a := range f.args {
		if s := a(c, i); s != omit {
			out = append(out, s)
		}
	}
	return out
}

func (f *format) formatRet(c *call) string {
	if f.ret != nil {
		return f.ret(c)
	}
	return retInt(c)
}

func retInt(c *call) string { return fmt.Sprintf("%d", int64(c.ret)) }
func retHex(c *call) string { return fmt.Sprintf("%#x", c.ret) }
func retOct(c *call) string { return fmt.Sprintf("%#o", c.ret) }

// retFcntl decodes the flags F_GETFD and F_GETFL return.
func retFcntl(c *call) string {
	switch uint32(c.args[1]) {
	case fGetfd:
		return fmt.Sprintf("%#x (flags %s)", c.ret, fdCloexec.format(c.ret))
	case fGetfl:
		return fmt.Sprintf("%#x (flags %s)", c.ret, openFlags.format(c.ret))
	}
	return retInt(c)
}

// unknownFormat prints all six registers in hex, for calls without a
// format.
var unknownFormat = &format{args: []argFn{hexArg, hexArg, hexArg, hexArg, hexArg, hexArg}}

func formatFor(nr uintptr) *format {
	if f, ok := formats[nr]; ok {
		return f
	}
	return unknownFormat
}

func f(args ...argFn) *format { return &format{args: args} }

func fr(ret func(*call) string, args ...argFn) *format { return &format{args: args, ret: ret} }

// formats holds the argument formats, by system call number.
var formats = map[uintptr]*format{
	// Files.
	linux.SYS_READ:        f(fd, outBuf, u64),
	linux.SYS_WRITE:       f(fd, inBuf(2), u64),
	linux.SYS_PREAD64:     f(fd, outBuf, u64, i64),
	linux.SYS_PWRITE64:    f(fd, inBuf(2), u64, i64),
	linux.SYS_READV:       f(fd, iovecs(2, true), i32),
	linux.SYS_WRITEV:      f(fd, iovecs(2, false), i32),
	linux.SYS_PREADV:      f(fd, iovecs(2, true), i32, i64),
	linux.SYS_PWRITEV:     f(fd, iovecs(2, false), i32, i64),
	linux.SYS_OPEN:        f(path, flags32(openFlags), openMode(1)),
	linux.SYS_OPENAT:      f(dirfd, path, flags32(openFlags), openMode(2)),
	linux.SYS_CREAT:       f(path, oct),
	linux.SYS_CLOSE:       f(fd),
	linux.SYS_CLOSE_RANGE: f(fd, fd, hexArg),
	linux.SYS_STAT:        f(path, out(stat)),
	linux.SYS_LSTAT:       f(path, out(stat)),
	linux.SYS_FSTAT:       f(fd, out(stat)),
	linux.SYS_NEWFSTATAT:  f(dirfd, path, out(stat), flags32(atFlags)),
	linux.SYS_STATX:       f(dirfd, path, flags32(atFlags), hexArg, ptr),
	linux.SYS_LSEEK:       f(fd, i64, enum32(seekWhence)),
	linux.SYS_POLL:        f(pollfds(1), u64, i32),
	linux.SYS_PPOLL:       f(pollfds(1), u64, timespec, sigset, u64),
	linux.SYS_SELECT:      f(i32, ptr, ptr, ptr, timeval),
	linux.SYS_PSELECT6:    f(i32, ptr, ptr, ptr, timespec, ptr),
	linux.SYS_IOCTL:       f(fd, enum32(ioctlRequest), hexArg),
	linux.SYS_ACCESS:      f(path, flags32(accessMode)),
	linux.SYS_FACCESSAT:   f(dirfd, path, flags32(accessMode)),
	linux.SYS_FACCESSAT2:  f(dirfd, path, flags32(accessMode), flags32(faccessatFlags)),
	linux.SYS_PIPE:        f(out(fdPair)),
	linux.SYS_PIPE2:       f(out(fdPair), flags32(fdFlags)),
	linux.SYS_DUP:         f(fd),
	linux.SYS_DUP2:        f(fd, fd),
	linux.SYS_DUP3:        f(fd, fd, flags32(fdFlags)),
	linux.SYS_FCNTL:       fr(retFcntl, fd, enum32(fcntlCmd), fcntlArg),
	linux.SYS_GETCWD:      f(outStr, u64),
	linux.SYS_CHDIR:       f(path),
	linux.SYS_FCHDIR:      f(fd),
	linux.SYS_RENAME:      f(path, path),
	linux.SYS_RENAMEAT:    f(dirfd, path, dirfd, path),
	linux.SYS_RENAMEAT2:   f(dirfd, path, dirfd, path, flags32(renameFlags)),
	linux.SYS_MKDIR:       f(path, oct),
	linux.SYS_MKDIRAT:     f(dirfd, path, oct),
	linux.SYS_RMDIR:       f(path),
	linux.SYS_UNLINK:      f(path),
	linux.SYS_UNLINKAT:    f(dirfd, path, flags32(unlinkatFlags)),
	linux.SYS_LINK:        f(path, path),
	linux.SYS_SYMLINK:     f(path, path),
	linux.SYS_READLINK:    f(path, outBuf, u64),
	linux.SYS_READLINKAT:  f(dirfd, path, outBuf, u64),
	linux.SYS_CHMOD:       f(path, oct),
	linux.SYS_FCHMOD:      f(fd, oct),
	linux.SYS_FCHMODAT:    f(dirfd, path, oct),
	linux.SYS_CHOWN:       f(path, i32, i32),
	linux.SYS_FCHOWN:      f(fd, i32, i32),
	linux.SYS_FCHOWNAT:    f(dirfd, path, i32, i32, flags32(atFlags)),
	linux.SYS_TRUNCATE:    f(path, i64),
	linux.SYS_FTRUNCATE:   f(fd, i64),
	linux.SYS_FSYNC:       f(fd),
	linux.SYS_FDATASYNC:   f(fd),
	linux.SYS_GETDENTS64:  f(fd, ptr, u64),
	linux.SYS_UMASK:       fr(retOct, oct),

	// Files: the rest of the path and attribute calls.
	linux.SYS_OPENAT2:         f(dirfd, path, openHow(3), u64),
	linux.SYS_LINKAT:          f(dirfd, path, dirfd, path, flags32(atFlags)),
	linux.SYS_SYMLINKAT:       f(path, dirfd, path),
	linux.SYS_FCHMODAT2:       f(dirfd, path, oct, flags32(atFlags)),
	linux.SYS_LCHOWN:          f(path, i32, i32),
	linux.SYS_UTIME:           f(path, ptr),
	linux.SYS_UTIMES:          f(path, timevalPair),
	linux.SYS_FUTIMESAT:       f(dirfd, path, timevalPair),
	linux.SYS_UTIMENSAT:       f(dirfd, path, utimens, flags32(atFlags)),
	linux.SYS_MKNOD:           f(path, fileMode, hexArg),
	linux.SYS_MKNODAT:         f(dirfd, path, fileMode, hexArg),
	linux.SYS_CHROOT:          f(path),
	linux.SYS_STATFS:          f(path, ptr),
	linux.SYS_FSTATFS:         f(fd, ptr),
	linux.SYS_GETXATTR:        f(path, path, outBuf, u64),
	linux.SYS_LGETXATTR:       f(path, path, outBuf, u64),
	linux.SYS_FGETXATTR:       f(fd, path, outBuf, u64),
	linux.SYS_SETXATTR:        f(path, path, inBuf(3), u64, flags32(xattrFlags)),
	linux.SYS_LSETXATTR:       f(path, path, inBuf(3), u64, flags32(xattrFlags)),
	linux.SYS_FSETXATTR:       f(fd, path, inBuf(3), u64, flags32(xattrFlags)),
	linux.SYS_LISTXATTR:       f(path, outBuf, u64),
	linux.SYS_LLISTXATTR:      f(path, outBuf, u64),
	linux.SYS_FLISTXATTR:      f(fd, outBuf, u64),
	linux.SYS_REMOVEXATTR:     f(path, path),
	linux.SYS_LREMOVEXATTR:    f(path, path),
	linux.SYS_FREMOVEXATTR:    f(fd, path),
	linux.SYS_GETDENTS:        f(fd, ptr, u64),
	linux.SYS_SYNC:            f(),
	linux.SYS_SYNCFS:          f(fd),
	linux.SYS_SYNC_FILE_RANGE: f(fd, i64, i64, hexArg),
	linux.SYS_FALLOCATE:       f(fd, flags32(fallocMode), i64, i64),
	linux.SYS_SENDFILE:        f(fd, fd, ptr, u64),
	linux.SYS_COPY_FILE_RANGE: f(fd, ptr, fd, ptr, u64, hexArg),

	// Memory.
	linux.SYS_MMAP:     fr(retHex, ptr, u64, flags32(mmapProt), flags32(mmapFlags), fd, hexArg),
	linux.SYS_MPROTECT: f(ptr, u64, flags32(mmapProt)),
	linux.SYS_MUNMAP:   f(ptr, u64),
	linux.SYS_BRK:      fr(retHex, ptr),
	linux.SYS_MREMAP:   fr(retHex, ptr, u64, u64, flags32(mremapFlags), ptr),
	linux.SYS_MADVISE:  f(ptr, u64, enum32(madviseAdvice)),

	// Signals.
	linux.SYS_RT_SIGACTION:    f(sig, sigaction, out(sigaction), u64),
	linux.SYS_RT_SIGPROCMASK:  f(enum32(sigprocmaskHow), sigset, out(sigset), u64),
	linux.SYS_RT_SIGRETURN:    f(),
	linux.SYS_RT_SIGPENDING:   f(out(sigset), u64),
	linux.SYS_RT_SIGSUSPEND:   f(sigset, u64),
	linux.SYS_RT_SIGTIMEDWAIT: fr(func(c *call) string { return signalName(c.ret) }, sigset, ptr, timespec, u64),
	linux.SYS_SIGALTSTACK:     f(stack, out(stack)),
	linux.SYS_KILL:            f(i32, sig),
	linux.SYS_TKILL:           f(i32, sig),
	linux.SYS_TGKILL:          f(i32, i32, sig),

	// Tasks.
	linux.SYS_CLONE:             f(flags(cloneFlags), ptr, ptr, ptr, ptr),
	linux.SYS_CLONE3:            f(cloneArgs(1), u64),
	linux.SYS_FORK:              f(),
	linux.SYS_VFORK:             f(),
	linux.SYS_EXECVE:            f(path, argv, envp),
	linux.SYS_EXECVEAT:          f(dirfd, path, argv, envp, flags32(atFlags)),
	linux.SYS_EXIT:              f(i32),
	linux.SYS_EXIT_GROUP:        f(i32),
	linux.SYS_WAIT4:             f(i32, out(waitStatus), flags32(waitOptions), ptr),
	linux.SYS_GETPID:            f(),
	linux.SYS_GETPPID:           f(),
	linux.SYS_GETTID:            f(),
	linux.SYS_GETUID:            f(),
	linux.SYS_GETGID:            f(),
	linux.SYS_GETEUID:           f(),
	linux.SYS_GETEGID:           f(),
	linux.SYS_GETPGRP:           f(),
	linux.SYS_GETPGID:           f(i32),
	linux.SYS_SETPGID:           f(i32, i32),
	linux.SYS_GETSID:            f(i32),
	linux.SYS_SETSID:            f(),
	linux.SYS_SETUID:            f(i32),
	linux.SYS_SETGID:            f(i32),
	linux.SYS_SETREUID:          f(i32, i32),
	linux.SYS_SETREGID:          f(i32, i32),
	linux.SYS_SETRESUID:         f(i32, i32, i32),
	linux.SYS_SETRESGID:         f(i32, i32, i32),
	linux.SYS_GETRESUID:         f(ptr, ptr, ptr),
	linux.SYS_GETRESGID:         f(ptr, ptr, ptr),
	linux.SYS_SETFSUID:          f(i32),
	linux.SYS_SETFSGID:          f(i32),
	linux.SYS_GETGROUPS:         f(i32, ptr),
	linux.SYS_SETGROUPS:         f(i32, ptr),
	linux.SYS_SCHED_YIELD:       f(),
	linux.SYS_SCHED_GETAFFINITY: f(i32, u64, ptr),
	linux.SYS_SCHED_SETAFFINITY: f(i32, u64, ptr),
	linux.SYS_SET_TID_ADDRESS:   f(ptr),
	linux.SYS_SET_ROBUST_LIST:   f(ptr, u64),
	linux.SYS_ARCH_PRCTL:        f(enum32(archPrctlCode), ptr),
	linux.SYS_PRCTL:             f(i32, hexArg, hexArg, hexArg, hexArg),
	linux.SYS_RSEQ:              f(ptr, u64, i32, hexArg),
	linux.SYS_FUTEX:             f(ptr, flags32(futexOp), i32, futexArg4, ptr, hexArg),
	linux.SYS_UNAME:             f(out(utsname)),
	linux.SYS_GETRLIMIT:         f(enum32(rlimitResource), out(rlimit)),
	linux.SYS_SETRLIMIT:         f(enum32(rlimitResource), rlimit),
	linux.SYS_PRLIMIT64:         f(i32, enum32(rlimitResource), rlimit, out(rlimit)),
	linux.SYS_GETRANDOM:         f(outBuf, u64, flags32(getrandomFlags)),

	// Time.
	linux.SYS_NANOSLEEP:       f(timespec, out(timespec)),
	linux.SYS_CLOCK_NANOSLEEP: f(enum32(clockID), flags32(timerFlags), timespec, out(timespec)),
	linux.SYS_CLOCK_GETTIME:   f(enum32(clockID), out(timespec)),
	linux.SYS_CLOCK_GETRES:    f(enum32(clockID), out(timespec)),
	linux.SYS_GETTIMEOFDAY:    f(out(timeval), ptr),
	linux.SYS_TIME:            f(ptr),

	// Descriptors of other kinds.
	linux.SYS_EVENTFD2:      f(u64, flags32(fdFlags)),
	linux.SYS_EPOLL_CREATE1: f(flags32(fdFlags)),
	linux.SYS_EPOLL_CTL:     f(fd, i32, fd, ptr),
	linux.SYS_EPOLL_WAIT:    f(fd, ptr, i32, i32),
	linux.SYS_EPOLL_PWAIT:   f(fd, ptr, i32, i32, sigset, u64),
	linux.SYS_MEMFD_CREATE:  f(path, hexArg),
	linux.SYS_SOCKET:        f(i32, hexArg, i32),
	linux.SYS_CONNECT:       f(fd, ptr, i32),
	linux.SYS_BIND:          f(fd, ptr, i32),
	linux.SYS_LISTEN:        f(fd, i32),
	linux.SYS_ACCEPT4:       f(fd, ptr, ptr, hexArg),
	linux.SYS_SENDTO:        f(fd, inBuf(2), u64, hexArg, ptr, i32),
	linux.SYS_RECVFROM:      f(fd, outBuf, u64, hexArg, ptr, ptr),
}
