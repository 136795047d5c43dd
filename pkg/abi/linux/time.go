package linux

// Clock ids, defined in include/uapi/linux/time.h.
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
	CLOCK_REALTIME_ALARM     = 8
	CLOCK_BOOTTIME_ALARM     = 9
	CLOCK_SGI_CYCLE          = 10
	CLOCK_TAI                = 11
	// MAX_CLOCKS bounds the static clock ids.
	MAX_CLOCKS = 16
)

// TIMER_ABSTIME makes clock_nanosleep's time absolute, defined in
// include/uapi/linux/time.h.
const TIMER_ABSTIME = 0x1

// Dynamic CPU clock ids encode a pid or tid in a negative clock id:
// ~pid << 3 | perthread << 2 | which. Defined in
// include/linux/posix-timers_types.h (CPUCLOCK_*).
const (
	CPUCLOCK_PROF           = 0
	CPUCLOCK_VIRT           = 1
	CPUCLOCK_SCHED          = 2
	CPUCLOCK_MAX            = 3
	CPUCLOCK_CLOCK_MASK     = 3
	CPUCLOCK_PERTHREAD_MASK = 4
)

// CPUClockPID returns the pid (or tid) of a dynamic CPU clock id
// (CPUCLOCK_PID in include/linux/posix-timers_types.h).
func CPUClockPID(clock int32) int32 { return ^(clock >> 3) }

// CPUClockPerThread reports whether clock names a thread's CPU clock
// (CPUCLOCK_PERTHREAD).
func CPUClockPerThread(clock int32) bool { return clock&CPUCLOCK_PERTHREAD_MASK != 0 }

// CPUClockWhich returns which CPU time clock measures (CPUCLOCK_WHICH).
func CPUClockWhich(clock int32) int32 { return clock & CPUCLOCK_CLOCK_MASK }

// MakeProcessCPUClock and MakeThreadCPUClock build dynamic CPU clock ids
// (MAKE_PROCESS_CPUCLOCK, MAKE_THREAD_CPUCLOCK).
func MakeProcessCPUClock(pid, which int32) int32 { return ^pid<<3 | which }

// MakeThreadCPUClock builds a thread CPU clock id.
func MakeThreadCPUClock(tid, which int32) int32 {
	return ^tid<<3 | which | CPUCLOCK_PERTHREAD_MASK
}

// Timeval is struct __kernel_old_timeval, defined in
// include/uapi/linux/time_types.h (16 bytes on x86-64).
type Timeval struct {
	Sec  int64
	Usec int64
}

// SizeOfTimeval is sizeof(struct timeval).
const SizeOfTimeval = 16

// Timezone is struct timezone, defined in include/uapi/linux/time.h.
type Timezone struct {
	Minuteswest int32
	Dsttime     int32
}

// SizeOfTimezone is sizeof(struct timezone).
const SizeOfTimezone = 8
