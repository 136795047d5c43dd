// Package lock implements advisory file locks for files opened through the
// VFS: flock(2) whole-file locks and fcntl(2) byte-range record locks,
// both the POSIX kind (F_SETLK: owned by a process's FD table) and the open
// file description kind (F_OFD_SETLK: owned by the open file). There is one
// Manager per inode, created when the inode is first locked and dropped
// when it holds no lock and nobody uses it.
//
// As in Linux, flock locks and record locks are independent: a flock lock
// never conflicts with a record lock. Record locks of one owner never
// conflict with each other; they merge and split as the owner relocks and
// unlocks ranges.
//
// The package decides who may lock what; it does not decode system call
// arguments, check access modes, or know when a file is closed: callers
// (the syscall layer and the kernel's FD table) do, and call Release.
//
// Lock order: registry.mu, then Manager.mu.
package lock

import (
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// Type is a lock's type.
type Type int

// Lock types.
const (
	// Read is a shared lock (F_RDLCK, LOCK_SH).
	Read Type = iota
	// Write is an exclusive lock (F_WRLCK, LOCK_EX).
	Write
	// Unlock removes locks (F_UNLCK, LOCK_UN).
	Unlock
)

// conflicts reports whether locks of types a and b held by different
// owners conflict.
func conflicts(a, b Type) bool { return a == Write || b == Write }

// Waiter lets a lock request wait interruptibly (kernel.Task does).
type Waiter interface {
	// Block waits until ch is ready (nil) or the waiter is interrupted
	// (an error the caller returns as is). A zero deadline means none.
	Block(ch <-chan struct{}, deadline time.Time) error
}

// Record is a byte-range lock: [Start, End], both inclusive; End is
// linux.OFFSET_MAX for a lock that runs to the end of any file.
type Record struct {
	Type  Type
	Start int64
	End   int64
	// Owner is the lock's owner: comparable, and the same value for
	// every request of one owner.
	Owner any
	// PID is what F_GETLK reports as l_pid: the owning process for a
	// POSIX lock, -1 for an OFD lock.
	PID int32
}

func (r *Record) overlaps(o *Record) bool { return r.Start <= o.End && o.Start <= r.End }

// touches reports whether r and o overlap or are adjacent.
func (r *Record) touches(o *Record) bool {
	return r.Start <= o.End && o.Start <= r.End ||
		r.End < linux.OFFSET_MAX && r.End+1 == o.Start ||
		o.End < linux.OFFSET_MAX && o.End+1 == r.Start
}

// Manager holds the locks of one inode.
type Manager struct {
	// inode is the inode whose locks m holds.
	inode vfs.Inode

	// users counts Get calls not yet matched by Put.
	//
	// users is protected by registry.mu.
	users int

	mu sync.Mutex
	// flocks maps the owner of each flock lock to its type.
	flocks map[any]Type
	// records are the record locks, in no particular order; no two
	// records of one owner overlap or touch if they have the same type.
	records []Record
	// changed is closed (and replaced) whenever a lock goes away or is
	// downgraded, which may let a waiter in.
	changed chan struct{}
}

// registry maps inodes to their Managers.
var registry struct {
	mu sync.Mutex
	m  map[vfs.Inode]*Manager
	// n is len(m), for Release's lock-free fast path.
	n atomic.Int64
}

// InodeOf returns the inode that the locks of f belong to, or nil if f is
// not a file opened through the VFS (such files cannot be locked; callers
// keep their old behaviour for them) or its inode cannot key a map.
func InodeOf(f vfs.FileDescription) vfs.Inode {
	pf, ok := f.(vfs.PathFile)
	if !ok {
		return nil
	}
	vd := pf.VirtualDentry()
	if !vd.Ok() {
		return nil
	}
	inode := vd.Dentry.Inode()
	if inode == nil || !reflect.TypeOf(inode).Comparable() {
		return nil
	}
	return inode
}

// Get returns inode's Manager, creating it if needed. The caller must call
// Put when it is done with it.
func Get(inode vfs.Inode) *Manager {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m := registry.m[inode]
	if m == nil {
		if registry.m == nil {
			registry.m = make(map[vfs.Inode]*Manager)
		}
		m = &Manager{inode: inode, flocks: make(map[any]Type), changed: make(chan struct{})}
		registry.m[inode] = m
		registry.n.Add(1)
	}
	m.users++
	return m
}

// Put undoes Get.
func (m *Manager) Put() {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m.users--
	dropIfUnusedLocked(m)
}

// dropIfUnusedLocked forgets m if it holds no locks and has no users.
//
// Preconditions: registry.mu is held; m.mu is not.
func dropIfUnusedLocked(m *Manager) {
	if m.users > 0 {
		return
	}
	m.mu.Lock()
	empty := len(m.flocks) == 0 && len(m.records) == 0
	m.mu.Unlock()
	if empty && registry.m[m.inode] == m {
		delete(registry.m, m.inode)
		registry.n.Add(-1)
	}
}

// Release removes every lock that owner holds on inode: flock and record
// locks alike. The kernel calls it when a process closes an fd (for its
// POSIX locks) and when an open file goes away (for its flock and OFD
// locks).
func Release(inode vfs.Inode, owner any) {
	if registry.n.Load() == 0 {
		return
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m := registry.m[inode]
	if m == nil {
		return
	}
	m.mu.Lock()
	removed := false
	if _, ok := m.flocks[owner]; ok {
		delete(m.flocks, owner)
		removed = true
	}
	kept := m.records[:0]
	for _, r := range m.records {
		if r.Owner == owner {
			removed = true
			continue
		}
		kept = append(kept, r)
	}
	clear(m.records[len(kept):])
	m.records = kept
	if removed {
		m.wakeLocked()
	}
	m.mu.Unlock()
	dropIfUnusedLocked(m)
}

// lastRefHook is implemented by files that run a function when their last
// reference goes (vfs.FileBase).
type lastRefHook interface {
	OnLastRef(fn func())
}

// ReleaseAtLastRef arranges for the locks that the open file f owns on
// inode (flock and OFD locks) to be released when f's last reference is
// dropped, by whichever process holds it last, as Linux does, if f can
// run such a hook (FollowsLastRef); otherwise the caller releases them.
func ReleaseAtLastRef(f vfs.FileDescription, inode vfs.Inode) {
	if h, ok := f.(lastRefHook); ok {
		h.OnLastRef(func() { Release(inode, f) })
	}
}

// FollowsLastRef reports whether ReleaseAtLastRef works for f.
func FollowsLastRef(f vfs.FileDescription) bool {
	_, ok := f.(lastRefHook)
	return ok
}

// Holds reports whether owner holds any lock on inode.
func Holds(inode vfs.Inode, owner any) bool {
	if registry.n.Load() == 0 {
		return false
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m := registry.m[inode]
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.flocks[owner]; ok {
		return true
	}
	for i := range m.records {
		if m.records[i].Owner == owner {
			return true
		}
	}
	return false
}

// wakeLocked wakes every waiter so it checks again.
//
// Preconditions: m.mu is held.
func (m *Manager) wakeLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// waitLocked waits for the next change of m's locks.
//
// Preconditions: m.mu is held; it is released while waiting and held again
// on return.
func (m *Manager) waitLocked(w Waiter) error {
	ch := m.changed
	m.mu.Unlock()
	err := w.Block(ch, time.Time{})
	m.mu.Lock()
	return err
}

// Flock implements flock(2) for owner (an open file): typ Read or Write
// takes or converts its lock, Unlock drops it. A conversion drops the old
// lock first, as Linux does, so a conflicting request that fails loses
// it. If block, a conflicting request waits for the conflict to go;
// otherwise it fails with EWOULDBLOCK.
func (m *Manager) Flock(w Waiter, owner any, typ Type, block bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.flocks[owner]; ok {
		if old == typ {
			return nil
		}
		delete(m.flocks, owner)
		m.wakeLocked()
	}
	if typ == Unlock {
		return nil
	}
	for m.flockConflictLocked(owner, typ) {
		if !block {
			return linux.EWOULDBLOCK
		}
		if err := m.waitLocked(w); err != nil {
			return err
		}
	}
	m.flocks[owner] = typ
	return nil
}

// flockConflictLocked reports whether another owner's flock lock
// conflicts with a typ lock.
//
// Preconditions: m.mu is held.
func (m *Manager) flockConflictLocked(owner any, typ Type) bool {
	for o, t := range m.flocks {
		if o != owner && conflicts(t, typ) {
			return true
		}
	}
	return false
}

// Test implements F_GETLK: it returns a record lock of another owner that
// conflicts with r (whose Type is Read or Write), if there is one.
func (m *Manager) Test(r Record) (Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.conflictLocked(&r); c != nil {
		return *c, true
	}
	return Record{}, false
}

// conflictLocked returns the first lock of another owner that conflicts
// with r.
//
// Preconditions: m.mu is held.
func (m *Manager) conflictLocked(r *Record) *Record {
	for i := range m.records {
		o := &m.records[i]
		if o.Owner != r.Owner && o.overlaps(r) && conflicts(o.Type, r.Type) {
			return o
		}
	}
	return nil
}

// Set implements F_SETLK and F_OFD_SETLK (and, with block, their waiting
// forms): the range of r becomes locked with r.Type for r.Owner, or
// unlocked if r.Type is Unlock, replacing whatever the owner held there.
// A request that conflicts with another owner's lock fails with EAGAIN,
// or waits if block. Deadlocks are not detected: POSIX locks of the
// sandbox's single process never conflict with each other, and Linux does
// not detect them for OFD locks.
func (m *Manager) Set(w Waiter, r Record, block bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.Type != Unlock {
		for m.conflictLocked(&r) != nil {
			if !block {
				return linux.EAGAIN
			}
			if err := m.waitLocked(w); err != nil {
				return err
			}
		}
	}
	m.setLocked(r)
	return nil
}

// setLocked replaces r.Owner's locks in r's range with r.
//
// Preconditions: m.mu is held; r conflicts with no other owner's lock.
func (m *Manager) setLocked(r Record) {
	var out []Record
	changed := false
	for _, o := range m.records {
		if o.Owner != r.Owner {
			out = append(out, o)
			continue
		}
		if r.Type != Unlock && o.Type == r.Type && o.touches(&r) {
			// Same type: absorb it into r.
			r.Start, r.End = min(r.Start, o.Start), max(r.End, o.End)
			continue
		}
		if !o.overlaps(&r) {
			out = append(out, o)
			continue
		}
		// Keep the parts of o outside r.
		changed = true
		if o.Start < r.Start {
			left := o
			left.End = r.Start - 1
			out = append(out, left)
		}
		if o.End > r.End {
			right := o
			right.Start = r.End + 1
			out = append(out, right)
		}
	}
	if r.Type != Unlock {
		out = append(out, r)
	}
	m.records = out
	if changed {
		m.wakeLocked()
	}
}
