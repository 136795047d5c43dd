package kernel

import (
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/futex"
	"bulwark.dev/bulwark/pkg/sentry/mm"
)

// futexTarget adapts an address space to the futex package.
type futexTarget struct{ *mm.MM }

// Key implements futex.Target: private futexes are keyed by address space
// and address, shared ones by the memory-file offset of the word.
func (ft futexTarget) Key(addr uint64, private bool) (futex.Key, error) {
	if addr%4 != 0 {
		return futex.Key{}, linux.EINVAL
	}
	if private {
		return futex.Key{Private: true, MM: ft.MM.ID(), Offset: addr}, nil
	}
	off, err := ft.MM.FileOffset(addr)
	if err != nil {
		return futex.Key{}, err
	}
	return futex.Key{Offset: off}, nil
}

// FutexTarget returns the task's address space as a futex target.
func (t *Task) FutexTarget() futex.Target { return futexTarget{t.tg.mm} }

// FutexWait implements FUTEX_WAIT and FUTEX_WAIT_BITSET: it sleeps while
// *addr == val until woken, the deadline passes (zero: none), or a signal.
func (t *Task) FutexWait(addr uint64, private bool, val, bitset uint32, deadline time.Time) error {
	w := t.waiter
	if err := t.k.Futexes.WaitPrepare(t.FutexTarget(), addr, private, val, bitset, w); err != nil {
		return err
	}
	err := t.Block(w.C, deadline)
	if t.k.Futexes.WaitComplete(w) {
		return nil
	}
	return err
}
