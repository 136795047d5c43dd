package linux

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/ipc"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

// ipcSyscalls are System V IPC: shared memory, semaphores and message
// queues (pkg/sentry/kernel/ipc owns the objects).
var ipcSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_SHMGET:     partial(shmget, "SHM_HUGETLB is ENOMEM (no huge pages)"),
	linux.SYS_SHMAT:      partial(shmat, "shm_nattch counts attachments per address space (Linux counts vmas: an attachment split by mprotect counts twice there); a fork or an exit does not update shm_lpid"),
	linux.SYS_SHMDT:      full(shmdt),
	linux.SYS_SHMCTL:     partial(shmctl, "SHM_LOCK only sets SHM_LOCKED (memory is never swapped) and ignores RLIMIT_MEMLOCK; SHM_INFO counts every page as resident"),
	linux.SYS_SEMGET:     full(semget),
	linux.SYS_SEMOP:      partial(semop, semUndoNote),
	linux.SYS_SEMTIMEDOP: partial(semtimedop, semUndoNote),
	linux.SYS_SEMCTL:     full(semctl),
	linux.SYS_MSGGET:     full(msgget),
	linux.SYS_MSGSND:     full(msgsnd),
	linux.SYS_MSGRCV:     partial(msgrcv, "a message goes to the first receiver that looks, not straight to one already waiting for it"),
	linux.SYS_MSGCTL:     full(msgctl),
}

// semUndoNote is where semop differs from Linux.
const semUndoNote = "SEM_UNDO adjustments belong to the process: a process made by clone(CLONE_SYSVSEM) does not share its parent's"

// ipcPID is the caller's process id, as IPC objects record it.
func ipcPID(t *kernel.Task) int32 { return int32(t.ThreadGroup().ID()) }

func shmget(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	key, size, flags := int32(a[0]), a[1], int32(a[2])
	id, err := t.IPCNamespace().ShmGet(t, ipcPID(t), key, size, flags)
	return uint64(id), err
}

func shmat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, addr, flags := int32(a[0]), a[1], int32(a[2])
	if id < 0 {
		return 0, linux.EINVAL
	}
	remap := flags&linux.SHM_REMAP != 0
	if addr != 0 {
		// SHMLBA is the page size on amd64.
		if addr%usermem.PageSize != 0 {
			if flags&linux.SHM_RND == 0 {
				return 0, linux.EINVAL
			}
			addr = usermem.PageRoundDown(addr)
			if addr == 0 && remap {
				return 0, linux.EINVAL
			}
		}
	} else if remap {
		return 0, linux.EINVAL
	}
	readOnly, exec := flags&linux.SHM_RDONLY != 0, flags&linux.SHM_EXEC != 0
	att, err := t.IPCNamespace().ShmAttach(t.Credentials(), id, readOnly, exec)
	if err != nil {
		return 0, err
	}
	size := att.ShmSize()
	fixed := addr != 0
	if fixed && !remap && addr+size < addr {
		att.Done(ipcPID(t), false)
		return 0, linux.EINVAL
	}
	opts := mm.MMapOpts{
		Addr:       addr,
		Length:     size,
		Prot:       platform.Prot{Read: true, Write: !readOnly, Execute: exec},
		Shared:     true,
		Fixed:      fixed && remap,
		NoReplace:  fixed && !remap,
		Name:       att.Name(),
		File:       att,
		Blocker:    t,
		NoMayWrite: readOnly,
	}
	got, err := t.MM().MMap(opts)
	att.Done(ipcPID(t), err == nil)
	if err == linux.EEXIST {
		// Without SHM_REMAP, an address in use is EINVAL.
		err = linux.EINVAL
	}
	return got, err
}

func shmdt(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	att, err := t.MM().DetachShm(a[0])
	if ia, ok := att.(*ipc.Attachment); ok {
		ia.Detached(ipcPID(t))
	}
	return 0, err
}

func shmctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, cmd, buf := int32(a[0]), int32(a[1]), a[2]
	if id < 0 || cmd < 0 {
		return 0, linux.EINVAL
	}
	ns := t.IPCNamespace()
	creds := t.Credentials()
	switch cmd {
	case linux.IPC_INFO:
		info, idx := ns.ShmInfo()
		return uint64(idx), copyOutStruct(t, buf, &info)
	case linux.SHM_INFO:
		info, idx := ns.ShmUsage()
		return uint64(idx), copyOutStruct(t, buf, &info)
	case linux.IPC_STAT, linux.SHM_STAT, linux.SHM_STAT_ANY:
		ds, rid, err := ns.ShmStat(creds, id, cmd != linux.IPC_STAT, cmd == linux.SHM_STAT_ANY)
		return statReply(t, cmd, buf, &ds, rid, err)
	case linux.IPC_SET:
		var ds linux.ShmidDS
		if err := copyInStruct(t, buf, &ds); err != nil {
			return 0, err
		}
		return 0, ns.ShmSet(creds, id, &ds)
	case linux.IPC_RMID:
		return 0, ns.ShmRemove(creds, id)
	case linux.SHM_LOCK, linux.SHM_UNLOCK:
		return 0, ns.ShmLock(creds, id, cmd == linux.SHM_LOCK)
	}
	return 0, linux.EINVAL
}

func semget(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	key, nsems, flags := int32(a[0]), int32(a[1]), int32(a[2])
	id, err := t.IPCNamespace().SemGet(t.Credentials(), key, nsems, flags)
	return uint64(id), err
}

func semop(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doSemop(t, int32(a[0]), a[1], a[2], 0)
}

func semtimedop(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return doSemop(t, int32(a[0]), a[1], a[2], a[3])
}

// doSemop implements semop and semtimedop (timeoutAddr 0: no timeout),
// with Linux's order of checks.
func doSemop(t *kernel.Task, id int32, sopsAddr, nsops, timeoutAddr uint64) (uint64, error) {
	if nsops < 1 || id < 0 {
		return 0, linux.EINVAL
	}
	if nsops > linux.SEMOPM {
		return 0, linux.E2BIG
	}
	ops := make([]linux.Sembuf, nsops)
	if err := copyInStruct(t, sopsAddr, ops); err != nil {
		return 0, err
	}
	var deadline time.Time
	if timeoutAddr != 0 {
		ts, err := copyInTimespec(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		deadline = time.Now().Add(timespecDuration(ts))
		if !deadline.After(time.Now()) {
			// A zero timeout: Block treats a past deadline as "do
			// not wait", the zero time as "forever".
			deadline = time.Now()
		}
	}
	return 0, t.IPCNamespace().SemOp(t, t.Credentials(), ipcPID(t), id, ops, deadline)
}

func semctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, num, cmd, arg := int32(a[0]), int32(a[1]), int32(a[2]), a[3]
	if id < 0 {
		return 0, linux.EINVAL
	}
	ns := t.IPCNamespace()
	creds := t.Credentials()
	switch cmd {
	case linux.IPC_INFO, linux.SEM_INFO:
		info, idx := ns.SemInfo(cmd == linux.SEM_INFO)
		return uint64(idx), copyOutStruct(t, arg, &info)
	case linux.IPC_STAT, linux.SEM_STAT, linux.SEM_STAT_ANY:
		ds, rid, err := ns.SemStat(creds, id, cmd != linux.IPC_STAT, cmd == linux.SEM_STAT_ANY)
		return statReply(t, cmd, arg, &ds, rid, err)
	case linux.IPC_SET:
		var ds linux.SemidDS
		if err := copyInStruct(t, arg, &ds); err != nil {
			return 0, err
		}
		return 0, ns.SemSet(creds, id, &ds)
	case linux.IPC_RMID:
		return 0, ns.SemRemove(creds, id)
	case linux.GETALL:
		s, _, err := ns.SemLookup(creds, id, false)
		if err != nil {
			return 0, err
		}
		vals, err := ns.SemGetAll(s)
		if err != nil {
			return 0, err
		}
		return 0, copyOutStruct(t, arg, vals)
	case linux.SETALL:
		s, n, err := ns.SemLookup(creds, id, true)
		if err != nil {
			return 0, err
		}
		vals := make([]uint16, n)
		if err := copyInStruct(t, arg, vals); err != nil {
			return 0, err
		}
		return 0, ns.SemSetAll(s, ipcPID(t), vals)
	case linux.GETVAL, linux.GETPID, linux.GETNCNT, linux.GETZCNT:
		v, err := ns.SemGetOne(creds, id, num, cmd)
		return uint64(v), err
	case linux.SETVAL:
		// The union semun's int: the low 32 bits of the argument.
		return 0, ns.SemSetVal(creds, ipcPID(t), id, num, int32(arg))
	}
	return 0, linux.EINVAL
}

func msgget(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	key, flags := int32(a[0]), int32(a[1])
	id, err := t.IPCNamespace().MsgGet(t.Credentials(), key, flags)
	return uint64(id), err
}

func msgsnd(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, msgp, size, flags := int32(a[0]), a[1], a[2], int32(a[3])
	mtype, err := usermem.CopyInUint64(t, msgp)
	if err != nil {
		return 0, linux.EFAULT
	}
	if size > linux.MSGMAX || id < 0 {
		return 0, linux.EINVAL
	}
	if int64(mtype) < 1 {
		return 0, linux.EINVAL
	}
	text := make([]byte, size)
	if _, err := t.CopyIn(msgp+8, text); err != nil {
		return 0, linux.EFAULT
	}
	return 0, t.IPCNamespace().MsgSend(t, t.Credentials(), ipcPID(t), id, int64(mtype), text, flags)
}

func msgrcv(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, msgp, size, msgtyp, flags := int32(a[0]), a[1], a[2], int64(a[3]), int32(a[4])
	if id < 0 || int64(size) < 0 {
		return 0, linux.EINVAL
	}
	mtype, text, err := t.IPCNamespace().MsgReceive(t, t.Credentials(), ipcPID(t), id, size, msgtyp, flags)
	if err != nil {
		return 0, err
	}
	// The message is gone from the queue: a fault now loses it, as in
	// Linux.
	if err := usermem.CopyOutUint64(t, msgp, uint64(mtype)); err != nil {
		return 0, linux.EFAULT
	}
	n := min(size, uint64(len(text)))
	if _, err := t.CopyOut(msgp+8, text[:n]); err != nil {
		return 0, linux.EFAULT
	}
	return n, nil
}

func msgctl(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	id, cmd, buf := int32(a[0]), int32(a[1]), a[2]
	if id < 0 || cmd < 0 {
		return 0, linux.EINVAL
	}
	ns := t.IPCNamespace()
	creds := t.Credentials()
	switch cmd {
	case linux.IPC_INFO, linux.MSG_INFO:
		info, idx := ns.MsgInfo(cmd == linux.MSG_INFO)
		return uint64(idx), copyOutStruct(t, buf, &info)
	case linux.IPC_STAT, linux.MSG_STAT, linux.MSG_STAT_ANY:
		ds, rid, err := ns.MsgStat(creds, id, cmd != linux.IPC_STAT, cmd == linux.MSG_STAT_ANY)
		return statReply(t, cmd, buf, &ds, rid, err)
	case linux.IPC_SET:
		var ds linux.MsqidDS
		if err := copyInStruct(t, buf, &ds); err != nil {
			return 0, err
		}
		return 0, ns.MsgSet(creds, id, &ds)
	case linux.IPC_RMID:
		return 0, ns.MsgRemove(creds, id)
	}
	return 0, linux.EINVAL
}

// statReply finishes the IPC_STAT and *_STAT(_ANY) commands of the *ctl
// calls: it copies out ds, then returns 0 for IPC_STAT (by id) and the
// object's id for the others (by index).
func statReply(t *kernel.Task, cmd int32, addr uint64, ds any, rid int32, err error) (uint64, error) {
	if err != nil {
		return 0, err
	}
	if err := copyOutStruct(t, addr, ds); err != nil {
		return 0, err
	}
	if cmd == linux.IPC_STAT {
		return 0, nil
	}
	return uint64(rid), nil
}
