package linux

// poll(2) event bits, defined in include/uapi/asm-generic/poll.h.
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLRDBAND = 0x80
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLMSG    = 0x400
	POLLREMOVE = 0x1000
	POLLRDHUP  = 0x2000
)

// DEFAULT_POLLMASK is the readiness of a file that cannot be polled (a
// regular file): always readable and writable. Defined in
// include/linux/poll.h.
const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

// PollFD is struct pollfd, defined in include/uapi/asm-generic/poll.h.
type PollFD struct {
	FD      int32
	Events  int16
	Revents int16
}

// SizeofPollFD is the size of struct pollfd.
const SizeofPollFD = 8

// eventfd2(2) flags, defined in include/linux/eventfd.h (with the uapi
// values of O_CLOEXEC and O_NONBLOCK). They sit here beside the poll
// ABI because eventfd exists to be polled.
const (
	EFD_SEMAPHORE = 1
	EFD_CLOEXEC   = O_CLOEXEC
	EFD_NONBLOCK  = O_NONBLOCK
)

// EFD_SHARED_FCNTL_FLAGS and EFD_FLAGS_SET are the eventfd flags Linux
// accepts, defined in include/linux/eventfd.h.
const (
	EFD_SHARED_FCNTL_FLAGS = O_CLOEXEC | O_NONBLOCK
	EFD_FLAGS_SET          = EFD_SHARED_FCNTL_FLAGS | EFD_SEMAPHORE
)
