package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/usermem"
)

var threadSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_EXIT:            full(exit),
	linux.SYS_EXIT_GROUP:      full(exitGroup),
	linux.SYS_SET_TID_ADDRESS: full(setTIDAddress),
	linux.SYS_FUTEX:           partial(futexCall, "no priority-inheritance operations"),
	linux.SYS_SET_ROBUST_LIST: full(setRobustList),
	linux.SYS_GET_ROBUST_LIST: full(getRobustList),
	linux.SYS_ARCH_PRCTL:      partial(archPrctl, "no CPUID faulting"),
	linux.SYS_RESTART_SYSCALL: full(restartSyscall),
}

func clone(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	// x86-64 argument order: flags, stack, parent_tid, child_tid, tls.
	flags := a[0]
	exitSignal := linux.Signal(flags & 0xff)
	if flags&kernel.CLONE_THREAD != 0 {
		// A thread's exit signal is ignored by Linux.
		exitSignal = 0
	}
	tid, err := t.Clone(kernel.CloneOptions{Flags: flags &^ 0xff, ExitSignal: exitSignal, Stack: a[1], ParentTID: a[2], ChildTID: a[3], TLS: a[4]})
	return uint64(tid), err
}

// cloneArgs is struct clone_args, defined in include/uapi/linux/sched.h.
type cloneArgs struct {
	Flags, PidFD, ChildTID, ParentTID, ExitSignal, Stack, StackSize, TLS, SetTID, SetTIDSize, Cgroup uint64
}

const (
	cloneArgsSizeVer0 = 64
	cloneArgsSize     = 88
)

func clone3(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, size := a[0], a[1]
	if size < cloneArgsSizeVer0 {
		return 0, linux.EINVAL
	}
	if size > usermem.PageSize {
		return 0, linux.E2BIG
	}
	buf := make([]byte, max(size, cloneArgsSize))
	if _, err := t.CopyIn(addr, buf[:size]); err != nil {
		return 0, linux.EFAULT
	}
	for _, b := range buf[cloneArgsSize:] {
		if b != 0 {
			return 0, linux.E2BIG
		}
	}
	var ca cloneArgs
	io := &usermem.BytesIO{Bytes: buf}
	if err := copyInStruct(io, 0, &ca); err != nil {
		return 0, err
	}
	switch {
	case ca.Flags&^(0xffffffff|kernel.CLONE_CLEAR_SIGHAND|kernel.CLONE_INTO_CGROUP) != 0:
		return 0, linux.EINVAL
	case ca.Flags&kernel.CLONE_DETACHED != 0:
		return 0, linux.EINVAL
	case ca.ExitSignal&^0xff != 0 || ca.Flags&0xff != 0:
		return 0, linux.EINVAL
	case ca.Flags&(kernel.CLONE_THREAD|kernel.CLONE_PARENT) != 0 && ca.ExitSignal != 0:
		return 0, linux.EINVAL
	case (ca.Stack == 0) != (ca.StackSize == 0):
		return 0, linux.EINVAL
	case ca.SetTIDSize != 0 || ca.SetTID != 0:
		return 0, linux.EINVAL
	}
	sp := uint64(0)
	if ca.Stack != 0 {
		sp = ca.Stack + ca.StackSize
	}
	tid, err := t.Clone(kernel.CloneOptions{Flags: ca.Flags, ExitSignal: linux.Signal(ca.ExitSignal), Stack: sp, ParentTID: ca.ParentTID, ChildTID: ca.ChildTID, TLS: ca.TLS})
	return uint64(tid), err
}

func exit(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	t.Exit(int(a[0] & 0xff))
	return 0, kernel.ErrNoReturn
}

func exitGroup(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	t.ExitGroup(int(a[0] & 0xff))
	return 0, kernel.ErrNoReturn
}

func setTIDAddress(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	t.SetClearTID(a[0])
	return uint64(t.ID()), nil
}

// robustListHeadSize is sizeof(struct robust_list_head).
const robustListHeadSize = 24

func setRobustList(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	if a[1] != robustListHeadSize {
		return 0, linux.EINVAL
	}
	t.SetRobustList(a[0])
	return 0, nil
}

func getRobustList(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	target := t
	if pid := int32(a[0]); pid != 0 {
		if target = t.Kernel().TaskByID(kernel.ThreadID(pid)); target == nil {
			return 0, linux.ESRCH
		}
	}
	if err := usermem.CopyOutUint64(t, a[2], robustListHeadSize); err != nil {
		return 0, err
	}
	return 0, usermem.CopyOutUint64(t, a[1], target.RobustList())
}

// futexDeadline reads a futex timeout: relative for FUTEX_WAIT, absolute
// on CLOCK_MONOTONIC (or CLOCK_REALTIME) otherwise.
func futexDeadline(t *kernel.Task, addr uint64, absolute, realtime bool) (time.Time, error) {
	if addr == 0 {
		return time.Time{}, nil
	}
	ts, err := copyInTimespec(t, addr)
	if err != nil {
		return time.Time{}, err
	}
	d := timespecDuration(ts)
	if absolute {
		clock := int32(unix.CLOCK_MONOTONIC)
		if realtime {
			clock = unix.CLOCK_REALTIME
		}
		var now unix.Timespec
		unix.ClockGettime(clock, &now)
		d -= time.Duration(now.Nano())
	}
	return time.Now().Add(d), nil
}

func futexCall(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, op, val, addr2, val3 := a[0], uint32(a[1]), uint32(a[2]), a[4], uint32(a[5])
	cmd := op & linux.FUTEX_CMD_MASK
	private := op&linux.FUTEX_PRIVATE_FLAG != 0
	realtime := op&linux.FUTEX_CLOCK_REALTIME != 0
	if realtime && cmd != linux.FUTEX_WAIT && cmd != linux.FUTEX_WAIT_BITSET && cmd != linux.FUTEX_WAIT_REQUEUE_PI && cmd != linux.FUTEX_LOCK_PI2 {
		return 0, linux.ENOSYS
	}
	futexes := t.Kernel().Futexes
	ft := t.FutexTarget()
	switch cmd {
	case linux.FUTEX_WAIT, linux.FUTEX_WAIT_BITSET:
		bitset := uint32(linux.FUTEX_BITSET_MATCH_ANY)
		if cmd == linux.FUTEX_WAIT_BITSET {
			if val3 == 0 {
				return 0, linux.EINVAL
			}
			bitset = val3
		}
		deadline, err := futexDeadline(t, a[3], cmd == linux.FUTEX_WAIT_BITSET, realtime)
		if err != nil {
			return 0, err
		}
		return 0, futexWait(t, addr, private, val, bitset, deadline)
	case linux.FUTEX_WAKE, linux.FUTEX_WAKE_BITSET:
		bitset := uint32(linux.FUTEX_BITSET_MATCH_ANY)
		if cmd == linux.FUTEX_WAKE_BITSET {
			if val3 == 0 {
				return 0, linux.EINVAL
			}
			bitset = val3
		}
		n, err := futexes.Wake(ft, addr, private, bitset, int(int32(val)))
		return uint64(n), err
	case linux.FUTEX_REQUEUE, linux.FUTEX_CMP_REQUEUE:
		var cmp *uint32
		if cmd == linux.FUTEX_CMP_REQUEUE {
			cmp = &val3
		}
		n, err := futexes.Requeue(ft, addr, addr2, private, int(int32(val)), int(int32(a[3])), cmp)
		return uint64(n), err
	case linux.FUTEX_WAKE_OP:
		n, err := futexes.WakeOp(ft, addr, addr2, private, int(int32(val)), int(int32(a[3])), val3)
		return uint64(n), err
	}
	return 0, linux.ENOSYS
}

// futexWait waits and maps an interruption to Linux's restart codes: a
// wait without timeout restarts (ERESTARTSYS); one with a timeout restarts
// towards the same deadline, or fails with EINTR under a handler.
func futexWait(t *kernel.Task, addr uint64, private bool, val, bitset uint32, deadline time.Time) error {
	err := t.FutexWait(addr, private, val, bitset, deadline)
	if err != kernel.ErrInterrupted || deadline.IsZero() {
		return err
	}
	t.SetRestartBlock(func(t *kernel.Task) (uint64, error) {
		return 0, futexWait(t, addr, private, val, bitset, deadline)
	})
	return linux.ERESTART_RESTARTBLOCK
}

// arch_prctl codes, defined in arch/x86/include/uapi/asm/prctl.h.
const (
	archSetGS    = 0x1001
	archSetFS    = 0x1002
	archGetFS    = 0x1003
	archGetGS    = 0x1004
	archGetCPUID = 0x1011
	archSetCPUID = 0x1012
)

func archPrctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	regs := t.Regs()
	maxAddr := t.Kernel().Platform.MaxUserAddress()
	switch a[0] {
	case archSetFS:
		if a[1] >= maxAddr {
			return 0, linux.EPERM
		}
		regs.Fs_base = a[1]
	case archSetGS:
		if a[1] >= maxAddr {
			return 0, linux.EPERM
		}
		regs.Gs_base = a[1]
	case archGetFS:
		return 0, usermem.CopyOutUint64(t, a[1], regs.Fs_base)
	case archGetGS:
		return 0, usermem.CopyOutUint64(t, a[1], regs.Gs_base)
	case archGetCPUID:
		return 1, nil
	case archSetCPUID:
		return 0, linux.ENODEV
	default:
		return 0, linux.EINVAL
	}
	return 0, nil
}

func restartSyscall(t *kernel.Task, _ kernel.SyscallArgs) (uint64, error) {
	return t.RestartSyscall()
}
