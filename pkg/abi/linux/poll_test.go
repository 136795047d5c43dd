package linux_test

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// TestPollABI checks the epoll, poll and eventfd constants against x/sys.
func TestPollABI(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"EPOLLIN", linux.EPOLLIN, unix.EPOLLIN},
		{"EPOLLPRI", linux.EPOLLPRI, unix.EPOLLPRI},
		{"EPOLLOUT", linux.EPOLLOUT, unix.EPOLLOUT},
		{"EPOLLERR", linux.EPOLLERR, unix.EPOLLERR},
		{"EPOLLHUP", linux.EPOLLHUP, unix.EPOLLHUP},
		{"EPOLLRDNORM", linux.EPOLLRDNORM, unix.EPOLLRDNORM},
		{"EPOLLRDBAND", linux.EPOLLRDBAND, unix.EPOLLRDBAND},
		{"EPOLLWRNORM", linux.EPOLLWRNORM, unix.EPOLLWRNORM},
		{"EPOLLWRBAND", linux.EPOLLWRBAND, unix.EPOLLWRBAND},
		{"EPOLLMSG", linux.EPOLLMSG, unix.EPOLLMSG},
		{"EPOLLRDHUP", linux.EPOLLRDHUP, unix.EPOLLRDHUP},
		{"EPOLLEXCLUSIVE", linux.EPOLLEXCLUSIVE, unix.EPOLLEXCLUSIVE},
		{"EPOLLWAKEUP", linux.EPOLLWAKEUP, unix.EPOLLWAKEUP},
		{"EPOLLONESHOT", linux.EPOLLONESHOT, unix.EPOLLONESHOT},
		{"EPOLLET", linux.EPOLLET, uint64(uint32(unix.EPOLLET))},
		{"EPOLL_CTL_ADD", linux.EPOLL_CTL_ADD, unix.EPOLL_CTL_ADD},
		{"EPOLL_CTL_DEL", linux.EPOLL_CTL_DEL, unix.EPOLL_CTL_DEL},
		{"EPOLL_CTL_MOD", linux.EPOLL_CTL_MOD, unix.EPOLL_CTL_MOD},
		{"EPOLL_CLOEXEC", linux.EPOLL_CLOEXEC, unix.EPOLL_CLOEXEC},
		{"POLLIN", linux.POLLIN, unix.POLLIN},
		{"POLLPRI", linux.POLLPRI, unix.POLLPRI},
		{"POLLOUT", linux.POLLOUT, unix.POLLOUT},
		{"POLLERR", linux.POLLERR, unix.POLLERR},
		{"POLLHUP", linux.POLLHUP, unix.POLLHUP},
		{"POLLNVAL", linux.POLLNVAL, unix.POLLNVAL},
		{"POLLRDHUP", linux.POLLRDHUP, unix.POLLRDHUP},
		// x/sys lacks these poll names; the epoll ones are checked above.
		{"POLLRDNORM", linux.POLLRDNORM, unix.EPOLLRDNORM},
		{"POLLRDBAND", linux.POLLRDBAND, unix.EPOLLRDBAND},
		{"POLLWRNORM", linux.POLLWRNORM, unix.EPOLLWRNORM},
		{"POLLWRBAND", linux.POLLWRBAND, unix.EPOLLWRBAND},
		{"POLLMSG", linux.POLLMSG, unix.EPOLLMSG},
		{"EFD_SEMAPHORE", linux.EFD_SEMAPHORE, unix.EFD_SEMAPHORE},
		{"EFD_CLOEXEC", linux.EFD_CLOEXEC, unix.EFD_CLOEXEC},
		{"EFD_NONBLOCK", linux.EFD_NONBLOCK, unix.EFD_NONBLOCK},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.got, c.want)
		}
	}
	if n := binary.Size(linux.EpollEvent{}); n != linux.SizeofEpollEvent {
		t.Errorf("binary.Size(EpollEvent) = %d, want %d", n, linux.SizeofEpollEvent)
	}
	if n := binary.Size(linux.PollFD{}); n != linux.SizeofPollFD {
		t.Errorf("binary.Size(PollFD) = %d, want %d", n, linux.SizeofPollFD)
	}
}
