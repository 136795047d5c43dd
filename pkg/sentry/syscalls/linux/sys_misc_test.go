package linux

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
)

func TestUname(t *testing.T) {
	task := newTestTask(t)
	mustCall(t, task, linux.SYS_UNAME, rwBase)
	raw := peek(t, task, rwBase, linux.SizeOfUtsname)
	field := func(i int) string {
		f := raw[i*linux.UTSLen : (i+1)*linux.UTSLen]
		return string(f[:bytes.IndexByte(f, 0)])
	}
	for i, want := range []string{UTSSysname, "testhost", UTSRelease, UTSVersion, UTSMachine, "(none)"} {
		if got := field(i); got != want {
			t.Errorf("field %d = %q, want %q", i, got, want)
		}
	}
	// A struct running into an unmapped page faults.
	for _, addr := range []uint64{0, 1, badAddr, roBase, rwBase + rwSize - 10} {
		if _, err := call(t, task, linux.SYS_UNAME, addr); err != linux.EFAULT {
			t.Errorf("uname(%#x) = %v, want EFAULT", addr, err)
		}
	}
}

func TestIdentity(t *testing.T) {
	task := newTestTask(t)
	tgid := uint64(task.ThreadGroup().ID())
	for _, tc := range []struct {
		nr   uintptr
		args []uint64
		want uint64
	}{
		{linux.SYS_GETPID, nil, tgid},
		{linux.SYS_GETTID, nil, uint64(task.ID())},
		{linux.SYS_GETPPID, nil, 0},
		{linux.SYS_GETUID, nil, 0},
		{linux.SYS_GETEGID, nil, 0},
		{linux.SYS_GETPGRP, nil, tgid},
		{linux.SYS_GETPGID, []uint64{0}, tgid},
		{linux.SYS_GETSID, []uint64{tgid}, tgid},
		{linux.SYS_GETGROUPS, []uint64{0, 0}, 0},
		{linux.SYS_GETGROUPS, []uint64{65536, rwBase}, 0},
	} {
		if got := mustCall(t, task, tc.nr, tc.args...); got != tc.want {
			t.Errorf("%s(%v) = %d, want %d", linux.SyscallName(tc.nr), tc.args, got, tc.want)
		}
	}
	for _, tc := range []struct {
		nr   uintptr
		args []uint64
		want error
	}{
		{linux.SYS_GETPGID, []uint64{^uint64(0)}, linux.ESRCH},
		{linux.SYS_GETSID, []uint64{4242}, linux.ESRCH},
		{linux.SYS_GETGROUPS, []uint64{^uint64(0), 0}, linux.EINVAL},
		{linux.SYS_GETRESUID, []uint64{1, rwBase, rwBase}, linux.EFAULT},
		{linux.SYS_GETRESGID, []uint64{rwBase, rwBase, 1}, linux.EFAULT},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s(%v) = %v, want %v", linux.SyscallName(tc.nr), tc.args, err, tc.want)
		}
	}
	poke(t, task, rwBase, bytes.Repeat([]byte{0xff}, 12))
	mustCall(t, task, linux.SYS_GETRESUID, rwBase, rwBase+4, rwBase+8)
	if got := peek(t, task, rwBase, 12); !bytes.Equal(got, make([]byte, 12)) {
		t.Errorf("getresuid wrote %v", got)
	}
}

func TestGetrandom(t *testing.T) {
	task := newTestTask(t)
	for _, n := range []uint64{0, 1, 7, 256, 100000} {
		if got := mustCall(t, task, linux.SYS_GETRANDOM, rwBase, n, 0); got != n {
			t.Errorf("getrandom(%d) = %d", n, got)
		}
	}
	for _, fl := range []uint64{linux.GRND_NONBLOCK, linux.GRND_RANDOM, linux.GRND_RANDOM | linux.GRND_NONBLOCK, linux.GRND_INSECURE} {
		if got := mustCall(t, task, linux.SYS_GETRANDOM, rwBase, 64, fl); got != 64 {
			t.Errorf("getrandom(flags %#x) = %d", fl, got)
		}
	}
	for _, fl := range []uint64{0x8, 0x100, 0x80000000, linux.GRND_RANDOM | linux.GRND_INSECURE} {
		if _, err := call(t, task, linux.SYS_GETRANDOM, rwBase, 16, fl); err != linux.EINVAL {
			t.Errorf("getrandom(flags %#x) = %v, want EINVAL", fl, err)
		}
	}
	for _, addr := range []uint64{1, badAddr, roBase} {
		if _, err := call(t, task, linux.SYS_GETRANDOM, addr, 16, 0); err != linux.EFAULT {
			t.Errorf("getrandom(%#x) = %v, want EFAULT", addr, err)
		}
	}
	// A buffer that runs into unmapped memory gets what fits.
	if got := mustCall(t, task, linux.SYS_GETRANDOM, rwBase+rwSize-100, 1000, 0); got != 100 {
		t.Errorf("getrandom across the end of a mapping = %d, want 100", got)
	}
}

func rlimitAt(t *testing.T, task *kernel.Task, addr uint64) (uint64, uint64) {
	t.Helper()
	b := peek(t, task, addr, 16)
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
}

func putRlimit(t *testing.T, task *kernel.Task, addr, cur, max uint64) uint64 {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, cur)
	poke(t, task, addr, binary.LittleEndian.AppendUint64(b, max))
	return addr
}

func TestRlimits(t *testing.T) {
	task := newTestTask(t)
	mustCall(t, task, linux.SYS_GETRLIMIT, kernel.RLIMIT_NOFILE, rwBase)
	if cur, max := rlimitAt(t, task, rwBase); cur != 1024 || max != 4096 {
		t.Fatalf("RLIMIT_NOFILE = %d/%d", cur, max)
	}
	putRlimit(t, task, rwBase, 100, 200)
	mustCall(t, task, linux.SYS_PRLIMIT64, 0, kernel.RLIMIT_NOFILE, rwBase, rwBase+16)
	if cur, max := rlimitAt(t, task, rwBase+16); cur != 1024 || max != 4096 {
		t.Fatalf("prlimit old = %d/%d", cur, max)
	}
	mustCall(t, task, linux.SYS_PRLIMIT64, uint64(task.ThreadGroup().ID()), kernel.RLIMIT_NOFILE, 0, rwBase+32)
	if cur, max := rlimitAt(t, task, rwBase+32); cur != 100 || max != 200 {
		t.Fatalf("prlimit after set = %d/%d", cur, max)
	}
	// Root may raise the hard limit again, up to nr_open.
	mustCall(t, task, linux.SYS_SETRLIMIT, kernel.RLIMIT_NOFILE, putRlimit(t, task, rwBase, 1024, 8192))
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"getrlimit bad resource", linux.SYS_GETRLIMIT, []uint64{kernel.RLIM_NLIMITS, rwBase}, linux.EINVAL},
		{"getrlimit bad pointer", linux.SYS_GETRLIMIT, []uint64{0, roBase}, linux.EFAULT},
		{"setrlimit soft above hard", linux.SYS_SETRLIMIT, []uint64{0, putRlimit(t, task, rwBase+64, 10, 5)}, linux.EINVAL},
		{"setrlimit bad pointer", linux.SYS_SETRLIMIT, []uint64{0, badAddr}, linux.EFAULT},
		{"setrlimit NOFILE beyond nr_open", linux.SYS_SETRLIMIT, []uint64{kernel.RLIMIT_NOFILE, putRlimit(t, task, rwBase+80, 10, kernel.NrOpen+1)}, linux.EPERM},
		{"prlimit other pid", linux.SYS_PRLIMIT64, []uint64{4242, 0, 0, rwBase}, linux.ESRCH},
		{"prlimit pid -1", linux.SYS_PRLIMIT64, []uint64{^uint64(0), 0, 0, rwBase}, linux.ESRCH},
		{"prlimit bad resource", linux.SYS_PRLIMIT64, []uint64{0, 99, 0, rwBase}, linux.EINVAL},
		{"prlimit bad new pointer", linux.SYS_PRLIMIT64, []uint64{4242, 0, badAddr, 0}, linux.EFAULT},
		{"prlimit bad old pointer", linux.SYS_PRLIMIT64, []uint64{0, 0, 0, roBase}, linux.EFAULT},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestScheduling(t *testing.T) {
	task := newTestTask(t)
	mustCall(t, task, linux.SYS_SCHED_YIELD)
	size := cpumaskSize()
	if n := mustCall(t, task, linux.SYS_SCHED_GETAFFINITY, 0, 256, rwBase); n != size {
		t.Fatalf("sched_getaffinity = %d, want %d", n, size)
	}
	mask := peek(t, task, rwBase, int(size))
	count := 0
	for _, b := range mask {
		for ; b != 0; b &= b - 1 {
			count++
		}
	}
	if count != runtime.NumCPU() {
		t.Fatalf("affinity mask has %d CPUs, want %d", count, runtime.NumCPU())
	}
	mustCall(t, task, linux.SYS_SCHED_SETAFFINITY, 0, size, rwBase)
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"getaffinity short", linux.SYS_SCHED_GETAFFINITY, []uint64{0, 4, rwBase}, linux.EINVAL},
		{"getaffinity not a multiple of 8", linux.SYS_SCHED_GETAFFINITY, []uint64{0, size + 4, rwBase}, linux.EINVAL},
		{"getaffinity bad pid", linux.SYS_SCHED_GETAFFINITY, []uint64{4242, 256, rwBase}, linux.ESRCH},
		{"getaffinity bad pointer", linux.SYS_SCHED_GETAFFINITY, []uint64{0, 256, roBase}, linux.EFAULT},
		{"setaffinity empty", linux.SYS_SCHED_SETAFFINITY, []uint64{0, 8, rwBase + 0x100}, linux.EINVAL},
		{"setaffinity bad pointer", linux.SYS_SCHED_SETAFFINITY, []uint64{0, 8, badAddr}, linux.EFAULT},
		{"getscheduler -1", linux.SYS_SCHED_GETSCHEDULER, []uint64{^uint64(0)}, linux.EINVAL},
		{"getscheduler bad pid", linux.SYS_SCHED_GETSCHEDULER, []uint64{999999}, linux.ESRCH},
		{"getparam NULL", linux.SYS_SCHED_GETPARAM, []uint64{0, 0}, linux.EINVAL},
		{"getparam -1", linux.SYS_SCHED_GETPARAM, []uint64{^uint64(0), rwBase}, linux.EINVAL},
		{"getparam bad pointer", linux.SYS_SCHED_GETPARAM, []uint64{0, roBase}, linux.EFAULT},
		{"priority max bad policy", linux.SYS_SCHED_GET_PRIORITY_MAX, []uint64{4}, linux.EINVAL},
		{"priority min bad policy", linux.SYS_SCHED_GET_PRIORITY_MIN, []uint64{^uint64(0)}, linux.EINVAL},
		{"getcpu bad pointer", linux.SYS_GETCPU, []uint64{roBase, 0, 0}, linux.EFAULT},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		nr           uintptr
		policy, want uint64
	}{
		{linux.SYS_SCHED_GET_PRIORITY_MAX, linux.SCHED_FIFO, 99},
		{linux.SYS_SCHED_GET_PRIORITY_MIN, linux.SCHED_RR, 1},
		{linux.SYS_SCHED_GET_PRIORITY_MAX, linux.SCHED_NORMAL, 0},
		{linux.SYS_SCHED_GET_PRIORITY_MIN, linux.SCHED_IDLE, 0},
	} {
		if got := mustCall(t, task, tc.nr, tc.policy); got != tc.want {
			t.Errorf("%s(%d) = %d, want %d", linux.SyscallName(tc.nr), tc.policy, got, tc.want)
		}
	}
	if got := mustCall(t, task, linux.SYS_SCHED_GETSCHEDULER, 0); got != linux.SCHED_NORMAL {
		t.Errorf("sched_getscheduler = %d", got)
	}
	poke(t, task, rwBase, []byte{9, 9, 9, 9, 9, 9, 9, 9})
	mustCall(t, task, linux.SYS_GETCPU, rwBase, rwBase+4, 0)
	if got := peek(t, task, rwBase, 8); !bytes.Equal(got, make([]byte, 8)) {
		t.Errorf("getcpu wrote %v", got)
	}
}

func TestSysinfoAndRusage(t *testing.T) {
	task := newTestTask(t)
	mustCall(t, task, linux.SYS_SYSINFO, rwBase)
	var si linux.Sysinfo
	if err := binary.Read(bytes.NewReader(peek(t, task, rwBase, linux.SizeOfSysinfo)), binary.LittleEndian, &si); err != nil {
		t.Fatal(err)
	}
	if si.Totalram == 0 || si.MemUnit != 1 || si.Procs == 0 {
		t.Errorf("sysinfo = %+v", si)
	}
	if _, err := call(t, task, linux.SYS_SYSINFO, roBase); err != linux.EFAULT {
		t.Errorf("sysinfo(read-only) = %v", err)
	}
	task.Context().(*fakeContext).cpu.Store(2_500_000_000)
	for _, who := range []int64{linux.RUSAGE_SELF, linux.RUSAGE_THREAD} {
		mustCall(t, task, linux.SYS_GETRUSAGE, uint64(who), rwBase)
		if sec, usec := getTimespec(t, task, rwBase); sec != 2 || usec != 500000 {
			t.Errorf("getrusage(%d) utime = %d.%06d", who, sec, usec)
		}
	}
	mustCall(t, task, linux.SYS_GETRUSAGE, uint64(0xffffffff), rwBase) // RUSAGE_CHILDREN
	for _, who := range []uint64{2, uint64(0xfffffffe)} {
		if _, err := call(t, task, linux.SYS_GETRUSAGE, who, rwBase); err != linux.EINVAL {
			t.Errorf("getrusage(%d) = %v, want EINVAL", int32(who), err)
		}
	}
	if _, err := call(t, task, linux.SYS_GETRUSAGE, 0, roBase); err != linux.EFAULT {
		t.Errorf("getrusage(read-only) = %v", err)
	}
}
