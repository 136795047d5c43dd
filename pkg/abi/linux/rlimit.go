package linux

// Rlimit is struct rlimit64 (and, on x86-64, struct rlimit), defined in
// include/uapi/linux/resource.h. The resource numbers themselves live in
// pkg/sentry/kernel (limits.go) beside the limits they index.
type Rlimit struct {
	Cur uint64
	Max uint64
}

// SizeOfRlimit is sizeof(struct rlimit64).
const SizeOfRlimit = 16

// getrusage(2) targets, defined in include/uapi/linux/resource.h.
const (
	RUSAGE_SELF     = 0
	RUSAGE_CHILDREN = -1
	RUSAGE_BOTH     = -2
	RUSAGE_THREAD   = 1
)

// Rusage is struct rusage on x86-64, defined in
// include/uapi/linux/resource.h (144 bytes).
type Rusage struct {
	Utime    Timeval
	Stime    Timeval
	Maxrss   int64
	Ixrss    int64
	Idrss    int64
	Isrss    int64
	Minflt   int64
	Majflt   int64
	Nswap    int64
	Inblock  int64
	Oublock  int64
	Msgsnd   int64
	Msgrcv   int64
	Nsignals int64
	Nvcsw    int64
	Nivcsw   int64
}

// SizeOfRusage is sizeof(struct rusage).
const SizeOfRusage = 144
