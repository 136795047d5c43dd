package ipc

import (
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// Semaphore sets.
//
// semop applies its operations all or nothing. An operation that cannot
// proceed queues the caller (FIFO); whoever changes a set afterwards
// (semop, SETVAL, SETALL, an exit's undo) retries the queued operations
// in order and applies, on its waiters' behalf, those that can now
// proceed, as Linux's update_queue does. SEM_UNDO adjustments are kept
// per process (by pid: a forked child starts without any, an exec keeps
// them) and applied when the process exits (SemExit).

// semRegistry is the namespace's semaphore sets.
type semRegistry struct {
	mu  sync.Mutex
	reg registry[*SemSet]
	// used is the number of semaphores in all sets (used_sems).
	used int
	// procs are, by pid, the sets a process has undo adjustments in.
	procs map[int32]map[*SemSet]struct{}
}

func (r *semRegistry) init() {
	r.reg.init(linux.SEMMNI)
	r.procs = make(map[int32]map[*SemSet]struct{})
}

// SemSet is a semaphore set (struct sem_array), protected by
// semRegistry.mu.
type SemSet struct {
	object
	sems  []semaphore
	otime int64
	// queue are the blocked semops, oldest first.
	queue []*semWaiter
	// undos are the processes' adjustments, by pid.
	undos map[int32]*semUndo
}

type semaphore struct {
	val int
	// pid is the last process that changed val.
	pid int32
}

// semUndo is one process's SEM_UNDO adjustments of one set (semadj).
type semUndo struct {
	adj []int
}

// semWaiter is a blocked semop.
type semWaiter struct {
	ops  []linux.Sembuf
	pid  int32
	undo *semUndo
	// blocking is the index of the operation that blocks.
	blocking int
	// done is closed when the operation completed or failed (err).
	done chan struct{}
	err  error
}

// SemGet implements semget(2).
func (ns *Namespace) SemGet(creds *auth.Credentials, key int32, nsems int32, flags int32) (int32, error) {
	if nsems < 0 || nsems > linux.SEMMSL {
		return 0, linux.EINVAL
	}
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	check := func(s *SemSet) error {
		if int(nsems) > len(s.sems) {
			return linux.EINVAL
		}
		return nil
	}
	create := func() (*SemSet, error) {
		if nsems == 0 {
			return nil, linux.EINVAL
		}
		if r.used+int(nsems) > linux.SEMMNS {
			return nil, linux.ENOSPC
		}
		r.used += int(nsems)
		return &SemSet{
			object: newObject(creds, key, uint32(flags)),
			sems:   make([]semaphore, nsems),
			undos:  make(map[int32]*semUndo),
		}, nil
	}
	discard := func(s *SemSet) { r.used -= len(s.sems) }
	return r.reg.get(creds, key, flags, check, create, discard)
}

// SemOp implements semop(2) and semtimedop(2) (deadline zero: none) for
// process pid; the syscall layer has checked the number of operations
// (EINVAL, E2BIG). It blocks on b when the operations cannot proceed
// unless the blocking one has IPC_NOWAIT (EAGAIN); a timeout is EAGAIN,
// an interruption EINTR (semop is never restarted), the removal of the
// set EIDRM.
func (ns *Namespace) SemOp(b Blocker, creds *auth.Credentials, pid int32, id int32, ops []linux.Sembuf, deadline time.Time) error {
	maxNum, undos, alter := 0, false, false
	for _, op := range ops {
		maxNum = max(maxNum, int(op.SemNum))
		if op.SemFlg&linux.SEM_UNDO != 0 {
			undos = true
		}
		if op.SemOp != 0 {
			alter = true
		}
	}
	r := &ns.sem
	r.mu.Lock()
	s, err := r.reg.lookup(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if maxNum >= len(s.sems) {
		r.mu.Unlock()
		return linux.EFBIG
	}
	acc := uint32(modeRead)
	if alter {
		acc = modeWrite
	}
	if !s.permits(creds, acc) {
		r.mu.Unlock()
		return linux.EACCES
	}
	var u *semUndo
	if undos {
		u = r.undoLocked(s, pid)
	}
	w := &semWaiter{ops: ops, pid: pid, undo: u}
	blocked, err := s.tryOps(w)
	if err != nil || !blocked {
		if err == nil {
			s.otime = now()
			if alter {
				s.updateQueueLocked()
			}
		}
		r.mu.Unlock()
		return err
	}
	w.done = make(chan struct{})
	s.queue = append(s.queue, w)
	r.mu.Unlock()

	berr := b.Block(w.done, deadline)

	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-w.done:
		return w.err
	default:
	}
	s.dequeueLocked(w)
	if berr == linux.ETIMEDOUT {
		return linux.EAGAIN
	}
	return linux.EINTR
}

// undoLocked returns pid's adjustments of s, making them if needed.
//
// Preconditions: r.mu is held; s is alive.
func (r *semRegistry) undoLocked(s *SemSet, pid int32) *semUndo {
	if u, ok := s.undos[pid]; ok {
		return u
	}
	u := &semUndo{adj: make([]int, len(s.sems))}
	s.undos[pid] = u
	p := r.procs[pid]
	if p == nil {
		p = make(map[*SemSet]struct{})
		r.procs[pid] = p
	}
	p[s] = struct{}{}
	return u
}

// tryOps applies w's operations if they can all proceed now, in order
// (an operation sees the effect of those before it), and records w's pid
// as the last to change each semaphore. Otherwise it changes nothing
// and reports blocked (w.blocking is the operation that blocks), or
// fails: ERANGE if a value or an adjustment would leave its range, EAGAIN
// if the blocking operation has IPC_NOWAIT.
//
// Preconditions: the registry's mu is held.
func (s *SemSet) tryOps(w *semWaiter) (blocked bool, err error) {
	i := 0
	for ; i < len(w.ops); i++ {
		op := w.ops[i]
		sem := &s.sems[op.SemNum]
		if op.SemOp == 0 && sem.val != 0 {
			break
		}
		v := sem.val + int(op.SemOp)
		if v < 0 {
			break
		}
		if v > linux.SEMVMX {
			err = linux.ERANGE
			break
		}
		if op.SemFlg&linux.SEM_UNDO != 0 {
			adj := w.undo.adj[op.SemNum] - int(op.SemOp)
			if adj < -linux.SEMAEM-1 || adj > linux.SEMAEM {
				err = linux.ERANGE
				break
			}
			w.undo.adj[op.SemNum] = adj
		}
		sem.val = v
	}
	if i == len(w.ops) {
		for _, op := range w.ops {
			s.sems[op.SemNum].pid = w.pid
		}
		return false, nil
	}
	if err == nil {
		w.blocking = i
		if w.ops[i].SemFlg&linux.IPC_NOWAIT != 0 {
			err = linux.EAGAIN
		} else {
			blocked = true
		}
	}
	// Undo what was applied.
	for i--; i >= 0; i-- {
		op := w.ops[i]
		s.sems[op.SemNum].val -= int(op.SemOp)
		if op.SemFlg&linux.SEM_UNDO != 0 {
			w.undo.adj[op.SemNum] += int(op.SemOp)
		}
	}
	return blocked, err
}

// updateQueueLocked retries the queued operations, oldest first, after a
// change of the values: those that now complete or fail are finished
// and their waiters woken. A completed operation that changed values
// starts the scan again.
//
// Preconditions: the registry's mu is held.
func (s *SemSet) updateQueueLocked() {
	for again := true; again; {
		again = false
		for i := 0; i < len(s.queue); i++ {
			w := s.queue[i]
			blocked, err := s.tryOps(w)
			if blocked {
				continue
			}
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			i--
			w.err = err
			close(w.done)
			if err == nil {
				s.otime = now()
				if alters(w.ops) {
					again = true
					break
				}
			}
		}
	}
}

// alters reports whether ops change any value.
func alters(ops []linux.Sembuf) bool {
	for _, op := range ops {
		if op.SemOp != 0 {
			return true
		}
	}
	return false
}

// dequeueLocked takes w off the queue.
//
// Preconditions: the registry's mu is held.
func (s *SemSet) dequeueLocked(w *semWaiter) {
	for i, q := range s.queue {
		if q == w {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

// SemLookup checks that creds may read (or, if write, alter) set id and
// returns it with its number of semaphores (semctl GETALL and SETALL,
// before the values are copied out or in).
func (ns *Namespace) SemLookup(creds *auth.Credentials, id int32, write bool) (*SemSet, int, error) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return nil, 0, err
	}
	acc := uint32(modeRead)
	if write {
		acc = modeWrite
	}
	if !s.permits(creds, acc) {
		return nil, 0, linux.EACCES
	}
	return s, len(s.sems), nil
}

// SemGetAll implements semctl GETALL for s (from SemLookup): EIDRM if it
// was removed since.
func (ns *Namespace) SemGetAll(s *SemSet) ([]uint16, error) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.dead {
		return nil, linux.EIDRM
	}
	vals := make([]uint16, len(s.sems))
	for i, sem := range s.sems {
		vals[i] = uint16(sem.val)
	}
	return vals, nil
}

// SemSetAll implements semctl SETALL for s (from SemLookup) by process
// pid: ERANGE for a value above SEMVMX, EIDRM if s was removed. Every
// process's adjustments of s are cleared.
func (ns *Namespace) SemSetAll(s *SemSet, pid int32, vals []uint16) error {
	for _, v := range vals {
		if v > linux.SEMVMX {
			return linux.ERANGE
		}
	}
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.dead {
		return linux.EIDRM
	}
	for i := range s.sems {
		s.sems[i] = semaphore{val: int(vals[i]), pid: pid}
	}
	for _, u := range s.undos {
		clear(u.adj)
	}
	s.ctime = now()
	s.updateQueueLocked()
	return nil
}

// SemGetOne implements semctl GETVAL, GETPID, GETNCNT and GETZCNT of
// semaphore num of set id.
func (ns *Namespace) SemGetOne(creds *auth.Credentials, id, num int32, cmd int32) (int32, error) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return 0, err
	}
	if !s.permits(creds, modeRead) {
		return 0, linux.EACCES
	}
	if num < 0 || int(num) >= len(s.sems) {
		return 0, linux.EINVAL
	}
	switch cmd {
	case linux.GETVAL:
		return int32(s.sems[num].val), nil
	case linux.GETPID:
		return s.sems[num].pid, nil
	case linux.GETNCNT, linux.GETZCNT:
		n := int32(0)
		for _, w := range s.queue {
			op := w.ops[w.blocking]
			if int32(op.SemNum) != num {
				continue
			}
			if (cmd == linux.GETZCNT) == (op.SemOp == 0) {
				n++
			}
		}
		return n, nil
	}
	return 0, linux.EINVAL
}

// SemSetVal implements semctl SETVAL by process pid: every process's
// adjustment of the semaphore is cleared.
func (ns *Namespace) SemSetVal(creds *auth.Credentials, pid int32, id, num int32, val int32) error {
	if val < 0 || val > linux.SEMVMX {
		return linux.ERANGE
	}
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if num < 0 || int(num) >= len(s.sems) {
		return linux.EINVAL
	}
	if !s.permits(creds, modeWrite) {
		return linux.EACCES
	}
	for _, u := range s.undos {
		u.adj[num] = 0
	}
	s.sems[num] = semaphore{val: int(val), pid: pid}
	s.ctime = now()
	s.updateQueueLocked()
	return nil
}

// SemStat implements semctl IPC_STAT, and SEM_STAT and SEM_STAT_ANY
// (byIndex: id is an index; any: no read permission needed). It returns
// the set's id.
func (ns *Namespace) SemStat(creds *auth.Credentials, id int32, byIndex, any bool) (linux.SemidDS, int32, error) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	var s *SemSet
	var err error
	if byIndex {
		s, err = r.reg.byIndex(id)
	} else {
		s, err = r.reg.lookup(id)
	}
	if err != nil {
		return linux.SemidDS{}, 0, err
	}
	if !any && !s.permits(creds, modeRead) {
		return linux.SemidDS{}, 0, linux.EACCES
	}
	return linux.SemidDS{
		Perm:  s.perm(),
		Otime: s.otime,
		Ctime: s.ctime,
		Nsems: uint64(len(s.sems)),
	}, s.id, nil
}

// SemSet implements semctl IPC_SET.
func (ns *Namespace) SemSet(creds *auth.Credentials, id int32, ds *linux.SemidDS) error {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !s.controlledBy(creds) {
		return linux.EPERM
	}
	return s.setPerm(&ds.Perm)
}

// SemRemove implements semctl IPC_RMID: blocked operations fail with
// EIDRM and the adjustments of the set are forgotten.
func (ns *Namespace) SemRemove(creds *auth.Credentials, id int32) error {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !s.controlledBy(creds) {
		return linux.EPERM
	}
	r.reg.remove(s)
	r.used -= len(s.sems)
	for _, w := range s.queue {
		w.err = linux.EIDRM
		close(w.done)
	}
	s.queue = nil
	for pid := range s.undos {
		if p := r.procs[pid]; p != nil {
			delete(p, s)
			if len(p) == 0 {
				delete(r.procs, pid)
			}
		}
	}
	s.undos = nil
	return nil
}

// SemInfo implements semctl IPC_INFO, and SEM_INFO if usage (which
// reports the sets and semaphores in use in semusz and semaem). It
// returns the highest index in use as well.
func (ns *Namespace) SemInfo(usage bool) (linux.Seminfo, int32) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	info := linux.Seminfo{
		Semmap: linux.SEMMAP,
		Semmni: linux.SEMMNI,
		Semmns: linux.SEMMNS,
		Semmnu: linux.SEMMNU,
		Semmsl: linux.SEMMSL,
		Semopm: linux.SEMOPM,
		Semume: linux.SEMUME,
		Semusz: linux.SEMUSZ,
		Semvmx: linux.SEMVMX,
		Semaem: linux.SEMAEM,
	}
	if usage {
		info.Semusz = int32(len(r.reg.byIdx))
		info.Semaem = int32(r.used)
	}
	return info, r.reg.maxIdx()
}

// SemExit applies the SEM_UNDO adjustments of process pid, which is
// exiting: each value moves by its adjustment, clamped to [0, SEMVMX],
// and blocked operations that can now proceed do.
func (ns *Namespace) SemExit(pid int32) {
	r := &ns.sem
	r.mu.Lock()
	defer r.mu.Unlock()
	sets := r.procs[pid]
	delete(r.procs, pid)
	for s := range sets {
		u := s.undos[pid]
		delete(s.undos, pid)
		if u == nil || s.dead {
			continue
		}
		for i, a := range u.adj {
			if a == 0 {
				continue
			}
			sem := &s.sems[i]
			sem.val = min(max(sem.val+a, 0), linux.SEMVMX)
			sem.pid = pid
		}
		s.updateQueueLocked()
	}
}
