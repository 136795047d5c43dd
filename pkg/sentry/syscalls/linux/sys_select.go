package linux

import (
	"encoding/binary"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// select and pselect6, on top of poll's wait (sys_poll.go).
var selectSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_SELECT:   partial(selectSyscall, pollNote),
	linux.SYS_PSELECT6: partial(pselect6, pollNote),
}

// The readiness each fd set stands for, as Linux's POLLIN_SET, POLLOUT_SET
// and POLLEX_SET.
const (
	selectIn  = linux.POLLIN | linux.POLLRDNORM | linux.POLLRDBAND | linux.POLLHUP | linux.POLLERR
	selectOut = linux.POLLOUT | linux.POLLWRNORM | linux.POLLWRBAND | linux.POLLERR
	selectEx  = linux.POLLPRI
)

func selectSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	nfds, tvAddr := int32(a[0]), a[4]
	var deadline time.Time
	pollOnly := false
	if tvAddr != 0 {
		var tv linux.Timeval
		if err := copyInStruct(t, tvAddr, &tv); err != nil {
			return 0, err
		}
		// As Linux's kern_select: microseconds beyond a second carry
		// into the seconds; a negative part is EINVAL.
		sec, usec := tv.Sec+tv.Usec/1e6, tv.Usec%1e6
		if sec < 0 || usec < 0 {
			return 0, linux.EINVAL
		}
		deadline, pollOnly = tsDeadline(linux.Timespec{Sec: sec, Nsec: usec * 1000})
	}
	n, err := doSelect(t, nfds, a[1], a[2], a[3], deadline, pollOnly)
	if tvAddr != 0 && !pollOnly {
		// Linux writes the time left back.
		left := max(time.Until(deadline), 0)
		rem := linux.Timeval{Sec: int64(left / time.Second), Usec: int64(left%time.Second) / 1000}
		if cerr := copyOutStruct(t, tvAddr, &rem); cerr != nil && err == linux.ERESTARTNOHAND {
			err = linux.EINTR
		}
	}
	return n, err
}

func pselect6(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	nfds, tsAddr, sigAddr := int32(a[0]), a[4], a[5]
	var deadline time.Time
	pollOnly := false
	if tsAddr != 0 {
		ts, err := copyInTimespec(t, tsAddr)
		if err != nil {
			return 0, err
		}
		deadline, pollOnly = tsDeadline(ts)
	}
	// The sixth argument points to {const sigset_t *ss; size_t ss_len}.
	var maskAddr, maskSize uint64
	if sigAddr != 0 {
		var words [2]uint64
		if err := copyInStruct(t, sigAddr, &words); err != nil {
			return 0, err
		}
		maskAddr, maskSize = words[0], words[1]
	}
	n, err := withSigmask(t, maskAddr, maskSize, linux.ERESTARTNOHAND, func() (uint64, error) {
		return doSelect(t, nfds, a[1], a[2], a[3], deadline, pollOnly)
	})
	if tsAddr != 0 && !pollOnly {
		left := max(time.Until(deadline), 0)
		rem := linux.Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}
		if cerr := copyOutStruct(t, tsAddr, &rem); cerr != nil && err == linux.ERESTARTNOHAND {
			err = linux.EINTR
		}
	}
	return n, err
}

// fdSet is one of select's bitmaps, as the application's longs.
type fdSet struct {
	addr  uint64
	words []uint64
}

func (s *fdSet) has(fd int) bool { return s.words != nil && s.words[fd/64]&(1<<(fd%64)) != 0 }

// doSelect implements select once the timeout is decoded: it fails with
// ERESTARTNOHAND if a signal interrupts the wait.
func doSelect(t *kernel.Task, nfds int32, rAddr, wAddr, eAddr uint64, deadline time.Time, pollOnly bool) (uint64, error) {
	if nfds < 0 {
		return 0, linux.EINVAL
	}
	// Like Linux, fds beyond the table's size are not looked at.
	n := int(min(uint64(nfds), nofileLimit(t), kernel.NrOpen))
	nwords := (n + 63) / 64
	sets := [3]fdSet{{addr: rAddr}, {addr: wAddr}, {addr: eAddr}}
	for i := range sets {
		if sets[i].addr == 0 || nwords == 0 {
			continue
		}
		raw := make([]byte, nwords*8)
		if _, err := t.CopyIn(sets[i].addr, raw); err != nil {
			return 0, linux.EFAULT
		}
		sets[i].words = make([]uint64, nwords)
		for w := range sets[i].words {
			sets[i].words[w] = binary.LittleEndian.Uint64(raw[w*8:])
		}
	}
	var pfds []linux.PollFD
	var files []vfs.FileDescription
	defer func() {
		for _, f := range files {
			f.DecRef()
		}
	}()
	for fd := 0; fd < n; fd++ {
		var events uint32
		if sets[0].has(fd) {
			events |= selectIn
		}
		if sets[1].has(fd) {
			events |= selectOut
		}
		if sets[2].has(fd) {
			events |= selectEx
		}
		if events == 0 {
			continue
		}
		f, _, err := t.FDTable().Get(int32(fd))
		if err != nil {
			return 0, linux.EBADF
		}
		files = append(files, f)
		pfds = append(pfds, linux.PollFD{FD: int32(fd), Events: int16(uint16(events))})
	}
	if _, err := waitFiles(t, pfds, files, deadline, pollOnly); err != nil {
		return 0, err
	}
	// Only the fds that are ready for what their sets asked stay set.
	for i := range sets {
		for w := range sets[i].words {
			sets[i].words[w] = 0
		}
	}
	count := 0
	for _, p := range pfds {
		fd, r := int(p.FD), uint32(uint16(p.Revents))
		for i, want := range []uint32{selectIn, selectOut, selectEx} {
			if uint32(uint16(p.Events))&want != 0 && r&want != 0 && sets[i].words != nil {
				sets[i].words[fd/64] |= 1 << (fd % 64)
				count++
			}
		}
	}
	for i := range sets {
		if sets[i].words == nil {
			continue
		}
		raw := make([]byte, len(sets[i].words)*8)
		for w, v := range sets[i].words {
			binary.LittleEndian.PutUint64(raw[w*8:], v)
		}
		if _, err := t.CopyOut(sets[i].addr, raw); err != nil {
			return 0, linux.EFAULT
		}
	}
	return uint64(count), nil
}
