package proc

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/sentry/mm"
)

// What uname(2) reports. They must equal pkg/sentry/syscalls/linux's
// UTSSysname, UTSRelease and UTSVersion (a test checks); proc cannot
// import that package, which will import proc to mount it.
const (
	UTSSysname = "Linux"
	UTSRelease = "5.15.0-bulwark"
	UTSVersion = "#1 SMP Bulwark sentry"
)

// versionText is /proc/version.
var versionText = fmt.Sprintf("%s version %s (bulwark@bulwark) (%s) %s\n", UTSSysname, UTSRelease, runtime.Version(), UTSVersion)

// filesystemsText is /proc/filesystems: the file system types the sandbox
// implements (none needs a block device).
const filesystemsText = "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\t9p\nnodev\toverlay\n"

// Limits shown under /proc/sys.
const (
	// ngroupsMax is NGROUPS_MAX, defined in include/uapi/linux/limits.h.
	ngroupsMax = 65536
	// pidMax is where the kernel's thread ids wrap (kernel.allocTID).
	pidMax = 1 << 22
	// mmMaxMapCount is vm.max_map_count.
	mmMaxMapCount = mm.MaxMapCount
)

// meminfo is /proc/meminfo. The sandbox's view: the total is the host's
// RAM, and what is free is bounded both by the host's free memory and by
// what the sandbox's memory file has not used. Figures the sentry does not
// track are 0.
func (fs *filesystem) meminfo() string {
	var total, free, buffers, shared, swapTotal, swapFree uint64
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		unit := uint64(max(si.Unit, 1))
		total, free, buffers = si.Totalram*unit, si.Freeram*unit, si.Bufferram*unit
		shared, swapTotal, swapFree = si.Sharedram*unit, si.Totalswap*unit, si.Freeswap*unit
	}
	var used uint64
	if fs.k.MF != nil {
		used = fs.k.MF.Used()
	}
	avail := min(free+buffers, total-min(used, total))
	free = min(free, avail)
	var w strings.Builder
	kb := func(name string, v uint64) { fmt.Fprintf(&w, "%-16s%8d kB\n", name+":", v/1024) }
	kb("MemTotal", total)
	kb("MemFree", free)
	kb("MemAvailable", avail)
	kb("Buffers", 0)
	kb("Cached", 0)
	kb("SwapCached", 0)
	kb("Active", used)
	kb("Inactive", 0)
	kb("Active(anon)", used)
	kb("Inactive(anon)", 0)
	kb("Active(file)", 0)
	kb("Inactive(file)", 0)
	kb("Unevictable", 0)
	kb("Mlocked", 0)
	kb("SwapTotal", swapTotal)
	kb("SwapFree", swapFree)
	kb("Dirty", 0)
	kb("Writeback", 0)
	kb("AnonPages", used)
	kb("Mapped", 0)
	kb("Shmem", min(shared, used))
	kb("Slab", 0)
	kb("SReclaimable", 0)
	kb("SUnreclaim", 0)
	kb("KernelStack", 0)
	kb("PageTables", 0)
	kb("CommitLimit", total/2+swapTotal)
	kb("Committed_AS", used)
	kb("VmallocTotal", 34359738367*1024)
	kb("VmallocUsed", 0)
	kb("VmallocChunk", 0)
	kb("AnonHugePages", 0)
	fmt.Fprintf(&w, "%-16s%8d\n", "HugePages_Total:", 0)
	fmt.Fprintf(&w, "%-16s%8d\n", "HugePages_Free:", 0)
	fmt.Fprintf(&w, "%-16s%8d\n", "HugePages_Rsvd:", 0)
	fmt.Fprintf(&w, "%-16s%8d\n", "HugePages_Surp:", 0)
	kb("Hugepagesize", 2<<20)
	return w.String()
}

// uptime is /proc/uptime: seconds since the sandbox booted, and idle time
// summed over CPUs (all of it but what the sandbox's tasks used).
func (fs *filesystem) uptime() string {
	up := time.Since(fs.k.BootTime)
	idle := max(up*time.Duration(runtime.NumCPU())-fs.busy(), 0)
	return fmt.Sprintf("%.2f %.2f\n", up.Seconds(), idle.Seconds())
}

// busy is the CPU time of the live tasks.
func (fs *filesystem) busy() time.Duration {
	var busy time.Duration
	for _, tg := range fs.k.ThreadGroups() {
		for _, t := range tg.Tasks() {
			busy += time.Duration(t.Context().CPUTime())
		}
	}
	return busy
}

// loadavg is /proc/loadavg. The sentry keeps no load averages: they are
// 0; then running/total tasks and the last id handed out.
func (fs *filesystem) loadavg() string {
	n := fs.k.NumTasks()
	return fmt.Sprintf("0.00 0.00 0.00 %d/%d %d\n", min(n, runtime.NumCPU()), n, fs.k.LastTID())
}

// stat is /proc/stat, with CPU times in USER_HZ ticks: the tasks' time as
// user time (spread evenly over the CPUs), the rest as idle.
func (fs *filesystem) stat() string {
	ncpu := runtime.NumCPU()
	up := time.Since(fs.k.BootTime)
	user := ticks(fs.busy())
	idle := ticks(max(up*time.Duration(ncpu), 0)) - min(user, ticks(up*time.Duration(ncpu)))
	var w bytes.Buffer
	cpu := func(name string, user, idle uint64) {
		fmt.Fprintf(&w, "%s %d 0 0 %d 0 0 0 0 0 0\n", name, user, idle)
	}
	cpu("cpu ", user, idle)
	for i := 0; i < ncpu; i++ {
		cpu(fmt.Sprintf("cpu%d", i), user/uint64(ncpu), idle/uint64(ncpu))
	}
	n := fs.k.NumTasks()
	fmt.Fprintf(&w, "intr 0\nctxt 0\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked 0\n",
		fs.k.BootTime.Unix(), fs.k.LastTID(), min(n, ncpu))
	w.WriteString("softirq 0 0 0 0 0 0 0 0 0 0 0\n")
	return w.String()
}
