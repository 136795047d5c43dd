package linux

import (
	"math"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/signalfd"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/timerfd"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

const (
	cpuTimerNote = "ITIMER_VIRTUAL and ITIMER_PROF both count the CPU time of the process's host threads running application code (not the sentry's time serving its system calls), sampled every 1-100ms"
	posixCPUNote = "CPU-time clocks are sampled every 1-100ms and count only application code; CPU clocks of other processes are EINVAL; alarm clocks are EOPNOTSUPP (no RTC, as on a host without one)"
	tfdNote      = "TFD_TIMER_CANCEL_ON_SET is accepted but never cancels: the sandbox never sets its clock, and host clock steps are not seen"
	sfdNote      = "poll and epoll report the signals pending for the thread that created the signalfd (and its process), not the polling thread's; reads take the reader's, as Linux"
)

// timerSyscalls are the interval timers, POSIX timers, timerfd and
// signalfd.
var timerSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_ALARM:            full(alarm),
	linux.SYS_GETITIMER:        partial(getitimer, cpuTimerNote),
	linux.SYS_SETITIMER:        partial(setitimer, cpuTimerNote),
	linux.SYS_TIMER_CREATE:     partial(timerCreate, posixCPUNote),
	linux.SYS_TIMER_SETTIME:    full(timerSettime),
	linux.SYS_TIMER_GETTIME:    full(timerGettime),
	linux.SYS_TIMER_GETOVERRUN: full(timerGetoverrun),
	linux.SYS_TIMER_DELETE:     full(timerDelete),
	linux.SYS_TIMERFD_CREATE:   full(timerfdCreate),
	linux.SYS_TIMERFD_SETTIME:  partial(timerfdSettime, tfdNote),
	linux.SYS_TIMERFD_GETTIME:  full(timerfdGettime),
	linux.SYS_SIGNALFD:         partial(signalfdSyscall, sfdNote),
	linux.SYS_SIGNALFD4:        partial(signalfd4, sfdNote),
}

// timevalNs converts a timeval that timevalValid accepted, saturating.
func timevalNs(tv linux.Timeval) int64 {
	if tv.Sec >= math.MaxInt64/int64(time.Second) {
		return math.MaxInt64
	}
	return tv.Sec*int64(time.Second) + tv.Usec*int64(time.Microsecond)
}

// timevalValid is Linux's timeval_valid.
func timevalValid(tv linux.Timeval) bool {
	return tv.Sec >= 0 && tv.Usec >= 0 && tv.Usec < int64(time.Second/time.Microsecond)
}

// timespecValid is Linux's timespec64_valid.
func timespecValid(ts linux.Timespec) bool {
	return ts.Sec >= 0 && ts.Nsec >= 0 && ts.Nsec < int64(time.Second)
}

// nsToTimeval converts non-negative nanoseconds, truncating to whole
// microseconds as Linux does.
func nsToTimeval(ns int64) linux.Timeval {
	return linux.Timeval{Sec: ns / int64(time.Second), Usec: ns % int64(time.Second) / int64(time.Microsecond)}
}

func itimerval(s kernel.TimerSetting) linux.Itimerval {
	return linux.Itimerval{Interval: nsToTimeval(s.Interval), Value: nsToTimeval(s.Value)}
}

func itimerspec(s kernel.TimerSetting) linux.Itimerspec {
	return linux.Itimerspec{Interval: nsToTimespec(s.Interval), Value: nsToTimespec(s.Value)}
}

// copyInItimerspec reads a struct itimerspec and validates both times.
func copyInItimerspec(t *kernel.Task, addr uint64) (kernel.TimerSetting, error) {
	var its linux.Itimerspec
	if err := copyInStruct(t, addr, &its); err != nil {
		return kernel.TimerSetting{}, err
	}
	if !timespecValid(its.Value) || !timespecValid(its.Interval) {
		return kernel.TimerSetting{}, linux.EINVAL
	}
	return kernel.TimerSetting{Value: int64(timespecDuration(its.Value)), Interval: int64(timespecDuration(its.Interval))}, nil
}

func alarm(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	secs := int64(uint32(a[0]))
	old, err := t.ThreadGroup().SetITimer(linux.ITIMER_REAL, kernel.TimerSetting{Value: secs * int64(time.Second)})
	if err != nil {
		return 0, err
	}
	// Linux's alarm_setitimer: never report 0 for a pending alarm, and
	// round half a second up.
	sec, nsec := old.Value/int64(time.Second), old.Value%int64(time.Second)
	if (sec == 0 && nsec != 0) || nsec >= int64(time.Second/2) {
		sec++
	}
	return uint64(sec), nil
}

func getitimer(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	s, err := t.ThreadGroup().ITimer(int32(a[0]))
	if err != nil {
		return 0, err
	}
	v := itimerval(s)
	return 0, copyOutStruct(t, a[1], &v)
}

func setitimer(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	which, newAddr, oldAddr := int32(a[0]), a[1], a[2]
	var s kernel.TimerSetting
	// A NULL new value disarms the timer (a misfeature Linux keeps).
	if newAddr != 0 {
		var v linux.Itimerval
		if err := copyInStruct(t, newAddr, &v); err != nil {
			return 0, err
		}
		if !timevalValid(v.Value) || !timevalValid(v.Interval) {
			return 0, linux.EINVAL
		}
		s = kernel.TimerSetting{Value: timevalNs(v.Value), Interval: timevalNs(v.Interval)}
	}
	old, err := t.ThreadGroup().SetITimer(which, s)
	if err != nil {
		return 0, err
	}
	if oldAddr != 0 {
		v := itimerval(old)
		return 0, copyOutStruct(t, oldAddr, &v)
	}
	return 0, nil
}

// timerClock returns the clock of a new POSIX timer on clock id, with
// timer_create's errors: EOPNOTSUPP for clocks that exist but have no
// timers, EINVAL for the others.
func timerClock(t *kernel.Task, id int32) (kernel.TimerClock, error) {
	if c, ok := kernel.HostTimerClock(id); ok {
		return c, nil
	}
	switch id {
	case linux.CLOCK_MONOTONIC_RAW, linux.CLOCK_REALTIME_COARSE, linux.CLOCK_MONOTONIC_COARSE,
		linux.CLOCK_REALTIME_ALARM, linux.CLOCK_BOOTTIME_ALARM:
		// Alarm timers need an RTC device, which the sandbox does
		// not have: Linux says EOPNOTSUPP then too.
		return nil, linux.EOPNOTSUPP
	}
	kind, err := classifyCPUClock(t, id)
	if err != nil {
		return nil, err
	}
	switch kind {
	case threadCPUClock:
		return t.ThreadCPUClock(), nil
	case processCPUClock:
		return t.ThreadGroup().ProcessCPUClock(), nil
	}
	return nil, linux.EINVAL
}

func timerCreate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	clockID, evAddr, idAddr := int32(a[0]), a[1], a[2]
	var ev *linux.Sigevent
	if evAddr != 0 {
		ev = new(linux.Sigevent)
		if err := copyInStruct(t, evAddr, ev); err != nil {
			return 0, err
		}
	}
	clock, err := timerClock(t, clockID)
	if err != nil {
		return 0, err
	}
	id, err := t.CreateTimer(clock, ev)
	if err != nil {
		return 0, err
	}
	if err := usermem.CopyOutUint32(t, idAddr, uint32(id)); err != nil {
		t.ThreadGroup().DeleteTimer(id)
		return 0, linux.EFAULT
	}
	return 0, nil
}

func timerSettime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, flags, newAddr, oldAddr := int32(a[0]), a[1], a[2], a[3]
	if newAddr == 0 {
		return 0, linux.EINVAL
	}
	s, err := copyInItimerspec(t, newAddr)
	if err != nil {
		return 0, err
	}
	// Flags other than TIMER_ABSTIME are ignored, as in Linux.
	old, err := t.ThreadGroup().SetTimer(id, s, flags&linux.TIMER_ABSTIME != 0)
	if err != nil {
		return 0, err
	}
	if oldAddr != 0 {
		v := itimerspec(old)
		return 0, copyOutStruct(t, oldAddr, &v)
	}
	return 0, nil
}

func timerGettime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	s, err := t.ThreadGroup().Timer(int32(a[0]))
	if err != nil {
		return 0, err
	}
	v := itimerspec(s)
	return 0, copyOutStruct(t, a[1], &v)
}

func timerGetoverrun(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	n, err := t.ThreadGroup().TimerOverrun(int32(a[0]))
	return uint64(n), err
}

func timerDelete(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.ThreadGroup().DeleteTimer(int32(a[0]))
}

func timerfdCreate(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	clockID, flags := int32(a[0]), uint32(a[1])
	if flags&^linux.TFD_CREATE_FLAGS != 0 {
		return 0, linux.EINVAL
	}
	host := clockID
	switch clockID {
	case linux.CLOCK_REALTIME, linux.CLOCK_MONOTONIC, linux.CLOCK_BOOTTIME:
	case linux.CLOCK_REALTIME_ALARM, linux.CLOCK_BOOTTIME_ALARM:
		if !t.Credentials().HasCapability(linux.CAP_WAKE_ALARM) {
			return 0, linux.EPERM
		}
		// Without suspend, an alarm timer is its base clock's timer.
		host = linux.CLOCK_REALTIME
		if clockID == linux.CLOCK_BOOTTIME_ALARM {
			host = linux.CLOCK_BOOTTIME
		}
	default:
		return 0, linux.EINVAL
	}
	clock, _ := kernel.HostTimerClock(host)
	return installNew(t, timerfd.New(clock, flags), flags&linux.TFD_CLOEXEC != 0)
}

// getTimerfd returns the timerfd at fd (EBADF, or EINVAL if it is not one)
// with a reference the caller drops.
func getTimerfd(t *kernel.Task, fd uint64) (*timerfd.File, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	tf, ok := f.(*timerfd.File)
	if !ok {
		f.DecRef()
		return nil, linux.EINVAL
	}
	return tf, nil
}

func timerfdSettime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	fd, flags, newAddr, oldAddr := a[0], a[1], a[2], a[3]
	s, err := copyInItimerspec(t, newAddr)
	if err != nil {
		return 0, err
	}
	if flags&^linux.TFD_SETTIME_FLAGS != 0 {
		return 0, linux.EINVAL
	}
	tf, err := getTimerfd(t, fd)
	if err != nil {
		return 0, err
	}
	defer tf.DecRef()
	old := tf.Set(s, flags&linux.TFD_TIMER_ABSTIME != 0)
	if oldAddr != 0 {
		v := itimerspec(old)
		return 0, copyOutStruct(t, oldAddr, &v)
	}
	return 0, nil
}

func timerfdGettime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	tf, err := getTimerfd(t, a[0])
	if err != nil {
		return 0, err
	}
	defer tf.DecRef()
	v := itimerspec(tf.Get())
	return 0, copyOutStruct(t, a[1], &v)
}

func signalfdSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doSignalfd(t, int32(a[0]), a[1], a[2], 0)
}

func signalfd4(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doSignalfd(t, int32(a[0]), a[1], a[2], uint32(a[3]))
}

func doSignalfd(t *kernel.Task, fd int32, maskAddr, size uint64, flags uint32) (uint64, error) {
	mask, err := copyInSigset(t, maskAddr, size)
	if err != nil {
		return 0, err
	}
	if flags&^(linux.SFD_CLOEXEC|linux.SFD_NONBLOCK) != 0 {
		return 0, linux.EINVAL
	}
	if fd == -1 {
		return installNew(t, signalfd.New(t, mask, flags), flags&linux.SFD_CLOEXEC != 0)
	}
	// An existing signalfd gets the new mask; the flags are ignored.
	f, err := getFile(t, uint64(uint32(fd)))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	sf, ok := f.(*signalfd.File)
	if !ok {
		return 0, linux.EINVAL
	}
	sf.SetMask(mask)
	return uint64(fd), nil
}
