package linux

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestEventfdAndEpollCreateFlags(t *testing.T) {
	task := newTestTask(t)
	for _, c := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"eventfd", linux.SYS_EVENTFD, []uint64{1}, nil},
		{"eventfd2 all flags", linux.SYS_EVENTFD2, []uint64{0, linux.EFD_CLOEXEC | linux.EFD_NONBLOCK | linux.EFD_SEMAPHORE}, nil},
		{"eventfd2 O_RDWR", linux.SYS_EVENTFD2, []uint64{0, linux.O_RDWR}, linux.EINVAL},
		{"epoll_create 0", linux.SYS_EPOLL_CREATE, []uint64{0}, linux.EINVAL},
		{"epoll_create -1", linux.SYS_EPOLL_CREATE, []uint64{0xffffffff}, linux.EINVAL},
		{"epoll_create 1", linux.SYS_EPOLL_CREATE, []uint64{1}, nil},
		{"epoll_create1 bad", linux.SYS_EPOLL_CREATE1, []uint64{linux.O_NONBLOCK}, linux.EINVAL},
		{"epoll_create1 cloexec", linux.SYS_EPOLL_CREATE1, []uint64{linux.EPOLL_CLOEXEC}, nil},
	} {
		if _, err := call(t, task, c.nr, c.args...); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestEpollPackedEvents checks the 12-byte struct epoll_event layout in
// both directions.
func TestEpollPackedEvents(t *testing.T) {
	task := newTestTask(t)
	ep := mustCall(t, task, linux.SYS_EPOLL_CREATE1, 0)
	efd := mustCall(t, task, linux.SYS_EVENTFD2, 1, linux.EFD_NONBLOCK)
	evAddr, outAddr := uint64(rwBase), uint64(rwBase+0x100)
	ev := binary.LittleEndian.AppendUint32(nil, linux.EPOLLIN|linux.EPOLLOUT)
	ev = binary.LittleEndian.AppendUint64(ev, 0x0102030405060708)
	poke(t, task, evAddr, ev)
	mustCall(t, task, linux.SYS_EPOLL_CTL, ep, linux.EPOLL_CTL_ADD, efd, evAddr)
	// Fill the output with a marker to see exactly what is written.
	poke(t, task, outAddr, []byte{0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee})
	if n := mustCall(t, task, linux.SYS_EPOLL_WAIT, ep, outAddr, 4, 0); n != 1 {
		t.Fatalf("epoll_wait = %d, want 1", n)
	}
	got := peek(t, task, outAddr, 14)
	want := []byte{5, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0xee, 0xee}
	if string(got) != string(want) {
		t.Errorf("event bytes % x, want % x", got, want)
	}
}

func TestEpollCtlErrors(t *testing.T) {
	task := newTestTask(t)
	ep := mustCall(t, task, linux.SYS_EPOLL_CREATE1, 0)
	efd := mustCall(t, task, linux.SYS_EVENTFD2, 0, 0)
	reg := regularFD(t, task, "x", unix.O_RDWR)
	evAddr := uint64(rwBase)
	poke(t, task, evAddr, make([]byte, 12))
	for _, c := range []struct {
		name       string
		epfd, op   uint64
		fd, evAddr uint64
		want       error
	}{
		{"bad event pointer", ep, linux.EPOLL_CTL_ADD, efd, badAddr, linux.EFAULT},
		{"bad epfd", 999, linux.EPOLL_CTL_ADD, efd, evAddr, linux.EBADF},
		{"bad fd", ep, linux.EPOLL_CTL_ADD, 999, evAddr, linux.EBADF},
		{"regular file", ep, linux.EPOLL_CTL_ADD, reg, evAddr, linux.EPERM},
		{"regular file, epfd not epoll", efd, linux.EPOLL_CTL_ADD, reg, evAddr, linux.EPERM},
		{"epfd not epoll", efd, linux.EPOLL_CTL_ADD, efd, evAddr, linux.EINVAL},
		{"self", ep, linux.EPOLL_CTL_ADD, ep, evAddr, linux.EINVAL},
		{"del ignores pointer", ep, linux.EPOLL_CTL_DEL, efd, badAddr, linux.ENOENT},
	} {
		if _, err := call(t, task, linux.SYS_EPOLL_CTL, c.epfd, c.op, c.fd, c.evAddr); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestEpollWaitErrors(t *testing.T) {
	task := newTestTask(t)
	ep := mustCall(t, task, linux.SYS_EPOLL_CREATE1, 0)
	efd := mustCall(t, task, linux.SYS_EVENTFD2, 0, 0)
	for _, c := range []struct {
		name      string
		epfd      uint64
		addr, max uint64
		want      error
	}{
		{"maxevents 0", ep, rwBase, 0, linux.EINVAL},
		{"maxevents negative", ep, rwBase, 0xffffffff, linux.EINVAL},
		{"maxevents too large", ep, rwBase, linux.EP_MAX_EVENTS + 1, linux.EINVAL},
		{"beyond address space", ep, testMaxAddr - 12, 2, linux.EFAULT},
		{"bad epfd", 999, rwBase, 1, linux.EBADF},
		{"not epoll", efd, rwBase, 1, linux.EINVAL},
		{"nothing ready", ep, rwBase, 1, nil},
	} {
		if _, err := call(t, task, linux.SYS_EPOLL_WAIT, c.epfd, c.addr, c.max, 0); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A sigmask of the wrong size is EINVAL before anything else.
	if _, err := call(t, task, linux.SYS_EPOLL_PWAIT, 999, rwBase, 1, 0, rwBase+0x100, 4); err != linux.EINVAL {
		t.Errorf("epoll_pwait sigsetsize 4: %v, want EINVAL", err)
	}
}

func TestPollRevents(t *testing.T) {
	task := newTestTask(t)
	efd := mustCall(t, task, linux.SYS_EVENTFD2, 0, linux.EFD_NONBLOCK)
	pfd := func(fd int32, events int16) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(fd))
		b = binary.LittleEndian.AppendUint16(b, uint16(events))
		return binary.LittleEndian.AppendUint16(b, 0x7777)
	}
	var buf []byte
	buf = append(buf, pfd(int32(efd), linux.POLLIN|linux.POLLOUT)...)
	buf = append(buf, pfd(-1, linux.POLLIN)...)
	buf = append(buf, pfd(500, 0)...)
	buf = append(buf, pfd(int32(efd), linux.POLLIN)...)
	poke(t, task, rwBase, buf)
	if n := mustCall(t, task, linux.SYS_POLL, rwBase, 4, 0); n != 2 {
		t.Errorf("poll = %d, want 2", n)
	}
	got := peek(t, task, rwBase, len(buf))
	for i, want := range []uint16{linux.POLLOUT, 0, linux.POLLNVAL, 0} {
		if r := binary.LittleEndian.Uint16(got[8*i+6:]); r != want {
			t.Errorf("entry %d: revents %#x, want %#x", i, r, want)
		}
	}
	if _, err := call(t, task, linux.SYS_POLL, badAddr, 1, 0); err != linux.EFAULT {
		t.Errorf("poll of bad pointer: %v, want EFAULT", err)
	}
	if _, err := call(t, task, linux.SYS_POLL, rwBase, 1025, 0); err != linux.EINVAL {
		t.Errorf("poll of more than RLIMIT_NOFILE fds: %v, want EINVAL", err)
	}
}
