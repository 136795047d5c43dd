package linux

import (
	"encoding/binary"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/epoll"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

const (
	epollNote = "EPOLLEXCLUSIVE wakes every watching instance; host FDs are re-polled every 10ms while waited for"
	pollNote  = "host FDs are re-polled every 10ms while waited for"
)

// pollSyscalls are the readiness calls (poll, epoll) and eventfd.
var pollSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_EVENTFD:       full(eventfdSyscall),
	linux.SYS_EVENTFD2:      full(eventfd2),
	linux.SYS_EPOLL_CREATE:  full(epollCreate),
	linux.SYS_EPOLL_CREATE1: full(epollCreate1),
	linux.SYS_EPOLL_CTL:     partial(epollCtl, epollNote),
	linux.SYS_EPOLL_WAIT:    partial(epollWait, epollNote),
	linux.SYS_EPOLL_PWAIT:   partial(epollPwait, epollNote),
	linux.SYS_EPOLL_PWAIT2:  partial(epollPwait2, epollNote),
	linux.SYS_POLL:          partial(poll, pollNote),
	linux.SYS_PPOLL:         partial(ppoll, pollNote),
}

// installNew installs a new file (whose creation reference it drops) at
// the lowest free fd.
func installNew(t *kernel.Task, f vfs.FileDescription, cloexec bool) (uint64, error) {
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, cloexec, nofileLimit(t))
	return uint64(fd), err
}

func eventfdSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doEventfd(t, uint32(a[0]), 0)
}

func eventfd2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doEventfd(t, uint32(a[0]), int32(a[1]))
}

func doEventfd(t *kernel.Task, initval uint32, flags int32) (uint64, error) {
	if uint32(flags)&^linux.EFD_FLAGS_SET != 0 {
		return 0, linux.EINVAL
	}
	f := eventfd.New(uint64(initval), uint32(flags))
	return installNew(t, f, flags&linux.EFD_CLOEXEC != 0)
}

func epollCreate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if int32(a[0]) <= 0 {
		return 0, linux.EINVAL
	}
	return installNew(t, epoll.New(), false)
}

func epollCreate1(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	flags := int32(a[0])
	if flags&^linux.EPOLL_CLOEXEC != 0 {
		return 0, linux.EINVAL
	}
	return installNew(t, epoll.New(), flags&linux.EPOLL_CLOEXEC != 0)
}

// getEpoll returns the instance at fd (EBADF, or EINVAL if it is not
// one) with a reference the caller drops.
func getEpoll(t *kernel.Task, fd uint64) (*epoll.EventPoll, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	ep, ok := f.(*epoll.EventPoll)
	if !ok {
		f.DecRef()
		return nil, linux.EINVAL
	}
	return ep, nil
}

func epollCtl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	epfd, op, fd, evAddr := a[0], int32(a[1]), int32(a[2]), a[3]
	var ev linux.EpollEvent
	if op != linux.EPOLL_CTL_DEL {
		if err := copyInStruct(t, evAddr, &ev); err != nil {
			return 0, err
		}
	}
	epf, err := getFile(t, epfd)
	if err != nil {
		return 0, err
	}
	defer epf.DecRef()
	tf, err := getFile(t, uint64(uint32(fd)))
	if err != nil {
		return 0, err
	}
	defer tf.DecRef()
	// Linux refuses files that cannot be polled before it looks at epfd.
	if err := epoll.CanWatch(tf); err != nil {
		return 0, err
	}
	ep, ok := epf.(*epoll.EventPoll)
	if !ok {
		return 0, linux.EINVAL
	}
	return 0, ep.Ctl(op, tf, fd, ev)
}

// msDeadline converts a poll/epoll_wait timeout in milliseconds: negative
// waits forever (zero deadline), zero only polls.
func msDeadline(ms int32) (deadline time.Time, pollOnly bool) {
	if ms < 0 {
		return time.Time{}, false
	}
	if ms == 0 {
		return time.Time{}, true
	}
	return time.Now().Add(time.Duration(ms) * time.Millisecond), false
}

// tsDeadline converts a validated timeout timespec.
func tsDeadline(ts linux.Timespec) (deadline time.Time, pollOnly bool) {
	if ts.Sec == 0 && ts.Nsec == 0 {
		return time.Time{}, true
	}
	return time.Now().Add(timespecDuration(ts)), false
}

func epollWait(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	deadline, pollOnly := msDeadline(int32(a[3]))
	return doEpollWait(t, a[0], a[1], int32(a[2]), deadline, pollOnly)
}

func epollPwait(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	deadline, pollOnly := msDeadline(int32(a[3]))
	return withSigmask(t, a[4], a[5], linux.EINTR, func() (uint64, error) {
		return doEpollWait(t, a[0], a[1], int32(a[2]), deadline, pollOnly)
	})
}

func epollPwait2(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	var deadline time.Time
	pollOnly := false
	if a[3] != 0 {
		ts, err := copyInTimespec(t, a[3])
		if err != nil {
			return 0, err
		}
		deadline, pollOnly = tsDeadline(ts)
	}
	return withSigmask(t, a[4], a[5], linux.EINTR, func() (uint64, error) {
		return doEpollWait(t, a[0], a[1], int32(a[2]), deadline, pollOnly)
	})
}

// withSigmask runs fn with the signal mask at maskAddr installed, if
// maskAddr is not 0, as Linux's set_user_sigmask does. The old mask comes
// back at once unless fn failed with interrupted (then the signal is
// delivered under the temporary mask, which delivery restores).
func withSigmask(t *kernel.Task, maskAddr, size uint64, interrupted linux.Errno, fn func() (uint64, error)) (uint64, error) {
	if maskAddr == 0 {
		return fn()
	}
	mask, err := copyInSigset(t, maskAddr, size)
	if err != nil {
		return 0, err
	}
	old := t.SignalMask()
	t.SetSavedMask(mask)
	n, err := fn()
	if err != interrupted {
		// The saved mask is still set, to this same value: delivery
		// finds nothing different to restore.
		t.SetSignalMask(old)
	}
	return n, err
}

func doEpollWait(t *kernel.Task, epfd, addr uint64, maxevents int32, deadline time.Time, pollOnly bool) (uint64, error) {
	if maxevents <= 0 || maxevents > linux.EP_MAX_EVENTS {
		return 0, linux.EINVAL
	}
	if !accessOK(t, addr, uint64(maxevents)*linux.SizeofEpollEvent) {
		return 0, linux.EFAULT
	}
	ep, err := getEpoll(t, epfd)
	if err != nil {
		return 0, err
	}
	defer ep.DecRef()
	var buf [linux.SizeofEpollEvent]byte
	emit := func(i int, ev linux.EpollEvent) error {
		binary.LittleEndian.PutUint32(buf[0:], ev.Events)
		binary.LittleEndian.PutUint64(buf[4:], ev.Data)
		if _, err := t.CopyOut(addr+uint64(i)*linux.SizeofEpollEvent, buf[:]); err != nil {
			return linux.EFAULT
		}
		return nil
	}
	n, err := ep.Wait(t, int(maxevents), deadline, pollOnly, emit)
	return uint64(n), err
}

func poll(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, nfds := a[0], a[1]
	deadline, pollOnly := msDeadline(int32(a[2]))
	n, err := doPoll(t, addr, nfds, deadline, pollOnly)
	if err == linux.ERESTARTNOHAND {
		// Like Linux, poll restarts through restart_syscall with the
		// same absolute deadline.
		var restart func(t *kernel.Task) (uint64, error)
		restart = func(t *kernel.Task) (uint64, error) {
			n, err := doPoll(t, addr, nfds, deadline, pollOnly)
			if err == linux.ERESTARTNOHAND {
				t.SetRestartBlock(restart)
				return 0, linux.ERESTART_RESTARTBLOCK
			}
			return n, err
		}
		t.SetRestartBlock(restart)
		return 0, linux.ERESTART_RESTARTBLOCK
	}
	return n, err
}

func ppoll(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, nfds, tsAddr := a[0], a[1], a[2]
	var deadline time.Time
	pollOnly := false
	if tsAddr != 0 {
		ts, err := copyInTimespec(t, tsAddr)
		if err != nil {
			return 0, err
		}
		deadline, pollOnly = tsDeadline(ts)
	}
	n, err := withSigmask(t, a[3], a[4], linux.ERESTARTNOHAND, func() (uint64, error) {
		return doPoll(t, addr, nfds, deadline, pollOnly)
	})
	// Linux writes the time left back, unless the timeout was zero; a
	// fault doing so only matters if the call is to be restarted.
	if tsAddr != 0 && !pollOnly {
		left := max(time.Until(deadline), 0)
		rem := linux.Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}
		if cerr := copyOutStruct(t, tsAddr, &rem); cerr != nil && err == linux.ERESTARTNOHAND {
			err = linux.EINTR
		}
	}
	return n, err
}

// doPoll implements poll(2) once the timeout is decoded: it fails with
// ERESTARTNOHAND if a signal interrupts the wait.
func doPoll(t *kernel.Task, addr, nfds uint64, deadline time.Time, pollOnly bool) (uint64, error) {
	if nfds > nofileLimit(t) || nfds > kernel.NrOpen {
		return 0, linux.EINVAL
	}
	raw := make([]byte, nfds*linux.SizeofPollFD)
	if _, err := t.CopyIn(addr, raw); err != nil {
		return 0, linux.EFAULT
	}
	pfds := make([]linux.PollFD, nfds)
	files := make([]vfs.FileDescription, nfds)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.DecRef()
			}
		}
	}()
	for i := range pfds {
		b := raw[i*linux.SizeofPollFD:]
		pfds[i].FD = int32(binary.LittleEndian.Uint32(b))
		pfds[i].Events = int16(binary.LittleEndian.Uint16(b[4:]))
		if pfds[i].FD >= 0 {
			files[i], _, _ = t.FDTable().Get(pfds[i].FD)
		}
	}
	n, err := waitFiles(t, pfds, files, deadline, pollOnly)
	for i := range pfds {
		binary.LittleEndian.PutUint16(raw[i*linux.SizeofPollFD+6:], uint16(pfds[i].Revents))
	}
	if _, cerr := t.CopyOut(addr, raw); cerr != nil {
		return 0, linux.EFAULT
	}
	return uint64(n), err
}

// pollMask is the readiness poll asks a file for: the requested events
// and the ones always reported.
func pollMask(events int16) uint32 {
	return uint32(uint16(events)) | linux.POLLERR | linux.POLLHUP
}

// scanFiles sets each entry's revents and returns how many are non-zero.
// A nil file for a non-negative fd is POLLNVAL.
func scanFiles(pfds []linux.PollFD, files []vfs.FileDescription) int {
	n := 0
	for i := range pfds {
		var r uint32
		switch {
		case pfds[i].FD < 0:
		case files[i] == nil:
			r = linux.POLLNVAL
		default:
			mask := pollMask(pfds[i].Events)
			if w, ok := files[i].(vfs.Waitable); ok {
				r = w.Readiness(mask) & mask
			} else {
				r = linux.DEFAULT_POLLMASK & mask
			}
		}
		pfds[i].Revents = int16(uint16(r))
		if r != 0 {
			n++
		}
	}
	return n
}

// waitFiles scans files until one is ready, the deadline passes or a
// signal interrupts (ERESTARTNOHAND).
func waitFiles(t *kernel.Task, pfds []linux.PollFD, files []vfs.FileDescription, deadline time.Time, pollOnly bool) (int, error) {
	if n := scanFiles(pfds, files); n > 0 || pollOnly {
		return n, nil
	}
	ch := make(chan struct{}, 1)
	tick := false
	for i, f := range files {
		w, ok := f.(vfs.Waitable)
		if !ok {
			continue
		}
		e := waiter.NewChannelEntryFor(pollMask(pfds[i].Events), ch)
		if w.EventRegister(e) == nil {
			defer w.EventUnregister(e)
		}
		if u, ok := f.(vfs.Unnotified); ok && u.NeedsRepoll() {
			tick = true
		}
	}
	for {
		if n := scanFiles(pfds, files); n > 0 {
			return n, nil
		}
		d := deadline
		if tick {
			d = time.Now().Add(epoll.RepollInterval)
			if !deadline.IsZero() && deadline.Before(d) {
				d = deadline
			}
		}
		switch err := t.Block(ch, d); err {
		case nil:
		case linux.ETIMEDOUT:
			if tick && (deadline.IsZero() || time.Now().Before(deadline)) {
				continue
			}
			return scanFiles(pfds, files), nil
		default:
			if n := scanFiles(pfds, files); n > 0 {
				return n, nil
			}
			return 0, linux.ERESTARTNOHAND
		}
	}
}
