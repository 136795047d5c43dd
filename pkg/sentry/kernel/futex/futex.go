// Package futex implements futex(2) inside the sentry: the wait queues,
// keyed by the identity of a futex word, and the wait, wake, requeue and
// wake-op operations on them, plus the robust-list walk a thread's exit
// performs.
//
// It owns the queues and the protocol that makes "compare the word, then
// sleep" atomic with respect to wakers. It must not block (the kernel blocks
// a task on Waiter.C together with its interrupt channel and timer), must
// not use host futexes on application memory, and must reach application
// memory only through a Target.
//
// # Locking
//
// Waiters are hashed by Key into a fixed array of buckets, each with its own
// mutex, so futexes of unrelated tasks do not contend with one another (one
// global lock would serialise every futex call in the sandbox). Operations
// on two futexes (requeue, wake-op) hold both buckets' locks, taken in
// increasing bucket index; a bucket shared by both keys is locked once. The
// lock order is:
//
//	bucket.mu (lower index) -> bucket.mu (higher index) -> locks taken inside Target methods
//
// Target.LoadUint32, CompareAndSwapUint32 and SwapUint32 are called with
// bucket locks held, because the comparison of WAIT and CMP_REQUEUE and the
// operation of WAKE_OP must be atomic with respect to wakers; a Target must
// therefore never call back into a Manager. Target.Key is called with no
// bucket lock held.
//
// A Waiter's bucket pointer says which queue holds it. It changes only with
// that bucket's lock held (and, on requeue, the destination's lock too), so
// WaitComplete loads it, locks that bucket, and retries if the waiter moved
// meanwhile.
package futex

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// Key identifies a futex word. Two futex operations meet on the same queue
// exactly when their Keys are equal. Key is comparable and may grow fields
// (for new kinds of backing object) without changing its users.
type Key struct {
	// Private is true for keys of FUTEX_PRIVATE_FLAG operations. A private
	// and a shared key never match, even for the same word: that is
	// Linux's behaviour too (its shared keys of anonymous memory carry
	// FUT_OFF_MMSHARED).
	Private bool
	// MM identifies the address space for private keys (for example the
	// memory manager's address as a uintptr; it stays valid while any
	// task of that address space waits). It is zero for shared keys.
	MM uintptr
	// Offset is, for private keys, the virtual address of the word (Linux
	// keys private futexes by mm and address); for shared keys, the
	// offset of the word in the memory file that backs it, which is the
	// same in every address space that maps it.
	Offset uint64
}

// Target is an address space as the futex code sees it: the identity of a
// futex word and atomic access to it. The memory manager implements it
// through the sentry's own mapping of the memory file.
//
// Every method returns linux.EFAULT if addr is not mapped with the access
// it needs (the atomic writes need a writable mapping: WAKE_OP on read-only
// memory is EFAULT in Linux). Callers pass 4-byte aligned addresses only.
// Methods must not call into a Manager (see the package's lock order).
type Target interface {
	// Key identifies the futex word at addr. private is the
	// FUTEX_PRIVATE_FLAG. Errors: EINVAL if addr is not 4-byte aligned,
	// EFAULT if it is not mapped. As Linux, a private key should be
	// {MM, addr} and need not look at the mapping at all: FUTEX_WAKE of an
	// unmapped private address returns 0 in Linux, not EFAULT.
	Key(addr uint64, private bool) (Key, error)
	// LoadUint32 atomically loads the word at addr.
	LoadUint32(addr uint64) (uint32, error)
	// CompareAndSwapUint32 atomically replaces the word at addr with new
	// if it equals old, and returns the value it held before.
	CompareAndSwapUint32(addr uint64, old, new uint32) (prev uint32, err error)
	// SwapUint32 atomically stores new at addr and returns the old value.
	SwapUint32(addr uint64, new uint32) (old uint32, err error)
}

// Waiter is a task's place in a futex queue. Create one with NewWaiter; a
// task may reuse its Waiter for every wait, since WaitComplete leaves it
// empty and unqueued.
type Waiter struct {
	// C receives one value when a waker dequeues the waiter. It is
	// buffered (capacity 1) and wakers never block on it.
	C chan struct{}

	// bucket is the bucket whose queue holds the waiter, or nil when it is
	// not queued. Stored only with that bucket's lock held (on requeue,
	// with the destination's lock held as well); loaded without locks to
	// learn which lock to take. A waker sends on C before storing nil, so
	// whoever loads nil finds the value in C (or has already taken it).
	bucket atomic.Pointer[bucket]

	// The fields below are protected by the lock of the bucket that holds
	// the waiter.
	key        Key
	bitset     uint32
	prev, next *Waiter
}

// NewWaiter returns an unqueued Waiter.
func NewWaiter() *Waiter {
	return &Waiter{C: make(chan struct{}, 1)}
}

// bucketCount is the number of hash buckets: a power of two.
const (
	bucketBits  = 8
	bucketCount = 1 << bucketBits
)

// bucket is one hash chain: a FIFO queue of waiters, in the order they
// started waiting (Linux's queue is ordered by priority, then FIFO; all
// sentry tasks have one priority).
type bucket struct {
	mu         sync.Mutex
	head, tail *Waiter
}

// Manager holds every futex queue of a kernel. Its zero value is not
// usable; create it with NewManager.
type Manager struct {
	buckets [bucketCount]bucket
}

// NewManager returns a Manager with empty queues.
func NewManager() *Manager {
	return &Manager{}
}

// bucketIndex hashes k to a bucket index.
func bucketIndex(k Key) int {
	h := k.Offset*0x9e3779b97f4a7c15 ^ uint64(k.MM)*0xc2b2ae3d27d4eb4f
	if k.Private {
		h ^= 0x165667b19e3779f9
	}
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return int(h >> (64 - bucketBits))
}

func (m *Manager) bucketFor(k Key) *bucket {
	return &m.buckets[bucketIndex(k)]
}

// lockPair locks the buckets of k1 and k2 in lock order and returns them
// (the same bucket twice if the keys share one). Release with unlockPair.
func (m *Manager) lockPair(k1, k2 Key) (b1, b2 *bucket) {
	i1, i2 := bucketIndex(k1), bucketIndex(k2)
	b1, b2 = &m.buckets[i1], &m.buckets[i2]
	switch {
	case i1 == i2:
		b1.mu.Lock()
	case i1 < i2:
		b1.mu.Lock()
		b2.mu.Lock()
	default:
		b2.mu.Lock()
		b1.mu.Lock()
	}
	return b1, b2
}

func unlockPair(b1, b2 *bucket) {
	b1.mu.Unlock()
	if b2 != b1 {
		b2.mu.Unlock()
	}
}

// pushBack appends w to the queue.
//
// Preconditions: b.mu is held; w is on no queue.
func (b *bucket) pushBack(w *Waiter) {
	w.prev, w.next = b.tail, nil
	if b.tail != nil {
		b.tail.next = w
	} else {
		b.head = w
	}
	b.tail = w
}

// remove unlinks w from the queue.
//
// Preconditions: b.mu is held; w is on b's queue.
func (b *bucket) remove(w *Waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next = nil, nil
}

// wakeWaiter dequeues w and signals it.
//
// Preconditions: b.mu is held; w is on b's queue.
func (b *bucket) wakeWaiter(w *Waiter) {
	b.remove(w)
	select {
	case w.C <- struct{}{}:
	default:
		// A value is already pending: the kernel did not drain C, which
		// WaitComplete does. One pending value is enough to wake it.
	}
	w.bucket.Store(nil)
}

// wakeLocked wakes waiters on k whose bitset intersects bitset, in queue
// order, and returns how many it woke. As Linux (which counts with
// "++ret >= nr_wake"), n <= 0 still wakes one waiter.
//
// Preconditions: b.mu is held; b is k's bucket.
func (b *bucket) wakeLocked(k Key, bitset uint32, n int) int {
	woken := 0
	for w := b.head; w != nil; {
		next := w.next
		if w.key == k && w.bitset&bitset != 0 {
			b.wakeWaiter(w)
			woken++
			if woken >= n {
				break
			}
		}
		w = next
	}
	return woken
}

// key checks addr's alignment and asks t for its Key.
func key(t Target, addr uint64, private bool) (Key, error) {
	if addr%4 != 0 {
		return Key{}, linux.EINVAL
	}
	return t.Key(addr, private)
}

// WaitPrepare is the first half of FUTEX_WAIT and FUTEX_WAIT_BITSET: if the
// word at addr equals val, it queues w with bitset, atomically with respect
// to every waker; the caller then waits on w.C (and its interrupt channel
// and timer) and calls WaitComplete in every case. Errors, in Linux's order:
// EINVAL if bitset is 0 or addr is misaligned, EFAULT if addr is not
// mapped, EAGAIN if the word differs from val; w is not queued then.
//
// w must not be queued already (that is a kernel bug, not an application's).
func (m *Manager) WaitPrepare(t Target, addr uint64, private bool, val, bitset uint32, w *Waiter) error {
	if w.bucket.Load() != nil {
		panic("futex: WaitPrepare of a Waiter that is still queued")
	}
	if bitset == 0 {
		return linux.EINVAL
	}
	k, err := key(t, addr, private)
	if err != nil {
		return err
	}
	b := m.bucketFor(k)
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := t.LoadUint32(addr)
	if err != nil {
		return err
	}
	if cur != val {
		return linux.EAGAIN
	}
	w.key, w.bitset = k, bitset
	b.pushBack(w)
	w.bucket.Store(b)
	return nil
}

// WaitComplete ends a wait that WaitPrepare started: it dequeues w if it is
// still queued (on whichever queue a requeue left it) and reports whether a
// waker dequeued it first. As Linux, a wake that races with a timeout or an
// interruption wins: if woken is true the wait returns 0. On return w is
// unqueued and w.C is empty, ready for the next WaitPrepare.
//
// Call it only after a WaitPrepare that returned nil.
func (m *Manager) WaitComplete(w *Waiter) (woken bool) {
	for {
		b := w.bucket.Load()
		if b == nil {
			// A waker dequeued w and sent on C before storing nil.
			// Drain the value unless the kernel already took it.
			select {
			case <-w.C:
			default:
			}
			return true
		}
		b.mu.Lock()
		if w.bucket.Load() == b {
			b.remove(w)
			w.bucket.Store(nil)
			b.mu.Unlock()
			return false
		}
		// Requeued or woken between the load and the lock: look again.
		b.mu.Unlock()
	}
}

// Wake is FUTEX_WAKE and FUTEX_WAKE_BITSET: it wakes up to n waiters on the
// word at addr whose bitset intersects bitset (FUTEX_WAKE passes
// linux.FUTEX_BITSET_MATCH_ANY), oldest first, and returns how many it woke.
// As Linux, n <= 0 wakes one. EINVAL if bitset is 0 or addr is misaligned;
// errors of Target.Key.
func (m *Manager) Wake(t Target, addr uint64, private bool, bitset uint32, n int) (int, error) {
	if bitset == 0 {
		return 0, linux.EINVAL
	}
	k, err := key(t, addr, private)
	if err != nil {
		return 0, err
	}
	b := m.bucketFor(k)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wakeLocked(k, bitset, n), nil
}

// Requeue is FUTEX_REQUEUE (val nil) and FUTEX_CMP_REQUEUE (val non-nil):
// it wakes up to nwake waiters on addr and moves up to nrequeue more of them
// to naddr, where they keep their bitsets and wait on as if they had waited
// on naddr. It returns the number woken plus the number moved. The syscall
// layer passes the counts as Linux does, as signed 32-bit values.
//
// Errors, in Linux's order: EINVAL if a count is negative or an address is
// misaligned; errors of Target.Key; for CMP_REQUEUE, EFAULT if addr cannot
// be read and EAGAIN if the word at addr differs from *val. Requeueing a
// futex to itself is allowed (Linux refuses it only for the PI variant): the
// waiters past the first nwake stay where they are and are counted.
func (m *Manager) Requeue(t Target, addr, naddr uint64, private bool, nwake, nrequeue int, val *uint32) (int, error) {
	if nwake < 0 || nrequeue < 0 {
		return 0, linux.EINVAL
	}
	k1, err := key(t, addr, private)
	if err != nil {
		return 0, err
	}
	k2, err := key(t, naddr, private)
	if err != nil {
		return 0, err
	}
	b1, b2 := m.lockPair(k1, k2)
	defer unlockPair(b1, b2)
	if val != nil {
		cur, err := t.LoadUint32(addr)
		if err != nil {
			return 0, err
		}
		if cur != *val {
			return 0, linux.EAGAIN
		}
	}
	count := 0
	for w := b1.head; w != nil; {
		if count-nwake >= nrequeue {
			break
		}
		next := w.next
		if w.key == k1 {
			count++
			if count <= nwake {
				b1.wakeWaiter(w)
			} else {
				requeueWaiter(w, b1, b2, k2)
			}
		}
		w = next
	}
	return count, nil
}

// requeueWaiter moves w from b1's queue to b2's, now waiting on k2. Within
// one bucket it keeps its place, as Linux does.
//
// Preconditions: b1.mu and b2.mu are held; w is on b1's queue.
func requeueWaiter(w *Waiter, b1, b2 *bucket, k2 Key) {
	w.key = k2
	if b1 == b2 {
		return
	}
	b1.remove(w)
	b2.pushBack(w)
	w.bucket.Store(b2)
}

// WakeOp is FUTEX_WAKE_OP: it applies the operation encoded in op to the
// word at addr2 (see linux.FUTEX_OP_SET and friends), wakes up to nwake1
// waiters on addr1, and, if the comparison encoded in op holds for the old
// value of the word at addr2, up to nwake2 waiters on addr2; it returns the
// total woken. As Linux, a count <= 0 still wakes one, and bitsets are
// ignored.
//
// Errors, in Linux's order: EINVAL for a misaligned address; errors of
// Target.Key; ENOSYS for an unknown operation (the word is untouched);
// EFAULT if the word cannot be written; ENOSYS for an unknown comparison
// (the word has been changed: Linux compares after the operation). Nobody
// is woken when an error is returned.
func (m *Manager) WakeOp(t Target, addr1, addr2 uint64, private bool, nwake1, nwake2 int, op uint32) (int, error) {
	k1, err := key(t, addr1, private)
	if err != nil {
		return 0, err
	}
	k2, err := key(t, addr2, private)
	if err != nil {
		return 0, err
	}
	b1, b2 := m.lockPair(k1, k2)
	defer unlockPair(b1, b2)
	cond, err := atomicOp(t, addr2, op)
	if err != nil {
		return 0, err
	}
	woken := b1.wakeLocked(k1, linux.FUTEX_BITSET_MATCH_ANY, nwake1)
	if cond {
		woken += b2.wakeLocked(k2, linux.FUTEX_BITSET_MATCH_ANY, nwake2)
	}
	return woken, nil
}

// signExtend12 sign-extends a 12-bit field.
func signExtend12(v uint32) int32 {
	return int32(v<<20) >> 20
}

// atomicOp performs the FUTEX_WAKE_OP operation encoded in encoded on the
// word at addr and evaluates its comparison on the old value.
func atomicOp(t Target, addr uint64, encoded uint32) (bool, error) {
	op := (encoded >> 28) & 7
	cmp := (encoded >> 24) & 0xf
	oparg := signExtend12((encoded >> 12) & 0xfff)
	cmparg := signExtend12(encoded & 0xfff)

	operand := uint32(oparg)
	if encoded&(linux.FUTEX_OP_OPARG_SHIFT<<28) != 0 {
		// Linux logs a shift outside 0..31 and masks it to 5 bits
		// (which for a negative oparg is the same as the low bits of its
		// two's complement).
		operand = 1 << (uint32(oparg) & 31)
	}

	var old uint32
	var err error
	switch op {
	case linux.FUTEX_OP_SET:
		old, err = t.SwapUint32(addr, operand)
	case linux.FUTEX_OP_ADD:
		old, err = update(t, addr, func(v uint32) uint32 { return v + operand })
	case linux.FUTEX_OP_OR:
		old, err = update(t, addr, func(v uint32) uint32 { return v | operand })
	case linux.FUTEX_OP_ANDN:
		old, err = update(t, addr, func(v uint32) uint32 { return v &^ operand })
	case linux.FUTEX_OP_XOR:
		old, err = update(t, addr, func(v uint32) uint32 { return v ^ operand })
	default:
		return false, linux.ENOSYS
	}
	if err != nil {
		return false, err
	}

	o := int32(old)
	switch cmp {
	case linux.FUTEX_OP_CMP_EQ:
		return o == cmparg, nil
	case linux.FUTEX_OP_CMP_NE:
		return o != cmparg, nil
	case linux.FUTEX_OP_CMP_LT:
		return o < cmparg, nil
	case linux.FUTEX_OP_CMP_LE:
		return o <= cmparg, nil
	case linux.FUTEX_OP_CMP_GT:
		return o > cmparg, nil
	case linux.FUTEX_OP_CMP_GE:
		return o >= cmparg, nil
	default:
		return false, linux.ENOSYS
	}
}

// update atomically replaces the word at addr with f(word) and returns the
// old word. It loops on compare-and-swap while application threads change
// the word under it; each failed round means another write succeeded.
func update(t Target, addr uint64, f func(uint32) uint32) (uint32, error) {
	old, err := t.LoadUint32(addr)
	if err != nil {
		return 0, err
	}
	for {
		prev, err := t.CompareAndSwapUint32(addr, old, f(old))
		if err != nil {
			return 0, err
		}
		if prev == old {
			return old, nil
		}
		old = prev
	}
}
