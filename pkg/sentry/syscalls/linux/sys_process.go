package linux

import (
	"bytes"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Processes: creation, waiting, process groups, sessions, kill, prctl.
var processSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_CLONE:   partial(clone, "no new namespaces; CLONE_SIGHAND only with CLONE_THREAD"),
	linux.SYS_CLONE3:  partial(clone3, "no new namespaces, set_tid or cgroups; CLONE_SIGHAND only with CLONE_THREAD"),
	linux.SYS_FORK:    full(fork),
	linux.SYS_VFORK:   full(vfork),
	linux.SYS_WAIT4:   partial(wait4, "rusage has the CPU times only"),
	linux.SYS_WAITID:  partial(waitid, "no P_PIDFD; rusage has the CPU times only"),
	linux.SYS_GETPPID: full(getppid),
	linux.SYS_GETPGRP: full(getpgrp),
	linux.SYS_GETPGID: full(getpgid),
	linux.SYS_SETPGID: full(setpgid),
	linux.SYS_GETSID:  full(getsid),
	linux.SYS_SETSID:  full(setsid),
	linux.SYS_KILL:    full(kill),
	linux.SYS_PRCTL:   partial(prctl, "names, death signal, child subreaper, no_new_privs, dumpable, keepcaps, bounding set (read, drop), timer slack"),
}

func fork(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	pid, err := t.Clone(kernel.CloneOptions{ExitSignal: linux.SIGCHLD})
	return uint64(pid), err
}

func vfork(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	pid, err := t.Clone(kernel.CloneOptions{Flags: kernel.CLONE_VM | kernel.CLONE_VFORK, ExitSignal: linux.SIGCHLD})
	return uint64(pid), err
}

// waitStatus encodes what wait found as wait4's int: code<<8 for an
// exit, the signal number for a death by signal, sig<<8|0x7f for a stop,
// 0xffff for a continue.
func waitStatus(res *kernel.WaitResult) uint32 {
	switch res.Code {
	case linux.CLD_STOPPED:
		return uint32(res.StopSignal)<<8 | 0x7f
	case linux.CLD_CONTINUED:
		return 0xffff
	}
	if res.Status.Signal != 0 {
		return uint32(res.Status.Signal) & 0x7f
	}
	return uint32(res.Status.Code&0xff) << 8
}

func wait4(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, statusAddr, options, rusageAddr := int32(a[0]), a[1], uint32(a[2]), a[3]
	if options&^(linux.WNOHANG|linux.WUNTRACED|linux.WCONTINUED|linux.WNOTHREAD|linux.WALL|linux.WCLONE) != 0 {
		return 0, linux.EINVAL
	}
	o := kernel.WaitOptions{Options: options | linux.WEXITED}
	switch {
	case pid == -1<<31:
		return 0, linux.ESRCH
	case pid < -1:
		o.Target, o.ID = kernel.WaitPGID, kernel.ThreadID(-pid)
	case pid == -1:
		o.Target = kernel.WaitAll
	case pid == 0:
		o.Target, o.ID = kernel.WaitPGID, t.ThreadGroup().ProcessGroupID()
	default:
		o.Target, o.ID = kernel.WaitPID, kernel.ThreadID(pid)
	}
	res, err := t.Wait(o)
	if err != nil || res == nil {
		return 0, err
	}
	if statusAddr != 0 {
		if err := usermem.CopyOutUint32(t, statusAddr, waitStatus(res)); err != nil {
			return 0, err
		}
	}
	if rusageAddr != 0 {
		ru := rusageOf(res.Usage)
		if err := copyOutStruct(t, rusageAddr, &ru); err != nil {
			return 0, err
		}
	}
	return uint64(res.PID), nil
}

func waitid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	idtype, id, infoAddr, options, rusageAddr := int32(a[0]), int32(a[1]), a[2], uint32(a[3]), a[4]
	if options&^(linux.WNOHANG|linux.WEXITED|linux.WSTOPPED|linux.WCONTINUED|linux.WNOWAIT|linux.WNOTHREAD|linux.WALL|linux.WCLONE) != 0 {
		return 0, linux.EINVAL
	}
	if options&(linux.WEXITED|linux.WSTOPPED|linux.WCONTINUED) == 0 {
		return 0, linux.EINVAL
	}
	o := kernel.WaitOptions{Options: options}
	switch idtype {
	case linux.P_ALL:
		o.Target = kernel.WaitAll
	case linux.P_PID:
		if id <= 0 {
			return 0, linux.EINVAL
		}
		o.Target, o.ID = kernel.WaitPID, kernel.ThreadID(id)
	case linux.P_PGID:
		if id < 0 {
			return 0, linux.EINVAL
		}
		o.Target, o.ID = kernel.WaitPGID, kernel.ThreadID(id)
		if id == 0 {
			o.ID = t.ThreadGroup().ProcessGroupID()
		}
	default:
		return 0, linux.EINVAL
	}
	res, err := t.Wait(o)
	if err != nil {
		return 0, err
	}
	if infoAddr != 0 {
		// With WNOHANG and no child ready, Linux zeroes the siginfo.
		info := &linux.SignalInfo{}
		if res != nil {
			info.Signo = int32(linux.SIGCHLD)
			info.Code = res.Code
			info.SetPID(int32(res.PID))
			info.SetUID(uint32(res.UID))
			switch res.Code {
			case linux.CLD_STOPPED:
				info.SetStatus(int32(res.StopSignal))
			case linux.CLD_CONTINUED:
				info.SetStatus(int32(linux.SIGCONT))
			case linux.CLD_KILLED:
				info.SetStatus(int32(res.Status.Signal))
			default:
				info.SetStatus(int32(res.Status.Code))
			}
		}
		if err := copyOutStruct(t, infoAddr, info); err != nil {
			return 0, err
		}
	}
	if rusageAddr != 0 && res != nil {
		// Linux writes the rusage only when a child was found.
		ru := rusageOf(res.Usage)
		if err := copyOutStruct(t, rusageAddr, &ru); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func getppid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	// The first process's parent is outside the sandbox: 0, as for a
	// pid namespace's init.
	if p := t.ThreadGroup().Parent(); p != nil {
		return uint64(p.ID()), nil
	}
	return 0, nil
}

func getpgrp(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return uint64(t.ThreadGroup().ProcessGroupID()), nil
}

// pidArg resolves a pid argument where 0 means the caller's process.
func pidArg(t *kernel.Task, pid int32) kernel.ThreadID {
	if pid == 0 {
		return t.ThreadGroup().ID()
	}
	return kernel.ThreadID(pid)
}

func getpgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pgid, err := t.Kernel().ProcessGroupOf(pidArg(t, int32(a[0])))
	return uint64(pgid), err
}

func getsid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	sid, err := t.Kernel().SessionOf(pidArg(t, int32(a[0])))
	return uint64(sid), err
}

func setpgid(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.SetPGID(kernel.ThreadID(int32(a[0])), kernel.ThreadID(int32(a[1])))
}

func setsid(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	sid, err := t.SetSID()
	return uint64(sid), err
}

// mayKill reports whether t may send sig to tg (kill(2)'s permission
// rule): with CAP_KILL, or when the sender's real or effective uid is the
// target's real or saved uid.
func mayKill(t *kernel.Task, tg *kernel.ThreadGroup) bool {
	c := t.Credentials()
	if c.HasCapability(linux.CAP_KILL) {
		return true
	}
	l := tg.Leader()
	if l == nil {
		return true // A zombie: nothing is delivered anyway.
	}
	tc := l.Credentials()
	return c.RealUID == tc.RealUID || c.RealUID == tc.SavedUID ||
		c.EffectiveUID == tc.RealUID || c.EffectiveUID == tc.SavedUID
}

// killProcess sends sig (0: only checks) to tg for kill(2).
func killProcess(t *kernel.Task, tg *kernel.ThreadGroup, sig linux.Signal) error {
	if !mayKill(t, tg) {
		return linux.EPERM
	}
	if sig == 0 || tg.IsZombie() {
		return nil
	}
	tg.SendSignalFromApp(t.ThreadGroup(), userSignal(t, sig, linux.SI_USER))
	return nil
}

func kill(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	pid, sig := int32(a[0]), linux.Signal(a[1])
	if sig != 0 && !sig.IsValid() {
		return 0, linux.EINVAL
	}
	k := t.Kernel()
	if pid > 0 {
		tg := k.ThreadGroupByID(kernel.ThreadID(pid))
		if tg == nil {
			return 0, linux.ESRCH
		}
		return 0, killProcess(t, tg, sig)
	}
	if pid == -1<<31 {
		return 0, linux.ESRCH
	}
	var targets []*kernel.ThreadGroup
	switch pid {
	case 0:
		targets = k.ProcessesOfGroup(t.ThreadGroup().ProcessGroupID())
	case -1:
		// Every process but init and the caller.
		for _, tg := range k.ProcessesOfGroup(0) {
			if !tg.IsInit() && tg != t.ThreadGroup() {
				targets = append(targets, tg)
			}
		}
	default:
		targets = k.ProcessesOfGroup(kernel.ThreadID(-pid))
	}
	if len(targets) == 0 {
		return 0, linux.ESRCH
	}
	// As Linux: success if any process got the signal, else the last
	// error.
	var lastErr error
	sent := false
	for _, tg := range targets {
		if err := killProcess(t, tg, sig); err != nil {
			lastErr = err
		} else {
			sent = true
		}
	}
	if sent {
		return 0, nil
	}
	return 0, lastErr
}

func prctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	option, arg2 := int32(a[0]), a[1]
	tg := t.ThreadGroup()
	switch option {
	case linux.PR_SET_NAME:
		name, err := copyInComm(t, arg2)
		if err != nil {
			return 0, err
		}
		t.SetName(name)
		return 0, nil
	case linux.PR_GET_NAME:
		name := make([]byte, kernel.TaskCommLen)
		copy(name, t.Name())
		if _, err := t.CopyOut(arg2, name); err != nil {
			return 0, linux.EFAULT
		}
		return 0, nil
	case linux.PR_SET_PDEATHSIG:
		sig := linux.Signal(arg2)
		if arg2 != 0 && !sig.IsValid() {
			return 0, linux.EINVAL
		}
		tg.SetPDeathSig(sig)
		return 0, nil
	case linux.PR_GET_PDEATHSIG:
		return 0, usermem.CopyOutUint32(t, arg2, uint32(tg.PDeathSig()))
	case linux.PR_SET_CHILD_SUBREAPER:
		tg.SetSubreaper(arg2 != 0)
		return 0, nil
	case linux.PR_GET_CHILD_SUBREAPER:
		v := uint32(0)
		if tg.Subreaper() {
			v = 1
		}
		return 0, usermem.CopyOutUint32(t, arg2, v)
	case linux.PR_SET_NO_NEW_PRIVS:
		if arg2 != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, linux.EINVAL
		}
		t.SetNoNewPrivs()
		return 0, nil
	case linux.PR_GET_NO_NEW_PRIVS:
		if arg2 != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, linux.EINVAL
		}
		if t.NoNewPrivs() {
			return 1, nil
		}
		return 0, nil
	case linux.PR_GET_DUMPABLE:
		return uint64(t.Dumpable()), nil
	case linux.PR_SET_DUMPABLE:
		if arg2 > 1 {
			return 0, linux.EINVAL
		}
		t.SetDumpable(int(arg2))
		return 0, nil
	case linux.PR_GET_KEEPCAPS:
		if t.KeepCaps() {
			return 1, nil
		}
		return 0, nil
	case linux.PR_SET_KEEPCAPS:
		if arg2 > 1 {
			return 0, linux.EINVAL
		}
		return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetKeepCaps(arg2 == 1) })
	case linux.PR_GET_SECUREBITS:
		return uint64(t.Credentials().Securebits), nil
	case linux.PR_SET_SECUREBITS:
		return 0, changeCreds(t, func(c *auth.Credentials) error { return c.SetSecurebits(arg2) })
	case linux.PR_CAPBSET_READ:
		if arg2 > linux.CAP_LAST_CAP {
			return 0, linux.EINVAL
		}
		if t.Credentials().Bounding.Has(int(arg2)) {
			return 1, nil
		}
		return 0, nil
	case linux.PR_CAPBSET_DROP:
		if arg2 > linux.CAP_LAST_CAP {
			return 0, linux.EINVAL
		}
		return 0, changeCreds(t, func(c *auth.Credentials) error { return c.DropBounding(int(arg2)) })
	case linux.PR_CAP_AMBIENT:
		return capAmbient(t, a)
	case linux.PR_GET_SECCOMP:
		return 0, nil
	case linux.PR_GET_TIMERSLACK:
		return uint64(t.TimerSlack()), nil
	case linux.PR_SET_TIMERSLACK:
		t.SetTimerSlack(arg2)
		return 0, nil
	}
	return 0, linux.EINVAL
}

// copyInComm reads a task name as strncpy_from_user does for PR_SET_NAME:
// up to TaskCommLen-1 bytes, stopping at a NUL, EFAULT only if a byte
// before that cannot be read.
func copyInComm(t *kernel.Task, addr uint64) (string, error) {
	var out []byte
	for len(out) < kernel.TaskCommLen-1 {
		a := addr + uint64(len(out))
		// Stay within a page per step: the next may be unmapped.
		n := min(kernel.TaskCommLen-1-len(out), int(usermem.PageSize-a%usermem.PageSize))
		buf := make([]byte, n)
		got, err := t.CopyIn(a, buf)
		if i := bytes.IndexByte(buf[:got], 0); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		if err != nil {
			return "", linux.EFAULT
		}
		out = append(out, buf[:got]...)
	}
	return string(out), nil
}

// capAmbient implements prctl(PR_CAP_AMBIENT, op, cap, 0, 0): unused
// arguments must be 0 and cap valid (EINVAL), as in Linux's order.
func capAmbient(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	op, capArg := a[1], a[2]
	if op == linux.PR_CAP_AMBIENT_CLEAR_ALL {
		if capArg != 0 || a[3] != 0 || a[4] != 0 {
			return 0, linux.EINVAL
		}
		return 0, changeCreds(t, func(c *auth.Credentials) error { c.Ambient = 0; return nil })
	}
	if capArg > linux.CAP_LAST_CAP || a[3] != 0 || a[4] != 0 {
		return 0, linux.EINVAL
	}
	cap := int(capArg)
	switch op {
	case linux.PR_CAP_AMBIENT_IS_SET:
		if t.Credentials().Ambient.Has(cap) {
			return 1, nil
		}
		return 0, nil
	case linux.PR_CAP_AMBIENT_RAISE:
		return 0, changeCreds(t, func(c *auth.Credentials) error { return c.RaiseAmbient(cap) })
	case linux.PR_CAP_AMBIENT_LOWER:
		return 0, changeCreds(t, func(c *auth.Credentials) error { c.Ambient &^= auth.CapSet(1) << cap; return nil })
	}
	return 0, linux.EINVAL
}
