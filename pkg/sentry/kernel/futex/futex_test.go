package futex

import (
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// Addresses in the fake address spaces. mm0 maps the file at fakeBase, mm1
// maps the same file at otherBase, so shared keys meet across them.
const (
	addrA      = fakeBase
	addrB      = fakeBase + 4
	addrC      = fakeBase + 8
	otherBase  = 0x40000
	unmapped   = 0x1000
	misaligned = fakeBase + 1
	fileWords  = 4096
	matchAny   = linux.FUTEX_BITSET_MATCH_ANY
)

// env is one test's world: a Manager and two address spaces sharing a file.
type env struct {
	m   *Manager
	mm0 *fakeMM
	mm1 *fakeMM
}

func newEnv() *env {
	f := newFakeFile(fileWords)
	return &env{
		m:   NewManager(),
		mm0: newFakeMM(1, f, fakeBase),
		mm1: newFakeMM(2, f, otherBase),
	}
}

// queuesEmpty reports whether no waiter is queued anywhere.
func (e *env) queuesEmpty() bool {
	for i := range e.m.buckets {
		b := &e.m.buckets[i]
		b.mu.Lock()
		empty := b.head == nil && b.tail == nil
		b.mu.Unlock()
		if !empty {
			return false
		}
	}
	return true
}

// sameBucketAddr returns an address in mm0, other than addr, whose private
// key hashes to the same bucket as addr's.
func sameBucketAddr(t *testing.T, addr uint64) uint64 {
	t.Helper()
	want := bucketIndex(Key{Private: true, MM: 1, Offset: addr})
	for a := uint64(fakeBase); a < fakeBase+fileWords*4; a += 4 {
		if a != addr && bucketIndex(Key{Private: true, MM: 1, Offset: a}) == want {
			return a
		}
	}
	t.Fatalf("no address shares a bucket with %#x", addr)
	return 0
}

// waitSpec is a waiter a scenario queues before its steps run.
type waitSpec struct {
	addr   uint64
	shared bool   // shared key instead of private
	bitset uint32 // 0 means FUTEX_BITSET_MATCH_ANY
}

// step is one futex operation of a scenario and its expected result.
type step struct {
	do   func(e *env) (int, error)
	want int
	err  error
}

func wake(addr uint64, n int) func(*env) (int, error) {
	return func(e *env) (int, error) { return e.m.Wake(e.mm0, addr, true, matchAny, n) }
}

func wakeBitset(addr uint64, bitset uint32, n int) func(*env) (int, error) {
	return func(e *env) (int, error) { return e.m.Wake(e.mm0, addr, true, bitset, n) }
}

func requeue(addr, naddr uint64, nwake, nrequeue int) func(*env) (int, error) {
	return func(e *env) (int, error) { return e.m.Requeue(e.mm0, addr, naddr, true, nwake, nrequeue, nil) }
}

func cmpRequeue(addr, naddr uint64, nwake, nrequeue int, val uint32) func(*env) (int, error) {
	return func(e *env) (int, error) { return e.m.Requeue(e.mm0, addr, naddr, true, nwake, nrequeue, &val) }
}

func wakeOp(addr1, addr2 uint64, n1, n2 int, op uint32) func(*env) (int, error) {
	return func(e *env) (int, error) { return e.m.WakeOp(e.mm0, addr1, addr2, true, n1, n2, op) }
}

func TestScenarios(t *testing.T) {
	setOne := linux.FutexOp(linux.FUTEX_OP_SET, 1, linux.FUTEX_OP_CMP_EQ, 0)
	for _, tc := range []struct {
		name    string
		waiters []waitSpec
		// collide, if set, replaces addrB by an address that shares
		// addrA's bucket, in waiters and steps alike.
		collide bool
		steps   []func(*env, uint64) step
		woken   []bool // per waiter, after all steps
	}{
		{
			name:    "wake one of three, oldest first",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 1), want: 1})},
			woken:   []bool{true, false, false},
		},
		{
			name:    "wake two of three",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 2), want: 2})},
			woken:   []bool{true, true, false},
		},
		{
			name:    "wake more than are waiting",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 100), want: 3})},
			woken:   []bool{true, true, true},
		},
		{
			name:    "wake zero wakes one, as Linux",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 0), want: 1})},
			woken:   []bool{true, false},
		},
		{
			name:    "wake negative wakes one, as Linux",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, -1), want: 1})},
			woken:   []bool{true, false},
		},
		{
			name:  "wake with no waiters",
			steps: []func(*env, uint64) step{fixed(step{do: wake(addrA, 1), want: 0})},
		},
		{
			name:    "wake leaves other words alone",
			waiters: []waitSpec{{addr: addrB}, {addr: addrA}, {addr: addrB}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 10), want: 1})},
			woken:   []bool{false, true, false},
		},
		{
			name:    "wake leaves other words of the same bucket alone",
			collide: true,
			waiters: []waitSpec{{addr: addrB}, {addr: addrA}, {addr: addrB}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 10), want: 1})},
			woken:   []bool{false, true, false},
		},
		{
			name:    "wake bitset matches intersecting bitsets",
			waiters: []waitSpec{{addr: addrA, bitset: 1}, {addr: addrA, bitset: 2}, {addr: addrA, bitset: 3}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeBitset(addrA, 2, 10), want: 2})},
			woken:   []bool{false, true, true},
		},
		{
			name:    "skipped bitsets do not count toward n",
			waiters: []waitSpec{{addr: addrA, bitset: 1}, {addr: addrA, bitset: 1}, {addr: addrA, bitset: 2}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeBitset(addrA, 2, 1), want: 1})},
			woken:   []bool{false, false, true},
		},
		{
			name:    "wake bitset zero is EINVAL",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeBitset(addrA, 0, 1), err: linux.EINVAL})},
			woken:   []bool{false},
		},
		{
			name:  "wake misaligned is EINVAL",
			steps: []func(*env, uint64) step{fixed(step{do: wake(misaligned, 1), err: linux.EINVAL})},
		},
		{
			name:  "wake private unmapped is 0, as Linux",
			steps: []func(*env, uint64) step{fixed(step{do: wake(unmapped, 1), want: 0})},
		},
		{
			name: "wake shared unmapped is EFAULT",
			steps: []func(*env, uint64) step{fixed(step{do: func(e *env) (int, error) {
				return e.m.Wake(e.mm0, unmapped, false, matchAny, 1)
			}, err: linux.EFAULT})},
		},
		{
			name:    "private wake does not reach shared waiters",
			waiters: []waitSpec{{addr: addrA, shared: true}},
			steps:   []func(*env, uint64) step{fixed(step{do: wake(addrA, 1), want: 0})},
			woken:   []bool{false},
		},
		{
			name:    "shared wake reaches another address space's waiter",
			waiters: []waitSpec{{addr: addrA, shared: true}},
			steps: []func(*env, uint64) step{fixed(step{do: func(e *env) (int, error) {
				return e.m.Wake(e.mm1, otherBase, false, matchAny, 1)
			}, want: 1})},
			woken: []bool{true},
		},
		{
			name:    "private wake does not reach another address space",
			waiters: []waitSpec{{addr: addrA}},
			steps: []func(*env, uint64) step{fixed(step{do: func(e *env) (int, error) {
				return e.m.Wake(e.mm1, addrA, true, matchAny, 1)
			}, want: 0})},
			woken: []bool{false},
		},
		{
			name:    "requeue wakes then moves",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrB, 1, 1), want: 2}),
				fixed(step{do: wake(addrB, 10), want: 1}),
			},
			woken: []bool{true, true, false},
		},
		{
			name:    "requeue nothing",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrB, 0, 0), want: 0}),
				fixed(step{do: wake(addrB, 10), want: 0}),
			},
			woken: []bool{false, false},
		},
		{
			name:    "requeue only, then the rest stay on the old word",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrB, 0, 2), want: 2}),
				fixed(step{do: wake(addrA, 10), want: 1}),
			},
			woken: []bool{false, false, true},
		},
		{
			name:    "requeue appends behind the new word's waiters",
			waiters: []waitSpec{{addr: addrB}, {addr: addrA}, {addr: addrB}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrB, 0, 10), want: 1}),
				fixed(step{do: wake(addrB, 2), want: 2}),
			},
			woken: []bool{true, false, true},
		},
		{
			name:    "requeue within one bucket",
			collide: true,
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				func(_ *env, b uint64) step { return step{do: requeue(addrA, b, 1, 1), want: 2} },
				fixed(step{do: wake(addrA, 10), want: 1}),
				func(_ *env, b uint64) step { return step{do: wake(b, 10), want: 1} },
			},
			woken: []bool{true, true, true},
		},
		{
			name:    "requeue to the same word is allowed, as Linux",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrA, 1, 1), want: 2}),
				fixed(step{do: wake(addrA, 1), want: 1}),
			},
			woken: []bool{true, true, false},
		},
		{
			name:    "requeue ignores bitsets but keeps them",
			waiters: []waitSpec{{addr: addrA, bitset: 2}, {addr: addrA, bitset: 2}},
			steps: []func(*env, uint64) step{
				fixed(step{do: requeue(addrA, addrB, 1, 1), want: 2}),
				fixed(step{do: wakeBitset(addrB, 1, 10), want: 0}),
				fixed(step{do: wakeBitset(addrB, 2, 10), want: 1}),
			},
			woken: []bool{true, true},
		},
		{
			name:    "requeue negative nwake is EINVAL",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: requeue(addrA, addrB, -1, 1), err: linux.EINVAL})},
			woken:   []bool{false},
		},
		{
			name:    "requeue negative nrequeue is EINVAL",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: requeue(addrA, addrB, 1, -1), err: linux.EINVAL})},
			woken:   []bool{false},
		},
		{
			name:  "requeue misaligned target is EINVAL",
			steps: []func(*env, uint64) step{fixed(step{do: requeue(addrA, misaligned, 1, 1), err: linux.EINVAL})},
		},
		{
			name:  "requeue private unmapped is 0, as Linux",
			steps: []func(*env, uint64) step{fixed(step{do: requeue(unmapped, unmapped+4, 1, 0), want: 0})},
		},
		{
			name:    "cmp requeue with matching value",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: cmpRequeue(addrA, addrB, 1, 1, 0), want: 2}),
				fixed(step{do: wake(addrB, 1), want: 1}),
			},
			woken: []bool{true, true},
		},
		{
			name:    "cmp requeue with other value is EAGAIN and does nothing",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}},
			steps: []func(*env, uint64) step{
				fixed(step{do: cmpRequeue(addrA, addrB, 1, 1, 7), err: linux.EAGAIN}),
				fixed(step{do: wake(addrB, 1), want: 0}),
			},
			woken: []bool{false, false},
		},
		{
			name:  "cmp requeue private unmapped is EFAULT",
			steps: []func(*env, uint64) step{fixed(step{do: cmpRequeue(unmapped, unmapped+4, 1, 0, 0), err: linux.EFAULT})},
		},
		{
			name:    "wake op wakes both when the comparison holds",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrB}, {addr: addrB}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrB, 1, 1, setOne), want: 2})},
			woken:   []bool{true, false, true, false},
		},
		{
			name:    "wake op wakes only the first word when it does not",
			waiters: []waitSpec{{addr: addrA}, {addr: addrB}},
			steps: []func(*env, uint64) step{
				fixed(step{do: func(e *env) (int, error) { e.mm0.store(addrB, 1); return 0, nil }}),
				fixed(step{do: wakeOp(addrA, addrB, 1, 1, setOne), want: 1}),
			},
			woken: []bool{true, false},
		},
		{
			name:    "wake op counts of zero wake one each, as Linux",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrB}, {addr: addrB}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrB, 0, 0, setOne), want: 2})},
			woken:   []bool{true, false, true, false},
		},
		{
			name:    "wake op ignores bitsets",
			waiters: []waitSpec{{addr: addrA, bitset: 4}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrB, 1, 1, setOne), want: 1})},
			woken:   []bool{true},
		},
		{
			name:    "wake op on one word",
			waiters: []waitSpec{{addr: addrA}, {addr: addrA}, {addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrA, 1, 1, setOne), want: 2})},
			woken:   []bool{true, true, false},
		},
		{
			name:    "wake op with bad op is ENOSYS and wakes nobody",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrB, 1, 1, 5<<28), err: linux.ENOSYS})},
			woken:   []bool{false},
		},
		{
			name:    "wake op with bad cmp is ENOSYS and wakes nobody",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, addrB, 1, 1, 6<<24), err: linux.ENOSYS})},
			woken:   []bool{false},
		},
		{
			name:    "wake op on unmapped second word is EFAULT",
			waiters: []waitSpec{{addr: addrA}},
			steps:   []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, unmapped, 1, 1, setOne), err: linux.EFAULT})},
			woken:   []bool{false},
		},
		{
			name:  "wake op misaligned is EINVAL",
			steps: []func(*env, uint64) step{fixed(step{do: wakeOp(addrA, misaligned, 1, 1, setOne), err: linux.EINVAL})},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			b := uint64(addrB)
			if tc.collide {
				b = sameBucketAddr(t, addrA)
			}
			ws := make([]*Waiter, len(tc.waiters))
			for i, spec := range tc.waiters {
				addr := spec.addr
				if addr == addrB {
					addr = b
				}
				bitset := spec.bitset
				if bitset == 0 {
					bitset = matchAny
				}
				ws[i] = NewWaiter()
				if err := e.m.WaitPrepare(e.mm0, addr, !spec.shared, 0, bitset, ws[i]); err != nil {
					t.Fatalf("WaitPrepare(waiter %d) = %v", i, err)
				}
			}
			for i, mk := range tc.steps {
				s := mk(e, b)
				got, err := s.do(e)
				if !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.err)
				}
				if got != s.want {
					t.Fatalf("step %d: returned %d, want %d", i, got, s.want)
				}
			}
			for i, w := range ws {
				signalled := false
				select {
				case <-w.C:
					signalled = true
				default:
				}
				if signalled != tc.woken[i] {
					t.Errorf("waiter %d: signalled %v, want %v", i, signalled, tc.woken[i])
				}
				if got := e.m.WaitComplete(w); got != tc.woken[i] {
					t.Errorf("waiter %d: WaitComplete = %v, want %v", i, got, tc.woken[i])
				}
			}
			if !e.queuesEmpty() {
				t.Errorf("waiters left queued after WaitComplete")
			}
		})
	}
}

// fixed makes a scenario step that does not depend on the collision address.
func fixed(s step) func(*env, uint64) step {
	return func(*env, uint64) step { return s }
}

func TestWaitPrepare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		word    uint32
		addr    uint64
		private bool
		val     uint32
		bitset  uint32
		err     error
	}{
		{name: "equal queues", word: 5, addr: addrA, private: true, val: 5, bitset: matchAny},
		{name: "equal queues, shared", word: 5, addr: addrA, val: 5, bitset: matchAny},
		{name: "bitset subset queues", addr: addrA, private: true, bitset: 0x10},
		{name: "different is EAGAIN", word: 5, addr: addrA, private: true, val: 6, bitset: matchAny, err: linux.EAGAIN},
		{name: "bitset zero is EINVAL", addr: addrA, private: true, bitset: 0, err: linux.EINVAL},
		{name: "bitset checked before alignment", addr: misaligned, private: true, bitset: 0, err: linux.EINVAL},
		{name: "misaligned is EINVAL", addr: misaligned, private: true, bitset: matchAny, err: linux.EINVAL},
		{name: "unmapped private is EFAULT", addr: unmapped, private: true, bitset: matchAny, err: linux.EFAULT},
		{name: "unmapped shared is EFAULT", addr: unmapped, bitset: matchAny, err: linux.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.mm0.store(addrA, tc.word)
			w := NewWaiter()
			err := e.m.WaitPrepare(e.mm0, tc.addr, tc.private, tc.val, tc.bitset, w)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("WaitPrepare = %v, want %v", err, tc.err)
			}
			wantQueued := tc.err == nil
			n, err := e.m.Wake(e.mm0, addrA, tc.private, matchAny, 1)
			if err != nil {
				t.Fatalf("Wake = %v", err)
			}
			if (n == 1) != wantQueued {
				t.Errorf("Wake woke %d, want queued=%v", n, wantQueued)
			}
			if wantQueued && !e.m.WaitComplete(w) {
				t.Errorf("WaitComplete = false after a wake")
			}
			if !e.queuesEmpty() {
				t.Errorf("waiters left queued")
			}
		})
	}
}

func TestWaitComplete(t *testing.T) {
	e := newEnv()
	w := NewWaiter()

	// Timed out: still queued, so not woken, and gone from the queue.
	if err := e.m.WaitPrepare(e.mm0, addrA, true, 0, matchAny, w); err != nil {
		t.Fatalf("WaitPrepare = %v", err)
	}
	if e.m.WaitComplete(w) {
		t.Errorf("WaitComplete of an unwoken waiter = true")
	}
	if n, _ := e.m.Wake(e.mm0, addrA, true, matchAny, 1); n != 0 {
		t.Errorf("Wake after a timed-out wait woke %d", n)
	}

	// Woken while the kernel was giving up: the wake wins and C is
	// drained, so the same Waiter can wait again.
	if err := e.m.WaitPrepare(e.mm0, addrA, true, 0, matchAny, w); err != nil {
		t.Fatalf("WaitPrepare = %v", err)
	}
	if n, _ := e.m.Wake(e.mm0, addrA, true, matchAny, 1); n != 1 {
		t.Fatalf("Wake woke %d, want 1", n)
	}
	if !e.m.WaitComplete(w) {
		t.Errorf("WaitComplete of a woken waiter = false")
	}
	if len(w.C) != 0 {
		t.Errorf("C holds %d values after WaitComplete", len(w.C))
	}

	// Woken and received: the usual path.
	if err := e.m.WaitPrepare(e.mm0, addrA, true, 0, matchAny, w); err != nil {
		t.Fatalf("WaitPrepare = %v", err)
	}
	if n, _ := e.m.Wake(e.mm0, addrA, true, matchAny, 1); n != 1 {
		t.Fatalf("Wake woke %d, want 1", n)
	}
	<-w.C
	if !e.m.WaitComplete(w) {
		t.Errorf("WaitComplete of a woken waiter = false")
	}

	// Requeued, then timed out: found and removed on the new queue.
	if err := e.m.WaitPrepare(e.mm0, addrA, true, 0, matchAny, w); err != nil {
		t.Fatalf("WaitPrepare = %v", err)
	}
	if n, _ := e.m.Requeue(e.mm0, addrA, addrB, true, 0, 1, nil); n != 1 {
		t.Fatalf("Requeue moved %d, want 1", n)
	}
	if e.m.WaitComplete(w) {
		t.Errorf("WaitComplete of a requeued, unwoken waiter = true")
	}
	for _, addr := range []uint64{addrA, addrB} {
		if n, _ := e.m.Wake(e.mm0, addr, true, matchAny, 1); n != 0 {
			t.Errorf("Wake(%#x) after the requeued waiter left woke %d", addr, n)
		}
	}
	if !e.queuesEmpty() {
		t.Errorf("waiters left queued")
	}
}

func TestWakeOpMemory(t *testing.T) {
	const (
		set  = linux.FUTEX_OP_SET
		add  = linux.FUTEX_OP_ADD
		or   = linux.FUTEX_OP_OR
		andn = linux.FUTEX_OP_ANDN
		xor  = linux.FUTEX_OP_XOR
		sh   = linux.FUTEX_OP_OPARG_SHIFT
		eq   = linux.FUTEX_OP_CMP_EQ
		ne   = linux.FUTEX_OP_CMP_NE
		lt   = linux.FUTEX_OP_CMP_LT
		le   = linux.FUTEX_OP_CMP_LE
		gt   = linux.FUTEX_OP_CMP_GT
		ge   = linux.FUTEX_OP_CMP_GE
	)
	for _, tc := range []struct {
		name     string
		old      uint32
		op       uint32
		readOnly bool
		want     uint32 // the word afterwards
		cond     bool   // whether waiters on the second word are woken
		err      error
	}{
		{name: "set", old: 9, op: linux.FutexOp(set, 3, eq, 9), want: 3, cond: true},
		{name: "add", old: 9, op: linux.FutexOp(add, 3, eq, 8), want: 12},
		{name: "add negative", old: 9, op: linux.FutexOp(add, 0xfff, ne, 8), want: 8, cond: true},
		{name: "or", old: 0x10, op: linux.FutexOp(or, 3, eq, 0x10), want: 0x13, cond: true},
		{name: "andn", old: 0xff, op: linux.FutexOp(andn, 0xf, eq, 0xff), want: 0xf0, cond: true},
		{name: "xor", old: 0xff, op: linux.FutexOp(xor, 0x11, ne, 0xff), want: 0xee},
		{name: "shifted or", old: 0, op: linux.FutexOp(sh|or, 4, eq, 0), want: 0x10, cond: true},
		{name: "shift past 31 is masked", old: 0, op: linux.FutexOp(sh|or, 40, eq, 0), want: 0x100, cond: true},
		{name: "negative shift is masked", old: 0, op: linux.FutexOp(sh|or, 0xfff, eq, 0), want: 0x80000000, cond: true},
		{name: "shifted set", old: 0, op: linux.FutexOp(sh|set, 31, eq, 0), want: 0x80000000, cond: true},
		{name: "lt is signed", old: 0xffffffff, op: linux.FutexOp(add, 0, lt, 0), want: 0xffffffff, cond: true},
		{name: "lt false", old: 0, op: linux.FutexOp(add, 0, lt, 0), want: 0},
		{name: "le equal", old: 5, op: linux.FutexOp(add, 0, le, 5), want: 5, cond: true},
		{name: "gt", old: 6, op: linux.FutexOp(add, 0, gt, 5), want: 6, cond: true},
		{name: "gt against negative cmparg", old: 0, op: linux.FutexOp(add, 0, gt, 0xfff), want: 0, cond: true},
		{name: "ge false", old: 4, op: linux.FutexOp(add, 0, ge, 5), want: 4},
		{name: "compares the old value", old: 1, op: linux.FutexOp(set, 0, eq, 1), want: 0, cond: true},
		{name: "bad op leaves the word", old: 7, op: linux.FutexOp(5, 1, eq, 7), want: 7, err: linux.ENOSYS},
		{name: "bad op 7 leaves the word", old: 7, op: linux.FutexOp(7, 1, eq, 7), want: 7, err: linux.ENOSYS},
		{name: "bad cmp changes the word", old: 7, op: linux.FutexOp(add, 1, 6, 7), want: 8, err: linux.ENOSYS},
		{name: "read-only is EFAULT", old: 7, op: linux.FutexOp(set, 1, eq, 7), readOnly: true, want: 7, err: linux.EFAULT},
		{name: "read-only add is EFAULT", old: 7, op: linux.FutexOp(add, 1, eq, 7), readOnly: true, want: 7, err: linux.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			e.mm0.store(addrB, tc.old)
			w := NewWaiter()
			if err := e.m.WaitPrepare(e.mm0, addrB, true, tc.old, matchAny, w); err != nil {
				t.Fatalf("WaitPrepare = %v", err)
			}
			e.mm0.readOnly = tc.readOnly
			n, err := e.m.WakeOp(e.mm0, addrA, addrB, true, 1, 1, tc.op)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("WakeOp = %v, want %v", err, tc.err)
			}
			if got := e.mm0.load(addrB); got != tc.want {
				t.Errorf("word = %#x, want %#x", got, tc.want)
			}
			if (n == 1) != tc.cond || n > 1 {
				t.Errorf("WakeOp woke %d, want condition %v", n, tc.cond)
			}
			if got := e.m.WaitComplete(w); got != tc.cond {
				t.Errorf("WaitComplete = %v, want %v", got, tc.cond)
			}
		})
	}
}

func TestFutexOpEncoding(t *testing.T) {
	for _, tc := range []struct {
		op, oparg, cmp, cmparg uint32
		want                   uint32
	}{
		{linux.FUTEX_OP_SET, 1, linux.FUTEX_OP_CMP_EQ, 0, 0x00001000},
		{linux.FUTEX_OP_OPARG_SHIFT | linux.FUTEX_OP_OR, 0xfff, linux.FUTEX_OP_CMP_GE, 0xfff, 0xa5ffffff},
		// glibc's FUTEX_OP_CLEAR_WAKE_IF_GT_ONE: set 0, wake if old > 1.
		{linux.FUTEX_OP_SET, 0, linux.FUTEX_OP_CMP_GT, 1, 0x04000001},
	} {
		if got := linux.FutexOp(tc.op, tc.oparg, tc.cmp, tc.cmparg); got != tc.want {
			t.Errorf("FutexOp(%d, %#x, %d, %#x) = %#x, want %#x", tc.op, tc.oparg, tc.cmp, tc.cmparg, got, tc.want)
		}
	}
}
