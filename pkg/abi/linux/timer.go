package linux

// Interval timer ids (setitimer, getitimer), defined in
// include/uapi/linux/time.h.
const (
	ITIMER_REAL    = 0
	ITIMER_VIRTUAL = 1
	ITIMER_PROF    = 2
)

// Itimerval is struct __kernel_old_itimerval, defined in
// include/uapi/linux/time_types.h (32 bytes on x86-64).
type Itimerval struct {
	Interval Timeval
	Value    Timeval
}

// SizeOfItimerval is sizeof(struct itimerval).
const SizeOfItimerval = 32

// Itimerspec is struct __kernel_itimerspec, defined in
// include/uapi/linux/time_types.h (32 bytes on x86-64).
type Itimerspec struct {
	Interval Timespec
	Value    Timespec
}

// SizeOfItimerspec is sizeof(struct itimerspec).
const SizeOfItimerspec = 32

// sigev_notify values, defined in include/uapi/asm-generic/siginfo.h.
const (
	SIGEV_SIGNAL    = 0
	SIGEV_NONE      = 1
	SIGEV_THREAD    = 2
	SIGEV_THREAD_ID = 4
)

// Sigevent is struct sigevent, defined in
// include/uapi/asm-generic/siginfo.h (64 bytes on x86-64). Of the union
// only sigev_notify_thread_id (_tid) matters to the kernel; the
// SIGEV_THREAD function and attributes are the C library's business.
type Sigevent struct {
	Value  uint64
	Signo  int32
	Notify int32
	Tid    int32
	_      [44]byte
}

// SizeOfSigevent is sizeof(struct sigevent).
const SizeOfSigevent = 64

// DELAYTIMER_MAX is the largest overrun count reported (timer_getoverrun,
// si_overrun): INT_MAX, as include/linux/posix-timers.h clamps it.
const DELAYTIMER_MAX = 1<<31 - 1

// timerfd flags, defined in include/uapi/linux/timerfd.h.
const (
	TFD_TIMER_ABSTIME       = 1 << 0
	TFD_TIMER_CANCEL_ON_SET = 1 << 1
	TFD_CLOEXEC             = O_CLOEXEC
	TFD_NONBLOCK            = O_NONBLOCK
	// TFD_CREATE_FLAGS and TFD_SETTIME_FLAGS are the flags
	// timerfd_create and timerfd_settime accept (fs/timerfd.c).
	TFD_CREATE_FLAGS  = TFD_CLOEXEC | TFD_NONBLOCK
	TFD_SETTIME_FLAGS = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
	// TFD_IOC_SET_TICKS is _IOW('T', 0, __u64): set the expiration
	// count (for checkpoint/restore).
	TFD_IOC_SET_TICKS = 0x40085400
)

// signalfd flags, defined in include/uapi/linux/signalfd.h.
const (
	SFD_CLOEXEC  = O_CLOEXEC
	SFD_NONBLOCK = O_NONBLOCK
)

// SignalfdSiginfo is struct signalfd_siginfo, defined in
// include/uapi/linux/signalfd.h: what a read of a signalfd returns for each
// signal, 128 bytes.
type SignalfdSiginfo struct {
	Signo    uint32
	Errno    int32
	Code     int32
	PID      uint32
	UID      uint32
	FD       int32
	TID      uint32
	Band     uint32
	Overrun  uint32
	Trapno   uint32
	Status   int32
	Int      int32
	Ptr      uint64
	Utime    uint64
	Stime    uint64
	Addr     uint64
	AddrLSB  uint16
	_        uint16
	Syscall  int32
	CallAddr uint64
	Arch     uint32
	_        [28]byte
}

// SizeOfSignalfdSiginfo is sizeof(struct signalfd_siginfo).
const SizeOfSignalfdSiginfo = 128

// The siginfo_t union members below are laid out as
// include/uapi/asm-generic/siginfo.h lays them out on x86-64; offsets are
// from the start of the union (SignalInfo.Fields).

// TimerID returns si_tid (the POSIX timer id) of an SI_TIMER signal.
func (s *SignalInfo) TimerID() int32 { return int32(le32(s.Fields[0:4])) }

// SetTimerID sets si_tid.
func (s *SignalInfo) SetTimerID(id int32) { putLE32(s.Fields[0:4], uint32(id)) }

// Overrun returns si_overrun of an SI_TIMER signal.
func (s *SignalInfo) Overrun() int32 { return int32(le32(s.Fields[4:8])) }

// SetOverrun sets si_overrun.
func (s *SignalInfo) SetOverrun(n int32) { putLE32(s.Fields[4:8], uint32(n)) }

// Value returns si_value (sival_ptr; sival_int is its low 32 bits), valid
// for SI_QUEUE, SI_TIMER and the other real-time codes.
func (s *SignalInfo) Value() uint64 { return le64(s.Fields[8:16]) }

// Status returns si_status of SIGCHLD.
func (s *SignalInfo) Status() int32 { return int32(le32(s.Fields[8:12])) }

// Utime and Stime return si_utime and si_stime of SIGCHLD (clock ticks).
func (s *SignalInfo) Utime() uint64 { return le64(s.Fields[16:24]) }

// Stime returns si_stime of SIGCHLD.
func (s *SignalInfo) Stime() uint64 { return le64(s.Fields[24:32]) }

// Band returns si_band of SIGPOLL-layout signals.
func (s *SignalInfo) Band() int64 { return int64(le64(s.Fields[0:8])) }

// FD returns si_fd of SIGPOLL-layout signals.
func (s *SignalInfo) FD() int32 { return int32(le32(s.Fields[8:12])) }

// AddrLSB returns si_addr_lsb of a SIGBUS machine-check fault.
func (s *SignalInfo) AddrLSB() uint16 { return uint16(s.Fields[8]) | uint16(s.Fields[9])<<8 }

// CallAddr, Syscall and Arch return si_call_addr, si_syscall and si_arch
// of SIGSYS (seccomp).
func (s *SignalInfo) CallAddr() uint64 { return le64(s.Fields[0:8]) }

// Syscall returns si_syscall of SIGSYS.
func (s *SignalInfo) Syscall() int32 { return int32(le32(s.Fields[8:12])) }

// Arch returns si_arch of SIGSYS.
func (s *SignalInfo) Arch() uint32 { return le32(s.Fields[12:16]) }

// si_code values that select a siginfo layout, defined in
// include/uapi/asm-generic/siginfo.h.
const (
	// NSIGILL...NSIGSYS are the numbers of signal-specific si_codes
	// (the codes 1..N of each signal).
	NSIGILL  = 11
	NSIGFPE  = 15
	NSIGSEGV = 10
	NSIGBUS  = 5
	NSIGTRAP = 6
	NSIGCHLD = 6
	NSIGPOLL = 6
	NSIGSYS  = 2
	// BUS_MCEERR_AR and BUS_MCEERR_AO are the machine-check SIGBUS
	// codes, which carry si_addr_lsb.
	BUS_MCEERR_AR = 4
	BUS_MCEERR_AO = 5
)
