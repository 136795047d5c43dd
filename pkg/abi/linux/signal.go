package linux

// Signal is a signal number, defined in arch/x86/include/uapi/asm/signal.h.
type Signal int32

// Signal numbers.
const (
	SIGHUP    Signal = 1
	SIGINT    Signal = 2
	SIGQUIT   Signal = 3
	SIGILL    Signal = 4
	SIGTRAP   Signal = 5
	SIGABRT   Signal = 6
	SIGBUS    Signal = 7
	SIGFPE    Signal = 8
	SIGKILL   Signal = 9
	SIGUSR1   Signal = 10
	SIGSEGV   Signal = 11
	SIGUSR2   Signal = 12
	SIGPIPE   Signal = 13
	SIGALRM   Signal = 14
	SIGTERM   Signal = 15
	SIGSTKFLT Signal = 16
	SIGCHLD   Signal = 17
	SIGCONT   Signal = 18
	SIGSTOP   Signal = 19
	SIGTSTP   Signal = 20
	SIGTTIN   Signal = 21
	SIGTTOU   Signal = 22
	SIGURG    Signal = 23
	SIGXCPU   Signal = 24
	SIGXFSZ   Signal = 25
	SIGVTALRM Signal = 26
	SIGPROF   Signal = 27
	SIGWINCH  Signal = 28
	SIGIO     Signal = 29
	SIGPWR    Signal = 30
	SIGSYS    Signal = 31

	SIGRTMIN Signal = 32
	SIGRTMAX Signal = 64
	// NSIG is _NSIG: one more than the largest signal number.
	NSIG = 65
)

// IsValid reports whether s is a valid signal number (1..64).
func (s Signal) IsValid() bool { return s > 0 && s <= SIGRTMAX }

// IsRealtime reports whether s is a real-time signal.
func (s Signal) IsRealtime() bool { return s >= SIGRTMIN && s <= SIGRTMAX }

// SignalSet is a sigset_t of the rt_sig* system calls: bit s-1 is signal s.
type SignalSet uint64

// SignalSetSize is the only sigsetsize the rt_sig* calls accept.
const SignalSetSize = 8

// MakeSignalSet returns the set holding the given signals.
func MakeSignalSet(sigs ...Signal) SignalSet {
	var s SignalSet
	for _, sig := range sigs {
		s |= SignalSetOf(sig)
	}
	return s
}

// SignalSetOf returns the set holding only sig.
func SignalSetOf(sig Signal) SignalSet { return 1 << uint(sig-1) }

// UnblockableSignals can never be blocked or caught.
var UnblockableSignals = MakeSignalSet(SIGKILL, SIGSTOP)

// rt_sigprocmask "how" values, defined in include/uapi/asm-generic/signal-defs.h.
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// Special handler values, defined in include/uapi/asm-generic/signal-defs.h.
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// sigaction flags, defined in arch/x86/include/uapi/asm/signal.h.
const (
	SA_NOCLDSTOP = 0x00000001
	SA_NOCLDWAIT = 0x00000002
	SA_SIGINFO   = 0x00000004
	SA_RESTORER  = 0x04000000
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
	// SA_UNSUPPORTED and SA_EXPOSE_TAGBITS, from
	// include/uapi/asm-generic/signal-defs.h.
	SA_UNSUPPORTED    = 0x00000400
	SA_EXPOSE_TAGBITS = 0x00000800
)

// SigAction is struct sigaction as rt_sigaction takes it on x86-64
// (struct kernel_sigaction: handler, flags, restorer, mask).
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     SignalSet
}

// SigActionSize is sizeof(struct sigaction) for rt_sigaction.
const SigActionSize = 32

// SignalStack is stack_t, defined in include/uapi/asm-generic/signal.h.
type SignalStack struct {
	Sp    uint64
	Flags int32
	_     int32
	Size  uint64
}

// SignalStackSize is sizeof(stack_t).
const SignalStackSize = 24

// sigaltstack flags and sizes, defined in include/uapi/linux/signal.h and
// arch/x86/include/uapi/asm/signal.h.
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31
	MINSIGSTKSZ   = 2048
	SIGSTKSZ      = 8192
)

// SignalInfo is siginfo_t, defined in include/uapi/asm-generic/siginfo.h:
// 128 bytes, of which the first three ints are common and the rest is a
// union whose meaning depends on the signal and code.
type SignalInfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	// Fields is the union, laid out as Linux lays it out on x86-64.
	Fields [112]byte
}

// SignalInfoSize is sizeof(siginfo_t).
const SignalInfoSize = 128

// si_code values, defined in include/uapi/asm-generic/siginfo.h.
const (
	SI_USER    = 0
	SI_KERNEL  = 0x80
	SI_QUEUE   = -1
	SI_TIMER   = -2
	SI_MESGQ   = -3
	SI_ASYNCIO = -4
	SI_SIGIO   = -5
	SI_TKILL   = -6

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2

	BUS_ADRALN = 1
	BUS_ADRERR = 2
	BUS_OBJERR = 3

	ILL_ILLOPC = 1
	ILL_ILLOPN = 2

	FPE_INTDIV = 1
	FPE_INTOVF = 2

	TRAP_BRKPT = 1
	TRAP_TRACE = 2
)

// PID returns si_pid, valid for kill-like and SIGCHLD signals.
func (s *SignalInfo) PID() int32 { return int32(le32(s.Fields[0:4])) }

// SetPID sets si_pid.
func (s *SignalInfo) SetPID(pid int32) { putLE32(s.Fields[0:4], uint32(pid)) }

// UID returns si_uid.
func (s *SignalInfo) UID() uint32 { return le32(s.Fields[4:8]) }

// SetUID sets si_uid.
func (s *SignalInfo) SetUID(uid uint32) { putLE32(s.Fields[4:8], uid) }

// Addr returns si_addr, valid for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP.
func (s *SignalInfo) Addr() uint64 { return le64(s.Fields[0:8]) }

// SetAddr sets si_addr.
func (s *SignalInfo) SetAddr(addr uint64) { putLE64(s.Fields[0:8], addr) }

// SetValue sets si_value (sival_ptr), valid for SI_QUEUE and timers.
func (s *SignalInfo) SetValue(v uint64) { putLE64(s.Fields[8:16], v) }

// SetStatus sets si_status of SIGCHLD; SetPID and SetUID set the rest.
func (s *SignalInfo) SetStatus(status int32) { putLE32(s.Fields[8:12], uint32(status)) }

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 { return uint64(le32(b[0:4])) | uint64(le32(b[4:8]))<<32 }

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func putLE64(b []byte, v uint64) {
	putLE32(b[0:4], uint32(v))
	putLE32(b[4:8], uint32(v>>32))
}
