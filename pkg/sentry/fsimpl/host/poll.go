package host

import (
	"sync"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

// Readiness, waiting and epoll on host FDs.
//
// The sentry gets no notification when a host FD becomes ready: the
// file implements vfs.Unnotified, so poll and epoll re-check it with
// unix.Poll (timeout 0) on a short tick while they wait for it. For the
// same reason it cannot tell epoll sets that it was released: Released
// reports it, and epoll drops such items when it next looks at them
// (Readiness of a released file is 0, so nothing is reported meanwhile).

var _ vfs.Unnotified = (*fileDescription)(nil)

// Readiness implements vfs.Waitable.
func (f *fileDescription) Readiness(mask uint32) uint32 {
	if f.Released() {
		return 0
	}
	if !f.pollable {
		// What Linux's poll gives for files without poll support,
		// and what the host would answer too.
		return linux.DEFAULT_POLLMASK & mask
	}
	// Both ABIs use the same poll bits on x86-64; revents fit in 16 bits.
	pfd := []unix.PollFd{{Fd: int32(f.fd), Events: int16(uint16(mask))}}
	for {
		_, err := unix.Poll(pfd, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0
		}
		return uint32(uint16(pfd[0].Revents)) & (mask | linux.POLLERR | linux.POLLHUP | linux.POLLNVAL)
	}
}

// Pollable reports whether the host file supports poll: epoll_ctl
// refuses files that do not (EPERM), as Linux does for regular files and
// some character devices (/dev/null).
func (f *fileDescription) Pollable() bool {
	return f.pollable && hostPollSupported(f.fd)
}

// EventRegister implements vfs.Waitable. Nothing is registered: the host
// cannot notify. (epoll_ctl has checked Pollable already, and poll does
// not need to: it is cheaper not to ask the host again.)
func (f *fileDescription) EventRegister(e *waiter.Entry) error { return nil }

// EventUnregister implements vfs.Waitable.
func (f *fileDescription) EventUnregister(e *waiter.Entry) {}

// NeedsRepoll implements vfs.Unnotified.
func (f *fileDescription) NeedsRepoll() bool { return true }

// Released implements vfs.Unnotified.
func (f *fileDescription) Released() bool { return f.refs.Load() <= 0 }

// probe is a host epoll instance used only to ask the host whether a file
// supports poll: adding a file without poll support to an epoll set fails
// with EPERM (character devices such as /dev/null are like that).
var probe struct {
	mu   sync.Mutex
	epfd int // 0 until first use; -1 if it could not be created
}

// hostPollSupported reports whether the host file behind fd can be polled.
// If the host cannot answer, it assumes it can.
func hostPollSupported(fd int) bool {
	probe.mu.Lock()
	defer probe.mu.Unlock()
	if probe.epfd == 0 {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			epfd = -1
		}
		probe.epfd = epfd
	}
	if probe.epfd < 0 {
		return true
	}
	err := unix.EpollCtl(probe.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{})
	if err == nil {
		unix.EpollCtl(probe.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		return true
	}
	return err != unix.EPERM
}
