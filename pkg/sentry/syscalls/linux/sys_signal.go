package linux

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

var signalSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_RT_SIGACTION:      full(rtSigaction),
	linux.SYS_RT_SIGPROCMASK:    full(rtSigprocmask),
	linux.SYS_RT_SIGRETURN:      full(rtSigreturn),
	linux.SYS_SIGALTSTACK:       full(sigaltstack),
	linux.SYS_TGKILL:            full(tgkill),
	linux.SYS_TKILL:             full(tkill),
	linux.SYS_RT_SIGTIMEDWAIT:   full(rtSigtimedwait),
	linux.SYS_RT_SIGPENDING:     full(rtSigpending),
	linux.SYS_RT_SIGSUSPEND:     full(rtSigsuspend),
	linux.SYS_PAUSE:             full(pause),
	linux.SYS_RT_SIGQUEUEINFO:   full(rtSigqueueinfo),
	linux.SYS_RT_TGSIGQUEUEINFO: full(rtTgsigqueueinfo),
}

// saFlags are the sigaction flags x86-64 Linux keeps (UAPI_SA_FLAGS);
// others are cleared, so that SA_UNSUPPORTED probing works.
const saFlags = linux.SA_NOCLDSTOP | linux.SA_NOCLDWAIT | linux.SA_SIGINFO | linux.SA_ONSTACK |
	linux.SA_RESTART | linux.SA_NODEFER | linux.SA_RESETHAND | linux.SA_EXPOSE_TAGBITS | linux.SA_RESTORER

func rtSigaction(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	sig, actAddr, oldAddr, size := linux.Signal(a[0]), a[1], a[2], a[3]
	if size != linux.SignalSetSize {
		return 0, linux.EINVAL
	}
	var act *linux.SigAction
	if actAddr != 0 {
		act = new(linux.SigAction)
		if err := copyInStruct(t, actAddr, act); err != nil {
			return 0, err
		}
		act.Flags &= saFlags
	}
	old, err := t.SigAction(sig, act)
	if err != nil {
		return 0, err
	}
	if oldAddr != 0 {
		return 0, copyOutStruct(t, oldAddr, &old)
	}
	return 0, nil
}

func rtSigprocmask(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	how, setAddr, oldAddr, size := a[0], a[1], a[2], a[3]
	if size != linux.SignalSetSize {
		return 0, linux.EINVAL
	}
	old := t.SignalMask()
	if setAddr != 0 {
		set, err := copyInSigset(t, setAddr, size)
		if err != nil {
			return 0, err
		}
		switch how {
		case linux.SIG_BLOCK:
			t.SetSignalMask(old | set)
		case linux.SIG_UNBLOCK:
			t.SetSignalMask(old &^ set)
		case linux.SIG_SETMASK:
			t.SetSignalMask(set)
		default:
			return 0, linux.EINVAL
		}
	}
	if oldAddr != 0 {
		return 0, usermem.CopyOutUint64(t, oldAddr, uint64(old))
	}
	return 0, nil
}

func rtSigreturn(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return 0, t.SigReturn()
}

func sigaltstack(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	var ss *linux.SignalStack
	if a[0] != 0 {
		ss = new(linux.SignalStack)
		if err := copyInStruct(t, a[0], ss); err != nil {
			return 0, err
		}
	}
	old, err := t.SigAltStack(ss)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		return 0, copyOutStruct(t, a[1], &old)
	}
	return 0, nil
}

// userSignal returns the siginfo of a signal sent by t with kill-like
// calls.
func userSignal(t *kernel.Task, sig linux.Signal, code int32) *linux.SignalInfo {
	info := &linux.SignalInfo{Signo: int32(sig), Code: code}
	info.SetPID(int32(t.ThreadGroup().ID()))
	info.SetUID(0)
	return info
}

// threadTarget finds the task for tgkill/tkill (tgid 0 means any).
func threadTarget(t *kernel.Task, tgid, tid int32) (*kernel.Task, error) {
	target := t.Kernel().TaskByID(kernel.ThreadID(tid))
	if target == nil || (tgid != 0 && target.ThreadGroup().ID() != kernel.ThreadID(tgid)) {
		return nil, linux.ESRCH
	}
	return target, nil
}

func tgkill(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	tgid, tid, sig := int32(a[0]), int32(a[1]), linux.Signal(a[2])
	if tgid <= 0 || tid <= 0 || (sig != 0 && !sig.IsValid()) {
		return 0, linux.EINVAL
	}
	return sendToThread(t, tgid, tid, sig)
}

func tkill(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	tid, sig := int32(a[0]), linux.Signal(a[1])
	if tid <= 0 || (sig != 0 && !sig.IsValid()) {
		return 0, linux.EINVAL
	}
	return sendToThread(t, 0, tid, sig)
}

func sendToThread(t *kernel.Task, tgid, tid int32, sig linux.Signal) (uint64, error) {
	target, err := threadTarget(t, tgid, tid)
	if err != nil {
		return 0, err
	}
	if sig != 0 {
		target.SendSignal(userSignal(t, sig, linux.SI_TKILL))
	}
	return 0, nil
}

func rtSigtimedwait(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	setAddr, infoAddr, tsAddr, size := a[0], a[1], a[2], a[3]
	set, err := copyInSigset(t, setAddr, size)
	if err != nil {
		return 0, err
	}
	var deadline time.Time
	poll := false
	if tsAddr != 0 {
		ts, err := copyInTimespec(t, tsAddr)
		if err != nil {
			return 0, err
		}
		d := timespecDuration(ts)
		poll = d == 0
		deadline = time.Now().Add(d)
	}
	info, err := t.SigTimedWait(set, deadline, poll)
	if err != nil {
		return 0, err
	}
	if infoAddr != 0 {
		if err := copyOutStruct(t, infoAddr, info); err != nil {
			return 0, err
		}
	}
	return uint64(info.Signo), nil
}

func rtSigpending(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if a[1] > linux.SignalSetSize {
		return 0, linux.EINVAL
	}
	var buf [8]byte
	set := uint64(t.PendingSignals())
	for i := range buf {
		buf[i] = byte(set >> (8 * i))
	}
	if _, err := t.CopyOut(a[0], buf[:a[1]]); err != nil {
		return 0, linux.EFAULT
	}
	return 0, nil
}

func rtSigsuspend(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	mask, err := copyInSigset(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	t.SetSavedMask(mask)
	t.Block(nil, time.Time{})
	return 0, linux.ERESTARTNOHAND
}

func pause(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	t.Block(nil, time.Time{})
	return 0, linux.ERESTARTNOHAND
}

// queuedSignal reads the siginfo of rt_(tg)sigqueueinfo. Like Linux, a
// process may not forge kernel or kill() codes when signalling another.
func queuedSignal(t *kernel.Task, sig linux.Signal, addr uint64, self bool) (*linux.SignalInfo, error) {
	info := new(linux.SignalInfo)
	if err := copyInStruct(t, addr, info); err != nil {
		return nil, err
	}
	if (info.Code >= 0 || info.Code == linux.SI_TKILL) && !self {
		return nil, linux.EPERM
	}
	info.Signo = int32(sig)
	return info, nil
}

func rtSigqueueinfo(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, sig := int32(a[0]), linux.Signal(a[1])
	if sig != 0 && !sig.IsValid() {
		return 0, linux.EINVAL
	}
	target := t.Kernel().TaskByID(kernel.ThreadID(pid))
	if pid <= 0 || target == nil {
		return 0, linux.ESRCH
	}
	info, err := queuedSignal(t, sig, a[2], target.ThreadGroup() == t.ThreadGroup())
	if err != nil {
		return 0, err
	}
	if sig != 0 {
		target.ThreadGroup().SendSignal(info)
	}
	return 0, nil
}

func rtTgsigqueueinfo(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	tgid, tid, sig := int32(a[0]), int32(a[1]), linux.Signal(a[2])
	if tgid <= 0 || tid <= 0 || (sig != 0 && !sig.IsValid()) {
		return 0, linux.EINVAL
	}
	target, err := threadTarget(t, tgid, tid)
	if err != nil {
		return 0, err
	}
	info, err := queuedSignal(t, sig, a[3], target.ThreadGroup() == t.ThreadGroup())
	if err != nil {
		return 0, err
	}
	if sig != 0 {
		target.SendSignal(info)
	}
	return 0, nil
}
