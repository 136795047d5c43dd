package linux

// epoll event bits, defined in include/uapi/linux/eventpoll.h. The low
// bits have the values of the poll(2) bits (POLLIN...).
const (
	EPOLLIN     = 0x1
	EPOLLPRI    = 0x2
	EPOLLOUT    = 0x4
	EPOLLERR    = 0x8
	EPOLLHUP    = 0x10
	EPOLLNVAL   = 0x20
	EPOLLRDNORM = 0x40
	EPOLLRDBAND = 0x80
	EPOLLWRNORM = 0x100
	EPOLLWRBAND = 0x200
	EPOLLMSG    = 0x400
	EPOLLRDHUP  = 0x2000

	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31
)

// EP_PRIVATE_BITS are the epoll_event bits that are flags for the epoll
// item rather than events, defined in fs/eventpoll.c.
const EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE

// EPOLLEXCLUSIVE_OK_BITS are the bits that may accompany EPOLLEXCLUSIVE,
// defined in fs/eventpoll.c.
const EPOLLEXCLUSIVE_OK_BITS = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE

// epoll_ctl(2) operations, defined in include/uapi/linux/eventpoll.h.
const (
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3
)

// EPOLL_CLOEXEC is epoll_create1's only flag, defined in
// include/uapi/linux/eventpoll.h.
const EPOLL_CLOEXEC = O_CLOEXEC

// EpollEvent is struct epoll_event, defined in
// include/uapi/linux/eventpoll.h. On x86-64 it is packed: 12 bytes, with
// Data at offset 4. encoding/binary lays it out without padding.
type EpollEvent struct {
	Events uint32
	Data   uint64
}

// SizeofEpollEvent is the size of the packed struct epoll_event.
const SizeofEpollEvent = 12

// EP_MAX_EVENTS bounds epoll_wait's maxevents, defined in fs/eventpoll.c
// as INT_MAX / sizeof(struct epoll_event).
const EP_MAX_EVENTS = 0x7fffffff / SizeofEpollEvent

// EP_MAX_NESTS is how deeply epoll instances may be nested in each other,
// defined in fs/eventpoll.c.
const EP_MAX_NESTS = 4
