package futex

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// futexMutex is the three-state futex mutex of Drepper's "Futexes Are
// Tricky" (0 unlocked, 1 locked, 2 locked with waiters), run by goroutines
// that stand in for application threads, with the kernel's side of
// FUTEX_WAIT played by wait.
type futexMutex struct {
	m       *Manager
	t       Target
	addr    uint64
	private bool

	wakes atomic.Int64 // waiters Wake reported woken
	woken atomic.Int64 // waits that ended woken
}

func (mu *futexMutex) wait(tb testing.TB, val uint32, w *Waiter) {
	err := mu.m.WaitPrepare(mu.t, mu.addr, mu.private, val, linux.FUTEX_BITSET_MATCH_ANY, w)
	if err == linux.EAGAIN {
		return
	}
	if err != nil {
		tb.Errorf("WaitPrepare = %v", err)
		return
	}
	<-w.C
	if !mu.m.WaitComplete(w) {
		tb.Errorf("WaitComplete = false after C was signalled")
	}
	mu.woken.Add(1)
}

func (mu *futexMutex) lock(tb testing.TB, w *Waiter) {
	c, err := mu.t.CompareAndSwapUint32(mu.addr, 0, 1)
	if err != nil {
		tb.Errorf("CAS = %v", err)
		return
	}
	if c == 0 {
		return
	}
	if c != 2 {
		c, _ = mu.t.SwapUint32(mu.addr, 2)
	}
	for c != 0 {
		mu.wait(tb, 2, w)
		c, _ = mu.t.SwapUint32(mu.addr, 2)
	}
}

func (mu *futexMutex) unlock(tb testing.TB) {
	if c, _ := mu.t.SwapUint32(mu.addr, 0); c == 2 {
		n, err := mu.m.Wake(mu.t, mu.addr, mu.private, linux.FUTEX_BITSET_MATCH_ANY, 1)
		if err != nil {
			tb.Errorf("Wake = %v", err)
		}
		mu.wakes.Add(int64(n))
	}
}

// TestStressMutex runs 8 goroutines incrementing a counter under a futex
// mutex. The race detector checks mutual exclusion on the plain counter.
func TestStressMutex(t *testing.T) {
	const goroutines, iterations = 8, 2000
	for _, tc := range []struct {
		name   string
		shared bool // alternate address spaces, with shared keys
	}{
		{name: "private"},
		{name: "shared across address spaces", shared: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			m := e.m
			mus := []*futexMutex{{m: m, t: e.mm0, addr: addrA, private: !tc.shared}}
			if tc.shared {
				mus = append(mus, &futexMutex{m: m, t: e.mm1, addr: otherBase})
			}
			counter := 0
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				mu := mus[g%len(mus)]
				wg.Add(1)
				go func() {
					defer wg.Done()
					w := NewWaiter()
					for i := 0; i < iterations; i++ {
						mu.lock(t, w)
						c := counter
						// Yield inside the critical section so that
						// the other goroutines contend and wait.
						runtime.Gosched()
						counter = c + 1
						mu.unlock(t)
					}
				}()
			}
			wg.Wait()
			if counter != goroutines*iterations {
				t.Errorf("counter = %d, want %d", counter, goroutines*iterations)
			}
			var wakes, woken int64
			for _, mu := range mus {
				wakes += mu.wakes.Load()
				woken += mu.woken.Load()
			}
			t.Logf("wakes %d woken %d", wakes, woken)
			if wakes != woken {
				t.Errorf("Wake reported %d woken, %d waits ended woken", wakes, woken)
			}
			if !e.queuesEmpty() {
				t.Errorf("waiters left queued")
			}
		})
	}
}

// stressWaiters runs waiter goroutines that each wait rounds times on
// addrA, giving up at once (as if interrupted or timed out) on every
// giveUpEvery-th round, while wakers run wakeRound until every waiter is
// done. It checks that every wake reported by the wakers reached exactly
// one waiter and that nothing is left queued or signalled.
func stressWaiters(t *testing.T, e *env, giveUpEvery int, wakers []func() int) {
	t.Helper()
	const goroutines, rounds = 8, 500
	var (
		wakes, woken atomic.Int64
		done         atomic.Int32
		wg           sync.WaitGroup
	)
	ws := make([]*Waiter, goroutines)
	for g := range ws {
		ws[g] = NewWaiter()
		w := ws[g]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer done.Add(1)
			for r := 0; r < rounds; r++ {
				if err := e.m.WaitPrepare(e.mm0, addrA, true, 0, matchAny, w); err != nil {
					t.Errorf("WaitPrepare = %v", err)
					return
				}
				if r%giveUpEvery != 0 {
					<-w.C
					if !e.m.WaitComplete(w) {
						t.Errorf("WaitComplete = false after C was signalled")
					}
					woken.Add(1)
					continue
				}
				// Give wakers a chance to race with giving up.
				runtime.Gosched()
				if e.m.WaitComplete(w) {
					woken.Add(1)
				}
				if len(w.C) != 0 {
					t.Errorf("C not drained by WaitComplete")
				}
			}
		}()
	}
	for _, wake := range wakers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Load() < goroutines {
				wakes.Add(int64(wake()))
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	t.Logf("wakes %d woken %d", wakes.Load(), woken.Load())
	if wakes.Load() != woken.Load() {
		t.Errorf("wakers reported %d woken, %d waits ended woken", wakes.Load(), woken.Load())
	}
	for g, w := range ws {
		if len(w.C) != 0 {
			t.Errorf("waiter %d signalled after its last wait", g)
		}
	}
	if !e.queuesEmpty() {
		t.Errorf("waiters left queued")
	}
}

// TestStressWakeOnce checks that wakes racing with waits that give up are
// delivered exactly once.
func TestStressWakeOnce(t *testing.T) {
	e := newEnv()
	op := linux.FutexOp(linux.FUTEX_OP_ADD, 0, linux.FUTEX_OP_CMP_EQ, 0)
	stressWaiters(t, e, 3, []func() int{
		func() int {
			n, err := e.m.Wake(e.mm0, addrA, true, matchAny, 1)
			if err != nil {
				t.Errorf("Wake = %v", err)
			}
			return n
		},
		func() int {
			n, err := e.m.Wake(e.mm0, addrA, true, matchAny, 3)
			if err != nil {
				t.Errorf("Wake = %v", err)
			}
			return n
		},
		func() int {
			// Wakes one on addrA; addrC has no waiters.
			n, err := e.m.WakeOp(e.mm0, addrA, addrC, true, 1, 1, op)
			if err != nil {
				t.Errorf("WakeOp = %v", err)
			}
			return n
		},
	})
}

// TestStressRequeue moves waiters between two words while they wait, give
// up and are woken on either word.
func TestStressRequeue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		collide bool
	}{
		{name: "different buckets"},
		{name: "same bucket", collide: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			b := uint64(addrB)
			if tc.collide {
				b = sameBucketAddr(t, addrA)
			}
			val := uint32(0)
			check := func(n int, err error) int {
				if err != nil {
					t.Errorf("futex op = %v", err)
				}
				return n
			}
			stressWaiters(t, e, 4, []func() int{
				func() int {
					// Requeue without waking, so only wakes count.
					check(e.m.Requeue(e.mm0, addrA, b, true, 0, 2, nil))
					return check(e.m.Wake(e.mm0, b, true, matchAny, 1))
				},
				func() int {
					check(e.m.Requeue(e.mm0, b, addrA, true, 0, 1, &val))
					return check(e.m.Wake(e.mm0, addrA, true, matchAny, 1))
				},
				func() int {
					return check(e.m.Wake(e.mm0, b, true, matchAny, 2))
				},
			})
			for _, addr := range []uint64{addrA, b} {
				if n, _ := e.m.Wake(e.mm0, addr, true, matchAny, 1<<30); n != 0 {
					t.Errorf("Wake(%#x) after the test woke %d", addr, n)
				}
			}
		})
	}
}
