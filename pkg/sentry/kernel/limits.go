package kernel

// Resource numbers, defined in include/uapi/asm-generic/resource.h.
const (
	RLIMIT_CPU        = 0
	RLIMIT_FSIZE      = 1
	RLIMIT_DATA       = 2
	RLIMIT_STACK      = 3
	RLIMIT_CORE       = 4
	RLIMIT_RSS        = 5
	RLIMIT_NPROC      = 6
	RLIMIT_NOFILE     = 7
	RLIMIT_MEMLOCK    = 8
	RLIMIT_AS         = 9
	RLIMIT_LOCKS      = 10
	RLIMIT_SIGPENDING = 11
	RLIMIT_MSGQUEUE   = 12
	RLIMIT_NICE       = 13
	RLIMIT_RTPRIO     = 14
	RLIMIT_RTTIME     = 15
	RLIM_NLIMITS      = 16

	// RLIM_INFINITY is the unlimited value.
	RLIM_INFINITY = ^uint64(0)

	// NrOpen is fs.nr_open's default: the highest RLIMIT_NOFILE.
	NrOpen = 1 << 20
)

// Limit is one resource limit (struct rlimit64).
type Limit struct {
	Cur, Max uint64
}

// Limits is a process's resource limits.
type Limits [RLIM_NLIMITS]Limit

// DefaultLimits are the limits of the first process, as a Linux init
// process would have them.
func DefaultLimits() Limits {
	var l Limits
	for i := range l {
		l[i] = Limit{RLIM_INFINITY, RLIM_INFINITY}
	}
	l[RLIMIT_CORE] = Limit{0, RLIM_INFINITY}
	l[RLIMIT_STACK] = Limit{8 << 20, RLIM_INFINITY}
	l[RLIMIT_NOFILE] = Limit{1024, 4096}
	l[RLIMIT_NPROC] = Limit{MaxThreads, MaxThreads}
	l[RLIMIT_SIGPENDING] = Limit{MaxThreads, MaxThreads}
	l[RLIMIT_MEMLOCK] = Limit{8 << 20, 8 << 20}
	l[RLIMIT_MSGQUEUE] = Limit{819200, 819200}
	l[RLIMIT_NICE] = Limit{0, 0}
	l[RLIMIT_RTPRIO] = Limit{0, 0}
	return l
}
