package linux

import "strconv"

// Errno is a Linux error number as an application sees it. System call
// handlers return Errno values as their error; the dispatcher turns them into
// the negative return value of the system call.
type Errno uint32

// Aliases defined in include/uapi/asm-generic/errno.h.
const (
	EWOULDBLOCK = EAGAIN
	EDEADLOCK   = EDEADLK
)

// Kernel-internal restart codes, defined in include/linux/errno.h. They never
// reach an application: signal delivery turns them into a restart or EINTR.
const (
	ERESTARTSYS           Errno = 512
	ERESTARTNOINTR        Errno = 513
	ERESTARTNOHAND        Errno = 514
	ERESTART_RESTARTBLOCK Errno = 516
)

var restartNames = map[Errno]string{
	ERESTARTSYS:           "ERESTARTSYS",
	ERESTARTNOINTR:        "ERESTARTNOINTR",
	ERESTARTNOHAND:        "ERESTARTNOHAND",
	ERESTART_RESTARTBLOCK: "ERESTART_RESTARTBLOCK",
}

// Name returns the symbolic name of e, such as "ENOENT".
func (e Errno) Name() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	if n, ok := restartNames[e]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// Error implements error.
func (e Errno) Error() string { return e.Name() }

// IsRestart reports whether e is one of the kernel-internal restart codes.
func (e Errno) IsRestart() bool {
	_, ok := restartNames[e]
	return ok
}

// Return is the raw system call return value for e: -e as a uint64.
func (e Errno) Return() uint64 { return uint64(-int64(e)) }
