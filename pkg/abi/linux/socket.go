package linux

// Address families (include/linux/socket.h).
const (
	AF_UNSPEC  = 0
	AF_UNIX    = 1
	AF_INET    = 2
	AF_NETLINK = 16
	AF_PACKET  = 17
	AF_INET6   = 10
	// AF_MAX is one past the highest family number Linux knows.
	AF_MAX = 46
)

// Socket types and the flags that socket(2) takes with them
// (include/linux/net.h).
const (
	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_RDM       = 4
	SOCK_SEQPACKET = 5
	SOCK_DCCP      = 6
	SOCK_PACKET    = 10
	// SOCK_MAX is one past the highest socket type.
	SOCK_MAX = 11
	// SOCK_TYPE_MASK selects the type from socket(2)'s type argument.
	SOCK_TYPE_MASK = 0xf

	SOCK_NONBLOCK = O_NONBLOCK
	SOCK_CLOEXEC  = O_CLOEXEC
)

// MSG_CMSG_COMPAT is the message flag only the kernel's compat paths may
// set; sendmsg(2) and friends reject it from user space.
const MSG_CMSG_COMPAT = 0x80000000
