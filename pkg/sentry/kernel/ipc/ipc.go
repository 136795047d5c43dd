// Package ipc is System V IPC for one IPC namespace: the registries of
// shared memory segments (shm.go), semaphore sets (sem.go) and message
// queues (msg.go), with Linux's keys and ids, IPC_PRIVATE, IPC_CREAT and
// IPC_EXCL, permission checks of the ipc_perm mode against the caller's
// credentials (CAP_IPC_OWNER, CAP_SYS_ADMIN), and the control commands.
//
// It owns the objects and their state. It must not decode system call
// arguments or touch application memory (the syscall layer copies in and
// out, never with a lock of this package held), and it does not know
// tasks: callers pass their credentials, their process id and, for waits,
// a Blocker.
//
// Locking: each kind of object has one mutex in the namespace (shm.mu,
// sem.mu, msg.mu) that protects its registry and every object of that
// kind. They are leaves with respect to each other (never nested). The
// memory manager holds mm.MM.mu while it takes a reference on a shared
// memory attachment (IncRef, ForkAttachment), so shm.mu is taken inside
// mm.MM.mu and the shm code never calls into the memory manager with
// shm.mu held. A segment's backing file is released with no lock held.
// Nothing blocks with any of these held: waiters queue themselves, drop
// the lock and wait on a channel.
package ipc

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// Namespace is an IPC namespace: the System V objects its processes share.
// The sandbox has one.
type Namespace struct {
	shm shmRegistry
	sem semRegistry
	msg msgRegistry
}

// NewNamespace returns an empty namespace whose shared memory segments
// are files of shmMount, a tmpfs mount that no mount namespace shows
// (tmpfs.NewInternalMount). A segment larger than memLimit bytes (the
// host's RAM and swap; 0: no limit) cannot be made without
// SHM_NORESERVE, as with Linux's default overcommit heuristic.
func NewNamespace(shmMount *vfs.Mount, memLimit uint64) *Namespace {
	ns := &Namespace{}
	ns.shm.init(shmMount, memLimit)
	ns.sem.init()
	ns.msg.init()
	return ns
}

// Blocker is how a caller waits (kernel.Task implements it): Block
// returns nil once ch is ready, ETIMEDOUT at the deadline (zero: none),
// or an ERESTART errno when a signal or exit interrupts the wait.
type Blocker interface {
	Block(ch <-chan struct{}, deadline time.Time) error
}

// Mode bits of ipc_perm (S_IRUGO, S_IWUGO, S_IXUGO, S_IRWXUGO).
const (
	modeRead  = 0444
	modeWrite = 0222
	modeExec  = 0111
	modePerms = 0777
)

// object is the part every IPC object has: struct kern_ipc_perm.
type object struct {
	id   int32
	key  int32
	uid  auth.UID
	gid  auth.GID
	cuid auth.UID
	cgid auth.GID
	// mode is the permission bits, and SHM_DEST and SHM_LOCKED for a
	// segment.
	mode uint32
	seq  uint16
	// ctime is the time of the last change (creation, IPC_SET...).
	ctime int64
	// dead is set once the object has left its registry.
	dead bool
}

func (o *object) base() *object { return o }

// newObject is a new object of key, owned by creds' effective ids.
func newObject(creds *auth.Credentials, key int32, mode uint32) object {
	return object{
		key:   key,
		uid:   creds.EffectiveUID,
		cuid:  creds.EffectiveUID,
		gid:   creds.EffectiveGID,
		cgid:  creds.EffectiveGID,
		mode:  mode & modePerms,
		ctime: now(),
	}
}

// permits reports whether creds may access o as flag asks (Linux's
// ipcperms: the owner's, group's or others' bits of the mode, whichever
// apply, must include every bit flag asks for in any of its triplets;
// CAP_IPC_OWNER overrides).
func (o *object) permits(creds *auth.Credentials, flag uint32) bool {
	req := (flag>>6 | flag>>3 | flag) & 7
	granted := o.mode
	switch {
	case creds.EffectiveUID == o.cuid || creds.EffectiveUID == o.uid:
		granted >>= 6
	case creds.InGroup(o.cgid) || creds.InGroup(o.gid):
		granted >>= 3
	}
	return req&^granted&7 == 0 || creds.HasCapability(linux.CAP_IPC_OWNER)
}

// controlledBy reports whether creds may change or remove o (IPC_SET,
// IPC_RMID): its owner or creator, or a holder of CAP_SYS_ADMIN.
func (o *object) controlledBy(creds *auth.Credentials) bool {
	return creds.EffectiveUID == o.cuid || creds.EffectiveUID == o.uid ||
		creds.HasCapability(linux.CAP_SYS_ADMIN)
}

// perm returns o as struct ipc64_perm.
func (o *object) perm() linux.IPC64Perm {
	return linux.IPC64Perm{
		Key:  o.key,
		UID:  uint32(o.uid),
		GID:  uint32(o.gid),
		CUID: uint32(o.cuid),
		CGID: uint32(o.cgid),
		Mode: o.mode,
		Seq:  o.seq,
	}
}

// setPerm applies IPC_SET: owner ids and the permission bits of the mode.
// An id of -1 is EINVAL, as in Linux (it is not a valid id).
func (o *object) setPerm(p *linux.IPC64Perm) error {
	if p.UID == auth.NoID || p.GID == auth.NoID {
		return linux.EINVAL
	}
	o.uid, o.gid = auth.UID(p.UID), auth.GID(p.GID)
	o.mode = o.mode&^modePerms | p.Mode&modePerms
	o.ctime = now()
	return nil
}

// now is the time IPC objects record (seconds since the epoch).
func now() int64 { return time.Now().Unix() }

// entry is what a registry holds.
type entry interface{ base() *object }

// minCycle is how many indexes ids cycle through at least before one is
// reused (Linux's ipc_min_cycle).
const minCycle = 64

// registry maps keys and ids to the objects of one kind (struct
// ipc_ids). An id is the object's index in the low IPCMNI_SHIFT bits and
// a sequence number above them, so a stale id of a removed object does
// not find its index's next tenant.
//
// Preconditions: all methods run with the owning kind's mutex held.
type registry[T entry] struct {
	byIdx map[int32]T
	byKey map[int32]T
	// lastIdx is the last index given out (-1: none yet); seq is the
	// sequence number of new ids.
	lastIdx int32
	seq     uint16
	// limit is the most objects there may be (SHMMNI...).
	limit int
}

func (r *registry[T]) init(limit int) {
	r.byIdx = make(map[int32]T)
	r.byKey = make(map[int32]T)
	r.lastIdx = -1
	r.limit = limit
}

// add gives v an id and registers it under its key (unless
// IPC_PRIVATE). ENOSPC if the registry is full.
func (r *registry[T]) add(v T) (int32, error) {
	if r.full() {
		return 0, linux.ENOSPC
	}
	// As Linux's idr_alloc_cyclic: the next free index after the last
	// one given, in a range that grows with the objects in use; going
	// round bumps the sequence number.
	cycle := int32(min(max(len(r.byIdx)*3/2, minCycle), linux.IPCMNI))
	idx := int32(-1)
	for i := int32(1); i <= cycle; i++ {
		c := (r.lastIdx + i) % cycle
		if c < 0 {
			c += cycle
		}
		if _, used := r.byIdx[c]; !used {
			idx = c
			break
		}
	}
	if idx < 0 {
		return 0, linux.ENOSPC
	}
	if idx <= r.lastIdx {
		r.seq++
		if int(r.seq) > (1<<31-1)>>linux.IPCMNI_SHIFT {
			r.seq = 0
		}
	}
	r.lastIdx = idx
	o := v.base()
	o.seq = r.seq
	o.id = int32(r.seq)<<linux.IPCMNI_SHIFT | idx
	r.byIdx[idx] = v
	if o.key != linux.IPC_PRIVATE {
		r.byKey[o.key] = v
	}
	return o.id, nil
}

// lookup returns the object with id: EINVAL if there is none (a negative
// id, a free index, or a sequence number that is not the object's).
func (r *registry[T]) lookup(id int32) (T, error) {
	var zero T
	if id < 0 {
		return zero, linux.EINVAL
	}
	v, ok := r.byIdx[id&(linux.IPCMNI-1)]
	if !ok || int32(v.base().seq) != id>>linux.IPCMNI_SHIFT {
		return zero, linux.EINVAL
	}
	return v, nil
}

// byIndex returns the object at index idx (the *_STAT commands), EINVAL
// if there is none.
func (r *registry[T]) byIndex(idx int32) (T, error) {
	var zero T
	if idx < 0 {
		return zero, linux.EINVAL
	}
	v, ok := r.byIdx[idx&(linux.IPCMNI-1)]
	if !ok {
		return zero, linux.EINVAL
	}
	return v, nil
}

// remove takes v out of the registry and marks it dead.
func (r *registry[T]) remove(v T) {
	o := v.base()
	delete(r.byIdx, o.id&(linux.IPCMNI-1))
	r.forgetKey(v)
	o.dead = true
}

// forgetKey makes v's key IPC_PRIVATE: shmget of the old key no longer
// finds it (a segment removed while attached).
func (r *registry[T]) forgetKey(v T) {
	o := v.base()
	if o.key != linux.IPC_PRIVATE && any(r.byKey[o.key]) == any(v) {
		delete(r.byKey, o.key)
	}
	o.key = linux.IPC_PRIVATE
}

// maxIdx returns the highest index in use, 0 if none (what the IPC_INFO
// commands return).
func (r *registry[T]) maxIdx() int32 {
	m := int32(0)
	for idx := range r.byIdx {
		m = max(m, idx)
	}
	return m
}

// get implements the common part of shmget, semget and msgget: key
// IPC_PRIVATE always makes a new object; another key finds its object
// (EEXIST with IPC_CREAT|IPC_EXCL; check's error; EACCES if flags' mode
// bits are not granted) or, with IPC_CREAT, makes one (ENOENT without).
// create makes the object, which is registered here; if that fails,
// discard (if not nil) undoes create.
func (r *registry[T]) get(creds *auth.Credentials, key int32, flags int32, check func(T) error, create func() (T, error), discard func(T)) (int32, error) {
	if key != linux.IPC_PRIVATE {
		if v, ok := r.byKey[key]; ok {
			if flags&linux.IPC_CREAT != 0 && flags&linux.IPC_EXCL != 0 {
				return 0, linux.EEXIST
			}
			if err := check(v); err != nil {
				return 0, err
			}
			if !v.base().permits(creds, uint32(flags)&modePerms) {
				return 0, linux.EACCES
			}
			return v.base().id, nil
		}
		if flags&linux.IPC_CREAT == 0 {
			return 0, linux.ENOENT
		}
	}
	v, err := create()
	if err != nil {
		return 0, err
	}
	id, err := r.add(v)
	if err != nil && discard != nil {
		discard(v)
	}
	return id, err
}

// full reports whether the registry has as many objects as it may.
func (r *registry[T]) full() bool { return len(r.byIdx) >= r.limit }
