package linux_test

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"golang.org/x/sys/unix"
)

func TestSocketConstantsMatchXSys(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"AF_UNSPEC", linux.AF_UNSPEC, unix.AF_UNSPEC},
		{"AF_UNIX", linux.AF_UNIX, unix.AF_UNIX},
		{"AF_INET", linux.AF_INET, unix.AF_INET},
		{"AF_INET6", linux.AF_INET6, unix.AF_INET6},
		{"AF_NETLINK", linux.AF_NETLINK, unix.AF_NETLINK},
		{"AF_PACKET", linux.AF_PACKET, unix.AF_PACKET},
		{"AF_MAX", linux.AF_MAX, unix.AF_MCTP + 1},
		{"SOCK_STREAM", linux.SOCK_STREAM, unix.SOCK_STREAM},
		{"SOCK_DGRAM", linux.SOCK_DGRAM, unix.SOCK_DGRAM},
		{"SOCK_RAW", linux.SOCK_RAW, unix.SOCK_RAW},
		{"SOCK_RDM", linux.SOCK_RDM, unix.SOCK_RDM},
		{"SOCK_SEQPACKET", linux.SOCK_SEQPACKET, unix.SOCK_SEQPACKET},
		{"SOCK_DCCP", linux.SOCK_DCCP, unix.SOCK_DCCP},
		{"SOCK_PACKET", linux.SOCK_PACKET, unix.SOCK_PACKET},
		{"SOCK_NONBLOCK", linux.SOCK_NONBLOCK, unix.SOCK_NONBLOCK},
		{"SOCK_CLOEXEC", linux.SOCK_CLOEXEC, unix.SOCK_CLOEXEC},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
