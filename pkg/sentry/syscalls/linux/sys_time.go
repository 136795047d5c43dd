package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

// timeSyscalls are the clock and sleep calls.
var timeSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_CLOCK_GETTIME:   partial(clockGettime, "CPU clocks: user time is the application's host thread time, system time the sentry's (see kernel/rusage.go)"),
	linux.SYS_CLOCK_GETRES:    full(clockGetres),
	linux.SYS_GETRUSAGE:       partial(getrusage, "CPU times only (user: application, system: sentry); the other fields are 0"),
	linux.SYS_TIMES:           partial(times, "user time is the application's host thread time, system time the sentry's (see kernel/rusage.go)"),
	linux.SYS_GETTIMEOFDAY:    full(gettimeofday),
	linux.SYS_TIME:            full(timeSyscall),
	linux.SYS_NANOSLEEP:       full(nanosleep),
	linux.SYS_CLOCK_NANOSLEEP: partial(clockNanosleep, "sleeping on the process CPU clock is EINVAL"),
}

// hostClocks are the guest clocks served by the host clock of the same
// meaning. CLOCK_BOOTTIME is the host's: the sandbox never suspends on its
// own, and the host's suspended time is real time the application missed.
var hostClocks = map[int32]int32{
	linux.CLOCK_REALTIME:         unix.CLOCK_REALTIME,
	linux.CLOCK_MONOTONIC:        unix.CLOCK_MONOTONIC,
	linux.CLOCK_MONOTONIC_RAW:    unix.CLOCK_MONOTONIC_RAW,
	linux.CLOCK_REALTIME_COARSE:  unix.CLOCK_REALTIME_COARSE,
	linux.CLOCK_MONOTONIC_COARSE: unix.CLOCK_MONOTONIC_COARSE,
	linux.CLOCK_BOOTTIME:         unix.CLOCK_BOOTTIME,
	linux.CLOCK_TAI:              unix.CLOCK_TAI,
}

// sleepClocks are the clocks clock_nanosleep accepts (Linux's k_clocks
// with an nsleep operation, minus the CPU clocks).
var sleepClocks = map[int32]bool{
	linux.CLOCK_REALTIME:  true,
	linux.CLOCK_MONOTONIC: true,
	linux.CLOCK_BOOTTIME:  true,
	linux.CLOCK_TAI:       true,
}

// hostNow reads a host clock in nanoseconds.
func hostNow(clock int32) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		// The clocks in hostClocks exist on every kernel the sandbox
		// supports; fall back to Go's clock rather than fail the app.
		return time.Now().UnixNano()
	}
	return ts.Nano()
}

// cpuClockKind says which CPU time a clock id measures.
type cpuClockKind int

const (
	notCPUClock cpuClockKind = iota
	threadCPUClock
	processCPUClock
)

// classifyCPUClock decodes the CPU clocks: the two static ids and the
// dynamic ids (see linux.CPUClockPID) of the calling thread and process.
// CPU clocks of other tasks are EINVAL: the sentry can read only the
// caller's CPU time.
func classifyCPUClock(t *kernel.Task, clock int32) (cpuClockKind, error) {
	switch clock {
	case linux.CLOCK_PROCESS_CPUTIME_ID:
		return processCPUClock, nil
	case linux.CLOCK_THREAD_CPUTIME_ID:
		return threadCPUClock, nil
	}
	if clock >= 0 {
		return notCPUClock, nil
	}
	// Negative ids whose low three bits are CLOCKFD (3) are posix
	// dynamic clocks (clock fds); with CPUCLOCK_MAX they are invalid too.
	if linux.CPUClockWhich(clock) == linux.CPUCLOCK_MAX {
		return notCPUClock, linux.EINVAL
	}
	pid := linux.CPUClockPID(clock)
	if linux.CPUClockPerThread(clock) {
		if pid == 0 || kernel.ThreadID(pid) == t.ID() {
			return threadCPUClock, nil
		}
		return notCPUClock, linux.EINVAL
	}
	if pid == 0 || kernel.ThreadID(pid) == t.ThreadGroup().ID() {
		return processCPUClock, nil
	}
	return notCPUClock, linux.EINVAL
}

// clockNow returns clock's current value in nanoseconds, or EINVAL.
func clockNow(t *kernel.Task, clock int32) (int64, error) {
	if hc, ok := hostClocks[clock]; ok {
		return hostNow(hc), nil
	}
	u, err := cpuClockUsage(t, clock)
	if err != nil {
		return 0, err
	}
	if clock < 0 && linux.CPUClockWhich(clock) == linux.CPUCLOCK_VIRT {
		return int64(u.User), nil
	}
	return int64(u.Total()), nil
}

// cpuClockUsage reads the CPU time a CPU clock id (static or dynamic)
// measures, with posix_cpu_clock_get's rules: a thread clock names a
// thread of the caller's process (pid 0: the caller), a process clock
// any thread of any process (pid 0: the caller's process); anything else
// is EINVAL.
func cpuClockUsage(t *kernel.Task, clock int32) (kernel.Usage, error) {
	switch clock {
	case linux.CLOCK_PROCESS_CPUTIME_ID:
		return t.ThreadGroup().CPUUsage(), nil
	case linux.CLOCK_THREAD_CPUTIME_ID:
		return t.CPUUsage(), nil
	}
	if clock >= 0 || clock&7 == 3 {
		// Unknown static clocks, and clock fds (CLOCKFD), which the
		// sandbox has none of.
		return kernel.Usage{}, linux.EINVAL
	}
	if linux.CPUClockWhich(clock) == linux.CPUCLOCK_MAX {
		return kernel.Usage{}, linux.EINVAL
	}
	pid := kernel.ThreadID(linux.CPUClockPID(clock))
	if linux.CPUClockPerThread(clock) {
		if pid == 0 || pid == t.ID() {
			return t.CPUUsage(), nil
		}
		o := t.Kernel().TaskByID(pid)
		if o == nil || o.ThreadGroup() != t.ThreadGroup() {
			return kernel.Usage{}, linux.EINVAL
		}
		return o.CPUUsage(), nil
	}
	if pid == 0 {
		return t.ThreadGroup().CPUUsage(), nil
	}
	if o := t.Kernel().TaskByID(pid); o != nil {
		return o.ThreadGroup().CPUUsage(), nil
	}
	if tg := t.Kernel().ThreadGroupByID(pid); tg != nil {
		// A zombie: its final time.
		return tg.CPUUsage(), nil
	}
	return kernel.Usage{}, linux.EINVAL
}

// nsToTimespec converts non-negative nanoseconds to a timespec.
func nsToTimespec(ns int64) linux.Timespec {
	return linux.Timespec{Sec: ns / int64(time.Second), Nsec: ns % int64(time.Second)}
}

func clockGettime(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	now, err := clockNow(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	ts := nsToTimespec(now)
	return 0, copyOutStruct(t, a[1], &ts)
}

func clockGetres(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	clock := int32(a[0])
	res := linux.Timespec{Nsec: 1}
	if hc, ok := hostClocks[clock]; ok {
		var hts unix.Timespec
		if err := unix.ClockGetres(hc, &hts); err == nil {
			res = linux.Timespec{Sec: hts.Sec, Nsec: hts.Nsec}
		}
	} else if _, err := cpuClockUsage(t, clock); err != nil {
		return 0, err
	}
	if a[1] == 0 {
		return 0, nil
	}
	return 0, copyOutStruct(t, a[1], &res)
}

func gettimeofday(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if a[0] != 0 {
		now := hostNow(unix.CLOCK_REALTIME)
		tv := linux.Timeval{Sec: now / int64(time.Second), Usec: now % int64(time.Second) / int64(time.Microsecond)}
		if err := copyOutStruct(t, a[0], &tv); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		// The kernel's sys_tz is never set inside the sandbox.
		var tz linux.Timezone
		if err := copyOutStruct(t, a[1], &tz); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func timeSyscall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	sec := hostNow(unix.CLOCK_REALTIME) / int64(time.Second)
	if a[0] != 0 {
		if err := usermem.CopyOutUint64(t, a[0], uint64(sec)); err != nil {
			return 0, linux.EFAULT
		}
	}
	return uint64(sec), nil
}

func nanosleep(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	ts, err := copyInTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return sleepUntil(t, time.Now().Add(timespecDuration(ts)), a[1])
}

// sleepUntil sleeps until deadline (a monotonic time.Time). If a signal
// interrupts it, the time left is written to rem (if non-zero) and the
// sleep continues through restart_syscall when no handler runs; with a
// handler the application sees EINTR, even with SA_RESTART, as on Linux.
func sleepUntil(t *kernel.Task, deadline time.Time, rem uint64) (uint64, error) {
	left, err := t.Sleep(deadline)
	if err == nil || left <= 0 {
		return 0, nil
	}
	if rem != 0 {
		ts := nsToTimespec(int64(left))
		if err := copyOutStruct(t, rem, &ts); err != nil {
			return 0, err
		}
	}
	t.SetRestartBlock(func(t *kernel.Task) (uint64, error) {
		return sleepUntil(t, deadline, rem)
	})
	return 0, linux.ERESTART_RESTARTBLOCK
}

func clockNanosleep(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	clock, flags, rem := int32(a[0]), a[1], a[3]
	if !sleepClocks[clock] {
		return 0, sleepClockError(t, clock)
	}
	ts, err := copyInTimespec(t, a[2])
	if err != nil {
		return 0, err
	}
	d := timespecDuration(ts)
	if flags&linux.TIMER_ABSTIME == 0 {
		return sleepUntil(t, time.Now().Add(d), rem)
	}
	// An absolute sleep converts the target to a monotonic deadline now;
	// if interrupted it restarts from the same target (ERESTARTNOHAND),
	// and never writes rem.
	now, _ := clockNow(t, clock)
	left, err := t.Sleep(time.Now().Add(d - time.Duration(now)))
	if err == nil || left <= 0 {
		return 0, nil
	}
	return 0, linux.ERESTARTNOHAND
}

// sleepClockError is clock_nanosleep's error for a clock it cannot sleep
// on: EINVAL for clocks that do not exist, EOPNOTSUPP for those without
// a sleep operation (as Linux 6.x, where the calling thread's CPU clock
// is one of them).
func sleepClockError(t *kernel.Task, clock int32) error {
	switch clock {
	case linux.CLOCK_MONOTONIC_RAW, linux.CLOCK_REALTIME_COARSE, linux.CLOCK_MONOTONIC_COARSE,
		linux.CLOCK_THREAD_CPUTIME_ID, linux.CLOCK_REALTIME_ALARM, linux.CLOCK_BOOTTIME_ALARM:
		// The alarm clocks sleep only with an RTC device, which the
		// sandbox does not have.
		return linux.EOPNOTSUPP
	}
	if clock < 0 && clock&7 == 3 {
		// Posix dynamic (clock fd) clocks have no sleep operation.
		return linux.EOPNOTSUPP
	}
	// CPU clocks: Linux rejects the calling thread's own clock with
	// EINVAL and can sleep on others; the sentry cannot (partial).
	return linux.EINVAL
}

// rusageOf is struct rusage for u: the CPU times; the sentry keeps no
// other resource counts.
func rusageOf(u kernel.Usage) linux.Rusage {
	return linux.Rusage{Utime: nsToTimeval(int64(u.User)), Stime: nsToTimeval(int64(u.Sys))}
}

func getrusage(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	var u kernel.Usage
	switch int32(a[0]) {
	case linux.RUSAGE_SELF:
		u = t.ThreadGroup().CPUUsage()
	case linux.RUSAGE_THREAD:
		u = t.CPUUsage()
	case linux.RUSAGE_CHILDREN:
		u = t.ThreadGroup().ChildrenUsage()
	default:
		return 0, linux.EINVAL
	}
	ru := rusageOf(u)
	return 0, copyOutStruct(t, a[1], &ru)
}

// clockTicks converts a duration to clock_t ticks of USER_HZ, truncating
// (nsec_to_clock_t).
func clockTicks(d time.Duration) int64 {
	return int64(d / (time.Second / linux.USER_HZ))
}

// times fills struct tms (if the pointer is not NULL) and returns the
// ticks since the sandbox started, as Linux returns jiffies: monotonic,
// from an arbitrary point.
func times(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if a[0] != 0 {
		tg := t.ThreadGroup()
		self, children := tg.CPUUsage(), tg.ChildrenUsage()
		tms := linux.Tms{
			Utime:  clockTicks(self.User),
			Stime:  clockTicks(self.Sys),
			Cutime: clockTicks(children.User),
			Cstime: clockTicks(children.Sys),
		}
		if err := copyOutStruct(t, a[0], &tms); err != nil {
			return 0, err
		}
	}
	return uint64(clockTicks(time.Since(t.Kernel().BootTime))), nil
}
