package linux

import (
	"encoding/binary"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
)

// putTimespec writes a timespec at addr.
func putTimespec(t *testing.T, task *kernel.Task, addr uint64, sec, nsec int64) uint64 {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, uint64(sec))
	b = binary.LittleEndian.AppendUint64(b, uint64(nsec))
	poke(t, task, addr, b)
	return addr
}

// getTimespec reads a timespec at addr.
func getTimespec(t *testing.T, task *kernel.Task, addr uint64) (int64, int64) {
	t.Helper()
	b := peek(t, task, addr, 16)
	return int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
}

func selfProcessClock(task *kernel.Task) uint64 {
	return uint64(uint32(linux.MakeProcessCPUClock(int32(task.ThreadGroup().ID()), linux.CPUCLOCK_SCHED)))
}

func TestClockGettime(t *testing.T) {
	task := newTestTask(t)
	good := []uint64{
		linux.CLOCK_REALTIME, linux.CLOCK_MONOTONIC, linux.CLOCK_MONOTONIC_RAW,
		linux.CLOCK_REALTIME_COARSE, linux.CLOCK_MONOTONIC_COARSE, linux.CLOCK_BOOTTIME,
		linux.CLOCK_TAI, linux.CLOCK_PROCESS_CPUTIME_ID, linux.CLOCK_THREAD_CPUTIME_ID,
		selfProcessClock(task),
		uint64(uint32(linux.MakeThreadCPUClock(int32(task.ID()), linux.CPUCLOCK_VIRT))),
		uint64(uint32(linux.MakeProcessCPUClock(0, linux.CPUCLOCK_PROF))),
	}
	for _, c := range good {
		putTimespec(t, task, rwBase, -1, -1)
		mustCall(t, task, linux.SYS_CLOCK_GETTIME, c, rwBase)
		sec, nsec := getTimespec(t, task, rwBase)
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			t.Errorf("clock %d: %d.%09d", int32(c), sec, nsec)
		}
		mustCall(t, task, linux.SYS_CLOCK_GETRES, c, rwBase)
		if sec, nsec := getTimespec(t, task, rwBase); sec != 0 || nsec <= 0 {
			t.Errorf("clock_getres(%d) = %d.%09d", int32(c), sec, nsec)
		}
		mustCall(t, task, linux.SYS_CLOCK_GETRES, c, 0)
	}
	bad := []uint64{
		16, 100, 12345, 0x7fffffff, linux.CLOCK_SGI_CYCLE, linux.CLOCK_REALTIME_ALARM,
		^uint64(0), // which == CPUCLOCK_MAX
		uint64(uint32(linux.MakeProcessCPUClock(int32(task.ThreadGroup().ID()), 3))),
		uint64(uint32(linux.MakeProcessCPUClock(4242, linux.CPUCLOCK_SCHED))),
		uint64(uint32(linux.MakeThreadCPUClock(4242, linux.CPUCLOCK_SCHED))),
	}
	for _, c := range bad {
		if _, err := call(t, task, linux.SYS_CLOCK_GETTIME, c, rwBase); err != linux.EINVAL {
			t.Errorf("clock_gettime(%d) = %v, want EINVAL", int32(c), err)
		}
		if _, err := call(t, task, linux.SYS_CLOCK_GETRES, c, rwBase); err != linux.EINVAL {
			t.Errorf("clock_getres(%d) = %v, want EINVAL", int32(c), err)
		}
	}
	for _, addr := range []uint64{0, 1, badAddr, roBase} {
		if _, err := call(t, task, linux.SYS_CLOCK_GETTIME, linux.CLOCK_MONOTONIC, addr); err != linux.EFAULT {
			t.Errorf("clock_gettime(%#x) = %v, want EFAULT", addr, err)
		}
	}
}

func TestCPUClocksFollowContext(t *testing.T) {
	task := newTestTask(t)
	task.Context().(*fakeContext).cpu.Store(3*int64(time.Second) + 5)
	for _, c := range []uint64{linux.CLOCK_THREAD_CPUTIME_ID, linux.CLOCK_PROCESS_CPUTIME_ID, selfProcessClock(task)} {
		mustCall(t, task, linux.SYS_CLOCK_GETTIME, c, rwBase)
		if sec, nsec := getTimespec(t, task, rwBase); sec != 3 || nsec != 5 {
			t.Errorf("clock %d = %d.%09d, want 3.000000005", int32(c), sec, nsec)
		}
	}
}

func TestGettimeofdayAndTime(t *testing.T) {
	task := newTestTask(t)
	poke(t, task, rwBase+32, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	mustCall(t, task, linux.SYS_GETTIMEOFDAY, rwBase, rwBase+32)
	sec, usec := getTimespec(t, task, rwBase)
	now := time.Now().Unix()
	if sec < now-5 || sec > now+5 || usec < 0 || usec >= 1e6 {
		t.Errorf("gettimeofday = %d.%06d, now %d", sec, usec, now)
	}
	if tz := peek(t, task, rwBase+32, 8); binary.LittleEndian.Uint64(tz) != 0 {
		t.Errorf("timezone = %v, want zeros", tz)
	}
	mustCall(t, task, linux.SYS_GETTIMEOFDAY, 0, 0)
	for _, args := range [][]uint64{{1, 0}, {rwBase, 1}, {roBase, 0}} {
		if _, err := call(t, task, linux.SYS_GETTIMEOFDAY, args...); err != linux.EFAULT {
			t.Errorf("gettimeofday(%#x) = %v, want EFAULT", args, err)
		}
	}
	r := mustCall(t, task, linux.SYS_TIME, rwBase)
	if stored := binary.LittleEndian.Uint64(peek(t, task, rwBase, 8)); stored != r {
		t.Errorf("time() returned %d but stored %d", r, stored)
	}
	mustCall(t, task, linux.SYS_TIME, 0)
	if _, err := call(t, task, linux.SYS_TIME, 1); err != linux.EFAULT {
		t.Errorf("time(1) = %v", err)
	}
}

func TestNanosleepArguments(t *testing.T) {
	task := newTestTask(t)
	bad := [][2]int64{{0, 1e9}, {0, -1}, {-1, 0}, {1, 1<<63 - 1}, {-1, -1}}
	for i, ts := range bad {
		addr := putTimespec(t, task, rwBase+uint64(16*i), ts[0], ts[1])
		if _, err := call(t, task, linux.SYS_NANOSLEEP, addr, 0); err != linux.EINVAL {
			t.Errorf("nanosleep(%v) = %v, want EINVAL", ts, err)
		}
		if _, err := call(t, task, linux.SYS_CLOCK_NANOSLEEP, linux.CLOCK_MONOTONIC, linux.TIMER_ABSTIME, addr, 0); err != linux.EINVAL {
			t.Errorf("clock_nanosleep(%v) = %v, want EINVAL", ts, err)
		}
	}
	ok := putTimespec(t, task, rwBase+0x100, 0, 1000)
	for _, tc := range []struct {
		name         string
		clock, flags uint64
		req          uint64
		want         error
	}{
		{"unknown clock", 12345, 0, ok, linux.EINVAL},
		{"unknown clock, absolute", 100, linux.TIMER_ABSTIME, ok, linux.EINVAL},
		{"thread CPU clock", linux.CLOCK_THREAD_CPUTIME_ID, 0, ok, linux.EOPNOTSUPP},
		{"raw monotonic", linux.CLOCK_MONOTONIC_RAW, 0, ok, linux.EOPNOTSUPP},
		{"coarse realtime", linux.CLOCK_REALTIME_COARSE, 0, ok, linux.EOPNOTSUPP},
		{"process CPU clock (partial)", linux.CLOCK_PROCESS_CPUTIME_ID, 0, ok, linux.EINVAL},
		{"bad pointer", linux.CLOCK_MONOTONIC, 0, 1, linux.EFAULT},
	} {
		if _, err := call(t, task, linux.SYS_CLOCK_NANOSLEEP, tc.clock, tc.flags, tc.req, 0); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, addr := range []uint64{0, 1, badAddr} {
		if _, err := call(t, task, linux.SYS_NANOSLEEP, addr, rwBase); err != linux.EFAULT {
			t.Errorf("nanosleep(%#x) = %v, want EFAULT", addr, err)
		}
	}
}

func TestSleepsComplete(t *testing.T) {
	task := newTestTask(t)
	short := putTimespec(t, task, rwBase, 0, int64(time.Millisecond))
	rem := putTimespec(t, task, rwBase+16, 42, 42)
	start := time.Now()
	mustCall(t, task, linux.SYS_NANOSLEEP, short, rem)
	if time.Since(start) < time.Millisecond {
		t.Errorf("nanosleep returned early")
	}
	if sec, nsec := getTimespec(t, task, rem); sec != 42 || nsec != 42 {
		t.Errorf("rem written on success: %d.%d", sec, nsec)
	}
	for _, c := range []uint64{linux.CLOCK_REALTIME, linux.CLOCK_MONOTONIC, linux.CLOCK_BOOTTIME, linux.CLOCK_TAI} {
		mustCall(t, task, linux.SYS_CLOCK_NANOSLEEP, c, 0, short, 0)
		// An absolute time in the past returns at once.
		past := putTimespec(t, task, rwBase+32, 0, 0)
		mustCall(t, task, linux.SYS_CLOCK_NANOSLEEP, c, linux.TIMER_ABSTIME, past, 0)
		// An absolute deadline 1ms ahead is reached.
		mustCall(t, task, linux.SYS_CLOCK_GETTIME, c, rwBase+48)
		sec, nsec := getTimespec(t, task, rwBase+48)
		target := sec*1e9 + nsec + int64(time.Millisecond)
		abs := putTimespec(t, task, rwBase+64, target/1e9, target%1e9)
		mustCall(t, task, linux.SYS_CLOCK_NANOSLEEP, c, linux.TIMER_ABSTIME, abs, 0)
		mustCall(t, task, linux.SYS_CLOCK_GETTIME, c, rwBase+48)
		if sec, nsec := getTimespec(t, task, rwBase+48); sec*1e9+nsec < target {
			t.Errorf("clock %d: absolute sleep woke before its deadline", c)
		}
	}
}

func TestSleepInterrupted(t *testing.T) {
	task := newTestTask(t)
	long := putTimespec(t, task, rwBase, 30, 0)
	rem := putTimespec(t, task, rwBase+16, -1, -1)
	// A pending unblocked signal interrupts the sleep at once.
	task.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGUSR1)})
	if _, err := call(t, task, linux.SYS_NANOSLEEP, long, rem); err != linux.ERESTART_RESTARTBLOCK {
		t.Fatalf("interrupted nanosleep = %v, want ERESTART_RESTARTBLOCK", err)
	}
	sec, nsec := getTimespec(t, task, rem)
	if sec < 29 || sec > 30 || nsec < 0 || nsec >= 1e9 {
		t.Fatalf("rem = %d.%09d", sec, nsec)
	}
	// The restart block continues the same sleep (still interrupted by
	// the undelivered signal) and rewrites rem.
	putTimespec(t, task, rem, -1, -1)
	if _, err := task.RestartSyscall(); err != linux.ERESTART_RESTARTBLOCK {
		t.Fatalf("restarted nanosleep = %v", err)
	}
	if sec, _ := getTimespec(t, task, rem); sec < 29 {
		t.Fatalf("rem after restart = %d s", sec)
	}
	// An absolute sleep is restarted from its arguments and leaves rem.
	putTimespec(t, task, rem, -7, -7)
	abs := putTimespec(t, task, rwBase+32, 1<<40, 0)
	if _, err := call(t, task, linux.SYS_CLOCK_NANOSLEEP, linux.CLOCK_MONOTONIC, linux.TIMER_ABSTIME, abs, rem); err != linux.ERESTARTNOHAND {
		t.Fatalf("interrupted absolute sleep = %v, want ERESTARTNOHAND", err)
	}
	if sec, nsec := getTimespec(t, task, rem); sec != -7 || nsec != -7 {
		t.Fatalf("absolute sleep wrote rem %d.%d", sec, nsec)
	}
	// A rem that cannot be written is EFAULT.
	if _, err := call(t, task, linux.SYS_NANOSLEEP, long, roBase); err != linux.EFAULT {
		t.Fatalf("nanosleep with read-only rem = %v, want EFAULT", err)
	}
}
