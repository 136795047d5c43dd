package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// prioritySyscalls read and set nice values. The sentry's tasks are
// scheduled by the host, so a nice value is recorded and reported, with
// Linux's permission rules, but does not change scheduling.
var prioritySyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_GETPRIORITY: full(getpriority),
	linux.SYS_SETPRIORITY: partial(setpriority, "nice values are recorded with Linux's rules but do not change host scheduling"),
}

// priorityTargets returns the tasks that which and who select, as
// getpriority(2) and setpriority(2) find them: a thread, every thread of
// a process group, or every thread of a user's processes (who 0: the
// caller's own thread, group or real user). An unknown which is EINVAL.
func priorityTargets(t *kernel.Task, which, who int32) ([]*kernel.Task, error) {
	k := t.Kernel()
	switch which {
	case linux.PRIO_PROCESS:
		if who == 0 {
			return []*kernel.Task{t}, nil
		}
		if who < 0 {
			return nil, nil
		}
		if target := k.TaskByID(kernel.ThreadID(who)); target != nil {
			return []*kernel.Task{target}, nil
		}
		return nil, nil
	case linux.PRIO_PGRP:
		pgid := kernel.ThreadID(who)
		if who == 0 {
			pgid = t.ThreadGroup().ProcessGroupID()
		} else if who < 0 {
			return nil, nil
		}
		var out []*kernel.Task
		for _, tg := range k.ProcessesOfGroup(pgid) {
			out = append(out, tg.Tasks()...)
		}
		return out, nil
	case linux.PRIO_USER:
		uid := auth.UID(uint32(who))
		if who == 0 {
			uid = t.Credentials().RealUID
		}
		var out []*kernel.Task
		for _, tg := range k.ThreadGroups() {
			for _, task := range tg.Tasks() {
				if task.Credentials().RealUID == uid {
					out = append(out, task)
				}
			}
		}
		return out, nil
	}
	return nil, linux.EINVAL
}

// getpriority returns 20 minus the lowest nice value of the targets
// (1 to 40, so that no success looks like an error), or ESRCH.
func getpriority(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	targets, err := priorityTargets(t, int32(a[0]), int32(a[1]))
	if err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, linux.ESRCH
	}
	best := int32(0)
	for _, target := range targets {
		if p := 20 - target.Nice(); p > best {
			best = p
		}
	}
	return uint64(best), nil
}

// setpriority sets the nice value (clamped to -20..19) of every target
// it may: EPERM for a target whose real or effective user is not the
// caller's effective user, EACCES for lowering a nice value beyond
// the target's RLIMIT_NICE; both unless the caller has CAP_SYS_NICE. As in Linux the
// result is ESRCH if nothing was found, else the last failure, else 0.
func setpriority(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	targets, err := priorityTargets(t, int32(a[0]), int32(a[1]))
	if err != nil {
		return 0, err
	}
	nice := min(max(int32(a[2]), linux.MIN_NICE), linux.MAX_NICE)
	creds := t.Credentials()
	privileged := creds.HasCapability(linux.CAP_SYS_NICE)
	var result error = linux.ESRCH
	for _, target := range targets {
		tc := target.Credentials()
		// The target's RLIMIT_NICE allows nice values down to
		// 20 - rlim_cur.
		floor := 20 - int64(min(target.ThreadGroup().Limits()[kernel.RLIMIT_NICE].Cur, 40))
		switch {
		case !privileged && tc.RealUID != creds.EffectiveUID && tc.EffectiveUID != creds.EffectiveUID:
			result = linux.EPERM
		case nice < target.Nice() && int64(nice) < floor && !privileged:
			result = linux.EACCES
		default:
			if result == linux.ESRCH {
				result = nil
			}
			target.SetNice(nice)
		}
	}
	return 0, result
}
