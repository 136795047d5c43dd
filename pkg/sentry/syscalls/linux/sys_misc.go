package linux

import (
	"crypto/rand"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

// What uname(2) reports, besides the names of the UTS namespace.
const (
	UTSSysname = "Linux"
	UTSRelease = "5.15.0-bulwark"
	UTSVersion = "#1 SMP Bulwark sentry"
	UTSMachine = "x86_64"
)

// miscSyscalls are identity, uname, randomness, rlimits and scheduling.
var miscSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_UNAME:                  full(uname),
	linux.SYS_GETPID:                 full(getpid),
	linux.SYS_GETTID:                 full(gettid),
	linux.SYS_GETRANDOM:              full(getrandom),
	linux.SYS_PRLIMIT64:              partial(prlimit64, "limits are stored; the sentry enforces those it has a resource for"),
	linux.SYS_GETRLIMIT:              full(getrlimit),
	linux.SYS_SETRLIMIT:              partial(setrlimit, "limits are stored; the sentry enforces those it has a resource for"),
	linux.SYS_SCHED_YIELD:            full(schedYield),
	linux.SYS_SCHED_GETAFFINITY:      partial(schedGetaffinity, "every CPU the sentry may use"),
	linux.SYS_SCHED_SETAFFINITY:      partial(schedSetaffinity, "accepted and validated, without effect"),
	linux.SYS_SCHED_GETSCHEDULER:     partial(schedGetscheduler, "always SCHED_OTHER"),
	linux.SYS_SCHED_GETPARAM:         partial(schedGetparam, "always priority 0"),
	linux.SYS_SCHED_GET_PRIORITY_MAX: full(schedGetPriorityMax),
	linux.SYS_SCHED_GET_PRIORITY_MIN: full(schedGetPriorityMin),
	linux.SYS_GETCPU:                 partial(getcpu, "always CPU 0, node 0"),
	linux.SYS_SYSINFO:                partial(sysinfo, "no load averages; memory figures are the host's"),
}

// utsField copies s into a NUL-terminated utsname field, truncating.
func utsField(s string) [linux.UTSLen]byte {
	var f [linux.UTSLen]byte
	copy(f[:linux.UTSLen-1], s)
	return f
}

func uname(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	u := linux.Utsname{
		Sysname:    utsField(UTSSysname),
		Nodename:   utsField(t.UTSNamespace().Hostname()),
		Release:    utsField(UTSRelease),
		Version:    utsField(UTSVersion),
		Machine:    utsField(UTSMachine),
		Domainname: utsField(t.UTSNamespace().Domainname()),
	}
	return 0, copyOutStruct(t, a[0], &u)
}

func getpid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.ThreadGroup().ID()), nil
}

func gettid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.ID()), nil
}

// processTarget finds the task a thread id argument names (0: the caller).
func processTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid == 0 {
		return t, nil
	}
	target := t.Kernel().TaskByID(kernel.ThreadID(pid))
	if target == nil {
		return nil, linux.ESRCH
	}
	return target, nil
}

// randomChunk bounds the sentry buffer getrandom fills at a time.
const randomChunk = 64 << 10

func getrandom(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, length, flags := a[0], a[1], uint32(a[2])
	if flags&^(linux.GRND_NONBLOCK|linux.GRND_RANDOM|linux.GRND_INSECURE) != 0 {
		return 0, linux.EINVAL
	}
	if flags&(linux.GRND_INSECURE|linux.GRND_RANDOM) == linux.GRND_INSECURE|linux.GRND_RANDOM {
		return 0, linux.EINVAL
	}
	length = min(length, linux.MAX_RW_COUNT)
	if !accessOK(t, addr, length) {
		return 0, linux.EFAULT
	}
	buf := make([]byte, min(length, randomChunk))
	var done uint64
	for done < length {
		chunk := buf[:min(length-done, uint64(len(buf)))]
		rand.Read(chunk)
		n, err := t.CopyOut(addr+done, chunk)
		done += uint64(n)
		if err != nil {
			if done == 0 {
				return 0, linux.EFAULT
			}
			break
		}
	}
	return done, nil
}

// nofileLimit is the caller's RLIMIT_NOFILE soft limit.
func nofileLimit(t *kernel.Task) uint64 {
	return t.ThreadGroup().Limits()[kernel.RLIMIT_NOFILE].Cur
}

func prlimit64(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, resource, newAddr, oldAddr := int32(a[0]), uint32(a[1]), a[2], a[3]
	var newLim *kernel.Limit
	if newAddr != 0 {
		var rl linux.Rlimit
		if err := copyInStruct(t, newAddr, &rl); err != nil {
			return 0, err
		}
		newLim = &kernel.Limit{Cur: rl.Cur, Max: rl.Max}
	}
	target, err := processTarget(t, pid)
	if err != nil {
		return 0, err
	}
	old, err := doPrlimit(target.ThreadGroup(), resource, newLim)
	if err != nil {
		return 0, err
	}
	if oldAddr != 0 {
		rl := linux.Rlimit{Cur: old.Cur, Max: old.Max}
		return 0, copyOutStruct(t, oldAddr, &rl)
	}
	return 0, nil
}

// doPrlimit reads and optionally replaces one limit of tg. The sandbox
// runs as root, so raising a hard limit is allowed (up to nr_open for
// RLIMIT_NOFILE, which ThreadGroup.SetLimit enforces).
func doPrlimit(tg *kernel.ThreadGroup, resource uint32, newLim *kernel.Limit) (kernel.Limit, error) {
	if resource >= kernel.RLIM_NLIMITS {
		return kernel.Limit{}, linux.EINVAL
	}
	if newLim == nil {
		return tg.Limits()[resource], nil
	}
	return tg.SetLimit(int(resource), *newLim, true)
}

func getrlimit(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	old, err := doPrlimit(t.ThreadGroup(), uint32(a[0]), nil)
	if err != nil {
		return 0, err
	}
	rl := linux.Rlimit{Cur: old.Cur, Max: old.Max}
	return 0, copyOutStruct(t, a[1], &rl)
}

func setrlimit(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	var rl linux.Rlimit
	if err := copyInStruct(t, a[1], &rl); err != nil {
		return 0, err
	}
	_, err := doPrlimit(t.ThreadGroup(), uint32(a[0]), &kernel.Limit{Cur: rl.Cur, Max: rl.Max})
	return 0, err
}

func schedYield(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	t.Yield()
	return 0, nil
}

// cpumaskSize is the kernel's cpumask_size(): whole longs covering the
// CPUs the sentry reports.
func cpumaskSize() uint64 {
	return uint64((runtime.NumCPU() + 63) / 64 * 8)
}

func schedGetaffinity(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, length, addr := int32(a[0]), uint32(a[1]), a[2]
	ncpu := runtime.NumCPU()
	if uint64(length)*8 < uint64(ncpu) || length%8 != 0 {
		return 0, linux.EINVAL
	}
	if _, err := processTarget(t, pid); err != nil {
		return 0, err
	}
	mask := make([]byte, min(uint64(length), cpumaskSize()))
	for cpu := range ncpu {
		mask[cpu/8] |= 1 << (cpu % 8)
	}
	if _, err := t.CopyOut(addr, mask); err != nil {
		return 0, linux.EFAULT
	}
	return uint64(len(mask)), nil
}

func schedSetaffinity(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, length, addr := int32(a[0]), a[1], a[2]
	mask := make([]byte, cpumaskSize())
	if _, err := t.CopyIn(addr, mask[:min(length, uint64(len(mask)))]); err != nil {
		return 0, linux.EFAULT
	}
	if _, err := processTarget(t, pid); err != nil {
		return 0, err
	}
	for cpu := range runtime.NumCPU() {
		if mask[cpu/8]&(1<<(cpu%8)) != 0 {
			return 0, nil
		}
	}
	return 0, linux.EINVAL
}

func schedGetscheduler(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid := int32(a[0])
	if pid < 0 {
		return 0, linux.EINVAL
	}
	if _, err := processTarget(t, pid); err != nil {
		return 0, err
	}
	return linux.SCHED_NORMAL, nil
}

func schedGetparam(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, addr := int32(a[0]), a[1]
	if addr == 0 || pid < 0 {
		return 0, linux.EINVAL
	}
	if _, err := processTarget(t, pid); err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, addr, &linux.SchedParam{})
}

func schedGetPriorityMax(_ *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	switch int32(a[0]) {
	case linux.SCHED_FIFO, linux.SCHED_RR:
		return linux.MAX_RT_PRIO - 1, nil
	case linux.SCHED_NORMAL, linux.SCHED_BATCH, linux.SCHED_IDLE, linux.SCHED_DEADLINE:
		return 0, nil
	}
	return 0, linux.EINVAL
}

func schedGetPriorityMin(_ *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	switch int32(a[0]) {
	case linux.SCHED_FIFO, linux.SCHED_RR:
		return 1, nil
	case linux.SCHED_NORMAL, linux.SCHED_BATCH, linux.SCHED_IDLE, linux.SCHED_DEADLINE:
		return 0, nil
	}
	return 0, linux.EINVAL
}

func getcpu(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	for _, addr := range a[:2] {
		if addr != 0 {
			if err := usermem.CopyOutUint32(t, addr, 0); err != nil {
				return 0, linux.EFAULT
			}
		}
	}
	return 0, nil
}

// taskCounter is implemented by kernels that can count their tasks.
type taskCounter interface{ NumTasks() int }

func sysinfo(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	up := time.Since(t.Kernel().BootTime)
	si := linux.Sysinfo{
		Uptime:  int64((up + time.Second - 1) / time.Second),
		Procs:   1,
		MemUnit: 1,
	}
	if c, ok := any(t.Kernel()).(taskCounter); ok {
		si.Procs = uint16(min(c.NumTasks(), 1<<16-1))
	}
	var hsi unix.Sysinfo_t
	if err := unix.Sysinfo(&hsi); err == nil {
		unit := uint64(max(hsi.Unit, 1))
		si.Totalram = hsi.Totalram * unit
		si.Freeram = hsi.Freeram * unit
		si.Sharedram = hsi.Sharedram * unit
		si.Bufferram = hsi.Bufferram * unit
		si.Totalswap = hsi.Totalswap * unit
		si.Freeswap = hsi.Freeswap * unit
	}
	return 0, copyOutStruct(t, a[0], &si)
}
