package kernel

import (
	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// BlockFD implements vfs.Blocker: it waits until the host FD fd is ready
// for events, or the task is interrupted (ErrInterrupted). The wait polls
// fd together with the task's wake eventfd, which interrupt signals.
func (t *Task) BlockFD(fd int, events int16) error {
	efd, err := t.wakeFD()
	if err != nil {
		return linux.ENOMEM
	}
	for {
		if t.interrupted() {
			return ErrInterrupted
		}
		pfds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(efd), Events: unix.POLLIN}}
		_, err := unix.Poll(pfds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return linux.EIO
		}
		if pfds[1].Revents != 0 {
			var buf [8]byte
			unix.Read(efd, buf[:])
		}
		if pfds[0].Revents != 0 {
			return nil
		}
	}
}

// wakeFD returns the task's wake eventfd, creating it on first use.
func (t *Task) wakeFD() (int, error) {
	if fd := t.hostWake.Load(); fd > 0 {
		return int(fd), nil
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return 0, err
	}
	t.hostWake.Store(int32(fd))
	return fd, nil
}

// kickWakeFD signals the wake eventfd if the task has one.
func (t *Task) kickWakeFD() {
	if fd := t.hostWake.Load(); fd > 0 {
		var one = [8]byte{1}
		unix.Write(int(fd), one[:])
	}
}

// closeWakeFD releases the wake eventfd at exit.
func (t *Task) closeWakeFD() {
	if fd := t.hostWake.Swap(0); fd > 0 {
		unix.Close(int(fd))
	}
}
