package linux

// USER_HZ is the unit of clock_t values that the kernel reports to
// applications (times(2), /proc/PID/stat), defined in
// include/asm-generic/param.h; sysconf(_SC_CLK_TCK) returns it.
const USER_HZ = 100

// Tms is struct tms on x86-64, defined in include/uapi/linux/times.h: the
// CPU times of the process and of its waited-for children, in clock ticks
// (USER_HZ).
type Tms struct {
	Utime  int64
	Stime  int64
	Cutime int64
	Cstime int64
}

// SizeOfTms is sizeof(struct tms).
const SizeOfTms = 32
