package linux

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
)

// socketSyscalls: the sentry has no socket families yet, so it is a Linux
// built without any: socket(2) and socketpair(2) check their arguments as
// Linux does and then fail with EAFNOSUPPORT (libraries such as libaudit
// take that for "not available" and go on, where ENOSYS would be an
// error), and the calls that take a socket find none: EBADF for a bad
// descriptor, ENOTSOCK for any other file.
var socketSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_SOCKET:      partial(socket, noFamilies),
	linux.SYS_SOCKETPAIR:  partial(socket, noFamilies),
	linux.SYS_BIND:        partial(socketOp(nil, nil), noFamilies),
	linux.SYS_CONNECT:     partial(socketOp(nil, nil), noFamilies),
	linux.SYS_LISTEN:      partial(socketOp(nil, nil), noFamilies),
	linux.SYS_ACCEPT:      partial(socketOp(nil, nil), noFamilies),
	linux.SYS_ACCEPT4:     partial(socketOp(nil, acceptFlags), noFamilies),
	linux.SYS_GETSOCKNAME: partial(socketOp(nil, nil), noFamilies),
	linux.SYS_GETPEERNAME: partial(socketOp(nil, nil), noFamilies),
	linux.SYS_SENDTO:      partial(socketOp(nil, nil), noFamilies),
	linux.SYS_RECVFROM:    partial(socketOp(nil, nil), noFamilies),
	linux.SYS_SENDMSG:     partial(socketOp(msgFlags(2), nil), noFamilies),
	linux.SYS_RECVMSG:     partial(socketOp(msgFlags(2), nil), noFamilies),
	linux.SYS_SENDMMSG:    partial(socketOp(msgFlags(3), nil), noFamilies),
	linux.SYS_RECVMMSG:    partial(socketOp(msgFlags(3), nil), noFamilies),
	linux.SYS_SHUTDOWN:    partial(socketOp(nil, nil), noFamilies),
	linux.SYS_SETSOCKOPT:  partial(socketOp(nil, nil), noFamilies),
	linux.SYS_GETSOCKOPT:  partial(socketOp(nil, nil), noFamilies),
}

const noFamilies = "no socket family is implemented: socket and socketpair give EAFNOSUPPORT"

// loggedFamilies are the families whose first socket(2) was logged.
var loggedFamilies sync.Map

// socket implements socket(2) and socketpair(2), whose first three
// arguments are the same: __sys_socket's checks in Linux's order, then
// the family lookup, which finds nothing.
func socket(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	family, typ := int32(a[0]), int32(a[1])
	if typ&^(linux.SOCK_TYPE_MASK|linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return 0, linux.EINVAL
	}
	if family < 0 || family >= linux.AF_MAX {
		return 0, linux.EAFNOSUPPORT
	}
	if typ&linux.SOCK_TYPE_MASK >= linux.SOCK_MAX {
		return 0, linux.EINVAL
	}
	if _, seen := loggedFamilies.LoadOrStore(family, true); !seen {
		log.Warningf("unsupported socket family %d (type %d, protocol %d): EAFNOSUPPORT", family, typ&linux.SOCK_TYPE_MASK, int32(a[2]))
	}
	return 0, linux.EAFNOSUPPORT
}

// socketOp is a call on the socket in its first argument. Linux checks
// before, if not nil, first; then looks the descriptor up (EBADF); then
// checks afterFD, if not nil; then finds no socket.
func socketOp(before, afterFD func(a kernel.SyscallArgs) error) kernel.SyscallFn {
	return func(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
		if before != nil {
			if err := before(a); err != nil {
				return 0, err
			}
		}
		f, err := getFileNoPath(t, int32(a[0]))
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		if afterFD != nil {
			if err := afterFD(a); err != nil {
				return 0, err
			}
		}
		if fileType(f) == linux.S_IFSOCK {
			// A host socket handed in as stdio: not served.
			return 0, linux.EOPNOTSUPP
		}
		return 0, linux.ENOTSOCK
	}
}

// acceptFlags is accept4's check, made once the descriptor is found:
// only SOCK_NONBLOCK and SOCK_CLOEXEC.
func acceptFlags(a kernel.SyscallArgs) error {
	if int32(a[3])&^(linux.SOCK_NONBLOCK|linux.SOCK_CLOEXEC) != 0 {
		return linux.EINVAL
	}
	return nil
}

// msgFlags is the check of sendmsg, recvmsg, sendmmsg and recvmmsg, whose
// argument i holds message flags: MSG_CMSG_COMPAT is refused.
func msgFlags(i int) func(a kernel.SyscallArgs) error {
	return func(a kernel.SyscallArgs) error {
		if uint32(a[i])&linux.MSG_CMSG_COMPAT != 0 {
			return linux.EINVAL
		}
		return nil
	}
}
